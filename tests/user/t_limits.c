/*
 * tests/user/t_limits.c - limits on processes and files, and the OOM
 * killer's knobs, as Linux has them:
 *
 *   - /proc/sys/kernel/threads-max comes from RAM (one task per 128 KiB)
 *     and stops everyone, root too: a root fork bomb gets EAGAIN, nothing
 *     is OOM-killed, and once it is gone fork works again;
 *   - RLIMIT_NPROC counts a user's processes (not root's); a setuid to a
 *     user already over it makes the next execve fail with EAGAIN;
 *   - RLIMIT_NOFILE: EMFILE at the soft limit, EBADF/EINVAL for targets
 *     above it;
 *   - setrlimit/prlimit64's rules, inheritance by fork, survival of exec;
 *   - /proc/<pid>/oom_score and oom_score_adj.
 *
 * The fork bomb runs only on Pagewise (on Linux it would fill the build
 * machine with processes: there threads-max is in the hundreds of
 * thousands). Writing threads-max runs only on Pagewise too (it would
 * change the build machine). Everything else passes natively as root.
 */
#include "testlib.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/prctl.h>

#define NOBODY 65534          /* the unprivileged user of these tests */
#define NPROC_LIMIT 16        /* RLIMIT_NPROC given to NOBODY */
#define NOFILE_LIMIT 10       /* RLIMIT_NOFILE of the EMFILE case */
#define MIN_THREADS 20        /* Linux's floor for threads-max */
#define THREAD_BUDGET (128 * KiB) /* RAM per task in Linux's formula: 8 * THREAD_SIZE (16 KiB) */
#define BOMB_FANOUT 8         /* children per bomb process ... */
#define BOMB_DEPTH 5          /* ... and generations: 8^5 = 32768, past any threads-max we boot */
#define BOMB_TIMEOUT 120      /* seconds: a thousand forks and exits take 10 under vmcheck=16 */
#define NR_OPEN_LINUX 1048576 /* fs.nr_open's default: the ceiling of RLIMIT_NOFILE */

/* ---- helpers ---- */

/* An integer from a /proc file, or -1. */
static long long read_number(const char *path)
{
    char buf[64];
    if (slurp(path, buf, sizeof(buf)) <= 0)
        return -1;
    return strtoll(buf, NULL, 10);
}

/* Write text to a /proc file in one write: 0, or -1 with errno (from
 * open or write). */
static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int set_adj(const char *who, int adj)
{
    char path[64], text[16];
    snprintf(path, sizeof(path), "/proc/%s/oom_score_adj", who);
    snprintf(text, sizeof(text), "%d\n", adj);
    return write_text(path, text);
}

/* Processes whose real uid is uid (from /proc/<pid>/status), or -1. */
static long count_uid_processes(unsigned uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], text[4096];
        long long u;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
        if (slurp(path, text, sizeof(text)) > 0 && text_field(text, "Uid", &u) && u == uid)
            n++;
    }
    closedir(d);
    return n;
}

/* Numeric entries of /proc: every task (Pagewise lists kernel threads and
 * zombies there too), or -1. */
static long count_tasks(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
    return n;
}

static int exit_zero(void) { return 0; }

#define CAP_SYS_RESOURCE 24

/* May we raise hard limits and lower oom_score_adj (CAP_SYS_RESOURCE)?
 * Root on Pagewise may; natively a container's root may lack it. */
static int has_sys_resource(void)
{
    char text[4096];
    if (on_pagewise())
        return geteuid() == 0;
    char *cap = slurp("/proc/self/status", text, sizeof(text)) > 0 ? strstr(text, "CapEff:") : NULL;
    return cap && (strtoull(cap + strlen("CapEff:"), NULL, 16) >> CAP_SYS_RESOURCE & 1);
}

static int become_nobody(void) { return setgid(NOBODY) == 0 && setuid(NOBODY) == 0 ? 0 : -1; }

static long prlimit64_(pid_t pid, int res, const struct rlimit *nw, struct rlimit *old)
{
    return syscall(SYS_prlimit64, pid, res, nw, old);
}

/* ---- threads-max ---- */

