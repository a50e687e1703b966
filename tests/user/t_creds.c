/*
 * tests/user/t_creds.c - users and groups: who a process is, and what that
 * lets it see.
 *
 * A process has a real, an effective, a saved and a file-system user id
 * (and the same four group ids, plus supplementary groups). The rules for
 * changing them are Linux's (kernel/sys.c), checked here one by one:
 *
 *   setuid(u)         root: all three become u; others: only the effective
 *                     id, and only to the real or the saved one
 *   setreuid(r, e)    r: the real or effective id; e: any of the three; the
 *                     saved id follows the new effective id if r is given
 *                     or e is not the real id
 *   setresuid(r,e,s)  each: any of the three (root: anything); -1 leaves it
 *   setgroups         root only; getgroups(0) counts, a small list: EINVAL
 *
 * fork copies the ids, execve keeps them (the saved ids become the
 * effective ones). /proc/self/status shows them (Uid, Gid, Groups lines in
 * Linux's format). A change of the effective ids makes a process
 * non-dumpable (prctl PR_GET_DUMPABLE), and then its /proc files belong to
 * root. The permission checks that follow from the ids:
 *   - files: owner, group, other bits; root may read and write anything;
 *     access() asks with the *real* ids;
 *   - another process's /proc/<pid>/maps and pagemap: only for the same
 *     user while it is dumpable (Linux's ptrace read check), or root;
 *   - pagemap shows physical frame numbers (PFNs) to root only: PFN 0 and
 *     the flags (present, swapped, exclusive, file/shared) for others.
 *
 * Every case that changes ids does so in a forked child, so the test
 * process stays root. They need root to start with: run natively as an
 * ordinary user they print a # line and pass (make test-host runs as
 * whoever calls it; Pagewise's tests always run as root).
 *
 * Run: t_creds [test_name...]; t_creds --report-ids is the exec'd half of
 * creds_exec_keeps_ids.
 */
#include "testlib.h"

