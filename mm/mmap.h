/*
 * mm/mmap.h - the system calls that shape an address space: mmap,
 * munmap, mprotect, madvise, brk. All of them only edit VMAs (and drop
 * pages that must go); no frame is allocated until the first touch.
 */
#ifndef PAGEWISE_MM_MMAP_H
#define PAGEWISE_MM_MMAP_H

#include <stddef.h>
#include <stdint.h>

#include "mm/mm.h"

/* Linux's mmap flags (include/uapi/linux/mman.h, asm-generic/mman-common.h). */
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_PAGEOUT 21

/* A file to map: its bytes in kernel memory (initrd files are), or a
 * device's physical pages (its file_ops mmap said where). */
struct mmap_file {
    const uint8_t *data;
    uint64_t size;
    const char *name;
    const struct pfn_range *dev; /* a device: what to map (mm/pfnmap.c); NULL for a file */
    bool may_write;              /* opened for writing: a shared mapping may be (or become) writable */
};

/* A new private VMA [start, end) in mm with flags vm_flags (VM_HEAP,
 * VM_GROWSDOWN, VM_NORESERVE), after Linux's checks (mmap_region):
 * RLIMIT_AS and RLIMIT_DATA, then, if it is writable, its pages charged
 * to Committed_AS (VM_ACCOUNT) unless VM_NORESERVE (MAP_NORESERVE was
 * honoured). NULL if refused or out of memory: the caller's ENOMEM. For
 * mmap, brk and exec (the program's segments and its stack). */
struct vma *mmap_region(struct mm *mm, uintptr_t start, uintptr_t end, unsigned prot, unsigned vm_flags,
                        enum vma_backing backing, const char *name);

/* Each returns what the syscall returns: an address or 0, or -errno. */
long do_mmap(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags, const struct mmap_file *file,
             uint64_t off);
long do_munmap(struct mm *mm, uintptr_t addr, size_t len);
long do_mprotect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot);
long do_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice);
long do_brk(struct mm *mm, uintptr_t brk);

#endif
