# Pagewise - build, boot, test.
#
#   make            build/kernel.elf and build/pagewise.iso
#   make run        boot the ISO in QEMU, serial console on this terminal
#                   (quit QEMU: Ctrl-A then X); GRAPHICS=1 opens QEMU's
#                   window too, where /dev/fb0 shows (try `memview &`)
#   make debug      boot stopped at the first instruction, gdb attached
#   make test       the whole test suite (ends with "N passed, M failed")
#   make exec PROG=prog ARGS="a b"  run one static Linux program, exit with its status
#   make test-host  the user-space tests natively on Linux
#   make bench      benchmarks (QEMU -icount shift=0: repeatable counts)
#   make soak SEEDS=N  the mm stress test (t_mmfuzz) for seeds 1..N
#   make test-mutants  break tested properties on purpose: every test must notice
#   make lab        list the labs; make lab NAME=cow writes the cow lab's tree
#                   (build/lab-cow, or LABDIR=dir); docs/labs/README.md
#   make grade NAME=cow  run the boots that grade a lab (in a lab's tree: make grade)
#   make labcheck   every lab's skeleton builds and fails its grade
#   make pictures   boot headless, run memview and swapdemo, write the
#                   screendumps to docs/img/*.png (tests/boots.py PICTURES)
#   make fmt        clang-format every C file
#   make clean      remove build/
#
# Variables: CMDLINE="..." (extra kernel command line), MEM=128M, SMP=1 (CPUs:
# make run SMP=2 runs tasks on both: docs/smp.md; make test runs the suite on
# one CPU and again on two, make test SMP=2 on two only), QEMUFLAGS="-flags",
#            GRAPHICS=1 (make run: the display in a window, the console stays here)

BUILD    := build
GEN      := $(BUILD)/gen
ISO      := $(BUILD)/pagewise.iso
KERNEL   := $(BUILD)/kernel.elf

CC       := gcc
LD       := ld
NASM     := nasm
QEMU     := qemu-system-x86_64
PYTHON   := python3

MEM      ?= 128M
SMP      ?= 1
# make test: the whole suite on one CPU, then again on two (tests/harness.py
# --smp 1,2; docs/smp.md "Testing on several CPUs"); SMP=N given to make
# runs it at N only.
comma    := ,
TEST_SMP := $(if $(filter file,$(origin SMP)),1$(comma)2,$(SMP))
CMDLINE  ?=
QEMUFLAGS ?=
GRAPHICS ?=

# Kernel code: freestanding, linked in the top 2 GiB (-mcmodel=kernel), no
# red zone (interrupts push onto the stack below rsp), no SSE (the kernel
# does not save user SSE state around its own code), frame pointers kept
# for the panic backtrace.
CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
          -mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer \
          -fno-stack-protector -fno-asynchronous-unwind-tables \
          -fno-builtin -fno-strict-aliasing -O2 -g -Wall -Wextra -I. -MMD -MP
NASMFLAGS := -f elf64 -g -F dwarf -I$(GEN)/ -Iboot/ -Ikernel/
LDFLAGS  := -n -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

