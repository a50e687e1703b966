/*
 * tests/user/testlib.h - shared helpers for the user-space test programs.
 *
 * The programs in tests/user/ are ordinary Linux C programs, built with
 * `musl-gcc -static`. They pass on Linux, and they must pass unchanged on
 * Pagewise: that is how we know the kernel implements the Linux ABI well
 * enough. Each program is a list of independent test cases:
 *
 *     static const char *lazy_mmap_one_page(void)
 *     {
 *         ...
 *         CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
 *         ...
 *         return PASS;
 *     }
 *
 *     static const struct test tests[] = { TEST(lazy_mmap_one_page), ... };
 *     int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
 *
 * A case returns PASS (NULL) or a reason; CHECK() returns the reason, with
 * the file and line, when its condition is false. run_tests() prints the
 * lines the host harness (tests/harness.py) reads, on stdout:
 *
 *     TESTS <n>
 *     TEST <name> PASS
 *     TEST <name> FAIL <reason>
 *     TESTS DONE
 *
 * and returns the exit status: 0 if every case passed, 1 otherwise.
 * `t_lazy NAME...` runs only the named cases (handy while debugging).
 *
 * Rules the helpers follow, and why:
 *  - Output goes through write(2), one whole line per call, never through
 *    stdio: a line must reach the console even if the program is killed a
 *    moment later, and a forked child must not inherit (and later flush a
 *    second copy of) a half-full stdio buffer.
 *  - Anything that is expected to crash runs in a forked child (run_in_child)
 *    and the parent judges the child's wait status, exactly like a shell does.
 *  - Nothing may hang forever: a child gets alarm(CHILD_TIMEOUT) and a case
 *    in the parent gets alarm(CASE_TIMEOUT). SIGALRM in a child kills it
 *    (default action), which the parent reports as a failure.
 *  - If the kernel can deliver signals, a case that crashes the parent
 *    (SIGSEGV, ...) is reported as FAIL and the next case still runs. If the
 *    kernel cannot deliver signals yet, the program simply dies there, and the
 *    harness reports the missing result lines.
 *
 * Everything is `static` so that each test program includes this header once
 * and needs no library. Include it before any other header (it defines
 * _GNU_SOURCE).
 */
#ifndef PAGEWISE_TESTS_USER_TESTLIB_H
#define PAGEWISE_TESTS_USER_TESTLIB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PAGE_SIZE /* musl's <limits.h> already defines it on x86-64 */
#define PAGE_SIZE 4096
#endif
#define KiB (1024L)
#define MiB (1024L * 1024L)

/* Every helper is "static, maybe unused": a program uses only some of them,
 * and -Wall should not complain about the others. */
#define LIBFN static __attribute__((unused))

#define CASE_TIMEOUT 60  /* seconds one case may take in the parent */
#define CHILD_TIMEOUT 30 /* seconds a forked child may live */

/* ---------------------------------------------------------------------------
 * Output: one write(2) per line.
 * ------------------------------------------------------------------------- */

/* write(2) all of buf, retrying after a partial write or an interruption. */
LIBFN void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere to report it: give up quietly */
        buf += n;
        len -= (size_t)n;
    }
}

/* printf to stdout, formatted into a buffer first so it is a single write. */
__attribute__((format(printf, 1, 2))) LIBFN void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    write_all(1, buf, (size_t)n);
}

/* ---------------------------------------------------------------------------
 * Names for numbers: "EFAULT" says more than 14, "SIGSEGV" more than 11.
 * ------------------------------------------------------------------------- */

LIBFN const char *errname(int e)
{
    static char other[24];

    switch (e) {
    case 0: return "no error";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ETXTBSY: return "ETXTBSY";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EPIPE: return "EPIPE";
    case EOVERFLOW: return "EOVERFLOW";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    default: snprintf(other, sizeof(other), "errno %d", e); return other;
    }
}

LIBFN const char *signame(int sig)
{
    static char other[24];

    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGSYS: return "SIGSYS";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    default: snprintf(other, sizeof(other), "signal %d", sig); return other;
    }
}

