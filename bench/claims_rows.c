/*
 * claims_rows.c - the numseq rows of the claimed-number bitmap: a
 * claim + release pair, and nextval + release pairs under each policy
 * (SEQUENCE with CYCLE, LOWEST_FREE, CYCLIC), each at N = 100, 10^6 and
 * 10^9 from the half-claimed state of claims_rows.h; and SEQUENCE nextval
 * alone, with and without a bitmap, on a fresh sequence of 10^9.
 *
 * Why pairs.  A range of 100 or 10^6 runs out within one run of the
 * harness (tens of millions of calls), so a row that only took numbers
 * would stop measuring after a few milliseconds.  Giving each number back
 * right after taking it is the steady state of a bounded range, and the
 * same unit at every N.  SEQUENCE nextval alone (numbers 1, 2, 3 ... never
 * given back, the harness's own duplicate check on them) is measured
 * where the range cannot run out, at 10^9, and that is the row the
 * "at most 2x nextval without a bitmap" target is judged on.
 *
 * Which numbers.  The claim + release pair: thread i of T owns the i-th of
 * T equal slices of N/2 + 1 .. N and walks it in order, wrapping within
 * its slice, so threads never collide and every claim must succeed (any
 * other result is a failure).  In order rather than at random: a random
 * number in 10^9 bits is a cache miss per call, which would measure the
 * memory system, not the bitmap (the baselines get the same walk).  The
 * nextval pairs take what the policy hands out: LOWEST_FREE always
 * N/2 + 1 on one thread (the search walks past N/2 claimed numbers each
 * time); SEQUENCE and CYCLIC walk N/2 + 1 .. N and wrap, SEQUENCE stepping
 * over the claimed 1 .. N/2 after each wrap with one draw per number (the
 * policy's rule), CYCLIC jumping them with one search.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime (claims_rows.h) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "claims_rows.h"
#include "numseq_rows.h"

/* ------------------------------------------------ the half-claimed state */

/* One row's sequence, kept from run to run (see claims_rows.h). */
typedef struct cl_seq {
	numseq_t *s;
	numseq_claims_t policy;
	int64_t n;    /* MAXVALUE; MINVALUE is 1 */
	int64_t fill; /* 1 .. fill claimed */
	bool ready;   /* built, and intact after the last run */
	bool atexit_done;
	/* The bitmap's counters when the current run started. */
	uint64_t issued0;
	uint64_t released0;
} cl_seq_t;

static cl_seq_t *cl_all[16]; /* for cl_free_all */
static unsigned cl_nall;

static void cl_free_all(void)
{
	for (unsigned i = 0; i < cl_nall; i++) {
		numseq_destroy(&cl_all[i]->s);
		cl_all[i]->ready = false;
	}
}

/* A sequence MINVALUE 1 MAXVALUE n under policy (CLAIMS_NONE: no bitmap),
 * CACHE 1, CYCLE if asked. */
static numseq_t *cl_create(numseq_claims_t policy, int64_t n, bool cycle)
{
	numseq_options_t o;
	numseq_t *s = NULL;
	numseq_error_t err;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_MINVALUE | NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_START;
	o.minvalue = 1;
	o.maxvalue = n;
	o.start = 1;
	if (policy != NUMSEQ_CLAIMS_NONE) {
		o.set |= NUMSEQ_OPT_CLAIMS;
		o.claims = policy;
	}
	if (cycle) {
		o.set |= NUMSEQ_OPT_CYCLE;
		o.cycle = true;
	}
	if (numseq_create(&s, &o, &err) != NUMSEQ_OK) {
		(void)fprintf(stderr, "claims: create (N = %" PRId64 "): %s\n", n, err.message);
		return NULL;
	}
	return s;
}

/* Claims 1 .. fill; SEQUENCE and CYCLIC then continue after fill, as if
 * nextval had handed those numbers out (setval moves the counter or the
 * cursor; LOWEST_FREE needs nothing, it searches from START). */