#include <grp.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define NOBODY 65534 /* Linux's overflow uid and gid: "nobody", "nogroup" */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE_OR_SHARED (1ULL << 61)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* A case that changes ids needs root to start with. */
#define NEED_ROOT()                                                                                                    \
    do {                                                                                                               \
        if (getuid() != 0 || geteuid() != 0) {                                                                         \
            out("# %s: not run as root: skipped\n", __func__);                                                         \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

/* Run fn in a forked child (where it may change ids) and return its verdict. */
static const char *in_child(const char *(*fn)(void))
{
    int fds[2];
    if (pipe(fds) != 0)
        return FAIL("pipe: %s", errname(errno));
    pid_t pid = fork_child();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return FAIL("fork: %s", errname(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_verdict(fds[1], fn());
    }
    close(fds[1]);
    const char *why = parent_verdict(fds[0], pid);
    close(fds[0]);
    return why;
}

/* A case that runs body in a child, as root at the start. */
#define CHILD_CASE(name)                                                                                               \
    static const char *name##_body(void);                                                                              \
    static const char *name(void)                                                                                      \
    {                                                                                                                  \
        NEED_ROOT();                                                                                                   \
        return in_child(name##_body);                                                                                  \
    }                                                                                                                  \
    static const char *name##_body(void)

#define CHECK_RESUID(r, e, s)                                                                                          \
    do {                                                                                                               \
        uid_t r_, e_, s_;                                                                                              \
        CHECK_OK(getresuid(&r_, &e_, &s_));                                                                            \
        CHECK(r_ == (uid_t)(r) && e_ == (uid_t)(e) && s_ == (uid_t)(s),                                                \
              "real/effective/saved uid are %u/%u/%u, expected %u/%u/%u", r_, e_, s_, (uid_t)(r), (uid_t)(e),          \
              (uid_t)(s));                                                                                             \
    } while (0)

#define CHECK_RESGID(r, e, s)                                                                                          \
    do {                                                                                                               \
        gid_t r_, e_, s_;                                                                                              \
        CHECK_OK(getresgid(&r_, &e_, &s_));                                                                            \
        CHECK(r_ == (gid_t)(r) && e_ == (gid_t)(e) && s_ == (gid_t)(s),                                                \
              "real/effective/saved gid are %u/%u/%u, expected %u/%u/%u", r_, e_, s_, (gid_t)(r), (gid_t)(e),          \
              (gid_t)(s));                                                                                             \
    } while (0)

#define CHECK_DUMPABLE(want, when)                                                                                     \
    do {                                                                                                               \
        int d_ = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);                                                                   \
        CHECK(d_ == (want), "PR_GET_DUMPABLE is %d %s, expected %d", d_, when, (want));                                \
    } while (0)

/* Become uid/gid (all three ids) with no supplementary groups: as root. */
static int become(uid_t uid, gid_t gid)
{
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return -1;
    return 0;
}

/* The fs uid/gid: setfsuid(-1) changes nothing and returns the current one. */
static unsigned fsuid_now(void) { return (unsigned)setfsuid((uid_t)-1); }
static unsigned fsgid_now(void) { return (unsigned)setfsgid((gid_t)-1); }

/* The line of /proc/self/status that starts with name (e.g. "Uid:"),
 * without its newline, into line. 0 if found. */
static int status_line(const char *name, char *line, size_t size)
{
    static char text[8192];
    if (slurp("/proc/self/status", text, sizeof(text)) < 0)
        return -1;
    size_t n = strlen(name);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= n && strncmp(p, name, n) == 0) {
            snprintf(line, size, "%.*s", (int)len, p);
            return 0;
        }
        p += len + (nl != NULL);
    }
    return -1;
}

/* ---------------------------------------------------------------------------
 * Reading and changing ids.
 * ------------------------------------------------------------------------- */

/* The four get calls agree with getresuid/getresgid and with the Uid and
 * Gid lines of /proc/self/status (real, effective, saved, fs). */
static const char *creds_get_ids(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    char line[256], want[256];

    CHECK_OK(getresuid(&r, &e, &s));
    CHECK_OK(getresgid(&gr, &ge, &gs));
    CHECK(getuid() == r && geteuid() == e, "getuid %u geteuid %u, getresuid %u %u", getuid(), geteuid(), r, e);
    CHECK(getgid() == gr && getegid() == ge, "getgid %u getegid %u, getresgid %u %u", getgid(), getegid(), gr, ge);
    CHECK(status_line("Uid:", line, sizeof(line)) == 0, "/proc/self/status has no Uid line");
    snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u", r, e, s, fsuid_now());
    CHECK(strcmp(line, want) == 0, "status says \"%s\", expected \"%s\"", line, want);
    CHECK(status_line("Gid:", line, sizeof(line)) == 0, "/proc/self/status has no Gid line");
    snprintf(want, sizeof(want), "Gid:\t%u\t%u\t%u\t%u", gr, ge, gs, fsgid_now());
    CHECK(strcmp(line, want) == 0, "status says \"%s\", expected \"%s\"", line, want);
    return PASS;
}

/* Root's setuid and setgid set real, effective and saved id at once: there
 * is no way back. */
CHILD_CASE(creds_setuid_as_root_sets_all)
{
    CHECK_OK(setgid(2000));
    CHECK_RESGID(2000, 2000, 2000);
    CHECK_OK(setuid(1000));
    CHECK_RESUID(1000, 1000, 1000);
    CHECK(fsuid_now() == 1000 && fsgid_now() == 2000, "fs ids %u/%u, expected 1000/2000", fsuid_now(), fsgid_now());
    CHECK_ERRNO(setuid(0), EPERM);
    CHECK_ERRNO(setgid(0), EPERM);
    CHECK_RESUID(1000, 1000, 1000);
    CHECK_RESGID(2000, 2000, 2000);
    return PASS;
}

/* A non-root setuid changes the effective id only, and only to the real or
 * the saved id. */
CHILD_CASE(creds_setuid_non_root)
{
    CHECK_OK(setresgid(100, 200, 300));
    CHECK_OK(setresuid(1000, 2000, 3000));
    CHECK_OK(setuid(3000)); /* the saved id */
    CHECK_RESUID(1000, 3000, 3000);
    CHECK_OK(setuid(1000)); /* the real id */
    CHECK_RESUID(1000, 1000, 3000);
    CHECK_ERRNO(setuid(2000), EPERM); /* an old effective id is nothing */
    CHECK_ERRNO(setuid(0), EPERM);
    CHECK_RESUID(1000, 1000, 3000);
    CHECK_OK(setgid(300));
    CHECK_RESGID(100, 300, 300);
    CHECK_OK(setgid(100));
    CHECK_RESGID(100, 100, 300);
    CHECK_ERRNO(setgid(200), EPERM);
    CHECK_RESGID(100, 100, 300);
    return PASS;
}

/* setreuid: the saved id follows the new effective id when the real id is
 * given, or the effective id is set to something other than the real id. */
CHILD_CASE(creds_setreuid_saved_rule)
{
    CHECK_OK(setresgid(100, 200, 300));
    CHECK_OK(setresuid(1000, 2000, 3000));
    CHECK_OK(setreuid(-1, 3000)); /* e = saved, not real: saved = e */
    CHECK_RESUID(1000, 3000, 3000);
    CHECK_OK(setreuid(-1, 1000)); /* e = real: saved stays */
    CHECK_RESUID(1000, 1000, 3000);
    CHECK_ERRNO(setreuid(3000, -1), EPERM); /* r: only the real or effective id */
    CHECK_RESUID(1000, 1000, 3000);
    CHECK_OK(setreuid(1000, 3000)); /* r given: saved = e */
    CHECK_RESUID(1000, 3000, 3000);
    CHECK_OK(setreuid(3000, 1000)); /* swap real and effective */
    CHECK_RESUID(3000, 1000, 1000);
    CHECK_ERRNO(setreuid(-1, 2000), EPERM);
    CHECK_RESUID(3000, 1000, 1000);

    CHECK_OK(setregid(-1, 300));
    CHECK_RESGID(100, 300, 300);
    CHECK_OK(setregid(300, 100));
    CHECK_RESGID(300, 100, 100);
    CHECK_ERRNO(setregid(200, -1), EPERM);
    CHECK_ERRNO(setregid(-1, 200), EPERM);
    CHECK_RESGID(300, 100, 100);
    return PASS;
}

/* setresuid/setresgid: any of the current three, in any position. */
CHILD_CASE(creds_setresuid_any_of_three)
{
    CHECK_OK(setresgid(100, 200, 300));
    CHECK_OK(setresuid(1000, 2000, 3000));
    CHECK_RESUID(1000, 2000, 3000);
    CHECK_OK(setresuid(3000, 1000, 2000));
    CHECK_RESUID(3000, 1000, 2000);
    CHECK_ERRNO(setresuid(4000, -1, -1), EPERM);
    CHECK_ERRNO(setresuid(-1, -1, 0), EPERM);
    CHECK_RESUID(3000, 1000, 2000);
    CHECK_OK(setresuid(-1, 3000, -1));
    CHECK_RESUID(3000, 3000, 2000);
    CHECK_OK(setresgid(300, 100, 200));
    CHECK_RESGID(300, 100, 200);
    CHECK_ERRNO(setresgid(-1, -1, 0), EPERM);
    CHECK_ERRNO(setresgid(400, 100, 200), EPERM);
    CHECK_RESGID(300, 100, 200);
    return PASS;
}

/* -1 means "leave it": nothing changes, as root and as another user. */
CHILD_CASE(creds_minus_one_leaves_ids)
{
    for (int round = 0; round < 2; round++) {
        uid_t u = round ? 1000 : 0;
        gid_t g = round ? 100 : 0;
        CHECK_OK(setreuid(-1, -1));
        CHECK_OK(setresuid(-1, -1, -1));
        CHECK_OK(setregid(-1, -1));
        CHECK_OK(setresgid(-1, -1, -1));
        CHECK_RESUID(u, u, u);
        CHECK_RESGID(g, g, g);
        if (!round)
            CHECK(become(1000, 100) == 0, "becoming uid 1000: %s", errname(errno));
    }
    return PASS;
}

/* setuid(-1) and setgid(-1): EINVAL ((uid_t)-1 is no user), for root too. */
CHILD_CASE(creds_setuid_minus_one_einval)
{
    CHECK_ERRNO(syscall(SYS_setuid, -1), EINVAL);
    CHECK_ERRNO(syscall(SYS_setgid, -1), EINVAL);
    CHECK_RESUID(0, 0, 0);
    CHECK(become(1000, 100) == 0, "becoming uid 1000: %s", errname(errno));
    CHECK_ERRNO(syscall(SYS_setuid, -1), EINVAL);
    CHECK_ERRNO(syscall(SYS_setgid, -1), EINVAL);
    return PASS;
}

/* Supplementary groups: set by root (kept sorted), counted by getgroups(0),
 * EINVAL for a list too small; setgroups is EPERM for others. */
CHILD_CASE(creds_groups)
{
    gid_t set[3] = {30, 10, 20}, got[8];
    char line[256];

    CHECK_OK(setgroups(3, set));
    CHECK(getgroups(0, NULL) == 3, "getgroups(0) = %d, expected 3", getgroups(0, NULL));
    CHECK_ERRNO(getgroups(2, got), EINVAL);
    CHECK_ERRNO(getgroups(-1, got), EINVAL);
    int n = getgroups(8, got);
    CHECK(n == 3 && got[0] == 10 && got[1] == 20 && got[2] == 30, "getgroups gives %d groups: %u %u %u", n, got[0],
          got[1], got[2]);
    CHECK(status_line("Groups:", line, sizeof(line)) == 0, "/proc/self/status has no Groups line");
    CHECK(strcmp(line, "Groups:\t10 20 30 ") == 0, "status says \"%s\", expected \"Groups:\\t10 20 30 \"", line);
    CHECK_OK(setgroups(0, NULL));
    CHECK(getgroups(0, NULL) == 0, "getgroups(0) = %d after setgroups(0)", getgroups(0, NULL));
    CHECK(status_line("Groups:", line, sizeof(line)) == 0, "/proc/self/status has no Groups line");
    CHECK(strcmp(line, "Groups:\t ") == 0, "status says \"%s\", expected \"Groups:\\t \"", line);

    gid_t seven = 7;
    CHECK_OK(setgroups(1, &seven));
    CHECK_OK(setresuid(1000, 1000, 1000));
    CHECK_ERRNO(setgroups(3, set), EPERM);
    CHECK_ERRNO(setgroups(0, NULL), EPERM);
    n = getgroups(8, got);
    CHECK(n == 1 && got[0] == 7, "getgroups gives %d groups (%u), expected just 7", n, got[0]);
    return PASS;
}

/* fork copies every id and the groups. */
CHILD_CASE(creds_fork_inherits)
{
    gid_t groups[2] = {5, 6};
    CHECK_OK(setgroups(2, groups));
    CHECK_OK(setresgid(100, 200, 300));
    CHECK_OK(setresuid(1000, 2000, 3000));
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        uid_t r, e, s;
        gid_t gr, ge, gs, got[4];
        int ok = getresuid(&r, &e, &s) == 0 && r == 1000 && e == 2000 && s == 3000;
        ok = ok && getresgid(&gr, &ge, &gs) == 0 && gr == 100 && ge == 200 && gs == 300;
        ok = ok && getgroups(4, got) == 2 && got[0] == 5 && got[1] == 6;
        _exit(ok ? 0 : 1);
    }
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the grandchild saw other ids: it %s", status_str(st));
    return PASS;
}

