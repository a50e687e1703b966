/*
 * kernel/sys_proc.c - system calls about processes: fork, execve, exit,
 * wait4, kill, ids, signals' bookkeeping, sleeping, arch_prctl.
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/exec.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/vmscan.h"

#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define CSIGNAL 0xff
#define WNOHANG 1
#define WUNTRACED 2
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

/* Is there memory for fork's bookkeeping? Below WMARK_MIN the free frames
 * are the reserve that lets running processes fault and the kernel make
 * page tables; fork must not take it (or each new child's first
 * copy-on-write fault calls the OOM killer, and a bomb lives on what its
 * victims free). Reclaim first, as a Linux GFP_KERNEL allocation would;
 * if that frees nothing: ENOMEM. */
static bool fork_memory_available(void)
{
    if (pmm_nr_free() > WMARK_MIN)
        return true;
    return try_to_free_pages(SWAP_CLUSTER) > 0 && pmm_nr_free() > WMARK_MIN;
}

/* fork: a new task with a copy of the address space (copy-on-write:
 * mm/mm.c mm_fork shares the frames read-only), the same open files and
 * the same registers, except RAX = 0 in the child. Refused with EAGAIN at
 * threads-max or RLIMIT_NPROC (kernel/resource.c); with ENOMEM when only
 * the reserve is left or when the kernel's own allocations fail: the
 * task, its kernel stack, its /proc directory, page tables and VMAs all
 * come from pmm_alloc/kmalloc/vmalloc, which fail rather than call the
 * OOM killer, and a half-built child is taken apart again (mm_fork's own
 * undo, then proc_free). */
static long do_fork(uint64_t clone_flags, uint64_t child_tid)
{
    struct task *parent = current;
    long err = rlimit_check_fork();
    if (err)
        return err;
    if (!fork_memory_available())
        return -ENOMEM;
    struct task *child = proc_alloc(NULL);
    if (!child)
        return -ENOMEM;
    child->mm = mm_fork(parent->mm);
    if (!child->mm) {
        proc_free(child);
        return -ENOMEM;
    }
    *child->tf = *syscall_frame();
    child->tf->rax = 0;
    fpu_save(child->fpu); /* the parent's live registers */
    for (int fd = 0; fd < NR_OPEN; fd++)
        if ((child->group->fd[fd] = parent->group->fd[fd]))
            file_get(child->group->fd[fd]);
    memcpy(child->group->cloexec, parent->group->cloexec, sizeof(child->group->cloexec));
    child->group->cwd = parent->group->cwd;
    child->cred = parent->cred;
    memcpy(child->rlim, parent->rlim, sizeof(child->rlim));
    child->nproc_uid = parent->nproc_uid;
    parent->nproc_uid = parent->cred.uid; /* a fork that passed the checks clears the mark, as Linux */
    child->oom_score_adj = parent->oom_score_adj;
    child->oom_score_adj_min = parent->oom_score_adj_min;
    memcpy(child->comm, parent->comm, sizeof(child->comm));
    memcpy(child->exe, parent->exe, sizeof(child->exe));
    memcpy(child->group->sigaction, parent->group->sigaction, sizeof(child->group->sigaction));
    child->altstack_sp = parent->altstack_sp; /* fork keeps the (copied) alternate stack */
    child->altstack_size = parent->altstack_size;
    child->altstack_flags = parent->altstack_flags;
    child->sig_blocked = parent->sig_blocked;
    child->fs_base = parent->fs_base;
    child->cpus_allowed = parent->cpus_allowed; /* Linux: the affinity is inherited */
    child->pgid = parent->pgid;
    child->sid = parent->sid;
    child->parent = proc_leader(parent); /* a fork from a thread: a child of the process */
    list_add_tail(&child->sibling, &child->parent->children);
    if (clone_flags & CLONE_CHILD_CLEARTID)
        child->clear_child_tid = child_tid;
    if (clone_flags & CLONE_CHILD_SETTID) {
        uint32_t tid = (uint32_t)child->pid;
        mm_write(child->mm, child_tid, &tid, sizeof(tid)); /* a bad address is ignored, as Linux */
    }
    int pid = child->pid;
    sched_wake_task(child);
    return pid;
}

