/*
 * mm/memlayout.h - every address constant of Pagewise, in one place.
 *
 * This header is read three ways: by C (kernel code), by the C
 * preprocessor for linker.ld, and by NASM (the Makefile turns each
 * `#define NAME value` line below into `%define NAME value` in
 * build/gen/memlayout.inc). So: plain `#define NAME value` lines only,
 * no casts, no C suffixes (UL), expressions both NASM and C accept.
 *
 * The virtual map follows Linux's x86-64 map (Documentation/arch/x86/
 * x86_64/mm.rst) so a student can read Linux's docs beside ours:
 *
 *   0x0000000000000000 +-------------------------------+
 *                      | page 0: never mapped          |
 *   0x0000000000400000 | user program, .bss, brk heap  |  user half:
 *                      |   ...                         |  one per process
 *                      | mmap area (grows down)        |
 *   0x00007ffffffff000 | top of user stack (grows down)|
 *   0x0000800000000000 +-------------------------------+
 *                      | non-canonical hole: any use   |
 *                      | is a #GP, not a page fault    |
 *   0xffff800000000000 +-------------------------------+
 *   0xffff888000000000 | direct map of all RAM         |  kernel half:
 *                      | ("kernel logical addresses")  |  shared by every
 *   0xffffc90000000000 | vmalloc/ioremap area          |  PML4 (entries
 *                      | ("kernel virtual addresses")  |  256..511)
 *   0xffffffff80000000 | kernel image (-mcmodel=kernel)|
 *                      +-------------------------------+
 */
#ifndef PAGEWISE_MM_MEMLAYOUT_H
#define PAGEWISE_MM_MEMLAYOUT_H

/* Pages: x86-64 4-level paging, SDM Vol 3A §4.5. */
#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define LARGE_PAGE_SIZE 0x200000
#define HUGE_PAGE_SIZE 0x40000000
#define PT_ENTRIES 512

/* Physical: GRUB loads the image at 1 MiB (below it: BIOS, VGA, ROMs). */
#define KERNEL_PHYS_BASE 0x100000
#define LOW_MEMORY_END 0x100000

/* SMP: the page the other CPUs start in, in real mode (kernel/smp.c,
 * kernel/trampoline.asm). A startup IPI names a 4 KiB page below 1 MiB by
 * its number (vector 0x08 -> CS:IP = 0x0800:0000, SDM Vol 3A §8.4.4.1).
 * It lies in the low memory pmm_init reserves, so no frame is handed out
 * there; GRUB's use of it is over when kmain runs. */
#define TRAMPOLINE_PHYS 0x8000

/* Kernel image: virt = phys + KERNEL_VIRT_BASE (Linux: __START_KERNEL_map). */
#define KERNEL_VIRT_BASE 0xffffffff80000000

/* The kernel half of every address space starts here (PML4 entry 256). */
#define KERNEL_HALF_START 0xffff800000000000

/* Direct map of all physical RAM: virt = phys + PAGE_OFFSET. */
#define PAGE_OFFSET 0xffff888000000000

/* vmalloc area: one PML4 slot (512 GiB) is plenty for this kernel. */
#define VMALLOC_START 0xffffc90000000000
#define VMALLOC_END 0xffffc98000000000

/* The user half of every address space. */
/* Linux's TASK_SIZE_MAX: the user half minus its last page, which is
 * never mapped, so that no user instruction can end at the edge of the
 * non-canonical hole (a sysret there would fault in kernel mode). */
#define USER_SPACE_END 0x00007ffffffff000
#define USER_IMAGE_BASE 0x400000
#define USER_STACK_TOP 0x00007ffffffff000
#define USER_STACK_LIMIT 0x800000
/* Initial stack VMA size; it grows down on fault up to USER_STACK_LIMIT. */
#define USER_STACK_INITIAL 0x20000
/* mmap without an address takes the highest free range below this
 * (Linux: mmap_base, below the stack and its gap). */
#define USER_MMAP_BASE 0x00007f0000000000

/*
 * Boot: the early page tables (boot/boot.asm) map the first 1 GiB of
 * RAM three times: identity (so the jump to long mode survives), at
 * PAGE_OFFSET (so C can read the multiboot info before paging_init)
 * and at KERNEL_VIRT_BASE (where the image is linked).
 */
#define EARLY_MAP_SIZE 0x40000000
#define BOOT_STACK_SIZE 0x4000

/* Kernel stacks come from vmalloc: 4 pages plus an unmapped guard page. */
#define KSTACK_SIZE 0x4000
/* Separate stacks (TSS IST) for #DF, NMI and #MC: they must work when the
 * current stack is broken. */
#define IST_STACK_SIZE 0x2000

/* QEMU's isa-debug-exit device (`-device isa-debug-exit,iobase=0xf4`). */
#define DEBUG_EXIT_PORT 0xf4

#endif
