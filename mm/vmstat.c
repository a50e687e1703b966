/* mm/vmstat.c - see vmstat.h. */
#include "mm/vmstat.h"

uint64_t vm_events[NR_VM_EVENTS];

static const char *const vm_event_names[NR_VM_EVENTS] = {
    [NR_TLB_LOCAL_FLUSH_ONE] = "nr_tlb_local_flush_one",
    [NR_TLB_LOCAL_FLUSH_ALL] = "nr_tlb_local_flush_all",
    [NR_TLB_REMOTE_FLUSH] = "nr_tlb_remote_flush",
    [NR_TLB_REMOTE_FLUSH_RECEIVED] = "nr_tlb_remote_flush_received",
    [NR_TLB_LAZY_SKIPPED] = "nr_tlb_lazy_skipped",
    [NR_PGTABLE_ALLOC] = "nr_pgtable_alloc",
    [NR_PGTABLE_FREE] = "nr_pgtable_free",
    [NR_CR3_WRITE] = "nr_cr3_write",
    [NR_PGFAULT] = "pgfault",
    [NR_PGMAJFAULT] = "pgmajfault",
    [NR_COW_FAULT] = "cow_fault",
    [NR_COW_REUSE] = "cow_reuse",
    [NR_PSWPIN] = "pswpin",
    [NR_PSWPOUT] = "pswpout",
    [NR_PGSCAN] = "pgscan",
    [NR_PGSTEAL] = "pgsteal",
    [NR_OOM_KILL] = "oom_kill",
    [NR_PGMIGRATE_SUCCESS] = "pgmigrate_success",
    [NR_COMPACT_MIGRATE_SCANNED] = "compact_migrate_scanned",
    [NR_COMPACT_FREE_SCANNED] = "compact_free_scanned",
    [NR_SWAP_REQUESTS] = "nr_swap_requests",
    [NR_SWAP_READAROUND] = "nr_swap_readaround",
};

const char *vm_event_name(enum vm_event_item item) { return item < NR_VM_EVENTS ? vm_event_names[item] : "?"; }
