/*
 * kernel/smp.c - bringing up the application processors (SDM Vol 3A
 * §8.4.4, "MP initialization example"), one at a time:
 *
 *   boot CPU (smp_boot_cpu)                AP
 *   copy the trampoline to TRAMPOLINE_PHYS,
 *   fill its params: CR3, stack, percpu
 *   INIT IPI, wait 10 ms                   resets, waits for a STARTUP
 *   STARTUP IPI (vector = page number)     real mode at TRAMPOLINE_PHYS:
 *   wait 200 us, STARTUP again (ignored      trampoline.asm -> long mode
 *   by an AP already running)                -> smp_ap_start(percpu)
 *   wait until percpu->online (timeout)    GDT/TSS/GS, IDT, CR0/CR4, XSAVE,
 *                                          PAT, local APIC and its timer,
 *                                          "online"; then its idle loop:
 *                                          the big kernel lock, schedule()
 *
 * The trampoline page is identity mapped in the kernel's PML4 only while
 * APs start (the switch to long mode needs the code where CR3 maps it)
 * and unmapped afterwards; each AP flushes its TLB once it has left it.
 *
 * Each AP then runs tasks like the boot CPU (kernel/sched.c), under the
 * big kernel lock (kernel/bkl.h): it waits for the lock until the boot
 * CPU has started init and halts for the first time.
 */
#include "kernel/smp.h"

#include "drivers/irq.h"
#include "drivers/lapic.h"
#include "kernel/acpi.h"
#include "kernel/bkl.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/tlb.h"
#include "mm/vmalloc.h"

#define INIT_DEASSERT_WAIT_US 10000 /* SDM: 10 ms after INIT */
#define STARTUP_WAIT_US 200         /* SDM: 200 us after each STARTUP */
#define NR_STARTUP_IPIS 2
#define AP_ONLINE_TIMEOUT_US 2000000 /* TCG with busy host cores is slow */
#define AP_POLL_US 100
#define CR3_LIMIT 0x100000000ull /* the trampoline loads CR3 in 32-bit mode */

struct percpu percpu_area[NR_CPUS];
unsigned nr_cpus_online;

/* kernel/trampoline.asm */
extern const char trampoline_start[], trampoline_end[], trampoline_params[];
struct trampoline_params {
    uint64_t cr3, stack, percpu, entry;
};

static volatile bool trampoline_gone; /* the identity map is removed */

void smp_ap_start(struct percpu *p); /* called from trampoline.asm */

uint64_t cpu_online_mask(void)
{
    uint64_t mask = 0;
    for (unsigned i = 0; i < NR_CPUS; i++)
        if (__atomic_load_n(&percpu_area[i].online, __ATOMIC_ACQUIRE))
            mask |= 1ull << i;
    return mask;
}

void smp_init_boot_cpu(void)
{
    struct percpu *p = &percpu_area[0];
    cpuinfo_collect(&p->info);
    p->apic_id = lapic_active() ? lapic_id() : p->info.initial_apic_id;
    p->online = true;
    nr_cpus_online = 1;
}

/* The AP's first C code, on its own kernel stack; interrupts off. */
void smp_ap_start(struct percpu *p)
{
    uint64_t ist_top[NR_IST_STACKS];
    for (int i = 0; i < NR_IST_STACKS; i++)
        ist_top[i] = p->tables.tss.ist[i]; /* smp_boot_cpu put them there */
    gdt_init_cpu(p, ist_top, KSTACK_SIZE);
    idt_load();
    cpu_setup_ap();
    syscall_init(); /* the MSRs are per CPU; used once APs run tasks */
    cpuinfo_collect(&p->info);
    lapic_setup_cpu(false);
    lapic_timer_start();
    /* Printed before `online`: the boot CPU only polls until then, so two
     * CPUs never print at once (printk has no lock yet). */
    pr_info("smp: CPU %u (APIC id %u) online\n", p->cpu, p->apic_id);
    __atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
    while (!trampoline_gone) {
        tlb_shootdown_answer(); /* online: the boot CPU may ask (a vfree) */
        cpu_relax();
    }
    write_cr3(read_cr3()); /* drop the identity mapping from this TLB */
    bkl_lock_fresh();
    sched_idle_loop();
}

/* Stacks and the idle task for CPU p; false if out of memory. */
static bool smp_alloc_cpu(struct percpu *p, uint64_t *stack_top)
{
    *stack_top = kstack_alloc();
    for (int i = 0; i < NR_IST_STACKS; i++)
        p->tables.tss.ist[i] = kstack_alloc();
    p->idle = kzalloc(sizeof(*p->idle));
    bool ok = *stack_top && p->idle;
    for (int i = 0; i < NR_IST_STACKS; i++)
        ok = ok && p->tables.tss.ist[i];
    if (!ok)
        return false;
    p->idle->kstack_top = *stack_top;
    snprintf(p->idle->comm, sizeof(p->idle->comm), "swapper/%u", p->cpu);
    sched_init_idle(p, p->idle);
    return true;
}

