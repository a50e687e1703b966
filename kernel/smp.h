/*
 * kernel/smp.h - starting the other CPUs (kernel/smp.c). First stage of
 * SMP: the application processors (APs) come up, each with its own GDT,
 * TSS, GS base and APIC timer, and then halt with interrupts on. They run
 * no tasks yet: the scheduler, `current` and the kernel's data structures
 * have no locks (docs/smp.md).
 */
#ifndef PAGEWISE_KERNEL_SMP_H
#define PAGEWISE_KERNEL_SMP_H

/* The boot CPU's struct percpu: its APIC id and CPUID, online. Called by
 * kmain once the local APIC is set up (or not: then the id from CPUID). */
void smp_init_boot_cpu(void);
/* Start every enabled CPU the MADT lists, one after another (INIT, then
 * STARTUP twice), through the real-mode trampoline; wait for each to say
 * it is online (a timeout: log it and go on). Nothing without a MADT and
 * the APIC, or with `nosmp`. Called once by kmain. */
void smp_boot_aps(void);

#endif
