/*
 * tests/user/t_fuzz.c - 20,000 system calls with hostile arguments.
 *
 * A forked child makes random system calls, each from a list of calls that
 * cannot hurt the machine (no fork, no writes to real files, no signals to
 * anyone else), with arguments drawn from the values that break kernels:
 * 0, -1, small and huge numbers, NULL, pointers just before a page boundary
 * or the end of a mapping, into a PROT_NONE or read-only page, into the
 * kernel half (0xffffffff80100000, 0xffff888000000000), non-canonical
 * (0x8000000000000000), and valid buffers. The child may well die (it may
 * unmap its own code, or mprotect its stack): then the parent starts a new
 * child with the next seed, until 20,000 calls were made in all.
 *
 * The test passes if the parent (and the kernel) survive, and afterwards
 * fork, exec, pipes and mmap still work and free memory is back where it
 * was: every page and every object the dead children held was given back.
 *
 * The choices are fixed by the seed (printed): running the same binary again
 * makes the same sequence of calls with the same kinds of arguments (the
 * addresses of buffers differ between kernels, the choices do not). The
 * child announces each call with one byte through a pipe on fd 200 before
 * making it, so the parent knows how many were made even when a call kills
 * the child; a child that stops making progress for 5 s is killed by the
 * parent (the fuzzer may block SIGALRM in itself). `t_fuzz --trace` prints
 * every call before it is made.
 *
 * A second, deterministic case aims memory-management calls (madvise,
 * mprotect, munmap, mmap MAP_FIXED) at ranges that start at a real mapping
 * and run past the end of user space: each must be refused.
 * Run: t_fuzz [--trace] [test_name...]
 */
#include "testlib.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <termios.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define FUZZ_SEED 0x5eedf00dULL
#define FUZZ_TOTAL 20000
#define CALLS_PER_CHILD 2000
#define REPORT_FD 200    /* the child's "one byte per call" pipe to the parent */
#define WATCHDOG_S 5     /* a child that makes no progress for this long is killed */
#define DEADLINE_S 600   /* the whole case */
#define BUF_PAGES 16     /* the valid buffer */
#define POPULATE_CAP (16 * MiB)

/* ---------------------------------------------------------------------------
 * The child: its resources, and the pools arguments come from.
 * ------------------------------------------------------------------------- */

static uint64_t rng;

static int fds_pipe[4]; /* two non-blocking pipes: r, w, r, w */
static int fd_null, fd_dir, fd_exe;

static char *buf;      /* BUF_PAGES read/write pages ... */
static char *guard;    /* ... followed by a PROT_NONE page */
static char *rdonly;   /* a read-only page */
static char *stack_pt; /* somewhere in our own stack */
static long populated; /* bytes mapped with MAP_POPULATE/MAP_LOCKED so far */

static uint64_t pick(const uint64_t *pool, size_t n) { return pool[prng_below(&rng, n)]; }
#define PICK(pool) pick(pool, sizeof(pool) / sizeof(pool[0]))

static uint64_t any_number(void)
{
    static const uint64_t nums[] = {0,
                                    1,
                                    2,
                                    3,
                                    7,
                                    8,
                                    16,
                                    64,
                                    100,
                                    4095,
                                    4096,
                                    4097,
                                    65536,
                                    1 << 20,
                                    0x7fffffffULL,
                                    0x80000000ULL,
                                    0xffffffffULL,
                                    0x100000000ULL,
                                    0x7fffffffffffffffULL,
                                    0x8000000000000000ULL,
                                    (uint64_t)-1,
                                    (uint64_t)-2,
                                    (uint64_t)-4096};
    switch (prng_below(&rng, 8)) {
    case 0: return prng_next(&rng);
    case 1: return prng_next(&rng) & 0xffffffffULL;
    default: return PICK(nums);
    }
}

static uint64_t any_pointer(void)
{
    switch (prng_below(&rng, 20)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 0x1000;
    case 3: return 0x400000; /* where a static program's ELF header usually is */
    case 4: return (uint64_t)(buf + PAGE_SIZE - 1); /* crosses a page boundary */
    case 5: return (uint64_t)(guard - 1);            /* the last byte of the mapping */
    case 6: return (uint64_t)(guard - 8);
    case 7: return (uint64_t)(guard - 100);
    case 8: return (uint64_t)guard; /* PROT_NONE */
    case 9: return (uint64_t)rdonly;
    case 10: return 0xffffffff80100000ULL; /* kernel text */
    case 11: return 0xffff888000000000ULL; /* the direct map */
    case 12: return 0x8000000000000000ULL; /* non-canonical */
    case 13: return 0x0000800000000000ULL; /* just above user space */
    case 14: return (uint64_t)-1;
    case 15: return prng_below(&rng, 16) == 0 ? (uint64_t)stack_pt : (uint64_t)buf;
    case 16: return prng_next(&rng);
    default: return (uint64_t)(buf + prng_below(&rng, BUF_PAGES * PAGE_SIZE));
    }
}

