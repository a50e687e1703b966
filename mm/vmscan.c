/*
 * mm/vmscan.c - page reclaim with a clock (second chance), kswapd, and
 * the allocation of user frames (which reclaims first when memory is low,
 * and asks the OOM killer, mm/oom_kill.c, as the last resort).
 *
 * Every user frame is on one list, in the order it was first mapped
 * (mm/rmap.c adds it). The clock hand is the head of that list:
 *
 *   take the head page
 *     any PTE mapping it has the Accessed bit set?   (found through the rmap)
 *       yes: clear the bits (invlpg where the mapping is live), move the
 *            page to the tail: a second chance
 *       no:  the victim. A clean copy of the program file (not PG_anon:
 *            mm/page.h) is just unmapped (a fault reads it again from the
 *            initrd); anything else is written to a swap slot and every
 *            PTE becomes a swap entry.
 *
 * FIFO takes the head without looking at Accessed; random takes any page.
 *
 * The list has its own spinlock, lru_lock (Linux's lruvec lock): held
 * while a page joins or leaves it and while the hand moves. The victim
 * stays valid after the lock is given back because the caller holds the
 * big kernel lock until reclaim_page pins it (Linux instead isolates the
 * page from the list with a reference, under the lock).
 */
#include "mm/vmscan.h"

#include "drivers/ata.h"
#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/fault.h"
#include "mm/mm.h"
#include "mm/oom_kill.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/tlb.h"
#include "mm/vmcheck.h"
#include "mm/vmstat.h"

#define OOM_RETRIES 100

static struct lock_class lru_lock_class = LOCK_CLASS_INIT("lru_lock");

static struct {
    struct spinlock lock; /* lru and nr_lru */
    struct list_head lru; /* user frames, oldest first */
    uint64_t nr_lru;
    const struct reclaim_policy *policy;
    struct wait_queue kswapd_wait;
    bool kswapd_ready, kswapd_running;
} vm = {.lock = SPINLOCK_INIT(&lru_lock_class)};

void lru_add(struct page *p)
{
    spin_lock(&vm.lock);
    list_add_tail(&p->lru, &vm.lru);
    vm.nr_lru++;
    spin_unlock(&vm.lock);
}

void lru_del(struct page *p)
{
    spin_lock(&vm.lock);
    list_del(&p->lru);
    vm.nr_lru--;
    spin_unlock(&vm.lock);
}

void lru_replace(struct page *old, struct page *new)
{
    spin_lock(&vm.lock);
    new->lru.next = old->lru.next;
    new->lru.prev = old->lru.prev;
    new->lru.next->prev = &new->lru;
    new->lru.prev->next = &new->lru;
    old->lru.next = old->lru.prev = NULL;
    spin_unlock(&vm.lock);
}

/* The policy's next victim, the hand moved under lru_lock; NULL if none. */
static struct page *lru_pick_victim(void)
{
    spin_lock(&vm.lock);
    struct page *p = vm.policy->pick();
    spin_unlock(&vm.lock);
    return p;
}

const struct list_head *lru_list(void) { return &vm.lru; }
uint64_t lru_size(void) { return vm.nr_lru; }

/* Is mm loaded on this CPU? (Other CPUs: mm/tlb.c's shootdown.) */
static bool mm_is_live(const struct mm *mm) { return (read_cr3() & PTE_ADDR_MASK) == virt_to_phys(mm->pml4); }

static void clear_young_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *young)
{
    /* LAB clock/clear_young_one: the clock lab removes the code from here to END LAB (docs/labs/clock.md). */
    (void)p;
    if (*e & PTE_A) {
        pte_clear_bits(e, PTE_A); /* atomic: another CPU may be setting D */
        *(bool *)young = true;
        /* Optional (Linux on x86 skips it): a cached entry would not set A
         * again, so the page would only look idler than it is. Other CPUs
         * are not asked: a shootdown per page aged would cost far more. */
        if (mm_is_live(vma->mm))
            tlb_flush_page(va);
    }
    /* END LAB clock/clear_young_one */
}

