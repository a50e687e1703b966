/*
 * tests/user/t_exec.c - execve: replacing the program of a process.
 *
 * execve(path, argv, envp) throws the whole address space away and builds a
 * new one from an ELF file, with a fresh stack holding argc, argv, envp and
 * the auxiliary vector. Everything that can go wrong must go wrong *before*
 * the old address space is dropped, so that a failing execve returns -1 to
 * an intact caller: ENOENT, ENOTDIR, EACCES (a directory, a file without x
 * permission), ENOEXEC (not an ELF file), EFAULT (a bad pointer anywhere in
 * path, argv or envp), E2BIG (an argument over 128 KiB, or all of them over
 * the limit), ENAMETOOLONG (a path of 4096 bytes or more).
 *
 * What survives a successful execve: the pid and the parent, the file
 * descriptors without close-on-exec, ignored signals, the signal mask and
 * pending signals. What does not: the memory, handlers (reset to the
 * default), the alternate signal stack, descriptors with FD_CLOEXEC.
 *
 * The program re-executes itself. Run with a first argument starting with
 * '@' it is "the new image": it checks what it was given and exits with 0
 * (fine) or a code that says what was wrong; it never prints. Each case
 * forks a child that execs, and judges the child's exit status.
 * Run: t_exec [test_name...]
 */
#include "testlib.h"

#include <dirent.h>
#include <elf.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

extern char **environ;

/* Linux: one argument or environment string may be at most 32 pages long,
 * the terminating NUL included (MAX_ARG_STRLEN). */
#define MAX_ARG_STRLEN (32 * PAGE_SIZE)

/* Hide an address from the compiler (which would warn about, or even
 * replace, accesses through a pointer it knows to be bad). */
static void *hide(uintptr_t addr)
{
    static volatile uintptr_t v;
    v = addr;
    return (void *)v;
}

/* Addresses that can never be valid user pointers. */
#define KERNEL_PTR hide(0xffffffff80100000UL)
#define NONCANON_PTR hide(0x8000000000000000UL)

/* A global the test changes before exec: the new image must see the value
 * from the file again. */
static volatile int image_marker = 1;

/* ---------------------------------------------------------------------------
 * The argument and environment lists of exec_args_env_100.
 * ------------------------------------------------------------------------- */

#define NARGS 100
#define NENV 40

/* Argument i (0 <= i < NARGS): different lengths, some odd contents. */
static const char *gen_arg(int i, char *buf, size_t size)
{
    if (i == 7)
        return ""; /* an empty argument is an argument */
    if (i == 8)
        return "with spaces and\ttabs";
    if (i == 9)
        return "-";
    int len = snprintf(buf, size, "arg%03d-", i);
    for (int k = 0; k < i * 3 && (size_t)len + 1 < size; k++)
        buf[len++] = (char)('a' + (i + k) % 26);
    buf[len] = '\0';
    return buf;
}

static const char *gen_env(int i, char *buf, size_t size)
{
    if (i == 0)
        return "PW_EMPTY=";
    if (i == 1)
        return "PW_NOEQUALS"; /* the kernel does not care about '=' */
    int len = snprintf(buf, size, "PW_VAR%02d=", i);
    int n = i == 2 ? 3000 : i * 5;
    for (int k = 0; k < n && (size_t)len + 1 < size; k++)
        buf[len++] = (char)('A' + k % 26);
    buf[len] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------------
 * The new image: "t_exec @mode ..." checks and exits.
 * ------------------------------------------------------------------------- */

/* Exit codes of the new image. */
enum {
    IMG_OK = 0,
    IMG_ARGC = 2,     /* argc is wrong */
    IMG_ARGV = 3,     /* an argument differs */
    IMG_ENVC = 4,     /* the environment has the wrong number of strings */
    IMG_ENV = 5,      /* an environment string differs */
    IMG_AUXV = 6,     /* the auxiliary vector is wrong */
    IMG_LAYOUT = 7,   /* the strings are not packed one after the other */
    IMG_CLOEXEC = 10, /* a close-on-exec descriptor is still open */
    IMG_KEPT = 11,    /* a descriptor without close-on-exec was closed */
    IMG_KEPTREAD = 12,
    IMG_HANDLER = 20, /* a handler survived exec */
    IMG_IGNORED = 21, /* SIG_IGN did not survive */
    IMG_MASK = 22,    /* the signal mask did not survive */
    IMG_PENDING = 23, /* a pending signal was lost */
    IMG_ALTSTACK = 24,
    IMG_PID = 30,
    IMG_PPID = 31,
    IMG_MEMORY = 40, /* an old mapping is still there */
    IMG_GLOBAL = 41, /* a global kept the old image's value */
    IMG_BIGARG = 50,
    IMG_ARGV0 = 60,
    IMG_EXE = 61,
    IMG_CHAIN = 70,
    IMG_USAGE = 99,
};

static int img_args(int argc, char **argv)
{
    char buf[4096];

    if (argc != NARGS + 2 || argv[argc] != NULL)
        return IMG_ARGC;
    for (int i = 0; i < NARGS; i++)
        if (strcmp(argv[i + 2], gen_arg(i, buf, sizeof(buf))) != 0)
            return IMG_ARGV;
    int n = 0;
    while (environ[n])
        n++;
    if (n != NENV)
        return IMG_ENVC;
    for (int i = 0; i < NENV; i++)
        if (strcmp(environ[i], gen_env(i, buf, sizeof(buf))) != 0)
            return IMG_ENV;
    /* Linux copies the strings to the top of the new stack one after the
     * other, argv then envp (programs that rewrite their process title
     * depend on it, and /proc/<pid>/cmdline shows exactly that area). */
    for (int i = 0; i + 1 < argc; i++)
        if (argv[i + 1] != argv[i] + strlen(argv[i]) + 1)
            return IMG_LAYOUT;
    if (environ[0] != argv[argc - 1] + strlen(argv[argc - 1]) + 1)
        return IMG_LAYOUT;
    /* The auxiliary vector: what musl and every static program need. */
    extern char _start[];
    unsigned long phdr = getauxval(AT_PHDR), phnum = getauxval(AT_PHNUM);
    if (getauxval(AT_PAGESZ) != PAGE_SIZE || getauxval(AT_RANDOM) == 0 || phdr == 0 || phnum == 0 ||
        getauxval(AT_PHENT) != sizeof(Elf64_Phdr) || getauxval(AT_ENTRY) != (unsigned long)_start)
        return IMG_AUXV;
    int text_found = 0;
    for (unsigned long i = 0; i < phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)phdr + i;
        if (ph->p_type == PT_LOAD && ph->p_vaddr <= (unsigned long)img_args &&
            (unsigned long)img_args < ph->p_vaddr + ph->p_memsz)
            text_found = 1;
    }
    if (!text_found)
        return IMG_AUXV;
    volatile unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
    unsigned sum = 0;
    for (int i = 0; i < 16; i++)
        sum |= rnd[i];
    return sum ? IMG_OK : IMG_AUXV; /* 16 zero bytes: not random */
}

