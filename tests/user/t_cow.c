/*
 * tests/user/t_cow.c - fork with copy-on-write, seen from user space.
 *
 * The idea under test: fork() copies no memory. Parent and child share every
 * frame, mapped read-only in both; the first *write* to a shared page, by
 * either side, is a page fault, and only then does the kernel copy that one
 * page (or, when the writer is the last one left using the frame, simply make
 * it writable again). A reverse map / reference count tells the kernel who
 * still shares a frame. So:
 *
 *   - a child writing N inherited pages takes about N page faults, and the
 *     parent's data is untouched by them (and the other way round);
 *   - a child that only reads inherited pages takes (almost) no faults and
 *     copies nothing;
 *   - three processes sharing one frame each end up with their own copy, and
 *     the last one keeps the original;
 *   - mprotect(PROT_READ|PROT_WRITE) on a shared page must not make it
 *     writable in place; read-only pages stay read-only in the child;
 *   - MADV_DONTNEED / munmap in the child leave the parent's pages alone;
 *   - many short-lived children leave free memory where it was (no frame
 *     leaks through the reference counts), 50 at once or a chain 30 deep;
 *   - on Pagewise, /proc/vmstat counts the copies in "cow_fault";
 *   - all of it still holds when the shared pages are on swap at the
 *     interesting moment (madvise(MADV_PAGEOUT), as Linux's
 *     selftests/mm/cow.c does): a page that came back from swap in one
 *     process while the other still names the swap slot is still shared,
 *     and a write (also after mprotect) must copy it.
 *
 * Counters: getrusage() ru_minflt in the child, sysinfo() freeram, and
 * /proc/vmstat. Children report numbers through a pipe
 * (run_in_child_report) and say what went wrong through their exit status.
 * Run: t_cow [test_name...]
 */
#include "testlib.h"

#include <sched.h>
#include <stdlib.h>

#define BUF_SIZE (4 * MiB)
#define BUF_PAGES (BUF_SIZE / PAGE_SIZE) /* 1024 */
#define FAULT_SLACK 64                   /* faults on our own stack, libc, ... */

/* Linux may back a big anonymous mapping with 2 MiB huge pages, and then one
 * fault copies (or maps) 512 pages: ask for 4 KiB pages. Pagewise has none
 * and may say EINVAL; the result is ignored. */
static void no_huge_pages(void *p, size_t len)
{
#ifdef MADV_NOHUGEPAGE
    madvise(p, len, MADV_NOHUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

static char *map_anon(size_t len)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        no_huge_pages(p, len);
    return p;
}

/* The value that word i of page `page` holds in generation `gen`. */
static uint64_t pattern(long page, long word, int gen)
{
    return ((uint64_t)page << 32) ^ ((uint64_t)word * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)gen << 56);
}

/* Fill a buffer: a few words per page (first, middle, last) are enough to
 * tell pages and generations apart, and cost one fault per page. */
static void fill(char *buf, long pages, int gen)
{
    for (long i = 0; i < pages; i++) {
        volatile uint64_t *w = (volatile uint64_t *)(buf + i * PAGE_SIZE);
        w[0] = pattern(i, 0, gen);
        w[256] = pattern(i, 256, gen);
        w[511] = pattern(i, 511, gen);
    }
}

/* The first page that does not hold generation gen, or -1 if all do. */
static long first_bad(const char *buf, long pages, int gen)
{
    for (long i = 0; i < pages; i++) {
        const volatile uint64_t *w = (const volatile uint64_t *)(buf + i * PAGE_SIZE);
        if (w[0] != pattern(i, 0, gen) || w[256] != pattern(i, 256, gen) || w[511] != pattern(i, 511, gen))
            return i;
    }
    return -1;
}

/* A checksum of every byte of the buffer (catches stray writes anywhere). */
static uint64_t checksum(const char *buf, size_t len)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < len; i += 8)
        sum = sum * 31 + *(const volatile uint64_t *)(buf + i);
    return sum;
}

/* Write one byte into every page: with COW, one fault (and one copy) each. */
static void write_each_page(char *buf, long pages, char v)
{
    for (long i = 0; i < pages; i++)
        ((volatile char *)buf)[i * PAGE_SIZE + 8] = v;
}

/* Read one byte of every page: with COW, no fault at all. */
static long read_each_page(const char *buf, long pages)
{
    long sum = 0;
    for (long i = 0; i < pages; i++)
        sum += ((const volatile char *)buf)[i * PAGE_SIZE + 16];
    return sum;
}

/* Where the children find the parent's buffer (set before each fork). */
static char *shared_buf;

/* Wait until every writer of the pipe has closed it (read returns 0). */
static int wait_eof(int fd)
{
    char c;
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return 0;
        if (n < 0)
            return -1;
    }
}

/* ---------------------------------------------------------------------------
 * Faults: one per page written, none per page read.
 * ------------------------------------------------------------------------- */

/* Child: check we see the parent's generation 1, write every page (each is a
 * COW fault), check our own writes stuck. vals[0] = faults taken. */
