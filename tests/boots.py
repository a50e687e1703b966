"""The list of QEMU boots that tests/harness.py runs against build/pagewise.iso.

Every boot uses the same ISO; what differs is the kernel command line, which
the harness hands to the kernel through the fw_cfg file opt/pagewise/cmdline.

Keys of each entry:
  name       unique boot name; also names the serial log (<logdir>/<name>.log)
  cmdline    extra kernel command line
  kind       "tests": the kernel runs in-kernel tests and reports them with
                      TESTS <n> / TEST <name> PASS|FAIL ... / TESTS DONE
             "panic": the boot is expected to end in a kernel panic
                      (isa-debug-exit value 0x10 -> QEMU exit code 33)
  timeout    seconds before the harness kills QEMU and reports a hang (default 60)
  mem        guest RAM, QEMU -m syntax (default "128M")
  expect     regexes that must all match somewhere in the serial log
             (required for "panic" boots, optional for "tests" boots)
  qemu_args  extra QEMU arguments, a list of strings (optional)
  swap       size of a swap disk on the primary IDE channel (optional);
             the harness makes a fresh image per boot and runs mkswap on it
  swap_signature  False: leave the disk all zeroes (no SWAPSPACE2)
  disk_errors     [(iotype, sector), ...]: QEMU's blkdebug fails every
             "read" or "write" request that covers the sector (EIO)
  cpus       of make test's passes (--smp 1,2), the CPU counts this boot
             runs in (default: every pass; tests/harness.py cpu_passes)
  script     "console" boots: the steps typed at the shell (tests/harness.py
             run_console: send, expect, then_send, repeat, since_previous)
  screendumps  names of the pictures the guest asks for ("@@screendump NAME
             ..." on its console, tests/screendump.py); each is one more
             result, and one never asked for fails
"""
import os
import re

# Where the initrd keeps the test and benchmark programs (the Makefile's
# TESTDIR): /bin holds the demos and tools only.
TESTDIR = "/usr/libexec/pagewise"

BOOTS = [
    # The main run: every in-kernel unit test, on a normal 128 MiB machine.
    {
        "name": "ktest",
        "cmdline": "test=all",
        "mem": "128M",
        "timeout": 90,
        "kind": "tests",
    },
    # The kmalloc tests again, this time with "quiet" on the command line:
    # checks that quiet boot still reports results and does not break them.
    {
        "name": "boot_quiet",
        "cmdline": "quiet test=kmalloc*",
        "timeout": 60,
        "kind": "tests",
    },
    # Recursing without bound must run into the kernel stack's guard page; the
    # resulting fault is taken on the double-fault IST stack and reported as a
    # stack overflow instead of triple-faulting the machine.
    {
        "name": "panic_stack_overflow",
        "cmdline": "test=panic_stack_overflow",
        "timeout": 60,
        "kind": "panic",
        "expect": [r"KERNEL PANIC", r"kernel stack overflow", r"Double fault"],
    },
    # Touching an unmapped kernel address must panic with a useful report:
    # the faulting address (CR2), the decoded error code, and the faulting
    # RIP resolved to a symbol+offset.
    {
        "name": "panic_page_fault",
        "cmdline": "test=panic_page_fault",
        "timeout": 60,
        "kind": "panic",
        "expect": [
            r"KERNEL PANIC",
            r"Page fault",
            r"CR2",
            r"not present",
            r"ktest_panic_page_fault\+0x",
        ],
    },
    # The lock checker (kernel/lockdep.h) for real: two spinlocks taken in
    # both orders panic at the second order, naming both classes and sites.
    {
        "name": "panic_lock_inversion",
        "cmdline": "test=panic_lock_inversion",
        "timeout": 60,
        "kind": "panic",
        "expect": [r"KERNEL PANIC: lockdep: lock order inversion: ktest_panic_a taken at "
                   r"ktest_panic_lock_inversion\+0x[0-9a-f]+ while holding ktest_panic_b",
                   r"the other order, ktest_panic_a then ktest_panic_b, was seen at ktest_panic_lock_inversion\+0x"],
    },
    # schedule() with a spinlock held: the CPU would switch with interrupts
    # off and the lock taken.
    {
        "name": "panic_sleep_with_spinlock",
        "cmdline": "test=panic_sleep_with_spinlock",
        "timeout": 60,
        "kind": "panic",
        "expect": [r"KERNEL PANIC: lockdep: schedule\(\) with spinlock ktest_panic_a held "
                   r"\(taken at ktest_panic_sleep_with_spinlock\+0x"],
    },
]

