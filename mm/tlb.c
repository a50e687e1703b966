/*
 * mm/tlb.c - see tlb.h. Every flush is counted for /proc/vmstat.
 *
 * The local half: invlpg, or a full flush. The remote half, the TLB
 * shootdown: a CPU that changed an entry other CPUs may have cached sends
 * them an IPI (INVALIDATE_TLB_VECTOR) and waits until each has flushed.
 *
 *   CPU 0 (holds the BKL)                    CPU 1 (user mode, same mm)
 *   munmap: PTEs cleared, invlpg here
 *   shootdown = {cr3, pages}; pending = {1}
 *   IPI ------------------------------------> interrupt (no BKL)
 *   spin while pending != 0                   CR3 == shootdown.cr3: invlpg
 *                                             pending &= ~{1}; EOI; iretq
 *   <- munmap returns                         next access: #PF
 *
 * One request is in flight at a time: only the holder of the big kernel
 * lock changes page tables, and it waits for every answer before it goes
 * on. Which CPUs: those whose bit is set in the PML4's cpumask (set when a
 * CPU loads it into CR3, cleared when it loads another: tlb_cpumask_switch),
 * or every CPU for a kernel address. A CPU spinning for the BKL answers
 * from its spin loop (kernel/bkl.c), so the sender never waits for a CPU
 * that cannot take the interrupt.
 */
#include "mm/tlb.h"

#include "drivers/lapic.h"
#include "kernel/bkl.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vmstat.h"

void tlb_flush_page(uintptr_t va)
{
    invlpg(va);
    count_vm_event(NR_TLB_LOCAL_FLUSH_ONE);
}

void tlb_flush_range(uintptr_t start, uintptr_t end)
{
    /* LAB tlb/tlb_flush_range: the tlb lab removes the code from here to END LAB (docs/labs/tlb.md). */
    if ((end - start) / PAGE_SIZE > TLB_FLUSH_CEILING) {
        tlb_flush_all();
        return;
    }
    for (uintptr_t va = start; va < end; va += PAGE_SIZE)
        tlb_flush_page(va);
    /* END LAB tlb/tlb_flush_range */
}

/* Everything, global entries too, uncounted (the receiver's side counts
 * what it answered instead). */
static void flush_all_raw(void)
{
    bool irqs = irq_save();
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE); /* SDM Vol 3A §4.10.4.1: flushes globals */
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
    irq_restore(irqs);
}

void tlb_flush_all(void)
{
    flush_all_raw();
    count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
}

/* ---- the shootdown ---- */

static struct {
    uint64_t cr3;                    /* the PML4's physical address; 0: kernel addresses (every CPU) */
    uintptr_t va[TLB_FLUSH_CEILING]; /* the pages, unless full */
    unsigned n;
    bool full;        /* flush everything instead */
    bool leave;       /* the address space goes away: load the kernel's PML4 */
    uint64_t pending; /* CPUs that have not answered yet */
    bool disabled;    /* tlb_noshootdown: no IPI for user pages (a lesson, not a mode) */
} shootdown;

void tlb_shootdown_init(void)
{
    shootdown.disabled = cmdline_has("tlb_noshootdown");
    if (shootdown.disabled)
        pr_warn("tlb: tlb_noshootdown: other CPUs are NOT told to flush user pages; stale translations will be used\n");
}

static uint64_t *pml4_cpumask(uint64_t cr3) { return &phys_to_page(cr3)->cpumask; }

void tlb_cpumask_switch(uint64_t old_cr3, uint64_t new_cr3)
{
    uint64_t bit = 1ull << smp_processor_id();
    __atomic_fetch_and(pml4_cpumask(old_cr3), ~bit, __ATOMIC_RELAXED);
    __atomic_fetch_or(pml4_cpumask(new_cr3), bit, __ATOMIC_RELAXED);
}

/* Do what the request in flight asks of this CPU. */
static void shootdown_flush_here(void)
{
    uint64_t cr3 = read_cr3() & PTE_ADDR_MASK;
    if (shootdown.cr3 && shootdown.cr3 != cr3)
        return; /* it left that address space since: its CR3 write flushed */
    if (shootdown.leave) {
        uint64_t kernel = virt_to_phys(paging_kernel_pml4());
        tlb_cpumask_switch(cr3, kernel);
        write_cr3(kernel);
    } else if (shootdown.full) {
        flush_all_raw();
    } else {
        for (unsigned i = 0; i < shootdown.n; i++)
            invlpg(shootdown.va[i]);
    }
}

void tlb_shootdown_answer(void)
{
    uint64_t bit = 1ull << smp_processor_id();
    if (!(__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE) & bit))
        return;
    shootdown_flush_here();
    this_cpu()->nr_tlb_shootdowns++;
    __atomic_fetch_add(&vm_events[NR_TLB_REMOTE_FLUSH_RECEIVED], 1, __ATOMIC_RELAXED);
    __atomic_fetch_and(&shootdown.pending, ~bit, __ATOMIC_RELEASE); /* the sender may go on */
}

uint64_t tlb_shootdown_unanswered(void) { return __atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE); }

void tlb_shootdown_interrupt(void)
{
    tlb_shootdown_answer();
    lapic_eoi();
}

