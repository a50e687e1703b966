/*
 * kernel/sys_fs.c - file system calls on the read-only VFS: descriptors,
 * reading, stat, directories, the current directory.
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define R_OK 4
#define W_OK 2
#define X_OK 1
#define IOV_MAX 1024
#define STAT_BLOCK 512
#define PATH_MAX_CWD 512

static struct file *fd_get(uint64_t fd)
{
    return fd < NR_OPEN ? current->fd[fd] : NULL;
}

/* How many descriptors the current process may have: RLIMIT_NOFILE, but
 * never more than the table holds (NR_OPEN; docs/limits.md). */
static uint64_t fd_limit(void) { return MIN(rlimit(RLIMIT_NOFILE), (uint64_t)NR_OPEN); }

/* The lowest free descriptor >= min below the limit, or -EMFILE (Linux's
 * alloc_fd). */
static int fd_alloc(int min)
{
    for (int fd = min; (uint64_t)fd < fd_limit(); fd++)
        if (!current->fd[fd])
            return fd;
    return -EMFILE;
}

static void fd_install(int fd, struct file *f, bool cloexec)
{
    current->fd[fd] = f;
    current->cloexec[fd] = cloexec;
}

/* Pipes and terminals have no file position. */
static bool seekable(const struct file *f)
{
    uint32_t type = f->inode->mode & S_IFMT;
    return type != S_IFIFO && type != S_IFCHR;
}

/* Copy a user path into a kmalloc'ed buffer (kfree it), or ERR. */
static char *get_path(uint64_t upath, long *err)
{
    char *p = kmalloc(PATH_MAX);
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    long n = strncpy_from_user(p, (const char *)upath, PATH_MAX);
    if (n < 0) {
        kfree(p);
        *err = n;
        return NULL;
    }
    return p;
}

/* Resolve (dirfd, path) as the *at calls do. */
static long lookup_at(int dirfd, uint64_t upath, bool follow, unsigned at_flags, struct inode **out)
{
    long err = 0;
    char *path = get_path(upath, &err);
    if (!path)
        return err;
    struct inode *base = current->cwd;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        struct file *d = fd_get((uint64_t)dirfd);
        if (!d)
            err = -EBADF;
        else if (!path[0] && (at_flags & AT_EMPTY_PATH))
            *out = d->inode;
        else if (!S_ISDIR(d->inode->mode))
            err = -ENOTDIR;
        base = d ? d->inode : base;
        if (err || !path[0]) {
            kfree(path);
            return err ? err : 0;
        }
    }
    err = vfs_lookup(base, path, follow, out);
    kfree(path);
    return err;
}

static long do_open(int dirfd, uint64_t upath, unsigned flags)
{
    struct inode *ino;
    long r = lookup_at(dirfd, upath, !(flags & O_NOFOLLOW), 0, &ino);
    if (r == -ENOENT && (flags & O_CREAT))
        return -EROFS;
    if (r)
        return r;
    if ((flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    unsigned acc = flags & O_ACCMODE;
    if (acc != O_RDONLY && (S_ISDIR(ino->mode)))
        return -EISDIR;
    if (acc != O_RDONLY && !(ino->ops && ino->ops->write))
        return -EROFS;
    int fd = fd_alloc(0);
    if (fd < 0)
        return fd;
    char path[128];
    vfs_path_of(ino, path, sizeof(path));
    struct file *f = file_open(ino, flags, path);
    if (!f)
        return -ENOMEM;
    fd_install(fd, f, flags & O_CLOEXEC);
    return fd;
}

SYSCALL_DEFINE(open) { SYSCALL_UNUSED_ARGS(); return do_open(AT_FDCWD, a0, (unsigned)a1); }
SYSCALL_DEFINE(openat) { SYSCALL_UNUSED_ARGS(); return do_open((int)a0, a1, (unsigned)a2); }

SYSCALL_DEFINE(close)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    current->fd[a0] = NULL;
    current->cloexec[a0] = false;
    file_put(f);
    return 0;
}

SYSCALL_DEFINE(read)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!access_ok(a1, a2))
        return -EFAULT;
    return file_read(f, (char *)a1, a2);
}

SYSCALL_DEFINE(pread64)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if ((int64_t)a3 < 0)
        return -EINVAL;
    if (!seekable(f))
        return -ESPIPE;
    if (!access_ok(a1, a2))
        return -EFAULT;
    return file_pread(f, (char *)a1, a2, a3);
}

SYSCALL_DEFINE(write)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!access_ok(a1, a2))
        return -EFAULT;
    return file_write(f, (const char *)a1, a2);
}

