/*
 * mm/vmcheck.c - vm_check: recount everything, compare with the books.
 *
 * The checker never trusts a count the kernel keeps. It finds the holders
 * of every frame and every swap slot by itself, in three passes, and then
 * compares:
 *
 *   1. every address space (mm_list), every user PTE (paging_next_pte):
 *        present / PROT_NONE  -> maps[pfn]++, and the PTE must agree with
 *                                its VMA, the reverse map (the frame names
 *                                the VMA's anon_vma and this address, the
 *                                VMA is on the anon_vma's list) and the
 *                                ownership rules of mm/page.h
 *        swap entry           -> slot_refs[slot]++
 *        device frame         -> no struct page: the PTE must sit in a
 *                                device VMA at its place in the device's
 *                                window, with its memory type; every page
 *                                of a device VMA has one (mm/pfnmap.c)
 *      and its page tables: the ones the tree reaches are the ones on
 *      its PML4's list (paging_audit_tables)
 *   2. every shm object: its pages must name it back; its swapped pages
 *        -> slot_refs[slot]++
 *   3. every frame: refcount == mappings + swap cache + shm + pins, with
 *        maps[pfn] == its mapcount; the LRU and free counts; then every
 *        swap slot: its count == slot_refs[slot], its cache entry sane
 *
 * The invariants, in words (docs/page-lifecycle.md draws them):
 *   - no PTE points at a free frame or a kernel frame
 *   - a device PTE (PTE_SPECIAL) sits only in a device VMA, on its frame
 *     of the device's window, with the device's memory type; it is never
 *     counted in rss, mapcount or refcount (no struct page behind it)
 *   - every page table an address space reaches is on its list, so exit
 *     frees it; nothing else is
 *   - mapcount counts the PTEs, and rmap_walk can find each of them
 *   - a writable PTE of a private VMA maps an anonymous page that nothing
 *     else can reach (page_anon_exclusive)
 *   - a page that is not anonymous is a clean file copy, in a file VMA,
 *     never writable, never in the swap cache
 *   - a shared VMA maps its object's page at the right index
 *   - a swap slot's count equals the PTEs and objects naming it
 *   - nothing sits in the swap cache that nobody can ever ask for
 */
#include "mm/vmcheck.h"

#include <stdarg.h>

#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/commit.h"
#include "mm/ioremap.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/tlb.h"
#include "mm/vmalloc.h"
#include "mm/vmscan.h"

#define VMCHECK_MAX_LINES 20     /* violations printed; the rest are counted */
#define VMCHECK_REPORT_SIZE 4096 /* the console report of vm_check_after */

/* One run: where the report goes, and what was seen. */
struct vmcheck {
    char *buf;
    size_t size, len;
    unsigned violations;
    uint64_t mms, ptes, swap_ptes, device_ptes, anon, file, shared, cache_only, pinned, free_frames, slots_used, objects;
};

static struct {
    uint32_t *maps;      /* per frame: the PTEs found mapping it */
    uint16_t *slot_refs; /* per swap slot: the entries found naming it */
    uint64_t nr_pfns, nr_slots;
    uint64_t every;        /* vmcheck=N: check after every Nth event (0: never) */
    uint64_t events;       /* events seen since boot */
    uint64_t runs, cycles; /* checks run, and the TSC cycles they took */
    bool running;          /* a check never starts another */
    char report[VMCHECK_REPORT_SIZE];
} vc;

__attribute__((format(printf, 2, 3))) static void emit(struct vmcheck *c, const char *fmt, ...)
{
    if (c->len + 1 >= c->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->buf + c->len, c->size - c->len, fmt, ap);
    va_end(ap);
    c->len = MIN(c->size - 1, c->len + (size_t)(n > 0 ? n : 0));
}

/* Count a violation; its line is printed only for the first few. */
static bool violation(struct vmcheck *c)
{
    c->violations++;
    if (c->violations == VMCHECK_MAX_LINES + 1)
        emit(c, "vm_check: (more violations not shown)\n");
    return c->violations <= VMCHECK_MAX_LINES;
}

