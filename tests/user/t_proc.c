/*
 * tests/user/t_proc.c - processes, the scheduler, and the small system calls
 * every C program relies on.
 *
 *   - identity: getpid/getppid/gettid, set_tid_address (musl calls it at
 *     start-up and after fork and expects the thread id back);
 *   - fork/exit/wait4: many children, exit statuses, ECHILD, WNOHANG, vfork;
 *   - signals with their default action: SIGKILL, SIGTERM, SIGINT kill a
 *     child, even one that is spinning or sleeping;
 *   - preemption: two CPU-bound children both make progress at once;
 *   - fork copies the address space: the child's writes stay in the child;
 *   - no leaks: 200 process lifetimes leave free memory where it was;
 *   - the small calls: uname, getrusage, clocks, nanosleep, sched_yield,
 *     getrandom, prctl(PR_SET_NAME), the user ids, sysinfo.
 *
 * Children report through their exit status (0 = fine, anything else says
 * what went wrong); they never print. Run: t_proc [test_name...]
 */
#include "testlib.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/time.h>

/* ---------------------------------------------------------------------------
 * Identity.
 * ------------------------------------------------------------------------- */

static const char *proc_ids(void)
{
    pid_t pid = getpid();
    pid_t ppid = getppid();
    long tid = syscall(SYS_gettid);

    CHECK(pid > 0, "getpid() = %d", (int)pid);
    /* getppid() is 0 only for the very first process (pid 1, no parent). */
    CHECK(ppid > 0 || (ppid == 0 && pid == 1), "getppid() = %d (our pid is %d)", (int)ppid, (int)pid);
    CHECK(ppid != pid, "getppid() == getpid() == %d", (int)pid);
    CHECK(tid == pid, "gettid() = %ld but getpid() = %d (a single-threaded process: they must agree)", tid, (int)pid);
    CHECK(getpid() == pid, "getpid() changed between two calls");
    return PASS;
}

/* set_tid_address(ptr) records where to write 0 when the thread exits (for
 * pthread_join) and returns the caller's thread id. musl relies on that
 * return value. The variable is static: it must outlive this function. */
static int tid_word;

static const char *proc_set_tid_address(void)
{
    long r = syscall(SYS_set_tid_address, &tid_word);
    CHECK(r == getpid(), "set_tid_address returned %ld, expected the tid %d", r, (int)getpid());
    return PASS;
}

/* A child's identity is its own: new pid, our pid as its parent. */
static pid_t parent_pid;

static int child_checks_ids(void)
{
    if (getppid() != parent_pid)
        return 2;
    if (getpid() == parent_pid)
        return 3;
    if (syscall(SYS_gettid) != getpid())
        return 4;
    return 0;
}

static const char *proc_child_ids(void)
{
    parent_pid = getpid();
    int st = run_in_child(child_checks_ids);
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2), "in the child, getppid() is not the parent's pid");
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child has the parent's pid");
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4), "in the child, gettid() != getpid()");
    CHECK_EXITED(st, 0);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * fork, exit, wait4.
 * ------------------------------------------------------------------------- */

#define NCHILD 50

/* 50 children exit with 0..49; wait4(-1) reaps each exactly once, then
 * says ECHILD: no children left. */
static const char *proc_fork_wait_50(void)
{
    int seen[NCHILD] = {0};
    pid_t pids[NCHILD];

    for (int i = 0; i < NCHILD; i++) {
        pids[i] = fork_child();
        if (pids[i] == 0)
            _exit(i);
        if (pids[i] == -1) {
            int e = errno;
            for (int j = 0; j < i; j++)
                kill_and_reap(pids[j]);
            return FAIL("fork number %d failed: %s", i + 1, errname(e));
        }
    }
    for (int n = 0; n < NCHILD; n++) {
        int st;
        pid_t r = wait4(-1, &st, 0, NULL);
        if (r == -1 && errno == EINTR) {
            n--;
            continue;
        }
        CHECK(r > 0, "wait4(-1) number %d failed: %s", n + 1, errname(errno));
        CHECK(WIFEXITED(st), "child %d %s", (int)r, status_str(st));
        int code = WEXITSTATUS(st);
        CHECK(code < NCHILD, "a child exited with %d, expected 0..%d", code, NCHILD - 1);
        CHECK(pids[code] == r, "wait4 says pid %d exited with %d, but that was pid %d's status", (int)r, code,
              (int)pids[code]);
        CHECK(!seen[code], "exit status %d reaped twice", code);
        seen[code] = 1;
    }
    CHECK_ERRNO(wait4(-1, NULL, 0, NULL), ECHILD);
    return PASS;
}

