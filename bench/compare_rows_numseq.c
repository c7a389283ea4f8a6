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
#include "numseq_rows.h"

static void *sweep_setup(unsigned nthreads)
{
	(void)nthreads;
	return seq_setup_cache((int64_t)(cmp_sweep_value() ? cmp_sweep_value() : 1));
}

/* Not const: cmp_sweep_cache() sets the gap block to the CACHE of the step,
 * so the check allows each thread's unused cache tail. */
static bench_contender_t sweep_rows[] = {
	{.name = "nextval-cache-sweep",
         .label = "numseq nextval, CACHE = x",
         .note = "`numseq_nextval` on a sequence with CACHE x (the sweep value)",
         .max_per_op = 1,
         .gap_block = 1,
         .setup = sweep_setup,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = NULL},
};

const bench_group_t cmp_group_sweep = {"numseq CACHE sweep", sweep_rows};

void cmp_sweep_cache(uint64_t cache)
{
	sweep_rows[0].gap_block = cache;
}
