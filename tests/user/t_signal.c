/*
 * tests/user/t_signal.c - signals delivered to handlers, Linux's way.
 *
 * To run a handler, the kernel saves the interrupted user state (every
 * register, the FPU/SSE state, the signal mask) in a *signal frame* that it
 * writes on the user stack (or on the alternate signal stack), points RIP at
 * the handler and RSP at the frame, and sets the return address to the
 * restorer, which calls rt_sigreturn. rt_sigreturn reads the frame back, and
 * the interrupted code continues as if nothing had happened - or, if the
 * handler edited the frame, with the edited registers. The frame is Linux's
 * x86-64 rt_sigframe (ucontext, siginfo, XSAVE-format FPU state), so that
 * the same program works on both kernels. The frame is in user memory: a
 * hostile program can put anything in it, and rt_sigreturn must answer a bad
 * one with SIGSEGV, never with a kernel fault or a privilege it should not
 * have (IOPL, a kernel code segment).
 *
 * Covered: sigaction flags (SA_SIGINFO, SA_RESTORER, SA_RESTART, SA_NODEFER,
 * SA_RESETHAND, SA_ONSTACK, sa_mask), siginfo contents (si_code of raise,
 * kill, faults), the ucontext (registers, trap number, error code, CR2; the
 * handler may change them), the frame layout (alignment, red zone, the
 * restorer), FPU/SSE/AVX state and flags across a handler, the signal mask
 * (sigprocmask, sigpending, sigsuspend), sigaltstack with SS_ONSTACK and
 * SS_AUTODISARM, stack overflow caught on the alternate stack, SIGCHLD,
 * interrupted system calls (EINTR or restart), and corrupted frames.
 * Run: t_signal [test_name...]
 */
#include "testlib.h"

#include <cpuid.h>
#include <stdlib.h>
#include <sys/time.h>
#include <ucontext.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#define UC_FP_XSTATE 0x1
#define FP_XSTATE_MAGIC1 0x46505853U

/* Linux's struct ucontext (not glibc's or musl's bigger ucontext_t): the
 * siginfo follows it directly in the frame. */
#define KERNEL_UCONTEXT_SIZE 304

static long gettid_(void) { return syscall(SYS_gettid); }

/* Send sig to this thread with tkill directly (raise() in musl blocks all
 * signals around its tkill; the cases below want to know exactly what the
 * kernel got). */
static void tkill_self(int sig) { syscall(SYS_tkill, gettid_(), sig); }

/* Hide an address from the compiler (see t_hostile.c). */
static char *hide(uintptr_t addr)
{
    static volatile uintptr_t v;
    v = addr;
    return (char *)v;
}

/* ---------------------------------------------------------------------------
 * Installing handlers, and putting things back as the runner had them.
 * ------------------------------------------------------------------------- */

struct saved_action {
    int sig;
    struct sigaction old;
};

static int set_handler(struct saved_action *sv, int sig, void (*fn)(int, siginfo_t *, void *), int flags,
                       const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    sv->sig = sig;
    return sigaction(sig, &sa, &sv->old);
}

static int set_plain_handler(struct saved_action *sv, int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sv->sig = sig;
    return sigaction(sig, &sa, &sv->old);
}

static void restore_handler(struct saved_action *sv) { sigaction(sv->sig, &sv->old, NULL); }

/* What handlers saw. Reset by clear_seen() at the start of each case. */
static volatile sig_atomic_t hits, depth, max_depth;
static volatile int seen_sig, seen_signo, seen_code, seen_pid, seen_uid, seen_status;
static void *volatile seen_addr;
static char order[16];
static volatile int order_len;

static void clear_seen(void)
{
    hits = depth = max_depth = 0;
    seen_sig = seen_signo = seen_code = seen_pid = seen_uid = seen_status = -1;
    seen_addr = (void *)-1;
    order_len = 0;
    memset(order, 0, sizeof(order));
}

static void note(char c)
{
    if (order_len < (int)sizeof(order) - 1)
        order[order_len++] = c;
}

static void record_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    seen_sig = sig;
    seen_signo = si->si_signo;
    seen_code = si->si_code;
    seen_pid = si->si_pid;
    seen_uid = (int)si->si_uid;
    seen_addr = si->si_addr;
}

static void count_plain(int sig)
{
    hits++;
    seen_sig = sig;
}

/* A snapshot of the signal mask, restored at the end of a case. */
static sigset_t mask_before;
static void save_mask(void) { sigprocmask(SIG_SETMASK, NULL, &mask_before); }
static void restore_mask(void) { sigprocmask(SIG_SETMASK, &mask_before, NULL); }

/* ---------------------------------------------------------------------------
 * Assembly helpers: code whose registers and stack we control exactly.
 * ------------------------------------------------------------------------- */

/* uint64 regs_in[16], regs_out[16]: rax rbx rcx rdx rsi rdi rbp r8..r15 */
uint64_t pw_regs_in[16], pw_regs_out[16];
extern char pw_regs_fault[]; /* the faulting instruction, 2 bytes long */
void pw_regs_test(void);

/* pw_redzone_test(tid, sig, out[16]): fill the 128-byte red zone below RSP,
 * tkill(tid, sig), copy the red zone to out. */
void pw_redzone_test(long tid, long sig, uint64_t *out);

/* pw_xmm_test(tid, sig, in[32], out[32]): xmm0-15 = in, tkill, out = xmm0-15. */
void pw_xmm_test(long tid, long sig, const uint64_t *in, uint64_t *out);

/* pw_ymm_test(tid, sig, in[64], out[64]): the same with ymm0-15 (AVX). */
void pw_ymm_test(long tid, long sig, const uint64_t *in, uint64_t *out);

/* pw_df_test(tid, sig): set DF, tkill, return RFLAGS as found afterwards. */
uint64_t pw_df_test(long tid, long sig);

/* pw_bad_rsp_signal(tid, sig, rsp): switch to a bogus stack, tkill, and if
 * still alive exit(77) without touching the stack. */
void pw_bad_rsp_signal(long tid, long sig, uint64_t rsp);

/* A restorer of our own: count, then rt_sigreturn. */
volatile int pw_restorer_calls;
void pw_restorer(void);

