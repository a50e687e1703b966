/*
 * user/maps.c - demo: a process's address space, as /proc/self/maps shows it.
 *
 *   maps
 *
 * Each line of /proc/<pid>/maps is one VMA (virtual memory area): a range
 * of addresses with one set of permissions and one source of bytes:
 *
 *   00400000-00401000 r--p 00000000 00:00 3      /bin/maps
 *   start-end         perms offset  dev   inode  path
 *
 *   perms   r read, w write, x execute, then p private (copy-on-write: our
 *           writes stay ours) or s shared (writes are seen by others)
 *   offset  where in the file the range starts (0 for anonymous memory)
 *   path    the file, [heap], [stack], ... or nothing (anonymous memory)
 *
 * The program first puts something in each kind of area (a global, a
 * zeroed global, a malloc'd block, an mmap'd region, a PROT_NONE guard
 * page, a local variable), then prints its own maps with one explanation
 * per line and an arrow to each of those things. The spaces that pad the
 * path column are squeezed so that lines fit on an 80-column screen.
 *
 * Kernel code: the VMA list in mm/vma.c, the ELF loader in kernel/exec.c,
 * /proc/<pid>/maps in kernel/procfs.c (mm_report_maps).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL

/* Things that live in the different areas. */
static const char constant_text[] = "a string constant"; /* .rodata */
int initialized_global = 42;                             /* .data */
static char zeroed_global[64 * 1024];                    /* .bss */

static struct landmark {
    const char *name;
    uintptr_t addr;
} landmarks[8];
static int nlandmarks;

static void add_landmark(const char *name, const void *addr)
{
    landmarks[nlandmarks].name = name;
    landmarks[nlandmarks].addr = (uintptr_t)addr;
    nlandmarks++;
}

/* One VMA, parsed from a maps line. */
struct vma {
    unsigned long start, end, offset, inode;
    char perms[8], dev[16], path[256];
};

/* Parse "start-end perms offset dev inode [path]". Returns 0 or -1. */
static int parse_line(const char *line, struct vma *v)
{
    int used = 0;
    v->path[0] = '\0';
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &v->start, &v->end, v->perms, &v->offset, v->dev, &v->inode,
               &used) < 6)
        return -1;
    snprintf(v->path, sizeof(v->path), "%s", line + used);
    return 0;
}

/* Does v contain a landmark of the given name? */
static int holds(const struct vma *v, const char *name)
{
    for (int i = 0; i < nlandmarks; i++)
        if (strcmp(landmarks[i].name, name) == 0)
            return v->start <= landmarks[i].addr && landmarks[i].addr < v->end;
    return 0;
}

/* The explanation of a VMA whose path is [something]. */
static const char *explain_special(const struct vma *v)
{
    if (strcmp(v->path, "[heap]") == 0 && strcmp(v->perms, "---p") == 0)
        return "[heap], PROT_NONE: a guard page that musl's malloc keeps at the start\n"
               "of the brk heap; touching it faults.";
    if (strcmp(v->path, "[heap]") == 0)
        return "[heap]: the brk heap, just after .bss; brk() moves its end. malloc\n"
               "takes small blocks from here (musl's malloc also uses mmap).";
    if (strcmp(v->path, "[stack]") == 0)
        return "[stack]: the main stack (locals, return addresses, argv, envp). The\n"
               "kernel grows it down on demand, up to 8 MiB. rw- and never x (NX).";
    if (strcmp(v->path, "[vdso]") == 0)
        return "[vdso]: code Linux maps into every process so that clock_gettime()\n"
               "needs no system call. Linux only: Pagewise has none.";
    if (strncmp(v->path, "[vvar", 5) == 0)
        return "[vvar]: the data the [vdso] code reads (clocks). Linux only:\n"
               "Pagewise has none.";
    if (strcmp(v->path, "[vsyscall]") == 0)
        return "[vsyscall]: a legacy page at a fixed kernel-half address, kept by\n"
               "Linux for very old programs. Pagewise has none.";
    return "a special area named by the kernel.";
}

