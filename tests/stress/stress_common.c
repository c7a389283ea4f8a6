/*
 * stress_common.c - knobs, model, oracles and the taker worker shared by
 * the stress tests.  Nothing here asserts: results go back to the main
 * thread, which checks them with cmocka after pthread_join.
 */
#define _POSIX_C_SOURCE 200809L

#include "stress_common.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- knobs */

static const char *stress_prog = "stress";
static const char *stress_case = NULL;
static struct timespec stress_case_t0;

double stress_case_seconds(void)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - stress_case_t0.tv_sec) +
	       (double)(t1.tv_nsec - stress_case_t0.tv_nsec) / 1e9;
}

double stress_scale(void)
{
	static double scale = -1.0;
	if (scale < 0) {
		const char *e = getenv("NUMSEQ_STRESS_SCALE");
		double x = 1.0;
		if (e != NULL && *e != '\0') {
			char *end = NULL;
			x = strtod(e, &end);
			if (end == e || !(x > 0)) {
				fprintf(stderr,
				        "[stress] NUMSEQ_STRESS_SCALE=\"%s\" is not a "
				        "positive number; using 1.0\n",
				        e);
				x = 1.0;
			}
		}
		if (x < 1e-4)
			x = 1e-4;
		if (x > 1e4)
			x = 1e4;
		scale = x;
	}
	return scale;
}

uint64_t stress_n(uint64_t base, uint64_t min_n)
{
	double x = (double)base * stress_scale();
	uint64_t n = x >= 1.8e19 ? UINT64_MAX : (uint64_t)x;
	return n < min_n ? min_n : n;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t stress_seed(void)
{
	static bool have = false;
	static uint64_t seed;
	if (!have) {
		const char *e = getenv("NUMSEQ_SEED");
		if (e != NULL && *e != '\0') {
			char *end = NULL;
			errno = 0;
			seed = strtoull(e, &end, 0);
			if (end == e || *end != '\0' || errno != 0) {
				fprintf(stderr, "[stress] NUMSEQ_SEED=\"%s\" is not a number\n", e);
				exit(2);
			}
		} else {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t x = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			x ^= (uint64_t)getpid() << 32;
			seed = splitmix(&x) >> 1; /* keep it readable as a signed value too */
		}
		have = true;
	}
	return seed;
}

uint64_t stress_case_seed(const char *case_name)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = case_name; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	uint64_t x = stress_seed() ^ h;
	uint64_t cs = splitmix(&x);
	stress_case = case_name;
	clock_gettime(CLOCK_MONOTONIC, &stress_case_t0);
	printf("[stress] case %-28s seed %llu  scale %g\n", case_name, STRESS_LLU(stress_seed()),
	       stress_scale());
	fflush(stdout);
	return cs;
}

void stress_banner(const char *program)
{
	const char *slash = strrchr(program, '/');
	stress_prog = slash ? slash + 1 : program;
	printf("[stress] %s: NUMSEQ_SEED=%llu NUMSEQ_STRESS_SCALE=%g (numseq %s)\n", stress_prog,
	       STRESS_LLU(stress_seed()), stress_scale(), numseq_version());
	printf("[stress] replay: NUMSEQ_SEED=%llu NUMSEQ_STRESS_SCALE=%g ./%s [test_<case>]\n",
	       STRESS_LLU(stress_seed()), stress_scale(), stress_prog);
	fflush(stdout);
}

void stress_print_fail_context(uint64_t case_seed)
{
	fprintf(stderr,
	        "[stress] FAILED in case %s (case seed %llu)\n"
	        "[stress] reproduce: NUMSEQ_SEED=%llu NUMSEQ_STRESS_SCALE=%g ./%s test_%s\n",
	        stress_case ? stress_case : "?", STRESS_LLU(case_seed), STRESS_LLU(stress_seed()),
	        stress_scale(), stress_prog, stress_case ? stress_case : "*");
	fflush(stderr);
}

/* ------------------------------------------------------------------ rng */

