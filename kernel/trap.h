/*
 * kernel/trap.h - exceptions and interrupts. kernel/trapentry.asm saves
 * the registers into a struct trap_frame on the current kernel stack and
 * calls trap_dispatch().
 */
#ifndef PAGEWISE_KERNEL_TRAP_H
#define PAGEWISE_KERNEL_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Exception vectors, SDM Vol 3A §6.15, Table 6-1. */
enum {
    T_DE = 0,
    T_DB = 1,
    T_NMI = 2,
    T_BP = 3,
    T_OF = 4,
    T_BR = 5,
    T_UD = 6,
    T_NM = 7,
    T_DF = 8,
    T_TS = 10,
    T_NP = 11,
    T_SS = 12,
    T_GP = 13,
    T_PF = 14,
    T_MF = 16,
    T_AC = 17,
    T_MC = 18,
    T_XM = 19,
    T_VE = 20,
    T_CP = 21,
    NR_EXCEPTIONS = 32,
    NR_VECTORS = 256, /* 32 exceptions, ISA IRQs at 0x20, the local APIC's at 0xec.. */
};

/* #PF error code bits, SDM Vol 3A §4.7, Figure 4-12. */
#define PF_P (1u << 0)    /* 0: page not present; 1: protection violation */
#define PF_W (1u << 1)    /* the access was a write */
#define PF_U (1u << 2)    /* the access came from user mode */
#define PF_RSVD (1u << 3) /* a reserved bit was set in a paging entry */
#define PF_I (1u << 4)    /* the access was an instruction fetch */
#define PF_PK (1u << 5)   /* protection key violation */

/* Pushed by trapentry.asm (registers, vector, error code) and the CPU
 * (rip .. ss). Field order = reverse push order. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Fill the IDT with the entry stubs and load it. */
void idt_init(void);
/* Load the same IDT on this CPU (the APs share the boot CPU's). */
void idt_load(void);
/* Called from trapentry.asm with interrupts off. */
void trap_dispatch(struct trap_frame *tf);
const char *trap_name(uint64_t vector);
static inline bool trap_from_user(const struct trap_frame *tf) { return (tf->cs & 3) == 3; }

#endif