/* Send the request now in `shootdown` to `cpus` and wait for each answer.
 * The caller holds the BKL (so no one else is sending) and no other lock. */
static void shootdown_send(uint64_t cpus)
{
    if (!bkl_held())
        panic("TLB shootdown on CPU %u without the big kernel lock", smp_processor_id());
    if (shootdown.disabled && shootdown.cr3 && !shootdown.leave)
        return; /* the lesson's stale user translations (kernel ones would crash the kernel) */
    count_vm_event(NR_TLB_REMOTE_FLUSH);
    __atomic_store_n(&shootdown.pending, cpus, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < nr_cpus_online; i++)
        if (cpus >> i & 1)
            lapic_send_ipi(percpu_area[i].apic_id, INVALIDATE_TLB_VECTOR);
    while (__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE))
        cpu_relax();
}

/* Lazy TLB (Linux's cpu_tlbstate.is_lazy): a CPU whose idle task or
 * kernel thread runs on the last process's tables touches no user
 * address, so a shootdown of user pages need not interrupt it. It is
 * marked instead, and flushes everything before a task of that address
 * space runs there again. Waking a halted CPU costs far more than the
 * flush (under QEMU, a host thread wake-up per evicted page while
 * swapping at -smp 2). */
void tlb_lazy_switch(bool with_mm, uint64_t next_cr3)
{
    struct percpu *cpu = this_cpu();
    if (!with_mm) {
        cpu->tlb_lazy = true;
        return;
    }
    cpu->tlb_lazy = false;
    if (__atomic_exchange_n(&cpu->tlb_flush_pending, false, __ATOMIC_ACQUIRE) &&
        (read_cr3() & PTE_ADDR_MASK) == next_cr3)
        flush_all_raw(); /* no CR3 write will come: the skipped shootdowns' pages */
}

/* The other CPUs that may cache translations of pml4 at va. Lazy CPUs
 * are left out (and marked) when lazy_ok: user pages whose page tables
 * stay. The caller holds the BKL, as a lazy CPU must to leave lazy mode. */
static uint64_t shootdown_targets(pte_t *pml4, uintptr_t va, bool lazy_ok)
{
    if (nr_cpus_online == 1)
        return 0;
    uint64_t others = cpu_online_mask() & ~(1ull << smp_processor_id());
    if (va >= KERNEL_HALF_START)
        return others; /* the kernel half is live in every address space */
    uint64_t cpus = __atomic_load_n(pml4_cpumask(virt_to_phys(pml4)), __ATOMIC_RELAXED) & others;
    for (unsigned i = 0; lazy_ok && i < nr_cpus_online; i++)
        if ((cpus >> i & 1) && percpu_area[i].tlb_lazy) {
            __atomic_store_n(&percpu_area[i].tlb_flush_pending, true, __ATOMIC_RELEASE);
            cpus &= ~(1ull << i);
            count_vm_event(NR_TLB_LAZY_SKIPPED);
        }
    return cpus;
}

void tlb_shootdown_pages(pte_t *pml4, const uintptr_t *va, unsigned n, bool full)
{
    if (!n && !full)
        return;
    uint64_t cpus = shootdown_targets(pml4, n ? va[0] : 0, true);
    if (!cpus)
        return;
    shootdown.cr3 = (n && va[0] >= KERNEL_HALF_START) ? 0 : virt_to_phys(pml4);
    shootdown.full = full || n > TLB_FLUSH_CEILING;
    shootdown.leave = false;
    shootdown.n = shootdown.full ? 0 : n;
    for (unsigned i = 0; i < shootdown.n; i++)
        shootdown.va[i] = va[i];
    shootdown_send(cpus);
}

static void shootdown_range(pte_t *pml4, uintptr_t start, uintptr_t end, bool lazy_ok)
{
    uint64_t cpus = end > start ? shootdown_targets(pml4, start, lazy_ok) : 0;
    if (!cpus)
        return;
    uint64_t pages = (end - start) / PAGE_SIZE;
    shootdown.cr3 = start >= KERNEL_HALF_START ? 0 : virt_to_phys(pml4);
    shootdown.full = pages > TLB_FLUSH_CEILING;
    shootdown.leave = false;
    shootdown.n = shootdown.full ? 0 : (unsigned)pages;
    for (unsigned i = 0; i < shootdown.n; i++)
        shootdown.va[i] = start + i * PAGE_SIZE;
    shootdown_send(cpus);
}

void tlb_shootdown_range(pte_t *pml4, uintptr_t start, uintptr_t end) { shootdown_range(pml4, start, end, true); }

void tlb_shootdown_range_tables(pte_t *pml4, uintptr_t start, uintptr_t end)
{
    shootdown_range(pml4, start, end, false);
}

void tlb_shootdown_page(pte_t *pml4, uintptr_t va) { tlb_shootdown_range(pml4, va, va + PAGE_SIZE); }

void tlb_shootdown_leave(pte_t *pml4)
{
    uint64_t cpus = shootdown_targets(pml4, 0, false); /* lazy CPUs above all */
    if (!cpus)
        return;
    shootdown.cr3 = virt_to_phys(pml4);
    shootdown.full = false;
    shootdown.leave = true;
    shootdown.n = 0;
    shootdown_send(cpus); /* never skipped: a CPU would run on freed page tables */
}
