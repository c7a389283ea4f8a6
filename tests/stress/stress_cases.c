/*
 * stress_cases.c - the engine behind the bounded NO CYCLE cases: race to
 * exhaustion, hammer, move the sequence, race again.  See stress_case_t.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include "numseq_test.h"
#include "stress_common.h"

#define WHY 512

/* |inc| as an unsigned number (INT64_MIN included). */
static uint64_t uabs(int64_t x)
{
	return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

/* A target within `window` steps of the end the sequence runs towards
 * (not necessarily on the grid: setval need not be). */
static int64_t near_end(const stress_model_t *m, stress_rng_t *r, uint64_t window)
{
	uint64_t width = (uint64_t)m->max - (uint64_t)m->min; /* max - min, exact */
	uint64_t span = sat_mul(window, uabs(m->inc));
	if (span > width)
		span = width;
	uint64_t d = stress_rng_range(r, 0, span);
	return m->inc > 0 ? (int64_t)((uint64_t)m->max - d) : (int64_t)((uint64_t)m->min + d);
}

typedef struct race_report {
	uint64_t values, calls;
	int threads;
} race_report_t;

/*
 * One race on s from the state in *m (advanced to exhaustion on return).
 * Returns false with why on any violation.
 */
static bool race_once(const stress_case_t *c, numseq_t *s, stress_model_t *m, stress_rng_t *rng,
                      race_report_t *rep, char *why, size_t whylen)
{
	const int dir = m->inc > 0 ? 1 : -1;
	const int64_t cache = (c->opt.set & NUMSEQ_OPT_CACHE) ? c->opt.cache : 1;
	stress_vec_t want = {0};
	int threads = (int)stress_rng_range(rng, (uint64_t)c->threads_lo, (uint64_t)c->threads_hi);
	rep->threads = threads;
	rep->values = rep->calls = 0;
	stress_model_take(m, SIZE_MAX, &want);
	if (want.oom) {
		snprintf(why, whylen, "out of memory building the model");
		return false;
	}
	stress_sort(want.v, want.n);
	stress_floor_t floor;
	stress_floor_init(&floor, dir);
	bool use_floor = cache == 1 && c->discard_pct == 0;

	stress_taker_t proto;
	memset(&proto, 0, sizeof proto);
	proto.s = s;
	proto.dir = dir;
	proto.inc = m->inc;
	proto.quota = 0;
	proto.hammer = stress_n(c->hammer, 10);
	/* a safety cap so that a sequence that never reports its limit ends */
	proto.max_calls = (uint64_t)want.n + proto.hammer + 1000;
	proto.bulk_pct = c->bulk_pct;
	proto.bulk_max = c->bulk_max;
	proto.discard_pct = c->discard_pct;
	proto.cached = cache > 1;
	proto.check_session = true;
	/* a thread's cached block may hold values below a nextval_n block it
	 * took afterwards: per-thread order holds only without that mix */
	proto.check_monotone = !(cache > 1 && c->bulk_pct > 0);
	proto.floor = use_floor ? &floor : NULL;

	stress_monitor_t mon;
	memset(&mon, 0, sizeof mon);
	mon.s = s;
	mon.floor = use_floor ? &floor : NULL;
	mon.dir = dir;
	mon.min = m->min;
	mon.max = m->max;

	stress_taker_t *t = stress_race(&proto, threads, stress_rng_next(rng),
	                                c->monitor ? &mon : NULL, why, whylen);
	if (t == NULL) {
		stress_vec_free(&want);
		return false;
	}
	bool ok = stress_takers_clean(t, threads, why, whylen);
	stress_vec_t got = stress_takers_merge(t, threads);
	rep->values = got.n;
	rep->calls = 0;
	for (int i = 0; i < threads; i++)
		rep->calls += t[i].calls;

	if (ok && got.oom) {
		snprintf(why, whylen, "out of memory merging values");
		ok = false;
	}
	if (ok && c->monitor && mon.violations) {
		snprintf(why, whylen, "read monitor (%llu reads, %llu violations): %s",
		         STRESS_LLU(mon.reads), STRESS_LLU(mon.violations), mon.msg);
		ok = false;
	}
	if (ok)
		ok = stress_check_distinct(got.v, got.n, why, whylen);
	if (ok) {
		if (c->discard_pct) /* discarded caches are gaps: a subset, no more */
			ok = stress_check_subset(got.v, got.n, want.v, want.n, why, whylen);
		else
			ok = stress_check_multiset(got.v, got.n, want.v, want.n, why, whylen);
	}
	/* every thread ran into the limit, with PostgreSQL's error */
	char expect_msg[NUMSEQ_MSG_MAX];
	snprintf(expect_msg, sizeof expect_msg,
	         "nextval: reached %s value of sequence \"%s\" (%lld)",
	         dir > 0 ? "maximum" : "minimum", c->name, STRESS_LL(dir > 0 ? m->max : m->min));
	for (int i = 0; ok && i < threads; i++) {
		const stress_taker_t *x = &t[i];
		if (!x->have_limit_err) {
			snprintf(why, whylen,
			         "thread %d: never saw the limit in %llu calls "
			         "(%zu values)",
			         i, STRESS_LLU(x->calls), x->vals.n);
			ok = false;
		} else if (x->limit_err.code != (dir > 0 ? NUMSEQ_EMAXVALUE : NUMSEQ_EMINVALUE) ||
		           strcmp(x->limit_err.sqlstate, "2200H") != 0 ||
		           strcmp(x->limit_err.message, expect_msg) != 0) {
			snprintf(why, whylen,
			         "thread %d: limit error {code %d, sqlstate \"%s\", "
			         "message \"%s\"}, expected {%d, \"2200H\", \"%s\"}",
			         i, x->limit_err.code, x->limit_err.sqlstate, x->limit_err.message,
			         dir > 0 ? NUMSEQ_EMAXVALUE : NUMSEQ_EMINVALUE, expect_msg);
			ok = false;
		} else if (x->limit_errs != proto.hammer + 1) {
			snprintf(why, whylen, "thread %d: %llu limit errors, expected %llu", i,
			         STRESS_LLU(x->limit_errs), STRESS_LLU(proto.hammer + 1));
			ok = false;
		}
	}
	/* the shared state is the model's: last_value is the last value handed
	 * out (with CACHE, the end of the last block, which is the same value
	 * once the range is used up) */
	if (ok) {
		int64_t L = 0;
		bool called = false;
		int rc = numseq_read(s, &L, &called);
		if (rc != NUMSEQ_OK || L != m->last || called != m->called) {
			snprintf(why, whylen,
			         "after the race numseq_read gave rc %d (%lld, %s), "
			         "expected (%lld, %s)",
			         rc, STRESS_LL(L), called ? "true" : "false", STRESS_LL(m->last),
			         m->called ? "true" : "false");
			ok = false;
		}
	}
	if (ok) {
		int64_t v = 0;
		int rc = numseq_nextval(s, &v, NULL);
		if (rc != (dir > 0 ? NUMSEQ_EMAXVALUE : NUMSEQ_EMINVALUE)) {
			snprintf(why, whylen,
			         "after the race the main thread's nextval gave rc %d "
			         "value %lld, expected the limit error",
			         rc, STRESS_LL(v));
			ok = false;
		}
	}
	stress_vec_free(&got);
	stress_vec_free(&want);
	stress_takers_free(t, threads);
	return ok;
}

/* Checks the options the library reports against the model. */
static bool options_match(numseq_t *s, const stress_model_t *m, char *why, size_t whylen)
{
	numseq_options_t o;
	int rc = numseq_get_options(s, &o);
	if (rc != NUMSEQ_OK || o.minvalue != m->min || o.maxvalue != m->max ||
	    o.increment != m->inc || o.cycle != m->cycle) {
		snprintf(why, whylen,
		         "numseq_get_options rc %d: min %lld max %lld inc %lld "
		         "cycle %d; the test expected min %lld max %lld inc %lld cycle %d",
		         rc, STRESS_LL(o.minvalue), STRESS_LL(o.maxvalue), STRESS_LL(o.increment),
		         (int)o.cycle, STRESS_LL(m->min), STRESS_LL(m->max), STRESS_LL(m->inc),
		         (int)m->cycle);
		return false;
	}
	return true;
}

void stress_run_case(const stress_case_t *c)
{
	const uint64_t cs = stress_case_seed(c->name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	memset(&err, 0, sizeof err);

	numseq_options_t o = c->opt;
	o.set |= NUMSEQ_OPT_NAME;
	o.name = c->name;
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq_create: rc %d %s", rc, err.message);
	if (c->rebase_at) {
		rc = numseq__set_rebase_at(s, c->rebase_at);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq__set_rebase_at(%llu): rc %d",
		             STRESS_LLU(c->rebase_at), rc);
	}
	stress_model_t m;
	stress_model_init(&m, &o);
	STRESS_CHECK(options_match(s, &m, why, sizeof why), cs, "%s", why);

	race_report_t rep;
	uint64_t races = 0, values = 0, calls = 0;
	const char *phase = "fresh";
	char desc[160];

#define RACE()                                                                       \
	do {                                                                         \
		bool ok_ = race_once(c, s, &m, &rng, &rep, why, sizeof why);         \
		races++;                                                             \
		values += rep.values;                                                \
		calls += rep.calls;                                                  \
		STRESS_CHECK(ok_, cs, "%s: race %llu (%s, %d threads): %s", c->name, \
		             STRESS_LLU(races), phase, rep.threads, why);            \
	} while (0)

	RACE();

	if (c->big) {
		/* setval into the middle: the counter must not have drifted */
		int64_t v = near_end(&m, &rng, c->window);
		bool is_called = stress_rng_below(&rng, 2) != 0;
		rc = numseq_setval(s, v, is_called, &err);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "setval(%lld): rc %d %s", STRESS_LL(v), rc,
		             err.message);
		m.last = v;
		m.called = is_called;
		snprintf(desc, sizeof desc, "after setval(%lld, %s)", STRESS_LL(v),
		         is_called ? "true" : "false");
		phase = desc;
		RACE();

		rc = numseq_restart(s, &err);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "restart: rc %d %s", rc, err.message);
		stress_model_t fresh;
		stress_model_init(&fresh, &o);
		m.last = fresh.last;
		m.called = false;
		phase = "after restart";
		RACE();
	}

	uint64_t rounds = c->rounds ? stress_n(c->rounds, 3) : 0;
	for (uint64_t r = 0; r < rounds; r++) {
		unsigned op = (unsigned)stress_rng_below(&rng, 4);
		int64_t v = near_end(&m, &rng, c->window);
		switch (op) {
		case 0:
			rc = numseq_restart(s, &err);
			if (rc == NUMSEQ_OK) {
				stress_model_t fresh;
				stress_model_init(&fresh, &o);
				m.last = fresh.last;
				m.called = false;
			}
			snprintf(desc, sizeof desc, "round %llu, after restart", STRESS_LLU(r));
			break;
		case 1:
		case 2:
			rc = numseq_setval(s, v, op == 1, &err);
			if (rc == NUMSEQ_OK) {
				m.last = v;
				m.called = op == 1;
			}
			snprintf(desc, sizeof desc, "round %llu, after setval(%lld, %s)",
			         STRESS_LLU(r), STRESS_LL(v), op == 1 ? "true" : "false");
			break;
		default:
			rc = numseq_restart_with(s, v, &err);
			if (rc == NUMSEQ_OK) {
				m.last = v;
				m.called = false;
			}
			snprintf(desc, sizeof desc, "round %llu, after restart_with(%lld)",
			         STRESS_LLU(r), STRESS_LL(v));
			break;
		}
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "%s: rc %d %s", desc, rc, err.message);
		phase = desc;
		RACE();
	}

	if (c->extend_steps) {
		/* raise the bound past an exhausted sequence: exactly the new values */
		numseq_options_t a;
		numseq_options_init(&a);
		uint64_t add = sat_mul((uint64_t)c->extend_steps, uabs(m.inc));
		if (m.inc > 0) {
			STRESS_CHECK(add <= (uint64_t)INT64_MAX - (uint64_t)m.max, cs,
			             "case %s: extend_steps overflows MAXVALUE", c->name);
			a.set = NUMSEQ_OPT_MAXVALUE;
			a.maxvalue = (int64_t)((uint64_t)m.max + add);
			m.max = a.maxvalue;
		} else {
			STRESS_CHECK(add <= (uint64_t)m.min - (uint64_t)INT64_MIN, cs,
			             "case %s: extend_steps overflows MINVALUE", c->name);
			a.set = NUMSEQ_OPT_MINVALUE;
			a.minvalue = (int64_t)((uint64_t)m.min - add);
			m.min = a.minvalue;
		}
		rc = numseq_alter(s, &a, &err);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "alter (extend bound): rc %d %s", rc,
		             err.message);
		STRESS_CHECK(options_match(s, &m, why, sizeof why), cs, "after alter: %s", why);
		snprintf(desc, sizeof desc, "after ALTER %s %lld",
		         m.inc > 0 ? "MAXVALUE" : "MINVALUE", STRESS_LL(m.inc > 0 ? m.max : m.min));
		phase = desc;
		RACE();
	}
