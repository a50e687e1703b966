/*
 * kernel/spinlock.h - spinlocks that keep interrupts off while held
 * (Linux's spin_lock_irqsave).
 *
 * On one CPU a structure that an interrupt handler also touches needs
 * only interrupts off around its updates (irq_save). With several CPUs
 * the handler may run on another CPU, so the section also needs a lock
 * word that the other CPU spins on. A spinlock here is both: interrupts
 * off on this CPU first (else a handler on this CPU could spin for a lock
 * its own CPU holds: a deadlock with itself), then the word.
 *
 * spin_lock (interrupts left as they are) is for locks no handler takes.
 *
 * Rules (the lock checker, kernel/lockdep.h, checks the first two, and
 * that a lock taken by a handler is never held with interrupts on):
 *   - never sleep with one held (schedule() with interrupts off and the
 *     word taken would leave every other taker spinning);
 *   - take them in the written order (docs/smp.md, "Lock order");
 *   - short sections: no disk, no waiting for other CPUs.
 *
 * Today every taker also holds the big kernel lock except printk's
 * (kernel/printk.c: an AP starting, a panic), so most of these spinlocks
 * never spin: they mark, and the checker proves, the order that lets a
 * path leave the BKL later (docs/smp.md).
 */
#ifndef PAGEWISE_KERNEL_SPINLOCK_H
#define PAGEWISE_KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lockdep.h"
#include "kernel/x86.h"

struct spinlock {
    uint32_t locked; /* 0 free, 1 taken */
    struct lock_class *class;
};

#define SPINLOCK_INIT(cls)                                                                                             \
    {                                                                                                                  \
        .locked = 0, .class = (cls)                                                                                    \
    }

/* Spin until the word is ours (the contended case). */
void spin_lock_slow(struct spinlock *l);

/* Take l with this CPU's interrupts off; returns whether they were on,
 * for spin_unlock_irqrestore. */
static inline __attribute__((always_inline)) bool spin_lock_irqsave(struct spinlock *l)
{
    bool irqs = irq_save();
    lockdep_acquire_if(l->class, LOCK_SPIN);
    if (__builtin_expect(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0, 0))
        spin_lock_slow(l);
    return irqs;
}

/* Give l back, then interrupts as they were. */
static inline void spin_unlock_irqrestore(struct spinlock *l, bool irqs)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    lockdep_release_if(l->class);
    irq_restore(irqs);
}

/* Take l, interrupts as they are: only for a lock no interrupt handler
 * ever takes (the checker reports one that is: kernel/lockdep.h). Saves
 * the flags save and restore of spin_lock_irqsave on hot paths. */
static inline __attribute__((always_inline)) void spin_lock(struct spinlock *l)
{
    lockdep_acquire_if(l->class, LOCK_SPIN);
    if (__builtin_expect(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0, 0))
        spin_lock_slow(l);
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    lockdep_release_if(l->class);
}

/* Take it only if free (the panic path: a CPU that died holding
 * printk's lock must not stop the report). Returns true if taken. */
static inline __attribute__((always_inline)) bool spin_trylock_irqsave(struct spinlock *l, bool *irqs)
{
    *irqs = irq_save();
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
        lockdep_acquire_if(l->class, LOCK_SPIN);
        return true;
    }
    irq_restore(*irqs);
    return false;
}

#endif
