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

/* Load the GDT and the TSS. Called once from kmain, before the IDT. */
void gdt_init(void);
/* The stack the CPU switches to on an interrupt from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
/* Bounds of an IST stack, for the double fault diagnosis. */
void ist_stack_bounds(int ist, uint64_t *lo, uint64_t *hi);

#endif
