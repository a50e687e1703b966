/*
 * kernel/bkl.h - the big kernel lock (BKL): one lock for the whole kernel,
 * as in Linux 2.0, the first SMP Linux (kernel_flag, lock_kernel).
 *
 * Every CPU runs user code in parallel; kernel code runs on one CPU at a
 * time. A CPU takes the lock on every way in from user mode (a syscall,
 * an exception, an interrupt) and gives it back on the way out; the idle
 * loop gives it back while it halts. So everything that was correct on
 * one CPU with interrupts off stays correct: two CPUs are never in the
 * kernel's data structures at once (docs/smp.md, "The big kernel lock").
 *
 *   owner       0: free, else the holder's cpu + 1 (percpu.bkl_tag)
 *   depth       how many times the holder took it again on top of the
 *               first (0: held once), kept in the running task
 *               (task.bkl_depth, Linux 2.0's lock_depth). An interrupt of
 *               kernel code on the holding CPU takes it again instead of
 *               deadlocking against itself. The first taking and the last
 *               release touch only the owner word: the syscall path pays
 *               for one locked compare-and-swap and one store.
 *
 * The lock belongs to the CPU, not to a task: schedule() switches tasks
 * with the lock held, and the task that resumes continues under it. The
 * depth is the task's, because a task may sleep in a nested entry (a page
 * fault inside copy_from_user, depth 1) while the next one runs at 0.
 *
 * The rule that keeps it free of deadlocks: a CPU that waits for the lock
 * answers TLB shootdown requests while it spins (mm/tlb.c:
 * tlb_shootdown_answer), since the holder may be waiting for exactly that
 * CPU, whose interrupts may be off. Besides that, nobody who holds the
 * lock waits for another CPU, and nobody waits for the lock while holding
 * another spinlock.
 */
#ifndef PAGEWISE_KERNEL_BKL_H
#define PAGEWISE_KERNEL_BKL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/percpu.h"
#include "kernel/proc.h"

struct big_kernel_lock {
    uint32_t owner; /* 0 free, else cpu + 1 */
};
extern struct big_kernel_lock bkl;

/* /proc/lock_stat (Linux's file, with CONFIG_LOCK_STAT; here one class):
 * per CPU, how often it found the lock taken and how long it spun. */
long bkl_report(char *buf, size_t size);

/* Spin until the lock is ours (the contended case of bkl_lock). */
void bkl_lock_slow(void);

/* Does this CPU hold the lock? */
static inline bool bkl_held(void) { return __atomic_load_n(&bkl.owner, __ATOMIC_RELAXED) == this_cpu_read(bkl_tag); }

/* Take the lock from free: an entry from user mode, or the idle loop,
 * where this CPU cannot hold it yet. An interrupt at any point finds the
 * lock either not ours or ours at depth 0, both consistent. Three
 * instructions when free. */
static inline void bkl_lock_fresh(void)
{
    uint32_t expected = 0;
    if (!__atomic_compare_exchange_n(&bkl.owner, &expected, this_cpu_read(bkl_tag), false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        bkl_lock_slow();
}

/* Give the lock back entirely: the way out to user mode, the idle loop's
 * halt. The caller holds it once (depth 0). */
static inline void bkl_unlock_all(void) { __atomic_store_n(&bkl.owner, 0, __ATOMIC_RELEASE); }

/* Take it, or once more if this CPU holds it (an interrupt of kernel
 * code; the lock is first held once the scheduler runs, so a task does). */
static inline void bkl_lock(void)
{
    if (bkl_held())
        get_current()->bkl_depth++;
    else
        bkl_lock_fresh();
}

/* Undo one bkl_lock; the last one frees the lock. */
static inline void bkl_unlock(void)
{
    struct task *t = get_current(); /* NULL: early boot, before the scheduler */
    if (t && t->bkl_depth)
        t->bkl_depth--;
    else
        bkl_unlock_all();
}

#endif
