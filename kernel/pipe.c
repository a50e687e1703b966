/*
 * kernel/pipe.c - pipes.
 *
 *        write end                      read end
 *   write() --> [ ring buffer, 64 KiB ] --> read()
 *   sleeps while full                  sleeps while empty
 *   EPIPE + SIGPIPE if no reader        0 (end of file) if no writer
 *
 * Both ends are struct files on one anonymous inode (S_IFIFO) whose priv
 * is the struct pipe; closing the last descriptor of an end (release)
 * drops its count and wakes the other side.
 */
#include "kernel/pipe.h"

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "mm/kmalloc.h"


struct pipe {
    char *buf;
    size_t head, tail; /* head: next write, tail: next read (free-running) */
    int readers, writers;
    struct wait_queue read_wait, write_wait;
    struct inode inode;
};

static size_t used(const struct pipe *p) { return p->head - p->tail; }

static long pipe_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct pipe *p = f->inode->priv;
    if (n == 0)
        return 0;
    while (used(p) == 0) {
        if (p->writers == 0)
            return 0; /* end of file */
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (signal_pending(current))
            return -ERESTARTSYS;
        sleep_on(&p->read_wait);
    }
    size_t done = 0, want = MIN(n, used(p));
    while (done < want) {
        size_t off = p->tail % PIPE_SIZE, chunk = MIN(want - done, PIPE_SIZE - off);
        size_t got = copy_to_user_partial(ubuf + done, p->buf + off, chunk);
        p->tail += got;
        done += got;
        if (got < chunk)
            break;
    }
    wake_up(&p->write_wait);
    return done ? (long)done : -EFAULT;
}

static long pipe_write(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct pipe *p = f->inode->priv;
    size_t done = 0;
    while (done < n) {
        if (p->readers == 0) {
            signal_send_thread_info(current, SIGPIPE, SI_USER, 0, current->pid, 0); /* Linux: send_sig */
            return done ? (long)done : -EPIPE;
        }
        size_t space = PIPE_SIZE - used(p);
        /* Up to PIPE_BUF bytes go in one piece or not at all. */
        bool must_wait = n <= PIPE_BUF ? space < n : space == 0;
        if (must_wait) {
            if (f->flags & O_NONBLOCK)
                return done ? (long)done : -EAGAIN;
            if (signal_pending(current))
                return done ? (long)done : -ERESTARTSYS;
            sleep_on(&p->write_wait);
            continue;
        }
        size_t off = p->head % PIPE_SIZE, chunk = MIN(MIN(n - done, space), PIPE_SIZE - off);
        size_t got = copy_from_user_partial(p->buf + off, ubuf + done, chunk);
        p->head += got;
        done += got;
        wake_up(&p->read_wait);
        if (got < chunk)
            return done ? (long)done : -EFAULT;
    }
    return (long)done;
}

static void pipe_release(struct file *f)
{
    struct pipe *p = f->inode->priv;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        p->readers--;
    else
        p->writers--;
    wake_up(&p->read_wait);
    wake_up(&p->write_wait);
    if (p->readers == 0 && p->writers == 0) {
        kfree(p->buf);
        kfree(p);
    }
}

static long pipe_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
    (void)f, (void)cmd, (void)arg;
    return -ENOTTY;
}

/* Linux's pipe_poll: the read end is readable with data in the pipe and
 * hung up without writers; the write end is writable with room for an
 * atomic write, in error without readers. */
static unsigned pipe_poll(struct file *f)
{
    struct pipe *p = f->inode->priv;
    unsigned mask = 0;
    if ((f->flags & O_ACCMODE) != O_WRONLY) {
        if (used(p))
            mask |= POLLIN | POLLRDNORM;
        if (!p->writers)
            mask |= POLLHUP;
    }
    if ((f->flags & O_ACCMODE) != O_RDONLY) {
        if (PIPE_SIZE - used(p) >= PIPE_BUF)
            mask |= POLLOUT | POLLWRNORM;
        if (!p->readers)
            mask |= POLLERR;
    }
    return mask;
}

static const struct file_ops pipe_ops = {
    .read = pipe_read, .write = pipe_write, .ioctl = pipe_ioctl, .release = pipe_release, .poll = pipe_poll};

int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->buf = kmalloc(PIPE_SIZE);
    *rd = p->buf ? file_open(&p->inode, O_RDONLY | (flags & O_NONBLOCK), "pipe:") : NULL;
    *wr = *rd ? file_open(&p->inode, O_WRONLY | (flags & O_NONBLOCK), "pipe:") : NULL;
    if (!*wr) {
        if (*rd)
            kfree(*rd);
        kfree(p->buf);
        kfree(p);
        return -ENOMEM;
    }
    static uint64_t pipe_ino = 1u << 20;
    p->inode.ino = pipe_ino++;
    p->inode.mode = S_IFIFO | 0600;
    p->inode.ops = &pipe_ops;
    p->inode.priv = p;
    list_init(&p->inode.children);
    p->readers = p->writers = 1;
    wait_queue_init(&p->read_wait);
    wait_queue_init(&p->write_wait);
    return 0;
}
