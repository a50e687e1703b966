/*
 * tests/user/t_overcommit.c - overcommit and the address-space limits.
 *
 * Lazy allocation lets mmap and brk promise more memory than there is. The
 * kernel counts the promises it could be held to (Committed_AS in
 * /proc/meminfo: private writable mappings and shared memory) and
 * vm.overcommit_memory says how far it may go:
 *
 *   0  refuse one request larger than RAM + swap (the default)
 *   1  never refuse
 *   2  keep Committed_AS below CommitLimit = swap + RAM * overcommit_ratio/100
 *
 * MAP_NORESERVE opts a mapping out of the count (modes 0 and 1 only).
 * Per process, RLIMIT_AS caps all mappings, RLIMIT_DATA the private
 * writable ones and brk, RLIMIT_STACK the stack's growth.
 *
 * On Linux (make test-host) the cases that would write the machine's real
 * /proc/sys/vm/overcommit_* are skipped (they say so), and Committed_AS is
 * compared with a tolerance: other processes move it too. On Pagewise, as
 * root, the modes are switched and restored, and every figure is exact.
 * Run: t_overcommit [test_name...]
 */
#include "testlib.h"

#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define MAP_SIZE (64 * MiB)        /* a private mapping whose charge we watch */
#define HOST_NOISE_KB (8 * 1024)   /* Linux: other processes move Committed_AS too */
#define ATTEMPTS 5                 /* Linux: best of a few, as t_lazy's freeram checks */
#define SBRK_REPORTED (1000 * MiB) /* the reported bug: sbrk(1000 MiB) on 128 MiB */
#define RAM_TIMES 10               /* the lesson: map ten times RAM */
#define NOBODY 65534
#define FRAME 4096 /* one stack_eater frame */

#ifndef SHM_NORESERVE
#define SHM_NORESERVE 010000
#endif

/* ---------------------------------------------------------------------------
 * /proc/sys/vm/ and /proc/meminfo.
 * ------------------------------------------------------------------------- */

/* /proc/sys/vm/<name> as a number, or -1. */
static long sysctl_get(const char *name)
{
    char path[96], buf[64];
    long long v;
    snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
    if (slurp(path, buf, sizeof(buf)) <= 0)
        return -1;
    char *end;
    v = strtoll(buf, &end, 10);
    return end == buf ? -1 : (long)v;
}

/* Write text to /proc/sys/vm/<name>: 0, or the errno of open or write.
 * Only ever called on Pagewise: on Linux it would change this machine. */
static int sysctl_put(const char *name, const char *text)
{
    char path[96];
    snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return errno;
    int err = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : errno;
    close(fd);
    return err;
}

static int sysctl_set(const char *name, long value)
{
    char text[32];
    snprintf(text, sizeof(text), "%ld\n", value);
    return sysctl_put(name, text);
}

static long long committed_kb(void) { return meminfo_kb("Committed_AS"); }
static long long ram_swap_bytes(void) { return (meminfo_kb("MemTotal") + meminfo_kb("SwapTotal")) * KiB; }

/* Run fn with vm.overcommit_memory = mode, then put the old mode back
 * (whatever fn returned). Pagewise only. */
static const char *in_mode(int mode, const char *(*fn)(void))
{
    long old = sysctl_get("overcommit_memory");
    if (old < 0)
        return FAIL("read overcommit_memory: %s", errname(errno));
    int err = sysctl_set("overcommit_memory", mode);
    if (err)
        return FAIL("set overcommit_memory to %d: %s", mode, errname(err));
    const char *why = fn();
    err = sysctl_set("overcommit_memory", old);
    if (why == PASS && err)
        return FAIL("restore overcommit_memory to %ld: %s", old, errname(err));
    return why;
}