/* "@fds closed... -- open..." */
static int img_fds(int argc, char **argv)
{
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        errno = 0;
        if (fcntl(atoi(argv[i]), F_GETFD) != -1 || errno != EBADF)
            return IMG_CLOEXEC;
    }
    for (i++; i < argc; i++) {
        int fd = atoi(argv[i]);
        int fl = fcntl(fd, F_GETFD);
        if (fl == -1)
            return IMG_KEPT;
        if (fl & FD_CLOEXEC)
            return IMG_KEPT;
    }
    return IMG_OK;
}

/* "@fdread fd": fd is our own program file, opened before exec. */
static int img_fdread(int argc, char **argv)
{
    if (argc != 3)
        return IMG_USAGE;
    char magic[4];
    if (pread(atoi(argv[2]), magic, 4, 0) != 4 || memcmp(magic, "\177ELF", 4) != 0)
        return IMG_KEPTREAD;
    return IMG_OK;
}

static int img_sig(void)
{
    struct sigaction sa;
    sigset_t mask, pend;

    if (sigaction(SIGUSR1, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
        return IMG_HANDLER;
    if (sigaction(SIGUSR2, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
        return IMG_IGNORED;
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || !sigismember(&mask, SIGTERM) || !sigismember(&mask, SIGWINCH) ||
        sigismember(&mask, SIGUSR1))
        return IMG_MASK;
    if (sigpending(&pend) != 0 || !sigismember(&pend, SIGWINCH) || sigismember(&pend, SIGTERM))
        return IMG_PENDING;
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0 || !(ss.ss_flags & SS_DISABLE))
        return IMG_ALTSTACK;
    return IMG_OK;
}

static int img_pid(int argc, char **argv)
{
    if (argc != 4)
        return IMG_USAGE;
    if (getpid() != atoi(argv[2]))
        return IMG_PID;
    if (getppid() != atoi(argv[3]))
        return IMG_PPID;
    return IMG_OK;
}

static int img_mem(int argc, char **argv)
{
    if (argc != 3)
        return IMG_USAGE;
    if (image_marker != 1)
        return IMG_GLOBAL;
    void *addr = (void *)strtoul(argv[2], NULL, 0);
    /* The old image's mapping is gone: the address range is free again. */
    void *p = mmap(addr, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != addr)
        return IMG_MEMORY;
    if (*(volatile char *)p != 0)
        return IMG_MEMORY;
    return IMG_OK;
}

static int img_bigarg(int argc, char **argv)
{
    if (argc != 4)
        return IMG_USAGE;
    size_t want = strtoul(argv[3], NULL, 0);
    if (strlen(argv[2]) != want)
        return IMG_BIGARG;
    for (size_t i = 0; i < want; i++)
        if (argv[2][i] != 'x')
            return IMG_BIGARG;
    return IMG_OK;
}

/* The basename of the target of /proc/self/exe, or NULL. */
static const char *exe_basename(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    const char *b = strrchr(buf, '/');
    return b ? b + 1 : buf;
}

static int img_argv0(int argc, char **argv)
{
    char buf[PATH_MAX];
    if (argc != 4)
        return IMG_USAGE;
    if (strcmp(argv[0], argv[2]) != 0)
        return IMG_ARGV0;
    const char *b = exe_basename(buf, sizeof(buf));
    if (!b || strcmp(b, argv[3]) != 0)
        return IMG_EXE;
    return IMG_OK;
}

/* "@chain n": exec ourselves n more times, then exit 0. */
static int img_chain(int argc, char **argv)
{
    if (argc != 3)
        return IMG_USAGE;
    int n = atoi(argv[2]);
    if (n <= 0)
        return IMG_OK;
    /* Each image also uses a little memory, to have something to lose. */
    char *p = malloc(256 * KiB);
    if (p)
        memset(p, n, 256 * KiB);
    char num[16];
    snprintf(num, sizeof(num), "%d", n - 1);
    char *args[] = {argv[0], "@chain", num, NULL};
    execve(argv[0], args, environ);
    return IMG_CHAIN;
}

static int new_image(int argc, char **argv)
{
    const char *mode = argv[1];

    if (strcmp(mode, "@args") == 0)
        return img_args(argc, argv);
    if (strcmp(mode, "@fds") == 0)
        return img_fds(argc, argv);
    if (strcmp(mode, "@fdread") == 0)
        return img_fdread(argc, argv);
    if (strcmp(mode, "@sig") == 0)
        return img_sig();
    if (strcmp(mode, "@pid") == 0)
        return img_pid(argc, argv);
    if (strcmp(mode, "@mem") == 0)
        return img_mem(argc, argv);
    if (strcmp(mode, "@bigarg") == 0)
        return img_bigarg(argc, argv);
    if (strcmp(mode, "@argv0") == 0)
        return img_argv0(argc, argv);
    if (strcmp(mode, "@chain") == 0)
        return img_chain(argc, argv);
    if (strcmp(mode, "@exit") == 0 && argc == 3)
        return atoi(argv[2]);
    return IMG_USAGE;
}

/* ---------------------------------------------------------------------------
 * The test side.
 * ------------------------------------------------------------------------- */

static const char *self; /* our program file, found by self_path() */

/* What the new image's exit code means. */
static const char *img_meaning(int code)
{
    switch (code) {
    case IMG_ARGC: return "argc (or the argv terminator) was wrong";
    case IMG_ARGV: return "an argument string differed";
    case IMG_ENVC: return "the environment had the wrong number of strings";
    case IMG_ENV: return "an environment string differed";
    case IMG_AUXV: return "the auxiliary vector was wrong (AT_PAGESZ/AT_RANDOM/AT_PHDR/AT_PHNUM/AT_PHENT/AT_ENTRY)";
    case IMG_LAYOUT: return "the argv/envp strings were not packed one after the other";
    case IMG_CLOEXEC: return "a close-on-exec descriptor was still open";
    case IMG_KEPT: return "a descriptor without close-on-exec was closed (or had FD_CLOEXEC)";
    case IMG_KEPTREAD: return "a kept descriptor could not be read";
    case IMG_HANDLER: return "a signal handler survived exec (must be reset to SIG_DFL)";
    case IMG_IGNORED: return "SIG_IGN did not survive exec";
    case IMG_MASK: return "the signal mask did not survive exec";
    case IMG_PENDING: return "a pending blocked signal was lost across exec";
    case IMG_ALTSTACK: return "the alternate signal stack survived exec";
    case IMG_PID: return "the pid changed across exec";
    case IMG_PPID: return "the parent pid changed across exec";
    case IMG_MEMORY: return "a mapping of the old image was still there";
    case IMG_GLOBAL: return "a global kept the old image's value";
    case IMG_BIGARG: return "the big argument arrived wrong";
    case IMG_ARGV0: return "argv[0] was not passed as given";
    case IMG_EXE: return "/proc/self/exe did not name t_exec";
    case IMG_CHAIN: return "an exec in the chain failed";
    case IMG_USAGE: return "bad arguments to the new image";
    case 127: return "the child's execve failed";
    default: return "?";
    }
}

#define CHECK_IMAGE(st)                                                                                                \
    CHECK((st) != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the exec'ed child %s: %s", status_str(st),           \
          (st) != -1 && WIFEXITED(st) ? img_meaning(WEXITSTATUS(st)) : "")

/* In a forked child: execve(path, argv, envp); exit 127 if it fails. */
static int exec_in_child(const char *path, char *const argv[], char *const envp[])
{
    pid_t pid = fork_child();
    if (pid == -1)
        return -1;
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(127);
    }
    return wait_for(pid);
}

/* argv = {self, mode, a, b, NULL} (a, b optional) */
static int exec_self(const char *mode, const char *a, const char *b)
{
    char *argv[] = {(char *)self, (char *)mode, (char *)a, a ? (char *)b : NULL, NULL};
    return exec_in_child(self, argv, environ);
}

#define FIND_SELF() CHECK((self = self_path()) != NULL, "cannot find our own program file (argv[0] = %s)", test_argv0)

/* 100 arguments and 40 environment strings arrive exactly, packed like
 * Linux packs them, with a sane auxiliary vector. */
static const char *exec_args_env_100(void)
{
    static char abuf[NARGS][512], ebuf[NENV][4096];
    char *argv[NARGS + 3], *envp[NENV + 1];

    FIND_SELF();
    argv[0] = (char *)self;
    argv[1] = "@args";
    for (int i = 0; i < NARGS; i++)
        argv[i + 2] = (char *)gen_arg(i, abuf[i], sizeof(abuf[i]));
    argv[NARGS + 2] = NULL;
    for (int i = 0; i < NENV; i++)
        envp[i] = (char *)gen_env(i, ebuf[i], sizeof(ebuf[i]));
    envp[NENV] = NULL;
    int st = exec_in_child(self, argv, envp);
    CHECK_IMAGE(st);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * Failing execve: -1, the right errno, and the caller carries on.
 * ------------------------------------------------------------------------- */

/* Memory of the caller, set up before the failing execs and checked after. */
struct caller_state {
    volatile long local;
    char *heap;
    char *map;
};

static int setup_caller(struct caller_state *cs)
{
    cs->local = 0x1234567890L;
    cs->heap = malloc(64 * KiB);
    cs->map = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!cs->heap || cs->map == MAP_FAILED)
        return -1;
    for (long i = 0; i < 64 * KiB; i++)
        cs->heap[i] = (char)(i * 7);
    for (long i = 0; i < 4 * PAGE_SIZE; i++)
        cs->map[i] = (char)(i * 13);
    return 0;
}

static int caller_intact(struct caller_state *cs)
{
    if (cs->local != 0x1234567890L)
        return 0;
    for (long i = 0; i < 64 * KiB; i++)
        if (cs->heap[i] != (char)(i * 7))
            return 0;
    for (long i = 0; i < 4 * PAGE_SIZE; i++)
        if (cs->map[i] != (char)(i * 13))
            return 0;
    /* And the process still works: a system call, more memory. */
    char *p = malloc(256 * KiB);
    if (!p || getpid() <= 0)
        return 0;
    memset(p, 1, 256 * KiB);
    free(p);
    return 1;
}

/* The errno of a failing execve, or 0 if it returned something else. */
static int exec_errno(const char *path, char *const argv[], char *const envp[])
{
    errno = 0;
    long r = syscall(SYS_execve, path, argv, envp);
    return r == -1 ? errno : 0;
}

/* Every failing exec in the cases below runs in a child (if a kernel tore
 * down the address space before failing, the child dies, not the test).
 * The child exits with 0, or 10 + the step that went wrong; it sends the
 * errno it got through the report pipe. */
#define STEP(n, expr, ok)                                                                                              \
    do {                                                                                                               \
        int e_ = (expr);                                                                                               \
        vals[0] = n;                                                                                                   \
        vals[1] = e_;                                                                                                  \
        if (!(ok))                                                                                                     \
            return 10 + n;                                                                                             \
        if (!caller_intact(&cs))                                                                                       \
            return 9;                                                                                                  \
    } while (0)

static const char *judge_steps(int st, long *vals, const char *const *what)
{
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 8), "setting up the caller's memory failed");
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 9),
          "after the failing execve number %ld (%s, errno %s) the caller's memory was no longer intact", vals[0],
          what[vals[0]], errname((int)vals[1]));
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) < 40), "%s: got %s", what[vals[0]],
          vals[1] ? errname((int)vals[1]) : "success?!");
    CHECK_EXITED(st, 0);
    return PASS;
}