/* Describe a wait status the way a person would: "exited with 3". */
LIBFN const char *status_str(int status)
{
    static char buf[64];

    if (status == -1)
        snprintf(buf, sizeof(buf), "could not be forked or reaped");
    else if (WIFEXITED(status))
        snprintf(buf, sizeof(buf), "exited with %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof(buf), "was killed by %s", signame(WTERMSIG(status)));
    else
        snprintf(buf, sizeof(buf), "has odd wait status 0x%x", (unsigned)status);
    return buf;
}

/* ---------------------------------------------------------------------------
 * Results.
 * ------------------------------------------------------------------------- */

#define PASS ((const char *)0)

static char fail_why[320];

/* Format a failure reason, add "[file:line]", keep it on one line. */
__attribute__((format(printf, 3, 4))) LIBFN const char *fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    const char *base = strrchr(file, '/');

    va_start(ap, fmt);
    int n = vsnprintf(fail_why, sizeof(fail_why), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof(fail_why))
        snprintf(fail_why + n, sizeof(fail_why) - (size_t)n, " [%s:%d]", base ? base + 1 : file, line);
    for (char *c = fail_why; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return fail_why;
}

#define FAIL(...) fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Leave the case with a reason when cond is false. */
#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            return FAIL(__VA_ARGS__);                                                                                  \
    } while (0)

