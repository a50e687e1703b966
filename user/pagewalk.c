/*
 * user/pagewalk.c - demo: how the MMU reads a virtual address.
 *
 *   pagewalk          the address of a fresh heap variable (malloc)
 *   pagewalk ADDR     any address, in hex (0x401000 or 401000)
 *   pagewalk ADDR N   ... and the frames behind N pages from there: pages
 *                     next to each other in virtual memory need not be
 *                     next to each other in RAM
 *
 * x86-64 with 4-level paging cuts a 48-bit virtual address into five
 * parts: four 9-bit indices, one per level of page table (each table is
 * one 4 KiB page of 512 8-byte entries), and a 12-bit offset in the page:
 *
 *   PML4 index  bits 47-39   picks an entry in the table CR3 points to
 *   PDPT index  bits 38-30   ... in the table that entry points to
 *   PD index    bits 29-21   ...
 *   PT index    bits 20-12   ... whose entry holds the frame number (PFN)
 *   offset      bits 11-0    the byte within that 4 KiB frame
 *
 * Bits 63-48 must be copies of bit 47 ("canonical"): all 0 in the user
 * half, all 1 in the kernel half. The MMU does this walk on every TLB miss;
 * here we do the arithmetic and then ask the kernel for the answer through
 * /proc/self/pagemap (one 64-bit entry per virtual page: bit 63 present,
 * bit 62 swapped, bits 0-54 the PFN; Linux shows the PFN only to root).
 * The physical address is PFN * 4096 + offset.
 *
 * As root on Pagewise it also prints the four entries the MMU really
 * reads (from /sys/kernel/debug/pagewalk, mm/ptdump.c), with their flags:
 * for a kernel address, U/S is clear at the top, which is why a user
 * access faults even though the walk exists.
 *
 * Kernel code: mm/paging.c (the walk), kernel/procfs.c (pagemap).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE_SIZE 4096ULL
#define USER_END 0x0000800000000000ULL   /* first address past the user half */
#define DIRECT_MAP 0xffff888000000000ULL /* Pagewise's (and Linux's default) PAGE_OFFSET */

/* The six parts of an address, drawn as boxes. */
static const struct part {
    const char *name;
    int hi, lo; /* bit range */
} parts[] = {
    {"sign", 63, 48}, {"PML4", 47, 39}, {"PDPT", 38, 30}, {"PD", 29, 21}, {"PT", 20, 12}, {"offset", 11, 0},
};
#define NPARTS 6

static unsigned long long bits(uint64_t va, int hi, int lo) { return (va >> lo) & ((1ULL << (hi - lo + 1)) - 1); }

/* Box width: the sign is shown in hex (6), an index in binary (9), the
 * offset in binary (12). */
static int width(int i) { return i == 0 ? 6 : i == NPARTS - 1 ? 12 : 9; }

/* One row of boxes: text[i] centred in box i. */
static void row(char text[NPARTS][24])
{
    printf("  |");
    for (int i = 0; i < NPARTS; i++) {
        int len = (int)strlen(text[i]), left = (width(i) - len) / 2;
        printf("%*s%s%*s|", left, "", text[i], width(i) - len - left, "");
    }
    printf("\n");
}

static void rule(void)
{
    printf("  +");
    for (int i = 0; i < NPARTS; i++)
        printf("%.*s+", width(i), "------------");
    printf("\n");
}

/* The bit numbers above the boxes: "63  48 47     39 ...". */
static void bit_numbers(void)
{
    printf("   ");
    for (int i = 0; i < NPARTS; i++)
        printf("%s%-2d%*d", i ? " " : "", parts[i].hi, width(i) - 2, parts[i].lo);
    printf("\n");
}

/* n low bits of v as a string of 0s and 1s. */
static void binary(char *out, unsigned long long v, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = (v >> (n - 1 - i)) & 1 ? '1' : '0';
    out[n] = '\0';
}

/* Draw the address cut into its parts: names, bits, values. */
static void draw(uint64_t va)
{
    char names[NPARTS][24], bin[NPARTS][24], val[NPARTS][24];

    for (int i = 0; i < NPARTS; i++) {
        unsigned long long v = bits(va, parts[i].hi, parts[i].lo);
        snprintf(names[i], sizeof(names[i]), "%s", parts[i].name);
        if (i == 0) {
            snprintf(bin[i], sizeof(bin[i]), "0x%04llx", v);
            snprintf(val[i], sizeof(val[i]), "%s", v == 0 ? "user" : v == 0xffff ? "kernel" : "bad");
        } else {
            binary(bin[i], v, parts[i].hi - parts[i].lo + 1);
            snprintf(val[i], sizeof(val[i]), i == NPARTS - 1 ? "0x%03llx" : "%llu", v);
        }
    }
    bit_numbers();
    rule();
    row(names);
    rule();
    row(bin);
    row(val);
    rule();
    printf("\n  CR3 -> PML4[%llu] -> PDPT[%llu] -> PD[%llu] -> PT[%llu] -> frame + 0x%03llx\n\n", bits(va, 47, 39),
           bits(va, 38, 30), bits(va, 29, 21), bits(va, 20, 12), bits(va, 11, 0));
}

