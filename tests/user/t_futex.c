/*
 * tests/user/t_futex.c - futex(2), the one sleep-and-wake call under every
 * musl lock, condition variable and pthread_join (issue 18).
 *
 * FUTEX_WAIT(uaddr, val) sleeps only if *uaddr still holds val (else
 * EAGAIN): the check and the sleep are one step for the kernel, so a wake
 * between a thread's "it is locked" and its sleep is never lost.
 * FUTEX_WAKE(uaddr, n) wakes at most n sleepers and says how many. The key
 * of a futex: with FUTEX_PRIVATE_FLAG, (mm, address); without it, the page
 * (a shared page: the same futex at any address, in any process; a private
 * anonymous page: (mm, address) again, but a queue apart from the private
 * one). The cases, all checked against Linux:
 *
 *   EAGAIN for a changed value; ETIMEDOUT after at least the relative time,
 *   or once CLOCK_MONOTONIC / CLOCK_REALTIME passed an absolute deadline
 *   (WAIT_BITSET); EINVAL for bitset 0, an unaligned address, a bad
 *   timespec; EFAULT for bad addresses; ENOSYS for unknown ops.
 *   WAKE counts (0, 1 of 3, the other 2), between threads (private) and
 *   between processes (shared); bitsets; private and shared queues are
 *   apart; a SysV page attached at two addresses is one futex.
 *   EINTR: a handler always interrupts a wait with a timeout (even with
 *   SA_RESTART); a wait without one is restarted with SA_RESTART, EINTR
 *   without; an ignored signal interrupts nothing.
 *   REQUEUE / CMP_REQUEUE (musl's condition variables need it).
 *   A ping-pong between two threads (10,000 rounds) and two processes.
 *   CLONE_CHILD_CLEARTID (a raw clone): the tid word is zeroed and woken
 *   at the thread's exit; set_robust_list/get_robust_list; robust futexes
 *   of a dying thread or process get FUTEX_OWNER_DIED and a waiter is
 *   woken; robust pthread mutexes give EOWNERDEAD.
 *
 * No case bounds a time from above. Each case runs in a forked child.
 *
 * Run: t_futex [test_name...]
 */
#include "testlib.h"
#include "threadlib.h"

#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/shm.h>

/* <linux/futex.h> is not in musl's include path: Linux's values. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY (-1)
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_UNKNOWN_OP 15 /* no such futex operation */

#define TIMEOUT_MS 100    /* the timeouts we wait out */
#define LONG_TIMEOUT_S 10 /* timeouts a signal must cut short */
#define NWAITERS 3        /* sleepers in the wake-count cases */
#define SETTLE_MS 50      /* time for a wrong extra wake to show */
#define PINGPONG_ROUNDS 10000
#define PINGPONG_PROC_ROUNDS 2000
#define SIGNAL_EVERY_MS 20 /* the signaller's pace */
#define RESTARTS 3         /* handler runs before the restarted wait sees a change */
#define CLONE_STACK (64 * KiB)
#define ROBUST_HEAD_LEN 24 /* sizeof(struct robust_list_head) on x86-64 */
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

static long futex(volatile int *uaddr, int op, int val, const struct timespec *timeout, volatile int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

/* REQUEUE and CMP_REQUEUE take a count where the others take a timeout. */
static long futex_requeue(volatile int *uaddr, int op, int nr_wake, long nr_requeue, volatile int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, nr_wake, nr_requeue, uaddr2, val3);
}

static struct timespec ms_ts(long ms) { return (struct timespec){ms / 1000, (ms % 1000) * NS_PER_MS}; }

static long long clock_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (long long)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static struct timespec ns_ts(long long ns) { return (struct timespec){ns / NS_PER_S, ns % NS_PER_S}; }

/* The call must return exactly want (>= 0). */
#define CHECK_RET(expr, want)                                                                                          \
    do {                                                                                                               \
        errno = 0;                                                                                                     \
        long r_ = (long)(expr);                                                                                        \
        CHECK(r_ == (want), "%s returned %ld (%s), expected %ld", #expr, r_, r_ < 0 ? errname(errno) : "-",            \
              (long)(want));                                                                                           \
    } while (0)

/* The timeout of a wait that must be woken: POLL_LIMIT_NS, so that a
 * wake that never comes fails the case with ETIMEDOUT instead of hanging
 * it. Relative for FUTEX_WAIT, an absolute CLOCK_MONOTONIC deadline for
 * FUTEX_WAIT_BITSET. */
static struct timespec must_wake(int op)
{
    if ((op & ~FUTEX_PRIVATE_FLAG) == FUTEX_WAIT_BITSET)
        return ns_ts(clock_ns(CLOCK_MONOTONIC) + POLL_LIMIT_NS);
    return ns_ts(POLL_LIMIT_NS);
}

static void *map_shared_page(void)
{
    return mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

/* ---------------------------------------------------------------------------
 * One task alone: values, timeouts, bad arguments.
 * ------------------------------------------------------------------------- */

/* A wait whose value no longer matches returns EAGAIN at once, in every
 * form, before any timeout is looked at; a read-only page will do. */
static const char *futex_wait_wrong_value(void)
{
    static int word = 5;
    struct timespec ts = ms_ts(LONG_TIMEOUT_S * 1000L), past = {1, 0};
    CHECK_ERRNO(futex(&word, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 4, NULL, NULL, 0), EAGAIN);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT, 4, &ts, NULL, 0), EAGAIN);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 4, NULL, NULL, FUTEX_BITSET_MATCH_ANY), EAGAIN);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 4, &past, NULL, FUTEX_BITSET_MATCH_ANY), EAGAIN);
    int *ro = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED, "mmap: %s", errname(errno));
    CHECK_ERRNO(futex(ro, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EAGAIN);
    munmap(ro, PAGE_SIZE);
    return PASS;
}

