/*
 * user/shmdemo.c - demo: System V shared memory, one frame at several
 * virtual addresses.
 *
 *   shmdemo
 *
 * A producer and a consumer (two forked children) pass 20 numbered
 * messages through a ring buffer that lives in one SysV segment:
 *
 *   struct ring:  head (next slot the producer fills, written only by it)
 *                 tail (next slot the consumer empties, written only by it)
 *                 slot[0..3] (the messages)
 *
 * The producer may fill a slot when head - tail < 4; the consumer may
 * empty one when tail != head. Each side spins (with sched_yield, so a
 * single CPU runs the other side) until its condition holds. The data of a
 * slot is written before head moves, with a release store, and read after
 * head is loaded with an acquire load (the same for tail in the other
 * direction): whoever sees the new index sees the data behind it.
 *
 * Each process attaches the segment itself, after the fork, at an address
 * of its own (SHM_RND addresses for the children, the kernel's choice for
 * the parent), and prints the virtual address and the physical frame
 * behind it, read from /proc/self/pagemap (bit 63 present, bits 0-54 the
 * PFN; physical address = PFN * 4096 + offset). The frame is the same for
 * all three: three page tables, three different virtual addresses, one
 * frame. shm_nattch (IPC_STAT) counts the attaches: 1, 2, 3, then back
 * to 0 as they leave; IPC_RMID removes the segment at the end.
 *
 * Kernel code: mm/sysv_shm.c (shmget/shmat/shmdt/shmctl), mm/shm.c (the
 * object that owns the frames), mm/fault.c do_shared_fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096ULL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1) /* bits 0-54 */

#define MESSAGES 20
#define SLOTS 4
#define SPIN_SECONDS 10 /* give up waiting for the other side after this */

/* Where the children ask to attach: far from the program, the heap, the
 * mmap area and the stack, on Linux and on Pagewise. Deliberately not
 * page-aligned: SHM_RND rounds them down to a multiple of SHMLBA (4096). */
#define CONSUMER_ADDR ((void *)0x600000000123UL)
#define PRODUCER_ADDR ((void *)0x500000004567UL)

enum { CONSUMER, PRODUCER, PARENT, NPROCS };
static const char *const who_name[NPROCS] = {"consumer", "producer", "parent"};

struct message {
    int seq;
    char text[44];
};

/* What each process saw, written into the segment for the parent's table. */
struct sighting {
    int pid;
    uint64_t va; /* virtual address of ring->slot[0] in that process */
    int64_t pfn; /* frame behind it (-1 not present, 0 hidden) */
};

struct ring {
    unsigned head;  /* written by the producer only */
    unsigned tail;  /* written by the consumer only */
    int go;         /* the parent lets the producer start */
    int leave_turn; /* the parent says who detaches next */
    int full_waits; /* times the producer found the ring full */
    int empty_waits;
    struct sighting seen[NPROCS];
    struct message slot[SLOTS];
};

static int shm_id;

/* The frame behind addr, from /proc/self/pagemap: the PFN, 0 if hidden
 * (Linux, not root), -1 if the page is not present or pagemap unreadable. */
static int64_t pfn_of(const volatile void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    ssize_t n = fd < 0 ? -1 : pread(fd, &entry, sizeof(entry), offset);

    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(entry) || !(entry & PM_PRESENT))
        return -1;
    return (int64_t)(entry & PM_PFN_MASK);
}

/* "PFN 0x1234a = physical 0x1234a010", or why there is none. */
static const char *frame_string(int64_t pfn, uint64_t va)
{
    static char buf[96];
    if (pfn < 0)
        return "not present";
    if (pfn == 0)
        return "PFN hidden (not root?)";
    snprintf(buf, sizeof(buf), "PFN 0x%llx, physical address 0x%llx", (unsigned long long)pfn,
             (unsigned long long)pfn * PAGE_SIZE + va % PAGE_SIZE);
    return buf;
}

/* shm_nattch now, or -1 (the segment is gone). */
static long nattch(void)
{
    struct shmid_ds ds;
    return shmctl(shm_id, IPC_STAT, &ds) == 0 ? (long)ds.shm_nattch : -1;
}

/* Spin until *p == want (acquire), yielding the CPU. 0 on time out. */
static int spin_until_int(int *p, int want)
{
    time_t deadline = time(NULL) + SPIN_SECONDS;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want) {
        if (time(NULL) > deadline)
            return 0;
        sched_yield();
    }
    return 1;
}

/* Attach at hint (SHM_RND) or where the kernel likes (hint NULL), record
 * and print what this process sees. Returns the ring or NULL. */
