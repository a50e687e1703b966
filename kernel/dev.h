/*
 * kernel/dev.h - the device nodes in /dev: console (and tty), null, zero.
 */
#ifndef PAGEWISE_KERNEL_DEV_H
#define PAGEWISE_KERNEL_DEV_H

/* Create /dev/console, /dev/tty, /dev/null, /dev/zero. */
void dev_init(void);

#endif
