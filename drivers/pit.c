/*
 * drivers/pit.c - 8254 timer. Command byte (port 0x43):
 *   bits 7:6 channel, 5:4 access (3 = low byte then high byte),
 *   3:1 mode (0 = one-shot, 2 = rate generator), 0 BCD (0 = binary)
 */
#include "drivers/pit.h"

#include "drivers/irq.h"
#include "kernel/x86.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH0_RATE 0x34    /* channel 0, lo/hi, mode 2 */
#define PIT_CMD_CH2_ONESHOT 0xb0 /* channel 2, lo/hi, mode 0 */
#define PORT_61 0x61             /* NMI status/control: PIT ch2 gate */
#define PORT_61_GATE2 0x01
#define PORT_61_SPEAKER 0x02
#define PORT_61_OUT2 0x20
#define PIT_MAX_US 50000

static void (*pit_tick)(void);

static void pit_irq(void *unused)
{
    (void)unused;
    if (pit_tick)
        pit_tick();
}

void pit_start_periodic(unsigned hz, void (*tick)(void))
{
    unsigned divisor = (PIT_HZ + hz / 2) / hz;
    pit_tick = tick;
    outb(PIT_CMD, PIT_CMD_CH0_RATE);
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
    irq_register(IRQ_TIMER, pit_irq, NULL, "timer");
}

uint64_t pit_measure_tsc(unsigned us)
{
    if (us > PIT_MAX_US)
        us = PIT_MAX_US;
    unsigned count = (unsigned)((uint64_t)PIT_HZ * us / 1000000);
    uint8_t p61 = inb(PORT_61);
    outb(PORT_61, (p61 & ~PORT_61_SPEAKER) & ~PORT_61_GATE2); /* gate low: hold */
    outb(PIT_CMD, PIT_CMD_CH2_ONESHOT);
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
    uint64_t t0 = rdtsc();
    outb(PORT_61, (p61 & ~PORT_61_SPEAKER) | PORT_61_GATE2); /* gate high: count */
    while (!(inb(PORT_61) & PORT_61_OUT2))
        cpu_relax();
    uint64_t t1 = rdtsc();
    outb(PORT_61, p61);
    return t1 - t0;
}
