/*
 * tests/user/t_pipe.c - pipes: a kernel buffer between two file descriptors.
 *
 * pipe(fds) gives a read end fds[0] and a write end fds[1]. What a writer
 * puts in comes out of the reader in the same order, byte for byte. The
 * kernel holds up to 64 KiB (Linux's default capacity: 16 pages); a writer
 * that finds the pipe full sleeps until a reader makes room, a reader that
 * finds it empty sleeps until a writer adds some. The ends of the pipe are
 * counted:
 *   - when every write end is closed, read returns 0 (end of file) once the
 *     buffer is empty;
 *   - when every read end is closed, write fails with EPIPE and the writer
 *     gets SIGPIPE (whose default action kills it: that is how `yes | head`
 *     ends);
 *   - with O_NONBLOCK, a read that would sleep fails with EAGAIN, and so does
 *     a write into a full pipe;
 *   - a write of at most PIPE_BUF (4096) bytes is atomic: it is never mixed
 *     with another writer's bytes, and with O_NONBLOCK it is all or nothing.
 *
 * Linux's exact answers are the reference: EBADF for the wrong end, ESPIPE
 * for lseek, EINVAL for unknown pipe2 flags, EFAULT (and no leaked
 * descriptors) for a bad array. Run: t_pipe [test_name...]
 */
#include "testlib.h"

#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PIPE_CAPACITY (64 * KiB) /* Linux's default, and Pagewise's */
#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif

/* Close both ends (ignoring errors: an end may already be closed). */
static void close_pipe(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    p[0] = p[1] = -1;
}

/* Read exactly len bytes (retrying short reads and interruptions). Returns
 * the number read: less than len means end of file or an error. */
static size_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Fill the pipe through a non-blocking write end until EAGAIN, with writes
 * of `chunk` bytes. Returns the bytes written (-1 for another error). */
static long fill_nonblock(int wfd, size_t chunk)
{
    static char junk[PIPE_BUF];
    long total = 0;

    memset(junk, 'f', sizeof(junk));
    for (;;) {
        ssize_t n = write(wfd, junk, chunk);
        if (n < 0 && errno == EAGAIN)
            return total;
        if (n <= 0)
            return -1;
        total += n;
        if (total > 64 * MiB)
            return -1; /* never full? */
    }
}

static int set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl == -1)
        return -1;
    return fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

/* SIGPIPE: ignore it for the time of a case, then restore the default. */
static void sigpipe(void (*action)(int)) { signal(SIGPIPE, action); }

/* ---------------------------------------------------------------------------
 * The basics.
 * ------------------------------------------------------------------------- */

