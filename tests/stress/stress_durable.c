/*
 * stress_durable.c - journaled sequences under threads: nextval, nextval_n,
 * ALTER, compaction, rebases and the claimed-number bitmap racing the
 * reservation thread, then a clean close or a kill -9 and a reopen.
 *
 * The oracle is "every number handed out at most once", across the reopen
 * too: the first value after it lies past every value returned before.
 * Workers never assert: they record what they saw, and the main thread
 * checks after pthread_join (or, for the killed child, after reading its
 * values from a pipe).
 *
 * Cases (2-4 threads, counts drawn from the seed, sizes from
 * NUMSEQ_STRESS_SCALE; window W drawn from 4..64):
 *  - nextval_alter_compact: NO CYCLE, CACHE 1, rebase every few hundred
 *    tickets (numseq__set_rebase_at); takers nextval while a paced writer runs
 *    ALTERs that do not move the counter back (CACHE 1, a larger MAXVALUE,
 *    NO CYCLE, INCREMENT 1 again) and numseq_compact.  Not setval or
 *    RESTART: moving the counter back repeats values legitimately.  Each
 *    thread's values strictly increase, none repeats; after close and
 *    reopen the journal was closed cleanly (no gap) and the next value is
 *    past all of them.  Then the same in a forked child killed with
 *    SIGKILL, its values reported through a pipe: after the reopen no
 *    value repeats and a gap is reported.
 *  - cache_blocks: CACHE 8, nextval and numseq_nextval_n (k 1..100; a
 *    block stops at the durable reservation: count <= k); no value twice,
 *    every block in the range with the right step, after close and reopen
 *    the next value is past them all.
 *  - claims_durable: LOWEST_FREE over 1..256, nextval / release / claim
 *    churn with an owner table (a number handed out while held is a
 *    violation) and an occasional compaction; the claimed set after the
 *    race, and after close and reopen, equals the union of what the
 *    threads hold.
 */
#define _GNU_SOURCE /* mkdtemp */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "numseq_test.h"
#include "stress_common.h"

#define WHY 512
#define MAX_THREADS 4

/* ------------------------------------------------------------ journal dir */

typedef struct jdir {
	char dir[64];
	char path[96];
} jdir_t;

static void jdir_make(jdir_t *d)
{
	snprintf(d->dir, sizeof d->dir, "/tmp/numseq-sdurable.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->path, sizeof d->path, "%s/seq.nsj", d->dir);
}

static void jdir_remove(jdir_t *d)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
	assert_int_equal(system(cmd), 0);
}

static int jopen(numseq_t **s, const char *path, unsigned flags, const numseq_options_t *o,
                 uint64_t window, numseq_error_t *e)
{
	numseq_journal_options_t jo = {.window = window};
	memset(e, 0, sizeof *e);
	*s = NULL;
	return numseq_open(s, path, flags, o, window != 0 ? &jo : NULL, e);
}

/* First unexpected return code of a thread, with its message. */
typedef struct bad {
	int code;
	char msg[NUMSEQ_MSG_MAX + 64];
} bad_t;

static void bad_note(bad_t *b, const char *what, int rc, const numseq_error_t *e)
{
	if (b->code != 0)
		return;
	b->code = rc;
	snprintf(b->msg, sizeof b->msg, "%s: %d (%s) %s", what, rc, numseq_strerror(rc),
	         e != NULL ? e->message : "");
}

/* Sorted, distinct, within [lo, hi]. */
static void check_values(uint64_t cs, stress_vec_t *all, int64_t lo, int64_t hi)
{
	char why[WHY];
	STRESS_CHECK(!all->oom, cs, "out of memory recording values");
	stress_sort(all->v, all->n);
	STRESS_CHECK(stress_check_distinct(all->v, all->n, why, sizeof why), cs, "%s", why);
	if (all->n > 0) {
		STRESS_CHECK(all->v[0] >= lo && all->v[all->n - 1] <= hi, cs,
		             "values %lld..%lld outside %lld..%lld", STRESS_LL(all->v[0]),
		             STRESS_LL(all->v[all->n - 1]), STRESS_LL(lo), STRESS_LL(hi));
	}
}

