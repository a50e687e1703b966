/*
 * tests/user/t_mmcompose.c - memory-management features composed: copy-on-
 * write, swap, mprotect and file-backed private pages, each correct alone,
 * wrong together. Two reported bugs, as tests (Linux passes both):
 *
 *   (a) Isolation. 256 private anonymous pages hold 'A'; fork; both copies
 *       (one frame, shared copy-on-write) go to swap. The parent reads its
 *       pages back (read faults only), mprotect(PROT_READ|PROT_WRITE)s them
 *       and writes 'B'. The child, which never touched them, must still
 *       read 'A': the parent's read fault mapped the swap-cache frame while
 *       the child's page table still names the swap slot, and mprotect must
 *       not take "one mapper left" for "nobody else uses this frame".
 *
 *   (b) Lost writes. One byte written into each of 64 pages of an
 *       initialised .data array (so the page is now anonymous memory in a
 *       file-backed private mapping), made PROT_READ, pushed to swap, read
 *       back (a read fault: a clean PTE), pushed out again. The written
 *       bytes must survive: such a page cannot be dropped as "clean, the
 *       file has it", the file holds the old bytes. A fork whose parent
 *       then exits reaches a similar state (a write-protected private page
 *       with a single mapper) without mprotect; and with the mprotect made
 *       by the child after its parent is gone, the same state.
 *
 * Each comes twice: with memory pressure (a private mapping of twice
 * MemTotal, every page written, then unmapped; twice over) and with
 * madvise(MADV_PAGEOUT) (Linux 5.4+; much faster). On Pagewise, with a
 * swap disk, /proc/self/pagemap bit 62 must show the pages really were on
 * swap (for MADV_PAGEOUT: when the kernel knows it), and /proc/vmcheck (the
 * kernel's invariant checker, when it exists) must say "vm_check: ok" at
 * the end of every case.
 *
 * Meant for a boot with MEM=96M SWAP=256M. Natively the pressure is capped
 * (see pressure_bytes) and this machine may have no swap: Linux then pages
 * nothing out and the cases check the logic only.
 * Run: t_mmcompose [test_name...]
 */
#include "testlib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21 /* Linux 5.4+: reclaim these pages now */
#endif

#define PM_SWAP (1ULL << 62) /* /proc/self/pagemap: the page is on swap */

#define MMC_TIMEOUT 400            /* seconds a case (or a child) may take: swap is slow */
#define NATIVE_PRESSURE (64 * MiB) /* see pressure_bytes() */

#define ISO_PAGES 256 /* case (a) */
#define DATA_PAGES 64 /* case (b) */
#define MARK_AT 100   /* where case (b) writes its byte in each page */

/* ---------------------------------------------------------------------------
 * Pushing pages out: pressure, or MADV_PAGEOUT.
 * ------------------------------------------------------------------------- */

/* Bytes of memory pressure: twice MemTotal on Pagewise, so that everything
 * else must go to swap. Natively at most NATIVE_PRESSURE: this machine may
 * have a lot of RAM and no swap, pressure could not push anything out, and
 * the native run is about the logic, kept fast. */
static size_t pressure_bytes(void)
{
    long long total = meminfo_kb("MemTotal");
    size_t twice = total > 0 ? (size_t)total * 1024 * 2 : NATIVE_PRESSURE;
    if (!on_pagewise() && twice > NATIVE_PRESSURE)
        twice = NATIVE_PRESSURE;
    return twice;
}

/* One round of pressure: map pressure_bytes() of private anonymous memory,
 * write every page, unmap it. Returns 0, or -1 if the mmap failed. */
static int hog_once(void)
{
    size_t len = pressure_bytes();
    char *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED)
        return -1;
    touch_pages(h, len, 0x5c);
    munmap(h, len);
    return 0;
}

/* Push (nearly) everything else to swap: two rounds of pressure. */
static int push_out(void)
{
    if (hog_once() != 0)
        return -1;
    return hog_once();
}

/* madvise(MADV_PAGEOUT) on [p, p+len): 0 when done, 1 when the kernel does
 * not know the advice (EINVAL: Linux < 5.4, or a Pagewise without it), -1
 * on another error (errno set). Without swap Linux returns 0 and keeps
 * anonymous pages where they are. */
