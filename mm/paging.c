/*
 * mm/paging.c - building and changing 4-level page tables.
 *
 * Page tables are ordinary frames (PG_pgtable), reached by the kernel
 * through the direct map. The kernel half (PML4 entries 256..511) is the
 * same in every address space: paging_init preallocates the PDPTs of
 * the slots the kernel uses, and those PDPTs are never freed, so a new
 * PML4 only has to copy the upper 256 entries.
 */
#include "mm/paging.h"

#include "kernel/compiler.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/tlb.h"
#include "mm/vmstat.h"

#define PT_INDEX_BITS 9
#define PT_INDEX_MASK (PT_ENTRIES - 1)
#define CR3_ADDR_MASK PTE_ADDR_MASK

static pte_t *kernel_pml4;

extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[];

static unsigned pt_index(uintptr_t va, int level)
{
    return (va >> (PAGE_SHIFT + PT_INDEX_BITS * (level - 1))) & PT_INDEX_MASK;
}

static uint64_t level_page_size(int level) { return 1ul << (PAGE_SHIFT + PT_INDEX_BITS * (level - 1)); }

static pte_t *table_of(pte_t entry) { return phys_to_virt(entry & PTE_ADDR_MASK); }

/* A new, zeroed page table for the address space whose PML4 is `pml4`
 * (NULL: the new table is a PML4). Every table below a PML4 is on a list
 * whose head is in the PML4 frame's descriptor (page->lru: a table frame
 * is never on reclaim's list), so paging_destroy_pml4 frees an address
 * space's tables without scanning 512 entries per table to find them,
 * and counted there (nr_tables: Linux's mm_pgtables_bytes, which the OOM
 * killer adds to a process's badness). */
static pte_t *pgtable_alloc(pte_t *pml4)
{
    struct page *p = pmm_alloc_zeroed();
    if (!p)
        return NULL;
    p->flags |= PG_pgtable;
    if (pml4) {
        list_add(&p->lru, &virt_to_page(pml4)->lru);
        virt_to_page(pml4)->nr_tables++;
    } else
        list_init(&p->lru); /* a PML4: the head of its tables' list */
    count_vm_event(NR_PGTABLE_ALLOC);
    return page_to_virt(p);
}

/* Free a table that is below pml4 (off its list), or (pml4 NULL) a PML4
 * whose list is empty. */
static void pgtable_free(pte_t *table, pte_t *pml4)
{
    struct page *p = virt_to_page(table);
    if (pml4)
        virt_to_page(pml4)->nr_tables--;
    p->nr_tables = 0;
    list_del(&p->lru);
    p->flags &= ~PG_pgtable;
    count_vm_event(NR_PGTABLE_FREE);
    pmm_free(p, 0);
}

/* Intermediate entries grant everything; the leaf decides (the CPU ANDs
 * RW and U/S and ORs XD over the levels, SDM Vol 3A §4.6). */
static pte_t table_entry_flags(uintptr_t va) { return PTE_P | PTE_RW | (va < KERNEL_HALF_START ? PTE_US : 0); }

/* Walk from the PML4 down to `stop` (1 = PT). Returns the entry at the
 * level where the walk ended and sets *level to it. */
static pte_t *walk_to(pte_t *pml4, uintptr_t va, bool create, int stop, int *level)
{
    /* LAB walk/walk_to: the walk lab removes the code from here to END LAB (docs/labs/walk.md). */
    pte_t *table = pml4;
    for (int l = PT_LEVELS; l > stop; l--) {
        pte_t *e = &table[pt_index(va, l)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            pte_t *next = pgtable_alloc(pml4);
            if (!next)
                return NULL;
            *e = virt_to_phys(next) | table_entry_flags(va);
        } else if (*e & PTE_PS) {
            *level = l; /* a large page is in the way */
            return e;
        }
        table = table_of(*e);
    }
    *level = stop;
    return &table[pt_index(va, stop)];
    /* END LAB walk/walk_to */
}

/* One step down: the table entry e points to, made if missing and create.
 * NULL if missing (or out of memory); *large if e maps a large page. */
