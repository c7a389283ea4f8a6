/*
 * compare_rows_sqlite.c - SQLite: the number is the rowid of an
 * `INTEGER PRIMARY KEY AUTOINCREMENT` table (`INSERT INTO t DEFAULT
 * VALUES`, then sqlite3_last_insert_rowid), journal_mode=WAL,
 * synchronous=FULL, one connection per thread on one database file on the
 * disk under test.  Per insert: each insert is its own transaction (a
 * commit, so an fsync of the WAL, per number).  Batched: BATCH inserts per
 * BEGIN IMMEDIATE ... COMMIT.
 *
 * The batched row commits after every BATCH-th insert of a thread, and
 * BATCH divides the harness's 512-op batch, so no transaction is open when
 * a run ends (sqlite_reserved() checks).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "compare.h"

enum { MAXCONN = 16 };
#define BATCH 512 /* inserts per transaction; divides the harness batch of 512 */

static unsigned long run_id;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[256];

static void set_error(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&err_lock);
	if (!last_error[0]) {
		va_start(ap, fmt);
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&err_lock);
}

const char *cmp_sqlite_error(void)
{
	return last_error;
}

typedef struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *insert, *begin, *commit;
} sq_conn_t;

typedef struct sq_state {
	char path[512];
	unsigned n;
	sq_conn_t c[MAXCONN];
} sq_state_t;

static int run_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_error("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void sq_teardown(void *st)
{
	sq_state_t *s = st;
	char p[600];
	for (unsigned i = 0; i < MAXCONN; i++) {
		sqlite3_finalize(s->c[i].insert);
		sqlite3_finalize(s->c[i].begin);
		sqlite3_finalize(s->c[i].commit);
		if (s->c[i].db)
			sqlite3_close(s->c[i].db);
	}
	if (s->path[0]) {
		unlink(s->path);
		snprintf(p, sizeof(p), "%s-wal", s->path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", s->path);
		unlink(p);
	}
	free(s);
}

static void *sq_setup(unsigned nthreads)
{
	if (!cmp_env.sqlite_dir)
		return NULL;
	if (nthreads > MAXCONN) {
		set_error("at most %d connections", MAXCONN);
		return NULL;
	}
	sq_state_t *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->path, sizeof(s->path), "%s/cmp-%lu.db", cmp_env.sqlite_dir, ++run_id);
	s->n = nthreads;
	for (unsigned i = 0; i < nthreads; i++) {
		sq_conn_t *c = &s->c[i];
		if (sqlite3_open(s->path, &c->db) != SQLITE_OK) {
			set_error("open %s: %s", s->path, sqlite3_errmsg(c->db));
			goto fail;
		}
		sqlite3_busy_timeout(c->db, 60000);
		if (i == 0 &&
		    (run_sql(c->db, "PRAGMA journal_mode=WAL") ||
		     run_sql(c->db, "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")))
			goto fail;
		if (run_sql(c->db, "PRAGMA synchronous=FULL") ||
		    sqlite3_prepare_v2(c->db, "INSERT INTO t DEFAULT VALUES", -1, &c->insert,
		                       NULL) ||
		    sqlite3_prepare_v2(c->db, "BEGIN IMMEDIATE", -1, &c->begin, NULL) ||
		    sqlite3_prepare_v2(c->db, "COMMIT", -1, &c->commit, NULL)) {
			set_error("prepare: %s", sqlite3_errmsg(c->db));
			goto fail;
		}
	}
	return s;
fail:
	sq_teardown(s);
	return NULL;
}

/* 1 .. sqlite_sequence.seq; and every transaction closed. */
static int sq_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                       bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)max;
	sq_state_t *s = st;
	sqlite3_stmt *q;
	for (unsigned i = 0; i < nthreads; i++)
		if (!sqlite3_get_autocommit(s->c[i].db)) {
			set_error("thread %u ended inside a transaction", i);
			return -1;
		}
	if (sqlite3_prepare_v2(s->c[0].db, "SELECT seq FROM sqlite_sequence WHERE name = 't'", -1,
	                       &q, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(q);
	out[0].first = 1;
	out[0].last = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : -1;
}

static bench_vals_t sq_fail(bench_thread_t *t, sq_conn_t *c, const char *what, int rc)
{
	set_error("%s: %s", what, sqlite3_errmsg(c->db));
	t->errors++;
	t->first_error = t->first_error ? t->first_error : rc;
	return (bench_vals_t){0, 0};
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

static inline bench_vals_t sq_insert(void *st, bench_thread_t *t)
{
	sq_state_t *s = st;
	sq_conn_t *c = &s->c[t->tid];
	int rc = step(c->insert);
	if (rc != SQLITE_DONE)
		return sq_fail(t, c, "insert", rc);
	return (bench_vals_t){sqlite3_last_insert_rowid(c->db), 1};
}
BENCH_OP_LOOPS(sq_insert)

static inline bench_vals_t sq_insert_batched(void *st, bench_thread_t *t)
{
	sq_state_t *s = st;
	sq_conn_t *c = &s->c[t->tid];
	int rc;
	if (t->local[0] % BATCH == 0 && (rc = step(c->begin)) != SQLITE_DONE)
		return sq_fail(t, c, "BEGIN IMMEDIATE", rc);
	if ((rc = step(c->insert)) != SQLITE_DONE)
		return sq_fail(t, c, "insert", rc);
	int64_t v = sqlite3_last_insert_rowid(c->db);
	if (++t->local[0] % BATCH == 0 && (rc = step(c->commit)) != SQLITE_DONE)
		return sq_fail(t, c, "COMMIT", rc);
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(sq_insert_batched)

#define STR_(x) #x
#define STR(x) STR_(x)

static const bench_contender_t sqlite_rows[] = {
	{.name = "sqlite-autoinc",
         .label = "SQLite AUTOINCREMENT insert, synchronous=FULL",
         .note = "`INSERT INTO t DEFAULT VALUES` + `sqlite3_last_insert_rowid`, its own "
                 "transaction (WAL, synchronous=FULL: one fsync per number), one connection per "
                 "thread",
         .max_per_op = 1,
         .setup = sq_setup,
         .teardown = sq_teardown,
         .reserved = sq_reserved,
         BENCH_LOOPS(sq_insert)},
	{.name = "sqlite-autoinc-batch",
         .label = "SQLite AUTOINCREMENT insert, " STR(BATCH) " per transaction",
         .note = "the same insert, " STR(
		 BATCH) " per `BEGIN IMMEDIATE ... COMMIT` (one fsync per " STR(BATCH) " numbers)",
         .max_per_op = 1,
         .setup = sq_setup,
         .teardown = sq_teardown,
         .reserved = sq_reserved,
         BENCH_LOOPS(sq_insert_batched)},
	{.name = NULL},
};

const bench_group_t cmp_group_sqlite = {"SQLite", sqlite_rows};