# ---- user-space tests: ordinary static Linux programs (tests/user/), run
# as init; they print the same TEST lines and exit 0 when all passed. The
# same binaries pass on Linux: tests/user/run-host.sh (make test-host).
for prog, timeout in (("t_lazy", 120), ("t_proc", 180), ("t_hostile", 120), ("t_files", 60), ("t_busybox", 120),
                      ("t_shm", 120), ("t_cow", 180), ("t_exec", 120), ("t_pipe", 120), ("t_signal", 120),
                      ("t_procfs", 120), ("t_fuzz", 300), ("t_tlb", 60), ("t_creds", 120)):
    BOOTS.append({"name": prog, "cmdline": f"vmcheck init={TESTDIR}/{prog}", "timeout": timeout, "kind": "tests"})
    if prog in ("t_cow", "t_shm", "t_creds"):  # their swapped-out cases (MADV_PAGEOUT) need a swap disk
        BOOTS[-1]["swap"] = "64M"

# ---- threads (issue 18): musl's pthreads unchanged (tests/user/t_threads.c)
# and raw futex calls, robust lists and CLONE_CHILD_CLEARTID
# (tests/user/t_futex.c), vm_check after every fork, exit, munmap and
# mprotect (every joined thread's stack is an munmap).
for prog in ("t_threads", "t_futex"):
    BOOTS.append({"name": prog, "cmdline": f"vmcheck init={TESTDIR}/{prog}", "timeout": 240, "kind": "tests"})

# ---- several CPUs (docs/smp.md): QEMU's -smp 2 and -smp 4 after the
# harness's -smp 1 (the last one counts). The APs come up through the
# trampoline and run tasks under the big kernel lock; t_smp reads
# /proc/cpuinfo and checks that fork, exec, threads and sleeps work.
# Multi-threaded TCG shares the two host cores with parallel boots:
# generous timeouts.
for ncpus in (2, 4):
    BOOTS.append({"name": f"smp{ncpus}", "cmdline": f"vmcheck init={TESTDIR}/t_smp", "timeout": 180, "kind": "tests",
                  "qemu_args": ["-smp", str(ncpus)],
                  "expect": [r"ACPI: MADT: %d CPUs" % ncpus, r"smp: CPU %d \(APIC id %d\) online" % (ncpus - 1, ncpus - 1),
                             r"smp: Brought up 1 node, %d CPUs" % ncpus]})

# ---- TLB shootdown (docs/tlb.md): threads pinned to two CPUs, one using
# a page while the other unmaps, write-protects or forks it
# (tests/user/t_shootdown.c), at 1, 2 and 4 CPUs; vm_check also checks
# after every mm event that each shootdown was answered. Then the thread,
# futex and mm stress tests with their threads spread over 2 and 4 CPUs
# (t_mmfuzz also moves them itself: sched_setaffinity before one command in
# four, and half its side threads before every pass. It runs a quarter of
# its operations at 2 CPUs and 1/13 at 4: with 4 virtual CPUs on 2 host
# cores the CPUs spinning for the big kernel lock take host time from the
# one holding it, and 4 seeds of 5,000 took 316 s).
for ncpus in (1, 2, 4):
    BOOTS.append({"name": f"t_shootdown_smp{ncpus}", "cmdline": f"vmcheck init={TESTDIR}/t_shootdown", "timeout": 240,
                  "kind": "tests", "qemu_args": ["-smp", str(ncpus)]})
