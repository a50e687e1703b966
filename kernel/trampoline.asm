; kernel/trampoline.asm - where an application processor (AP) starts.
;
; A startup IPI wakes the AP in real mode at CS:IP = (TRAMPOLINE_PHYS >> 4):0
; (SDM Vol 3A §8.4.4). This code is linked into the kernel image but runs
; from a copy at TRAMPOLINE_PHYS, a page below 1 MiB, so every address it
; uses is computed as TRAMPOLINE_PHYS + (label - trampoline_start).
; kernel/smp.c:smp_boot_cpu copies it there and fills trampoline_params.
;
;   16-bit real mode     cli; DS = CS; lgdt (this page's GDT); CR0.PE = 1
;     | far jmp 0x08 (32-bit code)
;   32-bit protected     CR4.PAE; CR3 = the kernel's PML4 (below 4 GiB);
;     |                  EFER.LME|NXE; CR0.PG = 1 (caches on: CD, NW off)
;     | far jmp 0x18 (64-bit code): the trampoline page is identity mapped
;   64-bit long mode     RSP = the AP's kernel stack; call smp_ap_start(percpu)
;                        in the higher half; it never returns
;
; Only what C cannot do is here; smp_ap_start does the rest (its own GDT and
; TSS, the IDT, CR0/CR4 bits, XSAVE, PAT, the local APIC).

%include "memlayout.inc"

CR0_PE    equ 1 << 0
CR0_NW    equ 1 << 29
CR0_CD    equ 1 << 30
CR0_PG    equ 1 << 31
CR4_PAE   equ 1 << 5
MSR_EFER  equ 0xc0000080
EFER_LME  equ 1 << 8
EFER_NXE  equ 1 << 11               ; the kernel's PTEs use XD: set before CR0.PG

TR_CODE32 equ 0x08
TR_DATA   equ 0x10
TR_CODE64 equ 0x18

%define TR(label) (TRAMPOLINE_PHYS + (label) - trampoline_start)

section .rodata
align 16
global trampoline_start, trampoline_end, trampoline_params

bits 16
trampoline_start:
    cli
    cld
    mov ax, cs                      ; TRAMPOLINE_PHYS >> 4
    mov ds, ax
    lgdt [tr_gdt_ptr - trampoline_start]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword TR_CODE32:TR(tr_pm32)

bits 32
tr_pm32:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [TR(tr_cr3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    and eax, ~(CR0_CD | CR0_NW)     ; INIT left the caches disabled
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    jmp TR_CODE64:TR(tr_lm64)

bits 64
tr_lm64:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [TR(tr_stack)]
    mov rdi, [TR(tr_percpu)]
    mov rax, [TR(tr_entry)]
    xor ebp, ebp                    ; the backtrace ends here
    call rax                        ; smp_ap_start(percpu): no return
.hang:
    cli
    hlt
    jmp .hang

align 8
tr_gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, 4 GiB flat
    dq 0x00cf92000000ffff           ; 0x10: data, 4 GiB flat
    dq 0x00af9a000000ffff           ; 0x18: 64-bit code (L=1)
tr_gdt_end:
tr_gdt_ptr:
    dw tr_gdt_end - tr_gdt - 1
    dd TR(tr_gdt)

; Filled in by smp_boot_cpu for each AP (struct trampoline_params).
align 8
trampoline_params:
tr_cr3:    dq 0                     ; physical address of the kernel PML4
tr_stack:  dq 0                     ; top of the AP's kernel stack
tr_percpu: dq 0                     ; its struct percpu
tr_entry:  dq 0                     ; smp_ap_start
trampoline_end:
