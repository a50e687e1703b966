/*
 * kernel/syscall.c - from the `syscall` instruction to the handler.
 */
#include "kernel/syscall.h"

#include "kernel/bkl.h"
#include "kernel/errno.h"
#include "kernel/gdt.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sched.h"
#include "kernel/syscall_table.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"

#define DECLARE_SYSCALL(nr, name) SYSCALL_DEFINE(name);
SYSCALL_LIST(DECLARE_SYSCALL)

#define TABLE_ENTRY(nr, name) [nr] = sys_##name,
static const syscall_fn syscall_table[NR_SYSCALLS] = {SYSCALL_LIST(TABLE_ENTRY)};

static struct {
    uint64_t unknown_reported[NR_SYSCALLS / 64]; /* "unknown syscall" printed once each */
} sc;

void syscall_entry(void); /* kernel/entry.asm */

/* STAR[47:32]: CS for syscall (SS = CS + 8). STAR[63:48]: base for sysret:
 * CS = base + 16, SS = base + 8 (with RPL 3), hence the GDT order
 * user32 code, user data, user code (kernel/gdt.h). */
void syscall_init(void)
{
    wrmsr(MSR_STAR, (uint64_t)(USER32_CS & ~3) << 48 | (uint64_t)KERNEL_CS << 32);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* Masked on entry: IF (no interrupt before the stack switch), TF, DF,
     * AC (SMAP stays on), NT - Linux's list. */
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* entry.asm builds the frame at the top of the task's kernel stack,
 * where proc_alloc put task.tf. */
struct trap_frame *syscall_frame(void) { return current->tf; }

void prepare_return_to_user(struct trap_frame *tf)
{
    for (;;) {
        cli();
        if (sched_need_resched()) {
            schedule();
            continue;
        }
        if (signal_pending(current)) {
            sti();
            signal_deliver(tf);
            continue;
        }
        return; /* interrupts off: iretq/sysretq turn them back on */
    }
}


int syscall_dispatch(struct trap_frame *tf)
{
    bkl_lock_fresh(); /* from user mode: this CPU does not hold it; interrupts still off */
    sti();
    uint64_t nr = tf->rax;
    long ret;
    if (nr < NR_SYSCALLS && syscall_table[nr]) {
        ret = syscall_table[nr](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
    } else {
        if (nr < NR_SYSCALLS && !(sc.unknown_reported[nr / 64] & (1ull << (nr % 64)))) {
            sc.unknown_reported[nr / 64] |= 1ull << (nr % 64);
            pr_warn("syscall: pid %d (%s): unknown syscall %lu -> ENOSYS (reported once)\n", current->pid,
                    current->comm, nr);
        }
        ret = -ENOSYS;
    }
    tf->rax = (uint64_t)ret;
    cli();
    if (return_work_pending())
        prepare_return_to_user(tf);
    /* sysret restores RIP from RCX and RFLAGS from R11 and entry.asm
     * reloads only the caller-saved registers: usable only if nothing
     * rewrote the frame. Only execve, signal delivery and sigreturn do, and
     * they set frame_rewritten; the common case is this one test (the
     * getpid round trip: 99 -> 86 instructions). */
    if (!current->frame_rewritten) {
        bkl_unlock_all();
        return 0;
    }
    current->frame_rewritten = false;
    if (tf->rip >= USER_SPACE_END)
        proc_exit_group(SIGSEGV); /* cannot happen: exec and sigreturn check RIP */
    bkl_unlock_all();
    return 1;
}