/* Reopens path without options, checks a clean open without a gap, and
 * that the next value lies past maxv. */
static void reopen_clean_past(uint64_t cs, const char *path, int64_t maxv)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	numseq_journal_info_t ji;
	int64_t v = 0;
	int rc = jopen(&s, path, 0, NULL, 0, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "reopen: %d %s", rc, e.message);
	assert_int_equal(numseq_journal_info(s, &ji), NUMSEQ_OK);
	rc = numseq_nextval(s, &v, &e);
	assert_int_equal(numseq_close(&s, NULL), NUMSEQ_OK);
	STRESS_CHECK(ji.clean_open && !ji.gap, cs,
	             "after a clean close: clean_open %d, gap %d (%lld..%lld)", ji.clean_open,
	             ji.gap, STRESS_LL(ji.gap_first), STRESS_LL(ji.gap_last));
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "nextval after reopen: %d %s", rc, e.message);
	STRESS_CHECK(v > maxv, cs, "after reopen nextval %lld, but %lld was returned before",
	             STRESS_LL(v), STRESS_LL(maxv));
	print_message("  reopen: next %lld after max %lld (window %llu)\n", STRESS_LL(v),
	              STRESS_LL(maxv), STRESS_LLU(ji.window));
}

/* ------------------------------------------------- nextval_alter_compact */

typedef struct nv_worker {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t quota; /* 0: until *stop */
	atomic_bool *stop;
	_Atomic int *alive;
	int pipefd; /* >= 0: every value is also written there (child) */
	/* results */
	stress_vec_t vals;
	uint64_t mono_violations;
	int64_t mono_prev, mono_v;
	bad_t bad;
} nv_worker_t;

static void *nv_main(void *arg)
{
	nv_worker_t *w = arg;
	int64_t prev = 0, v = 0;
	bool have = false;
	numseq_error_t e;
	if (w->gate != NULL && !stress_gate_pass(w->gate))
		goto out;
	for (uint64_t i = 0; w->quota == 0 || i < w->quota; i++) {
		if (w->stop != NULL && atomic_load_explicit(w->stop, memory_order_relaxed))
			break;
		int rc = numseq_nextval(w->s, &v, &e);
		if (rc != NUMSEQ_OK) {
			bad_note(&w->bad, "nextval", rc, &e);
			break;
		}
		if (w->pipefd >= 0) {
			/* 8 bytes < PIPE_BUF: atomic, whole values only. */
			if (write(w->pipefd, &v, sizeof v) != (ssize_t)sizeof v)
				break;
		} else {
			stress_vec_push(&w->vals, v);
		}
		if (have && v <= prev && w->mono_violations++ == 0) {
			w->mono_prev = prev;
			w->mono_v = v;
		}
		prev = v;
		have = true;
	}
out:
	if (w->alive != NULL)
		atomic_fetch_sub_explicit(w->alive, 1, memory_order_release);
	return NULL;
}

typedef struct alter_writer {
	numseq_t *s;
	uint64_t seed;
	int64_t maxvalue; /* current MAXVALUE, raised by the writer */
	_Atomic int *alive;
	atomic_bool *stop;
	/* results */
	uint64_t alters, compacts;
	bad_t bad;
} alter_writer_t;

