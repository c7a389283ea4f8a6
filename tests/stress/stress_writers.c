/*
 * stress_writers.c - setval / RESTART / ALTER while 2-8 threads take values.
 *
 * A writer operation starts a new epoch; a nextval that straddles it may
 * lose its ticket of the superseded epoch (a gap, as when a PostgreSQL
 * transaction aborts) but must never hand out a value twice.  So the
 * oracles here allow gaps and nothing else:
 *
 * Bands.  Every writer operation moves the sequence into a fresh band of
 * width W = 2^40 (band i = [1 + i*W, (i+1)*W]), far wider than all the
 * values the readers take in the whole test, so a band can never run into
 * the next one.  Each band has a first value and an increment (the writer
 * may change the increment, and its sign, with ALTER ... INCREMENT ...
 * RESTART WITH).  After the threads are joined:
 *  - no value is handed out twice;
 *  - every value lies in a band that a writer installed (or band 0), on that
 *    band's grid first + k*inc, k >= 0;
 *  - within a band, the values handed out are a prefix of the band's grid up
 *    to a few gaps: k_max < count + allowance, the allowance being what the
 *    readers can hold in flight when the band is superseded (one ticket or
 *    nextval_n block, one cached block, and one refill made stale by the
 *    switch, per reader);
 *  - with a single writer and CACHE 1 the last band (which nothing
 *    superseded) is an exact prefix and numseq_read matches it.
 * Linearizability-lite (stress_floor_t): with CACHE 1 and ascending bands,
 * a nextval that starts after another returned v returns more than v; with
 * CACHE 1 and mixed directions, a value of the same or a later band.  With
 * CACHE > 1, values served from a cached block are not ordered with other
 * threads' calls within a band (numseq.h), but RESTART / ALTER drop every
 * cache: a call that starts after the write returned, or after another
 * thread got a value of the new band, gives a value of that band or a
 * later one.
 *
 * ALTER INCREMENT alone (no RESTART) keeps last_value and the direction:
 * values distinct, per-thread increasing, linearizable, numseq_read and
 * numseq_get_options consistent while it happens, and the next value after
 * the run is last_value + the final increment.
 */
#define _POSIX_C_SOURCE 200809L

#include <sched.h>
#include <setjmp.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numseq_test.h"
#include "stress_common.h"

#define WHY 512
#define BAND_W (INT64_C(1) << 40)
#define MAX_READERS 8
#define MAX_WRITERS 2

enum op {
	OP_RESTART_WITH,  /* numseq_restart_with(first) */
	OP_SETVAL_FALSE,  /* numseq_setval(first, false) */
	OP_SETVAL_TRUE,   /* numseq_setval(first - inc, true) */
	OP_ALTER_RESTART, /* numseq_alter(RESTART WITH first) */
	OP_ALTER_INC,     /* numseq_alter(INCREMENT inc RESTART WITH first) */
	OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"restart_with",
	"setval(false)",
	"setval(true)",
	"alter RESTART WITH",
	"alter INCREMENT+RESTART WITH",
};

typedef struct band {
	int64_t first; /* the first value the band hands out */
	int64_t inc;
	int64_t setv; /* OP_SETVAL_TRUE: the value given to setval */
	enum op op;
} band_t;

typedef struct band_case {
	const char *name;
	unsigned ops_mask; /* 1 << OP_* allowed */
	bool flip;         /* increments of both signs */
	int64_t inc_max;   /* |inc| drawn from 1..inc_max */
	int64_t cache;
	int readers_lo, readers_hi;
	int writers;
	uint64_t values; /* per reader (scaled) */
	uint64_t ops;    /* writer operations (scaled) */
	unsigned bulk_pct;
	uint64_t bulk_max;
	uint64_t rebase_at;
	uint64_t ops_min;       /* at least this many writer operations, whatever the scale */
	bool stalls;            /* stall injection (stress_staller_t) */
	unsigned stall_weight0; /* percent of stalls for the writer (0: 70) */
	bool no_pace;           /* the writer never waits (the readers still do, so
	                         * that they are spread over all the writes) */
	bool free_readers;      /* the readers never wait for the writer either: a
	                         * stalled writer then faces readers at full speed */
} band_case_t;

typedef struct writer {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t seed;
	const band_t *bands;
	uint8_t *applied; /* applied[i] = 1 once band i is installed */
	uint64_t nbands;  /* bands 1 .. nbands-1 */
	_Atomic uint64_t *next_band;
	_Atomic uint64_t *progress;   /* values taken by readers so far */
	_Atomic uint64_t *pace_limit; /* readers wait when progress reaches it */
	bool no_pace;
	uint64_t total;        /* values the readers will take */
	_Atomic int *alive;    /* decremented at the end */
	stress_floor_t *floor; /* raised to band i once write i returned */
	/* results */
	uint64_t done;
	int rc;
	char msg[NUMSEQ_MSG_MAX + 64];
} writer_t;

static int apply_band(numseq_t *s, const band_t *b, numseq_error_t *err)
{
	numseq_options_t a;
	switch (b->op) {
	case OP_RESTART_WITH: return numseq_restart_with(s, b->first, err);
	case OP_SETVAL_FALSE: return numseq_setval(s, b->first, false, err);
	case OP_SETVAL_TRUE: return numseq_setval(s, b->setv, true, err);
	case OP_ALTER_RESTART:
		numseq_options_init(&a);
		a.set = NUMSEQ_OPT_RESTART_WITH;
		a.restart = b->first;
		return numseq_alter(s, &a, err);
	case OP_ALTER_INC:
	default:
		numseq_options_init(&a);
		a.set = NUMSEQ_OPT_RESTART_WITH | NUMSEQ_OPT_INCREMENT;
		a.restart = b->first;
		a.increment = b->inc;
		return numseq_alter(s, &a, err);
	}
}

static void writer_body(writer_t *w);

static void *writer_main(void *arg)
{
	writer_t *w = arg;
	writer_body(w);
	atomic_fetch_sub_explicit(w->alive, 1, memory_order_release);
	return NULL;
}

