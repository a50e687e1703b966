/* kernel/time.c - see time.h. */
#include "kernel/time.h"

#include "drivers/irq.h"
#include "drivers/lapic.h"
#include "drivers/pit.h"
#include "drivers/rtc.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/x86.h"

#define CALIBRATE_US 10000 /* 10 ms on PIT channel 2 */
#define NS_PER_MS 1000000
#define US_PER_MS 1000
#define NS_PER_SEC 1000000000ull

static struct {
    uint64_t tsc_khz; /* 0 until calibrated */
    uint64_t tsc_at_boot;
    volatile uint64_t jiffies;
    uint64_t ns_at_first_tick; /* time_since_boot_ns() when the tick started */
} clock;

void time_init(void)
{
    clock.tsc_at_boot = rdtsc();
    uint64_t ticks = pit_measure_tsc(CALIBRATE_US);
    clock.tsc_khz = ticks * 1000 / CALIBRATE_US;
    if (clock.tsc_khz == 0)
        clock.tsc_khz = 1;
    pr_info("time: TSC runs at %lu.%03lu MHz (measured against the PIT)\n", clock.tsc_khz / 1000, clock.tsc_khz % 1000);
}

/* A timer interrupt: jiffies become the ticks the TSC clock says have
 * passed since the PIT started. Counting interrupts instead ran ahead of
 * clock_gettime under an emulator on a busy host, where late ticks arrive
 * in a burst: alarm(1) fired after 790 ms and a 10 ms nanosleep ended after
 * 8 ms. Without interrupts jiffies still stand still. */
static void time_tick(void)
{
    uint64_t now = (time_since_boot_ns() - clock.ns_at_first_tick) / (NS_PER_SEC / HZ);
    if (now > clock.jiffies)
        clock.jiffies = now;
}

void time_start_tick(void)
{
    clock.ns_at_first_tick = time_since_boot_ns();
    if (irq_apic_mode()) {
        lapic_timer_calibrate(clock.tsc_khz, HZ);
        lapic_timer_start();
        pr_info("time: local APIC timer ticks at %d Hz (vector %#x); the PIT stays silent\n", HZ,
                LOCAL_TIMER_VECTOR);
        return;
    }
    pit_start_periodic(HZ, time_tick);
    pr_info("time: PIT channel 0 ticks at %d Hz on IRQ 0\n", HZ);
}

bool time_apic_tick(void)
{
    lapic_timer_interrupt();
    this_cpu()->timer_ticks++;
    if (smp_processor_id() != 0)
        return false; /* an AP: CPU 0 keeps the clock (and runs the timers) */
    time_tick();
    return true;
}

void udelay(unsigned us)
{
    uint64_t t0 = rdtsc(), wait = clock.tsc_khz * us / US_PER_MS;
    while (rdtsc() - t0 < wait)
        cpu_relax();
}

uint64_t time_since_boot_ns(void)
{
    if (!clock.tsc_khz)
        return 0;
    uint64_t d = rdtsc() - clock.tsc_at_boot;
    /* d / khz is milliseconds; split to avoid overflowing d * 1e6. */
    return d / clock.tsc_khz * NS_PER_MS + (d % clock.tsc_khz) * NS_PER_MS / clock.tsc_khz;
}

uint64_t time_realtime_at(uint64_t boot_ns)
{
    static uint64_t boot_epoch_ns; /* the wall-clock time at boot */
    if (!boot_epoch_ns)
        boot_epoch_ns = rtc_read_epoch() * NS_PER_SEC - time_since_boot_ns();
    return boot_epoch_ns + boot_ns;
}

uint64_t time_realtime_ns(void) { return time_realtime_at(time_since_boot_ns()); }

uint64_t time_tsc_khz(void) { return clock.tsc_khz; }
uint64_t jiffies(void) { return clock.jiffies; }