SYSCALL_DEFINE(fork)
{
    SYSCALL_UNUSED_ARGS();
    return do_fork(SIGCHLD, 0);
}

SYSCALL_DEFINE(vfork)
{
    SYSCALL_UNUSED_ARGS();
    return do_fork(SIGCHLD, 0); /* a full copy is a correct (slower) vfork */
}

#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_DETACHED 0x00400000
#define CLONE_NEWUSER 0x10000000
/* What a thread must share here: Pagewise shares all of it or nothing. */
#define CLONE_THREAD_SET (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_THREAD_ALLOWED                                                                                          \
    (CLONE_THREAD_SET | CSIGNAL | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |         \
     CLONE_CHILD_SETTID | CLONE_DETACHED)

/* clone(flags, stack, parent_tid, child_tid, tls): a thread (musl's
 * pthread_create passes exactly CLONE_THREAD_ALLOWED less CSIGNAL) or a
 * fork. Linux's own refusals first, with its errno; then what Pagewise
 * does not share piecewise (CLONE_FILES alone, CLONE_VM without a
 * thread): EINVAL too. CLONE_DETACHED is ignored, as Linux does. */
SYSCALL_DEFINE(clone)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t flags = a0;
    if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
        (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
        return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL; /* a thread shares its handlers */
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL; /* shared handlers need shared memory */
    if (flags & CLONE_THREAD) {
        if ((flags & CLONE_THREAD_SET) != CLONE_THREAD_SET || (flags & ~(uint64_t)CLONE_THREAD_ALLOWED))
            return -EINVAL;
        return thread_clone(flags, a1, a2, a3, a4);
    }
    if ((flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK) && a1 == 0)
        flags &= ~(CLONE_VM | CLONE_VFORK); /* posix_spawn-style vfork: copy instead */
    if (flags & ~(uint64_t)(CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) || a1 != 0)
        return -EINVAL; /* a fork with a new stack, or sharing only part of the process */
    return do_fork(flags, a3);
}

/* Copy a NULL-terminated array of user strings into one kernel buffer.
 * Returns the kernel pointer array (to free with kfree) or an ERR value. */
static char **copy_strings(const char *const *uarr, size_t *total, long *err)
{
    char **out = kzalloc(EXEC_MAX_STRINGS * sizeof(char *));
    if (!out) {
        *err = -ENOMEM;
        return NULL;
    }
    for (size_t i = 0; uarr; i++) {
        uint64_t up;
        if (i == EXEC_MAX_STRINGS - 1) {
            *err = -E2BIG;
            goto fail;
        }
        if (copy_from_user(&up, &uarr[i], sizeof(up))) {
            *err = -EFAULT;
            goto fail;
        }
        if (!up)
            break;
        char *s = kmalloc(EXEC_ARG_MAX);
        if (!s) {
            *err = -ENOMEM;
            goto fail;
        }
        out[i] = s;
        long n = strncpy_from_user(s, (const char *)up, EXEC_ARG_MAX);
        if (n < 0) {
            *err = n == -ENAMETOOLONG ? -E2BIG : n;
            goto fail;
        }
        *total += (size_t)n + 1 + sizeof(char *);
        if (*total > EXEC_TOTAL_MAX) {
            *err = -E2BIG;
            goto fail;
        }
    }
    return out;
fail:
    for (size_t i = 0; i < EXEC_MAX_STRINGS && out[i]; i++)
        kfree(out[i]);
    kfree(out);
    return NULL;
}

static void free_strings(char **arr)
{
    for (size_t i = 0; arr && arr[i]; i++)
        kfree(arr[i]);
    kfree(arr);
}

