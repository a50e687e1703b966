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
}

struct task *proc_alloc(void)
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
    list_init(&t->children);
    wait_queue_init(&t->child_exit);
    memcpy(t->fpu, procs.fpu_initial, fpu_size());
    t->cwd = vfs_root();
    cred_init_root(&t->cred); /* fork copies the parent's over these */
    rlimit_init_defaults(t->rlim);
    if (procfs_add_task(t) != 0) {
        kstack_free(t->kstack_top);
        kfree(t);
        return NULL;
    }
    list_add_tail(&t->all_node, &procs.all);
    procs.count++;
    return t;
}

void proc_free(struct task *t)
{
    procfs_remove_task(t);
    list_del(&t->all_node);
    procs.count--;
    kstack_free(t->kstack_top);
    kfree(t);
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
        if (t->pid == pid && t->state != TASK_ZOMBIE)
            return t;
    }
    return NULL;
}

int proc_spawn_init(const char *path, char *const argv[], char *const envp[])
{
    struct task *t = proc_alloc();
    if (!t)
        return -ENOMEM;
    t->parent = current;
    list_add_tail(&t->sibling, &current->children);
    struct inode *console;
    if (vfs_lookup(NULL, "/dev/console", true, &console) == 0)
        for (int fd = 0; fd < 3; fd++)
            t->fd[fd] = file_open(console, O_RDWR, "/dev/console");
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

void proc_exit(int status)
{
    struct task *t = current;
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        copy_to_user((void *)t->clear_child_tid, &zero, sizeof(zero));
    }
    for (int fd = 0; fd < NR_OPEN; fd++)
        if (t->fd[fd]) {
            file_put(t->fd[fd]);
            t->fd[fd] = NULL;
        }
    if (t->mm) {
        mm_switch_kernel(); /* never free the page tables we run on */
        mm_destroy(t->mm);
        t->mm = NULL;
    }
    if (t == procs.init) {
        describe_status(t, status);
        debug_exit(status == 0 ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
        panic("init exited"); /* real hardware: nothing left to run */
    }
    bool irqs = irq_save();
    reparent_children(t);
    t->exit_status = status;
    t->state = TASK_ZOMBIE;
    struct sigaction_k *chld = t->parent ? &t->parent->sigaction[SIGCHLD - 1] : NULL;
    if (chld && (chld->handler == SIG_IGN || (chld->flags & SA_NOCLDWAIT))) {
        /* POSIX: the parent ignores SIGCHLD: no zombie, nothing to wait for.
         * The scheduler frees us once we are off this stack. */
        list_del(&t->sibling);
        wake_up(&t->parent->child_exit); /* a waiting wait4 now finds no child: ECHILD */
        t->parent = NULL;
        sched_free_after_switch(t);
    }
    if (t->parent) {
        signal_send_info(t->parent, SIGCHLD, (status & 0x7f) ? CLD_KILLED : CLD_EXITED, 0, t->pid,
                         (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff);
        wake_up(&t->parent->child_exit);
    }
    schedule();
    irq_restore(irqs);
    panic("a zombie ran again");
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
        if (t->pgid == pgrp && t->state != TASK_ZOMBIE) {
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
        if (t->pgid == pgrp && t->state != TASK_ZOMBIE)
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
    struct task *t = proc_alloc();
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
