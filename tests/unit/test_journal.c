/*
 * test_journal.c - the journal module (src/journal.[ch]) over real files in
 * a temporary directory: create / reopen round trips through the replay
 * callbacks, the lock (same process, forked child), ENOENT / EEXIST /
 * EFINGERPRINT, torn tails cut at every byte of the last record, damage to
 * an acknowledged record (ECORRUPT), the GAP ledger after a "crash"
 * (numseq__j_abandon), group commit (8 threads: fewer fdatasyncs than
 * records), and fault injection at every I/O call of create, reserve,
 * state, claim, compact and close under every kind the injector offers,
 * each followed by the checks of P1-P6 this layer can make.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "jformat.h"
#include "jio.h"
#include "journal.h"
#include "numseq.h"
#include "numseq_test.h"

#define W 100u
#define NVAL 2001 /* values 0 .. 2000 tracked by the replay recorder */

static char dir[256];
static char path[300];
static int dfd = -1;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_journal.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/j", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? -1 : 0;
}

static void reset_dir(void)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			(void)unlinkat(dfd, e->d_name, 0);
	if (d != NULL)
		closedir(d);
}

static int teardown(void **state)
{
	(void)state;
	reset_dir();
	close(dfd);
	(void)rmdir(dir);
	return 0;
}

static int per_test(void **state)
{
	(void)state;
	reset_dir();
	return 0;
}

/* ---------------------------------------------------------- helpers */

/* Resolved options, as the sequence layer passes them. */
static numseq_options_t opts(bool claims)
{
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_TYPE | NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	        NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME;
	o.type = NUMSEQ_BIGINT;
	o.start = 1;
	o.increment = 1;
	o.minvalue = 1;
	o.maxvalue = 1000;
	o.cache = 1;
	o.name = "s";
	if (claims) {
		o.set |= NUMSEQ_OPT_CLAIMS;
		o.claims = NUMSEQ_CLAIMS_LOWEST_FREE;
	}
	return o;
}

/* What the replay callbacks saw. */
struct rec {
	int options_calls;
	numseq_options_t o;
	char name[64];
	bool claimed[NVAL];
	uint64_t claim_calls;
};

static int rec_options(void *ctx, const numseq_options_t *o, numseq_error_t *err)
{
	(void)err;
	struct rec *r = ctx;
	r->options_calls++;
	r->o = *o;
	snprintf(r->name, sizeof r->name, "%s", o->name);
	r->o.name = r->name;
	return 0;
}

static int rec_claims(void *ctx, int64_t first, uint64_t count, bool claimed)
{
	struct rec *r = ctx;
	for (uint64_t i = 0; i < count; i++) {
		int64_t v = first + (int64_t)i * r->o.increment;
		if (v < 0 || v >= NVAL)
			return NUMSEQ_ERANGE;
		r->claimed[v] = claimed;
	}
	r->claim_calls++;
	return 0;
}

static struct numseq__jreplay replay_of(struct rec *r)
{
	memset(r, 0, sizeof *r);
	struct numseq__jreplay rp = {.ctx = r, .options = rec_options, .claims = rec_claims};
	return rp;
}

static int jopen(struct numseq__journal **j, unsigned flags, const numseq_options_t *o,
                 numseq__jio_t *io, struct rec *r, struct numseq__jopened *res, numseq_error_t *err)
{
	struct numseq__jreplay rp = replay_of(r);
	return numseq__j_open(j, path, flags, o, W, io, &rp, res, err);
}

static uint64_t claim(struct numseq__journal *j, int64_t v, bool claimed)
{
	numseq__j_claim_begin(j);
	uint64_t lsn = numseq__j_claim_log(j, v, claimed);
	numseq__j_claim_end(j);
	return lsn;
}

static int claim_sync(struct numseq__journal *j, int64_t v, bool claimed)
{
	uint64_t lsn = claim(j, v, claimed);
	if (lsn == 0)
		return NUMSEQ_EFAILED;
	return numseq__j_sync(j, lsn, NULL);
}

static uint64_t file_size(void)
{
	struct stat st;
	return fstatat(dfd, "j", &st, 0) == 0 ? (uint64_t)st.st_size : 0;
}

static uint8_t *slurp(size_t *n)
{
	int fd = openat(dfd, "j", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

static void put_file(const uint8_t *b, size_t n)
{
	int fd = openat(dfd, "j", O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, 0), (ssize_t)n);
	close(fd);
}

/* Runs claimed in rec order, for compaction. */
struct runs {
	const numseq__jrun_t *r;
	size_t n, i;
};

static int next_run(void *ctx, int64_t *first, uint64_t *count)
{
	struct runs *rs = ctx;
	if (rs->i == rs->n)
		return 0;
	*first = rs->r[rs->i].first;
	*count = rs->r[rs->i].count;
	rs->i++;
	return 1;
}

/* ------------------------------------------------------ round trips */

static void test_create_reopen(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);

	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(r.options_calls, 1);
	assert_int_equal(res.last_value, 1);
	assert_false(res.is_called);
	assert_true(res.info.clean_open);
	assert_int_equal(res.info.window, W);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 5, true), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 7, true), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 9, true), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 5, false), NUMSEQ_OK);
	assert_int_equal(numseq__j_state(j, NUMSEQ__JF_CAUSE_SETVAL, 40, true, 140, true, &err),
	                 NUMSEQ_OK);
	numseq_journal_info_t info;
	numseq__j_info(j, &info);
	assert_int_equal(info.file_bytes, file_size());
	assert_false(info.failed);
	assert_int_equal(numseq__j_close(j, 42, true, &err), NUMSEQ_OK);

	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(r.options_calls, 1);
	assert_int_equal(r.o.maxvalue, 1000);
	assert_int_equal(r.o.minvalue, 1);
	assert_int_equal(r.o.increment, 1);
	assert_int_equal(r.o.claims, NUMSEQ_CLAIMS_LOWEST_FREE);
	assert_true((r.o.set & NUMSEQ_OPT_CLAIMS) != 0);
	assert_string_equal(r.name, "s");
	assert_false(r.claimed[5]);
	assert_true(r.claimed[7]);
	assert_true(r.claimed[9]);
	assert_int_equal(res.last_value, 42);
	assert_true(res.is_called);
	assert_true(res.info.clean_open);
	assert_false(res.info.gap);
	assert_int_equal(res.info.truncated, 0);
	assert_int_equal(res.info.gap_events, 0);
	/* Compaction keeps it all; the same again after the switch. */
	numseq__jrun_t runs[] = {{7, 1}, {9, 1}};
	struct runs rs = {runs, 2, 0};
	assert_int_equal(numseq__j_compact(j, NULL, 42, true, next_run, &rs, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 11, true), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 43, true, &err), NUMSEQ_OK);
	assert_int_equal(jopen(&j, 0, &o, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_true(r.claimed[7] && r.claimed[9] && r.claimed[11] && !r.claimed[5]);
	assert_int_equal(res.last_value, 43);
	assert_true(res.info.clean_open);
	assert_int_equal(numseq__j_close(j, 43, true, &err), NUMSEQ_OK);

	/* RESTART WITH at creation: the initial state. */
	reset_dir();
	o.set |= NUMSEQ_OPT_RESTART_WITH;
	o.restart = 17;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.last_value, 17);
	assert_false(res.is_called);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.last_value, 17);
	assert_false(res.is_called);
	assert_false(res.info.gap);
	numseq__j_abandon(j);
}

