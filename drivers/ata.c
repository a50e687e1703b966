/*
 * drivers/ata.c - the ATA disk on the primary IDE channel (ATA/ATAPI-6 §8):
 * bus-master DMA by default, one interrupt per request (up to
 * ATA_MAX_PAGES pages); PIO with ata=pio.
 *
 * Command block registers (ports 0x1f0..0x1f7), control block (0x3f6):
 *   +0 DATA (16 bit)   +1 ERROR/FEATURES   +2 SECTOR COUNT   +3 LBA 0-7
 *   +4 LBA 8-15        +5 LBA 16-23        +6 DEVICE (0x40 = LBA mode)
 *   +7 STATUS/COMMAND  0x3f6: alternate status / device control (nIEN)
 * STATUS bits: BSY 0x80, DRDY 0x40, DF 0x20, DRQ 0x08, ERR 0x01.
 *
 * Two ways to move a page, chosen at boot (ata=pio on the command line
 * forces the first):
 *
 * PIO. READ SECTORS EXT (0x24): after the command, the disk raises IRQ 14
 * for each sector with DRQ set: the handler reads 256 words. WRITE SECTORS
 * EXT (0x34): the first sector is written right after the command (DRQ),
 * then each IRQ asks for the next one; the last IRQ says all are on disk.
 * The CPU copies every word: 8 interrupts and 2048 port reads per page.
 *
 * Bus-master DMA (the PIIX's IDE function; "Programming Interface for Bus
 * Master IDE Controller", rev 1.0). PCI BAR4 holds 8 ports per channel:
 *   +0 COMMAND  bit 0 start, bit 3 direction (1: the disk writes memory)
 *   +2 STATUS   bit 0 active, bit 1 error, bit 2 interrupt (write 1: clear)
 *   +4 PRDT     physical address of the descriptor table (dword aligned)
 * A descriptor (PRD) is a 32-bit physical address, a 16-bit byte count
 * and, in bit 15 of its last word, end-of-table. READ/WRITE DMA EXT
 * (0x25/0x35) then move the whole request without the CPU: one
 * descriptor per page, so pages scattered in memory go to consecutive
 * sectors in one command and one interrupt.
 */
#include "drivers/ata.h"

#include "drivers/irq.h"
#include "drivers/pci.h"
#include "kernel/errno.h"
#include "kernel/x86.h"
#include "mm/page.h"
#include "mm/pmm.h"

#define ATA_IO 0x1f0
#define ATA_CTRL 0x3f6
#define ATA_IRQ 14
#define REG_DATA 0
#define REG_ERROR 1
#define REG_COUNT 2
#define REG_LBA0 3
#define REG_LBA1 4
#define REG_LBA2 5
#define REG_DEVICE 6
#define REG_STATUS 7
#define REG_COMMAND 7
#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF 0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define DEV_LBA 0x40
#define CTRL_SRST 0x04
#define CTRL_NIEN 0x02
#define CMD_READ_EXT 0x24
#define CMD_WRITE_EXT 0x34
#define CMD_IDENTIFY 0xec
#define CMD_FLUSH_EXT 0xea
#define WORDS_PER_SECTOR 256
#define POLL_LIMIT 1000000
#define ID_MODEL 27
#define ID_MODEL_WORDS 20
#define ID_LBA28 60
#define ID_LBA48 100
#define ID_CAPABILITIES 49
#define ID_CAP_DMA 0x100
#define CMD_READ_DMA_EXT 0x25
#define CMD_WRITE_DMA_EXT 0x35
#define PCI_CLASS_STORAGE 0x01
#define PCI_SUBCLASS_IDE 0x01
#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08
#define BM_ST_ERROR 0x02
#define BM_ST_IRQ 0x04
#define PRD_END 0x8000
#define DMA_LIMIT (1ull << 32) /* a PRD holds a 32-bit address */

struct prd {
    uint32_t addr;
    uint16_t bytes;
    uint16_t flags;
};

static struct {
    struct ata_request *active;
    bool present;
    bool dma;          /* bus mastering set up: requests use DMA */
    uint16_t bm;       /* the primary channel's bus-master ports */
    struct prd *prdt;  /* one descriptor per page of the request */
    uint64_t irqs, errors;
} ata;

static uint8_t status(void) { return inb(ATA_IO + REG_STATUS); }

/* Wait for BSY to clear; false on timeout. (Only at probe and submit,
 * where the disk answers within microseconds.) */
static bool wait_not_busy(void)
{
    for (int i = 0; i < POLL_LIMIT; i++)
        if (!(status() & ST_BSY))
            return true;
    return false;
}

static unsigned rq_sectors(const struct ata_request *rq) { return rq->nr_pages * ATA_SECTORS_PER_PAGE; }

