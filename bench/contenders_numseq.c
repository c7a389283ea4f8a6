/*
 * contenders_numseq.c - the numseq rows: nextval with CACHE 1 (the
 * default) and CACHE 64, and nextval_n taking blocks of 64.  Each run
 * uses a fresh sequence with default options otherwise: bigint, START 1,
 * INCREMENT 1, NO CYCLE, so the numbers are 1, 2, 3 ... and a run never
 * reaches the bound.
 */
#include <stddef.h>

#include "numseq_rows.h"

static void *seq_setup_1(unsigned nthreads)
{
	(void)nthreads;
	return seq_setup_cache(1);
}

static void *seq_setup_64(unsigned nthreads)
{
	(void)nthreads;
	return seq_setup_cache(64);
}

static inline bench_vals_t seq_nextval_n64(void *st, bench_thread_t *t)
{
	numseq_block_t b;
	int rc = numseq_nextval_n(st, 64, &b, NULL);
	if (rc != NUMSEQ_OK || b.step != 1) {
		t->errors++;
		t->first_error = t->first_error ? t->first_error : rc ? rc : -1;
		return (bench_vals_t){0, 0};
	}
	return (bench_vals_t){b.first, b.count};
}
BENCH_OP_LOOPS(seq_nextval_n64)

static const bench_contender_t numseq_rows[] = {
	{.name = "nextval",
         .label = "numseq nextval, CACHE 1",
         .note = "`numseq_nextval(s, &v, NULL)` on a default sequence (CACHE 1)",
         .max_per_op = 1,
         .setup = seq_setup_1,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = "nextval-c64",
         .label = "numseq nextval, CACHE 64",
         .note = "`numseq_nextval(s, &v, NULL)` on a sequence with CACHE 64: each thread "
                 "reserves 64 at a time",
         .max_per_op = 1,
         .gap_block = 64,
         .setup = seq_setup_64,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = "nextval-n64",
         .label = "numseq nextval_n(64), per number",
         .note = "`numseq_nextval_n(s, 64, &blk, NULL)` (CACHE 1 sequence); timed per number, "
                 "a call counts 64",
         .max_per_op = 64,
         .setup = seq_setup_1,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval_n64)},
	{.name = NULL},
};

const bench_group_t bench_group_numseq = {"numseq", numseq_rows};
