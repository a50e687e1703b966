/*
 * user/overcommit.c - demo: overcommit, the promise behind lazy allocation.
 *
 *   overcommit
 *
 * mmap and brk only promise memory: frames come at the first touch
 * (the `lazy` demo). So a program may be promised more than the machine
 * has. The kernel counts the promises it could be held to, Committed_AS in
 * /proc/meminfo (private writable mappings, shared memory), and
 * vm.overcommit_memory says how far it may go:
 *
 *   0  heuristic: refuse one request larger than RAM + swap (the default)
 *   1  always: refuse nothing
 *   2  strict: keep Committed_AS below CommitLimit = swap + RAM x ratio/100
 *
 * The demo (1) maps ten times RAM with MAP_NORESERVE, which is not counted;
 * (2) makes the same four requests under each mode, switching
 * /proc/sys/vm/overcommit_memory as root and putting it back at the end
 * (on Pagewise only: on Linux it shows the machine's own mode and changes
 * nothing); (3) on Pagewise, lets a child write into its ten-times-RAM
 * mapping: the promise cannot be kept and the OOM killer ends the child.
 * Row 3 of the table is the reported bug: sbrk(1000 MiB) on 128 MiB.
 *
 * Kernel code: mm/commit.c (vm_enough_memory, vm_commit_limit),
 * mm/mmap.c (do_mmap, mmap_region, do_brk), kernel/procfs.c (the files).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024L
#define MIB (1024L * 1024L)
#define PAGE_SIZE 4096L
#define RAM_TIMES 10               /* the lesson: ten times RAM */
#define SBRK_REPORTED (1000 * MIB) /* the reported bug */
#define MODEST (32 * MIB)          /* a request every mode accepts */
#define NR_MODES 3
#define NR_REQUESTS 4
#define TOUCH_REPORT (1 * MIB) /* the child reports its progress every MiB */

static char filebuf[8192];
static long ram_kb, swap_kb;

