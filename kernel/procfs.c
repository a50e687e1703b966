/*
 * kernel/procfs.c - the files of /proc and the functions that fill them.
 *
 *   /proc/meminfo         memory totals          (pmm, kmalloc, vmstat)
 *   /proc/vmstat          event counters         (mm/vmstat.c)
 *   /proc/sys/vm/overcommit_memory, overcommit_ratio, admin_reserve_kbytes,
 *                user_reserve_kbytes: read by all, written by root (mm/commit.c)
 *   /proc/buddyinfo       free blocks per order  (mm/pmm.c)
 *   /proc/sys/vm/compact_memory  write: compact   (mm/compaction.c)
 *   /proc/uptime          seconds since boot
 *   /proc/cpuinfo         one block per online CPU (kernel/cpuinfo.c)
 *   /proc/self            -> the reader's pid
 *   /proc/<pid>/maps      its VMAs               (mm/report.c)
 *   /proc/<pid>/pagemap   one 64-bit entry per virtual page (binary)
 *   /proc/<pid>/status    name, state, ids, memory sizes
 *   /proc/<pid>/stat      the same on one line, for ps
 *   /proc/<pid>/cmdline   its argv, NUL-separated
 *   /proc/<pid>/exe       -> its program
 *   /proc/<pid>/oom_score      how likely the OOM killer takes it (mm/oom_kill.c)
 *   /proc/<pid>/oom_score_adj  -1000..1000, read and write
 *   /proc/sys/kernel/threads-max  the ceiling on tasks (kernel/resource.c), root writes
 * Text files are generated whole on each read (kernel/file.c), like
 * Linux's seq_file; docs/proc.md lists each field's source. /proc/<pid>
 * belongs to the process's user while it is dumpable (task_owner); its
 * maps, pagemap and exe are for that user and root only (may_read_task),
 * and pagemap's PFNs for root only (docs/users.md).
 */
#include "kernel/procfs.h"

#include "drivers/fb.h"
#include "drivers/irq.h"
#include "kernel/bkl.h"
#include "kernel/cpuinfo.h"

#include "kernel/compiler.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/lockdep.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/commit.h"
#include "mm/compaction.h"
#include "mm/kmalloc.h"
#include "mm/memlayout.h"
#include "mm/oom_kill.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/report.h"
#include "mm/shm.h"
#include "mm/swap.h"
#include "mm/vmcheck.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"

#define KB_PER_PAGE (PAGE_SIZE / 1024)
#define PAGEMAP_ENTRY 8
#define PAGEMAP_BATCH 64
#define CMDLINE_MAX 4096
#define SYSCTL_TEXT_MAX 32 /* a written /proc/sys value: one number */
#define NS_PER_CENTISEC 10000000ul
#define PROC_NUMBUF 13 /* Linux's buffer for a number written to /proc */
#define NUMBER_BASE_HEX 16
#define NUMBER_BASE_OCT 8
#define NUMBER_BASE_DEC 10

static int pid_of(const struct inode *ino) { return (int)(uintptr_t)ino->priv; }

/* ---- global files ---- */

#define MEMINFO_LINE(name, kb) len += snprintf(buf + len, size - len, "%-16s%8lu kB\n", name ":", (uint64_t)(kb))

static long gen_meminfo(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    size_t len = 0;
    uint64_t total = pmm_nr_managed() * KB_PER_PAGE, free = pmm_nr_free() * KB_PER_PAGE;
    uint64_t pgtables = (vm_event(NR_PGTABLE_ALLOC) - vm_event(NR_PGTABLE_FREE)) * KB_PER_PAGE;
    MEMINFO_LINE("MemTotal", total);
    MEMINFO_LINE("MemFree", free);
    MEMINFO_LINE("MemAvailable", free);
    MEMINFO_LINE("Buffers", 0);
    MEMINFO_LINE("Cached", 0);
    MEMINFO_LINE("SwapCached", swap_cached_pages() * KB_PER_PAGE);
    MEMINFO_LINE("Shmem", shm_nr_pages() * KB_PER_PAGE);
    MEMINFO_LINE("Slab", kmalloc_slab_frames() * KB_PER_PAGE);
    MEMINFO_LINE("PageTables", pgtables);
    MEMINFO_LINE("SwapTotal", swap_total_pages() * KB_PER_PAGE);
    MEMINFO_LINE("SwapFree", swap_free_pages() * KB_PER_PAGE);
    MEMINFO_LINE("CommitLimit", vm_commit_limit() * KB_PER_PAGE); /* Linux: after WritebackTmp */
    MEMINFO_LINE("Committed_AS", vm_committed_pages() * KB_PER_PAGE);
    MEMINFO_LINE("VmallocTotal", (VMALLOC_END - VMALLOC_START) >> 10);
    return (long)len;
}

