/*
 * drivers/irq.c - the IRQ layer drivers use, over one of two controllers:
 *
 *   8259A (drivers/i8259.c)             IO-APIC + local APIC
 *   IRQ n -> vector 0x20 + n            ISA IRQ n -> GSI (MADT override, or n)
 *   mask: the PIC's mask register       -> IO-APIC entry: vector 0x20 + n,
 *   EOI: to the PIC (both for 8..15)       trigger/polarity, boot CPU's id
 *                                       EOI: to the local APIC
 *
 * The MADT's overrides matter: QEMU and most PCs wire the PIT (ISA IRQ 0)
 * to IO-APIC input 2, and PCI lines (IRQ 5, 9, 10, 11) are level
 * triggered. The choice is made once at boot; `noapic` keeps the 8259A.
 */
#include "drivers/irq.h"

#include "drivers/i8259.h"
#include "drivers/ioapic.h"
#include "drivers/lapic.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/x86.h"

static struct {
    irq_handler_t fn[NR_IRQS];
    void *arg[NR_IRQS];
    uint64_t count[NR_IRQS];
    uint64_t spurious;
    uint16_t mask; /* 8259A: bit set = line masked */
    const struct madt_info *madt; /* NULL: the 8259A */
    uint32_t boot_apic_id;        /* where the IO-APIC sends the ISA IRQs */
} irqs = {.mask = 0xffff};

/* The local APIC and the IO-APIC, if the MADT has them and both map. */
static bool irq_init_apic(const struct madt_info *madt)
{
    if (!lapic_init(madt->lapic_phys))
        return false;
    if (!ioapic_init(madt->ioapic_phys, madt->ioapic_gsi_base))
        return false;
    irqs.madt = madt;
    irqs.boot_apic_id = lapic_id();
    return true;
}

void irq_init(const struct madt_info *madt)
{
    /* Remapped even when masked for good: a spurious IRQ 7 must not arrive
     * as vector 7 (#NM). */
    i8259_init(IRQ_VECTOR_BASE);
    if (madt && cmdline_has("noapic")) {
        pr_info("irq: noapic: the IO-APIC and local APIC stay unused\n");
        madt = NULL;
    }
    if (madt && irq_init_apic(madt)) {
        pr_info("irq: IO-APIC routes ISA IRQs to vectors %#x..%#x; 8259A PICs masked\n", IRQ_VECTOR_BASE,
                IRQ_VECTOR_BASE + NR_IRQS - 1);
        return;
    }
    irqs.mask = 0xffff & ~(1u << IRQ_CASCADE);
    i8259_set_mask(irqs.mask);
    pr_info("irq: 8259A PICs remapped to vectors %#x..%#x, all lines masked\n", IRQ_VECTOR_BASE,
            IRQ_VECTOR_BASE + NR_IRQS - 1);
}

bool irq_apic_mode(void) { return irqs.madt != NULL; }

void irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    bool on = irq_save();
    irqs.fn[irq] = fn;
    irqs.arg[irq] = arg;
    if (irqs.madt) {
        const struct isa_irq_route *r = &irqs.madt->isa[irq];
        if (!ioapic_route(r->gsi, IRQ_VECTOR_BASE + irq, r->level, r->active_low, irqs.boot_apic_id))
            pr_warn("irq: IRQ %u -> GSI %u: no such IO-APIC input\n", irq, r->gsi);
    } else {
        irqs.mask &= ~(1u << irq);
        i8259_set_mask(irqs.mask);
    }
    irq_restore(on);
}

void irq_dispatch(unsigned irq)
{
    if (!irqs.madt && i8259_is_spurious(irq)) {
        irqs.spurious++;
        return;
    }
    irqs.count[irq]++;
    if (irqs.fn[irq])
        irqs.fn[irq](irqs.arg[irq]);
    if (irqs.madt)
        lapic_eoi();
    else
        i8259_eoi(irq);
}

uint64_t irq_count(unsigned irq) { return irq < NR_IRQS ? irqs.count[irq] : 0; }
