/*
 * stress_sessions.c - many sequences per thread, and sequences created and
 * destroyed while other threads use theirs.
 *
 * A thread plays a PostgreSQL session: its currval, lastval and cached
 * blocks live in a per-thread table keyed by the sequence's process-unique
 * id, which grows with the number of sequences the thread touches and
 * never evicts (docs/semantics.md), so a thread keeps its cached block of
 * every sequence.
 *
 * Oracles:
 *  - many_sequences_exact: 100 shared sequences, CACHE 1, 2-8 threads
 *    picking sequences at random until every one is exhausted: each
 *    sequence hands out exactly its range; after every nextval, currval of
 *    that sequence and lastval are the value just returned; each thread's
 *    values of a sequence increase.
 *  - many_sequences_cache: the same with CACHE 8 (a thread sees the limit
 *    only after its cached block is used up, so still exactly the range).
 *  - create_destroy_churn: every thread creates, uses and destroys its own
 *    sequences (their memory is reused at once, across threads); a new
 *    sequence has no currval, and hands out exactly START, START+INC, ...
 *    whatever its CACHE (one thread per sequence, nothing evicted).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stress_common.h"

#define WHY 512
#define MAX_THREADS 8
#define NSEQ 100

typedef struct multi {
	numseq_t **seqs;
	int nseq;
	int64_t n; /* each sequence is [1, n] */
	stress_gate_t *gate;
	uint64_t seed;
	int idx;
	/* results: values per sequence */
	stress_vec_t *vals; /* [nseq] */
	uint64_t calls;
	uint64_t session_bad;
	char session_msg[200];
	uint64_t monotone_bad;
	char monotone_msg[200];
	int other_code;
	char other_msg[NUMSEQ_MSG_MAX + 64];
} multi_t;

static void *multi_main(void *arg)
{
	multi_t *m = arg;
	stress_rng_t rng;
	stress_rng_init(&rng, m->seed);
	bool *done = calloc((size_t)m->nseq, sizeof *done);
	int *live = malloc(sizeof *live * (size_t)m->nseq);
	if (done == NULL || live == NULL) {
		m->other_code = NUMSEQ_ENOMEM;
		snprintf(m->other_msg, sizeof m->other_msg, "out of memory");
		free(done);
		free(live);
		(void)stress_gate_pass(m->gate);
		return NULL;
	}
	int nlive = m->nseq;
	for (int i = 0; i < m->nseq; i++)
		live[i] = i;
	if (!stress_gate_pass(m->gate)) {
		free(done);
		free(live);
		return NULL;
	}
	while (nlive > 0) {
		int pick = (int)stress_rng_below(&rng, (uint64_t)nlive);
		int k = live[pick];
		numseq_error_t err;
		int64_t v = 0;
		m->calls++;
		int rc = numseq_nextval(m->seqs[k], &v, &err);
		if (rc == NUMSEQ_OK) {
			stress_vec_t *a = &m->vals[k];
			if (a->n > 0 && v <= a->v[a->n - 1] && m->monotone_bad++ == 0)
				snprintf(m->monotone_msg, sizeof m->monotone_msg,
				         "sequence %d: %lld after %lld", k, STRESS_LL(v),
				         STRESS_LL(a->v[a->n - 1]));
			stress_vec_push(a, v);
			int64_t c = 0, l = 0;
			int crc = numseq_currval(m->seqs[k], &c, NULL);
			int lrc = numseq_lastval(&l, NULL);
			if ((crc != NUMSEQ_OK || c != v || lrc != NUMSEQ_OK || l != v) &&
			    m->session_bad++ == 0)
				snprintf(
					m->session_msg, sizeof m->session_msg,
					"sequence %d: nextval %lld, then currval rc %d %lld, lastval rc %d %lld",
					k, STRESS_LL(v), crc, STRESS_LL(c), lrc, STRESS_LL(l));
		} else if (rc == NUMSEQ_EMAXVALUE) {
			done[k] = true;
			live[pick] = live[--nlive];
		} else {
			m->other_code = rc;
			snprintf(m->other_msg, sizeof m->other_msg, "sequence %d: rc %d %s", k, rc,
			         err.message);
			break;
		}
	}
	free(done);
	free(live);
	return NULL;
}

