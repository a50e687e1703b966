/*
 * mm/paging.h - 4-level page tables (SDM Vol 3A §4.5).
 *
 * A 48-bit virtual address is cut into four 9-bit table indexes and a
 * 12-bit offset:
 *
 *   47      39 38      30 29      21 20      12 11         0
 *  +----------+----------+----------+----------+------------+
 *  | PML4 idx | PDPT idx |  PD idx  |  PT idx  |   offset   |
 *  +----------+----------+----------+----------+------------+
 *   level 4     level 3    level 2    level 1
 *
 * CR3 holds the physical address of the PML4. A PDPT entry with PS=1 maps
 * a 1 GiB page, a PD entry with PS=1 a 2 MiB page.
 *
 * Entry bits (SDM Vol 3A §4.5, one table per kind of entry). A PTE, which
 * maps a 4 KiB page:
 *
 *   63  62:59  58:52  51:12                  11:9   8   7  6  5   4   3   2  1  0
 *  +--+------+------+-----------------------+-----+--+---+--+--+---+---+---+--+--+
 *  |XD| PKEY | avail| physical frame address|avail| G|PAT| D| A|PCD|PWT|U/S|RW| P|
 *  +--+------+------+-----------------------+-----+--+---+--+--+---+---+---+--+--+
 *
 * PKEY: the protection key if CR4.PKE = 1 (Pagewise leaves it off), else
 * ignored. avail: ignored by the MMU. Other levels differ in bits 6-8 and
 * 62:59:
 *   PDE/PDPTE mapping a 2 MiB/1 GiB page: 6 D, 7 PS = 1, 8 G, 12 PAT,
 *     62:59 PKEY; the address starts at bit 21/30.
 *   PDE/PDPTE pointing to a table: 6 ignored, 7 PS = 0, 8 ignored.
 *   PML4E: 6 ignored, 7 reserved (must be 0), 8 ignored.
 *   Every entry that points to a table: 11:9 and 62:52 ignored.
 */
#ifndef PAGEWISE_MM_PAGING_H
#define PAGEWISE_MM_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/memlayout.h"

typedef uint64_t pte_t;

/* Where va's entry sits in its page table (bits 20:12). */
static inline unsigned pte_index(uintptr_t va) { return (va >> PAGE_SHIFT) & (PT_ENTRIES - 1); }

#define PTE_P (1ul << 0)   /* present */
#define PTE_RW (1ul << 1)  /* writable (CR0.WP: also for the kernel) */
#define PTE_US (1ul << 2)  /* user accessible */
#define PTE_PWT (1ul << 3) /* write-through */
#define PTE_PCD (1ul << 4) /* cache disable */
#define PTE_A (1ul << 5)   /* accessed: set by the CPU on any use */
#define PTE_D (1ul << 6)   /* dirty: set by the CPU on a write */
#define PTE_PS (1ul << 7)  /* page size: a 2 MiB/1 GiB leaf (PD/PDPT; PAT in a PTE) */
#define PTE_G (1ul << 8)   /* global: survives CR3 writes (CR4.PGE) */
#define PTE_XD (1ul << 63) /* execute disable (Linux: _PAGE_NX; EFER.NXE) */
/* Software bit (ignored by the MMU, SDM Table 4-19 "Ignored"): the page of
 * a PROT_NONE VMA. P is clear so every access faults, but the frame stays
 * (Linux: _PAGE_PROTNONE). */
#define PTE_PROTNONE (1ul << 8) /* = PTE_G's position, as Linux: G means nothing when P = 0 */
/* Software bit (SDM: "Ignored", bit 9 of a PTE): the frame is a device's,
 * mapped by a VM_PFNMAP VMA (mm/pfnmap.c), and has no struct page: every
 * path that would look up the frame's descriptor (reference counts, the
 * reverse map, reclaim, the direct map) must skip it (Linux:
 * _PAGE_SPECIAL, pte_special, vm_normal_page). Swap entries use bit 9
 * too, but they have neither P nor PROTNONE set. */
#define PTE_SPECIAL (1ul << 9)
#define PTE_ADDR_MASK 0x000ffffffffff000ul
#define PTE_FLAGS_MASK (~PTE_ADDR_MASK)

/* Does this PTE map a device frame (present or PROT_NONE), which has no
 * struct page? (A swap entry's bit 9 is part of its slot number.) */
static inline bool pte_special(pte_t e) { return (e & PTE_SPECIAL) && (e & (PTE_P | PTE_PROTNONE)); }

/*
 * Changing a live PTE. On every CPU that runs a thread of the address
 * space, the page walker sets the Accessed and Dirty bits of an entry in
 * memory, with a locked read-modify-write (SDM Vol 3A §4.8), at any
 * moment: the big kernel lock does not stop it. A kernel read of a PTE
 * followed by a plain store of a value computed from it loses a Dirty bit
 * set in between, and with it a write (reclaim would keep the old copy on
 * swap: docs/smp.md, "Races the BKL does not prevent"). So a present PTE
 * that another CPU may be using is changed by one atomic instruction, and
 * the old value it returns is the one that counts (Linux:
 * ptep_get_and_clear, ptep_set_wrprotect, ptep_test_and_clear_young).
 */
