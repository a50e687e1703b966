/* tests/kernel/test_vmalloc.c - the vmalloc area (mm/vmalloc.c). */
#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/trap.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/ktest.h"

/* Three usable pages, then an unmapped guard page that faults; after
 * vfree the pages fault too and their frames are back. */
KTEST(vmalloc_guard_page_faults)
{
    uint64_t free0 = pmm_nr_free();
    uint8_t *v = vmalloc(3 * PAGE_SIZE);
    KT_ASSERT(t, v, "vmalloc failed");
    KT_ASSERT(t, (uintptr_t)v >= VMALLOC_START && (uintptr_t)v < VMALLOC_END, "%p is outside the vmalloc area", v);
    for (int i = 0; i < 3 * PAGE_SIZE; i += 64)
        v[i] = (uint8_t)i;
    uint8_t x;
    struct probe_fault f;
    int after = probe_read(v + 3 * PAGE_SIZE, &x, &f);
    int before = probe_read(v - 1, &x, NULL);
    bool guard = vmalloc_is_guard((uintptr_t)v + 3 * PAGE_SIZE) && vmalloc_is_guard((uintptr_t)v - 1);
    bool inside = vmalloc_is_guard((uintptr_t)v + PAGE_SIZE);
    vfree(v);
    int freed = probe_read(v, &x, NULL);
    KT_ASSERT(t, after == -EFAULT, "the guard page after the area is readable");
    KT_ASSERT(t, f.cr2 == (uintptr_t)v + 3 * PAGE_SIZE && !(f.error_code & PF_P), "guard fault: cr2 %#lx err %#lx",
              f.cr2, f.error_code);
    KT_ASSERT(t, before == -EFAULT, "the page before the area is readable");
    KT_ASSERT(t, guard && !inside, "vmalloc_is_guard is wrong");
    KT_ASSERT(t, freed == -EFAULT, "the area is still mapped after vfree");
    KT_ASSERT(t, pmm_nr_free() == free0, "%ld frames not returned", (long)(free0 - pmm_nr_free()));
}

/* First fit: areas are packed with one guard page between them, and a
 * freed hole is reused. */
KTEST(vmalloc_first_fit_reuse)
{
    uint8_t *a = vmalloc(PAGE_SIZE), *b = vmalloc(PAGE_SIZE);
    KT_ASSERT(t, a && b, "vmalloc failed");
    vfree(a);
    uint8_t *c = vmalloc(PAGE_SIZE);
    vfree(b);
    vfree(c);
    KT_ASSERT(t, b == a + 2 * PAGE_SIZE, "b = a + %#lx, expected two pages (one guard)", (unsigned long)(b - a));
    KT_ASSERT(t, c == a, "freed hole not reused: %p vs %p", c, a);
}

/* Kernel stacks come from vmalloc: the page below the stack is a guard. */
KTEST(kstack_has_guard_below)
{
    uintptr_t top = kstack_alloc();
    KT_ASSERT(t, top, "kstack_alloc failed");
    uint8_t x;
    int below = probe_read((void *)(top - KSTACK_SIZE - 8), &x, NULL);
    int bottom = probe_read((void *)(top - KSTACK_SIZE), &x, NULL);
    kstack_free(top);
    KT_ASSERT(t, below == -EFAULT, "the page below the stack is mapped");
    KT_ASSERT(t, bottom == 0, "the lowest stack page is not mapped");
}
