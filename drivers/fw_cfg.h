/*
 * drivers/fw_cfg.h - QEMU's firmware configuration device. QEMU passes
 * named files to the guest (`-fw_cfg name=opt/pagewise/cmdline,string=..`);
 * the test harness uses one to add kernel options to every boot of the
 * same ISO. Absent on real hardware: the read then simply fails.
 */
#ifndef PAGEWISE_DRIVERS_FW_CFG_H
#define PAGEWISE_DRIVERS_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

/* Copy the named file into buf (NUL-terminated, truncated to size-1).
 * Returns its length, or -1 if there is no fw_cfg device or no such file. */
int fw_cfg_read_file(const char *name, char *buf, size_t size);

/* Call fn for every fw_cfg file (name, selector, size). Returns the
 * number of files, or -1 if there is no fw_cfg device. */
int fw_cfg_for_each(void (*fn)(const char *name, uint16_t select, uint32_t size, void *arg), void *arg);
/* Read size bytes of the item with this selector into buf. */
void fw_cfg_read_item(uint16_t select, void *buf, size_t size);

#endif
