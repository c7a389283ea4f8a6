/*
 * harness.c - runs the contenders, checks them, and reports (see harness.h
 * for what a contender is and what the checks prove).
 *
 * One run: T threads are created (pinned to CPU i mod n if asked), wait at
 * a barrier with the main thread, then each loops on its op in batches of
 * BATCH_OPS until the main thread, after sleeping the run's duration,
 * raises a stop flag.  Each thread times itself with CLOCK_MONOTONIC.
 *   ns/op  = mean over threads of (thread's elapsed ns / its numbers);
 *   Mops/s = all numbers / (last thread's end - first thread's start).
 * Runs of all contenders are interleaved: round r runs every contender
 * once, so slow drift of the machine (a noisy neighbour on a VM, frequency)
 * falls on every row alike instead of on whichever ran last.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef NUMSEQ_BENCH_BUILD_TYPE
#define NUMSEQ_BENCH_BUILD_TYPE "unknown"
#endif
#ifdef __OPTIMIZE__
#define BENCH_OPTIMIZED "yes"
#else
#define BENCH_OPTIMIZED "NO: timings are meaningless"
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_SANITIZED "YES: timings are meaningless"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BENCH_SANITIZED "YES: timings are meaningless"
#endif
#endif
#ifndef BENCH_SANITIZED
#define BENCH_SANITIZED "no"
#endif

enum {
	BATCH_OPS = 512, /* ops between two looks at the stop flag */
	MAX_THREADS = 64,
	MAX_RANGES = MAX_THREADS,
	MAX_ROWS = 64,
	MAX_RUNS = 1000,
	MSG = 256
};

/* -------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Does name match the comma-separated substrings of filter? */
static bool selected(const char *name, const char *filter)
{
	if (!filter || !*filter)
		return true;
	const char *p = filter;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			for (const char *q = name; *q; q++)
				if (strncmp(q, p, len) == 0)
					return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static void acc_merge(bench_acc_t *into, const bench_acc_t *a)
{
	into->count += a->count;
	into->sum += a->sum;
	into->xr ^= a->xr;
	into->min = a->min < into->min ? a->min : into->min;
	into->max = a->max > into->max ? a->max : into->max;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The CPUs this process may run on, in order. */
static unsigned allowed_cpus(int *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET((size_t)i, &set))
			cpus[n++] = i;
	return n;
}

/* CPU seconds the whole machine spent busy and stolen (by the hypervisor)
 * since boot, and this process's own CPU seconds; false if unknown. */
typedef struct load_sample {
	double busy, steal, self, wall;
	bool ok;
} load_sample_t;

static load_sample_t load_sample(void)
{
	load_sample_t l = {0};
	unsigned long long v[8] = {0};
	struct rusage ru;
	FILE *f = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);

	l.wall = (double)now_ns() / 1e9;
	if (!f || hz <= 0) {
		if (f)
			fclose(f);
		return l;
	}
	/* user nice system idle iowait irq softirq steal */
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	               &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || getrusage(RUSAGE_SELF, &ru) != 0)
		return l;
	l.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)hz;
	l.steal = (double)v[7] / (double)hz;
	l.self = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	l.ok = true;
	return l;
}

/* --------------------------------------------------------------- one run */

typedef enum { MODE_TIMED, MODE_RECORD } run_mode_t;

typedef struct run_ctx {
	const bench_contender_t *c;
	void *st;
	run_mode_t mode;
	uint64_t want; /* MODE_RECORD: numbers per thread */
	pthread_barrier_t start;
	_Atomic int stop;
} run_ctx_t;

typedef struct worker {
	bench_thread_t t; /* first: keeps its cache-line alignment */
	run_ctx_t *ctx;
	pthread_t th;
	int cpu; /* -1: not pinned */
	bool pinned;
	uint64_t numbers;
	uint64_t t0, t1;
	uint64_t cpu0, cpu1; /* the thread's CPU time: was it running? */
	int64_t *buf;        /* MODE_RECORD */
} worker_t;

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	run_ctx_t *ctx = w->ctx;
	const bench_contender_t *c = ctx->c;

	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((size_t)w->cpu, &set);
		w->pinned = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
	}
	pthread_barrier_wait(&ctx->start);
	if (ctx->mode == MODE_TIMED) {
		uint64_t n = 0;
		w->cpu0 = thread_cpu_ns();
		w->t0 = now_ns();
		/* At least one batch: on a busy machine a thread may wake from
		 * the barrier only after the stop flag went up, and a run with a
		 * thread that did nothing measures nothing (its CPU share would
		 * be garbage too).  relaxed: a flag to stop; pthread_join orders
		 * the results. */
		do
			n += c->run(ctx->st, &w->t, BATCH_OPS);
		while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed));
		w->t1 = now_ns();
		w->cpu1 = thread_cpu_ns();
		w->numbers = n;
	} else {
		w->t0 = now_ns();
		w->numbers = c->record(ctx->st, &w->t, w->buf, ctx->want);
		w->t1 = now_ns();
	}
	return NULL;
}

