/*
 * tests/user/t_threads.c - threads: several tasks in one address space
 * (issue 18), as musl's pthreads use them.
 *
 * musl's pthread_create is clone(CLONE_VM | CLONE_FS | CLONE_FILES |
 * CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
 * CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED) with a new
 * stack; pthread_join sleeps on the tid word that the kernel clears (and
 * wakes with FUTEX_WAKE) when the thread exits. The cases:
 *
 *   create/join         eight threads, their return values; a thread's
 *                       stack grows on demand like the main stack
 *   mutex, condvar      exact totals under contention; producer/consumer
 *   TLS                 __thread variables: each thread its own copy
 *                       (the initial image), the main thread's untouched
 *   detached            threads nobody joins finish and vanish
 *   exits               pthread_exit while others run; the main thread
 *                       exits first and the process lives on; exit() in
 *                       any thread ends them all (exit_group); execve in
 *                       a thread: the others are gone, the pid is kept
 *   ids                 getpid the same everywhere, gettid distinct, the
 *                       main thread's tid is the pid
 *   signals             kill() goes to a thread that does not block it;
 *                       tgkill to one thread; masks and alternate stacks
 *                       are per thread; a thread's exit is not a child's
 *                       exit (wait4 sees the whole group once)
 *   /proc               /proc/self/task/<tid>/, Threads: in status
 *   one mm              a write by one thread is read by the other, one
 *                       frame (pagemap) where a fork has two; threads
 *                       faulting on the same page get one frame; after
 *                       munmap returns, no thread can touch the page
 *   clone               invalid flag combinations: Linux's EINVAL
 *   affinity            sched_getaffinity/setaffinity, musl's sysconf
 *
 * Every case runs in a forked child (a crash or a hang stays there; the
 * child's alarm ends a hang), which sends its verdict through a pipe.
 * PFN comparisons need root (elsewhere: a # line).
 *
 * Run: t_threads [test_name...]
 */
#include "testlib.h"
#include "threadlib.h"

#include <dirent.h>
#include <sched.h>
#include <stdlib.h>

#define NJOIN 8                /* threads in the create/join case */
#define STACK_TOUCH (64 * KiB) /* a thread's local array: its stack grows */
#define NCOUNT 4               /* threads incrementing the shared counter */
#define COUNT_ROUNDS 20000     /* ... each this many times */
#define NITEMS 5000            /* producer/consumer items */
#define RING 4                 /* ... through a ring this small */
#define NCONSUMERS 2
#define GEN_WAITERS 4   /* threads waiting on one condition variable ... */
#define GENERATIONS 200 /* ... this many times */
#define NDETACHED 20    /* detached threads, of each kind */
#define NTASKS 3        /* threads beside the main one in the /proc cases */
#define NSIG_THREADS 4  /* threads in the signal cases */
#define ALTSTACK_SIZE (64 * KiB)
#define RACE_THREADS 4 /* threads faulting on the same pages */
#define RACE_PAGES 64
#define NMANY 100 /* threads created and joined in the leak case */
#define MANY_AT_ONCE 25
#define FRAME_SLACK_KB 1024 /* kernel caches may keep a few frames (200 leaked stacks: 25 MiB) */
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)

/* Exit codes of the image that a thread execs (@exec_thread). */
enum { IMG_OK, IMG_USAGE, IMG_PID, IMG_TID, IMG_THREADS, IMG_TASKS };

/* ---------------------------------------------------------------------------
 * /proc: our tasks, our status, a task's status.
 * ------------------------------------------------------------------------- */

/* Entries of /proc/self/task (tids, without . and ..); their tids in
 * tids[] if given (at most max). -1 if it cannot be read. */
static int list_tasks(pid_t *tids, int max)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (tids && n < max)
            tids[n] = (pid_t)atoi(e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* A number from a status file ("Threads"), or -1. */
static long long status_field(const char *path, const char *name)
{
    char buf[4096];
    long long v;
    if (slurp(path, buf, sizeof(buf)) < 0 || !text_field(buf, name, &v))
        return -1;
    return v;
}

static long long threads_line(void) { return status_field("/proc/self/status", "Threads"); }

/* Poll until /proc/self/task lists want entries and Threads: says want
 * (exited threads are reaped by the kernel a moment after join returns). */
static int wait_tasks(int want)
{
    POLL_UNTIL(list_tasks(NULL, 0) == want && threads_line() == want);
    return list_tasks(NULL, 0) == want && threads_line() == want;
}

/* The pagemap entry of addr, read by the calling thread (~0 on error). */
static uint64_t pagemap_entry(const volatile void *addr)
{
    uint64_t e = ~0ULL;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return ~0ULL;
    if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(e))) != sizeof(e))
        e = ~0ULL;
    close(fd);
    return e;
}

static void *map_pages(size_t n)
{
    return mmap(NULL, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---------------------------------------------------------------------------
 * Create, join, mutex, condition variable, TLS, detached threads.
 * ------------------------------------------------------------------------- */

/* Thread i returns i*i + 1 after summing a 64 KiB array on its own stack
 * (the stack's pages are touched for the first time here). */
static void *square_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    volatile unsigned char local[STACK_TOUCH];
    unsigned long sum = 0;
    for (size_t k = 0; k < sizeof(local); k += 512)
        local[k] = (unsigned char)i;
    for (size_t k = 0; k < sizeof(local); k += 512)
        sum += local[k];
    if (sum != (sizeof(local) / 512) * i)
        return (void *)-1;
    return (void *)(i * i + 1);
}

static const char *create_join_body(void)
{
    pthread_t t[NJOIN];
    for (uintptr_t i = 0; i < NJOIN; i++)
        START(&t[i], square_fn, (void *)i);
    for (int i = NJOIN - 1; i >= 0; i--) { /* any order */
        void *ret;
        JOIN(t[i], &ret);
        CHECK((uintptr_t)ret == (uintptr_t)i * i + 1, "thread %d returned %p, expected %lu", i, ret,
              (unsigned long)i * i + 1);
    }
    return PASS;
}

/* Eight threads, each touching 64 KiB of its own stack, return i*i + 1;
 * pthread_join hands each value back. */
static const char *thr_create_join_values(void) { return in_child(create_join_body); }

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter; /* protected by count_lock only */

static void *count_fn(void *arg)
{
    (void)arg;
    for (int i = 0; i < COUNT_ROUNDS; i++) {
        pthread_mutex_lock(&count_lock);
        long v = counter;
        if ((i & 1023) == 0)
            sched_yield(); /* sometimes give the CPU away inside the lock */
        counter = v + 1;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static const char *mutex_body(void)
{
    pthread_t t[NCOUNT];
    counter = 0;
    for (int i = 0; i < NCOUNT; i++)
        START(&t[i], count_fn, NULL);
    for (int i = 0; i < NCOUNT; i++)
        JOIN(t[i], NULL);
    CHECK(counter == (long)NCOUNT * COUNT_ROUNDS, "the counter is %ld, expected %ld: an increment was lost", counter,
          (long)NCOUNT * COUNT_ROUNDS);
    return PASS;
}

/* Four threads increment one counter 20,000 times each under a mutex
 * (read, maybe yield, write): the total is exact. */
static const char *thr_mutex_counter(void) { return in_child(mutex_body); }

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    int ring[RING], head, count, done;
    unsigned char seen[NITEMS + 1]; /* how often each item was consumed */
    long sum;
} pc = {.lock = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER, .not_full = PTHREAD_COND_INITIALIZER};

static void *producer_fn(void *arg)
{
    (void)arg;
    for (int item = 1; item <= NITEMS; item++) {
        pthread_mutex_lock(&pc.lock);
        while (pc.count == RING)
            pthread_cond_wait(&pc.not_full, &pc.lock);
        pc.ring[(pc.head + pc.count++) % RING] = item;
        pthread_cond_signal(&pc.not_empty);
        pthread_mutex_unlock(&pc.lock);
    }
    pthread_mutex_lock(&pc.lock);
    pc.done = 1;
    pthread_cond_broadcast(&pc.not_empty);
    pthread_mutex_unlock(&pc.lock);
    return NULL;
}

static void *consumer_fn(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pc.lock);
        while (pc.count == 0 && !pc.done)
            pthread_cond_wait(&pc.not_empty, &pc.lock);
        if (pc.count == 0) {
            pthread_mutex_unlock(&pc.lock);
            return NULL;
        }
        int item = pc.ring[pc.head];
        pc.head = (pc.head + 1) % RING;
        pc.count--;
        pc.seen[item]++;
        pc.sum += item;
        pthread_cond_signal(&pc.not_full);
        pthread_mutex_unlock(&pc.lock);
    }
}

