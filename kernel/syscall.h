/*
 * kernel/syscall.h - the Linux x86-64 system call interface.
 *
 * User code puts the number in RAX and arguments in RDI, RSI, RDX, R10,
 * R8, R9, and executes `syscall`; the result (or -errno) comes back in
 * RAX. Only RAX, RCX and R11 change (RCX/R11 hold RIP/RFLAGS, a property
 * of the syscall instruction itself).
 */
#ifndef PAGEWISE_KERNEL_SYSCALL_H
#define PAGEWISE_KERNEL_SYSCALL_H

#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/trap.h"

typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* Program the syscall MSRs (STAR, LSTAR, FMASK) and set EFER.SCE. */
void syscall_init(void);
/* Called by kernel/entry.asm. Returns nonzero if the return to user mode
 * must take the iretq path instead of sysretq. */
int syscall_dispatch(struct trap_frame *tf);
/* Before any return to user mode: reschedule if asked, deliver signals. */
void prepare_return_to_user(struct trap_frame *tf);
/* Is there anything for prepare_return_to_user to do? The common case,
 * inline: nothing (the syscall and the trap exits ask first). */
static inline bool return_work_pending(void)
{
    uint64_t pending = current->sig_pending; /* the thread's own, and the process's if any */
    if (current->group_sig_hint)
        pending |= current->group->sig_pending;
    return sched_need_resched() || (pending & ~current->sig_blocked) || (pending & SIG_UNBLOCKABLE_MASK);
}


/* The trap frame of the syscall in progress (fork copies it). */
struct trap_frame *syscall_frame(void);

#define SYSCALL_DEFINE(name) long sys_##name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
#define SYSCALL_UNUSED_ARGS(...) (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5

#endif
