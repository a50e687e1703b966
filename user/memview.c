/*
 * user/memview.c - demo: physical memory, frame by frame, on the screen.
 *
 *   memview                 redraw /dev/fb0 every 200 ms until killed
 *                           (`memview &`, then run swapdemo, cow, shmdemo)
 *   memview --once          draw once and exit
 *   memview --interval MS   redraw every MS milliseconds
 *   memview --text          print the numbers instead (no /dev/fb0 needed:
 *                           on Linux, as root)
 *
 * One small square (a cell) per 4 KiB frame of RAM, PFN 0 top left, 256 a
 * row (1 MiB), coloured by what the kernel uses the frame for: free, the
 * kernel's image, page tables, kmalloc slabs, a process's private page,
 * a program file's page, a shared page, a page with a copy on swap, a
 * page the disk is reading or writing. Below the grid: the framebuffer's
 * own frames, which are not RAM at all but the display's video memory
 * (a PCI BAR, far above RAM in the physical address space); a legend
 * with the frames of each kind; on the right, counters from /proc/meminfo
 * and /proc/vmstat. Run it in the background and watch a demo: swapdemo
 * turns free frames blue, then pink (swap cache) as pages come back.
 *
 * Where the picture goes: /dev/fb0 is mapped into this process
 * (mmap MAP_SHARED), so the screen is an array of pixels in our address
 * space, and `px[y * stride + x] = colour` is an ordinary store that the
 * MMU sends to the device's memory instead of RAM (the PTE holds the
 * video RAM's frame number; docs/mmio.md).
 *
 * Where the colours come from: only Linux interfaces (user/memview.h),
 * so the same binary runs on Linux as root: /proc/iomem for where RAM
 * and the kernel image are, /proc/kpageflags and /proc/kpagecount for
 * each frame (Documentation/admin-guide/mm/pagemap.rst), FBIOGET_*SCREENINFO
 * for the display. Root only, as on Linux.
 *
 * Kernel code: mm/kpageflags.c (the flags), mm/pmm.c pmm_report_iomem,
 * drivers/fb.c (the display), mm/ioremap.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "font5x7.h"
#include "memview.h"

/* Linux's fbdev ABI (include/uapi/linux/fb.h; musl ships no linux/ headers). */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
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

#define DEFAULT_INTERVAL_MS 200
#define KPAGE_CHUNK 512 /* words per pread of /proc/kpageflags */
#define KPAGE_WORD 8
#define NOT_DRAWN 0xff /* a cell's shown kind before the first draw */
#define PROC_TEXT_MAX 16384
#define TEXT_SLOTS 64
#define TEXT_MAX 96
#define RIGHT_X (MV_GRID_X + MV_COLS * MV_CELL + 8)
#define LEGEND_Y (MV_DEV_Y + MV_DEV_ROWS * MV_CELL + 10)
#define LEGEND_ROWS 5
#define LEGEND_COL_W 210
#define LEGEND_BOX 7
#define STATUS_Y (LEGEND_Y + LEGEND_ROWS * (FONT_LINE + 2) + 8)
#define SCALE_EVERY_ROWS 16 /* a MiB label every 16 rows */
#define MS_NS 1000000L

struct screen {
    uint32_t *px;    /* the mapping of /dev/fb0: pixel (x, y) is px[y * stride + x] */
    unsigned stride; /* pixels from one line to the next */
    size_t len;      /* bytes mapped */
    int fd;
    uint64_t vram_phys, vram_len, visible_len;
};

static struct screen scr;
static struct mv_iomem iomem;
static struct mv_layout layout;
static uint64_t frames_of[MV_NKINDS];   /* frames of each kind in the last scan */
static uint8_t *cell_kind, *cell_shown; /* per cell: this scan's kind, the kind on screen */
static uint64_t ram_cells, dev_cells;
static char text_shown[TEXT_SLOTS][TEXT_MAX]; /* what each text slot shows now */

/* The counters on the right: a /proc file, a field, the unit shown. */
static const struct counter {
    const char *file, *field, *unit;
} counters[] = {
    {"/proc/meminfo", "MemTotal", "kB"},     {"/proc/meminfo", "MemFree", "kB"},
    {"/proc/meminfo", "Committed_AS", "kB"}, {"/proc/meminfo", "Shmem", "kB"},
    {"/proc/meminfo", "PageTables", "kB"},   {"/proc/meminfo", "Slab", "kB"},
    {"/proc/meminfo", "SwapTotal", "kB"},    {"/proc/meminfo", "SwapFree", "kB"},
    {"/proc/meminfo", "SwapCached", "kB"},   {"/proc/vmstat", "pgfault", ""},
    {"/proc/vmstat", "pgmajfault", ""},      {"/proc/vmstat", "pswpout", ""},
    {"/proc/vmstat", "pswpin", ""},          {"/proc/vmstat", "cow_fault", ""},
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))
enum {
    SLOT_TITLE,
    SLOT_DEVICE,
    SLOT_STATUS,
    SLOT_NOTE,
    SLOT_SCALE,
    SLOT_LEGEND = SLOT_SCALE + 16,
    SLOT_COUNTER = SLOT_LEGEND + MV_NKINDS
};

