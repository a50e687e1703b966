/*
 * drivers/lapic.c - the local APIC in xAPIC mode (SDM Vol 3A ch. 10).
 *
 * Registers are 32-bit, 16-byte aligned, in one 4 KiB MMIO page
 * (§10.4.1, Table 10-1). The ones used here:
 *
 *   0x020 ID       0x0b0 EOI          0x300 ICR low (writing it sends)
 *   0x080 TPR      0x0f0 spurious     0x310 ICR high (destination)
 *   0x280 ESR      vector register    0x320 LVT timer   0x350 LVT LINT0
 *   0x360 LINT1    0x370 LVT error    0x380 timer initial count
 *   0x390 timer current count         0x3e0 timer divide configuration
 *
 * x2APIC (MSR access, 32-bit ids) would do as well; the MMIO page keeps
 * the mapping visible in /proc/vmallocinfo, like any ioremap.
 */
#include "drivers/lapic.h"

#include "kernel/printk.h"
#include "kernel/x86.h"
#include "mm/ioremap.h"
#include "mm/memlayout.h"

#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define LAPIC_ID_SHIFT 24
#define LAPIC_VERSION_MASK 0xff
#define LAPIC_MAX_LVT_SHIFT 16
#define SVR_APIC_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_DELIVERY_NMI (4u << 8)
#define TIMER_DIVIDE_BY_16 0x3 /* divide configuration 0b0011 */
#define TIMER_DIVISOR 16
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_SEND_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_DEST_SHIFT 24
#define ICR_SEND_SPINS 1000000 /* the APIC sends in microseconds; TCG may lag */

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP (1ul << 8)
#define APIC_BASE_X2APIC (1ul << 10)
#define APIC_BASE_ENABLE (1ul << 11)
#define CPUID_EDX_APIC (1u << 9)

#define CALIBRATE_MS 10
#define MS_PER_SEC 1000

static struct {
    volatile uint8_t *regs; /* NULL: not in use */
    uint32_t timer_count;   /* initial count for one tick */
    uint64_t nr_spurious, nr_errors;
} lapic;

static uint32_t lapic_read(unsigned reg) { return *(volatile uint32_t *)(lapic.regs + reg); }
static void lapic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(lapic.regs + reg) = v; }

bool lapic_active(void) { return lapic.regs != NULL; }
uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> LAPIC_ID_SHIFT; }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
uint64_t lapic_nr_spurious(void) { return lapic.nr_spurious; }
uint64_t lapic_nr_errors(void) { return lapic.nr_errors; }

void lapic_setup_cpu(bool boot_cpu)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE))
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
    lapic_write(LAPIC_TPR, 0); /* accept every priority */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    /* The 8259A's INTR pin is wired to LINT0 (virtual wire mode, as the
     * BIOS left it): masked, its IRQs now come through the IO-APIC. */
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, boot_cpu ? LVT_DELIVERY_NMI : LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, ERROR_APIC_VECTOR);
    lapic_write(LAPIC_ESR, 0); /* back-to-back writes clear it (§10.5.3) */
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_SVR, SVR_APIC_ENABLE | SPURIOUS_APIC_VECTOR);
    lapic_eoi(); /* nothing may stay in service from before */
}

bool lapic_init(uint64_t phys)
{
    if (!(cpuid(1, 0).edx & CPUID_EDX_APIC)) {
        pr_warn("APIC: this CPU has no local APIC\n");
        return false;
    }
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (base & APIC_BASE_X2APIC) {
        pr_warn("APIC: the firmware left x2APIC mode on; this kernel drives the xAPIC only\n");
        return false;
    }
    lapic.regs = ioremap_uc(phys, PAGE_SIZE);
    if (!lapic.regs) {
        pr_warn("APIC: cannot map the local APIC at %#lx\n", phys);
        return false;
    }
    lapic_setup_cpu(true);
    uint32_t ver = lapic_read(LAPIC_VERSION);
    pr_info("APIC: local APIC id %u at %#lx (uncached at %p), version %#x, %u LVT entries%s\n", lapic_id(), phys,
            (void *)lapic.regs, ver & LAPIC_VERSION_MASK, ((ver >> LAPIC_MAX_LVT_SHIFT) & 0xff) + 1,
            (base & APIC_BASE_BSP) ? ", boot CPU" : "");
    return true;
}

void lapic_timer_calibrate(uint64_t tsc_khz, unsigned hz)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED); /* one-shot, no interrupt */
    lapic_write(LAPIC_TIMER_INITIAL, UINT32_MAX);
    uint64_t t0 = rdtsc(), wait = tsc_khz * CALIBRATE_MS;
    while (rdtsc() - t0 < wait)
        cpu_relax();
    uint32_t elapsed = UINT32_MAX - lapic_read(LAPIC_TIMER_CURRENT);
    lapic_write(LAPIC_TIMER_INITIAL, 0); /* stop */
    uint64_t per_sec = (uint64_t)elapsed * (MS_PER_SEC / CALIBRATE_MS);
    lapic.timer_count = (uint32_t)(per_sec / hz);
    if (lapic.timer_count == 0)
        lapic.timer_count = 1;
    pr_info("APIC: timer calibrated against the TSC: bus clock %lu kHz, %u counts (divide by %u) per tick at %u Hz\n",
            per_sec * TIMER_DIVISOR / MS_PER_SEC, lapic.timer_count, TIMER_DIVISOR, hz);
}

void lapic_timer_start(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, lapic.timer_count);
}

void lapic_timer_interrupt(void) { lapic_eoi(); }

/* The APIC raised an interrupt whose source went away before the CPU took
 * it (§10.9): no EOI, by the SDM's rule. */
void lapic_spurious_interrupt(void) { lapic.nr_spurious++; }

void lapic_error_interrupt(void)
{
    lapic_write(LAPIC_ESR, 0);
    uint32_t esr = lapic_read(LAPIC_ESR);
    if (lapic.nr_errors++ == 0)
        pr_warn("APIC: error interrupt on APIC id %u, ESR %#x\n", lapic_id(), esr);
    lapic_eoi();
}

/* Send the IPI in icr_low to apic_id and wait until it left. Interrupts
 * off meanwhile: a handler that sent one of its own between the two
 * writes would change the destination under us. */
static bool lapic_send_icr(uint32_t apic_id, uint32_t icr_low)
{
    bool irqs = irq_save();
    lapic_write(LAPIC_ICR_HIGH, apic_id << ICR_DEST_SHIFT);
    lapic_write(LAPIC_ICR_LOW, icr_low); /* this write sends it */
    bool sent = false;
    for (unsigned i = 0; i < ICR_SEND_SPINS && !sent; i++) {
        sent = !(lapic_read(LAPIC_ICR_LOW) & ICR_SEND_PENDING);
        if (!sent)
            cpu_relax();
    }
    irq_restore(irqs);
    return sent;
}

bool lapic_send_init(uint32_t apic_id) { return lapic_send_icr(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT); }

bool lapic_send_startup(uint32_t apic_id, uint8_t page)
{
    return lapic_send_icr(apic_id, ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | page);
}

bool lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    return lapic_send_icr(apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | vector);
}
