/*
 * mm/ptdump.c - the page tables as Linux prints them
 * (/sys/kernel/debug/page_tables/, arch/x86/mm/dump_pagetables.c).
 *
 * The walk visits every entry of the 4-level tree and merges neighbours
 * that look the same (same flags at the same level) into one line:
 *
 *   ---[ Low Kernel Mapping ]---
 *   0xffff888000000000-0xffff888000100000           1M     RW                 GLB NX pte
 *   0xffff888000200000-0xffff888007e00000          92M     RW         PSE     GLB NX pmd
 *   |range                                |      |size|   |flags of the entry        |level
 *
 * An entry that is not present covers its whole range (a missing PDPT
 * entry: 1 GiB) and prints no flags. "pte" is a 4 KiB page, "pmd" a 2 MiB
 * page or hole, "pud" 1 GiB, "pgd" 512 GiB (Linux's names for levels 1-4;
 * with 4-level paging Linux folds p4d into pgd). Flags: USR (U/S), RW or
 * ro, PWT, PCD, PSE (a large page), PAT, GLB (global), NX or x
 * (SDM Vol 3A §4.5, Tables 4-15 to 4-20).
 *
 * Three files, root only (mode 0400), as Linux's debugfs:
 *   kernel          the kernel's own PML4 (paging_init's), both halves
 *   current_kernel  the reading process's PML4, kernel half
 *   current_user    the reading process's PML4, user half
 *
 * And one of Pagewise's own, for a single address (xv6's vmprint, one
 * path of it): /sys/kernel/debug/pagewalk, binary like pagemap. Reading
 * 32 bytes at offset (va >> 12) * 32 gives the four raw entries the MMU
 * reads for va in the reader's tables: PML4E, PDPTE, PDE, PTE (0 past a
 * missing entry or below a large page). `pagewalk ADDR` decodes them.
 */
#include "mm/ptdump.h"

#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/page.h"
#include "mm/paging.h"

#define LEVEL_SHIFT(l) (PAGE_SHIFT + 9 * ((l)-1))
#define ENTRIES 512
#define CANONICAL_SIGN (1ul << 47)
#define HIGH_HALF 0xffff000000000000ul
#define USER_HALF_TOP (1ul << 47) /* the first non-canonical address */
#define PTE_PAT_LARGE (1ul << 12) /* PAT in a 2 MiB or 1 GiB leaf */
#define SHOWN_BITS (PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_PS | PTE_G | PTE_XD) /* PS: PAT in a PTE */
#define SHOWN_LARGE (SHOWN_BITS | PTE_PAT_LARGE) /* bit 12 is an address bit in a PTE */

static const struct {
    uint64_t start;
    const char *name;
} markers[] = {
    {0, "User Space"},
    {KERNEL_HALF_START, "Kernel Space"},
    {PAGE_OFFSET, "Low Kernel Mapping"},
    {VMALLOC_START, "vmalloc() Area"},
    {VMALLOC_END, "vmalloc() End"},
    {KERNEL_VIRT_BASE, "High Kernel Mapping"},
};
#define NR_MARKERS (sizeof(markers) / sizeof(markers[0]))

struct ptdump {
    char *buf;
    size_t size, len;
    bool open;       /* a run is being collected */
    uint64_t start;  /* its first address */
    pte_t prot;      /* its flags (0: not present) */
    int level;       /* the level of its entries */
    unsigned marker; /* the next marker to print */
};

static void emit(struct ptdump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct ptdump *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (d->len < d->size)
        d->len += (size_t)vsnprintf(d->buf + d->len, d->size - d->len, fmt, ap);
    va_end(ap);
}

/* Linux's size column: the largest unit that divides the size. */
static void emit_size(struct ptdump *d, uint64_t bytes)
{
    static const char units[] = "KMGTPE";
    uint64_t n = bytes >> 10;
    int u = 0;
    while (n && n % 1024 == 0 && units[u + 1]) {
        n /= 1024;
        u++;
    }
    emit(d, "%9lu%c ", n, units[u]);
}

static void emit_prot(struct ptdump *d, pte_t prot, int level)
{
    static const char *const level_name[] = {"", "pte", "pmd", "pud", "pgd"};
    if (!(prot & PTE_P)) {
        emit(d, "%30s%s\n", "", level_name[level]);
        return;
    }
    bool large = level > 1 && (prot & PTE_PS);
    emit(d, "%s%s%s%s%s%s%s%s%s\n", (prot & PTE_US) ? "USR " : "    ", (prot & PTE_RW) ? "RW " : "ro ",
         (prot & PTE_PWT) ? "PWT " : "    ", (prot & PTE_PCD) ? "PCD " : "    ", large ? "PSE " : "    ",
         ((level == 1 && (prot & PTE_PS)) || (large && (prot & PTE_PAT_LARGE))) ? "PAT " : "    ",
         (prot & PTE_G) ? "GLB " : "    ", (prot & PTE_XD) ? "NX " : "x  ", level_name[level]);
}

/* Close the run at addr (exclusive) and print it. A run of the user half
 * ends at its top, not across the non-canonical gap. */
static void flush_run(struct ptdump *d, uint64_t addr)
{
    if (!d->open)
        return;
    if (d->start < KERNEL_HALF_START && (addr >= KERNEL_HALF_START || addr == 0))
        addr = USER_HALF_TOP;
    emit(d, "0x%016lx-0x%016lx   ", d->start, addr);
    emit_size(d, addr - d->start);
    emit_prot(d, d->prot, d->level);
    d->open = false;
}