SYSCALL_DEFINE(execve)
{
    SYSCALL_UNUSED_ARGS();
    char *path = kmalloc(PATH_MAX);
    if (!path)
        return -ENOMEM;
    long r = strncpy_from_user(path, (const char *)a0, PATH_MAX);
    if (r >= 0)
        r = rlimit_check_exec(); /* a set*id to a user over RLIMIT_NPROC: EAGAIN */
    size_t total = 0;
    char **argv = NULL, **envp = NULL;
    if (r >= 0 && (argv = copy_strings((const char *const *)a1, &total, &r)) &&
        (envp = copy_strings((const char *const *)a2, &total, &r)))
        r = exec_program(current, path, argv, envp);
    free_strings(argv);
    free_strings(envp);
    kfree(path);
    if (r == 0) {
        struct task *t = current;
        for (int fd = 0; fd < NR_OPEN; fd++) /* close-on-exec */
            if (t->group->cloexec[fd] && t->group->fd[fd]) {
                file_put(t->group->fd[fd]);
                t->group->fd[fd] = NULL;
            }
        memset(t->group->cloexec, 0, sizeof(t->group->cloexec));
        t->robust_list = 0;
        for (int s = 0; s < NSIG; s++) /* handlers do not survive exec */
            if (t->group->sigaction[s].handler > 1)
                t->group->sigaction[s] = (struct sigaction_k){0, 0, 0, 0};
        t->fs_base = 0;
        wrmsr(MSR_FS_BASE, 0);
        t->altstack_sp = t->altstack_size = 0; /* the old stack is gone with the old image */
        t->altstack_flags = SS_DISABLE;
        t->clear_child_tid = 0;
        proc_fpu_reset(t); /* x87/SSE/AVX as a new process has them: no registers of the old image */
        return 0; /* t->tf now starts the new program */
    }
    return r;
}

SYSCALL_DEFINE(exit)
{
    SYSCALL_UNUSED_ARGS();
    proc_exit((int)((a0 & 0xff) << 8));
}

SYSCALL_DEFINE(exit_group)
{
    SYSCALL_UNUSED_ARGS();
    proc_exit_group((int)((a0 & 0xff) << 8));
}

/* struct rusage: two timevals then 14 longs; ru_minflt is long #2 after
 * the timevals, ru_majflt #3. */
struct rusage_k {
    int64_t utime_sec, utime_usec, stime_sec, stime_usec;
    int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw,
        nivcsw;
};

static void fill_rusage(const struct task *t, struct rusage_k *ru)
{
    memset(ru, 0, sizeof(*ru));
    uint64_t ut = t->utime_ticks * (1000000 / HZ), st = t->stime_ticks * (1000000 / HZ);
    ru->utime_sec = (int64_t)(ut / 1000000);
    ru->utime_usec = (int64_t)(ut % 1000000);
    ru->stime_sec = (int64_t)(st / 1000000);
    ru->stime_usec = (int64_t)(st % 1000000);
    ru->minflt = (int64_t)t->minflt;
    ru->majflt = (int64_t)t->majflt;
    ru->maxrss = t->mm ? (int64_t)(t->mm->rss * 4) : 0;
}

SYSCALL_DEFINE(getrusage)
{
    SYSCALL_UNUSED_ARGS();
    struct rusage_k ru;
    if ((int)a0 != 0 && (int)a0 != -1) /* RUSAGE_SELF, RUSAGE_CHILDREN */
        return -EINVAL;
    fill_rusage(current, &ru);
    if ((int)a0 == -1)
        memset(&ru, 0, sizeof(ru)); /* children's totals are not kept yet */
    return copy_to_user((void *)a1, &ru, sizeof(ru)) ? -EFAULT : 0;
}

/* wait4(pid, status, options, rusage): pid > 0 one child, -1 or 0 or < -1
 * any child (no process groups yet). */
