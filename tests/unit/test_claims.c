/*
 * test_claims.c - the claimed-number bitmap through the public API: create
 * validation, claim / release / is_claimed and their errors, the three
 * policies, setval / RESTART / ALTER under a bitmap, statistics and
 * iteration, int64 limits, allocation failure.
 *
 * PostgreSQL has no bitmap; where a rule is PostgreSQL's (validation order,
 * the unique-violation SQLSTATE 23505, nextval consuming a value whose
 * INSERT then fails) the comment says so.  The rest is numseq's own
 * contract, from numseq.h and docs/semantics.md section 14.
 */
#include <stdlib.h>

#include "numseq_test.h"
#include "unit_common.h"

#define O_CLAIMS NUMSEQ_OPT_CLAIMS
#define SEQP NUMSEQ_CLAIMS_SEQUENCE
#define LOWP NUMSEQ_CLAIMS_LOWEST_FREE
#define CYCP NUMSEQ_CLAIMS_CYCLIC

static void claim_ok(numseq_t *s, int64_t v)
{
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_claim(s, v, &e);
	if (rc != NUMSEQ_OK)
		fail_msg("claim(%" PRId64 ") returned %d: %s", v, rc, e.message);
}

static void release_ok(numseq_t *s, int64_t v)
{
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_release(s, v, &e);
	if (rc != NUMSEQ_OK)
		fail_msg("release(%" PRId64 ") returned %d: %s", v, rc, e.message);
}

static bool claimed(numseq_t *s, int64_t v)
{
	bool b = false;
	assert_rc(numseq_is_claimed(s, v, &b, NULL), NUMSEQ_OK);
	return b;
}

static numseq_claim_stats_t stats(numseq_t *s)
{
	numseq_claim_stats_t st;
	assert_rc(numseq_claim_stats(s, &st), NUMSEQ_OK);
	return st;
}

/* ------------------------------------------------------------- create */

static void test_create_validation(void **state)
{
	(void)state;
	/* PostgreSQL's own checks come first (INCREMENT 0 before the bitmap). */
	CREATE_FAILS(NUMSEQ_EINCREMENT, "22023", "INCREMENT must not be zero",
	             .set = O_CLAIMS | O_INC | O_MAX, .claims = LOWP, .increment = 0,
	             .maxvalue = 10);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, "unknown claims policy 7", .set = O_CLAIMS | O_MAX,
	             .claims = (numseq_claims_t)7, .maxvalue = 10);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, "unknown claims flags 0x4", .set = O_CLAIMS | O_MAX,
	             .claims = SEQP, .claims_flags = 5, .maxvalue = 10);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL,
	             "NUMSEQ_CLAIMS_F_CONFLICT applies to the SEQUENCE policy only",
	             .set = O_CLAIMS | O_MAX, .claims = LOWP,
	             .claims_flags = NUMSEQ_CLAIMS_F_CONFLICT, .maxvalue = 10);
	/* An unbounded bigint range has 2^63-1 numbers. */
	CREATE_FAILS(NUMSEQ_ECLAIMSRANGE, "22023", NULL, .set = O_CLAIMS, .claims = SEQP);
	CREATE_FAILS(NUMSEQ_ECLAIMSRANGE, "22023", NULL, .set = O_CLAIMS | O_MIN | O_MAX,
	             .claims = CYCP, .minvalue = I64MIN, .maxvalue = I64MAX);
	/* 2^36 numbers fit, one more does not. */
	CREATE_FAILS(NUMSEQ_ECLAIMSRANGE, "22023", NULL, .set = O_CLAIMS | O_MIN | O_MAX,
	             .claims = LOWP, .minvalue = 0, .maxvalue = (int64_t)NUMSEQ_CLAIMS_MAX);
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MIN | O_MAX, .claims = LOWP, .minvalue = 1,
	                  .maxvalue = (int64_t)NUMSEQ_CLAIMS_MAX);
	assert_true(stats(s).capacity == NUMSEQ_CLAIMS_MAX);
	seq_free(&s);
	/* The grid of INCREMENT 3 from MINVALUE 1 is 1, 4, 7, ... */
	CREATE_FAILS(NUMSEQ_EGRID, "22023",
	             "START value (5) is not on the grid of the claimed-number bitmap "
	             "(1 + k * 3)",
	             .set = O_CLAIMS | O_INC | O_MAX | O_START, .claims = SEQP, .increment = 3,
	             .maxvalue = 100, .start = 5);
	CREATE_FAILS(NUMSEQ_EGRID, "22023",
	             "RESTART value (9) is not on the grid of the claimed-number bitmap "
	             "(100 - k * 2)",
	             .set = O_CLAIMS | O_INC | O_MIN | O_MAX | O_RESTART_WITH, .claims = CYCP,
	             .increment = -2, .minvalue = 1, .maxvalue = 100, .restart = 9);
	CREATE_FAILS(NUMSEQ_EPOLICY, "0A000",
	             "CACHE (5) must be 1 under the LOWEST_FREE claims policy",
	             .set = O_CLAIMS | O_MAX | O_CACHE, .claims = LOWP, .maxvalue = 10, .cache = 5);
	CREATE_FAILS(NUMSEQ_EPOLICY, "0A000", "CACHE (2) must be 1 under the CYCLIC claims policy",
	             .set = O_CLAIMS | O_MAX | O_CACHE, .claims = CYCP, .maxvalue = 10, .cache = 2);
	/* NONE is no bitmap, and so are options without NUMSEQ_OPT_CLAIMS. */
	s = SEQ(.set = O_CLAIMS, .claims = NUMSEQ_CLAIMS_NONE);
	assert_rc(numseq_claim(s, 1, NULL), NUMSEQ_ENOCLAIMS);
	seq_free(&s);
	s = SEQ(.set = O_MAX, .claims = LOWP, .maxvalue = 5);
	assert_rc(numseq_claim(s, 1, NULL), NUMSEQ_ENOCLAIMS);
	seq_free(&s);
}

