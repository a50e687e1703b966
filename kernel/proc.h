/*
 * kernel/proc.h - tasks, and the thread groups (processes) they form.
 *
 * A task is one thread of execution: its own kernel stack, registers,
 * signal mask and tid. A process is a thread group: the tasks made by
 * clone(CLONE_THREAD) share one struct thread_group (open files, cwd,
 * signal handlers, process-directed signals) and one struct mm (the
 * address space, counted by mm->users). getpid() is the group's tgid,
 * the tid of its first task, the leader; gettid() is the task's own.
 *
 *   struct task  (one per thread)          struct thread_group (one per process)
 *     pid = tid                              tgid, leader, threads (live ones)
 *     kstack, tf, ctx_rsp, fpu, fs_base      fd[], cloexec[], cwd     (CLONE_FILES, CLONE_FS)
 *     sig_blocked, sig_pending (its own)     sigaction[]              (CLONE_SIGHAND)
 *     altstack, clear_child_tid, robust      sig_pending (process-directed)
 *     group --------------------------->     exiting, exit_status     (exit_group)
 *     mm ------------> struct mm (users = tasks using it)
 *
 * kernel/thread.c makes and ends threads; kernel/futex.c lets them wait.
 */
#ifndef PAGEWISE_KERNEL_PROC_H
#define PAGEWISE_KERNEL_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cred.h"
#include "kernel/fpu.h"
#include "kernel/list.h"
#include "kernel/lockdep.h"
#include "kernel/resource.h"
#include "kernel/sched.h"
#include "kernel/trap.h"

#define NR_OPEN 256
#define TASK_COMM_LEN 16
#define NSIG 64
/* SIGKILL and SIGSTOP: never blocked. */
#define SIG_UNBLOCKABLE_MASK ((1ull << 8) | (1ull << 18))
#define CPU_MASK_ALL (~0ull) /* task.cpus_allowed of a task nobody restricted */

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

/* What the threads of one process share (Linux splits it into
 * files_struct, fs_struct, sighand_struct and signal_struct; Pagewise
 * shares all or nothing, so one struct). Freed with its last task. */
struct thread_group {
    int tgid;                /* the process id: the leader's tid */
    int refs;                /* tasks that point here (zombie leader included) */
    int nr_live;             /* threads that have not exited yet */
    struct task *leader;     /* lives (perhaps as a zombie) until the group ends */
    struct list_head threads; /* the live tasks, by task.thread_node */
    struct inode *proc_dir, *proc_task_dir; /* /proc/<tgid> and its task/ (kernel/procfs.c) */
    struct wait_queue thread_exit; /* execve from a thread waits here for the others */
    bool exiting;            /* exit_group, a fatal signal or execve: all threads go */
    int exit_status;         /* the wait status exit_group chose */

    struct file *fd[NR_OPEN]; /* open files */
    bool cloexec[NR_OPEN];    /* fd closes on execve */
    struct inode *cwd;
    struct sigaction_k sigaction[NSIG];
    uint64_t sig_pending;     /* process-directed signals (kill) */
    struct siginfo_k siginfo[NSIG];
};

struct task {
    int pid;                  /* the thread id (tid); the leader's is the tgid */
    int tgid;                 /* group->tgid, kept here for getpid's sake */
    struct thread_group *group;
    struct inode *proc_tid_dir; /* /proc/<tgid>/task/<tid> */
    struct inode *proc_hidden_dir; /* /proc/<tid> of a non-leader: there, but not listed */
    struct list_head thread_node; /* in group->threads while alive */
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

    char exe[128];           /* path of the running program (/proc/self/exe) */

    uint64_t fs_base;        /* FS segment base (arch_prctl): musl's TLS */
    uint8_t fpu[FPU_AREA_MAX] __attribute__((aligned(FPU_AREA_ALIGN))); /* x87/SSE/AVX (kernel/fpu.h) */

    uint64_t clear_child_tid; /* set_tid_address, CLONE_CHILD_CLEARTID: zeroed and woken at exit */
    uint64_t robust_list;     /* set_robust_list: the user's list of held robust futexes */
    uint64_t sig_pending, sig_blocked; /* thread-directed signals (faults, tgkill); the mask */
    bool group_sig_hint;      /* group->sig_pending != 0, copied here so that the return to user
                               * mode tests one word of its own (Linux: TIF_SIGPENDING) */
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
    uint64_t cpus_allowed;   /* CPUs it may run on, one bit each (sched_setaffinity) */
    unsigned bkl_depth;      /* times it took the big kernel lock again on top of the first (kernel/bkl.h) */
    struct lockdep_held held_locks; /* what it holds, for the lock checker (kernel/lockdep.h) */
    bool is_idle;            /* a CPU's idle task: never on the run queue */
    void (*kthread_fn)(void *); /* kernel threads: what to run */
    void *kthread_arg;
};

static inline bool thread_group_leader(const struct task *t) { return t->group->leader == t; }
/* The task whose children, parent and wait queue stand for t's process. */
static inline struct task *proc_leader(const struct task *t) { return t->group->leader; }

/* Create the first user process from the program at path. */
int proc_spawn_init(const char *path, char *const argv[], char *const envp[]);
/* End the current thread with a wait status (exit(2)); the process ends
 * with its last thread. Never returns. */
__attribute__((noreturn)) void proc_exit(int wait_status);
/* End every thread of the current process (exit_group(2), a fatal
 * signal): the first caller's status wins. Never returns. */
__attribute__((noreturn)) void proc_exit_group(int wait_status);
/* Look a task up by pid (NULL if none or reaped). */
struct task *proc_find(int pid);
/* ... zombies included (for /proc). */
struct task *proc_find_any(int pid);
/* The highest pid handed out so far. */
int proc_max_pid(void);
/* Allocate a task with a kernel stack and a zeroed trap frame: the
 * leader of a new thread group if group is NULL (with /proc/<pid>), else
 * a new thread of group (with /proc/<tgid>/task/<tid>). */
struct task *proc_alloc(struct thread_group *group);
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

/* Threads (kernel/thread.c). */
/* clone(CLONE_VM | CLONE_THREAD | ...): a new thread of the current
 * process that starts on user stack `stack` with FS base `tls` (if
 * CLONE_SETTLS). Returns its tid or -errno. */
long thread_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
/* execve from a process with several threads: end the others and wait
 * for them; the caller becomes the leader (takes the tgid). 0, or
 * -EINTR if the caller itself is being killed. */
int thread_group_dethread(void);
/* execve's last step in a non-leader thread: become the leader
 * (kernel/proc.c). */
void proc_take_leadership(struct task *t);
/* Tell every other thread of the group to exit (SIGKILL, thread-directed). */
void thread_group_kill_others(struct task *t);
#endif
