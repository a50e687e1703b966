/*
 * mm/rmap.c - the object-based reverse map (see mm/rmap.h): anon_vmas,
 * mapcounts, and the walk from a frame to its PTEs.
 */
#include "mm/rmap.h"

#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/kmalloc.h"
#include "mm/mm.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/vmscan.h"

static void anon_vma_free_if_unused(struct anon_vma *av)
{
    if (av->nr_vmas == 0 && av->nr_pages == 0)
        kfree(av);
}

/* The VMA's anon_vma, made on the first mapping of one of its pages
 * (Linux: anon_vma_prepare). NULL if out of memory. */
static struct anon_vma *anon_vma_prepare(struct vma *vma)
{
    if (vma->anon_vma)
        return vma->anon_vma;
    struct anon_vma *av = kzalloc(sizeof(*av));
    if (!av)
        return NULL;
    list_init(&av->vmas);
    vma->anon_vma = av;
    list_add_tail(&vma->rmap_node, &av->vmas);
    av->nr_vmas = 1;
    return av;
}

void anon_vma_link(struct vma *child, const struct vma *parent)
{
    child->anon_vma = parent->anon_vma;
    if (!child->anon_vma)
        return; /* the parent has mapped nothing yet: the child makes its own */
    list_add_tail(&child->rmap_node, &child->anon_vma->vmas);
    child->anon_vma->nr_vmas++;
}

void anon_vma_unlink(struct vma *vma)
{
    struct anon_vma *av = vma->anon_vma;
    if (!av)
        return;
    list_del(&vma->rmap_node);
    vma->anon_vma = NULL;
    av->nr_vmas--;
    anon_vma_free_if_unused(av); /* its pages, if any are left (swap cache), keep it */
}

void anon_vma_page_gone(struct page *page)
{
    struct anon_vma *av = page->anon_vma;
    page->anon_vma = NULL;
    av->nr_pages--;
    anon_vma_free_if_unused(av);
}

/* Enter the mapping in the reverse map; the caller has provided its
 * reference. */
static int rmap_link(struct page *page, struct vma *vma, uintptr_t va)
{
    if (!vma->shm) {
        struct anon_vma *av = anon_vma_prepare(vma);
        if (!av)
            return -ENOMEM;
        if (!page->anon_vma) { /* its first private mapping */
            page->anon_vma = av;
            page->index = va;
            av->nr_pages++;
        }
        /* A private page never leaves its fork family, nor its address. */
        BUG_ON(page->anon_vma != av || page->index != va);
    }
    if (page->mapcount++ == 0) { /* now a mapped user page: reclaim may consider it */
        page->flags |= PG_lru;
        lru_add(page);
    }
    return 0;
}

int rmap_add(struct page *page, struct vma *vma, uintptr_t va)
{
    int r = rmap_link(page, vma, va);
    if (r == 0)
        page_get(page);
    return r;
}

int rmap_add_new(struct page *page, struct vma *vma, uintptr_t va)
{
    BUG_ON(page->refcount != 1 || page->mapcount);
    int r = rmap_link(page, vma, va);
    if (r == 0)
        page_pin_to_mapping(page);
    return r;
}

void rmap_remove(struct page *page)
{
    BUG_ON(page->mapcount <= 0);
    if (--page->mapcount == 0) {
        page->flags &= ~PG_lru;
        lru_del(page);
        /* Unmapped, in the swap cache, and no swap entry names its slot:
         * the copy on disk is of no use to anyone. */
        if (page->flags & PG_swapcache)
            swap_cache_trim(page);
    }
    page_put(page);
}

/* The PTE of vma's address space at va, if it maps page. */
static pte_t *pte_mapping(struct vma *vma, uintptr_t va, const struct page *page)
{
    int level;
    if (va < vma->start || va >= vma->end)
        return NULL;
    pte_t *e = paging_walk(vma->mm->pml4, va, false, &level);
    if (!e || level != 1 || !(*e & (PTE_P | PTE_PROTNONE)) || pte_special(*e) ||
        (*e & PTE_ADDR_MASK) != page_to_phys(page))
        return NULL;
    return e;
}

void rmap_walk(struct page *page, rmap_fn fn, void *arg)
{
    struct list_head *vmas, *pos, *next;
    if (page->shm_owner)
        vmas = &page->shm_owner->vmas;
    else if (page->anon_vma)
        vmas = &page->anon_vma->vmas;
    else
        return;
    /* fn may unmap the page, never a VMA: the next node stays valid */
    for (pos = vmas->next; pos != vmas && page->mapcount > 0; pos = next) {
        next = pos->next;
        struct vma *vma = list_entry(pos, struct vma, rmap_node);
        uintptr_t va = page->shm_owner ? vma->start + (page->shm_index - vma->shm_pgoff) * PAGE_SIZE : page->index;
        if (page->shm_owner && page->shm_index < vma->shm_pgoff)
            continue;
        pte_t *e = pte_mapping(vma, va, page);
        if (e)
            fn(page, vma, va, e, arg);
    }
}
