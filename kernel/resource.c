/*
 * kernel/resource.c - getrlimit, setrlimit and prlimit64 with Linux's
 * rules (kernel/sys.c: do_prlimit):
 *
 *   - the soft limit may not exceed the hard one (EINVAL);
 *   - anyone may lower either; only root raises a hard limit (EPERM);
 *   - RLIMIT_NOFILE's hard limit stops at nr_open (EPERM);
 *   - prlimit64 on another process needs the same real, effective and
 *     saved ids as the target's real ids, or root (EPERM); no such
 *     process: ESRCH.
 *
 * and the two ceilings on processes that fork checks (kernel/fork.c's
 * copy_process): threads-max for everyone, RLIMIT_NPROC per real user for
 * everyone but root. Which limits the kernel enforces, and where, is in
 * docs/limits.md.
 */
#include "kernel/resource.h"

#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/memlayout.h"

#define NR_OPEN_MAX 1048576 /* Linux's fs.nr_open default: the ceiling for RLIMIT_NOFILE */
#define INR_OPEN_CUR 1024   /* Linux's default RLIMIT_NOFILE, soft ... */
#define INR_OPEN_MAX 4096   /* ... and hard */
#define MLOCK_LIMIT (8ul << 20)
#define MQ_BYTES_MAX 819200
#define ROOT_UID 0

static uint64_t max_threads = MAX_THREADS; /* until threads_max_init */

void threads_max_init(uint64_t totalram_pages)
{
    /* The stacks of threads-max tasks fill an eighth of RAM: 1 task per
     * 128 KiB (bytes first, as Linux: no overflow below 2^64 bytes). */
    uint64_t threads = totalram_pages * PAGE_SIZE / (8 * THREAD_SIZE_LINUX);
    max_threads = MIN(MAX(threads, (uint64_t)MIN_THREADS), (uint64_t)MAX_THREADS);
}

uint64_t threads_max(void) { return max_threads; }

long threads_max_set(long value)
{
    if (value < 1 || value > MAX_THREADS)
        return -EINVAL;
    max_threads = (uint64_t)value; /* RLIMIT_NPROC defaults stay as they were, as Linux */
    return 0;
}

void rlimit_init_defaults(struct rlimit_k rlim[RLIM_NLIMITS])
{
    for (int r = 0; r < RLIM_NLIMITS; r++)
        rlim[r] = (struct rlimit_k){RLIM_INFINITY, RLIM_INFINITY};
    rlim[RLIMIT_STACK].cur = USER_STACK_LIMIT;
    rlim[RLIMIT_CORE].cur = 0;
    rlim[RLIMIT_NPROC] = (struct rlimit_k){max_threads / 2, max_threads / 2};
    rlim[RLIMIT_SIGPENDING] = rlim[RLIMIT_NPROC];
    /* Linux's figures, though the table stops at NR_OPEN: a program that
     * asks for 4096 must not fail (docs/limits.md). */
    rlim[RLIMIT_NOFILE] = (struct rlimit_k){INR_OPEN_CUR, INR_OPEN_MAX};
    rlim[RLIMIT_MEMLOCK] = (struct rlimit_k){MLOCK_LIMIT, MLOCK_LIMIT};
    rlim[RLIMIT_MSGQUEUE] = (struct rlimit_k){MQ_BYTES_MAX, MQ_BYTES_MAX};
    rlim[RLIMIT_NICE] = rlim[RLIMIT_RTPRIO] = (struct rlimit_k){0, 0};
}

uint64_t rlimit(enum rlimit_resource r) { return current->rlim[r].cur; }

/* Would the current process's real user have more than its RLIMIT_NPROC
 * processes if `extra` were added to its count (-1: not counting this
 * one)? Never for root (Linux: INIT_USER). Counted by a walk of the task
 * list, as there is no per-user structure to keep a count in; only
 * non-root processes under a finite limit pay for it. */
static bool nproc_over(int64_t extra)
{
    uint32_t uid = current->cred.uid;
    uint64_t limit = rlimit(RLIMIT_NPROC);
    if (uid == ROOT_UID || limit == RLIM_INFINITY)
        return false;
    return (int64_t)proc_count_uid(uid) + extra > (int64_t)limit;
}

long rlimit_check_fork(void)
{
    if ((uint64_t)proc_count() >= max_threads)
        return -EAGAIN;
    /* Linux counts the child first, then compares; euid 0 stands for
     * CAP_SYS_RESOURCE / CAP_SYS_ADMIN, which bypass the limit. */
    return !capable() && nproc_over(1) ? -EAGAIN : 0;
}

long rlimit_check_exec(void)
{
    struct task *t = current;
    /* Linux 6.1 marks the process at setuid (flag_nproc_exceeded) if the
     * new user's count, without it, is over the limit, and refuses the
     * next execve if it still is. Pagewise cannot hook the set*id calls
     * here, so "marked" = the real uid changed since the last fork or
     * execve and the count without this process is over. */
    if (t->cred.uid != t->nproc_uid && nproc_over(-1))
        return -EAGAIN;
    t->nproc_uid = t->cred.uid;
    return 0;
}

/* May the current process change (or, for prlimit64, read) t's limits? */
static bool may_prlimit(const struct task *t)
{
    const struct cred *me = &current->cred, *c = &t->cred;
    if (t == current || capable())
        return true;
    return me->uid == c->uid && me->uid == c->euid && me->uid == c->suid && me->gid == c->gid &&
           me->gid == c->egid && me->gid == c->sgid;
}

/* Set t's limit r to *want (already copied in). */
static long rlimit_set(struct task *t, unsigned r, const struct rlimit_k *want)
{
    struct rlimit_k *old = &t->rlim[r];
    if (want->cur > want->max)
        return -EINVAL;
    if (r == RLIMIT_NOFILE && want->max > NR_OPEN_MAX)
        return -EPERM;
    if (want->max > old->max && !capable())
        return -EPERM;
    *old = *want;
    return 0;
}

static long do_prlimit(int pid, unsigned r, uint64_t unew, uint64_t uold)
{
    struct rlimit_k want, was;
    if (r >= RLIM_NLIMITS)
        return -EINVAL;
    if (unew && copy_from_user(&want, (const void *)unew, sizeof(want)))
        return -EFAULT;
    struct task *t = pid ? proc_find(pid) : current;
    if (!t || !t->mm)
        return -ESRCH;
    if (!may_prlimit(t))
        return -EPERM;
    was = t->rlim[r];
    if (unew) {
        long err = rlimit_set(t, r, &want);
        if (err)
            return err;
    }
    return uold && copy_to_user((void *)uold, &was, sizeof(was)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(getrlimit)
{
    SYSCALL_UNUSED_ARGS();
    if (a0 >= RLIM_NLIMITS)
        return -EINVAL;
    return copy_to_user((void *)a1, &current->rlim[a0], sizeof(struct rlimit_k)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(setrlimit)
{
    SYSCALL_UNUSED_ARGS();
    if (!a1)
        return -EFAULT;
    return do_prlimit(0, (unsigned)a0, a1, 0);
}

SYSCALL_DEFINE(prlimit64)
{
    SYSCALL_UNUSED_ARGS();
    return do_prlimit((int)a0, (unsigned)a1, a2, a3);
}
