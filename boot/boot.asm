; boot/boot.asm - from GRUB's 32-bit protected mode to kmain() in the
; higher half.
;
;   GRUB (32-bit, paging off, EAX = magic, EBX = multiboot info phys)
;     -> _start: check magic, CPUID long mode and NX
;     -> build early page tables (1 GiB of 2 MiB pages, mapped 3 times)
;     -> CR4.PAE, CR3, EFER.LME|NXE, CR0.PG: long mode (SDM Vol 3A §9.8.5)
;     -> far jump to 64-bit code, still at a low address
;     -> jump to kernel_entry_high at 0xffffffff8xxxxxxx, call kmain()
;
; Everything before the final jump lives in the .boot.* sections, which
; linker.ld places at their physical load address (VMA = LMA), because it
; runs before paging maps the kernel where it is linked.

%include "memlayout.inc"

MB2_BOOTLOADER_MAGIC equ 0x36d76289

; Page-table entry bits, SDM Vol 3A §4.5, Tables 4-14..4-20.
PTE_P    equ 1 << 0                 ; present
PTE_RW   equ 1 << 1                 ; writable
PTE_PS   equ 1 << 7                 ; page size: 2 MiB page in a PD entry

CR0_PE   equ 1 << 0
CR0_PG   equ 1 << 31
CR4_PAE  equ 1 << 5
MSR_EFER equ 0xc0000080
EFER_LME equ 1 << 8                 ; long mode enable
EFER_NXE equ 1 << 11                ; allow the XD (NX) bit in PTEs

CPUID_EXT_MAX      equ 0x80000000
CPUID_EXT_FEATURES equ 0x80000001
CPUID_EDX_NX       equ 1 << 20
CPUID_EDX_LM       equ 1 << 29
EFLAGS_ID          equ 1 << 21

; PML4/PDPT slots of the three early mappings of physical 0..1 GiB.
DIRECT_PML4_SLOT equ (PAGE_OFFSET >> 39) & 511
KERNEL_PML4_SLOT equ (KERNEL_VIRT_BASE >> 39) & 511
KERNEL_PDPT_SLOT equ (KERNEL_VIRT_BASE >> 30) & 511

EARLY_CODE_SEL equ 0x08
EARLY_DATA_SEL equ 0x10

COM1      equ 0x3f8
VGA_TEXT  equ 0xb8000
VGA_ATTR  equ 0x4f00                ; white on red: this is an error

section .boot.text progbits alloc exec nowrite align=16
bits 32
global _start
_start:
    cli
    cld
    mov esp, boot32_stack_top
    mov ebp, eax                    ; multiboot2 magic
    mov esi, ebx                    ; multiboot info (physical); kept in ESI
    call serial_init32

    cmp ebp, MB2_BOOTLOADER_MAGIC
    jne .no_multiboot
    call cpu_has_cpuid
    jz .no_long_mode
    mov eax, CPUID_EXT_MAX
    cpuid
    cmp eax, CPUID_EXT_FEATURES
    jb .no_long_mode
    mov eax, CPUID_EXT_FEATURES
    cpuid
    test edx, CPUID_EDX_LM
    jz .no_long_mode
    test edx, CPUID_EDX_NX
    jz .no_nx

    call build_early_tables

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, early_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE         ; paging on: we are in IA-32e
    mov cr0, eax                    ; compatibility mode now

    lgdt [early_gdt_ptr]
    jmp EARLY_CODE_SEL:long_mode_low ; load a 64-bit CS: 64-bit mode

.no_multiboot:
    mov edx, msg_no_multiboot
    jmp boot_fail
.no_long_mode:
    mov edx, msg_no_long_mode
    jmp boot_fail
.no_nx:
    mov edx, msg_no_nx
    jmp boot_fail

; Returns ZF clear if CPUID exists (EFLAGS.ID can be toggled).
cpu_has_cpuid:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, EFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    test eax, EFLAGS_ID
    ret

