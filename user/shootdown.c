/*
 * user/shootdown.c - demo: the TLB shootdown, on two CPUs.
 *
 *   shootdown          (boot with two CPUs: make run SMP=2)
 *
 * Each CPU has its own TLB. When one CPU unmaps a page that a thread on
 * another CPU has just used, that CPU's TLB still holds the translation:
 * the kernel must interrupt it (an IPI) and wait until it has flushed,
 * before munmap returns. That is a TLB shootdown.
 *
 *   CPU 0: this thread                   CPU 1: the reader thread
 *                                        reads the page in a loop
 *   munmap(page)
 *     PTE cleared, invlpg here
 *     IPI to CPU 1 ---------------------> interrupt: invlpg, "done"
 *     wait for "done"
 *   munmap returns; flag = 1
 *                                        sees flag = 1, reads the page:
 *                                        SIGSEGV (the PTE is gone and the
 *                                        TLB no longer has a copy)
 *
 * The demo runs two steps, reading /proc/vmstat (nr_tlb_remote_flush:
 * shootdowns sent; nr_tlb_remote_flush_received: answered) and the TLB
 * line of /proc/interrupts around each:
 *   (a) munmap while the reader reads: the reader faults;
 *   (b) mprotect(PROT_READ) while a writer writes: the writer faults.
 * Each counts the accesses that went through after the call returned.
 * Boot with tlb_noshootdown (make run SMP=2 CMDLINE=tlb_noshootdown) and
 * the kernel skips the IPI: the reader goes on reading the page it no
 * longer has, through the stale entry in its CPU's TLB (100,000 reads,
 * then it stops), and the demo exits 1. On Linux the steps run the same (the counters exist
 * only with CONFIG_DEBUG_TLBFLUSH).
 *
 * Kernel code: mm/tlb.c (tlb_shootdown_range, tlb_shootdown_answer),
 * mm/paging.c (unmap_range, flush_if_live), mm/mm.c (switch_cr3: the
 * cpumask), kernel/bkl.c (the spin loop answers too).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define WARM 100000      /* accesses before the change: the TLB holds the page */
#define STALE_MAX 100000 /* reads counted after munmap before the reader stops */
#define MAGIC 0x5eed
#define WAIT_LIMIT_NS 5000000000LL

static long long vmstat(const char *name)
{
    FILE *f = fopen("/proc/vmstat", "r");
    char key[64];
    long long v, found = -1;
    while (f && fscanf(f, "%63s %lld", key, &v) == 2)
        if (strcmp(key, name) == 0)
            found = v;
    if (f)
        fclose(f);
    return found;
}

/* The TLB: line of /proc/interrupts, without its label. */
static void tlb_line(char *out, size_t size)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[200];
    snprintf(out, size, "(no TLB line)");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "TLB:", 4) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(out, size, "%s", line + 4);
        }
    if (f)
        fclose(f);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

struct shared {
    volatile int *page;
    int write;
    int other;
    volatile int changed, warm, done, faulted, cpu;
    volatile long stale;
};

static __thread sigjmp_buf env;
static __thread volatile sig_atomic_t armed;

static void on_segv(int sig)
{
    if (armed)
        siglongjmp(env, 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void *user_fn(void *arg)
{
    struct shared *s = arg;
    pin(s->other);
    s->cpu = sched_getcpu();
    if (sigsetjmp(env, 1)) {
        s->faulted = 1;
        s->done = 1;
        return NULL;
    }
    armed = 1;
    for (long n = 0;; n++) {
        int seen = __atomic_load_n(&s->changed, __ATOMIC_SEQ_CST);
        if (s->write)
            *s->page = MAGIC;
        else if (*s->page != MAGIC)
            break;
        if (n == WARM)
            s->warm = 1;
        if (seen && ++s->stale >= STALE_MAX)
            break;
    }
    armed = 0;
    s->done = 1;
    return NULL;
}

/* Start the user thread on CPU other, wait until it warmed its TLB, run
 * change, raise the flag, wait for the verdict. Prints what moved. */
static int step(const char *title, int write, int other, int (*change)(struct shared *))
{
    struct shared s = {.write = write, .other = other};
    s.page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *s.page = MAGIC;
    pthread_t t;
    pthread_create(&t, NULL, user_fn, &s);
    for (long long end = now_ns() + WAIT_LIMIT_NS; !s.warm && now_ns() < end;)
        usleep(1000);
    char before[256], after[256];
    long long sent = vmstat("nr_tlb_remote_flush"), got = vmstat("nr_tlb_remote_flush_received");
    tlb_line(before, sizeof(before));
    change(&s);
    __atomic_store_n(&s.changed, 1, __ATOMIC_SEQ_CST);
    for (long long end = now_ns() + WAIT_LIMIT_NS; !s.done && now_ns() < end;)
        usleep(1000);
    long long sent2 = vmstat("nr_tlb_remote_flush"), got2 = vmstat("nr_tlb_remote_flush_received");
    tlb_line(after, sizeof(after));
    printf("%s\n", title);
    printf("    the %s ran on CPU %d, this thread on CPU %d\n", write ? "writer" : "reader", s.cpu, sched_getcpu());
    if (sent >= 0)
        printf("    nr_tlb_remote_flush %lld -> %lld, nr_tlb_remote_flush_received %lld -> %lld\n", sent, sent2, got,
               got2);
    printf("    /proc/interrupts TLB:%s\n                  ->%s\n", before, after);
    if (s.faulted && !s.stale)
        printf("    the %s's next access after the call returned: SIGSEGV, as it must\n", write ? "writer" : "reader");
    else
        printf("    %ld %s went through AFTER the call returned: CPU %d used a stale TLB entry%s\n", s.stale,
               write ? "writes" : "reads", s.cpu, s.done ? "" : " (still going)");
    if (!s.done) /* the thread spins on: end the demo here */
        _exit(2);
    pthread_join(t, NULL);
    if (write)
        munmap((void *)s.page, PAGE_SIZE);
    return s.faulted && !s.stale ? 0 : 1;
}

static int do_munmap(struct shared *s) { return munmap((void *)s->page, PAGE_SIZE); }
static int do_mprotect(struct shared *s) { return mprotect((void *)s->page, PAGE_SIZE, PROT_READ); }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
    int other = ncpus > 1 ? 1 : 0;
    struct sigaction sa = {.sa_handler = on_segv};
    sigaction(SIGSEGV, &sa, NULL);
    pin(0);
    printf("shootdown: %ld CPU%s online; this thread on CPU 0, the other on CPU %d%s\n", ncpus, ncpus == 1 ? "" : "s",
           other, ncpus == 1 ? " (one CPU: the local invlpg does it all; try make run SMP=2)" : "");
    int bad = step("(a) munmap on CPU 0 while the reader on CPU 1 reads the page", 0, other, do_munmap);
    if (bad) { /* CPU 1 may also hold our freed thread stack: nothing here is safe any more */
        printf("shootdown: stale translations were used (tlb_noshootdown?); step (b) skipped\n");
        return 1;
    }
    bad = step("(b) mprotect(PROT_READ) on CPU 0 while the writer on CPU 1 writes", 1, other, do_mprotect);
    printf("%s\n", bad ? "shootdown: stale translations were used (tlb_noshootdown?)"
                       : "shootdown: every access after the change faulted");
    return bad;
}
