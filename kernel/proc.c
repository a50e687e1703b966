/*
 * kernel/proc.c - process lifetimes: creation, fork, exit, wait, and the
 * default actions of signals.
 *
 * A task's kernel stack, as proc_alloc prepares it for its first run:
 *
 *   kstack_top -> +--------------------+
 *                 | struct trap_frame  |  user registers (iretq pops them)
 *        t->tf -> +--------------------+
 *                 | task_start         |  switch_to "returns" here...
 *                 | rbp rbx r12..r15=0 |  ...after popping these
 *   t->ctx_rsp -> +--------------------+
 */
#include "kernel/proc.h"

#include "drivers/debugexit.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/exec.h"
#include "kernel/futex.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/procfs.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

#define INIT_PID 1
#define CALLEE_SAVED_REGS 6

static struct {
    struct list_head all;
    int next_pid;
    int count;
    struct task *init;
    uint8_t fpu_initial[FPU_AREA_MAX] __attribute__((aligned(FPU_AREA_ALIGN))); /* what execve starts with */
} procs = {.next_pid = INIT_PID};

void task_start(void); /* kernel/entry.asm */

static struct thread_group idle_group; /* pid 0's: no files, no handlers */

/* The FPU state every new program starts with (fninit, default MXCSR). */
void proc_init(struct task *idle);
void proc_init(struct task *idle)
{
    list_init(&procs.all);
    threads_max_init(pmm_nr_managed()); /* before any task inherits the limits it sets */
    __asm__ volatile("fninit");
    fpu_save(procs.fpu_initial);
    idle->pid = 0;
    strlcpy(idle->comm, "swapper", sizeof(idle->comm));
    list_init(&idle->children);
    wait_queue_init(&idle->child_exit);
    list_init(&idle_group.threads);
    wait_queue_init(&idle_group.thread_exit);
    idle_group.leader = idle;
    idle_group.refs = idle_group.nr_live = 1;
    idle->group = &idle_group;
    list_add_tail(&idle->thread_node, &idle_group.threads);
}

/* A new thread group led by t (fork, the first process, kernel threads).
 * Its files, cwd and handlers are the caller's to fill in. */
static struct thread_group *group_create(struct task *t)
{
    struct thread_group *g = kzalloc(sizeof(*g));
    if (!g)
        return NULL;
    g->tgid = t->pid;
    g->leader = t;
    list_init(&g->threads);
    wait_queue_init(&g->thread_exit);
    g->cwd = vfs_root();
    return g;
}

/* The group's files close with its last thread (proc_exit); a group
 * that never ran (a failed fork) may still hold some. */
static void group_close_files(struct thread_group *g)
{
    for (int fd = 0; fd < NR_OPEN; fd++)
        if (g->fd[fd]) {
            file_put(g->fd[fd]);
            g->fd[fd] = NULL;
        }
}

/* t's /proc entries: /proc/<pid> for a leader, and /proc/<tgid>/task/<tid>
 * for every thread (the leader too). */
static int proc_add_entries(struct task *t)
{
    if (thread_group_leader(t) && procfs_add_task(t) != 0)
        return -ENOMEM;
    if (procfs_add_thread(t) != 0) {
        if (thread_group_leader(t))
            procfs_remove_task(t);
        return -ENOMEM;
    }
    return 0;
}

struct task *proc_alloc(struct thread_group *group)
{
    struct task *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->kstack_top = kstack_alloc();
    if (!t->kstack_top) {
        kfree(t);
        return NULL;
    }
    t->tf = (struct trap_frame *)(t->kstack_top - sizeof(struct trap_frame));
    uint64_t *sp = (uint64_t *)t->tf;
    *--sp = (uint64_t)task_start;
    for (int i = 0; i < CALLEE_SAVED_REGS; i++)
        *--sp = 0;
    t->ctx_rsp = (uint64_t)sp;
    t->pid = procs.next_pid++;
    t->state = TASK_RUNNABLE;
    t->cpus_allowed = CPU_MASK_ALL;
    list_init(&t->children);
    wait_queue_init(&t->child_exit);
    memcpy(t->fpu, procs.fpu_initial, fpu_size());
    cred_init_root(&t->cred); /* fork copies the parent's over these */
    rlimit_init_defaults(t->rlim);
    t->group = group ? group : group_create(t);
    if (!t->group || proc_add_entries(t) != 0) {
        if (t->group && !group)
            kfree(t->group);
        kstack_free(t->kstack_top);
        kfree(t);
        return NULL;
    }
    t->tgid = t->group->tgid;
    t->group->refs++;
    t->group->nr_live++;
    list_add_tail(&t->thread_node, &t->group->threads);
    list_add_tail(&t->all_node, &procs.all);
    procs.count++;
    return t;
}

/* Free t's task struct and kernel stack, and its group with its last
 * task. A thread has left group->threads already (proc_exit), unless it
 * never ran (a failed clone or fork). */
