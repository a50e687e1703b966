/*
 * user/init.c - process 1. It starts the shell on the console, starts it
 * again when it exits, and reaps every orphan the kernel hands it (a
 * process whose parent died becomes init's child, as on Linux).
 *
 *   init [program args...]    default: /bin/sh
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESTART_LIMIT 5

int main(int argc, char **argv)
{
    char *default_argv[] = {"/bin/sh", NULL};
    char **prog = argc > 1 ? &argv[1] : default_argv;
    char *envp[] = {"HOME=/", "PATH=/bin", "TERM=vt100", NULL};
    signal(SIGINT, SIG_IGN); /* ^C is for the shell's children, not for init */
    printf("Pagewise init: starting %s (type 'help')\n", prog[0]);
    for (int restarts = 0; restarts < RESTART_LIMIT; restarts++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("init: fork");
            return 1;
        }
        if (pid == 0) {
            signal(SIGINT, SIG_DFL);
            setsid();
            execve(prog[0], prog, envp);
            perror("init: execve");
            _exit(127);
        }
        for (;;) { /* reap orphans until the shell itself ends */
            int status;
            pid_t done = wait(&status);
            if (done < 0 && errno == ECHILD)
                break;
            if (done == pid) {
                printf("init: %s ended (status %d); restarting it\n", prog[0],
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                break;
            }
        }
    }
    printf("init: giving up after %d restarts\n", RESTART_LIMIT);
    return 1;
}
