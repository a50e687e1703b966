/*
 * tests/user/t_mmfuzz.c - a seeded, model-based stress test of the memory
 * manager: many processes, many kinds of mappings, and a model that knows
 * what every page of every process must contain.
 *
 * A driver process (the one that runs the test cases) holds the model and
 * the random generator; worker processes execute its commands. Before it
 * forks anything the driver makes one command pipe and one reply pipe per
 * worker slot, so every process holds all of them and a worker forked from
 * another worker can take over any free slot. The commands:
 *
 *   write, read           stamp pages / check every word of pages
 *   mmap                  private anonymous or MAP_SHARED|MAP_ANONYMOUS,
 *                         MAP_FIXED (replacing) or MAP_FIXED_NOREPLACE
 *   munmap, mprotect      any part of any mapping (NONE, READ, READ|WRITE)
 *   madvise               MADV_DONTNEED and MADV_PAGEOUT (21)
 *   shmat, shmdt          System V segments, made by the driver; attached
 *                         by any worker, also after their last detach
 *   fork, exit            a child takes a free slot with a copy of its
 *                         parent's memory; parents exit before children
 *   pressure              map, touch and unmap MemTotal/2..MemTotal (on
 *                         Pagewise), pushing the others' pages to swap
 *   compact               the driver writes /proc/sys/vm/compact_memory (on
 *                         Pagewise): every movable page may change frames
 *   threads               any command may run in a new thread of the worker
 *                         while its main thread waits in pthread_join (a
 *                         fork there makes a child of that thread alone, an
 *                         exit there is exit_group), or in the main thread
 *                         while a second thread reads or writes a run of
 *                         pages the command does not touch, again and again
 *                         until the command is done (one mm, two tasks
 *                         faulting, mapping and unmapping at once)
 *   migrations            one command in MIGRATE_ODDS first moves the thread
 *                         that runs it to a CPU drawn from the seed
 *                         (sched_setaffinity to that CPU alone), so pages
 *                         faulted in on one CPU are written, unmapped,
 *                         write-protected, paged out and COW-broken on
 *                         another, whose TLB entries must be shot down; the
 *                         worker gets every CPU back before its next command
 *                         (a child forked by a moved thread inherits its one
 *                         CPU, as on Linux, and must run there). One side
 *                         thread in two moves to the next CPU before every
 *                         pass over its run, so a command meets a thread of
 *                         its mm that ran on another CPU a moment ago (the
 *                         other half stay put: a move takes longer than a
 *                         command, so a side thread that hops mostly runs
 *                         before and after the command, not beside it)
 *
 * Each worker's memory under test is an arena of fixed addresses (at
 * ARENA_BASE, --pages pages) plus FILE_PAGES pages of an initialised static
 * array (a private file mapping: .data). The model tracks each page: not
 * mapped, private (with its content), or page i of a shared object (an
 * anonymous shared mapping or a SysV segment, with the object's content),
 * and its protection. Content is a "stamp": a written page holds 512 words
 * that name the stamp and the word, so a wrong word tells which write it
 * came from. The model's rules are Linux's (and this program passes on
 * Linux): fork copies private pages and shares shared mappings,
 * MADV_DONTNEED zeroes private anonymous pages, gives a private file page
 * its file bytes again and leaves shared pages alone, MADV_PAGEOUT and
 * mprotect never change content, a SysV segment keeps its content until
 * IPC_RMID and its last detach. Threads change nothing in the model: the
 * threads of a worker share its memory, and a side thread's run is apart
 * from its command's pages (and from their shared objects), so its result
 * does not depend on timing; its writes are stamped like any other.
 * Migrations change nothing in the model either, but a moved thread must
 * run on its new CPU when sched_setaffinity returns (Linux moves it before
 * the call returns), which the worker checks with sched_getcpu.
 *
 * The op sequence depends only on the seed (never on timing or pids; only
 * the size of a pressure op and the CPU a migration lands on depend on the
 * machine: the drawn number modulo the number of CPUs the test may use,
 * those of its affinity at the start, which is what musl's
 * sysconf(_SC_NPROCESSORS_ONLN) counts and all the online CPUs unless
 * taskset says fewer), so a failure, printed as one line
 *
 *   mmfuzz: seed 7 step 1234: worker 3 read 0x10000005000 +2 pages: page
 *   0x10000005000 (private rw-) word 0 is 0x... (stamp 85 word 0), model
 *   says 0x... (stamp 88) (replay: t_mmfuzz --seed 7 --ops 1234 ...)
 *
 * comes back with `t_mmfuzz --seed 7 --ops 1234` (add --trace to see the
 * ops that led there). A worker that crashes says so through its reply
 * pipe; one that dies silently or hangs is noticed within a second or after
 * OP_TIMEOUT seconds. Every VMCHECK_EVERY ops and at the end,
 * /proc/vmcheck (Pagewise's own invariant checker) must say "vm_check: ok",
 * if the kernel has it. At the end of each seed every worker exits and, on
 * Pagewise, the frames and swap slots must all come back.
 *
 * Run: t_mmfuzz [case...]                  the default budget
 *      t_mmfuzz --seed S | --seeds N [--ops N] [--workers N] [--pages N]
 *      add --trace to print each op before it runs, --no-threads to run
 *      every command in the main thread (for a kernel without threads; the
 *      same random draws, so a seed runs the same ops otherwise),
 *      --no-migrations to leave every thread where the scheduler puts it
 *      (the same draws again: does a failing seed need the migrations?)
 */
#include "testlib.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef SHM_FAILED
#define SHM_FAILED ((void *)-1)
#endif

#define WORDS 512                      /* 64-bit words in a page */
#define ARENA_BASE 0x10000000000ull    /* 1 TiB: far from anything else */
#define MAX_ARENA_PAGES 4096           /* --pages at most */
#define FILE_PAGES 64                  /* pages of the .data array */
#define MAX_SLOTS 16                   /* --workers at most */
#define MAX_RUN 16                     /* pages one read or write command covers */
#define MAX_OBJ_PAGES 64               /* pages of a shared mapping or segment */
#define MAX_SYSV 6                     /* SysV segments alive (not removed) at once */
#define PRESSURE_ODDS 400              /* one op in this many is a pressure op */
#define COMPACT_ODDS 250               /* ... and one in this many a compaction */
#define NATIVE_PRESSURE_MAX (32 * MiB) /* Linux: no swap to push to, keep it quick */
#define VMCHECK_EVERY 500              /* ops between two /proc/vmcheck reads */
#define OP_TIMEOUT 60                  /* seconds a worker may take to answer */
#define WORKER_IDLE_TIMEOUT 600        /* a worker waiting longer for a command dies */
#define FRAME_SLACK_KB 1024            /* kernel caches may keep a few frames */
#define THREAD_ODDS 8                  /* 1 in 8 commands in a new thread, 1 in 8 beside one */
#define MIGRATE_ODDS 4                 /* 1 in 4 commands moves its thread to another CPU first */
#define CPU_DRAW 4096                  /* a migration draws 0..CPU_DRAW-1, modulo the CPUs */
#define SIDE_HOP_ODDS 2                /* 1 side thread in 2 moves to the next CPU every pass */

/* ---------------------------------------------------------------------------
 * Page contents. A stamp names what a page holds: 0 is a zero page,
 * STAMP_FILE | k the bytes of page k of the .data array as in the file, any
 * other value the unique stamp of one page write.
 * ------------------------------------------------------------------------- */

#define STAMP_FILE (1ull << 62)
#define STAMP_MAGIC 0xc3a0000000000000ull
#define FILE_WORD(k) (0x5a5a5a5a5a5a0000ull | (uint64_t)(k))

/* The private file mapping under test: page k holds FILE_WORD(k) in every
 * word, in the program file. Page aligned and a whole number of pages, so no
 * other variable shares its pages. */
#define FILE_PAGE_INIT(k) [(k)*WORDS...(k) * WORDS + WORDS - 1] = FILE_WORD(k)
#define FILE_PAGES_INIT8(k)                                                                                            \
    FILE_PAGE_INIT(k), FILE_PAGE_INIT(k + 1), FILE_PAGE_INIT(k + 2), FILE_PAGE_INIT(k + 3), FILE_PAGE_INIT(k + 4),     \
        FILE_PAGE_INIT(k + 5), FILE_PAGE_INIT(k + 6), FILE_PAGE_INIT(k + 7)
static uint64_t filedata[FILE_PAGES * WORDS] __attribute__((aligned(4096))) = {
    FILE_PAGES_INIT8(0),  FILE_PAGES_INIT8(8),  FILE_PAGES_INIT8(16), FILE_PAGES_INIT8(24),
    FILE_PAGES_INIT8(32), FILE_PAGES_INIT8(40), FILE_PAGES_INIT8(48), FILE_PAGES_INIT8(56),
};

/* Word i of a page that holds stamp. */
static uint64_t stamp_word(uint64_t stamp, unsigned i)
{
    if (stamp == 0)
        return 0;
    if (stamp & STAMP_FILE)
        return FILE_WORD(stamp & ~STAMP_FILE);
    return STAMP_MAGIC ^ (stamp << 12) ^ i;
}

/* Describe a stamp for a person: "stamp 88", "zero", "file page 3". */
static const char *stamp_str(uint64_t stamp, char *buf, size_t size)
{
    if (stamp == 0)
        snprintf(buf, size, "zero");
    else if (stamp & STAMP_FILE)
        snprintf(buf, size, "file page %llu", (unsigned long long)(stamp & ~STAMP_FILE));
    else
        snprintf(buf, size, "stamp %llu", (unsigned long long)stamp);
    return buf;
}

/* Guess where a word found in memory came from (the inverse of stamp_word). */
static const char *word_origin(uint64_t word, char *buf, size_t size)
{
    uint64_t x = word ^ STAMP_MAGIC;

    if (word == 0)
        snprintf(buf, size, "zero");
    else if ((word & ~0xffffull) == FILE_WORD(0))
        snprintf(buf, size, "file page %llu", (unsigned long long)(word & 0xffff));
    else if ((x >> 52) == 0)
        snprintf(buf, size, "stamp %llu word %llu", (unsigned long long)(x >> 12), (unsigned long long)(x & 0xfff));
    else
        snprintf(buf, size, "no stamp");
    return buf;
}

