/*
 * mm/mmap.c - mmap, munmap, mprotect, madvise and brk on VMAs.
 */
#include "mm/mmap.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "mm/commit.h"
#include "mm/memlayout.h"
#include "mm/pfnmap.h"
#include "mm/pmm.h"
#include "mm/shm.h"
#include "mm/tlb.h"
#include "mm/vmcheck.h"
#include "mm/vmscan.h"

static bool range_ok(uintptr_t addr, size_t len)
{
    return IS_ALIGNED(addr, PAGE_SIZE) && len > 0 && addr < USER_SPACE_END && len <= USER_SPACE_END - addr;
}

/* Where a new mapping goes: the hint if it is free, else the highest
 * free range below USER_MMAP_BASE (as Linux's top-down allocator). */
static uintptr_t choose_address(struct mm *mm, uintptr_t hint, size_t len)
{
    hint = ALIGN_DOWN(hint, PAGE_SIZE);
    if (hint && hint >= USER_IMAGE_BASE && range_ok(hint, len) && !vma_overlaps(mm, hint, hint + len))
        return hint;
    return vma_find_free(mm, len, USER_MMAP_BASE);
}

struct vma *mmap_region(struct mm *mm, uintptr_t start, uintptr_t end, unsigned prot, unsigned vm_flags,
                        enum vma_backing backing, const char *name)
{
    uint64_t pages = (end - start) / PAGE_SIZE;
    if (!may_expand_vm(mm, prot, vm_flags, pages))
        return NULL;
    struct vma *v = vma_add(mm, start, end, prot, backing, name); /* first: it may reclaim (and run vm_check) */
    if (!v)
        return NULL;
    v->flags |= vm_flags;
    if ((prot & VM_WRITE) && !(vm_flags & (VM_NORESERVE | VM_SHARED))) { /* private and writable: a promise to keep */
        if (vm_enough_memory(mm, pages)) {
            vma_free(mm, v);
            return NULL;
        }
        v->flags |= VM_ACCOUNT;
    }
    return v;
}

/* MAP_SHARED|MAP_ANONYMOUS: a new shm object, charged whole (unless
 * MAP_NORESERVE is honoured) and freed with its last mapping. */
static long mmap_shared_anon(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, bool noreserve)
{
    struct shm_object *obj = shm_object_create(len);
    if (!obj)
        return -ENOMEM;
    if (!noreserve) {
        if (vm_enough_memory(mm, len / PAGE_SIZE)) {
            shm_object_put_unused(obj);
            return -ENOMEM;
        }
        obj->committed = len / PAGE_SIZE; /* given back by shm_object_free */
    }
    long r = shm_map(mm, obj, addr, len, prot, true, "/dev/zero (deleted)");
    if (r < 0)
        shm_object_put_unused(obj);
    return r;
}

/* Where a MAP_FIXED mapping goes: [addr, addr + len) is cleared first (its
 * pages no longer count toward RLIMIT_AS). Returns 0 or -errno. */
static long mmap_fixed_range(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (!range_ok(addr, len))
        return -ENOMEM; /* Linux: no room for it in the user half */
    if (!vma_overlaps(mm, addr, addr + len))
        return 0;
    if (flags & MAP_FIXED_NOREPLACE)
        return -EEXIST;
    unsigned vm_shared = (flags & MAP_TYPE) == MAP_SHARED ? VM_SHARED : 0;
    uint64_t pages = len / PAGE_SIZE - vma_pages_in_range(mm, addr, addr + len);
    if (!may_expand_vm(mm, prot, vm_shared, pages))
        return -ENOMEM; /* before anything is unmapped */
    return vma_unmap_range(mm, addr, addr + len); /* MAP_FIXED replaces */
}

