/*
 * tests/user/t_shm.c - shared memory, seen from user space.
 *
 * The idea under test: one set of physical frames mapped into several
 * address spaces (or twice into one), at different virtual addresses. A
 * write through any of the mappings is seen through all of them because
 * they are the same bytes: each process's page tables point at the same
 * frames. /proc/self/pagemap shows it: the same PFN behind both addresses.
 * Two ways to get such memory, on Linux and on Pagewise:
 *
 *   - System V shared memory. shmget() makes a segment (an id, found again
 *     by its key), shmat() maps it, shmdt() unmaps it, shmctl() inspects
 *     (IPC_STAT), changes (IPC_SET) and removes (IPC_RMID) it. A segment
 *     lives with no process attached, until IPC_RMID; after IPC_RMID it
 *     lives until its last detach.
 *   - mmap(MAP_SHARED | MAP_ANONYMOUS): memory shared with the children
 *     forked after the mmap. It lives until its last mapping goes.
 *
 * We check the sharing (same bytes, same PFN), the lifetimes (Shmem in
 * /proc/meminfo, free memory), Linux's errno for each misuse, the IPC_STAT
 * fields, /proc/self/maps and /proc/sysvipc/shm; and that the sharing
 * survives swap: pages paged out (MADV_PAGEOUT) by one process are read
 * and written by another after, both ways.
 *
 * What Linux does, and Pagewise must do the same (each checked below):
 *   - shm_nattch counts *mappings* (VMAs) of the segment: two attaches in
 *     one process count 2, fork adds the child's copies, and an attach cut
 *     in pieces by mprotect or munmap counts once per piece.
 *   - shm_lpid is the pid of the last process that attached or detached,
 *     and the detach at exit (without shmdt) counts; shm_dtime likewise.
 *   - IPC_RMID while attached: the key is forgotten at once (shm_perm.__key
 *     reads IPC_PRIVATE = 0, shmget by key says ENOENT), SHM_DEST (01000)
 *     is set in shm_perm.mode, and the id stays valid - IPC_STAT and even
 *     shmat work - until the last detach; then it is gone (EINVAL).
 *   - shmdt(addr) detaches every piece of the attach that began at addr,
 *     even if the first page was munmapped already.
 *   - shm_segsz is the size asked for, not rounded to pages.
 *
 * The test runs as root (on Linux run this natively as root), which passes
 * every permission check; the permission cases (shm_perm_*) become other
 * users in children to check the mode bits (EACCES) and the owner/creator
 * rule (EPERM) as Linux's ipcperms has them. Not root: they are skipped.
 *
 * Every segment a case creates is removed (IPC_RMID) when the case ends,
 * passed or failed, so that repeated native runs leave nothing behind:
 * see track_*() and cleanup(). Run: t_shm [test_name...]
 */
#include "testlib.h"

#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define SHM_FAILED ((void *)-1) /* what shmat returns on failure */
#ifndef SHM_DEST
#define SHM_DEST 01000 /* shm_perm.mode: removed, waiting for the last detach */
#endif
#define X86_64_SHMLBA 4096 /* SHM_RND rounds down to this (PAGE_SIZE on x86-64) */

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1) /* bits 0-54 */

/* musl calls the key in struct ipc_perm __ipc_perm_key, glibc __key. */
#ifdef __GLIBC__
#define PERM_KEY(ds) ((ds).shm_perm.__key)
#else
#define PERM_KEY(ds) ((ds).shm_perm.__ipc_perm_key)
#endif

/* Best of this many tries for checks of free memory (see t_lazy.c): on
 * Linux other processes and per-CPU page lists move the numbers a little. */
#define ATTEMPTS 5

/* How long a parent or a child waits for the other side. */
#define HANDSHAKE_MS 10000

static pid_t main_pid; /* the test program; children must not clean up */

/* A volatile char pointer: every access is a real load or store. */
typedef volatile char *vptr;

/* ---------------------------------------------------------------------------
 * Book-keeping: every segment, key and attach a case makes is remembered,
 * and cleanup() undoes whatever is left, before and after every case.
 * ------------------------------------------------------------------------- */

#define MAX_TRACKED 64

static int tracked_ids[MAX_TRACKED], n_ids;
static key_t tracked_keys[MAX_TRACKED];
static int n_keys;
static void *tracked_addrs[MAX_TRACKED];
static int n_addrs;

static void track_key(key_t key)
{
    if (n_keys < MAX_TRACKED)
        tracked_keys[n_keys++] = key;
}

/* shmget(key, size, IPC_CREAT | flags), remembering the new id. */
static int new_segment(key_t key, size_t size, int flags)
{
    int id = shmget(key, size, IPC_CREAT | flags);
    if (id >= 0 && n_ids < MAX_TRACKED)
        tracked_ids[n_ids++] = id;
    if (key != IPC_PRIVATE)
        track_key(key);
    return id;
}

/* shmat, remembering the address. */
static vptr attach(int id, const void *addr, int flags)
{
    void *p = shmat(id, addr, flags);
    if (p != SHM_FAILED && n_addrs < MAX_TRACKED)
        tracked_addrs[n_addrs++] = p;
    return p;
}

/* shmdt, forgetting the address. */
static int detach(const volatile void *addr)
{
    int r = shmdt((const void *)addr);
    if (r == 0)
        for (int i = 0; i < n_addrs; i++)
            if (tracked_addrs[i] == addr)
                tracked_addrs[i] = NULL;
    return r;
}

/* IPC_RMID, forgetting the id (so cleanup never touches a reused id). */
static int remove_segment(int id)
{
    int r = shmctl(id, IPC_RMID, NULL);
    if (r == 0)
        for (int i = 0; i < n_ids; i++)
            if (tracked_ids[i] == id)
                tracked_ids[i] = -1;
    return r;
}

/* Remove a segment left with this key (by a crashed earlier run). */
static void drop_key(key_t key)
{
    int id = shmget(key, 0, 0);
    if (id >= 0)
        shmctl(id, IPC_RMID, NULL);
}

static void cleanup(void)
{
    if (getpid() != main_pid)
        return;
    for (int i = 0; i < n_addrs; i++)
        if (tracked_addrs[i])
            shmdt(tracked_addrs[i]);
    for (int i = 0; i < n_ids; i++)
        if (tracked_ids[i] >= 0)
            shmctl(tracked_ids[i], IPC_RMID, NULL);
    for (int i = 0; i < n_keys; i++)
        drop_key(tracked_keys[i]);
    n_ids = n_keys = n_addrs = 0;
}

/* A case: cleanup() before (what a crashed case left) and after. */
#define SHM_CASE(name)                                                                                                 \
    static const char *name##_body(void);                                                                              \
    static const char *name(void)                                                                                      \
    {                                                                                                                  \
        cleanup();                                                                                                     \
        const char *why_ = name##_body();                                                                              \
        cleanup();                                                                                                     \
        return why_;                                                                                                   \
    }                                                                                                                  \
    static const char *name##_body(void)

/* A key no other run uses: from our pid, plus a number per case (< 32). */
static key_t key_for(int n)
{
    key_t key = (key_t)(0x50000000 | ((main_pid & 0x3fffff) << 5) | (n & 31));
    drop_key(key);
    return key;
}

/* A failed check that must still reach the clean-up at the end of the
 * case (a child to stop, a handshake to finish): sets why, jumps to out. */
#define CHECK_OUT(cond, ...)                                                                                           \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            why = FAIL(__VA_ARGS__);                                                                                   \
            goto out;                                                                                                  \
        }                                                                                                              \
    } while (0)

/* ---------------------------------------------------------------------------
 * What the kernel says: IPC_STAT, pagemap, maps, sysvipc, meminfo.
 * ------------------------------------------------------------------------- */

static long nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0 ? (long)ds.shm_nattch : -1;
}

/* The frame number behind addr: -1 if the page is not present, -2 if
 * pagemap cannot be read, 0 if hidden (Linux, not root). */
static long long pfn_of(const volatile void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    ssize_t n = fd < 0 ? -1 : pread(fd, &entry, sizeof(entry), offset);

    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(entry))
        return -2;
    if (!(entry & PM_PRESENT))
        return -1;
    return (long long)(entry & PM_PFN_MASK);
}

/* Compare two PFNs that must be the same frame. Returns PASS or why. */
static const char *same_frame(long long a, long long b, const char *what)
{
    static int noted;

    if (a < 0 || b < 0)
        return FAIL("%s: pagemap says %s (PFNs %lld and %lld)", what,
                    a == -2 || b == -2 ? "nothing (cannot read /proc/self/pagemap)" : "not present", a, b);
    if (a == 0 || b == 0) {
        if (on_pagewise())
            return FAIL("%s: pagemap shows PFN 0 (PFNs 0x%llx and 0x%llx)", what, a, b);
        if (!noted++)
            out("# note: PFNs read as 0 (not root?): frame comparisons skipped\n");
        return PASS;
    }
    if (a != b)
        return FAIL("%s: PFN 0x%llx and PFN 0x%llx: two different frames, expected the same", what, a, b);
    return PASS;
}

#define CHECK_SAME_FRAME(a, b, what)                                                                                   \
    do {                                                                                                               \
        const char *w_ = same_frame((a), (b), (what));                                                                 \
        if (w_)                                                                                                        \
            return w_;                                                                                                 \
    } while (0)

/* The /proc/self/maps line that contains addr: its range, perms, name. */
struct maps_line {
    unsigned long start, end;
    char perms[8];
    char name[256];
};

static int find_maps_line(const volatile void *addr, struct maps_line *ml)
{
    static char buf[65536];
    uintptr_t a = (uintptr_t)addr;

    if (slurp("/proc/self/maps", buf, sizeof(buf)) < 0)
        return 0;
    for (char *line = buf; *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        int name_at = 0;
        unsigned long off, ino;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %lu %n", &ml->start, &ml->end, ml->perms, &off, &ino, &name_at) >= 5 &&
            ml->start <= a && a < ml->end) {
            snprintf(ml->name, sizeof(ml->name), "%s", name_at ? line + name_at : "");
            return 1;
        }
        line = next;
    }
    return 0;
}

/* One line of /proc/sysvipc/shm, as Linux prints it (ipc/shm.c). */
static const char sysvipc_header[] =
    "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  "
    "cgid      atime      dtime      ctime                   rss                  swap";

struct sysvipc_line {
    long long key, id;
    unsigned perms;
    unsigned long long size;
    long long cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime, ctime;
    unsigned long long rss, swap;
};

/* Find the segment id in /proc/sysvipc/shm. Returns 1 and fills *sl, 0 if
 * there is no such line, -1 if the file cannot be read or its header is
 * not Linux's. */
static int find_sysvipc_line(int id, struct sysvipc_line *sl)
{
    static char buf[1 << 18];

    if (slurp("/proc/sysvipc/shm", buf, sizeof(buf)) < 0)
        return -1;
    char *line = buf, *next = strchr(buf, '\n');
    if (!next)
        return -1;
    *next++ = '\0';
    if (strcmp(line, sysvipc_header) != 0)
        return -1;
    for (line = next; *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        int n = sscanf(line, "%lld %lld %o %llu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %llu %llu", &sl->key,
                       &sl->id, &sl->perms, &sl->size, &sl->cpid, &sl->lpid, &sl->nattch, &sl->uid, &sl->gid, &sl->cuid,
                       &sl->cgid, &sl->atime, &sl->dtime, &sl->ctime, &sl->rss, &sl->swap);
        if (n == 16 && sl->id == id)
            return 1;
    }
    return 0;
}

/* Free memory in bytes. On Pagewise, sysinfo's freeram: every free frame.
 * Linux keeps recently freed pages on per-CPU lists that freeram does not
 * count (tens of MiB on a busy machine), so that after freeing 8 MiB
 * freeram may not move at all; /proc/zoneinfo shows how many pages each
 * list holds ("count:" under "pagesets"), and we add them back in. */
static long long free_memory(void)
{
    static char buf[1 << 18];
    long long f = freeram();

    if (f < 0 || on_pagewise() || slurp("/proc/zoneinfo", buf, sizeof(buf)) < 0)
        return f;
    for (char *p = buf; (p = strstr(p, "count:")) != NULL; p += 6)
        f += atoll(p + 6) * PAGE_SIZE;
    return f;
}

/* free_memory(), waiting up to 0.5 s for it to come back up to at least
 * target (Linux frees some things a moment later: after an RCU grace
 * period, from a per-CPU batch). */
