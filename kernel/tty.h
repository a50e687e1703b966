/*
 * kernel/tty.h - the console terminal: the serial line with a line
 * discipline (canonical mode, echo, erase/kill, ^C, ^D), as /dev/console
 * and /dev/tty.
 */
#ifndef PAGEWISE_KERNEL_TTY_H
#define PAGEWISE_KERNEL_TTY_H

#include "kernel/vfs.h"

/* Set up the line discipline and hook the serial receive interrupt. */
void tty_init(void);
extern const struct file_ops tty_ops;

#endif
