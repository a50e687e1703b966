/*
 * drivers/console.h - where kernel messages go: the serial line (the
 * console a student sees in `make run` and the test harness reads).
 */
#ifndef PAGEWISE_DRIVERS_CONSOLE_H
#define PAGEWISE_DRIVERS_CONSOLE_H

#include <stddef.h>

/* Write bytes to the console, turning "\n" into "\r\n". Safe from any
 * context (polled output; never sleeps). */
void console_write(const char *buf, size_t len);

#endif
