/*
 * kernel/idt.c - the interrupt descriptor table: 48 interrupt gates, one
 * per stub in trapentry.asm. Gate layout, SDM Vol 3A §6.14.1:
 *   offset 15:0 | selector | IST (3 bits) | type 0xE, DPL, P | offset 31:16
 *   | offset 63:32 | reserved
 * Interrupt gates clear IF on entry, so handlers start with interrupts off.
 */
#include "kernel/compiler.h"
#include "kernel/gdt.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define GATE_INTERRUPT 0x8e      /* P=1, DPL=0, type 0xE */
#define GATE_INTERRUPT_USER 0xee /* DPL=3: `int3` and `into` work from user mode */

struct __attribute__((packed)) idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};

extern const uint64_t trap_entry_table[NR_VECTORS];
static struct idt_gate idt[NR_VECTORS];

static void idt_set_gate(int vec, uint64_t handler, int ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = handler & 0xffff,
        .selector = KERNEL_CS,
        .ist = (uint8_t)ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (handler >> 16) & 0xffff,
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (int v = 0; v < NR_VECTORS; v++)
        idt_set_gate(v, trap_entry_table[v], 0);
    /* These must work even when the current stack is the problem. */
    idt[T_DF].ist = IST_DOUBLE_FAULT;
    idt[T_NMI].ist = IST_NMI;
    idt[T_MC].ist = IST_MACHINE_CHECK;
    /* Only these may be raised by user `int n`; any other int n from user
     * mode is a #GP (SIGSEGV), as on Linux. */
    idt[T_BP].type_attr = GATE_INTERRUPT_USER;
    idt[T_OF].type_attr = GATE_INTERRUPT_USER;
    idt_load();
}

void idt_load(void)
{
    struct descriptor_table_ptr p = {sizeof(idt) - 1, (uint64_t)idt};
    lidt(&p);
}
