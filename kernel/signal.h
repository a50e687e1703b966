/*
 * kernel/signal.h - POSIX signals with Linux's x86-64 ABI: numbers, the
 * sigaction flags, siginfo codes, and delivery to user handlers through
 * Linux's signal frame.
 */
#ifndef PAGEWISE_KERNEL_SIGNAL_H
#define PAGEWISE_KERNEL_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/proc.h"

enum {
    SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8,
    SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15,
    SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22,
    SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29,
    SIGPWR = 30, SIGSYS = 31,
};

#define SIG_DFL 0
#define SIG_IGN 1
#define SIG_BIT(sig) (1ull << ((sig)-1))

/* sa_flags */
#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define TRAP_BRKPT 1
#define BUS_ADRALN 1
#define BUS_ADRERR 2
/* SEGV_MAPERR and SEGV_ACCERR: mm/fault.h */

/* sigaltstack */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* Make sig pending for t's process (from the kernel: si_code SI_KERNEL):
 * any of its threads that does not block it takes it. */
void signal_send(struct task *t, int sig);
/* ... with the siginfo a handler will see. */
void signal_send_info(struct task *t, int sig, int code, uint64_t addr, int pid, int status);
/* After a change of g->sig_pending: update each thread's group_sig_hint. */
void signal_group_pending_changed(struct thread_group *g);
/* A thread-directed signal (a fault, tgkill, SIGPIPE): only t takes it. */
void signal_send_thread_info(struct task *t, int sig, int code, uint64_t addr, int pid, int status);
/* Is a signal waiting that is not blocked? */
bool signal_pending(const struct task *t);
/* Before returning to user mode: take pending signals, run their default
 * action or build a handler's frame on the user stack; restart or fail
 * an interrupted syscall. */
void signal_deliver(struct trap_frame *tf);
/* A fault in user mode: the current process gets sig (SIGSEGV...) with
 * code and addr. If it has no handler (or blocks the signal), it dies and
 * the console gets one line with the reason. */
void signal_fault(int sig, int code, uint64_t addr, uint64_t rip, const char *reason);
const char *signal_name(int sig);

/* The stack a signal frame needs at most (the fpstate grows with XSAVE):
 * AT_MINSIGSTKSZ in the auxiliary vector. */
uint64_t signal_frame_size(void);

#endif
