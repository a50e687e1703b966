/*
 * tests/user/t_files.c - the read-only file system and file descriptors.
 *
 * On Pagewise the initrd (a cpio archive) is the whole file system, mounted
 * read-only at /, with the programs in /bin. On Linux these tests run from
 * anywhere. Both ways, the one file we are sure of is our own program: we
 * open it (argv[0]), read its ELF header, seek in it, stat it, find it in
 * its directory. Then the file descriptor table: dup/dup2/dup3/fcntl, the
 * lowest free number rule, EBADF; and the console: ioctl(TIOCGWINSZ),
 * readv/writev.
 *
 * Run: t_files [test_name...]
 */
#include "testlib.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* Our program file, its directory and its name; set by main(). */
static const char *self;
static char self_dir[PATH_MAX];
static char self_base[NAME_MAX + 1];

/* Open our own program file for reading, or leave the case with a reason. */
#define OPEN_SELF(fd)                                                                                                  \
    do {                                                                                                               \
        CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);                                    \
        (fd) = open(self, O_RDONLY);                                                                                   \
        CHECK((fd) >= 0, "open(%s): %s", self, errname(errno));                                                        \
    } while (0)

/* ---------------------------------------------------------------------------
 * Reading a file.
 * ------------------------------------------------------------------------- */

/* The first bytes of our file are an ELF header for an x86-64 executable. */
static const char *files_open_elf_magic(void)
{
    Elf64_Ehdr eh;
    int fd;

    OPEN_SELF(fd);
    ssize_t n = read(fd, &eh, sizeof(eh));
    close(fd);
    CHECK(n == (ssize_t)sizeof(eh), "read of the %zu-byte ELF header returned %ld", sizeof(eh), (long)n);
    CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0, "the file does not start with \\177ELF");
    CHECK(eh.e_ident[EI_CLASS] == ELFCLASS64, "ELF class %d, expected ELFCLASS64", eh.e_ident[EI_CLASS]);
    CHECK(eh.e_machine == EM_X86_64, "e_machine %d, expected EM_X86_64", eh.e_machine);
    CHECK(eh.e_type == ET_EXEC, "e_type %d, expected ET_EXEC (a static, non-PIE program)", eh.e_type);
    return PASS;
}

/* Each read() continues where the last one ended; at the end, read() says 0. */
static const char *files_read_sequential(void)
{
    char a[4], b[4], all[8];
    struct stat st;
    int fd;

    OPEN_SELF(fd);
    CHECK_OK(fstat(fd, &st));
    ssize_t ra = read(fd, a, 4), rb = read(fd, b, 4);
    ssize_t rall = pread(fd, all, 8, 0);
    char tail[64];
    CHECK_OK(lseek(fd, st.st_size - 10, SEEK_SET));
    ssize_t rt = read(fd, tail, sizeof(tail)); /* only 10 bytes are left */
    ssize_t reof = read(fd, tail, sizeof(tail));
    close(fd);

    CHECK(ra == 4 && rb == 4 && rall == 8, "reads returned %ld, %ld, %ld", (long)ra, (long)rb, (long)rall);
    CHECK(memcmp(a, all, 4) == 0 && memcmp(b, all + 4, 4) == 0, "the second read did not continue after the first");
    CHECK(rt == 10, "read of 64 bytes with 10 left before the end returned %ld", (long)rt);
    CHECK(reof == 0, "read at end of file returned %ld, expected 0", (long)reof);
    return PASS;
}

/* lseek: SEEK_SET, SEEK_CUR, SEEK_END; beyond the end is allowed (reads 0
 * bytes); a negative result is EINVAL. */
