/* tests/kernel/test_vmalloc.c - the vmalloc area (mm/vmalloc.c). */
#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/trap.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "kernel/x86.h"
#include "mm/ioremap.h"
#include "mm/paging.h"
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

#define MSR_IA32_PAT_TEST 0x277
#define PAT_TYPE(pat, i) (((pat) >> ((i)*8)) & 0xff)

/* ioremap (mm/ioremap.c): the PAT holds Linux's layout (entry 1 WC, 3 UC),
 * a WC mapping's PTE selects entry 1 (PWT), a UC one entry 3 (PCD|PWT);
 * both reach the same frame as the direct map, and iounmap frees no frame
 * (device memory is not the allocator's). A RAM frame stands in for a BAR. */
KTEST(ioremap_memory_types)
{
    if (cpuid(1, 0).edx & (1u << 16)) {
        uint64_t pat = rdmsr(MSR_IA32_PAT_TEST);
        KT_ASSERT(t, PAT_TYPE(pat, 0) == 0x06 && PAT_TYPE(pat, 1) == 0x01 && PAT_TYPE(pat, 3) == 0x00,
                  "IA32_PAT is %#lx: want WB, WC, UC- and UC in entries 0-3", pat);
    }
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, p, "no frame");
    uint8_t *wc = ioremap_wc(page_to_phys(p) + 8, 16), *uc = ioremap_uc(page_to_phys(p), PAGE_SIZE);
    int level;
    pte_t *ewc = wc ? paging_walk(paging_kernel_pml4(), (uintptr_t)wc, false, &level) : NULL;
    pte_t *euc = uc ? paging_walk(paging_kernel_pml4(), (uintptr_t)uc, false, &level) : NULL;
    pte_t wc_pte = ewc ? *ewc : 0, uc_pte = euc ? *euc : 0;
    if (wc)
        wc[0] = 0x5a; /* byte 8 of the frame */
    uint8_t seen = ((uint8_t *)page_to_virt(p))[8], through_uc = uc ? uc[8] : 0;
    iounmap(wc);
    iounmap(uc);
    bool still_ours = p->refcount == 1 && !(p->flags & (PG_buddy | PG_pcp)); /* not handed to the allocator */
    pmm_free(p, 0);
    KT_ASSERT(t, wc && uc, "ioremap failed");
    KT_ASSERT(t, (wc_pte & (PTE_PWT | PTE_PCD)) == PTE_PWT, "the WC mapping's PTE %#lx: want PWT only", wc_pte);
    KT_ASSERT(t, (uc_pte & (PTE_PWT | PTE_PCD)) == (PTE_PWT | PTE_PCD), "the UC mapping's PTE %#lx: want PCD|PWT",
              uc_pte);
    KT_ASSERT(t, (wc_pte & PTE_ADDR_MASK) == page_to_phys(p), "the WC mapping does not reach the frame");
    KT_ASSERT(t, seen == 0x5a && through_uc == 0x5a, "a store through the WC mapping: %#x in the direct map, %#x "
              "through the UC one", seen, through_uc);
    KT_ASSERT(t, still_ours, "iounmap gave the mapped frame to the allocator");
}
