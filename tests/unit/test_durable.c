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
	/* The injector is single-threaded: an acknowledged ALTER first, so
	 * that the reservation thread has finished writing through it before
	 * the crash is simulated (no more draws, so it stays idle). */
	assert_rc(numseq_alter(s, &OPTS(.set = O_CACHE, .cache = 1), NULL), NUMSEQ_OK);
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
	fx_done(&x);
}

/* The SEQUENCE policy cannot be journaled yet (docs/durability.md):
 * numseq_open refuses it, leaves no handle and no journal behind. */
static void test_sequence_policy_journaled(void **state)
{
	(void)state;
	struct fx x;
	numseq_t *s = NULL;
	numseq_error_t e;
	fx_init(&x);
	numseq_options_t o = OPTS(.set = O_MAX | NUMSEQ_OPT_CLAIMS, .maxvalue = 100,
	                          .claims = NUMSEQ_CLAIMS_SEQUENCE);
	CHECK_ERR(numseq_open(&s, x.path, NUMSEQ_OPEN_CREATE, &o, NULL, &e), &e, NUMSEQ_EPOLICY,
	          "0A000", "numseq_open: the SEQUENCE claims policy cannot be journaled yet");
	assert_null(s);
	assert_int_equal(access(x.path, F_OK), -1);
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

/* ------------------------------------------------ the journal calls */

/* The real system calls, for the tests that need no fault. */
static int open_rc(const char *path, unsigned flags, const numseq_options_t *o, uint64_t window,
                   numseq_t **s)
{
	numseq_error_t e;
	numseq_journal_options_t jo = {.window = window};
	memset(&e, 0, sizeof e);
	*s = NULL;
	int rc = numseq_open(s, path, flags, o, window == UINT64_MAX ? NULL : &jo, &e);
	if (rc != NUMSEQ_OK && *s != NULL)
		fail_msg("numseq_open failed (%d) but set *out", rc);
	return rc;
}

static numseq_t *open_ok(const char *path, unsigned flags, const numseq_options_t *o,
                         uint64_t window)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	numseq_journal_options_t jo = {.window = window};
	memset(&e, 0, sizeof e);
	int rc = numseq_open(&s, path, flags, o, window == UINT64_MAX ? NULL : &jo, &e);
	if (rc != NUMSEQ_OK)
		fail_msg("numseq_open(%s): %d (%s) %s", path, rc, numseq_strerror(rc), e.message);
	return s;
}

static void info_of(numseq_t *s, numseq_journal_info_t *ji)
{
	memset(ji, 0xa5, sizeof *ji);
	assert_rc(numseq_journal_info(s, ji), NUMSEQ_OK);
}

/* numseq_journal_info: window, size and records now; a clean close is a
 * clean open without a gap; the arguments the journal calls refuse. */
