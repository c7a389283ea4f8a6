/*
 * test_bulk.c - numseq_nextval_n: k values in one step.
 *
 * PostgreSQL has no bulk nextval; numseq_nextval_n is specified (header) to
 * behave like one PostgreSQL cache refill of k values.  The expected blocks
 * below are therefore what a fresh PostgreSQL session with CACHE k reserved
 * on its first nextval (the values it then hands out one by one, and
 * last_value afterwards), PostgreSQL 15.18, SQL in each comment; s2/s3 are
 * further sessions (dblink), as in test_cache.c.
 */
#include "unit_common.h"

static void block_is_at(numseq_t *s, uint64_t k, int64_t first, int64_t step, uint64_t count,
                        const char *file, int line)
{
	numseq_block_t b;
	numseq_error_t e;
	memset(&b, 0, sizeof b);
	memset(&e, 0, sizeof e);
	int rc = numseq_nextval_n(s, k, &b, &e);
	if (rc != NUMSEQ_OK) {
		print_error("nextval_n(%" PRIu64 ") failed: %d (%s) \"%s\"\n", k, rc,
		            numseq_strerror(rc), e.message);
		_fail(file, line);
	}
	if (b.first != first || b.step != step || b.count != count) {
		print_error("nextval_n(%" PRIu64 ") gave {first %" PRId64 ", step %" PRId64
		            ", count %" PRIu64 "}, expected {%" PRId64 ", %" PRId64 ", %" PRIu64
		            "}\n",
		            k, b.first, b.step, b.count, first, step, count);
		_fail(file, line);
	}
}
#define BLOCK(s, k, first, step, count) \
	block_is_at((s), (k), (first), (step), (count), __FILE__, __LINE__)

#define BLOCK_FAILS(s, k, code, sqlstate, message)                 \
	do {                                                       \
		numseq_block_t bb_;                                \
		numseq_error_t be_;                                \
		memset(&be_, 0, sizeof be_);                       \
		int brc_ = numseq_nextval_n((s), (k), &bb_, &be_); \
		CHECK_ERR(brc_, &be_, code, sqlstate, message);    \
	} while (0)

/* k consecutive values: CREATE SEQUENCE s CACHE 3 -> session holds 1..3,
 * last_value 3;  then a block of 2 is 4..5 and nextval goes on with 6. */
static void test_bulk_consecutive(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	BLOCK(s, 3, 1, 1, 3);
	READ_IS(s, 3, true);
	BLOCK(s, 2, 4, 1, 2);
	NEXT(s, 6);
	BLOCK(s, 1, 7, 1, 1);
	seq_free(&s);
}

/* The block stops at the bound, then the limit error:
 * CREATE SEQUENCE s INCREMENT 3 MAXVALUE 10 CACHE 5;
 * s1: nextval 1 (holds 1, 4, 7, 10);  last_value 10
 * s2: nextval -> ERROR 2200H nextval: reached maximum value of sequence "s" (10) */
static void test_bulk_stops_at_bound(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MAX, .increment = 3, .maxvalue = 10);
	BLOCK(s, 5, 1, 3, 4);
	READ_IS(s, 10, true);
	CURRVAL_IS(s, 10);
	BLOCK_FAILS(s, 5, NUMSEQ_EMAXVALUE, "2200H",
	            "nextval: reached maximum value of sequence \"s\" (10)");
	BLOCK_FAILS(s, 1, NUMSEQ_EMAXVALUE, "2200H",
	            "nextval: reached maximum value of sequence \"s\" (10)");
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (10)");
	READ_IS(s, 10, true);
	CURRVAL_IS(s, 10);
	seq_free(&s);
}

/* Exactly reaching the bound, then nothing left; a descending run:
 * CREATE SEQUENCE s MAXVALUE 5 CACHE 5;  nextval 1 (holds 1..5); last_value 5
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -3 CACHE 10;  holds -1, -2, -3;
 *   another session: reached minimum value of sequence "s" (-3) */
