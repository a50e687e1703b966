/*
 * kernel/mutex.c - sleeping locks (kernel/mutex.h).
 */
#include "kernel/mutex.h"

#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/x86.h"

void mutex_init(struct mutex *m, struct lock_class *c)
{
    m->owner = NULL;
    wait_queue_init(&m->waiters);
    m->class = c;
}

void mutex_lock_slow(struct mutex *m)
{
    bool irqs = irq_save();
    if (m->owner == current)
        panic("mutex %s: taken again by its holder, pid %d (%s): a deadlock", m->class->name, current->pid, current->comm);
    while (m->owner)
        sleep_on(&m->waiters); /* woken by mutex_unlock (or a signal: then wait again) */
    m->owner = current;
    irq_restore(irqs);
}

void mutex_unlock_slow(struct mutex *m)
{
    bool irqs = irq_save();
    if (m->owner != current)
        panic("mutex %s: released by pid %d (%s), which does not hold it", m->class->name, current->pid, current->comm);
    m->owner = NULL;
    wake_up(&m->waiters);
    irq_restore(irqs);
}

bool mutex_is_mine(const struct mutex *m) { return m->owner == current; }