static int child_writes_all(long *vals)
{
    if (first_bad(shared_buf, BUF_PAGES, 1) >= 0)
        return 2;
    minflt(); /* warm up: getrusage's own stack and code */
    long f0 = minflt();
    write_each_page(shared_buf, BUF_PAGES, 0x5a);
    long f1 = minflt();
    vals[0] = f1 - f0;
    for (long i = 0; i < BUF_PAGES; i++)
        if (((volatile char *)shared_buf)[i * PAGE_SIZE + 8] != 0x5a)
            return 3;
    return 0;
}

/* A child that writes 4 MiB of inherited pages takes one fault per page
 * (1024, plus a few for its own stack), and the parent's copy is intact. */
static const char *cow_child_write_faults(void)
{
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap 4 MiB: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);
    uint64_t sum0 = checksum(buf, BUF_SIZE);

    shared_buf = buf;
    long vals[1] = {-1};
    int st = run_in_child_report(child_writes_all, vals, 1);
    uint64_t sum1 = checksum(buf, BUF_SIZE);
    long bad = first_bad(buf, BUF_PAGES, 1);

    /* The parent writes its own pages after the child is gone. */
    fill(buf, BUF_PAGES, 2);
    long bad2 = first_bad(buf, BUF_PAGES, 2);
    munmap(buf, BUF_SIZE);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child did not see the parent's data after fork");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child's writes to inherited pages did not stick");
    CHECK_EXITED(st, 0);
    CHECK(vals[0] >= BUF_PAGES, "the child wrote %ld inherited pages with only %ld page faults (expected >= %ld)",
          (long)BUF_PAGES, vals[0], (long)BUF_PAGES);
    CHECK(vals[0] <= BUF_PAGES + FAULT_SLACK,
          "the child wrote %ld inherited pages with %ld page faults (expected <= %ld)", (long)BUF_PAGES, vals[0],
          (long)BUF_PAGES + FAULT_SLACK);
    CHECK(bad < 0 && sum1 == sum0, "the child's writes changed the parent's data (first bad page %ld)", bad);
    CHECK(bad2 < 0, "the parent's own writes after the child exited did not stick (page %ld)", bad2);
    return PASS;
}

/* Child: read every inherited page. vals[0] = faults, vals[1] = free memory
 * used meanwhile (KiB). */
static int child_reads_all(long *vals)
{
    minflt();
    long long free0 = freeram();
    long f0 = minflt();
    long sum = read_each_page(shared_buf, BUF_PAGES);
    long f1 = minflt();
    long long free1 = freeram();
    vals[0] = f1 - f0;
    vals[1] = (long)((free0 - free1) / KiB);
    return sum == 0 ? 0 : 2; /* the pattern puts 0 at byte 16 of each page */
}

/* Reading inherited pages copies nothing: the child's page tables already
 * map the parent's frames (read-only). */
static const char *cow_child_read_no_copy(void)
{
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap 4 MiB: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);

    shared_buf = buf;
    long vals[2] = {-1, -1};
    int st = run_in_child_report(child_reads_all, vals, 2);
    long bad = first_bad(buf, BUF_PAGES, 1);
    munmap(buf, BUF_SIZE);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child read unexpected bytes from inherited pages");
    CHECK_EXITED(st, 0);
    CHECK(vals[0] < FAULT_SLACK, "reading %ld inherited pages took the child %ld page faults (expected < %d)",
          (long)BUF_PAGES, vals[0], FAULT_SLACK);
    /* Pagewise counts every free frame (Linux hides some in per-CPU lists). */
    if (on_pagewise())
        CHECK(vals[1] < 512, "reading 4 MiB of inherited pages used %ld KiB of free memory", vals[1]);
    CHECK(bad < 0, "the parent's data changed (page %ld)", bad);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Who keeps which copy.
 * ------------------------------------------------------------------------- */

/* The parent writes its pages while the child is alive (the parent takes the
 * faults now), then lets the child check it still sees the old data. */
static const char *cow_parent_write_while_child_alive(void)
{
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap 4 MiB: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);

    int go[2];
    CHECK_OK(pipe(go));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(go[1]);
        if (wait_go(go[0]) != 0)
            _exit(4);
        _exit(first_bad(buf, BUF_PAGES, 1) < 0 ? 0 : 2);
    }
    close(go[0]);
    minflt();
    long f0 = minflt();
    fill(buf, BUF_PAGES, 2);
    long f1 = minflt();
    send_go(go[1]);
    close(go[1]);
    int st = wait_for(pid);
    long bad = first_bad(buf, BUF_PAGES, 2);
    munmap(buf, BUF_SIZE);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child sees the parent's writes made after fork");
    CHECK_EXITED(st, 0);
    CHECK(f1 - f0 >= BUF_PAGES && f1 - f0 <= BUF_PAGES + FAULT_SLACK,
          "the parent wrote %ld shared pages with %ld page faults (expected %ld..%ld)", (long)BUF_PAGES, f1 - f0,
          (long)BUF_PAGES, (long)BUF_PAGES + FAULT_SLACK);
    CHECK(bad < 0, "the parent's own writes did not stick (page %ld)", bad);
    return PASS;
}

#define THREE_PAGES 64

/* Three processes share each frame: parent P, child C, grandchild G. P
 * writes first (P gets copies; C and G still share), then C (C gets copies;
 * G is left alone with the originals), then G (G may reuse the originals).
 * Everyone must see exactly their own generation. */