static long gen_vmstat(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    size_t len = (size_t)snprintf(buf, size, "nr_free_pages %lu\nnr_page_table_pages %lu\n",
                                  pmm_nr_free(), vm_event(NR_PGTABLE_ALLOC) - vm_event(NR_PGTABLE_FREE));
    for (int i = 0; i < NR_VM_EVENTS; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %lu\n", vm_event_name(i), vm_event(i));
    return (long)len;
}

static long gen_uptime(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    uint64_t cs = time_since_boot_ns() / NS_PER_CENTISEC;
    return snprintf(buf, size, "%lu.%02lu %lu.%02lu\n", cs / 100, cs % 100, cs / 100, cs % 100);
}

static long gen_version(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return snprintf(buf, size, "Pagewise version 0.1 (x86_64, a teaching kernel) #1\n");
}

static long gen_cpuinfo(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return cpuinfo_show(buf, size);
}

static long gen_interrupts(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return irq_report(buf, size);
}

static long gen_lockdep(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return lockdep_report(buf, size);
}

static long gen_lock_stat(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return bkl_report(buf, size);
}

static long gen_sysvipc_shm(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return (long)sysv_shm_report(buf, size);
}

static long gen_swaps(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return (long)swap_report(buf, size);
}

/* Reading /proc/vmcheck runs the invariant checker (mm/vmcheck.c). */
static long gen_vmcheck(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    vm_check(buf, size);
    return (long)strlen(buf);
}

/* /proc/sys/vm/<name>: one integer (mm/commit.h), as Linux's proc_dointvec. */
static long gen_vm_sysctl(struct inode *ino, char *buf, size_t size)
{
    return snprintf(buf, size, "%ld\n", vm_sysctl_get((enum vm_sysctl)(uintptr_t)ino->priv));
}

/* Parse "  123\n": an optional sign, digits, then only blanks. Returns 0
 * and *out, or -EINVAL. */
static int parse_sysctl_long(const char *s, long *out)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    bool neg = *s == '-';
    s += neg;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    long v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s)
        return -EINVAL;
    *out = neg ? -v : v;
    return 0;
}

/* A write sets the value: root only (Linux refuses the open itself, by
 * the file's mode 0644: EACCES); a bad number is EINVAL; a write at an
 * offset other than 0 is ignored, as Linux's sysctl_writes_strict. */
static long write_vm_sysctl(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    char text[SYSCTL_TEXT_MAX];
    long value;
    if (!capable())
        return -EACCES;
    if (*pos) {
        *pos += n;
        return (long)n;
    }
    if (n >= sizeof(text))
        return -EINVAL;
    if (copy_from_user(text, ubuf, n))
        return -EFAULT;
    text[n] = '\0';
    if (parse_sysctl_long(text, &value))
        return -EINVAL;
    long r = vm_sysctl_set((enum vm_sysctl)(uintptr_t)f->inode->priv, value);
    if (r)
        return r;
    *pos += n;
    return (long)n;
}

/* /proc/buddyinfo: free blocks per order, in Linux's format (one zone).
 * Frames in the order-0 cache are not in the lists, as on Linux. */
static long gen_buddyinfo(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    int n = snprintf(buf, size, "Node 0, zone   Normal ");
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        n += snprintf(buf + n, size - (size_t)n, "%6lu ", pmm_nr_free_order(o));
    return n + snprintf(buf + n, size - (size_t)n, "\n");
}

/* Writing anything to /proc/sys/vm/compact_memory compacts all memory
 * (mm/compaction.c), as on Linux; root only. */
static long write_compact_memory(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)ubuf;
    if (!capable())
        return -EACCES;
    compact_memory();
    *pos += n;
    return (long)n;
}

/* The value of a hex digit, or -1. */
static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + NUMBER_BASE_DEC;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + NUMBER_BASE_DEC;
    return -1;
}

/* A number written to a /proc file, as Linux's kstrtoint(strstrip(s), 0):
 * white space around, an optional sign, then 0x.. hex, 0.. octal or
 * decimal digits, nothing else. At most PROC_NUMBUF - 1 bytes are read.
 * Returns 0 and *out, -EFAULT, -EINVAL (not a number) or -ERANGE. */