static const char *limits_threads_max_sane(void)
{
    long long tmax = read_number("/proc/sys/kernel/threads-max");
    CHECK(tmax >= MIN_THREADS, "threads-max reads %lld", tmax);
    struct sysinfo si;
    CHECK_OK(sysinfo(&si));
    long long ram = (long long)si.totalram * (si.mem_unit ? si.mem_unit : 1);
    long long want = ram / THREAD_BUDGET < MIN_THREADS ? MIN_THREADS : ram / THREAD_BUDGET;
    /* Linux computes it once at boot, from a RAM total that moves a little afterwards. */
    CHECK(tmax >= want - want / 20 && tmax <= want + want / 20,
          "threads-max %lld, but RAM %lld KiB / 128 KiB = %lld", tmax, ram / KiB, want);
    if (on_pagewise()) { /* natively our limits are whatever the login gave us */
        struct rlimit rl;
        CHECK_OK(getrlimit(RLIMIT_NPROC, &rl));
        CHECK(rl.rlim_cur == (rlim_t)tmax / 2 && rl.rlim_max == (rlim_t)tmax / 2,
              "init's RLIMIT_NPROC is %lu/%lu, expected threads-max/2 = %lld", (unsigned long)rl.rlim_cur,
              (unsigned long)rl.rlim_max, tmax / 2);
        CHECK_OK(getrlimit(RLIMIT_SIGPENDING, &rl));
        CHECK(rl.rlim_cur == (rlim_t)tmax / 2, "RLIMIT_SIGPENDING %lu", (unsigned long)rl.rlim_cur);
    }
    return PASS;
}

static int write_threads_max_as_nobody(void)
{
    if (become_nobody() != 0)
        return 2;
    errno = 0;
    return write_text("/proc/sys/kernel/threads-max", "100\n") == -1 && errno == EACCES ? 0 : 1;
}

/* Root may set it within [1, 0x3fffffff]; nobody else may. */
static const char *limits_threads_max_write(void)
{
    CHECK_EXITED(run_in_child(write_threads_max_as_nobody), 0);
    if (!on_pagewise())
        return PASS; /* not on the build machine */
    long long tmax = read_number("/proc/sys/kernel/threads-max");
    char text[32];
    CHECK_ERRNO(write_text("/proc/sys/kernel/threads-max", "0\n"), EINVAL);
    CHECK_ERRNO(write_text("/proc/sys/kernel/threads-max", "1073741824\n"), EINVAL);
    CHECK_ERRNO(write_text("/proc/sys/kernel/threads-max", "many\n"), EINVAL);
    CHECK_OK(write_text("/proc/sys/kernel/threads-max", "12345\n"));
    CHECK(read_number("/proc/sys/kernel/threads-max") == 12345, "threads-max not written");
    snprintf(text, sizeof(text), "%lld\n", tmax);
    CHECK_OK(write_text("/proc/sys/kernel/threads-max", text));
    CHECK(read_number("/proc/sys/kernel/threads-max") == tmax, "threads-max not restored");
    return PASS;
}

/* ---- the fork bomb ---- */

/* What the bomb's processes tell the test, on one pipe. A child is
 * announced before the fork that makes it, so the announcement is in the
 * pipe before anything the child writes: the count of processes still
 * running cannot reach 0 while one is. */
enum bomb_msg { BOMB_ANNOUNCE, BOMB_REFUSED, BOMB_DONE };

struct bomb_report {
    int msg; /* enum bomb_msg */
    int err; /* BOMB_REFUSED: fork's errno */
};

static void bomb_send(int fd, int msg, int err)
{
    struct bomb_report r = {msg, err};
    write_all(fd, (const char *)&r, sizeof(r));
}

/* One process of the bomb: fork up to BOMB_FANOUT children (each starts
 * over as a bomb process one generation deeper) until fork fails, say it
 * is done, wait for the release (EOF), then reap its children. Exits 0
 * if every child and grandchild exited 0. */
static void bomb_process(int report_fd, int release_fd)
{
    int forks = 0;
    for (int depth = 0; depth < BOMB_DEPTH && forks < BOMB_FANOUT;) {
        bomb_send(report_fd, BOMB_ANNOUNCE, 0);
        pid_t pid = fork();
        if (pid == 0) { /* the child: a bomb process of its own */
            forks = 0;
            depth++;
            continue;
        }
        if (pid < 0) {
            bomb_send(report_fd, BOMB_REFUSED, errno);
            break;
        }
        forks++;
    }
    bomb_send(report_fd, BOMB_DONE, 0);
    char c;
    while (read(release_fd, &c, 1) < 0 && errno == EINTR)
        ;
    int bad = 0, st;
    for (int i = 0; i < forks; i++)
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad = 1;
    _exit(bad);
}

/* Read the bomb's messages until no bomb process is still forking.
 * Fills the totals; -1 if the pipe ended first (a process died). */
static int collect_reports(int fd, long *procs, long *eagain, long *other, int *other_err)
{
    long running = 1; /* the first bomb process, forked by the test */
    while (running > 0) {
        struct bomb_report r;
        size_t got = 0;
        while (got < sizeof(r)) {
            ssize_t n = read(fd, (char *)&r + got, sizeof(r) - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
            got += (size_t)n;
        }
        running += r.msg == BOMB_ANNOUNCE ? 1 : -1;
        *procs += r.msg == BOMB_DONE;
        *eagain += r.msg == BOMB_REFUSED && r.err == EAGAIN;
        if (r.msg == BOMB_REFUSED && r.err != EAGAIN) {
            (*other)++;
            *other_err = r.err;
        }
    }
    return 0;
}

/* A root fork bomb stops at threads-max with EAGAIN: nobody is killed,
 * every bomb process ends normally, and a fork afterwards works. */
static const char *limits_fork_bomb_refused(void)
{
    if (!on_pagewise()) {
        out("# limits_fork_bomb_refused: Pagewise only (it would fork-bomb this machine)\n");
        return PASS;
    }
    alarm(BOMB_TIMEOUT);
    long long tmax = read_number("/proc/sys/kernel/threads-max"), kills = vmstat_get("oom_kill");
    out("# before the bomb: MemFree %lld kB\n", meminfo_kb("MemFree"));
    long before = count_tasks();
    int report[2], release[2];
    CHECK_OK(pipe(report));
    CHECK_OK(pipe(release));
    pid_t bomb = fork();
    CHECK(bomb >= 0, "fork: %s", errname(errno));
    if (bomb == 0) {
        close(report[0]);
        close(release[1]);
        bomb_process(report[1], release[0]);
    }
    close(report[1]);
    close(release[0]);
    long procs = 0, eagain = 0, other = 0;
    int other_err = 0;
    int ok = collect_reports(report[0], &procs, &eagain, &other, &other_err);
    long during = count_tasks();
    long long free_kb = meminfo_kb("MemFree");
    close(release[1]); /* EOF: every bomb process may go */
    int st = wait_for(bomb);
    close(report[0]);
    CHECK(ok == 0, "a bomb process never reported (killed?) after %ld reports", procs);
    CHECK(other == 0, "%ld forks failed with %s, not EAGAIN", other, errname(other_err));
    CHECK(eagain > 0, "no fork was refused: %ld bomb processes", procs);
    CHECK(before + procs == tmax, "%ld tasks before + %ld bomb processes != threads-max %lld", before, procs, tmax);
    CHECK(during == tmax, "/proc listed %ld tasks at the top, threads-max is %lld", during, tmax);
    CHECK_EXITED(st, 0);
    CHECK(vmstat_get("oom_kill") == kills, "the OOM killer ran %lld times", vmstat_get("oom_kill") - kills);
    CHECK_EXITED(run_in_child(exit_zero), 0); /* fork works again */
    out("# fork bomb: %ld processes (threads-max %lld, %ld tasks before), %ld forks refused with EAGAIN; "
        "MemFree %lld kB at the top, %lld kB after\n", procs, tmax, before, eagain, free_kb, meminfo_kb("MemFree"));
    return PASS;
}

/* ---- RLIMIT_NPROC ---- */

/* As NOBODY with RLIMIT_NPROC = 16: fork until refused, report how many
 * worked and the errno, then hold the children until released. */
static void nproc_filler(int report_fd, int release_fd)
{
    struct rlimit rl = {NPROC_LIMIT, NPROC_LIMIT};
    long res[2] = {-1, 0}; /* forks that worked, errno of the one that did not */
    if (setrlimit(RLIMIT_NPROC, &rl) != 0 || become_nobody() != 0) {
        write_all(report_fd, (const char *)res, sizeof(res));
        _exit(2);
    }
    res[0] = 0;
    for (int i = 0; i < 2 * NPROC_LIMIT; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char c;
            while (read(release_fd, &c, 1) < 0 && errno == EINTR)
                ;
            _exit(0);
        }
        if (pid < 0) {
            res[1] = errno;
            break;
        }
        res[0]++;
    }
    write_all(report_fd, (const char *)res, sizeof(res));
    char c;
    while (read(release_fd, &c, 1) < 0 && errno == EINTR)
        ;
    while (wait(NULL) > 0)
        ;
    _exit(0);
}