static void test_alter_and_fingerprint(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(false), o2 = opts(false);
	o2.maxvalue = 5000;

	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	/* An invalid state is refused and does not fail the journal. */
	assert_int_equal(numseq__j_reserve(j, 100, true, 2000, true, &err), NUMSEQ_EINVAL);
	assert_false(numseq__j_failed(j));
	/* ALTER MAXVALUE 5000: the RESERVE after it is checked against it. */
	assert_int_equal(numseq__j_alter(j, &o2, 100, true, 2000, true, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 150, true, &err), NUMSEQ_OK);
	/* The effective options are the altered ones. */
	assert_int_equal(jopen(&j, 0, &o, NULL, &r, &res, &err), NUMSEQ_EFINGERPRINT);
	assert_non_null(strstr(err.message, "other sequence options"));
	assert_null(j);
	assert_int_equal(jopen(&j, 0, &o2, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(r.o.maxvalue, 5000);
	assert_int_equal(res.last_value, 150);
	numseq__j_abandon(j);
	numseq_options_t o3 = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o3, NULL, &r, &res, &err),
	                 NUMSEQ_EFINGERPRINT);
}

static void test_enoent_eexist(void **state)
{
	(void)state;
	struct numseq__journal *j = (void *)1;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(false);
	assert_int_equal(jopen(&j, 0, &o, NULL, &r, NULL, &err), NUMSEQ_ENOENT);
	assert_null(j);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, NULL, &r, NULL, &err),
	                 NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, NULL, &r, NULL, &err),
	                 NUMSEQ_EEXIST);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	/* Not a journal. */
	put_file((const uint8_t *)"hello, world", 12);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_ENOTJOURNAL);
}

