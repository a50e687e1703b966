/*
 * kernel/syscall_table.h - Linux x86-64 system call numbers
 * (arch/x86/entry/syscalls/syscall_64.tbl) and the handler of each one
 * Pagewise implements. X(number, name).
 */
#define SYSCALL_LIST(X)                                                                             \
    X(0, read) X(1, write) X(2, open) X(3, close) X(4, stat) X(5, fstat) X(6, lstat) X(7, poll) X(8, lseek)   \
    X(9, mmap) X(10, mprotect) X(11, munmap) X(12, brk) X(13, rt_sigaction) X(14, rt_sigprocmask) X(15, rt_sigreturn)   \
    X(16, ioctl) X(17, pread64) X(18, pwrite64) X(19, readv) X(20, writev) X(21, access) X(22, pipe) X(24, sched_yield)         \
    X(28, madvise) X(29, shmget) X(30, shmat) X(31, shmctl) X(32, dup) X(33, dup2) X(34, pause) X(35, nanosleep) X(36, getitimer) X(37, alarm) X(38, setitimer) X(39, getpid)              \
    X(56, clone) X(57, fork) X(58, vfork) X(59, execve) X(60, exit) X(61, wait4) X(62, kill)        \
    X(63, uname) X(67, shmdt) X(72, fcntl) X(79, getcwd) X(80, chdir) X(89, readlink) X(95, umask)              \
    X(96, gettimeofday) X(97, getrlimit) X(98, getrusage) X(99, sysinfo) X(102, getuid)            \
    X(104, getgid) X(105, setuid) X(106, setgid) X(107, geteuid) X(108, getegid) X(109, setpgid) X(110, getppid) X(111, getpgrp) \
    X(112, setsid) X(113, setreuid) X(114, setregid) X(115, getgroups) X(116, setgroups) X(117, setresuid) X(118, getresuid) \
    X(119, setresgid) X(120, getresgid) X(121, getpgid) X(122, setfsuid) X(123, setfsgid) X(124, getsid) X(127, rt_sigpending) X(130, rt_sigsuspend) X(131, sigaltstack) X(157, prctl) X(158, arch_prctl) X(160, setrlimit) X(186, gettid)  \
    X(200, tkill) X(201, time) X(202, futex) X(203, sched_setaffinity) X(204, sched_getaffinity) X(217, getdents64) X(218, set_tid_address) X(228, clock_gettime)    \
    X(229, clock_getres) X(230, clock_nanosleep) X(231, exit_group) X(234, tgkill) X(257, openat)  \
    X(262, newfstatat) X(267, readlinkat) X(269, faccessat) X(273, set_robust_list) X(274, get_robust_list) X(292, dup3) X(293, pipe2) X(302, prlimit64) X(309, getcpu)         \
    X(318, getrandom) X(334, rseq) X(439, faccessat2)

#define NR_SYSCALLS 512
