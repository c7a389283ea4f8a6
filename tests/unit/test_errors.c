/*
 * test_errors.c - codes, strerror, the error struct, SQLSTATEs, destroyed
 * handles, NULL err.
 *
 * SQLSTATEs as PostgreSQL 15.18 reported them (psql \set VERBOSITY verbose):
 *   22023 invalid_parameter_value   CREATE/ALTER validation, RESTART value
 *   2200H sequence_generator_limit_exceeded   nextval at the limit
 *   22003 numeric_value_out_of_range           setval out of bounds
 *   55000 object_not_in_prerequisite_state     currval/lastval undefined
 *   42601 syntax_error                         conflicting or redundant options
 */
#include <limits.h>
#include <pthread.h>

#include "numseq_test.h"
#include "unit_common.h"

static const int all_codes[] = {
	NUMSEQ_OK,           NUMSEQ_EINVAL,     NUMSEQ_ENOMEM,      NUMSEQ_ETYPE,
	NUMSEQ_EINCREMENT,   NUMSEQ_ETYPERANGE, NUMSEQ_EMINMAX,     NUMSEQ_ESTART,
	NUMSEQ_ERESTART,     NUMSEQ_ECACHE,     NUMSEQ_EMAXVALUE,   NUMSEQ_EMINVALUE,
	NUMSEQ_ESETVAL,      NUMSEQ_ECURRVAL,   NUMSEQ_ELASTVAL,    NUMSEQ_ENAME,
	NUMSEQ_EOPTION,      NUMSEQ_ECLAIMED,   NUMSEQ_ENOTCLAIMED, NUMSEQ_ERANGE,
	NUMSEQ_EGRID,        NUMSEQ_EFULL,      NUMSEQ_ENOCLAIMS,   NUMSEQ_EPOLICY,
	NUMSEQ_ECLAIMSRANGE, NUMSEQ_ENOTFOUND,  NUMSEQ_ENOTJOURNAL, NUMSEQ_EVERSION,
	NUMSEQ_EFINGERPRINT, NUMSEQ_ECORRUPT,   NUMSEQ_ELOCKED,     NUMSEQ_EIO,
	NUMSEQ_ENOSPC,       NUMSEQ_EFAILED,    NUMSEQ_ESYMLINK,    NUMSEQ_EBADFILE,
	NUMSEQ_EFORK,        NUMSEQ_ENOENT,     NUMSEQ_EEXIST,      NUMSEQ_ENOJOURNAL,
};
#define N_CODES (sizeof all_codes / sizeof all_codes[0])

/* The codes form one contiguous band ending at NUMSEQ_ELAST. */
static void test_code_band(void **state)
{
	(void)state;
	assert_int_equal(NUMSEQ_EINVAL, -30800);
	assert_int_equal(NUMSEQ_ELAST, all_codes[N_CODES - 1]);
	for (size_t i = 1; i < N_CODES; i++)
		assert_int_equal(all_codes[i], -30800 - (int)(i - 1));
}

/* Every code has its own non-empty description; unknown codes and errno
 * values still give a string. */
static void test_strerror(void **state)
{
	(void)state;
	const char *unknown = numseq_strerror(-30700);
	assert_non_null(unknown);
	for (size_t i = 0; i < N_CODES; i++) {
		const char *m = numseq_strerror(all_codes[i]);
		assert_non_null(m);
		if (m[0] == '\0')
			fail_msg("strerror(%d) is empty", all_codes[i]);
		if (i > 0 && strcmp(m, unknown) == 0)
			fail_msg("strerror(%d) is the unknown-code text \"%s\"", all_codes[i], m);
		for (size_t j = 0; j < i; j++)
			if (strcmp(m, numseq_strerror(all_codes[j])) == 0)
				fail_msg("strerror(%d) and strerror(%d) are both "
				         "\"%s\"",
				         all_codes[i], all_codes[j], m);
	}
	const int others[] = {NUMSEQ_ELAST - 1, NUMSEQ_EINVAL + 1, -1,     1,     12, 22, 12345,
	                      INT_MIN,          INT_MAX,           -30799, -30816};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_non_null(numseq_strerror(others[i]));
}

static void test_version(void **state)
{
	(void)state;
	assert_non_null(numseq_version());
	char want[32];
	snprintf(want, sizeof want, "%d.%d.%d", NUMSEQ_VERSION_MAJOR, NUMSEQ_VERSION_MINOR,
	         NUMSEQ_VERSION_PATCH);
	assert_string_equal(numseq_version(), want);
}

