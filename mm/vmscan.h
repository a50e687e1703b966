/*
 * mm/vmscan.h - reclaim: when free frames run low, find pages nobody used
 * lately and move them to swap (or drop them, if they can be read again
 * from the program file), so that the memory can be used again.
 */
#ifndef PAGEWISE_MM_VMSCAN_H
#define PAGEWISE_MM_VMSCAN_H

#include <stdint.h>

#include "mm/page.h"

/* Free frames below this: user allocations reclaim first, so the kernel
 * (page tables, kmalloc) always finds a frame. */
#define WMARK_LOW 256  /* 1 MiB */
#define WMARK_HIGH 512 /* reclaim until this many are free */
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
/* Try to free up to n frames. Returns how many were freed. Sleeps for
 * disk writes: call from process context only. */
unsigned try_to_free_pages(unsigned n);
/* A frame for a user page: reclaims or, as the last resort, kills the
 * largest process (OOM). NULL if the current process itself was chosen
 * (it must die) . */
struct page *alloc_user_page(void);
/* Start kswapd, the kernel thread that reclaims in the background
 * whenever free frames fall below WMARK_KSWAPD. Called from kmain. */
void kswapd_start(void);
#define WMARK_KSWAPD 1024 /* 4 MiB: wake kswapd below this */
/* Wait until nobody does I/O on p. */
void page_wait_unlocked(struct page *p);
void page_unlock(struct page *p);

#endif
