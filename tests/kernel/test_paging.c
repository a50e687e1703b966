/*
 * tests/kernel/test_paging.c - the page-table API (mm/paging.c, mm/tlb.c)
 * and the kernel's own tables as paging_init built them.
 */
#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/mm.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/tlb.h"
#include "mm/vmstat.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/ktest_util.h"

static uint64_t pgtables_in_use(void) { return vm_event(NR_PGTABLE_ALLOC) - vm_event(NR_PGTABLE_FREE); }

/* map -> the walk finds a 4 KiB leaf with our flags, the MMU translates
 * to our frame, data written through the new address shows through the
 * direct map; unmap -> the address faults again. */
KTEST(paging_map_walk_unmap)
{
    pte_t *pml4 = paging_kernel_pml4();
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, p, "no frame");
    uint64_t pa = page_to_phys(p), got;
    int level = 0;
    KT_ASSERT(t, paging_map(pml4, KT_SCRATCH_VA, pa, PTE_RW | PTE_XD) == 0, "map failed");
    KT_ASSERT(t, paging_map(pml4, KT_SCRATCH_VA, pa, PTE_RW) == -EEXIST, "second map did not give EEXIST");
    pte_t *e = paging_walk(pml4, KT_SCRATCH_VA, false, &level);
    KT_ASSERT(t, e && level == 1, "walk: no 4K leaf (level %d)", level);
    KT_ASSERT(t, (*e & PTE_ADDR_MASK) == pa && (*e & (PTE_P | PTE_RW | PTE_XD)) == (PTE_P | PTE_RW | PTE_XD),
              "leaf %#lx does not hold frame %#lx with P|RW|XD", *e, pa);
    KT_ASSERT(t, paging_translate(pml4, KT_SCRATCH_VA + 0x123, &got) && got == pa + 0x123, "translate gave %#lx", got);
    *(volatile uint32_t *)(KT_SCRATCH_VA + 8) = 0xfeedf00d;
    uint32_t seen = *(uint32_t *)((char *)page_to_virt(p) + 8);
    KT_ASSERT(t, paging_unmap(pml4, KT_SCRATCH_VA, &got) == 0 && got == pa, "unmap failed");
    uint8_t v;
    int r = probe_read((void *)KT_SCRATCH_VA, &v, NULL);
    pmm_free(p, 0);
    KT_ASSERT(t, seen == 0xfeedf00d, "the direct map saw %#x, not the value written", seen);
    KT_ASSERT(t, r == -EFAULT, "the unmapped address is still readable (stale TLB?)");
    KT_ASSERT(t, paging_unmap(pml4, KT_SCRATCH_VA, NULL) == -EINVAL, "second unmap did not give EINVAL");
}

/* Mapping in an empty GiB creates a PD and a PT; unmapping the only page
 * frees both, and the PDPT entry is clear again. */
KTEST(paging_unmap_frees_empty_tables)
{
    pte_t *pml4 = paging_kernel_pml4();
    struct page *p = pmm_alloc(0);
    KT_ASSERT(t, p, "no frame");
    uint64_t tables0 = pgtables_in_use(), free0 = pmm_nr_free();
    KT_ASSERT(t, paging_map(pml4, KT_SCRATCH_VA, page_to_phys(p), PTE_RW | PTE_XD) == 0, "map failed");
    uint64_t tables1 = pgtables_in_use();
    paging_unmap(pml4, KT_SCRATCH_VA, NULL);
    uint64_t tables2 = pgtables_in_use(), free2 = pmm_nr_free();
    int level;
    pte_t *pde = paging_walk(pml4, KT_SCRATCH_VA, false, &level);
    pmm_free(p, 0);
    KT_ASSERT(t, tables1 == tables0 + 2, "map made %ld tables, expected 2 (PD, PT)", (long)(tables1 - tables0));
    KT_ASSERT(t, tables2 == tables0, "%ld tables left after unmap", (long)(tables2 - tables0));
    KT_ASSERT(t, free2 == free0, "%ld frames leaked", (long)(free0 - free2));
    KT_ASSERT(t, pde == NULL, "the walk still finds a table for the address");
}

/* A writable page made read-only must refuse the next write: this fails
 * if paging_protect forgets the invlpg, because the TLB still holds the
 * old writable translation. */
KTEST(paging_protect_read_only_flushes_tlb)
{
    pte_t *pml4 = paging_kernel_pml4();
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, p, "no frame");
    paging_map(pml4, KT_SCRATCH_VA, page_to_phys(p), PTE_RW | PTE_XD);
    *(volatile uint8_t *)KT_SCRATCH_VA = 1; /* the TLB now caches it RW */
    uint64_t flushes = vm_event(NR_TLB_LOCAL_FLUSH_ONE);
    int prot = paging_protect(pml4, KT_SCRATCH_VA, PTE_XD);
    struct probe_fault f;
    int w = probe_write((void *)KT_SCRATCH_VA, 2, &f);
    uint8_t v = 0;
    int r = probe_read((void *)KT_SCRATCH_VA, &v, NULL);
    paging_protect(pml4, KT_SCRATCH_VA, PTE_RW | PTE_XD);
    int w2 = probe_write((void *)KT_SCRATCH_VA, 3, NULL);
    paging_unmap(pml4, KT_SCRATCH_VA, NULL);
    pmm_free(p, 0);
    KT_ASSERT(t, prot == 0, "protect failed");
    KT_ASSERT(t, w == -EFAULT, "write to a page made read-only succeeded");
    KT_ASSERT(t, f.error_code == (PF_P | PF_W) && f.cr2 == KT_SCRATCH_VA, "fault was err %#lx at %#lx", f.error_code,
              f.cr2);
    KT_ASSERT(t, r == 0 && v == 1, "read-only page not readable");
    KT_ASSERT(t, w2 == 0, "write after making it writable again failed");
    KT_ASSERT(t, vm_event(NR_TLB_LOCAL_FLUSH_ONE) > flushes, "no invlpg counted");
}