static void *alter_main(void *arg)
{
	alter_writer_t *w = arg;
	stress_rng_t r;
	numseq_error_t e;
	stress_rng_init(&r, w->seed);
	while (atomic_load_explicit(w->alive, memory_order_acquire) > 0 &&
	       !(w->stop != NULL && atomic_load_explicit(w->stop, memory_order_relaxed))) {
		numseq_options_t o;
		int rc;
		numseq_options_init(&o);
		switch (stress_rng_below(&r, 5)) {
		case 0:
			o.set = NUMSEQ_OPT_CACHE;
			o.cache = 1;
			break;
		case 1:
			w->maxvalue += (int64_t)stress_rng_range(&r, 1, 1000);
			o.set = NUMSEQ_OPT_MAXVALUE;
			o.maxvalue = w->maxvalue;
			break;
		case 2:
			o.set = NUMSEQ_OPT_CYCLE;
			o.cycle = false;
			break;
		case 3:
			o.set = NUMSEQ_OPT_INCREMENT;
			o.increment = 1;
			break;
		default:
			rc = numseq_compact(w->s, &e);
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "compact", rc, &e);
				return NULL;
			}
			w->compacts++;
			continue;
		}
		rc = numseq_alter(w->s, &o, &e);
		if (rc != NUMSEQ_OK) {
			bad_note(&w->bad, "alter", rc, &e);
			return NULL;
		}
		w->alters++;
		/* Pacing (not asserted): let most epochs live long enough for
		 * draws to pass their reservation and the rebase point. */
		if (stress_rng_below(&r, 4) != 0) {
			struct timespec ts = {0, (long)stress_rng_below(&r, 500000)};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static const int64_t NV_MAX = INT64_C(1) << 50;

static numseq_options_t nv_options(void)
{
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_NAME;
	o.maxvalue = NV_MAX;
	o.name = "stress_durable";
	return o;
}

/* Starts nt takers and one writer on s, joins them; values in w[i].vals. */
static void nv_race(uint64_t cs, numseq_t *s, nv_worker_t *w, int nt, alter_writer_t *aw,
                    uint64_t quota, int pipefd, atomic_bool *stop)
{
	pthread_t tids[MAX_THREADS], wt;
	stress_gate_t gate;
	_Atomic int alive;
	int created = 0;
	char why[WHY];
	atomic_init(&alive, nt);
	stress_gate_init(&gate, (unsigned)nt);
	for (int i = 0; i < nt; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].s = s;
		w[i].gate = &gate;
		w[i].quota = quota;
		w[i].stop = stop;
		w[i].alive = &alive;
		w[i].pipefd = pipefd;
		if (pipefd < 0)
			stress_vec_reserve(&w[i].vals, quota);
	}
	aw->s = s;
	aw->alive = &alive;
	aw->stop = stop;
	if (!stress_spawn(tids, nt, nv_main, w, sizeof w[0], &created, why, sizeof why)) {
		stress_gate_abort(&gate);
		for (int i = 0; i < created; i++)
			pthread_join(tids[i], NULL);
		stress_gate_destroy(&gate);
		STRESS_FAIL(cs, "%s", why);
	}
	int wrc = pthread_create(&wt, NULL, alter_main, aw);
	stress_gate_open(&gate);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	if (wrc == 0)
		pthread_join(wt, NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(wrc == 0, cs, "pthread_create of the writer: %s", strerror(wrc));
}

/* The child of the crash half: races until killed, values to fd. */
static void nv_child(const char *path, uint64_t window, int nt, uint64_t seed, int64_t maxvalue,
                     int fd)
{
	numseq_t *s = NULL;
	numseq_error_t e;
	nv_worker_t w[MAX_THREADS];
	alter_writer_t aw;
	alarm(120); /* never outlive a parent that failed to kill us */
	/* NULL options: the ALTERs changed them. */
	if (jopen(&s, path, 0, NULL, window, &e) != NUMSEQ_OK)
		_exit(2);
	memset(&aw, 0, sizeof aw);
	aw.seed = seed;
	aw.maxvalue = maxvalue;
	/* No cmocka here: a failure just ends the child early (the parent
	 * sees fewer values than it waits for, and EOF). */
	pthread_t tids[MAX_THREADS], wt;
	_Atomic int alive;
	atomic_init(&alive, nt);
	for (int i = 0; i < nt; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].s = s;
		w[i].alive = &alive;
		w[i].pipefd = fd;
		if (pthread_create(&tids[i], NULL, nv_main, &w[i]) != 0)
			_exit(3);
	}
	aw.s = s;
	aw.alive = &alive;
	if (pthread_create(&wt, NULL, alter_main, &aw) != 0)
		_exit(3);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	_exit(4); /* a taker stopped: an error (never a clean close) */
}

