/*
 * compare_rows_pg.c - PostgreSQL 15 nextval() through libpq, as a client
 * would call it: one connection per thread on the server's unix socket, a
 * prepared `SELECT nextval('seq')`, text results, autocommit.  CACHE 1 (the
 * default) and CACHE 1000.  Also the server-internal cost (nextval in a
 * loop inside one DO block) and the seed's "count, then add one" pattern.
 *
 * Connections are opened on first use and kept for the whole program (a
 * pool indexed by thread id), so a run times nextval, not the connection
 * start.  Each run gets a fresh sequence and a fresh prepared statement
 * (cmp_seq_<n>, cmp_nv_<n>): a backend keeps its CACHE block of a sequence
 * across ALTER ... RESTART, so reusing one sequence would mix runs.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "compare.h"

enum { POOL = 16 };

static PGconn *pool[POOL];
static unsigned long run_id;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[256];

/* The elapsed time the DO block reports through RAISE NOTICE. */
static double notice_us = -1;

static void set_error(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&err_lock);
	if (!last_error[0]) {
		va_start(ap, fmt);
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		va_end(ap);
		/* libpq messages end in a newline */
		last_error[strcspn(last_error, "\n")] = 0;
	}
	pthread_mutex_unlock(&err_lock);
}

const char *cmp_pg_error(void)
{
	return last_error;
}

static void notice(void *arg, const char *msg)
{
	(void)arg;
	const char *p = strstr(msg, "cmp_elapsed_us ");
	if (p)
		notice_us = strtod(p + strlen("cmp_elapsed_us "), NULL);
}

/* Every backend calls setsid(), so with autogroups it is ranked against
 * other sessions by its own autogroup's nice, not by the nice it inherited:
 * give it the run's (bench/compare passes it; needs root). */
static void backend_priority(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT pg_backend_pid()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s/autogroup", PQgetvalue(r, 0, 0));
		FILE *f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", cmp_env.autogroup_nice) < 0)
			fprintf(stderr, "numseq_compare: cannot set %s\n", path);
		if (f)
			fclose(f);
	}
	PQclear(r);
}

static PGconn *conn(unsigned i)
{
	if (i >= POOL || !cmp_env.pg_conninfo)
		return NULL;
	if (pool[i] && PQstatus(pool[i]) == CONNECTION_OK)
		return pool[i];
	if (pool[i])
		PQfinish(pool[i]);
	pool[i] = PQconnectdb(cmp_env.pg_conninfo);
	if (PQstatus(pool[i]) != CONNECTION_OK) {
		set_error("connect: %s", PQerrorMessage(pool[i]));
		PQfinish(pool[i]);
		pool[i] = NULL;
		return NULL;
	}
	PQsetNoticeProcessor(pool[i], notice, NULL);
	if (cmp_env.autogroup_nice)
		backend_priority(pool[i]);
	return pool[i];
}

void cmp_pg_close(void)
{
	for (unsigned i = 0; i < POOL; i++) {
		if (pool[i])
			PQfinish(pool[i]);
		pool[i] = NULL;
	}
}

/* Runs a command that returns no rows; 0 or -1. */
static int exec(PGconn *c, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc)
		set_error("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return rc;
}

/* Runs a query whose first row holds up to n int64 columns. */
static int query_i64(PGconn *c, int64_t *out, int n, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	PGresult *r = PQexec(c, sql);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) >= n) {
		for (int k = 0; k < n; k++) {
			const char *v = PQgetvalue(r, 0, k);
			/* booleans come back as t / f */
			out[k] = v[0] == 't' ? 1 : v[0] == 'f' ? 0 : strtoll(v, NULL, 10);
		}
		rc = 0;
	} else {
		set_error("%s: %s", sql, PQerrorMessage(c));
	}
	PQclear(r);
	return rc;
}

/* --------------------------------------------------------------- nextval */