void stress_rng_init(stress_rng_t *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t stress_rng_next(stress_rng_t *r)
{
	return splitmix(&r->s);
}

uint64_t stress_rng_below(stress_rng_t *r, uint64_t n)
{
	return n <= 1 ? 0 : stress_rng_next(r) % n; /* bias irrelevant here */
}

uint64_t stress_rng_range(stress_rng_t *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = hi - lo;
	if (span == UINT64_MAX)
		return stress_rng_next(r);
	return lo + stress_rng_below(r, span + 1);
}

/* -------------------------------------------------------------- vectors */

void stress_vec_reserve(stress_vec_t *a, size_t cap)
{
	if (cap <= a->cap)
		return;
	int64_t *p = realloc(a->v, cap * sizeof *p);
	if (p == NULL) {
		a->oom = true;
		return;
	}
	a->v = p;
	a->cap = cap;
}

void stress_vec_push(stress_vec_t *a, int64_t x)
{
	if (a->n == a->cap) {
		stress_vec_reserve(a, a->cap ? a->cap * 2 : 1024);
		if (a->n == a->cap)
			return; /* oom recorded */
	}
	a->v[a->n++] = x;
}

void stress_vec_free(stress_vec_t *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static uint64_t order_key(int64_t v)
{
	return (uint64_t)v ^ (1ull << 63);
}

void stress_sort(int64_t *v, size_t n)
{
	if (n < 2)
		return;
	uint64_t *a = malloc(n * sizeof *a);
	uint64_t *b = malloc(n * sizeof *b);
	if (a == NULL || b == NULL) {
		fprintf(stderr, "[stress] out of memory sorting %zu values\n", n);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		a[i] = order_key(v[i]);
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t cnt[257] = {0};
		for (size_t i = 0; i < n; i++)
			cnt[((a[i] >> shift) & 0xff) + 1]++;
		bool trivial = false;
		for (unsigned d = 1; d <= 256; d++)
			if (cnt[d] == n)
				trivial = true;
		if (trivial)
			continue;
		for (unsigned d = 1; d <= 256; d++)
			cnt[d] += cnt[d - 1];
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i] >> shift) & 0xff]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)(a[i] ^ (1ull << 63));
	free(a);
	free(b);
}

/* ---------------------------------------------------------------- model */

void stress_model_init(stress_model_t *m, const numseq_options_t *o)
{
	int64_t tmin = INT64_MIN, tmax = INT64_MAX;
	if (o->set & NUMSEQ_OPT_TYPE) {
		if (o->type == NUMSEQ_SMALLINT) {
			tmin = INT16_MIN;
			tmax = INT16_MAX;
		} else if (o->type == NUMSEQ_INTEGER) {
			tmin = INT32_MIN;
			tmax = INT32_MAX;
		}
	}
	memset(m, 0, sizeof *m);
	m->inc = (o->set & NUMSEQ_OPT_INCREMENT) ? o->increment : 1;
	m->min = (o->set & NUMSEQ_OPT_MINVALUE) ? o->minvalue : (m->inc > 0 ? 1 : tmin);
	m->max = (o->set & NUMSEQ_OPT_MAXVALUE) ? o->maxvalue : (m->inc > 0 ? tmax : -1);
	m->last = (o->set & NUMSEQ_OPT_START) ? o->start : (m->inc > 0 ? m->min : m->max);
	m->cycle = (o->set & NUMSEQ_OPT_CYCLE) ? o->cycle : false;
	m->called = false;
}

int stress_model_next(stress_model_t *m, int64_t *out)
{
	if (!m->called) {
		m->called = true;
		*out = m->last;
		return 0;
	}
	int64_t L = m->last, inc = m->inc, next;
	if (inc > 0) {
		bool limit = (m->max >= 0 && L > m->max - inc) || (m->max < 0 && L + inc > m->max);
		if (limit) {
			if (!m->cycle)
				return NUMSEQ_EMAXVALUE;
			next = m->min;
		} else {
			next = L + inc;
		}
	} else {
		bool limit = (m->min < 0 && L < m->min - inc) || (m->min >= 0 && L + inc < m->min);
		if (limit) {
			if (!m->cycle)
				return NUMSEQ_EMINVALUE;
			next = m->max;
		} else {
			next = L + inc;
		}
	}
	m->last = next;
	*out = next;
	return 0;
}

size_t stress_model_take(stress_model_t *m, size_t n, stress_vec_t *a)
{
	size_t k = 0;
	stress_vec_reserve(a, a->n + (n < ((size_t)1 << 24) ? n : ((size_t)1 << 24)));
	for (; k < n; k++) {
		int64_t v;
		if (stress_model_next(m, &v) != 0)
			break;
		stress_vec_push(a, v);
	}
	return k;
}

/* -------------------------------------------------------------- oracles */

