#!/usr/bin/env python3
"""tests/mutants.py - proof that the in-kernel tests can fail.

Each entry below breaks one property on purpose (a missing invlpg, a text
section mapped writable, no guard page, ...), rebuilds, runs the boots
that should notice (by default the ktest boot and the main user-space test
boots; an entry may name its own) and reports which tests failed. Every
mutant must be caught by at least one test; the sources are restored after
each run. `make test-mutants` runs it
(about ten seconds per mutant); `tests/mutants.py invlpg` runs the mutants
whose names contain "invlpg".
"""
import re
import subprocess
import sys

muts = [
 ("protect without invlpg", "mm/paging.c", "    if (was_present)\n        flush_if_live(pml4, va);", ""),
 ("unmap keeps empty tables", "mm/paging.c", "        if (!table_is_empty(path[l]))\n            break;", "        break;"),
 ("unmap without invlpg", "mm/paging.c", "    if (r == 0)\n        flush_if_live(pml4, va);\n    if (r == 0)", "    if (r == 0)"),
 ("no coalescing", "mm/pmm.c", "        if (!(buddy->flags & PG_buddy) || buddy->order != order)", "        if (1)"),
 ("split frees part of the block it hands out", "mm/pmm.c", "struct page *upper = pfn_to_page(pfn + (1ul << o));", "struct page *upper = pfn_to_page(pfn + (1ul << o) / 2);"),
 ("text mapped writable", "mm/paging.c", 'map_kernel_section(".text", __text_start, __text_end, 0);', 'map_kernel_section(".text", __text_start, __text_end, PTE_RW);'),
 ("data executable", "mm/paging.c", 'map_kernel_section(".data/.bss", __data_start, __data_end, PTE_RW | PTE_XD);', 'map_kernel_section(".data/.bss", __data_start, __data_end, PTE_RW);'),
 ("heap (direct map) executable", "mm/paging.c", "const uint64_t flags = PTE_RW | PTE_XD | PTE_G;", "const uint64_t flags = PTE_RW | PTE_G;"),
 ("rodata writable", "mm/paging.c", 'map_kernel_section(".rodata", __rodata_start, __rodata_end, PTE_XD);', 'map_kernel_section(".rodata", __rodata_start, __rodata_end, PTE_XD | PTE_RW);'),
 ("identity map kept", "mm/paging.c", "    write_cr3(virt_to_phys(kernel_pml4));\n", "    kernel_pml4[0] = *(pte_t *)phys_to_virt((uint64_t)early_pml4);\n    write_cr3(virt_to_phys(kernel_pml4));\n", [("static pte_t *kernel_pml4;", "static pte_t *kernel_pml4;\nextern char early_pml4[];")]),
 ("no vmalloc guard page", "mm/vmalloc.c", "static size_t area_span(const struct vm_area *a) { return (a->nr_pages + 1) * PAGE_SIZE; }", "static size_t area_span(const struct vm_area *a) { return (a->nr_pages) * PAGE_SIZE; }"),
 ("vfree leaves pages mapped", "mm/vmalloc.c", "            unmap_pages(a->addr, a->nr_pages);\n            spin_unlock_irqrestore", "            spin_unlock_irqrestore"),
 ("no SMAP", "kernel/cpu.c", "    if (boot_cpu.smap)\n        cr4 |= CR4_SMAP;", ""),
 ("no CR0.WP", "kernel/cpu.c", "write_cr0((read_cr0() | CR0_WP | CR0_MP) & ~(CR0_EM | CR0_TS));", "write_cr0((read_cr0() | CR0_MP) & ~(CR0_EM | CR0_TS | CR0_WP));"),
 ("slab objects overlap", "mm/kmalloc.c", "off -= class_size(c)) {", "off -= class_size(c) / 2) {"),
 ("no timer interrupt (the local APIC timer never started)", "kernel/time.c", "        lapic_timer_start();\n", ""),
 ("no timer interrupt with noapic (the PIT's IRQ 0 has no handler)", "drivers/pit.c", '    irq_register(IRQ_TIMER, pit_irq, NULL, "timer");', "", [], "noapic,noapic_timer"),
 ("no serial receive interrupt", "drivers/serial.c", "    outb(COM1_PORT + UART_IER, UART_IER_RDI);", ""),
 ("empty symbol table", "Makefile", "nm -n $< | sh kernel/mksyms.sh -", "sh kernel/mksyms.sh /dev/null"),
 ("the frame cache never drains", "mm/pmm.c", "        if (++pmm.nr_pcp > PCP_HIGH)", "        if (++pmm.nr_pcp > PCP_HIGH && 0)"),
 ("a cache refill takes half the block it hands out", "mm/pmm.c", "    struct page *block = buddy_alloc(PCP_BATCH_ORDER);", "    struct page *block = buddy_alloc(PCP_BATCH_ORDER - 1);"),
 ("a drained frame keeps PG_pcp inside a merged block", "mm/pmm.c", "        p->flags = 0; /* if it merges", "        (void)0; /* if it merges", [], "ktest,t_proc,t_mmfuzz"),
 ("a new page table is not put on its PML4's list (exit leaks it)", "mm/paging.c", "        list_add(&p->lru, &virt_to_page(pml4)->lru);", "        list_init(&p->lru);", [], "ktest,t_proc,t_mmfuzz"),
 ("kill lets anyone signal anyone", "kernel/cred.c", "    if (capable())\n        return true;\n    if (sig == SIGCONT", "    if (1)\n        return true;\n    if (sig == SIGCONT", [], "t_creds"),
 ("ptdump calls every page writable", "mm/ptdump.c", "(prot & PTE_RW) ? \"RW \" : \"ro \"", "\"RW \"", [], "t_ptdump"),
 ("a kernel SMAP fault on a mapped user page is taken for spurious (retried forever)", "kernel/trap.c", "    return boot_cpu.smap && !(tf->rflags & RFLAGS_AC);", "    return false;", [], "ktest"),
 ("a context switch saves x87/SSE but not AVX", "kernel/fpu.h", "        __asm__ volatile(\"xsave64 (%0)\" ::\"r\"(area), \"a\"((uint32_t)fpu_cfg.xfeatures),", "        __asm__ volatile(\"xsave64 (%0)\" ::\"r\"(area), \"a\"(3u),", [], "t_xstate,t_signal"),
 ("execve keeps the old program's x87/SSE/AVX registers", "kernel/sys_proc.c", "        proc_fpu_reset(t); /* x87/SSE/AVX as a new process", "        (void)0; /* x87/SSE/AVX as a new process", [], "t_xstate"),
 ("sigreturn loads any XSAVE header (XRSTOR faults in the kernel)", "kernel/fpu.c", "    if (hdr[0] & ~fpu_cfg.xfeatures)", "    if (0)", [], "t_xstate"),
 ("kpagecount counts one mapping whatever the PTEs", "mm/kpageflags.c", "    return user ? (uint64_t)p->mapcount : 0;", "    return user ? 1 : 0;", [], "t_kpage"),
 ("/dev/fb0 writes land at the start of the video RAM whatever the offset", "drivers/fb.c", "    if (copy_from_user(fb.vram + *pos, ubuf, n))", "    if (copy_from_user(fb.vram, ubuf, n))", [], "t_fb"),
 ("the display runs at 16 bits a pixel while fbdev says 32 (video RAM right, picture wrong)", "drivers/fb.c", "    dispi_write(DISPI_BPP, FB_BPP);", "    dispi_write(DISPI_BPP, 16);", [], "t_fb"),
 ("memview colours free frames as the kernel image", "user/memview.h", "        s->free_until = pfn + mv_free_span(pfn);\n        return MV_FREE;", "        s->free_until = pfn + mv_free_span(pfn);\n        return MV_KERNEL;", [], "t_memview"),
 ("memview draws PFN p in the cell of p + 1", "user/memview.c", "            mv_cell_xy(&layout, i * layout.fpc, &x, &y);", "            mv_cell_xy(&layout, i * layout.fpc + 1, &x, &y);", [], "t_memview"),
 ("ioremap_wc maps write-back (PAT entry 0)", "mm/ioremap.h", "#define PAGE_CACHE_WC PTE_PWT", "#define PAGE_CACHE_WC 0", [], "ktest"),
 ("iounmap frees the device's pages as if they were RAM", "mm/vmalloc.c", "            if (a->phys) /* an ioremap", "            if (0) /* an ioremap", [], "ktest"),
 ("munmap hands the device frame to the frame allocator", "mm/vma.c", "    if (pte_special(old))\n        return;", "    if (pte_special(old)) {\n        pmm_free(phys_to_page(old & PTE_ADDR_MASK), 0);\n        return;\n    }", [], "t_fb"),
 ("fork gives the child a private RAM frame instead of the device's", "mm/mm.c", "                dt[pte_index(va)] = e & ~(PTE_A | PTE_D);\n                continue;", "                dt[pte_index(va)] = (e & ~(PTE_A | PTE_D | PTE_ADDR_MASK)) | page_to_phys(pmm_alloc_zeroed());\n                continue;", [], "t_fb"),
 ("MADV_DONTNEED and MADV_PAGEOUT act on device VMAs", "mm/mmap.c", "        if (v->flags & VM_PFNMAP)\n            return MAX(addr, v->start);", "        if (0)\n            return MAX(addr, v->start);", [], "t_fb"),
 ("device PTEs lose their memory type (write-back video RAM)", "mm/vma.c", "f | v->dev.cache | PTE_SPECIAL : f;", "f | PTE_SPECIAL : f;", [], "t_fb"),
 ("fb_mmap lets a mapping run past the video RAM", "drivers/fb.c", "    if (off >= size || len > size - off)", "    if (off >= size)", [], "t_fb"),
 ("pagemap shows a device frame as present RAM", "mm/report.c", " || pte_special(*e))\n        return 0;", ")\n        return 0;", [], "t_fb"),
 # ---- threads and futexes (docs/threads.md) ----
 ("a thread's end wakes nobody on its CLONE_CHILD_CLEARTID word (pthread_join waits forever)", "kernel/futex.c", "            futex_wake(t->clear_child_tid, false, 1, FUTEX_BITSET_MATCH_ANY);", "            (void)0;", [], "t_futex"),
 ("robust futexes are not released at a thread's death", "kernel/futex.c", "    if (t->robust_list)\n        robust_list_release(t);", "", [], "t_futex"),
 ("a shared futex wake also wakes private waiters", "kernel/futex.c", "a.offset == b.offset && a.kind == b.kind;", "a.offset == b.offset;", [], "t_futex"),
 ("getpid returns the thread's own id", "kernel/sys_proc.c", "SYSCALL_DEFINE(getpid) { SYSCALL_UNUSED_ARGS(); return current->tgid; }", "SYSCALL_DEFINE(getpid) { SYSCALL_UNUSED_ARGS(); return current->pid; }", [], "t_threads"),
 ("exit in one thread ends only that thread (exit_group = exit)", "kernel/sys_proc.c", "    proc_exit_group((int)((a0 & 0xff) << 8));", "    proc_exit((int)((a0 & 0xff) << 8));", [], "t_threads"),
 ("a process-directed signal wakes no thread", "kernel/signal.c", "    wake_group_for(t, sig);\n    irq_restore(irqs);", "    irq_restore(irqs);", [], "t_threads"),
 # ---- SMP boot (docs/smp.md) ----
 ("the MADT parser ignores interrupt source overrides", "kernel/acpi.c", "        if (e[2] != ISA_BUS || e[3] >= NR_ISA_IRQS)", "        if (1)", [], "ktest"),
 ("the local APIC timer interrupt gets no EOI (one tick, then silence)", "drivers/lapic.c", "void lapic_timer_interrupt(void) { lapic_eoi(); }", "void lapic_timer_interrupt(void) {}", [], "ktest"),
 ("the trampoline leaves EFER.NXE off (the AP faults at its first XD page)", "kernel/trampoline.asm", "    or eax, EFER_LME | EFER_NXE", "    or eax, EFER_LME", [], "smp2"),
 ("sched_getaffinity reports CPU 0 only", "kernel/thread.c", "    uint64_t mask = t->cpus_allowed & cpu_online_mask();", "    uint64_t mask = 1;", [], "smp2"),
 # ---- tasks on every CPU, the TLB shootdown (docs/smp.md, docs/tlb.md) ----
 ("munmap and mprotect send no shootdown IPI (other CPUs keep stale entries)", "mm/tlb.c", "    __atomic_store_n(&shootdown.pending, cpus, __ATOMIC_RELEASE);\n    for (unsigned i = 0; i < nr_cpus_online; i++)\n        if (cpus >> i & 1)\n            lapic_send_ipi(percpu_area[i].apic_id, INVALIDATE_TLB_VECTOR);\n    while", "    (void)cpus;\n    while", [], "t_shootdown_smp2"),
 ("the shootdown IPI is sent but not waited for (munmap returns before the other CPU flushed)", "mm/tlb.c", "    while (__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE))\n        cpu_relax();", "", [], "t_shootdown_smp2"),
 ("a CPU loading an address space does not join its cpumask (no one to shoot down)", "mm/mm.c", "        if (nr_cpus_online > 1)\n            tlb_cpumask_switch(old, pa);", "", [], "t_shootdown_smp2"),
 ("lockdep learns no order (every new dependency looks fine)", "kernel/lockdep.c", "    if (reachable(b, a, &visited, &hop)) {", "    if ((void)visited, 0) {", [], "ktest,panic_lock_inversion"),
 ("lockdep lets schedule() run with a spinlock held", "kernel/lockdep.c", "    const struct held_lock *h = hl->spins ? first_spin(hl) : NULL;", "    const struct held_lock *h = hl->spins && 0 ? first_spin(hl) : NULL;", [], "ktest,panic_sleep_with_spinlock"),
 ("lockdep mixes an interrupt handler's locks with the task's it interrupted", "kernel/lockdep.c", "        if (h->irq != irq || !h->class->id)", "        if (!h->class->id)", [], "ktest"),
 ("lockdep misses a handler's spinlock held elsewhere with interrupts on", "kernel/lockdep.c", "    if (graph.in_irq_ip[b] && graph.irqs_on_ip[b])", "    if (0)", [], "ktest"),
 ("a spinlock's word is never taken (interrupts off is all)", "kernel/spinlock.h", "    if (__builtin_expect(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0, 0))\n        spin_lock_slow(l);", "", [], "ktest"),
 ("fork does not pass on the CPU affinity (the child of a pinned thread may run anywhere)", "kernel/sys_proc.c", "    child->cpus_allowed = parent->cpus_allowed; /* Linux: the affinity is inherited */", "    child->cpus_allowed = CPU_MASK_ALL;", [], "t_mmfuzz_smp2"),
 ("a lazy CPU a shootdown skipped does not flush when its address space comes back", "mm/tlb.c", "        flush_all_raw(); /* no CR3 write will come: the skipped shootdowns' pages */", "        ; /* mutant */", [], "t_shootdown_smp2"),
 ("a CPU spinning for the BKL does not answer shootdowns (the classic SMP deadlock)", "kernel/bkl.c", "        tlb_shootdown_answer();\n        cpu_relax();", "        cpu_relax();", [], "t_threads_smp2,t_mmfuzz_smp2"),
 # races the BKL does not prevent (docs/smp.md): the CPU sets D bits at any time
 ("munmap frees page tables left empty without a TLB flush (stale paging-structure caches)", "mm/paging.c", "    bool flush = n || tables;", "    bool flush = n || (tables && 0);", [], "ktest"),
 ("reclaim reads the Dirty bits before the unmap (a write on another CPU in between is lost)", "mm/vmscan.c",
  "    bool write = !cached || (p->flags & PG_dirty);", "    bool write = !cached || early_dirty;",
  [("    bool cached = p->flags & PG_swapcache;", "    bool early_dirty = false;\n    bool cached = p->flags & PG_swapcache;"),
   ("            return 0;\n    } else {", "            return 0;\n        early_dirty = any_dirty_early(p) || (p->flags & PG_dirty);\n    } else {"),
   ("static struct page *pick_clock(void)", "static void dirty_early_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *dirty)\n{\n    (void)p, (void)vma, (void)va;\n    *(bool *)dirty |= (*e & PTE_D) != 0;\n}\nstatic bool any_dirty_early(struct page *p)\n{\n    bool dirty = false;\n    rmap_walk(p, dirty_early_one, &dirty);\n    return dirty;\n}\n\nstatic struct page *pick_clock(void)")],
  "t_smprace_smp2"),
 ("kmalloc leaks empty slabs", "mm/kmalloc.c", "    if (p->slab.inuse == 0) {", "    if (p->slab.inuse == 0 && 0) {"),
 # ---- user processes (caught by the user-space test boots) ----
 ("uaccess trusts the pointer", "kernel/uaccess.c", "    return addr <= USER_SPACE_END && len <= USER_SPACE_END - addr;", "    return (void)addr, (void)len, true;"),
 ("exit leaks the address space", "kernel/proc.c", "    mm_put(t->mm);\n    t->mm = NULL;", "    t->mm = NULL;"),
 ("stack does not grow", "mm/fault.c", "        if (!expand_stack(mm, vma, addr, fi))", "        if (1)"),
 ("mprotect leaves present PTEs alone", "mm/mmap.c", "        if (paging_protect_local(mm->pml4, va, flags) > 0) {", "        if ((void)flags, 0) {"),
 ("mprotect changes prot but not the cached PTE flags", "mm/mmap.c", "    vma_set_prot(v, prot);", "    v->prot = prot;"),
 ("fault ignores the VMA's permissions", "mm/fault.c", "    if (!access_allowed(vma, err))", "    if (0)"),
 ("madvise DONTNEED keeps the pages", "mm/mmap.c", "            paging_unmap_range(mm->pml4, MAX(addr, v->start), MIN(stop, v->end), mm_put_frame, mm);", "            (void)v;"),
 ("demand loading ignores file data", "mm/fault.c", "        memcpy(page_to_virt(p), vma->file_data + off, n);", "        (void)n;"),
 ("fork shares writable pages without copy-on-write", "mm/mm.c", "            if ((e & PTE_RW) && !(v->flags & VM_SHARED)) {", "            if (0) {"),
 ("copy-on-write never copies", "mm/fault.c", "    if (page_exclusive(old)) {", "    if (1) {"),
 ("brk shrink keeps the pages", "mm/mmap.c", "        vma_unmap_range(mm, new_end, old_end); /* shrinking frees the pages */", ""),
 # ---- the TLB and swap-error lessons: each names the boots that must catch it ----
 ("fork does not flush the parent's TLB", "mm/mm.c", "    if ((read_cr3() & PTE_ADDR_MASK) != virt_to_phys(mm->pml4))\n        return;", "    if (1)\n        return;", [], "t_tlb"),
 ("failed swap-out frees the page anyway", "mm/vmscan.c", "(the slot is retired) */\n        return false;", "(the slot is retired) */", [], "swap_write_error"),
 ("a cluster's pages all go to disk from the first page's frame", "drivers/ata.c", "virt_to_phys(rq->bufs[i]), PAGE_SIZE, 0}", "virt_to_phys(rq->bufs[0]), PAGE_SIZE, 0}", [], "t_swap,t_mmfuzz"),
 ("read-around looks one page too far (maps nothing)", "mm/fault.c", "        uintptr_t a = va + (i + 1) * PAGE_SIZE;", "        uintptr_t a = va + (i + 2) * PAGE_SIZE;", [], "t_swap"),
 ("compaction rewrites PTEs without invlpg", "mm/compaction.c", "        tlb_flush_page(va);\n    tlb_shootdown_page(vma->mm->pml4, va);\n    r->found++;", "    r->found++;", [], "t_compact"),
 ("compaction leaves the swap cache naming the old frame", "mm/compaction.c", "        swap_cache_replace(p, q);", "        (void)0;", [], "t_compact"),
 ("compaction leaves the shm object naming the old frame", "mm/compaction.c", "        shm_object_replace_page(p, q);", "        (void)0;", [], "t_compact"),
 ("failed slot goes back to the free pool", "mm/swapfile.c", "    if (swp.failed[slot])\n        swp.map[slot] = SLOT_BAD;", "    if (0)\n        swp.map[slot] = SLOT_BAD;", [], "swap_write_error"),
 # ---- the page-ownership model (docs/page-lifecycle.md): each mutant puts a
 # bug back or breaks a count; a composing test or vm_check must notice ----
 ("mprotect trusts the rmap count (COW + swap + mprotect leak)", "mm/mmap.c", "!page_anon_exclusive(phys_to_page(*e & PTE_ADDR_MASK))", "rmap_count(phys_to_page(*e & PTE_ADDR_MASK)) > 1", [('#include "mm/shm.h"\n', '#include "mm/shm.h"\n#include "mm/rmap.h"\n')], "t_mmcompose,t_mmfuzz"),
 ("reclaim drops file pages whose PTE is clean (written .data lost)", "mm/vmscan.c", "static bool droppable(const struct page *p) { return !(p->flags & PG_anon) && !p->shm_owner; }",
  "static void dirty_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *dirty)\n{\n    (void)p, (void)vma, (void)va;\n    *(bool *)dirty |= (*e & PTE_D) != 0;\n}\nstatic bool any_dirty(struct page *p)\n{\n    bool dirty = false;\n    rmap_walk(p, dirty_one, &dirty);\n    return dirty;\n}\nstatic void file_vma_one(struct page *p, struct vma *vma, uintptr_t va, pte_t *e, void *ok)\n{\n    (void)p, (void)va, (void)e;\n    *(bool *)ok &= vma->backing == VMA_FILE;\n}\nstatic bool droppable(const struct page *p)\n{\n    bool file = true;\n    rmap_walk((struct page *)p, file_vma_one, &file);\n    return file && !p->shm_owner && !any_dirty((struct page *)p);\n}", [], "t_mmcompose,t_mmfuzz"),
 ("exclusive ignores swap entries that name the cached slot", "mm/page.c", "    return !(p->flags & PG_swapcache) || swap_slot_count(p->swap_slot) == 0;", "    return true;", [], "t_mmcompose,t_mmfuzz,t_swap"),
 ("swap-in maps a shared slot writable", "mm/fault.c", "    if (!vma->shm && !page_anon_exclusive(p))\n        flags &= ~PTE_RW;", "    if (0)\n        flags &= ~PTE_RW;", [], "t_mmcompose,t_mmfuzz,t_swap"),
 ("a page read from swap is not anonymous", "mm/fault.c", "    else\n        p->flags |= PG_anon;\n", "\n", [], "t_mmcompose,t_mmfuzz,t_swap"),
 ("fork forgets the swap slot's reference", "mm/mm.c", "                swap_slot_get(swp_offset(e));\n", "", [], "t_mmfuzz,t_swap"),
 ("the swap cache never lets go of a frame", "mm/swapfile.c", "    slot_release_if_unused(slot);\n    page_put(p);\n", "    slot_release_if_unused(slot);\n", [], "t_mmfuzz,t_swap"),
 ("shm swap-out keeps the object's frame reference", "mm/shm.c", "    page_put(p); /* the object's hold on the frame", "    (void)p; /* the object's hold on the frame", [], "t_mmfuzz,t_swap"),
 ("the kernel's writes into a process skip copy-on-write", "mm/mm.c", "    return e && level == 1 && (*e & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW) ? e : NULL;", "    return e && level == 1 && (*e & PTE_P) ? e : NULL;", [], "t_cow"),
 ("fork links the child's VMA to no anon_vma (reverse map misses the child)", "mm/vma.c", "        anon_vma_link(c, v); /* the child's pages are the parent's: one reverse-map object */", "        c->anon_vma = NULL;", [], "t_cow,t_swap"),
 ("a VMA split leaves the upper half off the anon_vma list", "mm/vma.c", "    } else {\n        anon_vma_link(upper, vma);\n    }", "    } else {\n        upper->anon_vma = NULL;\n    }", [], "t_cow,t_lazy,t_mmfuzz"),
 ("a timed wait never times out (a lost disk interrupt hangs)", "kernel/sched.c", "        if (t->wait_deadline <= now && t->state == TASK_SLEEPING)", "        if (0)", [], "ktest"),
 # ---- overcommit and the address-space limits (docs/overcommit.md) ----
 ("mode 0 accepts a request larger than RAM + swap (sbrk 1000 MiB on 128 MiB)", "mm/commit.c", "        if (pages <= pmm_nr_managed() + swap_total_pages())", "        if (1)", [], "t_overcommit"),
 ("munmap keeps the pages' charge in Committed_AS", "mm/vma.c", "        vm_unacct_memory(vma_pages(v));\n    kfree(v);", "    kfree(v);", [], "t_overcommit"),
 ("fork does not charge the child's copy", "mm/vma.c", "    if ((v->flags & VM_ACCOUNT) && vm_enough_memory(v->mm, vma_pages(v))) {", "    if (0) {", [], "t_overcommit"),
 ("the stack ignores RLIMIT_STACK", "mm/fault.c", "    return MIN(mm_rlimit(RLIMIT_STACK), (uint64_t)(USER_STACK_TOP - USER_MMAP_BASE));", "    return USER_STACK_LIMIT;", [], "t_overcommit"),
 ("failed swap-in kills with SIGKILL, not SIGBUS", "mm/fault.c", "    if (r == -EIO)\n        fi->reason = \"swap-in failed (disk error)\";\n    if (r)\n        return r;\n    pte = paging_walk", "    if (r == -EIO)\n        fi->reason = \"swap-in failed (disk error)\";\n    if (r)\n        return -ENOMEM;\n    pte = paging_walk", [], "swap_read_error"),
 # ---- users and permissions (docs/users.md) ----
 ("non-root setuid to any id", "kernel/cred.c", "    if (id != ids[0] && id != ids[2])\n        return -EPERM;", "", [], "t_creds"),
 ("an id change keeps the process dumpable", "kernel/cred.c", "    if (changed)\n        current->cred.dumpable = false;", "    (void)changed;", [], "t_creds"),
 ("exec keeps the saved ids", "kernel/cred.c", "    c->suid = c->fsuid = c->euid;\n    c->sgid = c->fsgid = c->egid;", "", [], "t_creds"),
 ("pagemap shows PFNs to everyone", "mm/report.c", "uint64_t frame_mask = show_pfn ? PM_PFN_MASK : 0;", "uint64_t frame_mask = PM_PFN_MASK;", [], "t_creds"),
 ("anyone may open another process's maps", "kernel/procfs.c", "    return !t->mm || cred_may_access(t) ? 0 : -EACCES;", "    return 0;", [], "t_creds"),
 ("/proc/<pid> belongs to its user even when not dumpable", "kernel/procfs.c", "(ino->mode == (S_IFDIR | 0555) || (t->mm && t->cred.dumpable))", "(1)", [], "t_creds"),
 ("file mode bits are not checked", "kernel/vfs.c", "    if (!capable_fs())\n        return -EACCES;", "", [], "t_creds"),
 ("access() asks with the effective ids", "kernel/sys_fs.c", "    if (!(flags & AT_EACCESS)) {", "    if (0) {", [], "t_creds"),
 ("SysV shm ignores the mode bits", "mm/sysv_shm.c", "    return !(requested & ~granted & 7);", "    return requested == granted || true;", [], "t_shm"),
 ("anyone may IPC_RMID", "mm/sysv_shm.c", "    return privileged(c) || c->cred->euid == seg->cuid || c->cred->euid == seg->uid;", "    return seg || c;", [], "t_shm"),
 ("open(O_CREAT) of a missing name in a missing directory is EROFS", "kernel/sys_fs.c", "    if (r == -ENOENT && missing && (flags & O_CREAT))", "    if (r == -ENOENT && (flags & O_CREAT))", [], "t_files"),
 # ---- limits and the OOM killer's choice (docs/limits.md) ----
 ("fork ignores threads-max (a root fork bomb runs until memory is gone)", "kernel/resource.c", "    if ((uint64_t)proc_count() >= max_threads)\n        return -EAGAIN;", "", [], "t_limits"),
 ("RLIMIT_NPROC is not enforced", "kernel/resource.c", "    return (int64_t)proc_count_uid(uid) + extra > (int64_t)limit;", "    return (void)extra, false;", [], "t_limits"),
 ("the OOM killer ignores oom_score_adj", "mm/oom_kill.c", " || t->oom_score_adj == OOM_SCORE_ADJ_MIN)", ")", [("(long)t->oom_score_adj * (long)(totalpages / OOM_ADJ_SCALE)", "0")], "t_oom,t_limits"),
]
DEFAULT_BOOTS = "ktest,t_lazy,t_hostile,t_proc,t_cow,t_fuzz"