static int pageout_try(void *p, size_t len)
{
    if (madvise(p, len, MADV_PAGEOUT) == 0)
        return 0;
    return errno == EINVAL ? 1 : -1;
}

/* Can "went to swap" be checked? On Pagewise only (this Linux may have no
 * swap, and Linux reclaims as it sees fit), and only with a swap disk. */
static int swap_checkable(void) { return on_pagewise() && meminfo_kb("SwapTotal") > 0; }

/* ---------------------------------------------------------------------------
 * The kernel's own opinion.
 * ------------------------------------------------------------------------- */

/* A case: its body, then (if the body passed) check_vmcheck(). With a time
 * limit for swap, and SIGPIPE ignored: a "go" to a child that died early
 * must not kill the test program (the child's death is the failure). */
#define MMC_CASE(name)                                                                                                 \
    static const char *name##_body(void);                                                                              \
    static const char *name(void)                                                                                      \
    {                                                                                                                  \
        alarm(MMC_TIMEOUT);                                                                                            \
        void (*old_)(int) = signal(SIGPIPE, SIG_IGN);                                                                  \
        const char *why_ = name##_body();                                                                              \
        signal(SIGPIPE, old_);                                                                                         \
        return why_ ? why_ : check_vmcheck();                                                                          \
    }                                                                                                                  \
    static const char *name##_body(void)

/* ---------------------------------------------------------------------------
 * Pipes between processes.
 * ------------------------------------------------------------------------- */

/* Read exactly len bytes (a child's report); returns the bytes read. */
static size_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* ---------------------------------------------------------------------------
 * (a) Isolation: copy-on-write + swap + mprotect.
 * ------------------------------------------------------------------------- */

/* Pages whose every byte is c. */
static long pages_all(const char *p, long pages, char c)
{
    long n = 0;
    for (long i = 0; i < pages; i++) {
        const volatile char *q = p + i * PAGE_SIZE;
        long j = 0;
        while (j < PAGE_SIZE && q[j] == c)
            j++;
        n += j == PAGE_SIZE;
    }
    return n;
}

/* What the child of case (a) saw. */
struct iso_report {
    long swapped; /* its pages on swap when it looked (before touching) */
    long a;       /* pages still all 'A' */
    long b;       /* pages that start with the parent's 'B' */
};

/* The child: wait for "go", then look at the pages it never touched. */
static void iso_child(const char *p, int go, int rep)
{
    alarm(MMC_TIMEOUT);
    struct iso_report r = {-1, -1, -1};
    if (wait_go(go) == 0) {
        r.swapped = swapped_pages(p, ISO_PAGES);
        r.a = pages_all(p, ISO_PAGES, 'A');
        r.b = 0;
        for (long i = 0; i < ISO_PAGES; i++)
            r.b += ((const volatile char *)p)[i * PAGE_SIZE] == 'B';
    }
    write_all(rep, (const char *)&r, sizeof(r));
    _exit(0);
}

/* What the parent of case (a) saw. */
struct iso_parent {
    int pageout;        /* pageout_try() before fork: 0, 1 (unsupported), -1 */
    long swapped;       /* its pages on swap before it read them back */
    long read_a;        /* pages read back as all 'A' */
    int mprotect_errno; /* 0 if mprotect worked */
    long wrote_b;       /* pages that hold all 'B' after the writes */
};

/* The parent's part after the fork (and the pressure): read back, make
 * read-write again, write 'B'. */
