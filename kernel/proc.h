/*
 * kernel/proc.h - processes (tasks). One task = one thread = one process
 * here: Pagewise has no threads, so tid = pid = tgid.
 *
 *   struct task
 *     kstack (vmalloc, guard page below)   the kernel stack: the user's
 *        top: struct trap_frame            registers on kernel entry
 *     ctx_rsp                              saved kernel rsp while switched out
 *     mm                                   the address space (NULL: kernel thread)
 *     fd[]                                 open files
 *     fpu                                  SSE/x87 registers (fxsave image)
 */
#ifndef PAGEWISE_KERNEL_PROC_H
#define PAGEWISE_KERNEL_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cred.h"
#include "kernel/fpu.h"
#include "kernel/list.h"
#include "kernel/resource.h"
#include "kernel/sched.h"
#include "kernel/trap.h"

#define NR_OPEN 256
#define TASK_COMM_LEN 16
#define NSIG 64
/* SIGKILL and SIGSTOP: never blocked. */
#define SIG_UNBLOCKABLE_MASK ((1ull << 8) | (1ull << 18))

enum task_state {
    TASK_RUNNABLE,
    TASK_SLEEPING,
    TASK_ZOMBIE,
};

/* What a handler learns about a signal (the start of Linux's siginfo_t). */
struct siginfo_k {
    int32_t code;   /* si_code: SI_USER, SEGV_MAPERR, CLD_EXITED... */
    int32_t pid;    /* sender, or the child for SIGCHLD */
    int32_t status; /* SIGCHLD: exit code or signal */
    uint64_t addr;  /* SIGSEGV/SIGBUS/SIGILL/SIGFPE: the faulting address */
};

struct sigaction_k {
    uint64_t handler; /* SIG_DFL 0, SIG_IGN 1, or a user function */
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

struct task {
    int pid;
    int pgid, sid;            /* process group and session (job control) */
    char comm[TASK_COMM_LEN]; /* the program's name, as Linux's comm */
    enum task_state state;
    struct task *parent;
    struct list_head children; /* struct task.sibling */
    struct list_head sibling;
    struct list_head run_node;  /* the run queue, or a wait queue */
    struct list_head all_node;  /* every task */

    uintptr_t kstack_top;
    uint64_t ctx_rsp;        /* kernel rsp saved by switch_to */
    struct trap_frame *tf;   /* user registers, at the top of the kstack */
    struct mm *mm;
    struct cred cred;        /* user and group ids (kernel/cred.h) */
    struct rlimit_k rlim[RLIM_NLIMITS]; /* resource limits (kernel/resource.h) */
    uint32_t nproc_uid;      /* real uid at the last fork or execve (rlimit_check_exec) */
    int16_t oom_score_adj;   /* -1000..1000, added to OOM badness (mm/oom_kill.c) */
    int16_t oom_score_adj_min; /* the lowest an unprivileged write may set it to */

    struct file *fd[NR_OPEN];
    bool cloexec[NR_OPEN];   /* fd closes on execve */
    struct inode *cwd;
    char exe[128];           /* path of the running program (/proc/self/exe) */

    uint64_t fs_base;        /* FS segment base (arch_prctl): musl's TLS */
    uint8_t fpu[FPU_AREA_MAX] __attribute__((aligned(FPU_AREA_ALIGN))); /* x87/SSE/AVX (kernel/fpu.h) */

    uint64_t clear_child_tid; /* set_tid_address */
    uint64_t sig_pending, sig_blocked;
    struct sigaction_k sigaction[NSIG];
    struct siginfo_k siginfo[NSIG]; /* why each pending signal was sent */
    uint64_t saved_sigmask;   /* rt_sigsuspend: the mask to return to */
    bool has_saved_sigmask;
    uint64_t altstack_sp, altstack_size; /* sigaltstack */
    int altstack_flags;
    uint64_t alarm_at;       /* jiffies, 0 = none (alarm, setitimer ITIMER_REAL) */
    uint64_t alarm_interval; /* ticks between repeats, 0 = one shot */
    uint64_t sleep_until;    /* jiffies, for nanosleep */
    uint64_t wait_deadline;  /* jiffies, for sleep_on_timeout */
    struct list_head timeout_node; /* on the scheduler's list of timed waits */

    bool frame_rewritten;    /* the syscall changed the saved registers: return by iretq */
    int exit_status;         /* wait status (exit code << 8, or signal) */
    struct wait_queue child_exit; /* the parent sleeps here in wait4 */
    uint64_t minflt, majflt; /* page faults (getrusage) */
    uint64_t utime_ticks, stime_ticks;
    uint64_t slice;          /* ticks used in the current time slice */
    void (*kthread_fn)(void *); /* kernel threads: what to run */
    void *kthread_arg;
};

/* Create the first user process from the program at path. */
int proc_spawn_init(const char *path, char *const argv[], char *const envp[]);
/* End the current task with a wait status; never returns. */
__attribute__((noreturn)) void proc_exit(int wait_status);
/* Look a task up by pid (NULL if none or reaped). */
struct task *proc_find(int pid);
/* ... zombies included (for /proc). */
struct task *proc_find_any(int pid);
/* The highest pid handed out so far. */
int proc_max_pid(void);
/* Allocate a task with a kernel stack and a zeroed trap frame. */
struct task *proc_alloc(void);
void proc_free(struct task *t);
/* A kernel thread: a task with no address space of its own (it runs on
 * whatever page tables are loaded, like Linux's lazy TLB) that runs
 * fn(arg) in kernel mode forever. Returns it, or NULL. */
struct task *kthread_create(void (*fn)(void *), void *arg, const char *name);
/* Load the initial FPU state (fninit, default MXCSR) for t, now running. */
void proc_fpu_reset(struct task *t);
/* Tasks that exist (zombies and kernel threads too): what threads-max
 * limits. */
int proc_count(void);
/* Tasks, zombies included, whose real uid is uid (Linux's per-user
 * process count, which RLIMIT_NPROC limits). */
uint64_t proc_count_uid(uint32_t uid);
/* Call fn(t, arg) for every task, zombies and kernel threads too (the
 * OOM killer's census). fn must not create or free tasks. */
void proc_for_each(void (*fn)(struct task *t, void *arg), void *arg);

/* From the timer: send SIGALRM to tasks whose alarm() time has come. */
void proc_check_alarms(uint64_t now);
/* Send sig to every process of group pgrp; returns how many got it. */
int proc_signal_group(int pgrp, int sig);
/* Does any process belong to group pgrp? */
bool proc_group_exists(int pgrp);
#endif
