/*
 * kernel/futex.c - futex(2): WAIT, WAKE, REQUEUE and their bitset and
 * private forms, timeouts, and the robust list.
 *
 * A waiter is a struct on the sleeping thread's own kernel stack, queued
 * in one of FUTEX_HASH_SIZE buckets by its key, the pair (mm, user
 * address). The check of the futex word and the queueing happen with
 * interrupts off and without sleeping in between, so a waker that changes
 * the word and then calls FUTEX_WAKE cannot slip between them: the
 * sleeper either sees the new value (EAGAIN) or is on the queue.
 *
 *   FUTEX_WAIT(uaddr, val, timeout)   sleep if *uaddr == val
 *   FUTEX_WAKE(uaddr, n)              wake up to n sleepers on uaddr
 *
 * Keys are (mm, address) for shared futexes too: a futex in memory that
 * two processes map (a process-shared mutex in MAP_SHARED) is not shared
 * here; Linux keys those by the page's object and offset.
 */
#include "kernel/futex.h"

#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/mm.h"

/* include/uapi/linux/futex.h */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048 /* Linux's: a looping list must not hang exit */
#define FUTEX_HASH_SIZE 64
#define NSEC_PER_SEC 1000000000ull

struct futex_waiter {
    struct list_head node; /* in a bucket */
    struct mm *mm;
    uintptr_t uaddr;
    uint32_t bitset;
    bool woken;
    struct wait_queue wq; /* only this thread sleeps on it */
};

/* struct robust_list_head (include/uapi/linux/futex.h): 24 bytes. */
struct robust_list_head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t list_op_pending;
};

static struct list_head buckets[FUTEX_HASH_SIZE];

static struct list_head *bucket_of(struct mm *mm, uintptr_t uaddr)
{
    struct list_head *b = &buckets[((uaddr >> 2) ^ ((uintptr_t)mm >> 6)) % FUTEX_HASH_SIZE];
    if (!b->next)
        list_init(b); /* zeroed at boot: made on first use */
    return b;
}

int futex_wake(struct mm *mm, uintptr_t uaddr, int n, uint32_t bitset)
{
    bool irqs = irq_save();
    struct list_head *b = bucket_of(mm, uaddr), *pos = b->next;
    int woken = 0;
    while (pos != b && woken < n) {
        struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
        pos = pos->next;
        if (w->mm != mm || w->uaddr != uaddr || !(w->bitset & bitset))
            continue;
        list_del(&w->node);
        w->woken = true;
        wake_up(&w->wq);
        woken++;
    }
    irq_restore(irqs);
    return woken;
}

/* The deadline (time_since_boot_ns) of a futex timeout, or 0: none.
 * FUTEX_WAIT's is relative; WAIT_BITSET's absolute on CLOCK_MONOTONIC,
 * or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME. Returns 0 or -errno. */
static long futex_deadline(uint64_t utime, bool absolute, bool realtime, uint64_t *deadline)
{
    int64_t ts[2];
    *deadline = 0;
    if (!utime)
        return 0;
    if (copy_from_user(ts, (void *)utime, sizeof(ts)))
        return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    uint64_t ns = (uint64_t)ts[0] * NSEC_PER_SEC + (uint64_t)ts[1], now = time_since_boot_ns();
    if (!absolute)
        *deadline = now + ns;
    else if (realtime)
        *deadline = ns > time_realtime_ns() ? now + (ns - time_realtime_ns()) : now;
    else
        *deadline = ns > now ? ns : now;
    if (!*deadline)
        *deadline = 1; /* "already expired", not "none" */
    return 0;
}

/* Sleep on uaddr while *uaddr == val: 0 when woken, -EAGAIN (the value
 * changed), -ETIMEDOUT, -EINTR (a signal, with a timeout) or
 * -ERESTARTSYS (a signal, no timeout: restarted unless the handler says
 * otherwise, as Linux). */
static long futex_wait(uintptr_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
    struct task *t = current;
    struct futex_waiter w = {.mm = t->mm, .uaddr = uaddr, .bitset = bitset};
    wait_queue_init(&w.wq);
    uint32_t cur;
    bool irqs = irq_save();
    if (copy_from_user(&cur, (void *)uaddr, sizeof(cur))) { /* may sleep in swap-in: read, then queue at once */
        irq_restore(irqs);
        return -EFAULT;
    }
    if (cur != val) {
        irq_restore(irqs);
        return -EAGAIN;
    }
    list_add_tail(&w.node, bucket_of(w.mm, uaddr));
    long r = 0;
    for (;;) {
        if (w.woken)
            break;
        if (signal_pending(t)) {
            r = deadline ? -EINTR : -ERESTARTSYS;
            break;
        }
        uint64_t now = time_since_boot_ns();
        if (deadline && now >= deadline) {
            r = -ETIMEDOUT;
            break;
        }
        if (deadline)
            sleep_on_timeout(&w.wq, (deadline - now) / (NSEC_PER_SEC / HZ) + 1);
        else
            sleep_on(&w.wq);
    }
    if (!w.woken)
        list_del(&w.node);
    irq_restore(irqs);
    return w.woken ? 0 : r;
}

/* FUTEX_REQUEUE / CMP_REQUEUE: wake up to n on uaddr, move up to
 * n_requeue of the rest to uaddr2 (musl's condition variables).
 * CMP_REQUEUE first checks *uaddr == val (else EAGAIN). */
