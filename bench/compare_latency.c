/*
 * compare_latency.c - the time of single calls.  The harness times a
 * thread's whole run; here every call is timed on its own, so the tail
 * shows: a preempted thread, a contended cache line, an fsync.
 *
 * Method: each thread calls c->record(st, t, buf, 1), which runs exactly
 * one op of the contender (the op inlined into it, so one indirect call per
 * op on top), between two clock_gettime(CLOCK_MONOTONIC) reads.  The
 * difference includes one clock read (vDSO, no system call); the timer row
 * (c == NULL: two reads back to back) measures that floor, and the report
 * prints it next to the others rather than subtracting it.
 *
 * Every number the calls hand out is kept and checked: no repeats, all
 * inside the range(s) the contender reserved.  The op writes its numbers
 * into a small buffer that stays in L1; after the second clock read they
 * are folded into runs of consecutive values (first, count), which go to
 * the big per-thread array.  So the timed call never stores into cold
 * memory: 64 numbers of a nextval_n(64) call written to fresh lines would
 * otherwise cost more than the call, and a locked instruction in the next
 * call would wait for those stores to drain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"

enum { MAXT = 64, MAX_RANGES = 64, STAGE = 1024 };

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct lat_run {
	const bench_contender_t *c;
	void *st;
	uint64_t max_samples;
	uint64_t cap; /* room in runs */
	uint64_t ms;
	bool pin;
	pthread_barrier_t start;
} lat_run_t;

typedef struct lat_worker {
	bench_thread_t t; /* first: keeps its alignment */
	lat_run_t *run;
	uint64_t *lat;
	bench_range_t *runs; /* the numbers handed out, as runs */
	uint64_t nruns;
	uint64_t samples, numbers;
	int64_t stage[STAGE]; /* one call's numbers (max_per_op <= STAGE) */
	pthread_t th;
} lat_worker_t;

