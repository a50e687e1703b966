/*
 * kernel/panic.c - the last words of the kernel.
 *
 * A panic prints (on the serial console, polled, so it works with
 * interrupts off and nothing else functioning):
 *   KERNEL PANIC: <why>
 *   <exception name>, error code decoded (for #PF: CR2 and P/W/U/RSVD/I)
 *   the registers, then the backtrace, newest frame first
 * and then powers QEMU off with status 33 (drivers/debugexit.h), or
 * halts with `panic=halt` so that gdb (make debug) can look around.
 */
#include "kernel/panic.h"

#include "drivers/debugexit.h"
#include "kernel/cmdline.h"
#include "kernel/ksyms.h"
#include "kernel/lockdep.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/paging.h"

#define BACKTRACE_MAX_FRAMES 32

static bool panicking;

static void print_symbol_line(uint64_t addr)
{
    uint64_t off, size;
    const char *name = ksym_lookup(addr, &off, &size);
    if (name)
        pr_emerg("  [<%016lx>] %s+%#lx/%#lx\n", addr, name, off, size);
    else
        pr_emerg("  [<%016lx>] ?\n", addr);
}

/* A frame pointer is followed only if the two words it points to are
 * mapped kernel memory: a corrupt chain must not fault inside the panic. */
static bool frame_readable(uint64_t rbp)
{
    if (rbp < KERNEL_HALF_START || (rbp & 7))
        return false;
    return paging_kernel_addr_mapped(rbp) && paging_kernel_addr_mapped(rbp + 8);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    pr_emerg("Call trace:\n");
    print_symbol_line(rip);
    for (int i = 0; i < BACKTRACE_MAX_FRAMES && frame_readable(rbp); i++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VIRT_BASE)
            break;
        print_symbol_line(ret); /* a return address: just after the call */
        if (frame[0] <= rbp && frame[0] != 0)
            break; /* frames must go up the stack; stop on a loop */
        rbp = frame[0];
    }
}

static __noreturn void panic_stop(void)
{
    pr_emerg("---[ end Kernel panic ]---\n");
    const char *mode = cmdline_get("panic");
    if (!mode || strcmp(mode, "halt") != 0)
        debug_exit(DEBUG_EXIT_PANIC);
    for (;;) {
        cli();
        hlt();
    }
}

/* A panic inside a panic (say, the backtrace faults) must not recurse. */
static void panic_enter(void)
{
    cli();
    if (panicking) {
        pr_emerg("KERNEL PANIC: nested panic\n");
        debug_exit(DEBUG_EXIT_PANIC);
        for (;;)
            hlt();
    }
    panicking = true;
    printk_bust_lock();       /* this CPU may hold it, or another one that stopped */
    lockdep.enabled = false; /* no report about the locks the panic path breaks */
}

void panic(const char *fmt, ...)
{
    panic_enter();
    va_list ap;
    va_start(ap, fmt);
    pr_emerg("KERNEL PANIC: ");
    vprintk(LOGLEVEL_CONT, fmt, ap);
    pr_cont("\n");
    va_end(ap);
    backtrace_print((uint64_t)__builtin_return_address(0), read_rbp());
    panic_stop();
}

static void print_pf_error(uint64_t err)
{
    pr_emerg("CR2: %016lx (the faulting address)\n", read_cr2());
    pr_emerg("error code %#lx: %s, %s, %s mode%s%s%s\n", err,
             err & PF_P ? "protection violation (P=1)" : "page not present (P=0)",
             err & PF_I   ? "instruction fetch (I=1)"
             : err & PF_W ? "write (W=1)"
                          : "read (W=0)",
             err & PF_U ? "user (U=1)" : "supervisor (U=0)", err & PF_RSVD ? ", reserved bit set (RSVD=1)" : "",
             err & PF_PK ? ", protection key (PK=1)" : "", "");
}

static void print_registers(const struct trap_frame *tf)
{
    pr_emerg("RIP: %04lx:%016lx RFLAGS: %08lx\n", tf->cs, tf->rip, tf->rflags);
    pr_emerg("RSP: %04lx:%016lx\n", tf->ss, tf->rsp);
    pr_emerg("RAX: %016lx RBX: %016lx RCX: %016lx\n", tf->rax, tf->rbx, tf->rcx);
    pr_emerg("RDX: %016lx RSI: %016lx RDI: %016lx\n", tf->rdx, tf->rsi, tf->rdi);
    pr_emerg("RBP: %016lx R08: %016lx R09: %016lx\n", tf->rbp, tf->r8, tf->r9);
    pr_emerg("R10: %016lx R11: %016lx R12: %016lx\n", tf->r10, tf->r11, tf->r12);
    pr_emerg("R13: %016lx R14: %016lx R15: %016lx\n", tf->r13, tf->r14, tf->r15);
    pr_emerg("CR0: %016lx CR2: %016lx CR3: %016lx CR4: %016lx\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

void panic_trap(const struct trap_frame *tf, const char *why, ...)
{
    panic_enter();
    pr_emerg("KERNEL PANIC: ");
    if (why) {
        va_list ap;
        va_start(ap, why);
        vprintk(LOGLEVEL_CONT, why, ap);
        va_end(ap);
        pr_cont(": ");
    }
    pr_cont("%s in %s mode\n", trap_name(tf->vector), trap_from_user(tf) ? "user" : "kernel");
    if (tf->vector == T_PF)
        print_pf_error(tf->error_code);
    else if (tf->vector < NR_EXCEPTIONS)
        pr_emerg("vector %lu, error code %#lx\n", tf->vector, tf->error_code);
    print_registers(tf);
    backtrace_print(tf->rip, tf->rbp);
    panic_stop();
}