static void test_locked(void **state)
{
	(void)state;
	struct numseq__journal *j, *j2;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(false);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(jopen(&j2, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_ELOCKED);
	assert_null(j2);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct numseq__journal *c = NULL;
		struct numseq__jreplay rp = {.ctx = NULL};
		int rc = numseq__j_open(&c, path, 0, NULL, W, NULL, &rp, NULL, NULL);
		_exit(rc == NUMSEQ_ELOCKED ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	assert_int_equal(jopen(&j2, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	numseq__j_abandon(j2);
}

/* ------------------------------------------------- torn tail, damage */

static void test_torn_tail_every_cut(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	uint64_t a_end = file_size();
	assert_int_equal(claim_sync(j, 7, true), NUMSEQ_OK);
	uint64_t before = file_size();
	assert_int_equal(numseq__j_reserve(j, 100, true, 200, true, &err), NUMSEQ_OK);
	uint64_t after = file_size();
	numseq__j_abandon(j);
	size_t n;
	uint8_t *full = slurp(&n);
	assert_int_equal(n, after);
	unsigned cuts = 0;
	for (uint64_t cut = before; cut < after; cut++) {
		put_file(full, (size_t)cut);
		int rc = jopen(&j, 0, &o, NULL, &r, &res, &err);
		if (rc != NUMSEQ_OK)
			fail_msg("cut at %" PRIu64 ": %s", cut, err.message);
		assert_int_equal(res.last_value, 100);
		assert_true(res.is_called);
		assert_int_equal(res.info.truncated, cut - before);
		assert_true(r.claimed[7]);
		assert_false(res.info.clean_open);
		/* The reservation 1..100 was open: its gap. */
		assert_true(res.info.gap);
		assert_int_equal(res.info.gap_first, 1);
		assert_int_equal(res.info.gap_last, 100);
		assert_int_equal(res.info.gap_count, 100);
		numseq__j_abandon(j);
		cuts++;
	}
	assert_int_equal(cuts, after - before);

	/* Damage to an acknowledged record: the first RESERVE, proven
	 * acknowledged by the CLAIM after it (its durable_lsn). */
	uint8_t *bad = malloc(n);
	assert_non_null(bad);
	memcpy(bad, full, n);
	bad[a_end - 10] ^= 0x40;
	put_file(bad, n);
	assert_int_equal(jopen(&j, 0, &o, NULL, &r, &res, &err), NUMSEQ_ECORRUPT);
	assert_non_null(strstr(err.message, "numseq repair"));
	assert_null(j);
	/* The file was not touched. */
	size_t n2;
	uint8_t *again = slurp(&n2);
	assert_int_equal(n2, n);
	assert_memory_equal(again, bad, n);
	free(again);
	free(bad);
	free(full);
}

/* ------------------------------------------------------------- gaps */

static void test_gap_ledger(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(false);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	numseq__j_abandon(j); /* crash */
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.last_value, 100);
	assert_true(res.is_called);
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 1);
	assert_int_equal(res.info.gap_last, 100);
	assert_int_equal(res.info.gap_count, 100);
	assert_int_equal(res.info.gap_events, 1);
	assert_int_equal(res.info.gap_values, 100);
	assert_false(res.info.clean_open);
	/* A crash right after recovery (no new reservation): no new gap. */
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_false(res.info.gap);
	assert_int_equal(res.info.gap_events, 1);
	assert_int_equal(res.last_value, 100);
	/* The reservation thread ran ahead: from (150, called) to 250. */
	assert_int_equal(numseq__j_reserve(j, 100, true, 200, true, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 150, true, 250, true, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.info.gap_first, 151);
	assert_int_equal(res.info.gap_last, 250);
	assert_int_equal(res.info.gap_count, 100);
	assert_int_equal(res.info.gap_events, 2);
	assert_int_equal(res.info.gap_values, 200);
	/* Compaction carries the totals and the open reservation. */
	assert_int_equal(numseq__j_reserve(j, 250, true, 350, true, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_compact(j, NULL, 350, true, NULL, NULL, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 251);
	assert_int_equal(res.info.gap_last, 350);
	assert_int_equal(res.info.gap_events, 3);
	assert_int_equal(res.info.gap_values, 300);
	assert_int_equal(res.last_value, 350);
	/* Compaction after recovery: nothing open, totals kept. */
	assert_int_equal(numseq__j_compact(j, NULL, 350, true, NULL, NULL, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_false(res.info.gap);
	assert_int_equal(res.info.gap_events, 3);
	assert_int_equal(res.info.gap_values, 300);
	/* setval + its reservation, then a crash: the gap starts after the
	 * setval's state. */
	assert_int_equal(numseq__j_state(j, NUMSEQ__JF_CAUSE_SETVAL, 500, false, 599, true, &err),
	                 NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.info.gap_first, 500);
	assert_int_equal(res.info.gap_last, 599);
	assert_int_equal(res.info.gap_count, 100);
	/* A clean close: no gap, even with a reservation before it. */
	assert_int_equal(numseq__j_reserve(j, 599, true, 699, true, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 610, true, &err), NUMSEQ_OK);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_false(res.info.gap);
	assert_true(res.info.clean_open);
	assert_int_equal(res.last_value, 610);
	numseq__j_abandon(j);

	/* CYCLE, descending, wrapping: MINVALUE 1 MAXVALUE 10 INCREMENT -3.
	 * From 4 (called): next 1, then the wrap to 10, 7: first 1, last 7,
	 * count 3. */
	reset_dir();
	numseq_options_t c = opts(false);
	c.increment = -3;
	c.maxvalue = 10;
	c.start = 10;
	c.cycle = true;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &c, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 4, true, 7, true, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 1);
	assert_int_equal(res.info.gap_last, 7);
	assert_int_equal(res.info.gap_count, 3);
	/* From the bound itself (1, called): the wrap first. */
	assert_int_equal(numseq__j_reserve(j, 1, true, 4, true, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.info.gap_first, 10);
	assert_int_equal(res.info.gap_last, 4);
	assert_int_equal(res.info.gap_count, 3);
	numseq__j_abandon(j);
}

/* ----------------------------------------------------- group commit */

static atomic_ulong syncs;
static numseq__jio_t counting;

static int counting_fdatasync(numseq__jio_t *io, int fd)
{
	(void)io;
	atomic_fetch_add_explicit(&syncs, 1, memory_order_relaxed);
	usleep(300); /* a slow disk: lets a batch gather (no timing is asserted) */
	return numseq__jio_posix()->fdatasync(numseq__jio_posix(), fd);
}

#define GC_THREADS 8
#define GC_PER 40

struct gc_arg {
	struct numseq__journal *j;
	int id;
	int failures;
};

static void *gc_thread(void *p)
{
	struct gc_arg *a = p;
	for (int i = 0; i < GC_PER; i++) {
		int64_t v = 1 + a->id * GC_PER + i;
		if (claim_sync(a->j, v, true) != NUMSEQ_OK)
			a->failures++;
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	(void)state;
	counting = *numseq__jio_posix();
	counting.fdatasync = counting_fdatasync;
	struct numseq__journal *j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, &counting, &r, NULL, &err), NUMSEQ_OK);
	atomic_store(&syncs, 0);
	pthread_t t[GC_THREADS];
	struct gc_arg a[GC_THREADS];
	for (int i = 0; i < GC_THREADS; i++) {
		a[i] = (struct gc_arg){j, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, gc_thread, &a[i]), 0);
	}
	for (int i = 0; i < GC_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	unsigned long n = atomic_load(&syncs);
	for (int i = 0; i < GC_THREADS; i++)
		assert_int_equal(a[i].failures, 0);
	print_message("group commit: %d records, %lu fdatasyncs\n", GC_THREADS * GC_PER, n);
	assert_true(n < GC_THREADS * GC_PER);
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	for (int v = 1; v <= GC_THREADS * GC_PER; v++)
		assert_true(r.claimed[v]);
	numseq__j_abandon(j);
}

/* ------------------------------------------------- fault injection */

enum op { OP_CREATE, OP_RESERVE, OP_STATE, OP_CLAIM, OP_COMPACT, OP_CLOSE, OP_N };
static const char *const op_name[OP_N] = {"create", "reserve", "state",
                                          "claim",  "compact", "close"};

/* Fault kinds: errno faults checked on the live directory and after a
 * power loss, a short write, and a crash under each fate. */
enum { K_EIO_LIVE, K_EIO_LOSS, K_ENOSPC_LIVE, K_ENOSPC_LOSS, K_SHORT, K_CRASH0 };
static const numseq__jfault_fate_t fates[] = {
	{NUMSEQ__FATE_DROP, 0, false}, {NUMSEQ__FATE_DROP, 0, true},  {NUMSEQ__FATE_KEEP, 0, true},
	{NUMSEQ__FATE_TORN, 5, false}, {NUMSEQ__FATE_TORN, 40, true}, {NUMSEQ__FATE_ZERO, 0, false},
};
#define NFATES (sizeof fates / sizeof fates[0])
#define NKINDS (K_CRASH0 + (int)NFATES)

/* What was acknowledged: the oracle. */
struct acked {
	bool exists;  /* creation acknowledged */
	int64_t last; /* the furthest acknowledged state */
	bool called;
	bool claimed[NVAL]; /* acknowledged claims */
	bool closed;        /* close acknowledged: exact state, clean */
};

static void ack_state(struct acked *a, int64_t last, bool called)
{
	a->last = last;
	a->called = called;
}

/* The setup before the operation (through io), acknowledging into a.
 * Returns the handle (NULL for OP_CREATE). */
static struct numseq__journal *fi_setup(enum op op, numseq__jio_t *io, struct acked *a)
{
	memset(a, 0, sizeof *a);
	if (op == OP_CREATE)
		return NULL;
	struct numseq__journal *j;
	struct rec r;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, io, &r, NULL, NULL), NUMSEQ_OK);
	a->exists = true;
	ack_state(a, 1, false);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, NULL), NUMSEQ_OK);
	ack_state(a, 100, true);
	assert_int_equal(claim_sync(j, 10, true), NUMSEQ_OK);
	a->claimed[10] = true;
	assert_int_equal(claim_sync(j, 11, true), NUMSEQ_OK);
	a->claimed[11] = true;
	return j;
}

/* The operation; returns its code and acknowledges into a on success. */
static int fi_op(enum op op, struct numseq__journal **jp, numseq__jio_t *io, struct acked *a)
{
	struct rec r;
	numseq_options_t o = opts(true);
	int rc;
	switch (op) {
	case OP_CREATE:
		rc = jopen(jp, NUMSEQ_OPEN_CREATE, &o, io, &r, NULL, NULL);
		if (rc == NUMSEQ_OK) {
			a->exists = true;
			ack_state(a, 1, false);
		}
		return rc;
	case OP_RESERVE:
		rc = numseq__j_reserve(*jp, 100, true, 200, true, NULL);
		if (rc == NUMSEQ_OK)
			ack_state(a, 200, true);
		return rc;
	case OP_STATE:
		rc = numseq__j_state(*jp, NUMSEQ__JF_CAUSE_SETVAL, 300, true, 400, true, NULL);
		if (rc == NUMSEQ_OK)
			ack_state(a, 400, true);
		return rc;
	case OP_CLAIM:
		rc = claim_sync(*jp, 50, true);
		if (rc == NUMSEQ_OK)
			a->claimed[50] = true;
		return rc;
	case OP_COMPACT: {
		numseq__jrun_t runs[] = {{10, 2}};
		struct runs rs = {runs, 1, 0};
		return numseq__j_compact(*jp, NULL, 100, true, next_run, &rs, NULL);
	}
	case OP_CLOSE:
		/* The caller closes having handed out up to 60 (inside the
		 * reservation up to 100): from here on 60 is the floor, and a
		 * CLOSE record that reached the file says exactly that, whether
		 * or not its fdatasync returned. */
		ack_state(a, 60, true);
		rc = numseq__j_close(*jp, 60, true, NULL);
		*jp = NULL;
		if (rc == NUMSEQ_OK)
			a->closed = true;
		return rc;
	default: return NUMSEQ_EINVAL;
	}
}

static uint64_t violations;

#define VIOLATION(...)                      \
	do {                                \
		violations++;               \
		print_message(__VA_ARGS__); \
	} while (0)

/* Reopens the directory (real calls) and checks it against the oracle. */
static void fi_check(const struct acked *a, const char *what)
{
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	int rc = jopen(&j, 0, NULL, NULL, &r, &res, &err);
	if (rc == NUMSEQ_ENOENT && !a->exists)
		return;
	if (rc != NUMSEQ_OK) {
		VIOLATION("%s: reopen: %d %s\n", what, rc, err.message);
		return;
	}
	/* P1: never behind an acknowledged state (ascending: position). */
	int64_t pos = res.last_value * 2 + (res.is_called ? 1 : 0);
	int64_t apos = a->last * 2 + (a->called ? 1 : 0);
	if (a->exists && pos < apos)
		VIOLATION("%s: resumes at %" PRId64 "/%d, acknowledged %" PRId64 "/%d\n", what,
		          res.last_value, res.is_called, a->last, a->called);
	if (a->closed && (pos != apos || !res.info.clean_open))
		VIOLATION("%s: clean close not exact\n", what);
	/* P3: every acknowledged claim. */
	for (int v = 0; v < NVAL; v++)
		if (a->claimed[v] && !r.claimed[v])
			VIOLATION("%s: acknowledged claim %d lost\n", what, v);
	/* And it can go on. */
	rc = numseq__j_reserve(j, res.last_value, res.is_called, 900, true, &err);
	if (rc != NUMSEQ_OK)
		VIOLATION("%s: reserve after reopen: %s\n", what, err.message);
	numseq__j_abandon(j);
}

static uint64_t fi_trials, fi_points;

static void fi_run(enum op op)
{
	/* Count the calls: the setup's, then the operation's. */
	numseq__jfault_t *f;
	struct acked a;
	reset_dir();
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	struct numseq__journal *j = fi_setup(op, io, &a);
	uint64_t base = numseq__jfault_calls(f, NUMSEQ__JIO_ANY);
	assert_int_equal(fi_op(op, &j, io, &a), NUMSEQ_OK);
	uint64_t calls = numseq__jfault_calls(f, NUMSEQ__JIO_ANY) - base;
	if (j != NULL)
		numseq__j_abandon(j);
	numseq__jfault_destroy(&f);
	fi_points += calls;

	for (uint64_t k = 1; k <= calls; k++) {
		for (int kind = 0; kind < NKINDS; kind++) {
			char what[128];
			snprintf(what, sizeof what, "%s call %" PRIu64 "/%" PRIu64 " kind %d",
			         op_name[op], k, calls, kind);
			reset_dir();
			assert_int_equal(numseq__jfault_create(&f, dfd), 0);
			io = numseq__jfault_io(f);
			j = fi_setup(op, io, &a);
			numseq__jfault_rule_t rule =
				{NUMSEQ__JIO_ANY, base + k, NUMSEQ__FAULT_ERR, EIO, 0, false};
			if (kind == K_ENOSPC_LIVE || kind == K_ENOSPC_LOSS)
				rule.err = ENOSPC;
			else if (kind == K_SHORT) {
				rule.action = NUMSEQ__FAULT_SHORT;
				rule.bytes = 7;
			} else if (kind >= K_CRASH0) {
				rule.action = NUMSEQ__FAULT_CRASH;
				rule.bytes = 11;
			}
			assert_int_equal(numseq__jfault_add(f, &rule), 0);
			int rc = fi_op(op, &j, io, &a);
			bool crashed = numseq__jfault_crashed(f);
			if (kind == K_SHORT && rc != NUMSEQ_OK)
				VIOLATION("%s: a short write failed the call (%d)\n", what, rc);
			/* P6: after a failure, no durable call succeeds. */
			if (rc != NUMSEQ_OK && j != NULL && !crashed) {
				if (!numseq__j_failed(j))
					VIOLATION("%s: failed (%d) but not fail-stop\n", what, rc);
				if (numseq__j_reserve(j, 100, true, 800, true, NULL) !=
				    NUMSEQ_EFAILED)
					VIOLATION("%s: a durable call after the failure\n", what);
				if (claim(j, 60, true) != 0)
					VIOLATION("%s: a claim logged after the failure\n", what);
			}
			if (rc == NUMSEQ_OK && op == OP_CLAIM && j != NULL && !crashed &&
			    claim_sync(j, 61, true) == NUMSEQ_OK)
				a.claimed[61] = true;
			if (j != NULL)
				numseq__j_abandon(j);
			if (kind >= K_CRASH0 || kind == K_EIO_LOSS || kind == K_ENOSPC_LOSS) {
				numseq__jfault_fate_t fate = kind >= K_CRASH0
				                                     ? fates[kind - K_CRASH0]
				                                     : fates[0];
				assert_int_equal(numseq__jfault_replay(f, &fate), 0);
			}
			numseq__jfault_destroy(&f);
			fi_check(&a, what);
			fi_trials++;
		}
	}
}

static void test_fault_injection(void **state)
{
	(void)state;
	for (int op = 0; op < OP_N; op++) {
		uint64_t p0 = fi_points, t0 = fi_trials;
		fi_run((enum op)op);
		print_message("fault injection: %-8s %3" PRIu64 " I/O calls x %d kinds = %4" PRIu64
		              " trials\n",
		              op_name[op], fi_points - p0, NKINDS, fi_trials - t0);
	}
	print_message("fault injection: %" PRIu64 " injection points x %d kinds = %" PRIu64
	              " trials, %" PRIu64 " violations\n",
	              fi_points, NKINDS, fi_trials, violations);
	assert_int_equal(violations, 0);
}

/* -------------------------------------------- error and edge paths */

/* The stored form of opts(true), for forging files. */
static numseq__jopts_t jopts_claims(void)
{
	numseq__jopts_t jo;
	memset(&jo, 0, sizeof jo);
	jo.type = NUMSEQ_BIGINT;
	jo.start = 1;
	jo.increment = 1;
	jo.minvalue = 1;
	jo.maxvalue = 1000;
	jo.cache = 1;
	jo.claims = NUMSEQ_CLAIMS_LOWEST_FREE;
	jo.name_len = 1;
	jo.name[0] = 's';
	return jo;
}

/* A journal written record by record (LSNs from 1, each synced). */
struct forge {
	uint8_t buf[8192];
	size_t len;
	uint64_t lsn;
};

#define FORGE_FID UINT64_C(0x0123456789abcdef)

static void forge_init(struct forge *fg, uint32_t version, const numseq__jopts_t *jo)
{
	memset(fg, 0, sizeof *fg);
	numseq__jhdr_t h = {version, 0, numseq__jf_fingerprint(jo), FORGE_FID, 1, 0, 1};
	assert_int_equal(numseq__jf_header_encode(&h, fg->buf), NUMSEQ_OK);
	fg->len = NUMSEQ__JF_HDR_LEN;
	fg->lsn = 1;
}

static void forge_add(struct forge *fg, numseq__jrec_t r)
{
	size_t len = 0;
	r.lsn = fg->lsn++;
	r.durable_lsn = r.lsn - 1;
	assert_int_equal(numseq__jf_encode(&r, FORGE_FID, fg->buf + fg->len,
	                                   sizeof fg->buf - fg->len, &len),
	                 NUMSEQ_OK);
	fg->len += len;
}

static bool has(const numseq_error_t *err, const char *text)
{
	if (strstr(err->message, text) != NULL)
		return true;
	print_message("message \"%s\" lacks \"%s\"\n", err->message, text);
	return false;
}

static bool tmp_exists(void)
{
	struct stat st;
	return fstatat(dfd, "j.tmp", &st, 0) == 0;
}

static void test_argument_guards(void **state)
{
	(void)state;
	struct numseq__journal *j = (struct numseq__journal *)&j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	char longname[80];
	memset(longname, 'x', 64);
	longname[64] = '\0';

	assert_int_equal(numseq__j_open(NULL, path, NUMSEQ_OPEN_CREATE, &o, W, NULL, NULL, NULL,
	                                &err),
	                 NUMSEQ_EINVAL);
	assert_true(has(&err, "out is NULL"));
	assert_int_equal(numseq__j_open(&j, NULL, NUMSEQ_OPEN_CREATE, &o, W, NULL, NULL, NULL,
	                                &err),
	                 NUMSEQ_EINVAL);
	assert_null(j);
	assert_true(has(&err, "NULL path"));
	char bad[310];
	snprintf(bad, sizeof bad, "%s/", dir);
	j = (struct numseq__journal *)&j;
	assert_int_equal(numseq__j_open(&j, bad, NUMSEQ_OPEN_CREATE, &o, W, NULL, NULL, NULL, &err),
	                 NUMSEQ_EINVAL);
	assert_null(j);
	assert_true(has(&err, "journal path"));

	/* Creation refused before anything is written. */
	numseq_options_t ln = o;
	ln.name = longname;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &ln, NULL, &r, NULL, &err), NUMSEQ_ENAME);
	assert_null(j);
	assert_string_equal(err.message, "sequence name must be 1 to 63 bytes");
	numseq_options_t inc0 = o;
	inc0.increment = 0;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &inc0, NULL, &r, NULL, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "invalid options"));
	numseq_options_t far = o;
	far.set |= NUMSEQ_OPT_RESTART_WITH;
	far.restart = 5000;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &far, NULL, &r, NULL, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "initial value outside"));
	assert_int_equal(file_size(), 0);
	assert_false(tmp_exists());
	assert_int_equal(r.options_calls, 0);

	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	uint64_t size0 = file_size();
	assert_int_equal(numseq__j_reserve(NULL, 1, false, 100, true, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "NULL handle"));
	assert_int_equal(numseq__j_state(j, 7, 1, true, 100, true, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "bad cause"));
	assert_int_equal(numseq__j_alter(j, NULL, 1, true, 100, true, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "NULL options"));
	assert_int_equal(numseq__j_alter(j, &ln, 1, true, 100, true, &err), NUMSEQ_ENAME);
	assert_int_equal(numseq__j_sync(NULL, 3, &err), NUMSEQ_EINVAL);
	assert_int_equal(numseq__j_sync(j, 0, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "LSN 0"));
	assert_int_equal(numseq__j_compact(NULL, &o, 1, false, NULL, NULL, &err), NUMSEQ_EINVAL);
	assert_int_equal(numseq__j_close(NULL, 1, false, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "NULL handle"));
	assert_false(numseq__j_failed(NULL));
	numseq__j_abandon(NULL); /* no-op */

	/* Records the scan would call corrupt are refused, all or nothing. */
	assert_int_equal(numseq__j_reserve(j, 1, false, 5000, true, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "record refused (invalid state or options)"));
	assert_int_equal(numseq__j_state(j, NUMSEQ__JF_CAUSE_SETVAL, 10, true, 5000, true, &err),
	                 NUMSEQ_EINVAL);
	assert_int_equal(claim(j, 5000, true), 0); /* off the range: not logged */
	assert_false(numseq__j_failed(j));
	numseq_journal_info_t info;
	numseq__j_info(j, &info);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.file_bytes, size0);
	assert_int_equal(file_size(), size0);

	/* Already durable: the fast path; beyond what was appended: EINVAL. */
	uint64_t lsn = claim(j, 5, true);
	assert_int_equal(lsn, 3);
	assert_int_equal(numseq__j_sync(j, lsn, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_sync(j, lsn, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_sync(j, lsn + 5, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "LSN 8 not appended"));
	assert_false(numseq__j_failed(j));
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);

	/* An existing journal checked against options it cannot have. */
	assert_int_equal(jopen(&j, 0, &ln, NULL, &r, NULL, &err), NUMSEQ_ENAME);
	assert_null(j);
	assert_int_equal(jopen(&j, 0, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_true(r.claimed[5]);
	numseq__j_abandon(j);
}

/* Appends beyond the first buffer's 4 KiB before one sync: it grows. */
static void test_buffer_growth(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	uint64_t size0 = file_size();
	uint64_t lsn = 0;
	for (int v = 1; v <= 600; v++) {
		uint64_t l = claim(j, v, true);
		assert_int_equal(l, lsn == 0 ? 3 : lsn + 1);
		lsn = l;
	}
	assert_int_equal(file_size(), size0); /* all in the buffer */
	assert_int_equal(numseq__j_sync(j, lsn, &err), NUMSEQ_OK);
	assert_true(file_size() > size0 + 600 * 28);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	for (int v = 1; v <= 600; v++)
		assert_true(r.claimed[v]);
	assert_false(r.claimed[601]);
	numseq__j_abandon(j);
}

/* An I/O failure, then every path of a failed journal. */
static void test_failed_journal(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	struct numseq__journal *j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, io, &r, NULL, &err), NUMSEQ_OK);
	numseq__jfault_rule_t rule = {NUMSEQ__JIO_FDATASYNC,
	                              numseq__jfault_calls(f, NUMSEQ__JIO_FDATASYNC) + 1,
	                              NUMSEQ__FAULT_ERR,
	                              EIO,
	                              0,
	                              false};
	assert_int_equal(numseq__jfault_add(f, &rule), 0);
	uint64_t l1 = claim(j, 5, true), l2 = claim(j, 6, true);
	assert_int_equal(l2, l1 + 1);
	assert_int_equal(numseq__j_sync(j, l1, &err), NUMSEQ_EIO);
	assert_true(has(&err, "write or fdatasync failed"));
	assert_true(numseq__j_failed(j));
	/* The other record of the failed write: an earlier failure. */
	assert_int_equal(numseq__j_sync(j, l2, &err), NUMSEQ_EFAILED);
	assert_true(has(&err, "an earlier I/O failure"));
	assert_int_equal(claim(j, 7, true), 0);
	numseq__jrun_t runs[] = {{5, 2}};
	struct runs rs = {runs, 1, 0};
	uint64_t opens = numseq__jfault_calls(f, NUMSEQ__JIO_OPEN);
	assert_int_equal(numseq__j_compact(j, &o, 1, false, next_run, &rs, &err), NUMSEQ_EFAILED);
	assert_true(has(&err, "an earlier I/O failure"));
	assert_int_equal(rs.i, 0);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_OPEN), opens);
	numseq_journal_info_t info;
	numseq__j_info(j, &info);
	assert_true(info.failed);
	assert_int_equal(info.failed_errno, EIO);
	uint64_t size = file_size();
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_EFAILED); /* frees j */
	assert_true(has(&err, "reopen the journal"));
	numseq__jfault_destroy(&f);
	assert_int_equal(file_size(), size); /* no CLOSE */
	struct numseq__jopened res;
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_false(res.info.clean_open);
	assert_false(res.info.failed);
	numseq__j_abandon(j);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	struct numseq__journal *j = (struct numseq__journal *)&j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	numseq__fail_alloc_at(1); /* the handle */
	int rc = jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err);
	numseq__fail_alloc_at(0);
	assert_int_equal(rc, NUMSEQ_ENOMEM);
	assert_null(j);
	assert_string_equal(err.message, "out of memory");
	assert_int_equal(file_size(), 0);

	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 9, true), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	uint64_t size = file_size();
	/* 2: the first scan's buffer; 3: the claims replay's. */
	for (long k = 2; k <= 3; k++) {
		numseq__fail_alloc_at(k);
		rc = jopen(&j, 0, NULL, NULL, &r, NULL, &err);
		numseq__fail_alloc_at(0);
		assert_int_equal(rc, NUMSEQ_ENOMEM);
		assert_null(j);
		assert_string_equal(err.message, "out of memory");
		assert_int_equal(r.options_calls, k == 2 ? 0 : 1);
		assert_int_equal(file_size(), size);
	}
	/* Nothing held: the lock is free, the journal intact. */
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_true(r.claimed[9]);
	numseq__j_abandon(j);
}

