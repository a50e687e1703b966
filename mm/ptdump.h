/*
 * mm/ptdump.h - printing a page-table tree in Linux's ptdump format
 * (mm/ptdump.c; /sys/kernel/debug/page_tables/).
 */
#ifndef PAGEWISE_MM_PTDUMP_H
#define PAGEWISE_MM_PTDUMP_H

#include <stddef.h>

#include "mm/paging.h"

enum ptdump_part {
    PTDUMP_ALL,         /* both halves */
    PTDUMP_USER_HALF,   /* PML4 entries 0..255 */
    PTDUMP_KERNEL_HALF, /* PML4 entries 256..511 */
};

/* Print the tree under pml4 (the part asked for) into buf; returns the
 * length. Ends with "...(truncated)" if buf was too small. */
size_t ptdump_show(pte_t *pml4, enum ptdump_part part, char *buf, size_t size);

/* Make /sys/kernel/debug/page_tables/{kernel,current_kernel,current_user}
 * (called once by the VFS setup, after /proc). */
void ptdump_init(void);

#endif