/* ---- reading Linux's files ---- */

/* The whole of a small /proc file, NUL-terminated; -1 on an error. */
static long slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

/* The number after "name:" (meminfo) or "name " (vmstat) at a line's start; -1 if absent. */
static long long proc_field(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
        if (strncmp(l, name, len) == 0 && (l[len] == ':' || l[len] == ' '))
            return strtoll(l + len + 1, NULL, 10);
    return -1;
}

/* Every RAM frame's kind, into cell_kind (the most common kind among a
 * cell's frames) and frames_of. Returns 0, or -errno if the kpage files
 * cannot be read (not root). */
static int scan_ram(void)
{
    static uint64_t flags[KPAGE_CHUNK], counts[KPAGE_CHUNK];
    int ff = open("/proc/kpageflags", O_RDONLY), fc = open("/proc/kpagecount", O_RDONLY);
    if (ff < 0 || fc < 0) {
        int e = errno;
        close(ff), close(fc);
        return -e;
    }
    struct mv_scan s = {.io = &iomem};
    uint64_t votes[MV_NKINDS] = {0};
    memset(frames_of, 0, sizeof(frames_of));
    for (uint64_t pfn = 0; pfn < layout.ram_frames; pfn += KPAGE_CHUNK) {
        uint64_t n = layout.ram_frames - pfn < KPAGE_CHUNK ? layout.ram_frames - pfn : KPAGE_CHUNK;
        ssize_t a = pread(ff, flags, n * KPAGE_WORD, (off_t)(pfn * KPAGE_WORD));
        ssize_t b = pread(fc, counts, n * KPAGE_WORD, (off_t)(pfn * KPAGE_WORD));
        for (uint64_t i = 0; i < n; i++) {
            uint64_t f = a >= 0 && i < (uint64_t)a / KPAGE_WORD ? flags[i] : MV_BIT(KPF_NOPAGE);
            uint64_t c = b >= 0 && i < (uint64_t)b / KPAGE_WORD ? counts[i] : 0;
            enum mv_kind k = mv_classify(&s, pfn + i, f, c);
            frames_of[k]++;
            votes[k]++;
            if ((pfn + i + 1) % layout.fpc == 0 || pfn + i + 1 == layout.ram_frames) {
                int best = 0;
                for (int j = 1; j < MV_NKINDS; j++)
                    best = votes[j] > votes[best] ? j : best;
                cell_kind[(pfn + i) / layout.fpc] = (uint8_t)best;
                memset(votes, 0, sizeof(votes));
            }
        }
    }
    close(ff), close(fc);
    return 0;
}

/* The device strip: video RAM frames, those the display shows lighter. */
static void scan_device(void)
{
    frames_of[MV_DEVICE] = frames_of[MV_ONSCREEN] = 0;
    for (uint64_t f = 0; f < layout.dev_frames; f++) {
        enum mv_kind k = (f << MV_PAGE_SHIFT) < scr.visible_len ? MV_ONSCREEN : MV_DEVICE;
        frames_of[k]++;
        cell_kind[ram_cells + f / layout.dev_fpc] = (uint8_t)k;
    }
}

/* ---- drawing: every pixel is a store into the mapped video RAM ---- */

static void fill_rect(int x, int y, int w, int h, uint32_t rgb)
{
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            scr.px[(unsigned)(y + j) * scr.stride + (unsigned)(x + i)] = rgb;
}

static void draw_char(int x, int y, char c, uint32_t fg)
{
    const struct glyph *g = font_glyph(c);
    for (int r = 0; r < FONT_LINE; r++)
        for (int i = 0; i < FONT_ADVANCE; i++) {
            int on = g && r < FONT_H && i < FONT_W && (g->rows[r] >> (FONT_W - 1 - i)) & 1;
            scr.px[(unsigned)(y + r) * scr.stride + (unsigned)(x + i)] = on ? fg : MV_BACKGROUND;
        }
}

/* Text slot `slot` at x, y: drawn only when it changed, padded with
 * blanks over a longer old text. */