static void test_nextval_alter_compact(void **state)
{
	(void)state;
	uint64_t cs = stress_case_seed("nextval_alter_compact");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	int nt = (int)stress_rng_range(&r, 2, MAX_THREADS - 1); /* + the writer */
	uint64_t window = stress_rng_range(&r, 4, 64);
	uint64_t quota = stress_n(20000, 200);
	uint64_t rebase_at = stress_rng_range(&r, 8, 128);
	jdir_t d;
	numseq_t *s = NULL;
	numseq_error_t e;
	nv_worker_t w[MAX_THREADS];
	alter_writer_t aw;
	numseq_options_t o = nv_options();

	jdir_make(&d);
	print_message("  %d takers + 1 writer, window %llu, %llu values each, rebase at %llu\n", nt,
	              STRESS_LLU(window), STRESS_LLU(quota), STRESS_LLU(rebase_at));
	int rc = jopen(&s, d.path, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, window, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "open: %d %s", rc, e.message);
	assert_int_equal(numseq__set_rebase_at(s, rebase_at), NUMSEQ_OK);
	uint64_t epoch0 = numseq__epoch(s);
	memset(&aw, 0, sizeof aw);
	aw.seed = stress_rng_next(&r);
	aw.maxvalue = NV_MAX;
	nv_race(cs, s, w, nt, &aw, quota, -1, NULL);
	uint64_t epochs = numseq__epoch(s) - epoch0;
	numseq_journal_info_t ji;
	assert_int_equal(numseq_journal_info(s, &ji), NUMSEQ_OK);
	rc = numseq_close(&s, &e);

	stress_vec_t all = {0};
	for (int i = 0; i < nt; i++) {
		STRESS_CHECK(w[i].bad.code == 0, cs, "taker %d: %s", i, w[i].bad.msg);
		STRESS_CHECK(w[i].mono_violations == 0, cs,
		             "taker %d: %llu values not above its previous (%lld after %lld)", i,
		             STRESS_LLU(w[i].mono_violations), STRESS_LL(w[i].mono_v),
		             STRESS_LL(w[i].mono_prev));
		STRESS_CHECK(w[i].vals.n == quota, cs, "taker %d: %zu values of %llu", i,
		             w[i].vals.n, STRESS_LLU(quota));
		for (size_t k = 0; k < w[i].vals.n; k++)
			stress_vec_push(&all, w[i].vals.v[k]);
		stress_vec_free(&w[i].vals);
	}
	STRESS_CHECK(aw.bad.code == 0, cs, "writer: %s", aw.bad.msg);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "close: %d %s", rc, e.message);
	STRESS_CHECK(!ji.failed, cs, "journal failed (errno %d)", ji.failed_errno);
	check_values(cs, &all, 1, aw.maxvalue);
	int64_t maxv = all.v[all.n - 1];
	print_message("  %zu values, max %lld (%lld skipped), %llu alters, %llu compactions, "
	              "%llu epochs\n",
	              all.n, STRESS_LL(maxv), STRESS_LL(maxv - (int64_t)all.n),
	              STRESS_LLU(aw.alters), STRESS_LLU(aw.compacts), STRESS_LLU(epochs));
	stress_vec_free(&all);
	reopen_clean_past(cs, d.path, maxv);

	/* The crash half: a child continues from here and is killed. */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	uint64_t want = stress_n(10000, 200);
	uint64_t cseed = stress_rng_next(&r);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		nv_child(d.path, window, nt, cseed, aw.maxvalue, fds[1]);
	}
	close(fds[1]);
	stress_vec_t got = {0};
	bool killed = false;
	for (;;) {
		int64_t buf[256];
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		STRESS_CHECK(n % (ssize_t)sizeof buf[0] == 0, cs, "torn value in the pipe");
		for (ssize_t k = 0; k < n / (ssize_t)sizeof buf[0]; k++)
			stress_vec_push(&got, buf[k]);
		if (!killed && got.n >= want) {
			kill(pid, SIGKILL);
			killed = true;
		}
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	STRESS_CHECK(killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, cs,
	             "child ended before the kill (status %#x, %zu values)", (unsigned)status,
	             got.n);
	check_values(cs, &got, maxv + 1, INT64_MAX);
	int64_t cmax = got.v[got.n - 1];
	rc = jopen(&s, d.path, 0, NULL, 0, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "reopen after kill: %d %s", rc, e.message);
	assert_int_equal(numseq_journal_info(s, &ji), NUMSEQ_OK);
	int64_t v = 0;
	rc = numseq_nextval(s, &v, &e);
	assert_int_equal(numseq_close(&s, NULL), NUMSEQ_OK);
	print_message("  killed after %zu values (max %lld); next %lld, gap %lld..%lld (%llu)\n",
	              got.n, STRESS_LL(cmax), STRESS_LL(v), STRESS_LL(ji.gap_first),
	              STRESS_LL(ji.gap_last), STRESS_LLU(ji.gap_count));
	stress_vec_free(&got);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "nextval after the kill: %d %s", rc, e.message);
	STRESS_CHECK(v > cmax, cs, "after the kill nextval %lld, but %lld was returned before",
	             STRESS_LL(v), STRESS_LL(cmax));
	STRESS_CHECK(!ji.clean_open && ji.gap, cs, "after a kill: clean_open %d, gap %d",
	             ji.clean_open, ji.gap);
	/* P2: recovery resumes right after the reported range (values inside
	 * it may have been handed out without reaching the pipe). */
	STRESS_CHECK(ji.gap_last == v - 1 && ji.gap_first <= ji.gap_last, cs,
	             "gap %lld..%lld does not end just before the next value %lld",
	             STRESS_LL(ji.gap_first), STRESS_LL(ji.gap_last), STRESS_LL(v));
	jdir_remove(&d);
}

