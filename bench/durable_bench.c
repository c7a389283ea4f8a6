/*
 * durable_bench.c - numseq_durable_bench: what the persistence journal
 * costs, against the disk it writes to (issue 4, item 8).
 *
 *   1. raw fdatasync rate of the target directory's disk: a 64-byte pwrite
 *      at the end of a file + fdatasync, in a loop; T threads, own files;
 *   2. durable nextval (numseq_open, CACHE 1) for several windows W, 1 and
 *      2 threads, against in-memory nextval (numseq_create) in the same
 *      run; ceiling min(in-memory, W x raw fdatasync rate);
 *   3. durable claims (LOWEST_FREE over 1..10^6: nextval, then release;
 *      each call returns once durable) at T threads, against T x the raw
 *      rate (group commit: one fdatasync per batch of waiters);
 *   4. recovery time (numseq_open of an existing journal) for journals of
 *      10^6 and 10^7 records, warm and with the file evicted from the page
 *      cache (posix_fadvise DONTNEED; no root needed).
 *
 * Every measured run checks its own correctness: no number twice (the
 * harness's fingerprint for nextval, an owner table for claims), and the
 * final state after close and reopen (next value, claimed count, clean
 * open with no gap).  The fdatasync calls of the library are counted
 * through its I/O table (src/jio.h: the same function-pointer table the
 * public numseq_open uses, with counters around the POSIX functions).
 * Recovery journals are built with fdatasync turned off (build only); the
 * file is synced and evicted before the cold open.
 *
 * Output: progress on stderr, a markdown fragment on stdout (or --md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <numseq.h>

#include "harness.h"
#include "jio.h"
#include "numseq_test.h"

#define MAX_THREADS 64
#define MAX_RUNS 9
#define CLAIM_RANGE 1000000

/* ------------------------------------------------------------ utilities */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median of n values (mean of the middle two for even n). */
static double median(const double *v, unsigned n)
{
	double s[MAX_RUNS];
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);
	return (n & 1u) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void die(const char *what, int rc, const numseq_error_t *err)
{
	fprintf(stderr, "durable_bench: %s: %s%s%s\n", what, numseq_strerror(rc),
	        err != NULL ? ": " : "", err != NULL ? err->message : "");
	exit(1);
}

static bool g_failed; /* a correctness check failed */

static void check(bool ok, const char *fmt, const char *what, long long a, long long b)
{
	if (ok)
		return;
	g_failed = true;
	fprintf(stderr, "CHECK FAILED: %s: ", what);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/* --------------------------------------------- counting I/O table */

/* The POSIX table with fdatasync counted (or skipped, to build recovery
 * journals fast).  The journal calls it through the same pointer as the
 * plain numseq_open does. */
static numseq__jio_t count_io;
static _Atomic uint64_t n_fdatasync;
static atomic_bool skip_sync;

static int count_fdatasync(numseq__jio_t *io, int fd)
{
	(void)io;
	/* relaxed: a statistic, read after the threads joined. */
	atomic_fetch_add_explicit(&n_fdatasync, 1, memory_order_relaxed);
	/* relaxed: set before the threads start, read-only while they run. */
	if (atomic_load_explicit(&skip_sync, memory_order_relaxed))
		return 0;
	return numseq__jio_posix()->fdatasync(numseq__jio_posix(), fd);
}

static void count_io_init(void)
{
	count_io = *numseq__jio_posix();
	count_io.fdatasync = count_fdatasync;
}

/* ------------------------------------------------------ thread runner */

typedef struct worker {
	alignas(64) pthread_t th;
	unsigned tid;
	void *ctx;
	uint64_t ops;
	uint64_t t0, t1;
	uint64_t maxv;
	bench_acc_t acc;
	int rc;
} worker_t;

typedef void (*work_fn)(worker_t *w);

static struct {
	atomic_bool stop;
	_Atomic unsigned ready;
	atomic_bool go;
	work_fn fn;
} rt;

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	/* acq_rel/acquire: the start barrier; the main thread's setup before
	 * `go` is visible to every worker. */
	atomic_fetch_add_explicit(&rt.ready, 1, memory_order_acq_rel);
	while (!atomic_load_explicit(&rt.go, memory_order_acquire))
		;
	w->t0 = now_ns();
	rt.fn(w);
	w->t1 = now_ns();
	return NULL;
}