/* Reopens after a crash with the reservation from -> to open. */
static void crash_reopen(int64_t fl, bool fc, int64_t tl, bool tc, struct numseq__jopened *res)
{
	struct numseq__journal *j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(false);
	reset_dir();
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, fl, fc, tl, tc, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, res, &err), NUMSEQ_OK);
	assert_int_equal(res->last_value, tl);
	assert_int_equal(res->is_called, tc);
	assert_false(res->info.clean_open);
	numseq__j_abandon(j);
}

/* Reservations of unusual shapes: what a crash inside each skipped. */
static void test_gap_shapes(void **state)
{
	(void)state;
	struct numseq__jopened res;
	/* From the bound, without CYCLE: nothing could be handed out. */
	crash_reopen(1000, true, 5, true, &res);
	assert_false(res.info.gap);
	assert_int_equal(res.info.gap_events, 0);
	/* To a state not called, covering nothing. */
	crash_reopen(1, true, 1, false, &res);
	assert_false(res.info.gap);
	assert_int_equal(res.info.gap_events, 0);
	/* To a state not called: up to the number before it. */
	crash_reopen(1, false, 50, false, &res);
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 1);
	assert_int_equal(res.info.gap_last, 49);
	assert_int_equal(res.info.gap_count, 49);
	assert_int_equal(res.info.gap_events, 1);
	assert_int_equal(res.info.gap_values, 49);
	/* Behind its from-state without CYCLE: not a reservation. */
	crash_reopen(500, true, 100, true, &res);
	assert_false(res.info.gap);
	assert_int_equal(res.info.gap_values, 0);
}

