/*
 * tests/user/t_procfs.c - /proc, in Linux's formats.
 *
 * /proc is how a process (and tools like free, ps, top, pmap) looks at the
 * kernel's memory bookkeeping. Its files are text (and pagemap, binary) in
 * formats fixed by Linux, byte for byte, so the same tools work here:
 *
 *   /proc/meminfo          "MemTotal:       123456 kB" (label padded to 16,
 *                          number to 8): MemTotal, MemFree, MemAvailable first
 *   /proc/vmstat           "pgfault 1234": one counter per line
 *   /proc/self/maps        "start-end perms offset maj:min inode   path", one
 *                          line per VMA, sorted, path at column 73
 *   /proc/self/status      "Name:\tt_procfs", "Pid:\t12", "VmRSS:\t    1234 kB"
 *   /proc/self/stat        "12 (t_procfs) R 1 ..." (52 fields; 10th: minflt)
 *   /proc/self/cmdline     argv, each string NUL-terminated
 *   /proc/self/pagemap     8 bytes per virtual page: bit 63 present, bits
 *                          0-54 the frame number (PFN)
 *   /proc/self, /proc/self/exe, /proc/uptime, and a directory per process.
 *
 * The numbers must also be *right*: the fault counters move when we fault,
 * VmRSS grows when we touch memory, pagemap shows a frame shared after fork
 * and copied after a write. Run: t_procfs [test_name...]
 */
#include "testlib.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

static int main_argc;
static char **main_argv;
static uintptr_t initial_brk; /* brk(0) before anything ran */

static char text[256 * 1024]; /* the file being looked at */

/* Linux may back big anonymous mappings with huge pages: ask for 4 KiB. */
static char *map_anon(size_t len, int prot)
{
    char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#ifdef MADV_NOHUGEPAGE
    if (p != MAP_FAILED)
        madvise(p, len, MADV_NOHUGEPAGE);
#endif
    return p;
}

/* The next line of text: copies it (without '\n') into line, returns the
 * position after it, or NULL at the end. */
static const char *next_line(const char *pos, char *line, size_t size)
{
    if (!pos || !*pos)
        return NULL;
    const char *nl = strchr(pos, '\n');
    size_t len = nl ? (size_t)(nl - pos) : strlen(pos);
    size_t n = len < size - 1 ? len : size - 1;
    memcpy(line, pos, n);
    line[n] = '\0';
    return nl ? nl + 1 : pos + len;
}

/* Our program's name as the kernel knows it (comm: the file name, at most
 * 15 characters). */
static const char *comm(void)
{
    static char name[16];
    const char *b = strrchr(test_argv0, '/');
    snprintf(name, sizeof(name), "%s", b ? b + 1 : test_argv0);
    return name;
}

/* ---------------------------------------------------------------------------
 * /proc/meminfo, /proc/vmstat.
 * ------------------------------------------------------------------------- */

/* "Label:" padded to 16 characters, the number right-aligned in 8, then
 * " kB" (or nothing, for counts like HugePages_Total). Returns 1 if line is
 * exactly that. */
static int meminfo_line_ok(const char *line, char *name, size_t nsize, long long *val)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line || (size_t)(colon - line) >= nsize)
        return 0;
    memcpy(name, line, (size_t)(colon - line));
    name[colon - line] = '\0';
    const char *p = colon + 1;
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    *val = strtoll(p, &end, 10);
    if (end == p || errno)
        return 0;
    int kb = strcmp(end, " kB") == 0;
    if (!kb && *end)
        return 0;
    char label[80], want[160];
    snprintf(label, sizeof(label), "%s:", name);
    snprintf(want, sizeof(want), "%-16s%8lld%s", label, *val, kb ? " kB" : "");
    return strcmp(line, want) == 0;
}

static const char *procfs_meminfo(void)
{
    char line[256], name[64];
    long long v, total = -1, freekb = -1, avail = -1;
    int n = 0;

    CHECK(slurp("/proc/meminfo", text, sizeof(text)) > 0, "read /proc/meminfo: %s", errname(errno));
    for (const char *pos = text; (pos = next_line(pos, line, sizeof(line))) != NULL; n++) {
        CHECK(meminfo_line_ok(line, name, sizeof(name), &v),
              "/proc/meminfo line %d \"%s\" is not in Linux's format (\"%%-16s%%8llu kB\")", n + 1, line);
        static const char *const first[3] = {"MemTotal", "MemFree", "MemAvailable"};
        if (n < 3)
            CHECK(strcmp(name, first[n]) == 0, "/proc/meminfo line %d is %s, expected %s (Linux's order)", n + 1, name,
                  first[n]);
        if (n == 0)
            total = v;
        if (n == 1)
            freekb = v;
        if (n == 2)
            avail = v;
    }
    CHECK(n >= 3, "/proc/meminfo has only %d lines", n);
    CHECK(total > 0 && freekb > 0 && freekb <= total, "MemFree %lld kB is not in (0, MemTotal = %lld kB]", freekb, total);
    CHECK(avail >= 0 && avail <= total, "MemAvailable %lld kB is not in [0, MemTotal = %lld kB]", avail, total);

    struct sysinfo si;
    CHECK_OK(sysinfo(&si));
    long long unit = si.mem_unit ? si.mem_unit : 1;
    CHECK((long long)si.totalram * unit / 1024 == total, "MemTotal %lld kB differs from sysinfo totalram %lld kB", total,
          (long long)si.totalram * unit / 1024);
    long long diff = (long long)si.freeram * unit / 1024 - freekb;
    long long slack = on_pagewise() ? 256 : 64 * 1024; /* Linux: other processes run meanwhile */
    CHECK(diff <= slack && diff >= -slack, "MemFree %lld kB and sysinfo freeram %lld kB disagree", freekb,
          (long long)si.freeram * unit / 1024);
    return PASS;
}