/* Wait until the AP says it is online, up to timeout_us. */
static bool smp_wait_online(struct percpu *p, unsigned timeout_us)
{
    for (unsigned waited = 0; waited < timeout_us; waited += AP_POLL_US) {
        if (__atomic_load_n(&p->online, __ATOMIC_ACQUIRE))
            return true;
        udelay(AP_POLL_US);
    }
    return __atomic_load_n(&p->online, __ATOMIC_ACQUIRE);
}

/* INIT, STARTUP, STARTUP (the universal algorithm), then wait. */
static bool smp_boot_cpu(struct percpu *p, struct trampoline_params *params)
{
    uint64_t stack;
    if (!smp_alloc_cpu(p, &stack)) {
        pr_warn("smp: no memory for CPU %u's stacks\n", p->cpu);
        return false;
    }
    params->stack = stack;
    params->percpu = (uint64_t)p;
    params->entry = (uint64_t)smp_ap_start;
    if (!lapic_send_init(p->apic_id))
        pr_warn("smp: INIT IPI to APIC id %u not sent\n", p->apic_id);
    udelay(INIT_DEASSERT_WAIT_US);
    for (int i = 0; i < NR_STARTUP_IPIS && !p->online; i++) {
        lapic_send_startup(p->apic_id, TRAMPOLINE_PHYS >> PAGE_SHIFT);
        udelay(STARTUP_WAIT_US);
    }
    if (smp_wait_online(p, AP_ONLINE_TIMEOUT_US))
        return true;
    /* Back to wait-for-SIPI, so that it cannot wake later in a trampoline
     * prepared for the next CPU. Its stacks stay allocated (small). */
    lapic_send_init(p->apic_id);
    pr_warn("smp: CPU %u (APIC id %u) did not come online within %u ms; going on without it\n", p->cpu,
            p->apic_id, AP_ONLINE_TIMEOUT_US / 1000);
    return false;
}

/* Copy the trampoline and identity map its page; false if impossible. */
static struct trampoline_params *trampoline_setup(void)
{
    uint64_t cr3 = virt_to_phys(paging_kernel_pml4());
    size_t size = (size_t)(trampoline_end - trampoline_start);
    if (cr3 >= CR3_LIMIT || size > PAGE_SIZE) {
        pr_warn("smp: kernel PML4 at %#lx (must be below 4 GiB) or trampoline of %zu bytes: no APs\n", cr3, size);
        return NULL;
    }
    if (paging_map(paging_kernel_pml4(), TRAMPOLINE_PHYS, TRAMPOLINE_PHYS, PTE_RW) != 0) {
        pr_warn("smp: cannot identity map the trampoline page: no APs\n");
        return NULL;
    }
    char *page = phys_to_virt(TRAMPOLINE_PHYS);
    memcpy(page, trampoline_start, size);
    struct trampoline_params *params = (void *)(page + (trampoline_params - trampoline_start));
    params->cr3 = cr3;
    return params;
}

void smp_boot_aps(void)
{
    const struct madt_info *m = acpi_madt();
    if (!m || !irq_apic_mode()) {
        pr_info("smp: no MADT or no local APIC in use: one CPU\n");
        return;
    }
    if (cmdline_has("nosmp") || m->nr_cpus == 1) {
        pr_info("smp: %s: one CPU\n", m->nr_cpus == 1 ? "the MADT lists one CPU" : "nosmp");
        return;
    }
    struct trampoline_params *params = trampoline_setup();
    if (!params)
        return;
    pr_info("smp: starting %u more CPU%s through the trampoline at %#x (STARTUP vector %#x)\n", m->nr_cpus - 1,
            m->nr_cpus == 2 ? "" : "s", TRAMPOLINE_PHYS, TRAMPOLINE_PHYS >> PAGE_SHIFT);
    unsigned next = 1;
    for (unsigned i = 0; i < m->nr_cpus; i++) {
        if (m->apic_ids[i] == percpu_area[0].apic_id)
            continue;
        if (next == NR_CPUS) {
            pr_warn("smp: more CPUs than NR_CPUS (%u): the rest stay off\n", NR_CPUS);
            break;
        }
        struct percpu *p = &percpu_area[next];
        p->cpu = next;
        p->apic_id = m->apic_ids[i];
        if (smp_boot_cpu(p, params)) {
            next++;
            nr_cpus_online++;
        } else {
            memset(p, 0, sizeof(*p)); /* the slot goes to the next CPU */
        }
    }
    paging_unmap(paging_kernel_pml4(), TRAMPOLINE_PHYS, NULL);
    __atomic_store_n(&trampoline_gone, true, __ATOMIC_RELEASE);
    pr_info("smp: Brought up 1 node, %u CPU%s; tasks run on every CPU under the big kernel lock\n", nr_cpus_online,
            nr_cpus_online == 1 ? "" : "s");
}