/* Wait on a matching value with a relative timeout: ETIMEDOUT, and no
 * earlier than the timeout (CLOCK_MONOTONIC). */
static const char *timed_wait(int op)
{
    static int word;
    struct timespec ts = ms_ts(TIMEOUT_MS);
    long long t0 = now_ns();
    CHECK_ERRNO(futex(&word, op, 0, &ts, NULL, 0), ETIMEDOUT);
    long long waited = now_ns() - t0;
    CHECK(waited >= TIMEOUT_MS * NS_PER_MS, "a %d ms timeout returned after %lld us", TIMEOUT_MS, waited / 1000);
    return PASS;
}

/* Relative timeouts, shared and private: ETIMEDOUT after at least
 * 100 ms; a zero timeout is ETIMEDOUT at once. */
static const char *futex_wait_relative_timeout(void)
{
    const char *why = timed_wait(FUTEX_WAIT);
    if (why == PASS)
        why = timed_wait(FUTEX_WAIT | FUTEX_PRIVATE_FLAG);
    if (why != PASS)
        return why;
    static int word;
    struct timespec zero = {0, 0};
    CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, &zero, NULL, 0), ETIMEDOUT);
    return PASS;
}

/* WAIT_BITSET with an absolute deadline on clk (FUTEX_CLOCK_REALTIME
 * picks CLOCK_REALTIME): ETIMEDOUT once clk has passed it. */