static uint64_t any_length(void)
{
    static const uint64_t lens[] = {0,       1,         8,          100,        4095,          4096,
                                    4097,    8192,      65536,      1 << 20,    16 << 20,      0x7fffffffULL,
                                    1ULL << 46, (uint64_t)-1, 0x8000000000000000ULL};
    return prng_below(&rng, 6) == 0 ? any_number() : PICK(lens);
}

/* A file descriptor: one of ours, or nonsense. Never REPORT_FD. */
static long any_fd(void)
{
    long fd;
    switch (prng_below(&rng, 10)) {
    case 0: fd = fd_null; break;
    case 1: fd = fd_dir; break;
    case 2: fd = fd_exe; break;
    case 3: fd = (long)prng_below(&rng, 12); break;
    case 4: fd = (long)any_number(); break;
    case 5: fd = prng_below(&rng, 2) ? -1 : 255 + (long)prng_below(&rng, 3); break;
    default: fd = fds_pipe[prng_below(&rng, 4)]; break;
    }
    return fd == REPORT_FD || fd == 201 /* TRACE_FD */ ? -1 : fd;
}

/* An fd that may be closed or replaced: >= 3, and not REPORT_FD. */
static long any_target_fd(void)
{
    long fd = any_fd();
    if (fd >= 0 && fd < 3)
        fd += 3;
    if (fd == REPORT_FD || fd == 201 /* TRACE_FD */)
        fd = -1;
    return fd;
}

/* ioctl only on pipes and character devices (or bad fds): a random ioctl on
 * a real file system could do real harm on the host (as root). */
static int ioctl_safe(long fd)
{
    struct stat st;
    if (fd < 0 || fd > INT_MAX)
        return 1;
    if (fstat((int)fd, &st) != 0)
        return 1; /* EBADF: the kernel will say so too */
    return S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode);
}

/* Make sure a read or write on fd cannot sleep. */
static void nonblock(long fd)
{
    if (fd >= 0 && fd <= INT_MAX && fd != REPORT_FD)
        fcntl((int)fd, F_SETFL, O_NONBLOCK);
}

/* The calls. Each returns after making exactly one fuzzed system call. */
enum {
    C_READ,
    C_WRITE,
    C_CLOSE,
    C_FSTAT,
    C_LSEEK,
    C_MMAP,
    C_MUNMAP,
    C_MPROTECT,
    C_BRK,
    C_MADVISE,
    C_GETPID,
    C_DUP,
    C_DUP2,
    C_FCNTL,
    C_IOCTL,
    C_GETDENTS64,
    C_UNAME,
    C_SYSINFO,
    C_GETRUSAGE,
    C_CLOCK_GETTIME,
    C_NANOSLEEP,
    C_SCHED_YIELD,
    C_GETCWD,
    C_RT_SIGPROCMASK,
    C_KILL0,
    C_GETRANDOM,
    C_PRCTL,
    NCALLS
};

/* Record the call to make: SET(nr, args...) (fuzz_one makes it at the end,
 * after tracing it when asked to). */
#define SET(n, ...)                                                                                                    \
    do {                                                                                                               \
        uint64_t v_[] = {__VA_ARGS__};                                                                                 \
        nr = (n);                                                                                                      \
        for (size_t i_ = 0; i_ < sizeof(v_) / sizeof(v_[0]); i_++)                                                    \
            x[i_] = v_[i_];                                                                                            \
    } while (0)

/* `t_fuzz --trace`: every fuzzed call is printed (from the child, through
 * a copy of stderr) before it is made - the last line before a crash or a
 * kernel panic is the culprit. */
static int tracing;
static int trace_fd = -1;
#define TRACE_FD 201

