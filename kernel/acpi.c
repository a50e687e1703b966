/*
 * kernel/acpi.c - find the MADT: RSDP -> RSDT or XSDT -> "APIC" table.
 *
 *   RSDP (GRUB's copy)  "RSD PTR " | checksum | OEM id | revision |
 *                       RSDT address (u32) | length | XSDT address (u64) |
 *                       extended checksum               (ACPI §5.2.5.3)
 *   RSDT / XSDT         header | u32 (RSDT) or u64 (XSDT) table addresses
 *   every table         36-byte header: signature | length | revision |
 *                       checksum | OEM id | OEM table id | ...   (§5.2.6)
 *   MADT ("APIC")       header | local APIC address | flags | entries of
 *                       { u8 type | u8 length | ... }            (§5.2.12)
 *
 * Each table's bytes sum to 0 (mod 256): a table that does not is garbled
 * and ignored. The tables sit in firmware-reserved memory, which the
 * direct map does not cover, so they are mapped with ioremap_cache for as
 * long as we read them. Anything missing or garbled: one CPU and the 8259A
 * PIC, as a kernel must still boot on a machine with broken firmware.
 */
#include "kernel/acpi.h"

#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/ioremap.h"

#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_V1_LEN 20 /* what the ACPI 1.0 checksum covers */
#define RSDP_V2_LEN 36
#define ACPI_REVISION_2 2
#define ACPI_TABLE_MAX 0x100000 /* 1 MiB: a larger "table" is garbage */
#define SIG_LEN 4

/* MADT entry types (ACPI §5.2.12, Table 5-45). */
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_INT_OVERRIDE 2
#define MADT_LAPIC_ADDR_OVERRIDE 5
#define MADT_LOCAL_X2APIC 9
#define MADT_FLAG_PCAT_COMPAT 0x1
#define MADT_LAPIC_ENABLED 0x1
#define ISA_BUS 0

struct __attribute__((packed)) acpi_rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
    char signature[SIG_LEN];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};

struct __attribute__((packed)) madt_header {
    struct acpi_header h;
    uint32_t lapic_addr;
    uint32_t flags;
};

static struct madt_info madt;
static bool madt_found;

static uint8_t acpi_sum(const void *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s += ((const uint8_t *)p)[i];
    return s;
}

/* ---- the MADT parser (pure: no mapping, no logging) ---- */

static void madt_add_cpu(struct madt_info *m, uint32_t apic_id, uint32_t flags)
{
    if (!(flags & MADT_LAPIC_ENABLED)) {
        m->nr_disabled++;
        return;
    }
    if (m->nr_cpus < MADT_MAX_CPUS)
        m->apic_ids[m->nr_cpus] = apic_id;
    m->nr_cpus++;
}

