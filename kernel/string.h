/* kernel/string.h - the few C library string functions the kernel uses. */
#ifndef PAGEWISE_KERNEL_STRING_H
#define PAGEWISE_KERNEL_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* The first place needle occurs in haystack, or NULL (the tests' checks
 * of report texts). */
char *strstr(const char *haystack, const char *needle);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Zero / copy one 4 KiB page (page aligned). */
void clear_page(void *page);
void copy_page(void *dst, const void *src);

#endif
