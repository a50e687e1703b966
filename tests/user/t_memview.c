/*
 * tests/user/t_memview.c - memview (user/memview.c) draws what
 * /proc/kpageflags says. memview_parse_linux runs memview's own readers
 * (user/memview.h) over this machine's /proc/iomem and /proc/kpageflags:
 * it passes on Linux too (as root). memview_cells_on_screen runs
 * `memview --once` and asks the host harness for a screendump in which
 * the cells of chosen frames must have their kind's colour: frames of the
 * kernel image, whole free blocks (KPF_BUDDY, and their untagged rest), a
 * private page and a shared page of ours, the framebuffer's own frames.
 * The frames are chosen from the flags themselves, not from memview's
 * classifier, and only frames whose state cannot change meanwhile.
 *
 * Natively (no /dev/fb0) the screen case says so and passes.
 */
#include "testlib.h"

#include "screendump.h"

#include <sys/ioctl.h>

#include "../../user/memview.h"

#define PFN_MASK ((1ull << 55) - 1)
#define PAGEMAP_PRESENT (1ull << 63)
#define FREE_BLOCK (1ull << MV_MAX_ORDER) /* frames in a largest free block */
#define FREE_BLOCKS_CHECKED 3
#define KERNEL_POINTS 3  /* per "Kernel ..." range */
#define KPAGE_CHUNK 4096 /* words per pread */
#define FBIOGET_FSCREENINFO 0x4602
struct fb_fix_screeninfo {
    char id[16];
    unsigned long smem_start;
    uint32_t smem_len, type, type_aux, visual;
    uint16_t xpanstep, ypanstep, ywrapstep;
    uint32_t line_length;
    unsigned long mmio_start;
    uint32_t mmio_len, accel;
    uint16_t capabilities, reserved[2];
};

#define NEED_ROOT()                                                                                                    \
    do {                                                                                                               \
        if (geteuid() != 0) {                                                                                          \
            out("# %s: not root: skipped\n", __func__);                                                                \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

static struct mv_iomem iomem;

/* /proc/iomem through memview's parser; the number of ranges or -1. */
static int read_iomem(void)
{
    static char text[64 * 1024];
    if (slurp("/proc/iomem", text, sizeof(text)) <= 0)
        return -1;
    return mv_iomem_parse(text, &iomem);
}

/* kpageflags (or kpagecount) for PFNs [0, n) into words; 0 or -1. */
static int read_kpage(const char *path, uint64_t *words, uint64_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    uint64_t got = 0;
    ssize_t r;
    while (got < n && (r = pread(fd, words + got, (n - got) * 8, (off_t)(got * 8))) > 0)
        got += (uint64_t)r / 8;
    close(fd);
    for (; got < n; got++) /* beyond what the kernel describes: no page there */
        words[got] = MV_BIT(KPF_NOPAGE);
    return 0;
}

/* The PFN behind addr (0 if not present). */
static uint64_t pfn_of(const void *addr)
{
    uint64_t e = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)addr / PAGE_SIZE * 8)) != 8)
        e = 0;
    if (fd >= 0)
        close(fd);
    return (e & PAGEMAP_PRESENT) ? e & PFN_MASK : 0;
}

/* memview's readers on this machine: iomem parses, RAM holds the kernel's
 * code, and classifying every RAM frame finds free frames and the kernel
 * image; on Pagewise every frame of the image is classified kernel. */