# `tests/mutants.py --check` (make test): every mutant's text must still be
# in its file, or the mutant would stop the full run (as three had: the
# code moved on under them). Builds nothing; a second.
if sys.argv[1:] == ["--check"]:
    stale = [f"{m[0]} ({m[1]})" for m in muts if m[2] not in open(m[1]).read()
             or any(o not in open(m[1]).read() for o, _ in (m[4] if len(m) > 4 else []))]
    for s in stale:
        print(f"mutants: stale, its text is no longer in the file: {s}")
    print(f"mutants: {len(muts)} mutants, {len(stale)} stale")
    sys.exit(1 if stale else 0)

sel = sys.argv[1:]
uncaught = 0
for name, path, old, new, *rest in muts:
    extra = rest[0] if rest else []
    boots = rest[1] if len(rest) > 1 else DEFAULT_BOOTS
    if sel and not any(s in name for s in sel): continue
    src = open(path).read()
    assert old in src, name
    src2 = src.replace(old, new)
    for o, n in extra:
        src2 = src2.replace(o, n)
    open(path, "w").write(src2)
    try:
        b = subprocess.run("make -s build/pagewise.iso 2>&1", shell=True, capture_output=True, text=True)
        if b.returncode:
            print(f"{name}: BUILD FAILED\n{b.stdout[-800:]}"); continue
        r = subprocess.run(f"python3 tests/harness.py --iso build/pagewise.iso --only {boots} --logdir build/mutants", shell=True, capture_output=True, text=True)
        fails = sorted(set(re.findall(r"^FAIL (\S+?):", r.stdout, re.M)))
        uncaught += not fails
        print(f"{name}: {'caught by ' + ', '.join(fails) if fails else 'NOT CAUGHT'}", flush=True)
    finally:
        open(path, "w").write(src)
subprocess.run("make -s build/pagewise.iso", shell=True)
print(f"{uncaught} mutants not caught")
sys.exit(1 if uncaught else 0)