/* The exec'd half of creds_exec_keeps_ids: print our ids on stdout. */
static int report_ids(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs, groups[8];
    if (getresuid(&r, &e, &s) || getresgid(&gr, &ge, &gs))
        return 1;
    int n = getgroups(8, groups);
    out("uid %u %u %u %u gid %u %u %u %u groups %d %u dumpable %d aux %lu %lu %lu %lu %lu\n", r, e, s, fsuid_now(), gr,
        ge, gs, fsgid_now(), n, n > 0 ? groups[0] : 0, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), getauxval(AT_UID),
        getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
    return 0;
}

/* Run /proc/self/exe --report-ids in a child that first takes these ids;
 * its line into buf. */
static const char *exec_report(uid_t r, uid_t e, uid_t s, char *buf, size_t size)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        gid_t seven = 7;
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (setgroups(1, &seven) || setresgid(100, 200, 300) || setresuid(r, e, s))
            _exit(2);
        execl("/proc/self/exe", "t_creds", "--report-ids", (char *)NULL);
        _exit(3);
    }
    close(fds[1]);
    size_t len = 0;
    for (ssize_t n; len + 1 < size && (n = read(fds[0], buf + len, size - 1 - len)) != 0;)
        if (n > 0)
            len += (size_t)n;
        else if (errno != EINTR)
            break;
    buf[len] = '\0';
    close(fds[0]);
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    int st = wait_for(pid);
    CHECK_EXITED(st, 0);
    return PASS;
}

