/*
 * mm/vmalloc.h - kernel virtual memory: virtually contiguous areas at
 * VMALLOC_START built from frames that need not be contiguous, each
 * followed by an unmapped guard page ("kernel virtual addresses" in
 * Linux's terms, as opposed to the direct map's "kernel logical" ones).
 */
#ifndef PAGEWISE_MM_VMALLOC_H
#define PAGEWISE_MM_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* size bytes (rounded up to pages) of zeroed, writable, non-executable
 * memory, or NULL. The page after the area stays unmapped. */
void *vmalloc(size_t size);
/* Unmap and free an area from vmalloc; NULL is ignored. */
void vfree(void *addr);
/* Is va an unmapped guard page of the vmalloc area (just below or above
 * an allocation)? Used to name a kernel stack overflow. */
bool vmalloc_is_guard(uintptr_t va);

/* Kernel stacks: KSTACK_SIZE from vmalloc. Returns the top (initial rsp). */
uintptr_t kstack_alloc(void);
void kstack_free(uintptr_t top);

/* Map size bytes of device memory at phys into the vmalloc area, with
 * the memory-type bits cache_bits (mm/ioremap.c chooses them), followed by
 * a guard page; no frames are allocated. Returns the kernel address of
 * phys, or NULL. vfree undoes it. (mm/ioremap.c:ioremap_wc/uc call it.) */
void *vmap_io(uint64_t phys, size_t size, uint64_t cache_bits, const void *caller);
/* /proc/vmallocinfo, Linux's format: one line per area, "start-end size
 * caller+off pages=N vmalloc" (the size includes the guard page). */
size_t vmalloc_report(char *buf, size_t size);

#endif
