/*
 * drivers/pit.h - the 8254 programmable interval timer (1.193182 MHz).
 * Channel 0 drives the periodic tick on IRQ 0; channel 2 (gated through
 * port 0x61) measures a fixed interval to calibrate the TSC.
 */
#ifndef PAGEWISE_DRIVERS_PIT_H
#define PAGEWISE_DRIVERS_PIT_H

#include <stddef.h>
#include <stdint.h>

#define PIT_HZ 1193182

/* Start channel 0 at hz interrupts per second; tick() runs on each. */
void pit_start_periodic(unsigned hz, void (*tick)(void));
/* Busy-wait on channel 2 for `us` microseconds (at most 50000), returning
 * the TSC ticks that elapsed. Interrupts may be on or off. */
uint64_t pit_measure_tsc(unsigned us);

#endif
