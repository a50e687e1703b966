/*
 * mm/pmm.c - physical frames: the frame table and the buddy allocator.
 *
 * A free block of 2^k frames starts at a frame number that is a multiple
 * of 2^k. Its buddy is the block it was split from the other half of:
 *
 *     buddy_pfn = pfn ^ (1 << k)
 *
 * Freeing a block merges it with its buddy while the buddy is free and of
 * the same order, so free memory drifts back into large blocks
 * (Knuth, TAOCP Vol 1 §2.5; Linux mm/page_alloc.c: __free_one_page).
 *
 * Most allocations are single frames (user pages, page tables, slabs), so
 * order 0 has a fast path in front of the buddy lists, Linux's per-CPU
 * page lists (struct per_cpu_pages; one CPU here):
 *
 *     pmm_alloc(0) --pop--> [ frame cache: up to PCP_HIGH frames ] <--push-- pmm_free(p, 0)
 *                            |  refill: one order-PCP_BATCH_ORDER block,    ^
 *                            |  cut into single frames                      | drain: PCP_BATCH
 *                            v                                              | frames, merged
 *                          [ buddy free lists, orders 0..PMM_MAX_ORDER ] ---+
 *
 * A cached frame is free (counted in nr_free, flag PG_pcp) but not in the
 * buddy lists: it cannot merge until drained. pmm_drain empties the cache
 * (a larger block failed; tests that count blocks per order).
 */
#include "mm/pmm.h"

#include "kernel/compiler.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define PMM_MAX_RESERVED 16

struct phys_range {
    uint64_t start, end; /* physical, [start, end) */
};

struct page *frame_table;

/* The buddy lists and the frame cache: Linux's zone->lock (with its
 * per-CPU lists the cache would need none; here it is one list). */
static struct lock_class zone_lock_class = LOCK_CLASS_INIT("zone->lock");

static struct {
    struct spinlock lock; /* everything below that changes after boot */
    struct list_head free_list[PMM_MAX_ORDER + 1];
    uint64_t nr_free_blocks[PMM_MAX_ORDER + 1];
    uint64_t nr_free;    /* free frames, cached ones included */
    struct list_head pcp;  /* the order-0 frame cache (PG_pcp frames) */
    unsigned nr_pcp;       /* frames in it */
    uint64_t nr_managed; /* frames handed to the allocator at boot */
    uint64_t max_pfn;
    struct phys_range ram[BOOT_MAX_REGIONS]; /* usable RAM, page aligned */
    unsigned nr_ram;
    struct phys_range reserved[PMM_MAX_RESERVED]; /* never freed */
    unsigned nr_reserved;
} pmm = {.lock = SPINLOCK_INIT(&zone_lock_class)};

extern const char __kernel_end[];

static void reserve(uint64_t start, uint64_t end)
{
    BUG_ON(pmm.nr_reserved == PMM_MAX_RESERVED);
    pmm.reserved[pmm.nr_reserved++] = (struct phys_range){ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE)};
}

static bool overlaps_reserved(uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < pmm.nr_reserved; i++)
        if (start < pmm.reserved[i].end && pmm.reserved[i].start < end)
            return true;
    return false;
}

/* Usable RAM from the memory map, page aligned, cut at mem_limit. */
static void collect_ram(const struct boot_info *bi, uint64_t mem_limit)
{
    for (unsigned i = 0; i < bi->nr_regions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != MEM_USABLE)
            continue;
        uint64_t start = ALIGN_UP(r->base, PAGE_SIZE), end = ALIGN_DOWN(r->base + r->length, PAGE_SIZE);
        if (mem_limit && end > mem_limit)
            end = ALIGN_DOWN(mem_limit, PAGE_SIZE);
        if (start >= end)
            continue;
        pmm.ram[pmm.nr_ram++] = (struct phys_range){start, end};
        pmm.max_pfn = MAX(pmm.max_pfn, end >> PAGE_SHIFT);
    }
}

/* First place in usable RAM, reachable through the boot map, where size
 * bytes overlap nothing reserved: at a region start or a reservation end. */
