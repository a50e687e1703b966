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
#include "mm/commit.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmcheck.h"
#include "mm/vmscan.h"
#include "mm/vmalloc.h"

static uint64_t shm_frames; /* frames held by all objects */
/* Every object's lock is one class: taken before swap_lock (a page's
 * slot reference changes with the entry), never while sleeping (a fault
 * reads swap or allocates without it, then checks the entry again). */
static struct lock_class shm_object_class = LOCK_CLASS_INIT("shm_object->lock");
static LIST_HEAD(shm_objects); /* every object (shm_object.all), for vm_check */

struct list_head *shm_object_list(void) { return &shm_objects; }


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
    obj->lock = (struct spinlock)SPINLOCK_INIT(&shm_object_class);
    list_init(&obj->vmas);
    list_add_tail(&obj->all, &shm_objects);
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
        if (!p->mapcount && (p->flags & PG_swapcache))
            swap_cache_trim(p); /* before our put: the cache must not outlive the last holder */
        page_put(p); /* freed unless a PTE still maps it */
    }
    list_del(&obj->all);
    vm_unacct_memory(obj->committed);
    vfree(obj->pages);
    kfree(obj);
}

void shm_object_get(struct shm_object *obj, struct vma *vma)
{
    obj->nr_vmas++;
    list_add_tail(&vma->rmap_node, &obj->vmas);
}

void shm_object_put(struct shm_object *obj, struct vma *vma)
{
    list_del(&vma->rmap_node);
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

static void swapped_in_locked(struct shm_object *obj, size_t index, struct page *p, uint64_t slot);

/* The object takes a hold on p as its page at index. The caller holds
 * obj->lock. */
static void own_page(struct shm_object *obj, size_t index, struct page *p)
{
    page_get(p);
    obj->pages[index] = (uintptr_t)p;
    p->shm_owner = obj;
    p->shm_index = (uint32_t)index;
    shm_frames++;
}

int shm_object_page(struct shm_object *obj, size_t index, struct page **pp, bool *major)
{
    if (index >= obj->nr_pages)
        return -EFAULT;
    for (;;) {
        uintptr_t e = obj->pages[index];
        if (e && !SHM_IS_SWAPPED(e)) { /* in memory */
            *pp = (struct page *)e;
            page_pin(*pp);
            return 0;
        }
        struct page *p;
        if (!e) { /* first touch by anyone */
            p = alloc_user_page(); /* pinned; may sleep */
            if (!p)
                return -ENOMEM;
            clear_page(page_to_virt(p));
        } else { /* on swap: in the swap cache still, or read it back (sleeping) */
            int r = swap_in(SHM_SLOT(e), &p, major, NULL);
            if (r == -EAGAIN)
                continue;
            if (r)
                return r;
        }
        spin_lock(&obj->lock);
        if (obj->pages[index] != e) { /* someone else filled the entry while we slept */
            spin_unlock(&obj->lock);
            page_unpin(p);
            if (p->flags & PG_swapcache)
                swap_cache_trim(p);
            continue;
        }
        if (!e)
            own_page(obj, index, p);
        else
            swapped_in_locked(obj, index, p, SHM_SLOT(e));
        spin_unlock(&obj->lock);
        if (e)
            vm_check_after("swap-in");
        *pp = p;
        return 0;
    }
}

void shm_page_swapped_out(struct page *p, uint64_t slot)
{
    struct shm_object *obj = p->shm_owner;
    spin_lock(&obj->lock);
    obj->pages[p->shm_index] = SHM_SWAPPED(slot);
    swap_slot_get(slot); /* the object's reference on the slot */
    p->shm_owner = NULL;
    shm_frames--;
    page_put(p); /* the object's hold on the frame (the swap cache still holds it) */
    spin_unlock(&obj->lock);
}

/* shm_page_swapped_in with obj->lock held. */
static void swapped_in_locked(struct shm_object *obj, size_t index, struct page *p, uint64_t slot)
{
    if (obj->pages[index] != SHM_SWAPPED(slot))
        return; /* the object already has it back */
    own_page(obj, index, p);
    swap_slot_put(slot);
}

void shm_page_swapped_in(struct shm_object *obj, size_t index, struct page *p, uint64_t slot)
{
    spin_lock(&obj->lock);
    swapped_in_locked(obj, index, p, slot);
    spin_unlock(&obj->lock);
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
    if (!may_expand_vm(mm, prot, VM_SHARED, len / PAGE_SIZE)) /* RLIMIT_AS counts shmat too */
        return -ENOMEM;
    struct vma *v = vma_add(mm, addr, addr + len, prot, VMA_SHARED, name);
    if (!v)
        return -ENOMEM;
    v->flags |= VM_SHARED;
    v->shm = obj;
    v->shm_pgoff = 0;
    shm_object_get(obj, v);
    return (long)addr;
}

void shm_object_replace_page(struct page *old, struct page *new)
{
    struct shm_object *obj = old->shm_owner;
    spin_lock(&obj->lock);
    obj->pages[old->shm_index] = (uintptr_t)new;
    spin_unlock(&obj->lock);
}
