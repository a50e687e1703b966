/*
 * tests/bench/bench.c - micro-benchmarks for `make bench`.
 *
 * Run under QEMU with -icount shift=0, the guest's rdtsc counts executed
 * instructions, so the figures repeat from run to run and compare with
 * Linux's in the same QEMU. The same binary runs on Linux (natively it
 * measures real cycles). Each result is one line:
 *     BENCH <name> <cycles per operation> (<what was measured>)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GETPID_ROUNDS 20000
#define TOUCH_BYTES (64ul << 20)
#define PAGE 4096ul
#define YIELD_ROUNDS 5000
#define FORK_ROUNDS 20
#define COW_BYTES (4ul << 20)
#define PIPE_ROUNDS 2000
#define SHM_BYTES (16ul << 20)
#define SHM_ROUNDS 5
#define SMP_PIPE_ROUNDS 2000
#define FAULT_BYTES (16ul << 20)
#define SHOOTDOWN_ROUNDS 2000
#define FUTEX_ROUNDS 2000
#define FUTEX_WARMUP 10      /* timed rounds before the measured ones */
#define FUTEX_NEVER_WOKEN 2 /* seconds: a ping-pong wait this long was never woken */
#define FUTEX_WAIT 0 /* <linux/futex.h> is not in musl's include path */
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* A bare `syscall` instruction, without the C library's wrapper: what
 * the kernel's entry and exit cost. */
static inline long raw_getpid(void)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_getpid) : "rcx", "r11", "memory");
    return ret;
}

/* One syscall that does nearly nothing: the cost of entry and exit. */
static void bench_getpid(void)
{
    raw_getpid(); /* warm up */
    uint64_t t0 = rdtsc();
    for (int i = 0; i < GETPID_ROUNDS; i++)
        raw_getpid();
    uint64_t t1 = rdtsc();
    printf("BENCH getpid %lu (cycles per round trip, %d rounds)\n", (t1 - t0) / GETPID_ROUNDS, GETPID_ROUNDS);
}

/* Lazy allocation at work: every first touch is a page fault that
 * allocates and zeroes a frame. */
static void bench_first_touch(void)
{
    volatile char *p = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return;
    }
    uint64_t t0 = rdtsc();
    for (unsigned long off = 0; off < TOUCH_BYTES; off += PAGE)
        p[off] = 1;
    uint64_t t1 = rdtsc();
    munmap((void *)p, TOUCH_BYTES);
    printf("BENCH first_touch %lu (cycles per page, 64 MiB, one byte per page)\n", (t1 - t0) / (TOUCH_BYTES / PAGE));
}

/* Two processes passing the CPU back and forth: each yield is a context
 * switch, with a CR3 write since the address spaces differ. */
static void bench_yield(void)
{
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < YIELD_ROUNDS; i++)
            sched_yield();
        _exit(0);
    }
    uint64_t t0 = rdtsc();
    for (int i = 0; i < YIELD_ROUNDS; i++)
        sched_yield();
    uint64_t t1 = rdtsc();
    waitpid(child, NULL, 0);
    printf("BENCH sched_yield %lu (cycles per yield, two processes, %d rounds each)\n",
           (t1 - t0) / (2 * YIELD_ROUNDS), YIELD_ROUNDS);
}

/* fork + exit + wait, with `touched` bytes of private memory written
 * before the fork (copy-on-write makes them cheap to fork). */
static void bench_fork(unsigned long touched, const char *name)
{
    char *mem = NULL;
    if (touched) {
        mem = mmap(NULL, touched, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (unsigned long off = 0; off < touched; off += PAGE)
            mem[off] = 1;
    }
    uint64_t total = 0;
    for (int i = 0; i < FORK_ROUNDS; i++) {
        uint64_t t0 = rdtsc();
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        waitpid(pid, NULL, 0);
        total += rdtsc() - t0;
    }
    if (mem)
        munmap(mem, touched);
    printf("BENCH %s %lu (cycles per fork+exit+wait, %lu KiB touched)\n", name, total / FORK_ROUNDS, touched >> 10);
}

/* The cost of one copy-on-write fault: the child writes every page it
 * inherited, each write copies a page. */
static void bench_cow(void)
{
    unsigned long bytes = COW_BYTES;
    volatile char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (unsigned long off = 0; off < bytes; off += PAGE)
        mem[off] = 1;
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t t0 = rdtsc();
        for (unsigned long off = 0; off < bytes; off += PAGE)
            mem[off] = 2;
        uint64_t per_page = (rdtsc() - t0) / (bytes / PAGE);
        write(p[1], &per_page, sizeof(per_page));
        _exit(0);
    }
    uint64_t per_page = 0;
    read(p[0], &per_page, sizeof(per_page));
    waitpid(pid, NULL, 0);
    close(p[0]);
    close(p[1]);
    munmap((void *)mem, bytes);
    printf("BENCH cow_fault %lu (cycles per page, the child writes %lu MiB it inherited)\n", per_page, bytes >> 20);
}

