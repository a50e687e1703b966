/*
 * kernel/dev.c - character devices.
 *
 * The console is the serial line: writes go out through console_write;
 * reads sleep until the receive interrupt brings bytes (drivers/serial.c
 * fills a ring buffer and calls console_input_ready). Line editing and
 * signals on ^C come with the TTY work of the userland issue.
 */
#include "kernel/dev.h"

#include "drivers/console.h"
#include "drivers/serial.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "kernel/x86.h"

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define CONSOLE_ROWS 24
#define CONSOLE_COLS 80
#define IO_CHUNK 256
#define NCCS 19

/* struct termios as the kernel's ioctl sees it (asm-generic/termbits.h). */
struct kernel_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[NCCS];
};

static struct {
    struct wait_queue readers;
    struct kernel_termios termios;
} console = {
    .termios = {.c_iflag = 0x500 /* ICRNL|IXON */, .c_oflag = 0x5 /* OPOST|ONLCR */,
                .c_cflag = 0xbf /* B38400|CS8|CREAD */, .c_lflag = 0x8a3b /* ISIG|ICANON|ECHO... */},
};

void console_input_ready(void) { wake_up(&console.readers); }

static long console_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    char buf[IO_CHUNK];
    size_t got = 0;
    bool irqs = irq_save();
    while (n > 0 && got == 0) {
        while (got < MIN(n, sizeof(buf)) && serial_getc(&buf[got]))
            got++;
        if (got == 0) {
            if (current->sig_pending & ~current->sig_blocked) {
                irq_restore(irqs);
                return -EINTR;
            }
            sleep_on(&console.readers);
        }
    }
    irq_restore(irqs);
    for (size_t i = 0; i < got; i++)
        if (buf[i] == '\r')
            buf[i] = '\n'; /* ICRNL: the terminal sends CR for Enter */
    return copy_to_user(ubuf, buf, got) ? -EFAULT : (long)got;
}

static long console_write_op(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    char buf[IO_CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(buf));
        size_t got = copy_from_user_partial(buf, ubuf + done, chunk);
        console_write(buf, got);
        done += got;
        if (got < chunk)
            return done ? (long)done : -EFAULT;
    }
    return (long)done;
}

static long console_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
    (void)f;
    switch (cmd) {
    case TIOCGWINSZ: {
        uint16_t ws[4] = {CONSOLE_ROWS, CONSOLE_COLS, 0, 0};
        return copy_to_user((void *)arg, ws, sizeof(ws)) ? -EFAULT : 0;
    }
    case TIOCSWINSZ: return 0;
    case TCGETS: return copy_to_user((void *)arg, &console.termios, sizeof(console.termios)) ? -EFAULT : 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return copy_from_user(&console.termios, (void *)arg, sizeof(console.termios)) ? -EFAULT : 0;
    case TIOCGPGRP: {
        int pgrp = current->pid;
        return copy_to_user((void *)arg, &pgrp, sizeof(pgrp)) ? -EFAULT : 0;
    }
    case TIOCSPGRP: return 0;
    default: return -ENOTTY;
    }
}

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

static const struct file_ops console_ops = {.read = console_read, .write = console_write_op, .ioctl = console_ioctl};
static const struct file_ops null_ops = {.read = null_read, .write = null_write};
static const struct file_ops zero_ops = {.read = zero_read, .write = null_write};

#define DEV(major, minor) ((major) << 8 | (minor))

void dev_init(void)
{
    wait_queue_init(&console.readers);
    serial_set_rx_notify(console_input_ready);
    vfs_add_node("/dev/console", S_IFCHR | 0620, &console_ops)->rdev = DEV(5, 1);
    vfs_add_node("/dev/tty", S_IFCHR | 0666, &console_ops)->rdev = DEV(5, 0);
    vfs_add_node("/dev/null", S_IFCHR | 0666, &null_ops)->rdev = DEV(1, 3);
    vfs_add_node("/dev/zero", S_IFCHR | 0666, &zero_ops)->rdev = DEV(1, 5);
}