static inline pte_t *step_down(pte_t *pml4, pte_t *e, uintptr_t va, bool create, bool *large)
{
    if (!(*e & PTE_P)) {
        pte_t *next = create ? pgtable_alloc(pml4) : NULL;
        if (!next)
            return NULL;
        *e = virt_to_phys(next) | table_entry_flags(va);
    } else if (*e & PTE_PS) {
        *large = true;
        return NULL;
    }
    return table_of(*e);
}

#define LEVEL_SHIFT(l) (PAGE_SHIFT + PT_INDEX_BITS * ((l)-1)) /* constant for a literal level */
#define ENTRY(table, va, l) (&(table)[((va) >> LEVEL_SHIFT(l)) & PT_INDEX_MASK])

/* The walk every fault makes, unrolled with constant shifts (it was a
 * loop computing each level's shift: 108 instructions a fault, now about
 * half). Same result as walk_to(pml4, va, create, 1, level). */
pte_t *paging_walk(pte_t *pml4, uintptr_t va, bool create, int *level)
{
    /* LAB walk/paging_walk: the walk lab removes the code from here to END LAB (docs/labs/walk.md). */
    bool large = false;
    int l = 4;
    pte_t *e = ENTRY(pml4, va, 4);
    pte_t *t = step_down(pml4, e, va, create, &large);
    if (t) {
        l = 3;
        e = ENTRY(t, va, 3);
        t = step_down(pml4, e, va, create, &large);
        if (t) {
            l = 2;
            e = ENTRY(t, va, 2);
            t = step_down(pml4, e, va, create, &large);
            if (t) {
                if (level)
                    *level = 1;
                return ENTRY(t, va, 1);
            }
        }
    }
    if (!large)
        return NULL;
    if (level)
        *level = l; /* a large page is in the way */
    return e;
    /* END LAB walk/paging_walk */
}

/* Does this change need a TLB flush here? Kernel-half entries are live
 * in every address space; user entries only in the one loaded in CR3.
 * (The other CPUs: mm/tlb.c's shootdown, asked by the callers.) */
static void flush_if_live(pte_t *pml4, uintptr_t va)
{
    /* LAB tlb/flush_if_live: the tlb lab removes the code from here to END LAB (docs/labs/tlb.md). */
    if (va >= KERNEL_HALF_START || virt_to_phys(pml4) == (read_cr3() & CR3_ADDR_MASK))
        tlb_flush_page(va);
    /* END LAB tlb/flush_if_live */
}

int paging_map(pte_t *pml4, uintptr_t va, uint64_t pa, uint64_t flags)
{
    int level;
    pte_t *e = paging_walk(pml4, va, true, &level);
    if (!e)
        return -ENOMEM;
    if (level != 1 || (*e & PTE_P))
        return -EEXIST;
    *e = (pa & PTE_ADDR_MASK) | (flags & PTE_FLAGS_MASK) | PTE_P;
    return 0;
}

static bool table_is_empty(const pte_t *table)
{
    for (int i = 0; i < PT_ENTRIES; i++)
        if (table[i])
            return false;
    return true;
}

/* Free the tables on va's path that are empty, bottom up (path[l] is the
 * table at level l). The kernel half's PDPTs stay: every PML4 shares them.
 * Returns how many were freed: the caller must flush, because a CPU's
 * paging-structure caches may still hold an entry pointing at a freed
 * table (SDM Vol 3A §4.10.3), even when no leaf entry changed. */
static unsigned free_empty_tables(pte_t *path[PT_LEVELS + 1], uintptr_t va)
{
    unsigned freed = 0;
    for (int l = 1; l < PT_LEVELS; l++) {
        if (l == PT_LEVELS - 1 && va >= KERNEL_HALF_START)
            break;
        if (!table_is_empty(path[l]))
            break;
        path[l + 1][pt_index(va, l + 1)] = 0;
        pgtable_free(path[l], path[PT_LEVELS]);
        freed++;
    }
    return freed;
}