static void writer_body(writer_t *w)
{
	stress_rng_t rng;
	stress_rng_init(&rng, w->seed);
	if (!stress_gate_pass(w->gate))
		return;
	for (;;) {
		uint64_t i = atomic_fetch_add_explicit(w->next_band, 1, memory_order_relaxed);
		if (i >= w->nbands)
			break;
		/* pace: about total/nbands values between two writes, counted from
		 * the previous write; the readers may run one more step ahead and
		 * then wait for this writer (so they are still running when the
		 * write happens, but a descheduled writer does not fall behind);
		 * one write in five goes at once, which makes empty bands too */
		uint64_t step = w->total / w->nbands;
		step = step / 2 + stress_rng_below(&rng, step + 1);
		uint64_t now = atomic_load_explicit(w->progress, memory_order_relaxed);
		uint64_t target = now + step;
		/* (with two writers the last one to store wins; its own target
		 * lies below what it stored, so one of them always proceeds) */
		if (w->pace_limit != NULL)
			atomic_store_explicit(w->pace_limit, target + step + 1,
			                      memory_order_relaxed);
		if (!w->no_pace && stress_rng_below(&rng, 5) != 0) {
			uint64_t p;
			while ((p = atomic_load_explicit(w->progress, memory_order_relaxed)) <
			               target &&
			       p < w->total)
				sched_yield();
		}
		if (atomic_load_explicit(w->progress, memory_order_relaxed) >= w->total)
			break; /* the readers are done */
		numseq_error_t err;
		int rc = apply_band(w->s, &w->bands[i], &err);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			snprintf(w->msg, sizeof w->msg, "band %llu %s(%lld): rc %d %s",
			         STRESS_LLU(i), op_name[w->bands[i].op],
			         STRESS_LL(w->bands[i].first), rc, err.message);
			break;
		}
		w->applied[i] = 1;
		w->done++;
		if (w->floor != NULL)
			stress_floor_raise(w->floor, (int64_t)i);
	}
	if (w->pace_limit != NULL)
		atomic_store_explicit(w->pace_limit, UINT64_MAX, memory_order_relaxed);
}