/* "pid 3 (t_cow)" for the task whose address space mm is. */
static void emit_mm_owner(struct vmcheck *c, const struct mm *mm)
{
    for (int pid = 1; pid <= proc_max_pid(); pid++) {
        struct task *t = proc_find(pid);
        if (t && t->mm == mm) {
            emit(c, "pid %d (%s)", pid, t->comm);
            return;
        }
    }
    emit(c, "mm %p (no task)", (const void *)mm);
}

static void emit_mapping(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *c)
{
    (void)p, (void)e;
    emit(c, " ");
    emit_mm_owner(c, vma->mm);
    emit(c, " at %#lx;", va);
}

/* The frame and everything that holds it (as the reverse map finds its
 * mappings), for a violation line. */
static void emit_frame(struct vmcheck *c, const struct page *p)
{
    emit(c, "frame %#lx: flags %#x refcount %d pins %u mapcount %d; mapped by", page_to_phys(p), p->flags,
         p->refcount, p->pincount, p->mapcount);
    if (!p->mapcount)
        emit(c, " nobody;");
    rmap_walk((struct page *)p, emit_mapping, c);
    if (p->flags & PG_swapcache)
        emit(c, "; swap cache slot %lu (count %u)", p->swap_slot, swap_slot_count(p->swap_slot));
    if (p->shm_owner)
        emit(c, "; shm object %p page %u", (void *)p->shm_owner, p->shm_index);
    emit(c, "\n");
}

#define FRAME_VIOLATION(c, p, ...)                                                                                     \
    do {                                                                                                               \
        if (violation(c)) {                                                                                            \
            emit(c, "vm_check: " __VA_ARGS__);                                                                         \
            emit(c, ": ");                                                                                             \
            emit_frame(c, p);                                                                                          \
        }                                                                                                              \
    } while (0)

#define VIOLATION(c, ...)                                                                                              \
    do {                                                                                                               \
        if (violation(c))                                                                                              \
            emit(c, "vm_check: " __VA_ARGS__);                                                                         \
    } while (0)

/* Can the reverse map find the PTE of v at va that maps private page p?
 * With v on its anon_vma's list (check_anon_vma_of), this is what the
 * walk needs: it tries every listed VMA at p->index. (Running the walk for
 * every frame instead made t_swap 20 % slower.) */
static bool rmap_can_find(const struct page *p, const struct vma *v, uintptr_t va)
{
    return v->anon_vma && p->anon_vma == v->anon_vma && p->index == va;
}


static bool is_kernel_frame(const struct page *p)
{
    return (p->flags & (PG_buddy | PG_pcp | PG_reserved | PG_slab | PG_pgtable | PG_head)) || p->refcount <= 0;
}

