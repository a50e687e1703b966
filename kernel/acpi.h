/*
 * kernel/acpi.h - the ACPI tables the kernel reads (kernel/acpi.c): the
 * RSDP GRUB hands over, the RSDT or XSDT it points to, and the MADT
 * ("APIC" table, ACPI spec §5.2.12), which lists the CPUs' local APICs,
 * the IO-APIC and how the ISA IRQs reach it.
 */
#ifndef PAGEWISE_KERNEL_ACPI_H
#define PAGEWISE_KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/multiboot.h"

#define MADT_MAX_CPUS 64     /* more are counted, not kept */
#define NR_ISA_IRQS 16

/* MPS INTI flags of an interrupt source override (ACPI §5.2.12.5): bits
 * 1:0 polarity, 3:2 trigger mode; 0 = "conforms to the bus" (ISA: active
 * high, edge). Linux: MP_IRQPOL_*, MP_IRQTRIG_*. */
#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_ACTIVE_HIGH 0x1
#define MPS_POLARITY_ACTIVE_LOW 0x3
#define MPS_TRIGGER_MASK 0xc
#define MPS_TRIGGER_EDGE 0x4
#define MPS_TRIGGER_LEVEL 0xc

/* Where one ISA IRQ arrives at the IO-APIC. Without an override: GSI =
 * IRQ, active high, edge triggered. */
struct isa_irq_route {
    uint32_t gsi;
    bool active_low, level;
    bool overridden; /* an override entry said so */
};

/* What the MADT says, in the kernel's terms. */
struct madt_info {
    uint64_t lapic_phys;   /* the local APICs' MMIO page (each CPU sees its own) */
    bool pcat_compat;      /* dual 8259A present: mask them when using the APIC */
    unsigned nr_cpus;      /* enabled local APICs (processors that can run) */
    unsigned nr_disabled;  /* listed but not enabled */
    uint32_t apic_ids[MADT_MAX_CPUS];
    unsigned nr_ioapics;   /* only the first is used */
    uint8_t ioapic_id;
    uint64_t ioapic_phys;
    uint32_t ioapic_gsi_base;
    unsigned nr_overrides;
    struct isa_irq_route isa[NR_ISA_IRQS];
};

/* Parse a whole MADT (header included, `len` bytes, checksum already
 * verified by the caller). Returns false, with the reason in *why, if it
 * is garbled or lists no enabled CPU or no IO-APIC. Pure: the ktests feed
 * it built-in tables. */
bool madt_parse(const void *table, size_t len, struct madt_info *out, const char **why);

/* Find and parse the MADT through the RSDP in bi (after paging_init: the
 * tables are mapped with ioremap_cache and unmapped again). Logs what it
 * found, or why it falls back. Returns the MADT, or NULL: then the kernel
 * keeps one CPU and the 8259A. Called once by kmain. */
const struct madt_info *acpi_init(const struct boot_info *bi);
/* The MADT acpi_init found, or NULL. */
const struct madt_info *acpi_madt(void);

#endif
