/*
 * test_alter.c - ALTER SEQUENCE and RESTART: what is kept, what is
 * recomputed, validation against the stored last_value, errors that change
 * nothing.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment.  Options are
 * read back with numseq_get_options and compared with pg_sequences
 * (data_type, start_value, min_value, max_value, increment_by, cycle,
 * cache_size).
 */
#include "unit_common.h"

/* Options not mentioned keep their values:
 * CREATE SEQUENCE s AS integer START 5 INCREMENT 2 MINVALUE 3 MAXVALUE 50
 *   CYCLE CACHE 4;
 * ALTER SEQUENCE s INCREMENT 3;
 *   integer | 5 | 3 | 50 | 3 | t | 4 */
static void test_alter_keeps_other_options(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_TYPE | O_START | O_INC | O_MIN | O_MAX | O_CYCLE | O_CACHE,
	                  .type = NUMSEQ_INTEGER, .start = 5, .increment = 2, .minvalue = 3,
	                  .maxvalue = 50, .cycle = true, .cache = 4);
	ALTER(s, .set = O_INC, .increment = 3);
	OPTIONS_ARE(s, NUMSEQ_INTEGER, 5, 3, 50, 3, true, 4);
	numseq_options_t o;
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	assert_string_equal(o.name, "s");
	seq_free(&s);
}

/* Flipping the sign of INCREMENT does not recompute MIN/MAX:
 * CREATE SEQUENCE s MAXVALUE 100; nextval 1, 2, 3;
 * ALTER SEQUENCE s INCREMENT -1;   bigint | 1 | 1 | 100 | -1 | f | 1
 * nextval 2, 1, then ERROR nextval: reached minimum value of sequence "s" (1)
 * last_value 1 | t */
static void test_alter_increment_flip(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	NEXTS(s, 1, 2, 3);
	ALTER(s, .set = O_INC, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 100, -1, false, 1);
	NEXTS(s, 2, 1);
	NEXT_FAILS(s, NUMSEQ_EMINVALUE, "2200H",
	           "nextval: reached minimum value of sequence \"s\" (1)");
	READ_IS(s, 1, true);
	seq_free(&s);
}

/* ALTER on a sequence never used: is_called stays false.
 * CREATE SEQUENCE s; ALTER SEQUENCE s INCREMENT 5;  last_value 1 | f;
 * nextval 1, 6 */
static void test_alter_before_first_nextval(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	ALTER(s, .set = O_INC, .increment = 5);
	READ_IS(s, 1, false);
	NEXTS(s, 1, 6);
	seq_free(&s);
}

/* NO MINVALUE / NO MAXVALUE recompute the default from the type and the
 * increment's sign as they are after the ALTER:
 * CREATE SEQUENCE s MAXVALUE 100; ALTER SEQUENCE s INCREMENT -1 NO MINVALUE;
 *   bigint | 1 | -9223372036854775808 | 100 | -1 | f | 1
 * CREATE SEQUENCE s INCREMENT 5 MINVALUE 3 MAXVALUE 50;
 * ALTER SEQUENCE s NO MINVALUE NO MAXVALUE;
 *   bigint | 3 | 1 | 9223372036854775807 | 5 | f | 1 */
static void test_alter_no_min_no_max(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	ALTER(s, .set = O_INC | O_NOMIN, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, I64MIN, 100, -1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX, .increment = 5, .minvalue = 3, .maxvalue = 50);
	ALTER(s, .set = O_NOMIN | O_NOMAX);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 3, 1, I64MAX, 5, false, 1);
	seq_free(&s);
}

/* A recomputed default can make START invalid:
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -100 MAXVALUE 100 START 0;
 * ALTER SEQUENCE s INCREMENT 1 NO MAXVALUE NO MINVALUE;
 *   ERROR 22023 START value (0) cannot be less than MINVALUE (1)
 * ALTER SEQUENCE s NO MAXVALUE;
 *   ERROR 22023 START value (0) cannot be greater than MAXVALUE (-1)
 *   bigint | 0 | -100 | 100 | -1 | f | 1   (unchanged)
 * CREATE SEQUENCE s2 INCREMENT -1 MINVALUE -100 MAXVALUE -1 START -1;
 * ALTER SEQUENCE s2 INCREMENT 1 NO MAXVALUE NO MINVALUE RESTART WITH 1 START 1;
 *   bigint | 1 | 1 | 9223372036854775807 | 1 | f | 1
 * CREATE SEQUENCE s AS smallint INCREMENT -1 MINVALUE -50 MAXVALUE 50;
 * ALTER SEQUENCE s NO MINVALUE NO MAXVALUE;
 *   ERROR START value (50) cannot be greater than MAXVALUE (-1) */