/* A PTE that maps a frame (present, or PROT_NONE), in VMA v. */
static void check_mapped_pte(struct vmcheck *c, struct vma *v, uintptr_t va, pte_t e)
{
    uint64_t pfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    if (pfn >= vc.nr_pfns) {
        VIOLATION(c, "PTE %#lx at %#lx maps beyond RAM\n", e, va);
        return;
    }
    struct page *p = pfn_to_page(pfn);
    if (is_kernel_frame(p)) {
        FRAME_VIOLATION(c, p, "PTE at %#lx maps a free or kernel frame", va);
        return;
    }
    vc.maps[pfn]++;
    if (!v->shm && !rmap_can_find(p, v, va))
        FRAME_VIOLATION(c, p, "the reverse map cannot find the PTE at %#lx (page anon_vma %p index %#lx, VMA's %p)",
                        va, (void *)p->anon_vma, p->index, (void *)v->anon_vma);
    if (!(e & PTE_US))
        FRAME_VIOLATION(c, p, "user PTE at %#lx without U/S", va);
    if ((e & PTE_RW) && !(v->prot & VM_WRITE))
        FRAME_VIOLATION(c, p, "writable PTE at %#lx in a VMA without PROT_WRITE", va);
    if (!(e & PTE_P) != !(v->prot & VM_PROT_MASK))
        FRAME_VIOLATION(c, p, "PTE at %#lx is %s but its VMA is %s", va, (e & PTE_P) ? "present" : "PROT_NONE",
                        (v->prot & VM_PROT_MASK) ? "accessible" : "PROT_NONE");
    if (v->shm) {
        if (p->shm_owner != v->shm || p->shm_index != v->shm_pgoff + (va - v->start) / PAGE_SIZE)
            FRAME_VIOLATION(c, p, "shared VMA at %#lx maps a page its object does not own there", va);
        return;
    }
    if (p->shm_owner)
        FRAME_VIOLATION(c, p, "private VMA at %#lx maps a shared memory page", va);
    if ((e & PTE_RW) && !page_anon_exclusive(p))
        FRAME_VIOLATION(c, p, "writable private PTE at %#lx to a page that is not exclusively ours", va);
    if (!(p->flags & PG_anon) && (v->backing != VMA_FILE || (p->flags & PG_swapcache)))
        FRAME_VIOLATION(c, p, "page at %#lx is not anonymous but is no clean file copy", va);
}

#define MM_VIOLATION(c, mm, ...)                                                                                       \
    do {                                                                                                               \
        if (violation(c)) {                                                                                            \
            emit(c, "vm_check: " __VA_ARGS__);                                                                         \
            emit(c, " (");                                                                                             \
            emit_mm_owner(c, mm);                                                                                      \
            emit(c, ")\n");                                                                                            \
        }                                                                                                              \
    } while (0)

/* A PTE to a device frame (VM_PFNMAP, mm/pfnmap.c): no struct page to
 * count, so the PTE itself must be right. It sits in a device VMA, at the
 * frame the VMA says for va, inside the device's window and never on a
 * RAM frame the allocator manages, with the device's memory type, and
 * rights that agree with the VMA. */
static void check_device_pte(struct vmcheck *c, struct mm *mm, struct vma *v, uintptr_t va, pte_t e)
{
    uint64_t pa = e & PTE_ADDR_MASK, pfn = pa >> PAGE_SHIFT;
    if (v->backing != VMA_DEVICE) {
        MM_VIOLATION(c, mm, "device PTE %#lx at %#lx in a VMA that maps no device", e, va);
        return;
    }
    if (!pte_special(e))
        MM_VIOLATION(c, mm, "PTE %#lx at %#lx in a device VMA without PTE_SPECIAL (its frame would be counted)", e,
                     va);
    if (pa != v->dev.phys + (va - v->start))
        MM_VIOLATION(c, mm, "device PTE at %#lx maps %#lx, its VMA says %#lx", va, pa, v->dev.phys + (va - v->start));
    if (pa < v->dev.window_start || pa >= v->dev.window_end)
        MM_VIOLATION(c, mm, "device PTE at %#lx maps %#lx, outside the device's [%#lx, %#lx)", va, pa,
                     v->dev.window_start, v->dev.window_end);
    if (pfn < vc.nr_pfns && !(pfn_to_page(pfn)->flags & PG_reserved))
        MM_VIOLATION(c, mm, "device PTE at %#lx maps a RAM frame %#lx the allocator manages", va, pa);
    if ((e & PAGE_CACHE_MASK) != v->dev.cache)
        MM_VIOLATION(c, mm, "device PTE at %#lx has memory type bits %#lx, the device's are %#lx", va,
                     e & PAGE_CACHE_MASK, v->dev.cache);
    if (!(e & PTE_US))
        MM_VIOLATION(c, mm, "device PTE at %#lx without U/S", va);
    if ((e & PTE_RW) && !(v->prot & VM_WRITE))
        MM_VIOLATION(c, mm, "writable device PTE at %#lx in a VMA without PROT_WRITE", va);
    if (!(e & PTE_P) != !(v->prot & VM_PROT_MASK))
        MM_VIOLATION(c, mm, "device PTE at %#lx is %s but its VMA is %s", va, (e & PTE_P) ? "present" : "PROT_NONE",
                     (v->prot & VM_PROT_MASK) ? "accessible" : "PROT_NONE");
}

