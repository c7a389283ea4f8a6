/*
 * compare_rows_numseq.c - numseq rows that only the comparison needs: the
 * CACHE sweep (nextval on a sequence whose CACHE is the sweep value).  The
 * plain rows (CACHE 1, CACHE 64, nextval_n(64)) are numseq_bench's own,
 * from contenders_numseq.c.
 *
 * This file is the model for the scale rows still to come: a contender
 * whose setup reads cmp_sweep_value() (the range size of a bitmap policy,
 * the number of journal records ...), and a part in compare_main.c that
 * lists the values.
 */
#include <stdlib.h>

#include "compare.h"
#include "numseq.h"

static void *sweep_setup(unsigned nthreads)
{
	(void)nthreads;
	numseq_options_t o;
	numseq_t *s = NULL;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_CACHE;
	o.cache = (int64_t)(cmp_sweep_value() ? cmp_sweep_value() : 1);
	if (numseq_create(&s, &o, NULL) != NUMSEQ_OK)
		return NULL;
	return s;
}

static void sweep_teardown(void *st)
{
	numseq_t *s = st;
	numseq_destroy(&s);
}

static int sweep_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                          bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	int64_t last;
	bool called;
	if (numseq_read(st, &last, &called) != NUMSEQ_OK)
		return -1;
	out[0].first = 1;
	out[0].last = called ? last : 0;
	return 1;
}

static inline bench_vals_t sweep_nextval(void *st, bench_thread_t *t)
{
	int64_t v;
	int rc = numseq_nextval(st, &v, NULL);
	if (rc != NUMSEQ_OK) {
		t->errors++;
		t->first_error = t->first_error ? t->first_error : rc;
		return (bench_vals_t){0, 0};
	}
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(sweep_nextval)

/* Not const: cmp_sweep_cache() sets the gap block to the CACHE of the step,
 * so the check allows each thread's unused cache tail. */
static bench_contender_t sweep_rows[] = {
	{.name = "nextval-cache-sweep",
         .label = "numseq nextval, CACHE = x",
         .note = "`numseq_nextval` on a sequence with CACHE x (the sweep value)",
         .max_per_op = 1,
         .gap_block = 1,
         .setup = sweep_setup,
         .teardown = sweep_teardown,
         .reserved = sweep_reserved,
         BENCH_LOOPS(sweep_nextval)},
	{.name = NULL},
};

const bench_group_t cmp_group_sweep = {"numseq CACHE sweep", sweep_rows};

void cmp_sweep_cache(uint64_t cache)
{
	sweep_rows[0].gap_block = cache;
}
