/*
 * kernel/extable.h - sanctioned faults. Some kernel instructions are
 * allowed to fault: each has an entry (faulting rip -> fixup rip) in the
 * exception table (section .ex_table). On a fault at such an rip the trap
 * handler resumes at the fixup instead of panicking. Linux uses the same
 * mechanism for copy_from_user(); the tests use it to check that a given
 * access really faults (probe_*).
 */
#ifndef PAGEWISE_KERNEL_EXTABLE_H
#define PAGEWISE_KERNEL_EXTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/trap.h"

struct extable_entry {
    uint64_t insn, fixup;
};

/* What the last sanctioned fault was (for tests to check the cause). */
struct probe_fault {
    uint64_t vector, error_code, cr2;
};

/* Called by trap_dispatch for kernel-mode exceptions: true if the fault
 * was sanctioned and tf now resumes at the fixup. */
bool extable_fixup(struct trap_frame *tf);

/* Read/write one byte at addr. Return 0, or -EFAULT if the access faulted
 * (details in *fault if not NULL). */
int probe_read(const void *addr, uint8_t *val, struct probe_fault *fault);
int probe_write(void *addr, uint8_t val, struct probe_fault *fault);
/* Call the code at addr (which should be `xor eax,eax; ret`): returns 0
 * if it ran, -EFAULT if fetching it faulted. */
int probe_exec(const void *addr, struct probe_fault *fault);

#endif
