/*
 * kernel/extable.c - the exception table and the probes built on it.
 *
 * A probe is one instruction with a table entry:
 *     1: movb (addr), val        .ex_table: { 1b, 3b }
 *     2: ...                     .text.fixup: 3: err = -EFAULT; jmp 2b
 * A fault at 1b resumes at 3b, so the probe returns -EFAULT instead of
 * the kernel panicking. probe_exec cannot name its faulting instruction
 * in advance (it is the target itself), so it is armed by address.
 */
#include "kernel/extable.h"

#include "kernel/errno.h"
#include "kernel/x86.h"

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

static struct {
    struct probe_fault last; /* the most recent sanctioned fault */
    uint64_t exec_target;    /* armed probe_exec address, or 0 */
} probes;

#define EXTABLE_ENTRY(insn, fixup)                                                                                     \
    ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad " #insn ", " #fixup "\n\t"                                    \
    ".popsection\n\t"

static void record_fault(const struct trap_frame *tf)
{
    probes.last.vector = tf->vector;
    probes.last.error_code = tf->error_code;
    probes.last.cr2 = tf->vector == T_PF ? read_cr2() : 0;
}

bool extable_fixup(struct trap_frame *tf)
{
    if (probes.exec_target && tf->rip == probes.exec_target && tf->vector == T_PF) {
        /* The call pushed a return address; return there with -EFAULT. */
        record_fault(tf);
        tf->rip = *(uint64_t *)tf->rsp;
        tf->rsp += 8;
        tf->rax = (uint64_t)-EFAULT;
        return true;
    }
    for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == tf->rip) {
            record_fault(tf);
            tf->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static void report(int err, struct probe_fault *fault)
{
    if (fault)
        *fault = err ? probes.last : (struct probe_fault){0, 0, 0};
}

int probe_read(const void *addr, uint8_t *val, struct probe_fault *fault)
{
    int err = 0;
    uint8_t v = 0;
    __asm__ volatile("1: movb (%[addr]), %[v]\n"
                     "2:\n\t" EXTABLE_ENTRY(1b, 3f) ".pushsection .text.fixup, \"ax\"\n"
                                                    "3: movl %[efault], %[err]\n\t"
                                                    "jmp 2b\n\t"
                                                    ".popsection"
                     : [err] "+r"(err), [v] "+q"(v)
                     : [addr] "r"(addr), [efault] "i"(-EFAULT)
                     : "memory");
    *val = v;
    report(err, fault);
    return err;
}

int probe_write(void *addr, uint8_t val, struct probe_fault *fault)
{
    int err = 0;
    __asm__ volatile("1: movb %[v], (%[addr])\n"
                     "2:\n\t" EXTABLE_ENTRY(1b, 3f) ".pushsection .text.fixup, \"ax\"\n"
                                                    "3: movl %[efault], %[err]\n\t"
                                                    "jmp 2b\n\t"
                                                    ".popsection"
                     : [err] "+r"(err)
                     : [addr] "r"(addr), [v] "q"(val), [efault] "i"(-EFAULT)
                     : "memory");
    report(err, fault);
    return err;
}

int probe_exec(const void *addr, struct probe_fault *fault)
{
    long ret = 1;
    probes.exec_target = (uint64_t)addr;
    __asm__ volatile("call *%[target]"
                     : "+a"(ret)
                     : [target] "r"(addr)
                     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    probes.exec_target = 0;
    int err = ret == 0 ? 0 : -EFAULT;
    report(err, fault);
    return err;
}