static int missing_file_steps(long *vals)
{
    struct caller_state cs;
    char path[PATH_MAX];
    char *argv[] = {"x", NULL};

    if (setup_caller(&cs) != 0)
        return 8;
    STEP(1, exec_errno("/no/such/file", argv, environ), e_ == ENOENT);
    STEP(2, exec_errno("", argv, environ), e_ == ENOENT);
    snprintf(path, sizeof(path), "%s/x", self); /* a file used as a directory */
    STEP(3, exec_errno(path, argv, environ), e_ == ENOTDIR);
    STEP(4, exec_errno("/no/such/dir/file", argv, environ), e_ == ENOENT);
    return 0;
}

static const char *exec_enoent_caller_intact(void)
{
    static const char *const what[] = {"", "execve(\"/no/such/file\") (expected ENOENT)",
                                       "execve(\"\") (expected ENOENT)", "execve(\"<our file>/x\") (expected ENOTDIR)",
                                       "execve(\"/no/such/dir/file\") (expected ENOENT)"};
    long vals[2] = {0, 0};

    FIND_SELF();
    int st = run_in_child_report(missing_file_steps, vals, 2);
    return judge_steps(st, vals, what);
}

/* A directory is not executable: EACCES (Linux checks that the file is a
 * regular file before it looks at its contents). */