/* ---------------------------------------------------------------------------
 * The protocol between the driver and a worker: fixed-size messages, far
 * below PIPE_BUF, so each is written and read whole.
 * ------------------------------------------------------------------------- */

enum cmd_op {
    CMD_WRITE,    /* addr, n pages: page j gets stamp value + j */
    CMD_READ,     /* addr, n pages: page j must hold stamps[j] */
    CMD_MMAP,     /* addr, n pages, prot = arg, flags = value */
    CMD_MUNMAP,   /* addr, n pages */
    CMD_MPROTECT, /* addr, n pages, prot = arg */
    CMD_MADVISE,  /* addr, n pages, advice = arg */
    CMD_SHMAT,    /* munmap addr, n pages; then shmat(shmid = arg, addr, flags = value) */
    CMD_SHMDT,    /* shmdt(addr) */
    CMD_FORK,     /* fork; the child serves slot arg */
    CMD_EXIT,     /* answer, then _exit(0) */
    CMD_PRESSURE, /* map, touch and unmap value bytes */
};

/* Who runs a command in the worker. */
enum cmd_thread {
    THR_MAIN, /* the main thread */
    THR_RUN,  /* a new thread; the main thread waits in pthread_join */
    THR_SIDE, /* the main thread, while a new thread loops over the side run */
};

struct cmd {
    int op, arg, n, thread; /* thread: enum cmd_thread */
    int cpu;                /* the thread that runs it moves to this CPU first; -1: it stays */
    uint64_t addr, value;
    uint64_t stamps[MAX_RUN];
    /* THR_SIDE: side_n pages at side_addr, read (they hold side_stamps)
     * or, if side_write, written (page j gets stamp side_value + j). */
    int side_n, side_write;
    int side_cpu; /* the side thread's first CPU (an index into cpu_ids); -1: no hops */
    uint64_t side_addr, side_value;
    uint64_t side_stamps[MAX_RUN];
};

enum reply_status {
    ANS_OK,       /* done; val is the result (an address, a pid) */
    ANS_ERR,      /* the call failed with errno err */
    ANS_MISMATCH, /* a read found page j, word i holding found, not expected */
    ANS_CRASH,    /* the worker got signal err at address val */
    ANS_HELLO,    /* a new worker (pid val) serves its slot */
    ANS_NOTHREAD, /* pthread_create failed with err: the command did not run */
    ANS_NOMIGRATE, /* sched_setaffinity failed with err: the command did not run */
    ANS_WRONGCPU, /* side_status: after a hop to CPU side_expected it ran on side_found */
};

struct reply {
    int status, err;
    int64_t val;
    int32_t page, word;
    uint64_t expected, found;
    /* THR_SIDE: the side thread's passes over its run, and its first
     * mismatch (side_status ANS_MISMATCH) if a read found one. */
    int32_t side_status, side_page, side_word;
    int64_t side_passes, side_hops;
    uint64_t side_expected, side_found;
    /* A moved command: the CPU its thread ran on before sched_setaffinity
     * and the one after. The hello of a moved thread's child: cpu_on is
     * where the child runs, mask_count and mask_first its affinity. */
    int32_t cpu_from, cpu_on, mask_count, mask_first;
};

static int cmd_fd[MAX_SLOTS][2];   /* [slot][0]: the worker reads, [1]: the driver writes */
static int reply_fd[MAX_SLOTS][2]; /* [slot][0]: the driver reads, [1]: the worker writes */

/* Read exactly len bytes (retrying after EINTR); 0, or -1 on EOF/error. */
static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * CPUs. The test uses the CPUs of its affinity at the start (find_cpus);
 * a migration pins a thread to one of them, and the worker's main thread
 * gets them all back before its next command.
 * ------------------------------------------------------------------------- */

static cpu_set_t all_cpus;         /* the CPUs the test may use */
static int cpu_ids[CPU_SETSIZE];   /* the numbers of those CPUs, in order */
static int ncpus;                  /* how many there are */
static int migrations_on = 1;      /* --no-migrations: no sched_setaffinity */
static __thread int thread_pinned; /* this thread runs on one CPU (a migration) */

/* Learn the CPUs the test may use: its affinity now (called once, by the
 * driver before it forks anything; the workers inherit the list). */
static void find_cpus(void)
{
    if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) != 0) {
        CPU_ZERO(&all_cpus);
        CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &all_cpus);
    }
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all_cpus))
            cpu_ids[ncpus++] = c;
}

/* Move the calling thread to cpu alone: it runs there when this returns
 * (checked by the callers). 0, or -1 with errno. */
static int pin_thread(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0)
        return -1;
    thread_pinned = 1;
    return 0;
}

/* Give the calling thread every CPU of the test again if a migration
 * pinned it (the worker's loop, before each command: also in the child of
 * a fork by a pinned thread, which inherited the one CPU). */
static void unpin_thread(void)
{
    if (thread_pinned && sched_setaffinity(0, sizeof(all_cpus), &all_cpus) == 0)
        thread_pinned = 0;
}

/* ---------------------------------------------------------------------------
 * The worker: executes commands on its own memory, answers each one.
 * ------------------------------------------------------------------------- */

static int worker_slot; /* the slot this process serves */

static void worker_reply(const struct reply *r) { write_all(reply_fd[worker_slot][1], (const char *)r, sizeof(*r)); }

/* A worker that faults reports it, so the driver can name the seed and the
 * step at once (the test only touches pages the model says it may). */
static void worker_crashed(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    struct reply r = {.status = ANS_CRASH, .err = sig, .val = (int64_t)(uintptr_t)si->si_addr};
    worker_reply(&r);
    _exit(128 + sig);
}

/* In a new worker: fault signals report and die, SIGALRM kills (the idle
 * alarm), SIGCHLD stays ignored (inherited) so exited children vanish. */
static void worker_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = worker_crashed;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        sigaction(faults[i], &sa, NULL);
    signal(SIGALRM, SIG_DFL);
}

static void write_pages(const struct cmd *c)
{
    for (int j = 0; j < c->n; j++) {
        uint64_t *p = (uint64_t *)(uintptr_t)(c->addr + (uint64_t)j * PAGE_SIZE);
        for (unsigned i = 0; i < WORDS; i++)
            p[i] = stamp_word(c->value + (uint64_t)j, i);
    }
}

/* Check every word of the pages; fill r with the first mismatch. */
static void read_pages(const struct cmd *c, struct reply *r)
{
    for (int j = 0; j < c->n; j++) {
        const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)(c->addr + (uint64_t)j * PAGE_SIZE);
        for (unsigned i = 0; i < WORDS; i++) {
            uint64_t want = stamp_word(c->stamps[j], i), got = p[i];
            if (got != want) {
                *r = (struct reply){.status = ANS_MISMATCH, .page = j, .word = (int)i, .expected = want, .found = got};
                return;
            }
        }
    }
}

/* Map, touch and unmap bytes of private anonymous memory. */
static long apply_pressure(size_t bytes)
{
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    for (size_t off = 0; off < bytes; off += PAGE_SIZE)
        ((volatile char *)p)[off] = (char)(off >> 12);
    return munmap(p, bytes);
}

/* Fork for CMD_FORK: the parent answers with the child's pid; the child
 * becomes the worker of slot `slot` and its answer there is a hello (which
 * says where the child runs and its affinity, if the forking thread had
 * been moved to one CPU: the child must have inherited it). */
static long worker_fork(const struct cmd *c, struct reply *r)
{
    pid_t pid = fork();
    if (pid == 0) {
        worker_slot = c->arg;
        *r = (struct reply){.status = ANS_HELLO, .val = getpid(), .cpu_on = -1, .mask_first = -1};
        cpu_set_t mask;
        if (c->cpu >= 0 && sched_getaffinity(0, sizeof(mask), &mask) == 0) {
            r->cpu_on = sched_getcpu();
            r->mask_count = CPU_COUNT(&mask);
            for (int k = 0; k < CPU_SETSIZE && r->mask_first < 0; k++)
                if (CPU_ISSET(k, &mask))
                    r->mask_first = k;
        }
    }
    return pid;
}

