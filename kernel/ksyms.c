/*
 * kernel/ksyms.c - look addresses up in the generated table. The table is
 * sorted by address (nm -n) and ends with a {0, ""} sentinel; a function
 * runs from its address to the next symbol's.
 */
#include "kernel/ksyms.h"

#include "kernel/string.h"

extern const struct ksym __ksyms_start[], __ksyms_end[];
extern const char __text_start[], __text_end[];

static unsigned ksym_count(void)
{
    unsigned n = (unsigned)(__ksyms_end - __ksyms_start);
    while (n > 0 && __ksyms_start[n - 1].addr == 0)
        n--;
    return n;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset, uint64_t *size)
{
    if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end)
        return NULL;
    unsigned n = ksym_count(), lo = 0, hi = n;
    if (n == 0 || addr < __ksyms_start[0].addr)
        return NULL;
    while (hi - lo > 1) { /* last symbol with .addr <= addr */
        unsigned mid = (lo + hi) / 2;
        if (__ksyms_start[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    uint64_t end = lo + 1 < n ? __ksyms_start[lo + 1].addr : (uint64_t)__text_end;
    *offset = addr - __ksyms_start[lo].addr;
    *size = end - __ksyms_start[lo].addr;
    return __ksyms_start[lo].name;
}

uint64_t ksym_address(const char *name)
{
    for (unsigned i = 0, n = ksym_count(); i < n; i++)
        if (strcmp(__ksyms_start[i].name, name) == 0)
            return __ksyms_start[i].addr;
    return 0;
}
