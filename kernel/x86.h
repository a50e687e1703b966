/*
 * kernel/x86.h - the CPU's registers and instructions, behind small
 * inline functions named as the Intel SDM names them. This is the only
 * place in C that uses inline assembly for architectural state.
 */
#ifndef PAGEWISE_KERNEL_X86_H
#define PAGEWISE_KERNEL_X86_H

#include <stdbool.h>
#include <stdint.h>

/* Control registers, SDM Vol 3A §2.5. */
#define CR0_PE (1ul << 0)
#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_WP (1ul << 16) /* supervisor writes honour read-only PTEs */
#define CR0_PG (1ul << 31)
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7) /* global pages survive CR3 writes */
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_LA57 (1ul << 12)
#define CR4_PCIDE (1ul << 17)
#define CR4_SMEP (1ul << 20) /* supervisor may not execute user pages */
#define CR4_SMAP (1ul << 21) /* supervisor may not touch user pages ... */
                             /* ... unless RFLAGS.AC is set (stac) */

/* RFLAGS, SDM Vol 1 §3.4.3. */
#define RFLAGS_CF (1ul << 0)
#define RFLAGS_RESERVED1 (1ul << 1) /* always 1 */
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_NT (1ul << 14)
#define RFLAGS_AC (1ul << 18)

/* Model-specific registers, SDM Vol 4. */
#define MSR_EFER 0xc0000080
#define EFER_SCE (1ul << 0) /* syscall/sysret */
#define EFER_LME (1ul << 8)
#define EFER_NXE (1ul << 11)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* A write to an unused port: a ~1 us delay for old devices (the PIC). */
static inline void io_wait(void) { outb(0x80, 0); }

#define DEFINE_CR_ACCESSORS(n)                                                                                         \
    static inline uint64_t read_cr##n(void)                                                                            \
    {                                                                                                                  \
        uint64_t v;                                                                                                    \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                                              \
        return v;                                                                                                      \
    }                                                                                                                  \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/* Drop the TLB entry (global or not) for the page holding va. SDM Vol 3A §4.10.4.1 */
static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* sti takes effect after the next instruction: no wakeup is lost between them. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
/* SMAP: allow / forbid supervisor access to user pages (RFLAGS.AC). */
static inline void stac(void) { __asm__ volatile("stac" ::: "memory", "cc"); }
static inline void clac(void) { __asm__ volatile("clac" ::: "memory", "cc"); }

static inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

/* Disable interrupts and return whether they were on: pair with irq_restore. */
static inline bool irq_save(void)
{
    bool was_on = (read_rflags() & RFLAGS_IF) != 0;
    cli();
    return was_on;
}
static inline void irq_restore(bool was_on)
{
    if (was_on)
        sti();
}

struct __attribute__((packed)) descriptor_table_ptr {
    uint16_t limit;
    uint64_t base;
};
static inline void lgdt(const struct descriptor_table_ptr *p) { __asm__ volatile("lgdt %0" ::"m"(*p)); }
static inline void lidt(const struct descriptor_table_ptr *p) { __asm__ volatile("lidt %0" ::"m"(*p)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" ::"r"(sel)); }

static inline uint64_t read_rbp(void)
{
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

#endif