static const char *condvar_body(void)
{
    pthread_t prod, cons[NCONSUMERS];
    for (int i = 0; i < NCONSUMERS; i++)
        START(&cons[i], consumer_fn, NULL);
    START(&prod, producer_fn, NULL);
    JOIN(prod, NULL);
    for (int i = 0; i < NCONSUMERS; i++)
        JOIN(cons[i], NULL);
    for (int item = 1; item <= NITEMS; item++)
        CHECK(pc.seen[item] == 1, "item %d was consumed %d times", item, pc.seen[item]);
    CHECK(pc.sum == (long)NITEMS * (NITEMS + 1) / 2, "the items sum to %ld", pc.sum);
    return PASS;
}

/* One producer, two consumers, 5,000 items through a ring of 4 with two
 * condition variables: each item consumed exactly once. */
static const char *thr_condvar_prodcons(void) { return in_child(condvar_body); }

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int generation, arrived; /* arrivals over all generations */
} gen = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *gen_waiter_fn(void *arg)
{
    (void)arg;
    for (int round = 0; round < GENERATIONS; round++) {
        pthread_mutex_lock(&gen.lock);
        int g = gen.generation;
        gen.arrived++;
        while (gen.generation == g)
            pthread_cond_wait(&gen.cond, &gen.lock);
        pthread_mutex_unlock(&gen.lock);
    }
    return NULL;
}

static const char *condvar_many_body(void)
{
    pthread_t t[GEN_WAITERS];
    for (int i = 0; i < GEN_WAITERS; i++)
        START(&t[i], gen_waiter_fn, NULL);
    for (int round = 0; round < GENERATIONS; round++) {
        for (long long end = now_ns() + POLL_LIMIT_NS;;) { /* every waiter is in pthread_cond_wait */
            pthread_mutex_lock(&gen.lock);
            if (gen.arrived == GEN_WAITERS * (round + 1))
                break;
            pthread_mutex_unlock(&gen.lock);
            CHECK(now_ns() < end, "round %d: only %d of %d arrivals", round, gen.arrived, GEN_WAITERS * (round + 1));
            sleep_ms(1);
        }
        gen.generation++;
        if (round & 1) {
            pthread_cond_broadcast(&gen.cond);
        } else {
            for (int i = 0; i < GEN_WAITERS; i++)
                pthread_cond_signal(&gen.cond);
        }
        pthread_mutex_unlock(&gen.lock); /* signalled while holding it */
    }
    for (int i = 0; i < GEN_WAITERS; i++)
        JOIN(t[i], NULL);
    return PASS;
}

/* Four threads wait on one condition variable, 200 times: woken by
 * broadcast and by four signals while the mutex is held. musl then moves
 * the woken waiters to the mutex with FUTEX_REQUEUE_PRIVATE (without it,
 * this hangs: checked on Linux with seccomp making REQUEUE fail). */
static const char *thr_condvar_many_waiters(void) { return in_child(condvar_many_body); }

#define TLS_INIT 42
static __thread long tls_var = TLS_INIT; /* .tdata: an initial value */
static __thread char tls_zero[256];      /* .tbss: zero */
static pthread_barrier_t tls_barrier;
static void *tls_addr[NTASKS];

static void *tls_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    if (tls_var != TLS_INIT)
        return "a new thread's __thread variable does not hold its initial value";
    for (size_t k = 0; k < sizeof(tls_zero); k++)
        if (tls_zero[k])
            return "a new thread's __thread array (.tbss) is not zero";
    tls_var = 1000 + (long)i;
    memset(tls_zero, (int)i + 1, sizeof(tls_zero));
    tls_addr[i] = &tls_var;
    pthread_barrier_wait(&tls_barrier); /* everyone has written its own */
    if (tls_var != 1000 + (long)i || tls_zero[100] != (char)(i + 1))
        return "another thread's write changed this thread's __thread variable";
    return NULL;
}

static const char *tls_body(void)
{
    pthread_t t[NTASKS];
    tls_var = 7;
    tls_zero[0] = 9;
    CHECK(pthread_barrier_init(&tls_barrier, NULL, NTASKS) == 0, "pthread_barrier_init failed");
    for (uintptr_t i = 0; i < NTASKS; i++)
        START(&t[i], tls_fn, (void *)i);
    for (int i = 0; i < NTASKS; i++)
        JOIN_VERDICT(t[i]);
    CHECK(tls_var == 7 && tls_zero[0] == 9, "the main thread's __thread variables changed (%ld, %d)", tls_var,
          tls_zero[0]);
    for (int i = 0; i < NTASKS; i++) {
        CHECK(tls_addr[i] != (void *)&tls_var, "thread %d's tls_var is at the main thread's address", i);
        for (int j = 0; j < i; j++)
            CHECK(tls_addr[i] != tls_addr[j], "threads %d and %d share the address %p", i, j, tls_addr[i]);
    }
    return PASS;
}

/* __thread variables: each thread starts from the initial image (42,
 * zeroes), writes its own copy at its own address (FS base per thread),
 * and the main thread's copy stays as it was. */
static const char *thr_tls_distinct(void) { return in_child(tls_body); }

static int detached_done;

static void *detached_fn(void *arg)
{
    (void)arg;
    ADD(detached_done, 1);
    return NULL;
}

static const char *detached_body(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < NDETACHED; i++) {
        pthread_t t;
        int rc = pthread_create(&t, &attr, detached_fn, NULL);
        CHECK(rc == 0, "pthread_create (detached attribute): %s", errname(rc));
        rc = pthread_create(&t, NULL, detached_fn, NULL);
        CHECK(rc == 0, "pthread_create: %s", errname(rc));
        rc = pthread_detach(t);
        CHECK(rc == 0, "pthread_detach: %s", errname(rc));
    }
    CHECK(wait_flag(&detached_done, 2 * NDETACHED), "only %d of %d detached threads ran", LOAD(detached_done),
          2 * NDETACHED);
    /* A detached musl thread unmaps its own stack and exits: the kernel
     * then reaps it with nobody waiting. */
    CHECK(wait_tasks(1), "detached threads are still listed: %d tasks, Threads: %lld", list_tasks(NULL, 0),
          threads_line());
    return PASS;
}

/* 40 detached threads (by attribute and by pthread_detach) run, finish
 * and are gone from /proc/self/task without a join; the process goes on. */
static const char *thr_detached(void) { return in_child(detached_body); }

/* ---------------------------------------------------------------------------
 * Threads that end: pthread_exit, the main thread first, exit(), execve.
 * ------------------------------------------------------------------------- */

static volatile int spin_stop;
static long spin_count;

static void *spinner_fn(void *arg)
{
    (void)arg;
    while (!spin_stop)
        ADD(spin_count, 1);
    return NULL;
}

/* Three calls deep, then pthread_exit: no return from here. */
static volatile int exit_now = 1; /* (a path that returns, for the compiler) */

static __attribute__((noinline)) int exit_deep(int depth)
{
    if (depth == 0) {
        if (exit_now)
            pthread_exit((void *)0x55);
        return 0;
    }
    return exit_deep(depth - 1) + 1; /* not a tail call: three frames deep */
}

static void *exiter_fn(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)exit_deep(3);
}

