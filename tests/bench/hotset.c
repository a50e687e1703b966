/*
 * tests/bench/hotset.c - the replacement-policy benchmark: a hot set that
 * fits in RAM, used over and over, while a larger cold region streams
 * through memory.
 *
 *   hotset [HOT_MIB [COLD_MIB [SWEEPS]]]      default 24 64 3
 *
 * Sweep 0 writes a pattern into the cold region; sweeps 1..SWEEPS read it
 * back and check every word. All along, after every 64 cold pages (256
 * KiB), a hot pass writes one word in every page of the hot set (a
 * counter), so each hot page is used thousands of times per sweep. At the
 * end every word of both regions is checked: the cold pattern, the hot
 * pattern and each hot page's counter (exit status 1 if any is wrong).
 *
 * Run in less RAM than HOT + COLD (docs/swapping.md: 64 MiB, reclaim=clock,
 * fifo or random). An ideal policy keeps the hot set resident and streams
 * the cold region through the rest: each read sweep then costs about
 * COLD - (RAM left over) pages of swap-in and almost no swap-out (the cold
 * pages are clean copies of their slots; a clean page in the swap cache is
 * dropped without a write). Every hot page that is evicted costs a write
 * (it is dirty) and a read when the next hot pass touches it.
 *
 * The major faults taken during hot passes (pgmajfault before and after
 * each) are the hot-set faults: hot pages that had been evicted. Per sweep
 * the program prints wall-clock time, the changes of pswpout, pswpin,
 * pgmajfault and, on Pagewise, pgscan (pages the replacement policy looked
 * at) from /proc/vmstat, the hot-set faults and how many hot pages
 * were resident at the end (/proc/self/pagemap); then the final check,
 * the totals of the read sweeps and a BENCH line for the whole run. It measures, never passes or fails on
 * numbers. Counts are reliable; wall-clock times are not when other work
 * shares the machine.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))
#define MIB (1UL << 20)
#define HOT_EVERY 64 /* cold pages between two hot passes */
#define PM_PRESENT (1ULL << 63)

static char filebuf[16384];

