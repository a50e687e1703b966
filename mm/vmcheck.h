/*
 * mm/vmcheck.h - vm_check: the memory manager proves its own invariants
 * (the spirit of Linux's CONFIG_DEBUG_VM). It recounts every holder of
 * every frame and every swap slot from scratch, by walking all address
 * spaces, the frame table, the reverse map, the swap map, the swap cache
 * and the shm objects, and compares with the counts the kernel keeps.
 *
 *   /proc/vmcheck      reading it runs the check: "vm_check: ok (...)"
 *                      or one line per violation
 *   vmcheck            (kernel option) run it after every fork, exit,
 *                      munmap, mprotect, swap-in and reclaim pass; a
 *                      violation prints the frame and its owners and
 *                      panics, which fails the test boot
 *   vmcheck=N          the same after every Nth such event
 */
#ifndef PAGEWISE_MM_VMCHECK_H
#define PAGEWISE_MM_VMCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Allocate the checker's counting tables (after swap_init: their size
 * depends on the swap area) and set the after-event mode from the
 * `vmcheck` option's value: NULL (absent) never, "" (plain `vmcheck`)
 * after every event, "N" after every Nth event (a sample, for boots that
 * swap hundreds of thousands of pages). Called once from kmain. */
void vm_check_init(const char *option);
/* Run every check; the report goes to buf (at most size bytes, NUL
 * terminated). Returns the number of violations found. Never sleeps. */
unsigned vm_check(char *buf, size_t size);
/* With the `vmcheck` option: run vm_check now, and panic with the report
 * if it finds anything. event names what just happened ("fork"). */
void vm_check_after(const char *event);

#endif
