/*
 * tests/user/t_smp.c - the machine's CPUs as a program sees them:
 * /proc/cpuinfo has one block per online CPU in Linux's format (numbered
 * 0..n-1, distinct APIC ids, the same flags on every CPU), its count is
 * what sysconf(_SC_NPROCESSORS_ONLN) and sched_getaffinity say, and the
 * system works with the other CPUs up: fork, exec, threads and timed
 * sleeps (the local APIC timer's tick) behave as on one CPU.
 *
 * The harness boots it with -smp 2 and -smp 4 (tests/boots.py: smp2,
 * smp4) and checks the boot log for "Brought up 1 node, N CPUs"; on Linux
 * the same checks run against the host's CPUs.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>
#include <sched.h>

#define MAX_CPUS 1024
#define NR_THREADS 4
#define THREAD_ROUNDS 10000
#define SLEEP_MS 50
#define SLEEP_LIMIT_MS 2000

static char text[256 * 1024]; /* /proc/cpuinfo of a big host */

/* The value after "name\t...: " in the block starting at blk (its end at
 * the next blank line), copied into val. Returns 0 if absent. */
static int block_field(const char *blk, const char *name, char *val, size_t size)
{
    const char *end = strstr(blk, "\n\n");
    size_t n = strlen(name);
    for (const char *l = blk; l && (!end || l < end); l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, name, n) != 0 || (l[n] != '\t' && l[n] != ' ' && l[n] != ':'))
            continue;
        const char *v = strchr(l, ':');
        if (!v)
            return 0;
        v += v[1] == ' ' ? 2 : 1;
        size_t len = strcspn(v, "\n");
        if (len >= size)
            len = size - 1;
        memcpy(val, v, len);
        val[len] = '\0';
        return 1;
    }
    return 0;
}

/* Split /proc/cpuinfo into its processor blocks; returns their number. */
static int cpuinfo_blocks(const char **blocks, int max)
{
    if (slurp("/proc/cpuinfo", text, sizeof(text)) <= 0)
        return -1;
    int n = 0;
    for (const char *p = text; (p = strstr(p, "processor")) && n < max; p++)
        if (p == text || p[-1] == '\n')
            blocks[n++] = p;
    return n;
}

static const char *smp_cpuinfo_blocks(void)
{
    static const char *blocks[MAX_CPUS];
    static const char *const fields[] = {"vendor_id", "cpu family", "model", "model name", "stepping", "flags",
                                         "apicid"};
    int n = cpuinfo_blocks(blocks, MAX_CPUS);
    CHECK(n >= 1, "/proc/cpuinfo: %d processor blocks (%s)", n, errname(errno));
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(n == online, "/proc/cpuinfo has %d processor blocks, sysconf(_SC_NPROCESSORS_ONLN) says %ld", n, online);
    for (int i = 0; i < n; i++) {
        char val[4096];
        CHECK(block_field(blocks[i], "processor", val, sizeof(val)) && atoi(val) == i,
              "block %d is processor \"%s\"", i, val);
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
            CHECK(block_field(blocks[i], fields[f], val, sizeof(val)), "processor %d has no \"%s\" line", i,
                  fields[f]);
    }
    return PASS;
}

/* Every CPU was set up alike: the same flags, distinct APIC ids. */
static const char *smp_cpus_alike(void)
{
    static const char *blocks[MAX_CPUS];
    static char flags0[4096], flags[4096], id[32];
    static int seen[MAX_CPUS * 4];
    int n = cpuinfo_blocks(blocks, MAX_CPUS);
    CHECK(n >= 1 && block_field(blocks[0], "flags", flags0, sizeof(flags0)), "no flags for processor 0");
    CHECK(strstr(flags0, " lm") && strstr(flags0, "fpu"), "processor 0's flags lack fpu or lm: %s", flags0);
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < n; i++) {
        CHECK(block_field(blocks[i], "flags", flags, sizeof(flags)), "processor %d: no flags", i);
        CHECK(on_pagewise() ? strcmp(flags, flags0) == 0 : 1, "processor %d's flags differ from processor 0's", i);
        CHECK(block_field(blocks[i], "apicid", id, sizeof(id)), "processor %d: no apicid", i);
        int a = atoi(id);
        CHECK(a >= 0 && a < MAX_CPUS * 4 && !seen[a]++, "processor %d: APIC id %d repeated or out of range", i, a);
    }
    return PASS;
}

static const char *smp_affinity_counts_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity: %s", errname(errno));
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(CPU_COUNT(&set) == online, "affinity mask has %d CPUs, %ld online", CPU_COUNT(&set), online);
    CHECK(CPU_ISSET(0, &set) || !on_pagewise(), "CPU 0 not in the affinity mask");
    return PASS;
}

static int exec_echo(void)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || dup2(fd, 1) < 0)
        return 2;
    char *const argv[] = {"echo", "smp", NULL}, *const envp[] = {NULL};
    execve("/bin/echo", argv, envp);
    return 3;
}

static const char *smp_fork_exec_work(void)
{
    int status = run_in_child(exec_echo);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork + exec /bin/echo: %s", status_str(status));
    return PASS;
}

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
    (void)arg;
    for (int i = 0; i < THREAD_ROUNDS; i++) {
        pthread_mutex_lock(&count_lock);
        counter++;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static const char *smp_threads_work(void)
{
    pthread_t t[NR_THREADS];
    counter = 0;
    for (int i = 0; i < NR_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, count_up, NULL) == 0, "pthread_create %d failed", i);
    for (int i = 0; i < NR_THREADS; i++)
        CHECK(pthread_join(t[i], NULL) == 0, "pthread_join %d failed", i);
    CHECK(counter == (long)NR_THREADS * THREAD_ROUNDS, "counter %ld, want %ld", counter,
          (long)NR_THREADS * THREAD_ROUNDS);
    return PASS;
}

/* A timed sleep ends on the timer tick: neither early nor much later. */
static const char *smp_sleep_wakes(void)
{
    long long t0 = now_ns();
    sleep_ms(SLEEP_MS);
    long long ms = (now_ns() - t0) / 1000000;
    CHECK(ms >= SLEEP_MS && ms < SLEEP_LIMIT_MS, "a %d ms sleep took %lld ms", SLEEP_MS, ms);
    return PASS;
}

static const struct test tests[] = {
    TEST(smp_cpuinfo_blocks), TEST(smp_cpus_alike),    TEST(smp_affinity_counts_cpus),
    TEST(smp_fork_exec_work), TEST(smp_threads_work), TEST(smp_sleep_wakes),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