static void run_bands(const band_case_t *c)
{
	const uint64_t cs = stress_case_seed(c->name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	memset(&err, 0, sizeof err);

	const int readers = (int)stress_rng_range(&rng, (uint64_t)c->readers_lo,
	                                          (uint64_t)c->readers_hi);
	const uint64_t per_reader = stress_n(c->values, 1000);
	const uint64_t total = per_reader * (uint64_t)readers;
	const uint64_t nbands = 1 + (stress_n(c->ops, 10) > c->ops_min ? stress_n(c->ops, 10)
	                                                               : c->ops_min);
	assert_true(readers <= MAX_READERS && c->writers <= MAX_WRITERS);
	assert_true(total * (uint64_t)c->inc_max * 2 < (uint64_t)BAND_W);
	assert_true(nbands < (uint64_t)(INT64_MAX / BAND_W) - 1);

	/* the plan: band 0 is the created sequence, bands 1.. the writer's */
	band_t *bands = calloc(nbands, sizeof *bands);
	uint8_t *applied = calloc(nbands, 1);
	assert_non_null(bands);
	assert_non_null(applied);
	int64_t inc0 = 1 + (int64_t)stress_rng_below(&rng, (uint64_t)c->inc_max);
	bands[0] = (band_t){.first = 1, .inc = inc0, .op = OP_RESTART_WITH};
	applied[0] = 1;
	unsigned nops = 0;
	enum op ops[OP_COUNT];
	for (int k = 0; k < OP_COUNT; k++)
		if (c->ops_mask & (1u << k))
			ops[nops++] = (enum op)k;
	assert_true(nops > 0);
	/* Bands other than OP_ALTER_INC inherit the increment in force.  With
	 * two writers the order of the bands is not known in advance, so then
	 * either every band sets its increment or there is only one. */
	assert_true(c->writers == 1 || c->ops_mask == (1u << OP_ALTER_INC) ||
	            (c->inc_max == 1 && !(c->ops_mask & (1u << OP_ALTER_INC))));
	for (uint64_t i = 1; i < nbands; i++) {
		band_t *b = &bands[i];
		b->op = ops[stress_rng_below(&rng, nops)];
		b->inc = bands[i - 1].inc;
		if (b->op == OP_ALTER_INC) {
			b->inc = 1 + (int64_t)stress_rng_below(&rng, (uint64_t)c->inc_max);
			if (c->flip && stress_rng_below(&rng, 2))
				b->inc = -b->inc;
		}
		int64_t base = 1 + (int64_t)i * BAND_W;
		b->first = b->inc > 0 ? base : base + BAND_W - 1;
		b->setv = b->first - b->inc;
	}
	/* a single writer installs bands in order: then a later band is a
	 * later epoch, and the floor can work on band numbers */
	const bool ordered = c->writers == 1;
	bool all_up = true;
	for (uint64_t i = 0; i < nbands; i++)
		all_up = all_up && bands[i].inc > 0;
	const bool setval_ops = (c->ops_mask &
	                         ((1u << OP_SETVAL_FALSE) | (1u << OP_SETVAL_TRUE))) != 0;

	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME;
	o.start = 1;
	o.increment = inc0;
	o.cache = c->cache;
	o.name = c->name;
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);
	if (c->rebase_at) {
		rc = numseq__set_rebase_at(s, c->rebase_at);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq__set_rebase_at: rc %d", rc);
	}

	_Atomic uint64_t progress, next_band, pace_limit;
	_Atomic int alive;
	atomic_init(&alive, readers + c->writers);
	atomic_init(&progress, 0);
	atomic_init(&next_band, 1);
	atomic_init(&pace_limit, UINT64_MAX);
	stress_floor_t floor;
	stress_floor_init(&floor, 1);
	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)(readers + c->writers));

	stress_taker_t t[MAX_READERS];
	writer_t w[MAX_WRITERS];
	pthread_t tids[MAX_READERS + MAX_WRITERS];
	memset(t, 0, sizeof t);
	memset(w, 0, sizeof w);
	const char *floor_kind = "none";
	for (int i = 0; i < readers; i++) {
		t[i].s = s;
		t[i].gate = &gate;
		t[i].idx = i;
		t[i].seed = stress_rng_next(&rng);
		t[i].dir = 1; /* no limit is in reach: a limit error is unexpected */
		t[i].limit_is_error = true;
		t[i].quota = per_reader;
		t[i].bulk_pct = c->bulk_pct;
		t[i].bulk_max = c->bulk_max;
		t[i].check_session = true;
		t[i].progress = &progress;
		t[i].pace_limit = c->free_readers ? NULL : &pace_limit;
		t[i].alive = &alive;
		/* own values keep increasing when every band goes up and bands come
		 * in order -- except a cached block overtaken by a nextval_n block */
		t[i].check_monotone = ordered && all_up && !(c->cache > 1 && c->bulk_pct);
		if (ordered && c->cache == 1 && all_up) {
			/* CACHE 1 is linearizable: values only go up */
			t[i].floor = &floor;
			floor_kind = "value";
		} else if (ordered && c->cache == 1) {
			/* ... and bands only go forward */
			t[i].floor = &floor;
			t[i].floor_band = (uint64_t)BAND_W;
			floor_kind = "band";
		} else if (ordered && !setval_ops) {
			/* With CACHE > 1 values served from a thread's cached block
			 * are not ordered with other threads' calls within a band
			 * (numseq.h), but RESTART / ALTER drop every cache: once
			 * write i has returned, or once any thread has been handed
			 * a value of band i, a call that starts later must not give
			 * a value of an older band (a stale cached one).  (setval
			 * leaves other threads' caches alone, so not with setval.) */
			t[i].floor = &floor;
			t[i].floor_band = (uint64_t)BAND_W;
			floor_kind = "band (cached)";
		}
	}
	for (int j = 0; j < c->writers; j++) {
		w[j].s = s;
		w[j].gate = &gate;
		w[j].seed = stress_rng_next(&rng);
		w[j].bands = bands;
		w[j].applied = applied;
		w[j].nbands = nbands;
		w[j].next_band = &next_band;
		w[j].progress = &progress;
		w[j].pace_limit = &pace_limit;
		w[j].total = total;
		w[j].alive = &alive;
		w[j].no_pace = c->no_pace;
		w[j].floor = (ordered && c->cache > 1 && !setval_ops) ? &floor : NULL;
	}
	int created_r = 0, created_w = 0;
	bool ok = stress_spawn(tids, readers, stress_taker_main, t, sizeof t[0], &created_r, why,
	                       sizeof why);
	if (ok)
		ok = stress_spawn(tids + readers, c->writers, writer_main, w, sizeof w[0],
		                  &created_w, why, sizeof why);
	stress_staller_t st;
	pthread_t st_tid;
	bool stalling = false;
	memset(&st, 0, sizeof st);
	if (ok && c->stalls) {
		/* the writers get most of the stalls: their windows are the
		 * interesting ones; the readers get the rest */
		st.targets = tids + readers;
		st.ntargets = c->writers;
		pthread_t *all = malloc(sizeof *all * (size_t)(readers + c->writers));
		assert_non_null(all);
		for (int j = 0; j < c->writers; j++)
			all[j] = tids[readers + j];
		for (int i = 0; i < readers; i++)
			all[c->writers + i] = tids[i];
		st.targets = all;
		st.ntargets = readers + c->writers;
		st.weight0 = c->stall_weight0 ? c->stall_weight0 : 70;
		st.period_us = 50;
		st.max_stall_us = 200;
		st.seed = stress_rng_next(&rng);
		atomic_init(&st.stop, false);
		stalling = pthread_create(&st_tid, NULL, stress_staller_main, &st) == 0;
	}
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	if (stalling) {
		/* targets must not be joined while signals may still reach them */
		while (atomic_load_explicit(&alive, memory_order_acquire) > 0) {
			struct timespec d = {.tv_sec = 0, .tv_nsec = 1000000};
			nanosleep(&d, NULL);
		}
		atomic_store_explicit(&st.stop, true, memory_order_release);
		pthread_join(st_tid, NULL);
		free(st.targets);
	}
	for (int i = 0; i < created_r; i++)
		pthread_join(tids[i], NULL);
	for (int j = 0; j < created_w; j++)
		pthread_join(tids[readers + j], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);

	/* ---- checks, on the main thread only */
	uint64_t done = 0;
	for (int j = 0; j < c->writers; j++) {
		STRESS_CHECK(w[j].rc == 0, cs, "writer %d: %s", j, w[j].msg);
		done += w[j].done;
	}
	STRESS_CHECK(stress_takers_clean(t, readers, why, sizeof why), cs,
	             "%s (%d readers, %d writer(s), %llu writes, floor %s)", why, readers,
	             c->writers, STRESS_LLU(done), floor_kind);
	stress_vec_t got = stress_takers_merge(t, readers);
	STRESS_CHECK(!got.oom, cs, "out of memory");
	STRESS_CHECK(got.n == total, cs, "%zu values, expected %llu", got.n, STRESS_LLU(total));
	STRESS_CHECK(stress_check_distinct(got.v, got.n, why, sizeof why), cs,
	             "%s (%d readers, %d writer(s), %llu writes)", why, readers, c->writers,
	             STRESS_LLU(done));

	uint64_t last_band = 0;
	for (uint64_t i = 0; i < nbands; i++)
		if (applied[i])
			last_band = i;
	/* Per reader and band (docs/design.md §7): one ticket or nextval_n
	 * block in flight when the band is superseded, the rest of its cached
	 * block dropped then, and the rest of one refill that an ALTER made
	 * stale between the refill's cache_gen read and its draw. */
	const uint64_t take = c->bulk_pct ? c->bulk_max : 1;
	const uint64_t allowance = (uint64_t)readers * (take + 1 + 2 * (uint64_t)c->cache);
	uint64_t max_gaps = 0, gaps_total = 0, nonempty = 0;
	for (size_t i = 0; i < got.n;) {
		int64_t v = got.v[i];
		STRESS_CHECK(v >= 1, cs, "value %lld is below every band", STRESS_LL(v));
		uint64_t bi = ((uint64_t)v - 1) / (uint64_t)BAND_W;
		STRESS_CHECK(bi < nbands && applied[bi], cs,
		             "value %lld lies in band %llu, which no writer installed "
		             "(%llu writes done)",
		             STRESS_LL(v), STRESS_LLU(bi), STRESS_LLU(done));
		const band_t *b = &bands[bi];
		uint64_t ainc = b->inc > 0 ? (uint64_t)b->inc : (uint64_t)-b->inc;
		uint64_t count = 0, kmax = 0;
		size_t j = i;
		for (; j < got.n && ((uint64_t)got.v[j] - 1) / (uint64_t)BAND_W == bi; j++) {
			int64_t x = got.v[j];
			uint64_t off = b->inc > 0 ? (uint64_t)x - (uint64_t)b->first
			                          : (uint64_t)b->first - (uint64_t)x;
			STRESS_CHECK(
				(b->inc > 0 ? x >= b->first : x <= b->first) && off % ainc == 0, cs,
				"value %lld in band %llu is not on its grid %lld %+lld*k (band "
				"installed by %s)",
				STRESS_LL(x), STRESS_LLU(bi), STRESS_LL(b->first),
				STRESS_LL(b->inc), op_name[b->op]);
			count++;
			if (off / ainc > kmax)
				kmax = off / ainc;
		}
		uint64_t gaps = kmax + 1 - count;
		gaps_total += gaps;
		nonempty++;
		if (gaps > max_gaps)
			max_gaps = gaps;
		bool exact = ordered && bi == last_band && c->cache == 1;
		STRESS_CHECK(exact ? gaps == 0 : gaps <= allowance, cs,
		             "band %llu (%s, first %lld, inc %lld): %llu values, but the farthest "
		             "is step %llu: %llu gaps, %s %llu (%d readers)",
		             STRESS_LLU(bi), op_name[b->op], STRESS_LL(b->first), STRESS_LL(b->inc),
		             STRESS_LLU(count), STRESS_LLU(kmax), STRESS_LLU(gaps),
		             exact ? "the last band must have none, it was never superseded; limit"
		                   : "more than the in-flight allowance",
		             STRESS_LLU(exact ? 0 : allowance), readers);
		i = j;
	}

	/* the state after the run (single writer, CACHE 1: exact) */
	if (ordered && c->cache == 1) {
		const band_t *b = &bands[last_band];
		uint64_t count = 0;
		for (size_t i = 0; i < got.n; i++)
			if (((uint64_t)got.v[i] - 1) / (uint64_t)BAND_W == last_band)
				count++;
		int64_t wantL;
		bool wantC;
		if (count > 0) {
			wantL = (int64_t)((uint64_t)b->first + (count - 1) * (uint64_t)b->inc);
			wantC = true;
		} else if (last_band == 0) {
			wantL = 1;
			wantC = false;
		} else if (b->op == OP_SETVAL_TRUE) {
			wantL = b->setv;
			wantC = true;
		} else {
			wantL = b->first;
			wantC = false;
		}
		int64_t L = 0;
		bool C = false;
		rc = numseq_read(s, &L, &C);
		STRESS_CHECK(rc == NUMSEQ_OK && L == wantL && C == wantC, cs,
		             "after the run numseq_read gave (%lld, %d), expected (%lld, %d): band "
		             "%llu installed by %s with %llu values",
		             STRESS_LL(L), (int)C, STRESS_LL(wantL), (int)wantC,
		             STRESS_LLU(last_band), op_name[b->op], STRESS_LLU(count));
	}
	if (c->stalls)
		printf("[stress]   %-28s %llu stall signals\n", c->name, STRESS_LLU(st.sent));
	printf("[stress]   %-28s %d readers, %d writer(s), %llu writes, %zu values in %llu "
	       "bands, gaps %llu (max %llu per band, allowance %llu), floor %s, %llu epochs, %.2f s\n",
	       c->name, readers, c->writers, STRESS_LLU(done), got.n, STRESS_LLU(nonempty),
	       STRESS_LLU(gaps_total), STRESS_LLU(max_gaps), STRESS_LLU(allowance), floor_kind,
	       STRESS_LLU(numseq__epoch(s)), stress_case_seconds());
	fflush(stdout);
	stress_vec_free(&got);
	for (int i = 0; i < readers; i++)
		stress_vec_free(&t[i].vals);
	free(bands);
	free(applied);
	rc = numseq_destroy(&s);
	assert_int_equal(rc, NUMSEQ_OK);
}

