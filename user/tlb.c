/*
 * user/tlb.c - demo: the TLB, and when the kernel must flush it.
 *
 *   tlb
 *
 * The MMU does not walk the four page tables on every access: it keeps
 * recent translations (virtual page -> frame and permissions) in the TLB.
 * Two facts decide when the kernel must act (Intel SDM Vol 3A §4.10):
 *
 *   - Only valid translations are cached (§4.10.2, §4.10.4.3): a PTE
 *     that is not present never enters the TLB. So filling in a PTE that
 *     was empty (the first touch of a page) needs no flush.
 *   - The TLB is never updated when software changes a PTE that is
 *     present: after making it read-only, unmapping it or pointing it
 *     elsewhere, the kernel must drop the stale copy: invlpg for one page,
 *     or a full flush.
 *
 * A TLB miss is not a page fault: the hardware page walker reads the
 * tables and refills the TLB by itself. A fault happens only when the
 * walk finds nothing usable.
 *
 * Pagewise counts in /proc/vmstat: nr_tlb_local_flush_one (invlpg),
 * nr_tlb_local_flush_all (full flushes), nr_cr3_write (address-space
 * switches; each drops every non-global TLB entry, since Pagewise does not
 * use PCID) and pgfault. The demo reads them around each step and says why
 * they moved. Linux has no nr_cr3_write, and has the TLB lines only when
 * built with CONFIG_DEBUG_TLBFLUSH: the steps still run there.
 *
 * Kernel code: mm/tlb.c (the flushes, the 33-page ceiling), mm/paging.c
 * (paging_protect, paging_unmap_range), mm/fault.c, mm/mm.c (mm_fork,
 * mm_switch), kernel/sched.c (context_switch).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define NPAGES 64        /* pages in the region of steps (a) to (d) */
#define SMALL_UNMAP 8    /* step (c) unmaps this many pages first ... */
#define FLUSH_CEILING 33 /* ... below mm/tlb.h's TLB_FLUSH_CEILING */
#define ROUND_TRIPS 500  /* step (e) */

enum { ONE, ALL, CR3, PGFAULT, NCOUNTERS };
static const char *const counter_name[NCOUNTERS] = {"nr_tlb_local_flush_one", "nr_tlb_local_flush_all", "nr_cr3_write",
                                                    "pgfault"};
static const char *const counter_what[NCOUNTERS] = {"invlpg: one page dropped from the TLB", "full TLB flushes",
                                                    "CR3 writes: address-space switches",
                                                    "page faults handled (whole system)"};

struct counters {
    long long v[NCOUNTERS]; /* -1: the kernel has no such line */
};

static int on_pagewise; /* check the numbers only there */
static int unexpected;  /* expectations that failed (Pagewise) */

/* Static, and read once before measuring: reading the counters must not
 * itself take a first-touch fault on the buffer. */
static char vmstat_buf[16384];

/* The value on the line "name 123" of vmstat_buf, or -1. */
static long long field(const char *name)
{
    size_t len = strlen(name);
    for (const char *line = vmstat_buf; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, name, len) == 0 && line[len] == ' ')
            return strtoll(line + len + 1, NULL, 10);
    }
    return -1;
}

static void read_counters(struct counters *c)
{
    int fd = open("/proc/vmstat", O_RDONLY);
    size_t len = 0;
    ssize_t n;

    while (fd >= 0 && len < sizeof(vmstat_buf) - 1 &&
           (n = read(fd, vmstat_buf + len, sizeof(vmstat_buf) - 1 - len)) > 0)
        len += (size_t)n;
    if (fd >= 0)
        close(fd);
    vmstat_buf[len] = '\0';
    for (int i = 0; i < NCOUNTERS; i++)
        c->v[i] = field(counter_name[i]);
}

/* The change of counter i between two readings (0 if it is missing). */
static long long delta(const struct counters *b, const struct counters *a, int i)
{
    return a->v[i] < 0 || b->v[i] < 0 ? 0 : a->v[i] - b->v[i];
}

static void show(const struct counters *b, const struct counters *a)
{
    for (int i = 0; i < NCOUNTERS; i++) {
        if (a->v[i] < 0)
            printf("    %-24s  (not available on this kernel)\n", counter_name[i]);
        else
            printf("    %-24s %+6lld   %s\n", counter_name[i], delta(b, a, i), counter_what[i]);
    }
}

/* On Pagewise, note an expectation that did not hold. */
static void expect(int ok, const char *what)
{
    if (on_pagewise && !ok) {
        printf("    UNEXPECTED: %s\n", what);
        unexpected++;
    }
}