static long vmstat(const char *key)
{
    int fd = open("/proc/vmstat", O_RDONLY);
    size_t len = 0, n = strlen(key);
    ssize_t r;
    if (fd < 0)
        return -1;
    while (len < sizeof(filebuf) - 1 && (r = read(fd, filebuf + len, sizeof(filebuf) - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    filebuf[len] = '\0';
    for (char *line = filebuf; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return atol(line + n + 1);
    }
    return -1;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct sample {
    double t;
    long out, in, maj, scan; /* scan: pgscan, pages the policy looked at (Pagewise) */
};

static struct sample sample(void)
{
    struct sample s = {now(), vmstat("pswpout"), vmstat("pswpin"), vmstat("pgmajfault"), vmstat("pgscan")};
    return s;
}

static inline uint64_t cold_pattern(size_t i) { return (i + 1) * 0x9e3779b97f4a7c15ull ^ 0x434f4c44434f4c44ull; }
static inline uint64_t hot_pattern(size_t i) { return (i + 1) * 0xc2b2ae3d27d4eb4full ^ 0x484f54484f544854ull; }

static uint64_t *hot, *cold;
static size_t hot_pages, cold_pages;
static uint64_t hot_passes; /* each hot page's word 0 counts them */
static uint64_t hot_faults; /* hot pages found not present before a pass */
static size_t bad;          /* wrong words seen */
static uint64_t *pm;        /* the hot set's pagemap entries */
static int pm_fd = -1;

/* Hot pages not present now, from /proc/self/pagemap (-1 if unreadable). */
static long hot_missing(void)
{
    size_t want = hot_pages * sizeof(uint64_t);
    off_t off = (off_t)((uintptr_t)hot / PAGE_SIZE * sizeof(uint64_t));
    if (pm_fd < 0 || pread(pm_fd, pm, want, off) != (ssize_t)want)
        return -1;
    long n = 0;
    for (size_t i = 0; i < hot_pages; i++)
        n += !(pm[i] & PM_PRESENT);
    return n;
}

/* One hot pass. The major faults it takes are hot pages that had been
 * evicted: counted from pgmajfault around the pass (not from pagemap
 * before it: a page evicted by a fault earlier in the same pass counts too). */
static void hot_pass(void)
{
    long maj0 = vmstat("pgmajfault");
    hot_passes++;
    for (size_t pg = 0; pg < hot_pages; pg++)
        hot[pg * WORDS_PER_PAGE]++;
    long maj1 = vmstat("pgmajfault");
    if (maj0 >= 0 && maj1 > maj0)
        hot_faults += (uint64_t)(maj1 - maj0);
}

/* One cold page: write the pattern (sweep 0) or check it. */
static void cold_page(size_t pg, int write)
{
    uint64_t *w = cold + pg * WORDS_PER_PAGE;
    size_t base = pg * WORDS_PER_PAGE;
    if (write) {
        for (size_t i = 0; i < WORDS_PER_PAGE; i++)
            w[i] = cold_pattern(base + i);
    } else {
        for (size_t i = 0; i < WORDS_PER_PAGE; i++)
            bad += w[i] != cold_pattern(base + i);
    }
}

static void print_delta(const char *what, struct sample a, struct sample b, uint64_t hf, long resident)
{
    printf("%-12s %6.1f s  pswpout %6ld  pswpin %6ld  pgmajfault %6ld  hot-set faults %6llu", what, b.t - a.t,
           b.out - a.out, b.in - a.in, b.maj - a.maj, (unsigned long long)hf);
    if (a.scan >= 0 && b.scan >= 0)
        printf("  pgscan %7ld", b.scan - a.scan);
    if (resident >= 0)
        printf("  hot resident %zu/%zu", (size_t)resident, hot_pages);
    printf("\n");
}

int main(int argc, char **argv)
{
    size_t hot_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 24;
    size_t cold_mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
    int sweeps = argc > 3 ? atoi(argv[3]) : 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!hot_mib || !cold_mib || sweeps < 1) {
        fprintf(stderr, "usage: hotset [HOT_MIB [COLD_MIB [SWEEPS]]]\n");
        return 2;
    }
    hot_pages = hot_mib * MIB / PAGE_SIZE;
    cold_pages = cold_mib * MIB / PAGE_SIZE;
    hot = mmap(NULL, hot_mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cold = mmap(NULL, cold_mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pm = mmap(NULL, hot_pages * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (hot == MAP_FAILED || cold == MAP_FAILED || pm == MAP_FAILED) {
        perror("hotset: mmap");
        return 1;
    }
    madvise(hot, hot_mib * MIB, MADV_NOHUGEPAGE); /* Linux: 4 KiB pages */
    madvise(cold, cold_mib * MIB, MADV_NOHUGEPAGE);
    pm_fd = open("/proc/self/pagemap", O_RDONLY);
    printf("hotset: hot set %zu MiB (%zu pages, one word written in each every %d cold pages),\n"
           "cold region %zu MiB (%zu pages): sweep 0 writes it, sweeps 1-%d read and check it\n",
           hot_mib, hot_pages, HOT_EVERY, cold_mib, cold_pages, sweeps);

    struct sample start = sample();
    for (size_t pg = 0; pg < hot_pages; pg++)
        for (size_t i = 0; i < WORDS_PER_PAGE; i++)
            hot[pg * WORDS_PER_PAGE + i] = i ? hot_pattern(pg * WORDS_PER_PAGE + i) : 0;

    struct sample first = start, prev = start;
    uint64_t hot_faults_sweep0 = 0;
    for (int s = 0; s <= sweeps; s++) {
        uint64_t hf0 = hot_faults;
        for (size_t pg = 0; pg < cold_pages; pg++) {
            cold_page(pg, s == 0);
            if (pg % HOT_EVERY == HOT_EVERY - 1)
                hot_pass();
        }
        struct sample cur = sample();
        char what[32];
        snprintf(what, sizeof(what), s == 0 ? "sweep 0 (w)" : "sweep %d (r)", s);
        long missing = hot_missing();
        print_delta(what, prev, cur, hot_faults - hf0, missing < 0 ? -1 : (long)hot_pages - missing);
        if (s == 0) {
            first = cur;
            hot_faults_sweep0 = hot_faults;
        }
        prev = cur;
    }
    /* Final check of every word. */
    for (size_t pg = 0; pg < hot_pages; pg++)
        for (size_t i = 0; i < WORDS_PER_PAGE; i++) {
            uint64_t want = i ? hot_pattern(pg * WORDS_PER_PAGE + i) : hot_passes;
            bad += hot[pg * WORDS_PER_PAGE + i] != want;
        }
    for (size_t pg = 0; pg < cold_pages; pg++)
        cold_page(pg, 0);
    struct sample end = sample();
    print_delta("final check", prev, end, 0, -1);
    print_delta("read sweeps", first, prev, hot_faults - hot_faults_sweep0, -1);
    printf("BENCH hotset_%zu+%zumib_x%d %.2f s (pswpout %ld, pswpin %ld, pgmajfault %ld, hot-set faults %llu, "
           "%zu bad words)\n",
           hot_mib, cold_mib, sweeps, end.t - start.t, end.out - start.out, end.in - start.in, end.maj - start.maj,
           (unsigned long long)hot_faults, bad);
    return bad != 0;
}
