/*
 * kernel/uaccess.c - copies between kernel and user memory.
 *
 * The copy loop is one `rep movsb` with an exception-table entry: if it
 * faults on a user page that the fault handler cannot make present, the
 * trap code resumes at the fixup with RCX = bytes not yet copied. (A
 * fault on a user page that *can* be made present, say a lazily
 * allocated one, is simply handled and the copy continues:
 * trap.c asks mm/fault.c first.)
 */
#include "kernel/uaccess.h"

#include "kernel/errno.h"
#include "kernel/extable.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"

bool access_ok(uintptr_t addr, size_t len)
{
    return addr <= USER_SPACE_END && len <= USER_SPACE_END - addr;
}

/* Returns the number of bytes NOT copied (0 on success). SMAP is opened
 * around the one instruction that touches user memory. */
static size_t raw_copy(void *dst, const void *src, size_t n)
{
    __asm__ volatile("stac\n\t"
                     "1: rep movsb\n"
                     "2: clac\n\t"
                     ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad 1b, 2b\n\t.popsection"
                     : "+D"(dst), "+S"(src), "+c"(n)
                     :
                     : "memory");
    return n;
}

static size_t raw_clear(void *dst, size_t n)
{
    __asm__ volatile("stac\n\t"
                     "1: rep stosb\n"
                     "2: clac\n\t"
                     ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad 1b, 2b\n\t.popsection"
                     : "+D"(dst), "+c"(n)
                     : "a"(0)
                     : "memory");
    return n;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
    if (!access_ok((uintptr_t)usrc, n))
        return -EFAULT;
    return raw_copy(dst, usrc, n) ? -EFAULT : 0;
}

int copy_to_user(void *udst, const void *src, size_t n)
{
    if (!access_ok((uintptr_t)udst, n))
        return -EFAULT;
    return raw_copy(udst, src, n) ? -EFAULT : 0;
}

int clear_user(void *udst, size_t n)
{
    if (!access_ok((uintptr_t)udst, n))
        return -EFAULT;
    return raw_clear(udst, n) ? -EFAULT : 0;
}

size_t copy_to_user_partial(void *udst, const void *src, size_t n)
{
    if (!access_ok((uintptr_t)udst, n))
        return 0;
    return n - raw_copy(udst, src, n);
}

size_t copy_from_user_partial(void *dst, const void *usrc, size_t n)
{
    if (!access_ok((uintptr_t)usrc, n))
        return 0;
    return n - raw_copy(dst, usrc, n);
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (!access_ok((uintptr_t)usrc + i, 1) || raw_copy(&dst[i], usrc + i, 1))
            return -EFAULT;
        if (dst[i] == '\0')
            return (long)i;
    }
    if (max)
        dst[max - 1] = '\0';
    return -ENAMETOOLONG;
}