static void test_no_bitmap(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 5);
	numseq_error_t e;
	numseq_claim_stats_t st;
	uint64_t cur = 0;
	int64_t v;
	bool b;
	CHECK_ERR(numseq_claim(s, 1, &e), &e, NUMSEQ_ENOCLAIMS, "55000",
	          "claim: sequence \"s\" has no claimed-number bitmap");
	CHECK_ERR(numseq_release(s, 1, &e), &e, NUMSEQ_ENOCLAIMS, "55000",
	          "release: sequence \"s\" has no claimed-number bitmap");
	CHECK_ERR(numseq_is_claimed(s, 1, &b, &e), &e, NUMSEQ_ENOCLAIMS, "55000", NULL);
	assert_rc(numseq_claim_stats(s, &st), NUMSEQ_ENOCLAIMS);
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_ENOCLAIMS);
	/* NULL handles */
	assert_rc(numseq_claim(NULL, 1, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_release(NULL, 1, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_is_claimed(NULL, 1, &b, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_claim_stats(NULL, &st), NUMSEQ_EINVAL);
	assert_rc(numseq_claimed_next(NULL, &cur, &v), NUMSEQ_EINVAL);
	seq_free(&s);
}

/* ----------------------------------------------------- claim / release */

static void test_claim_release_errors(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_INC | O_MAX, .claims = SEQP, .increment = 3,
	                  .maxvalue = 100);
	numseq_error_t e;
	bool b = true;

	assert_false(claimed(s, 4));
	claim_ok(s, 4);
	assert_true(claimed(s, 4));
	/* The unique-violation analogue: SQLSTATE 23505 as PostgreSQL's. */
	CHECK_ERR(numseq_claim(s, 4, &e), &e, NUMSEQ_ECLAIMED, "23505",
	          "duplicate key value violates unique constraint \"s_claims\": "
	          "Key (value)=(4) already exists.");
	CHECK_ERR(numseq_claim(s, 0, &e), &e, NUMSEQ_ERANGE, "22003",
	          "claim: value 0 is out of bounds for sequence \"s\" (1..100)");
	CHECK_ERR(numseq_claim(s, 101, &e), &e, NUMSEQ_ERANGE, "22003", NULL);
	CHECK_ERR(numseq_claim(s, I64MIN, &e), &e, NUMSEQ_ERANGE, "22003", NULL);
	CHECK_ERR(numseq_claim(s, 5, &e), &e, NUMSEQ_EGRID, "22023",
	          "claim: value 5 is not a number of sequence \"s\" (1 + k * 3)");
	CHECK_ERR(numseq_release(s, 6, &e), &e, NUMSEQ_EGRID, "22023", NULL);
	CHECK_ERR(numseq_is_claimed(s, 6, &b, &e), &e, NUMSEQ_EGRID, "22023", NULL);
	CHECK_ERR(numseq_is_claimed(s, 200, &b, &e), &e, NUMSEQ_ERANGE, "22003", NULL);
	CHECK_ERR(numseq_is_claimed(s, 4, NULL, &e), &e, NUMSEQ_EINVAL, NULL, NULL);
	/* 100 is the last number: 1 + 33 * 3 */
	claim_ok(s, 100);
	release_ok(s, 100);
	/* Double release is detected, never silently accepted. */
	CHECK_ERR(numseq_release(s, 100, &e), &e, NUMSEQ_ENOTCLAIMED, "55000",
	          "release: value 100 of sequence \"s\" is not claimed");
	CHECK_ERR(numseq_release(s, 7, &e), &e, NUMSEQ_ENOTCLAIMED, "55000", NULL);
	release_ok(s, 4);
	assert_false(claimed(s, 4));
	claim_ok(s, 4); /* and it can be claimed again */
	numseq_claim_stats_t st = stats(s);
	assert_true(st.issued == 3 && st.released == 2 && st.claimed == 1);
	seq_free(&s);
}

/* ----------------------------------------------------------- SEQUENCE */

static void test_sequence_policy_marks_and_skips(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = SEQP, .maxvalue = 10);
	numseq_error_t e;
	int64_t v;

	NEXTS(s, 1, 2);
	assert_true(claimed(s, 1) && claimed(s, 2) && !claimed(s, 3));
	/* Claimed by hand ahead of the counter: nextval steps over them. */
	claim_ok(s, 3);
	claim_ok(s, 5);
	NEXTS(s, 4, 6);
	assert_i64((int64_t)stats(s).skipped, 2);
	assert_rc(numseq_currval(s, &v, NULL), NUMSEQ_OK);
	assert_i64(v, 6);
	READ_IS(s, 6, true);
	/* A number handed out by nextval cannot be claimed again. */
	CHECK_ERR(numseq_claim(s, 6, &e), &e, NUMSEQ_ECLAIMED, "23505", NULL);
	/* setval back over claimed numbers: they are skipped, released ones
	 * are handed out again. */
	release_ok(s, 2);
	assert_rc(numseq_setval(s, 1, true, NULL), NUMSEQ_OK);
	NEXTS(s, 2, 7, 8);
	/* setval off the grid is impossible with INCREMENT 1; the bound still
	 * holds as in PostgreSQL. */
	NEXTS(s, 9, 10);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (10)");
	numseq_claim_stats_t st = stats(s);
	assert_true(st.claimed == 10 && !st.has_free && st.has_claimed);
	assert_i64(st.max_claimed, 10);
	assert_i64(st.min_claimed, 1);
	/* nextval_n cannot skip claimed numbers: refused. */
	numseq_block_t b;
	CHECK_ERR(numseq_nextval_n(s, 2, &b, &e), &e, NUMSEQ_EPOLICY, "0A000", NULL);
	seq_free(&s);
}

