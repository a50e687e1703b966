/*
 * drivers/pci.c - PCI configuration space, mechanism #1.
 *
 * Write the address of a 32-bit configuration register to port 0xcf8,
 * then read or write it through port 0xcfc:
 *
 *   31  30..24   23..16   15..11   10..8    7..2       1..0
 *   +--+--------+--------+--------+-------+----------+----+
 *   |E | 0      |  bus   | device | func  | register | 00 |     E = enable
 *   +--+--------+--------+--------+-------+----------+----+
 *
 * Narrower registers are the matching bytes of that dword. Only bus 0 is
 * scanned: QEMU's i440fx machine puts every device there (real hardware
 * would need a walk through the PCI-to-PCI bridges).
 */
#include "drivers/pci.h"

#include "kernel/x86.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ENABLE (1u << 31)
#define PCI_DEVICES_PER_BUS 32
#define PCI_FUNCTIONS 8
#define PCI_MULTIFUNCTION 0x80 /* header type bit 7 */

static void select_register(struct pci_dev d, uint8_t off)
{
    outl(PCI_CONFIG_ADDRESS,
         PCI_ENABLE | (uint32_t)d.bus << 16 | (uint32_t)d.dev << 11 | (uint32_t)d.fn << 8 | (off & 0xfc));
}

uint32_t pci_read32(struct pci_dev d, uint8_t off)
{
    select_register(d, off);
    return inl(PCI_CONFIG_DATA);
}

uint16_t pci_read16(struct pci_dev d, uint8_t off) { return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8)); }

uint8_t pci_read8(struct pci_dev d, uint8_t off) { return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8)); }

void pci_write16(struct pci_dev d, uint8_t off, uint16_t v)
{
    uint32_t old = pci_read32(d, off), shift = (off & 2) * 8;
    select_register(d, off);
    outl(PCI_CONFIG_DATA, (old & ~(0xffffu << shift)) | (uint32_t)v << shift);
}

bool pci_find_class(uint8_t class, uint8_t subclass, struct pci_dev *out)
{
    for (uint8_t dev = 0; dev < PCI_DEVICES_PER_BUS; dev++) {
        for (uint8_t fn = 0; fn < PCI_FUNCTIONS; fn++) {
            struct pci_dev d = {0, dev, fn};
            if (pci_read16(d, PCI_VENDOR_ID) == 0xffff) {
                if (fn == 0)
                    break; /* no device in this slot */
                continue;
            }
            if (pci_read16(d, PCI_CLASS) == ((uint16_t)class << 8 | subclass)) {
                *out = d;
                return true;
            }
            if (fn == 0 && !(pci_read8(d, PCI_HEADER_TYPE) & PCI_MULTIFUNCTION))
                break; /* a single-function device */
        }
    }
    return false;
}
