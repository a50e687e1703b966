/*
 * mm/vmalloc.c - the vmalloc area.
 *
 *  VMALLOC_START                                                VMALLOC_END
 *  | guard | area A pages | guard | area B pages | guard |  ... free ...  |
 *
 * Areas are kept in a list sorted by address; vmalloc takes the first gap
 * big enough (first fit). Every area owns one unmapped page after its
 * pages, and the first area starts one page in, so every allocation has
 * an unmapped page on both sides: running off either end faults.
 * Page tables for this range live under one PML4 slot whose PDPT every
 * address space shares (mm/paging.c).
 */
#include "mm/vmalloc.h"

#include "kernel/compiler.h"
#include "kernel/list.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/tlb.h"

struct vm_area {
    uintptr_t addr;  /* first mapped page */
    size_t nr_pages; /* mapped pages; the guard page follows them */
    const void *caller; /* who asked (for /proc/vmallocinfo) */
    uint64_t phys;      /* ioremap: the device's first physical address (0: vmalloc, frames of our own) */
    struct list_head list;
};

/* The list of areas (Linux's vmap_area_lock). Held while an area's pages
 * are mapped or unmapped, so zone->lock nests inside it. */
static struct lock_class vmap_lock_class = LOCK_CLASS_INIT("vmap_area_lock");

static struct {
    struct spinlock lock;
    struct list_head areas; /* sorted by addr */
    bool ready;
} vmap = {.lock = SPINLOCK_INIT(&vmap_lock_class)};

static size_t area_span(const struct vm_area *a) { return (a->nr_pages + 1) * PAGE_SIZE; }

static void vmap_init_once(void)
{
    if (!vmap.ready) {
        list_init(&vmap.areas);
        vmap.ready = true;
    }
}

/* First fit: the lowest gap that holds span bytes. Returns the address
 * and the list node to insert before, or 0 if the area is full. */
static uintptr_t find_gap(size_t span, struct list_head **before)
{
    uintptr_t candidate = VMALLOC_START + PAGE_SIZE;
    struct list_head *pos;
    list_for_each(pos, &vmap.areas)
    {
        struct vm_area *a = list_entry(pos, struct vm_area, list);
        if (candidate + span <= a->addr) {
            *before = pos;
            return candidate;
        }
        candidate = a->addr + area_span(a);
    }
    *before = &vmap.areas;
    return candidate + span <= VMALLOC_END ? candidate : 0;
}

/* Unmap and free the pages, then flush the range once, here and on every
 * other CPU (one shootdown for a kernel stack, not four). Freeing before
 * the flush is safe: nothing allocates a frame before the flush is done
 * (the big kernel lock keeps other CPUs out), and no CPU uses the
 * addresses of an area being freed. */
static void unmap_pages(uintptr_t addr, size_t nr_pages)
{
    for (size_t i = 0; i < nr_pages; i++) {
        uint64_t pa;
        if (paging_unmap_noflush(paging_kernel_pml4(), addr + i * PAGE_SIZE, &pa) == 0)
            pmm_free(phys_to_page(pa), 0);
    }
    tlb_flush_range(addr, addr + nr_pages * PAGE_SIZE);
    tlb_shootdown_range(paging_kernel_pml4(), addr, addr + nr_pages * PAGE_SIZE);
}

/* vmalloc for caller (kstack_alloc names its own caller). */
static void *vmalloc_for(size_t size, const void *caller)
{
    vmap_init_once();
    size_t nr_pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    if (nr_pages == 0)
        return NULL;
    struct vm_area *a = kmalloc(sizeof(*a));
    if (!a)
        return NULL;
    bool irqs = spin_lock_irqsave(&vmap.lock);
    struct list_head *before;
    a->addr = find_gap((nr_pages + 1) * PAGE_SIZE, &before);
    a->nr_pages = nr_pages;
    a->caller = caller;
    a->phys = 0;
    if (!a->addr)
        goto fail;
    for (size_t i = 0; i < nr_pages; i++) {
        struct page *p = pmm_alloc_zeroed();
        if (!p ||
            paging_map(paging_kernel_pml4(), a->addr + i * PAGE_SIZE, page_to_phys(p), PTE_RW | PTE_XD | PTE_G) != 0) {
            if (p)
                pmm_free(p, 0);
            unmap_pages(a->addr, i);
            goto fail;
        }
    }
    list_add_tail(&a->list, before);
    spin_unlock_irqrestore(&vmap.lock, irqs);
    return (void *)a->addr;
fail:
    spin_unlock_irqrestore(&vmap.lock, irqs);
    kfree(a);
    return NULL;
}

