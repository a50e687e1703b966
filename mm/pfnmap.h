/*
 * mm/pfnmap.h - device memory mapped into a user process (mm/pfnmap.c):
 * Linux's VM_IO | VM_PFNMAP VMAs, as mmap of /dev/fb0 makes them.
 */
#ifndef PAGEWISE_MM_PFNMAP_H
#define PAGEWISE_MM_PFNMAP_H

#include <stddef.h>
#include <stdint.h>

#include "mm/fault.h"
#include "mm/mmap.h"

/* May a device be mapped with these mmap flags and prot? 0, or -EINVAL
 * for a private writable mapping (see mm/pfnmap.c). do_mmap asks before
 * it touches the address space. */
int pfnmap_check(unsigned flags, unsigned prot);
/* mmap of a device at [addr, addr + len), the range free (do_mmap chose
 * or cleared it): a VMA_DEVICE VMA with every PTE made now. Returns addr
 * or -ENOMEM. */
long mmap_device(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
                 const struct mmap_file *file, uint64_t off);
/* A fault in a VM_PFNMAP VMA whose access the VMA allows: a stale TLB
 * entry (0), or no device frame at va: -EIO (SIGBUS) with fi->reason.
 * Called by handle_mm_fault. */
int do_pfnmap_fault(struct mm *mm, uintptr_t va, uint64_t err, struct fault_info *fi);

#endif
