/*
 * kernel/futex.h - fast user-space mutexes: the one blocking primitive
 * threads need from the kernel. A lock or condition lives in an ordinary
 * 32-bit word of user memory; the kernel only keeps the queue of threads
 * sleeping on an address (futex(2)).
 */
#ifndef PAGEWISE_KERNEL_FUTEX_H
#define PAGEWISE_KERNEL_FUTEX_H

#include <stdint.h>

struct mm;
struct task;

/* Wake up to n threads waiting on uaddr in mm whose bitset meets
 * `bitset`; returns how many woke. */
int futex_wake(struct mm *mm, uintptr_t uaddr, int n, uint32_t bitset);
/* A thread ends (kernel/proc.c:proc_exit, with its mm still there): zero
 * its CLONE_CHILD_CLEARTID word and wake one waiter (pthread_join), and
 * mark the robust futexes it still holds as owner-died. */
void futex_exit_release(struct task *t);

#endif
