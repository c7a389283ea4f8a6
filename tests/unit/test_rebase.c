/*
 * test_rebase.c - the ticket rebase (src/numseq_test.h hooks).
 *
 * numseq rebases a sequence's ticket counter every 2^43 calls; the hook
 * numseq__set_rebase_at makes that happen every few calls, so that a test
 * can cross many rebases.  A rebase must be invisible: the values, errors
 * and read results are exactly those of the same sequence without rebases.
 *
 * Oracle: a twin sequence with the default rebase point, driven through the
 * same calls, plus PostgreSQL's own values (15.18) for a few sequences.
 */
#include "numseq_test.h"
#include "unit_common.h"

/* Bounds of the hook: 1 .. 2^43. */
static void test_hook_bounds(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	assert_rc(numseq__set_rebase_at(s, 0), NUMSEQ_EINVAL);
	assert_rc(numseq__set_rebase_at(s, (UINT64_C(1) << 43) + 1), NUMSEQ_EINVAL);
	assert_rc(numseq__set_rebase_at(s, UINT64_MAX), NUMSEQ_EINVAL);
	assert_rc(numseq__set_rebase_at(s, UINT64_C(1) << 43), NUMSEQ_OK);
	assert_rc(numseq__set_rebase_at(s, 1), NUMSEQ_OK);
	assert_rc(numseq__set_rebase_at(NULL, 5), NUMSEQ_EINVAL);
	assert_int_equal(numseq__epoch(NULL), 0);
	NEXTS(s, 1, 2, 3);
	seq_free(&s);
}

/* Drives a and b (b rebasing every r tickets) through n nextval calls and
 * compares every result, code and message. */
static void compare_twins(numseq_options_t o, uint64_t r, int n)
{
	numseq_t *a = seq_make_at(o, __FILE__, __LINE__);
	numseq_t *b = seq_make_at(o, __FILE__, __LINE__);
	assert_rc(numseq__set_rebase_at(b, r), NUMSEQ_OK);
	uint64_t epoch0 = numseq__epoch(b);
	for (int i = 0; i < n; i++) {
		int64_t va = 0, vb = 0;
		numseq_error_t ea, eb;
		memset(&ea, 0, sizeof ea);
		memset(&eb, 0, sizeof eb);
		int ra = numseq_nextval(a, &va, &ea);
		int rb = numseq_nextval(b, &vb, &eb);
		if (ra != rb || (ra == 0 && va != vb) ||
		    (ra != 0 && strcmp(ea.message, eb.message) != 0))
			fail_msg("call %d (rebase every %" PRIu64 "): without "
			         "rebase rc %d value %" PRId64 " \"%s\"; with rc %d "
			         "value %" PRId64 " \"%s\"",
			         i, r, ra, va, ra ? ea.message : "", rb, vb, rb ? eb.message : "");
		int64_t la, lb;
		bool ca, cb;
		assert_rc(numseq_read(a, &la, &ca), NUMSEQ_OK);
		assert_rc(numseq_read(b, &lb, &cb), NUMSEQ_OK);
		if (la != lb || ca != cb)
			fail_msg("call %d: read (%" PRId64 ", %d) vs (%" PRId64 ", %d)", i, la, ca,
			         lb, cb);
	}
	/* rebases did happen (each counts as an epoch) */
	if (r <= 4 && n >= 100 && numseq__epoch(b) <= epoch0)
		fail_msg("no rebase seen: epoch %" PRIu64 " -> %" PRIu64, epoch0, numseq__epoch(b));
	seq_free(&a);
	seq_free(&b);
}

static const uint64_t rebase_points[] = {1, 2, 3, 5, 64};
#define N_POINTS (sizeof rebase_points / sizeof rebase_points[0])

