/*
 * kernel/initrd.c - read a cpio "newc" archive (man 5 cpio).
 *
 * Each entry: a 110-byte ASCII header, the name, the data:
 *   "070701" ino mode uid gid nlink mtime filesize devmajor devminor
 *   rdevmajor rdevminor namesize check    (13 fields of 8 hex digits)
 *   name (namesize bytes with the NUL), padded to a multiple of 4
 *   data (filesize bytes), padded to a multiple of 4
 * The archive ends with an entry named "TRAILER!!!". Each file keeps the
 * mode, uid and gid of its header (iso/mkinitrd.py writes root, 0).
 */
#include "kernel/initrd.h"

#include <stdint.h>

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vfs.h"

#define CPIO_HEADER_LEN 110
#define CPIO_FIELD_LEN 8
#define CPIO_MAGIC "070701"
#define CPIO_TRAILER "TRAILER!!!"
enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJ, F_DEVMIN, F_RDEVMAJ, F_RDEVMIN, F_NAMESIZE };

static bool hex_field(const char *hdr, int field, uint32_t *out)
{
    const char *p = hdr + 6 + field * CPIO_FIELD_LEN;
    uint32_t v = 0;
    for (int i = 0; i < CPIO_FIELD_LEN; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return true;
}

int initrd_unpack(const void *archive, size_t size)
{
    const char *base = archive;
    size_t off = 0;
    int files = 0;
    while (off + CPIO_HEADER_LEN <= size) {
        const char *hdr = base + off;
        uint32_t mode, uid, gid, filesize, namesize;
        if (memcmp(hdr, CPIO_MAGIC, 6) != 0 || !hex_field(hdr, F_MODE, &mode) || !hex_field(hdr, F_UID, &uid) ||
            !hex_field(hdr, F_GID, &gid) || !hex_field(hdr, F_FILESIZE, &filesize) ||
            !hex_field(hdr, F_NAMESIZE, &namesize))
            goto bad;
        const char *name = hdr + CPIO_HEADER_LEN;
        size_t data_off = ALIGN_UP(off + CPIO_HEADER_LEN + namesize, 4);
        if (namesize == 0 || data_off + filesize > size || name[namesize - 1] != '\0')
            goto bad;
        if (strcmp(name, CPIO_TRAILER) == 0)
            break;
        const char *path = name;
        while (*path == '.' && path[1] == '/')
            path += 2;
        if (strcmp(path, ".") != 0 && *path) {
            struct inode *ino = NULL;
            if (S_ISDIR(mode))
                ino = vfs_add_node(path, mode, NULL);
            else if (S_ISREG(mode) || S_ISLNK(mode))
                files += (ino = vfs_add_file(path, base + data_off, filesize, mode)) != NULL;
            if (ino) {
                ino->uid = uid;
                ino->gid = gid;
            }
        }
        off = ALIGN_UP(data_off + filesize, 4);
    }
    pr_info("initrd: %d files, %zu KiB, unpacked at /\n", files, size >> 10);
    return files;
bad:
    pr_err("initrd: malformed cpio archive at offset %zu: stopped there\n", off);
    return -EINVAL;
}
