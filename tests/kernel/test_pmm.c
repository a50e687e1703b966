/*
 * tests/kernel/test_pmm.c - the buddy allocator (mm/pmm.c).
 * docs/frames.md explains what each test shows.
 */
#include "kernel/string.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/ktest_util.h"

/* Every free frame can be allocated, then allocation fails with NULL (no
 * panic), and freeing them all restores the free counts order by order. */
KTEST(pmm_exhaust_and_free_all)
{
    pmm_drain(); /* count every free frame in its buddy block */
    uint64_t before = pmm_nr_free(), per_order[PMM_MAX_ORDER + 1];
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        per_order[o] = pmm_nr_free_order(o);
    struct list_head taken;
    list_init(&taken);
    uint64_t n = 0;
    struct page *p;
    while ((p = pmm_alloc(0)) != NULL) {
        list_add(&p->lru, &taken);
        n++;
    }
    bool second_null = pmm_alloc(0) == NULL && pmm_alloc(3) == NULL;
    uint64_t free_when_empty = pmm_nr_free();
    while (!list_empty(&taken)) {
        p = list_first_entry(&taken, struct page, lru);
        list_del(&p->lru);
        pmm_free(p, 0);
    }
    pmm_drain();
    KT_ASSERT(t, n == before, "allocated %lu frames, %lu were free", n, before);
    KT_ASSERT(t, free_when_empty == 0, "%lu frames still free after exhaustion", free_when_empty);
    KT_ASSERT(t, second_null, "allocation after exhaustion did not return NULL");
    KT_ASSERT(t, pmm_nr_free() == before, "%lu free after freeing all, %lu before", pmm_nr_free(), before);
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        KT_ASSERT(t, pmm_nr_free_order(o) == per_order[o], "order %u: %lu free blocks, %lu before", o,
                  pmm_nr_free_order(o), per_order[o]);
}

/* Split everything to single frames, free them in a shuffled order: the
 * buddies must merge back into exactly the blocks there were before. */
KTEST(pmm_coalesce_shuffled)
{
    uint64_t per_order[PMM_MAX_ORDER + 1], n = 0;
    pmm_drain();
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        per_order[o] = pmm_nr_free_order(o);
    uint64_t before = pmm_nr_free(), cap = before;
    struct page **pages = vmalloc(cap * sizeof(*pages));
    KT_ASSERT(t, pages != NULL, "no memory for the page list");
    while (n < cap && (pages[n] = pmm_alloc(0)) != NULL)
        n++;
    uint64_t seed = 12345;
    for (uint64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        uint64_t j = kt_rand(&seed) % (i + 1);
        struct page *tmp = pages[i];
        pages[i] = pages[j];
        pages[j] = tmp;
    }
    for (uint64_t i = 0; i < n; i++)
        pmm_free(pages[i], 0);
    vfree(pages);
    pmm_drain();
    KT_ASSERT(t, pmm_nr_free() == before, "%lu free, %lu before", pmm_nr_free(), before);
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        KT_ASSERT(t, pmm_nr_free_order(o) == per_order[o], "order %u: %lu blocks after, %lu before", o,
                  pmm_nr_free_order(o), per_order[o]);
    KT_ASSERT(t, pmm_nr_free_order(PMM_MAX_ORDER) > 0, "no order-%d block after coalescing", PMM_MAX_ORDER);
}

#define OVERLAP_BLOCKS 200
#define OVERLAP_MAX_ORDER 4

/* Blocks of mixed orders are aligned to their size and never overlap:
 * each is filled with its own number and must still hold it at the end. */
KTEST(pmm_blocks_aligned_no_overlap)
{
    static struct page *blk[OVERLAP_BLOCKS];
    static unsigned ord[OVERLAP_BLOCKS];
    uint64_t seed = 99, before = pmm_nr_free();
    for (int i = 0; i < OVERLAP_BLOCKS; i++) {
        ord[i] = (unsigned)(kt_rand(&seed) % (OVERLAP_MAX_ORDER + 1));
        blk[i] = pmm_alloc(ord[i]);
        KT_ASSERT(t, blk[i], "allocation %d (order %u) failed", i, ord[i]);
        KT_ASSERT(t, page_to_pfn(blk[i]) % (1ul << ord[i]) == 0, "order-%u block at pfn %#lx is misaligned", ord[i],
                  page_to_pfn(blk[i]));
        memset(page_to_virt(blk[i]), i & 0xff, PAGE_SIZE << ord[i]);
    }
    int bad = -1;
    for (int i = 0; i < OVERLAP_BLOCKS && bad < 0; i++) {
        const uint8_t *b = page_to_virt(blk[i]);
        for (uint64_t k = 0; k < ((uint64_t)PAGE_SIZE << ord[i]); k += 512)
            if (b[k] != (uint8_t)i)
                bad = i;
    }
    for (int i = 0; i < OVERLAP_BLOCKS; i++)
        pmm_free(blk[i], ord[i]);
    KT_ASSERT(t, bad < 0, "block %d was overwritten: two blocks overlap", bad);
    KT_ASSERT(t, pmm_nr_free() == before, "leak: %lu free, %lu before", pmm_nr_free(), before);
}