__asm__(".text\n"
        ".globl pw_regs_test\n"
        ".type pw_regs_test,@function\n"
        "pw_regs_test:\n"
        "    push %rbx\n    push %rbp\n    push %r12\n    push %r13\n    push %r14\n    push %r15\n"
        "    lea pw_regs_in(%rip), %rax\n"
        "    mov 8(%rax), %rbx\n    mov 16(%rax), %rcx\n    mov 24(%rax), %rdx\n"
        "    mov 32(%rax), %rsi\n    mov 40(%rax), %rdi\n    mov 48(%rax), %rbp\n"
        "    mov 56(%rax), %r8\n    mov 64(%rax), %r9\n    mov 72(%rax), %r10\n    mov 80(%rax), %r11\n"
        "    mov 88(%rax), %r12\n    mov 96(%rax), %r13\n    mov 104(%rax), %r14\n    mov 112(%rax), %r15\n"
        "    xor %eax, %eax\n"
        ".globl pw_regs_fault\n"
        "pw_regs_fault:\n"
        "    movl (%rax), %eax\n" /* 8b 00: reads address 0 */
        "    add $1, %rax\n"
        "    push %rax\n"
        "    lea pw_regs_out(%rip), %rax\n"
        "    mov %rbx, 8(%rax)\n    mov %rcx, 16(%rax)\n    mov %rdx, 24(%rax)\n"
        "    mov %rsi, 32(%rax)\n    mov %rdi, 40(%rax)\n    mov %rbp, 48(%rax)\n"
        "    mov %r8, 56(%rax)\n    mov %r9, 64(%rax)\n    mov %r10, 72(%rax)\n    mov %r11, 80(%rax)\n"
        "    mov %r12, 88(%rax)\n    mov %r13, 96(%rax)\n    mov %r14, 104(%rax)\n    mov %r15, 112(%rax)\n"
        "    pop %rcx\n"
        "    mov %rcx, 0(%rax)\n"
        "    pop %r15\n    pop %r14\n    pop %r13\n    pop %r12\n    pop %rbp\n    pop %rbx\n"
        "    ret\n"
        ".size pw_regs_test, .-pw_regs_test\n"

        ".globl pw_redzone_test\n"
        ".type pw_redzone_test,@function\n"
        "pw_redzone_test:\n"
        "    mov %rdx, %r8\n"
        "    mov $-1, %rcx\n"
        "1:  mov %rcx, %rax\n"
        "    xor $0x5a5a5a5a, %rax\n"
        "    mov %rax, (%rsp,%rcx,8)\n"
        "    dec %rcx\n"
        "    cmp $-16, %rcx\n"
        "    jge 1b\n"
        "    mov $200, %eax\n" /* SYS_tkill(rdi = tid, rsi = sig) */
        "    syscall\n"
        "    mov $-1, %rcx\n"
        "2:  mov (%rsp,%rcx,8), %rax\n"
        "    mov %rax, 128(%r8,%rcx,8)\n"
        "    dec %rcx\n"
        "    cmp $-16, %rcx\n"
        "    jge 2b\n"
        "    ret\n"
        ".size pw_redzone_test, .-pw_redzone_test\n"

        ".globl pw_xmm_test\n"
        ".type pw_xmm_test,@function\n"
        "pw_xmm_test:\n"
        "    mov %rcx, %r8\n"
        "    movdqu 0(%rdx), %xmm0\n    movdqu 16(%rdx), %xmm1\n    movdqu 32(%rdx), %xmm2\n"
        "    movdqu 48(%rdx), %xmm3\n    movdqu 64(%rdx), %xmm4\n    movdqu 80(%rdx), %xmm5\n"
        "    movdqu 96(%rdx), %xmm6\n    movdqu 112(%rdx), %xmm7\n    movdqu 128(%rdx), %xmm8\n"
        "    movdqu 144(%rdx), %xmm9\n    movdqu 160(%rdx), %xmm10\n    movdqu 176(%rdx), %xmm11\n"
        "    movdqu 192(%rdx), %xmm12\n    movdqu 208(%rdx), %xmm13\n    movdqu 224(%rdx), %xmm14\n"
        "    movdqu 240(%rdx), %xmm15\n"
        "    mov $200, %eax\n"
        "    syscall\n"
        "    movdqu %xmm0, 0(%r8)\n    movdqu %xmm1, 16(%r8)\n    movdqu %xmm2, 32(%r8)\n"
        "    movdqu %xmm3, 48(%r8)\n    movdqu %xmm4, 64(%r8)\n    movdqu %xmm5, 80(%r8)\n"
        "    movdqu %xmm6, 96(%r8)\n    movdqu %xmm7, 112(%r8)\n    movdqu %xmm8, 128(%r8)\n"
        "    movdqu %xmm9, 144(%r8)\n    movdqu %xmm10, 160(%r8)\n    movdqu %xmm11, 176(%r8)\n"
        "    movdqu %xmm12, 192(%r8)\n    movdqu %xmm13, 208(%r8)\n    movdqu %xmm14, 224(%r8)\n"
        "    movdqu %xmm15, 240(%r8)\n"
        "    ret\n"
        ".size pw_xmm_test, .-pw_xmm_test\n"

        ".globl pw_ymm_test\n"
        ".type pw_ymm_test,@function\n"
        "pw_ymm_test:\n"
        "    mov %rcx, %r8\n"
        "    vmovdqu 0(%rdx), %ymm0\n    vmovdqu 32(%rdx), %ymm1\n    vmovdqu 64(%rdx), %ymm2\n"
        "    vmovdqu 96(%rdx), %ymm3\n    vmovdqu 128(%rdx), %ymm4\n    vmovdqu 160(%rdx), %ymm5\n"
        "    vmovdqu 192(%rdx), %ymm6\n    vmovdqu 224(%rdx), %ymm7\n    vmovdqu 256(%rdx), %ymm8\n"
        "    vmovdqu 288(%rdx), %ymm9\n    vmovdqu 320(%rdx), %ymm10\n    vmovdqu 352(%rdx), %ymm11\n"
        "    vmovdqu 384(%rdx), %ymm12\n    vmovdqu 416(%rdx), %ymm13\n    vmovdqu 448(%rdx), %ymm14\n"
        "    vmovdqu 480(%rdx), %ymm15\n"
        "    mov $200, %eax\n"
        "    syscall\n"
        "    vmovdqu %ymm0, 0(%r8)\n    vmovdqu %ymm1, 32(%r8)\n    vmovdqu %ymm2, 64(%r8)\n"
        "    vmovdqu %ymm3, 96(%r8)\n    vmovdqu %ymm4, 128(%r8)\n    vmovdqu %ymm5, 160(%r8)\n"
        "    vmovdqu %ymm6, 192(%r8)\n    vmovdqu %ymm7, 224(%r8)\n    vmovdqu %ymm8, 256(%r8)\n"
        "    vmovdqu %ymm9, 288(%r8)\n    vmovdqu %ymm10, 320(%r8)\n    vmovdqu %ymm11, 352(%r8)\n"
        "    vmovdqu %ymm12, 384(%r8)\n    vmovdqu %ymm13, 416(%r8)\n    vmovdqu %ymm14, 448(%r8)\n"
        "    vmovdqu %ymm15, 480(%r8)\n"
        "    vzeroupper\n"
        "    ret\n"
        ".size pw_ymm_test, .-pw_ymm_test\n"

        ".globl pw_df_test\n"
        ".type pw_df_test,@function\n"
        "pw_df_test:\n"
        "    std\n"
        "    mov $200, %eax\n"
        "    syscall\n"
        "    pushfq\n"
        "    pop %rax\n"
        "    cld\n"
        "    ret\n"
        ".size pw_df_test, .-pw_df_test\n"

        ".globl pw_bad_rsp_signal\n"
        ".type pw_bad_rsp_signal,@function\n"
        "pw_bad_rsp_signal:\n"
        "    mov %rdx, %rsp\n"
        "    mov $200, %eax\n"
        "    syscall\n"
        "    mov $60, %eax\n"
        "    mov $77, %edi\n"
        "    syscall\n"
        "    ud2\n"
        ".size pw_bad_rsp_signal, .-pw_bad_rsp_signal\n"

        ".globl pw_restorer\n"
        ".type pw_restorer,@function\n"
        "pw_restorer:\n"
        "    lock incl pw_restorer_calls(%rip)\n"
        "    mov $15, %eax\n" /* SYS_rt_sigreturn */
        "    syscall\n"
        "    ud2\n"
        ".size pw_restorer, .-pw_restorer\n");

/* The kernel's struct sigaction for raw rt_sigaction (not libc's). */
struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

/* ---------------------------------------------------------------------------
 * Handlers run and return.
 * ------------------------------------------------------------------------- */

static const char *signal_handler_runs(void)
{
    struct saved_action sv;
    volatile long canary = 0x600dcafe;

    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, count_plain, 0));
    int r = raise(SIGUSR1);
    int h1 = hits;
    raise(SIGUSR1);
    int h2 = hits;
    restore_handler(&sv);
    CHECK(r == 0, "raise: %s", errname(errno));
    CHECK(h1 == 1, "after raise(SIGUSR1) the handler had run %d times, expected once (before raise returned)", h1);
    CHECK(h2 == 2, "after a second raise the handler had run %d times, expected 2", h2);
    CHECK(seen_sig == SIGUSR1, "the handler got signal number %d, expected SIGUSR1", seen_sig);
    CHECK(canary == 0x600dcafe, "a local variable changed across the handler");
    return PASS;
}

/* raise() and tkill/tgkill: si_code SI_TKILL; kill(): SI_USER; both carry
 * the sender's pid and uid. */
static const char *signal_siginfo_sender(void)
{
    struct saved_action sv;

    CHECK_OK(set_handler(&sv, SIGUSR1, record_info, 0, NULL));
    clear_seen();
    raise(SIGUSR1);
    int c_raise = seen_code, p_raise = seen_pid, s_raise = seen_signo, h_raise = hits, u_raise = seen_uid;
    clear_seen();
    syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR1);
    int c_tgkill = seen_code, h_tgkill = hits;
    clear_seen();
    int r = kill(getpid(), SIGUSR1);
    int c_kill = seen_code, p_kill = seen_pid, h_kill = hits, u_kill = seen_uid;
    restore_handler(&sv);

    CHECK(h_raise == 1 && h_tgkill == 1 && h_kill == 1,
          "handler runs: %d after raise, %d after tgkill, %d after kill (expected 1 each, before the call returned)",
          h_raise, h_tgkill, h_kill);
    CHECK(r == 0, "kill(getpid(), SIGUSR1): %s", errname(errno));
    CHECK(s_raise == SIGUSR1, "si_signo = %d, expected SIGUSR1", s_raise);
    CHECK(c_raise == SI_TKILL, "raise(): si_code = %d, expected SI_TKILL (%d)", c_raise, SI_TKILL);
    CHECK(c_tgkill == SI_TKILL, "tgkill(): si_code = %d, expected SI_TKILL (%d)", c_tgkill, SI_TKILL);
    CHECK(c_kill == SI_USER, "kill(): si_code = %d, expected SI_USER (%d)", c_kill, SI_USER);
    CHECK(p_raise == getpid() && p_kill == getpid(), "si_pid = %d (raise) and %d (kill), expected our pid %d", p_raise,
          p_kill, (int)getpid());
    CHECK(u_raise == (int)getuid() && u_kill == (int)getuid(), "si_uid = %d / %d, expected our uid %d", u_raise, u_kill,
          (int)getuid());
    return PASS;
}

/* kill(getpid(), SIGTERM) with a handler: the handler runs, we live on. */
static const char *signal_sigterm_handler(void)
{
    struct saved_action sv;

    clear_seen();
    CHECK_OK(set_handler(&sv, SIGTERM, record_info, 0, NULL));
    int r = kill(getpid(), SIGTERM);
    restore_handler(&sv);
    CHECK(r == 0, "kill: %s", errname(errno));
    CHECK(hits == 1 && seen_signo == SIGTERM, "the SIGTERM handler ran %d times (si_signo %d)", (int)hits, seen_signo);
    CHECK(seen_code == SI_USER, "si_code = %d, expected SI_USER", seen_code);
    return PASS;
}

/* Our own restorer (SA_RESTORER, with raw rt_sigaction): the handler
 * returns into it, and its rt_sigreturn brings us back. */
static void plain_handler_for_raw(int sig)
{
    hits++;
    seen_sig = sig;
}

static const char *signal_sa_restorer(void)
{
    struct k_sigaction ka, old, back;
    struct sigaction libc_old;

    clear_seen();
    sigaction(SIGUSR2, NULL, &libc_old);
    memset(&ka, 0, sizeof(ka));
    ka.handler = (void *)plain_handler_for_raw;
    ka.flags = SA_RESTORER;
    ka.restorer = (void *)pw_restorer;
    pw_restorer_calls = 0;
    CHECK(syscall(SYS_rt_sigaction, SIGUSR2, &ka, &old, 8) == 0, "rt_sigaction: %s", errname(errno));
    long q = syscall(SYS_rt_sigaction, SIGUSR2, NULL, &back, 8);
    tkill_self(SIGUSR2);
    int calls = pw_restorer_calls;
    sigaction(SIGUSR2, &libc_old, NULL);
    CHECK(q == 0, "rt_sigaction query: %s", errname(errno));
    CHECK(back.handler == ka.handler && back.restorer == ka.restorer && back.flags == ka.flags,
          "rt_sigaction gave back handler %p flags 0x%lx restorer %p; we set %p 0x%lx %p", back.handler, back.flags,
          back.restorer, ka.handler, ka.flags, ka.restorer);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(calls == 1, "our SA_RESTORER restorer ran %d times, expected once (the handler returns into it)", calls);
    return PASS;
}

/* sigaction's errors, and what it reports back. */
static void nop_handler(int sig) { (void)sig; }