static void test_bulk_exact_and_descending(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 5);
	BLOCK(s, 5, 1, 1, 5);
	READ_IS(s, 5, true);
	BLOCK_FAILS(s, 1, NUMSEQ_EMAXVALUE, "2200H",
	            "nextval: reached maximum value of sequence \"s\" (5)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -3);
	BLOCK(s, 10, -1, -1, 3);
	READ_IS(s, -3, true);
	BLOCK_FAILS(s, 10, NUMSEQ_EMINVALUE, "2200H",
	            "nextval: reached minimum value of sequence \"s\" (-3)");
	seq_free(&s);
}

/* CYCLE: no wrap inside a block; the wrap is the first value of the next:
 * CREATE SEQUENCE s INCREMENT 3 MAXVALUE 10 CACHE 5 CYCLE;
 * s1: nextval 1 (holds 1,4,7,10), last_value 10
 * s2: nextval 1 (holds 1,4,7,10), last_value 10
 * s3: nextval 1, last_value 10 */
static void test_bulk_cycle_wraps_next_call(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MAX | O_CYCLE, .increment = 3, .maxvalue = 10,
	                  .cycle = true);
	BLOCK(s, 5, 1, 3, 4);
	READ_IS(s, 10, true);
	BLOCK(s, 5, 1, 3, 4);
	READ_IS(s, 10, true);
	BLOCK(s, 2, 1, 3, 2);
	READ_IS(s, 4, true);
	NEXTS(s, 7, 10, 1);
	seq_free(&s);
}

/* Full int64 range:
 * CREATE SEQUENCE s INCREMENT 9223372036854775807
 *   MINVALUE -9223372036854775808 START 0 CYCLE CACHE 5;
 * s1: nextval 0 (holds 0, 9223372036854775807); last_value 9223372036854775807
 * s2: nextval -9223372036854775808 (holds it, -1, 9223372036854775806);
 *   last_value 9223372036854775806
 * s3: nextval -9223372036854775808; last_value 9223372036854775806 */
static void test_bulk_full_range(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_START | O_CYCLE, .increment = I64MAX,
	                  .minvalue = I64MIN, .start = 0, .cycle = true);
	BLOCK(s, 5, 0, I64MAX, 2);
	READ_IS(s, I64MAX, true);
	BLOCK(s, 5, I64MIN, I64MAX, 3);
	READ_IS(s, I64MAX - 1, true);
	BLOCK(s, 5, I64MIN, I64MAX, 3);
	READ_IS(s, I64MAX - 1, true);
	seq_free(&s);
}

/* A huge k stops at the bound, without overflow:
 * CREATE SEQUENCE s CACHE 1000 MAXVALUE 10 INCREMENT -1 START 10;
 *   nextval 10 (holds 10 .. -989);  last_value -989 */
static void test_bulk_large_k(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX | O_INC | O_START, .maxvalue = 10, .increment = -1,
	                  .start = 10);
	BLOCK(s, 1000, 10, -1, 1000);
	READ_IS(s, -989, true);
	seq_free(&s);

	/* UINT64_MAX values asked of a 10-value sequence: 10 come back. */
	s = SEQ(.set = O_MAX, .maxvalue = 10);
	BLOCK(s, UINT64_MAX, 1, 1, 10);
	READ_IS(s, 10, true);
	seq_free(&s);
}

/* A block is cut short only by the bound (header: "the block stops at the
 * bound (count < k)"; count is 1..k).  Over the full int64 range with
 * increment 1, UINT64_MAX values fit (2^64 values exist), so all of them
 * come back and the last is INT64_MAX - 1.  Not observable in PostgreSQL
 * (its refill loops value by value; CACHE is at most INT64_MAX there). */
static void test_bulk_huge_k_full_range(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX, .minvalue = I64MIN, .maxvalue = I64MAX);
	BLOCK(s, UINT64_MAX, I64MIN, 1, UINT64_MAX);
	READ_IS(s, I64MAX - 1, true);
	NEXT(s, I64MAX);
	seq_free(&s);
}

