/*
 * test_cache.c - CACHE with two sessions.
 *
 * Session s1 is the main thread; session s2 is a peer thread (peer.h) that
 * lives for the whole test, so its cache survives between its calls.  The
 * two never run at the same time: the test hands s2 one call and waits.
 *
 * Expected values: PostgreSQL 15.18.  s1 was a psql session, s2 a second
 * backend reached through dblink from it:
 *   SELECT dblink_connect('s2', 'host=/tmp ...');
 *   CREATE FUNCTION s2(q text) RETURNS bigint LANGUAGE sql AS
 *     $$ SELECT v FROM dblink('s2', q) AS t(v bigint) $$;
 * so "s2: nextval" below is SELECT s2('SELECT nextval(''s'')') and
 * "s2: ALTER ..." is SELECT dblink_exec('s2', 'ALTER SEQUENCE s ...').
 */
#include "peer.h"

/* CREATE SEQUENCE s CACHE 10;
 * s1: nextval 1;  s2: nextval 11;  s1: nextval 2;  s2: nextval 12
 * SELECT last_value, is_called FROM s;  20 | t
 * s1: nextval x8 -> 3..10;  last_value 20;  s1: nextval 21;  last_value 30 */
static void test_cache_interleaves(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 10);
	NEXT(s, 1);
	PEER_NEXT(s2, s, 11);
	NEXT(s, 2);
	PEER_NEXT(s2, s, 12);
	READ_IS(s, 20, true);
	for (int64_t v = 3; v <= 10; v++)
		NEXT(s, v);
	READ_IS(s, 20, true);
	NEXT(s, 21);
	READ_IS(s, 30, true);
	/* each session's currval is its own */
	CURRVAL_IS(s, 21);
	assert_rc(peer_currval(s2, s), NUMSEQ_OK);
	assert_i64(s2->out, 12);
	seq_free(&s);
}

/* A refill stops at the limit without error:
 * CREATE SEQUENCE s CACHE 10 MAXVALUE 15;
 * s1: nextval 1;  s2: nextval 11;  last_value 15 | t
 * s2: nextval 12, 13, 14, 15;  s2: nextval -> ERROR 2200H
 *   nextval: reached maximum value of sequence "s" (15)
 * s1: nextval 2   (s1 still holds 2..10) */
static void test_refill_stops_at_limit(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE | O_MAX, .cache = 10, .maxvalue = 15);
	NEXT(s, 1);
	PEER_NEXT(s2, s, 11);
	READ_IS(s, 15, true);
	PEER_NEXT(s2, s, 12);
	PEER_NEXT(s2, s, 13);
	PEER_NEXT(s2, s, 14);
	PEER_NEXT(s2, s, 15);
	PEER_NEXT_FAILS(s2, s, NUMSEQ_EMAXVALUE, "2200H",
	                "nextval: reached maximum value of sequence \"s\" (15)");
	NEXT(s, 2);
	seq_free(&s);
}

/* A CYCLE refill never wraps part-way through:
 * CREATE SEQUENCE s CACHE 4 MINVALUE 1 MAXVALUE 6 CYCLE;
 * s1: nextval 1;  last_value 4  (s1 holds 1..4)
 * s2: nextval 5;  last_value 6  (s2 holds 5..6, not 5,6,1,2)
 * s2: nextval 6;  s2: nextval 1;  last_value 4  (s2 holds 1..4)
 * s1: nextval 2, 3, 4, 5;  last_value 6 */
static void test_cycle_refill_never_wraps(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE | O_MIN | O_MAX | O_CYCLE, .cache = 4, .minvalue = 1,
	                  .maxvalue = 6, .cycle = true);
	NEXT(s, 1);
	READ_IS(s, 4, true);
	PEER_NEXT(s2, s, 5);
	READ_IS(s, 6, true);
	PEER_NEXT(s2, s, 6);
	PEER_NEXT(s2, s, 1);
	READ_IS(s, 4, true);
	NEXTS(s, 2, 3, 4, 5);
	READ_IS(s, 6, true);
	seq_free(&s);
}

/* The limit error can reach one session while another holds values:
 * CREATE SEQUENCE s CACHE 3 MAXVALUE 3;
 * s1: nextval 1;  s2: nextval -> ERROR reached maximum value of sequence
 *   "s" (3);  s1: nextval 2, 3;  s1: nextval -> ERROR (3) */
static void test_limit_reaches_other_session_first(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE | O_MAX, .cache = 3, .maxvalue = 3);
	NEXT(s, 1);
	PEER_NEXT_FAILS(s2, s, NUMSEQ_EMAXVALUE, "2200H",
	                "nextval: reached maximum value of sequence \"s\" (3)");
	NEXTS(s, 2, 3);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" (3)");
	seq_free(&s);
}

