/*
 * kernel/multiboot.c - read the Multiboot2 boot information.
 *
 *   +0  u32 total_size | u32 reserved
 *   +8  tags, each 8-byte aligned:  u32 type | u32 size | payload
 *       type 1 cmdline:  char string[]
 *       type 3 module:   u32 mod_start | u32 mod_end | char string[]
 *       type 6 mmap:     u32 entry_size | u32 entry_version |
 *                        entries of { u64 base | u64 length | u32 type | u32 }
 *       type 14 ACPI old: a copy of the ACPI 1.0 RSDP (20 bytes)
 *       type 15 ACPI new: a copy of the ACPI 2.0+ RSDP (36 bytes)
 *       type 0 end
 */
#include "kernel/multiboot.h"

#include "kernel/compiler.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/memlayout.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_ALIGN 8

struct mb2_tag {
    uint32_t type, size;
};
struct mb2_mmap_entry {
    uint64_t base, length;
    uint32_t type, reserved;
};

static void parse_mmap(const struct mb2_tag *tag, struct boot_info *bi)
{
    const uint32_t *hdr = (const uint32_t *)(tag + 1);
    uint32_t entry_size = hdr[0];
    const uint8_t *p = (const uint8_t *)(hdr + 2);
    const uint8_t *end = (const uint8_t *)tag + tag->size;
    for (; p + sizeof(struct mb2_mmap_entry) <= end && bi->nr_regions < BOOT_MAX_REGIONS; p += entry_size) {
        const struct mb2_mmap_entry *e = (const void *)p;
        bi->regions[bi->nr_regions++] = (struct mem_region){e->base, e->length, e->type};
    }
}

static void parse_module(const struct mb2_tag *tag, struct boot_info *bi)
{
    if (bi->nr_modules == BOOT_MAX_MODULES)
        return;
    const uint32_t *m = (const uint32_t *)(tag + 1);
    struct boot_module *mod = &bi->modules[bi->nr_modules++];
    mod->start = m[0];
    mod->end = m[1];
    strlcpy(mod->name, (const char *)(m + 2), sizeof(mod->name));
}

/* Keep the RSDP copy; the "new" one (with the XSDT) wins over the "old". */
static void parse_acpi(const struct mb2_tag *tag, struct boot_info *bi)
{
    uint32_t len = tag->size - sizeof(*tag);
    if (len > BOOT_RSDP_MAX)
        len = BOOT_RSDP_MAX;
    if (tag->type == MB2_TAG_ACPI_OLD && bi->rsdp_len > len)
        return;
    memcpy(bi->rsdp, tag + 1, len);
    bi->rsdp_len = len;
}

bool multiboot_parse(uint64_t mbi_phys, struct boot_info *bi)
{
    const uint8_t *mbi = (const uint8_t *)(mbi_phys + PAGE_OFFSET);
    uint32_t total = *(const uint32_t *)mbi;
    memset(bi, 0, sizeof(*bi));
    bi->mbi_start = mbi_phys;
    bi->mbi_end = mbi_phys + total;
    if (total < 16 || mbi_phys + total > EARLY_MAP_SIZE)
        return false;

    for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const void *)(mbi + off);
        if (tag->type == MB2_TAG_END)
            return true;
        if (tag->size < sizeof(*tag))
            return false;
        if (tag->type == MB2_TAG_CMDLINE)
            strlcpy(bi->cmdline, (const char *)(tag + 1), sizeof(bi->cmdline));
        else if (tag->type == MB2_TAG_MMAP)
            parse_mmap(tag, bi);
        else if (tag->type == MB2_TAG_MODULE)
            parse_module(tag, bi);
        else if (tag->type == MB2_TAG_ACPI_OLD || tag->type == MB2_TAG_ACPI_NEW)
            parse_acpi(tag, bi);
        off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
    }
    return false;
}

static const char *region_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return "usable";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIMABLE: return "ACPI data";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "unusable";
    default: return "type?";
    }
}

void multiboot_print_memory_map(const struct boot_info *bi)
{
    pr_info("BIOS-provided physical RAM map (multiboot2 memory map):\n");
    for (unsigned i = 0; i < bi->nr_regions; i++) {
        const struct mem_region *r = &bi->regions[i];
        pr_info("  [mem %#018lx-%#018lx] %s\n", r->base, r->base + r->length - 1, region_type_name(r->type));
    }
    for (unsigned i = 0; i < bi->nr_modules; i++)
        pr_info("  module %u: [mem %#018lx-%#018lx] %s\n", i, bi->modules[i].start, bi->modules[i].end - 1,
                bi->modules[i].name);
}