static void *lat_main(void *arg)
{
	lat_worker_t *w = arg;
	lat_run_t *run = w->run;
	const bench_contender_t *c = run->c;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (run->pin && ncpu > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((size_t)(w->t.tid % (unsigned)ncpu), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	pthread_barrier_wait(&run->start);
	uint64_t deadline = now_ns() + run->ms * 1000000u;
	while (w->samples < run->max_samples) {
		uint64_t t0 = now_ns();
		uint64_t n = c ? c->record(run->st, &w->t, w->stage, 1) : 0;
		uint64_t t1 = now_ns();
		w->lat[w->samples++] = t1 - t0;
		w->numbers += n;
		for (uint64_t k = 0; k < n; k++) {
			bench_range_t *last = w->nruns ? &w->runs[w->nruns - 1] : NULL;
			if (last && w->stage[k] == last->last + 1) {
				last->last++;
			} else {
				if (w->nruns == run->cap)
					return NULL; /* full: the check will say so */
				w->runs[w->nruns++] = (bench_range_t){w->stage[k], w->stage[k]};
			}
		}
		if (c && n == 0)
			break; /* the op failed: counted in t.errors */
		if (t1 >= deadline)
			break;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_range(const void *a, const void *b)
{
	return cmp_i64(&((const bench_range_t *)a)->first, &((const bench_range_t *)b)->first);
}

/* Nearest rank: the smallest sample with at least q of them at or below. */
static double pct(const uint64_t *s, uint64_t n, double q)
{
	uint64_t k = (uint64_t)(q * (double)n + 0.999999);
	k = k < 1 ? 1 : k > n ? n : k;
	return (double)s[k - 1];
}

/* Sorts the runs of numbers and checks them against the reserved ranges:
 * no two runs overlap (no number repeats) and every run lies inside one
 * reserved range. */
static void check_values(const bench_contender_t *c, void *st, lat_worker_t *w, unsigned T,
                         uint64_t cap, cmp_lat_result_t *r)
{
	bench_thread_t th[MAXT] = {0};
	bench_range_t ranges[MAX_RANGES];
	uint64_t total = 0, nruns = 0, errors = 0;

	for (unsigned i = 0; i < T; i++) {
		th[i] = w[i].t;
		total += w[i].numbers;
		nruns += w[i].nruns;
		errors += w[i].t.errors;
		if (w[i].nruns == cap) {
			snprintf(r->msg, sizeof(r->msg), "too many runs of numbers to check");
			return;
		}
	}
	r->numbers = total;
	if (errors) {
		snprintf(r->msg, sizeof(r->msg), "%llu calls failed (first error %d)",
		         (unsigned long long)errors, w[0].t.first_error);
		return;
	}
	int nr = c->reserved(st, th, T, ranges, MAX_RANGES);
	if (nr < 0) {
		snprintf(r->msg, sizeof(r->msg), "could not read the reserved range");
		return;
	}
	bench_range_t *all = malloc(sizeof(*all) * (nruns ? nruns : 1));
	if (!all) {
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return;
	}
	uint64_t k = 0;
	for (unsigned i = 0; i < T; i++) {
		memcpy(all + k, w[i].runs, sizeof(*all) * w[i].nruns);
		k += w[i].nruns;
	}
	qsort(all, nruns, sizeof(*all), cmp_range);
	qsort(ranges, (size_t)nr, sizeof(ranges[0]), cmp_range);
	int ri = 0;
	uint64_t counted = 0;
	for (uint64_t j = 0; j < nruns; j++) {
		if (j > 0 && all[j].first <= all[j - 1].last) {
			snprintf(r->msg, sizeof(r->msg), "number %lld handed out twice",
			         (long long)all[j].first);
			free(all);
			return;
		}
		while (ri < nr && ranges[ri].last < all[j].first)
			ri++;
		if (ri == nr || all[j].first < ranges[ri].first || all[j].last > ranges[ri].last) {
			snprintf(r->msg, sizeof(r->msg), "number %lld outside the reserved range",
			         (long long)all[j].first);
			free(all);
			return;
		}
		counted += (uint64_t)(all[j].last - all[j].first) + 1;
	}
	free(all);
	if (counted != total) {
		snprintf(r->msg, sizeof(r->msg), "%llu numbers counted, %llu handed out",
		         (unsigned long long)counted, (unsigned long long)total);
		return;
	}
	r->checked = true;
	r->ok = total > 0;
	if (!total)
		snprintf(r->msg, sizeof(r->msg), "no number handed out");
}

void cmp_latency(const bench_contender_t *c, unsigned T, uint64_t max_samples, unsigned ms,
                 bool pin, cmp_lat_result_t *r)
{
	lat_run_t run = {.c = c, .max_samples = max_samples, .ms = ms, .pin = pin};
	lat_worker_t *w = NULL;

	memset(r, 0, sizeof(*r));
	if (T == 0 || T > MAXT || max_samples == 0) {
		snprintf(r->msg, sizeof(r->msg), "bad arguments");
		return;
	}
	if (c && c->max_per_op > STAGE) {
		snprintf(r->msg, sizeof(r->msg), "an op hands out more than %d numbers", STAGE);
		return;
	}
	/* at worst one run per number of a single-number op; a block op's
	 * numbers are consecutive within the block */
	run.cap = c ? max_samples : 0;
	w = aligned_alloc(64, sizeof(*w) * T);
	if (!w) {
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return;
	}
	memset(w, 0, sizeof(*w) * T);
	for (unsigned i = 0; i < T; i++) {
		w[i].run = &run;
		w[i].t.tid = i;
		w[i].t.nthreads = T;
		bench_acc_init(&w[i].t.acc);
		w[i].lat = malloc(sizeof(uint64_t) * max_samples);
		w[i].runs = malloc(sizeof(bench_range_t) * (run.cap ? run.cap : 1));
		if (!w[i].lat || !w[i].runs) {
			snprintf(r->msg, sizeof(r->msg), "out of memory");
			goto out;
		}
		/* Touch every page now: a first-touch page fault inside a timed
		 * call would show up as that call's latency. */
		memset(w[i].lat, 0, sizeof(uint64_t) * max_samples);
		memset(w[i].runs, 0, sizeof(bench_range_t) * (run.cap ? run.cap : 1));
	}
	if (c) {
		run.st = c->setup(T);
		if (!run.st) {
			snprintf(r->msg, sizeof(r->msg), "setup failed");
			goto out;
		}
	}
	pthread_barrier_init(&run.start, NULL, T + 1);
	for (unsigned i = 0; i < T; i++)
		if (pthread_create(&w[i].th, NULL, lat_main, &w[i]) != 0) {
			fprintf(stderr, "numseq_compare: pthread_create failed\n");
			exit(1);
		}
	pthread_barrier_wait(&run.start);
	for (unsigned i = 0; i < T; i++)
		pthread_join(w[i].th, NULL);
	pthread_barrier_destroy(&run.start);

	uint64_t n = 0;
	for (unsigned i = 0; i < T; i++)
		n += w[i].samples;
	uint64_t *all = malloc(sizeof(uint64_t) * (n ? n : 1));
	if (!all) {
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		goto teardown;
	}
	uint64_t k = 0;
	double sum = 0;
	for (unsigned i = 0; i < T; i++)
		for (uint64_t j = 0; j < w[i].samples; j++) {
			all[k++] = w[i].lat[j];
			sum += (double)w[i].lat[j];
		}
	qsort(all, n, sizeof(uint64_t), cmp_u64);
	r->samples = n;
	if (n) {
		r->p50 = pct(all, n, 0.50);
		r->p90 = pct(all, n, 0.90);
		r->p99 = pct(all, n, 0.99);
		r->p999 = pct(all, n, 0.999);
		r->max = (double)all[n - 1];
		r->mean = sum / (double)n;
	}
	free(all);
	if (c)
		check_values(c, run.st, w, T, run.cap, r);
	else
		r->ok = n > 0;
teardown:
	if (c)
		c->teardown(run.st);
out:
	for (unsigned i = 0; i < T; i++) {
		free(w[i].lat);
		free(w[i].runs);
	}
	free(w);
}
