/*
 * tests/bench/swapbench.c - the swapping benchmark: write a pattern into
 * every word of SIZE MiB (default 128), then read every word back and
 * verify it, in a machine with less RAM than that (make bench: 96 MiB RAM,
 * a 256 MiB swap disk). Prints wall-clock time, pages/s swapped and the
 * counters. Wall clock, not -icount: the disk's speed is part of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static long vmstat(const char *key)
{
    char line[128];
    long v = -1;
    FILE *f = fopen("/proc/vmstat", "r");
    size_t n = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            v = atol(line + n + 1);
    if (f)
        fclose(f);
    return v;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 128, words = (mib << 20) / 8;
    uint64_t *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    long out0 = vmstat("pswpout"), in0 = vmstat("pswpin");
    double t0 = now();
    for (size_t i = 0; i < words; i++)
        p[i] = i * 0x9e3779b97f4a7c15ull;
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        bad += p[i] != i * 0x9e3779b97f4a7c15ull;
    double secs = now() - t0;
    long out = vmstat("pswpout") - out0, in = vmstat("pswpin") - in0;
    printf("BENCH swap_%zumib %.2f s (%.0f pages/s swapped; pswpout %ld, pswpin %ld, %zu bad words)\n", mib, secs,
           (double)(out + in) / secs, out, in, bad);
    return bad != 0;
}
