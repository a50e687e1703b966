/*
 * user/memview.h - what memview (user/memview.c) draws, shared with its
 * test (tests/user/t_memview.c): the kinds of frame and their colours, the
 * layout of the screen (which pixel shows which PFN), and readers of the
 * Linux interfaces memview draws from:
 *
 *   /proc/iomem       where RAM is ("System RAM"), the kernel image inside
 *                     it ("Kernel code", ...), devices
 *   /proc/kpageflags  one 64-bit word of KPF_* bits per PFN
 *   /proc/kpagecount  one 64-bit word per PFN: how many PTEs map it
 *
 * The screen (640x480): a grid of cells, MV_CELL x MV_CELL pixels each,
 * MV_COLS cells a row; cell i shows frames [i * fpc, (i + 1) * fpc), and
 * fpc (frames per cell) is 1 up to 128 MiB of RAM, so a row is 1 MiB and
 * PFN p is at column p % 256, row p / 256. Below it a strip for the
 * framebuffer's own frames (device memory: far above RAM, no struct page).
 *
 * Everything is static: memview and the test each include it once.
 */
#ifndef PAGEWISE_USER_MEMVIEW_H
#define PAGEWISE_USER_MEMVIEW_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MV_FN static __attribute__((unused))

/* ---- the kinds of frame, in the legend's order ---- */

enum mv_kind {
    MV_FREE,      /* KPF_BUDDY: a free block (and the rest of it, see mv_classify) */
    MV_KERNEL,    /* KPF_RESERVED inside a "Kernel ..." range of /proc/iomem */
    MV_RESERVED,  /* KPF_RESERVED elsewhere: firmware, boot-time tables */
    MV_PGTABLE,   /* KPF_PGTABLE */
    MV_SLAB,      /* KPF_SLAB: kmalloc */
    MV_ANON,      /* KPF_ANON, mapped once: a process's private page */
    MV_FILE,      /* mapped or cached, not anonymous: a program file's page */
    MV_SHARED,    /* mapped more than once, or shared memory (SWAPBACKED, not ANON) */
    MV_SWAPCACHE, /* KPF_SWAPCACHE: has a copy in a swap slot */
    MV_IO,        /* KPF_LOCKED or KPF_WRITEBACK: the disk is reading or writing it */
    MV_UNTAGGED,  /* RAM in use without a flag: kernel stacks, vmalloc, buffers */
    MV_HOLE,      /* not RAM (not "System RAM" in /proc/iomem) */
    MV_DEVICE,    /* the framebuffer's video RAM (a device's BAR) */
    MV_ONSCREEN,  /* the part of it the display shows */
    MV_NKINDS
};

struct mv_kind_info {
    const char *name; /* the legend's word */
    uint32_t rgb;     /* 0xRRGGBB, as /dev/fb0's XRGB8888 pixel */
};

static const struct mv_kind_info mv_kinds[MV_NKINDS] = {
    [MV_FREE] = {"free", 0x1f6f2f},
    [MV_KERNEL] = {"kernel image", 0xd03030},
    [MV_RESERVED] = {"reserved", 0x8a2a6a},
    [MV_PGTABLE] = {"page table", 0xff9000},
    [MV_SLAB] = {"slab", 0xf0d020},
    [MV_ANON] = {"user anon", 0x3878ff},
    [MV_FILE] = {"user file", 0x20c0c0},
    [MV_SHARED] = {"shared", 0xc060ff},
    [MV_SWAPCACHE] = {"swap cache", 0xff70b0},
    [MV_IO] = {"under I/O", 0xffffff},
    [MV_UNTAGGED] = {"kernel other", 0x8c8c8c},
    [MV_HOLE] = {"not RAM", 0x303038},
    [MV_DEVICE] = {"device", 0x8a5a2a},
    [MV_ONSCREEN] = {"on screen", 0xd09a5a},
};

#define MV_BACKGROUND 0x101018
#define MV_TEXT 0xe0e0e0

/* ---- Linux's KPF_* bits (include/uapi/linux/kernel-page-flags.h) ---- */

#define KPF_LOCKED 0
#define KPF_LRU 5
#define KPF_WRITEBACK 8
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPCACHE 13
#define KPF_SWAPBACKED 14
#define KPF_NOPAGE 20
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define MV_BIT(n) (1ull << (n))
#define MV_MAX_ORDER 10 /* the largest free block Linux (and Pagewise) keeps: 2^10 frames */