static long parse_user_int(const char *ubuf, size_t n, int *out)
{
    char buf[PROC_NUMBUF] = {0};
    if (copy_from_user(buf, ubuf, MIN(n, sizeof(buf) - 1)))
        return -EFAULT;
    const char *p = buf;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    bool neg = *p == '-';
    p += *p == '-' || *p == '+';
    int base = NUMBER_BASE_DEC;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = NUMBER_BASE_HEX, p += 2;
    else if (p[0] == '0' && p[1])
        base = NUMBER_BASE_OCT;
    int64_t v = 0;
    const char *digits = p;
    for (;; p++) {
        int d = digit_value(*p);
        if (d < 0 || d >= base)
            break;
        v = v * base + d;
        if (v > (int64_t)1 << 31)
            return -ERANGE;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (p == digits || *p)
        return -EINVAL;
    v = neg ? -v : v;
    if (v > INT32_MAX || v < INT32_MIN)
        return -ERANGE;
    *out = (int)v;
    return 0;
}

static long gen_threads_max(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return snprintf(buf, size, "%lu\n", threads_max());
}

/* Root only (Linux: the file is 0644 root). Returns n, as a sysctl does. */
static long write_threads_max(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    int v;
    if (!capable())
        return -EACCES;
    long err = parse_user_int(ubuf, n, &v);
    if (!err)
        err = threads_max_set(v);
    return err ? err : (long)n;
}

/* Physical and kernel-virtual addresses: root only (Linux shows others
 * zeros; here they are refused). */
static long gen_iomem(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    if (!capable())
        return -EACCES;
    size_t len = pmm_report_iomem(buf, size);
    return (long)(len + fb_report_iomem(buf + len, size - len));
}

static long gen_vmallocinfo(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return capable() ? (long)vmalloc_report(buf, size) : -EACCES;
}

static long readlink_self(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return snprintf(buf, size, "%d", current->group->tgid);
}

static long readlink_thread_self(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    return snprintf(buf, size, "%d/task/%d", current->group->tgid, current->pid);
}

/* ---- per-process files ---- */

static const char *state_name(const struct task *t)
{
    switch (t->state) {
    case TASK_RUNNABLE: return "R (running)";
    case TASK_SLEEPING: return "S (sleeping)";
    case TASK_ZOMBIE: return "Z (zombie)";
    }
    return "?";
}

static long gen_status(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    if (!t)
        return -ESRCH;
    struct mm_usage u = {0};
    if (t->mm)
        mm_report_usage(t->mm, &u);
    uint64_t ign = 0, cgt = 0;
    for (int s = 0; s < NSIG; s++) {
        if (t->group->sigaction[s].handler == 1)
            ign |= 1ull << s;
        else if (t->group->sigaction[s].handler > 1)
            cgt |= 1ull << s;
    }
    const struct cred *c = &t->cred;
    int n = snprintf(buf, size, "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t%u\t%u\t%u\t%u\n"
                     "Gid:\t%u\t%u\t%u\t%u\nGroups:\t",
                     t->comm, state_name(t), t->group->tgid, t->pid,
                     proc_leader(t)->parent ? proc_leader(t)->parent->pid : 0, c->uid, c->euid, c->suid,
                     c->fsuid, c->gid, c->egid, c->sgid, c->fsgid);
    for (uint32_t i = 0; i < c->ngroups; i++)
        n += snprintf(buf + n, size - (size_t)n, i ? " %u" : "%u", c->groups[i]);
    return n + snprintf(buf + n, size - (size_t)n, /* Linux ends the group list with a space */
                    " \nVmSize:\t%8lu kB\nVmRSS:\t%8lu kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\n"
                    "VmSwap:\t%8lu kB\nThreads:\t%d\nSigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n"
                    "SigIgn:\t%016lx\nSigCgt:\t%016lx\n",
                    u.vm_size_kb, u.rss_kb, u.data_kb, u.stack_kb, u.exe_kb, u.swap_kb, t->group->nr_live,
                    t->sig_pending, t->group->sig_pending, t->sig_blocked, ign, cgt);
}

/* /proc/<pid>/stat: proc(5) fields 1-52; those Pagewise does not keep are 0. */
static long gen_stat(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    if (!t)
        return -ESRCH;
    struct mm_usage u = {0};
    if (t->mm)
        mm_report_usage(t->mm, &u);
    char st = t->state == TASK_ZOMBIE ? 'Z' : t->state == TASK_SLEEPING ? 'S' : 'R';
    int n = snprintf(buf, size, "%d (%s) %c %d %d %d 0 -1 0 %lu 0 %lu 0 %lu %lu 0 0 20 0 1 0 0 %lu %lu",
                     t->pid, t->comm, st, t->parent ? t->parent->pid : 0, t->pgid, t->sid, t->minflt, t->majflt,
                     t->utime_ticks, t->stime_ticks, u.vm_size_kb * 1024, u.rss_kb / KB_PER_PAGE);
    for (int field = 25; field <= 52; field++)
        n += snprintf(buf + n, size - (size_t)n, " 0");
    n += snprintf(buf + n, size - (size_t)n, "\n");
    return n;
}

static long gen_maps(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    if (!t)
        return -ESRCH;
    return t->mm ? (long)mm_report_maps(t->mm, buf, size) : 0;
}

static long gen_cmdline(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    if (!t || !t->mm)
        return 0;
    size_t n = MIN(size, MIN((size_t)(t->mm->arg_end - t->mm->arg_start), (size_t)CMDLINE_MAX));
    mm_read(t->mm, t->mm->arg_start, buf, n);
    return (long)n;
}

/* Who owns /proc/<pid> and its files (Linux's task_dump_owner): the
 * process's euid and egid; but a process that is not dumpable (it changed
 * ids, or asked with prctl) has its files owned by root, so the user it
 * switched to cannot open its 0400 files (pagemap). The directory itself
 * keeps the euid/egid (ps learns a process's user from it), and the files
 * of a process without memory (a zombie) belong to root. */
static void task_owner(const struct inode *ino, uint32_t *uid, uint32_t *gid)
{
    struct task *t = proc_find_any(pid_of(ino));
    *uid = *gid = 0;
    if (t && (ino->mode == (S_IFDIR | 0555) || (t->mm && t->cred.dumpable))) {
        *uid = t->cred.euid;
        *gid = t->cred.egid;
    }
}

/* Opening another process's maps or pagemap (or following its exe) needs
 * Linux's ptrace read check (mm_access with PTRACE_MODE_READ_FSCREDS):
 * kernel/cred.c:cred_may_access. A process without memory has nothing to
 * hide. */
static long may_read_task(const struct inode *ino)
{
    struct task *t = proc_find_any(pid_of(ino));
    if (!t)
        return -ESRCH;
    return !t->mm || cred_may_access(t) ? 0 : -EACCES;
}

static long open_mem(struct file *f) { return may_read_task(f->inode); }

static long readlink_exe(struct inode *ino, char *buf, size_t size)
{
    long r = may_read_task(ino);
    if (r == -EACCES)
        return r;
    struct task *t = proc_find_any(pid_of(ino));
    return snprintf(buf, size, "%s", t ? t->exe : "");
}

/* pagemap: entry i describes virtual page i; reads start at offset i * 8.
 * PFNs only for a reader that was root when it opened the file (Linux
 * decides with the opener's credentials, file->f_cred). */
static long read_pagemap(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    struct task *t = proc_find_any(pid_of(f->inode));
    if (!t || !t->mm)
        return 0;
    if (*pos % PAGEMAP_ENTRY || n % PAGEMAP_ENTRY)
        return -EINVAL;
    uint64_t entries[PAGEMAP_BATCH];
    size_t done = 0;
    while (done < n) {
        size_t k = MIN((n - done) / PAGEMAP_ENTRY, (size_t)PAGEMAP_BATCH);
        for (size_t i = 0; i < k; i++)
            entries[i] = mm_report_pagemap(t->mm, (*pos / PAGEMAP_ENTRY + i) * PAGE_SIZE, f->privileged);
        if (copy_to_user(ubuf + done, entries, k * PAGEMAP_ENTRY))
            return done ? (long)done : -EFAULT;
        done += k * PAGEMAP_ENTRY;
        *pos += k * PAGEMAP_ENTRY;
    }
    return (long)done;
}

static long gen_oom_score(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    return t ? snprintf(buf, size, "%lu\n", oom_score(t)) : -ESRCH;
}

static long gen_oom_score_adj(struct inode *ino, char *buf, size_t size)
{
    struct task *t = proc_find_any(pid_of(ino));
    return t ? snprintf(buf, size, "%d\n", t->oom_score_adj) : -ESRCH;
}

/* Linux checks who may write when the file is opened (owner = the
 * process's euid while it is dumpable, mode 0644); the same rule, here at
 * the write. Returns n (what Linux's oom_score_adj_write returns) or the
 * error. */
static long write_oom_score_adj(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)pos;
    int v;
    long err = parse_user_int(ubuf, n, &v);
    if (err)
        return err;
    struct task *t = proc_find(pid_of(f->inode));
    if (!t)
        return -ESRCH;
    if (!capable() && !(t->cred.dumpable && t->cred.euid == current->cred.fsuid))
        return -EACCES;
    err = oom_score_adj_set(t, v);
    return err ? err : (long)MIN(n, (size_t)PROC_NUMBUF - 1);
}

