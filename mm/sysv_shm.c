/*
 * mm/sysv_shm.c - System V shared memory: named segments (shmget), attached
 * into address spaces (shmat/shmdt), inspected and removed (shmctl).
 *
 * A segment is an identity (key, id, owner, mode, times, pids) around a
 * shared memory object (mm/shm.c), which holds the pages. Limits are
 * Linux's defaults: SHMMNI segments, SHMMAX bytes each, SHMALL pages in all.
 *
 * Who may do what (Linux's ipc/util.c): the creator's euid and egid become
 * both the owner (uid, gid: IPC_SET may change them) and the creator
 * (cuid, cgid: fixed). ipcperms() picks one class of the mode bits - the
 * owner's if the caller's euid is uid or cuid, else the group's if one of
 * its groups is gid or cgid, else the others' - and every bit asked for
 * must be there: shmget of an existing key asks for its own mode argument,
 * shmat for r (SHM_RDONLY) or rw, IPC_STAT for r; else EACCES. IPC_SET
 * and IPC_RMID are for the owner or creator only: EPERM. Root passes all
 * (CAP_IPC_OWNER, CAP_SYS_ADMIN).
 */
#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/commit.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/shm.h"

#define SHMMNI 4096
#define SHMMIN 1
#define SHMMAX 0x7fffffffffffffffull /* Linux: ULONG_MAX - 2^24; effectively unlimited */
#define SHMALL (1ull << 30)          /* pages, effectively unlimited, as Linux */
#define SHMLBA PAGE_SIZE
#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define SHM_STAT 13
#define SHM_INFO 14
#define IPC_64 0x0100
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_NORESERVE 010000 /* shmget: do not charge Committed_AS */
#define SHM_DEST 01000 /* mode bit: removed, freed at the last detach */
#define ID_SEQ_SHIFT 12 /* id = seq << 12 | slot, so a reused slot gets a new id */
#define MODE_BITS 0777

struct shm_segment {
    int32_t key;
    int id;
    uint32_t uid, gid;   /* owner: IPC_SET may give it away */
    uint32_t cuid, cgid; /* creator */
    uint32_t mode;
    size_t size;
    int cpid, lpid;
    uint64_t atime, dtime, ctime;
    struct shm_object *obj;
};

static struct {
    struct shm_segment *slot[SHMMNI];
    unsigned seq;
    uint64_t total_pages;
    struct shm_caller (*now)(void);
} ipc;

void sysv_shm_set_clock(struct shm_caller (*now)(void)) { ipc.now = now; }

void shm_object_orphan(struct shm_object *obj); /* mm/shm.c */

static struct shm_segment *find_id(int id)
{
    int slot = id & (SHMMNI - 1);
    if (id < 0 || !ipc.slot[slot] || ipc.slot[slot]->id != id)
        return NULL;
    return ipc.slot[slot];
}

static struct shm_segment *find_key(int32_t key)
{
    for (int i = 0; i < SHMMNI; i++)
        if (ipc.slot[i] && ipc.slot[i]->key == key && !(ipc.slot[i]->mode & SHM_DEST))
            return ipc.slot[i];
    return NULL;
}

/* Root (euid 0): CAP_IPC_OWNER and CAP_SYS_ADMIN. A caller without
 * credentials is the kernel itself. */
static bool privileged(const struct shm_caller *c) { return !c->cred || c->cred->euid == 0; }

/* Linux's ipcperms: may the caller have the access in flag (any of the
 * r/w bits of any class: 0400, 0040, 0004 all mean read) to seg? */
static bool ipcperms(const struct shm_segment *seg, const struct shm_caller *c, int flag)
{
    if (privileged(c))
        return true;
    uint32_t requested = ((uint32_t)flag >> 6 | (uint32_t)flag >> 3 | (uint32_t)flag) & 7, granted = seg->mode;
    if (c->cred->euid == seg->cuid || c->cred->euid == seg->uid)
        granted >>= 6;
    else if (cred_in_fsgroup(c->cred, seg->cgid) || cred_in_fsgroup(c->cred, seg->gid))
        granted >>= 3;
    return !(requested & ~granted & 7);
}

/* IPC_SET and IPC_RMID: the owner, the creator or root. */
static bool owner_or_creator(const struct shm_segment *seg, const struct shm_caller *c)
{
    return privileged(c) || c->cred->euid == seg->cuid || c->cred->euid == seg->uid;
}