static bool stopped(void)
{
	/* relaxed: a stop hint; the join orders the results. */
	return atomic_load_explicit(&rt.stop, memory_order_relaxed);
}

/* Runs fn on T threads for ms milliseconds; returns ops per second over
 * (last end - first start). */
static double run_threads(worker_t *ws, unsigned T, void *ctx, work_fn fn, unsigned ms,
                          uint64_t *total)
{
	atomic_store_explicit(&rt.stop, false, memory_order_relaxed);
	atomic_store_explicit(&rt.ready, 0, memory_order_relaxed);
	atomic_store_explicit(&rt.go, false, memory_order_relaxed);
	rt.fn = fn;
	for (unsigned i = 0; i < T; i++) {
		memset(&ws[i], 0, sizeof ws[i]);
		ws[i].tid = i;
		ws[i].ctx = ctx;
		bench_acc_init(&ws[i].acc);
		if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
			fprintf(stderr, "durable_bench: pthread_create failed\n");
			exit(1);
		}
	}
	while (atomic_load_explicit(&rt.ready, memory_order_acquire) < T)
		usleep(100);
	atomic_store_explicit(&rt.go, true, memory_order_release);
	struct timespec d = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&d, NULL);
	atomic_store_explicit(&rt.stop, true, memory_order_relaxed);
	uint64_t lo = UINT64_MAX, hi = 0, n = 0;
	for (unsigned i = 0; i < T; i++) {
		pthread_join(ws[i].th, NULL);
		lo = ws[i].t0 < lo ? ws[i].t0 : lo;
		hi = ws[i].t1 > hi ? ws[i].t1 : hi;
		n += ws[i].ops;
		if (ws[i].rc != 0) {
			g_failed = true;
			fprintf(stderr, "CHECK FAILED: thread %u: %s\n", i,
			        numseq_strerror(ws[i].rc));
		}
	}
	*total = n;
	return hi > lo ? (double)n * 1e9 / (double)(hi - lo) : 0;
}

/* ------------------------------------------------ 1. raw fdatasync */

typedef struct raw_ctx {
	const char *dir;
	int fds[MAX_THREADS];
} raw_ctx_t;

static void raw_work(worker_t *w)
{
	raw_ctx_t *c = w->ctx;
	int fd = c->fds[w->tid];
	char rec[64];
	memset(rec, 'r', sizeof rec);
	off_t off = 0;
	while (!stopped()) {
		if (pwrite(fd, rec, sizeof rec, off) != (ssize_t)sizeof rec || fdatasync(fd) != 0) {
			w->rc = NUMSEQ_EIO;
			return;
		}
		off += (off_t)sizeof rec;
		w->ops++;
	}
}

/* fdatasyncs per second (all threads) */
static double raw_run(const char *dir, unsigned T, unsigned ms, double *us_each)
{
	raw_ctx_t c = {.dir = dir};
	worker_t ws[MAX_THREADS];
	char path[4096];
	for (unsigned i = 0; i < T; i++) {
		snprintf(path, sizeof path, "%s/raw.%u", dir, i);
		c.fds[i] = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
		if (c.fds[i] < 0) {
			perror(path);
			exit(1);
		}
	}
	uint64_t n;
	double rate = run_threads(ws, T, &c, raw_work, ms, &n);
	double us = 0;
	for (unsigned i = 0; i < T; i++) {
		struct stat st;
		fstat(c.fds[i], &st);
		check((uint64_t)st.st_size == ws[i].ops * 64, "size %lld, expected %lld",
		      "raw: file size", (long long)st.st_size, (long long)(ws[i].ops * 64));
		us += ws[i].ops ? (double)(ws[i].t1 - ws[i].t0) / 1e3 / (double)ws[i].ops : 0;
		close(c.fds[i]);
		snprintf(path, sizeof path, "%s/raw.%u", dir, i);
		unlink(path);
	}
	*us_each = us / T;
	return rate;
}

/* ------------------------------------------------ 2. durable nextval */

