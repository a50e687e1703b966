/*
 * mm/mm.c - address spaces: create, copy for fork, switch, destroy.
 */
#include "mm/mm.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/fault.h"
#include "mm/ioremap.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/swap.h"
#include "mm/tlb.h"
#include "mm/vmalloc.h"
#include "mm/vmcheck.h"
#include "mm/vmstat.h"

static LIST_HEAD(all_mms); /* every address space (mm.all), for vm_check */
static struct lock_class mmap_lock_class = LOCK_CLASS_INIT("mmap_lock"); /* every mm's */

struct list_head *mm_list(void) { return &all_mms; }

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    if (!mm)
        return NULL;
    mm->pml4 = paging_create_pml4();
    if (!mm->pml4) {
        kfree(mm);
        return NULL;
    }
    list_init(&mm->vmas);
    mm->users = 1;
    mutex_init(&mm->mmap_lock, &mmap_lock_class);
    list_add_tail(&mm->all, &all_mms);
    return mm;
}

void mm_put(struct mm *mm)
{
    if (--mm->users == 0)
        mm_destroy(mm);
}

void mm_destroy(struct mm *mm)
{
    /* CPUs that kept these tables in CR3 (lazy TLB: their idle task or a
     * kernel thread ran after one of our threads) must leave them first;
     * then no CPU caches anything of this address space and the zapping
     * below sends no shootdown. */
    tlb_shootdown_leave(mm->pml4);
    /* VMA by VMA: only where pages can be (walking all 128 TiB of the user
     * half, even skipping empty tables, costs more than a small process). */
    while (!list_empty(&mm->vmas)) {
        struct vma *v = list_first_entry(&mm->vmas, struct vma, list);
        paging_zap_range(mm->pml4, v->start, v->end, mm_put_frame, mm);
        vma_free(mm, v);
    }
    paging_destroy_pml4(mm->pml4); /* and the page tables left */
    list_del(&mm->all);
    kfree(mm);
    vm_check_after("exit");
}

/* Addresses whose PTE lost its write permission during fork, to flush
 * from the TLB afterwards: one by one if few, else one full flush. */
struct flush_batch {
    uintptr_t va[TLB_FLUSH_CEILING];
    unsigned n;
    bool overflow;
};

static void flush_batch_add(struct flush_batch *fb, uintptr_t va)
{
    if (fb->n < TLB_FLUSH_CEILING)
        fb->va[fb->n++] = va;
    else
        fb->overflow = true;
}

static void flush_batch_run(struct flush_batch *fb, struct mm *mm)
{
    /* LAB tlb/flush_batch_run: the tlb lab removes the code from here to END LAB (docs/labs/tlb.md). */
    if ((read_cr3() & PTE_ADDR_MASK) != virt_to_phys(mm->pml4))
        return; /* not loaded: its TLB entries are already gone */
    if (fb->overflow)
        tlb_flush_all();
    else
        for (unsigned i = 0; i < fb->n; i++)
            tlb_flush_page(fb->va[i]);
    /* END LAB tlb/flush_batch_run */
}

/* The other CPUs running threads of mm (or keeping it loaded) flush the
 * batch too: one shootdown for the whole fork. */
static void flush_batch_shootdown(struct flush_batch *fb, struct mm *mm)
{
    tlb_shootdown_pages(mm->pml4, fb->va, fb->n, fb->overflow);
}

/* fork: share every page of v with the child, a page table (512
 * entries) at a time, as Linux's copy_pte_range. Writable private pages
 * become read-only in both processes, so the first write by either one
 * faults and copies (mm/fault.c:do_wp_page). Read-only pages (program
 * text) and shared memory are simply shared; swap entries are copied and
 * their slots counted. The reverse map costs one counter per page
 * (rmap_dup): the child's VMA is already on the parent's anon_vma
 * (vma_dup). */
