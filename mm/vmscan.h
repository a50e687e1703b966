/*
 * mm/vmscan.h - reclaim: when free frames run low, find pages nobody used
 * lately and move them to swap (or drop them, if they can be read again
 * from the program file), so that the memory can be used again.
 */
#ifndef PAGEWISE_MM_VMSCAN_H
#define PAGEWISE_MM_VMSCAN_H

#include <stdint.h>

#include "mm/mm.h"
#include "mm/page.h"

/* Watermarks, in free frames, with Linux's meanings (mm/page_alloc.c):
 *
 *   free frames
 *     ^
 *     |  WMARK_HIGH  kswapd reclaims until this many are free, then sleeps
 *     |  WMARK_LOW   an allocation that finds fewer wakes kswapd
 *     |  WMARK_MIN   below this user allocations reclaim first (direct
 *     |              reclaim): the rest is the kernel's reserve, so page
 *     |              tables and kmalloc always find a frame
 *     0
 */
#define WMARK_MIN 256   /* 1 MiB */
#define WMARK_LOW 1024  /* 4 MiB */
#define WMARK_HIGH 1536 /* 6 MiB */
#define SWAP_CLUSTER 32 /* pages reclaimed per attempt */

/* The page-replacement policy: pick a victim, note an access.
 * `reclaim=clock|fifo|random` on the command line chooses one. */
struct reclaim_policy {
    const char *name;
    struct page *(*pick)(void); /* a candidate, or NULL when none is left */
};

/* Choose the policy from the command line. Called once from kmain. */
void reclaim_init(const char *policy_name);
/* A frame became a user page / stopped being one (mm/rmap.c). */
void lru_add(struct page *p);
void lru_del(struct page *p);
/* new takes old's place on the list (compaction moved the page). */
void lru_replace(struct page *old, struct page *new);
/* The list and its length, as kept (mm/vmcheck.c recounts them). */
const struct list_head *lru_list(void);
uint64_t lru_size(void);
/* Try to free up to n frames. Returns how many were freed. Sleeps for
 * disk writes: call from process context only. */
unsigned try_to_free_pages(unsigned n);
/* A frame for a user page, pinned (mm/page.h: map it, then page_unpin):
 * reclaims or, as the last resort, kills the largest process (OOM). NULL
 * if the current process itself was chosen (it must die). May sleep. */
struct page *alloc_user_page(void);
/* Start kswapd, the kernel thread that reclaims in the background
 * whenever free frames fall below WMARK_LOW. Called from kmain. */
void kswapd_start(void);
/* MADV_PAGEOUT: reclaim the private pages of mm's [start, end) now, those
 * mapped by mm alone, whatever their Accessed bits say. May sleep. */
void reclaim_range(struct mm *mm, uintptr_t start, uintptr_t end);

#endif