SYSCALL_DEFINE(wait4)
{
    SYSCALL_UNUSED_ARGS();
    int pid = (int)a0, options = (int)a2;
    if (options & ~(WNOHANG | WUNTRACED))
        return -EINVAL;
    struct task *me = proc_leader(current); /* any thread waits for the process's children */
    for (;;) {
        bool have_child = false;
        bool irqs = irq_save();
        struct list_head *pos;
        list_for_each(pos, &me->children) {
            struct task *c = list_entry(pos, struct task, sibling);
            if (pid > 0 && c->pid != pid)
                continue;
            have_child = true;
            if (c->state != TASK_ZOMBIE || c->group->nr_live > 0)
                continue; /* running, or a leader that exited before its threads */
            irq_restore(irqs);
            int status = c->exit_status, cpid = c->pid;
            struct rusage_k ru;
            fill_rusage(c, &ru);
            if (a1 && copy_to_user((void *)a1, &status, sizeof(status)))
                return -EFAULT;
            if (a3 && copy_to_user((void *)a3, &ru, sizeof(ru)))
                return -EFAULT;
            list_del(&c->sibling);
            proc_free(c);
            return cpid;
        }
        if (!have_child) {
            irq_restore(irqs);
            return -ECHILD;
        }
        if (options & WNOHANG) {
            irq_restore(irqs);
            return 0;
        }
        if (signal_pending(current)) {
            irq_restore(irqs);
            return -ERESTARTSYS;
        }
        sleep_on(&me->child_exit);
        irq_restore(irqs);
    }
}

/* kill's pid: > 0 one process, 0 my group, -1 everyone but init and me,
 * < -1 the group -pid. */
/* kill(2)'s targets, with Linux's permission rule (kernel/cred.c:
 * cred_may_signal): one process (EPERM if not allowed), every process
 * but init and ourselves (-1: success if there was anyone, even if every
 * one refused, as Linux), or a process group (EPERM if none allowed). */
static long send_to(int pid, int sig, int code)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid > 0) {
        struct task *t = proc_find(pid);
        if (!t)
            return -ESRCH;
        if (!cred_may_signal(t, sig))
            return -EPERM;
        if (sig)
            signal_send_info(t, sig, code, 0, current->group->tgid, 0);
        return 0;
    }
    int pgrp = pid == 0 ? current->pgid : -pid;
    long found = 0, sent = 0, last = 0;
    for (int p = pid == -1 ? 2 : 1; p <= proc_max_pid(); p++) { /* -1 spares init */
        struct task *t = proc_find(p);
        if (!t || !thread_group_leader(t) || (pid == -1 ? t->group == current->group : t->pgid != pgrp))
            continue; /* one process once: by its leader (maybe a zombie whose threads run) */
        found++;
        if (!cred_may_signal(t, sig)) {
            last = pid == -1 ? last : -EPERM;
            continue;
        }
        sent++;
        if (sig)
            signal_send_info(t, sig, code, 0, current->group->tgid, 0);
    }
    if (!found)
        return -ESRCH;
    return sent ? 0 : last;
}

SYSCALL_DEFINE(kill)
{
    SYSCALL_UNUSED_ARGS();
    return send_to((int)a0, (int)a1, SI_USER);
}

/* tkill and tgkill: a signal for one thread (si_code SI_TKILL). tgkill
 * also checks that tid is in process tgid (ESRCH if not), so a recycled
 * tid cannot be hit by mistake. */
static long send_to_thread(int tgid, int tid, int sig)
{
    if (sig < 0 || sig > NSIG || tid <= 0)
        return -EINVAL;
    struct task *t = proc_find(tid);
    if (!t || t->state == TASK_ZOMBIE || (tgid && t->group->tgid != tgid))
        return -ESRCH;
    if (!cred_may_signal(t, sig))
        return -EPERM;
    if (sig)
        signal_send_thread_info(t, sig, SI_TKILL, 0, current->group->tgid, 0);
    return 0;
}

SYSCALL_DEFINE(tkill)
{
    SYSCALL_UNUSED_ARGS();
    return send_to_thread(0, (int)a0, (int)a1);
}

SYSCALL_DEFINE(tgkill)
{
    SYSCALL_UNUSED_ARGS();
    return (int)a0 <= 0 ? -EINVAL : send_to_thread((int)a0, (int)a1, (int)a2);
}

