; kernel/entry.asm - the syscall entry and the context switch.
;
; syscall (SDM Vol 2B "SYSCALL"): the CPU saves RIP in RCX and RFLAGS in
; R11, masks RFLAGS with IA32_FMASK (IF, TF, DF, AC, NT off), loads CS/SS
; from IA32_STAR and jumps to IA32_LSTAR. It does not switch stacks: we
; do, to the current task's kernel stack, then build the same struct
; trap_frame (kernel/trap.h) an interrupt would, so fork, signals and
; execve treat both kinds of entry alike.
;
; Interrupts are off until the frame is built: this CPU's struct percpu
; holds the user RSP for the few instructions between, and the top of the
; current task's kernel stack (%gs-relative: swapgs is the first
; instruction; kernel/percpu.h).

%include "memlayout.inc"
%include "trapframe.inc"
%include "percpu.inc"

USER_DS     equ 0x23
USER_CS     equ 0x2b
SYSCALL_VEC equ 0x80               ; trap_frame.vector for a syscall


bits 64
section .text
extern syscall_dispatch
extern trap_return

global syscall_entry
syscall_entry:
    swapgs                          ; GS base: the CPU's struct percpu
    mov [gs:PERCPU_USER_RSP], rsp
    mov rsp, [gs:PERCPU_KERNEL_RSP]
    push USER_DS                    ; ss
    push qword [gs:PERCPU_USER_RSP] ; rsp
    push r11                        ; rflags
    push USER_CS                    ; cs
    push rcx                        ; rip
    push rax                        ; error code slot: the syscall number,
                                    ; kept for restarting (Linux: orig_ax)
    push SYSCALL_VEC                ; vector
    PUSH_TRAP_REGS
    xor ebp, ebp                    ; the backtrace stops here
    mov rdi, rsp
    call syscall_dispatch           ; returns nonzero: leave by iretq
    cli                             ; no interrupt may arrive on the user stack
    test eax, eax
    jnz trap_return
    ; The fast way out, sysretq: RIP <- RCX, RFLAGS <- R11. syscall_dispatch
    ; vouches that the frame still holds the registers the syscall came
    ; with and that RIP is a user address (else sysret would #GP in ring 0).
    ; The C code preserved the callee-saved registers (rbx, r12-r15), so
    ; only the ones it may clobber are reloaded from the frame, and rbp,
    ; which the entry zeroed to end the kernel backtrace.
    mov rax, [rsp + TF_RAX]
    mov rbp, [rsp + TF_RBP]
    mov rdi, [rsp + TF_RDI]
    mov rsi, [rsp + TF_RSI]
    mov rdx, [rsp + TF_RDX]
    mov r8, [rsp + TF_R8]
    mov r9, [rsp + TF_R9]
    mov r10, [rsp + TF_R10]
    mov rcx, [rsp + TF_RIP]
    mov r11, [rsp + TF_RFLAGS]
    mov rsp, [rsp + TF_RSP]         ; the user stack, last
    swapgs                          ; the user's GS base back
    o64 sysret

; switch_to(uint64_t *save_rsp, uint64_t new_rsp): save the callee-saved
; registers on this stack, park RSP in *save_rsp, take new_rsp and pop the
; other task's registers. Returns in the other task, where it called
; switch_to (or at task_start for a new task).
global switch_to
switch_to:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; The first "return" of a new task lands here with RSP at its trap frame.
global task_start
extern sched_task_started
task_start:
    call sched_task_started         ; finish the switch (free a dead task)
    jmp trap_return