/* A root process that becomes NOBODY while NOBODY has more processes than
 * this one's RLIMIT_NPROC (16 against 15): setuid works (Linux 6.1 only
 * marks the process), the next execve fails with EAGAIN before it even
 * looks at the path. */
static int setuid_then_exec(void)
{
    struct rlimit rl = {NPROC_LIMIT - 1, NPROC_LIMIT - 1};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0)
        return 2;
    if (become_nobody() != 0)
        return 3;
    char *argv[] = {"nonexistent", NULL};
    execve("/nonexistent/program", argv, NULL);
    return errno == EAGAIN ? 0 : errno == ENOENT ? 4 : 5;
}

/* RLIMIT_NPROC 16 for uid 65534: 16 processes of that user, the 17th fork
 * fails with EAGAIN; a setuid into that user is caught at execve. */
static const char *limits_nproc_per_user(void)
{
    long already = count_uid_processes(NOBODY); /* natively someone else may run as nobody */
    CHECK(already >= 0 && already < NPROC_LIMIT - 1, "%ld processes of uid %d already", already, NOBODY);
    int report[2], release[2];
    CHECK_OK(pipe(report));
    CHECK_OK(pipe(release));
    pid_t filler = fork_child();
    CHECK(filler >= 0, "fork: %s", errname(errno));
    if (filler == 0) {
        close(report[0]);
        close(release[1]);
        nproc_filler(report[1], release[0]);
    }
    close(report[1]);
    close(release[0]);
    long res[2] = {-1, -1};
    ssize_t n = read(report[0], res, sizeof(res));
    int exec_status = run_in_child(setuid_then_exec); /* while the 16 exist */
    close(release[1]);
    close(report[0]);
    int st = wait_for(filler);
    CHECK(n == (ssize_t)sizeof(res) && res[0] >= 0, "the filler could not set up (%s)", status_str(st));
    CHECK(res[0] == NPROC_LIMIT - 1 - already, "%ld forks worked beside %ld + 1 processes of uid %d (limit %d)",
          res[0], already, NOBODY, NPROC_LIMIT);
    CHECK(res[1] == EAGAIN, "the refused fork failed with %s, expected EAGAIN", errname((int)res[1]));
    CHECK_EXITED(st, 0);
    CHECK(exec_status != -1 && WIFEXITED(exec_status) && WEXITSTATUS(exec_status) == 0,
          "execve after setuid into a user at its limit: child %s (4: ENOENT, not EAGAIN)", status_str(exec_status));
    return PASS;
}

static int root_forks_past_nproc(void)
{
    struct rlimit rl = {1, 1};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0)
        return 2;
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return 3;
        if (pid == 0)
            _exit(0);
        if (wait_for(pid) != 0)
            return 4;
    }
    return 0;
}

/* Root is not counted against RLIMIT_NPROC (Linux: INIT_USER). */
static const char *limits_nproc_not_for_root(void)
{
    CHECK_EXITED(run_in_child(root_forks_past_nproc), 0);
    return PASS;
}

/* ---- RLIMIT_NOFILE ---- */

/* Is descriptor fd open? */
static int fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static int nofile_child(void)
{
    struct rlimit rl = {NOFILE_LIMIT, NOFILE_LIMIT};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 2;
    int opened = 0;
    for (int fd = 0; fd < NOFILE_LIMIT; fd++)
        opened += fd_open(fd);
    while (open("/dev/null", O_RDONLY) >= 0)
        opened++;
    if (errno != EMFILE)
        return 3;
    if (opened != NOFILE_LIMIT) /* the 11th descriptor is the one refused */
        return 4;
    int p[2];
    if (dup(0) != -1 || errno != EMFILE || pipe(p) != -1 || errno != EMFILE)
        return 5;
    if (fcntl(0, F_DUPFD, 5) != -1 || errno != EMFILE)
        return 6;
    if (fcntl(0, F_DUPFD, NOFILE_LIMIT) != -1 || errno != EINVAL) /* at the limit: EINVAL */
        return 7;
    if (dup2(0, NOFILE_LIMIT) != -1 || errno != EBADF || dup3(0, NOFILE_LIMIT, 0) != -1 || errno != EBADF)
        return 8;
    close(NOFILE_LIMIT - 1);
    if (pipe(p) != -1 || errno != EMFILE) /* one free descriptor is not enough for a pipe */
        return 9;
    if (dup2(0, NOFILE_LIMIT - 1) != NOFILE_LIMIT - 1)
        return 10;
    return 0;
}