static uint64_t find_free_range(uint64_t size)
{
    for (unsigned i = 0; i < pmm.nr_ram; i++) {
        for (unsigned j = 0; j <= pmm.nr_reserved; j++) {
            uint64_t c = j == pmm.nr_reserved ? pmm.ram[i].start : pmm.reserved[j].end;
            if (c < pmm.ram[i].start || c + size > pmm.ram[i].end || c + size > EARLY_MAP_SIZE)
                continue;
            if (!overlaps_reserved(c, c + size))
                return c;
        }
    }
    panic("pmm: no room for the frame table (%lu KiB)", size >> 10);
}

/* Put the block at pfn on the free lists, merging it with free buddies. */
static void buddy_free(uint64_t pfn, unsigned order)
{
    while (order < PMM_MAX_ORDER) {
        uint64_t buddy_pfn = pfn ^ (1ul << order);
        if (buddy_pfn >= pmm.max_pfn)
            break;
        struct page *buddy = pfn_to_page(buddy_pfn);
        if (!(buddy->flags & PG_buddy) || buddy->order != order)
            break;
        list_del(&buddy->lru);
        buddy->flags &= ~PG_buddy;
        pmm.nr_free_blocks[order]--;
        pfn &= ~(1ul << order);
        order++;
    }
    struct page *head = pfn_to_page(pfn);
    head->flags = PG_buddy;
    head->order = (uint8_t)order;
    list_add(&head->lru, &pmm.free_list[order]);
    pmm.nr_free_blocks[order]++;
}

/* Hand the usable frames in [lo, hi) to the allocator. */
static void free_ram_between(uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < pmm.nr_ram; i++) {
        uint64_t start = MAX(pmm.ram[i].start, lo), end = MIN(pmm.ram[i].end, hi);
        for (uint64_t pa = start; pa < end; pa += PAGE_SIZE) {
            if (overlaps_reserved(pa, pa + PAGE_SIZE))
                continue;
            phys_to_page(pa)->flags = 0;
            buddy_free(pa >> PAGE_SHIFT, 0);
            pmm.nr_free++;
            pmm.nr_managed++;
        }
    }
}

void pmm_init(const struct boot_info *bi, uint64_t mem_limit)
{
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        list_init(&pmm.free_list[o]);
    list_init(&pmm.pcp);
    collect_ram(bi, mem_limit);
    reserve(0, LOW_MEMORY_END); /* BIOS data, EBDA, VGA, option ROMs */
    reserve(KERNEL_PHYS_BASE, (uint64_t)__kernel_end - KERNEL_VIRT_BASE);
    reserve(bi->mbi_start, bi->mbi_end);
    for (unsigned i = 0; i < bi->nr_modules; i++)
        reserve(bi->modules[i].start, bi->modules[i].end);

    uint64_t table_size = ALIGN_UP(pmm.max_pfn * sizeof(struct page), PAGE_SIZE);
    uint64_t table_pa = find_free_range(table_size);
    reserve(table_pa, table_pa + table_size);
    frame_table = phys_to_virt(table_pa);
    memset(frame_table, 0, table_size);
    for (uint64_t pfn = 0; pfn < pmm.max_pfn; pfn++)
        frame_table[pfn].flags = PG_reserved;

    free_ram_between(0, EARLY_MAP_SIZE);
    uint64_t ram_bytes = 0; /* the regions, not the highest address: RAM can skip the PCI hole below 4 GiB */
    for (unsigned i = 0; i < pmm.nr_ram; i++)
        ram_bytes += pmm.ram[i].end - pmm.ram[i].start;
    pr_info("pmm: %lu MiB usable RAM up to %#lx, frame table: %lu descriptors of %zu bytes at [mem %#lx-%#lx]\n",
            ram_bytes >> 20, pmm.max_pfn << PAGE_SHIFT, pmm.max_pfn, sizeof(struct page), table_pa,
            table_pa + table_size - 1);
}

void pmm_init_high(void)
{
    free_ram_between(EARLY_MAP_SIZE, UINT64_MAX);
    pr_info("pmm: buddy allocator ready: %lu frames free (%lu MiB) of %lu managed\n", pmm.nr_free,
            pmm.nr_free >> (20 - PAGE_SHIFT), pmm.nr_managed);
}

/* Take a block of 2^order frames off the buddy lists, splitting a larger
 * one if need be. NULL if none. The caller holds pmm.lock. */