typedef struct run_result {
	double ns_per_op;
	double mops;
	double cpu_share; /* mean of thread CPU time / elapsed time */
	uint64_t numbers;
	uint64_t wall_ns;
	bool ok;
	bool unpinned; /* pinning was asked for and failed */
	char msg[MSG]; /* why not ok */
} run_result_t;

/* Compares what the threads handed out (plus the legitimate tails of
 * their last blocks) with what the shared state reserved.  In MODE_RECORD
 * also sorts every recorded number and looks for repeats. */
static void check_run(const bench_contender_t *c, void *st, worker_t *ws, unsigned T,
                      run_mode_t mode, run_result_t *r)
{
	/* bench_thread_t is alignas(64): calloc's alignment is not enough
	 * (UBSan: misaligned store). */
	size_t tbytes = sizeof(bench_thread_t) * (T ? T : 1);
	bench_thread_t *threads = aligned_alloc(64, tbytes);
	if (threads)
		memset(threads, 0, tbytes);
	bench_range_t ranges[MAX_RANGES];
	bench_acc_t got, want;
	uint64_t errors = 0;
	int first_error = 0;

	r->ok = false;
	if (!threads) {
		snprintf(r->msg, MSG, "out of memory");
		return;
	}
	bench_acc_init(&got);
	for (unsigned i = 0; i < T; i++) {
		threads[i] = ws[i].t;
		acc_merge(&got, &ws[i].t.acc);
		errors += ws[i].t.errors;
		if (!first_error)
			first_error = ws[i].t.first_error;
	}
	int nr = c->reserved(st, threads, T, ranges, MAX_RANGES);
	free(threads);
	if (errors) {
		snprintf(r->msg, MSG, "%" PRIu64 " ops failed (first error %d)", errors,
		         first_error);
		return;
	}
	if (nr < 0) {
		snprintf(r->msg, MSG, "could not read the reserved range");
		return;
	}

	/* Exact check first: its message names the number. */
	if (mode == MODE_RECORD) {
		uint64_t total = 0;
		for (unsigned i = 0; i < T; i++)
			total += ws[i].numbers;
		int64_t *all = malloc(sizeof(*all) * (total ? total : 1));
		if (!all) {
			snprintf(r->msg, MSG, "out of memory");
			return;
		}
		uint64_t k = 0;
		for (unsigned i = 0; i < T; i++) {
			memcpy(all + k, ws[i].buf, sizeof(*all) * ws[i].numbers);
			k += ws[i].numbers;
		}
		qsort(all, total, sizeof(*all), cmp_i64);
		qsort(ranges, (size_t)nr, sizeof(ranges[0]), cmp_i64); /* by .first */
		int ri = 0;
		for (uint64_t j = 0; j < total; j++) {
			if (j > 0 && all[j] == all[j - 1]) {
				snprintf(r->msg, MSG, "number %" PRId64 " handed out twice",
				         all[j]);
				free(all);
				return;
			}
			while (ri < nr && ranges[ri].last < all[j])
				ri++;
			if (ri == nr || all[j] < ranges[ri].first) {
				snprintf(r->msg, MSG,
				         "number %" PRId64 " outside the reserved range", all[j]);
				free(all);
				return;
			}
		}
		free(all);
	}
	/* Unused tails of each thread's last block (CACHE): reserved, never
	 * handed out.  Blocks are aligned on the range's start. */
	if (c->gap_block > 1) {
		if (nr != 1) {
			snprintf(r->msg, MSG, "gap_block needs one reserved range, got %d", nr);
			return;
		}
		uint64_t start = (uint64_t)ranges[0].first, last = (uint64_t)ranges[0].last;
		for (unsigned i = 0; i < T; i++) {
			const bench_acc_t *a = &ws[i].t.acc;
			if (a->count == 0 || a->max < start)
				continue;
			uint64_t end = start +
			               ((a->max - start) / c->gap_block + 1) * c->gap_block - 1;
			end = end < last ? end : last;
			if (end > a->max)
				bench_acc_range(&got, (int64_t)(a->max + 1), end - a->max);
		}
	}

	bench_acc_init(&want);
	for (int i = 0; i < nr; i++)
		if (ranges[i].first <= ranges[i].last)
			bench_acc_range(&want, ranges[i].first,
			                (uint64_t)(ranges[i].last - ranges[i].first) + 1);
	if (want.count == 0)
		want.min = got.min; /* nothing reserved: min is undefined on both sides */
	if (got.count != want.count || got.sum != want.sum || got.xr != want.xr ||
	    got.min != want.min || got.max != want.max) {
		snprintf(r->msg, MSG,
		         "fingerprint mismatch: %" PRIu64 " numbers (incl. cache tails) in "
		         "%" PRIu64 "..%" PRIu64 ", reserved %" PRIu64 " in %" PRIu64 "..%" PRIu64
		         "%s%s",
		         got.count, got.min, got.max, want.count, want.min, want.max,
		         got.sum != want.sum ? ", sum differs" : "",
		         got.xr != want.xr ? ", xor differs" : "");
		return;
	}

	r->ok = true;
}