/* Orders beyond the largest fail cleanly; the largest works. */
KTEST(pmm_order_limits)
{
    KT_ASSERT(t, pmm_alloc(PMM_MAX_ORDER + 1) == NULL, "order %d did not fail", PMM_MAX_ORDER + 1);
    struct page *p = pmm_alloc(PMM_MAX_ORDER);
    KT_ASSERT(t, p != NULL, "order %d failed with %lu frames free", PMM_MAX_ORDER, pmm_nr_free());
    uint64_t pfn = page_to_pfn(p);
    pmm_free(p, PMM_MAX_ORDER);
    KT_ASSERT(t, pfn % (1u << PMM_MAX_ORDER) == 0, "max-order block misaligned at pfn %#lx", pfn);
}

/* The order-0 cache: an empty cache refills with one aligned block of
 * PCP_BATCH frames, frees stay cached up to PCP_HIGH, and pmm_drain gives
 * them all back to the buddy lists, which merge them as before. */
KTEST(pmm_cache_refill_and_drain)
{
    uint64_t per_order[PMM_MAX_ORDER + 1], before;
    pmm_drain();
    before = pmm_nr_free();
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        per_order[o] = pmm_nr_free_order(o);
    struct page *first = pmm_alloc(0);
    KT_ASSERT(t, first != NULL, "no frame");
    KT_ASSERT(t, pmm_nr_cached() == PCP_BATCH - 1, "%lu cached after one refill, want %u", pmm_nr_cached(),
              PCP_BATCH - 1);
    static struct page *got[PCP_HIGH + PCP_BATCH];
    got[0] = first;
    uint64_t block = page_to_pfn(first) >> PCP_BATCH_ORDER;
    for (unsigned i = 1; i < PCP_BATCH; i++) {
        got[i] = pmm_alloc(0);
        KT_ASSERT(t, got[i] && page_to_pfn(got[i]) >> PCP_BATCH_ORDER == block, "frame %u is not from the refill block",
                  i);
    }
    for (unsigned i = PCP_BATCH; i < PCP_HIGH + PCP_BATCH; i++)
        KT_ASSERT(t, (got[i] = pmm_alloc(0)) != NULL, "no frame %u", i);
    KT_ASSERT(t, pmm_nr_free() == before - (PCP_HIGH + PCP_BATCH), "free count %lu, want %lu", pmm_nr_free(),
              before - (PCP_HIGH + PCP_BATCH));
    for (unsigned i = 0; i < PCP_HIGH + PCP_BATCH; i++) {
        pmm_free(got[i], 0);
        KT_ASSERT(t, pmm_nr_cached() <= PCP_HIGH, "%lu cached, more than %u", pmm_nr_cached(), PCP_HIGH);
        KT_ASSERT(t, got[i]->flags & PG_pcp, "a freed frame is not marked as cached");
    }
    KT_ASSERT(t, pmm_nr_free() == before, "%lu free, %lu before", pmm_nr_free(), before);
    pmm_drain();
    KT_ASSERT(t, pmm_nr_cached() == 0, "%lu cached after drain", pmm_nr_cached());
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        KT_ASSERT(t, pmm_nr_free_order(o) == per_order[o], "order %u: %lu blocks after, %lu before", o,
                  pmm_nr_free_order(o), per_order[o]);
}

#define CACHE_TAG 0xcace

/* Frames in the cache cannot merge; when a larger block is wanted and
 * only cached frames could make it, pmm_alloc drains the cache first. */
KTEST(pmm_block_from_drained_cache)
{
    pmm_drain();
    uint64_t before = pmm_nr_free();
    struct list_head taken;
    list_init(&taken);
    struct page *p;
    while ((p = pmm_alloc(0)) != NULL) { /* every free frame, tagged as the test's */
        p->index = CACHE_TAG;
        list_add(&p->lru, &taken);
    }
    /* An aligned block of PCP_BATCH frames that are all the test's. */
    uint64_t found = 0;
    for (uint64_t b = 0; b < pmm_max_pfn() && !found; b += PCP_BATCH) {
        unsigned i = 0;
        while (i < PCP_BATCH && pfn_to_page(b + i)->index == CACHE_TAG && pfn_to_page(b + i)->refcount == 1)
            i++;
        if (i == PCP_BATCH)
            found = b;
    }
    bool cached = false, drained = false;
    struct page *blk = NULL;
    for (unsigned i = 0; found && i < PCP_BATCH; i++) { /* freed: into the cache */
        list_del(&pfn_to_page(found + i)->lru);
        pmm_free(pfn_to_page(found + i), 0);
    }
    if (found) {
        cached = pmm_nr_cached() == PCP_BATCH;
        blk = pmm_alloc(PCP_BATCH_ORDER);
        drained = pmm_nr_cached() == 0;
        if (blk)
            pmm_free(blk, PCP_BATCH_ORDER);
    }
    while (!list_empty(&taken)) {
        p = list_first_entry(&taken, struct page, lru);
        list_del(&p->lru);
        pmm_free(p, 0);
    }
    pmm_drain();
    KT_ASSERT(t, found, "no aligned block of %u free frames", PCP_BATCH);
    KT_ASSERT(t, cached, "the freed frames were not cached");
    KT_ASSERT(t, blk && page_to_pfn(blk) == found, "the order-%u block was not made of the cached frames",
              PCP_BATCH_ORDER);
    KT_ASSERT(t, drained, "the cache was not drained");
    KT_ASSERT(t, pmm_nr_free() == before, "%lu free, %lu before", pmm_nr_free(), before);
}
