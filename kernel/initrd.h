/*
 * kernel/initrd.h - the initial RAM disk: a cpio "newc" archive that GRUB
 * loads as a multiboot2 module (iso/mkinitrd.py builds it). Its files
 * become the read-only root file system; their bytes stay where GRUB put
 * them, so a file is never copied until a process touches its pages.
 */
#ifndef PAGEWISE_KERNEL_INITRD_H
#define PAGEWISE_KERNEL_INITRD_H

#include <stddef.h>

/* Add every entry of the archive to the VFS. Returns the number of files,
 * or -EINVAL for a malformed archive (what was read before stays). */
int initrd_unpack(const void *archive, size_t size);

#endif