/* The walk reached addr: an entry at `level` with flags prot (0: none). */
static void note(struct ptdump *d, uint64_t addr, pte_t prot, int level)
{
    bool at_marker = d->marker < NR_MARKERS && addr >= markers[d->marker].start;
    if (d->open && !at_marker && prot == d->prot && level == d->level)
        return; /* the run goes on */
    flush_run(d, addr);
    while (d->marker < NR_MARKERS && addr >= markers[d->marker].start)
        emit(d, "---[ %s ]---\n", markers[d->marker++].name);
    *d = (struct ptdump){.buf = d->buf, .size = d->size, .len = d->len, .marker = d->marker, .open = true,
                         .start = addr, .prot = prot, .level = level};
}

static uint64_t canonical(uint64_t addr) { return (addr & CANONICAL_SIGN) ? addr | HIGH_HALF : addr; }

static void walk(struct ptdump *d, const pte_t *table, int level, uint64_t base, unsigned first, unsigned end)
{
    for (unsigned i = first; i < end; i++) {
        uint64_t addr = canonical(base + ((uint64_t)i << LEVEL_SHIFT(level)));
        pte_t e = table[i];
        if (!(e & PTE_P))
            note(d, addr, 0, level);
        else if (level == 1)
            note(d, addr, e & SHOWN_BITS, level);
        else if (e & PTE_PS)
            note(d, addr, e & SHOWN_LARGE, level);
        else
            walk(d, phys_to_virt(e & PTE_ADDR_MASK), level - 1, addr & ~HIGH_HALF, 0, ENTRIES);
    }
}

size_t ptdump_show(pte_t *pml4, enum ptdump_part part, char *buf, size_t size)
{
    struct ptdump d = {.buf = buf, .size = size};
    unsigned first = part == PTDUMP_KERNEL_HALF ? ENTRIES / 2 : 0;
    unsigned end = part == PTDUMP_USER_HALF ? ENTRIES / 2 : ENTRIES;
    while (d.marker < NR_MARKERS && markers[d.marker].start < canonical((uint64_t)first << LEVEL_SHIFT(4)))
        d.marker++; /* a dump of the kernel half starts at its first marker */
    walk(&d, pml4, 4, 0, first, end);
    /* The end of the last run: the top of the user half (not canonical:
     * only an end), or the wrap to 0 at the top of the kernel half. */
    flush_run(&d, end == ENTRIES ? 0 : USER_HALF_TOP);
    if (d.len >= size && size > 0)
        strlcpy(buf + size - sizeof("...(truncated)\n"), "...(truncated)\n", sizeof("...(truncated)\n"));
    return d.len < size ? d.len : size - 1;
}

#define WALK_RECORD (4 * sizeof(pte_t)) /* one address: PML4E, PDPTE, PDE, PTE */

/* The entries the MMU would read for va in pml4, top level first. */
static void walk_one(pte_t *pml4, uint64_t va, pte_t out[4])
{
    const pte_t *table = pml4;
    for (int level = 4, i = 0; level >= 1; level--, i++) {
        out[i] = table ? table[(va >> LEVEL_SHIFT(level)) & (ENTRIES - 1)] : 0;
        bool descend = level > 1 && (out[i] & PTE_P) && !(out[i] & PTE_PS);
        table = descend ? phys_to_virt(out[i] & PTE_ADDR_MASK) : NULL;
    }
}

static long read_pagewalk(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f;
    if (!capable())
        return -EACCES; /* physical addresses of page tables: root only */
    if (*pos % WALK_RECORD || n < WALK_RECORD)
        return -EINVAL;
    uint64_t va = canonical(*pos / WALK_RECORD << PAGE_SHIFT);
    pte_t entries[4];
    walk_one(current->mm ? current->mm->pml4 : paging_kernel_pml4(), va, entries);
    if (copy_to_user(ubuf, entries, sizeof(entries)))
        return -EFAULT;
    *pos += WALK_RECORD;
    return WALK_RECORD;
}

static const struct file_ops pagewalk_ops = {.read = read_pagewalk};

/* The three files: which tree, which half (the inode's priv). */
static long gen_page_tables(struct inode *ino, char *buf, size_t size)
{
    enum ptdump_part part = (enum ptdump_part)(uintptr_t)ino->priv;
    if (!capable())
        return -EACCES; /* kernel addresses: root only, as debugfs */
    pte_t *pml4 = part == PTDUMP_ALL || !current->mm ? paging_kernel_pml4() : current->mm->pml4;
    return (long)ptdump_show(pml4, part, buf, size);
}

static const struct file_ops page_tables_ops = {.generate = gen_page_tables};

void ptdump_init(void)
{
    static const struct {
        const char *path;
        enum ptdump_part part;
    } files[] = {
        {"/sys/kernel/debug/page_tables/kernel", PTDUMP_ALL},
        {"/sys/kernel/debug/page_tables/current_kernel", PTDUMP_KERNEL_HALF},
        {"/sys/kernel/debug/page_tables/current_user", PTDUMP_USER_HALF},
    };
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct inode *f = vfs_add_node(files[i].path, S_IFREG | 0400, &page_tables_ops);
        if (f)
            f->priv = (void *)(uintptr_t)files[i].part;
    }
    vfs_add_node("/sys/kernel/debug/pagewalk", S_IFREG | 0400, &pagewalk_ops);
}

