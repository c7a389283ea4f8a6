/*
 * compare_rows_ck.c - the Concurrency Kit spinlock counter: what a C
 * programmer who reaches for ck, rather than for C11 atomics, would write
 * for "the next number".  (ck_pr_faa_64 is the `ck-faa` row of
 * baselines.c.)
 *
 * Not for the TSan build: ck's lock is inline asm that ThreadSanitizer
 * cannot see, so it would report the counter as racy (the smoke test
 * leaves this row out there).
 */
#include <stdalign.h>
#include <stdlib.h>

#include <ck_spinlock.h>

#include "compare.h"

typedef struct spin_counter {
	alignas(64) ck_spinlock_t lock;
	uint64_t n;
} spin_counter_t;

static void *spin_setup(unsigned nthreads)
{
	(void)nthreads;
	spin_counter_t *c = aligned_alloc(64, sizeof(*c));
	if (!c)
		return NULL;
	ck_spinlock_init(&c->lock);
	c->n = 0;
	return c;
}

static void spin_teardown(void *st)
{
	free(st);
}

static int spin_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                         bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	spin_counter_t *c = st;
	/* the threads were joined: their updates are visible */
	out[0].first = 1;
	out[0].last = (int64_t)c->n;
	return 1;
}

static inline bench_vals_t spin_inc(void *st, bench_thread_t *t)
{
	(void)t;
	spin_counter_t *c = st;
	ck_spinlock_lock(&c->lock);
	uint64_t v = ++c->n;
	ck_spinlock_unlock(&c->lock);
	return (bench_vals_t){(int64_t)v, 1};
}
BENCH_OP_LOOPS(spin_inc)

static const bench_contender_t ck_rows[] = {
	{.name = "ck-spinlock",
         .label = "ck_spinlock counter",
         .note = "`ck_spinlock_lock; v = ++n; ck_spinlock_unlock` (ck's default FAS spinlock)",
         .max_per_op = 1,
         .setup = spin_setup,
         .teardown = spin_teardown,
         .reserved = spin_reserved,
         BENCH_LOOPS(spin_inc)},
	{.name = NULL},
};

const bench_group_t cmp_group_ck = {"ck", ck_rows};