static void nextval_work(worker_t *w)
{
	numseq_t *s = w->ctx;
	bench_acc_t a = w->acc;
	uint64_t n = 0;
	while (!stopped()) {
		for (int k = 0; k < 256; k++) {
			int64_t v;
			int rc = numseq_nextval(s, &v, NULL);
			if (rc != NUMSEQ_OK) {
				w->rc = rc;
				goto out;
			}
			bench_acc_range(&a, v, 1);
			n++;
		}
	}
out:
	w->acc = a;
	w->ops = n;
}

/* The values of all threads must be exactly 1..N (no gap, no repeat). */
static uint64_t check_fingerprint(const worker_t *ws, unsigned T, const char *what)
{
	bench_acc_t all, want;
	bench_acc_init(&all);
	bench_acc_init(&want);
	for (unsigned i = 0; i < T; i++) {
		all.count += ws[i].acc.count;
		all.sum += ws[i].acc.sum;
		all.xr ^= ws[i].acc.xr;
		all.min = ws[i].acc.min < all.min ? ws[i].acc.min : all.min;
		all.max = ws[i].acc.max > all.max ? ws[i].acc.max : all.max;
	}
	bench_acc_range(&want, 1, all.count);
	check(all.count == want.count && all.sum == want.sum && all.xr == want.xr &&
	              all.min == want.min && all.max == want.max,
	      "max %lld, count %lld", what, (long long)all.max, (long long)all.count);
	return all.count;
}

static void seq_opts(numseq_options_t *o, bool claims)
{
	numseq_options_init(o);
	o->set = NUMSEQ_OPT_NAME;
	o->name = "dbench";
	if (claims) {
		o->set |= NUMSEQ_OPT_CLAIMS | NUMSEQ_OPT_MAXVALUE;
		o->claims = NUMSEQ_CLAIMS_LOWEST_FREE;
		o->maxvalue = CLAIM_RANGE;
	}
}

static numseq_t *open_journal(const char *path, uint64_t window, bool claims, bool create,
                              numseq__jio_t *io)
{
	numseq_options_t o;
	numseq_journal_options_t jo = {.window = window};
	numseq_error_t err;
	numseq_t *s = NULL;
	seq_opts(&o, claims);
	int rc = numseq__open_io(&s, path, create ? NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL : 0,
	                         create ? &o : NULL, &jo, io, &err);
	if (rc != NUMSEQ_OK)
		die("numseq_open", rc, &err);
	return s;
}

static void close_journal(numseq_t **s)
{
	numseq_error_t err;
	int rc = numseq_close(s, &err);
	if (rc != NUMSEQ_OK)
		die("numseq_close", rc, &err);
}

/* In-memory nextval, CACHE 1. */
static double mem_nextval(unsigned T, unsigned ms)
{
	numseq_options_t o;
	numseq_error_t err;
	numseq_t *s;
	worker_t ws[MAX_THREADS];
	uint64_t n;
	seq_opts(&o, false);
	int rc = numseq_create(&s, &o, &err);
	if (rc != NUMSEQ_OK)
		die("numseq_create", rc, &err);
	double rate = run_threads(ws, T, s, nextval_work, ms, &n);
	check_fingerprint(ws, T, "in-memory nextval");
	numseq_destroy(&s);
	return rate;
}

/* Durable nextval with window W; *fsyncs: fdatasyncs per 10^6 numbers. */
static double durable_nextval(const char *dir, uint64_t W, unsigned T, unsigned ms,
                              double *fs_per_m)
{
	char path[4096];
	worker_t ws[MAX_THREADS];
	uint64_t n;
	snprintf(path, sizeof path, "%s/nextval.nsj", dir);
	unlink(path);
	numseq_t *s = open_journal(path, W, false, true, &count_io);
	atomic_store_explicit(&n_fdatasync, 0, memory_order_relaxed);
	double rate = run_threads(ws, T, s, nextval_work, ms, &n);
	uint64_t syncs = atomic_load_explicit(&n_fdatasync, memory_order_relaxed);
	*fs_per_m = n ? (double)syncs * 1e6 / (double)n : 0;
	uint64_t got = check_fingerprint(ws, T, "durable nextval");
	close_journal(&s);
	/* A clean close loses nothing: the reopened sequence continues at N+1. */
	s = open_journal(path, W, false, false, NULL);
	int64_t v = 0;
	int rc = numseq_nextval(s, &v, NULL);
	numseq_journal_info_t ji;
	numseq_journal_info(s, &ji);
	check(rc == NUMSEQ_OK && v == (int64_t)got + 1, "next %lld, expected %lld",
	      "durable nextval: value after reopen", (long long)v, (long long)got + 1);
	check(ji.clean_open && !ji.gap, "clean %lld gap %lld", "durable nextval: reopen",
	      ji.clean_open, ji.gap);
	close_journal(&s);
	unlink(path);
	return rate;
}

