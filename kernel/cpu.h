/*
 * kernel/cpu.h - what the CPU can do (CPUID) and which protections the
 * kernel turned on (CR0.WP, CR4.SMEP/SMAP/PGE, EFER.NXE).
 */
#ifndef PAGEWISE_KERNEL_CPU_H
#define PAGEWISE_KERNEL_CPU_H

#include <stdbool.h>

struct cpu_features {
    bool nx;      /* execute-disable bit (CPUID 0x80000001 EDX.20) */
    bool gbpages; /* 1 GiB pages (CPUID 0x80000001 EDX.26) */
    bool pge;     /* global pages (CPUID 1 EDX.13) */
    bool pcid;    /* process-context identifiers (CPUID 1 ECX.17) */
    bool smep;    /* supervisor-mode execution prevention (CPUID 7 EBX.7) */
    bool smap;    /* supervisor-mode access prevention (CPUID 7 EBX.20) */
    bool la57;    /* 5-level paging (CPUID 7 ECX.16) */
    char vendor[13];
};

extern struct cpu_features boot_cpu;

/* Read CPUID and switch on WP, PGE, SMEP and SMAP where present. Called
 * from kmain before paging_init (which uses global and 1 GiB pages). */
void cpu_init(void);
/* The boot CPU's choices on an AP: CR0 and CR4 bits, XSAVE and XCR0, the
 * PAT (EFER.NXE the trampoline set). Called by each AP on itself. */
void cpu_setup_ap(void);

#endif