static const char *files_lseek(void)
{
    struct stat st;
    char c;
    int fd;

    OPEN_SELF(fd);
    CHECK_OK(fstat(fd, &st));
    off_t end = lseek(fd, 0, SEEK_END);
    off_t one = lseek(fd, 1, SEEK_SET);
    ssize_t r1 = read(fd, &c, 1);
    off_t cur = lseek(fd, 0, SEEK_CUR);
    off_t back = lseek(fd, -1, SEEK_CUR);
    off_t past = lseek(fd, st.st_size + 4096, SEEK_SET);
    ssize_t rpast = read(fd, &c, 1);
    errno = 0;
    off_t neg = lseek(fd, -1, SEEK_SET);
    int eneg = errno;
    errno = 0;
    off_t bad = lseek(fd, 0, 12345);
    int ebad = errno;
    close(fd);

    CHECK(end == st.st_size, "lseek(0, SEEK_END) = %ld but st_size = %ld", (long)end, (long)st.st_size);
    CHECK(one == 1 && r1 == 1 && c == 'E', "after lseek(1) the byte read is not 'E'");
    CHECK(cur == 2, "lseek(0, SEEK_CUR) after reading 1 byte at 1 = %ld, expected 2", (long)cur);
    CHECK(back == 1, "lseek(-1, SEEK_CUR) = %ld, expected 1", (long)back);
    CHECK(past == st.st_size + 4096 && rpast == 0, "seek past the end gave %ld, read there %ld (expected 0)",
          (long)past, (long)rpast);
    CHECK(neg == -1 && eneg == EINVAL, "lseek(-1, SEEK_SET) returned %ld (%s), expected EINVAL", (long)neg,
          errname(eneg));
    CHECK(bad == -1 && ebad == EINVAL, "lseek with whence 12345 returned %ld (%s), expected EINVAL", (long)bad,
          errname(ebad));
    return PASS;
}

/* pread64 reads at an offset without moving the file offset. */
static const char *files_pread(void)
{
    char buf[4];
    int fd;

    OPEN_SELF(fd);
    CHECK_OK(lseek(fd, 100, SEEK_SET));
    ssize_t r0 = pread(fd, buf, 4, 0);
    ssize_t r1 = pread(fd, buf + 1, 3, 1);
    off_t cur = lseek(fd, 0, SEEK_CUR);
    close(fd);

    CHECK(r0 == 4 && r1 == 3, "pread returned %ld and %ld", (long)r0, (long)r1);
    CHECK(memcmp(buf, "\177ELF", 4) == 0, "pread at offset 0 did not give the ELF magic");
    CHECK(cur == 100, "pread moved the file offset from 100 to %ld", (long)cur);
    return PASS;
}

/* readv fills several buffers in order from one stretch of the file. */
static const char *files_readv(void)
{
    char a[4], b[1], c[3], all[8];
    struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
    int fd;

    OPEN_SELF(fd);
    ssize_t r = readv(fd, iov, 3);
    ssize_t rall = pread(fd, all, 8, 0);
    close(fd);
    CHECK(r == 8, "readv of 4+1+3 bytes returned %ld", (long)r);
    CHECK(rall == 8, "pread of 8 bytes returned %ld", (long)rall);
    CHECK(memcmp(a, all, 4) == 0 && b[0] == all[4] && memcmp(c, all + 5, 3) == 0,
          "readv did not fill the buffers in order");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Metadata: stat, access.
 * ------------------------------------------------------------------------- */

/* fstat on the open file and stat on its path describe the same file. */
static const char *files_fstat_stat_agree(void)
{
    struct stat a, b;
    int fd;

    OPEN_SELF(fd);
    int r = fstat(fd, &a);
    int e = errno;
    close(fd);
    CHECK(r == 0, "fstat: %s", errname(e));
    CHECK_OK(stat(self, &b));
    CHECK(S_ISREG(a.st_mode), "st_mode %o is not a regular file", (unsigned)a.st_mode);
    CHECK(a.st_mode & S_IXUSR, "st_mode %o has no execute bit for the owner", (unsigned)a.st_mode);
    CHECK(a.st_size == b.st_size, "fstat size %ld != stat size %ld", (long)a.st_size, (long)b.st_size);
    CHECK(a.st_size > 4096, "our program file is only %ld bytes", (long)a.st_size);
    CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "fstat and stat give different inode/device numbers");
    CHECK(a.st_nlink >= 1, "st_nlink is %lu", (unsigned long)a.st_nlink);
    return PASS;
}

