/*
 * tests/user/t_smprace.c - races that a big kernel lock does not prevent
 * (docs/smp.md, "Races the BKL does not prevent").
 *
 * The BKL serializes kernel code, but user code runs on the other CPUs at
 * the same time, and the CPU itself writes page-table entries behind the
 * kernel's back: the Accessed and Dirty bits. Each case puts a thread on
 * CPU 1 doing something ordinary while the main thread on CPU 0 makes the
 * kernel work on the same pages, over and over, and checks that nothing
 * the thread did was lost:
 *
 *   race_pageout_keeps_writes   the thread reads a page back from swap (a
 *                               clean copy stays on swap, the PTE writable
 *                               with Dirty clear), then writes it while
 *                               CPU 0 pages it out with MADV_PAGEOUT: a
 *                               write that sets the Dirty bit between
 *                               reclaim's look at it and the unmap must
 *                               still reach swap
 *   race_mprotect_keeps_writes  the same, CPU 0 doing mprotect(PROT_READ),
 *                               mprotect(PROT_READ|PROT_WRITE) and the
 *                               page-out while the thread writes
 *
 * With one CPU the threads take turns and the cases pass trivially (they
 * are meant for -smp 2 and 4: boots t_smprace_smp2/4). Runs on Linux too
 * (without swap MADV_PAGEOUT keeps the pages: the contents are checked
 * all the same).
 *
 * Run: t_smprace [test_name...]
 */
#include "testlib.h"
#include "threadlib.h"

#include <sched.h>

#define RACE_PAGES 1          /* one page: each round costs a swap-in, and one crossing is all it takes */
#define RACE_MS 4000          /* how long each case hammers */
#define WORD_STRIDE (PAGE_SIZE / sizeof(long))
#define RACE_SPIN_MASK 0x7fff /* the writer's random delay: up to 32,767 steps */

static int ncpus;

/* The CPU the writing thread uses: 1, or 0 on a one-CPU machine. */
static int other_cpu(void) { return ncpus > 1 ? 1 : 0; }

struct race {
    volatile long *mem;      /* RACE_PAGES pages; word 0 of each is the thread's */
    long expect[RACE_PAGES]; /* what the thread last wrote to each page */
    int stop;                /* set by the main thread: the time is up */
    int read_done;           /* the thread's passes that finished reading */
    int go;                  /* the main thread's racing calls started */
    int done;                /* the main thread's rounds finished */
    long lost_page, lost_want, lost_got; /* the first lost write, if any */
    int lost;
};

/* Spin n steps (a delay that keeps the CPU in user mode). */
static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* The writing thread, in lockstep with the main thread: a pass reads the
 * page (which swaps it back in: a clean copy, its Dirty bit clear) and
 * checks it holds the last value written; then, once the main thread's
 * racing call has begun and after a random delay, writes a new value
 * (setting the Dirty bit without a fault, if the page is still mapped);
 * then waits until the main thread has paged it out again. A write the
 * kernel missed is found by the next pass's read. */
static void *writer_fn(void *arg)
{
    struct race *r = arg;
    if (pin(other_cpu()) != 0)
        return "sched_setaffinity in the thread failed";
    long v = 1;
    unsigned seed = 1;
    for (int pass = 1; !LOAD(r->stop); pass++) {
        for (int i = 0; i < RACE_PAGES; i++) {
            long got = r->mem[i * WORD_STRIDE];
            if (got != r->expect[i] && !r->lost) {
                r->lost_page = i, r->lost_want = r->expect[i], r->lost_got = got;
                STORE(r->lost, 1);
            }
        }
        STORE(r->read_done, pass);
        while (LOAD(r->go) < pass && !LOAD(r->stop))
            ;
        seed = seed * 1103515245 + 12345;
        spin(seed >> 16 & RACE_SPIN_MASK);
        for (int i = 0; i < RACE_PAGES; i++) {
            r->mem[i * WORD_STRIDE] = ++v;
            r->expect[i] = v;
        }
        if (LOAD(r->lost))
            break;
        while (LOAD(r->done) < pass && !LOAD(r->stop))
            ;
    }
    return NULL;
}