/* readv/writev: one call per iovec; stop at the first short transfer. */
static long do_iov(uint64_t fd, uint64_t uiov, uint64_t cnt, bool write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (cnt > IOV_MAX)
        return -EINVAL;
    long total = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        uint64_t iov[2];
        if (copy_from_user(iov, (void *)(uiov + i * sizeof(iov)), sizeof(iov)))
            return total ? total : -EFAULT;
        if (iov[1] == 0)
            continue;
        if (!access_ok(iov[0], iov[1]))
            return total ? total : -EFAULT;
        long r = write ? file_write(f, (const char *)iov[0], iov[1]) : file_read(f, (char *)iov[0], iov[1]);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < iov[1])
            break;
    }
    return total;
}

SYSCALL_DEFINE(readv) { SYSCALL_UNUSED_ARGS(); return do_iov(a0, a1, a2, false); }
SYSCALL_DEFINE(writev) { SYSCALL_UNUSED_ARGS(); return do_iov(a0, a1, a2, true); }

SYSCALL_DEFINE(lseek)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    int64_t base;
    switch (a2) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->pos; break;
    case SEEK_END: base = (int64_t)f->inode->size; break;
    default: return -EINVAL;
    }
    int64_t pos = base + (int64_t)a1;
    if (pos < 0)
        return -EINVAL;
    f->pos = (uint64_t)pos;
    return pos;
}

SYSCALL_DEFINE(ioctl)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!f->inode->ops || !f->inode->ops->ioctl)
        return -ENOTTY;
    return f->inode->ops->ioctl(f, (unsigned)a1, a2);
}

/* struct stat, x86-64 layout (arch/x86/include/uapi/asm/stat.h). */
struct stat_k {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    int64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    int64_t unused[3];
};

static long stat_to_user(const struct inode *ino, uint64_t ubuf)
{
    struct stat_k st;
    memset(&st, 0, sizeof(st));
    st.st_dev = 1;
    st.st_ino = ino->ino;
    st.st_nlink = S_ISDIR(ino->mode) ? 2 : 1;
    st.st_mode = ino->mode;
    st.st_rdev = ino->rdev;
    st.st_size = (int64_t)ino->size;
    st.st_blksize = PAGE_SIZE;
    st.st_blocks = (int64_t)((ino->size + STAT_BLOCK - 1) / STAT_BLOCK);
    return copy_to_user((void *)ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(fstat)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    return f ? stat_to_user(f->inode, a1) : -EBADF;
}

static long do_stat(int dirfd, uint64_t upath, uint64_t ubuf, unsigned flags)
{
    struct inode *ino = NULL;
    long r = lookup_at(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), flags, &ino);
    return r ? r : stat_to_user(ino, ubuf);
}

SYSCALL_DEFINE(stat) { SYSCALL_UNUSED_ARGS(); return do_stat(AT_FDCWD, a0, a1, 0); }
SYSCALL_DEFINE(lstat) { SYSCALL_UNUSED_ARGS(); return do_stat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW); }
SYSCALL_DEFINE(newfstatat) { SYSCALL_UNUSED_ARGS(); return do_stat((int)a0, a1, a2, (unsigned)a3); }

static long do_access(int dirfd, uint64_t upath, unsigned mode)
{
    if (mode & ~7u)
        return -EINVAL;
    struct inode *ino;
    long r = lookup_at(dirfd, upath, true, 0, &ino);
    if (r)
        return r;
    if ((mode & W_OK) && !(ino->ops && ino->ops->write))
        return -EROFS;
    if ((mode & X_OK) && !(ino->mode & 0111))
        return -EACCES;
    return 0;
}

SYSCALL_DEFINE(access) { SYSCALL_UNUSED_ARGS(); return do_access(AT_FDCWD, a0, (unsigned)a1); }
SYSCALL_DEFINE(faccessat) { SYSCALL_UNUSED_ARGS(); return do_access((int)a0, a1, (unsigned)a2); }
SYSCALL_DEFINE(faccessat2) { SYSCALL_UNUSED_ARGS(); return do_access((int)a0, a1, (unsigned)a2); }

static long do_dup(uint64_t oldfd, int newfd_min, int exact, bool cloexec)
{
    struct file *f = fd_get(oldfd);
    if (!f)
        return -EBADF;
    int fd = exact >= 0 ? exact : fd_alloc(newfd_min);
    if (fd < 0)
        return fd;
    if (current->fd[fd])
        file_put(current->fd[fd]);
    file_get(f);
    fd_install(fd, f, cloexec);
    return fd;
}

SYSCALL_DEFINE(dup) { SYSCALL_UNUSED_ARGS(); return do_dup(a0, 0, -1, false); }

