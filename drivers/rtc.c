/*
 * drivers/rtc.c - the MC146818-compatible CMOS clock (ports 0x70/0x71).
 * Registers: 0 seconds, 2 minutes, 4 hours, 7 day, 8 month, 9 year (two
 * digits), 0x0a status A (bit 7: update in progress), 0x0b status B
 * (bit 2: binary rather than BCD, bit 1: 24-hour mode).
 */
#include "drivers/rtc.h"

#include <stdbool.h>

#include "kernel/x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_UIP 0x80
#define RTC_BINARY 0x04
#define RTC_24H 0x02
#define RTC_PM 0x80

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned from_bcd(uint8_t v) { return (v & 0x0f) + (v >> 4) * 10; }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
    while (cmos_read(RTC_STATUS_A) & RTC_UIP)
        cpu_relax();
    uint8_t sec = cmos_read(RTC_SEC), min = cmos_read(RTC_MIN), hour = cmos_read(RTC_HOUR);
    uint8_t day = cmos_read(RTC_DAY), month = cmos_read(RTC_MONTH), year = cmos_read(RTC_YEAR);
    uint8_t b = cmos_read(RTC_STATUS_B);
    bool pm = hour & RTC_PM;
    hour &= ~RTC_PM;
    if (!(b & RTC_BINARY)) {
        sec = (uint8_t)from_bcd(sec), min = (uint8_t)from_bcd(min), hour = (uint8_t)from_bcd(hour);
        day = (uint8_t)from_bcd(day), month = (uint8_t)from_bcd(month), year = (uint8_t)from_bcd(year);
    }
    if (!(b & RTC_24H) && pm)
        hour = (uint8_t)((hour % 12) + 12);
    int64_t days = days_from_civil(2000 + year, month, day);
    return (uint64_t)(days * 86400 + hour * 3600 + min * 60 + sec);
}
