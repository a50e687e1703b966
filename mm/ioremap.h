/*
 * mm/ioremap.h - device memory in the kernel's address space
 * (mm/ioremap.c): the PAT, and mappings with a memory type.
 */
#ifndef PAGEWISE_MM_IOREMAP_H
#define PAGEWISE_MM_IOREMAP_H

#include <stddef.h>
#include <stdint.h>

#include "mm/paging.h"

/* The PTE bits (PAT:PCD:PWT) of each memory type with Linux's PAT layout
 * (pat_init): WB is 0 (RAM), WC index 1, UC index 3. The mask is the three
 * bits of a 4 KiB PTE that select the type (PAT is bit 7 there). */
#define PAGE_CACHE_WB 0
#define PAGE_CACHE_WC PTE_PWT
#define PAGE_CACHE_UC (PTE_PCD | PTE_PWT)
#define PAGE_CACHE_MASK (PTE_PS | PTE_PCD | PTE_PWT)

/* Device memory a driver offers to user space (its file_ops mmap fills
 * it; mm/pfnmap.c maps it as a VM_IO | VM_PFNMAP VMA, and vm_check holds
 * the PTEs to the window). */
struct pfn_range {
    uint64_t phys;                     /* the physical address of the first page asked for */
    uint64_t window_start, window_end; /* the device's range (a BAR) that every page must stay inside */
    uint64_t cache;                    /* the memory type's PTE bits: PAGE_CACHE_WC or PAGE_CACHE_UC */
};

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