/* A device VMA: both flags, a window holding all of it, and none of what
 * RAM mappings have (an anon_vma, an shm object, a Committed_AS charge). */
static void check_device_vma(struct vmcheck *c, struct mm *mm, const struct vma *w)
{
    bool device = w->backing == VMA_DEVICE;
    if (device != ((w->flags & VM_PFNMAP) != 0) || device != ((w->flags & VM_IO) != 0))
        MM_VIOLATION(c, mm, "VMA [%#lx, %#lx): backing %d with flags %#x (VM_IO | VM_PFNMAP iff a device)", w->start,
                     w->end, w->backing, w->flags);
    if (!device)
        return;
    if (w->anon_vma || w->shm || (w->flags & VM_ACCOUNT))
        MM_VIOLATION(c, mm, "device VMA [%#lx, %#lx) has an anon_vma, shm object or charge", w->start, w->end);
    if (w->dev.phys < w->dev.window_start || w->dev.phys + (w->end - w->start) > w->dev.window_end)
        MM_VIOLATION(c, mm, "device VMA [%#lx, %#lx) maps [%#lx, %#lx), beyond the device's [%#lx, %#lx)", w->start,
                     w->end, w->dev.phys, w->dev.phys + (w->end - w->start), w->dev.window_start,
                     w->dev.window_end);
}

static void check_swap_pte(struct vmcheck *c, uintptr_t va, pte_t e)
{
    uint64_t slot = swp_offset(e);
    if (slot == 0 || slot >= vc.nr_slots || swap_slot_is_bad(slot)) {
        VIOLATION(c, "swap entry %#lx at %#lx names slot %lu: no such usable slot\n", e, va, slot);
        return;
    }
    if (vc.slot_refs[slot] == UINT16_MAX)
        VIOLATION(c, "slot %lu: more references than a slot count holds\n", slot);
    else
        vc.slot_refs[slot]++;
}

static unsigned list_length(const struct list_head *head)
{
    unsigned n = 0;
    for (const struct list_head *pos = head->next; pos != head; pos = pos->next)
        n++;
    return n;
}

/* A private VMA is on its anon_vma's list, and the list is as long as the
 * anon_vma says (else the reverse map would miss this VMA's PTEs). */
static void check_anon_vma_of(struct vmcheck *c, struct vma *v)
{
    struct anon_vma *av = v->anon_vma;
    unsigned n = 0;
    bool found = false;
    for (struct list_head *pos = av->vmas.next; pos != &av->vmas; pos = pos->next, n++) {
        struct vma *w = list_entry(pos, struct vma, rmap_node);
        found |= w == v;
        if (w->anon_vma != av) {
            VIOLATION(c, "anon_vma %p lists a VMA [%#lx, %#lx) that names another\n", (void *)av, w->start, w->end);
            return;
        }
    }
    if (!found || n != av->nr_vmas)
        VIOLATION(c, "anon_vma %p: %u VMAs kept, %u on its list, VMA [%#lx, %#lx) %s\n", (void *)av, av->nr_vmas, n,
                  v->start, v->end, found ? "on it" : "missing");
}

/* What pass 1 finds in one address space. */
struct mm_found {
    uint64_t rss, swap, device; /* PTEs to RAM frames, swap entries, PTEs to device frames */
};

