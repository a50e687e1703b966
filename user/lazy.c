/*
 * user/lazy.c - demo: lazy allocation.
 *
 *   lazy
 *
 * mmap() of 64 MiB returns at once and costs no memory: the kernel only
 * records a VMA ("addresses X to Y may be used, read-write, zero-filled").
 * The page tables stay empty. The first touch of each page faults; the
 * fault handler sees that the address is inside the VMA, takes a zeroed
 * frame, maps it, and the instruction runs again. So:
 *
 *   step              minor faults   VmRSS          MemFree
 *   mmap 64 MiB       +0             +0             about the same
 *   touch 3 pages     +3             +12 KiB        -12 KiB and page tables
 *   touch every page  +16381         +65524 KiB     about -64 MiB, and tables
 *   munmap            +0             -65536 KiB     back up by about 64 MiB
 *
 * Counters: ru_minflt from getrusage() counts this process's faults that
 * needed no disk; VmRSS (/proc/self/status) is the memory our page tables
 * map; MemFree (/proc/meminfo) is the whole machine's free memory. The new
 * mapping is shown as /proc/self/maps lists it. On Linux, MemFree is only
 * approximate: other processes allocate too, and each CPU keeps a private
 * cache of free pages and of counter updates that MemFree sees late.
 *
 * Kernel code: mm/mmap.c (do_mmap, munmap), mm/fault.c (handle_mm_fault ->
 * do_anonymous_page), the /proc files in kernel/procfs.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define REGION_SIZE (64UL << 20)               /* 64 MiB */
#define REGION_PAGES (REGION_SIZE / PAGE_SIZE) /* 16384 pages */

/* Buffers are static, not malloc'd: reading a counter must not itself
 * allocate (and fault in) new memory while we measure faults. */
static char filebuf[16384];

/* Read a whole /proc file into filebuf. Returns the length or -1. */
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

/* MemFree from /proc/meminfo ("MemFree:   123456 kB"), in KiB. */
static long memfree_kb(void)
{
    if (read_proc("/proc/meminfo") < 0)
        return -1;
    char *line = strstr(filebuf, "MemFree:");
    return line ? strtol(line + 8, NULL, 10) : -1;
}

/* VmRSS from /proc/self/status: the memory this process's page tables map
 * right now, in KiB. Unlike MemFree, no other process can disturb it. */
static long vmrss_kb(void)
{
    if (read_proc("/proc/self/status") < 0)
        return -1;
    char *line = strstr(filebuf, "VmRSS:");
    return line ? strtol(line + 6, NULL, 10) : -1;
}

/* This process's minor page faults so far. */
static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Print the line of /proc/self/maps that contains addr. */
static void show_maps_line(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (read_proc("/proc/self/maps") < 0) {
        printf("    (cannot read /proc/self/maps)\n");
        return;
    }
    for (char *line = strtok(filebuf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start <= a && a < end) {
            printf("    %s\n", line);
            return;
        }
    }
    printf("    (no line contains %p: not mapped)\n", addr);
}

/* Linux keeps each CPU's changes to the free-page count in a small private
 * counter and folds them into the global MemFree about once a second
 * (vmstat_update), so right after a step Linux's MemFree can lag behind.
 * On Linux we wait for the fold; Pagewise updates MemFree at once. */
static void settle(void)
{
    static int on_linux = -1;
    if (on_linux < 0) {
        struct utsname u;
        on_linux = uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
    }
    if (on_linux)
        usleep(1100 * 1000);
}

/* The counters, read in an order that keeps reading them out of the
 * measurement: MemFree and VmRSS first, then minflt just before the step... */
struct sample {
    long flt, rss_kb, free_kb;
};

static struct sample before(void)
{
    struct sample s;
    s.free_kb = memfree_kb();
    s.rss_kb = vmrss_kb();
    s.flt = minflt();
    return s;
}

/* ...and minflt first, just after it. */
static struct sample after(void)
{
    struct sample s;
    s.flt = minflt();
    s.rss_kb = vmrss_kb();
    settle();
    s.free_kb = memfree_kb();
    return s;
}

static void report(struct sample b, struct sample a)
{
    printf("    minflt  %8ld -> %8ld    (%+ld)\n", b.flt, a.flt, a.flt - b.flt);
    printf("    VmRSS   %8ld -> %8ld kB (%+ld kB)\n", b.rss_kb, a.rss_kb, a.rss_kb - b.rss_kb);
    printf("    MemFree %8ld -> %8ld kB (%+ld kB)\n", b.free_kb, a.free_kb, a.free_kb - b.free_kb);
}

