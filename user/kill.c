/*
 * user/kill.c - send a signal to processes.
 *
 *   kill [-SIG | -s SIG] pid...     default signal: TERM
 *   kill -l                         list the signal names kill knows
 *
 * SIG is a number (9) or a name, with or without "SIG" (KILL, SIGKILL):
 * INT TERM KILL HUP USR1 USR2 SEGV STOP CONT. A negative pid means a whole
 * process group (write `kill -TERM -- -5` or `kill -s TERM -5`).
 *
 * Examples: `kill 7` asks process 7 to stop (SIGTERM, which it may catch),
 * `kill -9 7` kills it (SIGKILL can be neither caught nor ignored),
 * `kill -SEGV 7` makes it die as if it had touched a bad address.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
};
#define NSIGNALS (int)(sizeof(signals) / sizeof(signals[0]))

/* "9", "KILL", "SIGKILL", "kill" -> 9; -1 if unknown. */
static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && *end == '\0')
        return n >= 0 && n < 65 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 0; i < NSIGNALS; i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].sig;
    return -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: kill [-SIG | -s SIG] pid...   (kill -l lists signals)\n");
    return 2;
}

static void list_signals(void)
{
    for (int i = 0; i < NSIGNALS; i++)
        printf("%2d %s\n", signals[i].sig, signals[i].name);
}

int main(int argc, char **argv)
{
    int sig = SIGTERM, i = 1, status = 0;

    if (argc == 2 && strcmp(argv[1], "-l") == 0) {
        list_signals();
        return 0;
    }
    /* At most one option, then "--" optionally, then the pids. */
    if (i < argc && strcmp(argv[i], "-s") == 0) {
        if (i + 1 >= argc || (sig = parse_signal(argv[i + 1])) < 0)
            return usage();
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
        if ((sig = parse_signal(argv[i] + 1)) < 0) {
            fprintf(stderr, "kill: unknown signal %s\n", argv[i]);
            return usage();
        }
        i++;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc)
        return usage();
    for (; i < argc; i++) {
        char *end;
        long pid = strtol(argv[i], &end, 10);
        if (!*argv[i] || *end) {
            fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
            status = 1;
        } else if (kill((pid_t)pid, sig) < 0) {
            fprintf(stderr, "kill: (%ld): %s\n", pid, strerror(errno));
            status = 1;
        }
    }
    return status;
}