static void touch(char *p, size_t pages)
{
    for (size_t i = 0; i < pages; i++)
        ((volatile char *)p)[i * PAGE_SIZE] = 1;
}

static long sum(const char *p, size_t pages)
{
    long s = 0;
    for (size_t i = 0; i < pages; i++)
        s += ((volatile const char *)p)[i * PAGE_SIZE];
    return s;
}

/* A fresh private anonymous region, in 4 KiB pages on Linux too. */
static char *map_region(size_t pages)
{
    char *p = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("tlb: mmap");
        exit(1);
    }
    madvise(p, pages * PAGE_SIZE, MADV_NOHUGEPAGE); /* Linux: no 2 MiB pages; Pagewise: EINVAL, harmless */
    return p;
}

static void pcid_note(void)
{
    unsigned a, b, c, d;
    int pcid = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 17)); /* CPUID.1:ECX.PCID[bit 17] */

    printf("CPU: PCID %s (CPUID.1:ECX bit 17).\n", pcid ? "present" : "absent");
    if (on_pagewise)
        printf("Pagewise does not use PCID (boot log: \"cpu: PCID ... (not used yet)\"), so every\n"
               "CR3 write drops all non-global TLB entries. Kernel pages are Global (PTE G bit,\n"
               "CR4.PGE): they survive a CR3 write; only invlpg or a full flush drops them.\n\n");
    else
        printf("Linux tags TLB entries with a PCID when the CPU has one, so a switch back to\n"
               "a recently run process can find its entries still in the TLB.\n\n");
}

/* (a) first touch: faults, no flush. */
static char *step_first_touch(void)
{
    struct counters b, a;
    char *p = map_region(NPAGES);

    printf("(a) mmap %d pages read-write, then write one byte in each\n", NPAGES);
    read_counters(&b);
    touch(p, NPAGES);
    read_counters(&a);
    show(&b, &a);
    printf("    One fault per page and no invlpg: the PTEs were not present, and a\n"
           "    not-present PTE is never cached in the TLB, so there was nothing stale\n"
           "    to drop. The retried write missed the TLB and the hardware walker\n"
           "    loaded the new PTE: that refill is not a fault (mm/fault.c map_new_frame).\n\n");
    expect(delta(&b, &a, PGFAULT) >= NPAGES, "fewer faults than pages touched");
    expect(delta(&b, &a, ONE) + delta(&b, &a, ALL) <= NPAGES / 16, "first touches flushed the TLB");
    return p;
}

/* (b) mprotect read-only: one invlpg per present page; reading is free. */
static void step_mprotect(char *p)
{
    struct counters b, a;

    printf("(b) mprotect the %d pages to PROT_READ\n", NPAGES);
    read_counters(&b);
    mprotect(p, NPAGES * PAGE_SIZE, PROT_READ);
    read_counters(&a);
    show(&b, &a);
    printf("    The TLB may hold the old read-write translations: a write through one\n"
           "    would bypass the new protection. Pagewise's mprotect rewrites each present\n"
           "    PTE with paging_protect, which does one invlpg per page whatever the count\n"
           "    (the %d-page ceiling of mm/tlb.h applies to range flushes: munmap, fork).\n\n",
           FLUSH_CEILING);
    expect(delta(&b, &a, ONE) >= NPAGES || delta(&b, &a, ALL) >= 1, "mprotect did not flush");

    printf("(b') read every page again\n");
    read_counters(&b);
    long s = sum(p, NPAGES);
    read_counters(&a);
    show(&b, &a);
    printf("    %ld pages read, no fault: each read missed the TLB (we just flushed it)\n"
           "    and the walker refilled it from the page tables, in hardware.\n\n",
           s);
    expect(delta(&b, &a, PGFAULT) < NPAGES / 4, "TLB refills counted as page faults");
}

