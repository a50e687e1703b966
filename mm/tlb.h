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

#include <stdint.h>

/* Above this many pages a range flush becomes a full flush, as Linux's
 * tlb_single_page_flush_ceiling (33). */
#define TLB_FLUSH_CEILING 33

void tlb_flush_page(uintptr_t va);
void tlb_flush_range(uintptr_t start, uintptr_t end);
/* Flush everything, global kernel entries included. */
void tlb_flush_all(void);

#endif
