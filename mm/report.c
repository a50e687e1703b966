/*
 * mm/report.c - an address space as /proc shows it.
 *
 * /proc/<pid>/maps, one line per VMA (Linux's format, fs/proc/task_mmu.c):
 *   00400000-00401000 r--p 00000000 00:01 12                         /bin/cat
 *   start    end      perms offset dev   inode                        name
 * perms: r w x and p (private) or s (shared); the name is a path, [heap],
 * [stack], or nothing for anonymous memory.
 */
#include "mm/report.h"

#include "kernel/compiler.h"
#include "kernel/printk.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/swap.h"

#define MAPS_NAME_COLUMN 73 /* Linux pads the name to this column */

size_t mm_report_maps(struct mm *mm, char *buf, size_t size)
{
    size_t len = 0;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        const struct vma *v = list_entry(pos, struct vma, list);
        if (len + 160 >= size)
            break;
        bool file = v->backing == VMA_FILE || v->backing == VMA_DEVICE; /* a device: its offset in the file */
        bool shared = v->flags & VM_SHARED;
        int n = snprintf(buf + len, size - len, "%08lx-%08lx %c%c%c%c %08lx %s %lu ", v->start, v->end,
                         v->prot & VM_READ ? 'r' : '-', v->prot & VM_WRITE ? 'w' : '-', v->prot & VM_EXEC ? 'x' : '-',
                         shared ? 's' : 'p', file ? v->file_off : shared ? v->shm_pgoff * PAGE_SIZE : 0,
                         file || shared ? "00:01" : "00:00", file || shared ? 1ul : 0ul);
        if (v->name[0]) {
            for (; n < MAPS_NAME_COLUMN; n++)
                buf[len + (size_t)n] = ' ';
            n += snprintf(buf + len + (size_t)n, size - len - (size_t)n, "%s", v->name);
        }
        len += (size_t)n;
        buf[len++] = '\n';
    }
    buf[len] = '\0';
    return len;
}

/* The frame field (bits 0-54: a PFN, or a swap type and offset) is shown
 * only when show_pfn (a privileged reader, as Linux since 4.2: knowing
 * where data sits in physical memory helps Rowhammer-style attacks); the
 * flags in bits 55-63 are shown to everyone. */
uint64_t mm_report_pagemap(struct mm *mm, uintptr_t va, bool show_pfn)
{
    int level;
    uint64_t frame_mask = show_pfn ? PM_PFN_MASK : 0;
    if (va >= USER_SPACE_END)
        return 0;
    pte_t *e = paging_walk(mm->pml4, va, false, &level);
    if (e && level == 1 && is_swap_pte(*e)) /* bits 0-4 swap type, 5-54 offset */
        return PM_SWAP | ((swp_offset(*e) << SWP_TYPE_BITS) & frame_mask);
    /* A device frame (VM_PFNMAP) is a hole: Linux's page walker skips
     * such VMAs and pagemap reports their pages not present, no PFN. */
    if (!e || level != 1 || !(*e & (PTE_P | PTE_PROTNONE)) || pte_special(*e))
        return 0;
    struct page *p = phys_to_page(*e & PTE_ADDR_MASK);
    uint64_t entry = PM_PRESENT | (((*e & PTE_ADDR_MASK) >> PAGE_SHIFT) & frame_mask);
    if (rmap_count(p) == 1)
        entry |= PM_MMAP_EXCLUSIVE;
    if (!(p->flags & PG_anon)) /* shared memory, or a clean copy of the program file */
        entry |= PM_FILE_OR_SHARED;
    return entry;
}

void mm_report_usage(struct mm *mm, struct mm_usage *u)
{
    *u = (struct mm_usage){0};
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        const struct vma *v = list_entry(pos, struct vma, list);
        uint64_t kb = (v->end - v->start) >> 10;
        u->vm_size_kb += kb;
        if (v->flags & VM_GROWSDOWN)
            u->stack_kb += kb;
        else if (v->prot & VM_EXEC)
            u->exe_kb += kb;
        else if (v->prot & VM_WRITE)
            u->data_kb += kb;
    }
    u->rss_kb = mm->rss * (PAGE_SIZE >> 10);
    u->swap_kb = mm->swap_pages * (PAGE_SIZE >> 10);
}