static const char *pipe_basic(void)
{
    int p[2];
    char buf[16];
    struct stat st;

    CHECK_OK(pipe(p));
    CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1], "pipe gave fds %d and %d", p[0], p[1]);
    CHECK(write(p[1], "hello", 5) == 5, "write 5 bytes: %s", errname(errno));
    CHECK(read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0, "read did not give back \"hello\"");
    /* A read returns what is there, it does not wait for the whole buffer. */
    CHECK(write(p[1], "ab", 2) == 2, "write: %s", errname(errno));
    CHECK(write(p[1], "cd", 2) == 2, "write: %s", errname(errno));
    CHECK(read(p[0], buf, sizeof(buf)) == 4 && memcmp(buf, "abcd", 4) == 0, "two writes did not read back as \"abcd\"");

    CHECK_OK(fstat(p[0], &st));
    CHECK(S_ISFIFO(st.st_mode), "fstat of a pipe: st_mode 0%o is not S_IFIFO", (unsigned)st.st_mode);
    CHECK((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY, "the read end is not O_RDONLY");
    CHECK((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "the write end is not O_WRONLY");
    CHECK_ERRNO(write(p[0], "x", 1), EBADF);
    CHECK_ERRNO(read(p[1], buf, 1), EBADF);
    CHECK_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
    CHECK_ERRNO(lseek(p[1], 0, SEEK_CUR), ESPIPE);
    CHECK(write(p[1], buf, 0) == 0, "write of 0 bytes did not return 0");
    CHECK(write(p[1], "z", 1) == 1, "write: %s", errname(errno));
    CHECK(read(p[0], buf, 0) == 0, "read of 0 bytes did not return 0");
    CHECK(read(p[0], buf, 1) == 1 && buf[0] == 'z', "the byte after a 0-byte read is lost");
    close_pipe(p);
    return PASS;
}

/* readv/writev: musl's stdio writes through writev, so `printf | cat` needs it. */
static const char *pipe_writev_readv(void)
{
    int p[2];
    char x[5], y[32];
    struct iovec wv[3] = {{(void *)"one", 3}, {(void *)"", 0}, {(void *)"three", 5}};
    struct iovec rv[2] = {{x, 5}, {y, sizeof(y)}};

    CHECK_OK(pipe(p));
    CHECK(writev(p[1], wv, 3) == 8, "writev of 3+0+5 bytes: %s", errname(errno));
    ssize_t n = readv(p[0], rv, 2);
    close_pipe(p);
    CHECK(n == 8, "readv returned %ld, expected 8", (long)n);
    CHECK(memcmp(x, "oneth", 5) == 0 && memcmp(y, "ree", 3) == 0, "readv split the bytes wrongly");
    return PASS;
}

/* pipe2 flags: O_CLOEXEC sets FD_CLOEXEC on both ends, O_NONBLOCK sets
 * O_NONBLOCK; anything else is EINVAL. A bad array is EFAULT, and then no
 * descriptor is left behind. */
static const char *pipe_pipe2_flags(void)
{
    int p[2];

    CHECK_OK(pipe(p));
    CHECK(!(fcntl(p[0], F_GETFD) & FD_CLOEXEC) && !(fcntl(p[1], F_GETFD) & FD_CLOEXEC), "pipe() set FD_CLOEXEC");
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK) && !(fcntl(p[1], F_GETFL) & O_NONBLOCK), "pipe() set O_NONBLOCK");
    close_pipe(p);

    CHECK_OK(pipe2(p, O_CLOEXEC));
    int r0 = fcntl(p[0], F_GETFD), r1 = fcntl(p[1], F_GETFD);
    close_pipe(p);
    CHECK(r0 != -1 && (r0 & FD_CLOEXEC), "pipe2(O_CLOEXEC): the read end has no FD_CLOEXEC (F_GETFD = %d)", r0);
    CHECK(r1 != -1 && (r1 & FD_CLOEXEC), "pipe2(O_CLOEXEC): the write end has no FD_CLOEXEC (F_GETFD = %d)", r1);

    CHECK_OK(pipe2(p, O_NONBLOCK));
    r0 = fcntl(p[0], F_GETFL);
    r1 = fcntl(p[1], F_GETFL);
    int d0 = fcntl(p[0], F_GETFD);
    close_pipe(p);
    CHECK(r0 != -1 && (r0 & O_NONBLOCK), "pipe2(O_NONBLOCK): the read end is not O_NONBLOCK");
    CHECK(r1 != -1 && (r1 & O_NONBLOCK), "pipe2(O_NONBLOCK): the write end is not O_NONBLOCK");
    CHECK(d0 == 0, "pipe2(O_NONBLOCK) set FD_CLOEXEC too");

    CHECK_ERRNO(pipe2(p, O_APPEND), EINVAL);
    CHECK_ERRNO(pipe2(p, 0x7fff0000), EINVAL);

    /* EFAULT: NULL, a read-only page, a kernel address. The descriptors the
     * kernel had allocated must be given back: the next open gets the same
     * (lowest free) number as before. */
    int before = dup(0);
    CHECK(before >= 0, "dup(0): %s", errname(errno));
    close(before);
    char *ro = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED, "mmap: %s", errname(errno));
    errno = 0;
    long e1 = syscall(SYS_pipe, (int *)0) == -1 ? errno : 0;
    errno = 0;
    long e2 = syscall(SYS_pipe2, (int *)ro, 0) == -1 ? errno : 0;
    errno = 0;
    long e3 = syscall(SYS_pipe2, (int *)0xffffffff80100000UL, O_CLOEXEC) == -1 ? errno : 0;
    munmap(ro, PAGE_SIZE);
    int after = dup(0);
    if (after >= 0)
        close(after);
    CHECK(e1 == EFAULT, "pipe(NULL) gave %s, expected EFAULT", errname((int)e1));
    CHECK(e2 == EFAULT, "pipe2(read-only page) gave %s, expected EFAULT", errname((int)e2));
    CHECK(e3 == EFAULT, "pipe2(kernel address) gave %s, expected EFAULT", errname((int)e3));
    CHECK(after == before, "after pipe() failed with EFAULT, the lowest free fd is %d instead of %d (leaked fds)",
          after, before);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * A stream between two processes.
 * ------------------------------------------------------------------------- */

