/*
 * unit_common.h - helpers shared by numseq's single-threaded unit tests.
 *
 * Every expected value and message in tests/unit/ was produced by a
 * PostgreSQL 15.18 server running the SQL quoted in the comment next to the
 * test; the tests need no server.  The sequence is always named "s" (the
 * name appears in PostgreSQL's messages) unless a test says otherwise.
 *
 * A thread plays PostgreSQL's session.  cmocka runs every test on the main
 * thread, so each test starts with numseq_discard() (see fresh_session) to
 * get a clean session, the way each psql run started a new backend.
 */
#ifndef NUMSEQ_UNIT_COMMON_H
#define NUMSEQ_UNIT_COMMON_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "numseq.h"

/* Short names for the option bits, so that a test reads like the SQL. */
#define O_TYPE NUMSEQ_OPT_TYPE
#define O_START NUMSEQ_OPT_START
#define O_INC NUMSEQ_OPT_INCREMENT
#define O_MIN NUMSEQ_OPT_MINVALUE
#define O_MAX NUMSEQ_OPT_MAXVALUE
#define O_NOMIN NUMSEQ_OPT_NO_MINVALUE
#define O_NOMAX NUMSEQ_OPT_NO_MAXVALUE
#define O_CYCLE NUMSEQ_OPT_CYCLE
#define O_CACHE NUMSEQ_OPT_CACHE
#define O_RESTART NUMSEQ_OPT_RESTART
#define O_RESTART_WITH NUMSEQ_OPT_RESTART_WITH
#define O_NAME NUMSEQ_OPT_NAME

#define I64MAX INT64_MAX
#define I64MIN INT64_MIN

/* Options as a compound literal: OPTS(.set = O_INC | O_MAX, .increment = 3,
 * .maxvalue = 20).  Fields not named are zero, which is what
 * numseq_options_init() gives ("nothing given"). */
#define OPTS(...) ((numseq_options_t){__VA_ARGS__})

/* cmocka runs tests on the main thread: start each with a new session. */
static inline int fresh_session(void **state)
{
	(void)state;
	numseq_discard();
	return 0;
}
#define T(f) cmocka_unit_test_setup(f, fresh_session)

/* ------------------------------------------------------------ assertions */

#define assert_i64(actual, expected)                                                       \
	do {                                                                               \
		int64_t a_ = (actual), e_ = (expected);                                    \
		if (a_ != e_)                                                              \
			fail_msg("%s is %" PRId64 ", expected %" PRId64, #actual, a_, e_); \
	} while (0)

#define assert_rc(actual, expected)                                                    \
	do {                                                                           \
		int a_ = (actual), e_ = (expected);                                    \
		if (a_ != e_)                                                          \
			fail_msg("%s returned %d (%s), expected %d (%s)", #actual, a_, \
			         numseq_strerror(a_), e_, numseq_strerror(e_));        \
	} while (0)

/* rc and err must both name the failure exactly as PostgreSQL did. */
static inline void check_err_at(int rc, const numseq_error_t *e, int code, const char *sqlstate,
                                const char *message, const char *file, int line)
{
	if (rc != code) {
		print_error("returned %d (%s), expected %d (%s); message \"%s\"\n", rc,
		            numseq_strerror(rc), code, numseq_strerror(code),
		            rc == 0 ? "" : e->message);
		_fail(file, line);
	}
	if (e->code != code) {
		print_error("err.code is %d, expected %d\n", e->code, code);
		_fail(file, line);
	}
	if (sqlstate != NULL && strcmp(e->sqlstate, sqlstate) != 0) {
		print_error("err.sqlstate is \"%.6s\", expected \"%s\"\n", e->sqlstate, sqlstate);
		_fail(file, line);
	}
	if (message != NULL && strcmp(e->message, message) != 0) {
		print_error("err.message is\n  \"%s\"\nexpected\n  \"%s\"\n", e->message, message);
		_fail(file, line);
	}
}
/* CHECK_ERR(rc, &err, NUMSEQ_EX, "sqlstate" or NULL, "message" or NULL) */
#define CHECK_ERR(rc, e, code, sqlstate, message) \
	check_err_at((rc), (e), (code), (sqlstate), (message), __FILE__, __LINE__)

/* ------------------------------------------------------------ sequences */

/* Creates a sequence that must be valid; names it "s" unless given. */
static inline numseq_t *seq_make_at(numseq_options_t o, const char *file, int line)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	if (!(o.set & NUMSEQ_OPT_NAME)) {
		o.set |= NUMSEQ_OPT_NAME;
		o.name = "s";
	}
	int rc = numseq_create(&s, &o, &e);
	if (rc != NUMSEQ_OK || s == NULL) {
		print_error("numseq_create failed: %d (%s) \"%s\"\n", rc, numseq_strerror(rc),
		            e.message);
		_fail(file, line);
	}
	return s;
}
#define SEQ(...) seq_make_at(OPTS(__VA_ARGS__), __FILE__, __LINE__)

