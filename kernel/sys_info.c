/*
 * kernel/sys_info.c - system calls that answer questions: time, identity,
 * limits, machine information, random bytes.
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define NS_PER_SEC 1000000000ul
#define GRND_FLAGS 0x7
#define GETRANDOM_MAX 256

static uint64_t realtime_ns(void) { return time_realtime_ns(); }

SYSCALL_DEFINE(clock_gettime)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t ns;
    switch (a0) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE: ns = realtime_ns(); break;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: ns = time_since_boot_ns(); break;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: ns = (current->utime_ticks + current->stime_ticks) * (NS_PER_SEC / HZ); break;
    default: return -EINVAL;
    }
    int64_t ts[2] = {(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC)};
    return copy_to_user((void *)a1, ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(clock_getres)
{
    SYSCALL_UNUSED_ARGS();
    if (a0 > CLOCK_BOOTTIME)
        return -EINVAL;
    int64_t ts[2] = {0, 1};
    return a1 && copy_to_user((void *)a1, ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(gettimeofday)
{
    SYSCALL_UNUSED_ARGS();
    uint64_t ns = realtime_ns();
    int64_t tv[2] = {(int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC / 1000)};
    return a0 && copy_to_user((void *)a0, tv, sizeof(tv)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(time)
{
    SYSCALL_UNUSED_ARGS();
    int64_t t = (int64_t)(realtime_ns() / NS_PER_SEC);
    if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
        return -EFAULT;
    return t;
}

/* struct utsname: six fields of 65 bytes. */
#define UTS_LEN 65
SYSCALL_DEFINE(uname)
{
    SYSCALL_UNUSED_ARGS();
    char u[6][UTS_LEN];
    memset(u, 0, sizeof(u));
    strlcpy(u[0], "Pagewise", UTS_LEN);
    strlcpy(u[1], "pagewise", UTS_LEN);
    strlcpy(u[2], "0.1", UTS_LEN);
    strlcpy(u[3], "#1 teaching kernel", UTS_LEN);
    strlcpy(u[4], "x86_64", UTS_LEN);
    strlcpy(u[5], "(none)", UTS_LEN);
    return copy_to_user((void *)a0, u, sizeof(u)) ? -EFAULT : 0;
}

/* struct sysinfo (x86-64 layout). */
struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};

SYSCALL_DEFINE(sysinfo)
{
    SYSCALL_UNUSED_ARGS();
    struct sysinfo_k si;
    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(time_since_boot_ns() / NS_PER_SEC);
    si.totalram = pmm_nr_managed() * PAGE_SIZE;
    si.freeram = pmm_nr_free() * PAGE_SIZE;
    si.procs = (uint16_t)proc_count();
    si.mem_unit = 1;
    return copy_to_user((void *)a0, &si, sizeof(si)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(getrandom)
{
    SYSCALL_UNUSED_ARGS();
    uint8_t buf[GETRANDOM_MAX];
    if (a2 & ~(uint64_t)GRND_FLAGS)
        return -EINVAL;
    size_t n = MIN(a1, sizeof(buf));
    random_bytes(buf, n);
    return copy_to_user((void *)a0, buf, n) ? -EFAULT : (long)n;
}


/* glibc tries these at start-up and copes with ENOSYS: say so quietly. */

SYSCALL_DEFINE(rseq) { SYSCALL_UNUSED_ARGS(); return -ENOSYS; }