static long long free_settled(long long target)
{
    long long v = free_memory();
    for (int i = 0; i < 50 && v < target; i++) {
        sleep_ms(10);
        v = free_memory();
    }
    return v;
}

/* Shmem of /proc/meminfo in kB, waiting up to 1 s for it to come down to
 * at most target (Linux may finish a release a moment later). */
static long long shmem_settled(long long target)
{
    long long v = meminfo_kb("Shmem");
    for (int i = 0; i < 100 && v > target; i++) {
        sleep_ms(10);
        v = meminfo_kb("Shmem");
    }
    return v;
}

/* ---------------------------------------------------------------------------
 * Handshakes between a parent and a child, through the shared memory
 * itself: flags written with release and read with acquire (so that the
 * data written before the flag is visible once the flag is), spinning with
 * sched_yield (a single CPU must run the other side), with a time limit.
 * ------------------------------------------------------------------------- */

static void set_flag(int *flag, int value) { __atomic_store_n(flag, value, __ATOMIC_RELEASE); }

static int wait_flag(int *flag, int value, long timeout_ms)
{
    long long deadline = now_ns() + timeout_ms * 1000000LL;

    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != value) {
        if (now_ns() > deadline)
            return 0;
        sched_yield();
    }
    return 1;
}

/* At the start of page 0 of the shared memory in the fork cases. The data
 * the cases write lives further on (DATA_AT and the other pages). */
struct handshake {
    int child_done;  /* the child has made its writes */
    int parent_done; /* the parent has seen them and made its own */
    long long child_pfn[3];
};
#define DATA_AT 1024

/* ---------------------------------------------------------------------------
 * Sharing: the same bytes through two mappings.
 * ------------------------------------------------------------------------- */

/* Two attaches of one segment in one process: two different addresses,
 * one set of frames. What is written through one is read through the other
 * (both ways), and pagemap shows the same PFN behind both. */
SHM_CASE(shm_two_attaches_alias)
{
    int id = new_segment(IPC_PRIVATE, 2 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr a = attach(id, NULL, 0);
    CHECK(a != SHM_FAILED, "first shmat: %s", errname(errno));
    vptr b = attach(id, NULL, 0);
    CHECK(b != SHM_FAILED, "second shmat: %s", errname(errno));

    CHECK(a != b, "both attaches are at %p", (void *)a);
    CHECK(a + 2 * PAGE_SIZE <= b || b + 2 * PAGE_SIZE <= a, "the attaches at %p and %p overlap", (void *)a, (void *)b);
    CHECK(a[0] == 0 && b[PAGE_SIZE + 100] == 0, "a new segment does not read as zeroes");

    a[10] = 'x';
    CHECK(b[10] == 'x', "wrote 'x' through %p, read %d through %p", (void *)a, b[10], (void *)b);
    b[PAGE_SIZE + 20] = 'y';
    CHECK(a[PAGE_SIZE + 20] == 'y', "wrote 'y' through the second attach, the first reads %d", a[PAGE_SIZE + 20]);
    a[PAGE_SIZE + 20] = 'z';
    CHECK(b[PAGE_SIZE + 20] == 'z', "overwrote with 'z' through the first attach, the second reads %d",
          b[PAGE_SIZE + 20]);

    CHECK_SAME_FRAME(pfn_of(a), pfn_of(b), "page 0 through the two attaches");
    CHECK_SAME_FRAME(pfn_of(a + PAGE_SIZE), pfn_of(b + PAGE_SIZE), "page 1 through the two attaches");
    long long p0 = pfn_of(a), p1 = pfn_of(a + PAGE_SIZE);
    CHECK(p0 == 0 || p0 != p1, "pages 0 and 1 of the segment are the same frame 0x%llx", p0);
    CHECK(nattch(id) == 2, "shm_nattch is %ld with two attaches in one process, expected 2", nattch(id));

    CHECK_OK(detach(a));
    CHECK(b[10] == 'x' && b[PAGE_SIZE + 20] == 'z', "after detaching the first attach the second lost the data");
    CHECK(nattch(id) == 1, "shm_nattch is %ld after one shmdt, expected 1", nattch(id));
    CHECK_OK(detach(b));
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* An attach made before fork is inherited: parent and child share the
 * frames, also those first touched after the fork (by either side). Page 0
 * was touched before the fork, page 1 first by the child, page 2 first by
 * the parent after the fork. A kernel that treats the child's copy like
 * private memory (copy-on-write) fails here. */
SHM_CASE(shm_fork_shares_attach)
{
    const char *why = PASS;
    pid_t pid = -1;
    int id = new_segment(IPC_PRIVATE, 3 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    struct handshake *hs = (struct handshake *)p;
    p[DATA_AT] = 'P';

    pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (p[DATA_AT] != 'P')
            _exit(2);
        p[DATA_AT + 1] = 'c';   /* page 0: a frame the parent maps too */
        p[PAGE_SIZE + 1] = 'C'; /* page 1: nobody touched it before */
        hs->child_pfn[0] = pfn_of(p);
        hs->child_pfn[1] = pfn_of(p + PAGE_SIZE);
        set_flag(&hs->child_done, 1);
        if (!wait_flag(&hs->parent_done, 1, HANDSHAKE_MS))
            _exit(3);
        if (p[2 * PAGE_SIZE + 3] != 'Q' || p[DATA_AT + 2] != 'q')
            _exit(4);
        hs->child_pfn[2] = pfn_of(p + 2 * PAGE_SIZE);
        _exit(0);
    }

    CHECK_OUT(wait_flag(&hs->child_done, 1, HANDSHAKE_MS), "the child's flag never arrived in the parent's attach");
    CHECK_OUT(nattch(id) == 2, "shm_nattch is %ld with the parent's attach and the child's copy, expected 2",
              nattch(id));
    CHECK_OUT(p[DATA_AT + 1] == 'c', "the child's write to page 0 is not seen by the parent (reads %d)",
              p[DATA_AT + 1]);
    CHECK_OUT(p[PAGE_SIZE + 1] == 'C', "the child's first touch of page 1 is not seen by the parent (reads %d)",
              p[PAGE_SIZE + 1]);
    why = same_frame(pfn_of(p), hs->child_pfn[0], "page 0 in the parent and the child");
    if (!why)
        why = same_frame(pfn_of(p + PAGE_SIZE), hs->child_pfn[1], "page 1 in the parent and the child");
    if (why)
        goto out;
    p[2 * PAGE_SIZE + 3] = 'Q'; /* page 2: first touched by the parent, after the fork */
    p[DATA_AT + 2] = 'q';
    set_flag(&hs->parent_done, 1);
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child %s (2: did not see the parent's data from before fork, 3: the parent's flag never came, "
              "4: did not see the parent's writes after fork)",
              status_str(st));
    why = same_frame(pfn_of(p + 2 * PAGE_SIZE), hs->child_pfn[2], "page 2 in the parent and the child");
    if (why)
        goto out;
    CHECK_OUT(nattch(id) == 1, "shm_nattch is %ld after the child exited, expected 1", nattch(id));
out:
    set_flag(&hs->parent_done, 1);
    kill_and_reap(pid);
    return why;
}

/* A child attaches by id after the fork (it inherited no attach), at its
 * own address; the parent attaches too. Each sees the other's writes. The
 * child's shmdt makes it the last detacher: shm_lpid is its pid. */
SHM_CASE(shm_child_attaches_by_id)
{
    const char *why = PASS;
    int id = new_segment(IPC_PRIVATE, 2 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));

    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        vptr q = shmat(id, NULL, 0);
        if (q == SHM_FAILED)
            _exit(2);
        struct handshake *hs = (struct handshake *)q;
        q[PAGE_SIZE + 9] = 'K';
        set_flag(&hs->child_done, 1);
        if (!wait_flag(&hs->parent_done, 1, HANDSHAKE_MS))
            _exit(3);
        if (q[PAGE_SIZE + 10] != 'L')
            _exit(4);
        if (shmdt((const void *)q) != 0)
            _exit(5);
        _exit(0);
    }

    vptr p = attach(id, NULL, 0);
    CHECK_OUT(p != SHM_FAILED, "shmat in the parent: %s", errname(errno));
    struct handshake *hs = (struct handshake *)p;
    CHECK_OUT(wait_flag(&hs->child_done, 1, HANDSHAKE_MS), "the child's flag never arrived in the parent's attach");
    CHECK_OUT(p[PAGE_SIZE + 9] == 'K', "the child's write is not seen by the parent (reads %d)", p[PAGE_SIZE + 9]);
    CHECK_OUT(nattch(id) == 2, "shm_nattch is %ld with one attach in each process, expected 2", nattch(id));
    p[PAGE_SIZE + 10] = 'L';
    set_flag(&hs->parent_done, 1);
    pid_t child = pid;
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child %s (2: shmat by id failed, 3: the parent's flag never came, 4: did not see the parent's "
              "write, 5: shmdt failed)",
              status_str(st));

    struct shmid_ds ds;
    CHECK_OUT(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT: %s", errname(errno));
    CHECK_OUT(ds.shm_nattch == 1, "shm_nattch is %lu after the child's shmdt, expected 1",
              (unsigned long)ds.shm_nattch);
    CHECK_OUT(ds.shm_lpid == child, "shm_lpid is %d, expected the child %d whose shmdt came last", (int)ds.shm_lpid,
              (int)child);
    CHECK_OUT(ds.shm_cpid == getpid(), "shm_cpid is %d, expected %d", (int)ds.shm_cpid, (int)getpid());
out:
    if (pid > 0) {
        if (p != SHM_FAILED)
            set_flag(&((struct handshake *)p)->parent_done, 1);
        kill_and_reap(pid);
    }
    return why;
}

/* ---------------------------------------------------------------------------
 * Lifetimes.
 * ------------------------------------------------------------------------- */

static key_t survivor_key;
#define SURVIVOR_SIZE (3 * PAGE_SIZE + 100)

/* The creator: make a keyed segment, fill it, and exit without shmdt and
 * without IPC_RMID. */
static int create_and_leave(void)
{
    int id = shmget(survivor_key, SURVIVOR_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0)
        return 2;
    vptr p = shmat(id, NULL, 0);
    if (p == SHM_FAILED)
        return 3;
    for (long i = 0; i < SURVIVOR_SIZE; i += 97)
        p[i] = (char)(i / 97 + 1);
    p[SURVIVOR_SIZE - 1] = 0x5a;
    return 0;
}

/* A segment outlives its creator: the parent finds it by key, and the
 * bytes are there. Exit detached the creator: shm_nattch 0, shm_lpid is
 * the creator's pid (Linux counts the detach at exit). */
SHM_CASE(shm_survives_creator_exit)
{
    survivor_key = key_for(1);
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(create_and_leave());
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the creator %s (2: shmget IPC_CREAT|IPC_EXCL failed, 3: shmat failed)", status_str(st));

    errno = 0;
    int id = shmget(survivor_key, 0, 0);
    CHECK(id >= 0, "after its creator exited, shmget(key 0x%x) says %s: the segment died with it", survivor_key,
          errname(errno));
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_nattch == 0, "shm_nattch is %lu after the only attacher exited, expected 0",
          (unsigned long)ds.shm_nattch);
    CHECK(ds.shm_cpid == pid, "shm_cpid is %d, expected the creator %d", (int)ds.shm_cpid, (int)pid);
    CHECK(ds.shm_lpid == pid, "shm_lpid is %d, expected %d: the creator's exit detached it", (int)ds.shm_lpid,
          (int)pid);
    CHECK(ds.shm_dtime != 0, "shm_dtime is 0 after the creator's exit detached it");
    CHECK(ds.shm_segsz == SURVIVOR_SIZE, "shm_segsz is %zu, expected %ld", (size_t)ds.shm_segsz, (long)SURVIVOR_SIZE);

    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    for (long i = 0; i < SURVIVOR_SIZE; i += 97)
        CHECK(p[i] == (char)(i / 97 + 1), "byte %ld of the segment is %d, the creator wrote %d", i, p[i],
              (char)(i / 97 + 1));
    CHECK(p[SURVIVOR_SIZE - 1] == 0x5a, "the last byte is %d, the creator wrote 0x5a", p[SURVIVOR_SIZE - 1]);
    CHECK_OK(detach(p));
    CHECK_OK(remove_segment(id));
    CHECK_ERRNO(shmget(survivor_key, 0, 0), ENOENT);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * IPC_RMID and memory: Shmem in /proc/meminfo counts the frames of shared
 * memory; free memory comes back when the last user goes.
 * ------------------------------------------------------------------------- */

#define BIG_SHM (8 * MiB)
#define BIG_SHM_KB (BIG_SHM / KiB)

/* How far Shmem (kB) may be from the expected value: exact on Pagewise.
 * Linux adds up its counters per CPU and folds them in now and then (up to
 * 125 pages per CPU may be pending), and other users of tmpfs move it. */
static long long shmem_slack_kb(void) { return on_pagewise() ? 0 : 1024; }
/* How many kB of free memory may be missing after everything was freed:
 * "a few pages" on Pagewise (the kernel's own book-keeping), Linux keeps
 * freed pages in per-CPU lists for a while. */
static long long free_slack_kb(void) { return on_pagewise() ? 4 * PAGE_SIZE / KiB : 1024; }

static int within(long long v, long long want, long long slack) { return v >= want - slack && v <= want + slack; }

/* One try of shm_rmid_while_attached. Returns PASS, a reason (*fatal = 1:
 * a wrong answer, not noise) or a reason about the numbers (*fatal = 0). */
static const char *rmid_while_attached_once(int *fatal)
{
    *fatal = 1;
    key_t key = key_for(2);
    long long sh0 = meminfo_kb("Shmem"), free0 = free_memory();
    CHECK(sh0 >= 0, "no Shmem line in /proc/meminfo");

    int id = new_segment(key, BIG_SHM, IPC_EXCL | 0600);
    CHECK(id >= 0, "shmget of 8 MiB: %s", errname(errno));
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    for (long off = 0; off < BIG_SHM; off += PAGE_SIZE)
        *(volatile long *)(p + off) = off / PAGE_SIZE + 1;
    long long sh1 = meminfo_kb("Shmem"), free1 = free_memory();

    CHECK_OK(remove_segment(id));
    /* The key is forgotten at once ... */
    CHECK_ERRNO(shmget(key, 0, 0), ENOENT);
    /* ... so a new segment may take it (a different one: new id). */
    int id2 = new_segment(key, PAGE_SIZE, IPC_EXCL | 0600);
    CHECK(id2 >= 0, "after IPC_RMID the key is still taken: shmget(IPC_CREAT|IPC_EXCL) says %s", errname(errno));
    CHECK(id2 != id, "the new segment for the key got the removed segment's id %d", id);
    CHECK_OK(remove_segment(id2));

    /* ... but the memory stays, for the attacher we have. */
    for (long off = 0; off < BIG_SHM; off += PAGE_SIZE)
        CHECK(*(volatile long *)(p + off) == off / PAGE_SIZE + 1, "after IPC_RMID page %ld lost its value",
              off / PAGE_SIZE);
    p[BIG_SHM - 1] = 7;
    CHECK(p[BIG_SHM - 1] == 7, "after IPC_RMID the attach is no longer writable");
    long long sh2 = meminfo_kb("Shmem");

    errno = 0;
    int r = detach(p);
    CHECK(r == 0, "shmdt of the last attach of a removed segment: %s", errname(errno));
    long long sh3 = shmem_settled(sh0 + shmem_slack_kb());
    long long free3 = free_settled(free0 - free_slack_kb() * KiB);

    *fatal = 0;
    long long slack = shmem_slack_kb();
    CHECK(within(sh1 - sh0, BIG_SHM_KB, slack), "touching 8 MiB of a segment raised Shmem by %lld kB, expected %ld",
          sh1 - sh0, (long)BIG_SHM_KB);
    CHECK(within(sh2 - sh0, BIG_SHM_KB, slack),
          "after IPC_RMID (still attached) Shmem is %lld kB above the start, expected %ld: freed too early?", sh2 - sh0,
          (long)BIG_SHM_KB);
    CHECK(within(sh3 - sh0, 0, slack), "after the last shmdt Shmem is %lld kB above the start, expected 0", sh3 - sh0);
    CHECK(free0 - free1 >= BIG_SHM - free_slack_kb() * KiB,
          "touching 8 MiB of a segment lowered free memory by only %lld kB", (free0 - free1) / KiB);
    CHECK(free0 - free3 <= free_slack_kb() * KiB,
          "after the last shmdt of a removed segment free memory is %lld kB below the start (allowed %lld)",
          (free0 - free3) / KiB, free_slack_kb());
    return PASS;
}

/* IPC_RMID while attached: the key is gone at once (ENOENT), the memory
 * stays usable through the attach (and counted in Shmem), and the last
 * shmdt frees it: Shmem and free memory come back. */
SHM_CASE(shm_rmid_while_attached)
{
    const char *why = PASS;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        int fatal;
        why = rmid_while_attached_once(&fatal);
        cleanup();
        if (!why || fatal)
            return why;
    }
    return why;
}

