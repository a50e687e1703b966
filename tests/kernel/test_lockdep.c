/*
 * tests/kernel/test_lockdep.c - the lock checker (kernel/lockdep.h) and
 * spinlocks (kernel/spinlock.h).
 *
 * The normal tests run the checker in test mode: a violation is written
 * into lockdep.last_report instead of panicking, so one boot can check
 * several. Violations are made with lockdep_acquire directly (taking a
 * real spinlock twice would spin forever). Each test uses classes of its
 * own, so the order one test teaches the graph cannot excuse or condemn
 * another's. The two KTEST_PANIC tests at the end run the real thing in
 * boots of their own (tests/boots.py: panic_lock_inversion,
 * panic_sleep_with_spinlock).
 */
#include "kernel/lockdep.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "tests/kernel/ktest.h"

#define REPORT_BUF 4096

/* Switch the checker on in test mode for one test, and back. */
struct lockdep_saved {
    bool enabled, test_mode;
    unsigned reports;
};

static struct lockdep_saved checker_on(void)
{
    struct lockdep_saved s = {lockdep.enabled, lockdep.test_mode, lockdep.nr_reports};
    lockdep.enabled = true;
    lockdep.test_mode = true;
    lockdep.last_report[0] = '\0';
    return s;
}

static unsigned checker_off(const struct lockdep_saved *s)
{
    unsigned reports = lockdep.nr_reports - s->reports;
    lockdep.enabled = s->enabled;
    lockdep.test_mode = s->test_mode;
    return reports;
}

