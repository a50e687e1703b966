/*
 * mm/fault.c - what happens on a page fault at a user address.
 *
 * Read it top down; it follows Linux's mm/memory.c:
 *
 *   handle_mm_fault         find the VMA (grow the stack), check the access
 *     handle_pte_fault      look at the PTE and pick the case:
 *       PTE empty, anonymous VMA   -> do_anonymous_page  (lazy allocation)
 *       PTE empty, file VMA        -> do_read_fault      (demand loading)
 *       PTE empty, shared VMA      -> do_shared_fault    (shm: the object's page)
 *       PTE not present, not empty -> do_swap_page       (a swap entry: swap-in)
 *       device VMA (VM_PFNMAP)     -> do_pfnmap_fault    (mm/pfnmap.c: stale TLB, else SIGBUS)
 *       present, write to read-only-> do_wp_page         (copy-on-write)
 *       present and allowed        -> spurious: a stale TLB entry, flush it
 *
 * Anything else is a bad access: the caller sends SIGSEGV and prints one
 * line with the reason given here.
 */
#include "mm/fault.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "mm/commit.h"
#include "mm/memlayout.h"
#include "mm/pfnmap.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/vmscan.h"
#include "mm/tlb.h"
#include "mm/vmcheck.h"
#include "mm/vmstat.h"

#define STACK_LIMIT_SLACK 0x100000 /* faults this far below the limit say "stack limit" */

static int bad_access(struct fault_info *fi, int si_code, const char *reason)
{
    fi->si_code = si_code;
    fi->reason = reason;
    return -EFAULT;
}

/* A new frame mapped at va in mm with pte_flags and entered in the
 * reverse map. The frame comes zeroed, or with the file bytes `fill`
 * copies into it. Returns 0 or -ENOMEM. */
static int map_new_frame(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte, uint64_t pte_flags,
                         uint32_t page_flags, struct page **out)
{
    /* LAB lazy/map_new_frame: the lazy lab removes the code from here to END LAB (docs/labs/lazy.md). */
    struct page *p = alloc_user_page(); /* pinned; may reclaim (and sleep) first */
    if (!p)
        return -ENOMEM;
    clear_page(page_to_virt(p));
    p->flags |= page_flags;
    if (rmap_add_new(p, vma, va)) { /* the pin becomes the mapping's reference */
        page_unpin(p);
        return -ENOMEM;
    }
    *pte = page_to_phys(p) | pte_flags | PTE_P;
    mm->rss++;
    if (out)
        *out = p;
    return 0; /* the PTE was not present: no TLB entry to flush */
    /* END LAB lazy/map_new_frame */
}

/* Lazy allocation: the first touch of an anonymous page gets a zeroed
 * frame. Nothing was allocated at mmap/brk time. */
static int do_anonymous_page(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte)
{
    /* LAB lazy/do_anonymous_page: the lazy lab removes the code from here to END LAB (docs/labs/lazy.md). */
    return map_new_frame(mm, vma, va, pte, vma_pte_flags(vma), PG_anon, NULL);
    /* END LAB lazy/do_anonymous_page */
}

/* Demand loading: copy the page's bytes from the file (the ELF image in
 * the initrd); past the file data (the tail of .data, all of .bss) the
 * page is zero. A read maps it read-only, as a clean copy of the file that
 * reclaim may drop and read again; a write (now, or later through
 * do_wp_page) makes it anonymous: from then on it differs from the file. */
static int do_read_fault(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte, uint64_t err,
                         struct fault_info *fi)
{
    struct page *p;
    bool write = err & PF_W;
    uint64_t pte_flags = vma_pte_flags(vma) & (write ? ~0ul : ~PTE_RW);
    int r = map_new_frame(mm, vma, va, pte, pte_flags, write ? PG_anon : 0, &p);
    if (r)
        return r;
    uint64_t off = vma->file_off + (va - vma->start);
    if (off < vma->file_end) {
        uint64_t n = MIN((uint64_t)PAGE_SIZE, vma->file_end - off);
        memcpy(page_to_virt(p), vma->file_data + off, n);
        fi->major = true;
    }
    return 0;
}

/* Shared memory: the page belongs to the shm object. The first toucher,
 * in any process, makes the object allocate it; everyone after maps the
 * same frame (Linux: do_shared_fault). */
