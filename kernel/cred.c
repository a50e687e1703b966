/*
 * kernel/cred.c - user and group ids: the set*id system calls with
 * Linux's rules (kernel/sys.c), getgroups/setgroups, and the access
 * check that guards another process's memory in /proc.
 *
 * The rules, for a process that is not root (root may set any id):
 *
 *   setuid(u)          u must be the real or the saved uid; only euid
 *                      (and fsuid) change
 *   setreuid(r, e)     r: the real or effective uid; e: the real,
 *                      effective or saved uid; if r is set, or e is set
 *                      to something other than the old real uid, the
 *                      saved uid becomes the new euid
 *   setresuid(r, e, s) each one: any of the current three
 *
 * -1 (INVALID_ID) leaves an id as it is. The same holds for groups
 * (setgid, setregid, setresgid). Each call also sets the fs id to the new
 * effective id. A change of the effective or fs id makes the process
 * non-dumpable (Linux's commit_creds): its /proc files then belong to
 * root, so a program that dropped privileges cannot be read by the user it
 * dropped to (it may still hold secrets it read as root).
 */
#include "kernel/cred.h"

#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"

bool capable(void) { return !current || current->cred.euid == 0; }

bool capable_fs(void) { return !current || current->cred.fsuid == 0; }

void cred_init_root(struct cred *c)
{
    memset(c, 0, sizeof(*c));
    c->dumpable = true;
}

