/*
 * drivers/serial.c - 16550 UART driver for COM1.
 *
 * Registers (offsets from the base port, DLAB = LCR bit 7):
 *   +0 RBR/THR (DLAB=0)  receive / transmit byte;  DLL (DLAB=1) divisor low
 *   +1 IER     (DLAB=0)  interrupt enable;         DLM (DLAB=1) divisor high
 *   +2 FCR/IIR           FIFO control / interrupt identification
 *   +3 LCR               line control (word length, parity, DLAB)
 *   +4 MCR               modem control (OUT2 gates the IRQ line on PCs)
 *   +5 LSR               line status (bit 0 data ready, bit 5 THR empty)
 */
#include "drivers/serial.h"

#include "drivers/irq.h"
#include "kernel/x86.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define UART_RBR 0
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_IER_RDI 0x01 /* receive data interrupt */
#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
#define UART_FCR_ENABLE_CLEAR 0xc7 /* FIFO on, clear both, 14-byte trigger */
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_MCR_LOOP 0x10 /* transmitter wired to receiver inside the chip */
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_BAUD_BASE 115200
#define SERIAL_BAUD 115200
#define SERIAL_RX_BUF 1024 /* a power of two */

static struct {
    char buf[SERIAL_RX_BUF];
    unsigned head, tail; /* head: next write (IRQ); tail: next read */
    size_t dropped;
    void (*notify)(void); /* called after bytes arrive */
} serial_rx;

void serial_init(void)
{
    unsigned divisor = UART_BAUD_BASE / SERIAL_BAUD;
    outb(COM1_PORT + UART_IER, 0);
    outb(COM1_PORT + UART_LCR, UART_LCR_DLAB);
    outb(COM1_PORT + UART_DLL, divisor & 0xff);
    outb(COM1_PORT + UART_DLM, divisor >> 8);
    outb(COM1_PORT + UART_LCR, UART_LCR_8N1);
    outb(COM1_PORT + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(COM1_PORT + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

void serial_putc(char c)
{
    while (!(inb(COM1_PORT + UART_LSR) & UART_LSR_THRE))
        cpu_relax();
    outb(COM1_PORT + UART_THR, (uint8_t)c);
}

/* IRQ 4: drain the receive FIFO into the ring buffer. */
static void serial_irq(void *unused)
{
    (void)unused;
    while (inb(COM1_PORT + UART_LSR) & UART_LSR_DR) {
        char c = (char)inb(COM1_PORT + UART_RBR);
        if (serial_rx.head - serial_rx.tail == SERIAL_RX_BUF) {
            serial_rx.dropped++;
            continue;
        }
        serial_rx.buf[serial_rx.head++ % SERIAL_RX_BUF] = c;
    }
    if (serial_rx.notify)
        serial_rx.notify();
}

void (*serial_set_rx_notify(void (*fn)(void)))(void)
{
    void (*old)(void) = serial_rx.notify;
    serial_rx.notify = fn;
    return old;
}

void serial_enable_rx_irq(void)
{
    irq_register(COM1_IRQ, serial_irq, NULL, "ttyS0");
    outb(COM1_PORT + UART_IER, UART_IER_RDI);
}

bool serial_getc(char *c)
{
    bool irqs = irq_save();
    bool got = serial_rx.tail != serial_rx.head;
    if (got)
        *c = serial_rx.buf[serial_rx.tail++ % SERIAL_RX_BUF];
    irq_restore(irqs);
    return got;
}

size_t serial_rx_dropped(void) { return serial_rx.dropped; }

void serial_set_loopback(bool on)
{
    outb(COM1_PORT + UART_MCR, UART_MCR_DTR_RTS_OUT2 | (on ? UART_MCR_LOOP : 0));
}

uint64_t serial_rx_irqs(void) { return irq_count(COM1_IRQ); }
