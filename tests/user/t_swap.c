/*
 * tests/user/t_swap.c - swapping, bit for bit. Meant for a boot with a
 * small RAM and a swap disk (tests/boots.py: MEM 64M, SWAP 256M): the
 * working sets below are larger than RAM, so pages must go to the disk
 * and come back, possibly in other frames, with every word intact.
 *
 * Natively (Linux, any amount of RAM) the same code runs on 64 MiB: it
 * then checks only the arithmetic, which is still worth doing.
 */
#include <pthread.h>
#include <sched.h>

#include "testlib.h"

#include <sys/shm.h>

#define ROUNDS 3
#define SWAP_CASE_TIMEOUT 400

/* Bytes to use: twice the RAM on Pagewise, 64 MiB natively. */
static size_t working_set(void)
{
    if (!on_pagewise())
        return 64 * MiB;
    return (size_t)meminfo_kb("MemTotal") * 1024 * 2;
}

static uint64_t pattern(uint64_t i, uint64_t round) { return (i * 0x9e3779b97f4a7c15ull) ^ (round * 0x5bd1e995u) ^ ~round; }

/* Write every word, then verify every word; returns the bad words. */
static size_t write_verify(uint64_t *p, size_t words, uint64_t round)
{
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        p[i] = pattern(i, round);
    for (size_t i = 0; i < words; i++)
        bad += p[i] != pattern(i, round);
    return bad;
}

#define FRAME_SLACK_KB 256 /* kernel slabs may keep a few frames */
static long long frames_before = -1; /* frames_free_kb() before the first swapping case */

static const char *swap_is_on(void)
{
    frames_before = frames_free_kb();
    if (!on_pagewise())
        return PASS;
    CHECK(meminfo_kb("SwapTotal") > 0, "SwapTotal is 0: no swap disk?");
    int fd = open("/proc/swaps", O_RDONLY);
    char buf[512] = {0};
    CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0, "/proc/swaps unreadable");
    close(fd);
    CHECK(strstr(buf, "partition"), "/proc/swaps lists no swap area: %s", buf);
    return PASS;
}

/* One process, twice the RAM, three patterns: every word comes back. */
static const char *swap_twice_ram_bit_for_bit(void)
{
    alarm(SWAP_CASE_TIMEOUT); /* a slow disk: more than testlib's default */
    size_t bytes = working_set(), words = bytes / 8;
    long long out0 = vmstat_get("pswpout"), in0 = vmstat_get("pswpin");
    uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap %zu MiB: %s", bytes / MiB, errname(errno));
    size_t bad = 0;
    for (uint64_t round = 0; round < ROUNDS; round++)
        bad += write_verify(p, words, round);
    munmap(p, bytes);
    CHECK(bad == 0, "%zu bad words in %zu MiB", bad, bytes / MiB);
    if (on_pagewise())
        CHECK(vmstat_get("pswpout") > out0 && vmstat_get("pswpin") > in0, "no swapping happened (pswpout %lld->%lld)", out0,
              vmstat_get("pswpout"));
    return PASS;
}