KSRC := $(wildcard kernel/*.c mm/*.c drivers/*.c tests/kernel/*.c)
ASRC := $(wildcard boot/*.asm kernel/*.asm)
KOBJ := $(KSRC:%.c=$(BUILD)/%.o) $(ASRC:%.asm=$(BUILD)/%.o)

QEMU_BASE := $(QEMU) -cpu max -smp $(SMP) -m $(MEM) -no-reboot \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
             -cdrom $(ISO) -boot d

.PHONY: all run debug test test-host test-mutants bench soak exec fmt clean tools lab grade labcheck pictures
all: tools $(ISO)

# ---- tools: install what is missing (as root on Debian) or say how ----
TOOL_PKGS := gcc:gcc ld:binutils nasm:nasm grub-mkrescue:grub-common \
             xorriso:xorriso mformat:mtools qemu-system-x86_64:qemu-system-x86 \
             musl-gcc:musl-tools python3:python3
GRUB_BIOS_DIR := /usr/lib/grub/i386-pc
tools:
	@missing=""; \
	for tp in $(TOOL_PKGS); do \
	    t=$${tp%%:*}; p=$${tp#*:}; \
	    command -v $$t >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	[ -f $(GRUB_BIOS_DIR)/modinfo.sh ] || missing="$$missing grub-pc-bin"; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "tools: installing$$missing"; \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing \
	        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; } \
	        || exit 1; \
	    else \
	        echo "tools: missing$$missing. Install them with:"; \
	        echo "    sudo apt-get install -y$$missing"; exit 1; \
	    fi; \
	fi

# ---- the kernel ----
# memlayout.h is the one source of address constants: NASM reads it as
# %define lines, the linker script through the C preprocessor.
$(GEN)/memlayout.inc: mm/memlayout.h
	@mkdir -p $(@D)
	sed -n 's/^#define \([A-Z0-9_]*\) \(.*\)$$/%define \1 \2/p' $< > $@

$(GEN)/linker.ld: linker.ld mm/memlayout.h
	@mkdir -p $(@D)
	$(CC) -E -P -x c -I. $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm $(GEN)/memlayout.inc kernel/trapframe.inc kernel/percpu.inc
	@mkdir -p $(@D)
	$(NASM) $(NASMFLAGS) $< -o $@

# Backtraces need a symbol table inside the kernel. Link once with an
# empty table, generate the table from that link, link again. The table
# sits after .text/.rodata contents that do not change, so no function
# moves between the two links: the kernel rule below checks that.
$(BUILD)/ksyms0.o: kernel/mksyms.sh
	@mkdir -p $(@D)
	sh kernel/mksyms.sh /dev/null > $(BUILD)/ksyms0.c
	$(CC) $(CFLAGS) -c $(BUILD)/ksyms0.c -o $@

$(BUILD)/kernel.pass1.elf: $(KOBJ) $(BUILD)/ksyms0.o $(GEN)/linker.ld
	$(LD) $(LDFLAGS) -T $(GEN)/linker.ld -o $@ $(KOBJ) $(BUILD)/ksyms0.o

$(BUILD)/ksyms.o: $(BUILD)/kernel.pass1.elf kernel/mksyms.sh
	nm -n $< | sh kernel/mksyms.sh - > $(BUILD)/ksyms.c
	$(CC) $(CFLAGS) -c $(BUILD)/ksyms.c -o $@

$(KERNEL): $(KOBJ) $(BUILD)/ksyms.o $(GEN)/linker.ld
	$(LD) $(LDFLAGS) -T $(GEN)/linker.ld -o $@ $(KOBJ) $(BUILD)/ksyms.o
	@nm -n $(BUILD)/kernel.pass1.elf | grep -i ' t ' > $(BUILD)/text1.sym; \
	 nm -n $@ | grep -i ' t ' > $(BUILD)/text2.sym; \
	 cmp -s $(BUILD)/text1.sym $(BUILD)/text2.sym || \
	 { echo "ksyms: functions moved between the two links"; rm -f $@; exit 1; }

# ---- user programs and the initrd ----
# Ordinary static Linux programs: the same binaries run on Linux.
USER_CC     := musl-gcc
USER_CFLAGS := -static -O2 -Wall -Wextra -s
# The demos and tools go to /bin; the tests and benchmarks to $(TESTDIR), out
# of the way of `ls /bin` (the harness boots them with init=$(TESTDIR)/t_x).
DEMO_PROGS  := $(patsubst user/%.c,$(BUILD)/user/%,$(wildcard user/*.c))
TEST_PROGS  := $(patsubst tests/user/%.c,$(BUILD)/user/%,$(wildcard tests/user/t_*.c)) \
               $(patsubst tests/bench/%.c,$(BUILD)/user/%,$(wildcard tests/bench/*.c))
USER_PROGS  := $(DEMO_PROGS) $(TEST_PROGS)
TESTDIR     := /usr/libexec/pagewise
INITRD      := $(BUILD)/initrd.cpio

$(BUILD)/user/%: user/%.c $(wildcard user/*.h)
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

$(BUILD)/user/%: tests/user/%.c $(wildcard tests/user/*.h user/*.h)
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

$(BUILD)/user/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

# Debian's busybox-static (a static glibc program) joins the image when
# the machine has it: tests/user/t_busybox.c runs it (CI installs it).
BUSYBOX := $(wildcard /bin/busybox)

$(INITRD): $(USER_PROGS) iso/mkinitrd.py $(BUSYBOX)
	$(PYTHON) iso/mkinitrd.py -o $@ $(foreach p,$(DEMO_PROGS),bin/$(notdir $(p))=$(p)) \
	    $(foreach p,$(TEST_PROGS),$(TESTDIR:/%=%)/$(notdir $(p))=$(p)) \
	    $(if $(BUSYBOX),bin/busybox=$(BUSYBOX))

# ---- the ISO ----
$(ISO): $(KERNEL) $(INITRD) iso/grub.cfg
	@mkdir -p $(BUILD)/iso/boot/grub
	cp $(KERNEL) $(BUILD)/iso/boot/kernel.elf
	cp $(INITRD) $(BUILD)/iso/boot/initrd.cpio
	cp iso/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso 2>/dev/null || grub-mkrescue -o $@ $(BUILD)/iso

# ---- running ----
# -fw_cfg passes an extra command line that the kernel appends to GRUB's
# (drivers/fw_cfg.c), so every boot uses the same ISO.
FWCFG = $(if $(CMDLINE),-fw_cfg name=opt/pagewise/cmdline$(comma)string=$(subst $(comma),$(comma)$(comma),$(CMDLINE)))
comma := ,

# SWAP=256M: a swap disk made with mkswap, on the primary IDE channel.
# mkswap is in /sbin, outside an ordinary user's PATH on Debian: look there too.
MKSWAP := $(firstword $(shell command -v mkswap 2>/dev/null) $(wildcard /sbin/mkswap /usr/sbin/mkswap) mkswap)
SWAP_IMG = $(BUILD)/swap-$(SWAP).img
SWAPDRIVE = $(if $(SWAP),-drive file=$(SWAP_IMG)$(comma)format=raw$(comma)if=ide$(comma)index=0)
$(BUILD)/swap-%.img:
	@mkdir -p $(@D)
	rm -f $@ && (fallocate -l $* $@ 2>/dev/null || truncate -s $* $@) && chmod 600 $@
	$(MKSWAP) $@ >/dev/null 2>&1 || { echo "$(MKSWAP) $@ failed (util-linux)"; exit 1; }

# GRAPHICS=1: QEMU's own window (its default display: GTK or SDL, from
# Debian's qemu-system-gui) shows the PCI display, /dev/fb0; the serial
# console stays on this terminal. Without that package QEMU serves the
# display over VNC instead (it prints "VNC server running on 127.0.0.1:5900").
run: all $(if $(SWAP),$(SWAP_IMG))
	@echo "Pagewise: serial console here. Quit QEMU with Ctrl-A then X.$(if $(GRAPHICS), The display: QEMU's window.)"
	$(QEMU_BASE) $(if $(GRAPHICS),,-display none) -serial mon:stdio $(SWAPDRIVE) $(FWCFG) $(QEMUFLAGS); \
	 s=$$?; [ $$s = 1 ] || [ $$s = 0 ] || echo "qemu exit status $$s"

# gdb is needed here only, so the tools check above leaves it out.
debug: all
	@command -v gdb >/dev/null 2>&1 || { echo "debug: gdb is missing. Install it with:"; \
	    echo "    sudo apt-get install -y gdb"; exit 1; }
	@echo "QEMU waits for gdb on :1234; gdb loads $(KERNEL) (see kernel/gdbinit)."
	$(QEMU_BASE) -display none -serial file:$(BUILD)/debug-serial.log -s -S $(FWCFG) $(QEMUFLAGS) & \
	 gdb -q -x kernel/gdbinit $(KERNEL); kill %1 2>/dev/null || true

test: all
	$(PYTHON) tests/doccheck.py
	$(PYTHON) tests/mutants.py --check
	$(PYTHON) tests/lab.py check
	$(PYTHON) tests/harness.py --iso $(ISO) --jobs 2 --logdir $(BUILD)/test --smp $(TEST_SMP)
	$(PYTHON) tests/doccheck.py --tour-log $(BUILD)/test/tour.log docs/tour.md
	$(PYTHON) tests/lab.py labcheck

# The pictures of docs/ (docs/mmio.md): a headless boot types memview and
# swapdemo at the shell and takes screendumps (tests/boots.py PICTURES,
# tests/screendump.py); palette PNGs of a few KiB each.
pictures: all
	$(PYTHON) tests/harness.py --iso $(ISO) --pictures docs/img --logdir $(BUILD)/pictures

# Run one static program as init (see README.md): make exec PROG=... ARGS="..."
TIMEOUT ?= 600
SWAP ?=
exec: export EXEC_PROG = $(PROG)
exec: export EXEC_ARGS = $(ARGS)
exec: export EXEC_MEM = $(MEM)
exec: export EXEC_SWAP = $(SWAP)
exec: export EXEC_TIMEOUT = $(TIMEOUT)
exec: export EXEC_QEMUFLAGS = $(QEMUFLAGS)
exec: export EXEC_CMDLINE = $(CMDLINE)
exec: all $(if $(SWAP),$(SWAP_IMG))
	@$(PYTHON) tests/exec.py --iso $(ISO) $(if $(SWAP),--swap-image $(SWAP_IMG))

# Benchmarks: QEMU -icount shift=0 makes the guest's rdtsc count
# instructions, so the figures repeat. They print, never pass or fail.
# The swap benchmark gets a fresh (sparse, mkswap'ed) disk each time, as
# every test boot does: a disk full of old data is slower to read on the host.
bench: all
	@$(PYTHON) tests/exec.py --iso $(ISO) --prog $(BUILD)/user/bench --qemuflags "-icount shift=0" --timeout 600 \
	    | grep -E "^BENCH|exit status"
	@echo "two CPUs (wall clock, -smp 2 without -icount: varies with the host's load):"
	@$(PYTHON) tests/exec.py --iso $(ISO) --prog $(BUILD)/user/bench --args smp --qemuflags "-smp 2" --timeout 600 \
	    | grep -E "^BENCH|exit status"
	@echo "swapping (wall clock, 96 MiB RAM, a fresh 256 MiB swap disk):"
	@rm -f $(BUILD)/bench-swap.img && truncate -s 256M $(BUILD)/bench-swap.img && $(MKSWAP) $(BUILD)/bench-swap.img >/dev/null 2>&1
	@$(PYTHON) tests/exec.py --iso $(ISO) --prog $(BUILD)/user/swapbench --mem 96M \
	    --swap-image $(BUILD)/bench-swap.img --timeout 900 | grep -E "^BENCH|exit status"

# A longer run of the mm stress test (tests/user/t_mmfuzz.c) than make test's:
# seeds 1..SEEDS, OPS operations each, 48 MiB RAM, 128 MiB swap, vm_check
# after every SOAK_VMCHECK-th mm event. Prints the summary; fails on the
# first mismatch or violation, with the seed and step that replay it.
SEEDS ?= 20
OPS ?= 10000
SOAK_VMCHECK ?= vmcheck=8
soak: all $(BUILD)/swap-128M.img
	@$(PYTHON) tests/exec.py --iso $(ISO) --prog $(BUILD)/user/t_mmfuzz --args "--seeds $(SEEDS) --ops $(OPS)" \
	    --mem 48M --swap-image $(BUILD)/swap-128M.img --cmdline "$(SOAK_VMCHECK)" --timeout 36000 \
	    | grep -E "^mmfuzz|^# |^TEST|vm_check|PANIC|exit status"

# The user-space tests natively on this Linux machine: they must pass on
# Linux too, so a test that is wrong about Linux cannot shape the kernel.
test-host:
	sh tests/user/run-host.sh

# Break each tested property on purpose and check a test notices.
test-mutants: all
	$(PYTHON) tests/mutants.py

# Labs generated from this tree (tests/lab.py, docs/labs/README.md): a
# lab's tree has the bodies marked LAB NAME/... replaced by stubs. In a
# lab's tree NAME defaults to its lab (the file .lab). FORCE=1 replaces an
# existing lab tree (your work in it is lost).
# (:= and not ?=: an environment variable NAME, which WSL sets, must not pick a lab)
NAME :=
LABDIR ?= $(BUILD)/lab-$(NAME)
lab:
	@$(PYTHON) tests/lab.py $(if $(NAME),make $(NAME) --dir $(LABDIR) $(if $(FORCE),--force),list)

grade: all
	@$(PYTHON) tests/lab.py grade $(NAME)

# Each lab's skeleton must build without a warning and FAIL its grade (about
# 1.5 minutes for the six; make test ends with it). The full tree's PASS is
# make test's: every grade is a set of its boots.
labcheck: all
	$(PYTHON) tests/lab.py labcheck

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(KOBJ:.o=.d)