static const char *cow_three_way(void)
{
    char *buf = map_anon(THREE_PAGES * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, THREE_PAGES, 1);

    int p2c[2], c2g[2];
    CHECK_OK(pipe(p2c));
    CHECK_OK(pipe(c2g));
    pid_t c = fork_child();
    CHECK(c != -1, "fork: %s", errname(errno));
    if (c == 0) {
        close(p2c[1]);
        pid_t g = fork();
        if (g == -1)
            _exit(9);
        if (g == 0) { /* G */
            close(c2g[1]);
            close(p2c[0]);
            if (wait_go(c2g[0]) != 0)
                _exit(20);
            if (first_bad(buf, THREE_PAGES, 1) >= 0)
                _exit(21); /* G does not see the originals */
            fill(buf, THREE_PAGES, 3);
            _exit(first_bad(buf, THREE_PAGES, 3) < 0 ? 0 : 22);
        }
        /* C */
        close(c2g[0]);
        if (wait_go(p2c[0]) != 0) {
            kill_and_reap(g);
            _exit(10);
        }
        if (first_bad(buf, THREE_PAGES, 1) >= 0) {
            kill_and_reap(g);
            _exit(11); /* C sees P's writes */
        }
        fill(buf, THREE_PAGES, 2);
        send_go(c2g[1]);
        int gst = wait_for(g);
        if (first_bad(buf, THREE_PAGES, 2) >= 0)
            _exit(12); /* C's copy changed */
        if (gst == -1 || !WIFEXITED(gst))
            _exit(13);
        _exit(WEXITSTATUS(gst)); /* G's verdict: 0 or 20.. */
    }
    close(p2c[0]);
    close(c2g[0]);
    close(c2g[1]);
    fill(buf, THREE_PAGES, 4); /* P writes while C and G both share */
    send_go(p2c[1]);
    close(p2c[1]);
    int st = wait_for(c);
    long bad = first_bad(buf, THREE_PAGES, 4);
    munmap(buf, THREE_PAGES * PAGE_SIZE);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 11), "the child saw the parent's writes");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 12), "the grandchild's writes changed the child's pages");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 21),
          "the grandchild did not see the original data after parent and child wrote theirs");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 22), "the grandchild's own writes did not stick");
    CHECK_EXITED(st, 0);
    CHECK(bad < 0, "the parent's pages changed (page %ld)", bad);
    return PASS;
}

/* A child whose parent exits first: the frames the parent shared with it
 * must stay valid for the child (the parent's exit drops only its own
 * references). Parent P forks M, M forks G and exits at once; G then checks
 * and writes the pages and reports through a pipe. */
static const char *cow_parent_exits_first(void)
{
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);

    int rep[2];
    CHECK_OK(pipe(rep));
    pid_t m = fork_child();
    CHECK(m != -1, "fork: %s", errname(errno));
    if (m == 0) {
        close(rep[0]);
        pid_t g = fork();
        if (g == -1)
            _exit(2);
        if (g == 0) {
            /* Wait until M is gone (our parent changes), at most 5 s. */
            for (int i = 0; i < 500 && getppid() == m; i++)
                sleep_ms(10);
            long r[2];
            r[0] = getpid();
            r[1] = first_bad(buf, BUF_PAGES, 1) < 0 ? 0 : 1;
            fill(buf, BUF_PAGES, 5);
            if (r[1] == 0 && first_bad(buf, BUF_PAGES, 5) >= 0)
                r[1] = 2;
            write_all(rep[1], (const char *)r, sizeof(r));
            _exit(0);
        }
        _exit(0);
    }
    close(rep[1]);
    int st = wait_for(m);
    long r[2] = {-1, -1};
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t n = read(rep[0], (char *)r + got, sizeof(r) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(rep[0]);
    /* On Pagewise we are init (pid 1): the orphan is ours to reap. */
    if (getpid() == 1 && r[0] > 0)
        wait_for((pid_t)r[0]);
    long bad = first_bad(buf, BUF_PAGES, 1);
    munmap(buf, BUF_SIZE);

    CHECK_EXITED(st, 0);
    CHECK(got == sizeof(r), "the grandchild sent no report (it died?)");
    CHECK(r[1] != 1, "after its parent exited, the grandchild no longer saw the inherited data");
    CHECK(r[1] != 2, "the orphaned grandchild's writes did not stick");
    CHECK(bad < 0, "our pages changed (page %ld)", bad);
    return PASS;
}

/* mprotect on a shared page must keep it copy-on-write: making it writable
 * again must not let the writer scribble on the frame the child still uses. */
