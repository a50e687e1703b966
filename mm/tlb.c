/* mm/tlb.c - see tlb.h. Every flush is counted for /proc/vmstat. */
#include "mm/tlb.h"

#include "kernel/x86.h"
#include "mm/memlayout.h"
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

void tlb_flush_all(void)
{
    bool irqs = irq_save();
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE); /* SDM Vol 3A §4.10.4.1: flushes globals */
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
    count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
    irq_restore(irqs);
}