static int do_shared_fault(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte, struct fault_info *fi)
{
    struct page *p;
    int r = shm_object_page(vma->shm, vma->shm_pgoff + (va - vma->start) / PAGE_SIZE, &p, &fi->major);
    if (r == -EIO)
        fi->reason = "swap-in failed (disk error)";
    if (r)
        return r;
    r = rmap_add(p, vma, va) ? -ENOMEM : 0;
    if (r == 0) {
        *pte = page_to_phys(p) | vma_pte_flags(vma) | PTE_P;
        mm->rss++;
    }
    page_unpin(p);
    if (r && (p->flags & PG_swapcache))
        swap_cache_trim(p); /* just swapped in for nobody: its slot may be named by no one now */
    return r;
}

/* Map p, the page of swap slot `slot`, at va, in place of the swap entry
 * the PTE held. A private page read from swap is anonymous, and writable
 * only if it is exclusively ours: a process that shares the slot (fork)
 * must not see our writes. Consumes the caller's pin. -ENOMEM if the
 * reverse map cannot take it (the PTE keeps its entry). */
static int map_swapped_page(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte, struct page *p, uint64_t slot)
{
    /* LAB swapin/map_swapped_page: the swapin lab removes the code from here to END LAB (docs/labs/swapin.md). */
    if (rmap_add(p, vma, va)) {
        page_unpin(p);
        return -ENOMEM;
    }
    swap_slot_put(slot); /* this PTE no longer names the slot */
    mm->swap_pages--;
    mm->rss++;
    if (vma->shm) /* shared memory: the object takes its page back too */
        shm_page_swapped_in(vma->shm, vma->shm_pgoff + (va - vma->start) / PAGE_SIZE, p, slot);
    else
        p->flags |= PG_anon;
    page_unpin(p);
    uint64_t flags = vma_pte_flags(vma);
    if (!vma->shm && !page_anon_exclusive(p))
        flags &= ~PTE_RW; /* shared with another mapping or swap entry: copy on write */
    *pte = page_to_phys(p) | flags | PTE_P;
    return 0;
    /* END LAB swapin/map_swapped_page */
}

/* Read-around: how many of the PTEs after pte (same page table, same
 * private VMA) hold the next slots in order, each named by that PTE alone.
 * A process that swapped out a run of pages usually wants the run back
 * (reclaim wrote it to consecutive slots, in one request). */