static const char *call_name(long nr)
{
    switch (nr) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_close: return "close";
    case SYS_fstat: return "fstat";
    case SYS_lseek: return "lseek";
    case SYS_mmap: return "mmap";
    case SYS_munmap: return "munmap";
    case SYS_mprotect: return "mprotect";
    case SYS_brk: return "brk";
    case SYS_madvise: return "madvise";
    case SYS_getpid: return "getpid";
    case SYS_dup: return "dup";
    case SYS_dup2: return "dup2";
    case SYS_fcntl: return "fcntl";
    case SYS_ioctl: return "ioctl";
    case SYS_getdents64: return "getdents64";
    case SYS_uname: return "uname";
    case SYS_sysinfo: return "sysinfo";
    case SYS_getrusage: return "getrusage";
    case SYS_clock_gettime: return "clock_gettime";
    case SYS_nanosleep: return "nanosleep";
    case SYS_sched_yield: return "sched_yield";
    case SYS_getcwd: return "getcwd";
    case SYS_rt_sigprocmask: return "rt_sigprocmask";
    case SYS_kill: return "kill";
    case SYS_getrandom: return "getrandom";
    case SYS_prctl: return "prctl";
    default: return "?";
    }
}

static void fuzz_one(long index)
{
    uint64_t a, b, c, d;
    long fd;
    long nr = -1;
    uint64_t x[6] = {0, 0, 0, 0, 0, 0};

    switch (prng_below(&rng, NCALLS)) {
    case C_READ:
        fd = any_fd();
        nonblock(fd);
        SET(SYS_read, fd, any_pointer(), any_length());
        break;
    case C_WRITE: {
        switch (prng_below(&rng, 4)) {
        case 0: fd = fd_null; break;
        case 1: fd = fds_pipe[1]; break;
        case 2: fd = fds_pipe[3]; break;
        default: fd = prng_below(&rng, 2) ? -1 : fds_pipe[0]; break; /* EBADF: a read end */
        }
        nonblock(fd);
        SET(SYS_write, fd, any_pointer(), any_length());
        break;
    }
    case C_CLOSE: SET(SYS_close, any_target_fd()); break;
    case C_FSTAT: SET(SYS_fstat, any_fd(), any_pointer()); break;
    case C_LSEEK: SET(SYS_lseek, any_fd(), any_number(), (long)prng_below(&rng, 7) - 1); break;
    case C_MMAP: {
        static const uint64_t types[] = {MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, 3 /* MAP_SHARED_VALIDATE */, 0};
        static const uint64_t extra[] = {MAP_ANONYMOUS, MAP_FIXED,  MAP_FIXED_NOREPLACE, MAP_NORESERVE, MAP_POPULATE,
                                         MAP_GROWSDOWN, MAP_STACK,  MAP_LOCKED,          MAP_32BIT,     MAP_HUGETLB,
                                         MAP_ANONYMOUS, MAP_ANONYMOUS};
        uint64_t flags = PICK(types);
        int nextra = (int)prng_below(&rng, 4);
        for (int i = 0; i < nextra; i++)
            flags |= PICK(extra);
        if (prng_below(&rng, 16) == 0)
            flags |= 1ULL << prng_below(&rng, 32);
        a = prng_below(&rng, 3) == 0 ? 0 : any_pointer();
        b = any_length();
        c = prng_below(&rng, 8) == 0 ? any_number() : prng_below(&rng, 8); /* prot */
        /* MAP_POPULATE and MAP_LOCKED allocate everything at once: keep
         * those small (the host has other work to do). */
        if ((flags & (MAP_POPULATE | MAP_LOCKED)) && (b > (16 << 20) || populated + (long)b > POPULATE_CAP))
            flags &= ~(uint64_t)(MAP_POPULATE | MAP_LOCKED);
        fd = prng_below(&rng, 3) == 0 ? any_fd() : -1;
        d = prng_below(&rng, 4) == 0 ? any_number() : 0; /* offset */
        SET(SYS_mmap, a, b, c, flags, (uint64_t)fd, d);
        if (flags & (MAP_POPULATE | MAP_LOCKED))
            populated += (long)b; /* (counted even if the call fails) */
        break;
    }
    case C_MUNMAP: SET(SYS_munmap, any_pointer() & ~(uint64_t)(prng_below(&rng, 2) ? 0xfff : 0), any_length()); break;
    case C_MPROTECT:
        SET(SYS_mprotect, any_pointer() & ~(uint64_t)(prng_below(&rng, 2) ? 0xfff : 0), any_length(),
                prng_below(&rng, 8) == 0 ? any_number() : prng_below(&rng, 8));
        break;
    case C_BRK: {
        uint64_t cur = (uint64_t)syscall(SYS_brk, 0);
        static const uint64_t deltas[] = {0, 4096, (uint64_t)-4096, 1 << 20, 16 << 20, (uint64_t)-(16 << 20), 100};
        a = prng_below(&rng, 3) == 0 ? any_pointer() : cur + PICK(deltas);
        SET(SYS_brk, a);
        break;
    }
    case C_MADVISE: {
        /* Not MADV_HWPOISON / MADV_SOFT_OFFLINE (100, 101: as root they take
         * real memory out of service) nor MADV_POPULATE_* (22, 23). */
        static const uint64_t advice[] = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 99, 1000};
        SET(SYS_madvise, any_pointer() & ~(uint64_t)(prng_below(&rng, 2) ? 0xfff : 0), any_length(),
                PICK(advice));
        break;
    }
    case C_GETPID: SET(SYS_getpid, 0); break;
    case C_DUP: SET(SYS_dup, any_fd()); break;
    case C_DUP2: {
        fd = any_fd();
        if (fd >= 0 && fd < 3)
            fd = fd_null; /* never copy our stdio around */
        SET(SYS_dup2, fd, any_target_fd());
        break;
    }
    case C_FCNTL: {
        static const uint64_t cmds[] = {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK,
                                        F_DUPFD_CLOEXEC, 1032 /* F_GETPIPE_SZ */, 1031 /* F_SETPIPE_SZ */, 8, 9};
        static const uint64_t pipe_sizes[] = {0, 4096, 65536, 1 << 20, (uint64_t)-1};
        fd = any_fd();
        if (fd >= 0 && fd < 3)
            fd = fd_null;
        b = PICK(cmds);
        if (b == 1031)
            c = PICK(pipe_sizes);
        else if (b == F_DUPFD || b == F_DUPFD_CLOEXEC)
            c = prng_below(&rng, 2) ? any_number() : 3 + prng_below(&rng, 300);
        else
            c = prng_below(&rng, 2) ? any_number() : any_pointer();
        if ((b == F_DUPFD || b == F_DUPFD_CLOEXEC) && c == REPORT_FD)
            c = REPORT_FD + 1; /* lands on REPORT_FD+1 or later: harmless */
        SET(SYS_fcntl, fd, b, c);
        break;
    }
    case C_IOCTL: {
        static const uint64_t reqs[] = {TCGETS,  TCSETS,  TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO, FIOCLEX,
                                        FIONCLEX, FIOASYNC, TIOCGPGRP, TIOCSPGRP,  TIOCNOTTY, 0,       0x12345678};
        fd = prng_below(&rng, 2) ? fds_pipe[prng_below(&rng, 4)] : prng_below(&rng, 2) ? fd_null : any_fd();
        if (!ioctl_safe(fd))
            fd = fd_null;
        SET(SYS_ioctl, fd, PICK(reqs), prng_below(&rng, 2) ? any_pointer() : any_number());
        break;
    }
    case C_GETDENTS64:
        SET(SYS_getdents64, prng_below(&rng, 2) ? fd_dir : any_fd(), any_pointer(), any_length());
        break;
    case C_UNAME: SET(SYS_uname, any_pointer()); break;
    case C_SYSINFO: SET(SYS_sysinfo, any_pointer()); break;
    case C_GETRUSAGE: SET(SYS_getrusage, (long)prng_below(&rng, 5) - 2, any_pointer()); break;
    case C_CLOCK_GETTIME:
        SET(SYS_clock_gettime, prng_below(&rng, 4) == 0 ? any_number() : prng_below(&rng, 12), any_pointer());
        break;
    case C_NANOSLEEP: {
        /* A real request only if it is tiny; otherwise bad pointers or
         * invalid values (never a long sleep). */
        struct timespec *ts = (struct timespec *)(buf + 3 * PAGE_SIZE);
        switch (prng_below(&rng, 4)) {
        case 0:
            ts->tv_sec = 0;
            ts->tv_nsec = (long)prng_below(&rng, 100000);
            a = (uint64_t)ts;
            break;
        case 1:
            ts->tv_sec = 0;
            ts->tv_nsec = prng_below(&rng, 2) ? -1 : 1000000000L;
            a = (uint64_t)ts;
            break;
        case 2:
            ts->tv_sec = -1;
            ts->tv_nsec = 0;
            a = (uint64_t)ts;
            break;
        default: {
            /* Only pointers that cannot hold a timespec: any readable
             * memory might say "sleep for years". */
            const uint64_t bad[] = {0, 1, 0xffffffff80100000ULL, 0xffff888000000000ULL, 0x8000000000000000ULL,
                                    0x0000800000000000ULL, (uint64_t)-1, (uint64_t)(guard - 8)};
            a = PICK(bad);
        }
        }
        SET(SYS_nanosleep, a, any_pointer());
        break;
    }
    case C_SCHED_YIELD: SET(SYS_sched_yield, 0); break;
    case C_GETCWD: SET(SYS_getcwd, any_pointer(), any_length()); break;
    case C_RT_SIGPROCMASK: {
        static const uint64_t sizes[] = {8, 8, 8, 4, 16, 0, (uint64_t)-1};
        SET(SYS_rt_sigprocmask, (long)prng_below(&rng, 5) - 1, any_pointer(), any_pointer(), PICK(sizes));
        break;
    }
    case C_KILL0: SET(SYS_kill, getpid(), 0); break;
    case C_GETRANDOM: {
        static const uint64_t lens[] = {0, 1, 16, 256, 4096, 65536, 1 << 20, (uint64_t)-1, 0x80000000ULL};
        static const uint64_t flags[] = {0, 1, 2, 3, 4, 7, 0x80};
        SET(SYS_getrandom, any_pointer(), PICK(lens), PICK(flags));
        break;
    }
    case C_PRCTL: {
        static const uint64_t opts[] = {PR_GET_NAME, PR_SET_NAME, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_PDEATHSIG,
                                        PR_GET_TIMERSLACK, PR_GET_NO_NEW_PRIVS, PR_SET_NO_NEW_PRIVS};
        a = prng_below(&rng, 3) == 0 ? prng_below(&rng, 70) : PICK(opts);
        if (a == PR_SET_TIMERSLACK) /* a huge slack turns a 100 us nanosleep into years */
            a = PR_GET_TIMERSLACK;
        SET(SYS_prctl, a, prng_below(&rng, 2) ? any_pointer() : any_number(), any_number(), any_number(),
                any_number());
        break;
    }
    }
    if (nr < 0)
        return;
    if (trace_fd >= 0) {
        char line[200];
        int n = snprintf(line, sizeof(line), "# fuzz call %ld: %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx)\n", index,
                         call_name(nr), (unsigned long long)x[0], (unsigned long long)x[1], (unsigned long long)x[2],
                         (unsigned long long)x[3], (unsigned long long)x[4], (unsigned long long)x[5]);
        write(trace_fd, line, (size_t)n);
    }
    syscall(nr, x[0], x[1], x[2], x[3], x[4], x[5]);
}

