/* tests/kernel/test_misc.c - printk formatting, command line, symbols, timer. */
#include "drivers/serial.h"
#include "kernel/cmdline.h"
#include "kernel/ksyms.h"
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