/* PostgreSQL: nextval() consumes the value even when the INSERT that uses
 * it then fails on the unique index; currval is that value. */
static void test_sequence_policy_conflict(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = SEQP,
	                  .claims_flags = NUMSEQ_CLAIMS_F_CONFLICT, .maxvalue = 10);
	numseq_error_t e;
	int64_t v;
	claim_ok(s, 2);
	NEXT(s, 1);
	CHECK_ERR(numseq_nextval(s, &v, &e), &e, NUMSEQ_ECLAIMED, "23505",
	          "duplicate key value violates unique constraint \"s_claims\": "
	          "Key (value)=(2) already exists.");
	assert_rc(numseq_currval(s, &v, NULL), NUMSEQ_OK);
	assert_i64(v, 2);
	NEXT(s, 3);
	assert_i64((int64_t)stats(s).skipped, 1);
	numseq_options_t o;
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	assert_true(o.claims == SEQP && o.claims_flags == NUMSEQ_CLAIMS_F_CONFLICT);
	assert_true(o.set & O_CLAIMS);
	seq_free(&s);
}

static void test_sequence_policy_cycle_and_grid(void **state)
{
	(void)state;
	numseq_error_t e;
	/* CYCLE over 1..4: after a wrap only released numbers come back; when
	 * every number is claimed nextval says so instead of looping. */
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX | O_CYCLE, .claims = SEQP, .maxvalue = 4,
	                  .cycle = true);
	NEXTS(s, 1, 2, 3, 4);
	NEXT_FAILS(s, NUMSEQ_EFULL, "2200H",
	           "nextval: no unclaimed value left in sequence \"s\" (1..4)");
	release_ok(s, 3);
	NEXT(s, 3);
	release_ok(s, 1);
	release_ok(s, 4);
	NEXTS(s, 4, 1);
	seq_free(&s);

	/* Descending, INCREMENT -5 from 100: the grid is 100, 95, ..., 5. */
	s = SEQ(.set = O_CLAIMS | O_INC | O_MIN | O_MAX, .claims = SEQP, .increment = -5,
	        .minvalue = 1, .maxvalue = 100);
	assert_true(stats(s).capacity == 20);
	claim_ok(s, 95);
	NEXTS(s, 100, 90);
	CHECK_ERR(numseq_setval(s, 51, true, &e), &e, NUMSEQ_EGRID, "22023",
	          "setval: value 51 is not a number of sequence \"s\" (100 - k * 5)");
	/* The bounds check keeps PostgreSQL's message and comes first. */
	CHECK_ERR(numseq_setval(s, 101, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 101 is out of bounds for sequence \"s\" (1..100)");
	assert_rc(numseq_setval(s, 55, false, NULL), NUMSEQ_OK);
	NEXTS(s, 55, 50);
	CHECK_ERR(numseq_restart_with(s, 52, &e), &e, NUMSEQ_EGRID, "22023", NULL);
	assert_rc(numseq_restart_with(s, 95, NULL), NUMSEQ_OK);
	NEXT(s, 85); /* 95 and 90 are claimed */
	seq_free(&s);

	/* CACHE works under SEQUENCE: values are marked when served. */
	s = SEQ(.set = O_CLAIMS | O_MAX | O_CACHE, .claims = SEQP, .maxvalue = 100, .cache = 5);
	NEXT(s, 1);
	claim_ok(s, 3); /* inside this thread's cached block */
	NEXTS(s, 2, 4, 5, 6);
	assert_false(claimed(s, 7));
	seq_free(&s);
}

