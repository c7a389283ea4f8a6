/*
 * test_read.c - numseq_read (SELECT last_value, is_called FROM s) and
 * numseq_get_options (pg_sequences) step by step.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment.
 */
#include "unit_common.h"

/* CREATE SEQUENCE s START 10 INCREMENT 5 MAXVALUE 30;
 *                                     last_value | is_called
 *   (new)                                  10 | f
 *   nextval 10                             10 | t
 *   nextval 15                             15 | t
 *   setval('s', 12, false)                 12 | f
 *   nextval 12                             12 | t
 *   nextval 17, 22, 27                     27 | t
 *   nextval -> ERROR (30)                  27 | t
 *   ALTER SEQUENCE s RESTART               10 | f
 *   ALTER SEQUENCE s INCREMENT 7           10 | f
 *   nextval 10                             10 | t
 *   ALTER SEQUENCE s RESTART WITH 20 CACHE 3   20 | f
 *   nextval 20                             27 | t   (refill 20, 27; 34 > 30) */
static void test_read_each_step(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_START | O_INC | O_MAX, .start = 10, .increment = 5,
	                  .maxvalue = 30);
	READ_IS(s, 10, false);
	NEXT(s, 10);
	READ_IS(s, 10, true);
	NEXT(s, 15);
	READ_IS(s, 15, true);
	SETVAL(s, 12, false);
	READ_IS(s, 12, false);
	NEXT(s, 12);
	READ_IS(s, 12, true);
	NEXTS(s, 17, 22, 27);
	READ_IS(s, 27, true);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (30)");
	READ_IS(s, 27, true);
	assert_rc(numseq_restart(s, NULL), NUMSEQ_OK);
	READ_IS(s, 10, false);
	ALTER(s, .set = O_INC, .increment = 7);
	READ_IS(s, 10, false);
	NEXT(s, 10);
	READ_IS(s, 10, true);
	ALTER(s, .set = O_RESTART_WITH | O_CACHE, .restart = 20, .cache = 3);
	READ_IS(s, 20, false);
	NEXT(s, 20);
	READ_IS(s, 27, true);
	/* the rest of that cache: 27, then the limit */
	NEXT(s, 27);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (30)");
	READ_IS(s, 27, true);
	seq_free(&s);
}

/* With CACHE, last_value is the end of the reserved block:
 * CREATE SEQUENCE s INCREMENT -3 CACHE 4 MINVALUE -20 MAXVALUE 20 CYCLE;
 * nextval 20;  last_value 11 | t
 * pg_sequences: bigint | 20 | -20 | 20 | -3 | t | 4 | 11 */
static void test_read_with_cache_and_options(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_CACHE | O_MIN | O_MAX | O_CYCLE, .increment = -3,
	                  .cache = 4, .minvalue = -20, .maxvalue = 20, .cycle = true);
	NEXT(s, 20);
	READ_IS(s, 11, true);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 20, -20, 20, -3, true, 4);
	seq_free(&s);
}

/* get_options reports every field as given and the name. */
static void test_get_options_fields(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_TYPE | O_NAME, .type = NUMSEQ_INTEGER, .name = "orders_id_seq");
	numseq_options_t o;
	memset(&o, 0x5a, sizeof o);
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	const unsigned all = O_TYPE | O_START | O_INC | O_MIN | O_MAX | O_CYCLE | O_CACHE | O_NAME;
	if ((o.set & all) != all)
		fail_msg("get_options: set is 0x%x, expected all of 0x%x", o.set, all);
	/* CREATE SEQUENCE orders_id_seq AS integer;
	 *   integer | 1 | 1 | 2147483647 | 1 | f | 1 */
	assert_int_equal(o.type, NUMSEQ_INTEGER);
	assert_i64(o.start, 1);
	assert_i64(o.minvalue, 1);
	assert_i64(o.maxvalue, 2147483647);
	assert_i64(o.increment, 1);
	assert_false(o.cycle);
	assert_i64(o.cache, 1);
	assert_non_null(o.name);
	assert_string_equal(o.name, "orders_id_seq");

	/* get_options output (its CREATE fields) can be fed back to create:
	 * the same sequence */
	numseq_t *t = NULL;
	o.set &= all;
	o.name = "copy";
	assert_rc(numseq_create(&t, &o, NULL), NUMSEQ_OK);
	OPTIONS_ARE(t, NUMSEQ_INTEGER, 1, 1, 2147483647, 1, false, 1);
	seq_free(&t);
	seq_free(&s);
}

/* Reading does not change anything (no value is consumed). */
static void test_read_is_pure(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 3);
	for (int i = 0; i < 5; i++)
		READ_IS(s, 1, false);
	NEXT(s, 1);
	for (int i = 0; i < 5; i++)
		READ_IS(s, 3, true);
	NEXTS(s, 2, 3, 4);
	seq_free(&s);
}

static void test_read_bad_arguments(void **state)
{
	(void)state;
	int64_t lv;
	bool ic;
	numseq_options_t o;
	assert_rc(numseq_read(NULL, &lv, &ic), NUMSEQ_EINVAL);
	assert_rc(numseq_get_options(NULL, &o), NUMSEQ_EINVAL);
	numseq_t *s = SEQ(.set = 0);
	assert_rc(numseq_read(s, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_get_options(s, NULL), NUMSEQ_EINVAL);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_each_step),     T(test_read_with_cache_and_options),
		T(test_get_options_fields), T(test_read_is_pure),
		T(test_read_bad_arguments),
	};
	return cmocka_run_group_tests_name("read", tests, NULL, NULL);
}
