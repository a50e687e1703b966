/*
 * kernel/list.h - intrusive doubly linked lists, as in Linux: the node
 * lives inside the object, container_of() gets the object back.
 */
#ifndef PAGEWISE_KERNEL_LIST_H
#define PAGEWISE_KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
    struct list_head *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) list_entry((head)->prev, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* A list head defined and initialised at once (a static list). */
#define LIST_HEAD(name) struct list_head name = {&(name), &(name)}

static inline void list_init(struct list_head *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list_insert_between(struct list_head *n, struct list_head *prev, struct list_head *next)
{
    next->prev = n;
    n->next = next;
    n->prev = prev;
    prev->next = n;
}
/* Add at the front (stack order) / at the back (queue order). */
static inline void list_add(struct list_head *n, struct list_head *head) { list_insert_between(n, head, head->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
    list_insert_between(n, head->prev, head);
}

static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

/* Put n where old is in its list; old leaves it. */
static inline void list_replace(struct list_head *old, struct list_head *n)
{
    list_insert_between(n, old->prev, old->next);
    old->next = old->prev = NULL;
}

#endif