static void test_journal_info_fields(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	fx_init(&x);
	numseq_t *s = open_ok(x.path, NUMSEQ_OPEN_CREATE, &OPTS(.set = O_MAX, .maxvalue = 1000000),
	                      W);
	info_of(s, &ji);
	assert_int_equal(ji.window, W);
	assert_true(ji.file_bytes > 0);
	assert_true(ji.records > 0);
	assert_false(ji.failed);
	assert_int_equal(ji.failed_errno, 0);
	assert_false(ji.gap);
	uint64_t bytes0 = ji.file_bytes, recs0 = ji.records;
	for (int i = 1; i <= 5 * (int)W; i++)
		NEXT(s, i);
	assert_rc(numseq_setval(s, 1000, true, NULL), NUMSEQ_OK);
	info_of(s, &ji);
	assert_true(ji.records > recs0); /* RESERVEs and the setval record */
	assert_true(ji.file_bytes > bytes0);
	/* Calls that refuse their arguments. */
	assert_rc(numseq_journal_info(s, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_journal_info(NULL, &ji), NUMSEQ_EINVAL);
	assert_rc(numseq_compact(NULL, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_close(NULL, NULL), NUMSEQ_EINVAL);
	numseq_t *none = NULL;
	assert_rc(numseq_close(&none, NULL), NUMSEQ_EINVAL);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	assert_null(s);
	s = open_ok(x.path, 0, NULL, W);
	info_of(s, &ji);
	assert_true(ji.clean_open);
	assert_false(ji.gap);
	assert_int_equal(ji.truncated, 0);
	assert_int_equal(ji.gap_events, 0);
	assert_int_equal(ji.gap_values, 0);
	assert_int_equal(ji.window, W);
	NEXT(s, 1001);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* Claimed numbers in order, into v (at most n); returns the count. */
static size_t claimed_list(numseq_t *s, int64_t *v, size_t n)
{
	uint64_t cur = 0;
	size_t k = 0;
	int64_t c;
	int rc;
	while ((rc = numseq_claimed_next(s, &cur, &c)) == NUMSEQ_OK) {
		assert_true(k < n);
		v[k++] = c;
	}
	assert_rc(rc, NUMSEQ_ENOTFOUND);
	return k;
}

/* numseq_compact: the file shrinks to one snapshot, and the state and the
 * claims it holds survive a clean reopen and a power loss after it.  A
 * journaled ALTER on a sequence with a bitmap keeps its policy. */
static void test_compact_reopen(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	bool want[301] = {false};
	int64_t got[301];
	int64_t v = 0;
	fx_init(&x);
	numseq_options_t o = OPTS(.set = O_MAX | NUMSEQ_OPT_CLAIMS, .maxvalue = 300,
	                          .claims = NUMSEQ_CLAIMS_LOWEST_FREE);
	numseq_t *s = open_f(&x, &o);
	for (int i = 1; i <= 200; i++) {
		NEXT(s, i);
		want[i] = true;
	}
	for (int i = 2; i <= 200; i += 3) { /* every third goes back */
		assert_rc(numseq_release(s, i, NULL), NUMSEQ_OK);
		want[i] = false;
	}
	assert_rc(numseq_claim(s, 250, NULL), NUMSEQ_OK);
	want[250] = true;
	/* ALTER on a journaled bitmap sequence (CYCLE is allowed). */
	assert_rc(numseq_alter(s, &OPTS(.set = O_CYCLE, .cycle = true), NULL), NUMSEQ_OK);
	info_of(s, &ji);
	uint64_t before = ji.file_bytes, recs = ji.records;
	assert_rc(numseq_compact(s, NULL), NUMSEQ_OK);
	info_of(s, &ji);
	print_message("compaction: %" PRIu64 " bytes / %" PRIu64 " records -> %" PRIu64
	              " / %" PRIu64 "\n",
	              before, recs, ji.file_bytes, ji.records);
	assert_true(ji.file_bytes < before);
	assert_true(ji.records < recs);
	assert_false(ji.failed);
	/* Durable work goes on in the new file. */
	NEXT(s, 2);
	want[2] = true;
	assert_rc(numseq_release(s, 1, NULL), NUMSEQ_OK);
	want[1] = false;
	/* A power loss right after: the acknowledged work is there. */
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	size_t n = claimed_list(s, got, 301), k = 0;
	for (int i = 1; i <= 300; i++) {
		if (!want[i])
			continue;
		assert_true(k < n);
		assert_i64(got[k], i);
		k++;
	}
	assert_int_equal(k, n);
	numseq_options_t ro;
	assert_rc(numseq_get_options(s, &ro), NUMSEQ_OK);
	assert_true(ro.cycle);
	assert_int_equal(ro.claims, NUMSEQ_CLAIMS_LOWEST_FREE);
	NEXT(s, 1); /* lowest free */
	assert_rc(numseq_compact(s, NULL), NUMSEQ_OK);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	/* Clean reopen after compaction + close. */
	s = reopen(&x, &ji);
	assert_true(ji.clean_open && !ji.gap);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_i64(v, 5); /* 1, 2 claimed; 3, 4 claimed; 5 released */
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);

	/* Without a bitmap: compaction resumes from the reservation's end, so
	 * a crash after it repeats nothing and the file shrinks. */
	char p2[128];
	snprintf(p2, sizeof p2, "%s/plain.nsj", x.dir);
	s = open_ok(p2, NUMSEQ_OPEN_CREATE, &OPTS(.set = O_MAX, .maxvalue = 1000000), W);
	int64_t last = 0;
	for (int i = 0; i < 50 * (int)W; i++) {
		assert_rc(numseq_nextval(s, &last, NULL), NUMSEQ_OK);
		if (i % 97 == 0)
			assert_rc(numseq_setval(s, last, true, NULL), NUMSEQ_OK);
	}
	info_of(s, &ji);
	before = ji.file_bytes;
	assert_rc(numseq_compact(s, NULL), NUMSEQ_OK);
	info_of(s, &ji);
	assert_true(ji.file_bytes < before);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(p2, 0, NULL, UINT64_MAX);
	info_of(s, &ji);
	assert_true(ji.clean_open && !ji.gap);
	NEXT(s, last + 1);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* The window is kept in the journal: a reopen without journal options (or
 * with window 0) uses it; a new window given at open replaces it. */
static void test_window_persisted(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	fx_init(&x);
	numseq_t *s = open_ok(x.path, NUMSEQ_OPEN_CREATE, &OPTS(.set = 0), 16);
	NEXTS(s, 1, 2, 3);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(x.path, 0, NULL, UINT64_MAX); /* jo = NULL */
	info_of(s, &ji);
	assert_int_equal(ji.window, 16);
	NEXT(s, 4);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(x.path, 0, NULL, 0); /* window 0: the journal's */
	info_of(s, &ji);
	assert_int_equal(ji.window, 16);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(x.path, 0, NULL, 64);
	info_of(s, &ji);
	assert_int_equal(ji.window, 64);
	NEXT(s, 5);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(x.path, 0, NULL, UINT64_MAX);
	info_of(s, &ji);
	assert_int_equal(ji.window, 64);
	NEXT(s, 6);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	/* A new journal without journal options: the default window. */
	char p2[128];
	snprintf(p2, sizeof p2, "%s/dflt.nsj", x.dir);
	/* Creating needs options (NULL: use the journal's). */
	assert_rc(open_rc(p2, NUMSEQ_OPEN_CREATE, NULL, UINT64_MAX, &s), NUMSEQ_EINVAL);
	s = open_ok(p2, NUMSEQ_OPEN_CREATE, &OPTS(.set = 0), UINT64_MAX);
	info_of(s, &ji);
	assert_int_equal(ji.window, NUMSEQ_WINDOW_DEFAULT);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* P4 in one process; P5 for other options; CREATE | EXCL. */
static void test_open_refusals(void **state)
{
	(void)state;
	struct fx x;
	numseq_t *t = NULL;
	numseq_error_t e;
	fx_init(&x);
	numseq_options_t o = OPTS(.set = O_MAX | O_INC, .maxvalue = 1000, .increment = 2);
	/* Nothing there yet, no CREATE. */
	assert_rc(open_rc(x.path, 0, NULL, W, &t), NUMSEQ_ENOENT);
	numseq_t *s = open_ok(x.path, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, W);
	NEXTS(s, 1, 3);
	/* A second handle in the same process. */
	assert_rc(open_rc(x.path, 0, NULL, W, &t), NUMSEQ_ELOCKED);
	assert_rc(open_rc(x.path, NUMSEQ_OPEN_CREATE, &o, W, &t), NUMSEQ_ELOCKED);
	NEXT(s, 5); /* the refused opens did not disturb the holder */
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	/* It exists now. */
	assert_rc(open_rc(x.path, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, W, &t), NUMSEQ_EEXIST);
	assert_rc(open_rc(x.path, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, NULL, W, &t),
	          NUMSEQ_EEXIST);
	/* Other options than the journal's. */
	numseq_options_t o2 = OPTS(.set = O_MAX | O_INC, .maxvalue = 2000, .increment = 2);
	assert_rc(open_rc(x.path, 0, &o2, W, &t), NUMSEQ_EFINGERPRINT);
	numseq_options_t o3 = OPTS(.set = O_MAX, .maxvalue = 1000);
	assert_rc(open_rc(x.path, NUMSEQ_OPEN_CREATE, &o3, W, &t), NUMSEQ_EFINGERPRINT);
	/* Bad options are PostgreSQL's error, before the file is touched. */
	memset(&e, 0, sizeof e);
	assert_rc(numseq_open(&t, x.path, 0, &OPTS(.set = O_INC, .increment = 0), NULL, &e),
	          NUMSEQ_EINCREMENT);
	assert_null(t);
	/* The refusals left it usable: the same options, and none. */
	s = open_ok(x.path, 0, &o, W);
	NEXT(s, 7);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = open_ok(x.path, 0, NULL, W);
	NEXT(s, 9);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* Journaled ALTER with and without RESTART: values continue as without a
 * journal, and the new options and state survive a power loss and a clean
 * reopen. */
static void test_alter_journaled(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	numseq_options_t ro;
	int64_t v = 0;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	NEXTS(s, 1, 2, 3);
	/* Without RESTART: from the current value (the PENDING path). */
	assert_rc(numseq_alter(s, &OPTS(.set = O_INC, .increment = 5), NULL), NUMSEQ_OK);
	NEXTS(s, 8, 13);
	/* A failed validation changes nothing, journal included. */
	assert_rc(numseq_alter(s, &OPTS(.set = O_MAX, .maxvalue = 10), NULL), NUMSEQ_ERESTART);
	NEXT(s, 18);
	/* With RESTART WITH. */
	assert_rc(numseq_alter(s, &OPTS(.set = O_RESTART_WITH, .restart = 100), NULL), NUMSEQ_OK);
	NEXTS(s, 100, 105);
	/* RESTART (to START) together with a new INCREMENT. */
	assert_rc(numseq_alter(s, &OPTS(.set = O_RESTART | O_INC, .increment = 7), NULL),
	          NUMSEQ_OK);
	NEXTS(s, 1, 8, 15);
	/* Past several windows, then ALTER MAXVALUE without RESTART. */
	for (int i = 0; i < 4 * (int)W; i++)
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_i64(v, 15 + 7 * 4 * (int64_t)W);
	assert_rc(numseq_alter(s, &OPTS(.set = O_MAX, .maxvalue = 2000000), NULL), NUMSEQ_OK);
	NEXT(s, v + 7);
	v += 7;
	assert_rc(numseq_alter(s, &OPTS(.set = O_INC, .increment = 3), NULL), NUMSEQ_OK);
	NEXT(s, v + 3);
	v += 3;
	/* Acknowledged ALTERs survive a power loss right after them. */
	assert_rc(numseq_alter(s, &OPTS(.set = O_RESTART_WITH, .restart = 500000), NULL),
	          NUMSEQ_OK);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	assert_rc(numseq_get_options(s, &ro), NUMSEQ_OK);
	assert_i64(ro.increment, 3);
	assert_i64(ro.maxvalue, 2000000);
	/* The RESTART WITH was acknowledged: the next value is 500000 unless
	 * the crash's gap passed it (never a value before it). */
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v >= 500000 && v <= 500000 + 3 * 2 * (int64_t)W);
	assert_rc(numseq_alter(s, &OPTS(.set = O_INC, .increment = 4), NULL), NUMSEQ_OK);
	NEXT(s, v + 4);
	v += 4;
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = reopen(&x, &ji);
	assert_true(ji.clean_open && !ji.gap);
	assert_rc(numseq_get_options(s, &ro), NUMSEQ_OK);
	assert_i64(ro.increment, 4);
	NEXT(s, v + 4);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* A failed fdatasync under an ALTER (with and without RESTART): the ALTER
 * fails, the old options stay in force, and nothing durable follows. */
static void test_alter_fault(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	numseq_options_t ro;
	numseq_error_t e;
	int64_t v = 0;
	int rc;
	for (int restart = 0; restart <= 1; restart++) {
		fx_init(&x);
		numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
		NEXTS(s, 1, 2, 3);
		fail_next_sync(&x, EIO);
		numseq_options_t o = OPTS(.set = O_INC, .increment = 10);
		if (restart)
			o.set |= O_RESTART_WITH, o.restart = 700;
		memset(&e, 0, sizeof e);
		rc = numseq_alter(s, &o, &e);
		assert_true(rc == NUMSEQ_EIO || rc == NUMSEQ_EFAILED);
		assert_int_equal(e.code, rc);
		assert_rc(numseq_get_options(s, &ro), NUMSEQ_OK);
		assert_i64(ro.increment, 1);
		/* Fail-stop: nothing more is served or acknowledged. */
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_EFAILED);
		numseq_block_t b;
		assert_rc(numseq_nextval_n(s, 4, &b, NULL), NUMSEQ_EFAILED);
		assert_rc(numseq_setval(s, 50, true, NULL), NUMSEQ_EFAILED);
		assert_rc(numseq_compact(s, NULL), NUMSEQ_EFAILED);
		info_of(s, &ji);
		assert_true(ji.failed);
		assert_int_equal(ji.failed_errno, EIO);
		assert_rc(numseq_close(&s, NULL), NUMSEQ_EFAILED);
		assert_null(s);
		crash(&x, NUMSEQ__FATE_DROP);
		s = reopen(&x, &ji);
		assert_rc(numseq_get_options(s, &ro), NUMSEQ_OK);
		assert_i64(ro.increment, 1);
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		assert_true(v > 3 && v < 700);
		assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
		fx_done(&x);
	}
}

/* A failed fsync during numseq_compact: the call fails, every durable
 * call after it is NUMSEQ_EFAILED, and a reopen (replaying what reached
 * the disk) loses nothing that was acknowledged. */
static void test_compact_fault(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	numseq_error_t e;
	int64_t v = 0, maxv = 0;
	bool b = false;
	int rc;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX | NUMSEQ_OPT_CLAIMS, .maxvalue = 500,
	                               .claims = NUMSEQ_CLAIMS_LOWEST_FREE));
	for (int i = 1; i <= 40; i++) {
		NEXT(s, i);
		maxv = i;
	}
	assert_rc(numseq_release(s, 7, NULL), NUMSEQ_OK);
	assert_rc(numseq_claim(s, 300, NULL), NUMSEQ_OK);
	fail_next_sync(&x, EIO);
	memset(&e, 0, sizeof e);
	rc = numseq_compact(s, &e);
	print_message("compact under a failed sync: %d (%s) %s\n", rc, numseq_strerror(rc),
	              e.message);
	assert_true(rc == NUMSEQ_EIO || rc == NUMSEQ_EFAILED);
	info_of(s, &ji);
	assert_true(ji.failed);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_EFAILED);
	assert_rc(numseq_claim(s, 400, NULL), NUMSEQ_EFAILED);
	assert_rc(numseq_release(s, 300, NULL), NUMSEQ_EFAILED);
	assert_rc(numseq_compact(s, NULL), NUMSEQ_EFAILED);
	assert_rc(numseq_alter(s, &OPTS(.set = O_CYCLE, .cycle = true), NULL), NUMSEQ_EFAILED);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	for (int i = 1; i <= 40; i++) {
		assert_rc(numseq_is_claimed(s, i, &b, NULL), NUMSEQ_OK);
		if (b != (i != 7))
			fail_msg("%d is %sclaimed after the reopen", i, b ? "" : "not ");
	}
	assert_rc(numseq_is_claimed(s, 300, &b, NULL), NUMSEQ_OK);
	assert_true(b);
	assert_rc(numseq_is_claimed(s, 400, &b, NULL), NUMSEQ_OK);
	assert_false(b);
	NEXTS(s, 7, maxv + 1);
	assert_rc(numseq_compact(s, NULL), NUMSEQ_OK); /* works again */
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);

	/* The same without a bitmap: nextval values are not repeated. */
	fx_init(&x);
	s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	for (int i = 0; i < 3 * (int)W + 1; i++) {
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		maxv = v;
	}
	assert_rc(numseq_setval(s, maxv + 100, true, NULL), NUMSEQ_OK);
	maxv += 100;
	fail_next_sync(&x, ENOSPC);
	rc = numseq_compact(s, NULL);
	assert_true(rc == NUMSEQ_ENOSPC || rc == NUMSEQ_EIO || rc == NUMSEQ_EFAILED);
	/* nextval may still serve what its durable reservation covers, and
	 * nothing past it. */
	for (int i = 0; i < 4 * (int)W && (rc = numseq_nextval(s, &v, NULL)) == NUMSEQ_OK; i++)
		maxv = v > maxv ? v : maxv;
	assert_rc(rc, NUMSEQ_EFAILED);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_EFAILED);
	crash(&x, NUMSEQ__FATE_DROP);
	s = reopen(&x, &ji);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v > maxv);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* numseq_nextval_n on a journaled sequence: a block stops at the durable
 * reservation (count <= W), the next one waits for the reservation thread,
 * blocks follow one another, and a reopen continues past them. */