static const char *exit_running_body(void)
{
    pthread_t spinner, exiter;
    void *ret;
    START(&spinner, spinner_fn, NULL);
    START(&exiter, exiter_fn, NULL);
    JOIN(exiter, &ret);
    CHECK(ret == (void *)0x55, "pthread_exit(0x55) deep in a thread gave %p to pthread_join", ret);
    long before = LOAD(spin_count);
    POLL_UNTIL(LOAD(spin_count) != before);
    CHECK(LOAD(spin_count) != before, "the other thread stopped running when one thread exited");
    CHECK(wait_tasks(2), "after one of two threads exited: %d tasks, Threads: %lld", list_tasks(NULL, 0),
          threads_line());
    spin_stop = 1;
    JOIN(spinner, NULL);
    return PASS;
}

/* A thread calls pthread_exit three calls deep while another one spins:
 * join gets its value, the spinner goes on, the exited one leaves /proc. */
static const char *thr_exit_while_others_run(void) { return in_child(exit_running_body); }

static int main_first_go[2], main_first_bye[2];

static void *survivor_fn(void *arg)
{
    (void)arg;
    if (wait_go(main_first_go[0]) != 0) /* the parent says: main is gone */
        exit(90);
    exit(7);
}

/* The main thread leaves with pthread_exit; the other thread ends the
 * process later with exit(7). The parent sees nothing to reap before. */
static const char *thr_main_exits_first(void)
{
    CHECK_OK(pipe(main_first_go));
    CHECK_OK(pipe(main_first_bye));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, survivor_fn, NULL) != 0)
            _exit(91);
        send_go(main_first_bye[1]);
        pthread_exit(NULL);
    }
    close(main_first_bye[1]); /* a child that dies early: end of file, not a hang */
    close(main_first_go[0]);
    int ok = wait_go(main_first_bye[0]) == 0;
    sleep_ms(50); /* the main thread is on its way out (or gone) */
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    signal(SIGPIPE, SIG_IGN); /* the child may be gone: EPIPE, not death */
    send_go(main_first_go[1]);
    signal(SIGPIPE, SIG_DFL);
    int final = r == pid ? st : wait_for(pid); /* (reaped already: it ended too soon) */
    close(main_first_bye[0]);
    close(main_first_go[1]);
    CHECK(final == -1 || !WIFEXITED(final) || WEXITSTATUS(final) != 91, "pthread_create failed in the child");
    CHECK(ok, "the child's main thread never said goodbye: it %s", status_str(final));
    CHECK(r == 0, "waitpid(WNOHANG) returned %d (%s) while a thread still ran: the process ended with its main thread",
          (int)r, r > 0 ? status_str(st) : errname(errno));
    CHECK_EXITED(final, 7);
    return PASS;
}

static void *group_exit_fn(void *arg)
{
    (void)arg;
    sleep_ms(20);
    exit(5); /* exit_group: every thread ends, the main one included */
}

/* exit() in one thread ends the main thread (blocked in read) and two
 * spinners: the parent reaps exit status 5, once. */
static const char *thr_exit_group_from_thread(void)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        pthread_t t;
        close(fds[1]);
        if (pthread_create(&t, NULL, spinner_fn, NULL) != 0 || pthread_create(&t, NULL, spinner_fn, NULL) != 0 ||
            pthread_create(&t, NULL, group_exit_fn, NULL) != 0)
            _exit(91);
        char c;
        read(fds[0], &c, 1); /* never returns: nobody writes */
        _exit(92);
    }
    close(fds[0]);
    int st = wait_for(pid);
    close(fds[1]);
    CHECK(st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 91), "pthread_create failed in the child");
    CHECK_EXITED(st, 5);
    errno = 0;
    pid_t again = waitpid(-1, &st, WNOHANG);
    CHECK(again == -1 && errno == ECHILD, "a second waitpid returned %d (%s): the group was reported twice", (int)again,
          errname(errno));
    return PASS;
}

static void *sleeper_fn(void *arg)
{
    (void)arg;
    for (;;)
        sleep_ms(1);
    return NULL;
}

/* A child whose main thread calls exit(6) after starting a spinning and
 * a sleeping thread; its pid, or -1. */
static pid_t fork_exiting_group(void)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, spinner_fn, NULL) != 0 || pthread_create(&t, NULL, sleeper_fn, NULL) != 0)
            _exit(91);
        sleep_ms(20);
        exit(6);
    }
    return pid;
}

/* exit() in the main thread while one thread spins and one sleeps: they
 * end with it, and the parent reaps exit status 6, once. Again with
 * SIGCHLD ignored (the kernel reaps the group itself): it vanishes. */
static const char *thr_exit_group_from_main(void)
{
    pid_t pid = fork_exiting_group();
    CHECK(pid != -1, "fork: %s", errname(errno));
    int st = wait_for(pid);
    CHECK(st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 91, "pthread_create failed in the child");
    CHECK_EXITED(st, 6);
    errno = 0;
    pid_t again = waitpid(-1, &st, WNOHANG);
    CHECK(again == -1 && errno == ECHILD, "a second waitpid returned %d (%s): the group was reported twice", (int)again,
          errname(errno));

    signal(SIGCHLD, SIG_IGN);
    pid = fork_exiting_group();
    int gone = 0;
    if (pid > 0) {
        POLL_UNTIL(kill(pid, 0) == -1 && errno == ESRCH);
        gone = kill(pid, 0) == -1 && errno == ESRCH;
    }
    errno = 0;
    again = waitpid(-1, &st, WNOHANG);
    int again_err = errno;
    signal(SIGCHLD, SIG_DFL);
    CHECK(pid != -1, "fork: %s", errname(errno));
    CHECK(gone, "with SIGCHLD ignored, the exited group %d is still there", (int)pid);
    CHECK(again == -1 && again_err == ECHILD, "with SIGCHLD ignored, waitpid found a child (%d, %s)", (int)again,
          errname(again_err));
    return PASS;
}

static char exec_pid_arg[16];

static void *exec_fn(void *arg)
{
    const char *self = arg;
    char *argv[] = {(char *)self, "@exec_thread", exec_pid_arg, NULL};
    execve(self, argv, environ);
    _exit(93);
}

/* execve in one of four threads: the new image (@exec_thread) finds one
 * thread, its tid equal to the pid, and the pid the one we forked. */
static const char *thr_exec_from_thread(void)
{
    const char *self = self_path();
    CHECK(self != NULL, "cannot find our own program file (argv[0] = %s)", test_argv0);
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        pthread_t t;
        snprintf(exec_pid_arg, sizeof(exec_pid_arg), "%d", (int)getpid());
        if (pthread_create(&t, NULL, spinner_fn, NULL) != 0 || pthread_create(&t, NULL, spinner_fn, NULL) != 0)
            _exit(91);
        sleep_ms(10);
        if (pthread_create(&t, NULL, exec_fn, (void *)self) != 0)
            _exit(91);
        for (;;)
            pause(); /* the exec ends this thread */
    }
    int st = wait_for(pid);
    static const char *const what[] = {"",
                                       "bad arguments to the new image",
                                       "the pid changed across execve",
                                       "gettid() != getpid() in the new image",
                                       "Threads: in /proc/self/status was not 1 in the new image",
                                       "/proc/self/task did not have exactly one entry in the new image"};
    CHECK(st != -1 && WIFEXITED(st), "the child %s", status_str(st));
    int code = WEXITSTATUS(st);
    CHECK(code != 91, "pthread_create failed in the child");
    CHECK(code != 93, "execve in a thread failed");
    CHECK(code == 0, "the exec'ed image: %s", code < (int)(sizeof(what) / sizeof(what[0])) ? what[code] : "?");
    return PASS;
}

/* The image a thread execs: "@exec_thread <pid before exec>". */
static int exec_thread_image(int argc, char **argv)
{
    if (argc != 3)
        return IMG_USAGE;
    if (getpid() != (pid_t)atoi(argv[2]))
        return IMG_PID;
    if (gettid_() != getpid())
        return IMG_TID;
    if (threads_line() != 1)
        return IMG_THREADS;
    if (list_tasks(NULL, 0) != 1)
        return IMG_TASKS;
    return IMG_OK;
}