static struct page *buddy_alloc(unsigned order)
{
    unsigned o = order;
    while (o <= PMM_MAX_ORDER && list_empty(&pmm.free_list[o]))
        o++;
    if (o > PMM_MAX_ORDER)
        return NULL;
    struct page *head = list_first_entry(&pmm.free_list[o], struct page, lru);
    list_del(&head->lru);
    pmm.nr_free_blocks[o]--;
    uint64_t pfn = page_to_pfn(head);
    while (o > order) { /* split: give back the upper halves */
        o--;
        struct page *upper = pfn_to_page(pfn + (1ul << o));
        upper->flags = PG_buddy;
        upper->order = (uint8_t)o;
        list_add(&upper->lru, &pmm.free_list[o]);
        pmm.nr_free_blocks[o]++;
    }
    return head;
}

/* Fill the empty frame cache: one block of PCP_BATCH frames cut into
 * single frames (cheaper than PCP_BATCH order-0 allocations, and the
 * frames are contiguous); if no block that large is left, single frames.
 * Returns whether any frame came. The caller holds pmm.lock. */
static bool pcp_refill(void)
{
    struct page *block = buddy_alloc(PCP_BATCH_ORDER);
    unsigned n = block ? PCP_BATCH : 0;
    for (unsigned i = 0; i < n; i++) {
        block[i].flags = PG_pcp;
        list_add_tail(&block[i].lru, &pmm.pcp);
    }
    for (; !block && n < PCP_BATCH; n++) {
        struct page *p = buddy_alloc(0);
        if (!p)
            break;
        p->flags = PG_pcp;
        list_add_tail(&p->lru, &pmm.pcp);
    }
    pmm.nr_pcp += n;
    return n > 0;
}

/* Give `count` cached frames (the oldest) back to the buddy lists.
 * The caller holds pmm.lock. */
static void pcp_drain(unsigned count)
{
    while (count-- && pmm.nr_pcp) {
        struct page *p = list_first_entry(&pmm.pcp, struct page, lru);
        list_del(&p->lru);
        pmm.nr_pcp--;
        p->flags = 0; /* if it merges as an upper half, no stale PG_pcp stays inside the block */
        buddy_free(page_to_pfn(p), 0);
    }
}

void pmm_drain(void)
{
    bool irqs = spin_lock_irqsave(&pmm.lock);
    pcp_drain(pmm.nr_pcp);
    spin_unlock_irqrestore(&pmm.lock, irqs);
}

struct page *pmm_alloc(unsigned order)
{
    if (order > PMM_MAX_ORDER)
        return NULL;
    bool irqs = spin_lock_irqsave(&pmm.lock);
    struct page *head;
    if (order == 0 && (pmm.nr_pcp || pcp_refill())) { /* the fast path */
        head = list_last_entry(&pmm.pcp, struct page, lru); /* the most recently freed: cache-warm */
        list_del(&head->lru);
        pmm.nr_pcp--;
    } else {
        head = buddy_alloc(order);
        if (!head && pmm.nr_pcp) { /* cached single frames may complete a block */
            pcp_drain(pmm.nr_pcp);
            head = buddy_alloc(order);
        }
        if (!head) {
            spin_unlock_irqrestore(&pmm.lock, irqs);
            return NULL;
        }
    }
    head->flags = order ? PG_head : 0;
    head->order = (uint8_t)order;
    head->refcount = 1;
    head->pincount = 0;
    head->mapcount = 0;
    head->anon_vma = NULL; /* no stale slab or reverse-map data (the union's two words) */
    head->index = 0;
    head->shm_owner = NULL;
    pmm.nr_free -= 1ul << order;
    spin_unlock_irqrestore(&pmm.lock, irqs);
    return head;
}

void pmm_free(struct page *page, unsigned order)
{
    BUG_ON(page->flags & (PG_buddy | PG_pcp | PG_reserved)); /* double free, or not ours */
    bool irqs = spin_lock_irqsave(&pmm.lock);
    page->refcount = 0;
    pmm.nr_free += 1ul << order;
    if (order == 0) {
        page->flags = PG_pcp;
        list_add_tail(&page->lru, &pmm.pcp);
        if (++pmm.nr_pcp > PCP_HIGH)
            pcp_drain(PCP_BATCH);
    } else {
        page->flags = 0;
        buddy_free(page_to_pfn(page), order);
    }
    spin_unlock_irqrestore(&pmm.lock, irqs);
}

