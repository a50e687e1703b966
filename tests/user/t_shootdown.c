/*
 * tests/user/t_shootdown.c - TLB shootdown: when one CPU removes or
 * reduces a translation, a thread of the same process on another CPU must
 * not use its cached copy afterwards (docs/tlb.md, "The shootdown").
 *
 * Two threads pinned to two CPUs (sched_setaffinity): one keeps using a
 * page, the other unmaps it, write-protects it, or forks. "Afterwards" is
 * made exact with a flag: the changing thread sets it once its system call
 * has returned, and the using thread reads the flag before each access. An
 * access that succeeds after the flag was seen went through a stale
 * translation. The cases:
 *
 *   shoot_munmap_reader_faults      munmap on CPU 0: the reader on CPU 1 faults
 *   shoot_mprotect_writer_faults    mprotect(PROT_READ): the writer faults
 *   shoot_sleeper_faults_after_wake the reader sleeps (its CPU idles with the
 *                                   address space still loaded: lazy TLB),
 *                                   munmap, wake: its first access faults
 *   shoot_fork_child_snapshot       fork while a thread writes: the child's
 *                                   copy must not change after fork returned
 *   shoot_counters_move             nr_tlb_remote_flush(_received), Pagewise
 *   shoot_interrupts_tlb_line       /proc/interrupts: a TLB line, a count per CPU
 *
 * With one CPU (-smp 1) the same cases run with both threads on CPU 0 (the
 * local flush does the work) and the counter case is skipped. Runs on
 * Linux too (the counters exist there only with CONFIG_DEBUG_TLBFLUSH).
 *
 * Run: t_shootdown [test_name...]
 */
#include "testlib.h"
#include "threadlib.h"

#include <sched.h>
#include <stdlib.h>

#define WARM_READS 1000  /* accesses before the change: the TLB holds the page */
#define STALE_LIMIT 1000 /* accesses after the flag that prove a stale entry */
#define ROUNDS 20        /* changes per case */
#define PAGE_MAGIC 0x5eed
#define SNAPSHOT_WAIT_MS 30

static int ncpus;

/* The CPU the other thread uses: 1, or 0 on a one-CPU machine. */
static int other_cpu(void) { return ncpus > 1 ? 1 : 0; }

/* What a using thread shares with the changing one. */
struct shared {
    volatile int *page;
    int changed;     /* set by the changer once its call returned */
    int warm;        /* accesses made (the user counts, the changer waits) */
    int stale;       /* accesses that succeeded after `changed` was seen */
    int faulted;     /* the user took SIGSEGV after the change */
    int on_cpu;      /* where the user ran (sched_getcpu) */
    int sleep_fd[2]; /* shoot_sleeper: the user waits here */
    int write;       /* write instead of read */
};

static __thread sigjmp_buf fault_env;
static __thread volatile sig_atomic_t fault_armed; /* volatile: set around the access, read by the handler */

static void segv_handler(int sig)
{
    if (fault_armed)
        siglongjmp(fault_env, 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The using thread: pin, then access the page until the change makes the
 * access fault (good) or STALE_LIMIT accesses after the change succeed. */
static void *user_fn(void *arg)
{
    struct shared *s = arg;
    if (pin(other_cpu()) != 0)
        return "sched_setaffinity in the thread failed";
    STORE(s->on_cpu, sched_getcpu());
    if (sigsetjmp(fault_env, 1)) {
        fault_armed = 0;
        STORE(s->faulted, 1);
        return NULL;
    }
    fault_armed = 1;
    for (;;) {
        int seen = LOAD(s->changed);
        if (s->write)
            *s->page = PAGE_MAGIC;
        else if (*s->page != PAGE_MAGIC)
            break;
        ADD(s->warm, 1);
        if (seen && ADD(s->stale, 1) >= STALE_LIMIT)
            break;
    }
    fault_armed = 0;
    return NULL;
}

static const char *setup(struct shared *s, int write)
{
    memset(s, 0, sizeof(*s));
    s->write = write;
    s->page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(s->page != MAP_FAILED, "mmap: %s", errname(errno));
    *s->page = PAGE_MAGIC;
    return PASS;
}

/* Install the SIGSEGV handler and pin this thread to CPU 0. */
static const char *prepare(void)
{
    struct sigaction sa = {.sa_handler = segv_handler};
    CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
    CHECK(pin(0) == 0, "sched_setaffinity(CPU 0): %s", errname(errno));
    return PASS;
}

/* One round: start the user, let it warm its TLB, change the page with
 * change(), set the flag, judge. */
static const char *one_round(int write, int (*change)(struct shared *))
{
    struct shared s;
    const char *why = setup(&s, write);
    if (why)
        return why;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, user_fn, &s) == 0, "pthread_create failed");
    if (!wait_flag(&s.warm, WARM_READS))
        return "the thread on the other CPU never ran";
    CHECK(change(&s) == 0, "the change failed: %s", errname(errno));
    STORE(s.changed, 1);
    void *verdict;
    pthread_join(t, &verdict);
    CHECK(!verdict, "%s", (const char *)verdict);
    CHECK(s.on_cpu == other_cpu(), "the thread ran on CPU %d, not %d", s.on_cpu, other_cpu());
    CHECK(s.stale == 0, "%d accesses on CPU %d succeeded after the change returned on CPU 0: a stale TLB entry",
          s.stale, other_cpu());
    CHECK(s.faulted, "the thread on CPU %d did not fault", other_cpu());
    if (!write || !s.faulted) /* mprotect leaves the page mapped */
        return PASS;
    munmap((void *)s.page, PAGE_SIZE);
    return PASS;
}