/* Only the low 8 bits of the exit code reach the parent. */
static const char *proc_exit_status_8bit(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(256 + 7);
    int st = wait_for(pid);
    CHECK_EXITED(st, 7);
    return PASS;
}

/* Waiting for a process that is not our child: ECHILD. (Ourselves, say.) */
static const char *proc_wait_not_child(void)
{
    CHECK_ERRNO(waitpid(getpid(), NULL, 0), ECHILD);
    CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD); /* no children at all */
    return PASS;
}

/* A child that sleeps until it is killed (never longer than CHILD_TIMEOUT). */
__attribute__((noreturn)) static void sleep_until_killed(void)
{
    for (;;)
        sleep_ms(1000);
}

/* WNOHANG on a child that is still running answers 0 at once. */
static const char *proc_wait_nohang(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        sleep_until_killed();

    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    int e = errno;
    kill_and_reap(pid);
    CHECK(r == 0, "waitpid(child, WNOHANG) on a sleeping child returned %d (%s), expected 0", (int)r,
          r == -1 ? errname(e) : status_str(st));
    return PASS;
}

/* vfork: the child borrows the parent's memory until it calls _exit (or
 * exec); the parent waits meanwhile. Only _exit is safe in the child. */
static const char *proc_vfork_exit(void)
{
    pid_t pid = vfork();
    if (pid == 0)
        _exit(9);
    CHECK(pid != -1, "vfork: %s", errname(errno));
    int st = wait_for(pid);
    CHECK_EXITED(st, 9);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Signals with their default action.
 * ------------------------------------------------------------------------- */

/* A busy child: never sleeps, never makes a system call. Only a kernel that
 * preempts it (timer interrupt) lets the parent run and send the signal. */
__attribute__((noreturn)) static void spin_forever(void)
{
    for (volatile unsigned long n = 0;; n++)
        ;
}

/* Fork a spinning (or sleeping) child, give it time to get going, send sig,
 * and check that it died of it. */
static const char *kill_child_with(int sig, int spinning)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (spinning)
            spin_forever();
        sleep_until_killed();
    }
    sleep_ms(50);
    long long t0 = now_ns();
    int r = kill(pid, sig);
    int e = errno;
    int st = r == 0 ? wait_for(pid) : -1;
    long long ms = (now_ns() - t0) / 1000000;
    if (r != 0)
        kill_and_reap(pid);

    CHECK(r == 0, "kill(child, %s): %s", signame(sig), errname(e));
    CHECK_KILLED_BY(st, sig);
    CHECK(ms < 5000, "the child took %lld ms to die after %s", ms, signame(sig));
    return PASS;
}

static const char *proc_sigkill_spinning(void) { return kill_child_with(SIGKILL, 1); }
static const char *proc_sigterm_spinning(void) { return kill_child_with(SIGTERM, 1); }
static const char *proc_sigint_spinning(void) { return kill_child_with(SIGINT, 1); }
/* A child blocked in nanosleep must be woken to die, not sleep on. */
static const char *proc_sigkill_sleeping(void) { return kill_child_with(SIGKILL, 0); }

/* ---------------------------------------------------------------------------
 * The scheduler: two CPU-bound children share the CPU.
 * ------------------------------------------------------------------------- */

static long long spin_deadline; /* CLOCK_MONOTONIC ns, set before fork */

/* Count loop turns until the shared deadline. Exit 0 if we got plenty,
 * 1 if none at all (we never ran before the deadline), 2 if only a few. */
static int spin_until_deadline(void)
{
    long count = 0;
    while (now_ns() < spin_deadline)
        count++;
    return count >= 1000 ? 0 : count == 0 ? 1 : 2;
}