static const char *signal_sigaction_errors(void)
{
    struct sigaction sa, back;
    struct k_sigaction ka;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = nop_handler;
    CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, 0, NULL, &ka, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, 65, NULL, &ka, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ka, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, hide(0xffffffff80100000UL), NULL, 8), EFAULT);
    /* Querying SIGKILL is allowed (it is SIG_DFL). */
    CHECK(sigaction(SIGKILL, NULL, &back) == 0 && back.sa_handler == SIG_DFL, "sigaction(SIGKILL, NULL, &old) failed");

    struct sigaction old;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaddset(&sa.sa_mask, SIGWINCH);
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    int r = sigaction(SIGUSR1, NULL, &back);
    sigaction(SIGUSR1, &old, NULL);
    CHECK(r == 0, "sigaction query: %s", errname(errno));
    CHECK(back.sa_handler == nop_handler, "the handler read back is %p, not %p", (void *)back.sa_handler,
          (void *)nop_handler);
    CHECK((back.sa_flags & (SA_RESTART | SA_NODEFER | SA_SIGINFO)) == (SA_RESTART | SA_NODEFER),
          "the flags read back are 0x%x", (unsigned)back.sa_flags);
    CHECK(sigismember(&back.sa_mask, SIGUSR2) && sigismember(&back.sa_mask, SIGWINCH) &&
              !sigismember(&back.sa_mask, SIGTERM),
          "sa_mask did not read back as set");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Faults: siginfo of SIGSEGV, SIGILL, SIGFPE.
 * ------------------------------------------------------------------------- */

static sigjmp_buf fault_jmp;
static volatile uint64_t seen_trapno, seen_err, seen_cr2, seen_rip;

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record_info(sig, si, ucv);
    seen_trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    seen_err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
    seen_cr2 = (uint64_t)uc->uc_mcontext.gregs[REG_CR2];
    seen_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(fault_jmp, 1);
}

static char *volatile fault_ptr;
static void do_read(void) { (void)*(volatile char *)fault_ptr; }
static void do_write(void) { *(volatile char *)fault_ptr = 1; }
static void do_call(void) { ((void (*)(void))fault_ptr)(); }

/* Run access() with a SIGSEGV (or other) handler; did it fault as expected? */
static const char *expect_fault(int sig, void (*access)(void), char *ptr, int code, void *addr, const char *what)
{
    struct saved_action sv;

    clear_seen();
    fault_ptr = ptr;
    CHECK_OK(set_handler(&sv, sig, fault_handler, 0, NULL));
    if (sigsetjmp(fault_jmp, 1) == 0)
        access();
    restore_handler(&sv);
    CHECK(hits == 1, "%s: no %s", what, signame(sig));
    CHECK(seen_signo == sig, "%s: si_signo = %d, expected %s", what, seen_signo, signame(sig));
    CHECK(seen_code == code, "%s: si_code = %d, expected %d", what, seen_code, code);
    CHECK(seen_addr == addr, "%s: si_addr = %p, expected %p", what, seen_addr, addr);
    return PASS;
}

static const char *signal_segv_null(void)
{
    const char *why = expect_fault(SIGSEGV, do_read, hide(0), SEGV_MAPERR, NULL, "read of NULL");
    if (why != PASS)
        return why;
    CHECK(seen_trapno == 14, "uc_mcontext trapno = %lu, expected 14 (page fault)", (unsigned long)seen_trapno);
    CHECK(seen_cr2 == 0, "uc_mcontext cr2 = 0x%lx, expected 0", (unsigned long)seen_cr2);
    CHECK(seen_err == 4, "uc_mcontext err = 0x%lx, expected 4 (user-mode read of a page not present)",
          (unsigned long)seen_err);
    return expect_fault(SIGSEGV, do_write, hide(0x10), SEGV_MAPERR, (void *)0x10, "write to address 0x10");
}

static const char *signal_segv_readonly(void)
{
    char *p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    (void)*(volatile char *)(p + PAGE_SIZE); /* read first: the page is then present (zero-filled) */
    const char *why = expect_fault(SIGSEGV, do_write, p + PAGE_SIZE + 100, SEGV_ACCERR, p + PAGE_SIZE + 100,
                                   "write to a PROT_READ page");
    uint64_t err = seen_err, cr2 = seen_cr2;
    munmap(p, 2 * PAGE_SIZE);
    if (why != PASS)
        return why;
    CHECK(cr2 == (uint64_t)(p + PAGE_SIZE + 100), "uc_mcontext cr2 = 0x%lx, expected %p", (unsigned long)cr2,
          (void *)(p + PAGE_SIZE + 100));
    CHECK(err == 7, "uc_mcontext err = 0x%lx, expected 7 (user-mode write to a present page)", (unsigned long)err);
    return PASS;
}

static const char *signal_segv_prot_none(void)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    const char *why = expect_fault(SIGSEGV, do_read, p + 5, SEGV_ACCERR, p + 5, "read of a PROT_NONE page");
    munmap(p, PAGE_SIZE);
    return why;
}

static const char *signal_segv_unmapped(void)
{
    char *p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    CHECK_OK(munmap(p + PAGE_SIZE, PAGE_SIZE));
    const char *why = expect_fault(SIGSEGV, do_write, p + PAGE_SIZE + 123, SEGV_MAPERR, p + PAGE_SIZE + 123,
                                   "write to an unmapped page");
    munmap(p, PAGE_SIZE);
    return why;
}

/* Executing a page without PROT_EXEC (NX) is an access error, at the
 * address of the instruction. */
static const char *signal_segv_exec_nx(void)
{
    char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    p[0] = (char)0xc3; /* ret */
    const char *why = expect_fault(SIGSEGV, do_call, p, SEGV_ACCERR, p, "call into a PROT_READ|PROT_WRITE page");
    munmap(p, PAGE_SIZE);
    return why;
}

/* The kernel half: Linux reports SEGV_MAPERR with the address, as if
 * nothing were mapped there. Non-canonical addresses raise #GP, not #PF:
 * there is no fault address, and Linux says SI_KERNEL with si_addr 0. */
static const char *signal_segv_kernel_addresses(void)
{
    const char *why =
        expect_fault(SIGSEGV, do_read, hide(0xffffffff80100000UL), SEGV_MAPERR, (void *)0xffffffff80100000UL,
                     "read of the kernel text address 0xffffffff80100000");
    if (why != PASS)
        return why;
    why = expect_fault(SIGSEGV, do_write, hide(0xffff888000000000UL), SEGV_MAPERR, (void *)0xffff888000000000UL,
                       "write to the direct map address 0xffff888000000000");
    if (why != PASS)
        return why;
    why = expect_fault(SIGSEGV, do_read, hide(0x8000000000000000UL), SI_KERNEL, NULL,
                       "read of the non-canonical address 0x8000000000000000");
    if (why != PASS)
        return why;
    CHECK(seen_trapno == 13, "uc_mcontext trapno = %lu, expected 13 (#GP)", (unsigned long)seen_trapno);
    return PASS;
}

static void do_ud2(void) { __asm__ volatile("ud2"); }
static void do_div0(void)
{
    volatile int zero = 0;
    volatile int x = 5 / zero;
    (void)x;
}

/* ud2: SIGILL, ILL_ILLOPN, si_addr = the instruction. Division by zero:
 * SIGFPE, FPE_INTDIV, si_addr = the instruction. */
static const char *signal_ill_fpe_codes(void)
{
    struct saved_action sv;

    clear_seen();
    CHECK_OK(set_handler(&sv, SIGILL, fault_handler, 0, NULL));
    if (sigsetjmp(fault_jmp, 1) == 0)
        do_ud2();
    restore_handler(&sv);
    CHECK(hits == 1 && seen_signo == SIGILL, "ud2 did not raise SIGILL");
    CHECK(seen_code == ILL_ILLOPN, "ud2: si_code = %d, expected ILL_ILLOPN (%d)", seen_code, ILL_ILLOPN);
    CHECK((uint64_t)seen_addr == seen_rip, "ud2: si_addr %p is not the faulting RIP 0x%lx", seen_addr,
          (unsigned long)seen_rip);
    CHECK(seen_trapno == 6, "ud2: trapno = %lu, expected 6 (#UD)", (unsigned long)seen_trapno);

    clear_seen();
    CHECK_OK(set_handler(&sv, SIGFPE, fault_handler, 0, NULL));
    if (sigsetjmp(fault_jmp, 1) == 0)
        do_div0();
    restore_handler(&sv);
    CHECK(hits == 1 && seen_signo == SIGFPE, "division by zero did not raise SIGFPE");
    CHECK(seen_code == FPE_INTDIV, "division by zero: si_code = %d, expected FPE_INTDIV (%d)", seen_code, FPE_INTDIV);
    CHECK((uint64_t)seen_addr == seen_rip, "division by zero: si_addr %p is not the faulting RIP 0x%lx", seen_addr,
          (unsigned long)seen_rip);
    CHECK(seen_trapno == 0, "division by zero: trapno = %lu, expected 0 (#DE)", (unsigned long)seen_trapno);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The ucontext: the saved registers, read and changed by the handler.
 * ------------------------------------------------------------------------- */

static volatile int regs_bad_reg = -1; /* which saved register was wrong */
static volatile uint64_t regs_seen_rip;

static const int reg_index[16] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_R8,
                                  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, -1};
static const char *const reg_names[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                          "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "?"};

static void regs_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;

    (void)sig;
    (void)si;
    hits++;
    if (hits > 1) /* the skip did not work: do not loop forever */
        siglongjmp(fault_jmp, 2);
    regs_seen_rip = (uint64_t)g[REG_RIP];
    for (int i = 1; i < 15; i++)
        if ((uint64_t)g[reg_index[i]] != pw_regs_in[i] && regs_bad_reg < 0)
            regs_bad_reg = i;
    if (g[REG_RAX] != 0 && regs_bad_reg < 0)
        regs_bad_reg = 0;
    g[REG_RIP] += 2;      /* skip "movl (%rax), %eax" */
    g[REG_RAX] = 0x1233;  /* the code adds 1 */
    g[REG_R12] = 0xabcde; /* any register may be changed */
}

