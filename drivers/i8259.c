/*
 * drivers/i8259.c - the 8259A programmable interrupt controllers.
 *
 *   master PIC (ports 0x20/0x21): IRQ 0..7  -> vectors base..base+7
 *   slave  PIC (ports 0xa0/0xa1): IRQ 8..15 -> vectors base+8..base+15,
 *                                 chained into the master's IRQ 2
 *
 * Initialization words (ICW1..ICW4) per the 8259A datasheet.
 */
#include "drivers/i8259.h"

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
#define PIC_CASCADE_IRQ 2
#define PIC_LINES 8
#define PIC_ALL_MASKED 0xffff

void i8259_init(uint8_t vector_base)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    io_wait();
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    io_wait();
    outb(PIC1_DATA, vector_base); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, vector_base + PIC_LINES);
    io_wait();
    outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ); /* ICW3: slave on IRQ 2 */
    io_wait();
    outb(PIC2_DATA, PIC_CASCADE_IRQ); /* ICW3: slave's cascade identity */
    io_wait();
    outb(PIC1_DATA, PIC_ICW4_8086);
    io_wait();
    outb(PIC2_DATA, PIC_ICW4_8086);
    io_wait();
    i8259_set_mask(PIC_ALL_MASKED);
}

void i8259_set_mask(uint16_t mask)
{
    outb(PIC1_DATA, mask & 0xff);
    outb(PIC2_DATA, mask >> PIC_LINES);
}

bool i8259_is_spurious(unsigned irq)
{
    if ((irq & (PIC_LINES - 1)) != PIC_SPURIOUS_LINE)
        return false;
    uint16_t port = irq < PIC_LINES ? PIC1_CMD : PIC2_CMD;
    outb(port, PIC_READ_ISR);
    if (inb(port) & (1u << PIC_SPURIOUS_LINE))
        return false;
    if (irq >= PIC_LINES)
        outb(PIC1_CMD, PIC_EOI); /* the master did see the cascade */
    return true;
}

void i8259_eoi(unsigned irq)
{
    if (irq >= PIC_LINES)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}
