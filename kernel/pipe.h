/*
 * kernel/pipe.h - pipes: a 64 KiB ring buffer between a write end and a
 * read end, with sleeping readers and writers.
 */
#ifndef PAGEWISE_KERNEL_PIPE_H
#define PAGEWISE_KERNEL_PIPE_H

#include "kernel/vfs.h"

#define PIPE_SIZE 65536 /* Linux's default capacity */
#define PIPE_BUF 4096   /* writes up to this size are atomic */

/* Make a pipe: *rd and *wr are new open files (flags: O_NONBLOCK).
 * Returns 0 or -ENOMEM. */
int pipe_create(unsigned flags, struct file **rd, struct file **wr);

#endif
