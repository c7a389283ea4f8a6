/*
 * test_nextval.c - nextval: first value, steps, limits, CYCLE, int64 edges.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment
 * (string_agg(nextval('s')::text, ',') FROM generate_series(1, n)).
 */
#include "unit_common.h"

/* CREATE SEQUENCE s START 1 MAXVALUE 100;
 * 100 x nextval -> 1..100 (min 1, max 100, count 100, sum 5050);
 * 5 x nextval -> ERROR 2200H nextval: reached maximum value of sequence "s" (100)
 * SELECT last_value, is_called FROM s;  100 | t;  currval 100; lastval 100 */
static void test_seed_one_to_hundred(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_MAX, .start = 1, .maxvalue = 100);
	for (int64_t i = 1; i <= 100; i++)
		NEXT(s, i);
	for (int i = 0; i < 5; i++)
		NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
		           "nextval: reached maximum value of sequence \"s\" (100)");
	READ_IS(s, 100, true);
	CURRVAL_IS(s, 100);
	LASTVAL_IS(100);
	seq_free(&s);
}

/* The first call returns START and does not add the increment.
 * CREATE SEQUENCE s START 10 INCREMENT 5 MAXVALUE 30;  nextval -> 10, 15 */
static void test_first_call_returns_start(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_INC | O_MAX, .start = 10, .increment = 5,
	                  .maxvalue = 30);
	READ_IS(s, 10, false);
	NEXT(s, 10);
	READ_IS(s, 10, true);
	NEXT(s, 15);
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT 3 MAXVALUE 20;  1,4,7,10,13,16,19
 * nextval -> ERROR nextval: reached maximum value of sequence "s" (20)
 *   (the message quotes MAXVALUE, not 22);  last_value 19 | t */
static void test_inc3_max20(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MAX, .increment = 3, .maxvalue = 20);
	NEXTS(s, 1, 4, 7, 10, 13, 16, 19);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (20)");
	READ_IS(s, 19, true);
	seq_free(&s);
}

/* A failed nextval changes nothing and keeps failing.
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -3;  -1,-2,-3; nextval ->
 *   ERROR 2200H nextval: reached minimum value of sequence "s" (-3)
 *   last_value -3 | t; currval -3 */
static void test_exhaustion_leaves_state(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -3);
	NEXTS(s, -1, -2, -3);
	for (int i = 0; i < 10; i++) {
		NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
		           "nextval: reached minimum value of sequence \"s\" (-3)");
		READ_IS(s, -3, true);
		CURRVAL_IS(s, -3);
	}
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT -1 MINVALUE 1 MAXVALUE 3 START 3;  3,2,1;
 * nextval -> ERROR nextval: reached minimum value of sequence "s" (1);
 * last_value 1 | t */
static void test_descending_to_min(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = -1, .minvalue = 1,
	                  .maxvalue = 3, .start = 3);
	NEXTS(s, 3, 2, 1);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" (1)");
	READ_IS(s, 1, true);
	seq_free(&s);
}

/* CYCLE wraps to MINVALUE, not to START and not MIN + overshoot.
 * CREATE SEQUENCE s INCREMENT 3 MAXVALUE 11 CYCLE;  1,4,7,10,1,4,7,10,1,4 */
static void test_cycle_wraps_to_min(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MAX | O_CYCLE, .increment = 3, .maxvalue = 11,
	                  .cycle = true);
	NEXTS(s, 1, 4, 7, 10, 1, 4, 7, 10, 1, 4);
	seq_free(&s);
}

/* CREATE SEQUENCE s MINVALUE 1 MAXVALUE 5 START 3 CYCLE;  3,4,5,1,2,3,4,5 */
static void test_cycle_start_in_middle(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX | O_START | O_CYCLE, .minvalue = 1, .maxvalue = 5,
	                  .start = 3, .cycle = true);
	NEXTS(s, 3, 4, 5, 1, 2, 3, 4, 5);
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT -1 MINVALUE 1 MAXVALUE 5 START 2 CYCLE;
 *   2,1,5,4,3,2,1,5
 * CREATE SEQUENCE s INCREMENT -7 MINVALUE -50 MAXVALUE 0 CYCLE;
 *   0,-7,-14,-21,-28,-35,-42,-49,0,-7 */
static void test_descending_cycles(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START | O_CYCLE, .increment = -1,
	                  .minvalue = 1, .maxvalue = 5, .start = 2, .cycle = true);
	NEXTS(s, 2, 1, 5, 4, 3, 2, 1, 5);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = -7, .minvalue = -50,
	        .maxvalue = 0, .cycle = true);
	NEXTS(s, 0, -7, -14, -21, -28, -35, -42, -49, 0, -7);
	seq_free(&s);
}

