/*
 * mm/page.h - struct page: one descriptor per physical 4 KiB frame, in
 * one array indexed by frame number (Linux's mem_map / vmemmap):
 *
 *   frame_table[pfn]  <->  physical pfn << 12  <->  virtual PAGE_OFFSET + phys
 *
 * Who uses which fields:
 *   buddy allocator  flags PG_buddy, order, lru (free-list link)
 *   kmalloc          flags PG_slab, slab.*, lru (partial-slab list)
 *   page tables      flags PG_pgtable
 *   user memory      refcount, rmap (the reverse map, filled in by the
 *                    user-process and swap work)
 */
#ifndef PAGEWISE_MM_PAGE_H
#define PAGEWISE_MM_PAGE_H

#include <stdint.h>

#include "kernel/list.h"
#include "mm/memlayout.h"

enum page_flags {
    PG_reserved = 1u << 0, /* never allocatable: firmware, kernel image */
    PG_buddy = 1u << 1,    /* first frame of a free block in the buddy lists */
    PG_slab = 1u << 2,     /* a kmalloc slab */
    PG_pgtable = 1u << 3,  /* holds a page table */
    PG_head = 1u << 4,     /* first frame of an allocated multi-frame block */
    PG_locked = 1u << 5,   /* disk I/O in progress: wait before using it */
    PG_swapcache = 1u << 6, /* in the swap cache: swap_slot holds its copy */
    PG_lru = 1u << 7,      /* a mapped user page, on reclaim's list (lru) */
    PG_dirty = 1u << 8,    /* written through a PTE that is gone: the swap copy is stale */
};

struct shm_object;

struct page {
    uint32_t flags;
    uint8_t order;    /* block order, valid with PG_buddy or PG_head */
    int32_t refcount; /* users of the frame; 0 when free */
    struct list_head lru;
    union {
        struct {
            void *freelist; /* first free object */
            uint16_t inuse; /* objects handed out */
            uint16_t size_class;
        } slab;
        void *rmap; /* reverse map head (mm/rmap.c) */
    };
    uint64_t swap_slot; /* with PG_swapcache */
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

#endif