static int directory_steps(long *vals)
{
    struct caller_state cs;
    char *argv[] = {"x", NULL};

    if (setup_caller(&cs) != 0)
        return 8;
    STEP(1, exec_errno("/", argv, environ), e_ == EACCES);
    STEP(2, exec_errno("/proc", argv, environ), e_ == EACCES);
    STEP(3, exec_errno(".", argv, environ), e_ == EACCES);
    return 0;
}

static const char *exec_directory_eacces(void)
{
    static const char *const what[] = {"", "execve(\"/\") (expected EACCES)", "execve(\"/proc\") (expected EACCES)",
                                       "execve(\".\") (expected EACCES)"};
    long vals[2] = {0, 0};
    int st = run_in_child_report(directory_steps, vals, 2);
    return judge_steps(st, vals, what);
}

/* Not an ELF executable. /proc/self/maps is a readable file without execute
 * permission: Linux says EACCES (the x bit is checked first); a kernel that
 * only looks at the contents says ENOEXEC: both are accepted. Where we can
 * create a file (Linux: /tmp), a mode-0755 text file without "#!" and a file
 * with the ELF magic but a garbage header must give exactly ENOEXEC. */
static char tmp_text[64], tmp_badelf[64];

static int make_tmp(char *name, const char *content, size_t len)
{
    strcpy(name, "/tmp/pw_t_exec_XXXXXX");
    int fd = mkstemp(name);
    if (fd < 0) {
        name[0] = '\0';
        return -1;
    }
    int ok = write(fd, content, len) == (ssize_t)len && fchmod(fd, 0755) == 0;
    close(fd);
    if (!ok) {
        unlink(name);
        name[0] = '\0';
        return -1;
    }
    return 0;
}