/* Descending:
 * CREATE SEQUENCE s CACHE 4 INCREMENT -2 MINVALUE -9;
 * s1: nextval -1;  last_value -7  (s1 holds -1,-3,-5,-7)
 * s2: nextval -9;  last_value -9
 * s2: nextval -> ERROR reached minimum value of sequence "s" (-9), twice */
static void test_descending_cache(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE | O_INC | O_MIN, .cache = 4, .increment = -2,
	                  .minvalue = -9);
	NEXT(s, -1);
	READ_IS(s, -7, true);
	PEER_NEXT(s2, s, -9);
	READ_IS(s, -9, true);
	PEER_NEXT_FAILS(s2, s, NUMSEQ_EMINVALUE, "2200H",
	                "nextval: reached minimum value of sequence \"s\" (-9)");
	PEER_NEXT_FAILS(s2, s, NUMSEQ_EMINVALUE, "2200H",
	                "nextval: reached minimum value of sequence \"s\" (-9)");
	NEXTS(s, -3, -5, -7);
	seq_free(&s);
}

/* RESTART by another session makes this one drop its cache:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1;  last_value 5
 * s2: ALTER SEQUENCE s RESTART;  last_value 1 | f
 * s1: nextval 1;  s2: nextval 6;  s1: nextval 2;  last_value 10 | t */
static void test_restart_by_other_drops_cache(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	READ_IS(s, 5, true);
	assert_rc(peer_restart(s2, s), NUMSEQ_OK);
	READ_IS(s, 1, false);
	NEXT(s, 1);
	PEER_NEXT(s2, s, 6);
	NEXT(s, 2);
	READ_IS(s, 10, true);
	seq_free(&s);
}

/* The same, with the restarting session taking the first value:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1
 * s2: ALTER SEQUENCE s RESTART;  s2: nextval 1;  s1: nextval 6;
 * s1: currval 6 */
static void test_restart_by_other_other_first(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	assert_rc(peer_restart(s2, s), NUMSEQ_OK);
	PEER_NEXT(s2, s, 1);
	NEXT(s, 6);
	CURRVAL_IS(s, 6);
	seq_free(&s);
}

/* RESTART WITH by another session:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1, 2
 * s2: ALTER SEQUENCE s RESTART WITH 3;  s1: nextval 3;  s2: nextval 8;
 * last_value 12 */
static void test_restart_with_by_other(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXTS(s, 1, 2);
	assert_rc(peer_restart_with(s2, s, 3), NUMSEQ_OK);
	NEXT(s, 3);
	PEER_NEXT(s2, s, 8);
	READ_IS(s, 12, true);
	seq_free(&s);
}

/* ALTER by another session makes this one drop its cache, and the new
 * increment applies from the stored last_value:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1  (s1 holds 1..5, last_value 5)
 * s2: ALTER SEQUENCE s INCREMENT 100;  s1: nextval 105;  last_value 505;
 * s2: nextval 605 */
static void test_alter_by_other_drops_cache(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	assert_rc(peer_alter(s2, s, OPTS(.set = O_INC, .increment = 100)), NUMSEQ_OK);
	NEXT(s, 105);
	READ_IS(s, 505, true);
	PEER_NEXT(s2, s, 605);
	seq_free(&s);
}

/* ALTER by this session drops every session's cache:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1;  s2: nextval 6;
 * s1: ALTER SEQUENCE s CYCLE;  s1: nextval 11;  s2: nextval 16;
 * last_value 20 */
static void test_alter_by_self_drops_all_caches(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	PEER_NEXT(s2, s, 6);
	ALTER(s, .set = O_CYCLE, .cycle = true);
	NEXT(s, 11);
	PEER_NEXT(s2, s, 16);
	READ_IS(s, 20, true);
	seq_free(&s);
}

/* setval does NOT drop other sessions' caches:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1
 * s2: SELECT setval('s', 100);
 * s1: nextval 2, 3, 4, 5 (its cache), then 101;  last_value 105
 * s2: nextval 106 */
static void test_setval_keeps_other_caches(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	assert_rc(peer_setval(s2, s, 100, true), NUMSEQ_OK);
	NEXTS(s, 2, 3, 4, 5, 101);
	READ_IS(s, 105, true);
	PEER_NEXT(s2, s, 106);
	seq_free(&s);
}

/* setval drops the calling session's own cache:
 * CREATE SEQUENCE s CACHE 5;  s1: nextval 1;  s1: setval('s', 100, true);
 * s1: nextval 101;  last_value 105
 * s1: setval('s', 50, false);  nextval 50, 51;  last_value 54 */