/* Tries to create; returns the code and fills *e.  Names it "s". */
static inline int seq_try(numseq_options_t o, numseq_error_t *e)
{
	numseq_t *s = NULL;
	if (!(o.set & NUMSEQ_OPT_NAME)) {
		o.set |= NUMSEQ_OPT_NAME;
		o.name = "s";
	}
	memset(e, 0, sizeof *e);
	int rc = numseq_create(&s, &o, e);
	if (rc == NUMSEQ_OK)
		numseq_destroy(&s);
	else if (s != NULL)
		fail_msg("numseq_create failed but set *out");
	return rc;
}

/* CREATE must fail with exactly this error. */
#define CREATE_FAILS(code, sqlstate, message, ...)              \
	do {                                                    \
		numseq_error_t ce_;                             \
		int crc_ = seq_try(OPTS(__VA_ARGS__), &ce_);    \
		CHECK_ERR(crc_, &ce_, code, sqlstate, message); \
	} while (0)

static inline void seq_free(numseq_t **s)
{
	assert_rc(numseq_destroy(s), NUMSEQ_OK);
	assert_null(*s);
}

/* nextval must succeed with this value. */
static inline void next_is_at(numseq_t *s, int64_t expected, const char *file, int line)
{
	int64_t v = 0;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_nextval(s, &v, &e);
	if (rc != NUMSEQ_OK) {
		print_error("nextval failed: %d (%s) \"%s\", expected %" PRId64 "\n", rc,
		            numseq_strerror(rc), e.message, expected);
		_fail(file, line);
	}
	if (v != expected) {
		print_error("nextval returned %" PRId64 ", expected %" PRId64 "\n", v, expected);
		_fail(file, line);
	}
}
#define NEXT(s, v) next_is_at((s), (v), __FILE__, __LINE__)

/* nextval returns each value of a list in turn. */
#define NEXTS(s, ...)                                                         \
	do {                                                                  \
		const int64_t nv_[] = {__VA_ARGS__};                          \
		for (size_t ni_ = 0; ni_ < sizeof nv_ / sizeof nv_[0]; ni_++) \
			next_is_at((s), nv_[ni_], __FILE__, __LINE__);        \
	} while (0)

/* nextval must fail with this error; *out must not be relied on. */
#define NEXT_FAILS(s, code, sqlstate, message)                    \
	do {                                                      \
		int64_t nfv_ = 0;                                 \
		numseq_error_t nfe_;                              \
		memset(&nfe_, 0, sizeof nfe_);                    \
		int nfrc_ = numseq_nextval((s), &nfv_, &nfe_);    \
		CHECK_ERR(nfrc_, &nfe_, code, sqlstate, message); \
	} while (0)

/* SELECT last_value, is_called FROM s */
static inline void read_is_at(numseq_t *s, int64_t last, bool called, const char *file, int line)
{
	int64_t lv = 0;
	bool ic = !called;
	int rc = numseq_read(s, &lv, &ic);
	if (rc != NUMSEQ_OK) {
		print_error("numseq_read failed: %d\n", rc);
		_fail(file, line);
	}
	if (lv != last || ic != called) {
		print_error("read gives (%" PRId64 ", %s), expected (%" PRId64 ", %s)\n", lv,
		            ic ? "t" : "f", last, called ? "t" : "f");
		_fail(file, line);
	}
}
#define READ_IS(s, last, called) read_is_at((s), (last), (called), __FILE__, __LINE__)

static inline void setval_ok_at(numseq_t *s, int64_t v, bool is_called, const char *file, int line)
{
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_setval(s, v, is_called, &e);
	if (rc != NUMSEQ_OK) {
		print_error("setval(%" PRId64 ") failed: %d \"%s\"\n", v, rc, e.message);
		_fail(file, line);
	}
}
#define SETVAL(s, v, b) setval_ok_at((s), (v), (b), __FILE__, __LINE__)

