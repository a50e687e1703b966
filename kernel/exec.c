/*
 * kernel/exec.c - the ELF loader and the initial user stack.
 *
 * An ELF64 executable (System V gABI, "ELF-64 Object File Format"):
 *   ELF header: e_ident "\x7fELF", class 64, e_type ET_EXEC, e_machine
 *               x86-64, e_entry, e_phoff/e_phnum (the program headers)
 *   PT_LOAD:    map file [p_offset, p_offset + p_filesz) at p_vaddr, then
 *               zeroes up to p_memsz (.bss), with p_flags R/W/X
 * Nothing is copied here: each PT_LOAD becomes a VMA backed by the file's
 * bytes in the initrd, and mm/fault.c loads a page when it is touched.
 *
 * The stack a new program finds (System V x86-64 ABI §3.4.1), top down:
 *   strings: argv[], envp[], the program path, 16 random bytes, "x86_64"
 *   (padding to 16 bytes)
 *   auxv pairs ... AT_NULL          <- what the C library reads at start
 *   NULL, envp pointers
 *   NULL, argv pointers
 *   argc                            <- RSP, 16-byte aligned
 */
#include "kernel/exec.h"

#include "kernel/compiler.h"
#include "kernel/cpu.h"
#include "kernel/cred.h"
#include "kernel/errno.h"
#include "kernel/gdt.h"
#include "kernel/printk.h"
#include "kernel/random.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"
#include "mm/memlayout.h"
#include "mm/mm.h"
#include "mm/mmap.h"

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4
#define ELFCLASS64 2
#define ELFDATA2LSB 1

enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8,
       AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16,
       AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51 };
#define NR_AUXV 20
#define USER_RFLAGS (RFLAGS_IF | RFLAGS_RESERVED1)

