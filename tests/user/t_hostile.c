/*
 * tests/user/t_hostile.c - a user program attacks the kernel; the kernel must
 * stay up and answer exactly like Linux.
 *
 * Part 1, bad memory accesses. Each runs in a forked child, which must be
 * killed by the signal Linux sends (SIGSEGV nearly always) while the kernel
 * and the parent carry on. The kernel's fault handler sees these as user-mode
 * page faults (or general-protection faults) that no VMA allows, and must
 * turn them into a signal, never into a kernel panic:
 *     NULL read/write/call, write to our own text, executing the stack or the
 *     heap (NX), reading/writing/executing kernel addresses (the U/S bit),
 *     non-canonical addresses (#GP, not #PF!), memory given back with munmap,
 *     brk or made read-only with mprotect.
 *
 * Part 2, CPU instructions user mode may not use (hlt, cli, in, mov from CR3,
 * `int` to a kernel vector) and other exceptions (ud2, int3, divide by zero):
 * each becomes the signal Linux sends for it.
 *
 * Part 3, a stack pointer the kernel must not trust: `syscall` with RSP = 0 or
 * pointing into the kernel still works, because the kernel switches to its
 * own stack and never touches the user one.
 *
 * Part 4, system calls with bad pointers. The kernel must check every user
 * pointer it is given (below the user/kernel boundary, mapped, with the right
 * permission) and answer -1/EFAULT, or for a buffer that runs into a bad page
 * part-way, a short count. A kernel that forgets would read or write its own
 * memory on the caller's behalf, or panic.
 *
 * Part 5, memory-management calls aimed at the kernel half: mmap, munmap,
 * mprotect, brk there are refused.
 *
 * Finally the parent checks that it is itself unharmed. Run: t_hostile [name...]
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Addresses from the Pagewise (and Linux) memory map, see mm/memlayout.h. */
#define KERNEL_TEXT 0xffffffff80100000UL  /* kernel image */
#define DIRECT_MAP 0xffff888000100000UL   /* all physical RAM, kernel only */
#define NONCANON_LOW 0x0000800000000000UL /* just above the user half */
#define NONCANON_HIGH 0x8000000000000000UL

/* Hide an address from the compiler. Dereferencing NULL is undefined in C,
 * and gcc may replace such code by a trap instruction (ud2, i.e. SIGILL):
 * we want the real memory access. */
static char *hide(uintptr_t addr)
{
    static volatile uintptr_t v;
    v = addr;
    return (char *)v;
}

static char peek(const char *p) { return *(const volatile char *)p; }
static void poke(char *p, char v) { *(volatile char *)p = v; }

/* Call the code at address addr. */
static void call_at(uintptr_t addr)
{
    void (*volatile fn)(void) = (void (*)(void))addr;
    fn();
}

/* HOSTILE(name, SIG) { body }: the body runs in a forked child, which must
 * die of SIG. If the body returns, the child exits with its return value,
 * and the test fails ("child exited with N, expected it to die of SIG"). */
