/*
 * tests/user/threadlib.h - helpers for the tests that use threads
 * (t_threads.c, t_futex.c, t_shootdown.c, t_smprace.c). Include it after
 * testlib.h.
 *
 * A thread cannot use CHECK() (it returns from the thread function), so a
 * thread returns NULL for "all is well" or a reason string, and the main
 * thread joins it with JOIN_VERDICT. Each case runs in a forked child
 * (in_child): a crash, a hang (the child's alarm) or a stray thread stays
 * there, and the next case starts clean.
 *
 * "Is that thread asleep yet?" is asked of /proc/<pid>/task/<tid>/stat
 * (state S) rather than guessed with a sleep, so a wake count can be exact.
 */
#ifndef PAGEWISE_TESTS_USER_THREADLIB_H
#define PAGEWISE_TESTS_USER_THREADLIB_H

#include <pthread.h>
#include <sched.h>

#define POLL_LIMIT_NS (10 * 1000000000LL) /* generous: how long to wait for something that must happen */

/* Sleep in 1 ms steps until cond holds or POLL_LIMIT_NS of wall time
 * passed (a deadline, not a count of sleeps: a kernel's 1 ms sleep may
 * last a whole timer tick). Test cond again afterwards. */
#define POLL_UNTIL(cond)                                                                                               \
    for (long long poll_end_ = now_ns() + POLL_LIMIT_NS; !(cond) && now_ns() < poll_end_;)                             \
    sleep_ms(1)

LIBFN pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

LIBFN int tgkill_(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

/* Pin the calling thread to one CPU (t_shootdown, t_smprace); 0 or -1. */
LIBFN int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* __atomic builtins: musl-gcc may not find gcc's <stdatomic.h>. */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* Poll until *flag reaches at least want (or the generous limit passes).
 * Returns 1 if it did. */
LIBFN int wait_flag(volatile int *flag, int want)
{
    POLL_UNTIL(__atomic_load_n(flag, __ATOMIC_SEQ_CST) >= want);
    return __atomic_load_n(flag, __ATOMIC_SEQ_CST) >= want;
}

/* Run body() in a forked child that reports its verdict: PASS or why. */
LIBFN const char *in_child(const char *(*body)(void))
{
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(fds[0]);
        child_verdict(fds[1], body());
    }
    close(fds[1]);
    const char *why = parent_verdict(fds[0], pid);
    close(fds[0]);
    return why;
}

#define START(t, fn, arg)                                                                                              \
    do {                                                                                                               \
        int rc_ = pthread_create((t), NULL, (fn), (arg));                                                              \
        CHECK(rc_ == 0, "pthread_create: %s", errname(rc_));                                                           \
    } while (0)

#define JOIN(t, ret)                                                                                                   \
    do {                                                                                                               \
        int rc_ = pthread_join((t), (ret));                                                                            \
        CHECK(rc_ == 0, "pthread_join: %s", errname(rc_));                                                             \
    } while (0)

/* Join a thread that returns NULL (PASS) or a reason string. */
#define JOIN_VERDICT(t)                                                                                                \
    do {                                                                                                               \
        void *why_;                                                                                                    \
        JOIN((t), &why_);                                                                                              \
        if (why_)                                                                                                      \
            return FAIL("in a thread: %s", (const char *)why_);                                                        \
    } while (0)

/* The state letter (R, S, D, Z, ...) in /proc/<pid>/task/<tid>/stat, or
 * '?' if it cannot be read. tid 0: /proc/<pid>/stat. */
LIBFN char task_state(pid_t pid, pid_t tid)
{
    char path[64], buf[512];
    if (tid)
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    else
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (slurp(path, buf, sizeof(buf)) < 0)
        return '?';
    const char *paren = strrchr(buf, ')'); /* the name may hold spaces */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* Poll until the task sleeps (state S); 1 if it did within the limit, 0
 * if not or if it ended (Z, or gone) first. */
LIBFN int wait_asleep(pid_t pid, pid_t tid)
{
    char state = '?';
    POLL_UNTIL((state = task_state(pid, tid)) == 'S' || state == 'Z' || state == '?');
    return state == 'S';
}

#endif
