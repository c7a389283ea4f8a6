/*
 * compare.h - numseq_compare: numseq against what people use instead
 * (PostgreSQL, Redis, SQLite, a mutex, ck ...), in one run, as ratios.
 * bench/compare is the command that builds it, starts the servers and
 * calls it; docs/compare.md is its report.
 *
 * Everything that hands out numbers is a bench_contender_t of the existing
 * harness (harness.h), so every throughput row gets the same runner, the
 * same timing and the same duplicate checks as numseq_bench.  What this
 * program adds:
 *   - parts (compare_main.c): a group of rows run by one bench_main call,
 *     with the thread counts, run length, verify size and pinning that suit
 *     them (an in-process row runs 200 ms, a server row 1 s and unpinned);
 *     a part can sweep a parameter (the x axis of a scale plot);
 *   - rows for the servers and libraries (compare_rows_*.c);
 *   - a latency runner (compare_latency.c) that times single calls of a
 *     contender, and the seed's broken pattern (compare_rows_seed.c);
 *   - the report: CSV, markdown, gnuplot data (compare_report.c).
 *
 * Adding a row later (the claimed-number bitmap, the journal) is a
 * contender table entry in a compare_rows_*.c file, its group in a part of
 * compare_main.c, and, if the issue sets a target for it, one line in the
 * targets table there.  A scale row (cost against the range size) is a
 * part with .sweep values and a contender whose setup reads
 * cmp_sweep_value().
 */
#ifndef NUMSEQ_BENCH_COMPARE_H
#define NUMSEQ_BENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* ------------------------------------------------------------ servers */

/* Where the servers are; NULL when not started (their parts are skipped
 * and the report says so).  Set once by main before any part runs. */
typedef struct cmp_env {
	const char *pg_conninfo;    /* libpq conninfo: unix socket dir, port */
	const char *redis_sock;     /* Redis, no persistence */
	const char *redis_aof_sock; /* Redis, appendonly yes + appendfsync always */
	const char *sqlite_dir;     /* a directory on the disk being measured */
	/* With the kernel's autogroups: the autogroup nice every PostgreSQL
	 * backend this program uses is given (each backend is a session of its
	 * own), so that the servers run at the client's priority; 0 = leave. */
	int autogroup_nice;
} cmp_env_t;

extern cmp_env_t cmp_env;

/* The value of the current sweep step (0 outside a sweep). */
uint64_t cmp_sweep_value(void);

/* -------------------------------------------------------------- groups */

extern const bench_group_t bench_group_numseq;    /* contenders_numseq.c */
extern const bench_group_t bench_group_baselines; /* baselines.c */
extern const bench_group_t cmp_group_ck;          /* compare_rows_ck.c */
extern const bench_group_t cmp_group_sweep;       /* compare_rows_numseq.c */
extern const bench_group_t cmp_group_pg;          /* compare_rows_pg.c */
extern const bench_group_t cmp_group_redis;       /* compare_rows_redis.c */
extern const bench_group_t cmp_group_redis_aof;   /* compare_rows_redis.c */
extern const bench_group_t cmp_group_sqlite;      /* compare_rows_sqlite.c */

/* Before each step of the CACHE sweep: the step's CACHE. */
void cmp_sweep_cache(uint64_t cache);

/* Closes the connections the server rows keep open between runs. */
void cmp_pg_close(void);
void cmp_redis_close(void);

/* A message for the last setup failure of a server row ("" if none). */
const char *cmp_pg_error(void);
const char *cmp_redis_error(void);
const char *cmp_sqlite_error(void);

/* ------------------------------------------- PostgreSQL server-internal */

/* What the DO block runs, n times or over n rows. */
typedef enum cmp_pg_body {
	CMP_PG_LOOP,       /* FOR i IN 1..n LOOP PERFORM nextval('s'); END LOOP */
	CMP_PG_LOOP_EMPTY, /* the same loop with PERFORM 1: the loop's own cost */
	CMP_PG_SET,        /* PERFORM count(nextval('s')) FROM generate_series(1, n) */
	CMP_PG_SET_EMPTY   /* PERFORM count(i) FROM generate_series(1, n) i */
} cmp_pg_body_t;

/* nextval() called n times inside one DO block, on a fresh sequence with
 * the given CACHE, timed inside the server with clock_timestamp(); ns per
 * nextval (per iteration or row for the empty bodies) in *ns.  Then checks
 * that the sequence advanced by exactly n (last_value, rounded up to the
 * cache block).  Returns 0, or -1 with a message in err. */
int cmp_pg_internal(int64_t cache, uint64_t n, cmp_pg_body_t body, double *ns, char *err,
                    size_t errlen);

/* The exact check for the server-side path: n nextval() in one statement
 * (generate_series), count(*) and count(DISTINCT) computed by the server.
 * Returns 0 with *total and *distinct, or -1. */
int cmp_pg_internal_distinct(int64_t cache, uint64_t n, uint64_t *total, uint64_t *distinct,
                             char *err, size_t errlen);

/* ------------------------------------------------- the seed's pattern */

/* "Read the count, add one": a number is (rows so far) + 1, then a row is
 * added.  nthreads threads do it at once for ms milliseconds (or until
 * max_per_thread numbers each); every number handed out is kept, sorted,
 * and the repeats counted. */
typedef struct cmp_seed_result {
	uint64_t total;           /* numbers handed out */
	uint64_t distinct;        /* distinct among them */
	uint64_t server_distinct; /* PostgreSQL: count(DISTINCT) in the table */
	double seconds;
	bool ok; /* ran; says nothing about duplicates */
	char msg[256];
} cmp_seed_result_t;