#define OPM(x) (1u << (x))

static void test_restart_bands(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "restart_bands",
		.ops_mask = OPM(OP_RESTART_WITH),
		.inc_max = 1,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 3000,
	};
	run_bands(&c);
}

static void test_mixed_writers(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "mixed_writers",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) |
	                    OPM(OP_ALTER_RESTART) | OPM(OP_ALTER_INC),
		.inc_max = 13,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 3000,
		.bulk_pct = 20,
		.bulk_max = 16,
	};
	run_bands(&c);
}

/* Increments of both signs: bands run down from their top as well. */
static void test_flip_bands(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "flip_bands",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) |
	                    OPM(OP_ALTER_INC),
		.flip = true,
		.inc_max = 5,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 3000,
		.bulk_pct = 20,
		.bulk_max = 16,
	};
	run_bands(&c);
}

/* Two writers racing each other (they serialize on the writer mutex):
 * setval / RESTART WITH with one increment, or ALTERs that set theirs. */
static void test_two_writers_setval(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "two_writers_setval",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) |
	                    OPM(OP_ALTER_RESTART),
		.inc_max = 1,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 6,
		.writers = 2,
		.values = 300000,
		.ops = 2000,
		.bulk_pct = 20,
		.bulk_max = 8,
	};
	run_bands(&c);
}

static void test_two_writers_alter(void **state)
{
	(void)state;
	band_case_t d = {
		.name = "two_writers_alter",
		.ops_mask = OPM(OP_ALTER_INC),
		.flip = true,
		.inc_max = 7,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 6,
		.writers = 2,
		.values = 300000,
		.ops = 2000,
		.bulk_pct = 20,
		.bulk_max = 8,
	};
	run_bands(&d);
}

/* CACHE 16: RESTART / ALTER drop every thread's cache. */
static void test_cache_restart_bands(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "cache_restart_bands",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_ALTER_RESTART) | OPM(OP_ALTER_INC),
		.flip = true,
		.inc_max = 4,
		.cache = 16,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 3000,
		.bulk_pct = 10,
		.bulk_max = 32,
	};
	run_bands(&c);
}

/* CACHE 16 with setval: other threads keep their cached (old-band) values. */
static void test_cache_setval_bands(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "cache_setval_bands",
		.ops_mask = OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) | OPM(OP_RESTART_WITH),
		.inc_max = 1,
		.cache = 16,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 3000,
	};
	run_bands(&c);
}

