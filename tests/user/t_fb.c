/*
 * tests/user/t_fb.c - memory-mapped hardware: /dev/fb0 (drivers/fb.c) is
 * QEMU's PCI display, its video RAM ioremap'ed write-combining into the
 * kernel (mm/ioremap.c). Linux's fbdev interface: the mode and the memory
 * through FBIOGET_*SCREENINFO, bytes through read/write at an offset, and
 * Linux's errors at the end of the video RAM. /proc/iomem shows the BARs,
 * /proc/vmallocinfo the two ioremaps. mmap puts the video RAM itself into
 * the process (mm/pfnmap.c: a VM_IO | VM_PFNMAP VMA of device frames, no
 * struct page behind them): the tests prove the mapping reaches the device
 * (not a copy), is shared across fork, costs and frees no RAM, is refused
 * beyond the device, never reclaimed, and keeps its memory type. A
 * pattern stored through the mapping (half of it by a forked child) is
 * what the display shows: the host harness takes a screendump and checks
 * its pixels (screendump.h).
 *
 * Natively: most machines (and this build host) have no /dev/fb0; then the
 * cases say so and pass.
 */
#include "testlib.h"

#include "screendump.h"

#include <sched.h>
#include <sys/ioctl.h>

/* Linux's fbdev ABI (include/uapi/linux/fb.h; musl ships no linux/ headers). */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
#define FB_VISUAL_TRUECOLOR 2
struct fb_bitfield {
    uint32_t offset, length, msb_right;
};
struct fb_var_screeninfo {
    uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset, bits_per_pixel, grayscale;
    struct fb_bitfield red, green, blue, transp;
    uint32_t nonstd, activate, height, width, accel_flags, pixclock, left_margin, right_margin, upper_margin,
        lower_margin, hsync_len, vsync_len, sync, vmode, rotate, colorspace, reserved[4];
};
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

#define PATTERN_OFFSET (1 << 20)
#define PATTERN_BYTES 4096

static int open_fb(void) { return open("/dev/fb0", O_RDWR); }

