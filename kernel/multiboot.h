/*
 * kernel/multiboot.h - what GRUB tells the kernel (Multiboot2 spec §3.6):
 * the command line, the physical memory map and the loaded modules.
 * multiboot_parse() copies it into a struct boot_info early, so nothing
 * later depends on the multiboot info staying intact.
 */
#ifndef PAGEWISE_KERNEL_MULTIBOOT_H
#define PAGEWISE_KERNEL_MULTIBOOT_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 1024
#define BOOT_RSDP_MAX 36

/* Multiboot2 memory map entry types (the BIOS e820 types). */
enum mem_region_type {
    MEM_USABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIMABLE = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
};

struct mem_region {
    uint64_t base, length;
    uint32_t type;
};

struct boot_module {
    uint64_t start, end; /* physical, [start, end) */
    char name[64];
};

struct boot_info {
    char cmdline[BOOT_CMDLINE_MAX];
    struct mem_region regions[BOOT_MAX_REGIONS];
    unsigned nr_regions;
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned nr_modules;
    uint64_t mbi_start, mbi_end; /* the multiboot info itself, physical */
    /* GRUB's copy of the ACPI RSDP (tag 15 "new": ACPI 2.0+, 36 bytes, or
     * tag 14 "old": ACPI 1.0, 20 bytes); rsdp_len 0 if neither came. */
    uint8_t rsdp[BOOT_RSDP_MAX];
    uint32_t rsdp_len;
};

/* Parse the multiboot2 information at physical address mbi_phys (reached
 * through the boot page tables' direct map). Returns false if it is
 * malformed. Called once by kmain. */
bool multiboot_parse(uint64_t mbi_phys, struct boot_info *bi);
/* Print the memory map like Linux's "BIOS-e820:" lines. */
void multiboot_print_memory_map(const struct boot_info *bi);

#endif