/* A "Name: value" line of /proc/meminfo, in kB, or -1. */
static long meminfo(const char *name)
{
    int fd = open("/proc/meminfo", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, filebuf, sizeof(filebuf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    filebuf[n] = '\0';
    size_t len = strlen(name);
    for (char *line = filebuf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            return strtol(line + len + 1, NULL, 10);
    return -1;
}

static long sysctl_get(const char *name)
{
    char path[80], buf[32];
    snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Set vm.overcommit_memory; 0 or the errno. */
static int set_mode(long mode)
{
    char text[8];
    int len = snprintf(text, sizeof(text), "%ld\n", mode);
    int fd = open("/proc/sys/vm/overcommit_memory", O_WRONLY);
    if (fd < 0)
        return errno;
    int err = write(fd, text, (size_t)len) == len ? 0 : errno;
    close(fd);
    return err;
}

static int on_pagewise(void)
{
    struct utsname u;
    return uname(&u) == 0 && strcmp(u.sysname, "Pagewise") == 0;
}

static size_t ten_times_ram(void) { return (size_t)ram_kb * KIB * RAM_TIMES; }

/* The requests of step 2: each returns 1 if the kernel accepted it (and
 * undoes it), 0 if it refused, and says how Committed_AS moved meanwhile. */
static long committed_during;

static int try_mmap(size_t len, int flags)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    committed_during = meminfo("Committed_AS");
    munmap(p, len);
    return 1;
}

static int req_ten_times(void) { return try_mmap(ten_times_ram(), 0); }
static int req_ten_times_noreserve(void) { return try_mmap(ten_times_ram(), MAP_NORESERVE); }
static int req_modest(void) { return try_mmap(MODEST, 0); }

/* brk through the raw system call (musl's malloc owns sbrk): the kernel
 * answers with the new break, or the old one when it refuses. */
static int req_sbrk(void)
{
    char *old = (char *)syscall(SYS_brk, 0);
    char *got = (char *)syscall(SYS_brk, old + SBRK_REPORTED);
    if (got != old + SBRK_REPORTED)
        return 0;
    committed_during = meminfo("Committed_AS");
    syscall(SYS_brk, old);
    return 1;
}

static const struct {
    const char *what;
    int (*fn)(void);
    int noreserve;
} requests[NR_REQUESTS] = {
    {"mmap 10 x RAM", req_ten_times, 0},
    {"mmap 10 x RAM, MAP_NORESERVE", req_ten_times_noreserve, 1},
    {"sbrk(1000 MiB)", req_sbrk, 0},
    {"mmap 32 MiB", req_modest, 0},
};

static long request_kb(int r)
{
    return r == 2 ? SBRK_REPORTED / KIB : r == 3 ? MODEST / KIB : (long)(ten_times_ram() / KIB);
}

/* What the mode should answer: 1 accept, 0 refuse, -1 too close to call
 * (mode 2 also keeps reserves back: see docs/overcommit.md). */
static int expected(int mode, int r, long room_kb)
{
    if (mode == 1)
        return 1;
    if (mode == 0)
        return requests[r].noreserve || request_kb(r) <= ram_kb + swap_kb;
    return request_kb(r) > room_kb ? 0 : request_kb(r) < room_kb / 2 ? 1 : -1;
}

static void step_noreserve(void)
{
    long before = meminfo("Committed_AS");
    printf("1. mmap(%zu MiB = 10 x RAM, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)\n",
           ten_times_ram() / MIB);
    char *p = mmap(NULL, ten_times_ram(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        printf("   refused (%s): with vm.overcommit_memory=2 MAP_NORESERVE is ignored.\n\n", strerror(errno));
        return;
    }
    printf("   ok, at %p. Committed_AS %ld -> %ld kB: a promise of nothing. The\n"
           "   addresses are ours, and each page will get a frame at its first touch,\n"
           "   if there is one then.\n\n",
           (void *)p, before, meminfo("Committed_AS"));
    munmap(p, ten_times_ram());
}

/* One column of the table: every request under the current mode. Returns
 * the number of answers that differ from what the mode promises. */
static int run_mode(int mode, int answers[NR_REQUESTS], long peak[NR_REQUESTS])
{
    int wrong = 0;
    long room_kb = meminfo("CommitLimit") - meminfo("Committed_AS");
    for (int r = 0; r < NR_REQUESTS; r++) {
        committed_during = -1;
        answers[r] = requests[r].fn();
        peak[r] = committed_during;
        int want = expected(mode, r, room_kb);
        wrong += want >= 0 && answers[r] != want;
    }
    return wrong;
}

/* Step 2: the table. Returns the number of unexpected answers. */
static int step_modes(void)
{
    long old = sysctl_get("overcommit_memory");
    int answers[NR_MODES][NR_REQUESTS], tried[NR_MODES] = {0}, wrong = 0;
    long peak[NR_MODES][NR_REQUESTS];
    int switching = on_pagewise();
    printf("2. The same requests under each mode%s\n",
           switching ? " (we switch /proc/sys/vm/overcommit_memory as root)"
                     : ": on Linux only this machine's own mode, nothing is changed");
    for (int mode = 0; mode < NR_MODES; mode++) {
        if (switching ? set_mode(mode) != 0 : mode != old)
            continue;
        tried[mode] = 1;
        wrong += run_mode(mode, answers[mode], peak[mode]);
    }
    if (switching)
        set_mode(old);
    printf("   %-32s %12s %12s %12s\n", "request", "mode 0", "mode 1", "mode 2");
    for (int r = 0; r < NR_REQUESTS; r++) {
        printf("   %-32s", requests[r].what);
        for (int mode = 0; mode < NR_MODES; mode++)
            printf(" %12s", !tried[mode] ? "-" : answers[mode][r] ? "ok" : "ENOMEM");
        printf("\n");
    }
    if (tried[1] && answers[1][0])
        printf("   In mode 1, while the 10 x RAM mapping existed, Committed_AS was %ld kB\n"
               "   against a CommitLimit of %ld kB: promised, never to be kept.\n",
               peak[1][0], meminfo("CommitLimit"));
    printf("   Mode 0 refuses only a single request larger than RAM + swap (%ld kB):\n"
           "   sbrk(1000 MiB) on a 128 MiB machine is one. Mode 2 refuses anything\n"
           "   that would take Committed_AS to CommitLimit, MAP_NORESERVE or not.\n",
           ram_kb + swap_kb);
    if (switching)
        printf("   vm.overcommit_memory is %ld again.\n", sysctl_get("overcommit_memory"));
    printf("\n");
    return wrong;
}

/* In the child: map ten times RAM (not counted) and write every page,
 * publishing the MiB written so far in *progress. Never returns normally
 * on a machine without ten times RAM. */
static void toucher(volatile long *progress)
{
    char *p = mmap(NULL, ten_times_ram(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        _exit(2);
    for (size_t off = 0; off < ten_times_ram(); off += PAGE_SIZE) {
        p[off] = 1;
        if (off % TOUCH_REPORT == 0)
            *progress = (long)(off / MIB);
    }
    _exit(0);
}

/* Step 3: keep the promise, or not. Returns 0 if the child was killed. */
static int step_touch(void)
{
    printf("3. A child maps 10 x RAM with MAP_NORESERVE and writes to every page.\n");
    if (!on_pagewise()) {
        printf("   Skipped on Linux: it would take this machine's memory (run it on Pagewise).\n");
        return 0;
    }
    volatile long *progress = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (progress == MAP_FAILED)
        return 1;
    *progress = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        toucher(progress);
    int st = 0;
    waitpid(pid, &st, 0);
    int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    printf("   The child wrote %ld MiB of its %zu MiB and then %s.\n", *progress, ten_times_ram() / MIB,
           killed ? "was killed (SIGKILL)" : "ended otherwise");
    printf("   Each write faulted in a frame until RAM and swap ran out; then no page\n"
           "   could be found, and the OOM killer chose the biggest process (its console\n"
           "   line says why). That is the price of overcommit: the failure comes late,\n"
           "   at a write, not at mmap. In mode 2 the mmap itself would have failed.\n\n");
    munmap((void *)progress, PAGE_SIZE);
    return killed ? 0 : 1;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ram_kb = meminfo("MemTotal");
    swap_kb = meminfo("SwapTotal");
    long ratio = sysctl_get("overcommit_ratio");
    printf("overcommit: lazy allocation lets the kernel promise more memory than it has.\n"
           "MemTotal %ld kB, SwapTotal %ld kB; vm.overcommit_memory %ld, overcommit_ratio %ld\n"
           "CommitLimit %ld kB (= SwapTotal + MemTotal x %ld%%), Committed_AS %ld kB\n\n",
           ram_kb, swap_kb, sysctl_get("overcommit_memory"), ratio, meminfo("CommitLimit"), ratio,
           meminfo("Committed_AS"));
    if (ram_kb <= 0) {
        printf("overcommit: cannot read /proc/meminfo\n");
        return 1;
    }
    step_noreserve();
    int wrong = step_modes();
    int touch = step_touch();
    printf("Summary: %s\n", touch   ? "UNEXPECTED: the child was not killed."
                            : wrong ? "UNEXPECTED answers in the table (see above)."
                                    : "each mode answered as it promises.");
    return touch || wrong ? 1 : 0;
}