/* Files written with jformat's encoder. */
static void test_forged_files(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq__jopts_t jo = jopts_claims();
	struct forge fg;

	/* Another format version. */
	forge_init(&fg, 2, &jo);
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = jo});
	put_file(fg.buf, fg.len);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_EVERSION);
	assert_null(j);
	assert_true(has(&err, "format version 2 or features not supported"));
	assert_int_equal(r.options_calls, 0);

	/* Claim runs, and a RESERVE of the old format (no from-state), open
	 * at the crash: the gap runs from the state before it. */
	forge_init(&fg, NUMSEQ__JF_VERSION, &jo);
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = jo});
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {10, 5}});
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN, .run = {10, 2}});
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_STATE,
	                                .state = {20, 0, true, NUMSEQ__JF_CAUSE_SETVAL}});
	forge_add(&fg, (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE,
	                                .state = {60, 0, true, 0},
	                                .window = 40});
	put_file(fg.buf, fg.len);
	assert_int_equal(numseq__j_open(&j, path, 0, NULL, 0, NULL,
	                                &(struct numseq__jreplay){.ctx = &r,
	                                                          .options = rec_options,
	                                                          .claims = rec_claims},
	                                &res, &err),
	                 NUMSEQ_OK);
	for (int v = 0; v < 20; v++)
		assert_int_equal(r.claimed[v], v >= 12 && v <= 14);
	assert_int_equal(res.last_value, 60);
	assert_true(res.is_called);
	assert_int_equal(res.info.window, 40); /* the journal's own */
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 21);
	assert_int_equal(res.info.gap_last, 60);
	assert_int_equal(res.info.gap_count, 40);
	assert_int_equal(res.info.records, 6); /* + the GAP */
	numseq__j_abandon(j);
}