static void run_multi(const char *name, int64_t cache)
{
	const uint64_t cs = stress_case_seed(name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	const int64_t n = (int64_t)stress_n(20000, 200);
	const int threads = (int)stress_rng_range(&rng, 2, MAX_THREADS);

	numseq_t *seqs[NSEQ];
	for (int k = 0; k < NSEQ; k++) {
		numseq_options_t o = {.set = NUMSEQ_OPT_START | NUMSEQ_OPT_MAXVALUE |
		                             NUMSEQ_OPT_CACHE,
		                      .start = 1,
		                      .maxvalue = n,
		                      .cache = cache};
		int rc = numseq_create(&seqs[k], &o, &err);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "create %d: rc %d %s", k, rc, err.message);
	}
	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)threads);
	multi_t m[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	memset(m, 0, sizeof m);
	for (int i = 0; i < threads; i++) {
		m[i].seqs = seqs;
		m[i].nseq = NSEQ;
		m[i].n = n;
		m[i].gate = &gate;
		m[i].seed = stress_rng_next(&rng);
		m[i].idx = i;
		m[i].vals = calloc(NSEQ, sizeof *m[i].vals);
		assert_non_null(m[i].vals);
	}
	int created = 0;
	bool ok = stress_spawn(tids, threads, multi_main, m, sizeof m[0], &created, why,
	                       sizeof why);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);

	uint64_t values = 0, calls = 0;
	for (int i = 0; i < threads; i++) {
		STRESS_CHECK(m[i].other_code == 0, cs, "thread %d: %s", i, m[i].other_msg);
		STRESS_CHECK(m[i].session_bad == 0, cs,
		             "thread %d: %llu session violation(s), "
		             "first: %s",
		             i, STRESS_LLU(m[i].session_bad), m[i].session_msg);
		STRESS_CHECK(m[i].monotone_bad == 0, cs, "thread %d: values went backwards: %s", i,
		             m[i].monotone_msg);
		calls += m[i].calls;
	}
	for (int k = 0; k < NSEQ; k++) {
		stress_vec_t all = {0};
		for (int i = 0; i < threads; i++)
			for (size_t j = 0; j < m[i].vals[k].n; j++)
				stress_vec_push(&all, m[i].vals[k].v[j]);
		STRESS_CHECK(!all.oom, cs, "out of memory");
		stress_sort(all.v, all.n);
		STRESS_CHECK(stress_check_distinct(all.v, all.n, why, sizeof why), cs,
		             "sequence %d of %d (CACHE %lld, %d threads): %s", k, NSEQ,
		             STRESS_LL(cache), threads, why);
		{
			stress_vec_t want = {0};
			for (int64_t v = 1; v <= n; v++)
				stress_vec_push(&want, v);
			STRESS_CHECK(stress_check_multiset(all.v, all.n, want.v, want.n, why,
			                                   sizeof why),
			             cs, "sequence %d of %d (%d threads): %s", k, NSEQ, threads,
			             why);
			stress_vec_free(&want);
		}
		int64_t L = 0;
		bool C = false;
		int rc = numseq_read(seqs[k], &L, &C);
		STRESS_CHECK(rc == NUMSEQ_OK && L == n && C, cs,
		             "sequence %d: read (%lld, %d), "
		             "expected (%lld, true)",
		             k, STRESS_LL(L), (int)C, STRESS_LL(n));
		values += all.n;
		stress_vec_free(&all);
	}
	printf("[stress]   %-28s %d threads, %d sequences of %lld, CACHE %lld: %llu values, "
	       "%llu calls, %.2f s\n",
	       name, threads, NSEQ, STRESS_LL(n), STRESS_LL(cache), STRESS_LLU(values),
	       STRESS_LLU(calls), stress_case_seconds());
	fflush(stdout);
	for (int i = 0; i < threads; i++) {
		for (int k = 0; k < NSEQ; k++)
			stress_vec_free(&m[i].vals[k]);
		free(m[i].vals);
	}
	for (int k = 0; k < NSEQ; k++)
		numseq_destroy(&seqs[k]);
}

static void test_many_sequences_exact(void **state)
{
	(void)state;
	run_multi("many_sequences_exact", 1);
}

static void test_many_sequences_cache(void **state)
{
	(void)state;
	run_multi("many_sequences_cache", 8);
}

/* ------------------------------------------------------------- churn */

#define CHURN_LIVE 80 /* live sequences per thread, at most */

typedef struct churn {
	stress_gate_t *gate;
	uint64_t seed;
	uint64_t rounds;
	/* results */
	uint64_t created, values;
	int bad;
	char msg[NUMSEQ_MSG_MAX + 160];
} churn_t;

typedef struct live_seq {
	numseq_t *s;
	int64_t start, inc, cache, next; /* next: the value expected */
} live_seq_t;

static void churn_bad(churn_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void churn_bad(churn_t *c, const char *fmt, ...)
{
	if (c->bad++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof c->msg, fmt, ap);
		va_end(ap);
	}
}

