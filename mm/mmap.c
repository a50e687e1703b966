/*
 * mm/mmap.c - mmap, munmap, mprotect, madvise and brk on VMAs.
 */
#include "mm/mmap.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/shm.h"
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

long do_mmap(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags, const struct mmap_file *file,
             uint64_t off)
{
    if (len == 0 || len > USER_SPACE_END)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    unsigned type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED)
        return -EINVAL;
    if (type == MAP_SHARED && !(flags & MAP_ANONYMOUS))
        return -EACCES; /* shared file mappings: the initrd is read-only */
    if (!(flags & MAP_ANONYMOUS) && (!file || !IS_ALIGNED(off, PAGE_SIZE)))
        return file ? -EINVAL : -EBADF;
    if (prot & ~VM_PROT_MASK)
        return -EINVAL;

    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!IS_ALIGNED(addr, PAGE_SIZE))
            return -EINVAL;
        if (!range_ok(addr, len))
            return -ENOMEM; /* Linux: no room for it in the user half */
        if (vma_overlaps(mm, addr, addr + len)) {
            if (flags & MAP_FIXED_NOREPLACE)
                return -EEXIST;
            int r = vma_unmap_range(mm, addr, addr + len); /* MAP_FIXED replaces */
            if (r)
                return r;
        }
    } else {
        addr = choose_address(mm, addr, len);
        if (!addr)
            return -ENOMEM;
    }
    if (type == MAP_SHARED) { /* a new shm object, freed with its last mapping */
        struct shm_object *obj = shm_object_create(len);
        if (!obj)
            return -ENOMEM;
        long r = shm_map(mm, obj, addr, len, prot, true, "/dev/zero (deleted)");
        if (r < 0)
            shm_object_put_unused(obj);
        return r;
    }
    bool anon = flags & MAP_ANONYMOUS;
    struct vma *v = vma_add(mm, addr, addr + len, prot, anon ? VMA_ANON : VMA_FILE, anon ? NULL : file->name);
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
    struct vma *v = vma_find(mm, addr);
    if (v->start < addr && !(v = vma_split(mm, v, addr)))
        return -ENOMEM;
    for (; v && v->start < end; v = vma_next(mm, v)) {
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        vma_set_prot(v, prot);
        /* Pages already present take the new permissions now (with invlpg). */
        for (uintptr_t va = v->start; va < v->end; va += PAGE_SIZE) {
            int level;
            pte_t *e = paging_walk(mm->pml4, va, false, &level);
            if (!e || level != 1 || !(*e & (PTE_P | PTE_PROTNONE)))
                continue;
            uint64_t flags = vma_pte_flags(v);
            if (!(v->flags & VM_SHARED) && !page_anon_exclusive(phys_to_page(*e & PTE_ADDR_MASK)))
                flags &= ~PTE_RW; /* not ours alone (or a clean file copy): the first write copies */
            paging_protect(mm->pml4, va, flags);
        }
    }
    vm_check_after("mprotect");
    return 0;
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
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED: return 0;
    case MADV_DONTNEED:
        /* Drop the pages: the next touch faults in zeroes (anonymous) or
         * the file's bytes again (private file mapping), as on Linux. */
        for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_next(mm, v))
            paging_unmap_range(mm->pml4, MAX(addr, v->start), MIN(end, v->end), mm_put_frame, mm);
        return 0;
    case MADV_PAGEOUT:
        /* Reclaim the range now (Linux 5.4): anonymous and shared pages go
         * to swap, clean file copies are dropped; pages that other
         * processes map too are left alone. The contents never change. */
        reclaim_range(mm, addr, end);
        return 0;
    default: return -EINVAL;
    }
}

long do_brk(struct mm *mm, uintptr_t brk)
{
    if (brk < mm->start_brk || brk >= mm->stack_top - USER_STACK_LIMIT)
        return (long)mm->brk;
    uintptr_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(brk, PAGE_SIZE);
    if (new_end > old_end) {
        if (vma_overlaps(mm, old_end, new_end))
            return (long)mm->brk;
        struct vma *heap = old_end > mm->start_brk ? vma_find(mm, old_end - 1) : NULL;
        if (heap && heap->end == old_end && (heap->flags & VM_HEAP)) {
            heap->end = new_end; /* grow the [heap] VMA */
        } else {
            heap = vma_add(mm, old_end, new_end, VM_READ | VM_WRITE, VMA_ANON, "[heap]");
            if (!heap)
                return (long)mm->brk;
            heap->flags |= VM_HEAP;
        }
    } else if (new_end < old_end) {
        vma_unmap_range(mm, new_end, old_end); /* shrinking frees the pages */
    }
    mm->brk = brk;
    return (long)brk;
}