/* -------------------------------------------------------- LOWEST_FREE */

static void test_lowest_free(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = LOWP, .maxvalue = 200);
	numseq_error_t e;
	int64_t v;
	bool called;

	READ_IS(s, 1, false);
	for (int64_t i = 1; i <= 130; i++)
		NEXT(s, i);
	READ_IS(s, 130, true);
	/* Released numbers come back lowest first. */
	release_ok(s, 77);
	release_ok(s, 3);
	release_ok(s, 64);
	NEXTS(s, 3, 64, 77, 131);
	claim_ok(s, 132);
	NEXT(s, 133);
	numseq_claim_stats_t st = stats(s);
	assert_true(st.claimed == 133 && st.issued == 136 && st.released == 3);
	assert_true(st.has_free && st.first_free == 134);
	assert_true(st.has_claimed && st.min_claimed == 1 && st.max_claimed == 133);
	/* setval and RESTART have no meaning here. */
	CHECK_ERR(numseq_setval(s, 5, true, &e), &e, NUMSEQ_EPOLICY, "0A000", NULL);
	CHECK_ERR(numseq_restart(s, &e), &e, NUMSEQ_EPOLICY, "0A000", NULL);
	assert_rc(numseq_read(s, &v, &called), NUMSEQ_OK);
	assert_i64(v, 133);
	seq_free(&s);

	/* START is the floor; with CYCLE the search wraps to MINVALUE. */
	s = SEQ(.set = O_CLAIMS | O_MAX | O_START, .claims = LOWP, .maxvalue = 5, .start = 4);
	NEXTS(s, 4, 5);
	NEXT_FAILS(s, NUMSEQ_EFULL, "2200H",
	           "nextval: no unclaimed value left in sequence \"s\" (1..5)");
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = O_CYCLE;
	o.cycle = true;
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_OK);
	NEXTS(s, 1, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EFULL, NULL, NULL);
	release_ok(s, 5);
	release_ok(s, 2);
	NEXTS(s, 5, 2); /* from START first */
	assert_true(stats(s).wraps >= 1);
	/* ALTER START moves the floor. */
	o.set = O_START;
	o.start = 1;
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_OK);
	release_ok(s, 1);
	release_ok(s, 4);
	NEXTS(s, 1, 4);
	seq_free(&s);

	/* Descending: "lowest" is first in the sequence's order. */
	s = SEQ(.set = O_CLAIMS | O_INC | O_MIN | O_MAX, .claims = LOWP, .increment = -2,
	        .minvalue = -10, .maxvalue = 10);
	NEXTS(s, 10, 8, 6);
	release_ok(s, 8);
	NEXTS(s, 8, 4);
	st = stats(s);
	assert_true(st.first_free == 2 && st.max_claimed == 10 && st.min_claimed == 4);
	seq_free(&s);
}

