/*
 * drivers/fb.h - the display as /dev/fb0 (drivers/fb.c).
 */
#ifndef PAGEWISE_DRIVERS_FB_H
#define PAGEWISE_DRIVERS_FB_H

#include <stddef.h>

/* Find QEMU's standard VGA on the PCI bus, ioremap its video RAM and
 * registers, set 640x480x32, make /dev/fb0. Called once by kmain. */
void fb_init(void);
/* Its lines of /proc/iomem (the two BARs), or nothing. */
size_t fb_report_iomem(char *buf, size_t size);

#endif
