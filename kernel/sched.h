/*
 * kernel/sched.h - the scheduler: preemptive round robin on the timer
 * tick, sleeping on wait queues, and the context switch.
 */
#ifndef PAGEWISE_KERNEL_SCHED_H
#define PAGEWISE_KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/list.h"

struct task;

struct wait_queue {
    struct list_head waiters;
};

#define SCHED_SLICE_TICKS 2 /* 20 ms at HZ = 100 */

extern struct task *current;

/* Make the boot code the idle task (pid 0). Called once from kmain. */
void sched_init(struct task *idle);
/* Put a task on the run queue. */
void sched_wake_task(struct task *t);
/* Give the CPU to the next runnable task, if any (the current one stays
 * runnable unless it set itself to sleep or zombie). Interrupts may be on
 * or off; they are off during the switch. */
void schedule(void);
/* The timer tick: account the tick, ask for a switch when the slice is
 * used up. Called from the timer interrupt. */
void sched_tick(bool from_user);
/* Should the task leaving the kernel switch first? (set by sched_tick) */
extern bool sched_need_resched_flag;
static inline bool sched_need_resched(void) { return sched_need_resched_flag; }
/* Ask for a switch on the current task's next way back to user mode.
 * Called by an interrupt that woke a task waiting for I/O, so that it
 * runs at once instead of after a CPU-bound task's whole slice (Linux:
 * wakeup preemption). The woken task still queues behind the others. */
static inline void sched_preempt_soon(void) { sched_need_resched_flag = true; }

/* The idle task's wait for work: hlt, or a short poll while a disk
 * request is in flight (sched_io_begin/end bracket the wait for one). */
void sched_idle(void);
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
