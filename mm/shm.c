/*
 * mm/shm.c - shared memory objects and their pages.
 *
 * The object owns one reference on each of its frames; every PTE that maps
 * a frame owns another (through the reverse map, mm/rmap.c). So unmapping
 * (exit, munmap, shmdt) never frees a shared page: the object's reference
 * keeps it, with its contents, until the object itself goes.
 *
 * An object lives while a VMA maps it or a SysV segment owns it:
 *   MAP_SHARED|MAP_ANONYMOUS: freed with the last VMA (munmap or exit);
 *   SysV: the segment owns it from shmget to IPC_RMID; after IPC_RMID the
 *         last detach frees it.
 */
#include "mm/shm.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmscan.h"
#include "mm/vmalloc.h"

static uint64_t shm_frames; /* frames held by all objects */

/* A page on swap is recorded in the object as its slot, tagged with bit 0
 * (a struct page pointer is never odd). */
#define SHM_SWAPPED(slot) (((uintptr_t)(slot) << 1) | 1)
#define SHM_IS_SWAPPED(e) ((e)&1)
#define SHM_SLOT(e) ((e) >> 1)

struct shm_object *shm_object_create(size_t size)
{
    struct shm_object *obj = kzalloc(sizeof(*obj));
    if (!obj)
        return NULL;
    obj->nr_pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    obj->pages = vmalloc(obj->nr_pages * sizeof(uintptr_t)); /* zeroed: no page yet */
    if (!obj->pages) {
        kfree(obj);
        return NULL;
    }
    return obj;
}

static void shm_object_free(struct shm_object *obj)
{
    for (size_t i = 0; i < obj->nr_pages; i++) {
        uintptr_t e = obj->pages[i];
        if (!e)
            continue;
        if (SHM_IS_SWAPPED(e)) {
            swap_slot_put(SHM_SLOT(e));
            continue;
        }
        struct page *p = (struct page *)e;
        p->shm_owner = NULL;
        shm_frames--;
        if (--p->refcount == 0) /* no PTE maps it any more */
            pmm_free(p, 0);
        else if (!p->rmap && (p->flags & PG_swapcache))
            swap_cache_trim(p);
    }
    vfree(obj->pages);
    kfree(obj);
}

void shm_object_get(struct shm_object *obj) { obj->nr_vmas++; }

void shm_object_put(struct shm_object *obj)
{
    obj->nr_vmas--;
    if (obj->segment)
        sysv_shm_detached(obj->segment); /* may destroy a removed segment, and obj */
    else if (obj->nr_vmas == 0 && !obj->has_segment)
        shm_object_free(obj);
}

void shm_object_put_unused(struct shm_object *obj)
{
    if (obj->nr_vmas == 0 && !obj->has_segment)
        shm_object_free(obj);
}

/* Called when a segment gives up its object (IPC_RMID). */
void shm_object_orphan(struct shm_object *obj);
void shm_object_orphan(struct shm_object *obj)
{
    obj->has_segment = false;
    obj->segment = NULL;
    if (obj->nr_vmas == 0)
        shm_object_free(obj);
}

static void own_page(struct shm_object *obj, size_t index, struct page *p)
{
    obj->pages[index] = (uintptr_t)p;
    p->shm_owner = obj;
    p->shm_index = (uint32_t)index;
    shm_frames++;
}

int shm_object_page(struct shm_object *obj, size_t index, struct page **pp)
{
    if (index >= obj->nr_pages)
        return -EFAULT;
    uintptr_t e = obj->pages[index];
    if (!e) { /* first touch by anyone */
        struct page *p = alloc_user_page();
        if (!p)
            return -ENOMEM;
        clear_page(page_to_virt(p));
        own_page(obj, index, p); /* refcount 1: the object's */
        *pp = p;
        return 0;
    }
    if (!SHM_IS_SWAPPED(e)) {
        *pp = (struct page *)e;
        return 0;
    }
    /* On swap: in the swap cache still, or read it back (sleeping). */
    uint64_t slot = SHM_SLOT(e);
    struct page *p;
    while ((p = swap_cache_lookup(slot)) && (p->flags & PG_locked)) {
        p->refcount++;
        page_wait_unlocked(p);
        if (--p->refcount == 0)
            pmm_free(p, 0);
        if (obj->pages[index] != e)
            return shm_object_page(obj, index, pp); /* someone else brought it back */
    }
    if (!p) {
        p = alloc_user_page();
        if (!p)
            return -ENOMEM;
        p->refcount = 0;
        swap_cache_add(p, slot);
        p->flags |= PG_locked;
        int r = swap_read_page(slot, p);
        page_unlock(p);
        if (r) {
            swap_cache_remove(p);
            swap_slot_mark_failed(slot, false);
            return -EIO;
        }
    }
    shm_page_swapped_in(obj, index, p, slot);
    *pp = p;
    return 0;
}

void shm_page_swapped_out(struct page *p, uint64_t slot)
{
    struct shm_object *obj = p->shm_owner;
    obj->pages[p->shm_index] = SHM_SWAPPED(slot);
    swap_slot_get(slot); /* the object's reference on the slot */
    p->shm_owner = NULL;
    shm_frames--;
    p->refcount--; /* the object's reference on the frame (the swap cache still holds it) */
}

void shm_page_swapped_in(struct shm_object *obj, size_t index, struct page *p, uint64_t slot)
{
    if (obj->pages[index] != SHM_SWAPPED(slot))
        return; /* the object already has it back */
    p->refcount++;
    own_page(obj, index, p);
    swap_slot_put(slot);
}

uint64_t shm_nr_pages(void) { return shm_frames; }

long shm_map(struct mm *mm, struct shm_object *obj, uintptr_t addr, size_t len, unsigned prot, bool fixed,
             const char *name)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!fixed) {
        addr = vma_find_free(mm, len, USER_MMAP_BASE);
        if (!addr)
            return -ENOMEM;
    } else if (vma_overlaps(mm, addr, addr + len)) {
        return -EINVAL;
    }
    struct vma *v = vma_add(mm, addr, addr + len, prot, VMA_SHARED, name);
    if (!v)
        return -ENOMEM;
    v->flags |= VM_SHARED;
    v->shm = obj;
    v->shm_pgoff = 0;
    shm_object_get(obj);
    return (long)addr;
}
