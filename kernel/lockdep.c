/*
 * kernel/lockdep.c - the lock checker (kernel/lockdep.h).
 *
 * The graph is small and fixed: at most LOCKDEP_MAX_CLASSES classes, so
 * the edges out of class a are one bit mask, after[a], and the two call
 * sites that first showed edge a -> b are kept in a table. An acquire
 * whose edges are all known costs one bit test per lock held; only a new
 * edge searches the graph (a depth-first walk over at most 32 classes).
 *
 * Locking of the checker itself: every caller holds the big kernel lock,
 * except the spinlocks taken without it (printk's, from an AP starting or
 * a panic); those hold interrupts off, and the graph's one writer is
 * whoever adds an edge, which happens under the BKL in practice. A lost
 * edge would only make the checker see less, never a false report.
 */
#include "kernel/lockdep.h"

#include "kernel/cmdline.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"
#include "kernel/x86.h"

struct lockdep_state lockdep;

/* An edge a -> b: b was taken at taken_ip while a, taken at held_ip, was held. */
struct lock_edge {
    uintptr_t held_ip, taken_ip;
};

static struct {
    struct lock_class *classes[LOCKDEP_MAX_CLASSES + 1]; /* [id]; [0] unused */
    unsigned nr_classes;
    uint32_t after[LOCKDEP_MAX_CLASSES + 1]; /* bit b-1 of after[a]: edge a -> b */
    struct lock_edge edge[LOCKDEP_MAX_CLASSES + 1][LOCKDEP_MAX_CLASSES + 1];
    unsigned nr_edges;
    /* Where each spinlock class was first taken in an interrupt handler,
     * and first held with interrupts on (0: not yet). */
    uintptr_t in_irq_ip[LOCKDEP_MAX_CLASSES + 1], irqs_on_ip[LOCKDEP_MAX_CLASSES + 1];
} graph;

#define EDGE_BIT(id) (1u << ((id)-1))

void lockdep_init(void)
{
    lockdep.enabled = cmdline_has("lockdep");
    if (lockdep.enabled)
        pr_info("lockdep: checking the lock order (%u classes at most)\n", LOCKDEP_MAX_CLASSES);
}

/* What the caller holds: the running task's, or this CPU's before there
 * is one (early boot, an AP starting). */
static struct lockdep_held *held_now(void)
{
    struct task *t = get_current();
    return t ? &t->held_locks : &this_cpu()->boot_held;
}

/* The class's id, registering it on first use; 0 if the table is full. */
static unsigned class_id(struct lock_class *c)
{
    if (!c->id && graph.nr_classes < LOCKDEP_MAX_CLASSES) {
        c->id = ++graph.nr_classes;
        graph.classes[c->id] = c;
    } else if (!c->id) {
        pr_warn("lockdep: more than %u lock classes, %s not checked\n", LOCKDEP_MAX_CLASSES, c->name);
    }
    return c->id;
}

/* "function+0xoff" for a call site. */
static const char *site(uintptr_t ip, char *buf, size_t size)
{
    uint64_t off = 0, sym_size;
    const char *name = ksym_lookup(ip, &off, &sym_size);
    if (name)
        snprintf(buf, size, "%s+0x%lx", name, off);
    else
        snprintf(buf, size, "%#lx", ip);
    return buf;
}

/* Is `to` reachable from `from` along the edges? On success path[] holds
 * the first hop out of `from` (enough to name the other order). */
static bool reachable(unsigned from, unsigned to, uint32_t *visited, unsigned *first_hop)
{
    uint32_t next = graph.after[from];
    for (unsigned b = 1; b <= graph.nr_classes; b++) {
        if (!(next & EDGE_BIT(b)) || (*visited & EDGE_BIT(b)))
            continue;
        *visited |= EDGE_BIT(b);
        unsigned hop;
        if (b == to || reachable(b, to, visited, &hop)) {
            *first_hop = b;
            return true;
        }
    }
    return false;
}

/* Say what is wrong: panic, or in the ktests' test mode keep the text. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lockdep.last_report, sizeof(lockdep.last_report), fmt, ap);
    va_end(ap);
    lockdep.nr_reports++;
    if (!lockdep.test_mode)
        panic("lockdep: %s", lockdep.last_report);
}

/* The new edge held -> c would close a cycle if c already reaches held. */
static void add_edge(const struct held_lock *h, unsigned a, struct lock_class *c, unsigned b, uintptr_t ip)
{
    uint32_t visited = 0;
    unsigned hop = 0;
    char s1[KSYM_NAME_MAX + 24], s2[KSYM_NAME_MAX + 24], s3[KSYM_NAME_MAX + 24], s4[KSYM_NAME_MAX + 24];
    if (reachable(b, a, &visited, &hop)) {
        const struct lock_edge *e = &graph.edge[b][hop];
        report("lock order inversion: %s taken at %s while holding %s (taken at %s); the other order, %s then %s, "
               "was seen at %s (holding %s since %s)",
               c->name, site(ip, s1, sizeof(s1)), h->class->name, site(h->ip, s2, sizeof(s2)), c->name,
               graph.classes[hop]->name, site(e->taken_ip, s3, sizeof(s3)), c->name, site(e->held_ip, s4, sizeof(s4)));
        return;
    }
    graph.after[a] |= EDGE_BIT(b);
    graph.edge[a][b] = (struct lock_edge){.held_ip = h->ip, .taken_ip = ip};
    graph.nr_edges++;
}