SYSCALL_DEFINE(dup2)
{
    SYSCALL_UNUSED_ARGS();
    if (a0 == a1)
        return fd_get(a0) ? (long)a1 : -EBADF;
    if (a1 >= fd_limit())
        return -EBADF;
    return do_dup(a0, 0, (int)a1, false);
}

SYSCALL_DEFINE(dup3)
{
    SYSCALL_UNUSED_ARGS();
    if (a0 == a1 || (a2 & ~(uint64_t)O_CLOEXEC))
        return -EINVAL;
    if (a1 >= fd_limit())
        return -EBADF;
    return do_dup(a0, 0, (int)a1, a2 & O_CLOEXEC);
}

SYSCALL_DEFINE(fcntl)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    switch (a1) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (a2 >= rlimit(RLIMIT_NOFILE))
            return -EINVAL; /* at or above the limit: EINVAL; inside it but the table is full: EMFILE */
        return do_dup(a0, (int)a2, -1, a1 == F_DUPFD_CLOEXEC);
    case F_GETFD: return current->cloexec[a0] ? FD_CLOEXEC : 0;
    case F_SETFD:
        current->cloexec[a0] = a2 & FD_CLOEXEC;
        return 0;
    case F_GETFL: return f->flags;
    case F_SETFL:
        f->flags = (f->flags & ~(unsigned)(O_APPEND | O_NONBLOCK)) | ((unsigned)a2 & (O_APPEND | O_NONBLOCK));
        return 0;
    default: return -EINVAL;
    }
}

SYSCALL_DEFINE(getdents64)
{
    SYSCALL_UNUSED_ARGS();
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!access_ok(a1, a2))
        return -EFAULT;
    return file_getdents64(f, (char *)a1, a2);
}

SYSCALL_DEFINE(getcwd)
{
    SYSCALL_UNUSED_ARGS();
    char buf[PATH_MAX_CWD];
    long n = vfs_path_of(current->cwd, buf, sizeof(buf));
    if (n < 0 || (uint64_t)n + 1 > a1)
        return -ERANGE;
    return copy_to_user((void *)a0, buf, (size_t)n + 1) ? -EFAULT : n + 1;
}

SYSCALL_DEFINE(chdir)
{
    SYSCALL_UNUSED_ARGS();
    struct inode *ino;
    long r = lookup_at(AT_FDCWD, a0, true, 0, &ino);
    if (r)
        return r;
    if (!S_ISDIR(ino->mode))
        return -ENOTDIR;
    current->cwd = ino;
    return 0;
}

static long do_readlink(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    struct inode *ino;
    long r = lookup_at(dirfd, upath, false, 0, &ino);
    if (r)
        return r;
    if (!S_ISLNK(ino->mode))
        return -EINVAL;
    char *target = kmalloc(PATH_MAX);
    if (!target)
        return -ENOMEM;
    size_t len = MIN((size_t)vfs_readlink(ino, target, PATH_MAX), size);
    r = copy_to_user((void *)ubuf, target, len) ? -EFAULT : (long)len;
    kfree(target);
    return r;
}

SYSCALL_DEFINE(readlink) { SYSCALL_UNUSED_ARGS(); return do_readlink(AT_FDCWD, a0, a1, a2); }
SYSCALL_DEFINE(readlinkat) { SYSCALL_UNUSED_ARGS(); return do_readlink((int)a0, a1, a2, a3); }

/* pipe2(fds, flags): fds[0] reads, fds[1] writes. */
static long do_pipe(uint64_t ufds, uint64_t flags)
{
    if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    int rfd = fd_alloc(0);
    if (rfd < 0)
        return rfd;
    current->fd[rfd] = (struct file *)1; /* reserve it while finding the second */
    int wfd = fd_alloc(0);
    current->fd[rfd] = NULL;
    if (wfd < 0)
        return wfd;
    struct file *rd, *wr;
    if (pipe_create((unsigned)flags, &rd, &wr))
        return -ENOMEM;
    int fds[2] = {rfd, wfd};
    if (copy_to_user((void *)ufds, fds, sizeof(fds))) {
        file_put(rd);
        file_put(wr);
        return -EFAULT;
    }
    fd_install(rfd, rd, flags & O_CLOEXEC);
    fd_install(wfd, wr, flags & O_CLOEXEC);
    return 0;
}

SYSCALL_DEFINE(pipe) { SYSCALL_UNUSED_ARGS(); return do_pipe(a0, 0); }
SYSCALL_DEFINE(pipe2) { SYSCALL_UNUSED_ARGS(); return do_pipe(a0, a1); }