/* An increment wider than the range:
 * CREATE SEQUENCE s INCREMENT 100 MINVALUE 1 MAXVALUE 10 CYCLE;   1,1,1,1
 * CREATE SEQUENCE s INCREMENT -100 MINVALUE 1 MAXVALUE 10 CYCLE;  10,10,10,10 */
static void test_increment_wider_than_range(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = 100, .minvalue = 1,
	                  .maxvalue = 10, .cycle = true);
	NEXTS(s, 1, 1, 1, 1);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_CYCLE, .increment = -100, .minvalue = 1,
	        .maxvalue = 10, .cycle = true);
	NEXTS(s, 10, 10, 10, 10);
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT 9223372036854775807
 *   MINVALUE -9223372036854775808 START 0 CYCLE;
 *   0, 9223372036854775807, -9223372036854775808, -1, 9223372036854775806,
 *   -9223372036854775808, -1, 9223372036854775806 */
static void test_full_range_inc_max_cycle(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_START | O_CYCLE, .increment = I64MAX,
	                  .minvalue = I64MIN, .start = 0, .cycle = true);
	NEXTS(s, 0, I64MAX, I64MIN, -1, I64MAX - 1, I64MIN, -1, I64MAX - 1);
	seq_free(&s);
}

/* CREATE SEQUENCE s START 9223372036854775797 INCREMENT 7;
 *   9223372036854775797, 9223372036854775804, then
 *   ERROR nextval: reached maximum value of sequence "s" (9223372036854775807) */
static void test_near_int64_max(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_INC, .start = I64MAX - 10, .increment = 7);
	NEXTS(s, I64MAX - 10, I64MAX - 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" "
	           "(9223372036854775807)");
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT -9223372036854775808;  -1, then twice
 *   ERROR nextval: reached minimum value of sequence "s" (-9223372036854775808)
 * CREATE SEQUENCE s INCREMENT -9223372036854775808 CYCLE;  -1,-1,-1,-1 */
static void test_increment_int64_min(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC, .increment = I64MIN);
	NEXT(s, -1);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" "
	           "(-9223372036854775808)");
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" "
	           "(-9223372036854775808)");
	READ_IS(s, -1, true);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_CYCLE, .increment = I64MIN, .cycle = true);
	NEXTS(s, -1, -1, -1, -1);
	seq_free(&s);
}

/* Overflow-safe limit tests at both ends of int64:
 * CREATE SEQUENCE s MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807
 *   START 9223372036854775806 CYCLE;
 *   9223372036854775806, 9223372036854775807, -9223372036854775808,
 *   -9223372036854775807
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -9223372036854775808
 *   MAXVALUE 9223372036854775807 START -9223372036854775807 CYCLE;
 *   -9223372036854775807, -9223372036854775808, 9223372036854775807,
 *   9223372036854775806
 * CREATE SEQUENCE s INCREMENT -2 MINVALUE -9223372036854775808
 *   MAXVALUE 9223372036854775807 START -9223372036854775807;
 *   -9223372036854775807, then reached minimum ... (-9223372036854775808)
 * CREATE SEQUENCE s INCREMENT 2 MINVALUE -9223372036854775808
 *   MAXVALUE 9223372036854775807 START 9223372036854775806;
 *   9223372036854775806, then reached maximum ... (9223372036854775807) */
static void test_int64_edges(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX | O_START | O_CYCLE, .minvalue = I64MIN,
	                  .maxvalue = I64MAX, .start = I64MAX - 1, .cycle = true);
	NEXTS(s, I64MAX - 1, I64MAX, I64MIN, I64MIN + 1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START | O_CYCLE, .increment = -1,
	        .minvalue = I64MIN, .maxvalue = I64MAX, .start = I64MIN + 1, .cycle = true);
	NEXTS(s, I64MIN + 1, I64MIN, I64MAX, I64MAX - 1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = -2, .minvalue = I64MIN,
	        .maxvalue = I64MAX, .start = I64MIN + 1);
	NEXT(s, I64MIN + 1);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" "
	           "(-9223372036854775808)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = 2, .minvalue = I64MIN,
	        .maxvalue = I64MAX, .start = I64MAX - 1);
	NEXT(s, I64MAX - 1);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" "
	           "(9223372036854775807)");
	seq_free(&s);
}

