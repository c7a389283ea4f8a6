/*
 * test_session.c - currval, lastval and DISCARD SEQUENCES: per-session
 * (per-thread) state.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment, run in one
 * psql session unless a comment says otherwise.
 */
#include <pthread.h>

#include "unit_common.h"
#include "numseq_test.h"

#define CURRVAL_S_UNDEFINED "currval of sequence \"s\" is not yet defined in this session"
#define CURRVAL_T_UNDEFINED "currval of sequence \"t\" is not yet defined in this session"

/* CREATE SEQUENCE s;
 * SELECT currval('s');
 *   ERROR 55000 currval of sequence "s" is not yet defined in this session
 * SELECT lastval();
 *   ERROR 55000 lastval is not yet defined in this session */
static void test_undefined_before_nextval(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	LASTVAL_UNDEFINED();
	/* the call that failed did not define anything either */
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	seq_free(&s);
}

/* Which calls move currval and lastval.
 * CREATE SEQUENCE s; CREATE SEQUENCE t START 100;
 * setval('s', 10, false) -> currval(s) ERROR (undefined); lastval ERROR
 * setval('s', 10, true)  -> currval(s) 10; lastval ERROR (only nextval
 *                           moves lastval's pointer)
 * nextval('s') 11        -> currval(s) 11; lastval 11
 * setval('t', 500, true) -> lastval 11; currval(t) 500
 * nextval('t') 501       -> lastval 501; currval(s) 11
 * setval('s', 77, true)  -> lastval 501; currval(s) 77
 * setval('t', 900, true) -> lastval 900 (same sequence as lastval's)
 * setval('t', 950, false)-> lastval 900; currval(t) 900
 * ALTER SEQUENCE t RESTART       -> lastval 900; currval(t) 900
 * ALTER SEQUENCE t INCREMENT 5   -> lastval 900; currval(t) 900
 * DISCARD SEQUENCES -> currval(s), currval(t), lastval all ERROR
 * nextval('t') 100 (RESTART took effect); lastval 100 */
static void test_currval_lastval_walk(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	numseq_t *t = SEQ(.set = O_START | O_NAME, .start = 100, .name = "t");

	SETVAL(s, 10, false);
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	LASTVAL_UNDEFINED();

	SETVAL(s, 10, true);
	CURRVAL_IS(s, 10);
	LASTVAL_UNDEFINED();

	NEXT(s, 11);
	CURRVAL_IS(s, 11);
	LASTVAL_IS(11);

	SETVAL(t, 500, true);
	LASTVAL_IS(11);
	CURRVAL_IS(t, 500);

	NEXT(t, 501);
	LASTVAL_IS(501);
	CURRVAL_IS(s, 11);

	SETVAL(s, 77, true);
	LASTVAL_IS(501);
	CURRVAL_IS(s, 77);

	SETVAL(t, 900, true);
	LASTVAL_IS(900);

	SETVAL(t, 950, false);
	LASTVAL_IS(900);
	CURRVAL_IS(t, 900);

	assert_rc(numseq_restart(t, NULL), NUMSEQ_OK);
	LASTVAL_IS(900);
	CURRVAL_IS(t, 900);

	ALTER(t, .set = O_INC, .increment = 5);
	LASTVAL_IS(900);
	CURRVAL_IS(t, 900);

	numseq_discard();
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	CURRVAL_UNDEFINED(t, CURRVAL_T_UNDEFINED);
	LASTVAL_UNDEFINED();

	NEXT(t, 100);
	LASTVAL_IS(100);
	CURRVAL_IS(t, 100);
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);

	seq_free(&s);
	seq_free(&t);
}

/* A failed nextval leaves currval and lastval:
 * CREATE SEQUENCE u MAXVALUE 2; nextval('u') 1, 2; CREATE SEQUENCE w;
 * nextval('w') 1; nextval('u') -> ERROR reached maximum value of sequence
 *   "u" (2); lastval 1 (still w's); currval('u') 2 */
