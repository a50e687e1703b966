/*
 * kernel/gdt.h - segments and the TSS. In long mode segmentation is
 * mostly off (bases 0, no limits) but the CPU still needs: a 64-bit code
 * segment per privilege level, data segments for SS, and a TSS that
 * holds the stack pointers used on entry from user mode (RSP0) and the
 * interrupt stack table (IST), SDM Vol 3A §7.7.
 *
 * Selector layout (STAR needs user data right below user code, as Linux):
 *   0x00 null | 0x08 kernel code | 0x10 kernel data | 0x18 user code32
 *   0x20 user data | 0x28 user code64 | 0x30 TSS (16 bytes)
 */
#ifndef PAGEWISE_KERNEL_GDT_H
#define PAGEWISE_KERNEL_GDT_H

#include <stdint.h>

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER32_CS 0x1b /* 0x18 | RPL 3: unused, keeps STAR's layout */
#define USER_DS 0x23
#define USER_CS 0x2b
#define TSS_SEL 0x30

/* IST slots (1-based as the IDT gate encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define NR_IST_STACKS 3

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

enum { GDT_NULL, GDT_KCODE, GDT_KDATA, GDT_UCODE32, GDT_UDATA, GDT_UCODE, GDT_TSS_LO, GDT_TSS_HI, GDT_ENTRIES };

/* Each CPU's own GDT and TSS: the TSS holds per-CPU stacks, and a busy
 * TSS descriptor (ltr marks it so) cannot be loaded by a second CPU. */
struct cpu_tables {
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    struct tss64 tss;
};

struct percpu;
/* The boot CPU: its GDT, TSS (static IST stacks) and GS base. Called once
 * from kmain, before the IDT. */
void gdt_init(void);
/* Fill and load this CPU's GDT and TSS with IST stacks ending at
 * ist_top[], point GS base at p (IA32_KERNEL_GS_BASE: user's, 0). Called
 * by gdt_init and by each AP (kernel/smp.c) on itself. */
void gdt_init_cpu(struct percpu *p, const uint64_t ist_top[NR_IST_STACKS], const uint64_t ist_size);
/* The stack this CPU switches to on an interrupt from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
/* Bounds of this CPU's IST stack, for the double fault diagnosis. */
void ist_stack_bounds(int ist, uint64_t *lo, uint64_t *hi);

#endif