static int share_vma_pages(struct mm *dst, struct mm *src, const struct vma *v, struct flush_batch *fb)
{
    uintptr_t va = v->start;
    pte_t *se;
    while ((se = paging_next_pte(src->pml4, &va, v->end)) != NULL) {
        uintptr_t table_end = MIN(ALIGN_DOWN(va, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE, v->end);
        pte_t *dt = NULL; /* the child's page table for these 2 MiB, made at the first entry */
        for (; va < table_end; va += PAGE_SIZE, se++) {
            pte_t e = *se;
            if (!e)
                continue;
            if (!dt) {
                int level;
                pte_t *d = paging_walk(dst->pml4, va, true, &level);
                if (!d)
                    return -ENOMEM;
                dt = d - pte_index(va);
            }
            if (is_swap_pte(e)) { /* swapped out: the child names the same slot */
                if (!swap_slot_has_room(swp_offset(e), 1))
                    return -ENOMEM;
                swap_slot_get(swp_offset(e));
                dt[pte_index(va)] = e;
                dst->swap_pages++;
                continue;
            }
            if (!(e & (PTE_P | PTE_PROTNONE)))
                continue;
            if (pte_special(e)) { /* a device frame: the child maps the same one; no struct page, no rss */
                dt[pte_index(va)] = e & ~(PTE_A | PTE_D);
                continue;
            }
            /* LAB cow/share_vma_pages: the cow lab removes the code from here to END LAB (docs/labs/cow.md). */
            if ((e & PTE_RW) && !(v->flags & VM_SHARED)) { /* shared memory stays shared */
                e = pte_clear_bits(se, PTE_RW) & ~PTE_RW; /* atomic: a thread on another CPU may set D */
                flush_batch_add(fb, va);
            }
            /* END LAB cow/share_vma_pages */
            rmap_dup(phys_to_page(e & PTE_ADDR_MASK));
            dt[pte_index(va)] = e & ~(PTE_A | PTE_D); /* the same frame and rights (PROT_NONE too) */
            dst->rss++;
        }
    }
    return 0;
}

struct mm *mm_fork(struct mm *src)
{
    struct flush_batch fb = {.n = 0, .overflow = false};
    struct mm *dst = mm_create();
    if (!dst)
        return NULL;
    dst->start_brk = src->start_brk;
    dst->brk = src->brk;
    dst->stack_top = src->stack_top;
    struct list_head *pos;
    list_for_each(pos, &src->vmas) {
        struct vma *v = list_entry(pos, struct vma, list);
        struct vma *dv = vma_dup(dst, v);
        if (!dv || share_vma_pages(dst, src, v, &fb) != 0)
            goto fail;
    }
    flush_batch_run(&fb, src);
    flush_batch_shootdown(&fb, src);
    vm_check_after("fork");
    return dst;
fail:
    flush_batch_run(&fb, src);
    flush_batch_shootdown(&fb, src);
    mm_destroy(dst);
    return NULL;
}

/* Load the PML4 at pa unless it is loaded. With several CPUs, each
 * PML4's cpumask follows (the shootdown's list of whom to ask). */
static void switch_cr3(uint64_t pa)
{
    uint64_t old = read_cr3() & PTE_ADDR_MASK;
    if (old != pa) {
        if (nr_cpus_online > 1)
            tlb_cpumask_switch(old, pa);
        write_cr3(pa);
        count_vm_event(NR_CR3_WRITE);
    }
}

void mm_switch(struct mm *mm) { switch_cr3(virt_to_phys(mm->pml4)); }

void mm_switch_kernel(void) { switch_cr3(virt_to_phys(paging_kernel_pml4())); }

/* The PTE of va if it is present and writable, else NULL. */
static pte_t *writable_pte(struct mm *mm, uintptr_t va)
{
    int level;
    pte_t *e = paging_walk(mm->pml4, va, false, &level);
    return e && level == 1 && (*e & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) ? e : NULL;
}

/* Store n bytes at va (within one page) of a device frame that user PTE e
 * maps: through a temporary kernel mapping of the frame with the PTE's
 * memory type, never the direct map (device frames are not in it). This
 * is where the process's own store would go (Linux's child stores its
 * CLONE_CHILD_SETTID tid itself, through its mapping). 0 or -EFAULT (no
 * room for the mapping). */
static int write_device_page(pte_t e, uintptr_t va, const void *src, size_t n)
{
    uint8_t *k = vmap_io(e & PTE_ADDR_MASK, PAGE_SIZE, e & PAGE_CACHE_MASK, __builtin_return_address(0));
    if (!k)
        return -EFAULT;
    memcpy(k + (va & (PAGE_SIZE - 1)), src, n);
    iounmap(k); /* unmaps, frees no frame */
    return 0;
}

int mm_write(struct mm *mm, uintptr_t va, const void *src, size_t n)
{
    const uint8_t *s = src;
    mm_lock(mm);
    while (n > 0) {
        /* Write as the CPU would: a page that is not writable in the PTE
         * (shared copy-on-write, a clean file copy) takes the write fault
         * first, and the write sets the Dirty bit, so that a swap-cache
         * copy it no longer matches is written again. Writing through the
         * direct map alone once changed a frame the parent still shared. */
        pte_t *e = writable_pte(mm, va);
        if (!e) {
            struct fault_info fi;
            if (handle_mm_fault(mm, va, PF_U | PF_W, &fi) != 0 || !(e = writable_pte(mm, va))) {
                mm_unlock(mm);
                return -EFAULT;
            }
        }
        *e |= PTE_A | PTE_D;
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (!pte_special(*e)) {
            memcpy(phys_to_virt((*e & PTE_ADDR_MASK) | (va & (PAGE_SIZE - 1))), s, chunk);
        } else if (write_device_page(*e, va, s, chunk)) {
            mm_unlock(mm);
            return -EFAULT;
        }
        s += chunk;
        va += chunk;
        n -= chunk;
    }
    mm_unlock(mm);
    return 0;
}

void mm_read(struct mm *mm, uintptr_t va, void *buf, size_t n)
{
    uint8_t *d = buf;
    while (n > 0) {
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        int level;
        pte_t *e = paging_walk(mm->pml4, va, false, &level); /* user memory: 4 KiB pages only */
        /* A device frame is not in the direct map, and reading it may have
         * side effects (VM_IO): it reads as zero, as a page not present. */
        if (e && level == 1 && (*e & PTE_P) && !pte_special(*e))
            memcpy(d, phys_to_virt((*e & PTE_ADDR_MASK) | (va & (PAGE_SIZE - 1))), chunk);
        else
            memset(d, 0, chunk);
        d += chunk;
        va += chunk;
        n -= chunk;
    }
}
