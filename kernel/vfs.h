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
#define S_IXUGO 0111

/* What a permission check asks for (Linux's MAY_*, the same as the x, w
 * and r bits of a mode and of access(2)'s X_OK, W_OK, R_OK). */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

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
struct pfn_range;

/* What a device or generated file does; NULL members mean "not supported". */
struct file_ops {
    long (*read)(struct file *f, char *ubuf, size_t n, uint64_t *pos);
    long (*write)(struct file *f, const char *ubuf, size_t n, uint64_t *pos);
    long (*ioctl)(struct file *f, unsigned cmd, uintptr_t arg);
    /* /proc files: fill buf (kernel memory) with the whole text, return length. */
    long (*generate)(struct inode *ino, char *buf, size_t size);
    /* The last descriptor of an open file closed (pipes count their ends). */
    void (*release)(struct file *f);
    /* Symlinks whose target changes (/proc/self, /proc/<pid>/exe); a
     * negative errno refuses (another user's /proc/<pid>/exe: -EACCES). */
    long (*readlink)(struct inode *ino, char *buf, size_t size);
    /* Called by open after the mode bits allowed it: 0, or an errno that
     * refuses the open (/proc/<pid>/maps of another user's process). */
    long (*open)(struct file *f);
    /* poll(2): which POLL* events are ready now. NULL: always readable
     * and writable (files, /proc, /dev/null), as Linux's DEFAULT_POLLMASK. */
    unsigned (*poll)(struct file *f);
    /* A character device with positions (a framebuffer): lseek, pread and
     * pwrite work on it (a tty or a pipe: ESPIPE). */
    bool seekable;
    /* mmap(2) of a device (a framebuffer): where [off, off + len) of it
     * lies in physical memory, and its memory type (mm/ioremap.h). 0, or
     * the errno (EINVAL: not all of it inside the device). NULL: the file
     * cannot be mapped (ENODEV). Linux: f_op->mmap, which calls
     * remap_pfn_range itself; here mm/pfnmap.c does that part. */
    long (*mmap)(struct file *f, uint64_t off, uint64_t len, struct pfn_range *out);
};

/* poll(2) events (Linux's values). */
#define POLLIN 0x001
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct inode {
    uint64_t ino;
    uint32_t mode;          /* S_IF* | permission bits */
    uint32_t uid, gid;      /* owner (vfs_owner: what the checks and stat use) */
    /* The owner when it changes with time (/proc/<pid>: the process's
     * euid/egid while it is dumpable), else NULL: uid and gid above. */
    void (*get_owner)(const struct inode *ino, uint32_t *uid, uint32_t *gid);
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
    bool privileged; /* the opener was root (pagemap shows PFNs to those only) */
    char path[128]; /* as opened, for /proc/<pid>/fd and exe (truncated) */
};

/* Build the tree: the initrd (cpio "newc" at [start, end) in kernel
 * memory), /dev and /proc. Called once from kmain. */
void vfs_init(const void *initrd, size_t size);
/* Add a regular file or symlink (e.g. a program passed by QEMU fw_cfg) at
 * path, owned by root. Returns its inode or NULL. */
struct inode *vfs_add_file(const char *path, const void *data, size_t size, uint32_t mode);
/* Add a node whose contents come from ops (devices, /proc), owned by root. */
struct inode *vfs_add_node(const char *path, uint32_t mode, const struct file_ops *ops);
/* Add a node called name to directory dir, without a path walk: for a
 * directory the caller just made (/proc/<pid>), where no name repeats.
 * NULL if out of memory. */
struct inode *vfs_add_child(struct inode *dir, const char *name, uint32_t mode, const struct file_ops *ops);

/* Who owns ino (its get_owner, or uid and gid). */
void vfs_owner(const struct inode *ino, uint32_t *uid, uint32_t *gid);
/* May the current process do mask (MAY_READ | MAY_WRITE | MAY_EXEC) to
 * ino? Linux's generic_permission, with the fs ids: the owner's bits if
 * fsuid owns it, else the group's if fsgid or a supplementary group is its
 * group, else the others'. Root (fsuid 0) may read and write anything,
 * search any directory, and execute a file with at least one x bit.
 * Returns 0 or -EACCES. */
int vfs_permission(const struct inode *ino, int mask);

/* Take node out of the tree with everything below it (/proc/<pid> when
 * the process is reaped). Inodes still open are freed at their last close. */
void vfs_remove(struct inode *node);
/* The target of a symlink into buf (NUL-terminated); returns its length. */
long vfs_readlink(struct inode *ino, char *buf, size_t size);
/* Resolve path (absolute, or relative to cwd) to an inode. follow: follow
 * a final symlink. Each directory passed through must allow the current
 * process to search it (x). A trailing slash demands a directory.
 * Returns 0 and *out, or -ENOENT/-ENOTDIR/-ELOOP/-ENAMETOOLONG/-EACCES. */
int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out);
/* The same; *missing says whether -ENOENT means that only the final
 * component is missing (where open(O_CREAT) would create the file). */
int vfs_lookup_create(struct inode *cwd, const char *path, bool follow, struct inode **out, bool *missing);
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
/* Write at pos without moving the file position (pwrite64). */
long file_pwrite(struct file *f, const char *ubuf, size_t n, uint64_t pos);
long file_getdents64(struct file *f, char *ubuf, size_t n);

#endif