static void test_setval_drops_own_cache(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	SETVAL(s, 100, true);
	NEXT(s, 101);
	READ_IS(s, 105, true);
	SETVAL(s, 50, false);
	NEXTS(s, 50, 51);
	READ_IS(s, 54, true);
	seq_free(&s);
}

/* DISCARD SEQUENCES throws the session's cached values away (gaps):
 * CREATE SEQUENCE s CACHE 5;  nextval 1;  DISCARD SEQUENCES;  nextval 6 */
static void test_discard_drops_cache(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 5);
	NEXT(s, 1);
	numseq_discard();
	NEXT(s, 6);
	/* the same in the other session: s2 takes 11 (holds 11..15), discards,
	 * takes 16 */
	PEER_NEXT(s2, s, 11);
	peer_discard(s2);
	PEER_NEXT(s2, s, 16);
	seq_free(&s);
}

/* ALTER validation sees values reserved by another session's cache:
 * CREATE SEQUENCE s CACHE 10;  s1: nextval 1 (last_value 10)
 * s2: ALTER SEQUENCE s MAXVALUE 5;
 *   ERROR 22023 RESTART value (10) cannot be greater than MAXVALUE (5) */
static void test_alter_sees_reserved_values(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 10);
	NEXT(s, 1);
	int rc = peer_alter(s2, s, OPTS(.set = O_MAX, .maxvalue = 5));
	CHECK_ERR(rc, &s2->err, NUMSEQ_ERESTART, "22023",
	          "RESTART value (10) cannot be greater than MAXVALUE (5)");
	/* the failed ALTER changed nothing, so s1 keeps its cache */
	NEXT(s, 2);
	seq_free(&s);
}

/* A large cache on a short descending range:
 * CREATE SEQUENCE s CACHE 1000 MAXVALUE 10 INCREMENT -1 START 10;
 * nextval 10;  last_value -989 */
static void test_large_cache(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE | O_MAX | O_INC | O_START, .cache = 1000, .maxvalue = 10,
	                  .increment = -1, .start = 10);
	NEXT(s, 10);
	READ_IS(s, -989, true);
	NEXTS(s, 9, 8);
	seq_free(&s);
}

/* A cache reaching past the int64 range stops at the limit:
 * CREATE SEQUENCE s CACHE 9223372036854775807 START 9223372036854775806;
 * s1: nextval 9223372036854775806;  last_value 9223372036854775807 | t
 * s1: nextval 9223372036854775807;  s1: nextval -> ERROR reached maximum
 *   value of sequence "s" (9223372036854775807)
 * and, with CACHE 5 instead, s2's first nextval fails with the same error
 * while s1 still holds 9223372036854775807.  (PostgreSQL refills value by
 * value: over the full int64 range a huge CACHE never returns, and the
 * backend cannot be cancelled; numseq reserves a block in one step.) */
static void test_cache_int64_max(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE | O_START, .cache = I64MAX, .start = I64MAX - 1);
	NEXT(s, I64MAX - 1);
	READ_IS(s, I64MAX, true);
	PEER_NEXT_FAILS(s2, s, NUMSEQ_EMAXVALUE, "2200H",
	                "nextval: reached maximum value of sequence \"s\" "
	                "(9223372036854775807)");
	NEXT(s, I64MAX);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"s\" "
	           "(9223372036854775807)");
	seq_free(&s);
}

/* lastval follows the session's own cached values. */
static void test_lastval_with_cache(void **state)
{
	peer_t *s2 = *state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 10);
	NEXT(s, 1);
	PEER_NEXT(s2, s, 11);
	NEXT(s, 2);
	LASTVAL_IS(2);
	assert_rc(peer_lastval(s2), NUMSEQ_OK);
	assert_i64(s2->out, 11);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TP(test_cache_interleaves),
		TP(test_refill_stops_at_limit),
		TP(test_cycle_refill_never_wraps),
		TP(test_limit_reaches_other_session_first),
		TP(test_descending_cache),
		TP(test_restart_by_other_drops_cache),
		TP(test_restart_by_other_other_first),
		TP(test_restart_with_by_other),
		TP(test_alter_by_other_drops_cache),
		TP(test_alter_by_self_drops_all_caches),
		TP(test_setval_keeps_other_caches),
		TP(test_setval_drops_own_cache),
		TP(test_discard_drops_cache),
		TP(test_alter_sees_reserved_values),
		TP(test_large_cache),
		TP(test_cache_int64_max),
		TP(test_lastval_with_cache),
	};
	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
