/*
 * user/sh.c - a small shell: enough to run the demos and tests by hand.
 *
 *   cmd args...            run /bin/cmd (or a path) and wait for it
 *   cmd1 | cmd2 | ...      a pipeline
 *   cmd < in > out         redirections ('>>' appends)
 *   cmd1 ; cmd2            one after the other
 *   cmd &                  in the background (its end is reported later)
 *   'quoted' "quoted" \x   quoting as in sh
 *   builtins               cd, pwd, exit [n], help, echo $?
 *
 * Job control, Linux style: each command runs in its own process group,
 * which becomes the terminal's foreground group, so ^C reaches it and
 * not the shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_SH 1024
#define MAX_WORDS 64
#define MAX_CMDS 8

struct cmd {
    char *argv[MAX_WORDS];
    int argc;
    char *in, *out;
    int append;
};

static int last_status;

/* Split a line into words, honouring quotes and backslashes. Operators
 * |, <, >, >> become words of their own. Returns the word count. */
static int split(char *line, char **words, int max)
{
    static char store[LINE_MAX_SH * 2];
    char *o = store;
    int n = 0;
    for (char *p = line; *p && n < max - 1;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            break;
        words[n++] = o;
        if (*p == '|' || *p == '<' || *p == '>') {
            *o++ = *p++;
            if (p[-1] == '>' && *p == '>')
                *o++ = *p++;
            *o++ = '\0';
            continue;
        }
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && !strchr("|<>", *p)) {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q)
                    *o++ = *p++;
                if (*p)
                    p++;
            } else if (*p == '\\' && p[1]) {
                p++;
                *o++ = *p++;
            } else if (*p == '$' && p[1] == '?') {
                o += sprintf(o, "%d", last_status);
                p += 2;
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '\0';
    }
    words[n] = NULL;
    return n;
}

/* Cut the words into commands at '|', taking redirections out. */
static int parse(char **w, int n, struct cmd *cmds)
{
    int nc = 0;
    memset(&cmds[0], 0, sizeof(cmds[0]));
    for (int i = 0; i < n; i++) {
        struct cmd *c = &cmds[nc];
        if (strcmp(w[i], "|") == 0) {
            if (c->argc == 0 || ++nc == MAX_CMDS)
                return -1;
            memset(&cmds[nc], 0, sizeof(cmds[nc]));
        } else if (strcmp(w[i], "<") == 0 || strcmp(w[i], ">") == 0 || strcmp(w[i], ">>") == 0) {
            if (i + 1 >= n)
                return -1;
            if (w[i][0] == '<')
                c->in = w[++i];
            else {
                c->append = w[i][1] == '>';
                c->out = w[++i];
            }
        } else {
            c->argv[c->argc++] = w[i];
        }
    }
    return cmds[nc].argc ? nc + 1 : (nc ? -1 : 0);
}

static int builtin(struct cmd *c)
{
    char buf[256];
    if (strcmp(c->argv[0], "cd") == 0) {
        if (chdir(c->argc > 1 ? c->argv[1] : "/") < 0)
            perror("cd");
    } else if (strcmp(c->argv[0], "pwd") == 0) {
        puts(getcwd(buf, sizeof(buf)) ? buf : "?");
    } else if (strcmp(c->argv[0], "exit") == 0) {
        exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
    } else if (strcmp(c->argv[0], "help") == 0) {
        puts("Pagewise sh: run programs from /bin (try: ls /bin), pipes |, redirections < > >>,\n"
             "builtins: cd pwd exit help. ^C stops the running program. make run: quit QEMU with Ctrl-A X.");
    } else {
        return 0;
    }
    return 1;
}

static void exec_cmd(struct cmd *c)
{
    char path[256];
    if (c->in) {
        int fd = open(c->in, O_RDONLY);
        if (fd < 0 || dup2(fd, 0) < 0) {
            perror(c->in);
            _exit(1);
        }
        close(fd);
    }
    if (c->out) {
        int fd = open(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC), 0644);
        if (fd < 0 || dup2(fd, 1) < 0) {
            perror(c->out);
            _exit(1);
        }
        close(fd);
    }
    snprintf(path, sizeof(path), strchr(c->argv[0], '/') ? "%s" : "/bin/%s", c->argv[0]);
    execv(path, c->argv);
    fprintf(stderr, "sh: %s: %s\n", c->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static void run(struct cmd *cmds, int nc, int background)
{
    pid_t pids[MAX_CMDS], pgrp = 0;
    int prev_read = -1;
    for (int i = 0; i < nc; i++) {
        int p[2] = {-1, -1};
        if (i + 1 < nc && pipe(p) < 0) {
            perror("sh: pipe");
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, pgrp);
            signal(SIGINT, SIG_DFL);
            signal(SIGQUIT, SIG_DFL);
            if (prev_read >= 0) {
                dup2(prev_read, 0);
                close(prev_read);
            }
            if (p[1] >= 0) {
                dup2(p[1], 1);
                close(p[0]);
                close(p[1]);
            }
            exec_cmd(&cmds[i]);
        }
        if (pid < 0) {
            perror("sh: fork");
            break;
        }
        if (!pgrp)
            pgrp = pid;
        setpgid(pid, pgrp);
        pids[i] = pid;
        if (i == 0 && !background)
            tcsetpgrp(0, pgrp); /* the pipeline is the foreground job */
        if (prev_read >= 0)
            close(prev_read);
        if (p[1] >= 0)
            close(p[1]);
        prev_read = p[0];
        nc = i + 1 < nc ? nc : i + 1;
    }
    if (background) {
        printf("[%d]\n", (int)pgrp);
        return;
    }
    for (int i = 0; i < nc; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) == pids[i] && i == nc - 1) {
            last_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (WIFSIGNALED(status))
                printf("%s\n", WTERMSIG(status) == SIGINT ? "" : strsignal(WTERMSIG(status)));
        }
    }
    tcsetpgrp(0, getpgrp());
}

/* Run a whole line: jobs separated by ';' (wait) or '&' (do not). Each
 * job is split into words only when its turn comes, so $? in a job sees
 * the status of the one before it. */
static void run_line(char *line)
{
    char *words[MAX_WORDS];
    struct cmd cmds[MAX_CMDS];
    char quote = 0;
    for (char *job = line, *p = line;; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            else if (!*p)
                break;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
            continue;
        }
        if (*p && *p != ';' && *p != '&')
            continue;
        int background = *p == '&', last = !*p;
        *p = '\0';
        int n = split(job, words, MAX_WORDS), nc = parse(words, n, cmds);
        if (nc < 0)
            fprintf(stderr, "sh: syntax error\n");
        else if (nc > 0 && !(nc == 1 && !background && builtin(&cmds[0])))
            run(cmds, nc, background);
        if (last)
            break;
        job = p + 1;
    }
}

/* Report background jobs that have ended. */
static void reap_background(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        printf("[%d] done (status %d)\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv)
{
    char line[LINE_MAX_SH];
    FILE *in = stdin;
    if (argc > 2 && strcmp(argv[1], "-c") == 0) { /* sh -c 'command' */
        run_line(argv[2]);
        return last_status;
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    setpgid(0, 0);
    tcsetpgrp(0, getpgrp());
    for (;;) {
        reap_background();
        printf("pagewise$ ");
        fflush(stdout);
        if (!fgets(line, sizeof(line), in))
            break;
        run_line(line);
    }
    return 0;
}