static int do_munmap(struct shared *s) { return munmap((void *)s->page, PAGE_SIZE); }
static int do_mprotect(struct shared *s) { return mprotect((void *)s->page, PAGE_SIZE, PROT_READ); }

static const char *rounds(int write, int (*change)(struct shared *))
{
    const char *why = prepare();
    for (int i = 0; !why && i < ROUNDS; i++)
        why = one_round(write, change);
    return why;
}

static const char *munmap_body(void) { return rounds(0, do_munmap); }
static const char *mprotect_body(void) { return rounds(1, do_mprotect); }

/* After munmap returns on CPU 0, the reader on CPU 1 faults on its next
 * access: CPU 1 flushed before munmap returned. */
static const char *shoot_munmap_reader_faults(void) { return in_child(munmap_body); }

/* After mprotect(PROT_READ) returns, a write from the other CPU faults. */
static const char *shoot_mprotect_writer_faults(void) { return in_child(mprotect_body); }

/* ---- lazy TLB: the reader sleeps, its CPU idles with our page tables ---- */

static void *sleeper_fn(void *arg)
{
    struct shared *s = arg;
    if (pin(other_cpu()) != 0)
        return "sched_setaffinity in the thread failed";
    STORE(s->on_cpu, sched_getcpu());
    for (int i = 0; i < WARM_READS; i++)
        if (*s->page != PAGE_MAGIC)
            return "the page held the wrong value";
    STORE(s->warm, 1);
    char c;
    if (read(s->sleep_fd[0], &c, 1) != 1) /* sleeps; the CPU runs its idle task */
        return "read from the pipe failed";
    if (sigsetjmp(fault_env, 1)) {
        fault_armed = 0;
        STORE(s->faulted, 1);
        return NULL;
    }
    fault_armed = 1;
    int v = *s->page; /* after munmap: must fault */
    fault_armed = 0;
    (void)v;
    STORE(s->stale, 1);
    return NULL;
}

static const char *sleeper_body(void)
{
    const char *why = prepare();
    for (int i = 0; !why && i < ROUNDS; i++) {
        struct shared s;
        if ((why = setup(&s, 0)) != NULL)
            break;
        CHECK_OK(pipe(s.sleep_fd));
        pthread_t t;
        CHECK(pthread_create(&t, NULL, sleeper_fn, &s) == 0, "pthread_create failed");
        CHECK(wait_flag(&s.warm, 1), "the thread on the other CPU never ran");
        sleep_ms(2); /* it sleeps in read(); its CPU goes idle */
        CHECK_OK(munmap((void *)s.page, PAGE_SIZE));
        CHECK(write(s.sleep_fd[1], "w", 1) == 1, "write to the pipe failed");
        void *verdict;
        pthread_join(t, &verdict);
        close(s.sleep_fd[0]);
        close(s.sleep_fd[1]);
        CHECK(!verdict, "%s", (const char *)verdict);
        CHECK(!s.stale, "round %d: the woken thread read the unmapped page on CPU %d: its idle CPU kept a stale entry",
              i, s.on_cpu);
        CHECK(s.faulted, "round %d: the woken thread did not fault", i);
    }
    return why;
}

/* The reader fills its TLB, then sleeps; its CPU idles with our page
 * tables still loaded (lazy TLB: no CR3 write for the idle task). munmap
 * on CPU 0, then wake it: its first access must fault. Without the IPI
 * to the idle CPU, the reader would run on with the old entry (switching
 * back to it writes no CR3: the same page tables are loaded). */
static const char *shoot_sleeper_faults_after_wake(void) { return in_child(sleeper_body); }

/* ---- fork while a thread writes ---- */

static void *writer_fn(void *arg)
{
    struct shared *s = arg;
    if (pin(other_cpu()) != 0)
        return "sched_setaffinity in the thread failed";
    STORE(s->on_cpu, sched_getcpu());
    while (!LOAD(s->changed))
        *s->page = ADD(s->warm, 1); /* the page holds the count of writes */
    return NULL;
}

