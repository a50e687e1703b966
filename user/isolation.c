/*
 * user/isolation.c - demo: one address space for all, or one per process.
 *
 *   isolation
 *
 * Early personal computers (MS-DOS, Mac OS before X, many small systems
 * without an MMU today) had a single address space: every program and the
 * system itself lived at different places of one set of addresses. An
 * address meant the same byte for everyone, so a program with a bad
 * pointer could overwrite another program, or the system:
 *
 *     one set of addresses              one per process (page tables)
 *     +------------------+              process A         process B
 *     | system           | <-- a bad    +----------+      +----------+
 *     +------------------+   pointer    | kernel   |      | kernel   |  same frames,
 *     | program A        |   of B can   | (U/S=0)  |      | (U/S=0)  |  supervisor only
 *     +------------------+   land here  +----------+      +----------+
 *     | program B        |              | A's data |      | B's data |  same addresses,
 *     +------------------+              +----------+      +----------+  different frames
 *
 * With virtual memory each process has its own page tables (its own PML4,
 * loaded in CR3 when it runs). The same virtual address leads to different
 * physical frames in different processes, and an address that is not in a
 * process's tables simply does not exist for it. The kernel is mapped in
 * the upper half of every process's tables, but with the U/S bit clear:
 * a user-mode access faults, and the kernel kills the process.
 *
 * First the old way, simulated: two "programs" share one region of memory
 * at the same addresses (MAP_SHARED), and B's buffer overrun silently
 * destroys A's data. Then the same bug with an address space each: B's
 * writes land in its own copy, the overrun hits an unmapped page, SIGSEGV
 * kills B alone, and A's data is intact.
 *
 * Then the demo forks two children that map a page at the SAME address, write
 * different text there, wait until both have written, and read their own
 * text back. /proc/self/pagemap shows the two frames (PFNs) are different
 * (Linux shows PFNs to root only: "PFN hidden (not root?)"). Then two more
 * children read kernel addresses and die of SIGSEGV.
 *
 * Kernel code: mm/mm.c (an mm and its PML4 per process, mm_switch),
 * kernel/sched.c (the CR3 write at a switch), mm/paging.c
 * (paging_create_pml4: the kernel half shared by every PML4), mm/fault.c
 * (handle_mm_fault: "user access to kernel address"), mm/memlayout.h.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1) /* bits 0-54 */

/* The address both children use: far from our program (0x400000), our
 * heap and the mmap area (0x7f...), so it is free in both processes. */
#define SHARED_VA 0x200000000UL

/* Kernel addresses (mm/memlayout.h; Linux uses the same map, give or take
 * its randomisation). The direct map is present in our page tables: it is
 * the U/S bit that stops us, not a missing entry. */
#define DIRECT_MAP_1M 0xffff888000100000UL /* PAGE_OFFSET + 1 MiB: physical RAM */
#define KERNEL_IMAGE 0xffffffff80000000UL  /* KERNEL_VIRT_BASE: the kernel image area */

/* What a child sends back to the parent. */
struct report {
    long long pfn; /* -1 not present, 0 hidden */
    int own_text;  /* 1 if it read back what it wrote */
};

/* The frame behind addr from /proc/self/pagemap: PFN, 0 hidden, -1 absent. */
static long long pfn_of(const void *addr)
{
    uint64_t entry = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t offset = (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry));
    ssize_t n = fd < 0 ? -1 : pread(fd, &entry, sizeof(entry), offset);

    if (fd >= 0)
        close(fd);
    if (n != sizeof(entry) || !(entry & PM_PRESENT))
        return -1;
    return (long long)(entry & PM_PFN_MASK);
}

static const char *pfn_string(long long pfn)
{
    static char buf[64];
    if (pfn < 0)
        return "not present";
    if (pfn == 0)
        return "PFN hidden (not root?)";
    snprintf(buf, sizeof(buf), "PFN 0x%llx", pfn);
    return buf;
}

/* One child: map the page at SHARED_VA, write its text, say so on `ready`,
 * wait for a byte on `go`, read back, report on `ready`, and stay alive
 * (its frame stays allocated) until `go` reaches end of file. */