#define SKIP_WITHOUT_FB(fd)                                                                                            \
    do {                                                                                                               \
        if ((fd) < 0 && errno == ENOENT && !on_pagewise()) {                                                           \
            out("# %s: no /dev/fb0 here: skipped\n", __func__);                                                       \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

static const char *fb_mode_and_memory(void)
{
    int fd = open_fb();
    SKIP_WITHOUT_FB(fd);
    CHECK(fd >= 0, "open /dev/fb0: %s", errname(errno));
    struct fb_var_screeninfo v;
    struct fb_fix_screeninfo x;
    int rv = ioctl(fd, FBIOGET_VSCREENINFO, &v), rx = ioctl(fd, FBIOGET_FSCREENINFO, &x);
    close(fd);
    CHECK(rv == 0 && rx == 0, "FBIOGET_VSCREENINFO/FSCREENINFO: %s", errname(errno));
    CHECK(v.bits_per_pixel == 32 && v.xres > 0 && v.yres > 0, "mode %ux%u, %u bpp", v.xres, v.yres, v.bits_per_pixel);
    CHECK(x.line_length == v.xres * 4, "line_length %u for %u pixels of 4 bytes", x.line_length, v.xres);
    CHECK(x.smem_len >= x.line_length * v.yres, "video RAM %u bytes, a screen needs %u", x.smem_len,
          x.line_length * v.yres);
    CHECK(x.visual == FB_VISUAL_TRUECOLOR, "visual %u, want TRUECOLOR", x.visual);
    if (on_pagewise())
        CHECK(v.xres == 640 && v.yres == 480 && v.red.offset == 16 && v.blue.offset == 0,
              "mode %ux%u red at %u: want 640x480 XRGB8888", v.xres, v.yres, v.red.offset);
    return PASS;
}

/* Bytes written to the video RAM read back; the end of it gives Linux's
 * errors (ENOSPC at the end, EFBIG beyond, 0 bytes read at the end). */
static const char *fb_write_read_back(void)
{
    int fd = open_fb();
    SKIP_WITHOUT_FB(fd);
    CHECK(fd >= 0, "open /dev/fb0: %s", errname(errno));
    struct fb_fix_screeninfo x;
    CHECK_OK(ioctl(fd, FBIOGET_FSCREENINFO, &x));
    static uint8_t out_buf[PATTERN_BYTES], in_buf[PATTERN_BYTES];
    for (int i = 0; i < PATTERN_BYTES; i++)
        out_buf[i] = (uint8_t)(i * 13 + 7);
    ssize_t w = pwrite(fd, out_buf, sizeof(out_buf), PATTERN_OFFSET);
    ssize_t r = pread(fd, in_buf, sizeof(in_buf), PATTERN_OFFSET);
    errno = 0;
    ssize_t at_end = pwrite(fd, out_buf, 1, x.smem_len);
    int e_end = errno;
    errno = 0;
    ssize_t beyond = pwrite(fd, out_buf, 1, (off_t)x.smem_len + 1);
    int e_beyond = errno;
    ssize_t read_end = pread(fd, in_buf, 1, x.smem_len);
    close(fd);
    CHECK(w == PATTERN_BYTES && r == PATTERN_BYTES, "write %zd, read %zd bytes", w, r);
    CHECK(memcmp(out_buf, in_buf, PATTERN_BYTES) == 0, "the video RAM did not keep what we wrote");
    CHECK(at_end == -1 && e_end == ENOSPC, "a write at the end: %zd (%s), want ENOSPC", at_end, errname(e_end));
    CHECK(beyond == -1 && e_beyond == EFBIG, "a write beyond the end: %zd (%s), want EFBIG", beyond, errname(e_beyond));
    CHECK(read_end == 0, "a read at the end returned %zd, want 0", read_end);
    return PASS;
}

/* The BARs in /proc/iomem, the display's two ioremaps in /proc/vmallocinfo
 * (Pagewise's names; Linux's drivers name them differently). The local
 * APIC and the IO-APIC have theirs too, made by other callers. */
static const char *fb_iomem_and_ioremap(void)
{
    if (!on_pagewise()) {
        out("# %s: the names are Pagewise's: skipped\n", __func__);
        return PASS;
    }
    static char text[16384];
    CHECK(slurp("/proc/iomem", text, sizeof(text)) > 0, "read /proc/iomem: %s", errname(errno));
    CHECK(strstr(text, "PCI display 1234:1111 video RAM") && strstr(text, "PCI display 1234:1111 registers"),
          "/proc/iomem does not show the display's BARs");
    CHECK(slurp("/proc/vmallocinfo", text, sizeof(text)) > 0, "read /proc/vmallocinfo: %s", errname(errno));
    int ioremaps = 0;
    for (const char *p = text; (p = strstr(p, " ioremap\n")); p++) {
        const char *line = p;
        while (line > text && line[-1] != '\n')
            line--;
        ioremaps += strstr(line, " fb_") != NULL && strstr(line, " fb_") < p;
    }
    CHECK(ioremaps == 2, "%d ioremap lines by fb_* in /proc/vmallocinfo, want 2 (video RAM, registers)", ioremaps);
    return PASS;
}

/* ---- mmap of /dev/fb0 ---- */

#define SCREEN_PATTERN_WORDS 1024
#define BOCHS_DISPI_ID_REG 0x500      /* the first DISPI register in the register window */
#define BOCHS_DISPI_ID_MASK 0xfff0    /* IDs 0xB0C0 .. 0xB0C5 */
#define BOCHS_DISPI_ID_BASE 0xb0c0
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)
#define PTE_PWT_BIT 0x8ull
#define PTE_PCD_BIT 0x10ull
#define PTE_ADDR_BITS 0x000ffffffffff000ull
#define MEMFREE_SLACK_KB 256 /* page tables for 16 MiB (a few frames) and the test's own pages */

struct fbmap {
    int fd;
    uint8_t *p;
    size_t len;
    struct fb_fix_screeninfo fix;
};

/* Open /dev/fb0 with flags and map len bytes at off (0: all the video RAM)
 * with prot/MAP_SHARED. m->p is MAP_FAILED (errno set) on failure. */
static int fb_map(struct fbmap *m, int flags, size_t len, off_t off, int prot)
{
    m->p = MAP_FAILED;
    m->fd = open("/dev/fb0", flags);
    if (m->fd < 0)
        return -1;
    if (ioctl(m->fd, FBIOGET_FSCREENINFO, &m->fix) != 0)
        return -1;
    m->len = len ? len : m->fix.smem_len;
    m->p = mmap(NULL, m->len, prot, MAP_SHARED, m->fd, off);
    return m->p == MAP_FAILED ? -1 : 0;
}

static void fb_unmap(struct fbmap *m)
{
    if (m->p != MAP_FAILED)
        munmap(m->p, m->len);
    if (m->fd >= 0)
        close(m->fd);
}

#define SKIP_WITHOUT_FB_MAP(m)                                                                                         \
    do {                                                                                                               \
        if ((m)->fd < 0 && errno == ENOENT && !on_pagewise()) {                                                        \
            out("# %s: no /dev/fb0 here: skipped\n", __func__);                                                       \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

/* Write-combining: stores may wait in the CPU's WC buffers; a fence sends
 * them before anyone else (read(2), another process) looks. */
static void wc_flush(void) { __sync_synchronize(); }

static void fill_words(volatile uint32_t *w, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++)
        w[i] = seed ^ (uint32_t)(i * 2654435761u);
    wc_flush();
}

static int words_match(const volatile uint32_t *w, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++)
        if (w[i] != (seed ^ (uint32_t)(i * 2654435761u)))
            return 0;
    return 1;
}

/* What the mapping writes, read(2) of /dev/fb0 reads at the same offset,
 * and what write(2) puts there, the mapping shows: one memory, the
 * device's, not a copy. Last page of the video RAM too. */
static const char *fb_mmap_reaches_video_ram(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 0, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    static uint32_t buf[SCREEN_PATTERN_WORDS];
    size_t offs[] = {0, PATTERN_OFFSET + 64, m.len - sizeof(buf)};
    const char *why = PASS;
    for (unsigned i = 0; i < 3 && !why; i++) {
        volatile uint32_t *w = (volatile uint32_t *)(m.p + offs[i]);
        fill_words(w, SCREEN_PATTERN_WORDS, 0x5a5a0000u + i);
        if (pread(m.fd, buf, sizeof(buf), (off_t)offs[i]) != (ssize_t)sizeof(buf))
            why = FAIL("pread at %#zx: %s", offs[i], errname(errno));
        else if (!words_match(buf, SCREEN_PATTERN_WORDS, 0x5a5a0000u + i))
            why = FAIL("read(2) at %#zx does not see what the mapping wrote", offs[i]);
        fill_words(buf, SCREEN_PATTERN_WORDS, 0xc3c30000u + i);
        if (!why && pwrite(m.fd, buf, sizeof(buf), (off_t)offs[i]) != (ssize_t)sizeof(buf))
            why = FAIL("pwrite at %#zx: %s", offs[i], errname(errno));
        else if (!why && !words_match(w, SCREEN_PATTERN_WORDS, 0xc3c30000u + i))
            why = FAIL("the mapping at %#zx does not see what write(2) wrote", offs[i]);
    }
    if (!why)
        why = check_vmcheck(); /* with 4096 device PTEs mapped */
    static char text[4096];
    if (!why && on_pagewise() && slurp("/proc/vmcheck", text, sizeof(text)) > 0)
        out("# %s", text);
    fb_unmap(&m);
    return why;
}

/* fork: the child's inherited mapping is the same device memory, shared
 * both ways (no copy-on-write: a copy would hide the child's writes). */
static const char *fb_mmap_fork_shares(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 0, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    volatile uint32_t *w = (volatile uint32_t *)(m.p + PATTERN_OFFSET);
    fill_words(w, SCREEN_PATTERN_WORDS, 0x11110000u);
    pid_t pid = fork_child();
    if (pid == 0) {
        if (!words_match(w, SCREEN_PATTERN_WORDS, 0x11110000u))
            _exit(2); /* the child does not see what the parent wrote */
        fill_words(w, SCREEN_PATTERN_WORDS, 0x22220000u);
        _exit(0);
    }
    int st = wait_for(pid);
    const char *why = PASS;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        why = FAIL("the child %s (2: it did not see the parent's pattern)", status_str(st));
    else if (!words_match(w, SCREEN_PATTERN_WORDS, 0x22220000u))
        why = FAIL("the parent does not see what the child wrote through its inherited mapping");
    fb_unmap(&m);
    return why;
}

/* Device frames are not RAM: mapping 16 MiB and writing all of it takes
 * no frame and adds nothing to VmRSS; munmap, and the exit of a child that
 * still maps it, give no frame to the allocator (MemFree grows by no more
 * than the page tables). */
static int map_touch_and_exit(void)
{
    struct fbmap m;
    if (fb_map(&m, O_RDWR, 0, 0, PROT_READ | PROT_WRITE) != 0)
        return 1;
    memset(m.p, 0x40, m.len);
    wc_flush();
    return 0; /* exit with the mapping in place */
}

static const char *fb_mmap_frees_nothing(void)
{
    long long free0 = meminfo_kb("MemFree");
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 0, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    char status[4096];
    long long rss0 = -1, rss1 = -1;
    slurp("/proc/self/status", status, sizeof(status));
    text_field(status, "VmRSS", &rss0);
    memset(m.p, 0x20, m.len);
    wc_flush();
    long long free1 = meminfo_kb("MemFree");
    slurp("/proc/self/status", status, sizeof(status));
    text_field(status, "VmRSS", &rss1);
    fb_unmap(&m);
    long long free2 = meminfo_kb("MemFree");
    int st = run_in_child(map_touch_and_exit);
    long long free3 = meminfo_kb("MemFree");
    CHECK_EXITED(st, 0);
    long long video_kb = (long long)m.len / 1024;
    CHECK(free0 - free1 < MEMFREE_SLACK_KB, "mapping and writing %lld kB of video RAM took %lld kB of RAM", video_kb,
          free0 - free1);
    CHECK(rss1 - rss0 < MEMFREE_SLACK_KB, "VmRSS grew by %lld kB: device frames are not resident RAM", rss1 - rss0);
    CHECK(free2 - free0 < MEMFREE_SLACK_KB, "munmap freed %lld kB: device frames went to the allocator",
          free2 - free0);
    CHECK(free3 - free2 < MEMFREE_SLACK_KB && free2 - free3 < MEMFREE_SLACK_KB,
          "a child's exit with the video RAM mapped moved MemFree by %lld kB", free3 - free2);
    return PASS;
}

/* Linux's fb_mmap: the video RAM from offset 0, the registers from the
 * page after it; a range not wholly in one of them, an unaligned offset,
 * a zero length: EINVAL. Write access needs the file open for writing. */
static const char *fb_mmap_bad_ranges(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, PAGE_SIZE, 0, PROT_READ);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    off_t smem = (off_t)m.fix.smem_len, mmio = (smem + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    struct {
        size_t len;
        off_t off;
        const char *what;
    } bad[] = {
        {m.fix.smem_len + PAGE_SIZE, 0, "longer than the video RAM"},
        {2 * PAGE_SIZE, smem - PAGE_SIZE, "across the end of the video RAM"},
        {PAGE_SIZE, mmio + (off_t)((m.fix.mmio_len + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE),
         "past the registers"},
        {PAGE_SIZE, (off_t)1 << 40, "far beyond the device"},
        {PAGE_SIZE, 1, "an unaligned offset"},
        {0, 0, "a zero length"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        void *p = mmap(NULL, bad[i].len, PROT_READ, MAP_SHARED, m.fd, bad[i].off);
        int e = errno;
        if (p != MAP_FAILED)
            munmap(p, bad[i].len);
        CHECK(p == MAP_FAILED && e == EINVAL, "mmap %s (len %#zx off %#llx): %s, want EINVAL", bad[i].what,
              bad[i].len, (long long)bad[i].off, p == MAP_FAILED ? errname(e) : "mapped");
    }
    void *last = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, m.fd, smem - PAGE_SIZE);
    CHECK(last != MAP_FAILED, "mmap of the last page of the video RAM: %s", errname(errno));
    munmap(last, PAGE_SIZE);
    fb_unmap(&m);
    int ro = open("/dev/fb0", O_RDONLY);
    CHECK(ro >= 0, "open /dev/fb0 read-only: %s", errname(errno));
    errno = 0;
    void *w = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    int ew = errno;
    void *rd = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, ro, 0);
    int ep = rd == MAP_FAILED ? 0 : mprotect(rd, PAGE_SIZE, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
    if (rd != MAP_FAILED)
        munmap(rd, PAGE_SIZE);
    close(ro);
    CHECK(w == MAP_FAILED && ew == EACCES, "a writable shared mapping of a read-only fd: %s, want EACCES",
          w == MAP_FAILED ? errname(ew) : "mapped");
    CHECK(rd != MAP_FAILED && ep == EACCES, "a read-only mapping of a read-only fd made writable: %s, want EACCES",
          errname(ep));
    return PASS;
}

/* Past the video RAM lie the registers (Linux's fb_mmap): the first DISPI
 * register read by an ordinary load is the adapter's ID (0xB0Cx), the
 * register window's page uncached. MAP_PRIVATE maps the device too, read
 * only; Pagewise refuses a writable private mapping (Linux would copy the
 * page on the first write: mm/pfnmap.c says why not). */
static const char *fb_mmap_registers_and_private(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, PAGE_SIZE, 0, PROT_READ);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    off_t mmio = ((off_t)m.fix.smem_len + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    volatile uint16_t *regs = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, m.fd, mmio);
    CHECK(regs != MAP_FAILED, "mmap of the register window at %#llx: %s", (long long)mmio, errname(errno));
    uint16_t id = regs[BOCHS_DISPI_ID_REG / 2];
    munmap((void *)regs, PAGE_SIZE);
    if (on_pagewise())
        CHECK((id & BOCHS_DISPI_ID_MASK) == BOCHS_DISPI_ID_BASE, "DISPI ID register reads %#x, want 0xB0Cx", id);
    static uint32_t buf[SCREEN_PATTERN_WORDS];
    fill_words(buf, SCREEN_PATTERN_WORDS, 0x77770000u);
    CHECK(pwrite(m.fd, buf, sizeof(buf), PATTERN_OFFSET) == (ssize_t)sizeof(buf), "pwrite: %s", errname(errno));
    uint32_t *priv = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, m.fd, PATTERN_OFFSET);
    CHECK(priv != MAP_FAILED, "a read-only MAP_PRIVATE mapping: %s", errname(errno));
    int same = words_match(priv, SCREEN_PATTERN_WORDS, 0x77770000u);
    munmap(priv, PAGE_SIZE);
    CHECK(same, "a MAP_PRIVATE mapping does not show the video RAM");
    if (on_pagewise()) {
        errno = 0;
        void *pw = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, m.fd, 0);
        int e = errno;
        if (pw != MAP_FAILED)
            munmap(pw, PAGE_SIZE);
        CHECK(pw == MAP_FAILED && e == EINVAL, "a writable MAP_PRIVATE mapping: %s, want EINVAL",
              pw == MAP_FAILED ? errname(e) : "mapped");
    }
    fb_unmap(&m);
    return PASS;
}