static long create(int32_t key, size_t size, int flags, const struct shm_caller *c)
{
    if (size < SHMMIN || size > SHMMAX)
        return -EINVAL;
    uint64_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    if (ipc.total_pages + pages > SHMALL)
        return -ENOSPC;
    int slot = 0;
    while (slot < SHMMNI && ipc.slot[slot])
        slot++;
    if (slot == SHMMNI)
        return -ENOSPC;
    struct shm_segment *seg = kzalloc(sizeof(*seg));
    struct shm_object *obj = seg ? shm_object_create(size) : NULL;
    if (!obj) {
        kfree(seg);
        return -ENOMEM;
    }
    /* Committed_AS: charged whole now, given back when the object is freed
     * (mm/shm.c); SHM_NORESERVE is honoured unless overcommit is off. */
    if (!((flags & SHM_NORESERVE) && overcommit_mode() != OVERCOMMIT_NEVER)) {
        if (vm_enough_memory(NULL, pages)) {
            shm_object_put_unused(obj);
            kfree(seg);
            return -ENOMEM;
        }
        obj->committed = pages;
    }
    uint32_t euid = c->cred ? c->cred->euid : 0, egid = c->cred ? c->cred->egid : 0;
    *seg = (struct shm_segment){.key = key, .id = (int)(++ipc.seq << ID_SEQ_SHIFT | (unsigned)slot),
                                .uid = euid, .gid = egid, .cuid = euid, .cgid = egid,
                                .mode = (uint32_t)flags & MODE_BITS, .size = size, .cpid = c->pid,
                                .ctime = c->now, .obj = obj};
    obj->has_segment = true;
    obj->segment = seg;
    ipc.slot[slot] = seg;
    ipc.total_pages += pages;
    return seg->id;
}

long sysv_shmget(int32_t key, size_t size, int flags, const struct shm_caller *c)
{
    if (key == IPC_PRIVATE)
        return create(key, size, flags, c);
    struct shm_segment *seg = find_key(key);
    if (!seg)
        return (flags & IPC_CREAT) ? create(key, size, flags, c) : -ENOENT;
    if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
        return -EEXIST;
    if (size > seg->size)
        return -EINVAL;
    if (!ipcperms(seg, c, flags & MODE_BITS))
        return -EACCES; /* the mode bits asked for are not ours */
    return seg->id;
}

/* The segment and its id go; the object (and the memory) goes with its
 * last mapping. */
static void destroy(struct shm_segment *seg)
{
    ipc.slot[seg->id & (SHMMNI - 1)] = NULL;
    ipc.total_pages -= ALIGN_UP(seg->size, PAGE_SIZE) / PAGE_SIZE;
    shm_object_orphan(seg->obj);
    kfree(seg);
}

void sysv_shm_detached(struct shm_segment *seg)
{
    if (ipc.now) {
        struct shm_caller c = ipc.now();
        seg->dtime = c.now;
        seg->lpid = c.pid;
    }
    if ((seg->mode & SHM_DEST) && seg->obj->nr_vmas == 0)
        destroy(seg); /* removed earlier: the last detach ends it */
}

long sysv_shmat(struct mm *mm, int id, uintptr_t addr, int flags, const struct shm_caller *c)
{
    struct shm_segment *seg = find_id(id);
    if (!seg)
        return -EINVAL;
    if (addr) {
        if (flags & SHM_RND)
            addr = ALIGN_DOWN(addr, SHMLBA);
        else if (!IS_ALIGNED(addr, SHMLBA))
            return -EINVAL;
    }
    if (!ipcperms(seg, c, (flags & SHM_RDONLY) ? 0444 : 0666))
        return -EACCES;
    if (addr && (addr + ALIGN_UP(seg->size, PAGE_SIZE) > USER_SPACE_END || addr < USER_IMAGE_BASE))
        return -EINVAL;
    unsigned prot = (flags & SHM_RDONLY) ? VM_READ : VM_READ | VM_WRITE;
    char name[VMA_NAME_MAX];
    snprintf(name, sizeof(name), "/SYSV%08x (deleted)", (uint32_t)seg->key);
    long r = shm_map(mm, seg->obj, addr, seg->size, prot, addr != 0, name);
    if (r >= 0 && (flags & SHM_RDONLY))
        vma_find(mm, (uintptr_t)r)->flags |= VM_NOMAYWRITE; /* mprotect may not add write */
    if (r >= 0) {
        seg->atime = c->now;
        seg->lpid = c->pid;
    }
    return r;
}

/* Is v a piece of a SysV attach made at addr (mprotect or munmap may have
 * cut the attach): its page 0 would sit at addr? */