static void test_nextval_n_journaled(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	numseq_block_t b;
	int64_t next = 1;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX | O_INC, .maxvalue = 1000000, .increment = 3));
	for (int i = 0; i < 40; i++) {
		memset(&b, 0, sizeof b);
		assert_rc(numseq_nextval_n(s, 100, &b, NULL), NUMSEQ_OK);
		assert_i64(b.first, next);
		assert_i64(b.step, 3);
		assert_true(b.count >= 1 && b.count <= 2 * W);
		next = b.first + 3 * (int64_t)b.count;
		if (i % 7 == 3)
			NEXT(s, next), next += 3;
	}
	int64_t cur = 0;
	assert_rc(numseq_currval(s, &cur, NULL), NUMSEQ_OK);
	assert_i64(cur, next - 3);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = reopen(&x, &ji);
	assert_true(ji.clean_open && !ji.gap);
	assert_rc(numseq_nextval_n(s, 2, &b, NULL), NUMSEQ_OK);
	assert_i64(b.first, next);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* CACHE > 1 on a journaled sequence: refills stop at the reservation,
 * values are served from the thread's block, nothing repeats after a
 * crash. */
static void test_cache_journaled(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	int64_t v = 0, prev = 0;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX | O_CACHE, .maxvalue = 1000000, .cache = 5));
	for (int i = 0; i < 10 * (int)W; i++) {
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		assert_true(v > prev); /* one thread: increasing */
		prev = v;
	}
	/* An acknowledged ALTER (it drops the caches) before the power loss.
	 * It also takes the writer lock after the reservation thread's last
	 * write: the injector is not thread-safe, and crash() must not run
	 * while that thread writes through it. */
	assert_rc(numseq_alter(s, &OPTS(.set = O_CACHE, .cache = 5), NULL), NUMSEQ_OK);
	crash(&x, NUMSEQ__FATE_DROP);
	numseq_destroy(&s);
	s = reopen(&x, &ji);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v > prev);
	prev = v;
	for (int i = 0; i < 3; i++) {
		assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
		assert_true(v > prev);
		prev = v;
	}
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	s = reopen(&x, &ji);
	assert_true(ji.clean_open && !ji.gap);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v > prev);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* The reservation thread's fdatasync fails while nextval waits past the
 * durable cap: the waiter gets NUMSEQ_EFAILED, never a value. */
