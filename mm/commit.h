/*
 * mm/commit.h - overcommit accounting: how much memory the kernel has
 * promised, and whether it may promise more (Linux: mm/util.c
 * __vm_enough_memory, mm/mmap.c may_expand_vm).
 *
 * Lazy allocation makes mmap and brk hand out addresses, not memory: the
 * frames come at the first touch. So the kernel may promise more than it
 * has. It counts the promises it could be held to, pages that only this
 * process may write and that nothing else can back:
 *
 *   Committed_AS = private writable VMAs (flag VM_ACCOUNT: anonymous
 *                  mmaps, .data/.bss, the heap, the stack)
 *                + shared memory objects (MAP_SHARED|MAP_ANONYMOUS, SysV)
 *
 * and vm.overcommit_memory decides what a new promise needs:
 *
 *   0  heuristic: refuse one request larger than RAM + swap (default)
 *   1  always: never refuse
 *   2  never overcommit: Committed_AS stays below
 *         CommitLimit = swap + RAM * overcommit_ratio / 100
 *      less the admin reserve (for non-root) and the user reserve
 *
 * Separately, per process: RLIMIT_AS caps all of its VMAs, RLIMIT_DATA
 * its private writable ones (not the stack). docs/overcommit.md.
 */
#ifndef PAGEWISE_MM_COMMIT_H
#define PAGEWISE_MM_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/resource.h"
#include "mm/mm.h"

/* vm.overcommit_memory (Linux's include/linux/mman.h). */
#define OVERCOMMIT_GUESS 0
#define OVERCOMMIT_ALWAYS 1
#define OVERCOMMIT_NEVER 2

/* The vm.* settings of /proc/sys/vm/ this file owns. */
enum vm_sysctl {
    VM_OVERCOMMIT_MEMORY,
    VM_OVERCOMMIT_RATIO,
    VM_ADMIN_RESERVE_KBYTES,
    VM_USER_RESERVE_KBYTES,
    NR_VM_SYSCTLS
};

/* The file name under /proc/sys/vm/. */
const char *vm_sysctl_name(enum vm_sysctl s);
long vm_sysctl_get(enum vm_sysctl s);
/* Set it; -EINVAL if value is out of its range (the caller checked root). */
int vm_sysctl_set(enum vm_sysctl s, long value);

/* The current vm.overcommit_memory. */
int overcommit_mode(void);
/* CommitLimit in pages: swap + RAM * overcommit_ratio / 100. */
uint64_t vm_commit_limit(void);
/* Committed_AS in pages. */
uint64_t vm_committed_pages(void);

/* Charge pages to Committed_AS if the mode allows it: 0, or -ENOMEM
 * (nothing charged). mm is the address space asking (for the user
 * reserve), or NULL for the current process's. Called by mmap, brk, mprotect, stack growth, fork
 * (vma_dup), exec and shmget. Allocates nothing and never sleeps, so the
 * count and the VM_ACCOUNT flag that records it change together. */
int vm_enough_memory(struct mm *mm, uint64_t pages);
/* Give back pages charged earlier (munmap, exit, a freed shm object). */
void vm_unacct_memory(uint64_t pages);

/* The current process's soft limit r (kernel/resource.h); none when the
 * kernel itself builds an address space (init's, spawned by the idle
 * task, which has no mm and no limits set). */
uint64_t mm_rlimit(enum rlimit_resource r);
/* Does a VMA with this prot and flags count toward RLIMIT_DATA (private,
 * writable, not the stack: Linux's is_data_mapping)? */
static inline bool vm_is_data(unsigned prot, unsigned flags)
{
    return (prot & VM_WRITE) && !(flags & (VM_SHARED | VM_GROWSDOWN));
}
/* May mm grow by pages of this kind under the current process's
 * RLIMIT_AS and RLIMIT_DATA? (Linux: may_expand_vm.) */
bool may_expand_vm(struct mm *mm, unsigned prot, unsigned flags, uint64_t pages);
/* May pages of mm that are not data become data (mprotect adding write)
 * under RLIMIT_DATA? RLIMIT_AS does not change: they are mapped already. */
bool may_become_data(struct mm *mm, uint64_t pages);
/* Pages of mm's VMAs inside [start, end) (a MAP_FIXED mapping replaces them). */
uint64_t vma_pages_in_range(struct mm *mm, uintptr_t start, uintptr_t end);

/* For vm_check: Committed_AS recounted from every VMA with VM_ACCOUNT
 * and every shm object; *bad = VMAs that have VM_ACCOUNT but may not. */
uint64_t vm_commit_recount(uint64_t *bad);

#endif
