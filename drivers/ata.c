/*
 * drivers/ata.c - ATA PIO on the primary IDE channel (ATA/ATAPI-6 §8).
 *
 * Command block registers (ports 0x1f0..0x1f7), control block (0x3f6):
 *   +0 DATA (16 bit)   +1 ERROR/FEATURES   +2 SECTOR COUNT   +3 LBA 0-7
 *   +4 LBA 8-15        +5 LBA 16-23        +6 DEVICE (0x40 = LBA mode)
 *   +7 STATUS/COMMAND  0x3f6: alternate status / device control (nIEN)
 * STATUS bits: BSY 0x80, DRDY 0x40, DF 0x20, DRQ 0x08, ERR 0x01.
 *
 * READ SECTORS EXT (0x24): after the command, the disk raises IRQ 14 for
 * each sector with DRQ set: the handler reads 256 words. WRITE SECTORS EXT
 * (0x34): the first sector is written right after the command (DRQ), then
 * each IRQ asks for the next one; the last IRQ says all are on disk.
 */
#include "drivers/ata.h"

#include "drivers/irq.h"
#include "kernel/errno.h"
#include "kernel/x86.h"

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

static struct {
    struct ata_request *active;
    bool present;
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

/* One sector through the data register: rep insw/outsw moves 256 words. */
static void transfer_sector(struct ata_request *rq)
{
    uint16_t *p = (uint16_t *)rq->buf + rq->sectors_done * WORDS_PER_SECTOR;
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

/* IRQ 14: one sector is ready (read) or was taken (write). */
static void ata_irq(void *unused)
{
    (void)unused;
    ata.irqs++;
    uint8_t st = status(); /* reading STATUS acknowledges the interrupt */
    struct ata_request *rq = ata.active;
    if (!rq)
        return;
    if (st & (ST_ERR | ST_DF)) {
        finish(rq, -EIO);
        return;
    }
    if (!rq->write) {
        if (!(st & ST_DRQ))
            return;
        transfer_sector(rq);
        if (++rq->sectors_done == ATA_SECTORS_PER_PAGE)
            finish(rq, 0);
    } else {
        if (rq->sectors_done == ATA_SECTORS_PER_PAGE) {
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

int ata_submit(struct ata_request *rq)
{
    bool irqs = irq_save();
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
    select_lba48(rq->lba, ATA_SECTORS_PER_PAGE);
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

void ata_abort(struct ata_request *rq)
{
    bool irqs = irq_save();
    if (ata.active == rq) {
        ata.active = NULL;
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

bool ata_init(struct ata_disk_info *info)
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
    info->present = ata.present = true;
    irq_register(ATA_IRQ, ata_irq, NULL);
    outb(ATA_CTRL, 0); /* interrupts on */
    return true;
}
