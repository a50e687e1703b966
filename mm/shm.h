/*
 * mm/shm.h - shared memory: an object that owns a set of pages, mapped
 * into any number of address spaces at any addresses. SysV segments
 * (shmget/shmat) and mmap(MAP_SHARED|MAP_ANONYMOUS) are both this object.
 *
 *   process A  VMA 0x7effe0000000 --\
 *                                    >-- struct shm_object: pages[0..n) --> frames
 *   process B  VMA 0x7f1234000000 --/        (filled on first touch by anyone)
 */
#ifndef PAGEWISE_MM_SHM_H
#define PAGEWISE_MM_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/spinlock.h"
#include "mm/mm.h"
#include "mm/page.h"

struct shm_object {
    struct spinlock lock; /* pages[]: filling an entry, swapping it out and in */
    size_t nr_pages;
    uintptr_t *pages;     /* each page: 0 (never touched), a struct page *, or
                           * SHM_SWAPPED(slot) when reclaim moved it to swap */
    unsigned nr_vmas;     /* VMAs mapping it (fork and splits add, unmap drops) */
    struct list_head vmas; /* those VMAs (vma.rmap_node): the reverse map of its pages */
    bool has_segment;     /* a SysV segment still owns it (until IPC_RMID) */
    struct shm_segment *segment; /* the SysV identity, or NULL */
    struct list_head all; /* in the list of every object (shm_object_list) */
    uint64_t committed;   /* pages charged to Committed_AS when it was made (mm/commit.h) */
};

/* A page on swap is recorded in the object as its slot, tagged with bit 0
 * (a struct page pointer is never odd). */
#define SHM_SWAPPED(slot) (((uintptr_t)(slot) << 1) | 1)
#define SHM_IS_SWAPPED(e) ((e)&1)
#define SHM_SLOT(e) ((e) >> 1)

/* A new object of size bytes (rounded up to pages), no frame allocated. */
struct shm_object *shm_object_create(size_t size);
/* A VMA starts / stops referring to obj. The last reference frees the
 * pages (when no segment owns it any more). Called by mm/vma.c. */
void shm_object_get(struct shm_object *obj, struct vma *vma);
void shm_object_put(struct shm_object *obj, struct vma *vma);
/* Free an object no VMA ever mapped (a failed mmap). */
void shm_object_put_unused(struct shm_object *obj);
/* The fault case for shared VMAs (do_shared_fault): *pp = the object's page
 * at index, pinned (map it, then page_unpin), allocated zeroed on first
 * touch, read back if it was swapped (then *major is set). Returns 0,
 * -ENOMEM, or -EIO (the swap-in failed: the caller's SIGBUS). May sleep. */
int shm_object_page(struct shm_object *obj, size_t index, struct page **pp, bool *major);
/* Reclaim moved obj's page (p) to swap slot: the object now names the slot. */
void shm_page_swapped_out(struct page *p, uint64_t slot);
/* A PTE's swap-in brought back obj's page at index: the object takes it. */
void shm_page_swapped_in(struct shm_object *obj, size_t index, struct page *p, uint64_t slot);
/* Every live object, linked by shm_object.all (mm/vmcheck.c walks them). */
struct list_head *shm_object_list(void);
/* Frames held by all shm objects (/proc/meminfo Shmem). */
uint64_t shm_nr_pages(void);

/* Map obj (from page 0) into mm as a shared VMA; returns the address or
 * -errno. addr 0 = choose. */
long shm_map(struct mm *mm, struct shm_object *obj, uintptr_t addr, size_t len, unsigned prot, bool fixed,
             const char *name);

/* SysV IPC (mm/sysv_shm.c): the system calls' work, for kernel/sys_shm.c. */
struct cred;
struct shm_caller {
    int pid;
    uint64_t now; /* seconds since the epoch */
    const struct cred *cred; /* whose permissions are checked (kernel/cred.h) */
};
long sysv_shmget(int32_t key, size_t size, int flags, const struct shm_caller *c);
long sysv_shmat(struct mm *mm, int id, uintptr_t addr, int flags, const struct shm_caller *c);
long sysv_shmdt(struct mm *mm, uintptr_t addr, const struct shm_caller *c);
/* IPC_STAT fills *ds (Linux's struct shmid64_ds layout, 112 bytes). */
long sysv_shmctl(int id, int cmd, void *ds, const struct shm_caller *c);
/* How mm/ learns who detaches and when, for implicit detaches (exit,
 * munmap): kernel/sys_shm.c registers it at boot. */
void sysv_shm_set_clock(struct shm_caller (*now)(void));
/* mm/shm.c: the last mapping of a segment's object went, or one did. */
void sysv_shm_detached(struct shm_segment *seg);
/* /proc/sysvipc/shm text. */
size_t sysv_shm_report(char *buf, size_t size);

/* The object's page at old's index is now new (compaction moved it). */
void shm_object_replace_page(struct page *old, struct page *new);

#endif