struct elf64_ehdr {
    uint8_t e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct loaded_image {
    uint64_t entry, phdr_addr, phnum, brk;
};

static int elf_check(const struct inode *ino, const struct elf64_ehdr **out, const char *path)
{
    const struct elf64_ehdr *eh = (const void *)ino->data;
    if (ino->size < sizeof(*eh) || memcmp(eh->e_ident, "\x7f" "ELF", 4) != 0 || eh->e_ident[4] != ELFCLASS64 ||
        eh->e_ident[5] != ELFDATA2LSB || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(struct elf64_phdr) ||
        eh->e_phoff > ino->size || eh->e_phnum * sizeof(struct elf64_phdr) > ino->size - eh->e_phoff)
        return -ENOEXEC;
    const struct elf64_phdr *ph = (const void *)(ino->data + eh->e_phoff);
    bool interp = false;
    for (int i = 0; i < eh->e_phnum; i++)
        interp |= ph[i].p_type == PT_INTERP;
    if (eh->e_type == ET_DYN || interp) {
        pr_warn("exec: %s: dynamic/PIE executables are not supported; build with musl-gcc -static\n", path);
        return -ENOEXEC;
    }
    if (eh->e_type != ET_EXEC)
        return -ENOEXEC;
    *out = eh;
    return 0;
}

static unsigned prot_of(uint32_t p_flags)
{
    return (p_flags & ELF_PF_R ? VM_READ : 0) | (p_flags & ELF_PF_W ? VM_WRITE : 0) | (p_flags & ELF_PF_X ? VM_EXEC : 0);
}

/* One VMA per PT_LOAD, backed by the file. */
static int load_segments(struct mm *mm, const struct inode *ino, const struct elf64_ehdr *eh, const char *name,
                         struct loaded_image *img)
{
    const struct elf64_phdr *ph = (const void *)(ino->data + eh->e_phoff);
    img->entry = eh->e_entry;
    img->phnum = eh->e_phnum;
    for (int i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint64_t start = ALIGN_DOWN(p->p_vaddr, PAGE_SIZE), end = ALIGN_UP(p->p_vaddr + p->p_memsz, PAGE_SIZE);
        if (p->p_filesz > p->p_memsz || p->p_offset > ino->size || p->p_filesz > ino->size - p->p_offset ||
            (p->p_vaddr % PAGE_SIZE) != (p->p_offset % PAGE_SIZE) || start < PAGE_SIZE || end > USER_STACK_TOP ||
            end < start || vma_overlaps(mm, start, end))
            return -ENOEXEC;
        struct vma *v = mmap_region(mm, start, end, prot_of(p->p_flags), 0, VMA_FILE, name); /* .data: charged */
        if (!v)
            return -ENOMEM;
        v->file_data = ino->data;
        v->file_off = p->p_offset - (p->p_vaddr - start);
        v->file_end = p->p_offset + p->p_filesz;
        if (eh->e_phoff >= p->p_offset && eh->e_phoff < p->p_offset + p->p_filesz)
            img->phdr_addr = p->p_vaddr + (eh->e_phoff - p->p_offset);
        img->brk = MAX(img->brk, p->p_vaddr + p->p_memsz);
    }
    return img->entry ? 0 : -ENOEXEC;
}

/* Build the initial stack in mm (not the current address space: written
 * through mm_write). The auxiliary vector tells libc who runs it (c): its
 * ids, and AT_SECURE when the effective ids differ from the real ones
 * (Linux's secureexec; libc then distrusts the environment). Returns the
 * initial RSP or 0 on failure. */
static uint64_t build_stack(struct mm *mm, char *const argv[], char *const envp[], const char *execfn,
                            const struct loaded_image *img, const struct cred *c)
{
    uint64_t sp = USER_STACK_TOP, argc = 0, envc = 0;
    while (argv[argc])
        argc++;
    while (envp[envc])
        envc++;
    uint64_t argp[argc + 1], envpp[envc + 1];

#define PUSH_BYTES(src, n)                                  \
    do {                                                    \
        sp -= (n);                                          \
        if (mm_write(mm, sp, (src), (n)))                   \
            return 0;                                       \
    } while (0)
    PUSH_BYTES(execfn, strlen(execfn) + 1);
    uint64_t execfn_addr = sp;
    for (uint64_t i = envc; i-- > 0;) {
        PUSH_BYTES(envp[i], strlen(envp[i]) + 1);
        envpp[i] = sp;
    }
    uint64_t args_end = sp;
    for (uint64_t i = argc; i-- > 0;) {
        PUSH_BYTES(argv[i], strlen(argv[i]) + 1);
        argp[i] = sp;
    }
    mm->arg_start = sp; /* argv[0] .. argv[argc-1], NUL-separated */
    mm->arg_end = args_end;
    uint8_t rnd[16];
    random_bytes(rnd, sizeof(rnd));
    PUSH_BYTES(rnd, sizeof(rnd));
    uint64_t random_addr = sp;
    PUSH_BYTES("x86_64", 7);
    uint64_t platform_addr = sp;
    argp[argc] = envpp[envc] = 0;

    uint64_t auxv[NR_AUXV * 2] = {
        AT_PHDR, img->phdr_addr, AT_PHENT, sizeof(struct elf64_phdr), AT_PHNUM, img->phnum,
        AT_PAGESZ, PAGE_SIZE, AT_BASE, 0, AT_FLAGS, 0, AT_ENTRY, img->entry,
        AT_UID, c->uid, AT_EUID, c->euid, AT_GID, c->gid, AT_EGID, c->egid,
        AT_SECURE, c->euid != c->uid || c->egid != c->gid,
        AT_HWCAP, cpuid(1, 0).edx, AT_HWCAP2, 0, AT_CLKTCK, 100, AT_RANDOM, random_addr,
        AT_PLATFORM, platform_addr, AT_EXECFN, execfn_addr, AT_MINSIGSTKSZ, signal_frame_size(), AT_NULL, 0,
    };
    /* Align so that RSP (at argc) ends 16-byte aligned. */
    uint64_t words = 1 + (argc + 1) + (envc + 1) + NR_AUXV * 2;
    sp = ALIGN_DOWN(sp - words * 8, 16) + words * 8;
    PUSH_BYTES(auxv, sizeof(auxv));
    PUSH_BYTES(envpp, (envc + 1) * 8);
    PUSH_BYTES(argp, (argc + 1) * 8);
    PUSH_BYTES(&argc, 8);
#undef PUSH_BYTES
    return sp;
}

static void start_thread(struct task *t, uint64_t entry, uint64_t sp)
{
    struct trap_frame *tf = t->tf;
    memset(tf, 0, sizeof(*tf));
    tf->rip = entry;
    tf->rsp = sp;
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    tf->rflags = USER_RFLAGS;
}

static const char *basename(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' && p[1])
            b = p + 1;
    return b;
}

int exec_program(struct task *t, const char *path, char *const argv[], char *const envp[])
{
    struct inode *ino;
    int r = vfs_lookup(t->group->cwd, path, true, &ino);
    if (r)
        return r;
    if (!S_ISREG(ino->mode) || vfs_permission(ino, MAY_EXEC))
        return -EACCES; /* a directory, a device; or no x bit for us (root: for anyone) */
    const struct elf64_ehdr *eh;
    if ((r = elf_check(ino, &eh, path)))
        return r;
    struct mm *mm = mm_create();
    if (!mm)
        return -ENOMEM;
    struct loaded_image img = {0};
    char abs_path[VMA_NAME_MAX];
    vfs_path_of(ino, abs_path, sizeof(abs_path));
    r = load_segments(mm, ino, eh, abs_path, &img);
    mm->start_brk = mm->brk = ALIGN_UP(img.brk, PAGE_SIZE); /* Linux: the heap starts on the next page */
    mm->stack_top = USER_STACK_TOP;
    struct vma *stack = r ? NULL : mmap_region(mm, USER_STACK_TOP - USER_STACK_INITIAL, USER_STACK_TOP,
                                               VM_READ | VM_WRITE, VM_GROWSDOWN, VMA_ANON, "[stack]");
    uint64_t sp = stack ? build_stack(mm, argv, envp, path, &img, &t->cred) : 0;
    if (!sp) {
        mm_destroy(mm);
        return r ? r : -ENOMEM;
    }
    /* Point of no return: the new image is ready. The other threads go
     * first (they run in the old image), then the old image. */
    if (t == current && (r = thread_group_dethread())) {
        mm_destroy(mm);
        return r;
    }
    struct mm *old = t->mm;
    t->mm = mm;
    if (t == current)
        mm_switch(mm);
    if (old)
        mm_put(old); /* execve ended the other threads first: the last user */
    cred_exec(t, vfs_permission(ino, MAY_READ) == 0); /* saved ids, dumpable */
    strlcpy(t->comm, basename(path), sizeof(t->comm));
    vfs_path_of(ino, t->exe, sizeof(t->exe));
    start_thread(t, img.entry, sp);
    t->frame_rewritten = true;
    return 0;
}
