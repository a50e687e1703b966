/*
 * kernel/gdt.c - the GDT and the 64-bit TSS, one of each per CPU.
 *
 * Code/data descriptor (SDM Vol 3A §3.4.5), the bits that matter in
 * long mode:   bit 53 L (64-bit code) | bit 47 P | bits 46:45 DPL |
 *              bit 44 S (code/data) | bits 43:40 type
 * TSS descriptor: 16 bytes, type 9 (available 64-bit TSS), §8.2.3.
 */
#include "kernel/gdt.h"

#include "kernel/compiler.h"
#include "kernel/percpu.h"
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

/* The boot CPU's IST stacks: static, as gdt_init runs before any
 * allocator. The APs' come from vmalloc, with guard pages (kernel/smp.c). */
static uint8_t boot_ist_stack[NR_IST_STACKS][IST_STACK_SIZE] __attribute__((aligned(16)));

static void gdt_fill(uint64_t *g, const struct tss64 *tss)
{
    g[GDT_NULL] = 0;
    g[GDT_KCODE] = SEG_P | SEG_S | SEG_CODE | SEG_L | SEG_G | SEG_LIMIT_MAX;
    g[GDT_KDATA] = SEG_P | SEG_S | SEG_DATA | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UCODE32] = SEG_P | SEG_S | SEG_DPL3 | SEG_CODE | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UDATA] = SEG_P | SEG_S | SEG_DPL3 | SEG_DATA | SEG_DB | SEG_G | SEG_LIMIT_MAX;
    g[GDT_UCODE] = SEG_P | SEG_S | SEG_DPL3 | SEG_CODE | SEG_L | SEG_G | SEG_LIMIT_MAX;
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
    g[GDT_TSS_LO] = (limit & 0xffff) | (base & 0xffffff) << 16 | TSS_TYPE_AVAILABLE << 40 | SEG_P |
                    ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    g[GDT_TSS_HI] = base >> 32;
}

/* lgdt, then reload CS with a far return and the data segments. */
static void gdt_load(const uint64_t *gdt)
{
    struct descriptor_table_ptr p = {sizeof(uint64_t) * GDT_ENTRIES - 1, (uint64_t)gdt};
    lgdt(&p);
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
}

void gdt_init_cpu(struct percpu *p, const uint64_t ist_top[NR_IST_STACKS], const uint64_t ist_size)
{
    struct cpu_tables *t = &p->tables;
    memset(&t->tss, 0, sizeof(t->tss));
    for (int i = 0; i < NR_IST_STACKS; i++) {
        t->tss.ist[i] = ist_top[i];
        p->ist_bottom[i] = ist_top[i] - ist_size;
    }
    t->tss.iomap_base = sizeof(t->tss); /* no I/O bitmap: user gets no ports */
    gdt_fill(t->gdt, &t->tss);
    gdt_load(t->gdt);
    ltr(TSS_SEL);
    /* After the GS selector load, which may clear the base. */
    p->self = p;
    p->bkl_tag = p->cpu + 1; /* kernel/bkl.h: the lock's owner word */
    wrmsr(MSR_GS_BASE, (uint64_t)p);
    wrmsr(MSR_KERNEL_GS_BASE, 0); /* user mode's GS base, swapped in by swapgs */
}

void gdt_init(void)
{
    uint64_t top[NR_IST_STACKS];
    for (int i = 0; i < NR_IST_STACKS; i++)
        top[i] = (uint64_t)&boot_ist_stack[i][IST_STACK_SIZE];
    gdt_init_cpu(&percpu_area[0], top, IST_STACK_SIZE);
}

void tss_set_kernel_stack(uint64_t rsp0) { this_cpu()->tables.tss.rsp[0] = rsp0; }

void ist_stack_bounds(int ist, uint64_t *lo, uint64_t *hi)
{
    struct percpu *p = this_cpu();
    *lo = p->ist_bottom[ist - 1];
    *hi = p->tables.tss.ist[ist - 1];
}
