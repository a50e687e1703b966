/*
 * kernel/cpuinfo.h - what each CPU says about itself through CPUID, kept
 * per CPU (struct percpu) and shown in /proc/cpuinfo with Linux's field
 * names (kernel/cpuinfo.c).
 */
#ifndef PAGEWISE_KERNEL_CPUINFO_H
#define PAGEWISE_KERNEL_CPUINFO_H

#include <stddef.h>
#include <stdint.h>

#define CPUINFO_VENDOR_LEN 13
#define CPUINFO_MODEL_NAME_LEN 49

struct cpuinfo {
    char vendor[CPUINFO_VENDOR_LEN];
    char model_name[CPUINFO_MODEL_NAME_LEN];
    unsigned family, model, stepping;
    uint32_t cpuid_level;     /* the highest basic leaf */
    uint32_t initial_apic_id; /* CPUID 1 EBX[31:24] */
    uint32_t clflush_size;
    uint32_t leaf1_ecx, leaf1_edx;               /* CPUID 1 */
    uint32_t leaf7_ebx, leaf7_ecx;               /* CPUID 7.0 */
    uint32_t ext_ecx, ext_edx;                   /* CPUID 0x80000001 */
    uint32_t phys_bits, virt_bits;               /* CPUID 0x80000008 */
};

/* Fill *ci from CPUID on the calling CPU. Each CPU calls it on itself. */
void cpuinfo_collect(struct cpuinfo *ci);
/* /proc/cpuinfo: one block per online CPU. Returns the length snprintf
 * would give (the procfs generate convention). */
long cpuinfo_show(char *buf, size_t size);

#endif
