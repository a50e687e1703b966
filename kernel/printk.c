/*
 * kernel/printk.c - the kernel log, printed on the console with Linux's
 * "[seconds.micros] " prefix so boot logs read like dmesg.
 */
#include "kernel/printk.h"

#include "drivers/console.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define PRINTK_LINE_MAX 512
#define CONSOLE_LOGLEVEL_DEFAULT 7 /* show everything but debug, like Linux */

static struct {
    int console_level; /* show messages with level < this */
    bool mid_line;     /* the last message did not end with '\n' */
    bool last_shown;   /* was the line being continued shown? */
} printk_state = {CONSOLE_LOGLEVEL_DEFAULT, false, true};

void printk_set_console_level(int level) { printk_state.console_level = level; }

void vprintk(int level, const char *fmt, va_list ap)
{
    char line[PRINTK_LINE_MAX];
    int n = 0;
    bool irqs = irq_save();

    bool shown = level == LOGLEVEL_CONT ? printk_state.last_shown : level < printk_state.console_level;
    if (level != LOGLEVEL_CONT || !printk_state.mid_line) {
        if (printk_state.mid_line && printk_state.last_shown)
            console_write("\n", 1);
        uint64_t us = time_since_boot_ns() / 1000;
        n = snprintf(line, sizeof(line), "[%5lu.%06lu] ", us / 1000000, us % 1000000);
    }
    n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (n >= PRINTK_LINE_MAX)
        n = PRINTK_LINE_MAX - 1;

    if (shown && n > 0)
        console_write(line, n);
    printk_state.mid_line = n > 0 && line[n - 1] != '\n';
    printk_state.last_shown = shown;
    irq_restore(irqs);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}
