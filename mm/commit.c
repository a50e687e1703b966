/*
 * mm/commit.c - Committed_AS, CommitLimit, the vm.overcommit_* settings
 * and the address-space limits (RLIMIT_AS, RLIMIT_DATA).
 *
 * One counter, vm_committed, holds Committed_AS in pages. The invariant
 * vm_check proves (vm_commit_recount):
 *
 *   vm_committed == sum of the pages of every VMA with VM_ACCOUNT
 *                 + sum of shm_object.committed
 *
 * Who keeps it: a VMA gets VM_ACCOUNT right after its pages were charged
 * (mm/mmap.c mmap_region, do_brk, mprotect_fixup; mm/vma.c vma_dup for
 * fork; mm/fault.c expand_stack charges the pages it adds); vma_free gives
 * them back; vma_split leaves the sum alone (both halves keep the flag).
 * A shm object is charged once, when created, and gives it back when
 * freed (mm/shm.c).
 *
 * The rule is Linux 6.1's __vm_enough_memory: the pages are added first;
 * then mode 1 keeps them, mode 0 refuses a single request above RAM +
 * swap, mode 2 keeps them only while
 *
 *   Committed_AS < CommitLimit - admin reserve (non-root only)
 *                              - min(total_vm / 32, user reserve)
 *
 * The reserves (Linux's init_admin_reserve, init_user_reserve) are set
 * from the free memory when first needed: free/32, at most 8 MiB (admin)
 * and 128 MiB (user). They leave root room to log in and kill a hog.
 */
#include "mm/commit.h"

#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/resource.h"
#include "kernel/time.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/shm.h"
#include "mm/swap.h"

#define KB_PER_PAGE (PAGE_SIZE / 1024)
#define OVERCOMMIT_RATIO_DEFAULT 50       /* Linux: sysctl_overcommit_ratio */
#define RESERVE_FRACTION 32               /* the reserves: 1/32 (3%) of free memory ... */
#define ADMIN_RESERVE_MAX_KB (8ul << 10)  /* ... at most 8 MiB for root */
#define USER_RESERVE_MAX_KB (128ul << 10) /* ... at most 128 MiB for a process */
#define USER_RESERVE_VM_FRACTION 32       /* a process keeps total_vm/32 back */
#define REFUSAL_BURST 10                  /* console lines per interval (pr_warn_ratelimited) */
#define REFUSAL_INTERVAL_NS 5000000000ull

static uint64_t vm_committed; /* Committed_AS, pages */

static struct {
    long value;
    long min, max;
    const char *name;
} sysctl[NR_VM_SYSCTLS] = {
    [VM_OVERCOMMIT_MEMORY] = {OVERCOMMIT_GUESS, OVERCOMMIT_GUESS, OVERCOMMIT_NEVER, "overcommit_memory"},
    [VM_OVERCOMMIT_RATIO] = {OVERCOMMIT_RATIO_DEFAULT, 0, INT32_MAX, "overcommit_ratio"},
    [VM_ADMIN_RESERVE_KBYTES] = {-1, 0, INT64_MAX, "admin_reserve_kbytes"},
    [VM_USER_RESERVE_KBYTES] = {-1, 0, INT64_MAX, "user_reserve_kbytes"},
};

/* Linux sets the reserves at boot from the free memory; here at the first
 * use (the first exec), when almost all memory is still free. -1: unset. */
static void reserves_init(void)
{
    if (sysctl[VM_ADMIN_RESERVE_KBYTES].value >= 0)
        return;
    uint64_t free_kb = pmm_nr_free() * KB_PER_PAGE;
    sysctl[VM_ADMIN_RESERVE_KBYTES].value = (long)MIN(free_kb / RESERVE_FRACTION, ADMIN_RESERVE_MAX_KB);
    sysctl[VM_USER_RESERVE_KBYTES].value = (long)MIN(free_kb / RESERVE_FRACTION, USER_RESERVE_MAX_KB);
}

const char *vm_sysctl_name(enum vm_sysctl s) { return sysctl[s].name; }

long vm_sysctl_get(enum vm_sysctl s)
{
    reserves_init();
    return sysctl[s].value;
}

int vm_sysctl_set(enum vm_sysctl s, long value)
{
    reserves_init();
    if (value < sysctl[s].min || value > sysctl[s].max)
        return -EINVAL;
    sysctl[s].value = value;
    return 0;
}

int overcommit_mode(void) { return (int)sysctl[VM_OVERCOMMIT_MEMORY].value; }

uint64_t vm_commit_limit(void)
{
    return pmm_nr_managed() * (uint64_t)sysctl[VM_OVERCOMMIT_RATIO].value / 100 + swap_total_pages();
}

uint64_t vm_committed_pages(void) { return vm_committed; }

/* Pages of all of mm's VMAs (*total, Linux's total_vm) and of its data
 * VMAs (*data, data_vm). */
static void vm_sizes(struct mm *mm, uint64_t *total, uint64_t *data)
{
    *total = *data = 0;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas)
    {
        struct vma *v = list_entry(pos, struct vma, list);
        *total += vma_pages(v);
        if (vm_is_data(v->prot, v->flags))
            *data += vma_pages(v);
    }
}