/* The child: set up, then `calls` fuzzed calls, each announced first with
 * one byte on REPORT_FD. Exits 0 when done (if it survives). */
static void fuzz_child(uint64_t seed, int report_fd, int calls)
{
    volatile char here[64];
    int p[2];

    stack_pt = (char *)here;
    rng = seed;
    if (dup2(report_fd, REPORT_FD) != REPORT_FD)
        _exit(2);
    close(report_fd);
    trace_fd = tracing && dup2(2, TRACE_FD) == TRACE_FD ? TRACE_FD : -1;
    if (trace_fd >= 0) {
        char line[80];
        int n = snprintf(line, sizeof(line), "# fuzz child pid %d, seed 0x%llx\n", (int)getpid(),
                         (unsigned long long)seed);
        write(trace_fd, line, (size_t)n);
    }
    fd_null = open("/dev/null", O_RDWR);
    if (fd_null < 0)
        _exit(3);
    /* Nothing the fuzzer does may reach the console. */
    dup2(fd_null, 0);
    dup2(fd_null, 1);
    dup2(fd_null, 2);
    for (int i = 0; i < 2; i++) {
        if (pipe2(p, O_NONBLOCK) != 0)
            _exit(4);
        fds_pipe[2 * i] = p[0];
        fds_pipe[2 * i + 1] = p[1];
        write(p[1], "some bytes", 10);
    }
    fd_dir = open("/", O_RDONLY | O_DIRECTORY);
    const char *self = self_path();
    fd_exe = self ? open(self, O_RDONLY) : -1;
    buf = mmap(NULL, (BUF_PAGES + 2) * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        _exit(5);
    guard = buf + BUF_PAGES * PAGE_SIZE;
    rdonly = guard + PAGE_SIZE;
    memset(buf, 0x41, BUF_PAGES * PAGE_SIZE);
    if (mprotect(guard, PAGE_SIZE, PROT_NONE) != 0 || mprotect(rdonly, PAGE_SIZE, PROT_READ) != 0)
        _exit(6);
    populated = 0;

    for (int i = 0; i < calls; i++) {
        if (write(REPORT_FD, "x", 1) != 1)
            _exit(7);
        fuzz_one(i);
    }
    _exit(0);
}

/* ---------------------------------------------------------------------------
 * The parent.
 * ------------------------------------------------------------------------- */

static volatile pid_t fuzz_pid;
static volatile sig_atomic_t watchdog_kills;

static void watchdog(int sig)
{
    (void)sig;
    if (fuzz_pid > 0) {
        kill(fuzz_pid, SIGKILL);
        watchdog_kills++;
    }
}

#define FREE_SLACK (2 * MiB)
#define FREE_SLACK_LINUX (16 * MiB) /* per-CPU page lists and caches, see t_proc.c */

struct fuzz_stats {
    long calls, children, exited_ok, by_signal[65], other;
};

/* Run children until FUZZ_TOTAL calls were made. */
static const char *fuzz_run(struct fuzz_stats *fs)
{
    struct sigaction sa, old;
    long long t0 = now_ns();

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = watchdog; /* no SA_RESTART: the parent's read returns EINTR */
    sigaction(SIGALRM, &sa, &old);

    const char *why = PASS;
    while (fs->calls < FUZZ_TOTAL && why == PASS) {
        int rep[2];
        if (pipe(rep) != 0) {
            why = FAIL("pipe: %s (after %ld calls)", errname(errno), fs->calls);
            break;
        }
        int calls = CALLS_PER_CHILD;
        if (calls > FUZZ_TOTAL - fs->calls)
            calls = (int)(FUZZ_TOTAL - fs->calls);
        pid_t pid = fork_child();
        if (pid == 0) {
            close(rep[0]);
            fuzz_child(FUZZ_SEED + (uint64_t)fs->children, rep[1], calls);
        }
        close(rep[1]);
        if (pid == -1) {
            close(rep[0]);
            why = FAIL("fork: %s (after %ld calls in %ld children)", errname(errno), fs->calls, fs->children);
            break;
        }
        fuzz_pid = pid;
        long got = 0;
        char chunk[4096];
        for (;;) {
            alarm(WATCHDOG_S);
            ssize_t n = read(rep[0], chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue; /* the watchdog killed the child: EOF comes next */
            if (n <= 0)
                break;
            got += n;
            if (got > calls) { /* more reports than calls: it went wild */
                kill(pid, SIGKILL);
                got = calls;
            }
        }
        alarm(0);
        close(rep[0]);
        int st = wait_for(pid);
        fuzz_pid = 0;
        fs->children++;
        fs->calls += got > 0 ? got : 1; /* a child that died at once still counts one */
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            fs->exited_ok++;
        else if (st != -1 && WIFSIGNALED(st))
            fs->by_signal[WTERMSIG(st) & 63]++;
        else
            fs->other++;
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) >= 2 && WEXITSTATUS(st) <= 7 && got == 0)
            why = FAIL("the fuzz child could not set itself up (exit status %d)", WEXITSTATUS(st));
        if (now_ns() - t0 > DEADLINE_S * 1000000000LL)
            why = FAIL("only %ld calls after %d s", fs->calls, DEADLINE_S);
    }
    sigaction(SIGALRM, &old, NULL);
    alarm(CASE_TIMEOUT);
    return why;
}