static void test_twins_plain(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_POINTS; i++) {
		compare_twins(OPTS(.set = O_NAME, .name = "s"), rebase_points[i], 500);
		compare_twins(OPTS(.set = O_INC | O_MIN, .increment = -7, .minvalue = -1000),
		              rebase_points[i], 500);
		compare_twins(OPTS(.set = O_MAX | O_INC, .maxvalue = 300, .increment = 2),
		              rebase_points[i], 500);
	}
}

static void test_twins_cycle(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_POINTS; i++) {
		uint64_t r = rebase_points[i];
		compare_twins(OPTS(.set = O_MIN | O_MAX | O_START | O_CYCLE, .minvalue = 1,
		                   .maxvalue = 5, .start = 3, .cycle = true),
		              r, 500);
		compare_twins(OPTS(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = -7,
		                   .minvalue = -50, .maxvalue = 0, .cycle = true),
		              r, 500);
		compare_twins(OPTS(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = 100,
		                   .minvalue = 1, .maxvalue = 10, .cycle = true),
		              r, 200);
		compare_twins(OPTS(.set = O_INC | O_MIN | O_START | O_CYCLE, .increment = I64MAX,
		                   .minvalue = I64MIN, .start = 0, .cycle = true),
		              r, 500);
		compare_twins(OPTS(.set = O_INC | O_CYCLE, .increment = I64MIN, .cycle = true), r,
		              200);
	}
}

/* With CACHE the thread reserves blocks; a rebase must not cut a block
 * short either, or last_value (numseq_read) would differ from PostgreSQL's
 * "end of the reserved block" (CREATE SEQUENCE s CACHE 4 MINVALUE 1
 * MAXVALUE 6 CYCLE: nextval 1, last_value 4). */
static void test_twins_cache(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_POINTS; i++) {
		uint64_t r = rebase_points[i];
		compare_twins(OPTS(.set = O_CACHE | O_MIN | O_MAX | O_CYCLE, .cache = 4,
		                   .minvalue = 1, .maxvalue = 6, .cycle = true),
		              r, 500);
		compare_twins(OPTS(.set = O_CACHE, .cache = 10), r, 500);
		compare_twins(OPTS(.set = O_CACHE | O_MAX, .cache = 3, .maxvalue = 10), r, 300);
	}
}

/* Exhausted sequences keep failing across rebases (failed calls may use
 * tickets too), and stay revivable. */
static void test_twins_exhausted(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_POINTS; i++) {
		uint64_t r = rebase_points[i];
		compare_twins(OPTS(.set = O_MAX, .maxvalue = 5), r, 400);
		compare_twins(OPTS(.set = O_INC, .increment = I64MIN), r, 300);
		compare_twins(OPTS(.set = O_START | O_INC, .start = I64MAX - 10, .increment = 7), r,
		              300);
	}
}

/* PostgreSQL's own values across many rebases:
 * CREATE SEQUENCE s MINVALUE 1 MAXVALUE 5 START 3 CYCLE;  3,4,5,1,2,3,4,5,...
 * CREATE SEQUENCE s INCREMENT -7 MINVALUE -50 MAXVALUE 0 CYCLE;
 *   0,-7,-14,-21,-28,-35,-42,-49,0,... */
static void test_pg_values_across_rebases(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX | O_START | O_CYCLE, .minvalue = 1, .maxvalue = 5,
	                  .start = 3, .cycle = true);
	assert_rc(numseq__set_rebase_at(s, 1), NUMSEQ_OK);
	for (int i = 0; i < 1000; i++)
		NEXT(s, (int64_t)((i + 2) % 5 + 1));
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = -7, .minvalue = -50,
	        .maxvalue = 0, .cycle = true);
	assert_rc(numseq__set_rebase_at(s, 2), NUMSEQ_OK);
	for (int i = 0; i < 1000; i++)
		NEXT(s, -7 * (int64_t)(i % 8));
	seq_free(&s);
}

/* CREATE SEQUENCE s START 1 MAXVALUE 100: 1..100 then the error, with a
 * rebase every 3 calls; the error persists through hundreds of failed
 * calls (and rebases); read stays (100, t); then ALTER CYCLE gives 1
 * (ALTER SEQUENCE s CYCLE after exhaustion: nextval 1), setval works. */