/* The maps line names /dev/fb0 with its offset, shared; pagemap shows the
 * device pages as a hole (Linux's page walker skips VM_PFNMAP VMAs: not
 * present, no PFN; Linux may set the soft-dirty bit 55). On Pagewise the
 * raw PTE (/sys/kernel/debug/pagewalk) holds the BAR's frame and the
 * write-combining bits: PWT, not PCD. */
static const char *fb_mmap_maps_and_pagemap(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 4 * PAGE_SIZE, PATTERN_OFFSET, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    m.p[0] = 1;
    wc_flush();
    static char maps[16384];
    char want[64];
    snprintf(want, sizeof(want), "%lx-%lx rw-s %08x ", (unsigned long)m.p, (unsigned long)(m.p + m.len),
             PATTERN_OFFSET);
    long n = slurp("/proc/self/maps", maps, sizeof(maps));
    char *line = n > 0 ? strstr(maps, want) : NULL;
    char *eol = line ? strchr(line, '\n') : NULL;
    if (eol)
        *eol = '\0';
    uint64_t pm = 0;
    int pfd = open("/proc/self/pagemap", O_RDONLY);
    ssize_t got = pfd >= 0 ? pread(pfd, &pm, sizeof(pm), (off_t)((uintptr_t)m.p / PAGE_SIZE) * 8) : -1;
    if (pfd >= 0)
        close(pfd);
    uint64_t pte[4] = {0};
    ssize_t pw = -1;
    if (on_pagewise()) {
        int wfd = open("/sys/kernel/debug/pagewalk", O_RDONLY);
        pw = wfd >= 0 ? pread(wfd, pte, sizeof(pte), (off_t)((uintptr_t)m.p >> 12) * (off_t)sizeof(pte)) : -1;
        if (wfd >= 0)
            close(wfd);
    }
    unsigned long smem = m.fix.smem_start;
    fb_unmap(&m);
    CHECK(line, "no line \"%s...\" in /proc/self/maps", want);
    CHECK(strstr(line, "/dev/fb0"), "the maps line does not name /dev/fb0: %s", line);
    CHECK(got == 8, "pread /proc/self/pagemap: %s", errname(errno));
    CHECK(!(pm & PAGEMAP_PRESENT) && !(pm & PAGEMAP_PFN_MASK), "pagemap entry %#llx: want a hole (no present bit, no PFN)",
          (unsigned long long)pm);
    if (on_pagewise()) {
        CHECK(pw == (ssize_t)sizeof(pte), "pread /sys/kernel/debug/pagewalk: %s", errname(errno));
        CHECK((pte[3] & PTE_ADDR_BITS) == smem + PATTERN_OFFSET, "the PTE %#llx maps %#llx, want the BAR's %#lx",
              (unsigned long long)pte[3], (unsigned long long)(pte[3] & PTE_ADDR_BITS), smem + PATTERN_OFFSET);
        CHECK((pte[3] & (PTE_PWT_BIT | PTE_PCD_BIT)) == PTE_PWT_BIT, "the PTE %#llx: want PWT (write-combining), no PCD",
              (unsigned long long)pte[3]);
    }
    return PASS;
}

