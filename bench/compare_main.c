/*
 * compare_main.c - numseq_compare: the parts of the comparison, the
 * command line, and the glue that runs each part through the harness
 * (bench_main) and reads its results back.  bench/compare is the command
 * people run; it starts the servers and passes their addresses here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"

cmp_env_t cmp_env;

static uint64_t sweep_value;

uint64_t cmp_sweep_value(void)
{
	return sweep_value;
}

/* Every group a part may take rows from. */
static const bench_group_t *const all_groups[] = {
	&bench_group_numseq,  &bench_group_baselines, &cmp_group_ck,
	&cmp_group_sweep,     &cmp_group_pg,          &cmp_group_redis,
	&cmp_group_redis_aof, &cmp_group_sqlite,      NULL,
};

/* ------------------------------------------------------------------ parts */

/* Adding a row: its name in .rows of a part (a new part for a new server).
 * Adding a scale row: a part with .sweep values and a contender whose setup
 * reads cmp_sweep_value() (see compare_rows_numseq.c). */
static const cmp_part_t parts[] = {
	{.id = "inproc",
         .title = "In process: numseq and what a C programmer would write",
         .rows = {"nextval", "nextval-c64", "nextval-n64", "faa-inline", "local", "ck-faa", "mutex",
                  "ck-spinlock"},
         .threads = {1, 2, 4, 8},
         .runs = {7, 3, 1},
         .ms = {200, 50, 20},
         .verify = {131072, 8192, 1024},
         .pin = true,
         .retry_busy = 5,
         .why = "threads pinned to CPU i mod 2; 4 and 8 threads oversubscribe the 2 CPUs"},
	{.id = "sweep",
         .title = "numseq nextval against its CACHE size, 2 threads",
         .rows = {"nextval-cache-sweep"},
         .threads = {2},
         .runs = {5, 3, 1},
         .ms = {200, 50, 20},
         .verify = {65536, 8192, 1024},
         .pin = true,
         .retry_busy = 5,
         .why = "the scale-plot machinery; the bitmap and journal scale rows will use it",
         .sweep_name = "CACHE",
         .sweep = {1, 4, 16, 64, 256, 1024, 4096},
         .sweep_apply = cmp_sweep_cache},
	{.id = "pg",
         .title = "PostgreSQL 15 nextval() over a unix socket",
         .server = "pg",
         .rows = {"pg-nextval-c1", "pg-nextval-c1000"},
         .threads = {1, 2, 8},
         .runs = {5, 3, 1},
         .ms = {1000, 200, 50},
         .verify = {5120, 512, 512},
         .pin = false,
         .retry_busy = 0,
         .why = "T = connections, one client thread each; client threads not pinned (the "
                "server's backends need the same 2 CPUs)"},
	{.id = "redis",
         .title = "Redis INCR over a unix socket",
         .server = "redis",
         .rows = {"redis-incr", "redis-incr-pipe"},
         .threads = {1, 2, 8},
         .runs = {5, 3, 1},
         .ms = {1000, 200, 50},
         .verify = {5120, 512, 512},
         .pin = false,
         .retry_busy = 0,
         .why = "T = connections; not pinned"},
	{.id = "redis-aof",
         .title = "Redis INCR, appendonly yes + appendfsync always",
         .server = "redis-aof",
         .rows = {"redis-aof-incr", "redis-aof-incr-pipe"},
         .threads = {1, 2, 8},
         .runs = {5, 3, 1},
         .ms = {1000, 200, 50},
         .verify = {512, 128, 128},
         .pin = false,
         .retry_busy = 0,
         .why = "T = connections; not pinned; the AOF is on the disk under test"},
	{.id = "sqlite",
         .title = "SQLite AUTOINCREMENT inserts, synchronous=FULL",
         .server = "sqlite",
         .rows = {"sqlite-autoinc", "sqlite-autoinc-batch"},
         .threads = {1, 2},
         .runs = {5, 3, 1},
         .ms = {1000, 200, 50},
         .verify = {512, 512, 512},
         .pin = false,
         .retry_busy = 0,
         .why = "T = connections to one database file; a second writer waits in SQLite's busy "
                "handler"},
};
enum { NPARTS = sizeof(parts) / sizeof(parts[0]) };

