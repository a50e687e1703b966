/*
 * user/ls.c - list directory contents, sorted by name.
 *
 *   ls [-a] [-l] [paths...]     default path: "."
 *
 *   -a   also list names that start with '.'
 *   -l   long format: type and permission bits, size in bytes, name,
 *        and "-> target" for a symbolic link, e.g.
 *            drwxr-xr-x       0 bin
 *            -rwxr-xr-x   34512 hello
 *            lrwxrwxrwx       0 self -> 5
 *
 * Options can be combined (-la). A path that is not a directory is listed
 * by itself; with -l a symbolic link named on the command line is shown,
 * not followed (`ls -l /proc/self/` with the slash lists its directory).
 * Try `ls /proc`: one numeric directory per process, and `self`, a
 * symbolic link to the directory of whoever reads it.
 *
 * How: opendir/readdir (the getdents64 system call underneath) gives the
 * names, lstat gives the type and size without following symbolic links,
 * readlink gives a link's target.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int opt_all, opt_long;

/* "drwxr-xr-x" from st_mode: the type letter, then rwx for user, group, other. */
static void mode_string(mode_t m, char out[11])
{
    const char *rwx = "rwxrwxrwx";
    out[0] = S_ISDIR(m)    ? 'd'
             : S_ISLNK(m)  ? 'l'
             : S_ISCHR(m)  ? 'c'
             : S_ISBLK(m)  ? 'b'
             : S_ISFIFO(m) ? 'p'
             : S_ISSOCK(m) ? 's'
                           : '-';
    for (int i = 0; i < 9; i++)
        out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
    out[10] = '\0';
}

/* One entry: just the name, or (-l) mode, size, name and link target. */
static int show(const char *path, const char *name)
{
    struct stat st;
    char mode[11], target[PATH_MAX];

    if (!opt_long) {
        printf("%s\n", name);
        return 0;
    }
    if (lstat(path, &st) < 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return -1;
    }
    mode_string(st.st_mode, mode);
    printf("%s %8lld %s", mode, (long long)st.st_size, name);
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        printf(" -> %s", n > 0 ? target : "?");
    }
    printf("\n");
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Read every name of directory dir (skipping dot files unless -a). Returns
 * a malloc'd array of malloc'd names, *count set; NULL on error. */
static char **read_names(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0;

    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && !opt_all)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(names, cap * sizeof(*names));
            if (!bigger)
                break;
            names = bigger;
        }
        if ((names[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(d);
    *count = n;
    return names ? names : calloc(1, sizeof(*names));
}

/* List one directory, sorted by name. */
static int list_dir(const char *dir)
{
    int n = 0, status = 0;
    char **names = read_names(dir, &n);
    char path[PATH_MAX];

    if (!names) {
        fprintf(stderr, "ls: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    qsort(names, n, sizeof(*names), by_name);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        status |= show(path, names[i]);
        free(names[i]);
    }
    free(names);
    return status;
}

/* A path on the command line: a directory is listed (under a "path:"
 * header when there are several paths), anything else is shown as itself.
 * With -l a symbolic link is shown, not followed (as Linux's ls does);
 * write "/proc/self/" with a slash to list the directory it points to. */
static int list_path(const char *path, int many)
{
    static int printed; /* something is on the screen: separate with a blank line */
    struct stat st;

    if ((opt_long ? lstat(path, &st) : stat(path, &st)) < 0 && lstat(path, &st) < 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        printed = 1;
        return show(path, path);
    }
    if (many)
        printf("%s%s:\n", printed ? "\n" : "", path);
    printed = 1;
    return list_dir(path);
}

int main(int argc, char **argv)
{
    int i = 1, status = 0;

    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'l')
                opt_long = 1;
            else if (*o == 'a')
                opt_all = 1;
            else {
                fprintf(stderr, "usage: ls [-a] [-l] [paths...]\n");
                return 2;
            }
        }
    }
    if (i == argc)
        return list_path(".", 0) == 0 ? 0 : 1;
    for (int first = i; i < argc; i++)
        status |= list_path(argv[i], argc - first > 1);
    return status == 0 ? 0 : 1;
}