#define HOSTILE(name, sig)                                                                                             \
    static int name##_child(void);                                                                                     \
    static const char *name(void)                                                                                      \
    {                                                                                                                  \
        int st = run_in_child(name##_child);                                                                           \
        CHECK_KILLED_BY(st, sig);                                                                                      \
        return PASS;                                                                                                   \
    }                                                                                                                  \
    static int name##_child(void)

/* ---------------------------------------------------------------------------
 * Part 1: bad memory accesses -> SIGSEGV.
 * ------------------------------------------------------------------------- */

/* Page 0 is never mapped, so that NULL pointer bugs crash. */
HOSTILE(hostile_null_read, SIGSEGV) { return peek(hide(0)); }
HOSTILE(hostile_null_write, SIGSEGV)
{
    poke(hide(0), 1);
    return 0;
}
HOSTILE(hostile_null_call, SIGSEGV)
{
    call_at(0);
    return 0;
}

/* Program text is mapped read + execute, not write. */
HOSTILE(hostile_write_text, SIGSEGV)
{
    poke(hide((uintptr_t)&call_at), (char)0xc3);
    return 0;
}

/* The stack and the heap are read + write, not execute: the NX bit. (A
 * static musl program has a PT_GNU_STACK header without X, so Linux gives
 * it a non-executable stack and heap too.) 0xc3 is `ret`: if the bytes
 * were executable the call would simply return and the child exit 0. */
HOSTILE(hostile_exec_stack, SIGSEGV)
{
    volatile unsigned char code[16] = {0xc3};
    call_at((uintptr_t)code);
    return 0;
}
HOSTILE(hostile_exec_heap, SIGSEGV)
{
    unsigned char *code = malloc(64);
    if (!code)
        return 3;
    code[0] = 0xc3;
    call_at((uintptr_t)code);
    return 0;
}

/* The kernel half is mapped in every process, but supervisor-only (U/S = 0):
 * any user access is a page fault with the "user" bit set in the error code. */
HOSTILE(hostile_read_kernel_text, SIGSEGV) { return peek(hide(KERNEL_TEXT)); }
HOSTILE(hostile_write_direct_map, SIGSEGV)
{
    poke(hide(DIRECT_MAP), 1);
    return 0;
}
HOSTILE(hostile_exec_kernel_text, SIGSEGV)
{
    call_at(KERNEL_TEXT);
    return 0;
}

/* Non-canonical addresses (bits 63..47 not all equal) never reach the page
 * tables: the CPU raises #GP instead of #PF. Linux still sends SIGSEGV. */
HOSTILE(hostile_noncanonical_low, SIGSEGV) { return peek(hide(NONCANON_LOW)); }
HOSTILE(hostile_noncanonical_high, SIGSEGV) { return peek(hide(NONCANON_HIGH)); }

/* Memory that was given back is gone. */
HOSTILE(hostile_touch_after_munmap, SIGSEGV)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 3;
    poke(p, 1);
    if (munmap(p, PAGE_SIZE) != 0)
        return 4;
    poke(p, 2);
    return 0;
}
HOSTILE(hostile_touch_after_brk_shrink, SIGSEGV)
{
    /* Raw brk: musl's brk() wrapper always refuses (see t_lazy.c). */
    char *old = (char *)syscall(SYS_brk, 0);
    if ((char *)syscall(SYS_brk, old + 64 * KiB) != old + 64 * KiB)
        return 3;
    poke(old + 32 * KiB, 1);
    if ((char *)syscall(SYS_brk, old) != old)
        return 4;
    poke(old + 32 * KiB, 2);
    return 0;
}
HOSTILE(hostile_write_readonly_page, SIGSEGV)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 3;
    poke(p, 1);
    if (mprotect(p, PAGE_SIZE, PROT_READ) != 0)
        return 4;
    if (peek(p) != 1)
        return 5; /* still readable, with its contents */
    poke(p, 2);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Part 2: privileged instructions and other CPU exceptions.
 * ------------------------------------------------------------------------- */

/* Privileged instructions at CPL 3 raise #GP: SIGSEGV. */
HOSTILE(hostile_insn_hlt, SIGSEGV)
{
    __asm__ volatile("hlt");
    return 0;
}
HOSTILE(hostile_insn_cli, SIGSEGV)
{
    __asm__ volatile("cli"); /* needs IOPL 3; user mode has IOPL 0 */
    return 0;
}
HOSTILE(hostile_insn_read_cr3, SIGSEGV)
{
    unsigned long cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    return (int)(cr3 & 1);
}
HOSTILE(hostile_insn_port_in, SIGSEGV)
{
    unsigned char v;
    __asm__ volatile("inb $0x80, %0" : "=a"(v)); /* no I/O permission */
    return v & 1;
}