static int nonelf_steps(long *vals)
{
    struct caller_state cs;
    char *argv[] = {"x", NULL};

    if (setup_caller(&cs) != 0)
        return 8;
    STEP(1, exec_errno("/proc/self/maps", argv, environ), e_ == EACCES || e_ == ENOEXEC);
    if (tmp_text[0])
        STEP(2, exec_errno(tmp_text, argv, environ), e_ == ENOEXEC);
    if (tmp_badelf[0])
        STEP(3, exec_errno(tmp_badelf, argv, environ), e_ == ENOEXEC);
    return 0;
}

static const char *exec_not_elf(void)
{
    static const char *const what[] = {"", "execve(\"/proc/self/maps\") (expected EACCES or ENOEXEC)",
                                       "execve(a 0755 text file) (expected ENOEXEC)",
                                       "execve(a 0755 file with the ELF magic and a garbage header) (expected ENOEXEC)"};
    static const char text[] = "this is not a program\n";
    unsigned char badelf[128];
    long vals[2] = {0, 0};

    memset(badelf, 0xee, sizeof(badelf));
    memcpy(badelf, "\177ELF", 4);
    tmp_text[0] = tmp_badelf[0] = '\0';
    if (!on_pagewise()) {
        make_tmp(tmp_text, text, sizeof(text) - 1);
        make_tmp(tmp_badelf, (const char *)badelf, sizeof(badelf));
    }
    int st = run_in_child_report(nonelf_steps, vals, 2);
    if (tmp_text[0])
        unlink(tmp_text);
    if (tmp_badelf[0])
        unlink(tmp_badelf);
    return judge_steps(st, vals, what);
}

/* Bad pointers anywhere: EFAULT, and the caller carries on. */
static char *bad_page; /* a PROT_NONE page */

static int efault_steps(long *vals)
{
    struct caller_state cs;
    char *argv[] = {(char *)self, "@exit", "0", NULL};
    char *bad_argv[] = {(char *)self, KERNEL_PTR, NULL};
    char *bad_envp[] = {"A=1", NONCANON_PTR, NULL};
    char *unterminated = bad_page - 4; /* "abcd" then the PROT_NONE page */

    if (setup_caller(&cs) != 0)
        return 8;
    memcpy(unterminated, "abcd", 4);
    STEP(1, exec_errno(hide(1), argv, environ), e_ == EFAULT);
    STEP(2, exec_errno(KERNEL_PTR, argv, environ), e_ == EFAULT);
    STEP(3, exec_errno(NONCANON_PTR, argv, environ), e_ == EFAULT);
    STEP(4, exec_errno(unterminated, argv, environ), e_ == EFAULT);
    STEP(5, exec_errno(self, hide(1), environ), e_ == EFAULT);
    STEP(6, exec_errno(self, (char **)KERNEL_PTR, environ), e_ == EFAULT);
    STEP(7, exec_errno(self, bad_argv, environ), e_ == EFAULT);
    STEP(8, exec_errno(self, argv, (char **)bad_page), e_ == EFAULT);
    STEP(9, exec_errno(self, argv, bad_envp), e_ == EFAULT);
    bad_argv[1] = unterminated;
    STEP(10, exec_errno(self, bad_argv, environ), e_ == EFAULT);
    return 0;
}