/* One run of c with T threads.  Returns false if it could not run at all. */
static bool run_once(const bench_contender_t *c, unsigned T, run_mode_t mode, unsigned ms,
                     uint64_t want, bool pin, run_result_t *r)
{
	run_ctx_t ctx = {.c = c, .mode = mode, .want = want};
	worker_t *ws = aligned_alloc(64, sizeof(worker_t) * T);
	int cpus[CPU_SETSIZE];
	unsigned ncpu = pin ? allowed_cpus(cpus, CPU_SETSIZE) : 0;
	unsigned started = 0;
	bool ran = false;

	memset(r, 0, sizeof(*r));
	if (!ws) {
		snprintf(r->msg, MSG, "out of memory");
		return false;
	}
	memset(ws, 0, sizeof(worker_t) * T);
	ctx.st = c->setup(T);
	if (!ctx.st) {
		snprintf(r->msg, MSG, "setup failed");
		free(ws);
		return false;
	}
	atomic_init(&ctx.stop, 0);
	pthread_barrier_init(&ctx.start, NULL, T + 1);
	for (unsigned i = 0; i < T; i++) {
		worker_t *w = &ws[i];
		bench_acc_init(&w->t.acc);
		w->t.tid = i;
		w->t.nthreads = T;
		w->ctx = &ctx;
		w->cpu = ncpu ? cpus[i % ncpu] : -1;
		if (mode == MODE_RECORD) {
			w->buf = malloc(sizeof(int64_t) * (want + c->max_per_op));
			if (!w->buf)
				goto out;
		}
	}
	for (; started < T; started++)
		if (pthread_create(&ws[started].th, NULL, worker_main, &ws[started]) != 0)
			break;
	if (started < T) {
		/* The started threads wait at a barrier that will never fill:
		 * nothing sensible to continue with (resource exhaustion). */
		fprintf(stderr, "numseq_bench: pthread_create failed after %u threads\n", started);
		exit(1);
	}
	pthread_barrier_wait(&ctx.start);
	if (mode == MODE_TIMED) {
		sleep_ms(ms);
		/* relaxed: see worker_main */
		atomic_store_explicit(&ctx.stop, 1, memory_order_relaxed);
	}
	for (unsigned i = 0; i < T; i++)
		pthread_join(ws[i].th, NULL);
	ran = true;

	uint64_t first = UINT64_MAX, last = 0;
	double ns_sum = 0, share_sum = 0;
	for (unsigned i = 0; i < T; i++) {
		worker_t *w = &ws[i];
		if (w->t1 > w->t0) {
			/* capped: the two clocks tick apart on very short spans */
			double sh = (double)(w->cpu1 - w->cpu0) / (double)(w->t1 - w->t0);
			share_sum += sh < 1 ? sh : 1;
		}
		first = w->t0 < first ? w->t0 : first;
		last = w->t1 > last ? w->t1 : last;
		r->numbers += w->numbers;
		if (w->numbers)
			ns_sum += (double)(w->t1 - w->t0) / (double)w->numbers;
		if (w->cpu >= 0 && !w->pinned)
			r->unpinned = true;
	}
	r->wall_ns = last - first;
	r->ns_per_op = ns_sum / T;
	r->cpu_share = share_sum / T;
	r->mops = r->wall_ns ? (double)r->numbers * 1e3 / (double)r->wall_ns : 0;
	check_run(c, ctx.st, ws, T, mode, r);
	if (r->numbers == 0 && r->ok) {
		r->ok = false;
		snprintf(r->msg, MSG, "no number handed out");
	}
out:
	pthread_barrier_destroy(&ctx.start);
	c->teardown(ctx.st);
	for (unsigned i = 0; i < T; i++)
		free(ws[i].buf);
	free(ws);
	return ran;
}

/* ------------------------------------------------------------ statistics */

typedef struct cell {
	double ns[MAX_RUNS];
	double mops[MAX_RUNS];
	double share[MAX_RUNS];
	unsigned n;
	double share_med, share_min, share_max;
	double ns_med, ns_min, ns_max;
	double mops_med, mops_min, mops_max;
	unsigned failures;
	unsigned redone; /* timed runs discarded for a busy machine */
	bool verified;   /* the verify pass ran and passed */
	bool unpinned;
	char msg[MSG]; /* first failure */
} cell_t;