static const char *memview_parse_linux(void)
{
    NEED_ROOT();
    CHECK(read_iomem() > 0, "memview's parser rejects /proc/iomem");
    uint64_t ram = mv_ram_end_pfn(&iomem);
    CHECK(ram > 0, "no System RAM in /proc/iomem");
    int code = 0;
    for (int i = 0; i < iomem.n; i++)
        if (iomem.r[i].depth == 1 && strcmp(iomem.r[i].name, "Kernel code") == 0)
            code += mv_iomem_find(&iomem, iomem.r[i].start, "System RAM", 0) != NULL;
    CHECK(code == 1, "%d Kernel code ranges nested in System RAM, want 1", code);
    static uint64_t flags[KPAGE_CHUNK], counts[KPAGE_CHUNK];
    uint64_t kinds[MV_NKINDS] = {0}, image_frames = 0, image_kernel = 0;
    struct mv_scan s = {.io = &iomem};
    int ff = open("/proc/kpageflags", O_RDONLY), fc = open("/proc/kpagecount", O_RDONLY);
    CHECK(ff >= 0 && fc >= 0, "open /proc/kpageflags, kpagecount: %s", errname(errno));
    for (uint64_t pfn = 0; pfn < ram; pfn += KPAGE_CHUNK) {
        uint64_t n = ram - pfn < KPAGE_CHUNK ? ram - pfn : KPAGE_CHUNK;
        ssize_t a = pread(ff, flags, n * 8, (off_t)(pfn * 8)), b = pread(fc, counts, n * 8, (off_t)(pfn * 8));
        for (uint64_t i = 0; i < n; i++) {
            uint64_t f = a > 0 && i < (uint64_t)a / 8 ? flags[i] : MV_BIT(KPF_NOPAGE);
            enum mv_kind k = mv_classify(&s, pfn + i, f, b > 0 && i < (uint64_t)b / 8 ? counts[i] : 0);
            kinds[k]++;
            if (mv_iomem_find(&iomem, (pfn + i) << MV_PAGE_SHIFT, "Kernel ", 1)) {
                image_frames++;
                image_kernel += k == MV_KERNEL;
            }
        }
    }
    close(ff);
    close(fc);
    uint64_t sum = 0;
    for (int k = 0; k < MV_NKINDS; k++)
        sum += kinds[k];
    out("# %llu frames: %llu free, %llu kernel image, %llu anon, %llu file, %llu not RAM\n", (unsigned long long)sum,
        (unsigned long long)kinds[MV_FREE], (unsigned long long)kinds[MV_KERNEL], (unsigned long long)kinds[MV_ANON],
        (unsigned long long)kinds[MV_FILE], (unsigned long long)kinds[MV_HOLE]);
    CHECK(sum == ram, "%llu frames classified, RAM ends at PFN %llu", (unsigned long long)sum, (unsigned long long)ram);
    CHECK(kinds[MV_FREE] > 0 && kinds[MV_KERNEL] > 0, "no free frame or no kernel image frame found");
    if (on_pagewise())
        CHECK(image_kernel == image_frames, "%llu of the kernel image's %llu frames are not classified kernel",
              (unsigned long long)(image_frames - image_kernel), (unsigned long long)image_frames);
    return PASS;
}

/* Run /bin/memview --once; its exit status. */
static int run_memview_once(void)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        char *argv[] = {"memview", "--once", NULL};
        execv("/bin/memview", argv);
        _exit(127);
    }
    return wait_for(pid);
}

/* Add pixel checks for the frames of whole free blocks: the lowest ones
 * (Pagewise's buddy allocator hands out the most recently freed, highest
 * blocks first), free before and after memview ran. */
static int add_free_points(struct sd_request *r, const struct mv_layout *l, const uint64_t *before,
                           const uint64_t *after)
{
    int blocks = 0;
    char label[48];
    for (uint64_t p = 0; p + FREE_BLOCK <= l->ram_frames && blocks < FREE_BLOCKS_CHECKED; p += FREE_BLOCK) {
        int whole = (before[p] & MV_BIT(KPF_BUDDY)) && (after[p] & MV_BIT(KPF_BUDDY));
        for (uint64_t i = 1; whole && i < FREE_BLOCK; i++)
            whole = before[p + i] == 0 && after[p + i] == 0;
        if (!whole)
            continue;
        const uint64_t offsets[] = {0, 1, FREE_BLOCK / 2, FREE_BLOCK - 1};
        for (unsigned j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++) {
            int x, y;
            mv_cell_xy(l, p + offsets[j], &x, &y);
            snprintf(label, sizeof(label), "pfn_%#llx_free", (unsigned long long)(p + offsets[j]));
            sd_point(r, x, y, mv_kinds[MV_FREE].rgb, label);
            sd_point(r, x + MV_CELL - 1, y + MV_CELL - 1, mv_kinds[MV_FREE].rgb, label);
        }
        blocks++;
    }
    return blocks;
}

/* Add checks for the first, middle and last frame of each range of the
 * kernel image that /proc/kpageflags calls reserved. */
static int add_kernel_points(struct sd_request *r, const struct mv_layout *l, const uint64_t *flags)
{
    int n = 0;
    char label[48];
    for (int i = 0; i < iomem.n; i++) {
        const struct mv_range *k = &iomem.r[i];
        if (k->depth != 1 || strncmp(k->name, "Kernel ", 7) != 0)
            continue;
        uint64_t first = k->start >> MV_PAGE_SHIFT, last = k->end >> MV_PAGE_SHIFT;
        const uint64_t pick[KERNEL_POINTS] = {first, (first + last) / 2, last};
        for (int j = 0; j < KERNEL_POINTS; j++) {
            if (!(flags[pick[j]] & MV_BIT(KPF_RESERVED)))
                continue;
            int x, y;
            mv_cell_xy(l, pick[j], &x, &y);
            snprintf(label, sizeof(label), "pfn_%#llx_kernel", (unsigned long long)pick[j]);
            sd_point(r, x, y, mv_kinds[MV_KERNEL].rgb, label);
            n++;
        }
    }
    return n;
}

