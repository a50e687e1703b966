/*
 * kernel/kmain.c - the kernel's table of contents. boot/boot.asm calls
 * kmain() in 64-bit mode on the boot stack, with the boot page tables
 * (identity + direct map + kernel image) and interrupts off.
 */
#include "drivers/fb.h"
#include "drivers/debugexit.h"
#include "drivers/fw_cfg.h"
#include "drivers/irq.h"
#include "drivers/serial.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/gdt.h"
#include "kernel/lockdep.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/tlb.h"
#include "mm/vmcheck.h"
#include "mm/vmscan.h"
#include "mm/vmalloc.h"
#include "tests/kernel/ktest.h"

#define FW_CFG_CMDLINE "opt/pagewise/cmdline"
#define FW_CFG_ARGV "opt/pagewise/argv"       /* init's argv, NUL-separated (make exec) */
#define FW_CFG_BIN_PREFIX "opt/pagewise/bin/" /* extra programs for /bin (make exec) */
#define INIT_DEFAULT "/bin/init"
#define INIT_MAX_ARGS 64
#define INIT_ARGV_MAX 4096

static struct boot_info boot_info;
static struct task idle_task; /* pid 0: the boot code, later the idle loop */

void call_on_stack(void (*fn)(void *), void *arg, uintptr_t stack_top); /* trapentry.asm */
void proc_init(struct task *idle);                                      /* kernel/proc.c */
void sys_shm_init(void);                                                /* kernel/sys_shm.c */
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

/* Is key=value on the command line? */
static bool option_is(const char *key, const char *value)
{
    return cmdline_has(key) && strcmp(cmdline_get(key), value) == 0;
}

/* The root file system: the initrd module GRUB loaded, if any. */
static void setup_rootfs(void)
{
    const struct boot_module *m = boot_info.nr_modules ? &boot_info.modules[0] : NULL;
    vfs_init(m ? phys_to_virt(m->start) : NULL, m ? m->end - m->start : 0);
}

/* Programs passed with -fw_cfg name=opt/pagewise/bin/NAME,file=... join /bin. */
static void add_fw_cfg_program(const char *name, uint16_t select, uint32_t size, void *arg)
{
    (void)arg;
    if (strncmp(name, FW_CFG_BIN_PREFIX, strlen(FW_CFG_BIN_PREFIX)) != 0)
        return;
    void *data = vmalloc(size ? size : 1);
    if (!data) {
        pr_err("fw_cfg: no memory for %s (%u bytes)\n", name, size);
        return;
    }
    fw_cfg_read_item(select, data, size);
    char path[128];
    snprintf(path, sizeof(path), "/bin/%s", name + strlen(FW_CFG_BIN_PREFIX));
    vfs_add_file(path, data, size, S_IFREG | 0755);
    pr_info("fw_cfg: added %s (%u bytes)\n", path, size);
}

/* Start init: init= (default /bin/init), argv from fw_cfg or after "--". */
static void start_init(void)
{
    static char argbuf[INIT_ARGV_MAX];
    static const char *argv[INIT_MAX_ARGS + 2];
    static char *const envp[] = {"HOME=/", "PATH=/bin", NULL};
    const char *path = cmdline_get("init");
    if (!path || !*path)
        path = INIT_DEFAULT;
    unsigned argc = 0;
    int len = fw_cfg_read_file(FW_CFG_ARGV, argbuf, sizeof(argbuf));
    if (len > 0) {
        for (int i = 0; i < len && argc < INIT_MAX_ARGS; i += (int)strlen(&argbuf[i]) + 1)
            argv[argc++] = &argbuf[i];
    } else {
        argv[argc++] = path;
        argc += cmdline_init_args(&argv[1], INIT_MAX_ARGS - 1);
    }
    argv[argc] = NULL;
    if (proc_spawn_init(path, (char *const *)argv, envp) != 0)
        panic("cannot start init (%s); try init=/bin/<program>", path);
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
    start_init();
    if (swap_active())
        kswapd_start(); /* background reclaim */
    sched_idle_loop(); /* the idle task: halt, or poll while the disk works */
}

void kmain(uint32_t mbi_phys)
{
    serial_init();                          /* COM1: the console */
    pr_info("Pagewise: booting (x86-64, higher half at %#lx)\n", (uint64_t)KERNEL_VIRT_BASE);
    if (!multiboot_parse(mbi_phys, &boot_info)) /* what GRUB tells us */
        panic("malformed multiboot2 information at %#x", mbi_phys);
    setup_cmdline();                        /* quiet, test=, mem=, init= */
    gdt_init();                             /* segments, TSS, IST stacks, GS: CPU 0's */
    lockdep_init();                         /* lockdep: check the lock order */
    idt_init();                             /* exceptions and IRQ gates */
    multiboot_print_memory_map(&boot_info); /* the firmware's RAM map */
    pmm_init(&boot_info, cmdline_parse_size(cmdline_get("mem"))); /* frames */
    cpu_init();                             /* CPUID; WP, PGE, SMEP, SMAP, SSE */
    paging_init();                          /* kernel page tables, CR3 */
    acpi_init(&boot_info);                  /* MADT: CPUs, IO-APIC, IRQ routes */
    irq_init(acpi_madt());                  /* IO-APIC + local APIC, or 8259A PICs */
    smp_init_boot_cpu();                    /* CPU 0: APIC id, CPUID for /proc/cpuinfo */
    time_init();                            /* TSC calibration */
    time_start_tick();                      /* HZ timer interrupts: local APIC timer or PIT */
    serial_enable_rx_irq();                 /* console input by IRQ 4 */
    setup_rootfs();                         /* initrd at /, /dev */
    fw_cfg_for_each(add_fw_cfg_program, NULL); /* make exec's program */
    syscall_init();                         /* syscall/sysret MSRs */
    sys_shm_init();                         /* SysV shm learns the time */
    page_init();                            /* the wait queue of locked pages */
    reclaim_init(cmdline_get("reclaim"));   /* page replacement policy */
    sti();                                  /* interrupts on */
    swap_init(!option_is("swap", "off"), !option_is("ata", "pio")); /* ATA disk, swap */
    fb_init();                              /* PCI display, ioremap'ed: /dev/fb0 */
    vm_check_init(cmdline_get("vmcheck"));  /* /proc/vmcheck; vmcheck[=N]: after mm events */
    proc_init(&idle_task);                  /* pid 0, the FPU template */
    sched_init(&idle_task);                 /* run queue; we are idle; the big kernel lock */
    tlb_shootdown_init();                   /* tlb_noshootdown */
    smp_boot_aps();                         /* the other CPUs: up, each in its idle loop */
    idle_task.kstack_top = kstack_alloc();  /* leave the boot stack */
    if (!idle_task.kstack_top)
        panic("no memory for the first kernel stack");
    call_on_stack(kmain_on_kstack, NULL, idle_task.kstack_top);
}
