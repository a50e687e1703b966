/*
 * user/cow.c - demo: copy-on-write after fork.
 *
 *   cow
 *
 * fork() gives the child a copy of the parent's memory. Copying every page
 * at once would be slow and mostly wasted (the child often calls execve at
 * once), so the kernel copies lazily:
 *
 *   1. fork: the child's page tables point at the SAME frames as the
 *      parent's, and both sides' PTEs are made read-only.
 *   2. The first write by either side faults (a write to a read-only PTE in
 *      a writable VMA): the kernel copies the frame, points the writer's PTE
 *      at the copy, writable, and the write runs again.
 *   3. The other side still has the original frame.
 *
 * We watch this through /proc/self/pagemap, which tells for each virtual
 * page the physical frame (PFN) behind it: the parent and the child see the
 * same PFN until the child writes; then the child's PFN changes and the
 * parent's does not. Also watched: the child's minor faults (getrusage) and
 * the system's cow_fault counter in /proc/vmstat (Pagewise only; Linux has
 * no such line). Linux shows real PFNs only to root (CAP_SYS_ADMIN); others
 * read 0, printed as "PFN hidden (not root?)".
 *
 * Kernel code: fork (kernel/), mm/fault.c handle_mm_fault -> do_wp_page.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1) /* bits 0-54 */

static const char parent_text[] = "written by the parent before fork";
static const char child_text[] = "written by the child";

/* The frame number behind addr (from /proc/self/pagemap: one 64-bit entry
 * per virtual page), 0 if hidden, or -1 if the page is not in memory. */
static long long pfn_of(const void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    ssize_t n = fd < 0 ? -1 : pread(fd, &entry, sizeof(entry), offset);

    if (fd >= 0)
        close(fd);
    if (n != sizeof(entry) || !(entry & PM_PRESENT))
        return -1;
    return (long long)(entry & PM_PFN_MASK);
}

/* "PFN 0x1234a", or why there is none. */
static const char *pfn_string(long long pfn)
{
    static char buf[64];
    if (pfn < 0)
        return "not present";
    if (pfn == 0)
        return "PFN hidden (not root?)";
    snprintf(buf, sizeof(buf), "PFN 0x%llx", pfn);
    return buf;
}

/* cow_fault from /proc/vmstat ("cow_fault 12" on a line of its own), or -1
 * when the kernel has no such line (Linux). */
static long long cow_faults(void)
{
    static char buf[16384]; /* static: reading must not grow the stack */
    int fd = open("/proc/vmstat", O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    for (char *line = buf; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, "cow_fault ", 10) == 0)
            return strtoll(line + 10, NULL, 10);
    }
    return -1;
}

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* The child's exit status says what it saw: 0, or some of these bits. */
#define SAW_NOT_SHARED 1 /* its PFN differed from the parent's before writing */
#define SAW_NOT_COPIED 2 /* its PFN did not change when it wrote */
#define SAW_BAD_DATA 4   /* it did not read the parent's data, or its own */
#define SAW_NO_FAULT 8   /* its write did not fault */

/* The child: compare frames, write, compare again. Returns SAW_* bits. */
static int child(char *page, long long parent_pfn)
{
    int saw = 0;
    long long pfn = pfn_of(page);

    printf("  child : page -> %s", pfn_string(pfn));
    if (pfn > 0 && pfn == parent_pfn)
        printf(": the SAME frame as the parent's.\n"
               "          fork copied the page table entry, not the page, and made\n"
               "          both PTEs read-only.\n");
    else
        printf("%s\n", pfn > 0 ? ": a different frame (this kernel copied at fork)" : "");
    if (pfn > 0 && pfn != parent_pfn)
        saw |= SAW_NOT_SHARED;
    printf("  child : reads \"%s\": reading shares, no copy.\n", page);
    if (strcmp(page, parent_text) != 0)
        saw |= SAW_BAD_DATA;

    /* Warm up: the first call of each may itself fault (copy-on-write of
     * our own stack or buffer pages), which is not what we measure. */
    cow_faults();
    minflt();
    long long cow0 = cow_faults();
    long flt0 = minflt();
    memcpy(page, child_text, sizeof(child_text)); /* the write */
    long flt1 = minflt();
    long long cow1 = cow_faults();
    long long new_pfn = pfn_of(page);

    printf("  child : wrote \"%s\"; page -> %s%s\n", page, pfn_string(new_pfn),
           new_pfn > 0 && new_pfn != pfn ? ": a NEW frame" : "");
    printf("  child : minflt %+ld", flt1 - flt0);
    if (cow0 >= 0)
        printf(", cow_fault %+lld\n", cow1 - cow0);
    else
        printf(" (no cow_fault line in /proc/vmstat: Linux has none)\n");
    printf("          The write hit a read-only PTE in a writable VMA: the kernel\n"
           "          copied the frame for the child, mapped the copy writable,\n"
           "          and the write ran again.\n");
    if (pfn > 0 && new_pfn == pfn)
        saw |= SAW_NOT_COPIED;
    if (flt1 - flt0 < 1)
        saw |= SAW_NO_FAULT;
    if (strcmp(page, child_text) != 0)
        saw |= SAW_BAD_DATA;
    return saw;
}

