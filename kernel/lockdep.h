/*
 * kernel/lockdep.h - the lock checker: Linux's lockdep in miniature.
 *
 * A deadlock between two CPUs (or two tasks holding sleeping locks) needs
 * two paths that take the same two locks in opposite orders, and a bad
 * moment. The bad moment is rare; the two orders are not. So the checker
 * does not wait for the deadlock: it remembers, for every pair of lock
 * *classes*, whether one was ever taken while the other was held, and
 * panics the first time a path takes them the other way round, naming
 * both paths. One test run that visits both paths finds the bug, on one
 * CPU, without the timing.
 *
 *   class      what the rule is about: all locks initialised at one place
 *              (every mm's mmap_lock is one class, "mmap_lock")
 *   held       per task (interrupt handlers push onto the task they
 *              interrupted): the locks taken and not yet released, with
 *              the address of the call that took each
 *   after[A]   the classes seen taken while A was held (an edge A -> B),
 *              each with the two call sites that first showed it
 *
 * Taking B while holding A adds A -> B; if B ->* A is already in the graph
 * (directly or through other classes) the new edge closes a cycle: panic.
 * Other rules it checks:
 *   - a lock taken again by its holder (a deadlock with itself);
 *   - schedule() with a spinlock held: the next task on this CPU may spin
 *     for it forever (interrupts are off, too);
 *   - a spinlock taken in an interrupt handler and also held somewhere
 *     with interrupts on (spin_lock instead of spin_lock_irqsave): the
 *     handler may interrupt its holder and spin forever;
 *   - a task that exits holding a lock.
 * Interrupt handlers run with interrupts off and take spinlocks only; a
 * lock taken in a handler is compared with locks the handler itself took,
 * not with those of the task it interrupted (Linux keeps such hardirq
 * chains apart in the same way).
 *
 * The big kernel lock (kernel/bkl.h) is not a class: it is always taken
 * first and given back by every sleep, so it can invert nothing.
 *
 * Off unless the command line says `lockdep`; every test boot does
 * (tests/harness.py). Off, a lock pays one predictable branch. /proc/lockdep
 * lists the classes and the order learned (docs/smp.md, "The lock checker").
 */
#ifndef PAGEWISE_KERNEL_LOCKDEP_H
#define PAGEWISE_KERNEL_LOCKDEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCKDEP_MAX_CLASSES 32 /* the edges are one 32-bit mask per class */
#define LOCKDEP_MAX_HELD 8     /* locks one task holds at once (Linux: MAX_LOCK_DEPTH 48) */

/* A class: define one per place that initialises locks, e.g.
 *   static struct lock_class zone_lock_class = LOCK_CLASS_INIT("zone->lock");
 * Its id is given at the first acquire (0: none yet). */
struct lock_class {
    const char *name;
    unsigned id; /* 1 to LOCKDEP_MAX_CLASSES; 0 until first taken */
};
#define LOCK_CLASS_INIT(n)                                                                                             \
    {                                                                                                                  \
        .name = (n), .id = 0                                                                                           \
    }

enum lock_kind { LOCK_SPIN, LOCK_SLEEP };

struct held_lock {
    struct lock_class *class;
    uintptr_t ip; /* the call that took it */
    uint8_t kind; /* enum lock_kind */
    uint8_t irq;  /* interrupt nesting when taken (percpu.irq_nesting) */
};

/* What one task (or a CPU before the scheduler runs) holds. */
struct lockdep_held {
    struct held_lock locks[LOCKDEP_MAX_HELD];
    unsigned depth;
    unsigned spins; /* how many of them are spinlocks */
};

struct lockdep_state {
    bool enabled;   /* cmdline `lockdep` */
    bool test_mode; /* the ktests: report into last_report instead of panicking */
    char last_report[512];
    unsigned nr_reports;
};
extern struct lockdep_state lockdep;

/* Read the command line (kmain, before the first lock is taken). */
void lockdep_init(void);

/* Record that the caller took (about to take) lock class c at ip.
 * Checks the order against everything held in the same context. */
void lockdep_acquire(struct lock_class *c, enum lock_kind kind, uintptr_t ip);
/* The caller gives c back (the most recent one of that class). */
void lockdep_release(struct lock_class *c);
/* The caller is about to sleep (schedule): no spinlock may be held. */
void lockdep_might_sleep(const char *why);
/* The task is leaving for good: it may hold nothing. */
void lockdep_task_exit(void);

/* /proc/lockdep: the classes and the order learned. */
long lockdep_report(char *buf, size_t size);

/* The address of this instruction: inside an inlined lock call it names
 * the function that took the lock (Linux's _THIS_IP_). */
static inline __attribute__((always_inline)) uintptr_t lockdep_this_ip(void)
{
    uintptr_t ip;
    __asm__ volatile("lea 0(%%rip), %0" : "=r"(ip));
    return ip;
}

/* The hooks the lock types call: one branch when the checker is off. */
static inline __attribute__((always_inline)) void lockdep_acquire_if(struct lock_class *c, enum lock_kind kind)
{
    if (__builtin_expect(lockdep.enabled, 0))
        lockdep_acquire(c, kind, lockdep_this_ip());
}
static inline void lockdep_release_if(struct lock_class *c)
{
    if (__builtin_expect(lockdep.enabled, 0))
        lockdep_release(c);
}

#endif
