/*
 * mm/oom_kill.c - choosing a process to kill when memory is exhausted.
 *
 * The badness of a process is its memory: pages resident plus pages on
 * swap (Linux's oom_badness also counts page tables and takes an
 * adjustment from /proc/<pid>/oom_score_adj). A process already dying is
 * skipped: its memory is on its way back.
 */
#include "mm/oom_kill.h"

#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "mm/mm.h"
#include "mm/vmstat.h"

#define FIRST_KILLABLE_PID 2 /* pid 1 is init: its death ends the system */

static struct task *oom_pick(void)
{
    struct task *victim = NULL;
    uint64_t best = 0;
    for (int pid = FIRST_KILLABLE_PID; pid <= proc_max_pid(); pid++) {
        struct task *t = proc_find(pid);
        if (!t || !t->mm || (t->sig_pending & SIG_BIT(SIGKILL)))
            continue;
        uint64_t size = t->mm->rss + t->mm->swap_pages;
        if (size > best) {
            best = size;
            victim = t;
        }
    }
    return victim;
}

bool oom_kill(void)
{
    struct task *v = oom_pick();
    if (!v)
        return false;
    pr_err("pagewise: out of memory: killed pid %d (%s): %lu KiB resident, %lu KiB swapped, the largest\n", v->pid,
           v->comm, v->mm->rss * 4, v->mm->swap_pages * 4);
    count_vm_event(NR_OOM_KILL);
    signal_send(v, SIGKILL);
    return true;
}
