/*
 * user/ps.c - list the processes, from /proc.
 *
 *   ps
 *
 *     PID  PPID STAT    RSS CMD
 *       1     0 S       140 /bin/init
 *       2     1 S       156 /bin/sh
 *       7     2 R       128 ps
 *
 * No options: every process is listed, sorted by PID. The columns:
 *   PID, PPID  the process and its parent          /proc/<pid>/stat fields 1, 4
 *   STAT       R running, S sleeping, Z zombie,     /proc/<pid>/stat field 3
 *              T stopped, D waiting for the disk
 *   RSS        resident memory in KiB: the frames   /proc/<pid>/status VmRSS
 *              its page tables map right now
 *   CMD        the command line; [name] if it has   /proc/<pid>/cmdline, or
 *              none (a zombie, a kernel thread)      the name in stat field 2
 * On a terminal CMD is cut at the screen's width, as Linux's ps does.
 *
 * How: readdir("/proc") gives one numeric directory per process. A process
 * may exit while we read it: then its files are gone and it is skipped.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_PROCS 1024

struct proc {
    int pid, ppid;
    char state;
    long rss_kb;
    char cmd[256];
};

/* Read a whole small file into buf (NUL-terminated). Returns the byte
 * count, or -1. /proc files report size 0, so read until end of file. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* /proc/<pid>/stat: "7 (ps) R 2 7 2 ...". The name in parentheses may
 * itself contain spaces or ')', so the fields after it are found from the
 * LAST ')'. Fills pid, name, state, ppid. Returns 0 or -1. */
static int read_stat(int pid, struct proc *p, char *name, size_t name_size)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (read_file(path, buf, sizeof(buf)) <= 0)
        return -1;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return -1;
    size_t len = (size_t)(close_paren - open_paren - 1);
    if (len >= name_size)
        len = name_size - 1;
    memcpy(name, open_paren + 1, len);
    name[len] = '\0';
    p->pid = pid;
    return sscanf(close_paren + 1, " %c %d", &p->state, &p->ppid) == 2 ? 0 : -1;
}

/* VmRSS from /proc/<pid>/status ("VmRSS:\t     140 kB"); 0 if absent
 * (zombies and kernel threads have no memory, so no VmRSS line). */
static long read_rss(int pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (read_file(path, buf, sizeof(buf)) <= 0)
        return 0;
    char *line = strstr(buf, "\nVmRSS:");
    return line ? strtol(line + 7, NULL, 10) : 0;
}

/* /proc/<pid>/cmdline holds argv as "arg0\0arg1\0...\0": join with spaces.
 * Empty (a zombie, a kernel thread): "[name]", as Linux's ps shows it. */
static void read_cmd(int pid, const char *name, char *cmd, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    ssize_t n = read_file(path, cmd, size);
    if (n <= 0) {
        snprintf(cmd, size, "[%s]", name);
        return;
    }
    while (n > 0 && cmd[n - 1] == '\0') /* drop the trailing NUL(s) */
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (cmd[i] == '\0' || !isprint((unsigned char)cmd[i]))
            cmd[i] = ' ';
    cmd[n] = '\0';
}

/* Fill procs[] from the numeric directories of /proc. Returns the count. */
static int read_procs(struct proc *procs, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char name[64];
    int n = 0;

    if (!d) {
        perror("ps: /proc");
        return -1;
    }
    while ((e = readdir(d)) != NULL && n < max) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue; /* "self", "meminfo", ...: not a process */
        int pid = atoi(e->d_name);
        if (read_stat(pid, &procs[n], name, sizeof(name)) < 0)
            continue; /* it exited meanwhile */
        procs[n].rss_kb = read_rss(pid);
        read_cmd(pid, name, procs[n].cmd, sizeof(procs[n].cmd));
        n++;
    }
    closedir(d);
    return n;
}

static int by_pid(const void *a, const void *b)
{
    return ((const struct proc *)a)->pid - ((const struct proc *)b)->pid;
}

int main(void)
{
    static struct proc procs[MAX_PROCS];
    struct winsize ws;
    int width = 0; /* 0: no limit (output is not a terminal) */

    if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 30)
        width = ws.ws_col;
    int n = read_procs(procs, MAX_PROCS);
    if (n < 0)
        return 1;
    qsort(procs, n, sizeof(procs[0]), by_pid);
    printf("  PID  PPID STAT    RSS CMD\n");
    for (int i = 0; i < n; i++) {
        /* the CMD column starts at 24: cut it to fit the line */
        int room = width ? width - 24 : (int)sizeof(procs[i].cmd);
        printf("%5d %5d %-4c %6ld %.*s\n", procs[i].pid, procs[i].ppid, procs[i].state, procs[i].rss_kb, room,
               procs[i].cmd);
    }
    return 0;
}