/* Kernel logical addresses: virt = phys + PAGE_OFFSET both ways, and the
 * MMU agrees; a frame seen through the direct map and through a second
 * mapping is the same memory. */
KTEST(direct_map_round_trip)
{
    uint64_t seed = 7, max = pmm_max_pfn() << PAGE_SHIFT;
    for (int i = 0; i < 64; i++) {
        uint64_t pa = (LOW_MEMORY_END + kt_rand(&seed) % (max - LOW_MEMORY_END)) & ~7ul, got;
        void *va = phys_to_virt(pa);
        KT_ASSERT(t, virt_to_phys(va) == pa, "virt_to_phys(phys_to_virt(%#lx)) != itself", pa);
        KT_ASSERT(t, paging_translate(paging_kernel_pml4(), (uintptr_t)va, &got) && got == pa,
                  "the MMU maps %p to %#lx, not %#lx", va, got, pa);
    }
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, p, "no frame");
    paging_map(paging_kernel_pml4(), KT_SCRATCH_VA, page_to_phys(p), PTE_RW | PTE_XD);
    ((volatile uint64_t *)page_to_virt(p))[5] = 0x1122334455667788;
    uint64_t alias = ((volatile uint64_t *)KT_SCRATCH_VA)[5];
    paging_unmap(paging_kernel_pml4(), KT_SCRATCH_VA, NULL);
    pmm_free(p, 0);
    KT_ASSERT(t, alias == 0x1122334455667788, "second mapping reads %#lx", alias);
}

/* After paging_init the low identity map of the boot tables is gone:
 * PML4 entry 0 is empty and the kernel's physical load address faults. */
KTEST(identity_map_gone)
{
    uint64_t pa;
    uint8_t v;
    struct probe_fault f;
    KT_ASSERT(t, paging_kernel_pml4()[0] == 0, "PML4[0] = %#lx", paging_kernel_pml4()[0]);
    KT_ASSERT(t, !paging_translate(paging_kernel_pml4(), KERNEL_PHYS_BASE, &pa), "%#x still translates",
              KERNEL_PHYS_BASE);
    KT_ASSERT(t, probe_read((void *)(uintptr_t)KERNEL_PHYS_BASE, &v, &f) == -EFAULT, "reading %#x worked",
              KERNEL_PHYS_BASE);
    KT_ASSERT(t, !(f.error_code & PF_P), "fault was not 'not present' (err %#lx)", f.error_code);
    KT_ASSERT(t, (read_cr3() & PTE_ADDR_MASK) == virt_to_phys(paging_kernel_pml4()), "CR3 is not the kernel PML4");
}

/* Large numbers of pages flushed at once become one full flush. */
KTEST(tlb_range_flush_ceiling)
{
    uint64_t one = vm_event(NR_TLB_LOCAL_FLUSH_ONE), all = vm_event(NR_TLB_LOCAL_FLUSH_ALL);
    tlb_flush_range(KT_SCRATCH_VA, KT_SCRATCH_VA + 4 * PAGE_SIZE);
    KT_ASSERT(t, vm_event(NR_TLB_LOCAL_FLUSH_ONE) == one + 4, "4 pages: %lu invlpg",
              vm_event(NR_TLB_LOCAL_FLUSH_ONE) - one);
    tlb_flush_range(KT_SCRATCH_VA, KT_SCRATCH_VA + 100 * PAGE_SIZE);
    KT_ASSERT(t, vm_event(NR_TLB_LOCAL_FLUSH_ALL) == all + 1, "100 pages: no full flush");
    KT_ASSERT(t, vm_event(NR_TLB_LOCAL_FLUSH_ONE) == one + 4, "100 pages: invlpg used");
}

/* Page tables left empty (reclaim clears PTEs without freeing tables) and
 * then unmapped: no leaf changes, but the tables are freed, and a CPU's
 * paging-structure cache may still point at them, so the range is
 * flushed all the same (with several CPUs, shot down). Without it a freed
 * table's frame could be reused while a stale cached entry leads there. */
KTEST(paging_unmap_of_empty_tables_flushes)
{
    struct mm *mm = mm_create();
    KT_ASSERT(t, mm, "no memory");
    int level;
    pte_t *e = paging_walk(mm->pml4, KT_USER_VA, true, &level); /* the tables, an empty leaf */
    mm_switch(mm);
    uint64_t tables0 = pgtables_in_use();
    uint64_t flushes0 = vm_event(NR_TLB_LOCAL_FLUSH_ONE) + vm_event(NR_TLB_LOCAL_FLUSH_ALL);
    uint64_t n = e ? paging_unmap_range(mm->pml4, KT_USER_VA, KT_USER_VA + PAGE_SIZE, NULL, NULL) : 1;
    uint64_t flushes = vm_event(NR_TLB_LOCAL_FLUSH_ONE) + vm_event(NR_TLB_LOCAL_FLUSH_ALL) - flushes0;
    uint64_t freed = tables0 - pgtables_in_use();
    mm_switch_kernel();
    mm_destroy(mm);
    KT_ASSERT(t, e && level == 1, "the walk made no page table");
    KT_ASSERT(t, n == 0, "%lu entries unmapped, expected none", n);
    KT_ASSERT(t, freed == 3, "%lu tables freed, expected the PDPT, PD and PT", freed);
    KT_ASSERT(t, flushes > 0, "three page tables freed without a TLB flush (stale paging-structure caches)");
}