static const struct file_ops meminfo_ops = {.generate = gen_meminfo};
static const struct file_ops vmstat_ops = {.generate = gen_vmstat};
static const struct file_ops uptime_ops = {.generate = gen_uptime};
static const struct file_ops version_ops = {.generate = gen_version};
static const struct file_ops cpuinfo_ops = {.generate = gen_cpuinfo};
static const struct file_ops interrupts_ops = {.generate = gen_interrupts};
static const struct file_ops lock_stat_ops = {.generate = gen_lock_stat};
static const struct file_ops lockdep_ops = {.generate = gen_lockdep};
static const struct file_ops self_ops = {.readlink = readlink_self};
static const struct file_ops sysvipc_shm_ops = {.generate = gen_sysvipc_shm};
static const struct file_ops swaps_ops = {.generate = gen_swaps};
static const struct file_ops vmcheck_ops = {.generate = gen_vmcheck};
static const struct file_ops vm_sysctl_ops = {.generate = gen_vm_sysctl, .write = write_vm_sysctl};
static const struct file_ops buddyinfo_ops = {.generate = gen_buddyinfo};
static const struct file_ops iomem_ops = {.generate = gen_iomem};
static const struct file_ops vmallocinfo_ops = {.generate = gen_vmallocinfo};
static const struct file_ops compact_memory_ops = {.write = write_compact_memory};
static const struct file_ops status_ops = {.generate = gen_status};
static const struct file_ops stat_ops = {.generate = gen_stat};
static const struct file_ops maps_ops = {.generate = gen_maps, .open = open_mem};
static const struct file_ops cmdline_ops = {.generate = gen_cmdline};
static const struct file_ops thread_self_ops = {.readlink = readlink_thread_self};
static const struct file_ops exe_ops = {.readlink = readlink_exe};
static const struct file_ops pagemap_ops = {.read = read_pagemap, .open = open_mem};
static const struct file_ops threads_max_ops = {.generate = gen_threads_max, .write = write_threads_max};
static const struct file_ops oom_score_ops = {.generate = gen_oom_score};
static const struct file_ops oom_score_adj_ops = {.generate = gen_oom_score_adj, .write = write_oom_score_adj};