static void test_alter_recomputed_default_checks_start(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = -1, .minvalue = -100,
	                  .maxvalue = 100, .start = 0);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023", "START value (0) cannot be less than MINVALUE (1)",
	            .set = O_INC | O_NOMAX | O_NOMIN, .increment = 1);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023",
	            "START value (0) cannot be greater than MAXVALUE (-1)", .set = O_NOMAX);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 0, -100, 100, -1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_INC | O_MIN | O_MAX | O_START, .increment = -1, .minvalue = -100,
	        .maxvalue = -1, .start = -1);
	ALTER(s, .set = O_INC | O_NOMAX | O_NOMIN | O_RESTART_WITH | O_START, .increment = 1,
	      .restart = 1, .start = 1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	NEXT(s, 1);
	seq_free(&s);

	s = SEQ(.set = O_TYPE | O_INC | O_MIN | O_MAX, .type = NUMSEQ_SMALLINT, .increment = -1,
	        .minvalue = -50, .maxvalue = 50);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023",
	            "START value (50) cannot be greater than MAXVALUE (-1)",
	            .set = O_NOMIN | O_NOMAX);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 50, -50, 50, -1, false, 1);
	READ_IS(s, 50, false);
	seq_free(&s);
}

/* AS newtype resets MIN/MAX only where they were the old type's extremes:
 * CREATE SEQUENCE s; ALTER SEQUENCE s AS smallint;
 *   smallint | 1 | 1 | 32767
 * CREATE SEQUENCE s MAXVALUE 1000; ALTER SEQUENCE s AS smallint;
 *   smallint | 1 | 1 | 1000
 * CREATE SEQUENCE s AS smallint; ALTER SEQUENCE s AS bigint;
 *   bigint | 1 | 1 | 9223372036854775807
 * CREATE SEQUENCE s AS smallint INCREMENT -1; ALTER SEQUENCE s AS integer;
 *   integer | -1 | -2147483648 | -1
 * CREATE SEQUENCE s AS integer MAXVALUE 32767; ALTER SEQUENCE s AS smallint;
 *   smallint | 1 | 1 | 32767;  then ALTER SEQUENCE s AS bigint;
 *   bigint | 1 | 1 | 9223372036854775807   (32767 is now smallint's maximum)
 * CREATE SEQUENCE s; ALTER SEQUENCE s AS smallint MAXVALUE 100;
 *   smallint | 1 | 1 | 100
 * CREATE SEQUENCE s AS smallint; ALTER SEQUENCE s AS integer MAXVALUE 100000
 *   MINVALUE -5;   integer | 1 | -5 | 100000 */
static void test_alter_type_resets_extremes_only(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 32767, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_MAX, .maxvalue = 1000);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 1000, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_TYPE, .type = NUMSEQ_SMALLINT);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_BIGINT);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_SMALLINT, .increment = -1);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_INTEGER);
	OPTIONS_ARE(s, NUMSEQ_INTEGER, -1, -2147483648LL, -1, -1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_TYPE | O_MAX, .type = NUMSEQ_INTEGER, .maxvalue = 32767);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 32767, 1, false, 1);
	ALTER(s, .set = O_TYPE, .type = NUMSEQ_BIGINT);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = 0);
	ALTER(s, .set = O_TYPE | O_MAX, .type = NUMSEQ_SMALLINT, .maxvalue = 100);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 100, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_TYPE, .type = NUMSEQ_SMALLINT);
	ALTER(s, .set = O_TYPE | O_MAX | O_MIN, .type = NUMSEQ_INTEGER, .maxvalue = 100000,
	      .minvalue = -5);
	OPTIONS_ARE(s, NUMSEQ_INTEGER, 1, -5, 100000, 1, false, 1);
	seq_free(&s);
}