long do_mmap(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags, const struct mmap_file *file,
             uint64_t off)
{
    if (len == 0 || len > USER_SPACE_END)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    unsigned type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED)
        return -EINVAL;
    bool device = !(flags & MAP_ANONYMOUS) && file && file->dev;
    if (type == MAP_SHARED && !(flags & MAP_ANONYMOUS) && !device)
        return -EACCES; /* shared file mappings: the initrd is read-only */
    if (!(flags & MAP_ANONYMOUS) && (!file || !IS_ALIGNED(off, PAGE_SIZE)))
        return file ? -EINVAL : -EBADF;
    if (prot & ~VM_PROT_MASK)
        return -EINVAL;
    if (device && pfnmap_check(flags, prot))
        return -EINVAL;
    /* Linux honours MAP_NORESERVE unless overcommit is off (mode 2). */
    bool noreserve = (flags & MAP_NORESERVE) && overcommit_mode() != OVERCOMMIT_NEVER;

    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        long r = mmap_fixed_range(mm, addr, len, prot, flags);
        if (r)
            return r;
    } else {
        addr = choose_address(mm, addr, len);
        if (!addr)
            return -ENOMEM;
    }
    if (device)
        return mmap_device(mm, addr, len, prot, flags, file, off);
    if (type == MAP_SHARED)
        return mmap_shared_anon(mm, addr, len, prot, noreserve);
    bool anon = flags & MAP_ANONYMOUS;
    struct vma *v = mmap_region(mm, addr, addr + len, prot, noreserve ? VM_NORESERVE : 0, anon ? VMA_ANON : VMA_FILE,
                                anon ? NULL : file->name);
    if (!v)
        return -ENOMEM;
    if (!anon) {
        v->file_data = file->data;
        v->file_off = off;
        v->file_end = file->size;
    }
    return (long)addr;
}

long do_munmap(struct mm *mm, uintptr_t addr, size_t len)
{
    if (!range_ok(addr, ALIGN_UP(len, PAGE_SIZE)))
        return -EINVAL;
    int r = vma_unmap_range(mm, addr, addr + ALIGN_UP(len, PAGE_SIZE));
    vm_check_after("munmap");
    return r;
}

static bool range_fully_mapped(struct mm *mm, uintptr_t addr, uintptr_t end)
{
    uintptr_t cursor = addr;
    for (struct vma *v = vma_find(mm, addr); cursor < end; v = vma_next(mm, v)) {
        if (!v || v->start > cursor)
            return false;
        cursor = v->end;
    }
    return true;
}

/* A private VMA that becomes writable becomes a promise: charge it
 * (Linux's mprotect_fixup), unless it is charged already or MAP_NORESERVE
 * exempted it. Losing write keeps the charge, as on Linux. Returns 0 or
 * -ENOMEM. */
static int mprotect_charge(struct mm *mm, struct vma *v, unsigned prot)
{
    if (!(prot & VM_WRITE) || (v->flags & (VM_ACCOUNT | VM_SHARED | VM_NORESERVE)) || (v->prot & VM_WRITE))
        return 0;
    if (vm_enough_memory(mm, vma_pages(v)))
        return -ENOMEM;
    v->flags |= VM_ACCOUNT;
    return 0;
}

/* Give [v->start, v->end) (already split to the range) the new prot:
 * charge it if needed, then the VMA, then the PTEs already present. */
static int mprotect_fixup(struct mm *mm, struct vma *v, unsigned prot)
{
    if (mprotect_charge(mm, v, prot))
        return -ENOMEM;
    vma_set_prot(v, prot);
    /* Pages already present take the new permissions now (with invlpg),
     * and the other CPUs flush the range they span, once. */
    uintptr_t first = 0, last = 0;
    for (uintptr_t va = v->start; va < v->end; va += PAGE_SIZE) {
        int level;
        pte_t *e = paging_walk(mm->pml4, va, false, &level);
        if (!e || level != 1 || !(*e & (PTE_P | PTE_PROTNONE)))
            continue;
        uint64_t flags = vma_pte_flags(v); /* a device's: its memory type and PTE_SPECIAL too */
        if (!(v->flags & VM_SHARED) && !pte_special(*e) && !page_anon_exclusive(phys_to_page(*e & PTE_ADDR_MASK)))
            flags &= ~PTE_RW; /* not ours alone (or a clean file copy): the first write copies */
        if (paging_protect_local(mm->pml4, va, flags) > 0) {
            first = first ? first : va;
            last = va;
        }
    }
    if (first)
        tlb_shootdown_range(mm->pml4, first, last + PAGE_SIZE);
    return 0;
}

/* RLIMIT_DATA: would the private VMAs of [addr, end) that turn writable
 * push the data size over it (Linux: may_expand_vm in mprotect_fixup)? */
static bool mprotect_data_ok(struct mm *mm, uintptr_t addr, uintptr_t end, unsigned prot)
{
    uint64_t pages = 0;
    for (struct vma *w = vma_find(mm, addr); w && w->start < end; w = vma_next(mm, w))
        if (vm_is_data(prot, w->flags) && !vm_is_data(w->prot, w->flags))
            pages += (MIN(end, w->end) - MAX(addr, w->start)) / PAGE_SIZE;
    return !pages || may_become_data(mm, pages);
}

