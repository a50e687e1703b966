/*
 * user/segv.c - demo: the bad accesses that end in SIGSEGV.
 *
 *   segv
 *
 * For each kind of bad access, a child process is forked to try it, and
 * the parent waits for the child (waitpid) and reports how it died. Every
 * one should die of SIGSEGV, the signal the kernel sends when a page fault
 * (or, for a non-canonical address, a general protection fault) cannot be
 * fixed up. The parent is never harmed: each process has its own address
 * space.
 *
 * On Pagewise, the kernel's console also prints one line per death, with
 * the reason its fault handler found, e.g.
 *   pagewise: pid 9 (segv): segfault at 0x0 rip 0x401a2c: not mapped (NULL pointer) -> SIGSEGV
 * (Linux writes a similar "segfault at" line to its kernel log, dmesg.)
 *
 * Kernel code: mm/fault.c handle_mm_fault (the cases and their reasons),
 * kernel/trap.c (the #GP path for non-canonical addresses), the signal
 * and exit code in kernel/.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL

/* Hide a value from the compiler. Dereferencing NULL is "undefined
 * behaviour" in C, and gcc may replace such code by a trap instruction
 * (SIGILL) or drop it. The empty asm says "this value could be anything",
 * so gcc must emit the real load or store and let the hardware judge. */
static void *opaque(uintptr_t value)
{
    __asm__ volatile("" : "+r"(value));
    return (void *)value;
}

static void read_at(uintptr_t addr) { (void)*(volatile char *)opaque(addr); }
static void write_at(uintptr_t addr) { *(volatile char *)opaque(addr) = 1; }

/* ---- the bad accesses, one function each ---- */

static void null_read(void) { read_at(0); }
static void null_write(void) { write_at(0); }

/* Program text is mapped r-x: executable, readable, never writable. */
static void write_text(void) { write_at((uintptr_t)null_read); }

/* The stack is rw- and NX (no-execute): jumping into it faults. The
 * byte 0xc3 is the instruction `ret`, which would run fine elsewhere. */
static void exec_stack(void)
{
    unsigned char code[16] = {0xc3};
    void (*fn)(void) = (void (*)(void))opaque((uintptr_t)code);
    fn();
}

/* The kernel image: mapped in every address space, but supervisor-only. */
static void read_kernel(void) { read_at(0xffffffff80100000UL); }

static void write_readonly(void)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1; /* fine: the page is writable */
    mprotect(p, PAGE_SIZE, PROT_READ);
    write_at((uintptr_t)p); /* not any more */
}

static void use_after_munmap(void)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    munmap(p, PAGE_SIZE);
    read_at((uintptr_t)p);
}

/* Bits 63..47 of an address must all be equal ("canonical"); the CPU
 * refuses any other address before looking at a page table: a #GP. */
static void noncanonical(void) { read_at(0x8000000000000000UL); }

static const struct bad_access {
    void (*fn)(void);
    const char *what;   /* what the child attempts */
    const char *reason; /* what Pagewise's console says */
} cases[] = {
    {null_read, "read from NULL (address 0)", "not mapped (NULL pointer)"},
    {null_write, "write to NULL (address 0)", "not mapped (NULL pointer)"},
    {write_text, "write into our own program text (r-x)", "write to read-only memory"},
    {exec_stack, "execute an instruction on the stack (rw-, NX)", "execute of non-executable (NX) memory"},
    {read_kernel, "read the kernel image at 0xffffffff80100000", "user access to kernel address"},
    {write_readonly, "write to a page made read-only by mprotect", "write to read-only memory"},
    {use_after_munmap, "read a page after munmap", "not mapped"},
    {noncanonical, "read the non-canonical address 0x8000000000000000", "general protection fault ..."},
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static const char *signal_name(int sig)
{
    return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "not SIGSEGV";
}

/* Run one case in a child; report how it ended. Returns 1 if the child
 * died of SIGSEGV, as it should, else 0. */
static int try_case(int n, const struct bad_access *c)
{
    int status;

    printf("%d. %s\n", n, c->what);
    fflush(stdout); /* print it before fork, or both would print it */
    pid_t pid = fork();
    if (pid < 0) {
        perror("segv: fork");
        return 0;
    }
    if (pid == 0) {
        c->fn();
        printf("   the child survived: the access did NOT fault!\n");
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid) {
        perror("segv: waitpid");
        return 0;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        printf("   child %d killed by signal %d (%s: %s)\n", (int)pid, sig, signal_name(sig), strsignal(sig));
        printf("   Pagewise console reason: \"%s\"\n", c->reason);
        return sig == SIGSEGV;
    }
    printf("   child %d exited with status %d: no signal\n", (int)pid, WEXITSTATUS(status));
    return 0;
}

int main(void)
{
    int died = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("segv: %d bad memory accesses, each tried by a child process. The kernel\n"
           "cannot fix these faults, so it sends the child SIGSEGV, whose default\n"
           "action ends the process; the parent learns it from waitpid.\n\n",
           NCASES);
    for (int i = 0; i < NCASES; i++)
        died += try_case(i + 1, &cases[i]);
    printf("\nSummary: %d of %d children died of SIGSEGV%s.\n"
           "A fault the kernel cannot resolve (no VMA, a VMA that forbids the access,\n"
           "an address the CPU rejects) is the program's error: only that process dies.\n",
           died, NCASES, died == NCASES ? ", as they should" : " (EXPECTED ALL)");
    return died == NCASES ? 0 : 1;
}