/* Two processes bouncing one byte through two pipes: each hop wakes the
 * other side and switches to it. */
static void bench_pipe(void)
{
    int ab[2], ba[2];
    char c = 'x';
    pipe(ab);
    pipe(ba);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < PIPE_ROUNDS; i++) {
            read(ab[0], &c, 1);
            write(ba[1], &c, 1);
        }
        _exit(0);
    }
    uint64_t t0 = rdtsc();
    for (int i = 0; i < PIPE_ROUNDS; i++) {
        write(ab[1], &c, 1);
        read(ba[0], &c, 1);
    }
    uint64_t t1 = rdtsc();
    waitpid(pid, NULL, 0);
    printf("BENCH pipe_switch %lu (cycles per switch; round trip = 2 switches, %d round trips)\n",
           (t1 - t0) / (2 * PIPE_ROUNDS), PIPE_ROUNDS);
}

/* Take turns on *turn `rounds` times: wait until it is `me`, hand it to
 * the other side and wake it. op: FUTEX_PRIVATE_FLAG or 0 (shared).
 * timed: each wait gives up after FUTEX_NEVER_WOKEN seconds, returns -1
 * and leaves the turn -1 for both sides (a kernel whose futexes do not
 * reach the other side must not hang the benchmarks); else 0. */
static int futex_turns(volatile int *turn, int me, int op, int rounds, int timed)
{
    const struct timespec limit = {FUTEX_NEVER_WOKEN, 0};
    for (int i = 0; i < rounds; i++) {
        int v;
        while ((v = __atomic_load_n(turn, __ATOMIC_SEQ_CST)) != me) {
            long r = syscall(SYS_futex, turn, FUTEX_WAIT | op, v, timed ? &limit : NULL, NULL, 0);
            if (v == -1 || (r != 0 && errno == ETIMEDOUT)) {
                __atomic_store_n(turn, -1, __ATOMIC_SEQ_CST);
                syscall(SYS_futex, turn, FUTEX_WAKE | op, 1, NULL, NULL, 0);
                return -1;
            }
        }
        __atomic_store_n(turn, 1 - me, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, turn, FUTEX_WAKE | op, 1, NULL, NULL, 0);
    }
    return 0;
}

/* One side of a measured ping-pong: FUTEX_WARMUP timed rounds prove the
 * futex reaches the other side, then FUTEX_ROUNDS untimed ones (a timer
 * per wait would be measured too). The cycles of the untimed rounds, or
 * 0 if the warm-up failed. */
static uint64_t futex_pingpong(volatile int *turn, int me, int op)
{
    if (futex_turns(turn, me, op, FUTEX_WARMUP, 1) != 0)
        return 0;
    uint64_t t0 = rdtsc();
    futex_turns(turn, me, op, FUTEX_ROUNDS, 0);
    return rdtsc() - t0;
}

static int thread_turn;

static void *futex_partner(void *arg)
{
    (void)arg;
    futex_pingpong(&thread_turn, 1, FUTEX_PRIVATE_FLAG);
    return NULL;
}

/* Two threads of one process passing a turn through a private futex:
 * each hand-over wakes the other thread and switches to it, without a
 * CR3 write (one address space). Compare pipe_switch and futex_proc_switch.
 * A kernel without threads or futex prints why instead of a figure. */
static void bench_thread_switch(void)
{
    int probe = 0;
    if (syscall(SYS_futex, &probe, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0) < 0) {
        printf("BENCH thread_switch n/a (futex: %s)\n", strerror(errno));
        return;
    }
    pthread_t t;
    int rc = pthread_create(&t, NULL, futex_partner, NULL);
    if (rc != 0) {
        printf("BENCH thread_switch n/a (pthread_create: %s)\n", strerror(rc));
        return;
    }
    uint64_t cycles = futex_pingpong(&thread_turn, 0, FUTEX_PRIVATE_FLAG);
    pthread_join(t, NULL);
    if (cycles == 0) {
        printf("BENCH thread_switch n/a (a futex wait was never woken)\n");
        return;
    }
    printf("BENCH thread_switch %lu (cycles per switch between two threads, futex ping-pong; round trip = 2 "
           "switches, %d round trips)\n",
           cycles / (2 * FUTEX_ROUNDS), FUTEX_ROUNDS);
}

/* The same ping-pong between two processes, through a MAP_SHARED word and
 * shared futexes: the difference to thread_switch is the address-space
 * switch (CR3 write, TLB refills). */
static void bench_futex_proc_switch(void)
{
    volatile int *turn = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turn == MAP_FAILED || syscall(SYS_futex, turn, FUTEX_WAKE, 1, NULL, NULL, 0) < 0) {
        printf("BENCH futex_proc_switch n/a (%s)\n", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        futex_pingpong(turn, 1, 0);
        _exit(0);
    }
    uint64_t cycles = futex_pingpong(turn, 0, 0);
    waitpid(pid, NULL, 0);
    munmap((void *)turn, PAGE);
    if (cycles == 0) {
        printf("BENCH futex_proc_switch n/a (a shared futex wait was never woken by the other process)\n");
        return;
    }
    printf("BENCH futex_proc_switch %lu (cycles per switch between two processes, shared futex ping-pong; %d round "
           "trips)\n",
           cycles / (2 * FUTEX_ROUNDS), FUTEX_ROUNDS);
}

/* One whole life of a SysV segment: create 16 MiB, attach, touch every
 * page (each touch allocates a frame for the segment), detach, remove. */
static void bench_shm(void)
{
    uint64_t total = 0;
    for (int i = 0; i < SHM_ROUNDS; i++) {
        uint64_t t0 = rdtsc();
        int id = shmget(IPC_PRIVATE, SHM_BYTES, IPC_CREAT | 0600);
        volatile char *p = shmat(id, NULL, 0);
        if (id < 0 || p == (void *)-1) {
            perror("shm");
            return;
        }
        for (unsigned long off = 0; off < SHM_BYTES; off += PAGE)
            p[off] = 1;
        shmdt((void *)p);
        shmctl(id, IPC_RMID, NULL);
        total += rdtsc() - t0;
    }
    printf("BENCH shm_cycle %lu (cycles per shmget+shmat+touch 16 MiB+shmdt+IPC_RMID; %lu per page)\n",
           total / SHM_ROUNDS, total / SHM_ROUNDS / (SHM_BYTES / PAGE));
}

/* ---- several CPUs (make bench runs these with -smp 2, without -icount:
 * QEMU's icount runs the CPUs in turn on one host thread, so parallel
 * work would not show. Wall-clock nanoseconds: they vary with the host's
 * load; compare figures of one run.) ---- */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Pin the calling thread to one CPU; 0 or -1. */
static int pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* The big kernel lock's contentions and wait so far (Pagewise's
 * /proc/lock_stat), summed over the CPUs; -1 if there is none. */
static void bkl_stat(long long *contentions, long long *wait_us)
{
    FILE *f = fopen("/proc/lock_stat", "r");
    char line[256];
    long long c, w;
    *contentions = *wait_us = f ? 0 : -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, " bkl cpu%*d %lld %lld", &c, &w) == 2) {
            *contentions += c;
            *wait_us += w;
        }
    if (f)
        fclose(f);
}

/* Pipe ping-pong between a parent pinned to CPU 0 and a child pinned to
 * `child_cpu`: nanoseconds per round trip. Across CPUs each hop wakes a
 * task on the other, idle CPU (a reschedule IPI) instead of switching. */
static long long pipe_pingpong_ns(int child_cpu)
{
    int ab[2], ba[2];
    char c = 'x';
    pipe(ab);
    pipe(ba);
    pid_t pid = fork();
    if (pid == 0) {
        pin_cpu(child_cpu);
        for (int i = 0; i < SMP_PIPE_ROUNDS; i++) {
            read(ab[0], &c, 1);
            write(ba[1], &c, 1);
        }
        _exit(0);
    }
    write(ab[1], &c, 1); /* one round first: the child has moved to its CPU */
    read(ba[0], &c, 1);
    long long t0 = now_ns();
    for (int i = 1; i < SMP_PIPE_ROUNDS; i++) {
        write(ab[1], &c, 1);
        read(ba[0], &c, 1);
    }
    long long t1 = now_ns();
    waitpid(pid, NULL, 0);
    close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
    return (t1 - t0) / (SMP_PIPE_ROUNDS - 1);
}

static void bench_pipe_2cpu(void)
{
    long long same = pipe_pingpong_ns(0), cross = pipe_pingpong_ns(1);
    printf("BENCH pipe_pingpong_1cpu %lld (ns per round trip, both processes on CPU 0, %d rounds)\n", same,
           SMP_PIPE_ROUNDS);
    printf("BENCH pipe_pingpong_2cpu %lld (ns per round trip, CPU 0 <-> CPU 1, %d rounds)\n", cross, SMP_PIPE_ROUNDS);
}

struct fault_job {
    volatile char *base;
    unsigned long bytes;
    int cpu;
};

