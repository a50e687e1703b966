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
#include "drivers/lapic.h"
#include "kernel/bkl.h"
#include "kernel/compiler.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/x86.h"
#include "kernel/time.h"
#include "mm/fault.h"
#include "mm/memlayout.h"
#include "mm/tlb.h"
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
    if (vector == LOCAL_TIMER_VECTOR)
        return "Local APIC timer";
    if (vector == SPURIOUS_APIC_VECTOR || vector == ERROR_APIC_VECTOR)
        return "Local APIC spurious or error interrupt";
    if (vector == RESCHEDULE_VECTOR)
        return "Rescheduling interrupt (IPI)";
    if (vector == INVALIDATE_TLB_VECTOR)
        return "TLB shootdown (IPI)";
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

/* A page fault. User faults and kernel faults on user addresses (inside
 * copy_to_user and friends) go to the mm's fault handler; what it cannot
 * fix kills the process (user mode) or becomes -EFAULT through the
 * exception table (kernel mode). */
/* The kernel touched a user address outside the uaccess helpers (which
 * set RFLAGS.AC with stac), or fetched an instruction from a user page:
 * SMAP or SMEP refused it (SDM Vol 3A §4.6.1). That is a kernel bug, not
 * a fault to resolve: the page may be fine, and "fixing" it would retry
 * the access forever (Linux checks the same before handle_mm_fault). */
static bool kernel_broke_smap_smep(const struct trap_frame *tf, uint64_t addr)
{
    if (trap_from_user(tf) || addr >= USER_SPACE_END)
        return false;
    if ((tf->error_code & PF_I) && boot_cpu.smep)
        return true;
    return boot_cpu.smap && !(tf->rflags & RFLAGS_AC);
}

static void handle_page_fault(struct trap_frame *tf)
{
    uint64_t addr = read_cr2();
    bool user = trap_from_user(tf);
    struct mm *mm = current ? current->mm : NULL; /* no task yet in early boot */
    if (mm && (user || (addr < USER_SPACE_END && !kernel_broke_smap_smep(tf, addr)))) {
        struct fault_info fi;
        /* The fault path may sleep (swap-in), so it wants interrupts on;
         * but a kernel path that faulted with them off (a copy_to_user
         * under irq_save) must not have them turned on behind its back. */
        if (tf->rflags & RFLAGS_IF)
            sti();
        /* With threads, the mm's lock: a sibling's munmap waits while this
         * fault sleeps. A process of one thread needs none: only it could
         * change its VMAs, and it is here (20 instructions of first_touch). */
        bool shared = mm->users > 1;
        if (shared)
            mm_lock(mm);
        int r = handle_mm_fault(mm, addr, tf->error_code, &fi);
        if (shared)
            mm_unlock(mm);
        cli();
        if (r == 0) {
            if (fi.major)
                current->majflt++;
            else
                current->minflt++;
            return;
        }
        if (user) {
            if (r == -ENOMEM)
                signal_fault(SIGKILL, SI_KERNEL, addr, tf->rip, "out of memory");
            else if (r == -EIO)
                signal_fault(SIGBUS, BUS_ADRERR, addr, tf->rip, fi.reason);
            else
                signal_fault(SIGSEGV, fi.si_code, addr, tf->rip, fi.reason);
            return;
        }
    }
    if (!user && extable_fixup(tf))
        return;
    if (user) {
        signal_fault(SIGSEGV, SEGV_MAPERR, addr, tf->rip, "user access to kernel address");
        return;
    }
    if (kernel_broke_smap_smep(tf, addr))
        panic_trap(tf, "%s: the kernel %s user address %#lx outside the uaccess helpers",
                   (tf->error_code & PF_I) ? "SMEP" : "SMAP", (tf->error_code & PF_I) ? "ran code at" : "touched", addr);
    panic_trap(tf, NULL);
}

