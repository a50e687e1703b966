/*
 * mm/swapfile.c - the swap area: its header, its slots, the swap cache.
 *
 * The disk is laid out as mkswap(8) writes it (Linux: include/linux/swap.h,
 * union swap_header), one page per slot:
 *
 *   page 0 (the header)                                                    pages 1 .. last_page
 *   +-----------+---------+-----------+--------+------+--------+---------+----------+-------------+
 *   | boot code | version | last_page | nr_bad | uuid | volume | padding | badpages | "SWAPSPACE2"|  slot 1 | ...
 *   | 1024 B    | u32 = 1 | u32       | u32    | 16 B | 16 B   | u32[117]| u32[]    | last 10 B   |
 *   +-----------+---------+-----------+--------+------+--------+---------+----------+-------------+
 *     offsets:    1024      1028        1032     1036   1052     1068      1536       4086
 *
 * (sws_uuid and sws_volume, the label, are for tools such as blkid; this
 * file reads neither.)
 *
 * swap_map[slot] counts the swap entries (in PTEs and shm objects) that
 * name the slot; SLOT_BAD marks unusable ones. A slot with count 0 that
 * the swap cache still holds is not free either: its data is the copy of
 * a page in memory, kept so that a clean page can be dropped without a
 * second write.
 *
 * A slot the disk failed to write or read is marked failed: the entries
 * that still name it keep working (after a failed write the page waits in
 * the swap cache for them; after a failed read their owners get SIGBUS),
 * and when the last of them is gone the slot becomes SLOT_BAD instead of
 * free. SwapFree shows the loss.
 */
#include "drivers/ata.h"
#include "kernel/compiler.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"

#define SWAP_MAGIC "SWAPSPACE2"
#define SWAP_MAGIC_LEN 10
#define HDR_VERSION 1024
#define HDR_LAST_PAGE 1028
#define HDR_NR_BAD 1032
#define HDR_BADPAGES 1536
#define SWAP_VERSION 1
#define SLOT_BAD 0xffff

/* The slot counts and the swap cache (Linux's swap_info->lock and the
 * swap cache's xarray lock, one here). Readers of one count (a fault
 * looking up its slot) hold the big kernel lock; every change takes this
 * lock too. Freeing the last reference of a cached page frees the frame
 * under it: zone->lock nests inside. */
static struct lock_class swap_lock_class = LOCK_CLASS_INIT("swap_lock");

static struct {
    struct spinlock lock;
    bool active;
    char model[41];
    uint64_t nr_slots;       /* slots 1 .. nr_slots - 1 hold pages */
    uint64_t nr_free;
    uint64_t next;           /* next-fit cursor */
    uint16_t *map;           /* references per slot */
    struct page **cache;     /* the swap cache, by slot */
    uint8_t *failed;         /* 1: an I/O on the slot failed; retire it when unused */
    uint64_t nr_cached;
} swp = {.lock = SPINLOCK_INIT(&swap_lock_class)};

bool swap_active(void) { return swp.active; }
uint64_t swap_total_pages(void) { return swp.active ? swp.nr_slots - 1 : 0; }
uint64_t swap_free_pages(void) { return swp.active ? swp.nr_free : 0; }
uint64_t swap_cached_pages(void) { return swp.nr_cached; }

/* Check the header mkswap wrote; false (with the reason) if unusable. */
static bool parse_header(const uint8_t *h, uint64_t disk_pages, uint64_t *last_page)
{
    uint32_t version, last, nr_bad;
    if (memcmp(h + PAGE_SIZE - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN) != 0) {
        pr_warn("swap: the disk has no SWAPSPACE2 signature (make it with mkswap): running without swap\n");
        return false;
    }
    memcpy(&version, h + HDR_VERSION, 4);
    memcpy(&last, h + HDR_LAST_PAGE, 4);
    memcpy(&nr_bad, h + HDR_NR_BAD, 4);
    if (version != SWAP_VERSION || last < 2 || last >= disk_pages ||
        nr_bad > (PAGE_SIZE - HDR_BADPAGES - SWAP_MAGIC_LEN) / 4) {
        pr_warn("swap: bad swap header (version %u, last_page %u, %u bad pages): running without swap\n", version,
                last, nr_bad);
        return false;
    }
    *last_page = last;
    return true;
}