/* A system call made through libc must not fail: "-1 and errno" -> FAIL. */
#define CHECK_OK(expr)                                                                                                 \
    do {                                                                                                               \
        if ((long)(expr) == -1)                                                                                        \
            return FAIL("%s failed: %s", #expr, errname(errno));                                                       \
    } while (0)

/* The call must fail with exactly this errno (Linux's return convention:
 * the libc wrapper, or syscall(2), returns -1 and sets errno). */
#define CHECK_ERRNO(expr, err)                                                                                         \
    do {                                                                                                               \
        errno = 0;                                                                                                     \
        long ret_ = (long)(expr);                                                                                      \
        if (ret_ != -1 || errno != (err))                                                                              \
            return FAIL("%s returned %ld (%s), expected -1 with %s", #expr, ret_, errname(errno), errname(err));       \
    } while (0)

/* ---------------------------------------------------------------------------
 * Children: run something that may crash, and judge how it ended.
 * ------------------------------------------------------------------------- */

/* The signals the parent catches to survive a crashing case (see run_tests). */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};

/* In a new child: the default action again for every signal the parent
 * catches (a child that faults must *die*, that is what we test), and an
 * alarm so that a child can never hang the test run. */
LIBFN void child_setup(void)
{
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
        signal(crash_signals[i], SIG_DFL);
    alarm(CHILD_TIMEOUT);
}

/* fork(), with child_setup() done in the child. */
LIBFN pid_t fork_child(void)
{
    pid_t pid = fork();
    if (pid == 0)
        child_setup();
    return pid;
}

/* waitpid() that retries after EINTR; returns the wait status or -1. */
LIBFN int wait_for(pid_t pid)
{
    int status;

    for (;;) {
        pid_t r = waitpid(pid, &status, 0);
        if (r == pid)
            return status;
        if (r == -1 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Run fn() in a forked child that exits with fn's return value (or dies
 * trying). Returns the child's wait status, or -1 if fork/wait failed. */
LIBFN int run_in_child(int (*fn)(void))
{
    pid_t pid = fork_child();
    if (pid == -1)
        return -1;
    if (pid == 0)
        _exit(fn() & 0xff);
    return wait_for(pid);
}

/* Stop a child that is still running (on a failure path) and reap it. */
LIBFN void kill_and_reap(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        wait_for(pid);
    }
}

#define CHECK_KILLED_BY(status, sig)                                                                                   \
    CHECK((status) != -1 && WIFSIGNALED(status) && WTERMSIG(status) == (sig), "child %s, expected it to die of %s",    \
          status_str(status), signame(sig))

#define CHECK_EXITED(status, code)                                                                                     \
    CHECK((status) != -1 && WIFEXITED(status) && WEXITSTATUS(status) == (code), "child %s, expected exit status %d",   \
          status_str(status), (code))

/* ---------------------------------------------------------------------------
 * Memory counters, as Linux reports them.
 * ------------------------------------------------------------------------- */

/* Page faults this process took that needed no disk I/O ("minor") ... */
LIBFN long minflt(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

/* ... and those that had to wait for I/O ("major"). */
LIBFN long majflt(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_majflt : -1;
}

/* Free physical memory in bytes (sysinfo's freeram is in mem_unit units). */
LIBFN long long freeram(void)
{
    struct sysinfo si;
    if (sysinfo(&si) != 0)
        return -1;
    return (long long)si.freeram * (si.mem_unit ? si.mem_unit : 1);
}

/* Write one byte into every page of [p, p+len): each write to a page not yet
 * backed by a frame is one page fault. */
LIBFN void touch_pages(volatile char *p, size_t len, char value)
{
    for (size_t off = 0; off < len; off += PAGE_SIZE)
        p[off] = value;
}

/* CLOCK_MONOTONIC in nanoseconds. */
LIBFN long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep for ms milliseconds (nanosleep, resumed after interruptions). */
LIBFN void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Are we running on Pagewise (and not on Linux)? Some answers differ. */
LIBFN int on_pagewise(void)
{
    struct utsname u;
    return uname(&u) == 0 && strcmp(u.sysname, "Pagewise") == 0;
}

/* ---------------------------------------------------------------------------
 * Text files such as /proc/meminfo: read whole, look up "Name: value" lines.
 * ------------------------------------------------------------------------- */

/* Read the file at path into buf (at most size-1 bytes, NUL-terminated), with
 * read(2) until end of file. Returns the length, or -1 with errno set. */
LIBFN long slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    size_t len = 0;

    if (fd < 0)
        return -1;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(fd);
    return (long)len;
}

/* In text made of lines "name: value ..." (meminfo, status: colon, then
 * spaces or tabs) or "name value" (vmstat), find the line for name and parse
 * the number after it into *val. Returns 1 if found, 0 if not. The name must
 * match a whole line start: "MemFree" does not match "MemFreeX:". */
LIBFN int text_field(const char *text, const char *name, long long *val)
{
    size_t nlen = strlen(name);

    for (const char *line = text; *line;) {
        const char *next = strchr(line, '\n');
        const char *p = line + nlen;

        next = next ? next + 1 : line + strlen(line);
        if (strncmp(line, name, nlen) != 0) {
            line = next;
            continue;
        }
        if (*p == ':')
            p++;
        if (*p != ' ' && *p != '\t') {
            line = next;
            continue;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        int neg = *p == '-';
        if (neg)
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        long long v = 0;
        while (*p >= '0' && *p <= '9')
            v = v * 10 + (*p++ - '0');
        *val = neg ? -v : v;
        return 1;
    }
    return 0;
}

/* A /proc/meminfo value in kB ("MemFree"), or -1 if it cannot be read. */
LIBFN long long meminfo_kb(const char *name)
{
    char buf[8192];
    long long v;

    if (slurp("/proc/meminfo", buf, sizeof(buf)) < 0 || !text_field(buf, name, &v))
        return -1;
    return v;
}

/* A /proc/vmstat counter ("pgfault"), or -1 if the file or the line is
 * missing. (Counters are non-negative, so -1 cannot be a real value.) */
LIBFN long long vmstat_get(const char *name)
{
    static char buf[32768];
    long long v;

    if (slurp("/proc/vmstat", buf, sizeof(buf)) < 0 || !text_field(buf, name, &v))
        return -1;
    return v;
}

/* Swap accounting when this is the only process left: every slot in use
 * is one of our own swapped pages (VmSwap) or a swap-cache copy of a live
 * page (SwapCached). Anything more is a leaked slot. PASS or a reason. */
LIBFN const char *check_no_swap_leak(void)
{
    char status[4096];
    long long vmswap = -1;
    if (slurp("/proc/self/status", status, sizeof(status)) < 0 || !text_field(status, "VmSwap", &vmswap))
        return FAIL("no VmSwap line in /proc/self/status");
    long long sf = meminfo_kb("SwapFree"), st = meminfo_kb("SwapTotal"), sc = meminfo_kb("SwapCached");
    if (st - sf > vmswap + sc)
        return FAIL("%lld kB of swap in use, but only VmSwap %lld + SwapCached %lld: slots leaked", st - sf,
                    vmswap, sc);
    return PASS;
}

/* Frames in use by nothing but the kernel's fixed needs: MemFree plus our
 * own resident pages (VmRSS), so that the number does not move when our
 * pages go to swap and come back. Compare a value taken before a test's
 * children ran with one taken after they were reaped; -1 if unreadable. */
LIBFN long long frames_free_kb(void)
{
    char status[4096];
    long long rss = -1;
    if (slurp("/proc/self/status", status, sizeof(status)) < 0 || !text_field(status, "VmRSS", &rss))
        return -1;
    long long mf = meminfo_kb("MemFree");
    return mf < 0 ? -1 : mf + rss;
}

/* PASS if at most slack_kb of the frames counted by frames_free_kb() at
 * `before` are missing now, else the reason. */
LIBFN const char *check_frames_return(long long before, long long slack_kb)
{
    long long now = frames_free_kb();
    if (before < 0 || now < 0)
        return FAIL("MemFree or VmRSS unreadable");
    if (now < before - slack_kb)
        return FAIL("%lld kB of frames did not come back (free+ours %lld kB before, %lld kB now)", before - now,
                    before, now);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * A small deterministic random number generator (xorshift64*): the same seed
 * gives the same sequence on Linux and on Pagewise.
 * ------------------------------------------------------------------------- */

LIBFN uint64_t prng_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n). */
LIBFN uint64_t prng_below(uint64_t *state, uint64_t n) { return n ? prng_next(state) % n : 0; }

/* ---------------------------------------------------------------------------
 * Children that report numbers: run fn(vals) in a forked child, which sends
 * vals[0..n-1] back through a pipe and exits with fn's return value. The
 * parent gets the numbers (those not sent stay as they were) and the wait
 * status (-1 if pipe/fork/wait failed). Small: one write, never blocks.
 * ------------------------------------------------------------------------- */

LIBFN int run_in_child_report(int (*fn)(long *vals), long *vals, int n)
{
    int fds[2];

    if (n > 64 || pipe(fds) != 0)
        return -1;
    pid_t pid = fork_child();
    if (pid == -1) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        int code = fn(vals);
        write_all(fds[1], (const char *)vals, (size_t)n * sizeof(long));
        _exit(code & 0xff);
    }
    close(fds[1]);
    long got[64];
    size_t len = 0, want = (size_t)n * sizeof(long);
    while (len < want) {
        ssize_t r = read(fds[0], (char *)got + len, want - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fds[0]);
    memcpy(vals, got, len - len % sizeof(long));
    return wait_for(pid);
}

/* ---------------------------------------------------------------------------
 * Our own program file: a file we know exists and holds data.
 * ------------------------------------------------------------------------- */

static const char *test_argv0; /* argv[0], set by run_tests() */

/* Can path be opened for reading? (open/close rather than access(2): they
 * are the first file calls a kernel implements.) */
LIBFN int can_open(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* The path of the running program: argv[0] if it names a file (it does on
 * Linux when run as build/host/t_x, and on Pagewise as
 * /usr/libexec/pagewise/t_x), else that directory's <name>, else
 * /bin/<name> (make exec puts a program there), else /proc/self/exe.
 * Returns NULL if none can be opened. */
LIBFN const char *self_path(void)
{
    static char path[256];
    const char *base = strrchr(test_argv0, '/');

    base = base ? base + 1 : test_argv0;
    if (strchr(test_argv0, '/') && can_open(test_argv0))
        return test_argv0;
    snprintf(path, sizeof(path), "/usr/libexec/pagewise/%s", base);
    if (can_open(path))
        return path;
    snprintf(path, sizeof(path), "/bin/%s", base);
    if (can_open(path))
        return path;
    if (can_open("/proc/self/exe"))
        return "/proc/self/exe";
    return NULL;
}

/* ---------------------------------------------------------------------------
 * The test runner.
 * ------------------------------------------------------------------------- */

struct test {
    const char *name;
    const char *(*fn)(void);
};

/* clang-format off */
#define TEST(fn) {#fn, fn}
/* clang-format on */
#define NTESTS(array) ((int)(sizeof(array) / sizeof((array)[0])))

static sigjmp_buf crash_jmp;            /* where a crashing case comes back to */
static volatile sig_atomic_t crash_sig; /* which signal brought it back */

LIBFN void crash_handler(int sig)
{
    crash_sig = sig;
    siglongjmp(crash_jmp, 1);
}

/* Is test name selected by the command line (no arguments: all are)? */
LIBFN int selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* Run one case under an alarm; come back here if it crashes or hangs. */
LIBFN const char *run_one(const struct test *t)
{
    crash_sig = 0;
    if (sigsetjmp(crash_jmp, 1) != 0) {
        alarm(0);
        if (crash_sig == SIGALRM)
            return FAIL("timed out after %d s", CASE_TIMEOUT);
        return FAIL("the test program itself got %s", signame(crash_sig));
    }
    alarm(CASE_TIMEOUT);
    const char *why = t->fn();
    alarm(0);
    return why;
}

/* Wait for one byte on fd (a "go" from another process): 0, or -1 at EOF
 * or on an error. send_go sends it. */
LIBFN int wait_go(int fd)
{
    char c;
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        return n == 1 ? 0 : -1;
    }
}

LIBFN void send_go(int fd) { write_all(fd, "g", 1); }

#define PAGEMAP_SWAPPED_BIT 62 /* Documentation/admin-guide/mm/pagemap.rst */

/* How many pages of [p, p + pages*PAGE_SIZE) /proc/self/pagemap shows on
 * swap; -1 if it cannot be read. */
LIBFN long swapped_pages(const volatile void *p, long pages)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return -1;
    long s = 0;
    uint64_t e[64];
    for (long done = 0; done < pages;) {
        long k = pages - done < 64 ? pages - done : 64;
        off_t off = (off_t)(((uintptr_t)p / PAGE_SIZE + (uintptr_t)done) * sizeof(e[0]));
        if (pread(fd, e, (size_t)k * sizeof(e[0]), off) != (ssize_t)((size_t)k * sizeof(e[0]))) {
            close(fd);
            return -1;
        }
        for (long i = 0; i < k; i++)
            s += (e[i] >> PAGEMAP_SWAPPED_BIT) & 1;
        done += k;
    }
    close(fd);
    return s;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21 /* Linux 5.4+: reclaim these pages now */
#endif

/* madvise(MADV_PAGEOUT) on pages [p, p + pages*PAGE_SIZE), of which the
 * first `must` are mapped by this process alone and must then be on swap
 * (checked on Pagewise with a swap disk; elsewhere Linux decides). Pagewise
 * must know the advice; Linux before 5.4 does not (EINVAL: a # line, and
 * the case checks contents only). PASS or why. */
LIBFN const char *page_out(volatile void *p, long pages, long must)
{
    static int noted;
    if (madvise((void *)p, (size_t)pages * PAGE_SIZE, MADV_PAGEOUT) != 0) {
        int e = errno;
        if (e == EINVAL && !on_pagewise()) {
            if (!noted++)
                out("# MADV_PAGEOUT unknown to this Linux (EINVAL): swapped-out cases check contents only\n");
            return PASS;
        }
        return FAIL("madvise(MADV_PAGEOUT): %s%s", errname(e),
                    e == EINVAL ? " (Pagewise must page out on request)" : "");
    }
    if (!on_pagewise() || meminfo_kb("SwapTotal") <= 0)
        return PASS;
    long s = swapped_pages(p, must);
    CHECK(s == must, "after MADV_PAGEOUT only %ld of %ld pages are on swap (pagemap bit 62)", s, must);
    return PASS;
}

/* A child's verdict on a pipe: a fixed-size message, "" when all is well. */
struct verdict {
    char why[240];
};

/* In a child: send why (PASS: "") to the parent, then exit. */
LIBFN void child_verdict(int fd, const char *why)
{
    struct verdict v;
    memset(&v, 0, sizeof(v));
    if (why)
        snprintf(v.why, sizeof(v.why), "%s", why);
    write_all(fd, (const char *)&v, sizeof(v));
    _exit(0);
}

/* In the parent: read the child's verdict (PASS, its reason, or why none
 * came) and reap it. */
LIBFN const char *parent_verdict(int fd, pid_t pid)
{
    static struct verdict v;
    memset(&v, 0, sizeof(v));
    size_t got = 0;
    while (got < sizeof(v)) {
        ssize_t n = read(fd, (char *)&v + got, sizeof(v) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    int st = wait_for(pid);
    if (got != sizeof(v))
        return FAIL("the child sent no verdict: it %s", status_str(st));
    CHECK_EXITED(st, 0);
    if (v.why[0])
        return FAIL("in the child: %s", v.why);
    return PASS;
}

/* On Pagewise, /proc/vmcheck runs the kernel's invariant checker
 * (mm/vmcheck.c): PASS if it says "vm_check: ok", else the reason with its
 * first violation. Elsewhere (Linux) there is nothing to check: PASS. */
LIBFN const char *check_vmcheck(void)
{
    static char text[4096];
    if (!on_pagewise())
        return PASS;
    long n = slurp("/proc/vmcheck", text, sizeof(text));
    if (n < 0)
        return FAIL("/proc/vmcheck: %s", errname(errno));
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    return strncmp(text, "vm_check: ok", 12) == 0 ? PASS : FAIL("%s", text);
}

/* The last case of every full run: the kernel's books balance after all
 * the others (a leak or a miscount they caused shows here). */
static const char *vm_check_after_all(void)
{
    const char *why = check_vmcheck();
    if (why == PASS && on_pagewise()) {
        static char text[4096];
        if (slurp("/proc/vmcheck", text, sizeof(text)) > 0)
            out("# %s", text);
    }
    return why;
}

LIBFN int run_tests(int argc, char **argv, const struct test *tests, int n)
{
    int count = 0, failed = 0;

    test_argv0 = argc > 0 ? argv[0] : "";

    /* A shell that starts us in the background may have set SIGINT/SIGQUIT
     * to "ignore", and ignored signals stay ignored across fork and exec.
     * The tests that send them to children need the default action. */
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);

    /* Survive a case that crashes: report it and go on with the next one.
     * (If the kernel has no signals yet these calls fail: that's fine.) */
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = crash_handler;
        sa.sa_flags = SA_NODEFER;
        sigaction(crash_signals[i], &sa, NULL);
    }

    for (int i = 0; i < n; i++)
        count += selected(tests[i].name, argc, argv);
    const struct test final = TEST(vm_check_after_all);
    int full_run = argc < 2;
    out("TESTS %d\n", count + full_run);

    for (int i = 0; i < n; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        const char *why = run_one(&tests[i]);
        if (why == PASS) {
            out("TEST %s PASS\n", tests[i].name);
        } else {
            out("TEST %s FAIL %s\n", tests[i].name, why);
            failed++;
        }
    }
    if (full_run) {
        const char *why = run_one(&final);
        out("TEST %s %s%s\n", final.name, why == PASS ? "PASS" : "FAIL ", why == PASS ? "" : why);
        failed += why != PASS;
    }
    out("TESTS DONE\n");
    return failed ? 1 : 0;
}

#endif