static const char *fork_body(void)
{
    const char *why = prepare();
    for (int i = 0; !why && i < ROUNDS / 4; i++) {
        struct shared s;
        if ((why = setup(&s, 1)) != NULL)
            break;
        int fds[2];
        CHECK_OK(pipe(fds));
        pthread_t t;
        CHECK(pthread_create(&t, NULL, writer_fn, &s) == 0, "pthread_create failed");
        CHECK(wait_flag(&s.warm, WARM_READS), "the writer on the other CPU never ran");
        pid_t pid = fork();
        CHECK(pid != -1, "fork: %s", errname(errno));
        if (pid == 0) { /* our copy of the page: frozen at the fork */
            int first = *s.page;
            sleep_ms(SNAPSHOT_WAIT_MS);
            int later = *s.page;
            _exit(first == later ? 0 : 1);
        }
        int st = wait_for(pid);
        STORE(s.changed, 1);
        pthread_join(t, NULL);
        close(fds[0]);
        close(fds[1]);
        CHECK(s.on_cpu == other_cpu(), "the writer ran on CPU %d, not %d", s.on_cpu, other_cpu());
        CHECK(st != -1 && WIFEXITED(st), "the child: %s", status_str(st));
        CHECK(WEXITSTATUS(st) == 0,
              "round %d: the child's copy changed after fork returned: the parent's thread on CPU %d wrote the "
              "shared frame through a stale writable entry",
              i, other_cpu());
        munmap((void *)s.page, PAGE_SIZE);
    }
    return why;
}

/* A thread on CPU 1 writes a page without pause while CPU 0 forks: once
 * fork returned, the child's copy (shared copy-on-write) must not change. */
static const char *shoot_fork_child_snapshot(void) { return in_child(fork_body); }

/* ---- counters ---- */

static const char *counters_body(void)
{
    const char *why = prepare();
    if (why)
        return why;
    long long sent = vmstat_get("nr_tlb_remote_flush"), got = vmstat_get("nr_tlb_remote_flush_received");
    CHECK(sent >= 0 && got >= 0, "no nr_tlb_remote_flush(_received) in /proc/vmstat");
    if ((why = one_round(0, do_munmap)) != NULL)
        return why;
    long long sent2 = vmstat_get("nr_tlb_remote_flush"), got2 = vmstat_get("nr_tlb_remote_flush_received");
    CHECK(sent2 > sent, "nr_tlb_remote_flush did not move (%lld -> %lld)", sent, sent2);
    CHECK(got2 > got, "nr_tlb_remote_flush_received did not move (%lld -> %lld)", got, got2);
    return PASS;
}

/* A munmap of a page the other CPU uses costs at least one shootdown,
 * sent and received (Pagewise: Linux counts these only with
 * CONFIG_DEBUG_TLBFLUSH). */
static const char *shoot_counters_move(void)
{
    if (!on_pagewise() || ncpus < 2) {
        out("# shoot_counters_move: skipped (%s)\n",
            ncpus < 2 ? "one CPU" : "Linux counts shootdowns only with CONFIG_DEBUG_TLBFLUSH");
        return PASS;
    }
    return in_child(counters_body);
}

/* /proc/interrupts: a header with one CPUn per online CPU, and a TLB line
 * with as many counts. */
static const char *shoot_interrupts_tlb_line(void)
{
    static char buf[16384];
    CHECK(slurp("/proc/interrupts", buf, sizeof(buf)) > 0, "cannot read /proc/interrupts");
    int header = 0;
    for (const char *p = buf; (p = strstr(p, "CPU")) && p < strchr(buf, '\n'); p++)
        header++;
    CHECK(header == ncpus, "the header names %d CPUs, %d are online", header, ncpus);
    const char *tlb = strstr(buf, "\nTLB:");
    CHECK(tlb, "no TLB: line");
    tlb += strlen("\nTLB:");
    int counts = 0;
    char *end;
    for (;;) {
        strtoull(tlb, &end, 10);
        if (end == tlb)
            break;
        counts++;
        tlb = end;
    }
    CHECK(counts == ncpus, "the TLB line has %d counts for %d CPUs", counts, ncpus);
    return PASS;
}

static const struct test tests[] = {
    TEST(shoot_munmap_reader_faults), TEST(shoot_mprotect_writer_faults), TEST(shoot_sleeper_faults_after_wake),
    TEST(shoot_fork_child_snapshot),  TEST(shoot_counters_move),          TEST(shoot_interrupts_tlb_line),
};

int main(int argc, char **argv)
{
    ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return run_tests(argc, argv, tests, NTESTS(tests));
}
