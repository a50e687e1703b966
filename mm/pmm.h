/*
 * mm/pmm.h - the physical memory manager: a buddy allocator over the
 * frames the boot loader reports free.
 */
#ifndef PAGEWISE_MM_PMM_H
#define PAGEWISE_MM_PMM_H

#include <stdint.h>

#include "kernel/multiboot.h"
#include "mm/page.h"

#define PMM_MAX_ORDER 10 /* largest block: 2^10 frames = 4 MiB */

/* The order-0 frame cache (mm/pmm.c). */
#define PCP_BATCH_ORDER 5                 /* a refill takes one block of 32 frames */
#define PCP_BATCH (1u << PCP_BATCH_ORDER) /* frames moved per refill or drain */
#define PCP_HIGH (4 * PCP_BATCH)          /* more cached than this: drain a batch */

/* Build the frame table and free every usable frame below the boot map
 * limit (EARLY_MAP_SIZE), except the kernel image, the multiboot info and
 * the modules. mem_limit (0 = none) caps the RAM used (`mem=`). */
void pmm_init(const struct boot_info *bi, uint64_t mem_limit);
/* Free the usable frames above the boot map limit. Called by paging_init
 * once the new direct map reaches them. */
void pmm_init_high(void);

/* Allocate 2^order contiguous frames. Returns the first frame's
 * descriptor (refcount 1), or NULL if no block is free: never panics.
 * Order 0 comes from the frame cache when it can (see mm/pmm.c). */
struct page *pmm_alloc(unsigned order);
/* Free a block from pmm_alloc with the same order. */
void pmm_free(struct page *page, unsigned order);
/* Give every cached free frame back to the buddy lists, where it can
 * merge (Linux: drain_all_pages). */
void pmm_drain(void);
/* Is frame pfn free (in a buddy block or the frame cache)? */
bool pmm_is_free(uint64_t pfn);
/* Take the free frame pfn itself out of the allocator (splitting its
 * block; compaction's free scanner wants frames at the top of memory).
 * Returns it as pmm_alloc(0) would, or NULL if it is not free. */
struct page *pmm_take_free(uint64_t pfn);
/* One zeroed frame, or NULL; its kernel address via page_to_virt(). */
struct page *pmm_alloc_zeroed(void);

/* Statistics (for the boot log, tests and /proc/meminfo). */
uint64_t pmm_nr_free(void);             /* free frames */
uint64_t pmm_nr_cached(void);           /* free frames in the order-0 cache */
uint64_t pmm_nr_free_order(unsigned o); /* free blocks of order o in the buddy lists */
uint64_t pmm_nr_managed(void);          /* frames the allocator ever owned */
uint64_t pmm_max_pfn(void);             /* frame numbers are below this */
/* Copy out the usable RAM ranges [bases[i], ends[i]) (for the direct
 * map); returns how many. */
unsigned pmm_ram_regions(uint64_t *bases, uint64_t *ends, unsigned max);

/* /proc/iomem (Linux's format): System RAM, and the kernel image in it. */
size_t pmm_report_iomem(char *buf, size_t size);

#endif
