/*
 * user/cat.c - copy files (or standard input) to standard output.
 *
 *   cat [files...]
 *
 * With no file, or for a file named "-", cat reads standard input. Try
 * `cat /proc/meminfo` or `cat /proc/self/maps`: "self" is then cat itself.
 *
 * It uses read(2) and write(2) directly, in 4 KiB chunks. /proc files are
 * generated when they are read, so their size (stat) is 0: never trust
 * st_size, read until read() returns 0 (end of file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Write all n bytes: write() may write fewer than asked (a pipe, a signal). */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copy one open file to stdout. Returns 0, or -1 after printing why. */
static int copy_fd(int fd, const char *name)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
            return -1;
        }
        if (write_all(1, buf, (size_t)n) < 0) {
            fprintf(stderr, "cat: write error: %s\n", strerror(errno));
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2)
        return copy_fd(0, "stdin") == 0 ? 0 : 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            status |= copy_fd(0, "stdin");
            continue;
        }
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = -1;
            continue;
        }
        status |= copy_fd(fd, argv[i]);
        close(fd);
    }
    return status == 0 ? 0 : 1;
}