static void text_at(int slot, int x, int y, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void text_at(int slot, int x, int y, const char *fmt, ...)
{
    char buf[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char *old = text_shown[slot];
    if (strcmp(buf, old) == 0)
        return;
    size_t n = strlen(buf), m = strlen(old), width = (size_t)(MV_SCREEN_W - x) / FONT_ADVANCE;
    for (size_t i = 0; i < (n > m ? n : m) && i < width; i++)
        draw_char(x + (int)i * FONT_ADVANCE, y, i < n ? buf[i] : ' ', MV_TEXT);
    memcpy(old, buf, n + 1);
}

/* Cells whose kind changed since the last draw. */
static void draw_cells(void)
{
    for (uint64_t i = 0; i < ram_cells + dev_cells; i++) {
        if (cell_kind[i] == cell_shown[i])
            continue;
        int x, y;
        if (i < ram_cells)
            mv_cell_xy(&layout, i * layout.fpc, &x, &y);
        else
            mv_dev_cell_xy(&layout, layout.dev_pfn + (i - ram_cells) * layout.dev_fpc, &x, &y);
        fill_rect(x, y, MV_CELL, MV_CELL, mv_kinds[cell_kind[i]].rgb);
        cell_shown[i] = cell_kind[i];
    }
}

static void draw_legend(void)
{
    for (int k = 0; k < MV_NKINDS; k++) {
        int x = 8 + (k / LEGEND_ROWS) * LEGEND_COL_W, y = LEGEND_Y + (k % LEGEND_ROWS) * (FONT_LINE + 2);
        if (k == MV_DEVICE && !layout.dev_frames)
            continue;
        if (!text_shown[SLOT_LEGEND + k][0])
            fill_rect(x, y, LEGEND_BOX, LEGEND_BOX, mv_kinds[k].rgb);
        text_at(SLOT_LEGEND + k, x + LEGEND_BOX + 4, y, "%-12s %7llu", mv_kinds[k].name,
                (unsigned long long)frames_of[k]);
    }
}

static void draw_counters(void)
{
    static char meminfo[PROC_TEXT_MAX], vmstat[PROC_TEXT_MAX];
    slurp("/proc/meminfo", meminfo, sizeof(meminfo));
    slurp("/proc/vmstat", vmstat, sizeof(vmstat));
    for (unsigned i = 0; i < NCOUNTERS; i++) {
        const struct counter *c = &counters[i];
        long long v = proc_field(strcmp(c->file, "/proc/meminfo") == 0 ? meminfo : vmstat, c->field);
        int y = MV_GRID_Y + (int)i * (2 * FONT_LINE + 3);
        text_at(SLOT_COUNTER + 2 * (int)i, RIGHT_X, y, "%s", c->field);
        if (v < 0)
            text_at(SLOT_COUNTER + 2 * (int)i + 1, RIGHT_X, y + FONT_LINE, "%9s", "-");
        else
            text_at(SLOT_COUNTER + 2 * (int)i + 1, RIGHT_X, y + FONT_LINE, "%9lld %s", v, c->unit);
    }
}

/* The parts that do not change: title, MiB scale, the device's name. */
static void draw_frame(void)
{
    fill_rect(0, 0, MV_SCREEN_W, MV_SCREEN_H, MV_BACKGROUND);
    unsigned long long row_mib = (unsigned long long)layout.fpc * MV_COLS >> (20 - MV_PAGE_SHIFT);
    text_at(SLOT_TITLE, MV_GRID_X, 4, "physical memory: a cell = %llu frame%s (%llu KiB), a row = %llu MiB",
            (unsigned long long)layout.fpc, layout.fpc > 1 ? "s" : "", (unsigned long long)layout.fpc * 4, row_mib);
    for (int r = 0; r < MV_ROWS && (uint64_t)r * MV_COLS * layout.fpc < layout.ram_frames; r += SCALE_EVERY_ROWS)
        text_at(SLOT_SCALE + r / SCALE_EVERY_ROWS, 2, MV_GRID_Y + r * MV_CELL, "%3llu",
                (unsigned long long)r * row_mib);
    if (layout.dev_frames) {
        const struct mv_range *r = mv_iomem_find(&iomem, scr.vram_phys, "", 0);
        text_at(SLOT_DEVICE, MV_GRID_X, MV_DEV_Y - FONT_LINE - 2, "device: %llx-%llx %s",
                (unsigned long long)scr.vram_phys, (unsigned long long)(scr.vram_phys + scr.vram_len - 1),
                r ? r->name : "framebuffer");
    }
    text_at(SLOT_NOTE, 8, STATUS_Y + FONT_LINE + 2, "/dev/fb0 is mapped at %p: a pixel is a store to the device",
            (void *)scr.px);
}

/* ---- the display ---- */

/* Open /dev/fb0 and map its video RAM into our address space. Returns 0,
 * or -1 after saying why (no display, not 32 bits a pixel, too small). */
static int screen_open(void)
{
    struct fb_var_screeninfo v;
    struct fb_fix_screeninfo x;
    scr.fd = open("/dev/fb0", O_RDWR);
    if (scr.fd < 0) {
        fprintf(stderr, "memview: /dev/fb0: %s (try memview --text)\n", strerror(errno));
        return -1;
    }
    if (ioctl(scr.fd, FBIOGET_VSCREENINFO, &v) < 0 || ioctl(scr.fd, FBIOGET_FSCREENINFO, &x) < 0) {
        fprintf(stderr, "memview: FBIOGET_*SCREENINFO: %s\n", strerror(errno));
        return -1;
    }
    if (v.bits_per_pixel != 32 || v.red.offset != 16 || v.xres < MV_SCREEN_W || v.yres < MV_SCREEN_H) {
        fprintf(stderr, "memview: the display is %ux%u at %u bits a pixel: want %ux%u XRGB8888\n", v.xres, v.yres,
                v.bits_per_pixel, MV_SCREEN_W, MV_SCREEN_H);
        return -1;
    }
    scr.stride = x.line_length / sizeof(uint32_t);
    scr.len = (size_t)x.line_length * v.yres;
    scr.vram_phys = x.smem_start;
    scr.vram_len = x.smem_len;
    scr.visible_len = scr.len;
    scr.px = mmap(NULL, scr.len, PROT_READ | PROT_WRITE, MAP_SHARED, scr.fd, 0);
    if (scr.px == MAP_FAILED) {
        fprintf(stderr, "memview: mmap /dev/fb0: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the whole ---- */

/* Read /proc/iomem once (RAM does not move) and size the grid. */
static int setup(int with_device)
{
    static char text[PROC_TEXT_MAX * 4];
    if (slurp("/proc/iomem", text, sizeof(text)) < 0 || mv_iomem_parse(text, &iomem) <= 0) {
        fprintf(stderr, "memview: /proc/iomem: %s\n", errno ? strerror(errno) : "does not parse");
        return -1;
    }
    uint64_t dev_frames = with_device ? scr.vram_len >> MV_PAGE_SHIFT : 0;
    mv_layout_init(&layout, mv_ram_end_pfn(&iomem), scr.vram_phys >> MV_PAGE_SHIFT, dev_frames);
    ram_cells = (layout.ram_frames + layout.fpc - 1) / layout.fpc;
    dev_cells = (dev_frames + layout.dev_fpc - 1) / layout.dev_fpc;
    cell_kind = malloc(ram_cells + dev_cells);
    cell_shown = malloc(ram_cells + dev_cells);
    if (!cell_kind || !cell_shown) {
        fprintf(stderr, "memview: out of memory\n");
        return -1;
    }
    memset(cell_shown, NOT_DRAWN, ram_cells + dev_cells);
    return 0;
}

/* --text: the numbers the picture shows. */
static int print_text(void)
{
    printf("memview: %llu frames of RAM (%llu MiB)\n", (unsigned long long)layout.ram_frames,
           (unsigned long long)(layout.ram_frames >> (20 - MV_PAGE_SHIFT)));
    for (int k = 0; k < MV_NKINDS; k++)
        if (k != MV_DEVICE && k != MV_ONSCREEN)
            printf("  %-12s %9llu frames  #%06x\n", mv_kinds[k].name, (unsigned long long)frames_of[k],
                   (unsigned)mv_kinds[k].rgb);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: memview [--once | --text | --interval MS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int once = 0, text = 0;
    long interval_ms = DEFAULT_INTERVAL_MS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = 1;
        else if (strcmp(argv[i], "--text") == 0)
            text = 1;
        else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc && (interval_ms = atol(argv[++i])) > 0)
            continue;
        else
            usage();
    }
    if ((!text && screen_open() < 0) || setup(!text) < 0)
        return 1;
    for (unsigned long pass = 1;; pass++) {
        int e = scan_ram();
        if (e < 0) {
            fprintf(stderr, "memview: /proc/kpageflags: %s (root only, as on Linux)\n", strerror(-e));
            return 1;
        }
        if (text)
            return print_text();
        scan_device();
        if (pass == 1)
            draw_frame();
        draw_cells();
        draw_legend();
        draw_counters();
        text_at(SLOT_STATUS, 8, STATUS_Y, "memview pid %d, picture %lu, every %ld ms", (int)getpid(), pass,
                interval_ms);
        __sync_synchronize(); /* the mapping is write-combining: a fence sends buffered stores out */
        if (once) {
            printf("memview: drew %llu frames of RAM, %llu of video RAM\n", (unsigned long long)layout.ram_frames,
                   (unsigned long long)layout.dev_frames);
            return 0;
        }
        struct timespec ts = {interval_ms / 1000, interval_ms % 1000 * MS_NS};
        nanosleep(&ts, NULL);
    }
}
