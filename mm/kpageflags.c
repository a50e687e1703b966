/*
 * mm/kpageflags.c - every physical frame's state, as Linux shows it in
 * /proc/kpageflags and /proc/kpagecount (fs/proc/page.c;
 * Documentation/admin-guide/mm/pagemap.rst). Both are binary: one 64-bit
 * word per frame, the word for PFN n at offset n * 8, so a tool reads the
 * frame a pagemap entry names with one pread. Root only (mode 0400),
 * as on Linux: frame numbers and states help physical attacks.
 *
 * /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h), from
 * struct page (mm/page.h):
 *
 *   0 LOCKED      PG_locked (disk I/O in progress)
 *   4 DIRTY       PG_dirty
 *   5 LRU         PG_lru (a mapped user page, on reclaim's list)
 *   7 SLAB        PG_slab (kmalloc)
 *  10 BUDDY       PG_buddy (the first frame of a free block)
 *  11 MMAP        mapped by at least one PTE
 *  12 ANON        PG_anon (private, differs from any file)
 *  13 SWAPCACHE   PG_swapcache
 *  14 SWAPBACKED  anonymous or shared memory: swap is where it goes
 *  15 COMPOUND_HEAD  PG_head (a multi-frame block)
 *  20 NOPAGE      no struct page (beyond the frame table)
 *  26 PGTABLE     PG_pgtable
 *  32 RESERVED    PG_reserved (firmware, the kernel image)
 *
 * /proc/kpagecount: the PTEs that map the frame (mapcount).
 */
#include "mm/kpageflags.h"

#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/pmm.h"

#define KPF_LOCKED 0
#define KPF_DIRTY 4
#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPCACHE 13
#define KPF_SWAPBACKED 14
#define KPF_COMPOUND_HEAD 15
#define KPF_NOPAGE 20
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define KPAGE_ENTRY 8
#define KPAGE_BATCH 64

#define BIT_IF(cond, kpf) ((cond) ? 1ull << (kpf) : 0)

uint64_t kpage_flags(uint64_t pfn)
{
    if (pfn >= pmm_max_pfn())
        return 1ull << KPF_NOPAGE;
    const struct page *p = pfn_to_page(pfn);
    uint32_t f = p->flags;
    return BIT_IF(f & PG_locked, KPF_LOCKED) | BIT_IF(f & PG_dirty, KPF_DIRTY) | BIT_IF(f & PG_lru, KPF_LRU) |
           BIT_IF(f & PG_slab, KPF_SLAB) | BIT_IF(f & PG_buddy, KPF_BUDDY) |
           BIT_IF(p->refcount > 0 && p->mapcount > 0 && !(f & (PG_slab | PG_pgtable)), KPF_MMAP) |
           BIT_IF(f & PG_anon, KPF_ANON) | BIT_IF(f & PG_swapcache, KPF_SWAPCACHE) |
           BIT_IF((f & PG_anon) || (p->refcount > 0 && p->shm_owner), KPF_SWAPBACKED) |
           BIT_IF(f & PG_head, KPF_COMPOUND_HEAD) | BIT_IF(f & PG_pgtable, KPF_PGTABLE) |
           BIT_IF(f & PG_reserved, KPF_RESERVED);
}

uint64_t kpage_count(uint64_t pfn)
{
    if (pfn >= pmm_max_pfn())
        return 0;
    const struct page *p = pfn_to_page(pfn);
    bool user = p->refcount > 0 && !(p->flags & (PG_slab | PG_pgtable | PG_buddy | PG_pcp | PG_reserved));
    return user ? (uint64_t)p->mapcount : 0;
}

/* Both files: word i is fn(pfn i); the offset and length are whole words
 * (EINVAL otherwise, as Linux); reading stops at the last frame. */
static long read_words(uint64_t (*fn)(uint64_t), char *ubuf, size_t n, uint64_t *pos)
{
    if (!capable())
        return -EACCES;
    if (*pos % KPAGE_ENTRY || n % KPAGE_ENTRY)
        return -EINVAL;
    uint64_t words[KPAGE_BATCH];
    size_t done = 0;
    while (done < n && *pos / KPAGE_ENTRY < pmm_max_pfn()) {
        size_t k = (n - done) / KPAGE_ENTRY;
        k = k < KPAGE_BATCH ? k : KPAGE_BATCH;
        uint64_t first = *pos / KPAGE_ENTRY;
        if (first + k > pmm_max_pfn())
            k = pmm_max_pfn() - first;
        for (size_t i = 0; i < k; i++)
            words[i] = fn(first + i);
        if (copy_to_user(ubuf + done, words, k * KPAGE_ENTRY))
            return done ? (long)done : -EFAULT;
        done += k * KPAGE_ENTRY;
        *pos += k * KPAGE_ENTRY;
    }
    return (long)done;
}

static long read_kpageflags(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f;
    return read_words(kpage_flags, ubuf, n, pos);
}

static long read_kpagecount(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f;
    return read_words(kpage_count, ubuf, n, pos);
}

static const struct file_ops kpageflags_ops = {.read = read_kpageflags};
static const struct file_ops kpagecount_ops = {.read = read_kpagecount};

void kpage_init(void)
{
    vfs_add_node("/proc/kpageflags", S_IFREG | 0400, &kpageflags_ops);
    vfs_add_node("/proc/kpagecount", S_IFREG | 0400, &kpagecount_ops);
}
