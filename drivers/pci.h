/*
 * drivers/pci.h - PCI configuration space through the legacy I/O ports
 * (configuration mechanism #1, PCI Local Bus Spec 3.0 §3.2.2.3.2): enough
 * to find the IDE controller and turn on its bus-master DMA.
 */
#ifndef PAGEWISE_DRIVERS_PCI_H
#define PAGEWISE_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* A function on the bus: bus 0-255, device 0-31, function 0-7. */
struct pci_dev {
    uint8_t bus, dev, fn;
};

/* Configuration-space offsets used here (a type 0 header). */
#define PCI_VENDOR_ID 0x00  /* 16 bit; 0xffff: no function there */
#define PCI_COMMAND 0x04    /* 16 bit */
#define PCI_CLASS_PROG 0x09 /* programming interface */
#define PCI_CLASS 0x0a      /* 16 bit: class << 8 | subclass */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR4 0x20
#define PCI_COMMAND_IO 0x1          /* respond to I/O-space accesses */
#define PCI_COMMAND_BUS_MASTER 0x4  /* may start DMA */
#define PCI_BAR_IO 0x1              /* bit 0 of a BAR: an I/O-port BAR */
#define PCI_BAR_IO_MASK 0xfffffffc

uint32_t pci_read32(struct pci_dev d, uint8_t off);
uint16_t pci_read16(struct pci_dev d, uint8_t off);
uint8_t pci_read8(struct pci_dev d, uint8_t off);
void pci_write16(struct pci_dev d, uint8_t off, uint16_t v);
/* The first function of this class and subclass on bus 0 (e.g. 0x01,
 * 0x01: an IDE controller); false if none. */
bool pci_find_class(uint8_t class, uint8_t subclass, struct pci_dev *out);

#endif