/* Three processes at once, each with two thirds of the RAM. */
static const char *swap_three_processes(void)
{
    alarm(SWAP_CASE_TIMEOUT);
    size_t bytes = working_set() / 3, words = bytes / 8;
    pid_t pids[3];
    for (int k = 0; k < 3; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            _exit(p == MAP_FAILED ? 2 : write_verify(p, words, (uint64_t)k + 10) ? 1 : 0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int st;
        CHECK(waitpid(pids[k], &st, 0) == pids[k], "waitpid");
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %s", k, status_str(st));
    }
    return PASS;
}

/* Pages shared copy-on-write go to swap as one slot and come back for
 * both; then each writes its own data. */
static const char *swap_cow_shared_pages(void)
{
    alarm(SWAP_CASE_TIMEOUT);
    size_t bytes = working_set() / 4, words = bytes / 8;
    uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap");
    for (size_t i = 0; i < words; i++)
        p[i] = pattern(i, 77);
    pid_t pid = fork();
    if (pid == 0) {
        /* Push the shared pages out with a hog, then check and rewrite. */
        size_t hog = working_set() / 2;
        uint64_t *h = mmap(NULL, hog, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (h != MAP_FAILED) {
            for (size_t i = 0; i < hog / 8; i += 512)
                h[i] = i;
            munmap(h, hog);
        }
        size_t bad = 0;
        for (size_t i = 0; i < words; i++)
            bad += p[i] != pattern(i, 77);
        for (size_t i = 0; i < words; i++)
            p[i] = pattern(i, 78);
        for (size_t i = 0; i < words; i++)
            bad += p[i] != pattern(i, 78);
        _exit(bad ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        bad += p[i] != pattern(i, 77);
    munmap(p, bytes);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", status_str(st));
    CHECK(bad == 0, "the parent's copy has %zu bad words after the child's swapping", bad);
    return PASS;
}

/* While one process swaps, a CPU-bound one keeps running: the swapper
 * sleeps during disk I/O instead of holding the CPU. */
static const char *swap_io_sleeps_cpu_progresses(void)
{
    alarm(SWAP_CASE_TIMEOUT);
    int p[2];
    CHECK_OK(pipe(p));
    pid_t spinner = fork();
    if (spinner == 0) {
        close(p[0]);
        uint64_t count = 0;
        long long t0 = now_ns();
        while (now_ns() - t0 < 3000000000LL)
            count++;
        write(p[1], &count, sizeof(count));
        _exit(0);
    }
    close(p[1]);
    size_t bytes = working_set() * 3 / 4, words = bytes / 8;
    uint64_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t bad = m == MAP_FAILED ? 1 : write_verify(m, words, 5);
    if (m != MAP_FAILED)
        munmap(m, bytes);
    uint64_t count = 0;
    read(p[0], &count, sizeof(count));
    close(p[0]);
    int st;
    waitpid(spinner, &st, 0);
    CHECK(bad == 0, "%zu bad words", bad);
    CHECK(count > 1000, "the CPU-bound process made only %llu iterations", (unsigned long long)count);
    return PASS;
}

/* A SysV segment larger than the RAM, shared by two processes: its pages
 * go to swap and come back for either of them, every word intact. */
static const char *swap_shm_larger_than_ram(void)
{
    alarm(SWAP_CASE_TIMEOUT);
    size_t bytes = working_set() * 3 / 4, words = bytes / 8;
    int id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget %zu MiB: %s", bytes / MiB, errname(errno));
    uint64_t *p = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL); /* freed when both have detached */
    CHECK(p != (void *)-1, "shmat: %s", errname(errno));
    for (size_t i = 0; i < words; i++)
        p[i] = pattern(i, 40);
    pid_t pid = fork();
    if (pid == 0) {
        size_t bad = 0;
        for (size_t i = 0; i < words; i++)
            bad += p[i] != pattern(i, 40);
        for (size_t i = 0; i < words; i++)
            p[i] = pattern(i, 41);
        _exit(bad ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        bad += p[i] != pattern(i, 41);
    shmdt(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", status_str(st));
    CHECK(bad == 0, "%zu words the child wrote did not reach the parent", bad);
    return PASS;
}

#define CLUSTER_PAGES 256 /* 8 write clusters of 32, 16 read-around runs of 16 */

/* Clustered swap I/O: paging out a run of pages writes it to consecutive
 * slots in requests of up to 32 pages, and reading the run back in order
 * brings each next 15 pages in with the faulting one (mapped before they
 * are touched: no fault at all for them). The counters are Pagewise's own
 * (nr_swap_requests, nr_swap_readaround); natively only the data is checked. */
static const char *swap_clustered_io(void)
{
    uint64_t *p = mmap(NULL, CLUSTER_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    size_t words = CLUSTER_PAGES * PAGE_SIZE / 8;
    for (size_t i = 0; i < words; i++)
        p[i] = pattern(i, 7);
    long long rq0 = vmstat_get("nr_swap_requests"), out0 = vmstat_get("pswpout");
    const char *why = page_out(p, CLUSTER_PAGES, CLUSTER_PAGES);
    if (why)
        return why;
    long long rq1 = vmstat_get("nr_swap_requests"), out1 = vmstat_get("pswpout"), ra1 = vmstat_get("nr_swap_readaround");
    long f0 = minflt() + majflt();
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        bad += p[i] != pattern(i, 7);
    long faults = minflt() + majflt() - f0;
    long long rq2 = vmstat_get("nr_swap_requests"), ra2 = vmstat_get("nr_swap_readaround");
    munmap(p, CLUSTER_PAGES * PAGE_SIZE);
    CHECK(bad == 0, "%zu words wrong after the round trip through swap", bad);
    if (!on_pagewise() || meminfo_kb("SwapTotal") <= 0)
        return PASS;
    CHECK(out1 - out0 == CLUSTER_PAGES, "pswpout grew by %lld, want %d", out1 - out0, CLUSTER_PAGES);
    out("# %d pages out in %lld requests; back in %lld requests, %lld of them by read-around, %ld faults\n",
        CLUSTER_PAGES, rq1 - rq0, rq2 - rq1, ra2 - ra1, faults);
    /* Slots in use from earlier cases may break a run: ask for 8 pages per
     * request on average (one page per request without clustering). */
    CHECK(rq1 - rq0 <= CLUSTER_PAGES / 8, "%lld write requests for %d pages paged out together (want <= %d)",
          rq1 - rq0, CLUSTER_PAGES, CLUSTER_PAGES / 8);
    CHECK(rq2 - rq1 <= CLUSTER_PAGES / 8, "%lld read requests for %d pages read in order (want <= %d)", rq2 - rq1,
          CLUSTER_PAGES, CLUSTER_PAGES / 8);
    CHECK(ra2 - ra1 >= CLUSTER_PAGES * 3 / 4, "only %lld of %d pages came by read-around", ra2 - ra1, CLUSTER_PAGES);
    CHECK(faults <= CLUSTER_PAGES / 8, "%ld faults reading %d pages back (read-around maps the rest)", faults,
          CLUSTER_PAGES);
    return PASS;
}

#define SIBLING_PAGES 16

/* What the sibling thread of swap_fault_sleeps_sibling_munmap_waits does. */
struct sibling {
    uint64_t *p;
    volatile int go;
    int munmap_result;
};

static void *sibling_unmaps(void *arg)
{
    struct sibling *s = arg;
    while (!s->go)
        sched_yield();
    s->munmap_result = munmap(s->p, SIBLING_PAGES * PAGE_SIZE);
    return NULL;
}

/* In a child: a thread reads a page that is in swap, so its fault sleeps
 * on the disk, while its sibling thread (runnable, spinning) munmaps the
 * region. The mm's lock (mm/mm.h: mm_lock) makes such a munmap wait until
 * the fault is done: the read gets its data and no page is mapped into a
 * table munmap freed (vm_check, in this boot, would say so). On one CPU
 * the emulated disk usually finishes before the sibling gets to munmap,
 * so this checks that the combination stays correct; it does not force
 * the interleaving (a mutant without the lock was not caught). Exits 0 if
 * the data came back. */
static int fault_vs_munmap(void)
{
    uint64_t *p = mmap(NULL, SIBLING_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    for (size_t i = 0; i < SIBLING_PAGES * PAGE_SIZE / 8; i++)
        p[i] = pattern(i, 11);
    if (page_out(p, SIBLING_PAGES, on_pagewise() && meminfo_kb("SwapTotal") > 0 ? SIBLING_PAGES : 0))
        return 3;
    struct sibling s = {p, 0, -1};
    pthread_t th;
    if (pthread_create(&th, NULL, sibling_unmaps, &s))
        return 4;
    sched_yield(); /* let it start spinning */
    s.go = 1;
    uint64_t v = p[PAGE_SIZE / 8 * 3]; /* page 3: a major fault (read-around brings its neighbours) */
    pthread_join(th, NULL);
    if (s.munmap_result != 0)
        return 5;
    return v == pattern(PAGE_SIZE / 8 * 3, 11) ? 0 : 6;
}

static const char *swap_fault_sleeps_sibling_munmap_waits(void)
{
    int st = run_in_child(fault_vs_munmap);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the pages did not go to swap");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 6), "the faulting thread read the wrong data");
    CHECK_EXITED(st, 0);
    return PASS;
}

/* After everything, free frames and free swap slots are back. */
static const char *swap_everything_returns(void)
{
    if (!on_pagewise())
        return PASS;
    const char *leak = check_no_swap_leak(); /* only this process is alive */
    if (leak || frames_before < 0) /* (frames: only when run from the first case) */
        return leak;
    return check_frames_return(frames_before, FRAME_SLACK_KB);
}

static const struct test tests[] = {
    TEST(swap_is_on),
    TEST(swap_twice_ram_bit_for_bit),
    TEST(swap_three_processes),
    TEST(swap_cow_shared_pages),
    TEST(swap_io_sleeps_cpu_progresses),
    TEST(swap_shm_larger_than_ram),
    TEST(swap_clustered_io),
    TEST(swap_fault_sleeps_sibling_munmap_waits),
    TEST(swap_everything_returns),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
