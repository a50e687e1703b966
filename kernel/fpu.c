/*
 * kernel/fpu.c - saving and restoring the x87/SSE/AVX state of a process
 * (Linux: arch/x86/kernel/fpu/). With XSAVE the CPU reports, in CPUID leaf
 * 0xD, which state components it has and how large the save area must be
 * for the ones we enable in XCR0; XSAVE then writes exactly those, and
 * XRSTOR loads them (a component whose XSTATE_BV bit is clear goes back to
 * its initial state). Without XSAVE, fxsave/fxrstor move the legacy 512
 * bytes only.
 */
#include "kernel/fpu.h"

#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define CPUID_FEATURES 1
#define CPUID_ECX_XSAVE (1u << 26)
#define CPUID_XSTATE 0xd
#define CR4_OSXSAVE (1ul << 18)
#define XCR_XFEATURE_ENABLED 0
#define USER_XFEATURES (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512)
#define FXSAVE_MXCSR 24
#define FXSAVE_MXCSR_MASK 28
#define DEFAULT_MXCSR_MASK 0xffbf

struct fpu_config fpu_cfg = {.xsave = false, .xfeatures = XFEATURE_X87 | XFEATURE_SSE, .size = FPU_LEGACY_SIZE};

static void xsetbv(uint32_t reg, uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void fpu_init(void)
{
    if (!(cpuid(CPUID_FEATURES, 0).ecx & CPUID_ECX_XSAVE)) {
        pr_info("x86/fpu: no XSAVE: x87 and SSE state only, fxsave format (%u bytes)\n", fpu_cfg.size);
        return;
    }
    struct cpuid_regs r = cpuid(CPUID_XSTATE, 0);
    uint64_t offered = ((uint64_t)r.edx << 32 | r.eax) & USER_XFEATURES;
    if ((offered & XFEATURE_AVX512) != XFEATURE_AVX512)
        offered &= ~XFEATURE_AVX512; /* all three AVX-512 parts, or none */
    write_cr4(read_cr4() | CR4_OSXSAVE);
    xsetbv(XCR_XFEATURE_ENABLED, offered);
    uint32_t size = cpuid(CPUID_XSTATE, 0).ebx; /* for what XCR0 now enables */
    if (size > FPU_AREA_MAX) { /* more than our per-task area: fall back to x87|SSE|AVX */
        offered &= ~XFEATURE_AVX512;
        xsetbv(XCR_XFEATURE_ENABLED, offered);
        size = cpuid(CPUID_XSTATE, 0).ebx;
    }
    fpu_cfg.xsave = true;
    fpu_cfg.xfeatures = offered;
    fpu_cfg.size = size;
    pr_info("x86/fpu: Enabled xstate features %#lx, context size is %u bytes, using 'standard' format.\n",
            fpu_cfg.xfeatures, fpu_cfg.size);
}

void fpu_setup_cpu(void)
{
    if (!fpu_cfg.xsave)
        return;
    write_cr4(read_cr4() | CR4_OSXSAVE);
    xsetbv(XCR_XFEATURE_ENABLED, fpu_cfg.xfeatures);
}

const char *fpu_check_image(const uint8_t *area)
{
    uint32_t mxcsr, mask;
    memcpy(&mxcsr, area + FXSAVE_MXCSR, 4);
    memcpy(&mask, area + FXSAVE_MXCSR_MASK, 4);
    if (mxcsr & ~(mask ? mask : DEFAULT_MXCSR_MASK))
        return "bad MXCSR in the signal frame"; /* XRSTOR/FXRSTOR would #GP */
    if (!fpu_cfg.xsave)
        return NULL;
    uint64_t hdr[FPU_XSAVE_HEADER_SIZE / 8];
    memcpy(hdr, area + FPU_XSAVE_HEADER, sizeof(hdr));
    if (hdr[0] & ~fpu_cfg.xfeatures)
        return "bad XSAVE header in the signal frame (a feature the kernel did not enable)";
    for (unsigned i = 1; i < FPU_XSAVE_HEADER_SIZE / 8; i++) /* XCOMP_BV and the reserved words: 0 */
        if (hdr[i])
            return "bad XSAVE header in the signal frame (compacted, or reserved bits set)";
    return NULL;
}