static const char *exec_efault(void)
{
    static const char *const what[] = {"",
                                       "execve(path = 1) (expected EFAULT)",
                                       "execve(path = kernel address) (expected EFAULT)",
                                       "execve(path = non-canonical address) (expected EFAULT)",
                                       "execve(path running into a PROT_NONE page) (expected EFAULT)",
                                       "execve(argv = 1) (expected EFAULT)",
                                       "execve(argv = kernel address) (expected EFAULT)",
                                       "execve(argv[1] = kernel address) (expected EFAULT)",
                                       "execve(envp = a PROT_NONE page) (expected EFAULT)",
                                       "execve(envp[1] = non-canonical address) (expected EFAULT)",
                                       "execve(argv[1] running into a PROT_NONE page) (expected EFAULT)"};
    long vals[2] = {0, 0};

    FIND_SELF();
    char *two = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(two != MAP_FAILED, "mmap: %s", errname(errno));
    CHECK_OK(mprotect(two + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
    bad_page = two + PAGE_SIZE;
    int st = run_in_child_report(efault_steps, vals, 2);
    munmap(two, 2 * PAGE_SIZE);
    return judge_steps(st, vals, what);
}

/* Argument lists too long: E2BIG before anything is torn down. */
static char *huge_arg;  /* 200 KiB of 'x' */
static char *limit_arg; /* MAX_ARG_STRLEN bytes of 'x' and the NUL */

static int e2big_steps(long *vals)
{
    struct caller_state cs;

    if (setup_caller(&cs) != 0)
        return 8;
    char *argv1[] = {(char *)self, huge_arg, NULL};
    STEP(1, exec_errno(self, argv1, environ), e_ == E2BIG);
    char *argv2[] = {(char *)self, "@exit", "0", NULL};
    char *envp2[] = {huge_arg, NULL};
    STEP(2, exec_errno(self, argv2, envp2), e_ == E2BIG);
    /* One byte over the limit per string: strlen = MAX_ARG_STRLEN. */
    char *argv3[] = {(char *)self, limit_arg, NULL};
    STEP(3, exec_errno(self, argv3, environ), e_ == E2BIG);
    /* 96 arguments of 100 KiB each (9.6 MiB): too much in all. */
    static char *many[100];
    many[0] = (char *)self;
    for (int i = 1; i <= 96; i++)
        many[i] = huge_arg + 100 * KiB; /* the last 100 KiB of huge_arg */
    many[97] = NULL;
    STEP(4, exec_errno(self, many, environ), e_ == E2BIG);
    return 0;
}

static const char *exec_e2big(void)
{
    static const char *const what[] = {"",
                                       "execve with one 200 KiB argument (expected E2BIG)",
                                       "execve with one 200 KiB environment string (expected E2BIG)",
                                       "execve with one argument of strlen 131072 (expected E2BIG)",
                                       "execve with 96 arguments of 100 KiB (expected E2BIG)"};
    long vals[2] = {0, 0};

    FIND_SELF();
    huge_arg = malloc(200 * KiB + 1);
    limit_arg = malloc(MAX_ARG_STRLEN + 1);
    CHECK(huge_arg && limit_arg, "malloc failed");
    memset(huge_arg, 'x', 200 * KiB);
    huge_arg[200 * KiB] = '\0';
    memset(limit_arg, 'x', MAX_ARG_STRLEN);
    limit_arg[MAX_ARG_STRLEN] = '\0';
    int st = run_in_child_report(e2big_steps, vals, 2);
    free(huge_arg);
    free(limit_arg);
    return judge_steps(st, vals, what);
}

/* The largest argument that is allowed: strlen 131071 (with its NUL, 32
 * pages) arrives whole. */
static const char *exec_arg_at_limit(void)
{
    FIND_SELF();
    char *arg = malloc(MAX_ARG_STRLEN);
    CHECK(arg, "malloc failed");
    memset(arg, 'x', MAX_ARG_STRLEN - 1);
    arg[MAX_ARG_STRLEN - 1] = '\0';
    char len[16];
    snprintf(len, sizeof(len), "%ld", (long)MAX_ARG_STRLEN - 1);
    int st = exec_self("@bigarg", arg, len);
    free(arg);
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127),
          "execve with one argument of strlen %ld (the largest Linux allows) failed", (long)MAX_ARG_STRLEN - 1);
    CHECK_IMAGE(st);
    return PASS;
}

/* Path names: 4096 bytes or more (with the NUL: more than PATH_MAX) is
 * ENAMETOOLONG; 4095 is a path like any other (here: ENOENT). */
static int path_steps(long *vals)
{
    struct caller_state cs;
    static char path[PATH_MAX + 2];
    char *argv[] = {"x", NULL};

    if (setup_caller(&cs) != 0)
        return 8;
    /* "/no/aaaaaaaaa/aaaaaaaaa/..." : components of 9 letters */
    strcpy(path, "/no");
    for (size_t len = 3; len < PATH_MAX; len++)
        path[len] = len % 10 == 3 ? '/' : 'a';
    path[PATH_MAX] = '\0'; /* strlen 4096 */
    STEP(1, exec_errno(path, argv, environ), e_ == ENAMETOOLONG);
    path[PATH_MAX - 1] = '\0'; /* strlen 4095 */
    if (path[PATH_MAX - 2] == '/')
        path[PATH_MAX - 2] = 'a';
    STEP(2, exec_errno(path, argv, environ), e_ == ENOENT);
    return 0;
}

