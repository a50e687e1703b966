#!/usr/bin/env python3
"""tests/exec.py - run one static Linux program on Pagewise (`make exec`).

    make exec PROG=path/to/static-elf ARGS="a b c" MEM=128M TIMEOUT=600 QEMUFLAGS=...
    python3 tests/exec.py --iso build/pagewise.iso --prog PROG [--args "a b c"] ...

The program is handed to QEMU as the fw_cfg file opt/pagewise/bin/<name>
(the kernel adds it to /bin), its argv as opt/pagewise/argv (NUL-separated:
argv[0] is the name, the rest is ARGS split like a POSIX shell splits words),
and the kernel runs it as init with PATH=/bin HOME=/. Its output and the
kernel's console stream to this terminal. When it ends the kernel prints

    pagewise: init (pid 1, /bin/NAME) exited with status N
    pagewise: init (pid 1, /bin/NAME) killed by signal N (SIGxxx)

and powers off; this script exits with N, or 128+N for a signal, and says so
on its last line. SWAP=256M adds a swap disk (made with mkswap) on the IDE bus.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import threading

EXITED = re.compile(rb"pagewise: init \(pid 1, [^)]*\) exited with status (\d+)")
KILLED = re.compile(rb"pagewise: init \(pid 1, [^)]*\) killed by signal (\d+) \((\w+)\)")
PANIC = re.compile(rb"KERNEL PANIC")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iso", default="build/pagewise.iso")
    ap.add_argument("--prog", default=os.environ.get("EXEC_PROG", ""))
    ap.add_argument("--args", default=os.environ.get("EXEC_ARGS", ""))
    ap.add_argument("--mem", default=os.environ.get("EXEC_MEM", "128M"))
    ap.add_argument("--swap", default=os.environ.get("EXEC_SWAP", ""))
    ap.add_argument("--swap-image", default="", help="a mkswap'ed disk image for the primary IDE channel")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("EXEC_TIMEOUT") or 600))
    ap.add_argument("--qemuflags", default=os.environ.get("EXEC_QEMUFLAGS", ""))
    ap.add_argument("--cmdline", default=os.environ.get("EXEC_CMDLINE", ""))
    ap.add_argument("--workdir", default="build/exec")
    a = ap.parse_args()
    if not a.prog or not os.path.isfile(a.prog):
        sys.exit(f"exec: PROG={a.prog!r}: no such file (make exec PROG=path/to/static-elf)")
    with open(a.prog, "rb") as f:
        head = f.read(4)
    if head != b"\x7fELF":
        sys.exit(f"exec: {a.prog} is not an ELF file")
    name = os.path.basename(a.prog)
    os.makedirs(a.workdir, exist_ok=True)
    argv_file = os.path.join(a.workdir, "argv")
    with open(argv_file, "wb") as f:
        f.write(b"".join(w.encode() + b"\0" for w in [name] + shlex.split(a.args)))
    cmdline = f"init=/bin/{name} {a.cmdline}".strip().replace(",", ",,")
    qemu = ["qemu-system-x86_64", "-cpu", "max", "-smp", "1", "-m", a.mem, "-no-reboot", "-display", "none",
            "-monitor", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-cdrom", a.iso, "-boot", "d",
            "-fw_cfg", f"name=opt/pagewise/bin/{name},file={a.prog.replace(',', ',,')}",
            "-fw_cfg", f"name=opt/pagewise/argv,file={argv_file.replace(',', ',,')}",
            "-fw_cfg", f"name=opt/pagewise/cmdline,string={cmdline}"] + shlex.split(a.qemuflags)
    if a.swap_image:
        qemu += ["-drive", f"file={a.swap_image},format=raw,if=ide,index=0"]
    proc = subprocess.Popen(qemu, stdout=subprocess.PIPE, stdin=sys.stdin if sys.stdin.isatty() else subprocess.DEVNULL)
    seen = {"status": None, "panic": False}

    def pump():
        for line in iter(proc.stdout.readline, b""):
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            if (m := EXITED.search(line)):
                seen["status"] = (int(m.group(1)), None)
            elif (m := KILLED.search(line)):
                seen["status"] = (128 + int(m.group(1)), m.group(2).decode())
            elif PANIC.search(line):
                seen["panic"] = True

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        reader.join(2)
        print(f"exec: timeout after {a.timeout:g} s: QEMU killed")
        return 124
    reader.join(5)
    if seen["status"] is None:
        why = "kernel panic" if seen["panic"] else f"QEMU exited with {proc.returncode} before the program ended"
        print(f"exec: {why}")
        return 125
    status, sig = seen["status"]
    print(f"exit status {status}" + (f" ({sig})" if sig else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