static const char *cow_mprotect_keeps_cow(void)
{
    const long pages = 16;
    char *buf = map_anon(pages * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, pages, 1);

    int go[2];
    CHECK_OK(pipe(go));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(go[1]);
        if (wait_go(go[0]) != 0)
            _exit(4);
        if (first_bad(buf, pages, 1) >= 0)
            _exit(2);
        /* The same dance in the child; the parent checks afterwards. */
        if (mprotect(buf, pages * PAGE_SIZE, PROT_READ) != 0 ||
            mprotect(buf, pages * PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
            _exit(5);
        fill(buf, pages, 6);
        _exit(first_bad(buf, pages, 6) < 0 ? 0 : 3);
    }
    close(go[0]);
    int r1 = mprotect(buf, pages * PAGE_SIZE, PROT_READ);
    int r2 = mprotect(buf, pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (r1 == 0 && r2 == 0)
        fill(buf, pages, 5);
    send_go(go[1]);
    close(go[1]);
    int st = wait_for(pid);
    long bad = first_bad(buf, pages, 5);
    munmap(buf, pages * PAGE_SIZE);

    CHECK(r1 == 0 && r2 == 0, "mprotect failed: %s", errname(errno));
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2),
          "after mprotect(PROT_READ) then mprotect(PROT_READ|PROT_WRITE), the parent's writes reached the child");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child's writes after its mprotect dance did not stick");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 5), "mprotect failed in the child");
    CHECK_EXITED(st, 0);
    CHECK(bad < 0, "the child's writes (after its mprotect dance) reached the parent (page %ld)", bad);
    return PASS;
}

/* A read-only private page is read-only in the child too: COW applies to
 * writable mappings only, and a write is still a SIGSEGV. */
static const char *cow_readonly_stays_readonly(void)
{
    char *buf = map_anon(4 * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, 4, 1);
    CHECK_OK(mprotect(buf, 4 * PAGE_SIZE, PROT_READ));

    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        ((volatile char *)buf)[PAGE_SIZE + 8] = 1;
        _exit(0);
    }
    int st = wait_for(pid);
    long bad = first_bad(buf, 4, 1);
    munmap(buf, 4 * PAGE_SIZE);
    CHECK_KILLED_BY(st, SIGSEGV);
    CHECK(bad < 0, "the child's write to a read-only page reached the parent (page %ld)", bad);
    return PASS;
}

/* The child drops inherited pages (MADV_DONTNEED: they read as zero again)
 * and unmaps others: the parent keeps all of its data. */
static const char *cow_child_dontneed_munmap(void)
{
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);
    uint64_t sum0 = checksum(buf, BUF_SIZE);

    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (madvise(buf, BUF_SIZE / 2, MADV_DONTNEED) != 0)
            _exit(2);
        for (long i = 0; i < BUF_PAGES / 2; i++)
            if (((volatile uint64_t *)(buf + i * PAGE_SIZE))[0] != 0)
                _exit(3);
        if (munmap(buf + BUF_SIZE / 2, BUF_SIZE / 2) != 0)
            _exit(4);
        _exit(0);
    }
    int st = wait_for(pid);
    uint64_t sum1 = checksum(buf, BUF_SIZE);
    long bad = first_bad(buf, BUF_PAGES, 1);
    munmap(buf, BUF_SIZE);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "madvise(MADV_DONTNEED) failed in the child");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "after MADV_DONTNEED the child's pages do not read as zero");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 4), "munmap failed in the child");
    CHECK_EXITED(st, 0);
    CHECK(bad < 0 && sum0 == sum1, "the child's MADV_DONTNEED/munmap changed the parent's data (page %ld)", bad);
    return PASS;
}

/* .data pages straight from the program file, never touched by the parent
 * before fork: the child's writes copy them, the parent still reads the
 * file's bytes. */
static char file_data[64 * PAGE_SIZE] = {7, [32 * PAGE_SIZE] = 8, [64 * PAGE_SIZE - 1] = 9};

static char peek(const char *p) { return *(const volatile char *)p; }

