/*
 * mm/tlb.h - keeping the TLB honest.
 *
 * The x86-64 TLB is filled by the hardware page walker and is never
 * updated when software changes a page-table entry (SDM Vol 3A §4.10.4).
 * So after a live entry changes (unmapped, made read-only, pointed at
 * another frame) its cached translation must be invalidated:
 *   invlpg addr        one page (and paging-structure caches for it)
 *   write CR3          every non-global entry
 *   toggle CR4.PGE     every entry, global ones too
 * A new mapping of a page that was not present needs no flush: the TLB
 * does not cache not-present translations.
 */
#ifndef PAGEWISE_MM_TLB_H
#define PAGEWISE_MM_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/paging.h"

/* Above this many pages a range flush becomes a full flush, as Linux's
 * tlb_single_page_flush_ceiling (33). */
#define TLB_FLUSH_CEILING 33

/* This CPU's TLB only. */
void tlb_flush_page(uintptr_t va);
void tlb_flush_range(uintptr_t start, uintptr_t end);
/* Flush everything, global kernel entries included. */
void tlb_flush_all(void);

/*
 * The other CPUs' TLBs (the shootdown). Each call makes every other CPU
 * that may hold a translation of pml4 for the addresses flush it, and
 * returns once they all did: those with pml4 in CR3 (its cpumask), or
 * every CPU for kernel addresses. The caller flushes its own TLB (the
 * calls above) and holds the big kernel lock. Nothing to do with one CPU.
 */
/* [start, end): page by page, or everything above TLB_FLUSH_CEILING pages. */
void tlb_shootdown_range(pte_t *pml4, uintptr_t start, uintptr_t end);
/* The same, when page tables of the range were freed too: CPUs in lazy
 * TLB mode are not skipped (their paging-structure caches may point at
 * the freed tables). */
void tlb_shootdown_range_tables(pte_t *pml4, uintptr_t start, uintptr_t end);
void tlb_shootdown_page(pte_t *pml4, uintptr_t va);
/* n scattered pages (fork's batch), or everything if full. */
void tlb_shootdown_pages(pte_t *pml4, const uintptr_t *va, unsigned n, bool full);
/* pml4 is about to be freed: a CPU that still has it in CR3 (lazily: its
 * idle task or a kernel thread runs there) loads the kernel's PML4. */
void tlb_shootdown_leave(pte_t *pml4);
/* INVALIDATE_TLB_VECTOR arrived: answer, EOI. Runs without the BKL. */
void tlb_shootdown_interrupt(void);
/* Answer a request aimed at this CPU, if there is one: the interrupt, and
 * the BKL's spin loop (kernel/bkl.c), which may spin with interrupts off. */
void tlb_shootdown_answer(void);
/* This CPU leaves the PML4 at old_cr3 for the one at new_cr3 (physical
 * addresses): move its bit between their cpumasks. mm_switch calls it. */
void tlb_cpumask_switch(uint64_t old_cr3, uint64_t new_cr3);
/* The scheduler switches to a task: with_mm false (idle, a kernel thread)
 * enters lazy TLB mode; true leaves it, flushing this CPU's TLB first if a
 * shootdown skipped it meanwhile and the same tables stay loaded (else
 * the CR3 write about to happen flushes). Called before mm_switch. */
void tlb_lazy_switch(bool with_mm, uint64_t next_cr3);
/* CPUs that have not answered the last shootdown yet: always 0 once the
 * sender returned (vm_check checks it after every mm event). */
uint64_t tlb_shootdown_unanswered(void);
/* Read the tlb_noshootdown option (kmain). */
void tlb_shootdown_init(void);

#endif
