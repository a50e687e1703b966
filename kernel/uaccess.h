/*
 * kernel/uaccess.h - the only way the kernel touches user memory.
 *
 * Every user pointer a syscall receives is untrusted: it may point into
 * the kernel half, at nothing, or at a page that is not present yet.
 * These functions check that the range lies in the user half, open SMAP
 * for the copy only (stac/clac), let page faults on not-yet-present user
 * pages be handled normally (demand paging), and turn any fault that
 * cannot be handled into -EFAULT through the exception table, never a
 * panic and never a read of kernel memory.
 */
#ifndef PAGEWISE_KERNEL_UACCESS_H
#define PAGEWISE_KERNEL_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is [addr, addr + len) entirely in the user half? */
bool access_ok(uintptr_t addr, size_t len);

/* Copy n bytes; return 0 or -EFAULT (then some bytes may have been copied). */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
/* Zero n user bytes; 0 or -EFAULT. */
int clear_user(void *udst, size_t n);
/* Copy a NUL-terminated string of at most max-1 bytes. Returns its length,
 * -EFAULT, or -ENAMETOOLONG if no NUL within max bytes. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);
/* Bytes copied before the first fault (for short reads/writes, as Linux):
 * the _partial versions return how many bytes were copied. */
size_t copy_to_user_partial(void *udst, const void *src, size_t n);
size_t copy_from_user_partial(void *dst, const void *usrc, size_t n);

#endif
