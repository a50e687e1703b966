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
 * Which limits the kernel enforces, and where, is in docs/limits.md.
 */
#include "kernel/resource.h"

#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/memlayout.h"

#define NR_OPEN_MAX 1048576 /* Linux's fs.nr_open default: the ceiling for RLIMIT_NOFILE */
#define MLOCK_LIMIT (8ul << 20)
#define MQ_BYTES_MAX 819200

void rlimit_init_defaults(struct rlimit_k rlim[RLIM_NLIMITS])
{
    for (int r = 0; r < RLIM_NLIMITS; r++)
        rlim[r] = (struct rlimit_k){RLIM_INFINITY, RLIM_INFINITY};
    rlim[RLIMIT_STACK].cur = USER_STACK_LIMIT;
    rlim[RLIMIT_CORE].cur = 0;
    rlim[RLIMIT_NOFILE] = (struct rlimit_k){NR_OPEN, NR_OPEN};
    rlim[RLIMIT_MEMLOCK] = (struct rlimit_k){MLOCK_LIMIT, MLOCK_LIMIT};
    rlim[RLIMIT_MSGQUEUE] = (struct rlimit_k){MQ_BYTES_MAX, MQ_BYTES_MAX};
    rlim[RLIMIT_NICE] = rlim[RLIMIT_RTPRIO] = (struct rlimit_k){0, 0};
}

uint64_t rlimit(enum rlimit_resource r) { return current->rlim[r].cur; }

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