/* Both children spin until the same moment, 1 s after the parent forks them.
 * Without preemption the first would run alone until the deadline, and the
 * second would find it already passed: count 0, exit status 1. With
 * preemption both count (time-sliced on one CPU, in parallel on several). */
static const char *proc_two_spinners(void)
{
    long long t0 = now_ns();
    spin_deadline = t0 + 1000000000LL;

    pid_t a = fork_child();
    CHECK(a != -1, "fork: %s", errname(errno));
    if (a == 0)
        _exit(spin_until_deadline());
    pid_t b = fork_child();
    if (b == -1) {
        kill_and_reap(a);
        return FAIL("fork: %s", errname(errno));
    }
    if (b == 0)
        _exit(spin_until_deadline());

    int sa = wait_for(a), sb = wait_for(b);
    long long ms = (now_ns() - t0) / 1000000;

    CHECK(!(sa != -1 && WIFEXITED(sa) && WEXITSTATUS(sa) == 1), "the first child never ran before the deadline");
    CHECK(!(sb != -1 && WIFEXITED(sb) && WEXITSTATUS(sb) == 1),
          "the second child never ran before the deadline: the first was not preempted");
    CHECK(!(sa != -1 && WIFEXITED(sa) && WEXITSTATUS(sa) == 2), "the first child ran fewer than 1000 loops in 1 s");
    CHECK(!(sb != -1 && WIFEXITED(sb) && WEXITSTATUS(sb) == 2), "the second child ran fewer than 1000 loops in 1 s");
    CHECK_EXITED(sa, 0);
    CHECK_EXITED(sb, 0);
    CHECK(ms < 10000, "the two 1-second spinners took %lld ms in all", ms);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * fork copies memory.
 * ------------------------------------------------------------------------- */

static long global_value = 1234;
static long *heap_value;
static long *stack_value;

/* In the child: see the parent's values as they were at fork time, then
 * change them. Exit codes say what went wrong. */
static int child_sees_then_writes(void)
{
    sleep_ms(20); /* let the parent write its own copy first, if it runs */
    if (global_value != 1234)
        return 2;
    if (*heap_value != 5678)
        return 3;
    if (*stack_value != 91011)
        return 4;
    global_value = 1;
    *heap_value = 2;
    *stack_value = 3;
    if (global_value != 1 || *heap_value != 2 || *stack_value != 3)
        return 5;
    return 0;
}

static const char *proc_fork_copies_memory(void)
{
    long on_stack = 91011;

    global_value = 1234;
    heap_value = malloc(sizeof(long));
    CHECK(heap_value, "malloc failed");
    *heap_value = 5678;
    stack_value = &on_stack;

    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(child_sees_then_writes());
    /* The parent changes the global right away: the child must not see it. */
    global_value = 4321;
    int st = wait_for(pid);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child saw the parent's write to a global after fork");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child saw a wrong heap value");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 4), "the child saw a wrong stack value");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 5), "the child's writes did not stick");
    CHECK_EXITED(st, 0);
    CHECK(global_value == 4321, "the parent's global is %ld after the child wrote 1", global_value);
    CHECK(*heap_value == 5678, "the parent's heap value is %ld after the child wrote 2", *heap_value);
    CHECK(on_stack == 91011, "the parent's stack value is %ld after the child wrote 3", on_stack);
    free(heap_value);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * No leaks: a process that has exited and been reaped owns nothing.
 * ------------------------------------------------------------------------- */

#define LIFETIMES 200
#define LEAK_SLACK (64 * KiB)
/* Linux moves freed pages through per-CPU caches that sysinfo() does not
 * count as free, and with children running on other CPUs those caches can
 * hold a few MiB at any moment. So on Linux only a generous bound makes
 * sense; Pagewise counts every free frame and must meet LEAK_SLACK. */
#define LEAK_SLACK_LINUX (8 * MiB)

/* One lifetime: fork, the child uses 64 KiB of heap, exits, we reap it. */
static const char *one_lifetime(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char *p = malloc(64 * KiB);
        if (!p)
            _exit(2);
        memset(p, 0x11, 64 * KiB);
        _exit(p[64 * KiB - 1] == 0x11 ? 0 : 3);
    }
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    return PASS;
}

/* After a warm-up of 10 lifetimes (which may allocate things that stay, like
 * page tables of our own heap), 200 more must leave freeram where it was.
 * A leak of a single page per process would be 800 KiB. Free memory also
 * wanders a little by itself (other processes, caches): we take the best of
 * 3 rounds; a real leak happens in every round. */
static const char *proc_lifetimes_no_leak(void)
{
    const long slack = on_pagewise() ? LEAK_SLACK : LEAK_SLACK_LINUX;
    long long lost = 0;
    const char *why;

    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++)
            if ((why = one_lifetime()) != PASS)
                return why;
        long long free0 = freeram();
        CHECK(free0 > 0, "sysinfo: %s", errname(errno));
        for (int i = 0; i < LIFETIMES; i++)
            if ((why = one_lifetime()) != PASS)
                return why;
        lost = free0 - freeram();
        if (lost <= slack)
            return PASS;
    }
    return FAIL("after %d process lifetimes freeram is %lld KiB lower (allowed: %ld KiB)", LIFETIMES, lost / KiB,
                slack / KiB);
}