/* The explanation of a VMA backed by a file (our program). */
static const char *explain_file(const struct vma *v)
{
    if (strcmp(v->perms, "r-xp") == 0)
        return "program text (.text): our machine code, read from the file on first\n"
               "touch. Readable and executable, never writable.";
    if (strcmp(v->perms, "r--p") == 0)
        return v->offset == 0 ? "the start of the program file, read-only: ELF headers, and maybe\n"
                                ".rodata (constants, string literals)."
                              : "read-only data from the file: .rodata (constants, string literals),\n"
                                ".eh_frame (for unwinding the stack).";
    if (strcmp(v->perms, "rw-p") == 0)
        return ".data: initialized globals, read from the file on first touch;\n"
               "private, so our writes stay ours. .bss (zeroed globals) follows.";
    return "part of a file, mapped with these permissions.";
}

/* The explanation of an anonymous VMA (zero-filled, no file). */
static const char *explain_anon(const struct vma *v)
{
    if (strcmp(v->perms, "---p") == 0 && holds(v, "the guard page"))
        return "PROT_NONE: addresses reserved but not usable; any access faults\n"
               "(here: the guard page we made with mprotect).";
    if (strcmp(v->perms, "---p") == 0)
        return "PROT_NONE: addresses reserved but not usable; any access faults\n"
               "(musl's malloc keeps such a guard page before its brk heap).";
    if (holds(v, "zeroed_global"))
        return ".bss: zeroed globals past the end of the file's data. Anonymous:\n"
               "each page is a zeroed frame on its first touch.";
    if (strcmp(v->perms, "rw-p") == 0)
        return "anonymous memory from mmap: zero-filled on first touch, private.\n"
               "(Our 64 KiB mmap, malloc's bigger blocks, the libc's own data.)";
    return "anonymous memory with these permissions.";
}

static const char *explain(const struct vma *v)
{
    if (v->path[0] == '[')
        return explain_special(v);
    if (v->path[0])
        return explain_file(v);
    return explain_anon(v);
}

/* Print one maps line, squeezed, then the explanation and the arrows. */
static void show_vma(const struct vma *v)
{
    const char *text = explain(v);

    printf("%lx-%lx %s %08lx %s %lu %s\n", v->start, v->end, v->perms, v->offset, v->dev, v->inode, v->path);
    while (*text) { /* indent each line of the explanation */
        int len = (int)strcspn(text, "\n");
        printf("    %.*s\n", len, text);
        text += len + (text[len] == '\n');
    }
    for (int i = 0; i < nlandmarks; i++)
        if (v->start <= landmarks[i].addr && landmarks[i].addr < v->end)
            printf("    <- %s is here (%#lx)\n", landmarks[i].name, (unsigned long)landmarks[i].addr);
}

int main(void);

/* Put something in each kind of area, and remember where. */
static int make_landmarks(void *local)
{
    char *block = malloc(100);
    char *region = mmap(NULL, 64 * 1024 + PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!block || region == MAP_FAILED) {
        perror("maps: malloc/mmap");
        return -1;
    }
    mprotect(region + 64 * 1024, PAGE_SIZE, PROT_NONE); /* its last page: a guard page */
    zeroed_global[0] = (char)initialized_global;
    add_landmark("main()", (void *)main);
    add_landmark("constant_text", constant_text);
    add_landmark("initialized_global", &initialized_global);
    add_landmark("zeroed_global", zeroed_global);
    add_landmark("malloc(100)", block);
    add_landmark("mmap(64 KiB)", region);
    add_landmark("the guard page", region + 64 * 1024);
    add_landmark("a local variable", local);
    return 0;
}

int main(void)
{
    static char buf[65536];
    int local = 0, fd, count = 0;
    size_t len = 0;
    ssize_t n;

    if (make_landmarks(&local) < 0)
        return 1;
    if ((fd = open("/proc/self/maps", O_RDONLY)) < 0) {
        perror("maps: /proc/self/maps");
        return 1;
    }
    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';

    printf("maps: this program's own /proc/self/maps, one VMA per line:\n"
           "start-end perms offset dev inode path, then what it is.\n\n");
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        struct vma v;
        if (parse_line(line, &v) == 0) {
            show_vma(&v);
            count++;
        }
    }
    printf("\nSummary: %d VMAs. Each is a promise (these addresses, these rights,\n"
           "bytes from here); the page tables fill in lazily, on first touch.\n",
           count);
    return count > 0 ? 0 : 1;
}