void proc_free(struct task *t)
{
    struct thread_group *g = t->group;
    procfs_remove_thread(t);
    if (t->thread_node.next) { /* it never ran: proc_exit takes it off */
        list_del(&t->thread_node);
        g->nr_live--;
    }
    if (thread_group_leader(t))
        procfs_remove_task(t);
    list_del(&t->all_node);
    procs.count--;
    kstack_free(t->kstack_top);
    kfree(t);
    if (--g->refs == 0) {
        group_close_files(g);
        kfree(g);
    }
}

int proc_count(void) { return procs.count; }

uint64_t proc_count_uid(uint32_t uid)
{
    uint64_t n = 0;
    struct list_head *pos;
    list_for_each(pos, &procs.all)
        n += list_entry(pos, struct task, all_node)->cred.uid == uid;
    return n;
}

void proc_for_each(void (*fn)(struct task *t, void *arg), void *arg)
{
    struct list_head *pos;
    list_for_each(pos, &procs.all)
        fn(list_entry(pos, struct task, all_node), arg);
}

struct task *proc_find_any(int pid)
{
    struct list_head *pos;
    list_for_each(pos, &procs.all) {
        struct task *t = list_entry(pos, struct task, all_node);
        if (t->pid == pid)
            return t;
    }
    return NULL;
}

struct task *proc_find(int pid)
{
    struct list_head *pos;
    list_for_each(pos, &procs.all) {
        struct task *t = list_entry(pos, struct task, all_node);
        if (t->pid == pid && (t->state != TASK_ZOMBIE || t->group->nr_live > 0))
            return t; /* a leader that exited before its threads still names the process */
    }
    return NULL;
}

int proc_spawn_init(const char *path, char *const argv[], char *const envp[])
{
    struct task *t = proc_alloc(NULL);
    if (!t)
        return -ENOMEM;
    t->parent = current;
    list_add_tail(&t->sibling, &current->children);
    struct inode *console;
    if (vfs_lookup(NULL, "/dev/console", true, &console) == 0)
        for (int fd = 0; fd < 3; fd++)
            t->group->fd[fd] = file_open(console, O_RDWR, "/dev/console");
    int r = exec_program(t, path, argv, envp);
    if (r) {
        pr_err("init: cannot run %s: error %d\n", path, r);
        return r;
    }
    procs.init = t;
    t->pgid = t->sid = t->pid;
    pr_info("init: started %s as pid %d\n", path, t->pid);
    sched_wake_task(t);
    return 0;
}

/* Give the children of an exiting task to init (Linux: reparenting). */
static void reparent_children(struct task *t)
{
    struct task *init = procs.init;
    while (!list_empty(&t->children)) {
        struct task *c = list_first_entry(&t->children, struct task, sibling);
        list_del(&c->sibling);
        c->parent = init;
        list_add_tail(&c->sibling, &init->children);
        if (c->state == TASK_ZOMBIE)
            wake_up(&init->child_exit);
    }
}

static void describe_status(const struct task *t, int status)
{
    if ((status & 0x7f) == 0)
        pr_notice("pagewise: init (pid %d, %s) exited with status %d\n", t->pid, t->exe, (status >> 8) & 0xff);
    else
        pr_notice("pagewise: init (pid %d, %s) killed by signal %d (%s)\n", t->pid, t->exe, status & 0x7f,
                  signal_name(status & 0x7f));
}

/* The last thread of g is gone: its leader becomes the zombie the
 * parent waits for, with the process's wait status (exit_group's, else
 * the leader's own exit). Children go to init. Interrupts off. */
