/*
 * baselines.c - the reference rows: what handing out a number costs
 * without numseq, from the floor (a thread-local increment) to a mutex.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <ck_pr.h>

#include "baselines.h"
#include "harness.h"

/* ------------------------------------------------------- shared counter */

static void *counter_setup(unsigned nthreads)
{
	(void)nthreads;
	bench_counter_t *c = aligned_alloc(64, sizeof(*c));
	if (c)
		atomic_init(&c->n, 0);
	return c;
}

static void counter_teardown(void *st)
{
	free(st);
}

/* Numbers 1 .. final count were handed out or reserved. */
static int counter_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                            bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	bench_counter_t *c = st;
	/* relaxed: the threads were joined, which ordered their updates */
	out[0].first = 1;
	out[0].last = (int64_t)atomic_load_explicit(&c->n, memory_order_relaxed);
	return 1;
}

static inline bench_vals_t faa_inline(void *st, bench_thread_t *t)
{
	(void)t;
	bench_counter_t *c = st;
	/* relaxed: only the returned value matters */
	uint64_t v = atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed) + 1;
	return (bench_vals_t){(int64_t)v, 1};
}
BENCH_OP_LOOPS(faa_inline)

static inline bench_vals_t faa_call(void *st, bench_thread_t *t)
{
	int64_t v;
	int rc = bench_faa_call(st, &v, NULL);
	if (rc != 0) {
		t->errors++;
		return (bench_vals_t){0, 0};
	}
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(faa_call)

static inline bench_vals_t block64_call(void *st, bench_thread_t *t)
{
	int64_t v;
	int rc = bench_block64_call(st, &v, NULL);
	if (rc != 0) {
		t->errors++;
		return (bench_vals_t){0, 0};
	}
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(block64_call)

/* ------------------------------------------------ Concurrency Kit counter */

/* ck_pr works on a plain uint64_t; same layout as bench_counter_t. */
typedef struct ck_counter {
	alignas(64) uint64_t n;
	char pad[64 - sizeof(uint64_t)];
} ck_counter_t;

static void *ck_setup(unsigned nthreads)
{
	(void)nthreads;
	ck_counter_t *c = aligned_alloc(64, sizeof(*c));
	if (c)
		c->n = 0;
	return c;
}

static int ck_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                       bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	ck_counter_t *c = st;
	out[0].first = 1;
	out[0].last = (int64_t)ck_pr_load_64(&c->n);
	return 1;
}

static inline bench_vals_t ck_faa(void *st, bench_thread_t *t)
{
	(void)t;
	ck_counter_t *c = st;
	uint64_t v = ck_pr_faa_64(&c->n, 1) + 1;
	return (bench_vals_t){(int64_t)v, 1};
}
BENCH_OP_LOOPS(ck_faa)

/* ---------------------------------------------------------- mutex counter */

typedef struct mutex_counter {
	alignas(64) pthread_mutex_t m;
	uint64_t n;
} mutex_counter_t;

static void *mutex_setup(unsigned nthreads)
{
	(void)nthreads;
	mutex_counter_t *c = aligned_alloc(64, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->m, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->n = 0;
	return c;
}

static void mutex_teardown(void *st)
{
	mutex_counter_t *c = st;
	pthread_mutex_destroy(&c->m);
	free(c);
}

static int mutex_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                          bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	mutex_counter_t *c = st;
	out[0].first = 1;
	out[0].last = (int64_t)c->n;
	return 1;
}

static inline bench_vals_t mutex_inc(void *st, bench_thread_t *t)
{
	mutex_counter_t *c = st;
	int rc = pthread_mutex_lock(&c->m);
	if (rc != 0) {
		t->errors++;
		t->first_error = t->first_error ? t->first_error : rc;
		return (bench_vals_t){0, 0};
	}
	uint64_t v = ++c->n;
	pthread_mutex_unlock(&c->m);
	return (bench_vals_t){(int64_t)v, 1};
}
BENCH_OP_LOOPS(mutex_inc)

/* ------------------------------------------------- thread-local increment */

/* Thread i hands out ((i+1) << 40) + 1, + 2, ...: distinct across threads
 * with no shared state at all.  What is left is the harness's own cost per
 * number (loop, fingerprint): the floor under every other row. */
static void *local_setup(unsigned nthreads)
{
	(void)nthreads;
	static char dummy;
	return &dummy;
}

static void local_teardown(void *st)
{
	(void)st;
}

static int64_t local_base(unsigned tid)
{
	return (int64_t)(tid + 1) << 40;
}

static int local_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                          bench_range_t *out, unsigned max)
{
	(void)st;
	if (nthreads > max)
		return -1;
	for (unsigned i = 0; i < nthreads; i++) {
		out[i].first = local_base(i) + 1;
		out[i].last = local_base(i) + (int64_t)threads[i].local[0];
	}
	return (int)nthreads;
}

