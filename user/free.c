/*
 * user/free.c - how much memory is used and free, from /proc/meminfo.
 *
 *   free [-k | -m]        -k: KiB (the default), -m: MiB
 *
 *                  total        used        free      shared  buff/cache   available
 *   Mem:          125600        5212      120388           0           0      120388
 *   Swap:              0           0           0
 *
 * The layout and the arithmetic are those of Linux's free (procps-ng 4):
 *   total       MemTotal: the RAM the kernel manages (not what it occupies itself)
 *   free        MemFree: frames nobody uses
 *   shared      Shmem: shared memory (shm segments, MAP_SHARED anonymous)
 *   buff/cache  Buffers + Cached + SReclaimable: file data kept in RAM, which
 *               the kernel can drop when it needs the frames
 *   available   MemAvailable: an estimate of what a new program could get
 *               without swapping (free + the droppable part of the cache)
 *   used        total - available (older versions of free printed
 *               total - free - buff/cache)
 *   Swap        SwapTotal, SwapTotal - SwapFree, SwapFree
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char meminfo[8192];

/* Read /proc/meminfo into meminfo[]. Returns 0 or -1. */
static int load_meminfo(void)
{
    int fd = open("/proc/meminfo", O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < sizeof(meminfo) - 1 && (n = read(fd, meminfo + len, sizeof(meminfo) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    meminfo[len] = '\0';
    return 0;
}

/* The value of a "Name:   1234 kB" line, in KiB; -1 if there is none. */
static long field(const char *name)
{
    size_t len = strlen(name);
    for (const char *line = meminfo; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            return strtol(line + len + 1, NULL, 10);
    }
    return -1;
}

/* A field that may be missing counts as 0. */
static long field0(const char *name)
{
    long v = field(name);
    return v < 0 ? 0 : v;
}

int main(int argc, char **argv)
{
    int shift = 0; /* KiB >> shift: 0 for KiB, 10 for MiB */

    if (argc > 1 && strcmp(argv[1], "-m") == 0)
        shift = 10;
    else if (argc > 1 && strcmp(argv[1], "-k") != 0) {
        fprintf(stderr, "usage: free [-k | -m]\n");
        return 2;
    }
    if (load_meminfo() < 0) {
        perror("free: /proc/meminfo");
        return 1;
    }
    long total = field0("MemTotal"), free_kb = field0("MemFree");
    long cache = field0("Buffers") + field0("Cached") + field0("SReclaimable");
    long avail = field("MemAvailable");
    if (avail < 0) /* very old kernels have no MemAvailable */
        avail = free_kb;
    long used = total - avail;
    if (used < 0)
        used = total - free_kb;
    long swap_total = field0("SwapTotal"), swap_free = field0("SwapFree");

    printf("%-8s%12s%12s%12s%12s%12s%12s\n", "", "total", "used", "free", "shared", "buff/cache", "available");
    printf("%-8s%12ld%12ld%12ld%12ld%12ld%12ld\n", "Mem:", total >> shift, used >> shift, free_kb >> shift,
           field0("Shmem") >> shift, cache >> shift, avail >> shift);
    printf("%-8s%12ld%12ld%12ld\n", "Swap:", swap_total >> shift, (swap_total - swap_free) >> shift,
           swap_free >> shift);
    return 0;
}