static void writer_child(const char *name, int ready, int go)
{
    char text[64], c;
    struct report r = {-1, 0};

    snprintf(text, sizeof(text), "written by child %s (pid %d)", name, (int)getpid());
    char *page = mmap((void *)SHARED_VA, PAGE_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page != (char *)SHARED_VA) { /* taken, or an old kernel ignoring NOREPLACE */
        printf("  child %s: mmap at %#lx failed\n", name, SHARED_VA);
        _exit(1);
    }
    strcpy(page, text);
    if (write(ready, "w", 1) != 1 || read(go, &c, 1) != 1)
        _exit(1);
    r.own_text = strcmp(page, text) == 0;
    r.pfn = pfn_of(page);
    printf("  child %s (pid %d): %#lx holds \"%s\" -> %s\n", name, (int)getpid(), SHARED_VA, page, pfn_string(r.pfn));
    fflush(stdout);
    if (write(ready, &r, sizeof(r)) != sizeof(r))
        _exit(1);
    while (read(go, &c, 1) > 0) /* until the parent closes go */
        ;
    _exit(r.own_text ? 0 : 1);
}

struct child {
    const char *name;
    pid_t pid;
    int ready, go; /* the parent's ends */
    struct report r;
};

/* Fork ch; `other` (or NULL) is an earlier child, whose pipe ends this
 * one must not keep open (else that child would never see end of file). */
static int start_child(struct child *ch, const struct child *other)
{
    int ready[2], go[2];

    if (pipe(ready) || pipe(go))
        return -1;
    fflush(stdout); /* the child must not inherit unprinted output */
    ch->pid = fork();
    if (ch->pid == 0) {
        close(ready[0]);
        close(go[1]);
        if (other) {
            close(other->ready);
            close(other->go);
        }
        writer_child(ch->name, ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    ch->ready = ready[0];
    ch->go = go[1];
    return ch->pid < 0 ? -1 : 0;
}

/* Let ch read back and report; 0 if its report arrived. */
static int release(struct child *ch)
{
    return write(ch->go, "g", 1) == 1 && read(ch->ready, &ch->r, sizeof(ch->r)) == sizeof(ch->r) ? 0 : -1;
}

#define BUG_OVERRUN 64 /* how far program B's loop runs past its buffer */
#define A_TEXT "program A: balance 100"

/* Program B's bug: it fills its one-page buffer, and 64 bytes more. */
static void program_b_bug(char *buf)
{
    for (size_t i = 0; i < PAGE_SIZE + BUG_OVERRUN; i++)
        buf[i] = 'B';
}

/* Step 0: one address space for two programs, as before the MMU, shown
 * with a MAP_SHARED region that both processes see at the same address
 * with nothing between them: B's buffer is the page just below A's data.
 * Returns 1 if B overwrote A (the lesson). */
static int single_space_step(void)
{
    printf("0. One address space for two programs (simulated: a MAP_SHARED region\n"
           "   that both see at the same address, nothing between them).\n"
           "   Program B's buffer is the page just below program A's data, and B has\n"
           "   a bug: its loop writes %d bytes past the end of its buffer.\n",
           BUG_OVERRUN);
    char *mem = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 0;
    }
    char *a_data = mem + PAGE_SIZE;
    strcpy(a_data, A_TEXT);
    printf("   A's data at %p: \"%s\"\n", (void *)a_data, a_data);
    pid_t b = fork();
    if (b == 0) {
        program_b_bug(mem);
        _exit(0);
    }
    int st = 0;
    waitpid(b, &st, 0);
    int hit = strcmp(a_data, A_TEXT) != 0;
    printf("   B ran and exited normally (%s). A's data now: \"%.30s%s\"\n", WIFEXITED(st) ? "status 0" : "killed",
           a_data, strlen(a_data) > 30 ? "..." : "");
    printf("   %s\n\n", hit ? "A's data is gone, and nobody was told: one program's bug is another's\n"
                              "   corruption. (On MS-DOS it could as well have been the system's.)"
                            : "A's data survived (unexpected here)");
    munmap(mem, 2 * PAGE_SIZE);
    return hit;
}

/* Step 0b: the same bug with an address space each. B, a fork, has its
 * own copy of A's page at the same address, and the page after its
 * buffer is not mapped at all. Returns 1 if B died and A's data stayed. */
static int own_space_step(void)
{
    printf("0b. The same two programs, an address space each (fork, private memory).\n");
    char *mem = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 0;
    }
    munmap(mem + PAGE_SIZE, PAGE_SIZE); /* nothing right after B's buffer */
    char *a_data = mem + 2 * PAGE_SIZE;
    strcpy(a_data, A_TEXT);
    pid_t b = fork();
    if (b == 0) {
        strcpy(a_data, "BBBB: B wrote at A's address"); /* its own copy: A never sees it */
        program_b_bug(mem);                              /* runs into the hole: SIGSEGV */
        _exit(0);
    }
    int st = 0;
    waitpid(b, &st, 0);
    int ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && strcmp(a_data, A_TEXT) == 0;
    printf("   B wrote at A's address %p (into its own copy), then overran its buffer\n"
           "   into an unmapped page: %s.\n"
           "   A's data: \"%s\" (%s).\n\n",
           (void *)a_data, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "it exited", a_data,
           strcmp(a_data, A_TEXT) == 0 ? "untouched" : "CHANGED");
    munmap(mem, 3 * PAGE_SIZE);
    return ok;
}