#define STREAM_LEN 1100000L
#define STREAM_SEED 0x70177e5eedULL

/* Byte i of the stream (a pseudo-random sequence both sides can compute). */
static unsigned char stream_byte(long i)
{
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + STREAM_SEED;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    return (unsigned char)(x >> 56);
}

/* The writer: random chunk sizes from 1 byte to 200 KB (a blocking write
 * returns only when everything is in the pipe: it must return the full
 * count). Exit 0, or 2 for a short write. */
static int stream_writer(int wfd)
{
    static unsigned char chunk[200000];
    uint64_t rng = 12345;
    long off = 0;

    while (off < STREAM_LEN) {
        long n = (long)prng_below(&rng, 8) == 0 ? 1 + (long)prng_below(&rng, 200000) : 1 + (long)prng_below(&rng, 9000);
        if (n > STREAM_LEN - off)
            n = STREAM_LEN - off;
        for (long i = 0; i < n; i++)
            chunk[i] = stream_byte(off + i);
        ssize_t w = write(wfd, chunk, (size_t)n);
        if (w != n)
            return 2;
        off += n;
    }
    return 0;
}

static const char *pipe_stream_1mb(void)
{
    static unsigned char buf[70000];
    int p[2];
    uint64_t rng = 777;
    long off = 0, bad = -1;

    CHECK_OK(pipe(p));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[0]);
        _exit(stream_writer(p[1]));
    }
    close(p[1]);
    for (;;) {
        size_t want = 1 + prng_below(&rng, sizeof(buf));
        ssize_t n = read(p[0], buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (long i = 0; i < n && bad < 0; i++)
            if (buf[i] != stream_byte(off + i))
                bad = off + i;
        off += n;
    }
    int e = errno;
    close(p[0]);
    int st = wait_for(pid);

    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "a blocking write into the pipe returned a short count");
    CHECK_EXITED(st, 0);
    CHECK(off == STREAM_LEN, "read %ld bytes of %ld before end of file (%s)", off, STREAM_LEN, errname(e));
    CHECK(bad < 0, "byte %ld of the stream is wrong", bad);
    return PASS;
}

/* Two writers, 100 records of 4096 bytes each (PIPE_BUF: atomic), each
 * record filled with the writer's letter. The reader must find whole
 * records, never a mix. */
#define RECORDS 100

