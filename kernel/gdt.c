/*
 * kernel/gdt.c - the GDT and the 64-bit TSS.
 *
 * Code/data descriptor (SDM Vol 3A §3.4.5), the bits that matter in
 * long mode:   bit 53 L (64-bit code) | bit 47 P | bits 46:45 DPL |
 *              bit 44 S (code/data) | bits 43:40 type
 * TSS descriptor: 16 bytes, type 9 (available 64-bit TSS), §8.2.3.
 */
#include "kernel/gdt.h"

#include "kernel/compiler.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"

#define SEG_P (1ul << 47)
#define SEG_DPL3 (3ul << 45)
#define SEG_S (1ul << 44)
#define SEG_CODE (0xaul << 40) /* execute/read */
#define SEG_DATA (0x2ul << 40) /* read/write */
#define SEG_L (1ul << 53)
#define SEG_DB (1ul << 54)
#define SEG_G (1ul << 55)
#define SEG_LIMIT_MAX 0x000f00000000fffful
#define TSS_TYPE_AVAILABLE 0x9ul
#define NR_IST_STACKS 3

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

enum { GDT_NULL, GDT_KCODE, GDT_KDATA, GDT_UCODE32, GDT_UDATA, GDT_UCODE, GDT_TSS_LO, GDT_TSS_HI, GDT_ENTRIES };

static struct {
    uint64_t gdt[GDT_ENTRIES];
    struct tss64 tss;
    uint8_t ist_stack[NR_IST_STACKS][IST_STACK_SIZE] __attribute__((aligned(16)));
} cpu0;

void gdt_init(void)
{
    uint64_t *g = cpu0.gdt;
    g[GDT_NULL] = 0;
    g[GDT_KCODE] = SEG_P | SEG_S | SEG_CODE | SEG_L | SEG_G | SEG_LIMIT_MAX;
    g[GDT_KDATA] = SEG_P | SEG_S | SEG_DATA | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UCODE32] = SEG_P | SEG_S | SEG_DPL3 | SEG_CODE | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UDATA] = SEG_P | SEG_S | SEG_DPL3 | SEG_DATA | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UCODE] = SEG_P | SEG_S | SEG_DPL3 | SEG_CODE | SEG_L | SEG_G | SEG_LIMIT_MAX;

    memset(&cpu0.tss, 0, sizeof(cpu0.tss));
    for (int i = 0; i < NR_IST_STACKS; i++)
        cpu0.tss.ist[i] = (uint64_t)&cpu0.ist_stack[i][IST_STACK_SIZE];
    cpu0.tss.iomap_base = sizeof(cpu0.tss); /* no I/O bitmap: user gets no ports */
    uint64_t base = (uint64_t)&cpu0.tss, limit = sizeof(cpu0.tss) - 1;
    g[GDT_TSS_LO] = (limit & 0xffff) | (base & 0xffffff) << 16 | TSS_TYPE_AVAILABLE << 40 | SEG_P |
                    ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    g[GDT_TSS_HI] = base >> 32;

    struct descriptor_table_ptr p = {sizeof(cpu0.gdt) - 1, (uint64_t)cpu0.gdt};
    lgdt(&p);
    /* Reload CS with a far return, then the data segments. */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w1, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t" ::"i"(KERNEL_CS),
                     "i"(KERNEL_DS)
                     : "rax", "memory");
    ltr(TSS_SEL);
}

void tss_set_kernel_stack(uint64_t rsp0) { cpu0.tss.rsp[0] = rsp0; }

void ist_stack_bounds(int ist, uint64_t *lo, uint64_t *hi)
{
    *lo = (uint64_t)cpu0.ist_stack[ist - 1];
    *hi = *lo + IST_STACK_SIZE;
}
