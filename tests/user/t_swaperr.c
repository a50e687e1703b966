/*
 * tests/user/t_swaperr.c - the swap disk fails, and nothing else does.
 *
 * Two boots in tests/boots.py run this program with a swap disk behind
 * QEMU's blkdebug driver, which makes every request that covers one chosen
 * sector end in an I/O error (the IDE controller reports ERR):
 *
 *   t_swaperr write-error   writes to swap slot 64 fail (sector 512)
 *   t_swaperr read-error    reads of swap slot 1500 fail (sector 12000)
 *
 * What must hold:
 *   - a failed swap-out loses nothing: the page stays in memory (the only
 *     good copy), every word of every process (hog, sibling, parent) is
 *     intact, and the slot is retired (SwapFree ends one page lower);
 *   - a failed swap-in gives SIGBUS to the process that owns the page, at
 *     an address inside its region, every time it touches it (a handler
 *     that returns faults again), and to nobody else: a sibling and the
 *     parent keep correct data; the slot is retired too;
 *   - afterwards free frames come back and no slot leaks.
 *
 * Slots are handed out in order from slot 1 (mm/swapfile.c, next-fit), so
 * the 64th and the 1500th pages written to swap are the ones that fail;
 * the first case is the one that swaps, and its hog owns nearly all of the
 * first slots. Without a mode (natively, or on a boot without errors) the
 * same workloads run and must simply pass.
 */
#include "testlib.h"

enum mode { NO_ERRORS, WRITE_ERROR, READ_ERROR };
static enum mode mode = NO_ERRORS;

#define HOG_SIGBUS 70 /* the hog's exit code when SIGBUS hit inside its region twice */
#define SIBLING_WORDS (64 * KiB / 8)
#define ERR_CASE_TIMEOUT 400
#define FRAME_SLACK_KB 256 /* kernel slabs may keep a few frames */

static long long frames_before = -1; /* frames_free_kb() before any child ran */

/* One and a half times the RAM on Pagewise, 64 MiB natively. */
static size_t region_bytes(void)
{
    if (!on_pagewise())
        return 64 * MiB;
    return (size_t)meminfo_kb("MemTotal") * 1024 / 2 * 3;
}

static uint64_t pattern(uint64_t i, uint64_t round) { return (i * 0x9e3779b97f4a7c15ull) ^ (round << 40) ^ 0xa5a5; }

static uint64_t *region;
static size_t region_len;
static volatile sig_atomic_t sigbus_seen;

/* First SIGBUS: check where it hit, say so, return: the access runs again,
 * must fault again, and this time the default action kills us. */
static void hog_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    char *a = si->si_addr, *lo = (char *)region;
    char line[160];
    int inside = a >= lo && a < lo + region_len;
    int n = snprintf(line, sizeof(line), "t_swaperr: hog: SIGBUS at region+%#lx (si_code %d)%s\n",
                     (unsigned long)(a - lo), si->si_code, inside ? "" : " OUTSIDE the region");
    write(1, line, (size_t)n);
    if (!inside || si->si_code != BUS_ADRERR)
        _exit(1);
    sigbus_seen = 1;
    signal(SIGBUS, SIG_DFL);
}

/* The process whose page sits in the failing slot: write the region, read
 * it back. Exits 0 if every word was right, 1 if a word was wrong. */
static int hog(void)
{
    struct sigaction sa = {.sa_sigaction = hog_sigbus, .sa_flags = SA_SIGINFO};
    sigaction(SIGBUS, &sa, NULL);
    region_len = region_bytes();
    region = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return 2;
    size_t words = region_len / 8, bad = 0;
    for (size_t i = 0; i < words; i++)
        region[i] = pattern(i, 1);
    for (size_t i = 0; i < words; i++)
        bad += region[i] != pattern(i, 1);
    return bad ? 1 : 0;
}

/* A small, busy neighbour: keeps checking 64 KiB until its pipe closes. */
static int sibling(int done_fd)
{
    static uint64_t m[SIBLING_WORDS];
    for (size_t i = 0; i < SIBLING_WORDS; i++)
        m[i] = pattern(i, 7);
    fcntl(done_fd, F_SETFL, O_NONBLOCK);
    char c;
    while (read(done_fd, &c, 1) < 0 && errno == EAGAIN)
        for (size_t i = 0; i < SIBLING_WORDS; i++)
            if (m[i] != pattern(i, 7))
                return 1;
    return 0;
}

static const char *swapin_error_kills_only_the_owner(void)
{
    alarm(ERR_CASE_TIMEOUT);
    frames_before = frames_free_kb();
    static uint64_t mine[SIBLING_WORDS]; /* the parent's own data */
    for (size_t i = 0; i < SIBLING_WORDS; i++)
        mine[i] = pattern(i, 3);
    int fds[2];
    CHECK_OK(pipe(fds));
    pid_t s = fork_child();
    if (s == 0) {
        alarm(ERR_CASE_TIMEOUT);
        close(fds[1]);
        _exit(sibling(fds[0]));
    }
    close(fds[0]);
    pid_t h = fork_child();
    if (h == 0) {
        alarm(ERR_CASE_TIMEOUT); /* a slow disk: more than fork_child's default */
        _exit(hog());
    }
    int hs, ss;
    CHECK(waitpid(h, &hs, 0) == h, "waitpid hog: %s", errname(errno));
    close(fds[1]); /* the sibling may stop now */
    CHECK(waitpid(s, &ss, 0) == s, "waitpid sibling: %s", errname(errno));
    if (mode == READ_ERROR)
        CHECK_KILLED_BY(hs, SIGBUS);
    else
        CHECK_EXITED(hs, 0);
    CHECK_EXITED(ss, 0);
    for (size_t i = 0; i < SIBLING_WORDS; i++)
        CHECK(mine[i] == pattern(i, 3), "the parent's word %zu changed", i);
    return PASS;
}

/* Slots: everything in use is ours (VmSwap, SwapCached) except the one
 * retired slot; frames: back to what they were before the children. */
static const char *slots_and_frames_return(void)
{
    if (!on_pagewise())
        return PASS;
    char status[4096];
    long long vmswap = -1;
    CHECK(slurp("/proc/self/status", status, sizeof(status)) > 0 && text_field(status, "VmSwap", &vmswap),
          "no VmSwap in /proc/self/status");
    long long used = meminfo_kb("SwapTotal") - meminfo_kb("SwapFree");
    long long retired = used - vmswap - meminfo_kb("SwapCached");
    long long want = mode == NO_ERRORS ? 0 : 4;
    CHECK(retired == want, "%lld kB of swap neither ours nor cached (want %lld: the retired slot)", retired, want);
    return check_frames_return(frames_before, FRAME_SLACK_KB);
}

static const struct test tests[] = {
    TEST(swapin_error_kills_only_the_owner),
    TEST(slots_and_frames_return),
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "write-error") == 0)
        mode = WRITE_ERROR;
    else if (argc > 1 && strcmp(argv[1], "read-error") == 0)
        mode = READ_ERROR;
    if (mode != NO_ERRORS) { /* the mode is not a case name */
        argv[1] = argv[0];
        argc--, argv++;
    }
    return run_tests(argc, argv, tests, NTESTS(tests));
}