static int record_writer(int wfd, char id)
{
    char rec[PIPE_BUF];
    memset(rec, id, sizeof(rec));
    for (int i = 0; i < RECORDS; i++) {
        if (write(wfd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
            return 2;
        if (i % 7 == 0)
            sched_yield(); /* let the other writer in between */
    }
    return 0;
}

static const char *pipe_atomic_writes(void)
{
    static char all[2 * RECORDS * PIPE_BUF];
    int p[2];

    CHECK_OK(pipe(p));
    pid_t a = fork_child();
    CHECK(a != -1, "fork: %s", errname(errno));
    if (a == 0) {
        close(p[0]);
        _exit(record_writer(p[1], 'A'));
    }
    pid_t b = fork_child();
    if (b == 0) {
        close(p[0]);
        _exit(record_writer(p[1], 'B'));
    }
    close(p[1]);
    size_t got = read_full(p[0], all, sizeof(all));
    char extra;
    ssize_t more = read(p[0], &extra, 1);
    close(p[0]);
    int sa = wait_for(a), sb = b > 0 ? wait_for(b) : -1;

    CHECK(b != -1, "fork: %s", errname(errno));
    CHECK_EXITED(sa, 0);
    CHECK_EXITED(sb, 0);
    CHECK(got == sizeof(all), "read %zu bytes of %zu", got, sizeof(all));
    CHECK(more == 0, "more bytes than the two writers wrote");
    int count[2] = {0, 0};
    for (int r = 0; r < 2 * RECORDS; r++) {
        const char *rec = all + (size_t)r * PIPE_BUF;
        CHECK(rec[0] == 'A' || rec[0] == 'B', "record %d starts with 0x%02x", r, (unsigned char)rec[0]);
        for (int i = 1; i < PIPE_BUF; i++)
            CHECK(rec[i] == rec[0], "record %d mixes the two writers' bytes (offset %d): a %d-byte write was not atomic",
                  r, i, PIPE_BUF);
        count[rec[0] - 'A']++;
    }
    CHECK(count[0] == RECORDS && count[1] == RECORDS, "%d records from A and %d from B (expected %d each)", count[0],
          count[1], RECORDS);
    return PASS;
}

/* A child writes to its standard output, which is the pipe (dup2 onto fd 1,
 * as a shell does for `child | parent`). */
static const char *pipe_dup2_stdout(void)
{
    static const char msg[] = "hello through fd 1\n";
    char buf[64];
    int p[2];

    CHECK_OK(pipe(p));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[0]);
        if (dup2(p[1], 1) != 1)
            _exit(2);
        close(p[1]);
        _exit(write(1, msg, sizeof(msg) - 1) == (ssize_t)sizeof(msg) - 1 ? 0 : 3);
    }
    close(p[1]);
    size_t got = read_full(p[0], buf, sizeof(buf));
    close(p[0]);
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    CHECK(got == sizeof(msg) - 1 && memcmp(buf, msg, got) == 0, "read %zu bytes \"%.*s\" from the child's stdout", got,
          (int)got, buf);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * End of file, EPIPE, SIGPIPE.
 * ------------------------------------------------------------------------- */

static const char *pipe_eof(void)
{
    int p[2];
    char buf[8];

    /* The only writer closes: what is buffered is still read, then 0. */
    CHECK_OK(pipe(p));
    CHECK(write(p[1], "xy", 2) == 2, "write: %s", errname(errno));
    close(p[1]);
    CHECK(read(p[0], buf, sizeof(buf)) == 2, "the bytes written before close are lost");
    CHECK(read(p[0], buf, sizeof(buf)) == 0, "read after the only writer closed did not return 0");
    CHECK(read(p[0], buf, sizeof(buf)) == 0, "a second read at end of file did not return 0");
    close(p[0]);

    /* Two write ends (dup): not the end until both are closed. */
    CHECK_OK(pipe2(p, O_NONBLOCK));
    int w2 = dup(p[1]);
    CHECK(w2 >= 0, "dup: %s", errname(errno));
    close(p[1]);
    errno = 0;
    ssize_t r = read(p[0], buf, sizeof(buf));
    int e = errno;
    close(w2);
    ssize_t r2 = read(p[0], buf, sizeof(buf));
    close(p[0]);
    CHECK(r == -1 && e == EAGAIN, "with one of two write ends still open, a non-blocking read gave %ld (%s), expected EAGAIN",
          (long)r, errname(e));
    CHECK(r2 == 0, "after both write ends were closed, read gave %ld instead of 0", (long)r2);
    return PASS;
}

/* A reader sleeping in read() is woken with 0 when the last writer (a child)
 * exits; what the child wrote comes first. */
static const char *pipe_eof_wakes_reader(void)
{
    int p[2];
    char buf[8];

    CHECK_OK(pipe(p));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[0]);
        if (write(p[1], "abc", 3) != 3)
            _exit(2);
        sleep_ms(200);
        _exit(0); /* closes the last write end */
    }
    close(p[1]);
    size_t got = read_full(p[0], buf, 3);
    long long t0 = now_ns();
    ssize_t r = read(p[0], buf, sizeof(buf)); /* sleeps until the child exits */
    long long ms = (now_ns() - t0) / 1000000;
    close(p[0]);
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    CHECK(got == 3 && memcmp(buf, "abc", 3) == 0, "the child's 3 bytes did not arrive");
    CHECK(r == 0, "read after the last writer exited returned %ld, expected 0", (long)r);
    CHECK(ms >= 50, "read returned 0 after %lld ms, while the writer was still alive", ms);
    return PASS;
}