void *vmalloc(size_t size) { return vmalloc_for(size, __builtin_return_address(0)); }

void *vmap_io(uint64_t phys, size_t size, uint64_t cache_bits, const void *caller)
{
    vmap_init_once();
    uint64_t first = ALIGN_DOWN(phys, PAGE_SIZE);
    size_t nr_pages = (ALIGN_UP(phys + size, PAGE_SIZE) - first) / PAGE_SIZE;
    struct vm_area *a = nr_pages ? kmalloc(sizeof(*a)) : NULL;
    if (!a)
        return NULL;
    bool irqs = spin_lock_irqsave(&vmap.lock);
    struct list_head *before;
    *a = (struct vm_area){.addr = find_gap((nr_pages + 1) * PAGE_SIZE, &before), .nr_pages = nr_pages,
                          .caller = caller, .phys = first};
    for (size_t i = 0; a->addr && i < nr_pages; i++)
        if (paging_map(paging_kernel_pml4(), a->addr + i * PAGE_SIZE, first + i * PAGE_SIZE,
                       PTE_RW | PTE_XD | PTE_G | cache_bits) != 0) {
            for (size_t k = 0; k < i; k++) /* device pages: nothing to free */
                paging_unmap(paging_kernel_pml4(), a->addr + k * PAGE_SIZE, NULL);
            a->addr = 0;
        }
    if (!a->addr) {
        spin_unlock_irqrestore(&vmap.lock, irqs);
        kfree(a);
        return NULL;
    }
    list_add_tail(&a->list, before);
    spin_unlock_irqrestore(&vmap.lock, irqs);
    return (void *)(a->addr + (phys - first));
}

void vfree(void *addr)
{
    if (!addr)
        return;
    bool irqs = spin_lock_irqsave(&vmap.lock);
    struct list_head *pos;
    list_for_each(pos, &vmap.areas)
    {
        struct vm_area *a = list_entry(pos, struct vm_area, list);
        if (a->addr == ALIGN_DOWN((uintptr_t)addr, PAGE_SIZE)) {
            list_del(&a->list);
            if (a->phys) /* an ioremap: the device's pages go back to nobody */
                for (size_t i = 0; i < a->nr_pages; i++)
                    paging_unmap(paging_kernel_pml4(), a->addr + i * PAGE_SIZE, NULL);
            else
                unmap_pages(a->addr, a->nr_pages);
            spin_unlock_irqrestore(&vmap.lock, irqs);
            kfree(a);
            return;
        }
    }
    panic("vfree: %p is not a vmalloc area", addr);
}

bool vmalloc_is_guard(uintptr_t va)
{
    if (!vmap.ready || va < VMALLOC_START || va >= VMALLOC_END)
        return false;
    struct list_head *pos;
    list_for_each(pos, &vmap.areas)
    {
        struct vm_area *a = list_entry(pos, struct vm_area, list);
        uintptr_t end = a->addr + a->nr_pages * PAGE_SIZE;
        if ((va >= a->addr - PAGE_SIZE && va < a->addr) || (va >= end && va < end + PAGE_SIZE))
            return true;
    }
    return false;
}

uintptr_t kstack_alloc(void)
{
    void *base = vmalloc_for(KSTACK_SIZE, __builtin_return_address(0));
    return base ? (uintptr_t)base + KSTACK_SIZE : 0;
}

void kstack_free(uintptr_t top)
{
    if (top)
        vfree((void *)(top - KSTACK_SIZE));
}

size_t vmalloc_report(char *buf, size_t size)
{
    size_t len = 0;
    bool irqs = spin_lock_irqsave(&vmap.lock);
    struct list_head *pos;
    list_for_each(pos, &vmap.areas)
    {
        const struct vm_area *a = list_entry(pos, struct vm_area, list);
        uint64_t off = 0, sym_size = 0, span = area_span(a);
        const char *sym = ksym_lookup((uint64_t)(uintptr_t)a->caller, &off, &sym_size);
        if (len + 128 >= size)
            break;
        len += (size_t)snprintf(buf + len, size - len, "0x%016lx-0x%016lx %7lu %s+%#lx/%#lx", a->addr,
                                a->addr + span, span, sym ? sym : "?", off, sym_size);
        if (a->phys)
            len += (size_t)snprintf(buf + len, size - len, " phys=0x%016lx ioremap\n", a->phys);
        else
            len += (size_t)snprintf(buf + len, size - len, " pages=%lu vmalloc\n", a->nr_pages);
    }
    spin_unlock_irqrestore(&vmap.lock, irqs);
    return len;
}
