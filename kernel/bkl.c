/*
 * kernel/bkl.c - the big kernel lock's slow path (kernel/bkl.h).
 */
#include "kernel/bkl.h"

#include "kernel/printk.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/tlb.h"

#define US_PER_MS 1000

struct big_kernel_lock bkl;

/* The lock is taken: spin (reading first, so that the cache line stays
 * shared while the holder works) until it is free, and while spinning
 * answer any TLB shootdown aimed at this CPU. The holder may be waiting
 * for that answer, and this CPU may be spinning with interrupts off (an
 * interrupt handler, the syscall entry), so it would never see the IPI:
 * the classic SMP deadlock (docs/smp.md). Linux 2.0 did the same: its
 * lock_kernel loop checked smp_invalidate_needed. The wait is counted
 * for /proc/lock_stat. */
void bkl_lock_slow(void)
{
    uint32_t tag = this_cpu_read(bkl_tag);
    uint64_t t0 = rdtsc();
    for (;;) {
        uint32_t expected = 0;
        if (__atomic_load_n(&bkl.owner, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&bkl.owner, &expected, tag, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            break;
        tlb_shootdown_answer();
        cpu_relax();
    }
    struct percpu *p = this_cpu();
    p->bkl_contended++;
    p->bkl_spin_cycles += rdtsc() - t0;
}

long bkl_report(char *buf, size_t size)
{
    size_t len =
        (size_t)snprintf(buf, size, "lock_stat version 0.4 (Pagewise: the big kernel lock, per CPU)\n%-12s %14s %20s\n",
                         "class name", "contentions", "waittime-total (us)");
    uint64_t khz = time_tsc_khz();
    for (unsigned i = 0; i < nr_cpus_online && len < size; i++) {
        const struct percpu *p = &percpu_area[i];
        len += (size_t)snprintf(buf + len, size - len, "bkl cpu%-4u %14lu %20lu\n", i, p->bkl_contended,
                                khz ? p->bkl_spin_cycles * US_PER_MS / khz : 0);
    }
    return (long)(len < size ? len : size);
}
