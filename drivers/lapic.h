/*
 * drivers/lapic.h - the local APIC, one per CPU (SDM Vol 3A ch. 10;
 * drivers/lapic.c): its interrupts' end (EOI), its timer (the scheduler
 * tick when the APIC is in use) and the inter-processor interrupts that
 * start the other CPUs. Used in xAPIC mode, through its MMIO page mapped
 * uncached (ioremap_uc); every CPU sees its own APIC at the same address.
 */
#ifndef PAGEWISE_DRIVERS_LAPIC_H
#define PAGEWISE_DRIVERS_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Vectors of the APIC's own interrupts: Linux's numbers. */
#define LOCAL_TIMER_VECTOR 0xec
#define ERROR_APIC_VECTOR 0xfe
#define SPURIOUS_APIC_VECTOR 0xff /* low 4 bits all ones: older APICs force them */
/* Inter-processor interrupts between CPUs (priority class 0xf, above the
 * timer's 0xe and the devices': the local APIC delivers them even while a
 * lower-class handler is in service). */
#define RESCHEDULE_VECTOR 0xfd     /* Linux's: look at the run queue */
#define INVALIDATE_TLB_VECTOR 0xf0 /* Linux 2.6's INVALIDATE_TLB_VECTOR_START: a TLB shootdown */

/* Map the APIC page (MADT address) and set up this, the boot CPU's, APIC.
 * Returns false (and logs why) if the CPU has none or it is unusable. */
bool lapic_init(uint64_t phys);
/* Is the local APIC in use (lapic_init succeeded)? */
bool lapic_active(void);
/* Enable this CPU's APIC: spurious vector, TPR 0, LINT0 (the 8259A's
 * ExtINT) masked, LINT1 NMI on the boot CPU only, error vector. Called by
 * lapic_init for the boot CPU and by each AP as it starts. */
void lapic_setup_cpu(bool boot_cpu);
/* This CPU's APIC id (the LAPIC ID register, bits 31:24). */
uint32_t lapic_id(void);
/* End of interrupt: tells the APIC the handler is done (not for spurious). */
void lapic_eoi(void);

/* Measure the timer against the TSC (tsc_khz known) and compute the count
 * for hz interrupts per second. Boot CPU, once; every APIC timer in the
 * machine runs at the same rate. */
void lapic_timer_calibrate(uint64_t tsc_khz, unsigned hz);
/* Start this CPU's timer: periodic, LOCAL_TIMER_VECTOR. */
void lapic_timer_start(void);
/* The timer's vector arrived: EOI. */
void lapic_timer_interrupt(void);
void lapic_spurious_interrupt(void);
void lapic_error_interrupt(void);
/* Spurious and error interrupts since boot. */
uint64_t lapic_nr_spurious(void);
uint64_t lapic_nr_errors(void);

/* Inter-processor interrupts to start another CPU (SDM §8.4.4.1): INIT,
 * then STARTUP with the page number of its real-mode code. Each waits
 * until the APIC has sent the message; returns false if it never did. */
bool lapic_send_init(uint32_t apic_id);
bool lapic_send_startup(uint32_t apic_id, uint8_t page);
/* Send interrupt `vector` to the CPU with this APIC id (fixed delivery,
 * edge); returns once this APIC has sent it, false if it never did. Safe
 * with interrupts on (the two ICR writes are one step). */
bool lapic_send_ipi(uint32_t apic_id, uint8_t vector);

#endif