/* Step 1: two processes, one address, two frames. Returns 1 if isolated. */
static int same_address_step(void)
{
    struct child a = {.name = "A"}, b = {.name = "B"};
    char c;
    int sa = -1, sb = -1;

    printf("1. Two children each map a page at %#lx (mmap MAP_FIXED_NOREPLACE)\n"
           "   and write their own text there. Then each reads it back.\n",
           SHARED_VA);
    if (start_child(&a, NULL) || start_child(&b, &a))
        return 0;
    int ok = read(a.ready, &c, 1) == 1 && read(b.ready, &c, 1) == 1; /* both have written */
    if (ok)
        printf("   Both have written. With one address space the second text would\n"
               "   have overwritten the first; here each finds its own:\n");
    ok = ok && release(&a) == 0 && release(&b) == 0;
    close(a.go); /* both may exit now */
    close(b.go);
    waitpid(a.pid, &sa, 0);
    waitpid(b.pid, &sb, 0);
    close(a.ready);
    close(b.ready);
    ok = ok && a.r.own_text && b.r.own_text && sa == 0 && sb == 0;
    if (a.r.pfn > 0 && b.r.pfn > 0) {
        printf("   Same virtual address, %s frames: each process's page tables\n"
               "   (its own PML4, loaded in CR3 while it runs) map it its own way.\n\n",
               a.r.pfn != b.r.pfn ? "two different" : "the SAME (unexpected!)");
        ok = ok && a.r.pfn != b.r.pfn;
    } else {
        printf("   (PFNs hidden: the frames cannot be compared, the texts can.)\n\n");
    }
    return ok;
}

/* Step 2: a child reads a kernel address. Returns 1 if it died of SIGSEGV. */
static int kernel_read_step(int n, uintptr_t addr, const char *what)
{
    int status = -1;

    printf("%d. A child reads %#lx, %s.\n", n, (unsigned long)addr, what);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char v = *(volatile char *)addr;
        printf("   the child read 0x%02x: the kernel is NOT protected!\n", (unsigned char)v);
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 0;
    if (WIFSIGNALED(status))
        printf("   child %d: wait status 0x%x: killed by signal %d (%s)\n", (int)pid, status, WTERMSIG(status),
               strsignal(WTERMSIG(status)));
    else
        printf("   child %d: wait status 0x%x: exited with %d\n", (int)pid, status, WEXITSTATUS(status));
    printf("   The kernel printed the reason on its console, one line: \"segfault\n"
           "   at %#lx ...: user access to kernel address -> SIGSEGV\"\n"
           "   (Linux logs a similar \"segfault at\" line in dmesg).\n\n",
           (unsigned long)addr);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("isolation: a single address space vs virtual memory.\n\n"
           "  Single address space (MS-DOS,      Virtual memory (Pagewise, Linux):\n"
           "  classic Mac OS, MMU-less systems):  a page table per process\n"
           "  +------------+                      A: 0x200000000 -> PML4 A -> frame X\n"
           "  | system     | <- any program       B: 0x200000000 -> PML4 B -> frame Y\n"
           "  | program A  |    can write         kernel: in every PML4, upper half,\n"
           "  | program B  |    anywhere            U/S = 0: user access faults\n"
           "  +------------+\n\n");
    int scribbled = single_space_step();
    int contained = own_space_step();
    int isolated = same_address_step();
    int killed = kernel_read_step(2, DIRECT_MAP_1M,
                                  "the direct map of RAM (physical 1 MiB).\n"
                                  "   On Pagewise it is present in our page tables, but supervisor-only");
    killed += kernel_read_step(3, KERNEL_IMAGE,
                               "where the kernel image area starts.\n"
                               "   Mapped or not, a user access to the kernel half is refused alike");
    printf("Summary: in one shared address space B's bug %s A's data; with an address\n"
           "space each it %s;\n",
           scribbled ? "destroyed" : "did NOT destroy (unexpected)",
           contained ? "killed only B" : "was NOT contained (see above)");
    printf("%s;\n%d of 2 kernel reads killed the reader with SIGSEGV%s.\n"
           "Each process sees only its own memory and cannot touch the kernel's:\n"
           "the page tables, not the programs' good manners, keep them apart.\n",
           isolated ? "same address, own data (and own frame) in each process"
                    : "the two processes were NOT isolated (see above)",
           killed, killed == 2 ? "" : " (EXPECTED 2)");
    return scribbled && contained && isolated && killed == 2 ? 0 : 1;
}