static void *fault_worker(void *arg)
{
    struct fault_job *j = arg;
    pin_cpu(j->cpu);
    for (unsigned long off = 0; off < j->bytes; off += PAGE)
        j->base[off] = 1;
    return NULL;
}

/* First touches of FAULT_BYTES by nthreads threads, each on its own CPU
 * with its own part: nanoseconds per page (wall clock, all threads). */
static void bench_fault_threads(int nthreads)
{
    volatile char *p = mmap(NULL, FAULT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    struct fault_job jobs[2];
    pthread_t t[2];
    long long c0, w0, c1, w1;
    bkl_stat(&c0, &w0);
    long long t0 = now_ns();
    for (int i = 0; i < nthreads; i++) {
        jobs[i] = (struct fault_job){p + i * (FAULT_BYTES / nthreads), FAULT_BYTES / nthreads, i};
        pthread_create(&t[i], NULL, fault_worker, &jobs[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    long long t1 = now_ns();
    bkl_stat(&c1, &w1);
    munmap((void *)p, FAULT_BYTES);
    char lock[96] = "";
    if (c0 >= 0)
        snprintf(lock, sizeof(lock), "; BKL: %lld contentions, %lld us waited", c1 - c0, w1 - w0);
    printf("BENCH fault_%s %lld (ns per page, %lu MiB first-touched by %d thread%s on CPU%s%s)\n",
           nthreads == 1 ? "one_thread" : "two_threads", (t1 - t0) / (long long)(FAULT_BYTES / PAGE),
           FAULT_BYTES >> 20, nthreads, nthreads == 1 ? "" : "s", nthreads == 1 ? " 0" : "s 0 and 1", lock);
}

static volatile int spin_stop;

static void *spin_on_cpu1(void *arg)
{
    (void)arg;
    pin_cpu(1);
    while (!spin_stop)
        ;
    return NULL;
}

/* mmap, touch and munmap one page, nanoseconds per round. */
static long long map_touch_unmap_ns(void)
{
    long long t0 = now_ns();
    for (int i = 0; i < SHOOTDOWN_ROUNDS; i++) {
        volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        munmap((void *)p, PAGE);
    }
    return (now_ns() - t0) / SHOOTDOWN_ROUNDS;
}

/* The price of a shootdown: munmap of a touched page with our address
 * space on this CPU only, then with a thread of ours spinning on CPU 1
 * (CPU 1 is in our cpumask: every munmap sends it an IPI and waits). */
static void bench_munmap_shootdown(void)
{
    long long alone = map_touch_unmap_ns();
    pthread_t t;
    spin_stop = 0;
    pthread_create(&t, NULL, spin_on_cpu1, NULL);
    usleep(10000); /* it reaches CPU 1 */
    long long sent0 = -1, sent1 = -1;
    FILE *f = fopen("/proc/vmstat", "r");
    char key[64];
    long long v;
    while (f && fscanf(f, "%63s %lld", key, &v) == 2)
        if (strcmp(key, "nr_tlb_remote_flush") == 0)
            sent0 = v;
    if (f)
        fclose(f);
    long long shared = map_touch_unmap_ns();
    f = fopen("/proc/vmstat", "r");
    while (f && fscanf(f, "%63s %lld", key, &v) == 2)
        if (strcmp(key, "nr_tlb_remote_flush") == 0)
            sent1 = v;
    if (f)
        fclose(f);
    spin_stop = 1;
    pthread_join(t, NULL);
    printf("BENCH munmap_alone %lld (ns per mmap+touch+munmap of a page, the address space on one CPU)\n", alone);
    printf("BENCH munmap_shootdown %lld (ns per mmap+touch+munmap, a thread of ours spinning on CPU 1; %lld shootdowns "
           "for %d munmaps)\n",
           shared, sent1 - sent0, SHOOTDOWN_ROUNDS);
}

/* Run with the argument "smp" on a machine with two CPUs or more. */
static void bench_smp(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        printf("BENCH pipe_pingpong_2cpu n/a (one CPU online)\n");
        return;
    }
    pin_cpu(0);
    bench_pipe_2cpu();
    bench_munmap_shootdown();
    bench_fault_threads(1);
    bench_fault_threads(2);
}

/* `bench`: the one-CPU figures (make bench runs it with -icount);
 * `bench smp`: the ones that need two CPUs (without -icount). */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "smp") == 0) {
        bench_smp();
        return 0;
    }
    bench_getpid();
    bench_first_touch();
    bench_yield();
    bench_fork(0, "fork_plain");
    bench_fork(16ul << 20, "fork_16mib");
    bench_cow();
    bench_pipe();
    bench_futex_proc_switch();
    bench_thread_switch();
    bench_shm();
    return 0;
}