static const char *cow_untouched_data_pages(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (peek(&file_data[32 * PAGE_SIZE]) != 8)
            _exit(2);
        for (size_t off = 0; off < sizeof(file_data); off += PAGE_SIZE)
            ((volatile char *)file_data)[off] = 42;
        ((volatile char *)file_data)[sizeof(file_data) - 1] = 43;
        _exit(peek(&file_data[0]) == 42 && peek(&file_data[sizeof(file_data) - 1]) == 43 ? 0 : 3);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the child did not see the program's .data contents");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child's writes to .data did not stick");
    CHECK_EXITED(st, 0);
    CHECK(peek(&file_data[0]) == 7, "after the child wrote .data, the parent reads %d (expected 7)",
          peek(&file_data[0]));
    CHECK(peek(&file_data[32 * PAGE_SIZE]) == 8, "the parent's .data page 32 reads %d (expected 8)",
          peek(&file_data[32 * PAGE_SIZE]));
    CHECK(peek(&file_data[sizeof(file_data) - 1]) == 9, "the parent's last .data byte reads %d (expected 9)",
          peek(&file_data[sizeof(file_data) - 1]));
    CHECK(peek(&file_data[PAGE_SIZE]) == 0, "the parent's .data page 1 reads %d (expected 0)",
          peek(&file_data[PAGE_SIZE]));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Swapped out at the interesting moment (as Linux's selftests/mm/cow.c
 * does): the same rules hold when a shared page is on swap, half on swap,
 * or back from swap in one process only. The pages go out with
 * madvise(MADV_PAGEOUT). Linux pages out only pages that one process maps
 * alone, so the cases page out before fork, or pages a child owns alone.
 * On Pagewise, with a swap disk, pagemap bit 62 must show them on swap.
 * ------------------------------------------------------------------------- */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21 /* Linux 5.4+ */
#endif
#define PM_SWAP (1ULL << 62) /* /proc/self/pagemap: on swap */

#define SW_PAGES 64
#define SW_HALF (SW_PAGES / 2)

/* A swapped-out case: its body, then (if it passed) check_vmcheck(). SIGPIPE
 * is ignored meanwhile: a "go" to a child that died early must not kill
 * the test program (the child's death is the failure to report). */
#define SWAP_CASE(name)                                                                                                \
    static const char *name##_body(void);                                                                              \
    static const char *name(void)                                                                                      \
    {                                                                                                                  \
        void (*old_)(int) = signal(SIGPIPE, SIG_IGN);                                                                  \
        const char *why_ = name##_body();                                                                              \
        signal(SIGPIPE, old_);                                                                                         \
        return why_ ? why_ : check_vmcheck();                                                                          \
    }                                                                                                                  \
    static const char *name##_body(void)

/* A pipe in each direction between parent and child. */
struct chan {
    int down[2]; /* parent -> child: "go" */
    int up[2];   /* child -> parent: "done", then the verdict */
};

static int chan_open(struct chan *c) { return pipe(c->down) == 0 && pipe(c->up) == 0 ? 0 : -1; }

/* After fork: keep only this side's ends. */
static void chan_side(struct chan *c, int child)
{
    close(child ? c->down[1] : c->down[0]);
    close(child ? c->up[0] : c->up[1]);
}

/* Paged out while one process mapped them, then forked: the child writes
 * (its copies come from swap), the parent still reads its own data, and
 * after the child is gone writes its own. */
SWAP_CASE(cow_swapped_before_fork_child_writes)
{
    char *buf = map_anon(SW_PAGES * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, SW_PAGES, 1);
    const char *why = page_out(buf, SW_PAGES, SW_PAGES);
    if (why) {
        munmap(buf, SW_PAGES * PAGE_SIZE);
        return why;
    }
    struct chan c;
    CHECK_OK(chan_open(&c));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        chan_side(&c, 1);
        if (first_bad(buf, SW_PAGES, 1) >= 0)
            child_verdict(c.up[1], FAIL("after fork the swapped-out pages do not hold the parent's data"));
        fill(buf, SW_PAGES, 2);
        child_verdict(c.up[1], first_bad(buf, SW_PAGES, 2) >= 0 ? FAIL("the child's writes did not stick") : PASS);
    }
    chan_side(&c, 0);
    why = parent_verdict(c.up[0], pid);
    long bad = first_bad(buf, SW_PAGES, 1);
    fill(buf, SW_PAGES, 3);
    long bad3 = first_bad(buf, SW_PAGES, 3);
    munmap(buf, SW_PAGES * PAGE_SIZE);
    close(c.up[0]);
    close(c.down[1]);
    if (why)
        return why;
    CHECK(bad < 0, "the child's writes to pages that came from swap reached the parent (page %ld)", bad);
    CHECK(bad3 < 0, "the parent's own writes after the child exited did not stick (page %ld)", bad3);
    return PASS;
}

/* Paged out, forked: the parent writes (from swap, while the child still
 * names the same swap slots), the child then reads its own old data. */
SWAP_CASE(cow_swapped_before_fork_parent_writes)
{
    char *buf = map_anon(SW_PAGES * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, SW_PAGES, 1);
    const char *why = page_out(buf, SW_PAGES, SW_PAGES);
    if (why) {
        munmap(buf, SW_PAGES * PAGE_SIZE);
        return why;
    }
    struct chan c;
    CHECK_OK(chan_open(&c));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        chan_side(&c, 1);
        if (wait_go(c.down[0]) != 0)
            child_verdict(c.up[1], FAIL("no go from the parent"));
        if (first_bad(buf, SW_PAGES, 1) >= 0)
            child_verdict(c.up[1], FAIL("the parent's writes reached the child's swapped-out pages (page %ld)",
                                        first_bad(buf, SW_PAGES, 1)));
        fill(buf, SW_PAGES, 3);
        child_verdict(c.up[1], first_bad(buf, SW_PAGES, 3) >= 0 ? FAIL("the child's writes did not stick") : PASS);
    }
    chan_side(&c, 0);
    fill(buf, SW_PAGES, 2);
    long bad2 = first_bad(buf, SW_PAGES, 2);
    send_go(c.down[1]);
    why = parent_verdict(c.up[0], pid);
    long bad = first_bad(buf, SW_PAGES, 2);
    munmap(buf, SW_PAGES * PAGE_SIZE);
    close(c.up[0]);
    close(c.down[1]);
    CHECK(bad2 < 0, "the parent's writes to swapped-out shared pages did not stick (page %ld)", bad2);
    if (why)
        return why;
    CHECK(bad < 0, "the child's writes reached the parent (page %ld)", bad);
    return PASS;
}

/* Forked first; the parent writes half the pages (so the child alone maps
 * the originals of that half); the child pages everything out (Linux pages
 * out only that half; the other half is still shared); then the parent
 * writes the other half. The child must read its old data everywhere. */
