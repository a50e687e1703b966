/* tests/kernel/ktest.c - the in-kernel test runner; see ktest.h. */
#include "tests/kernel/ktest.h"

#include "kernel/string.h"
#include "mm/pmm.h"

extern const struct ktest __ktests_start[], __ktests_end[];

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(t->why, sizeof(t->why), "%s:%d: ", file, line);
    va_start(ap, fmt);
    vsnprintf(t->why + n, sizeof(t->why) - n, fmt, ap);
    va_end(ap);
    t->failed = true;
}

static bool ktest_selected(const struct ktest *k, const char *pattern)
{
    if (strcmp(k->name, pattern) == 0)
        return true;
    if (k->kind == KTEST_EXPECT_PANIC)
        return false;
    if (strcmp(pattern, "all") == 0)
        return true;
    size_t n = strlen(pattern);
    return n > 0 && pattern[n - 1] == '*' && strncmp(k->name, pattern, n - 1) == 0;
}

int ktest_run(const char *pattern)
{
    int selected = 0, failed = 0;
    for (const struct ktest *k = __ktests_start; k < __ktests_end; k++)
        selected += ktest_selected(k, pattern);
    printk(LOGLEVEL_EMERG, "TESTS %d\n", selected); /* shown even when quiet */
    for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
        if (!ktest_selected(k, pattern))
            continue;
        struct ktest_ctx t = {false, ""};
        k->fn(&t);
        if (t.failed) {
            failed++;
            printk(LOGLEVEL_EMERG, "TEST %s FAIL %s\n", k->name, t.why);
        } else {
            printk(LOGLEVEL_EMERG, "TEST %s PASS\n", k->name);
        }
    }
    printk(LOGLEVEL_EMERG, "TESTS DONE\n");
    return failed;
}
