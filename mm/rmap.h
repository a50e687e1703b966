/*
 * mm/rmap.h - the reverse map: for a user frame, every (address space,
 * virtual address) that maps it. Copy-on-write needs the count; reclaim
 * (the swapping issue) needs the list, to find and rewrite every PTE of a
 * victim frame.
 *
 *   struct page (frame) --rmap--> [mm A, 0x601000] -> [mm B, 0x601000] -> NULL
 *                   refcount = 2: two mappings
 */
#ifndef PAGEWISE_MM_RMAP_H
#define PAGEWISE_MM_RMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/page.h"

struct mm;

struct rmap_item {
    struct mm *mm;
    uintptr_t va;
    struct rmap_item *next;
};

/* Record that mm maps page at va; takes a reference on the page.
 * Returns 0 or -ENOMEM. */
int rmap_add(struct page *page, struct mm *mm, uintptr_t va);
/* Forget that mapping and drop its reference; frees the frame when it
 * was the last. Called whenever a user PTE stops pointing at the page. */
void rmap_remove(struct page *page, struct mm *mm, uintptr_t va);
/* How many mappings the page has. */
unsigned rmap_count(const struct page *page);
/* Exactly one mapping? (rmap_count == 1 without walking the list.) */
static inline bool rmap_single(const struct page *page)
{
    return page->rmap && !((const struct rmap_item *)page->rmap)->next;
}

#endif