SYSCALL_DEFINE(getpid) { SYSCALL_UNUSED_ARGS(); return current->tgid; }
SYSCALL_DEFINE(gettid) { SYSCALL_UNUSED_ARGS(); return current->pid; }
SYSCALL_DEFINE(getppid)
{
    SYSCALL_UNUSED_ARGS();
    struct task *parent = proc_leader(current)->parent;
    return parent ? parent->pid : 0;
}
SYSCALL_DEFINE(getpgrp) { SYSCALL_UNUSED_ARGS(); return current->pgid; }

SYSCALL_DEFINE(getpgid)
{
    SYSCALL_UNUSED_ARGS();
    struct task *t = a0 ? proc_find((int)a0) : current;
    return t ? t->pgid : -ESRCH;
}

SYSCALL_DEFINE(getsid)
{
    SYSCALL_UNUSED_ARGS();
    struct task *t = a0 ? proc_find((int)a0) : current;
    return t ? t->sid : -ESRCH;
}

/* setpgid(pid, pgid): pid 0 = me, pgid 0 = pid. Only me or my children. */
SYSCALL_DEFINE(setpgid)
{
    SYSCALL_UNUSED_ARGS();
    int pid = a0 ? (int)a0 : current->group->tgid, pgid = a1 ? (int)a1 : pid;
    if (pgid < 0)
        return -EINVAL;
    struct task *t = proc_find(pid);
    if (!t || (t->group != current->group && t->parent != proc_leader(current)))
        return -ESRCH;
    if (t->sid != current->sid)
        return -EPERM;
    struct list_head *pos; /* every thread keeps a copy of the process's group */
    list_for_each(pos, &t->group->threads)
        list_entry(pos, struct task, thread_node)->pgid = pgid;
    proc_leader(t)->pgid = pgid;
    return 0;
}

SYSCALL_DEFINE(setsid)
{
    SYSCALL_UNUSED_ARGS();
    if (current->pgid == current->group->tgid)
        return -EPERM; /* a group leader cannot start a session */
    current->sid = current->pgid = current->group->tgid;
    return current->group->tgid;
}

SYSCALL_DEFINE(set_tid_address)
{
    SYSCALL_UNUSED_ARGS();
    current->clear_child_tid = a0;
    return current->pid;
}

SYSCALL_DEFINE(sched_yield)
{
    SYSCALL_UNUSED_ARGS();
    schedule();
    return 0;
}

/* Sleep for the struct timespec at uts, rounded up to timer ticks; on a
 * signal, EINTR and the time left in *urem (if not NULL), as Linux. The
 * clock that decides is the one clock_gettime reads (the TSC): under an
 * emulator on a busy host, late timer ticks arrive in a burst, and counting
 * ticks alone once ended a 10 ms sleep after 8 ms. */
static long sleep_timespec(uint64_t uts, uint64_t urem)
{
    int64_t ts[2];
    if (copy_from_user(ts, (void *)uts, sizeof(ts)))
        return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
        return -EINVAL;
    const uint64_t tick_ns = 1000000000 / HZ;
    uint64_t ns = (uint64_t)ts[0] * 1000000000 + (uint64_t)ts[1];
    uint64_t start = time_since_boot_ns();
    for (uint64_t slept; (slept = time_since_boot_ns() - start) < ns;) {
        if (signal_pending(current)) {
            uint64_t left_ns = ns - slept;
            int64_t rem[2] = {(int64_t)(left_ns / 1000000000), (int64_t)(left_ns % 1000000000)};
            if (urem && copy_to_user((void *)urem, rem, sizeof(rem)))
                return -EFAULT;
            return -EINTR;
        }
        sleep_until(jiffies() + (ns - slept + tick_ns - 1) / tick_ns + 1);
    }
    return 0;
}

SYSCALL_DEFINE(nanosleep)
{
    SYSCALL_UNUSED_ARGS();
    return sleep_timespec(a0, a1);
}