/* One non-empty user PTE of mm; *v is the VMA cursor (addresses only grow). */
static void check_pte(struct vmcheck *c, struct mm *mm, struct vma **v, uintptr_t va, pte_t e, struct mm_found *f)
{
    while (*v && (*v)->end <= va)
        *v = vma_next(mm, *v);
    if (!*v || (*v)->start > va) {
        VIOLATION(c, "PTE %#lx at %#lx outside every VMA of ", e, va);
        if (c->violations <= VMCHECK_MAX_LINES) {
            emit_mm_owner(c, mm);
            emit(c, "\n");
        }
        return;
    }
    c->ptes++;
    if (((*v)->flags & VM_PFNMAP) && !(e & (PTE_P | PTE_PROTNONE))) {
        MM_VIOLATION(c, mm, "PTE %#lx at %#lx in a device VMA maps no device frame", e, va);
    } else if (pte_special(e) || ((*v)->flags & VM_PFNMAP)) {
        f->device++;
        check_device_pte(c, mm, *v, va, e);
    } else if (e & (PTE_P | PTE_PROTNONE)) {
        f->rss++;
        check_mapped_pte(c, *v, va, e);
    } else if (is_swap_pte(e) && vc.nr_slots) {
        f->swap++;
        check_swap_pte(c, va, e);
    } else {
        VIOLATION(c, "PTE %#lx at %#lx is neither a mapping nor a swap entry\n", e, va);
    }
}

/* Pass 1: every user PTE of mm, a page table (512 entries) at a time. */
static void check_mm(struct vmcheck *c, struct mm *mm)
{
    struct mm_found f = {0, 0, 0};
    uint64_t device_pages = 0; /* a device VMA has every PTE, from mmap to munmap */
    struct vma *v = list_empty(&mm->vmas) ? NULL : list_first_entry(&mm->vmas, struct vma, list);
    uintptr_t va = 0;
    pte_t *ep;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        struct vma *w = list_entry(pos, struct vma, list);
        if (w->mm != mm)
            VIOLATION(c, "VMA [%#lx, %#lx) names another address space\n", w->start, w->end);
        if (w->pte_flags != vma_prot_pte_flags(w))
            VIOLATION(c, "VMA [%#lx, %#lx): PTE flags %#lx cached, its prot means %#lx\n", w->start, w->end,
                      w->pte_flags, vma_prot_pte_flags(w));
        if (!w->shm && w->anon_vma)
            check_anon_vma_of(c, w);
        check_device_vma(c, mm, w);
        if (w->backing == VMA_DEVICE)
            device_pages += vma_pages(w);
    }
    while ((ep = paging_next_pte(mm->pml4, &va, USER_SPACE_END)) != NULL) {
        uintptr_t table_end = ALIGN_DOWN(va, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE;
        for (; va < table_end; va += PAGE_SIZE, ep++)
            if (*ep)
                check_pte(c, mm, &v, va, *ep, &f);
    }
    c->swap_ptes += f.swap;
    c->device_ptes += f.device;
    if (f.device != device_pages)
        MM_VIOLATION(c, mm, "device VMAs span %lu pages, but %lu device PTEs found", device_pages, f.device);
    uint64_t reachable, listed;
    if (!paging_audit_tables(mm->pml4, &reachable, &listed)) {
        VIOLATION(c, "");
        if (c->violations <= VMCHECK_MAX_LINES) {
            emit_mm_owner(c, mm);
            emit(c, ": %lu page tables reachable, %lu on its PML4's list, %lu counted\n", reachable, listed,
                 paging_nr_tables(mm->pml4));
        }
    }
    if (f.rss != mm->rss || f.swap != mm->swap_pages) {
        VIOLATION(c, "");
        if (c->violations <= VMCHECK_MAX_LINES) {
            emit_mm_owner(c, mm);
            emit(c, ": rss %lu and swap %lu kept, %lu and %lu found\n", mm->rss, mm->swap_pages, f.rss, f.swap);
        }
    }
}

