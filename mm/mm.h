/*
 * mm/mm.h - a user address space (Linux's struct mm_struct): its PML4 and
 * the sorted list of VMAs describing what may be mapped where.
 *
 *   struct mm
 *     pml4 ---------------> PML4 (upper 256 entries copied from the kernel's)
 *     vmas: [0x400000 text r-x file] -> [data rw- file] -> [heap] -> ...
 *           -> [mmap areas] -> [stack rw- grows down]
 *
 * A VMA says what *may* be at an address; a PTE says what *is*. Pages
 * are created on the first touch (mm/fault.c), so a fresh VMA costs no
 * frame at all.
 */
#ifndef PAGEWISE_MM_MM_H
#define PAGEWISE_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/list.h"
#include "kernel/mutex.h"
#include "mm/ioremap.h"
#include "mm/paging.h"

/* VMA protection: the PROT_* values of mmap(2). */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_PROT_MASK 0x7
#define VMA_NAME_MAX 64

/* VMA flags. */
#define VM_GROWSDOWN 0x100 /* the stack: faults just below extend it */
#define VM_HEAP 0x200      /* the brk heap */
#define VM_SHARED 0x400    /* writes are seen by every mapping (shm): never copy-on-write */
#define VM_NOMAYWRITE 0x800 /* may never become writable (a SHM_RDONLY attach) */
#define VM_ACCOUNT 0x1000   /* its pages are charged to Committed_AS (mm/commit.h) */
#define VM_NORESERVE 0x2000 /* MAP_NORESERVE was honoured: never charged, not even by mprotect */
#define VM_IO 0x4000        /* device memory: an access may have side effects; the kernel never reads it for /proc */
#define VM_PFNMAP 0x8000    /* raw device frames without struct page (mm/pfnmap.c): no counts, rmap, swap or COW */

/* Where a VMA's pages come from on first touch. */
enum vma_backing {
    VMA_ANON,  /* zero-filled (mmap anonymous, heap, stack, .bss) */
    VMA_FILE,  /* copied from file bytes in memory (the ELF image in the initrd) */
    VMA_SHARED, /* the pages of a shared memory object (mm/shm.h) */
    VMA_DEVICE, /* a device's physical range (VM_IO | VM_PFNMAP), all mapped at mmap time (mm/pfnmap.c) */
};


struct shm_object;

struct vma {
    uintptr_t start, end; /* [start, end), page aligned */
    unsigned prot;        /* VM_READ | VM_WRITE | VM_EXEC; set only by vma_set_prot */
    uint64_t pte_flags;   /* the PTE bits prot means, computed once (Linux: vm_page_prot) */
    unsigned flags;       /* VM_GROWSDOWN */
    enum vma_backing backing;
    const uint8_t *file_data; /* VMA_FILE: the whole file, in kernel memory */
    uint64_t file_off;        /* file offset that maps to start */
    uint64_t file_end;        /* file offset where file data ends (zero after) */
    struct shm_object *shm;   /* VMA_SHARED: the object, and its page at start */
    uint64_t shm_pgoff;
    struct pfn_range dev;     /* VMA_DEVICE: the device frames (file_off: the offset into the device file) */
    char name[VMA_NAME_MAX];  /* for /proc/<pid>/maps: "[heap]", "[stack]", a path, or "" */
    struct list_head list;    /* in mm->vmas, sorted by start */
    struct mm *mm;            /* the address space it belongs to */
    struct anon_vma *anon_vma; /* private VMAs: the reverse-map object of their pages (or NULL: none yet) */
    struct list_head rmap_node; /* in anon_vma->vmas, or in shm->vmas */
};

struct mm {
    pte_t *pml4;
    int users;                /* tasks running in it: the threads of one process (Linux: mm_users) */
    struct mutex mmap_lock;   /* held across a page fault and every VMA change (mm_lock) */
    struct list_head vmas;
    uintptr_t start_brk, brk; /* the heap: [start_brk, brk) */
    uintptr_t stack_top;
    uint64_t rss;             /* user pages mapped */
    uint64_t swap_pages;      /* PTEs holding a swap entry (VmSwap) */
    uintptr_t arg_start, arg_end; /* argv strings, for /proc/<pid>/cmdline */
    struct list_head all;     /* in the list of every mm (mm_list) */
    struct vma *vma_cache;    /* the VMA vma_find found last (Linux's vmacache), or NULL */
};

/* Every address space, linked by mm.all (mm/vmcheck.c walks them). */
struct list_head *mm_list(void);

/* A new address space: empty user half, shared kernel half. NULL if out
 * of memory. */
struct mm *mm_create(void);
/* Free every user page, page table and VMA, then the mm. The caller must
 * not be running on it (switch to another CR3 first). */
