/*
 * kernel/fpu.h - a process's CPU state beyond the general registers: x87,
 * SSE and, with XSAVE, AVX (and AVX-512 where the CPU has it). The kernel
 * itself uses none of it (-mgeneral-regs-only), so it saves the state only
 * when it switches processes, forks, or builds a signal frame.
 *
 * The save area (SDM Vol 1 §13.4, "standard" format, 64-byte aligned):
 *
 *   0     512 legacy area (fxsave layout: x87, MXCSR, xmm0-15)
 *   512    64 XSAVE header: XSTATE_BV (which components hold non-initial
 *             state), XCOMP_BV (0: standard format), reserved zeros
 *   576   256 AVX: the upper halves of ymm0-15
 *   ...       AVX-512 opmask, ZMM_Hi256, Hi16_ZMM when enabled
 */
#ifndef PAGEWISE_KERNEL_FPU_H
#define PAGEWISE_KERNEL_FPU_H

#include <stdbool.h>
#include <stdint.h>

#define FPU_LEGACY_SIZE 512
#define FPU_XSAVE_HEADER 512     /* offset of the XSAVE header */
#define FPU_XSAVE_HEADER_SIZE 64
#define FPU_AREA_MAX 2688        /* x87 .. Hi16_ZMM in the standard format */
#define FPU_AREA_ALIGN 64
#define XFEATURE_X87 (1ull << 0)
#define XFEATURE_SSE (1ull << 1)
#define XFEATURE_AVX (1ull << 2)
#define XFEATURE_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */

/* What fpu_init found; written once at boot, read on every switch. */
struct fpu_config {
    bool xsave;         /* XSAVE in use (else fxsave, 512 bytes) */
    uint64_t xfeatures; /* XCR0: the components saved */
    uint32_t size;      /* bytes of a save area */
};
extern struct fpu_config fpu_cfg;

/* Enable XSAVE and the user state components the CPU has (CR4.OSXSAVE,
 * XCR0), size the save area, say so in the boot log. Called by cpu_init. */
void fpu_init(void);
/* On an AP: the same CR4.OSXSAVE and XCR0 as the boot CPU's (every CPU
 * must save the same layout: tasks will move between them). */
void fpu_setup_cpu(void);
static inline bool fpu_xsave(void) { return fpu_cfg.xsave; }
static inline uint64_t fpu_xfeatures(void) { return fpu_cfg.xfeatures; }
static inline uint32_t fpu_size(void) { return fpu_cfg.size; }

/* Save the current registers into area / load them from it (inline: a
 * context switch does both). area is FPU_AREA_ALIGN-aligned and
 * fpu_size() long; an area that came from user space must have passed
 * fpu_check_image first (XRSTOR faults on a bad header). */
static inline void fpu_save(void *area)
{
    if (fpu_cfg.xsave)
        __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)fpu_cfg.xfeatures),
                         "d"((uint32_t)(fpu_cfg.xfeatures >> 32))
                         : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static inline void fpu_restore(const void *area)
{
    if (fpu_cfg.xsave)
        __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)fpu_cfg.xfeatures),
                         "d"((uint32_t)(fpu_cfg.xfeatures >> 32))
                         : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}
/* Is a user-supplied image (signal frame) safe to load? NULL, or why not:
 * MXCSR reserved bits, XSTATE_BV outside XCR0, a compacted or dirty header. */
const char *fpu_check_image(const uint8_t *area);

#endif
