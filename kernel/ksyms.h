/*
 * kernel/ksyms.h - the kernel's own symbol table, generated at build time
 * by kernel/mksyms.sh from the first link (see the Makefile), so that a
 * panic can say "vmalloc+0x4c" instead of a bare address.
 */
#ifndef PAGEWISE_KERNEL_KSYMS_H
#define PAGEWISE_KERNEL_KSYMS_H

#include <stdint.h>

#define KSYM_NAME_MAX 48

struct ksym {
    uint64_t addr;
    char name[KSYM_NAME_MAX];
};

/* The function containing addr: returns its name and sets *offset and
 * *size, or returns NULL if addr is not in kernel text. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);
/* Address of a function by name, or 0 (used by tests). */
uint64_t ksym_address(const char *name);

#endif
