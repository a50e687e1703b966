/*
 * mm/vmstat.h - system-wide memory event counters, named as in Linux's
 * /proc/vmstat so a student can compare the two.
 */
#ifndef PAGEWISE_MM_VMSTAT_H
#define PAGEWISE_MM_VMSTAT_H

#include <stdint.h>

enum vm_event_item {
    NR_TLB_LOCAL_FLUSH_ONE, /* invlpg of one page */
    NR_TLB_LOCAL_FLUSH_ALL, /* whole-TLB flushes (CR3 or CR4.PGE toggle) */
    NR_TLB_REMOTE_FLUSH,    /* shootdowns sent: other CPUs asked to flush and waited for */
    NR_TLB_REMOTE_FLUSH_RECEIVED, /* shootdown requests this machine's CPUs answered */
    NR_TLB_LAZY_SKIPPED,    /* CPUs in lazy TLB mode a shootdown left out (Pagewise's own counter) */
    NR_PGTABLE_ALLOC,       /* page-table pages allocated */
    NR_PGTABLE_FREE,        /* page-table pages freed */
    NR_CR3_WRITE,           /* address-space switches (Pagewise's own counter) */
    NR_PGFAULT,             /* user page faults handled */
    NR_PGMAJFAULT,          /* ... of which needed file data (demand loading) */
    NR_COW_FAULT,           /* copy-on-write copies (Pagewise's own) */
    NR_COW_REUSE,           /* COW faults where we were the last user: no copy */
    NR_PSWPIN,              /* pages read from swap */
    NR_PSWPOUT,             /* pages written to swap */
    NR_PGSCAN,              /* frames the reclaim clock looked at */
    NR_PGSTEAL,             /* frames reclaim freed */
    NR_OOM_KILL,            /* processes killed for memory */
    NR_SWAP_REQUESTS,       /* disk requests that moved them (Pagewise's own: one per cluster) */
    NR_SWAP_READAROUND,     /* pages read with a faulting one, mapped before use (Pagewise's own) */
    NR_PGMIGRATE_SUCCESS,   /* pages compaction moved to another frame */
    NR_COMPACT_MIGRATE_SCANNED, /* frames its migrate scanner looked at */
    NR_COMPACT_FREE_SCANNED,    /* frames its free scanner looked at */
    NR_VM_EVENTS,
};

extern uint64_t vm_events[NR_VM_EVENTS];

static inline void count_vm_event(enum vm_event_item item) { vm_events[item]++; }
static inline void count_vm_events(enum vm_event_item item, uint64_t n) { vm_events[item] += n; }
static inline uint64_t vm_event(enum vm_event_item item) { return vm_events[item]; }
/* Linux's name for each counter ("nr_tlb_local_flush_one", ...). */
const char *vm_event_name(enum vm_event_item item);

#endif