SWAP_CASE(cow_swapped_in_child_parent_writes)
{
    char *buf = map_anon(SW_PAGES * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, SW_PAGES, 1);
    struct chan c;
    CHECK_OK(chan_open(&c));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        chan_side(&c, 1);
        const char *why = wait_go(c.down[0]) != 0 ? FAIL("no first go from the parent") : PASS;
        if (!why)
            why = page_out(buf, SW_PAGES, SW_HALF); /* the first half: ours alone */
        send_go(c.up[1]);
        if (wait_go(c.down[0]) != 0 && !why) /* even after a failure: the parent writes to us */
            why = FAIL("no second go from the parent");
        long bad = why ? -1 : first_bad(buf, SW_PAGES, 1);
        if (bad >= 0)
            why = FAIL("the child reads the parent's data in page %ld (it had paged out, the parent wrote)", bad);
        child_verdict(c.up[1], why);
    }
    chan_side(&c, 0);
    fill(buf, SW_HALF, 2); /* the first half: the parent gets copies */
    send_go(c.down[1]);
    wait_go(c.up[0]); /* the child has paged out */
    fill(buf + SW_HALF * PAGE_SIZE, SW_HALF, 3);
    send_go(c.down[1]);
    const char *why = parent_verdict(c.up[0], pid);
    long bad2 = first_bad(buf, SW_HALF, 2), bad3 = first_bad(buf + SW_HALF * PAGE_SIZE, SW_HALF, 3);
    munmap(buf, SW_PAGES * PAGE_SIZE);
    close(c.up[0]);
    close(c.down[1]);
    if (why)
        return why;
    CHECK(bad2 < 0 && bad3 < 0, "the parent's own writes did not stick (pages %ld, %ld of each half)", bad2, bad3);
    return PASS;
}

/* Paged out, forked; then one process reads a page back (swap-in: it maps
 * the frame, the other still names the slot) and the other writes it:
 * the writer must get a copy. The first half: the child reads, the parent
 * writes; the second half: the parent reads, the child writes. */
SWAP_CASE(cow_swapped_read_by_one_written_by_other)
{
    char *buf = map_anon(SW_PAGES * PAGE_SIZE), *second = buf + SW_HALF * PAGE_SIZE;
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, SW_HALF, 1); /* each half numbered from 0 */
    fill(second, SW_HALF, 1);
    const char *why = page_out(buf, SW_PAGES, SW_PAGES);
    if (why) {
        munmap(buf, SW_PAGES * PAGE_SIZE);
        return why;
    }
    struct chan c;
    CHECK_OK(chan_open(&c));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        chan_side(&c, 1);
        long sum = read_each_page(buf, SW_HALF); /* swap-in of the first half, here only */
        send_go(c.up[1]);
        if (wait_go(c.down[0]) != 0)
            child_verdict(c.up[1], FAIL("no go from the parent"));
        fill(second, SW_HALF, 3);
        long bad1 = first_bad(buf, SW_HALF, 1), bad3 = first_bad(second, SW_HALF, 3);
        if (sum != 0 || bad1 >= 0)
            child_verdict(c.up[1], FAIL("the child's first half (read back, then written by the parent) lost its "
                                        "data (page %ld)",
                                        bad1));
        child_verdict(c.up[1], bad3 >= 0 ? FAIL("the child's writes did not stick (page %ld)", bad3) : PASS);
    }
    chan_side(&c, 0);
    wait_go(c.up[0]);
    fill(buf, SW_HALF, 2);                      /* the child mapped these frames back in */
    long sum = read_each_page(second, SW_HALF); /* swap-in of the second half, here only */
    send_go(c.down[1]);
    why = parent_verdict(c.up[0], pid);
    long bad2 = first_bad(buf, SW_HALF, 2), bad1 = first_bad(second, SW_HALF, 1);
    munmap(buf, SW_PAGES * PAGE_SIZE);
    close(c.up[0]);
    close(c.down[1]);
    if (why)
        return why;
    CHECK(bad2 < 0, "the parent's writes did not stick (page %ld)", bad2);
    CHECK(sum == 0 && bad1 < 0, "the child's writes reached the parent's second half, read back before (page %ld)",
          bad1);
    return PASS;
}

/* The reported bug, from fork's side: every other page on swap, fork; the
 * parent reads all back (read faults), mprotect(PROT_READ|PROT_WRITE)s the
 * range and writes. The child must keep its data in every page, both the
 * ones that were on swap and the ones that stayed. */
SWAP_CASE(cow_partly_swapped_fork_mprotect_write)
{
    char *buf = map_anon(SW_PAGES * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, SW_PAGES, 1);
    const char *why = PASS;
    for (long i = 1; i < SW_PAGES && !why; i += 2)
        why = page_out(buf + i * PAGE_SIZE, 1, 1);
    if (why) {
        munmap(buf, SW_PAGES * PAGE_SIZE);
        return why;
    }
    struct chan c;
    CHECK_OK(chan_open(&c));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        chan_side(&c, 1);
        if (wait_go(c.down[0]) != 0)
            child_verdict(c.up[1], FAIL("no go from the parent"));
        long bad = first_bad(buf, SW_PAGES, 1);
        child_verdict(c.up[1], bad >= 0 ? FAIL("isolation breach: the child reads the parent's writes in page %ld "
                                               "(%s)",
                                               bad, bad % 2 ? "was on swap" : "stayed in memory")
                                        : PASS);
    }
    chan_side(&c, 0);
    long bad1 = first_bad(buf, SW_PAGES, 1); /* read faults: swap-in of the odd pages */
    int r = mprotect(buf, SW_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE);
    int e = errno;
    if (r == 0)
        fill(buf, SW_PAGES, 2);
    long bad2 = first_bad(buf, SW_PAGES, 2);
    send_go(c.down[1]);
    why = parent_verdict(c.up[0], pid);
    munmap(buf, SW_PAGES * PAGE_SIZE);
    close(c.up[0]);
    close(c.down[1]);
    CHECK(bad1 < 0, "the parent read back wrong data in page %ld", bad1);
    CHECK(r == 0, "mprotect(PROT_READ|PROT_WRITE): %s", errname(e));
    if (why)
        return why;
    CHECK(bad2 < 0, "the parent's writes did not stick (page %ld)", bad2);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Many processes.
 * ------------------------------------------------------------------------- */

