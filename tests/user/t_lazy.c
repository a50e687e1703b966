/*
 * tests/user/t_lazy.c - lazy allocation and demand paging, seen from user space.
 *
 * The idea under test: mmap(), brk() and exec() only *promise* memory. They
 * record a range (a VMA) and allocate nothing. The first touch of each page
 * raises a page fault, and only then does the kernel find a frame, fill it
 * (with zeros, or with the bytes of the program file) and map it. So:
 *
 *   - a big mmap costs no page faults and no free memory;
 *   - each first touch of a page costs one (minor) page fault;
 *   - munmap gives the frames back;
 *   - the initialized data of a program is read from the file page by page,
 *     on demand, and .bss pages are zero-filled on demand;
 *   - the stack grows down on demand, up to RLIMIT_STACK, then SIGSEGV;
 *   - mprotect, munmap, madvise, brk and MAP_FIXED change the picture, and
 *     an access the picture does not allow is a SIGSEGV.
 *
 * The counters come from getrusage() (ru_minflt, ru_majflt) and sysinfo()
 * (freeram), exactly as on Linux. Run: t_lazy [test_name...]
 */
#include "testlib.h"

#include <stdlib.h>

/* Linux may back a large anonymous mapping with 2 MiB "transparent huge
 * pages": then one fault maps 512 pages at once and the fault counts below
 * would be 512 times too small. We ask for 4 KiB pages. Pagewise has no huge
 * pages, and may answer EINVAL: that is fine, the result is ignored. */