/* `int N` from user mode is allowed only where the IDT gate has DPL 3 (int3,
 * into). Any other vector - here the page-fault vector 14, the double-fault
 * vector 8 and the first hardware-interrupt vector 32 - must raise #GP, not
 * run the kernel's handler with a made-up stack frame. Linux: SIGSEGV. */
HOSTILE(hostile_int_page_fault_vector, SIGSEGV)
{
    __asm__ volatile("int $14");
    return 0;
}
HOSTILE(hostile_int_double_fault_vector, SIGSEGV)
{
    __asm__ volatile("int $8");
    return 0;
}
HOSTILE(hostile_int_irq_vector, SIGSEGV)
{
    __asm__ volatile("int $32");
    return 0;
}

/* Other exceptions and their Linux signals. */
HOSTILE(hostile_insn_ud2, SIGILL)
{
    __asm__ volatile("ud2"); /* #UD, invalid opcode */
    return 0;
}
HOSTILE(hostile_insn_int3, SIGTRAP)
{
    __asm__ volatile("int3"); /* #BP, breakpoint */
    return 0;
}
HOSTILE(hostile_divide_by_zero, SIGFPE)
{
    /* In asm: gcc rewrites a C "1 / x" into compares, without a division. */
    unsigned int quotient;
    __asm__ volatile("xor %%edx, %%edx\n\t"
                     "div %1" /* edx:eax / 0: #DE, divide error */
                     : "=a"(quotient)
                     : "r"(0), "a"(1)
                     : "rdx");
    return (int)quotient;
}

/* ---------------------------------------------------------------------------
 * Part 3: the kernel must not use the user stack pointer.
 * ------------------------------------------------------------------------- */

/* With RSP set to bad_rsp: spin for `spins` loop turns (timer interrupts
 * will arrive meanwhile: the CPU switches to the kernel stack from the TSS),
 * make a getpid system call (the `syscall` instruction does not switch
 * stacks: the kernel's entry code must do it before pushing anything), then
 * exit_group(42). Never returns. */
__attribute__((noreturn)) static void bad_rsp_then_exit(unsigned long bad_rsp, unsigned long spins)
{
    __asm__ volatile("mov %1, %%rsp\n\t"
                     "1: dec %0\n\t"
                     "jnz 1b\n\t"
                     "mov %2, %%eax\n\t"
                     "syscall\n\t"
                     "mov %3, %%eax\n\t"
                     "mov $42, %%edi\n\t"
                     "syscall\n\t"
                     "ud2"
                     : "+r"(spins)
                     : "r"(bad_rsp), "i"(SYS_getpid), "i"(SYS_exit_group)
                     : "memory", "rax", "rcx", "rdi", "r11");
    __builtin_unreachable();
}

static int exit_with_null_rsp(void) { bad_rsp_then_exit(0, 1); }
static int exit_with_kernel_rsp(void) { bad_rsp_then_exit(DIRECT_MAP, 50000000UL); }

static const char *hostile_syscall_with_null_rsp(void)
{
    int st = run_in_child(exit_with_null_rsp);
    CHECK_EXITED(st, 42);
    return PASS;
}

static const char *hostile_syscall_with_kernel_rsp(void)
{
    int st = run_in_child(exit_with_kernel_rsp);
    CHECK_EXITED(st, 42);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Part 4: system calls with bad pointers -> EFAULT (in the parent: the call
 * must fail cleanly, nobody dies). We call the kernel with syscall(2): a libc
 * wrapper could touch the pointer itself first (and crash in user space), or
 * use a different system call than the one we mean to test.
 * The write(1, ...) cases need stdout to be the console, a pipe or a file:
 * Linux's /dev/null accepts any user buffer without looking at it.
 * ------------------------------------------------------------------------- */

/* An address that is user space but has nothing mapped: map a page, unmap it. */
static char *unmapped_page(void)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    munmap(p, PAGE_SIZE);
    return p;
}