static const char *exec_enametoolong(void)
{
    static const char *const what[] = {"", "execve of a path of strlen 4096 (expected ENAMETOOLONG)",
                                       "execve of a missing path of strlen 4095 (expected ENOENT)"};
    long vals[2] = {0, 0};
    int st = run_in_child_report(path_steps, vals, 2);
    return judge_steps(st, vals, what);
}

/* After all kinds of failures, the same process can still exec. */
static const char *exec_after_failures(void)
{
    FIND_SELF();
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char *argv[] = {(char *)self, "@exit", "42", NULL};
        char *big = malloc(200 * KiB + 1);
        if (!big)
            _exit(2);
        memset(big, 'x', 200 * KiB);
        big[200 * KiB] = '\0';
        char *bigv[] = {(char *)self, big, NULL};
        execve("/no/such/file", argv, environ);
        execve(hide(1), argv, environ);
        execve(self, bigv, environ);
        execve("/", argv, environ);
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 127), "the good execve after four failing ones failed too");
    CHECK_EXITED(st, 42);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * What survives exec, what does not.
 * ------------------------------------------------------------------------- */

/* Close-on-exec: O_CLOEXEC, pipe2(O_CLOEXEC), fcntl(F_SETFD, FD_CLOEXEC) and
 * dup3(O_CLOEXEC) descriptors are closed; plain ones, and dup() of a
 * close-on-exec one (dup never copies the flag), stay open. */
static const char *exec_cloexec(void)
{
    FIND_SELF();
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        int a = open(self, O_RDONLY | O_CLOEXEC);
        int b = open(self, O_RDONLY);
        int p[2];
        if (a < 0 || b < 0 || pipe2(p, O_CLOEXEC) != 0)
            _exit(2);
        int c = dup(b);
        if (c < 0 || fcntl(c, F_SETFD, FD_CLOEXEC) != 0)
            _exit(3);
        int d = dup3(b, 60, O_CLOEXEC);
        int e = dup(a); /* no FD_CLOEXEC on the copy */
        if (d != 60 || e < 0)
            _exit(4);
        char sa[12], sb[12], sc[12], sd[12], se[12], sp0[12], sp1[12];
        snprintf(sa, sizeof(sa), "%d", a);
        snprintf(sb, sizeof(sb), "%d", b);
        snprintf(sc, sizeof(sc), "%d", c);
        snprintf(sd, sizeof(sd), "%d", d);
        snprintf(se, sizeof(se), "%d", e);
        snprintf(sp0, sizeof(sp0), "%d", p[0]);
        snprintf(sp1, sizeof(sp1), "%d", p[1]);
        char *argv[] = {(char *)self, "@fds", sa, sc, sd, sp0, sp1, "--", sb, se, NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) >= 2 && WEXITSTATUS(st) <= 4),
          "setting up the descriptors failed in the child (step %d)", WEXITSTATUS(st));
    CHECK_IMAGE(st);
    return PASS;
}

/* A kept descriptor still works in the new image. */
static const char *exec_fd_kept_usable(void)
{
    FIND_SELF();
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        int fd = open(self, O_RDONLY);
        if (fd < 0)
            _exit(2);
        char s[12];
        snprintf(s, sizeof(s), "%d", fd);
        char *argv[] = {(char *)self, "@fdread", s, NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK_IMAGE(st);
    return PASS;
}

static void nop_handler(int sig) { (void)sig; }

/* Handlers are reset to SIG_DFL, SIG_IGN stays, the mask and pending signals
 * stay, the alternate signal stack is gone. */
static const char *exec_signal_state(void)
{
    FIND_SELF();
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        static char alt[16 * 1024];
        stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = nop_handler;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGWINCH);
        if (sigaction(SIGUSR1, &sa, NULL) != 0 || signal(SIGUSR2, SIG_IGN) == SIG_ERR ||
            sigprocmask(SIG_BLOCK, &set, NULL) != 0 || sigaltstack(&ss, NULL) != 0)
            _exit(2);
        kill(getpid(), SIGWINCH); /* blocked: stays pending */
        char *argv[] = {(char *)self, "@sig", NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "setting up signals failed in the child");
    CHECK_IMAGE(st);
    return PASS;
}