/* Back in the parent, after the child's write. Returns 0 if the parent's
 * page is as it was: same data, same frame. */
static int parent_check(const char *page, long long pfn_before)
{
    long long pfn = pfn_of(page);
    int data_ok = strcmp(page, parent_text) == 0;

    printf("parent: page still holds \"%s\"%s\n", page, data_ok ? "" : "  <- WRONG");
    printf("parent: page -> %s", pfn_string(pfn));
    if (pfn > 0)
        printf(pfn == pfn_before ? ": unchanged, the parent kept the original.\n"
                                 : ": CHANGED, but the parent never wrote!\n");
    else
        printf("\n");
    return data_ok && pfn == pfn_before ? 0 : -1;
}

/* One more lesson: the parent writes now. Its PTE is still read-only since
 * fork, so it faults, but the frame is its own alone now: no copy needed. */
static void parent_writes(char *page, long long pfn_before)
{
    minflt(); /* warm up, as in the child */
    long flt0 = minflt();
    page[0] = 'W';
    long flt1 = minflt();
    long long pfn = pfn_of(page);

    printf("parent: now the parent writes too: minflt %+ld, page -> %s\n", flt1 - flt0, pfn_string(pfn));
    if (pfn > 0 && pfn == pfn_before)
        printf("        Still a fault (its PTE was read-only since fork), but no copy:\n"
               "        no one else maps the frame any more, so the kernel simply made\n"
               "        the PTE writable again.\n");
    else if (pfn > 0)
        printf("        The kernel copied the frame although no one else maps it now\n"
               "        (Linux would reuse it: its do_wp_page checks the page count).\n");
}

/* The page we share: one private anonymous page, written (so present). */
static char *make_page(void)
{
    char *page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("cow: mmap");
        return NULL;
    }
    memcpy(page, parent_text, sizeof(parent_text));
    return page;
}

int main(void)
{
    int status;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("cow: copy-on-write. The parent writes a page, forks, and the child\n"
           "writes the same page. /proc/self/pagemap shows the frame (PFN) behind it.\n\n");
    char *page = make_page();
    if (!page)
        return 1;
    long long pfn = pfn_of(page);
    printf("parent: page %p holds \"%s\"\n", (void *)page, page);
    printf("parent: page -> %s\n", pfn_string(pfn));
    printf("parent: fork()\n");
    fflush(stdout); /* the child must not inherit unprinted output */
    pid_t pid = fork();
    if (pid < 0) {
        perror("cow: fork");
        return 1;
    }
    if (pid == 0)
        exit(child(page, pfn));
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        printf("parent: the child did not exit normally (status 0x%x)\n", status);
        return 1;
    }
    int saw = WEXITSTATUS(status);
    int parent_ok = parent_check(page, pfn) == 0;
    parent_writes(page, pfn);

    printf("\nSummary: fork shared the page; the child's first write copied it%s;\n"
           "the parent kept its data and its frame. %s\n",
           pfn > 0 ? " (new PFN)" : "", saw == 0 && parent_ok ? "Copy-on-write works." : "");
    if (saw & SAW_NOT_SHARED)
        printf("NOT copy-on-write: the child had its own frame before writing.\n");
    if (saw & (SAW_NOT_COPIED | SAW_NO_FAULT))
        printf("UNEXPECTED: the child's write did not fault, or kept the frame.\n");
    if ((saw & SAW_BAD_DATA) || !parent_ok)
        printf("WRONG: a process saw the other's data, or its frame changed.\n");
    return saw == 0 && parent_ok ? 0 : 1;
}