typedef struct pg_state {
	int64_t cache;
	unsigned long id;
	unsigned n; /* connections in use */
	char stmt[32];
} pg_state_t;

static void *pg_setup(unsigned nthreads, int64_t cache)
{
	pg_state_t *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (nthreads > POOL) {
		set_error("at most %d connections", POOL);
		goto fail;
	}
	for (unsigned i = 0; i < nthreads; i++)
		if (!conn(i))
			goto fail;
	s->cache = cache;
	s->id = ++run_id;
	s->n = nthreads;
	snprintf(s->stmt, sizeof(s->stmt), "cmp_nv_%lu", s->id);
	if (exec(pool[0], "DROP SEQUENCE IF EXISTS cmp_seq_%lu", s->id) ||
	    exec(pool[0], "CREATE SEQUENCE cmp_seq_%lu CACHE %" PRId64, s->id, cache))
		goto fail;
	for (unsigned i = 0; i < nthreads; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT nextval('cmp_seq_%lu')", s->id);
		PGresult *r = PQprepare(pool[i], s->stmt, sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok) {
			set_error("prepare: %s", PQerrorMessage(pool[i]));
			goto fail;
		}
	}
	return s;
fail:
	free(s);
	return NULL;
}

static void *pg_setup_c1(unsigned nthreads)
{
	return pg_setup(nthreads, 1);
}

static void *pg_setup_c1000(unsigned nthreads)
{
	return pg_setup(nthreads, 1000);
}

static void pg_teardown(void *st)
{
	pg_state_t *s = st;
	for (unsigned i = 0; i < s->n; i++)
		if (pool[i])
			exec(pool[i], "DEALLOCATE %s", s->stmt);
	if (pool[0])
		exec(pool[0], "DROP SEQUENCE IF EXISTS cmp_seq_%lu", s->id);
	free(s);
}

/* 1 .. last_value were handed out or sit in a backend's CACHE block. */
static int pg_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                       bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)nthreads;
	(void)max;
	pg_state_t *s = st;
	int64_t v[2];
	if (query_i64(pool[0], v, 2, "SELECT last_value, is_called FROM cmp_seq_%lu", s->id))
		return -1;
	out[0].first = 1;
	out[0].last = v[1] ? v[0] : 0;
	return 1;
}

