; kernel/trapentry.asm - the first instructions of every exception and
; interrupt. The CPU has pushed SS, RSP, RFLAGS, CS, RIP and, for some
; exceptions, an error code (SDM Vol 3A §6.14.2). Each stub pushes a
; dummy error code where the CPU did not, then the vector number, and
; jumps to trap_common, which saves the general registers in the order
; of struct trap_frame (kernel/trap.h) and calls trap_dispatch(frame).
;
;   high  SS RSP RFLAGS CS RIP | error | vector | rax rbx ... r15  low
;                  (CPU)        (stub or CPU)     (trap_common)
; 22 quadwords in all: RSP stays 16-byte aligned for the C call.

%include "trapframe.inc"

bits 64
section .text
extern trap_dispatch

%macro TRAP_NOERR 1
trap_entry_%1:
    push 0
    push %1
    jmp trap_common
%endmacro
%macro TRAP_ERR 1
trap_entry_%1:
    push %1
    jmp trap_common
%endmacro

; Vectors with a CPU-pushed error code: 8, 10-14, 17, 21, 29, 30.
; All 256 vectors get an entry point: ISA IRQs from 0x20, the local APIC's own from 0xec to 0xff.
%assign v 0
%rep 256
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    TRAP_ERR v
%else
    TRAP_NOERR v
%endif
%assign v v + 1
%endrep

global trap_common
trap_common:
    ; From user mode: the kernel's GS base (struct percpu) in, the user's
    ; out (kernel/percpu.h). CS is at [rsp + 24] above vector and error.
    test byte [rsp + 24], 3
    jz .from_kernel
    swapgs
.from_kernel:
    PUSH_TRAP_REGS
    cld                             ; the C ABI wants DF = 0
    mov rdi, rsp
    call trap_dispatch
global trap_return
trap_return:
    POP_TRAP_REGS
    add rsp, 16                     ; vector and error code
    test byte [rsp + 8], 3          ; back to user mode: the user's GS base
    jz .to_kernel
    swapgs
.to_kernel:
    iretq

section .rodata
global trap_entry_table
trap_entry_table:
%assign v 0
%rep 256
    dq trap_entry_ %+ v
%assign v v + 1
%endrep

section .text
; call_on_stack(fn, arg, stack_top): run fn(arg) on another stack and
; come back. kmain uses it to leave the boot stack for a vmalloc'ed one.
global call_on_stack
call_on_stack:
    push rbp
    mov rbp, rsp
    mov rsp, rdx
    push rbp                        ; keep the old frame pointer reachable
    push rbp
    mov rax, rdi
    mov rdi, rsi
    call rax
    pop rbp
    pop rbp
    mov rsp, rbp
    pop rbp
    ret
