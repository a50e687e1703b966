/*
 * mm/swap_io.c - moving one page between memory and its swap slot. The
 * process that needs the page sleeps while the disk works: other
 * processes run meanwhile (the completion runs in the ATA interrupt and
 * wakes it). One request is on the disk at a time; others wait their turn.
 */
#include "drivers/ata.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/swap.h"
#include "mm/vmscan.h"
#include "mm/vmstat.h"

#define SWAP_IO_TIMEOUT_NS 5000000000ull /* a lost interrupt: give up after 5 s */
#define SWAP_IO_TIMEOUT_TICKS (HZ / 2)     /* sleep at most this long between looks */

struct swap_io {
    struct ata_request rq;
    volatile bool done;
    struct wait_queue wait;
};

static struct {
    struct wait_queue disk_free; /* waiting for the disk to take a request */
    bool busy;
    uint64_t errors;
} io = {.busy = false};

static void io_complete(struct ata_request *rq)
{
    struct swap_io *s = rq->owner;
    s->done = true;
    wake_up(&s->wait);
    sched_preempt_soon(); /* the faulting process need not wait for a CPU hog's slice */
}

static int do_page_io(uint64_t slot, struct page *p, bool write)
{
    static bool init;
    if (!init) {
        wait_queue_init(&io.disk_free);
        init = true;
    }
    struct swap_io s = {.rq = {.write = write, .lba = slot * ATA_SECTORS_PER_PAGE, .buf = page_to_virt(p),
                               .complete = io_complete, .owner = &s}};
    wait_queue_init(&s.wait);
    bool irqs = irq_save();
    while (io.busy)
        sleep_on(&io.disk_free);
    io.busy = true;
    sched_io_begin();
    int r = ata_submit(&s.rq);
    /* Wait, but not forever. Time is judged by the TSC clock: timer ticks
     * that were late under an emulator may arrive in a burst. */
    uint64_t t0 = time_since_boot_ns();
    while (r == 0 && !s.done && time_since_boot_ns() - t0 < SWAP_IO_TIMEOUT_NS) {
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
        pr_err("swap: disk timeout on slot %lu (%s)\n", slot, write ? "write" : "read");
        r = -EIO;
    } else if (r == 0 && (r = s.rq.error) != 0) {
        pr_err("swap: disk error %s slot %lu (sectors %lu-%lu)\n", write ? "writing" : "reading", slot,
               s.rq.lba, s.rq.lba + ATA_SECTORS_PER_PAGE - 1);
    }
    sched_io_end();
    io.busy = false;
    wake_up(&io.disk_free);
    irq_restore(irqs);
    if (r)
        io.errors++;
    else if (slot != 0) /* page 0 is the header, read once at boot: not a swapped page */
        count_vm_event(write ? NR_PSWPOUT : NR_PSWPIN);
    return r;
}

int swap_read_page(uint64_t slot, struct page *p) { return do_page_io(slot, p, false); }

/* The one swap-in protocol, for PTEs (do_swap_page) and shm objects
 * (shm_object_page), as Linux's swapin_readahead minus the readahead:
 *
 *   the slot's page is in the swap cache?
 *     under I/O (reclaim writing it, or another swap-in reading it):
 *         pin it, sleep until the transfer ends, look again
 *     else: pin it, done (a minor fault: no disk read)
 *   else: a new frame joins the swap cache, locked, and the disk fills it
 *
 * The caller holds a reference on the slot (its PTE's or its object's
 * entry) when it calls, but may lose it while we sleep; so -EAGAIN means
 * "nothing names the slot any more: look at your PTE again". */
int swap_in(uint64_t slot, struct page **pp, bool *major)
{
    struct page *p;
    for (;;) {
        p = swap_cache_lookup(slot);
        if (p) {
            page_pin(p);
            if (!(p->flags & PG_locked)) {
                *pp = p;
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
    swap_cache_add(p, slot);
    page_lock(p);
    int r = swap_read_page(slot, p);
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
int swap_write_page(uint64_t slot, struct page *p) { return do_page_io(slot, p, true); }