/* ------------------------------------------------ 3. durable claims */

typedef struct claim_ctx {
	numseq_t *s;
	_Atomic uint32_t *owner; /* 1..CLAIM_RANGE: thread id + 1 holding it */
} claim_ctx_t;

static void claim_work(worker_t *w)
{
	claim_ctx_t *c = w->ctx;
	uint32_t me = w->tid + 1;
	while (!stopped()) {
		int64_t v;
		int rc = numseq_nextval(c->s, &v, NULL);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			return;
		}
		uint32_t zero = 0;
		/* relaxed: the oracle only needs the exchange's atomicity. */
		if (v < 1 || v > CLAIM_RANGE ||
		    !atomic_compare_exchange_strong_explicit(&c->owner[v], &zero, me,
		                                             memory_order_relaxed,
		                                             memory_order_relaxed)) {
			w->rc = NUMSEQ_ECLAIMED; /* handed out while another thread holds it */
			return;
		}
		w->maxv = (uint64_t)v > w->maxv ? (uint64_t)v : w->maxv;
		atomic_store_explicit(&c->owner[v], 0, memory_order_relaxed);
		rc = numseq_release(c->s, v, NULL);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			return;
		}
		w->ops++;
	}
}

/* Claim cycles (nextval + release) per second; *fs_per_call: fdatasyncs
 * per durable call; *maxv: highest number handed out. */
static double durable_claims(const char *dir, unsigned T, unsigned ms, double *fs_per_call,
                             uint64_t *maxv)
{
	char path[4096];
	worker_t ws[MAX_THREADS];
	uint64_t n;
	claim_ctx_t c;
	snprintf(path, sizeof path, "%s/claims.nsj", dir);
	unlink(path);
	c.owner = calloc(CLAIM_RANGE + 1, sizeof *c.owner);
	if (c.owner == NULL)
		exit(1);
	c.s = open_journal(path, 0, true, true, &count_io);
	atomic_store_explicit(&n_fdatasync, 0, memory_order_relaxed);
	double rate = run_threads(ws, T, &c, claim_work, ms, &n);
	uint64_t syncs = atomic_load_explicit(&n_fdatasync, memory_order_relaxed);
	*fs_per_call = n ? (double)syncs / (double)(2 * n) : 0;
	*maxv = 0;
	for (unsigned i = 0; i < T; i++)
		*maxv = ws[i].maxv > *maxv ? ws[i].maxv : *maxv;
	numseq_claim_stats_t st;
	numseq_claim_stats(c.s, &st);
	check(st.claimed == 0 && st.issued == n && st.released == n, "claimed %lld, issued %lld",
	      "claims: final state", (long long)st.claimed, (long long)st.issued);
	close_journal(&c.s);
	c.s = open_journal(path, 0, true, false, NULL);
	numseq_claim_stats(c.s, &st);
	check(st.claimed == 0, "claimed %lld after reopen%lld", "claims: reopen",
	      (long long)st.claimed, 0);
	close_journal(&c.s);
	unlink(path);
	free(c.owner);
	return rate;
}

/* ------------------------------------------------ 4. recovery */

typedef struct build_ctx {
	numseq_t *s;
	uint64_t target; /* durable calls (records) wanted, all threads */
	_Atomic uint64_t done;
} build_ctx_t;

/* nextval, then release it, except every 8th number kept: records are
 * CLAIM and RELEASE alternating, and the final state holds claims. */