for ncpus in (2, 4):
    for prog in ("t_threads", "t_futex"):
        BOOTS.append({"name": f"{prog}_smp{ncpus}", "cmdline": f"vmcheck init={TESTDIR}/{prog}", "timeout": 300,
                      "kind": "tests", "qemu_args": ["-smp", str(ncpus)]})
    ops = "--seeds 2 --ops 5000" if ncpus == 2 else "--seeds 1 --ops 3000"
    BOOTS.append({"name": f"t_mmfuzz_smp{ncpus}", "cmdline": f"vmcheck=4 init={TESTDIR}/t_mmfuzz -- {ops}",
                  "mem": "48M", "swap": "128M", "timeout": 600, "kind": "tests", "qemu_args": ["-smp", str(ncpus)]})
# Races the big kernel lock does not prevent (docs/smp.md): a thread on
# CPU 1 writes pages while CPU 0 pages them out (MADV_PAGEOUT) or
# write-protects them, at 2 and 4 CPUs; a lost write fails.
for ncpus in (2, 4):
    BOOTS.append({"name": f"t_smprace_smp{ncpus}", "cmdline": f"vmcheck=64 init={TESTDIR}/t_smprace", "mem": "64M",
                  "swap": "64M", "timeout": 240, "kind": "tests", "qemu_args": ["-smp", str(ncpus)]})
# The shootdown demo (user/shootdown.c) at the shell on two CPUs: every
# access after munmap/mprotect faults; with tlb_noshootdown (no IPI for user
# pages) the reader on CPU 1 reads on through its stale TLB entry.
for off in (False, True):
    BOOTS.append({"name": "shootdown_demo" + ("_off" if off else ""), "kind": "console", "timeout": 60,
                  "cmdline": "tlb_noshootdown" if off else "vmcheck", "qemu_args": ["-smp", "2"], "script": [
                      {"name": "demo", "send": "shootdown; echo status=$?\n",
                       "expect": ([r"100000 reads went through AFTER the call returned: CPU 1 used a stale TLB entry",
                                   r"^status=1\r?$"] if off else
                                  [r"reader's next access after the call returned: SIGSEGV",
                                   r"writer's next access after the call returned: SIGSEGV", r"^status=0\r?$"])}]})

# ---- the 8259A PIC and the PIT instead of the IO-APIC and the local APIC
# timer (`noapic`): the old interrupt path stays tested with the timer, the
# serial line and the disk (t_cow swaps) all interrupting.
BOOTS.append({"name": "noapic", "cmdline": f"noapic vmcheck init={TESTDIR}/t_cow", "swap": "64M", "timeout": 180,
              "kind": "tests", "expect": [r"irq: noapic", r"PIT channel 0 ticks"]})
# The PIT's ticks do the work with noapic: time slices between spinners,
# sleeps that end (t_proc).
BOOTS.append({"name": "noapic_timer", "cmdline": f"noapic init={TESTDIR}/t_proc", "timeout": 120,
              "kind": "tests", "expect": [r"irq: noapic", r"PIT channel 0 ticks"]})

# ---- overcommit and the address-space limits (tests/user/t_overcommit.c):
# the three modes on 128 MiB without swap (the reported sbrk(1000 MiB)) and
# again with 64 MiB of swap (CommitLimit counts it), vm_check after every
# event (it recounts Committed_AS).
BOOTS += [
    {"name": "t_overcommit", "cmdline": f"vmcheck init={TESTDIR}/t_overcommit", "mem": "128M", "timeout": 120,
     "kind": "tests"},
    {"name": "t_overcommit_swap", "cmdline": f"vmcheck init={TESTDIR}/t_overcommit", "mem": "128M", "swap": "64M",
     "timeout": 120, "kind": "tests"},
]

# ---- the shell, driven through the serial console like a user would:
# each step waits for the prompt, types, and expects a line back.
BOOTS.append({
    "name": "shell",
    "kind": "console",
    "timeout": 60,
    "script": [
        {"name": "help", "send": "help\n", "expect": r"builtins"},
        {"name": "run_program", "send": "hello a b\n", "expect": r"hello from pid \d+: \[hello\] \[a\] \[b\]"},
        {"name": "pipeline", "send": "echo one two | cat | cat\n", "expect": r"^one two\r?$"},
        {"name": "redirect_in", "send": "cat < /proc/version\n", "expect": r"Pagewise version"},
        {"name": "exit_status", "send": "nosuch; echo $?\n", "expect": r"^127\r?$"},
        {"name": "redirect_out", "send": "echo gone > /dev/null; echo $?\n", "expect": r"^0\r?$"},
        {"name": "background", "send": "hello bg &\n", "expect": r"^\[\d+\]"},
        # The job's end is reported at the first prompt after it: before
        # the next prompt already when it ended while the shell printed
        # "[pid]" (another CPU ran it, or Linux's scheduler did), else after
        # an Enter (bash does the same with "Done").
        {"name": "background_done", "send": "\n", "repeat": 2, "since_previous": True,
         "expect": r"\[\d+\] done \(status 0\)"},
        {"name": "ctrl_c", "send": "cat\n", "then_send": "\x03", "expect": r"\^C"},
        {"name": "after_ctrl_c", "send": "echo still here\n", "expect": r"^still here\r?$"},
        {"name": "exit", "send": "exit 3\n", "expect": r"init: /bin/sh ended \(status 3\)"},
    ],
})

# ---- memview in the background while demos change memory (the shell's
# `&`): it keeps drawing into its mapping of /dev/fb0 and is still alive
# after them; the last picture stays in the log directory. vm_check runs
# once at the end (after every event it makes swapdemo take a minute).
BOOTS.append({
    "name": "memview_shell",
    "kind": "console",
    "mem": "128M",
    "swap": "256M",
    "timeout": 60,
    "step_timeout": 150,
    "script": [
        {"name": "background", "send": "memview &\n", "expect": r"^\[\d+\]"},
        {"name": "cow", "send": "cow; echo status=$?\n", "expect": r"^status=0\r?$"},
        {"name": "shmdemo", "send": "shmdemo; echo status=$?\n", "expect": r"^status=0\r?$"},
        {"name": "swapdemo", "send": "swapdemo 144; echo status=$?\n", "expect": r"^status=0\r?$"},
        {"name": "still_drawing", "send": "ps\n", "expect": r"memview", "screendump": "memview-live",
         "screendump_delay": 0.5},
        {"name": "vm_check", "send": "cat /proc/vmcheck\n", "expect": r"vm_check: ok"},
    ],
})

# ---- the ten-minute tour of docs/tour.md, typed at the shell: the page is
# the script. Each indented "pagewise$ CMD" line is one step; the phrases in
# backquotes on its "Look for:" line must appear, and the demo must exit 0.
def tour_steps(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "tour.md")):
    steps = []
    for line in open(path):
        if line.startswith("    pagewise$ "):
            cmd = line[len("    pagewise$ "):].strip()
            steps.append({"name": "%d_%s" % (len(steps) + 1, cmd.split()[0]), "send": cmd + "; echo status=$?\n",
                          "expect": [], "timeout": 150 if cmd.startswith("swapdemo") else 40})
        elif line.startswith("Look for:") and steps:
            steps[-1]["expect"] = [re.escape(p) for p in re.findall(r"`([^`]+)`", line)]
    for step in steps:
        step["expect"].append(r"^status=0\r?$")
    return steps


BOOTS.append({"name": "tour", "kind": "console", "mem": "128M", "swap": "256M", "timeout": 60, "cmdline": "vmcheck",
              "script": tour_steps()})

# ---- swapping: small RAM, a swap disk (mkswap'ed by the harness) ----
# Every boot that swaps runs with vmcheck: the kernel's invariant checker
# after every fork, exit, munmap, mprotect, swap-in and reclaim pass (t_swap
# after every 64th: it swaps 100,000 pages, and one check of 64 MiB costs
# about a millisecond under TCG).
BOOTS += [
    # Twice the RAM, three patterns, three processes, COW-shared pages, a
    # CPU-bound process beside a swapping one; all words intact.
    {"name": "t_swap", "cmdline": f"vmcheck=64 init={TESTDIR}/t_swap", "mem": "64M", "swap": "256M", "timeout": 900, "kind": "tests"},
    # The two bugs that composing mechanisms caused (docs/page-lifecycle.md):
    # COW + swap + mprotect, and written .data through swap twice; 96 MiB as
    # they were reported, whole-RAM pressure and MADV_PAGEOUT variants.
    {"name": "t_mmcompose", "cmdline": f"vmcheck=8 init={TESTDIR}/t_mmcompose", "mem": "96M", "swap": "256M",
     "timeout": 600, "kind": "tests"},
    # The mm stress test: 50,000 random mm operations over up to 16
    # processes under memory pressure, every read checked against a model;
    # vm_check after every 4th fork, exit, munmap, mprotect, swap-in and
    # reclaim pass (after every one: 150 s; make soak runs longer). One
    # command in four runs in a thread or beside one (--no-threads: none),
    # one in four moves its thread to a CPU drawn from the seed first (on
    # one CPU a no-op; --no-migrations: none).
    # Its runs on 2 and 4 CPUs are t_mmfuzz_smp2/4 (a quarter of the ops
    # and less): the full budget on 2 CPUs took 65 s alone and more than
    # 600 s on this shared 2-core host, so make test's -smp 2 pass skips it.
    {"name": "t_mmfuzz", "cmdline": f"vmcheck=4 init={TESTDIR}/t_mmfuzz",
     "mem": "48M", "swap": "128M", "timeout": 300, "kind": "tests", "cpus": [1]},
    # Compaction moves pages under COW and shm sharing, with swap present
    # and vm_check after the pass (mm/compaction.c).
    {"name": "t_compact", "cmdline": f"vmcheck init={TESTDIR}/t_compact", "mem": "128M", "swap": "64M", "timeout": 300,
     "kind": "tests"},
    # Page replacement keeps a working set: a hot set beside a cold stream
    # three times the RAM; clock's second chance keeps the hot set, FIFO
    # would not (tests/user/t_clock.c; it grades the clock lab).
    {"name": "t_clock", "cmdline": f"vmcheck=64 init={TESTDIR}/t_clock", "mem": "32M", "swap": "128M",
     "timeout": 300, "kind": "tests"},
    # AVX state per process: switches, fork, execve, a corrupted signal frame (kernel/fpu.c).
    {"name": "t_xstate", "cmdline": f"init={TESTDIR}/t_xstate", "timeout": 120, "kind": "tests"},
    # The PCI display as /dev/fb0, through ioremap (drivers/fb.c, mm/ioremap.c).
    # A pattern in the video RAM is what the display shows (a screendump).
    {"name": "t_fb", "cmdline": f"vmcheck init={TESTDIR}/t_fb", "timeout": 120, "kind": "tests",
     "screendumps": ["fb_pattern"]},
    # The same with RAM above 4 GiB: the video RAM's frames then lie inside
    # the frame table (in the PCI hole below 4 GiB, reserved descriptors),
    # not beyond it; vm_check must still call them device frames, not RAM.
    {"name": "t_fb_highmem", "cmdline": f"vmcheck init={TESTDIR}/t_fb", "mem": "4608M", "timeout": 180,
     "kind": "tests", "screendumps": ["fb_pattern"]},
    # memview draws each frame in the colour of its kpageflags (a screendump).
    {"name": "t_memview", "cmdline": f"vmcheck init={TESTDIR}/t_memview", "mem": "128M", "timeout": 120,
     "kind": "tests", "screendumps": ["memview"]},
    # Every frame's state as Linux's /proc/kpageflags shows it (mm/kpageflags.c).
    {"name": "t_kpage", "cmdline": f"vmcheck init={TESTDIR}/t_kpage", "timeout": 120, "kind": "tests"},
    # The page tables as Linux's ptdump prints them (mm/ptdump.c).
    {"name": "t_ptdump", "cmdline": f"init={TESTDIR}/t_ptdump", "timeout": 120, "kind": "tests"},
    # Limits (docs/limits.md): a root fork bomb stops at threads-max (1,000
    # tasks on 128 MiB) with EAGAIN and nothing is OOM-killed; RLIMIT_NPROC,
    # RLIMIT_NOFILE, oom_score_adj. vm_check after every 16th fork, exit...:
    # the bomb's 936 processes share one anon_vma, so one check walks
    # 936 VMAs per shared page (9 s; every 4th: 50 s; every one: > 10 min).
    {"name": "t_limits", "cmdline": f"vmcheck=16 init={TESTDIR}/t_limits", "mem": "128M", "timeout": 600, "kind": "tests"},
    # RAM and swap both too small: the hog is OOM-killed, nothing else, not
    # even a larger process at oom_score_adj -1000; one line says why.
    {"name": "t_oom", "cmdline": f"vmcheck init={TESTDIR}/t_oom", "mem": "48M", "swap": "16M", "timeout": 600, "kind": "tests",
     "expect": [r"oom: killed pid \d+ \(t_oom\): badness \d+ pages \(rss \d+, swap \d+, page tables \d+, "
                r"kernel stack 4\), oom_score_adj 0; \d+ candidates"]},
    # Disk errors (QEMU blkdebug; a slot is 8 sectors, slot n = sectors 8n..8n+7):
    # a failed swap-out keeps the page in memory and retires the slot...
    {"name": "swap_write_error", "cmdline": f"vmcheck init={TESTDIR}/t_swaperr -- write-error", "mem": "32M", "swap": "64M",
     "disk_errors": [("write", 64 * 8)], "timeout": 300, "kind": "tests",
     "expect": [r"disk error writing slot 64 ", r"writing slot 64 failed: the page stays in memory",
                r"slot 64 is bad \(a write failed\)"]},
    # ... a failed swap-in gives SIGBUS to the page's owner and nobody else
    # (with ata=pio: the PIO path of drivers/ata.c gets its run here).
    {"name": "swap_read_error", "cmdline": f"vmcheck ata=pio init={TESTDIR}/t_swaperr -- read-error", "mem": "32M", "swap": "64M",
     "disk_errors": [("read", 1500 * 8)], "timeout": 300, "kind": "tests",
     "expect": [r"disk error reading slot 1500 ", r"swap-in failed \(disk error\) at rip 0x[0-9a-f]+ -> SIGBUS",
                r"hog: SIGBUS at region\+0x[0-9a-f]+ \(si_code 2\)\r?$"]},
    # A disk without the SWAPSPACE2 signature is refused; the kernel runs on.
    {"name": "swap_refused", "cmdline": f"init={TESTDIR}/t_files", "swap": "16M", "swap_signature": False,
     "timeout": 60, "kind": "tests", "expect": [r"no SWAPSPACE2 signature"]},
]

# ---- pictures for docs/ (make pictures; not part of make test): console
# boots whose steps with a "screendump" key take a picture once their
# expects matched; the harness's --pictures DIR copies them to DIR.
PICTURES = [{
    "name": "pictures",
    "kind": "console",
    "mem": "128M",
    "swap": "256M",
    "timeout": 60,
    "step_timeout": 150,
    "script": [
        # Just booted: the kernel image, the initrd, the frame table, free RAM.
        {"name": "memview_once", "send": "memview --once\n", "expect": r"memview: drew \d+ frames",
         "screendump": "memview-boot"},
        {"name": "memview_background", "send": "memview --interval 100 &\n", "expect": r"^\[\d+\]"},
        # swapdemo has written a region larger than RAM: its pages fill RAM,
        # the rest is on the disk (the picture is of a moment: it varies).
        {"name": "swapdemo", "send": "swapdemo 144\n", "expect": r"2\. page 0 after",
         "screendump": "memview-swapdemo", "screendump_delay": 0.3},
        # swapdemo is gone; pages read back from swap and then freed stay
        # in the swap cache a while.
        {"name": "after_swapdemo", "send": "echo swapdemo ended\n", "expect": r"^swapdemo ended\r?$",
         "screendump": "memview-after-swapdemo", "screendump_delay": 0.5},
    ],
}]