/* CACHE 64 under RESTART / ALTER with stall injection (mostly on the
 * writer, which widens the window between its switch of the word and the
 * rest of the write): no value cached before a RESTART / ALTER may come out
 * once another thread has been handed a value of the new band, or once the
 * write has returned. */
static void test_cache_restart_stalls(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "cache_restart_stalls",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_ALTER_RESTART) | OPM(OP_ALTER_INC),
		.inc_max = 3,
		.cache = 64,
		.readers_lo = 4,
		.readers_hi = 8,
		.writers = 1,
		.values = 1000000,
		.ops = 600000,
		.stalls = true,
		.no_pace = true,
		.free_readers = true,
	};
	run_bands(&c);
}

/* CACHE 1, every writer kind, stall injection on the writer and readers. */
static void test_mixed_writers_stalls(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "mixed_writers_stalls",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) |
	                    OPM(OP_ALTER_RESTART) | OPM(OP_ALTER_INC),
		.inc_max = 13,
		.cache = 1,
		.readers_lo = 4,
		.readers_hi = 8,
		.writers = 1,
		.values = 1000000,
		.ops = 200000,
		.bulk_pct = 20,
		.bulk_max = 16,
		.stalls = true,
		.no_pace = true,
		.free_readers = true,
	};
	run_bands(&c);
}

/* Stalls mostly for the readers, the writer flat out: a reader stalled
 * right after its draw can find its epoch's slot recycled by 16 writes,
 * and must then drop the ticket (a gap), never serve it wrongly. */
static void test_reader_stalls(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "reader_stalls",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_FALSE) | OPM(OP_SETVAL_TRUE) |
	                    OPM(OP_ALTER_RESTART) | OPM(OP_ALTER_INC),
		.inc_max = 13,
		.cache = 1,
		.readers_lo = 4,
		.readers_hi = 8,
		.writers = 1,
		.values = 1000000,
		.ops = 600000,
		.bulk_pct = 20,
		.bulk_max = 16,
		.stalls = true,
		.no_pace = true,
		.free_readers = true,
		.stall_weight0 = 5,
	};
	run_bands(&c);
}

/* More than 2^20 writer operations: the 20-bit epoch tag in the hot word
 * wraps around (docs/design.md §4) while readers draw. */
static void test_tag_wrap(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "tag_wrap",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_TRUE) | OPM(OP_ALTER_INC),
		.inc_max = 3,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 4,
		.writers = 1,
		.values = 300000,
		.ops = 1000,
		.ops_min = (UINT64_C(1) << 20) + 4096,
		.bulk_pct = 10,
		.bulk_max = 4,
		.no_pace = true,
	};
	run_bands(&c);
}

/* Writers and ticket rebases together. */
static void test_rebase_bands(void **state)
{
	(void)state;
	band_case_t c = {
		.name = "rebase_bands",
		.ops_mask = OPM(OP_RESTART_WITH) | OPM(OP_SETVAL_TRUE) | OPM(OP_ALTER_INC),
		.inc_max = 3,
		.cache = 1,
		.readers_lo = 2,
		.readers_hi = 8,
		.writers = 1,
		.values = 400000,
		.ops = 60,
		.rebase_at = UINT64_C(1) << 16,
	};
	run_bands(&c);
}

/* ---------------------------------------------- ALTER INCREMENT alone */

typedef struct inc_writer {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t seed;
	_Atomic uint64_t *progress;
	_Atomic uint64_t *pace_limit;
	uint64_t total;
	uint64_t ops;
	int64_t inc_max;
	/* results */
	int64_t final_inc;
	uint64_t done;
	int rc;
	char msg[NUMSEQ_MSG_MAX + 64];
	uint64_t opt_checks;
	uint64_t opt_bad;
	char opt_msg[200];
} inc_writer_t;

static void *inc_writer_main(void *arg)
{
	inc_writer_t *w = arg;
	stress_rng_t rng;
	stress_rng_init(&rng, w->seed);
	if (!stress_gate_pass(w->gate))
		return NULL;
	for (uint64_t i = 1; i <= w->ops; i++) {
		uint64_t step = w->total / (w->ops + 1);
		step = step / 2 + stress_rng_below(&rng, step + 1);
		uint64_t target = atomic_load_explicit(w->progress, memory_order_relaxed) + step;
		atomic_store_explicit(w->pace_limit, target + step + 1, memory_order_relaxed);
		uint64_t p;
		while ((p = atomic_load_explicit(w->progress, memory_order_relaxed)) < target &&
		       p < w->total) {
			/* meanwhile, get_options must always show a whole configuration */
			numseq_options_t o;
			int rc = numseq_get_options(w->s, &o);
			w->opt_checks++;
			if ((rc != NUMSEQ_OK || o.increment < 1 || o.increment > w->inc_max ||
			     o.minvalue != 1 || o.maxvalue != INT64_MAX || o.cycle ||
			     o.cache != 1) &&
			    w->opt_bad++ == 0)
				snprintf(
					w->opt_msg, sizeof w->opt_msg,
					"get_options rc %d: inc %lld min %lld max %lld cycle %d cache %lld",
					rc, STRESS_LL(o.increment), STRESS_LL(o.minvalue),
					STRESS_LL(o.maxvalue), (int)o.cycle, STRESS_LL(o.cache));
			sched_yield();
		}
		if (atomic_load_explicit(w->progress, memory_order_relaxed) >= w->total)
			break;
		numseq_options_t a;
		numseq_options_init(&a);
		a.set = NUMSEQ_OPT_INCREMENT;
		a.increment = 1 + (int64_t)stress_rng_below(&rng, (uint64_t)w->inc_max);
		numseq_error_t err;
		int rc = numseq_alter(w->s, &a, &err);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			snprintf(w->msg, sizeof w->msg, "alter INCREMENT %lld: rc %d %s",
			         STRESS_LL(a.increment), rc, err.message);
			break;
		}
		w->final_inc = a.increment;
		w->done++;
	}
	atomic_store_explicit(w->pace_limit, UINT64_MAX, memory_order_relaxed);
	return NULL;
}

