/* kernel/random.h - random bytes for AT_RANDOM and getrandom(2). */
#ifndef PAGEWISE_KERNEL_RANDOM_H
#define PAGEWISE_KERNEL_RANDOM_H

#include <stddef.h>

/* RDRAND when the CPU has it, else a generator seeded from the TSC. Good
 * enough for stack canaries in a teaching kernel; not for cryptography. */
void random_bytes(void *buf, size_t n);

#endif