static const char *files_access(void)
{
    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK_OK(access(self, F_OK));
    CHECK_OK(access(self, R_OK));
    CHECK_OK(access(self, X_OK));
    CHECK_ERRNO(access("/no/such/file/pagewise", F_OK), ENOENT);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Directories and path names.
 * ------------------------------------------------------------------------- */

/* The record getdents64 writes, one per directory entry (see getdents(2)). */
struct linux_dirent64 {
    uint64_t d_ino;          /* inode number */
    int64_t d_off;           /* where the next getdents64 continues */
    unsigned short d_reclen; /* size of this record */
    unsigned char d_type;    /* DT_REG, DT_DIR, ... or DT_UNKNOWN */
    char d_name[];           /* NUL-terminated */
};

/* Our own directory lists our own name, as a regular file. */
static const char *files_getdents_lists_self(void)
{
    char buf[1024] __attribute__((aligned(8)));
    int found = 0, entries = 0, calls = 0;
    unsigned char type = 0;

    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    int fd = open(self_dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open(\"%s\", O_DIRECTORY): %s", self_dir, errname(errno));
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        if (n <= 0) {
            int e = errno;
            close(fd);
            CHECK(n == 0, "getdents64 on %s: %s", self_dir, errname(e));
            break;
        }
        calls++;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (d->d_reclen == 0 || off + d->d_reclen > n) {
                close(fd);
                return FAIL("getdents64 record at offset %ld has a bad length %u", off, d->d_reclen);
            }
            entries++;
            if (strcmp(d->d_name, self_base) == 0) {
                found++;
                type = d->d_type;
            }
            off += d->d_reclen;
        }
        if (calls > 10000) {
            close(fd);
            return FAIL("getdents64 never returned 0 (end of directory)");
        }
    }
    CHECK(found == 1, "%s listed \"%s\" %d times in %d entries", self_dir, self_base, found, entries);
    CHECK(type == DT_REG || type == DT_UNKNOWN, "d_type of our program is %d, expected DT_REG (%d)", type, DT_REG);
    return PASS;
}