static void test_exhausted_then_revived(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_MAX, .start = 1, .maxvalue = 100);
	assert_rc(numseq__set_rebase_at(s, 3), NUMSEQ_OK);
	for (int64_t i = 1; i <= 100; i++)
		NEXT(s, i);
	for (int i = 0; i < 500; i++)
		NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
		           "nextval: reached maximum value of sequence \"s\" (100)");
	READ_IS(s, 100, true);
	CURRVAL_IS(s, 100);
	ALTER(s, .set = O_CYCLE, .cycle = true);
	for (int i = 0; i < 250; i++)
		NEXT(s, i % 100 + 1);
	SETVAL(s, 98, true);
	NEXTS(s, 99, 100, 1);
	ALTER(s, .set = O_CYCLE, .cycle = false);
	SETVAL(s, 99, false);
	NEXTS(s, 99, 100);
	for (int i = 0; i < 50; i++)
		NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
		           "nextval: reached maximum value of sequence \"s\" (100)");
	assert_rc(numseq_restart(s, NULL), NUMSEQ_OK);
	NEXTS(s, 1, 2, 3);
	seq_free(&s);
}

/* Bulk calls mixed with single calls across rebases: the values continue
 * seamlessly (each block starts where the last call stopped, has the
 * increment as step, and never passes 50; the call after 50 returns 1). */
static void test_bulk_values_across_rebases(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX | O_CYCLE, .maxvalue = 50, .cycle = true);
	assert_rc(numseq__set_rebase_at(s, 2), NUMSEQ_OK);
	int64_t expect = 1;
	for (int i = 0; i < 300; i++) {
		if (i % 3 == 0) {
			numseq_block_t b;
			assert_rc(numseq_nextval_n(s, 7, &b, NULL), NUMSEQ_OK);
			assert_i64(b.first, expect);
			assert_i64(b.step, 1);
			if (b.count < 1 || b.count > 7 || (int64_t)b.count > 50 - expect + 1)
				fail_msg("block {%" PRId64 ", count %" PRIu64 "}", b.first,
				         b.count);
			expect += (int64_t)b.count;
		} else {
			NEXT(s, expect);
			expect++;
		}
		if (expect > 50)
			expect = 1;
	}
	seq_free(&s);
}

/* ... and a block is cut short only by the bound (header: count < k only
 * when the block "stops at the bound"), never by a rebase. */
static void test_bulk_counts_across_rebases(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX | O_CYCLE, .maxvalue = 50, .cycle = true);
	assert_rc(numseq__set_rebase_at(s, 2), NUMSEQ_OK);
	int64_t expect = 1;
	for (int i = 0; i < 300; i++) {
		if (i % 3 == 0) {
			numseq_block_t b;
			assert_rc(numseq_nextval_n(s, 7, &b, NULL), NUMSEQ_OK);
			uint64_t want = (uint64_t)(50 - expect + 1);
			if (want > 7)
				want = 7;
			if (b.first != expect || b.count != want)
				fail_msg("call %d: block {first %" PRId64 ", count %" PRIu64
				         "}, expected {%" PRId64 ", %" PRIu64 "}",
				         i, b.first, b.count, expect, want);
			expect += (int64_t)b.count;
		} else {
			NEXT(s, expect);
			expect++;
		}
		if (expect > 50)
			expect = 1;
	}
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hook_bounds),
		T(test_twins_plain),
		T(test_twins_cycle),
		T(test_twins_cache),
		T(test_twins_exhausted),
		T(test_pg_values_across_rebases),
		T(test_exhausted_then_revived),
		T(test_bulk_values_across_rebases),
		T(test_bulk_counts_across_rebases),
	};
	return cmocka_run_group_tests_name("rebase", tests, NULL, NULL);
}
