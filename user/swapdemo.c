/*
 * user/swapdemo.c - demo: swapping, a region larger than the free RAM.
 *
 *   swapdemo          a region of 1.5 x MemTotal (from /proc/meminfo)
 *   swapdemo MIB      a region of MIB MiB
 *
 * The region cannot fit in memory, so while we write it the kernel runs
 * out of free frames and reclaims: it picks pages nobody used lately (the
 * replacement policy: mm/vmscan.c), writes each one to a slot of the swap
 * disk, puts the slot's number in the page table entry (a "swap entry":
 * not present, so the next touch faults) and reuses the frame. Reading the
 * region back faults on every page that is on the disk: the kernel reads
 * it into whatever frame is free (a major fault) and maps it at the same
 * virtual address. The program never notices, except for the time it takes.
 *
 *   step                  pswpout           pswpin, pgmajfault   SwapFree
 *   write the region      +(excess)         about +0             -(excess)
 *   read it back, verify  +(about as many)  +(pages on disk)     -(as many)
 *   munmap                +0                +0                   back up
 *
 * The read-back goes from the end of the region to its start: the pages
 * written last are still in RAM and cost nothing; each page on the disk
 * faults once, and to make room one page already checked (never on the
 * disk) is written out. A page read back keeps its slot (the swap cache),
 * so if it is evicted again unchanged it is not written again.
 *
 * (/proc/vmstat: pswpout and pswpin count pages written to and read from
 * swap, pgmajfault faults that had to wait for a disk; /proc/meminfo:
 * SwapFree.) We follow one page, the first we write, through
 * /proc/self/pagemap, one 64-bit entry per virtual page:
 *
 *   bit 63 present: bits 0-54 are the frame number (PFN)
 *   bit 62 swapped: bits 0-4 are the swap type (which swap area), bits 5-54
 *          the offset (the slot on that area)
 *
 * and see it in a frame, then on the disk, then back in (most likely) a
 * different frame. Every word is checked at the end: exit status 0 when
 * all were intact and the page was seen swapped and back, 1 otherwise.
 *
 * Without swap nothing can be paged out: the demo says so, checks the
 * pattern in a region that fits in RAM, and exits 0. On Linux the PFN and
 * the swap slot are shown only to root ("hidden"). On a Linux machine with
 * much RAM, run it in a small memory cgroup with a size, for example
 * `systemd-run --scope -p MemoryMax=64M -p MemorySwapMax=256M swapdemo 96`
 * (MemTotal is the whole machine's there).
 *
 * Kernel code: mm/vmscan.c (try_to_free_pages, reclaim_page), mm/fault.c
 * do_swap_page, mm/swapfile.c (slots), mm/swap_io.c (the disk I/O),
 * /proc/self/pagemap in kernel/procfs.c (mm/report.c mm_report_pagemap).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
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

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)             /* bits 0-54 */
#define PM_SWAP_TYPE(e) ((e)&0x1f)                 /* bits 0-4 */
#define PM_SWAP_OFFSET(e) (((e)&PM_PFN_MASK) >> 5) /* bits 5-54 */

#define MAX_SWEEPS 4       /* extra passes to push the chosen page out, at most */
#define NO_SWAP_MAX_MIB 64 /* without swap: the region we check instead */

/* Static, not malloc'd: reading a counter must not allocate memory. */
static char filebuf[16384];

static ssize_t read_proc(const char *path)
{
    int fd = open(path, O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < sizeof(filebuf) - 1 && (n = read(fd, filebuf + len, sizeof(filebuf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    filebuf[len] = '\0';
    return (ssize_t)len;
}

/* The number after "key" at the start of a line of filebuf ("MemFree:" in
 * /proc/meminfo, "pswpin " in /proc/vmstat), or -1 if there is no such line. */
static long find_value(const char *key)
{
    size_t n = strlen(key);
    for (char *line = filebuf; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, n) == 0)
            return strtol(line + n, NULL, 10);
    }
    return -1;
}

struct counters {
    long pswpout, pswpin, pgmajfault; /* /proc/vmstat, pages and faults */
    long swapfree_kb, memfree_kb;     /* /proc/meminfo */
};

static struct counters sample(void)
{
    struct counters c = {-1, -1, -1, -1, -1};
    if (read_proc("/proc/vmstat") > 0) {
        c.pswpout = find_value("pswpout ");
        c.pswpin = find_value("pswpin ");
        c.pgmajfault = find_value("pgmajfault ");
    }
    if (read_proc("/proc/meminfo") > 0) {
        c.swapfree_kb = find_value("SwapFree:");
        c.memfree_kb = find_value("MemFree:");
    }
    return c;
}

static void show_counters(const char *indent, struct counters b, struct counters a)
{
    printf("%spswpout    %8ld -> %8ld  (%+ld pages written to swap)\n", indent, b.pswpout, a.pswpout,
           a.pswpout - b.pswpout);
    printf("%spswpin     %8ld -> %8ld  (%+ld pages read from swap)\n", indent, b.pswpin, a.pswpin, a.pswpin - b.pswpin);
    printf("%spgmajfault %8ld -> %8ld  (%+ld faults that waited for the disk)\n", indent, b.pgmajfault, a.pgmajfault,
           a.pgmajfault - b.pgmajfault);
    printf("%sSwapFree   %8ld -> %8ld kB (%+ld kB)\n", indent, b.swapfree_kb, a.swapfree_kb,
           a.swapfree_kb - b.swapfree_kb);
}

/* The pagemap entry of addr's page, or 0 if it cannot be read. */
static uint64_t pagemap(const void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));

    if (fd < 0)
        return 0;
    if (pread(fd, &entry, sizeof(entry), offset) != sizeof(entry))
        entry = 0;
    close(fd);
    return entry;
}