/* Was p used since the hand last passed? Clears the Accessed bits. */
static bool test_and_clear_young(struct page *p)
{
    bool young = false;
    rmap_walk(p, clear_young_one, &young);
    return young;
}

/* Pages reclaim can take: mapped, not under I/O, and not pinned (a pin
 * means some path is about to map or copy it). */
static bool reclaimable(const struct page *p) { return p->mapcount && !(p->flags & PG_locked) && !p->pincount; }

static struct page *pick_clock(void)
{
    /* LAB clock/pick_clock: the clock lab removes the code from here to END LAB (docs/labs/clock.md). */
    for (uint64_t n = 0; n < 2 * vm.nr_lru + 1 && !list_empty(&vm.lru); n++) {
        struct page *p = list_first_entry(&vm.lru, struct page, lru);
        list_del(&p->lru);
        list_add_tail(&p->lru, &vm.lru); /* the hand moves on */
        count_vm_event(NR_PGSCAN);
        if (reclaimable(p) && !test_and_clear_young(p))
            return p;
    }
    return NULL;
    /* END LAB clock/pick_clock */
}

static struct page *pick_fifo(void)
{
    struct list_head *pos;
    list_for_each(pos, &vm.lru) {
        struct page *p = list_entry(pos, struct page, lru);
        count_vm_event(NR_PGSCAN);
        if (reclaimable(p)) {
            list_del(&p->lru);
            list_add_tail(&p->lru, &vm.lru);
            return p;
        }
    }
    return NULL;
}

static struct page *pick_random(void)
{
    if (!vm.nr_lru)
        return NULL;
    uint64_t skip;
    random_bytes(&skip, sizeof(skip));
    skip %= vm.nr_lru;
    struct list_head *pos = vm.lru.next;
    while (skip--)
        pos = pos->next;
    for (uint64_t n = 0; n < vm.nr_lru; n++, pos = pos->next) {
        if (pos == &vm.lru)
            pos = pos->next;
        struct page *p = list_entry(pos, struct page, lru);
        count_vm_event(NR_PGSCAN);
        if (reclaimable(p))
            return p;
    }
    return NULL;
}

static const struct reclaim_policy policies[] = {
    {"clock", pick_clock},
    {"fifo", pick_fifo},
    {"random", pick_random},
};

void reclaim_init(const char *name)
{
    list_init(&vm.lru);
    vm.policy = &policies[0];
    for (unsigned i = 0; name && i < ARRAY_SIZE(policies); i++)
        if (strcmp(name, policies[i].name) == 0)
            vm.policy = &policies[i];
    pr_info("reclaim: page replacement policy: %s (reclaim=clock|fifo|random)\n", vm.policy->name);
}

/* A clean copy of the program file can be dropped: the next fault copies
 * it from the initrd again. That is a page state (mm/page.h): a private
 * page that is not anonymous was never written, copied or swapped, so
 * it still equals the file (no PTE Dirty bit is trusted for this). */
static bool droppable(const struct page *p) { return !(p->flags & PG_anon) && !p->shm_owner; }

/* What unmap_one puts in place of each PTE: 0, or the swap entry of slot. */
struct unmap_args {
    pte_t new_pte;
    uint64_t slot;
};

static void unmap_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *arg)
{
    const struct unmap_args *u = arg;
    /* One atomic exchange: a thread on another CPU may set D up to this
     * instant, and that write must reach the disk (reclaim_page). */
    if (pte_xchg(e, u->new_pte) & PTE_D)
        p->flags |= PG_dirty;
    if (mm_is_live(vma->mm))
        tlb_flush_page(va);
    tlb_shootdown_page(vma->mm->pml4, va); /* before the disk write starts */
    if (u->slot) {
        swap_slot_get(u->slot);
        vma->mm->swap_pages++;
    }
    vma->mm->rss--;
    rmap_remove(p);
}

/* Replace every PTE of p with new_pte (0, or a swap entry). */
static void unmap_all(struct page *p, pte_t new_pte, uint64_t slot)
{
    struct unmap_args u = {new_pte, slot};
    rmap_walk(p, unmap_one, &u);
    BUG_ON(p->mapcount); /* a mapping the walk cannot find would be a reverse-map bug */
}

