/*
 * drivers/debugexit.h - power QEMU off with a status, through its
 * isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04).
 * QEMU exits with (value << 1) | 1, so the harness reads:
 *     1 = tests passed, 3 = a test failed, 33 = kernel panic,
 *     0 = the guest reset itself (a triple fault, with -no-reboot).
 * On real hardware the port does nothing and the caller halts.
 */
#ifndef PAGEWISE_DRIVERS_DEBUGEXIT_H
#define PAGEWISE_DRIVERS_DEBUGEXIT_H

#define DEBUG_EXIT_PASS 0x00
#define DEBUG_EXIT_FAIL 0x01
#define DEBUG_EXIT_PANIC 0x10

/* Does not return under QEMU; returns on machines without the device. */
void debug_exit(unsigned value);

#endif