#undef RACE

	uint64_t epochs = numseq__epoch(s);
	printf("[stress]   %-28s %llu races, %llu values, %llu calls, %llu epochs, %.2f s\n",
	       c->name, STRESS_LLU(races), STRESS_LLU(values), STRESS_LLU(calls),
	       STRESS_LLU(epochs), stress_case_seconds());
	if (c->expect_rebases) {
		/* every value took a ticket, so the ticket counter passed rebase_at
		 * about values/rebase_at times: insist on half of that, to know the
		 * rebases this case is about really happened */
		uint64_t want = values / c->rebase_at / 2;
		STRESS_CHECK(epochs >= want, cs,
		             "%s: %llu epochs after %llu values with "
		             "rebase_at %llu; expected at least %llu rebases",
		             c->name, STRESS_LLU(epochs), STRESS_LLU(values),
		             STRESS_LLU(c->rebase_at), STRESS_LLU(want));
	}
	fflush(stdout);
	rc = numseq_destroy(&s);
	assert_int_equal(rc, NUMSEQ_OK);
	assert_null(s);
}

/* ------------------------------------------------------------------ cycle */

static bool cycle_race(const stress_cycle_case_t *c, numseq_t *s, stress_model_t *m,
                       stress_rng_t *rng, int *threads_out, char *why, size_t whylen)
{
	stress_vec_t want = {0};
	stress_model_take(m, (size_t)c->n, &want);
	if (want.oom) {
		snprintf(why, whylen, "out of memory building the model");
		return false;
	}
	stress_sort(want.v, want.n);
	if (want.n != c->n) {
		snprintf(why, whylen,
		         "case error: the model reaches its limit after %zu of "
		         "%llu values",
		         want.n, STRESS_LLU(c->n));
		stress_vec_free(&want);
		return false;
	}
	int threads = (int)stress_rng_range(rng, (uint64_t)c->threads_lo, (uint64_t)c->threads_hi);
	if ((uint64_t)threads > c->n)
		threads = (int)c->n;
	*threads_out = threads;

	/* uneven quotas, each at least 1, summing to n */
	uint64_t w[64], wsum = 0;
	for (int i = 0; i < threads; i++)
		wsum += (w[i] = 1 + stress_rng_below(rng, 4));
	uint64_t rest = c->n - (uint64_t)threads, given = 0;

	stress_taker_t proto;
	memset(&proto, 0, sizeof proto);
	proto.s = s;
	proto.dir = m->inc > 0 ? 1 : -1;
	proto.inc = m->inc;
	proto.limit_is_error = true; /* the model never reaches a limit here */
	proto.bulk_pct = c->bulk_pct;
	proto.bulk_max = c->bulk_max;
	proto.check_session = true;
	proto.max_calls = c->n * 2 + 1000;

	/* quotas differ per thread, so the takers are set up here rather than
	 * by stress_race */
	stress_taker_t *t = calloc((size_t)threads, sizeof *t);
	pthread_t tids[64];
	stress_gate_t gate;
	if (t == NULL) {
		snprintf(why, whylen, "out of memory");
		stress_vec_free(&want);
		return false;
	}
	stress_gate_init(&gate, (unsigned)threads);
	for (int i = 0; i < threads; i++) {
		t[i] = proto;
		t[i].gate = &gate;
		t[i].idx = i;
		t[i].seed = stress_rng_next(rng);
		uint64_t q = 1 + (i == threads - 1 ? rest - given : rest * w[i] / wsum);
		given += q - 1;
		t[i].quota = q;
	}
	int created = 0;
	bool ok = stress_spawn(tids, threads, stress_taker_main, t, sizeof *t, &created, why,
	                       whylen);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);

	stress_vec_t got = {0};
	if (ok)
		ok = stress_takers_clean(t, threads, why, whylen);
	if (ok) {
		got = stress_takers_merge(t, threads);
		if (got.oom) {
			snprintf(why, whylen, "out of memory merging values");
			ok = false;
		}
	}
	if (ok && c->exact_laps) {
		size_t distinct = 0;
		for (size_t i = 0; ok && i < got.n;) {
			size_t j = i;
			while (j < got.n && got.v[j] == got.v[i])
				j++;
			if (j - i != c->laps) {
				snprintf(why, whylen,
				         "value %lld handed out %zu time(s) in %llu "
				         "complete laps (%zu values in all)",
				         STRESS_LL(got.v[i]), j - i, STRESS_LLU(c->laps), got.n);
				ok = false;
			}
			distinct++;
			i = j;
		}
		if (ok && distinct * c->laps != c->n) {
			snprintf(why, whylen, "%zu distinct values in %llu laps of %llu calls",
			         distinct, STRESS_LLU(c->laps), STRESS_LLU(c->n));
			ok = false;
		}
	}
	if (ok)
		ok = stress_check_multiset(got.v, got.n, want.v, want.n, why, whylen);
	if (ok) {
		int64_t L = 0;
		bool called = false;
		int rc = numseq_read(s, &L, &called);
		if (rc != NUMSEQ_OK || L != m->last || called != m->called) {
			snprintf(why, whylen,
			         "after the race numseq_read gave rc %d (%lld, %s), "
			         "expected (%lld, %s)",
			         rc, STRESS_LL(L), called ? "true" : "false", STRESS_LL(m->last),
			         m->called ? "true" : "false");
			ok = false;
		}
	}
	stress_vec_free(&got);
	stress_vec_free(&want);
	stress_takers_free(t, threads);
	return ok;
}

