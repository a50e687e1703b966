/*
 * user/compact.c - demo: memory can be moved (compaction).
 *
 *   compact [MIB]      (default 16; must run as root to compact)
 *
 * A program sees virtual addresses only. Which frame of RAM holds a page is
 * the kernel's business, and the kernel may change it at any time: copy
 * the page to another frame, point every PTE that mapped it at the copy,
 * free the old frame. Linux does this to make free memory contiguous again
 * ("compaction"), because some things need many frames in a row (huge
 * pages, some devices' buffers), and a long-running system breaks its free
 * memory into scattered single frames.
 *
 * We make that happen and watch it:
 *   1. touch MIB of memory, then give back every other page: free memory
 *      now has holes between our pages (/proc/buddyinfo: the number of free
 *      blocks of each size, 4 KiB << order);
 *   2. write a word into each page we kept, and note its frame number
 *      (PFN, from /proc/self/pagemap: Linux shows real PFNs to root only);
 *   3. write 1 to /proc/sys/vm/compact_memory;
 *   4. same virtual addresses, same words, but other frames; and
 *      /proc/buddyinfo shows the large free blocks that came back.
 *
 * Kernel code: mm/compaction.c (compact_memory, migrate_page), the reverse
 * map that finds the PTEs (mm/rmap.c:rmap_walk), mm/pmm.c (buddyinfo).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define SHOWN 6 /* pages whose frames are printed */

static uint64_t word(uint64_t page) { return page * 0x9e3779b97f4a7c15ull ^ 0xc0ffee; }

/* The frame number behind addr, 0 if hidden or not present. */
static uint64_t pfn_of(const void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t off = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    if (fd >= 0 && pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
        entry = 0;
    if (fd >= 0)
        close(fd);
    return (entry & PM_PRESENT) ? entry & PM_PFN_MASK : 0;
}

static void show_buddyinfo(const char *when)
{
    char buf[2048];
    int fd = open("/proc/buddyinfo", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    printf("   /proc/buddyinfo %s (free blocks of 4K 8K 16K ... 4M):\n   %s", when, n > 0 ? buf : "(unreadable)\n");
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 16;
    if (mib <= 0) {
        fprintf(stderr, "usage: compact [MIB]\n");
        return 2;
    }
    long pages = mib * 256;
    char *p = mmap(NULL, (size_t)pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    printf("compact: memory can be moved. %ld MiB at %p.\n\n", mib, (void *)p);
    printf("1. touch every page, then give back every other one (MADV_DONTNEED)\n");
    for (long i = 0; i < pages; i++)
        p[i * PAGE_SIZE] = 1;
    for (long i = 1; i < pages; i += 2)
        madvise(p + i * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
    show_buddyinfo("now");

    printf("\n2. a word in each page we kept, and the frame behind each (pagemap)\n");
    uint64_t *before = calloc((size_t)pages / 2 + 1, sizeof(uint64_t));
    if (!before)
        return 1;
    for (long i = 0; i < pages; i += 2) {
        *(uint64_t *)(p + i * PAGE_SIZE) = word((uint64_t)i);
        before[i / 2] = pfn_of(p + i * PAGE_SIZE);
    }
    if (!before[0])
        printf("   (PFNs hidden: run as root to see them)\n");

    printf("\n3. echo 1 > /proc/sys/vm/compact_memory\n");
    int fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
    if (fd < 0 || write(fd, "1\n", 2) != 2) {
        printf("   refused: %s (only root may compact)\n", strerror(errno));
        return 1;
    }
    close(fd);

    printf("\n4. the same pages after compaction:\n");
    long wrong = 0, moved = 0;
    for (long i = 0; i < pages; i += 2) {
        uint64_t now = pfn_of(p + i * PAGE_SIZE);
        wrong += *(uint64_t *)(p + i * PAGE_SIZE) != word((uint64_t)i);
        if (now && now != before[i / 2] && moved++ < SHOWN)
            printf("   page %4ld at %p: PFN %#llx -> %#llx, its word still %s\n", i, (void *)(p + i * PAGE_SIZE),
                   (unsigned long long)before[i / 2], (unsigned long long)now,
                   *(uint64_t *)(p + i * PAGE_SIZE) == word((uint64_t)i) ? "right" : "WRONG");
    }
    printf("   %ld of our %ld pages changed frames (%s).\n", moved, pages / 2,
           moved ? "the kernel filled free frames at the top of RAM with pages from below"
                 : "none: they were already where compaction moves pages to");
    show_buddyinfo("after");
    printf("\n   %ld of %ld words wrong: same addresses, same data, %s.\n", wrong, pages / 2,
           wrong ? "DATA LOST" : "other frames");
    printf("   The freed frames merged with their free neighbours into the larger\n"
           "   blocks on the right of buddyinfo; pgmigrate_success in /proc/vmstat\n"
           "   counts the pages moved.\n");
    return wrong ? 1 : 0;
}
