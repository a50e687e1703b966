/*
 * kernel/sched.c - round-robin scheduling on every CPU.
 *
 * One run queue for the machine holds the runnable tasks that no CPU is
 * running; the big kernel lock (kernel/bkl.h) protects it, like every
 * other kernel structure, so a CPU takes the first task that may run on
 * it (task.cpus_allowed, sched_setaffinity) and a task woken on one CPU
 * may run on any. Each CPU has its own `current` and idle task
 * (percpu.current, percpu.idle). Each CPU's timer tick counts its own
 * task's slice; when it is used up, the task is switched out on its next
 * way back to user mode. An idle CPU halts until someone puts work on the
 * queue for it: the waker sets its need_resched and sends it a reschedule
 * IPI (Linux: smp_send_reschedule).
 *
 * The context switch, in order (with the BKL held, which stays with the
 * CPU: the task that resumes runs under it; schedule()'s caller holds it):
 *   1. save the outgoing task's x87/SSE/AVX registers (xsave, or fxsave
 *      without XSAVE: kernel/fpu.c), load the incoming task's and its FS
 *      base (musl's thread pointer);
 *   2. switch the address space: a CR3 write, but only if the incoming
 *      task has an mm and it is not the one loaded (kernel threads keep
 *      whatever is loaded, as Linux's lazy TLB mode does);
 *   3. point TSS.RSP0 and the syscall entry (percpu.kernel_rsp) at the
 *      incoming kernel stack;
 *   4. switch_to (kernel/entry.asm): swap kernel stacks.
 */
#include "kernel/sched.h"

#include "drivers/lapic.h"
#include "kernel/bkl.h"
#include "kernel/fpu.h"
#include "kernel/gdt.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/mm.h"
#include "mm/page.h"
#include "mm/tlb.h"
#include "mm/page.h"
#include "mm/tlb.h"

static struct {
    struct list_head runqueue;
    struct list_head timed_sleepers; /* tasks in sleep_until */
    struct list_head timed_waits;    /* tasks in sleep_on_timeout (timeout_node) */
    uint64_t nr_switches;
    unsigned io_in_flight; /* disk requests someone is waiting for */
} sched;

void switch_to(uint64_t *save_rsp, uint64_t new_rsp);

void sched_init(struct task *idle)
{
    list_init(&sched.runqueue);
    list_init(&sched.timed_sleepers);
    list_init(&sched.timed_waits);
    sched_init_idle(&percpu_area[0], idle);
    /* From here on kernel code runs under the big kernel lock: the boot
     * CPU takes it and its idle loop gives it back when it first halts. */
    bool irqs = irq_save();
    bkl_lock_fresh();
    irq_restore(irqs);
}

void sched_init_idle(struct percpu *cpu, struct task *idle)
{
    idle->is_idle = true;
    idle->state = TASK_RUNNABLE;
    idle->cpus_allowed = 1ull << cpu->cpu;
    cpu->idle = idle;
    cpu->current_task = idle;
}

/* Is CPU p running its idle task (halted, or about to halt)? */
static bool cpu_is_idle(const struct percpu *p) { return p->current_task == p->idle; }

/* t is on the run queue: if a CPU it may use is idle, make that CPU look
 * (this one first: no IPI needed). Otherwise t waits for a slice to end. */
static void kick_idle_cpu(const struct task *t)
{
    struct percpu *self = this_cpu();
    if ((t->cpus_allowed >> self->cpu & 1) && cpu_is_idle(self)) {
        self->need_resched = true;
        return;
    }
    for (unsigned i = 0; i < nr_cpus_online; i++) {
        struct percpu *p = &percpu_area[i];
        if (p == self || !(t->cpus_allowed >> i & 1) || !cpu_is_idle(p) || p->need_resched)
            continue;
        __atomic_store_n(&p->need_resched, true, __ATOMIC_RELEASE);
        lapic_send_ipi(p->apic_id, RESCHEDULE_VECTOR);
        return;
    }
}

void sched_wake_task(struct task *t)
{
    bool irqs = irq_save();
    if (t->state == TASK_SLEEPING || t->run_node.next == NULL) {
        if (t->run_node.next)
            list_del(&t->run_node); /* off its wait queue */
        t->state = TASK_RUNNABLE;
        if (!t->is_idle) {
            list_add_tail(&t->run_node, &sched.runqueue);
            if (nr_cpus_online > 1)
                kick_idle_cpu(t);
            else if (cpu_is_idle(this_cpu())) /* one CPU: t may run here */
                this_cpu_write(need_resched, true);
        }
    }
    irq_restore(irqs);
}

void sched_kick_task(struct task *t)
{
    if (nr_cpus_online == 1)
        return;
    for (unsigned i = 0; i < nr_cpus_online; i++) {
        struct percpu *p = &percpu_area[i];
        if (p->current_task == t && p != this_cpu()) {
            __atomic_store_n(&p->need_resched, true, __ATOMIC_RELEASE);
            lapic_send_ipi(p->apic_id, RESCHEDULE_VECTOR);
        }
    }
}

