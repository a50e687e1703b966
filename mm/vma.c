/*
 * mm/vma.c - virtual memory areas: a list sorted by address of
 * non-overlapping [start, end) ranges, each with its protection and
 * backing. (Linux keeps them in a maple tree; a list is enough to read.)
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/commit.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/shm.h"
#include "mm/swap.h"

struct vma *vma_find(struct mm *mm, uintptr_t addr)
{
    struct vma *c = mm->vma_cache; /* faults come in runs on one VMA */
    if (c && c->start <= addr && addr < c->end)
        return c;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, list);
        if (v->end > addr) {
            if (v->start <= addr)
                mm->vma_cache = v;
            return v;
        }
    }
    return NULL;
}

bool vma_overlaps(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma *v = vma_find(mm, start);
    return v && v->start < end;
}

struct vma *vma_add(struct mm *mm, uintptr_t start, uintptr_t end, unsigned prot, enum vma_backing backing,
                    const char *name)
{
    struct vma *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->start = start;
    v->end = end;
    vma_set_prot(v, prot);
    v->backing = backing;
    strlcpy(v->name, name ? name : "", sizeof(v->name));
    v->mm = mm;
    struct vma *next = vma_find(mm, start);
    list_add_tail(&v->list, next ? &next->list : &mm->vmas); /* before next */
    return v;
}

/* The copy of a charged VMA is charged again (Linux's dup_mmap): in mode
 * 2 a fork whose copies do not fit fails with ENOMEM. The charge comes
 * after the allocation, so that a vm_check run by reclaim in between sees
 * the count and the flag agree. */
struct vma *vma_dup(struct mm *mm, const struct vma *v)
{
    struct vma *c = vma_add(mm, v->start, v->end, v->prot, v->backing, v->name);
    if (!c)
        return NULL;
    if ((v->flags & VM_ACCOUNT) && vm_enough_memory(v->mm, vma_pages(v))) {
        vma_free(mm, c); /* not charged yet: no VM_ACCOUNT */
        return NULL;
    }
    struct list_head link = c->list;
    *c = *v;
    c->list = link;
    c->mm = mm;
    if (c->shm)
        shm_object_get(c->shm, c);
    else
        anon_vma_link(c, v); /* the child's pages are the parent's: one reverse-map object */
    return c;
}

void vma_free(struct mm *mm, struct vma *v)
{
    if (mm->vma_cache == v)
        mm->vma_cache = NULL;
    list_del(&v->list);
    if (v->shm)
        shm_object_put(v->shm, v);
    else
        anon_vma_unlink(v);
    if (v->flags & VM_ACCOUNT) /* munmap, brk shrink, exit: the promise ends */
        vm_unacct_memory(vma_pages(v));
    kfree(v);
}

/* Both halves keep vma's flags: with VM_ACCOUNT, their pages still add
 * up to what was charged (Committed_AS does not move). */
struct vma *vma_split(struct mm *mm, struct vma *vma, uintptr_t addr)
{
    (void)mm;
    struct vma *upper = kmalloc(sizeof(*upper));
    if (!upper)
        return NULL;
    *upper = *vma;
    upper->start = addr;
    if (upper->backing == VMA_FILE || upper->backing == VMA_DEVICE)
        upper->file_off += addr - vma->start;
    if (upper->backing == VMA_DEVICE)
        upper->dev.phys += addr - vma->start;
    if (upper->shm) {
        upper->shm_pgoff += (addr - vma->start) / PAGE_SIZE;
        shm_object_get(upper->shm, upper);
    } else {
        anon_vma_link(upper, vma);
    }
    vma->end = addr;
    list_add(&upper->list, &vma->list); /* right after vma */
    return upper;
}

uint64_t vm_prot_pte_flags(unsigned prot)
{
    uint64_t f = PTE_US;
    if (!(prot & VM_PROT_MASK))
        return f | PTE_XD | PTE_PROTNONE;
    if (prot & VM_WRITE)
        f |= PTE_RW;
    if (!(prot & VM_EXEC))
        f |= PTE_XD;
    return f;
}

uint64_t vma_prot_pte_flags(const struct vma *v)
{
    uint64_t f = vm_prot_pte_flags(v->prot);
    return v->backing == VMA_DEVICE ? f | v->dev.cache | PTE_SPECIAL : f;
}

void vma_set_prot(struct vma *vma, unsigned prot)
{
    vma->prot = prot & VM_PROT_MASK;
    vma->pte_flags = vma_prot_pte_flags(vma);
}

void mm_put_frame(pte_t old, uintptr_t va, void *mm_arg)
{
    struct mm *mm = mm_arg;
    /* A device frame (VM_PFNMAP) has no struct page and is not RAM:
     * nothing to drop, nothing was counted in rss (Linux: zap_pte_range
     * finds no vm_normal_page). */
    if (pte_special(old))
        return;
    if (is_swap_pte(old)) { /* the page is on the swap disk */
        swap_slot_put(swp_offset(old));
        mm->swap_pages--;
        return;
    }
    mm->rss--;
    struct page *p = phys_to_page(old & PTE_ADDR_MASK);
    if (old & PTE_D) /* the CPU's dirty bit goes away with the PTE: keep it on the page */
        p->flags |= PG_dirty;
    (void)va;
    rmap_remove(p);
}

int vma_unmap_range(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma *v = vma_find(mm, start);
    while (v && v->start < end) {
        struct list_head *next_node = v->list.next;
        if (v->start < start) { /* keep the part below start */
            if (!vma_split(mm, v, start))
                return -ENOMEM;
            next_node = v->list.next; /* the new upper half */
        } else {
            if (v->end > end && !vma_split(mm, v, end)) /* keep the part above end */
                return -ENOMEM;
            next_node = v->list.next;
            paging_unmap_range(mm->pml4, v->start, v->end, mm_put_frame, mm);
            vma_free(mm, v);
        }
        v = next_node == &mm->vmas ? NULL : list_entry(next_node, struct vma, list);
    }
    return 0;
}

uintptr_t vma_find_free(struct mm *mm, size_t len, uintptr_t below)
{
    uintptr_t top = below;
    /* Walk the VMAs from the highest down, looking at the gap below each. */
    for (struct list_head *pos = mm->vmas.prev; pos != &mm->vmas; pos = pos->prev) {
        struct vma *v = list_entry(pos, struct vma, list);
        if (v->start >= top)
            continue;
        if (top >= len + USER_IMAGE_BASE && v->end <= top - len)
            return top - len;
        top = MIN(top, v->start);
    }
    return top >= len + USER_IMAGE_BASE ? top - len : 0;
}