void procfs_init(void)
{
    vfs_add_node("/proc/meminfo", S_IFREG | 0444, &meminfo_ops);
    vfs_add_node("/proc/vmstat", S_IFREG | 0444, &vmstat_ops);
    vfs_add_node("/proc/uptime", S_IFREG | 0444, &uptime_ops);
    vfs_add_node("/proc/version", S_IFREG | 0444, &version_ops);
    vfs_add_node("/proc/cpuinfo", S_IFREG | 0444, &cpuinfo_ops);
    vfs_add_node("/proc/interrupts", S_IFREG | 0444, &interrupts_ops);
    vfs_add_node("/proc/lock_stat", S_IFREG | 0444, &lock_stat_ops);
    vfs_add_node("/proc/lockdep", S_IFREG | 0444, &lockdep_ops);
    vfs_add_node("/proc/self", S_IFLNK | 0777, &self_ops);
    vfs_add_node("/proc/thread-self", S_IFLNK | 0777, &thread_self_ops);
    vfs_add_node("/proc/sysvipc/shm", S_IFREG | 0444, &sysvipc_shm_ops);
    vfs_add_node("/proc/swaps", S_IFREG | 0444, &swaps_ops);
    vfs_add_node("/proc/vmcheck", S_IFREG | 0400, &vmcheck_ops); /* kernel pointers in its lines */
    for (int i = 0; i < NR_VM_SYSCTLS; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/sys/vm/%s", vm_sysctl_name(i));
        struct inode *f = vfs_add_node(path, S_IFREG | 0644, &vm_sysctl_ops);
        if (f)
            f->priv = (void *)(uintptr_t)i;
    }
    vfs_add_node("/proc/buddyinfo", S_IFREG | 0444, &buddyinfo_ops);
    vfs_add_node("/proc/iomem", S_IFREG | 0444, &iomem_ops);
    vfs_add_node("/proc/vmallocinfo", S_IFREG | 0400, &vmallocinfo_ops);
    vfs_add_node("/proc/sys/vm/compact_memory", S_IFREG | 0200, &compact_memory_ops);
    vfs_add_node("/proc/sys/kernel/threads-max", S_IFREG | 0644, &threads_max_ops);
}

