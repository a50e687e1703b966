/*
 * tests/user/t_compact.c - memory can be moved: compaction
 * (/proc/sys/vm/compact_memory, mm/compaction.c) copies user pages into
 * other frames so that free memory becomes contiguous, and the programs
 * whose pages moved notice nothing: same addresses, same bytes, the same
 * sharing (fork's copy-on-write, SysV shm), only the frame numbers in
 * /proc/self/pagemap change.
 *
 * Natively (root on Linux) the same cases compact the host's memory, a
 * routine administrator's action; whether a given page moves is then
 * Linux's choice, so only the data and the formats are checked there.
 */
#include "testlib.h"

#include <stdlib.h>
#include <sys/shm.h>

#define FRAG_PAGES 4096 /* 16 MiB touched, then every other page given back */
#define SHARED_PAGES 256
#define COMPACT_PATH "/proc/sys/vm/compact_memory"
#define PFN_MASK ((1ull << 55) - 1)
#define PRESENT_BIT (1ull << 63)
#define ORDERS 11

static uint64_t word(uint64_t page, uint64_t salt) { return (page * 0x9e3779b97f4a7c15ull) ^ salt; }

/* Frame numbers of pages [p, p + n pages), every `step`-th page; 0 for a
 * page not present (or a PFN hidden from us). -1 if pagemap is unreadable. */
static int read_pfns(const volatile char *p, long n, long step, uint64_t *out)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return -1;
    for (long i = 0; i < n; i += step) {
        uint64_t e = 0;
        off_t off = (off_t)(((uintptr_t)p / PAGE_SIZE + (uintptr_t)i) * sizeof(e));
        if (pread(fd, &e, sizeof(e), off) != (ssize_t)sizeof(e)) {
            close(fd);
            return -1;
        }
        out[i / step] = (e & PRESENT_BIT) ? e & PFN_MASK : 0;
    }
    close(fd);
    return 0;
}

/* Free 4 KiB frames held in blocks of 32 frames or more (/proc/buddyinfo
 * orders 5..10, all zones). -1 if unreadable. */
static long long big_block_frames(void)
{
    static char buf[4096];
    if (slurp("/proc/buddyinfo", buf, sizeof(buf)) < 0)
        return -1;
    long long frames = 0;
    for (char *line = buf; line && *line;) {
        char *next = strchr(line, '\n');
        char *counts = strstr(line, "zone");
        if (counts) {
            counts += 4;
            while (*counts == ' ')
                counts++;
            while (*counts && *counts != ' ') /* the zone's name */
                counts++;
            for (int o = 0; o < ORDERS; o++) {
                long long c = strtoll(counts, &counts, 10);
                if (o >= 5)
                    frames += c << o;
            }
        }
        line = next ? next + 1 : NULL;
    }
    return frames;
}

/* Ask for compaction. 0, or the errno of the open or the write. */
static int compact(void)
{
    int fd = open(COMPACT_PATH, O_WRONLY);
    if (fd < 0)
        return errno;
    int r = write(fd, "1\n", 2) == 2 ? 0 : errno;
    close(fd);
    return r;
}

/* /proc/buddyinfo: "Node 0, zone   Normal" and 11 counts, per zone. */
static const char *compact_buddyinfo_format(void)
{
    static char buf[4096];
    CHECK(slurp("/proc/buddyinfo", buf, sizeof(buf)) > 0, "read /proc/buddyinfo: %s", errname(errno));
    CHECK(strncmp(buf, "Node 0, zone ", 13) == 0, "/proc/buddyinfo starts \"%.30s\"", buf);
    char *counts = strstr(buf, "zone") + 4;
    while (*counts == ' ')
        counts++;
    while (*counts && *counts != ' ')
        counts++;
    int n = 0;
    for (char *end; n < ORDERS + 1; n++) {
        strtoll(counts, &end, 10);
        if (end == counts)
            break;
        counts = end;
    }
    CHECK(n == ORDERS, "the first zone has %d counts, want %d (orders 0-10)", n, ORDERS);
    CHECK(big_block_frames() >= 0, "/proc/buddyinfo unreadable");
    return PASS;
}

/* Fragment memory (touch 16 MiB, give back every other page), compact:
 * the pages left keep their addresses and every word; on Pagewise, pages
 * moved (pagemap PFNs, pgmigrate_success) and free memory in blocks of 32
 * frames or more grew. */