/* ---------------------------------------------------------------------------
 * Identities and /proc.
 * ------------------------------------------------------------------------- */

static pthread_barrier_t id_barrier;
static pid_t id_pid[NTASKS], id_tid[NTASKS], id_ppid[NTASKS];

static void *id_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    id_pid[i] = getpid();
    id_tid[i] = gettid_();
    id_ppid[i] = getppid();
    pthread_barrier_wait(&id_barrier); /* all recorded: main looks at /proc */
    pthread_barrier_wait(&id_barrier); /* main has looked */
    return NULL;
}

/* The /proc/<pid>/task/<tid>/status of one of our tasks must name it. */
static const char *check_task_status(pid_t pid, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
    long long p = status_field(path, "Pid"), g = status_field(path, "Tgid");
    CHECK(p == tid && g == pid, "%s says Pid %lld, Tgid %lld (expected %d and %d)", path, p, g, (int)tid, (int)pid);
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    char buf[1024];
    CHECK(slurp(path, buf, sizeof(buf)) > 0, "%s: %s", path, errname(errno));
    CHECK(atoi(buf) == tid, "%s begins with %d, not the tid %d", path, atoi(buf), (int)tid);
    return PASS;
}

static const char *ids_body(void)
{
    pthread_t t[NTASKS];
    pid_t me = getpid();
    CHECK(gettid_() == me, "the main thread's tid %d is not the pid %d", (int)gettid_(), (int)me);
    CHECK(pthread_barrier_init(&id_barrier, NULL, NTASKS + 1) == 0, "pthread_barrier_init failed");
    for (uintptr_t i = 0; i < NTASKS; i++)
        START(&t[i], id_fn, (void *)i);
    pthread_barrier_wait(&id_barrier);

    const char *why = PASS;
    pid_t listed[NTASKS + 8];
    int n = list_tasks(listed, NTASKS + 8);
    long long threads = threads_line();
    for (int i = 0; i < NTASKS && why == PASS; i++) {
        if (id_pid[i] != me || id_ppid[i] != getppid())
            why = FAIL("thread %d: getpid %d, getppid %d (the process: %d, %d)", i, (int)id_pid[i], (int)id_ppid[i],
                       (int)me, (int)getppid());
        else if (id_tid[i] == me || id_tid[i] <= 0)
            why = FAIL("thread %d has tid %d (the pid is %d)", i, (int)id_tid[i], (int)me);
        for (int j = 0; j < i && why == PASS; j++)
            if (id_tid[i] == id_tid[j])
                why = FAIL("threads %d and %d share the tid %d", i, j, (int)id_tid[i]);
        int found = 0;
        for (int k = 0; k < n && k < NTASKS + 8; k++)
            found += listed[k] == id_tid[i];
        if (why == PASS && found != 1)
            why = FAIL("/proc/self/task lists tid %d %d times", (int)id_tid[i], found);
        if (why == PASS)
            why = check_task_status(me, id_tid[i]);
    }
    if (why == PASS && n != NTASKS + 1)
        why = FAIL("/proc/self/task has %d entries with %d threads running", n, NTASKS + 1);
    if (why == PASS && threads != NTASKS + 1)
        why = FAIL("/proc/self/status says Threads: %lld with %d threads running", threads, NTASKS + 1);
    if (why == PASS)
        why = check_task_status(me, me);
    pthread_barrier_wait(&id_barrier);
    for (int i = 0; i < NTASKS; i++)
        JOIN(t[i], NULL);
    if (why != PASS)
        return why;
    CHECK(wait_tasks(1), "after every thread was joined: %d tasks, Threads: %lld", list_tasks(NULL, 0), threads_line());
    return PASS;
}

/* getpid (and getppid) the same in every thread, gettid distinct, the
 * main thread's tid the pid; /proc/self/task lists each tid once, its
 * status says Pid: tid and Tgid: pid, Threads: counts them; after the
 * joins, one task again. */
static const char *thr_ids_and_proc_task(void) { return in_child(ids_body); }

/* Is name (a /proc entry) a number equal to tid? */
static int proc_lists(pid_t tid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        found += atoi(e->d_name) == tid;
    closedir(d);
    return found;
}

static const char *proc_tid_body(void)
{
    pthread_t t;
    CHECK(pthread_barrier_init(&id_barrier, NULL, 2) == 0, "pthread_barrier_init failed");
    START(&t, id_fn, (void *)0);
    pthread_barrier_wait(&id_barrier);
    pid_t tid = id_tid[0];
    int in_proc = proc_lists(tid), self_in_proc = proc_lists(getpid());
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    long long p = status_field(path, "Pid"), g = status_field(path, "Tgid");
    pthread_barrier_wait(&id_barrier);
    JOIN(t, NULL);
    CHECK(self_in_proc == 1, "our pid is listed %d times in /proc", self_in_proc);
    CHECK(in_proc == 0, "a thread's tid is listed in /proc (%d times): ps would show it as a process", in_proc);
    CHECK(p == tid && g == getpid(), "%s (not listed, but there) says Pid %lld, Tgid %lld (expected %d, %d)", path, p,
          g, (int)tid, (int)getpid());
    return PASS;
}

/* /proc lists processes, not threads: a thread's tid is not in the
 * listing, yet /proc/<tid>/status opens (as on Linux) and names it. */
static const char *thr_proc_tid_hidden(void) { return in_child(proc_tid_body); }

/* ---------------------------------------------------------------------------
 * Signals and threads.
 * ------------------------------------------------------------------------- */

static int sig_handled;        /* how many times the handler ran */
static volatile pid_t sig_tid; /* ... in which thread, the last time */
static volatile int sig_stop;  /* the waiting threads may leave */
static int sig_ready;          /* threads that are set up */
static pid_t sig_tids[NSIG_THREADS];

static void record_tid(int sig)
{
    (void)sig;
    sig_tid = gettid_();
    ADD(sig_handled, 1);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

#define UNBLOCKS 0x100 /* or'ed into sig_waiter_fn's argument */

/* A thread that records its tid as sig_tids[arg & 0xff], unblocks SIGUSR1
 * if arg has UNBLOCKS, and waits (sleeping) until told to stop. */
static void *sig_waiter_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg & 0xff;
    sig_tids[i] = gettid_();
    if ((uintptr_t)arg & UNBLOCKS) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    ADD(sig_ready, 1);
    while (!sig_stop)
        sleep_ms(1);
    return NULL;
}

static const char *process_signal_body(void)
{
    pthread_t t[NSIG_THREADS];
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    set_handler(SIGUSR1, record_tid, 0);
    sigprocmask(SIG_BLOCK, &usr1, NULL); /* inherited by every thread */
    for (uintptr_t i = 0; i < NSIG_THREADS; i++)
        START(&t[i], sig_waiter_fn, (void *)(i == 2 ? i | UNBLOCKS : i));
    CHECK(wait_flag(&sig_ready, NSIG_THREADS), "the threads did not start");

    kill(getpid(), SIGUSR1);
    int got = wait_flag(&sig_handled, 1);
    sleep_ms(20); /* time for a wrong second delivery to show */
    const char *why = PASS;
    if (!got)
        why = FAIL("kill(getpid(), SIGUSR1) was never handled, though thread 2 does not block it");
    else if (sig_tid != sig_tids[2])
        why = FAIL("the signal was handled by tid %d, not by %d, the only thread that does not block it", (int)sig_tid,
                   (int)sig_tids[2]);
    else if (LOAD(sig_handled) != 1)
        why = FAIL("one kill() was handled %d times", LOAD(sig_handled));
    sig_stop = 1;
    for (int i = 0; i < NSIG_THREADS; i++)
        JOIN(t[i], NULL);
    return why;
}

/* SIGUSR1 blocked in every thread but one; kill(getpid()) runs the
 * handler in that one thread, once. */
static const char *thr_signal_to_process(void) { return in_child(process_signal_body); }

static int suspend_returned; /* the thread in sigsuspend came back */