/* The runner behind both: nthreads threads call op(ctx, tid, &v) until ms
 * pass or each has max_per_thread numbers; op returns 0 or -1 (an error,
 * which ends the run with r->ok false).  Fills total, distinct, seconds. */
void cmp_seed_run(unsigned nthreads, unsigned ms, uint64_t max_per_thread, bool pin,
                  int (*op)(void *ctx, unsigned tid, int64_t *v), void *ctx, cmp_seed_result_t *r);

/* In process: an atomic row counter; load it, add one, fetch_add it. */
void cmp_seed_inproc(unsigned nthreads, unsigned ms, uint64_t max_per_thread, bool pin,
                     cmp_seed_result_t *r);
/* Literally the seed's code against PostgreSQL: SELECT count(*) FROM
 * members, then INSERT the count + 1, one connection per thread. */
void cmp_seed_pg(unsigned nthreads, unsigned ms, uint64_t max_per_thread, cmp_seed_result_t *r);

/* ------------------------------------------------------------- latency */

typedef struct cmp_lat_result {
	uint64_t samples;                /* timed calls over all threads */
	uint64_t numbers;                /* numbers they handed out */
	double p50, p90, p99, p999, max; /* ns per call */
	double mean;
	bool checked; /* duplicates and range checked */
	bool ok;      /* ran and the check passed */
	char msg[256];
} cmp_lat_result_t;

/* Times single calls of c: each of nthreads threads calls c->record(st, t,
 * buf, 1) (one op) between two clock_gettime(CLOCK_MONOTONIC) reads, up to
 * max_samples calls or ms milliseconds each.  Then sorts every number
 * handed out and checks that none repeats and all lie in c->reserved().
 * With c NULL: times an empty pair of clock_gettime reads (the timer's own
 * cost). */
void cmp_latency(const bench_contender_t *c, unsigned nthreads, uint64_t max_samples, unsigned ms,
                 bool pin, cmp_lat_result_t *r);

/* -------------------------------------------------------------- results */

enum { CMP_MAX_RUNS = 64 };

/* A part: rows run together by one bench_main call (or one per sweep
 * step), with the settings that suit them.  Index [0] full, [1] --quick,
 * [2] --tiny. */
typedef struct cmp_part {
	const char *id; /* "inproc", "pg" ... (--only) */
	const char *title;
	const char *server;   /* NULL: in process; else "pg", "redis", ... */
	const char *rows[12]; /* contender names, in table order */
	unsigned threads[8];  /* ends with 0 */
	unsigned runs[3];
	unsigned ms[3];
	uint64_t verify[3]; /* numbers per thread in the exact pass */
	bool pin;
	unsigned retry_busy; /* 0 for rows that wait on I/O */
	const char *why;     /* one line for the report: why these settings */
	/* A sweep: the part runs once per value, with cmp_sweep_value() set and
	 * sweep_apply(value) called first. */
	const char *sweep_name;
	uint64_t sweep[12]; /* ends with 0 */
	void (*sweep_apply)(uint64_t v);
} cmp_part_t;

/* One row at one thread count (and sweep value). */
typedef struct cmp_row {
	const cmp_part_t *part;
	const bench_contender_t *c;
	unsigned threads;
	uint64_t param; /* sweep value, 0 if none */
	unsigned n;
	double ns[CMP_MAX_RUNS];  /* per run: ns per number, per thread */
	double ops[CMP_MAX_RUNS]; /* per run: numbers per second, all threads */
	double ns_med, ns_min, ns_max;
	double ops_med, ops_min, ops_max;
	bool ran;
	bool failed;       /* a check failed */
	bool setup_failed; /* it could not run (a server refused ...) */
	uint64_t verified; /* numbers in the exact pass (all threads), 0 if none */
	char msg[256];
} cmp_row_t;

typedef struct cmp_lat {
	const char *name; /* contender, or "timer" */
	char label[128];
	unsigned threads;
	cmp_lat_result_t r;
	bool ran;
} cmp_lat_t;

typedef struct cmp_internal {
	int64_t cache;
	cmp_pg_body_t body;
	bool empty; /* a body without nextval: its own cost */
	unsigned n;
	double ns[CMP_MAX_RUNS];
	double med, min, max;
	uint64_t iterations;
	uint64_t total, distinct; /* the generate_series check */
	bool ran, ok;
	char msg[256];
} cmp_internal_t;

typedef struct cmp_seed {
	const char *name;
	const char *label;
	unsigned threads;
	cmp_seed_result_t r;
	bool ran;
} cmp_seed_t;

typedef struct cmp_results {
	int mode; /* 0 full, 1 quick, 2 tiny */
	cmp_row_t *rows;
	size_t nrows;
	cmp_lat_t lat[24];
	size_t nlat;
	cmp_internal_t internal[8];
	size_t ninternal;
	cmp_seed_t seed[4];
	size_t nseed;
	const cmp_part_t *parts;
	size_t nparts;
	bool part_ran[16];
	char part_msg[16][256];   /* why a part did not run */
	double part_others[16];   /* CPU share other processes took, worst run, -1 unknown */
	unsigned part_redone[16]; /* in-process runs redone for a busy machine */
	/* disk probe before the parts [0] and after them [1]; < 0 if not run */
	double fsync_p50_us[2], fsync_p99_us[2];
	unsigned fsync_n[2];
	double seconds;
} cmp_results_t;

/* compare_report.c */
int cmp_write_csv(const cmp_results_t *res, const char *path);
int cmp_write_markdown(const cmp_results_t *res, const char *path);
int cmp_write_plot_data(const cmp_results_t *res, const char *dir);
/* Prints the targets to stdout; returns the number of MISSes. */
int cmp_print_summary(const cmp_results_t *res);

#endif