#define PAGEWISE_ONLY(what)                                                                                            \
    do {                                                                                                               \
        if (!on_pagewise()) {                                                                                          \
            out("# %s: on Linux it would %s: skipped\n", __func__, what);                                              \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

static char *map(size_t len, int prot, int flags) { return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0); }

/* The raw brk system call (musl's sbrk refuses: its malloc owns the break):
 * the new break, or the old one when the kernel refuses. */
static char *raw_brk(char *addr) { return (char *)syscall(SYS_brk, addr); }

/* ---------------------------------------------------------------------------
 * The files.
 * ------------------------------------------------------------------------- */

/* overcommit_memory is 0..2, overcommit_ratio a percentage; meminfo has
 * CommitLimit then Committed_AS, in Linux's place (before VmallocTotal),
 * and CommitLimit = SwapTotal + MemTotal * ratio / 100. */
static const char *overcommit_proc_files(void)
{
    static char text[8192];
    long mode = sysctl_get("overcommit_memory"), ratio = sysctl_get("overcommit_ratio");
    CHECK(mode >= 0 && mode <= 2, "overcommit_memory reads %ld", mode);
    CHECK(ratio >= 0, "overcommit_ratio reads %ld", ratio);
    CHECK(slurp("/proc/meminfo", text, sizeof(text)) > 0, "read /proc/meminfo: %s", errname(errno));
    char *limit = strstr(text, "\nCommitLimit:"), *as = strstr(text, "\nCommitted_AS:");
    char *vmalloc = strstr(text, "\nVmallocTotal:");
    CHECK(limit && as, "no CommitLimit or Committed_AS line in /proc/meminfo");
    CHECK(strchr(limit + 1, '\n') == as, "Committed_AS does not follow CommitLimit");
    CHECK(!vmalloc || as < vmalloc, "Committed_AS comes after VmallocTotal (Linux: before)");
    long long total = meminfo_kb("MemTotal"), swap = meminfo_kb("SwapTotal"), cl = meminfo_kb("CommitLimit");
    long long huge = 0, hp = meminfo_kb("HugePages_Total"), hps = meminfo_kb("Hugepagesize");
    if (hp > 0 && hps > 0)
        huge = hp * hps; /* Linux leaves hugetlb pages out */
    if (sysctl_get("overcommit_kbytes") > 0) {
        out("# overcommit_kbytes is set here: CommitLimit formula not checked\n");
        return PASS;
    }
    long long want = (total - huge) / 4 * ratio / 100 * 4 + swap;
    CHECK(cl >= want - 8 && cl <= want + 8, "CommitLimit %lld kB, expected SwapTotal %lld + %ld%% of %lld = %lld kB",
          cl, swap, ratio, total - huge, want);
    CHECK(committed_kb() > 0, "Committed_AS is %lld kB: our own stack and data are committed", committed_kb());
    return PASS;
}

/* Bad values are EINVAL and change nothing. Pagewise only. */
static const char *overcommit_sysctl_einval(void)
{
    PAGEWISE_ONLY("write this machine's vm.overcommit_memory");
    long mode = sysctl_get("overcommit_memory");
    static const char *const bad[] = {"3\n", "-1\n", "x\n", "1x\n", "\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = sysctl_put("overcommit_memory", bad[i]);
        CHECK(err == EINVAL, "writing \"%.2s\" to overcommit_memory: %s, expected EINVAL", bad[i], errname(err));
    }
    CHECK(sysctl_get("overcommit_memory") == mode, "overcommit_memory changed to %ld", sysctl_get("overcommit_memory"));
    CHECK(sysctl_put("overcommit_ratio", "ten\n") == EINVAL, "overcommit_ratio took \"ten\"");
    return PASS;
}

/* A user other than root may read the settings but not write them: the
 * open (Linux, by the mode 0644) or the write fails with EACCES. */
static int nobody_writes(void)
{
    if (setgid(NOBODY) || setuid(NOBODY))
        return 10;
    if (sysctl_get("overcommit_memory") < 0)
        return 11;
    int fd = open("/proc/sys/vm/overcommit_memory", O_WRONLY);
    if (fd < 0)
        return errno == EACCES ? 0 : 12;
    ssize_t n = write(fd, "1\n", 2);
    int err = errno;
    close(fd);
    return n == -1 && err == EACCES ? 0 : 13;
}

static const char *overcommit_sysctl_root_only(void)
{
    long mode = sysctl_get("overcommit_memory");
    int st = run_in_child(nobody_writes);
    CHECK_EXITED(st, 0);
    CHECK(sysctl_get("overcommit_memory") == mode, "uid %d changed overcommit_memory to %ld", NOBODY,
          sysctl_get("overcommit_memory"));
    return PASS;
}

/* vm.overcommit_ratio moves CommitLimit: swap + RAM * ratio / 100. */
static const char *overcommit_ratio_moves_limit(void)
{
    PAGEWISE_ONLY("write this machine's vm.overcommit_ratio");
    long ratio = sysctl_get("overcommit_ratio");
    CHECK(sysctl_set("overcommit_ratio", 25) == 0, "set overcommit_ratio 25");
    long long at25 = meminfo_kb("CommitLimit");
    sysctl_set("overcommit_ratio", 100);
    long long at100 = meminfo_kb("CommitLimit");
    sysctl_set("overcommit_ratio", ratio);
    long long total = meminfo_kb("MemTotal"), swap = meminfo_kb("SwapTotal");
    CHECK(at100 == total + swap, "ratio 100: CommitLimit %lld kB, expected MemTotal + SwapTotal = %lld", at100,
          total + swap);
    CHECK(at25 == total / 4 * 25 / 100 * 4 + swap, "ratio 25: CommitLimit %lld kB", at25);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Mode 0: the heuristic.
 * ------------------------------------------------------------------------- */

/* The size mode 0 must refuse here: 1000 MiB (the report, on 128 MiB
 * without swap), or more than RAM + swap where that is not enough. */
static long too_big(void)
{
    long long rs = ram_swap_bytes();
    return rs + 64 * MiB > SBRK_REPORTED ? (long)(rs + 64 * MiB) : SBRK_REPORTED;
}

/* The reported bug: sbrk(1000 MiB) on a 128 MiB machine without swap
 * succeeded. Mode 0 refuses one request larger than RAM + swap: brk
 * returns the old break; mmap says ENOMEM. */
static const char *mode0_refuses_more_than_ram_swap(void)
{
    if (sysctl_get("overcommit_memory") != 0) {
        out("# %s: vm.overcommit_memory is not 0 here: skipped\n", __func__);
        return PASS;
    }
    char *old = raw_brk(0);
    char *got = raw_brk(old + too_big());
    if (got != old)
        raw_brk(old);
    CHECK(got == old, "brk(+%ld MiB) moved the break (RAM + swap is %lld MiB)", too_big() / MiB,
          ram_swap_bytes() / MiB);
    char *p = map((size_t)too_big(), PROT_READ | PROT_WRITE, MAP_PRIVATE);
    if (p != MAP_FAILED)
        munmap(p, (size_t)too_big());
    CHECK(p == MAP_FAILED && errno == ENOMEM, "mmap(%ld MiB) %s", too_big() / MiB,
          p == MAP_FAILED ? errname(errno) : "succeeded");
    got = raw_brk(old + 4 * MiB);
    CHECK(got == old + 4 * MiB, "brk(+4 MiB) after the refusal: %p, expected %p", (void *)got, (void *)(old + 4 * MiB));
    raw_brk(old);
    return PASS;
}

/* Lazy allocation's promise without the count: MAP_NORESERVE maps ten times
 * RAM in mode 0, and Committed_AS does not move. */
static const char *mode0_noreserve_ten_times_ram(void)
{
    if (sysctl_get("overcommit_memory") == 2) {
        out("# %s: vm.overcommit_memory is 2 here (MAP_NORESERVE ignored): skipped\n", __func__);
        return PASS;
    }
    size_t len = (size_t)meminfo_kb("MemTotal") * KiB * RAM_TIMES;
    long long before = committed_kb();
    char *p = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
    CHECK(p != MAP_FAILED, "mmap(%zu MiB, MAP_NORESERVE): %s", len / MiB, errname(errno));
    long long after = committed_kb();
    p[0] = 1; /* one page of it is real */
    p[len - 1] = 2;
    CHECK(p[0] == 1 && p[len - 1] == 2, "the pages do not hold what was written");
    munmap(p, len);
    long long slack = on_pagewise() ? 0 : HOST_NOISE_KB;
    CHECK(after - before <= slack && before - after <= slack, "Committed_AS moved by %lld kB", after - before);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * What Committed_AS counts.
 * ------------------------------------------------------------------------- */

/* The change of Committed_AS (kB) across step(), with the mapping made
 * before and undone after; Linux: the attempt closest to want. */
static long long delta_kb(char *(*step)(void), void (*undo)(char *), long long want)
{
    long long best = 0;
    for (int i = 0; i < (on_pagewise() ? 1 : ATTEMPTS); i++) {
        long long before = committed_kb();
        char *p = step();
        long long d = committed_kb() - before;
        if (undo && p)
            undo(p);
        if (i == 0 || llabs(d - want) < llabs(best - want))
            best = d;
    }
    return best;
}

static int delta_ok(long long got, long long want)
{
    long long slack = on_pagewise() ? 0 : HOST_NOISE_KB;
    return got >= want - slack && got <= want + slack;
}

static char *map_rw(void) { return map(MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE); }
static char *map_ro(void) { return map(MAP_SIZE, PROT_READ, MAP_PRIVATE); }
static char *map_shared(void) { return map(MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED); }
static void unmap(char *p) { munmap(p, MAP_SIZE); }
static char *kept; /* a mapping the next step works on */
static char *unmap_kept(void) { return munmap(kept, MAP_SIZE) ? NULL : kept; }
static char *unmap_half(void) { return munmap(kept + MAP_SIZE / 4, MAP_SIZE / 2) ? NULL : kept; }
static char *make_writable(void) { return mprotect(kept, MAP_SIZE, PROT_READ | PROT_WRITE) ? NULL : kept; }

/* mmap of a private writable mapping adds exactly its size; munmap takes
 * it back; a read-only one adds nothing; a partial munmap takes back
 * exactly the pages it removes. */
static const char *committed_private_writable(void)
{
    long long kb = MAP_SIZE / KiB, d;
    CHECK(delta_ok(d = delta_kb(map_rw, unmap, kb), kb), "mmap of %lld kB read-write: Committed_AS +%lld kB", kb, d);
    CHECK(delta_ok(d = delta_kb(map_ro, unmap, 0), 0), "mmap of %lld kB read-only: Committed_AS +%lld kB", kb, d);
    CHECK((kept = map_rw()) != MAP_FAILED, "mmap: %s", errname(errno));
    d = delta_kb(unmap_half, NULL, -kb / 2);
    munmap(kept, MAP_SIZE);
    CHECK(delta_ok(d, -kb / 2), "munmap of the middle half: Committed_AS %+lld kB, expected %+lld", d, -kb / 2);
    CHECK((kept = map_rw()) != MAP_FAILED, "mmap: %s", errname(errno));
    CHECK(delta_ok(d = delta_kb(unmap_kept, NULL, -kb), -kb), "munmap: Committed_AS %+lld kB", d);
    return PASS;
}

/* A read-only private mapping made writable is charged then, and stays
 * charged when made read-only again once it holds a written page (Linux
 * 6.6 and later give the charge back if nothing was ever written: 6.1,
 * and Pagewise, never do; the write makes both agree). */
static const char *committed_mprotect_charges(void)
{
    long long kb = MAP_SIZE / KiB, d;
    CHECK((kept = map_ro()) != MAP_FAILED, "mmap: %s", errname(errno));
    d = delta_kb(make_writable, NULL, kb);
    kept[0] = 1;
    long long before = committed_kb();
    int r = mprotect(kept, MAP_SIZE, PROT_READ);
    long long back = committed_kb() - before;
    long long before_unmap = committed_kb();
    munmap(kept, MAP_SIZE);
    long long unmapped = committed_kb() - before_unmap;
    CHECK(delta_ok(d, kb), "mprotect read-only -> read-write: Committed_AS %+lld kB, expected +%lld", d, kb);
    CHECK(r == 0 && delta_ok(back, 0), "mprotect back to read-only: Committed_AS %+lld kB (expected 0)", back);
    CHECK(delta_ok(unmapped, -kb), "munmap: Committed_AS %+lld kB, expected %+lld", unmapped, -kb);
    return PASS;
}

/* Shared memory is charged once, when it is made: MAP_SHARED|MAP_ANONYMOUS
 * and shmget; SHM_NORESERVE (modes 0 and 1) is not. */
static char *shm_make(void)
{
    int id = shmget(IPC_PRIVATE, MAP_SIZE, IPC_CREAT | 0600);
    return id < 0 ? NULL : (char *)(long)(id + 1);
}
static char *shm_make_noreserve(void)
{
    int id = shmget(IPC_PRIVATE, MAP_SIZE, IPC_CREAT | SHM_NORESERVE | 0600);
    return id < 0 ? NULL : (char *)(long)(id + 1);
}
static void shm_remove(char *idp) { shmctl((int)((long)idp - 1), IPC_RMID, NULL); }

static const char *committed_shared_memory(void)
{
    long long kb = MAP_SIZE / KiB, d;
    CHECK(delta_ok(d = delta_kb(map_shared, unmap, kb), kb), "MAP_SHARED|MAP_ANONYMOUS %lld kB: Committed_AS %+lld kB",
          kb, d);
    CHECK(delta_ok(d = delta_kb(shm_make, shm_remove, kb), kb), "shmget %lld kB: Committed_AS %+lld kB", kb, d);
    if (sysctl_get("overcommit_memory") != 2)
        CHECK(delta_ok(d = delta_kb(shm_make_noreserve, shm_remove, 0), 0),
              "shmget(SHM_NORESERVE) %lld kB: Committed_AS %+lld kB", kb, d);
    long long before = committed_kb();
    char *id = shm_make();
    CHECK(id, "shmget: %s", errname(errno));
    shm_remove(id);
    CHECK(delta_ok(committed_kb() - before, 0), "IPC_RMID gave back %lld kB of %lld", before - committed_kb(), kb);
    return PASS;
}

/* The private writable VMAs of this process, from /proc/self/maps ("rw-p"):
 * what fork charges again for the child. In kB. */
static long long private_writable_kb(void)
{
    static char text[65536];
    long long kb = 0;
    if (slurp("/proc/self/maps", text, sizeof(text)) <= 0)
        return -1;
    for (char *line = text; *line;) {
        unsigned long s, e;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strcmp(perms, "rw-p") == 0)
            kb += (long long)(e - s) / KiB;
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    return kb;
}

/* fork charges the child's copy of every charged VMA; exit gives it back. */
static const char *committed_fork_and_exit(void)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    long long mine = private_writable_kb(), before = committed_kb();
    pid_t pid = fork_child();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        long long during = committed_kb();
        write_all(fds[1], (const char *)&during, sizeof(during));
        _exit(0);
    }
    long long during = -1;
    CHECK(read(fds[0], &during, sizeof(during)) == (ssize_t)sizeof(during), "no word from the child");
    close(fds[0]);
    close(fds[1]);
    int st = wait_for(pid);
    long long after = committed_kb();
    CHECK_EXITED(st, 0);
    CHECK(delta_ok(during - before, mine), "fork: Committed_AS %+lld kB, our private writable mappings are %lld kB",
          during - before, mine);
    CHECK(delta_ok(after - before, 0), "after the child's exit Committed_AS is %+lld kB", after - before);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Modes 1 and 2 (Pagewise: switched as root, restored after).
 * ------------------------------------------------------------------------- */

static const char *always_body(void)
{
    size_t len = (size_t)meminfo_kb("MemTotal") * KiB * RAM_TIMES;
    char *p = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p != MAP_FAILED, "mode 1: mmap of ten times RAM (%zu MiB): %s", len / MiB, errname(errno));
    munmap(p, len);
    char *old = raw_brk(0), *got = raw_brk(old + SBRK_REPORTED);
    raw_brk(old);
    CHECK(got == old + SBRK_REPORTED, "mode 1: brk(+1000 MiB) refused");
    return PASS;
}

/* Mode 1 never refuses: ten times RAM, and sbrk(1000 MiB). */
static const char *mode1_accepts_ten_times_ram(void)
{
    PAGEWISE_ONLY("switch this machine's vm.overcommit_memory");
    return in_mode(1, always_body);
}

static const char *strict_body(void)
{
    long long limit = meminfo_kb("CommitLimit"), used = committed_kb();
    size_t fits = (size_t)(limit - used) * KiB / 2, over = (size_t)(limit - used) * KiB + 4 * MiB;
    char *p = map(over, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p == MAP_FAILED && errno == ENOMEM, "mode 2: mmap(%zu kB) past CommitLimit %lld kB (Committed_AS %lld): %s",
          over / KiB, limit, used, p == MAP_FAILED ? errname(errno) : "succeeded");
    p = map(over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
    CHECK(p == MAP_FAILED && errno == ENOMEM, "mode 2 ignores MAP_NORESERVE, but mmap(%zu kB) %s", over / KiB,
          p == MAP_FAILED ? errname(errno) : "succeeded");
    p = map(over, PROT_READ, MAP_PRIVATE);
    CHECK(p != MAP_FAILED, "mode 2: a read-only mapping promises nothing, but mmap said %s", errname(errno));
    CHECK(mprotect(p, over, PROT_READ | PROT_WRITE) == -1 && errno == ENOMEM,
          "mode 2: making %zu kB writable: %s, expected ENOMEM", over / KiB, errname(errno));
    munmap(p, over);
    char *old = raw_brk(0), *got = raw_brk(old + over);
    raw_brk(old);
    CHECK(got == old, "mode 2: brk(+%zu kB) past CommitLimit moved the break", over / KiB);
    CHECK(shmget(IPC_PRIVATE, over, IPC_CREAT | 0600) == -1 && errno == ENOMEM, "mode 2: shmget(%zu kB): %s",
          over / KiB, errname(errno));
    p = map(fits, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p != MAP_FAILED, "mode 2: mmap(%zu kB), half of what is left: %s", fits / KiB, errname(errno));
    munmap(p, fits);
    return PASS;
}

/* Mode 2: nothing past CommitLimit, MAP_NORESERVE or not; half the room
 * left still fits. */
static const char *mode2_strict_limit(void)
{
    PAGEWISE_ONLY("switch this machine's vm.overcommit_memory");
    return in_mode(2, strict_body);
}

static const char *fork_body(void)
{
    long long room = meminfo_kb("CommitLimit") - committed_kb();
    size_t len = (size_t)(room * 6 / 10) * KiB; /* fits once, not twice */
    char *p = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK(p != MAP_FAILED, "mode 2: mmap(%zu kB) of %lld kB left: %s", len / KiB, room, errname(errno));
    errno = 0;
    pid_t pid = fork_child();
    if (pid == 0)
        _exit(0);
    int err = errno;
    if (pid > 0)
        wait_for(pid);
    munmap(p, len);
    CHECK(pid == -1 && err == ENOMEM, "mode 2: fork with %zu kB to copy and %lld kB left: %s", len / KiB,
          room - len / KiB, pid == -1 ? errname(err) : "succeeded");
    pid = fork_child();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0, "mode 2: fork after the munmap: %s", errname(errno));
    int st = wait_for(pid); /* once: CHECK_EXITED reads its argument more than once */
    CHECK_EXITED(st, 0);
    return PASS;
}

/* Mode 2: a fork whose copy of our charged memory does not fit fails with
 * ENOMEM, and works again once the memory is unmapped. */
static const char *mode2_fork_enomem(void)
{
    PAGEWISE_ONLY("switch this machine's vm.overcommit_memory");
    return in_mode(2, fork_body);
}

/* ---------------------------------------------------------------------------
 * RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK (each in a child: limits stay).
 * ------------------------------------------------------------------------- */

static long long status_kb(const char *field)
{
    char text[4096];
    long long v = -1;
    if (slurp("/proc/self/status", text, sizeof(text)) < 0 || !text_field(text, field, &v))
        return -1;
    return v;
}

static int set_limit(int resource, rlim_t value)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl))
        return -1;
    rl.rlim_cur = value;
    return setrlimit(resource, &rl);
}