static const char *self;

/* Is the system still all right? fork, exec, pipe, mmap. */
static const char *still_works(void)
{
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork after fuzzing: %s", errname(errno));
    if (pid == 0)
        _exit(7);
    int st = wait_for(pid);
    CHECK_EXITED(st, 7);

    pid = fork_child();
    CHECK(pid != -1, "fork after fuzzing: %s", errname(errno));
    if (pid == 0) {
        char *argv[] = {(char *)self, "@exit", "5", NULL};
        execv(self, argv);
        _exit(127);
    }
    st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 127), "execve after fuzzing failed");
    CHECK_EXITED(st, 5);

    int p[2];
    char b[8];
    CHECK(pipe(p) == 0, "pipe after fuzzing: %s", errname(errno));
    CHECK(write(p[1], "ping", 4) == 4 && read(p[0], b, sizeof(b)) == 4 && memcmp(b, "ping", 4) == 0,
          "a pipe after fuzzing does not carry bytes");
    close(p[0]);
    close(p[1]);

    char *m = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap after fuzzing: %s", errname(errno));
    touch_pages(m, 1 * MiB, 3);
    CHECK(m[1 * MiB - 1] == 0 && m[PAGE_SIZE] == 3, "fresh memory after fuzzing has the wrong contents");
    CHECK_OK(munmap(m, 1 * MiB));
    return PASS;
}

