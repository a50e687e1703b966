/*
 * kernel/vfs.c - the inode tree and path lookup.
 *
 *   /            directory inodes hold their children in a list
 *   /bin/...     regular files: bytes straight from the initrd in memory
 *   /dev/...     devices: struct file_ops (kernel/dev.c)
 *   /proc/...    generated text (kernel/procfs.c)
 *
 * Every inode has an owner (uid, gid) and mode bits; vfs_permission checks
 * them as Linux's generic_permission does, for open, execve, access and
 * for each directory a path passes through (search permission, x).
 */
#include "kernel/vfs.h"

#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/dev.h"
#include "kernel/initrd.h"
#include "kernel/printk.h"
#include "kernel/procfs.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "mm/kpageflags.h"
#include "mm/ptdump.h"
#include "mm/kmalloc.h"

static struct {
    struct inode *root;
    uint64_t next_ino;
} vfs;

static struct inode *inode_new(const char *name, size_t len, uint32_t mode)
{
    struct inode *ino = kzalloc(sizeof(*ino));
    if (!ino)
        return NULL;
    ino->ino = ++vfs.next_ino;
    ino->mode = mode;
    list_init(&ino->children);
    len = MIN(len, (size_t)NAME_MAX);
    memcpy(ino->name, name, len);
    ino->name[len] = '\0';
    return ino;
}

struct inode *vfs_root(void) { return vfs.root; }