static bool attach_piece_at(const struct vma *v, uintptr_t addr)
{
    return v->shm && v->shm->segment && v->start - v->shm_pgoff * PAGE_SIZE == addr;
}

/* shmdt(addr), as Linux's ksys_shmdt: the first piece at or above addr
 * names the segment; then every piece of that same segment within its size
 * goes too. Pieces of another segment attached over it stay (t_mmfuzz
 * found shmdt taking them along). */
long sysv_shmdt(struct mm *mm, uintptr_t addr, const struct shm_caller *c)
{
    (void)c; /* sysv_shm_detached stamps lpid and dtime */
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    int id = -1; /* the segment, by id: its object may be freed as we go */
    uintptr_t end = 0;
    for (struct vma *v = vma_find(mm, addr); v;) {
        struct vma *next = vma_next(mm, v);
        if (id < 0) {
            if (attach_piece_at(v, addr)) {
                id = v->shm->segment->id;
                end = addr + v->shm->nr_pages * PAGE_SIZE;
                vma_unmap_range(mm, v->start, v->end);
            }
        } else if (v->end > end) {
            break;
        } else if (attach_piece_at(v, addr) && v->shm->segment->id == id) {
            vma_unmap_range(mm, v->start, v->end);
        }
        v = next;
    }
    return id >= 0 ? 0 : -EINVAL;
}

/* struct shmid64_ds (x86-64): ipc64_perm (48 bytes) then sizes and times. */
struct shmid64_ds_k {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint32_t pad3;
    uint64_t unused1, unused2;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch;
    uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct shmid64_ds_k) == 112, "struct shmid64_ds is 112 bytes on x86-64");

long sysv_shmctl(int id, int cmd, void *ds, const struct shm_caller *c)
{
    cmd &= ~IPC_64;
    struct shm_segment *seg = find_id(id);
    if (cmd == IPC_INFO || cmd == SHM_INFO)
        return -EINVAL; /* not provided */
    if (!seg)
        return -EINVAL;
    struct shmid64_ds_k *d = ds;
    if ((cmd == IPC_SET || cmd == IPC_RMID) && !owner_or_creator(seg, c))
        return -EPERM;
    switch (cmd) {
    case IPC_STAT:
        if (!ipcperms(seg, c, 0444))
            return -EACCES;
        *d = (struct shmid64_ds_k){.key = seg->key, .uid = seg->uid, .gid = seg->gid, .cuid = seg->cuid,
                                   .cgid = seg->cgid, .mode = seg->mode, .seq = (uint16_t)(seg->id >> ID_SEQ_SHIFT),
                                   .segsz = seg->size, .atime = (int64_t)seg->atime, .dtime = (int64_t)seg->dtime,
                                   .ctime = (int64_t)seg->ctime, .cpid = seg->cpid, .lpid = seg->lpid,
                                   .nattch = seg->obj->nr_vmas};
        return 0;
    case IPC_SET:
        if (d->uid == INVALID_ID || d->gid == INVALID_ID)
            return -EINVAL; /* (uid_t)-1 is no user */
        seg->uid = d->uid;
        seg->gid = d->gid;
        seg->mode = (seg->mode & ~MODE_BITS) | (d->mode & MODE_BITS);
        seg->ctime = c->now;
        return 0;
    case IPC_RMID:
        if (seg->obj->nr_vmas == 0) {
            destroy(seg);
        } else { /* Linux: gone for shmget at once (key 0), alive until the last detach */
            seg->mode |= SHM_DEST;
            seg->key = IPC_PRIVATE;
        }
        return 0;
    default: return -EINVAL;
    }
}

size_t sysv_shm_report(char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size,
                                  "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  "
                                  "cuid  cgid      atime      dtime      ctime                   rss                  "
                                  "swap\n");
    for (int i = 0; i < SHMMNI && len + 256 < size; i++) {
        struct shm_segment *s = ipc.slot[i];
        if (!s)
            continue;
        uint64_t rss = 0;
        for (size_t p = 0; p < s->obj->nr_pages; p++)
            rss += s->obj->pages[p] && !(s->obj->pages[p] & 1); /* in memory, not on swap */
        len += (size_t)snprintf(buf + len, size - len,
                                "%10d %10d %5o %21lu %5d %5d %6u %5u %5u %5u %5u %10lu %10lu %10lu %21lu %21lu\n",
                                s->key, s->id, s->mode, s->size, s->cpid, s->lpid, s->obj->nr_vmas, s->uid, s->gid,
                                s->cuid, s->cgid, s->atime, s->dtime, s->ctime, rss * PAGE_SIZE, 0ul);
    }
    return len;
}