/* A type change that does not fit:
 * CREATE SEQUENCE s MAXVALUE 100000; ALTER SEQUENCE s AS smallint;
 *   ERROR 22023 MAXVALUE (100000) is out of range for sequence data type smallint
 * CREATE SEQUENCE s MINVALUE -9223372036854775808; ALTER SEQUENCE s AS smallint;
 *   ERROR START value (-9223372036854775808) cannot be less than MINVALUE (-32768)
 * CREATE SEQUENCE s; SELECT setval('s', 40000); ALTER SEQUENCE s AS smallint;
 *   ERROR RESTART value (40000) cannot be greater than MAXVALUE (32767)
 * CREATE SEQUENCE s START 40000; ALTER SEQUENCE s AS smallint;
 *   ERROR START value (40000) cannot be greater than MAXVALUE (32767)
 * CREATE SEQUENCE s; ALTER SEQUENCE s AS numeric;
 *   ERROR sequence type must be smallint, integer, or bigint
 * Each leaves the sequence as it was (pg_sequences unchanged). */
static void test_alter_type_errors(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100000);
	ALTER_FAILS(s, NUMSEQ_ETYPERANGE, "22023",
	            "MAXVALUE (100000) is out of range for sequence data type smallint",
	            .set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 100000, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_MIN, .minvalue = I64MIN);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023",
	            "START value (-9223372036854775808) cannot be less than "
	            "MINVALUE (-32768)",
	            .set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, I64MIN, I64MIN, I64MAX, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = 0);
	SETVAL(s, 40000, true);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (40000) cannot be greater than MAXVALUE (32767)", .set = O_TYPE,
	            .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	READ_IS(s, 40000, true);
	seq_free(&s);

	s = SEQ(.set = O_START, .start = 40000);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023",
	            "START value (40000) cannot be greater than MAXVALUE (32767)", .set = O_TYPE,
	            .type = NUMSEQ_SMALLINT);
	seq_free(&s);

	s = SEQ(.set = 0);
	ALTER_FAILS(s, NUMSEQ_ETYPE, "22023", "sequence type must be smallint, integer, or bigint",
	            .set = O_TYPE, .type = (numseq_type_t)3);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
}

/* START WITH only records the value for a later RESTART:
 * CREATE SEQUENCE s MAXVALUE 100; nextval 1, 2; ALTER SEQUENCE s START 50;
 *   start_value 50, last_value 2; nextval 3; ALTER SEQUENCE s RESTART;
 *   nextval 50 */
static void test_alter_start_only_recorded(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	NEXTS(s, 1, 2);
	ALTER(s, .set = O_START, .start = 50);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 50, 1, 100, 1, false, 1);
	READ_IS(s, 2, true);
	NEXT(s, 3);
	ALTER(s, .set = O_RESTART);
	NEXT(s, 50);
	seq_free(&s);
}

/* START is still checked against the bounds, before the stored value:
 * CREATE SEQUENCE s MAXVALUE 100; ALTER SEQUENCE s MINVALUE 5;
 *   ERROR 22023 START value (1) cannot be less than MINVALUE (5)
 * CREATE SEQUENCE s MAXVALUE 100 START 10;
 * ALTER SEQUENCE s MAXVALUE 5;
 *   ERROR START value (10) cannot be greater than MAXVALUE (5)
 * ALTER SEQUENCE s MAXVALUE 20 MINVALUE 15;
 *   ERROR START value (10) cannot be less than MINVALUE (15)
 * ALTER SEQUENCE s MINVALUE 15 START 15;   (last_value is still 10)
 *   ERROR RESTART value (10) cannot be less than MINVALUE (15)
 *   bigint | 10 | 1 | 100 (unchanged)
 * ALTER SEQUENCE s MINVALUE 15 START 15 RESTART WITH 15;
 *   bigint | 15 | 15 | 100; nextval 15 */
static void test_alter_checks_start_then_last_value(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023", "START value (1) cannot be less than MINVALUE (5)",
	            .set = O_MIN, .minvalue = 5);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 100, 1, false, 1);
	seq_free(&s);

	s = SEQ(.set = O_MAX | O_START, .maxvalue = 100, .start = 10);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023",
	            "START value (10) cannot be greater than MAXVALUE (5)", .set = O_MAX,
	            .maxvalue = 5);
	ALTER_FAILS(s, NUMSEQ_ESTART, "22023", "START value (10) cannot be less than MINVALUE (15)",
	            .set = O_MAX | O_MIN, .maxvalue = 20, .minvalue = 15);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (10) cannot be less than MINVALUE (15)", .set = O_MIN | O_START,
	            .minvalue = 15, .start = 15);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 10, 1, 100, 1, false, 1);
	ALTER(s, .set = O_MIN | O_START | O_RESTART_WITH, .minvalue = 15, .start = 15,
	      .restart = 15);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 15, 15, 100, 1, false, 1);
	NEXT(s, 15);
	seq_free(&s);
}

