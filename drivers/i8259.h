/*
 * drivers/i8259.h - the two 8259A PICs of the PC (drivers/i8259.c): the
 * interrupt controller of a machine without an IO-APIC, and the one
 * drivers/irq.c masks when it uses the IO-APIC instead.
 */
#ifndef PAGEWISE_DRIVERS_I8259_H
#define PAGEWISE_DRIVERS_I8259_H

#include <stdbool.h>
#include <stdint.h>

/* Remap IRQ 0..15 to vectors base..base+15 and mask every line (even a
 * masked PIC may raise a spurious IRQ 7: it must not land on an exception
 * vector). Called once by irq_init. */
void i8259_init(uint8_t vector_base);
/* Mask the lines whose bit is set (bit n = IRQ n). */
void i8259_set_mask(uint16_t mask);
/* Was this IRQ 7 or 15 a spurious one (no bit in the in-service register)?
 * Then it gets no EOI except, for IRQ 15, the master's for the cascade. */
bool i8259_is_spurious(unsigned irq);
/* End of interrupt for irq (both PICs for 8..15). */
void i8259_eoi(unsigned irq);

#endif
