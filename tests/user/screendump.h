/*
 * tests/user/screendump.h - ask the host harness for a picture of the
 * screen and a check of chosen pixels (tests/screendump.py has the other
 * side). The request is one console line,
 *
 *     @@screendump NAME X,Y=RRGGBB:LABEL X,Y=RRGGBB:LABEL ...
 *
 * after which we wait for the harness's answer on our console (stdin),
 *
 *     @@screendump-done NAME ok|bad
 *
 * so that nothing changes the picture while QEMU copies it. The harness
 * reports each picture as a result of its own (<boot>/screendump-NAME),
 * with the colour expected and seen for every wrong pixel; the case that
 * asked fails too on "bad". Without an answer (the program was not run by
 * the harness: make exec, a terminal) the case says so and goes on.
 *
 *     struct sd_request r;
 *     sd_begin(&r, "fb_pattern");
 *     sd_point(&r, 10, 10, 0xff0000, "red_bar");
 *     const char *why = sd_ask(&r);
 *
 * Include it after testlib.h.
 */
#ifndef PAGEWISE_TESTS_USER_SCREENDUMP_H
#define PAGEWISE_TESTS_USER_SCREENDUMP_H

#include <poll.h>

#define SD_LINE_MAX 4096
#define SD_WAIT_MS (45 * 1000) /* the harness answers in seconds; under CASE_TIMEOUT */
#define SD_ANSWER_MAX 160

struct sd_request {
    char name[64];
    char line[SD_LINE_MAX];
    size_t len;
    int points;
};

LIBFN void sd_begin(struct sd_request *r, const char *name)
{
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->len = (size_t)snprintf(r->line, sizeof(r->line), "@@screendump %s", name);
    r->points = 0;
}

/* Pixel x, y must be 0xRRGGBB; label (no spaces) says what it shows. */
LIBFN void sd_point(struct sd_request *r, int x, int y, uint32_t rgb, const char *label)
{
    int n =
        snprintf(r->line + r->len, sizeof(r->line) - r->len, " %d,%d=%06x:%s", x, y, (unsigned)rgb & 0xffffff, label);
    if (n > 0 && r->len + (size_t)n < sizeof(r->line) - 1)
        r->len += (size_t)n, r->points++;
}

/* Read one line from the console into buf; 0, or -1 after SD_WAIT_MS. */
LIBFN int sd_read_answer(char *buf, size_t size)
{
    size_t got = 0;
    long long deadline = now_ns() + (long long)SD_WAIT_MS * 1000000;
    while (got + 1 < size) {
        struct pollfd p = {.fd = 0, .events = POLLIN};
        long long left_ms = (deadline - now_ns()) / 1000000;
        if (left_ms <= 0 || poll(&p, 1, (int)left_ms) <= 0)
            return -1;
        ssize_t n = read(0, buf + got, size - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        buf[got] = '\0';
        if (strchr(buf, '\n'))
            return 0;
    }
    return 0;
}

/* Send the request and wait for the answer: PASS when the harness saw
 * every pixel right (or no harness answered: then a # line says so), the
 * reason when it saw one wrong. */
LIBFN const char *sd_ask(struct sd_request *r)
{
    r->line[r->len] = '\n';
    write_all(1, r->line, r->len + 1);
    char answer[SD_ANSWER_MAX], ok[SD_ANSWER_MAX], bad[SD_ANSWER_MAX];
    snprintf(ok, sizeof(ok), "@@screendump-done %s ok", r->name);
    snprintf(bad, sizeof(bad), "@@screendump-done %s bad", r->name);
    while (sd_read_answer(answer, sizeof(answer)) == 0) {
        if (strstr(answer, ok))
            return PASS;
        if (strstr(answer, bad))
            return FAIL("the harness saw wrong pixels in screendump %s (its report lists them)", r->name);
    }
    out("# screendump %s: no answer from tests/harness.py (not run by it?): %d pixels unchecked\n", r->name, r->points);
    return PASS;
}

#endif
