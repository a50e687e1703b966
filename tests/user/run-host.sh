#!/bin/sh
# tests/user/run-host.sh - build the user-space test programs for Linux and
# run them here, natively. They must pass on Linux before we ask Pagewise to
# pass them: the programs are the specification of "behaves like Linux".
#
#   sh tests/user/run-host.sh            # all tests/user/t_*.c
#   sh tests/user/run-host.sh t_lazy     # just these programs
#
# Run it from the repository root. Binaries and logs go to build/host/.
# Prints every program's output, then "N passed, M failed" (counting TEST
# lines); exits non-zero if any case failed, a program exited non-zero, did
# not compile, or printed fewer results than its "TESTS n" line announced.

CC=${CC:-musl-gcc}
CFLAGS=${CFLAGS:-"-static -O2 -Wall -Wextra"}
SRCDIR=tests/user
OUTDIR=build/host
TIMEOUT=300 # seconds per program

if [ ! -f "$SRCDIR/testlib.h" ]; then
    echo "run-host.sh: run me from the repository root" >&2
    exit 2
fi
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run-host.sh: $CC not found; install it with: sudo apt-get install -y musl-tools" >&2
    exit 2
fi
mkdir -p "$OUTDIR" || exit 2

if [ $# -gt 0 ]; then
    progs="$*"
else
    progs=
    for src in "$SRCDIR"/t_*.c; do
        progs="$progs $(basename "$src" .c)"
    done
fi

# Run with a time limit when timeout(1) is available.
run_limited() {
    if command -v timeout >/dev/null 2>&1; then
        timeout "$TIMEOUT" "$@"
    else
        "$@"
    fi
}

passed=0
failed=0
bad_programs=

for prog in $progs; do
    src="$SRCDIR/$prog.c"
    bin="$OUTDIR/$prog"
    log="$OUTDIR/$prog.log"

    echo "=== $prog"
    # shellcheck disable=SC2086 # CFLAGS is a list of words
    if ! $CC $CFLAGS -o "$bin" "$src"; then
        echo "$prog: does not compile"
        bad_programs="$bad_programs $prog(compile)"
        continue
    fi

    run_limited "$bin" >"$log" 2>&1
    rc=$?
    cat "$log"

    p=$(grep -c '^TEST [^ ]* PASS' "$log")
    f=$(grep -c '^TEST [^ ]* FAIL' "$log")
    announced=$(sed -n 's/^TESTS \([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
    passed=$((passed + p))
    failed=$((failed + f))

    if [ -z "$announced" ]; then
        echo "$prog: no 'TESTS n' line"
        bad_programs="$bad_programs $prog(no-header)"
    elif [ $((p + f)) -lt "$announced" ]; then
        missing=$((announced - p - f))
        echo "$prog: $missing result line(s) missing"
        failed=$((failed + missing))
        bad_programs="$bad_programs $prog(missing)"
    fi
    if ! grep -q '^TESTS DONE$' "$log"; then
        echo "$prog: no 'TESTS DONE' line"
        bad_programs="$bad_programs $prog(unfinished)"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "$prog: exit status $rc"
        bad_programs="$bad_programs $prog(exit-$rc)"
    fi
done

echo "$passed passed, $failed failed"
if [ -n "$bad_programs" ]; then
    echo "problems:$bad_programs"
fi
if [ "$failed" -ne 0 ] || [ -n "$bad_programs" ]; then
    exit 1
fi
exit 0