/* execve keeps the ids; the saved (and fs) ids become the effective ones
 * (there are no set-user-ID programs here). Dumpable again after exec when
 * real and effective ids agree, else not. The auxiliary vector (AT_UID,
 * AT_EUID, AT_GID, AT_EGID) tells the new program the same, and AT_SECURE
 * is 1 when effective and real ids differ. */
static const char *creds_exec_keeps_ids(void)
{
    char line[256];
    const char *why;

    NEED_ROOT();
    if ((why = exec_report(1000, 2000, 3000, line, sizeof(line))) != PASS)
        return why;
    CHECK(strcmp(line, "uid 1000 2000 2000 2000 gid 100 200 200 200 groups 1 7 dumpable 0 aux 1000 2000 100 200 1") ==
              0,
          "after exec with uids 1000/2000/3000: \"%s\"", line);
    if ((why = exec_report(1000, 1000, 3000, line, sizeof(line))) != PASS)
        return why;
    CHECK(strcmp(line, "uid 1000 1000 1000 1000 gid 100 200 200 200 groups 1 7 dumpable 0 aux 1000 1000 100 200 1") ==
              0,
          "after exec with uids 1000/1000/3000 (gids differ): \"%s\"", line);
    return PASS;
}

/* The same with real = effective for both: dumpable again after exec,
 * although the id change before it had cleared the flag. */
CHILD_CASE(creds_exec_restores_dumpable)
{
    char line[256];
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (become(1000, 100) || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(2);
        execl("/proc/self/exe", "t_creds", "--report-ids", (char *)NULL);
        _exit(3);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    line[n > 0 ? n : 0] = '\0';
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the child %s (2: still dumpable after setuid, 3: exec failed)", status_str(st));
    CHECK(strcmp(line, "uid 1000 1000 1000 1000 gid 100 100 100 100 groups 0 0 dumpable 1 aux 1000 1000 100 100 0") ==
              0,
          "after exec as 1000/100: \"%s\"", line);
    return PASS;
}

/* Uid, Gid and Groups lines of /proc/self/status, exactly as Linux
 * writes them: tab-separated real, effective, saved, fs; groups sorted,
 * separated by spaces, with a space at the end. */
CHILD_CASE(creds_proc_status_lines)
{
    gid_t groups[2] = {6, 5};
    char line[256];
    CHECK_OK(setgroups(2, groups));
    CHECK_OK(setresgid(100, 200, 300));
    CHECK_OK(setresuid(1000, 2000, 3000));
    int old = setfsuid(1000); /* the real id: allowed */
    CHECK(old == 2000, "setfsuid returned %d, expected the old fs uid 2000", old);
    CHECK(status_line("Uid:", line, sizeof(line)) == 0, "/proc/self/status has no Uid line");
    CHECK(strcmp(line, "Uid:\t1000\t2000\t3000\t1000") == 0, "\"%s\"", line);
    CHECK(status_line("Gid:", line, sizeof(line)) == 0, "/proc/self/status has no Gid line");
    CHECK(strcmp(line, "Gid:\t100\t200\t300\t200") == 0, "\"%s\"", line);
    CHECK(status_line("Groups:", line, sizeof(line)) == 0, "/proc/self/status has no Groups line");
    CHECK(strcmp(line, "Groups:\t5 6 ") == 0, "\"%s\"", line);
    old = setfsuid(4000); /* none of ours: refused, the old one returned */
    CHECK(old == 1000 && fsuid_now() == 1000, "setfsuid(4000) returned %d, fs uid now %u", old, fsuid_now());
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Dumpable, and who owns /proc/<pid>.
 * ------------------------------------------------------------------------- */

CHILD_CASE(creds_prctl_dumpable)
{
    CHECK_DUMPABLE(1, "at the start");
    CHECK_OK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
    CHECK_DUMPABLE(0, "after PR_SET_DUMPABLE 0");
    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    CHECK_DUMPABLE(1, "after PR_SET_DUMPABLE 1");
    CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL); /* "root-only core dumps": not for prctl */
    CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 3, 0, 0, 0), EINVAL);
    CHECK_DUMPABLE(1, "after the refused values");
    return PASS;
}

