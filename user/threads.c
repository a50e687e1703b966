/*
 * user/threads.c - demo: threads share one address space; a fork copies it.
 *
 *   threads
 *
 * A thread is a task that shares its creator's address space (clone with
 * CLONE_VM, which pthread_create uses): one set of page tables, so one
 * frame behind every virtual page. Whatever one thread writes, the other
 * reads at the same address at once, with no system call in between. A
 * forked child gets a copy of the address space instead: it starts on the
 * same frames (copy-on-write), and its first write gives it a frame of its
 * own, which its parent never sees.
 *
 * The demo:
 *   1. two threads take turns on one variable: the main thread writes 1,
 *      the other thread reads it and writes 2, and so on; each prints what
 *      it read. /proc/self/pagemap, read by each thread, shows the frame
 *      (PFN) behind the variable's page: the same for both. getpid() is
 *      the same in both, gettid() is not; /proc/self/task lists both.
 *   2. a fork for contrast: the child writes the variable, the parent still
 *      reads its own value; after the write, two PFNs.
 * Linux shows real PFNs only to root; others read 0 ("PFN hidden").
 * Exit status 0 when the threads saw each other's writes through one
 * frame and the fork gave the child its own.
 *
 * Kernel code: clone with CLONE_VM shares the mm (issue 18: the thread
 * side), fork copies it (kernel/sys_proc.c do_fork, mm/mm.c mm_fork);
 * the copy happens in mm/fault.c do_wp_page. Lesson: docs/address-spaces.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1) /* bits 0-54 */
#define ROUNDS 3                       /* turns each thread takes */

/* The variable both threads use: alone on a page of its own (mmap), so
 * the page's frame is the variable's frame. (A variable in .bss would
 * share its page with the C library's own data, which fork writes.) */
static volatile long *shared;
#define shared_var (*shared)

/* Turn-taking: the thread whose number is in `turn` may go. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: the main thread, 1: the other */
static int surprises;
static long long thread_pfn = -2;

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* The frame behind addr, read from /proc/self/pagemap by the calling
 * thread: the PFN, 0 if hidden, -1 if the page is not in memory. */
static long long pfn_of(const volatile void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    ssize_t n = fd < 0 ? -1 : pread(fd, &entry, sizeof(entry), offset);

    if (fd >= 0)
        close(fd);
    if (n != sizeof(entry) || !(entry & PM_PRESENT))
        return -1;
    return (long long)(entry & PM_PFN_MASK);
}

static const char *pfn_string(long long pfn)
{
    static __thread char buf[64];
    if (pfn < 0)
        return "not present";
    if (pfn == 0)
        return "PFN hidden (not root?)";
    snprintf(buf, sizeof(buf), "PFN 0x%llx", pfn);
    return buf;
}

/* Wait for my turn; read the variable (it must hold `expect`), write
 * `value`, pass the turn. */
static void take_turn(int me, const char *who, long expect, long value)
{
    pthread_mutex_lock(&lock);
    while (turn != me)
        pthread_cond_wait(&changed, &lock);
    long seen = shared_var;
    printf("  %-6s (tid %d): reads %ld%s, writes %ld\n", who, (int)gettid_(), seen,
           seen == expect ? "" : "  <- UNEXPECTED", value);
    surprises += seen != expect;
    shared_var = value;
    turn = 1 - me;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void *other_thread(void *arg)
{
    (void)arg;
    printf("  thread (tid %d): getpid() = %d, the same process\n", (int)gettid_(), (int)getpid());
    for (int i = 0; i < ROUNDS; i++)
        take_turn(1, "thread", 2 * i + 1, 2 * i + 2);
    thread_pfn = pfn_of(&shared_var);
    printf("  thread (tid %d): the variable's page -> %s\n", (int)gettid_(), pfn_string(thread_pfn));
    return NULL;
}

/* Print /proc/self/task (one directory per thread) while both run. */
static void show_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) {
        printf("  /proc/self/task: cannot open it\n");
        return;
    }
    printf("  /proc/self/task:");
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            printf(" %s", e->d_name);
    closedir(d);
    printf("   (one entry per thread, named by its tid)\n");
}

