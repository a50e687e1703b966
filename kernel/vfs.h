/*
 * kernel/vfs.h - a small read-only file system: the initrd's files in a
 * tree of inodes, plus device and /proc nodes whose contents come from
 * functions. Open files are struct file, shared by file descriptors.
 */
#ifndef PAGEWISE_KERNEL_VFS_H
#define PAGEWISE_KERNEL_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/list.h"

#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLOOP_MAX 8

/* st_mode file types and permission bits (Linux's values). */
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define S_IFLNK 0120000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)

/* open(2) flags. */
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000

struct file;
struct inode;

/* What a device or generated file does; NULL members mean "not supported". */
struct file_ops {
    long (*read)(struct file *f, char *ubuf, size_t n, uint64_t *pos);
    long (*write)(struct file *f, const char *ubuf, size_t n, uint64_t *pos);
    long (*ioctl)(struct file *f, unsigned cmd, uintptr_t arg);
    /* /proc files: fill buf (kernel memory) with the whole text, return length. */
    long (*generate)(struct inode *ino, char *buf, size_t size);
    /* The last descriptor of an open file closed (pipes count their ends). */
    void (*release)(struct file *f);
    /* Symlinks whose target changes (/proc/self, /proc/<pid>/exe). */
    long (*readlink)(struct inode *ino, char *buf, size_t size);
};

struct inode {
    uint64_t ino;
    uint32_t mode;          /* S_IF* | permission bits */
    uint64_t size;          /* regular files: bytes; symlinks: target length */
    const uint8_t *data;    /* regular files and symlinks: the bytes, in kernel memory */
    const struct file_ops *ops; /* devices and generated files */
    uint32_t rdev;          /* devices: major << 8 | minor */
    struct inode *parent;
    struct list_head children; /* directories */
    struct list_head sibling;
    void *priv;             /* the object behind a pipe or /proc node */
    int open_count;         /* open files on it: an unlinked inode is freed at 0 */
    bool unlinked;
    char name[NAME_MAX + 1];
};

struct file {
    struct inode *inode;
    uint64_t pos;
    unsigned flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK */
    int refcount;   /* descriptors (across processes) sharing it */
    char path[128]; /* as opened, for /proc/<pid>/fd and exe (truncated) */
};

/* Build the tree: the initrd (cpio "newc" at [start, end) in kernel
 * memory), /dev and /proc. Called once from kmain. */
void vfs_init(const void *initrd, size_t size);
/* Add a regular file (e.g. a program passed by QEMU fw_cfg) at path. */
int vfs_add_file(const char *path, const void *data, size_t size, uint32_t mode);
/* Add a node whose contents come from ops (devices, /proc). */
struct inode *vfs_add_node(const char *path, uint32_t mode, const struct file_ops *ops);

/* Take node out of the tree with everything below it (/proc/<pid> when
 * the process is reaped). Inodes still open are freed at their last close. */
void vfs_remove(struct inode *node);
/* The target of a symlink into buf (NUL-terminated); returns its length. */
long vfs_readlink(struct inode *ino, char *buf, size_t size);
/* Resolve path (absolute, or relative to cwd) to an inode. follow: follow
 * a final symlink. Returns 0 and *out, or -ENOENT/-ENOTDIR/-ELOOP/-ENAMETOOLONG. */
int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out);
struct inode *vfs_root(void);
/* Write the absolute path of ino into buf; returns its length or -ERANGE. */
long vfs_path_of(struct inode *ino, char *buf, size_t size);

/* Open files. */
struct file *file_open(struct inode *ino, unsigned flags, const char *path);
void file_get(struct file *f);
void file_put(struct file *f);
long file_read(struct file *f, char *ubuf, size_t n);
long file_pread(struct file *f, char *ubuf, size_t n, uint64_t pos);
long file_write(struct file *f, const char *ubuf, size_t n);
long file_getdents64(struct file *f, char *ubuf, size_t n);

#endif
