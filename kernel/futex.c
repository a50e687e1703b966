/*
 * kernel/futex.c - futex(2): WAIT, WAKE, REQUEUE and their bitset and
 * private forms, timeouts, and the robust list.
 *
 * A waiter is a struct on the sleeping thread's own kernel stack, queued
 * in one of FUTEX_HASH_SIZE buckets by its key (futex_key_of). The check
 * of the futex word and the queueing happen with interrupts off and
 * without sleeping in between, under the big kernel lock (kernel/bkl.h),
 * so a waker that changes the word and then calls FUTEX_WAKE, on this CPU
 * or another, cannot slip between them: the sleeper either sees the new
 * value (EAGAIN) or is on the queue. (A thread on another CPU may change
 * the word in user mode at any moment; that is the race futexes are built
 * for: it must call FUTEX_WAKE after, and that call waits for the lock.)
 *
 *   FUTEX_WAIT(uaddr, val, timeout)   sleep if *uaddr == val
 *   FUTEX_WAKE(uaddr, n)              wake up to n sleepers on uaddr
 *
 * The key says which futex a word is, as Linux's get_futex_key does:
 *   FUTEX_PRIVATE_FLAG                        (mm, address, private)
 *   a shared op on private memory             (mm, address, shared)
 *   a shared op on shared memory (MAP_SHARED, (shm object, offset in it)
 *     SysV shm)
 * so that two processes, or two addresses of one process, that map the
 * same shared page wait on the same futex; and a private waiter is never
 * woken by a shared wake, nor the other way round (Linux's
 * FUT_OFF_MMSHARED bit keeps them apart).
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
#include "mm/page.h"

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

enum futex_key_kind { FUTEX_KEY_PRIVATE, FUTEX_KEY_MM_SHARED, FUTEX_KEY_OBJECT };

struct futex_key {
    const void *object; /* the mm, or the shm object */
    uint64_t offset;    /* the address, or the byte offset in the object */
    enum futex_key_kind kind;
};

struct futex_waiter {
    struct list_head node; /* in a bucket */
    struct futex_key key;
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

/* The key of the futex word at uaddr in the current mm, into *k: 0, or
 * -EFAULT for a shared op on an address no VMA maps (Linux looks the page
 * up; a private op never looks). Call without sleeping between it and the
 * queue operation it is for. */
static int futex_key_of(uintptr_t uaddr, bool private, struct futex_key *k)
{
    struct mm *mm = current->mm;
    *k = (struct futex_key){mm, uaddr, FUTEX_KEY_PRIVATE};
    if (private)
        return 0;
    struct vma *v = vma_find(mm, uaddr);
    if (!v || v->start > uaddr || !(v->prot & VM_READ))
        return -EFAULT;
    if (v->backing == VMA_SHARED)
        *k = (struct futex_key){v->shm, (v->shm_pgoff << PAGE_SHIFT) + (uaddr - v->start), FUTEX_KEY_OBJECT};
    else
        k->kind = FUTEX_KEY_MM_SHARED;
    return 0;
}

static bool key_eq(struct futex_key a, struct futex_key b)
{
    return a.object == b.object && a.offset == b.offset && a.kind == b.kind;
}

static struct list_head *bucket_of(struct futex_key k)
{
    struct list_head *b = &buckets[((k.offset >> 2) ^ ((uintptr_t)k.object >> 6)) % FUTEX_HASH_SIZE];
    if (!b->next)
        list_init(b); /* zeroed at boot: made on first use */
    return b;
}

/* Wake up to n waiters on key whose bitset meets `bitset`. */
static int wake_key(struct futex_key key, int n, uint32_t bitset)
{
    bool irqs = irq_save();
    struct list_head *b = bucket_of(key), *pos = b->next;
    int woken = 0;
    while (pos != b && woken < n) {
        struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
        pos = pos->next;
        if (!key_eq(w->key, key) || !(w->bitset & bitset))
            continue;
        list_del(&w->node);
        w->woken = true;
        wake_up(&w->wq);
        woken++;
    }
    irq_restore(irqs);
    return woken;
}

int futex_wake(uintptr_t uaddr, bool private, int n, uint32_t bitset)
{
    struct futex_key key;
    int r = futex_key_of(uaddr, private, &key);
    return r ? r : wake_key(key, n, bitset);
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
        *deadline = ns > time_realtime_at(now) ? ns - (time_realtime_at(now) - now) : now;
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
static long futex_wait(uintptr_t uaddr, bool private, uint32_t val, uint64_t deadline, uint32_t bitset)
{
    struct task *t = current;
    struct futex_waiter w = {.bitset = bitset};
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
    if (futex_key_of(uaddr, private, &w.key)) { /* after the read: it may have faulted the page in */
        irq_restore(irqs);
        return -EFAULT;
    }
    list_add_tail(&w.node, bucket_of(w.key));
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
static long futex_requeue(uintptr_t uaddr, bool private, int n, int n_requeue, uintptr_t uaddr2, bool cmp,
                          uint32_t val)
{
    if (cmp) {
        uint32_t cur;
        if (copy_from_user(&cur, (void *)uaddr, sizeof(cur)))
            return -EFAULT;
        if (cur != val)
            return -EAGAIN;
    }
    struct futex_key key, key2;
    if (futex_key_of(uaddr, private, &key) || futex_key_of(uaddr2, private, &key2))
        return -EFAULT;
    bool irqs = irq_save();
    long done = wake_key(key, n, FUTEX_BITSET_MATCH_ANY);
    struct list_head *b = bucket_of(key), *pos = b->next;
    while (pos != b && n_requeue > 0) {
        struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
        pos = pos->next;
        if (!key_eq(w->key, key))
            continue;
        list_del(&w->node);
        w->key = key2;
        list_add_tail(&w->node, bucket_of(key2));
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
    bool realtime = op & FUTEX_CLOCK_REALTIME, private = op & FUTEX_PRIVATE_FLAG;
    if (realtime && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS; /* Linux 6.1's answer, for FUTEX_WAIT too */
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
        return futex_wait(uaddr, private, val, deadline, val3);
    case FUTEX_WAKE: val3 = FUTEX_BITSET_MATCH_ANY; /* fall through */
    case FUTEX_WAKE_BITSET:
        if (!val3)
            return -EINVAL;
        return futex_wake(uaddr, private, (int)val, val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        if ((int)val < 0 || (int)a3 < 0)
            return -EINVAL;
        if (a4 % sizeof(uint32_t))
            return -EINVAL;
        return futex_requeue(uaddr, private, (int)val, (int)a3, a4, cmd == FUTEX_CMP_REQUEUE, val3);
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
        futex_wake(uaddr, false, 1, FUTEX_BITSET_MATCH_ANY); /* Linux: a shared wake */
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
            futex_wake(t->clear_child_tid, false, 1, FUTEX_BITSET_MATCH_ANY); /* Linux: a shared wake */
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
