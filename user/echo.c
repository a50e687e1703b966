/*
 * user/echo.c - print the arguments, separated by spaces, then a newline.
 *
 *   echo [-n] [args...]
 *
 *   -n   do not print the trailing newline
 *
 * As with Linux's /bin/echo, there are no escapes (\n stays two characters)
 * and only a first argument of exactly "-n" is an option.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int newline = 1;
    int i = 1;

    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        newline = 0;
        i = 2;
    }
    for (int first = i; i < argc; i++) {
        if (i > first)
            putchar(' ');
        fputs(argv[i], stdout);
    }
    if (newline)
        putchar('\n');
    /* stdout is flushed at exit; report a failed write (a closed pipe...) */
    return fflush(stdout) == 0 ? 0 : 1;
}