/* One check for the cell of frame pfn (of RAM, or of the device strip). */
static void add_point(struct sd_request *r, const struct mv_layout *l, uint64_t pfn, enum mv_kind kind)
{
    char label[48];
    int x, y;
    if (pfn < l->ram_frames)
        mv_cell_xy(l, pfn, &x, &y);
    else
        mv_dev_cell_xy(l, pfn, &x, &y);
    snprintf(label, sizeof(label), "pfn_%#llx_%s", (unsigned long long)pfn, mv_kinds[kind].name);
    for (char *c = label; *c; c++)
        *c = *c == ' ' ? '_' : *c;
    sd_point(r, x, y, mv_kinds[kind].rgb, label);
}

static const char *memview_cells_on_screen(void)
{
    int fb = open("/dev/fb0", O_RDWR);
    if (fb < 0 && errno == ENOENT && !on_pagewise()) {
        out("# %s: no /dev/fb0 here: skipped\n", __func__);
        return PASS;
    }
    CHECK(fb >= 0, "open /dev/fb0: %s", errname(errno));
    struct fb_fix_screeninfo fix;
    int rc = ioctl(fb, FBIOGET_FSCREENINFO, &fix);
    close(fb);
    CHECK(rc == 0, "FBIOGET_FSCREENINFO: %s", errname(errno));
    CHECK(read_iomem() > 0, "memview's parser rejects /proc/iomem");
    struct mv_layout l;
    mv_layout_init(&l, mv_ram_end_pfn(&iomem), fix.smem_start >> MV_PAGE_SHIFT, fix.smem_len >> MV_PAGE_SHIFT);
    CHECK(l.fpc == 1, "%llu frames a cell: boot with at most 128 MiB", (unsigned long long)l.fpc);

    /* Our own pages: one private, one shared (MAP_SHARED anonymous). */
    volatile char *priv = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile char *shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(priv != MAP_FAILED && shared != MAP_FAILED, "mmap: %s", errname(errno));
    priv[0] = 1;
    shared[0] = 1;
    uint64_t priv_pfn = pfn_of((const void *)priv), shared_pfn = pfn_of((const void *)shared);
    CHECK(priv_pfn && shared_pfn && priv_pfn < l.ram_frames && shared_pfn < l.ram_frames, "no PFN for our pages");

    static uint64_t before[MV_COLS * MV_ROWS], after[MV_COLS * MV_ROWS];
    CHECK(l.ram_frames <= MV_COLS * MV_ROWS, "more RAM than one frame a cell shows");
    CHECK(read_kpage("/proc/kpageflags", before, l.ram_frames) == 0, "read /proc/kpageflags: %s", errname(errno));
    int st = run_memview_once();
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "memview --once %s", status_str(st));
    CHECK(read_kpage("/proc/kpageflags", after, l.ram_frames) == 0, "read /proc/kpageflags: %s", errname(errno));

    struct sd_request r;
    sd_begin(&r, "memview");
    int kernel = add_kernel_points(&r, &l, after);
    int free_blocks = add_free_points(&r, &l, before, after);
    CHECK(after[priv_pfn] & MV_BIT(KPF_ANON), "our private page's flags %#llx lack ANON",
          (unsigned long long)after[priv_pfn]);
    add_point(&r, &l, priv_pfn, MV_ANON);
    add_point(&r, &l, shared_pfn, MV_SHARED);
    add_point(&r, &l, l.dev_pfn, MV_ONSCREEN);
    add_point(&r, &l, l.dev_pfn + l.dev_frames - 1, MV_DEVICE);
    const char *why = sd_ask(&r);
    munmap((void *)priv, PAGE_SIZE);
    munmap((void *)shared, PAGE_SIZE);
    CHECK(kernel >= KERNEL_POINTS && free_blocks > 0, "only %d kernel image and %d whole free blocks to check", kernel,
          free_blocks);
    return why;
}

static const struct test tests[] = {
    TEST(memview_parse_linux),
    TEST(memview_cells_on_screen),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