/* One sector through the data register: rep insw/outsw moves 256 words. */
static void transfer_sector(struct ata_request *rq)
{
    unsigned page = rq->sectors_done / ATA_SECTORS_PER_PAGE, in_page = rq->sectors_done % ATA_SECTORS_PER_PAGE;
    uint16_t *p = (uint16_t *)rq->bufs[page] + in_page * WORDS_PER_SECTOR;
    size_t n = WORDS_PER_SECTOR;
    if (rq->write)
        __asm__ volatile("rep outsw" : "+S"(p), "+c"(n) : "d"((uint16_t)(ATA_IO + REG_DATA)) : "memory");
    else
        __asm__ volatile("rep insw" : "+D"(p), "+c"(n) : "d"((uint16_t)(ATA_IO + REG_DATA)) : "memory");
}

static void finish(struct ata_request *rq, int error)
{
    ata.active = NULL;
    rq->error = error;
    if (error)
        ata.errors++;
    rq->complete(rq);
}

/* The end of a DMA transfer: stop the engine, clear its status bits. */
static void dma_irq(struct ata_request *rq, uint8_t st)
{
    uint8_t bm = inb(ata.bm + BM_STATUS);
    outb(ata.bm + BM_COMMAND, 0);
    outb(ata.bm + BM_STATUS, bm | BM_ST_ERROR | BM_ST_IRQ);
    finish(rq, (bm & BM_ST_ERROR) || (st & (ST_ERR | ST_DF)) ? -EIO : 0);
}

/* IRQ 14: a DMA transfer ended, or (PIO) one sector is ready (read) or
 * was taken (write). */
static void ata_irq(void *unused)
{
    (void)unused;
    ata.irqs++;
    uint8_t st = status(); /* reading STATUS acknowledges the interrupt */
    struct ata_request *rq = ata.active;
    if (!rq)
        return;
    if (rq->dma) {
        dma_irq(rq, st);
        return;
    }
    if (st & (ST_ERR | ST_DF)) {
        finish(rq, -EIO);
        return;
    }
    if (!rq->write) {
        if (!(st & ST_DRQ))
            return;
        transfer_sector(rq);
        if (++rq->sectors_done == rq_sectors(rq))
            finish(rq, 0);
    } else {
        if (rq->sectors_done == rq_sectors(rq)) {
            finish(rq, 0); /* the last sector is on the disk */
        } else if (st & ST_DRQ) {
            transfer_sector(rq);
            rq->sectors_done++;
        }
    }
}

static void select_lba48(uint64_t lba, unsigned count)
{
    outb(ATA_IO + REG_DEVICE, DEV_LBA);
    outb(ATA_IO + REG_COUNT, (uint8_t)(count >> 8)); /* high bytes first (EXT commands) */
    outb(ATA_IO + REG_LBA0, (uint8_t)(lba >> 24));
    outb(ATA_IO + REG_LBA1, (uint8_t)(lba >> 32));
    outb(ATA_IO + REG_LBA2, (uint8_t)(lba >> 40));
    outb(ATA_IO + REG_COUNT, (uint8_t)count);
    outb(ATA_IO + REG_LBA0, (uint8_t)lba);
    outb(ATA_IO + REG_LBA1, (uint8_t)(lba >> 8));
    outb(ATA_IO + REG_LBA2, (uint8_t)(lba >> 16));
}

/* Can the engine reach every page of rq (PRD addresses are 32 bits)? */
static bool dma_reachable(const struct ata_request *rq)
{
    for (unsigned i = 0; i < rq->nr_pages; i++)
        if (virt_to_phys(rq->bufs[i]) + PAGE_SIZE > DMA_LIMIT)
            return false;
    return true;
}

/* Program the bus master with the pages, then give the disk the command;
 * the engine starts last, so it never races an unready disk. */
static void dma_start(struct ata_request *rq)
{
    uint8_t dir = rq->write ? 0 : BM_CMD_TO_MEMORY;
    for (unsigned i = 0; i < rq->nr_pages; i++)
        ata.prdt[i] = (struct prd){(uint32_t)virt_to_phys(rq->bufs[i]), PAGE_SIZE, 0};
    ata.prdt[rq->nr_pages - 1].flags = PRD_END;
    outb(ata.bm + BM_COMMAND, 0);
    outl(ata.bm + BM_PRDT, (uint32_t)virt_to_phys(ata.prdt));
    outb(ata.bm + BM_STATUS, inb(ata.bm + BM_STATUS) | BM_ST_ERROR | BM_ST_IRQ);
    outb(ata.bm + BM_COMMAND, dir);
    select_lba48(rq->lba, rq_sectors(rq));
    outb(ATA_IO + REG_COMMAND, rq->write ? CMD_WRITE_DMA_EXT : CMD_READ_DMA_EXT);
    outb(ata.bm + BM_COMMAND, dir | BM_CMD_START);
}