/* Thread 0 waits in sigsuspend (SIGUSR1 unblocked only there); the others
 * keep it blocked and sleep. */
static void *suspend_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    sig_tids[i] = gettid_();
    ADD(sig_ready, 1);
    if (i == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none); /* returns after the handler ran */
        ADD(suspend_returned, 1);
    }
    while (!sig_stop)
        sleep_ms(1);
    return NULL;
}

static const char *suspend_body(void)
{
    pthread_t t[NSIG_THREADS];
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    set_handler(SIGUSR1, record_tid, 0);
    sigprocmask(SIG_BLOCK, &usr1, NULL); /* inherited by every thread */
    for (uintptr_t i = 0; i < NSIG_THREADS; i++)
        START(&t[i], suspend_fn, (void *)i);
    CHECK(wait_flag(&sig_ready, NSIG_THREADS), "the threads did not start");
    sleep_ms(20); /* thread 0 is asleep in sigsuspend by now */
    kill(getpid(), SIGUSR1);
    int got = wait_flag(&suspend_returned, 1);
    const char *why = PASS;
    if (!got)
        why = FAIL("kill(getpid(), SIGUSR1) did not wake the thread asleep in sigsuspend, the only one that takes it");
    else if (sig_tid != sig_tids[0])
        why = FAIL("the signal was handled by tid %d, not by %d (asleep in sigsuspend)", (int)sig_tid, (int)sig_tids[0]);
    sig_stop = 1;
    if (!got)
        return why; /* the sleeper cannot be joined: the child's exit ends it */
    for (int i = 0; i < NSIG_THREADS; i++)
        JOIN(t[i], NULL);
    return why;
}

/* A process-directed signal must wake a sleeping thread that takes it:
 * every thread blocks SIGUSR1 but one, asleep in sigsuspend; kill() has
 * to find that one and wake it (kernel/signal.c:wake_group_for). */
static const char *thr_signal_wakes_sleeping_thread(void) { return in_child(suspend_body); }

static int pend_phase; /* 1: look at sigpending; 2: unblock */
static int pend_seen;  /* threads that saw SIGUSR1 pending */

static void *pending_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    sig_tids[i] = gettid_();
    ADD(sig_ready, 1);
    wait_flag(&pend_phase, 1);
    sigset_t p;
    sigpending(&p);
    if (sigismember(&p, SIGUSR1))
        ADD(pend_seen, 1);
    ADD(sig_ready, 1);
    wait_flag(&pend_phase, 2);
    if (i == 1) { /* this one takes it */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    while (!sig_stop)
        sleep_ms(1);
    return NULL;
}

static const char *pending_body(void)
{
    pthread_t t[NSIG_THREADS];
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    set_handler(SIGUSR1, record_tid, 0);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    for (uintptr_t i = 0; i < NSIG_THREADS; i++)
        START(&t[i], pending_fn, (void *)i);
    CHECK(wait_flag(&sig_ready, NSIG_THREADS), "the threads did not start");
    kill(getpid(), SIGUSR1);
    sleep_ms(20);
    int early = LOAD(sig_handled);
    STORE(pend_phase, 1);
    CHECK(wait_flag(&sig_ready, 2 * NSIG_THREADS), "the threads did not look at sigpending");
    STORE(pend_phase, 2);
    int got = wait_flag(&sig_handled, 1);
    sig_stop = 1;
    for (int i = 0; i < NSIG_THREADS; i++)
        JOIN(t[i], NULL);
    CHECK(early == 0, "a signal blocked by every thread was handled");
    CHECK(LOAD(pend_seen) == NSIG_THREADS, "only %d of %d threads saw the process's pending SIGUSR1 in sigpending",
          LOAD(pend_seen), NSIG_THREADS);
    CHECK(got, "the pending SIGUSR1 was not handled after thread 1 unblocked it");
    CHECK(sig_tid == sig_tids[1], "the pending signal went to tid %d, not to %d, which unblocked it", (int)sig_tid,
          (int)sig_tids[1]);
    return PASS;
}

/* A process signal that every thread blocks stays pending for the
 * process (sigpending shows it in every thread) until one thread
 * unblocks it: that thread runs the handler. */
static const char *thr_signal_pending_until_unblocked(void) { return in_child(pending_body); }

static const char *tgkill_body(void)
{
    pthread_t t[NSIG_THREADS];
    set_handler(SIGUSR2, record_tid, 0);
    for (uintptr_t i = 0; i < NSIG_THREADS; i++)
        START(&t[i], sig_waiter_fn, (void *)i);
    CHECK(wait_flag(&sig_ready, NSIG_THREADS), "the threads did not start");
    const char *why = PASS;
    pid_t me = getpid();
    for (int round = 0; round <= NSIG_THREADS && why == PASS; round++) {
        pid_t target = round < NSIG_THREADS ? sig_tids[round] : me; /* last: the main thread */
        int before = LOAD(sig_handled);
        if (tgkill_(me, target, SIGUSR2) != 0)
            why = FAIL("tgkill(%d, %d, SIGUSR2): %s", (int)me, (int)target, errname(errno));
        else if (!wait_flag(&sig_handled, before + 1))
            why = FAIL("tgkill to tid %d: the handler never ran", (int)target);
        else if (sig_tid != target)
            why = FAIL("tgkill to tid %d ran the handler in tid %d", (int)target, (int)sig_tid);
    }
    if (why == PASS) {
        int before = LOAD(sig_handled);
        if (syscall(SYS_tkill, sig_tids[1], SIGUSR2) != 0)
            why = FAIL("tkill: %s", errname(errno));
        else if (!wait_flag(&sig_handled, before + 1) || sig_tid != sig_tids[1])
            why = FAIL("tkill to tid %d: handled in tid %d", (int)sig_tids[1], (int)sig_tid);
    }
    errno = 0;
    int r0 = tgkill_(me, sig_tids[0], 0);
    int e0 = errno;
    errno = 0;
    int r1 = tgkill_(getppid(), sig_tids[0], SIGUSR2); /* the wrong group */
    int e1 = errno;
    errno = 0;
    int r2 = tgkill_(me, 0, SIGUSR2);
    int e2 = errno;
    errno = 0;
    int r3 = tgkill_(me, sig_tids[0], 65); /* no such signal */
    int e3 = errno;
    sig_stop = 1;
    for (int i = 0; i < NSIG_THREADS; i++)
        JOIN(t[i], NULL);
    if (why != PASS)
        return why;
    CHECK(r0 == 0, "tgkill(pid, tid, 0) returned %d (%s)", r0, errname(e0));
    CHECK(r1 == -1 && e1 == ESRCH, "tgkill with another process's tgid returned %d (%s), expected ESRCH", r1,
          errname(e1));
    CHECK(r2 == -1 && e2 == EINVAL, "tgkill(pid, 0, sig) returned %d (%s), expected EINVAL", r2, errname(e2));
    CHECK(r3 == -1 && e3 == EINVAL, "tgkill with signal 65 returned %d (%s), expected EINVAL", r3, errname(e3));
    /* After the join the tids are gone (poll: reaped a moment later). */
    CHECK(wait_tasks(1), "the threads are still listed after join");
    errno = 0;
    int r4 = tgkill_(me, sig_tids[0], SIGUSR2);
    CHECK(r4 == -1 && errno == ESRCH, "tgkill to an exited thread returned %d (%s), expected ESRCH", r4,
          errname(errno));
    return PASS;
}

/* tgkill (and tkill) to each of four threads and to the main thread: the
 * handler runs in that thread. Signal 0 checks only; the wrong tgid or a
 * gone thread is ESRCH, tid 0 or signal 65 EINVAL. */
static const char *thr_tgkill_one_thread(void) { return in_child(tgkill_body); }

static int mask_step;
static int mask_has_usr1(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

static void *mask_child_fn(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)mask_has_usr1();
}