/* ------------------------------------------------------------- CYCLIC */

static void test_cyclic(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = CYCP, .maxvalue = 6);
	numseq_error_t e;
	NEXTS(s, 1, 2, 3);
	release_ok(s, 2);
	/* The cursor moves on: 2 is not reused until the wrap. */
	NEXTS(s, 4, 5, 6);
	assert_i64((int64_t)stats(s).wraps, 0);
	NEXT(s, 2); /* wrapped, skipping 1 (still claimed) */
	assert_i64((int64_t)stats(s).wraps, 1);
	NEXT_FAILS(s, NUMSEQ_EFULL, "2200H", NULL);
	release_ok(s, 1);
	release_ok(s, 5);
	NEXTS(s, 5, 1);
	READ_IS(s, 1, true);
	/* setval moves the cursor, like writing ns_last_pid. */
	release_ok(s, 3);
	release_ok(s, 4);
	assert_rc(numseq_setval(s, 3, true, NULL), NUMSEQ_OK);
	READ_IS(s, 3, true);
	NEXT(s, 4);
	assert_rc(numseq_restart_with(s, 3, NULL), NUMSEQ_OK);
	READ_IS(s, 3, false);
	NEXT(s, 3);
	CHECK_ERR(numseq_setval(s, 0, true, &e), &e, NUMSEQ_ESETVAL, "22003", NULL);
	seq_free(&s);

	/* Starting mid-range; INCREMENT 10. */
	s = SEQ(.set = O_CLAIMS | O_INC | O_MAX | O_START, .claims = CYCP, .increment = 10,
	        .maxvalue = 41, .start = 31);
	NEXTS(s, 31, 41, 1, 11, 21);
	NEXT_FAILS(s, NUMSEQ_EFULL, NULL, NULL);
	seq_free(&s);
}

/* ------------------------------------------------------------- ALTER */

static void test_alter_under_bitmap(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = SEQP, .maxvalue = 100);
	numseq_error_t e;
	numseq_options_t o;

	numseq_options_init(&o);
	o.set = O_MAX;
	o.maxvalue = 200;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EPOLICY, "0A000",
	          "ALTER SEQUENCE \"s\": INCREMENT, MINVALUE and MAXVALUE of a sequence with a "
	          "claimed-number bitmap are fixed at creation");
	o.maxvalue = 100; /* the same range is fine */
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_OK);
	/* PostgreSQL's own checks still come first. */
	o.set = O_MIN;
	o.minvalue = 500;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EMINMAX, "22023", NULL);
	o.set = O_INC;
	o.increment = 2;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EPOLICY, "0A000", NULL);
	o.set = O_CLAIMS;
	o.claims = LOWP;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EOPTION, NULL,
	          "the claims policy is fixed at creation");
	o.set = O_CACHE;
	o.cache = 10; /* SEQUENCE may cache */
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_OK);
	NEXT(s, 1);
	seq_free(&s);

	s = SEQ(.set = O_CLAIMS | O_MAX | O_INC, .claims = CYCP, .maxvalue = 100, .increment = 3);
	o.set = O_CACHE;
	o.cache = 2;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EPOLICY, "0A000", NULL);
	o.set = O_START;
	o.start = 3;
	CHECK_ERR(numseq_alter(s, &o, &e), &e, NUMSEQ_EGRID, "22023", NULL);
	o.set = O_START | O_RESTART;
	o.start = 10;
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_OK);
	NEXTS(s, 10, 13);
	seq_free(&s);
}

