/*
 * kernel/thread.c - threads: clone(CLONE_VM | CLONE_THREAD), ending the
 * other threads (exit_group, execve), and CPU affinity.
 *
 * A thread is a task that joins its creator's struct thread_group and
 * runs in the same struct mm: nothing is copied, so a store by one thread
 * is a load away for every other (mm/mm.h: mm->users counts them). What
 * stays its own is what a CPU needs to run it: registers (the trap frame
 * and FPU area), the user stack the caller chose, the FS base (musl's
 * thread pointer: each thread's TLS block), the signal mask and
 * alternate stack, and its tid.
 *
 *   fork:   task B  group B  mm B (a copy-on-write copy of A's)
 *   thread: task B  group A  mm A (mm->users == 2)
 *
 * Switching between two threads of one process writes no CR3: the
 * scheduler (kernel/sched.c:context_switch) sees the same mm loaded, and
 * the TLB keeps every translation.
 */
#include "kernel/errno.h"
#include "kernel/percpu.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/mm.h"

#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000

/* Per-task state a new thread copies from its creator. */
static void thread_copy_from(struct task *t, const struct task *parent)
{
    t->cred = parent->cred;
    memcpy(t->rlim, parent->rlim, sizeof(t->rlim));
    t->nproc_uid = parent->nproc_uid;
    t->oom_score_adj = parent->oom_score_adj;
    t->oom_score_adj_min = parent->oom_score_adj_min;
    memcpy(t->comm, parent->comm, sizeof(t->comm));
    memcpy(t->exe, parent->exe, sizeof(t->exe));
    t->pgid = parent->pgid;
    t->sid = parent->sid;
    t->sig_blocked = parent->sig_blocked;
    t->cpus_allowed = parent->cpus_allowed;
    t->group_sig_hint = parent->group->sig_pending != 0;
    t->altstack_flags = SS_DISABLE; /* Linux: a thread starts without one */
}

long thread_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
    struct task *parent = current;
    if ((flags & CLONE_SETTLS) && tls >= USER_SPACE_END)
        return -EPERM; /* Linux: not a user address */
    if (parent->group->exiting)
        return -EAGAIN; /* exit_group or execve is ending this process */
    long err = rlimit_check_fork(); /* threads-max and RLIMIT_NPROC count threads too */
    if (err)
        return err;
    struct task *t = proc_alloc(parent->group);
    if (!t)
        return -ENOMEM;
    t->mm = parent->mm;
    mm_get(t->mm);
    *t->tf = *syscall_frame();
    t->tf->rax = 0; /* clone returns 0 in the new thread... */
    if (stack)
        t->tf->rsp = stack; /* ...on the stack pthread_create made for it */
    fpu_save(t->fpu);
    t->fs_base = (flags & CLONE_SETTLS) ? tls : parent->fs_base;
    thread_copy_from(t, parent);
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = child_tid;
    uint32_t tid = (uint32_t)t->pid;
    /* Both words are in the shared mm; a bad address is ignored, as Linux. */
    if (flags & CLONE_PARENT_SETTID)
        copy_to_user((void *)parent_tid, &tid, sizeof(tid));
    if (flags & CLONE_CHILD_SETTID)
        copy_to_user((void *)child_tid, &tid, sizeof(tid));
    sched_wake_task(t);
    return t->pid;
}

void thread_group_kill_others(struct task *t)
{
    bool irqs = irq_save();
    struct list_head *pos;
    list_for_each(pos, &t->group->threads) {
        struct task *other = list_entry(pos, struct task, thread_node);
        if (other != t)
            signal_send_thread_info(other, SIGKILL, SI_KERNEL, 0, 0, 0);
    }
    irq_restore(irqs);
}

/* Linux's de_thread: the others get SIGKILL and we wait until each has
 * left proc_exit's bookkeeping; a zombie leader is replaced by us. */
int thread_group_dethread(void)
{
    struct task *t = current;
    struct thread_group *g = t->group;
    if (g->nr_live == 1 && thread_group_leader(t))
        return 0;
    if (g->exiting)
        return -EAGAIN; /* exit_group or another execve got there first */
    g->exiting = true;
    g->exit_status = SIGKILL; /* what the others die of */
    thread_group_kill_others(t);
    bool irqs = irq_save();
    while (g->nr_live > 1)
        sleep_on(&g->thread_exit);
    irq_restore(irqs);
    g->exiting = false;
    if (!thread_group_leader(t))
        proc_take_leadership(t);
    return 0;
}

/* CPU affinity: task.cpus_allowed, one bit per CPU (kernel/sched.c takes
 * only tasks whose bit for it is set). A task nobody restricted has every
 * bit; sched_getaffinity shows the online ones, as Linux, so musl's
 * sysconf(_SC_NPROCESSORS_ONLN) counts the CPUs /proc/cpuinfo lists.
 * sched_getaffinity returns the bytes written (Linux: the size of its
 * cpumask, 8 here); the buffer must hold it. */
#define CPUMASK_BYTES 8

static struct task *affinity_target(uint64_t pid)
{
    return pid ? proc_find((int)pid) : current;
}

SYSCALL_DEFINE(sched_getaffinity)
{
    SYSCALL_UNUSED_ARGS();
    if (a1 < CPUMASK_BYTES || a1 % sizeof(uint64_t))
        return -EINVAL;
    struct task *t = affinity_target(a0);
    if (!t)
        return -ESRCH;
    uint64_t mask = t->cpus_allowed & cpu_online_mask();
    return copy_to_user((void *)a2, &mask, sizeof(mask)) ? -EFAULT : CPUMASK_BYTES;
}

/* Linux accepts any mask with at least one online CPU (the bits beyond
 * the ones given are 0; longer masks may only add CPUs that do not
 * exist). The task moves at once if it runs on a CPU the mask excludes:
 * its next way back to user mode goes through schedule(), which leaves
 * it on the queue for an allowed CPU. */
SYSCALL_DEFINE(sched_setaffinity)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t mask = 0;
    /* The copy first: it may fault and sleep (swap-in), and the target
     * could exit and be freed meanwhile; after it nothing sleeps. */
    if (copy_from_user(&mask, (void *)a2, a1 < sizeof(mask) ? a1 : sizeof(mask)))
        return -EFAULT;
    struct task *t = affinity_target(a0);
    if (!t)
        return -ESRCH;
    if (!(mask & cpu_online_mask()))
        return -EINVAL;
    t->cpus_allowed = mask;
    if (t == current && !(mask >> smp_processor_id() & 1))
        this_cpu_write(need_resched, true);
    else
        sched_kick_task(t); /* running elsewhere: let it look again */
    return 0;
}

/* getcpu(&cpu, &node, unused): the CPU the caller runs on right now (it
 * may move the next moment; musl's sched_getcpu). One NUMA node, 0. A bad
 * pointer is EFAULT; NULL pointers are skipped, as Linux. */
SYSCALL_DEFINE(getcpu)
{
    SYSCALL_UNUSED_ARGS();
    unsigned cpu = smp_processor_id(), node = 0;
    if (a0 && copy_to_user((void *)a0, &cpu, sizeof(cpu)))
        return -EFAULT;
    if (a1 && copy_to_user((void *)a1, &node, sizeof(node)))
        return -EFAULT;
    return 0;
}