static const char *hostile_efault_read_kernel_buf(void)
{
    const char *path = self_path();
    CHECK(path, "cannot open our own program file (argv[0] = %s)", test_argv0);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s): %s", path, errname(errno));
    errno = 0;
    long r = syscall(SYS_read, fd, KERNEL_TEXT, 16);
    int e = errno;
    close(fd);
    CHECK(r == -1 && e == EFAULT, "read(fd, kernel text, 16) returned %ld (%s), expected -1 with EFAULT", r,
          errname(e));
    return PASS;
}

static const char *hostile_efault_read_null_buf(void)
{
    const char *path = self_path();
    CHECK(path, "cannot open our own program file (argv[0] = %s)", test_argv0);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s): %s", path, errname(errno));
    errno = 0;
    long r = syscall(SYS_read, fd, 0, 16);
    int e = errno;
    close(fd);
    CHECK(r == -1 && e == EFAULT, "read(fd, NULL, 16) returned %ld (%s), expected -1 with EFAULT", r, errname(e));
    return PASS;
}

static const char *hostile_efault_write_kernel_buf(void)
{
    CHECK_ERRNO(syscall(SYS_write, 1, KERNEL_TEXT, 16), EFAULT);
    return PASS;
}

static const char *hostile_efault_write_unmapped_buf(void)
{
    char *hole = unmapped_page();
    CHECK(hole, "mmap: %s", errname(errno));
    CHECK_ERRNO(syscall(SYS_write, 1, hole, 16), EFAULT);
    return PASS;
}

/* Copying from a non-canonical address raises #GP inside the kernel, not
 * #PF: the kernel must check the range first (or fix up #GP too). */
static const char *hostile_efault_write_noncanonical_buf(void)
{
    CHECK_ERRNO(syscall(SYS_write, 1, NONCANON_LOW, 16), EFAULT);
    CHECK_ERRNO(syscall(SYS_write, 1, NONCANON_HIGH, 16), EFAULT);
    return PASS;
}

static const char *hostile_efault_open_kernel_path(void)
{
    CHECK_ERRNO(syscall(SYS_open, KERNEL_TEXT, O_RDONLY), EFAULT);
    return PASS;
}

/* stat(2) (what old programs call) and newfstatat(2) (what musl's stat()
 * calls) both copy a struct stat out to the caller. */
static const char *hostile_efault_stat_unmapped_buf(void)
{
    const char *path = self_path();
    char *hole = unmapped_page();
    CHECK(path, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK(hole, "mmap: %s", errname(errno));
    CHECK_ERRNO(syscall(SYS_stat, path, hole), EFAULT);
    return PASS;
}

static const char *hostile_efault_fstatat_unmapped_buf(void)
{
    const char *path = self_path();
    char *hole = unmapped_page();
    CHECK(path, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK(hole, "mmap: %s", errname(errno));
    CHECK_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, path, hole, 0), EFAULT);
    return PASS;
}

static const char *hostile_efault_getcwd_kernel_buf(void)
{
    CHECK_ERRNO(syscall(SYS_getcwd, DIRECT_MAP, 256), EFAULT);
    return PASS;
}

static const char *hostile_efault_uname_kernel_buf(void)
{
    CHECK_ERRNO(syscall(SYS_uname, DIRECT_MAP), EFAULT);
    return PASS;
}

static const char *hostile_efault_clock_gettime_kernel_buf(void)
{
    CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_TEXT), EFAULT);
    return PASS;
}

/* Two pages: the first read-write, the second PROT_NONE. Returns the start,
 * or NULL. A buffer ending at start + PAGE_SIZE + k straddles the boundary. */
static char *page_then_guard(void)
{
    char *p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE) != 0) {
        munmap(p, 2 * PAGE_SIZE);
        return NULL;
    }
    return p;
}

/* write(1, buf, 32) where only the first 16 bytes are readable. Linux
 * writes what it could copy (a short count) or, if it copied nothing,
 * returns EFAULT; either way it must never write more than the readable
 * part. The readable part is a comment line for the output log. */
