/*
 * kernel/printk.h - the kernel log. Lines look like Linux's dmesg:
 *   [    0.123456] pmm: 32480 frames free (126 MiB)
 * Levels are Linux's; the `quiet` command-line option hides everything
 * less urgent than a warning on the console.
 */
#ifndef PAGEWISE_KERNEL_PRINTK_H
#define PAGEWISE_KERNEL_PRINTK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
    LOGLEVEL_EMERG = 0,
    LOGLEVEL_ALERT = 1,
    LOGLEVEL_CRIT = 2,
    LOGLEVEL_ERR = 3,
    LOGLEVEL_WARNING = 4,
    LOGLEVEL_NOTICE = 5,
    LOGLEVEL_INFO = 6,
    LOGLEVEL_DEBUG = 7,
    LOGLEVEL_CONT = 8, /* continue the current line: no timestamp */
};

__attribute__((format(printf, 2, 3))) void printk(int level, const char *fmt, ...);
void vprintk(int level, const char *fmt, va_list ap);

#define pr_emerg(...) printk(LOGLEVEL_EMERG, __VA_ARGS__)
#define pr_err(...) printk(LOGLEVEL_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOGLEVEL_WARNING, __VA_ARGS__)
#define pr_notice(...) printk(LOGLEVEL_NOTICE, __VA_ARGS__)
#define pr_info(...) printk(LOGLEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOGLEVEL_DEBUG, __VA_ARGS__)
#define pr_cont(...) printk(LOGLEVEL_CONT, __VA_ARGS__)

/* Messages with a level number above this are not shown on the console. */
void printk_set_console_level(int level);
/* A panic: print without taking the console lock from now on. */
void printk_bust_lock(void);

/* Formatting, kernel/vsprintf.c: %d %i %u %x %X %o %p %s %c %%, with l/ll/z/h
 * length modifiers, width, precision, and the flags - 0 + space #. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) int snprintf(char *buf, size_t size, const char *fmt, ...);

#endif
