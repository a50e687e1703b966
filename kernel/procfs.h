/*
 * kernel/procfs.h - /proc: the kernel's state as text files in Linux's
 * formats, so the same tools (ps, free, cat /proc/self/maps) read them.
 */
#ifndef PAGEWISE_KERNEL_PROCFS_H
#define PAGEWISE_KERNEL_PROCFS_H

struct task;

/* Create /proc and its global files. Called once from vfs_init. */
void procfs_init(void);
/* /proc/<pid> appears with the process and goes when it is reaped.
 * Returns 0, or -ENOMEM with nothing left behind (proc_alloc fails). */
int procfs_add_task(struct task *t);
void procfs_remove_task(struct task *t);
/* /proc/<tgid>/task/<tid> of a thread (the leader too): 0 or -errno. */
int procfs_add_thread(struct task *t);
void procfs_remove_thread(struct task *t);

#endif