/* How many VMAs, in all address spaces, map obj. */
static unsigned count_vmas_of(const struct shm_object *obj)
{
    unsigned n = 0;
    struct list_head *m, *pos;
    list_for_each(m, mm_list())
    {
        struct mm *mm = list_entry(m, struct mm, all);
        list_for_each(pos, &mm->vmas) n += list_entry(pos, struct vma, list)->shm == obj;
    }
    return n;
}

/* Pass 2: every shm object's pages name it back; its slots are counted. */
static void check_shm_objects(struct vmcheck *c)
{
    struct list_head *pos;
    list_for_each(pos, shm_object_list())
    {
        struct shm_object *obj = list_entry(pos, struct shm_object, all);
        c->objects++;
        struct list_head *v;
        list_for_each(v, &obj->vmas) {
            if (list_entry(v, struct vma, rmap_node)->shm != obj)
                VIOLATION(c, "shm object %p lists a VMA of another object\n", (void *)obj);
        }
        if (count_vmas_of(obj) != obj->nr_vmas || list_length(&obj->vmas) != obj->nr_vmas)
            VIOLATION(c, "shm object %p: nr_vmas %u, but %u VMAs map it and %u are on its list\n", (void *)obj,
                      obj->nr_vmas, count_vmas_of(obj), list_length(&obj->vmas));
        for (size_t i = 0; i < obj->nr_pages; i++) {
            uintptr_t e = obj->pages[i];
            if (!e)
                continue;
            if (SHM_IS_SWAPPED(e)) {
                uint64_t slot = SHM_SLOT(e);
                if (slot == 0 || slot >= vc.nr_slots || swap_slot_is_bad(slot))
                    VIOLATION(c, "shm object %p page %zu names slot %lu: no such usable slot\n", (void *)obj, i, slot);
                else
                    vc.slot_refs[slot]++;
                continue;
            }
            struct page *p = (struct page *)e;
            if (p->shm_owner != obj || p->shm_index != i)
                FRAME_VIOLATION(c, p, "shm object %p page %zu does not name the object back", (void *)obj, i);
        }
    }
}

/* Committed_AS: the counter equals the pages of every VMA marked
 * VM_ACCOUNT plus every shm object's charge (mm/commit.c). */
static void check_commit(struct vmcheck *c)
{
    uint64_t bad, found = vm_commit_recount(&bad);
    if (found != vm_committed_pages())
        VIOLATION(c, "Committed_AS: %lu pages kept, %lu charged by VMAs and shm objects\n", vm_committed_pages(),
                  found);
    if (bad)
        VIOLATION(c, "Committed_AS: %lu shared or MAP_NORESERVE VMAs are marked VM_ACCOUNT\n", bad);
}

/* Pass 3a: every frame's books against what passes 1 and 2 found. */
static void check_frame(struct vmcheck *c, uint64_t pfn)
{
    struct page *p = pfn_to_page(pfn);
    if (p->flags & (PG_reserved | PG_slab | PG_pgtable | PG_head))
        return; /* the kernel's (pass 1 reported any PTE to it); anon_vma/index are slab data here */
    if (p->refcount == 0)
        return; /* inside a free block, or the tail of a multi-frame one: stale fields */
    bool cached = p->flags & PG_swapcache;
    if (!p->mapcount && !vc.maps[pfn] && !cached && !p->shm_owner && !(p->flags & (PG_lru | PG_anon)))
        return;                    /* not a user frame (or pinned before its first mapping) */
    c->pinned += p->pincount != 0; /* shown, not judged: a pin may be held across a sleep */
    unsigned mapped = rmap_count(p);
    unsigned holders = mapped + cached + (p->shm_owner != NULL) + p->pincount;
    if ((unsigned)p->refcount != holders)
        FRAME_VIOLATION(c, p, "refcount %d, but %u holders (%u mappings, swap cache %d, shm %d, %u pins)", p->refcount,
                        holders, mapped, cached, p->shm_owner != NULL, p->pincount);
    if (vc.maps[pfn] != mapped)
        FRAME_VIOLATION(c, p, "mapcount %u, but %u PTEs map it", mapped, vc.maps[pfn]);
    if (!p->shm_owner && (p->mapcount || (p->flags & PG_anon)) && !p->anon_vma)
        FRAME_VIOLATION(c, p, "a private user page without an anon_vma");
    if (!(p->flags & PG_lru) != !p->mapcount)
        FRAME_VIOLATION(c, p, "on the LRU list iff mapped: PG_lru %s", (p->flags & PG_lru) ? "set" : "clear");
    if (cached && swap_cache_lookup(p->swap_slot) != p)
        FRAME_VIOLATION(c, p, "PG_swapcache, but the cache has another page at slot %lu", p->swap_slot);
    if ((p->flags & PG_locked) && (!cached || p->mapcount))
        FRAME_VIOLATION(c, p, "under I/O but not an unmapped swap cache page");
    if (cached && !p->mapcount && !(p->flags & PG_locked) && swap_slot_count(p->swap_slot) == 0)
        FRAME_VIOLATION(c, p, "in the swap cache, but no PTE maps it and no entry names its slot");
    if (p->shm_owner)
        c->shared++;
    else if (p->flags & PG_anon)
        c->anon++;
    else if (p->mapcount)
        c->file++;
    else
        c->cache_only++;
}