static int options_fail(void *ctx, const numseq_options_t *o, numseq_error_t *err)
{
	int *calls = ctx;
	(*calls)++;
	(void)o;
	if (err != NULL) {
		err->code = NUMSEQ_ERANGE;
		snprintf(err->message, sizeof err->message, "options refused by the test");
	}
	return NUMSEQ_ERANGE;
}

static int claims_fail(void *ctx, int64_t first, uint64_t count, bool claimed)
{
	(void)ctx;
	(void)first;
	(void)count;
	(void)claimed;
	return NUMSEQ_ERANGE;
}

static int options_ok(void *ctx, const numseq_options_t *o, numseq_error_t *err)
{
	(void)ctx;
	(void)o;
	(void)err;
	return 0;
}

/* The tail a callback writes into the file between the two passes. */
static const uint8_t *grow_bytes;
static size_t grow_from, grow_to;

static int options_grow(void *ctx, const numseq_options_t *o, numseq_error_t *err)
{
	(void)ctx;
	(void)o;
	(void)err;
	int fd = openat(dfd, "j", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, grow_bytes + grow_from, grow_to - grow_from, (off_t)grow_from),
	                 (ssize_t)(grow_to - grow_from));
	close(fd);
	return 0;
}

static void test_replay_failures(void **state)
{
	(void)state;
	struct numseq__journal *j = NULL;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	int calls = 0;
	struct numseq__jreplay fail_opts = {.ctx = &calls, .options = options_fail};

	/* The caller refuses the options of a new journal: nothing stays
	 * open (the file does, durable). */
	assert_int_equal(numseq__j_open(&j, path, NUMSEQ_OPEN_CREATE, &o, W, NULL, &fail_opts, NULL,
	                                &err),
	                 NUMSEQ_ERANGE);
	assert_null(j);
	assert_int_equal(calls, 1);
	assert_string_equal(err.message, "options refused by the test");
	/* ... and of an existing one. */
	assert_int_equal(numseq__j_open(&j, path, 0, NULL, W, NULL, &fail_opts, NULL, &err),
	                 NUMSEQ_ERANGE);
	assert_null(j);
	assert_int_equal(calls, 2);

	/* A claim the caller cannot replay: a snapshot's run, a CLAIM. */
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	numseq__jrun_t runs[] = {{5, 2}};
	struct runs rs = {runs, 1, 0};
	assert_int_equal(numseq__j_compact(j, &o, 1, false, next_run, &rs, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	struct numseq__jreplay fail_claims = {.options = options_ok, .claims = claims_fail};
	for (int round = 0; round < 2; round++) {
		assert_int_equal(numseq__j_open(&j, path, 0, NULL, W, NULL, &fail_claims, NULL,
		                                &err),
		                 NUMSEQ_ERANGE);
		assert_null(j);
		assert_true(has(&err, "replaying a claim failed"));
		if (round == 0) { /* now a CLAIM record after the snapshot */
			reset_dir();
			assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err),
			                 NUMSEQ_OK);
			assert_int_equal(claim_sync(j, 8, true), NUMSEQ_OK);
			assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
		}
	}

	/* The file grows between the two passes (another writer): refused. */
	reset_dir();
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	size_t n1, n2;
	uint8_t *f1 = slurp(&n1);
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 7, true), NUMSEQ_OK);
	numseq__j_abandon(j);
	uint8_t *f2 = slurp(&n2);
	assert_true(n2 > n1);
	assert_memory_equal(f1, f2, n1);
	put_file(f1, n1);
	grow_bytes = f2;
	grow_from = n1;
	grow_to = n2;
	struct numseq__jreplay grow = {.options = options_grow, .claims = rec_claims};
	memset(&r, 0, sizeof r);
	r.o.increment = 1;
	grow.ctx = &r;
	assert_int_equal(numseq__j_open(&j, path, 0, NULL, W, NULL, &grow, NULL, &err), NUMSEQ_EIO);
	assert_null(j);
	assert_true(has(&err, "changed while it was read"));
	free(f1);
	free(f2);
	/* What was appended is a valid record: the next open takes it. */
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_true(r.claimed[7]);
	numseq__j_abandon(j);
}

