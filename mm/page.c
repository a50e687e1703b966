/*
 * mm/page.c - the page helpers: every change of a user frame's holders
 * goes through here, so the ownership model of mm/page.h holds by
 * construction and mm/vmcheck.c can prove it.
 *
 * Who calls what:
 *   page_get / page_put      rmap_add / rmap_remove (a PTE), swap_cache_add /
 *                            swap_cache_remove (the swap cache), mm/shm.c
 *                            (the object's hold on its pages)
 *   page_pin / page_unpin    alloc_user_page's caller, swap_in, do_wp_page,
 *                            reclaim while it drops a clean file copy
 *   page_lock / page_unlock  the swap I/O paths (PG_locked while the disk
 *                            transfers the frame)
 */
#include "mm/page.h"

#include "kernel/panic.h"
#include "kernel/sched.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/swap.h"

static struct wait_queue page_waiters; /* tasks in page_wait_unlocked */

void page_init(void) { wait_queue_init(&page_waiters); }

void page_free_last(struct page *p)
{
    /* The last holder: nothing may still name the frame. */
    BUG_ON(p->mapcount || (p->flags & (PG_swapcache | PG_lru | PG_locked)) || p->shm_owner || p->pincount);
    if (p->anon_vma)
        anon_vma_page_gone(p);
    pmm_free(p, 0);
}

bool page_exclusive(const struct page *p)
{
    if (p->shm_owner || p->pincount || !rmap_single(p))
        return false;
    return !(p->flags & PG_swapcache) || swap_slot_count(p->swap_slot) == 0;
}

bool page_anon_exclusive(const struct page *p) { return (p->flags & PG_anon) && page_exclusive(p); }

void page_lock(struct page *p)
{
    BUG_ON(p->flags & PG_locked); /* one transfer at a time per frame */
    p->flags |= PG_locked;
}

void page_unlock(struct page *p)
{
    p->flags &= ~PG_locked;
    wake_up(&page_waiters);
}

void page_wait_unlocked(struct page *p)
{
    BUG_ON(p->pincount == 0); /* else the frame could be freed while we sleep */
    while (p->flags & PG_locked)
        sleep_on(&page_waiters);
}