static bool cl_build(cl_seq_t *c)
{
	numseq_error_t err;
	numseq_destroy(&c->s);
	c->fill = cl_fill(c->n);
	/* SEQUENCE cycles: a pair row must be able to wrap (CYCLIC wraps by
	 * itself, LOWEST_FREE never needs to). */
	c->s = cl_create(c->policy, c->n, c->policy == NUMSEQ_CLAIMS_SEQUENCE);
	if (!c->s)
		return false;
	for (int64_t v = 1; v <= c->fill; v++)
		if (numseq_claim(c->s, v, &err) != NUMSEQ_OK) {
			(void)fprintf(stderr, "claims: pre-fill claim(%" PRId64 "): %s\n", v,
			              err.message);
			return false;
		}
	if (c->policy != NUMSEQ_CLAIMS_LOWEST_FREE && c->fill > 0 &&
	    numseq_setval(c->s, c->fill, true, &err) != NUMSEQ_OK) {
		(void)fprintf(stderr, "claims: pre-fill setval: %s\n", err.message);
		return false;
	}
	if (!c->atexit_done && cl_nall < sizeof(cl_all) / sizeof(cl_all[0])) {
		/* if atexit fails, process exit frees the memory all the same */
		if (cl_nall == 0)
			(void)atexit(cl_free_all);
		cl_all[cl_nall++] = c;
		c->atexit_done = true;
	}
	c->ready = true;
	return true;
}

static void *cl_seq_setup(cl_seq_t *c, unsigned nthreads)
{
	numseq_claim_stats_t cs;
	if (!c->ready && !cl_build(c))
		return NULL;
	/* The claim pair gives each thread a slice of the free half. */
	if ((uint64_t)(c->n - c->fill) < nthreads)
		return NULL;
	if (numseq_claim_stats(c->s, &cs) != NUMSEQ_OK)
		return NULL;
	c->issued0 = cs.issued;
	c->released0 = cs.released;
	return c;
}

static void cl_seq_teardown(void *st)
{
	(void)st; /* kept for the next run; freed at exit */
}

/* After the threads joined: the bitmap holds 1 .. fill again, and its
 * counters moved by exactly the pairs the threads completed. */
static int cl_seq_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                           bench_range_t *out, unsigned max)
{
	cl_seq_t *c = st;
	numseq_claim_stats_t cs;
	uint64_t pairs = cl_pairs(threads, nthreads);
	const char *bad = NULL;

	if (numseq_claim_stats(c->s, &cs) != NUMSEQ_OK)
		bad = "numseq_claim_stats failed";
	else if (cs.claimed != (uint64_t)c->fill)
		bad = "claimed count differs from the pre-filled state";
	else if (cs.issued - c->issued0 != pairs)
		bad = "issued counter moved by more or less than the pairs done";
	else if (cs.released - c->released0 != pairs)
		bad = "released counter moved by more or less than the pairs done";
	else if (c->fill > 0 &&
	         (!cs.has_claimed || cs.min_claimed != 1 || cs.max_claimed != c->fill))
		bad = "claimed numbers are not 1 .. N/2";
	else if (!cs.has_free || cs.first_free != c->fill + 1)
		bad = "first free number is not N/2 + 1";
	if (bad) {
		(void)fprintf(stderr,
		              "\nclaims: N = %" PRId64 ", policy %d: %s (claimed %" PRIu64
		              ", issued +%" PRIu64 ", released +%" PRIu64 ", pairs %" PRIu64
		              ", min %" PRId64 ", max %" PRId64 ", first free %" PRId64 ")\n",
		              c->n, (int)c->policy, bad, cs.claimed, cs.issued - c->issued0,
		              cs.released - c->released0, pairs, cs.min_claimed, cs.max_claimed,
		              cs.first_free);
		c->ready = false; /* rebuilt for the next run */
		return -1;
	}
	return cl_ticket_ranges(threads, nthreads, out, max);
}