/* Execute one command. Returns the result for ANS_OK (or -1 with errno). */
static long worker_execute(const struct cmd *c, struct reply *r)
{
    void *addr = (void *)(uintptr_t)c->addr;
    size_t len = (size_t)c->n * PAGE_SIZE;

    switch (c->op) {
    case CMD_WRITE: write_pages(c); return 0;
    case CMD_READ: read_pages(c, r); return 0;
    case CMD_MMAP: {
        void *p = mmap(addr, len, c->arg, (int)c->value | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? -1 : (long)(uintptr_t)p;
    }
    case CMD_MUNMAP: return munmap(addr, len);
    case CMD_MPROTECT: return mprotect(addr, len, c->arg);
    case CMD_MADVISE: return madvise(addr, len, c->arg);
    case CMD_SHMAT: {
        if (munmap(addr, len) != 0)
            return -1;
        void *p = shmat(c->arg, addr, (int)c->value);
        return p == SHM_FAILED ? -1 : (long)(uintptr_t)p;
    }
    case CMD_SHMDT: return shmdt(addr);
    case CMD_FORK: return worker_fork(c, r);
    case CMD_EXIT: worker_reply(r); _exit(0);
    case CMD_PRESSURE: return apply_pressure((size_t)c->value);
    default: errno = ENOSYS; return -1;
    }
}

/* Execute c in the calling thread, which moves first to c->cpu if the
 * command names one; the answer says where the thread ran before and after
 * the move (the driver checks the second). Who calls: worker_dispatch and
 * the threads it starts, for the command itself. */
static long worker_command(const struct cmd *c, struct reply *r)
{
    int from = -1, on = -1;
    if (c->cpu >= 0) {
        from = sched_getcpu();
        if (pin_thread(c->cpu) != 0) {
            *r = (struct reply){.status = ANS_NOMIGRATE, .err = errno};
            return -1;
        }
        on = sched_getcpu();
    }
    r->cpu_from = from; /* set before: an exit answers from inside worker_execute */
    r->cpu_on = on;
    long v = worker_execute(c, r);
    if (r->status != ANS_HELLO) { /* a mismatch rewrote the answer; a child has its own */
        r->cpu_from = from;
        r->cpu_on = on;
    }
    return v;
}

static __attribute__((noreturn)) void worker_main(int slot);

/* THR_RUN: one command in a new thread. */
struct run_job {
    const struct cmd *c;
    struct reply r;
    long v;
    int err;
};

static void *run_thread(void *arg)
{
    struct run_job *j = arg;
    j->r = (struct reply){.status = ANS_OK};
    j->v = worker_command(j->c, &j->r);
    j->err = errno;
    if (j->r.status == ANS_HELLO) { /* the child of a fork: this thread is all of it now */
        worker_reply(&j->r);
        worker_main(worker_slot);
    }
    return NULL;
}

/* THR_SIDE: the side run, read or written, at least once and then again
 * until the main thread's command is done; the CPU is offered to the
 * command after every page (on one CPU the two then interleave page by
 * page, not only when a timer tick preempts one of them). If the driver
 * says so, the side thread moves to the next CPU of the test before every
 * pass. */
struct side_job {
    struct cmd c; /* the side run as a CMD_READ or CMD_WRITE */
    int first_cpu; /* an index into cpu_ids; -1: the thread stays put */
    int done;
    long passes, hops;
    struct reply r;
};

/* Move the side thread to the CPU of this pass. 0, or -1 with j->r saying
 * why (sched_setaffinity failed, or the thread runs elsewhere after it). */
static int side_hop(struct side_job *j)
{
    int cpu = cpu_ids[(j->first_cpu + j->passes) % ncpus];
    if (pin_thread(cpu) != 0) {
        j->r.status = ANS_NOMIGRATE;
        j->r.err = errno;
        return -1;
    }
    int on = sched_getcpu();
    if (on != cpu) {
        j->r.status = ANS_WRONGCPU;
        j->r.expected = (uint64_t)cpu;
        j->r.found = (uint64_t)on;
        return -1;
    }
    j->hops++;
    return 0;
}

static void *side_thread(void *arg)
{
    struct side_job *j = arg;
    do {
        if (j->first_cpu >= 0 && side_hop(j) != 0)
            break;
        for (int p = 0; p < j->c.n && j->r.status == ANS_OK; p++) {
            struct cmd one = j->c;
            one.n = 1;
            one.addr += (uint64_t)p * PAGE_SIZE;
            one.value += (uint64_t)p;
            one.stamps[0] = j->c.stamps[p];
            if (one.op == CMD_WRITE)
                write_pages(&one);
            else
                read_pages(&one, &j->r);
            j->r.page = p; /* (read_pages counted from this page) */
            sched_yield();
        }
        j->passes++;
    } while (j->r.status == ANS_OK && !__atomic_load_n(&j->done, __ATOMIC_SEQ_CST));
    return NULL;
}

static long side_execute(const struct cmd *c, struct reply *r)
{
    static struct side_job j; /* one at a time; static: off the stack */
    memset(&j, 0, sizeof(j));
    j.c = (struct cmd){.op = c->side_write ? CMD_WRITE : CMD_READ, .n = c->side_n, .addr = c->side_addr,
                       .value = c->side_value};
    j.first_cpu = c->side_cpu;
    memcpy(j.c.stamps, c->side_stamps, sizeof(j.c.stamps));
    j.r.status = ANS_OK;
    pthread_t t;
    int rc = pthread_create(&t, NULL, side_thread, &j);
    if (rc != 0) {
        *r = (struct reply){.status = ANS_NOTHREAD, .err = rc};
        return -1;
    }
    sched_yield(); /* the side thread starts first: the command runs in the middle of a pass */
    long v = worker_command(c, r);
    int err = errno;
    if (r->status == ANS_HELLO) /* the child of a fork: the side thread stayed in the parent */
        return v;
    __atomic_store_n(&j.done, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    r->side_status = j.r.status;
    r->side_page = j.r.page;
    r->side_word = j.r.status == ANS_NOMIGRATE ? j.r.err : j.r.word;
    r->side_expected = j.r.expected;
    r->side_found = j.r.found;
    r->side_passes = j.passes;
    r->side_hops = j.hops;
    errno = err;
    return v;
}

/* Execute a command in the thread it asks for. */
static long worker_dispatch(const struct cmd *c, struct reply *r)
{
    if (c->thread == THR_SIDE)
        return side_execute(c, r);
    if (c->thread != THR_RUN)
        return worker_command(c, r);
    struct run_job j = {.c = c};
    pthread_t t;
    int rc = pthread_create(&t, NULL, run_thread, &j);
    if (rc != 0) {
        *r = (struct reply){.status = ANS_NOTHREAD, .err = rc};
        return -1;
    }
    pthread_join(t, NULL);
    *r = j.r;
    errno = j.err;
    return j.v;
}

/* The worker's life: command, answer, until CMD_EXIT (or the driver is
 * gone for WORKER_IDLE_TIMEOUT seconds: SIGALRM ends us). */
static __attribute__((noreturn)) void worker_main(int slot)
{
    worker_slot = slot;
    worker_signals();
    for (;;) {
        struct cmd c;
        unpin_thread();
        alarm(WORKER_IDLE_TIMEOUT);
        if (read_full(cmd_fd[worker_slot][0], &c, sizeof(c)) != 0)
            _exit(2);
        struct reply r = {.status = ANS_OK};
        long v = worker_dispatch(&c, &r);
        if (v == -1 && r.status == ANS_OK) /* (the side thread's and the CPU fields stay) */
            r.status = ANS_ERR, r.err = errno;
        else if (r.status == ANS_OK)
            r.val = v;
        worker_reply(&r);
    }
}

/* ---------------------------------------------------------------------------
 * The model: what every page of every worker must hold.
 * ------------------------------------------------------------------------- */

enum page_kind { PG_NONE, PG_PRIVATE, PG_SHARED };

struct page_state {
    uint8_t kind;     /* enum page_kind */
    uint8_t prot;     /* PROT_NONE, PROT_READ or PROT_READ | PROT_WRITE */
    uint8_t no_write; /* a SHM_RDONLY attach: mprotect may not add PROT_WRITE */
    uint32_t obj;     /* PG_SHARED: the shared object ... */
    uint32_t index;   /* ... and which of its pages */
    uint64_t stamp;   /* PG_PRIVATE: the content */
};

struct worker {
    int live;
    int parent;               /* the slot of the parent worker; -1: none (the driver, or exited) */
    pid_t pid;                /* 0 until known */
    struct page_state *pages; /* the arena's pages, then the FILE_PAGES file pages */
};

/* A shared object: an anonymous shared mapping (gone with its last
 * mapping) or a SysV segment (gone after IPC_RMID and its last detach). */
struct object {
    int used, sysv, removed, shmid;
    int refs; /* pages of live workers that map it */
    int npages;
    uint64_t stamps[MAX_OBJ_PAGES];
};

struct config {
    uint64_t first_seed;
    int seeds;
    long ops;
    int slots; /* worker slots (processes at most) */
    int pages; /* arena pages per worker */
};

struct stats {
    long ops, pages_read, mismatches, pages_written, forks, exits, dontneeds, pageouts, pageouts_einval, pressures,
        pressure_mib, vmchecks, segments, failures, compactions;
    long thread_runs, side_runs, side_passes; /* commands in a thread, beside one; side passes */
    long migrations, migrations_moved, side_hops; /* moved commands, those that changed CPU; side hops */
    long long pswpout, pswpin;                /* pages swapped out and in (/proc/vmstat) */
    long long readaround;                     /* ... of which read with another's fault (Pagewise only) */
};

struct run {
    const struct config *cfg;
    struct stats *st;
    uint64_t seed, rng;
    long step;
    uint64_t next_stamp;
    int arena_pages, total_pages;
    uint64_t file_base;   /* the address of filedata, the same in every worker */
    size_t pressure_base; /* pressure ops map pressure_base/2 .. pressure_base */
    struct worker w[MAX_SLOTS];
    struct object *objs;
    int nobjs;
    int last_cpu; /* the CPU the last call's command moved to (-1: none) */
    pid_t *pids;  /* every worker ever started, to see them all gone */
    int npids, pids_cap;
    char desc[200]; /* the op being done, for --trace and for failures */
    char why[700];  /* the failure */
};

static int trace;           /* --trace: print each op before it runs */
static int threads_on = 1;  /* --no-threads: every command in the main thread */
static struct run *cur_run; /* the run in progress, for the SIGALRM handler */

static uint64_t rnd(struct run *r, uint64_t n) { return prng_below(&r->rng, n); }

/* Name the op about to run (and print it with --trace). */
__attribute__((format(printf, 2, 3))) static void begin(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->desc, sizeof(r->desc), fmt, ap);
    va_end(ap);
    if (trace)
        out("# step %ld: %s\n", r->step, r->desc);
}

/* Record the failure: seed, step, op and what went wrong. Returns -1. */
__attribute__((format(printf, 2, 3))) static int failf(struct run *r, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(r->why, sizeof(r->why), "mmfuzz: seed %llu step %ld: %s: %s", (unsigned long long)r->seed, r->step,
             r->desc, detail);
    return -1;
}

static uint64_t page_addr(const struct run *r, int p)
{
    if (p < r->arena_pages)
        return ARENA_BASE + (uint64_t)p * PAGE_SIZE;
    return r->file_base + (uint64_t)(p - r->arena_pages) * PAGE_SIZE;
}

/* A free object (they are few enough to search). */
static int obj_new(struct run *r, int npages, int sysv, int shmid)
{
    for (int o = 0; o < r->nobjs; o++) {
        if (r->objs[o].used)
            continue;
        memset(&r->objs[o], 0, sizeof(r->objs[o]));
        r->objs[o] = (struct object){.used = 1, .sysv = sysv, .shmid = shmid, .npages = npages};
        return o;
    }
    return -1; /* cannot happen: nobjs covers every page plus MAX_SYSV */
}

/* One page less maps object o: forget it when nothing can reach it. */
static void obj_put(struct run *r, uint32_t o)
{
    struct object *ob = &r->objs[o];
    if (--ob->refs == 0 && (!ob->sysv || ob->removed))
        ob->used = 0;
}

static void page_clear(struct run *r, struct page_state *ps)
{
    if (ps->kind == PG_SHARED)
        obj_put(r, ps->obj);
    memset(ps, 0, sizeof(*ps));
}

static void page_set_private(struct run *r, struct page_state *ps, int prot, uint64_t stamp)
{
    page_clear(r, ps);
    *ps = (struct page_state){.kind = PG_PRIVATE, .prot = (uint8_t)prot, .stamp = stamp};
}

static void page_set_shared(struct run *r, struct page_state *ps, int prot, int no_write, int o, int index)
{
    page_clear(r, ps);
    *ps = (struct page_state){.kind = PG_SHARED,
                              .prot = (uint8_t)prot,
                              .no_write = (uint8_t)no_write,
                              .obj = (uint32_t)o,
                              .index = (uint32_t)index};
    r->objs[o].refs++;
}

/* What a mapped page holds. */
static uint64_t page_content(const struct run *r, const struct page_state *ps)
{
    return ps->kind == PG_SHARED ? r->objs[ps->obj].stamps[ps->index] : ps->stamp;
}

/* A write of stamp to a mapped page (for everyone, if it is shared). */
static void page_store(struct run *r, struct page_state *ps, uint64_t stamp)
{
    if (ps->kind == PG_SHARED)
        r->objs[ps->obj].stamps[ps->index] = stamp;
    else
        ps->stamp = stamp;
}

/* Describe how a page is mapped, for a failure report. */
static const char *page_str(const struct run *r, const struct page_state *ps, char *buf, size_t size)
{
    const char *prot = ps->prot == PROT_NONE ? "---" : ps->prot == PROT_READ ? "r--" : "rw-";
    if (ps->kind == PG_NONE)
        snprintf(buf, size, "not mapped");
    else if (ps->kind == PG_PRIVATE)
        snprintf(buf, size, "private %s", prot);
    else if (r->objs[ps->obj].sysv)
        snprintf(buf, size, "SysV segment, object %u page %u %s", ps->obj, ps->index, prot);
    else
        snprintf(buf, size, "shared object %u page %u %s", ps->obj, ps->index, prot);
    return buf;
}

static int page_mapped(const struct page_state *ps) { return ps->kind != PG_NONE; }
static int page_readable(const struct page_state *ps) { return ps->kind != PG_NONE && (ps->prot & PROT_READ); }
static int page_writable(const struct page_state *ps) { return ps->kind != PG_NONE && (ps->prot & PROT_WRITE); }

static int live_count(const struct run *r)
{
    int n = 0;
    for (int s = 0; s < r->cfg->slots; s++)
        n += r->w[s].live;
    return n;
}

/* A live worker, uniformly. */
static int pick_live(struct run *r)
{
    int k = (int)rnd(r, (uint64_t)live_count(r));
    for (int s = 0; s < r->cfg->slots; s++)
        if (r->w[s].live && k-- == 0)
            return s;
    return -1;
}

/* A free slot, uniformly; -1 if there is none. */
static int pick_free(struct run *r)
{
    int n = r->cfg->slots - live_count(r);
    if (n == 0)
        return -1;
    int k = (int)rnd(r, (uint64_t)n);
    for (int s = 0; s < r->cfg->slots; s++)
        if (!r->w[s].live && k-- == 0)
            return s;
    return -1;
}

/* A live worker that has live children, uniformly; -1 if there is none. */
static int pick_parent(struct run *r)
{
    int is_parent[MAX_SLOTS] = {0}, n = 0;
    for (int s = 0; s < r->cfg->slots; s++)
        if (r->w[s].live && r->w[s].parent >= 0 && !is_parent[r->w[s].parent]++)
            n++;
    if (n == 0)
        return -1;
    int k = (int)rnd(r, (uint64_t)n);
    for (int s = 0; s < r->cfg->slots; s++)
        if (is_parent[s] && k-- == 0)
            return s;
    return -1;
}

/* A SysV segment not yet removed, uniformly; -1 if there is none. */
static int pick_segment(struct run *r)
{
    int n = 0;
    for (int o = 0; o < r->nobjs; o++)
        n += r->objs[o].used && r->objs[o].sysv && !r->objs[o].removed;
    if (n == 0)
        return -1;
    int k = (int)rnd(r, (uint64_t)n);
    for (int o = 0; o < r->nobjs; o++)
        if (r->objs[o].used && r->objs[o].sysv && !r->objs[o].removed && k-- == 0)
            return o;
    return -1;
}

/* A run of at most max pages of worker w, each accepted by ok(), inside one
 * region (the arena, or one time in five the file array): it starts at the
 * first accepted page at or after a random page of the region. Returns its
 * length, 0 if no page of the region qualifies; its first page in *first. */
static int pick_run(struct run *r, int w, int max, int (*ok)(const struct page_state *), int *first)
{
    int file = rnd(r, 5) == 0;
    int lo = file ? r->arena_pages : 0, size = file ? FILE_PAGES : r->arena_pages;
    int start = (int)rnd(r, (uint64_t)size), want = 1 + (int)rnd(r, (uint64_t)max);
    const struct page_state *pg = r->w[w].pages;

    for (int k = 0; k < size; k++) {
        int p = lo + (start + k) % size;
        if (!ok(&pg[p]))
            continue;
        int n = 1;
        while (n < want && p + n < lo + size && ok(&pg[p + n]))
            n++;
        *first = p;
        return n;
    }
    return 0;
}

/* A range of the arena for mmap, munmap, shmat: often small, sometimes
 * up to MAX_OBJ_PAGES. Returns its length, its first page in *first. */
static int pick_arena_range(struct run *r, int *first)
{
    int n = 1 + (int)rnd(r, rnd(r, 4) == 0 ? MAX_OBJ_PAGES : 16);
    *first = (int)rnd(r, (uint64_t)(r->arena_pages - n + 1));
    return n;
}

/* Mostly read-write, sometimes read-only or inaccessible. */
static int pick_prot(struct run *r)
{
    int x = (int)rnd(r, 8);
    return x == 0 ? PROT_NONE : x == 1 ? PROT_READ : PROT_READ | PROT_WRITE;
}

static const char *prot_str(int prot)
{
    return prot == PROT_NONE ? "PROT_NONE" : prot == PROT_READ ? "PROT_READ" : "PROT_READ|PROT_WRITE";
}

/* ---------------------------------------------------------------------------
 * Talking to workers. Every process holds every pipe end, so a dead worker
 * shows as silence, not as end of file: while it waits, the driver wakes up
 * every second (SIGALRM, no SA_RESTART: read says EINTR) to see whether the
 * worker still exists, and gives up after OP_TIMEOUT seconds.
 * ------------------------------------------------------------------------- */

static volatile sig_atomic_t ticks; /* seconds waited for the current answer */

static void kill_workers(struct run *r)
{
    for (int s = 0; s < r->cfg->slots; s++)
        if (r->w[s].live && r->w[s].pid > 0)
            kill(r->w[s].pid, SIGKILL);
}

/* SIGALRM in the driver: one more second. If read never says EINTR (a
 * kernel that restarts it anyway), give up here rather than hang. */
static void on_tick(int sig)
{
    (void)sig;
    if (++ticks > OP_TIMEOUT + 10) {
        struct run *r = cur_run;
        out("mmfuzz: seed %llu step %ld: %s: no answer in %d s, and read was not interrupted\n",
            (unsigned long long)r->seed, r->step, r->desc, OP_TIMEOUT + 10);
        kill_workers(r);
        _exit(1);
    }
    alarm(1);
}

static int exists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

/* Wait for the answer of the worker in slot (pid, if known). 0, or -1 with
 * the failure recorded: a crash, a death, silence. */
static int await_reply(struct run *r, int slot, pid_t pid, struct reply *rep)
{
    size_t got = 0;
    int gone = 0;

    ticks = 0;
    alarm(1);
    while (got < sizeof(*rep)) {
        ssize_t n = read(reply_fd[slot][0], (char *)rep + got, sizeof(*rep) - got);
        if (n > 0) {
            got += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            if (gone) /* gone one second ago, and still nothing came */
                break;
            gone = pid > 0 && !exists(pid);
            if (ticks >= OP_TIMEOUT)
                break;
        } else {
            break;
        }
    }
    alarm(0);
    if (got < sizeof(*rep) && gone)
        return failf(r, "worker %d (pid %d) died without an answer", slot, (int)pid);
    if (got < sizeof(*rep))
        return failf(r, "worker %d (pid %d) gave no answer in %d s", slot, (int)pid, (int)ticks);
    if (rep->status == ANS_CRASH)
        return failf(r, "worker %d (pid %d) got %s at %#llx", slot, (int)pid, signame(rep->err),
                     (unsigned long long)rep->val);
    return 0;
}

/* The page index of an address of the arena or the file array; -1 if
 * it is neither. */
static int addr_page(const struct run *r, uint64_t addr)
{
    if (addr >= ARENA_BASE && addr < ARENA_BASE + (uint64_t)r->arena_pages * PAGE_SIZE)
        return (int)((addr - ARENA_BASE) / PAGE_SIZE);
    if (addr >= r->file_base && addr < r->file_base + FILE_PAGES * PAGE_SIZE)
        return r->arena_pages + (int)((addr - r->file_base) / PAGE_SIZE);
    return -1;
}

/* May page p of worker w run beside command c? Not one of c's pages, and
 * not a page of a shared object that one of c's pages maps (a write to
 * one would show in the other: the result would depend on timing). */
static int side_page_ok(const struct run *r, int w, const struct cmd *c, int p, int want_write)
{
    const struct page_state *pg = r->w[w].pages;
    if (!(want_write ? page_writable(&pg[p]) : page_readable(&pg[p])))
        return 0;
    int first = c->n ? addr_page(r, c->addr) : -1;
    if (first >= 0 && p >= first && p < first + c->n)
        return 0;
    for (int j = 0; first >= 0 && pg[p].kind == PG_SHARED && j < c->n; j++)
        if (pg[first + j].kind == PG_SHARED && pg[first + j].obj == pg[p].obj && pg[first + j].index == pg[p].index)
            return 0;
    return 1;
}

/* Pick the side run for c in worker w (like pick_run: a random start in
 * the arena or, one time in five, the file array). Returns its length (0:
 * none), its first page in *first. */
static int pick_side_run(struct run *r, int w, const struct cmd *c, int want_write, int *first)
{
    int file = rnd(r, 5) == 0;
    int lo = file ? r->arena_pages : 0, size = file ? FILE_PAGES : r->arena_pages;
    int start = (int)rnd(r, (uint64_t)size), want = 1 + (int)rnd(r, MAX_RUN);
    for (int k = 0; k < size; k++) {
        int p = lo + (start + k) % size;
        if (!side_page_ok(r, w, c, p, want_write))
            continue;
        int n = 1;
        while (n < want && p + n < lo + size && side_page_ok(r, w, c, p + n, want_write))
            n++;
        *first = p;
        return n;
    }
    return 0;
}

/* Decide who runs c in worker w: usually the main thread; one time in
 * THREAD_ODDS a new thread; one more a side thread beside the main one,
 * reading (or writing: not beside a fork or an exit, whose copy or end
 * would catch a write half done) a run apart from c's pages, and one time
 * in SIDE_HOP_ODDS moving over the CPUs as it goes. SHMDT takes no side
 * thread (its pages are not c's range). Fills c's thread fields; the side
 * run's first page in *side_first. */
static void pick_thread(struct run *r, int w, struct cmd *c, int *side_first)
{
    int x = (int)rnd(r, THREAD_ODDS);
    if (x == THR_RUN)
        c->thread = THR_RUN;
    if (x != THR_SIDE)
        return;
    int want_write = c->op != CMD_FORK && c->op != CMD_EXIT && rnd(r, 2) == 0;
    int n = c->op == CMD_SHMDT ? 0 : pick_side_run(r, w, c, want_write, side_first);
    if (n == 0)
        return;
    c->thread = THR_SIDE;
    c->side_n = n;
    c->side_write = want_write;
    if (rnd(r, SIDE_HOP_ODDS) == 0)
        c->side_cpu = (int)(rnd(r, CPU_DRAW) % (uint64_t)ncpus);
    c->side_addr = page_addr(r, *side_first);
    if (want_write) {
        c->side_value = r->next_stamp;
        r->next_stamp += (uint64_t)n;
    }
    for (int j = 0; j < n && !want_write; j++)
        c->side_stamps[j] = page_content(r, &r->w[w].pages[*side_first + j]);
}

/* pick_thread, unless --no-threads: then the same draws (a seed runs the
 * same ops either way), and the main thread runs everything. Then one time
 * in MIGRATE_ODDS the thread that runs c moves to another CPU first (unless
 * --no-migrations: the same draws, no move, no hops of the side thread). */
static void choose_thread(struct run *r, int w, struct cmd *c, int *side_first)
{
    c->side_cpu = -1;
    pick_thread(r, w, c, side_first);
    if (!threads_on)
        c->thread = THR_MAIN;
    c->cpu = rnd(r, MIGRATE_ODDS) == 0 ? cpu_ids[rnd(r, CPU_DRAW) % (uint64_t)ncpus] : -1;
    if (!migrations_on)
        c->cpu = c->side_cpu = -1;
}

/* After a THR_SIDE command: the side thread's reads must have matched;
 * its writes are in the model now. 0, or -1 with the failure recorded. */
static int side_done(struct run *r, int w, const struct cmd *c, int first, const struct reply *rep)
{
    if (c->op == CMD_EXIT || rep->status == ANS_HELLO)
        return 0; /* the side thread's answer went with its process */
    r->st->side_runs++;
    r->st->side_passes += rep->side_passes;
    r->st->side_hops += rep->side_hops;
    if ((rep->side_passes < 1 || rep->side_status != ANS_OK) && c->op == CMD_FORK && rep->status == ANS_OK)
        kill((pid_t)rep->val, SIGKILL); /* the new worker the model will never know */
    if (rep->side_status == ANS_NOMIGRATE)
        return failf(r, "the side thread's sched_setaffinity: %s", errname(rep->side_word));
    if (rep->side_status == ANS_WRONGCPU)
        return failf(r, "the side thread runs on CPU %lld after sched_setaffinity moved it to CPU %lld",
                     (long long)rep->side_found, (long long)rep->side_expected);
    if (rep->side_passes < 1)
        return failf(r, "the side thread made no pass over its run");
    if (rep->side_status == ANS_MISMATCH) {
        char found[48], model[48];
        r->st->mismatches++;
        return failf(r, "the side thread's read of page %#llx word %d found %#llx (%s), model says %#llx (%s)",
                     (unsigned long long)(c->side_addr + (uint64_t)rep->side_page * PAGE_SIZE), rep->side_word,
                     (unsigned long long)rep->side_found, word_origin(rep->side_found, found, sizeof(found)),
                     (unsigned long long)rep->side_expected,
                     stamp_str(c->side_stamps[rep->side_page], model, sizeof(model)));
    }
    for (int j = 0; j < c->side_n && c->side_write; j++)
        page_store(r, &r->w[w].pages[first + j], c->side_value + (uint64_t)j);
    r->st->pages_written += c->side_write ? c->side_n : 0;
    r->st->pages_read += c->side_write ? 0 : c->side_n;
    return 0;
}

/* After a command that moved its thread to CPU c->cpu: the thread must
 * have run there once sched_setaffinity returned. 0, or -1 with the
 * failure recorded (and a child of a fork killed: the model will not know
 * it). */
static int migration_done(struct run *r, const struct cmd *c, const struct reply *rep)
{
    r->st->migrations++;
    r->st->migrations_moved += rep->cpu_from != rep->cpu_on;
    if (rep->cpu_on == c->cpu)
        return 0;
    if (c->op == CMD_FORK && rep->status == ANS_OK)
        kill((pid_t)rep->val, SIGKILL);
    return failf(r, "the worker runs on CPU %d after sched_setaffinity moved it from CPU %d to CPU %d", rep->cpu_on,
                 rep->cpu_from, c->cpu);
}

/* Send a command to the worker in slot (run by the thread choose_thread
 * picks) and wait for its answer. */
static int call(struct run *r, int slot, const struct cmd *c, struct reply *rep)
{
    struct cmd tc = *c;
    int side_first = -1;
    choose_thread(r, slot, &tc, &side_first);
    if (tc.thread != THR_MAIN) {
        size_t len = strlen(r->desc);
        if (tc.thread == THR_RUN)
            snprintf(r->desc + len, sizeof(r->desc) - len, " [in a new thread]");
        else {
            char hops[40] = "";
            if (tc.side_cpu >= 0)
                snprintf(hops, sizeof(hops), ", hopping CPUs from %d", cpu_ids[tc.side_cpu]);
            snprintf(r->desc + len, sizeof(r->desc) - len, " [a side thread %s %#llx +%d pages%s]",
                     tc.side_write ? "writes" : "reads", (unsigned long long)tc.side_addr, tc.side_n, hops);
        }
        if (trace)
            out("# step %ld:   ... %s\n", r->step, r->desc + len + 1);
    }
    if (tc.cpu >= 0) {
        size_t len = strlen(r->desc);
        snprintf(r->desc + len, sizeof(r->desc) - len, " [moves to CPU %d]", tc.cpu);
        if (trace)
            out("# step %ld:   ... %s\n", r->step, r->desc + len + 1);
    }
    r->st->thread_runs += tc.thread == THR_RUN;
    r->last_cpu = tc.cpu;
    write_all(cmd_fd[slot][1], (const char *)&tc, sizeof(tc));
    if (await_reply(r, slot, r->w[slot].pid, rep) != 0)
        return -1;
    if (rep->status == ANS_NOTHREAD)
        return failf(r, "pthread_create in the worker: %s (a kernel without threads? --no-threads runs without them)",
                     errname(rep->err));
    if (rep->status == ANS_NOMIGRATE)
        return failf(r, "sched_setaffinity to CPU %d in the worker: %s (--no-migrations runs without)", tc.cpu,
                     errname(rep->err));
    if (tc.cpu >= 0 && migration_done(r, &tc, rep) != 0)
        return -1;
    return tc.thread == THR_SIDE ? side_done(r, slot, &tc, side_first, rep) : 0;
}

/* call(), and the answer must be ANS_OK. */
static int call_ok(struct run *r, int slot, const struct cmd *c, struct reply *rep)
{
    if (call(r, slot, c, rep) != 0)
        return -1;
    if (rep->status == ANS_ERR)
        return failf(r, "failed with %s", errname(rep->err));
    if (rep->status != ANS_OK)
        return failf(r, "unexpected answer %d", rep->status);
    return 0;
}

/* call_ok() for a call that returns the address it was given. */
static int call_at(struct run *r, int slot, const struct cmd *c)
{
    struct reply rep;
    if (call_ok(r, slot, c, &rep) != 0)
        return -1;
    if ((uint64_t)rep.val != c->addr)
        return failf(r, "returned %#llx, not the address asked for", (unsigned long long)rep.val);
    return 0;
}

/* ---------------------------------------------------------------------------
 * The ops. Each picks what it does with the generator (and the model only),
 * has the worker do it, checks the answer and updates the model. Returns 0,
 * or -1 with the failure recorded. An op that finds nothing to act on does
 * nothing (and is still a step).
 * ------------------------------------------------------------------------- */

static int op_write(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_run(r, w, MAX_RUN, page_writable, &first);
    if (n == 0) {
        begin(r, "worker %d write: no writable page", w);
        return 0;
    }
    struct cmd c = {.op = CMD_WRITE, .n = n, .addr = page_addr(r, first), .value = r->next_stamp};
    r->next_stamp += (uint64_t)n;
    begin(r, "worker %d write %#llx +%d pages: stamps %llu..", w, (unsigned long long)c.addr, n,
          (unsigned long long)c.value);
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    for (int j = 0; j < n; j++)
        page_store(r, &r->w[w].pages[first + j], c.value + (uint64_t)j);
    r->st->pages_written += n;
    return 0;
}

static int report_mismatch(struct run *r, int w, int first, const struct cmd *c, const struct reply *rep)
{
    r->st->mismatches++;
    char found[48], model[48], map[64];
    const struct page_state *ps = &r->w[w].pages[first + rep->page];
    return failf(r, "page %#llx (%s) word %d is %#llx (%s), model says %#llx (%s)",
                 (unsigned long long)(c->addr + (uint64_t)rep->page * PAGE_SIZE), page_str(r, ps, map, sizeof(map)),
                 rep->word, (unsigned long long)rep->found, word_origin(rep->found, found, sizeof(found)),
                 (unsigned long long)rep->expected, stamp_str(c->stamps[rep->page], model, sizeof(model)));
}

static int op_read(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_run(r, w, MAX_RUN, page_readable, &first);
    if (n == 0) {
        begin(r, "worker %d read: no readable page", w);
        return 0;
    }
    struct cmd c = {.op = CMD_READ, .n = n, .addr = page_addr(r, first)};
    for (int j = 0; j < n; j++)
        c.stamps[j] = page_content(r, &r->w[w].pages[first + j]);
    begin(r, "worker %d read %#llx +%d pages", w, (unsigned long long)c.addr, n);
    struct reply rep;
    if (call(r, w, &c, &rep) != 0)
        return -1;
    if (rep.status == ANS_MISMATCH)
        return report_mismatch(r, w, first, &c, &rep);
    if (rep.status != ANS_OK)
        return failf(r, "unexpected answer %d", rep.status);
    r->st->pages_read += n;
    return 0;
}

/* Is no page of [first, first+n) mapped in worker w? */
static int range_unmapped(const struct run *r, int w, int first, int n)
{
    for (int j = 0; j < n; j++)
        if (r->w[w].pages[first + j].kind != PG_NONE)
            return 0;
    return 1;
}

/* mmap private or shared anonymous memory over a range of the arena:
 * MAP_FIXED_NOREPLACE where nothing is mapped yet, else MAP_FIXED. */
static int op_mmap(struct run *r, int shared)
{
    int w = pick_live(r), first;
    int n = pick_arena_range(r, &first), prot = pick_prot(r);
    int noreplace = range_unmapped(r, w, first, n);
    struct cmd c = {.op = CMD_MMAP, .n = n, .addr = page_addr(r, first), .arg = prot};
    c.value = (uint64_t)((shared ? MAP_SHARED : MAP_PRIVATE) | (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED));
    begin(r, "worker %d mmap %#llx +%d pages %s %s %s", w, (unsigned long long)c.addr, n,
          shared ? "MAP_SHARED" : "MAP_PRIVATE", noreplace ? "MAP_FIXED_NOREPLACE" : "MAP_FIXED", prot_str(prot));
    if (call_at(r, w, &c) != 0)
        return -1;
    int o = shared ? obj_new(r, n, 0, -1) : -1;
    for (int j = 0; j < n; j++) {
        struct page_state *ps = &r->w[w].pages[first + j];
        if (shared)
            page_set_shared(r, ps, prot, 0, o, j);
        else
            page_set_private(r, ps, prot, 0);
    }
    return 0;
}

static int op_mmap_private(struct run *r) { return op_mmap(r, 0); }
static int op_mmap_shared(struct run *r) { return op_mmap(r, 1); }

static int op_munmap(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_arena_range(r, &first);
    struct cmd c = {.op = CMD_MUNMAP, .n = n, .addr = page_addr(r, first)};
    begin(r, "worker %d munmap %#llx +%d pages", w, (unsigned long long)c.addr, n);
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    for (int j = 0; j < n; j++)
        page_clear(r, &r->w[w].pages[first + j]);
    return 0;
}

static int op_mprotect(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_run(r, w, 2 * MAX_RUN, page_mapped, &first), prot = pick_prot(r);
    if (n == 0) {
        begin(r, "worker %d mprotect: nothing mapped", w);
        return 0;
    }
    for (int j = 0; j < n && (prot & PROT_WRITE); j++)
        if (r->w[w].pages[first + j].no_write)
            prot = PROT_READ; /* a read-only attach: Linux says EACCES */
    struct cmd c = {.op = CMD_MPROTECT, .n = n, .addr = page_addr(r, first), .arg = prot};
    begin(r, "worker %d mprotect %#llx +%d pages %s", w, (unsigned long long)c.addr, n, prot_str(prot));
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    for (int j = 0; j < n; j++)
        r->w[w].pages[first + j].prot = (uint8_t)prot;
    return 0;
}

/* MADV_DONTNEED: private anonymous pages are zero again, private file
 * pages hold the file's bytes again, shared pages keep their content. */
static int op_dontneed(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_run(r, w, 2 * MAX_RUN, page_mapped, &first);
    if (n == 0) {
        begin(r, "worker %d madvise MADV_DONTNEED: nothing mapped", w);
        return 0;
    }
    struct cmd c = {.op = CMD_MADVISE, .n = n, .addr = page_addr(r, first), .arg = MADV_DONTNEED};
    begin(r, "worker %d madvise %#llx +%d pages MADV_DONTNEED", w, (unsigned long long)c.addr, n);
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    for (int p = first; p < first + n; p++) {
        struct page_state *ps = &r->w[w].pages[p];
        if (ps->kind == PG_PRIVATE)
            ps->stamp = p < r->arena_pages ? 0 : STAMP_FILE | (uint64_t)(p - r->arena_pages);
    }
    r->st->dontneeds++;
    return 0;
}

/* MADV_PAGEOUT: no content changes. A kernel without it says EINVAL. */
static int op_pageout(struct run *r)
{
    int w = pick_live(r), first;
    int n = pick_run(r, w, 2 * MAX_RUN, page_mapped, &first);
    if (n == 0) {
        begin(r, "worker %d madvise MADV_PAGEOUT: nothing mapped", w);
        return 0;
    }
    struct cmd c = {.op = CMD_MADVISE, .n = n, .addr = page_addr(r, first), .arg = MADV_PAGEOUT};
    begin(r, "worker %d madvise %#llx +%d pages MADV_PAGEOUT", w, (unsigned long long)c.addr, n);
    struct reply rep;
    if (call(r, w, &c, &rep) != 0)
        return -1;
    if (rep.status == ANS_ERR && rep.err == EINVAL) {
        r->st->pageouts_einval++;
        return 0;
    }
    if (rep.status != ANS_OK)
        return failf(r, "failed with %s", rep.status == ANS_ERR ? errname(rep.err) : "an unexpected answer");
    r->st->pageouts++;
    return 0;
}

static void remember_pid(struct run *r, pid_t pid)
{
    if (r->npids == r->pids_cap) {
        r->pids_cap = r->pids_cap ? 2 * r->pids_cap : 64;
        r->pids = realloc(r->pids, (size_t)r->pids_cap * sizeof(pid_t));
    }
    r->pids[r->npids++] = pid;
}

/* The child gets a copy of the parent's model: private pages by value,
 * the same shared objects. */
static void model_fork(struct run *r, int parent, int child)
{
    struct worker *c = &r->w[child];
    memcpy(c->pages, r->w[parent].pages, (size_t)r->total_pages * sizeof(c->pages[0]));
    for (int p = 0; p < r->total_pages; p++)
        if (c->pages[p].kind == PG_SHARED)
            r->objs[c->pages[p].obj].refs++;
    c->live = 1;
    c->parent = parent;
}

static int op_fork(struct run *r)
{
    int w = pick_live(r), child = pick_free(r);
    if (child < 0) {
        begin(r, "worker %d fork: no free slot", w);
        return 0;
    }
    struct cmd c = {.op = CMD_FORK, .arg = child};
    begin(r, "worker %d fork: the child serves slot %d", w, child);
    struct reply rep, hello;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    model_fork(r, w, child);
    r->w[child].pid = (pid_t)rep.val;
    remember_pid(r, (pid_t)rep.val);
    if (await_reply(r, child, (pid_t)rep.val, &hello) != 0)
        return -1;
    if (hello.status != ANS_HELLO || hello.val != rep.val)
        return failf(r, "the child said %d (pid %lld), not hello", hello.status, (long long)hello.val);
    if (r->last_cpu >= 0 && (hello.mask_count != 1 || hello.mask_first != r->last_cpu || hello.cpu_on != r->last_cpu))
        return failf(r, "the child of a thread moved to CPU %d runs on CPU %d with %d CPU(s) in its affinity (the "
                     "first: %d): it must inherit the one CPU",
                     r->last_cpu, hello.cpu_on, hello.mask_count, hello.mask_first);
    r->st->forks++;
    return 0;
}

/* The worker leaves: its mappings go, its children become orphans. */
static void model_exit(struct run *r, int w)
{
    for (int p = 0; p < r->total_pages; p++)
        page_clear(r, &r->w[w].pages[p]);
    r->w[w].live = 0;
    r->w[w].pid = 0;
    for (int s = 0; s < r->cfg->slots; s++)
        if (r->w[s].parent == w)
            r->w[s].parent = -1;
}

/* Half the time a parent exits (before its children), if there is one. */
static int op_exit(struct run *r)
{
    if (live_count(r) < 2) {
        begin(r, "exit: only one worker left");
        return 0;
    }
    int w = rnd(r, 2) == 0 ? pick_parent(r) : -1;
    if (w < 0)
        w = pick_live(r);
    struct cmd c = {.op = CMD_EXIT};
    begin(r, "worker %d exit", w);
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    model_exit(r, w);
    r->st->exits++;
    return 0;
}

/* Attach SysV segment o in worker w over a random range of the arena
 * (munmap'ed first), read-write or (one time in four) SHM_RDONLY. */
static int attach_segment(struct run *r, int w, int o)
{
    int n = r->objs[o].npages, first = (int)rnd(r, (uint64_t)(r->arena_pages - n + 1));
    int rdonly = rnd(r, 4) == 0;
    struct cmd c = {.op = CMD_SHMAT, .n = n, .addr = page_addr(r, first), .arg = r->objs[o].shmid};
    c.value = rdonly ? SHM_RDONLY : 0;
    begin(r, "worker %d shmat segment (object %d, %d pages, %d mapped) at %#llx%s", w, o, n, r->objs[o].refs,
          (unsigned long long)c.addr, rdonly ? " SHM_RDONLY" : "");
    if (call_at(r, w, &c) != 0)
        return -1;
    for (int j = 0; j < n; j++)
        page_set_shared(r, &r->w[w].pages[first + j], rdonly ? PROT_READ : PROT_READ | PROT_WRITE, rdonly, o, j);
    return 0;
}

static int op_shm_rmid(struct run *r);

/* A new SysV segment (made by the driver), attached by a worker. */
static int op_shm_new(struct run *r)
{
    int alive = 0;
    for (int o = 0; o < r->nobjs; o++)
        alive += r->objs[o].used && r->objs[o].sysv && !r->objs[o].removed;
    if (alive >= MAX_SYSV)
        return op_shm_rmid(r);
    int w = pick_live(r), n = 1 + (int)rnd(r, rnd(r, 4) == 0 ? MAX_OBJ_PAGES : 16);
    begin(r, "driver shmget %d pages", n);
    int id = shmget(IPC_PRIVATE, (size_t)n * PAGE_SIZE, IPC_CREAT | 0600);
    if (id < 0)
        return failf(r, "shmget: %s", errname(errno));
    r->st->segments++;
    return attach_segment(r, w, obj_new(r, n, 1, id));
}

/* Attach a segment made earlier (by any worker, maybe attached nowhere now). */
static int op_shm_attach(struct run *r)
{
    int o = pick_segment(r);
    if (o < 0)
        return op_shm_new(r);
    return attach_segment(r, pick_live(r), o);
}

/* shmdt at the first page of an attach (the rest may have been cut off by
 * munmap and mprotect): every page of the segment mapped at its place
 * relative to that address goes, as Linux's shmdt does. */
static int op_shmdt(struct run *r)
{
    int w = pick_live(r), n = 0, first = -1;
    const struct page_state *pg = r->w[w].pages;
    for (int p = 0; p < r->arena_pages; p++)
        n += pg[p].kind == PG_SHARED && r->objs[pg[p].obj].sysv && pg[p].index == 0;
    int k = (int)rnd(r, (uint64_t)(n ? n : 1));
    for (int p = 0; p < r->arena_pages && first < 0; p++)
        if (pg[p].kind == PG_SHARED && r->objs[pg[p].obj].sysv && pg[p].index == 0 && k-- == 0)
            first = p;
    if (first < 0) {
        begin(r, "worker %d shmdt: no attach", w);
        return 0;
    }
    uint32_t o = pg[first].obj;
    int segment_pages = r->objs[o].npages;
    struct cmd c = {.op = CMD_SHMDT, .addr = page_addr(r, first)};
    begin(r, "worker %d shmdt %#llx (segment object %u)", w, (unsigned long long)c.addr, o);
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    for (int j = 0; j < segment_pages && first + j < r->arena_pages; j++) {
        struct page_state *ps = &r->w[w].pages[first + j];
        if (ps->kind == PG_SHARED && ps->obj == o && ps->index == (uint32_t)j)
            page_clear(r, ps);
    }
    return 0;
}

/* The driver removes a segment: it lives on until its last detach. */
static int op_shm_rmid(struct run *r)
{
    int o = pick_segment(r);
    if (o < 0) {
        begin(r, "driver IPC_RMID: no segment");
        return 0;
    }
    struct object *ob = &r->objs[o];
    begin(r, "driver shmctl IPC_RMID segment object %d (%d pages mapped)", o, ob->refs);
    if (shmctl(ob->shmid, IPC_RMID, NULL) != 0)
        return failf(r, "%s", errname(errno));
    ob->removed = 1;
    if (ob->refs == 0)
        ob->used = 0;
    return 0;
}

/* Memory pressure: a worker maps, touches and unmaps pressure_base/2 ..
 * pressure_base bytes, pushing the other pages to swap (on Pagewise). */
static int op_pressure(struct run *r)
{
    int w = pick_live(r);
    uint64_t frac = rnd(r, 1024);
    size_t half = r->pressure_base / 2;
    struct cmd c = {.op = CMD_PRESSURE};
    c.value = (half + half * frac / 1024) & ~(uint64_t)(PAGE_SIZE - 1);
    begin(r, "worker %d pressure: %llu MiB", w, (unsigned long long)(c.value / MiB));
    struct reply rep;
    if (call_ok(r, w, &c, &rep) != 0)
        return -1;
    r->st->pressures++;
    r->st->pressure_mib += (long)(c.value / MiB);
    return 0;
}

/* Compaction: every worker's pages may move to other frames; the model
 * says nothing changes. Pagewise only (natively it would compact the
 * build machine over and over); the draw is the same on both. */
static int op_compact(struct run *r)
{
    begin(r, "compact_memory");
    if (!on_pagewise())
        return 0;
    int fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
    if (fd < 0)
        return 0; /* a kernel without compaction */
    ssize_t n = write(fd, "1\n", 2);
    close(fd);
    if (n != 2)
        return failf(r, "write /proc/sys/vm/compact_memory: %s", errname(errno));
    r->st->compactions++;
    return 0;
}

struct op {
    int (*fn)(struct run *r);
    int weight;
};

static const struct op ops[] = {
    {op_write, 24},   {op_read, 26},      {op_mmap_private, 5}, {op_mmap_shared, 3}, {op_munmap, 4},
    {op_mprotect, 7}, {op_dontneed, 5},   {op_pageout, 4},      {op_fork, 4},        {op_exit, 3},
    {op_shm_new, 2},  {op_shm_attach, 3}, {op_shmdt, 1},        {op_shm_rmid, 1},
};

/* One step: a pressure op one time in PRESSURE_ODDS, else an op by weight. */
static int one_step(struct run *r)
{
    int total = 0;
    if (rnd(r, PRESSURE_ODDS) == 0)
        return op_pressure(r);
    if (rnd(r, COMPACT_ODDS) == 0)
        return op_compact(r);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        total += ops[i].weight;
    int x = (int)rnd(r, (uint64_t)total);
    for (size_t i = 0;; i++) {
        if (x < ops[i].weight)
            return ops[i].fn(r);
        x -= ops[i].weight;
    }
}

/* ---------------------------------------------------------------------------
 * /proc/vmcheck: Pagewise's invariant checker, where the kernel has it.
 * ------------------------------------------------------------------------- */

static char last_vmcheck[320]; /* the last "vm_check: ok" line */

/* Read /proc/vmcheck if it exists: it must say "vm_check: ok". (Opened
 * once: each read of it from the start runs the whole check.) */
static int vmcheck(struct run *r)
{
    static char buf[16384];
    size_t len = 0;
    int fd = open("/proc/vmcheck", O_RDONLY);
    if (fd < 0)
        return 0; /* Linux, or a kernel without it */
    snprintf(r->desc, sizeof(r->desc), "/proc/vmcheck after step %ld", r->step);
    ssize_t n;
    while (len + 1 < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    if (len == 0)
        return failf(r, "nothing to read");
    r->st->vmchecks++;
    char *nl = strchr(buf, '\n');
    if (strncmp(buf, "vm_check: ok", 12) != 0) {
        for (char *p = buf; *p; p++)
            if (*p == '\n')
                *p = '|'; /* all of it, on one line */
        return failf(r, "%s", buf);
    }
    if (nl)
        *nl = '\0';
    snprintf(last_vmcheck, sizeof(last_vmcheck), "%.300s", buf);
    return 0;
}

/* ---------------------------------------------------------------------------
 * One seed: start worker 0, run the ops, stop every worker, check that
 * nothing is left behind.
 * ------------------------------------------------------------------------- */

static int make_pipes(struct run *r)
{
    for (int s = 0; s < r->cfg->slots; s++)
        if (pipe(cmd_fd[s]) != 0 || pipe(reply_fd[s]) != 0)
            return failf(r, "pipe: %s", errname(errno));
    return 0;
}

static void close_pipes(struct run *r)
{
    for (int s = 0; s < r->cfg->slots; s++)
        for (int e = 0; e < 2; e++) {
            close(cmd_fd[s][e]);
            close(reply_fd[s][e]);
        }
}

/* Fork worker 0 from the driver: an empty arena, the file array as in the
 * file (the driver never writes it). */
static int start_first_worker(struct run *r)
{
    begin(r, "start worker 0");
    pid_t pid = fork();
    if (pid == 0) {
        worker_slot = 0;
        struct reply hello = {.status = ANS_HELLO, .val = getpid()};
        worker_reply(&hello);
        worker_main(0);
    }
    if (pid < 0)
        return failf(r, "fork: %s", errname(errno));
    struct worker *w0 = &r->w[0];
    w0->live = 1;
    w0->parent = -1;
    w0->pid = pid;
    remember_pid(r, pid);
    for (int k = 0; k < FILE_PAGES; k++)
        w0->pages[r->arena_pages + k] =
            (struct page_state){.kind = PG_PRIVATE, .prot = PROT_READ | PROT_WRITE, .stamp = STAMP_FILE | (uint64_t)k};
    struct reply hello;
    if (await_reply(r, 0, pid, &hello) != 0)
        return -1;
    if (hello.status != ANS_HELLO)
        return failf(r, "worker 0 said %d, not hello", hello.status);
    return 0;
}

/* Every live worker exits, in slot order (children may outlive parents). */
static int stop_workers(struct run *r)
{
    for (int s = 0; s < r->cfg->slots; s++) {
        if (!r->w[s].live)
            continue;
        struct cmd c = {.op = CMD_EXIT};
        struct reply rep;
        begin(r, "worker %d exit (the end)", s);
        if (call_ok(r, s, &c, &rep) != 0)
            return -1;
        model_exit(r, s);
    }
    return 0;
}

/* Wait (10 s at most) until no worker process exists any more. */
static int await_all_gone(struct run *r)
{
    begin(r, "waiting for the workers to be gone");
    for (int tries = 0; tries < 1000; tries++) {
        int left = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0) /* orphans that came to us, if not reaped */
            ;
        for (int i = 0; i < r->npids; i++)
            left += exists(r->pids[i]);
        if (left == 0)
            return 0;
        sleep_ms(10);
    }
    return failf(r, "worker processes still exist after 10 s");
}

/* IPC_RMID every segment the model still knows (and that is not removed). */
static void remove_segments(struct run *r)
{
    for (int o = 0; o < r->nobjs; o++)
        if (r->objs[o].used && r->objs[o].sysv && !r->objs[o].removed) {
            shmctl(r->objs[o].shmid, IPC_RMID, NULL);
            r->objs[o].removed = 1;
        }
}

/* Memory and swap are back once every worker is gone (Pagewise only:
 * Linux's free memory moves with its caches and other processes). */
static int check_nothing_left(struct run *r, long long frames_before)
{
    if (!on_pagewise())
        return 0;
    begin(r, "after the last worker");
    const char *why = check_frames_return(frames_before, FRAME_SLACK_KB);
    if (why == PASS)
        why = check_no_swap_leak();
    return why == PASS ? 0 : failf(r, "%s", why);
}

/* The ops, with /proc/vmcheck every VMCHECK_EVERY of them. */
static int run_ops(struct run *r)
{
    for (r->step = 1; r->step <= r->cfg->ops; r->step++) {
        if (one_step(r) != 0)
            return -1;
        r->st->ops++;
        if (r->step % VMCHECK_EVERY == 0 && vmcheck(r) != 0)
            return -1;
    }
    r->step = r->cfg->ops;
    return 0;
}

static void init_run(struct run *r, const struct config *cfg, struct stats *st, uint64_t seed)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    r->st = st;
    r->seed = seed;
    r->rng = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
    r->next_stamp = 1;
    r->arena_pages = cfg->pages;
    r->total_pages = cfg->pages + FILE_PAGES;
    r->file_base = (uint64_t)(uintptr_t)filedata;
    long long mem_kb = meminfo_kb("MemTotal");
    r->pressure_base = on_pagewise() && mem_kb > 0 ? (size_t)mem_kb * 1024 : NATIVE_PRESSURE_MAX;
    if (r->pressure_base > NATIVE_PRESSURE_MAX && !on_pagewise())
        r->pressure_base = NATIVE_PRESSURE_MAX;
    r->nobjs = cfg->slots * cfg->pages + MAX_SYSV + 2;
    r->objs = calloc((size_t)r->nobjs, sizeof(struct object));
    for (int s = 0; s < cfg->slots; s++) {
        r->w[s].parent = -1;
        r->w[s].pages = calloc((size_t)r->total_pages, sizeof(struct page_state));
    }
}