static volatile sig_atomic_t sigpipe_count;
static volatile int sigpipe_code, sigpipe_pid;

static void on_sigpipe(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig == SIGPIPE)
        sigpipe_count++;
    sigpipe_code = si->si_code;
    sigpipe_pid = si->si_pid;
}

/* No reader left: with SIGPIPE ignored, write and writev fail with EPIPE;
 * with a handler, the handler runs (before write returns) and write fails
 * with EPIPE. Linux sends SIGPIPE as from the kernel to the writer itself:
 * si_code SI_USER, si_pid = the writer's pid. */
static const char *pipe_epipe(void)
{
    int p[2];
    struct iovec iov = {(void *)"x", 1};

    CHECK_OK(pipe(p));
    close(p[0]);
    sigpipe(SIG_IGN);
    errno = 0;
    ssize_t r = write(p[1], "x", 1);
    int e = errno;
    errno = 0;
    ssize_t rv = writev(p[1], &iov, 1);
    int ev = errno;
    sigpipe(SIG_DFL);
    CHECK(r == -1 && e == EPIPE, "write with no reader (SIGPIPE ignored) gave %ld (%s), expected EPIPE", (long)r,
          errname(e));
    CHECK(rv == -1 && ev == EPIPE, "writev with no reader gave %ld (%s), expected EPIPE", (long)rv, errname(ev));

    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigpipe;
    sa.sa_flags = SA_SIGINFO;
    CHECK_OK(sigaction(SIGPIPE, &sa, &old));
    sigpipe_count = 0;
    sigpipe_code = sigpipe_pid = -1;
    errno = 0;
    r = write(p[1], "x", 1);
    e = errno;
    int count = sigpipe_count;
    sigaction(SIGPIPE, &old, NULL);
    close(p[1]);
    CHECK(r == -1 && e == EPIPE, "write with no reader (SIGPIPE handled) gave %ld (%s), expected EPIPE", (long)r,
          errname(e));
    CHECK(count == 1, "the SIGPIPE handler ran %d times (expected once, before write returned)", count);
    CHECK(sigpipe_code == SI_USER, "SIGPIPE came with si_code %d, expected SI_USER (0)", sigpipe_code);
    CHECK(sigpipe_pid == getpid(), "SIGPIPE came with si_pid %d, expected our pid %d", sigpipe_pid, (int)getpid());
    return PASS;
}

/* SIGPIPE's default action kills the writer. The read end is closed
 * before the fork: with several CPUs the child may write before the parent
 * would have closed its copy. */
static const char *pipe_sigpipe_kills(void)
{
    int p[2];

    CHECK_OK(pipe(p));
    close(p[0]);
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        errno = 0;
        write(p[1], "x", 1);
        _exit(errno == EPIPE ? 2 : 3);
    }
    close(p[1]);
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the writer got EPIPE but no SIGPIPE");
    CHECK_KILLED_BY(st, SIGPIPE);
    return PASS;
}

/* A writer sleeping on a full pipe is woken with EPIPE when the last reader
 * goes away. */
