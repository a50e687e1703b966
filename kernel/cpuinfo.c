/*
 * kernel/cpuinfo.c - CPUID decoded as Linux shows it in /proc/cpuinfo
 * (arch/x86/kernel/cpu/proc.c's field names and layout: "name\t: value",
 * a blank line after each processor's block).
 *
 *   leaf 0            vendor string (EBX EDX ECX), highest basic leaf
 *   leaf 1   EAX      stepping 3:0 | model 7:4 | family 11:8 |
 *                     extended model 19:16 | extended family 27:20
 *            EBX      CLFLUSH line size / 8 in 15:8, initial APIC id 31:24
 *            ECX EDX  feature flags
 *   leaf 7   EBX ECX  more feature flags (SMEP, SMAP, AVX2, ...)
 *   0x80000001        AMD-defined flags (syscall, nx, lm, ...)
 *   0x80000002..4     the model name, 48 characters
 *   0x80000008 EAX    physical address bits 7:0, virtual 15:8
 */
#include "kernel/cpuinfo.h"

#include "kernel/compiler.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define CPUID_VENDOR 0x0
#define CPUID_FEATURES 0x1
#define CPUID_EXT_FEATURES 0x7
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_AMD 0x80000001
#define CPUID_BRAND_FIRST 0x80000002
#define CPUID_BRAND_LAST 0x80000004
#define CPUID_ADDR_SIZES 0x80000008
#define FAMILY_EXTENDED 0xf /* family 15: add the extended family */
#define FAMILY_EXT_MODEL 0x6 /* from family 6 on the extended model counts (Linux) */
#define CLFLUSH_UNIT 8

enum cpuid_reg { R1_EDX, REXT_EDX, R1_ECX, REXT_ECX, R7_EBX, R7_ECX };

/* Linux's names, in Linux's order (its capability words 0, 1, 4, 6, 9, 16). */
static const struct {
    enum cpuid_reg reg;
    uint8_t bit;
    const char *name;
} cpu_flags[] = {
    {R1_EDX, 0, "fpu"},      {R1_EDX, 1, "vme"},        {R1_EDX, 2, "de"},        {R1_EDX, 3, "pse"},
    {R1_EDX, 4, "tsc"},      {R1_EDX, 5, "msr"},        {R1_EDX, 6, "pae"},       {R1_EDX, 7, "mce"},
    {R1_EDX, 8, "cx8"},      {R1_EDX, 9, "apic"},       {R1_EDX, 11, "sep"},      {R1_EDX, 12, "mtrr"},
    {R1_EDX, 13, "pge"},     {R1_EDX, 14, "mca"},       {R1_EDX, 15, "cmov"},     {R1_EDX, 16, "pat"},
    {R1_EDX, 17, "pse36"},   {R1_EDX, 19, "clflush"},   {R1_EDX, 23, "mmx"},      {R1_EDX, 24, "fxsr"},
    {R1_EDX, 25, "sse"},     {R1_EDX, 26, "sse2"},      {R1_EDX, 27, "ss"},       {R1_EDX, 28, "ht"},
    {REXT_EDX, 11, "syscall"}, {REXT_EDX, 20, "nx"},    {REXT_EDX, 22, "mmxext"}, {REXT_EDX, 25, "fxsr_opt"},
    {REXT_EDX, 26, "pdpe1gb"}, {REXT_EDX, 27, "rdtscp"}, {REXT_EDX, 29, "lm"},
    {R1_ECX, 0, "pni"},      {R1_ECX, 1, "pclmulqdq"},  {R1_ECX, 3, "monitor"},   {R1_ECX, 9, "ssse3"},
    {R1_ECX, 12, "fma"},     {R1_ECX, 13, "cx16"},      {R1_ECX, 17, "pcid"},     {R1_ECX, 19, "sse4_1"},
    {R1_ECX, 20, "sse4_2"},  {R1_ECX, 21, "x2apic"},    {R1_ECX, 22, "movbe"},    {R1_ECX, 23, "popcnt"},
    {R1_ECX, 25, "aes"},     {R1_ECX, 26, "xsave"},     {R1_ECX, 28, "avx"},      {R1_ECX, 29, "f16c"},
    {R1_ECX, 30, "rdrand"},  {R1_ECX, 31, "hypervisor"},
    {REXT_ECX, 0, "lahf_lm"}, {REXT_ECX, 5, "abm"},     {REXT_ECX, 6, "sse4a"},   {REXT_ECX, 8, "3dnowprefetch"},
    {R7_EBX, 0, "fsgsbase"}, {R7_EBX, 3, "bmi1"},       {R7_EBX, 5, "avx2"},      {R7_EBX, 7, "smep"},
    {R7_EBX, 8, "bmi2"},     {R7_EBX, 9, "erms"},       {R7_EBX, 10, "invpcid"},  {R7_EBX, 16, "avx512f"},
    {R7_EBX, 18, "rdseed"},  {R7_EBX, 19, "adx"},       {R7_EBX, 20, "smap"},     {R7_EBX, 23, "clflushopt"},
    {R7_EBX, 29, "sha_ni"},
    {R7_ECX, 1, "avx512vbmi"}, {R7_ECX, 2, "umip"},     {R7_ECX, 3, "pku"},       {R7_ECX, 16, "la57"},
    {R7_ECX, 22, "rdpid"},
};

