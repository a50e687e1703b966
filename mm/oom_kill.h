/*
 * mm/oom_kill.h - the out-of-memory killer: when reclaim can free nothing
 * (no swap left, or every page pinned), a process must die so that the
 * others can go on. alloc_user_page (mm/vmscan.c) asks for it. Which one
 * is Linux's choice (mm/oom_kill.c: oom_badness): the most memory, moved
 * by the process's oom_score_adj.
 */
#ifndef PAGEWISE_MM_OOM_KILL_H
#define PAGEWISE_MM_OOM_KILL_H

#include <stdbool.h>
#include <stdint.h>

#define OOM_SCORE_ADJ_MIN (-1000) /* never chosen */
#define OOM_SCORE_ADJ_MAX 1000    /* chosen first */

struct task;

/* Send SIGKILL to the process with the highest badness (init and
 * processes at OOM_SCORE_ADJ_MIN are spared) and say on the console why
 * it was chosen. False if there is nobody to kill. */
bool oom_kill(void);
/* /proc/<pid>/oom_score: Linux's scale (fs/proc/base.c), 0 for a process
 * the killer never takes, else (1000 + badness * 1000 / totalpages) * 2/3:
 * 666 for a small process at adj 0, up to 2000. */
uint64_t oom_score(struct task *t);
/* Write t's oom_score_adj as the current process (/proc/<pid>/oom_score_adj):
 * -EINVAL outside [-1000, 1000]; -EACCES below t's oom_score_adj_min
 * without privilege. A privileged write also sets that floor, as Linux. */
long oom_score_adj_set(struct task *t, int value);

#endif
