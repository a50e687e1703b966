/*
 * mm/kmalloc.h - the kernel heap for small objects: size classes on
 * slabs (one frame each), big requests straight from the buddy allocator.
 * Memory comes from the direct map, so it is physically contiguous.
 */
#ifndef PAGEWISE_MM_KMALLOC_H
#define PAGEWISE_MM_KMALLOC_H

#include <stddef.h>

#define KMALLOC_MIN 16
#define KMALLOC_MAX_SLAB 2048 /* larger requests take whole frames */

/* Returns memory aligned to its size class (16 at least), or NULL. */
void *kmalloc(size_t size);
/* kmalloc, zero-filled. */
void *kzalloc(size_t size);
/* Free what kmalloc returned; NULL is ignored. */
void kfree(void *p);
/* Frames currently held by slabs (for tests and /proc/meminfo Slab:). */
size_t kmalloc_slab_frames(void);

#endif
