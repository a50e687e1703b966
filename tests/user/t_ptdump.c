/*
 * tests/user/t_ptdump.c - the real page tables, as Linux's ptdump prints
 * them (/sys/kernel/debug/page_tables/, mm/ptdump.c): each line is a range
 * of addresses whose entries have the same flags at the same level.
 *
 * What the dump must show: our own program text read-only and executable,
 * our data and stack writable and not executable, an mprotect'ed page
 * read-only, a page we never touched not present; in the kernel half the
 * kernel's text read-only and executable, its data writable and NX, the
 * direct map in 2 MiB pages (PSE), nothing that is both writable and
 * executable, nothing a user may touch; and only root may read it.
 *
 * Natively: Linux has the same files when debugfs is mounted and the
 * kernel has CONFIG_PTDUMP_DEBUGFS; where they are missing the cases say so
 * and pass (a kernel without them is not wrong).
 */
#include "testlib.h"

#include <stdlib.h>

#define PT_DIR "/sys/kernel/debug/page_tables/"
#define MAX_LINES 2048

struct pt_line {
    unsigned long long start, end;
    char flags[48]; /* "USR RW ... NX" */
    char level[8];  /* pte, pmd, pud, pgd */
    int present;
};

static char dump[256 * 1024];
static struct pt_line lines[MAX_LINES];
static int nr_lines;
static int low_marker, high_marker; /* the direct map's and the image's "---[ ... ]---" lines */

/* Read and parse one dump file. 0, or the errno of open/read. */
static int read_dump(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), PT_DIR "%s", name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno;
    long n = 0, r;
    while (n < (long)sizeof(dump) - 1 && (r = read(fd, dump + n, sizeof(dump) - 1 - (size_t)n)) > 0)
        n += r;
    close(fd);
    dump[n] = '\0';
    nr_lines = low_marker = high_marker = 0;
    for (char *line = dump; line && *line && nr_lines < MAX_LINES;) {
        char *next = strchr(line, '\n');
        if (next)
            *next = '\0';
        struct pt_line *l = &lines[nr_lines];
        char *rest;
        low_marker |= strcmp(line, "---[ Low Kernel Mapping ]---") == 0;
        high_marker |= strcmp(line, "---[ High Kernel Mapping ]---") == 0;
        if (line[0] == '0' && line[1] == 'x') {
            l->start = strtoull(line, &rest, 16);
            l->end = strtoull(rest + 1, &rest, 16);
            /* size column (number + unit), then flags, then the level word */
            while (*rest == ' ')
                rest++;
            while (*rest && *rest != ' ')
                rest++;
            char *lvl = strrchr(rest, ' ');
            snprintf(l->level, sizeof(l->level), "%s", lvl ? lvl + 1 : "");
            if (lvl)
                *lvl = '\0';
            while (*rest == ' ')
                rest++;
            snprintf(l->flags, sizeof(l->flags), "%s", rest);
            l->present = l->flags[0] != '\0';
            nr_lines++;
        }
        line = next ? next + 1 : NULL;
    }
    return 0;
}

/* The line whose range holds addr (NULL if none). */
static const struct pt_line *line_of(unsigned long long addr)
{
    for (int i = 0; i < nr_lines; i++)
        if (lines[i].start <= addr && (addr < lines[i].end || lines[i].end == 0))
            return &lines[i];
    return NULL;
}