/* MADV_DONTNEED and MADV_PAGEOUT refuse device memory (EINVAL, as Linux's
 * can_madv_lru_vma) and leave it mapped with its contents. */
static const char *fb_mmap_madvise_refused(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 16 * PAGE_SIZE, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    volatile uint32_t *w = (volatile uint32_t *)m.p;
    fill_words(w, SCREEN_PATTERN_WORDS, 0x33330000u);
    errno = 0;
    int d = madvise(m.p, m.len, MADV_DONTNEED);
    int ed = errno;
    errno = 0;
    int po = madvise(m.p, m.len, MADV_PAGEOUT);
    int ep = errno;
    int kept = words_match(w, SCREEN_PATTERN_WORDS, 0x33330000u);
    const char *vm = check_vmcheck();
    fb_unmap(&m);
    CHECK(d == -1 && ed == EINVAL, "MADV_DONTNEED on the video RAM: %s, want EINVAL", d ? errname(ed) : "done");
    CHECK(po == -1 && ep == EINVAL, "MADV_PAGEOUT on the video RAM: %s, want EINVAL", po ? errname(ep) : "done");
    CHECK(kept, "the video RAM lost its contents after madvise");
    return vm;
}

/* mprotect to read-only: a write is a SIGSEGV for that process alone (a
 * child here); the parent's mapping of the same frames stays writable;
 * through PROT_NONE (the PTEs kept, not present) and back to read-write
 * the PTEs keep the write-combining type. */