static void test_alter_increment_running(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("alter_increment_running");
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	const int readers = (int)stress_rng_range(&rng, 2, 7);
	const uint64_t per_reader = stress_n(200000, 1000);
	const uint64_t total = per_reader * (uint64_t)readers;

	numseq_options_t o = {.set = NUMSEQ_OPT_START | NUMSEQ_OPT_NAME,
	                      .start = 1,
	                      .name = "alter_increment_running"};
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);

	_Atomic uint64_t progress, pace_limit;
	atomic_init(&progress, 0);
	atomic_init(&pace_limit, UINT64_MAX);
	stress_floor_t floor;
	stress_floor_init(&floor, 1);
	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)readers + 2);
	stress_taker_t t[MAX_READERS];
	memset(t, 0, sizeof t);
	for (int i = 0; i < readers; i++) {
		t[i].s = s;
		t[i].gate = &gate;
		t[i].idx = i;
		t[i].seed = stress_rng_next(&rng);
		t[i].dir = 1;
		t[i].limit_is_error = true;
		t[i].quota = per_reader;
		t[i].bulk_pct = 20;
		t[i].bulk_max = 16;
		t[i].check_session = true;
		t[i].check_monotone = true;
		t[i].floor = &floor;
		t[i].progress = &progress;
		t[i].pace_limit = &pace_limit;
	}
	inc_writer_t w = {.s = s,
	                  .gate = &gate,
	                  .seed = stress_rng_next(&rng),
	                  .progress = &progress,
	                  .pace_limit = &pace_limit,
	                  .total = total,
	                  .ops = stress_n(4000, 20),
	                  .inc_max = 13,
	                  .final_inc = 1};
	stress_monitor_t mon;
	memset(&mon, 0, sizeof mon);
	mon.s = s;
	mon.floor = &floor;
	mon.dir = 1;
	mon.min = 1;
	mon.max = INT64_MAX;
	mon.gate = &gate;
	atomic_init(&mon.done, false);

	pthread_t tids[MAX_READERS + 2];
	int cr = 0, cw = 0, cm = 0;
	bool ok = stress_spawn(tids, readers, stress_taker_main, t, sizeof t[0], &cr, why,
	                       sizeof why);
	if (ok)
		ok = stress_spawn(tids + readers, 1, inc_writer_main, &w, 0, &cw, why, sizeof why);
	if (ok)
		ok = stress_spawn(tids + readers + 1, 1, stress_monitor_main, &mon, 0, &cm, why,
		                  sizeof why);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < cr; i++)
		pthread_join(tids[i], NULL);
	if (cw)
		pthread_join(tids[readers], NULL);
	atomic_store_explicit(&mon.done, true, memory_order_release);
	if (cm)
		pthread_join(tids[readers + 1], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);

	STRESS_CHECK(w.rc == 0, cs, "writer: %s", w.msg);
	STRESS_CHECK(w.opt_bad == 0, cs, "writer saw %llu torn option sets of %llu: %s",
	             STRESS_LLU(w.opt_bad), STRESS_LLU(w.opt_checks), w.opt_msg);
	STRESS_CHECK(mon.violations == 0, cs, "read monitor: %s", mon.msg);
	STRESS_CHECK(stress_takers_clean(t, readers, why, sizeof why), cs,
	             "%s (%d readers, %llu ALTERs)", why, readers, STRESS_LLU(w.done));
	stress_vec_t got = stress_takers_merge(t, readers);
	STRESS_CHECK(!got.oom && got.n == total, cs, "%zu values, expected %llu", got.n,
	             STRESS_LLU(total));
	STRESS_CHECK(stress_check_distinct(got.v, got.n, why, sizeof why), cs,
	             "%s (%d readers, %llu ALTER INCREMENTs)", why, readers, STRESS_LLU(w.done));
	STRESS_CHECK(got.v[0] == 1, cs, "the first value is %lld, not START 1",
	             STRESS_LL(got.v[0]));

	int64_t L = 0, next = 0;
	bool C = false;
	rc = numseq_read(s, &L, &C);
	int64_t maxv = got.v[got.n - 1];
	STRESS_CHECK(rc == NUMSEQ_OK && C && L >= maxv, cs,
	             "numseq_read (%lld, %d) behind the largest value handed out, %lld",
	             STRESS_LL(L), (int)C, STRESS_LL(maxv));
	rc = numseq_nextval(s, &next, &err);
	STRESS_CHECK(rc == NUMSEQ_OK && next == L + w.final_inc, cs,
	             "after the run nextval gave rc %d value %lld, expected last_value %lld + "
	             "INCREMENT %lld",
	             rc, STRESS_LL(next), STRESS_LL(L), STRESS_LL(w.final_inc));
	printf("[stress]   %-28s %d readers, %llu ALTER INCREMENTs, %zu values, last_value "
	       "%lld (largest handed out %lld), %llu reads, %llu epochs, %.2f s\n",
	       "alter_increment_running", readers, STRESS_LLU(w.done), got.n, STRESS_LL(L),
	       STRESS_LL(maxv), STRESS_LLU(mon.reads), STRESS_LLU(numseq__epoch(s)),
	       stress_case_seconds());
	fflush(stdout);
	stress_vec_free(&got);
	for (int i = 0; i < readers; i++)
		stress_vec_free(&t[i].vals);
	numseq_destroy(&s);
}

/* ----------------------------------------- ALTER MAXVALUE while running */

/*
 * Readers hammer a NO CYCLE sequence at its limit while a writer raises
 * MAXVALUE (and sometimes tries to lower it, which PostgreSQL refuses with
 * the RESTART message once last_value is beyond the new bound).  ALTER
 * without RESTART continues after the tickets served so far; the failed
 * draws at the limit must not count, or the sequence would skip values
 * after each raise.  Oracle: distinct values; none above the MAXVALUE in
 * force (a reader checks each value against `allowed`, which the writer
 * raises before a raising ALTER and lowers only after a lowering one
 * succeeded, so a value above it is one the ALTER did not allow);
 * linearizable (floor) and a read monitor; finally exhausted at the last
 * MAXVALUE, with all of 1..MAXVALUE handed out but for straddle gaps.
 */
typedef struct bound_reader {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t seed;
	_Atomic int64_t *allowed;
	atomic_bool *writer_done;
	_Atomic uint64_t *limits_seen;
	stress_floor_t *floor;
	_Atomic int *alive;
	uint64_t max_calls;
	/* results */
	stress_vec_t vals;
	uint64_t calls, limit_errs, over, floor_violations;
	int64_t over_v, over_allowed, floor_v;
	int other_code;
	char msg[NUMSEQ_MSG_MAX + 64];
} bound_reader_t;