/* Pages unmapped and locked, waiting to be written to consecutive slots
 * in one disk request (Linux clusters swap writes the same way). */
struct swap_batch {
    uint64_t first_slot;
    unsigned n;
    struct page *pages[ATA_MAX_PAGES];
};

/* After the write of p to slot (r: its result): unlock it and free the
 * frame if no one wants it in memory. True if the frame was freed. */
static bool finish_swap_out(struct page *p, uint64_t slot, int r)
{
    page_unlock(p);
    if (r) { /* the page stays, resident in the swap cache, the only good copy;
              * the failed mark makes its next reclaim take a new slot */
        pr_err("swap: writing slot %lu failed: the page stays in memory\n", slot);
        swap_slot_mark_failed(slot, true);
        swap_cache_trim(p); /* its owners may have exited meanwhile: then it goes (the slot is retired) */
        return false;
    }
    if (p->mapcount || p->pincount) /* someone faulted it back in, or is about to, while we wrote */
        return false;
    if (swap_slot_count(slot) == 0) { /* every entry went away while we wrote */
        swap_cache_trim(p);
        return true;
    }
    swap_cache_remove(p); /* frees the frame; the PTEs' entries keep the slot */
    return true;
}

/* Write the batch (one request) and finish each page. Returns the frames
 * freed. May sleep. */
static unsigned swap_batch_flush(struct swap_batch *b)
{
    unsigned freed = 0;
    if (!b->n)
        return 0;
    int r = swap_write_pages(b->first_slot, b->pages, b->n);
    for (unsigned i = 0; i < b->n; i++) {
        /* A failed cluster is written again page by page, so that only
         * the bad slot is retired and only its page stays in memory. */
        int ri = r && b->n > 1 ? swap_write_pages(b->first_slot + i, &b->pages[i], 1) : r;
        freed += finish_swap_out(b->pages[i], b->first_slot + i, ri);
    }
    b->n = 0;
    return freed;
}

/* Evict one page: drop a clean file copy, or unmap it (every PTE becomes a
 * swap entry) and queue it in b for writing. Returns the frames freed now:
 * those b holds are freed by swap_batch_flush, which this calls first when
 * p's slot does not extend b. May sleep (a flush). */
static unsigned reclaim_page(struct page *p, struct swap_batch *b)
{
    if (droppable(p)) {
        page_pin(p); /* keep it while unmapping */
        unmap_all(p, 0, 0);
        page_unpin(p); /* frees it */
        return 1;
    }
    if ((p->flags & PG_swapcache) && swap_slot_failed(p->swap_slot)) {
        if (swap_slot_count(p->swap_slot) > 0)
            return 0; /* entries still name the failed slot: they find the page here */
        swap_cache_remove(p); /* retires the slot; the page gets a new one below (PTEs hold it) */
    }
    uint64_t slot;
    unsigned entries = rmap_count(p) + (p->shm_owner != NULL); /* the slot's count grows by this */
    bool cached = p->flags & PG_swapcache; /* swapped in before: its slot may still hold the data */
    if (cached) {
        slot = p->swap_slot;
        if (!swap_slot_has_room(slot, entries))
            return 0;
    } else {
        if (entries > SWAP_MAP_MAX)
            return 0; /* mapped too often for one slot's count: it stays in memory */
        slot = swap_slot_alloc();
        if (!slot)
            return 0; /* swap full or absent */
        swap_cache_add(p, slot);
    }
    page_lock(p);
    unmap_all(p, swp_entry(0, slot), slot); /* PG_dirty now has every PTE's D bit */
    if (p->shm_owner) /* a shared memory page: its object names the slot too */
        shm_page_swapped_out(p, slot);
    /* Whether the copy on swap is stale is known only now that no PTE
     * maps the page: looking at the D bits before the unmap would miss a
     * write another CPU makes in between (docs/smp.md). */
    bool write = !cached || (p->flags & PG_dirty);
    p->flags &= ~PG_dirty; /* the disk copy is about to be the current one */
    if (!write)
        return finish_swap_out(p, slot, 0);
    unsigned freed = 0;
    if (b->n && (slot != b->first_slot + b->n || b->n == ata_max_pages()))
        freed = swap_batch_flush(b);
    if (!b->n)
        b->first_slot = slot;
    b->pages[b->n++] = p;
    return freed;
}