/* Single-call latency rows: 2 threads each. */
static const struct {
	const char *name; /* "timer": the clock alone */
	const char *server;
	bool pin;
} lat_rows[] = {
	{"timer", NULL, true},
	{"nextval", NULL, true},
	{"nextval-c64", NULL, true},
	{"nextval-n64", NULL, true},
	{"faa-inline", NULL, true},
	{"ck-faa", NULL, true},
	{"mutex", NULL, true},
	{"ck-spinlock", NULL, true},
	{"local", NULL, true},
	{"pg-nextval-c1", "pg", false},
	{"pg-nextval-c1000", "pg", false},
	{"redis-incr", "redis", false},
	{"redis-aof-incr", "redis-aof", false},
	{"sqlite-autoinc", "sqlite", false},
};
static const uint64_t lat_samples_inproc[3] = {1000000, 200000, 10000};
static const uint64_t lat_samples_server[3] = {200000, 50000, 2000};
static const unsigned lat_ms_inproc[3] = {3000, 1000, 100};
static const unsigned lat_ms_server[3] = {2000, 500, 100};

static const uint64_t internal_n[3] = {1000000, 200000, 20000};
static const unsigned internal_runs[3] = {5, 3, 1};
static const uint64_t internal_distinct_n[3] = {200000, 50000, 5000};

static const unsigned seed_ms_inproc[3] = {1000, 300, 50};
static const uint64_t seed_max_inproc[3] = {10000000, 3000000, 500000};
static const unsigned seed_ms_pg[3] = {3000, 1000, 200};

static const unsigned fsync_n[3] = {200, 100, 20};

/* ------------------------------------------------------------ helpers */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *skip_list; /* --skip: rows left out */