/* Write one byte in each of the pages [first, last) that step pages apart. */
static void touch(volatile char *region, unsigned long first, unsigned long last, unsigned long step)
{
    for (unsigned long i = first; i < last; i += step)
        region[i * PAGE_SIZE] = 1;
}

/* Step 1: reserve 64 MiB. Returns the region, or NULL. */
static char *step_mmap(void)
{
    printf("1. mmap(64 MiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)\n");
    struct sample b = before();
    char *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* Ask Linux for 4 KiB pages only: with transparent huge pages it could
     * fill 2 MiB at a time, 512 pages per fault. (Pagewise has no huge
     * pages and may answer EINVAL, which is fine: we ignore the result.) */
    if (p != MAP_FAILED)
        madvise(p, REGION_SIZE, MADV_NOHUGEPAGE);
    struct sample a = after();
    if (p == MAP_FAILED) {
        perror("lazy: mmap");
        return NULL;
    }
    printf("   mmap returned %p; /proc/self/maps now has the line:\n", (void *)p);
    show_maps_line(p);
    report(b, a);
    printf("   Nothing moved: mmap only recorded the range (a VMA). No page table\n"
           "   entry, no frame yet.\n\n");
    return p;
}

/* Step 2: three single pages. Returns the number of faults they caused. */
static long step_three_pages(char *p)
{
    printf("2. write one byte in 3 pages: page 0, page 100 and page 10000\n");
    struct sample b = before();
    touch(p, 0, 1, 1);
    touch(p, 100, 101, 1);
    touch(p, 10000, 10001, 1);
    struct sample a = after();
    report(b, a);
    printf("   One fault per page: each first touch found no PTE, the kernel took a\n"
           "   zeroed frame, mapped it, and the write ran again. 3 frames of 4 KiB:\n"
           "   VmRSS +12 kB. MemFree fell by 12 kB and a little more if the kernel\n"
           "   needed new page tables to hold the PTEs. The other 16381 pages cost\n"
           "   nothing.\n\n");
    return a.flt - b.flt;
}

/* Step 3: every page. Returns the number of faults. */
static long step_all_pages(char *p)
{
    printf("3. write one byte in every page (16384 pages)\n");
    struct sample b = before();
    touch(p, 0, REGION_PAGES, 1);
    struct sample a = after();
    report(b, a);
    printf("   16381 more faults: the 3 pages already mapped did not fault again.\n"
           "   VmRSS grew by 64 MiB less the 12 kB already there; MemFree fell by\n"
           "   about 64 MiB plus the kernel's bookkeeping: the page tables that map\n"
           "   it (32 tables, 128 KiB) and its per-page records (reverse map).\n\n");
    return a.flt - b.flt;
}

/* Step 4: give it all back. */
static void step_munmap(char *p)
{
    printf("4. munmap the 64 MiB\n");
    struct sample b = before();
    munmap(p, REGION_SIZE);
    struct sample a = after();
    report(b, a);
    printf("   /proc/self/maps at that address now:\n");
    show_maps_line(p);
    printf("   munmap removed the VMA, cleared the PTEs (and flushed the TLB) and\n"
           "   freed every frame: VmRSS -64 MiB, MemFree up by about as much. (Linux\n"
           "   may first keep the frames in a per-CPU free list that MemFree skips.)\n\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Warm up: the first read of a /proc file touches our buffers for the
     * first time, which faults too. Do it now, outside any measurement. */
    memfree_kb();
    read_proc("/proc/self/maps");
    minflt();
    settle();

    printf("lazy: lazy allocation. We map 64 MiB and watch this process's minor\n"
           "page faults (getrusage ru_minflt), its resident memory (VmRSS in\n"
           "/proc/self/status) and the system's free memory (MemFree in\n"
           "/proc/meminfo; on a busy Linux machine other processes move it too).\n\n");
    char *p = step_mmap();
    if (!p)
        return 1;
    long three = step_three_pages(p);
    long all = step_all_pages(p);
    step_munmap(p);

    int ok = three == 3 && all >= (long)REGION_PAGES - 3 && all <= (long)REGION_PAGES + 13;
    printf("Summary: mmap reserved 64 MiB for free; memory was allocated one page\n"
           "at a time, on the first touch (%ld faults for 3 pages, %ld for the\n"
           "rest); munmap gave it back. %s\n",
           three, all, ok ? "As expected." : "UNEXPECTED fault counts (see above).");
    return ok ? 0 : 1;
}