/* Lowering MAXVALUE below the stored last_value reports RESTART although no
 * RESTART was written:
 * CREATE SEQUENCE s MAXVALUE 100; nextval x10 (last 10);
 * ALTER SEQUENCE s MAXVALUE 5;
 *   ERROR 22023 RESTART value (10) cannot be greater than MAXVALUE (5)
 *   max_value still 100, last_value 10; nextval 11
 * The same with is_called = false:
 * CREATE SEQUENCE s MAXVALUE 100 START 10; SELECT setval('s', 12, false);
 * ALTER SEQUENCE s MAXVALUE 11;
 *   ERROR RESTART value (12) cannot be greater than MAXVALUE (11) */
static void test_alter_below_last_value(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	for (int64_t i = 1; i <= 10; i++)
		NEXT(s, i);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (10) cannot be greater than MAXVALUE (5)", .set = O_MAX,
	            .maxvalue = 5);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 100, 1, false, 1);
	READ_IS(s, 10, true);
	NEXT(s, 11);
	seq_free(&s);

	s = SEQ(.set = O_MAX | O_START, .maxvalue = 100, .start = 10);
	SETVAL(s, 12, false);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (12) cannot be greater than MAXVALUE (11)", .set = O_MAX,
	            .maxvalue = 11);
	READ_IS(s, 12, false);
	seq_free(&s);
}

/* The bounds pair is checked before START/RESTART:
 * CREATE SEQUENCE s MINVALUE -9223372036854775808 INCREMENT -1
 *   MAXVALUE 9223372036854775807; SELECT setval('s', 0);
 * ALTER SEQUENCE s MAXVALUE 5 MINVALUE 6;
 *   ERROR MINVALUE (6) must be less than MAXVALUE (5) */
static void test_alter_minmax_before_values(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_INC | O_MAX, .minvalue = I64MIN, .increment = -1,
	                  .maxvalue = I64MAX);
	SETVAL(s, 0, true);
	ALTER_FAILS(s, NUMSEQ_EMINMAX, "22023", "MINVALUE (6) must be less than MAXVALUE (5)",
	            .set = O_MAX | O_MIN, .maxvalue = 5, .minvalue = 6);
	seq_free(&s);
}

/* CYCLE set after exhaustion applies at the next nextval:
 * CREATE SEQUENCE s MAXVALUE 3; nextval 1, 2, 3; nextval -> ERROR
 *   nextval: reached maximum value of sequence "s" (3)
 * ALTER SEQUENCE s CYCLE; nextval 1; ALTER SEQUENCE s NO CYCLE;
 * nextval 2, 3; nextval -> ERROR (3) */
static void test_alter_cycle_after_exhaustion(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 3);
	NEXTS(s, 1, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (3)");
	ALTER(s, .set = O_CYCLE, .cycle = true);
	NEXT(s, 1);
	ALTER(s, .set = O_CYCLE, .cycle = false);
	NEXTS(s, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (3)");
	seq_free(&s);
}

/* Several changes at once apply to the next nextval:
 * CREATE SEQUENCE s START 5 MAXVALUE 100 INCREMENT 2; nextval 5;
 * ALTER SEQUENCE s INCREMENT 3 MAXVALUE 6 CYCLE;
 *   bigint | 5 | 1 | 6 | 3 | t | 1; last_value 5 | t; nextval 1 */
static void test_alter_several_at_once(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_MAX | O_INC, .start = 5, .maxvalue = 100,
	                  .increment = 2);
	NEXT(s, 5);
	ALTER(s, .set = O_INC | O_MAX | O_CYCLE, .increment = 3, .maxvalue = 6, .cycle = true);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 5, 1, 6, 3, true, 1);
	READ_IS(s, 5, true);
	NEXT(s, 1);
	seq_free(&s);
}

/* RESTART / RESTART WITH through the dedicated calls:
 * CREATE SEQUENCE s START 5 MAXVALUE 100; nextval 5, 6;
 * ALTER SEQUENCE s RESTART;  last_value 5 | f; currval 6; nextval 5
 * ALTER SEQUENCE s RESTART WITH 42;  last_value 42 | f; currval 5;
 *   nextval 42, 43
 * ALTER SEQUENCE s RESTART WITH 101;
 *   ERROR 22023 RESTART value (101) cannot be greater than MAXVALUE (100)
 * ALTER SEQUENCE s RESTART WITH 0;
 *   ERROR 22023 RESTART value (0) cannot be less than MINVALUE (1)
 * last_value 43 | t; nextval 44
 * ALTER SEQUENCE s RESTART WITH 1;  nextval 1 */