/* Linux keeps the id of a removed segment alive until its last detach:
 * IPC_STAT works (key 0, SHM_DEST in the mode), /proc/sysvipc/shm lists it,
 * and shmat by id still works (shmctl(2): "Linux permits a process to attach
 * a shared memory segment that has already been marked for deletion").
 * After the last detach the id is invalid: EINVAL everywhere. Removed with
 * no attach, it is gone at once. */
SHM_CASE(shm_rmid_id_lives_until_last_detach)
{
    key_t key = key_for(3);
    int id = new_segment(key, 2 * PAGE_SIZE, IPC_EXCL | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    p[0] = 'r';
    CHECK_OK(remove_segment(id));

    struct shmid_ds ds;
    errno = 0;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0,
          "IPC_STAT of a removed segment that is still attached: %s (Linux keeps the id until the last detach)",
          errname(errno));
    CHECK(PERM_KEY(ds) == IPC_PRIVATE, "a removed segment still has its key 0x%x, expected 0 (IPC_PRIVATE)",
          (unsigned)PERM_KEY(ds));
    CHECK(ds.shm_perm.mode & SHM_DEST, "shm_perm.mode 0%o of a removed segment lacks SHM_DEST (01000)",
          (unsigned)ds.shm_perm.mode);
    CHECK((ds.shm_perm.mode & 0777) == 0600, "shm_perm.mode 0%o, expected the permissions 0600 to stay",
          (unsigned)ds.shm_perm.mode);
    CHECK(ds.shm_nattch == 1, "shm_nattch is %lu, expected 1", (unsigned long)ds.shm_nattch);

    struct sysvipc_line sl;
    int found = find_sysvipc_line(id, &sl);
    CHECK(found == 1, "/proc/sysvipc/shm %s the removed, still attached segment %d",
          found < 0 ? "cannot be read (or has a header unlike Linux's) for" : "has no line for", id);
    CHECK(sl.key == 0 && sl.perms == (SHM_DEST | 0600) && sl.nattch == 1,
          "/proc/sysvipc/shm shows key %lld perms %o nattch %lld, expected key 0 perms 1600 nattch 1", sl.key, sl.perms,
          sl.nattch);

    vptr q = attach(id, NULL, 0);
    CHECK(q != SHM_FAILED, "shmat of a removed, still attached segment: %s (Linux allows it)", errname(errno));
    CHECK(q[0] == 'r', "the new attach of the removed segment reads %d, not 'r'", q[0]);
    CHECK(nattch(id) == 2, "shm_nattch is %ld, expected 2", nattch(id));
    CHECK_OK(detach(q));
    CHECK_OK(detach(p));

    CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
    CHECK_ERRNO(shmat(id, NULL, 0), EINVAL);
    CHECK_ERRNO(shmctl(id, IPC_RMID, NULL), EINVAL);
    found = find_sysvipc_line(id, &sl);
    CHECK(found == 0, "/proc/sysvipc/shm still lists segment %d after its last detach", id);

    int id2 = new_segment(IPC_PRIVATE, PAGE_SIZE, 0600);
    CHECK(id2 >= 0, "shmget: %s", errname(errno));
    CHECK_OK(remove_segment(id2));
    CHECK_ERRNO(shmctl(id2, IPC_STAT, &ds), EINVAL);
    CHECK_ERRNO(shmat(id2, NULL, 0), EINVAL);
    return PASS;
}

/* One try of shm_detach_then_rmid. */
static const char *detach_then_rmid_once(int *fatal)
{
    *fatal = 1;
    long long sh0 = meminfo_kb("Shmem"), free0 = free_memory();
    CHECK(sh0 >= 0, "no Shmem line in /proc/meminfo");
    int id = new_segment(IPC_PRIVATE, BIG_SHM, 0600);
    CHECK(id >= 0, "shmget of 8 MiB: %s", errname(errno));
    long long sh_created = meminfo_kb("Shmem");
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    for (long off = 0; off < BIG_SHM; off += PAGE_SIZE)
        *(volatile long *)(p + off) = ~off;
    long long sh1 = meminfo_kb("Shmem");
    CHECK_OK(detach(p));
    long long sh2 = meminfo_kb("Shmem");

    p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat again: %s", errname(errno));
    for (long off = 0; off < BIG_SHM; off += PAGE_SIZE)
        CHECK(*(volatile long *)(p + off) == ~off, "with no process attached, page %ld lost its value",
              off / PAGE_SIZE);
    CHECK_OK(detach(p));
    CHECK_OK(remove_segment(id));
    long long sh3 = shmem_settled(sh0 + shmem_slack_kb());
    long long free3 = free_settled(free0 - free_slack_kb() * KiB);

    *fatal = 0;
    long long slack = shmem_slack_kb();
    CHECK(within(sh_created - sh0, 0, slack), "shmget of 8 MiB alone raised Shmem by %lld kB: not lazy",
          sh_created - sh0);
    CHECK(within(sh1 - sh0, BIG_SHM_KB, slack), "touching 8 MiB of a segment raised Shmem by %lld kB, expected %ld",
          sh1 - sh0, (long)BIG_SHM_KB);
    CHECK(within(sh2 - sh0, BIG_SHM_KB, slack),
          "after shmdt (segment not removed) Shmem is %lld kB above the start, expected %ld: the pages must stay",
          sh2 - sh0, (long)BIG_SHM_KB);
    CHECK(within(sh3 - sh0, 0, slack), "after IPC_RMID of an unattached segment Shmem is %lld kB above the start",
          sh3 - sh0);
    CHECK(free0 - free3 <= free_slack_kb() * KiB,
          "after IPC_RMID of an unattached segment free memory is %lld kB below the start (allowed %lld)",
          (free0 - free3) / KiB, free_slack_kb());
    return PASS;
}

/* The other order: shmdt first (the pages stay with the segment, Shmem
 * still counts them, a new attach finds the data), then IPC_RMID frees
 * them at once. shmget alone allocates nothing. */
SHM_CASE(shm_detach_then_rmid)
{
    const char *why = PASS;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        int fatal;
        why = detach_then_rmid_once(&fatal);
        cleanup();
        if (!why || fatal)
            return why;
    }
    return why;
}

/* One try of shm_anon_shared_freed_with_last_map. */
static const char *anon_freed_once(int *fatal)
{
    const char *why = PASS;
    int fds[2] = {-1, -1};
    pid_t pid = -1;
    char *m = MAP_FAILED;

    *fatal = 1;
    long long sh0 = meminfo_kb("Shmem"), free0 = free_memory();
    CHECK(sh0 >= 0, "no Shmem line in /proc/meminfo");
    m = mmap(NULL, BIG_SHM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS of 8 MiB: %s", errname(errno));
    touch_pages(m, BIG_SHM, 1);
    long long sh1 = meminfo_kb("Shmem");
    CHECK_OUT(pipe(fds) == 0, "pipe: %s", errname(errno));

    pid = fork_child();
    CHECK_OUT(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) { /* hold the mapping until the parent closes the pipe */
        char c;
        close(fds[1]);
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(m[BIG_SHM - PAGE_SIZE] == 1 ? 0 : 2);
    }
    close(fds[0]);
    fds[0] = -1;
    CHECK_OUT(munmap(m, BIG_SHM) == 0, "munmap: %s", errname(errno));
    m = MAP_FAILED;
    long long sh2 = meminfo_kb("Shmem");
    close(fds[1]);
    fds[1] = -1;
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the child holding the mapping %s (2: it lost the data when the parent unmapped)", status_str(st));
    long long sh3 = shmem_settled(sh0 + shmem_slack_kb());
    long long free3 = free_settled(free0 - free_slack_kb() * KiB);

    *fatal = 0;
    long long slack = shmem_slack_kb();
    CHECK_OUT(within(sh1 - sh0, BIG_SHM_KB, slack),
              "touching 8 MiB of MAP_SHARED|MAP_ANONYMOUS raised Shmem by %lld kB, expected %ld", sh1 - sh0,
              (long)BIG_SHM_KB);
    CHECK_OUT(within(sh2 - sh0, BIG_SHM_KB, slack),
              "with only the child mapping it, Shmem is %lld kB above the start, expected %ld", sh2 - sh0,
              (long)BIG_SHM_KB);
    CHECK_OUT(within(sh3 - sh0, 0, slack), "after the last mapping went, Shmem is %lld kB above the start", sh3 - sh0);
    CHECK_OUT(free0 - free3 <= free_slack_kb() * KiB,
              "after the last mapping went, free memory is %lld kB below the start (allowed %lld)",
              (free0 - free3) / KiB, free_slack_kb());
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    kill_and_reap(pid);
    if (m != MAP_FAILED)
        munmap(m, BIG_SHM);
    return why;
}

/* MAP_SHARED|MAP_ANONYMOUS lives until its last mapping: the parent's
 * munmap leaves the frames to the child (Shmem unchanged), the child's exit
 * frees them. */
SHM_CASE(shm_anon_shared_freed_with_last_map)
{
    const char *why = PASS;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        int fatal;
        why = anon_freed_once(&fatal);
        if (!why || fatal)
            return why;
    }
    return why;
}

