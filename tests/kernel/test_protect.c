/*
 * tests/kernel/test_protect.c - the kernel's own memory protections:
 * W^X on the kernel image (paging_init), NX on data, CR0.WP, SMEP, SMAP.
 */
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/proc.h"
#include "mm/mm.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/ktest_util.h"

static const uint32_t some_rodata = 0xc0ffee;
static uint8_t data_code[] = KT_RET0_CODE;

/* Kernel text is read-only, even for the kernel (CR0.WP). */
KTEST(wx_text_not_writable)
{
    uint8_t *text = (uint8_t *)(uintptr_t)pmm_alloc;
    uint8_t orig = *text;
    struct probe_fault f;
    int r = probe_write(text, orig, &f); /* same byte: harmless if it works */
    KT_ASSERT(t, r == -EFAULT, "a write to kernel text succeeded");
    KT_ASSERT(t, f.error_code == (PF_P | PF_W), "error code %#lx, expected P|W", f.error_code);
}

KTEST(wx_rodata_not_writable)
{
    int r = probe_write((void *)&some_rodata, 0xee, NULL);
    KT_ASSERT(t, r == -EFAULT, "a write to .rodata succeeded");
}

/* Data is not executable: .data, the kernel heap, a vmalloc'ed stack. */
KTEST(wx_data_not_executable)
{
    const uint8_t code[] = KT_RET0_CODE;
    struct probe_fault f;
    int r = probe_exec(data_code, &f);
    KT_ASSERT(t, r == -EFAULT, "code in .data ran");
    KT_ASSERT(t, f.error_code == (PF_P | PF_I), ".data fetch error code %#lx, expected P|I", f.error_code);
    uint8_t *heap = kmalloc(sizeof(code));
    KT_ASSERT(t, heap, "kmalloc failed");
    for (unsigned i = 0; i < sizeof(code); i++)
        heap[i] = code[i];
    r = probe_exec(heap, NULL);
    kfree(heap);
    KT_ASSERT(t, r == -EFAULT, "code in kmalloc memory (direct map) ran");
    uint8_t *v = vmalloc(PAGE_SIZE);
    KT_ASSERT(t, v, "vmalloc failed");
    for (unsigned i = 0; i < sizeof(code); i++)
        v[i] = code[i];
    r = probe_exec(v, NULL);
    vfree(v);
    KT_ASSERT(t, r == -EFAULT, "code in vmalloc memory ran");
}

/* The probe itself works: code in kernel text does run. Without this,
 * the NX tests above could pass because probe_exec always fails. */
__attribute__((used, aligned(16))) static void kt_ret0(void) { __asm__ volatile("xorl %%eax, %%eax" ::: "rax"); }
KTEST(probe_exec_runs_text)
{
    KT_ASSERT(t, probe_exec((const void *)(uintptr_t)kt_ret0, NULL) == 0, "probe_exec failed on kernel text");
    uint8_t v;
    KT_ASSERT(t, probe_read(&some_rodata, &v, NULL) == 0 && v == 0xee, "probe_read of .rodata failed");
}

/* CR0.WP, EFER.NXE, CR4.PGE/SMEP/SMAP are on where the CPU has them. */
KTEST(cpu_protections_enabled)
{
    uint64_t cr4 = read_cr4();
    KT_ASSERT(t, read_cr0() & CR0_WP, "CR0.WP is off");
    KT_ASSERT(t, rdmsr(MSR_EFER) & EFER_NXE, "EFER.NXE is off");
    KT_ASSERT(t, !boot_cpu.smep || (cr4 & CR4_SMEP), "CPU has SMEP, CR4.SMEP is off");
    KT_ASSERT(t, !boot_cpu.smap || (cr4 & CR4_SMAP), "CPU has SMAP, CR4.SMAP is off");
    KT_ASSERT(t, !boot_cpu.pge || (cr4 & CR4_PGE), "CPU has PGE, CR4.PGE is off");
}

/* A user page (U/S = 1): the kernel may neither run it (SMEP) nor touch
 * it (SMAP) unless it says so with stac (RFLAGS.AC). */
KTEST(smep_smap_block_user_pages)
{
    if (!boot_cpu.smep || !boot_cpu.smap)
        return; /* nothing to check on this CPU; cpu_protections_enabled says so */
    pte_t *pml4 = paging_kernel_pml4();
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, p, "no frame");
    const uint8_t code[] = KT_RET0_CODE;
    for (unsigned i = 0; i < sizeof(code); i++)
        ((uint8_t *)page_to_virt(p))[i] = code[i];
    paging_map(pml4, KT_USER_VA, page_to_phys(p), PTE_US | PTE_RW);
    struct probe_fault fr, fx;
    uint8_t v = 0;
    int r = probe_read((void *)KT_USER_VA, &v, &fr);
    stac();
    int r_ac = probe_read((void *)KT_USER_VA, &v, NULL);
    clac();
    int x = probe_exec((void *)KT_USER_VA, &fx);
    paging_unmap(pml4, KT_USER_VA, NULL);
    pmm_free(p, 0);
    KT_ASSERT(t, r == -EFAULT, "SMAP: the kernel read a user page");
    KT_ASSERT(t, fr.error_code == PF_P, "SMAP fault error code %#lx, expected P", fr.error_code);
    KT_ASSERT(t, r_ac == 0 && v == code[0], "with stac the read still failed");
    KT_ASSERT(t, x == -EFAULT, "SMEP: the kernel executed a user page");
    KT_ASSERT(t, fx.error_code == (PF_P | PF_I), "SMEP fault error code %#lx, expected P|I", fx.error_code);
}

/* The same SMAP fault while a process's address space is loaded, on a
 * page its VMA allows: the fault handler must not "resolve" it (the PTE
 * is fine, so it would look spurious and the access would be retried
 * forever); it goes to the exception table, and without an entry it
 * would be a panic that names SMAP. */
KTEST(smap_fault_not_retried_with_an_mm)
{
    if (!boot_cpu.smap)
        return;
    struct mm *mm = mm_create();
    struct page *p = pmm_alloc_zeroed();
    KT_ASSERT(t, mm && p, "no memory");
    struct vma *v = vma_add(mm, KT_USER_VA, KT_USER_VA + PAGE_SIZE, VM_READ | VM_WRITE, VMA_ANON, "ktest");
    int mapped = v ? paging_map(mm->pml4, KT_USER_VA, page_to_phys(p), PTE_US | PTE_RW) : -1;
    struct mm *saved = current->mm;
    current->mm = mm;
    mm_switch(mm);
    uint8_t val = 0;
    struct probe_fault f;
    int r = mapped == 0 ? probe_read((void *)KT_USER_VA, &val, &f) : 0;
    current->mm = saved;
    mm_switch_kernel();
    paging_unmap(mm->pml4, KT_USER_VA, NULL);
    pmm_free(p, 0);
    mm_destroy(mm);
    KT_ASSERT(t, mapped == 0, "could not map the user page");
    KT_ASSERT(t, r == -EFAULT, "SMAP: the kernel read a user page of the loaded address space");
}
