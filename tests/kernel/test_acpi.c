/* tests/kernel/test_acpi.c - the MADT parser on built-in tables. */
#include "kernel/acpi.h"
#include "kernel/string.h"
#include "tests/kernel/ktest.h"

#define MADT_HDR_LEN 44 /* ACPI header (36) + local APIC address + flags */

/* A MADT like QEMU's for -smp 2 plus a disabled third CPU: entries after
 * the 44-byte header, the header's length field filled in by madt_build. */
static const uint8_t madt_entries[] = {
    0, 8, 0, 0, 1, 0, 0, 0,                 /* local APIC uid 0, id 0, enabled */
    0, 8, 1, 1, 1, 0, 0, 0,                 /* local APIC uid 1, id 1, enabled */
    0, 8, 2, 2, 0, 0, 0, 0,                 /* local APIC uid 2, id 2, disabled */
    1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0, /* IO-APIC id 0 at 0xfec00000, GSI base 0 */
    2, 10, 0, 0, 2, 0, 0, 0, 0, 0,          /* ISA IRQ 0 -> GSI 2, conforming */
    2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0,       /* ISA IRQ 9 -> GSI 9, active high, level */
    4, 6, 0xff, 0, 0, 1,                    /* local APIC NMI on LINT1: skipped */
};

static size_t madt_build(uint8_t *buf, const uint8_t *entries, size_t n)
{
    size_t len = MADT_HDR_LEN + n;
    uint32_t len32 = (uint32_t)len, lapic = 0xfee00000, flags = 1;
    memset(buf, 0, MADT_HDR_LEN);
    memcpy(buf, "APIC", 4);
    memcpy(buf + 4, &len32, 4);
    memcpy(buf + 36, &lapic, 4);
    memcpy(buf + 40, &flags, 4);
    memcpy(buf + MADT_HDR_LEN, entries, n);
    return len;
}

KTEST(acpi_madt_parse)
{
    static uint8_t buf[256];
    struct madt_info m;
    const char *why;
    size_t len = madt_build(buf, madt_entries, sizeof(madt_entries));
    KT_ASSERT(t, madt_parse(buf, len, &m, &why), "rejected: %s", why);
    KT_ASSERT(t, m.nr_cpus == 2 && m.apic_ids[0] == 0 && m.apic_ids[1] == 1 && m.nr_disabled == 1,
              "CPUs: %u enabled (%u %u), %u disabled", m.nr_cpus, m.apic_ids[0], m.apic_ids[1], m.nr_disabled);
    KT_ASSERT(t, m.lapic_phys == 0xfee00000 && m.pcat_compat, "local APIC at %#lx", m.lapic_phys);
    KT_ASSERT(t, m.nr_ioapics == 1 && m.ioapic_phys == 0xfec00000 && m.ioapic_gsi_base == 0, "IO-APIC at %#lx",
              m.ioapic_phys);
    KT_ASSERT(t, m.isa[0].gsi == 2 && !m.isa[0].level && !m.isa[0].active_low, "IRQ0 -> GSI %u", m.isa[0].gsi);
    KT_ASSERT(t, m.isa[9].gsi == 9 && m.isa[9].level && !m.isa[9].active_low, "IRQ9 not level/high");
    KT_ASSERT(t, m.isa[4].gsi == 4 && !m.isa[4].overridden && m.isa[14].gsi == 14, "identity routes wrong");
}

/* Garbled tables are refused (the kernel then keeps the 8259A). */
KTEST(acpi_madt_garbled)
{
    static uint8_t buf[256], bad[sizeof(madt_entries)];
    struct madt_info m;
    const char *why;
    memcpy(bad, madt_entries, sizeof(bad));
    bad[8 + 1] = 200; /* the second entry claims 200 bytes */
    size_t len = madt_build(buf, bad, sizeof(bad));
    KT_ASSERT(t, !madt_parse(buf, len, &m, &why) && why, "an overrunning entry was accepted");
    len = madt_build(buf, madt_entries, 3 * 8); /* CPUs only: no IO-APIC */
    KT_ASSERT(t, !madt_parse(buf, len, &m, &why) && strcmp(why, "no IO-APIC") == 0, "no IO-APIC accepted");
    len = madt_build(buf, madt_entries, sizeof(madt_entries));
    KT_ASSERT(t, !madt_parse(buf, len - 1, &m, &why), "a length mismatch was accepted");
    memcpy(buf, "FACP", 4);
    KT_ASSERT(t, !madt_parse(buf, len, &m, &why), "a FADT parsed as a MADT");
}