static volatile uint32_t *child_words;

static int write_after_mprotect(void)
{
    if (mprotect((void *)child_words, PAGE_SIZE, PROT_READ) != 0)
        return 3;
    child_words[0] = 0xdead;
    return 4; /* the write went through */
}

static const char *fb_mmap_mprotect(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 4 * PAGE_SIZE, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    child_words = (volatile uint32_t *)m.p;
    child_words[0] = 0x1234;
    wc_flush();
    int st = run_in_child(write_after_mprotect);
    child_words[1] = 0x5678; /* the parent still may */
    int rp = mprotect(m.p, m.len, PROT_READ);
    const char *vm_none = mprotect(m.p, m.len, PROT_NONE) == 0 ? check_vmcheck() : "mprotect(PROT_NONE) failed";
    int rw = mprotect(m.p, m.len, PROT_READ | PROT_WRITE);
    child_words[2] = 0x9abc;
    wc_flush();
    uint64_t pte[4] = {0};
    if (on_pagewise()) {
        int wfd = open("/sys/kernel/debug/pagewalk", O_RDONLY);
        if (wfd >= 0) {
            if (pread(wfd, pte, sizeof(pte), (off_t)((uintptr_t)m.p >> 12) * (off_t)sizeof(pte)) != sizeof(pte))
                pte[3] = 0;
            close(wfd);
        }
    }
    uint32_t v0 = child_words[0], v1 = child_words[1], v2 = child_words[2];
    const char *vm = check_vmcheck();
    fb_unmap(&m);
    CHECK_KILLED_BY(st, SIGSEGV);
    CHECK(v0 == 0x1234 && v1 == 0x5678 && v2 == 0x9abc, "words %#x %#x %#x, want 0x1234 0x5678 0x9abc", v0, v1, v2);
    CHECK(rp == 0 && rw == 0, "mprotect: %s", errname(errno));
    CHECK(vm_none == PASS, "with the device mapping PROT_NONE: %s", vm_none);
    if (on_pagewise())
        CHECK((pte[3] & (PTE_PWT_BIT | PTE_PCD_BIT | 2)) == (PTE_PWT_BIT | 2),
              "after mprotect the PTE is %#llx: want writable and PWT (write-combining) still",
              (unsigned long long)pte[3]);
    return vm;
}

