/* tests/kernel/ktest_util.h - helpers shared by the in-kernel tests. */
#ifndef PAGEWISE_TESTS_KTEST_UTIL_H
#define PAGEWISE_TESTS_KTEST_UTIL_H

#include <stdint.h>

#include "mm/memlayout.h"

/* xorshift64: repeatable pseudo-random numbers from a seed. */
static inline uint64_t kt_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* A kernel address no one else uses: the last GiB of the vmalloc range,
 * far above any vmalloc allocation, so its page tables start empty. */
#define KT_SCRATCH_VA (VMALLOC_END - HUGE_PAGE_SIZE)
/* A user-half address for SMEP/SMAP tests in the kernel's own PML4. */
#define KT_USER_VA 0x10000000ul

/* Machine code for `xor eax, eax; ret`: probe_exec returns 0 if it ran. */
#define KT_RET0_CODE                                                                                                   \
    {                                                                                                                  \
        0x31, 0xc0, 0xc3                                                                                               \
    }

#endif