/* Pass 3b: every swap slot's count, and the cache's entries. */
static void check_slots(struct vmcheck *c)
{
    struct swap_audit a;
    swap_audit(vc.slot_refs, &a);
    c->slots_used = a.used;
    for (uint64_t i = 0; i < MIN(a.nr_wrong, (uint64_t)SWAP_AUDIT_MAX); i++) {
        uint64_t slot = a.wrong[i];
        struct page *p = swap_cache_lookup(slot);
        if (swap_slot_is_bad(slot))
            VIOLATION(c, "slot %lu is retired, but %u entries name it%s\n", slot, vc.slot_refs[slot],
                      p ? " and it is cached" : "");
        else if (swap_slot_count(slot) != vc.slot_refs[slot])
            VIOLATION(c, "slot %lu: count %u, but %u entries name it\n", slot, swap_slot_count(slot),
                      vc.slot_refs[slot]);
        else
            FRAME_VIOLATION(c, p, "the swap cache holds it at slot %lu, but the page says otherwise", slot);
    }
    if (a.nr_wrong > SWAP_AUDIT_MAX)
        VIOLATION(c, "... and %lu more slots are wrong\n", a.nr_wrong - SWAP_AUDIT_MAX);
    if (a.free != swap_free_pages() || a.cached != swap_cached_pages())
        VIOLATION(c, "swap: %lu free and %lu cached kept, %lu and %lu found\n", swap_free_pages(), swap_cached_pages(),
                  a.free, a.cached);
}

static void check_frames(struct vmcheck *c)
{
    uint64_t on_lru = 0;
    for (uint64_t pfn = 0; pfn < vc.nr_pfns; pfn++) {
        const struct page *p = pfn_to_page(pfn);
        if (p->flags & PG_buddy) { /* a free block: count it, skip its frames (a PTE to one failed pass 1) */
            c->free_frames += 1ul << p->order;
            pfn += (1ul << p->order) - 1;
            continue;
        }
        if (p->flags & PG_pcp) { /* a free frame in the order-0 cache */
            c->free_frames++;
            continue;
        }
        check_frame(c, pfn);
        on_lru += (p->flags & PG_lru) != 0;
    }
    uint64_t listed = 0;
    struct list_head *pos;
    list_for_each(pos, lru_list())
    {
        if (!(list_entry(pos, struct page, lru)->flags & PG_lru) || ++listed > on_lru)
            break;
    }
    if (on_lru != lru_size() || listed != on_lru)
        VIOLATION(c, "LRU: %lu pages kept, %lu on the list, %lu frames with PG_lru\n", lru_size(), listed, on_lru);
    if (c->free_frames != pmm_nr_free())
        VIOLATION(c, "%lu free frames kept, %lu in the buddy lists and the frame cache\n", pmm_nr_free(),
                  c->free_frames);
}