static void test_failed_nextval_leaves_session(void **state)
{
	(void)state;
	numseq_t *u = SEQ(.set = O_MAX | O_NAME, .maxvalue = 2, .name = "u");
	numseq_t *w = SEQ(.set = O_NAME, .name = "w");
	NEXTS(u, 1, 2);
	NEXT(w, 1);
	NEXT_FAILS(u, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"u\" (2)");
	LASTVAL_IS(1);
	CURRVAL_IS(u, 2);
	CURRVAL_IS(w, 1);
	seq_free(&u);
	seq_free(&w);
}

/* A failed setval leaves currval:
 * CREATE SEQUENCE s MAXVALUE 100; SELECT setval('s', 101, false);
 *   ERROR 22003; currval ERROR 55000 (still undefined) */
static void test_failed_setval_leaves_session(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MAX, .maxvalue = 100);
	numseq_error_t e;
	CHECK_ERR(numseq_setval(s, 101, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 101 is out of bounds for sequence \"s\" (1..100)");
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	NEXT(s, 1);
	CHECK_ERR(numseq_setval(s, 101, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 101 is out of bounds for sequence \"s\" (1..100)");
	CURRVAL_IS(s, 1);
	LASTVAL_IS(1);
	seq_free(&s);
}

/* currval follows this session's own values.  Another session's nextval does
 * not change it (session 2 in a second psql):
 * CREATE SEQUENCE s;  s1: nextval 1;  s2: currval ERROR 55000, lastval
 * ERROR 55000, nextval 2, currval 2;  s1: currval 1, lastval 1, nextval 3 */
struct other_session {
	numseq_t *s;
	int currval_rc, lastval_rc, nextval_rc, currval2_rc;
	int64_t next, curr2;
	numseq_error_t currval_err, lastval_err;
};

static void *other_session_main(void *arg)
{
	struct other_session *o = arg;
	int64_t v;
	o->currval_rc = numseq_currval(o->s, &v, &o->currval_err);
	o->lastval_rc = numseq_lastval(&v, &o->lastval_err);
	o->nextval_rc = numseq_nextval(o->s, &o->next, NULL);
	o->currval2_rc = numseq_currval(o->s, &o->curr2, NULL);
	return NULL;
}

static void test_currval_is_per_thread(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	NEXT(s, 1);

	struct other_session o;
	memset(&o, 0, sizeof o);
	o.s = s;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_session_main, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);

	CHECK_ERR(o.currval_rc, &o.currval_err, NUMSEQ_ECURRVAL, "55000", CURRVAL_S_UNDEFINED);
	CHECK_ERR(o.lastval_rc, &o.lastval_err, NUMSEQ_ELASTVAL, "55000",
	          "lastval is not yet defined in this session");
	assert_rc(o.nextval_rc, NUMSEQ_OK);
	assert_i64(o.next, 2);
	assert_rc(o.currval2_rc, NUMSEQ_OK);
	assert_i64(o.curr2, 2);

	CURRVAL_IS(s, 1);
	LASTVAL_IS(1);
	NEXT(s, 3);
	seq_free(&s);
}

/* DISCARD SEQUENCES forgets everything, and a new nextval defines it again.
 * CREATE SEQUENCE s; nextval 1; DISCARD SEQUENCES; currval ERROR;
 * lastval ERROR; nextval 2; currval 2 */
static void test_discard(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	NEXT(s, 1);
	numseq_discard();
	CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
	LASTVAL_UNDEFINED();
	NEXT(s, 2);
	CURRVAL_IS(s, 2);
	LASTVAL_IS(2);
	numseq_discard();
	numseq_discard(); /* twice is harmless */
	LASTVAL_UNDEFINED();
	seq_free(&s);
}

/* A new sequence is a new object: this session's values for a destroyed
 * sequence never show through, even if the new one reuses its memory
 * (in PostgreSQL a new sequence has a new OID):
 * CREATE SEQUENCE s; nextval 1; DROP SEQUENCE s; CREATE SEQUENCE s;
 *   currval('s') ERROR 55000; nextval 1 */
static void test_new_sequence_after_destroy(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		numseq_t *s = SEQ(.set = O_START, .start = 7);
		NEXTS(s, 7, 8);
		seq_free(&s);
		s = SEQ(.set = O_START, .start = 1000);
		CURRVAL_UNDEFINED(s, CURRVAL_S_UNDEFINED);
		NEXT(s, 1000);
		seq_free(&s);
	}
}

