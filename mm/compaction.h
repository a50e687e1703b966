/*
 * mm/compaction.h - moving user pages to make free memory contiguous
 * (mm/compaction.c).
 */
#ifndef PAGEWISE_MM_COMPACTION_H
#define PAGEWISE_MM_COMPACTION_H

/* Move every movable user page from the bottom of memory into free
 * frames at the top, so that the freed frames merge into large blocks.
 * Returns the pages moved. May be called from a system call (writing
 * /proc/sys/vm/compact_memory); does not sleep. */
unsigned compact_memory(void);

#endif