static double median(const double *v, unsigned n, double *mn, double *mx)
{
	double s[MAX_RUNS];
	if (n == 0) {
		*mn = *mx = 0;
		return 0;
	}
	memcpy(s, v, sizeof(double) * n);
	qsort(s, n, sizeof(double), cmp_double);
	*mn = s[0];
	*mx = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void cell_stats(cell_t *c)
{
	c->ns_med = median(c->ns, c->n, &c->ns_min, &c->ns_max);
	c->mops_med = median(c->mops, c->n, &c->mops_min, &c->mops_max);
	c->share_med = median(c->share, c->n, &c->share_min, &c->share_max);
}

/* -------------------------------------------------------------- reports */

typedef struct report {
	const bench_config_t *cfg;
	const bench_contender_t *rows[MAX_ROWS];
	unsigned nrows;
	cell_t *cells; /* [row * nthreads_list + ti] */
	unsigned failures;
	bool unpinned;
	bool load_ok;
	double others; /* share of all CPUs used by other processes */
	double steal;  /* share of all CPUs stolen by the hypervisor */
	unsigned ncpu;
} report_t;

static cell_t *cell_of(report_t *rp, unsigned row, unsigned ti)
{
	return &rp->cells[row * rp->cfg->nthreads_list + ti];
}

static int row_of(report_t *rp, const char *name)
{
	for (unsigned i = 0; i < rp->nrows; i++)
		if (strcmp(rp->rows[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static int ti_of(report_t *rp, unsigned T)
{
	for (unsigned i = 0; i < rp->cfg->nthreads_list; i++)
		if (rp->cfg->threads[i] == T)
			return (int)i;
	return -1;
}

/* A target's measured ratio; false if one side was not run. */
static bool target_ratio(report_t *rp, const bench_target_t *tg, double *ratio, cell_t **num,
                         cell_t **den)
{
	int rn = row_of(rp, tg->num), rd = row_of(rp, tg->den);
	int tn = ti_of(rp, tg->num_threads), td = ti_of(rp, tg->den_threads);
	if (rn < 0 || rd < 0 || tn < 0 || td < 0)
		return false;
	*num = cell_of(rp, (unsigned)rn, (unsigned)tn);
	*den = cell_of(rp, (unsigned)rd, (unsigned)td);
	if ((*num)->n == 0 || (*den)->n == 0)
		return false;
	if (tg->metric == BENCH_NS_RATIO_MAX)
		*ratio = (*num)->ns_med / (*den)->ns_med;
	else
		*ratio = (*num)->mops_med / (*den)->mops_med;
	return true;
}

static bool target_pass(const bench_target_t *tg, double ratio)
{
	return tg->metric == BENCH_NS_RATIO_MAX ? ratio <= tg->bound : ratio >= tg->bound;
}

/* "by how much" for a miss, in words. */
static void target_miss(const bench_target_t *tg, double ratio, const cell_t *num,
                        const cell_t *den, char *buf, size_t len)
{
	if (tg->metric == BENCH_NS_RATIO_MAX) {
		double budget = den->ns_med * tg->bound;
		snprintf(buf, len,
		         "%.0f%% over the bound: %.2f ns/op, budget %.2f ns/op (%.2f ns too slow)",
		         (ratio / tg->bound - 1) * 100, num->ns_med, budget, num->ns_med - budget);
	} else {
		double need = den->mops_med * tg->bound;
		snprintf(buf, len, "%.0f%% short: %.1f Mops/s, needs %.1f Mops/s (%.2fx more)",
		         (1 - ratio / tg->bound) * 100, num->mops_med, need, need / num->mops_med);
	}
}

static void print_text(report_t *rp, const bench_target_t *targets, size_t ntargets)
{
	const bench_config_t *cfg = rp->cfg;
	printf("\n%-34s %3s  %-28s  %-28s  %4s  %s\n", "contender", "T", "ns/op median [min-max]",
	       "Mops/s median [min-max]", "cpu%", "check");
	for (unsigned i = 0; i < rp->nrows; i++) {
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			char a[64], b[64];
			snprintf(a, sizeof(a), "%8.2f [%.2f-%.2f]", c->ns_med, c->ns_min,
			         c->ns_max);
			snprintf(b, sizeof(b), "%8.1f [%.1f-%.1f]", c->mops_med, c->mops_min,
			         c->mops_max);
			printf("%-34s %3u  %-28s  %-28s  %4.0f  %s\n", ti ? "" : rp->rows[i]->label,
			       cfg->threads[ti], a, b, c->share_med * 100,
			       c->failures   ? "FAIL"
			       : c->verified ? "ok"
			                     : "ok (fingerprint only)");
		}
	}
	for (unsigned i = 0; i < rp->nrows; i++)
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			if (c->failures)
				printf("FAIL %s T=%u: %u failed check(s), first: %s\n",
				       rp->rows[i]->name, cfg->threads[ti], c->failures, c->msg);
		}
	unsigned redone = 0;
	for (unsigned i = 0; i < rp->nrows * cfg->nthreads_list; i++)
		redone += rp->cells[i].redone;
	if (redone)
		printf("\n%u run(s) redone because another process took a CPU\n", redone);
	if (rp->load_ok)
		printf("\nother processes used %.0f%% of the %u CPUs during the run, the hypervisor "
		       "stole %.0f%%\n",
		       rp->others * 100, rp->ncpu, rp->steal * 100);
	if (ntargets)
		printf("\ntargets:\n");
	for (size_t k = 0; k < ntargets; k++) {
		const bench_target_t *tg = &targets[k];
		cell_t *num, *den;
		double ratio;
		if (!target_ratio(rp, tg, &ratio, &num, &den)) {
			printf("  %-4s %s (not run)\n", "-", tg->what);
			continue;
		}
		bool pass = target_pass(tg, ratio);
		printf("  %-4s %s: %.2fx (bound %s %.2fx)\n",
		       tg->informational ? "info"
		       : pass            ? "PASS"
		                         : "MISS",
		       tg->what, ratio, tg->metric == BENCH_NS_RATIO_MAX ? "<=" : ">=", tg->bound);
		if (!tg->informational && !pass) {
			char why[200];
			target_miss(tg, ratio, num, den, why, sizeof(why));
			printf("       %s\n", why);
		}
	}
}

static void write_csv(report_t *rp, FILE *f)
{
	const bench_config_t *cfg = rp->cfg;
	fprintf(f, "contender,threads,run,ns_per_op,mops\n");
	for (unsigned i = 0; i < rp->nrows; i++)
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			for (unsigned r = 0; r < c->n; r++)
				fprintf(f, "%s,%u,%u,%.4f,%.4f\n", rp->rows[i]->name,
				        cfg->threads[ti], r + 1, c->ns[r], c->mops[r]);
		}
}

static void write_markdown(report_t *rp, FILE *f, const bench_target_t *targets, size_t ntargets)
{
	const bench_config_t *cfg = rp->cfg;
	int cpus[CPU_SETSIZE];
	unsigned ncpu = allowed_cpus(cpus, CPU_SETSIZE);

	fprintf(f, "## Method\n\n");
	fprintf(f,
	        "- Bench binary: compiled by %s %s, build type %s, optimized: %s, "
	        "sanitizer: %s.\n",
#ifdef __clang__
	        "clang",
#else
	        "gcc",
#endif
	        __VERSION__, NUMSEQ_BENCH_BUILD_TYPE, BENCH_OPTIMIZED, BENCH_SANITIZED);
	fprintf(f,
	        "- One run: T threads are created, %s, and released together by a barrier "
	        "with the main thread; each calls its op in batches of %d until the main "
	        "thread raises a stop flag after **%u ms**. Each thread times itself with "
	        "`clock_gettime(CLOCK_MONOTONIC)`.\n",
	        cfg->pin ? (rp->unpinned ? "asked to be pinned to CPU i mod n (pinning FAILED "
	                                   "on some threads, so they ran unpinned)"
	                                 : "thread i pinned to allowed CPU i mod n")
	                 : "not pinned",
	        BATCH_OPS, cfg->ms);
	fprintf(f,
	        "- **ns/op** is per thread: a thread's elapsed time divided by the numbers it "
	        "handed out, averaged over the threads (one op = one number; a block of 64 "
	        "counts 64). **Mops/s** is the total: all numbers / (last thread's end - first "
	        "thread's start). With more threads than the %u CPUs, ns/op includes the time "
	        "a thread waits for a CPU.\n",
	        ncpu);
	fprintf(f,
	        "- Per contender and thread count: %u warm-up run(s), discarded, then **%u "
	        "timed runs**; the tables give the **median** and, in brackets, the "
	        "**min-max** of those runs. Rounds are interleaved (every contender runs once "
	        "per round) so that drift of the machine falls on all rows alike.\n",
	        cfg->warmup, cfg->runs);
	fprintf(f, "- Correctness, in the same run: every timed run folds each number into a "
	           "fingerprint (count, sum, xor, min, max) that must equal the fingerprint of "
	           "the range the shared state reserved, counting the unused tail of each "
	           "thread's last cache block as a legitimate gap. A duplicate would have to be "
	           "offset by a missing number matching it in both sum and xor to pass: strong, "
	           "not a proof. ");
	if (cfg->verify_values)
		fprintf(f,
		        "Besides, one untimed pass per contender and thread count records "
		        "%" PRIu64 " numbers per thread, sorts them all and checks that none "
		        "repeats and all lie in the reserved range: exact, on fewer numbers.\n",
		        cfg->verify_values);
	else
		fprintf(f, "(The exact verify pass was turned off for this run.)\n");
	unsigned redone = 0;
	for (unsigned i = 0; i < rp->nrows * cfg->nthreads_list; i++)
		redone += rp->cells[i].redone;
	fprintf(f,
	        "- A timed run in which the threads got less than 90%% of their CPU share (a "
	        "whole CPU each when T <= CPUs, CPUs/T beyond), because another process ran, "
	        "does not measure what it claims: it is discarded and redone, at most %u "
	        "times. %u run(s) were redone in this run (counted per cell in the CPU share "
	        "table).\n",
	        cfg->retry_busy, redone);
	if (rp->load_ok)
		fprintf(f,
		        "- Machine load while the bench ran: other processes used **%.0f%%** of the "
		        "%u CPUs, the hypervisor stole %.0f%%. Each thread also measures its own CPU "
		        "time; the *thread CPU share* table below says what fraction of its elapsed "
		        "time a thread actually ran.\n",
		        rp->others * 100, rp->ncpu, rp->steal * 100);
	fprintf(f, "\n### Contenders\n\n| name | row | one op |\n|---|---|---|\n");
	for (unsigned i = 0; i < rp->nrows; i++)
		fprintf(f, "| `%s` | %s | %s |\n", rp->rows[i]->name, rp->rows[i]->label,
		        rp->rows[i]->note);

	fprintf(f, "\n## Results\n\nMedian (min-max) of %u runs of %u ms.\n\n| contender |",
	        cfg->runs, cfg->ms);
	for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
		fprintf(f, " %uT ns/op | %uT Mops/s |", cfg->threads[ti], cfg->threads[ti]);
	fprintf(f, " check |\n|---|");
	for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
		fprintf(f, "--:|--:|");
	fprintf(f, "---|\n");
	for (unsigned i = 0; i < rp->nrows; i++) {
		bool fail = false, verified = true;
		fprintf(f, "| %s |", rp->rows[i]->label);
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			fprintf(f, " %.2f (%.2f-%.2f) | %.1f (%.1f-%.1f) |", c->ns_med, c->ns_min,
			        c->ns_max, c->mops_med, c->mops_min, c->mops_max);
			fail |= c->failures > 0;
			verified &= c->verified;
		}
		fprintf(f, " %s |\n", fail ? "**FAIL**" : verified ? "ok" : "ok (fingerprint)");
	}

	double worst = 1;
	unsigned worst_t = 0;
	fprintf(f, "\n### Thread CPU share\n\nThread CPU time / elapsed time, median over the runs "
	           "(100%% = the thread never waited for a CPU).\n\n| contender |");
	for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
		fprintf(f, " %uT |", cfg->threads[ti]);
	fprintf(f, "\n|---|");
	for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
		fprintf(f, "--:|");
	fprintf(f, "\n");
	for (unsigned i = 0; i < rp->nrows; i++) {
		fprintf(f, "| %s |", rp->rows[i]->label);
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			if (c->redone)
				fprintf(f, " %.0f%% (%u redone) |", c->share_med * 100, c->redone);
			else
				fprintf(f, " %.0f%% |", c->share_med * 100);
			if (cfg->threads[ti] <= rp->ncpu && c->share_med < worst) {
				worst = c->share_med;
				worst_t = cfg->threads[ti];
			}
		}
		fprintf(f, "\n");
	}
	if (worst < 0.9)
		fprintf(f,
		        "\n**Warning:** with %u thread(s), no more than the CPUs, a thread ran only "
		        "%.0f%% of its time: something else competed for the CPUs, so the threads "
		        "did not all run at once and the multi-thread figures understate contention. "
		        "Rerun on a quiet machine.\n",
		        worst_t, worst * 100);

	int nb = cfg->ns_baseline ? row_of(rp, cfg->ns_baseline) : -1;
	int mb = cfg->mops_baseline ? row_of(rp, cfg->mops_baseline) : -1;
	int t1 = ti_of(rp, 1);
	if (nb >= 0 && mb >= 0 && t1 >= 0) {
		fprintf(f,
		        "\n### Relative\n\nns/op at 1 thread divided by `%s`'s; Mops/s divided by "
		        "`%s`'s at the same thread count.\n\n| contender | 1T ns/op ratio |",
		        cfg->ns_baseline, cfg->mops_baseline);
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
			fprintf(f, " %uT Mops/s ratio |", cfg->threads[ti]);
		fprintf(f, "\n|---|--:|");
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
			fprintf(f, "--:|");
		fprintf(f, "\n");
		for (unsigned i = 0; i < rp->nrows; i++) {
			fprintf(f, "| %s | %.2fx |", rp->rows[i]->label,
			        cell_of(rp, i, (unsigned)t1)->ns_med /
			                cell_of(rp, (unsigned)nb, (unsigned)t1)->ns_med);
			for (unsigned ti = 0; ti < cfg->nthreads_list; ti++)
				fprintf(f, " %.2fx |",
				        cell_of(rp, i, ti)->mops_med /
				                cell_of(rp, (unsigned)mb, ti)->mops_med);
			fprintf(f, "\n");
		}
	}

	if (ntargets) {
		fprintf(f, "\n## Targets\n\n| target | measured | ratio | bound | result |\n"
		           "|---|---|--:|--:|---|\n");
		for (size_t k = 0; k < ntargets; k++) {
			const bench_target_t *tg = &targets[k];
			cell_t *num, *den;
			double ratio;
			if (!target_ratio(rp, tg, &ratio, &num, &den)) {
				fprintf(f, "| %s | not run | | | - |\n", tg->what);
				continue;
			}
			bool ns = tg->metric == BENCH_NS_RATIO_MAX;
			char meas[160], res[240];
			if (ns)
				snprintf(meas, sizeof(meas),
				         "`%s` %uT %.2f ns/op vs `%s` %uT %.2f ns/op", tg->num,
				         tg->num_threads, num->ns_med, tg->den, tg->den_threads,
				         den->ns_med);
			else
				snprintf(meas, sizeof(meas),
				         "`%s` %uT %.1f Mops/s vs `%s` %uT %.1f Mops/s", tg->num,
				         tg->num_threads, num->mops_med, tg->den, tg->den_threads,
				         den->mops_med);
			if (tg->informational)
				snprintf(res, sizeof(res), "info");
			else if (target_pass(tg, ratio))
				snprintf(res, sizeof(res), "**PASS**");
			else {
				char why[200];
				target_miss(tg, ratio, num, den, why, sizeof(why));
				snprintf(res, sizeof(res), "**MISS**: %s", why);
			}
			fprintf(f, "| %s | %s | %.2fx | %s %.2fx | %s |\n", tg->what, meas, ratio,
			        ns ? "&le;" : "&ge;", tg->bound, res);
		}
	}

	fprintf(f, "\n## Checks\n\n");
	if (rp->failures == 0)
		fprintf(f,
		        "Every run passed its check: no contender handed out a number twice%s.\n",
		        cfg->verify_values ? " (fingerprint on every timed run, exact sort on the "
		                             "verify pass)"
		                           : " (fingerprint on every timed run)");
	for (unsigned i = 0; i < rp->nrows; i++)
		for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
			cell_t *c = cell_of(rp, i, ti);
			if (c->failures)
				fprintf(f,
				        "- **FAIL** `%s` at %u threads: %u failed check(s), first: %s\n",
				        rp->rows[i]->name, cfg->threads[ti], c->failures, c->msg);
		}
}

