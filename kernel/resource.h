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

struct task;

/* The limits init starts with (Linux's INIT_RLIMITS). */
void rlimit_init_defaults(struct rlimit_k rlim[RLIM_NLIMITS]);
/* The current process's soft limit for resource r. */
uint64_t rlimit(enum rlimit_resource r);

#endif