static const char *hostile_write_straddles_guard(void)
{
    static const char line[] = "# straddle: ok.\n"; /* 16 bytes, no NUL written */
    const long len = sizeof(line) - 1;
    char *p = page_then_guard();
    CHECK(p, "mmap/mprotect: %s", errname(errno));

    char *buf = p + PAGE_SIZE - len;
    memcpy(buf, line, len);
    errno = 0;
    long r = syscall(SYS_write, 1, buf, 2 * len);
    int e = errno;
    if (r > 0 && r < len)
        write_all(1, "\n", 1); /* end the partial line so the next result line is clean */
    munmap(p, 2 * PAGE_SIZE);

    CHECK(r != -1 || e == EFAULT, "write across into a PROT_NONE page failed with %s, expected EFAULT", errname(e));
    CHECK(r <= len, "write across into a PROT_NONE page wrote %ld bytes, but only %ld were readable", r, len);
    return PASS;
}

/* read(fd, buf, 32) from a file into a buffer whose last 16 bytes are in a
 * PROT_NONE page: a short count of at most 16 (with the right bytes), or
 * EFAULT. */
static const char *hostile_read_straddles_guard(void)
{
    const char *path = self_path();
    CHECK(path, "cannot open our own program file (argv[0] = %s)", test_argv0);
    char *p = page_then_guard();
    CHECK(p, "mmap/mprotect: %s", errname(errno));
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s): %s", path, errname(errno));

    char *buf = p + PAGE_SIZE - 16;
    errno = 0;
    long r = syscall(SYS_read, fd, buf, 32);
    int e = errno;
    int magic_ok = r < 4 || memcmp(buf, "\177ELF", 4) == 0;
    close(fd);
    munmap(p, 2 * PAGE_SIZE);

    CHECK(r != -1 || e == EFAULT, "read across into a PROT_NONE page failed with %s, expected EFAULT", errname(e));
    CHECK(r <= 16, "read across into a PROT_NONE page returned %ld, but only 16 bytes were writable", r);
    CHECK(magic_ok, "the %ld bytes read are not the start of our ELF file", r);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Part 5: memory-management calls aimed at the kernel half are refused.
 * ------------------------------------------------------------------------- */

/* The last page of the user half, 0x7ffffffff000, is never mappable on
 * Linux either: code there could make `syscall` return to a non-canonical
 * address (a famous sysret hazard on Intel CPUs). */
static const char *hostile_mmap_kernel_range(void)
{
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    const uintptr_t addrs[] = {DIRECT_MAP, KERNEL_TEXT, NONCANON_LOW, 0x7ffffffff000UL};

    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        errno = 0;
        void *p = mmap((void *)addrs[i], PAGE_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);
        CHECK(p == MAP_FAILED && errno == ENOMEM, "mmap(MAP_FIXED at %#lx) returned %p (%s), expected ENOMEM",
              (unsigned long)addrs[i], p, errname(errno));
    }
    /* Without MAP_FIXED a kernel address is only a bad hint: ignored. */
    char *p = mmap((void *)DIRECT_MAP, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap with a kernel address as hint failed: %s", errname(errno));
    munmap(p, PAGE_SIZE);
    CHECK((uintptr_t)p < NONCANON_LOW, "mmap with a kernel address as hint returned %p", (void *)p);
    return PASS;
}

static const char *hostile_munmap_kernel_range(void)
{
    CHECK_ERRNO(munmap((void *)KERNEL_TEXT, PAGE_SIZE), EINVAL);
    CHECK_ERRNO(munmap((void *)DIRECT_MAP, PAGE_SIZE), EINVAL);
    return PASS;
}

static const char *hostile_mprotect_kernel_range(void)
{
    CHECK_ERRNO(mprotect((void *)KERNEL_TEXT, PAGE_SIZE, PROT_READ | PROT_WRITE), ENOMEM);
    CHECK_ERRNO(mprotect((void *)DIRECT_MAP, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC), ENOMEM);
    return PASS;
}