/* Store new, return what was there. */
static inline pte_t pte_xchg(pte_t *e, pte_t new) { return __atomic_exchange_n(e, new, __ATOMIC_SEQ_CST); }
/* Clear bits, return the old value. */
static inline pte_t pte_clear_bits(pte_t *e, pte_t bits) { return __atomic_fetch_and(e, ~bits, __ATOMIC_SEQ_CST); }
/* Set the entry to (old & keep) | set, return the old value. */
static inline pte_t pte_modify(pte_t *e, pte_t keep, pte_t set)
{
    pte_t old = __atomic_load_n(e, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(e, &old, (old & keep) | set, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        ;
    return old;
}

#define PT_LEVELS 4
#define PML4_KERNEL_FIRST 256 /* entries 256..511: the kernel half */

/* Build the kernel's page tables (direct map, kernel image by section,
 * no identity map), load CR3, then free the high RAM. Called from kmain
 * after pmm_init and cpu_init. */
void paging_init(void);
/* The kernel's PML4 (kernel virtual address). */
pte_t *paging_kernel_pml4(void);

/* The entry mapping va: a PT entry (*level = 1) or a large-page entry
 * (*level 2 or 3). With create, missing tables are allocated. Returns
 * NULL if a table is missing (or cannot be allocated). */
pte_t *paging_walk(pte_t *pml4, uintptr_t va, bool create, int *level);
/* Map the 4 KiB page at va to pa with flags (PTE_RW, PTE_US, PTE_XD,
 * PTE_G; P is implied). Returns 0, -ENOMEM (no frame for a table) or
 * -EEXIST (va already mapped). No TLB flush needed: va was not present. */
int paging_map(pte_t *pml4, uintptr_t va, uint64_t pa, uint64_t flags);
/* Remove the 4 KiB mapping at va, flush it from the TLB, free page tables
 * left empty. The frame is not freed: its address goes to *pa if not
 * NULL. Returns 0 or -EINVAL (not mapped by a 4 KiB page). */
int paging_unmap(pte_t *pml4, uintptr_t va, uint64_t *pa);
/* paging_unmap without the flush: the caller flushes a batch afterwards,
 * here and on the other CPUs (mm/tlb.h), before the frame is reused. */
int paging_unmap_noflush(pte_t *pml4, uintptr_t va, uint64_t *pa);
/* Replace the flags of the 4 KiB mapping at va and flush it. With
 * PTE_PROTNONE in flags the page becomes not present but keeps its frame.
 * Returns 0 or -EINVAL (not mapped). */
int paging_protect(pte_t *pml4, uintptr_t va, uint64_t flags);
/* paging_protect flushing this CPU only: the caller shoots the whole range
 * down afterwards (mm/tlb.h), one IPI per mprotect instead of one per
 * page. Returns 1 if the entry was present (a TLB may hold it), 0 if
 * not, -EINVAL. */
int paging_protect_local(pte_t *pml4, uintptr_t va, uint64_t flags);
/* Remove every 4 KiB mapping in [start, end), calling put(old PTE, va, arg)
 * for each frame, free the tables left empty, and flush the range once.
 * Returns the number of pages unmapped. */
uint64_t paging_unmap_range(pte_t *pml4, uintptr_t start, uintptr_t end,
                            void (*put)(pte_t old, uintptr_t va, void *arg), void *arg);
/* Skip the parts of [*va, end) that have no page table: returns the PT
 * entry for *va (advanced to the first address whose PT exists; the entry
 * itself may be empty), or NULL when no PT is left below end. For loops
 * over huge, mostly empty ranges (MADV_PAGEOUT, vm_check). */
pte_t *paging_next_pte(pte_t *pml4, uintptr_t *va, uintptr_t end);
/* The same, but page tables left empty stay: for an address space about
 * to be destroyed, whose tables paging_destroy_pml4 frees in one go
 * (checking each table for emptiness once per VMA cost a small process's
 * exit 10,000 instructions; Linux too unmaps first, then free_pgtables). */
uint64_t paging_zap_range(pte_t *pml4, uintptr_t start, uintptr_t end,
                          void (*put)(pte_t old, uintptr_t va, void *arg), void *arg);
/* A new PML4 for a user address space: user half empty, kernel half
 * (entries 256..511) copied from the kernel's. NULL if out of memory. */
pte_t *paging_create_pml4(void);
/* Free a PML4 made by paging_create_pml4 and every table still under it:
 * they are on a list headed in the PML4's frame descriptor, so nothing is
 * scanned (scanning 512 entries a table cost a small process's exit
 * 18,000 instructions). Its pages must already be unmapped; it must not
 * be in CR3. */
void paging_destroy_pml4(pte_t *pml4);
/* How many page tables a user PML4 has below it (PDPTs, PDs and PTs, not
 * the PML4 itself: Linux's mm_pgtables_bytes / PAGE_SIZE). O(1). */
uint64_t paging_nr_tables(pte_t *pml4);
/* vm_check's audit of a user PML4's table list: are the tables on it
 * exactly the ones its user half reaches (each a PG_pgtable frame), and
 * is its count (paging_nr_tables) right? Returns that, with both counts. */
bool paging_audit_tables(pte_t *pml4, uint64_t *reachable, uint64_t *listed);
/* Physical address va translates to, as the MMU would find it. */
bool paging_translate(pte_t *pml4, uintptr_t va, uint64_t *pa);
/* Is the kernel address va mapped in the current address space? (For
 * the panic code, which must not fault while printing a backtrace.) */
bool paging_kernel_addr_mapped(uintptr_t va);

#endif