/* munmap of the middle of a mapping: both halves still reach the device
 * at their own offsets (the upper VMA's frames move with the split). */
static const char *fb_mmap_partial_unmap(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 8 * PAGE_SIZE, PATTERN_OFFSET, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    CHECK_OK(munmap(m.p + 2 * PAGE_SIZE, 3 * PAGE_SIZE));
    fill_words((volatile uint32_t *)(m.p + 6 * PAGE_SIZE), SCREEN_PATTERN_WORDS, 0x44440000u);
    fill_words((volatile uint32_t *)(m.p + PAGE_SIZE), SCREEN_PATTERN_WORDS, 0x55550000u);
    static uint32_t hi[SCREEN_PATTERN_WORDS], lo[SCREEN_PATTERN_WORDS];
    ssize_t a = pread(m.fd, hi, sizeof(hi), PATTERN_OFFSET + 6 * PAGE_SIZE);
    ssize_t b = pread(m.fd, lo, sizeof(lo), PATTERN_OFFSET + PAGE_SIZE);
    const char *vm = check_vmcheck();
    munmap(m.p, 2 * PAGE_SIZE);
    munmap(m.p + 5 * PAGE_SIZE, 3 * PAGE_SIZE);
    close(m.fd);
    CHECK(a == (ssize_t)sizeof(hi) && b == (ssize_t)sizeof(lo), "pread: %s", errname(errno));
    CHECK(words_match(hi, SCREEN_PATTERN_WORDS, 0x44440000u), "the upper half does not reach its own offset");
    CHECK(words_match(lo, SCREEN_PATTERN_WORDS, 0x55550000u), "the lower half does not reach its own offset");
    return vm;
}

