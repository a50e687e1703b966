/*
 * kernel/file.c - open files: reading initrd files and directories,
 * and passing device I/O to their file_ops.
 */
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/kmalloc.h"

#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define DT_CHR 2
#define PROC_TEXT_MAX 16384

struct file *file_open(struct inode *ino, unsigned flags, const char *path)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->inode = ino;
    ino->open_count++;
    f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
    f->refcount = 1;
    strlcpy(f->path, path, sizeof(f->path));
    return f;
}

void file_get(struct file *f) { f->refcount++; }

void file_put(struct file *f)
{
    if (--f->refcount > 0)
        return;
    struct inode *ino = f->inode;
    if (ino->ops && ino->ops->release)
        ino->ops->release(f);
    else if (--ino->open_count == 0 && ino->unlinked)
        kfree(ino); /* its /proc directory went away while it was open */
    kfree(f);
}

/* Copy [pos, pos + n) of a byte array to the user; returns bytes copied
 * (a short count if the user buffer faults part way) or -EFAULT. */
static long read_bytes(const uint8_t *data, uint64_t size, char *ubuf, size_t n, uint64_t pos)
{
    if (pos >= size)
        return 0;
    n = MIN(n, size - pos);
    size_t done = copy_to_user_partial(ubuf, data + pos, n);
    return done == 0 && n > 0 ? -EFAULT : (long)done;
}

/* /proc files: generate the whole text, then read from it like a file. */
static long read_generated(struct inode *ino, char *ubuf, size_t n, uint64_t pos)
{
    char *buf = kmalloc(PROC_TEXT_MAX);
    if (!buf)
        return -ENOMEM;
    long len = ino->ops->generate(ino, buf, PROC_TEXT_MAX);
    long r = len < 0 ? len : read_bytes((const uint8_t *)buf, (uint64_t)len, ubuf, n, pos);
    kfree(buf);
    return r;
}

long file_pread(struct file *f, char *ubuf, size_t n, uint64_t pos)
{
    struct inode *ino = f->inode;
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (S_ISDIR(ino->mode))
        return -EISDIR;
    if (ino->ops && ino->ops->generate)
        return read_generated(ino, ubuf, n, pos);
    if (ino->ops) {
        if (!ino->ops->read)
            return -EINVAL;
        return ino->ops->read(f, ubuf, n, &pos);
    }
    return read_bytes(ino->data, ino->size, ubuf, n, pos);
}

long file_read(struct file *f, char *ubuf, size_t n)
{
    struct inode *ino = f->inode;
    if (ino->ops && ino->ops->read && !ino->ops->generate) {
        if ((f->flags & O_ACCMODE) == O_WRONLY)
            return -EBADF;
        return ino->ops->read(f, ubuf, n, &f->pos); /* the device moves f->pos itself */
    }
    long r = file_pread(f, ubuf, n, f->pos);
    if (r > 0)
        f->pos += (uint64_t)r;
    return r;
}

long file_write(struct file *f, const char *ubuf, size_t n)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    struct inode *ino = f->inode;
    if (!ino->ops || !ino->ops->write)
        return -EROFS; /* the initrd is read-only */
    return ino->ops->write(f, ubuf, n, &f->pos);
}

long file_pwrite(struct file *f, const char *ubuf, size_t n, uint64_t pos)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    struct inode *ino = f->inode;
    if (!ino->ops || !ino->ops->write)
        return -EROFS;
    return ino->ops->write(f, ubuf, n, &pos);
}

static uint8_t dirent_type(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR: return DT_DIR;
    case S_IFLNK: return DT_LNK;
    case S_IFCHR: return DT_CHR;
    default: return DT_REG;
    }
}

/* struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type;
 * char d_name[]; }, each record 8-byte aligned. f->pos counts entries,
 * "." and ".." first. */
long file_getdents64(struct file *f, char *ubuf, size_t n)
{
    struct inode *dir = f->inode;
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    size_t used = 0;
    uint64_t index = 0;
    struct list_head *pos = dir->children.next;
    for (;; index++) {
        const char *name;
        struct inode *ino;
        if (index == 0) {
            name = ".", ino = dir;
        } else if (index == 1) {
            name = "..", ino = dir->parent;
        } else {
            if (pos == &dir->children)
                break;
            ino = list_entry(pos, struct inode, sibling);
            name = ino->name;
            pos = pos->next;
            if (ino->hidden)
                continue; /* its index stays taken: positions never shift */
        }
        if (index < f->pos)
            continue;
        size_t namelen = strlen(name);
        size_t reclen = ALIGN_UP(19 + namelen + 1, 8);
        if (used + reclen > n)
            return used ? (long)used : -EINVAL; /* buffer too small for one entry */
        uint8_t rec[19 + NAME_MAX + 1 + 8] = {0};
        uint64_t d_ino = ino->ino, d_off = index + 1;
        uint16_t r16 = (uint16_t)reclen;
        memcpy(rec, &d_ino, 8);
        memcpy(rec + 8, &d_off, 8);
        memcpy(rec + 16, &r16, 2);
        rec[18] = dirent_type(ino->mode);
        memcpy(rec + 19, name, namelen + 1);
        if (copy_to_user(ubuf + used, rec, reclen))
            return -EFAULT;
        used += reclen;
        f->pos = index + 1;
    }
    return (long)used;
}
