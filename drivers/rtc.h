/* drivers/rtc.h - the CMOS real-time clock: wall time at boot. */
#ifndef PAGEWISE_DRIVERS_RTC_H
#define PAGEWISE_DRIVERS_RTC_H

#include <stdint.h>

/* Seconds since 1970-01-01 00:00 UTC, read from the CMOS clock. */
uint64_t rtc_read_epoch(void);

#endif
