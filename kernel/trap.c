/*
 * kernel/trap.c - where every exception and interrupt lands.
 *
 *   vector 0x20..0x2f -> irq_dispatch (drivers/irq.c)
 *   #PF               -> the exception table (sanctioned probes), else
 *                        panic; user faults go to mm/fault.c (later)
 *   #DF               -> kernel stack overflow diagnosis, panic
 *   anything else     -> panic with the register dump
 */
#include "kernel/trap.h"

#include "drivers/irq.h"
#include "kernel/compiler.h"
#include "kernel/extable.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "mm/vmalloc.h"

static const char *const exception_names[NR_EXCEPTIONS] = {
    [T_DE] = "Divide error (#DE)",
    [T_DB] = "Debug (#DB)",
    [T_NMI] = "Non-maskable interrupt (NMI)",
    [T_BP] = "Breakpoint (#BP)",
    [T_OF] = "Overflow (#OF)",
    [T_BR] = "BOUND range exceeded (#BR)",
    [T_UD] = "Invalid opcode (#UD)",
    [T_NM] = "Device not available (#NM)",
    [T_DF] = "Double fault (#DF)",
    [9] = "Coprocessor segment overrun",
    [T_TS] = "Invalid TSS (#TS)",
    [T_NP] = "Segment not present (#NP)",
    [T_SS] = "Stack-segment fault (#SS)",
    [T_GP] = "General protection (#GP)",
    [T_PF] = "Page fault (#PF)",
    [T_MF] = "x87 floating-point error (#MF)",
    [T_AC] = "Alignment check (#AC)",
    [T_MC] = "Machine check (#MC)",
    [T_XM] = "SIMD floating-point (#XM)",
    [T_VE] = "Virtualization exception (#VE)",
    [T_CP] = "Control protection (#CP)",
};

const char *trap_name(uint64_t vector)
{
    if (vector < NR_EXCEPTIONS)
        return exception_names[vector] ? exception_names[vector] : "Reserved exception";
    if (vector >= IRQ_VECTOR_BASE && vector < IRQ_VECTOR_BASE + NR_IRQS)
        return "Hardware interrupt";
    return "Unknown vector";
}

/* A stack overflow: the push that crossed the bottom of a vmalloc'ed
 * kernel stack hit its guard page; the #PF could not be delivered on the
 * same stack, so the CPU raised #DF, which runs on its own IST stack. */
static void handle_double_fault(struct trap_frame *tf)
{
    uint64_t cr2 = read_cr2();
    if (vmalloc_is_guard(cr2) || vmalloc_is_guard(tf->rsp))
        panic_trap(tf, "kernel stack overflow: the stack ran into the guard page at %#lx", ALIGN_DOWN(cr2, 4096));
    panic_trap(tf, "double fault");
}

void trap_dispatch(struct trap_frame *tf)
{
    uint64_t v = tf->vector;
    if (v >= IRQ_VECTOR_BASE && v < IRQ_VECTOR_BASE + NR_IRQS) {
        irq_dispatch((unsigned)(v - IRQ_VECTOR_BASE));
        return;
    }
    if (v == T_DF)
        handle_double_fault(tf);
    if (!trap_from_user(tf) && extable_fixup(tf))
        return;
    panic_trap(tf, NULL);
}