static void process_exit_notify(struct thread_group *g)
{
    struct task *l = g->leader;
    int status = g->exiting ? g->exit_status : l->exit_status;
    l->exit_status = status;
    if (l == procs.init) {
        describe_status(l, status);
        debug_exit(status == 0 ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
        panic("init exited"); /* real hardware: nothing left to run */
    }
    reparent_children(l);
    struct task *parent = l->parent;
    struct sigaction_k *chld = parent ? &parent->group->sigaction[SIGCHLD - 1] : NULL;
    if (chld && (chld->handler == SIG_IGN || (chld->flags & SA_NOCLDWAIT))) {
        /* POSIX: the parent ignores SIGCHLD: no zombie, nothing to wait for. */
        list_del(&l->sibling);
        wake_up(&parent->child_exit); /* a waiting wait4 now finds no child: ECHILD */
        l->parent = NULL;
        if (l == current)
            sched_free_after_switch(l); /* once we are off this stack */
        else
            proc_free(l); /* a zombie already: its stack is idle */
        return;
    }
    if (parent) {
        signal_send_info(parent, SIGCHLD, (status & 0x7f) ? CLD_KILLED : CLD_EXITED, 0, l->pid,
                         (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff);
        wake_up(&parent->child_exit);
    }
}

/* Let go of the address space: the last user frees it (never while its
 * page tables are loaded). */
static void exit_mm(struct task *t)
{
    if (!t->mm)
        return;
    if (t->mm->users == 1)
        mm_switch_kernel(); /* never free the page tables we run on */
    mm_put(t->mm);
    t->mm = NULL;
}

void proc_exit(int status)
{
    struct task *t = current;
    struct thread_group *g = t->group;
    lockdep_task_exit();   /* it may hold no lock now */
    futex_exit_release(t); /* CLONE_CHILD_CLEARTID, robust futexes: while the mm is there */
    bool irqs = irq_save();
    list_del(&t->thread_node);
    bool last = --g->nr_live == 0;
    wake_up(&g->thread_exit); /* an execve in another thread may wait for us */
    irq_restore(irqs);
    if (last)
        group_close_files(g);
    exit_mm(t);
    irqs = irq_save();
    t->exit_status = status;
    t->state = TASK_ZOMBIE;
    if (!thread_group_leader(t))
        procfs_remove_thread(t); /* now: the leader may be reaped (with /proc/<tgid>) before we are freed */
    if (last)
        process_exit_notify(g);
    if (!thread_group_leader(t))
        sched_free_after_switch(t); /* a thread is nobody's child: it frees itself */
    schedule();
    irq_restore(irqs);
    panic("a zombie ran again");
}

void proc_exit_group(int status)
{
    struct thread_group *g = current->group;
    if (!g->exiting) {
        g->exiting = true;
        g->exit_status = status;
        thread_group_kill_others(current);
    }
    proc_exit(g->exit_status);
}

/* Called by execve once it is the only thread left (kernel/thread.c):
 * t takes the old leader's place, pid (the tgid), parent and children,
 * and the old leader, a zombie, is freed. */
void proc_take_leadership(struct task *t)
{
    struct thread_group *g = t->group;
    struct task *old = g->leader;
    procfs_remove_thread(t);
    procfs_remove_thread(old);
    t->pid = g->tgid;
    old->pid = 0; /* no /proc entry of its own any more */
    t->parent = old->parent;
    if (old->parent)
        list_replace(&old->sibling, &t->sibling);
    while (!list_empty(&old->children)) {
        struct task *c = list_first_entry(&old->children, struct task, sibling);
        list_del(&c->sibling);
        c->parent = t;
        list_add_tail(&c->sibling, &t->children);
    }
    t->pgid = old->pgid, t->sid = old->sid;
    memcpy(t->rlim, old->rlim, sizeof(t->rlim));
    t->alarm_at = old->alarm_at, t->alarm_interval = old->alarm_interval;
    t->oom_score_adj = old->oom_score_adj, t->oom_score_adj_min = old->oom_score_adj_min;
    if (procs.init == old)
        procs.init = t;
    g->leader = t;
    old->parent = NULL;
    proc_free(old); /* a zombie: off every CPU and queue */
    procfs_add_thread(t); /* /proc/<tgid>/task/<tgid> again (a failure only hides it) */
}

void proc_check_alarms(uint64_t now)
{
    if (!procs.all.next)
        return;
    struct list_head *pos;
    list_for_each(pos, &procs.all) {
        struct task *t = list_entry(pos, struct task, all_node);
        if (t->alarm_at && t->alarm_at <= now && t->state != TASK_ZOMBIE) {
            t->alarm_at = t->alarm_interval ? now + t->alarm_interval : 0;
            signal_send(t, SIGALRM);
        }
    }
}

int proc_signal_group(int pgrp, int sig)
{
    int n = 0;
    struct list_head *pos;
    list_for_each(pos, &procs.all) {
        struct task *t = list_entry(pos, struct task, all_node);
        if (t->pgid == pgrp && thread_group_leader(t) && t->group->nr_live > 0) { /* each process once */
            signal_send(t, sig);
            n++;
        }
    }
    return n;
}

bool proc_group_exists(int pgrp)
{
    struct list_head *pos;
    list_for_each(pos, &procs.all) {
        struct task *t = list_entry(pos, struct task, all_node);
        if (t->pgid == pgrp && t->group->nr_live > 0)
            return true;
    }
    return false;
}

void proc_fpu_reset(struct task *t)
{
    memcpy(t->fpu, procs.fpu_initial, fpu_size());
    fpu_restore(t->fpu);
}

int proc_max_pid(void) { return procs.next_pid - 1; }

/* A kernel thread's first switch_to "returns" here. */
static __noreturn void kthread_main(void)
{
    sti();
    current->kthread_fn(current->kthread_arg);
    panic("kernel thread %s returned", current->comm);
}

struct task *kthread_create(void (*fn)(void *), void *arg, const char *name)
{
    struct task *t = proc_alloc(NULL);
    if (!t)
        return NULL;
    /* Its stack: switch_to pops six registers and returns into kthread_main,
     * which then sees the alignment of a normal call. */
    uint64_t *sp = (uint64_t *)(t->kstack_top - 8);
    *--sp = (uint64_t)kthread_main;
    for (int i = 0; i < CALLEE_SAVED_REGS; i++)
        *--sp = 0;
    t->ctx_rsp = (uint64_t)sp;
    t->kthread_fn = fn;
    t->kthread_arg = arg;
    strlcpy(t->comm, name, sizeof(t->comm));
    sched_wake_task(t);
    return t;
}
