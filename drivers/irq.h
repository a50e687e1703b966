/*
 * drivers/irq.h - device interrupts (IRQs), whichever controller brings
 * them: the 8259A PICs, or the IO-APIC and the local APIC when the ACPI
 * MADT describes them. Either way ISA IRQ n arrives as vector 0x20 + n
 * (0..31 are the CPU's exceptions, SDM Vol 3A §6.3), so drivers see no
 * difference.
 */
#ifndef PAGEWISE_DRIVERS_IRQ_H
#define PAGEWISE_DRIVERS_IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IRQ_VECTOR_BASE 0x20
#define NR_IRQS 16
#define IRQ_TIMER 0
#define IRQ_CASCADE 2

struct madt_info;
typedef void (*irq_handler_t)(void *arg);

/* Choose and set up the interrupt controller: with a MADT (and no
 * `noapic` on the command line) the local APIC and the IO-APIC, the
 * 8259A remapped and masked; else the 8259A. Every line starts masked.
 * Called once from kmain. */
void irq_init(const struct madt_info *madt);
/* Are interrupts coming through the IO-APIC and local APIC? */
bool irq_apic_mode(void);
/* Install the handler for an ISA IRQ line and unmask it (through the
 * IO-APIC: at the GSI the MADT's overrides give, to the boot CPU). One
 * handler per line; name is what /proc/interrupts calls it (Linux's
 * driver names: "timer", "ttyS0", "ata_piix"). */
void irq_register(unsigned irq, irq_handler_t fn, void *arg, const char *name);
/* Called by the trap dispatcher for vectors 0x20..0x2f: runs the handler
 * and acknowledges the interrupt (EOI). Interrupts are off. */
void irq_dispatch(unsigned irq);
/* Interrupts handled per line since boot, all CPUs. */
uint64_t irq_count(unsigned irq);
/* /proc/interrupts in Linux's format: a column per online CPU, a row per
 * registered IRQ (count, controller, input, trigger, name), then the local
 * APIC timer (LOC), the reschedule IPIs (RES), the TLB shootdowns (TLB)
 * and the APIC errors (ERR). Returns the length written. */
long irq_report(char *buf, size_t size);

#endif
