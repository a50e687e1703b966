/*
 * kernel/mutex.h - a sleeping lock: a holder may sleep (wait for the
 * disk, for memory) and those who want it sleep too instead of spinning.
 * Under the big kernel lock (kernel/bkl.h) code between two sleeps runs
 * alone, on any CPU; a mutex makes a section that sleeps in the middle (a
 * page fault reading swap) appear atomic to the other threads of the same
 * process. Sleeping passes the BKL on; the mutex stays held.
 *
 * Lock order (who may take what while holding what), outermost first
 * (docs/smp.md, "Lock order"; kernel/lockdep.h checks it in test boots):
 *   the BKL (every kernel entry; not a task's: it stays with the CPU)
 *     -> mm->mmap_lock (mm/mm.h; sleeping)
 *       -> swap_io (mm/swap_io.c; sleeping: the disk, one request)
 *         -> a page's PG_locked (mm/page.h; waited on while I/O is in flight)
 *           -> shm_object->lock -> swap_lock -> lru_lock, vmap_area_lock
 *              -> slab_lock -> zone->lock -> logbuf_lock (spinlocks:
 *              mm/shm.c, mm/swapfile.c, mm/vmscan.c, mm/vmalloc.c,
 *              mm/kmalloc.c, mm/pmm.c, kernel/printk.c)
 *           page tables: the BKL (and mmap_lock across a sleep)
 *             -> irq_save sections (this CPU's interrupt handlers)
 * A task never takes a mutex it holds (mutex_lock panics and says so),
 * never sleeps with interrupts off, and never waits for another CPU while
 * holding anything but the BKL (the TLB shootdown is the one such wait).
 */
#ifndef PAGEWISE_KERNEL_MUTEX_H
#define PAGEWISE_KERNEL_MUTEX_H

#include "kernel/list.h"
#include "kernel/lockdep.h"
#include "kernel/sched.h"

struct mutex {
    struct task *owner;  /* NULL: free */
    struct wait_queue waiters;
    struct lock_class *class; /* its name, and its place in the lock order (kernel/lockdep.h) */
};

/* Set up m as a lock of class c: every mutex initialised at one place
 * shares one class (all mmap_locks are "mmap_lock"). */
void mutex_init(struct mutex *m, struct lock_class *c);
void mutex_lock_slow(struct mutex *m);
void mutex_unlock_slow(struct mutex *m);

/* Take m, sleeping (uninterruptibly: a signal does not end the wait)
 * until it is free. The free case is two instructions: the kernel
 * switches tasks only when one sleeps or returns to user mode, and the
 * big kernel lock (kernel/bkl.h) keeps every other CPU out of kernel
 * code, so nothing can run between the test and the store (interrupt
 * handlers never take a mutex). Without the BKL this would need an
 * atomic compare-and-swap. */
static inline __attribute__((always_inline)) void mutex_lock(struct mutex *m)
{
    lockdep_acquire_if(m->class, LOCK_SLEEP);
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
    lockdep_release_if(m->class);
}
/* Does the current task hold m? */
bool mutex_is_mine(const struct mutex *m);

#endif
