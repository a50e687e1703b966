/*
 * drivers/ata.h - the PIIX IDE controller's primary channel (QEMU:
 * -drive file=swap.img,format=raw,if=ide): one disk, read and written in
 * requests of 1..ATA_MAX_PAGES pages (8 sectors each) that are contiguous
 * on the disk but anywhere in memory, with bus-master DMA (or PIO),
 * interrupt driven (IRQ 14).
 *
 * The driver knows nothing about processes: a request is submitted with a
 * completion callback, which runs in the interrupt handler when the last
 * sector moved (or on error). mm/swap_io.c turns that into "sleep until
 * done" for the process that needs the page.
 */
#ifndef PAGEWISE_DRIVERS_ATA_H
#define PAGEWISE_DRIVERS_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATA_SECTOR_SIZE 512
#define ATA_SECTORS_PER_PAGE 8
#define ATA_MAX_PAGES 32 /* pages per request: one DMA descriptor each */

struct ata_request {
    bool write;
    uint64_t lba;          /* first sector */
    unsigned nr_pages;     /* 1..ATA_MAX_PAGES, in consecutive sectors from lba */
    void *bufs[ATA_MAX_PAGES]; /* page i's memory (kernel address): gather/scatter */
    int error;             /* 0 or -EIO, set before complete() */
    void (*complete)(struct ata_request *rq);
    void *owner;           /* for the completion's use */
    unsigned sectors_done; /* driver state: PIO progress (of nr_pages * 8) */
    bool dma;              /* driver state: this one moves by DMA */
};

struct ata_disk_info {
    bool present;
    char model[41];
    uint64_t sectors;
    bool dma; /* transfers use bus-master DMA */
};

/* Probe the primary master with IDENTIFY; fills *info. With dma, set up
 * bus-master DMA if the controller and the disk can do it (else PIO).
 * Call once. */
bool ata_init(struct ata_disk_info *info, bool dma);
/* Start a request. Returns 0, or -EBUSY if one is in flight (one at a
 * time: the caller queues). Interrupts may be on. */
int ata_submit(struct ata_request *rq);
/* Pages worth putting in one request: ATA_MAX_PAGES with DMA (one
 * command, one interrupt); 1 with PIO, where every sector is an interrupt
 * anyway and a long request only takes longer to time out. */
unsigned ata_max_pages(void);
/* Called by the submitter if a request never completes: give up on it
 * (the completion is not called) and reset the channel. */
void ata_abort(struct ata_request *rq);

#endif