unsigned try_to_free_pages(unsigned n)
{
    struct swap_batch b = {.n = 0};
    unsigned freed = 0;
    for (unsigned tries = 0; freed + b.n < n && tries < 4 * n; tries++) {
        struct page *p = lru_pick_victim();
        if (!p)
            break;
        freed += reclaim_page(p, &b);
    }
    freed += swap_batch_flush(&b);
    count_vm_events(NR_PGSTEAL, freed);
    vm_check_after("reclaim");
    return freed;
}

void reclaim_range(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct swap_batch b = {.n = 0};
    unsigned freed = 0;
    for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
        pte_t *e = paging_next_pte(mm->pml4, &va, end); /* walked again each time: we may sleep */
        if (!e)
            break;
        if (!(*e & (PTE_P | PTE_PROTNONE)) || pte_special(*e))
            continue; /* nothing there, a swap entry, or a device frame (never reclaimed) */
        struct page *p = phys_to_page(*e & PTE_ADDR_MASK);
        /* Linux: "do not interfere with other mappings of this page" */
        if (!reclaimable(p) || !rmap_single(p))
            continue;
        if (!droppable(p) && !swap_active())
            continue; /* anonymous and shared pages need a swap area */
        freed += reclaim_page(p, &b);
    }
    freed += swap_batch_flush(&b);
    count_vm_events(NR_PGSTEAL, freed);
    vm_check_after("madvise(MADV_PAGEOUT)");
}

/* kswapd: sleeps until an allocation finds free frames below WMARK_LOW,
 * then reclaims until WMARK_HIGH are free, so that most faults find a
 * frame without reclaiming themselves. */
static void kswapd(void *unused)
{
    (void)unused;
    for (;;) {
        while (pmm_nr_free() < WMARK_HIGH && swap_free_pages() > 0)
            if (try_to_free_pages(SWAP_CLUSTER) == 0)
                break;
        vm.kswapd_running = false;
        sleep_on(&vm.kswapd_wait);
    }
}

void kswapd_start(void)
{
    wait_queue_init(&vm.kswapd_wait);
    if (kthread_create(kswapd, NULL, "kswapd"))
        vm.kswapd_ready = true;
}

static void wake_kswapd(void)
{
    if (vm.kswapd_ready && !vm.kswapd_running) {
        vm.kswapd_running = true;
        wake_up(&vm.kswapd_wait);
    }
}

struct page *alloc_user_page(void)
{
    uint64_t free = pmm_nr_free();
    if (free < WMARK_LOW)
        wake_kswapd();
    if (free > WMARK_MIN) { /* the fast path: plenty free */
        struct page *p = pmm_alloc(0);
        if (p)
            return page_pin_new(p);
    }
    for (int attempt = 0; attempt < OOM_RETRIES; attempt++) {
        if (pmm_nr_free() > WMARK_MIN) { /* the rest is the kernel's reserve */
            struct page *p = pmm_alloc(0);
            if (p)
                return page_pin_new(p);
        }
        if (try_to_free_pages(SWAP_CLUSTER) > 0)
            continue;
        if (current && ((current->sig_pending | current->group->sig_pending) & SIG_BIT(SIGKILL)))
            return NULL; /* we are the one dying: give up at once */
        if (attempt == 0 || attempt % 10 == 0) {
            if (!oom_kill()) { /* nothing to kill: dip into the reserve */
                struct page *p = pmm_alloc(0);
                return p ? page_pin_new(p) : NULL;
            }
        }
        if (current && ((current->sig_pending | current->group->sig_pending) & SIG_BIT(SIGKILL)))
            return NULL;
        schedule(); /* let the victim run to its exit */
    }
    return NULL;
}