/* Part 1. Returns 1 if the threads saw each other through one frame. */
static int two_threads(void)
{
    printf("1. two threads, one variable at %p (a page of its own)\n", (void *)shared);
    printf("  main   (tid %d): getpid() = %d: the main thread's tid is the pid\n", (int)gettid_(), (int)getpid());
    pthread_t t;
    int rc = pthread_create(&t, NULL, other_thread, NULL);
    if (rc != 0) {
        printf("  pthread_create failed (%s): this kernel has no threads\n", strerror(rc));
        return 0;
    }
    for (int i = 0; i < ROUNDS; i++) {
        take_turn(0, "main", 2 * i, 2 * i + 1);
        if (i == 0)
            show_tasks();
    }
    pthread_mutex_lock(&lock); /* the thread's last write */
    while (turn != 0)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    long long main_pfn = pfn_of(&shared_var);
    pthread_join(t, NULL);
    printf("  main   (tid %d): the variable's page -> %s\n", (int)gettid_(), pfn_string(main_pfn));
    if (main_pfn > 0 && main_pfn == thread_pfn)
        printf("  The SAME frame from both threads: they share one set of page tables,\n"
               "  so a write by one is in the frame the other reads. No copy, no fault.\n");
    else if (main_pfn > 0)
        printf("  DIFFERENT frames: the threads do not share their memory!\n");
    printf("  Each read saw the other thread's last write%s.\n\n", surprises ? " -- NOT ALWAYS" : "");
    return surprises == 0 && (main_pfn <= 0 || main_pfn == thread_pfn);
}

/* Part 2. Returns 1 if the child's write stayed in the child. */
static int fork_contrast(void)
{
    int fds[2];
    printf("2. for contrast, fork: the child gets a copy of the address space\n");
    long long before = pfn_of(&shared_var);
    printf("  parent (pid %d): the variable holds %ld, page -> %s\n", (int)getpid(), shared_var, pfn_string(before));
    fflush(stdout);
    if (pipe(fds) != 0)
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        shared_var = 1000;
        long long pfn = pfn_of(&shared_var);
        printf("  child  (pid %d): writes 1000, page -> %s%s\n", (int)getpid(), pfn_string(pfn),
               pfn > 0 && pfn != before ? ": a NEW frame (copy-on-write)" : "");
        fflush(stdout);
        write(fds[1], &pfn, sizeof(pfn));
        _exit(0);
    }
    long long child_pfn = -1;
    if (pid < 0 || read(fds[0], &child_pfn, sizeof(child_pfn)) != sizeof(child_pfn))
        return 0;
    waitpid(pid, NULL, 0);
    long long after = pfn_of(&shared_var);
    printf("  parent (pid %d): still reads %ld, page -> %s\n", (int)getpid(), shared_var, pfn_string(after));
    int ok = shared_var == 2 * ROUNDS && (after <= 0 || (after == before && child_pfn != after));
    if (after > 0 && child_pfn > 0)
        printf("  TWO frames behind one virtual address: two address spaces.\n\n");
    return ok;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("threads: two threads share one address space; a fork copies it.\n"
           "/proc/self/pagemap shows the physical frame (PFN) behind a virtual page.\n\n");
    shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("threads: mmap");
        return 1;
    }
    int threads_ok = two_threads();
    int fork_ok = threads_ok && fork_contrast();
    printf("Summary: %s\n", threads_ok && fork_ok ? "the threads read each other's writes in ONE frame; the forked\n"
                                                    "child's write went to a frame of its OWN, unseen by its parent."
                                                  : "UNEXPECTED results: see above.");
    return threads_ok && fork_ok ? 0 : 1;
}