/* A change of the effective (or fs) ids clears dumpable; a change of the
 * real id alone does not; the process may set it again. */
CHILD_CASE(creds_dumpable_cleared_by_id_change)
{
    CHECK_DUMPABLE(1, "at the start");
    CHECK_OK(setresuid(1000, -1, -1));
    CHECK_DUMPABLE(1, "after a change of the real uid only");
    CHECK_OK(setresgid(-1, 200, -1));
    CHECK_DUMPABLE(0, "after a change of the effective gid");
    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    CHECK_OK(seteuid(1000));
    CHECK_DUMPABLE(0, "after seteuid(1000)");
    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)); /* allowed for anyone */
    CHECK_DUMPABLE(1, "after PR_SET_DUMPABLE 1 as uid 1000");
    setfsuid(0); /* the saved uid is still 0 */
    CHECK(fsuid_now() == 0, "setfsuid(0) with saved uid 0 did not take");
    CHECK_DUMPABLE(0, "after a change of the fs uid");
    return PASS;
}

/* Linux's task_dump_owner: /proc/<pid> files belong to the process's
 * effective ids while it is dumpable, to root when not; the directory
 * itself keeps the effective ids. A non-dumpable process cannot open even
 * its own pagemap (0400, now root's). */
CHILD_CASE(creds_proc_owner_follows_dumpable)
{
    struct stat dir, st;
    CHECK(become(NOBODY, NOBODY) == 0, "becoming nobody: %s", errname(errno));
    CHECK_DUMPABLE(0, "after becoming nobody");
    CHECK_OK(stat("/proc/self", &dir));
    CHECK(dir.st_uid == NOBODY && dir.st_gid == NOBODY, "/proc/self (directory) belongs to %u:%u, expected %u:%u",
          dir.st_uid, dir.st_gid, NOBODY, NOBODY);
    CHECK_OK(stat("/proc/self/status", &st));
    CHECK(st.st_uid == 0 && st.st_gid == 0,
          "/proc/self/status of a non-dumpable process belongs to %u:%u, expected root", st.st_uid, st.st_gid);
    CHECK_OK(stat("/proc/self/pagemap", &st));
    CHECK(st.st_uid == 0 && (st.st_mode & 0777) == 0400, "/proc/self/pagemap: owner %u mode %o, expected 0 and 400",
          st.st_uid, st.st_mode & 0777);
    CHECK_ERRNO(open("/proc/self/pagemap", O_RDONLY), EACCES);
    int fd = open("/proc/self/maps", O_RDONLY); /* 0444, and it is ourselves */
    CHECK(fd >= 0, "open(/proc/self/maps) as a non-dumpable process: %s", errname(errno));
    close(fd);

    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    CHECK_OK(stat("/proc/self/status", &st));
    CHECK(st.st_uid == NOBODY && st.st_gid == NOBODY, "/proc/self/status of a dumpable process belongs to %u:%u",
          st.st_uid, st.st_gid);
    fd = open("/proc/self/pagemap", O_RDONLY);
    CHECK(fd >= 0, "open(/proc/self/pagemap) as its dumpable owner: %s", errname(errno));
    close(fd);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Another process's memory: maps, pagemap, exe (the ptrace read check).
 * ------------------------------------------------------------------------- */

/* A process that takes ids (uid, dumpable), says "ready" and waits until
 * the case closes the hold pipe. */
static pid_t start_victim(uid_t uid, int dumpable, const int ready[2], const int hold[2])
{
    pid_t pid = fork_child();
    if (pid != 0)
        return pid;
    close(ready[0]);
    close(hold[1]);
    if ((uid != 0 && become(uid, uid) != 0) || prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) != 0)
        _exit(2);
    send_go(ready[1]);
    wait_go(hold[0]); /* EOF when the case is over */
    _exit(0);
}