SYSCALL_DEFINE(clock_nanosleep)
{
    SYSCALL_UNUSED_ARGS();
    if (a1 != 0) /* TIMER_ABSTIME */
        return -EINVAL;
    return sleep_timespec(a2, a3);
}

SYSCALL_DEFINE(alarm)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t now = jiffies(), left = current->alarm_at > now ? (current->alarm_at - now + HZ - 1) / HZ : 0;
    current->alarm_at = a0 ? now + a0 * HZ : 0;
    current->alarm_interval = 0;
    return (long)left;
}

#define ITIMER_REAL 0
#define USEC_PER_TICK (1000000 / HZ)

static uint64_t timeval_to_ticks(const int64_t tv[2])
{
    return ((uint64_t)tv[0] * 1000000 + (uint64_t)tv[1] + USEC_PER_TICK - 1) / USEC_PER_TICK;
}

static void ticks_to_timeval(uint64_t ticks, int64_t tv[2])
{
    tv[0] = (int64_t)(ticks / HZ);
    tv[1] = (int64_t)(ticks % HZ * USEC_PER_TICK);
}

/* struct itimerval { timeval it_interval, it_value; }: ITIMER_REAL only
 * (musl's alarm() is setitimer). */
static long itimer_get(uint64_t uold)
{
    int64_t v[4] = {0};
    uint64_t now = jiffies();
    ticks_to_timeval(current->alarm_interval, &v[0]);
    ticks_to_timeval(current->alarm_at > now ? current->alarm_at - now : 0, &v[2]);
    return uold && copy_to_user((void *)uold, v, sizeof(v)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(getitimer)
{
    SYSCALL_UNUSED_ARGS();
    return a0 == ITIMER_REAL ? itimer_get(a1) : -EINVAL;
}

SYSCALL_DEFINE(setitimer)
{
    SYSCALL_UNUSED_ARGS();
    int64_t v[4];
    if (a0 != ITIMER_REAL)
        return -EINVAL;
    if (a1 && copy_from_user(v, (void *)a1, sizeof(v)))
        return -EFAULT;
    if (a1 && (v[1] < 0 || v[1] >= 1000000 || v[3] < 0 || v[3] >= 1000000 || v[0] < 0 || v[2] < 0))
        return -EINVAL;
    long r = itimer_get(a2);
    if (r || !a1)
        return r;
    uint64_t value = timeval_to_ticks(&v[2]);
    current->alarm_at = value ? jiffies() + value : 0;
    current->alarm_interval = timeval_to_ticks(&v[0]);
    return 0;
}

SYSCALL_DEFINE(arch_prctl)
{
    SYSCALL_UNUSED_ARGS();
    switch (a0) {
    case ARCH_SET_FS:
        if (a1 >= USER_SPACE_END)
            return -EPERM;
        current->fs_base = a1;
        wrmsr(MSR_FS_BASE, a1);
        return 0;
    case ARCH_GET_FS: return copy_to_user((void *)a1, &current->fs_base, sizeof(uint64_t)) ? -EFAULT : 0;
    default: return -EINVAL;
    }
}

SYSCALL_DEFINE(prctl)
{
    SYSCALL_UNUSED_ARGS();
    char name[TASK_COMM_LEN];
    switch (a0) {
    case PR_SET_NAME: {
        long n = strncpy_from_user(name, (const char *)a1, sizeof(name));
        if (n == -EFAULT)
            return -EFAULT;
        name[sizeof(name) - 1] = '\0';
        memcpy(current->comm, name, sizeof(name));
        return 0;
    }
    case PR_GET_NAME: return copy_to_user((void *)a1, current->comm, sizeof(current->comm)) ? -EFAULT : 0;
    case PR_GET_DUMPABLE: return current->cred.dumpable;
    case PR_SET_DUMPABLE:
        if (a1 > 1)
            return -EINVAL; /* 2 (root-only core dumps) is not for prctl */
        current->cred.dumpable = a1;
        return 0;
    default: return -EINVAL;
    }
}

SYSCALL_DEFINE(umask)
{
    SYSCALL_UNUSED_ARGS();
    return 022;
}
