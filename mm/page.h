/*
 * mm/page.h - struct page: one descriptor per physical 4 KiB frame, in
 * one array indexed by frame number (Linux's mem_map / vmemmap):
 *
 *   frame_table[pfn]  <->  physical pfn << 12  <->  virtual PAGE_OFFSET + phys
 *
 * RAM only: a device's frames (video RAM mapped into a process, a
 * VM_PFNMAP VMA) have no descriptor and are not in the direct map. Their
 * PTEs carry PTE_SPECIAL, and no code may phys_to_page one (mm/pfnmap.c).
 *
 * Who uses which fields:
 *   buddy allocator  flags PG_buddy, order, lru (free-list link); a free
 *                    frame in the order-0 cache: PG_pcp, lru (its list)
 *   kmalloc          flags PG_slab, slab.*, lru (partial-slab list)
 *   page tables      flags PG_pgtable, lru (the list of an address space's
 *                    tables, headed in its PML4's descriptor: mm/paging.c)
 *   user memory      refcount, pincount, mapcount, anon_vma/index (the
 *                    reverse map), lru (reclaim's list), swap_slot,
 *                    shm_owner/shm_index, PG_anon ... PG_dirty
 *
 * ---- The ownership model of a user frame (docs/page-lifecycle.md) ----
 *
 * refcount counts every holder of the frame, and nothing else:
 *
 *   refcount = mappings   one per PTE that maps it (mapcount; mm/rmap.h finds them)
 *            + 1 if PG_swapcache  (the swap cache's slot -> frame link)
 *            + 1 if shm_owner     (a shared memory object owns it)
 *            + pincount           (transient holds by code that may sleep)
 *
 * and the frame goes back to the buddy allocator when the last holder lets
 * go: page_put. Nothing else writes refcount (pmm.c sets it for a new or
 * freed block). mm/vmcheck.c recounts every holder and compares.
 *
 * A pin is a reference held by a path that has the frame in hand but no
 * PTE for it yet, or that must keep it across a sleep: alloc_user_page
 * returns a pinned frame; the swap-in and copy-on-write paths pin the frame
 * they wait on or copy from. A pinned frame is never reclaimed, and it is
 * never "exclusive" (someone is about to map it or is reading it).
 *
 * Which private pages may be writable? Only a page that is exclusively
 * ours: page_anon_exclusive() (Linux: PageAnonExclusive and
 * can_change_pte_writable). Every path that sets PTE_RW on a private page
 * asks it: the write-protect fault (reuse or copy), swap-in, mprotect;
 * fork makes every private page non-exclusive.
 *
 * Does a page differ from where it came from? PG_anon says so, as page
 * state, not as a PTE bit (a PTE's Dirty bit dies with the PTE and is clear
 * in a PTE made by swap-in). A private page is anonymous when it was
 * zero-filled, written, copied on write, or read back from swap. Only a
 * private page that is not anonymous is a clean copy of the program file,
 * and only such a page may be dropped by reclaim instead of swapped.
 *
 *   a user frame is exactly one of:
 *     private anonymous  PG_anon             (swapped when reclaimed)
 *     private file copy  !PG_anon, no owner  (never writable; dropped)
 *     shared             shm_owner != NULL   (swapped; the object names the slot)
 *     in transit         only the swap cache and/or pins hold it
 */
#ifndef PAGEWISE_MM_PAGE_H
#define PAGEWISE_MM_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/list.h"
#include "kernel/panic.h"
#include "mm/memlayout.h"

enum page_flags {
    PG_reserved = 1u << 0,  /* never allocatable: firmware, kernel image */
    PG_buddy = 1u << 1,     /* first frame of a free block in the buddy lists */
    PG_slab = 1u << 2,      /* a kmalloc slab */
    PG_pgtable = 1u << 3,   /* holds a page table */
    PG_head = 1u << 4,      /* first frame of an allocated multi-frame block */
    PG_locked = 1u << 5,    /* disk I/O in progress: wait before using it */
    PG_swapcache = 1u << 6, /* in the swap cache: swap_slot holds its copy */
    PG_lru = 1u << 7,       /* a mapped user page, on reclaim's list (lru) */
    PG_dirty = 1u << 8,     /* written through a PTE that is gone: the swap copy is stale */
    PG_anon = 1u << 9,      /* private, and differs from any file: swap it, never drop it */
    PG_pcp = 1u << 10,      /* a free frame in the order-0 cache (mm/pmm.c), not the buddy lists */
};

struct shm_object;