static void test_reserve_fault_wakes_waiter(void **state)
{
	(void)state;
	struct fx x;
	numseq_journal_info_t ji;
	int64_t v = 0, maxv = 0;
	int rc = NUMSEQ_OK;
	fx_init(&x);
	numseq_t *s = open_f(&x, &OPTS(.set = O_MAX, .maxvalue = 1000000));
	numseq__jfault_rule_t r = {.kind = NUMSEQ__JIO_ANY_SYNC,
	                           .nth = numseq__jfault_calls(x.f, NUMSEQ__JIO_ANY_SYNC) + 1,
	                           .action = NUMSEQ__FAULT_ERR,
	                           .err = EIO,
	                           .persistent = true};
	assert_int_equal(numseq__jfault_add(x.f, &r), 0);
	for (int i = 0; i < 4 * (int)W; i++) {
		rc = numseq_nextval(s, &v, NULL);
		if (rc != NUMSEQ_OK)
			break;
		maxv = v;
	}
	assert_rc(rc, NUMSEQ_EFAILED);
	assert_true(maxv <= 2 * (int64_t)W); /* at most the first reservation and a half */
	info_of(s, &ji);
	assert_true(ji.failed);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_EFAILED);
	crash(&x, NUMSEQ__FATE_DROP);
	s = reopen(&x, &ji);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_true(v > maxv);
	assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
	fx_done(&x);
}