/* Fill path[1..4] with the tables on va's walk. Returns 0, or the level
 * whose entry is missing (or a large page) so callers can skip the whole
 * range that entry covers. */
static int walk_path(pte_t *pml4, uintptr_t va, pte_t *path[PT_LEVELS + 1])
{
    path[PT_LEVELS] = pml4;
    for (int l = PT_LEVELS; l > 1; l--) {
        pte_t e = path[l][pt_index(va, l)];
        if (!(e & PTE_P) || (e & PTE_PS))
            return l;
        path[l - 1] = table_of(e);
    }
    return 0;
}

int paging_unmap_noflush(pte_t *pml4, uintptr_t va, uint64_t *pa)
{
    pte_t *path[PT_LEVELS + 1]; /* path[l]: the table at level l */
    if (walk_path(pml4, va, path))
        return -EINVAL;
    pte_t *leaf = &path[1][pt_index(va, 1)];
    if (!(*leaf & PTE_P))
        return -EINVAL;
    if (pa)
        *pa = *leaf & PTE_ADDR_MASK;
    *leaf = 0;
    free_empty_tables(path, va);
    return 0;
}

int paging_unmap(pte_t *pml4, uintptr_t va, uint64_t *pa)
{
    int r = paging_unmap_noflush(pml4, va, pa);
    /* One invlpg drops the translation and the paging-structure cache
     * entries for va (SDM Vol 3A §4.10.4.1), freed tables included. */
    if (r == 0)
        flush_if_live(pml4, va);
    if (r == 0)
        tlb_shootdown_page(pml4, va);
    return r;
}

int paging_protect(pte_t *pml4, uintptr_t va, uint64_t flags)
{
    int r = paging_protect_local(pml4, va, flags);
    if (r > 0)
        tlb_shootdown_page(pml4, va);
    return r < 0 ? r : 0;
}

int paging_protect_local(pte_t *pml4, uintptr_t va, uint64_t flags)
{
    int level;
    pte_t *e = paging_walk(pml4, va, false, &level);
    if (!e || level != 1 || !(*e & (PTE_P | PTE_PROTNONE)))
        return -EINVAL;
    flags &= PTE_FLAGS_MASK & ~(PTE_A | PTE_D | PTE_P);
    /* Atomic: a thread on another CPU may set D in this entry meanwhile. */
    pte_t old = pte_modify(e, PTE_ADDR_MASK | PTE_A | PTE_D, flags | ((flags & PTE_PROTNONE) ? 0 : PTE_P));
    bool was_present = old & PTE_P;
    if (was_present)
        flush_if_live(pml4, va);
    return was_present;
}

/* The work of paging_unmap_range and paging_zap_range: free_tables says
 * whether page tables left empty go now. */