static void no_huge_pages(void *p, size_t len)
{
#ifdef MADV_NOHUGEPAGE
    madvise(p, len, MADV_NOHUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

/* A private anonymous mapping, or MAP_FAILED. */
static char *map_anon(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        no_huge_pages(p, len);
    return p;
}

/* ---------------------------------------------------------------------------
 * Anonymous memory: mmap promises, the first touch allocates.
 * ------------------------------------------------------------------------- */

#define BIG (64 * MiB)
#define BIG_PAGES (BIG / PAGE_SIZE) /* 16384 */

/* Free memory moves a little on its own on a busy Linux machine (other
 * processes, per-CPU page caches). The freeram checks below therefore take
 * the best of a few attempts: noise comes and goes, a kernel that really
 * allocates (or leaks) 64 MiB does it every time. */
#define ATTEMPTS 3

/* mmap of 64 MiB: almost no page faults, almost no memory. */
static const char *lazy_mmap_reserves_nothing(void)
{
    long long drop = 0;
    long faults = 0;

    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        minflt(); /* warm up: getrusage's own code may fault in once */
        long long free0 = freeram();
        long f0 = minflt();
        char *p = map_anon(BIG, PROT_READ | PROT_WRITE);
        long f1 = minflt();
        long long free1 = freeram();

        CHECK(p != MAP_FAILED, "mmap of 64 MiB: %s", errname(errno));
        CHECK(free0 > 0 && free1 > 0, "sysinfo failed: %s", errname(errno));
        munmap(p, BIG);
        faults = f1 - f0;
        drop = free0 - free1;
        if (faults < 16 && drop < 1 * MiB)
            return PASS;
    }
    CHECK(faults < 16, "mmap of 64 MiB alone took %ld page faults (expected < 16): allocation is not lazy", faults);
    return FAIL("mmap of 64 MiB alone used %lld KiB of free memory (expected < 1024 KiB)", drop / KiB);
}

/* The first write to one page: about one fault. An untouched page reads 0. */
static const char *lazy_mmap_one_page(void)
{
    char *p = map_anon(BIG, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap of 64 MiB: %s", errname(errno));

    minflt();
    long f0 = minflt();
    ((volatile char *)p)[100 * PAGE_SIZE + 5] = 42;
    long f1 = minflt();

    char zero = ((volatile char *)p)[200 * PAGE_SIZE + 7];
    char back = ((volatile char *)p)[100 * PAGE_SIZE + 5];
    munmap(p, BIG);

    CHECK(f1 - f0 >= 1, "writing to a fresh page took no page fault: was it mapped by mmap already?");
    CHECK(f1 - f0 <= 8, "writing to one fresh page took %ld page faults (expected 1..8)", f1 - f0);
    CHECK(back == 42, "the byte written reads back as %d, not 42", back);
    CHECK(zero == 0, "an untouched anonymous page reads %d, not 0", zero);
    return PASS;
}

/* Linux keeps recently freed pages in per-CPU lists that sysinfo() does not
 * count as free (tens of MiB on a big machine with a recent kernel). So on
 * Linux, freeram may not move at all when we touch 64 MiB right after
 * someone freed 64 MiB. Pagewise counts every free frame: there, the drop
 * must show. */
#define FREERAM_IS_EXACT() on_pagewise()

/* Touching all 16384 pages takes (at least nearly) 16384 faults, and every
 * page gets its own frame (each keeps its own value). The fault counter
 * measures what it should. */
static const char *lazy_mmap_all_pages(void)
{
    char *p = map_anon(BIG, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap of 64 MiB: %s", errname(errno));

    long long free0 = freeram();
    long f0 = minflt();
    for (long i = 0; i < BIG_PAGES; i++) /* page i holds its number */
        *(volatile long *)(p + i * PAGE_SIZE) = i;
    long f1 = minflt();
    long long free1 = freeram();

    long bad = -1;
    for (long i = 0; i < BIG_PAGES && bad < 0; i++)
        if (*(volatile long *)(p + i * PAGE_SIZE) != i)
            bad = i;
    munmap(p, BIG);

    CHECK(f1 - f0 >= 16000, "touching %ld pages took only %ld minor faults (expected >= 16000)", (long)BIG_PAGES,
          f1 - f0);
    CHECK(bad < 0, "page %ld does not hold the value written to it (pages sharing a frame?)", bad);
    if (FREERAM_IS_EXACT())
        CHECK(free0 - free1 >= 48 * MiB, "touching 64 MiB lowered freeram by only %lld KiB", (free0 - free1) / KiB);
    return PASS;
}

/* munmap hands the frames back: free memory returns to where it was. */
static const char *lazy_munmap_returns_memory(void)
{
    long long lost = 0;

    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        long long free0 = freeram();
        char *p = map_anon(BIG, PROT_READ | PROT_WRITE);
        CHECK(p != MAP_FAILED, "mmap of 64 MiB: %s", errname(errno));
        touch_pages(p, BIG, 1);
        long long used = free0 - freeram();
        CHECK(munmap(p, BIG) == 0, "munmap: %s", errname(errno));
        long long free1 = freeram();

        if (FREERAM_IS_EXACT())
            CHECK(used >= 48 * MiB, "touching 64 MiB lowered freeram by only %lld KiB", used / KiB);
        lost = free0 - free1;
        if (lost < 1 * MiB)
            return PASS;
    }
    return FAIL("after munmap, freeram is still %lld KiB below where it started (expected < 1024 KiB)", lost / KiB);
}

/* ---------------------------------------------------------------------------
 * The program image: .data and .rodata come from the file, .bss is zeros.
 * ------------------------------------------------------------------------- */

/* 1 MiB of initialized data: it is in the ELF file (section .data), so the
 * kernel has to read it from the file when a page is first touched. The
 * designated initializer puts a 2 at the very end. */
static char big_data[1 << 20] = {1, [(1 << 20) - 1] = 2};

/* The same in .rodata (read-only, also in the file). */
static const char big_rodata[1 << 20] = {3, [(1 << 20) - 1] = 4};

/* 1 MiB of .bss: not in the file at all, zero-filled on demand. */
static char big_bss[1 << 20];

/* Read one byte through a volatile pointer: the compiler knows the
 * initializers, and would otherwise answer from them without a load. */
static char peek(const char *p) { return *(const volatile char *)p; }

/* Reading one byte in the middle of .data faults in that page only (Linux
 * may map a few neighbours at once: "fault-around"). Nothing is read eagerly. */
static const char *lazy_data_demand_load(void)
{
    minflt();
    long f0 = minflt() + majflt();
    char mid = peek(&big_data[512 * 1024 + 123]);
    long f1 = minflt() + majflt();

    CHECK(f1 - f0 >= 1, "first read of a .data page took no fault: was .data loaded eagerly?");
    CHECK(f1 - f0 <= 4, "first read of one .data page took %ld faults (expected 1..4)", f1 - f0);
    CHECK(mid == 0, "big_data[512 KiB + 123] = %d, expected 0", mid);
    CHECK(peek(&big_data[0]) == 1, "big_data[0] = %d, expected 1 (from the file)", peek(&big_data[0]));
    CHECK(peek(&big_data[sizeof(big_data) - 1]) == 2, "last byte of big_data = %d, expected 2",
          peek(&big_data[sizeof(big_data) - 1]));
    return PASS;
}

/* Same for read-only data. */
static const char *lazy_rodata_demand_load(void)
{
    minflt();
    long f0 = minflt() + majflt();
    char mid = peek(&big_rodata[512 * 1024 + 321]);
    long f1 = minflt() + majflt();

    CHECK(f1 - f0 >= 1, "first read of a .rodata page took no fault: was .rodata loaded eagerly?");
    CHECK(f1 - f0 <= 4, "first read of one .rodata page took %ld faults (expected 1..4)", f1 - f0);
    CHECK(mid == 0, "big_rodata[512 KiB + 321] = %d, expected 0", mid);
    CHECK(peek(&big_rodata[0]) == 3, "big_rodata[0] = %d, expected 3", peek(&big_rodata[0]));
    CHECK(peek(&big_rodata[sizeof(big_rodata) - 1]) == 4, "last byte of big_rodata = %d, expected 4",
          peek(&big_rodata[sizeof(big_rodata) - 1]));
    return PASS;
}

/* .data is a *private* copy: writing to it works and changes only our copy
 * (the file on disk, or in the initrd, stays as it is). */
static const char *lazy_data_private_write(void)
{
    volatile char *p = &big_data[768 * 1024];

    CHECK(p[0] == 0 && p[1] == 0, "big_data[768 KiB] is not 0 before the write");
    p[0] = 7;
    p[1] = 8;
    CHECK(p[0] == 7 && p[1] == 8, "a write to .data did not stick");
    CHECK(peek(&big_data[0]) == 1, "big_data[0] changed to %d", peek(&big_data[0]));
    return PASS;
}

/* Every page of .bss reads as zero, and .bss is writable.
 * (The write matters for the build too: a static array that is never
 * written is "constant" to gcc, which then moves it into .rodata.) */
static const char *lazy_bss_zero(void)
{
    for (size_t off = 0; off < sizeof(big_bss); off += PAGE_SIZE) {
        CHECK(peek(&big_bss[off]) == 0, "big_bss[%zu] = %d, expected 0", off, peek(&big_bss[off]));
        CHECK(peek(&big_bss[off + PAGE_SIZE - 1]) == 0, "big_bss[%zu] is not 0", off + PAGE_SIZE - 1);
    }
    ((volatile char *)big_bss)[sizeof(big_bss) / 2] = 5;
    CHECK(peek(&big_bss[sizeof(big_bss) / 2]) == 5, "a write to .bss did not stick");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The stack grows down on demand, up to RLIMIT_STACK.
 * ------------------------------------------------------------------------- */

/* One call = one 4 KiB stack frame. The volatile array cannot be optimized
 * away, and because the frame is used after the recursive call, the
 * compiler cannot turn the recursion into a loop. Returns the depth reached
 * if every frame kept its marks, -1 otherwise. */
__attribute__((noinline)) static long stack_eater(long depth, long limit)
{
    volatile char frame[4096];

    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = (char)(depth >> 8);
    if (depth >= limit)
        return depth;
    long r = stack_eater(depth + 1, limit);
    if (frame[0] != (char)depth || frame[sizeof(frame) - 1] != (char)(depth >> 8))
        return -1;
    return r;
}

/* 1000 frames of 4 KiB: about 4 MiB of stack, half the 8 MiB limit. */
static const char *lazy_stack_grows_4mib(void)
{
    long r = stack_eater(1, 1000);
    CHECK(r == 1000, "recursion 1000 deep with 4 KiB frames returned %ld (a frame was corrupted)", r);
    return PASS;
}

static int recurse_forever(void)
{
    /* Where the stack may grow without limit ("ulimit -s unlimited" on a
     * Linux machine) this child would eat all memory before it crashed:
     * bring the limit down to the default first. (Harmless if the kernel
     * has no setrlimit: Pagewise's limit is 8 MiB anyway.) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)(8 * MiB))) {
        rl.rlim_cur = 8 * MiB;
        setrlimit(RLIMIT_STACK, &rl);
    }
    /* "Forever" is 2^40 calls: the stack limit comes long before. (A truly
     * unbounded recursion is also fine, but gcc warns about it.) */
    return (int)stack_eater(1, 1L << 40);
}

/* Recursion without bound runs into RLIMIT_STACK: the process gets SIGSEGV. */
static const char *lazy_stack_overflow_segv(void)
{
    int st = run_in_child(recurse_forever);
    CHECK_KILLED_BY(st, SIGSEGV);
    return PASS;
}

/* The stack limit is Linux's default, 8 MiB, and the hard limit is no lower.
 * (On Linux the soft limit is whatever `ulimit -s` set in the shell, so there
 * we only note a value other than the default.) */
static const char *lazy_stack_rlimit_8mib(void)
{
    struct rlimit rl;

    CHECK_OK(getrlimit(RLIMIT_STACK, &rl));
    CHECK(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= rl.rlim_cur, "RLIMIT_STACK hard limit %llu < soft limit %llu",
          (unsigned long long)rl.rlim_max, (unsigned long long)rl.rlim_cur);
    if (rl.rlim_cur == (rlim_t)(8 * MiB))
        return PASS;
    CHECK(!on_pagewise(), "RLIMIT_STACK soft limit is %llu, expected 8 MiB", (unsigned long long)rl.rlim_cur);
    out("# note: RLIMIT_STACK here is %lld, not Linux's default 8 MiB (ulimit -s)\n",
        rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * brk: the classic heap. (musl's brk()/sbrk() refuse to move the break
 * because musl's malloc owns it, so we use the raw system call. It returns
 * the new break, or the old one if the request was refused.)
 * ------------------------------------------------------------------------- */

static char *brk_shrunk_addr; /* an address that was heap and is no more */

static int touch_brk_shrunk(void)
{
    *(volatile char *)brk_shrunk_addr = 1;
    return 0; /* should not get here */
}

/* Grow the break by 1 MiB, use it, shrink it back: the memory is gone. */
static const char *lazy_brk_grow_shrink(void)
{
    char *old = (char *)syscall(SYS_brk, 0);
    char *grown = (char *)syscall(SYS_brk, old + MiB);

    CHECK(grown == old + MiB, "brk(%p) returned %p: could not grow the heap by 1 MiB", (void *)(old + MiB),
          (void *)grown);
    touch_pages(old, MiB, 9);
    for (long off = 0; off < MiB; off += PAGE_SIZE)
        CHECK(peek(old + off) == 9, "heap byte at break + %ld did not keep its value", off);

    char *shrunk = (char *)syscall(SYS_brk, old);
    CHECK(shrunk == old, "brk(%p) to shrink returned %p", (void *)old, (void *)shrunk);

    brk_shrunk_addr = old + MiB / 2; /* well inside the released part */
    int st = run_in_child(touch_brk_shrunk);
    CHECK_KILLED_BY(st, SIGSEGV);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * mprotect, munmap of a part, madvise.
 * ------------------------------------------------------------------------- */

static char *victim; /* the address the next child pokes */

static int write_victim(void)
{
    /* A read must still work (returns 2 if the value is wrong), then the
     * write must kill us. */
    if (peek(victim) != 'A')
        return 2;
    *(volatile char *)victim = 'B';
    return 0;
}

static int read_victim(void) { return peek(victim) == 0x55 ? 0 : 3; }

/* mprotect(PROT_READ) on the first of two pages: a write there is SIGSEGV,
 * the contents stay readable, the second page is still writable. */
static const char *lazy_mprotect_readonly(void)
{
    char *p = map_anon(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    p[0] = 'A';
    p[PAGE_SIZE] = 'C';
    CHECK_OK(mprotect(p, PAGE_SIZE, PROT_READ));

    victim = p;
    int st = run_in_child(write_victim);
    CHECK(st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 2, "the read-only page no longer reads 'A' in the child");
    CHECK_KILLED_BY(st, SIGSEGV);

    CHECK(peek(p) == 'A', "the read-only page reads %d, not 'A'", peek(p));
    ((volatile char *)p)[PAGE_SIZE] = 'D';
    CHECK(peek(p + PAGE_SIZE) == 'D', "the second page is no longer writable");
    munmap(p, 2 * PAGE_SIZE);
    return PASS;
}

/* munmap of the middle page of three leaves a hole: touching it is SIGSEGV,
 * the pages on either side are untouched. */
static const char *lazy_munmap_middle_page(void)
{
    char *p = map_anon(3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    memset(p, 0x55, 3 * PAGE_SIZE);
    CHECK_OK(munmap(p + PAGE_SIZE, PAGE_SIZE));

    victim = p + PAGE_SIZE;
    int st = run_in_child(read_victim);
    CHECK_KILLED_BY(st, SIGSEGV);

    CHECK(peek(p) == 0x55 && peek(p + PAGE_SIZE - 1) == 0x55, "the first page lost its contents");
    CHECK(peek(p + 2 * PAGE_SIZE) == 0x55 && peek(p + 3 * PAGE_SIZE - 1) == 0x55, "the third page lost its contents");
    p[0] = 1;
    p[2 * PAGE_SIZE] = 2;
    CHECK(peek(p) == 1 && peek(p + 2 * PAGE_SIZE) == 2, "the outer pages are no longer writable");
    munmap(p, PAGE_SIZE);
    munmap(p + 2 * PAGE_SIZE, PAGE_SIZE);
    return PASS;
}

/* madvise(MADV_DONTNEED) drops an anonymous page: the next touch gets a
 * fresh zero page, just like the very first touch. */
static const char *lazy_madvise_dontneed_zero(void)
{
    char *p = map_anon(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    memset(p, 0xab, 2 * PAGE_SIZE);
    CHECK_OK(madvise(p, PAGE_SIZE, MADV_DONTNEED));

    for (long off = 0; off < PAGE_SIZE; off += 512)
        CHECK(peek(p + off) == 0, "after MADV_DONTNEED, byte %ld reads 0x%02x, not 0", off, peek(p + off) & 0xff);
    CHECK((peek(p + PAGE_SIZE) & 0xff) == 0xab, "MADV_DONTNEED on page 0 also cleared page 1");
    munmap(p, 2 * PAGE_SIZE);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Choosing the address: a hint, and MAP_FIXED.
 * ------------------------------------------------------------------------- */

/* Addresses far from the program, heap and stack, and free on Linux too. */
#define HINT_ADDR ((char *)0x300000000UL)
#define FIXED_ADDR ((char *)0x200000000UL)

/* Without MAP_FIXED the address is a hint: a free one is honoured. */
static const char *lazy_mmap_hint_address(void)
{
    char *p = mmap(HINT_ADDR, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap with hint %p: %s", (void *)HINT_ADDR, errname(errno));
    munmap(p, 4 * PAGE_SIZE);
    CHECK(p == HINT_ADDR, "mmap with hint %p (a free range) returned %p", (void *)HINT_ADDR, (void *)p);
    return PASS;
}

/* MAP_FIXED maps exactly there, and replaces whatever was mapped before:
 * the old contents are gone, the new mapping reads zero. */
static const char *lazy_mmap_fixed_replaces(void)
{
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    char *p = mmap(FIXED_ADDR, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);

    CHECK(p != MAP_FAILED, "mmap MAP_FIXED at %p: %s", (void *)FIXED_ADDR, errname(errno));
    CHECK(p == FIXED_ADDR, "mmap MAP_FIXED at %p returned %p", (void *)FIXED_ADDR, (void *)p);
    memset(p, 0x5a, 2 * PAGE_SIZE);

    char *q = mmap(FIXED_ADDR, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);
    CHECK(q == FIXED_ADDR, "the second MAP_FIXED at %p returned %p (%s)", (void *)FIXED_ADDR, (void *)q,
          q == MAP_FAILED ? errname(errno) : "no error");
    CHECK(peek(q) == 0 && peek(q + PAGE_SIZE + 100) == 0,
          "after MAP_FIXED over old memory the old bytes are still there");
    q[0] = 1;
    CHECK(peek(q) == 1, "the new MAP_FIXED mapping is not writable");
    munmap(q, 2 * PAGE_SIZE);
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(lazy_mmap_reserves_nothing),
    TEST(lazy_mmap_one_page),
    TEST(lazy_mmap_all_pages),
    TEST(lazy_munmap_returns_memory),
    TEST(lazy_data_demand_load),
    TEST(lazy_rodata_demand_load),
    TEST(lazy_data_private_write),
    TEST(lazy_bss_zero),
    TEST(lazy_stack_grows_4mib),
    TEST(lazy_stack_overflow_segv),
    TEST(lazy_stack_rlimit_8mib),
    TEST(lazy_brk_grow_shrink),
    TEST(lazy_mprotect_readonly),
    TEST(lazy_munmap_middle_page),
    TEST(lazy_madvise_dontneed_zero),
    TEST(lazy_mmap_hint_address),
    TEST(lazy_mmap_fixed_replaces),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