static const char *signal_ucontext_registers(void)
{
    struct saved_action sv;

    for (int i = 0; i < 16; i++)
        pw_regs_in[i] = 0x1111111111111111ULL * (uint64_t)(i + 1) ^ 0x0102030405060708ULL;
    memset(pw_regs_out, 0, sizeof(pw_regs_out));
    clear_seen();
    regs_bad_reg = -1;
    CHECK_OK(set_handler(&sv, SIGSEGV, regs_handler, 0, NULL));
    int jumped = sigsetjmp(fault_jmp, 1);
    if (jumped == 0)
        pw_regs_test();
    restore_handler(&sv);

    CHECK(jumped == 0, "the handler moved RIP past the faulting instruction, but it faulted again");
    CHECK(hits == 1, "the handler ran %d times, expected once", (int)hits);
    CHECK(regs_seen_rip == (uint64_t)pw_regs_fault, "uc_mcontext RIP = 0x%lx, expected the faulting instruction at %p",
          (unsigned long)regs_seen_rip, (void *)pw_regs_fault);
    CHECK(regs_bad_reg < 0, "in the handler, the saved %s was wrong", reg_names[regs_bad_reg < 0 ? 15 : regs_bad_reg]);
    CHECK(pw_regs_out[0] == 0x1234, "after the handler set RAX = 0x1233, the code saw RAX = 0x%lx (+1)",
          (unsigned long)pw_regs_out[0]);
    CHECK(pw_regs_out[11] == 0xabcde, "after the handler set R12, the code saw R12 = 0x%lx",
          (unsigned long)pw_regs_out[11]);
    for (int i = 1; i < 15; i++)
        if (i != 11)
            CHECK(pw_regs_out[i] == pw_regs_in[i], "%s changed across the handler: 0x%lx, expected 0x%lx", reg_names[i],
                  (unsigned long)pw_regs_out[i], (unsigned long)pw_regs_in[i]);
    return PASS;
}

/* The frame itself: Linux's layout. On entry to the handler RSP points at
 * the return address (the restorer), the ucontext follows it 16-byte
 * aligned, the siginfo follows the 304-byte ucontext, and the XSAVE area is
 * 64-byte aligned above them (with the "FPXS" magic when UC_FP_XSTATE). */
static volatile uintptr_t lay_uc, lay_si, lay_fp, lay_ret;
static volatile unsigned long lay_flags;
static volatile unsigned lay_magic;
static volatile unsigned long long lay_cs;
static volatile int lay_link_null, lay_mask_ok;

static __attribute__((noinline)) void layout_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    hits++;
    lay_uc = (uintptr_t)uc;
    lay_si = (uintptr_t)si;
    lay_fp = (uintptr_t)uc->uc_mcontext.fpregs;
    lay_ret = (uintptr_t)__builtin_return_address(0);
    lay_flags = uc->uc_flags;
    lay_link_null = uc->uc_link == NULL;
    lay_cs = (unsigned long long)uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
    lay_magic = lay_fp ? *(const unsigned *)(lay_fp + 464) : 0;
    /* The saved mask is the mask before the signal: SIGWINCH (blocked by the
     * case) in it, SIGUSR1 (being handled) not. */
    lay_mask_ok = sigismember(&uc->uc_sigmask, SIGWINCH) && !sigismember(&uc->uc_sigmask, SIGUSR1);
}

static const char *signal_frame_layout(void)
{
    struct saved_action sv;
    struct k_sigaction ka;
    sigset_t w;

    save_mask();
    sigemptyset(&w);
    sigaddset(&w, SIGWINCH);
    sigprocmask(SIG_BLOCK, &w, NULL);
    clear_seen();
    CHECK_OK(set_handler(&sv, SIGUSR1, layout_handler, 0, NULL));
    long q = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ka, 8);
    tkill_self(SIGUSR1);
    restore_handler(&sv);
    restore_mask();

    CHECK(q == 0, "rt_sigaction query: %s", errname(errno));
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(lay_si - lay_uc == KERNEL_UCONTEXT_SIZE,
          "the siginfo is %ld bytes after the ucontext, expected %d (Linux's rt_sigframe)", (long)(lay_si - lay_uc),
          KERNEL_UCONTEXT_SIZE);
    CHECK(lay_uc % 16 == 0, "the ucontext is at %p: not 16-byte aligned (RSP at handler entry must be 8 mod 16)",
          (void *)lay_uc);
    CHECK((ka.flags & SA_RESTORER) && ka.restorer, "libc's action has no SA_RESTORER restorer?");
    CHECK(lay_ret == (uintptr_t)ka.restorer, "the handler returns to %p, not to sa_restorer %p", (void *)lay_ret,
          ka.restorer);
    CHECK(lay_fp != 0, "uc_mcontext.fpregs is NULL: no FPU state saved");
    CHECK(lay_fp % 64 == 0, "the FPU state is at %p: not 64-byte aligned (XSAVE needs it)", (void *)lay_fp);
    CHECK(lay_fp > lay_si, "the FPU state (%p) is not above the siginfo (%p)", (void *)lay_fp, (void *)lay_si);
    CHECK(!(lay_flags & UC_FP_XSTATE) || lay_magic == FP_XSTATE_MAGIC1,
          "uc_flags has UC_FP_XSTATE but the fpstate has no FP_XSTATE_MAGIC1 (0x%x at offset 464)", lay_magic);
    CHECK(lay_link_null, "uc_link is not NULL");
    CHECK((lay_cs & 3) == 3, "the saved CS 0x%llx is not a ring-3 selector", lay_cs);
    CHECK(lay_mask_ok, "uc_sigmask is not the mask from before the signal");
    return PASS;
}

/* The 128 bytes below RSP (the red zone) belong to the interrupted code:
 * the kernel must put the frame below them. */
static void nop_info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    hits++;
    /* Use some stack, to overwrite whatever the frame did not protect. */
    volatile char junk[512];
    memset((char *)junk, 0xee, sizeof(junk));
}

static const char *signal_red_zone(void)
{
    struct saved_action sv;
    uint64_t got[16];

    clear_seen();
    CHECK_OK(set_handler(&sv, SIGUSR1, nop_info_handler, 0, NULL));
    pw_redzone_test(gettid_(), SIGUSR1, got);
    restore_handler(&sv);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    for (int i = 0; i < 16; i++) {
        uint64_t want = (uint64_t)(-16 + i) ^ 0x5a5a5a5aULL;
        CHECK(got[i] == want, "the red zone at RSP-%d changed across a signal handler (0x%lx, expected 0x%lx)",
              (16 - i) * 8, (unsigned long)got[i], (unsigned long)want);
    }
    return PASS;
}

/* A handler may change uc_sigmask: rt_sigreturn installs it. */
static void mask_editing_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    (void)si;
    hits++;
    sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static const char *signal_sigreturn_mask(void)
{
    struct saved_action sv;
    sigset_t now;

    save_mask();
    clear_seen();
    CHECK_OK(set_handler(&sv, SIGUSR1, mask_editing_handler, 0, NULL));
    tkill_self(SIGUSR1);
    sigprocmask(SIG_SETMASK, NULL, &now);
    restore_handler(&sv);
    restore_mask();
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(sigismember(&now, SIGUSR2), "the handler added SIGUSR2 to uc_sigmask, but it is not blocked after return");
    CHECK(!sigismember(&now, SIGUSR1), "SIGUSR1 is still blocked after its handler returned");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * FPU, SSE, AVX and flags across a handler.
 * ------------------------------------------------------------------------- */

static volatile unsigned handler_mxcsr;
static volatile unsigned short handler_fcw;
static volatile uint64_t handler_rflags;

/* Clobber every SSE register, the MXCSR and the x87 control word; compute
 * with doubles. */
static void fpu_clobber_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    unsigned m;
    unsigned short cw;
    uint64_t fl;

    hits++;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    __asm__ volatile("pushfq; pop %0" : "=r"(fl));
    handler_mxcsr = m;
    handler_fcw = cw;
    handler_rflags = fl;
    m = 0x3f80; /* round down */
    cw = 0x07f; /* single precision */
    __asm__ volatile("ldmxcsr %0" ::"m"(m));
    __asm__ volatile("fldcw %0" ::"m"(cw));
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\t"
                     "movdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
                     "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
                     "movdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
                     "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\t"
                     "movdqa %%xmm0, %%xmm15" ::
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                           "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    volatile double x = 1.0;
    for (int i = 1; i < 100; i++)
        x = x * 1.000001 + 1.0 / i;
    long double ld = 3.0L;
    ld = ld / 7.0L;
    (void)ld;
}

static double harmonic(int n)
{
    volatile double s = 0;
    for (int i = 1; i <= n; i++)
        s += 1.0 / i;
    return s;
}

static const char *signal_sse_preserved(void)
{
    struct saved_action sv;
    uint64_t in[32], got[32];

    for (int i = 0; i < 32; i++)
        in[i] = 0x0123456789abcdefULL * (uint64_t)(i + 3) + (uint64_t)i;
    memset(got, 0, sizeof(got));
    clear_seen();
    CHECK_OK(set_handler(&sv, SIGUSR1, fpu_clobber_handler, 0, NULL));
    double before = harmonic(1000);
    pw_xmm_test(gettid_(), SIGUSR1, in, got);
    double after = harmonic(1000);
    restore_handler(&sv);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    for (int i = 0; i < 16; i++)
        CHECK(got[2 * i] == in[2 * i] && got[2 * i + 1] == in[2 * i + 1],
              "xmm%d changed across a signal handler that clobbered it", i);
    CHECK(before == after, "the same double computation gave %.17g before and %.17g after a handler", before, after);
    return PASS;
}

/* The handler starts with a clean FPU (MXCSR 0x1f80, x87 control word
 * 0x37f: Linux resets them), and the interrupted code gets its own back. */
static const char *signal_mxcsr_fcw(void)
{
    struct saved_action sv;
    unsigned m = 0x7f80, m_after = 0, m_orig;
    unsigned short cw = 0x27f, cw_after = 0, cw_orig;

    clear_seen();
    __asm__ volatile("stmxcsr %0" : "=m"(m_orig));
    __asm__ volatile("fnstcw %0" : "=m"(cw_orig));
    CHECK_OK(set_handler(&sv, SIGUSR1, fpu_clobber_handler, 0, NULL));
    __asm__ volatile("ldmxcsr %0" ::"m"(m) : "memory"); /* round toward zero */
    __asm__ volatile("fldcw %0" ::"m"(cw) : "memory");  /* double precision */
    tkill_self(SIGUSR1);
    __asm__ volatile("stmxcsr %0" : "=m"(m_after)::"memory");
    __asm__ volatile("fnstcw %0" : "=m"(cw_after)::"memory");
    __asm__ volatile("ldmxcsr %0" ::"m"(m_orig));
    __asm__ volatile("fldcw %0" ::"m"(cw_orig));
    restore_handler(&sv);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(m_after == 0x7f80, "MXCSR after the handler is 0x%x, expected our 0x7f80 back", m_after);
    CHECK(cw_after == 0x27f, "the x87 control word after the handler is 0x%x, expected our 0x27f back", cw_after);
    CHECK(handler_mxcsr == 0x1f80, "the handler started with MXCSR 0x%x, expected the default 0x1f80",
          handler_mxcsr);
    CHECK(handler_fcw == 0x37f, "the handler started with x87 control word 0x%x, expected the default 0x37f",
          handler_fcw);
    return PASS;
}

