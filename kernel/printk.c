/*
 * kernel/printk.c - the kernel log, printed on the console with Linux's
 * "[seconds.micros] " prefix so boot logs read like dmesg.
 */
#include "kernel/printk.h"

#include "drivers/console.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define PRINTK_LINE_MAX 512
#define CONSOLE_LOGLEVEL_DEFAULT 7 /* show everything but debug, like Linux */

/* One line at a time on the console, whichever CPU prints (Linux's
 * logbuf_lock). The one spinlock taken without the big kernel lock: an AP
 * prints while it starts, and a CPU may panic anywhere. */
static struct lock_class logbuf_lock_class = LOCK_CLASS_INIT("logbuf_lock");

static struct {
    struct spinlock lock;
    bool busted;       /* a panic: print without the lock (printk_bust_lock) */
    int console_level; /* show messages with level < this */
    bool mid_line;     /* the last message did not end with '\n' */
    bool last_shown;   /* was the line being continued shown? */
} printk_state = {SPINLOCK_INIT(&logbuf_lock_class), false, CONSOLE_LOGLEVEL_DEFAULT, false, true};

void printk_bust_lock(void) { printk_state.busted = true; }

void printk_set_console_level(int level) { printk_state.console_level = level; }

void vprintk(int level, const char *fmt, va_list ap)
{
    char line[PRINTK_LINE_MAX];
    int n = 0;
    bool busted = printk_state.busted; /* the panicking CPU may have died holding it */
    bool irqs = busted ? irq_save() : spin_lock_irqsave(&printk_state.lock);

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
    if (busted)
        irq_restore(irqs);
    else
        spin_unlock_irqrestore(&printk_state.lock, irqs);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}