static inline bench_vals_t pg_nextval(void *st, bench_thread_t *t)
{
	pg_state_t *s = st;
	PGconn *c = pool[t->tid];
	PGresult *r = PQexecPrepared(c, s->stmt, 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_error("nextval: %s", PQerrorMessage(c));
		PQclear(r);
		t->errors++;
		t->first_error = t->first_error ? t->first_error : -1;
		return (bench_vals_t){0, 0};
	}
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(pg_nextval)

static const bench_contender_t pg_rows[] = {
	{.name = "pg-nextval-c1",
         .label = "PostgreSQL nextval, CACHE 1",
         .note = "libpq `PQexecPrepared` of `SELECT nextval('s')` over the unix socket, one "
                 "connection per thread, autocommit, text result",
         .max_per_op = 1,
         .setup = pg_setup_c1,
         .teardown = pg_teardown,
         .reserved = pg_reserved,
         BENCH_LOOPS(pg_nextval)},
	{.name = "pg-nextval-c1000",
         .label = "PostgreSQL nextval, CACHE 1000",
         .note = "the same on a sequence with CACHE 1000: each backend takes 1000 values at a "
                 "time",
         .max_per_op = 1,
         .gap_block = 1000,
         .setup = pg_setup_c1000,
         .teardown = pg_teardown,
         .reserved = pg_reserved,
         BENCH_LOOPS(pg_nextval)},
	{.name = NULL},
};

const bench_group_t cmp_group_pg = {"PostgreSQL", pg_rows};

/* -------------------------------------------------------- server-internal */

int cmp_pg_internal(int64_t cache, uint64_t n, cmp_pg_body_t body, double *ns, char *err,
                    size_t errlen)
{
	PGconn *c = conn(0);
	unsigned long id = ++run_id;
	int64_t v[2];
	int rc = -1;

	last_error[0] = 0;
	if (!c || exec(c, "CREATE SEQUENCE cmp_seq_%lu CACHE %" PRId64, id, cache))
		goto out;
	notice_us = -1;
	/* clock_timestamp() is the time at the call (now() would be the
	 * transaction's start).  PL/pgSQL prepares each PERFORM once and reuses
	 * its plan, as a server-side function would. */
	char stmt[256];
	switch (body) {
	case CMP_PG_LOOP:
		snprintf(stmt, sizeof(stmt),
		         "FOR i IN 1..%" PRIu64 " LOOP PERFORM nextval('cmp_seq_%lu'); "
		         "END LOOP;",
		         n, id);
		break;
	case CMP_PG_LOOP_EMPTY:
		snprintf(stmt, sizeof(stmt), "FOR i IN 1..%" PRIu64 " LOOP PERFORM 1; END LOOP;",
		         n);
		break;
	case CMP_PG_SET:
		snprintf(stmt, sizeof(stmt),
		         "PERFORM count(nextval('cmp_seq_%lu')) FROM "
		         "generate_series(1, %" PRIu64 ");",
		         id, n);
		break;
	default:
		snprintf(stmt, sizeof(stmt),
		         "PERFORM count(i) FROM generate_series(1, %" PRIu64 ") i;", n);
		break;
	}
	bool empty = body == CMP_PG_LOOP_EMPTY || body == CMP_PG_SET_EMPTY;
	if (exec(c,
	         "DO $cmp$ DECLARE t0 timestamptz; BEGIN t0 := clock_timestamp(); %s "
	         "RAISE NOTICE 'cmp_elapsed_us %%', "
	         "extract(epoch FROM clock_timestamp() - t0) * 1000000; END $cmp$",
	         stmt))
		goto drop;
	if (notice_us < 0) {
		set_error("the DO block reported no time");
		goto drop;
	}
	*ns = notice_us * 1000.0 / (double)n;
	/* The loop's values are not returned; the sequence must have moved by
	 * exactly n (rounded up to whole CACHE blocks), no more, no less. */
	if (query_i64(c, v, 2, "SELECT last_value, is_called FROM cmp_seq_%lu", id))
		goto drop;
	int64_t want = empty ? 0
	                     : (int64_t)((n + (uint64_t)cache - 1) / (uint64_t)cache *
	                                 (uint64_t)cache);
	int64_t got = v[1] ? v[0] : 0;
	if (got != want) {
		set_error("sequence at %" PRId64 " after the loop, expected %" PRId64, got, want);
		goto drop;
	}
	rc = 0;
drop:
	exec(c, "DROP SEQUENCE IF EXISTS cmp_seq_%lu", id);
out:
	if (rc && err)
		snprintf(err, errlen, "%s", last_error[0] ? last_error : "no connection");
	return rc;
}

int cmp_pg_internal_distinct(int64_t cache, uint64_t n, uint64_t *total, uint64_t *distinct,
                             char *err, size_t errlen)
{
	PGconn *c = conn(0);
	unsigned long id = ++run_id;
	int64_t v[2];
	int rc = -1;

	last_error[0] = 0;
	if (!c || exec(c, "CREATE SEQUENCE cmp_seq_%lu CACHE %" PRId64, id, cache))
		goto out;
	if (query_i64(c, v, 2,
	              "SELECT count(*), count(DISTINCT v) FROM (SELECT nextval('cmp_seq_%lu') "
	              "AS v FROM generate_series(1, %" PRIu64 ")) s",
	              id, n) == 0) {
		*total = (uint64_t)v[0];
		*distinct = (uint64_t)v[1];
		rc = 0;
	}
	exec(c, "DROP SEQUENCE IF EXISTS cmp_seq_%lu", id);
out:
	if (rc && err)
		snprintf(err, errlen, "%s", last_error[0] ? last_error : "no connection");
	return rc;
}

/* ------------------------------------------------- the seed's pattern */

/* What the seed's JavaScript does, statement for statement:
 *   const count = await db.count('founding_members');
 *   const nextNumber = count + 1;
 *   await db.insert({ founding_member_number: nextNumber });
 * each statement in its own transaction (autocommit), one connection per
 * thread.  No unique index: the seed's point is what the pattern hands
 * out, which the index would only turn into errors. */
typedef struct seed_pg {
	unsigned long id;
} seed_pg_t;

static int seed_pg_op(void *ctx, unsigned tid, int64_t *out)
{
	(void)ctx;
	PGconn *c = pool[tid];
	PGresult *r = PQexecPrepared(c, "cmp_count", 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_error("count: %s", PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10) + 1;
	PQclear(r);
	char buf[32];
	const char *params[1] = {buf};
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	r = PQexecPrepared(c, "cmp_insert", 1, params, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		set_error("insert: %s", PQerrorMessage(c));
		return -1;
	}
	*out = v;
	return 0;
}

void cmp_seed_pg(unsigned nthreads, unsigned ms, uint64_t max_per_thread, cmp_seed_result_t *r)
{
	unsigned long id = ++run_id;
	int64_t v[2];

	memset(r, 0, sizeof(*r));
	last_error[0] = 0;
	if (nthreads > POOL)
		nthreads = POOL;
	for (unsigned i = 0; i < nthreads; i++)
		if (!conn(i))
			goto fail;
	if (exec(pool[0], "CREATE TABLE cmp_members_%lu (number bigint)", id))
		goto fail;
	for (unsigned i = 0; i < nthreads; i++) {
		char q[2][128];
		snprintf(q[0], sizeof(q[0]), "SELECT count(*) FROM cmp_members_%lu", id);
		snprintf(q[1], sizeof(q[1]), "INSERT INTO cmp_members_%lu VALUES ($1)", id);
		PGresult *a = PQprepare(pool[i], "cmp_count", q[0], 0, NULL);
		PGresult *b = PQprepare(pool[i], "cmp_insert", q[1], 1, NULL);
		bool ok = PQresultStatus(a) == PGRES_COMMAND_OK &&
		          PQresultStatus(b) == PGRES_COMMAND_OK;
		PQclear(a);
		PQclear(b);
		if (!ok) {
			set_error("prepare: %s", PQerrorMessage(pool[i]));
			goto drop;
		}
	}
	cmp_seed_run(nthreads, ms, max_per_thread, false, seed_pg_op, NULL, r);
	if (r->ok && query_i64(pool[0], v, 2,
	                       "SELECT count(*), count(DISTINCT number) FROM "
	                       "cmp_members_%lu",
	                       id) == 0) {
		if ((uint64_t)v[0] != r->total) {
			r->ok = false;
			snprintf(r->msg, sizeof(r->msg),
			         "%" PRId64 " rows in the table, %" PRIu64 " numbers handed out",
			         v[0], r->total);
		}
		r->server_distinct = (uint64_t)v[1];
	} else if (r->ok) {
		r->ok = false;
		snprintf(r->msg, sizeof(r->msg), "%s", last_error);
	}
drop:
	for (unsigned i = 0; i < nthreads; i++) {
		exec(pool[i], "DEALLOCATE cmp_count");
		exec(pool[i], "DEALLOCATE cmp_insert");
	}
	exec(pool[0], "DROP TABLE IF EXISTS cmp_members_%lu", id);
	if (r->ok)
		return;
fail:
	if (!r->msg[0])
		snprintf(r->msg, sizeof(r->msg), "%s",
		         last_error[0] ? last_error : "no connection");
}