#define FANOUT 50

/* 50 children alive at once, all sharing the parent's pages; child i checks
 * all of them, writes page i and exits with i. */
static const char *cow_fork_fanout_50(void)
{
    char *buf = map_anon(FANOUT * PAGE_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, FANOUT, 1);

    int go[2];
    CHECK_OK(pipe(go));
    pid_t pids[FANOUT];
    for (int i = 0; i < FANOUT; i++) {
        pids[i] = fork_child();
        if (pids[i] == 0) {
            close(go[1]);
            if (wait_eof(go[0]) != 0) /* EOF is the go signal */
                _exit(100);
            if (first_bad(buf, FANOUT, 1) >= 0)
                _exit(101);
            ((volatile uint64_t *)(buf + i * PAGE_SIZE))[0] = 12345;
            if (((volatile uint64_t *)(buf + i * PAGE_SIZE))[0] != 12345)
                _exit(102);
            _exit(i);
        }
        if (pids[i] == -1) {
            int e = errno;
            close(go[0]);
            close(go[1]);
            for (int j = 0; j < i; j++)
                kill_and_reap(pids[j]);
            munmap(buf, FANOUT * PAGE_SIZE);
            return FAIL("fork number %d failed: %s", i + 1, errname(e));
        }
    }
    /* All 50 exist now; closing the write end is "go" for all (EOF). */
    close(go[0]);
    close(go[1]);
    const char *why = PASS;
    for (int i = 0; i < FANOUT; i++) {
        int st = wait_for(pids[i]);
        if (why == PASS && !(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == i))
            why = FAIL("child %d %s, expected exit status %d (101: saw changed data, 102: write lost)", i,
                       status_str(st), i);
    }
    long bad = first_bad(buf, FANOUT, 1);
    munmap(buf, FANOUT * PAGE_SIZE);
    if (why != PASS)
        return why;
    CHECK(bad < 0, "the children's writes reached the parent (page %ld)", bad);
    return PASS;
}

#define CHAIN_DEPTH 30

static long chain_marks[CHAIN_DEPTH + 2];

/* Process number `depth` of the chain: leave a mark (a COW write), fork the
 * next one, and exit with its status; the last one checks every mark its
 * ancestors left and exits with CHAIN_DEPTH. */
static int chain(int depth)
{
    chain_marks[depth] = depth * 7;
    if (depth == CHAIN_DEPTH) {
        for (int d = 1; d <= CHAIN_DEPTH; d++)
            if (chain_marks[d] != d * 7)
                return 100 + d; /* an ancestor's mark is missing */
        return CHAIN_DEPTH;
    }
    pid_t pid = fork();
    if (pid == -1)
        return 200;
    if (pid == 0)
        _exit(chain(depth + 1));
    int st = wait_for(pid);
    if (chain_marks[depth + 1] != 0)
        return 201; /* the child's write reached us */
    if (st == -1 || !WIFEXITED(st))
        return 202;
    return WEXITSTATUS(st);
}

static int chain_start(void) { return chain(1); }

/* A chain 30 processes deep, each the child of the one before, all alive at
 * once; the leaf's exit status 30 travels back up through every parent. */
static const char *cow_fork_chain_30(void)
{
    memset(chain_marks, 0, sizeof(chain_marks));
    int st = run_in_child(chain_start);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) > 100 && WEXITSTATUS(st) <= 100 + CHAIN_DEPTH),
          "the leaf did not see the mark of ancestor %d", WEXITSTATUS(st) - 100);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 200), "a fork in the chain failed");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 201), "a child's write reached its parent");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 202), "a process in the chain did not exit normally");
    CHECK_EXITED(st, CHAIN_DEPTH);
    for (int d = 0; d <= CHAIN_DEPTH + 1; d++)
        CHECK(chain_marks[d] == 0, "mark %d reached the test process", d);
    return PASS;
}

#define LIFETIMES 200
#define LEAK_SLACK (256 * KiB)
/* Linux moves freed pages through per-CPU lists that sysinfo() does not count
 * as free (see t_proc.c): only a generous bound makes sense there. */
#define LEAK_SLACK_LINUX (8 * MiB)

/* One child: write (copy) all 4 MiB of the shared buffer, then exit. */
static const char *one_cow_lifetime(char *buf)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        write_each_page(buf, BUF_PAGES, 0x33);
        _exit(((volatile char *)buf)[(BUF_PAGES - 1) * PAGE_SIZE + 8] == 0x33 ? 0 : 2);
    }
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    return PASS;
}