static const char *fuzz_20000_calls(void)
{
    struct fuzz_stats fs;
    const long slack = on_pagewise() ? FREE_SLACK : FREE_SLACK_LINUX;

    self = self_path();
    CHECK(self, "cannot find our own program file");
    memset(&fs, 0, sizeof(fs));
    out("# t_fuzz: seed 0x%llx, %d calls, %d per child\n", (unsigned long long)FUZZ_SEED, FUZZ_TOTAL, CALLS_PER_CHILD);

    /* Warm up (the kernel's caches for processes, pipes, mappings). */
    const char *why = still_works();
    if (why != PASS)
        return why;
    long long free0 = freeram();

    why = fuzz_run(&fs);
    char sigs[200] = "";
    for (int s = 1; s < 65; s++)
        if (fs.by_signal[s]) {
            size_t l = strlen(sigs);
            snprintf(sigs + l, sizeof(sigs) - l, " %s x%ld", signame(s), fs.by_signal[s]);
        }
    out("# t_fuzz: %ld calls in %ld children: %ld finished, killed by:%s; %ld other; %d watchdog kills\n", fs.calls,
        fs.children, fs.exited_ok, sigs[0] ? sigs : " none", fs.other, (int)watchdog_kills);
    if (why != PASS)
        return why;
    /* Everything reaped? */
    CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);

    if ((why = still_works()) != PASS)
        return why;
    long long lost = free0 - freeram();
    for (int i = 0; i < 5 && lost > slack; i++) { /* Linux: let caches settle */
        sleep_ms(200);
        lost = free0 - freeram();
    }
    out("# t_fuzz: freeram %lld KiB lower than before\n", lost / KiB);
    CHECK(lost <= slack, "after fuzzing, freeram is %lld KiB lower than before (allowed: %ld KiB)", lost / KiB,
          slack / KiB);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * The same idea, deterministic: memory-management calls whose range starts
 * at a real mapping and runs past the end of user space (into the
 * non-canonical hole, the kernel half, or around zero). Linux refuses all of
 * them (EINVAL, ENOMEM or EACCES, depending on the call and on what lies in
 * the range); the kernel must never act on the part beyond user space.
 * ------------------------------------------------------------------------- */