static void bound_reader_body(bound_reader_t *r)
{
	stress_rng_t rng;
	stress_rng_init(&rng, r->seed);
	if (!stress_gate_pass(r->gate))
		return;
	while (r->calls < r->max_calls) {
		bool wd = atomic_load_explicit(r->writer_done, memory_order_acquire);
		uint64_t f1 = stress_floor_load(r->floor);
		numseq_error_t err;
		int64_t first = 0, last = 0;
		uint64_t count = 0;
		int rc;
		r->calls++;
		if (stress_rng_below(&rng, 100) < 20) {
			numseq_block_t b;
			rc = numseq_nextval_n(r->s, 1 + stress_rng_below(&rng, 8), &b, &err);
			if (rc == NUMSEQ_OK) {
				first = b.first;
				count = b.count;
				last = b.first + (int64_t)(b.count - 1) * b.step;
			}
		} else {
			rc = numseq_nextval(r->s, &first, &err);
			last = first;
			count = 1;
		}
		if (rc == NUMSEQ_OK) {
			int64_t allowed = atomic_load_explicit(r->allowed, memory_order_seq_cst);
			for (uint64_t j = 0; j < count; j++)
				stress_vec_push(&r->vals, first + (int64_t)j);
			if (last > allowed && r->over++ == 0) {
				r->over_v = last;
				r->over_allowed = allowed;
			}
			if (!stress_floor_beyond(r->floor, f1, first) && r->floor_violations++ == 0)
				r->floor_v = first;
			stress_floor_raise(r->floor, last);
		} else if (rc == NUMSEQ_EMAXVALUE) {
			r->limit_errs++;
			atomic_fetch_add_explicit(r->limits_seen, 1, memory_order_relaxed);
			if (wd)
				break; /* no more raises: exhausted for good */
			sched_yield();
		} else {
			r->other_code = rc;
			snprintf(r->msg, sizeof r->msg, "rc %d [%s] %s", rc, err.sqlstate,
			         err.message);
			break;
		}
	}
}

static void *bound_reader_main(void *arg)
{
	bound_reader_t *r = arg;
	bound_reader_body(r);
	atomic_fetch_sub_explicit(r->alive, 1, memory_order_release);
	return NULL;
}

typedef struct bound_writer {
	numseq_t *s;
	stress_gate_t *gate;
	uint64_t seed;
	_Atomic int64_t *allowed;
	atomic_bool *writer_done;
	_Atomic uint64_t *limits_seen;
	_Atomic int *alive;
	uint64_t ops;
	int64_t max; /* in: MAXVALUE at creation; out: the last one */
	/* results */
	uint64_t raises, lowered, refused;
	int rc;
	char msg[NUMSEQ_MSG_MAX + 64];
} bound_writer_t;

static void *bound_writer_main(void *arg)
{
	bound_writer_t *w = arg;
	stress_rng_t rng;
	stress_rng_init(&rng, w->seed);
	if (stress_gate_pass(w->gate)) {
		for (uint64_t i = 0; i < w->ops && w->rc == 0; i++) {
			/* mostly wait until some reader ran into the limit */
			uint64_t seen = atomic_load_explicit(w->limits_seen, memory_order_relaxed);
			if (stress_rng_below(&rng, 5) != 0)
				while (atomic_load_explicit(w->limits_seen, memory_order_relaxed) ==
				               seen &&
				       atomic_load_explicit(w->alive, memory_order_acquire) > 1)
					sched_yield();
			numseq_options_t a;
			numseq_options_init(&a);
			a.set = NUMSEQ_OPT_MAXVALUE;
			numseq_error_t err;
			if (stress_rng_below(&rng, 4) == 0 && w->max > 60) {
				a.maxvalue = w->max - 1 - (int64_t)stress_rng_below(&rng, 50);
				int rc = numseq_alter(w->s, &a, &err);
				if (rc == NUMSEQ_OK) {
					w->max = a.maxvalue;
					atomic_store_explicit(w->allowed, w->max,
					                      memory_order_seq_cst);
					w->lowered++;
				} else if (rc == NUMSEQ_ERESTART) {
					w->refused++;
				} else {
					w->rc = rc;
					snprintf(w->msg, sizeof w->msg,
					         "lowering MAXVALUE to %lld: rc %d %s",
					         STRESS_LL(a.maxvalue), rc, err.message);
				}
			} else {
				a.maxvalue = w->max + 1 + (int64_t)stress_rng_below(&rng, 500);
				atomic_store_explicit(w->allowed, a.maxvalue, memory_order_seq_cst);
				int rc = numseq_alter(w->s, &a, &err);
				if (rc == NUMSEQ_OK) {
					w->max = a.maxvalue;
					w->raises++;
				} else {
					w->rc = rc;
					snprintf(w->msg, sizeof w->msg,
					         "raising MAXVALUE to %lld: rc %d %s",
					         STRESS_LL(a.maxvalue), rc, err.message);
				}
			}
		}
	}
	atomic_store_explicit(w->writer_done, true, memory_order_release);
	atomic_fetch_sub_explicit(w->alive, 1, memory_order_release);
	return NULL;
}