static const char *deadline_wait(clockid_t clk, int op)
{
    static int word;
    long long deadline = clock_ns(clk) + TIMEOUT_MS * NS_PER_MS;
    struct timespec ts = ns_ts(deadline);
    CHECK_ERRNO(futex(&word, op, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    long long now = clock_ns(clk);
    CHECK(now >= deadline, "the wait ended %lld us before its deadline", (deadline - now) / 1000);
    return PASS;
}

/* Absolute deadlines: CLOCK_MONOTONIC (shared and private) and
 * CLOCK_REALTIME; a deadline in the past is ETIMEDOUT at once. Linux
 * refuses FUTEX_CLOCK_REALTIME with plain FUTEX_WAIT (ENOSYS). */
static const char *futex_wait_bitset_deadlines(void)
{
    const char *why = deadline_wait(CLOCK_MONOTONIC, FUTEX_WAIT_BITSET);
    if (why == PASS)
        why = deadline_wait(CLOCK_MONOTONIC, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG);
    if (why == PASS)
        why = deadline_wait(CLOCK_REALTIME, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME);
    if (why != PASS)
        return why;
    static int word;
    struct timespec past = {1, 0}, rel = ms_ts(TIMEOUT_MS);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 0, &past, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK_ERRNO(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &rel, NULL, 0), ENOSYS);
    return PASS;
}

/* Linux's errno for each malformed call. */
static const char *futex_bad_arguments(void)
{
    static int words[2];
    volatile int *unaligned = (volatile int *)((char *)words + 1);
    struct timespec big_nsec = {0, NS_PER_S}, negative = {-1, 0};
    CHECK_ERRNO(futex(words, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(words, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(words, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(unaligned, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(unaligned, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(unaligned, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(words, FUTEX_WAIT, 0, &big_nsec, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(words, FUTEX_WAIT, 0, &negative, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(words, FUTEX_WAIT, 0, (struct timespec *)16, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(words, FUTEX_UNKNOWN_OP, 0, NULL, NULL, 0), ENOSYS);
    CHECK_ERRNO(futex(words, FUTEX_UNKNOWN_OP | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), ENOSYS);
    CHECK_ERRNO(futex(words, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
    CHECK_ERRNO(futex_requeue(words, FUTEX_CMP_REQUEUE, -1, 1, words + 1, 0), EINVAL);
    CHECK_ERRNO(futex_requeue(words, FUTEX_CMP_REQUEUE, 1, -1, words + 1, 0), EINVAL);
    CHECK_ERRNO(futex_requeue(words, FUTEX_REQUEUE, 1, 1, unaligned, 0), EINVAL);
    return PASS;
}

#define KERNEL_ADDR ((volatile int *)0xffffffff80000000UL)

/* EFAULT where the kernel must read the word (WAIT: unmapped, PROT_NONE,
 * a kernel address) or find its page (a shared WAKE); a private WAKE only
 * hashes the address, so Linux says 0 for an unmapped user address (and
 * EFAULT for a kernel one). */
static const char *futex_bad_address(void)
{
    volatile int *unmapped = (volatile int *)16;
    int *none = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(none != MAP_FAILED, "mmap: %s", errname(errno));
    CHECK_ERRNO(futex(unmapped, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(unmapped, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(none, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(KERNEL_ADDR, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(unmapped, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(futex(KERNEL_ADDR, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EFAULT);
    CHECK_RET(futex(unmapped, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
    munmap(none, PAGE_SIZE);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Waking: counts, bitsets, keys.
 * ------------------------------------------------------------------------- */

/* Nobody waits: WAKE says 0, in both forms, for any count. */
static const char *futex_wake_no_waiters(void)
{
    static int word;
    CHECK_RET(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE, 0, NULL, NULL, 0), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY), 0);
    return PASS;
}

/* A sleeper thread: waits once on its word with its op and bitset,
 * records the result and that it woke. */
struct sleeper {
    volatile int *word;
    int op, bitset;
    pid_t tid;
    long ret;
    int err;
    int *woken; /* shared counter */
};

static void *sleeper_fn(void *arg)
{
    struct sleeper *s = arg;
    STORE(s->tid, gettid_());
    struct timespec limit = must_wake(s->op);
    s->ret = futex(s->word, s->op, 0, &limit, NULL, s->bitset);
    s->err = errno;
    ADD(*s->woken, 1);
    return NULL;
}

/* Start n sleepers on word and wait until each is asleep (state S). */
static const char *start_sleepers(pthread_t *t, struct sleeper *s, int n, volatile int *word, int op, int bitset,
                                  int *woken)
{
    for (int i = 0; i < n; i++) {
        s[i] = (struct sleeper){.word = word, .op = op, .bitset = bitset, .woken = woken};
        START(&t[i], sleeper_fn, &s[i]);
    }
    for (int i = 0; i < n; i++) {
        POLL_UNTIL(LOAD(s[i].tid) != 0);
        CHECK(wait_asleep(getpid(), LOAD(s[i].tid)), "sleeper %d (tid %d) never went to sleep (state %c)", i,
              (int)s[i].tid, task_state(getpid(), s[i].tid));
    }
    return PASS;
}

static const char *join_sleepers(pthread_t *t, struct sleeper *s, int n)
{
    for (int i = 0; i < n; i++) {
        JOIN(t[i], NULL);
        CHECK(s[i].ret == 0, "sleeper %d's wait returned %ld (%s), expected 0 (woken)", i, s[i].ret, errname(s[i].err));
    }
    return PASS;
}

static const char *wake_counts_body(void)
{
    static int word, woken;
    pthread_t t[NWAITERS];
    struct sleeper s[NWAITERS];
    const char *why = start_sleepers(t, s, NWAITERS, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 1);
    CHECK(wait_flag(&woken, 1), "WAKE said 1, but no sleeper woke");
    sleep_ms(SETTLE_MS);
    CHECK(LOAD(woken) == 1, "WAKE of 1 woke %d sleepers", LOAD(woken));
    CHECK_RET(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0), NWAITERS - 1);
    CHECK(wait_flag(&woken, NWAITERS), "only %d sleepers woke", LOAD(woken));
    return join_sleepers(t, s, NWAITERS);
}

/* Three threads sleep on one word (FUTEX_WAIT_PRIVATE): WAKE 1 says 1
 * and wakes exactly one, WAKE INT_MAX says 2 and wakes the others. */
static const char *futex_wake_counts_threads(void) { return in_child(wake_counts_body); }

/* Three processes sleep on a MAP_SHARED word (shared FUTEX_WAIT): WAKE 1
 * says 1 and one process leaves; WAKE INT_MAX says 2. */
static const char *futex_wake_counts_processes(void)
{
    volatile int *word = map_shared_page();
    CHECK(word != MAP_FAILED, "mmap: %s", errname(errno));
    pid_t pid[NWAITERS];
    for (int i = 0; i < NWAITERS; i++) {
        pid[i] = fork_child();
        CHECK(pid[i] != -1, "fork: %s", errname(errno));
        if (pid[i] == 0) {
            struct timespec limit = must_wake(FUTEX_WAIT);
            _exit(futex(word, FUTEX_WAIT, 0, &limit, NULL, 0) == 0 ? 0 : 1);
        }
    }
    const char *why = PASS;
    for (int i = 0; i < NWAITERS && why == PASS; i++)
        if (!wait_asleep(pid[i], 0))
            why = FAIL("waiter process %d never went to sleep", i);
    long one = why == PASS ? futex(word, FUTEX_WAKE, 1, NULL, NULL, 0) : -1;
    int gone = 0, st;
    for (long long end = now_ns() + POLL_LIMIT_NS; why == PASS && gone == 0 && now_ns() < end;) {
        for (int i = 0; i < NWAITERS; i++)
            if (pid[i] > 0 && waitpid(pid[i], &st, WNOHANG) == pid[i]) {
                gone++;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                    why = FAIL("the woken process %s (its wait did not return 0)", status_str(st));
                pid[i] = 0;
            }
        if (!gone)
            sleep_ms(1);
    }
    sleep_ms(SETTLE_MS);
    for (int i = 0; i < NWAITERS; i++)
        if (pid[i] > 0 && waitpid(pid[i], &st, WNOHANG) == pid[i]) {
            gone++;
            pid[i] = 0;
        }
    long rest = futex(word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    for (int i = 0; i < NWAITERS; i++)
        if (pid[i] > 0) {
            st = wait_for(pid[i]);
            if (why == PASS && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
                why = FAIL("a waiter %s", status_str(st));
        }
    munmap((void *)word, PAGE_SIZE);
    if (why != PASS)
        return why;
    CHECK(one == 1, "the first WAKE of 1 returned %ld", one);
    CHECK(gone == 1, "WAKE of 1 ended %d waiting processes", gone);
    CHECK(rest == NWAITERS - 1, "WAKE INT_MAX returned %ld, expected %d", rest, NWAITERS - 1);
    return PASS;
}

static const char *bitset_body(void)
{
    static int word, woken;
    pthread_t t[2];
    struct sleeper s[2];
    const char *why = start_sleepers(t, s, 1, &word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0x1, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0x2), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0x3), 1);
    why = join_sleepers(t, s, 1);
    if (why != PASS)
        return why;
    /* Plain FUTEX_WAIT is a wait with every bit set. */
    why = start_sleepers(t + 1, s + 1, 1, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0x8), 1);
    return join_sleepers(t + 1, s + 1, 1);
}

/* A waiter with bitset 0x1: WAKE_BITSET 0x2 wakes nobody (0), 0x3 wakes
 * it (1); a plain WAIT is woken by any bitset. */
static const char *futex_wake_bitset(void) { return in_child(bitset_body); }

static const char *keys_body(void)
{
    static int word, woken;
    pthread_t t[2];
    struct sleeper s[2];
    const char *why = start_sleepers(t, s, 1, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 1);
    why = join_sleepers(t, s, 1);
    if (why == PASS)
        why = start_sleepers(t + 1, s + 1, 1, &word, FUTEX_WAIT, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
    CHECK_RET(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 1);
    return join_sleepers(t + 1, s + 1, 1);
}

/* Private and shared waiters on one word of private memory are two
 * queues (Linux's keys differ): a shared WAKE does not wake a private
 * waiter and the other way round; each form wakes its own. */
static const char *futex_private_and_shared_apart(void) { return in_child(keys_body); }

/* A SysV segment attached at two addresses (one per process) is one
 * futex: the child sleeps on its address, the parent wakes it through
 * its own (shared futexes are keyed by the page, not the address). */
static const char *futex_shared_key_is_the_page(void)
{
    int id = shmget(IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    volatile int *mine = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL); /* gone with the last detach */
    CHECK(mine != (void *)-1, "shmat: %s", errname(errno));
    *mine = 0;
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        volatile int *other = shmat(id, NULL, 0);
        if (other == (void *)-1 || other == mine)
            _exit(2);
        struct timespec limit = must_wake(FUTEX_WAIT);
        _exit(futex(other, FUTEX_WAIT, 0, &limit, NULL, 0) == 0 ? 0 : 1);
    }
    int asleep = wait_asleep(pid, 0);
    long r = futex(mine, FUTEX_WAKE, 1, NULL, NULL, 0);
    if (r != 1)
        kill(pid, SIGKILL);
    int st = wait_for(pid);
    shmdt((void *)mine);
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child could not attach the segment elsewhere");
    CHECK(asleep, "the child never went to sleep");
    CHECK(r == 1,
          "WAKE through the parent's address returned %ld: the child's wait at another address of the same "
          "page is not the same futex",
          r);
    CHECK_EXITED(st, 0);
    return PASS;
}

static const char *requeue_body(void)
{
    static int a, b, woken;
    pthread_t t[NWAITERS];
    struct sleeper s[NWAITERS];
    const int op = FUTEX_PRIVATE_FLAG;
    const char *why = start_sleepers(t, s, NWAITERS, &a, FUTEX_WAIT | op, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_ERRNO(futex_requeue(&a, FUTEX_CMP_REQUEUE | op, 1, 1, &b, 5), EAGAIN); /* a is 0, not 5 */
    CHECK_RET(futex_requeue(&a, FUTEX_REQUEUE | op, 1, 1, &b, 0), 2);            /* one woken, one moved */
    CHECK(wait_flag(&woken, 1), "REQUEUE woke nobody");
    CHECK_RET(futex(&a, FUTEX_WAKE | op, INT_MAX, NULL, NULL, 0), 1); /* the one left on a */
    CHECK_RET(futex(&b, FUTEX_WAKE | op, INT_MAX, NULL, NULL, 0), 1); /* the one moved to b */
    why = join_sleepers(t, s, NWAITERS);
    if (why != PASS)
        return why;
    woken = 0;
    why = start_sleepers(t, s, NWAITERS, &a, FUTEX_WAIT | op, 0, &woken);
    if (why != PASS)
        return why;
    CHECK_RET(futex_requeue(&a, FUTEX_CMP_REQUEUE | op, 1, INT_MAX, &b, 0), NWAITERS);
    CHECK_RET(futex(&a, FUTEX_WAKE | op, INT_MAX, NULL, NULL, 0), 0);
    CHECK_RET(futex(&b, FUTEX_WAKE | op, INT_MAX, NULL, NULL, 0), NWAITERS - 1);
    return join_sleepers(t, s, NWAITERS);
}

/* REQUEUE and CMP_REQUEUE (musl's condition variables use REQUEUE): wake
 * n, move the rest to another word; the return value counts both;
 * CMP_REQUEUE checks the value first (EAGAIN). */
static const char *futex_requeue_moves_waiters(void) { return in_child(requeue_body); }

/* ---------------------------------------------------------------------------
 * Signals during a wait.
 * ------------------------------------------------------------------------- */

static volatile int eintr_word;
static volatile int handler_runs;
static volatile int change_after; /* the handler's run that changes the word (0: never) */

static void count_and_maybe_change(int sig)
{
    (void)sig;
    if (++handler_runs == change_after)
        eintr_word = 1;
}

/* A process that sends sig to pid every SIGNAL_EVERY_MS until killed. */
static pid_t start_signaller(pid_t target, int sig)
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_TIMEOUT);
        for (;;) {
            sleep_ms(SIGNAL_EVERY_MS);
            if (kill(target, sig) != 0)
                _exit(0);
        }
    }
    return pid;
}

/* One wait while a signaller runs: the result and errno. */
static long wait_signalled(int sig, int op, const struct timespec *ts, int bitset, int *err)
{
    eintr_word = 0;
    handler_runs = 0;
    pid_t sender = start_signaller(getpid(), sig);
    errno = 0;
    long r = futex(&eintr_word, op, 0, ts, NULL, bitset);
    *err = errno;
    kill_and_reap(sender);
    return r;
}

static void set_usr1(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_and_maybe_change;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

static const char *eintr_body(void)
{
    int err;
    struct timespec rel = ms_ts(LONG_TIMEOUT_S * 1000L), quick = ms_ts(3 * TIMEOUT_MS);
    change_after = 0;
    set_usr1(0);
    long r = wait_signalled(SIGUSR1, FUTEX_WAIT, NULL, 0, &err);
    CHECK(r == -1 && err == EINTR, "no timeout, no SA_RESTART: %ld (%s), expected EINTR", r, errname(err));
    r = wait_signalled(SIGUSR1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, &rel, 0, &err);
    CHECK(r == -1 && err == EINTR, "a relative timeout, no SA_RESTART: %ld (%s), expected EINTR", r, errname(err));

    set_usr1(SA_RESTART);
    r = wait_signalled(SIGUSR1, FUTEX_WAIT, &rel, 0, &err);
    CHECK(r == -1 && err == EINTR,
          "a relative timeout, SA_RESTART: %ld (%s), expected EINTR (Linux never restarts "
          "a timed futex wait after a handler)",
          r, errname(err));
    struct timespec deadline = ns_ts(clock_ns(CLOCK_MONOTONIC) + LONG_TIMEOUT_S * NS_PER_S);
    r = wait_signalled(SIGUSR1, FUTEX_WAIT_BITSET, &deadline, FUTEX_BITSET_MATCH_ANY, &err);
    CHECK(r == -1 && err == EINTR, "an absolute deadline, SA_RESTART: %ld (%s), expected EINTR", r, errname(err));

    change_after = RESTARTS; /* the restarted wait finds the word changed: EAGAIN */
    r = wait_signalled(SIGUSR1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, NULL, 0, &err);
    CHECK(r == -1 && err == EAGAIN && handler_runs >= RESTARTS,
          "no timeout, SA_RESTART: %ld (%s) after %d handler runs, expected the wait restarted until the %dth "
          "handler changed the word (EAGAIN)",
          r, errname(err), handler_runs, RESTARTS);

    signal(SIGWINCH, SIG_DFL); /* ignored by default: no handler runs */
    long long t0 = now_ns();
    r = wait_signalled(SIGWINCH, FUTEX_WAIT, &quick, 0, &err);
    CHECK(r == -1 && err == ETIMEDOUT, "SIGWINCH (ignored) during a timed wait: %ld (%s), expected ETIMEDOUT", r,
          errname(err));
    CHECK(now_ns() - t0 >= 3 * TIMEOUT_MS * NS_PER_MS, "the timed wait ended early");
    return PASS;
}

/* A signal handler ends a wait with EINTR, without SA_RESTART and (for
 * a timed wait, relative or absolute) even with it; an untimed wait is
 * restarted under SA_RESTART; an ignored signal wakes nothing. */
static const char *futex_eintr_and_restart(void) { return in_child(eintr_body); }

/* ---------------------------------------------------------------------------
 * Ping-pong.
 * ------------------------------------------------------------------------- */

/* Take turns on *turn: wait until it is me, count, hand it to the other.
 * Returns the turns taken; stops early (and hands the turn over for good)
 * if futex fails other than EAGAIN/EINTR, so a kernel without it does not
 * spin here until the alarm. */
static long pingpong_side(volatile int *turn, int me, int rounds, int op)
{
    long count = 0;
    for (int i = 0; i < rounds; i++) {
        int v;
        while ((v = __atomic_load_n(turn, __ATOMIC_SEQ_CST)) != me) {
            struct timespec limit = must_wake(FUTEX_WAIT);
            if (v == -1 || (futex(turn, FUTEX_WAIT | op, v, &limit, NULL, 0) != 0 && errno != EAGAIN && errno != EINTR))
                goto broken;
        }
        count++;
        __atomic_store_n(turn, 1 - me, __ATOMIC_SEQ_CST);
        if (futex(turn, FUTEX_WAKE | op, 1, NULL, NULL, 0) < 0)
            goto broken;
    }
    return count;
broken:
    __atomic_store_n(turn, -1, __ATOMIC_SEQ_CST); /* nobody's turn: the other side breaks too */
    futex(turn, FUTEX_WAKE | op, 1, NULL, NULL, 0);
    return -count - 1;
}

static int pp_turn;

static void *pp_fn(void *arg)
{
    (void)arg;
    return (void *)pingpong_side(&pp_turn, 1, PINGPONG_ROUNDS, FUTEX_PRIVATE_FLAG);
}

static const char *pingpong_body(void)
{
    pthread_t t;
    START(&t, pp_fn, NULL);
    long mine = pingpong_side(&pp_turn, 0, PINGPONG_ROUNDS, FUTEX_PRIVATE_FLAG);
    void *theirs;
    JOIN(t, &theirs);
    CHECK(mine >= 0 && (long)theirs >= 0, "futex failed during the ping-pong: %s", errname(errno));
    CHECK(mine == PINGPONG_ROUNDS && (long)theirs == PINGPONG_ROUNDS, "%ld and %ld turns of %d", mine, (long)theirs,
          PINGPONG_ROUNDS);
    CHECK(pp_turn == 0, "the turn ended with %d", pp_turn);
    return PASS;
}

/* Two threads hand a turn back and forth 10,000 times each through one
 * private futex: every turn taken, none twice, nobody left asleep. */
static const char *futex_pingpong_threads(void) { return in_child(pingpong_body); }

/* The same between two processes, through a MAP_SHARED word and shared
 * futexes, 2,000 turns each. */
static const char *futex_pingpong_processes(void)
{
    volatile int *turn = map_shared_page();
    CHECK(turn != MAP_FAILED, "mmap: %s", errname(errno));
    *turn = 0;
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(pingpong_side(turn, 1, PINGPONG_PROC_ROUNDS, 0) == PINGPONG_PROC_ROUNDS ? 0 : 1);
    long mine = pingpong_side(turn, 0, PINGPONG_PROC_ROUNDS, 0);
    int err = errno;
    int st = wait_for(pid);
    int last = *turn;
    munmap((void *)turn, PAGE_SIZE);
    CHECK(mine >= 0, "futex failed during the ping-pong: %s", errname(err));
    CHECK(mine == PINGPONG_PROC_ROUNDS, "%ld turns of %d", mine, PINGPONG_PROC_ROUNDS);
    CHECK_EXITED(st, 0);
    CHECK(last == 0, "the turn ended with %d", last);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * A raw clone: CLONE_CHILD_CLEARTID and robust lists at a thread's exit.
 * ------------------------------------------------------------------------- */

#define THREAD_FLAGS                                                                                                   \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |          \
     CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)

/* clone(flags, stack_top, ptid, ctid, 0): the new task runs fn(arg) on
 * stack_top (16-byte aligned) and then ends with SYS_exit (only itself).
 * Returns clone's result for the caller: the new tid, or -errno. fn
 * shares our FS base (no CLONE_SETTLS), so it must not touch TLS (errno):
 * it makes raw system calls only. */
static long raw_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid, void (*fn)(void *), void *arg)
{
    void **sp = stack_top;
    *--sp = arg;
    *--sp = (void *)fn;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = 0;
    long ret;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "pop %%rax\n\t" /* the new task: fn ... */
                     "pop %%rdi\n\t" /* ... and arg, from its own stack */
                     "xor %%ebp, %%ebp\n\t"
                     "call *%%rax\n\t"
                     "mov %[nr_exit], %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "syscall\n\t"
                     "ud2\n\t"
                     "1:"
                     : "=a"(ret)
                     : "a"((long)SYS_clone), "D"(flags), "S"(sp), "d"(ptid), "r"(r10), "r"(r8), [nr_exit] "i"(SYS_exit)
                     : "rcx", "r11", "memory");
    return ret;
}

static long raw_syscall2(long nr, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

/* Linux's robust list ABI (include/uapi/linux/futex.h). */
struct robust_list {
    struct robust_list *next;
};
struct robust_list_head {
    struct robust_list list;
    long futex_offset; /* from a list entry to its lock word */
    struct robust_list *list_op_pending;
};
struct robust_lock {
    struct robust_list link;
    volatile int word;
};

/* Shared by the test and its raw thread. */
static struct {
    volatile int ran, go;
    int ptid, ctid;
    struct robust_list_head head;
    struct robust_lock lock;
    long robust_ret;
} raw;

/* The raw thread: say it runs, wait for go (sleeping a little, so the
 * caller is asleep on the tid word by then), end. */
static void cleartid_fn(void *arg)
{
    (void)arg;
    raw.ran = 1;
    while (!raw.go)
        ;
    struct timespec ts = {0, SETTLE_MS * NS_PER_MS};
    raw_syscall2(SYS_nanosleep, (long)&ts, 0);
}

/* The raw thread: hold raw.lock as a robust futex (its word = our tid),
 * then end without releasing it. */
static void robust_fn(void *arg)
{
    (void)arg;
    long tid = raw_syscall2(SYS_gettid, 0, 0);
    raw.head.list.next = &raw.lock.link;
    raw.lock.link.next = &raw.head.list;
    raw.head.futex_offset = (long)offsetof(struct robust_lock, word) - (long)offsetof(struct robust_lock, link);
    raw.head.list_op_pending = NULL;
    raw.lock.word = (int)tid;
    raw.robust_ret = raw_syscall2(SYS_set_robust_list, (long)&raw.head, ROBUST_HEAD_LEN);
    raw.ran = 1;
    while (!raw.go)
        ;
}

/* Start fn as a raw thread and check the tid words; *tid gets its tid. */
static const char *raw_start(void (*fn)(void *), void *stack, long *tid)
{
    memset((void *)&raw, 0, sizeof(raw));
    raw.ctid = -1; /* CLONE_CHILD_SETTID replaces it in the new thread */
    *tid = raw_clone(THREAD_FLAGS, (char *)stack + CLONE_STACK, &raw.ptid, &raw.ctid, fn, NULL);
    CHECK(*tid > 0, "clone(thread flags) returned %ld (%s)", *tid, *tid < 0 ? errname((int)-*tid) : "");
    CHECK(raw.ptid == *tid, "CLONE_PARENT_SETTID: the parent's tid word is %d, clone returned %ld", raw.ptid, *tid);
    CHECK(wait_flag(&raw.ran, 1), "the raw thread never ran");
    CHECK(raw.ctid == *tid, "CLONE_CHILD_SETTID: the tid word is %d in the new thread, its tid %ld", raw.ctid, *tid);
    return PASS;
}

/* Sleep on the tid word until the kernel clears it (CLONE_CHILD_CLEARTID
 * wakes it with a shared FUTEX_WAKE, so the wait is shared). */
static const char *await_cleartid(long tid)
{
    int v, last_ret = 0, last_err = 0;
    while ((v = LOAD(raw.ctid)) != 0) {
        CHECK(v == tid, "the tid word holds %d, neither the tid %ld nor 0", v, tid);
        errno = 0;
        last_ret = (int)futex(&raw.ctid, FUTEX_WAIT, v, NULL, NULL, 0);
        last_err = errno;
        CHECK(last_ret == 0 || last_err == EAGAIN || last_err == EINTR, "waiting on the tid word: %s",
              errname(last_err));
    }
    return PASS;
}

static const char *cleartid_body(void)
{
    void *stack = mmap(NULL, CLONE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED, "mmap: %s", errname(errno));
    long tid;
    const char *why = raw_start(cleartid_fn, stack, &tid);
    if (why != PASS)
        return why;
    raw.go = 1;
    why = await_cleartid(tid);
    if (why != PASS)
        return why;
    POLL_UNTIL(task_state(getpid(), (pid_t)tid) == '?');
    CHECK(task_state(getpid(), (pid_t)tid) == '?', "the exited thread %ld is still in /proc/self/task", tid);
    munmap(stack, CLONE_STACK);
    return PASS;
}

/* A thread made by a raw clone with musl's flags: PARENT_SETTID and
 * CHILD_SETTID write its tid, and at its exit (SYS_exit) the kernel
 * zeroes the CHILD_CLEARTID word and wakes us sleeping on it (pthread
 * libraries free a thread's stack on that signal). */
static const char *futex_child_cleartid(void) { return in_child(cleartid_body); }

static const char *robust_thread_body(void)
{
    void *stack = mmap(NULL, CLONE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED, "mmap: %s", errname(errno));
    long tid;
    const char *why = raw_start(robust_fn, stack, &tid);
    if (why != PASS)
        return why;
    CHECK(raw.robust_ret == 0, "set_robust_list in the thread returned %ld", raw.robust_ret);
    /* We wait for the lock, as a locker would: mark it contended first. */
    int owned = (int)tid;
    CHECK(__atomic_compare_exchange_n(&raw.lock.word, &owned, (int)(tid | FUTEX_WAITERS), 0, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST),
          "the lock word is %#x, not the owner's tid", owned);
    raw.go = 1;
    errno = 0;
    struct timespec limit = must_wake(FUTEX_WAIT);
    long r = futex(&raw.lock.word, FUTEX_WAIT, (int)(tid | FUTEX_WAITERS), &limit, NULL, 0);
    int err = errno;
    why = await_cleartid(tid);
    if (why != PASS)
        return why;
    CHECK(r == 0 || err == EAGAIN, "waiting on the robust lock: %s%s", errname(err),
          err == ETIMEDOUT ? " (not woken when its owner exited)" : "");
    unsigned w = (unsigned)raw.lock.word;
    CHECK(w == (FUTEX_OWNER_DIED | FUTEX_WAITERS),
          "after its owner exited the lock word is %#x, expected %#x "
          "(FUTEX_OWNER_DIED | FUTEX_WAITERS, the tid cleared)",
          w, FUTEX_OWNER_DIED | FUTEX_WAITERS);
    munmap(stack, CLONE_STACK);
    return PASS;
}

/* A raw thread registers a robust list (set_robust_list) holding one
 * lock and exits with it held; we sleep on the lock (FUTEX_WAITERS set):
 * the kernel marks it FUTEX_OWNER_DIED and wakes us, before it clears
 * the thread's tid word. */
static const char *futex_robust_list_thread_exit(void) { return in_child(robust_thread_body); }

/* ---------------------------------------------------------------------------
 * set_robust_list and robust lists at a process's death.
 * ------------------------------------------------------------------------- */

static const char *robust_syscalls_body(void)
{
    static struct robust_list_head head = {.list = {&head.list}};
    CHECK_ERRNO(syscall(SYS_set_robust_list, &head, ROBUST_HEAD_LEN - 1), EINVAL);
    CHECK_ERRNO(syscall(SYS_set_robust_list, &head, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_set_robust_list, &head, 2 * ROBUST_HEAD_LEN), EINVAL);
    CHECK_OK(syscall(SYS_set_robust_list, &head, ROBUST_HEAD_LEN));
    void *got = NULL;
    size_t len = 0;
    CHECK_OK(syscall(SYS_get_robust_list, 0, &got, &len));
    CHECK(got == &head && len == ROBUST_HEAD_LEN, "get_robust_list says %p, %zu; we set %p, %d", got, len,
          (void *)&head, ROBUST_HEAD_LEN);
    CHECK_OK(syscall(SYS_get_robust_list, getpid(), &got, &len));
    CHECK(got == &head, "get_robust_list(our pid) says %p", got);
    CHECK_ERRNO(syscall(SYS_get_robust_list, 0, (void *)8, &len), EFAULT);
    CHECK_ERRNO(syscall(SYS_get_robust_list, 999999, &got, &len), ESRCH);
    return PASS;
}

/* set_robust_list takes only the ABI's length (24: EINVAL otherwise);
 * get_robust_list gives back what was set, EFAULT, ESRCH. */
static const char *futex_set_robust_list(void) { return in_child(robust_syscalls_body); }

struct robust_page {
    struct robust_list_head head;
    struct robust_lock lock[4];
    volatile int ready;
};

/* A child process: a robust list of lock 0 (held: our tid) and lock 1
 * (someone else's tid), lock 2 in list_op_pending (held, contended), lock
 * 3 held but not listed; then exit_group with all of them held. */
static void robust_child(struct robust_page *rp)
{
    int me = getpid();
    rp->head.list.next = &rp->lock[0].link;
    rp->lock[0].link.next = &rp->lock[1].link;
    rp->lock[1].link.next = &rp->head.list;
    rp->head.futex_offset = (long)offsetof(struct robust_lock, word) - (long)offsetof(struct robust_lock, link);
    rp->head.list_op_pending = &rp->lock[2].link;
    rp->lock[0].word = me;
    rp->lock[1].word = 12345;
    rp->lock[2].word = (int)((unsigned)me | FUTEX_WAITERS);
    rp->lock[3].word = me;
    if (syscall(SYS_set_robust_list, &rp->head, ROBUST_HEAD_LEN) != 0)
        _exit(3);
    rp->ready = 1;
    sleep_ms(SETTLE_MS); /* the parent goes to sleep on lock 2 */
    _exit(0);
}

/* A process dies holding robust futexes: its own listed locks (and the
 * pending one) get FUTEX_OWNER_DIED with the tid cleared, a waiter on
 * one is woken; a listed lock with another tid and an unlisted lock stay
 * as they were. */
static const char *futex_robust_list_process_death(void)
{
    struct robust_page *rp = map_shared_page();
    CHECK(rp != MAP_FAILED, "mmap: %s", errname(errno));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        robust_child(rp);
    POLL_UNTIL(rp->ready || task_state(pid, 0) == 'Z'); /* (it ends at once if set_robust_list fails) */
    errno = 0;
    struct timespec limit = must_wake(FUTEX_WAIT);
    long r =
        rp->ready ? futex(&rp->lock[2].word, FUTEX_WAIT, (int)((unsigned)pid | FUTEX_WAITERS), &limit, NULL, 0) : -2;
    int err = errno;
    int st = wait_for(pid);
    unsigned w[4];
    for (int i = 0; i < 4; i++)
        w[i] = (unsigned)rp->lock[i].word;
    munmap(rp, PAGE_SIZE);
    CHECK_EXITED(st, 0);
    CHECK(r == 0 || err == EAGAIN, "the wait on the pending lock returned %ld (%s)%s", r, errname(err),
          err == ETIMEDOUT ? ": not woken when its owner died" : "");
    CHECK(w[0] == FUTEX_OWNER_DIED, "a listed lock of the dead process is %#x, expected %#x", w[0], FUTEX_OWNER_DIED);
    CHECK(w[1] == 12345, "a listed lock owned by another tid changed to %#x", w[1]);
    CHECK(w[2] == (FUTEX_OWNER_DIED | FUTEX_WAITERS), "the list_op_pending lock is %#x, expected %#x", w[2],
          FUTEX_OWNER_DIED | FUTEX_WAITERS);
    CHECK(w[3] == (unsigned)pid, "a lock that was not on the list changed to %#x", w[3]);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Robust pthread mutexes.
 * ------------------------------------------------------------------------- */

static pthread_mutex_t *robust_mutex(void *where, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_t *m = where;
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return m;
}

static pthread_mutex_t tm;

static void *lock_and_leave_fn(void *arg)
{
    (void)arg;
    return (void *)(long)pthread_mutex_lock(&tm);
}

static const char *robust_thread_mutex_body(void)
{
    robust_mutex(&tm, 0);
    pthread_t t;
    void *r;
    START(&t, lock_and_leave_fn, NULL);
    JOIN(t, &r);
    CHECK(r == NULL, "the thread's pthread_mutex_lock: %s", errname((int)(long)r));
    int rc = pthread_mutex_lock(&tm);
    CHECK(rc == EOWNERDEAD, "locking a robust mutex whose owner thread exited: %s, expected EOWNERDEAD", errname(rc));
    CHECK(pthread_mutex_consistent(&tm) == 0, "pthread_mutex_consistent failed");
    CHECK(pthread_mutex_unlock(&tm) == 0, "unlock failed");
    rc = pthread_mutex_lock(&tm);
    CHECK(rc == 0, "after pthread_mutex_consistent, lock: %s", errname(rc));
    pthread_mutex_unlock(&tm);
    return PASS;
}

/* A robust mutex held by a thread that exits: the next locker gets
 * EOWNERDEAD, makes it consistent, and then it works as before. */
static const char *futex_robust_mutex_thread(void) { return in_child(robust_thread_mutex_body); }

/* A process-shared robust mutex in MAP_SHARED memory, held by a child
 * that dies (exit_group: only the kernel can release it): the parent,
 * already blocked in pthread_mutex_timedlock (10 s: no hang if nobody
 * wakes it), gets EOWNERDEAD; unlocked without pthread_mutex_consistent
 * it is ENOTRECOVERABLE for good. */
static const char *futex_robust_mutex_process(void)
{
    static int probe;
    /* Without futex musl's lock would spin here until the alarm. */
    CHECK_RET(futex(&probe, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    char *page = map_shared_page();
    CHECK(page != MAP_FAILED, "mmap: %s", errname(errno));
    pthread_mutex_t *m = robust_mutex(page, 1);
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (pthread_mutex_lock(m) != 0)
            _exit(2);
        send_go(fds[1]);
        sleep_ms(SETTLE_MS); /* the parent blocks in pthread_mutex_lock */
        _exit(0);
    }
    int ok = wait_go(fds[0]) == 0;
    struct timespec limit = ns_ts(clock_ns(CLOCK_REALTIME) + POLL_LIMIT_NS); /* (a hang would hide the answer) */
    int rc = ok ? pthread_mutex_timedlock(m, &limit) : -1;
    int st = wait_for(pid);
    close(fds[0]);
    close(fds[1]);
    CHECK(ok, "the child did not lock the mutex: it %s", status_str(st));
    CHECK_EXITED(st, 0);
    CHECK(rc == EOWNERDEAD, "locking the mutex its dead owner held: %s, expected EOWNERDEAD", errname(rc));
    CHECK(pthread_mutex_unlock(m) == 0, "unlock failed");
    rc = pthread_mutex_lock(m);
    munmap(page, PAGE_SIZE);
    CHECK(rc == ENOTRECOVERABLE,
          "after an unlock without pthread_mutex_consistent, lock: %s, expected "
          "ENOTRECOVERABLE",
          errname(rc));
    return PASS;
}

/* clang-format off */
static const struct test tests[] = {
    TEST(futex_wait_wrong_value),
    TEST(futex_wait_relative_timeout),
    TEST(futex_wait_bitset_deadlines),
    TEST(futex_bad_arguments),
    TEST(futex_bad_address),
    TEST(futex_wake_no_waiters),
    TEST(futex_wake_counts_threads),
    TEST(futex_wake_counts_processes),
    TEST(futex_wake_bitset),
    TEST(futex_private_and_shared_apart),
    TEST(futex_shared_key_is_the_page),
    TEST(futex_requeue_moves_waiters),
    TEST(futex_eintr_and_restart),
    TEST(futex_pingpong_threads),
    TEST(futex_pingpong_processes),
    TEST(futex_child_cleartid),
    TEST(futex_robust_list_thread_exit),
    TEST(futex_set_robust_list),
    TEST(futex_robust_list_process_death),
    TEST(futex_robust_mutex_thread),
    TEST(futex_robust_mutex_process),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
