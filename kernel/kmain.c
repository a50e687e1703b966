/*
 * kernel/kmain.c - the kernel's table of contents. boot/boot.asm calls
 * kmain() in 64-bit mode on the boot stack, with the boot page tables
 * (identity + direct map + kernel image) and interrupts off.
 */
#include "drivers/debugexit.h"
#include "drivers/fw_cfg.h"
#include "drivers/irq.h"
#include "drivers/serial.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/gdt.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/ktest.h"

#define FW_CFG_CMDLINE "opt/pagewise/cmdline"

static struct boot_info boot_info;

void call_on_stack(void (*fn)(void *), void *arg, uintptr_t stack_top); /* trapentry.asm */
void kmain(uint32_t mbi_phys);

/* Command line: GRUB's, plus QEMU's fw_cfg file (the test harness). */
static void setup_cmdline(void)
{
    static char extra[512];
    if (fw_cfg_read_file(FW_CFG_CMDLINE, extra, sizeof(extra)) < 0)
        extra[0] = '\0';
    cmdline_init(boot_info.cmdline, extra);
    if (cmdline_has("quiet"))
        printk_set_console_level(LOGLEVEL_WARNING);
    pr_info("Command line: %s\n", cmdline_string());
}

/* The rest of the boot runs on a vmalloc'ed stack with a guard page. */
static void kmain_on_kstack(void *unused)
{
    (void)unused;
    pr_info("Pagewise: kernel ready: %lu frames free (%lu MiB)\n", pmm_nr_free(), pmm_nr_free() >> 8);
    const char *tests = cmdline_get("test");
    if (tests) {
        int failed = ktest_run(tests);
        debug_exit(failed ? DEBUG_EXIT_FAIL : DEBUG_EXIT_PASS);
    }
    pr_notice("Pagewise: no user space yet; idling (quit QEMU: Ctrl-A X)\n");
    for (;;)
        sti_hlt();
}

void kmain(uint32_t mbi_phys)
{
    serial_init(); /* COM1: the console */
    pr_info("Pagewise: booting (x86-64, higher half at %#lx)\n", (uint64_t)KERNEL_VIRT_BASE);
    if (!multiboot_parse(mbi_phys, &boot_info)) /* what GRUB tells us */
        panic("malformed multiboot2 information at %#x", mbi_phys);
    setup_cmdline();                                              /* quiet, test=, mem=, init= */
    gdt_init();                                                   /* segments, TSS, IST stacks */
    idt_init();                                                   /* exceptions and IRQ gates */
    multiboot_print_memory_map(&boot_info);                       /* the firmware's RAM map */
    pmm_init(&boot_info, cmdline_parse_size(cmdline_get("mem"))); /* frames */
    cpu_init();                                                   /* CPUID; WP, PGE, SMEP, SMAP */
    paging_init();                                                /* kernel page tables, CR3 */
    irq_init();                                                   /* 8259A PICs */
    time_init();                                                  /* TSC calibration */
    time_start_tick();                                            /* PIT: HZ timer interrupts */
    serial_enable_rx_irq();                                       /* console input by IRQ 4 */
    sti();                                                        /* interrupts on */
    uintptr_t stack = kstack_alloc();                             /* leave the boot stack */
    if (!stack)
        panic("no memory for the first kernel stack");
    call_on_stack(kmain_on_kstack, NULL, stack);
}