static void build_work(worker_t *w)
{
	build_ctx_t *c = w->ctx;
	uint64_t kept = 0;
	for (;;) {
		/* relaxed: a work counter, no data hangs on it. */
		if (atomic_fetch_add_explicit(&c->done, 2, memory_order_relaxed) >= c->target)
			break;
		int64_t v;
		int rc = numseq_nextval(c->s, &v, NULL);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			return;
		}
		if ((w->ops++ & 7u) == 7u) {
			kept++;
			continue;
		}
		rc = numseq_release(c->s, v, NULL);
		if (rc != NUMSEQ_OK) {
			w->rc = rc;
			return;
		}
	}
	w->maxv = kept;
}

static double open_ms(const char *path, uint64_t kept, uint64_t *records)
{
	numseq_error_t err;
	numseq_t *s = NULL;
	uint64_t t0 = now_ns();
	int rc = numseq_open(&s, path, 0, NULL, NULL, &err);
	uint64_t t1 = now_ns();
	if (rc != NUMSEQ_OK)
		die("numseq_open (recovery)", rc, &err);
	numseq_claim_stats_t st;
	numseq_journal_info_t ji;
	numseq_claim_stats(s, &st);
	numseq_journal_info(s, &ji);
	*records = ji.records;
	check(st.claimed == kept, "claimed %lld, expected %lld", "recovery: claimed count",
	      (long long)st.claimed, (long long)kept);
	check(ji.clean_open && !ji.gap && ji.truncated == 0, "clean %lld, gap %lld",
	      "recovery: clean open", ji.clean_open, ji.gap);
	/* Destroy without close's record would also do; close keeps it clean. */
	close_journal(&s);
	return (double)(t1 - t0) / 1e6;
}