/* Other exceptions in user mode: the signal Linux sends for each. */
static void user_exception(struct trap_frame *tf)
{
    switch (tf->vector) {
    case T_DE: signal_fault(SIGFPE, FPE_INTDIV, tf->rip, tf->rip, trap_name(tf->vector)); break;
    case T_MF:
    case T_XM: signal_fault(SIGFPE, SI_KERNEL, tf->rip, tf->rip, trap_name(tf->vector)); break;
    case T_UD: signal_fault(SIGILL, ILL_ILLOPN, tf->rip, tf->rip, trap_name(tf->vector)); break;
    case T_DB:
    case T_BP: signal_send_thread_info(current, SIGTRAP, TRAP_BRKPT, tf->rip, 0, 0); break;
    case T_AC: signal_fault(SIGBUS, BUS_ADRALN, tf->rip, tf->rip, trap_name(tf->vector)); break;
    case T_GP:
        signal_fault(SIGSEGV, SI_KERNEL, 0, tf->rip, "general protection fault (a non-canonical address?)");
        break;
    default: signal_fault(SIGSEGV, SI_KERNEL, 0, tf->rip, trap_name(tf->vector)); break;
    }
}

/* The lowest vector trap_dispatch_unlocked handles (the others are
 * higher still): one compare keeps exceptions and IRQs off that path. */
#define FIRST_UNLOCKED_VECTOR LOCAL_TIMER_VECTOR
_Static_assert(INVALIDATE_TLB_VECTOR > FIRST_UNLOCKED_VECTOR && RESCHEDULE_VECTOR > FIRST_UNLOCKED_VECTOR,
               "the IPI vectors lie above the timer's");

/* The interrupts that run without the big kernel lock: the IPIs, which
 * another CPU holding the lock may be waiting for (a shootdown), and the
 * timer's per-CPU part. Returns false if tf is something else. The way
 * back to user mode takes the lock only if there is work to do there. */
static bool trap_dispatch_unlocked(struct trap_frame *tf)
{
    uint64_t v = tf->vector;
    if (v == INVALIDATE_TLB_VECTOR) {
        tlb_shootdown_interrupt();
    } else if (v == RESCHEDULE_VECTOR) {
        sched_reschedule_interrupt();
    } else if (v == LOCAL_TIMER_VECTOR) {
        bool keeps_time = time_apic_tick(); /* EOI; jiffies on CPU 0 */
        sched_tick(trap_from_user(tf));
        if (keeps_time) {
            bkl_lock();
            this_cpu()->irq_nesting++; /* its locks are its own context (kernel/lockdep.h) */
            sched_timer_work();
            this_cpu()->irq_nesting--;
            bkl_unlock();
        }
    } else {
        return false;
    }
    if (trap_from_user(tf) && return_work_pending()) {
        bkl_lock_fresh();
        prepare_return_to_user(tf);
        bkl_unlock_all();
    }
    return true;
}

/* Every exception and interrupt comes here (trapentry.asm), interrupts
 * off. Everything but the IPIs and the tick runs under the BKL: taken
 * afresh from user mode, once more (depth + 1) if it interrupted kernel
 * code on this CPU, which holds it then unless it was idle. */
void trap_dispatch(struct trap_frame *tf)
{
    uint64_t v = tf->vector;
    if (v >= FIRST_UNLOCKED_VECTOR && trap_dispatch_unlocked(tf))
        return;
    bool user = trap_from_user(tf);
    if (user) /* this CPU cannot hold it: no need to ask */
        bkl_lock_fresh();
    else
        bkl_lock();
    if (v == T_PF) { /* first: the hot case (every first touch, every copy-on-write) */
        handle_page_fault(tf);
    } else if (v >= IRQ_VECTOR_BASE && v < IRQ_VECTOR_BASE + NR_IRQS) {
        irq_dispatch((unsigned)(v - IRQ_VECTOR_BASE));
        if (v == IRQ_VECTOR_BASE + IRQ_TIMER) { /* the PIT: no APIC, one CPU */
            sched_tick(trap_from_user(tf));
            sched_timer_work();
        }
    } else if (v == SPURIOUS_APIC_VECTOR) {
        lapic_spurious_interrupt();
    } else if (v == ERROR_APIC_VECTOR) {
        lapic_error_interrupt();
    } else if (v == T_DF) {
        handle_double_fault(tf);
    } else if (trap_from_user(tf)) {
        user_exception(tf);
    } else if (!extable_fixup(tf)) {
        panic_trap(tf, NULL);
    }
    if (user) {
        if (return_work_pending())
            prepare_return_to_user(tf);
        bkl_unlock_all();
    } else {
        bkl_unlock();
    }
}