/* Linux's irq-safety rule: a spinlock that an interrupt handler takes
 * must never be held with interrupts on, or the handler may interrupt the
 * holder on its own CPU and spin forever. Records this taking of class b
 * and reports the first class seen both ways. */
static void check_irq_usage(struct lock_class *c, unsigned b, bool in_irq, uintptr_t ip)
{
    bool irqs_on = (read_rflags() & RFLAGS_IF) != 0;
    if (in_irq && !graph.in_irq_ip[b])
        graph.in_irq_ip[b] = ip;
    else if (!in_irq && irqs_on && !graph.irqs_on_ip[b])
        graph.irqs_on_ip[b] = ip;
    else
        return; /* nothing new */
    char s1[KSYM_NAME_MAX + 24], s2[KSYM_NAME_MAX + 24];
    if (graph.in_irq_ip[b] && graph.irqs_on_ip[b])
        report("%s is taken in an interrupt handler (at %s) and held with interrupts on (at %s): the handler "
               "would spin forever on the CPU that holds it (spin_lock_irqsave there)",
               c->name, site(graph.in_irq_ip[b], s1, sizeof(s1)), site(graph.irqs_on_ip[b], s2, sizeof(s2)));
}

void lockdep_acquire(struct lock_class *c, enum lock_kind kind, uintptr_t ip)
{
    struct lockdep_held *hl = held_now();
    unsigned b = class_id(c);
    uint8_t irq = (uint8_t)this_cpu_read(irq_nesting);
    char s1[KSYM_NAME_MAX + 24], s2[KSYM_NAME_MAX + 24];
    if (kind == LOCK_SPIN && b)
        check_irq_usage(c, b, irq > 0, ip);
    for (unsigned i = 0; b && i < hl->depth; i++) {
        const struct held_lock *h = &hl->locks[i];
        if (h->irq != irq || !h->class->id)
            continue; /* another context's, or a class not checked */
        unsigned a = h->class->id;
        if (a == b) {
            report("%s taken again at %s by its holder (taken at %s): a deadlock with itself", c->name,
                   site(ip, s1, sizeof(s1)), site(h->ip, s2, sizeof(s2)));
            return;
        }
        if (!(graph.after[a] & EDGE_BIT(b)))
            add_edge(h, a, c, b, ip);
    }
    if (hl->depth == LOCKDEP_MAX_HELD) {
        report("more than %u locks held at once (taking %s at %s)", LOCKDEP_MAX_HELD, c->name,
               site(ip, s1, sizeof(s1)));
        return;
    }
    hl->locks[hl->depth++] = (struct held_lock){.class = c, .ip = ip, .kind = (uint8_t)kind, .irq = irq};
    if (kind == LOCK_SPIN)
        hl->spins++;
}

void lockdep_release(struct lock_class *c)
{
    struct lockdep_held *hl = held_now();
    for (unsigned i = hl->depth; i-- > 0;) {
        if (hl->locks[i].class != c)
            continue;
        if (hl->locks[i].kind == LOCK_SPIN)
            hl->spins--;
        memmove(&hl->locks[i], &hl->locks[i + 1], (hl->depth - i - 1) * sizeof(hl->locks[0]));
        hl->depth--;
        return;
    }
    /* Released but never recorded: taken while the checker was off
     * (ktests switch it on and off), or a real unlock of a lock not held,
     * which the lock type itself reports. */
}

/* The first spinlock in hl, for the message. */
static const struct held_lock *first_spin(const struct lockdep_held *hl)
{
    for (unsigned i = 0; i < hl->depth; i++)
        if (hl->locks[i].kind == LOCK_SPIN)
            return &hl->locks[i];
    return NULL;
}

void lockdep_might_sleep(const char *why)
{
    if (!lockdep.enabled)
        return;
    const struct lockdep_held *hl = held_now();
    const struct held_lock *h = hl->spins ? first_spin(hl) : NULL;
    char s1[KSYM_NAME_MAX + 24];
    if (h)
        report("%s with spinlock %s held (taken at %s): the CPU would switch away with interrupts off and the lock "
               "taken",
               why, h->class->name, site(h->ip, s1, sizeof(s1)));
}

void lockdep_task_exit(void)
{
    if (!lockdep.enabled)
        return;
    const struct lockdep_held *hl = held_now();
    char s1[KSYM_NAME_MAX + 24];
    if (hl->depth)
        report("task exits holding %s (taken at %s): nobody will ever release it", hl->locks[0].class->name,
               site(hl->locks[0].ip, s1, sizeof(s1)));
}

long lockdep_report(char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "lockdep %s: %u classes, %u dependencies (A -> B: B taken while A held)\n",
                                  lockdep.enabled ? "on" : "off (boot with lockdep)", graph.nr_classes, graph.nr_edges);
    char s1[KSYM_NAME_MAX + 24], s2[KSYM_NAME_MAX + 24];
    for (unsigned a = 1; a <= graph.nr_classes && len < size; a++) {
        len += (size_t)snprintf(buf + len, size - len, "%s\n", graph.classes[a]->name);
        for (unsigned b = 1; b <= graph.nr_classes && len < size; b++)
            if (graph.after[a] & EDGE_BIT(b))
                len += (size_t)snprintf(buf + len, size - len, "  -> %-20s held since %s, taken at %s\n",
                                        graph.classes[b]->name, site(graph.edge[a][b].held_ip, s1, sizeof(s1)),
                                        site(graph.edge[a][b].taken_ip, s2, sizeof(s2)));
    }
    return (long)(len < size ? len : size);
}