static void test_restart_calls(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_MAX, .start = 5, .maxvalue = 100);
	NEXTS(s, 5, 6);
	numseq_error_t e;
	assert_rc(numseq_restart(s, &e), NUMSEQ_OK);
	READ_IS(s, 5, false);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 5, 1, 100, 1, false, 1);
	CURRVAL_IS(s, 6);
	NEXT(s, 5);
	assert_rc(numseq_restart_with(s, 42, &e), NUMSEQ_OK);
	READ_IS(s, 42, false);
	CURRVAL_IS(s, 5);
	NEXTS(s, 42, 43);
	CHECK_ERR(numseq_restart_with(s, 101, &e), &e, NUMSEQ_ERESTART, "22023",
	          "RESTART value (101) cannot be greater than MAXVALUE (100)");
	CHECK_ERR(numseq_restart_with(s, 0, &e), &e, NUMSEQ_ERESTART, "22023",
	          "RESTART value (0) cannot be less than MINVALUE (1)");
	READ_IS(s, 43, true);
	NEXT(s, 44);
	assert_rc(numseq_restart_with(s, 1, NULL), NUMSEQ_OK);
	NEXT(s, 1);
	seq_free(&s);
}

/* The same through numseq_alter's RESTART bits, and RESTART together with a
 * new START uses the new START:
 * CREATE SEQUENCE s START 5 MAXVALUE 100; nextval 5;
 * ALTER SEQUENCE s START 7 RESTART; nextval 7 */
static void test_restart_via_alter(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_MAX, .start = 5, .maxvalue = 100);
	NEXTS(s, 5, 6);
	ALTER(s, .set = O_RESTART);
	READ_IS(s, 5, false);
	CURRVAL_IS(s, 6);
	NEXT(s, 5);
	ALTER(s, .set = O_RESTART_WITH, .restart = 42);
	READ_IS(s, 42, false);
	NEXTS(s, 42, 43);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (101) cannot be greater than MAXVALUE (100)",
	            .set = O_RESTART_WITH, .restart = 101);
	ALTER_FAILS(s, NUMSEQ_ERESTART, "22023",
	            "RESTART value (0) cannot be less than MINVALUE (1)", .set = O_RESTART_WITH,
	            .restart = 0);
	READ_IS(s, 43, true);
	seq_free(&s);

	s = SEQ(.set = O_START | O_MAX, .start = 5, .maxvalue = 100);
	NEXT(s, 5);
	ALTER(s, .set = O_START | O_RESTART, .start = 7);
	NEXT(s, 7);
	seq_free(&s);
}

/* RESTART revives an exhausted sequence. */
static void test_restart_after_exhaustion(void **state)
{
	(void)state;
	/* CREATE SEQUENCE s MAXVALUE 3; nextval 1,2,3, ERROR;
	 * ALTER SEQUENCE s RESTART; nextval 1 */
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 3);
	NEXTS(s, 1, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (3)");
	assert_rc(numseq_restart(s, NULL), NUMSEQ_OK);
	NEXTS(s, 1, 2);
	seq_free(&s);
}

/* Validation errors change nothing:
 * CREATE SEQUENCE s INCREMENT 2 MAXVALUE 100;
 * ALTER SEQUENCE s INCREMENT 0;  INCREMENT must not be zero
 * ALTER SEQUENCE s CACHE 0;      CACHE (0) must be greater than zero
 * ALTER SEQUENCE s MINVALUE 200; MINVALUE (200) must be less than MAXVALUE (100)
 * ALTER SEQUENCE s MINVALUE 100; MINVALUE (100) must be less than MAXVALUE (100)
 * ALTER SEQUENCE s MINVALUE 100 MAXVALUE 100;  the same
 *   bigint | 1 | 1 | 100 | 2 | f | 1 */
