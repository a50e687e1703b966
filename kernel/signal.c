/*
 * kernel/signal.c - sending and delivering signals (Linux's kernel/signal.c
 * and arch/x86/kernel/signal.c in one file).
 *
 * Delivery happens on the way back to user mode (prepare_return_to_user).
 * For a user handler, setup_rt_frame writes Linux's frame on the user
 * stack and points the saved registers at the handler:
 *
 *   higher addresses
 *     ...the interrupted code's stack, then a 128-byte red zone...
 *     fxsave image (512 bytes, 64-byte aligned)   <- uc_mcontext.fpstate
 *     struct siginfo (128)                         <- handler's 2nd argument
 *     struct ucontext: flags, link, uc_stack,      <- handler's 3rd argument
 *        uc_mcontext (every register), uc_sigmask
 *     pretcode = sa_restorer                       <- RSP at handler entry
 *   lower addresses
 *
 * The handler's `ret` lands in the C library's restorer, which calls
 * rt_sigreturn: the kernel reads the ucontext back (as the user may have
 * changed it), checks it and resumes the interrupted code.
 */
#include "kernel/signal.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/fpu.h"
#include "kernel/gdt.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86.h"
#include "mm/fault.h"
#include "mm/memlayout.h"

#define SYSCALL_VECTOR 0x80 /* kernel/entry.asm: trap_frame.vector of a syscall */
#define SYSCALL_INSN_LEN 2
#define REDZONE 128
#define FPSTATE_ALIGN 64
#define SIGINFO_SIZE 128
/* Linux's XSAVE-format fpstate (arch/x86/include/uapi/asm/sigcontext.h):
 * the XSAVE image (kernel/fpu.h), whose legacy bytes 464..511
 * ("sw_reserved", ignored by the CPU) say what follows, then
 * FP_XSTATE_MAGIC2 right after the image:
 *
 *   0        legacy area (x87, MXCSR, xmm)   sw_reserved at 464: magic1,
 *   512      XSAVE header                    extended_size, xfeatures,
 *   576      AVX (ymm upper halves) ...      xstate_size
 *   size     FP_XSTATE_MAGIC2
 *
 * Without XSAVE the image is the legacy area and an empty header
 * (xfeatures = x87 | SSE, size 576). */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define FP_SW_OFFSET 464
#define XSAVE_HEADER FPU_XSAVE_HEADER
#define LEGACY_XSTATE_SIZE (XSAVE_HEADER + FPU_XSAVE_HEADER_SIZE)
#define MAGIC2_SIZE 4
#define FPSTATE_MAX (FPU_AREA_MAX + MAGIC2_SIZE)
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
/* RFLAGS bits the user may change through sigreturn (Linux: FIX_EFLAGS). */
#define USER_RFLAGS_MASK (RFLAGS_CF | (1ul << 2) | (1ul << 4) | (1ul << 6) | (1ul << 7) | RFLAGS_TF | RFLAGS_DF | \
                          (1ul << 11) | RFLAGS_AC | (1ul << 16))
#define SIG_DEFAULT_IGNORE (SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH))
#define SIG_STOPS (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

/* Linux's user-visible structures (arch/x86/include/uapi/asm/sigcontext.h,
 * include/uapi/asm-generic/ucontext.h). */
struct sigcontext_k {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
    uint64_t eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
};

struct ucontext_k {
    uint64_t uc_flags;
    uint64_t uc_link;
    uint64_t ss_sp;
    int32_t ss_flags, pad;
    uint64_t ss_size;
    struct sigcontext_k uc_mcontext;
    uint64_t uc_sigmask;
};

struct siginfo_user {
    int32_t si_signo, si_errno, si_code, pad;
    union {
        struct {
            int32_t pid, uid, status, pad2;
            int64_t utime, stime;
        } child;       /* kill, SIGCHLD */
        uint64_t addr; /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
    };
    uint8_t rest[SIGINFO_SIZE - 48];
};

struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext_k uc;
    struct siginfo_user info;
};

_Static_assert(sizeof(struct sigcontext_k) == 256, "struct sigcontext is 256 bytes on x86-64");
_Static_assert(sizeof(struct siginfo_user) == SIGINFO_SIZE, "siginfo_t is 128 bytes");

static const char *const signal_names[] = {
    [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP",
    [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",
    [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
    [SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
    [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
    [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

const char *signal_name(int sig)
{
    return sig > 0 && sig < (int)ARRAY_SIZE(signal_names) && signal_names[sig] ? signal_names[sig] : "signal";
}

/* The process's pending set changed: tell every thread whether it is
 * empty (task.group_sig_hint, what return_work_pending reads). */
void signal_group_pending_changed(struct thread_group *g)
{
    struct list_head *pos;
    list_for_each(pos, &g->threads)
        list_entry(pos, struct task, thread_node)->group_sig_hint = g->sig_pending != 0;
}

/* A thread's signals: its own (faults, tgkill) and its process's (kill). */
static uint64_t pending_of(const struct task *t) { return t->sig_pending | t->group->sig_pending; }

static uint64_t deliverable(const struct task *t)
{
    return pending_of(t) & (~t->sig_blocked | SIG_UNBLOCKABLE_MASK);
}

bool signal_pending(const struct task *t) { return deliverable(t) != 0; }

/* Would sig be thrown away on arrival? (Ignored and not blocked: Linux
 * discards it at once, so it never interrupts a sleep.) */
static bool ignored(const struct task *t, int sig)
{
    uint64_t h = t->group->sigaction[sig - 1].handler;
    if (sig == SIGKILL || (t->sig_blocked & SIG_BIT(sig)))
        return false;
    return h == SIG_IGN || (h == SIG_DFL && ((SIG_DEFAULT_IGNORE | SIG_STOPS) & SIG_BIT(sig)));
}

/* Interrupt t's blocking call if sig is for it now; if t runs on another
 * CPU, make it enter the kernel to take it (Linux: kick_process). */
static void wake_for(struct task *t, int sig)
{
    if (!(deliverable(t) & SIG_BIT(sig)))
        return;
    if (t->state == TASK_SLEEPING)
        sched_wake_task(t);
    else if (t->state == TASK_RUNNABLE)
        sched_kick_task(t);
}

/* A process-directed signal: any thread that does not block it may take
 * it. Wake the first such thread (SIGKILL: all of them); t, the one it
 * was addressed to, first (Linux's complete_signal). */
static void wake_group_for(struct task *t, int sig)
{
    if (!(t->sig_blocked & SIG_BIT(sig)) && sig != SIGKILL && t->state != TASK_ZOMBIE) {
        wake_for(t, sig);
        return;
    }
    struct list_head *pos;
    list_for_each(pos, &t->group->threads) {
        struct task *th = list_entry(pos, struct task, thread_node);
        if (sig == SIGKILL || !(th->sig_blocked & SIG_BIT(sig))) {
            wake_for(th, sig);
            if (sig != SIGKILL)
                return;
        }
    }
}

void signal_send_info(struct task *t, int sig, int code, uint64_t addr, int pid, int status)
{
    if (sig <= 0 || sig > NSIG || ignored(t, sig))
        return;
    struct thread_group *g = t->group;
    bool irqs = irq_save();
    if (!(g->sig_pending & SIG_BIT(sig))) /* standard signals do not queue */
        g->siginfo[sig - 1] = (struct siginfo_k){code, pid, status, addr};
    g->sig_pending |= SIG_BIT(sig);
    signal_group_pending_changed(g);
    wake_group_for(t, sig);
    irq_restore(irqs);
}

void signal_send_thread_info(struct task *t, int sig, int code, uint64_t addr, int pid, int status)
{
    if (sig <= 0 || sig > NSIG || ignored(t, sig))
        return;
    bool irqs = irq_save();
    if (!(t->sig_pending & SIG_BIT(sig)))
        t->siginfo[sig - 1] = (struct siginfo_k){code, pid, status, addr};
    t->sig_pending |= SIG_BIT(sig);
    wake_for(t, sig);
    irq_restore(irqs);
}

void signal_send(struct task *t, int sig) { signal_send_info(t, sig, SI_KERNEL, 0, 0, 0); }

void signal_fault(int sig, int code, uint64_t addr, uint64_t rip, const char *reason)
{
    struct task *t = current;
    uint64_t handler = t->group->sigaction[sig - 1].handler;
    if (handler > SIG_IGN && !(t->sig_blocked & SIG_BIT(sig))) {
        signal_send_thread_info(t, sig, code, addr, 0, 0); /* the handler decides, in this thread */
        return;
    }
    /* "segfault at" only for a fault with an address (a #PF's CR2): a #GP
     * has none, and "segfault at 0x0" would read like a NULL pointer. */
    if (sig == SIGSEGV && code != SI_KERNEL)
        pr_err("pagewise: pid %d (%s): segfault at %#lx rip %#lx: %s -> SIGSEGV\n", t->pid, t->comm, addr, rip,
               reason);
    else
        pr_err("pagewise: pid %d (%s): %s at rip %#lx -> %s\n", t->pid, t->comm, reason, rip, signal_name(sig));
    proc_exit_group(sig); /* a fault that is blocked or ignored cannot be skipped: the process dies */
}

/* The register state a handler starts with and sigreturn restores. */
static void save_registers(const struct trap_frame *tf, struct sigcontext_k *sc)
{
    *sc = (struct sigcontext_k){
        .r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11, .r12 = tf->r12, .r13 = tf->r13,
        .r14 = tf->r14, .r15 = tf->r15, .rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
        .rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp, .rip = tf->rip, .eflags = tf->rflags,
        .cs = (uint16_t)tf->cs, .ss = (uint16_t)tf->ss, .err = tf->error_code,
        .trapno = tf->vector == SYSCALL_VECTOR ? 0 : tf->vector,
    };
}

static bool on_altstack(const struct task *t, uint64_t sp)
{
    return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

static void fill_siginfo(struct siginfo_user *si, int sig, const struct siginfo_k *k)
{
    memset(si, 0, sizeof(*si));
    si->si_signo = sig;
    si->si_code = k->code;
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) {
        si->addr = k->addr;
    } else {
        si->child.pid = k->pid;
        si->child.status = k->status;
    }
}

struct fp_sw_bytes {
    uint32_t magic1, extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
} __attribute__((packed));

/* The image's size (without magic2): the XSAVE area, or legacy + header. */
static uint32_t xstate_size(void) { return fpu_xsave() ? fpu_size() : LEGACY_XSTATE_SIZE; }
static uint32_t fpstate_size(void) { return xstate_size() + MAGIC2_SIZE; }

uint64_t signal_frame_size(void)
{
    /* the frame, the fpstate with its alignment, the red zone skipped,
     * the 16-byte alignment of the frame (Linux: get_sigframe_size) */
    return sizeof(struct rt_sigframe) + fpstate_size() + FPSTATE_ALIGN + REDZONE + 16;
}

/* The signal frame's fpstate, from the task's saved registers: the XSAVE
 * image as the CPU wrote it (or the fxsave area and an empty header), with
 * sw_reserved and magic2 filled in. */
static void build_fpstate(uint8_t *out, const uint8_t *saved)
{
    uint32_t size = xstate_size();
    memset(out, 0, fpstate_size());
    memcpy(out, saved, fpu_xsave() ? size : FP_SW_OFFSET);
    struct fp_sw_bytes sw = {FP_XSTATE_MAGIC1, fpstate_size(), fpu_xfeatures(), size};
    memcpy(out + FP_SW_OFFSET, &sw, sizeof(sw));
    if (!fpu_xsave()) {
        uint64_t xfeatures = fpu_xfeatures();
        memcpy(out + XSAVE_HEADER, &xfeatures, sizeof(xfeatures));
    }
    uint32_t magic2 = FP_XSTATE_MAGIC2;
    memcpy(out + size, &magic2, sizeof(magic2));
}

/* Read a user fpstate at uaddr into the task's save area, checked as Linux
 * does. An image without magic1 is a plain fxsave area (x87 and SSE; AVX
 * then starts from its initial state). Returns NULL or why it is refused. */
static const char *load_user_fpstate(struct task *t, uint64_t uaddr)
{
    uint8_t img[FPSTATE_MAX] __attribute__((aligned(FPU_AREA_ALIGN)));
    struct fp_sw_bytes sw;
    if ((uaddr & 15) || copy_from_user(img, (void *)uaddr, FPU_LEGACY_SIZE))
        return "bad FPU state pointer in the signal frame";
    memcpy(&sw, img + FP_SW_OFFSET, sizeof(sw));
    bool extended = sw.magic1 == FP_XSTATE_MAGIC1;
    if (extended) {
        uint32_t magic2;
        if (sw.xstate_size != xstate_size() || sw.extended_size != fpstate_size() ||
            (sw.xfeatures & ~fpu_xfeatures()))
            return "bad xstate description (sw_reserved) in the signal frame";
        if (copy_from_user(img + FPU_LEGACY_SIZE, (void *)(uaddr + FPU_LEGACY_SIZE), fpstate_size() - FPU_LEGACY_SIZE))
            return "bad FPU state pointer in the signal frame";
        memcpy(&magic2, img + sw.xstate_size, sizeof(magic2));
        if (magic2 != FP_XSTATE_MAGIC2)
            return "bad XSAVE header in the signal frame (no magic2)";
    } else {
        memset(img + FPU_LEGACY_SIZE, 0, FPU_XSAVE_HEADER_SIZE);
        uint64_t legacy = XFEATURE_X87 | XFEATURE_SSE;
        memcpy(img + XSAVE_HEADER, &legacy, sizeof(legacy));
    }
    if (!fpu_xsave()) { /* fxrstor reads the legacy area only; the header must still be sane */
        uint64_t xfeatures, xcomp;
        memcpy(&xfeatures, img + XSAVE_HEADER, 8);
        memcpy(&xcomp, img + XSAVE_HEADER + 8, 8);
        if (extended && ((xfeatures & ~fpu_xfeatures()) || xcomp))
            return "bad XSAVE header in the signal frame";
    }
    const char *bad = fpu_check_image(img);
    if (bad)
        return bad;
    memcpy(t->fpu, img, fpu_xsave() ? xstate_size() : FPU_LEGACY_SIZE);
    if (!extended && fpu_xsave())
        memset(t->fpu + LEGACY_XSTATE_SIZE, 0, xstate_size() - LEGACY_XSTATE_SIZE);
    memset(t->fpu + FP_SW_OFFSET, 0, FPU_LEGACY_SIZE - FP_SW_OFFSET); /* software bytes: not the CPU's */
    return NULL;
}

/* Build the frame for a handler; false if the user stack is unusable. */
static bool setup_rt_frame(struct trap_frame *tf, int sig, struct sigaction_k *ka, const struct siginfo_k *info)
{
    struct task *t = current;
    uint64_t sp = tf->rsp;
    bool was_on_alt = on_altstack(t, sp);
    struct ucontext_k uc_stack_record = {.ss_sp = t->altstack_sp, .ss_flags = t->altstack_flags,
                                         .ss_size = t->altstack_size};
    if ((ka->flags & SA_ONSTACK) && t->altstack_size && !(t->altstack_flags & SS_DISABLE) && !was_on_alt)
        sp = t->altstack_sp + t->altstack_size;
    else
        sp -= REDZONE;
    uint64_t fp = ALIGN_DOWN(sp - fpstate_size(), FPSTATE_ALIGN);
    uint64_t frame_addr = ALIGN_DOWN(fp - sizeof(struct rt_sigframe), 16) - 8;

    struct rt_sigframe f;
    memset(&f, 0, sizeof(f));
    f.pretcode = ka->restorer;
    f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.ss_sp = uc_stack_record.ss_sp;
    f.uc.ss_flags = uc_stack_record.ss_flags | (was_on_alt ? SS_ONSTACK : 0);
    f.uc.ss_size = uc_stack_record.ss_size;
    save_registers(tf, &f.uc.uc_mcontext);
    f.uc.uc_mcontext.fpstate = fp;
    f.uc.uc_mcontext.oldmask = t->sig_blocked;
    f.uc.uc_mcontext.cr2 = info->addr;
    f.uc.uc_sigmask = t->has_saved_sigmask ? t->saved_sigmask : t->sig_blocked; /* rt_sigsuspend */
    t->has_saved_sigmask = false;
    fill_siginfo(&f.info, sig, info);

    fpu_save(t->fpu); /* the interrupted code's x87/SSE/AVX state */
    uint8_t fpstate[FPSTATE_MAX] __attribute__((aligned(FPU_AREA_ALIGN)));
    build_fpstate(fpstate, t->fpu);
    if (copy_to_user((void *)fp, fpstate, fpstate_size()) || copy_to_user((void *)frame_addr, &f, sizeof(f)))
        return false;

    if (t->altstack_flags & SS_AUTODISARM && sp == t->altstack_sp + t->altstack_size) {
        t->altstack_sp = t->altstack_size = 0; /* sigreturn re-arms it from uc_stack */
        t->altstack_flags = SS_DISABLE;
    }
    tf->rdi = (uint64_t)sig;
    tf->rsi = frame_addr + __builtin_offsetof(struct rt_sigframe, info);
    tf->rdx = frame_addr + __builtin_offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rip = ka->handler;
    tf->rsp = frame_addr;
    tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF);
    t->sig_blocked |= ka->mask | ((ka->flags & SA_NODEFER) ? 0 : SIG_BIT(sig));
    t->sig_blocked &= ~SIG_UNBLOCKABLE_MASK;
    if (ka->flags & SA_RESETHAND)
        ka->handler = SIG_DFL;
    proc_fpu_reset(t); /* the handler starts with a clean FPU */
    t->frame_rewritten = true;
    return true;
}

/* An interrupted syscall: restart it (RIP back onto the syscall
 * instruction, RAX = its number again) or fail it with EINTR. */
static void syscall_restart_or_eintr(struct trap_frame *tf, bool restart)
{
    if (tf->vector != SYSCALL_VECTOR || (int64_t)tf->rax != -ERESTARTSYS)
        return;
    if (restart) {
        tf->rax = tf->error_code; /* entry.asm saved the syscall number there */
        tf->rip -= SYSCALL_INSN_LEN;
    } else {
        tf->rax = (uint64_t)-EINTR;
    }
}

/* Take sig off t's pending sets (its own first) and return its siginfo. */
static struct siginfo_k dequeue(struct task *t, int sig)
{
    if (t->sig_pending & SIG_BIT(sig)) {
        t->sig_pending &= ~SIG_BIT(sig);
        return t->siginfo[sig - 1];
    }
    t->group->sig_pending &= ~SIG_BIT(sig);
    signal_group_pending_changed(t->group);
    return t->group->siginfo[sig - 1];
}

void signal_deliver(struct trap_frame *tf)
{
    struct task *t = current;
    uint64_t sigs;
    while ((sigs = deliverable(t)) != 0) {
        int sig = __builtin_ctzll(sigs) + 1;
        struct siginfo_k info = dequeue(t, sig);
        struct sigaction_k *ka = &t->group->sigaction[sig - 1];
        if (sig != SIGKILL && sig != SIGSTOP && ka->handler > SIG_IGN) {
            syscall_restart_or_eintr(tf, ka->flags & SA_RESTART);
            if (!setup_rt_frame(tf, sig, ka, &info)) {
                pr_err("pagewise: pid %d (%s): cannot write the %s frame at %#lx -> SIGSEGV\n", t->pid, t->comm,
                       signal_name(sig), tf->rsp);
                proc_exit_group(SIGSEGV);
            }
            return; /* one handler per return to user mode */
        }
        if (sig != SIGKILL && (ka->handler == SIG_IGN || (SIG_DEFAULT_IGNORE | SIG_STOPS) & SIG_BIT(sig)))
            continue; /* ignored (no job control: stop signals are ignored too) */
        proc_exit_group(sig); /* the default action: the whole process terminates */
    }
    syscall_restart_or_eintr(tf, true); /* the signal was ignored: carry on */
    if (t->has_saved_sigmask) {             /* rt_sigsuspend without a handler run */
        t->sig_blocked = t->saved_sigmask;
        t->has_saved_sigmask = false;
    }
}

/* rt_sigreturn: resume what the handler interrupted, from the ucontext on
 * the user stack (which the handler may have changed). Anything unusable
 * in it is the process's fault: SIGSEGV, never a kernel fault. */
SYSCALL_DEFINE(rt_sigreturn)
{
    SYSCALL_UNUSED_ARGS();
    struct task *t = current;
    struct trap_frame *tf = syscall_frame();
    struct ucontext_k uc;
    const char *bad = NULL;
    if (copy_from_user(&uc, (void *)tf->rsp, sizeof(uc)))
        bad = "unreadable signal frame";
    const struct sigcontext_k *sc = &uc.uc_mcontext;
    if (!bad && sc->rip >= USER_SPACE_END)
        bad = "sigreturn to a kernel or non-canonical address";
    if (!bad && sc->fpstate)
        bad = load_user_fpstate(t, sc->fpstate); /* into t->fpu; loaded below */
    if (bad) {
        pr_err("pagewise: pid %d (%s): %s -> SIGSEGV\n", t->pid, t->comm, bad);
        proc_exit_group(SIGSEGV);
    }
    tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
    tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
    tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
    tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp, tf->rip = sc->rip;
    tf->rflags = (tf->rflags & ~USER_RFLAGS_MASK) | (sc->eflags & USER_RFLAGS_MASK);
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    if (sc->fpstate) {
        fpu_restore(t->fpu);
    } else {
        proc_fpu_reset(t);
    }
    t->sig_blocked = uc.uc_sigmask & ~SIG_UNBLOCKABLE_MASK;
    if (!(uc.ss_flags & SS_DISABLE) && uc.ss_size && !on_altstack(t, tf->rsp)) {
        t->altstack_sp = uc.ss_sp; /* re-arm an SS_AUTODISARM stack */
        t->altstack_size = uc.ss_size;
        t->altstack_flags = uc.ss_flags & (int)SS_AUTODISARM;
    }
    t->frame_rewritten = true;
    return (long)tf->rax;
}

/* struct sigaction as the kernel sees it: handler, flags, restorer, mask. */
SYSCALL_DEFINE(rt_sigaction)
{
    SYSCALL_UNUSED_ARGS();
    int sig = (int)a0;
    if (sig < 1 || sig > NSIG || a3 != sizeof(uint64_t) || ((sig == SIGKILL || sig == SIGSTOP) && a1))
        return -EINVAL;
    struct sigaction_k old = current->group->sigaction[sig - 1], act;
    if (a1) {
        if (copy_from_user(&act, (void *)a1, sizeof(act)))
            return -EFAULT;
        act.mask &= ~SIG_UNBLOCKABLE_MASK;
    }
    if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
        return -EFAULT;
    if (a1) {
        current->group->sigaction[sig - 1] = act;
        if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (SIG_DEFAULT_IGNORE & SIG_BIT(sig))))
            current->group->sig_pending &= ~SIG_BIT(sig); /* POSIX: a pending ignored signal is discarded */
        signal_group_pending_changed(current->group);
        if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (SIG_DEFAULT_IGNORE & SIG_BIT(sig))))
            current->sig_pending &= ~SIG_BIT(sig); /* (Linux: from every thread; here the caller's) */
    }
    return 0;
}

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

SYSCALL_DEFINE(rt_sigprocmask)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t set, old = current->sig_blocked;
    if (a3 != sizeof(uint64_t))
        return -EINVAL;
    if (a1) {
        if (copy_from_user(&set, (void *)a1, sizeof(set)))
            return -EFAULT;
        switch (a0) {
        case SIG_BLOCK: current->sig_blocked |= set; break;
        case SIG_UNBLOCK: current->sig_blocked &= ~set; break;
        case SIG_SETMASK: current->sig_blocked = set; break;
        default: return -EINVAL;
        }
        current->sig_blocked &= ~SIG_UNBLOCKABLE_MASK;
    }
    if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE(rt_sigpending)
{
    SYSCALL_UNUSED_ARGS();
    if (a1 != sizeof(uint64_t))
        return -EINVAL;
    uint64_t set = pending_of(current) & current->sig_blocked;
    return copy_to_user((void *)a0, &set, sizeof(set)) ? -EFAULT : 0;
}

/* Sleep until a signal is delivered (pause, rt_sigsuspend). */
static long wait_for_signal(void)
{
    struct wait_queue wq;
    wait_queue_init(&wq);
    while (!signal_pending(current))
        sleep_on(&wq);
    return -EINTR;
}

SYSCALL_DEFINE(pause)
{
    SYSCALL_UNUSED_ARGS();
    return wait_for_signal();
}

/* rt_sigsuspend(mask): wait with a temporary mask; the handler's frame
 * records the old mask, so sigreturn puts it back. */
SYSCALL_DEFINE(rt_sigsuspend)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t mask, old = current->sig_blocked;
    if (a1 != sizeof(uint64_t))
        return -EINVAL;
    if (copy_from_user(&mask, (void *)a0, sizeof(mask)))
        return -EFAULT;
    current->saved_sigmask = old;
    current->has_saved_sigmask = true; /* signal_deliver restores it */
    current->sig_blocked = mask & ~SIG_UNBLOCKABLE_MASK;
    return wait_for_signal();
}

/* struct stack_t { void *ss_sp; int ss_flags; size_t ss_size; } */
SYSCALL_DEFINE(sigaltstack)
{
    SYSCALL_UNUSED_ARGS();
    struct task *t = current;
    struct {
        uint64_t sp;
        int32_t flags, pad;
        uint64_t size;
    } ss, old = {t->altstack_sp, t->altstack_flags, 0, t->altstack_size};
    bool on = on_altstack(t, syscall_frame()->rsp);
    if (on)
        old.flags |= SS_ONSTACK;
    if (!t->altstack_size)
        old.flags = SS_DISABLE;
    if (a0) {
        if (copy_from_user(&ss, (void *)a0, sizeof(ss)))
            return -EFAULT;
        if (on)
            return -EPERM;
        unsigned mode = (unsigned)ss.flags & ~SS_AUTODISARM;
        if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = SS_DISABLE;
        } else {
            if (ss.size < MINSIGSTKSZ)
                return -ENOMEM;
            t->altstack_sp = ss.sp;
            t->altstack_size = ss.size;
            t->altstack_flags = ss.flags & (int)SS_AUTODISARM;
        }
    }
    return a1 && copy_to_user((void *)a1, &old, sizeof(old)) ? -EFAULT : 0;
}
