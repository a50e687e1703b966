#!/usr/bin/env python3
"""tests/lab.py - labs cut out of the working kernel (docs/labs/README.md).

A lab is a few function bodies of the real source, each between two marker
comments on lines of their own:

    /* LAB cow/do_wp_page: the cow lab removes the code from here to END LAB (docs/labs/cow.md). */
    ... the real code ...
    /* END LAB cow/do_wp_page */

and, in docs/labs/NAME.stub, what replaces each of them in the lab's tree
(a TODO comment with the task and a body that compiles and does something
wrong but safe). The markers are comments: the real kernel builds and
passes its tests with them. The handout is docs/labs/NAME.md; the boots
that grade the lab are in LABS below.

Usage (the Makefile's targets call it):
  tests/lab.py list                        the labs, one line each (make lab)
  tests/lab.py make NAME [--dir DIR] [--force] [--no-seed]
                                           write the lab's tree (make lab NAME=...)
  tests/lab.py grade [NAME]                run the lab's boots here, print the
                                           score (make grade); NAME defaults to
                                           the lab of this tree (its .lab file)
  tests/lab.py check                       markers, stubs and LABS agree (make test)
  tests/lab.py labcheck [--full] [NAME...] every lab's skeleton builds without a
                                           warning and FAILS its grade (make labcheck);
                                           --full: the full tree PASSES them too

The lab's tree is a copy of this one (git's files, or every file outside
build/ when there is no git) with that lab's regions replaced by its stubs
and the other labs' marker lines dropped, plus a file .lab naming the lab.
Its build/ is seeded with this tree's objects when they exist, so only the
changed files compile. The working tree itself is never modified.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each lab: its name, one line about it, and the boots (tests/boots.py)
# that grade it. The grade passes when every test of those boots passes.
LABS = [
    {"name": "lazy", "title": "lazy allocation: the first touch of an anonymous page gets a zeroed frame",
     "grade": ["t_lazy"]},
    {"name": "cow", "title": "copy-on-write fork: share read-only, copy (or reuse) on the first write",
     "grade": ["t_cow"]},
    {"name": "walk", "title": "the 4-level page-table walk (PML4 -> PDPT -> PD -> PT), large pages included",
     "grade": ["ktest"]},
    {"name": "tlb", "title": "TLB invalidation: which page-table changes need an invlpg, and where",
     "grade": ["ktest", "t_tlb"]},
    {"name": "clock", "title": "page replacement: the clock (second chance) with the Accessed bits",
     "grade": ["t_clock"]},
    {"name": "swapin", "title": "swap-in: a fault on a swap entry brings the page back and maps it",
     "grade": ["t_swap"]},
]
LAB_NAMES = [lab["name"] for lab in LABS]

BEGIN_RE = re.compile(r"^\s*/\* LAB (\w+)/(\w+): .*\*/\s*$")
END_RE = re.compile(r"^\s*/\* END LAB (\w+)/(\w+) \*/\s*$")
MARKER_WORD_RE = re.compile(r"\bLAB \w+/\w+")
STUB_HEAD_RE = re.compile(r"^@@ (\S+) (\w+)\s*$")
SOURCE_DIRS = ("boot", "kernel", "mm", "drivers")  # where markers may be
SOURCE_EXTS = (".c", ".h", ".asm")
# What of build/ seeds a lab's tree: the objects and the user programs,
# not the logs, disk images and ISOs.
SEED_DIRS = ("gen", "boot", "kernel", "mm", "drivers", "tests", "user")
SEED_FILES = ("initrd.cpio", "ksyms0.c", "ksyms0.o")
LAB_FILE = ".lab"


def die(msg):
    sys.exit("lab: " + msg)


def lab_by_name(name):
    for lab in LABS:
        if lab["name"] == name:
            return lab
    die("no lab %r (the labs: %s)" % (name, ", ".join(LAB_NAMES)))


def source_files(root):
    """The files that may hold markers, relative to root."""
    out = []
    for d in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, d)):
            out += [os.path.relpath(os.path.join(dirpath, f), root) for f in files if f.endswith(SOURCE_EXTS)]
    return sorted(out)


def find_regions(root):
    """{(lab, region): (file, first line, last line)} (0-based, marker lines
    included), and a list of problems (unpaired or nested markers)."""
    regions, problems = {}, []
    for rel in source_files(root):
        with open(os.path.join(root, rel)) as f:
            lines = f.read().split("\n")
        open_at = None
        for i, line in enumerate(lines):
            b, e = BEGIN_RE.match(line), END_RE.match(line)
            where = "%s:%d" % (rel, i + 1)
            if b:
                if open_at:
                    problems.append("%s: LAB %s/%s inside LAB %s/%s" % (where, b[1], b[2], *open_at[1:]))
                open_at = (i, b[1], b[2])
            elif e:
                if not open_at or open_at[1:] != (e[1], e[2]):
                    problems.append("%s: END LAB %s/%s without its LAB line" % (where, e[1], e[2]))
                    continue
                key = (e[1], e[2])
                if key in regions:
                    problems.append("%s: region %s/%s marked twice" % (where, *key))
                regions[key] = (rel, open_at[0], i)
                open_at = None
            elif MARKER_WORD_RE.search(line):
                problems.append("%s: a LAB marker that does not match its pattern: %s" % (where, line.strip()))
        if open_at:
            problems.append("%s:%d: LAB %s/%s is never ENDed" % (rel, open_at[0] + 1, *open_at[1:]))
    return regions, problems


def read_stubs(root, name):
    """{region: (file, stub text)} from docs/labs/NAME.stub."""
    path = os.path.join(root, "docs", "labs", name + ".stub")
    if not os.path.isfile(path):
        die("%s is missing" % os.path.relpath(path, root))
    stubs, cur = {}, None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = STUB_HEAD_RE.match(line)
            if m:
                if m[2] in stubs:
                    die("%s:%d: region %s twice" % (path, n, m[2]))
                cur = m[2]
                stubs[cur] = [m[1], ""]
            elif cur:
                stubs[cur][1] += line
            elif line.strip() and not line.startswith("#"):
                die("%s:%d: text before the first '@@ FILE REGION' line" % (path, n))
    return {k: (f, t) for k, (f, t) in stubs.items()}


def check(root=ROOT):
    """Markers, stubs, handouts and LABS agree. Returns the problems."""
    regions, problems = find_regions(root)
    for key in regions:
        if key[0] not in LAB_NAMES:
            problems.append("%s: LAB %s/%s: no lab %r in tests/lab.py" % (regions[key][0], *key, key[0]))
    for name in LAB_NAMES:
        if not os.path.isfile(os.path.join(root, "docs", "labs", name + ".md")):
            problems.append("docs/labs/%s.md (the handout) is missing" % name)
        stubs = read_stubs(root, name)
        mine = {r: regions[(lab, r)] for lab, r in regions if lab == name}
        if not mine:
            problems.append("lab %s: no region of the source is marked LAB %s/..." % (name, name))
        for r in mine:
            if r not in stubs:
                problems.append("%s: region %s/%s has no stub in docs/labs/%s.stub" % (mine[r][0], name, r, name))
        for r, (f, _) in stubs.items():
            if r not in mine:
                problems.append("docs/labs/%s.stub: stub %s: no region LAB %s/%s in the source" % (name, r, name, r))
            elif mine[r][0] != f:
                problems.append("docs/labs/%s.stub: stub %s names %s, the region is in %s" % (name, r, f, mine[r][0]))
    return problems


def tree_files(root):
    """The files of the tree: git's list when this is a git checkout (the
    working copies, edits and new files included, ignored ones not), else
    everything outside build/."""
    try:
        r = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True, text=True, check=True)
        files = [f for f in r.stdout.split("\0") if f and os.path.isfile(os.path.join(root, f))]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    out = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("build", ".git", "__pycache__")]
        out += [os.path.relpath(os.path.join(dirpath, f), root) for f in files]
    return out


def cut(text_lines, spans):
    """text_lines with each (first, last, replacement) span replaced."""
    out, i = [], 0
    for first, last, repl in sorted(spans):
        out += text_lines[i:first] + repl
        i = last + 1
    return out + text_lines[i:]


def make_lab(name, dest, force=False, seed=True, quiet=False):
    lab_by_name(name)
    problems = check()
    if problems:
        die("the markers are not consistent:\n  " + "\n  ".join(problems))
    dest = os.path.abspath(dest)
    if os.path.realpath(dest) == os.path.realpath(ROOT) or os.path.realpath(ROOT).startswith(
            os.path.realpath(dest) + os.sep):
        die("%s would overwrite this tree" % dest)
    if os.path.exists(dest):
        if not force:
            die("%s exists (your work?): remove it, or FORCE=1 to replace it" % dest)
        shutil.rmtree(dest)
    regions, _ = find_regions(ROOT)
    stubs = read_stubs(ROOT, name)
    changed = {}  # file -> its lab text
    for (lab, region), (rel, first, last) in regions.items():
        lines = changed.get(rel) or open(os.path.join(ROOT, rel)).read().split("\n")
        changed[rel] = lines
    for rel in changed:
        spans = []
        for (lab, region), (f, first, last) in regions.items():
            if f != rel:
                continue
            if lab == name:
                spans.append((first, last, stubs[region][1].rstrip("\n").split("\n")))
            else:  # another lab's region stays, without its markers
                spans += [(first, first, []), (last, last, [])]
        changed[rel] = "\n".join(cut(changed[rel], spans))
    for rel in tree_files(ROOT):
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        if rel in changed:
            with open(os.path.join(dest, rel), "w") as f:
                f.write(changed[rel])  # a new mtime: make rebuilds it
        else:
            shutil.copy2(os.path.join(ROOT, rel), os.path.join(dest, rel))
    with open(os.path.join(dest, LAB_FILE), "w") as f:
        f.write(name + "\n")
    seeded = seed and seed_build(os.path.join(ROOT, "build"), os.path.join(dest, "build"))
    if not quiet:
        mine = sorted((f, r) for (lab, r), (f, _, _) in regions.items() if lab == name)
        print("lab %s: written to %s%s" % (name, dest, " (build/ seeded from this tree's objects)" if seeded else ""))
        print("  to write: " + ", ".join("%s:%s" % fr for fr in mine))
        print("  the handout: %s/docs/labs/%s.md" % (dest, name))
        print("  then: cd %s && make grade" % dest)


def seed_build(src, dst):
    """Copy this tree's build products (times kept) so that make in the lab
    tree recompiles only the files the lab changed. False if there are none."""
    if not os.path.isdir(os.path.join(src, "kernel")):
        return False
    for d in SEED_DIRS:
        if os.path.isdir(os.path.join(src, d)):
            shutil.copytree(os.path.join(src, d), os.path.join(dst, d), copy_function=shutil.copy2)
    for f in SEED_FILES:
        if os.path.isfile(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), os.path.join(dst, f))
    return True


def this_lab():
    try:
        with open(os.path.join(ROOT, LAB_FILE)) as f:
            return f.read().strip()
    except OSError:
        return None


SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed\b")


def grade(name, logdir=None, quiet=False):
    """Run the lab's boots on this tree's ISO. Returns (passed?, passed, total, output)."""
    lab = lab_by_name(name)
    iso = os.path.join(ROOT, "build", "pagewise.iso")
    if not os.path.isfile(iso):
        die("%s is missing: build first (make)" % iso)
    logdir = logdir or os.path.join(ROOT, "build", "grade", name)
    cmd = [sys.executable, os.path.join(ROOT, "tests", "harness.py"), "--iso", iso, "--only", ",".join(lab["grade"]),
           "--logdir", logdir]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    for line in proc.stdout:
        out.append(line)
        if not quiet:
            sys.stdout.write(line)
            sys.stdout.flush()
    proc.wait()
    m = next((SUMMARY_RE.match(line) for line in reversed(out) if SUMMARY_RE.match(line)), None)
    passed, failed = (int(m[1]), int(m[2])) if m else (0, 1)
    ok = proc.returncode == 0 and failed == 0 and passed > 0
    return ok, passed, passed + failed, "".join(out)


def grade_line(name, ok, passed, total):
    lab = lab_by_name(name)
    return "grade %s: %d/%d tests passed (boots %s): %s" % (name, passed, total, ", ".join(lab["grade"]),
                                                          "PASS" if ok else "FAIL")


def labcheck(names, full):
    """Every named lab: its tree builds without a warning and its grade fails."""
    bad = 0
    t_all = time.monotonic()
    base = os.path.join(ROOT, "build", "labcheck")
    for name in names:
        t0 = time.monotonic()
        dest = os.path.join(base, name)
        make_lab(name, dest, force=True, seed=True, quiet=True)
        b = subprocess.run(["make", "-C", dest, "-j2", "all"], capture_output=True, text=True)
        t_build = time.monotonic() - t0
        warnings = [line for line in (b.stdout + b.stderr).splitlines() if "warning:" in line]
        if b.returncode or warnings:
            bad += 1
            print("lab %s: the skeleton %s (%.0f s):" % (name, "does not build" if b.returncode else "builds with warnings",
                                                       t_build))
            print("    " + "\n    ".join((warnings or (b.stdout + b.stderr).splitlines())[-20:]))
            continue
        g = subprocess.run([sys.executable, os.path.join(dest, "tests", "lab.py"), "grade", "--quiet"], cwd=dest,
                           capture_output=True, text=True)
        last = ((g.stdout + g.stderr).strip().splitlines() or ["(no output)"])[-1]
        t_total = time.monotonic() - t0
        if g.returncode == 0:
            bad += 1
            print("lab %s: the skeleton PASSES its grade (it must fail): %s" % (name, last))
        else:
            print("lab %s: skeleton built in %.0f s, graded in %.0f s: %s (as it must)" % (name, t_build,
                                                                                            t_total - t_build, last))
            shutil.rmtree(dest)
    if full:
        for name in names:
            ok, passed, total, out = grade(name, quiet=True)
            print("full tree: " + grade_line(name, ok, passed, total))
            if not ok:
                bad += 1
                print(out[-3000:])
    print("labcheck: %d lab%s, %d problem%s, %.0f s" % (len(names), "" if len(names) == 1 else "s", bad,
                                                      "" if bad == 1 else "s", time.monotonic() - t_all))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description="Labs cut out of the working kernel (docs/labs/README.md).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    sub.add_parser("check")
    p = sub.add_parser("make")
    p.add_argument("name")
    p.add_argument("--dir")
    p.add_argument("--force", action="store_true")
    p.add_argument("--no-seed", action="store_true")
    p = sub.add_parser("grade")
    p.add_argument("name", nargs="?")
    p.add_argument("--quiet", action="store_true", help="print the score line only")
    p = sub.add_parser("labcheck")
    p.add_argument("names", nargs="*")
    p.add_argument("--full", action="store_true", help="also grade the full tree (it must pass)")
    args = ap.parse_args()

    if args.cmd == "list":
        mine = this_lab()
        for lab in LABS:
            print("  %-7s %s%s" % (lab["name"], lab["title"], "   <- this tree" if lab["name"] == mine else ""))
        print("make lab NAME=cow [LABDIR=dir] writes a lab's tree; docs/labs/README.md says more.")
        return 0
    if args.cmd in ("check", "labcheck") and this_lab():
        print("lab: this is the %s lab's tree: its markers are gone, nothing to %s" % (this_lab(), args.cmd))
        return 0
    if args.cmd == "check":
        problems = check()
        for p in problems:
            print("lab: " + p)
        return 1 if problems else 0
    if args.cmd == "make":
        make_lab(args.name, args.dir or os.path.join(ROOT, "build", "lab-" + args.name), args.force, not args.no_seed)
        return 0
    if args.cmd == "grade":
        name = args.name or this_lab()
        if not name:
            die("which lab? make grade NAME=cow (this is not a lab's tree: it has no %s)" % LAB_FILE)
        ok, passed, total, _ = grade(name, quiet=args.quiet)
        print(grade_line(name, ok, passed, total))
        return 0 if ok else 1
    if args.cmd == "labcheck":
        for n in args.names:
            lab_by_name(n)
        return labcheck(args.names or LAB_NAMES, args.full)
    return 2


if __name__ == "__main__":
    sys.exit(main())
