/*
 * kernel/resource.h - per-process resource limits (getrlimit(2)), kept as
 * Linux keeps them: a soft limit the kernel enforces and a hard limit, the
 * ceiling for the soft one. Inherited by fork, kept by execve.
 */
#ifndef PAGEWISE_KERNEL_RESOURCE_H
#define PAGEWISE_KERNEL_RESOURCE_H

#include <stdint.h>

/* Linux's numbering (include/uapi/asm-generic/resource.h). */
enum rlimit_resource {
    RLIMIT_CPU,
    RLIMIT_FSIZE,
    RLIMIT_DATA,
    RLIMIT_STACK,
    RLIMIT_CORE,
    RLIMIT_RSS,
    RLIMIT_NPROC,
    RLIMIT_NOFILE,
    RLIMIT_MEMLOCK,
    RLIMIT_AS,
    RLIMIT_LOCKS,
    RLIMIT_SIGPENDING,
    RLIMIT_MSGQUEUE,
    RLIMIT_NICE,
    RLIMIT_RTPRIO,
    RLIMIT_RTTIME,
    RLIM_NLIMITS
};

#define RLIM_INFINITY (~0ul)

struct rlimit_k {
    uint64_t cur, max; /* soft and hard; cur <= max */
};

/* Linux's x86-64 THREAD_SIZE: the kernel stack a task costs, the unit of
 * the threads-max formula (Pagewise's KSTACK_SIZE is the same 16 KiB). */
#define THREAD_SIZE_LINUX (16ul << 10)
#define MIN_THREADS 20          /* Linux's floor for threads-max */
#define MAX_THREADS 0x3fffffff  /* Linux's ceiling: FUTEX_TID_MASK */

struct task;

/* Compute threads-max from RAM, as Linux's set_max_threads: the kernel
 * stacks of all tasks may take at most an eighth of RAM. Called once from
 * proc_init, after pmm_init and before the first task. */
void threads_max_init(uint64_t totalram_pages);
/* The ceiling on tasks (every task counts, zombies too; root too). */
uint64_t threads_max(void);
/* /proc/sys/kernel/threads-max written: Linux's range [1, MAX_THREADS].
 * Returns 0 or -EINVAL. */
long threads_max_set(long value);

/* The limits init starts with (Linux's INIT_RLIMITS and fork_init:
 * RLIMIT_NPROC and RLIMIT_SIGPENDING are threads-max / 2). */
void rlimit_init_defaults(struct rlimit_k rlim[RLIM_NLIMITS]);
/* The current process's soft limit for resource r. */
uint64_t rlimit(enum rlimit_resource r);
/* May the current process fork? -EAGAIN once the task count reaches
 * threads-max, or (non-root) once its real user has RLIMIT_NPROC
 * processes; else 0. do_fork asks before it allocates anything. */
long rlimit_check_fork(void);
/* execve after a set*id moved the process to a user that is already over
 * its RLIMIT_NPROC: -EAGAIN (Linux's PF_NPROC_EXCEEDED), else 0. */
long rlimit_check_exec(void);

#endif