/* 200 children each copy 4 MiB (800 MiB of copies in all) and exit: free
 * memory comes back to where it was, and the parent's pages are intact. */
static const char *cow_200_children_no_leak(void)
{
    const long slack = on_pagewise() ? LEAK_SLACK : LEAK_SLACK_LINUX;
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);
    uint64_t sum0 = checksum(buf, BUF_SIZE);
    long long lost = 0;
    const char *why = PASS;
    int ok = 0;

    for (int round = 0; round < 3 && !ok && why == PASS; round++) {
        for (int i = 0; i < 5 && why == PASS; i++) /* warm-up */
            why = one_cow_lifetime(buf);
        long long free0 = freeram();
        for (int i = 0; i < LIFETIMES && why == PASS; i++)
            why = one_cow_lifetime(buf);
        lost = free0 - freeram();
        ok = lost <= slack;
    }
    uint64_t sum1 = checksum(buf, BUF_SIZE);
    munmap(buf, BUF_SIZE);
    if (why != PASS)
        return why;
    CHECK(ok, "after %d children each copied 4 MiB, freeram is %lld KiB lower (allowed: %ld KiB)", LIFETIMES,
          lost / KiB, slack / KiB);
    CHECK(sum0 == sum1, "the parent's 4 MiB changed while children wrote their copies");
    return PASS;
}

/* Pagewise counts copy-on-write faults in /proc/vmstat "cow_fault" (Linux has
 * no such line: there the check is skipped). A child writing 1024 shared
 * pages adds about 1024. */
static const char *cow_vmstat_cow_fault(void)
{
    long long c0 = vmstat_get("cow_fault");
    if (c0 < 0) {
        CHECK(!on_pagewise(), "/proc/vmstat has no cow_fault line");
        out("# cow_vmstat_cow_fault: no cow_fault line in /proc/vmstat (Linux has none): check skipped\n");
        return PASS;
    }
    char *buf = map_anon(BUF_SIZE);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    fill(buf, BUF_PAGES, 1);

    c0 = vmstat_get("cow_fault");
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        write_each_page(buf, BUF_PAGES, 0x44);
        _exit(0);
    }
    int st = wait_for(pid);
    long long c1 = vmstat_get("cow_fault");
    munmap(buf, BUF_SIZE);

    CHECK_EXITED(st, 0);
    CHECK(c1 - c0 >= BUF_PAGES, "a child wrote %ld shared pages but cow_fault rose by only %lld", (long)BUF_PAGES,
          c1 - c0);
    CHECK(c1 - c0 <= BUF_PAGES + 256, "a child wrote %ld shared pages but cow_fault rose by %lld", (long)BUF_PAGES,
          c1 - c0);
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
/* clone(CLONE_CHILD_SETTID) writes the child's tid into the child's memory
 * only: the kernel's write must copy on write like a user write. Once it
 * went through the direct map into the frame the parent still shared. Two
 * targets: a touched anonymous page, and a page of .data nobody wrote (a
 * clean copy of the program file, mapped read-only). */
static volatile int settid_file_page[1024] __attribute__((aligned(4096))) = {5};

static const char *settid_into(volatile int *target, const char *what)
{
    int before = *target;
    long pid = syscall(SYS_clone, SIGCHLD | CLONE_CHILD_SETTID, 0, NULL, target, 0);
    if (pid == 0)
        _exit(*target == (int)syscall(SYS_gettid) ? 0 : 1);
    CHECK(pid > 0, "clone: %s", errname(errno));
    int status = wait_for((pid_t)pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child did not find its tid there (%s)", what,
          status_str(status));
    CHECK(*target == before, "%s: the parent's value went from %d to %d (the child's tid was written into a frame "
          "the parent shares)", what, before, *target);
    return PASS;
}

static const char *cow_clone_child_settid_stays_private(void)
{
    volatile int *anon = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED, "mmap: %s", errname(errno));
    *anon = 42;
    const char *why = settid_into(anon, "anonymous page");
    munmap((void *)anon, PAGE_SIZE);
    if (why)
        return why;
    return settid_into(&settid_file_page[0], ".data page never written");
}

static const struct test tests[] = {
    TEST(cow_child_write_faults),
    TEST(cow_clone_child_settid_stays_private),
    TEST(cow_child_read_no_copy),
    TEST(cow_parent_write_while_child_alive),
    TEST(cow_three_way),
    TEST(cow_parent_exits_first),
    TEST(cow_mprotect_keeps_cow),
    TEST(cow_readonly_stays_readonly),
    TEST(cow_child_dontneed_munmap),
    TEST(cow_untouched_data_pages),
    TEST(cow_swapped_before_fork_child_writes),
    TEST(cow_swapped_before_fork_parent_writes),
    TEST(cow_swapped_in_child_parent_writes),
    TEST(cow_swapped_read_by_one_written_by_other),
    TEST(cow_partly_swapped_fork_mprotect_write),
    TEST(cow_fork_fanout_50),
    TEST(cow_fork_chain_30),
    TEST(cow_200_children_no_leak),
    TEST(cow_vmstat_cow_fault),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
