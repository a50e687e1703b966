/*
 * tests/user/t_xstate.c - the CPU state beyond the general registers
 * (kernel/fpu.c): the upper halves of the ymm registers (AVX) belong to the
 * process. They must survive thousands of switches to another process
 * that fills them with its own values, be inherited by fork and reset by
 * execve, and a signal frame whose XSAVE header a handler corrupted must
 * kill only that process. (A handler that clobbers ymm: t_signal's
 * signal_avx_preserved.)
 *
 * Natively the same cases run on Linux; a machine without AVX (or without
 * OSXSAVE) skips them with a '#' line.
 */
#include "testlib.h"

#include <cpuid.h>
#include <sys/auxv.h>
#include <signal.h>
#include <ucontext.h>

#define YMM_BYTES 512 /* ymm0-15, 32 bytes each */
#define SWITCHES 2000
#define XSTATE_BV_OFFSET 512     /* the XSAVE header in the signal frame's fpstate */
#define XCOMP_BV_OFFSET 520

static int have_avx(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)))
        return 0; /* OSXSAVE, AVX */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

#define SKIP_WITHOUT_AVX()                                                                                             \
    do {                                                                                                               \
        if (!have_avx()) {                                                                                             \
            out("# %s: no AVX enabled on this machine: skipped\n", __func__);                                          \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

/* Load ymm0-15 from in, make one sched_yield system call, store them to
 * out: all in one asm block, so the compiler touches none of them. */
static void ymm_yield(const uint8_t *in, uint8_t *out)
{
    __asm__ volatile("vmovdqu 0(%0), %%ymm0\n vmovdqu 32(%0), %%ymm1\n vmovdqu 64(%0), %%ymm2\n"
                     "vmovdqu 96(%0), %%ymm3\n vmovdqu 128(%0), %%ymm4\n vmovdqu 160(%0), %%ymm5\n"
                     "vmovdqu 192(%0), %%ymm6\n vmovdqu 224(%0), %%ymm7\n vmovdqu 256(%0), %%ymm8\n"
                     "vmovdqu 288(%0), %%ymm9\n vmovdqu 320(%0), %%ymm10\n vmovdqu 352(%0), %%ymm11\n"
                     "vmovdqu 384(%0), %%ymm12\n vmovdqu 416(%0), %%ymm13\n vmovdqu 448(%0), %%ymm14\n"
                     "vmovdqu 480(%0), %%ymm15\n"
                     "mov $24, %%eax\n syscall\n" /* sched_yield */
                     "vmovdqu %%ymm0, 0(%1)\n vmovdqu %%ymm1, 32(%1)\n vmovdqu %%ymm2, 64(%1)\n"
                     "vmovdqu %%ymm3, 96(%1)\n vmovdqu %%ymm4, 128(%1)\n vmovdqu %%ymm5, 160(%1)\n"
                     "vmovdqu %%ymm6, 192(%1)\n vmovdqu %%ymm7, 224(%1)\n vmovdqu %%ymm8, 256(%1)\n"
                     "vmovdqu %%ymm9, 288(%1)\n vmovdqu %%ymm10, 320(%1)\n vmovdqu %%ymm11, 352(%1)\n"
                     "vmovdqu %%ymm12, 384(%1)\n vmovdqu %%ymm13, 416(%1)\n vmovdqu %%ymm14, 448(%1)\n"
                     "vmovdqu %%ymm15, 480(%1)\n vzeroupper\n"
                     :
                     : "r"(in), "r"(out)
                     : "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void fill(uint8_t *b, uint8_t seed)
{
    for (int i = 0; i < YMM_BYTES; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

/* Count the rounds in which ymm0-15 did not come back as loaded. */
static long yield_rounds(uint8_t seed, int rounds)
{
    uint8_t in[YMM_BYTES], got[YMM_BYTES];
    long bad = 0;
    fill(in, seed);
    for (int r = 0; r < rounds; r++) {
        ymm_yield(in, got);
        bad += memcmp(in, got, YMM_BYTES) != 0;
    }
    return bad;
}

static int child_yields(void) { return yield_rounds(0xa5, SWITCHES) ? 1 : 0; }

/* Two processes, each with its own ymm values, yield to each other
 * thousands of times: each always gets back its own. */
static const char *xstate_ymm_across_switches(void)
{
    SKIP_WITHOUT_AVX();
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(child_yields());
    long bad = yield_rounds(0x3c, SWITCHES);
    int st = wait_for(pid);
    CHECK(bad == 0, "%ld of %d rounds in the parent lost their ymm values", bad, SWITCHES);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child: %s (1: its ymm values were lost)",
          status_str(st));
    return PASS;
}

static void corrupt_header(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    uint64_t bad = 1ull << 63; /* a component no kernel enables */
    memcpy(fp + XSTATE_BV_OFFSET, &bad, sizeof(bad));
}

static int send_with_bad_header(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = corrupt_header;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1); /* sigreturn must refuse the header */
    return 0;       /* reached only if the kernel loaded it */
}

/* A handler that corrupts the XSAVE header in its frame: sigreturn kills
 * that process with SIGSEGV (Linux's corrupt_xstate_header selftest), and
 * nothing else. */
static const char *xstate_bad_header_kills_only_it(void)
{
    SKIP_WITHOUT_AVX();
    int st = run_in_child(send_with_bad_header);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "the child: %s, expected SIGSEGV",
          status_str(st));
    CHECK(yield_rounds(0x11, 10) == 0, "our own ymm values did not survive");
    return PASS;
}

static uint8_t parent_ymm[YMM_BYTES];

/* fork copies the state: ymm values loaded just before fork are the
 * child's too (both sides read them right after the fork system call). */
static const char *xstate_fork_copies(void)
{
    SKIP_WITHOUT_AVX();
    uint8_t got[YMM_BYTES];
    fill(parent_ymm, 0x5a);
    pid_t pid;
    __asm__ volatile("vmovdqu 480(%2), %%ymm15\n mov $57, %%eax\n syscall\n vmovdqu %%ymm15, 480(%1)\n"
                     : "=a"(pid)
                     : "r"(got), "r"(parent_ymm)
                     : "rcx", "r11", "memory", "xmm15");
    if (pid == 0)
        _exit(memcmp(got + 480, parent_ymm + 480, 32) == 0 ? 0 : 1);
    CHECK(pid > 0, "fork failed (%d)", (int)pid);
    int st = wait_for(pid);
    CHECK(memcmp(got + 480, parent_ymm + 480, 32) == 0, "the parent's ymm15 changed across fork");
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's ymm15 is not the parent's: %s",
          status_str(st));
    return PASS;
}

/* execve resets the state: a program that starts with nonzero ymm15 set
 * by the program before it would see someone else's data. */
static const char *xstate_exec_resets(void)
{
    SKIP_WITHOUT_AVX();
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        fill(parent_ymm, 0x77);
        char *argv[] = {"t_xstate", "--print-ymm15", NULL};
        __asm__ volatile("vmovdqu 480(%0), %%ymm15" ::"r"(parent_ymm) : "xmm15");
        execv(self_path(), argv);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st), "the exec'ed child: %s", status_str(st));
    CHECK(WEXITSTATUS(st) == 0, "after execve ymm15 was not zero (exit %d; 127: exec failed)", WEXITSTATUS(st));
    return PASS;
}

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