/* ------------------------------------------------------------------ ops */

/* claim(v); release(v), v walking the thread's slice of fill+1 .. n.
 * local[1]: next v; local[2], local[3]: the slice (0: not set yet). */
static inline bench_vals_t cl_claim_pair(void *st, bench_thread_t *t)
{
	cl_seq_t *c = st;
	if (t->local[3] == 0) {
		uint64_t len = (uint64_t)(c->n - c->fill) / t->nthreads;
		t->local[2] = (uint64_t)c->fill + 1 + t->tid * len;
		t->local[3] = t->local[2] + len - 1;
		t->local[1] = t->local[2];
	}
	int64_t v = (int64_t)t->local[1];
	t->local[1] = t->local[1] == t->local[3] ? t->local[2] : t->local[1] + 1;
	int rc = numseq_claim(c->s, v, NULL);
	if (rc == NUMSEQ_OK)
		rc = numseq_release(c->s, v, NULL);
	if (rc != NUMSEQ_OK) {
		cl_fail(t, rc);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
BENCH_OP_LOOPS(cl_claim_pair)

/* nextval; release.  On one thread the number must be the policy's:
 * LOWEST_FREE fill+1 every time, SEQUENCE and CYCLIC the previous + 1,
 * wrapping to fill+1 (local[1]: the expected one, 0 before the first). */
static inline bench_vals_t cl_alloc_pair(void *st, bench_thread_t *t)
{
	cl_seq_t *c = st;
	int64_t v;
	int rc = numseq_nextval(c->s, &v, NULL);
	if (rc != NUMSEQ_OK) {
		cl_fail(t, rc);
		return (bench_vals_t){0, 0};
	}
	if (v <= c->fill || v > c->n) {
		cl_fail(t, CL_EOUTSIDE);
		return (bench_vals_t){0, 0};
	}
	if (t->nthreads == 1) {
		if (c->policy == NUMSEQ_CLAIMS_LOWEST_FREE)
			t->local[1] = (uint64_t)c->fill + 1;
		if (t->local[1] != 0 && (uint64_t)v != t->local[1]) {
			cl_fail(t, CL_EORDER);
			return (bench_vals_t){0, 0};
		}
		t->local[1] = v == c->n ? (uint64_t)c->fill + 1 : (uint64_t)v + 1;
	}
	rc = numseq_release(c->s, v, NULL);
	if (rc != NUMSEQ_OK) {
		cl_fail(t, rc);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
BENCH_OP_LOOPS(cl_alloc_pair)

/* One cached state and its setup per row. */
#define CL_SEQ_STATE(ID, POLICY, N)                                  \
	static cl_seq_t ID##_state = {.policy = (POLICY), .n = (N)}; \
	static void *ID##_setup(unsigned nthreads)                   \
	{                                                            \
		return cl_seq_setup(&ID##_state, nthreads);          \
	}

CL_SEQ_STATE(claim_100, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_SMALL)
CL_SEQ_STATE(claim_1e6, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_MID)
CL_SEQ_STATE(claim_1e9, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_LARGE)
CL_SEQ_STATE(seqrel_100, NUMSEQ_CLAIMS_SEQUENCE, CL_N_SMALL)
CL_SEQ_STATE(seqrel_1e6, NUMSEQ_CLAIMS_SEQUENCE, CL_N_MID)
CL_SEQ_STATE(seqrel_1e9, NUMSEQ_CLAIMS_SEQUENCE, CL_N_LARGE)
CL_SEQ_STATE(lowest_100, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_SMALL)
CL_SEQ_STATE(lowest_1e6, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_MID)
CL_SEQ_STATE(lowest_1e9, NUMSEQ_CLAIMS_LOWEST_FREE, CL_N_LARGE)
CL_SEQ_STATE(cyclic_100, NUMSEQ_CLAIMS_CYCLIC, CL_N_SMALL)
CL_SEQ_STATE(cyclic_1e6, NUMSEQ_CLAIMS_CYCLIC, CL_N_MID)
CL_SEQ_STATE(cyclic_1e9, NUMSEQ_CLAIMS_CYCLIC, CL_N_LARGE)

/* --------------------------------------- SEQUENCE nextval alone, 10^9 */

/* A fresh sequence per run, MINVALUE 1 MAXVALUE 10^9, CACHE 1, with an
 * empty SEQUENCE bitmap or none: numbers 1, 2, 3 ..., checked by the
 * harness like the plain nextval rows. */
static void *seq_bm_setup(unsigned nthreads)
{
	(void)nthreads;
	return cl_create(NUMSEQ_CLAIMS_SEQUENCE, CL_N_LARGE, false);
}

static void *seq_plain_setup(unsigned nthreads)
{
	(void)nthreads;
	return cl_create(NUMSEQ_CLAIMS_NONE, CL_N_LARGE, false);
}

/* The same two with CYCLE (never reached in a run), the option the
 * SEQUENCE pair rows need: CYCLE changes the cost of nextval itself. */
static void *seq_bm_cyc_setup(unsigned nthreads)
{
	(void)nthreads;
	return cl_create(NUMSEQ_CLAIMS_SEQUENCE, CL_N_LARGE, true);
}

static void *seq_plain_cyc_setup(unsigned nthreads)
{
	(void)nthreads;
	return cl_create(NUMSEQ_CLAIMS_NONE, CL_N_LARGE, true);
}

/* 1 .. last_value handed out, and each of them marked in the bitmap. */
static int seq_bm_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                           bench_range_t *out, unsigned max)
{
	numseq_claim_stats_t cs;
	int nr = seq_reserved(st, threads, nthreads, out, max);
	if (nr != 1 || numseq_claim_stats(st, &cs) != NUMSEQ_OK)
		return -1;
	uint64_t handed = (uint64_t)(out[0].last - out[0].first + 1);
	if (cs.claimed != handed || cs.issued != handed || cs.skipped != 0 ||
	    (handed && (cs.min_claimed != 1 || cs.max_claimed != out[0].last))) {
		(void)fprintf(stderr,
		              "\nclaims: SEQUENCE nextval: %" PRIu64 " handed out but %" PRIu64
		              " claimed, %" PRIu64 " issued, %" PRIu64 " skipped\n",
		              handed, cs.claimed, cs.issued, cs.skipped);
		return -1;
	}
	return nr;
}

/* ------------------------------------------------------------------ table */

#define CL_STATE_TAIL                                                                         \
	" on a sequence MINVALUE 1 MAXVALUE N whose numbers 1 .. N/2 are claimed; timed per " \
	"pair"
#define CL_CLAIM_NOTE                                                                             \
	"`numseq_claim(s, v)`; `numseq_release(s, v)`, v walking the thread's slice of N/2+1 .. " \
	"N" CL_STATE_TAIL
#define CL_SEQREL_NOTE \
	"SEQUENCE policy, CYCLE: `numseq_nextval(s, &v)`; `numseq_release(s, v)`" CL_STATE_TAIL
#define CL_LOWEST_NOTE \
	"LOWEST_FREE policy: `numseq_nextval(s, &v)`; `numseq_release(s, v)`" CL_STATE_TAIL
#define CL_CYCLIC_NOTE \
	"CYCLIC policy: `numseq_nextval(s, &v)`; `numseq_release(s, v)`" CL_STATE_TAIL

/* A row on one of the cached states above; OP: cl_claim_pair or
 * cl_alloc_pair. */
#define CL_PAIR_ROW(ID, NAME, LABEL, NOTE, OP)                                                 \
	{                                                                                      \
		.name = (NAME), .label = (LABEL), .note = (NOTE), .max_per_op = 1,             \
		.setup = ID##_setup, .teardown = cl_seq_teardown, .reserved = cl_seq_reserved, \
		BENCH_LOOPS(OP)                                                                \
	}

static const bench_contender_t claims_rows[] = {
	CL_PAIR_ROW(claim_100, "cl-claim-100", "numseq claim+release, N = 100", CL_CLAIM_NOTE,
                    cl_claim_pair),
	CL_PAIR_ROW(claim_1e6, "cl-claim-1e6", "numseq claim+release, N = 10^6", CL_CLAIM_NOTE,
                    cl_claim_pair),
	CL_PAIR_ROW(claim_1e9, "cl-claim-1e9", "numseq claim+release, N = 10^9", CL_CLAIM_NOTE,
                    cl_claim_pair),
	{.name = "cl-seq-1e9",
         .label = "numseq SEQUENCE nextval, bitmap, N = 10^9",
         .note = "`numseq_nextval(s, &v)` under the SEQUENCE policy, fresh empty bitmap, "
                 "MINVALUE 1 MAXVALUE 10^9, NO CYCLE, CACHE 1: numbers 1, 2, 3 ... each marked",
         .max_per_op = 1,
         .setup = seq_bm_setup,
         .teardown = seq_teardown,
         .reserved = seq_bm_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = "cl-plain-1e9",
         .label = "numseq nextval, no bitmap, N = 10^9",
         .note = "`numseq_nextval(s, &v)` without a bitmap, MINVALUE 1 MAXVALUE 10^9, NO CYCLE, "
                 "CACHE 1 (the SEQUENCE target's reference)",
         .max_per_op = 1,
         .setup = seq_plain_setup,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = "cl-seq-cyc-1e9",
         .label = "numseq SEQUENCE nextval, bitmap, CYCLE, N = 10^9",
         .note = "as `cl-seq-1e9`, with CYCLE (not reached in a run)",
         .max_per_op = 1,
         .setup = seq_bm_cyc_setup,
         .teardown = seq_teardown,
         .reserved = seq_bm_reserved,
         BENCH_LOOPS(seq_nextval)},
	{.name = "cl-plain-cyc-1e9",
         .label = "numseq nextval, no bitmap, CYCLE, N = 10^9",
         .note = "as `cl-plain-1e9`, with CYCLE (not reached in a run)",
         .max_per_op = 1,
         .setup = seq_plain_cyc_setup,
         .teardown = seq_teardown,
         .reserved = seq_reserved,
         BENCH_LOOPS(seq_nextval)},
	CL_PAIR_ROW(seqrel_100, "cl-seqrel-100", "numseq SEQUENCE nextval+release, N = 100",
                    CL_SEQREL_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(seqrel_1e6, "cl-seqrel-1e6", "numseq SEQUENCE nextval+release, N = 10^6",
                    CL_SEQREL_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(seqrel_1e9, "cl-seqrel-1e9", "numseq SEQUENCE nextval+release, N = 10^9",
                    CL_SEQREL_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(lowest_100, "cl-lowest-100", "numseq LOWEST_FREE nextval+release, N = 100",
                    CL_LOWEST_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(lowest_1e6, "cl-lowest-1e6", "numseq LOWEST_FREE nextval+release, N = 10^6",
                    CL_LOWEST_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(lowest_1e9, "cl-lowest-1e9", "numseq LOWEST_FREE nextval+release, N = 10^9",
                    CL_LOWEST_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(cyclic_100, "cl-cyclic-100", "numseq CYCLIC nextval+release, N = 100",
                    CL_CYCLIC_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(cyclic_1e6, "cl-cyclic-1e6", "numseq CYCLIC nextval+release, N = 10^6",
                    CL_CYCLIC_NOTE, cl_alloc_pair),
	CL_PAIR_ROW(cyclic_1e9, "cl-cyclic-1e9", "numseq CYCLIC nextval+release, N = 10^9",
                    CL_CYCLIC_NOTE, cl_alloc_pair),
	{.name = NULL},
};

const bench_group_t bench_group_claims = {"claims", claims_rows};