/* Opening an existing journal with the k-th call of a kind failing. */
static int open_faulty(int kind, uint64_t nth, int errnum, numseq_error_t *err)
{
	numseq__jfault_t *f;
	struct numseq__journal *j = (struct numseq__journal *)&f;
	struct rec r;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jfault_rule_t rule = {kind, nth, NUMSEQ__FAULT_ERR, errnum, 0, false};
	assert_int_equal(numseq__jfault_add(f, &rule), 0);
	int rc = jopen(&j, 0, NULL, numseq__jfault_io(f), &r, NULL, err);
	assert_true(numseq__jfault_calls(f, kind) >= nth);
	if (rc == NUMSEQ_OK)
		numseq__j_abandon(j);
	else
		assert_null(j);
	numseq__jfault_destroy(&f);
	return rc;
}

static void test_open_io_failures(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct numseq__jopened res;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 4, true), NUMSEQ_OK);
	numseq__j_abandon(j); /* a crash inside the reservation */
	uint64_t size = file_size();

	/* The leftover temporary file cannot be removed. */
	assert_int_equal(open_faulty(NUMSEQ__JIO_UNLINK, 1, EIO, &err), NUMSEQ_EIO);
	assert_true(has(&err, "removing j.tmp"));
	/* The file cannot be read. */
	assert_int_equal(open_faulty(NUMSEQ__JIO_PREAD, 1, EIO, &err), NUMSEQ_EIO);
	assert_true(has(&err, "read failed: Input/output error"));
	/* Syncing what a crashed process left cannot be done. */
	assert_int_equal(open_faulty(NUMSEQ__JIO_FDATASYNC, 1, EIO, &err), NUMSEQ_EIO);
	assert_true(has(&err, "fdatasync failed: Input/output error"));
	assert_int_equal(open_faulty(NUMSEQ__JIO_FDATASYNC, 1, ENOSPC, &err), NUMSEQ_ENOSPC);
	/* The GAP record cannot be written: nothing is handed out.  (The
	 * lock file's ftruncate and pid pwrite come first.) */
	assert_int_equal(open_faulty(NUMSEQ__JIO_PWRITE, 2, EIO, &err), NUMSEQ_EIO);
	assert_true(has(&err, "write or fdatasync failed"));
	assert_int_equal(file_size(), size);

	/* A torn tail that cannot be cut. */
	size_t n;
	uint8_t *b = slurp(&n);
	uint8_t *t = malloc(n + 9);
	assert_non_null(t);
	memcpy(t, b, n);
	memset(t + n, 0xa5, 9);
	put_file(t, n + 9);
	assert_int_equal(open_faulty(NUMSEQ__JIO_FTRUNCATE, 2, EIO, &err), NUMSEQ_EIO);
	assert_true(has(&err, "truncating the torn tail failed"));
	assert_int_equal(file_size(), n + 9);
	free(t);
	free(b);

	/* Every failure left the journal as it was: it recovers now. */
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_int_equal(res.info.truncated, 9);
	assert_true(res.info.gap);
	assert_int_equal(res.info.gap_first, 1);
	assert_int_equal(res.info.gap_last, 100);
	assert_true(r.claimed[4]);
	numseq__j_abandon(j);
}

