/*
 * kernel/time.h - time since boot. The timestamp counter (TSC) is the
 * clock, calibrated against the PIT; jiffies are its count of timer ticks
 * (HZ per second), brought up to date by each timer interrupt.
 */
#ifndef PAGEWISE_KERNEL_TIME_H
#define PAGEWISE_KERNEL_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define HZ 100

/* Measure the TSC frequency. Until then time_since_boot_ns() returns 0. */
void time_init(void);
/* Start the periodic timer interrupt (call after irq_init): the local
 * APIC's timer when irq_init chose the APIC, else the PIT on IRQ 0. */
void time_start_tick(void);
/* A local APIC timer interrupt on this CPU: acknowledge it; on the boot
 * CPU bring jiffies up to date. Needs no lock (one CPU writes jiffies).
 * Returns true on the CPU that keeps time (CPU 0), which also runs the
 * timers (kernel/sched.c:sched_timer_work). */
bool time_apic_tick(void);
/* Busy-wait at least us microseconds (the TSC; after time_init). */
void udelay(unsigned us);
uint64_t time_since_boot_ns(void);
/* Wall-clock time: nanoseconds since 1970, from the CMOS clock read once
 * and the TSC since. */
uint64_t time_realtime_ns(void);
/* The wall-clock time at boot-clock time boot_ns (a time_since_boot_ns
 * value): converts a CLOCK_REALTIME deadline without a second clock read
 * (two reads a few microseconds apart made futex deadlines end early). */
uint64_t time_realtime_at(uint64_t boot_ns);
uint64_t time_tsc_khz(void);
/* Ticks since time_start_tick(), as of the last timer interrupt. */
uint64_t jiffies(void);

#endif
