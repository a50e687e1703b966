/*
 * kernel/mutex.h - a sleeping lock: a holder may sleep (wait for the
 * disk, for memory) and those who want it sleep too instead of spinning.
 * Under the big kernel lock (kernel/bkl.h) code between two sleeps runs
 * alone, on any CPU; a mutex makes a section that sleeps in the middle (a
 * page fault reading swap) appear atomic to the other threads of the same
 * process. Sleeping passes the BKL on; the mutex stays held.
 *
 * Lock order (who may take what while holding what), outermost first
 * (docs/smp.md, "Lock order"):
 *   the BKL (every kernel entry; not a task's: it stays with the CPU)
 *     -> mm->mmap_lock (mm/mm.h; sleeping)
 *       -> a page's PG_locked (mm/page.h; sleeping, I/O in flight)
 *         -> frames, LRU, swap slots, shm objects, page tables (the BKL
 *            alone; never sleep-locks)
 *           -> irq_save sections (this CPU's interrupt handlers)
 * A task never takes a mutex it holds (mutex_lock panics and says so),
 * never sleeps with interrupts off, and never waits for another CPU while
 * holding anything but the BKL (the TLB shootdown is the one such wait).
 */
#ifndef PAGEWISE_KERNEL_MUTEX_H
#define PAGEWISE_KERNEL_MUTEX_H

#include "kernel/list.h"
#include "kernel/sched.h"

struct mutex {
    struct task *owner;  /* NULL: free */
    struct wait_queue waiters;
    const char *name;    /* for the panic message */
};

void mutex_init(struct mutex *m, const char *name);
void mutex_lock_slow(struct mutex *m);
void mutex_unlock_slow(struct mutex *m);

/* Take m, sleeping (uninterruptibly: a signal does not end the wait)
 * until it is free. The free case is two instructions: the kernel
 * switches tasks only when one sleeps or returns to user mode, and the
 * big kernel lock (kernel/bkl.h) keeps every other CPU out of kernel
 * code, so nothing can run between the test and the store (interrupt
 * handlers never take a mutex). Without the BKL this would need an
 * atomic compare-and-swap. */
static inline void mutex_lock(struct mutex *m)
{
    if (__builtin_expect(m->owner == NULL, 1))
        m->owner = current;
    else
        mutex_lock_slow(m);
}

/* Give m back and wake those waiting; the caller must hold it. */
static inline void mutex_unlock(struct mutex *m)
{
    if (__builtin_expect(m->owner == current && list_empty(&m->waiters.waiters), 1))
        m->owner = NULL;
    else
        mutex_unlock_slow(m);
}
/* Does the current task hold m? */
bool mutex_is_mine(const struct mutex *m);

#endif
