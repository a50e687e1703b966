/*
 * mm/swap_io.c - moving pages between memory and their swap slots. The
 * process that needs the pages sleeps while the disk works: other
 * processes run meanwhile (the completion runs in the ATA interrupt and
 * wakes it). One request is on the disk at a time; others wait their turn.
 * A request moves 1..ATA_MAX_PAGES pages whose slots are consecutive
 * (reclaim writes its victims as such clusters: mm/vmscan.c).
 */
#include "drivers/ata.h"
#include "kernel/errno.h"
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmscan.h"
#include "mm/vmstat.h"

#define SWAP_IO_TIMEOUT_NS 5000000000ull  /* a lost interrupt: give up after 5 s, */
#define SWAP_IO_TIMEOUT_PER_PAGE_NS 250000000ull /* and 1/4 s more per page of a cluster */
#define SWAP_IO_TIMEOUT_TICKS (HZ / 2)     /* sleep at most this long between looks */

struct swap_io {
    struct ata_request rq;
    volatile bool done;
    struct wait_queue wait;
};

/* The disk takes one request at a time: its holder sleeps while the
 * transfer runs, so it is a sleeping lock, taken under mmap_lock (a fault
 * reading swap) and never the other way round. */
static struct lock_class swap_io_class = LOCK_CLASS_INIT("swap_io");

static struct {
    struct mutex disk; /* held from submission to completion */
    uint64_t errors;
} io;

static void io_complete(struct ata_request *rq)
{
    struct swap_io *s = rq->owner;
    s->done = true;
    wake_up(&s->wait);
    sched_preempt_soon(); /* the faulting process need not wait for a CPU hog's slice */
}

/* "slot 64" or "slots 64-95", for the console (one static buffer: the
 * disk handles one request at a time). */
static const char *slots_name(uint64_t slot, unsigned n)
{
    static char name[48];
    if (n == 1)
        snprintf(name, sizeof(name), "slot %lu", slot);
    else
        snprintf(name, sizeof(name), "slots %lu-%lu", slot, slot + n - 1);
    return name;
}

/* Move pages[0..n) to or from slots slot..slot+n-1 in one disk request. */
static int do_pages_io(uint64_t slot, struct page *const *pages, unsigned n, bool write)
{
    static bool init;
    if (!init) {
        mutex_init(&io.disk, &swap_io_class);
        init = true;
    }
    struct swap_io s = {.rq = {.write = write, .lba = slot * ATA_SECTORS_PER_PAGE, .nr_pages = n,
                               .complete = io_complete, .owner = &s}};
    for (unsigned i = 0; i < n; i++)
        s.rq.bufs[i] = page_to_virt(pages[i]);
    wait_queue_init(&s.wait);
    mutex_lock(&io.disk);
    bool irqs = irq_save(); /* the completion interrupt: not before we sleep */
    sched_io_begin();
    int r = ata_submit(&s.rq);
    /* Wait, but not forever. Time is judged by the TSC clock: timer ticks
     * that were late under an emulator may arrive in a burst. */
    uint64_t t0 = time_since_boot_ns(), timeout = SWAP_IO_TIMEOUT_NS + (n - 1) * SWAP_IO_TIMEOUT_PER_PAGE_NS;
    while (r == 0 && !s.done && time_since_boot_ns() - t0 < timeout) {
        if (current) /* a process: sleep while the disk works */
            sleep_on_timeout(&s.wait, SWAP_IO_TIMEOUT_TICKS);
        else
            sti_hlt();
    }
    if (r == 0 && !s.done) { /* a last chance for a completion that is pending right now */
        sti();
        cpu_relax();
        cli();
    }
    if (r == 0 && !s.done) {
        ata_abort(&s.rq);
        pr_err("swap: disk timeout on %s (%s)\n", slots_name(slot, n), write ? "write" : "read");
        r = -EIO;
    } else if (r == 0 && (r = s.rq.error) != 0) {
        pr_err("swap: disk error %s %s (sectors %lu-%lu)\n", write ? "writing" : "reading", slots_name(slot, n),
               s.rq.lba, s.rq.lba + n * ATA_SECTORS_PER_PAGE - 1);
    }
    sched_io_end();
    irq_restore(irqs);
    mutex_unlock(&io.disk);
    if (r)
        io.errors++;
    else if (slot != 0) { /* page 0 is the header, read once at boot: not a swapped page */
        count_vm_events(write ? NR_PSWPOUT : NR_PSWPIN, n);
        count_vm_event(NR_SWAP_REQUESTS);
    }
    return r;
}

int swap_read_page(uint64_t slot, struct page *p) { return do_pages_io(slot, &p, 1, false); }