/* (c) munmap: a range flush, per page below the ceiling, full above. */
static void step_munmap(char *p)
{
    struct counters b, a;

    printf("(c) munmap the first %d pages (below the ceiling of %d)\n", SMALL_UNMAP, FLUSH_CEILING);
    read_counters(&b);
    munmap(p, SMALL_UNMAP * PAGE_SIZE);
    read_counters(&a);
    show(&b, &a);
    printf("    The PTEs are cleared and the range flushed page by page: invlpg x %d\n"
           "    (mm/paging.c paging_unmap_range -> mm/tlb.c tlb_flush_range).\n\n",
           SMALL_UNMAP);
    expect(delta(&b, &a, ONE) >= SMALL_UNMAP, "munmap did not invlpg each page");

    printf("(c') munmap the other %d pages (above the ceiling)\n", NPAGES - SMALL_UNMAP);
    read_counters(&b);
    munmap(p + SMALL_UNMAP * PAGE_SIZE, (NPAGES - SMALL_UNMAP) * PAGE_SIZE);
    read_counters(&a);
    show(&b, &a);
    printf("    More than %d pages: one full flush is cheaper than %d invlpg (Linux's\n"
           "    rule too: tlb_single_page_flush_ceiling). With CR4.PGE on, Pagewise\n"
           "    toggles PGE, which drops the global kernel entries as well.\n\n",
           FLUSH_CEILING, NPAGES - SMALL_UNMAP);
    expect(delta(&b, &a, ALL) >= 1 || delta(&b, &a, ONE) >= NPAGES - SMALL_UNMAP, "big munmap did not flush");
}

/* (d) fork write-protects our writable pages; then each first write faults. */
static void step_fork(void)
{
    struct counters b, a;
    char *p = map_region(NPAGES);
    int status;

    touch(p, NPAGES);
    printf("(d) with %d more pages written, fork a child that exits at once\n", NPAGES);
    fflush(stdout); /* the child must not inherit unprinted output */
    read_counters(&b);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("tlb: fork/waitpid");
        exit(1);
    }
    read_counters(&a);
    show(&b, &a);
    printf("    Copy-on-write: fork made every writable PTE of ours read-only. More than\n"
           "    %d of them: one full flush (mm/mm.c flush_batch_run). The CR3 writes:\n"
           "    to the child, to the kernel's tables as it exits, back to us. The few\n"
           "    faults are the stacks being copied on write (one invlpg each); 4 more\n"
           "    invlpg unmap the child's kernel stack from the vmalloc area when wait\n"
           "    frees it (mm/vmalloc.c): kernel PTEs are flushed like user ones.\n\n",
           FLUSH_CEILING);
    expect(delta(&b, &a, ALL) >= 1 || delta(&b, &a, ONE) >= NPAGES, "fork did not flush our PTEs");
    expect(delta(&b, &a, CR3) >= 2, "no address-space switch to the child and back");

    printf("(d') write the %d pages again (the child is gone)\n", NPAGES);
    read_counters(&b);
    touch(p, NPAGES);
    read_counters(&a);
    show(&b, &a);
    printf("    The PTEs are still read-only since fork, so each first write faults.\n"
           "    No one else maps the frames now: the kernel just sets the PTE writable\n"
           "    again (no copy) and drops the old read-only entry: invlpg (do_wp_page).\n\n");
    expect(delta(&b, &a, PGFAULT) >= NPAGES, "writes after fork did not fault");
    expect(delta(&b, &a, ONE) >= NPAGES, "copy-on-write faults did not invlpg");
    munmap(p, NPAGES * PAGE_SIZE);
}

/* The child of step (e): echo each byte back until end of file. */
static void echo_child(int in, int out)
{
    char c;
    while (read(in, &c, 1) == 1)
        if (write(out, &c, 1) != 1)
            break;
    _exit(0);
}

/* n round trips of one byte: parent -> child -> parent. 0 if all came back. */
static int round_trips(int to, int from, int n)
{
    for (int i = 0; i < n; i++) {
        char c = (char)i, r;
        if (write(to, &c, 1) != 1 || read(from, &r, 1) != 1 || r != c)
            return -1;
    }
    return 0;
}

/* The thread of step (f): the same echo, in our own address space. */
struct echo_pipes {
    int in, out;
};

static void *echo_thread(void *arg)
{
    struct echo_pipes *p = arg;
    char c;
    while (read(p->in, &c, 1) == 1)
        if (write(p->out, &c, 1) != 1)
            break;
    return NULL;
}