static void *churn_main(void *arg)
{
	churn_t *c = arg;
	stress_rng_t rng;
	stress_rng_init(&rng, c->seed);
	live_seq_t live[CHURN_LIVE];
	int nlive = 0;
	memset(live, 0, sizeof live);
	if (!stress_gate_pass(c->gate))
		return NULL;
	for (uint64_t r = 0; r < c->rounds && !c->bad; r++) {
		unsigned act = (unsigned)stress_rng_below(&rng, 10);
		if (nlive == 0 || (act < 3 && nlive < CHURN_LIVE)) {
			/* create: START in the middle of int64, any direction */
			live_seq_t *l = &live[nlive];
			memset(l, 0, sizeof *l);
			l->inc = 1 + (int64_t)stress_rng_below(&rng, 5);
			if (stress_rng_below(&rng, 2))
				l->inc = -l->inc;
			l->cache = stress_rng_below(&rng, 2)
			                   ? 1
			                   : 1 + (int64_t)stress_rng_below(&rng, 32);
			l->start = (int64_t)stress_rng_below(&rng, UINT64_C(1) << 40) -
			           (INT64_C(1) << 39);
			numseq_options_t o = {.set = NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT |
			                             NUMSEQ_OPT_MINVALUE | NUMSEQ_OPT_MAXVALUE |
			                             NUMSEQ_OPT_CACHE,
			                      .start = l->start,
			                      .increment = l->inc,
			                      .minvalue = INT64_MIN / 2,
			                      .maxvalue = INT64_MAX / 2,
			                      .cache = l->cache};
			numseq_error_t err;
			int rc = numseq_create(&l->s, &o, &err);
			if (rc != NUMSEQ_OK) {
				churn_bad(c, "create: rc %d %s", rc, err.message);
				break;
			}
			int64_t cv;
			rc = numseq_currval(l->s, &cv, NULL);
			if (rc != NUMSEQ_ECURRVAL)
				churn_bad(c,
				          "a new sequence has currval (rc %d, %lld): stale session "
				          "entry of an old sequence?",
				          rc, STRESS_LL(cv));
			l->next = l->start;
			nlive++;
			c->created++;
		} else if (act < 5) {
			/* destroy one */
			int i = (int)stress_rng_below(&rng, (uint64_t)nlive);
			numseq_destroy(&live[i].s);
			live[i] = live[--nlive];
		} else {
			/* take a few values from one */
			int i = (int)stress_rng_below(&rng, (uint64_t)nlive);
			live_seq_t *l = &live[i];
			int n = 1 + (int)stress_rng_below(&rng, 40);
			for (int j = 0; j < n; j++) {
				int64_t v;
				numseq_error_t err;
				int rc = numseq_nextval(l->s, &v, &err);
				if (rc != NUMSEQ_OK) {
					churn_bad(c, "nextval: rc %d %s", rc, err.message);
					break;
				}
				c->values++;
				if (v != l->next)
					churn_bad(
						c,
						"CACHE %lld sequence START %lld INC %lld: got %lld, "
						"expected %lld",
						STRESS_LL(l->cache), STRESS_LL(l->start),
						STRESS_LL(l->inc), STRESS_LL(v),
						STRESS_LL(l->next));
				int64_t cv = 0;
				if (numseq_currval(l->s, &cv, NULL) != NUMSEQ_OK || cv != v)
					churn_bad(c, "currval %lld after nextval %lld",
					          STRESS_LL(cv), STRESS_LL(v));
				l->next = v + l->inc;
			}
		}
	}
	for (int i = 0; i < nlive; i++)
		numseq_destroy(&live[i].s);
	return NULL;
}

static void test_create_destroy_churn(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("create_destroy_churn");
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	const int threads = (int)stress_rng_range(&rng, 2, MAX_THREADS);
	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)threads);
	churn_t c[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	memset(c, 0, sizeof c);
	for (int i = 0; i < threads; i++) {
		c[i].gate = &gate;
		c[i].seed = stress_rng_next(&rng);
		/* the session table keeps entries of destroyed sequences until
		 * the thread ends (docs/semantics.md): sized to stay small */
		c[i].rounds = stress_n(250000, 2000);
	}
	int created = 0;
	bool ok = stress_spawn(tids, threads, churn_main, c, sizeof c[0], &created, why,
	                       sizeof why);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);
	uint64_t seqs = 0, values = 0;
	for (int i = 0; i < threads; i++) {
		STRESS_CHECK(c[i].bad == 0, cs, "thread %d: %d problem(s), first: %s", i, c[i].bad,
		             c[i].msg);
		seqs += c[i].created;
		values += c[i].values;
	}
	printf("[stress]   %-28s %d threads, %llu sequences created and destroyed, %llu values, "
	       "%.2f s\n",
	       "create_destroy_churn", threads, STRESS_LLU(seqs), STRESS_LLU(values),
	       stress_case_seconds());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_sequences_exact),
		cmocka_unit_test(test_many_sequences_cache),
		cmocka_unit_test(test_create_destroy_churn),
	};
	return cmocka_run_group_tests_name("stress_sessions", tests, NULL, NULL);
}
