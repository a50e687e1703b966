/* kernel/cpu.c - see cpu.h. */
#include "kernel/cpu.h"

#include "kernel/fpu.h"
#include "mm/ioremap.h"

#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define CPUID_VENDOR 0x0
#define CPUID_FEATURES 0x1
#define CPUID_EXT_FEATURES 0x7
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_AMD 0x80000001
#define BIT(n) (1u << (n))

struct cpu_features boot_cpu;

static void cpu_detect(void)
{
    struct cpuid_regs r = cpuid(CPUID_VENDOR, 0);
    uint32_t max_leaf = r.eax;
    memcpy(boot_cpu.vendor + 0, &r.ebx, 4);
    memcpy(boot_cpu.vendor + 4, &r.edx, 4);
    memcpy(boot_cpu.vendor + 8, &r.ecx, 4);
    r = cpuid(CPUID_FEATURES, 0);
    boot_cpu.pge = r.edx & BIT(13);
    boot_cpu.pcid = r.ecx & BIT(17);
    if (max_leaf >= CPUID_EXT_FEATURES) {
        r = cpuid(CPUID_EXT_FEATURES, 0);
        boot_cpu.smep = r.ebx & BIT(7);
        boot_cpu.smap = r.ebx & BIT(20);
        boot_cpu.la57 = r.ecx & BIT(16);
    }
    if (cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_AMD) {
        r = cpuid(CPUID_EXT_AMD, 0);
        boot_cpu.nx = r.edx & BIT(20);
        boot_cpu.gbpages = r.edx & BIT(26);
    }
}

static const char *state(bool present, bool enabled) { return !present ? "absent" : enabled ? "on" : "present, off"; }

/* CR0 and CR4 as the kernel wants them on every CPU; returns CR4. */
static uint64_t cpu_setup_control_regs(void)
{
    /* WP: read-only pages bind the kernel too. MP without EM: SSE and x87
     * instructions run (user code compiled by gcc uses SSE). */
    write_cr0((read_cr0() | CR0_WP | CR0_MP) & ~(CR0_EM | CR0_TS));
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT; /* fxsave/fxrstor, SSE exceptions */
    if (boot_cpu.pge)
        cr4 |= CR4_PGE;
    if (boot_cpu.smep)
        cr4 |= CR4_SMEP;
    if (boot_cpu.smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    return cr4;
}

void cpu_setup_ap(void)
{
    cpu_setup_control_regs();
    fpu_setup_cpu();
    pat_setup_cpu();
}

void cpu_init(void)
{
    cpu_detect();
    uint64_t cr4 = cpu_setup_control_regs();
    fpu_init(); /* XSAVE: CR4.OSXSAVE, XCR0, the size of a task's save area */
    pat_init(); /* memory types: WB for RAM, WC and UC for ioremap */

    bool nxe = rdmsr(MSR_EFER) & EFER_NXE; /* boot.asm set it */
    pr_info("cpu: %s; NX %s, SMEP %s, SMAP %s, PGE %s, 1G pages %s\n", boot_cpu.vendor, state(boot_cpu.nx, nxe),
            state(boot_cpu.smep, cr4 & CR4_SMEP), state(boot_cpu.smap, cr4 & CR4_SMAP),
            state(boot_cpu.pge, cr4 & CR4_PGE), boot_cpu.gbpages ? "present" : "absent");
    pr_info("cpu: PCID %s (not used yet), LA57 %s (4-level paging in use), CR0.WP on\n",
            boot_cpu.pcid ? "present" : "absent", boot_cpu.la57 ? "present" : "absent");
}