static size_t run_len(const int64_t *v, size_t n, size_t i)
{
	size_t j = i;
	while (j < n && v[j] == v[i])
		j++;
	return j - i;
}

bool stress_check_multiset(const int64_t *got, size_t ngot, const int64_t *want, size_t nwant,
                           char *why, size_t whylen)
{
	size_t i = 0, j = 0;
	while (i < ngot || j < nwant) {
		if (i < ngot && j < nwant && got[i] == want[j]) {
			size_t cg = run_len(got, ngot, i), cw = run_len(want, nwant, j);
			if (cg != cw) {
				snprintf(why, whylen,
				         "value %lld handed out %zu time(s), expected %zu "
				         "(%zu values in all, expected %zu)",
				         STRESS_LL(got[i]), cg, cw, ngot, nwant);
				return false;
			}
			i += cg;
			j += cw;
			continue;
		}
		if (j >= nwant || (i < ngot && got[i] < want[j])) {
			snprintf(why, whylen,
			         "unexpected value %lld handed out %zu time(s) "
			         "(%zu values in all, expected %zu)",
			         STRESS_LL(got[i]), run_len(got, ngot, i), ngot, nwant);
		} else {
			snprintf(why, whylen,
			         "value %lld never handed out, expected %zu time(s) "
			         "(%zu values in all, expected %zu)",
			         STRESS_LL(want[j]), run_len(want, nwant, j), ngot, nwant);
		}
		return false;
	}
	return true;
}

bool stress_check_subset(const int64_t *got, size_t ngot, const int64_t *want, size_t nwant,
                         char *why, size_t whylen)
{
	size_t j = 0;
	for (size_t i = 0; i < ngot;) {
		size_t cg = run_len(got, ngot, i);
		while (j < nwant && want[j] < got[i])
			j++;
		size_t cw = (j < nwant && want[j] == got[i]) ? run_len(want, nwant, j) : 0;
		if (cg > cw) {
			snprintf(why, whylen,
			         "value %lld handed out %zu time(s), at most %zu allowed",
			         STRESS_LL(got[i]), cg, cw);
			return false;
		}
		i += cg;
	}
	return true;
}

bool stress_check_distinct(const int64_t *sorted, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (sorted[i] == sorted[i + 1]) {
			snprintf(why, whylen, "DUPLICATE: value %lld handed out %zu times",
			         STRESS_LL(sorted[i]), run_len(sorted, n, i));
			return false;
		}
	}
	return true;
}

/* ----------------------------------------------------- linearizability */

static uint64_t floor_key(const stress_floor_t *f, int64_t v)
{
	uint64_t k = order_key(v);
	return f->dir >= 0 ? k : ~k;
}

void stress_floor_init(stress_floor_t *f, int dir)
{
	atomic_init(&f->key1, 0);
	f->dir = dir;
}

uint64_t stress_floor_load(stress_floor_t *f)
{
	/* seq_cst pairs with the CAS in stress_floor_raise: if this load sees
	 * a raise, the raising thread's numseq call happens-before ours, so
	 * a linearizable sequence must order ours after it. */
	return atomic_load_explicit(&f->key1, memory_order_seq_cst);
}

void stress_floor_raise(stress_floor_t *f, int64_t v)
{
	uint64_t k1 = floor_key(f, v) + 1; /* wraps to 0 at the extreme: no floor */
	if (k1 == 0)
		return;
	uint64_t cur = atomic_load_explicit(&f->key1, memory_order_relaxed);
	while (cur < k1 &&
	       !atomic_compare_exchange_weak_explicit(&f->key1, &cur, k1, memory_order_seq_cst,
	                                              memory_order_relaxed)) {
	}
}

bool stress_floor_beyond(const stress_floor_t *f, uint64_t f1, int64_t v)
{
	return f1 == 0 || floor_key(f, v) >= f1;
}

bool stress_floor_reached(const stress_floor_t *f, uint64_t f1, int64_t v)
{
	return f1 == 0 || floor_key(f, v) >= f1 - 1;
}

/* ------------------------------------------------------------------ gate */

void stress_gate_init(stress_gate_t *g, unsigned nthreads)
{
	pthread_mutex_init(&g->m, NULL);
	pthread_cond_init(&g->c, NULL);
	g->state = 0;
	pthread_barrier_init(&g->b, NULL, nthreads ? nthreads : 1);
}