/* DF (the string direction flag) is clear when a handler starts (the C
 * ABI requires it), and the interrupted code gets its own DF back. */
static const char *signal_direction_flag(void)
{
    struct saved_action sv;

    clear_seen();
    handler_rflags = 0;
    CHECK_OK(set_handler(&sv, SIGUSR1, fpu_clobber_handler, 0, NULL));
    uint64_t fl = pw_df_test(gettid_(), SIGUSR1);
    restore_handler(&sv);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(!(handler_rflags & 0x400), "the handler started with DF set (RFLAGS 0x%lx)", (unsigned long)handler_rflags);
    CHECK(fl & 0x400, "DF was lost across the handler (RFLAGS after: 0x%lx)", (unsigned long)fl);
    return PASS;
}

static int have_avx(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6; /* the OS saves SSE and AVX state */
}

static void avx_clobber_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    hits++;
    __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
                     "vmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\tvmovdqa %%ymm0, %%ymm3\n\t"
                     "vmovdqa %%ymm0, %%ymm4\n\tvmovdqa %%ymm0, %%ymm5\n\tvmovdqa %%ymm0, %%ymm6\n\t"
                     "vmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\tvmovdqa %%ymm0, %%ymm9\n\t"
                     "vmovdqa %%ymm0, %%ymm10\n\tvmovdqa %%ymm0, %%ymm11\n\tvmovdqa %%ymm0, %%ymm12\n\t"
                     "vmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\tvmovdqa %%ymm0, %%ymm15\n\t"
                     "vzeroupper" ::
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                           "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* With AVX enabled by the kernel (XCR0), the upper halves of ymm0-15 are
 * part of the saved state too. Skipped when the CPU or kernel has no AVX. */
static const char *signal_avx_preserved(void)
{
    struct saved_action sv;
    uint64_t in[64], got[64];

    if (!have_avx()) {
        out("# signal_avx_preserved: no AVX enabled (CPUID/XCR0): skipped\n");
        return PASS;
    }
    for (int i = 0; i < 64; i++)
        in[i] = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
    memset(got, 0, sizeof(got));
    clear_seen();
    CHECK_OK(set_handler(&sv, SIGUSR1, avx_clobber_handler, 0, NULL));
    pw_ymm_test(gettid_(), SIGUSR1, in, got);
    restore_handler(&sv);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    for (int i = 0; i < 16; i++)
        CHECK(memcmp(&in[4 * i], &got[4 * i], 32) == 0, "ymm%d (%s half) changed across a signal handler", i,
              memcmp(&in[4 * i], &got[4 * i], 16) == 0 ? "upper" : "lower");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The signal mask.
 * ------------------------------------------------------------------------- */

/* Blocked: not delivered, shown by sigpending; two sends while blocked are
 * one delivery (standard signals do not queue); delivered as soon as it is
 * unblocked, before sigprocmask returns. */
static const char *signal_mask_pending(void)
{
    struct saved_action sv;
    sigset_t set, pend;

    save_mask();
    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, count_plain, 0));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /* (Two kill()s: both go to the process. raise() would target the thread,
     * and Linux keeps thread and process pending sets apart.) */
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    int h_blocked = hits;
    sigemptyset(&pend);
    int rp = sigpending(&pend);
    int pending = sigismember(&pend, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    int h_after = hits;
    sigemptyset(&pend);
    sigpending(&pend);
    int pending_after = sigismember(&pend, SIGUSR1);
    restore_handler(&sv);
    restore_mask();
    CHECK(h_blocked == 0, "a blocked signal was delivered (%d times)", h_blocked);
    CHECK(rp == 0 && pending, "sigpending does not show the blocked SIGUSR1");
    CHECK(h_after == 1, "after unblocking, the handler ran %d times (expected once: standard signals do not queue)",
          h_after);
    CHECK(!pending_after, "SIGUSR1 is still pending after it was delivered");
    return PASS;
}

/* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them from any
 * mask. Bad arguments: EINVAL. */
static const char *signal_mask_rules(void)
{
    sigset_t all, now;

    save_mask();
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    sigprocmask(SIG_SETMASK, NULL, &now);
    restore_mask();
    CHECK(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP), "SIGKILL or SIGSTOP ended up in the mask");
    CHECK(sigismember(&now, SIGUSR1) && sigismember(&now, SIGTERM), "blocking everything did not block SIGUSR1/SIGTERM");
    uint64_t raw = 0;
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, 99, &raw, NULL, 8), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &raw, NULL, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, hide(0xffffffff80100000UL), NULL, 8), EFAULT);
    return PASS;
}

/* Without SA_NODEFER, the signal is blocked while its handler runs: raised
 * again inside, it is delivered after the handler returns. With SA_NODEFER
 * it nests at once. */
static void nest_handler(int sig)
{
    sigset_t m;
    hits++;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    sigprocmask(SIG_SETMASK, NULL, &m);
    if (hits == 1) {
        seen_status = sigismember(&m, sig); /* is sig blocked in here? */
        raise(sig);
    }
    depth--;
}

static const char *signal_nodefer(void)
{
    struct saved_action sv;

    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, nest_handler, 0));
    raise(SIGUSR1);
    int h = hits, md = max_depth, blocked = seen_status;
    restore_handler(&sv);
    CHECK(blocked == 1, "without SA_NODEFER, SIGUSR1 is not blocked inside its own handler");
    CHECK(h == 2 && md == 1, "without SA_NODEFER: %d deliveries, nesting depth %d (expected 2 deliveries, depth 1)", h,
          md);

    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, nest_handler, SA_NODEFER));
    raise(SIGUSR1);
    h = hits;
    md = max_depth;
    blocked = seen_status;
    restore_handler(&sv);
    CHECK(blocked == 0, "with SA_NODEFER, SIGUSR1 is blocked inside its own handler");
    CHECK(h == 2 && md == 2, "with SA_NODEFER: %d deliveries, nesting depth %d (expected 2, depth 2)", h, md);
    return PASS;
}

/* sa_mask: signals blocked while the handler runs, delivered after it. */
static void usr1_raises_usr2(int sig)
{
    (void)sig;
    note('1');
    raise(SIGUSR2);
    note('e');
}
static void usr2_notes(int sig)
{
    (void)sig;
    note('2');
}

static const char *signal_sa_mask(void)
{
    struct saved_action s1, s2;
    struct sigaction sa;

    clear_seen();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = usr1_raises_usr2;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    s1.sig = SIGUSR1;
    CHECK_OK(sigaction(SIGUSR1, &sa, &s1.old));
    CHECK_OK(set_plain_handler(&s2, SIGUSR2, usr2_notes, 0));
    raise(SIGUSR1);
    restore_handler(&s1);
    restore_handler(&s2);
    CHECK(strcmp(order, "1e2") == 0,
          "order of events \"%s\", expected \"1e2\" (SIGUSR2 is in sa_mask: delivered after the SIGUSR1 handler)",
          order);

    /* Without it in sa_mask, SIGUSR2 interrupts the SIGUSR1 handler. */
    clear_seen();
    CHECK_OK(set_plain_handler(&s1, SIGUSR1, usr1_raises_usr2, 0));
    CHECK_OK(set_plain_handler(&s2, SIGUSR2, usr2_notes, 0));
    raise(SIGUSR1);
    restore_handler(&s1);
    restore_handler(&s2);
    CHECK(strcmp(order, "12e") == 0, "order of events \"%s\", expected \"12e\"", order);
    return PASS;
}

/* SA_RESETHAND: the handler runs once, then the action is SIG_DFL again and
 * the next SIGUSR1 kills (in a child). */
static int resethand_child(void)
{
    struct sigaction sa, back;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_plain;
    sa.sa_flags = SA_RESETHAND;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 2;
    hits = 0;
    raise(SIGUSR1);
    if (hits != 1)
        return 3;
    if (sigaction(SIGUSR1, NULL, &back) != 0 || back.sa_handler != SIG_DFL)
        return 4;
    raise(SIGUSR1);
    return 5;
}

static const char *signal_resethand(void)
{
    int st = run_in_child(resethand_child);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the SA_RESETHAND handler did not run on the first signal");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 4), "after an SA_RESETHAND handler ran, the action is not SIG_DFL");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 5), "the second SIGUSR1 (default action) did not kill");
    CHECK_KILLED_BY(st, SIGUSR1);
    return PASS;
}

/* Ignored signals vanish; setting SIG_IGN throws away a pending one. */
static const char *signal_ignore(void)
{
    struct saved_action sv;
    sigset_t set, pend;

    save_mask();
    sv.sig = SIGUSR1;
    CHECK(sigaction(SIGUSR1, NULL, &sv.old) == 0, "sigaction: %s", errname(errno));
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1); /* nothing happens */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    signal(SIGUSR1, SIG_DFL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1); /* pending (default action: would kill) */
    sigpending(&pend);
    int was_pending = sigismember(&pend, SIGUSR1);
    signal(SIGUSR1, SIG_IGN); /* discards it */
    sigpending(&pend);
    int still_pending = sigismember(&pend, SIGUSR1);
    restore_mask(); /* if it were still pending, it would be ignored now */
    restore_handler(&sv);
    CHECK(was_pending, "a blocked SIGUSR1 is not pending");
    CHECK(!still_pending, "setting SIG_IGN did not discard the pending SIGUSR1");
    return PASS;
}

/* Signals whose default action is to do nothing. */
static int default_ignored_child(void)
{
    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    kill(getpid(), SIGCONT);
    return 0;
}

static const char *signal_default_ignored(void)
{
    int st = run_in_child(default_ignored_child);
    CHECK_EXITED(st, 0);
    return PASS;
}