struct page {
    uint32_t flags;
    uint8_t order;     /* block order, valid with PG_buddy or PG_head */
    uint16_t pincount; /* transient holds (see above) */
    int32_t refcount;  /* every holder (see above); 0 when free */
    int32_t mapcount;  /* PTEs that map it (the first term of refcount) */
    struct list_head lru;
    union {
        struct {
            void *freelist; /* first free object */
            uint16_t inuse; /* objects handed out */
            uint16_t size_class;
        } slab;
        struct {                       /* a private user page (mm/rmap.h): */
            struct anon_vma *anon_vma; /* the object whose VMAs may map it */
            uint64_t index;            /* its virtual address in them */
        };
        struct {                /* a PML4 (PG_pgtable): */
            uint64_t nr_tables; /* the tables on its list (mm/paging.c) */
            uint64_t cpumask;   /* CPUs that have it in CR3 (mm/tlb.c; Linux: mm_cpumask) */
        };
    };
    uint64_t swap_slot;           /* with PG_swapcache */
    struct shm_object *shm_owner; /* a shared memory object holds this frame, */
    uint32_t shm_index;           /* as its page shm_index */
};

extern struct page *frame_table;

static inline uint64_t page_to_pfn(const struct page *p) { return (uint64_t)(p - frame_table); }
static inline struct page *pfn_to_page(uint64_t pfn) { return &frame_table[pfn]; }
static inline uint64_t page_to_phys(const struct page *p) { return page_to_pfn(p) << PAGE_SHIFT; }
static inline struct page *phys_to_page(uint64_t pa) { return pfn_to_page(pa >> PAGE_SHIFT); }

/* The direct map: kernel logical addresses (virt = phys + PAGE_OFFSET). */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + PAGE_OFFSET); }
static inline uint64_t virt_to_phys(const void *va) { return (uint64_t)va - PAGE_OFFSET; }
static inline void *page_to_virt(const struct page *p) { return phys_to_virt(page_to_phys(p)); }
static inline struct page *virt_to_page(const void *va) { return phys_to_page(virt_to_phys(va)); }

/* ---- the page helpers (mm/page.c): the only code that changes refcount ---- */

/* They are inline: every fault passes through them several times (the
 * copy-on-write benchmark lost 7 % to the calls). */

/* The last holder let go: check that nothing names the frame, free it. */
void page_free_last(struct page *p);

/* One more holder: a mapping, the swap cache or an shm object. */
static inline void page_get(struct page *p)
{
    BUG_ON(p->refcount <= 0); /* a free frame cannot gain a holder */
    p->refcount++;
}

/* One holder fewer; the last one frees the frame (it must then be
 * unmapped, out of the swap cache and unowned). */
static inline void page_put(struct page *p)
{
    BUG_ON(p->refcount <= 0);
    if (--p->refcount == 0)
        page_free_last(p);
}

/* A frame fresh from pmm_alloc (refcount 1: the caller's) becomes a
 * pinned user frame. Returns p. */
static inline struct page *page_pin_new(struct page *p)
{
    BUG_ON(p->refcount != 1 || p->pincount);
    p->pincount = 1;
    return p;
}

/* A transient hold (counted in pincount too), and its release. */
static inline void page_pin(struct page *p)
{
    page_get(p);
    p->pincount++;
}

/* The caller's pin becomes a mapping's reference (refcount unchanged):
 * rmap_add_new, for the first mapping of a fresh frame. */
static inline void page_pin_to_mapping(struct page *p)
{
    BUG_ON(p->pincount == 0);
    p->pincount--;
}

static inline void page_unpin(struct page *p)
{
    BUG_ON(p->pincount == 0);
    p->pincount--;
    page_put(p);
}

/* May this private page's PTE be writable? True only when nothing but the
 * one mapping can reach the frame: one PTE, no shm object, no pin, and if
 * it is in the swap cache, no swap entry naming its slot (a swapped-out
 * sharer would read it back from the cache). */
bool page_exclusive(const struct page *p);
/* ... and it is anonymous: the test for making a private PTE writable
 * without a copy (mprotect, swap-in). do_wp_page uses page_exclusive and
 * makes the page anonymous as it reuses it. */
bool page_anon_exclusive(const struct page *p);

/* PG_locked: a disk transfer of the frame is in flight. */
void page_lock(struct page *p);
void page_unlock(struct page *p);
/* Sleep until nobody does I/O on p. The caller holds a pin. */
void page_wait_unlocked(struct page *p);
/* Set up the wait queue (kmain, before any swapping). */
void page_init(void);

#endif
