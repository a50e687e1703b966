/*
 * kernel/spinlock.c - the contended case of a spinlock (kernel/spinlock.h).
 */
#include "kernel/spinlock.h"

#include "mm/tlb.h"

/* Spin, reading (the cache line stays shared while the holder works),
 * until the word looks free, then try to take it. Interrupts are off, so
 * while spinning answer any TLB shootdown aimed at this CPU: the holder,
 * or the holder of the big kernel lock, may be waiting for that answer
 * (the same rule as kernel/bkl.c:bkl_lock_slow). */
void spin_lock_slow(struct spinlock *l)
{
    for (;;) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            tlb_shootdown_answer();
            cpu_relax();
        }
        if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0)
            return;
    }
}