/* The call is made by a few instructions that use no stack and no libc:
 * the range may legitimately take our own stack with it (Linux applies
 * madvise and mprotect VMA by VMA and fails at the first hole), so the
 * result is written to the pipe straight from registers and .bss, and the
 * child exits. args: {nr, a1..a6, report fd}. */
uint64_t pw_range_args[8];
int64_t pw_range_result;
void pw_range_call(void) __attribute__((noreturn));

__asm__(".text\n"
        ".globl pw_range_call\n"
        ".type pw_range_call,@function\n"
        "pw_range_call:\n"
        "    lea pw_range_args(%rip), %r11\n"
        "    mov 0(%r11), %rax\n"
        "    mov 8(%r11), %rdi\n"
        "    mov 16(%r11), %rsi\n"
        "    mov 24(%r11), %rdx\n"
        "    mov 32(%r11), %r10\n"
        "    mov 40(%r11), %r8\n"
        "    mov 48(%r11), %r9\n"
        "    syscall\n"
        "    mov %rax, pw_range_result(%rip)\n"
        "    mov pw_range_args+56(%rip), %rdi\n"
        "    lea pw_range_result(%rip), %rsi\n"
        "    mov $8, %edx\n"
        "    mov $1, %eax\n" /* write(fd, &result, 8) */
        "    syscall\n"
        "    mov $60, %eax\n" /* exit(0) */
        "    xor %edi, %edi\n"
        "    syscall\n"
        "    ud2\n"
        ".size pw_range_call, .-pw_range_call\n");

enum { R_DONTNEED, R_FREE, R_NORMAL, R_WILLNEED, R_MPROTECT_RW, R_MPROTECT_NONE, R_MUNMAP, R_MMAP_FIXED, NRANGE_CALLS };
static const char *const range_names[NRANGE_CALLS] = {
    "madvise(MADV_DONTNEED)", "madvise(MADV_FREE)",  "madvise(MADV_NORMAL)", "madvise(MADV_WILLNEED)",
    "mprotect(PROT_READ|PROT_WRITE)", "mprotect(PROT_NONE)", "munmap", "mmap(MAP_FIXED)"};

