/*
 * drivers/console.c - the kernel console is the serial line. (QEMU shows
 * it on the terminal in `make run`; the test harness reads it from a file.)
 */
#include "drivers/console.h"

#include "drivers/serial.h"

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            serial_putc('\r');
        serial_putc(buf[i]);
    }
}