/* The pid and the parent stay. */
static const char *exec_same_pid(void)
{
    FIND_SELF();
    char ppid[16];
    snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char me[16];
        snprintf(me, sizeof(me), "%d", (int)getpid());
        char *argv[] = {(char *)self, "@pid", me, ppid, NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK_IMAGE(st);
    return PASS;
}

/* The old memory is gone: a mapping made before exec is not there after,
 * and globals start from the program file again. */
static const char *exec_replaces_memory(void)
{
    FIND_SELF();
    pid_t pid = fork_child();
    CHECK(pid != -1, "fork: %s", errname(errno));
    if (pid == 0) {
        char *want = (char *)0x200000000000UL;
        char *p = mmap(want, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                       -1, 0);
        if (p != want)
            _exit(2);
        memset(p, 0x77, 16 * PAGE_SIZE);
        image_marker = 99;
        char a[32];
        snprintf(a, sizeof(a), "%p", (void *)(p + 5 * PAGE_SIZE));
        char *argv[] = {(char *)self, "@mem", a, NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 2), "mmap(MAP_FIXED_NOREPLACE) at 0x200000000000 failed in the child");
    CHECK_IMAGE(st);
    return PASS;
}

/* vfork + execve (what shells and posix_spawn do): the parent waits until
 * the child has exec'ed, and its memory is untouched. */
static const char *exec_vfork_exec(void)
{
    FIND_SELF();
    volatile long canary = 0x5eed;
    char *argv[] = {(char *)self, "@exit", "7", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve(self, argv, environ);
        _exit(127);
    }
    CHECK(pid != -1, "vfork: %s", errname(errno));
    int st = wait_for(pid);
    CHECK_EXITED(st, 7);
    CHECK(canary == 0x5eed, "the parent's stack changed across vfork+exec");
    return PASS;
}

/* ---------------------------------------------------------------------------
 * /proc/self/exe.
 * ------------------------------------------------------------------------- */

/* readlink("/proc/self/exe") is an absolute path naming this program: the
 * same file as the one we were started from. Like any readlink, it is not
 * NUL-terminated and is cut to the buffer size. */
static const char *exec_readlink_self_exe(void)
{
    char buf[PATH_MAX + 1], small[4];
    const char *base0 = strrchr(test_argv0, '/');
    base0 = base0 ? base0 + 1 : test_argv0;

    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    CHECK(n > 0, "readlink(\"/proc/self/exe\"): %s", errname(errno));
    buf[n] = '\0';
    CHECK(buf[0] == '/', "/proc/self/exe -> \"%s\": not an absolute path", buf);
    const char *b = strrchr(buf, '/') + 1;
    CHECK(strcmp(b, base0) == 0, "/proc/self/exe -> \"%s\", expected a path ending in /%s", buf, base0);

    struct stat s1, s2;
    CHECK(stat(buf, &s1) == 0, "stat(\"%s\"): %s", buf, errname(errno));
    CHECK_OK(stat("/proc/self/exe", &s2));
    CHECK(s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev, "/proc/self/exe and \"%s\" are different files", buf);

    memset(small, '#', sizeof(small));
    n = readlink("/proc/self/exe", small, 3);
    CHECK(n == 3, "readlink(\"/proc/self/exe\", buf, 3) returned %ld (expected 3: the path cut short)", (long)n);
    CHECK(memcmp(small, buf, 3) == 0 && small[3] == '#', "readlink with a 3-byte buffer wrote the wrong bytes");
    return PASS;
}

/* execve("/proc/self/exe") runs this program again; argv[0] is passed as
 * given (it is just a string), and the new image's /proc/self/exe names
 * t_exec. */
static const char *exec_proc_self_exe(void)
{
    char base[PATH_MAX];
    const char *b = strrchr(test_argv0, '/');
    snprintf(base, sizeof(base), "%s", b ? b + 1 : test_argv0);

    char *argv[] = {"renamed-argv0", "@argv0", "renamed-argv0", base, NULL};
    int st = exec_in_child("/proc/self/exe", argv, environ);
    CHECK(!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127), "execve(\"/proc/self/exe\") failed");
    CHECK_IMAGE(st);
    return PASS;
}

/* ---------------------------------------------------------------------------
 * No leaks: 50 execs in a row.
 * ------------------------------------------------------------------------- */

#define LEAK_SLACK (256 * KiB)
#define LEAK_SLACK_LINUX (8 * MiB) /* per-CPU page lists, see t_proc.c */

static const char *exec_chain_no_leak(void)
{
    const long slack = on_pagewise() ? LEAK_SLACK : LEAK_SLACK_LINUX;
    long long lost = 0;

    FIND_SELF();
    for (int round = 0; round < 3; round++) {
        int st = exec_self("@chain", "3", NULL); /* warm-up */
        CHECK_IMAGE(st);
        long long free0 = freeram();
        st = exec_self("@chain", "50", NULL);
        lost = free0 - freeram();
        CHECK_IMAGE(st);
        if (lost <= slack)
            return PASS;
    }
    return FAIL("after a process exec'ed 50 times and exited, freeram is %lld KiB lower (allowed: %ld KiB)",
                lost / KiB, slack / KiB);
}

/* The cases, in the order they run. */
/* clang-format off */
static const struct test tests[] = {
    TEST(exec_args_env_100),
    TEST(exec_enoent_caller_intact),
    TEST(exec_directory_eacces),
    TEST(exec_not_elf),
    TEST(exec_efault),
    TEST(exec_e2big),
    TEST(exec_arg_at_limit),
    TEST(exec_enametoolong),
    TEST(exec_after_failures),
    TEST(exec_cloexec),
    TEST(exec_fd_kept_usable),
    TEST(exec_signal_state),
    TEST(exec_same_pid),
    TEST(exec_replaces_memory),
    TEST(exec_vfork_exec),
    TEST(exec_readlink_self_exe),
    TEST(exec_proc_self_exe),
    TEST(exec_chain_no_leak),
};
/* clang-format on */

int main(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] == '@')
        return new_image(argc, argv);
    return run_tests(argc, argv, tests, NTESTS(tests));
}
