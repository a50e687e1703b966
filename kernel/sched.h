/*
 * kernel/sched.h - the scheduler: preemptive round robin on the timer
 * tick, sleeping on wait queues, and the context switch.
 */
#ifndef PAGEWISE_KERNEL_SCHED_H
#define PAGEWISE_KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/list.h"
#include "kernel/percpu.h"

struct task;

struct wait_queue {
    struct list_head waiters;
};

#define SCHED_SLICE_TICKS 2 /* 20 ms at HZ = 100 */

struct percpu;

/* The task this CPU runs (kernel/percpu.h: percpu.current_task). */
#define current get_current()

/* Make the boot code the boot CPU's idle task (pid 0) and take the big
 * kernel lock. Called once from kmain. */
void sched_init(struct task *idle);
/* Make idle the idle task of CPU cpu (swapper/N): it runs only there. */
void sched_init_idle(struct percpu *cpu, struct task *idle);
/* The idle loop of every CPU, entered with the BKL held: run what the
 * queue has, else give the lock back and halt until told to look again.
 * Never returns. */
__attribute__((noreturn)) void sched_idle_loop(void);
/* Put a task on the run queue, and wake an idle CPU it may run on. */
void sched_wake_task(struct task *t);
/* If t runs on another CPU, make it enter the kernel soon (a reschedule
 * IPI): a signal for it, or an affinity that excludes that CPU. */
void sched_kick_task(struct task *t);
/* RESCHEDULE_VECTOR arrived (no BKL: it only acknowledges). */
void sched_reschedule_interrupt(void);
/* Give the CPU to the next runnable task, if any (the current one stays
 * runnable unless it set itself to sleep or zombie). Interrupts may be on
 * or off; they are off during the switch. Call with the BKL held. */
void schedule(void);
/* The timer tick, this CPU's part: account the tick to its task, ask for
 * a switch when the slice is used up. Needs no BKL (only this CPU changes
 * its task's counters). Called from every CPU's timer interrupt. */
void sched_tick(bool from_user);
/* The timer tick, the machine's part: wake sleepers whose time came,
 * send alarms. CPU 0 only (it keeps jiffies), with the BKL. */
void sched_timer_work(void);
/* Should the task leaving the kernel switch first? (set by sched_tick) */
static inline bool sched_need_resched(void)
{
    bool set; /* one compare with the flag as the result (every syscall's exit asks) */
    __asm__ volatile("cmpb $0, %%gs:%c1" : "=@ccne"(set) : "i"(offsetof(struct percpu, need_resched)));
    return set;
}
/* Ask for a switch on the current task's next way back to user mode.
 * Called by an interrupt that woke a task waiting for I/O, so that it
 * runs at once instead of after a CPU-bound task's whole slice (Linux:
 * wakeup preemption). The woken task still queues behind the others. */
static inline void sched_preempt_soon(void) { this_cpu_write(need_resched, true); }

/* Bracket a wait for a disk request: while one is in flight, the boot
 * CPU's idle loop polls instead of halting. */
void sched_io_begin(void);
void sched_io_end(void);

void wait_queue_init(struct wait_queue *wq);
/* Sleep until someone calls wake_up(wq) (or a signal arrives). Call with
 * interrupts off, and re-check your condition afterwards. */
void sleep_on(struct wait_queue *wq);
/* sleep_on with a time limit: returns false if `ticks` timer ticks passed
 * without a wake_up (a lost interrupt must not hang a process forever). */
bool sleep_on_timeout(struct wait_queue *wq, uint64_t ticks);
/* Wake every task sleeping on wq. Safe from interrupt handlers. */
void wake_up(struct wait_queue *wq);
/* Sleep until jiffies >= until (or a signal). */
void sleep_until(uint64_t until);
/* From the timer: wake tasks whose sleep_until time has come. */
void sched_timer_wakeups(uint64_t now);
/* Free this exiting task (kernel stack included) once the CPU has left
 * it: the next context switch does it. */
void sched_free_after_switch(struct task *t);
/* Address-space switches, context switches since boot. */
uint64_t sched_nr_switches(void);

#endif