struct victims {
    pid_t root, same, same_hidden;
};

static struct victims victims;

static const char *try_open(const char *what, pid_t pid, const char *file, int want_errno)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    errno = 0;
    int fd = open(path, O_RDONLY);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (want_errno)
        CHECK(fd < 0 && e == want_errno, "open(%s) of %s returned %d (%s), expected %s", path, what, fd, errname(e),
              errname(want_errno));
    else
        CHECK(fd >= 0, "open(%s) of %s: %s", path, what, errname(e));
    return PASS;
}

#define OPEN_AS(what, pid, file, err)                                                                                  \
    do {                                                                                                               \
        const char *w_ = try_open(what, pid, file, err);                                                               \
        if (w_ != PASS)                                                                                                \
            return w_;                                                                                                 \
    } while (0)

static const char *attacker(void)
{
    char buf[64];
    if (become(NOBODY, NOBODY) != 0)
        return FAIL("becoming nobody: %s", errname(errno));
    /* A root process: its status and cmdline are for everyone, its maps,
     * pagemap and exe are not. */
    OPEN_AS("a root process", victims.root, "status", 0);
    OPEN_AS("a root process", victims.root, "cmdline", 0);
    OPEN_AS("a root process", victims.root, "maps", EACCES);
    OPEN_AS("a root process", victims.root, "pagemap", EACCES);
    snprintf(buf, sizeof(buf), "/proc/%d/exe", (int)victims.root);
    char target[256];
    CHECK_ERRNO(readlink(buf, target, sizeof(target)), EACCES);
    /* The same user, dumpable: all of it. */
    OPEN_AS("a dumpable process of the same user", victims.same, "maps", 0);
    OPEN_AS("a dumpable process of the same user", victims.same, "pagemap", 0);
    CHECK(readlink("/proc/self/exe", target, sizeof(target)) > 0, "readlink(/proc/self/exe): %s", errname(errno));
    /* The same user, not dumpable: as if it were root's. */
    OPEN_AS("a non-dumpable process of the same user", victims.same_hidden, "status", 0);
    OPEN_AS("a non-dumpable process of the same user", victims.same_hidden, "maps", EACCES);
    OPEN_AS("a non-dumpable process of the same user", victims.same_hidden, "pagemap", EACCES);
    /* Our own, even though becoming nobody made us non-dumpable. */
    OPEN_AS("ourselves", getpid(), "maps", 0);
    return PASS;
}

/* Start the three victims (root; nobody, dumpable; nobody, not
 * dumpable), run attack in a child (it becomes nobody itself), then let
 * the victims go: each must exit normally (nothing killed it). */
