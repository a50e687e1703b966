/* tests/kernel/test_kmalloc.c - the kernel heap (mm/kmalloc.c). */
#include "kernel/compiler.h"
#include "kernel/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/ktest_util.h"

#define STRESS_OBJECTS 3000
#define STRESS_ROUNDS 3

static uint8_t *objs[STRESS_OBJECTS];
static uint16_t sizes[STRESS_OBJECTS];

static uint8_t pattern(int i) { return (uint8_t)(i * 31 + 7); }

/* Thousands of objects of random sizes (slab and page-sized): each is
 * aligned, holds its own pattern until freed (no two overlap), and after
 * freeing all of them every frame is back. */
KTEST(kmalloc_stress)
{
    uint64_t seed = 2024, free0 = pmm_nr_free();
    for (int round = 0; round < STRESS_ROUNDS; round++) {
        for (int i = 0; i < STRESS_OBJECTS; i++) {
            sizes[i] = (uint16_t)(1 + kt_rand(&seed) % (i % 50 == 0 ? 9000 : 600));
            objs[i] = kmalloc(sizes[i]);
            KT_ASSERT(t, objs[i], "kmalloc(%u) #%d failed", sizes[i], i);
            KT_ASSERT(t, IS_ALIGNED((uintptr_t)objs[i], KMALLOC_MIN), "kmalloc(%u) = %p misaligned", sizes[i], objs[i]);
            memset(objs[i], pattern(i), sizes[i]);
        }
        for (int i = 0; i < STRESS_OBJECTS; i++)
            for (int k = 0; k < sizes[i]; k += 7)
                KT_ASSERT(t, objs[i][k] == pattern(i), "object %d (size %u) overwritten at %d", i, sizes[i], k);
        for (int i = STRESS_OBJECTS - 1; i > 0; i--) { /* free in random order */
            int j = (int)(kt_rand(&seed) % (uint64_t)(i + 1));
            uint8_t *tmp = objs[i];
            objs[i] = objs[j];
            objs[j] = tmp;
        }
        for (int i = 0; i < STRESS_OBJECTS; i++)
            kfree(objs[i]);
    }
    KT_ASSERT(t, pmm_nr_free() == free0, "%ld frames leaked", (long)(free0 - pmm_nr_free()));
}

/* Size classes: a 17-byte object lives in the 32-byte class, so two of
 * them from a fresh slab are 32 bytes apart. kfree(NULL) is harmless. */
KTEST(kmalloc_size_classes)
{
    kfree(NULL);
    void *big = kmalloc(3 * PAGE_SIZE);
    KT_ASSERT(t, big && IS_ALIGNED((uintptr_t)big, PAGE_SIZE), "big allocation not page aligned: %p", big);
    kfree(big);
    KT_ASSERT(t, kmalloc(1ul << 40) == NULL, "an impossible size did not return NULL");
    uint8_t *z = kzalloc(100);
    KT_ASSERT(t, z, "kzalloc failed");
    bool zero = true;
    for (int i = 0; i < 100; i++)
        zero &= z[i] == 0;
    kfree(z);
    KT_ASSERT(t, zero, "kzalloc memory not zeroed");
}
