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
#include "mm/vmalloc.h"

static uint64_t shm_frames; /* frames held by all objects */

struct shm_object *shm_object_create(size_t size)
{
    struct shm_object *obj = kzalloc(sizeof(*obj));
    if (!obj)
        return NULL;
    obj->nr_pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    obj->pages = vmalloc(obj->nr_pages * sizeof(struct page *)); /* zeroed: no page yet */
    if (!obj->pages) {
        kfree(obj);
        return NULL;
    }
    return obj;
}

static void shm_object_free(struct shm_object *obj)
{
    for (size_t i = 0; i < obj->nr_pages; i++) {
        struct page *p = obj->pages[i];
        if (p && --p->refcount == 0) { /* no PTE maps it any more */
            pmm_free(p, 0);
            shm_frames--;
        }
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

struct page *shm_object_page(struct shm_object *obj, size_t index)
{
    if (index >= obj->nr_pages)
        return NULL;
    if (!obj->pages[index]) {
        struct page *p = pmm_alloc_zeroed(); /* refcount 1: the object's */
        if (!p)
            return NULL;
        obj->pages[index] = p;
        shm_frames++;
    }
    return obj->pages[index];
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