static const char *against_victims(const char *(*attack)(void))
{
    int ready[2], hold[2];
    const char *why = PASS;

    NEED_ROOT();
    CHECK_OK(pipe(ready));
    if (pipe(hold) != 0) {
        close(ready[0]);
        close(ready[1]);
        return FAIL("pipe: %s", errname(errno));
    }
    victims.root = start_victim(0, 1, ready, hold);
    victims.same = start_victim(NOBODY, 1, ready, hold);
    victims.same_hidden = start_victim(NOBODY, 0, ready, hold);
    close(ready[1]);
    close(hold[0]);
    for (int i = 0; i < 3 && why == PASS; i++)
        if (wait_go(ready[0]) != 0)
            why = FAIL("a victim process did not start");
    if (why == PASS)
        why = in_child(attack);
    close(hold[1]); /* the victims see EOF and exit */
    close(ready[0]);
    pid_t all[3] = {victims.root, victims.same, victims.same_hidden};
    for (int i = 0; i < 3; i++) {
        int st = wait_for(all[i]);
        if (why == PASS && !(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
            why = FAIL("victim %d %s", i, status_str(st));
    }
    return why;
}

static const char *creds_other_users_memory_refused(void) { return against_victims(attacker); }

/* kill(2) as nobody: not a root process (EPERM, even with signal 0, and
 * the victim lives on), but a process of our own user; kill(-1, 0) finds
 * someone and says 0 (Linux: EPERM from each refused target is not
 * reported when there was anyone). */
static const char *killer(void)
{
    if (become(NOBODY, NOBODY) != 0)
        return FAIL("becoming nobody: %s", errname(errno));
    CHECK_ERRNO(kill(victims.root, 0), EPERM);
    CHECK_ERRNO(kill(victims.root, SIGKILL), EPERM);
    CHECK_OK(kill(victims.same, 0));
    CHECK_OK(kill(-1, 0));
    return PASS;
}

static const char *creds_kill_needs_same_user(void) { return against_victims(killer); }

/* ---------------------------------------------------------------------------
 * pagemap: PFNs for root only.
 * ------------------------------------------------------------------------- */

static uint64_t pagemap_entry(int fd, const volatile void *addr)
{
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(e));
    return pread(fd, &e, sizeof(e), off) == (ssize_t)sizeof(e) ? e : ~0ULL;
}

/* As nobody: present pages read PFN 0 with their flags: present, exclusive
 * (mapped once), file/shared for MAP_SHARED memory; a page on swap reads
 * "swapped" with no swap offset; an untouched page reads 0. */
CHILD_CASE(creds_pagemap_hides_pfns)
{
    volatile char *priv = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile char *shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(priv != MAP_FAILED && shared != MAP_FAILED, "mmap: %s", errname(errno));
    priv[0] = 1;
    priv[2 * PAGE_SIZE] = 1;
    shared[0] = 1;
    CHECK(become(NOBODY, NOBODY) == 0, "becoming nobody: %s", errname(errno));
    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)); /* else /proc/self/pagemap is root's */
    int fd = open("/proc/self/pagemap", O_RDONLY);
    CHECK(fd >= 0, "open(/proc/self/pagemap) as nobody: %s", errname(errno));
    uint64_t p = pagemap_entry(fd, priv), untouched = pagemap_entry(fd, priv + PAGE_SIZE),
             s = pagemap_entry(fd, shared);
    CHECK(p != ~0ULL && s != ~0ULL, "reading pagemap: %s", errname(errno));
    CHECK((p & PM_PRESENT) && (p & PM_PFN_MASK) == 0, "a private page reads 0x%016llx: expected present, PFN 0",
          (unsigned long long)p);
    CHECK((p & PM_MMAP_EXCLUSIVE) && !(p & PM_FILE_OR_SHARED),
          "a private page reads 0x%016llx: expected exclusive (bit 56), not file/shared (bit 61)",
          (unsigned long long)p);
    CHECK(untouched == 0, "an untouched page reads 0x%016llx, expected 0", (unsigned long long)untouched);
    CHECK((s & PM_PRESENT) && (s & PM_FILE_OR_SHARED) && (s & PM_PFN_MASK) == 0,
          "a MAP_SHARED page reads 0x%016llx: expected present, file/shared, PFN 0", (unsigned long long)s);
    if (on_pagewise() && meminfo_kb("SwapTotal") > 0) {
        const char *why = page_out(priv + 2 * PAGE_SIZE, 1, 1);
        if (why != PASS) {
            close(fd);
            return why;
        }
        uint64_t w = pagemap_entry(fd, priv + 2 * PAGE_SIZE);
        CHECK((w & PM_SWAP) && !(w & PM_PRESENT) && (w & PM_PFN_MASK) == 0,
              "a page on swap reads 0x%016llx: expected swapped (bit 62), no swap offset", (unsigned long long)w);
    }
    close(fd);
    return PASS;
}

/* Whether PFNs show is decided when the file is opened (Linux: the
 * opener's credentials, file->f_cred): a descriptor root opened keeps
 * showing them after the process became nobody, one that nobody opened
 * shows none even after it became root again. */
CHILD_CASE(creds_pagemap_pfn_decided_at_open)
{
    volatile char *page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED, "mmap: %s", errname(errno));
    page[0] = 1;
    int as_root = open("/proc/self/pagemap", O_RDONLY);
    CHECK(as_root >= 0, "open(/proc/self/pagemap) as root: %s", errname(errno));
    uint64_t e = pagemap_entry(as_root, page);
    if ((e & PM_PFN_MASK) == 0) {
        CHECK(!on_pagewise(), "root reads PFN 0 (entry 0x%016llx)", (unsigned long long)e);
        out("# creds_pagemap_pfn_decided_at_open: root reads no PFNs here (no CAP_SYS_ADMIN?): skipped\n");
        return PASS;
    }
    CHECK_OK(setresgid(NOBODY, NOBODY, 0));
    CHECK_OK(setresuid(NOBODY, NOBODY, 0)); /* saved uid 0: we may come back */
    e = pagemap_entry(as_root, page);
    CHECK((e & PM_PRESENT) && (e & PM_PFN_MASK), "root's descriptor read 0x%016llx as nobody: PFN gone",
          (unsigned long long)e);
    CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    int as_nobody = open("/proc/self/pagemap", O_RDONLY);
    CHECK(as_nobody >= 0, "open(/proc/self/pagemap) as nobody: %s", errname(errno));
    CHECK((pagemap_entry(as_nobody, page) & PM_PFN_MASK) == 0, "nobody's descriptor shows a PFN");
    CHECK_OK(seteuid(0));
    e = pagemap_entry(as_nobody, page);
    CHECK((e & PM_PRESENT) && (e & PM_PFN_MASK) == 0, "nobody's descriptor read 0x%016llx once root again",
          (unsigned long long)e);
    close(as_root);
    close(as_nobody);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * File permissions.
 * ------------------------------------------------------------------------- */

/* As nobody: the mode bits decide. Our program (0755) opens and runs;
 * /dev/null (0666) opens read-write; /dev/console (root's, no bits for
 * others) and a root process's pagemap (0400) do not; writing our own
 * program is EROFS on Pagewise (a read-only file system: that comes
 * first) and EACCES on Linux (not the owner). */
