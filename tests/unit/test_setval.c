/*
 * test_setval.c - setval(v, is_called): bounds, both flags, off-grid values,
 * the limit and CYCLE after setval.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment.
 */
#include "unit_common.h"

/* CREATE SEQUENCE s MAXVALUE 100;
 * SELECT setval('s', 0);
 *   ERROR 22003 setval: value 0 is out of bounds for sequence "s" (1..100)
 * SELECT setval('s', 101);
 *   ERROR 22003 setval: value 101 is out of bounds for sequence "s" (1..100)
 * SELECT setval('s', -9223372036854775808);
 *   ERROR 22003 setval: value -9223372036854775808 is out of bounds for
 *   sequence "s" (1..100)
 * SELECT last_value, is_called FROM s;  1 | f   (nothing changed) */
static void test_setval_out_of_bounds(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	numseq_error_t e;
	CHECK_ERR(numseq_setval(s, 0, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 0 is out of bounds for sequence \"s\" (1..100)");
	CHECK_ERR(numseq_setval(s, 101, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 101 is out of bounds for sequence \"s\" (1..100)");
	CHECK_ERR(numseq_setval(s, 101, false, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 101 is out of bounds for sequence \"s\" (1..100)");
	CHECK_ERR(numseq_setval(s, I64MIN, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value -9223372036854775808 is out of bounds for "
	          "sequence \"s\" (1..100)");
	READ_IS(s, 1, false);
	CURRVAL_UNDEFINED(s, "currval of sequence \"s\" is not yet defined in this session");
	NEXT(s, 1);
	seq_free(&s);
}

/* Descending bounds are printed min..max:
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -100;
 * SELECT setval('s', 0);
 *   setval: value 0 is out of bounds for sequence "s" (-100..-1)
 * SELECT setval('s', -101);
 *   setval: value -101 is out of bounds for sequence "s" (-100..-1) */
static void test_setval_out_of_bounds_descending(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -100);
	numseq_error_t e;
	CHECK_ERR(numseq_setval(s, 0, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 0 is out of bounds for sequence \"s\" (-100..-1)");
	CHECK_ERR(numseq_setval(s, -101, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value -101 is out of bounds for sequence \"s\" (-100..-1)");
	seq_free(&s);
}

/* CREATE SEQUENCE s MAXVALUE 100;
 * setval('s', 50)          -> last_value 50 | t; currval 50; nextval 51
 * setval('s', 50, false)   -> last_value 50 | f; currval still 51;
 *                             nextval 50, nextval 51
 * setval('s', 1, true)     -> nextval 2   (bounds are inclusive)
 * setval('s', 100, true)   -> nextval ERROR reached maximum value ... (100);
 *                             last_value 100 | t
 * setval('s', 100, false)  -> nextval 100, then ERROR (100)
 * setval('s', 1, false)    -> nextval 1 */
static void test_setval_is_called(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	SETVAL(s, 50, true);
	READ_IS(s, 50, true);
	CURRVAL_IS(s, 50);
	NEXT(s, 51);

	SETVAL(s, 50, false);
	READ_IS(s, 50, false);
	CURRVAL_IS(s, 51);
	NEXTS(s, 50, 51);

	SETVAL(s, 1, true);
	NEXT(s, 2);

	SETVAL(s, 100, true);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (100)");
	READ_IS(s, 100, true);

	SETVAL(s, 100, false);
	NEXT(s, 100);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (100)");

	SETVAL(s, 1, false);
	NEXT(s, 1);
	seq_free(&s);
}

/* The value need not lie on the START + k*INCREMENT grid:
 * CREATE SEQUENCE s INCREMENT 5; nextval 1, 6; setval('s', 3); nextval 8, 13 */
static void test_setval_off_grid(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC, .increment = 5);
	NEXTS(s, 1, 6);
	SETVAL(s, 3, true);
	NEXTS(s, 8, 13);
	seq_free(&s);
}

/* setval(MAX, true) then the limit rule:
 * CREATE SEQUENCE s MAXVALUE 100 CYCLE; setval('s', 100); nextval -> 1
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -100 CYCLE; setval('s', -100);
 *   nextval -> -1
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -100; setval('s', -100);
 *   nextval -> ERROR reached minimum value of sequence "s" (-100)
 * CREATE SEQUENCE s INCREMENT 3 MAXVALUE 10; setval('s', 9);
 *   nextval -> ERROR reached maximum value of sequence "s" (10)
 * CREATE SEQUENCE s INCREMENT 3 MAXVALUE 10 CYCLE; setval('s', 9);
 *   nextval -> 1, 4 */
static void test_setval_then_limit(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX | O_CYCLE, .maxvalue = 100, .cycle = true);
	SETVAL(s, 100, true);
	NEXT(s, 1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_CYCLE, .increment = -1, .minvalue = -100, .cycle = true);
	SETVAL(s, -100, true);
	NEXT(s, -1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -100);
	SETVAL(s, -100, true);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" (-100)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MAX, .increment = 3, .maxvalue = 10);
	SETVAL(s, 9, true);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (10)");
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MAX | O_CYCLE, .increment = 3, .maxvalue = 10, .cycle = true);
	SETVAL(s, 9, true);
	NEXTS(s, 1, 4);
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT -1 MINVALUE -100; setval('s', -1, false);
 *   nextval -1, -2 */
static void test_setval_false_descending(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -100);
	SETVAL(s, -1, false);
	NEXTS(s, -1, -2);
	seq_free(&s);
}

/* The int64 extremes are legal setval values:
 * CREATE SEQUENCE s MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807;
 * setval('s', 9223372036854775807);  nextval -> ERROR reached maximum value
 *   of sequence "s" (9223372036854775807)
 * setval('s', -9223372036854775808, false);  nextval -9223372036854775808,
 *   -9223372036854775807 */
static void test_setval_int64_extremes(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX, .minvalue = I64MIN, .maxvalue = I64MAX);
	SETVAL(s, I64MAX, true);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" "
	           "(9223372036854775807)");
	SETVAL(s, I64MIN, false);
	NEXTS(s, I64MIN, I64MIN + 1);
	seq_free(&s);
}

/* setval revives an exhausted sequence (the error is not sticky):
 * CREATE SEQUENCE s MAXVALUE 3; nextval 1, 2, 3; nextval -> ERROR
 *   nextval: reached maximum value of sequence "s" (3)
 * setval('s', 2, true); nextval -> 3 */
static void test_setval_after_exhaustion(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 3);
	NEXTS(s, 1, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (3)");
	SETVAL(s, 2, true);
	NEXT(s, 3);
	seq_free(&s);
}

static void test_setval_bad_arguments(void **state)
{
	(void)state;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_setval(NULL, 1, true, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_setval(NULL, 1, false, NULL), NUMSEQ_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_setval_out_of_bounds),  T(test_setval_out_of_bounds_descending),
		T(test_setval_is_called),      T(test_setval_off_grid),
		T(test_setval_then_limit),     T(test_setval_false_descending),
		T(test_setval_int64_extremes), T(test_setval_after_exhaustion),
		T(test_setval_bad_arguments),
	};
	return cmocka_run_group_tests_name("setval", tests, NULL, NULL);
}
