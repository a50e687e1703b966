/*
 * kernel/sys_mm.c - the memory system calls: argument checks and the
 * current process's mm, then mm/mmap.c does the work.
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/vfs.h"
#include "mm/mmap.h"

/* mmap of a device file (its ops have mmap: /dev/fb0): Linux's checks in
 * do_mmap's order (a shared writable mapping needs the file open for
 * writing, any mapping needs it open for reading: EACCES), then the
 * driver says which physical range [off, off + len) is (EINVAL beyond the
 * device). Returns 0 with *file filled, or -errno. */
static long mmap_device_file(struct file *f, uint64_t len, unsigned prot, unsigned flags, uint64_t off,
                             struct pfn_range *dev, struct mmap_file *file)
{
    if (len == 0 || len > USER_SPACE_END || off % PAGE_SIZE)
        return -EINVAL; /* before the file's checks, as Linux (sys_mmap, do_mmap) */
    unsigned mode = f->flags & O_ACCMODE;
    if ((flags & MAP_TYPE) == MAP_SHARED && (prot & VM_WRITE) && mode == O_RDONLY)
        return -EACCES;
    if (mode == O_WRONLY)
        return -EACCES;
    long r = f->inode->ops->mmap(f, off, ALIGN_UP(len, PAGE_SIZE), dev);
    *file = (struct mmap_file){NULL, 0, f->path, dev, mode == O_RDWR};
    return r;
}

SYSCALL_DEFINE(mmap)
{
    SYSCALL_UNUSED_ARGS();
    unsigned flags = (unsigned)a3;
    struct mmap_file file, *fp = NULL;
    struct pfn_range dev;
    if (!(flags & MAP_ANONYMOUS)) {
        struct file *f = a4 < NR_OPEN ? current->group->fd[a4] : NULL;
        if (!f)
            return -EBADF;
        if (f->inode->ops && f->inode->ops->mmap) {
            long r = mmap_device_file(f, a1, (unsigned)a2, flags, a5, &dev, &file);
            if (r)
                return r;
        } else {
            if (!S_ISREG(f->inode->mode) || f->inode->ops)
                return -ENODEV;
            if ((a2 & VM_WRITE) && (flags & MAP_TYPE) == MAP_SHARED)
                return -EACCES; /* read-only file system */
            file = (struct mmap_file){f->inode->data, f->inode->size, f->path, NULL, false};
        }
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
