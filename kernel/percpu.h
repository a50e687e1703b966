/*
 * kernel/percpu.h - what each CPU has for itself, reached through its GS
 * base (Linux: per-CPU variables through %gs).
 *
 * Every CPU's IA32_GS_BASE points at its struct percpu while it runs
 * kernel code; struct percpu's first field points at itself, so one load,
 * `mov %gs:0, reg`, gives the struct's address (this_cpu()). User mode has
 * its own GS base (0 here: musl uses only FS), so every way into the
 * kernel from user mode starts with `swapgs`, which exchanges GS base and
 * IA32_KERNEL_GS_BASE, and every way back ends with one (kernel/entry.asm,
 * kernel/trapentry.asm). Kernel threads and interrupts of kernel code need
 * no swap: the kernel's GS base is already loaded.
 */
#ifndef PAGEWISE_KERNEL_PERCPU_H
#define PAGEWISE_KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpuinfo.h"
#include "kernel/gdt.h"

#define NR_CPUS 8 /* Linux: CONFIG_NR_CPUS; the tests boot 1, 2 and 4 */

struct task;

struct percpu {
    struct percpu *self;      /* at offset 0: this_cpu() reads %gs:0 */
    unsigned cpu;             /* 0 = the boot CPU, then the MADT's order */
    uint32_t apic_id;         /* its local APIC's id */
    bool online;              /* the CPU set it, running its own code */
    struct cpu_tables tables; /* its GDT and TSS (RSP0, IST stacks) */
    uint64_t ist_bottom[NR_IST_STACKS]; /* for the double fault report */
    struct task *idle;        /* what it runs when there is nothing else */
    uint64_t timer_ticks;     /* its local APIC timer's interrupts */
    struct cpuinfo info;      /* CPUID as this CPU answers it: /proc/cpuinfo */
};

/* One per possible CPU; [0] is the boot CPU. */
extern struct percpu percpu_area[NR_CPUS];
/* CPUs running (the boot CPU included); grows while smp_init starts APs. */
extern unsigned nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}
static inline unsigned smp_processor_id(void) { return this_cpu()->cpu; }

#endif
