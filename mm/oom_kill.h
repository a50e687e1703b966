/*
 * mm/oom_kill.h - the out-of-memory killer: when reclaim can free nothing
 * (no swap left, or every page pinned), a process must die so that the
 * others can go on. alloc_user_page (mm/vmscan.c) asks for it.
 */
#ifndef PAGEWISE_MM_OOM_KILL_H
#define PAGEWISE_MM_OOM_KILL_H

#include <stdbool.h>

/* Send SIGKILL to the largest process (resident + swapped pages; init is
 * spared) and say so on the console. False if there is nobody to kill. */
bool oom_kill(void);

#endif
