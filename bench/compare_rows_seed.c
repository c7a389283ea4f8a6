/*
 * compare_rows_seed.c - the pattern numseq exists to replace: "read how
 * many members there are, add one, insert".  Two callers that read the same
 * count hand out the same number.  It is not a harness row (its whole point
 * is that it fails the check); cmp_seed_run() runs it and counts the
 * repeats instead.
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

enum { MAXT = 64 };

typedef struct seed_run {
	int (*op)(void *ctx, unsigned tid, int64_t *v);
	void *ctx;
	uint64_t max;
	bool pin;
	pthread_barrier_t start;
	_Atomic int stop;
} seed_run_t;

typedef struct seed_worker {
	seed_run_t *run;
	unsigned tid;
	int64_t *vals;
	uint64_t n;
	bool failed;
	pthread_t th;
} seed_worker_t;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *seed_main(void *arg)
{
	seed_worker_t *w = arg;
	seed_run_t *run = w->run;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (run->pin && ncpu > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((size_t)(w->tid % (unsigned)ncpu), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	pthread_barrier_wait(&run->start);
	/* relaxed: a flag to stop; the join orders the results */
	while (w->n < run->max && !atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		if (run->op(run->ctx, w->tid, &w->vals[w->n]) != 0) {
			w->failed = true;
			break;
		}
		w->n++;
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void cmp_seed_run(unsigned nthreads, unsigned ms, uint64_t max_per_thread, bool pin,
                  int (*op)(void *ctx, unsigned tid, int64_t *v), void *ctx, cmp_seed_result_t *r)
{
	seed_run_t run = {.op = op, .ctx = ctx, .max = max_per_thread, .pin = pin};
	seed_worker_t w[MAXT];
	unsigned started = 0;

	memset(r, 0, sizeof(*r));
	memset(w, 0, sizeof(w));
	if (nthreads > MAXT)
		nthreads = MAXT;
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].run = &run;
		w[i].tid = i;
		w[i].vals = malloc(sizeof(int64_t) * (max_per_thread ? max_per_thread : 1));
		if (!w[i].vals) {
			snprintf(r->msg, sizeof(r->msg), "out of memory");
			goto out;
		}
	}
	atomic_init(&run.stop, 0);
	pthread_barrier_init(&run.start, NULL, nthreads + 1);
	for (; started < nthreads; started++)
		if (pthread_create(&w[started].th, NULL, seed_main, &w[started]) != 0) {
			fprintf(stderr, "numseq_compare: pthread_create failed\n");
			exit(1);
		}
	pthread_barrier_wait(&run.start);
	uint64_t t0 = now_ns();
	struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
	atomic_store_explicit(&run.stop, 1, memory_order_relaxed);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	r->seconds = (double)(now_ns() - t0) / 1e9;
	pthread_barrier_destroy(&run.start);

	uint64_t total = 0;
	bool failed = false;
	for (unsigned i = 0; i < nthreads; i++) {
		total += w[i].n;
		failed |= w[i].failed;
	}
	int64_t *all = malloc(sizeof(int64_t) * (total ? total : 1));
	if (!all) {
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		goto out;
	}
	uint64_t k = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		memcpy(all + k, w[i].vals, sizeof(int64_t) * w[i].n);
		k += w[i].n;
	}
	qsort(all, total, sizeof(int64_t), cmp_i64);
	uint64_t distinct = 0;
	for (uint64_t j = 0; j < total; j++)
		distinct += j == 0 || all[j] != all[j - 1];
	free(all);
	r->total = total;
	r->distinct = distinct;
	r->ok = !failed && total > 0;
	if (failed)
		snprintf(r->msg, sizeof(r->msg), "an operation failed");
out:
	for (unsigned i = 0; i < nthreads; i++)
		free(w[i].vals);
}

/* ------------------------------------------------------------ in process */

typedef struct rows {
	alignas(64) _Atomic uint64_t n;
} rows_t;

static int seed_inproc_op(void *ctx, unsigned tid, int64_t *v)
{
	(void)tid;
	rows_t *rows = ctx;
	/* relaxed, both: this is the broken pattern, written as a careful
	 * programmer would write each step on its own.  Each step is atomic;
	 * the pair is not, which is the bug. */
	uint64_t count = atomic_load_explicit(&rows->n, memory_order_relaxed);
	*v = (int64_t)(count + 1);
	atomic_fetch_add_explicit(&rows->n, 1, memory_order_relaxed); /* the insert */
	return 0;
}

void cmp_seed_inproc(unsigned nthreads, unsigned ms, uint64_t max_per_thread, bool pin,
                     cmp_seed_result_t *r)
{
	rows_t *rows = aligned_alloc(64, sizeof(*rows));
	if (!rows) {
		memset(r, 0, sizeof(*r));
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return;
	}
	atomic_init(&rows->n, 0);
	cmp_seed_run(nthreads, ms, max_per_thread, pin, seed_inproc_op, rows, r);
	/* relaxed: the threads were joined */
	uint64_t final = atomic_load_explicit(&rows->n, memory_order_relaxed);
	if (r->ok && final != r->total) {
		r->ok = false;
		snprintf(r->msg, sizeof(r->msg), "%llu rows for %llu numbers",
		         (unsigned long long) final, (unsigned long long)r->total);
	}
	free(rows);
}