CHILD_CASE(creds_file_mode_bits)
{
    const char *self = self_path();
    char path[64];
    CHECK(self, "cannot find our own program file");
    CHECK(become(NOBODY, NOBODY) == 0, "becoming nobody: %s", errname(errno));
    int fd = open(self, O_RDONLY);
    CHECK(fd >= 0, "open(%s) as nobody: %s", self, errname(errno));
    close(fd);
    CHECK_OK(access(self, R_OK | X_OK));
    fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0, "open(/dev/null, O_RDWR) as nobody: %s", errname(errno));
    close(fd);
    CHECK_ERRNO(open("/dev/console", O_WRONLY), EACCES);
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)getppid());
    CHECK_ERRNO(open(path, O_RDONLY), EACCES);
    CHECK_ERRNO(access(path, R_OK), EACCES);
    CHECK_ERRNO(access(self, W_OK), on_pagewise() ? EROFS : EACCES);
    CHECK_ERRNO(open(self, O_WRONLY), on_pagewise() ? EROFS : EACCES);
    return PASS;
}

/* A file check uses the fs uid: root that set its fs uid to 1234 is no
 * longer root for files (Linux drops the file capabilities with it). */
CHILD_CASE(creds_fsuid_decides_file_access)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)getppid()); /* root's, 0400 */
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s) as root: %s", path, errname(errno));
    close(fd);
    setfsuid(1234);
    CHECK(fsuid_now() == 1234, "setfsuid(1234) as root did not take");
    CHECK_ERRNO(open(path, O_RDONLY), EACCES);
    setfsuid(0);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s) with fs uid 0 again: %s", path, errname(errno));
    close(fd);
    return PASS;
}

/* access() asks "may the user who ran me": the real ids; open uses the
 * effective (fs) ids; faccessat(AT_EACCESS) the effective ones too. */
CHILD_CASE(creds_access_uses_real_ids)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)getppid()); /* root's, 0400 */
    CHECK_OK(setresuid(NOBODY, 0, 0));                                /* real nobody, effective root */
    CHECK_ERRNO(access(path, R_OK), EACCES);
    CHECK_OK(faccessat(AT_FDCWD, path, R_OK, AT_EACCESS));
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open(%s) with effective uid 0: %s", path, errname(errno));
    close(fd);
    CHECK_OK(setresuid(0, NOBODY, 0)); /* real root, effective nobody */
    CHECK_OK(access(path, R_OK));
    CHECK_ERRNO(faccessat(AT_FDCWD, path, R_OK, AT_EACCESS), EACCES);
    CHECK_ERRNO(open(path, O_RDONLY), EACCES);
    CHECK_ERRNO(faccessat(AT_FDCWD, path, R_OK, 0x8000), EINVAL); /* an unknown flag */
    return PASS;
}

/* /proc/vmcheck (Pagewise's invariant checker, 0400 root: its report
 * holds kernel addresses) refuses everyone else. */
CHILD_CASE(creds_vmcheck_root_only)
{
    if (!on_pagewise()) {
        out("# creds_vmcheck_root_only: no /proc/vmcheck on Linux: skipped\n");
        return PASS;
    }
    struct stat st;
    CHECK_OK(stat("/proc/vmcheck", &st));
    CHECK(st.st_uid == 0 && (st.st_mode & 0777) == 0400, "/proc/vmcheck: owner %u mode %o", st.st_uid,
          st.st_mode & 0777);
    CHECK(become(NOBODY, NOBODY) == 0, "becoming nobody: %s", errname(errno));
    CHECK_ERRNO(open("/proc/vmcheck", O_RDONLY), EACCES);
    CHECK_ERRNO(access("/proc/vmcheck", R_OK), EACCES);
    return PASS;
}

/* clang-format off */
static const struct test tests[] = {
    TEST(creds_get_ids),
    TEST(creds_setuid_as_root_sets_all),
    TEST(creds_setuid_non_root),
    TEST(creds_setreuid_saved_rule),
    TEST(creds_setresuid_any_of_three),
    TEST(creds_minus_one_leaves_ids),
    TEST(creds_setuid_minus_one_einval),
    TEST(creds_groups),
    TEST(creds_fork_inherits),
    TEST(creds_exec_keeps_ids),
    TEST(creds_exec_restores_dumpable),
    TEST(creds_proc_status_lines),
    TEST(creds_prctl_dumpable),
    TEST(creds_dumpable_cleared_by_id_change),
    TEST(creds_proc_owner_follows_dumpable),
    TEST(creds_other_users_memory_refused),
    TEST(creds_kill_needs_same_user),
    TEST(creds_pagemap_hides_pfns),
    TEST(creds_pagemap_pfn_decided_at_open),
    TEST(creds_file_mode_bits),
    TEST(creds_fsuid_decides_file_access),
    TEST(creds_access_uses_real_ids),
    TEST(creds_vmcheck_root_only),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--report-ids") == 0)
        return report_ids();
    return run_tests(argc, argv, tests, NTESTS(tests));
}
