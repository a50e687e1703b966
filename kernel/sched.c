/*
 * kernel/sched.c - round-robin scheduling.
 *
 * The run queue holds the runnable tasks except the one running. The
 * timer tick counts the running task's slice; when it is used up, the
 * task is switched out on its next way back to user mode. The idle task
 * (pid 0, the boot code) runs only when nothing else can: it halts.
 *
 * The context switch, in order:
 *   1. save the outgoing task's x87/SSE/AVX registers (xsave, or fxsave
 *      without XSAVE: kernel/fpu.c), load the incoming task's and its FS
 *      base (musl's thread pointer);
 *   2. switch the address space: a CR3 write, but only if the incoming
 *      task has an mm and it is not the one loaded (kernel threads keep
 *      whatever is loaded, as Linux's lazy TLB mode does);
 *   3. point TSS.RSP0 and the syscall entry at the incoming kernel stack;
 *   4. switch_to (kernel/entry.asm): swap kernel stacks.
 */
#include "kernel/sched.h"

#include "kernel/fpu.h"

#include "kernel/gdt.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/mm.h"

struct task *current;
bool sched_need_resched_flag;

static struct {
    struct list_head runqueue;
    struct list_head timed_sleepers; /* tasks in sleep_until */
    struct list_head timed_waits;    /* tasks in sleep_on_timeout (timeout_node) */
    struct task *idle;
    struct task *dead; /* an autoreaped task to free after the switch */
    uint64_t nr_switches;
    unsigned io_in_flight; /* disk requests someone is waiting for */
} sched;

extern uint64_t syscall_kernel_rsp;
void switch_to(uint64_t *save_rsp, uint64_t new_rsp);

void sched_init(struct task *idle)
{
    list_init(&sched.runqueue);
    list_init(&sched.timed_sleepers);
    list_init(&sched.timed_waits);
    sched.idle = idle;
    current = idle;
}

void sched_wake_task(struct task *t)
{
    bool irqs = irq_save();
    if (t->state == TASK_SLEEPING || t->run_node.next == NULL) {
        if (t->run_node.next)
            list_del(&t->run_node); /* off its wait queue */
        t->state = TASK_RUNNABLE;
        if (t != sched.idle)
            list_add_tail(&t->run_node, &sched.runqueue);
    }
    irq_restore(irqs);
}



void sched_free_after_switch(struct task *t) { sched.dead = t; }

static void reap_dead(void)
{
    struct task *d = sched.dead;
    if (d && d != current) {
        sched.dead = NULL;
        proc_free(d);
    }
}

/* A new task's first instructions (kernel/entry.asm: task_start) come
 * here before going to user mode, to finish the switch like the others. */
void sched_task_started(void);
void sched_task_started(void) { reap_dead(); }

static void context_switch(struct task *prev, struct task *next)
{
    fpu_save(prev->fpu);
    /* The user-mode state the kernel itself never uses can be loaded
     * before the stack switch; that way a new task, whose first switch_to
     * "returns" into task_start, gets it too. */
    fpu_restore(next->fpu);
    wrmsr(MSR_FS_BASE, next->fs_base);
    if (next->mm)
        mm_switch(next->mm);
    tss_set_kernel_stack(next->kstack_top);
    syscall_kernel_rsp = next->kstack_top;
    sched.nr_switches++;
    current = next;
    switch_to(&prev->ctx_rsp, next->ctx_rsp);
    /* Back in prev, some time later: the task that ran before us may
     * have been a dead one that nobody waits for. */
    reap_dead();
}

void schedule(void)
{
    bool irqs = irq_save();
    struct task *prev = current, *next;
    sched_need_resched_flag = false;
    if (prev->state == TASK_RUNNABLE && prev != sched.idle && prev->run_node.next == NULL)
        list_add_tail(&prev->run_node, &sched.runqueue);
    if (list_empty(&sched.runqueue)) {
        next = sched.idle;
    } else {
        next = list_first_entry(&sched.runqueue, struct task, run_node);
        list_del(&next->run_node);
    }
    next->slice = 0;
    if (next != prev)
        context_switch(prev, next);
    irq_restore(irqs);
}

void sched_tick(bool from_user)
{
    struct task *t = current;
    if (!t)
        return; /* early boot: the scheduler is not running yet */
    if (from_user)
        t->utime_ticks++;
    else
        t->stime_ticks++;
    if (t == sched.idle || ++t->slice >= SCHED_SLICE_TICKS)
        sched_need_resched_flag = true;
    sched_timer_wakeups(jiffies());
    proc_check_alarms(jiffies());
}


void sched_io_begin(void) { sched.io_in_flight++; }
void sched_io_end(void) { sched.io_in_flight--; }

/* One turn of the idle loop, after schedule() found nothing to run. On
 * real hardware hlt is the right thing. In an emulator every wake-up from
 * hlt is a host thread wake-up, and on a loaded host that takes longer
 * than the emulated disk transfer itself; so while a disk request is in
 * flight the idle task polls (sti; pause: the interrupt is taken at once)
 * instead of halting. Linux's cpuidle "haltpoll" governor does the same
 * for guests. The swap benchmark (docs/swapping.md): 63 s halting,
 * 4.6-9.5 s polling, depending on the host's load. */
void sched_idle(void)
{
    if (sched.io_in_flight) {
        sti();
        cpu_relax();
    } else {
        sti_hlt();
    }
}

void wait_queue_init(struct wait_queue *wq) { list_init(&wq->waiters); }

void sleep_on(struct wait_queue *wq)
{
    bool irqs = irq_save();
    current->state = TASK_SLEEPING;
    list_add_tail(&current->run_node, &wq->waiters);
    schedule();
    irq_restore(irqs);
}

bool sleep_on_timeout(struct wait_queue *wq, uint64_t ticks)
{
    bool irqs = irq_save();
    current->wait_deadline = jiffies() + ticks;
    list_add_tail(&current->timeout_node, &sched.timed_waits);
    current->state = TASK_SLEEPING;
    list_add_tail(&current->run_node, &wq->waiters);
    schedule();
    list_del(&current->timeout_node);
    bool in_time = jiffies() < current->wait_deadline;
    irq_restore(irqs);
    return in_time;
}

void wake_up(struct wait_queue *wq)
{
    bool irqs = irq_save();
    while (!list_empty(&wq->waiters)) {
        struct task *t = list_first_entry(&wq->waiters, struct task, run_node);
        sched_wake_task(t);
    }
    irq_restore(irqs);
}

void sleep_until(uint64_t until)
{
    bool irqs = irq_save();
    current->sleep_until = until;
    current->state = TASK_SLEEPING;
    list_add_tail(&current->run_node, &sched.timed_sleepers);
    schedule();
    current->sleep_until = 0;
    irq_restore(irqs);
}

void sched_timer_wakeups(uint64_t now)
{
    struct list_head *pos = sched.timed_sleepers.next;
    while (pos != &sched.timed_sleepers) {
        struct task *t = list_entry(pos, struct task, run_node);
        pos = pos->next;
        if (t->sleep_until <= now)
            sched_wake_task(t);
    }
    list_for_each(pos, &sched.timed_waits) { /* their time is up: off the wait queue */
        struct task *t = list_entry(pos, struct task, timeout_node);
        if (t->wait_deadline <= now && t->state == TASK_SLEEPING)
            sched_wake_task(t);
    }
}

uint64_t sched_nr_switches(void) { return sched.nr_switches; }