/* ------------------------------------------------- stats and iteration */

static void test_iteration(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MAX, .claims = LOWP, .maxvalue = 1000000);
	const int64_t want[] = {1, 2, 63, 64, 65, 4095, 4096, 4097, 262144, 999999, 1000000};
	const size_t n = sizeof want / sizeof want[0];
	uint64_t cur = 0;
	int64_t v;
	size_t i = 0;

	for (size_t k = n; k-- > 0;)
		claim_ok(s, want[k]);
	while (numseq_claimed_next(s, &cur, &v) == NUMSEQ_OK) {
		assert_true(i < n);
		assert_i64(v, want[i]);
		i++;
	}
	assert_true(i == n);
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_ENOTFOUND);
	assert_rc(numseq_claimed_next(s, NULL, &v), NUMSEQ_EINVAL);
	numseq_claim_stats_t st = stats(s);
	assert_true(st.claimed == n && st.first_free == 3 && st.max_claimed == 1000000);
	seq_free(&s);

	/* Descending: iteration in the sequence's order, high to low. */
	s = SEQ(.set = O_CLAIMS | O_INC | O_MIN | O_MAX, .claims = CYCP, .increment = -1,
	        .minvalue = 1, .maxvalue = 100);
	claim_ok(s, 5);
	claim_ok(s, 50);
	claim_ok(s, 99);
	cur = 0;
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_OK);
	assert_i64(v, 99);
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_OK);
	assert_i64(v, 50);
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_OK);
	assert_i64(v, 5);
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_ENOTFOUND);
	st = stats(s);
	assert_true(st.min_claimed == 5 && st.max_claimed == 99 && st.first_free == 100);
	seq_free(&s);

	/* Empty. */
	s = SEQ(.set = O_CLAIMS | O_MAX, .claims = SEQP, .maxvalue = 10);
	st = stats(s);
	assert_true(!st.has_claimed && st.has_free && st.first_free == 1 && st.claimed == 0);
	cur = 0;
	assert_rc(numseq_claimed_next(s, &cur, &v), NUMSEQ_ENOTFOUND);
	seq_free(&s);
}

/* A range of 2^32 numbers costs only the pages touched. */
static void test_sparse_memory(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MIN | O_MAX, .claims = LOWP, .minvalue = 0,
	                  .maxvalue = (INT64_C(1) << 32) - 1);
	claim_ok(s, 0);
	claim_ok(s, INT64_C(1) << 31);
	claim_ok(s, (INT64_C(1) << 32) - 1);
	numseq_claim_stats_t st = stats(s);
	print_message("2^32 numbers, 3 claimed: %" PRIu64 " bytes\n", st.bytes);
	assert_true(st.bytes < 4u << 20);
	assert_true(st.claimed == 3 && st.max_claimed == (INT64_C(1) << 32) - 1);
	NEXT(s, 1);
	seq_free(&s);
}