/* --------------------------------------------------------- cache_blocks */

typedef struct blk_worker {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t seed;
	uint64_t calls;
	int64_t max;
	/* results */
	stress_vec_t vals;
	uint64_t bulk_calls, short_blocks, bad_blocks;
	char bad_block_msg[160];
	bad_t bad;
} blk_worker_t;

static void *blk_main(void *arg)
{
	blk_worker_t *w = arg;
	stress_rng_t r;
	numseq_error_t e;
	stress_rng_init(&r, w->seed);
	if (!stress_gate_pass(w->gate))
		return NULL;
	for (uint64_t i = 0; i < w->calls; i++) {
		int rc;
		if (stress_rng_below(&r, 100) < 40) {
			numseq_block_t b;
			uint64_t k = stress_rng_range(&r, 1, 100);
			memset(&b, 0, sizeof b);
			rc = numseq_nextval_n(w->s, k, &b, &e);
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "nextval_n", rc, &e);
				break;
			}
			w->bulk_calls++;
			if (b.count < k)
				w->short_blocks++;
			if (b.count == 0 || b.count > k || b.step != 1 || b.first < 1 ||
			    b.first > w->max - (int64_t)(b.count - 1)) {
				if (w->bad_blocks++ == 0)
					snprintf(w->bad_block_msg, sizeof w->bad_block_msg,
					         "k %llu: first %lld step %lld count %llu",
					         STRESS_LLU(k), STRESS_LL(b.first),
					         STRESS_LL(b.step), STRESS_LLU(b.count));
				continue;
			}
			for (uint64_t c = 0; c < b.count; c++)
				stress_vec_push(&w->vals, b.first + (int64_t)c);
		} else {
			int64_t v = 0;
			rc = numseq_nextval(w->s, &v, &e);
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "nextval", rc, &e);
				break;
			}
			stress_vec_push(&w->vals, v);
		}
	}
	return NULL;
}