static volatile sig_atomic_t alt_handled;
static void alt_handler(int sig) { (void)sig, alt_handled = 1; }

static int deliver_on_small_altstack(void)
{
    size_t need = getauxval(AT_MINSIGSTKSZ), size = need > MINSIGSTKSZ ? need : MINSIGSTKSZ;
    size_t span = (size + 2 * PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m, PAGE_SIZE, PROT_NONE) != 0)
        return 2;
    stack_t ss = {.ss_sp = m + span - size, .ss_size = size, .ss_flags = 0}; /* a guard page below it */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = alt_handler;
    sa.sa_flags = SA_ONSTACK;
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
        return 3;
    raise(SIGUSR1);
    return alt_handled ? 0 : 4;
}

/* AT_MINSIGSTKSZ says how much stack a signal frame takes with this
 * CPU's state (it grows with AVX, more with AVX-512): a handler run on an
 * alternate stack of exactly that size (at least MINSIGSTKSZ) fits, with
 * a guard page right below it. */
static const char *xstate_minsigstksz_fits(void)
{
    unsigned long need = getauxval(AT_MINSIGSTKSZ);
    CHECK(need > 0, "no AT_MINSIGSTKSZ in the auxiliary vector");
    CHECK(need < 64 * 1024, "AT_MINSIGSTKSZ is %lu: implausible", need);
    out("# AT_MINSIGSTKSZ %lu\n", need);
    int st = run_in_child(deliver_on_small_altstack);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a handler on an alternate stack of AT_MINSIGSTKSZ: %s",
          status_str(st));
    return PASS;
}

static const struct test tests[] = {
    TEST(xstate_ymm_across_switches),
    TEST(xstate_bad_header_kills_only_it),
    TEST(xstate_fork_copies),
    TEST(xstate_exec_resets),
    TEST(xstate_minsigstksz_fits),
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print-ymm15") == 0) { /* the exec'ed half of xstate_exec_resets */
        uint8_t v[32];
        __asm__ volatile("vmovdqu %%ymm15, (%0)" ::"r"(v) : "memory");
        for (int i = 0; i < 32; i++)
            if (v[i])
                return 1;
        return 0;
    }
    return run_tests(argc, argv, tests, NTESTS(tests));
}