/* Blocks SIGUSR1 in this thread only; its own new thread inherits that. */
static void *mask_blocker_fn(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    sig_tids[0] = gettid_();
    pthread_t t;
    void *inherited;
    if (pthread_create(&t, NULL, mask_child_fn, NULL) != 0 || pthread_join(t, &inherited) != 0)
        return "pthread_create in a thread failed";
    if (!inherited)
        return "a thread created by a thread that blocks SIGUSR1 did not inherit the mask";
    STORE(mask_step, 1);
    wait_flag(&mask_step, 2);
    return NULL;
}

/* The SigBlk mask in /proc/self/task/<tid>/status (or -1). */
static long long task_sigblk(pid_t tid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
    if (slurp(path, buf, sizeof(buf)) < 0)
        return -1;
    const char *p = strstr(buf, "\nSigBlk:\t");
    return p ? strtoll(p + 9, NULL, 16) : -1;
}

static const char *mask_body(void)
{
    pthread_t a, b;
    START(&a, mask_blocker_fn, NULL);
    wait_flag(&mask_step, 1);
    int main_blocks = mask_has_usr1();
    long long blk_a = task_sigblk(sig_tids[0]), blk_main = task_sigblk(getpid());
    void *b_blocks;
    START(&b, mask_child_fn, NULL);
    JOIN(b, &b_blocks);
    STORE(mask_step, 2);
    JOIN_VERDICT(a);
    long long bit = 1LL << (SIGUSR1 - 1);
    CHECK(!main_blocks, "pthread_sigmask in one thread blocked SIGUSR1 in the main thread too");
    CHECK(!b_blocks, "a thread created by the main thread inherited the other thread's mask");
    CHECK(blk_a >= 0 && (blk_a & bit), "/proc/self/task/%d/status SigBlk is %llx: SIGUSR1 (%llx) missing",
          (int)sig_tids[0], blk_a, bit);
    CHECK(blk_main >= 0 && !(blk_main & bit), "the main task's SigBlk is %llx: SIGUSR1 should not be there", blk_main);
    return PASS;
}

/* pthread_sigmask changes one thread's mask: not the main thread's, not
 * a thread's it did not create; a new thread inherits its creator's
 * mask; SigBlk in /proc/self/task/<tid>/status is per thread. */
static const char *thr_sigmask_per_thread(void) { return in_child(mask_body); }

static char altstack_main[ALTSTACK_SIZE], altstack_t[ALTSTACK_SIZE];
static volatile uintptr_t handler_sp;
static int alt_step;

static void record_sp(int sig)
{
    volatile char here;
    (void)sig;
    handler_sp = (uintptr_t)&here;
    sig_tid = gettid_();
    ADD(sig_handled, 1);
}

static int on_stack(uintptr_t sp, const char *stack)
{
    return sp >= (uintptr_t)stack && sp < (uintptr_t)stack + ALTSTACK_SIZE;
}