/* destroy sets the handle to NULL; later calls on it are EINVAL. */
static void test_destroy(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	NEXT(s, 1);
	assert_rc(numseq_destroy(&s), NUMSEQ_OK);
	assert_null(s);

	int64_t v;
	bool b;
	numseq_block_t blk;
	numseq_options_t o = OPTS(.set = O_INC, .increment = 2);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_nextval_n(s, 1, &blk, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_setval(s, 1, true, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_restart(s, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_restart_with(s, 1, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_alter(s, &o, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_currval(s, &v, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_read(s, &v, &b), NUMSEQ_EINVAL);
	assert_rc(numseq_get_options(s, &o), NUMSEQ_EINVAL);
	assert_rc(numseq_destroy(&s), NUMSEQ_EINVAL);
	assert_rc(numseq_destroy(NULL), NUMSEQ_EINVAL);
}

/* Destroying a sequence with a cache held by this thread is fine. */
static void test_destroy_with_cache(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CACHE, .cache = 100);
	NEXT(s, 1);
	seq_free(&s);
	numseq_discard();
}

/* err may be NULL in every call that fails. */
static void test_err_may_be_null(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	numseq_options_t bad = OPTS(.set = O_INC, .increment = 0);
	assert_rc(numseq_create(&s, &bad, NULL), NUMSEQ_EINCREMENT);
	assert_null(s);
	s = SEQ(.set = O_MAX, .maxvalue = 2);
	int64_t v;
	numseq_block_t blk;
	assert_rc(numseq_currval(s, &v, NULL), NUMSEQ_ECURRVAL);
	assert_rc(numseq_lastval(&v, NULL), NUMSEQ_ELASTVAL);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_EMAXVALUE);
	assert_rc(numseq_nextval_n(s, 1, &blk, NULL), NUMSEQ_EMAXVALUE);
	assert_rc(numseq_setval(s, 5, true, NULL), NUMSEQ_ESETVAL);
	assert_rc(numseq_restart_with(s, 5, NULL), NUMSEQ_ERESTART);
	numseq_options_t a = OPTS(.set = O_CACHE, .cache = 0);
	assert_rc(numseq_alter(s, &a, NULL), NUMSEQ_ECACHE);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -2);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_EMINVALUE);
	seq_free(&s);
}

/* On success err is left untouched (header). */
static void test_err_untouched_on_success(void **state)
{
	(void)state;
	numseq_error_t e, pattern;
	memset(&pattern, 0xa5, sizeof pattern);
	numseq_t *s = NULL;
	memcpy(&e, &pattern, sizeof e);
	assert_rc(numseq_create(&s, NULL, &e), NUMSEQ_OK);
	assert_memory_equal(&e, &pattern, sizeof e);
	int64_t v;
	numseq_block_t blk;
	assert_rc(numseq_nextval(s, &v, &e), NUMSEQ_OK);
	assert_rc(numseq_nextval_n(s, 2, &blk, &e), NUMSEQ_OK);
	assert_rc(numseq_currval(s, &v, &e), NUMSEQ_OK);
	assert_rc(numseq_lastval(&v, &e), NUMSEQ_OK);
	assert_rc(numseq_setval(s, 5, false, &e), NUMSEQ_OK);
	assert_rc(numseq_restart(s, &e), NUMSEQ_OK);
	assert_rc(numseq_restart_with(s, 3, &e), NUMSEQ_OK);
	numseq_options_t a = OPTS(.set = O_INC, .increment = 2);
	assert_rc(numseq_alter(s, &a, &e), NUMSEQ_OK);
	assert_memory_equal(&e, &pattern, sizeof e);
	seq_free(&s);
}

/* The error struct carries code, SQLSTATE and message for each kind of
 * PostgreSQL error; the message is NUL-terminated within NUMSEQ_MSG_MAX. */
static void test_err_fields_and_sqlstates(void **state)
{
	(void)state;
	numseq_error_t e;
	numseq_t *s = NULL;

	/* CREATE SEQUENCE s CACHE 0;  22023 CACHE (0) must be greater than zero */
	CREATE_FAILS(NUMSEQ_ECACHE, "22023", "CACHE (0) must be greater than zero", .set = O_CACHE,
	             .cache = 0);
	/* CREATE SEQUENCE s MINVALUE 1 NO MINVALUE;  42601 */
	CREATE_FAILS(NUMSEQ_EOPTION, "42601", "conflicting or redundant options",
	             .set = O_MIN | O_NOMIN, .minvalue = 1);

	/* CREATE SEQUENCE s MAXVALUE 2; */
	s = SEQ(.set = O_MAX, .maxvalue = 2);
	int64_t v;
	/* SELECT currval('s') -> 55000 */
	memset(&e, 0, sizeof e);
	CHECK_ERR(numseq_currval(s, &v, &e), &e, NUMSEQ_ECURRVAL, "55000",
	          "currval of sequence \"s\" is not yet defined in this session");
	/* SELECT lastval() -> 55000 */
	memset(&e, 0, sizeof e);
	CHECK_ERR(numseq_lastval(&v, &e), &e, NUMSEQ_ELASTVAL, "55000",
	          "lastval is not yet defined in this session");
	NEXTS(s, 1, 2);
	/* nextval at the limit -> 2200H */
	memset(&e, 0, sizeof e);
	CHECK_ERR(numseq_nextval(s, &v, &e), &e, NUMSEQ_EMAXVALUE, "2200H",
	          "nextval: reached maximum value of sequence \"s\" (2)");
	/* SELECT setval('s', 3) -> 22003 */
	memset(&e, 0, sizeof e);
	CHECK_ERR(numseq_setval(s, 3, true, &e), &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 3 is out of bounds for sequence \"s\" (1..2)");
	/* ALTER SEQUENCE s RESTART WITH 3 -> 22023 */
	memset(&e, 0, sizeof e);
	CHECK_ERR(numseq_restart_with(s, 3, &e), &e, NUMSEQ_ERESTART, "22023",
	          "RESTART value (3) cannot be greater than MAXVALUE (2)");
	assert_true(memchr(e.message, '\0', sizeof e.message) != NULL);
	assert_true(memchr(e.sqlstate, '\0', sizeof e.sqlstate) != NULL);
	seq_free(&s);
}

/* Bad arguments to every entry point give EINVAL (and the code in err),
 * never a crash. */
/* Out of memory: every allocation failure returns NUMSEQ_ENOMEM (SQLSTATE
 * 53200, PostgreSQL's out_of_memory) before any number is drawn, so the
 * next successful call gets exactly the number the failed one would have.
 * Allocations are made to fail with the numseq__fail_alloc_at test hook;
 * each case runs on a fresh thread so that the thread's session (the first
 * allocation of a thread's first call) is allocated under the hook. */
struct oom_case {
	numseq_t *s;
	long fail_at; /* which allocation of the thread fails */
	int what;     /* 0 nextval, 1 setval(true), 2 nextval_n */
	int rc_fail, rc_after;
	int64_t after;
	numseq_error_t err;
};

static void *oom_thread(void *arg)
{
	struct oom_case *c = arg;
	numseq_block_t b;
	int64_t v = 0;
	numseq__fail_alloc_at(c->fail_at);
	switch (c->what) {
	case 0: c->rc_fail = numseq_nextval(c->s, &v, &c->err); break;
	case 1: c->rc_fail = numseq_setval(c->s, 50, true, &c->err); break;
	default: c->rc_fail = numseq_nextval_n(c->s, 3, &b, &c->err); break;
	}
	numseq__fail_alloc_at(0);
	c->rc_after = numseq_nextval(c->s, &c->after, NULL);
	return NULL;
}

static void test_out_of_memory(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	numseq_error_t e;
	int64_t v;

	/* CREATE: the sequence's own allocation. */
	numseq__fail_alloc_at(1);
	assert_rc(numseq_create(&s, NULL, &e), NUMSEQ_ENOMEM);
	assert_null(s);
	assert_string_equal(e.sqlstate, "53200");
	assert_string_equal(e.message, "out of memory");

	s = SEQ(.set = O_START, .start = 10);
	/* fail_at 1: the thread's session; 2: its first table (no number
	 * drawn either way, so the next call returns 10, 11, ...). */
	for (int what = 0; what < 3; what++) {
		for (long at = 1; at <= 2; at++) {
			struct oom_case c = {.s = s, .fail_at = at, .what = what};
			pthread_t t;
			int64_t before_last;
			bool before_called;
			assert_rc(numseq_read(s, &before_last, &before_called), NUMSEQ_OK);
			assert_int_equal(pthread_create(&t, NULL, oom_thread, &c), 0);
			assert_int_equal(pthread_join(t, NULL), 0);
			assert_int_equal(c.rc_fail, NUMSEQ_ENOMEM);
			assert_int_equal(c.err.code, NUMSEQ_ENOMEM);
			assert_string_equal(c.err.sqlstate, "53200");
			assert_int_equal(c.rc_after, NUMSEQ_OK);
			/* Nothing was drawn or set by the failed call. */
			assert_i64(c.after, before_called ? before_last + 1 : before_last);
		}
	}
	/* Six failed calls, six successful ones: 10..15. */
	NEXT(s, 16);
	seq_free(&s);
	(void)v;
}

static void test_null_arguments(void **state)
{
	(void)state;
	numseq_error_t e;
	int64_t v;
	bool b;
	numseq_block_t blk;
	numseq_options_t o;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_create(NULL, NULL, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_nextval(NULL, &v, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_nextval_n(NULL, 1, &blk, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_setval(NULL, 1, true, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_restart(NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_restart_with(NULL, 1, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_alter(NULL, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_currval(NULL, &v, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_lastval(NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_read(NULL, &v, &b), NUMSEQ_EINVAL);
	assert_rc(numseq_get_options(NULL, &o), NUMSEQ_EINVAL);
	assert_rc(numseq_destroy(NULL), NUMSEQ_EINVAL);
	numseq_t *s = NULL;
	assert_rc(numseq_destroy(&s), NUMSEQ_EINVAL);
	numseq_options_init(NULL); /* must not crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_code_band),
		T(test_strerror),
		T(test_version),
		T(test_destroy),
		T(test_destroy_with_cache),
		T(test_err_may_be_null),
		T(test_err_untouched_on_success),
		T(test_err_fields_and_sqlstates),
		T(test_null_arguments),
		T(test_out_of_memory),
	};
	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
