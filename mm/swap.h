/*
 * mm/swap.h - swapping: a Linux-format swap area on the ATA disk, swap
 * entries in page tables, the swap cache, and reclaim.
 *
 * A swapped-out page's PTE is not present and holds a swap entry, in
 * Linux's x86-64 layout (arch/x86/include/asm/pgtable_64.h):
 *
 *   63    59 58                                     9 8 7         1 0
 *  +--------+----------------------------------------+-+-----------+-+
 *  |  type  |    ~offset (the slot number, inverted)  |0|     0     |0|
 *  +--------+----------------------------------------+-+-----------+-+
 *                                                     |             P = 0: not present
 *                                                     bit 8 = 0: not a PROT_NONE page
 * The offset is stored inverted so that the entry, read as a frame
 * number by a speculating CPU (L1TF), points at no real memory.
 */
#ifndef PAGEWISE_MM_SWAP_H
#define PAGEWISE_MM_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/page.h"
#include "mm/paging.h"

#define SWP_TYPE_BITS 5
#define SWP_OFFSET_FIRST_BIT 9
#define SWP_OFFSET_SHIFT (SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS)

static inline pte_t swp_entry(unsigned type, uint64_t offset)
{
    return (pte_t)type << (64 - SWP_TYPE_BITS) | ((~offset << SWP_OFFSET_SHIFT) >> SWP_TYPE_BITS);
}
static inline uint64_t swp_offset(pte_t e) { return (~e << SWP_TYPE_BITS) >> SWP_OFFSET_SHIFT; }
static inline bool is_swap_pte(pte_t e) { return e && !(e & (PTE_P | PTE_PROTNONE)); }

/* Probe the ATA disk (with bus-master DMA if dma), read its swap header
 * and start using it, unless !enabled (`swap=off`). Called once from kmain. */
void swap_init(bool enabled, bool dma);
bool swap_active(void);
uint64_t swap_total_pages(void);
uint64_t swap_free_pages(void);
uint64_t swap_cached_pages(void);

/* Slots (mm/swapfile.c). A slot's count is the number of PTEs (and shm
 * objects) holding its entry; the swap cache's own hold is separate. */
uint64_t swap_slot_alloc(void); /* 0 = none free (slot 0 is the header) */
void swap_slot_get(uint64_t slot);
/* A slot's count is 16 bits wide (Linux: 8, with continuation pages): may
 * it take n more references? A page mapped 65,000 times (one SysV segment
 * attached over and over) must not wrap it to 0 and free a slot in use. */
#define SWAP_MAP_MAX 0xfff0 /* below SLOT_BAD (0xffff) */
bool swap_slot_has_room(uint64_t slot, unsigned n);
/* Drop one reference; the slot is free when none is left and the swap
 * cache no longer holds it. */
void swap_slot_put(uint64_t slot);
unsigned swap_slot_count(uint64_t slot);
/* Slots are numbered 1 .. swap_nr_slots() - 1 (0 without swap). */
uint64_t swap_nr_slots(void);
/* Unusable: the header, a bad page mkswap listed, or a retired slot. */
bool swap_slot_is_bad(uint64_t slot);

/* vm_check's pass over the swap map (mm/swapfile.c walks its own arrays:
 * a function call per slot made the check five times slower). refs[slot]
 * is what vm_check found naming each slot; a slot is wrong when its count
 * differs, when a retired slot is named or cached, or when its cache entry
 * does not name it back. */
#define SWAP_AUDIT_MAX 8
struct swap_audit {
    uint64_t used, free, cached;      /* recounted from the map and cache */
    uint64_t nr_wrong;
    uint64_t wrong[SWAP_AUDIT_MAX];  /* the first wrong slots */
};
void swap_audit(const uint16_t *refs, struct swap_audit *a);
/* After a failed I/O on the slot (called by reclaim and swap-in): keep it
 * for the entries that name it, retire it (SLOT_BAD) when they are gone. */
void swap_slot_mark_failed(uint64_t slot, bool write);
bool swap_slot_failed(uint64_t slot);

/* The swap cache: the frame that holds a slot's data while both exist. */
struct page *swap_cache_lookup(uint64_t slot);
void swap_cache_add(struct page *p, uint64_t slot);
void swap_cache_remove(struct page *p);
/* The slot's cached page is now new (compaction moved old's contents). */
void swap_cache_replace(struct page *old, struct page *new);
/* Drop p from the swap cache if nothing needs its copy any more (no PTE
 * maps it, no swap entry names its slot, no I/O on it). A pinned page may
 * go too: its pinner holds the frame. */
void swap_cache_trim(struct page *p);

/* Disk I/O (mm/swap_io.c): the caller sleeps until done. Returns 0 or
 * -EIO. swap_write_pages writes n (1..ATA_MAX_PAGES) pages to slots
 * slot..slot+n-1 in one request: one command, one interrupt. */
int swap_read_page(uint64_t slot, struct page *p);
int swap_write_pages(uint64_t slot, struct page *const *pages, unsigned n);

/* Read-around (mm/swap_io.c:swap_in): the slots after the faulting one
 * that the caller wants read in the same disk request. */
#define SWAP_READAROUND_MAX 15 /* extra pages per swap-in: a 64 KiB request */
struct swap_readaround {
    unsigned n; /* in: slots wanted after the faulting one; out: pages read */
    struct page *pages[SWAP_READAROUND_MAX]; /* out: page of slot+1+i, pinned */
};

/* Bring the page of slot into memory (mm/swap_io.c): from the swap cache,
 * or read from the disk into a new frame that joins the swap cache (with
 * the read-around pages ra asks for; ra may be NULL). The caller holds a
 * reference on the slot. Returns 0 with *pp pinned (map it, then
 * page_unpin), -ENOMEM, -EIO (the read failed; the slot is marked
 * failed) or -EAGAIN (while we slept nothing kept naming the slot: look at
 * the PTE or object entry again). Sets *major when the disk was read. */
int swap_in(uint64_t slot, struct page **pp, bool *major, struct swap_readaround *ra);
/* /proc/swaps text. */
size_t swap_report(char *buf, size_t size);

#endif