static const char *pipe_close_read_wakes_writer(void)
{
    int p[2];
    char buf[PIPE_BUF];

    CHECK_OK(pipe(p));
    CHECK_OK(set_nonblock(p[1], 1));
    long filled = fill_nonblock(p[1], PIPE_BUF);
    CHECK(filled > 0, "could not fill the pipe: %s", errname(errno));
    CHECK_OK(set_nonblock(p[1], 0));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[1]);
        sleep_ms(200);
        _exit(0); /* closes the last read end */
    }
    close(p[0]);
    sigpipe(SIG_IGN);
    memset(buf, 'w', sizeof(buf));
    long long t0 = now_ns();
    errno = 0;
    ssize_t r = write(p[1], buf, sizeof(buf)); /* sleeps: the pipe is full */
    int e = errno;
    long long ms = (now_ns() - t0) / 1000000;
    sigpipe(SIG_DFL);
    close(p[1]);
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    CHECK(r == -1 && e == EPIPE, "a writer blocked on a full pipe whose reader exited got %ld (%s), expected EPIPE",
          (long)r, errname(e));
    CHECK(ms >= 50, "the write into a full pipe returned after %lld ms, before the reader exited", ms);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Sleeping and waking.
 * ------------------------------------------------------------------------- */

/* A reader sleeping on an empty pipe is woken by a writer. */
static const char *pipe_reader_woken(void)
{
    int p[2];
    char c = 0;

    CHECK_OK(pipe(p));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[0]);
        sleep_ms(200);
        _exit(write(p[1], "!", 1) == 1 ? 0 : 2);
    }
    long long t0 = now_ns();
    ssize_t r = read(p[0], &c, 1);
    long long ms = (now_ns() - t0) / 1000000;
    close_pipe(p);
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    CHECK(r == 1 && c == '!', "read returned %ld (%s)", (long)r, r < 0 ? errname(errno) : "wrong byte");
    CHECK(ms >= 100, "read on an empty pipe returned after %lld ms, before the writer wrote (200 ms)", ms);
    CHECK(ms < 5000, "the reader was woken only %lld ms later", ms);
    return PASS;
}

/* A writer sleeping on a full pipe is woken by a reader, and its blocking
 * write completes entirely. */
static const char *pipe_writer_woken(void)
{
    static char big[10000];
    int p[2];

    CHECK_OK(pipe(p));
    CHECK_OK(set_nonblock(p[1], 1));
    long filled = fill_nonblock(p[1], PIPE_BUF);
    CHECK(filled > 0, "could not fill the pipe: %s", errname(errno));
    CHECK_OK(set_nonblock(p[1], 0));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        static char sink[128 * 1024];
        close(p[1]);
        sleep_ms(200);
        size_t want = (size_t)filled + sizeof(big);
        if (read_full(p[0], sink, want) != want)
            _exit(2);
        for (size_t i = (size_t)filled; i < want; i++)
            if (sink[i] != 'B')
                _exit(3);
        _exit(0);
    }
    close(p[0]);
    memset(big, 'B', sizeof(big));
    long long t0 = now_ns();
    ssize_t r = write(p[1], big, sizeof(big));
    long long ms = (now_ns() - t0) / 1000000;
    close(p[1]);
    int st = wait_for(pid);
    CHECK(r == (ssize_t)sizeof(big), "a blocking write of %zu bytes into a full pipe returned %ld (%s)", sizeof(big),
          (long)r, r < 0 ? errname(errno) : "short");
    CHECK(ms >= 100, "the write into a full pipe returned after %lld ms, before the reader read (200 ms)", ms);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "the reader got fewer bytes than were written");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "the reader got wrong bytes");
    CHECK_EXITED(st, 0);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * O_NONBLOCK and the capacity.
 * ------------------------------------------------------------------------- */

