/* drivers/debugexit.c - see debugexit.h. */
#include "drivers/debugexit.h"

#include "kernel/x86.h"
#include "mm/memlayout.h"

void debug_exit(unsigned value) { outl(DEBUG_EXIT_PORT, value); }