/* brk never returns an error: it answers the current break, unchanged, when
 * it refuses. */
static const char *hostile_brk_kernel_range(void)
{
    long old = syscall(SYS_brk, 0);
    long r1 = syscall(SYS_brk, DIRECT_MAP);
    long r2 = syscall(SYS_brk, NONCANON_LOW);
    CHECK(r1 == old && r2 == old, "brk(kernel address) moved the break from %#lx to %#lx / %#lx", old, r1, r2);
    CHECK(syscall(SYS_brk, 0) == old, "the break moved");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * And the parent itself is fine.
 * ------------------------------------------------------------------------- */

static pid_t start_pid;
static volatile long canary = 0x5ca1ab1e;
static int exit_7(void) { return 7; }

static const char *hostile_parent_unharmed(void)
{
    CHECK(getpid() == start_pid, "getpid() changed from %d to %d", (int)start_pid, (int)getpid());
    CHECK(canary == 0x5ca1ab1e, "a global variable changed: %#lx", (long)canary);

    char *heap = malloc(100 * KiB);
    CHECK(heap, "malloc(100 KiB) failed");
    memset(heap, 0x77, 100 * KiB);
    CHECK(peek(heap + 99 * KiB) == 0x77, "heap memory does not work");
    free(heap);

    int st = run_in_child(exit_7);
    CHECK_EXITED(st, 7);
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    /* Part 1 */
    TEST(hostile_null_read),
    TEST(hostile_null_write),
    TEST(hostile_null_call),
    TEST(hostile_write_text),
    TEST(hostile_exec_stack),
    TEST(hostile_exec_heap),
    TEST(hostile_read_kernel_text),
    TEST(hostile_write_direct_map),
    TEST(hostile_exec_kernel_text),
    TEST(hostile_noncanonical_low),
    TEST(hostile_noncanonical_high),
    TEST(hostile_touch_after_munmap),
    TEST(hostile_touch_after_brk_shrink),
    TEST(hostile_write_readonly_page),
    /* Part 2 */
    TEST(hostile_insn_hlt),
    TEST(hostile_insn_cli),
    TEST(hostile_insn_read_cr3),
    TEST(hostile_insn_port_in),
    TEST(hostile_int_page_fault_vector),
    TEST(hostile_int_double_fault_vector),
    TEST(hostile_int_irq_vector),
    TEST(hostile_insn_ud2),
    TEST(hostile_insn_int3),
    TEST(hostile_divide_by_zero),
    /* Part 3 */
    TEST(hostile_syscall_with_null_rsp),
    TEST(hostile_syscall_with_kernel_rsp),
    /* Part 4 */
    TEST(hostile_efault_read_kernel_buf),
    TEST(hostile_efault_read_null_buf),
    TEST(hostile_efault_write_kernel_buf),
    TEST(hostile_efault_write_unmapped_buf),
    TEST(hostile_efault_write_noncanonical_buf),
    TEST(hostile_efault_open_kernel_path),
    TEST(hostile_efault_stat_unmapped_buf),
    TEST(hostile_efault_fstatat_unmapped_buf),
    TEST(hostile_efault_getcwd_kernel_buf),
    TEST(hostile_efault_uname_kernel_buf),
    TEST(hostile_efault_clock_gettime_kernel_buf),
    TEST(hostile_write_straddles_guard),
    TEST(hostile_read_straddles_guard),
    /* Part 5 */
    TEST(hostile_mmap_kernel_range),
    TEST(hostile_munmap_kernel_range),
    TEST(hostile_mprotect_kernel_range),
    TEST(hostile_brk_kernel_range),
    /* Last */
    TEST(hostile_parent_unharmed),
};
/* clang-format on */

int main(int argc, char **argv)
{
    start_pid = getpid();
    return run_tests(argc, argv, tests, NTESTS(tests));
}