void sched_reschedule_interrupt(void)
{
    this_cpu()->nr_resched_ipis++;
    lapic_eoi(); /* need_resched is already set: the way out looks at it */
}

void sched_free_after_switch(struct task *t) { this_cpu()->dead = t; }

static void reap_dead(void)
{
    struct percpu *cpu = this_cpu();
    struct task *d = cpu->dead;
    if (d && d != cpu->current_task) {
        cpu->dead = NULL;
        proc_free(d);
    }
}

/* A new task's first instructions (kernel/entry.asm: task_start) come
 * here before going to user mode, to finish the switch like the others;
 * then it leaves the kernel, so it gives the BKL back. */
void sched_task_started(void);
void sched_task_started(void)
{
    reap_dead();
    bkl_unlock_all();
}

static void context_switch(struct task *prev, struct task *next)
{
    fpu_save(prev->fpu);
    /* The user-mode state the kernel itself never uses can be loaded
     * before the stack switch; that way a new task, whose first switch_to
     * "returns" into task_start, gets it too. */
    fpu_restore(next->fpu);
    wrmsr(MSR_FS_BASE, next->fs_base);
    if (nr_cpus_online > 1) /* lazy TLB mode in or out (mm/tlb.c) */
        tlb_lazy_switch(next->mm != NULL, next->mm ? virt_to_phys(next->mm->pml4) : 0);
    if (next->mm)
        mm_switch(next->mm);
    tss_set_kernel_stack(next->kstack_top);
    struct percpu *cpu = this_cpu();
    cpu->kernel_rsp = next->kstack_top;
    cpu->current_task = next;
    sched.nr_switches++;
    switch_to(&prev->ctx_rsp, next->ctx_rsp);
    /* Back in prev, some time later and perhaps on another CPU: the task
     * that ran before us there may have been a dead one nobody waits for. */
    reap_dead();
}

/* The first task on the queue that may run on CPU cpu, taken off. */
static struct task *pick_next(unsigned cpu)
{
    struct list_head *pos;
    list_for_each(pos, &sched.runqueue) {
        struct task *t = list_entry(pos, struct task, run_node);
        if (t->cpus_allowed >> cpu & 1) {
            list_del(&t->run_node);
            return t;
        }
    }
    return NULL;
}

void schedule(void)
{
    lockdep_might_sleep("schedule()");
    bool irqs = irq_save();
    struct percpu *cpu = this_cpu();
    struct task *prev = cpu->current_task, *next;
    cpu->need_resched = false;
    if (prev->state == TASK_RUNNABLE && !prev->is_idle && prev->run_node.next == NULL)
        list_add_tail(&prev->run_node, &sched.runqueue);
    next = pick_next(cpu->cpu);
    if (!next)
        next = cpu->idle;
    if (nr_cpus_online > 1 && next != prev && prev->run_node.next && prev->state == TASK_RUNNABLE)
        kick_idle_cpu(prev); /* it waits: an idle CPU may take it */
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
    if (t->is_idle) {
        if (!list_empty(&sched.runqueue)) /* a hint, read without the lock */
            this_cpu_write(need_resched, true);
    } else if (++t->slice >= SCHED_SLICE_TICKS) {
        this_cpu_write(need_resched, true);
    }
}

void sched_timer_work(void)
{
    if (!current)
        return;
    sched_timer_wakeups(jiffies());
    proc_check_alarms(jiffies());
}

void sched_io_begin(void) { sched.io_in_flight++; }
void sched_io_end(void) { sched.io_in_flight--; }

/* Wait, without the BKL, until this CPU has a reason to look at the run
 * queue. On real hardware hlt is the right thing. In an emulator every
 * wake-up from hlt is a host thread wake-up, and on a loaded host that
 * takes longer than the emulated disk transfer itself; so while a disk
 * request is in flight the boot CPU (the disk interrupts it) polls
 * (sti; pause: the interrupt is taken at once) instead of halting.
 * Linux's cpuidle "haltpoll" governor does the same for guests. The swap
 * benchmark (docs/swapping.md): 63 s halting, 4.6-9.5 s polling,
 * depending on the host's load. The check and the halt are one step
 * (sti; hlt): a reschedule IPI that comes after the check wakes the hlt.
 * The poll keeps interrupts on across its loop: QEMU's TCG looks for
 * interrupts only between translated blocks, so a `sti; pause; cli` would
 * never take one. Called and returns with interrupts off. */
static void idle_wait(void)
{
    while (!this_cpu_read(need_resched)) {
        if (sched.io_in_flight && smp_processor_id() == 0) {
            sti();
            while (!this_cpu_read(need_resched) && sched.io_in_flight)
                cpu_relax();
        } else {
            sti_hlt();
        }
        cli();
    }
}

void sched_idle_loop(void)
{
    for (;;) {
        schedule();
        cli(); /* idle_wait checks need_resched with interrupts off */
        bkl_unlock_all();
        idle_wait();
        bkl_lock_fresh();
        sti();
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