/* RLIMIT_AS = VmSize + 32 MiB: 64 MiB more of anything is refused, even
 * PROT_NONE; 24 MiB fits; MAP_FIXED over those 24 MiB counts only what it
 * adds (nothing); then brk(+32 MiB) is refused and brk(+4 MiB) fits. */
static int as_child(void)
{
    long long vm = status_kb("VmSize");
    if (vm <= 0 || set_limit(RLIMIT_AS, (rlim_t)(vm * KiB + 32 * MiB)))
        return 10;
    char *p = map(64 * MiB, PROT_NONE, MAP_PRIVATE);
    if (p != MAP_FAILED || errno != ENOMEM)
        return 11;
    char *q = map(24 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    if (q == MAP_FAILED)
        return 12;
    if (mmap(q, 24 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != q)
        return 13;
    char *old = raw_brk(0);
    if (raw_brk(old + 32 * MiB) != old)
        return 14;
    if (raw_brk(old + 4 * MiB) != old + 4 * MiB)
        return 15;
    return 0;
}

static const char *rlimit_as_enomem(void)
{
    int st = run_in_child(as_child);
    CHECK(st != -1 && WIFEXITED(st), "child %s", status_str(st));
    static const char *const step[] = {"setrlimit",
                                       "mmap(64 MiB, PROT_NONE) not ENOMEM",
                                       "mmap(24 MiB) refused",
                                       "MAP_FIXED over our own 24 MiB refused",
                                       "brk(+32 MiB) moved the break",
                                       "brk(+4 MiB) refused"};
    int code = WEXITSTATUS(st);
    CHECK(code == 0, "RLIMIT_AS: %s", code >= 10 && code < 16 ? step[code - 10] : status_str(st));
    return PASS;
}

/* RLIMIT_DATA = 8 MiB: private writable mmaps and brk beyond it are
 * refused (MAP_NORESERVE or not), read-only and shared ones are not data;
 * mprotect may not turn 16 MiB into data either. */
static int data_child(void)
{
    if (status_kb("VmData") > 4 * 1024 || set_limit(RLIMIT_DATA, 8 * MiB))
        return 10;
    char *p = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    if (p != MAP_FAILED || errno != ENOMEM)
        return 11;
    p = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
    if (p != MAP_FAILED || errno != ENOMEM)
        return 12;
    char *ro = map(16 * MiB, PROT_READ, MAP_PRIVATE);
    if (ro == MAP_FAILED)
        return 13;
    char *sh = map(16 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (sh == MAP_FAILED)
        return 14;
    if (mprotect(ro, 16 * MiB, PROT_READ | PROT_WRITE) != -1 || errno != ENOMEM)
        return 15;
    char *old = raw_brk(0);
    if (raw_brk(old + 16 * MiB) != old)
        return 16;
    if (map(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE) == MAP_FAILED)
        return 17;
    return 0;
}

static const char *rlimit_data_enomem(void)
{
    int st = run_in_child(data_child);
    CHECK(st != -1 && WIFEXITED(st), "child %s", status_str(st));
    static const char *const step[] = {"VmData above 4 MiB already, or setrlimit failed",
                                       "mmap(16 MiB, rw private) not ENOMEM",
                                       "mmap(16 MiB, rw private, MAP_NORESERVE) not ENOMEM",
                                       "mmap(16 MiB, read-only) refused",
                                       "mmap(16 MiB, MAP_SHARED) refused",
                                       "mprotect(16 MiB -> rw) not ENOMEM",
                                       "brk(+16 MiB) moved the break",
                                       "mmap(1 MiB, rw private) refused"};
    int code = WEXITSTATUS(st);
    CHECK(code == 0, "RLIMIT_DATA: %s", code >= 10 && code < 18 ? step[code - 10] : status_str(st));
    return PASS;
}

static volatile long *deepest; /* shared with the child: its deepest frame */

__attribute__((noinline)) static long stack_eater(long depth)
{
    volatile char frame[FRAME];
    frame[0] = (char)depth;
    *deepest = depth;
    if (depth >= (1L << 40))
        return depth;
    long r = stack_eater(depth + 1);
    return r + frame[0];
}

static rlim_t stack_rlimit;
static int recurse_child(void)
{
    if (set_limit(RLIMIT_STACK, stack_rlimit))
        return 10;
    return (int)stack_eater(1);
}

/* How deep a child recursed (4 KiB frames) before it died of SIGSEGV under
 * RLIMIT_STACK = limit; -1 (and *why) if it did not die so. */
static long depth_under(rlim_t limit, const char **why)
{
    stack_rlimit = limit;
    *deepest = 0;
    int st = run_in_child(recurse_child);
    if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
        *why = FAIL("RLIMIT_STACK %llu KiB: the child %s, expected SIGSEGV", (unsigned long long)limit / KiB,
                    status_str(st));
        return -1;
    }
    return *deepest;
}

/* A lowered RLIMIT_STACK makes deep recursion die sooner: 1 MiB holds
 * fewer than 256 frames of 4 KiB, 2 MiB fewer than 512 but more than 1 MiB
 * did; each at most 128 KiB short of its limit (our own frames above). */
static const char *rlimit_stack_segv_sooner(void)
{
    const char *why = PASS;
    deepest = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(deepest != MAP_FAILED, "mmap: %s", errname(errno));
    long d1 = depth_under(1 * MiB, &why), d2 = d1 < 0 ? -1 : depth_under(2 * MiB, &why);
    munmap((void *)deepest, PAGE_SIZE);
    if (why != PASS)
        return why;
    long slack = 128 * KiB / FRAME;
    CHECK(d1 <= MiB / FRAME && d1 >= MiB / FRAME - slack, "RLIMIT_STACK 1 MiB: %ld frames of 4 KiB", d1);
    CHECK(d2 <= 2 * MiB / FRAME && d2 >= 2 * MiB / FRAME - slack, "RLIMIT_STACK 2 MiB: %ld frames of 4 KiB", d2);
    return PASS;
}

static const struct test tests[] = {
    TEST(overcommit_proc_files),
    TEST(overcommit_sysctl_einval),
    TEST(overcommit_sysctl_root_only),
    TEST(overcommit_ratio_moves_limit),
    TEST(mode0_refuses_more_than_ram_swap),
    TEST(mode0_noreserve_ten_times_ram),
    TEST(committed_private_writable),
    TEST(committed_mprotect_charges),
    TEST(committed_shared_memory),
    TEST(committed_fork_and_exit),
    TEST(mode1_accepts_ten_times_ram),
    TEST(mode2_strict_limit),
    TEST(mode2_fork_enomem),
    TEST(rlimit_as_enomem),
    TEST(rlimit_data_enomem),
    TEST(rlimit_stack_segv_sooner),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