static void test_cache_blocks(void **state)
{
	(void)state;
	uint64_t cs = stress_case_seed("cache_blocks");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	int nt = (int)stress_rng_range(&r, 2, MAX_THREADS);
	uint64_t window = stress_rng_range(&r, 4, 64);
	uint64_t calls = stress_n(10000, 100);
	const int64_t max = INT64_C(1) << 40;
	jdir_t d;
	numseq_t *s = NULL;
	numseq_error_t e;
	blk_worker_t w[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	stress_gate_t gate;
	int created = 0;
	char why[WHY];
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CACHE;
	o.maxvalue = max;
	o.cache = 8;

	jdir_make(&d);
	print_message("  %d threads, window %llu, %llu calls each\n", nt, STRESS_LLU(window),
	              STRESS_LLU(calls));
	int rc = jopen(&s, d.path, NUMSEQ_OPEN_CREATE, &o, window, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "open: %d %s", rc, e.message);
	assert_int_equal(numseq__set_rebase_at(s, stress_rng_range(&r, 500, 5000)), NUMSEQ_OK);
	stress_gate_init(&gate, (unsigned)nt);
	memset(w, 0, sizeof w);
	for (int i = 0; i < nt; i++) {
		w[i].s = s;
		w[i].gate = &gate;
		w[i].seed = stress_rng_next(&r);
		w[i].calls = calls;
		w[i].max = max;
	}
	if (!stress_spawn(tids, nt, blk_main, w, sizeof w[0], &created, why, sizeof why)) {
		stress_gate_abort(&gate);
		for (int i = 0; i < created; i++)
			pthread_join(tids[i], NULL);
		stress_gate_destroy(&gate);
		STRESS_FAIL(cs, "%s", why);
	}
	stress_gate_open(&gate);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);
	rc = numseq_close(&s, &e);

	stress_vec_t all = {0};
	uint64_t bulk = 0, shorts = 0;
	for (int i = 0; i < nt; i++) {
		STRESS_CHECK(w[i].bad.code == 0, cs, "thread %d: %s", i, w[i].bad.msg);
		STRESS_CHECK(w[i].bad_blocks == 0, cs, "thread %d: %llu bad blocks, first %s", i,
		             STRESS_LLU(w[i].bad_blocks), w[i].bad_block_msg);
		bulk += w[i].bulk_calls;
		shorts += w[i].short_blocks;
		for (size_t k = 0; k < w[i].vals.n; k++)
			stress_vec_push(&all, w[i].vals.v[k]);
		stress_vec_free(&w[i].vals);
	}
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "close: %d %s", rc, e.message);
	check_values(cs, &all, 1, max);
	int64_t maxv = all.v[all.n - 1];
	print_message("  %zu values, max %lld; %llu blocks, %llu cut short\n", all.n,
	              STRESS_LL(maxv), STRESS_LLU(bulk), STRESS_LLU(shorts));
	stress_vec_free(&all);
	reopen_clean_past(cs, d.path, maxv);
	jdir_remove(&d);
}

/* ------------------------------------------------------- claims_durable */

#define CL_N 256

typedef struct cl_worker {
	numseq_t *s;
	stress_gate_t *gate;
	_Atomic uint32_t *owner; /* [CL_N + 1], 0 = free */
	uint32_t id;
	uint64_t seed;
	uint64_t ops;
	bool compacts; /* this one compacts now and then */
	/* results: the numbers held at the end */
	int64_t held[CL_N];
	size_t nheld;
	uint64_t nextvals, claims, releases, efull, eclaimed, compactions;
	uint64_t violations;
	char vmsg[160];
	bad_t bad;
} cl_worker_t;

static void cl_take(cl_worker_t *w, int64_t v, const char *how)
{
	uint32_t zero = 0;
	if (v < 1 || v > CL_N) {
		if (w->violations++ == 0)
			snprintf(w->vmsg, sizeof w->vmsg, "%s gave %lld, outside 1..%d", how,
			         STRESS_LL(v), CL_N);
		return;
	}
	/* seq_cst, like the bitmap's read-modify-writes (stress_claims.c). */
	if (!atomic_compare_exchange_strong(&w->owner[v], &zero, w->id)) {
		if (w->violations++ == 0)
			snprintf(w->vmsg, sizeof w->vmsg, "%s gave %lld, held by thread %u", how,
			         STRESS_LL(v), zero);
		return;
	}
	w->held[w->nheld++] = v;
}

