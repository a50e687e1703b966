/*
 * kernel/sys_shm.c - the SysV shared memory system calls: copy arguments
 * in and out, then mm/sysv_shm.c does the work (and checks the caller's
 * ids against the segment's owner and mode bits).
 */
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "mm/mm.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "mm/shm.h"

#define IPC_SET 1
#define IPC_STAT 2
#define IPC_64 0x0100
#define SHMID_DS_SIZE 112
#define NS_PER_SEC 1000000000ul

static struct shm_caller caller(void)
{
    return (struct shm_caller){current->pid, time_realtime_ns() / NS_PER_SEC, &current->cred};
}

/* Implicit detaches (exit, munmap, execve) also stamp lpid and dtime. */
static struct shm_caller caller_hook(void) { return caller(); }

void sys_shm_init(void);
void sys_shm_init(void) { sysv_shm_set_clock(caller_hook); }

SYSCALL_DEFINE(shmget)
{
    SYSCALL_UNUSED_ARGS();
    struct shm_caller c = caller();
    return sysv_shmget((int32_t)a0, a1, (int)a2, &c);
}

SYSCALL_DEFINE(shmat)
{
    SYSCALL_UNUSED_ARGS();
    struct shm_caller c = caller();
    mm_lock(current->mm); /* it adds a VMA: the process's threads share the mm */
    long r = sysv_shmat(current->mm, (int)a0, a1, (int)a2, &c);
    mm_unlock(current->mm);
    return r;
}

SYSCALL_DEFINE(shmdt)
{
    SYSCALL_UNUSED_ARGS();
    struct shm_caller c = caller();
    mm_lock(current->mm);
    long r = sysv_shmdt(current->mm, a0, &c);
    mm_unlock(current->mm);
    return r;
}

SYSCALL_DEFINE(shmctl)
{
    SYSCALL_UNUSED_ARGS();
    struct shm_caller c = caller();
    uint8_t ds[SHMID_DS_SIZE] __attribute__((aligned(8))) = {0};
    int cmd = (int)a1 & ~IPC_64;
    if (cmd == IPC_SET && copy_from_user(ds, (void *)a2, sizeof(ds)))
        return -EFAULT;
    long r = sysv_shmctl((int)a0, cmd, ds, &c);
    if (r == 0 && cmd == IPC_STAT && copy_to_user((void *)a2, ds, sizeof(ds)))
        return -EFAULT;
    return r;
}