/* The int64 limits. */
static void test_int64_limits(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CLAIMS | O_MIN | O_MAX, .claims = LOWP, .minvalue = I64MAX - 9,
	                  .maxvalue = I64MAX);
	for (int64_t i = 9; i >= 0; i--)
		NEXT(s, I64MAX - i);
	NEXT_FAILS(s, NUMSEQ_EFULL, NULL, NULL);
	release_ok(s, I64MAX);
	NEXT(s, I64MAX);
	seq_free(&s);

	s = SEQ(.set = O_CLAIMS | O_INC | O_MIN | O_MAX | O_CYCLE, .claims = SEQP, .increment = -1,
	        .minvalue = I64MIN, .maxvalue = I64MIN + 2, .cycle = true);
	NEXTS(s, I64MIN + 2, I64MIN + 1, I64MIN);
	NEXT_FAILS(s, NUMSEQ_EFULL, NULL, NULL);
	release_ok(s, I64MIN + 1);
	NEXT(s, I64MIN + 1);
	seq_free(&s);

	/* The whole smallint range. */
	s = SEQ(.set = O_CLAIMS | O_TYPE | O_MIN, .claims = CYCP, .type = NUMSEQ_SMALLINT,
	        .minvalue = -32768);
	assert_true(stats(s).capacity == 65536);
	NEXT(s, -32768);
	claim_ok(s, 32767);
	seq_free(&s);
}

/* An allocation failure returns NUMSEQ_ENOMEM and changes nothing. */
static void test_out_of_memory(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	numseq_error_t e;
	numseq_options_t o = OPTS(.set = O_CLAIMS | O_MAX, .claims = LOWP, .maxvalue = 1000000);
	/* Each allocation of create in turn: the sequence, the bitmap's
	 * struct and its directories. */
	for (long k = 1; k <= 4; k++) {
		numseq__fail_alloc_at(k);
		int rc = numseq_create(&s, &o, &e);
		numseq__fail_alloc_at(0);
		if (rc == NUMSEQ_OK) {
			seq_free(&s);
			continue;
		}
		assert_rc(rc, NUMSEQ_ENOMEM);
		assert_null(s);
	}
	s = SEQ(.set = O_CLAIMS | O_MAX, .claims = LOWP, .maxvalue = 1000000);
	/* The first claim on a page allocates it (and summary pages). */
	numseq__fail_alloc_at(1);
	CHECK_ERR(numseq_claim(s, 500000, &e), &e, NUMSEQ_ENOMEM, "53200", NULL);
	numseq__fail_alloc_at(0);
	assert_false(claimed(s, 500000));
	assert_i64((int64_t)stats(s).claimed, 0);
	numseq__fail_alloc_at(1);
	NEXT_FAILS(s, NUMSEQ_ENOMEM, "53200", NULL);
	numseq__fail_alloc_at(0);
	NEXT(s, 1);
	claim_ok(s, 500000);
	seq_free(&s);
}

/* lastval follows nextval on a sequence with a bitmap, every policy
 * (regression: a SEQUENCE-policy nextval left lastval on the previous
 * sequence). */
static void test_lastval(void **state)
{
	(void)state;
	numseq_t *a = SEQ(.set = O_START, .start = 1000);
	numseq_t *p[3] = {
		SEQ(.set = O_CLAIMS | O_MAX, .claims = SEQP, .maxvalue = 10),
		SEQ(.set = O_CLAIMS | O_MAX, .claims = LOWP, .maxvalue = 10),
		SEQ(.set = O_CLAIMS | O_MAX, .claims = CYCP, .maxvalue = 10),
	};
	int64_t v = 0;
	for (int i = 0; i < 3; i++) {
		NEXT(a, 1000 + i);
		assert_rc(numseq_lastval(&v, NULL), NUMSEQ_OK);
		assert_i64(v, 1000 + i);
		NEXT(p[i], 1);
		assert_rc(numseq_lastval(&v, NULL), NUMSEQ_OK);
		assert_i64(v, 1);
		NEXT(p[i], 2);
		assert_rc(numseq_lastval(&v, NULL), NUMSEQ_OK);
		assert_i64(v, 2);
	}
	for (int i = 0; i < 3; i++)
		seq_free(&p[i]);
	seq_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_validation),
		T(test_no_bitmap),
		T(test_claim_release_errors),
		T(test_sequence_policy_marks_and_skips),
		T(test_sequence_policy_conflict),
		T(test_sequence_policy_cycle_and_grid),
		T(test_lowest_free),
		T(test_cyclic),
		T(test_alter_under_bitmap),
		T(test_iteration),
		T(test_sparse_memory),
		T(test_int64_limits),
		T(test_out_of_memory),
		T(test_lastval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