/* INCREMENT wider than the range, and INCREMENT INT64_MIN:
 * CREATE SEQUENCE s INCREMENT 100 MINVALUE 1 MAXVALUE 10 CYCLE CACHE 3;
 *   each session's refill holds just 1 (nextval 1, 1, 1)
 * CREATE SEQUENCE s INCREMENT -9223372036854775808 CYCLE;  -1 forever */
static void test_bulk_wide_increment(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = 100, .minvalue = 1,
	                  .maxvalue = 10, .cycle = true);
	BLOCK(s, 3, 1, 100, 1);
	BLOCK(s, 3, 1, 100, 1);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_CYCLE, .increment = I64MIN, .cycle = true);
	BLOCK(s, 3, -1, I64MIN, 1);
	BLOCK(s, 3, -1, I64MIN, 1);
	seq_free(&s);
}

/* The first block starts at a setval(v, false) / RESTART value. */
static void test_bulk_after_setval_false(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	NEXT(s, 1);
	SETVAL(s, 7, false);
	BLOCK(s, 2, 7, 1, 2);
	SETVAL(s, 50, true);
	BLOCK(s, 2, 51, 1, 2);
	assert_rc(numseq_restart_with(s, 99, NULL), NUMSEQ_OK);
	BLOCK(s, 5, 99, 1, 2);
	seq_free(&s);
}

/* step is the INCREMENT in force when the block was taken. */
static void test_bulk_step_after_alter(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	BLOCK(s, 2, 1, 1, 2);
	ALTER(s, .set = O_INC, .increment = 5);
	BLOCK(s, 3, 7, 5, 3);
	NEXT(s, 22);
	seq_free(&s);
}

/* currval and lastval become the block's last value. */
static void test_bulk_sets_currval(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC, .increment = 2);
	numseq_t *t = SEQ(.set = O_NAME, .name = "t");
	NEXT(t, 1);
	BLOCK(s, 4, 1, 2, 4);
	CURRVAL_IS(s, 7);
	LASTVAL_IS(7);
	/* a failed block changes neither */
	SETVAL(s, I64MAX - 1, true);
	CURRVAL_IS(s, I64MAX - 1);
	BLOCK_FAILS(s, 1, NUMSEQ_EMAXVALUE, "2200H",
	            "nextval: reached maximum value of sequence \"s\" "
	            "(9223372036854775807)");
	CURRVAL_IS(s, I64MAX - 1);
	LASTVAL_IS(I64MAX - 1);
	seq_free(&s);
	seq_free(&t);
}

/* Bulk bypasses the calling thread's cache: the thread keeps its cached
 * values, and the block comes from the shared state after them. */
static void test_bulk_bypasses_cache(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 10);
	NEXT(s, 1); /* holds 2..10; last_value 10 */
	READ_IS(s, 10, true);
	BLOCK(s, 3, 11, 1, 3);
	READ_IS(s, 13, true);
	CURRVAL_IS(s, 13);
	NEXT(s, 2);
	CURRVAL_IS(s, 2);
	seq_free(&s);
}

static void test_bulk_bad_arguments(void **state)
{
	(void)state;
	numseq_block_t b;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_nextval_n(NULL, 1, &b, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	numseq_t *s = SEQ(.set = 0);
	memset(&e, 0, sizeof e);
	assert_rc(numseq_nextval_n(s, 0, &b, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_nextval_n(s, 0, &b, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_nextval_n(s, 1, NULL, NULL), NUMSEQ_EINVAL);
	/* nothing was consumed */
	READ_IS(s, 1, false);
	NEXT(s, 1);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bulk_consecutive),          T(test_bulk_stops_at_bound),
		T(test_bulk_exact_and_descending), T(test_bulk_cycle_wraps_next_call),
		T(test_bulk_full_range),           T(test_bulk_large_k),
		T(test_bulk_huge_k_full_range),    T(test_bulk_wide_increment),
		T(test_bulk_after_setval_false),   T(test_bulk_step_after_alter),
		T(test_bulk_sets_currval),         T(test_bulk_bypasses_cache),
		T(test_bulk_bad_arguments),
	};
	return cmocka_run_group_tests_name("bulk", tests, NULL, NULL);
}