/* Every line "name value"; pgfault counts our faults. */
static const char *procfs_vmstat(void)
{
    char line[256];
    int n = 0;

    CHECK(slurp("/proc/vmstat", text, sizeof(text)) > 0, "read /proc/vmstat: %s", errname(errno));
    for (const char *pos = text; (pos = next_line(pos, line, sizeof(line))) != NULL; n++) {
        const char *p = line;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
            p++;
        int ok = p > line && *p == ' ' && p[1] >= '0' && p[1] <= '9';
        for (p++; ok && *p; p++)
            ok = *p >= '0' && *p <= '9';
        CHECK(ok, "/proc/vmstat line %d \"%s\" is not \"name value\"", n + 1, line);
    }
    long long pg0 = vmstat_get("pgfault");
    long long maj = vmstat_get("pgmajfault");
    CHECK(pg0 >= 0, "/proc/vmstat has no pgfault line");
    CHECK(maj >= 0, "/proc/vmstat has no pgmajfault line");

    const long pages = 256;
    char *p = map_anon(pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    pg0 = vmstat_get("pgfault");
    touch_pages(p, pages * PAGE_SIZE, 1);
    long long pg1 = vmstat_get("pgfault");
    munmap(p, pages * PAGE_SIZE);
    CHECK(pg1 - pg0 >= pages, "touching %ld fresh pages raised pgfault by only %lld", pages, pg1 - pg0);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * /proc/self/maps.
 * ------------------------------------------------------------------------- */

struct map_line {
    unsigned long start, end;
    char perms[8];
    unsigned long long off;
    unsigned maj, min;
    unsigned long ino;
    char path[PATH_MAX];
};

/* Parse a maps line (0: it does not parse) and check it is exactly what
 * Linux prints (*exact): "%08lx-%08lx %4s %08llx %02x:%02x %lu " then, if
 * there is a path, spaces up to column 73 and the path. */
static int parse_map(const char *line, struct map_line *m, int *exact)
{
    int n = 0;
    if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu%n", &m->start, &m->end, m->perms, &m->off, &m->maj, &m->min, &m->ino,
               &n) != 7)
        return 0;
    const char *rest = line + n;
    if (*rest != ' ' && *rest != '\0')
        return 0;
    while (*rest == ' ')
        rest++;
    snprintf(m->path, sizeof(m->path), "%s", rest);

    char want[PATH_MAX + 128];
    int len = snprintf(want, sizeof(want), "%08lx-%08lx %s %08llx %02x:%02x %lu ", m->start, m->end, m->perms, m->off,
                       m->maj, m->min, m->ino);
    if (m->path[0]) {
        while (len < 73)
            want[len++] = ' ';
        snprintf(want + len, sizeof(want) - (size_t)len, "%s", m->path);
    }
    *exact = strcmp(line, want) == 0;
    return 1;
}

/* The first line read by read_maps() that was not byte-exact (cleared at the
 * start of each case, checked at its end). */
static char maps_inexact[PATH_MAX + 128];

#define CHECK_MAPS_FORMAT()                                                                                            \
    CHECK(maps_inexact[0] == '\0',                                                                                     \
          "/proc/self/maps line \"%s\" is not byte for byte in Linux's format (\"%%08lx-%%08lx %%s %%08llx "            \
          "%%02x:%%02x %%lu \" - note the space after the inode, also at the end of a line without a path - then the "   \
          "path from column 73)",                                                                                      \
          maps_inexact)

