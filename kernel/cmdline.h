/*
 * kernel/cmdline.h - the kernel command line: GRUB's (iso/grub.cfg, or
 * `make run CMDLINE=...`) followed by QEMU's fw_cfg file
 * opt/pagewise/cmdline. Later words win. Options:
 *   quiet          console shows warnings and worse only
 *   test=PATTERN   run the in-kernel tests matching PATTERN (all, name, pre*)
 *   mem=SIZE       use at most SIZE of RAM (K, M or G suffix)
 *   init=PATH      first user program (default /bin/init)
 *   panic=halt     on panic, halt instead of powering QEMU off
 *   swap=off       do not use the swap disk
 *   reclaim=NAME   page replacement: clock (default), fifo, random
 *   lockdep        check the lock order (kernel/lockdep.h)
 * (README.md lists the others: noapic, nosmp, acpi=off, vmcheck and more)
 */
#ifndef PAGEWISE_KERNEL_CMDLINE_H
#define PAGEWISE_KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Take a copy of the command line and split it into words. */
void cmdline_init(const char *boot_cmdline, const char *extra);
/* The whole line as given (for the boot log and /proc/cmdline). */
const char *cmdline_string(void);
/* Value of the last "key=value" word; "" for a bare "key"; NULL if absent. */
const char *cmdline_get(const char *key);
bool cmdline_has(const char *key);
/* Words after a "--" word (Linux passes them to init). Returns how many
 * were stored in words[0..max-1]. */
unsigned cmdline_init_args(const char **words, unsigned max);
/* Parse "128M", "1G", "4096K" or plain bytes; returns 0 if malformed. */
uint64_t cmdline_parse_size(const char *s);

#endif