static int has_word(const char *flags, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = flags; (p = strstr(p, w)); p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

#define SKIP_IF_MISSING(err)                                                                                           \
    do {                                                                                                               \
        if ((err) == ENOENT && !on_pagewise()) {                                                                       \
            out("# %s: no " PT_DIR " on this kernel (debugfs, CONFIG_PTDUMP_DEBUGFS): skipped\n", __func__);          \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

static int data_word = 42; /* .data */

/* Our half: text r-x, data and stack rw- NX, a read-only page ro, an
 * untouched page absent, each at the right level. */
static const char *ptdump_user_half_matches(void)
{
    char *p = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    p[0] = 1;                                     /* present, writable */
    p[PAGE_SIZE] = 1;                             /* present, then read-only */
    CHECK_OK(mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ));
    data_word++;                                  /* a write: .data is a private copy now */
    volatile int stack_word = data_word;          /* p + 2 pages is never touched */
    int err = read_dump("current_user");
    SKIP_IF_MISSING(err);
    CHECK(err == 0, "reading " PT_DIR "current_user: %s", errname(err));
    const struct pt_line *text = line_of((uintptr_t)&ptdump_user_half_matches);
    const struct pt_line *data = line_of((uintptr_t)&data_word);
    const struct pt_line *stack = line_of((uintptr_t)&stack_word);
    (void)stack_word;
    const struct pt_line *rw = line_of((uintptr_t)p), *ro = line_of((uintptr_t)p + PAGE_SIZE);
    const struct pt_line *absent = line_of((uintptr_t)p + 2 * PAGE_SIZE);
    munmap(p, 3 * PAGE_SIZE);
    CHECK(text && has_word(text->flags, "USR") && has_word(text->flags, "ro") && has_word(text->flags, "x"),
          "our text: \"%s\", want USR ro ... x", text ? text->flags : "no line");
    CHECK(data && has_word(data->flags, "RW") && has_word(data->flags, "NX"), "our .data: \"%s\", want RW ... NX",
          data ? data->flags : "no line");
    CHECK(stack && has_word(stack->flags, "USR") && has_word(stack->flags, "RW") && has_word(stack->flags, "NX"),
          "our stack: \"%s\", want USR RW ... NX", stack ? stack->flags : "no line");
    CHECK(rw && has_word(rw->flags, "RW") && strcmp(rw->level, "pte") == 0, "a written page: \"%s\" %s",
          rw ? rw->flags : "no line", rw ? rw->level : "");
    CHECK(ro && has_word(ro->flags, "ro") && !has_word(ro->flags, "RW"), "the mprotect'ed page: \"%s\", want ro",
          ro ? ro->flags : "no line");
    CHECK(absent && !absent->present, "the untouched page is present: \"%s\"", absent ? absent->flags : "no line");
    for (int i = 0; i < nr_lines; i++)
        CHECK(!lines[i].present || has_word(lines[i].flags, "USR"), "a user-half line without USR: %#llx-%#llx %s",
              lines[i].start, lines[i].end, lines[i].flags);
    return PASS;
}

/* The kernel half: W^X everywhere, no USR, the image's sections, the
 * direct map in large pages (on Pagewise, whose layout we know). */
static const char *ptdump_kernel_half_wx(void)
{
    int err = read_dump("kernel");
    SKIP_IF_MISSING(err);
    CHECK(err == 0, "reading " PT_DIR "kernel: %s", errname(err));
    int text = 0, rodata = 0, large = 0, kernel_lines = 0;
    for (int i = 0; i < nr_lines; i++) {
        const struct pt_line *l = &lines[i];
        if (!l->present || l->start < 0xffff800000000000ull)
            continue;
        kernel_lines++;
        CHECK(!(has_word(l->flags, "RW") && has_word(l->flags, "x")), "writable and executable: %#llx-%#llx %s",
              l->start, l->end, l->flags);
        CHECK(!has_word(l->flags, "USR"), "a kernel line a user may touch: %#llx-%#llx %s", l->start, l->end,
              l->flags);
        text += has_word(l->flags, "ro") && has_word(l->flags, "x");
        rodata += has_word(l->flags, "ro") && has_word(l->flags, "NX");
        large += has_word(l->flags, "PSE");
    }
    CHECK(kernel_lines > 0, "no present kernel mapping in the dump");
    if (!on_pagewise())
        return PASS;
    CHECK(text >= 1 && rodata >= 1, "kernel image: %d read-only executable and %d read-only NX lines", text, rodata);
    CHECK(large >= 1, "no 2 MiB page (PSE) in the direct map");
    CHECK(low_marker && high_marker, "the section markers are missing");
    return PASS;
}

static int read_as_nobody(void)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 100;
    return read_dump("current_user");
}

static const char *ptdump_root_only(void)
{
    if (access(PT_DIR "current_user", F_OK) != 0 && !on_pagewise()) {
        out("# %s: no " PT_DIR ": skipped\n", __func__);
        return PASS;
    }
    int st = run_in_child(read_as_nobody);
    CHECK(st != -1 && WIFEXITED(st), "the child: %s", status_str(st));
    CHECK(WEXITSTATUS(st) == EACCES, "reading the dump as uid 65534: %s, want EACCES", errname(WEXITSTATUS(st)));
    return PASS;
}

/* /sys/kernel/debug/pagewalk (Pagewise's own): the four entries of one
 * address. Our text: present, user, read-only, executable, and its frame
 * is pagemap's PFN; a kernel address: U/S clear at the PML4 already. */
static const char *ptdump_pagewalk_entries(void)
{
    if (!on_pagewise()) {
        out("# %s: /sys/kernel/debug/pagewalk is Pagewise's own: skipped\n", __func__);
        return PASS;
    }
    uint64_t e[4], k[4], pm = 0;
    uintptr_t text = (uintptr_t)&ptdump_pagewalk_entries;
    int fd = open("/sys/kernel/debug/pagewalk", O_RDONLY);
    CHECK(fd >= 0, "open /sys/kernel/debug/pagewalk: %s", errname(errno));
    ssize_t n = pread(fd, e, sizeof(e), (off_t)(text >> 12) * (off_t)sizeof(e));
    ssize_t m = pread(fd, k, sizeof(k), (off_t)((0xffffffff80000000ull >> 12) & ((1ull << 36) - 1)) * (off_t)sizeof(k));
    close(fd);
    int pfd = open("/proc/self/pagemap", O_RDONLY);
    if (pfd >= 0) {
        if (pread(pfd, &pm, sizeof(pm), (off_t)(text >> 12) * 8) != 8)
            pm = 0;
        close(pfd);
    }
    CHECK(n == (ssize_t)sizeof(e) && m == (ssize_t)sizeof(k), "short reads: %zd, %zd", n, m);
    for (int i = 0; i < 4; i++)
        CHECK((e[i] & 1) && (e[i] & 4), "our text: level %d entry %#llx is not present and user", 4 - i,
              (unsigned long long)e[i]);
    CHECK(!(e[3] & 2) && !(e[3] >> 63), "our text's PTE %#llx: want read-only, executable", (unsigned long long)e[3]);
    CHECK(((e[3] & 0x000ffffffffff000ull) >> 12) == (pm & ((1ull << 55) - 1)), "PTE frame %#llx, pagemap PFN %#llx",
          (unsigned long long)(e[3] >> 12), (unsigned long long)(pm & ((1ull << 55) - 1)));
    CHECK((k[0] & 1) && !(k[0] & 4), "the kernel image's PML4 entry %#llx: want present, U/S clear",
          (unsigned long long)k[0]);
    return PASS;
}

static const struct test tests[] = {
    TEST(ptdump_user_half_matches),
    TEST(ptdump_kernel_half_wx),
    TEST(ptdump_root_only),
    TEST(ptdump_pagewalk_entries),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
