/*
 * mm/report.h - what /proc shows about memory, computed where the data
 * lives (kernel/procfs.c formats files from these; it does not look
 * inside struct mm or struct vma itself).
 */
#ifndef PAGEWISE_MM_REPORT_H
#define PAGEWISE_MM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/mm.h"

/* /proc/<pid>/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE_OR_SHARED (1ull << 61)
#define PM_MMAP_EXCLUSIVE (1ull << 56)
#define PM_PFN_MASK ((1ull << 55) - 1)

struct mm_usage {
    uint64_t vm_size_kb; /* all VMAs */
    uint64_t rss_kb;     /* pages present */
    uint64_t data_kb, stack_kb, exe_kb;
    uint64_t swap_kb;
};

/* Linux's /proc/<pid>/maps text for mm into buf; returns its length. */
size_t mm_report_maps(struct mm *mm, char *buf, size_t size);
/* The 64-bit pagemap entry for the page at va; the PFN (or swap entry)
 * bits only if show_pfn, else 0 there and the flags alone. */
uint64_t mm_report_pagemap(struct mm *mm, uintptr_t va, bool show_pfn);
void mm_report_usage(struct mm *mm, struct mm_usage *u);

#endif