static const struct {
    const char *name;
    uint32_t mode;
    const struct file_ops *ops;
} pid_files[] = {
    {"status", S_IFREG | 0444, &status_ops}, {"stat", S_IFREG | 0444, &stat_ops},
    {"maps", S_IFREG | 0444, &maps_ops},     {"cmdline", S_IFREG | 0444, &cmdline_ops},
    {"exe", S_IFLNK | 0777, &exe_ops},       {"pagemap", S_IFREG | 0400, &pagemap_ops},
    {"oom_score", S_IFREG | 0444, &oom_score_ops}, {"oom_score_adj", S_IFREG | 0644, &oom_score_adj_ops},
};

int procfs_add_task(struct task *t)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", t->pid);
    struct inode *dir = vfs_add_node(path, S_IFDIR | 0555, NULL), *task_dir;
    if (!dir)
        return -ENOMEM;
    dir->priv = (void *)(uintptr_t)t->pid;
    dir->get_owner = task_owner;
    for (unsigned i = 0; i < ARRAY_SIZE(pid_files); i++) { /* a fresh directory: no path walks */
        struct inode *f = vfs_add_child(dir, pid_files[i].name, pid_files[i].mode, pid_files[i].ops);
        if (!f) {
            vfs_remove(dir); /* no half-made directory (fork fails with ENOMEM) */
            return -ENOMEM;
        }
        f->priv = (void *)(uintptr_t)t->pid;
        f->get_owner = task_owner;
    }
    if (!(task_dir = vfs_add_child(dir, "task", S_IFDIR | 0555, NULL))) {
        vfs_remove(dir);
        return -ENOMEM;
    }
    t->group->proc_dir = dir;
    t->group->proc_task_dir = task_dir;
    return 0;
}

void procfs_remove_task(struct task *t)
{
    struct thread_group *g = t->group;
    if (g->proc_dir)
        vfs_remove(g->proc_dir); /* and everything in it */
    g->proc_dir = g->proc_task_dir = NULL;
}

/* /proc/<tgid>/task/<tid>: the files that differ between threads. */
static const struct {
    const char *name;
    const struct file_ops *ops;
} tid_files[] = {{"status", &status_ops}, {"stat", &stat_ops}};

/* A directory name with the files of tid_files for thread t, in parent. */
static struct inode *add_tid_dir(struct inode *parent, struct task *t)
{
    char name[16];
    struct inode *dir;
    snprintf(name, sizeof(name), "%d", t->pid);
    if (!(dir = vfs_add_child(parent, name, S_IFDIR | 0555, NULL)))
        return NULL;
    dir->priv = (void *)(uintptr_t)t->pid;
    dir->get_owner = task_owner;
    for (unsigned i = 0; i < ARRAY_SIZE(tid_files); i++) {
        struct inode *f = vfs_add_child(dir, tid_files[i].name, S_IFREG | 0444, tid_files[i].ops);
        if (!f) {
            vfs_remove(dir);
            return NULL;
        }
        f->priv = (void *)(uintptr_t)t->pid;
        f->get_owner = task_owner;
    }
    return dir;
}

int procfs_add_thread(struct task *t)
{
    if (!t->group->proc_task_dir)
        return -ENOENT;
    if (!(t->proc_tid_dir = add_tid_dir(t->group->proc_task_dir, t)))
        return -ENOMEM;
    if (thread_group_leader(t))
        return 0;
    /* Linux also answers /proc/<tid> for a thread, but lists only
     * processes in /proc (ps would show every thread otherwise). */
    struct inode *proc;
    if (vfs_lookup(NULL, "/proc", false, &proc) == 0 && (t->proc_hidden_dir = add_tid_dir(proc, t)))
        t->proc_hidden_dir->hidden = true;
    return 0;
}

void procfs_remove_thread(struct task *t)
{
    if (t->proc_tid_dir)
        vfs_remove(t->proc_tid_dir);
    if (t->proc_hidden_dir)
        vfs_remove(t->proc_hidden_dir);
    t->proc_tid_dir = t->proc_hidden_dir = NULL;
}