void stress_run_cycle_case(const stress_cycle_case_t *c)
{
	const uint64_t cs = stress_case_seed(c->name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	memset(&err, 0, sizeof err);
	assert_true(c->threads_hi <= 64);

	numseq_options_t o = c->opt;
	o.set |= NUMSEQ_OPT_NAME;
	o.name = c->name;
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq_create: rc %d %s", rc, err.message);
	if (c->rebase_at) {
		rc = numseq__set_rebase_at(s, c->rebase_at);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq__set_rebase_at(%llu): rc %d",
		             STRESS_LLU(c->rebase_at), rc);
	}
	stress_model_t m;
	stress_model_init(&m, &o);
	STRESS_CHECK(options_match(s, &m, why, sizeof why), cs, "%s", why);

	uint64_t races = c->races ? c->races : 1;
	for (uint64_t r = 0; r < races; r++) {
		int threads = 0;
		bool ok = cycle_race(c, s, &m, &rng, &threads, why, sizeof why);
		STRESS_CHECK(ok, cs, "%s: race %llu of %llu (%d threads, %llu values): %s", c->name,
		             STRESS_LLU(r + 1), STRESS_LLU(races), threads, STRESS_LLU(c->n), why);
	}
	printf("[stress]   %-28s %llu races of %llu values, %llu epochs, %.2f s\n", c->name,
	       STRESS_LLU(races), STRESS_LLU(c->n), STRESS_LLU(numseq__epoch(s)),
	       stress_case_seconds());
	fflush(stdout);
	rc = numseq_destroy(&s);
	assert_int_equal(rc, NUMSEQ_OK);
	assert_null(s);
}