static bool graph_says(const char *text)
{
    static char buf[REPORT_BUF];
    long n = lockdep_report(buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    return strstr(buf, text) != NULL;
}

static struct lock_class learn_a = LOCK_CLASS_INIT("ktest_learn_a");
static struct lock_class learn_b = LOCK_CLASS_INIT("ktest_learn_b");

/* A then B, with real spinlocks: the edge A -> B appears, with the call
 * site, and B then A afterwards is reported as an inversion naming both. */
KTEST(lockdep_inversion_reported)
{
    static struct spinlock a = SPINLOCK_INIT(&learn_a), b = SPINLOCK_INIT(&learn_b);
    struct lockdep_saved s = checker_on();
    bool ia = spin_lock_irqsave(&a);
    bool ib = spin_lock_irqsave(&b);
    spin_unlock_irqrestore(&b, ib);
    spin_unlock_irqrestore(&a, ia);
    bool learned = graph_says("  -> ktest_learn_b ") && graph_says("taken at ktest_lockdep_inversion_reported+");
    unsigned before = lockdep.nr_reports;
    ib = spin_lock_irqsave(&b);
    ia = spin_lock_irqsave(&a); /* the other order: reported, then taken (one CPU: no deadlock) */
    spin_unlock_irqrestore(&a, ia);
    spin_unlock_irqrestore(&b, ib);
    unsigned reports = lockdep.nr_reports - before;
    checker_off(&s);
    KT_ASSERT(t, learned, "the edge learn_a -> learn_b is not in /proc/lockdep");
    KT_ASSERT(t, reports == 1, "B then A after A then B: %u reports, expected 1", reports);
    KT_ASSERT(t,
              strstr(lockdep.last_report, "lock order inversion") &&
                  strstr(lockdep.last_report, "ktest_learn_a taken at") &&
                  strstr(lockdep.last_report, "while holding ktest_learn_b"),
              "report: %s", lockdep.last_report);
}

static struct lock_class cyc_c = LOCK_CLASS_INIT("ktest_cycle_c");
static struct lock_class cyc_d = LOCK_CLASS_INIT("ktest_cycle_d");
static struct lock_class cyc_e = LOCK_CLASS_INIT("ktest_cycle_e");

static void take_pair(struct lock_class *first, struct lock_class *second)
{
    lockdep_acquire(first, LOCK_SPIN, 1);
    lockdep_acquire(second, LOCK_SPIN, 2);
    lockdep_release(second);
    lockdep_release(first);
}

/* C -> D and D -> E are fine; E then C closes the cycle C -> D -> E -> C
 * through a class neither path names: three CPUs could deadlock. */
KTEST(lockdep_cycle_through_third_class)
{
    struct lockdep_saved s = checker_on();
    take_pair(&cyc_c, &cyc_d);
    take_pair(&cyc_d, &cyc_e);
    unsigned fine = lockdep.nr_reports - s.reports;
    take_pair(&cyc_e, &cyc_c);
    unsigned reports = checker_off(&s);
    KT_ASSERT(t, fine == 0, "C->D, D->E: %u reports (%s)", fine, lockdep.last_report);
    KT_ASSERT(t, reports == 1 && strstr(lockdep.last_report, "inversion"), "E then C: %u reports: %s", reports,
              lockdep.last_report);
}

static struct lock_class rec_a = LOCK_CLASS_INIT("ktest_recursive");

/* A lock taken again by its holder: a deadlock with itself. */
KTEST(lockdep_recursion_reported)
{
    struct lockdep_saved s = checker_on();
    lockdep_acquire(&rec_a, LOCK_SLEEP, 1);
    lockdep_acquire(&rec_a, LOCK_SLEEP, 2);
    lockdep_release(&rec_a);
    unsigned reports = checker_off(&s);
    KT_ASSERT(t, reports == 1 && strstr(lockdep.last_report, "taken again"), "%u reports: %s", reports,
              lockdep.last_report);
}

static struct lock_class sl_spin = LOCK_CLASS_INIT("ktest_sleep_spin");
static struct lock_class sl_mutex = LOCK_CLASS_INIT("ktest_sleep_mutex");

/* Sleeping with a sleeping lock held is what it is for; with a spinlock
 * held it is reported, naming the spinlock. */
KTEST(lockdep_sleep_with_spinlock_reported)
{
    struct lockdep_saved s = checker_on();
    lockdep_acquire(&sl_mutex, LOCK_SLEEP, 1);
    lockdep_might_sleep("schedule()");
    unsigned with_mutex = lockdep.nr_reports - s.reports;
    lockdep_acquire(&sl_spin, LOCK_SPIN, 2);
    lockdep_might_sleep("schedule()");
    lockdep_release(&sl_spin);
    lockdep_release(&sl_mutex);
    lockdep_might_sleep("schedule()");
    unsigned reports = checker_off(&s);
    KT_ASSERT(t, with_mutex == 0, "sleeping with a mutex held was reported: %s", lockdep.last_report);
    KT_ASSERT(t, reports == 1 && strstr(lockdep.last_report, "with spinlock ktest_sleep_spin held"), "%u reports: %s",
              reports, lockdep.last_report);
}

static struct lock_class irq_task = LOCK_CLASS_INIT("ktest_irq_task");
static struct lock_class irq_handler = LOCK_CLASS_INIT("ktest_irq_handler");

/* A lock an interrupt handler takes on top of a task's lock is no order
 * between the two: the handler would take it the same way on any task. */
KTEST(lockdep_irq_context_apart)
{
    struct lockdep_saved s = checker_on();
    lockdep_acquire(&irq_task, LOCK_SLEEP, 1);
    this_cpu()->irq_nesting++;
    lockdep_acquire(&irq_handler, LOCK_SPIN, 2);
    lockdep_release(&irq_handler);
    this_cpu()->irq_nesting--;
    lockdep_release(&irq_task);
    bool irqs = irq_save(); /* a handler's lock is held with interrupts off everywhere */
    take_pair(&irq_handler, &irq_task); /* in task context: the other order, and fine */
    irq_restore(irqs);
    unsigned reports = checker_off(&s);
    KT_ASSERT(t, reports == 0, "%u reports: %s", reports, lockdep.last_report);
}

static struct lock_class irqsafe_ok = LOCK_CLASS_INIT("ktest_irqsafe_ok");
static struct lock_class irqsafe_bad = LOCK_CLASS_INIT("ktest_irqsafe_bad");

/* A spinlock a handler takes must be held with interrupts off everywhere:
 * spin_lock_irqsave in task context is fine, spin_lock (interrupts on) is
 * reported, naming the handler's site and the task's. */
KTEST(lockdep_irq_unsafe_reported)
{
    static struct spinlock ok = SPINLOCK_INIT(&irqsafe_ok), bad = SPINLOCK_INIT(&irqsafe_bad);
    bool was_on = (read_rflags() & RFLAGS_IF) != 0;
    struct lockdep_saved s = checker_on();
    this_cpu()->irq_nesting++; /* as a handler: both taken in interrupt context */
    bool irqs = spin_lock_irqsave(&ok);
    spin_unlock_irqrestore(&ok, irqs);
    spin_lock(&bad);
    spin_unlock(&bad);
    this_cpu()->irq_nesting--;
    sti();
    irqs = spin_lock_irqsave(&ok); /* task context, interrupts off while held: safe */
    spin_unlock_irqrestore(&ok, irqs);
    unsigned fine = lockdep.nr_reports - s.reports;
    spin_lock(&bad); /* task context, interrupts on: the handler could interrupt us */
    spin_unlock(&bad);
    if (!was_on)
        cli();
    unsigned reports = checker_off(&s);
    KT_ASSERT(t, fine == 0, "irqsave in both contexts was reported: %s", lockdep.last_report);
    KT_ASSERT(t, reports == 1 && strstr(lockdep.last_report, "ktest_irqsafe_bad is taken in an interrupt handler"),
              "%u reports: %s", reports, lockdep.last_report);
}

/* Interrupts are off while a spinlock is held and come back as they were;
 * the word is taken and given back. */
KTEST(spinlock_irqsave_restores)
{
    static struct lock_class c = LOCK_CLASS_INIT("ktest_spin_irq");
    static struct spinlock l = SPINLOCK_INIT(&c);
    bool was_on = ((read_rflags() & RFLAGS_IF) != 0);
    sti();
    bool irqs = spin_lock_irqsave(&l);
    bool off_inside = !((read_rflags() & RFLAGS_IF) != 0), taken = l.locked;
    spin_unlock_irqrestore(&l, irqs);
    bool on_after = ((read_rflags() & RFLAGS_IF) != 0), free_after = !l.locked;
    if (!was_on)
        cli();
    KT_ASSERT(t, irqs && off_inside && taken, "inside: interrupts %s, word %u", off_inside ? "off" : "on", l.locked);
    KT_ASSERT(t, on_after && free_after, "after: interrupts %s, word %u", on_after ? "on" : "off", l.locked);
}

static struct lock_class panic_a = LOCK_CLASS_INIT("ktest_panic_a");
static struct lock_class panic_b = LOCK_CLASS_INIT("ktest_panic_b");

/* The checker for real: A then B, then B then A panics, naming both. */
KTEST_PANIC(panic_lock_inversion)
{
    static struct spinlock a = SPINLOCK_INIT(&panic_a), b = SPINLOCK_INIT(&panic_b);
    lockdep.enabled = true;
    bool ia = spin_lock_irqsave(&a);
    bool ib = spin_lock_irqsave(&b);
    spin_unlock_irqrestore(&b, ib);
    spin_unlock_irqrestore(&a, ia);
    ib = spin_lock_irqsave(&b);
    ia = spin_lock_irqsave(&a);
    KT_ASSERT(t, false, "B then A after A then B: no panic");
}

/* schedule() with a spinlock held panics, naming the lock. */
KTEST_PANIC(panic_sleep_with_spinlock)
{
    static struct spinlock a = SPINLOCK_INIT(&panic_a);
    lockdep.enabled = true;
    bool irqs = spin_lock_irqsave(&a);
    schedule();
    spin_unlock_irqrestore(&a, irqs);
    KT_ASSERT(t, false, "schedule() with a spinlock held: no panic");
}