static long futex_requeue(uintptr_t uaddr, int n, int n_requeue, uintptr_t uaddr2, bool cmp, uint32_t val)
{
    struct mm *mm = current->mm;
    if (cmp) {
        uint32_t cur;
        if (copy_from_user(&cur, (void *)uaddr, sizeof(cur)))
            return -EFAULT;
        if (cur != val)
            return -EAGAIN;
    }
    bool irqs = irq_save();
    long done = futex_wake(mm, uaddr, n, FUTEX_BITSET_MATCH_ANY);
    struct list_head *b = bucket_of(mm, uaddr), *pos = b->next;
    while (pos != b && n_requeue > 0) {
        struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
        pos = pos->next;
        if (w->mm != mm || w->uaddr != uaddr)
            continue;
        list_del(&w->node);
        w->uaddr = uaddr2;
        list_add_tail(&w->node, bucket_of(mm, uaddr2));
        n_requeue--;
        done++;
    }
    irq_restore(irqs);
    return done;
}

/* futex(uaddr, op, val, timeout_or_val2, uaddr2, val3) */
SYSCALL_DEFINE(futex)
{
    SYSCALL_UNUSED_ARGS();
    uintptr_t uaddr = a0;
    int op = (int)a1, cmd = op & FUTEX_CMD_MASK;
    uint32_t val = (uint32_t)a2, val3 = (uint32_t)a5;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS; /* Linux's answer */
    if (uaddr % sizeof(uint32_t))
        return -EINVAL;
    if (uaddr >= USER_SPACE_END)
        return -EFAULT;
    uint64_t deadline;
    long r;
    switch (cmd) {
    case FUTEX_WAIT:
        val3 = FUTEX_BITSET_MATCH_ANY;
        /* fall through */
    case FUTEX_WAIT_BITSET:
        if (!val3)
            return -EINVAL;
        if ((r = futex_deadline(a3, cmd == FUTEX_WAIT_BITSET, realtime, &deadline)))
            return r;
        return futex_wait(uaddr, val, deadline, val3);
    case FUTEX_WAKE: val3 = FUTEX_BITSET_MATCH_ANY; /* fall through */
    case FUTEX_WAKE_BITSET:
        if (!val3)
            return -EINVAL;
        return futex_wake(current->mm, uaddr, (int)val, val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        if ((int)val < 0 || (int)a3 < 0)
            return -EINVAL;
        if (a4 % sizeof(uint32_t))
            return -EINVAL;
        return futex_requeue(uaddr, (int)val, (int)a3, a4, cmd == FUTEX_CMP_REQUEUE, val3);
    default: return -ENOSYS; /* WAKE_OP and the priority-inheritance ops */
    }
}

/* A robust futex the dead thread tid still holds: mark it OWNER_DIED so
 * the next locker learns (EOWNERDEAD), and wake one waiter. */
static void robust_futex_release(struct task *t, uintptr_t uaddr)
{
    uint32_t v;
    if (uaddr % sizeof(uint32_t) || copy_from_user(&v, (void *)uaddr, sizeof(v)))
        return;
    if ((v & FUTEX_TID_MASK) != (uint32_t)t->pid)
        return;
    uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (copy_to_user((void *)uaddr, &nv, sizeof(nv)))
        return;
    if (v & FUTEX_WAITERS)
        futex_wake(t->mm, uaddr, 1, FUTEX_BITSET_MATCH_ANY);
}

/* Walk the user's robust list (at most ROBUST_LIST_LIMIT entries; an
 * unreadable one ends the walk). */
static void robust_list_release(struct task *t)
{
    struct robust_list_head head;
    if (copy_from_user(&head, (void *)t->robust_list, sizeof(head)))
        return;
    uint64_t entry = head.next & ~1ull, pending = head.list_op_pending & ~1ull;
    for (int n = 0; entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next;
        if (copy_from_user(&next, (void *)entry, sizeof(next)))
            return;
        if (entry != pending)
            robust_futex_release(t, entry + (uint64_t)head.futex_offset);
        entry = next & ~1ull;
    }
    if (pending)
        robust_futex_release(t, pending + (uint64_t)head.futex_offset);
}

void futex_exit_release(struct task *t)
{
    if (!t->mm)
        return;
    if (t->robust_list)
        robust_list_release(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (!copy_to_user((void *)t->clear_child_tid, &zero, sizeof(zero)))
            futex_wake(t->mm, t->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
    }
}

SYSCALL_DEFINE(set_robust_list)
{
    SYSCALL_UNUSED_ARGS();
    if (a1 != sizeof(struct robust_list_head))
        return -EINVAL;
    current->robust_list = a0;
    return 0;
}

/* get_robust_list(pid, head_ptr, len_ptr): our own, or another thread's
 * if we may read it (ptrace read access). */
SYSCALL_DEFINE(get_robust_list)
{
    SYSCALL_UNUSED_ARGS();
    struct task *t = a0 ? proc_find((int)a0) : current;
    if (!t)
        return -ESRCH;
    if (t != current && !cred_may_access(t))
        return -EPERM;
    uint64_t len = sizeof(struct robust_list_head);
    if (copy_to_user((void *)a1, &t->robust_list, sizeof(uint64_t)) || copy_to_user((void *)a2, &len, sizeof(len)))
        return -EFAULT;
    return 0;
}