static void *cl_main(void *arg)
{
	cl_worker_t *w = arg;
	stress_rng_t r;
	numseq_error_t e;
	stress_rng_init(&r, w->seed);
	if (!stress_gate_pass(w->gate))
		return NULL;
	for (uint64_t i = 0; i < w->ops; i++) {
		unsigned op = (unsigned)stress_rng_below(&r, 100);
		int rc;
		if (w->compacts && op < 2) {
			rc = numseq_compact(w->s, &e);
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "compact", rc, &e);
				return NULL;
			}
			w->compactions++;
		} else if (op < 45) {
			int64_t v = 0;
			rc = numseq_nextval(w->s, &v, &e);
			if (rc == NUMSEQ_EFULL) {
				w->efull++;
				continue;
			}
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "nextval", rc, &e);
				return NULL;
			}
			w->nextvals++;
			cl_take(w, v, "nextval");
		} else if (op < 60) {
			int64_t v = (int64_t)stress_rng_range(&r, 1, CL_N);
			rc = numseq_claim(w->s, v, &e);
			if (rc == NUMSEQ_ECLAIMED) {
				w->eclaimed++;
				continue;
			}
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "claim", rc, &e);
				return NULL;
			}
			w->claims++;
			cl_take(w, v, "claim");
		} else if (w->nheld > 0) {
			size_t k = (size_t)stress_rng_below(&r, w->nheld);
			int64_t v = w->held[k];
			w->held[k] = w->held[--w->nheld];
			atomic_store(&w->owner[v], 0); /* before the release */
			rc = numseq_release(w->s, v, &e);
			if (rc != NUMSEQ_OK) {
				bad_note(&w->bad, "release", rc, &e);
				return NULL;
			}
			w->releases++;
		}
	}
	return NULL;
}

/* The claimed set must be exactly want[1..CL_N]. */
static void cl_check_set(uint64_t cs, numseq_t *s, const bool *want, const char *when)
{
	uint64_t cur = 0;
	int64_t v = 0, prev = 0;
	size_t n = 0, nwant = 0;
	int rc;
	for (int i = 1; i <= CL_N; i++)
		nwant += want[i];
	while ((rc = numseq_claimed_next(s, &cur, &v)) == NUMSEQ_OK) {
		STRESS_CHECK(v >= 1 && v <= CL_N && v > prev, cs,
		             "%s: claimed_next gave %lld after %lld", when, STRESS_LL(v),
		             STRESS_LL(prev));
		STRESS_CHECK(want[v], cs, "%s: %lld is claimed, but no thread holds it", when,
		             STRESS_LL(v));
		prev = v;
		n++;
	}
	STRESS_CHECK(rc == NUMSEQ_ENOTFOUND, cs, "%s: claimed_next: %d", when, rc);
	STRESS_CHECK(n == nwant, cs, "%s: %zu numbers claimed, the threads hold %zu", when, n,
	             nwant);
}