static void free_run(struct run *r)
{
    for (int s = 0; s < r->cfg->slots; s++)
        free(r->w[s].pages);
    free(r->objs);
    free(r->pids);
}

/* Run one seed. 0, or -1 with the failure in r->why. */
static int run_seed(struct run *r)
{
    struct sigaction tick, old_alrm;
    memset(&tick, 0, sizeof(tick));
    tick.sa_handler = on_tick; /* no SA_RESTART: a blocked read says EINTR */
    sigaction(SIGALRM, &tick, &old_alrm);
    void (*old_chld)(int) = signal(SIGCHLD, SIG_IGN); /* exited workers vanish */
    /* Orphaned workers come to us (and vanish) rather than wait for the
     * system's init to reap them. (Pagewise: we are init; EINVAL is fine.) */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    cur_run = r;
    long long frames_before = frames_free_kb();
    long long out0 = vmstat_get("pswpout"), in0 = vmstat_get("pswpin"), ra0 = vmstat_get("nr_swap_readaround");

    int bad = make_pipes(r) || start_first_worker(r) || run_ops(r);
    if (bad)
        kill_workers(r);
    else
        bad = stop_workers(r);
    if (bad)
        kill_workers(r);
    int gone = await_all_gone(r) == 0;
    bad = bad || !gone;
    remove_segments(r);
    close_pipes(r);
    bad = bad || vmcheck(r) || check_nothing_left(r, frames_before);
    if (out0 >= 0 && in0 >= 0) {
        r->st->pswpout += vmstat_get("pswpout") - out0;
        r->st->pswpin += vmstat_get("pswpin") - in0;
    }
    if (ra0 >= 0)
        r->st->readaround += vmstat_get("nr_swap_readaround") - ra0;

    alarm(0);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    signal(SIGCHLD, old_chld);
    sigaction(SIGALRM, &old_alrm, NULL);
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * Test cases and the command line.
 * ------------------------------------------------------------------------- */

static void print_summary(const struct config *cfg, const struct stats *st)
{
    out("# mmfuzz: %d seed(s) from %llu x %ld ops, %d workers x %d pages: %ld pages read and checked, %ld mismatches, "
        "%ld pages written, %ld forks, %ld exits, %ld dontneeds, %ld pageouts (%ld EINVAL: not supported), "
        "%ld pressure ops (%ld MiB), %ld compactions, %lld pages swapped out and %lld in (%lld by read-around), %ld SysV segments, %ld vmcheck runs, "
        "%ld commands in a new thread, %ld beside a side thread (%ld passes, %ld CPU hops), "
        "%ld migrations on %d CPU(s) (%ld left their CPU), %ld failed seed(s)\n",
        cfg->seeds, (unsigned long long)cfg->first_seed, cfg->ops, cfg->slots, cfg->pages, st->pages_read,
        st->mismatches, st->pages_written, st->forks, st->exits, st->dontneeds, st->pageouts, st->pageouts_einval,
        st->pressures, st->pressure_mib, st->compactions, st->pswpout, st->pswpin, st->readaround, st->segments, st->vmchecks,
        st->thread_runs, st->side_runs, st->side_passes, st->side_hops, st->migrations, ncpus, st->migrations_moved,
        st->failures);
    if (last_vmcheck[0])
        out("# %s\n", last_vmcheck);
}

/* Run every seed of cfg; each failure is printed, the first is returned. */
static const char *run_config(const struct config *cfg)
{
    static char first[sizeof(fail_why)];
    struct stats st;
    memset(&st, 0, sizeof(st));
    first[0] = '\0';
    for (int i = 0; i < cfg->seeds; i++) {
        struct run *r = malloc(sizeof(*r));
        init_run(r, cfg, &st, cfg->first_seed + (uint64_t)i);
        if (run_seed(r) != 0) {
            char replay[120];
            snprintf(replay, sizeof(replay), "replay: t_mmfuzz --seed %llu --ops %ld --workers %d --pages %d",
                     (unsigned long long)r->seed, r->step, cfg->slots, cfg->pages);
            out("# %s (%s)\n", r->why, replay);
            if (st.failures++ == 0)
                snprintf(first, sizeof(first), "%.190s (%.110s)", r->why, replay);
        }
        free_run(r);
        free(r);
    }
    print_summary(cfg, &st);
    if (st.failures)
        return FAIL("%d of %d seeds failed; first: %s", (int)st.failures, cfg->seeds, first);
    return PASS;
}

/* The default budget: 40,000 ops over four seeds, eight processes at most. */
static const char *mmfuzz_fixed_seeds(void)
{
    static const struct config cfg = {.first_seed = 1, .seeds = 4, .ops = 10000, .slots = 8, .pages = 512};
    return run_config(&cfg);
}

/* More processes, smaller arenas: more forks and exits, more sharing. */
static const char *mmfuzz_many_workers(void)
{
    static const struct config cfg = {.first_seed = 101, .seeds = 2, .ops = 5000, .slots = 16, .pages = 256};
    return run_config(&cfg);
}

static struct config custom = {.first_seed = 1, .seeds = 1, .ops = 10000, .slots = 8, .pages = 512};

/* What the command line asked for (--seed, --seeds, --ops, ...). */
static const char *mmfuzz_run(void) { return run_config(&custom); }

static const struct test tests[] = {
    TEST(mmfuzz_fixed_seeds),
    TEST(mmfuzz_many_workers),
};

static const struct test custom_tests[] = {
    TEST(mmfuzz_run),
};

/* Parse a number option's value; exits with a message if it is bad. */
static long long number_arg(const char *opt, const char *val, long long min, long long max)
{
    char *end;
    long long v = val ? strtoll(val, &end, 0) : 0;
    if (!val || *end || v < min || v > max) {
        out("t_mmfuzz: %s needs a number from %lld to %lld\n", opt, min, max);
        exit(2);
    }
    return v;
}

/* Take our options out of argv; returns 1 if any of them asks for a
 * custom run (the named test cases are ignored then). */
static int parse_options(int *argc, char **argv)
{
    int custom_run = 0, kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = i + 1 < *argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--trace") == 0) {
            trace = 1;
            continue;
        }
        if (strcmp(a, "--no-threads") == 0) {
            threads_on = 0;
            continue;
        }
        if (strcmp(a, "--no-migrations") == 0) {
            migrations_on = 0;
            continue;
        }
        if (strcmp(a, "--seed") == 0)
            custom.first_seed = (uint64_t)number_arg(a, v, 0, 1LL << 62), custom.seeds = 1;
        else if (strcmp(a, "--seeds") == 0)
            custom.first_seed = 1, custom.seeds = (int)number_arg(a, v, 1, 1000000);
        else if (strcmp(a, "--ops") == 0)
            custom.ops = (long)number_arg(a, v, 0, 1LL << 40);
        else if (strcmp(a, "--workers") == 0)
            custom.slots = (int)number_arg(a, v, 2, MAX_SLOTS);
        else if (strcmp(a, "--pages") == 0)
            custom.pages = (int)number_arg(a, v, MAX_OBJ_PAGES, MAX_ARENA_PAGES);
        else {
            argv[kept++] = argv[i];
            continue;
        }
        custom_run = 1;
        i++;
    }
    *argc = kept;
    argv[kept] = NULL;
    return custom_run;
}

int main(int argc, char **argv)
{
    find_cpus();
    if (parse_options(&argc, argv))
        return run_tests(1, argv, custom_tests, NTESTS(custom_tests));
    return run_tests(argc, argv, tests, NTESTS(tests));
}