static const char *files_getdents_errors(void)
{
    char small[8] __attribute__((aligned(8)));
    char buf[512] __attribute__((aligned(8)));
    int dfd, ffd;

    OPEN_SELF(ffd);
    dfd = open(self_dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open(\"%s\", O_DIRECTORY): %s", self_dir, errname(errno));
    /* Linux: a buffer too small for even one record is EINVAL. */
    errno = 0;
    long r1 = syscall(SYS_getdents64, dfd, small, sizeof(small));
    int e1 = errno;
    errno = 0;
    long r2 = syscall(SYS_getdents64, ffd, buf, sizeof(buf));
    int e2 = errno;
    close(dfd);
    close(ffd);
    errno = 0;
    long r3 = syscall(SYS_getdents64, ffd, buf, sizeof(buf));
    int e3 = errno;

    CHECK(r1 == -1 && e1 == EINVAL, "getdents64 with an 8-byte buffer returned %ld (%s), expected EINVAL", r1,
          errname(e1));
    CHECK(r2 == -1 && e2 == ENOTDIR, "getdents64 on a regular file returned %ld (%s), expected ENOTDIR", r2,
          errname(e2));
    CHECK(r3 == -1 && e3 == EBADF, "getdents64 on a closed fd returned %ld (%s), expected EBADF", r3, errname(e3));
    return PASS;
}

/* A directory can be opened, but not read() like a file. */
static const char *files_read_directory(void)
{
    char c;
    int fd = open(self_dir, O_RDONLY);
    CHECK(fd >= 0, "open(\"%s\"): %s", self_dir, errname(errno));
    errno = 0;
    ssize_t r = read(fd, &c, 1);
    int e = errno;
    close(fd);
    CHECK(r == -1 && e == EISDIR, "read() on a directory returned %ld (%s), expected EISDIR", (long)r, errname(e));
    return PASS;
}

/* How path names fail: missing file, a file used as a directory, too long. */
static const char *files_open_errors(void)
{
    char path[PATH_MAX + 64];

    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK_ERRNO(open("/no-such-file-pagewise", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("/no/such/dir/file", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("", O_RDONLY), ENOENT);
    snprintf(path, sizeof(path), "%s/x", self);
    CHECK_ERRNO(open(path, O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open(self, O_RDONLY | O_DIRECTORY), ENOTDIR);
    memset(path, 'a', sizeof(path) - 1); /* longer than PATH_MAX (4096) */
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    CHECK_ERRNO(open(path, O_RDONLY), ENAMETOOLONG);
    return PASS;
}

/* The order in which Linux judges a path, and so must Pagewise: the name
 * first (empty: ENOENT; 4096 bytes or more: ENAMETOOLONG), then the walk
 * in order (a missing directory: ENOENT; a file used as a directory, or a
 * trailing slash after one: ENOTDIR; a component over 255 bytes:
 * ENAMETOOLONG, unless the walk failed before it), then what O_CREAT finds
 * (a name with a trailing slash, or a directory: EISDIR; an existing file
 * with O_EXCL: EEXIST), and only then the file system: Pagewise is
 * read-only, so creating is EROFS (creat("") was EROFS once). None of
 * these calls creates anything on Linux either. */
static const char *files_path_errno_order(void)
{
    char path[PATH_MAX + 2 * NAME_MAX], longname[NAME_MAX + 2];
    struct stat st;

    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK_ERRNO(creat("", 0644), ENOENT);
    CHECK_ERRNO(open("", O_WRONLY | O_CREAT | O_EXCL, 0644), ENOENT);
    CHECK_ERRNO(access("", F_OK), ENOENT);
    CHECK_ERRNO(stat("", &st), ENOENT);
    memset(path, 'a', PATH_MAX); /* 4096 bytes without the NUL: one too many */
    path[0] = '/';
    path[PATH_MAX] = '\0';
    CHECK_ERRNO(creat(path, 0644), ENAMETOOLONG);
    CHECK_ERRNO(creat("/no-such-dir-pagewise/new-file", 0644), ENOENT);
    snprintf(path, sizeof(path), "%s/new-file", self);
    CHECK_ERRNO(creat(path, 0644), ENOTDIR);
    memset(longname, 'b', sizeof(longname) - 1); /* 256 bytes: one too many */
    longname[sizeof(longname) - 1] = '\0';
    snprintf(path, sizeof(path), "/%s", longname);
    CHECK_ERRNO(creat(path, 0644), ENAMETOOLONG);
    CHECK_ERRNO(open(path, O_RDONLY), ENAMETOOLONG);
    snprintf(path, sizeof(path), "/no-such-dir-pagewise/%s", longname);
    CHECK_ERRNO(creat(path, 0644), ENOENT);
    snprintf(path, sizeof(path), "%s/%s", self, longname);
    CHECK_ERRNO(creat(path, 0644), ENOTDIR);
    snprintf(path, sizeof(path), "%s/", self);
    CHECK_ERRNO(open(path, O_RDONLY), ENOTDIR);
    CHECK_ERRNO(stat(path, &st), ENOTDIR);
    CHECK_ERRNO(open(path, O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open("/no-such-name-pagewise/", O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open("/", O_RDONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open(self_dir, O_RDONLY | O_CREAT, 0644), EISDIR);
    CHECK_ERRNO(open(self, O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    if (on_pagewise()) {
        CHECK_ERRNO(creat("/pagewise-new-file", 0644), EROFS);
        snprintf(path, sizeof(path), "%s/pagewise-new-file", self_dir);
        CHECK_ERRNO(creat(path, 0644), EROFS);
        CHECK_ERRNO(open("/proc/pagewise-new-file", O_RDONLY | O_CREAT, 0644), EROFS);
    }
    return PASS;
}

/* "." and ".." and doubled slashes in a path mean what they always mean. */
static const char *files_path_dots(void)
{
    char path[2 * PATH_MAX + 2 * NAME_MAX]; /* room for dir + ".." + names */
    struct stat ref, st;

    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK_OK(stat(self, &ref));
    const char *last = strrchr(self_dir, '/');
    last = last ? last + 1 : self_dir;

    snprintf(path, sizeof(path), "%s/./%s", self_dir, self_base);
    CHECK(stat(path, &st) == 0 && st.st_ino == ref.st_ino, "stat(\"%s\"): %s", path, errname(errno));
    snprintf(path, sizeof(path), "%s//%s", self_dir, self_base);
    CHECK(stat(path, &st) == 0 && st.st_ino == ref.st_ino, "stat(\"%s\"): %s", path, errname(errno));
    if (strcmp(self_dir, "/") != 0 && strcmp(self_dir, ".") != 0) {
        snprintf(path, sizeof(path), "%s/../%s/%s", self_dir, last, self_base);
        CHECK(stat(path, &st) == 0 && st.st_ino == ref.st_ino, "stat(\"%s\"): %s", path, errname(errno));
    }
    /* ".." of the root is the root. */
    CHECK_OK(stat("/", &ref));
    CHECK(stat("/../..", &st) == 0 && st.st_ino == ref.st_ino && st.st_dev == ref.st_dev,
          "\"/../..\" is not the root directory");
    return PASS;
}

/* The current directory: chdir("/") makes getcwd say "/"; a relative path
 * is looked up from the current directory. The old one is restored (other
 * cases may use a relative argv[0]). */
static const char *files_chdir_getcwd(void)
{
    char saved[PATH_MAX], cwd[PATH_MAX];
    const char *why = PASS;

    CHECK(getcwd(saved, sizeof(saved)) != NULL, "getcwd: %s", errname(errno));
    CHECK(saved[0] == '/', "getcwd gave \"%s\", not an absolute path", saved);

    if (chdir("/") != 0)
        why = FAIL("chdir(\"/\"): %s", errname(errno));
    else if (getcwd(cwd, sizeof(cwd)) == NULL)
        why = FAIL("getcwd after chdir(\"/\"): %s", errname(errno));
    else if (strcmp(cwd, "/") != 0)
        why = FAIL("getcwd after chdir(\"/\") gave \"%s\"", cwd);

    if (why == PASS && chdir(saved) != 0)
        return FAIL("chdir back to \"%s\": %s", saved, errname(errno));
    if (why == PASS && chdir(self_dir) != 0)
        why = FAIL("chdir(\"%s\"): %s", self_dir, errname(errno));
    if (why == PASS) {
        int fd = open(self_base, O_RDONLY); /* relative to self_dir now */
        if (fd < 0)
            why = FAIL("open(\"%s\") in %s: %s", self_base, self_dir, errname(errno));
        else
            close(fd);
    }
    if (chdir(saved) != 0)
        return FAIL("chdir back to \"%s\": %s", saved, errname(errno));
    return why;
}

static const char *files_chdir_errors(void)
{
    char tiny[1];

    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    CHECK_ERRNO(chdir("/no-such-dir-pagewise"), ENOENT);
    CHECK_ERRNO(chdir(self), ENOTDIR);
    /* A buffer too small for the path: ERANGE. */
    errno = 0;
    char *r = getcwd(tiny, sizeof(tiny));
    CHECK(r == NULL && errno == ERANGE, "getcwd with a 1-byte buffer returned %p (%s), expected ERANGE", (void *)r,
          errname(errno));
    return PASS;
}

/* The file system is read-only on Pagewise: opening for writing is EROFS.
 * (On Linux our running program is "busy": ETXTBSY. We never create or
 * change a file.) */
static const char *files_open_for_write_refused(void)
{
    CHECK(self, "cannot open our own program file (argv[0] = %s)", test_argv0);
    errno = 0;
    int fd = open(self, O_WRONLY);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (on_pagewise()) {
        CHECK(fd == -1 && e == EROFS, "open(\"%s\", O_WRONLY) returned %d (%s), expected EROFS", self, fd, errname(e));
        CHECK_ERRNO(open("/pagewise-new-file", O_WRONLY | O_CREAT, 0644), EROFS);
    } else {
        CHECK(fd == -1 && (e == EROFS || e == ETXTBSY || e == EACCES),
              "open(\"%s\", O_WRONLY) of the running program returned %d (%s)", self, fd, errname(e));
    }
    return PASS;
}

/* poll: a closed descriptor reads POLLNVAL, a negative one is skipped;
 * /dev/null is always ready; a pipe's read end is readable once there is
 * data and hung up once the writer is gone, its write end writable; with
 * nothing ready a timeout of 50 ms waits about that long. (musl calls poll
 * at the start of a program whose real and effective ids differ.) */
static const char *files_poll(void)
{
    int fds[2], null = open("/dev/null", O_RDWR);
    CHECK(null >= 0, "open(/dev/null): %s", errname(errno));
    CHECK_OK(pipe(fds));
    struct pollfd p[4] = {{.fd = 1000, .events = POLLIN},
                          {.fd = -1, .events = POLLIN},
                          {.fd = null, .events = POLLIN | POLLOUT},
                          {.fd = fds[0], .events = POLLIN}};
    int n = poll(p, 4, 0);
    CHECK(n == 2, "poll returned %d (%s), expected 2 ready", n, errname(errno));
    CHECK(p[0].revents == POLLNVAL && p[1].revents == 0 && p[2].revents == (POLLIN | POLLOUT) && p[3].revents == 0,
          "revents %#x %#x %#x %#x, expected POLLNVAL, 0, POLLIN|POLLOUT, 0", p[0].revents, p[1].revents, p[2].revents,
          p[3].revents);
    long long t0 = now_ns();
    n = poll(&p[3], 1, 50);
    long long waited_ms = (now_ns() - t0) / 1000000;
    CHECK(n == 0 && waited_ms >= 40 && waited_ms < 2000, "poll of an empty pipe for 50 ms returned %d after %lld ms", n,
          waited_ms);
    CHECK(write(fds[1], "x", 1) == 1, "write to the pipe: %s", errname(errno));
    struct pollfd w = {.fd = fds[1], .events = POLLOUT};
    CHECK(poll(&p[3], 1, 0) == 1 && p[3].revents == POLLIN, "a pipe with data: revents %#x", p[3].revents);
    CHECK(poll(&w, 1, 0) == 1 && w.revents == POLLOUT, "the write end: revents %#x", w.revents);
    close(fds[1]);
    CHECK(poll(&p[3], 1, 0) == 1 && p[3].revents == (POLLIN | POLLHUP),
          "data and no writer: revents %#x, expected POLLIN|POLLHUP", p[3].revents);
    close(fds[0]);
    close(null);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The file descriptor table.
 * ------------------------------------------------------------------------- */

/* open() returns the lowest free descriptor number. */
static const char *files_lowest_free_fd(void)
{
    int a, b, c;

    OPEN_SELF(a);
    OPEN_SELF(b);
    close(a);
    OPEN_SELF(c);
    close(b);
    close(c);
    CHECK(b == a + 1, "two opens in a row gave %d and %d", a, b);
    CHECK(c == a, "after close(%d), open returned %d instead of the lowest free number %d", a, c, a);
    return PASS;
}

/* 0, 1 and 2 are open when a program starts. */
static const char *files_stdio_open(void)
{
    for (int fd = 0; fd <= 2; fd++)
        CHECK(fcntl(fd, F_GETFD) >= 0, "fd %d is not open: %s", fd, errname(errno));
    return PASS;
}

/* dup'ed descriptors share one open file: one offset. */
static const char *files_dup_shares_offset(void)
{
    char buf[4];
    int fd;

    OPEN_SELF(fd);
    int d = dup(fd);
    int e = errno;
    ssize_t r = read(fd, buf, 4);
    off_t off = d >= 0 ? lseek(d, 0, SEEK_CUR) : -1;
    if (d >= 0)
        close(d);
    close(fd);
    CHECK(d >= 0, "dup: %s", errname(e));
    CHECK(d != fd, "dup returned the same number %d", d);
    CHECK(r == 4 && off == 4, "after reading 4 bytes through fd %d, the dup %d is at offset %ld", fd, d, (long)off);
    return PASS;
}

static const char *files_dup2_dup3(void)
{
    char c;
    int fd;

    OPEN_SELF(fd);
    CHECK(dup2(fd, 100) == 100, "dup2(fd, 100): %s", errname(errno));
    CHECK(pread(100, &c, 1, 1) == 1 && c == 'E', "fd 100 does not read our file");
    CHECK(fcntl(100, F_GETFD) == 0, "dup2 copied FD_CLOEXEC");
    CHECK(dup2(fd, fd) == fd, "dup2(fd, fd) did not return fd: %s", errname(errno));
    CHECK(dup2(fd, 100) == 100, "dup2 onto an open fd: %s", errname(errno)); /* closes the old 100 quietly */
    CHECK(dup3(fd, 101, O_CLOEXEC) == 101, "dup3(fd, 101, O_CLOEXEC): %s", errname(errno));
    CHECK(fcntl(101, F_GETFD) == FD_CLOEXEC, "dup3 with O_CLOEXEC: F_GETFD = %d", fcntl(101, F_GETFD));
    CHECK_ERRNO(dup3(fd, fd, 0), EINVAL); /* unlike dup2 */
    CHECK_ERRNO(dup2(999, 102), EBADF);
    close(100);
    close(101);
    close(fd);
    return PASS;
}

static const char *files_fcntl(void)
{
    int fd;

    OPEN_SELF(fd);
    CHECK(fcntl(fd, F_GETFD) == 0, "a new fd has F_GETFD = %d, expected 0", fcntl(fd, F_GETFD));
    CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "after F_SETFD FD_CLOEXEC, F_GETFD = %d", fcntl(fd, F_GETFD));
    CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "F_GETFL access mode is not O_RDONLY");

    int d = fcntl(fd, F_DUPFD, 50);
    CHECK(d >= 50, "fcntl(F_DUPFD, 50) returned %d (%s)", d, errname(errno));
    CHECK(fcntl(d, F_GETFD) == 0, "F_DUPFD copied FD_CLOEXEC");
    int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    CHECK(d2 >= 60, "fcntl(F_DUPFD_CLOEXEC, 60) returned %d (%s)", d2, errname(errno));
    CHECK(fcntl(d2, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC did not set FD_CLOEXEC");
    close(d);
    close(d2);
    close(fd);

    int c = open(self, O_RDONLY | O_CLOEXEC);
    CHECK(c >= 0, "open with O_CLOEXEC: %s", errname(errno));
    int flags = fcntl(c, F_GETFD);
    close(c);
    CHECK(flags == FD_CLOEXEC, "open with O_CLOEXEC: F_GETFD = %d", flags);
    CHECK_ERRNO(fcntl(999, F_GETFD), EBADF);
    return PASS;
}

static const char *files_bad_fd(void)
{
    char c;
    struct stat st;
    int fd;

    CHECK_ERRNO(close(-1), EBADF);
    CHECK_ERRNO(close(1000), EBADF);
    OPEN_SELF(fd);
    CHECK_OK(close(fd));
    CHECK_ERRNO(close(fd), EBADF); /* twice */
    CHECK_ERRNO(read(fd, &c, 1), EBADF);
    CHECK_ERRNO(write(fd, &c, 1), EBADF);
    CHECK_ERRNO(fstat(fd, &st), EBADF);
    CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
    return PASS;
}

/* A file opened read-only cannot be written: EBADF (not EROFS). */
static const char *files_write_readonly_fd(void)
{
    int fd;

    OPEN_SELF(fd);
    errno = 0;
    ssize_t r = write(fd, "x", 1);
    int e = errno;
    close(fd);
    CHECK(r == -1 && e == EBADF, "write to an O_RDONLY fd returned %ld (%s), expected EBADF", (long)r, errname(e));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The console.
 * ------------------------------------------------------------------------- */

/* Terminal size: the Pagewise console answers (programs like ls ask); on
 * Linux stdout may be a pipe or file: ENOTTY. A regular file: always ENOTTY. */
static const char *files_ioctl_winsize(void)
{
    struct winsize ws;
    int fd;

    memset(&ws, 0, sizeof(ws));
    errno = 0;
    int r = ioctl(1, TIOCGWINSZ, &ws);
    int e = errno;
    if (on_pagewise())
        CHECK(r == 0, "ioctl(1, TIOCGWINSZ) on the console failed: %s", errname(e));
    else
        CHECK(r == 0 || e == ENOTTY, "ioctl(1, TIOCGWINSZ) failed with %s, expected success or ENOTTY", errname(e));
    if (r == 0)
        CHECK(ws.ws_row > 0 && ws.ws_col > 0, "TIOCGWINSZ says %u rows x %u columns", ws.ws_row, ws.ws_col);

    OPEN_SELF(fd);
    errno = 0;
    r = ioctl(fd, TIOCGWINSZ, &ws);
    e = errno;
    close(fd);
    CHECK(r == -1 && e == ENOTTY, "TIOCGWINSZ on a regular file returned %d (%s), expected ENOTTY", r, errname(e));
    return PASS;
}

/* writev writes its pieces in order, as one line (a comment in the log). */
static const char *files_writev(void)
{
    char p1[] = "# writev: ", p2[] = "three ", p3[] = "parts\n";
    struct iovec iov[3] = {{p1, strlen(p1)}, {p2, strlen(p2)}, {p3, strlen(p3)}};
    ssize_t want = (ssize_t)(strlen(p1) + strlen(p2) + strlen(p3));

    ssize_t r = writev(1, iov, 3);
    CHECK(r == want, "writev of %ld bytes returned %ld (%s)", (long)want, (long)r, r < 0 ? errname(errno) : "short");
    CHECK(writev(1, iov, 0) == 0, "writev of 0 iovecs did not return 0");
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
/* pwrite64: a descriptor opened read-only is EBADF, a pipe ESPIPE, a
 * negative offset EINVAL (the kernel had no pwrite64 before /dev/fb0). */
static const char *files_pwrite_errors(void)
{
    int fd = open(self, O_RDONLY), p[2];
    CHECK(fd >= 0, "open %s: %s", self, errname(errno));
    CHECK_OK(pipe(p));
    char c = 'x';
    CHECK_ERRNO(pwrite(fd, &c, 1, 0), EBADF);
    CHECK_ERRNO(pwrite(p[1], &c, 1, 0), ESPIPE);
    CHECK_ERRNO(pwrite(p[1], &c, 1, -1), EINVAL);
    close(fd), close(p[0]), close(p[1]);
    return PASS;
}

static const struct test tests[] = {
    TEST(files_pwrite_errors),
    TEST(files_open_elf_magic),
    TEST(files_read_sequential),
    TEST(files_lseek),
    TEST(files_pread),
    TEST(files_readv),
    TEST(files_fstat_stat_agree),
    TEST(files_access),
    TEST(files_getdents_lists_self),
    TEST(files_getdents_errors),
    TEST(files_read_directory),
    TEST(files_open_errors),
    TEST(files_path_errno_order),
    TEST(files_poll),
    TEST(files_path_dots),
    TEST(files_chdir_getcwd),
    TEST(files_chdir_errors),
    TEST(files_open_for_write_refused),
    TEST(files_lowest_free_fd),
    TEST(files_stdio_open),
    TEST(files_dup_shares_offset),
    TEST(files_dup2_dup3),
    TEST(files_fcntl),
    TEST(files_bad_fd),
    TEST(files_write_readonly_fd),
    TEST(files_ioctl_winsize),
    TEST(files_writev),
};
/* clang-format on */

int main(int argc, char **argv)
{
    /* Find our own file and split its path: "/usr/libexec/pagewise/t_files"
     * -> "/usr/libexec/pagewise", "t_files"; "build/host/t_files" ->
     * "build/host", "t_files". */
    test_argv0 = argc > 0 ? argv[0] : "";
    self = self_path();
    if (self) {
        const char *slash = strrchr(self, '/');
        if (!slash) {
            snprintf(self_dir, sizeof(self_dir), ".");
            snprintf(self_base, sizeof(self_base), "%s", self);
        } else {
            snprintf(self_dir, sizeof(self_dir), "%.*s", slash == self ? 1 : (int)(slash - self), self);
            snprintf(self_base, sizeof(self_base), "%s", slash + 1);
        }
    }
    return run_tests(argc, argv, tests, NTESTS(tests));
}
