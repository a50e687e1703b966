/*
 * drivers/serial.h - the 16550 UART on COM1 (I/O port 0x3f8, IRQ 4).
 * Output is polled; input arrives by interrupt into a ring buffer.
 */
#ifndef PAGEWISE_DRIVERS_SERIAL_H
#define PAGEWISE_DRIVERS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void serial_init(void);
/* Route the receive interrupt through the interrupt controller. Call
 * after interrupts are set up (irq_init). */
void serial_enable_rx_irq(void);
void serial_putc(char c);
/* fn() runs in the receive interrupt after new bytes arrived (the
 * console's line discipline takes them). Returns the previous fn. */
void (*serial_set_rx_notify(void (*fn)(void)))(void);
/* Take one received byte: returns false if none is waiting. */
bool serial_getc(char *c);
/* Bytes received so far that the buffer had no room for. */
size_t serial_rx_dropped(void);
/* Loopback mode: what is sent comes back as input, with its interrupt
 * (the UART's self test, used by the tests; output is not seen meanwhile). */
void serial_set_loopback(bool on);
/* Receive interrupts handled so far. */
uint64_t serial_rx_irqs(void);

#endif
