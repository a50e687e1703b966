/*
 * kernel/tty.c - the console's line discipline (Linux: drivers/tty/n_tty.c).
 *
 *   serial IRQ -> tty_receive: per byte, in order
 *       ICRNL        CR becomes NL (a terminal sends CR for Enter)
 *       ISIG         ^C -> SIGINT, ^\ -> SIGQUIT to the foreground group
 *       ICANON       edit a line: ERASE (DEL/^H) and KILL (^U) edit it,
 *                    NL or EOF (^D) completes it for read()
 *       ECHO         show what was typed ("\b \b" for an erase)
 *   read()  sleeps until a complete line (canonical) or any byte (raw)
 *   write() goes straight to the console
 *
 * termios (TCGETS/TCSETS) turns ICANON, ECHO and ISIG on and off, so a
 * program with its own line editor (busybox sh) can take raw bytes.
 */
#include "kernel/tty.h"

#include "drivers/console.h"
#include "drivers/serial.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "kernel/x86.h"

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCSCTTY 0x540e
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541b
#define CONSOLE_ROWS 24
#define CONSOLE_COLS 80
#define NCCS 19
/* termios bits (asm-generic/termbits.h) */
#define ICRNL 0000400
#define IXON 0002000
#define OPOST 0000001
#define ONLCR 0000004
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define IEXTEN 0100000
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define CS8 0000060
#define CREAD 0000200
#define B38400 0000017
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6 };
#define CTRL(c) ((c)&0x1f)
#define DEL 0x7f
#define TTY_BUF 4096 /* a power of two */
#define LINE_MAX_TTY 1024

struct kernel_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[NCCS];
};

static struct {
    struct kernel_termios termios;
    char line[LINE_MAX_TTY]; /* the line being edited (canonical mode) */
    unsigned line_len;
    char buf[TTY_BUF];       /* bytes ready for read() */
    unsigned head, tail;
    unsigned eof_marks;      /* ^D's waiting in buf, as '\0' + flag */
    unsigned lines;          /* complete lines (or EOFs) in buf */
    struct wait_queue readers;
    int fg_pgrp;
} tty;

static bool lflag(uint32_t f) { return tty.termios.c_lflag & f; }

static void echo(const char *s, size_t n)
{
    if (lflag(ECHO))
        console_write(s, n);
}

static void push(char c)
{
    if (tty.head - tty.tail < TTY_BUF)
        tty.buf[tty.head++ % TTY_BUF] = c;
}

static void receive_canonical(char c)
{
    const uint8_t *cc = tty.termios.c_cc;
    if (c == (char)cc[VERASE] || c == CTRL('H')) {
        if (tty.line_len > 0) {
            tty.line_len--;
            if (lflag(ECHOE))
                echo("\b \b", 3);
        }
    } else if (c == (char)cc[VKILL]) {
        while (tty.line_len > 0) {
            tty.line_len--;
            echo("\b \b", 3);
        }
    } else if (c == (char)cc[VEOF] || c == '\n') {
        if (c == '\n') {
            if (tty.line_len < LINE_MAX_TTY)
                tty.line[tty.line_len++] = c;
            echo("\n", 1);
        }
        for (unsigned i = 0; i < tty.line_len; i++)
            push(tty.line[i]);
        if (c != '\n' && tty.line_len == 0)
            tty.eof_marks++; /* ^D on an empty line: read() returns 0 */
        tty.line_len = 0;
        tty.lines++;
    } else if (tty.line_len < LINE_MAX_TTY - 1) {
        tty.line[tty.line_len++] = c;
        echo(&c, 1);
    }
}

/* Serial receive interrupt: run each new byte through the discipline. */
static void tty_receive(void)
{
    char c;
    while (serial_getc(&c)) {
        if (c == '\r' && (tty.termios.c_iflag & ICRNL))
            c = '\n';
        if (lflag(ISIG) && (c == (char)tty.termios.c_cc[VINTR] || c == (char)tty.termios.c_cc[VQUIT])) {
            echo(c == CTRL('C') ? "^C\n" : "^\\\n", 3);
            tty.line_len = 0;
            proc_signal_group(tty.fg_pgrp, c == (char)tty.termios.c_cc[VINTR] ? SIGINT : SIGQUIT);
            continue;
        }
        if (lflag(ICANON)) {
            receive_canonical(c);
        } else {
            push(c);
            echo(&c, 1);
        }
    }
    wake_up(&tty.readers);
}

