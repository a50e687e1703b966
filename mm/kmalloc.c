/*
 * mm/kmalloc.c - size classes 16, 32, ..., 2048 bytes.
 *
 * A slab is one frame cut into equal objects. Its struct page keeps the
 * free-object list (a pointer stored in each free object), the count in
 * use, and the size class. Slabs with free objects sit on their class's
 * partial list. kfree finds the slab from the address alone
 * (virt_to_page), so objects carry no header.
 *
 * A request above 2048 bytes gets 2^k whole frames; struct page
 * remembers the order for kfree.
 */
#include "mm/kmalloc.h"

#include "kernel/compiler.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/pmm.h"

#define NR_SIZE_CLASSES 8 /* 16 << 0 .. 16 << 7 */
#define KMALLOC_MIN_SHIFT 4

/* The slabs' free lists (Linux: each kmem_cache's node list_lock; one
 * lock for all size classes here). Taken before zone->lock: a new or
 * emptied slab's frame comes from, or goes back to, pmm. */
static struct lock_class slab_lock_class = LOCK_CLASS_INIT("slab_lock");

static struct {
    struct spinlock lock;
    struct list_head partial[NR_SIZE_CLASSES];
    bool ready;
    size_t slab_frames;
} heap = {.lock = SPINLOCK_INIT(&slab_lock_class)};

static unsigned size_class(size_t size)
{
    unsigned c = 0;
    while ((size_t)KMALLOC_MIN << c < size)
        c++;
    return c;
}

static size_t class_size(unsigned c) { return (size_t)KMALLOC_MIN << c; }

static struct page *slab_new(unsigned c)
{
    struct page *p = pmm_alloc(0);
    if (!p)
        return NULL;
    p->flags |= PG_slab;
    p->slab.size_class = (uint16_t)c;
    p->slab.inuse = 0;
    p->slab.freelist = NULL;
    char *base = page_to_virt(p);
    for (size_t off = PAGE_SIZE; off >= class_size(c); off -= class_size(c)) {
        void **obj = (void **)(base + off - class_size(c));
        *obj = p->slab.freelist;
        p->slab.freelist = obj;
    }
    list_add(&p->lru, &heap.partial[c]);
    heap.slab_frames++;
    return p;
}

static void *big_alloc(size_t size)
{
    unsigned order = 0;
    while ((size_t)PAGE_SIZE << order < size)
        order++;
    struct page *p = pmm_alloc(order);
    if (!p)
        return NULL;
    p->flags |= PG_head; /* order-0 blocks too: kfree needs the order */
    p->order = (uint8_t)order;
    return page_to_virt(p);
}

void *kmalloc(size_t size)
{
    if (!heap.ready) {
        for (unsigned c = 0; c < NR_SIZE_CLASSES; c++)
            list_init(&heap.partial[c]);
        heap.ready = true;
    }
    if (size == 0)
        size = 1;
    if (size > KMALLOC_MAX_SLAB)
        return big_alloc(size);

    unsigned c = size_class(size);
    bool irqs = spin_lock_irqsave(&heap.lock);
    struct page *p = list_empty(&heap.partial[c]) ? slab_new(c) : list_first_entry(&heap.partial[c], struct page, lru);
    void **obj = NULL;
    if (p) {
        obj = p->slab.freelist;
        p->slab.freelist = *obj;
        p->slab.inuse++;
        if (!p->slab.freelist) /* full: off the partial list */
            list_del(&p->lru);
    }
    spin_unlock_irqrestore(&heap.lock, irqs);
    return obj;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    struct page *p = virt_to_page(ptr);
    if (!(p->flags & PG_slab)) {
        BUG_ON(!(p->flags & PG_head) || !IS_ALIGNED((uintptr_t)ptr, PAGE_SIZE));
        unsigned order = p->order;
        p->flags &= ~PG_head;
        pmm_free(p, order);
        return;
    }
    bool irqs = spin_lock_irqsave(&heap.lock);
    unsigned c = p->slab.size_class;
    BUG_ON(((uintptr_t)ptr & (PAGE_SIZE - 1)) % class_size(c) != 0);
    if (!p->slab.freelist) /* was full: back on the partial list */
        list_add(&p->lru, &heap.partial[c]);
    *(void **)ptr = p->slab.freelist;
    p->slab.freelist = ptr;
    p->slab.inuse--;
    if (p->slab.inuse == 0) { /* empty slab: the frame goes back */
        list_del(&p->lru);
        p->flags &= ~PG_slab;
        heap.slab_frames--;
        pmm_free(p, 0);
    }
    spin_unlock_irqrestore(&heap.lock, irqs);
}

size_t kmalloc_slab_frames(void) { return heap.slab_frames; }
