/*
 * tests/user/t_busybox.c - real programs on Pagewise: Debian's
 * busybox-static (a statically linked glibc build) runs its shell with a
 * pipeline, redirection, arithmetic and a subshell, and its ls, cat, ps,
 * free, sort and wc read our files and /proc. busybox re-executes
 * /proc/self/exe for some pipeline stages and installs a SIGCHLD handler,
 * so this also exercises execve, /proc/self/exe and signal delivery.
 *
 * The image carries /bin/busybox when the build machine has busybox-static
 * (CI installs it). Natively the test uses the host's /bin/busybox. If
 * there is none, each case passes with a note (there is nothing to run).
 */
#include "testlib.h"

#define BUSYBOX "/bin/busybox"
#define OUT_MAX 8192

/* Run `busybox sh -c script`, capture stdout; returns the exit status or -1. */
static int run_sh(const char *script, char *out, size_t size)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        alarm(CHILD_TIMEOUT);
        char *argv[] = {"busybox", "sh", "-c", (char *)script, NULL};
        char *envp[] = {"PATH=/bin:/usr/bin", "HOME=/", NULL};
        execve(BUSYBOX, argv, envp);
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(p[0], out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(p[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int have_busybox(void) { return access(BUSYBOX, X_OK) == 0; }

#define SH_CASE(fn, script, want)                                                                \
    static const char *fn(void)                                                                 \
    {                                                                                           \
        static char out[OUT_MAX];                                                               \
        if (!have_busybox())                                                                    \
            return PASS; /* no busybox-static in this image: nothing to run */                  \
        int st = run_sh(script, out, sizeof(out));                                              \
        CHECK(st == 0, "busybox sh -c '%s' exited with %d; output: %.80s", script, st, out);   \
        CHECK(strstr(out, want), "busybox sh -c '%s': output lacks \"%s\": %.120s", script, want, out); \
        return PASS;                                                                            \
    }

SH_CASE(busybox_pipeline, "echo hello world | busybox wc -w", "2")
SH_CASE(busybox_redirection, "echo kept > /dev/null && busybox cat < /proc/uptime > /dev/null && echo ok", "ok")
SH_CASE(busybox_arithmetic, "echo $((6 * 7))", "42")
SH_CASE(busybox_subshell, "(echo inner; echo more) | busybox sort -r | busybox head -1", "more")
SH_CASE(busybox_ls_root, "busybox ls /", "proc")
SH_CASE(busybox_cat_proc, "busybox cat /proc/meminfo", "MemTotal:")
SH_CASE(busybox_ps, "busybox ps", "PID")
SH_CASE(busybox_free, "busybox free", "Mem:")
SH_CASE(busybox_sort_wc, "printf 'b\\na\\nc\\n' | busybox sort | busybox wc -l", "3")
SH_CASE(busybox_exit_status, "busybox false; echo status=$?", "status=1")

static const struct test tests[] = {
    TEST(busybox_pipeline), TEST(busybox_redirection), TEST(busybox_arithmetic), TEST(busybox_subshell),
    TEST(busybox_ls_root),  TEST(busybox_cat_proc),    TEST(busybox_ps),         TEST(busybox_free),
    TEST(busybox_sort_wc),  TEST(busybox_exit_status),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