void mm_destroy(struct mm *mm);
/* The mm's sleeping lock (Linux's mmap_lock, always taken for writing).
 * A page fault holds it while it may sleep (reading swap, reclaiming),
 * and so do mmap, munmap, mprotect, madvise, brk, shmat and shmdt: a
 * sibling thread cannot change the VMAs or page tables under a fault
 * that sleeps, and two threads faulting on one page are served one
 * after the other (the second finds the page present). Never held while
 * touching user memory through uaccess: its fault would take it again. */
static inline void mm_lock(struct mm *mm) { mutex_lock(&mm->mmap_lock); }
static inline void mm_unlock(struct mm *mm) { mutex_unlock(&mm->mmap_lock); }

/* One more task runs in mm (clone with CLONE_VM). */
static inline void mm_get(struct mm *mm) { mm->users++; }
/* A task stops running in mm (exit, execve): the last one frees it with
 * mm_destroy, so the same rule holds for it: not on its page tables. */
void mm_put(struct mm *mm);
/* A copy of mm for fork: same VMAs, every present page shared
 * copy-on-write (writable ones made read-only in both). NULL if out of
 * memory. */
struct mm *mm_fork(struct mm *mm);
/* Load mm's page tables into CR3 unless they are already there. */
void mm_switch(struct mm *mm);
/* The kernel's own page tables (for exit, kernel threads). */
void mm_switch_kernel(void);
/* Write bytes into mm at va (not necessarily the current mm) as a user
 * write would: faulting pages in, copying shared ones on write, setting
 * the Dirty bit. For building a new program's stack and for
 * CLONE_CHILD_SETTID. Device memory (VM_PFNMAP) is written through a
 * temporary ioremap of its frame. Returns 0 or -EFAULT. */
int mm_write(struct mm *mm, uintptr_t va, const void *src, size_t n);

/* Read bytes of mm at va into buf (kernel memory) without faulting any
 * page in; pages that are not present, and device memory, read as zero.
 * For /proc. */
void mm_read(struct mm *mm, uintptr_t va, void *buf, size_t n);

/* VMAs (mm/vma.c). */
/* The number of pages v spans. */
static inline uint64_t vma_pages(const struct vma *v) { return (v->end - v->start) / PAGE_SIZE; }
/* The first VMA with end > addr (it may start above addr), or NULL. */
struct vma *vma_find(struct mm *mm, uintptr_t addr);
/* Does any VMA overlap [start, end)? */
bool vma_overlaps(struct mm *mm, uintptr_t start, uintptr_t end);
/* Insert a new VMA; returns it or NULL (out of memory). The range must be free. */
struct vma *vma_add(struct mm *mm, uintptr_t start, uintptr_t end, unsigned prot, enum vma_backing backing,
                    const char *name);
/* The VMA after v, or NULL. */
static inline struct vma *vma_next(struct mm *mm, struct vma *v)
{
    return v->list.next == &mm->vmas ? NULL : list_entry(v->list.next, struct vma, list);
}
/* A copy of v in another mm (fork), charged again if v is (VM_ACCOUNT);
 * NULL if out of memory or the charge is refused. */
struct vma *vma_dup(struct mm *mm, const struct vma *v);
/* Take v out of mm's list and free it (its pages must be unmapped). */
void vma_free(struct mm *mm, struct vma *v);
/* Split vma at addr (start < addr < end); returns the upper half or NULL. */
struct vma *vma_split(struct mm *mm, struct vma *vma, uintptr_t addr);
/* Remove [start, end) from the address space: split VMAs at the edges,
 * delete those inside, unmap and free their pages and empty tables. */
int vma_unmap_range(struct mm *mm, uintptr_t start, uintptr_t end);
/* Drop one user mapping of the frame at pa (rmap and reference): the
 * put_frame callback of paging_unmap_range. mm_arg is the struct mm. */
void mm_put_frame(pte_t old, uintptr_t va, void *mm_arg);
/* Highest free range of len bytes below `below`, or 0. */
uintptr_t vma_find_free(struct mm *mm, size_t len, uintptr_t below);
/* The PTE bits for VM_READ | VM_WRITE | VM_EXEC (none: PROT_NONE). */
uint64_t vm_prot_pte_flags(unsigned prot);
/* The PTE bits of v's pages: its prot's, plus for a device VMA the memory
 * type and PTE_SPECIAL (Linux: vm_page_prot with pgprot_writecombine). */
uint64_t vma_prot_pte_flags(const struct vma *v);
/* Set a VMA's permissions and the PTE bits every fault will use for them. */
void vma_set_prot(struct vma *vma, unsigned prot);
/* Page-table flags for a VMA's pages (cached by vma_set_prot: a fault
 * path read, not a computation). */
static inline uint64_t vma_pte_flags(const struct vma *vma) { return vma->pte_flags; }

#endif