/* Every fdatasync / fsync of a creating open failing in turn: the open
 * fails with an I/O code and leaves nothing behind that a later open
 * cannot use (the last failing one is the first reservation's). */
static void test_open_sync_faults(void **state)
{
	(void)state;
	int failed = 0;
	for (uint64_t nth = 1; nth < 64; nth++) {
		struct fx x;
		numseq_t *s = NULL;
		numseq_error_t e;
		numseq_journal_info_t ji;
		fx_init(&x);
		numseq__jfault_rule_t r = {.kind = NUMSEQ__JIO_ANY_SYNC,
		                           .nth = nth,
		                           .action = NUMSEQ__FAULT_ERR,
		                           .err = EIO};
		assert_int_equal(numseq__jfault_add(x.f, &r), 0);
		numseq_journal_options_t jo = {.window = W};
		memset(&e, 0, sizeof e);
		int rc = numseq__open_io(&s, x.path, NUMSEQ_OPEN_CREATE,
		                         &OPTS(.set = O_MAX, .maxvalue = 100), &jo,
		                         numseq__jfault_io(x.f), &e);
		if (rc == NUMSEQ_OK) {
			/* The sync was not one of this open's (the rule stays for
			 * a later one): done. */
			numseq_destroy(&s);
			fx_done(&x);
			break;
		}
		print_message("sync %d of the open failed: %s\n", (int)nth, e.message);
		failed++;
		assert_null(s);
		assert_true(rc == NUMSEQ_EIO || rc == NUMSEQ_EFAILED);
		/* After the reboot: a usable journal, or none to open. */
		crash(&x, NUMSEQ__FATE_DROP);
		s = NULL;
		rc = numseq_open(&s, x.path, NUMSEQ_OPEN_CREATE,
		                 &OPTS(.set = O_MAX, .maxvalue = 100), NULL, &e);
		if (rc != NUMSEQ_OK)
			fail_msg("sync %d failed: the reopen gives %d (%s) %s", (int)nth, rc,
			         numseq_strerror(rc), e.message);
		assert_rc(numseq_journal_info(s, &ji), NUMSEQ_OK);
		NEXT(s, 1); /* the failed open acknowledged nothing */
		assert_rc(numseq_close(&s, NULL), NUMSEQ_OK);
		fx_done(&x);
	}
	print_message("%d failing syncs in a creating open\n", failed);
	assert_true(failed >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_crash_no_repeat),
		T(test_setval_acknowledged),
		T(test_failed_sync_is_fail_stop),
		T(test_claims_survive),
		T(test_sequence_policy_journaled),
		T(test_open_arguments),
		T(test_journal_info_fields),
		T(test_compact_reopen),
		T(test_window_persisted),
		T(test_open_refusals),
		T(test_alter_journaled),
		T(test_alter_fault),
		T(test_compact_fault),
		T(test_nextval_n_journaled),
		T(test_cache_journaled),
		T(test_reserve_fault_wakes_waiter),
		T(test_open_sync_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
