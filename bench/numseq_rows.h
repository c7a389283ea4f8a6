/*
 * numseq_rows.h - the pieces of a numseq contender that numseq_bench's rows
 * (contenders_numseq.c) and the comparison's CACHE sweep
 * (compare_rows_numseq.c) share: a sequence with a given CACHE, its
 * teardown, the range it reserved, and one nextval as a harness op.  Each
 * file that includes it uses all of them.
 */
#ifndef NUMSEQ_BENCH_ROWS_H
#define NUMSEQ_BENCH_ROWS_H

#include <stddef.h>

#include "harness.h"
#include "numseq.h"

static inline void *seq_setup_cache(int64_t cache)
{
	numseq_options_t o;
	numseq_t *s = NULL;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_CACHE;
	o.cache = cache;
	if (numseq_create(&s, &o, NULL) != NUMSEQ_OK)
		return NULL;
	return s;
}

static inline void seq_teardown(void *st)
{
	numseq_t *s = st;
	numseq_destroy(&s);
}

/* 1 .. last_value were handed out or reserved (with CACHE, last_value is
 * the end of the last block any thread reserved). */
static inline int seq_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
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

static inline bench_vals_t seq_nextval(void *st, bench_thread_t *t)
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
BENCH_OP_LOOPS(seq_nextval)

#endif