static const char *compact_moves_pages_keeps_data(void)
{
    char *p = mmap(NULL, FRAG_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    for (long i = 0; i < FRAG_PAGES; i++)
        *(uint64_t *)(p + i * PAGE_SIZE) = word((uint64_t)i, 1);
    for (long i = 1; i < FRAG_PAGES; i += 2) /* holes between the pages we keep (the frames go back) */
        madvise(p + i * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
    static uint64_t before[FRAG_PAGES / 2], after[FRAG_PAGES / 2];
    int pm = read_pfns(p, FRAG_PAGES, 2, before);
    long bad = 0, changed = 0;
    long long big0 = big_block_frames(), moved0 = vmstat_get("pgmigrate_success");
    for (long i = 0; i < 32; i += 2) /* fresh TLB entries for these: compaction must flush them */
        bad += *(volatile uint64_t *)(p + i * PAGE_SIZE) != word((uint64_t)i, 1);
    int err = compact();
    long long big1 = big_block_frames(), moved1 = vmstat_get("pgmigrate_success");
    for (long i = 0; i < FRAG_PAGES; i += 2) {
        bad += *(uint64_t *)(p + i * PAGE_SIZE) != word((uint64_t)i, 1);
        *(uint64_t *)(p + i * PAGE_SIZE + 8) = word((uint64_t)i, 6); /* through a stale TLB entry, it would miss the new frame */
    }
    pid_t pid = fork_child(); /* the child's PTEs are copied from ours: they see what the frames hold */
    if (pid == 0) {
        for (long i = 0; i < FRAG_PAGES; i += 2)
            if (*(uint64_t *)(p + i * PAGE_SIZE + 8) != word((uint64_t)i, 6))
                _exit(1);
        _exit(0);
    }
    int st = wait_for(pid);
    if (pm == 0 && read_pfns(p, FRAG_PAGES, 2, after) == 0)
        for (long k = 0; k < FRAG_PAGES / 2; k++)
            changed += before[k] && after[k] && before[k] != after[k];
    munmap(p, FRAG_PAGES * PAGE_SIZE);
    CHECK(err == 0, "writing %s: %s", COMPACT_PATH, errname(err));
    CHECK(bad == 0, "%ld of %d pages lost their contents", bad, FRAG_PAGES / 2);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "a child does not see our writes made after compaction (%s): a stale TLB entry?", status_str(st));
    out("# compaction: %ld of our %d pages moved; free frames in blocks of >= 32: %lld -> %lld\n", changed,
        FRAG_PAGES / 2, big0, big1);
    if (!on_pagewise())
        return PASS;
    CHECK(changed > 0, "no page of ours changed frames (pagemap)");
    CHECK(moved1 - moved0 >= changed, "pgmigrate_success grew by %lld, %ld pages moved", moved1 - moved0, changed);
    CHECK(big1 > big0, "free frames in blocks of 32 or more: %lld before, %lld after", big0, big1);
    return PASS;
}

/* Pages shared with a child (copy-on-write after fork, some of them also
 * in the swap cache, and a SysV segment) move as one frame: after compaction the child still sees the parent's
 * words, its write to the COW page copies (the parent keeps its value),
 * and its write to the segment reaches the parent. */
static const char *compact_shared_pages_stay_shared(void)
{
    uint64_t *cow = mmap(NULL, SHARED_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(cow != MAP_FAILED, "mmap: %s", errname(errno));
    int id = shmget(IPC_PRIVATE, SHARED_PAGES * PAGE_SIZE, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    uint64_t *shm = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    CHECK(shm != (void *)-1, "shmat: %s", errname(errno));
    const size_t stride = PAGE_SIZE / 8;
    for (size_t i = 0; i < SHARED_PAGES; i++) {
        cow[i * stride] = word(i, 2);
        shm[i * stride] = word(i, 3);
    }
    /* A quarter of the COW pages come back from swap first: they are in the
     * swap cache when compaction moves them. */
    const char *paged = page_out(cow, SHARED_PAGES / 4, SHARED_PAGES / 4);
    if (paged)
        return paged;
    for (size_t i = 0; i < SHARED_PAGES / 4; i++)
        CHECK(cow[i * stride] == word(i, 2), "page %zu came back from swap wrong", i);
    int go[2], done[2];
    CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe: %s", errname(errno));
    pid_t pid = fork_child();
    if (pid == 0) {
        if (wait_go(go[0]) != 0)
            child_verdict(done[1], "no go from the parent");
        const char *why = PASS;
        for (size_t i = 0; i < SHARED_PAGES && !why; i++)
            if (cow[i * stride] != word(i, 2) || shm[i * stride] != word(i, 3))
                why = "the child read a word that is not the parent's after compaction";
        for (size_t i = 0; i < SHARED_PAGES; i++) {
            cow[i * stride] = word(i, 4); /* copies: the parent must not see it */
            shm[i * stride] = word(i, 5); /* shared: the parent must see it */
        }
        child_verdict(done[1], why);
    }
    int err = compact();
    send_go(go[1]);
    const char *why = parent_verdict(done[0], pid);
    long cow_bad = 0, shm_bad = 0;
    for (size_t i = 0; i < SHARED_PAGES; i++) {
        cow_bad += cow[i * stride] != word(i, 2);
        shm_bad += shm[i * stride] != word(i, 5);
    }
    shmdt(shm);
    munmap(cow, SHARED_PAGES * PAGE_SIZE);
    close(go[0]), close(go[1]), close(done[0]), close(done[1]);
    CHECK(err == 0, "writing %s: %s", COMPACT_PATH, errname(err));
    if (why)
        return why;
    CHECK(cow_bad == 0, "%ld copy-on-write pages of the parent changed when the child wrote", cow_bad);
    CHECK(shm_bad == 0, "%ld segment pages did not show the child's write", shm_bad);
    return PASS;
}

/* Only root may compact: EACCES for uid 65534 (at open on Linux, by the
 * file's mode 0200; at the write on a kernel without mode checks). */
static int unprivileged_compact(void)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 100;
    return compact();
}

static const char *compact_needs_root(void)
{
    int st = run_in_child(unprivileged_compact);
    CHECK(st != -1 && WIFEXITED(st), "the child: %s", st == -1 ? "fork failed" : status_str(st));
    CHECK(WEXITSTATUS(st) != 100, "setuid(65534) failed in the child");
    CHECK(WEXITSTATUS(st) == EACCES, "compaction as uid 65534: %s, want EACCES", errname(WEXITSTATUS(st)));
    return PASS;
}

static const struct test tests[] = {
    TEST(compact_buddyinfo_format),
    TEST(compact_moves_pages_keeps_data),
    TEST(compact_shared_pages_stay_shared),
    TEST(compact_needs_root),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
