/*
 * kernel/sys_fs.c - file system calls on the read-only VFS: descriptors,
 * reading, stat, directories, the current directory.
 */
#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
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
    return fd < NR_OPEN ? current->group->fd[fd] : NULL;
}

/* How many descriptors the current process may have: RLIMIT_NOFILE, but
 * never more than the table holds (NR_OPEN; docs/limits.md). */
static uint64_t fd_limit(void) { return MIN(rlimit(RLIMIT_NOFILE), (uint64_t)NR_OPEN); }

/* The lowest free descriptor >= min below the limit, or -EMFILE (Linux's
 * alloc_fd). */
static int fd_alloc(int min)
{
    for (int fd = min; (uint64_t)fd < fd_limit(); fd++)
        if (!current->group->fd[fd])
            return fd;
    return -EMFILE;
}

static void fd_install(int fd, struct file *f, bool cloexec)
{
    current->group->fd[fd] = f;
    current->group->cloexec[fd] = cloexec;
}

/* Pipes and terminals have no file position. */
static bool seekable(const struct file *f)
{
    uint32_t type = f->inode->mode & S_IFMT;
    return type != S_IFIFO && (type != S_IFCHR || (f->inode->ops && f->inode->ops->seekable));
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

/* Resolve a path (in kernel memory) from dirfd as the *at calls do.
 * missing: see vfs_lookup_create (may be NULL). */
static long resolve(int dirfd, const char *path, bool follow, unsigned at_flags, struct inode **out, bool *missing)
{
    struct inode *base = current->group->cwd;
    if (!path[0] && !(at_flags & AT_EMPTY_PATH))
        return -ENOENT; /* before dirfd is even looked at (Linux's getname) */
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        struct file *d = fd_get((uint64_t)dirfd);
        if (!d)
            return -EBADF;
        base = d->inode;
        if (path[0] && !S_ISDIR(base->mode))
            return -ENOTDIR;
    }
    if (!path[0]) { /* AT_EMPTY_PATH: dirfd itself */
        *out = base;
        return 0;
    }
    return vfs_lookup_create(base, path, follow, out, missing);
}

/* Resolve (dirfd, user path) as the *at calls do. */
static long lookup_at(int dirfd, uint64_t upath, bool follow, unsigned at_flags, struct inode **out)
{
    long err = 0;
    char *path = get_path(upath, &err);
    if (!path)
        return err;
    err = resolve(dirfd, path, follow, at_flags, out, NULL);
    kfree(path);
    return err;
}

/* Is ino a file of the read-only initrd (as opposed to a device or a /proc
 * node, which have their own operations)? Writing it is EROFS before any
 * permission check, as Linux's sb_permission does on a read-only mount. */
static bool on_readonly_fs(const struct inode *ino)
{
    uint32_t type = ino->mode & S_IFMT;
    return !ino->ops && (type == S_IFREG || type == S_IFDIR || type == S_IFLNK);
}

/* open(O_CREAT) of a path whose last component is a name followed by "/":
 * Linux says EISDIR once the directory it would go in is found. Returns 1
 * where that rule does not apply ("/", "x/./", no trailing slash). */
static long create_trailing_slash(int dirfd, char *path)
{
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] != '/')
        return 1;
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t len = n - start;
    if (len == 0 || (len == 1 && path[start] == '.') || (len == 2 && path[start] == '.' && path[start + 1] == '.'))
        return 1;
    path[n] = '\0';
    struct inode *ino;
    bool missing = false;
    long r = resolve(dirfd, path, false, 0, &ino, &missing);
    return r == 0 || (r == -ENOENT && missing) ? -EISDIR : r;
}

/* open and openat, in Linux's order of checks: the name (EFAULT, ENOENT
 * for "", ENAMETOOLONG), a free descriptor (EMFILE), the walk (ENOENT,
 * ENOTDIR, EACCES to search, ELOOP), creating (EISDIR, EROFS: this file
 * system is read-only), what was found (EEXIST, EISDIR, ENOTDIR, ELOOP),
 * then permission: EROFS for a write to the initrd, EACCES from the mode
 * bits, and last the file's own open (/proc/<pid>/maps: another user's). */