/* ------------------------------------------------------------------ main */

void bench_list(const bench_group_t *const *groups)
{
	for (; *groups; groups++)
		for (const bench_contender_t *c = (*groups)->contenders; c->name; c++)
			printf("%-14s %-36s %s\n", c->name, c->label, c->note);
}

int bench_profile(const bench_group_t *const *groups, const char *name, uint64_t ops)
{
	for (; *groups; groups++)
		for (const bench_contender_t *c = (*groups)->contenders; c->name; c++) {
			if (strcmp(c->name, name) != 0)
				continue;
			void *st = c->setup(1);
			bench_thread_t *t = aligned_alloc(64, sizeof(*t));
			if (!st || !t) {
				fprintf(stderr, "numseq_bench: setup failed\n");
				return 1;
			}
			memset(t, 0, sizeof(*t));
			bench_acc_init(&t->acc);
			t->nthreads = 1;
			uint64_t numbers = 0;
			for (uint64_t done = 0; done < ops; done += BATCH_OPS)
				numbers += c->run(st, t, BATCH_OPS);
			printf("profile %s: %" PRIu64 " ops, %" PRIu64 " numbers, errors %" PRIu64
			       "\n",
			       name, (ops + BATCH_OPS - 1) / BATCH_OPS * BATCH_OPS, numbers,
			       t->errors);
			c->teardown(st);
			free(t);
			return 0;
		}
	fprintf(stderr, "numseq_bench: no contender named %s\n", name);
	return 1;
}