/* Pages mode 2 lets Committed_AS reach (exclusive): the limit less the
 * reserves. May be negative when the reserves exceed the limit. */
static int64_t strict_allowed(struct mm *mm)
{
    reserves_init();
    int64_t allowed = (int64_t)vm_commit_limit();
    if (!capable())
        allowed -= sysctl[VM_ADMIN_RESERVE_KBYTES].value / KB_PER_PAGE;
    if (mm) {
        uint64_t total, data_vm;
        vm_sizes(mm, &total, &data_vm);
        allowed -= (int64_t)MIN(total / USER_RESERVE_VM_FRACTION,
                                (uint64_t)sysctl[VM_USER_RESERVE_KBYTES].value / KB_PER_PAGE);
    }
    return allowed;
}

/* One console line per refusal, at most REFUSAL_BURST per interval (Linux:
 * pr_warn_ratelimited "not enough memory for the allocation"). */
static void report_refusal(uint64_t pages, const char *why)
{
    static uint64_t window_start, lines;
    uint64_t now = time_since_boot_ns();
    if (now - window_start >= REFUSAL_INTERVAL_NS) {
        window_start = now;
        lines = 0;
    }
    if (lines++ < REFUSAL_BURST)
        pr_warn("overcommit: pid %d (%s): %lu kB refused: %s (vm.overcommit_memory=%d)\n", current->pid, current->comm,
                pages * KB_PER_PAGE, why, overcommit_mode());
}

int vm_enough_memory(struct mm *mm, uint64_t pages)
{
    if (!mm) /* shmget: Linux charges the caller (shmem_acct_size) */
        mm = current->mm;
    vm_committed += pages; /* first, as Linux: the check sees this request too */
    switch (overcommit_mode()) {
    case OVERCOMMIT_ALWAYS: return 0;
    case OVERCOMMIT_GUESS:
        if (pages <= pmm_nr_managed() + swap_total_pages())
            return 0;
        report_refusal(pages, "larger than RAM + swap");
        break;
    default:
        if ((int64_t)vm_committed < strict_allowed(mm))
            return 0;
        report_refusal(pages, "Committed_AS would reach CommitLimit");
        break;
    }
    vm_committed -= pages;
    return -ENOMEM;
}

void vm_unacct_memory(uint64_t pages) { vm_committed -= pages; }

uint64_t mm_rlimit(enum rlimit_resource r) { return current->mm ? rlimit(r) : RLIM_INFINITY; }

/* RLIMIT_DATA: may data_vm pages of data become data_vm + pages? */
static bool data_limit_ok(uint64_t data_vm, uint64_t pages)
{
    uint64_t data = mm_rlimit(RLIMIT_DATA);
    if (data == RLIM_INFINITY || data_vm + pages <= data / PAGE_SIZE)
        return true;
    /* Linux keeps Valgrind working: a soft limit of 0 means the hard one. */
    if (data == 0 && data_vm + pages <= current->rlim[RLIMIT_DATA].max / PAGE_SIZE)
        return true;
    static bool warned;
    if (!warned) { /* Linux: pr_warn_once */
        warned = true;
        pr_warn("%s (%d): VmData %lu exceed data ulimit %lu. Update limits.\n", current->comm, current->pid,
                (data_vm + pages) * PAGE_SIZE, data);
    }
    return false;
}

bool may_expand_vm(struct mm *mm, unsigned prot, unsigned flags, uint64_t pages)
{
    uint64_t as = mm_rlimit(RLIMIT_AS), total, data_vm;
    bool is_data = vm_is_data(prot, flags);
    if (as == RLIM_INFINITY && (!is_data || mm_rlimit(RLIMIT_DATA) == RLIM_INFINITY))
        return true; /* the usual case: no need to count */
    vm_sizes(mm, &total, &data_vm);
    if (as != RLIM_INFINITY && total + pages > as / PAGE_SIZE)
        return false;
    return !is_data || data_limit_ok(data_vm, pages);
}

bool may_become_data(struct mm *mm, uint64_t pages)
{
    uint64_t total, data_vm;
    if (mm_rlimit(RLIMIT_DATA) == RLIM_INFINITY)
        return true;
    vm_sizes(mm, &total, &data_vm);
    return data_limit_ok(data_vm, pages);
}

uint64_t vma_pages_in_range(struct mm *mm, uintptr_t start, uintptr_t end)
{
    uint64_t pages = 0;
    for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_next(mm, v))
        pages += (MIN(end, v->end) - MAX(start, v->start)) / PAGE_SIZE;
    return pages;
}

uint64_t vm_commit_recount(uint64_t *bad)
{
    uint64_t pages = 0;
    *bad = 0;
    struct list_head *m, *pos;
    list_for_each(m, mm_list())
    {
        struct mm *mm = list_entry(m, struct mm, all);
        list_for_each(pos, &mm->vmas)
        {
            struct vma *v = list_entry(pos, struct vma, list);
            if (!(v->flags & VM_ACCOUNT))
                continue;
            pages += (v->end - v->start) / PAGE_SIZE;
            *bad += (v->flags & (VM_SHARED | VM_NORESERVE)) || v->shm; /* shm is charged in its object */
        }
    }
    list_for_each(pos, shm_object_list()) pages += list_entry(pos, struct shm_object, all)->committed;
    return pages;
}