static inline void alter_ok_at(numseq_t *s, numseq_options_t o, const char *file, int line)
{
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_alter(s, &o, &e);
	if (rc != NUMSEQ_OK) {
		print_error("numseq_alter failed: %d (%s) \"%s\"\n", rc, numseq_strerror(rc),
		            e.message);
		_fail(file, line);
	}
}
#define ALTER(s, ...) alter_ok_at((s), OPTS(__VA_ARGS__), __FILE__, __LINE__)

#define ALTER_FAILS(s, code, sqlstate, message, ...)            \
	do {                                                    \
		numseq_error_t ae_;                             \
		numseq_options_t ao_ = OPTS(__VA_ARGS__);       \
		memset(&ae_, 0, sizeof ae_);                    \
		int arc_ = numseq_alter((s), &ao_, &ae_);       \
		CHECK_ERR(arc_, &ae_, code, sqlstate, message); \
	} while (0)

static inline void currval_is_at(numseq_t *s, int64_t expected, const char *file, int line)
{
	int64_t v = 0;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_currval(s, &v, &e);
	if (rc != NUMSEQ_OK || v != expected) {
		print_error("currval gives rc %d \"%s\" value %" PRId64 ", expected %" PRId64 "\n",
		            rc, rc ? e.message : "", v, expected);
		_fail(file, line);
	}
}
#define CURRVAL_IS(s, v) currval_is_at((s), (v), __FILE__, __LINE__)

static inline void lastval_is_at(int64_t expected, const char *file, int line)
{
	int64_t v = 0;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	int rc = numseq_lastval(&v, &e);
	if (rc != NUMSEQ_OK || v != expected) {
		print_error("lastval gives rc %d \"%s\" value %" PRId64 ", expected %" PRId64 "\n",
		            rc, rc ? e.message : "", v, expected);
		_fail(file, line);
	}
}
#define LASTVAL_IS(v) lastval_is_at((v), __FILE__, __LINE__)

#define CURRVAL_UNDEFINED(s, message)                                       \
	do {                                                                \
		int64_t cuv_ = 0;                                           \
		numseq_error_t cue_;                                        \
		memset(&cue_, 0, sizeof cue_);                              \
		int curc_ = numseq_currval((s), &cuv_, &cue_);              \
		CHECK_ERR(curc_, &cue_, NUMSEQ_ECURRVAL, "55000", message); \
	} while (0)

#define LASTVAL_UNDEFINED()                                              \
	do {                                                             \
		int64_t luv_ = 0;                                        \
		numseq_error_t lue_;                                     \
		memset(&lue_, 0, sizeof lue_);                           \
		int lurc_ = numseq_lastval(&luv_, &lue_);                \
		CHECK_ERR(lurc_, &lue_, NUMSEQ_ELASTVAL, "55000",        \
		          "lastval is not yet defined in this session"); \
	} while (0)

/* numseq_get_options must equal this pg_sequences row. */
static inline void options_are_at(numseq_t *s, numseq_type_t type, int64_t start, int64_t min,
                                  int64_t max, int64_t inc, bool cycle, int64_t cache,
                                  const char *file, int line)
{
	numseq_options_t o;
	memset(&o, 0, sizeof o);
	int rc = numseq_get_options(s, &o);
	if (rc != NUMSEQ_OK) {
		print_error("numseq_get_options failed: %d\n", rc);
		_fail(file, line);
	}
	if (o.type != type || o.start != start || o.minvalue != min || o.maxvalue != max ||
	    o.increment != inc || o.cycle != cycle || o.cache != cache) {
		print_error("options are (type %d start %" PRId64 " min %" PRId64 " max %" PRId64
		            " inc %" PRId64 " cycle %d cache %" PRId64
		            ")\n expected (type %d start %" PRId64 " min %" PRId64 " max %" PRId64
		            " inc %" PRId64 " cycle %d cache %" PRId64 ")\n",
		            (int)o.type, o.start, o.minvalue, o.maxvalue, o.increment, (int)o.cycle,
		            o.cache, (int)type, start, min, max, inc, (int)cycle, cache);
		_fail(file, line);
	}
}
/* OPTIONS_ARE(s, type, start, min, max, increment, cycle, cache) */
#define OPTIONS_ARE(s, type, start, min, max, inc, cycle, cache)                              \
	options_are_at((s), (type), (start), (min), (max), (inc), (cycle), (cache), __FILE__, \
	               __LINE__)

#endif
