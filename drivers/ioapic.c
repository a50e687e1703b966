/*
 * drivers/ioapic.c - the 82093AA-style IO-APIC (Intel's IO-APIC datasheet;
 * ACPI calls its inputs global system interrupts, GSIs).
 *
 * Two MMIO registers give access to all others: write the register number
 * to IOREGSEL (offset 0x00), then read or write IOWIN (offset 0x10).
 *
 *   0x00 ID | 0x01 version: bits 23:16 = number of inputs - 1
 *   0x10 + 2n, 0x11 + 2n: redirection entry n (64 bits, low then high)
 *     bits 7:0 vector | 10:8 delivery mode (0 = fixed) | 11 destination
 *     mode (0 = physical: an APIC id) | 13 polarity (1 = active low) |
 *     15 trigger (1 = level) | 16 mask | 63:56 destination APIC id
 */
#include "drivers/ioapic.h"

#include "kernel/printk.h"
#include "kernel/x86.h"
#include "mm/ioremap.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR 0x10
#define IOAPIC_MMIO_SIZE 0x20
#define VERSION_MAX_REDIR_SHIFT 16
#define VERSION_MASK 0xff
#define ID_SHIFT 24
#define REDIR_POLARITY_LOW (1u << 13)
#define REDIR_TRIGGER_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)
#define REDIR_DEST_SHIFT 24 /* in the high word */

static struct {
    volatile uint8_t *regs;
    uint32_t gsi_base;
    unsigned nr_inputs;
} ioapic;

static uint32_t ioapic_read(uint8_t reg)
{
    *(volatile uint32_t *)(ioapic.regs + IOREGSEL) = reg;
    return *(volatile uint32_t *)(ioapic.regs + IOWIN);
}

static void ioapic_write(uint8_t reg, uint32_t v)
{
    *(volatile uint32_t *)(ioapic.regs + IOREGSEL) = reg;
    *(volatile uint32_t *)(ioapic.regs + IOWIN) = v;
}

bool ioapic_init(uint64_t phys, uint32_t gsi_base)
{
    ioapic.regs = ioremap_uc(phys, IOAPIC_MMIO_SIZE);
    if (!ioapic.regs) {
        pr_warn("IO-APIC: cannot map it at %#lx\n", phys);
        return false;
    }
    uint32_t ver = ioapic_read(IOAPIC_REG_VERSION);
    ioapic.gsi_base = gsi_base;
    ioapic.nr_inputs = ((ver >> VERSION_MAX_REDIR_SHIFT) & VERSION_MASK) + 1;
    for (unsigned i = 0; i < ioapic.nr_inputs; i++) {
        ioapic_write(IOAPIC_REG_REDIR + 2 * i, REDIR_MASKED);
        ioapic_write(IOAPIC_REG_REDIR + 2 * i + 1, 0);
    }
    pr_info("IO-APIC: id %u at %#lx (uncached at %p), version %#x, GSI %u-%u, all masked\n",
            ioapic_read(IOAPIC_REG_ID) >> ID_SHIFT, phys, (void *)ioapic.regs, ver & VERSION_MASK, gsi_base,
            gsi_base + ioapic.nr_inputs - 1);
    return true;
}

bool ioapic_route(uint32_t gsi, uint8_t vector, bool level, bool active_low, uint32_t dest)
{
    if (!ioapic.regs || gsi < ioapic.gsi_base || gsi - ioapic.gsi_base >= ioapic.nr_inputs)
        return false;
    unsigned pin = gsi - ioapic.gsi_base;
    uint32_t low = vector | (level ? REDIR_TRIGGER_LEVEL : 0) | (active_low ? REDIR_POLARITY_LOW : 0);
    /* Destination first, with the entry still masked; unmask last. */
    ioapic_write(IOAPIC_REG_REDIR + 2 * pin, low | REDIR_MASKED);
    ioapic_write(IOAPIC_REG_REDIR + 2 * pin + 1, dest << REDIR_DEST_SHIFT);
    ioapic_write(IOAPIC_REG_REDIR + 2 * pin, low);
    return true;
}
