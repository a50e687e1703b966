/*
 * mm/fault.h - the page-fault handler for user addresses.
 */
#ifndef PAGEWISE_MM_FAULT_H
#define PAGEWISE_MM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mm.h"

/* How a fault ended, for the caller's counters and the console line. */
struct fault_info {
    bool major;         /* file data had to be read (demand loading) */
    int si_code;        /* on failure: SEGV_MAPERR or SEGV_ACCERR */
    const char *reason; /* on failure: why, in words */
};

#define SEGV_MAPERR 1 /* address not mapped */
#define SEGV_ACCERR 2 /* mapped, but the access is not allowed */

/* Resolve a fault at addr (CR2) with the #PF error code bits (PF_W, PF_I,
 * PF_U, PF_P; kernel/trap.h). Returns 0 if the page is now mapped and the
 * access can be retried, -EFAULT if it is a bad access (fi says why), or
 * -ENOMEM. Called by trap.c for user faults and for kernel faults on user
 * addresses (copy_to_user and friends), and by mm_write. */
int handle_mm_fault(struct mm *mm, uintptr_t addr, uint64_t error_code, struct fault_info *fi);

#endif