/* Read /proc/self/maps and check every line; fills maps[] (at most max). */
static const char *read_maps(struct map_line *maps, int max, int *count)
{
    char line[PATH_MAX + 128];
    int n = 0;

    CHECK(slurp("/proc/self/maps", text, sizeof(text)) > 0, "read /proc/self/maps: %s", errname(errno));
    for (const char *pos = text; (pos = next_line(pos, line, sizeof(line))) != NULL;) {
        CHECK(n < max, "/proc/self/maps has more than %d lines", max);
        struct map_line *m = &maps[n];
        int exact;
        CHECK(parse_map(line, m, &exact), "/proc/self/maps line \"%s\" does not parse as \"start-end perms offset "
              "maj:min inode [path]\"", line);
        if (!exact && !maps_inexact[0])
            snprintf(maps_inexact, sizeof(maps_inexact), "%s", line);
        CHECK(m->start < m->end && m->start % PAGE_SIZE == 0 && m->end % PAGE_SIZE == 0,
              "/proc/self/maps line \"%s\": bad range", line);
        CHECK(strlen(m->perms) == 4 && strchr("r-", m->perms[0]) && strchr("w-", m->perms[1]) &&
                  strchr("x-", m->perms[2]) && strchr("ps", m->perms[3]),
              "/proc/self/maps line \"%s\": bad permissions", line);
        CHECK(n == 0 || maps[n - 1].end <= m->start, "/proc/self/maps lines are not sorted, or overlap: \"%s\"", line);
        n++;
    }
    *count = n;
    return PASS;
}

/* The line that covers addr, or NULL. */
static struct map_line *find_map(struct map_line *maps, int n, uintptr_t addr)
{
    for (int i = 0; i < n; i++)
        if (maps[i].start <= addr && addr < maps[i].end)
            return &maps[i];
    return NULL;
}

static struct map_line maps[4096];

/* A fresh mapping is one line "rw-p 00000000 00:00 0"; mprotect of the
 * middle page splits it in three; munmap removes it. */