/* "present, PFN 0x1234", "SWAPPED, ..." or "not present". */
static const char *describe(uint64_t e)
{
    static char buf[160];
    if (e & PM_PRESENT) {
        if (e & PM_PFN_MASK)
            snprintf(buf, sizeof(buf), "present, PFN 0x%llx", (unsigned long long)(e & PM_PFN_MASK));
        else
            snprintf(buf, sizeof(buf), "present, PFN hidden (not root?)");
    } else if (e & PM_SWAPPED) {
        if (e & PM_PFN_MASK)
            snprintf(buf, sizeof(buf), "SWAPPED: swap type %llu, offset %llu (slot %llu of the swap area)",
                     (unsigned long long)PM_SWAP_TYPE(e), (unsigned long long)PM_SWAP_OFFSET(e),
                     (unsigned long long)PM_SWAP_OFFSET(e));
        else
            snprintf(buf, sizeof(buf), "SWAPPED: swap type and offset hidden (not root?)");
    } else {
        snprintf(buf, sizeof(buf), "not present, not swapped");
    }
    return buf;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What word i of the region holds: different in every word, so a page
 * that came back into the wrong place, or half written, is caught. */
static inline uint64_t pattern(size_t i) { return (i + 1) * 0x9e3779b97f4a7c15ull ^ 0x5357415044454d4full; }

/* Write the pattern into words [from, to), printing progress. */
static void write_words(uint64_t *p, size_t from, size_t to, size_t total)
{
    size_t quarter = total / 4;
    for (size_t i = from; i < to; i++) {
        p[i] = pattern(i);
        if (quarter && (i + 1) % quarter == 0 && i + 1 < total)
            printf("     ... %zu%% written\n", (i + 1) * 100 / total);
    }
}

/* Check every word, from the last to the first: the pages written last
 * are the ones still in memory, so only those that went to the disk fault.
 * (From the first word on, every page would fault: each page read back
 * would push out one not read yet, the weak spot of any LRU-like policy
 * under a sequential scan larger than memory; tests/bench/swapbench.c
 * measures exactly that.) Returns the number of wrong words (the first few
 * shown). */
static size_t verify(const uint64_t *p, size_t words)
{
    size_t bad = 0;
    for (size_t i = words; i-- > 0;)
        if (p[i] != pattern(i) && bad++ < 5)
            printf("     WRONG: word %zu (page %zu) holds 0x%016llx, expected 0x%016llx\n", i, i / WORDS_PER_PAGE,
                   (unsigned long long)p[i], (unsigned long long)pattern(i));
    return bad;
}

/* Without swap: only the pattern check, in a region that fits. */
static int no_swap(long memfree_kb, size_t mib)
{
    size_t fit = (size_t)(memfree_kb > 0 ? memfree_kb : 0) / 1024 / 2;
    if (fit > NO_SWAP_MAX_MIB)
        fit = NO_SWAP_MAX_MIB;
    if (mib > fit)
        mib = fit;
    printf("There is NO SWAP here (SwapTotal is 0 in /proc/meminfo): the kernel has\n"
           "nowhere to put pages, so a region larger than the RAM would only end\n"
           "in the OOM killer. Nothing will be swapped. We only check the pattern,\n"
           "in %zu MiB that fit in free memory.\n"
           "(On Pagewise: make exec PROG=build/user/swapdemo MEM=64M SWAP=256M;\n"
           "on Linux: swapon a swap file or partition first.)\n\n",
           mib);
    size_t words = mib * MIB / sizeof(uint64_t);
    uint64_t *p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (words == 0 || p == MAP_FAILED) {
        printf("swapdemo: no room for a region (MemFree %ld kB)\n", memfree_kb);
        return 1;
    }
    write_words(p, 0, words, words);
    size_t bad = verify(p, words);
    munmap(p, mib * MIB);
    printf("     %zu of %zu words wrong.\n\nSummary: no swap, so nothing was swapped; the pattern %s.\n", bad, words,
           bad ? "was NOT intact" : "was intact");
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 || (argc == 2 && (argv[1][0] < '1' || argv[1][0] > '9'))) {
        fprintf(stderr, "usage: swapdemo [MIB]   (default: 1.5 x MemTotal)\n");
        return 2;
    }
    if (read_proc("/proc/meminfo") < 0) {
        perror("swapdemo: /proc/meminfo");
        return 1;
    }
    long total_kb = find_value("MemTotal:"), free_kb = find_value("MemFree:");
    long swap_total_kb = find_value("SwapTotal:"), swap_free_kb = find_value("SwapFree:");
    size_t mib = argc == 2 ? strtoul(argv[1], NULL, 10) : (size_t)total_kb * 3 / 2 / 1024;

    printf("swapdemo: swapping. We write a region larger than the free RAM, read it\n"
           "back, and follow one of its pages through /proc/self/pagemap.\n\n");
    printf("MemTotal %ld kB, MemFree %ld kB, SwapTotal %ld kB, SwapFree %ld kB\n", total_kb, free_kb, swap_total_kb,
           swap_free_kb);
    if (swap_total_kb <= 0 || swap_free_kb <= 0)
        return no_swap(free_kb, mib);

    /* Keep a margin for the kernel's own needs (page tables, reverse map,
     * our program): past RAM + swap the OOM killer would end the demo. */
    long margin_kb = total_kb / 8 > 8192 ? total_kb / 8 : 8192;
    long room_kb = free_kb + swap_free_kb - margin_kb;
    if (room_kb < 1024) {
        printf("Too little free RAM and swap left for the demo.\n");
        return 1;
    }
    if ((long)mib * 1024 > room_kb) {
        printf("%zu MiB would not fit in the free RAM and the free swap together (less a\n"
               "margin for the kernel): using %ld MiB instead.\n",
               mib, room_kb / 1024);
        mib = (size_t)room_kb / 1024;
    }
    if ((long)mib * 1024 < free_kb)
        printf("Note: %zu MiB fits in the free RAM (%ld kB): the kernel may need to swap\n"
               "little or nothing. Give a larger size to see more.\n",
               mib, free_kb);

    size_t size = mib * MIB, words = size / sizeof(uint64_t), pages = size / PAGE_SIZE;
    uint64_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("swapdemo: mmap");
        return 1;
    }
    /* Linux: 4 KiB pages, no transparent huge pages (Pagewise has none). */
    madvise(p, size, MADV_NOHUGEPAGE);
    printf("region: %zu MiB (%zu pages) at %p, about %.1f x the free RAM\n\n", mib, pages, (void *)p,
           (double)mib * 1024 / (double)free_kb);

    /* 1. Write. The first page is the one we follow: the oldest. */
    printf("1. write the pattern into every word, page 0 first\n");
    struct counters c0 = sample();
    double t0 = now();
    write_words(p, 0, WORDS_PER_PAGE, words);
    uint64_t e_before = pagemap(p);
    printf("   page 0 (%p) just written: %s\n", (void *)p, describe(e_before));
    write_words(p, WORDS_PER_PAGE, words, words);
    double t1 = now();
    struct counters c1 = sample();
    show_counters("   ", c0, c1);
    if (c1.pswpout == c0.pswpout)
        printf("   (%.1f s) Nothing was swapped out: the region fit in the free frames.\n", t1 - t0);
    else
        printf("   (%.1f s) When the free frames ran out, reclaim picked pages not used\n"
               "   lately, wrote them to swap slots and reused their frames: pswpout and\n"
               "   the fall of SwapFree are the pages that did not fit. (pswpin and\n"
               "   pgmajfault moved a little: a few of our own pages, stack or program,\n"
               "   were evicted too and faulted back in.)\n",
               t1 - t0);

    /* 2. Page 0 should be on the disk now; if not, sweep until it is. */
    uint64_t e_swapped = pagemap(p);
    int sweeps = 0;
    volatile const uint64_t *vp = p;
    uint64_t sink = 0;
    while (!(e_swapped & PM_SWAPPED) && sweeps < MAX_SWEEPS) {
        sweeps++;
        printf("   page 0 is still %s: sweep %d over the other pages\n", describe(e_swapped), sweeps);
        for (size_t pg = 1; pg < pages; pg++) {
            sink += vp[pg * WORDS_PER_PAGE];
            if (pg % 256 == 0 && ((e_swapped = pagemap(p)) & PM_SWAPPED))
                break;
        }
        e_swapped = pagemap(p);
    }
    (void)sink;
    if (sweeps)
        printf("\n2. page 0 after %d extra sweep%s: %s\n", sweeps, sweeps > 1 ? "s" : "", describe(e_swapped));
    else
        printf("\n2. page 0 after writing the rest: %s\n", describe(e_swapped));
    if (e_swapped & PM_SWAPPED)
        printf("   Its PTE is not present and holds the slot; pagemap shows it as\n"
               "   entry 0x%016llx: bit 62 set, type in bits 0-4, offset in bits 5-54.\n",
               (unsigned long long)e_swapped);
    else
        printf("   It was never swapped out (the region fits in memory?).\n");

    /* 3. Touch page 0: one major fault brings it back. Read the counters
     * twice first, so that our own buffers are back in memory and the
     * second reading faults no more. */
    sample();
    struct counters c2 = sample();
    sink = vp[0];
    struct counters c3 = sample();
    uint64_t e_after = pagemap(p);
    printf("\n3. read page 0 again: %s\n", describe(e_after));
    if (e_swapped & PM_SWAPPED)
        printf("   pgmajfault %+ld, pswpin %+ld: the read faulted on the swap entry; the kernel\n"
               "   took a free frame, read the slot into it (we slept meanwhile) and mapped\n"
               "   it at the same address.%s\n",
               c3.pgmajfault - c2.pgmajfault, c3.pswpin - c2.pswpin,
               c3.pswpin - c2.pswpin > 1 ? " The pages after it, whose slots followed on the disk,\n"
                                           "   came in the same disk request and were mapped too\n"
                                           "   (read-around: their first touch will not fault)."
                                         : "");
    else
        printf("   pgmajfault %+ld, pswpin %+ld: the page never left memory.\n", c3.pgmajfault - c2.pgmajfault,
               c3.pswpin - c2.pswpin);
    uint64_t pfn_before = e_before & PM_PFN_MASK, pfn_after = e_after & PM_PFN_MASK;
    if ((e_swapped & PM_SWAPPED) && (e_before & PM_PRESENT) && (e_after & PM_PRESENT) && pfn_before && pfn_after)
        printf("   PFN 0x%llx before, then slot %llu on the disk, now PFN 0x%llx:\n   %s\n",
               (unsigned long long)pfn_before, (unsigned long long)PM_SWAP_OFFSET(e_swapped),
               (unsigned long long)pfn_after,
               pfn_after != pfn_before ? "ANOTHER frame, same virtual address."
                                       : "the same frame, by chance (it was free again).");
    printf("   word 0 holds 0x%016llx (%s)\n", (unsigned long long)sink, sink == pattern(0) ? "right" : "WRONG");

    /* 4. Read back and check everything. */
    printf("\n4. read every word back and check it, from the end: the pages written\n"
           "   last are still in memory, so only those on the disk fault\n");
    double t2 = now();
    size_t bad = verify(p, words);
    double t3 = now();
    struct counters c4 = sample();
    printf("   %zu of %zu words wrong.\n", bad, words);
    show_counters("   ", c1, c4);
    if (c4.pswpin == c1.pswpin)
        printf("   (%.1f s) Nothing came from the disk: every page was still in memory.\n", t3 - t2);
    else
        printf("   (%.1f s) Each page that was on the disk came back on its first touch:\n"
               "   one major fault each (Linux reads a few neighbours too, so its pswpin can\n"
               "   exceed pgmajfault). To make room, reclaim evicted pages we had already\n"
               "   checked; they had never been on the disk, so each was written to a new\n"
               "   slot (pswpout, and SwapFree fell). A page read back and evicted again\n"
               "   unchanged keeps its slot (the swap cache) and is dropped without a write.\n",
               t3 - t2);

    /* 5. Give it back. */
    munmap(p, size);
    struct counters c5 = sample();
    printf("\n5. munmap: SwapFree %ld -> %ld kB (%+ld kB): the slots of the pages still\n"
           "   on disk, and those kept by the swap cache, are free again (a few of our\n"
           "   own pages may still be on the disk).\n",
           c4.swapfree_kb, c5.swapfree_kb, c5.swapfree_kb - c4.swapfree_kb);

    bool seen_swapped = (e_swapped & PM_SWAPPED) != 0, seen_back = (e_after & PM_PRESENT) != 0;
    bool ok = bad == 0 && sink == pattern(0) && seen_swapped && seen_back;
    printf("\nSummary: %zu MiB in %ld kB of free RAM: %ld pages went to swap and %ld came\n"
           "back; every word %s. Page 0 was %s.\n",
           mib, free_kb, c4.pswpout - c0.pswpout, c4.pswpin - c0.pswpin, bad ? "was NOT intact" : "was intact",
           seen_swapped && seen_back ? "seen in a frame, on the disk, and back in a frame"
           : seen_swapped            ? "swapped out but NOT seen back"
                                     : "NEVER seen swapped out");
    return ok ? 0 : 1;
}
