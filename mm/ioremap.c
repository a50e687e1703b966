/*
 * mm/ioremap.c - device memory in the kernel's address space, with the
 * right memory type (SDM Vol 3A ch. 11 "Memory Cache Control", §11.12 PAT).
 *
 * A load or store to a device's BAR is an ordinary mov; what differs is how
 * the CPU may cache it. Registers must be uncached (UC: every access goes
 * out, in order); a framebuffer is best write-combining (WC: stores are
 * collected and sent in bursts, never read back from a cache). The type of
 * a page comes from three PTE bits, PAT:PCD:PWT, which select one of eight
 * entries of the IA32_PAT MSR. We program the MSR as Linux does:
 *
 *   index (PAT PCD PWT)  0 WB  1 WC  2 UC-  3 UC  4 WB  5 WP  6 UC-  7 WT
 *
 * so WB (RAM) is 0, WC is PWT, UC is PCD|PWT: the first four need no PAT
 * bit (bit 7 of a 4 KiB PTE, bit 12 of a large one).
 */
#include "mm/ioremap.h"

#include "kernel/printk.h"
#include "kernel/x86.h"
#include "mm/paging.h"
#include "mm/vmalloc.h"

#define MSR_IA32_PAT 0x277
#define PAT_UC 0x00
#define PAT_WC 0x01
#define PAT_WT 0x04
#define PAT_WP 0x05
#define PAT_WB 0x06
#define PAT_UC_MINUS 0x07
#define PAT_ENTRY(i, type) ((uint64_t)(type) << ((i)*8))

#define CPUID_EDX_PAT (1u << 16)

void pat_init(void)
{
    if (!(cpuid(1, 0).edx & CPUID_EDX_PAT)) {
        pr_info("x86/PAT: not present: ioremap'ed memory keeps the MTRRs' types\n");
        return;
    }
    pat_setup_cpu();
    pr_info("x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT\n");
}

void pat_setup_cpu(void)
{
    if (!(cpuid(1, 0).edx & CPUID_EDX_PAT))
        return;
    uint64_t pat = PAT_ENTRY(0, PAT_WB) | PAT_ENTRY(1, PAT_WC) | PAT_ENTRY(2, PAT_UC_MINUS) | PAT_ENTRY(3, PAT_UC) |
                   PAT_ENTRY(4, PAT_WB) | PAT_ENTRY(5, PAT_WP) | PAT_ENTRY(6, PAT_UC_MINUS) | PAT_ENTRY(7, PAT_WT);
    /* The SDM's order for changing memory types: write back the caches,
     * change the MSR, then drop every translation (which caches the type). */
    __asm__ volatile("wbinvd" ::: "memory");
    wrmsr(MSR_IA32_PAT, pat);
    write_cr3(read_cr3());
}

void *ioremap_wc(uint64_t phys, size_t size) { return vmap_io(phys, size, PAGE_CACHE_WC, __builtin_return_address(0)); }
void *ioremap_uc(uint64_t phys, size_t size) { return vmap_io(phys, size, PAGE_CACHE_UC, __builtin_return_address(0)); }
void *ioremap_cache(uint64_t phys, size_t size) { return vmap_io(phys, size, PAGE_CACHE_WB, __builtin_return_address(0)); }
void iounmap(void *addr) { vfree(addr); }