static int iter_fail(void *ctx, int64_t *first, uint64_t *count)
{
	(void)ctx;
	(void)first;
	(void)count;
	return NUMSEQ_ERANGE;
}

/* Runs 1, 3, 5, ... (n of them). */
static int odd_runs(void *ctx, int64_t *first, uint64_t *count)
{
	uint64_t *left = ctx;
	static int64_t next = 1;
	if (*left == 0) {
		next = 1;
		return 0;
	}
	(*left)--;
	*first = next;
	*count = 1;
	next += 2;
	return 1;
}

static uint64_t claimed_total;

static int count_claims(void *ctx, int64_t first, uint64_t count, bool claimed)
{
	(void)ctx;
	if (claimed && first % 2 == 1)
		claimed_total += count;
	return 0;
}

static void test_compact_refusals(void **state)
{
	(void)state;
	struct numseq__journal *j;
	struct rec r;
	numseq_error_t err;
	numseq_options_t o = opts(true);
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &o, NULL, &r, NULL, &err), NUMSEQ_OK);
	assert_int_equal(numseq__j_reserve(j, 1, false, 100, true, &err), NUMSEQ_OK);
	assert_int_equal(claim_sync(j, 10, true), NUMSEQ_OK);
	size_t n0;
	uint8_t *b0 = slurp(&n0);

	/* The iterator fails: its code, the old file kept. */
	assert_int_equal(numseq__j_compact(j, &o, 100, true, iter_fail, NULL, &err), NUMSEQ_ERANGE);
	assert_true(has(&err, "compaction refused"));
	/* The claimed count overflows. */
	numseq__jrun_t huge[] = {{1, UINT64_C(1) << 63}, {2, UINT64_C(1) << 63}};
	struct runs rs = {huge, 2, 0};
	assert_int_equal(numseq__j_compact(j, &o, 100, true, next_run, &rs, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "the iterator failed"));
	/* Runs off the range: the snapshot does not read back. */
	numseq__jrun_t off[] = {{10, 1}, {5000, 1}};
	rs = (struct runs){off, 2, 0};
	assert_int_equal(numseq__j_compact(j, &o, 100, true, next_run, &rs, &err), NUMSEQ_EINVAL);
	assert_true(has(&err, "does not read back"));
	assert_false(tmp_exists());
	size_t n1;
	uint8_t *b1 = slurp(&n1);
	assert_int_equal(n1, n0);
	assert_memory_equal(b0, b1, n0);
	free(b0);
	free(b1);
	assert_false(numseq__j_failed(j));

	/* Usable after each; empty runs are skipped. */
	assert_int_equal(claim_sync(j, 11, true), NUMSEQ_OK);
	numseq__jrun_t zero[] = {{10, 0}, {11, 1}, {12, 0}};
	rs = (struct runs){zero, 3, 0};
	assert_int_equal(numseq__j_compact(j, &o, 100, true, next_run, &rs, &err), NUMSEQ_OK);
	numseq__j_abandon(j);
	struct numseq__jopened res;
	assert_int_equal(jopen(&j, 0, NULL, NULL, &r, &res, &err), NUMSEQ_OK);
	assert_false(r.claimed[10]);
	assert_true(r.claimed[11]);
	assert_false(r.claimed[12]);
	assert_true(res.info.gap); /* the reservation went along */
	assert_int_equal(res.info.gap_first, 1);
	assert_int_equal(res.info.gap_last, 100);
	numseq__j_abandon(j);

	/* More runs than one SNAPSHOT_RUNS record holds: several chunks. */
	reset_dir();
	numseq_options_t big = o;
	big.maxvalue = 100000;
	assert_int_equal(jopen(&j, NUMSEQ_OPEN_CREATE, &big, NULL, &r, NULL, &err), NUMSEQ_OK);
	uint64_t nr = NUMSEQ__JF_RUNS_MAX * 2 + 7;
	uint64_t left = nr;
	assert_int_equal(numseq__j_compact(j, &big, 1, false, odd_runs, &left, &err), NUMSEQ_OK);
	numseq_journal_info_t info;
	numseq__j_info(j, &info);
	assert_int_equal(info.records, 1 + 3); /* SNAPSHOT + 3 chunks */
	assert_int_equal(numseq__j_close(j, 1, false, &err), NUMSEQ_OK);
	claimed_total = 0;
	struct numseq__jreplay cnt = {.options = options_ok, .claims = count_claims};
	assert_int_equal(numseq__j_open(&j, path, 0, NULL, W, NULL, &cnt, NULL, &err), NUMSEQ_OK);
	assert_int_equal(claimed_total, nr);
	numseq__j_abandon(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_reopen, per_test),
		cmocka_unit_test_setup(test_alter_and_fingerprint, per_test),
		cmocka_unit_test_setup(test_enoent_eexist, per_test),
		cmocka_unit_test_setup(test_locked, per_test),
		cmocka_unit_test_setup(test_torn_tail_every_cut, per_test),
		cmocka_unit_test_setup(test_gap_ledger, per_test),
		cmocka_unit_test_setup(test_group_commit, per_test),
		cmocka_unit_test_setup(test_fault_injection, per_test),
		cmocka_unit_test_setup(test_argument_guards, per_test),
		cmocka_unit_test_setup(test_buffer_growth, per_test),
		cmocka_unit_test_setup(test_failed_journal, per_test),
		cmocka_unit_test_setup(test_alloc_failures, per_test),
		cmocka_unit_test_setup(test_gap_shapes, per_test),
		cmocka_unit_test_setup(test_forged_files, per_test),
		cmocka_unit_test_setup(test_replay_failures, per_test),
		cmocka_unit_test_setup(test_open_io_failures, per_test),
		cmocka_unit_test_setup(test_compact_refusals, per_test),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
