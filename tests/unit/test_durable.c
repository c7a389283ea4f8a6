/*
 * test_durable.c - journaled sequences through the public API, with the
 * fault injector of src/jio.h under numseq_open (numseq__open_io): the
 * promises of docs/durability.md at the sequence level.
 *
 *   P1  no value returned before a crash is returned after it;
 *   P2  the skipped range is at most the reservation and is reported;
 *   P3  acknowledged setval / RESTART / ALTER / claim / release survive;
 *   P6  after a failed fdatasync nothing more is acknowledged, and nextval
 *       never returns a value past the last durable reservation.
 * The journal layer's own fault matrix is tests/unit/test_journal.c; the
 * kill -9 harness is tests/crash/.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "jio.h"
#include "numseq_test.h"
#include "unit_common.h"

#define W 8u

struct fx {
	char dir[64];
	char path[96];
	int dirfd;
	numseq__jfault_t *f;
};

static void fx_init(struct fx *x)
{
	snprintf(x->dir, sizeof x->dir, "/tmp/numseq-durable.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->path, sizeof x->path, "%s/seq.nsj", x->dir);
	x->dirfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(x->dirfd >= 0);
	assert_int_equal(numseq__jfault_create(&x->f, x->dirfd), 0);
}

static void fx_done(struct fx *x)
{
	char cmd[160];
	numseq__jfault_destroy(&x->f);
	close(x->dirfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
}

static numseq_t *open_f(struct fx *x, const numseq_options_t *o)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	numseq_journal_options_t jo = {.window = W};
	memset(&e, 0, sizeof e);
	int rc = numseq__open_io(&s, x->path, NUMSEQ_OPEN_CREATE, o, &jo, numseq__jfault_io(x->f),
	                         &e);
	if (rc != NUMSEQ_OK)
		fail_msg("open: %d %s", rc, e.message);
	return s;
}

/* After the "reboot": the real system calls. */
static numseq_t *reopen(struct fx *x, numseq_journal_info_t *ji)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	numseq_journal_options_t jo = {.window = W};
	memset(&e, 0, sizeof e);
	int rc = numseq_open(&s, x->path, 0, NULL, &jo, &e);
	if (rc != NUMSEQ_OK)
		fail_msg("reopen: %d %s", rc, e.message);
	assert_rc(numseq_journal_info(s, ji), NUMSEQ_OK);
	return s;
}

static void crash(struct fx *x, int fate)
{
	numseq__jfault_fate_t ft = {.data = fate};
	assert_int_equal(numseq__jfault_replay(x->f, &ft), 0);
}

static void fail_next_sync(struct fx *x, int err)
{
	numseq__jfault_rule_t r = {.kind = NUMSEQ__JIO_ANY_SYNC,
	                           .nth = numseq__jfault_calls(x->f, NUMSEQ__JIO_ANY_SYNC) + 1,
	                           .action = NUMSEQ__FAULT_ERR,
	                           .err = err};
	assert_int_equal(numseq__jfault_add(x->f, &r), 0);
}

/* P1/P2 across a power loss with nextval on both sides. */
static void test_crash_no_repeat(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	int64_t v = 0, last = 0;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	for (int i = 0; i < 37; i++) {
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		assert_i64(v, i + 1);
	}
	last = v;
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s); /* the dead process's handle: its close fails */
	s = reopen(&x, &ji);
	assert_false(ji.clean_open);
	assert_true(ji.gap);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	print_message("after the crash: last %" PRId64 ", next %" PRId64 ", gap %" PRId64
	              "..%" PRId64 " (%" PRIu64 ")\n",
	              last, v, ji.gap_first, ji.gap_last, ji.gap_count);
	assert_true(v > last);                 /* P1 */
	assert_true(v - last - 1 <= 2 * W);    /* P2: bounded */
	assert_true(ji.gap_first <= last + 1); /* P2: the skipped numbers are reported */
	assert_true(ji.gap_last == v - 1);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	/* A clean close loses nothing. */
	s = reopen(&x, &ji);
	assert_true(ji.clean_open && !ji.gap);
	int64_t w2;
	assert_rc(numseq_nextval(s, &w2, NULL), NUMSEQ_OK);
	assert_i64(w2, v + 1);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* P3: an acknowledged setval survives a power loss right after it. */
