/*
 * kernel/dev.c - character devices.
 *
 * The console (/dev/console, /dev/tty) is the serial line with the line
 * discipline of kernel/tty.c; /dev/null and /dev/zero are here.
 */
#include "kernel/dev.h"

#include "drivers/console.h"
#include "drivers/serial.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/tty.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"

static long null_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)ubuf, (void)n, (void)pos;
    return 0;
}

static long null_write(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)ubuf, (void)pos;
    return (long)n;
}

static long zero_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    return clear_user(ubuf, n) ? -EFAULT : (long)n;
}

static const struct file_ops null_ops = {.read = null_read, .write = null_write};
static const struct file_ops zero_ops = {.read = zero_read, .write = null_write};

#define DEV(major, minor) ((major) << 8 | (minor))

void dev_init(void)
{
    tty_init();
    vfs_add_node("/dev/console", S_IFCHR | 0620, &tty_ops)->rdev = DEV(5, 1);
    vfs_add_node("/dev/tty", S_IFCHR | 0666, &tty_ops)->rdev = DEV(5, 0);
    vfs_add_node("/dev/null", S_IFCHR | 0666, &null_ops)->rdev = DEV(1, 3);
    vfs_add_node("/dev/zero", S_IFCHR | 0666, &zero_ops)->rdev = DEV(1, 5);
}
