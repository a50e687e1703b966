/*
 * user/vmstat.c - the memory counters that matter for Pagewise, labeled.
 *
 *   vmstat              print the counters once
 *   vmstat N [COUNT]    then again every N seconds (COUNT times in all, or
 *                       until ^C), with the change since the previous print
 *
 * The counters come from /proc/vmstat (system-wide event counts since boot)
 * and /proc/meminfo. A counter the kernel does not provide is skipped:
 * Linux has no cow_fault or nr_cr3_write (Pagewise's own), and counts TLB
 * flushes only when built with CONFIG_DEBUG_TLBFLUSH.
 *
 * Watch a counter move: run `vmstat`, then `lazy`, then `vmstat` again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct counter {
    const char *file; /* "vmstat" or "meminfo" */
    const char *name; /* its name in that file */
    const char *what; /* what it counts, for the reader */
} counters[] = {
    {"meminfo", "MemTotal", "KiB of RAM managed"},
    {"meminfo", "MemFree", "KiB free"},
    {"vmstat", "nr_free_pages", "free pages (4 KiB frames)"},
    {"vmstat", "pgfault", "page faults handled"},
    {"vmstat", "pgmajfault", "... of which needed I/O (major)"},
    {"vmstat", "cow_fault", "copy-on-write faults (copies)"},
    {"vmstat", "nr_cr3_write", "CR3 writes (address-space switches)"},
    {"vmstat", "nr_tlb_local_flush_one", "TLB flushes of one page (invlpg)"},
    {"vmstat", "nr_tlb_local_flush_all", "TLB flushes of everything"},
    {"vmstat", "pswpin", "pages swapped in"},
    {"vmstat", "pswpout", "pages swapped out"},
};
#define NCOUNTERS (int)(sizeof(counters) / sizeof(counters[0]))

/* Read a whole /proc file into buf. Returns 0 or -1. */
static int load(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return 0;
}

/* Find the line that starts with name, followed by ' ' (vmstat) or ':'
 * (meminfo), and return its number; -1 if the line is absent. */
static long long lookup(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, name, len) == 0 && (line[len] == ' ' || line[len] == ':'))
            return strtoll(line + len + 1, NULL, 10);
    }
    return -1;
}

/* Read every counter into values[] (-1: absent). Returns 0 or -1. */
static int sample(long long *values)
{
    static char vmstat[16384], meminfo[8192];
    if (load("/proc/vmstat", vmstat, sizeof(vmstat)) < 0 || load("/proc/meminfo", meminfo, sizeof(meminfo)) < 0) {
        perror("vmstat: /proc");
        return -1;
    }
    for (int i = 0; i < NCOUNTERS; i++)
        values[i] = lookup(strcmp(counters[i].file, "vmstat") == 0 ? vmstat : meminfo, counters[i].name);
    return 0;
}

/* One labeled line per counter present; with prev, also the change. */
static void print(const long long *now, const long long *prev)
{
    for (int i = 0; i < NCOUNTERS; i++) {
        if (now[i] < 0)
            continue;
        printf("%-22s %10lld", counters[i].name, now[i]);
        if (prev && prev[i] >= 0)
            printf(" %+8lld", now[i] - prev[i]);
        printf("  %s\n", counters[i].what);
    }
}

int main(int argc, char **argv)
{
    long long now[NCOUNTERS], prev[NCOUNTERS];
    int interval = argc > 1 ? atoi(argv[1]) : 0;
    int count = argc > 2 ? atoi(argv[2]) : 0; /* 0: forever */

    if (argc > 3 || (argc > 1 && interval <= 0)) {
        fprintf(stderr, "usage: vmstat [N [COUNT]]\n");
        return 2;
    }
    if (sample(now) < 0)
        return 1;
    print(now, NULL);
    for (int done = 1; interval && (count == 0 || done < count); done++) {
        memcpy(prev, now, sizeof(now));
        fflush(stdout);
        sleep((unsigned)interval);
        if (sample(now) < 0)
            return 1;
        printf("-- after %d s (change since the previous print) --\n", interval);
        print(now, prev);
    }
    return 0;
}