static bool skipped(const char *name)
{
	if (!skip_list)
		return false;
	size_t len = strlen(name);
	for (const char *p = skip_list; *p;) {
		size_t l = strcspn(p, ",");
		if (l == len && strncmp(p, name, len) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

static const bench_contender_t *find_row(const char *name)
{
	for (const bench_group_t *const *g = all_groups; *g; g++)
		for (const bench_contender_t *c = (*g)->contenders; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

static bool server_up(const char *server)
{
	if (!server)
		return true;
	if (strcmp(server, "pg") == 0)
		return cmp_env.pg_conninfo != NULL;
	if (strcmp(server, "redis") == 0)
		return cmp_env.redis_sock != NULL;
	if (strcmp(server, "redis-aof") == 0)
		return cmp_env.redis_aof_sock != NULL;
	if (strcmp(server, "sqlite") == 0)
		return cmp_env.sqlite_dir != NULL;
	return false;
}

static const char *server_error(const char *server)
{
	if (!server)
		return "";
	if (strcmp(server, "pg") == 0)
		return cmp_pg_error();
	if (strncmp(server, "redis", 5) == 0)
		return cmp_redis_error();
	if (strcmp(server, "sqlite") == 0)
		return cmp_sqlite_error();
	return "";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n, double *mn, double *mx)
{
	double s[CMP_MAX_RUNS];
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

static cmp_results_t res;

static cmp_row_t *row_for(const cmp_part_t *p, const bench_contender_t *c, unsigned T,
                          uint64_t param)
{
	for (size_t i = 0; i < res.nrows; i++) {
		cmp_row_t *r = &res.rows[i];
		if (r->part == p && r->c == c && r->threads == T && r->param == param)
			return r;
	}
	cmp_row_t *nr = realloc(res.rows, sizeof(*nr) * (res.nrows + 1));
	if (!nr) {
		fprintf(stderr, "numseq_compare: out of memory\n");
		exit(1);
	}
	res.rows = nr;
	cmp_row_t *r = &res.rows[res.nrows++];
	memset(r, 0, sizeof(*r));
	r->part = p;
	r->c = c;
	r->threads = T;
	r->param = param;
	return r;
}

/* ------------------------------------------------------- running a part */

/* Runs bench_main on the given rows; returns its exit code.  Its text
 * report goes to our stdout as it is; its FAIL lines mark rows as failed;
 * its per-run CSV fills the rows. */
static int run_bench(const cmp_part_t *p, const bench_contender_t *const *rows, unsigned nrows,
                     uint64_t param)
{
	bench_contender_t table[16];
	bench_group_t group = {p->id, table};
	const bench_group_t *groups[] = {&group, NULL};
	char csv[] = "/tmp/numseq_compare.XXXXXX";
	int mode = res.mode;

	for (unsigned i = 0; i < nrows; i++)
		table[i] = *rows[i]; /* copied after sweep_apply: sees the step's values */
	memset(&table[nrows], 0, sizeof(table[0]));

	int fd = mkstemp(csv);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	bench_config_t cfg = {
		.runs = p->runs[mode],
		.warmup = 1,
		.ms = p->ms[mode],
		.verify_values = p->verify[mode],
		.pin = p->pin,
		.retry_busy = mode == 0 ? p->retry_busy : (p->retry_busy ? 1 : 0),
		.csv = csv,
	};
	for (unsigned k = 0; k < 8 && p->threads[k]; k++)
		cfg.threads[cfg.nthreads_list++] = p->threads[k];

	/* The harness prints its tables on stdout: keep them, and look for
	 * its FAIL lines. */
	fflush(stdout);
	FILE *out = tmpfile();
	int saved = dup(1);
	if (!out || saved < 0 || dup2(fileno(out), 1) < 0) {
		perror("numseq_compare: capturing the harness output");
		exit(1);
	}
	int rc = bench_main(&cfg, groups, NULL, 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);

	char line[1024];
	rewind(out);
	while (fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		char name[128];
		unsigned T, redone;
		double others;
		/* "other processes used 35% of the 2 CPUs during the run, ..." */
		if (sscanf(line, "other processes used %lf%%", &others) == 1 &&
		    others > res.part_others[p - parts])
			res.part_others[p - parts] = others;
		/* "3 run(s) redone because another process took a CPU" */
		if (strstr(line, " run(s) redone") &&
		    sscanf(line, "%u run(s) redone", &redone) == 1)
			res.part_redone[p - parts] += redone;
		if (sscanf(line, "FAIL %127s T=%u:", name, &T) == 2) {
			for (unsigned i = 0; i < nrows; i++)
				if (strcmp(rows[i]->name, name) == 0) {
					cmp_row_t *r = row_for(p, rows[i], T, param);
					r->failed = true;
					const char *m = strstr(line, "first: ");
					snprintf(r->msg, sizeof(r->msg), "%.250s",
					         m ? m + 7 : line);
					r->msg[strcspn(r->msg, "\n")] = 0;
				}
		}
	}
	fclose(out);
	fflush(stdout);

	FILE *f = rc == 1 ? NULL : fopen(csv, "r");
	if (f) {
		char name[128];
		unsigned T, run;
		double ns, mops;
		if (!fgets(line, sizeof(line), f))
			line[0] = 0; /* header */
		while (fgets(line, sizeof(line), f)) {
			char *comma = strchr(line, ',');
			if (!comma || (size_t)(comma - line) >= sizeof(name))
				continue;
			memcpy(name, line, (size_t)(comma - line));
			name[comma - line] = 0;
			if (sscanf(comma + 1, "%u,%u,%lf,%lf", &T, &run, &ns, &mops) != 4)
				continue;
			for (unsigned i = 0; i < nrows; i++) {
				if (strcmp(rows[i]->name, name) != 0)
					continue;
				cmp_row_t *r = row_for(p, rows[i], T, param);
				if (r->n < CMP_MAX_RUNS) {
					r->ns[r->n] = ns;
					r->ops[r->n] = mops * 1e6;
					r->n++;
				}
				r->ran = true;
			}
		}
		fclose(f);
		for (unsigned i = 0; i < nrows; i++)
			for (unsigned k = 0; k < cfg.nthreads_list; k++) {
				cmp_row_t *r = row_for(p, rows[i], cfg.threads[k], param);
				if (r->ran && !r->failed)
					r->verified = cfg.verify_values * cfg.threads[k];
			}
	}
	unlink(csv);
	return rc;
}

static void run_part(size_t pi)
{
	const cmp_part_t *p = &parts[pi];
	const bench_contender_t *rows[16];
	unsigned nrows = 0;

	if (!server_up(p->server)) {
		snprintf(res.part_msg[pi], sizeof(res.part_msg[pi]),
		         "not run: no %s server was given", p->server);
		fprintf(stderr, "numseq_compare: %s: skipped (no %s)\n", p->id, p->server);
		return;
	}
	for (unsigned i = 0; i < 12 && p->rows[i]; i++) {
		const bench_contender_t *c = find_row(p->rows[i]);
		if (!c) {
			fprintf(stderr, "numseq_compare: no row named %s\n", p->rows[i]);
			exit(1);
		}
		if (!skipped(c->name))
			rows[nrows++] = c;
	}
	if (nrows == 0)
		return;
	unsigned nsweep = 0;
	while (nsweep < 12 && p->sweep[nsweep])
		nsweep++;
	for (unsigned s = 0; s < (nsweep ? nsweep : 1); s++) {
		uint64_t param = nsweep ? p->sweep[s] : 0;
		sweep_value = param;
		if (nsweep) {
			p->sweep_apply(param);
			fprintf(stderr, "  %s = %" PRIu64 ":", p->sweep_name, param);
		}
		/* run_bench copies the rows now, after sweep_apply changed them. */
		int rc = run_bench(p, rows, nrows, param);
		if (rc == 1) {
			/* A setup failed and bench_main stopped: run the rows one by
			 * one so that the others still count, and say which failed. */
			fprintf(stderr,
			        "numseq_compare: %s: a setup failed (%s); rows one at a time\n",
			        p->id, server_error(p->server));
			for (unsigned i = 0; i < nrows; i++) {
				if (run_bench(p, &rows[i], 1, param) == 1) {
					for (unsigned k = 0; k < 8 && p->threads[k]; k++) {
						cmp_row_t *r = row_for(p, rows[i], p->threads[k],
						                       param);
						if (!r->ran) {
							r->setup_failed = true;
							snprintf(r->msg, sizeof(r->msg),
							         "setup failed: %s",
							         server_error(p->server));
						}
					}
				}
			}
		}
	}
	sweep_value = 0;
	res.part_ran[pi] = true;
	for (size_t i = 0; i < res.nrows; i++) {
		cmp_row_t *r = &res.rows[i];
		r->ns_med = median(r->ns, r->n, &r->ns_min, &r->ns_max);
		r->ops_med = median(r->ops, r->n, &r->ops_min, &r->ops_max);
	}
}

/* ---------------------------------------------------------- other parts */

static void run_latency(void)
{
	int m = res.mode;
	for (size_t i = 0; i < sizeof(lat_rows) / sizeof(lat_rows[0]); i++) {
		bool timer = strcmp(lat_rows[i].name, "timer") == 0;
		const bench_contender_t *c = timer ? NULL : find_row(lat_rows[i].name);
		if ((!timer && !c) || skipped(lat_rows[i].name) || !server_up(lat_rows[i].server))
			continue;
		cmp_lat_t *l = &res.lat[res.nlat++];
		l->name = lat_rows[i].name;
		if (timer)
			snprintf(l->label, sizeof(l->label),
			         "clock_gettime pair (the timer alone)");
		else if (c->max_per_op > 1) { /* a block op: the latency is the call's */
			const char *cut = strstr(c->label, ", per number");
			int len = cut ? (int)(cut - c->label) : 80;
			snprintf(l->label, sizeof(l->label), "%.*s, one call (%" PRIu64 " numbers)",
			         len < 80 ? len : 80, c->label, c->max_per_op);
		} else
			snprintf(l->label, sizeof(l->label), "%.120s", c->label);
		l->threads = 2;
		bool srv = lat_rows[i].server != NULL;
		fprintf(stderr, "  latency %s ...", l->name);
		cmp_latency(c, 2, srv ? lat_samples_server[m] : lat_samples_inproc[m],
		            srv ? lat_ms_server[m] : lat_ms_inproc[m], lat_rows[i].pin, &l->r);
		l->ran = true;
		fprintf(stderr, " p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns, max %.0f ns%s%s\n",
		        l->r.p50, l->r.p99, l->r.p999, l->r.max, l->r.ok ? "" : "; ",
		        l->r.ok       ? ""
		        : l->r.msg[0] ? l->r.msg
		                      : server_error(lat_rows[i].server));
	}
}

static void run_internal(void)
{
	int m = res.mode;
	const struct {
		int64_t cache;
		cmp_pg_body_t body;
	} cfgs[] = {{1, CMP_PG_LOOP}, {1000, CMP_PG_LOOP}, {1, CMP_PG_LOOP_EMPTY},
	            {1, CMP_PG_SET},  {1000, CMP_PG_SET},  {1, CMP_PG_SET_EMPTY}};
	enum { NC = sizeof(cfgs) / sizeof(cfgs[0]) };

	for (size_t k = 0; k < NC; k++) {
		cmp_internal_t *in = &res.internal[res.ninternal++];
		in->cache = cfgs[k].cache;
		in->body = cfgs[k].body;
		in->empty = in->body == CMP_PG_LOOP_EMPTY || in->body == CMP_PG_SET_EMPTY;
		in->iterations = internal_n[m];
		in->ok = true;
	}
	/* one discarded warm-up round, then the timed rounds, interleaved */
	for (unsigned round = 0; round <= internal_runs[m]; round++) {
		fprintf(stderr, round ? " %u" : "  DO blocks: w", round);
		for (size_t k = 0; k < NC; k++) {
			cmp_internal_t *in = &res.internal[k];
			double ns;
			char err[256];
			if (cmp_pg_internal(in->cache, in->iterations, in->body, &ns, err,
			                    sizeof(err)) != 0) {
				in->ok = false;
				snprintf(in->msg, sizeof(in->msg), "%s", err);
				continue;
			}
			in->ran = true;
			if (round && in->n < CMP_MAX_RUNS)
				in->ns[in->n++] = ns;
		}
	}
	fprintf(stderr, "\n");
	for (size_t k = 0; k < NC; k++) {
		cmp_internal_t *in = &res.internal[k];
		in->med = median(in->ns, in->n, &in->min, &in->max);
		if (in->empty || !in->ok)
			continue;
		char err[256];
		if (cmp_pg_internal_distinct(in->cache, internal_distinct_n[m], &in->total,
		                             &in->distinct, err, sizeof(err)) != 0) {
			in->ok = false;
			snprintf(in->msg, sizeof(in->msg), "%s", err);
		} else if (in->distinct != in->total || in->total != internal_distinct_n[m]) {
			in->ok = false;
			snprintf(in->msg, sizeof(in->msg), "%" PRIu64 " distinct of %" PRIu64,
			         in->distinct, in->total);
		}
		fprintf(stderr, "  in-server nextval, %s, CACHE %" PRId64 ": %.0f ns; %s\n",
		        in->body == CMP_PG_LOOP ? "PL/pgSQL loop" : "one statement", in->cache,
		        in->med, in->ok ? "distinct ok" : in->msg);
	}
}

static void run_seed(void)
{
	int m = res.mode;
	cmp_seed_t *s = &res.seed[res.nseed++];
	s->name = "seed-inproc";
	s->label = "in process: atomic load of the count, + 1, atomic fetch_add as the insert";
	s->threads = 2;
	cmp_seed_inproc(2, seed_ms_inproc[m], seed_max_inproc[m], true, &s->r);
	s->ran = true;
	fprintf(stderr, "  seed pattern in process: %" PRIu64 " numbers, %" PRIu64 " duplicates\n",
	        s->r.total, s->r.total - s->r.distinct);
	if (!cmp_env.pg_conninfo)
		return;
	s = &res.seed[res.nseed++];
	s->name = "seed-pg";
	s->label = "PostgreSQL: `SELECT count(*)`, + 1, `INSERT` (the seed's code)";
	s->threads = 2;
	cmp_seed_pg(2, seed_ms_pg[m], 1000000, &s->r);
	s->ran = true;
	fprintf(stderr,
	        "  seed pattern on PostgreSQL: %" PRIu64 " numbers, %" PRIu64 " duplicates%s%s\n",
	        s->r.total, s->r.total - s->r.distinct, s->r.ok ? "" : "; ",
	        s->r.ok ? "" : s->r.msg);
}

/* fdatasync after a 4 KiB append, n times, in dir: the disk under test.
 * Result k: 0 before the parts, 1 after them. */
static void fsync_probe(const char *dir, unsigned n, int k)
{
	char path[600];
	double *t = malloc(sizeof(double) * n);
	char block[4096];
	res.fsync_p50_us[k] = res.fsync_p99_us[k] = -1;
	if (!t)
		return;
	snprintf(path, sizeof(path), "%s/fsync-probe", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		free(t);
		return;
	}
	memset(block, 'x', sizeof(block));
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		double t0 = now_s();
		if (pwrite(fd, block, sizeof(block), (off_t)i * (off_t)sizeof(block)) !=
		            (ssize_t)sizeof(block) ||
		    fdatasync(fd) != 0)
			break;
		t[ok++] = (now_s() - t0) * 1e6;
	}
	close(fd);
	unlink(path);
	if (ok) {
		qsort(t, ok, sizeof(double), cmp_double);
		size_t k99 = (size_t)((double)ok * 0.99);
		res.fsync_p50_us[k] = t[ok / 2];
		res.fsync_p99_us[k] = t[k99 < ok ? k99 : ok - 1];
		res.fsync_n[k] = ok;
	}
	free(t);
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f, "usage: numseq_compare [--quick | --tiny] [--only part,...] [--skip row,...]\n"
	           "                      [--pg CONNINFO] [--redis SOCKET] [--redis-aof SOCKET]\n"
	           "                      [--sqlite-dir DIR] [--autogroup-nice N] [--csv FILE]\n"
	           "                      [--markdown FILE]\n"
	           "                      [--plot-data DIR] [--list]\n"
	           "Normally run through bench/compare, which starts the servers.\n"
	           "  --quick      fewer and shorter runs (bench/compare --quick: < 2 minutes)\n"
	           "  --tiny       one short run of everything: a smoke test, not a measurement\n"
	           "  --only       parts to run (see --list), plus latency, internal, seed\n"
	           "  --skip       rows to leave out\n"
	           "  --pg         libpq conninfo of a PostgreSQL 15 server to use\n"
	           "  --redis      unix socket of a Redis server without persistence\n"
	           "  --redis-aof  unix socket of a Redis server with appendfsync always\n"
	           "  --sqlite-dir directory for SQLite databases (and the fsync probe)\n"
	           "  --autogroup-nice N  give each PostgreSQL backend used this autogroup nice\n"
	           "Parts whose server is not given are skipped and reported as not run.\n"
	           "exit status: 0 ok, 1 setup error, 2 a contender handed out a duplicate\n");
}

static bool only(const char *list, const char *id)
{
	if (!list)
		return true;
	size_t len = strlen(id);
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		if (l == len && strncmp(p, id, len) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *csv = NULL, *md = NULL, *plots = NULL, *only_list = NULL;

	setvbuf(stderr, NULL, _IONBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--quick") == 0)
			res.mode = res.mode ? res.mode : 1;
		else if (strcmp(a, "--tiny") == 0)
			res.mode = 2;
		else if (strcmp(a, "--pg") == 0 && v)
			cmp_env.pg_conninfo = v, i++;
		else if (strcmp(a, "--redis") == 0 && v)
			cmp_env.redis_sock = v, i++;
		else if (strcmp(a, "--redis-aof") == 0 && v)
			cmp_env.redis_aof_sock = v, i++;
		else if (strcmp(a, "--sqlite-dir") == 0 && v)
			cmp_env.sqlite_dir = v, i++;
		else if (strcmp(a, "--autogroup-nice") == 0 && v)
			cmp_env.autogroup_nice = atoi(v), i++;
		else if (strcmp(a, "--csv") == 0 && v)
			csv = v, i++;
		else if (strcmp(a, "--markdown") == 0 && v)
			md = v, i++;
		else if (strcmp(a, "--plot-data") == 0 && v)
			plots = v, i++;
		else if (strcmp(a, "--only") == 0 && v)
			only_list = v, i++;
		else if (strcmp(a, "--skip") == 0 && v)
			skip_list = v, i++;
		else if (strcmp(a, "--list") == 0) {
			for (size_t k = 0; k < NPARTS; k++) {
				printf("%-10s %s\n", parts[k].id, parts[k].title);
				for (unsigned j = 0; j < 12 && parts[k].rows[j]; j++) {
					const bench_contender_t *c = find_row(parts[k].rows[j]);
					printf("    %-22s %s\n", parts[k].rows[j],
					       c ? c->note : "(missing)");
				}
			}
			printf("%-10s %s\n", "latency", "single calls timed, 2 threads");
			printf("%-10s %s\n", "internal", "PostgreSQL nextval in a DO-block loop");
			printf("%-10s %s\n", "seed", "the seed's count-then-add-one pattern");
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 1;
		}
	}

	double t0 = now_s();
	res.parts = parts;
	res.nparts = NPARTS;
	for (size_t i = 0; i < NPARTS; i++)
		res.part_others[i] = -1;
	res.fsync_p50_us[0] = res.fsync_p99_us[0] = res.fsync_p50_us[1] = res.fsync_p99_us[1] = -1;
	const char *mode_name[] = {"full", "quick", "tiny"};
	fprintf(stderr, "numseq_compare: %s run; %s\n", mode_name[res.mode],
	        "progress below: per part, the harness prints T=<threads>, then each round");

	if (cmp_env.sqlite_dir)
		fsync_probe(cmp_env.sqlite_dir, fsync_n[res.mode], 0);
	unsigned step = 0, steps = 3;
	for (size_t i = 0; i < NPARTS; i++)
		steps += only(only_list, parts[i].id);
	for (size_t i = 0; i < NPARTS; i++) {
		if (!only(only_list, parts[i].id))
			continue;
		fprintf(stderr, "\n[%u/%u %.0fs] %s\n", ++step, steps, now_s() - t0,
		        parts[i].title);
		run_part(i);
	}
	if (only(only_list, "internal")) {
		fprintf(stderr, "\n[%u/%u %.0fs] PostgreSQL inside the server\n", ++step, steps,
		        now_s() - t0);
		if (cmp_env.pg_conninfo)
			run_internal();
		else
			fprintf(stderr, "  skipped (no PostgreSQL)\n");
	}
	if (only(only_list, "latency")) {
		fprintf(stderr, "\n[%u/%u %.0fs] Latency of single calls, 2 threads\n", ++step,
		        steps, now_s() - t0);
		run_latency();
	}
	if (only(only_list, "seed")) {
		fprintf(stderr, "\n[%u/%u %.0fs] The seed's pattern: count, then add one\n", ++step,
		        steps, now_s() - t0);
		run_seed();
	}
	if (cmp_env.sqlite_dir)
		fsync_probe(cmp_env.sqlite_dir, fsync_n[res.mode], 1);
	cmp_pg_close();
	cmp_redis_close();
	res.seconds = now_s() - t0;

	int rc = 0;
	for (size_t i = 0; i < res.nrows; i++)
		if (res.rows[i].setup_failed)
			rc = rc ? rc : 1;
	for (size_t i = 0; i < res.nrows; i++)
		if (res.rows[i].failed)
			rc = 2;
	for (size_t i = 0; i < res.nlat; i++)
		if (res.lat[i].ran && !res.lat[i].r.ok)
			rc = res.lat[i].r.checked ? 2 : rc ? rc : 1;
	for (size_t i = 0; i < res.ninternal; i++)
		if (res.internal[i].ran && !res.internal[i].ok)
			rc = rc ? rc : 1;

	fprintf(stderr, "\nnumseq_compare: done in %.0f s\n", res.seconds);
	cmp_print_summary(&res);
	if (csv && cmp_write_csv(&res, csv) != 0)
		rc = rc ? rc : 1;
	if (md && cmp_write_markdown(&res, md) != 0)
		rc = rc ? rc : 1;
	if (plots && cmp_write_plot_data(&res, plots) != 0)
		rc = rc ? rc : 1;
	if (rc == 2)
		printf("\nA CHECK FAILED: a contender handed out a number twice or lost one (see "
		       "above)\n");
	free(res.rows);
	return rc;
}
