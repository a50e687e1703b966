#!/usr/bin/env python3
"""Check that the documentation points at things that exist.

Usage:
  python3 tests/doccheck.py [--list] [--tour-log LOG] [FILE.md ...]

With no FILE it reads README.md, docs/*.md and docs/labs/*.md. `make test` runs it first.
Exit status 0 when every reference resolves, 1 otherwise (each broken one is
printed as file:line: reference: reason).

What counts as a reference (a backtick around it is allowed, never required):

  code      REPO_PATH:NAME or REPO_PATH:NAME()         mm/fault.c:handle_mm_fault
            FILE.EXT:NAME (no directory) is looked up  fault.c:do_wp_page()
            by basename and must name exactly one file
              REPO_PATH must exist and NAME must be *defined* there:
                .c .h      a function definition (NAME( ... ) followed by "{",
                           not ";"), #define NAME, struct/union/enum NAME {,
                           a typedef, an enum constant, a file-scope variable,
                           KTEST(NAME) / KTEST_PANIC(NAME) (a kernel test),
                           SYSCALL_DEFINE(X) defines sys_X
                .asm .inc  NAME: (a label), %define/%macro NAME, NAME equ
                .py        def NAME, class NAME, NAME = (at the start of a line)
                .sh        NAME() or NAME=
                Makefile   NAME: (a target) or NAME :=/?=/=
  path      REPO_PATH alone: the file or directory exists; a path with * must
            match at least one file (tests/user/t_*.c)
  link      [text](relative/path.md#anchor): the file exists (relative to the
            page) and, for a .md target, the #anchor is one of its headings
  test      t_PROG:CASE (or t_PROG/CASE): tests/user/t_PROG.c has TEST(CASE)
  boot      boot `NAME`, boots `NAME`, `NAME` boot: NAME is a boot in tests/boots.py

Figures (only with --tour-log LOG, which `make test` passes after the tour
boot has written build/test/tour.log): every number of two or more digits in
the prose of a step of docs/tour.md (from its "Look for:" line to the next
heading; 16,381 is read as 16381, 0x... as it stands) must appear in that
step's output in the log, in its command, or in the page's setup text before
the first step (128 MiB of RAM...). A figure followed by the unit it counts
(faults, pages, MiB, KiB, invlpg, ...) must share an output line with that
unit. A figure the demo does not print is a figure the page made up or let
go stale.

REPO_PATH starts with one of the top-level names of the tree (boot/ kernel/ mm/
drivers/ user/ tests/ iso/ docs/, Makefile, linker.ld, README.md) and must not
follow a letter, digit, "/", "." or "~" (so Linux paths such as
arch/x86/mm/tlb.c and /proc/self/maps are not taken for ours). Placeholders
are skipped: a path or name containing <...> or one of the capitalised words
NAME, PROG, FILE, CASE (user/NAME.c, tests/user/t_PROG.c, boot `NAME`).
build/ is generated, never checked.
"""

import argparse
import glob
import os
import re
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

TOP_DIRS = ("boot", "kernel", "mm", "drivers", "user", "tests", "iso", "docs")
TOP_FILES = ("Makefile", "linker.ld", "README.md")

# Characters that may not come right before a reference: they would make it
# the tail of some longer path or word (arch/x86/mm/tlb.c, /proc/mm/...).
NOT_BEFORE = r"(?<![A-Za-z0-9_/.~-])"
PATH_BODY = r"(?:(?:%s)/[A-Za-z0-9_.*<>/-]*|%s)" % ("|".join(TOP_DIRS), "|".join(re.escape(f) for f in TOP_FILES))

# code reference: a repo path with an extension (or a top-level file), a colon,
# an identifier, optional "()".
CODE_RE = re.compile(NOT_BEFORE + r"(" + PATH_BODY + r"):([A-Za-z_][A-Za-z0-9_]*)(\(\))?")
# the same without a directory: fault.c:do_wp_page
BARE_CODE_RE = re.compile(NOT_BEFORE + r"([A-Za-z0-9_-]+\.(?:c|h|asm|inc|py|sh)):([A-Za-z_][A-Za-z0-9_]*)(\(\))?")
PATH_RE = re.compile(NOT_BEFORE + r"(" + PATH_BODY + r")")
LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
TEST_RE = re.compile(r"(?<![A-Za-z0-9_/.-])(t_[a-z0-9_]+)[:/]([a-z][a-z0-9_]*)")
BOOT_RE = re.compile(r"\b[Bb]oots?\s+`([A-Za-z0-9_]+)`|`([A-Za-z0-9_]+)`\s+boot\b")
PLACEHOLDER_RE = re.compile(r"<|>|(?<![A-Za-z])(?:NAME|PROG|FILE|CASE)(?![A-Za-z])")