void swap_init(bool enabled, bool dma)
{
    struct ata_disk_info disk;
    if (!ata_init(&disk, dma)) {
        pr_info("swap: no disk on the primary IDE channel: no swap\n");
        return;
    }
    pr_info("ata: primary master: %s, %lu sectors (%lu MiB), %s\n", disk.model, disk.sectors, disk.sectors >> 11,
            disk.dma ? "bus-master DMA" : "PIO (ata=pio, or no DMA)");
    if (!enabled) {
        pr_info("swap: disabled on the command line (swap=off)\n");
        return;
    }
    struct page *hp = pmm_alloc(0);
    if (!hp || swap_read_page(0, hp) != 0) {
        pr_err("swap: cannot read the swap header\n");
        if (hp)
            pmm_free(hp, 0);
        return;
    }
    const uint8_t *h = page_to_virt(hp);
    uint64_t last = 0;
    bool ok = parse_header(h, disk.sectors / ATA_SECTORS_PER_PAGE, &last);
    swp.nr_slots = last + 1;
    swp.map = ok ? vmalloc(swp.nr_slots * sizeof(uint16_t)) : NULL;
    swp.cache = swp.map ? vmalloc(swp.nr_slots * sizeof(struct page *)) : NULL;
    swp.failed = swp.cache ? vmalloc(swp.nr_slots) : NULL;
    if (ok && swp.failed) {
        uint32_t nr_bad;
        memcpy(&nr_bad, h + HDR_NR_BAD, 4);
        swp.map[0] = SLOT_BAD; /* the header */
        swp.nr_free = swp.nr_slots - 1;
        for (uint32_t i = 0; i < nr_bad; i++) {
            uint32_t bad;
            memcpy(&bad, h + HDR_BADPAGES + 4 * i, 4);
            if (bad > 0 && bad < swp.nr_slots && swp.map[bad] != SLOT_BAD) {
                swp.map[bad] = SLOT_BAD;
                swp.nr_free--;
            }
        }
        swp.next = 1;
        swp.active = true;
        strlcpy(swp.model, disk.model, sizeof(swp.model));
        pr_info("swap: %lu KiB of swap on the ATA disk (%u bad pages), Linux swap format version 1\n",
                swp.nr_free * 4, nr_bad);
    }
    pmm_free(hp, 0);
}

uint64_t swap_slot_alloc(void)
{
    if (!swp.active || swp.nr_free == 0)
        return 0;
    spin_lock(&swp.lock);
    uint64_t found = 0;
    for (uint64_t n = 0; n < swp.nr_slots && !found; n++) {
        uint64_t s = swp.next;
        swp.next = swp.next + 1 < swp.nr_slots ? swp.next + 1 : 1;
        if (swp.map[s] == 0 && !swp.cache[s]) {
            swp.nr_free--; /* the caller puts a page in the swap cache for it at once */
            found = s;
        }
    }
    spin_unlock(&swp.lock);
    return found;
}

void swap_slot_get(uint64_t slot)
{
    spin_lock(&swp.lock);
    BUG_ON(swp.map[slot] >= SWAP_MAP_MAX); /* callers ask swap_slot_has_room first */
    swp.map[slot]++;
    spin_unlock(&swp.lock);
}

bool swap_slot_has_room(uint64_t slot, unsigned n) { return (unsigned)swp.map[slot] + n <= SWAP_MAP_MAX; }

static void slot_release_if_unused(uint64_t slot)
{
    if (swp.map[slot] != 0 || swp.cache[slot])
        return;
    if (swp.failed[slot])
        swp.map[slot] = SLOT_BAD; /* retired: never handed out again */
    else
        swp.nr_free++;
}

static void cache_trim_locked(struct page *p);

void swap_slot_put(uint64_t slot)
{
    spin_lock(&swp.lock);
    if (--swp.map[slot] == 0) {
        if (swp.cache[slot])
            cache_trim_locked(swp.cache[slot]); /* no entry left: the copy may be useless */
        else
            slot_release_if_unused(slot);
    }
    spin_unlock(&swp.lock);
}