/* (f) the same ping-pong with a thread: as many switches, no CR3 write. */
static void step_thread_pingpong(void)
{
    struct counters b, a;
    int down[2], up[2];
    pthread_t th;

    printf("(f) the same %d round trips with a thread of ours instead of a child\n", ROUND_TRIPS);
    fflush(stdout);
    if (pipe(down) || pipe(up)) {
        perror("tlb: pipe");
        exit(1);
    }
    struct echo_pipes ends = {down[0], up[1]};
    int ok = pthread_create(&th, NULL, echo_thread, &ends) == 0;
    ok = ok && round_trips(down[1], up[0], 10) == 0;
    read_counters(&b);
    ok = ok && round_trips(down[1], up[0], ROUND_TRIPS) == 0;
    read_counters(&a);
    close(down[1]); /* the thread's read() sees end of file */
    if (ok)
        pthread_join(th, NULL);
    close(down[0]);
    close(up[0]);
    close(up[1]);
    show(&b, &a);
    printf("    The same two switches per round trip, but both threads run in one\n"
           "    address space: the scheduler finds the page tables it needs already in\n"
           "    CR3 and writes nothing, so the TLB keeps every entry. Switching threads\n"
           "    is cheaper than switching processes for that reason alone.\n\n");
    expect(ok, "the bytes did not come back");
    expect(delta(&b, &a, CR3) <= 2, "a CR3 write between threads of one process");
}

/* (e) ping-pong: two switches per round trip, and no faults. */
static void step_pingpong(void)
{
    struct counters b, a;
    int down[2], up[2], status;

    printf("(e) %d round trips of one byte between us and a child, through two pipes\n", ROUND_TRIPS);
    fflush(stdout);
    if (pipe(down) || pipe(up)) {
        perror("tlb: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        echo_child(down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    /* Warm up: both sides copy their stacks on write once, before we count. */
    read_counters(&b); /* ... and so does our counter buffer, shared with the child */
    int ok = pid > 0 && round_trips(down[1], up[0], 10) == 0;
    read_counters(&b);
    ok = ok && round_trips(down[1], up[0], ROUND_TRIPS) == 0;
    read_counters(&a);
    close(down[1]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    close(up[0]);
    show(&b, &a);
    printf("    Each round trip, each side blocks in read() until the other writes: two\n"
           "    switches, two CR3 writes, each dropping every non-global TLB entry (no\n"
           "    PCID). Both processes then run on an empty TLB: every first access after\n"
           "    a switch misses, and the walker refills it. Not one of those is a fault.\n");
    if (!on_pagewise)
        printf("    (Linux with several CPUs may run the two processes on two CPUs at once:\n"
               "    then a round trip needs no switch at all.)\n");
    printf("\n");
    expect(ok, "the bytes did not come back");
    expect(delta(&b, &a, CR3) >= 2 * ROUND_TRIPS - 2, "fewer than 2 CR3 writes per round trip");
    expect(delta(&b, &a, CR3) <= 3 * ROUND_TRIPS, "many more CR3 writes than switches");
    expect(delta(&b, &a, PGFAULT) < ROUND_TRIPS / 10, "TLB refills after a switch counted as faults");
}

int main(void)
{
    struct utsname u;
    struct counters c;

    setvbuf(stdout, NULL, _IOLBF, 0);
    on_pagewise = uname(&u) == 0 && strcmp(u.sysname, "Pagewise") == 0;
    /* The counts are one CPU's lesson: with several CPUs, run (and let the
     * children and threads run) on CPU 0 only, or a child on another CPU
     * would need no CR3 write to run (see the shootdown demo for the rest). */
    cpu_set_t cpu0;
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    sched_setaffinity(0, sizeof(cpu0), &cpu0);
    read_counters(&c); /* also faults vmstat_buf in, once, before any measurement */
    printf("tlb: the TLB caches translations; the kernel must drop stale ones (invlpg,\n"
           "full flush, CR3 write) and never needs to for a PTE that was not present.\n"
           "Counters from /proc/vmstat, change during each step:\n\n");
    if (c.v[ONE] < 0)
        printf("(This kernel has no TLB counters in /proc/vmstat: Linux shows them only\n"
               "when built with CONFIG_DEBUG_TLBFLUSH. The steps run anyway; the\n"
               "explanations describe what Pagewise's code does.)\n\n");
    pcid_note();

    char *p = step_first_touch();
    step_mprotect(p);
    step_munmap(p);
    step_fork();
    step_pingpong();
    step_thread_pingpong();

    printf("Summary: filling an empty PTE costs a fault and no flush; changing or\n"
           "removing a present one costs an invlpg (or one full flush above %d pages);\n"
           "a switch of address space costs a CR3 write, and the TLB misses after it\n"
           "are refilled by the hardware, not by page faults.\n",
           FLUSH_CEILING);
    if (!on_pagewise) {
        printf("(Not Pagewise: the numbers were shown, not checked.)\n");
        return 0;
    }
    printf(unexpected ? "%d UNEXPECTED movements (see above).\n" : "Every counter moved as expected.\n", unexpected);
    return unexpected ? 1 : 0;
}