static bool readable(void)
{
    return lflag(ICANON) ? tty.lines > 0 : tty.head != tty.tail;
}

static long tty_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    char out[LINE_MAX_TTY];
    size_t got = 0;
    bool irqs = irq_save();
    while (!readable()) {
        if (signal_pending(current)) {
            irq_restore(irqs);
            return -ERESTARTSYS;
        }
        sleep_on(&tty.readers);
    }
    if (lflag(ICANON) && tty.eof_marks && tty.head == tty.tail) {
        tty.eof_marks--; /* an empty line ended by ^D: end of file */
        tty.lines--;
    } else {
        while (got < MIN(n, sizeof(out)) && tty.tail != tty.head) {
            char c = tty.buf[tty.tail++ % TTY_BUF];
            out[got++] = c;
            if (c == '\n' && lflag(ICANON))
                break;
        }
        if (lflag(ICANON) && (got == 0 || out[got - 1] == '\n' || tty.head == tty.tail))
            tty.lines -= tty.lines > 0;
    }
    irq_restore(irqs);
    return copy_to_user(ubuf, out, got) ? -EFAULT : (long)got;
}

static long tty_write(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f, (void)pos;
    char buf[256];
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

static long tty_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
    (void)f;
    switch (cmd) {
    case TIOCGWINSZ: {
        uint16_t ws[4] = {CONSOLE_ROWS, CONSOLE_COLS, 0, 0};
        return copy_to_user((void *)arg, ws, sizeof(ws)) ? -EFAULT : 0;
    }
    case TIOCSWINSZ:
    case TIOCSCTTY: return 0;
    case TCGETS: return copy_to_user((void *)arg, &tty.termios, sizeof(tty.termios)) ? -EFAULT : 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct kernel_termios t;
        if (copy_from_user(&t, (void *)arg, sizeof(t)))
            return -EFAULT;
        bool irqs = irq_save();
        if ((t.c_lflag ^ tty.termios.c_lflag) & ICANON) { /* mode change: pending edit becomes input */
            for (unsigned i = 0; i < tty.line_len; i++)
                push(tty.line[i]);
            tty.line_len = 0;
            tty.lines = 0;
            tty.eof_marks = 0;
        }
        tty.termios = t;
        irq_restore(irqs);
        return 0;
    }
    case TIOCGPGRP: return copy_to_user((void *)arg, &tty.fg_pgrp, sizeof(int)) ? -EFAULT : 0;
    case TIOCSPGRP: {
        int pgrp;
        if (copy_from_user(&pgrp, (void *)arg, sizeof(pgrp)))
            return -EFAULT;
        tty.fg_pgrp = pgrp;
        return 0;
    }
    case FIONREAD: {
        int n = (int)(tty.head - tty.tail);
        return copy_to_user((void *)arg, &n, sizeof(n)) ? -EFAULT : 0;
    }
    default: return -ENOTTY;
    }
}

/* Readable with a line (canonical mode) or a byte waiting; always writable. */
static unsigned tty_poll(struct file *f)
{
    (void)f;
    return POLLOUT | POLLWRNORM | (readable() ? POLLIN | POLLRDNORM : 0);
}

const struct file_ops tty_ops = {.read = tty_read, .write = tty_write, .ioctl = tty_ioctl, .poll = tty_poll};

void tty_init(void)
{
    wait_queue_init(&tty.readers);
    tty.termios = (struct kernel_termios){
        .c_iflag = ICRNL | IXON,
        .c_oflag = OPOST | ONLCR,
        .c_cflag = B38400 | CS8 | CREAD,
        .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    };
    uint8_t *cc = tty.termios.c_cc;
    cc[VINTR] = CTRL('C');
    cc[VQUIT] = CTRL('\\');
    cc[VERASE] = DEL;
    cc[VKILL] = CTRL('U');
    cc[VEOF] = CTRL('D');
    cc[VMIN] = 1;
    tty.fg_pgrp = 1;
    serial_set_rx_notify(tty_receive);
}
