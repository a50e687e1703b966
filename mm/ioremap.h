/*
 * mm/ioremap.h - device memory in the kernel's address space
 * (mm/ioremap.c): the PAT, and mappings with a memory type.
 */
#ifndef PAGEWISE_MM_IOREMAP_H
#define PAGEWISE_MM_IOREMAP_H

#include <stddef.h>
#include <stdint.h>

/* Program IA32_PAT with Linux's layout (WB WC UC- UC WB WP UC- WT).
 * Called once by cpu_init, before any mapping uses PWT/PCD. */
void pat_init(void);
/* The same IA32_PAT on an AP (every CPU must agree on the memory types
 * the PTEs select). */
void pat_setup_cpu(void);
/* Map [phys, phys + size) write-combining (a framebuffer) or uncached
 * (registers) into the vmalloc area. Returns the kernel address of phys,
 * or NULL. */
void *ioremap_wc(uint64_t phys, size_t size);
void *ioremap_uc(uint64_t phys, size_t size);
/* Map [phys, phys + size) write-back (cached, as RAM): for firmware tables
 * outside the direct map, such as ACPI's (Linux: ioremap_cache). */
void *ioremap_cache(uint64_t phys, size_t size);
/* Undo an ioremap (the device's pages are not freed: they are not RAM). */
void iounmap(void *addr);

#endif