static void test_alter_errors_change_nothing(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MAX, .increment = 2, .maxvalue = 100);
	NEXT(s, 1);
	ALTER_FAILS(s, NUMSEQ_EINCREMENT, "22023", "INCREMENT must not be zero", .set = O_INC,
	            .increment = 0);
	ALTER_FAILS(s, NUMSEQ_ECACHE, "22023", "CACHE (0) must be greater than zero",
	            .set = O_CACHE, .cache = 0);
	ALTER_FAILS(s, NUMSEQ_EMINMAX, "22023", "MINVALUE (200) must be less than MAXVALUE (100)",
	            .set = O_MIN, .minvalue = 200);
	ALTER_FAILS(s, NUMSEQ_EMINMAX, "22023", "MINVALUE (100) must be less than MAXVALUE (100)",
	            .set = O_MIN, .minvalue = 100);
	ALTER_FAILS(s, NUMSEQ_EMINMAX, "22023", "MINVALUE (100) must be less than MAXVALUE (100)",
	            .set = O_MIN | O_MAX, .minvalue = 100, .maxvalue = 100);
	/* a failing ALTER with CYCLE and a RESTART in it changes neither */
	ALTER_FAILS(s, NUMSEQ_ECACHE, "22023", "CACHE (0) must be greater than zero",
	            .set = O_CYCLE | O_RESTART_WITH | O_CACHE, .cycle = true, .restart = 50,
	            .cache = 0);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 100, 2, false, 1);
	READ_IS(s, 1, true);
	CURRVAL_IS(s, 1);
	NEXT(s, 3);
	seq_free(&s);
}

/* Conflicting and refused bits (SQLSTATE 42601 for the conflicts):
 * ALTER SEQUENCE s RESTART RESTART WITH 5;     conflicting or redundant options
 * ALTER SEQUENCE s INCREMENT 0 MAXVALUE 1 NO MAXVALUE;   the same
 * ALTER SEQUENCE s INCREMENT 0 RESTART WITH 0 RESTART;   the same
 * The name is fixed at creation: NUMSEQ_OPT_NAME is refused (header). */
static void test_alter_conflicting_options(void **state)
{
	(void)state;
	const char *msg = "conflicting or redundant options";
	numseq_t *s = SEQ(.set = 0);
	ALTER_FAILS(s, NUMSEQ_EOPTION, "42601", msg, .set = O_RESTART | O_RESTART_WITH,
	            .restart = 5);
	ALTER_FAILS(s, NUMSEQ_EOPTION, "42601", msg, .set = O_INC | O_MAX | O_NOMAX, .increment = 0,
	            .maxvalue = 1);
	ALTER_FAILS(s, NUMSEQ_EOPTION, "42601", msg, .set = O_MIN | O_NOMIN, .minvalue = 1);
	ALTER_FAILS(s, NUMSEQ_EOPTION, "42601", msg, .set = O_INC | O_RESTART_WITH | O_RESTART,
	            .increment = 0, .restart = 0);
	ALTER_FAILS(s, NUMSEQ_EOPTION, NULL, NULL, .set = O_NAME, .name = "t");
	ALTER_FAILS(s, NUMSEQ_EOPTION, NULL, NULL, .set = 1u << 12);
	numseq_options_t o;
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	assert_string_equal(o.name, "s");
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
}

/* An ALTER with nothing set is accepted by the C API (SQL cannot express
 * it) and changes nothing visible. */
static void test_alter_nothing(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 10);
	NEXTS(s, 1, 2);
	ALTER(s, .set = 0);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, 10, 1, false, 1);
	READ_IS(s, 2, true);
	NEXT(s, 3);
	seq_free(&s);
}

static void test_alter_bad_arguments(void **state)
{
	(void)state;
	numseq_error_t e;
	numseq_options_t o = OPTS(.set = O_INC, .increment = 2);
	memset(&e, 0, sizeof e);
	assert_rc(numseq_alter(NULL, &o, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_restart(NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_restart_with(NULL, 1, NULL), NUMSEQ_EINVAL);
	numseq_t *s = SEQ(.set = 0);
	assert_rc(numseq_alter(s, NULL, NULL), NUMSEQ_EINVAL);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alter_keeps_other_options),
		T(test_alter_increment_flip),
		T(test_alter_before_first_nextval),
		T(test_alter_no_min_no_max),
		T(test_alter_recomputed_default_checks_start),
		T(test_alter_type_resets_extremes_only),
		T(test_alter_type_errors),
		T(test_alter_start_only_recorded),
		T(test_alter_checks_start_then_last_value),
		T(test_alter_below_last_value),
		T(test_alter_minmax_before_values),
		T(test_alter_cycle_after_exhaustion),
		T(test_alter_several_at_once),
		T(test_restart_calls),
		T(test_restart_via_alter),
		T(test_restart_after_exhaustion),
		T(test_alter_errors_change_nothing),
		T(test_alter_conflicting_options),
		T(test_alter_nothing),
		T(test_alter_bad_arguments),
	};
	return cmocka_run_group_tests_name("alter", tests, NULL, NULL);
}