/* ---- the screen layout ---- */

#define MV_SCREEN_W 640
#define MV_SCREEN_H 480
#define MV_CELL 2      /* pixels a side */
#define MV_COLS 256    /* cells a row: 1 MiB of frames at one frame per cell */
#define MV_ROWS 128    /* RAM rows: 128 MiB at one frame per cell */
#define MV_GRID_X 28   /* left of it: the MiB scale */
#define MV_GRID_Y 16   /* above it: the title */
#define MV_DEV_ROWS 16 /* the device strip's rows at most */
#define MV_DEV_Y (MV_GRID_Y + MV_ROWS * MV_CELL + 20)
#define MV_PAGE_SHIFT 12

struct mv_layout {
    uint64_t ram_frames; /* PFNs 0 .. ram_frames - 1 are in the grid */
    uint64_t fpc;        /* frames per cell (a power of two) */
    uint64_t dev_pfn, dev_frames, dev_fpc;
};

/* The smallest power of two >= n (n >= 1). */
MV_FN uint64_t mv_pow2_at_least(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* Choose frames per cell so that ram_frames fit MV_ROWS rows, and the
 * device's dev_frames (from dev_pfn; 0: no device) MV_DEV_ROWS. */
MV_FN void mv_layout_init(struct mv_layout *l, uint64_t ram_frames, uint64_t dev_pfn, uint64_t dev_frames)
{
    const uint64_t cells = (uint64_t)MV_COLS * MV_ROWS, dev_cells = (uint64_t)MV_COLS * MV_DEV_ROWS;
    l->ram_frames = ram_frames;
    l->fpc = mv_pow2_at_least((ram_frames + cells - 1) / cells);
    l->dev_pfn = dev_pfn;
    l->dev_frames = dev_frames;
    l->dev_fpc = mv_pow2_at_least((dev_frames + dev_cells - 1) / dev_cells);
}

/* The top-left pixel of the cell that shows RAM frame pfn (< ram_frames). */
MV_FN void mv_cell_xy(const struct mv_layout *l, uint64_t pfn, int *x, int *y)
{
    uint64_t cell = pfn / l->fpc;
    *x = MV_GRID_X + (int)(cell % MV_COLS) * MV_CELL;
    *y = MV_GRID_Y + (int)(cell / MV_COLS) * MV_CELL;
}

/* The same for a frame of the device strip (dev_pfn <= pfn < dev_pfn + dev_frames). */
MV_FN void mv_dev_cell_xy(const struct mv_layout *l, uint64_t pfn, int *x, int *y)
{
    uint64_t cell = (pfn - l->dev_pfn) / l->dev_fpc;
    *x = MV_GRID_X + (int)(cell % MV_COLS) * MV_CELL;
    *y = MV_DEV_Y + (int)(cell / MV_COLS) * MV_CELL;
}

/* ---- /proc/iomem: "start-end : name", two more spaces per nesting level ---- */

#define MV_IOMEM_MAX 256
#define MV_NAME_MAX 48

struct mv_range {
    uint64_t start, end; /* bytes, end inclusive (as printed) */
    int depth;           /* 0: top level */
    char name[MV_NAME_MAX];
};

struct mv_iomem {
    struct mv_range r[MV_IOMEM_MAX];
    int n;
};

/* Parse /proc/iomem's text; returns the number of ranges, or -1 if a line
 * is not "start-end : name" (hex, nested by two spaces a level). */
MV_FN int mv_iomem_parse(const char *text, struct mv_iomem *io)
{
    io->n = 0;
    for (const char *l = text; *l && io->n < MV_IOMEM_MAX;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char line[160];
        int indent = 0;
        if (len >= sizeof(line))
            return -1;
        memcpy(line, l, len);
        line[len] = '\0';
        while (line[indent] == ' ')
            indent++;
        struct mv_range *r = &io->r[io->n];
        unsigned long long s, e;
        if (sscanf(line + indent, "%llx-%llx : %47[^\n]", &s, &e, r->name) != 3 || s > e || indent % 2)
            return -1;
        r->start = s, r->end = e, r->depth = indent / 2;
        io->n++;
        l = nl ? nl + 1 : l + len;
    }
    return io->n;
}

/* The range named name (prefix match) at depth depth that holds address
 * addr, or NULL. */
MV_FN const struct mv_range *mv_iomem_find(const struct mv_iomem *io, uint64_t addr, const char *name, int depth)
{
    for (int i = 0; i < io->n; i++) {
        const struct mv_range *r = &io->r[i];
        if (r->depth == depth && addr >= r->start && addr <= r->end && strncmp(r->name, name, strlen(name)) == 0)
            return r;
    }
    return NULL;
}

/* One past the highest frame of System RAM (0 if none). */
MV_FN uint64_t mv_ram_end_pfn(const struct mv_iomem *io)
{
    uint64_t end = 0;
    for (int i = 0; i < io->n; i++)
        if (io->r[i].depth == 0 && strcmp(io->r[i].name, "System RAM") == 0 &&
            (io->r[i].end + 1) >> MV_PAGE_SHIFT > end)
            end = (io->r[i].end + 1) >> MV_PAGE_SHIFT;
    return end;
}

/* ---- a frame's kind ---- */

/* The walk over the frames in PFN order (mv_classify keeps state in it). */
struct mv_scan {
    const struct mv_iomem *io;
    const struct mv_range *ram; /* the System RAM range of the last frame (a shortcut) */
    uint64_t free_until;        /* frames below it, after a free block's first frame, are free */
};

/* Is addr in System RAM? Asks /proc/iomem's ranges only when it leaves
 * the range the previous frame was in (a Linux machine has millions). */
MV_FN int mv_scan_in_ram(struct mv_scan *s, uint64_t addr)
{
    if (s->ram && addr >= s->ram->start && addr <= s->ram->end)
        return 1;
    s->ram = mv_iomem_find(s->io, addr, "System RAM", 0);
    return s->ram != NULL;
}

/* The largest block a free block starting at pfn can be: Linux marks only
 * a free block's first frame (KPF_BUDDY) and does not say its order; a
 * block of order k starts at a multiple of 2^k. */
MV_FN uint64_t mv_free_span(uint64_t pfn)
{
    uint64_t span = 1;
    while (span < (1ull << MV_MAX_ORDER) && pfn % (span * 2) == 0)
        span *= 2;
    return span;
}

/* The kind of frame pfn from its kpageflags word and kpagecount. Call it
 * for every frame in increasing PFN order: a free block's frames after the
 * first carry no flag, so an untagged unmapped frame that follows a
 * KPF_BUDDY frame, within the largest block that could start there and with
 * no flagged frame in between, counts as free (a guess: a frame the kernel
 * allocated without a flag there is shown free too). */
MV_FN enum mv_kind mv_classify(struct mv_scan *s, uint64_t pfn, uint64_t flags, uint64_t count)
{
    uint64_t addr = pfn << MV_PAGE_SHIFT;
    if ((flags & MV_BIT(KPF_NOPAGE)) || !mv_scan_in_ram(s, addr))
        return MV_HOLE;
    if (flags & MV_BIT(KPF_BUDDY)) {
        s->free_until = pfn + mv_free_span(pfn);
        return MV_FREE;
    }
    if (flags == 0 && count == 0 && pfn < s->free_until)
        return MV_FREE;
    s->free_until = 0;
    if (flags & (MV_BIT(KPF_LOCKED) | MV_BIT(KPF_WRITEBACK)))
        return MV_IO;
    if (flags & MV_BIT(KPF_SLAB))
        return MV_SLAB;
    if (flags & MV_BIT(KPF_PGTABLE))
        return MV_PGTABLE;
    if (flags & MV_BIT(KPF_RESERVED))
        return mv_iomem_find(s->io, addr, "Kernel ", 1) ? MV_KERNEL : MV_RESERVED;
    if (flags & MV_BIT(KPF_SWAPCACHE))
        return MV_SWAPCACHE;
    if (count > 1 || ((flags & MV_BIT(KPF_SWAPBACKED)) && !(flags & MV_BIT(KPF_ANON))))
        return MV_SHARED;
    if (flags & MV_BIT(KPF_ANON))
        return MV_ANON;
    if (flags & (MV_BIT(KPF_MMAP) | MV_BIT(KPF_LRU)))
        return MV_FILE;
    return MV_UNTAGGED;
}

#endif