static const char *procfs_maps_mmap(void)
{
    int n;
    const char *why;

    maps_inexact[0] = '\0';
    char *p = map_anon(3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    if ((why = read_maps(maps, 4096, &n)) != PASS)
        return why;
    struct map_line *m = find_map(maps, n, (uintptr_t)p);
    CHECK(m, "no /proc/self/maps line covers a fresh mmap at %p", (void *)p);
    CHECK(m->start <= (uintptr_t)p && m->end >= (uintptr_t)p + 3 * PAGE_SIZE, "the line %lx-%lx does not cover %p+12K",
          m->start, m->end, (void *)p);
    CHECK(strcmp(m->perms, "rw-p") == 0, "a PROT_READ|PROT_WRITE private mapping shows as %s, expected rw-p", m->perms);
    CHECK(m->off == 0 && m->maj == 0 && m->min == 0 && m->ino == 0 && m->path[0] == '\0',
          "an anonymous mapping shows offset %llx dev %x:%x inode %lu path \"%s\"", m->off, m->maj, m->min, m->ino,
          m->path);

    CHECK_OK(mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ));
    why = read_maps(maps, 4096, &n);
    struct map_line *a = find_map(maps, n, (uintptr_t)p), *b = find_map(maps, n, (uintptr_t)p + PAGE_SIZE),
                    *c = find_map(maps, n, (uintptr_t)p + 2 * PAGE_SIZE);
    if (why != PASS) {
        munmap(p, 3 * PAGE_SIZE);
        return why;
    }
    CHECK(a && b && c && a != b && b != c, "after mprotect of the middle page, the mapping is not three lines");
    CHECK(b->start == (uintptr_t)p + PAGE_SIZE && b->end == (uintptr_t)p + 2 * PAGE_SIZE,
          "the middle line is %lx-%lx, expected %p-%p", b->start, b->end, (void *)(p + PAGE_SIZE),
          (void *)(p + 2 * PAGE_SIZE));
    CHECK(strcmp(a->perms, "rw-p") == 0 && strcmp(b->perms, "r--p") == 0 && strcmp(c->perms, "rw-p") == 0,
          "permissions after mprotect: %s %s %s, expected rw-p r--p rw-p", a->perms, b->perms, c->perms);
    CHECK_OK(mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
    why = read_maps(maps, 4096, &n);
    b = find_map(maps, n, (uintptr_t)p + PAGE_SIZE);
    if (why != PASS) {
        munmap(p, 3 * PAGE_SIZE);
        return why;
    }
    CHECK(b && strcmp(b->perms, "---p") == 0, "a PROT_NONE page shows as %s, expected ---p", b ? b->perms : "nothing");

    CHECK_OK(munmap(p, 3 * PAGE_SIZE));
    if ((why = read_maps(maps, 4096, &n)) != PASS)
        return why;
    for (int i = 0; i < 3; i++)
        CHECK(!find_map(maps, n, (uintptr_t)p + i * PAGE_SIZE), "after munmap, a line still covers %p",
              (void *)(p + i * PAGE_SIZE));
    CHECK_MAPS_FORMAT();
    return PASS;
}

static int initialized_data = 42; /* in .data, from the program file */

/* The program's text (r-xp, with our path), its .data (rw-p, with our
 * path), [stack] and, after brk grows, [heap]. */
static const char *procfs_maps_program(void)
{
    int n;
    const char *why;
    volatile int local = 1;

    maps_inexact[0] = '\0';
    /* Linux starts the heap on a fresh page (its first byte is never in the
     * page holding the end of .bss). */
    CHECK(initial_brk % PAGE_SIZE == 0, "brk(0) at program start is %p: not page-aligned", (void *)initial_brk);

    /* Grow the heap with the brk system call (musl's brk() refuses). */
    uintptr_t brk0 = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t want = brk0 + 64 * KiB;
    uintptr_t brk1 = (uintptr_t)syscall(SYS_brk, want);
    CHECK(brk1 == want, "brk(+64 KiB) returned %p, expected %p", (void *)brk1, (void *)want);
    ((volatile char *)want)[-100] = 1;

    why = read_maps(maps, 4096, &n);
    syscall(SYS_brk, brk0);
    if (why != PASS)
        return why;

    struct map_line *t = find_map(maps, n, (uintptr_t)procfs_maps_program);
    CHECK(t, "no line covers our own code at %p", (void *)procfs_maps_program);
    CHECK(strcmp(t->perms, "r-xp") == 0, "our code shows as %s, expected r-xp", t->perms);
    const char *base = strrchr(t->path, '/');
    CHECK(t->path[0] == '/' && base && strcmp(base + 1, comm()) == 0,
          "our code's line names \"%s\", expected an absolute path ending in /%s", t->path, comm());
    CHECK(t->ino != 0, "our code's line has inode 0");

    struct map_line *d = find_map(maps, n, (uintptr_t)&initialized_data);
    CHECK(d, "no line covers our .data at %p", (void *)&initialized_data);
    CHECK(strcmp(d->perms, "rw-p") == 0, "our .data shows as %s, expected rw-p", d->perms);
    CHECK(strcmp(d->path, t->path) == 0, "our .data's line names \"%s\", expected \"%s\"", d->path, t->path);

    struct map_line *s = find_map(maps, n, (uintptr_t)&local);
    CHECK(s, "no line covers our stack at %p", (void *)&local);
    CHECK(strcmp(s->path, "[stack]") == 0, "the line covering our stack names \"%s\", expected [stack]", s->path);
    CHECK(strcmp(s->perms, "rw-p") == 0, "the stack shows as %s, expected rw-p", s->perms);

    struct map_line *h = find_map(maps, n, want - 100);
    CHECK(h, "no line covers the heap grown with brk at %p", (void *)(want - 100));
    CHECK(strcmp(h->path, "[heap]") == 0, "the line covering the brk heap names \"%s\", expected [heap]", h->path);
    CHECK(h->end >= want, "the [heap] line ends at %lx, before the break %p", h->end, (void *)want);
    CHECK_MAPS_FORMAT();
    return PASS;
}

/* ---------------------------------------------------------------------------
 * /proc/self/status, /proc/self/stat.
 * ------------------------------------------------------------------------- */

/* The line of text that starts with prefix, copied into line (or 0). */
static int find_line(const char *txt, const char *prefix, char *line, size_t size)
{
    for (const char *pos = txt; (pos = next_line(pos, line, size)) != NULL;)
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

static const char *procfs_status(void)
{
    char line[256], want[256];
    long long rss0, rss1;

    CHECK(slurp("/proc/self/status", text, sizeof(text)) > 0, "read /proc/self/status: %s", errname(errno));
    CHECK(find_line(text, "Name:", line, sizeof(line)), "/proc/self/status has no Name line");
    snprintf(want, sizeof(want), "Name:\t%s", comm());
    CHECK(strcmp(line, want) == 0, "status has \"%s\", expected \"Name:<tab>%s\"", line, comm());
    CHECK(find_line(text, "State:", line, sizeof(line)), "/proc/self/status has no State line");
    CHECK(strcmp(line, "State:\tR (running)") == 0, "status has \"%s\", expected \"State:<tab>R (running)\"", line);
    CHECK(find_line(text, "Pid:", line, sizeof(line)), "/proc/self/status has no Pid line");
    snprintf(want, sizeof(want), "Pid:\t%d", (int)getpid());
    CHECK(strcmp(line, want) == 0, "status has \"%s\", expected \"Pid:<tab>%d\"", line, (int)getpid());
    CHECK(find_line(text, "PPid:", line, sizeof(line)), "/proc/self/status has no PPid line");
    snprintf(want, sizeof(want), "PPid:\t%d", (int)getppid());
    CHECK(strcmp(line, want) == 0, "status has \"%s\", expected \"PPid:<tab>%d\"", line, (int)getppid());
    CHECK(find_line(text, "VmRSS:", line, sizeof(line)), "/proc/self/status has no VmRSS line");
    CHECK(text_field(text, "VmRSS", &rss0), "VmRSS has no number");
    snprintf(want, sizeof(want), "VmRSS:\t%8lld kB", rss0);
    CHECK(strcmp(line, want) == 0, "status has \"%s\", expected \"VmRSS:<tab>%%8llu kB\"", line);
    CHECK(rss0 > 0 || !on_pagewise(), "VmRSS is %lld kB", rss0); /* Linux: approximate, see procfs_stat */
    long long vmsize;
    CHECK(text_field(text, "VmSize", &vmsize) && vmsize >= rss0, "VmSize is missing or smaller than VmRSS");

    /* Touching 4 MiB raises VmRSS by about 4 MiB. */
    char *p = map_anon(4 * MiB, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    touch_pages(p, 4 * MiB, 1);
    long n = slurp("/proc/self/status", text, sizeof(text));
    munmap(p, 4 * MiB);
    CHECK(n > 0 && text_field(text, "VmRSS", &rss1), "re-reading VmRSS failed");
    CHECK(rss1 - rss0 >= 3 * 1024, "touching 4 MiB raised VmRSS from %lld to %lld kB only", rss0, rss1);
    return PASS;
}

/* The fields of /proc/<pid>/stat: f[1] is the pid, comm is in parentheses
 * (it may hold spaces or ')'), f[3] the state letter... Returns the number
 * of fields, 0 if the format is wrong. */
static int parse_stat(const char *txt, char *name, size_t nsize, char *state, long long f[64])
{
    const char *open = strchr(txt, '(');
    const char *close = strrchr(txt, ')');
    if (!open || !close || close < open || close[1] != ' ' || !close[2] || close[3] != ' ')
        return 0;
    size_t len = (size_t)(close - open - 1);
    if (len >= nsize)
        return 0;
    memcpy(name, open + 1, len);
    name[len] = '\0';
    f[1] = strtoll(txt, NULL, 10);
    *state = close[2];
    int n = 3;
    const char *p = close + 3;
    while (*p == ' ' && n < 63) {
        char *end;
        f[++n] = strtoll(p + 1, &end, 10);
        if (end == p + 1)
            return 0;
        p = end;
    }
    if (*p != '\n' && *p != '\0')
        return 0;
    return n;
}

static const char *procfs_stat(void)
{
    char name[64], state;
    long long f[64];

    CHECK(slurp("/proc/self/stat", text, sizeof(text)) > 0, "read /proc/self/stat: %s", errname(errno));
    int n = parse_stat(text, name, sizeof(name), &state, f);
    CHECK(n > 0, "/proc/self/stat \"%.80s\" does not parse as \"pid (comm) state ...\"", text);
    CHECK(n >= 52, "/proc/self/stat has %d fields, Linux has 52", n);
    CHECK(f[1] == getpid(), "stat pid %lld, expected %d", f[1], (int)getpid());
    CHECK(strcmp(name, comm()) == 0, "stat comm \"(%s)\", expected \"(%s)\"", name, comm());
    CHECK(state == 'R', "stat state '%c', expected 'R' (we are running)", state);
    CHECK(f[4] == getppid(), "stat ppid %lld, expected %d", f[4], (int)getppid());
    CHECK(f[5] == getpgrp(), "stat pgrp %lld, expected %d", f[5], (int)getpgrp());
    CHECK(f[6] == getsid(0), "stat session %lld, expected %d", f[6], (int)getsid(0));
    CHECK(f[20] == 1, "stat num_threads %lld, expected 1", f[20]);
    /* (Linux counts RSS in per-CPU batches and may show a few dozen pages
     * too few, even 0, for a small program: exact only on Pagewise.) */
    CHECK(f[23] > 0 && f[24] >= (on_pagewise() ? 1 : 0) && f[23] >= f[24] * PAGE_SIZE,
          "stat vsize %lld / rss %lld pages do not make sense", f[23], f[24]);

    long long mf0 = f[10];
    long ru = minflt();
    CHECK(ru - mf0 >= 0 && ru - mf0 < 64, "stat minflt %lld and getrusage ru_minflt %ld disagree", mf0, ru);
    const long pages = 256;
    char *p = map_anon(pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    touch_pages(p, pages * PAGE_SIZE, 1);
    long len = slurp("/proc/self/stat", text, sizeof(text));
    munmap(p, pages * PAGE_SIZE);
    CHECK(len > 0 && parse_stat(text, name, sizeof(name), &state, f) >= 24, "re-reading /proc/self/stat failed");
    CHECK(f[10] - mf0 >= pages, "touching %ld pages raised stat minflt by only %lld", pages, f[10] - mf0);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * cmdline, the /proc/self link, uptime, the process directories.
 * ------------------------------------------------------------------------- */

/* argv[0..argc) joined, each with its NUL. */
static size_t join_argv(int argc, char **argv, char *buf, size_t size)
{
    size_t len = 0;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        if (len + l > size)
            return 0;
        memcpy(buf + len, argv[i], l);
        len += l;
    }
    return len;
}

static const char *procfs_cmdline(void)
{
    static char want[64 * 1024];
    long n = slurp("/proc/self/cmdline", text, sizeof(text));
    size_t wl = join_argv(main_argc, main_argv, want, sizeof(want));
    CHECK(n > 0, "read /proc/self/cmdline: %s", errname(errno));
    CHECK((size_t)n == wl && memcmp(text, want, wl) == 0,
          "/proc/self/cmdline (%ld bytes) is not our argv joined with NULs (%zu bytes)", n, wl);

    /* Another process, with odd arguments: read it from outside. */
    const char *self = self_path();
    CHECK(self, "cannot find our own program file");
    char *args[] = {(char *)self, "@sleep", "two words", "", "last", NULL};
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        execv(self, args);
        _exit(127);
    }
    wl = join_argv(5, args, want, sizeof(want));
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    int match = 0;
    for (int i = 0; i < 500 && !match; i++) { /* until the child has exec'ed */
        n = slurp(path, text, sizeof(text));
        match = n == (long)wl && memcmp(text, want, wl) == 0;
        if (!match)
            sleep_ms(10);
    }
    kill_and_reap(pid);
    CHECK(match, "%s never showed the child's argv (last read: %ld bytes)", path, n);
    return PASS;
}

/* /proc/self is a symbolic link to our pid; in a child, to the child's. */
static const char *procfs_self_link(void)
{
    char buf[64], want[32];

    ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
    CHECK(n > 0, "readlink(\"/proc/self\"): %s", errname(errno));
    buf[n] = '\0';
    snprintf(want, sizeof(want), "%d", (int)getpid());
    CHECK(strcmp(buf, want) == 0, "/proc/self -> \"%s\", expected \"%s\"", buf, want);

    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char b[64], w[32];
        ssize_t m = readlink("/proc/self", b, sizeof(b) - 1);
        if (m <= 0)
            _exit(2);
        b[m] = '\0';
        snprintf(w, sizeof(w), "%d", (int)getpid());
        _exit(strcmp(b, w) == 0 ? 0 : 3);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "in a child, /proc/self does not name the child");
    CHECK_EXITED(st, 0);

    /* /proc/self/exe names our program. */
    char exe[PATH_MAX];
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0, "readlink(\"/proc/self/exe\"): %s", errname(errno));
    exe[n] = '\0';
    const char *b = strrchr(exe, '/');
    CHECK(exe[0] == '/' && b && strcmp(b + 1, comm()) == 0, "/proc/self/exe -> \"%s\", expected a path ending in /%s",
          exe, comm());
    return PASS;
}

/* "12345.67 54321.98\n": seconds since boot and idle seconds, 2 decimals. */
static int parse_uptime(const char *txt, double *up, double *idle)
{
    unsigned long a, b, c, d;
    int n = 0;
    if (sscanf(txt, "%lu.%2lu %lu.%2lu\n%n", &a, &b, &c, &d, &n) != 4)
        return 0;
    char want[96];
    snprintf(want, sizeof(want), "%lu.%02lu %lu.%02lu\n", a, b, c, d);
    if (strcmp(txt, want) != 0)
        return 0;
    *up = (double)a + (double)b / 100;
    *idle = (double)c + (double)d / 100;
    return 1;
}

static const char *procfs_uptime(void)
{
    double up0, idle0, up1, idle1;
    struct sysinfo si;

    CHECK(slurp("/proc/uptime", text, sizeof(text)) > 0, "read /proc/uptime: %s", errname(errno));
    CHECK(parse_uptime(text, &up0, &idle0), "/proc/uptime \"%s\" is not \"%%lu.%%02lu %%lu.%%02lu\\n\"", text);
    CHECK_OK(sysinfo(&si));
    CHECK(up0 > 0, "uptime %.2f", up0);
    CHECK(up0 - (double)si.uptime > -2 && up0 - (double)si.uptime < 2, "/proc/uptime says %.2f s, sysinfo %ld s", up0,
          (long)si.uptime);
    CHECK(idle0 >= 0, "idle time %.2f", idle0);
    sleep_ms(150);
    CHECK(slurp("/proc/uptime", text, sizeof(text)) > 0 && parse_uptime(text, &up1, &idle1), "re-reading failed");
    CHECK(up1 - up0 >= 0.09 && up1 - up0 < 5, "after 150 ms, uptime went from %.2f to %.2f", up0, up1);
    return PASS;
}

/* Does /proc list a directory with this name? */
static int proc_lists(const char *name)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

/* The state letter of process pid in /proc/<pid>/stat, or 0 (errno set). */
static char proc_state(pid_t pid)
{
    char path[64], name[64], state;
    long long f[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (slurp(path, text, sizeof(text)) <= 0)
        return 0;
    return parse_stat(text, name, sizeof(name), &state, f) ? state : '?';
}

/* Every process has a directory: ours, a child's while it lives (sleeping:
 * 'S'; exited but not yet reaped: 'Z'), and none once it is reaped. */
static const char *procfs_pid_dirs(void)
{
    char me[32], child[32], path[64], line[128], want[128];

    snprintf(me, sizeof(me), "%d", (int)getpid());
    CHECK(proc_lists(me) == 1, "/proc does not list our pid %s", me);
    CHECK(proc_lists("self") == 1, "/proc does not list self");

    int go[2];
    CHECK_OK(pipe(go));
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char c;
        close(go[1]);
        read(go[0], &c, 1); /* sleeps until the parent closes its end */
        _exit(0);
    }
    close(go[0]);
    snprintf(child, sizeof(child), "%d", (int)pid);
    int listed = proc_lists(child);
    char st_sleep = 0;
    for (int i = 0; i < 200 && st_sleep != 'S'; i++) {
        st_sleep = proc_state(pid);
        if (st_sleep != 'S')
            sleep_ms(10);
    }
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    long n = slurp(path, text, sizeof(text));
    int ppid_ok = n > 0 && find_line(text, "PPid:", line, sizeof(line));
    snprintf(want, sizeof(want), "PPid:\t%d", (int)getpid());
    ppid_ok = ppid_ok && strcmp(line, want) == 0;
    int state_line_ok = n > 0 && find_line(text, "State:", line, sizeof(line)) && strcmp(line, "State:\tS (sleeping)") == 0;

    close(go[1]); /* the child exits */
    char st_zombie = 0;
    for (int i = 0; i < 500 && st_zombie != 'Z'; i++) {
        st_zombie = proc_state(pid);
        if (st_zombie != 'Z')
            sleep_ms(10);
    }
    int st = wait_for(pid);
    errno = 0;
    int gone = open(path, O_RDONLY) == -1 && errno == ENOENT;
    int unlisted = proc_lists(child) == 0;

    CHECK_EXITED(st, 0);
    CHECK(listed == 1, "/proc does not list the child %s", child);
    CHECK(st_sleep == 'S', "the child sleeping in read shows state '%c' in /proc/%s/stat, expected 'S'",
          st_sleep ? st_sleep : '0', child);
    CHECK(ppid_ok, "/proc/%s/status has no \"PPid:<tab>%d\" line", child, (int)getpid());
    CHECK(state_line_ok, "/proc/%s/status has no \"State:<tab>S (sleeping)\" line", child);
    CHECK(st_zombie == 'Z', "the exited, unreaped child shows state '%c', expected 'Z'", st_zombie ? st_zombie : '0');
    CHECK(gone, "after the child was reaped, %s can still be opened (or not with ENOENT)", path);
    CHECK(unlisted, "after the child was reaped, /proc still lists %s", child);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * /proc/self/pagemap.
 * ------------------------------------------------------------------------- */

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The pagemap entry of addr in our own address space (or ~0 on error). */
static uint64_t pagemap(const void *addr)
{
    uint64_t e = ~0ULL;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return ~0ULL;
    if (pread(fd, &e, 8, (off_t)((uintptr_t)addr / PAGE_SIZE * 8)) != 8)
        e = ~0ULL;
    close(fd);
    return e;
}

static const char *procfs_pagemap(void)
{
    char *p = map_anon(4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    p[0] = 1;
    uint64_t touched = pagemap(p), untouched = pagemap(p + 2 * PAGE_SIZE);

    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e;
    errno = 0;
    ssize_t r4 = fd >= 0 ? pread(fd, &e, 4, 0) : -2;
    int e4 = errno;
    errno = 0;
    ssize_t r3 = fd >= 0 ? pread(fd, &e, 8, 3) : -2;
    int e3 = errno;
    if (fd >= 0)
        close(fd);
    munmap(p, 4 * PAGE_SIZE);
    uint64_t gone = pagemap(p);

    CHECK(touched != ~0ULL, "reading /proc/self/pagemap failed: %s", errname(errno));
    CHECK(touched & PM_PRESENT, "the entry of a written page (0x%llx) has no present bit 63", (unsigned long long)touched);
    CHECK(!(touched & (PM_SWAP | PM_FILE)), "the entry of an anonymous page (0x%llx) has bit 62 or 61",
          (unsigned long long)touched);
    CHECK(!(untouched & PM_PRESENT), "the entry of a never-touched page (0x%llx) has the present bit",
          (unsigned long long)untouched);
    CHECK(!(gone & PM_PRESENT), "the entry of an unmapped page (0x%llx) has the present bit", (unsigned long long)gone);
    CHECK(r4 == -1 && e4 == EINVAL, "a 4-byte read of pagemap returned %ld (%s), expected EINVAL", (long)r4,
          errname(e4));
    CHECK(r3 == -1 && e3 == EINVAL, "a read of pagemap at offset 3 returned %ld (%s), expected EINVAL", (long)r3,
          errname(e3));
    if ((touched & PM_PFN_MASK) == 0) {
        CHECK(!on_pagewise() || getuid() != 0, "pagemap shows PFN 0 for a present page (as root)");
        out("# procfs_pagemap: PFNs read as 0 (not root?): PFN checks skipped\n");
    }
    return PASS;
}

/* After fork, parent and child map the same frame (copy-on-write); after
 * the child writes, the child has a new frame and the parent keeps the old
 * one. */
static char *cow_page;

static int child_pfns(long *vals)
{
    vals[0] = (long)(pagemap(cow_page) & PM_PFN_MASK);
    ((volatile char *)cow_page)[10] = 2;
    vals[1] = (long)(pagemap(cow_page) & PM_PFN_MASK);
    vals[2] = (long)(pagemap(cow_page) >> 63);
    return 0;
}

static const char *procfs_pagemap_cow(void)
{
    cow_page = map_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    CHECK(cow_page != MAP_FAILED, "mmap: %s", errname(errno));
    cow_page[0] = 1;
    uint64_t mine = pagemap(cow_page);
    long vals[3] = {-1, -1, -1};
    int st = run_in_child_report(child_pfns, vals, 3);
    uint64_t mine_after = pagemap(cow_page);
    char v = cow_page[10];
    munmap(cow_page, PAGE_SIZE);

    CHECK_EXITED(st, 0);
    CHECK(v == 0, "the child's write reached the parent");
    CHECK(vals[2] == 1, "the child's written page is not present in its pagemap");
    long pfn = (long)(mine & PM_PFN_MASK);
    if (pfn == 0) {
        CHECK(!on_pagewise() || getuid() != 0, "pagemap shows PFN 0 for a present page (as root)");
        out("# procfs_pagemap_cow: PFNs read as 0 (not root?): comparison skipped\n");
        return PASS;
    }
    CHECK(vals[0] == pfn, "right after fork the child's page is frame 0x%lx, the parent's 0x%lx: not shared", vals[0],
          pfn);
    CHECK(vals[1] != pfn && vals[1] != 0, "after the child wrote, its page is frame 0x%lx, the parent's 0x%lx: not copied",
          vals[1], pfn);
    CHECK((long)(mine_after & PM_PFN_MASK) == pfn,
          "the parent's page moved from frame 0x%lx to 0x%lx when the child wrote (the writer gets the copy)", pfn,
          (long)(mine_after & PM_PFN_MASK));
    return PASS;
}

/* The cases, in the order they run. */
/* Who owns /proc/<pid> (stat): the process's effective uid and gid, for
 * the directory and, while the process is dumpable (it is, unless it
 * changed ids or said otherwise: t_creds checks those), for its files,
 * with their modes: status 0444, pagemap 0400 (t_creds shows what the
 * owner decides). */
static const char *procfs_pid_owner(void)
{
    static const struct {
        const char *path;
        unsigned mode;
    } files[] = {{"/proc/self", S_IFDIR | 0555},
                 {"/proc/self/status", S_IFREG | 0444},
                 {"/proc/self/maps", S_IFREG | 0444},
                 {"/proc/self/pagemap", S_IFREG | 0400}};
    struct stat st;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        CHECK(stat(files[i].path, &st) == 0, "stat(%s): %s", files[i].path, errname(errno));
        CHECK(st.st_uid == geteuid() && st.st_gid == getegid(), "%s belongs to %u:%u, expected our %u:%u",
              files[i].path, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)geteuid(), (unsigned)getegid());
        CHECK(st.st_mode == files[i].mode, "%s has mode 0%o, expected 0%o", files[i].path, (unsigned)st.st_mode,
              files[i].mode);
    }
    CHECK(stat("/proc/meminfo", &st) == 0 && st.st_uid == 0 && (st.st_mode & 0777) == 0444,
          "/proc/meminfo: owner %u mode 0%o, expected root's, 0444", (unsigned)st.st_uid, (unsigned)st.st_mode & 0777);
    return PASS;
}

/* clang-format off */
static const struct test tests[] = {
    TEST(procfs_meminfo),
    TEST(procfs_vmstat),
    TEST(procfs_maps_mmap),
    TEST(procfs_maps_program),
    TEST(procfs_status),
    TEST(procfs_stat),
    TEST(procfs_cmdline),
    TEST(procfs_self_link),
    TEST(procfs_uptime),
    TEST(procfs_pid_dirs),
    TEST(procfs_pid_owner),
    TEST(procfs_pagemap),
    TEST(procfs_pagemap_cow),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "@sleep") == 0) { /* for procfs_cmdline */
        alarm(CHILD_TIMEOUT);
        for (;;)
            pause();
    }
    main_argc = argc;
    main_argv = argv;
    initial_brk = (uintptr_t)syscall(SYS_brk, 0);
    return run_tests(argc, argv, tests, NTESTS(tests));
}