static void evict(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/* ------------------------------------------------------------- main */

static unsigned parse_list(const char *s, uint64_t *out, unsigned max)
{
	unsigned n = 0;
	while (*s != '\0' && n < max) {
		char *end;
		out[n++] = strtoull(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s != '\0')
			break;
	}
	return n;
}

static const char *pf(bool ok)
{
	return ok ? "PASS" : "MISS";
}

int main(int argc, char **argv)
{
	const char *dir = "build/h-dbench/dbench.d";
	const char *md = NULL;
	const char *sections = "fsync,nextval,claims,recovery";
	unsigned ms = 1000, runs = 2;
	uint64_t windows[8] = {16, 256, 4096, 65536}, claim_t[8] = {1, 2, 8, 64};
	uint64_t recs[4] = {1000000, 10000000};
	unsigned nw = 4, nct = 4, nrec = 2;
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			printf("usage: numseq_durable_bench [--dir D] [--ms N] [--runs N] [--md FILE]\n"
			       "  [--sections fsync,nextval,claims,recovery] [--windows 16,256,...]\n"
			       "  [--claim-threads 1,2,8,64] [--records 1000000,10000000]\n");
			return 0;
		}
		if (v == NULL) {
			fprintf(stderr, "durable_bench: %s needs a value\n", a);
			return 1;
		}
		if (strcmp(a, "--dir") == 0)
			dir = v;
		else if (strcmp(a, "--md") == 0)
			md = v;
		else if (strcmp(a, "--sections") == 0)
			sections = v;
		else if (strcmp(a, "--ms") == 0)
			ms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--runs") == 0)
			runs = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--windows") == 0)
			nw = parse_list(v, windows, 8);
		else if (strcmp(a, "--claim-threads") == 0)
			nct = parse_list(v, claim_t, 8);
		else if (strcmp(a, "--records") == 0)
			nrec = parse_list(v, recs, 4);
		else {
			fprintf(stderr, "durable_bench: unknown option %s\n", a);
			return 1;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || ms < 10) {
		fprintf(stderr, "durable_bench: --runs 1..%d, --ms >= 10\n", MAX_RUNS);
		return 1;
	}
	for (unsigned i = 0; i < nct; i++)
		if (claim_t[i] < 1 || claim_t[i] > MAX_THREADS) {
			fprintf(stderr, "durable_bench: threads 1..%d\n", MAX_THREADS);
			return 1;
		}
	(void)mkdir(dir, 0700);
	count_io_init();
	FILE *out = md != NULL ? fopen(md, "w") : stdout;
	if (out == NULL) {
		perror(md);
		return 1;
	}

	struct statfs sf;
	struct statvfs sv;
	const char *fstype = "unknown";
	if (statfs(dir, &sf) == 0)
		fstype = sf.f_type == 0xEF53       ? "ext2/3/4"
		         : sf.f_type == 0x58465342 ? "xfs"
		         : sf.f_type == 0x01021994 ? "tmpfs"
		         : sf.f_type == 0x9123683E ? "btrfs"
		                                   : "other";
	double free_gb = statvfs(dir, &sv) == 0 ? (double)sv.f_bavail * (double)sv.f_frsize / 1e9
	                                        : 0;
	fprintf(out,
	        "Target directory `%s`: filesystem %s (statfs), %.0f GB free. "
	        "Median of %u runs of %u ms each.\n\n",
	        dir, fstype, free_gb, runs, ms);

	uint64_t raw_t[4] = {1, 2, 8, 64};
	double raw_rate[4] = {0};
	if (strstr(sections, "fsync") != NULL || strstr(sections, "nextval") != NULL ||
	    strstr(sections, "claims") != NULL) {
		fprintf(out,
		        "### Raw fdatasync rate\n\n"
		        "A 64-byte `pwrite` at the end of a file, then `fdatasync`, in a loop; "
		        "T threads, each on its own file.\n\n"
		        "| threads | fdatasync/s (all threads) | per thread | µs each | runs |\n"
		        "|--:|--:|--:|--:|---|\n");
		for (unsigned k = 0; k < 4; k++) {
			double r[MAX_RUNS], us[MAX_RUNS];
			for (unsigned i = 0; i < runs; i++) {
				r[i] = raw_run(dir, (unsigned)raw_t[k], ms, &us[i]);
				fprintf(stderr, "raw T=%" PRIu64 ": %.0f/s %.1f us\n", raw_t[k],
				        r[i], us[i]);
			}
			raw_rate[k] = median(r, runs);
			fprintf(out, "| %" PRIu64 " | %.0f | %.0f | %.0f | %.0f", raw_t[k],
			        raw_rate[k], raw_rate[k] / (double)raw_t[k], median(us, runs),
			        r[0]);
			for (unsigned i = 1; i < runs; i++)
				fprintf(out, ", %.0f", r[i]);
			fprintf(out, " |\n");
		}

		fprintf(out, "\n");
	}

	if (strstr(sections, "nextval") != NULL) {
		fprintf(out,
		        "### Durable nextval\n\n"
		        "`numseq_open` with window W, CACHE 1, T threads calling `numseq_nextval`, "
		        "against `numseq_create` (in memory) in the same run. Ceiling = min(in-memory, "
		        "W × raw 1-thread fdatasync rate). The disk is shared with other work, so "
		        "each durable run is paired with a raw 1-thread fdatasync run of half its "
		        "length just before it, and its ratio is taken against that; the ratio "
		        "column is the median of the per-run ratios. Target: durable ≥ 0.8 × "
		        "ceiling. fdatasync per 10^6 numbers counted through the journal's I/O "
		        "table. Checks: the numbers of each run are exactly 1..N; after close and "
		        "reopen nextval returns N+1, clean, no gap.\n\n"
		        "| T | W | durable Mnum/s (runs) | in-memory Mnum/s | raw fdatasync/s "
		        "(adjacent) | W × raw (M/s) | ceiling (M/s) | ratio (runs) | fdatasync "
		        "per 10^6 | numbers per fdatasync | target |\n"
		        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
		for (unsigned T = 1; T <= 2; T++) {
			double mr[MAX_RUNS];
			double dr[8][MAX_RUNS], fs[8][MAX_RUNS], rw[8][MAX_RUNS], ra[8][MAX_RUNS];
			/* Interleaved rounds: in-memory and every W once per round; each
			 * durable run right after its own raw fdatasync run (the disk is
			 * shared: its rate drifts). */
			for (unsigned i = 0; i < runs; i++) {
				mr[i] = mem_nextval(T, ms);
				fprintf(stderr, "mem T=%u: %.2f M/s\n", T, mr[i] / 1e6);
				for (unsigned k = 0; k < nw; k++) {
					double us;
					rw[k][i] = raw_run(dir, 1, ms / 2, &us);
					dr[k][i] = durable_nextval(dir, windows[k], T, ms,
					                           &fs[k][i]);
					double wc = (double)windows[k] * rw[k][i];
					ra[k][i] = dr[k][i] / (wc < mr[i] ? wc : mr[i]);
					fprintf(stderr,
					        "durable T=%u W=%" PRIu64
					        ": %.3f M/s, %.1f fsync/M, raw %.0f/s, "
					        "ratio %.2f\n",
					        T, windows[k], dr[k][i] / 1e6, fs[k][i], rw[k][i],
					        ra[k][i]);
				}
			}
			double m = median(mr, runs);
			for (unsigned k = 0; k < nw; k++) {
				double d = median(dr[k], runs), r = median(rw[k], runs);
				double wc = (double)windows[k] * r;
				double ceil = wc < m ? wc : m;
				double ratio = median(ra[k], runs);
				fprintf(out, "| %u | %" PRIu64 " | **%.3f** (%.3f", T, windows[k],
				        d / 1e6, dr[k][0] / 1e6);
				for (unsigned i = 1; i < runs; i++)
					fprintf(out, ", %.3f", dr[k][i] / 1e6);
				fprintf(out, ") | %.2f | %.0f | %.3f | %.3f | **%.2f** (%.2f",
				        m / 1e6, r, wc / 1e6, ceil / 1e6, ratio, ra[k][0]);
				for (unsigned i = 1; i < runs; i++)
					fprintf(out, ", %.2f", ra[k][i]);
				fprintf(out, ") | %.0f | %.0f | %s |\n", median(fs[k], runs),
				        1e6 / median(fs[k], runs), pf(ratio >= 0.8));
			}
		}
		fprintf(out, "\n");
	}

	if (strstr(sections, "claims") != NULL) {
		fprintf(out,
		        "### Durable claims (group commit)\n\n"
		        "LOWEST_FREE over 1..10^6, journaled (default window): each thread calls "
		        "`numseq_nextval` (claims the lowest free number, durable) then "
		        "`numseq_release` (durable); both return only once their record is synced. "
		        "A *durable call* is either one; each waits for an fdatasync, so one thread "
		        "cannot exceed the raw rate in calls, and T threads cannot exceed T × raw "
		        "(raw: a 1-thread fdatasync run of half the length just before each run; "
		        "ratio: median of the per-run ratios). Target (T = 8, 64): durable calls/s "
		        "≥ 0.6 × T × raw. "
		        "Checks: no number handed to two threads at once (owner table), final "
		        "claimed count 0 and issued = released = cycles, 0 claimed after reopen.\n\n"
		        "| T | claims/s (nextval+release cycles) | durable calls/s (runs) | raw "
		        "fdatasync/s (adjacent) | ceiling T × raw | ratio (runs) | fdatasync per "
		        "call | highest number | target |\n"
		        "|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
		for (unsigned k = 0; k < nct; k++) {
			unsigned T = (unsigned)claim_t[k];
			double r[MAX_RUNS], fs[MAX_RUNS], rw[MAX_RUNS], ra[MAX_RUNS];
			uint64_t mx = 0;
			for (unsigned i = 0; i < runs; i++) {
				uint64_t m1;
				double us;
				rw[i] = raw_run(dir, 1, ms / 2, &us);
				r[i] = durable_claims(dir, T, ms, &fs[i], &m1);
				ra[i] = 2 * r[i] / ((double)T * rw[i]);
				mx = m1 > mx ? m1 : mx;
				fprintf(stderr,
				        "claims T=%u: %.0f cycles/s, %.3f fsync/call, max %" PRIu64
				        ", raw %.0f/s, ratio %.2f\n",
				        T, r[i], fs[i], m1, rw[i], ra[i]);
			}
			double c = median(r, runs), rr = median(rw, runs);
			double ratio = median(ra, runs);
			bool targeted = T == 8 || T == 64;
			fprintf(out, "| %u | %.0f | **%.0f** (%.0f", T, c, 2 * c, 2 * r[0]);
			for (unsigned i = 1; i < runs; i++)
				fprintf(out, ", %.0f", 2 * r[i]);
			fprintf(out, ") | %.0f | %.0f | **%.2f** (%.2f", rr, (double)T * rr, ratio,
			        ra[0]);
			for (unsigned i = 1; i < runs; i++)
				fprintf(out, ", %.2f", ra[i]);
			fprintf(out, ") | %.3f | %" PRIu64 " | %s |\n", median(fs, runs), mx,
			        targeted ? pf(ratio >= 0.6) : "(info)");
		}
		fprintf(out, "\n");
	}

	if (strstr(sections, "recovery") != NULL) {
		fprintf(out,
		        "### Recovery\n\n"
		        "Journal of N records (CLAIM/RELEASE pairs from LOWEST_FREE nextval + release, "
		        "every 8th number kept claimed; built with fdatasync off, then synced), closed "
		        "cleanly; the time of `numseq_open` (read, verify every CRC32C, replay the "
		        "claims into the bitmap). *Warm*: the file in the page cache. *Cold*: the file "
		        "evicted by `posix_fadvise(POSIX_FADV_DONTNEED)` after `fdatasync` (only this "
		        "file: a global drop_caches would disturb the other work on this shared "
		        "machine); the virtual disk may still hit the host's cache. Target: 10^7 records < 1 s. Checks: the "
		        "claimed count after each open equals the kept count; clean open, nothing "
		        "truncated, no gap.\n\n"
		        "| records | file MB | claimed | warm open ms (runs) | cold open ms (runs) | "
		        "target |\n|--:|--:|--:|--:|--:|---|\n");
		for (unsigned k = 0; k < nrec; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/recovery.nsj", dir);
			unlink(path);
			double need = (double)recs[k] * 64;
			if (statvfs(dir, &sv) == 0 &&
			    (double)sv.f_bavail * (double)sv.f_frsize < 4 * need) {
				fprintf(out, "| %" PRIu64 " | - | - | not enough free disk | | |\n",
				        recs[k]);
				continue;
			}
			build_ctx_t bc = {.target = recs[k]};
			worker_t ws[MAX_THREADS];
			uint64_t n;
			bc.s = open_journal(path, 0, true, true, &count_io);
			/* CLAIM_RANGE numbers, 1/8 kept per cycle: use a bitmap big enough. */
			atomic_store_explicit(&skip_sync, true, memory_order_relaxed);
			uint64_t t0 = now_ns();
			(void)run_threads(ws, 2, &bc, build_work, 1, &n);
			atomic_store_explicit(&skip_sync, false, memory_order_relaxed);
			uint64_t kept = ws[0].maxv + ws[1].maxv;
			close_journal(&bc.s);
			fprintf(stderr, "built %" PRIu64 " records in %.1f s, %" PRIu64 " kept\n",
			        recs[k], (double)(now_ns() - t0) / 1e9, kept);
			struct stat st;
			stat(path, &st);
			double warm[MAX_RUNS], cold[MAX_RUNS];
			uint64_t records = 0;
			evict(path);
			for (unsigned i = 0; i < runs; i++) {
				evict(path);
				cold[i] = open_ms(path, kept, &records);
				warm[i] = open_ms(path, kept, &records);
				fprintf(stderr,
				        "recovery %" PRIu64 ": cold %.1f ms, warm %.1f ms\n",
				        recs[k], cold[i], warm[i]);
			}
			double w = median(warm, runs), c = median(cold, runs);
			fprintf(out, "| %" PRIu64 " | %.0f | %" PRIu64 " | **%.0f** (%.0f", records,
			        (double)st.st_size / 1e6, kept, w, warm[0]);
			for (unsigned i = 1; i < runs; i++)
				fprintf(out, ", %.0f", warm[i]);
			fprintf(out, ") | **%.0f** (%.0f", c, cold[0]);
			for (unsigned i = 1; i < runs; i++)
				fprintf(out, ", %.0f", cold[i]);
			fprintf(out, ") | %s |\n",
			        recs[k] >= 10000000 ? pf(w < 1000 && c < 1000) : "(info)");
			unlink(path);
		}
		fprintf(out, "\n");
	}
	if (g_failed)
		fprintf(out, "**A correctness check failed in this run** (see stderr).\n");
	if (out != stdout)
		fclose(out);
	return g_failed ? 2 : 0;
}