static const char *pipe_nonblock_read(void)
{
    int p[2];
    char c;

    CHECK_OK(pipe2(p, O_NONBLOCK));
    CHECK_ERRNO(read(p[0], &c, 1), EAGAIN);
    CHECK(write(p[1], "q", 1) == 1, "write: %s", errname(errno));
    CHECK(read(p[0], &c, 1) == 1 && c == 'q', "read after a write failed");
    CHECK_ERRNO(read(p[0], &c, 1), EAGAIN);
    close(p[1]);
    CHECK(read(p[0], &c, 1) == 0, "an empty non-blocking pipe without writers must read 0 (end of file), not EAGAIN");
    close(p[0]);
    /* O_NONBLOCK set later with fcntl works the same. */
    CHECK_OK(pipe(p));
    CHECK_OK(set_nonblock(p[0], 1));
    CHECK_ERRNO(read(p[0], &c, 1), EAGAIN);
    close_pipe(p);
    return PASS;
}

/* Writes of 4096 bytes until EAGAIN: the capacity. Linux's default is 64 KiB
 * (16 pages); Pagewise must have exactly that. A read makes room again. */
static const char *pipe_capacity(void)
{
    int p[2];
    char buf[PIPE_BUF];

    CHECK_OK(pipe2(p, O_NONBLOCK));
    long cap = fill_nonblock(p[1], PIPE_BUF);
    CHECK(cap > 0, "filling the pipe failed: %s", errname(errno));
    out("# pipe capacity: %ld bytes\n", cap);
    CHECK_ERRNO(write(p[1], "x", 1), EAGAIN);
    CHECK(read(p[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf), "read from a full pipe failed");
    CHECK(write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf), "after a 4096-byte read, a 4096-byte write failed: %s",
          errname(errno));
    CHECK_ERRNO(write(p[1], buf, sizeof(buf)), EAGAIN);
    close_pipe(p);

    if (on_pagewise())
        CHECK(cap == PIPE_CAPACITY, "the pipe holds %ld bytes, expected %ld", cap, (long)PIPE_CAPACITY);
    else
        CHECK(cap >= PIPE_BUF, "the pipe holds only %ld bytes", cap);

    /* One-byte writes fill it to the same capacity. */
    CHECK_OK(pipe2(p, O_NONBLOCK));
    long cap1 = fill_nonblock(p[1], 1);
    close_pipe(p);
    CHECK(cap1 == cap, "one-byte writes fill the pipe with %ld bytes, 4096-byte writes with %ld", cap1, cap);
    return PASS;
}

/* A non-blocking write bigger than the free space: more than PIPE_BUF bytes
 * may be written in part (Linux writes what fits and returns the count); at
 * most PIPE_BUF bytes are all or nothing (EAGAIN). */
