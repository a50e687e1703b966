/*
 * mm/pfnmap.c - device memory in a user process: mmap of /dev/fb0 puts
 * the video RAM's physical pages straight into the process's page tables
 * (Linux's VM_IO | VM_PFNMAP VMAs, filled by remap_pfn_range).
 *
 * The frames are not RAM. They lie beyond the frame table (or in a hole
 * of it), so they have no struct page: no reference count, no reverse map,
 * no LRU. Their PTEs carry PTE_SPECIAL (Linux's pte_special) and the
 * device's memory type (write-combining for video RAM, as the kernel's own
 * ioremap_wc), and every path that would look at a frame's struct page
 * skips them (docs/mmio.md has the table):
 *
 *   munmap, exit       drop the PTE, free nothing          vma.c:mm_put_frame
 *   fork               copy the PTE: the child shares the  mm.c:share_vma_pages
 *                      device frames, never copy-on-write
 *   page fault         none expected (all PTEs made here);  do_pfnmap_fault
 *                      a missing one is SIGBUS
 *   reclaim, swap      never: not on the LRU; MADV_PAGEOUT  mmap.c:do_madvise
 *                      and MADV_DONTNEED: EINVAL, as Linux
 *   compaction, rmap   never: they reach frames through the LRU and struct page
 *   mprotect           new rights, same memory type         vma.c:vma_prot_pte_flags
 *   mm_read            /proc reads device memory as zeros   mm.c:mm_read
 *                      (VM_IO: a read may have side effects)
 *   mm_write           clone's CLONE_CHILD_SETTID: through  mm.c:write_device_page
 *                      a temporary ioremap, not the direct map
 *   pagemap            a hole, as Linux's page walker skips VM_PFNMAP VMAs
 *   vm_check           every PTE at its place in the device window, with its memory type
 *
 * Filled eagerly, at mmap time, as remap_pfn_range does: a device range
 * costs only page tables (8 for 16 MiB), and there is nothing to be lazy
 * about (no frame to allocate, no data to copy).
 */
#include "mm/pfnmap.h"

#include "kernel/errno.h"
#include "kernel/trap.h"
#include "mm/tlb.h"

/* MAP_PRIVATE of a device: Linux maps the device pages read-only and, on
 * the first write to one, copies it into a private anonymous page (the
 * "COW of a PFNMAP" special case of remap_pfn_range and vm_normal_page),
 * so a VMA ends up mixing device frames and RAM pages. Pagewise maps a
 * private device read-only exactly as Linux does, and refuses what would
 * need that copy: PROT_WRITE now (EINVAL, as drivers that refuse private
 * mappings return), or later through mprotect (VM_NOMAYWRITE: EACCES). */
int pfnmap_check(unsigned flags, unsigned prot)
{
    return (flags & MAP_TYPE) == MAP_PRIVATE && (prot & VM_WRITE) ? -EINVAL : 0;
}

/* The PTE of va in device VMA v: its frame in the window, the VMA's rights
 * and memory type, PTE_SPECIAL; not present (but kept) when PROT_NONE. */
static pte_t pfnmap_pte(const struct vma *v, uintptr_t va)
{
    uint64_t flags = vma_pte_flags(v);
    return (v->dev.phys + (va - v->start)) | flags | ((flags & PTE_PROTNONE) ? 0 : PTE_P);
}

/* Make every PTE of device VMA v (Linux: remap_pfn_range). The range is
 * free, so each PTE is empty. 0 or -ENOMEM (no frame for a page table). */
static int remap_pfn_range(struct mm *mm, const struct vma *v)
{
    for (uintptr_t va = v->start; va < v->end; va += PAGE_SIZE) {
        int level;
        pte_t *e = paging_walk(mm->pml4, va, true, &level);
        if (!e)
            return -ENOMEM;
        *e = pfnmap_pte(v, va); /* not present before: nothing to flush */
    }
    return 0;
}

long mmap_device(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
                 const struct mmap_file *file, uint64_t off)
{
    bool shared = (flags & MAP_TYPE) == MAP_SHARED;
    /* Shared: never charged to Committed_AS (mmap_region). A private one
     * (read-only, pfnmap_check) never becomes writable. */
    unsigned vm_flags = VM_IO | VM_PFNMAP | (shared ? VM_SHARED : 0) | (shared && file->may_write ? 0 : VM_NOMAYWRITE);
    struct vma *v = mmap_region(mm, addr, addr + len, prot, vm_flags, VMA_DEVICE, file->name);
    if (!v)
        return -ENOMEM;
    v->dev = *file->dev;
    v->file_off = off;
    vma_set_prot(v, prot); /* now with the memory type and PTE_SPECIAL */
    if (remap_pfn_range(mm, v)) {
        vma_unmap_range(mm, addr, addr + len); /* the PTEs made so far: nothing to free */
        return -ENOMEM;
    }
    return (long)addr;
}

int do_pfnmap_fault(struct mm *mm, uintptr_t va, uint64_t err, struct fault_info *fi)
{
    int level;
    pte_t *e = paging_walk(mm->pml4, va, false, &level);
    if (!e || level != 1 || !pte_special(*e) || !(*e & PTE_P)) {
        /* Linux: a VM_PFNMAP VMA has no fault handler: VM_FAULT_SIGBUS */
        fi->reason = "no device frame here (a VM_PFNMAP mapping is filled at mmap time)";
        return -EIO;
    }
    if ((err & PF_W) && !(*e & PTE_RW))
        *e |= PTE_RW; /* the VMA allows the write (checked): device memory is shared, never copied */
    tlb_flush_page(va); /* else spurious: a stale TLB entry */
    return 0;
}
