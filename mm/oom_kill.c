/*
 * mm/oom_kill.c - choosing a process to kill when memory is exhausted,
 * as Linux's mm/oom_kill.c does.
 *
 * The badness of a process is the memory its death would give back, in
 * pages (Linux's oom_badness, plus the kernel stack):
 *
 *     resident pages + swap entries + page tables + kernel stack
 *       + oom_score_adj * totalpages / 1000        (totalpages = RAM + swap)
 *
 * so oom_score_adj 1000 adds a whole machine's worth and -999 takes one
 * away; -1000 (OOM_SCORE_ADJ_MIN) exempts the process altogether. Page
 * tables count because a fork bomb's processes are mostly page tables and
 * kernel stacks: counting resident pages alone once chose a 4 KiB parent
 * over its 44 KiB children. init is never chosen (its death ends the
 * system), nor a kernel thread, nor a process already dying (its memory
 * is on its way back).
 */
#include "mm/oom_kill.h"

#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/swap.h"
#include "mm/vmstat.h"

#define INIT_PID 1           /* its death ends the system */
#define OOM_UNKILLABLE (-__LONG_MAX__ - 1) /* LONG_MIN: Linux's "never this one" */
#define OOM_ADJ_SCALE 1000   /* oom_score_adj is in thousandths of totalpages */
#define OOM_SCORE_BASE 1000  /* /proc/<pid>/oom_score: Linux's offset ... */
#define OOM_SCORE_NUM 2      /* ... and its 2/3 scaling */
#define OOM_SCORE_DEN 3

/* What a process's badness is made of (for the console line). */
struct badness {
    long points;
    uint64_t rss, swap, tables, kstack;
};

/* Pages the machine has to give: RAM plus swap (Linux's totalpages). */
static uint64_t oom_total_pages(void) { return pmm_nr_managed() + swap_total_pages(); }

/* Fill *b for t; b->points is OOM_UNKILLABLE for a process the killer
 * never takes. */
static void oom_badness(struct task *t, uint64_t totalpages, struct badness *b)
{
    *b = (struct badness){.points = OOM_UNKILLABLE};
    if (!t->mm || t->group->tgid == INIT_PID || t->state == TASK_ZOMBIE || t->oom_score_adj == OOM_SCORE_ADJ_MIN)
        return;
    b->rss = t->mm->rss;
    b->swap = t->mm->swap_pages;
    b->tables = paging_nr_tables(t->mm->pml4);
    b->kstack = (uint64_t)t->group->nr_live * (KSTACK_SIZE / PAGE_SIZE); /* one per thread */
    b->points = (long)(b->rss + b->swap + b->tables + b->kstack) +
                (long)t->oom_score_adj * (long)(totalpages / OOM_ADJ_SCALE);
}

struct oom_choice {
    uint64_t totalpages;
    struct task *victim;
    struct badness best;
    int candidates;
};

/* proc_for_each callback: keep the worst so far (on a tie the later task,
 * as Linux's select_bad_process). */
static void oom_evaluate(struct task *t, void *arg)
{
    struct oom_choice *oc = arg;
    struct badness b;
    if (&t->thread_node != t->group->threads.next)
        return; /* a process once: by its first live thread (its leader may have exited) */
    if (t->group->exiting || ((t->sig_pending | t->group->sig_pending) & SIG_BIT(SIGKILL)))
        return; /* already dying */
    oom_badness(t, oc->totalpages, &b);
    if (b.points == OOM_UNKILLABLE)
        return;
    oc->candidates++;
    if (!oc->victim || b.points >= oc->best.points) {
        oc->victim = t;
        oc->best = b;
    }
}

bool oom_kill(void)
{
    struct oom_choice oc = {.totalpages = oom_total_pages(), .victim = NULL, .candidates = 0};
    proc_for_each(oom_evaluate, &oc);
    struct task *v = oc.victim;
    if (!v)
        return false;
    pr_err("oom: killed pid %d (%s): badness %ld pages (rss %lu, swap %lu, page tables %lu, kernel stack %lu), "
           "oom_score_adj %d; %d candidates\n",
           v->group->tgid, v->comm, oc.best.points, oc.best.rss, oc.best.swap, oc.best.tables, oc.best.kstack,
           v->oom_score_adj, oc.candidates);
    count_vm_event(NR_OOM_KILL);
    signal_send(v, SIGKILL);
    return true;
}

uint64_t oom_score(struct task *t)
{
    uint64_t totalpages = oom_total_pages();
    struct badness b;
    oom_badness(t, totalpages, &b);
    if (b.points == OOM_UNKILLABLE)
        return 0;
    long scaled = (OOM_SCORE_BASE + b.points * OOM_SCORE_BASE / (long)totalpages) * OOM_SCORE_NUM / OOM_SCORE_DEN;
    return scaled < 0 ? 0 : (uint64_t)scaled;
}

long oom_score_adj_set(struct task *t, int value)
{
    if (value < OOM_SCORE_ADJ_MIN || value > OOM_SCORE_ADJ_MAX)
        return -EINVAL;
    if (value < t->oom_score_adj_min && !capable())
        return -EACCES; /* Linux: CAP_SYS_RESOURCE to go below the floor */
    t->oom_score_adj = (int16_t)value;
    if (capable())
        t->oom_score_adj_min = (int16_t)value; /* what root sets, others may not undercut */
    return 0;
}