/* ---------------------------------------------------------------------------
 * Errors: Linux's errno for each misuse.
 * ------------------------------------------------------------------------- */

/* A page-aligned range of len bytes that nothing is mapped at (mapped and
 * unmapped again), or NULL. */
static char *free_range(size_t len)
{
    char *r = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return NULL;
    munmap(r, len);
    return r;
}

SHM_CASE(shm_errors)
{
    struct shmid_ds ds;
    memset(&ds, 0, sizeof(ds));

    /* shmget. (EACCES cannot happen: we are root.) */
    CHECK_ERRNO(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL); /* size 0 */
    key_t key = key_for(4), missing = key_for(5);
    int id = new_segment(key, 2 * PAGE_SIZE, IPC_EXCL | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    CHECK_ERRNO(shmget(key, PAGE_SIZE, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_ERRNO(shmget(key, 0, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_ERRNO(shmget(missing, PAGE_SIZE, 0600), ENOENT);
    CHECK_ERRNO(shmget(missing, 0, 0), ENOENT);             /* the lookup comes before the size check */
    CHECK_ERRNO(shmget(key, 2 * PAGE_SIZE + 1, 0), EINVAL); /* larger than the segment */
    CHECK_ERRNO(shmget(key, 2 * PAGE_SIZE + 1, IPC_CREAT | 0600), EINVAL);
    int same = shmget(key, 2 * PAGE_SIZE, 0);
    CHECK(same == id, "shmget(key, same size) returned %d (%s), expected the id %d", same, errname(errno), id);
    same = shmget(key, 0, 0); /* size 0 is fine to find an existing one */
    CHECK(same == id, "shmget(key, 0, 0) returned %d (%s), expected the id %d", same, errname(errno), id);
    same = shmget(key, PAGE_SIZE, IPC_CREAT | 0600); /* smaller, and IPC_CREAT without IPC_EXCL: found */
    CHECK(same == id, "shmget(key, smaller, IPC_CREAT) returned %d (%s), expected the id %d", same, errname(errno), id);

    /* shmat */
    int gone = new_segment(IPC_PRIVATE, PAGE_SIZE, 0600);
    CHECK(gone >= 0, "shmget: %s", errname(errno));
    CHECK_OK(remove_segment(gone));
    CHECK_ERRNO(shmat(-1, NULL, 0), EINVAL);
    CHECK_ERRNO(shmat(gone, NULL, 0), EINVAL);
    char *r = free_range(4 * PAGE_SIZE);
    CHECK(r, "mmap: %s", errname(errno));
    CHECK_ERRNO(shmat(id, r + 123, 0), EINVAL); /* misaligned, no SHM_RND */
    CHECK_ERRNO(shmat(id, r + PAGE_SIZE / 2, 0), EINVAL);

    /* shmdt */
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK_ERRNO(shmdt((const void *)(p + 1)), EINVAL);         /* misaligned */
    CHECK_ERRNO(shmdt((const void *)(p + PAGE_SIZE)), EINVAL); /* inside the attach, not its start */
    CHECK_ERRNO(shmdt(NULL), EINVAL);
    char *priv = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(priv != MAP_FAILED, "mmap: %s", errname(errno));
    priv[0] = 1;
    errno = 0;
    long ret = shmdt(priv);
    int err = errno;
    munmap(priv, PAGE_SIZE);
    CHECK(ret == -1 && err == EINVAL, "shmdt of a private anonymous page returned %ld (%s), expected EINVAL", ret,
          errname(err));
    char *shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED, "mmap MAP_SHARED: %s", errname(errno));
    shared[0] = 1;
    errno = 0;
    ret = shmdt(shared);
    err = errno;
    munmap(shared, PAGE_SIZE);
    CHECK(ret == -1 && err == EINVAL, "shmdt of a MAP_SHARED|MAP_ANONYMOUS page returned %ld (%s), expected EINVAL",
          ret, errname(err));
    CHECK(nattch(id) == 1, "a failed shmdt changed shm_nattch to %ld", nattch(id));
    CHECK_OK(detach(p));
    CHECK_ERRNO(shmdt((const void *)p), EINVAL); /* detached already */

    /* shmctl */
    CHECK_ERRNO(shmctl(-1, IPC_STAT, &ds), EINVAL);
    CHECK_ERRNO(shmctl(gone, IPC_STAT, &ds), EINVAL);
    CHECK_ERRNO(shmctl(gone, IPC_RMID, NULL), EINVAL);
    CHECK_ERRNO(shmctl(gone, IPC_SET, &ds), EINVAL);
    CHECK_ERRNO(shmctl(id, 99, &ds), EINVAL); /* no such command */
    CHECK_ERRNO(shmctl(id, IPC_STAT, NULL), EFAULT);
    CHECK_ERRNO(shmctl(id, IPC_SET, NULL), EFAULT);
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * IPC_STAT and IPC_SET.
 * ------------------------------------------------------------------------- */

/* A time a segment reports must be now-ish: between the start of the
 * case (t0) and now, give or take 2 s (clocks read at different moments). */
#define CHECK_TIME(t, t0, what)                                                                                        \
    do {                                                                                                               \
        long long t_ = (long long)(t), now_ = (long long)time(NULL);                                                   \
        CHECK(t_ >= (long long)(t0)-2 && t_ <= now_ + 2, "%s is %lld, expected the time now (%lld)", what, t_, now_);  \
    } while (0)

#define STAT_SIZE 10000 /* not a multiple of the page size */

static int stat_id;

/* Read one byte (or end of file) from fd, retrying after EINTR. */
static ssize_t read_byte(int fd)
{
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return n;
}

/* The detach at exit counts as a detach: a child attaches and tells us
 * (pipe "up"); we attach and detach, so shm_lpid is ours; then we let the
 * child exit (closing pipe "down") without shmdt. Its exit is now the last
 * detach: shm_lpid is the child's pid, shm_dtime is set, nattch is 0. */
static const char *exit_detaches(int id, time_t t0)
{
    const char *why = PASS;
    int up[2] = {-1, -1}, down[2] = {-1, -1};
    pid_t pid = -1;
    struct shmid_ds ds;

    CHECK_OUT(pipe(up) == 0 && pipe(down) == 0, "pipe: %s", errname(errno));
    pid = fork_child();
    CHECK_OUT(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        if (shmat(id, NULL, 0) == SHM_FAILED)
            _exit(2);
        if (write(up[1], "a", 1) != 1)
            _exit(3);
        read_byte(down[0]); /* until the parent closes its end */
        _exit(0);           /* no shmdt: exit detaches */
    }
    close(up[1]);
    up[1] = -1;
    close(down[0]);
    down[0] = -1;
    CHECK_OUT(read_byte(up[0]) == 1, "the child did not attach");

    vptr p = shmat(id, NULL, 0);
    CHECK_OUT(p != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK_OUT(nattch(id) == 2, "shm_nattch is %ld with the child's attach and ours, expected 2", nattch(id));
    CHECK_OUT(shmdt((void *)p) == 0, "shmdt: %s", errname(errno));
    CHECK_OUT(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT: %s", errname(errno));
    CHECK_OUT(ds.shm_lpid == getpid(), "shm_lpid is %d after our shmdt, expected %d", (int)ds.shm_lpid, (int)getpid());
    time_t before_exit = ds.shm_dtime;

    close(down[1]);
    down[1] = -1;
    pid_t exit_child = pid;
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s (2: shmat failed)", status_str(st));
    CHECK_OUT(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT: %s", errname(errno));
    CHECK_OUT(ds.shm_nattch == 0, "shm_nattch is %lu after the attached child exited, expected 0",
              (unsigned long)ds.shm_nattch);
    CHECK_OUT(ds.shm_lpid == exit_child, "shm_lpid is %d, expected the child %d whose exit was the last detach",
              (int)ds.shm_lpid, (int)exit_child);
    CHECK_OUT(ds.shm_dtime >= before_exit && ds.shm_dtime >= t0 - 2, "shm_dtime is %lld after the exit",
              (long long)ds.shm_dtime);
out:
    for (int i = 0; i < 2; i++) {
        if (up[i] >= 0)
            close(up[i]);
        if (down[i] >= 0)
            close(down[i]);
    }
    kill_and_reap(pid);
    return why;
}

static int attach_and_detach(void)
{
    void *p = shmat(stat_id, NULL, 0);
    if (p == SHM_FAILED)
        return 2;
    return shmdt(p) == 0 ? 0 : 3;
}

/* Every field, step by step: segsz as asked, nattch 0-1-2-1-0, cpid the
 * creator, lpid the last to attach or detach (also a detach by exit), the
 * times, the owner (root here, getuid() in general). */
SHM_CASE(shm_ipc_stat_fields)
{
    struct shmid_ds ds;
    time_t t0 = time(NULL);
    key_t key = key_for(6);
    int id = new_segment(key, STAT_SIZE, IPC_EXCL | 0640);
    CHECK(id >= 0, "shmget: %s", errname(errno));

    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_segsz == STAT_SIZE, "shm_segsz is %zu, expected %d (the size asked for, not rounded)",
          (size_t)ds.shm_segsz, STAT_SIZE);
    CHECK(PERM_KEY(ds) == key, "shm_perm key is 0x%x, expected 0x%x", (unsigned)PERM_KEY(ds), (unsigned)key);
    CHECK((ds.shm_perm.mode & 0777) == 0640, "shm_perm.mode is 0%o, expected 0640", (unsigned)ds.shm_perm.mode);
    CHECK(ds.shm_perm.uid == getuid() && ds.shm_perm.cuid == getuid(), "uid %u cuid %u, expected %u",
          (unsigned)ds.shm_perm.uid, (unsigned)ds.shm_perm.cuid, (unsigned)getuid());
    CHECK(ds.shm_perm.gid == getgid() && ds.shm_perm.cgid == getgid(), "gid %u cgid %u, expected %u",
          (unsigned)ds.shm_perm.gid, (unsigned)ds.shm_perm.cgid, (unsigned)getgid());
    CHECK(ds.shm_nattch == 0, "shm_nattch of a new segment is %lu", (unsigned long)ds.shm_nattch);
    CHECK(ds.shm_cpid == getpid(), "shm_cpid is %d, expected %d", (int)ds.shm_cpid, (int)getpid());
    CHECK(ds.shm_lpid == 0, "shm_lpid of a segment nobody attached is %d, expected 0", (int)ds.shm_lpid);
    CHECK(ds.shm_atime == 0 && ds.shm_dtime == 0, "a new segment has shm_atime %lld, shm_dtime %lld; expected 0, 0",
          (long long)ds.shm_atime, (long long)ds.shm_dtime);
    CHECK_TIME(ds.shm_ctime, t0, "shm_ctime of a new segment");

    vptr a = attach(id, NULL, 0);
    CHECK(a != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_nattch == 1, "shm_nattch is %lu after one shmat", (unsigned long)ds.shm_nattch);
    CHECK(ds.shm_lpid == getpid(), "shm_lpid is %d after our shmat, expected %d", (int)ds.shm_lpid, (int)getpid());
    CHECK_TIME(ds.shm_atime, t0, "shm_atime after shmat");
    CHECK(ds.shm_dtime == 0, "shm_dtime is %lld before any shmdt", (long long)ds.shm_dtime);

    vptr b = attach(id, NULL, 0);
    CHECK(b != SHM_FAILED, "second shmat: %s", errname(errno));
    CHECK(nattch(id) == 2, "shm_nattch is %ld after two shmat, expected 2", nattch(id));
    CHECK_OK(detach(a));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_nattch == 1, "shm_nattch is %lu after one shmdt, expected 1", (unsigned long)ds.shm_nattch);
    CHECK_TIME(ds.shm_dtime, t0, "shm_dtime after shmdt");
    CHECK_OK(detach(b));
    CHECK(nattch(id) == 0, "shm_nattch is %ld after both shmdt, expected 0", nattch(id));

    const char *why = exit_detaches(id, t0);
    if (why)
        return why;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_cpid == getpid(), "shm_cpid changed to %d", (int)ds.shm_cpid);

    stat_id = id;
    pid_t pid = fork_child(); /* attaches and detaches */
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(attach_and_detach());
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s (2: shmat failed, 3: shmdt failed)",
          status_str(st));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_lpid == pid, "shm_lpid is %d, expected the child %d that attached and detached last", (int)ds.shm_lpid,
          (int)pid);

    /* IPC_SET: the permission bits change, nothing else does; mode bits
     * above 0777 given to IPC_SET are ignored (SHM_DEST is not a way to
     * remove a segment). */
    ds.shm_perm.mode = SHM_DEST | 0604;
    CHECK_OK(shmctl(id, IPC_SET, &ds));
    struct shmid_ds after;
    CHECK_OK(shmctl(id, IPC_STAT, &after));
    CHECK(after.shm_perm.mode == 0604, "after IPC_SET of mode 01604, shm_perm.mode is 0%o, expected 0604",
          (unsigned)after.shm_perm.mode);
    CHECK(after.shm_segsz == STAT_SIZE && after.shm_cpid == getpid() && after.shm_lpid == pid,
          "IPC_SET changed shm_segsz/cpid/lpid to %zu/%d/%d", (size_t)after.shm_segsz, (int)after.shm_cpid,
          (int)after.shm_lpid);
    CHECK_TIME(after.shm_ctime, t0, "shm_ctime after IPC_SET");
    CHECK(shmget(key, 0, 0) == id, "after IPC_SET the key no longer finds the segment: %s", errname(errno));
    ds.shm_perm.mode = 0600;
    CHECK_OK(shmctl(id, IPC_SET, &ds));
    CHECK_OK(shmctl(id, IPC_STAT, &after));
    CHECK((after.shm_perm.mode & 0777) == 0600, "after IPC_SET of 0600, shm_perm.mode is 0%o",
          (unsigned)after.shm_perm.mode);
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* shm_nattch counts mappings, as Linux does (each VMA of the segment is one
 * "attach": vm_ops->open counts up, ->close counts down): a second attach
 * in one process counts, fork adds the child's copies, exit removes them,
 * and an mprotect that cuts an attach in three counts three. shmdt of the
 * attach removes all its pieces. */
SHM_CASE(shm_nattch_counts_mappings)
{
    const char *why = PASS;
    int fds[2] = {-1, -1};
    pid_t pid = -1;
    int id = new_segment(IPC_PRIVATE, 3 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr a = attach(id, NULL, 0);
    CHECK(a != SHM_FAILED, "shmat: %s", errname(errno));
    vptr b = attach(id, NULL, 0);
    CHECK(b != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK(nattch(id) == 2, "shm_nattch is %ld with the segment attached twice in one process, expected 2", nattch(id));

    CHECK(pipe(fds) == 0, "pipe: %s", errname(errno));
    pid = fork_child();
    CHECK_OUT(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char c;
        close(fds[1]);
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(fds[0]);
    fds[0] = -1;
    CHECK_OUT(nattch(id) == 4, "shm_nattch is %ld with two attaches and a child that inherited both, expected 4",
              nattch(id));
    close(fds[1]);
    fds[1] = -1;
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s", status_str(st));
    CHECK_OUT(nattch(id) == 2, "shm_nattch is %ld after the child exited, expected 2", nattch(id));

    CHECK_OUT(mprotect((void *)(a + PAGE_SIZE), PAGE_SIZE, PROT_READ) == 0, "mprotect: %s", errname(errno));
    CHECK_OUT(nattch(id) == 4,
              "shm_nattch is %ld after mprotect cut one attach in three pieces, expected 4 (Linux counts each piece)",
              nattch(id));
    a[0] = 1; /* the pieces before and after stay writable */
    a[2 * PAGE_SIZE] = 2;
    CHECK_OUT(b[0] == 1 && b[2 * PAGE_SIZE] == 2 && b[PAGE_SIZE] == 0, "the pieces of the cut attach no longer share");
    CHECK_OUT(detach(a) == 0, "shmdt of the cut attach: %s", errname(errno));
    CHECK_OUT(nattch(id) == 1, "shm_nattch is %ld after shmdt of the cut attach, expected 1 (all pieces go)",
              nattch(id));
    CHECK_OUT(detach(b) == 0, "shmdt: %s", errname(errno));
    CHECK_OUT(nattch(id) == 0, "shm_nattch is %ld after the last shmdt", nattch(id));
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    kill_and_reap(pid);
    return why;
}

static vptr poke_addr;
static int poke(void)
{
    *poke_addr = 1;
    return 0;
}
static int peek_addr(void) { return *poke_addr == 0x77 ? 0 : 2; }

/* munmap of a piece of an attach: Linux's shmdt(addr) still finds the
 * rest (by its offset in the segment) and detaches all of it, also when
 * the first page - the address given to shmdt - is gone already. */
SHM_CASE(shm_shmdt_after_partial_munmap)
{
    int id = new_segment(IPC_PRIVATE, 3 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));

    vptr a = attach(id, NULL, 0);
    CHECK(a != SHM_FAILED, "shmat: %s", errname(errno));
    memset((void *)a, 0x77, 3 * PAGE_SIZE);
    CHECK_OK(munmap((void *)a, PAGE_SIZE));
    CHECK(nattch(id) == 1, "shm_nattch is %ld after munmap of the first page, expected 1", nattch(id));
    CHECK(a[PAGE_SIZE] == 0x77, "the rest of the attach lost its data");
    errno = 0;
    int r = detach(a);
    CHECK(r == 0, "shmdt(start) after munmap of the first page: %s (Linux detaches the rest)", errname(errno));
    CHECK(nattch(id) == 0, "shm_nattch is %ld after shmdt, expected 0", nattch(id));
    poke_addr = a + 2 * PAGE_SIZE;
    CHECK_KILLED_BY(run_in_child(poke), SIGSEGV);

    vptr b = attach(id, NULL, 0);
    CHECK(b != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK_OK(munmap((void *)(b + PAGE_SIZE), PAGE_SIZE));
    CHECK(nattch(id) == 2, "shm_nattch is %ld after munmap of the middle page, expected 2 (two pieces)", nattch(id));
    poke_addr = b + 2 * PAGE_SIZE;
    CHECK_EXITED(run_in_child(peek_addr), 0);
    CHECK_OK(detach(b));
    CHECK(nattch(id) == 0, "shm_nattch is %ld after shmdt of both pieces, expected 0", nattch(id));
    CHECK_KILLED_BY(run_in_child(poke), SIGSEGV);
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Read-only attaches and addresses.
 * ------------------------------------------------------------------------- */

static vptr ro_addr;
static int read_ro(void) { return *ro_addr == 'R' ? 0 : 2; }
static int write_ro(void)
{
    if (*ro_addr != 'R')
        return 2;
    *ro_addr = 'W';
    return 0;
}

/* SHM_RDONLY: reads work and see the writes made through a writable
 * attach; a write is SIGSEGV; mprotect cannot make it writable (EACCES). */
SHM_CASE(shm_rdonly_attach)
{
    int id = new_segment(IPC_PRIVATE, PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr rw = attach(id, NULL, 0);
    CHECK(rw != SHM_FAILED, "shmat: %s", errname(errno));
    rw[0] = 'R';
    vptr ro = attach(id, NULL, SHM_RDONLY);
    CHECK(ro != SHM_FAILED, "shmat SHM_RDONLY: %s", errname(errno));
    CHECK(ro[0] == 'R', "the read-only attach reads %d, not 'R'", ro[0]);

    ro_addr = ro;
    CHECK_EXITED(run_in_child(read_ro), 0);
    int st = run_in_child(write_ro);
    CHECK(st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 2, "the child read the wrong byte through SHM_RDONLY");
    CHECK_KILLED_BY(st, SIGSEGV);
    CHECK(rw[0] == 'R', "after the failed write the segment holds %d, not 'R'", rw[0]);
    CHECK_ERRNO(mprotect((void *)ro, PAGE_SIZE, PROT_READ | PROT_WRITE), EACCES);

    struct maps_line ml;
    CHECK(find_maps_line(ro, &ml), "/proc/self/maps has no line for the read-only attach %p", (void *)ro);
    CHECK(strcmp(ml.perms, "r--s") == 0, "/proc/self/maps shows the SHM_RDONLY attach as %s, expected r--s", ml.perms);
    CHECK_OK(detach(ro));
    CHECK_OK(detach(rw));
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* Addresses: an aligned address is used as given; SHM_RND rounds a
 * misaligned one down to SHMLBA (4096 on x86-64); an address where
 * something is mapped already is refused (EINVAL) and the mapping there
 * is left alone (no SHM_REMAP). */
SHM_CASE(shm_attach_address)
{
    int id = new_segment(IPC_PRIVATE, 2 * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    char *r = free_range(16 * PAGE_SIZE);
    CHECK(r, "mmap: %s", errname(errno));

    vptr p = attach(id, r + 4 * PAGE_SIZE, 0);
    CHECK(p != SHM_FAILED, "shmat at the free address %p: %s", (void *)(r + 4 * PAGE_SIZE), errname(errno));
    CHECK(p == r + 4 * PAGE_SIZE, "shmat at %p attached at %p", (void *)(r + 4 * PAGE_SIZE), (void *)p);
    p[0] = 's';
    CHECK_OK(detach(p));

    char *want = r + 8 * PAGE_SIZE;
    p = attach(id, want + 1234, SHM_RND);
    CHECK(p != SHM_FAILED, "shmat at %p with SHM_RND: %s", (void *)(want + 1234), errname(errno));
    CHECK(p == want, "shmat at %p with SHM_RND attached at %p, expected %p (rounded down to %d)", (void *)(want + 1234),
          (void *)p, (void *)want, X86_64_SHMLBA);
    CHECK(p[0] == 's', "the attach at the rounded address reads %d, not 's'", p[0]);
    CHECK_OK(detach(p));
    CHECK_ERRNO(shmat(id, want + 1234, 0), EINVAL);

    char *m = mmap(r, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(m == r, "mmap MAP_FIXED at %p: %s", (void *)r, errname(errno));
    m[PAGE_SIZE] = 'm';
    CHECK_ERRNO(shmat(id, r + PAGE_SIZE, 0), EINVAL); /* overlaps the mapping's second page */
    CHECK_ERRNO(shmat(id, r, 0), EINVAL);
    CHECK(((vptr)m)[PAGE_SIZE] == 'm', "a refused shmat changed the memory that was mapped there");
    CHECK(nattch(id) == 0, "refused shmat calls left shm_nattch at %ld", nattch(id));
    munmap(m, 2 * PAGE_SIZE);
    CHECK_OK(remove_segment(id));
    return PASS;
}

/* ---------------------------------------------------------------------------
 * mmap(MAP_SHARED | MAP_ANONYMOUS).
 * ------------------------------------------------------------------------- */

/* Shared anonymous memory across fork: the child's writes (to a page
 * touched before fork and to one touched first by the child) reach the
 * parent, the parent's later writes reach the child, and both see the
 * same PFN. (MAP_PRIVATE would give copy-on-write copies instead.) */
SHM_CASE(shm_anon_shared_fork)
{
    const char *why = PASS;
    pid_t pid = -1;
    vptr m = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: %s", errname(errno));
    struct handshake *hs = (struct handshake *)m;
    m[DATA_AT] = 'P';

    pid = fork_child();
    CHECK_OUT(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        if (m[DATA_AT] != 'P')
            _exit(2);
        m[DATA_AT + 1] = 'c';
        m[PAGE_SIZE + 1] = 'C';
        hs->child_pfn[0] = pfn_of(m);
        hs->child_pfn[1] = pfn_of(m + PAGE_SIZE);
        set_flag(&hs->child_done, 1);
        if (!wait_flag(&hs->parent_done, 1, HANDSHAKE_MS))
            _exit(3);
        if (m[2 * PAGE_SIZE + 3] != 'Q' || m[DATA_AT + 2] != 'q')
            _exit(4);
        hs->child_pfn[2] = pfn_of(m + 2 * PAGE_SIZE);
        _exit(0);
    }
    CHECK_OUT(wait_flag(&hs->child_done, 1, HANDSHAKE_MS), "the child's flag never reached the parent");
    CHECK_OUT(m[DATA_AT + 1] == 'c', "the child's write to page 0 is not seen by the parent (reads %d)",
              m[DATA_AT + 1]);
    CHECK_OUT(m[PAGE_SIZE + 1] == 'C', "the child's first touch of page 1 is not seen by the parent (reads %d)",
              m[PAGE_SIZE + 1]);
    why = same_frame(pfn_of(m), hs->child_pfn[0], "page 0 in the parent and the child");
    if (!why)
        why = same_frame(pfn_of(m + PAGE_SIZE), hs->child_pfn[1], "page 1 in the parent and the child");
    if (why)
        goto out;
    m[2 * PAGE_SIZE + 3] = 'Q';
    m[DATA_AT + 2] = 'q';
    set_flag(&hs->parent_done, 1);
    int st = wait_for(pid);
    pid = -1;
    CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child %s (2: did not see the parent's data from before fork, 3: the parent's flag never came, "
              "4: did not see the parent's writes after fork)",
              status_str(st));
    why = same_frame(pfn_of(m + 2 * PAGE_SIZE), hs->child_pfn[2], "page 2 in the parent and the child");
out:
    if (m != MAP_FAILED) {
        set_flag(&hs->parent_done, 1);
        kill_and_reap(pid);
        munmap((void *)m, 3 * PAGE_SIZE);
    }
    return why;
}

static vptr anon_map;
static int write_pages_0_2_3(void)
{
    anon_map[0] = 'a';
    anon_map[2 * PAGE_SIZE] = 'b';
    anon_map[3 * PAGE_SIZE + 5] = 'c';
    return 0;
}

/* munmap of one page of a shared mapping: a hole there (SIGSEGV), and the
 * pages on both sides are still shared with a child forked afterwards. */
SHM_CASE(shm_anon_shared_partial_munmap)
{
    vptr m = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: %s", errname(errno));
    touch_pages(m, 4 * PAGE_SIZE, 0x77);
    CHECK_OK(munmap((void *)(m + PAGE_SIZE), PAGE_SIZE));

    anon_map = m;
    int st = run_in_child(write_pages_0_2_3);
    poke_addr = m + PAGE_SIZE;
    int hole = run_in_child(peek_addr);
    char v0 = m[0], v2 = m[2 * PAGE_SIZE], v3 = m[3 * PAGE_SIZE + 5];
    munmap((void *)m, PAGE_SIZE);
    munmap((void *)(m + 2 * PAGE_SIZE), 2 * PAGE_SIZE);
    CHECK_EXITED(st, 0);
    CHECK(v0 == 'a', "page 0 (before the hole) reads %d in the parent, the child wrote 'a'", v0);
    CHECK(v2 == 'b' && v3 == 'c', "pages 2 and 3 (after the hole) read %d, %d in the parent, the child wrote 'b', 'c'",
          v2, v3);
    CHECK_KILLED_BY(hole, SIGSEGV);
    return PASS;
}

static int write_anon_0(void)
{
    if (anon_map[0] != 'A')
        return 2;
    anon_map[0] = 'W';
    return 0;
}
static int write_anon_0_b(void)
{
    anon_map[0] = 'B';
    anon_map[PAGE_SIZE] = 'D';
    return 0;
}

/* mprotect(PROT_READ) on a page of a shared mapping: reads work, a write
 * is SIGSEGV, the other page is still writable and shared; back to
 * PROT_READ|PROT_WRITE, writes are shared again (no private copy). */
SHM_CASE(shm_anon_shared_mprotect)
{
    vptr m = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: %s", errname(errno));
    m[0] = 'A';
    m[PAGE_SIZE] = 'C';
    anon_map = m;
    const char *why = PASS;

    if (mprotect((void *)m, PAGE_SIZE, PROT_READ) != 0) {
        why = FAIL("mprotect PROT_READ: %s", errname(errno));
    } else {
        int st = run_in_child(write_anon_0);
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
            why = FAIL("the child read %d, not 'A', through the read-only shared page", m[0]);
        else if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
            why = FAIL("a write to a PROT_READ shared page: child %s, expected SIGSEGV", status_str(st));
        else if (m[0] != 'A')
            why = FAIL("the read-only shared page holds %d after the refused write", m[0]);
        else if (mprotect((void *)m, PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
            why = FAIL("mprotect back to PROT_READ|PROT_WRITE: %s", errname(errno));
        else {
            st = run_in_child(write_anon_0_b);
            if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                why = FAIL("writing after mprotect back to read-write: child %s", status_str(st));
            else if (m[0] != 'B' || m[PAGE_SIZE] != 'D')
                why = FAIL("after mprotect and back, the child's writes do not reach the parent (reads %d, %d)", m[0],
                           m[PAGE_SIZE]);
        }
    }
    munmap((void *)m, 2 * PAGE_SIZE);
    return why;
}

/* ---------------------------------------------------------------------------
 * Swapped out: shared pages paged out by one process (the only one that
 * maps them at that moment) and read and written by another afterwards.
 * The pages go out with madvise(MADV_PAGEOUT) (Linux 5.4+; Linux pages out
 * only pages one process maps alone). On Pagewise, with a swap disk,
 * pagemap bit 62 must show them on swap in the process that paged them out.
 * ------------------------------------------------------------------------- */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define PM_SWAP (1ULL << 62)
#define SW_PAGES 16

/* Handshakes go through pipes (wait_go/send_go), not through the memory
 * itself: touching it would bring the pages back from swap. */

/* Page i gets the byte 'a' + i % 26 everywhere. */
static void fill_pages(vptr p, long pages)
{
    for (long i = 0; i < pages; i++)
        memset((char *)(p + i * PAGE_SIZE), 'a' + (int)(i % 26), PAGE_SIZE);
}

/* The first page that is not as fill_pages() left it (with at8 at offset
 * 8 when at8 is not 0), or -1. */
static long first_wrong(vptr p, long pages, char at8)
{
    for (long i = 0; i < pages; i++)
        for (long j = 0; j < PAGE_SIZE; j++)
            if (p[i * PAGE_SIZE + j] != (j == 8 && at8 ? at8 : 'a' + (char)(i % 26)))
                return i;
    return -1;
}

/* The child's part of both cases: wait, map (attach: shm id, or -1 for the
 * inherited mapping m), check the parent's data (from swap), write 'C'
 * at offset 8 of each page, page them out (the parent's mapping no longer
 * holds them), unmap, report. */
static void swapped_child(int id, vptr m, int go, int up)
{
    if (wait_go(go) != 0)
        child_verdict(up, FAIL("no go from the parent"));
    vptr q = id >= 0 ? shmat(id, NULL, 0) : m;
    if (q == SHM_FAILED)
        child_verdict(up, FAIL("shmat: %s", errname(errno)));
    long bad = first_wrong(q, SW_PAGES, 0);
    if (bad >= 0)
        child_verdict(up, FAIL("page %ld does not hold what the parent wrote before it paged it out", bad));
    for (long i = 0; i < SW_PAGES; i++)
        q[i * PAGE_SIZE + 8] = 'C';
    const char *why = page_out(q, SW_PAGES, SW_PAGES);
    if (id >= 0 && shmdt((const void *)q) != 0 && !why)
        why = FAIL("shmdt: %s", errname(errno));
    child_verdict(up, why);
}

/* The parent's part: it maps alone, writes, pages out, lets the child go,
 * and reads the child's writes back (from swap). */
static const char *swapped_parent(vptr p, pid_t pid, int go, int up)
{
    fill_pages(p, SW_PAGES);
    const char *why = page_out(p, SW_PAGES, SW_PAGES);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN); /* a child that died early is reported below */
    send_go(go);
    signal(SIGPIPE, old);
    const char *child_why = parent_verdict(up, pid);
    if (why || child_why)
        return why ? why : child_why;
    long bad = first_wrong(p, SW_PAGES, 'C');
    CHECK(bad < 0, "page %ld does not show the child's writes (it wrote, paged out and went)", bad);
    return check_vmcheck();
}

/* MAP_SHARED|MAP_ANONYMOUS: the child is forked before anyone touched the
 * pages, so the parent maps them alone when it pages them out; then the
 * child reads them, writes, and pages them out in turn; the parent reads
 * the child's bytes. */
SHM_CASE(shm_anon_shared_swapped_both_ways)
{
    vptr m = mmap(NULL, SW_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: %s", errname(errno));
    int go[2], up[2];
    CHECK_OK(pipe(go));
    CHECK_OK(pipe(up));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(go[1]);
        close(up[0]);
        swapped_child(-1, m, go[0], up[1]);
    }
    close(go[0]);
    close(up[1]);
    const char *why = swapped_parent(m, pid, go[1], up[0]);
    close(go[1]);
    close(up[0]);
    munmap((void *)m, SW_PAGES * PAGE_SIZE);
    return why;
}

/* A SysV segment: the child is forked before any attach and attaches by
 * id once the parent has paged the pages out; otherwise as above. */
SHM_CASE(shm_sysv_swapped_both_ways)
{
    int id = new_segment(IPC_PRIVATE, SW_PAGES * PAGE_SIZE, 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    int go[2], up[2];
    CHECK_OK(pipe(go));
    CHECK_OK(pipe(up));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        close(go[1]);
        close(up[0]);
        swapped_child(id, NULL, go[0], up[1]);
    }
    close(go[0]);
    close(up[1]);
    vptr p = attach(id, NULL, 0);
    const char *why = p == SHM_FAILED ? FAIL("shmat: %s", errname(errno)) : PASS;
    if (why)
        kill_and_reap(pid);
    else
        why = swapped_parent(p, pid, go[1], up[0]);
    close(go[1]);
    close(up[0]);
    return why; /* cleanup() detaches and removes */
}

/* ---------------------------------------------------------------------------
 * /proc: maps and sysvipc/shm.
 * ------------------------------------------------------------------------- */

/* The lines Linux shows: a SysV attach is "rw-s" named "/SYSV<key as 8 hex
 * digits> (deleted)" and spans the size rounded up to pages;
 * MAP_SHARED|MAP_ANONYMOUS is "rw-s" named "/dev/zero (deleted)"; a private
 * anonymous mapping, for contrast, is "rw-p". */
SHM_CASE(shm_proc_maps_lines)
{
    struct maps_line ml;
    char want[64];
    key_t key = key_for(7);

    int id = new_segment(key, STAT_SIZE, IPC_EXCL | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK(find_maps_line(p, &ml), "/proc/self/maps has no line for the attach at %p", (void *)p);
    CHECK(strcmp(ml.perms, "rw-s") == 0, "the SysV attach shows perms %s, expected rw-s", ml.perms);
    snprintf(want, sizeof(want), "/SYSV%08x (deleted)", (unsigned)key);
    CHECK(strcmp(ml.name, want) == 0, "the SysV attach is named \"%s\", expected \"%s\"", ml.name, want);
    CHECK(ml.start == (uintptr_t)p && ml.end == (uintptr_t)p + 3 * PAGE_SIZE,
          "the attach of %d bytes at %p shows as %lx-%lx, expected 3 pages", STAT_SIZE, (void *)p, ml.start, ml.end);

    int private_id = new_segment(IPC_PRIVATE, PAGE_SIZE, 0600);
    CHECK(private_id >= 0, "shmget: %s", errname(errno));
    vptr q = attach(private_id, NULL, 0);
    CHECK(q != SHM_FAILED, "shmat: %s", errname(errno));
    CHECK(find_maps_line(q, &ml), "/proc/self/maps has no line for the attach at %p", (void *)q);
    CHECK(strcmp(ml.name, "/SYSV00000000 (deleted)") == 0,
          "an IPC_PRIVATE attach is named \"%s\", expected \"/SYSV00000000 (deleted)\"", ml.name);

    char *m = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: %s", errname(errno));
    int ok = find_maps_line(m, &ml);
    munmap(m, 2 * PAGE_SIZE);
    CHECK(ok, "/proc/self/maps has no line for the shared mapping at %p", (void *)m);
    CHECK(strcmp(ml.perms, "rw-s") == 0, "MAP_SHARED|MAP_ANONYMOUS shows perms %s, expected rw-s", ml.perms);
    CHECK(strcmp(ml.name, "/dev/zero (deleted)") == 0,
          "MAP_SHARED|MAP_ANONYMOUS is named \"%s\", expected \"/dev/zero (deleted)\"", ml.name);

    m = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_PRIVATE|MAP_ANONYMOUS: %s", errname(errno));
    ok = find_maps_line(m, &ml);
    munmap(m, 2 * PAGE_SIZE);
    CHECK(ok, "/proc/self/maps has no line for the private mapping at %p", (void *)m);
    CHECK(strcmp(ml.perms, "rw-p") == 0, "MAP_PRIVATE|MAP_ANONYMOUS shows perms %s, expected rw-p", ml.perms);

    CHECK_OK(detach(p));
    CHECK_OK(detach(q));
    CHECK(!find_maps_line(p, &ml) || strstr(ml.name, "SYSV") == NULL, "after shmdt the attach is still in maps");
    CHECK_OK(remove_segment(id));
    CHECK_OK(remove_segment(private_id));
    return PASS;
}

/* /proc/sysvipc/shm: Linux's header, then one line per segment: key and id
 * first, then perms (octal), size (as asked), cpid, lpid, nattch, uid, gid,
 * cuid, cgid, atime, dtime, ctime, rss (bytes resident), swap. */
SHM_CASE(shm_proc_sysvipc)
{
    struct sysvipc_line sl;
    key_t key = key_for(8);
    int id = new_segment(key, STAT_SIZE, IPC_EXCL | 0640);
    CHECK(id >= 0, "shmget: %s", errname(errno));

    int found = find_sysvipc_line(id, &sl);
    CHECK(found >= 0, "/proc/sysvipc/shm cannot be read, or its first line is not Linux's header");
    CHECK(found == 1, "/proc/sysvipc/shm has no line for segment %d", id);
    CHECK(sl.key == key, "the key column reads %lld, expected %d", sl.key, (int)key);
    CHECK(sl.perms == 0640, "the perms column reads %o, expected 640", sl.perms);
    CHECK(sl.size == STAT_SIZE, "the size column reads %llu, expected %d", sl.size, STAT_SIZE);
    CHECK(sl.cpid == getpid() && sl.lpid == 0, "cpid %lld lpid %lld, expected %d and 0", sl.cpid, sl.lpid,
          (int)getpid());
    CHECK(sl.nattch == 0 && sl.rss == 0 && sl.swap == 0, "nattch %lld rss %llu swap %llu, expected 0 0 0", sl.nattch,
          sl.rss, sl.swap);
    CHECK(sl.uid == getuid() && sl.cuid == getuid() && sl.gid == getgid() && sl.cgid == getgid(),
          "uid/gid/cuid/cgid read %lld/%lld/%lld/%lld", sl.uid, sl.gid, sl.cuid, sl.cgid);
    CHECK(sl.atime == 0 && sl.dtime == 0 && sl.ctime > 0, "atime/dtime/ctime read %lld/%lld/%lld", sl.atime, sl.dtime,
          sl.ctime);

    vptr p = attach(id, NULL, 0);
    CHECK(p != SHM_FAILED, "shmat: %s", errname(errno));
    p[0] = 1;
    p[2 * PAGE_SIZE] = 1; /* 2 of the 3 pages touched */
    CHECK(find_sysvipc_line(id, &sl) == 1, "/proc/sysvipc/shm lost the line of segment %d", id);
    CHECK(sl.nattch == 1 && sl.lpid == getpid() && sl.atime > 0, "nattch %lld lpid %lld atime %lld after shmat",
          sl.nattch, sl.lpid, sl.atime);
    CHECK(sl.rss == 2 * PAGE_SIZE, "the rss column reads %llu with 2 pages touched, expected %ld", sl.rss,
          2L * PAGE_SIZE);
    CHECK_OK(detach(p));
    CHECK(find_sysvipc_line(id, &sl) == 1, "/proc/sysvipc/shm lost the line of segment %d", id);
    CHECK(sl.nattch == 0 && sl.dtime > 0 && sl.rss == 2 * PAGE_SIZE,
          "after shmdt nattch %lld dtime %lld rss %llu, expected 0, now, %ld", sl.nattch, sl.dtime, sl.rss,
          2L * PAGE_SIZE);
    CHECK_OK(remove_segment(id));
    CHECK(find_sysvipc_line(id, &sl) == 0, "/proc/sysvipc/shm still lists segment %d after IPC_RMID", id);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Permissions, as Linux's ipcperms: other users, in children.
 *
 * The creator's euid/egid become owner (uid, gid) and creator (cuid,
 * cgid). One class of the mode bits applies: the owner's if the caller's
 * euid is uid or cuid, else the group's if one of its groups is gid or
 * cgid, else the others'; each bit asked for must be in it (EACCES).
 * IPC_SET and IPC_RMID: owner, creator or root (EPERM). These cases need
 * root to start with (to become the users).
 * ------------------------------------------------------------------------- */

#define NOBODY 65534
#define PERM_SIZE 5000

/* The operations a user tries: each works (0) or fails with an errno;
 * SKIP: not tried. */
enum { OP_GET_RW, OP_GET_R, OP_GET_NONE, OP_AT_RW, OP_AT_RO, OP_STAT, OP_SET_SAME, OP_RMID, OP_SET_NEW, NR_OPS };
#define SKIP (-1)
static const char *const op_names[NR_OPS] = {"shmget(key, 0, 0600)",
                                             "shmget(key, 0, 0444)",
                                             "shmget(key, 0, 0)",
                                             "shmat(id, 0, 0)",
                                             "shmat(id, 0, SHM_RDONLY)",
                                             "shmctl(IPC_STAT)",
                                             "shmctl(IPC_SET) (no change)",
                                             "shmctl(IPC_RMID)",
                                             "shmctl(IPC_SET) (new owner/mode)"};

struct actor {
    const char *name;
    uid_t uid;
    gid_t gid, group; /* effective gid; one supplementary group (0: none) */
    int expect[NR_OPS];
};

static struct {
    key_t key;
    int id;
    struct shmid_ds ds; /* the segment now, for "IPC_SET, no change" */
    uid_t set_uid;      /* what OP_SET_NEW asks for */
    gid_t set_gid;
    unsigned set_mode;
} perm;

static int try_op(int op)
{
    struct shmid_ds ds;
    void *p;
    int r;
    errno = 0;
    switch (op) {
    case OP_GET_RW: r = shmget(perm.key, 0, 0600); break;
    case OP_GET_R: r = shmget(perm.key, 0, 0444); break;
    case OP_GET_NONE: r = shmget(perm.key, 0, 0); break; /* asks for no access at all */
    case OP_AT_RW:
    case OP_AT_RO:
        p = shmat(perm.id, NULL, op == OP_AT_RO ? SHM_RDONLY : 0);
        if (p == SHM_FAILED)
            return errno;
        shmdt(p);
        return 0;
    case OP_STAT: return shmctl(perm.id, IPC_STAT, &ds) == 0 ? 0 : errno;
    case OP_SET_SAME: ds = perm.ds; return shmctl(perm.id, IPC_SET, &ds) == 0 ? 0 : errno;
    case OP_RMID: return shmctl(perm.id, IPC_RMID, NULL) == 0 ? 0 : errno;
    case OP_SET_NEW:
        ds = perm.ds;
        ds.shm_perm.uid = perm.set_uid;
        ds.shm_perm.gid = perm.set_gid;
        ds.shm_perm.mode = perm.set_mode;
        return shmctl(perm.id, IPC_SET, &ds) == 0 ? 0 : errno;
    default: return -1;
    }
    return r == perm.id ? 0 : r < 0 ? errno : -2; /* -2: another segment's id */
}

/* Become uid, gid (all three ids) with one or no supplementary group. */
static int become_user(uid_t uid, gid_t gid, gid_t group)
{
    if (setgroups(group ? 1 : 0, &group) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return -1;
    return 0;
}

/* In a child: become the actor and try each operation. */
static const char *actor_tries(const struct actor *a)
{
    if (become_user(a->uid, a->gid, a->group) != 0)
        return FAIL("%s: cannot take uid %u gid %u: %s", a->name, a->uid, a->gid, errname(errno));
    for (int op = 0; op < NR_OPS; op++) {
        if (a->expect[op] == SKIP)
            continue;
        int got = try_op(op);
        CHECK(got == a->expect[op], "%s: %s gave %s, expected %s", a->name, op_names[op],
              got ? errname(got) : "success", a->expect[op] ? errname(a->expect[op]) : "success");
    }
    return PASS;
}

/* Each actor in its own child, after a fresh look at the segment. */
static const char *actors_try(const struct actor *actors, int n)
{
    for (int i = 0; i < n; i++) {
        int fds[2];
        CHECK_OK(shmctl(perm.id, IPC_STAT, &perm.ds));
        CHECK_OK(pipe(fds));
        pid_t pid = fork_child();
        CHECK(pid >= 0, "fork: %s", errname(errno));
        if (pid == 0) {
            close(fds[0]);
            child_verdict(fds[1], actor_tries(&actors[i]));
        }
        close(fds[1]);
        const char *why = parent_verdict(fds[0], pid);
        close(fds[0]);
        if (why != PASS)
            return why;
    }
    return PASS;
}

/* A child as uid/gid creates segment key with mode; we (root) find its id. */
static const char *create_as(uid_t uid, gid_t gid, key_t key, int mode)
{
    track_key(key);
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0)
        _exit(become_user(uid, gid, 0) != 0 ? 2 : shmget(key, PERM_SIZE, IPC_CREAT | IPC_EXCL | mode) < 0 ? 3 : 0);
    int st = wait_for(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the creator (uid %u) %s (2: setresuid, 3: shmget)", uid,
          status_str(st));
    perm.key = key;
    perm.id = shmget(key, 0, 0);
    CHECK(perm.id >= 0, "shmget of the segment uid %u made: %s", uid, errname(errno));
    if (n_ids < MAX_TRACKED)
        tracked_ids[n_ids++] = perm.id;
    return PASS;
}

/* IPC_STAT (as root) and the /proc/sysvipc/shm line show these owners. */
static const char *owners_are(uid_t uid, gid_t gid, uid_t cuid, gid_t cgid, unsigned mode)
{
    struct shmid_ds ds;
    struct sysvipc_line sl;
    CHECK_OK(shmctl(perm.id, IPC_STAT, &ds));
    CHECK(ds.shm_perm.uid == uid && ds.shm_perm.gid == gid && ds.shm_perm.cuid == cuid && ds.shm_perm.cgid == cgid,
          "IPC_STAT: uid %u gid %u cuid %u cgid %u, expected %u %u %u %u", (unsigned)ds.shm_perm.uid,
          (unsigned)ds.shm_perm.gid, (unsigned)ds.shm_perm.cuid, (unsigned)ds.shm_perm.cgid, uid, gid, cuid, cgid);
    CHECK((ds.shm_perm.mode & 0777) == mode, "IPC_STAT: mode 0%o, expected 0%o", ds.shm_perm.mode & 0777, mode);
    CHECK(find_sysvipc_line(perm.id, &sl) == 1, "/proc/sysvipc/shm has no line for segment %d", perm.id);
    CHECK(sl.uid == uid && sl.gid == gid && sl.cuid == cuid && sl.cgid == cgid && sl.perms == mode,
          "/proc/sysvipc/shm: perms %o uid %lld gid %lld cuid %lld cgid %lld, expected %o %u %u %u %u", sl.perms,
          sl.uid, sl.gid, sl.cuid, sl.cgid, mode, uid, gid, cuid, cgid);
    return PASS;
}

#define NEED_ROOT(name)                                                                                                \
    do {                                                                                                               \
        if (getuid() != 0 || geteuid() != 0) {                                                                         \
            out("# %s: not run as root (the case takes other users' ids): skipped\n", name);                           \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

#define TRY(call)                                                                                                      \
    do {                                                                                                               \
        const char *w_ = (call);                                                                                       \
        if (w_ != PASS)                                                                                                \
            return w_;                                                                                                 \
    } while (0)

/* Mode 0640 of uid 1000, gid 2000: the owner reads and writes, the group
 * (effective or supplementary) reads, others nothing (shmget asking for no
 * access still finds it); only owner and root may IPC_SET or IPC_RMID. */
SHM_CASE(shm_perm_matrix)
{
    NEED_ROOT("shm_perm_matrix");
    TRY(create_as(1000, 2000, key_for(9), 0640));
    TRY(owners_are(1000, 2000, 1000, 2000, 0640));
    static const struct actor actors[] = {
        {"the owner (uid 1000, gid 9)", 1000, 9, 0, {0, 0, 0, 0, 0, 0, 0, SKIP, SKIP}},
        {"the group (uid 3000, gid 2000)", 3000, 2000, 0, {EACCES, 0, 0, EACCES, 0, 0, EPERM, EPERM, EPERM}},
        {"a supplementary member of the group (uid 3000, gid 9, groups 2000)",
         3000,
         9,
         2000,
         {EACCES, 0, 0, EACCES, 0, 0, EPERM, EPERM, EPERM}},
        {"nobody", NOBODY, NOBODY, 0, {EACCES, EACCES, 0, EACCES, EACCES, EACCES, EPERM, EPERM, EPERM}},
        {"root", 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, SKIP, SKIP}},
    };
    perm.set_uid = NOBODY, perm.set_gid = NOBODY, perm.set_mode = 0666; /* what the refused IPC_SETs ask */
    TRY(actors_try(actors, (int)(sizeof(actors) / sizeof(actors[0]))));
    TRY(owners_are(1000, 2000, 1000, 2000, 0640));
    return PASS;
}

/* IPC_SET gives the segment away (uid, gid, the low 9 mode bits); the
 * creator keeps its rights. Exactly one class applies: with mode 0604 the
 * group may do nothing although others may read; with 0460 the creator
 * (owner class) may not write although its group may. uid -1: EINVAL. */
SHM_CASE(shm_perm_owner_and_creator)
{
    NEED_ROOT("shm_perm_owner_and_creator");
    TRY(create_as(1000, 2000, key_for(10), 0640));
    static const struct actor bad_set[] = {
        {"the creator setting uid -1", 1000, 2000, 0, {SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, EINVAL}}};
    perm.set_uid = (uid_t)-1, perm.set_gid = 2000, perm.set_mode = 0604;
    TRY(actors_try(bad_set, 1));
    static const struct actor give[] = {
        {"the creator", 1000, 2000, 0, {SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, 0}}};
    perm.set_uid = 4000, perm.set_gid = 2000, perm.set_mode = 01604; /* only the low 9 bits are taken */
    TRY(actors_try(give, 1));
    TRY(owners_are(4000, 2000, 1000, 2000, 0604));
    static const struct actor after_give[] = {
        {"the new owner (uid 4000, gid 9)", 4000, 9, 0, {0, 0, 0, 0, 0, 0, 0, SKIP, SKIP}},
        {"the creator (uid 1000, gid 9)", 1000, 9, 0, {0, 0, 0, 0, 0, 0, 0, SKIP, SKIP}},
        {"the group (uid 3000, gid 2000)",
         3000,
         2000,
         0,
         {EACCES, EACCES, 0, EACCES, EACCES, EACCES, EPERM, EPERM, SKIP}},
        {"nobody", NOBODY, NOBODY, 0, {EACCES, 0, 0, EACCES, 0, 0, EPERM, EPERM, SKIP}},
    };
    TRY(actors_try(after_give, (int)(sizeof(after_give) / sizeof(after_give[0]))));
    static const struct actor remode[] = {
        {"the new owner", 4000, 9, 0, {SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, 0}}};
    perm.set_uid = 4000, perm.set_gid = 2000, perm.set_mode = 0460;
    TRY(actors_try(remode, 1));
    static const struct actor after_remode[] = {
        {"the creator (uid 1000, gid 2000)", 1000, 2000, 0, {EACCES, 0, 0, EACCES, 0, 0, 0, SKIP, SKIP}},
        {"the group (uid 3000, gid 2000)", 3000, 2000, 0, {0, 0, 0, 0, 0, 0, EPERM, EPERM, SKIP}},
        {"nobody", NOBODY, NOBODY, 0, {EACCES, EACCES, 0, EACCES, EACCES, EACCES, EPERM, EPERM, SKIP}},
        {"the creator removing it", 1000, 2000, 0, {SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, 0, SKIP}},
    };
    TRY(actors_try(after_remode, (int)(sizeof(after_remode) / sizeof(after_remode[0]))));
    for (int i = 0; i < n_ids; i++) /* gone: cleanup must not touch the id again */
        if (tracked_ids[i] == perm.id)
            tracked_ids[i] = -1;
    struct shmid_ds ds;
    CHECK_ERRNO(shmctl(perm.id, IPC_STAT, &ds), EINVAL);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Many: no leak over 100 lifetimes, 20 attachers at once.
 * ------------------------------------------------------------------------- */

#define CYCLE_SIZE (64 * KiB)
#define CYCLES 100

/* One lifetime: create, attach, check zeroes, touch, detach, remove. */
static const char *shm_cycle(int n)
{
    int id = shmget(IPC_PRIVATE, CYCLE_SIZE, IPC_CREAT | 0600);
    CHECK(id >= 0, "cycle %d: shmget: %s", n, errname(errno));
    vptr p = shmat(id, NULL, 0);
    if (p == SHM_FAILED) {
        int e = errno;
        shmctl(id, IPC_RMID, NULL);
        return FAIL("cycle %d: shmat: %s", n, errname(e));
    }
    const char *why = PASS;
    for (long off = 0; off < CYCLE_SIZE && !why; off += PAGE_SIZE) {
        if (p[off] != 0 || p[off + PAGE_SIZE - 1] != 0)
            why = FAIL("cycle %d: page %ld of a new segment is not zero (an old frame, not cleared?)", n,
                       off / PAGE_SIZE);
        p[off] = (char)n;
    }
    if (shmdt((void *)p) != 0 && !why)
        why = FAIL("cycle %d: shmdt: %s", n, errname(errno));
    if (shmctl(id, IPC_RMID, NULL) != 0 && !why)
        why = FAIL("cycle %d: IPC_RMID: %s", n, errname(errno));
    return why;
}

/* 100 segment lifetimes leave free memory and Shmem where they were:
 * exactly on Pagewise, within noise on Linux. */
SHM_CASE(shm_no_leak_100_cycles)
{
    const char *why = shm_cycle(0); /* warm-up: the kernel's own caches */
    if (why)
        return why;
    long long lost = 0, sh_lost = 0;
    long long free_slack = on_pagewise() ? 0 : 1024 * KiB;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        long long sh0 = meminfo_kb("Shmem"), free0 = free_memory();
        for (int i = 1; i <= CYCLES; i++)
            if ((why = shm_cycle(i)) != PASS)
                return why;
        long long sh1 = shmem_settled(sh0 + shmem_slack_kb()), free1 = free_settled(free0 - free_slack);
        lost = free0 - free1;
        sh_lost = sh1 - sh0;
        if (lost <= free_slack && within(sh_lost, 0, shmem_slack_kb()))
            return PASS;
    }
    CHECK(within(sh_lost, 0, shmem_slack_kb()), "after %d cycles of a %ld KiB segment Shmem is %lld kB higher", CYCLES,
          CYCLE_SIZE / KiB, sh_lost);
    return FAIL("after %d cycles of a %ld KiB segment free memory is %lld kB lower (%lld pages; allowed %lld kB)",
                CYCLES, CYCLE_SIZE / KiB, lost / KiB, lost / PAGE_SIZE, free_slack / KiB);
}

#define CROWD 20
#define BUMPS 1000

struct crowd {
    int go;     /* the parent lets the children detach and exit */
    int ready;  /* children whose shmat has returned */
    long total; /* incremented atomically by every child, BUMPS times */
    long slot[CROWD];
};

/* A child of the crowd: its own attach, its own counter, then wait. */
static int crowd_member(int id, int i)
{
    struct crowd *c = shmat(id, NULL, 0);
    if (c == SHM_FAILED)
        return 2;
    for (int j = 0; j < BUMPS; j++) {
        ((volatile long *)c->slot)[i]++;
        __atomic_fetch_add(&c->total, 1, __ATOMIC_SEQ_CST);
    }
    __atomic_fetch_add(&c->ready, 1, __ATOMIC_RELEASE);
    if (!wait_flag(&c->go, 1, 25000))
        return 3;
    if (shmdt(c) != 0)
        return 4;
    return 0;
}

/* 20 children attach one segment at once, each counts in its own slot and
 * in a shared atomic total. The parent (attached too) polls IPC_STAT until
 * shm_nattch is 21, then lets them go: all exit 0, every count is right,
 * and shm_nattch is back to 1.
 *
 * While a shmat is under way Linux counts it twice for a moment (do_shmat
 * holds an extra count so that the segment cannot vanish meanwhile), so a
 * poll can see 22, or 21 too early. The children therefore also count
 * themselves in "ready" once their shmat has returned: when ready is 20,
 * no shmat is in flight and shm_nattch must be exactly 21. */
SHM_CASE(shm_twenty_attachers)
{
    const char *why = PASS;
    pid_t pids[CROWD];
    struct crowd *c = SHM_FAILED;
    long seen = -1;

    for (int i = 0; i < CROWD; i++)
        pids[i] = -1;
    int id = new_segment(IPC_PRIVATE, sizeof(struct crowd), 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    for (int i = 0; i < CROWD; i++) { /* fork first: the children inherit no attach */
        pids[i] = fork_child();
        CHECK_OUT(pids[i] != -1, "fork of child %d: %s", i, errname(errno));
        if (pids[i] == 0)
            _exit(crowd_member(id, i));
    }
    c = (struct crowd *)attach(id, NULL, 0);
    CHECK_OUT(c != SHM_FAILED, "shmat in the parent: %s", errname(errno));

    long long deadline = now_ns() + 20 * 1000000000LL;
    int ready = 0;
    for (;;) {
        ready = __atomic_load_n(&c->ready, __ATOMIC_ACQUIRE);
        seen = nattch(id);
        if ((ready == CROWD && seen == CROWD + 1) || seen < 0 || now_ns() > deadline)
            break;
        CHECK_OUT(ready < CROWD, "all %d children have attached, but shm_nattch is %ld, expected %d", CROWD, seen,
                  CROWD + 1);
        sleep_ms(1);
        sched_yield();
    }
    CHECK_OUT(seen == CROWD + 1 && ready == CROWD,
              "shm_nattch reached %ld (%s), %d of %d children attached; expected %d (the parent and %d children)", seen,
              seen < 0 ? errname(errno) : "no error", ready, CROWD, CROWD + 1, CROWD);
    set_flag(&c->go, 1);
    for (int i = 0; i < CROWD; i++) {
        int st = wait_for(pids[i]);
        pids[i] = -1;
        CHECK_OUT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "child %d %s (2: shmat failed, 3: never released, 4: shmdt failed)", i, status_str(st));
    }
    for (int i = 0; i < CROWD; i++)
        CHECK_OUT(((volatile long *)c->slot)[i] == BUMPS, "child %d's counter is %ld, expected %d", i,
                  ((volatile long *)c->slot)[i], BUMPS);
    long total = __atomic_load_n(&c->total, __ATOMIC_SEQ_CST);
    CHECK_OUT(total == (long)CROWD * BUMPS, "the shared total is %ld, expected %d", total, CROWD * BUMPS);
    CHECK_OUT(nattch(id) == 1, "shm_nattch is %ld after all children left, expected 1", nattch(id));
out:
    if (c != SHM_FAILED)
        set_flag(&c->go, 1);
    for (int i = 0; i < CROWD; i++)
        kill_and_reap(pids[i]);
    return why;
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(shm_two_attaches_alias),
    TEST(shm_fork_shares_attach),
    TEST(shm_child_attaches_by_id),
    TEST(shm_survives_creator_exit),
    TEST(shm_rmid_while_attached),
    TEST(shm_rmid_id_lives_until_last_detach),
    TEST(shm_detach_then_rmid),
    TEST(shm_anon_shared_freed_with_last_map),
    TEST(shm_errors),
    TEST(shm_ipc_stat_fields),
    TEST(shm_nattch_counts_mappings),
    TEST(shm_shmdt_after_partial_munmap),
    TEST(shm_rdonly_attach),
    TEST(shm_attach_address),
    TEST(shm_anon_shared_fork),
    TEST(shm_anon_shared_partial_munmap),
    TEST(shm_anon_shared_mprotect),
    TEST(shm_anon_shared_swapped_both_ways),
    TEST(shm_sysv_swapped_both_ways),
    TEST(shm_proc_maps_lines),
    TEST(shm_proc_sysvipc),
    TEST(shm_perm_matrix),
    TEST(shm_perm_owner_and_creator),
    TEST(shm_no_leak_100_cycles),
    TEST(shm_twenty_attachers),
};
/* clang-format on */

int main(int argc, char **argv)
{
    main_pid = getpid();
    int status = run_tests(argc, argv, tests, NTESTS(tests));
    cleanup();
    return status;
}