static void record_failure(report_t *rp, cell_t *c, const run_result_t *r)
{
	if (c->failures++ == 0)
		snprintf(c->msg, MSG, "%s", r->msg);
	rp->failures++;
}

int bench_main(const bench_config_t *cfg, const bench_group_t *const *groups,
               const bench_target_t *targets, size_t ntargets)
{
	report_t rp = {.cfg = cfg};
	int rc = 0;

	for (; *groups; groups++)
		for (const bench_contender_t *c = (*groups)->contenders; c->name; c++)
			if (selected(c->name, cfg->filter) && rp.nrows < MAX_ROWS)
				rp.rows[rp.nrows++] = c;
	if (rp.nrows == 0) {
		fprintf(stderr, "numseq_bench: no contender matches '%s'\n", cfg->filter);
		return 1;
	}
	rp.cells = calloc((size_t)rp.nrows * cfg->nthreads_list, sizeof(cell_t));
	if (!rp.cells)
		return 1;
	{
		int cpus[CPU_SETSIZE];
		rp.ncpu = allowed_cpus(cpus, CPU_SETSIZE);
	}
	load_sample_t l0 = load_sample();

	for (unsigned ti = 0; ti < cfg->nthreads_list; ti++) {
		unsigned T = cfg->threads[ti];
		/* A thread should get a whole CPU when T <= CPUs, its fair share
		 * ncpu/T otherwise; 90% of that is the floor for a valid run. */
		double share_floor = 0.9 *
		                     (T <= rp.ncpu || rp.ncpu == 0 ? 1.0 : (double)rp.ncpu / T);
		if (cfg->verify_values) {
			fprintf(stderr, "T=%u verify", T);
			for (unsigned i = 0; i < rp.nrows; i++) {
				run_result_t r;
				cell_t *c = cell_of(&rp, i, ti);
				if (!run_once(rp.rows[i], T, MODE_RECORD, 0, cfg->verify_values,
				              cfg->pin, &r)) {
					fprintf(stderr, "\nnumseq_bench: %s: %s\n",
					        rp.rows[i]->name, r.msg);
					rc = 1;
					goto done;
				}
				if (r.ok)
					c->verified = true;
				else
					record_failure(&rp, c, &r);
			}
		}
		for (unsigned round = 0; round < cfg->warmup + cfg->runs; round++) {
			bool warm = round < cfg->warmup;
			fprintf(stderr, warm ? " w" : " %u", round - cfg->warmup + 1);
			for (unsigned i = 0; i < rp.nrows; i++) {
				run_result_t r;
				cell_t *c = cell_of(&rp, i, ti);
				for (unsigned attempt = 0;; attempt++) {
					if (!run_once(rp.rows[i], T, MODE_TIMED, cfg->ms, 0,
					              cfg->pin, &r)) {
						fprintf(stderr, "\nnumseq_bench: %s: %s\n",
						        rp.rows[i]->name, r.msg);
						rc = 1;
						goto done;
					}
					rp.unpinned |= r.unpinned;
					if (!r.ok)
						record_failure(&rp, c, &r);
					/* Another process took a CPU: the threads did not run
					 * together, so this run does not measure what it
					 * claims.  Redo it (bounded), and say so. */
					if (r.cpu_share >= share_floor ||
					    attempt >= cfg->retry_busy)
						break;
					if (!warm)
						c->redone++;
				}
				if (!warm) {
					c->ns[c->n] = r.ns_per_op;
					c->mops[c->n] = r.mops;
					c->share[c->n] = r.cpu_share;
					c->n++;
				}
			}
		}
		fprintf(stderr, "\n");
		for (unsigned i = 0; i < rp.nrows; i++)
			cell_stats(cell_of(&rp, i, ti));
	}
	load_sample_t l1 = load_sample();
	long ncpu_online = sysconf(_SC_NPROCESSORS_ONLN);
	if (l0.ok && l1.ok && ncpu_online > 0 && l1.wall > l0.wall) {
		double cap = (l1.wall - l0.wall) * (double)ncpu_online;
		rp.load_ok = true;
		rp.others = ((l1.busy - l0.busy) - (l1.self - l0.self)) / cap;
		rp.others = rp.others < 0 ? 0 : rp.others;
		rp.steal = (l1.steal - l0.steal) / cap;
	}

	print_text(&rp, targets, ntargets);
	if (rp.unpinned)
		printf("note: pinning failed for some threads; they ran unpinned\n");
	if (cfg->csv) {
		FILE *f = fopen(cfg->csv, "w");
		if (!f) {
			perror(cfg->csv);
			rc = 1;
		} else {
			write_csv(&rp, f);
			fclose(f);
		}
	}
	if (cfg->markdown) {
		FILE *f = fopen(cfg->markdown, "w");
		if (!f) {
			perror(cfg->markdown);
			rc = 1;
		} else {
			write_markdown(&rp, f, targets, ntargets);
			fclose(f);
		}
	}
	if (rp.failures) {
		printf("\n%u check(s) FAILED: a contender handed out a number twice or lost one\n",
		       rp.failures);
		rc = 2;
	}
done:
	free(rp.cells);
	return rc;
}