/* The test pattern: eight bars in the top half, a checkerboard of
 * CHECKER-pixel squares in the bottom half, and each corner pixel its own
 * colour (a wrong stride or an off-by-one moves them). */
#define SCREEN_W 640
#define SCREEN_H 480
#define BARS 8
#define CHECKER 16
static const uint32_t bar_rgb[BARS] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x202020};
#define CHECK_A 0x102040
#define CHECK_B 0xe0c080
static const uint32_t corner_rgb[4] = {0x010203, 0x040506, 0x070809, 0x0a0b0c}; /* TL TR BL BR */

static uint32_t pattern_pixel(int x, int y)
{
    if (x == 0 && y == 0)
        return corner_rgb[0];
    if (x == SCREEN_W - 1 && y == 0)
        return corner_rgb[1];
    if (x == 0 && y == SCREEN_H - 1)
        return corner_rgb[2];
    if (x == SCREEN_W - 1 && y == SCREEN_H - 1)
        return corner_rgb[3];
    if (y < SCREEN_H / 2)
        return bar_rgb[x / (SCREEN_W / BARS)];
    return ((x / CHECKER) + (y / CHECKER)) % 2 ? CHECK_B : CHECK_A;
}

/* The pattern, stored pixel by pixel through the mapping: the top half
 * by us, the bottom half by a forked child through its inherited mapping.
 * The screendump shows both halves: the stores reached the device, and
 * the child's mapping is the same device memory. */
static void draw_rows(volatile uint32_t *px, unsigned stride, int y0, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < SCREEN_W; x++)
            px[(unsigned)y * stride + (unsigned)x] = pattern_pixel(x, y);
    wc_flush();
}

static volatile uint32_t *pattern_px;
static unsigned pattern_stride;

static int child_draws_bottom_half(void)
{
    draw_rows(pattern_px, pattern_stride, SCREEN_H / 2, SCREEN_H);
    return 0;
}

static const char *fb_pattern_on_screen(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 0, 0, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    pattern_px = (volatile uint32_t *)m.p;
    pattern_stride = m.fix.line_length / sizeof(uint32_t);
    draw_rows(pattern_px, pattern_stride, 0, SCREEN_H / 2);
    int st = run_in_child(child_draws_bottom_half);
    fb_unmap(&m);
    CHECK_EXITED(st, 0);
    struct sd_request req;
    char label[32];
    sd_begin(&req, "fb_pattern");
    for (int b = 0; b < BARS; b++) {
        snprintf(label, sizeof(label), "bar%d", b);
        sd_point(&req, b * (SCREEN_W / BARS) + SCREEN_W / BARS / 2, SCREEN_H / 4, bar_rgb[b], label);
        sd_point(&req, b * (SCREEN_W / BARS), 1, bar_rgb[b], label); /* each bar's first column */
    }
    const int checks[][2] = {{CHECKER / 2, SCREEN_H / 2 + CHECKER / 2},
                             {CHECKER + 1, SCREEN_H / 2 + 1},
                             {SCREEN_W - 2, SCREEN_H - 2},
                             {SCREEN_W / 2 + CHECKER, SCREEN_H - CHECKER - 1}};
    for (int i = 0; i < 4; i++)
        sd_point(&req, checks[i][0], checks[i][1], pattern_pixel(checks[i][0], checks[i][1]), "checker_by_child");
    const int corners[4][2] = {{0, 0}, {SCREEN_W - 1, 0}, {0, SCREEN_H - 1}, {SCREEN_W - 1, SCREEN_H - 1}};
    for (int i = 0; i < 4; i++)
        sd_point(&req, corners[i][0], corners[i][1], corner_rgb[i], i < 2 ? "corner" : "corner_by_child");
    return sd_ask(&req);
}