/* One entry e of length len. Returns NULL or why it is garbled. */
static const char *madt_entry(struct madt_info *m, const uint8_t *e, uint8_t len)
{
    uint32_t u32;
    switch (e[0]) {
    case MADT_LOCAL_APIC: /* u8 uid | u8 APIC id | u32 flags */
        if (len < 8)
            return "short local APIC entry";
        memcpy(&u32, e + 4, 4);
        madt_add_cpu(m, e[3], u32);
        break;
    case MADT_LOCAL_X2APIC: /* u16 reserved | u32 x2APIC id | u32 flags | u32 uid */
        if (len < 16)
            return "short x2APIC entry";
        memcpy(&u32, e + 8, 4);
        uint32_t id;
        memcpy(&id, e + 4, 4);
        madt_add_cpu(m, id, u32);
        break;
    case MADT_IO_APIC: /* u8 id | u8 reserved | u32 address | u32 GSI base */
        if (len < 12)
            return "short IO-APIC entry";
        if (m->nr_ioapics++ == 0) {
            m->ioapic_id = e[2];
            memcpy(&u32, e + 4, 4);
            m->ioapic_phys = u32;
            memcpy(&m->ioapic_gsi_base, e + 8, 4);
        }
        break;
    case MADT_INT_OVERRIDE: { /* u8 bus | u8 source IRQ | u32 GSI | u16 MPS INTI flags */
        if (len < 10)
            return "short interrupt source override";
        uint16_t flags;
        memcpy(&u32, e + 4, 4);
        memcpy(&flags, e + 8, 2);
        if (e[2] != ISA_BUS || e[3] >= NR_ISA_IRQS)
            break; /* not an ISA IRQ: nothing of ours */
        m->isa[e[3]] = (struct isa_irq_route){
            .gsi = u32,
            .active_low = (flags & MPS_POLARITY_MASK) == MPS_POLARITY_ACTIVE_LOW,
            .level = (flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL,
            .overridden = true,
        };
        m->nr_overrides++;
        break;
    }
    case MADT_LAPIC_ADDR_OVERRIDE: /* u16 reserved | u64 address */
        if (len < 12)
            return "short local APIC address override";
        memcpy(&m->lapic_phys, e + 4, 8);
        break;
    default: break; /* NMI lines, SAPICs, GIC...: not needed here */
    }
    return NULL;
}

bool madt_parse(const void *table, size_t len, struct madt_info *m, const char **why)
{
    const struct madt_header *h = table;
    memset(m, 0, sizeof(*m));
    for (unsigned irq = 0; irq < NR_ISA_IRQS; irq++)
        m->isa[irq].gsi = irq; /* ISA default: identity, active high, edge */
    *why = NULL;
    if (len < sizeof(*h) || memcmp(h->h.signature, "APIC", SIG_LEN) != 0 || h->h.length != len) {
        *why = "not a MADT";
        return false;
    }
    m->lapic_phys = h->lapic_addr;
    m->pcat_compat = h->flags & MADT_FLAG_PCAT_COMPAT;
    const uint8_t *p = (const uint8_t *)table + sizeof(*h), *end = (const uint8_t *)table + len;
    while (p < end && !*why) {
        if (end - p < 2 || p[1] < 2 || p[1] > end - p)
            *why = "an entry runs past the end of the table";
        else
            *why = madt_entry(m, p, p[1]);
        p += p + 1 < end ? p[1] : 2;
    }
    if (!*why && m->nr_cpus == 0)
        *why = "no enabled CPU";
    if (!*why && m->nr_ioapics == 0)
        *why = "no IO-APIC";
    if (!*why && m->nr_cpus > MADT_MAX_CPUS)
        m->nr_cpus = MADT_MAX_CPUS; /* the rest stay off */
    return !*why;
}

/* ---- finding it ---- */

static void acpi_print_table(uint64_t pa, const struct acpi_header *h)
{
    pr_info("ACPI: %.4s %#018lx %06x (v%02u %.6s %.8s %08x)\n", h->signature, pa, h->length, h->revision,
            h->oem_id, h->oem_table_id, h->oem_revision);
}

/* Map the table at pa whole and check its length and checksum. Returns
 * the mapping (iounmap it) or NULL, with the reason in *why. */
static const struct acpi_header *acpi_map_table(uint64_t pa, const char **why)
{
    const struct acpi_header *h = ioremap_cache(pa, sizeof(*h));
    if (!h) {
        *why = "no memory to map it";
        return NULL;
    }
    uint32_t len = h->length;
    iounmap((void *)h);
    if (len < sizeof(*h) || len > ACPI_TABLE_MAX) {
        *why = "implausible length";
        return NULL;
    }
    h = ioremap_cache(pa, len);
    if (!h) {
        *why = "no memory to map it";
        return NULL;
    }
    if (acpi_sum(h, len) != 0) {
        iounmap((void *)h);
        *why = "bad checksum";
        return NULL;
    }
    return h;
}

/* Check GRUB's RSDP copy; return the RSDT or XSDT address and its entry
 * size, or 0. */
static uint64_t rsdp_root(const struct boot_info *bi, unsigned *entry_size, const char **why)
{
    struct acpi_rsdp r = {0};
    memcpy(&r, bi->rsdp, MIN(bi->rsdp_len, sizeof(r)));
    if (bi->rsdp_len < RSDP_V1_LEN || memcmp(r.signature, RSDP_SIGNATURE, 8) != 0) {
        *why = "no RSDP from the boot loader (multiboot2 ACPI tags 14/15)";
        return 0;
    }
    if (acpi_sum(bi->rsdp, RSDP_V1_LEN) != 0) {
        *why = "RSDP checksum is bad";
        return 0;
    }
    bool v2 = r.revision >= ACPI_REVISION_2 && bi->rsdp_len >= RSDP_V2_LEN && r.xsdt &&
              acpi_sum(bi->rsdp, RSDP_V2_LEN) == 0;
    pr_info("ACPI: RSDP (GRUB's copy) v%02u %.6s, %s at %#lx\n", r.revision, r.oem_id, v2 ? "XSDT" : "RSDT",
            v2 ? r.xsdt : (uint64_t)r.rsdt);
    *entry_size = v2 ? 8 : 4;
    return v2 ? r.xsdt : r.rsdt;
}

/* Walk the RSDT/XSDT, print each table, parse the MADT. */
static bool acpi_find_madt(uint64_t root_pa, unsigned entry_size, const char **why)
{
    const struct acpi_header *root = acpi_map_table(root_pa, why);
    if (!root)
        return false;
    acpi_print_table(root_pa, root);
    bool found = false;
    const char *madt_why = "no MADT (\"APIC\") table";
    unsigned n = (root->length - sizeof(*root)) / entry_size;
    for (unsigned i = 0; i < n; i++) {
        uint64_t pa = 0;
        memcpy(&pa, (const uint8_t *)(root + 1) + i * entry_size, entry_size);
        const char *twhy;
        const struct acpi_header *t = acpi_map_table(pa, &twhy);
        if (!t) {
            pr_warn("ACPI: table at %#lx ignored: %s\n", pa, twhy);
            continue;
        }
        acpi_print_table(pa, t);
        if (!found && memcmp(t->signature, "APIC", SIG_LEN) == 0)
            found = madt_parse(t, t->length, &madt, &madt_why);
        iounmap((void *)t);
    }
    iounmap((void *)root);
    *why = found ? NULL : madt_why;
    return found;
}

static void acpi_print_madt(void)
{
    char ids[128] = "", routes[256] = "";
    size_t o = 0;
    for (unsigned i = 0; i < madt.nr_cpus && o < sizeof(ids); i++)
        o += snprintf(ids + o, sizeof(ids) - o, "%s%u", i ? " " : "", madt.apic_ids[i]);
    o = 0;
    for (unsigned irq = 0; irq < NR_ISA_IRQS && o < sizeof(routes); irq++) {
        const struct isa_irq_route *r = &madt.isa[irq];
        if (r->overridden)
            o += snprintf(routes + o, sizeof(routes) - o, "; IRQ%u -> GSI %u%s%s", irq, r->gsi,
                          r->level ? " level" : "", r->active_low ? " low" : "");
    }
    pr_info("ACPI: MADT: %u CPU%s (APIC ids %s)%s, IO-APIC id %u at %#lx GSI base %u%s\n", madt.nr_cpus,
            madt.nr_cpus == 1 ? "" : "s", ids, madt.nr_disabled ? " and disabled ones" : "", madt.ioapic_id,
            madt.ioapic_phys, madt.ioapic_gsi_base, routes);
    if (madt.nr_ioapics > 1)
        pr_info("ACPI: MADT: %u IO-APICs; only the first is used\n", madt.nr_ioapics);
}

const struct madt_info *acpi_init(const struct boot_info *bi)
{
    const char *why = NULL;
    unsigned entry_size = 0;
    if (cmdline_has("acpi") && strcmp(cmdline_get("acpi"), "off") == 0) {
        pr_info("ACPI: disabled (acpi=off): one CPU, 8259A PIC and PIT\n");
        return NULL;
    }
    uint64_t root = rsdp_root(bi, &entry_size, &why);
    if (root)
        madt_found = acpi_find_madt(root, entry_size, &why);
    if (!madt_found) {
        pr_warn("ACPI: %s: falling back to one CPU, 8259A PIC and PIT\n", why);
        return NULL;
    }
    acpi_print_madt();
    return &madt;
}

const struct madt_info *acpi_madt(void) { return madt_found ? &madt : NULL; }