static unsigned readaround_wanted(struct vma *vma, uintptr_t va, const pte_t *pte, uint64_t slot)
{
    unsigned n = 0;
    uintptr_t table_end = ALIGN_DOWN(va, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE;
    if (vma->shm)
        return 0; /* shm slots are named by the object, not the PTE */
    while (n < SWAP_READAROUND_MAX) {
        uintptr_t next = va + (n + 1) * PAGE_SIZE;
        if (next >= vma->end || next >= table_end || pte[n + 1] != swp_entry(0, slot + n + 1) ||
            swap_slot_count(slot + n + 1) != 1)
            break;
        n++;
    }
    return n;
}

/* Map the read-around pages whose PTEs still hold their entries (we
 * slept: anything may have changed; the VMA is looked up again, since an
 * mprotect may have split it); let the others go. */
static void map_readaround(struct mm *mm, uintptr_t va, uint64_t slot, const struct swap_readaround *ra)
{
    for (unsigned i = 0; i < ra->n; i++) {
        uintptr_t a = va + (i + 1) * PAGE_SIZE;
        struct page *p = ra->pages[i];
        int level;
        pte_t *e = paging_walk(mm->pml4, a, false, &level);
        struct vma *v = vma_find(mm, a);
        if (e && level == 1 && *e == swp_entry(0, slot + i + 1) && v && a >= v->start) {
            if (map_swapped_page(mm, v, a, e, p, slot + i + 1) != 0)
                swap_cache_trim(p); /* not mapped (no memory for the rmap): map_swapped_page dropped our pin */
            continue;
        }
        page_unpin(p);
        swap_cache_trim(p);
    }
}

/* Swap-in: the PTE holds a swap entry. swap_in finds the page in the swap
 * cache (another process brought it back, or reclaim is still writing it)
 * or reads it from the disk, sleeping meanwhile, together with the pages
 * of the next PTEs if they follow on the disk (read-around). It may come
 * back in a different frame; the PTE then points there. */
static int do_swap_page(struct mm *mm, struct vma *vma, uintptr_t va, pte_t *pte, struct fault_info *fi)
{
    /* LAB swapin/do_swap_page: the swapin lab removes the code from here to END LAB (docs/labs/swapin.md). */
    pte_t entry = *pte;
    uint64_t slot = swp_offset(entry);
    struct page *p;
    int level;
    struct swap_readaround ra = {.n = readaround_wanted(vma, va, pte, slot)};
    int r = swap_in(slot, &p, &fi->major, &ra);
    if (r == -EAGAIN)
        return 0; /* the entry went away while we slept: fault again */
    if (r == -EIO)
        fi->reason = "swap-in failed (disk error)";
    if (r)
        return r;
    pte = paging_walk(mm->pml4, va, false, &level);
    if (!pte || *pte != entry) { /* we slept and someone else already dealt with it */
        page_unpin(p);
        swap_cache_trim(p);
        map_readaround(mm, va, slot, &ra);
        return 0;
    }
    r = map_swapped_page(mm, vma, va, pte, p, slot);
    map_readaround(mm, va, slot, &ra);
    vm_check_after("swap-in");
    return r;
    /* END LAB swapin/do_swap_page */
}

/* Copy-on-write: a write to a present, read-only page of a writable
 * private VMA (fork left the frame shared read-only, or it is a clean copy
 * of the program file). If the page is exclusively ours, reuse it: it
 * becomes anonymous and writable (its copy on disk, if any, is stale). If
 * anything else can reach it, copy it into a new anonymous frame. Either
 * way the old read-only translation is flushed. */
static int do_wp_page(struct vma *vma, uintptr_t va, pte_t *pte)
{
    /* LAB cow/do_wp_page: the cow lab removes the code from here to END LAB (docs/labs/cow.md). */
    struct page *old = phys_to_page(*pte & PTE_ADDR_MASK);
    if (page_exclusive(old)) {
        if (old->flags & PG_swapcache)
            swap_cache_remove(old); /* about to change: the copy on disk is stale */
        old->flags |= PG_anon;
        *pte |= PTE_RW;
        count_vm_event(NR_COW_REUSE);
    } else {
        page_pin(old); /* alloc_user_page may reclaim: keep the original */
        struct page *copy = alloc_user_page();
        if (!copy) {
            page_unpin(old);
            return -ENOMEM;
        }
        copy->flags |= PG_anon;
        if (rmap_add_new(copy, vma, va)) {
            page_unpin(copy);
            page_unpin(old);
            return -ENOMEM;
        }
        copy_page(page_to_virt(copy), page_to_virt(old));
        if (*pte & PTE_D) /* writes made through this PTE before fork stay on the original */
            old->flags |= PG_dirty;
        *pte = page_to_phys(copy) | vma_pte_flags(vma) | PTE_P;
        rmap_remove(old);
        page_unpin(old);
        count_vm_event(NR_COW_FAULT);
    }
    tlb_flush_page(va);
    return 0;
    /* END LAB cow/do_wp_page */
}

/* A copy-on-write fault resolved: the PTE points at a new frame (or became
 * writable). Threads on other CPUs may still read the old frame through
 * their TLBs: they flush too. */
static int do_wp_page_all_cpus(struct vma *vma, uintptr_t va, pte_t *pte)
{
    int r = do_wp_page(vma, va, pte);
    if (r == 0)
        tlb_shootdown_page(vma->mm->pml4, va);
    return r;
}

static int handle_pte_fault(struct mm *mm, struct vma *vma, uintptr_t addr, uint64_t err, struct fault_info *fi)
{
    int level;
    uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    if (vma->flags & VM_PFNMAP) /* device frames: no page to allocate, load, swap or copy */
        return do_pfnmap_fault(mm, va, err, fi);
    pte_t *pte = paging_walk(mm->pml4, va, true, &level);
    if (!pte)
        return -ENOMEM;
    if (!(*pte & PTE_P)) {
        if (*pte == 0) {
            switch (vma->backing) {
            case VMA_ANON: return do_anonymous_page(mm, vma, va, pte);
            case VMA_FILE: return do_read_fault(mm, vma, va, pte, err, fi);
            case VMA_SHARED: return do_shared_fault(mm, vma, va, pte, fi);
            case VMA_DEVICE: break; /* VM_PFNMAP: handled above */
            }
        }
        if (is_swap_pte(*pte))
            return do_swap_page(mm, vma, va, pte, fi);
        return bad_access(fi, SEGV_MAPERR, "bad page table entry");
    }
    if ((err & PF_W) && !(*pte & PTE_RW)) {
        if (vma->flags & VM_SHARED) { /* shared pages are never copied */
            *pte |= PTE_RW;
            tlb_flush_page(va);
            return 0;
        }
        return do_wp_page_all_cpus(vma, va, pte);
    }
    tlb_flush_page(va); /* spurious: a stale TLB entry (this CPU's: others fault for themselves) */
    return 0;
}

/* How far below its top the stack may grow: the soft RLIMIT_STACK, but
 * never into the mmap area (RLIM_INFINITY would otherwise mean "all of
 * the user half"; Linux too caps the stack gap, at 5/6 of it). */
static uint64_t stack_limit(void)
{
    return MIN(mm_rlimit(RLIMIT_STACK), (uint64_t)(USER_STACK_TOP - USER_MMAP_BASE));
}

/* The stack VMA grows down to meet a fault below it, as Linux's
 * acct_stack_growth checks: within RLIMIT_STACK, within RLIMIT_AS, not
 * into another VMA, and the new pages charged to Committed_AS. Any
 * refusal is a SIGSEGV. */
static struct vma *expand_stack(struct mm *mm, struct vma *vma, uintptr_t addr, struct fault_info *fi)
{
    uint64_t max = stack_limit();
    uintptr_t limit = vma->end - MIN(max, vma->end);
    if (addr < limit) {
        const char *why =
            max == USER_STACK_LIMIT ? "stack limit (8 MiB) exceeded" : "stack limit (RLIMIT_STACK) exceeded";
        bad_access(fi, SEGV_MAPERR, addr >= limit - MIN(limit, STACK_LIMIT_SLACK) ? why : "not mapped");
        return NULL;
    }
    uintptr_t new_start = ALIGN_DOWN(addr, PAGE_SIZE);
    if (vma_overlaps(mm, new_start, vma->start)) {
        bad_access(fi, SEGV_MAPERR, "not mapped");
        return NULL;
    }
    uint64_t grow = (vma->start - new_start) / PAGE_SIZE;
    if (!may_expand_vm(mm, vma->prot, vma->flags, grow)) {
        bad_access(fi, SEGV_MAPERR, "stack growth refused: RLIMIT_AS");
        return NULL;
    }
    if ((vma->flags & VM_ACCOUNT) && vm_enough_memory(mm, grow)) {
        bad_access(fi, SEGV_MAPERR, "stack growth refused: overcommit");
        return NULL;
    }
    vma->start = new_start;
    return vma;
}

static bool access_allowed(const struct vma *vma, uint64_t err)
{
    if (err & PF_W)
        return vma->prot & VM_WRITE;
    if (err & PF_I)
        return vma->prot & VM_EXEC;
    return vma->prot & (VM_READ | VM_WRITE | VM_EXEC);
}

static const char *denied_reason(uint64_t err)
{
    if (err & PF_W)
        return "write to read-only memory";
    if (err & PF_I)
        return "execute of non-executable (NX) memory";
    return "read of memory without read permission";
}

int handle_mm_fault(struct mm *mm, uintptr_t addr, uint64_t err, struct fault_info *fi)
{
    fi->major = false;
    fi->si_code = 0;
    fi->reason = NULL;
    if (addr >= KERNEL_HALF_START)
        return bad_access(fi, SEGV_MAPERR, "user access to kernel address");
    if (addr >= USER_SPACE_END)
        return bad_access(fi, SEGV_MAPERR, "not mapped (the last page below 2^47 is never mapped)");
    struct vma *vma = vma_find(mm, addr);
    if (!vma)
        return bad_access(fi, SEGV_MAPERR, "not mapped");
    if (addr < vma->start) {
        if (!(vma->flags & VM_GROWSDOWN))
            return bad_access(fi, SEGV_MAPERR, addr < PAGE_SIZE ? "not mapped (NULL pointer)" : "not mapped");
        if (!expand_stack(mm, vma, addr, fi))
            return -EFAULT;
    }
    if (!access_allowed(vma, err))
        return bad_access(fi, SEGV_ACCERR, denied_reason(err));
    int r = handle_pte_fault(mm, vma, addr, err, fi);
    if (r == 0) {
        count_vm_event(NR_PGFAULT);
        if (fi->major)
            count_vm_event(NR_PGMAJFAULT);
    }
    return r;
}