int ata_submit(struct ata_request *rq)
{
    bool irqs = irq_save();
    if (rq->nr_pages == 0 || rq->nr_pages > ATA_MAX_PAGES) {
        irq_restore(irqs);
        return -EINVAL;
    }
    if (ata.active || !ata.present) {
        irq_restore(irqs);
        return ata.present ? -EBUSY : -ENXIO;
    }
    if (!wait_not_busy()) {
        irq_restore(irqs);
        return -EIO;
    }
    ata.active = rq;
    rq->sectors_done = 0;
    rq->error = 0;
    rq->dma = ata.dma && dma_reachable(rq);
    if (rq->dma) {
        dma_start(rq);
        irq_restore(irqs);
        return 0;
    }
    select_lba48(rq->lba, rq_sectors(rq));
    outb(ATA_IO + REG_COMMAND, rq->write ? CMD_WRITE_EXT : CMD_READ_EXT);
    if (rq->write) { /* the first sector goes now; IRQs ask for the rest */
        int i = 0;
        while (!(status() & (ST_DRQ | ST_ERR)) && i++ < POLL_LIMIT)
            cpu_relax();
        if (status() & ST_ERR) {
            irq_restore(irqs);
            finish(rq, -EIO);
            return 0;
        }
        transfer_sector(rq);
        rq->sectors_done++;
    }
    irq_restore(irqs);
    return 0;
}

unsigned ata_max_pages(void) { return ata.dma ? ATA_MAX_PAGES : 1; }

void ata_abort(struct ata_request *rq)
{
    bool irqs = irq_save();
    if (ata.active == rq) {
        ata.active = NULL;
        if (rq->dma)
            outb(ata.bm + BM_COMMAND, 0); /* stop the engine first */
        outb(ATA_CTRL, CTRL_SRST); /* software reset of the channel */
        io_wait();
        outb(ATA_CTRL, 0);
        wait_not_busy();
    }
    irq_restore(irqs);
}

static void copy_model(const uint16_t *id, char *model)
{
    for (int i = 0; i < ID_MODEL_WORDS; i++) { /* each word holds two characters, swapped */
        model[2 * i] = (char)(id[ID_MODEL + i] >> 8);
        model[2 * i + 1] = (char)id[ID_MODEL + i];
    }
    model[2 * ID_MODEL_WORDS] = '\0';
    for (int i = 2 * ID_MODEL_WORDS - 1; i >= 0 && model[i] == ' '; i--)
        model[i] = '\0';
}

/* Find the IDE controller on the PCI bus, let it master the bus, and
 * give it a descriptor table. False (PIO then) if any of it is missing. */
static bool dma_init(const uint16_t *id)
{
    struct pci_dev d;
    if (!(id[ID_CAPABILITIES] & ID_CAP_DMA) || !pci_find_class(PCI_CLASS_STORAGE, PCI_SUBCLASS_IDE, &d))
        return false;
    uint32_t bar4 = pci_read32(d, PCI_BAR4);
    if (!(bar4 & PCI_BAR_IO) || !(bar4 & PCI_BAR_IO_MASK))
        return false;
    struct page *p = pmm_alloc_zeroed();
    if (!p || page_to_phys(p) + PAGE_SIZE > DMA_LIMIT) {
        if (p)
            pmm_free(p, 0);
        return false;
    }
    ata.prdt = page_to_virt(p);
    ata.bm = (uint16_t)(bar4 & PCI_BAR_IO_MASK);
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER);
    return true;
}

bool ata_init(struct ata_disk_info *info, bool dma)
{
    info->present = false;
    outb(ATA_CTRL, CTRL_NIEN); /* no interrupt during the probe */
    outb(ATA_IO + REG_DEVICE, DEV_LBA);
    if (status() == 0xff || status() == 0) /* floating bus: no disk */
        return false;
    outb(ATA_IO + REG_COMMAND, CMD_IDENTIFY);
    if (status() == 0 || !wait_not_busy())
        return false;
    if (inb(ATA_IO + REG_LBA1) || inb(ATA_IO + REG_LBA2)) /* an ATAPI device (CD-ROM) */
        return false;
    int i = 0;
    while (!(status() & (ST_DRQ | ST_ERR)) && i++ < POLL_LIMIT)
        cpu_relax();
    if (status() & ST_ERR)
        return false;
    uint16_t id[WORDS_PER_SECTOR];
    for (int w = 0; w < WORDS_PER_SECTOR; w++)
        id[w] = inw(ATA_IO + REG_DATA);
    copy_model(id, info->model);
    uint64_t lba48 = (uint64_t)id[ID_LBA48] | (uint64_t)id[ID_LBA48 + 1] << 16 | (uint64_t)id[ID_LBA48 + 2] << 32;
    info->sectors = lba48 ? lba48 : ((uint64_t)id[ID_LBA28] | (uint64_t)id[ID_LBA28 + 1] << 16);
    info->dma = ata.dma = dma && dma_init(id);
    info->present = ata.present = true;
    irq_register(ATA_IRQ, ata_irq, NULL, "ata_piix");
    outb(ATA_CTRL, 0); /* interrupts on */
    return true;
}
