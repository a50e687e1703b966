/*
 * mm/rmap.h - the reverse map: from a user frame to every PTE that maps it.
 * Reclaim needs it (to find and rewrite every PTE of a victim), and so do
 * the Accessed-bit scan and vm_check.
 *
 * It is object-based, as Linux's since 2.6 (anon_vma): a frame does not
 * list its mappings; it names an object and where it sits in it, and the
 * object knows the VMAs that may map it:
 *
 *   private page:  page->anon_vma, page->index = its virtual address
 *                      |
 *                      v
 *                  struct anon_vma: vmas -> [parent's VMA] -> [child's VMA] -> ...
 *                  (every private VMA of one fork family that covers it)
 *
 *   shared page:   page->shm_owner, page->shm_index
 *                      |
 *                      v
 *                  struct shm_object: vmas -> [attach in A] -> [attach in B] -> ...
 *
 * The walk tries each VMA of the object at the page's address and keeps
 * the PTEs that really point at the frame. Fork links the child's VMAs to
 * the parent's anon_vma (one list node per VMA), so fork and exit cost
 * nothing per page for the reverse map: a page just counts its mappings
 * (mapcount). The pte_chain design it replaces (Linux 2.5: a kmalloc'ed
 * (mm, address) item per mapping) is told in docs/cow.md.
 *
 * Simplification against Linux: one anon_vma per fork family (Linux gives
 * each VMA its own and chains them, so that a walk skips relatives that
 * cannot share the page); private pages never move (no mremap), so the
 * address is the index.
 */
#ifndef PAGEWISE_MM_RMAP_H
#define PAGEWISE_MM_RMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/list.h"
#include "mm/page.h"
#include "mm/paging.h"

struct mm;
struct vma;

struct anon_vma {
    struct list_head vmas; /* struct vma.anon_node: the VMAs that may map our pages */
    unsigned nr_vmas;
    uint64_t nr_pages; /* frames naming us (page->anon_vma); we live while either is > 0 */
};

/* A PTE of mm at va now maps page (vma is the VMA that covers va). Takes a
 * reference; a private page joins the VMA's anon_vma (made on first use).
 * Returns 0 or -ENOMEM. */
int rmap_add(struct page *page, struct vma *vma, uintptr_t va);
/* fork: the child maps a page the parent maps, at the same address, in a
 * VMA of the same family (Linux: page_dup_rmap). Nothing to look up. */
static inline void rmap_dup(struct page *page)
{
    BUG_ON(page->mapcount <= 0);
    page->mapcount++;
    page_get(page);
}
/* The first mapping of a frame fresh from alloc_user_page (pinned, and
 * nothing else holds it): the pin's reference becomes the mapping's, so
 * the caller does not unpin. Returns 0 or -ENOMEM (then it is still pinned). */
int rmap_add_new(struct page *page, struct vma *vma, uintptr_t va);
/* A PTE stopped mapping page: drop its reference; the last one frees the
 * frame. */
void rmap_remove(struct page *page);
/* How many PTEs map the page. */
static inline unsigned rmap_count(const struct page *page) { return (unsigned)page->mapcount; }
/* Exactly one? */
static inline bool rmap_single(const struct page *page) { return page->mapcount == 1; }

/* Call fn for every PTE that maps page: the address space, the VMA, the
 * address and the entry. fn may change the entry and call rmap_remove. */
typedef void (*rmap_fn)(struct page *page, struct vma *vma, uintptr_t va, pte_t *pte, void *arg);
void rmap_walk(struct page *page, rmap_fn fn, void *arg);

/* VMAs and their anon_vma (mm/vma.c calls these). */
void anon_vma_link(struct vma *child, const struct vma *parent); /* fork, split: share the parent's */
void anon_vma_unlink(struct vma *vma);                              /* the VMA goes */
/* The frame names no anon_vma any more (its last holder let go). */
void anon_vma_page_gone(struct page *page);

#endif