static void *alt_fn(void *arg)
{
    stack_t ss;
    sigaltstack(NULL, &ss);
    if (!(ss.ss_flags & SS_DISABLE))
        return "a new thread inherited its creator's alternate signal stack (CLONE_VM must disable it)";
    if (arg) {
        stack_t mine = {.ss_sp = altstack_t, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
        if (sigaltstack(&mine, NULL) != 0)
            return "sigaltstack in a thread failed";
    }
    sig_tids[arg ? 1 : 2] = gettid_();
    ADD(alt_step, 1);
    while (!sig_stop)
        sleep_ms(1);
    return NULL;
}

/* Send SIGUSR1 to tid; where did the handler's frame go? */
static const char *alt_probe(pid_t tid, uintptr_t *sp)
{
    int before = LOAD(sig_handled);
    CHECK(tgkill_(getpid(), tid, SIGUSR1) == 0, "tgkill: %s", errname(errno));
    CHECK(wait_flag(&sig_handled, before + 1), "the handler never ran in tid %d", (int)tid);
    CHECK(sig_tid == tid, "the signal for tid %d ran in tid %d", (int)tid, (int)sig_tid);
    *sp = handler_sp;
    return PASS;
}

static const char *altstack_body(void)
{
    stack_t mine = {.ss_sp = altstack_main, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    CHECK_OK(sigaltstack(&mine, NULL));
    set_handler(SIGUSR1, record_sp, SA_ONSTACK);
    pthread_t with, without;
    START(&with, alt_fn, (void *)1);
    START(&without, alt_fn, NULL);
    const char *why = wait_flag(&alt_step, 2) ? PASS : FAIL("the threads did not start");
    uintptr_t sp_with = 0, sp_without = 0, sp_main = 0;
    if (why == PASS)
        why = alt_probe(sig_tids[1], &sp_with);
    if (why == PASS)
        why = alt_probe(sig_tids[2], &sp_without);
    if (why == PASS)
        why = alt_probe(getpid(), &sp_main);
    sig_stop = 1;
    JOIN_VERDICT(with);
    JOIN_VERDICT(without);
    if (why != PASS)
        return why;
    CHECK(on_stack(sp_with, altstack_t), "the handler in the thread with its own alternate stack ran at %#lx",
          (unsigned long)sp_with);
    CHECK(!on_stack(sp_without, altstack_t) && !on_stack(sp_without, altstack_main),
          "the handler in a thread without an alternate stack ran on an alternate stack (%#lx)",
          (unsigned long)sp_without);
    CHECK(on_stack(sp_main, altstack_main), "the main thread's handler ran at %#lx, not on its alternate stack",
          (unsigned long)sp_main);
    return PASS;
}

/* sigaltstack is per thread: a new thread starts without one (Linux
 * disables it for CLONE_VM), a thread's own is used for its handlers
 * only, the main thread's for the main thread's. */
static const char *thr_sigaltstack_per_thread(void) { return in_child(altstack_body); }

static int chld_count;
static void count_chld(int sig)
{
    (void)sig;
    ADD(chld_count, 1);
}

static void *quick_exit_fn(void *arg)
{
    (void)arg;
    pthread_exit(NULL);
}

/* Threads that exit send no SIGCHLD and leave nothing to reap; the
 * group's exit is reported once, with the status of exit(4). */
static const char *thr_wait4_sees_group(void)
{
    int up[2], down[2];
    CHECK_OK(pipe(up));
    CHECK_OK(pipe(down));
    chld_count = 0;
    set_handler(SIGCHLD, count_chld, SA_RESTART);
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        pthread_t t[NTASKS];
        for (int i = 0; i < NTASKS; i++)
            if (pthread_create(&t[i], NULL, quick_exit_fn, NULL) != 0)
                _exit(91);
        for (int i = 0; i < NTASKS; i++)
            pthread_join(t[i], NULL);
        sleep_ms(20);
        send_go(up[1]);
        wait_go(down[0]);
        exit(4);
    }
    close(up[1]); /* a child that dies early: end of file, not a hang */
    close(down[0]);
    int ok = wait_go(up[0]) == 0;
    int st, early_chld = LOAD(chld_count);
    pid_t early = waitpid(pid, &st, WNOHANG);
    signal(SIGPIPE, SIG_IGN); /* the child may be gone: EPIPE, not death */
    send_go(down[1]);
    signal(SIGPIPE, SIG_DFL);
    int early_st = st;
    int final = early == pid ? early_st : wait_for(pid); /* (reaped already: it ended too soon) */
    int late_chld = wait_flag(&chld_count, 1) ? LOAD(chld_count) : 0;
    errno = 0;
    pid_t again = waitpid(-1, &st, WNOHANG);
    int again_err = errno;
    signal(SIGCHLD, SIG_DFL);
    close(up[0]);
    close(down[1]);
    CHECK(final == -1 || !WIFEXITED(final) || WEXITSTATUS(final) != 91, "pthread_create failed in the child");
    CHECK(ok, "the child never reported its threads joined: it %s", status_str(final));
    CHECK(early == 0, "waitpid(WNOHANG) after the threads' exits returned %d: a thread's exit was reported",
          (int)early);
    CHECK(early_chld == 0, "%d SIGCHLD came from the exits of threads", early_chld);
    CHECK_EXITED(final, 4);
    CHECK(late_chld == 1, "%d SIGCHLD for the exit of one process", late_chld);
    CHECK(again == -1 && again_err == ECHILD, "a second waitpid returned %d (%s)", (int)again, errname(again_err));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * One address space: shared writes, one frame, concurrent faults, munmap.
 * ------------------------------------------------------------------------- */

static volatile uint64_t *shared_page;
static int share_step;
static uint64_t share_pfn_thread;

static void *share_fn(void *arg)
{
    (void)arg;
    shared_page[0] = 0xA1; /* the first touch: the fault is taken by this thread */
    share_pfn_thread = pagemap_entry(shared_page);
    STORE(share_step, 1);
    wait_flag(&share_step, 2);
    if (shared_page[1] != 0xB2)
        return "the thread does not see the main thread's write";
    return NULL;
}

static const char *share_body(void)
{
    shared_page = map_pages(1);
    CHECK(shared_page != MAP_FAILED, "mmap: %s", errname(errno));
    pthread_t t;
    START(&t, share_fn, NULL);
    CHECK(wait_flag(&share_step, 1), "the thread did not write");
    CHECK(shared_page[0] == 0xA1, "the main thread reads %#llx where the thread wrote 0xA1",
          (unsigned long long)shared_page[0]);
    shared_page[1] = 0xB2;
    uint64_t mine = pagemap_entry(shared_page);
    STORE(share_step, 2);
    JOIN_VERDICT(t);
    CHECK(mine != ~0ULL && (mine & PM_PRESENT), "pagemap: the page is not present (%#llx)", (unsigned long long)mine);
    uint64_t pfn = mine & PM_PFN_MASK;
    CHECK(pfn == (share_pfn_thread & PM_PFN_MASK), "the thread sees PFN %#llx, the main thread %#llx: two frames",
          (unsigned long long)(share_pfn_thread & PM_PFN_MASK), (unsigned long long)pfn);

    /* A fork, for contrast: after the child's write, two frames. */
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        shared_page[0] = 0xC3;
        uint64_t child_pfn = pagemap_entry(shared_page) & PM_PFN_MASK;
        write_all(fds[1], (const char *)&child_pfn, sizeof(child_pfn));
        _exit(0);
    }
    uint64_t child_pfn = 0;
    int got = read(fds[0], &child_pfn, sizeof(child_pfn)) == sizeof(child_pfn);
    wait_for(pid);
    close(fds[0]);
    close(fds[1]);
    CHECK(got, "the forked child sent no PFN");
    CHECK(shared_page[0] == 0xA1, "the forked child's write reached the parent");
    if (pfn == 0) {
        out("# thr_shared_memory_one_frame: PFNs read as 0 (not root?): frames not compared\n");
        return PASS;
    }
    CHECK(child_pfn != pfn && child_pfn != 0, "after the forked child's write it has PFN %#llx, the parent %#llx",
          (unsigned long long)child_pfn, (unsigned long long)pfn);
    CHECK((pagemap_entry(shared_page) & PM_PFN_MASK) == pfn, "the parent's frame changed when the child wrote");
    return PASS;
}

/* A thread's first write is read by the main thread and the other way
 * round; pagemap shows one PFN from both threads. A forked child that
 * writes gets a frame of its own: two PFNs. */
static const char *thr_shared_memory_one_frame(void) { return in_child(share_body); }

static volatile uint64_t *race_pages;
static pthread_barrier_t race_barrier;
static uint64_t race_pfn[RACE_THREADS][RACE_PAGES];

static void *race_fn(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    pthread_barrier_wait(&race_barrier); /* all fault at once */
    for (int p = 0; p < RACE_PAGES; p++)
        race_pages[p * (PAGE_SIZE / 8) + i] = 0x1000 * (uint64_t)p + i;
    pthread_barrier_wait(&race_barrier);
    for (int p = 0; p < RACE_PAGES; p++) {
        for (uintptr_t j = 0; j < RACE_THREADS; j++)
            if (race_pages[p * (PAGE_SIZE / 8) + j] != 0x1000 * (uint64_t)p + j)
                return "a thread's write to a page another thread faulted in at the same time was lost";
        race_pfn[i][p] = pagemap_entry(&race_pages[p * (PAGE_SIZE / 8)]) & PM_PFN_MASK;
    }
    return NULL;
}

static const char *race_body(void)
{
    race_pages = map_pages(RACE_PAGES);
    CHECK(race_pages != MAP_FAILED, "mmap: %s", errname(errno));
    madvise((void *)race_pages, RACE_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE);
    CHECK(pthread_barrier_init(&race_barrier, NULL, RACE_THREADS) == 0, "pthread_barrier_init failed");
    pthread_t t[RACE_THREADS];
    for (uintptr_t i = 0; i < RACE_THREADS; i++)
        START(&t[i], race_fn, (void *)i);
    for (int i = 0; i < RACE_THREADS; i++)
        JOIN_VERDICT(t[i]);
    for (int p = 0; p < RACE_PAGES; p++)
        for (int i = 1; i < RACE_THREADS; i++)
            CHECK(race_pfn[i][p] == race_pfn[0][p], "page %d: thread %d sees PFN %#llx, thread 0 %#llx", p, i,
                  (unsigned long long)race_pfn[i][p], (unsigned long long)race_pfn[0][p]);
    return PASS;
}

/* Four threads write their own word into each of 64 fresh pages at once:
 * every word is there for everyone, and each page is one frame. */
static const char *thr_same_page_one_frame(void) { return in_child(race_body); }

static volatile char *unmap_page;
static long reads_done;

static void *reader_fn(void *arg)
{
    (void)arg;
    for (;;) {
        (void)unmap_page[0];
        ADD(reads_done, 1);
    }
    return NULL;
}

/* A thread reads a page in a loop; the main thread unmaps it. The next
 * read faults and SIGSEGV ends the whole process (a stale TLB entry would
 * let the loop run on until the alarm). */
static const char *thr_munmap_then_reader_dies(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        unmap_page = map_pages(1);
        if (unmap_page == MAP_FAILED)
            _exit(90);
        unmap_page[0] = 1;
        pthread_t t;
        if (pthread_create(&t, NULL, reader_fn, NULL) != 0)
            _exit(91);
        long wait = 0;
        while (LOAD(reads_done) < 1000 && wait++ < 100000000L)
            ;
        munmap((void *)unmap_page, PAGE_SIZE);
        for (;;)
            pause();
    }
    int st = wait_for(pid);
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 91), "pthread_create failed in the child");
    CHECK_KILLED_BY(st, SIGSEGV);
    return PASS;
}

static __thread sigjmp_buf fault_jmp;
static volatile pid_t fault_tid;
static volatile void *fault_addr;
static volatile int fault_code;
static int unmap_step;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_tid = gettid_();
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(fault_jmp, 1);
}

static void *toucher_fn(void *arg)
{
    (void)arg;
    sig_tids[0] = gettid_();
    (void)unmap_page[0]; /* in the TLB now */
    if (sigsetjmp(fault_jmp, 1) == 0) {
        STORE(unmap_step, 1);
        wait_flag(&unmap_step, 2);
        (void)unmap_page[0];
        return "a read of a page another thread had unmapped did not fault";
    }
    return NULL;
}

static const char *unmap_siginfo_body(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    unmap_page = map_pages(1);
    CHECK(unmap_page != MAP_FAILED, "mmap: %s", errname(errno));
    unmap_page[0] = 1;
    pthread_t t;
    START(&t, toucher_fn, NULL);
    CHECK(wait_flag(&unmap_step, 1), "the thread did not start");
    CHECK_OK(munmap((void *)unmap_page, PAGE_SIZE));
    STORE(unmap_step, 2);
    JOIN_VERDICT(t);
    CHECK(fault_tid == sig_tids[0], "the SIGSEGV was handled in tid %d, not in %d, which faulted", (int)fault_tid,
          (int)sig_tids[0]);
    CHECK(fault_addr == (void *)unmap_page, "si_addr is %p, the page was at %p", (void *)fault_addr,
          (void *)unmap_page);
    CHECK(fault_code == SEGV_MAPERR, "si_code is %d, expected SEGV_MAPERR", fault_code);
    return PASS;
}

