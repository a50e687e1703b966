/*
 * mm/rmap.c - the reverse map, one short list per user frame (Linux
 * uses anon_vma chains to share this work between pages of a VMA; a list
 * per frame is the same idea with nothing hidden).
 */
#include "mm/rmap.h"

#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/kmalloc.h"
#include "mm/swap.h"
#include "mm/vmscan.h"

int rmap_add(struct page *page, struct mm *mm, uintptr_t va)
{
    struct rmap_item *r = kmalloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->mm = mm;
    r->va = va;
    r->next = page->rmap;
    page->rmap = r;
    page_get(page);
    if (!(page->flags & PG_lru)) { /* now a user page: reclaim may consider it */
        page->flags |= PG_lru;
        lru_add(page);
    }
    return 0;
}

void rmap_remove(struct page *page, struct mm *mm, uintptr_t va)
{
    for (struct rmap_item **pp = (struct rmap_item **)&page->rmap; *pp; pp = &(*pp)->next) {
        struct rmap_item *r = *pp;
        if (r->mm == mm && r->va == va) {
            *pp = r->next;
            kfree(r);
            if (!page->rmap && (page->flags & PG_lru)) {
                page->flags &= ~PG_lru;
                lru_del(page);
            }
            /* Unmapped, in the swap cache, and no swap entry names its slot:
             * the copy on disk is of no use to anyone. */
            if (!page->rmap && (page->flags & PG_swapcache))
                swap_cache_trim(page);
            page_put(page);
            return;
        }
    }
    panic("rmap: frame %#lx has no mapping at %#lx", page_to_phys(page), va);
}

unsigned rmap_count(const struct page *page)
{
    unsigned n = 0;
    for (const struct rmap_item *r = page->rmap; r; r = r->next)
        n++;
    return n;
}
