/* kernel/random.c - see random.h. */
#include "kernel/random.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/x86.h"

#define CPUID_ECX_RDRAND (1u << 30)
#define RDRAND_RETRIES 10

static uint64_t xorshift_state;

static bool rdrand64(uint64_t *v)
{
    if (!(cpuid(1, 0).ecx & CPUID_ECX_RDRAND))
        return false;
    for (int i = 0; i < RDRAND_RETRIES; i++) {
        uint8_t ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

static uint64_t next64(void)
{
    uint64_t v;
    if (rdrand64(&v))
        return v;
    if (!xorshift_state)
        xorshift_state = rdtsc() | 1;
    xorshift_state ^= xorshift_state << 13;
    xorshift_state ^= xorshift_state >> 7;
    xorshift_state ^= xorshift_state << 17;
    return xorshift_state ^ rdtsc();
}

void random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        uint64_t v = next64();
        for (int i = 0; i < 8 && n > 0; i++, n--)
            *p++ = (uint8_t)(v >> (8 * i));
    }
}