/* RLIMIT_NOFILE 10: ten descriptors, then EMFILE (open, dup, pipe,
 * F_DUPFD); dup2/dup3 to 10 is EBADF, F_DUPFD from 10 EINVAL. */
static const char *limits_nofile_emfile(void)
{
    int st = run_in_child(nofile_child);
    CHECK_EXITED(st, 0);
    return PASS;
}

static int nofile_high_child(void)
{
    struct rlimit rl = {4096, 4096}, huge = {NR_OPEN_LINUX + 1, NR_OPEN_LINUX + 1};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) /* programs ask for this; it must work */
        return 2;
    if (setrlimit(RLIMIT_NOFILE, &huge) != -1 || errno != EPERM) /* above fs.nr_open: even root */
        return 3;
    return 0;
}

/* A program may set RLIMIT_NOFILE to 4096; above nr_open is EPERM. */
static const char *limits_nofile_high(void)
{
    CHECK_EXITED(run_in_child(nofile_high_child), 0);
    return PASS;
}

/* ---- setrlimit / prlimit64 ---- */

static int rules_as_nobody(void)
{
    struct rlimit rl = {64, 128}, got;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || become_nobody() != 0)
        return 2;
    rl = (struct rlimit){128, 256};
    if (setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EPERM) /* raising the hard limit */
        return 3;
    rl = (struct rlimit){128, 128};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) /* soft up to hard: anyone */
        return 4;
    rl = (struct rlimit){32, 100};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &got) != 0 || got.rlim_max != 100)
        return 5;
    rl = (struct rlimit){32, 128};
    if (setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EPERM) /* and not back up */
        return 6;
    if (prlimit64_(1, RLIMIT_NOFILE, NULL, &got) != -1 || errno != EPERM) /* init is root's */
        return 7;
    return 0;
}

static int rules_as_root(void)
{
    struct rlimit rl = {200, 100}, got;
    if (setrlimit(RLIMIT_CORE, &rl) != -1 || errno != EINVAL) /* soft above hard */
        return 2;
    rl = (struct rlimit){0, 4096};
    if (setrlimit(RLIMIT_CORE, &rl) != 0 || getrlimit(RLIMIT_CORE, &got) != 0 || got.rlim_cur != 0 ||
        got.rlim_max != 4096)
        return 3;
    rl = (struct rlimit){0, 8192};
    if (has_sys_resource() && setrlimit(RLIMIT_CORE, &rl) != 0) /* root raises it back up */
        return 4;
    return 0;
}

/* soft > hard: EINVAL; lowering works; raising a hard limit needs root;
 * prlimit64 on another user's process: EPERM, on none: ESRCH. */
static const char *limits_setrlimit_rules(void)
{
    struct rlimit got;
    CHECK_EXITED(run_in_child(rules_as_root), 0);
    CHECK_EXITED(run_in_child(rules_as_nobody), 0);

    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    CHECK(gone > 0 && wait_for(gone) == 0, "fork/wait");
    CHECK_ERRNO(prlimit64_(gone, RLIMIT_NOFILE, NULL, &got), ESRCH);
    CHECK_ERRNO(prlimit64_(getpid(), RLIM_NLIMITS, NULL, &got), EINVAL);
    return PASS;
}

static int sees_nofile_100_200(void)
{
    struct rlimit got;
    return getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200 ? 0 : 1;
}

static const char *self;

static int inherit_and_exec(void)
{
    struct rlimit rl = {100, 200};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 2;
    int st = run_in_child(sees_nofile_100_200);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 3;
    char *argv[] = {(char *)self, "@probe-nofile", NULL};
    execv(self, argv);
    return 4;
}

/* Limits are inherited by fork and kept by execve; root can read and set
 * a child's with prlimit64. */