/* The same with a cache: values cached for a destroyed sequence are never
 * handed out for a new one.
 * CREATE SEQUENCE s CACHE 10; nextval 1 (2..10 cached); DROP SEQUENCE s;
 * CREATE SEQUENCE s CACHE 10 START 500; nextval 500, 501 */
static void test_cache_dies_with_sequence(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		numseq_t *s = SEQ(.set = O_CACHE, .cache = 10);
		NEXT(s, 1);
		seq_free(&s);
		s = SEQ(.set = O_CACHE | O_START, .cache = 10, .start = 500);
		NEXTS(s, 500, 501);
		READ_IS(s, 509, true);
		seq_free(&s);
	}
}

/* A session keeps currval and its cached values for every sequence it has
 * touched, however many:
 * DO $$ BEGIN FOR i IN 1..100 LOOP EXECUTE format('CREATE SEQUENCE m%s
 *   CACHE 10 START %s', i, i*100); END LOOP; END $$;
 * nextval('m<i>') for i = 1..100         -> i*100
 * currval('m<i>') for i = 1..100         -> i*100   (100 of 100)
 * nextval('m<i>') for i = 1..100         -> i*100 + 1  (from the cache)
 * currval('m<i>') for i = 1..100         -> i*100 + 1
 * lastval()                              -> 10001 */
#define MANY 100
static void test_many_sequences_per_session(void **state)
{
	(void)state;
	numseq_t *m[MANY];
	for (int i = 0; i < MANY; i++)
		m[i] = SEQ(.set = O_CACHE | O_START, .cache = 10, .start = (i + 1) * 100);
	for (int i = 0; i < MANY; i++)
		NEXT(m[i], (i + 1) * 100);
	for (int i = 0; i < MANY; i++)
		CURRVAL_IS(m[i], (i + 1) * 100);
	for (int i = 0; i < MANY; i++)
		NEXT(m[i], (i + 1) * 100 + 1);
	for (int i = 0; i < MANY; i++)
		CURRVAL_IS(m[i], (i + 1) * 100 + 1);
	LASTVAL_IS(10001);
	for (int i = 0; i < MANY; i++)
		seq_free(&m[i]);
}

/* Not a PostgreSQL rule but a resource one: a thread that works with many
 * short-lived sequences (one per match, say) keeps entries only for the
 * live ones.  20000 sequences are created, used and destroyed while four
 * stay alive; the thread's table stays small, and the four keep their
 * currval (and lastval) across the churn. */
static void test_destroyed_entries_dropped(void **state)
{
	(void)state;
	numseq_t *keep[4];
	for (int i = 0; i < 4; i++) {
		keep[i] = SEQ(.set = O_START, .start = (i + 1) * 1000);
		NEXT(keep[i], (i + 1) * 1000);
	}
	for (int i = 0; i < 20000; i++) {
		numseq_t *tmp = SEQ(.set = 0);
		NEXT(tmp, 1);
		CURRVAL_IS(tmp, 1);
		seq_free(&tmp);
	}
	assert_true(numseq__sess_capacity() <= 64);
	for (int i = 0; i < 4; i++)
		CURRVAL_IS(keep[i], (i + 1) * 1000);
	NEXT(keep[3], 4001);
	LASTVAL_IS(4001);
	for (int i = 0; i < 4; i++)
		seq_free(&keep[i]);
}

static void test_session_bad_arguments(void **state)
{
	(void)state;
	int64_t v;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_currval(NULL, &v, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	numseq_t *s = SEQ(.set = 0);
	NEXT(s, 1);
	assert_rc(numseq_currval(s, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_lastval(NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_lastval(NULL, &e), NUMSEQ_EINVAL);
	CURRVAL_IS(s, 1);
	seq_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_undefined_before_nextval),      T(test_currval_lastval_walk),
		T(test_failed_nextval_leaves_session), T(test_failed_setval_leaves_session),
		T(test_currval_is_per_thread),         T(test_discard),
		T(test_new_sequence_after_destroy),    T(test_cache_dies_with_sequence),
		T(test_many_sequences_per_session),    T(test_destroyed_entries_dropped),
		T(test_session_bad_arguments),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
