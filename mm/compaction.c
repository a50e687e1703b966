/*
 * mm/compaction.c - memory can be moved: user pages are copied to other
 * frames so that free memory becomes contiguous (Linux: mm/compaction.c
 * and mm/migrate.c, without their zones, async modes and migration PTEs).
 *
 * A process sees virtual addresses only, so the kernel may move a page to
 * another frame whenever it likes, as long as every PTE that mapped the old
 * frame maps the new one before anyone looks. The reverse map finds those
 * PTEs. Two scanners walk the frame table toward each other:
 *
 *   pfn 0                                                      max_pfn
 *   | migrate scanner ->   (movable user pages)                       |
 *   |                    (free frames)   <- free scanner              |
 *
 * Each movable page the migrate scanner finds is copied into a free frame
 * the free scanner takes from the top; the low frame is freed and merges
 * with its free buddies. When the scanners meet, low memory holds large
 * free blocks (see /proc/buddyinfo before and after). Writing to
 * /proc/sys/vm/compact_memory runs it (root only), as on Linux.
 *
 * The kernel is not preempted and the big kernel lock keeps other CPUs
 * out of it, so no kernel code runs between the copy and the PTE rewrite
 * and no migration entries are needed (Linux puts them in the PTEs while
 * the copy is made, and faults wait on them). User code on other CPUs
 * does run, though: with several CPUs the PTEs are first made read-only
 * and shot down, so that no thread writes the old frame behind the copy
 * (its write faults and waits for the lock; the PTE it finds afterwards
 * maps the new frame, writable again).
 */
#include "mm/compaction.h"

#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/tlb.h"
#include "mm/vmcheck.h"
#include "mm/vmscan.h"
#include "mm/vmstat.h"

/* Can the page be moved? A mapped user page (on reclaim's list) that
 * nobody holds for I/O or a copy. Page tables, slabs and the kernel's
 * frames never move: their addresses are in kernel pointers. */
static bool movable(const struct page *p)
{
    return (p->flags & PG_lru) && !(p->flags & (PG_locked | PG_head)) && p->pincount == 0 && p->mapcount > 0;
}

/* An available PTE bit (SDM Vol 3A Table 4-19: ignored by the CPU): the
 * entry was writable before wrprotect_one; only while the lock is held. */
#define PTE_MIGRATE_WAS_RW (1ul << 10)

/* Make one PTE of the page read-only and flush it everywhere. */
static void wrprotect_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *arg)
{
    (void)p, (void)arg;
    if (!(*e & PTE_RW))
        return;
    pte_modify(e, ~PTE_RW, PTE_MIGRATE_WAS_RW); /* atomic: keeps a D bit set by another CPU meanwhile */
    if ((read_cr3() & PTE_ADDR_MASK) == virt_to_phys(vma->mm->pml4))
        tlb_flush_page(va);
    tlb_shootdown_page(vma->mm->pml4, va);
}

struct remap {
    struct page *to;
    int found; /* PTEs rewritten */
};

/* Point one PTE that maps the old frame at the new one; A, D and the
 * permissions stay. Flush its TLB entry where that address space is live. */
static void remap_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *arg)
{
    (void)p;
    struct remap *r = arg;
    pte_t rw = (*e & PTE_MIGRATE_WAS_RW) ? PTE_RW : 0;
    *e = (*e & ~(PTE_ADDR_MASK | PTE_MIGRATE_WAS_RW)) | page_to_phys(r->to) | rw;
    if ((read_cr3() & PTE_ADDR_MASK) == virt_to_phys(vma->mm->pml4))
        tlb_flush_page(va);
    tlb_shootdown_page(vma->mm->pml4, va);
    r->found++;
}

/* Move page p into the free frame q: copy the bytes and the descriptor,
 * rewrite every PTE, hand q to the swap cache and shm object in p's place,
 * free p. False (nothing changed) if the reverse map did not find every
 * PTE: then p stays where it is. */
static bool migrate_page(struct page *p, struct page *q)
{
    if (nr_cpus_online > 1) /* threads on other CPUs stop writing p first */
        rmap_walk(p, wrprotect_one, NULL);
    copy_page(page_to_virt(q), page_to_virt(p));
    struct remap r = {.to = q, .found = 0};
    rmap_walk(p, remap_one, &r);
    if (r.found != p->mapcount) { /* a PTE the walk cannot see would keep p: undo */
        struct remap back = {.to = p, .found = 0};
        *q = (struct page){.mapcount = p->mapcount, .anon_vma = p->anon_vma, .index = p->index,
                           .shm_owner = p->shm_owner, .shm_index = p->shm_index};
        rmap_walk(q, remap_one, &back);
        *q = (struct page){.refcount = 1};
        pr_err("compaction: pfn %#lx: %d of %d mappings found; not moved\n", page_to_pfn(p), r.found, p->mapcount);
        return false;
    }
    uint32_t flags = p->flags;
    *q = *p;                      /* counts, flags, reverse map, swap slot, shm index */
    lru_replace(p, q);            /* same place on reclaim's list */
    if (flags & PG_swapcache)
        swap_cache_replace(p, q); /* the slot's copy is now found in q */
    if (p->shm_owner)
        shm_object_replace_page(p, q);
    *p = (struct page){.refcount = 1}; /* nothing names p now: an ordinary allocated frame */
    pmm_free(p, 0);
    count_vm_event(NR_PGMIGRATE_SUCCESS);
    return true;
}

/* The next free frame at or below *pfn and above floor, taken out of the
 * allocator; NULL when the scanners have met. */
static struct page *free_scanner_next(uint64_t *pfn, uint64_t floor)
{
    for (; *pfn > floor; (*pfn)--) {
        count_vm_event(NR_COMPACT_FREE_SCANNED);
        if (!pmm_is_free(*pfn))
            continue;
        struct page *q = pmm_take_free(*pfn);
        if (q) {
            (*pfn)--;
            return q;
        }
    }
    return NULL;
}

unsigned compact_memory(void)
{
    pmm_drain(); /* cached frames count as free: let the buddy lists see them */
    uint64_t free_pfn = pmm_max_pfn() - 1, moved = 0;
    for (uint64_t pfn = 0; pfn < free_pfn; pfn++) {
        struct page *p = pfn_to_page(pfn);
        count_vm_event(NR_COMPACT_MIGRATE_SCANNED);
        if (!movable(p))
            continue;
        struct page *q = free_scanner_next(&free_pfn, pfn);
        if (!q)
            break;
        if (migrate_page(p, q))
            moved++;
        else
            pmm_free(q, 0);
    }
    pmm_drain(); /* the frames we freed: merge them now */
    vm_check_after("compaction");
    return (unsigned)moved;
}
