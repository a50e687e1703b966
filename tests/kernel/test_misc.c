/* tests/kernel/test_misc.c - printk formatting, command line, symbols, timer. */
#include "drivers/serial.h"
#include "kernel/cmdline.h"
#include "kernel/ksyms.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "mm/pmm.h"
#include "tests/kernel/ktest.h"

#define TIMER_TEST_LIMIT_NS 500000000ul /* 50 ticks' worth */

KTEST(printk_formats)
{
    char b[96];
    snprintf(b, sizeof(b), "[%5lu.%06lu] %#018lx|%-4s|%d|%x|%c|%3d|%s", 3ul, 42ul, 0xffff888000000000ul, "ab", -17,
             0xbeefu, 'z', 5, "end");
    const char *want = "[    3.000042] 0xffff888000000000|ab  |-17|beef|z|  5|end";
    KT_ASSERT(t, strcmp(b, want) == 0, "got \"%s\"", b);
    KT_ASSERT(t, snprintf(b, 4, "%s", "truncate") == 8 && strcmp(b, "tru") == 0, "truncation wrong: \"%s\"", b);
}

KTEST(cmdline_sizes)
{
    KT_ASSERT(t, cmdline_parse_size("64M") == 64ul << 20, "64M");
    KT_ASSERT(t, cmdline_parse_size("1G") == 1ul << 30, "1G");
    KT_ASSERT(t, cmdline_parse_size("4096k") == 4096ul << 10, "4096k");
    KT_ASSERT(t, cmdline_parse_size("12") == 12, "12");
    KT_ASSERT(t, cmdline_parse_size("x") == 0 && cmdline_parse_size("5Q") == 0, "garbage accepted");
    KT_ASSERT(t, cmdline_get("test") != NULL, "test= not seen on the command line");
}

/* The embedded symbol table names functions, as the panic backtrace does. */
KTEST(ksyms_lookup_names_functions)
{
    uint64_t off, size;
    const char *name = ksym_lookup((uint64_t)(uintptr_t)pmm_alloc + 5, &off, &size);
    KT_ASSERT(t, name && strcmp(name, "pmm_alloc") == 0 && off == 5, "pmm_alloc+5 -> %s+%lu", name ? name : "?", off);
    KT_ASSERT(t, ksym_address("pmm_free") == (uint64_t)(uintptr_t)pmm_free, "ksym_address(pmm_free) wrong");
    KT_ASSERT(t, ksym_lookup(0x1000, &off, &size) == NULL, "a user address got a name");
}

/* The timer interrupt arrives: jiffies advance while we halt. */
KTEST(timer_interrupts_tick)
{
    uint64_t j0 = jiffies(), ns0 = time_since_boot_ns();
    sti(); /* spin rather than hlt: with no interrupt a hlt would never end */
    while (jiffies() < j0 + 3 && time_since_boot_ns() - ns0 < TIMER_TEST_LIMIT_NS)
        cpu_relax();
    KT_ASSERT(t, jiffies() >= j0 + 3, "jiffies went from %lu to %lu", j0, jiffies());
    KT_ASSERT(t, time_since_boot_ns() > ns0, "time did not advance");
}

/* Console input arrives by interrupt: in the UART's loopback mode the bytes
 * we send come back on IRQ 4 and land in the receive ring. */
KTEST(serial_rx_interrupt_loopback)
{
    const char msg[] = "pw!";
    char c;
    while (serial_getc(&c)) /* drop anything typed before */
        ;
    uint64_t irqs0 = serial_rx_irqs(), ns0 = time_since_boot_ns();
    void (*tty_notify)(void) = serial_set_rx_notify(NULL); /* keep the bytes from the tty */
    serial_set_loopback(true);
    for (unsigned i = 0; i < sizeof(msg) - 1; i++)
        serial_putc(msg[i]);
    sti();
    char got[sizeof(msg)] = {0};
    unsigned n = 0;
    while (n < sizeof(msg) - 1 && time_since_boot_ns() - ns0 < TIMER_TEST_LIMIT_NS)
        if (serial_getc(&got[n]))
            n++;
    serial_set_loopback(false);
    serial_set_rx_notify(tty_notify);
    KT_ASSERT(t, n == sizeof(msg) - 1 && strcmp(got, msg) == 0, "received %u bytes \"%s\"", n, got);
    KT_ASSERT(t, serial_rx_irqs() > irqs0, "the bytes came without a receive interrupt");
}

/* sleep_on_timeout: a wait nobody ends comes back after its ticks (a lost
 * disk interrupt must not hang a process), and a wake_up ends it early.
 * The sleeper is a kernel thread; the test (the idle task) lets it run. */
static struct {
    struct wait_queue never, woken;
    volatile int stage; /* 1: timed out, waiting to be woken; 2: done */
    bool timed_out, woken_in_time;
    uint64_t slept_ticks;
} sleeper;

static void sleeper_thread(void *unused)
{
    (void)unused;
    uint64_t j0 = jiffies();
    sleeper.timed_out = !sleep_on_timeout(&sleeper.never, 3);
    sleeper.slept_ticks = jiffies() - j0;
    sleeper.stage = 1;
    sleeper.woken_in_time = sleep_on_timeout(&sleeper.woken, 1000);
    sleeper.stage = 2;
    for (;;)
        sleep_on(&sleeper.never); /* a kernel thread never returns */
}

/* Let other tasks run until cond or the time limit. */
#define RUN_OTHERS_UNTIL(cond, ns0)                                                                                    \
    while (!(cond) && time_since_boot_ns() - (ns0) < TIMER_TEST_LIMIT_NS) {                                            \
        sti();                                                                                                         \
        cpu_relax();                                                                                                   \
        schedule();                                                                                                    \
    }

KTEST(sleep_on_timeout_ends)
{
    wait_queue_init(&sleeper.never);
    wait_queue_init(&sleeper.woken);
    uint64_t ns0 = time_since_boot_ns();
    KT_ASSERT(t, kthread_create(sleeper_thread, NULL, "ktest-sleeper"), "no kernel thread");
    RUN_OTHERS_UNTIL(sleeper.stage >= 1, ns0);
    KT_ASSERT(t, sleeper.stage >= 1 && sleeper.timed_out, "a wait nobody ended did not time out (stage %d)",
              sleeper.stage);
    KT_ASSERT(t, sleeper.slept_ticks >= 3, "it came back after %lu ticks, not 3", sleeper.slept_ticks);
    wake_up(&sleeper.woken);
    RUN_OTHERS_UNTIL(sleeper.stage == 2, ns0);
    KT_ASSERT(t, sleeper.stage == 2 && sleeper.woken_in_time, "wake_up did not end a timed wait in time");
}