static void test_alter_bounds_running(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("alter_bounds_running");
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	const int readers = (int)stress_rng_range(&rng, 2, 7);
	const uint64_t ops = stress_n(3000, 30);

	numseq_options_t o = {.set = NUMSEQ_OPT_START | NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_NAME,
	                      .start = 1,
	                      .maxvalue = 100,
	                      .name = "alter_bounds_running"};
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);

	_Atomic int64_t allowed;
	atomic_bool writer_done;
	_Atomic uint64_t limits_seen;
	_Atomic int alive;
	atomic_init(&allowed, 100);
	atomic_init(&writer_done, false);
	atomic_init(&limits_seen, 0);
	atomic_init(&alive, readers + 1);
	stress_floor_t floor;
	stress_floor_init(&floor, 1);
	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)readers + 2);

	bound_reader_t r[MAX_READERS];
	memset(r, 0, sizeof r);
	for (int i = 0; i < readers; i++) {
		r[i].s = s;
		r[i].gate = &gate;
		r[i].seed = stress_rng_next(&rng);
		r[i].allowed = &allowed;
		r[i].writer_done = &writer_done;
		r[i].limits_seen = &limits_seen;
		r[i].floor = &floor;
		r[i].alive = &alive;
		r[i].max_calls = ops * 2000 + 100000; /* a safety cap only */
	}
	bound_writer_t w = {.s = s,
	                    .gate = &gate,
	                    .seed = stress_rng_next(&rng),
	                    .allowed = &allowed,
	                    .writer_done = &writer_done,
	                    .limits_seen = &limits_seen,
	                    .alive = &alive,
	                    .ops = ops,
	                    .max = 100};
	stress_monitor_t mon;
	memset(&mon, 0, sizeof mon);
	mon.s = s;
	mon.floor = &floor;
	mon.dir = 1;
	mon.min = 1;
	mon.max = INT64_MAX;
	mon.gate = &gate;
	atomic_init(&mon.done, false);

	pthread_t tids[MAX_READERS + 2];
	int cr = 0, cw = 0, cm = 0;
	bool ok = stress_spawn(tids, readers, bound_reader_main, r, sizeof r[0], &cr, why,
	                       sizeof why);
	if (ok)
		ok = stress_spawn(tids + readers, 1, bound_writer_main, &w, 0, &cw, why,
		                  sizeof why);
	if (ok)
		ok = stress_spawn(tids + readers + 1, 1, stress_monitor_main, &mon, 0, &cm, why,
		                  sizeof why);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < cr; i++)
		pthread_join(tids[i], NULL);
	if (cw)
		pthread_join(tids[readers], NULL);
	atomic_store_explicit(&mon.done, true, memory_order_release);
	if (cm)
		pthread_join(tids[readers + 1], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);

	STRESS_CHECK(w.rc == 0, cs, "writer: %s", w.msg);
	STRESS_CHECK(mon.violations == 0, cs, "read monitor: %s", mon.msg);
	stress_vec_t all = {0};
	for (int i = 0; i < readers; i++) {
		STRESS_CHECK(!r[i].vals.oom, cs, "out of memory");
		STRESS_CHECK(r[i].other_code == 0, cs, "reader %d: %s", i, r[i].msg);
		STRESS_CHECK(
			r[i].over == 0, cs,
			"reader %d: %llu value(s) above the MAXVALUE in force; first %lld while "
			"MAXVALUE was at most %lld",
			i, STRESS_LLU(r[i].over), STRESS_LL(r[i].over_v),
			STRESS_LL(r[i].over_allowed));
		STRESS_CHECK(r[i].floor_violations == 0, cs,
		             "reader %d: not linearizable: %llu value(s) not beyond one already "
		             "returned, first %lld",
		             i, STRESS_LLU(r[i].floor_violations), STRESS_LL(r[i].floor_v));
		STRESS_CHECK(r[i].calls < r[i].max_calls, cs, "reader %d never saw the final limit",
		             i);
		for (size_t j = 0; j < r[i].vals.n; j++)
			stress_vec_push(&all, r[i].vals.v[j]);
	}
	STRESS_CHECK(!all.oom, cs, "out of memory");
	stress_sort(all.v, all.n);
	STRESS_CHECK(stress_check_distinct(all.v, all.n, why, sizeof why), cs,
	             "%s (%d readers, %llu raises, %llu lowerings)", why, readers,
	             STRESS_LLU(w.raises), STRESS_LLU(w.lowered));
	STRESS_CHECK(all.n > 0 && all.v[0] >= 1 && all.v[all.n - 1] <= w.max, cs,
	             "values %lld..%lld outside [1, final MAXVALUE %lld]",
	             STRESS_LL(all.n ? all.v[0] : 0), STRESS_LL(all.n ? all.v[all.n - 1] : 0),
	             STRESS_LL(w.max));
	/* gaps: only a draw straddling 16 writer operations may lose its value */
	uint64_t gaps = (uint64_t)w.max - all.n;
	uint64_t allowance = (uint64_t)readers * 8u * (1u + (w.raises + w.lowered) / 16u);
	STRESS_CHECK(gaps <= allowance, cs,
	             "%llu of 1..%lld never handed out (allowance %llu): the failed draws at the "
	             "limit seem to count when ALTER continues the sequence",
	             STRESS_LLU(gaps), STRESS_LL(w.max), STRESS_LLU(allowance));
	int64_t L = 0;
	bool C = false;
	rc = numseq_read(s, &L, &C);
	STRESS_CHECK(rc == NUMSEQ_OK && L == w.max && C, cs,
	             "after the run numseq_read (%lld, %d), expected (%lld, true)", STRESS_LL(L),
	             (int)C, STRESS_LL(w.max));
	int64_t v;
	rc = numseq_nextval(s, &v, NULL);
	STRESS_CHECK(rc == NUMSEQ_EMAXVALUE, cs, "after the run nextval gave rc %d", rc);
	uint64_t limits = 0;
	for (int i = 0; i < readers; i++)
		limits += r[i].limit_errs;
	printf("[stress]   %-28s %d readers, %llu raises, %llu lowerings, %llu refused, final "
	       "MAXVALUE %lld, %zu values, %llu gaps, %llu limit errors, %llu reads, %.2f s\n",
	       "alter_bounds_running", readers, STRESS_LLU(w.raises), STRESS_LLU(w.lowered),
	       STRESS_LLU(w.refused), STRESS_LL(w.max), all.n, STRESS_LLU(gaps), STRESS_LLU(limits),
	       STRESS_LLU(mon.reads), stress_case_seconds());
	fflush(stdout);
	stress_vec_free(&all);
	for (int i = 0; i < readers; i++)
		stress_vec_free(&r[i].vals);
	numseq_destroy(&s);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_bands),
		cmocka_unit_test(test_mixed_writers),
		cmocka_unit_test(test_flip_bands),
		cmocka_unit_test(test_two_writers_setval),
		cmocka_unit_test(test_two_writers_alter),
		cmocka_unit_test(test_cache_restart_bands),
		cmocka_unit_test(test_cache_setval_bands),
		cmocka_unit_test(test_cache_restart_stalls),
		cmocka_unit_test(test_mixed_writers_stalls),
		cmocka_unit_test(test_rebase_bands),
		cmocka_unit_test(test_reader_stalls),
		cmocka_unit_test(test_tag_wrap),
		cmocka_unit_test(test_alter_bounds_running),
		cmocka_unit_test(test_alter_increment_running),
	};
	return cmocka_run_group_tests_name("stress_writers", tests, NULL, NULL);
}
