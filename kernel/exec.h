/*
 * kernel/exec.h - loading a program: ELF64 static executables into a new
 * address space, with Linux's initial stack.
 */
#ifndef PAGEWISE_KERNEL_EXEC_H
#define PAGEWISE_KERNEL_EXEC_H

#include "kernel/proc.h"

#define EXEC_ARG_MAX (128 * 1024)   /* one argument or environment string (MAX_ARG_STRLEN) */
#define EXEC_TOTAL_MAX (512 * 1024) /* all of them together */
#define EXEC_MAX_STRINGS 4096

/* Replace t's program with the one at path. argv/envp are kernel arrays
 * of kernel strings, NULL-terminated. On success t has a new mm (the old
 * one is freed) and t->tf starts the program; on failure t is untouched
 * and a negative errno is returned (-ENOENT, -ENOEXEC, -EACCES, -ENOMEM,
 * -E2BIG). */
int exec_program(struct task *t, const char *path, char *const argv[], char *const envp[]);

#endif