static struct inode *dir_find(struct inode *dir, const char *name, size_t len)
{
    struct list_head *pos;
    list_for_each(pos, &dir->children) {
        struct inode *c = list_entry(pos, struct inode, sibling);
        if (strlen(c->name) == len && strncmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

static struct inode *dir_add(struct inode *dir, struct inode *child)
{
    child->parent = dir;
    list_add_tail(&child->sibling, &dir->children);
    return child;
}

/* Create (or find) the node for path: directories on the way are made.
 * An existing node of the final name is replaced in place. */
static struct inode *vfs_create(const char *path, uint32_t mode)
{
    struct inode *dir = vfs.root;
    while (*path == '/')
        path++;
    while (*path) {
        const char *end = strchr(path, '/');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        struct inode *c = dir_find(dir, path, len);
        bool last = !end || end[1] == '\0';
        if (!c) {
            c = inode_new(path, len, last ? mode : (S_IFDIR | 0755));
            if (!c)
                return NULL;
            dir_add(dir, c);
        } else if (last) {
            c->mode = mode;
        }
        if (last)
            return c;
        if (!S_ISDIR(c->mode))
            return NULL;
        dir = c;
        path = end + 1;
        while (*path == '/')
            path++;
    }
    return dir;
}

struct inode *vfs_add_file(const char *path, const void *data, size_t size, uint32_t mode)
{
    struct inode *ino = vfs_create(path, mode);
    if (!ino)
        return NULL;
    ino->data = data;
    ino->size = size;
    return ino;
}

struct inode *vfs_add_node(const char *path, uint32_t mode, const struct file_ops *ops)
{
    struct inode *ino = vfs_create(path, mode);
    if (ino)
        ino->ops = ops;
    return ino;
}

struct inode *vfs_add_child(struct inode *dir, const char *name, uint32_t mode, const struct file_ops *ops)
{
    struct inode *c = inode_new(name, strlen(name), mode);
    if (!c)
        return NULL;
    c->ops = ops;
    dir_add(dir, c);
    return c;
}

void vfs_init(const void *initrd, size_t size)
{
    vfs.root = inode_new("", 0, S_IFDIR | 0755);
    BUG_ON(!vfs.root);
    vfs.root->parent = vfs.root;
    if (initrd)
        initrd_unpack(initrd, size);
    else
        pr_warn("vfs: no initrd module: / is empty\n");
    dev_init();
    procfs_init();
    ptdump_init(); /* /sys/kernel/debug/page_tables */
    kpage_init();  /* /proc/kpageflags, /proc/kpagecount */
}

/* Is the rest of the path empty (or just slashes)? */
static bool only_slashes(const char *p)
{
    while (*p == '/')
        p++;
    return *p == '\0';
}

void vfs_owner(const struct inode *ino, uint32_t *uid, uint32_t *gid)
{
    if (ino->get_owner) {
        ino->get_owner(ino, uid, gid);
    } else {
        *uid = ino->uid;
        *gid = ino->gid;
    }
}

int vfs_permission(const struct inode *ino, int mask)
{
    if (!current)
        return 0; /* early boot: the kernel itself */
    const struct cred *c = &current->cred;
    uint32_t uid, gid, bits;
    mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
    vfs_owner(ino, &uid, &gid);
    if (c->fsuid == uid)
        bits = ino->mode >> 6; /* the owner's bits, and only those */
    else if (cred_in_fsgroup(c, gid))
        bits = ino->mode >> 3;
    else
        bits = ino->mode;
    if (!(mask & ~bits & 7))
        return 0;
    /* Root: CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH). */
    if (!capable_fs())
        return -EACCES;
    if (S_ISDIR(ino->mode) || !(mask & MAY_EXEC) || (ino->mode & S_IXUGO))
        return 0;
    return -EACCES; /* not even root runs a file nobody may execute */
}

/* Walk path from start, component by component. depth counts symlinks.
 * missing (may be NULL) is set when only the final component is missing
 * (open with O_CREAT would create it there). */
static int lookup_at(struct inode *start, const char *path, bool follow, int depth, struct inode **out, bool *missing)
{
    if (depth > SYMLOOP_MAX)
        return -ELOOP;
    size_t plen = strnlen(path, PATH_MAX);
    if (plen == PATH_MAX)
        return -ENAMETOOLONG;
    bool want_dir = plen > 0 && path[plen - 1] == '/'; /* "name/": a directory, symlinks followed */
    follow |= want_dir;
    struct inode *cur = *path == '/' ? vfs.root : start;
    while (*path) {
        while (*path == '/')
            path++;
        if (!*path)
            break;
        const char *end = strchr(path, '/');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        /* Linux's order: not a directory, no search permission, then the
         * name itself (too long, not there). */
        if (!S_ISDIR(cur->mode))
            return -ENOTDIR;
        if (vfs_permission(cur, MAY_EXEC))
            return -EACCES;
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        struct inode *next;
        if (len == 1 && path[0] == '.')
            next = cur;
        else if (len == 2 && path[0] == '.' && path[1] == '.')
            next = cur->parent;
        else if (!(next = dir_find(cur, path, len))) {
            if (missing)
                *missing = only_slashes(path + len);
            return -ENOENT;
        }
        path += len;
        bool last = only_slashes(path);
        if (S_ISLNK(next->mode) && (!last || follow)) {
            char *target = kmalloc(PATH_MAX); /* not on the stack: this recurses */
            if (!target)
                return -ENOMEM;
            long n = vfs_readlink(next, target, PATH_MAX);
            int r = n < 0 ? (int)n : lookup_at(cur, target, true, depth + 1, &next, last ? missing : NULL);
            kfree(target);
            if (r)
                return r;
        }
        cur = next;
    }
    if (want_dir && !S_ISDIR(cur->mode))
        return -ENOTDIR;
    *out = cur;
    return 0;
}

long vfs_readlink(struct inode *ino, char *buf, size_t size)
{
    if (ino->ops && ino->ops->readlink)
        return ino->ops->readlink(ino, buf, size);
    size_t n = MIN(ino->size, (uint64_t)size - 1);
    memcpy(buf, ino->data, n);
    buf[n] = '\0';
    return (long)n;
}

void vfs_remove(struct inode *node)
{
    while (!list_empty(&node->children))
        vfs_remove(list_first_entry(&node->children, struct inode, sibling));
    list_del(&node->sibling);
    node->unlinked = true;
    if (node->open_count == 0)
        kfree(node);
}

int vfs_lookup_create(struct inode *cwd, const char *path, bool follow, struct inode **out, bool *missing)
{
    if (missing)
        *missing = false;
    if (!*path)
        return -ENOENT;
    return lookup_at(cwd ? cwd : vfs.root, path, follow, 0, out, missing);
}

int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out)
{
    return vfs_lookup_create(cwd, path, follow, out, NULL);
}

long vfs_path_of(struct inode *ino, char *buf, size_t size)
{
    /* Collect the names from ino up to the root, then write them reversed. */
    const char *names[64];
    int n = 0;
    for (struct inode *i = ino; i != vfs.root && n < 64; i = i->parent)
        names[n++] = i->name;
    size_t len = 0;
    if (n == 0) {
        if (size < 2)
            return -ERANGE;
        buf[0] = '/';
        buf[1] = '\0';
        return 1;
    }
    for (int k = n - 1; k >= 0; k--) {
        size_t l = strlen(names[k]);
        if (len + 1 + l + 1 > size)
            return -ERANGE;
        buf[len++] = '/';
        memcpy(buf + len, names[k], l);
        len += l;
    }
    buf[len] = '\0';
    return (long)len;
}