static int pageout(struct race *r)
{
    if (madvise((void *)r->mem, RACE_PAGES * PAGE_SIZE, MADV_PAGEOUT) == 0)
        return 0;
    return errno == EINVAL && !on_pagewise() ? 0 : -1; /* an older Linux */
}

/* Run the writer on CPU 1 while `kernel_work` runs on CPU 0 until
 * RACE_MS passed or a write was lost. */
static const char *race_body(int (*kernel_work)(struct race *))
{
    static struct race r;
    memset(&r, 0, sizeof(r));
    CHECK(pin(0) == 0, "sched_setaffinity(CPU 0): %s", errname(errno));
    r.mem = mmap(NULL, RACE_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(r.mem != MAP_FAILED, "mmap: %s", errname(errno));
    for (int i = 0; i < RACE_PAGES; i++)
        r.mem[i * WORD_STRIDE] = 0; /* expect[i] is 0 too */
    long long out0 = vmstat_get("pswpout"), in0 = vmstat_get("pswpin"), st0 = vmstat_get("pgsteal");
    pthread_t t;
    START(&t, writer_fn, &r);
    long long end = now_ns() + RACE_MS * 1000000LL;
    int calls = 0;
    long long call_ns = 0, start = now_ns();
    const char *why = PASS;
    while (now_ns() < end && !LOAD(r.lost)) {
        while (LOAD(r.read_done) <= calls && !LOAD(r.lost) && now_ns() < end)
            ;
        STORE(r.go, calls + 1);
        long long t0 = now_ns();
        int kw = kernel_work(&r);
        call_ns += now_ns() - t0;
        kw |= pageout(&r); /* whatever the writer did: the pages go out, it reads them back */
        STORE(r.done, calls + 1);
        if (kw != 0) {
            why = FAIL("the call failed: %s", errname(errno));
            break;
        }
        calls++;
    }
    STORE(r.stop, 1);
    JOIN_VERDICT(t);
    if (why)
        return why;
    out("# %lld ms of %lld in the calls; pgsteal %lld\n", call_ns / 1000000, (now_ns() - start) / 1000000,
        vmstat_get("pgsteal") - st0);
    out("# %d calls on CPU 0 beside the writer on CPU %d; %lld pages swapped out, %lld in\n", calls, other_cpu(),
        vmstat_get("pswpout") - out0, vmstat_get("pswpin") - in0);
    CHECK(!r.lost,
          "page %ld lost a write: it holds %ld, the thread on CPU %d wrote %ld (a Dirty bit set while CPU 0 "
          "was unmapping it was missed: the clean copy on swap came back)",
          r.lost_page, r.lost_got, other_cpu(), r.lost_want);
    CHECK(calls > 0, "the writer never finished a pass");
    munmap((void *)r.mem, RACE_PAGES * PAGE_SIZE);
    return PASS;
}

static const char *pageout_body(void) { return race_body(pageout); }

/* Reclaim looks at the Dirty bits of a page that was swapped in (it still
 * has its copy on swap) to decide whether to write it again, then unmaps
 * it. A write on another CPU between the two sets a Dirty bit that must
 * not be lost: the copy on swap would come back, without the write. */
static const char *race_pageout_keeps_writes(void) { return in_child(pageout_body); }

static int protect_pageout(struct race *r)
{
    size_t len = RACE_PAGES * PAGE_SIZE;
    if (mprotect((void *)r->mem, len, PROT_READ) != 0 || mprotect((void *)r->mem, len, PROT_READ | PROT_WRITE) != 0)
        return -1;
    return pageout(r);
}

/* A write while the pages are read-only faults; returning from the
 * handler runs it again, until mprotect made the pages writable. */
static void retry_handler(int sig) { (void)sig; }

static const char *protect_body(void)
{
    struct sigaction sa = {.sa_handler = retry_handler};
    CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
    return race_body(protect_pageout);
}

/* mprotect rewrites each PTE; a Dirty bit set by the other CPU while it
 * does must stay (reclaim then writes the page again), and a write after
 * mprotect(PROT_READ) returned faults. */
static const char *race_mprotect_keeps_writes(void) { return in_child(protect_body); }

static const struct test tests[] = {
    TEST(race_pageout_keeps_writes),
    TEST(race_mprotect_keeps_writes),
};

int main(int argc, char **argv)
{
    ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return run_tests(argc, argv, tests, NTESTS(tests));
}

