/*
 * kernel/cred.h - who a process is: user and group ids, as Linux keeps
 * them (include/linux/cred.h), and the one privilege test.
 *
 *   uid   real       who started it; who may signal it
 *   euid  effective  what the permission checks use
 *   suid  saved      an id it may switch back to (set-user-ID programs)
 *   fsuid file       what file and /proc access checks use (follows euid)
 *
 * and the same four for groups, plus supplementary groups. Root is euid 0:
 * Pagewise has no separate capabilities; capable() stands for every
 * CAP_* check Linux makes (CAP_SETUID, CAP_IPC_OWNER, CAP_SYS_ADMIN ...).
 */
#ifndef PAGEWISE_KERNEL_CRED_H
#define PAGEWISE_KERNEL_CRED_H

#include <stdbool.h>
#include <stdint.h>

#define NGROUPS_MAX_K 32 /* supplementary groups per process (Linux: 65536) */
#define INVALID_ID 0xffffffffu /* (uid_t)-1: "leave it" in setre*id / setres*id */

struct cred {
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    uint32_t ngroups;
    uint32_t groups[NGROUPS_MAX_K];
    bool dumpable; /* prctl(PR_SET_DUMPABLE); cleared when an id changes */
};

struct task;

/* Is the current process privileged (euid 0)? */
bool capable(void);
/* Does the current process pass file permission checks as root? Linux
 * gives the file capabilities (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, ...)
 * to fsuid 0 and drops them when fsuid leaves 0; so does this. */
bool capable_fs(void);
/* The root credentials init starts with. */
void cred_init_root(struct cred *c);
/* Is gid the process's effective group or one of its supplementary ones?
 * (Linux's in_egroup_p.) */
bool cred_in_group(const struct cred *c, uint32_t gid);
/* Is gid the process's file-system group or one of its supplementary
 * ones? (Linux's in_group_p: what file and SysV IPC checks use.) */
bool cred_in_fsgroup(const struct cred *c, uint32_t gid);
/* execve's part (Linux's cap_bprm_creds_from_file and begin_new_exec): the
 * saved and fs ids become the effective ones; the process is dumpable
 * again if its real and effective ids agree and it could read the program
 * file (readable), else not. No set-user-ID bits: ids otherwise stay. */
void cred_exec(struct task *t, bool readable);
/* May the current process read another's memory and maps (Linux:
 * ptrace_may_access with PTRACE_MODE_READ_FSCREDS)? Itself always; root
 * always; otherwise only a dumpable target whose real, effective and saved
 * uid and gid all equal the caller's fsuid and fsgid. */
bool cred_may_access(const struct task *target);

/* May the current process send sig to target (Linux's
 * check_kill_permission)? Root may; others only to a process whose real
 * or saved uid is their real or effective uid; SIGCONT also within the
 * session. */
bool cred_may_signal(const struct task *target, int sig);

#endif
