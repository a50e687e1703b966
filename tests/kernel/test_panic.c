/*
 * tests/kernel/test_panic.c - tests that must end in a panic. Each runs
 * alone in its own boot (tests/boots.py) and the harness checks the
 * panic text.
 */
#include "kernel/compiler.h"
#include "mm/memlayout.h"
#include "tests/kernel/ktest.h"

#define OVERFLOW_FRAME 512

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __noinline int recurse_forever(int depth)
{
    volatile char frame[OVERFLOW_FRAME];
    frame[0] = (char)depth;
    return recurse_forever(depth + 1) + frame[0]; /* not a tail call */
}

/* Recursion runs off the vmalloc'ed kernel stack into its guard page:
 * #PF cannot be pushed, #DF runs on its IST stack and names the cause. */
KTEST_PANIC(panic_stack_overflow) { KT_ASSERT(t, recurse_forever(0) == 0, "the recursion returned"); }

/* A kernel read of an unmapped address: the panic names the page fault,
 * decodes the error code and the backtrace names this function. */
KTEST_PANIC(panic_page_fault)
{
    volatile uint64_t *unmapped = (volatile uint64_t *)(VMALLOC_END - PAGE_SIZE);
    KT_ASSERT(t, *unmapped == 0, "the read returned");
}