bool cred_in_group(const struct cred *c, uint32_t gid)
{
    if (gid == c->egid)
        return true;
    for (uint32_t i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

bool cred_in_fsgroup(const struct cred *c, uint32_t gid)
{
    if (gid == c->fsgid)
        return true;
    for (uint32_t i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

bool cred_may_access(const struct task *target)
{
    const struct cred *me = &current->cred, *t = &target->cred;
    if (target == current || capable())
        return true;
    bool same_user = me->fsuid == t->uid && me->fsuid == t->euid && me->fsuid == t->suid;
    bool same_group = me->fsgid == t->gid && me->fsgid == t->egid && me->fsgid == t->sgid;
    return same_user && same_group && t->dumpable;
}

/* Install new ids (uid side or gid side: `ids` points at uid or gid of a
 * struct cred, laid out real, effective, saved, fs). */
static void set_ids(uint32_t *ids, uint32_t r, uint32_t e, uint32_t s)
{
    bool changed = ids[1] != e || ids[3] != e;
    ids[0] = r;
    ids[1] = e;
    ids[2] = s;
    ids[3] = e; /* the fs id follows the effective id */
    if (changed)
        current->cred.dumpable = false;
}

static bool is_one_of(uint32_t id, const uint32_t *ids) { return id == ids[0] || id == ids[1] || id == ids[2]; }

/* setresuid / setresgid: each new id (or -1) must be one of the current three. */
static long do_setres(uint32_t *ids, uint32_t r, uint32_t e, uint32_t s)
{
    /* Nothing to change (Linux returns early: the fs id stays as it is). */
    if ((r == INVALID_ID || r == ids[0]) && (e == INVALID_ID || (e == ids[1] && e == ids[3])) &&
        (s == INVALID_ID || s == ids[2]))
        return 0;
    if (!capable()) {
        if ((r != INVALID_ID && !is_one_of(r, ids)) || (e != INVALID_ID && !is_one_of(e, ids)) ||
            (s != INVALID_ID && !is_one_of(s, ids)))
            return -EPERM;
    }
    set_ids(ids, r == INVALID_ID ? ids[0] : r, e == INVALID_ID ? ids[1] : e, s == INVALID_ID ? ids[2] : s);
    return 0;
}

/* setreuid / setregid. */
static long do_setre(uint32_t *ids, uint32_t r, uint32_t e)
{
    uint32_t old_r = ids[0], old_e = ids[1], old_s = ids[2];
    if (!capable()) {
        if (r != INVALID_ID && r != old_r && r != old_e)
            return -EPERM;
        if (e != INVALID_ID && e != old_r && e != old_e && e != old_s)
            return -EPERM;
    }
    uint32_t nr = r == INVALID_ID ? old_r : r, ne = e == INVALID_ID ? old_e : e;
    uint32_t ns = (r != INVALID_ID || (e != INVALID_ID && e != old_r)) ? ne : old_s;
    set_ids(ids, nr, ne, ns);
    return 0;
}

/* setuid / setgid: root sets all three; others only the effective id,
 * and only to the real or saved one. */
static long do_set(uint32_t *ids, uint32_t id)
{
    if (id == INVALID_ID)
        return -EINVAL;
    if (capable()) {
        set_ids(ids, id, id, id);
        return 0;
    }
    if (id != ids[0] && id != ids[2])
        return -EPERM;
    set_ids(ids, ids[0], id, ids[2]);
    return 0;
}

static uint32_t *uids(void) { return &current->cred.uid; }
static uint32_t *gids(void) { return &current->cred.gid; }

SYSCALL_DEFINE(getuid) { SYSCALL_UNUSED_ARGS(); return current->cred.uid; }
SYSCALL_DEFINE(geteuid) { SYSCALL_UNUSED_ARGS(); return current->cred.euid; }
SYSCALL_DEFINE(getgid) { SYSCALL_UNUSED_ARGS(); return current->cred.gid; }
SYSCALL_DEFINE(getegid) { SYSCALL_UNUSED_ARGS(); return current->cred.egid; }
SYSCALL_DEFINE(setuid) { SYSCALL_UNUSED_ARGS(); return do_set(uids(), (uint32_t)a0); }
SYSCALL_DEFINE(setgid) { SYSCALL_UNUSED_ARGS(); return do_set(gids(), (uint32_t)a0); }
SYSCALL_DEFINE(setreuid) { SYSCALL_UNUSED_ARGS(); return do_setre(uids(), (uint32_t)a0, (uint32_t)a1); }
SYSCALL_DEFINE(setregid) { SYSCALL_UNUSED_ARGS(); return do_setre(gids(), (uint32_t)a0, (uint32_t)a1); }
SYSCALL_DEFINE(setresuid) { SYSCALL_UNUSED_ARGS(); return do_setres(uids(), (uint32_t)a0, (uint32_t)a1, (uint32_t)a2); }
SYSCALL_DEFINE(setresgid) { SYSCALL_UNUSED_ARGS(); return do_setres(gids(), (uint32_t)a0, (uint32_t)a1, (uint32_t)a2); }

static long put_three(const uint32_t *ids, uint64_t r, uint64_t e, uint64_t s)
{
    if (copy_to_user((void *)r, &ids[0], 4) || copy_to_user((void *)e, &ids[1], 4) ||
        copy_to_user((void *)s, &ids[2], 4))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE(getresuid) { SYSCALL_UNUSED_ARGS(); return put_three(uids(), a0, a1, a2); }
SYSCALL_DEFINE(getresgid) { SYSCALL_UNUSED_ARGS(); return put_three(gids(), a0, a1, a2); }

/* setfsuid / setfsgid: return the old fs id; the new one is taken only if
 * root, or if it is one of the real, effective, saved or fs ids. -1 changes
 * nothing (the way to ask for the current fs id). */
static long do_setfs(uint32_t *ids, uint32_t id)
{
    uint32_t old = ids[3];
    if (id == INVALID_ID)
        return old;
    if (capable() || is_one_of(id, ids) || id == ids[3]) {
        if (id != ids[3])
            current->cred.dumpable = false;
        ids[3] = id;
    }
    return old;
}

SYSCALL_DEFINE(setfsuid) { SYSCALL_UNUSED_ARGS(); return do_setfs(uids(), (uint32_t)a0); }
SYSCALL_DEFINE(setfsgid) { SYSCALL_UNUSED_ARGS(); return do_setfs(gids(), (uint32_t)a0); }

/* getgroups(size, list): size 0 asks for the count. */
SYSCALL_DEFINE(getgroups)
{
    SYSCALL_UNUSED_ARGS();
    const struct cred *c = &current->cred;
    if ((int)a0 < 0)
        return -EINVAL;
    if (a0 == 0)
        return c->ngroups;
    if (a0 < c->ngroups)
        return -EINVAL;
    return copy_to_user((void *)a1, c->groups, c->ngroups * sizeof(uint32_t)) ? -EFAULT : (long)c->ngroups;
}

SYSCALL_DEFINE(setgroups)
{
    SYSCALL_UNUSED_ARGS();
    uint32_t groups[NGROUPS_MAX_K];
    if (!capable())
        return -EPERM;
    if (a0 > NGROUPS_MAX_K)
        return -EINVAL;
    if (copy_from_user(groups, (const void *)a1, a0 * sizeof(uint32_t)))
        return -EFAULT;
    for (uint64_t i = 1; i < a0; i++) /* kept sorted, as Linux's groups_sort (getgroups shows it) */
        for (uint64_t j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
            uint32_t g = groups[j];
            groups[j] = groups[j - 1];
            groups[j - 1] = g;
        }
    memcpy(current->cred.groups, groups, a0 * sizeof(uint32_t));
    current->cred.ngroups = (uint32_t)a0;
    return 0;
}

void cred_exec(struct task *t, bool readable)
{
    struct cred *c = &t->cred;
    bool fs_changed = c->fsuid != c->euid || c->fsgid != c->egid;
    c->suid = c->fsuid = c->euid;
    c->sgid = c->fsgid = c->egid;
    c->dumpable = readable && c->euid == c->uid && c->egid == c->gid && !fs_changed;
}

bool cred_may_signal(const struct task *target, int sig)
{
    const struct cred *me = &current->cred, *t = &target->cred;
    if (capable())
        return true;
    if (sig == SIGCONT && target->sid == current->sid)
        return true; /* job control inside a session */
    return me->euid == t->suid || me->euid == t->uid || me->uid == t->suid || me->uid == t->uid;
}