/* fork: the child inherits handlers and the mask, but not pending signals. */
static const char *signal_fork_inherits(void)
{
    struct saved_action sv;
    sigset_t set;

    save_mask();
    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, count_plain, 0));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    pid_t pid = fork_child();
    if (pid == 0) {
        sigset_t pend, m;
        sigpending(&pend);
        if (sigismember(&pend, SIGUSR1))
            _exit(2); /* pending signals are not inherited */
        sigprocmask(SIG_SETMASK, NULL, &m);
        if (!sigismember(&m, SIGUSR2))
            _exit(3);
        hits = 0;
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        if (hits != 0)
            _exit(4);
        raise(SIGUSR1);
        _exit(hits == 1 ? 0 : 5); /* the inherited handler ran */
    }
    int st = pid > 0 ? wait_for(pid) : -1;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    int h = hits;
    restore_handler(&sv);
    restore_mask();
    CHECK(pid != -1, "fork: %s", errname(errno));
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the parent's pending SIGUSR1 is pending in the child too");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the child did not inherit the signal mask");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 4), "a signal was delivered in the child on unblock");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 5), "the child did not inherit the handler");
    CHECK_EXITED(st, 0);
    CHECK(h == 1, "the parent's pending SIGUSR1 was delivered %d times on unblock", h);
    return PASS;
}

/* sigsuspend: wait with a temporary mask; returns -1/EINTR after the
 * handler ran, and the old mask is back. */
static const char *signal_sigsuspend(void)
{
    struct saved_action sv;
    sigset_t set, empty, now;

    save_mask();
    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGUSR1, count_plain, 0));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t parent = getpid();
    pid_t pid = fork_child();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigemptyset(&empty);
    int r = -2, e = 0;
    if (pid > 0) {
        errno = 0;
        r = sigsuspend(&empty);
        e = errno;
    }
    sigprocmask(SIG_SETMASK, NULL, &now);
    int st = pid > 0 ? wait_for(pid) : -1;
    restore_handler(&sv);
    restore_mask();
    CHECK(pid != -1, "fork: %s", errname(errno));
    CHECK_EXITED(st, 0);
    CHECK(r == -1 && e == EINTR, "sigsuspend returned %d (%s), expected -1 with EINTR", r, errname(e));
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(sigismember(&now, SIGUSR1), "after sigsuspend the old mask (SIGUSR1 blocked) is not back");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Interrupted system calls: EINTR, or restart with SA_RESTART.
 * ------------------------------------------------------------------------- */

static sigjmp_buf guard_jmp;

/* The first SIGALRM is the interruption; it arms a second one as a guard
 * against a read that never returns. */
static void alarm_handler(int sig)
{
    (void)sig;
    hits++;
    if (hits == 1)
        alarm(8);
    else
        siglongjmp(guard_jmp, 1);
}

static void rearm_case_alarm(struct saved_action *sv)
{
    alarm(0);
    restore_handler(sv);
    alarm(CASE_TIMEOUT);
}

/* A child writes to the pipe after 2 s; a SIGALRM comes after 1 s. With
 * SA_RESTART, read carries on transparently and returns the data; without
 * it, read fails with EINTR at 1 s. */
static const char *interrupted_read(int flags, ssize_t *r, int *e, long long *ms, char *buf)
{
    struct saved_action sv;
    int p[2];

    clear_seen();
    CHECK_OK(pipe(p));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[0]);
        sleep_ms(2000);
        write_all(p[1], "late", 4);
        _exit(0);
    }
    close(p[1]);
    CHECK_OK(set_plain_handler(&sv, SIGALRM, alarm_handler, flags));
    long long t0 = now_ns();
    *r = -2;
    if (sigsetjmp(guard_jmp, 1) == 0) {
        alarm(1);
        errno = 0;
        *r = read(p[0], buf, 4);
        *e = errno;
    }
    *ms = (now_ns() - t0) / 1000000;
    rearm_case_alarm(&sv);
    close(p[0]);
    kill_and_reap(pid);
    CHECK(*r != -2, "read never returned (the guard alarm fired after 9 s)");
    return PASS;
}

static const char *signal_sa_restart(void)
{
    char buf[8] = {0};
    ssize_t r;
    int e = 0;
    long long ms;

    const char *why = interrupted_read(SA_RESTART, &r, &e, &ms, buf);
    if (why != PASS)
        return why;
    CHECK(hits == 1, "SIGALRM's handler ran %d times, expected once", (int)hits);
    CHECK(r == 4 && memcmp(buf, "late", 4) == 0,
          "with SA_RESTART, a read interrupted by SIGALRM returned %ld (%s), expected the 4 bytes written later",
          (long)r, r < 0 ? errname(e) : "");
    CHECK(ms >= 1700, "the read returned after %lld ms, before the data was written (2000 ms)", ms);
    return PASS;
}

static const char *signal_eintr(void)
{
    char buf[8] = {0};
    ssize_t r;
    int e = 0;
    long long ms;

    const char *why = interrupted_read(0, &r, &e, &ms, buf);
    if (why != PASS)
        return why;
    CHECK(hits == 1, "SIGALRM's handler ran %d times, expected once", (int)hits);
    CHECK(r == -1 && e == EINTR, "without SA_RESTART, a read interrupted by a handler returned %ld (%s), expected EINTR",
          (long)r, errname(e));
    CHECK(ms >= 800 && ms < 1900, "the interrupted read returned after %lld ms (the alarm was at 1000 ms)", ms);
    return PASS;
}

/* nanosleep is never restarted after a handler, even with SA_RESTART: it
 * fails with EINTR and says how much time was left. */
static const char *signal_nanosleep_eintr(void)
{
    struct saved_action sv;
    struct timespec req = {3, 0}, rem = {0, 0};

    clear_seen();
    CHECK_OK(set_plain_handler(&sv, SIGALRM, alarm_handler, SA_RESTART));
    int r = -2, e = 0;
    long long t0 = now_ns();
    if (sigsetjmp(guard_jmp, 1) == 0) {
        alarm(1);
        errno = 0;
        r = nanosleep(&req, &rem);
        e = errno;
    }
    long long ms = (now_ns() - t0) / 1000000;
    rearm_case_alarm(&sv);
    CHECK(r == -1 && e == EINTR, "nanosleep(3 s) interrupted by a SA_RESTART handler returned %d (%s), expected EINTR",
          r, errname(e));
    CHECK(ms >= 800 && ms < 2500, "nanosleep returned after %lld ms (the alarm was at 1000 ms)", ms);
    long left = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
    CHECK(left >= 1500 && left <= 2200, "nanosleep's remaining time is %ld ms, expected about 2000", left);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The alternate signal stack.
 * ------------------------------------------------------------------------- */

#define ALT_SIZE (64 * 1024)
static char alt_stack[ALT_SIZE] __attribute__((aligned(16)));
static volatile uintptr_t alt_local;
static volatile int alt_query_flags, alt_query_rc, alt_change_rc, alt_change_errno;
static void *volatile alt_query_sp;
static volatile size_t alt_query_size;
static stack_t alt_uc_stack;

static void alt_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    volatile char here;
    stack_t q, other;

    (void)sig;
    (void)si;
    hits++;
    alt_local = (uintptr_t)&here;
    memset(&q, 0x55, sizeof(q));
    alt_query_rc = sigaltstack(NULL, &q);
    alt_query_flags = q.ss_flags;
    alt_query_sp = q.ss_sp;
    alt_query_size = q.ss_size;
    alt_uc_stack = uc->uc_stack;
    /* Changing the alternate stack while running on it is EPERM. */
    other.ss_sp = alt_stack;
    other.ss_size = ALT_SIZE / 2;
    other.ss_flags = 0;
    errno = 0;
    alt_change_rc = sigaltstack(&other, NULL);
    alt_change_errno = errno;
}

static int on_alt(uintptr_t a) { return a >= (uintptr_t)alt_stack && a < (uintptr_t)alt_stack + ALT_SIZE; }

static const char *signal_altstack(void)
{
    struct saved_action sv;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = ALT_SIZE, .ss_flags = 0}, old, after, off;

    clear_seen();
    CHECK_OK(sigaltstack(&ss, &old));
    CHECK_OK(set_handler(&sv, SIGUSR1, alt_handler, SA_ONSTACK, NULL));
    tkill_self(SIGUSR1);
    int on = on_alt(alt_local);
    sigaltstack(NULL, &after);
    /* Without SA_ONSTACK the handler runs on the normal stack. */
    restore_handler(&sv);
    set_handler(&sv, SIGUSR1, alt_handler, 0, NULL);
    tkill_self(SIGUSR1);
    int on2 = on_alt(alt_local);
    restore_handler(&sv);
    off.ss_sp = NULL;
    off.ss_size = 0;
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, NULL);

    CHECK(old.ss_flags == SS_DISABLE, "before any sigaltstack, the query said flags %d, expected SS_DISABLE",
          old.ss_flags);
    CHECK(hits == 2, "the handler ran %d times", (int)hits);
    CHECK(on, "an SA_ONSTACK handler ran with a local at %p, outside the alternate stack [%p, +%d)",
          (void *)alt_local, (void *)alt_stack, ALT_SIZE);
    CHECK(!on2, "a handler without SA_ONSTACK ran on the alternate stack");
    CHECK(after.ss_sp == alt_stack && after.ss_size == ALT_SIZE && after.ss_flags == 0,
          "after the handler, sigaltstack reports sp %p size %zu flags %d", after.ss_sp, after.ss_size, after.ss_flags);
    return PASS;
}

/* What the handler sees of the alternate stack: sigaltstack() says
 * SS_ONSTACK, uc_stack describes it, and it cannot be changed (EPERM). */
static const char *signal_altstack_query(void)
{
    struct saved_action sv;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = ALT_SIZE, .ss_flags = 0}, off = {NULL, SS_DISABLE, 0};

    clear_seen();
    CHECK_OK(sigaltstack(&ss, NULL));
    CHECK_OK(set_handler(&sv, SIGUSR1, alt_handler, SA_ONSTACK, NULL));
    tkill_self(SIGUSR1);
    restore_handler(&sv);
    sigaltstack(&off, NULL);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(alt_query_rc == 0 && alt_query_flags == SS_ONSTACK,
          "in the handler, sigaltstack reports flags %d, expected SS_ONSTACK (%d)", alt_query_flags, SS_ONSTACK);
    CHECK(alt_query_sp == alt_stack && alt_query_size == ALT_SIZE, "in the handler, sigaltstack reports sp %p size %zu",
          alt_query_sp, alt_query_size);
    CHECK(alt_uc_stack.ss_sp == alt_stack && alt_uc_stack.ss_size == ALT_SIZE && alt_uc_stack.ss_flags == 0,
          "uc_stack is sp %p size %zu flags %d, expected %p %d 0", alt_uc_stack.ss_sp, alt_uc_stack.ss_size,
          alt_uc_stack.ss_flags, (void *)alt_stack, ALT_SIZE);
    CHECK(alt_change_rc == -1 && alt_change_errno == EPERM,
          "changing the alternate stack while on it returned %d (%s), expected EPERM", alt_change_rc,
          errname(alt_change_errno));
    return PASS;
}