static const char *limits_inherited_kept_by_exec(void)
{
    CHECK((self = self_path()) != NULL, "cannot find our own program file");
    CHECK_EXITED(run_in_child(inherit_and_exec), 0);

    pid_t c = fork_child();
    CHECK(c >= 0, "fork: %s", errname(errno));
    if (c == 0) {
        pause();
        _exit(0);
    }
    struct rlimit rl = {100, 200}, got;
    long r = prlimit64_(c, RLIMIT_NOFILE, &rl, NULL);
    long r2 = prlimit64_(c, RLIMIT_NOFILE, NULL, &got);
    kill_and_reap(c);
    CHECK(r == 0 && r2 == 0, "prlimit64 on a child: %s", errname(errno));
    CHECK(got.rlim_cur == 100 && got.rlim_max == 200, "child's limit reads %lu/%lu", (unsigned long)got.rlim_cur,
          (unsigned long)got.rlim_max);
    return PASS;
}

/* ---- oom_score and oom_score_adj ---- */

static int reads_adj_500(void) { return read_number("/proc/self/oom_score_adj") == 500 ? 0 : 1; }

static int adj_rules_child(void)
{
    if (set_adj("self", 0) != 0)
        return 2;
    long long base = read_number("/proc/self/oom_score");
    if (base < 666 || base > 700) /* (1000 + tiny) * 2/3: Linux's scale */
        return 3;
    if (set_adj("self", 500) != 0 || read_number("/proc/self/oom_score_adj") != 500)
        return 4;
    if (read_number("/proc/self/oom_score") < base + 300) /* + 500/1000 of the machine, * 2/3 */
        return 5;
    if (set_adj("self", 1001) != -1 || errno != EINVAL || set_adj("self", -1001) != -1 || errno != EINVAL)
        return 6;
    if (write_text("/proc/self/oom_score_adj", "lots\n") != -1 || errno != EINVAL)
        return 7;
    int st = run_in_child(reads_adj_500); /* inherited by fork */
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 8;
    if (!has_sys_resource()) /* below the floor (0) needs CAP_SYS_RESOURCE */
        return set_adj("self", -1000) == -1 && errno == EACCES ? 0 : 10;
    if (set_adj("self", -1000) != 0 || read_number("/proc/self/oom_score") != 0) /* exempt: 0 */
        return 9;
    return 0;
}

static int adj_floor_as_nobody(void)
{
    if (set_adj("self", 0) != 0) /* root's write sets the floor an unprivileged one may not go below */
        return 2;
    if (become_nobody() != 0 || prctl(PR_SET_DUMPABLE, 1) != 0) /* dumpable: /proc/self is ours again */
        return 3;
    if (set_adj("self", 300) != 0 || set_adj("self", 100) != 0) /* up, and down to no lower than 0 */
        return 4;
    if (set_adj("self", -1) != -1 || errno != EACCES)
        return 5;
    return read_number("/proc/self/oom_score_adj") == 100 ? 0 : 6;
}

/* oom_score_adj: -1000..1000 (EINVAL outside), moves oom_score, inherited
 * by fork, -1000 makes the score 0; going below the floor root set needs
 * privilege (EACCES). init's score is 0: it is never chosen. */
static const char *limits_oom_score_adj(void)
{
    CHECK(read_number("/proc/1/oom_score") == 0, "init's oom_score is %lld", read_number("/proc/1/oom_score"));
    int st = run_in_child(adj_rules_child);
    CHECK_EXITED(st, 0);
    st = run_in_child(adj_floor_as_nobody);
    CHECK_EXITED(st, 0);
    return PASS;
}

/* clang-format off */
static const struct test tests[] = {
    TEST(limits_threads_max_sane),
    TEST(limits_threads_max_write),
    TEST(limits_nproc_per_user),
    TEST(limits_nproc_not_for_root),
    TEST(limits_nofile_emfile),
    TEST(limits_nofile_high),
    TEST(limits_setrlimit_rules),
    TEST(limits_inherited_kept_by_exec),
    TEST(limits_oom_score_adj),
    TEST(limits_fork_bomb_refused),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "@probe-nofile") == 0) /* the new image of limits_inherited_kept_by_exec */
        return sees_nofile_100_200();
    return run_tests(argc, argv, tests, NTESTS(tests));
}