unsigned vm_check(char *buf, size_t size)
{
    struct vmcheck c = {.buf = buf, .size = size};
    buf[0] = '\0';
    if (!vc.maps) {
        emit(&c, "vm_check: not initialised\n");
        return 1;
    }
    uint64_t t0 = rdtsc();
    vc.running = true; /* no lock needed: nothing here sleeps, and interrupt
                        * handlers never change page tables or frames */
    memset(vc.maps, 0, vc.nr_pfns * sizeof(*vc.maps));
    if (vc.nr_slots)
        memset(vc.slot_refs, 0, vc.nr_slots * sizeof(*vc.slot_refs));
    struct list_head *pos;
    list_for_each(pos, mm_list())
    {
        c.mms++;
        check_mm(&c, list_entry(pos, struct mm, all));
    }
    check_shm_objects(&c);
    check_commit(&c);
    check_frames(&c);
    if (vc.nr_slots)
        check_slots(&c);
    vc.running = false;
    vc.runs++;
    vc.cycles += rdtsc() - t0;
    char device_note[48] = ""; /* shown only when a device is mapped, so the usual line stays as it was */
    if (c.device_ptes)
        snprintf(device_note, sizeof(device_note), " and %lu device frames", c.device_ptes);
    if (c.violations == 0)
        emit(&c,
             "vm_check: ok (%lu address spaces, %lu PTEs of which %lu swap entries%s; frames: %lu anonymous, %lu "
             "file, "
             "%lu shared, %lu swap cache only, %lu pinned, %lu free; %lu swap slots in use; %lu shm objects; checks "
             "since boot: "
             "%lu, "
             "%lu of them after events, %lu kcycles each)\n",
             c.mms, c.ptes, c.swap_ptes, device_note, c.anon, c.file, c.shared, c.cache_only, c.pinned, c.free_frames, c.slots_used,
             c.objects, vc.runs, vc.every ? vc.events / vc.every : 0, vc.cycles / vc.runs / 1000);
    else
        emit(&c, "vm_check: %u violations\n", c.violations);
    return c.violations;
}

void vm_check_after(const char *event)
{
    /* Every time (it is one load): the event's shootdowns were answered
     * before it returned, or another CPU may still use what it removed. */
    uint64_t unanswered = vc.every ? tlb_shootdown_unanswered() : 0;
    if (unanswered)
        panic("vm_check: after %s, CPUs %#lx have not answered a TLB shootdown: they may still use the "
              "translations it removed",
              event, unanswered);
    if (!vc.every || vc.running || ++vc.events % vc.every != 0)
        return;
    if (vm_check(vc.report, sizeof(vc.report)) == 0)
        return;
    pr_err("%s", vc.report);
    panic("vm_check: the memory manager broke its invariants after %s", event);
}

void vm_check_init(const char *option)
{
    vc.every = option ? (*option ? cmdline_parse_size(option) : 1) : 0;
    vc.nr_pfns = pmm_max_pfn();
    vc.nr_slots = swap_nr_slots();
    vc.maps = vmalloc(vc.nr_pfns * sizeof(*vc.maps));
    vc.slot_refs = vc.nr_slots ? vmalloc(vc.nr_slots * sizeof(*vc.slot_refs)) : NULL;
    if (!vc.maps || (vc.nr_slots && !vc.slot_refs))
        panic("vm_check: no memory for its counting tables");
    if (vc.every)
        pr_info("vm_check: /proc/vmcheck ready; checking after every %lu%s fork, exit, munmap, mprotect, swap-in "
                "and reclaim (vmcheck%s%s)\n",
                vc.every, vc.every == 1 ? "" : "th", *option ? "=" : "", option);
    else
        pr_info("vm_check: /proc/vmcheck ready (boot with vmcheck to check after every mm event)\n");
}