/* ---------------------------------------------------------------------------
 * The small system calls.
 * ------------------------------------------------------------------------- */

static const char *proc_uname(void)
{
    struct utsname u;

    CHECK_OK(uname(&u));
    CHECK(strcmp(u.sysname, "Linux") == 0 || strcmp(u.sysname, "Pagewise") == 0,
          "uname sysname is \"%s\", expected Linux or Pagewise", u.sysname);
    CHECK(strcmp(u.machine, "x86_64") == 0, "uname machine is \"%s\", expected x86_64", u.machine);
    CHECK(u.release[0] != '\0', "uname release is empty");
    return PASS;
}

static const char *proc_getrusage(void)
{
    struct rusage ru;

    CHECK_OK(getrusage(RUSAGE_SELF, &ru));
    CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000,
          "ru_utime is not a valid time: %ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    CHECK(ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000,
          "ru_stime is not a valid time: %ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    /* Our pages were all faulted in on demand: there were faults. */
    CHECK(ru.ru_minflt > 0, "ru_minflt is %ld: no page fault counted at all", ru.ru_minflt);
    CHECK(ru.ru_majflt >= 0, "ru_majflt is %ld", ru.ru_majflt);
    CHECK_OK(getrusage(RUSAGE_CHILDREN, &ru));
    return PASS;
}

static const char *proc_clock_gettime(void)
{
    struct timespec m1, m2, r;

    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m1));
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &r));
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m2));
    CHECK(m1.tv_nsec >= 0 && m1.tv_nsec < 1000000000L, "CLOCK_MONOTONIC tv_nsec = %ld", m1.tv_nsec);
    CHECK(r.tv_nsec >= 0 && r.tv_nsec < 1000000000L, "CLOCK_REALTIME tv_nsec = %ld", r.tv_nsec);
    CHECK(m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec),
          "CLOCK_MONOTONIC went backwards: %ld.%09ld then %ld.%09ld", (long)m1.tv_sec, m1.tv_nsec, (long)m2.tv_sec,
          m2.tv_nsec);
    /* The wall clock comes from the real-time clock (QEMU: the host's time). */
    CHECK(r.tv_sec > 1577836800L, "CLOCK_REALTIME is %ld s, before 2020-01-01", (long)r.tv_sec);
    return PASS;
}

static const char *proc_gettimeofday(void)
{
    struct timeval tv;
    struct timespec r;

    CHECK_OK(gettimeofday(&tv, NULL));
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &r));
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec = %ld", (long)tv.tv_usec);
    long diff = (long)r.tv_sec - (long)tv.tv_sec;
    CHECK(diff >= 0 && diff <= 2, "gettimeofday (%ld s) and CLOCK_REALTIME (%ld s) disagree", (long)tv.tv_sec,
          (long)r.tv_sec);
    return PASS;
}

