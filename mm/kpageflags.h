/*
 * mm/kpageflags.h - /proc/kpageflags and /proc/kpagecount (mm/kpageflags.c).
 */
#ifndef PAGEWISE_MM_KPAGEFLAGS_H
#define PAGEWISE_MM_KPAGEFLAGS_H

#include <stdint.h>

/* Linux's KPF_* word for frame pfn (KPF_NOPAGE past the frame table). */
uint64_t kpage_flags(uint64_t pfn);
/* The PTEs that map frame pfn (0 for a kernel or free frame). */
uint64_t kpage_count(uint64_t pfn);
/* Make the two files (called once by the VFS setup, after /proc). */
void kpage_init(void);

#endif
