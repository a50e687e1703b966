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

#include <stdarg.h>

#include "drivers/i8259.h"
#include "drivers/ioapic.h"
#include "drivers/lapic.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/x86.h"

static struct {
    irq_handler_t fn[NR_IRQS];
    void *arg[NR_IRQS];
    const char *name[NR_IRQS];
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

void irq_register(unsigned irq, irq_handler_t fn, void *arg, const char *name)
{
    bool on = irq_save();
    irqs.fn[irq] = fn;
    irqs.arg[irq] = arg;
    irqs.name[irq] = name;
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
    struct percpu *cpu = this_cpu();
    cpu->irq_count[irq]++; /* /proc/interrupts */
    cpu->irq_nesting++;    /* the handler's locks are its own context (kernel/lockdep.h) */
    if (irqs.fn[irq])
        irqs.fn[irq](irqs.arg[irq]);
    cpu->irq_nesting--;
    if (irqs.madt)
        lapic_eoi();
    else
        i8259_eoi(irq);
}

uint64_t irq_count(unsigned irq) { return irq < NR_IRQS ? irqs.count[irq] : 0; }

/* Append to a report buffer; the length never passes size - 1. */
__attribute__((format(printf, 4, 5))) static size_t report_add(char *buf, size_t size, size_t len, const char *fmt,
                                                               ...)
{
    if (len + 1 >= size)
        return len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    return MIN(len + (size_t)(n > 0 ? n : 0), size - 1);
}

/* One row of /proc/interrupts: the label, each online CPU's count (the
 * field at `first` in percpu_area[0], the same in the others), the rest. */
static size_t report_row(char *buf, size_t size, size_t len, const char *label, const uint64_t *first,
                         const char *rest)
{
    len = report_add(buf, size, len, "%s", label);
    for (unsigned cpu = 0; cpu < nr_cpus_online; cpu++)
        len = report_add(buf, size, len, "%10lu ", *(const uint64_t *)((const char *)first + cpu * sizeof(struct percpu)));
    return report_add(buf, size, len, "%s\n", rest);
}

long irq_report(char *buf, size_t size)
{
    size_t len = report_add(buf, size, 0, "    ");
    for (unsigned cpu = 0; cpu < nr_cpus_online; cpu++)
        len = report_add(buf, size, len, "       CPU%-3u", cpu);
    len = report_add(buf, size, len, "\n");
    for (unsigned irq = 0; irq < NR_IRQS; irq++) {
        if (!irqs.name[irq])
            continue;
        char label[8], rest[64];
        snprintf(label, sizeof(label), "%3u: ", irq);
        if (irqs.madt)
            snprintf(rest, sizeof(rest), "  IO-APIC %3u-%-8s %s", irqs.madt->isa[irq].gsi,
                     irqs.madt->isa[irq].level ? "fasteoi" : "edge", irqs.name[irq]);
        else
            snprintf(rest, sizeof(rest), "  XT-PIC      %-8s %s", "", irqs.name[irq]);
        len = report_row(buf, size, len, label, &percpu_area[0].irq_count[irq], rest);
    }
    if (irqs.madt)
        len = report_row(buf, size, len, "LOC: ", &percpu_area[0].timer_ticks, "  Local timer interrupts");
    len = report_row(buf, size, len, "RES: ", &percpu_area[0].nr_resched_ipis, "  Rescheduling interrupts");
    len = report_row(buf, size, len, "TLB: ", &percpu_area[0].nr_tlb_shootdowns, "  TLB shootdowns");
    len = report_add(buf, size, len, "ERR: %10lu\n", lapic_nr_errors());
    return (long)len;
}