static void test_claims_durable(void **state)
{
	(void)state;
	uint64_t cs = stress_case_seed("claims_durable");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	int nt = (int)stress_rng_range(&r, 2, MAX_THREADS);
	uint64_t window = stress_rng_range(&r, 4, 64);
	uint64_t ops = stress_n(4000, 100);
	static _Atomic uint32_t owner[CL_N + 1];
	static cl_worker_t w[MAX_THREADS];
	bool want[CL_N + 1];
	jdir_t d;
	numseq_t *s = NULL;
	numseq_error_t e;
	pthread_t tids[MAX_THREADS];
	stress_gate_t gate;
	int created = 0;
	char why[WHY];
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CLAIMS;
	o.maxvalue = CL_N;
	o.claims = NUMSEQ_CLAIMS_LOWEST_FREE;

	jdir_make(&d);
	print_message("  %d threads, window %llu, %llu operations each\n", nt, STRESS_LLU(window),
	              STRESS_LLU(ops));
	int rc = jopen(&s, d.path, NUMSEQ_OPEN_CREATE, &o, window, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "open: %d %s", rc, e.message);
	for (int i = 0; i <= CL_N; i++)
		atomic_init(&owner[i], 0);
	stress_gate_init(&gate, (unsigned)nt);
	memset(w, 0, sizeof w);
	for (int i = 0; i < nt; i++) {
		w[i].s = s;
		w[i].gate = &gate;
		w[i].owner = owner;
		w[i].id = (uint32_t)i + 1;
		w[i].seed = stress_rng_next(&r);
		w[i].ops = ops;
		w[i].compacts = i == 0;
	}
	if (!stress_spawn(tids, nt, cl_main, w, sizeof w[0], &created, why, sizeof why)) {
		stress_gate_abort(&gate);
		for (int i = 0; i < created; i++)
			pthread_join(tids[i], NULL);
		stress_gate_destroy(&gate);
		STRESS_FAIL(cs, "%s", why);
	}
	stress_gate_open(&gate);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);

	memset(want, 0, sizeof want);
	uint64_t nv = 0, cl = 0, rl = 0, full = 0, comp = 0;
	for (int i = 0; i < nt; i++) {
		if (w[i].bad.code != 0 || w[i].violations != 0)
			numseq_close(&s, NULL);
		STRESS_CHECK(w[i].bad.code == 0, cs, "thread %d: %s", i, w[i].bad.msg);
		STRESS_CHECK(w[i].violations == 0, cs, "thread %d: %llu violations, first: %s", i,
		             STRESS_LLU(w[i].violations), w[i].vmsg);
		for (size_t k = 0; k < w[i].nheld; k++)
			want[w[i].held[k]] = true;
		nv += w[i].nextvals;
		cl += w[i].claims;
		rl += w[i].releases;
		full += w[i].efull;
		comp += w[i].compactions;
	}
	print_message("  %llu nextval, %llu claims, %llu releases, %llu EFULL, %llu compactions\n",
	              STRESS_LLU(nv), STRESS_LLU(cl), STRESS_LLU(rl), STRESS_LLU(full),
	              STRESS_LLU(comp));
	cl_check_set(cs, s, want, "after the race");
	rc = numseq_close(&s, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "close: %d %s", rc, e.message);
	rc = jopen(&s, d.path, 0, NULL, 0, &e);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "reopen: %d %s", rc, e.message);
	numseq_journal_info_t ji;
	assert_int_equal(numseq_journal_info(s, &ji), NUMSEQ_OK);
	cl_check_set(cs, s, want, "after close and reopen");
	/* LOWEST_FREE: the next number is the first one nobody holds. */
	int64_t v = 0, first_free = 0;
	for (int i = 1; i <= CL_N && first_free == 0; i++)
		if (!want[i])
			first_free = i;
	rc = numseq_nextval(s, &v, &e);
	assert_int_equal(numseq_close(&s, NULL), NUMSEQ_OK);
	STRESS_CHECK(ji.clean_open && !ji.gap, cs, "clean_open %d, gap %d", ji.clean_open, ji.gap);
	if (first_free == 0) {
		STRESS_CHECK(rc == NUMSEQ_EFULL, cs, "full map: nextval %d", rc);
	} else {
		STRESS_CHECK(rc == NUMSEQ_OK && v == first_free, cs,
		             "nextval after reopen: %d, %lld; first free %lld", rc, STRESS_LL(v),
		             STRESS_LL(first_free));
	}
	jdir_remove(&d);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nextval_alter_compact),
		cmocka_unit_test(test_cache_blocks),
		cmocka_unit_test(test_claims_durable),
	};
	return cmocka_run_group_tests_name("stress_durable", tests, NULL, NULL);
}