/* Make call number `call` on [addr, addr+len) in a child; returns the raw
 * result (-errno on failure), or 1 if the child reported nothing. */
static long range_call(int call, uint64_t addr, uint64_t len, int *status)
{
    static const uint64_t args[NRANGE_CALLS][5] = {
        {SYS_madvise, MADV_DONTNEED}, {SYS_madvise, 8 /* MADV_FREE */}, {SYS_madvise, MADV_NORMAL},
        {SYS_madvise, MADV_WILLNEED}, {SYS_mprotect, PROT_READ | PROT_WRITE}, {SYS_mprotect, PROT_NONE},
        {SYS_munmap, 0},              {SYS_mmap, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0}};
    int p[2];
    int64_t result = 1;

    *status = -1;
    if (pipe(p) != 0)
        return 1;
    pid_t pid = fork_child();
    if (pid == 0) {
        close(p[0]);
        pw_range_args[0] = args[call][0];
        pw_range_args[1] = addr;
        pw_range_args[2] = len;
        pw_range_args[3] = args[call][1];
        pw_range_args[4] = args[call][2];
        pw_range_args[5] = args[call][3];
        pw_range_args[6] = args[call][4];
        pw_range_args[7] = (uint64_t)p[1];
        pw_range_call();
    }
    close(p[1]);
    if (pid > 0) {
        if (read(p[0], &result, sizeof(result)) != (ssize_t)sizeof(result))
            result = 1;
        *status = wait_for(pid);
    }
    close(p[0]);
    return (long)result;
}

static const char *fuzz_ranges_past_user_space(void)
{
    static char bad[128][200];
    int nbad = 0, ntried = 0;

    char *buf = mmap(NULL, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(buf != MAP_FAILED, "mmap: %s", errname(errno));
    memset(buf, 1, 16 * PAGE_SIZE);
    uint64_t b = (uint64_t)buf;
    const uint64_t ends[] = {
        0x0000800000000000ULL + PAGE_SIZE, /* one page past the end of user space */
        0x0000c00000000000ULL,             /* the non-canonical hole */
        0xffff888000000000ULL,             /* the direct map */
        0xffff888000001000ULL,
        0xffffffff80100000ULL, /* kernel text */
        0xfffffffffffff000ULL, /* the last page */
    };
    const uint64_t lens[] = {1ULL << 46, 0x8000000000000000ULL, (uint64_t)-4096 /* wraps around zero */};
    const size_t nends = sizeof(ends) / sizeof(ends[0]), nlens = sizeof(lens) / sizeof(lens[0]);

    for (size_t i = 0; i < nends + nlens; i++) {
        uint64_t len = i < nends ? ends[i] - b : lens[i - nends];
        for (int call = 0; call < NRANGE_CALLS; call++) {
            int st;
            long r = range_call(call, b, len, &st);
            ntried++;
            const char *why = NULL;
            char what[160];
            if (r == 1)
                snprintf(what, sizeof(what), "reported nothing (child %s)", status_str(st));
            else if (r != -EINVAL && r != -ENOMEM && r != -EACCES)
                snprintf(what, sizeof(what), "returned %ld (%s)", r < 0 ? -1 : r, r < 0 ? errname((int)-r) : "success");
            else
                continue;
            why = what;
            if (nbad < 128) {
                snprintf(bad[nbad], sizeof(bad[nbad]), "%s(%p, 0x%llx) (range end 0x%llx) %s", range_names[call],
                         (void *)buf, (unsigned long long)len, (unsigned long long)(b + len), why);
                out("# fuzz_ranges_past_user_space: %s\n", bad[nbad]);
                nbad++;
            }
        }
    }
    int intact = 1;
    for (long i = 0; i < 16 * PAGE_SIZE; i += PAGE_SIZE)
        intact &= buf[i] == 1;
    munmap(buf, 16 * PAGE_SIZE);
    CHECK(nbad == 0,
          "%d of %d calls on ranges past the end of user space were not refused with EINVAL, ENOMEM or EACCES; the "
          "first: %s",
          nbad, ntried, bad[0]);
    CHECK(intact, "the test process's own buffer changed");
    return PASS;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(fuzz_ranges_past_user_space),
    TEST(fuzz_20000_calls),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "@exit") == 0)
        return atoi(argv[2]);
    /* "--trace" anywhere: trace the fuzzed calls (and not a test name). */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--trace") == 0) {
            tracing = 1;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(char *));
            argc--;
            i--;
        }
    return run_tests(argc, argv, tests, NTESTS(tests));
}