unsigned swap_slot_count(uint64_t slot) { return swp.map[slot] == SLOT_BAD ? 0 : swp.map[slot]; }
uint64_t swap_nr_slots(void) { return swp.active ? swp.nr_slots : 0; }

void swap_audit(const uint16_t *refs, struct swap_audit *a)
{
    *a = (struct swap_audit){0};
    for (uint64_t slot = 1; slot < swp.nr_slots; slot++) {
        if (slot % 4 == 0 && slot + 4 <= swp.nr_slots && !*(const uint64_t *)&swp.map[slot] &&
            !*(const uint64_t *)&refs[slot] && !swp.cache[slot] && !swp.cache[slot + 1] && !swp.cache[slot + 2] &&
            !swp.cache[slot + 3]) {
            a->free += 4; /* the common case, four free slots at a time */
            slot += 3;
            continue;
        }
        uint16_t count = swp.map[slot];
        struct page *p = swp.cache[slot];
        bool wrong;
        if (count == SLOT_BAD) {
            wrong = refs[slot] || p;
        } else {
            wrong = count != refs[slot] || (p && (!(p->flags & PG_swapcache) || p->swap_slot != slot));
            a->cached += p != NULL;
            if (count == 0 && !p)
                a->free++;
            else
                a->used++;
        }
        if (wrong && a->nr_wrong++ < SWAP_AUDIT_MAX)
            a->wrong[a->nr_wrong - 1] = slot;
    }
}
bool swap_slot_is_bad(uint64_t slot) { return swp.map[slot] == SLOT_BAD; }

void swap_slot_mark_failed(uint64_t slot, bool write)
{
    if (swp.failed[slot])
        return;
    swp.failed[slot] = 1;
    pr_err("swap: slot %lu is bad (a %s failed): it is retired once nothing refers to it\n", slot,
           write ? "write" : "read");
}

bool swap_slot_failed(uint64_t slot) { return swp.failed[slot]; }

struct page *swap_cache_lookup(uint64_t slot) { return swp.active ? swp.cache[slot] : NULL; }

/* The swap cache holds a reference on the frame. */
void swap_cache_add(struct page *p, uint64_t slot)
{
    spin_lock(&swp.lock);
    p->flags |= PG_swapcache;
    p->swap_slot = slot;
    page_get(p);
    swp.cache[slot] = p;
    swp.nr_cached++;
    spin_unlock(&swp.lock);
}

void swap_cache_replace(struct page *old, struct page *new)
{
    spin_lock(&swp.lock);
    swp.cache[old->swap_slot] = new;
    spin_unlock(&swp.lock);
}

/* swap_cache_remove with swp.lock held. */
static void cache_remove_locked(struct page *p)
{
    uint64_t slot = p->swap_slot;
    swp.cache[slot] = NULL;
    swp.nr_cached--;
    p->flags &= ~PG_swapcache;
    slot_release_if_unused(slot);
    page_put(p);
}

void swap_cache_remove(struct page *p)
{
    spin_lock(&swp.lock);
    cache_remove_locked(p);
    spin_unlock(&swp.lock);
}

/* swap_cache_trim with swp.lock held. Pins do not keep a page in the
 * cache: a pinner holds the frame itself. (Waiting for pins to go would
 * need a trim at every unpin: a COW copy whose sharer exited while it
 * slept once left its original behind.) */
static void cache_trim_locked(struct page *p)
{
    if ((p->flags & PG_swapcache) && !p->mapcount && !(p->flags & PG_locked) && swp.map[p->swap_slot] == 0)
        cache_remove_locked(p);
}

void swap_cache_trim(struct page *p)
{
    spin_lock(&swp.lock);
    cache_trim_locked(p);
    spin_unlock(&swp.lock);
}

size_t swap_report(char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    if (swp.active)
        len += (size_t)snprintf(buf + len, size - len, "/dev/sda                                partition\t%lu\t\t%lu\t\t-2\n",
                                swap_total_pages() * 4, (swap_total_pages() - swp.nr_free) * 4);
    return len;
}
