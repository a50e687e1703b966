/*
 * tests/kernel/ktest.h - in-kernel unit tests.
 *
 *   KTEST(pmm_coalesce) { ... KT_ASSERT(t, cond, "why %d", x); ... }
 *
 * registers a test in section .ktests; `test=all` (or a name, or a
 * prefix ending in '*') on the kernel command line runs them and prints
 * the lines the host harness (tests/harness.py) reads:
 *   TESTS <n> | TEST <name> PASS | TEST <name> FAIL <why> | TESTS DONE
 * KTEST_PANIC tests are expected to panic the kernel; they run only when
 * named exactly, one per boot (tests/boots.py checks the panic text).
 */
#ifndef PAGEWISE_TESTS_KTEST_H
#define PAGEWISE_TESTS_KTEST_H

#include <stdbool.h>

#include "kernel/printk.h"

#define KTEST_FAIL_MAX 160

struct ktest_ctx {
    bool failed;
    char why[KTEST_FAIL_MAX];
};

enum ktest_kind { KTEST_NORMAL, KTEST_EXPECT_PANIC };

struct ktest {
    const char *name;
    void (*fn)(struct ktest_ctx *t);
    enum ktest_kind kind;
};

#define KTEST_DEFINE(tname, kind)                                                                                      \
    static void ktest_##tname(struct ktest_ctx *t);                                                                    \
    static const struct ktest ktest_desc_##tname                                                                       \
        __attribute__((section(".ktests"), used, aligned(8))) = {#tname, ktest_##tname, kind};                         \
    static void ktest_##tname(struct ktest_ctx *t)

#define KTEST(name) KTEST_DEFINE(name, KTEST_NORMAL)
#define KTEST_PANIC(name) KTEST_DEFINE(name, KTEST_EXPECT_PANIC)

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* On failure: record file:line and the message, leave the test function. */
#define KT_ASSERT(t, cond, ...)                                                                                        \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            ktest_fail(t, __FILE__, __LINE__, __VA_ARGS__);                                                            \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* Run every test matching pattern; returns the number that failed. */
int ktest_run(const char *pattern);

#endif
