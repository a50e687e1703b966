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
#include "mm/vmstat.h"

#define SWAP_IO_TIMEOUT_TICKS (5 * HZ)

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
    uint64_t deadline = jiffies() + SWAP_IO_TIMEOUT_TICKS;
    while (r == 0 && !s.done && jiffies() < deadline) {
        if (current) /* a process: sleep while the disk works */
            sleep_on(&s.wait);
        else
            sti_hlt();
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
int swap_write_page(uint64_t slot, struct page *p) { return do_page_io(slot, p, true); }