/* Limits on the "other" side of zero, where L + inc would overflow:
 * CREATE SEQUENCE s INCREMENT 9223372036854775807 MINVALUE -9223372036854775808
 *   MAXVALUE -1 START -9223372036854775808;
 *   -9223372036854775808, -1, then reached maximum ... (-1)
 * CREATE SEQUENCE s INCREMENT -9223372036854775808 MINVALUE 0
 *   MAXVALUE 9223372036854775807 START 9223372036854775807;
 *   9223372036854775807, then reached minimum ... (0)
 * CREATE SEQUENCE s INCREMENT -9223372036854775808 MINVALUE -9223372036854775808
 *   MAXVALUE 9223372036854775807 START 9223372036854775807;
 *   9223372036854775807, -1, then reached minimum ... (-9223372036854775808)
 * CREATE SEQUENCE s INCREMENT -1 MAXVALUE 9223372036854775807 MINVALUE 0 START 0;
 *   0, then reached minimum ... (0) */
static void test_int64_edges_across_zero(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = I64MAX,
	                  .minvalue = I64MIN, .maxvalue = -1, .start = I64MIN);
	NEXTS(s, I64MIN, -1);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (-1)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = I64MIN, .minvalue = 0,
	        .maxvalue = I64MAX, .start = I64MAX);
	NEXT(s, I64MAX);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" (0)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = I64MIN, .minvalue = I64MIN,
	        .maxvalue = I64MAX, .start = I64MAX);
	NEXTS(s, I64MAX, -1);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" "
	           "(-9223372036854775808)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MAX | O_MIN | O_START, .increment = -1, .maxvalue = I64MAX,
	        .minvalue = 0, .start = 0);
	NEXT(s, 0);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" (0)");
	seq_free(&s);
}

/* AS only changes the default bounds; arithmetic is int64:
 * CREATE SEQUENCE s AS smallint INCREMENT 10000;  1,10001,20001,30001, then
 *   reached maximum value of sequence "s" (32767)
 * CREATE SEQUENCE s AS smallint INCREMENT 100000;  1, then the same error */
static void test_smallint_sequences(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_SMALLINT, .increment = 10000);
	NEXTS(s, 1, 10001, 20001, 30001);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (32767)");
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_SMALLINT, .increment = 100000);
	NEXT(s, 1);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (32767)");
	seq_free(&s);
}

/* Within one session CACHE changes nothing about the values returned:
 * CREATE SEQUENCE s CACHE 4 MINVALUE 1 MAXVALUE 6 CYCLE;
 *   1,2,3,4,5,6,1,2,3,4,5,6,1,2 */
static void test_cache_same_values_one_session(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE | O_MIN | O_MAX | O_CYCLE, .cache = 4, .minvalue = 1,
	                  .maxvalue = 6, .cycle = true);
	NEXTS(s, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2);
	seq_free(&s);
}

/* Two sequences are independent. */
static void test_sequences_independent(void **state)
{
	(void)state;
	numseq_t *a = SEQ(.set = 0);
	numseq_t *b = SEQ(.set = O_START, .start = 100);
	NEXTS(a, 1, 2);
	NEXTS(b, 100, 101);
	NEXT(a, 3);
	seq_free(&a);
	NEXT(b, 102);
	seq_free(&b);
}

/* Bad arguments: EINVAL, never a crash. */
static void test_nextval_bad_arguments(void **state)
{
	(void)state;
	int64_t v = 0;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_nextval(NULL, &v, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_nextval(NULL, &v, NULL), NUMSEQ_EINVAL);
	numseq_t *s = SEQ(.set = 0);
	assert_rc(numseq_nextval(s, NULL, NULL), NUMSEQ_EINVAL);
	/* a refused call consumed nothing */
	NEXT(s, 1);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_one_to_hundred),
		T(test_first_call_returns_start),
		T(test_inc3_max20),
		T(test_exhaustion_leaves_state),
		T(test_descending_to_min),
		T(test_cycle_wraps_to_min),
		T(test_cycle_start_in_middle),
		T(test_descending_cycles),
		T(test_increment_wider_than_range),
		T(test_full_range_inc_max_cycle),
		T(test_near_int64_max),
		T(test_increment_int64_min),
		T(test_int64_edges),
		T(test_int64_edges_across_zero),
		T(test_smallint_sequences),
		T(test_cache_same_values_one_session),
		T(test_sequences_independent),
		T(test_nextval_bad_arguments),
	};
	return cmocka_run_group_tests_name("nextval", tests, NULL, NULL);
}
