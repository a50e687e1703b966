/*
 * kernel/percpu.h - what each CPU has for itself, reached through its GS
 * base (Linux: per-CPU variables through %gs).
 *
 * Every CPU's IA32_GS_BASE points at its struct percpu while it runs
 * kernel code; struct percpu's first field points at itself, so one load,
 * `mov %gs:0, reg`, gives the struct's address (this_cpu()). A field can
 * also be read or written in one instruction, `mov %gs:offset, reg`
 * (this_cpu_read, this_cpu_write). User mode has its own GS base (0 here:
 * musl uses only FS), so every way into the kernel from user mode starts
 * with `swapgs`, which exchanges GS base and IA32_KERNEL_GS_BASE, and
 * every way back ends with one (kernel/entry.asm, kernel/trapentry.asm).
 * Kernel threads and interrupts of kernel code need no swap: the kernel's
 * GS base is already loaded.
 *
 * Which CPU runs which task is per CPU too: `current` (kernel/sched.h) is
 * this CPU's percpu.current_task, and the syscall entry finds the kernel
 * stack in percpu.kernel_rsp.
 */
#ifndef PAGEWISE_KERNEL_PERCPU_H
#define PAGEWISE_KERNEL_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cpuinfo.h"
#include "kernel/gdt.h"
#include "kernel/lockdep.h"

#define NR_CPUS 8 /* Linux: CONFIG_NR_CPUS; the tests boot 1, 2 and 4 */
#define PERCPU_NR_IRQS 16 /* drivers/irq.h: NR_IRQS, the ISA lines */

struct task;

struct percpu {
    /* The first four fields are read by kernel/entry.asm at fixed offsets
     * (kernel/percpu.inc; checked below). */
    struct percpu *self;      /* at offset 0: this_cpu() reads %gs:0 */
    uint64_t kernel_rsp;      /* top of current's kernel stack: the syscall entry's stack */
    uint64_t user_rsp;        /* the syscall entry parks the user RSP here */
    struct task *current_task; /* the task this CPU runs (kernel/sched.h: current) */
    unsigned cpu;             /* 0 = the boot CPU, then the MADT's order */
    uint32_t bkl_tag;         /* cpu + 1: what the BKL's owner word holds while this CPU has it */
    uint32_t apic_id;         /* its local APIC's id */
    bool online;              /* the CPU set it, running its own code */
    bool need_resched;        /* switch before returning to user mode (sched_tick, a wake-up) */
    struct cpu_tables tables; /* its GDT and TSS (RSP0, IST stacks) */
    uint64_t ist_bottom[NR_IST_STACKS]; /* for the double fault report */
    struct task *idle;        /* what it runs when there is nothing else (swapper/N) */
    struct task *dead;        /* an exited task to free once this CPU has left its stack */
    /* Interrupts this CPU took, for /proc/interrupts. */
    uint64_t timer_ticks;     /* its local APIC timer (LOC) */
    uint64_t irq_count[PERCPU_NR_IRQS]; /* each ISA IRQ */
    uint64_t nr_resched_ipis; /* RES: reschedule IPIs */
    uint64_t nr_tlb_shootdowns; /* TLB: shootdown requests it answered */
    uint64_t bkl_contended;   /* times it found the BKL taken and spun */
    uint64_t bkl_spin_cycles; /* TSC cycles spent spinning for it */
    unsigned irq_nesting;     /* interrupt handlers running (drivers/irq.c:irq_dispatch) */
    bool tlb_lazy;            /* runs a task without an mm on the last one's tables (mm/tlb.c) */
    bool tlb_flush_pending;   /* a shootdown skipped it while lazy: flush before using them again */
    struct lockdep_held boot_held; /* locks held before this CPU runs a task (kernel/lockdep.h) */
    struct cpuinfo info;      /* CPUID as this CPU answers it: /proc/cpuinfo */
};

/* The offsets kernel/percpu.inc gives the assembly code. */
#define PERCPU_KERNEL_RSP 8
#define PERCPU_USER_RSP 16
_Static_assert(offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "kernel/percpu.inc");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "kernel/percpu.inc");

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

/* One field of this CPU's struct percpu, in one instruction. */
#define this_cpu_read(field)                                                                                           \
    ({                                                                                                                 \
        __typeof__(((struct percpu *)0)->field) v_;                                                                    \
        __asm__ volatile("mov %%gs:%c1, %0" : "=r"(v_) : "i"(offsetof(struct percpu, field)));                        \
        v_;                                                                                                            \
    })
#define this_cpu_write(field, value)                                                                                   \
    do {                                                                                                               \
        __typeof__(((struct percpu *)0)->field) v_ = (value);                                                          \
        __asm__ volatile("mov %0, %%gs:%c1" ::"r"(v_), "i"(offsetof(struct percpu, field)) : "memory");               \
    } while (0)

static inline unsigned smp_processor_id(void) { return this_cpu_read(cpu); }

/* The task running on this CPU. Not volatile: within one task it never
 * changes (a task that moves to another CPU finds itself in that CPU's
 * percpu.current_task), so the compiler may reuse a load, as Linux's
 * this_cpu_read_stable(current_task). */
static inline struct task *get_current(void)
{
    struct task *t;
    __asm__("movq %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(struct percpu, current_task)));
    return t;
}

/* The CPUs online, one bit each (bit n: CPU n). */
uint64_t cpu_online_mask(void);

#endif