/* Frames for the read-around slots slot+1 .. slot+ra->n, into pages[]:
 * stops at the first slot that is cached or unnamed, or when free frames
 * are down to WMARK_MIN (the kernel's reserve, as in alloc_user_page; it
 * never reclaims for read-around). Each page joins the swap cache, locked
 * and pinned. Returns how many. It only pays when the disk is read anyway:
 * the whole run comes in one request. */
static unsigned readaround_prepare(uint64_t slot, struct swap_readaround *ra, struct page **pages)
{
    unsigned k = 0;
    while (k < ra->n && k + 1 < ata_max_pages() && pmm_nr_free() > WMARK_MIN) {
        uint64_t s = slot + 1 + k;
        if (swap_cache_lookup(s) || swap_slot_count(s) == 0)
            break;
        struct page *p = pmm_alloc(0);
        if (!p)
            break;
        page_pin_new(p);
        swap_cache_add(p, s);
        page_lock(p);
        pages[k++] = p;
    }
    return k;
}

/* After the read: unlock the read-around pages and hand them to the
 * caller (ok), or let them go (the read failed). */
static void readaround_finish(struct swap_readaround *ra, struct page **pages, unsigned k, bool ok)
{
    for (unsigned i = 0; i < k; i++) {
        page_unlock(pages[i]);
        if (!ok) {
            swap_cache_remove(pages[i]); /* the slot keeps its data on disk, and its count */
            page_unpin(pages[i]);
        }
        ra->pages[i] = ok ? pages[i] : NULL;
    }
    if (ra)
        ra->n = ok ? k : 0;
    if (ok)
        count_vm_events(NR_SWAP_READAROUND, k);
}

/* The one swap-in protocol, for PTEs (do_swap_page) and shm objects
 * (shm_object_page), as Linux's swapin_readahead:
 *
 *   the slot's page is in the swap cache?
 *     under I/O (reclaim writing it, or another swap-in reading it):
 *         pin it, sleep until the transfer ends, look again
 *     else: pin it, done (a minor fault: no disk read)
 *   else: a new frame joins the swap cache, locked, and the disk fills it;
 *         with it, in the same request, the read-around pages (below)
 *
 * The caller holds a reference on the slot (its PTE's or its object's
 * entry) when it calls, but may lose it while we sleep; so -EAGAIN means
 * "nothing names the slot any more: look at your PTE again".
 *
 * Read-around: ra->n (0..ATA_MAX_PAGES-1) is how many of the slots after
 * `slot` the caller would like too (do_swap_page asks for the ones its next
 * PTEs name). Only when the disk must be read anyway, and memory is
 * plentiful, each of them that is still on disk only gets a frame in the
 * swap cache and rides along; ra->pages[i] is then that page, pinned (the
 * caller maps it or lets it go), else NULL. ra->n becomes the number read. */
int swap_in(uint64_t slot, struct page **pp, bool *major, struct swap_readaround *ra)
{
    struct page *p;
    for (;;) {
        p = swap_cache_lookup(slot);
        if (p) {
            page_pin(p);
            if (!(p->flags & PG_locked)) {
                *pp = p;
                if (ra)
                    ra->n = 0;
                return 0;
            }
            page_wait_unlocked(p);
            page_unpin(p); /* may free it: reclaim wrote it out and let it go */
            continue;
        }
        p = alloc_user_page(); /* pinned; may reclaim and sleep */
        if (!p)
            return -ENOMEM;
        if (!swap_cache_lookup(slot) && swap_slot_count(slot) > 0)
            break; /* still not in memory, still named: read it */
        page_unpin(p); /* things moved while we slept */
        if (!swap_cache_lookup(slot))
            return -EAGAIN;
    }
    struct page *pages[ATA_MAX_PAGES] = {p};
    unsigned n = 1 + (ra ? readaround_prepare(slot, ra, pages + 1) : 0);
    swap_cache_add(p, slot);
    page_lock(p);
    int r = do_pages_io(slot, pages, n, false);
    bool cluster_ok = r == 0;
    if (r && n > 1) /* a cluster failed: which slot is bad? read ours alone, drop the rest */
        r = do_pages_io(slot, pages, 1, false);
    readaround_finish(ra, pages + 1, n - 1, cluster_ok);
    page_unlock(p);
    *major = true;
    if (r) {
        swap_slot_mark_failed(slot, false); /* first: so that the slot is retired, never freed */
        swap_cache_remove(p);
        page_unpin(p);
        return -EIO;
    }
    *pp = p;
    return 0;
}

int swap_write_pages(uint64_t slot, struct page *const *pages, unsigned n)
{
    return do_pages_io(slot, pages, n, true);
}