static long do_open(int dirfd, uint64_t upath, unsigned flags)
{
    long r = 0;
    char *path = get_path(upath, &r);
    if (!path)
        return r;
    struct inode *ino = NULL;
    bool missing = false, excl = (flags & O_CREAT) && (flags & O_EXCL);
    if (!path[0])
        r = -ENOENT;
    else if (fd_alloc(0) < 0)
        r = -EMFILE;
    else if ((flags & O_CREAT) && (r = create_trailing_slash(dirfd, path)) <= 0)
        ;
    else
        r = resolve(dirfd, path, !(flags & O_NOFOLLOW) && !excl, 0, &ino, &missing);
    kfree(path);
    if (r == -ENOENT && missing && (flags & O_CREAT))
        return -EROFS; /* the directory is there; nothing can be created in it */
    if (r)
        return r;
    if (excl)
        return -EEXIST;
    if ((flags & O_CREAT) && S_ISDIR(ino->mode))
        return -EISDIR;
    if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    if (S_ISLNK(ino->mode))
        return -ELOOP; /* O_NOFOLLOW met a symlink */
    unsigned acc = flags & O_ACCMODE;
    bool write = acc != O_RDONLY;
    if (write && S_ISDIR(ino->mode))
        return -EISDIR;
    int mask = (acc == O_RDONLY || acc == O_RDWR ? MAY_READ : 0) | (write || (flags & O_TRUNC) ? MAY_WRITE : 0);
    if ((mask & MAY_WRITE) && on_readonly_fs(ino))
        return -EROFS;
    if ((r = vfs_permission(ino, mask)))
        return r;
    if (write && !(ino->ops && ino->ops->write))
        return -EROFS;
    int fd = fd_alloc(0);
    if (fd < 0)
        return fd;
    char kpath[128];
    vfs_path_of(ino, kpath, sizeof(kpath));
    struct file *f = file_open(ino, flags, kpath);
    if (!f)
        return -ENOMEM;
    f->privileged = capable();
    if (ino->ops && ino->ops->open && (r = ino->ops->open(f))) {
        file_put(f);
        return r;
    }
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
    current->group->fd[a0] = NULL;
    current->group->cloexec[a0] = false;
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

/* pread64/pwrite64(fd, buf, n, pos): the checks both make, in Linux's
 * order. Returns the file, or NULL with *err set. */
static struct file *positioned_io_file(uint64_t fd, uint64_t buf, uint64_t n, uint64_t pos, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f                ? -EBADF
           : (int64_t)pos < 0 ? -EINVAL
           : !seekable(f)     ? -ESPIPE
           : !access_ok(buf, n) ? -EFAULT
                              : 0;
    return *err ? NULL : f;
}

SYSCALL_DEFINE(pread64)
{
    SYSCALL_UNUSED_ARGS();
    long err;
    struct file *f = positioned_io_file(a0, a1, a2, a3, &err);
    return f ? file_pread(f, (char *)a1, a2, a3) : err;
}

SYSCALL_DEFINE(pwrite64)
{
    SYSCALL_UNUSED_ARGS();
    long err;
    struct file *f = positioned_io_file(a0, a1, a2, a3, &err);
    return f ? file_pwrite(f, (const char *)a1, a2, a3) : err;
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
    vfs_owner(ino, &st.st_uid, &st.st_gid);
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

#define AT_EACCESS 0x200

/* access, faccessat, faccessat2: the check is made with the *real* ids
 * (Linux's access_override_creds: "could the user who ran me do this?"),
 * search permission on the way included; AT_EACCESS uses the effective
 * (fs) ids as open would. W_OK on the read-only initrd is EROFS. */
static long do_access(int dirfd, uint64_t upath, unsigned mode, unsigned flags)
{
    if (mode & ~7u)
        return -EINVAL;
    if (flags & ~(unsigned)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    long r = 0;
    char *path = get_path(upath, &r);
    if (!path)
        return r;
    struct cred *c = &current->cred;
    uint32_t fsuid = c->fsuid, fsgid = c->fsgid;
    if (!(flags & AT_EACCESS)) { /* nothing below sleeps: no one sees the swap */
        c->fsuid = c->uid;
        c->fsgid = c->gid;
    }
    struct inode *ino;
    r = resolve(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), flags, &ino, NULL);
    if (!r && (mode & W_OK) && on_readonly_fs(ino))
        r = -EROFS;
    if (!r)
        r = vfs_permission(ino, (int)mode);
    if (!r && (mode & W_OK) && !(ino->ops && ino->ops->write))
        r = -EROFS;
    c->fsuid = fsuid;
    c->fsgid = fsgid;
    kfree(path);
    return r;
}

SYSCALL_DEFINE(access) { SYSCALL_UNUSED_ARGS(); return do_access(AT_FDCWD, a0, (unsigned)a1, 0); }
SYSCALL_DEFINE(faccessat) { SYSCALL_UNUSED_ARGS(); return do_access((int)a0, a1, (unsigned)a2, 0); }
SYSCALL_DEFINE(faccessat2) { SYSCALL_UNUSED_ARGS(); return do_access((int)a0, a1, (unsigned)a2, (unsigned)a3); }

static long do_dup(uint64_t oldfd, int newfd_min, int exact, bool cloexec)
{
    struct file *f = fd_get(oldfd);
    if (!f)
        return -EBADF;
    int fd = exact >= 0 ? exact : fd_alloc(newfd_min);
    if (fd < 0)
        return fd;
    if (current->group->fd[fd])
        file_put(current->group->fd[fd]);
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
    case F_GETFD: return current->group->cloexec[a0] ? FD_CLOEXEC : 0;
    case F_SETFD:
        current->group->cloexec[a0] = a2 & FD_CLOEXEC;
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
    long n = vfs_path_of(current->group->cwd, buf, sizeof(buf));
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
    if ((r = vfs_permission(ino, MAY_EXEC)))
        return r;
    current->group->cwd = ino;
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
    long n = vfs_readlink(ino, target, PATH_MAX); /* < 0: refused (another user's /proc/<pid>/exe) */
    size_t len = n < 0 ? 0 : MIN((size_t)n, size);
    r = n < 0 ? n : copy_to_user((void *)ubuf, target, len) ? -EFAULT : (long)len;
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
    current->group->fd[rfd] = (struct file *)1; /* reserve it while finding the second */
    int wfd = fd_alloc(0);
    current->group->fd[rfd] = NULL;
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

/* struct pollfd. */
struct pollfd_k {
    int32_t fd;
    int16_t events, revents;
};

/* poll(fds, nfds, timeout_ms): which descriptors are ready. A closed one
 * reads POLLNVAL, a negative one is skipped; POLLERR, POLLHUP and POLLNVAL
 * are reported whether asked for or not. Nothing ready: sleep a timer tick
 * and look again (Pagewise has no wait queue that spans files), until the
 * timeout (-1: none) or a signal (EINTR). musl calls poll at start-up in a
 * program whose real and effective ids differ, to check fds 0-2. */
SYSCALL_DEFINE(poll)
{
    SYSCALL_UNUSED_ARGS();
    int timeout = (int)a2;
    if (a1 > NR_OPEN)
        return -EINVAL; /* Linux: more than RLIMIT_NOFILE */
    size_t bytes = a1 * sizeof(struct pollfd_k);
    struct pollfd_k *fds = kmalloc(bytes ? bytes : 1);
    if (!fds)
        return -ENOMEM;
    long r = copy_from_user(fds, (const void *)a0, bytes) ? -EFAULT : 0;
    /* The deadline on the clock clock_gettime reads, not in ticks: under an
     * emulator on a busy host late ticks come in a burst (as in
     * sys_proc.c:sleep_timespec), and 5 ticks once passed in 34 ms. */
    const uint64_t ns_per_ms = 1000000;
    uint64_t deadline = timeout < 0 ? UINT64_MAX : time_since_boot_ns() + (uint64_t)timeout * ns_per_ms;
    while (r == 0) {
        long ready = 0;
        for (uint64_t i = 0; i < a1; i++) {
            struct pollfd_k *p = &fds[i];
            p->revents = 0;
            if (p->fd < 0)
                continue;
            struct file *f = fd_get((uint64_t)p->fd);
            unsigned mask = POLLNVAL;
            if (f)
                mask = f->inode->ops && f->inode->ops->poll ? f->inode->ops->poll(f) : DEFAULT_POLLMASK;
            p->revents = (int16_t)(mask & ((uint16_t)p->events | POLLERR | POLLHUP | POLLNVAL));
            ready += p->revents != 0;
        }
        if (ready || timeout == 0 || time_since_boot_ns() >= deadline) {
            r = ready;
            break;
        }
        if (signal_pending(current)) {
            r = -EINTR;
            break;
        }
        sleep_until(jiffies() + 1); /* and look again (a pipe's end does not wake us) */
    }
    if (r >= 0 && copy_to_user((void *)a0, fds, bytes))
        r = -EFAULT;
    kfree(fds);
    return r;
}
