/*
 * tests/user/t_clock.c - page replacement keeps a working set: the clock's
 * second chance, measured. Meant for a boot with 32 MiB of RAM and a swap
 * disk (tests/boots.py: boot t_clock); it grades the clock lab
 * (docs/labs/clock.md).
 *
 * A hot set (8 MiB, over a third of the RAM) is written over and over, one
 * word per page after every HOT_EVERY pages of a cold region (64 MiB, three
 * times the RAM) that is written once and then read back once. A policy
 * that looks at the Accessed bits keeps the hot set resident: during the
 * read sweep it swaps in the cold region (one read per cold page) and
 * little else. FIFO evicts in load order, used or not: every resident page,
 * hot ones included, leaves after one trip down the list, so the hot set
 * goes out and comes back again several times per sweep (measured, 32 MiB,
 * a hot pass every 16 cold pages: clock 287 swap-ins beyond the cold region,
 * FIFO 10 242, with 2 048 hot pages). The bound below, twice the hot set,
 * sits between.
 * tests/bench/hotset.c is the benchmark this is cut from
 * (docs/swapping.md, "Policies compared").
 *
 * Every word of both regions is checked too, so the test also proves that
 * swap-out and swap-in lose nothing. Natively (Linux) only the words are
 * checked: which pages Linux evicts is its business, and it may have no swap.
 */
#include "testlib.h"

#define HOT_BYTES (8 * MiB)
#define COLD_BYTES (64 * MiB)
#define HOT_EVERY 16                 /* cold pages between two hot passes */
#define MAX_MEM_KB (48 * 1024)       /* the bound assumes the boot's 32 MiB */
#define EXTRA_SWAPINS_PER_HOT_PAGE 2 /* the bound: swap-ins beyond the cold region */
#define CLOCK_CASE_TIMEOUT 300
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

static uint64_t *hot, *cold;
static uint64_t hot_passes; /* word 0 of every hot page counts them */

static inline uint64_t cold_pattern(size_t i) { return (i + 1) * 0x9e3779b97f4a7c15ull ^ 0x434f4c44434f4c44ull; }
static inline uint64_t hot_pattern(size_t i) { return (i + 1) * 0xc2b2ae3d27d4eb4full ^ 0x484f54484f544854ull; }

static void hot_pass(void)
{
    hot_passes++;
    for (size_t pg = 0; pg < HOT_BYTES / PAGE_SIZE; pg++)
        hot[pg * WORDS_PER_PAGE]++;
}

/* One sweep of the cold region, writing (the pattern) or reading (and
 * checking) it, with a hot pass after every HOT_EVERY pages. Returns the
 * wrong words seen. */
static size_t cold_sweep(int write)
{
    size_t bad = 0;
    for (size_t pg = 0; pg < COLD_BYTES / PAGE_SIZE; pg++) {
        uint64_t *w = cold + pg * WORDS_PER_PAGE;
        for (size_t i = 0; i < WORDS_PER_PAGE; i++) {
            size_t n = pg * WORDS_PER_PAGE + i;
            if (write)
                w[i] = cold_pattern(n);
            else
                bad += w[i] != cold_pattern(n);
        }
        if (pg % HOT_EVERY == HOT_EVERY - 1)
            hot_pass();
    }
    return bad;
}

static size_t hot_check(void)
{
    size_t bad = 0;
    for (size_t pg = 0; pg < HOT_BYTES / PAGE_SIZE; pg++)
        for (size_t i = 0; i < WORDS_PER_PAGE; i++) {
            size_t n = pg * WORDS_PER_PAGE + i;
            bad += hot[n] != (i ? hot_pattern(n) : hot_passes);
        }
    return bad;
}

/* Pagewise with a swap disk and the small RAM the bound was made for. */
static int numbers_apply(void)
{
    return on_pagewise() && meminfo_kb("SwapTotal") > 0 && meminfo_kb("MemTotal") <= MAX_MEM_KB;
}

static const char *clock_swap_is_on(void)
{
    if (!on_pagewise())
        return PASS;
    CHECK(meminfo_kb("SwapTotal") > 0, "SwapTotal is 0: no swap disk?");
    CHECK(meminfo_kb("MemTotal") <= MAX_MEM_KB, "MemTotal %lld kB: the boot should have 32 MiB",
          meminfo_kb("MemTotal"));
    return PASS;
}

/* The hot set stays resident while the cold region streams through. */
static const char *clock_keeps_hot_set(void)
{
    alarm(CLOCK_CASE_TIMEOUT);
    hot = mmap(NULL, HOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cold = mmap(NULL, COLD_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(hot != MAP_FAILED && cold != MAP_FAILED, "mmap: %s", errname(errno));
    for (size_t n = 0; n < HOT_BYTES / sizeof(uint64_t); n++)
        hot[n] = n % WORDS_PER_PAGE ? hot_pattern(n) : 0;
    size_t bad = cold_sweep(1);
    long long in0 = vmstat_get("pswpin"), out0 = vmstat_get("pswpout");
    bad += cold_sweep(0);
    long long in1 = vmstat_get("pswpin"), out1 = vmstat_get("pswpout");
    bad += hot_check();
    munmap(hot, HOT_BYTES);
    munmap(cold, COLD_BYTES);
    CHECK(bad == 0, "%zu words came back wrong", bad);
    long long cold_pages = COLD_BYTES / PAGE_SIZE, hot_pages = HOT_BYTES / PAGE_SIZE;
    if (!numbers_apply()) {
        out("# words checked only (not Pagewise, no swap, or more than %d MiB of RAM)\n", MAX_MEM_KB / 1024);
        return PASS;
    }
    long long extra = in1 - in0 - cold_pages;
    out("# read sweep: pswpin %lld (%lld cold pages + %lld), pswpout %lld; hot set %lld pages\n", in1 - in0,
        cold_pages, extra, out1 - out0, hot_pages);
    CHECK(extra <= EXTRA_SWAPINS_PER_HOT_PAGE * hot_pages,
          "%lld swap-ins beyond the %lld cold pages in one read sweep (want <= %lld): the hot set was evicted "
          "again and again, as FIFO does",
          extra, cold_pages, EXTRA_SWAPINS_PER_HOT_PAGE * hot_pages);
    return PASS;
}

static const struct test tests[] = {
    TEST(clock_swap_is_on),
    TEST(clock_keeps_hot_set),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
