; boot/multiboot2.asm - the Multiboot2 header GRUB looks for.
;
; GRUB scans the first 32 KiB of the kernel file for this header
; (Multiboot2 spec §3.1). The tags ask GRUB for what kmain() needs:
; the command line, the memory map and the modules (the initrd).
; linker.ld puts section .multiboot2 first in the image.

MB2_HEADER_MAGIC   equ 0xe85250d6
MB2_ARCH_I386      equ 0            ; 32-bit protected mode entry
MB2_TAG_END        equ 0
MB2_TAG_INFO_REQ   equ 1            ; "please give me these info tags"
MB2_TAG_MOD_ALIGN  equ 6            ; "page-align the modules"
MB2_INFO_CMDLINE   equ 1
MB2_INFO_MODULE    equ 3
MB2_INFO_MEMINFO   equ 4
MB2_INFO_MMAP      equ 6

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    align 8
.info_request:                      ; not optional (flags = 0): GRUB fails
    dw MB2_TAG_INFO_REQ, 0          ; loudly if it cannot provide them
    dd .info_request_end - .info_request
    dd MB2_INFO_CMDLINE
    dd MB2_INFO_MODULE
    dd MB2_INFO_MEMINFO
    dd MB2_INFO_MMAP
.info_request_end:

    align 8
    dw MB2_TAG_MOD_ALIGN, 0
    dd 8

    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:
