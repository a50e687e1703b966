#!/usr/bin/env python3
"""Pagewise host test harness: boot the kernel ISO in QEMU and judge the runs.

Usage:
  python3 tests/harness.py --iso build/pagewise.iso [--jobs 2] [--only NAME[,NAME]]
                           [--logdir build/test] [--qemu qemu-system-x86_64] [--list]

The boots come from tests/boots.py (see there for the keys).  Every boot is
one QEMU run; its serial output goes to <logdir>/<name>.log.

How a run ends (QEMU isa-debug-exit: process exit code = (value << 1) | 1,
and -no-reboot turns a guest reset or triple fault into exit code 0):
  1  kernel wrote 0     finished, all its tests passed
  3  kernel wrote 1     finished, at least one test failed
  33 kernel wrote 0x10  kernel panic
  0                     triple fault / reset
  (killed)              hang: still running at the boot's timeout

Serial protocol of "tests" boots, one item per line, optionally after a
printk timestamp such as "[    0.123456] ":
  TESTS <n>                  n tests will run
  TEST <name> PASS           one result
  TEST <name> FAIL <why...>  one result
  TESTS DONE                 end of the run
A panic prints a line starting with "KERNEL PANIC".

Screendumps (tests/screendump.py): a boot with a "screendumps" key gets a
QMP socket and its serial line on a pipe; the guest prints
  @@screendump NAME X,Y=RRGGBB[:LABEL] ...
and waits for "@@screendump-done NAME ok|bad" on its console. Each picture
is one more result, <boot>/screendump-NAME (not counted in TESTS <n>), and
stays in the log directory as <boot>-NAME.ppm and .png. A console step
with a "screendump" key takes one after its expects matched (no check);
--pictures DIR runs the PICTURES boots and copies those PNGs to DIR.

Exit status of the harness: 0 iff nothing failed and at least one test passed.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import queue
import subprocess
import sys
import tempfile
import threading
import time

# tests/boots.py sits next to this file (no __pycache__ left in tests/).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boots import BOOTS, PICTURES  # noqa: E402
import screendump  # noqa: E402

DEFAULT_MEM = "128M"
DEFAULT_TIMEOUT = 60
TAIL_LINES = 40  # serial log lines shown after a failure

# isa-debug-exit codes (see the module docstring).
EXIT_PASSED, EXIT_FAILED, EXIT_PANIC, EXIT_RESET = 1, 3, 33, 0
NOT_STARTED = -1000  # our own marker: QEMU could not be started at all
QMP_JOIN_TIMEOUT = 60  # seconds to wait for a screendump still being written at QEMU's exit

# Optional printk timestamp at the start of a line: "[    0.123456] ".
TIMESTAMP_RE = re.compile(r"^\[\s*\d+\.\d+\]\s?")
TESTS_RE = re.compile(r"^TESTS (\d+)\s*$")
DONE_RE = re.compile(r"^TESTS DONE\s*$")
RESULT_RE = re.compile(r"^TEST (\S+) (PASS|FAIL)(?:\s+(.*?))?\s*$")
PANIC_RE = re.compile(r"^KERNEL PANIC")

# QEMU processes still running, so Ctrl-C can stop them.
running = set()
running_lock = threading.Lock()


def describe_exit(code, timeout):
    """Say in words what a QEMU exit code means (None = killed at timeout)."""
    if code is None:
        return "hang, killed after %g s" % timeout
    if code == EXIT_PASSED:
        return "all passed"
    if code == EXIT_FAILED:
        return "some tests failed"
    if code == EXIT_PANIC:
        return "kernel panic"
    if code == EXIT_RESET:
        return "triple fault / reset"
    if code == NOT_STARTED:
        return "QEMU did not start"
    if code < 0:
        return "QEMU killed by signal %d" % -code
    if code & 1:
        return "unknown debug-exit value 0x%x" % (code >> 1)
    return "QEMU error"


def exit_text(code, timeout):
    """E.g. 'exit 1 (all passed)' or 'no exit (hang, killed after 60 s)'."""
    if code is None:
        return "no exit (%s)" % describe_exit(code, timeout)
    return "exit %d (%s)" % (code, describe_exit(code, timeout))


def find_mkswap():
    """mkswap lives in /sbin (util-linux), which an ordinary user's PATH on
    Debian does not hold: look there too."""
    for cand in (shutil.which("mkswap"), "/sbin/mkswap", "/usr/sbin/mkswap"):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("mkswap not found in PATH, /sbin or /usr/sbin (Debian: apt-get install util-linux)")


def make_swap_image(args, boot):
    """A fresh swap disk for one boot: mkswap'ed, or all zeroes when the
    boot wants a disk without the signature (swap_signature False)."""
    path = os.path.join(args.logdir, boot["name"] + "-swap.img")
    if os.path.exists(path):
        os.remove(path)
    size = boot["swap"]
    subprocess.run(["truncate", "-s", size, path], check=True)
    if boot.get("swap_signature", True):
        subprocess.run([find_mkswap(), path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def blkdebug_drive(args, boot, image):
    """The swap disk behind QEMU's blkdebug driver, which fails chosen I/O:
    each entry of boot["disk_errors"] is (iotype, sector), "read" or "write",
    and every such request that covers the sector ends in EIO (the IDE
    controller then reports ERR). The raw format driver on top triggers the
    read_aio / write_aio events that arm the rules; rerror/werror=report
    hand the error to the guest instead of pausing the VM."""
    config = os.path.join(args.logdir, boot["name"] + "-blkdebug.conf")
    with open(config, "w") as f:
        for iotype, sector in boot["disk_errors"]:
            f.write('[inject-error]\nevent = "%s_aio"\niotype = "%s"\nsector = "%d"\nerrno = "5"\n\n'
                    % (iotype, iotype, sector))
    return ("driver=raw,if=ide,index=0,rerror=report,werror=report,file.driver=blkdebug,"
            "file.config=%s,file.image.filename=%s" % (config, image))


def qemu_command(args, boot, log_path):
    """Build the QEMU argument list for one boot."""
    cmd = [
        args.qemu,
        "-cpu", "max", "-smp", str(boot["smp"]), "-m", boot.get("mem", DEFAULT_MEM),
        "-no-reboot", "-display", "none", "-monitor", "none",
        "-serial", "file:" + log_path,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-cdrom", args.iso, "-boot", "d",
    ]
    # The kernel reads its command line from the fw_cfg file
    # opt/pagewise/cmdline.  In QEMU option values a literal comma is written
    # as two commas.  QEMU rejects an empty string=, so an empty command line
    # means: no fw_cfg file at all.
    if boot.get("swap") and boot.get("disk_errors"):  # the disk, with failing sectors
        cmd += ["-drive", blkdebug_drive(args, boot, make_swap_image(args, boot))]
    elif boot.get("swap"):  # a swap disk on the primary IDE channel
        cmd += ["-drive", "file=%s,format=raw,if=ide,index=0" % make_swap_image(args, boot)]
    # Every test boot runs the lock checker (kernel/lockdep.h): first, since
    # the words after a "--" are init's arguments.
    cmdline = boot.get("cmdline", "")
    if boot.get("lockdep", True):
        cmdline = ("lockdep " + cmdline).strip()
    if cmdline:
        cmd += ["-fw_cfg", "name=opt/pagewise/cmdline,string=" + cmdline.replace(",", ",,")]
    return cmd + list(boot.get("qemu_args", []))


def run_qemu(args, boot):
    """Run one boot.  Returns (exit code or None on hang, seconds, stderr, log path)."""
    log_path = os.path.join(args.logdir, boot["name"] + ".log")
    if os.path.exists(log_path):
        os.remove(log_path)  # never judge a stale log from an earlier run
    timeout = boot.get("timeout", DEFAULT_TIMEOUT)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(qemu_command(args, boot, log_path),
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        return NOT_STARTED, 0.0, "cannot start %s: %s" % (args.qemu, e), log_path
    with running_lock:
        running.add(proc)
    try:
        output, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        code = None
    finally:
        with running_lock:
            running.discard(proc)
    elapsed = time.monotonic() - start
    return code, elapsed, output.decode("utf-8", errors="replace").strip(), log_path


def qmp_socket(boot):
    """A fresh directory for the boot's QMP socket (a unix socket path must
    be short: not under a deep log directory); (dir, socket path)."""
    qdir = tempfile.mkdtemp(prefix="pagewise-qmp-")
    return qdir, os.path.join(qdir, "qmp.sock")


def run_qemu_screens(args, boot):
    """run_qemu for a boot with "screendumps": the serial line on a pipe
    (QEMU's stdio), so that the harness can answer the guest's requests,
    and a QMP socket to take the pictures through. Each console line goes
    to the log as it comes; requests are answered by a second thread, so
    that the console is drained while QEMU writes a picture.
    Returns run_qemu's tuple plus the screendump items."""
    log_path = os.path.join(args.logdir, boot["name"] + ".log")
    qdir, qmp_path = qmp_socket(boot)
    cmd = qemu_command(args, boot, log_path)
    cmd[cmd.index("file:" + log_path)] = "stdio"
    cmd += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    agent = screendump.Agent(boot["name"], qmp_path, args.logdir)
    timeout = boot.get("timeout", DEFAULT_TIMEOUT)
    start = time.monotonic()
    errors = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
    except OSError as e:
        shutil.rmtree(qdir, ignore_errors=True)
        return NOT_STARTED, 0.0, "cannot start %s: %s" % (args.qemu, e), log_path, []
    with running_lock:
        running.add(proc)
    requests = queue.Queue()

    def pump():
        with open(log_path, "wb") as log:
            for raw in iter(proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                line = TIMESTAMP_RE.sub("", raw.decode("utf-8", errors="replace").strip())
                if line.startswith("@@screendump "):
                    requests.put(line)
        requests.put(None)

    def send(text):
        try:
            proc.stdin.write(text.encode())
            proc.stdin.flush()
        except OSError:
            pass  # QEMU is gone: the boot's result says why

    def answer():
        for line in iter(requests.get, None):
            agent.handle(line, send)

    threads = [threading.Thread(target=pump, daemon=True), threading.Thread(target=answer, daemon=True)]
    for t in threads:
        t.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    finally:
        with running_lock:
            running.discard(proc)
    for t in threads:
        t.join(QMP_JOIN_TIMEOUT)
    agent.close()
    shutil.rmtree(qdir, ignore_errors=True)
    errors.seek(0)
    output = errors.read().decode("utf-8", errors="replace").strip()
    return code, time.monotonic() - start, output, log_path, agent.items(boot["screendumps"])


def read_log(log_path):
    """The serial log as a list of lines, without their line endings."""
    try:
        with open(log_path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line.rstrip() for line in text.splitlines()]


def strip_timestamps(raw_lines):
    """The lines the protocol regexes look at: printk timestamps removed."""
    return [TIMESTAMP_RE.sub("", line) for line in raw_lines]


def missing_regexes(boot, lines):
    """The boot's "expect" regexes that match nowhere in the log."""
    text = "\n".join(lines)
    return [rx for rx in boot.get("expect", [])
            if not re.search(rx, text, re.MULTILINE)]


def judge_tests(boot, code, lines):
    """Items of a "tests" boot: one per TEST line, plus <boot>/boot-result if
    the run as a whole went wrong.  Each item is (name, passed, reason)."""
    name, items, problems = boot["name"], [], []
    announced, done, panicked = None, False, False
    for line in lines:
        m = RESULT_RE.match(line)
        if m:
            passed = m.group(2) == "PASS"
            items.append(("%s/%s" % (name, m.group(1)), passed,
                          "" if passed else (m.group(3) or "(no reason given)")))
        elif TESTS_RE.match(line) and announced is None:
            announced = int(TESTS_RE.match(line).group(1))
        elif DONE_RE.match(line):
            done = True
        elif PANIC_RE.match(line):
            panicked = True

    failed = sum(1 for _, ok, _ in items if not ok)
    if announced is None:
        problems.append("no 'TESTS <n>' line")
    elif announced != len(items):
        problems.append("announced %d tests but got %d results"
                        % (announced, len(items)))
    if not done:
        problems.append("no 'TESTS DONE' line")
    if panicked:
        problems.append("KERNEL PANIC in the log")
    # Exit 3 is fine when FAIL lines explain it; otherwise only 1 is fine.
    expected_code = EXIT_FAILED if failed else EXIT_PASSED
    if code != expected_code:
        problems.append("%s, expected exit %d"
                        % (exit_text(code, boot.get("timeout", DEFAULT_TIMEOUT)),
                           expected_code))
    for rx in missing_regexes(boot, lines):
        problems.append("expected regex not found: %r" % rx)
    if not boot.get("screendumps") and any(screendump.parse_request(line) for line in lines):
        problems.append("the guest asked for a screendump, but the boot has no 'screendumps' key (nobody answered)")
    if problems:
        items.append((name + "/boot-result", False, "; ".join(problems)))
    return items


def judge_panic(boot, code, lines):
    """The single item of a "panic" boot: exit 33 and every regex present."""
    problems = []
    if code != EXIT_PANIC:
        problems.append("%s, expected exit %d (kernel panic)"
                        % (exit_text(code, boot.get("timeout", DEFAULT_TIMEOUT)),
                           EXIT_PANIC))
    for rx in missing_regexes(boot, lines):
        problems.append("expected regex not found: %r" % rx)
    return [(boot["name"], not problems, "; ".join(problems))]


def console_screendump(args, boot, step, qmp):
    """The picture a console step asks for ("screendump": NAME), after
    "screendump_delay" seconds (a background program redraws meanwhile):
    <logdir>/<boot>-NAME.ppm and .png, and NAME.png in --pictures DIR.
    Returns its result item."""
    name = step["screendump"]
    item = "%s/screendump-%s" % (boot["name"], name)
    time.sleep(step.get("screendump_delay", 0))
    base = os.path.join(args.logdir, "%s-%s" % (boot["name"], name))
    try:
        screendump.take(qmp, base + ".ppm", base + ".png")
    except (OSError, ValueError, RuntimeError, ConnectionError) as e:
        return (item, False, "no screendump: %s" % e)
    if args.pictures:
        os.makedirs(args.pictures, exist_ok=True)
        shutil.copyfile(base + ".png", os.path.join(args.pictures, name + ".png"))
    return (item, True, "")


def run_console(args, boot):
    """A "console" boot: type at the shell through the serial line.

    Each step waits for the prompt, sends its text, and passes if its
    expect regex (or every regex of its expect list) appears in what the
    console prints before the step's timeout (key "timeout", else the
    boot's "step_timeout", else 20 s). A step with "since_previous" looks
    from the previous step's text on (what it checks may already have
    come); one with "repeat": N types its text again every N seconds until
    its expects appear (Enter until a background job's end is reported).
    Returns (items, seconds, log path)."""
    log_path = os.path.join(args.logdir, boot["name"] + ".log")
    cmd = qemu_command(args, boot, log_path)
    cmd[cmd.index("file:" + log_path)] = "stdio"
    qdir = qmp = None
    if any("screendump" in step for step in boot["script"]):
        qdir, qmp_path = qmp_socket(boot)
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with running_lock:
        running.add(proc)
    out = bytearray()
    lock = threading.Lock()

    def pump():
        for chunk in iter(lambda: proc.stdout.read1(4096), b""):
            with lock:
                out.extend(chunk)

    threading.Thread(target=pump, daemon=True).start()

    def send(text):
        proc.stdin.write(text.encode())
        proc.stdin.flush()

    def wait_for(rx, since, timeout, resend=None):
        """The first match of rx after offset since, or None at the timeout;
        resend = (text, seconds): type text again every so many seconds."""
        deadline = time.monotonic() + timeout
        next_send = time.monotonic() + resend[1] if resend else deadline
        while time.monotonic() < deadline:
            with lock:
                m = re.compile(rx.encode(), re.M).search(bytes(out), since)
            if m:
                return m
            if time.monotonic() >= next_send:
                send(resend[0])
                next_send += resend[1]
            time.sleep(0.05)
        return None

    prompt = boot.get("prompt", r"pagewise\$ ")
    items, pos, since = [], 0, 0
    step_timeout = boot.get("step_timeout", 20) * boot.get("scale", 1)
    m = wait_for(prompt, 0, boot.get("timeout", DEFAULT_TIMEOUT))
    pos = m.end() if m else len(out)
    for step in boot["script"]:
        item = boot["name"] + "/" + step["name"]
        if m is None:
            items.append((item, False, "no shell prompt %r before this step" % prompt))
            continue
        previous = since
        with lock:
            since = len(out)
        send(step["send"])
        if "then_send" in step:  # e.g. ^C once the program is running
            time.sleep(step.get("delay", 1.0))
            send(step["then_send"])
        timeout = step["timeout"] * boot.get("scale", 1) if "timeout" in step else step_timeout
        expects = step["expect"] if isinstance(step["expect"], list) else [step["expect"]]
        start_at = previous if step.get("since_previous") else since
        resend = (step["send"], step["repeat"]) if "repeat" in step else None
        ok, end = True, since
        for rx in expects:  # each must appear somewhere after the text was sent
            found = wait_for(rx, start_at, timeout, resend)
            if not found:
                items.append((item, False, "expected %r after sending %r" % (rx, step["send"])))
                ok = False
                break
            end = max(end, found.end())
        if ok:
            items.append((item, True, ""))
            if "screendump" in step:
                qmp = qmp or screendump.Qmp(qmp_path)
                items.append(console_screendump(args, boot, step, qmp))
        m = wait_for(prompt, end, timeout)
    proc.kill()
    proc.wait()
    if qdir:
        if qmp:
            qmp.close()
        shutil.rmtree(qdir, ignore_errors=True)
    with running_lock:
        running.discard(proc)
    with open(log_path, "wb") as f:
        f.write(bytes(out))
    return items, time.monotonic() - start, log_path


def run_boot(args, boot):
    """Run and judge one boot; returns a dict describing the outcome."""
    if boot["kind"] == "console":
        items, elapsed, log_path = run_console(args, boot)
        return {"boot": boot, "code": None if any(not ok for _, ok, _ in items) else 0, "elapsed": elapsed,
                "items": items, "count": len(items), "raw_lines": read_log(log_path), "qemu_output": ""}
    screens = []
    if boot.get("screendumps"):
        code, elapsed, qemu_output, log_path, screens = run_qemu_screens(args, boot)
    else:
        code, elapsed, qemu_output, log_path = run_qemu(args, boot)
    raw_lines = read_log(log_path)
    lines = strip_timestamps(raw_lines)
    if boot["kind"] == "tests":
        items = judge_tests(boot, code, lines) + screens
        count = sum(1 for n, _, _ in items if not n.endswith("/boot-result"))
    else:
        items = judge_panic(boot, code, lines)
        count = 1
    return {"boot": boot, "code": code, "elapsed": elapsed, "items": items,
            "count": count, "raw_lines": raw_lines, "qemu_output": qemu_output}


def summary_line(result):
    """E.g. 'boot ktest: 23 tests, exit 1 (all passed), 4.1 s'; a boot on
    several CPUs says how many ('boot t_cow.smp2 (-smp 2): ...')."""
    boot = result["boot"]
    bad = [n for n, ok, _ in result["items"] if not ok]
    tests_failed = [n for n in bad if not n.endswith("/boot-result")]
    cpus = "" if boot["smp"] == 1 else " (-smp %d)" % boot["smp"]
    text = "boot %s%s: %d test%s" % (boot["name"], cpus, result["count"],
                                     "" if result["count"] == 1 else "s")
    if tests_failed:
        text += " (%d failed)" % len(tests_failed)
    if boot["kind"] == "console":
        text += ", console session, %.1f s" % result["elapsed"]
    else:
        text += ", %s, %.1f s" % (exit_text(result["code"], boot.get("timeout", DEFAULT_TIMEOUT)),
                                  result["elapsed"])
    if len(bad) > len(tests_failed):
        text += "  [boot FAILED]"
    return text


def pinned_cpus(boot):
    """The CPU count a boot sets itself with -smp in its qemu_args, or None."""
    qargs = list(boot.get("qemu_args", []))
    for i, arg in enumerate(qargs[:-1]):
        if arg == "-smp":
            return int(qargs[i + 1].split(",")[0])
    return None


def cpu_passes(boots, counts):
    """The boots of every pass, one pass per CPU count in counts (e.g.
    [1, 2]: the whole suite on one CPU, then again on two). A boot that
    sets its own -smp (qemu_args) runs once, in the first pass, at its own
    count. In a pass after the first every other boot runs again as
    NAME.smpN (its log <logdir>/NAME.smpN.log). Every boot gets a key
    "smp", the CPUs it runs with; on N > 1 CPUs an unpinned boot's timeout
    is N times its own (a console boot's step timeouts too: key "scale"):
    QEMU runs a host thread per CPU, CPUs waiting for the big kernel lock
    spin, and the host may be shared. Of several passes, a boot with
    "cpus" (a list of counts) runs only in those counts' passes."""
    runs = []
    for i, n in enumerate(counts):
        for b in boots:
            own = pinned_cpus(b)
            if own is not None:
                if i == 0:
                    runs.append(dict(b, smp=own))
                continue
            if len(counts) > 1 and n not in b.get("cpus", counts):
                continue
            runs.append(dict(b, smp=n, timeout=b.get("timeout", DEFAULT_TIMEOUT) * n, scale=n,
                             name=b["name"] if i == 0 else "%s.smp%d" % (b["name"], n)))
    return runs


class CpuBudget:
    """At most `cores` virtual CPUs running at once: a boot on N CPUs waits
    until N host cores are free (capped at all of them). QEMU's
    multi-threaded TCG gives each virtual CPU a host thread; with more
    virtual CPUs than host cores, a CPU spinning for the big kernel lock
    or waiting for a shootdown answer burns the host time the CPU it
    waits for needs (lock-holder preemption), and a boot that takes a
    minute alone took ten beside another two-CPU boot. Boots start in
    the order given, except that one that fits goes before one that
    must wait."""

    def __init__(self, cores, boots):
        self.free = cores
        self.cores = cores
        self.pending = list(boots)
        self.cond = threading.Condition()

    def next_boot(self):
        """Wait until a pending boot fits; take its CPUs; None when none is left."""
        with self.cond:
            while self.pending:
                for i, b in enumerate(self.pending):
                    need = min(b["smp"], self.cores)
                    if need <= self.free:
                        self.free -= need
                        return self.pending.pop(i)
                self.cond.wait()
            return None

    def done(self, boot):
        """Give back the CPUs of a boot that ended."""
        with self.cond:
            self.free += min(boot["smp"], self.cores)
            self.cond.notify_all()


def check_boots(boots):
    """Catch mistakes in tests/boots.py early, with a clear message."""
    seen = set()
    for boot in boots:
        name = boot.get("name")
        if not name or name in seen:
            sys.exit("boots.py: missing or duplicate boot name %r" % name)
        seen.add(name)
        if boot.get("kind") not in ("tests", "panic", "console"):
            sys.exit("boots.py: boot %s: kind must be 'tests', 'panic' or 'console'" % name)
        if boot["kind"] == "panic" and not boot.get("expect"):
            sys.exit("boots.py: panic boot %s needs an 'expect' list" % name)


def main():
    parser = argparse.ArgumentParser(description="Run Pagewise boots in QEMU.")
    parser.add_argument("--iso", default="build/pagewise.iso", help="kernel ISO")
    parser.add_argument("--jobs", type=int, default=2, help="QEMUs at once (default 2)")
    parser.add_argument("--only", help="comma-separated boot names to run")
    parser.add_argument("--logdir", default="build/test", help="serial logs go here")
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="QEMU binary")
    parser.add_argument("--list", action="store_true", help="print boot names and exit")
    parser.add_argument("--smp", default=os.environ.get("PAGEWISE_SMP") or "1",
                        help="CPU counts, comma-separated: the suite runs once per count (1,2: on one CPU, "
                             "then again on two); a boot with its own -smp in qemu_args runs once, at that "
                             "count (default 1, or $PAGEWISE_SMP)")
    parser.add_argument("--pictures", metavar="DIR",
                        help="run the PICTURES boots instead and copy their screendumps to DIR as PNG")
    args = parser.parse_args()

    all_boots = PICTURES if args.pictures else BOOTS
    check_boots(all_boots)
    if args.list:
        for boot in all_boots:
            print(boot["name"])
        return 0

    boots = all_boots
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in {b["name"] for b in all_boots}]
        if unknown:
            sys.exit("unknown boot(s): %s (try --list)" % ", ".join(unknown))
        boots = [b for b in all_boots if b["name"] in wanted]
    try:
        counts = [int(n) for n in str(args.smp).split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        sys.exit("--smp wants CPU counts such as 1 or 1,2 (got %r)" % args.smp)
    boots = cpu_passes(boots, counts)
    if shutil.which(args.qemu) is None:
        sys.exit("QEMU not found: %s (install qemu-system-x86 or pass --qemu)" % args.qemu)
    if not os.path.isfile(args.iso):
        sys.exit("ISO not found: %s (build it first, e.g. 'make')" % args.iso)
    if args.jobs < 1:
        sys.exit("--jobs must be at least 1")
    os.makedirs(args.logdir, exist_ok=True)

    # Run the boots in parallel, --jobs host cores' worth of virtual CPUs
    # at a time (CpuBudget); report each one as it finishes.
    results = {}
    budget = CpuBudget(args.jobs, boots)

    def worker():
        boot = budget.next_boot()
        if boot is None:
            return None
        try:
            return run_boot(args, boot)
        finally:
            budget.done(boot)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    started = time.monotonic()
    try:
        futures = [pool.submit(worker) for _ in boots]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            if result is None:
                continue
            results[result["boot"]["name"]] = result
            print(summary_line(result), flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        with running_lock:
            for proc in running:
                proc.kill()
        print("interrupted", file=sys.stderr)
        return 130
    pool.shutdown()

    # Failures, grouped by boot (in boots.py order), each group followed by
    # the tail of that boot's serial log.
    passed = failed = 0
    per_cpus = {}  # CPU count -> [passed, failed]
    for boot in boots:
        result = results[boot["name"]]
        bad = [(n, why) for n, ok, why in result["items"] if not ok]
        passed += len(result["items"]) - len(bad)
        failed += len(bad)
        tally = per_cpus.setdefault(boot["smp"], [0, 0])
        tally[0] += len(result["items"]) - len(bad)
        tally[1] += len(bad)
        if not bad:
            continue
        print()
        for item, why in bad:
            print("FAIL %s: %s" % (item, why))
        if result["qemu_output"]:
            print("  --- QEMU output ---")
            for line in result["qemu_output"].splitlines()[-TAIL_LINES:]:
                print("    " + line)
        log_path = os.path.join(args.logdir, boot["name"] + ".log")
        print("  --- last %d lines of %s ---" % (TAIL_LINES, log_path))
        for line in result["raw_lines"][-TAIL_LINES:]:
            print("    " + line)

    print()
    print("%d passed, %d failed (%s; %.0f s)"
          % (passed, failed, "; ".join("-smp %d: %d passed, %d failed" % (n, p, f)
                                       for n, (p, f) in sorted(per_cpus.items())),
             time.monotonic() - started))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