static inline bench_vals_t local_inc(void *st, bench_thread_t *t)
{
	(void)st;
	uint64_t n = ++t->local[0];
	return (bench_vals_t){local_base(t->tid) + (int64_t)n, 1};
}
BENCH_OP_LOOPS(local_inc)

/* ------------------------------------------------------------------ table */

static const bench_contender_t baselines[] = {
	{.name = "faa-inline",
         .label = "atomic_fetch_add relaxed, inline",
         .note = "`atomic_fetch_add_explicit(&n, 1, memory_order_relaxed)` on one shared "
                 "counter, inlined in the loop",
         .max_per_op = 1,
         .setup = counter_setup,
         .teardown = counter_teardown,
         .reserved = counter_reserved,
         BENCH_LOOPS(faa_inline)},
	{.name = "faa-call",
         .label = "atomic_fetch_add relaxed, called",
         .note = "the same fetch_add inside a non-inlined function shaped like nextval: "
                 "`int f(counter *, int64_t *out, void *err)`",
         .max_per_op = 1,
         .setup = counter_setup,
         .teardown = counter_teardown,
         .reserved = counter_reserved,
         BENCH_LOOPS(faa_call)},
	{.name = "ck-faa",
         .label = "ck_pr_faa_64, inline",
         .note = "Concurrency Kit's `ck_pr_faa_64(&n, 1)` (lock xadd) on one shared counter",
         .max_per_op = 1,
         .setup = ck_setup,
         .teardown = counter_teardown,
         .reserved = ck_reserved,
         BENCH_LOOPS(ck_faa)},
	{.name = "mutex",
         .label = "pthread mutex counter",
         .note = "`pthread_mutex_lock; v = ++n; pthread_mutex_unlock` (default mutex)",
         .max_per_op = 1,
         .setup = mutex_setup,
         .teardown = mutex_teardown,
         .reserved = mutex_reserved,
         BENCH_LOOPS(mutex_inc)},
	{.name = "block64-call",
         .label = "per-thread block of 64, called",
         .note = "non-inlined call; a `_Thread_local` block refilled by one fetch_add of 64 "
                 "on the shared counter: the plain-cache reference",
         .max_per_op = 1,
         .gap_block = BENCH_BLOCK64,
         .setup = counter_setup,
         .teardown = counter_teardown,
         .reserved = counter_reserved,
         BENCH_LOOPS(block64_call)},
	{.name = "local",
         .label = "thread-local increment (floor)",
         .note = "`++n` on a per-thread counter, no sharing: the harness's own cost per number",
         .max_per_op = 1,
         .setup = local_setup,
         .teardown = local_teardown,
         .reserved = local_reserved,
         BENCH_LOOPS(local_inc)},
	{.name = NULL},
};

const bench_group_t bench_group_baselines = {"baselines", baselines};

/* ------------------------------------------------------------- self-test */

/* A counter with a bug: number k*4096 is handed out as k*4096 - 1, which
 * is then held twice while k*4096 is never seen.  --self-test runs it and
 * passes only if the checks catch it. */
static inline bench_vals_t faa_dup(void *st, bench_thread_t *t)
{
	(void)t;
	bench_counter_t *c = st;
	uint64_t v = atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed) + 1;
	if (v % 4096 == 0)
		v--;
	return (bench_vals_t){(int64_t)v, 1};
}
BENCH_OP_LOOPS(faa_dup)

static const bench_contender_t broken[] = {
	{.name = "broken-dup",
         .label = "broken counter (self-test)",
         .note = "hands out every 4096th number's predecessor twice",
         .max_per_op = 1,
         .setup = counter_setup,
         .teardown = counter_teardown,
         .reserved = counter_reserved,
         BENCH_LOOPS(faa_dup)},
	{.name = NULL},
};

const bench_group_t bench_group_selftest = {"self-test", broken};