/* SS_AUTODISARM (Linux 4.7): while the handler runs, the alternate stack is
 * disarmed (the query says SS_DISABLE, sp NULL, size 0), so a handler may
 * swapcontext away; uc_stack still describes it (with the SS_AUTODISARM
 * flag) and rt_sigreturn re-arms it. */
static const char *signal_altstack_autodisarm(void)
{
    struct saved_action sv;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = ALT_SIZE, .ss_flags = (int)SS_AUTODISARM}, after,
            off = {NULL, SS_DISABLE, 0};

    clear_seen();
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack(SS_AUTODISARM): %s", errname(errno));
    CHECK_OK(set_handler(&sv, SIGUSR1, alt_handler, SA_ONSTACK, NULL));
    tkill_self(SIGUSR1);
    sigaltstack(NULL, &after);
    restore_handler(&sv);
    sigaltstack(&off, NULL);
    CHECK(hits == 1, "the handler ran %d times", (int)hits);
    CHECK(on_alt(alt_local), "the handler did not run on the alternate stack");
    CHECK(alt_query_rc == 0 && alt_query_flags == SS_DISABLE && alt_query_sp == NULL && alt_query_size == 0,
          "with SS_AUTODISARM, sigaltstack in the handler reports flags %d sp %p size %zu, expected SS_DISABLE (%d), "
          "NULL, 0",
          alt_query_flags, alt_query_sp, alt_query_size, SS_DISABLE);
    CHECK(alt_uc_stack.ss_sp == alt_stack && alt_uc_stack.ss_size == ALT_SIZE &&
              (unsigned)alt_uc_stack.ss_flags == SS_AUTODISARM,
          "uc_stack is sp %p size %zu flags 0x%x, expected %p %d SS_AUTODISARM", alt_uc_stack.ss_sp,
          alt_uc_stack.ss_size, (unsigned)alt_uc_stack.ss_flags, (void *)alt_stack, ALT_SIZE);
    CHECK(alt_change_rc == 0, "a disarmed alternate stack could not be changed in the handler: %s",
          errname(alt_change_errno));
    CHECK(after.ss_sp == alt_stack && after.ss_size == ALT_SIZE && (unsigned)after.ss_flags == SS_AUTODISARM,
          "after the handler returned, sigaltstack reports sp %p size %zu flags 0x%x: not re-armed from uc_stack",
          after.ss_sp, after.ss_size, (unsigned)after.ss_flags);
    return PASS;
}

/* The kernel's checks (musl's sigaltstack() makes some of them itself, so
 * the raw system call is used): a stack smaller than MINSIGSTKSZ (2048) is
 * ENOMEM, unknown flags EINVAL, a bad pointer EFAULT. */
static long raw_sigaltstack(const stack_t *ss, stack_t *old) { return syscall(SYS_sigaltstack, ss, old); }

static const char *signal_altstack_errors(void)
{
    stack_t ss, q, off = {NULL, SS_DISABLE, 0};

    ss.ss_sp = alt_stack;
    ss.ss_size = 2047;
    ss.ss_flags = 0;
    CHECK_ERRNO(raw_sigaltstack(&ss, NULL), ENOMEM);
    ss.ss_size = 2048;
    CHECK_OK(raw_sigaltstack(&ss, NULL));
    ss.ss_size = ALT_SIZE;
    ss.ss_flags = 0x1234;
    CHECK_ERRNO(raw_sigaltstack(&ss, NULL), EINVAL);
    CHECK_ERRNO(raw_sigaltstack((stack_t *)hide(0xffffffff80100000UL), NULL), EFAULT);
    CHECK_ERRNO(raw_sigaltstack(NULL, (stack_t *)hide(0xffffffff80100000UL)), EFAULT);
    ss.ss_flags = 0;
    CHECK_OK(raw_sigaltstack(&ss, NULL));
    CHECK_OK(raw_sigaltstack(NULL, &q));
    CHECK(q.ss_sp == alt_stack && q.ss_size == ALT_SIZE && q.ss_flags == 0, "the query says sp %p size %zu flags %d",
          q.ss_sp, q.ss_size, q.ss_flags);
    CHECK_OK(raw_sigaltstack(&off, NULL));
    CHECK_OK(raw_sigaltstack(NULL, &q));
    CHECK(q.ss_flags == SS_DISABLE, "after SS_DISABLE the query says flags %d", q.ss_flags);
    return PASS;
}

/* Unbounded recursion overflows the stack; the SIGSEGV handler still runs,
 * on the alternate stack (there is no room left on the normal one). */
static volatile uintptr_t overflow_local;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
    volatile char here;
    (void)uc;
    overflow_local = (uintptr_t)&here;
    _exit(sig == SIGSEGV && si->si_signo == SIGSEGV && on_alt(overflow_local) ? 42 : 43);
}

static long recurse(long n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    if (n == (1L << 40))
        return frame[0];
    return recurse(n + 1) + frame[0];
}

static int overflow_child(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)(8 * MiB))) {
        rl.rlim_cur = 8 * MiB;
        setrlimit(RLIMIT_STACK, &rl);
    }
    stack_t ss = {.ss_sp = alt_stack, .ss_size = ALT_SIZE, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = overflow_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGSEGV, &sa, NULL) != 0)
        return 2;
    return recurse(0) == 12345 ? 4 : 3; /* never returns: the stack runs out */
}

static const char *signal_stack_overflow_altstack(void)
{
    int st = run_in_child(overflow_child);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 43), "the SIGSEGV handler ran, but not on the alternate stack");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "sigaltstack or sigaction failed in the child");
    CHECK(!(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV),
          "the child died of SIGSEGV: its handler could not run on the alternate stack");
    CHECK_EXITED(st, 42);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * SIGCHLD.
 * ------------------------------------------------------------------------- */

static void chld_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    seen_sig = sig;
    seen_code = si->si_code;
    seen_pid = si->si_pid;
    seen_status = si->si_status;
}

/* Wait (with SIGCHLD blocked outside sigsuspend) until the handler ran. */
static int wait_sigchld(void)
{
    sigset_t empty;
    sigemptyset(&empty);
    long long t0 = now_ns();
    while (hits == 0 && now_ns() - t0 < 10000000000LL)
        sigsuspend(&empty);
    return hits;
}

static const char *signal_sigchld(void)
{
    struct saved_action sv;
    sigset_t set;

    save_mask();
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    CHECK_OK(set_handler(&sv, SIGCHLD, chld_handler, 0, NULL));

    clear_seen();
    pid_t a = fork_child();
    if (a == 0)
        _exit(7);
    int h1 = a > 0 ? wait_sigchld() : 0;
    int code1 = seen_code, pid1 = seen_pid, status1 = seen_status, sig1 = seen_sig;
    int sa = a > 0 ? wait_for(a) : -1;

    clear_seen();
    pid_t b = fork_child();
    if (b == 0) {
        for (;;)
            sleep_ms(1000);
    }
    if (b > 0)
        kill(b, SIGTERM);
    int h2 = b > 0 ? wait_sigchld() : 0;
    int code2 = seen_code, pid2 = seen_pid, status2 = seen_status;
    int sb = b > 0 ? wait_for(b) : -1;
    restore_handler(&sv);
    restore_mask();

    CHECK(a != -1 && b != -1, "fork: %s", errname(errno));
    CHECK(h1 >= 1, "no SIGCHLD handler call within 10 s after a child exited");
    CHECK(sig1 == SIGCHLD, "the handler got signal %d", sig1);
    CHECK(code1 == CLD_EXITED, "SIGCHLD for an exit: si_code %d, expected CLD_EXITED (%d)", code1, CLD_EXITED);
    CHECK(pid1 == a, "SIGCHLD si_pid %d, expected the child %d", pid1, (int)a);
    CHECK(status1 == 7, "SIGCHLD si_status %d, expected the exit status 7", status1);
    CHECK_EXITED(sa, 7);
    CHECK(h2 >= 1, "no SIGCHLD after a child was killed");
    CHECK(code2 == CLD_KILLED, "SIGCHLD for a kill: si_code %d, expected CLD_KILLED (%d)", code2, CLD_KILLED);
    CHECK(pid2 == b, "SIGCHLD si_pid %d, expected the child %d", pid2, (int)b);
    CHECK(status2 == SIGTERM, "SIGCHLD si_status %d, expected SIGTERM (%d)", status2, SIGTERM);
    CHECK_KILLED_BY(sb, SIGTERM);
    return PASS;
}

/* SIGCHLD set to SIG_IGN: children are reaped by the kernel, wait finds
 * none (ECHILD, after they have exited). */
