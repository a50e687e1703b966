/*
 * kernel/sys_mm.c - the memory system calls: argument checks and the
 * current process's mm, then mm/mmap.c does the work.
 */
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/vfs.h"
#include "mm/mmap.h"

SYSCALL_DEFINE(mmap)
{
    SYSCALL_UNUSED_ARGS();
    unsigned flags = (unsigned)a3;
    struct mmap_file file, *fp = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        struct file *f = a4 < NR_OPEN ? current->group->fd[a4] : NULL;
        if (!f)
            return -EBADF;
        if (!S_ISREG(f->inode->mode) || f->inode->ops)
            return -ENODEV;
        if ((a2 & VM_WRITE) && (flags & MAP_TYPE) == MAP_SHARED)
            return -EACCES; /* read-only file system */
        file = (struct mmap_file){f->inode->data, f->inode->size, f->path};
        fp = &file;
    }
    mm_lock(current->mm);
    long r = do_mmap(current->mm, a0, a1, (unsigned)a2, flags, fp, a5);
    mm_unlock(current->mm);
    return r;
}

/* Each holds the mm's lock (mm/mm.h: mm_lock): threads share the mm. */
#define LOCKED(call)                                                                                                  \
    ({                                                                                                                \
        mm_lock(current->mm);                                                                                         \
        long r_ = (call);                                                                                             \
        mm_unlock(current->mm);                                                                                       \
        r_;                                                                                                           \
    })

SYSCALL_DEFINE(munmap) { SYSCALL_UNUSED_ARGS(); return LOCKED(do_munmap(current->mm, a0, a1)); }
SYSCALL_DEFINE(mprotect) { SYSCALL_UNUSED_ARGS(); return LOCKED(do_mprotect(current->mm, a0, a1, (unsigned)a2)); }
SYSCALL_DEFINE(madvise) { SYSCALL_UNUSED_ARGS(); return LOCKED(do_madvise(current->mm, a0, a1, (int)a2)); }
SYSCALL_DEFINE(brk) { SYSCALL_UNUSED_ARGS(); return LOCKED(do_brk(current->mm, a0)); }