static struct ring *attach(int who, void *hint)
{
    struct ring *r = shmat(shm_id, hint, hint ? SHM_RND : 0);
    if (r == (void *)-1 && hint) {
        printf("%-8s: shmat at %p failed (%s); letting the kernel choose\n", who_name[who], hint, strerror(errno));
        r = shmat(shm_id, NULL, 0);
    }
    if (r == (void *)-1) {
        printf("%-8s: shmat: %s\n", who_name[who], strerror(errno));
        return NULL;
    }
    /* Write our line of the table: this touches the page, so it is present
     * (the first process to touch it made the kernel allocate the frame;
     * everyone after maps that same frame). */
    struct sighting *s = &r->seen[who];
    s->pid = getpid();
    s->va = (uintptr_t)&r->slot[0];
    s->pfn = pfn_of(&r->slot[0]);

    if (hint)
        printf("%-8s: pid %d attached at %p (asked for %p with SHM_RND: rounded down to a multiple of 4096)\n",
               who_name[who], (int)getpid(), (void *)r, hint);
    else
        printf("%-8s: pid %d attached at %p (the kernel chose the address)\n", who_name[who], (int)getpid(), (void *)r);
    printf("%-8s:   ring->slot[0] is virtual 0x%llx -> %s\n", who_name[who], (unsigned long long)s->va,
           frame_string(s->pfn, s->va));
    printf("%-8s:   shm_nattch = %ld\n", who_name[who], nattch());
    return r;
}

/* Detach, and show the count going down. */
static int detach(int who, struct ring *r)
{
    if (shmdt(r) != 0) {
        printf("%-8s: shmdt: %s\n", who_name[who], strerror(errno));
        return 1;
    }
    printf("%-8s: detached; shm_nattch = %ld\n", who_name[who], nattch());
    return 0;
}

/* The consumer: take MESSAGES messages out of the ring, in order. */
static int consumer(int ready_fd)
{
    struct ring *r = attach(CONSUMER, CONSUMER_ADDR);
    if (!r)
        return 1;
    if (write(ready_fd, "c", 1) != 1) /* tell the parent we are attached */
        return 1;
    int bad = 0;
    for (int n = 1; n <= MESSAGES; n++) {
        unsigned tail = r->tail; /* only we write it */
        time_t deadline = time(NULL) + SPIN_SECONDS;
        int waited = 0;
        while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail) { /* empty */
            if (time(NULL) > deadline) {
                printf("consumer: no message #%d after %d s: giving up\n", n, SPIN_SECONDS);
                return 1;
            }
            waited = 1;
            sched_yield();
        }
        r->empty_waits += waited;
        struct message m = r->slot[tail % SLOTS];               /* after the acquire: the data is there */
        __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE); /* the slot is free again */
        printf("consumer:   got #%02d from slot %u: \"%s\"%s\n", m.seq, tail % SLOTS, m.text,
               m.seq == n ? "" : "  <- OUT OF ORDER");
        bad |= m.seq != n;
    }
    printf("consumer: all %d messages arrived%s\n", MESSAGES, bad ? ", but NOT in order" : ", in order");
    if (!spin_until_int(&r->leave_turn, 1 + CONSUMER)) {
        printf("consumer: the parent never let me go\n");
        return 1;
    }
    return detach(CONSUMER, r) || bad;
}

/* The producer: put MESSAGES messages into the ring. */
static int producer(int ready_fd)
{
    struct ring *r = attach(PRODUCER, PRODUCER_ADDR);
    if (!r)
        return 1;
    if (write(ready_fd, "p", 1) != 1)
        return 1;
    if (!spin_until_int(&r->go, 1)) {
        printf("producer: the parent never said go\n");
        return 1;
    }
    for (int n = 1; n <= MESSAGES; n++) {
        unsigned head = r->head; /* only we write it */
        time_t deadline = time(NULL) + SPIN_SECONDS;
        int waited = 0;
        while (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == SLOTS) { /* full */
            if (time(NULL) > deadline) {
                printf("producer: the ring stayed full for %d s: giving up\n", SPIN_SECONDS);
                return 1;
            }
            waited = 1;
            sched_yield();
        }
        r->full_waits += waited;
        struct message *m = &r->slot[head % SLOTS];
        m->seq = n;
        snprintf(m->text, sizeof(m->text), "message %d from pid %d", n, (int)getpid());
        __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE); /* publish: data first, then the index */
        printf("producer:   put #%02d into slot %u\n", n, head % SLOTS);
    }
    if (!spin_until_int(&r->leave_turn, 1 + PRODUCER)) {
        printf("producer: the parent never let me go\n");
        return 1;
    }
    return detach(PRODUCER, r);
}

/* Fork a child that runs fn and exits with its result. */
static pid_t spawn(int (*fn)(int), int ready_fd)
{
    fflush(stdout); /* the child must not inherit unprinted output */
    pid_t pid = fork();
    if (pid == 0) {
        int code = fn(ready_fd);
        fflush(stdout);
        _exit(code);
    }
    if (pid < 0)
        perror("shmdemo: fork");
    return pid;
}

/* Wait for one byte from the child (it has attached), or its end. */
static int wait_ready(int fd)
{
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return n == 1;
}