static void iso_parent_writes(char *p, struct iso_parent *s)
{
    s->swapped = swapped_pages(p, ISO_PAGES);
    s->read_a = pages_all(p, ISO_PAGES, 'A'); /* read faults only */
    s->mprotect_errno = mprotect(p, ISO_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
    if (s->mprotect_errno == 0)
        for (long i = 0; i < ISO_PAGES; i++)
            memset(p + i * PAGE_SIZE, 'B', PAGE_SIZE);
    s->wrote_b = pages_all(p, ISO_PAGES, 'B');
}

/* Judge case (a): the child's view first (the bug), then the parent's,
 * then whether the pages really went to swap. */
static const char *iso_verdict(const struct iso_parent *s, const struct iso_report *r, size_t got, int st,
                               int by_pageout)
{
    CHECK_EXITED(st, 0);
    CHECK(got == sizeof(*r) && r->a >= 0, "the child sent no report");
    CHECK(s->read_a == ISO_PAGES, "the parent read 'A' back in only %ld of %d pages", s->read_a, ISO_PAGES);
    CHECK(s->mprotect_errno == 0, "mprotect(PROT_READ|PROT_WRITE): %s", errname(s->mprotect_errno));
    CHECK(r->a == ISO_PAGES,
          "isolation breach: the child reads the parent's 'B' in %ld of %d pages (its own 'A' in %ld): the "
          "parent's writes after read-back and mprotect reached the child's copy",
          r->b, ISO_PAGES, r->a);
    CHECK(s->wrote_b == ISO_PAGES, "the parent reads its own 'B' in only %ld of %d pages", s->wrote_b, ISO_PAGES);
    if (!swap_checkable() || (by_pageout && s->pageout != 0))
        return PASS;
    CHECK(s->swapped == ISO_PAGES, "only %ld of the parent's %d pages were on swap before it read them back%s",
          s->swapped, ISO_PAGES, by_pageout ? " (MADV_PAGEOUT)" : " (pressure)");
    CHECK(r->swapped == ISO_PAGES, "only %ld of the child's %d untouched pages were on swap when it looked", r->swapped,
          ISO_PAGES);
    return PASS;
}

/* Case (a), its pages pushed out by pressure after the fork
 * (by_pageout = 0) or by MADV_PAGEOUT before it (by_pageout = 1: after
 * fork the pages are shared, and Linux pages out only pages that one
 * process maps alone). */
static const char *cow_swap_mprotect(int by_pageout)
{
    char *p = mmap(NULL, ISO_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    madvise(p, ISO_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE); /* one fault, one page (ignored if unknown) */
    memset(p, 'A', ISO_PAGES * PAGE_SIZE);

    struct iso_parent s = {0};
    if (by_pageout) {
        s.pageout = pageout_try(p, ISO_PAGES * PAGE_SIZE);
        if (s.pageout == 1)
            out("# MADV_PAGEOUT unknown to this kernel (EINVAL): nothing paged out, contents checked only\n");
        CHECK(s.pageout >= 0, "madvise(MADV_PAGEOUT): %s", errname(errno));
    }
    int go[2], rep[2];
    CHECK_OK(pipe(go));
    CHECK_OK(pipe(rep));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(go[1]);
        close(rep[0]);
        iso_child(p, go[0], rep[1]);
    }
    close(go[0]);
    close(rep[1]);
    int pushed = by_pageout ? 0 : push_out();
    if (pushed == 0)
        iso_parent_writes(p, &s);
    send_go(go[1]);
    close(go[1]);
    struct iso_report r = {-1, -1, -1};
    size_t got = read_full(rep[0], &r, sizeof(r));
    close(rep[0]);
    int st = wait_for(pid);
    munmap(p, ISO_PAGES * PAGE_SIZE);
    CHECK(pushed == 0, "the memory pressure's mmap of %zu MiB failed", pressure_bytes() / MiB);
    return iso_verdict(&s, &r, got, st, by_pageout);
}

/* (a) with pressure: the child reads 'A' in all 256 pages, the parent 'B'. */
MMC_CASE(mmc_cow_swap_mprotect_isolation) { return cow_swap_mprotect(0); }

/* (a) with MADV_PAGEOUT before the fork. */
MMC_CASE(mmc_cow_pageout_mprotect_isolation) { return cow_swap_mprotect(1); }

/* ---------------------------------------------------------------------------
 * (b) Lost writes: file-backed private pages through swap twice.
 * ------------------------------------------------------------------------- */

/* Initialised, so in .data (loaded from the program file): one array per
 * case that writes it in this process (a written page stays anonymous for
 * good), one for the fork cases (only their children write it). */
#define FILE_BYTES                                                                                                     \
    {                                                                                                                  \
        [0 ... DATA_PAGES * PAGE_SIZE - 1] = 'f'                                                                       \
    }
static char data_solo[DATA_PAGES * PAGE_SIZE] __attribute__((aligned(4096))) = FILE_BYTES;
static char data_solo_po[DATA_PAGES * PAGE_SIZE] __attribute__((aligned(4096))) = FILE_BYTES;
static char data_forked[DATA_PAGES * PAGE_SIZE] __attribute__((aligned(4096))) = FILE_BYTES;

/* The byte page i gets: never the file's 'f'. */
static char mark(long i) { return (char)('A' + i % 26); }

static void write_marks(char *d)
{
    for (long i = 0; i < DATA_PAGES; i++)
        ((volatile char *)d)[i * PAGE_SIZE + MARK_AT] = mark(i);
}

/* What a page-out cycle found. */
struct twice {
    int err;       /* 0; or 1 mprotect, 2 pressure's mmap, 3 MADV_PAGEOUT failed */
    int errnum;    /* errno of that failure */
    int pageout;   /* pageout_try(): 0 done, 1 unknown advice */
    long swapped1; /* pages on swap after the first push */
    long swapped2; /* ... after the second */
    long kept;     /* pages that hold their mark (and 'f' elsewhere) */
    long file;     /* pages that hold the file's 'f' where the mark was */
    long other;    /* pages that hold something else */
};

/* Push d's pages out: pressure, or MADV_PAGEOUT (result in t->pageout). */
static int push_data(char *d, int by_pageout, struct twice *t)
{
    int r;
    if (by_pageout) {
        t->pageout = pageout_try(d, DATA_PAGES * PAGE_SIZE);
        r = t->pageout >= 0 ? 0 : 3;
    } else {
        r = push_out() == 0 ? 0 : 2;
    }
    t->errnum = r ? errno : 0;
    return r;
}

/* Sort the pages into kept / file / other. */
static void judge_marks(const char *d, struct twice *t)
{
    for (long i = 0; i < DATA_PAGES; i++) {
        const volatile char *q = d + i * PAGE_SIZE;
        if (q[MARK_AT] == mark(i) && q[0] == 'f' && q[PAGE_SIZE - 1] == 'f')
            t->kept++;
        else if (q[MARK_AT] == 'f')
            t->file++;
        else
            t->other++;
    }
}

/* Out, in (read faults: clean PTEs), out again, then look. */
static void out_in_out(char *d, int by_pageout, struct twice *t)
{
    if ((t->err = push_data(d, by_pageout, t)) != 0)
        return;
    t->swapped1 = swapped_pages(d, DATA_PAGES);
    long sum = 0;
    for (long i = 0; i < DATA_PAGES; i++)
        sum += ((const volatile char *)d)[i * PAGE_SIZE + MARK_AT];
    (void)sum;
    if ((t->err = push_data(d, by_pageout, t)) != 0)
        return;
    t->swapped2 = swapped_pages(d, DATA_PAGES);
    judge_marks(d, t);
}

/* Judge a cycle: the contents first (the bug), then the swap. */
static const char *twice_verdict(const struct twice *t, int by_pageout)
{
    CHECK(t->err != 1, "mprotect(PROT_READ) of the .data pages: %s", errname(t->errnum));
    CHECK(t->err != 2, "the memory pressure's mmap of %zu MiB: %s", pressure_bytes() / MiB, errname(t->errnum));
    CHECK(t->err != 3, "madvise(MADV_PAGEOUT): %s", errname(t->errnum));
    CHECK(t->err == 0, "error %d", t->err);
    CHECK(t->kept == DATA_PAGES,
          "lost writes: %ld of %d written .data pages hold the file's bytes again after two trips to swap (%ld "
          "something else, %ld kept)",
          t->file, DATA_PAGES, t->other, t->kept);
    if (by_pageout && t->pageout == 1)
        out("# MADV_PAGEOUT unknown to this kernel (EINVAL): nothing paged out, contents checked only\n");
    if (!swap_checkable() || (by_pageout && t->pageout != 0))
        return PASS;
    CHECK(t->swapped1 == DATA_PAGES, "only %ld of %d pages were on swap after the first push", t->swapped1, DATA_PAGES);
    CHECK(t->swapped2 == DATA_PAGES, "only %ld of %d pages were on swap after the second push", t->swapped2,
          DATA_PAGES);
    return PASS;
}

/* (b) in this process: write, PROT_READ, out, in, out, check. */
static const char *data_swap_twice(char *d, int by_pageout)
{
    struct twice t = {0};
    write_marks(d);
    if (mprotect(d, DATA_PAGES * PAGE_SIZE, PROT_READ) != 0) {
        t.err = 1;
        t.errnum = errno;
    } else {
        out_in_out(d, by_pageout, &t);
    }
    return twice_verdict(&t, by_pageout);
}

/* (b) with pressure. */
MMC_CASE(mmc_data_swap_twice_keeps_writes) { return data_swap_twice(data_solo, 0); }

/* (b) with MADV_PAGEOUT. */
MMC_CASE(mmc_data_pageout_twice_keeps_writes) { return data_swap_twice(data_solo_po, 1); }

/* The grandchild G of the fork variants: once its parent M is gone, it is
 * the only mapper of M's written pages (write-protected by the fork). With
 * protect, it then makes them PROT_READ too. */
static void orphan_cycle(pid_t m, int by_pageout, int protect, int rep)
{
    alarm(MMC_TIMEOUT);
    for (int i = 0; i < 500 && getppid() == m; i++) /* M exits at once; 5 s at most */
        sleep_ms(10);
    struct twice t = {0};
    if (protect && mprotect(data_forked, DATA_PAGES * PAGE_SIZE, PROT_READ) != 0) {
        t.err = 1;
        t.errnum = errno;
    } else {
        out_in_out(data_forked, by_pageout, &t);
    }
    write_all(rep, (const char *)&t, sizeof(t));
    _exit(0);
}

/* (b) after a fork whose parent exits: M writes the marks, forks G and
 * exits; G (protect: mprotect PROT_READ) pushes out, reads, pushes out and
 * reports. G's pid comes first on the pipe: on Pagewise we are init, and
 * the orphan is ours to reap. */
static const char *data_orphan_twice(int by_pageout, int protect)
{
    int rep[2];
    CHECK_OK(pipe(rep));
    pid_t m = fork_child();
    CHECK(m != -1, "fork: %s", errname(errno));
    if (m == 0) {
        close(rep[0]);
        write_marks(data_forked);
        pid_t self = getpid();
        pid_t g = fork();
        if (g == 0)
            orphan_cycle(self, by_pageout, protect, rep[1]);
        if (g > 0)
            write_all(rep[1], (const char *)&g, sizeof(g));
        _exit(g > 0 ? 0 : 2);
    }
    close(rep[1]);
    int st = wait_for(m);
    pid_t g = -1;
    struct twice t = {.err = -1};
    size_t got = read_full(rep[0], &g, sizeof(g));
    got += read_full(rep[0], &t, sizeof(t));
    close(rep[0]);
    if (getpid() == 1 && g > 0)
        wait_for(g);
    CHECK_EXITED(st, 0);
    CHECK(got == sizeof(g) + sizeof(t), "the grandchild sent no report (it died?)");
    return twice_verdict(&t, by_pageout);
}

/* (b), fork variant, with pressure: the fork alone write-protected them. */
MMC_CASE(mmc_data_orphan_swap_twice_keeps_writes) { return data_orphan_twice(0, 0); }

/* (b), fork variant, with MADV_PAGEOUT. */
MMC_CASE(mmc_data_orphan_pageout_twice_keeps_writes) { return data_orphan_twice(1, 0); }

/* (b), fork variant, the orphan makes them PROT_READ; pressure. */
MMC_CASE(mmc_data_orphan_mprotect_swap_twice_keeps_writes) { return data_orphan_twice(0, 1); }

/* (b), fork variant, the orphan makes them PROT_READ; MADV_PAGEOUT. */
MMC_CASE(mmc_data_orphan_mprotect_pageout_twice_keeps_writes) { return data_orphan_twice(1, 1); }

/* ---------------------------------------------------------------------------
 * Afterwards.
 * ------------------------------------------------------------------------- */

/* Only this process is left: every swap slot in use is one of its pages or
 * a swap-cache copy (Pagewise with swap; skipped elsewhere). */
MMC_CASE(mmc_no_swap_leak)
{
    if (!swap_checkable())
        return PASS;
    return check_no_swap_leak();
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(mmc_cow_swap_mprotect_isolation),
    TEST(mmc_cow_pageout_mprotect_isolation),
    TEST(mmc_data_swap_twice_keeps_writes),
    TEST(mmc_data_pageout_twice_keeps_writes),
    TEST(mmc_data_orphan_swap_twice_keeps_writes),
    TEST(mmc_data_orphan_pageout_twice_keeps_writes),
    TEST(mmc_data_orphan_mprotect_swap_twice_keeps_writes),
    TEST(mmc_data_orphan_mprotect_pageout_twice_keeps_writes),
    TEST(mmc_no_swap_leak),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