static const char *pipe_nonblock_partial_and_atomic(void)
{
    static char big[100000];
    int p[2];

    CHECK_OK(pipe2(p, O_NONBLOCK));
    long cap = fill_nonblock(p[1], PIPE_BUF);
    close_pipe(p);
    CHECK(cap > 0, "filling the pipe failed");

    CHECK_OK(pipe2(p, O_NONBLOCK));
    memset(big, 'p', sizeof(big));
    ssize_t r = write(p[1], big, sizeof(big));
    int e = errno;
    close_pipe(p);
    CHECK(r == cap, "a non-blocking write of %zu bytes into an empty pipe returned %ld (%s), expected %ld (the capacity)",
          sizeof(big), (long)r, r < 0 ? errname(e) : "", cap);

    /* Leave exactly 100 bytes free: 200 bytes do not fit (EAGAIN, nothing
     * written), 100 do, then not even 1. */
    CHECK_OK(pipe2(p, O_NONBLOCK));
    r = write(p[1], big, (size_t)cap - 100);
    CHECK(r == cap - 100, "write of %ld bytes returned %ld", cap - 100, (long)r);
    errno = 0;
    ssize_t r200 = write(p[1], big, 200);
    int e200 = errno;
    ssize_t r100 = write(p[1], big, 100);
    errno = 0;
    ssize_t r1 = write(p[1], big, 1);
    int e1 = errno;
    char sink[PIPE_BUF];
    long total = 0;
    for (;;) {
        ssize_t n = read(p[0], sink, sizeof(sink));
        if (n <= 0)
            break;
        total += n;
    }
    close_pipe(p);
    CHECK(r200 == -1 && e200 == EAGAIN,
          "with 100 bytes free, a non-blocking 200-byte write returned %ld (%s): writes of <= PIPE_BUF bytes are all or "
          "nothing (EAGAIN)",
          (long)r200, errname(e200));
    CHECK(r100 == 100, "with 100 bytes free, a 100-byte write returned %ld", (long)r100);
    CHECK(r1 == -1 && e1 == EAGAIN, "in a full pipe, a 1-byte write returned %ld (%s)", (long)r1, errname(e1));
    CHECK(total == cap, "read back %ld bytes, expected %ld", total, cap);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Resources.
 * ------------------------------------------------------------------------- */

/* 100 pipes open at once (200 descriptors), all working; then closed. */
static const char *pipe_many_open(void)
{
    int p[100][2];
    int n = 0;
    const char *why = PASS;

    for (; n < 100; n++)
        if (pipe(p[n]) != 0) {
            why = FAIL("pipe number %d failed: %s", n + 1, errname(errno));
            break;
        }
    for (int i = 0; i < n && why == PASS; i++) {
        char c = (char)i, d = 0;
        if (write(p[i][1], &c, 1) != 1)
            why = FAIL("write to pipe %d failed: %s", i, errname(errno));
        else if (read(p[i][0], &d, 1) != 1 || d != c)
            why = FAIL("pipe %d gave back the wrong byte (crossed pipes?)", i);
    }
    for (int i = 0; i < n; i++)
        close_pipe(p[i]);
    return why;
}

#define LEAK_SLACK (256 * KiB)
#define LEAK_SLACK_LINUX (8 * MiB) /* per-CPU page lists, see t_proc.c */
#define LIFETIMES 300

/* 300 pipes filled to the brim and closed (300 x 64 KiB = 19 MiB of
 * buffers): free memory comes back, and so do the descriptor numbers. */
static const char *pipe_no_leak(void)
{
    const long slack = on_pagewise() ? LEAK_SLACK : LEAK_SLACK_LINUX;
    long long lost = 0;
    int first[2] = {-1, -1};

    for (int round = 0; round < 3; round++) {
        long long free0 = freeram();
        for (int i = 0; i < LIFETIMES; i++) {
            int p[2];
            CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe number %d: %s", i + 1, errname(errno));
            if (first[0] < 0) {
                first[0] = p[0];
                first[1] = p[1];
            }
            CHECK(p[0] == first[0] && p[1] == first[1], "pipe number %d got fds %d,%d instead of %d,%d (fds leaked)",
                  i + 1, p[0], p[1], first[0], first[1]);
            long filled = fill_nonblock(p[1], PIPE_BUF);
            close_pipe(p);
            CHECK(filled > 0, "filling pipe number %d failed", i + 1);
        }
        lost = free0 - freeram();
        if (lost <= slack)
            return PASS;
    }
    return FAIL("after %d full pipes were closed, freeram is %lld KiB lower (allowed: %ld KiB)", LIFETIMES, lost / KiB,
                slack / KiB);
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(pipe_basic),
    TEST(pipe_writev_readv),
    TEST(pipe_pipe2_flags),
    TEST(pipe_stream_1mb),
    TEST(pipe_atomic_writes),
    TEST(pipe_dup2_stdout),
    TEST(pipe_eof),
    TEST(pipe_eof_wakes_reader),
    TEST(pipe_epipe),
    TEST(pipe_sigpipe_kills),
    TEST(pipe_close_read_wakes_writer),
    TEST(pipe_reader_woken),
    TEST(pipe_writer_woken),
    TEST(pipe_nonblock_read),
    TEST(pipe_capacity),
    TEST(pipe_nonblock_partial_and_atomic),
    TEST(pipe_many_open),
    TEST(pipe_no_leak),
};
/* clang-format on */

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