static uint64_t unmap_range(pte_t *pml4, uintptr_t start, uintptr_t end,
                            void (*put)(pte_t old, uintptr_t va, void *arg), void *arg, bool free_tables)
{
    uint64_t n = 0;
    unsigned tables = 0; /* page tables freed */
    /* Frames of user memory only: a range reaching into the kernel half
     * would be a kernel bug (a system call forgot to check its arguments). */
    BUG_ON(put && end > KERNEL_HALF_START);
    for (uintptr_t va = start; va < end;) {
        pte_t *path[PT_LEVELS + 1];
        int missing = walk_path(pml4, va, path);
        if (missing) { /* no table below this entry: skip all it covers */
            uintptr_t next = ALIGN_DOWN(va, level_page_size(missing)) + level_page_size(missing);
            if (next <= va)
                break; /* wrapped past the top of the address space */
            va = next;
            continue;
        }
        uintptr_t table_end = ALIGN_DOWN(va, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE; /* one PT's reach */
        uintptr_t stop = MIN(end, table_end);
        for (; va < stop; va += PAGE_SIZE) {
            pte_t *leaf = &path[1][pt_index(va, 1)];
            if (*leaf) { /* a frame, a PROT_NONE frame or a swap entry */
                pte_t old = pte_xchg(leaf, 0); /* with the D bit another CPU may be setting */
                if (put)
                    put(old, va, arg);
                n++;
            }
        }
        if (free_tables)
            tables += free_empty_tables(path, va - PAGE_SIZE);
    }
    /* A freed table needs the flush too, even if no leaf was cleared here
     * (reclaim emptied it): its frame may be reused while a CPU's
     * paging-structure cache still points at it. An invlpg drops every
     * such cached entry, whatever its address (SDM Vol 3A §4.10.4.1). */
    bool flush = n || tables;
    if (flush && (start >= KERNEL_HALF_START || virt_to_phys(pml4) == (read_cr3() & CR3_ADDR_MASK)))
        tlb_flush_range(start, end);
    if (tables) /* lazy CPUs too: their paging-structure caches */
        tlb_shootdown_range_tables(pml4, start, end);
    else if (flush) /* before the caller may reuse what put freed: another CPU could still write to it */
        tlb_shootdown_range(pml4, start, end);
    return n;
}

uint64_t paging_unmap_range(pte_t *pml4, uintptr_t start, uintptr_t end,
                            void (*put)(pte_t old, uintptr_t va, void *arg), void *arg)
{
    return unmap_range(pml4, start, end, put, arg, true);
}

uint64_t paging_zap_range(pte_t *pml4, uintptr_t start, uintptr_t end,
                          void (*put)(pte_t old, uintptr_t va, void *arg), void *arg)
{
    return unmap_range(pml4, start, end, put, arg, false);
}

pte_t *paging_next_pte(pte_t *pml4, uintptr_t *va, uintptr_t end)
{
    while (*va < end) {
        pte_t *path[PT_LEVELS + 1];
        int missing = walk_path(pml4, *va, path);
        if (!missing)
            return &path[1][pt_index(*va, 1)];
        uintptr_t next = ALIGN_DOWN(*va, level_page_size(missing)) + level_page_size(missing);
        if (next <= *va)
            break; /* wrapped past the top of the address space */
        *va = next;
    }
    return NULL;
}

pte_t *paging_create_pml4(void)
{
    pte_t *pml4 = pgtable_alloc(NULL);
    if (pml4)
        memcpy(&pml4[PML4_KERNEL_FIRST], &kernel_pml4[PML4_KERNEL_FIRST],
               (PT_ENTRIES - PML4_KERNEL_FIRST) * sizeof(pte_t));
    return pml4;
}

void paging_destroy_pml4(pte_t *pml4)
{
    BUG_ON(virt_to_phys(pml4) == (read_cr3() & CR3_ADDR_MASK));
    struct list_head *tables = &virt_to_page(pml4)->lru;
    while (!list_empty(tables))
        pgtable_free(page_to_virt(list_first_entry(tables, struct page, lru)), pml4);
    pgtable_free(pml4, NULL);
}

/* The tables below `table` (level > 1) that the tree reaches. */
static uint64_t count_tables_below(const pte_t *table, int level, uintptr_t end_index)
{
    uint64_t n = 0;
    for (uintptr_t i = 0; level > 1 && i < end_index; i++)
        if ((table[i] & PTE_P) && !(table[i] & PTE_PS))
            n += 1 + count_tables_below(table_of(table[i]), level - 1, PT_ENTRIES);
    return n;
}

uint64_t paging_nr_tables(pte_t *pml4) { return virt_to_page(pml4)->nr_tables; }

bool paging_audit_tables(pte_t *pml4, uint64_t *reachable, uint64_t *listed)
{
    *reachable = count_tables_below(pml4, PT_LEVELS, PML4_KERNEL_FIRST);
    *listed = 0;
    bool all_tables = true;
    struct list_head *pos, *tables = &virt_to_page(pml4)->lru;
    list_for_each(pos, tables) {
        if (++*listed > *reachable)
            break; /* a cycle, or a stranger on the list */
        all_tables &= (list_entry(pos, struct page, lru)->flags & PG_pgtable) != 0;
    }
    return all_tables && *listed == *reachable && virt_to_page(pml4)->nr_tables == *listed;
}

bool paging_translate(pte_t *pml4, uintptr_t va, uint64_t *pa)
{
    int level;
    pte_t *e = paging_walk(pml4, va, false, &level);
    if (!e || !(*e & PTE_P))
        return false;
    uint64_t size = level_page_size(level);
    *pa = (*e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
    return true;
}

bool paging_kernel_addr_mapped(uintptr_t va)
{
    uint64_t pa;
    return paging_translate(phys_to_virt(read_cr3() & CR3_ADDR_MASK), va, &pa);
}

pte_t *paging_kernel_pml4(void) { return kernel_pml4; }

/* ---- building the kernel's tables ---- */

static void map_leaf(uintptr_t va, uint64_t pa, uint64_t flags, int level)
{
    int got;
    pte_t *e = walk_to(kernel_pml4, va, true, level, &got);
    if (!e || got != level || (*e & PTE_P))
        panic("paging_init: cannot map %#lx at level %d", va, level);
    *e = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
}

/* The direct map: each RAM range with the largest pages that fit. */
static void map_direct(uint64_t start, uint64_t end, uint64_t counts[PT_LEVELS])
{
    const uint64_t flags = PTE_RW | PTE_XD | PTE_G;
    for (uint64_t pa = start; pa < end;) {
        int level = 1;
        if (boot_cpu.gbpages && IS_ALIGNED(pa, HUGE_PAGE_SIZE) && pa + HUGE_PAGE_SIZE <= end)
            level = 3;
        else if (IS_ALIGNED(pa, LARGE_PAGE_SIZE) && pa + LARGE_PAGE_SIZE <= end)
            level = 2;
        map_leaf(PAGE_OFFSET + pa, pa, flags, level);
        counts[level - 1]++;
        pa += level_page_size(level);
    }
}

static void map_kernel_section(const char *name, const char *start, const char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE)
        map_leaf(va, va - KERNEL_VIRT_BASE, flags | PTE_G, 1);
    pr_info("paging:   %-13s [%#lx-%#lx] %c%c%c\n", name, (uintptr_t)start, (uintptr_t)end - 1, 'r',
            flags & PTE_RW ? 'w' : '-', flags & PTE_XD ? '-' : 'x');
}

void paging_init(void)
{
    kernel_pml4 = pgtable_alloc(NULL);
    BUG_ON(!kernel_pml4);
    /* The kernel-half slots in use get their PDPT now (see top comment). */
    const uintptr_t kernel_slots[] = {PAGE_OFFSET, VMALLOC_START, KERNEL_VIRT_BASE};
    for (unsigned i = 0; i < ARRAY_SIZE(kernel_slots); i++) {
        pte_t *pdpt = pgtable_alloc(kernel_pml4);
        BUG_ON(!pdpt);
        kernel_pml4[pt_index(kernel_slots[i], PT_LEVELS)] = virt_to_phys(pdpt) | PTE_P | PTE_RW;
    }

    uint64_t bases[BOOT_MAX_REGIONS], ends[BOOT_MAX_REGIONS], counts[PT_LEVELS] = {0};
    unsigned n = pmm_ram_regions(bases, ends, BOOT_MAX_REGIONS);
    for (unsigned i = 0; i < n; i++)
        map_direct(bases[i], ends[i], counts);
    pr_info("paging: direct map at %#lx: %lu x 1G, %lu x 2M, %lu x 4K pages, rw- global\n", (uint64_t)PAGE_OFFSET,
            counts[2], counts[1], counts[0]);

    pr_info("paging: kernel image at %#lx, mapped by section:\n", (uint64_t)KERNEL_VIRT_BASE);
    map_kernel_section(".text", __text_start, __text_end, 0);
    map_kernel_section(".rodata", __rodata_start, __rodata_end, PTE_XD);
    map_kernel_section(".data/.bss", __data_start, __data_end, PTE_RW | PTE_XD);

    /* From here on the boot tables, and their identity map, are gone. */
    write_cr3(virt_to_phys(kernel_pml4));
    pr_info("paging: CR3 = %#lx (kernel PML4); the boot identity map is gone\n", virt_to_phys(kernel_pml4));
    pmm_init_high();
}