/* nanosleep(10 ms) sleeps at least 10 ms (and, generously, under 5 s). */
static const char *proc_nanosleep(void)
{
    struct timespec req = {0, 10 * 1000000L}, rem = {0, 0};

    long long t0 = now_ns();
    CHECK_OK(nanosleep(&req, &rem));
    long long t1 = now_ns();
    CHECK(t1 - t0 >= 10000000LL, "nanosleep(10 ms) returned after %lld us", (t1 - t0) / 1000);
    CHECK(t1 - t0 < 5000000000LL, "nanosleep(10 ms) took %lld ms", (t1 - t0) / 1000000);
    return PASS;
}

static const char *proc_sched_yield(void)
{
    for (int i = 0; i < 10; i++)
        CHECK(sched_yield() == 0, "sched_yield: %s", errname(errno));
    return PASS;
}

/* getrandom returns the bytes asked for; two draws differ (the chance that
 * 16 random bytes repeat is 2^-128). */
static const char *proc_getrandom(void)
{
    unsigned char a[16], b[16];

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    ssize_t ra = getrandom(a, sizeof(a), 0);
    ssize_t rb = getrandom(b, sizeof(b), 0);
    CHECK(ra == 16, "getrandom(16) returned %ld (%s)", (long)ra, ra < 0 ? errname(errno) : "short");
    CHECK(rb == 16, "getrandom(16) returned %ld (%s)", (long)rb, rb < 0 ? errname(errno) : "short");
    CHECK(memcmp(a, b, sizeof(a)) != 0, "two getrandom calls returned the same 16 bytes");
    return PASS;
}

/* The process name (what ps shows): set it, read it back. */
static const char *proc_prctl_name(void)
{
    char old[16] = {0}, name[16] = {0};

    CHECK_OK(prctl(PR_GET_NAME, old, 0, 0, 0));
    CHECK_OK(prctl(PR_SET_NAME, "pw-test-name", 0, 0, 0));
    CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
    prctl(PR_SET_NAME, old, 0, 0, 0);
    CHECK(strcmp(name, "pw-test-name") == 0, "PR_GET_NAME gave \"%.16s\" after setting \"pw-test-name\"", name);
    return PASS;
}

/* Real and effective ids agree for a program that is not set-uid. */
static const char *proc_user_ids(void)
{
    CHECK(getuid() == geteuid(), "getuid() = %d but geteuid() = %d", (int)getuid(), (int)geteuid());
    CHECK(getgid() == getegid(), "getgid() = %d but getegid() = %d", (int)getgid(), (int)getegid());
    return PASS;
}

static const char *proc_sysinfo(void)
{
    struct sysinfo si;

    CHECK_OK(sysinfo(&si));
    unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
    CHECK(si.totalram > 0, "sysinfo totalram is 0");
    CHECK(si.freeram > 0 && si.freeram <= si.totalram, "sysinfo freeram %lu is not in (0, totalram = %lu]", si.freeram,
          si.totalram);
    CHECK(si.totalram * unit >= 16ULL * MiB, "sysinfo says only %llu KiB of RAM", si.totalram * unit / KiB);
    CHECK(si.procs >= 1, "sysinfo procs = %u", (unsigned)si.procs);
    CHECK(si.uptime < 10L * 365 * 24 * 3600, "sysinfo uptime = %ld s: more than 10 years", (long)si.uptime);
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(proc_ids),
    TEST(proc_set_tid_address),
    TEST(proc_child_ids),
    TEST(proc_fork_wait_50),
    TEST(proc_exit_status_8bit),
    TEST(proc_wait_not_child),
    TEST(proc_wait_nohang),
    TEST(proc_vfork_exit),
    TEST(proc_sigkill_spinning),
    TEST(proc_sigterm_spinning),
    TEST(proc_sigint_spinning),
    TEST(proc_sigkill_sleeping),
    TEST(proc_two_spinners),
    TEST(proc_fork_copies_memory),
    TEST(proc_lifetimes_no_leak),
    TEST(proc_uname),
    TEST(proc_getrusage),
    TEST(proc_clock_gettime),
    TEST(proc_gettimeofday),
    TEST(proc_nanosleep),
    TEST(proc_sched_yield),
    TEST(proc_getrandom),
    TEST(proc_prctl_name),
    TEST(proc_user_ids),
    TEST(proc_sysinfo),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