long do_mprotect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || (prot & ~VM_PROT_MASK))
        return -EINVAL;
    uintptr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    if (end < addr || end > USER_SPACE_END)
        return -ENOMEM;
    if (len == 0)
        return 0;
    if (!range_fully_mapped(mm, addr, end)) /* Linux: else ENOMEM */
        return -ENOMEM;
    if (prot & VM_WRITE)
        for (struct vma *w = vma_find(mm, addr); w && w->start < end; w = vma_next(mm, w))
            if (w->flags & VM_NOMAYWRITE)
                return -EACCES;
    if (!mprotect_data_ok(mm, addr, end, prot))
        return -ENOMEM;
    struct vma *v = vma_find(mm, addr);
    if (v->start < addr && !(v = vma_split(mm, v, addr)))
        return -ENOMEM;
    long r = 0;
    for (; v && v->start < end && !r; v = vma_next(mm, v)) {
        if (v->end > end && !vma_split(mm, v, end))
            r = -ENOMEM;
        else
            r = mprotect_fixup(mm, v, prot); /* Linux too leaves the VMAs before a failure changed */
    }
    vm_check_after("mprotect");
    return r;
}

/* Where the first device VMA (VM_PFNMAP) in [addr, end) starts, or end.
 * MADV_DONTNEED and MADV_PAGEOUT act on the VMAs before it and fail there
 * with EINVAL, as Linux's per-VMA walk (can_madv_lru_vma): device frames
 * are not memory to drop or to swap. */
static uintptr_t device_vma_start(struct mm *mm, uintptr_t addr, uintptr_t end)
{
    for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_next(mm, v))
        if (v->flags & VM_PFNMAP)
            return MAX(addr, v->start);
    return end;
}

long do_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || len > USER_SPACE_END)
        return -EINVAL;
    uintptr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    if (end < addr || end > USER_SPACE_END) /* never a kernel address */
        return -EINVAL;
    if (len == 0)
        return 0;
    if (!range_fully_mapped(mm, addr, end))
        return -ENOMEM; /* Linux: part of the range is not mapped */
    uintptr_t stop = device_vma_start(mm, addr, end);
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED: return 0;
    case MADV_DONTNEED:
        /* Drop the pages: the next touch faults in zeroes (anonymous) or
         * the file's bytes again (private file mapping), as on Linux. */
        for (struct vma *v = vma_find(mm, addr); v && v->start < stop; v = vma_next(mm, v))
            paging_unmap_range(mm->pml4, MAX(addr, v->start), MIN(stop, v->end), mm_put_frame, mm);
        return stop < end ? -EINVAL : 0;
    case MADV_PAGEOUT:
        /* Reclaim the range now (Linux 5.4): anonymous and shared pages go
         * to swap, clean file copies are dropped; pages that other
         * processes map too are left alone. The contents never change. */
        if (stop > addr)
            reclaim_range(mm, addr, stop);
        return stop < end ? -EINVAL : 0;
    default: return -EINVAL;
    }
}

/* Grow the heap from old_end to new_end: stretch the [heap] VMA, or make
 * one (always charged: brk has no MAP_NORESERVE). Returns 0 or -ENOMEM. */
static int brk_expand(struct mm *mm, uintptr_t old_end, uintptr_t new_end)
{
    if (vma_overlaps(mm, old_end, new_end))
        return -ENOMEM;
    struct vma *heap = old_end > mm->start_brk ? vma_find(mm, old_end - 1) : NULL;
    uint64_t pages = (new_end - old_end) / PAGE_SIZE;
    if (heap && heap->end == old_end && (heap->flags & VM_HEAP)) {
        if (!may_expand_vm(mm, heap->prot, heap->flags, pages))
            return -ENOMEM;
        if ((heap->flags & VM_ACCOUNT) && vm_enough_memory(mm, pages))
            return -ENOMEM;
        heap->end = new_end; /* grow the [heap] VMA; its charge grew with it */
        return 0;
    }
    return mmap_region(mm, old_end, new_end, VM_READ | VM_WRITE, VM_HEAP, VMA_ANON, "[heap]") ? 0 : -ENOMEM;
}

/* brk(2): the new break, or the old one when the request is refused
 * (out of range, RLIMIT_DATA or RLIMIT_AS, overcommit). Shrinking always
 * works. */
long do_brk(struct mm *mm, uintptr_t brk)
{
    if (brk < mm->start_brk || brk >= mm->stack_top - USER_STACK_LIMIT)
        return (long)mm->brk;
    uintptr_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(brk, PAGE_SIZE);
    if (new_end > old_end) {
        if (brk_expand(mm, old_end, new_end))
            return (long)mm->brk;
    } else if (new_end < old_end) {
        vma_unmap_range(mm, new_end, old_end); /* shrinking frees the pages */
    }
    mm->brk = brk;
    return (long)brk;
}