static const char *signal_sigchld_ignored_autoreap(void)
{
    struct saved_action sv;
    sv.sig = SIGCHLD;
    CHECK(sigaction(SIGCHLD, NULL, &sv.old) == 0, "sigaction: %s", errname(errno));
    signal(SIGCHLD, SIG_IGN);
    pid_t pid = fork_child();
    if (pid == 0) {
        sleep_ms(100);
        _exit(3);
    }
    int st = 0;
    errno = 0;
    pid_t r = pid > 0 ? waitpid(pid, &st, 0) : 0;
    int e = errno;
    restore_handler(&sv);
    CHECK(pid != -1, "fork: %s", errname(errno));
    CHECK(r == -1 && e == ECHILD, "with SIGCHLD ignored, waitpid(child) returned %d (%s), expected ECHILD",
          (int)r, r == pid ? status_str(st) : errname(e));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Faults the kernel must turn into a dead process.
 * ------------------------------------------------------------------------- */

/* A fault while SIGSEGV is blocked, ignored, or already being handled
 * kills the process (Linux forces the default action): no endless loop. */
static void segv_again_handler(int sig)
{
    (void)sig;
    (void)*(volatile char *)hide(0); /* SIGSEGV is blocked in here */
}

static int segv_in_handler_child(void)
{
    signal(SIGSEGV, segv_again_handler);
    (void)*(volatile char *)hide(0);
    return 2;
}

static int segv_blocked_child(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigprocmask(SIG_BLOCK, &set, NULL);
    (void)*(volatile char *)hide(0);
    return 2;
}

static int segv_ignored_child(void)
{
    signal(SIGSEGV, SIG_IGN);
    (void)*(volatile char *)hide(0);
    return 2;
}

static const char *signal_segv_cannot_be_ignored(void)
{
    int st = run_in_child(segv_in_handler_child);
    CHECK(!(st != -1 && WIFEXITED(st)), "a fault inside the SIGSEGV handler: child %s", status_str(st));
    CHECK_KILLED_BY(st, SIGSEGV);
    st = run_in_child(segv_blocked_child);
    CHECK(!(st != -1 && WIFEXITED(st)), "a fault with SIGSEGV blocked: child %s", status_str(st));
    CHECK_KILLED_BY(st, SIGSEGV);
    st = run_in_child(segv_ignored_child);
    CHECK(!(st != -1 && WIFEXITED(st)), "a fault with SIGSEGV ignored: child %s", status_str(st));
    CHECK_KILLED_BY(st, SIGSEGV);
    return PASS;
}

/* No room for the frame: the alternate stack is PROT_NONE, or RSP points
 * nowhere (or into the kernel) when the signal comes. The kernel must not
 * write the frame there; the process dies of SIGSEGV. */
static char *bad_alt;

static int unwritable_altstack_child(void)
{
    stack_t ss = {.ss_sp = bad_alt, .ss_size = 4 * PAGE_SIZE, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_plain;
    sa.sa_flags = SA_ONSTACK;
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
        return 2;
    hits = 0;
    tkill_self(SIGUSR1);
    return hits ? 3 : 4;
}

static uint64_t bad_rsp;

static int bad_rsp_child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_plain;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 2;
    pw_bad_rsp_signal(gettid_(), SIGUSR1, bad_rsp);
    return 5; /* not reached */
}

static const char *signal_frame_unwritable(void)
{
    bad_alt = mmap(NULL, 4 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(bad_alt != MAP_FAILED, "mmap: %s", errname(errno));
    int st = run_in_child(unwritable_altstack_child);
    munmap(bad_alt, 4 * PAGE_SIZE);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "a handler ran on a PROT_NONE alternate stack");
    CHECK_KILLED_BY(st, SIGSEGV);

    static const uint64_t rsps[] = {0x10, 0xffff888000100000ULL, 0xffffffff80110000ULL};
    for (size_t i = 0; i < sizeof(rsps) / sizeof(rsps[0]); i++) {
        bad_rsp = rsps[i];
        st = run_in_child(bad_rsp_child);
        CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 77),
              "a signal with RSP = 0x%lx: the kernel delivered nothing and the process went on",
              (unsigned long)rsps[i]);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
              "a signal with RSP = 0x%lx: child %s, expected it to die of SIGSEGV", (unsigned long)rsps[i],
              status_str(st));
    }
    return PASS;
}

/* A corrupted frame: the handler edits what rt_sigreturn will read. */
enum corruption {
    FP_NONCANONICAL,
    FP_UNMAPPED,
    FP_KERNEL,
    FP_MXCSR_RESERVED,
    FP_XFEATURES_GARBAGE,
    RIP_NONCANONICAL,
    RIP_KERNEL,
    RSP_GARBAGE,
    CS_KERNEL_08,
    CS_KERNEL_10,
    SS_NULL,
    EFLAGS_PRIVILEGED,
    FP_NULL,
    NCORRUPTIONS
};

static const char *const corruption_names[NCORRUPTIONS] = {
    "fpstate pointer non-canonical (0x8000000000000000)",
    "fpstate pointer to an unmapped page (0x1000)",
    "fpstate pointer into the kernel (0xffff888000000000)",
    "fpstate MXCSR with reserved bits set",
    "fpstate XSAVE header xfeatures all ones",
    "RIP non-canonical (0x800000000000)",
    "RIP in the kernel (0xffffffff80100000)",
    "RSP = 0x10",
    "CS = 0x08 (a kernel code segment)",
    "CS = 0x10 (a kernel segment)",
    "SS = 0",
    "EFLAGS with IOPL 3, IF clear, VM, NT",
    "fpstate pointer NULL",
};

static volatile int corruption_mode;

static void corrupting_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    char *fp = (char *)uc->uc_mcontext.fpregs;

    (void)sig;
    (void)si;
    switch (corruption_mode) {
    case FP_NONCANONICAL: uc->uc_mcontext.fpregs = (void *)hide(0x8000000000000000UL); break;
    case FP_UNMAPPED: uc->uc_mcontext.fpregs = (void *)hide(0x1000); break;
    case FP_KERNEL: uc->uc_mcontext.fpregs = (void *)hide(0xffff888000000000UL); break;
    case FP_MXCSR_RESERVED:
        if (fp)
            *(uint32_t *)(fp + 24) = 0xffffffffU;
        break;
    case FP_XFEATURES_GARBAGE:
        if (fp)
            *(uint64_t *)(fp + 512) = ~0ULL;
        break;
    case RIP_NONCANONICAL: g[REG_RIP] = (greg_t)0x800000000000ULL; break;
    case RIP_KERNEL: g[REG_RIP] = (greg_t)0xffffffff80100000ULL; break;
    case RSP_GARBAGE: g[REG_RSP] = 0x10; break;
    case CS_KERNEL_08: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(greg_t)0xffff) | 0x08; break;
    case CS_KERNEL_10: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(greg_t)0xffff) | 0x10; break;
    case SS_NULL: g[REG_CSGSFS] = g[REG_CSGSFS] & (greg_t)0x0000ffffffffffffULL; break;
    case EFLAGS_PRIVILEGED: g[REG_EFL] = (g[REG_EFL] | 0x3000 | 0x20000 | 0x4000) & ~(greg_t)0x200; break;
    case FP_NULL: uc->uc_mcontext.fpregs = NULL; break;
    }
}

/* After rt_sigreturn (if we get here): are we still an ordinary ring-3
 * process with interrupts on and no I/O privilege? Exit 0 if so. */
static int corrupt_frame_child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = corrupting_handler;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 2;
    tkill_self(SIGUSR1);
    unsigned short cs;
    uint64_t fl;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    __asm__ volatile("pushfq; pop %0" : "=r"(fl));
    if ((cs & 3) != 3)
        return 10; /* running in a privileged ring! */
    if (fl & 0x3000)
        return 11; /* IOPL raised */
    if (!(fl & 0x200))
        return 12; /* interrupts off */
    if (fl & (0x20000 | 0x4000))
        return 13; /* VM or NT */
    return 0;
}

/* For each corruption: Linux's outcome. SIGSEGV for a bad fpstate (the
 * XSAVE area is validated), a bad RIP or RSP (the process faults at once),
 * a bad CS or SS (the return to user mode faults); privileged EFLAGS bits
 * are simply not taken; a NULL fpstate means "reset the FPU". */
static const char *signal_corrupt_frame(void)
{
    static char bad[NCORRUPTIONS][160];
    int nbad = 0;

    /* Try them all, then report every one that went wrong. */
    for (int m = 0; m < NCORRUPTIONS; m++) {
        corruption_mode = m;
        int st = run_in_child(corrupt_frame_child);
        const char *what = corruption_names[m], *why = NULL;
        int code = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        int segv = st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;

        if (st == -1)
            why = "fork or wait failed";
        else if (code == 10)
            why = "the process came back in a privileged ring";
        else if (code == 11)
            why = "the process came back with IOPL > 0";
        else if (code == 12)
            why = "the process came back with interrupts disabled";
        else if (code == 13)
            why = "the process came back with VM or NT set";
        else if (m == EFLAGS_PRIVILEGED || m == FP_NULL) {
            if (code != 0)
                why = "expected it to carry on (exit 0)";
        } else if (m == CS_KERNEL_08 || m == CS_KERNEL_10 || m == SS_NULL) {
            /* Linux: SIGSEGV. A kernel that ignores CS/SS from the frame
             * (and returns with its own user selectors) is just as safe. */
            if (!segv && code != 0)
                why = "expected SIGSEGV (or an unharmed ring-3 process)";
        } else if (!segv)
            why = "expected it to die of SIGSEGV";
        if (why) {
            snprintf(bad[nbad], sizeof(bad[nbad]), "%s: child %s, %s", what, status_str(st), why);
            out("# signal_corrupt_frame: %s\n", bad[nbad]);
            nbad++;
        }
    }
    CHECK(nbad == 0, "%d of %d corrupted frames handled wrongly; the first: %s", nbad, NCORRUPTIONS, bad[0]);
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(signal_handler_runs),
    TEST(signal_siginfo_sender),
    TEST(signal_sigterm_handler),
    TEST(signal_sa_restorer),
    TEST(signal_sigaction_errors),
    TEST(signal_segv_null),
    TEST(signal_segv_readonly),
    TEST(signal_segv_prot_none),
    TEST(signal_segv_unmapped),
    TEST(signal_segv_exec_nx),
    TEST(signal_segv_kernel_addresses),
    TEST(signal_ill_fpe_codes),
    TEST(signal_ucontext_registers),
    TEST(signal_frame_layout),
    TEST(signal_red_zone),
    TEST(signal_sigreturn_mask),
    TEST(signal_sse_preserved),
    TEST(signal_mxcsr_fcw),
    TEST(signal_direction_flag),
    TEST(signal_avx_preserved),
    TEST(signal_mask_pending),
    TEST(signal_mask_rules),
    TEST(signal_nodefer),
    TEST(signal_sa_mask),
    TEST(signal_resethand),
    TEST(signal_ignore),
    TEST(signal_default_ignored),
    TEST(signal_fork_inherits),
    TEST(signal_sigsuspend),
    TEST(signal_sa_restart),
    TEST(signal_eintr),
    TEST(signal_nanosleep_eintr),
    TEST(signal_altstack),
    TEST(signal_altstack_query),
    TEST(signal_altstack_autodisarm),
    TEST(signal_altstack_errors),
    TEST(signal_stack_overflow_altstack),
    TEST(signal_sigchld),
    TEST(signal_sigchld_ignored_autoreap),
    TEST(signal_segv_cannot_be_ignored),
    TEST(signal_frame_unwritable),
    TEST(signal_corrupt_frame),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