static uint32_t cpuinfo_reg(const struct cpuinfo *ci, enum cpuid_reg r)
{
    switch (r) {
    case R1_EDX: return ci->leaf1_edx;
    case REXT_EDX: return ci->ext_edx;
    case R1_ECX: return ci->leaf1_ecx;
    case REXT_ECX: return ci->ext_ecx;
    case R7_EBX: return ci->leaf7_ebx;
    case R7_ECX: return ci->leaf7_ecx;
    }
    return 0;
}

/* The brand string, without the leading blanks some CPUs pad it with. */
static void cpuinfo_model_name(struct cpuinfo *ci, uint32_t ext_max)
{
    uint32_t words[(CPUID_BRAND_LAST - CPUID_BRAND_FIRST + 1) * 4] = {0};
    if (ext_max >= CPUID_BRAND_LAST)
        for (uint32_t leaf = CPUID_BRAND_FIRST; leaf <= CPUID_BRAND_LAST; leaf++) {
            struct cpuid_regs r = cpuid(leaf, 0);
            uint32_t *w = &words[(leaf - CPUID_BRAND_FIRST) * 4];
            w[0] = r.eax, w[1] = r.ebx, w[2] = r.ecx, w[3] = r.edx;
        }
    const char *s = (const char *)words;
    while (*s == ' ')
        s++;
    strlcpy(ci->model_name, *s ? s : "unknown", sizeof(ci->model_name));
}

void cpuinfo_collect(struct cpuinfo *ci)
{
    struct cpuid_regs r = cpuid(CPUID_VENDOR, 0);
    uint32_t max_leaf = r.eax;
    memset(ci, 0, sizeof(*ci));
    ci->cpuid_level = max_leaf;
    memcpy(ci->vendor + 0, &r.ebx, 4);
    memcpy(ci->vendor + 4, &r.edx, 4);
    memcpy(ci->vendor + 8, &r.ecx, 4);
    r = cpuid(CPUID_FEATURES, 0);
    ci->stepping = r.eax & 0xf;
    ci->family = (r.eax >> 8) & 0xf;
    ci->model = (r.eax >> 4) & 0xf;
    if (ci->family == FAMILY_EXTENDED)
        ci->family += (r.eax >> 20) & 0xff;
    if (ci->family >= FAMILY_EXT_MODEL)
        ci->model += ((r.eax >> 16) & 0xf) << 4;
    ci->initial_apic_id = r.ebx >> 24;
    ci->clflush_size = ((r.ebx >> 8) & 0xff) * CLFLUSH_UNIT;
    ci->leaf1_ecx = r.ecx;
    ci->leaf1_edx = r.edx;
    if (max_leaf >= CPUID_EXT_FEATURES) {
        r = cpuid(CPUID_EXT_FEATURES, 0);
        ci->leaf7_ebx = r.ebx;
        ci->leaf7_ecx = r.ecx;
    }
    uint32_t ext_max = cpuid(CPUID_EXT_MAX, 0).eax;
    if (ext_max >= CPUID_EXT_AMD) {
        r = cpuid(CPUID_EXT_AMD, 0);
        ci->ext_ecx = r.ecx;
        ci->ext_edx = r.edx;
    }
    if (ext_max >= CPUID_ADDR_SIZES) {
        r = cpuid(CPUID_ADDR_SIZES, 0);
        ci->phys_bits = r.eax & 0xff;
        ci->virt_bits = (r.eax >> 8) & 0xff;
    }
    cpuinfo_model_name(ci, ext_max);
}

static size_t cpuinfo_flags(const struct cpuinfo *ci, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]); i++)
        if (cpuinfo_reg(ci, cpu_flags[i].reg) & (1u << cpu_flags[i].bit))
            o += snprintf(buf + MIN(o, size), size - MIN(o, size), " %s", cpu_flags[i].name);
    return o;
}

/* One processor's block. */
static size_t cpuinfo_block(const struct percpu *p, char *buf, size_t size)
{
    const struct cpuinfo *ci = &p->info;
    uint64_t khz = time_tsc_khz(), bogo = khz * 2 / 10; /* Linux: 2 loops per cycle; in 1/100 */
    char flags[768];
    cpuinfo_flags(ci, flags, sizeof(flags));
    return snprintf(buf, size,
                    "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
                    "stepping\t: %u\ncpu MHz\t\t: %lu.%03lu\nphysical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
                    "cpu cores\t: %u\napicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n"
                    "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:%s\nbugs\t\t:\nbogomips\t: %lu.%02lu\n"
                    "clflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
                    "power management:\n\n",
                    p->cpu, ci->vendor, ci->family, ci->model, ci->model_name, ci->stepping, khz / 1000, khz % 1000,
                    nr_cpus_online, p->cpu, nr_cpus_online, p->apic_id, ci->initial_apic_id,
                    ci->cpuid_level, flags, bogo / 100, bogo % 100, ci->clflush_size, ci->clflush_size,
                    ci->phys_bits, ci->virt_bits);
}

long cpuinfo_show(char *buf, size_t size)
{
    size_t o = 0;
    for (unsigned i = 0; i < NR_CPUS; i++)
        if (percpu_area[i].online)
            o += cpuinfo_block(&percpu_area[i], buf + MIN(o, size), size - MIN(o, size));
    return (long)o;
}
