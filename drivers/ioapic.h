/*
 * drivers/ioapic.h - the IO-APIC (drivers/ioapic.c): it turns a device's
 * interrupt line, numbered as a global system interrupt (GSI), into a
 * message with a vector for one CPU's local APIC. It replaces the 8259A
 * when the MADT lists one.
 */
#ifndef PAGEWISE_DRIVERS_IOAPIC_H
#define PAGEWISE_DRIVERS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Map the IO-APIC at phys (uncached) whose first input is gsi_base, mask
 * every input and log its size. Returns false if it cannot be mapped. */
bool ioapic_init(uint64_t phys, uint32_t gsi_base);
/* Send GSI gsi as `vector` to the CPU with APIC id dest, with the line's
 * trigger mode and polarity, and unmask it. Returns false if the IO-APIC
 * has no such input. */
bool ioapic_route(uint32_t gsi, uint8_t vector, bool level, bool active_low, uint32_t dest);

#endif