/* The free block (PG_buddy head) that holds pfn, or NULL if pfn is not
 * in the buddy lists. */
static struct page *buddy_block_of(uint64_t pfn, unsigned *order)
{
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
        struct page *head = pfn_to_page(pfn & ~((1ul << o) - 1));
        if ((head->flags & PG_buddy) && head->order == o && page_to_pfn(head) + (1ul << o) > pfn) {
            *order = o;
            return head;
        }
    }
    return NULL;
}

bool pmm_is_free(uint64_t pfn)
{
    unsigned o;
    const struct page *p = pfn_to_page(pfn);
    return (p->flags & PG_pcp) || buddy_block_of(pfn, &o) != NULL;
}

struct page *pmm_take_free(uint64_t pfn)
{
    bool irqs = spin_lock_irqsave(&pmm.lock);
    struct page *p = pfn_to_page(pfn);
    unsigned o;
    struct page *head;
    if (p->flags & PG_pcp) {
        list_del(&p->lru);
        pmm.nr_pcp--;
    } else if ((head = buddy_block_of(pfn, &o)) != NULL) {
        list_del(&head->lru);
        pmm.nr_free_blocks[o]--;
        uint64_t base = page_to_pfn(head);
        while (o > 0) { /* halve the block, give back the half without pfn */
            o--;
            uint64_t other = pfn < base + (1ul << o) ? base + (1ul << o) : base;
            struct page *half = pfn_to_page(other);
            half->flags = PG_buddy;
            half->order = (uint8_t)o;
            list_add(&half->lru, &pmm.free_list[o]);
            pmm.nr_free_blocks[o]++;
            if (other == base)
                base += 1ul << o;
        }
    } else {
        spin_unlock_irqrestore(&pmm.lock, irqs);
        return NULL;
    }
    *p = (struct page){.refcount = 1};
    pmm.nr_free--;
    spin_unlock_irqrestore(&pmm.lock, irqs);
    return p;
}

struct page *pmm_alloc_zeroed(void)
{
    struct page *p = pmm_alloc(0);
    if (p)
        clear_page(page_to_virt(p));
    return p;
}

uint64_t pmm_nr_free(void) { return pmm.nr_free; }
uint64_t pmm_nr_cached(void) { return pmm.nr_pcp; }
uint64_t pmm_nr_free_order(unsigned o) { return o <= PMM_MAX_ORDER ? pmm.nr_free_blocks[o] : 0; }
uint64_t pmm_nr_managed(void) { return pmm.nr_managed; }
uint64_t pmm_max_pfn(void) { return pmm.max_pfn; }

unsigned pmm_ram_regions(uint64_t *bases, uint64_t *ends, unsigned max)
{
    unsigned n = MIN(max, pmm.nr_ram);
    for (unsigned i = 0; i < n; i++) {
        bases[i] = pmm.ram[i].start;
        ends[i] = pmm.ram[i].end;
    }
    return n;
}

/* /proc/iomem, Linux's format: the usable RAM as "System RAM", the kernel
 * image's parts nested inside, two spaces in. */
size_t pmm_report_iomem(char *buf, size_t size)
{
    extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __data_end[];
    static const char *const part_names[] = {"Kernel code", "Kernel rodata", "Kernel data"};
    const char *parts[][2] = {{__text_start, __text_end}, {__rodata_start, __rodata_end}, {__data_start, __data_end}};
    size_t len = 0;
    for (unsigned i = 0; i < pmm.nr_ram && len + 160 < size; i++) {
        len += (size_t)snprintf(buf + len, size - len, "%08lx-%08lx : System RAM\n", pmm.ram[i].start,
                                pmm.ram[i].end - 1);
        for (unsigned k = 0; k < 3; k++) {
            uint64_t s = (uint64_t)parts[k][0] - KERNEL_VIRT_BASE, e = (uint64_t)parts[k][1] - KERNEL_VIRT_BASE;
            if (s >= pmm.ram[i].start && e <= pmm.ram[i].end && len + 64 < size)
                len += (size_t)snprintf(buf + len, size - len, "  %08lx-%08lx : %s\n", s, e - 1, part_names[k]);
        }
    }
    return len;
}
