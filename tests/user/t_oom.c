/*
 * tests/user/t_oom.c - out of memory: with RAM and swap both too small, a
 * process that keeps allocating is killed (SIGKILL, with one console line
 * saying why) and everything else goes on: a modest sibling finishes with
 * correct data, and the parent, init, is never chosen.
 *
 * A process with oom_score_adj -1000 is never chosen, even when it is the
 * largest: with a protected 32 MiB process beside it, the hog is killed
 * at about 20 MiB.
 *
 * Natively the hog is capped by RLIMIT_AS instead, so the test still
 * checks that the hog dies and the others do not (Linux would OOM-kill
 * it only after exhausting this machine's memory, which we do not want).
 */
#include "testlib.h"

#include <stdlib.h>
#include <sys/resource.h>

#define HOG_LIMIT (1L << 40) /* 1 TiB: more than RAM + swap anywhere we run */
#define STEP (4 * MiB)

static int hog(void)
{
    if (!on_pagewise()) {
        struct rlimit rl = {512 * MiB, 512 * MiB}; /* natively: die by mmap failure instead */
        setrlimit(RLIMIT_AS, &rl);
    }
    for (long used = 0; used < HOG_LIMIT; used += STEP) {
        char *p = mmap(NULL, STEP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            raise(SIGKILL); /* natively: the limit stands in for the OOM killer */
        for (long i = 0; i < STEP; i += PAGE_SIZE)
            p[i] = (char)i;
    }
    return 0;
}

static const char *oom_kills_the_hog_only(void)
{
    pid_t h = fork();
    if (h == 0)
        _exit(hog());
    /* A modest sibling: 4 MiB, written and verified while the hog grows. */
    pid_t s = fork();
    if (s == 0) {
        size_t n = 4 * MiB / sizeof(long);
        long *m = malloc(n * sizeof(long));
        if (!m)
            _exit(2);
        for (size_t i = 0; i < n; i++)
            m[i] = (long)(i * 7 + 1);
        sleep_ms(500);
        for (size_t i = 0; i < n; i++)
            if (m[i] != (long)(i * 7 + 1))
                _exit(1);
        _exit(0);
    }
    int sh, ss;
    CHECK(waitpid(s, &ss, 0) == s, "waitpid sibling");
    CHECK(waitpid(h, &sh, 0) == h, "waitpid hog");
    CHECK(WIFSIGNALED(sh) && WTERMSIG(sh) == SIGKILL, "the hog: %s (expected SIGKILL)", status_str(sh));
    CHECK(WIFEXITED(ss) && WEXITSTATUS(ss) == 0, "the sibling: %s", status_str(ss));
    return PASS;
}

#define PROTECTED_SIZE (32 * MiB) /* more than the hog gets to on 48 MiB + 16 MiB swap */

/* The protected process: -1000, then 32 MiB written; tells the parent it
 * is ready, waits for the go, checks every word. Exits 0 if all is well. */
static int protected_process(int ready_fd, int go_fd)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0 || write(fd, "-1000\n", 6) != 6) {
        if (on_pagewise())
            return 2;
        /* natively root may lack CAP_SYS_RESOURCE: no OOM here anyway */
    }
    if (fd >= 0)
        close(fd);
    size_t n = PROTECTED_SIZE / sizeof(long);
    long *m = malloc(n * sizeof(long));
    if (!m)
        return 3;
    for (size_t i = 0; i < n; i++)
        m[i] = (long)(i * 13 + 5);
    send_go(ready_fd);
    if (wait_go(go_fd) != 0)
        return 4;
    for (size_t i = 0; i < n; i++)
        if (m[i] != (long)(i * 13 + 5))
            return 5;
    return 0;
}

/* oom_score_adj -1000 protects the largest process: the hog dies. */
static const char *oom_adj_protects(void)
{
    int ready[2], go[2];
    CHECK_OK(pipe(ready));
    CHECK_OK(pipe(go));
    pid_t p = fork_child();
    CHECK(p >= 0, "fork: %s", errname(errno));
    if (p == 0)
        _exit(protected_process(ready[1], go[0]));
    close(ready[1]);
    close(go[0]);
    int ok = wait_go(ready[0]);
    pid_t h = ok == 0 ? fork() : -1;
    if (h == 0)
        _exit(hog());
    int sh = h > 0 ? wait_for(h) : -1;
    signal(SIGPIPE, SIG_IGN); /* if the protected process was killed, nobody reads the go */
    send_go(go[1]);
    signal(SIGPIPE, SIG_DFL);
    int sp = wait_for(p);
    close(ready[0]);
    close(go[1]);
    CHECK(ok == 0, "the protected process never got ready: %s", status_str(sp));
    CHECK(WIFSIGNALED(sh) && WTERMSIG(sh) == SIGKILL, "the hog: %s (expected SIGKILL)", status_str(sh));
    CHECK(WIFEXITED(sp) && WEXITSTATUS(sp) == 0, "the protected process: %s", status_str(sp));
    return PASS;
}

static const char *oom_memory_returns(void)
{
    if (!on_pagewise())
        return PASS;
    const char *leak = check_no_swap_leak(); /* only this process is left */
    if (leak)
        return leak;
    CHECK(vmstat_get("oom_kill") >= 1, "oom_kill counter did not move");
    return PASS;
}

static const struct test tests[] = {TEST(oom_kills_the_hog_only), TEST(oom_adj_protects), TEST(oom_memory_returns)};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