/* The kernel reaching device memory for a process: read(2) into a buffer
 * that is the mapping itself and write(2) from it go through the user's
 * page tables (copy_to_user, copy_from_user); clone's CLONE_CHILD_SETTID
 * into the mapping stores the child's tid there, as the child's own store
 * on Linux. /proc/kpageflags has no word for the BAR's frames beyond RAM
 * (Linux: reading stops at max_pfn), or (RAM above 4 GiB: the BAR in a
 * hole of the frame table) calls them no page or reserved, never a user
 * page. */
#define KPF_NOT_RAM (1ull << 20 | 1ull << 32) /* KPF_NOPAGE, KPF_RESERVED (a hole inside the frame table) */
#define KPF_USER_PAGE (1ull << 5 | 1ull << 11 | 1ull << 12) /* KPF_LRU, KPF_MMAP, KPF_ANON */

static int clone_settid_child(volatile uint32_t *ctid)
{
    long pid = syscall(SYS_clone, CLONE_CHILD_SETTID | SIGCHLD, 0, NULL, ctid, 0);
    if (pid == 0)
        _exit(*ctid == (uint32_t)syscall(SYS_gettid) ? 0 : 5);
    if (pid < 0)
        return -1;
    int st = wait_for((pid_t)pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static const char *fb_mmap_kernel_access(void)
{
    struct fbmap m;
    int r = fb_map(&m, O_RDWR, 2 * PAGE_SIZE, PATTERN_OFFSET, PROT_READ | PROT_WRITE);
    SKIP_WITHOUT_FB_MAP(&m);
    CHECK(r == 0, "map /dev/fb0: %s", errname(errno));
    static char version[256];
    long vlen = slurp("/proc/version", version, sizeof(version));
    int vfd = open("/proc/version", O_RDONLY);
    ssize_t got = vfd >= 0 ? read(vfd, m.p, PAGE_SIZE) : -1; /* the kernel writes the video RAM */
    if (vfd >= 0)
        close(vfd);
    wc_flush();
    static char back[256];
    ssize_t back_n = pread(m.fd, back, sizeof(back), PATTERN_OFFSET);
    ssize_t w = pwrite(m.fd, m.p, 64, PATTERN_OFFSET + PAGE_SIZE); /* ... and reads it */
    int same = got == vlen && vlen > 0 && memcmp(back, version, (size_t)vlen) == 0;
    int same2 = vlen > 0 && memcmp(m.p + PAGE_SIZE, version, (size_t)(vlen < 64 ? vlen : 64)) == 0;
    volatile uint32_t *ctid = (volatile uint32_t *)(m.p + PAGE_SIZE + 128);
    *ctid = 0;
    int cl = clone_settid_child(ctid);
    uint64_t kpf = 0;
    ssize_t kn = -2;
    int kfd = open("/proc/kpageflags", O_RDONLY);
    if (kfd >= 0) {
        kn = pread(kfd, &kpf, sizeof(kpf), (off_t)(m.fix.smem_start / PAGE_SIZE) * 8);
        close(kfd);
    }
    const char *vm = check_vmcheck();
    fb_unmap(&m);
    CHECK(back_n == (ssize_t)sizeof(back) && same, "read(2) into the mapping: %zd bytes, /dev/fb0 %s them", got,
          same ? "has" : "does not have");
    CHECK(w == 64 && same2, "write(2) from the mapping: %zd bytes, %s", w, same2 ? "kept" : "not what it held");
    CHECK(cl == 0, "clone(CLONE_CHILD_SETTID) into the video RAM: the child %s",
          cl == 5 ? "did not find its tid there" : "failed");
    CHECK(kn == 0 || (kn == 8 && (kpf & KPF_NOT_RAM) && !(kpf & KPF_USER_PAGE)),
          "/proc/kpageflags at the BAR's frame: %zd bytes, flags %#llx: want none, or KPF_NOPAGE/RESERVED", kn,
          (unsigned long long)kpf);
    return vm;
}

static const struct test tests[] = {
    TEST(fb_mode_and_memory),
    TEST(fb_write_read_back),
    TEST(fb_iomem_and_ioremap),
    TEST(fb_mmap_reaches_video_ram),
    TEST(fb_mmap_fork_shares),
    TEST(fb_mmap_frees_nothing),
    TEST(fb_mmap_bad_ranges),
    TEST(fb_mmap_registers_and_private),
    TEST(fb_mmap_maps_and_pagemap),
    TEST(fb_mmap_madvise_refused),
    TEST(fb_mmap_mprotect),
    TEST(fb_mmap_partial_unmap),
    TEST(fb_mmap_kernel_access),
    TEST(fb_pattern_on_screen), /* last: the others write to the screen too */
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