/* Canonical: bits 63-47 all equal (17 zeros or 17 ones). */
static int canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1ffff;
}

/* Find the line of /proc/self/maps that contains va; copy it to line
 * (without the newline). Returns 1 if found, 0 if not mapped. */
static int find_vma(uint64_t va, char *line, size_t size)
{
    static char buf[65536];
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return 0;
    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        unsigned long long start, end;
        if (sscanf(l, "%llx-%llx", &start, &end) == 2 && start <= va && va < end) {
            snprintf(line, size, "%s", l);
            return 1;
        }
    }
    return 0;
}

/* The page's /proc/self/pagemap entry; 0 if it cannot be read. */
static uint64_t pagemap_entry(uint64_t va)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return 0;
    if (pread(fd, &entry, sizeof(entry), (off_t)(va / PAGE_SIZE * sizeof(entry))) != sizeof(entry))
        entry = 0;
    close(fd);
    return entry;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The pagemap entry explained: present (PFN, physical address), swapped
 * (where), or neither. */
static void explain_entry(uint64_t va, uint64_t entry)
{
    unsigned long long pfn = entry & PM_PFN_MASK, offset = va & (PAGE_SIZE - 1);

    if (entry & PM_PRESENT) {
        if (pfn == 0) {
            printf("  pagemap: present, PFN hidden (not root?)\n");
            return;
        }
        unsigned long long phys = pfn * PAGE_SIZE + offset;
        printf("  pagemap: present, PFN 0x%llx\n", pfn);
        printf("  physical address = PFN * 4096 + offset\n"
               "                   = 0x%llx * 0x1000 + 0x%03llx = 0x%llx\n",
               pfn, offset, phys);
        printf("  (on Pagewise the kernel reaches that byte through its direct map, at\n"
               "  0x%llx = 0x%llx + physical address)\n",
               DIRECT_MAP + phys, DIRECT_MAP);
    } else if (entry & PM_SWAPPED) {
        printf("  pagemap: swapped out (swap type %llu, slot %llu): not in RAM; the next\n"
               "  touch faults and the kernel reads it back, maybe into another frame\n",
               (unsigned long long)(entry & 0x1f), (unsigned long long)(entry >> 5) & ((1ULL << 50) - 1));
    } else {
        printf("  pagemap: not present: no frame behind this page yet (a first touch\n"
               "  would fault one in)\n");
    }
}

/* A user-half address: which VMA, touch it if we may, ask pagemap. */
static void show_user_page(uint64_t va)
{
    char line[512];

    if (!find_vma(va, line, sizeof(line))) {
        printf("  /proc/self/maps: no VMA contains this address: it is NOT MAPPED.\n"
               "  The walk would end at an empty entry; an access gets SIGSEGV.\n");
        return;
    }
    printf("  /proc/self/maps: %s\n", line);
    const char *perms = strchr(line, ' ');
    if (perms && perms[1] == 'r') {
        (void)*(volatile char *)(uintptr_t)va; /* make sure the page is present */
        printf("  (we read one byte there first, so that the page is present)\n");
    } else {
        printf("  (no read permission: we do not touch it)\n");
    }
    explain_entry(va, pagemap_entry(va));
}

#define WALK_FILE "/sys/kernel/debug/pagewalk"
#define PTE_ADDR 0x000ffffffffff000ULL

/* The flags of one paging entry, named as in the SDM (Vol 3A §4.5). */
static void entry_flags(uint64_t e, int level, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s%s%s%s%s%s", e & 1 ? "P" : "not present", e & 2 ? " RW" : "", e & 4 ? " US" : "",
             e & 0x20 ? " A" : "", e & 0x40 ? " D" : "", (level > 1 && (e & 0x80)) ? " PS" : "",
             e & 0x100 ? " G" : "", e >> 63 ? " XD" : "");
}

/* The real PML4E, PDPTE, PDE and PTE for va, if the kernel lets us see
 * them (root on Pagewise). */
static void show_real_entries(uint64_t va)
{
    static const char *const names[] = {"PML4E", "PDPTE", "PDE", "PTE"};
    uint64_t e[4];
    int fd = open(WALK_FILE, O_RDONLY);
    off_t off = (off_t)((va >> 12) & ((1ULL << 36) - 1)) * (off_t)sizeof(e);
    if (fd < 0 || pread(fd, e, sizeof(e), off) != (ssize_t)sizeof(e)) {
        if (fd >= 0)
            close(fd);
        printf("  (the real entries: " WALK_FILE " is for root on Pagewise)\n");
        return;
    }
    close(fd);
    printf("  the entries the MMU reads (" WALK_FILE "):\n");
    for (int i = 0; i < 4; i++) {
        char flags[64];
        entry_flags(e[i], 4 - i, flags, sizeof(flags));
        printf("    %-5s 0x%016llx  %-22s", names[i], (unsigned long long)e[i], flags);
        if (!(e[i] & 1)) {
            printf("  the walk stops: a fault\n");
            break;
        }
        if (i == 3 || (e[i] & 0x80)) {
            printf("  -> frame 0x%llx\n", (unsigned long long)(e[i] & PTE_ADDR));
            break;
        }
        printf("  -> table at 0x%llx\n", (unsigned long long)(e[i] & PTE_ADDR));
    }
    if ((e[0] & 1) && !(e[0] & 4))
        printf("  U/S is clear in the PML4 entry: user mode may not use anything below\n"
               "  it, whatever the lower entries say (the CPU ANDs U/S over the levels).\n");
}

/* The frames behind n pages from va: consecutive virtual pages, frames
 * anywhere (the buddy allocator hands out whatever is free). */
static void show_frames(uint64_t va, long n)
{
    uint64_t base = va & ~(PAGE_SIZE - 1), prev = 0;
    long adjacent = 0;
    printf("\n  the frames behind %ld pages from 0x%llx:\n", n, (unsigned long long)base);
    for (long i = 0; i < n; i++) {
        uint64_t page = base + (uint64_t)i * PAGE_SIZE, e = pagemap_entry(page), pfn = e & PM_PFN_MASK;
        int next = (e & PM_PRESENT) && prev && pfn == prev + 1;
        if (e & PM_PRESENT)
            printf("    0x%llx -> PFN 0x%llx%s\n", (unsigned long long)page, (unsigned long long)pfn,
                   next ? "  (right after the previous one)" : "");
        else
            printf("    0x%llx -> not present\n", (unsigned long long)page);
        adjacent += next;
        prev = (e & PM_PRESENT) ? pfn : 0;
    }
    printf("  %ld of %ld neighbours are neighbours in RAM too: the MMU makes memory look\n"
           "  contiguous; the frames behind it need not be.\n",
           adjacent, n - 1);
}

/* Parse "0x401000" or "401000". Returns 0, or -1 if it is not hex. */
static int parse_address(const char *s, uint64_t *va)
{
    char *end;
    if (!*s)
        return -1;
    *va = strtoull(s, &end, 16);
    return *end == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t va;

    long npages = argc == 3 ? atol(argv[2]) : 0;
    if (argc > 3 || (argc >= 2 && parse_address(argv[1], &va) < 0) || (argc == 3 && (npages < 1 || npages > 4096))) {
        fprintf(stderr, "usage: pagewalk [ADDR [N]]   (ADDR in hex, e.g. 0x401000; N pages, 1..4096)\n");
        return 2;
    }
    if (argc >= 2) {
        printf("pagewalk: the address 0x%llx\n\n", (unsigned long long)va);
    } else {
        int *v = malloc(sizeof(*v));
        if (!v)
            return 1;
        *v = 42; /* written: its page is certainly present */
        va = (uintptr_t)v;
        printf("pagewalk: a fresh heap variable (int *v = malloc(sizeof(int)); *v = 42)\n"
               "is at 0x%llx\n\n",
               (unsigned long long)va);
    }
    draw(va);
    if (!canonical(va))
        printf("  NOT CANONICAL: bits 63-48 are not copies of bit 47. The CPU refuses\n"
               "  the address before any walk (a general protection fault, SIGSEGV).\n");
    else if (va >= USER_END)
        printf("  Kernel half: the walk exists (every PML4 shares the kernel's upper 256\n"
               "  entries) but the entries lack the U/S bit, so user mode gets SIGSEGV;\n"
               "  /proc/self/pagemap covers only the user half.\n");
    else
        show_user_page(va);
    if (canonical(va))
        show_real_entries(va);
    if (npages && canonical(va) && va < USER_END)
        show_frames(va, npages);
    printf("\nTry also: pagewalk %p (main, program text), pagewalk 0 (NULL),\n"
           "pagewalk ffffffff80100000 (kernel text), pagewalk 800000000000,\n"
           "pagewalk %p 8 (the frames behind 8 pages of text)\n",
           (void *)main, (void *)main);
    return 0;
}