static void gate_set(stress_gate_t *g, int state)
{
	pthread_mutex_lock(&g->m);
	g->state = state;
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

void stress_gate_open(stress_gate_t *g)
{
	gate_set(g, 1);
}

void stress_gate_abort(stress_gate_t *g)
{
	gate_set(g, -1);
}

void stress_gate_destroy(stress_gate_t *g)
{
	pthread_barrier_destroy(&g->b);
	pthread_cond_destroy(&g->c);
	pthread_mutex_destroy(&g->m);
}

bool stress_gate_pass(stress_gate_t *g)
{
	pthread_mutex_lock(&g->m);
	while (g->state == 0)
		pthread_cond_wait(&g->c, &g->m);
	int st = g->state;
	pthread_mutex_unlock(&g->m);
	if (st < 0)
		return false;
	pthread_barrier_wait(&g->b);
	return true;
}

bool stress_spawn(pthread_t *tids, int n, void *(*fn)(void *), void *args, size_t stride,
                  int *created, char *why, size_t whylen)
{
	*created = 0;
	for (int i = 0; i < n; i++) {
		int rc = pthread_create(&tids[i], NULL, fn, (char *)args + (size_t)i * stride);
		if (rc != 0) {
			snprintf(why, whylen, "pthread_create failed for thread %d of %d: %s",
			         i + 1, n, strerror(rc));
			return false;
		}
		++*created;
	}
	return true;
}

/* -------------------------------------------------------------- staller */

static _Atomic unsigned stall_max_us;
static _Thread_local uint64_t stall_rng;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stall_handler(int sig)
{
	(void)sig;
	int saved = errno;
	unsigned max = atomic_load_explicit(&stall_max_us, memory_order_relaxed);
	if (stall_rng == 0)
		stall_rng = (uint64_t)(uintptr_t)&saved | 1u;
	uint64_t ns = max ? splitmix(&stall_rng) % ((uint64_t)max * 1000u + 1u) : 0;
	uint64_t end = now_ns() + ns;
	while (now_ns() < end) {
	}
	errno = saved;
}

void *stress_staller_main(void *arg)
{
	stress_staller_t *st = arg;
	stress_rng_t rng;
	stress_rng_init(&rng, st->seed);
	atomic_store_explicit(&stall_max_us, st->max_stall_us, memory_order_relaxed);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stall_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	while (!atomic_load_explicit(&st->stop, memory_order_acquire)) {
		int i;
		if (st->ntargets > 1 && stress_rng_below(&rng, 100) >= st->weight0)
			i = 1 + (int)stress_rng_below(&rng, (uint64_t)st->ntargets - 1);
		else
			i = 0;
		if (pthread_kill(st->targets[i], SIGUSR1) == 0)
			st->sent++;
		uint64_t us = stress_rng_below(&rng, 2u * (uint64_t)st->period_us + 1u);
		struct timespec d = {.tv_sec = 0, .tv_nsec = (long)(us * 1000u)};
		nanosleep(&d, NULL);
	}
	return NULL;
}

/* ---------------------------------------------------------------- taker */

static void taker_record(stress_taker_t *t, int64_t v, bool *have_prev, int64_t *prev)
{
	stress_vec_push(&t->vals, v);
	if (t->check_monotone) {
		bool ok = !*have_prev || (t->dir >= 0 ? v > *prev : v < *prev);
		if (!ok && t->monotone_violations++ == 0) {
			t->mono_prev = *prev;
			t->mono_v = v;
		}
	}
	*have_prev = true;
	*prev = v;
}

static void session_bad(stress_taker_t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void session_bad(stress_taker_t *t, const char *fmt, ...)
{
	if (t->session_violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->session_msg, sizeof t->session_msg, fmt, ap);
		va_end(ap);
	}
}

static void taker_body(stress_taker_t *t);

void *stress_taker_main(void *arg)
{
	stress_taker_t *t = arg;
	taker_body(t);
	if (t->alive != NULL)
		atomic_fetch_sub_explicit(t->alive, 1, memory_order_release);
	return NULL;
}

static void taker_body(stress_taker_t *t)
{
	stress_rng_t rng;
	stress_rng_init(&rng, t->seed);
	const int limit_code = t->dir >= 0 ? NUMSEQ_EMAXVALUE : NUMSEQ_EMINVALUE;
	bool exhausted = false, have_prev = false, have_cur = false;
	int64_t prev = 0, cur = 0;
	uint64_t after = 0;

	if (t->quota)
		stress_vec_reserve(&t->vals, (size_t)t->quota);
	if (t->gate != NULL && !stress_gate_pass(t->gate))
		return;

	for (;;) {
		if (t->stop != NULL && atomic_load_explicit(t->stop, memory_order_relaxed))
			break;
		if (t->max_calls && t->calls >= t->max_calls)
			break;
		if (t->quota && t->vals.n >= t->quota)
			break;
		if (exhausted && after >= t->hammer)
			break;
		if (t->pace_limit != NULL) {
			while (atomic_load_explicit(t->progress, memory_order_relaxed) >=
			       atomic_load_explicit(t->pace_limit, memory_order_relaxed))
				sched_yield();
		}
		if (t->discard_pct && stress_rng_below(&rng, 1000) < t->discard_pct) {
			numseq_discard();
			have_cur = false;
		}

		uint64_t f1 = t->floor ? stress_floor_load(t->floor) : 0;
		numseq_error_t err;
		int rc;
		int64_t first = 0, last = 0;
		uint64_t count = 0;
		bool bulk = t->bulk_pct && stress_rng_below(&rng, 100) < t->bulk_pct;

		t->calls++;
		if (exhausted)
			after++;
		if (bulk) {
			uint64_t k = 1 + stress_rng_below(&rng, t->bulk_max ? t->bulk_max : 1);
			if (t->quota && k > t->quota - t->vals.n)
				k = t->quota - t->vals.n;
			numseq_block_t b;
			rc = numseq_nextval_n(t->s, k, &b, &err);
			if (rc == NUMSEQ_OK) {
				t->bulk_calls++;
				count = b.count;
				if (b.count == 0 || b.count > k ||
				    (t->inc != 0 && b.step != t->inc)) {
					if (t->bad_blocks++ == 0)
						snprintf(
							t->bad_block_msg, sizeof t->bad_block_msg,
							"nextval_n(k=%llu) gave {first %lld, step %lld, count %llu}",
							STRESS_LLU(k), STRESS_LL(b.first),
							STRESS_LL(b.step), STRESS_LLU(b.count));
					if (count > k)
						count = k;
				}
				first = b.first;
				for (uint64_t j = 0; j < count; j++) {
					/* wrapping arithmetic: a bad block must not be UB here */
					last = (int64_t)((uint64_t)b.first + j * (uint64_t)b.step);
					taker_record(t, last, &have_prev, &prev);
				}
			}
		} else {
			int64_t v = 0;
			rc = numseq_nextval(t->s, &v, &err);
			if (rc == NUMSEQ_OK) {
				count = 1;
				first = last = v;
				taker_record(t, v, &have_prev, &prev);
			}
		}

		if (rc == NUMSEQ_OK) {
			if (count == 0)
				continue;
			if (exhausted && t->ok_after_limit++ == 0)
				t->ok_after_limit_v = first;
			if (t->floor != NULL && t->floor_band != 0) {
				int64_t bf = (int64_t)(((uint64_t)first - 1) / t->floor_band);
				int64_t bl = (int64_t)(((uint64_t)last - 1) / t->floor_band);
				if (!stress_floor_reached(t->floor, f1, bf) &&
				    t->floor_violations++ == 0) {
					t->floor_v = first;
					t->floor_f = (int64_t)(((f1 - 1) ^ (1ull << 63)));
				}
				if (!t->floor_check_only)
					stress_floor_raise(t->floor, bl);
			} else if (t->floor != NULL) {
				if (!stress_floor_beyond(t->floor, f1, first) &&
				    t->floor_violations++ == 0) {
					t->floor_v = first;
					uint64_t k = f1 - 1;
					if (t->floor->dir < 0)
						k = ~k;
					t->floor_f = (int64_t)(k ^ (1ull << 63));
				}
				stress_floor_raise(t->floor, last);
			}
			if (t->progress != NULL)
				atomic_fetch_add_explicit(t->progress, count, memory_order_relaxed);
			if (t->check_session) {
				int64_t c = 0;
				int crc = numseq_currval(t->s, &c, NULL);
				if (crc != NUMSEQ_OK || c != last)
					session_bad(
						t,
						"after %s returned %lld, currval gave rc %d value %lld",
						bulk ? "nextval_n" : "nextval", STRESS_LL(last),
						crc, STRESS_LL(c));
				if (!bulk) {
					int lrc = numseq_lastval(&c, NULL);
					if (lrc != NUMSEQ_OK || c != last)
						session_bad(
							t,
							"after nextval returned %lld, lastval gave rc %d value %lld",
							STRESS_LL(last), lrc, STRESS_LL(c));
				}
			}
			have_cur = true;
			cur = last;
			continue;
		}

		if (rc == limit_code && !t->limit_is_error) {
			if (bulk && t->cached && !exhausted) {
				/* nextval_n bypasses this thread's cache: the shared
				 * range is used up, but the cache may still hold values */
				t->soft_limit_errs++;
				continue;
			}
			t->limit_errs++;
			if (!t->have_limit_err) {
				t->have_limit_err = true;
				t->limit_err = err;
			}
			if (t->check_session && have_cur) {
				int64_t c = 0;
				int crc = numseq_currval(t->s, &c, NULL);
				if (crc != NUMSEQ_OK || c != cur)
					t->limit_changed_currval++;
			}
			exhausted = true;
			continue;
		}

		/* Anything else is unexpected: record it and stop this thread. */
		t->other_code = rc;
		snprintf(t->other_msg, sizeof t->other_msg, "%s: rc %d (%s) [%s] %s",
		         bulk ? "nextval_n" : "nextval", rc, numseq_strerror(rc), err.sqlstate,
		         err.message);
		break;
	}
}

static void monitor_bad(stress_monitor_t *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void monitor_bad(stress_monitor_t *m, const char *fmt, ...)
{
	if (m->violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->msg, sizeof m->msg, fmt, ap);
		va_end(ap);
	}
}

void *stress_monitor_main(void *arg)
{
	stress_monitor_t *m = arg;
	bool have = false, prev_called = false;
	int64_t prev = 0;
	if (m->gate != NULL && !stress_gate_pass(m->gate))
		return NULL;
	do {
		uint64_t f1 = m->floor ? stress_floor_load(m->floor) : 0;
		int64_t L = 0;
		bool called = false;
		int rc = numseq_read(m->s, &L, &called);
		m->reads++;
		if (rc != NUMSEQ_OK) {
			monitor_bad(m, "numseq_read failed: rc %d", rc);
			break;
		}
		if (L < m->min || L > m->max)
			monitor_bad(m, "numseq_read: last_value %lld outside [%lld, %lld]",
			            STRESS_LL(L), STRESS_LL(m->min), STRESS_LL(m->max));
		if (have && prev_called && !called)
			monitor_bad(m,
			            "numseq_read: is_called went back to false (last_value %lld "
			            "after %lld)",
			            STRESS_LL(L), STRESS_LL(prev));
		if (have && prev_called && called && (m->dir >= 0 ? L < prev : L > prev))
			monitor_bad(m, "numseq_read: last_value went backwards: %lld after %lld",
			            STRESS_LL(L), STRESS_LL(prev));
		if (m->floor != NULL && called && !stress_floor_reached(m->floor, f1, L))
			monitor_bad(m,
			            "numseq_read: not linearizable: last_value %lld, but a "
			            "value beyond it had already been returned",
			            STRESS_LL(L));
		if (m->floor != NULL && !called && f1 != 0)
			monitor_bad(m, "numseq_read: is_called false after values were returned");
		if (m->floor != NULL && called)
			stress_floor_raise(m->floor, L);
		have = true;
		prev = L;
		prev_called = called;
	} while (!atomic_load_explicit(&m->done, memory_order_acquire));
	return NULL;
}

stress_taker_t *stress_race(const stress_taker_t *proto, int nthreads, uint64_t seed,
                            stress_monitor_t *mon, char *why, size_t whylen)
{
	stress_taker_t *t = calloc((size_t)nthreads, sizeof *t);
	pthread_t *tids = calloc((size_t)nthreads + 1, sizeof *tids);
	stress_gate_t gate;
	if (t == NULL || tids == NULL) {
		snprintf(why, whylen, "out of memory");
		free(t);
		free(tids);
		return NULL;
	}
	stress_rng_t rng;
	stress_rng_init(&rng, seed);
	stress_gate_init(&gate, (unsigned)nthreads + (mon != NULL));
	for (int i = 0; i < nthreads; i++) {
		t[i] = *proto;
		memset(&t[i].vals, 0, sizeof t[i].vals);
		t[i].gate = &gate;
		t[i].idx = i;
		t[i].seed = stress_rng_next(&rng);
	}
	int created = 0, mon_created = 0;
	bool ok = stress_spawn(tids, nthreads, stress_taker_main, t, sizeof *t, &created, why,
	                       whylen);
	if (ok && mon != NULL) {
		mon->gate = &gate;
		atomic_init(&mon->done, false);
		ok = stress_spawn(&tids[nthreads], 1, stress_monitor_main, mon, 0, &mon_created,
		                  why, whylen);
	}
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	if (mon_created) {
		atomic_store_explicit(&mon->done, true, memory_order_release);
		pthread_join(tids[nthreads], NULL);
	}
	stress_gate_destroy(&gate);
	free(tids);
	if (!ok) {
		stress_takers_free(t, nthreads);
		return NULL;
	}
	return t;
}

void stress_takers_free(stress_taker_t *t, int n)
{
	if (t == NULL)
		return;
	for (int i = 0; i < n; i++)
		stress_vec_free(&t[i].vals);
	free(t);
}

stress_vec_t stress_takers_merge(const stress_taker_t *t, int n)
{
	stress_vec_t all = {0};
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += t[i].vals.n;
	stress_vec_reserve(&all, total ? total : 1);
	for (int i = 0; i < n && !all.oom; i++) {
		if (t[i].vals.n != 0) /* v may be NULL when empty: memcpy(dst, NULL, 0) is UB */
			memcpy(all.v + all.n, t[i].vals.v, t[i].vals.n * sizeof *all.v);
		all.n += t[i].vals.n;
	}
	stress_sort(all.v, all.n);
	return all;
}

bool stress_takers_clean(const stress_taker_t *t, int n, char *why, size_t whylen)
{
	for (int i = 0; i < n; i++) {
		const stress_taker_t *x = &t[i];
		if (x->vals.oom) {
			snprintf(why, whylen, "thread %d: out of memory recording values", i);
			return false;
		}
		if (x->other_code != 0) {
			snprintf(why, whylen, "thread %d: unexpected result %s", i, x->other_msg);
			return false;
		}
		if (x->bad_blocks) {
			snprintf(why, whylen, "thread %d: %llu bad block(s), first: %s", i,
			         STRESS_LLU(x->bad_blocks), x->bad_block_msg);
			return false;
		}
		if (x->ok_after_limit) {
			snprintf(why, whylen,
			         "thread %d: %llu success(es) after the sequence reported its "
			         "limit (first value %lld); a NO CYCLE sequence without writers "
			         "must stay exhausted",
			         i, STRESS_LLU(x->ok_after_limit), STRESS_LL(x->ok_after_limit_v));
			return false;
		}
		if (x->monotone_violations) {
			snprintf(why, whylen,
			         "thread %d: its own values went backwards %llu time(s), first "
			         "%lld after %lld",
			         i, STRESS_LLU(x->monotone_violations), STRESS_LL(x->mono_v),
			         STRESS_LL(x->mono_prev));
			return false;
		}
		if (x->floor_violations && x->floor_band) {
			snprintf(why, whylen,
			         "thread %d: not linearizable: %llu value(s) from an older band; "
			         "first: %lld (band %lld) after a value of band %lld had already "
			         "been returned",
			         i, STRESS_LLU(x->floor_violations), STRESS_LL(x->floor_v),
			         STRESS_LL(((uint64_t)x->floor_v - 1) / x->floor_band),
			         STRESS_LL(x->floor_f));
			return false;
		}
		if (x->floor_violations) {
			snprintf(why, whylen,
			         "thread %d: not linearizable: %llu value(s) not beyond a value "
			         "another call had already completed with; first: got %lld "
			         "after %lld had been returned",
			         i, STRESS_LLU(x->floor_violations), STRESS_LL(x->floor_v),
			         STRESS_LL(x->floor_f));
			return false;
		}
		if (x->session_violations) {
			snprintf(why, whylen, "thread %d: %llu session violation(s), first: %s", i,
			         STRESS_LLU(x->session_violations), x->session_msg);
			return false;
		}
		if (x->limit_changed_currval) {
			snprintf(why, whylen,
			         "thread %d: a failed nextval changed currval "
			         "(%llu time(s))",
			         i, STRESS_LLU(x->limit_changed_currval));
			return false;
		}
	}
	return true;
}

uint64_t stress_takers_values(const stress_taker_t *t, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += t[i].vals.n;
	return s;
}