static void test_setval_acknowledged(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	int64_t v = 0;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	NEXTS(s, 1, 2, 3);
	assert_rc(numseq_setval(s, 500000, true, NULL), NUMSEQ_OK);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v > 500000 && v <= 500000 + W + 1);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* P6: a failed fdatasync stops durable work; nextval never returns a value
 * past the last durable reservation, and the values it did return are
 * never returned again after the crash that follows. */
static void test_failed_sync_is_fail_stop(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	numseq_error_t e;
	int64_t v = 0, maxv = 0;
	int rc = NUMSEQ_OK;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	for (int i = 0; i < 20; i++) {
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		maxv = v;
	}
	fail_next_sync(&x, EIO);
	/* A setval whose fdatasync fails is not acknowledged. */
	rc = numseq_setval(s, 900000, true, &e);
	assert_true(rc == NUMSEQ_EIO || rc == NUMSEQ_EFAILED);
	/* From now on nothing durable; nextval runs out of its reservation. */
	for (int i = 0; i < 10 * (int)W; i++) {
		rc = numseq_nextval(s, &v, &e);
		if (rc != NUMSEQ_OK)
			break;
		assert_true(v < 900000); /* the failed setval never took effect */
		maxv = v;
	}
	assert_rc(rc, NUMSEQ_EFAILED);
	assert_rc(numseq_setval(s, 5, true, NULL), NUMSEQ_EFAILED);
	numseq_journal_info(s, &ji);
	assert_true(ji.failed);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	print_message("returned up to %" PRId64 " before the failure; next after reopen %" PRId64
	              "\n",
	              maxv, v);
	assert_true(v > maxv);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* P3 for the bitmap: acknowledged claims and releases survive; LOWEST_FREE
 * nextval is a durable claim. */
static void test_claims_survive(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	bool b = false;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX | NUMSEQ_OPT_CLAIMS, .maxvalue = 100,
	                               .claims = NUMSEQ_CLAIMS_LOWEST_FREE));
	NEXTS(s, 1, 2, 3);
	assert_rc(numseq_claim(s, 50, NULL), NUMSEQ_OK);
	assert_rc(numseq_release(s, 2, NULL), NUMSEQ_OK);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	assert_rc(numseq_is_claimed(s, 50, &b, NULL), NUMSEQ_OK);
	assert_true(b);
	assert_rc(numseq_is_claimed(s, 2, &b, NULL), NUMSEQ_OK);
	assert_false(b);
	NEXTS(s, 2, 4);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	/* SEQUENCE cannot be journaled yet. */
	numseq_t *t = NULL;
	char p2[128];
	snprintf(p2, sizeof p2, "%s/seq2.nsj", x.dir);
	numseq_options_t o = OPTS(.set = O_MAX | NUMSEQ_OPT_CLAIMS, .maxvalue = 100,
	                          .claims = NUMSEQ_CLAIMS_SEQUENCE);
	assert_rc(numseq_open(&t, p2, NUMSEQ_OPEN_CREATE, &o, NULL, NULL), NUMSEQ_EPOLICY);
	assert_null(t);
	fx_done(&x);
}

/* Arguments, and calls that need a journal. */
static void test_open_arguments(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	numseq_journal_info_t ji;
	numseq_journal_options_t big = {.window = (UINT64_C(1) << 32) + 1};
	assert_rc(numseq_open(NULL, "/tmp/x", 0, NULL, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_open(&s, NULL, 0, NULL, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_open(&s, "", 0, NULL, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_open(&s, "/tmp/x", 0x80, NULL, NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_open(&s, "/tmp/x", 0, NULL, &big, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_open(&s, "/tmp/numseq-no-such-dir/x", 0, NULL, NULL, NULL), NUMSEQ_ENOENT);
	s = SEQ(.set = O_MAX, .maxvalue = 5);
	assert_rc(numseq_journal_info(s, &ji), NUMSEQ_ENOJOURNAL);
	assert_rc(numseq_compact(s, NULL), NUMSEQ_ENOJOURNAL);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK); /* no journal: as destroy */
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_crash_no_repeat),          T(test_setval_acknowledged),
		T(test_failed_sync_is_fail_stop), T(test_claims_survive),
		T(test_open_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