/* After munmap returns in the main thread, a thread that had read the
 * page faults on its next read: SIGSEGV in that thread, si_addr the
 * page, SEGV_MAPERR. */
static const char *thr_munmap_then_fault_siginfo(void) { return in_child(unmap_siginfo_body); }

/* ---------------------------------------------------------------------------
 * clone's flag rules, affinity, fork in a thread, many threads.
 * ------------------------------------------------------------------------- */

/* In a child (a wrongly accepted clone must not hurt us): clone(flags)
 * with no new stack; the errno it failed with, 0 if it succeeded. */
static int clone_errno(unsigned long flags)
{
    pid_t pid = fork_child();
    if (pid == -1)
        return -1;
    if (pid == 0) {
        long r = syscall(SYS_clone, flags, 0, 0, 0, 0);
        if (r == 0)
            syscall(SYS_exit, 0); /* a wrongly made child or thread */
        _exit(r == -1 ? errno : 0);
    }
    int st = wait_for(pid);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* clone refuses the combinations Linux refuses, with EINVAL:
 * CLONE_THREAD without CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM,
 * CLONE_FS with CLONE_NEWNS (checked before anything is created). */
static const char *thr_clone_invalid_flags(void)
{
    static const struct {
        unsigned long flags;
        const char *name;
    } bad[] = {
        {CLONE_THREAD | CLONE_VM, "CLONE_THREAD|CLONE_VM (no CLONE_SIGHAND)"},
        {CLONE_THREAD, "CLONE_THREAD alone"},
        {CLONE_SIGHAND, "CLONE_SIGHAND (no CLONE_VM)"},
        {CLONE_THREAD | CLONE_SIGHAND, "CLONE_THREAD|CLONE_SIGHAND (no CLONE_VM)"},
        {CLONE_FS | CLONE_NEWNS, "CLONE_FS|CLONE_NEWNS"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int e = clone_errno(bad[i].flags);
        CHECK(e == EINVAL, "clone(%s) %s%s, expected EINVAL", bad[i].name, e == 0 ? "succeeded" : "failed with ",
              e == 0  ? ""
              : e < 0 ? "(the child crashed)"
                      : errname(e));
    }
    return PASS;
}

static void *affinity_fn(void *arg)
{
    (void)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(gettid_(), sizeof(set), &set) != 0 || CPU_COUNT(&set) < 1)
        return "sched_getaffinity(tid) in a thread failed";
    return NULL;
}

static const char *affinity_body(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_OK(sched_getaffinity(0, sizeof(set), &set));
    int n = CPU_COUNT(&set);
    CHECK(n >= 1, "sched_getaffinity: no CPU in our mask");
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
    CHECK(raw > 0 && raw % (long)sizeof(long) == 0 && raw <= (long)sizeof(set),
          "the raw sched_getaffinity returned %ld: Linux returns the bytes it wrote, a multiple of 8", raw);
    long onln = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(onln >= 1 && onln == n, "sysconf(_SC_NPROCESSORS_ONLN) is %ld, the mask has %d CPUs", onln, n);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL); /* not a multiple of 8 */
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), (void *)8), EFAULT);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 999999, sizeof(set), &set), ESRCH);
    CHECK_OK(sched_setaffinity(0, sizeof(set), &set));
    cpu_set_t none;
    CPU_ZERO(&none);
    CHECK_ERRNO(sched_setaffinity(0, sizeof(none), &none), EINVAL);
    pthread_t t;
    START(&t, affinity_fn, NULL);
    JOIN_VERDICT(t);
    return PASS;
}

/* sched_getaffinity: at least one CPU, the raw call returns the bytes it
 * wrote, EINVAL for a short or odd length, EFAULT, ESRCH; musl's sysconf
 * counts the same CPUs; setaffinity to our own mask works, to none is
 * EINVAL; a thread asks by its tid. */
static const char *thr_sched_affinity(void) { return in_child(affinity_body); }

static void *fork_in_thread_fn(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == -1)
        return "fork in a thread failed";
    if (pid == 0) {
        /* The child is a copy of this thread alone. */
        int ok = gettid_() == getpid() && threads_line() == 1 && list_tasks(NULL, 0) == 1;
        _exit(ok ? 0 : 1);
    }
    int st = wait_for(pid);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return "the child of a fork in a thread did not find itself alone (tid = pid, one task)";
    return NULL;
}

static const char *fork_thread_body(void)
{
    pthread_t spinner, forker;
    START(&spinner, spinner_fn, NULL);
    START(&forker, fork_in_thread_fn, NULL);
    JOIN_VERDICT(forker);
    long before = LOAD(spin_count);
    sleep_ms(5);
    POLL_UNTIL(LOAD(spin_count) != before);
    spin_stop = 1;
    JOIN(spinner, NULL);
    CHECK(LOAD(spin_count) != before, "the spinning thread stopped after another thread forked");
    return PASS;
}

/* fork in a thread (beside a spinning one): the child holds one thread,
 * the copy of the caller (its tid is its pid); the parent's threads run on. */
static const char *thr_fork_in_thread(void) { return in_child(fork_thread_body); }

static void *nothing_fn(void *arg) { return arg; }

static const char *many_body(void)
{
    long long before = frames_free_kb();
    for (int round = 0; round < NMANY / MANY_AT_ONCE; round++) {
        pthread_t t[MANY_AT_ONCE];
        for (uintptr_t i = 0; i < MANY_AT_ONCE; i++)
            START(&t[i], nothing_fn, (void *)i);
        for (uintptr_t i = 0; i < MANY_AT_ONCE; i++) {
            void *ret;
            JOIN(t[i], &ret);
            CHECK(ret == (void *)i, "thread %lu returned %p", (unsigned long)i, ret);
        }
    }
    for (uintptr_t i = 0; i < NMANY; i++) {
        pthread_t t;
        START(&t, nothing_fn, (void *)i);
        JOIN(t, NULL);
    }
    CHECK(wait_tasks(1), "threads are still listed after all were joined");
    if (on_pagewise()) {
        const char *why = check_frames_return(before, FRAME_SLACK_KB);
        if (why != PASS)
            return why;
    }
    return check_vmcheck();
}

/* 200 threads created and joined, 25 at a time and one by one: no task
 * left over, and on Pagewise the frames come back (stacks, page tables,
 * kernel stacks) and vm_check is clean. */
static const char *thr_many_no_leak(void) { return in_child(many_body); }

/* clang-format off */
static const struct test tests[] = {
    TEST(thr_create_join_values),
    TEST(thr_mutex_counter),
    TEST(thr_condvar_prodcons),
    TEST(thr_condvar_many_waiters),
    TEST(thr_tls_distinct),
    TEST(thr_detached),
    TEST(thr_exit_while_others_run),
    TEST(thr_main_exits_first),
    TEST(thr_exit_group_from_thread),
    TEST(thr_exit_group_from_main),
    TEST(thr_exec_from_thread),
    TEST(thr_ids_and_proc_task),
    TEST(thr_proc_tid_hidden),
    TEST(thr_signal_to_process),
    TEST(thr_signal_wakes_sleeping_thread),
    TEST(thr_signal_pending_until_unblocked),
    TEST(thr_tgkill_one_thread),
    TEST(thr_sigmask_per_thread),
    TEST(thr_sigaltstack_per_thread),
    TEST(thr_wait4_sees_group),
    TEST(thr_shared_memory_one_frame),
    TEST(thr_same_page_one_frame),
    TEST(thr_munmap_then_reader_dies),
    TEST(thr_munmap_then_fault_siginfo),
    TEST(thr_clone_invalid_flags),
    TEST(thr_sched_affinity),
    TEST(thr_fork_in_thread),
    TEST(thr_many_no_leak),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "@exec_thread") == 0)
        return exec_thread_image(argc, argv);
    return run_tests(argc, argv, tests, NTESTS(tests));
}
