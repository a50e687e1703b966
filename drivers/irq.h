/*
 * drivers/irq.h - the interrupt controller: two 8259A PICs, remapped so
 * that IRQ 0..15 arrive as vectors 0x20..0x2f (0..31 are the CPU's
 * exceptions, SDM Vol 3A §6.3).
 */
#ifndef PAGEWISE_DRIVERS_IRQ_H
#define PAGEWISE_DRIVERS_IRQ_H

#include <stdint.h>

#define IRQ_VECTOR_BASE 0x20
#define NR_IRQS 16
#define IRQ_TIMER 0
#define IRQ_CASCADE 2

typedef void (*irq_handler_t)(void *arg);

/* Remap both PICs and mask every line. Called once from kmain. */
void irq_init(void);
/* Install the handler for an IRQ line and unmask it. One handler per line. */
void irq_register(unsigned irq, irq_handler_t fn, void *arg);
/* Called by the trap dispatcher for vectors 0x20..0x2f: runs the handler
 * and acknowledges the interrupt (EOI). Interrupts are off. */
void irq_dispatch(unsigned irq);
/* Interrupts handled per line since boot (for /proc/interrupts later). */
uint64_t irq_count(unsigned irq);

#endif
