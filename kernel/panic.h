/*
 * kernel/panic.h - stop the kernel with everything a student needs to
 * find the bug: what happened, the registers, and a symbolized backtrace.
 */
#ifndef PAGEWISE_KERNEL_PANIC_H
#define PAGEWISE_KERNEL_PANIC_H

#include "kernel/compiler.h"
#include "kernel/trap.h"

/* Panic from ordinary code: message and a backtrace from the caller. */
__attribute__((format(printf, 1, 2))) __noreturn void panic(const char *fmt, ...);
/* Panic from a trap: exception name, decoded error code, register dump,
 * backtrace from the faulting instruction. why may be NULL. */
__attribute__((format(printf, 2, 3))) __noreturn void panic_trap(const struct trap_frame *tf, const char *why, ...);
/* Print "  [<addr>] function+0xoff/0xsize" lines, following saved frame
 * pointers from rbp. Stops at a frame outside the kernel's memory. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#define BUG_ON(cond)                                                                                                   \
    do {                                                                                                               \
        if (cond)                                                                                                      \
            panic("BUG: %s at %s:%d (%s)", #cond, __FILE__, __LINE__, __func__);                                       \
    } while (0)

#endif
