/*
 * tests/user/t_kpage.c - /proc/kpageflags and /proc/kpagecount, Linux's
 * view of every physical frame (mm/kpageflags.c): one 64-bit word per
 * frame at offset PFN * 8. A page we touched is anonymous and mapped once;
 * after fork it is mapped twice; a SysV segment's page is swap-backed but
 * not anonymous; the files refuse misaligned reads and non-root readers.
 *
 * Natively (root on Linux) the same cases run, checking only what Linux
 * guarantees (a new page may not be on an LRU list yet there).
 */
#include "testlib.h"

#include <sys/shm.h>

#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPBACKED 14
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define PFN_MASK ((1ull << 55) - 1)
#define PRESENT (1ull << 63)
#define BIT(n) (1ull << (n))

/* The PFN behind addr (0 if not present or hidden). */
static uint64_t pfn_of(const void *addr)
{
    uint64_t e = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)addr / PAGE_SIZE * 8)) != 8)
        e = 0;
    if (fd >= 0)
        close(fd);
    return (e & PRESENT) ? e & PFN_MASK : 0;
}

/* Word pfn of /proc/<file>; -1 (all ones) if unreadable. */
static uint64_t kword(const char *file, uint64_t pfn)
{
    char path[64];
    uint64_t w = ~0ull;
    snprintf(path, sizeof(path), "/proc/%s", file);
    int fd = open(path, O_RDONLY);
    if (fd >= 0 && pread(fd, &w, 8, (off_t)(pfn * 8)) != 8)
        w = ~0ull;
    if (fd >= 0)
        close(fd);
    return w;
}