static int reap(pid_t pid, const char *name)
{
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("parent  : the %s did not exit with 0 (status 0x%x)\n", name, status);
        return 1;
    }
    return 0;
}

static void summary(const struct ring *r)
{
    int same = 1, distinct = 1;

    printf("\nWho saw what (the children wrote their line into the segment itself):\n\n");
    printf("  %-9s %-6s %-18s %s\n", "process", "pid", "virtual address", "frame");
    for (int i = 0; i < NPROCS; i++) {
        const struct sighting *s = &r->seen[i];
        printf("  %-9s %-6d 0x%-16llx %s\n", who_name[i], s->pid, (unsigned long long)s->va,
               frame_string(s->pfn, s->va));
        same &= s->pfn > 0 && s->pfn == r->seen[0].pfn;
        for (int j = 0; j < i; j++)
            distinct &= s->va != r->seen[j].va;
    }
    printf("\n");
    if (same && distinct)
        printf("Three different virtual addresses, one physical frame. That is exactly what\n"
               "page tables make possible: each process has its own page tables, and the\n"
               "page table entry for its address holds the same frame number. The MMU\n"
               "translates three addresses to one place in RAM, so a byte the producer\n"
               "writes is, with no copy at all, the byte the consumer reads.\n");
    else if (!distinct)
        printf("(Two processes got the same virtual address; with separate page tables\n"
               "that would still work, but the demo meant to show different ones.)\n");
    else
        printf("(The frame numbers are hidden or differ: pagemap shows PFNs to root only.)\n");
    printf("\nThe producer found the ring full %d time%s, the consumer found it empty\n"
           "%d time%s: each then yielded the CPU until the other side moved its index.\n",
           r->full_waits, r->full_waits == 1 ? "" : "s", r->empty_waits, r->empty_waits == 1 ? "" : "s");
}

int main(void)
{
    int fds[2], failed = 0;
    pid_t cons = -1, prod = -1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("shmdemo: System V shared memory. A producer and a consumer (two children)\n"
           "pass %d numbered messages through a ring buffer of %d slots that lives in one\n"
           "shared segment. Each process attaches the segment itself, at its own virtual\n"
           "address, and /proc/self/pagemap shows the physical frame behind it.\n\n",
           MESSAGES, SLOTS);

    shm_id = shmget(IPC_PRIVATE, sizeof(struct ring), IPC_CREAT | 0600);
    if (shm_id < 0) {
        perror("shmdemo: shmget");
        return 1;
    }
    printf("parent  : shmget(IPC_PRIVATE, %zu bytes) = id %d; no frame yet, no one attached:\n"
           "parent  :   shm_nattch = %ld\n",
           sizeof(struct ring), shm_id, nattch());
    if (pipe(fds) != 0) {
        perror("shmdemo: pipe");
        shmctl(shm_id, IPC_RMID, NULL);
        return 1;
    }

    /* One at a time, so the counts print in order: the consumer attaches,
     * then the producer, then the parent (which was not attached when it
     * forked: a child inherits its parent's attaches). */
    printf("parent  : fork the consumer\n");
    cons = spawn(consumer, fds[1]);
    if (cons < 0 || !wait_ready(fds[0]))
        goto fail;
    printf("parent  : fork the producer\n");
    prod = spawn(producer, fds[1]);
    if (prod < 0 || !wait_ready(fds[0]))
        goto fail;
    struct ring *r = attach(PARENT, NULL);
    if (!r)
        goto fail;

    printf("parent  : go!\n");
    __atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);

    /* Let them leave one by one: the consumer, then the producer. */
    __atomic_store_n(&r->leave_turn, 1 + CONSUMER, __ATOMIC_RELEASE);
    failed |= reap(cons, "consumer");
    cons = -1;
    __atomic_store_n(&r->leave_turn, 1 + PRODUCER, __ATOMIC_RELEASE);
    failed |= reap(prod, "producer");
    prod = -1;

    summary(r);
    printf("\n");
    failed |= detach(PARENT, r);
    if (shmctl(shm_id, IPC_RMID, NULL) != 0) {
        perror("shmdemo: IPC_RMID");
        return 1;
    }
    struct shmid_ds ds;
    int gone = shmctl(shm_id, IPC_STAT, &ds) != 0 && errno == EINVAL;
    printf("parent  : IPC_RMID: the segment is removed%s\n",
           gone ? "; IPC_STAT now says EINVAL, its frame is free again" : "");
    return failed || !gone;

fail:
    printf("parent  : something went wrong; cleaning up\n");
    if (cons > 0) {
        kill(cons, SIGKILL);
        waitpid(cons, NULL, 0);
    }
    if (prod > 0) {
        kill(prod, SIGKILL);
        waitpid(prod, NULL, 0);
    }
    shmctl(shm_id, IPC_RMID, NULL);
    return 1;
}