def strip_c_comments(text):
    """Blank out comments and string literals, keeping line structure."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def c_defines(text, name):
    """Is name defined (not merely declared or mentioned) in this C source?"""
    src = strip_c_comments(text)
    n = re.escape(name)
    if re.search(r"^\s*#\s*define\s+" + n + r"\b", src, re.M):
        return True
    if re.search(r"\b(?:struct|union|enum)\s+" + n + r"\s*\{", src):
        return True
    if re.search(r"\bKTEST(?:_PANIC)?\(\s*" + n + r"\s*\)", src):
        return True
    if name.startswith("sys_") and re.search(r"\bSYSCALL_DEFINE\(\s*" + re.escape(name[4:]) + r"\s*\)", src):
        return True
    if re.search(r"^typedef\b[^;]*\b" + n + r"\s*(?:\[[^\]]*\])?\s*;", src, re.M):
        return True
    if re.search(r"^\}\s*" + n + r"\s*(?:\[[^\]]*\]\s*)*(?:=|;)", src, re.M):  # end of a typedef or a struct variable
        return True
    # a file-scope function pointer: void (*NAME)(void);
    if re.search(r"^(?!extern\b)(?!typedef\b)[A-Za-z_][A-Za-z0-9_ \t*]*\(\s*\*\s*" + n + r"\s*\)\s*\([^;{]*\)\s*(?:=|;)",
                 src, re.M):
        return True
    # enum constants
    for body in re.findall(r"\benum\b[^{;]*\{([^}]*)\}", src):
        for item in body.split(","):
            if re.match(r"\s*" + n + r"\s*(?:=|$)", item):
                return True
    # file-scope variables: at column 0, not extern, no "(" before the name
    if re.search(r"^(?!extern\b)(?!typedef\b)(?!return\b)[A-Za-z_][A-Za-z0-9_ \t*]*\b" + n
                 + r"\s*(?:\[[^\]]*\]\s*)*(?:=|;)", src, re.M):
        return True
    # functions: the name at the start of a definition (column 0, after the
    # return type), its parameter list, then a body "{" rather than a ";"
    for m in re.finditer(r"^(?![#\s])(?!return\b)[A-Za-z_][A-Za-z0-9_ \t*(]*?\b" + n + r"\s*\(", src, re.M):
        depth, i = 1, m.end()
        while i < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        rest = src[i:i + 400]
        # a function returning a function pointer ends its declarator in ")(args)"
        rest = re.sub(r"^(?:\s*\)\s*\([^(){};]*\))*", "", rest)
        rest = re.sub(r"^\s*(?:__attribute__\s*\(\(.*?\)\)\s*)*", "", rest, flags=re.S)
        if rest.startswith("{"):
            return True
    return False


def asm_defines(text, name):
    n = re.escape(name)
    return bool(re.search(r"^\s*" + n + r":|^\s*%(?:x?i?define|macro|assign)\s+" + n + r"\b|^\s*" + n + r"\s+equ\b",
                          text, re.M))


def py_defines(text, name):
    n = re.escape(name)
    return bool(re.search(r"^\s*(?:async\s+)?def\s+" + n + r"\s*\(|^\s*class\s+" + n + r"\b|^" + n + r"\s*(?::[^=\n]*)?=",
                          text, re.M))


def sh_defines(text, name):
    n = re.escape(name)
    return bool(re.search(r"^\s*(?:function\s+)?" + n + r"\s*\(\s*\)|^\s*" + n + r"=", text, re.M))


def make_defines(text, name):
    """A variable assignment, or a rule whose targets include name."""
    n = re.escape(name)
    return bool(re.search(r"^" + n + r"\s*(?:::?=|\?=|\+=|=)", text, re.M)
                or re.search(r"^(?:[^\s#:=][^#:=\n]*\s)?" + n + r"(?:\s[^#:=\n]*)?:(?!=)", text, re.M))


def ld_defines(text, name):
    return bool(re.search(r"^\s*" + re.escape(name) + r"\s*=", text, re.M))


DEFINERS = {".c": c_defines, ".h": c_defines, ".asm": asm_defines, ".inc": asm_defines, ".py": py_defines,
            ".sh": sh_defines, ".ld": ld_defines}


def definer_for(path):
    if os.path.basename(path) == "Makefile":
        return make_defines
    return DEFINERS.get(os.path.splitext(path)[1])


def clean_path(p):
    return p.rstrip(".,;:-")


def is_placeholder(p):
    return bool(PLACEHOLDER_RE.search(p))


def github_slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[`*_~]", lambda m: m.group(0) if m.group(0) == "_" else "", s)
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


class Checker:
    def __init__(self):
        self.cache = {}
        self.basenames = None
        self.boots = None
        self.errors = []
        self.counts = {"code": 0, "path": 0, "link": 0, "test": 0, "boot": 0, "figure": 0}
        self.listing = []

    def read(self, rel):
        if rel not in self.cache:
            try:
                with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as f:
                    self.cache[rel] = f.read()
            except OSError:
                self.cache[rel] = None
        return self.cache[rel]

    def find_basename(self, base):
        if self.basenames is None:
            self.basenames = {}
            for top in TOP_DIRS:
                for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
                    for f in files:
                        rel = os.path.relpath(os.path.join(dirpath, f), ROOT)
                        self.basenames.setdefault(f, []).append(rel)
        return self.basenames.get(base, [])

    def boot_names(self):
        if self.boots is None:
            try:
                ns = runpy.run_path(os.path.join(ROOT, "tests", "boots.py"))
                self.boots = {b["name"] for b in ns["BOOTS"]}
            except Exception as e:  # a broken boots.py is itself worth reporting
                self.boots = e
        return self.boots

    def error(self, doc, line, ref, why):
        self.errors.append("%s:%d: %s: %s" % (doc, line, ref, why))

    def note(self, kind, doc, line, ref):
        self.counts[kind] += 1
        self.listing.append("%s:%d: %-4s %s" % (doc, line, kind, ref))

    # ---- the checks ----
    def check_code(self, doc, line, path, name, ref):
        self.note("code", doc, line, ref)
        if not os.path.isfile(os.path.join(ROOT, path)):
            self.error(doc, line, ref, "no such file %s" % path)
            return
        definer = definer_for(path)
        if definer is None:
            self.error(doc, line, ref, "cannot look for definitions in a %s file" % (os.path.splitext(path)[1] or path))
            return
        if not definer(self.read(path), name):
            self.error(doc, line, ref, "%s is not defined in %s" % (name, path))

    def check_path(self, doc, line, path):
        self.note("path", doc, line, path)
        if "*" in path:
            if not glob.glob(os.path.join(ROOT, path)):
                self.error(doc, line, path, "no file matches")
        elif not os.path.exists(os.path.join(ROOT, path)):
            self.error(doc, line, path, "no such file or directory")

    def check_link(self, doc, line, target):
        self.note("link", doc, line, target)
        path, _, anchor = target.partition("#")
        docdir = os.path.dirname(doc)
        rel = os.path.normpath(os.path.join(docdir, path)) if path else doc
        full = os.path.join(ROOT, rel)
        if not os.path.exists(full):
            self.error(doc, line, target, "link target %s does not exist" % rel)
            return
        if anchor and rel.endswith(".md"):
            text = self.read(rel) or ""
            slugs = {github_slug(h) for h in re.findall(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}
            if anchor.lower() not in slugs:
                self.error(doc, line, target, "no heading #%s in %s" % (anchor, rel))

    def check_test(self, doc, line, prog, case):
        ref = "%s:%s" % (prog, case)
        self.note("test", doc, line, ref)
        src = "tests/user/%s.c" % prog
        text = self.read(src)
        if text is None:
            self.error(doc, line, ref, "no test program %s" % src)
        elif not re.search(r"\bTEST\(\s*" + re.escape(case) + r"\s*\)", text):
            self.error(doc, line, ref, "%s has no TEST(%s)" % (src, case))

    def check_boot(self, doc, line, name):
        self.note("boot", doc, line, name)
        boots = self.boot_names()
        if isinstance(boots, Exception):
            self.error(doc, line, name, "tests/boots.py could not be read: %s" % boots)
        elif name not in boots:
            self.error(doc, line, name, "no boot named %s in tests/boots.py" % name)

    def check_doc(self, doc):
        text = self.read(doc)
        if text is None:
            self.error(doc, 0, doc, "cannot read")
            return
        for lineno, line in enumerate(text.splitlines(), 1):
            code_spans = []
            for m in CODE_RE.finditer(line):
                path = m.group(1)
                if path.startswith(TOP_DIRS) and not re.search(r"\.[A-Za-z0-9]+$", path):
                    continue  # a directory followed by ":", not a file:function
                code_spans.append(m.span())
                if is_placeholder(path):
                    continue
                self.check_code(doc, lineno, path, m.group(2), m.group(0))
            for m in BARE_CODE_RE.finditer(line):
                if any(s <= m.start() < e for s, e in code_spans):
                    continue
                if is_placeholder(m.group(1)):
                    continue
                hits = self.find_basename(m.group(1))
                if len(hits) != 1:
                    self.note("code", doc, lineno, m.group(0))
                    self.error(doc, lineno, m.group(0), "%s names %s" % (
                        m.group(1), "no file" if not hits else "several files: " + ", ".join(sorted(hits))))
                    continue
                code_spans.append(m.span())
                self.check_code(doc, lineno, hits[0], m.group(2), m.group(0))
            for m in PATH_RE.finditer(line):
                path = clean_path(m.group(1))
                if is_placeholder(path) or any(s <= m.start() < e for s, e in code_spans):
                    continue
                self.check_path(doc, lineno, path)
            for m in LINK_RE.finditer(line):
                target = m.group(2)
                if re.match(r"[a-z]+:", target) or target.startswith("/"):
                    continue  # http:, mailto:, absolute
                self.check_link(doc, lineno, target)
            for m in TEST_RE.finditer(line):
                self.check_test(doc, lineno, m.group(1), m.group(2))
            for m in BOOT_RE.finditer(line):
                name = m.group(1) or m.group(2)
                if not is_placeholder(name):
                    self.check_boot(doc, lineno, name)


# A figure: a hex number, a number with thousands separators, or a plain
# one; not part of a word or a compound (x86-64, 12-bit, §4.10, v1.2).
FIGURE_RE = re.compile(r"(?<![\w.§/-])(0x[0-9a-fA-F]+|\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w-])")
TOUR_STEP_PREFIX = "    pagewise$ "


# Units a figure can count. "16,384 faults" must be on one output line with
# "fault"; a page that says "16,384 faults" where the demo printed "16384
# pages" and "+16381" faults is caught.
UNITS = {"fault": r"faults?", "page": r"pages?", "mib": r"MiB", "kib": r"Ki?B", "kb": r"Ki?B", "gib": r"GiB",
         "invlpg": r"invlpg", "flush": r"flush(?:es)?", "frame": r"frames?", "word": r"words?", "slot": r"slots?",
         "byte": r"bytes?", "child": r"child(?:ren)?", "children": r"child(?:ren)?"}


def unit_of(word):
    w = word.lower()
    for cand in (w, w[:-1] if w.endswith("s") else None, w[:-2] if w.endswith("es") else None):
        if cand in UNITS:
            return UNITS[cand]
    return None


def figures(text):
    """The figures of two or more digits in text, commas removed, each with
    the unit it counts (a regex) if the word after it is one."""
    out = []
    for m in FIGURE_RE.finditer(text):
        f = m.group(1).replace(",", "")
        if len(f.replace(".", "")) >= 2 or f.startswith("0x"):
            w = re.match(r"\s+([A-Za-z]+)", text[m.end():])
            out.append((m.group(1), f.lower(), unit_of(w.group(1)) if w else None))
    return out


def shown_with_unit(output, fig, unit):
    """Does one line of output carry both the figure and the unit?"""
    return any(fig in {f for _, f, _ in figures(line)} and re.search(r"\b" + unit + r"\b", line, re.I)
               for line in output.splitlines())


def tour_prose(tour_text):
    """[(command, first line number, [(line number, prose line)]), ...] and
    the setup text before the first step."""
    steps, setup, cur, in_prose = [], [], None, False
    for lineno, line in enumerate(tour_text.splitlines(), 1):
        if line.startswith(TOUR_STEP_PREFIX):
            cur = (line[len(TOUR_STEP_PREFIX):].strip(), lineno, [])
            steps.append(cur)
            in_prose = False
        elif cur is None:
            setup.append(line)
        elif line.startswith("Look for:"):
            in_prose = True
        elif line.startswith("#"):
            in_prose = False
        elif in_prose:
            cur[2].append((lineno, line))
    return steps, "\n".join(setup)


def tour_outputs(log_text):
    """The shell's output after each command typed by the tour boot, in order:
    [(command, output), ...]."""
    text = log_text.replace("\r", "")
    parts = re.split(r"^pagewise\$ (.*?)(?:; echo status=\$\?)?$", text, flags=re.M)
    # parts: [before, cmd1, out1, cmd2, out2, ...]
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def check_tour_figures(ck, doc, log_path):
    text = ck.read(doc)
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
    except OSError as e:
        ck.error(doc, 0, log_path, "cannot read the tour log: %s" % e)
        return
    steps, setup = tour_prose(text)
    setup_figs = {f for _, f, _ in figures(setup)}
    outputs = tour_outputs(log)
    for i, (cmd, step_line, prose) in enumerate(steps):
        if i >= len(outputs) or outputs[i][0] != cmd:
            ck.error(doc, step_line, cmd, "step %d has no output in %s (did the tour boot run it?)" % (i + 1, log_path))
            continue
        output = cmd + "\n" + outputs[i][1]
        seen = {f for _, f, _ in figures(output)}
        for lineno, line in prose:
            for shown, f, unit in figures(line):
                ck.counts["figure"] += 1
                ck.listing.append("%s:%d: figure %s" % (doc, lineno, shown))
                if f in setup_figs:
                    continue  # the machine's setup (128 MiB of RAM, 256 MiB of swap)
                if f not in seen:
                    ck.error(doc, lineno, shown, "the output of step %d (%s) in %s never shows %s" % (
                        i + 1, cmd, log_path, f))
                elif unit and not shown_with_unit(output, f, unit):
                    ck.error(doc, lineno, shown, "the output of step %d (%s) in %s shows %s, but never on a line "
                             "that says %s" % (i + 1, cmd, log_path, f, re.sub(r"[?()]|:\?", "", unit)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print every reference found")
    ap.add_argument("--tour-log", metavar="LOG",
                    help="also check the figures in the prose of docs/tour.md against LOG, the serial log of "
                    "the tour boot (build/test/tour.log)")
    ap.add_argument("docs", nargs="*", help="markdown files (default: README.md docs/*.md docs/labs/*.md)")
    args = ap.parse_args()
    docs = args.docs or ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")) + glob.glob(os.path.join(ROOT, "docs", "labs", "*.md")))
    docs = [os.path.relpath(os.path.abspath(d), ROOT) if os.path.isabs(d) or os.path.exists(d) else d for d in docs]
    ck = Checker()
    for d in docs:
        ck.check_doc(d)
    if args.tour_log:
        tour = [d for d in docs if os.path.basename(d) == "tour.md"] or ["docs/tour.md"]
        for d in tour:
            check_tour_figures(ck, d, args.tour_log)
    if args.list:
        print("\n".join(ck.listing))
    for e in ck.errors:
        print("doccheck: BROKEN " + e)
    total = sum(ck.counts.values())
    detail = ", ".join("%d %s" % (v, k) for k, v in ck.counts.items())
    if ck.errors:
        print("doccheck: FAIL: %d of %d references broken in %d files (%s)" % (len(ck.errors), total, len(docs), detail))
        return 1
    print("doccheck: OK: %d references in %d files resolve (%s)" % (total, len(docs), detail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