; Map physical [0, 1 GiB) with 2 MiB pages at 0 (identity), at
; PAGE_OFFSET and at KERNEL_VIRT_BASE. One PD serves all three.
;   early_pml4[0]                -> early_pdpt_low[0]   -> early_pd
;   early_pml4[DIRECT_PML4_SLOT] -> early_pdpt_low (same table)
;   early_pml4[511]              -> early_pdpt_high[510] -> early_pd
build_early_tables:
    mov edi, early_pml4             ; the tables are .boot.bss: zero them
    mov ecx, (4 * PAGE_SIZE) / 4
    xor eax, eax
    rep stosd

    mov eax, early_pdpt_low + (PTE_P | PTE_RW)
    mov [early_pml4 + 0 * 8], eax
    mov [early_pml4 + DIRECT_PML4_SLOT * 8], eax
    mov eax, early_pdpt_high + (PTE_P | PTE_RW)
    mov [early_pml4 + KERNEL_PML4_SLOT * 8], eax
    mov eax, early_pd + (PTE_P | PTE_RW)
    mov [early_pdpt_low + 0 * 8], eax
    mov [early_pdpt_high + KERNEL_PDPT_SLOT * 8], eax

    xor ecx, ecx                    ; early_pd[i] = i * 2 MiB, a large page
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_RW | PTE_PS
    mov [early_pd + ecx * 8], eax
    inc ecx
    cmp ecx, PT_ENTRIES
    jne .fill_pd
    ret

; 16550 at COM1: 115200 baud, 8N1, FIFO on (the C driver redoes this).
serial_init32:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                      ; IER: no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                      ; LCR: DLAB on
    mov dx, COM1 + 0
    mov al, 1
    out dx, al                      ; divisor 1 = 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                      ; LCR: 8N1, DLAB off
    mov dx, COM1 + 2
    mov al, 0xc7
    out dx, al                      ; FCR: FIFO on and cleared
    ret

; Print the NUL-terminated message at EDX on COM1 and the VGA text
; screen, then halt forever. No stack needed beyond the return address.
boot_fail:
    mov ebx, edx
    mov edi, VGA_TEXT
.next:
    mov al, [ebx]
    test al, al
    jz .halt
    mov ah, al
    mov dx, COM1 + 5
.wait_thre:
    in al, dx                       ; LSR bit 5: transmit holding empty
    test al, 0x20
    jz .wait_thre
    mov dx, COM1
    mov al, ah
    out dx, al
    cmp al, 10
    je .skip_vga
    movzx eax, ah
    or eax, VGA_ATTR
    mov [edi], ax
    add edi, 2
.skip_vga:
    inc ebx
    jmp .next
.halt:
    cli
    hlt
    jmp .halt

bits 64
long_mode_low:
    mov ax, EARLY_DATA_SEL
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, kernel_entry_high      ; 64-bit absolute: the higher half
    jmp rax

section .boot.data progbits alloc noexec write align=16
msg_no_multiboot:
    db 10, "Pagewise: boot failed: not loaded by a Multiboot2 boot loader.", 10
    db "Boot the ISO (make run) so that GRUB loads the kernel.", 10, 0
msg_no_long_mode:
    db 10, "Pagewise: boot failed: this CPU has no long mode (x86-64).", 10
    db "Pagewise needs a 64-bit CPU: run QEMU with -cpu max or qemu64.", 10, 0
msg_no_nx:
    db 10, "Pagewise: boot failed: this CPU has no NX (execute-disable) bit.", 10
    db "Pagewise relies on NX for W^X: run QEMU with -cpu max.", 10, 0

align 16
early_gdt:
    dq 0
    dq 0x00af9a000000ffff           ; 0x08: 64-bit code, DPL 0 (L=1)
    dq 0x00cf92000000ffff           ; 0x10: data, DPL 0
early_gdt_end:
early_gdt_ptr:
    dw early_gdt_end - early_gdt - 1
    dd early_gdt

section .boot.bss nobits alloc noexec write align=4096
global early_pml4
early_pml4:      resb PAGE_SIZE
early_pdpt_low:  resb PAGE_SIZE
early_pdpt_high: resb PAGE_SIZE
early_pd:        resb PAGE_SIZE
boot32_stack:    resb 256
boot32_stack_top:

; ---- from here on: linked in the higher half ----
section .text
extern kmain
kernel_entry_high:
    mov rsp, boot_stack_top
    xor ebp, ebp                    ; end of the frame-pointer chain
    mov edi, esi                    ; kmain(multiboot info physical address)
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    resb BOOT_STACK_SIZE
boot_stack_top:
