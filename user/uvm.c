/*
 * user/uvm.c - demo: demand paging done by a user program (Appel & Li).
 *
 *   uvm
 *
 * A kernel fills memory lazily: a page is not mapped until it is touched;
 * the touch faults, the fault handler fills the page, and the instruction
 * runs again. A user program can play the same game one level up, with
 * the tools the kernel gives it (Appel and Li, "Virtual Memory Primitives
 * for User Programs", 1991):
 *
 *   kernel                            this program
 *   ------                            ------------
 *   a VMA, page tables empty          mmap(8 pages, PROT_NONE)
 *   #PF exception, CR2 = address      SIGSEGV, si_addr = address,
 *                                     si_code SEGV_ACCERR ("mapped, but
 *                                     the protection forbids it")
 *   handle_mm_fault: find the VMA,    the handler: check the address is
 *     take a frame, fill it, map it     ours, mprotect the page RW, fill
 *                                       it, mprotect it read-only
 *   iret: the instruction again       the handler returns: the read again
 *
 * We read the 8 pages in a scrambled order, twice each. Only the first read
 * of each page faults: 8 faults in all, one per page. Then we check that
 * every byte of every page holds that page's pattern.
 *
 * Real uses of the trick: garbage collectors (write barriers), distributed
 * shared memory, checkpointing, userfaultfd on Linux.
 *
 * Kernel code: mm/fault.c (a PROT_NONE VMA: "read of memory without read
 * permission" -> SIGSEGV with SEGV_ACCERR), the signal frame and
 * rt_sigreturn in kernel/signal.c, mprotect in mm/mmap.c.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define NPAGES 8
#define PATTERN(k) (0x5041474500000000ULL | (uint64_t)(k)) /* "PAGE" and k */

static char *region;                 /* our 8 pages, PROT_NONE at first */
static volatile sig_atomic_t faults; /* how many the handler filled */

/* ---- printing from a signal handler ----
 * printf is not safe in a signal handler (it takes locks and may be in the
 * middle of printing already when the signal arrives); write(2) is. So the
 * handler builds its line with these little helpers. */

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_hex(char *p, uint64_t v)
{
    char digits[17];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    p = put_str(p, "0x");
    while (n)
        *p++ = digits[--n];
    return p;
}

static char *put_dec(char *p, uint64_t v)
{
    char digits[21];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

/* "Page in" page k: open it for writing, fill it with its pattern, then
 * leave it read-only, like a clean page just read from disk. */
static void fill_page(int k)
{
    uint64_t *words = (uint64_t *)(region + k * PAGE_SIZE);
    mprotect(words, PAGE_SIZE, PROT_READ | PROT_WRITE);
    for (unsigned long i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
        words[i] = PATTERN(k);
    mprotect(words, PAGE_SIZE, PROT_READ);
}

/* The SIGSEGV handler: our "page fault handler". */
static void on_segv(int sig, siginfo_t *si, void *context)
{
    uintptr_t addr = (uintptr_t)si->si_addr, base = (uintptr_t)region;
    char line[160], *p = line;
    (void)sig;
    (void)context;

    if (addr < base || addr >= base + NPAGES * PAGE_SIZE || si->si_code != SEGV_ACCERR) {
        /* Not one of ours: a real bug. Go back to the default action and
         * return; the access faults again and the process dies of SIGSEGV,
         * as it would have without us. */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGSEGV, &dfl, NULL);
        p = put_str(p, "  SIGSEGV at ");
        p = put_hex(p, addr);
        p = put_str(p, ": not in our region, a real error\n");
        write(1, line, (size_t)(p - line));
        return;
    }
    int k = (int)((addr - base) / PAGE_SIZE);
    fill_page(k);
    faults++;
    p = put_str(p, "  fault ");
    p = put_dec(p, (uint64_t)faults);
    p = put_str(p, " at ");
    p = put_hex(p, addr);
    p = put_str(p, " (page ");
    p = put_dec(p, (uint64_t)k);
    p = put_str(p, "), si_code SEGV_ACCERR: filled\n");
    write(1, line, (size_t)(p - line));
}

/* Read the word at byte offset off of page k. */
static uint64_t read_word(int k, unsigned long off) { return *(volatile uint64_t *)(region + k * PAGE_SIZE + off); }

/* Every word of every page holds its page's pattern? Returns the count of
 * wrong words. (Reads only: every page is filled by now, no more faults.) */
static long verify(void)
{
    long wrong = 0;
    for (int k = 0; k < NPAGES; k++)
        for (unsigned long off = 0; off < PAGE_SIZE; off += sizeof(uint64_t))
            wrong += read_word(k, off) != PATTERN(k);
    return wrong;
}

/* Map the region with no access at all, and install the handler. */
static int setup(void)
{
    struct sigaction sa;

    region = mmap(NULL, NPAGES * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        perror("uvm: mmap");
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO; /* give the handler si_addr and si_code */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) < 0) {
        perror("uvm: sigaction");
        return -1;
    }
    return 0;
}

int main(void)
{
    static const int order[NPAGES] = {5, 2, 7, 0, 3, 6, 1, 4};

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("uvm: demand paging in user space. 8 pages, mapped PROT_NONE; a SIGSEGV\n"
           "handler fills each page when it is first read.\n\n");
    if (setup() < 0)
        return 1;
    printf("region %p-%p: PROT_NONE; SIGSEGV handler set\n", (void *)region, (void *)(region + NPAGES * PAGE_SIZE));
    for (int i = 0; i < NPAGES; i++) {
        int k = order[i];
        unsigned long off = (unsigned long)(i * 520) % PAGE_SIZE; /* some word of the page */
        printf("read page %d (+%#lx):\n", k, off);
        uint64_t first = read_word(k, off);           /* faults: the handler fills it */
        uint64_t again = read_word(k, PAGE_SIZE - 8); /* same page: no fault */
        printf("  -> %#llx; its last word: %#llx; faults so far: %d\n", (unsigned long long)first,
               (unsigned long long)again, (int)faults);
    }
    long wrong = verify();
    printf("\nverify: %ld of %lu words wrong\n", wrong, NPAGES * PAGE_SIZE / 8);
    int ok = faults == NPAGES && wrong == 0;
    printf("\nSummary: %d faults for %d pages touched (twice each): exactly one per\n"
           "page, on its first touch. That is what the kernel does for lazy allocation\n"
           "(the fault, the lookup, filling the page, the retry), one level down:\n"
           "SIGSEGV for #PF, si_addr for CR2, mprotect for the page-table entry.%s\n",
           (int)faults, NPAGES, ok ? "" : "\nUNEXPECTED result (see above).");
    return ok ? 0 : 1;
}
