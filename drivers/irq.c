/*
 * drivers/irq.c - the 8259A programmable interrupt controllers.
 *
 *   master PIC (ports 0x20/0x21): IRQ 0..7  -> vectors 0x20..0x27
 *   slave  PIC (ports 0xa0/0xa1): IRQ 8..15 -> vectors 0x28..0x2f,
 *                                 chained into the master's IRQ 2
 *
 * Initialization words (ICW1..ICW4) per the 8259A datasheet. The local
 * APIC would replace this on SMP; one CPU needs no more than the PIC.
 */
#include "drivers/irq.h"

#include "kernel/printk.h"
#include "kernel/x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define PIC_ICW4_8086 0x01
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b /* OCW3: next read of the command port gives ISR */
#define PIC_SPURIOUS_LINE 7

static struct {
    irq_handler_t fn[NR_IRQS];
    void *arg[NR_IRQS];
    uint64_t count[NR_IRQS];
    uint64_t spurious;
    uint16_t mask; /* bit set = line masked */
} irqs = {.mask = 0xffff};

static void pic_write_mask(void)
{
    outb(PIC1_DATA, irqs.mask & 0xff);
    outb(PIC2_DATA, irqs.mask >> 8);
}

void irq_init(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    io_wait();
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    io_wait();
    outb(PIC1_DATA, IRQ_VECTOR_BASE); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, IRQ_VECTOR_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ 2 */
    io_wait();
    outb(PIC2_DATA, IRQ_CASCADE); /* ICW3: slave's cascade identity */
    io_wait();
    outb(PIC1_DATA, PIC_ICW4_8086);
    io_wait();
    outb(PIC2_DATA, PIC_ICW4_8086);
    io_wait();
    irqs.mask = 0xffff & ~(1u << IRQ_CASCADE);
    pic_write_mask();
    pr_info("irq: 8259A PICs remapped to vectors %#x..%#x, all lines masked\n", IRQ_VECTOR_BASE,
            IRQ_VECTOR_BASE + NR_IRQS - 1);
}

void irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    bool on = irq_save();
    irqs.fn[irq] = fn;
    irqs.arg[irq] = arg;
    irqs.mask &= ~(1u << irq);
    pic_write_mask();
    irq_restore(on);
}

/* A spurious IRQ 7/15 (the line dropped before the CPU acknowledged it)
 * has no bit in the in-service register and must not get an EOI. */
static bool pic_is_spurious(unsigned irq)
{
    if ((irq & 7) != PIC_SPURIOUS_LINE)
        return false;
    uint16_t port = irq < 8 ? PIC1_CMD : PIC2_CMD;
    outb(port, PIC_READ_ISR);
    return !(inb(port) & (1u << PIC_SPURIOUS_LINE));
}

void irq_dispatch(unsigned irq)
{
    if (pic_is_spurious(irq)) {
        irqs.spurious++;
        if (irq >= 8)
            outb(PIC1_CMD, PIC_EOI); /* the master did see the cascade */
        return;
    }
    irqs.count[irq]++;
    if (irqs.fn[irq])
        irqs.fn[irq](irqs.arg[irq]);
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

uint64_t irq_count(unsigned irq) { return irq < NR_IRQS ? irqs.count[irq] : 0; }