#define NEED_ROOT()                                                                                                    \
    do {                                                                                                               \
        if (geteuid() != 0) {                                                                                          \
            out("# %s: not root: skipped\n", __func__);                                                                \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

/* A page we wrote: ANON and MMAP, mapped once; after fork, twice. */
static const char *kpage_anon_page(void)
{
    NEED_ROOT();
    volatile char *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
    p[0] = 1;
    uint64_t pfn = pfn_of((const void *)p);
    CHECK(pfn, "no PFN for our page (pagemap)");
    uint64_t flags = kword("kpageflags", pfn), count = kword("kpagecount", pfn);
    CHECK(flags != ~0ull && count != ~0ull, "cannot read /proc/kpageflags or kpagecount: %s", errname(errno));
    CHECK((flags & BIT(KPF_ANON)) && (flags & BIT(KPF_MMAP)), "our page's flags %#llx lack ANON or MMAP",
          (unsigned long long)flags);
    CHECK(count == 1, "our page is mapped %llu times, want 1", (unsigned long long)count);
    if (on_pagewise())
        CHECK((flags & BIT(KPF_LRU)) && (flags & BIT(KPF_SWAPBACKED)), "flags %#llx lack LRU or SWAPBACKED",
              (unsigned long long)flags);
    int go[2];
    CHECK_OK(pipe(go));
    pid_t pid = fork_child();
    if (pid == 0) {
        close(go[1]);
        wait_go(go[0]); /* hold the shared page until the parent has looked */
        _exit(0);
    }
    uint64_t shared = kword("kpagecount", pfn);
    close(go[0]);
    close(go[1]);
    wait_for(pid);
    munmap((void *)p, PAGE_SIZE);
    CHECK(shared == 2, "after fork the page is mapped %llu times, want 2", (unsigned long long)shared);
    return PASS;
}

/* A SysV segment's page: mapped, swap-backed, not anonymous. */
static const char *kpage_shm_page(void)
{
    NEED_ROOT();
    int id = shmget(IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget: %s", errname(errno));
    volatile char *p = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    CHECK(p != (void *)-1, "shmat: %s", errname(errno));
    p[0] = 1;
    uint64_t flags = kword("kpageflags", pfn_of((const void *)p));
    shmdt((const void *)p);
    CHECK(flags != ~0ull, "no flags for the segment's page");
    CHECK((flags & BIT(KPF_MMAP)) && (flags & BIT(KPF_SWAPBACKED)) && !(flags & BIT(KPF_ANON)),
          "the segment's page has flags %#llx: want MMAP and SWAPBACKED, not ANON", (unsigned long long)flags);
    return PASS;
}

/* Whole words only (EINVAL); on Pagewise, the kernel's own frames are
 * all there: free blocks, slabs, page tables, reserved frames. */
static const char *kpage_format(void)
{
    NEED_ROOT();
    uint64_t w[512];
    int fd = open("/proc/kpageflags", O_RDONLY);
    CHECK(fd >= 0, "open /proc/kpageflags: %s", errname(errno));
    errno = 0;
    ssize_t odd = pread(fd, w, 8, 4);
    int e1 = errno;
    ssize_t short_len = pread(fd, w, 12, 0);
    int e2 = errno;
    long buddy = 0, slab = 0, pgtable = 0, reserved = 0;
    ssize_t n;
    for (off_t off = 0; (n = pread(fd, w, sizeof(w), off)) > 0; off += n)
        for (ssize_t i = 0; i < n / 8; i++) {
            buddy += (w[i] >> KPF_BUDDY) & 1;
            slab += (w[i] >> KPF_SLAB) & 1;
            pgtable += (w[i] >> KPF_PGTABLE) & 1;
            reserved += (w[i] >> KPF_RESERVED) & 1;
        }
    close(fd);
    CHECK(odd == -1 && e1 == EINVAL, "a read at offset 4 gave %zd (%s), want EINVAL", odd, errname(e1));
    CHECK(short_len == -1 && e2 == EINVAL, "a 12-byte read gave %zd (%s), want EINVAL", short_len, errname(e2));
    out("# frames: %ld free-block heads, %ld slab, %ld page-table, %ld reserved\n", buddy, slab, pgtable, reserved);
    if (on_pagewise())
        CHECK(buddy > 0 && slab > 0 && pgtable > 0 && reserved > 0, "a kind of kernel frame is missing");
    return PASS;
}

static int read_as_nobody(void)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 100;
    int fd = open("/proc/kpageflags", O_RDONLY);
    int e = errno;
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? 0 : e;
}

static const char *kpage_root_only(void)
{
    NEED_ROOT();
    int st = run_in_child(read_as_nobody);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == EACCES, "opening /proc/kpageflags as uid 65534: %s",
          st != -1 && WIFEXITED(st) ? errname(WEXITSTATUS(st)) : status_str(st));
    return PASS;
}

/* /proc/iomem: "start-end : name" lines, nested ones indented by two;
 * System RAM with the kernel's code inside it. /proc/vmallocinfo:
 * "0xstart-0xend size caller ..." with size = end - start. */
static const char *kpage_iomem_vmallocinfo(void)
{
    NEED_ROOT();
    static char text[64 * 1024];
    CHECK(slurp("/proc/iomem", text, sizeof(text)) > 0, "read /proc/iomem: %s", errname(errno));
    unsigned long long ram_s = 0, ram_e = 0, code_s = 0, code_e = 0;
    int ram = 0, code_inside = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        unsigned long long s, e;
        char name[64];
        int nested = l[0] == ' ';
        if (sscanf(l + (nested ? 2 : 0), "%llx-%llx : %63[^\n]", &s, &e, name) != 3)
            return FAIL("a /proc/iomem line does not parse: \"%s\"", l);
        CHECK(s <= e, "an iomem range ends before it starts: %s", l);
        if (!nested && strcmp(name, "System RAM") == 0)
            ram++, ram_s = s, ram_e = e;
        if (nested && strcmp(name, "Kernel code") == 0) {
            code_s = s, code_e = e;
            code_inside += code_s >= ram_s && code_e <= ram_e;
        }
    }
    CHECK(ram > 0, "no System RAM in /proc/iomem");
    CHECK(code_inside == 1, "Kernel code is not nested in a System RAM range");
    CHECK(slurp("/proc/vmallocinfo", text, sizeof(text)) > 0, "read /proc/vmallocinfo: %s", errname(errno));
    char *last_nl = strrchr(text, '\n'); /* a big file (Linux) fills the buffer: keep whole lines */
    if (last_nl)
        last_nl[1] = '\0';
    int stack_line = strstr(text, "proc_alloc+") != NULL; /* Pagewise's kernel stacks (before strtok cuts the text) */
    int lines = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        unsigned long long s, e, size;
        /* Linux may print hashed addresses (kptr_restrict): their difference means nothing there */
        CHECK(sscanf(l, "0x%llx-0x%llx %llu", &s, &e, &size) == 3 && (!on_pagewise() || e - s == size),
              "a vmallocinfo line does not parse or its size is wrong: \"%s\"", l);
    }
    CHECK(lines > 0, "/proc/vmallocinfo is empty");
    if (on_pagewise())
        CHECK(stack_line, "no kernel stack (allocated by proc_alloc) in /proc/vmallocinfo");
    return PASS;
}

static const struct test tests[] = {
    TEST(kpage_anon_page),
    TEST(kpage_shm_page),
    TEST(kpage_format),
    TEST(kpage_root_only),
    TEST(kpage_iomem_vmallocinfo),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
