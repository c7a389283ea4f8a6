/*
 * journal.c - the persistence journal of one sequence: open with replay
 * and recovery, appends with group commit, compaction, close, fail-stop.
 * The contract is journal.h; the bytes are jformat.h and
 * docs/journal-format.md; every file operation goes through jio.h.
 *
 * Locking.  Three things, always taken in this order:
 *   claims_rw  read-held by a claim between its bitmap operation and its
 *              record (numseq__j_claim_begin/end), write-held by
 *              compaction, so that the snapshot's runs and the records
 *              after it never disagree;
 *   mu         the append buffer, the LSN counter, the file's end offset,
 *              the tracked state, `flushing` and `failed`;
 *   (I/O)      done by one flusher at a time, without mu, except by
 *              compaction and open/close, which hold mu (nobody may append
 *              while a new file is being written: its base takes the LSNs).
 * durable_lsn is published with a release store under mu after the
 * fdatasync returned, and read with acquire by numseq__j_sync's fast path:
 * a caller that sees its LSN covered may act on it being on disk.
 */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "jformat.h"
#include "numseq_internal.h"

#define SQLSTATE_IO "58030"      /* io_error */
#define SQLSTATE_CORRUPT "XX001" /* data_corrupted */
#define SQLSTATE_INUSE "55006"   /* object_in_use */
#define SQLSTATE_NOFILE "58P01"  /* undefined_file */
#define SQLSTATE_DUPFILE "58P02" /* duplicate_file */

/* What the last record that sets the state was (the gap decision). */
enum last_kind { LK_NONE = 0, LK_STATE, LK_RESERVE, LK_CLOSE, LK_GAP, LK_SNAPSHOT };

struct numseq__journal {
	numseq__jio_t *io;
	int dirfd, fd, lockfd;
	uint64_t window;
	bool window_given; /* by the caller; else the journal's own (recover) */

	pthread_rwlock_t claims_rw;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* flushing ended / durable_lsn moved */
	/* Group commit's gathering (sync_locked): threads waiting in a sync,
	 * how many the last flush served, how long it took, and the condition
	 * a gathering flusher waits on (CLOCK_MONOTONIC). */
	pthread_cond_t gcv;
	unsigned queued, last_batch;
	uint64_t last_flush_ns;
	bool gathering;

	/* Under mu. */
	uint8_t *buf; /* records appended, not yet written */
	size_t len, cap;
	uint8_t *spare; /* the other buffer (NULL while a flusher holds it) */
	size_t spare_cap;
	uint64_t next_lsn; /* LSN of the next record */
	uint64_t end;      /* file offset where buf goes */
	uint64_t records;  /* in the file, and in buf */
	uint64_t file_id, generation;
	bool flushing;
	bool failed;
	int fail_errno;
	int fail_code;
	numseq__jopts_t opts;      /* effective options (base + ALTERs appended) */
	numseq__jstate_t state;    /* the state a replay would resume from */
	int last_kind;             /* enum last_kind */
	numseq__jstate_t res_from; /* LK_RESERVE: its from-state */
	uint64_t gap_events, gap_values;
	numseq_journal_info_t opened; /* clean_open, truncated, gap* of the open */

	_Atomic uint64_t durable_lsn; /* every record up to it is on disk */
	_Atomic bool failed_flag;     /* failed, for numseq__j_failed without mu */

	char name[NAME_MAX + 1];
	char tmpname[NAME_MAX + 8];
	char path[PATH_MAX]; /* for messages */
};

/* ------------------------------------------------------------ helpers */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t uabs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* A random non-zero 64-bit file id: getrandom(2), else /dev/urandom, else
 * the clock and the address of a local (a file id only has to differ from
 * the previous file's, which the caller checks). */
static uint64_t random_id(uint64_t not_this)
{
	for (int tries = 0;; tries++) {
		uint64_t v = 0;
		if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
			int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
					v = 0;
				(void)close(fd);
			}
			if (v == 0) {
				struct timespec ts;
				(void)clock_gettime(CLOCK_MONOTONIC, &ts);
				v = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
				    ((uint64_t)(uintptr_t)&v << 17) ^ (uint64_t)tries;
			}
		}
		if (v != 0 && v != not_this)
			return v;
	}
}

/* strerror without its static buffer (thread-safe; glibc 2.32+). */
static const char *errstr(int e)
{
	const char *s = strerrordesc_np(e < 0 ? -e : e);
	return s != NULL ? s : "unknown error";
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* numseq_options_t (resolved, as the caller validated them) -> the stored
 * form.  false when the name does not fit. */
static bool opts_to_j(const numseq_options_t *o, numseq__jopts_t *jo)
{
	memset(jo, 0, sizeof *jo);
	jo->type = (uint8_t)(o->type == 0 ? NUMSEQ_BIGINT : o->type);
	jo->cycle = o->cycle;
	if ((o->set & NUMSEQ_OPT_CLAIMS) != 0) {
		jo->claims = (uint8_t)o->claims;
		jo->claims_flags = o->claims_flags;
	}
	jo->start = o->start;
	jo->increment = o->increment;
	jo->minvalue = o->minvalue;
	jo->maxvalue = o->maxvalue;
	jo->cache = o->cache;
	const char *name = o->name != NULL ? o->name : "numseq";
	size_t n = strlen(name);
	if (n == 0 || n > NUMSEQ__JF_NAME_MAX)
		return false;
	jo->name_len = (uint8_t)n;
	memcpy(jo->name, name, n);
	jo->name[n] = '\0';
	return true;
}

/* The stored form -> numseq_options_t, every field given.  The name points
 * into jo. */
static void opts_from_j(const numseq__jopts_t *jo, numseq_options_t *o)
{
	memset(o, 0, sizeof *o);
	o->set = NUMSEQ_OPT_TYPE | NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	         NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME |
	         NUMSEQ_OPT_CLAIMS;
	o->type = (numseq_type_t)jo->type;
	o->start = jo->start;
	o->increment = jo->increment;
	o->minvalue = jo->minvalue;
	o->maxvalue = jo->maxvalue;
	o->cache = jo->cache;
	o->cycle = jo->cycle;
	o->name = jo->name;
	o->claims = (numseq_claims_t)jo->claims;
	o->claims_flags = jo->claims_flags;
}

static numseq__jstate_t mkstate(int64_t last, bool called, uint8_t cause)
{
	numseq__jstate_t s = {.last_value = last, .wraps = 0, .is_called = called, .cause = cause};
	return s;
}

static bool same_state(const numseq__jstate_t *a, const numseq__jstate_t *b)
{
	return a->last_value == b->last_value && a->is_called == b->is_called;
}

/*
 * The numbers a crash may have skipped when the last reservation went from
 * state `from` to state `to`: those nextval would return after `from`, up
 * to the last one `to` covers (to's last_value if called, else the one
 * before it).  In the options' INCREMENT steps; under CYCLE the span may
 * wrap: from the first number to the range's end, then from its other end
 * (MINVALUE ascending, MAXVALUE descending, as a CYCLE wrap restarts) to
 * the last; then first lies past last in the step's direction and count
 * adds both pieces.  A span longer than one lap cannot be told from a
 * shorter one (the states carry no lap count): the count is then low by
 * whole laps, which only matters for a window larger than the range.
 * Returns the count (0: nothing skipped).
 */
static uint64_t gap_span(const numseq__jopts_t *o, const numseq__jstate_t *from,
                         const numseq__jstate_t *to, int64_t *first, int64_t *last)
{
	const int64_t inc = o->increment, min = o->minvalue, max = o->maxvalue;
	const uint64_t step = uabs64(inc);
	if (step == 0 || same_state(from, to))
		return 0;
	/* a: the first number after from. */
	int64_t a = from->last_value;
	if (from->is_called) {
		bool out = inc > 0 ? a > max - inc : a < min - inc;
		if (out) {
			if (!o->cycle)
				return 0; /* from was at the bound: nothing could be handed out */
			a = inc > 0 ? min : max;
		} else {
			a += inc;
		}
	}
	/* z: the last number to covers. */
	int64_t z = to->last_value;
	if (!to->is_called) {
		bool out = inc > 0 ? z < min + inc : z > max + inc;
		if (out)
			return 0; /* covers nothing of this lap (not a reservation's shape) */
		z -= inc;
	}
	bool wrapped = inc > 0 ? z < a : z > a;
	uint64_t count;
	if (!wrapped) {
		count = (inc > 0 ? (uint64_t)z - (uint64_t)a : (uint64_t)a - (uint64_t)z) / step +
		        1;
	} else {
		if (!o->cycle)
			return 0; /* to behind from without CYCLE: not a reservation */
		uint64_t c1 = (inc > 0 ? (uint64_t)max - (uint64_t)a
		                       : (uint64_t)a - (uint64_t)min) /
		                      step +
		              1;
		uint64_t c2 = (inc > 0 ? (uint64_t)z - (uint64_t)min
		                       : (uint64_t)max - (uint64_t)z) /
		                      step +
		              1;
		count = sat_add(c1, c2);
	}
	*first = a;
	*last = z;
	return count;
}

/* ------------------------------------------------------- the handle */

static void j_free(struct numseq__journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		(void)j->io->close(j->io, j->fd);
	if (j->lockfd >= 0)
		(void)j->io->close(j->io, j->lockfd);
	if (j->dirfd >= 0)
		(void)j->io->close(j->io, j->dirfd);
	pthread_cond_destroy(&j->cv);
	pthread_cond_destroy(&j->gcv);
	pthread_mutex_destroy(&j->mu);
	pthread_rwlock_destroy(&j->claims_rw);
	free(j->buf);
	free(j->spare);
	free(j);
}

static struct numseq__journal *j_alloc(numseq__jio_t *io, uint64_t window)
{
	struct numseq__journal *j = numseq__calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->io = io;
	j->dirfd = j->fd = j->lockfd = -1;
	j->window = window;
	bool ok = pthread_mutex_init(&j->mu, NULL) == 0;
	ok = pthread_cond_init(&j->cv, NULL) == 0 && ok;
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) == 0) {
		ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && ok;
		ok = pthread_cond_init(&j->gcv, &ca) == 0 && ok;
		(void)pthread_condattr_destroy(&ca);
	} else {
		ok = false;
	}
	ok = pthread_rwlock_init(&j->claims_rw, NULL) == 0 && ok;
	atomic_init(&j->durable_lsn, 0);
	atomic_init(&j->failed_flag, false);
	if (!ok) {
		free(j);
		return NULL;
	}
	return j;
}

/* The first I/O failure (err: a negative errno): fail-stop.  Returns what
 * the failing call reports: NUMSEQ_ENOSPC or NUMSEQ_EIO.  Under mu. */
static int fail_locked(struct numseq__journal *j, int err)
{
	if (!j->failed) {
		j->failed = true;
		j->fail_errno = err < 0 ? -err : err;
		j->fail_code = numseq__jio_errcode(err) == NUMSEQ_ENOSPC ? NUMSEQ_ENOSPC
		                                                         : NUMSEQ_EIO;
		/* relaxed: a hint for numseq__j_failed; every decision that
		 * matters reads `failed` under mu. */
		atomic_store_explicit(&j->failed_flag, true, memory_order_relaxed);
	}
	return j->fail_code;
}

static int io_msg(struct numseq__journal *j, numseq_error_t *err, int code, const char *what)
{
	if (code == NUMSEQ_EFAILED)
		return numseq__fail(err, code, SQLSTATE_IO,
		                    "journal \"%s\": an earlier I/O failure (%s) stopped durable "
		                    "work; reopen the journal",
		                    j->path, errstr(j->fail_errno));
	return numseq__fail(err, code, SQLSTATE_IO, "journal \"%s\": %s failed: %s", j->path, what,
	                    errstr(j->fail_errno));
}

/* Appends one record to the buffer: LSN and durable_lsn assigned here.
 * Checks it as the scan will (NUMSEQ_EINVAL: nothing appended).  Under mu,
 * not failed. */
static int append_locked(struct numseq__journal *j, const numseq__jopts_t *o, numseq__jrec_t *r)
{
	if (numseq__jf_check_next(o, r) != 0)
		return NUMSEQ_EINVAL;
	r->lsn = j->next_lsn;
	/* relaxed: durable_lsn is only written under mu, which we hold. */
	r->durable_lsn = atomic_load_explicit(&j->durable_lsn, memory_order_relaxed);
	size_t n = numseq__jf_encoded_size(r);
	if (n == 0)
		return NUMSEQ_EINVAL;
	if (j->cap - j->len < n) {
		size_t cap = j->cap < 4096 ? 4096 : j->cap;
		while (cap - j->len < n)
			cap *= 2;
		uint8_t *nb = realloc(j->buf, cap);
		if (nb == NULL)
			return NUMSEQ_ENOMEM;
		j->buf = nb;
		j->cap = cap;
	}
	size_t len;
	int rc = numseq__jf_encode(r, j->file_id, j->buf + j->len, j->cap - j->len, &len);
	if (rc != NUMSEQ_OK)
		return rc;
	j->len += len;
	j->next_lsn++;
	j->records++;
	return NUMSEQ_OK;
}

/* Writes and syncs the whole buffer.  With unlock, mu is released during
 * the I/O (the group-commit flusher; `flushing` keeps other flushers out);
 * without, mu stays held (compaction, open).  Under mu, !flushing,
 * !failed. */
static int flush_locked(struct numseq__journal *j, bool unlock)
{
	if (j->len == 0)
		return NUMSEQ_OK;
	uint8_t *b = j->buf;
	size_t n = j->len, bcap = j->cap;
	uint64_t upto = j->next_lsn - 1, off = j->end;
	/* The appenders go on in the other buffer. */
	j->buf = j->spare;
	j->cap = j->spare_cap;
	j->len = 0;
	j->spare = NULL;
	j->spare_cap = 0;
	j->flushing = true;
	if (unlock)
		pthread_mutex_unlock(&j->mu);
	int e = numseq__jio_pwrite_all(j->io, j->fd, b, n, off, NULL);
	if (e == 0)
		e = j->io->fdatasync(j->io, j->fd);
	if (unlock)
		pthread_mutex_lock(&j->mu);
	j->flushing = false;
	j->spare = b;
	j->spare_cap = bcap;
	int rc = NUMSEQ_OK;
	if (e != 0) {
		/* Never retried: the page cache may have dropped what the failed
		 * fdatasync did not write (fsyncgate). */
		rc = fail_locked(j, e);
	} else {
		j->end = off + n;
		/* release: pairs with numseq__j_sync's acquire fast path; a
		 * reader seeing upto knows the fdatasync covering it returned. */
		atomic_store_explicit(&j->durable_lsn, upto, memory_order_release);
	}
	pthread_cond_broadcast(&j->cv);
	return rc;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/*
 * Waits (under mu) until lsn is durable, flushing as the group's flusher
 * when nobody else is.  NUMSEQ_EIO / NUMSEQ_ENOSPC: this call's own I/O
 * failed; NUMSEQ_EFAILED: an earlier or another thread's I/O did.
 *
 * Gathering: without it, T threads split into two alternating halves
 * (those woken by one flush append while the next is already running, so
 * each fdatasync carries about T/2).  A would-be flusher that sees fewer
 * threads waiting than the last flush served waits for the others to
 * append, for at most the last flush's duration (capped at 2 ms),
 * then flushes whatever is there, as PostgreSQL's commit_delay does.  A
 * lone caller (last batch of one) never waits.
 */
static int sync_locked(struct numseq__journal *j, uint64_t lsn)
{
	bool counted = false, gathered = false;
	int rc;
	for (;;) {
		if (atomic_load_explicit(&j->durable_lsn, memory_order_relaxed) >= lsn) {
			rc = NUMSEQ_OK; /* relaxed: written under mu, held */
			break;
		}
		if (j->failed) {
			rc = NUMSEQ_EFAILED;
			break;
		}
		if (lsn >= j->next_lsn) {
			rc = NUMSEQ_EINVAL;
			break;
		}
		if (!counted) {
			counted = true;
			j->queued++;
			if (j->gathering)
				pthread_cond_signal(&j->gcv);
		}
		if (j->flushing) {
			pthread_cond_wait(&j->cv, &j->mu);
			continue;
		}
		if (!gathered && j->queued < j->last_batch && j->last_flush_ns > 0) {
			uint64_t wait = j->last_flush_ns, until;
			struct timespec ts;
			gathered = true;
			if (wait > UINT64_C(2000000))
				wait = UINT64_C(2000000);
			until = mono_ns() + wait;
			ts.tv_sec = (time_t)(until / UINT64_C(1000000000));
			ts.tv_nsec = (long)(until % UINT64_C(1000000000));
			j->gathering = true;
			while (!j->flushing && !j->failed && j->queued < j->last_batch &&
			       atomic_load_explicit(&j->durable_lsn, memory_order_relaxed) < lsn &&
			       pthread_cond_timedwait(&j->gcv, &j->mu, &ts) == 0)
				;
			j->gathering = false;
			continue; /* re-check: another thread may have flushed */
		}
		unsigned batch = j->queued;
		uint64_t t0 = mono_ns();
		rc = flush_locked(j, true);
		j->last_flush_ns = mono_ns() - t0;
		j->last_batch = batch;
		gathered = false;
		if (rc != NUMSEQ_OK)
			break; /* this call's failure: NUMSEQ_EIO / NUMSEQ_ENOSPC */
	}
	if (counted)
		j->queued--;
	return rc;
}

/* Appends records r[0..n) as one unit and waits until they are durable. */
static int append_sync(struct numseq__journal *j, numseq__jrec_t *r, int n, numseq_error_t *err)
{
	if (j == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: NULL handle");
	pthread_mutex_lock(&j->mu);
	if (j->failed) {
		pthread_mutex_unlock(&j->mu);
		return io_msg(j, err, NUMSEQ_EFAILED, "");
	}
	size_t len0 = j->len;
	uint64_t lsn0 = j->next_lsn, rec0 = j->records;
	int rc = NUMSEQ_OK;
	numseq__jopts_t cur = j->opts; /* a record after an ALTER is checked against it */
	for (int i = 0; i < n && rc == NUMSEQ_OK; i++) {
		rc = append_locked(j, &cur, &r[i]);
		if (r[i].type == NUMSEQ__JF_ALTER)
			cur = r[i].opts;
	}
	if (rc != NUMSEQ_OK) {
		j->len = len0; /* none of them: the unit is all or nothing */
		j->next_lsn = lsn0;
		j->records = rec0;
		pthread_mutex_unlock(&j->mu);
		return numseq__fail(err, rc, NUMSEQ__SQLSTATE_ARG,
		                    "journal \"%s\": record refused (%s)", j->path,
		                    rc == NUMSEQ_ENOMEM ? "out of memory"
		                                        : "invalid state or options");
	}
	/* The tracked state follows what a replay of these records gives. */
	for (int i = 0; i < n; i++) {
		switch (r[i].type) {
		case NUMSEQ__JF_ALTER:
			j->opts = r[i].opts;
			/* fall through */
		case NUMSEQ__JF_STATE:
			j->state = r[i].state;
			j->last_kind = LK_STATE;
			break;
		case NUMSEQ__JF_RESERVE:
			j->res_from = r[i].from;
			j->state = r[i].state;
			j->last_kind = LK_RESERVE;
			break;
		case NUMSEQ__JF_CLOSE:
			j->state = r[i].state;
			j->last_kind = LK_CLOSE;
			break;
		case NUMSEQ__JF_GAP: j->last_kind = LK_GAP; break;
		default: break;
		}
	}
	rc = sync_locked(j, j->next_lsn - 1);
	pthread_mutex_unlock(&j->mu);
	if (rc != NUMSEQ_OK)
		return io_msg(j, err, rc, "write or fdatasync");
	return NUMSEQ_OK;
}

/* ------------------------------------------------------------ create */

/* Writes a new journal under tmpname and installs it as name: header,
 * OPTIONS, STATE (the initial state, cause RESTART: the state RESTART
 * would set).  fd: the new journal's fd. */
static int create_file(struct numseq__journal *j, const numseq__jopts_t *jo,
                       const numseq__jstate_t *st, numseq_error_t *err)
{
	uint8_t b[NUMSEQ__JF_HDR_LEN + 256];
	numseq__jhdr_t h = {.version = NUMSEQ__JF_VERSION,
	                    .flags = 0,
	                    .fingerprint = numseq__jf_fingerprint(jo),
	                    .file_id = random_id(0),
	                    .base_lsn = 1,
	                    .generation = 0,
	                    .created_ns = now_ns()};
	numseq__jrec_t r[2];
	memset(r, 0, sizeof r);
	r[0].type = NUMSEQ__JF_OPTIONS;
	r[0].lsn = 1;
	r[0].opts = *jo;
	r[1].type = NUMSEQ__JF_STATE;
	r[1].lsn = 2;
	r[1].state = *st;
	size_t n = NUMSEQ__JF_HDR_LEN, len = 0;
	if (numseq__jf_header_encode(&h, b) != NUMSEQ_OK ||
	    numseq__jf_encode(&r[0], h.file_id, b + n, sizeof b - n, &len) != NUMSEQ_OK)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal \"%s\": invalid options", j->path);
	n += len;
	if (numseq__jf_check_next(jo, &r[1]) != 0 ||
	    numseq__jf_encode(&r[1], h.file_id, b + n, sizeof b - n, &len) != NUMSEQ_OK)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal \"%s\": initial value outside the options' range",
		                    j->path);
	n += len;

	int e = numseq__jio_remove_tmp(j->io, j->dirfd, j->tmpname);
	const char *what = "removing the leftover temporary file";
	int tfd = -1;
	if (e == 0) {
		int rc = numseq__jio_create_file(j->io, j->dirfd, j->tmpname, false, &tfd);
		if (rc != NUMSEQ_OK)
			return numseq__fail(err, rc, SQLSTATE_IO, "journal \"%s\": creating %s: %s",
			                    j->path, j->tmpname,
			                    rc > 0 ? errstr(rc) : numseq_strerror(rc));
		what = "writing the new journal";
		e = numseq__jio_pwrite_all(j->io, tfd, b, n, 0, NULL);
		int step = 0;
		if (e == 0) {
			e = numseq__jio_install(j->io, j->dirfd, tfd, j->tmpname, j->name, &step);
			what = step == 1   ? "fsync of the new journal"
			       : step == 2 ? "rename of the new journal"
			                   : "fsync of the directory";
		}
		if (e != 0 && step < 2) {
			/* Not renamed: remove it (a crash leaves it for the next
			 * open to remove). */
			(void)j->io->close(j->io, tfd);
			(void)j->io->unlinkat(j->io, j->dirfd, j->tmpname, 0);
			tfd = -1;
		}
	}
	if (e != 0) {
		if (tfd >= 0)
			(void)j->io->close(j->io, tfd);
		int code = numseq__jio_errcode(e) == NUMSEQ_ENOSPC ? NUMSEQ_ENOSPC : NUMSEQ_EIO;
		return numseq__fail(err, code, SQLSTATE_IO, "journal \"%s\": %s failed: %s",
		                    j->path, what, errstr(e < 0 ? -e : e));
	}
	j->fd = tfd;
	j->file_id = h.file_id;
	j->generation = 0;
	j->end = n;
	j->next_lsn = 3;
	j->records = 2;
	atomic_store_explicit(&j->durable_lsn, 2, memory_order_relaxed); /* not shared yet */
	j->opts = *jo;
	j->state = *st;
	j->last_kind = LK_STATE;
	j->opened.clean_open = true;
	return NUMSEQ_OK;
}

/* ----------------------------------------------------------- recover */

/* What the first pass gathers (no callback into the caller yet: the
 * options in force are known only at the end). */
struct pass1 {
	numseq__jstate_t state, from;
	uint64_t window; /* of the last RESERVE or SNAPSHOT (0: none) */
	int last_kind;
	uint64_t gap_events, gap_values;
};

static int visit_state(void *ctx, const numseq__jrec_t *r)
{
	struct pass1 *p = ctx;
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS:
		p->state = mkstate(r->opts.start, false, 0);
		p->last_kind = LK_NONE;
		break;
	case NUMSEQ__JF_SNAPSHOT:
		p->state = r->state;
		p->window = r->window;
		p->gap_events = r->snap.gap_events;
		p->gap_values = r->snap.gap_values;
		p->last_kind = LK_SNAPSHOT;
		break;
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_ALTER:
		p->state = r->state;
		p->last_kind = LK_STATE;
		break;
	case NUMSEQ__JF_RESERVE:
		/* A RESERVE without a from-state (format before it had one):
		 * the state before it is the widest honest guess. */
		p->from = r->has_from ? r->from : p->state;
		p->state = r->state;
		p->window = r->window;
		p->last_kind = LK_RESERVE;
		break;
	case NUMSEQ__JF_CLOSE:
		p->state = r->state;
		p->last_kind = LK_CLOSE;
		break;
	case NUMSEQ__JF_GAP:
		p->gap_events = sat_add(p->gap_events, 1);
		p->gap_values = sat_add(p->gap_values, r->gap.count);
		p->last_kind = LK_GAP;
		break;
	default: break;
	}
	return 0;
}

struct pass2 {
	const struct numseq__jreplay *rp;
};

static int visit_claims(void *ctx, const numseq__jrec_t *r)
{
	struct pass2 *p = ctx;
	switch (r->type) {
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE:
		return p->rp->claims(p->rp->ctx, r->value, 1, r->type == NUMSEQ__JF_CLAIM);
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		return p->rp->claims(p->rp->ctx, r->run.first, r->run.count,
		                     r->type == NUMSEQ__JF_CLAIM_RUN);
	case NUMSEQ__JF_SNAPSHOT_RUNS:
		for (uint32_t i = 0; i < r->runs.nruns; i++) {
			numseq__jrun_t run = numseq__jf_run(r, i);
			int rc = p->rp->claims(p->rp->ctx, run.first, run.count, true);
			if (rc != 0)
				return rc;
		}
		return 0;
	default: return 0;
	}
}

static int scan_error(struct numseq__journal *j, int rc, const numseq__jscan_t *sc,
                      numseq_error_t *err)
{
	switch (rc) {
	case NUMSEQ_ENOTJOURNAL:
		return numseq__fail(err, rc, SQLSTATE_CORRUPT,
		                    "file \"%s\" is not a numseq journal", j->path);
	case NUMSEQ_EVERSION:
		return numseq__fail(err, rc, SQLSTATE_CORRUPT,
		                    "journal \"%s\": format version %u or features not supported",
		                    j->path, (unsigned)sc->hdr.version);
	case NUMSEQ_EFINGERPRINT:
		return numseq__fail(err, rc, NUMSEQ__SQLSTATE_PARAM,
		                    "journal \"%s\" was written with other sequence options",
		                    j->path);
	case NUMSEQ_ECORRUPT:
		return numseq__fail(
			err, rc, SQLSTATE_CORRUPT,
			"journal \"%s\" is damaged at offset %llu (%s): run `numseq repair`",
			j->path, (unsigned long long)sc->bad_offset,
			numseq__jf_reason_str(sc->reason));
	case NUMSEQ_EIO:
		return numseq__fail(err, rc, SQLSTATE_IO, "journal \"%s\": read failed: %s",
		                    j->path, errstr(sc->sys_errno));
	case NUMSEQ_ENOMEM: return numseq__fail(err, rc, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	default:
		return numseq__fail(err, rc, SQLSTATE_CORRUPT, "journal \"%s\": %s", j->path,
		                    numseq_strerror(rc));
	}
}

static int recover(struct numseq__journal *j, const numseq_options_t *expect,
                   const struct numseq__jreplay *rp, numseq_error_t *err)
{
	uint32_t fp = 0;
	if (expect != NULL) {
		numseq__jopts_t jo;
		if (!opts_to_j(expect, &jo))
			return numseq__fail(err, NUMSEQ_ENAME, NUMSEQ__SQLSTATE_PARAM,
			                    "sequence name must be 1 to 63 bytes");
		fp = numseq__jf_fingerprint(&jo);
	}
	struct pass1 p1;
	memset(&p1, 0, sizeof p1);
	numseq__jscan_t sc;
	int rc = numseq__jf_scan_fd(j->io, j->fd, expect != NULL ? &fp : NULL, visit_state, &p1,
	                            &sc);
	if (rc != NUMSEQ_OK)
		return scan_error(j, rc, &sc, err);
	/* The window the journal was last used with, unless the caller chose
	 * one: a journal keeps its W across opens. */
	if (!j->window_given && p1.window != 0)
		j->window = p1.window;

	/* Make what we keep durable before anything is appended after it: a
	 * torn tail is cut (and the size synced), and bytes a crashed process
	 * left in the page cache are synced, so that a new record's
	 * durable_lsn never vouches for bytes not on disk. */
	int e;
	const char *what;
	if (sc.torn || sc.end < sc.size) {
		e = numseq__jio_truncate_sync(j->io, j->fd, sc.end);
		what = "truncating the torn tail";
		j->opened.truncated = sc.size - sc.end;
	} else {
		e = j->io->fdatasync(j->io, j->fd);
		what = "fdatasync";
	}
	if (e != 0) {
		int code = numseq__jio_errcode(e) == NUMSEQ_ENOSPC ? NUMSEQ_ENOSPC : NUMSEQ_EIO;
		return numseq__fail(err, code, SQLSTATE_IO, "journal \"%s\": %s failed: %s",
		                    j->path, what, errstr(e < 0 ? -e : e));
	}
	j->end = sc.end;
	j->next_lsn = sc.next_lsn;
	j->records = sc.records;
	j->file_id = sc.hdr.file_id;
	j->generation = sc.hdr.generation;
	j->opts = sc.opts;
	j->state = p1.state;
	j->last_kind = p1.last_kind;
	j->res_from = p1.from;
	j->gap_events = p1.gap_events;
	j->gap_values = p1.gap_values;
	j->opened.clean_open = sc.clean_close;
	atomic_store_explicit(&j->durable_lsn, sc.next_lsn - 1, memory_order_relaxed);

	/* Replay into the caller: options, then the claims in file order. */
	if (rp != NULL && rp->options != NULL) {
		numseq_options_t o;
		opts_from_j(&j->opts, &o);
		rc = rp->options(rp->ctx, &o, err);
		if (rc != 0)
			return rc;
	}
	if (rp != NULL && rp->claims != NULL && j->opts.claims != NUMSEQ_CLAIMS_NONE) {
		struct pass2 p2 = {rp};
		numseq__jscan_t sc2;
		rc = numseq__jf_scan_fd(j->io, j->fd, NULL, visit_claims, &p2, &sc2);
		if (rc != NUMSEQ_OK) {
			if (sc2.verdict == NUMSEQ__JV_ABORTED)
				return numseq__fail(err, rc, NUMSEQ__SQLSTATE_ARG,
				                    "journal \"%s\": replaying a claim failed: %s",
				                    j->path, numseq_strerror(rc));
			return scan_error(j, rc, &sc2, err);
		}
		if (sc2.end != sc.end || sc2.next_lsn != sc.next_lsn)
			return numseq__fail(err, NUMSEQ_EIO, SQLSTATE_IO,
			                    "journal \"%s\" changed while it was read", j->path);
	}

	/* The previous run crashed with a reservation open: the numbers from
	 * its from-state to its end may have been skipped.  Recorded (GAP) and
	 * durable before anything is handed out again. */
	if (j->last_kind == LK_RESERVE) {
		int64_t first = 0, last = 0;
		uint64_t count = gap_span(&j->opts, &j->res_from, &j->state, &first, &last);
		if (count > 0) {
			numseq__jrec_t g;
			memset(&g, 0, sizeof g);
			g.type = NUMSEQ__JF_GAP;
			g.gap.first = first;
			g.gap.last = last;
			g.gap.step = j->opts.increment;
			g.gap.count = count;
			rc = append_sync(j, &g, 1, err);
			if (rc != NUMSEQ_OK)
				return rc;
			j->gap_events = sat_add(j->gap_events, 1);
			j->gap_values = sat_add(j->gap_values, count);
			j->opened.gap = true;
			j->opened.gap_first = first;
			j->opened.gap_last = last;
			j->opened.gap_count = count;
		} else {
			j->last_kind = LK_GAP; /* nothing open any more */
		}
	}
	return NUMSEQ_OK;
}

/* A new journal (the name does not exist): create it, replay its
 * options. */
static int open_new(struct numseq__journal *j, const numseq_options_t *create_opts,
                    const struct numseq__jreplay *rp, numseq_error_t *err)
{
	int rc;
	numseq__jopts_t jo;
	if (create_opts == NULL) {
		rc = numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                  "journal \"%s\": creating needs options", j->path);
		return rc;
	}
	if (!opts_to_j(create_opts, &jo)) {
		rc = numseq__fail(err, NUMSEQ_ENAME, NUMSEQ__SQLSTATE_PARAM,
		                  "sequence name must be 1 to 63 bytes");
		return rc;
	}
	int64_t init = (create_opts->set & NUMSEQ_OPT_RESTART_WITH) != 0 ? create_opts->restart
	                                                                 : create_opts->start;
	numseq__jstate_t st = mkstate(init, false, NUMSEQ__JF_CAUSE_RESTART);
	rc = create_file(j, &jo, &st, err);
	if (rc != NUMSEQ_OK)
		return rc;
	if (rp != NULL && rp->options != NULL) {
		numseq_options_t o;
		opts_from_j(&j->opts, &o);
		rc = rp->options(rp->ctx, &o, err);
		if (rc != 0)
			return rc;
	}
	return NUMSEQ_OK;
}

/* -------------------------------------------------------------- open */

int numseq__j_open(struct numseq__journal **out, const char *path, unsigned flags,
                   const numseq_options_t *create_opts, uint64_t window, numseq__jio_t *io,
                   const struct numseq__jreplay *rp, struct numseq__jopened *res,
                   numseq_error_t *err)
{
	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: out is NULL");
	*out = NULL;
	if (path == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG, "journal: NULL path");
	struct numseq__journal *j = j_alloc(io != NULL ? io : numseq__jio_posix(),
	                                    window != 0 ? window : NUMSEQ_WINDOW_DEFAULT);
	if (j == NULL)
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	j->window_given = window != 0;
	(void)snprintf(j->path, sizeof j->path, "%s", path);
	char dir[PATH_MAX];
	int rc;
	int e = numseq__jio_split_path(path, dir, sizeof dir, j->name, sizeof j->name);
	if (e != 0) {
		rc = numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                  "journal path \"%s\": %s", path, errstr(-e));
		goto fail;
	}
	(void)snprintf(j->tmpname, sizeof j->tmpname, "%s.tmp", j->name);
	e = numseq__jio_open_dir(j->io, dir, &j->dirfd);
	if (e != 0) {
		j->dirfd = -1;
		rc = e == -ENOENT ? NUMSEQ_ENOENT : numseq__jio_errcode(e);
		rc = numseq__fail(err, rc, SQLSTATE_NOFILE, "journal directory \"%s\": %s", dir,
		                  errstr(-e));
		goto fail;
	}
	rc = numseq__jio_lock_file(j->io, j->dirfd, j->name, &j->lockfd);
	if (rc != NUMSEQ_OK) {
		if (rc == NUMSEQ_ELOCKED)
			rc = numseq__fail(err, rc, SQLSTATE_INUSE,
			                  "journal \"%s\" is in use by another handle or process",
			                  path);
		else
			rc = numseq__fail(err, rc, SQLSTATE_IO, "journal \"%s\": lock file: %s",
			                  path, rc > 0 ? errstr(rc) : numseq_strerror(rc));
		j->lockfd = -1;
		goto fail;
	}
	rc = numseq__jio_open_file(j->io, j->dirfd, j->name, true, &j->fd);
	if (rc == ENOENT) {
		j->fd = -1;
		if ((flags & NUMSEQ_OPEN_CREATE) == 0) {
			rc = numseq__fail(err, NUMSEQ_ENOENT, SQLSTATE_NOFILE,
			                  "journal \"%s\" does not exist", path);
			goto fail;
		}
		rc = open_new(j, create_opts, rp, err);
		if (rc != NUMSEQ_OK)
			goto fail;
	} else if (rc == NUMSEQ_OK) {
		if ((flags & (NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL)) ==
		    (NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL)) {
			rc = numseq__fail(err, NUMSEQ_EEXIST, SQLSTATE_DUPFILE,
			                  "journal \"%s\" already exists", path);
			goto fail;
		}
		e = numseq__jio_remove_tmp(j->io, j->dirfd, j->tmpname);
		if (e != 0) {
			rc = numseq__fail(err, NUMSEQ_EIO, SQLSTATE_IO,
			                  "journal \"%s\": removing %s: %s", path, j->tmpname,
			                  errstr(-e));
			goto fail;
		}
		rc = recover(j, create_opts, rp, err);
		if (rc != NUMSEQ_OK)
			goto fail;
	} else {
		j->fd = -1;
		if (rc > 0)
			rc = numseq__fail(err, rc, SQLSTATE_IO, "journal \"%s\": %s", path,
			                  errstr(rc));
		else
			rc = numseq__fail(err, rc, SQLSTATE_IO, "journal \"%s\": %s", path,
			                  numseq_strerror(rc));
		goto fail;
	}
	if (res != NULL) {
		res->last_value = j->state.last_value;
		res->is_called = j->state.is_called;
		numseq__j_info(j, &res->info);
	}
	*out = j;
	return NUMSEQ_OK;
fail:
	j_free(j);
	return rc;
}

/* ------------------------------------------------- state and claims */

int numseq__j_reserve(struct numseq__journal *j, int64_t from_last, bool from_called,
                      int64_t to_last, bool to_called, numseq_error_t *err)
{
	numseq__jrec_t r;
	memset(&r, 0, sizeof r);
	r.type = NUMSEQ__JF_RESERVE;
	r.state = mkstate(to_last, to_called, 0);
	r.from = mkstate(from_last, from_called, 0);
	r.has_from = true;
	r.window = j != NULL ? j->window : 1;
	return append_sync(j, &r, 1, err);
}

int numseq__j_state(struct numseq__journal *j, int cause, int64_t last, bool called,
                    int64_t to_last, bool to_called, numseq_error_t *err)
{
	if (cause != NUMSEQ__JF_CAUSE_SETVAL && cause != NUMSEQ__JF_CAUSE_RESTART)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG, "journal: bad cause");
	numseq__jrec_t r[2];
	memset(r, 0, sizeof r);
	r[0].type = NUMSEQ__JF_STATE;
	r[0].state = mkstate(last, called, (uint8_t)cause);
	r[1].type = NUMSEQ__JF_RESERVE;
	r[1].state = mkstate(to_last, to_called, 0);
	r[1].from = mkstate(last, called, 0);
	r[1].has_from = true;
	r[1].window = j != NULL ? j->window : 1;
	return append_sync(j, r, 2, err);
}

int numseq__j_alter(struct numseq__journal *j, const numseq_options_t *o, int64_t last, bool called,
                    int64_t to_last, bool to_called, numseq_error_t *err)
{
	if (o == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: NULL options");
	numseq__jrec_t r[2];
	memset(r, 0, sizeof r);
	r[0].type = NUMSEQ__JF_ALTER;
	if (!opts_to_j(o, &r[0].opts))
		return numseq__fail(err, NUMSEQ_ENAME, NUMSEQ__SQLSTATE_PARAM,
		                    "sequence name must be 1 to 63 bytes");
	bool restart = (o->set & (NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH)) != 0;
	r[0].state = mkstate(last, called, restart ? NUMSEQ__JF_CAUSE_RESTART : 0);
	r[1].type = NUMSEQ__JF_RESERVE;
	r[1].state = mkstate(to_last, to_called, 0);
	r[1].from = mkstate(last, called, 0);
	r[1].has_from = true;
	r[1].window = j != NULL ? j->window : 1;
	return append_sync(j, r, 2, err);
}

void numseq__j_claim_begin(struct numseq__journal *j)
{
	pthread_rwlock_rdlock(&j->claims_rw);
}

void numseq__j_claim_end(struct numseq__journal *j)
{
	pthread_rwlock_unlock(&j->claims_rw);
}

uint64_t numseq__j_claim_log(struct numseq__journal *j, int64_t v, bool claimed)
{
	numseq__jrec_t r;
	memset(&r, 0, sizeof r);
	r.type = claimed ? NUMSEQ__JF_CLAIM : NUMSEQ__JF_RELEASE;
	r.value = v;
	uint64_t lsn = 0;
	pthread_mutex_lock(&j->mu);
	if (!j->failed) {
		int rc = append_locked(j, &j->opts, &r);
		if (rc == NUMSEQ_OK)
			lsn = j->next_lsn - 1;
		else if (rc == NUMSEQ_ENOMEM)
			(void)fail_locked(j, -ENOMEM); /* the bit is set: cannot drop it */
	}
	pthread_mutex_unlock(&j->mu);
	return lsn;
}

int numseq__j_sync(struct numseq__journal *j, uint64_t lsn, numseq_error_t *err)
{
	if (j == NULL || lsn == 0)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: NULL handle or LSN 0");
	/* acquire: pairs with flush_locked's release store; the caller may act
	 * on the record being on disk. */
	if (atomic_load_explicit(&j->durable_lsn, memory_order_acquire) >= lsn)
		return NUMSEQ_OK;
	pthread_mutex_lock(&j->mu);
	int rc = sync_locked(j, lsn);
	pthread_mutex_unlock(&j->mu);
	if (rc == NUMSEQ_EINVAL)
		return numseq__fail(err, rc, NUMSEQ__SQLSTATE_ARG, "journal: LSN %llu not appended",
		                    (unsigned long long)lsn);
	if (rc != NUMSEQ_OK)
		return io_msg(j, err, rc, "write or fdatasync");
	return NUMSEQ_OK;
}

/* -------------------------------------------------------- compaction */

struct compact {
	struct numseq__journal *j;
	int tfd;
	uint64_t off;      /* where the next record goes */
	uint64_t lsn;      /* its LSN */
	uint64_t base_lsn; /* durable_lsn of every record of the new file */
	uint64_t file_id;
	uint8_t *rec; /* one encoded record (64 KiB) */
	numseq__jrun_t *runs;
	uint32_t nruns;
	uint32_t chunks;
	uint64_t claimed;
};

/* Encodes r (its LSN assigned) and writes it at c->off.  0, a negative
 * errno, or 1 for a record the encoder refused. */
static int put_rec(struct compact *c, numseq__jrec_t *r)
{
	size_t len;
	r->lsn = c->lsn;
	r->durable_lsn = c->base_lsn - 1;
	if (numseq__jf_encode(r, c->file_id, c->rec, NUMSEQ__JF_REC_MAX, &len) != NUMSEQ_OK)
		return 1;
	int e = numseq__jio_pwrite_all(c->j->io, c->tfd, c->rec, len, c->off, NULL);
	if (e != 0)
		return e;
	c->off += len;
	c->lsn++;
	return 0;
}

static int put_chunk(struct compact *c)
{
	if (c->nruns == 0)
		return 0;
	numseq__jrec_t r;
	memset(&r, 0, sizeof r);
	r.type = NUMSEQ__JF_SNAPSHOT_RUNS;
	r.runs.chunk = c->chunks;
	r.runs.nruns = c->nruns;
	r.runs.runs = c->runs;
	int e = put_rec(c, &r);
	c->chunks++;
	c->nruns = 0;
	return e;
}

/* Writes the new file into c->tfd.  0, a negative errno (I/O), 1 (a
 * record refused: the caller's runs), or a NUMSEQ_E* code from next_run. */
static int write_snapshot(struct compact *c, numseq__jclaims_iter_fn next_run, void *ctx,
                          int *iter_rc)
{
	struct numseq__journal *j = c->j;
	numseq__jrec_t snap;
	memset(&snap, 0, sizeof snap);
	snap.type = NUMSEQ__JF_SNAPSHOT;
	snap.state = j->state;
	snap.state.cause = 0;
	snap.window = j->window;
	snap.opts = j->opts;
	snap.snap.gap_events = j->gap_events;
	snap.snap.gap_values = j->gap_values < j->gap_events ? j->gap_events : j->gap_values;
	size_t ssz = numseq__jf_encoded_size(&snap);
	if (ssz == 0)
		return 1;
	/* The runs first, after a hole the SNAPSHOT fills once their count is
	 * known (the iterator runs once; nothing is held in memory but one
	 * chunk).  Nothing is named before the fsync, so the order of the
	 * writes does not matter. */
	uint64_t snap_lsn = c->lsn;
	c->off = NUMSEQ__JF_HDR_LEN + ssz;
	c->lsn++;
	if (next_run != NULL) {
		for (;;) {
			int64_t first = 0;
			uint64_t count = 0;
			int rc = next_run(ctx, &first, &count);
			if (rc < 0) {
				*iter_rc = rc;
				return 1;
			}
			if (rc == 0)
				break;
			if (count == 0)
				continue;
			c->runs[c->nruns].first = first;
			c->runs[c->nruns].count = count;
			c->nruns++;
			if (c->claimed > UINT64_MAX - count)
				return 1;
			c->claimed += count;
			if (c->nruns == NUMSEQ__JF_RUNS_MAX) {
				int e = put_chunk(c);
				if (e != 0)
					return e;
			}
		}
		int e = put_chunk(c);
		if (e != 0)
			return e;
	}
	if (j->last_kind == LK_RESERVE) {
		/* The reservation stays open across the compaction: its from-state
		 * goes along, so that a crash after it still records the gap. */
		numseq__jrec_t r;
		memset(&r, 0, sizeof r);
		r.type = NUMSEQ__JF_RESERVE;
		r.state = snap.state;
		r.from = j->res_from;
		r.has_from = true;
		r.window = j->window;
		int e = put_rec(c, &r);
		if (e != 0)
			return e;
	}
	uint64_t end = c->off, next = c->lsn;
	snap.snap.claimed = c->claimed;
	snap.snap.run_chunks = c->chunks;
	c->off = NUMSEQ__JF_HDR_LEN;
	c->lsn = snap_lsn;
	int e = put_rec(c, &snap);
	if (e != 0)
		return e;
	c->off = end;
	c->lsn = next;
	uint8_t hb[NUMSEQ__JF_HDR_LEN];
	numseq__jhdr_t h = {.version = NUMSEQ__JF_VERSION,
	                    .flags = 0,
	                    .fingerprint = numseq__jf_fingerprint(&j->opts),
	                    .file_id = c->file_id,
	                    .base_lsn = c->base_lsn,
	                    .generation = j->generation + 1,
	                    .created_ns = now_ns()};
	if (numseq__jf_header_encode(&h, hb) != NUMSEQ_OK)
		return 1;
	return numseq__jio_pwrite_all(j->io, c->tfd, hb, sizeof hb, 0, NULL);
}

int numseq__j_compact(struct numseq__journal *j, const numseq_options_t *o, int64_t last,
                      bool called, numseq__jclaims_iter_fn next_run, void *ctx, numseq_error_t *err)
{
	(void)o;
	(void)last;
	(void)called;
	if (j == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: NULL handle");
	struct compact c;
	memset(&c, 0, sizeof c);
	c.j = j;
	c.tfd = -1;
	c.rec = malloc(NUMSEQ__JF_REC_MAX);
	c.runs = malloc(sizeof *c.runs * NUMSEQ__JF_RUNS_MAX);
	if (c.rec == NULL || c.runs == NULL) {
		free(c.rec);
		free(c.runs);
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	}
	pthread_rwlock_wrlock(&j->claims_rw);
	pthread_mutex_lock(&j->mu);
	while (j->flushing)
		pthread_cond_wait(&j->cv, &j->mu);
	int rc = NUMSEQ_OK;
	const char *what = "write or fdatasync";
	if (j->failed) {
		rc = NUMSEQ_EFAILED;
		goto out;
	}
	/* Everything appended so far goes to the old file first: the new one
	 * starts after it (and replaces it only once complete and durable). */
	rc = flush_locked(j, false);
	if (rc != NUMSEQ_OK)
		goto out;
	c.base_lsn = j->next_lsn;
	c.lsn = c.base_lsn;
	c.file_id = random_id(j->file_id);
	int e = numseq__jio_remove_tmp(j->io, j->dirfd, j->tmpname);
	what = "removing the leftover temporary file";
	if (e == 0) {
		int crc = numseq__jio_create_file(j->io, j->dirfd, j->tmpname, false, &c.tfd);
		what = "creating the temporary file";
		if (crc != NUMSEQ_OK)
			e = crc > 0 ? -crc : crc == NUMSEQ_ENOSPC ? -ENOSPC : -EIO;
	}
	int iter_rc = 0;
	if (e == 0) {
		what = "writing the snapshot";
		e = write_snapshot(&c, next_run, ctx, &iter_rc);
	}
	if (e == 1) {
		/* Refused before anything was named: the old file stays, the
		 * handle stays usable. */
		(void)j->io->close(j->io, c.tfd);
		(void)j->io->unlinkat(j->io, j->dirfd, j->tmpname, 0);
		c.tfd = -1;
		rc = iter_rc != 0 ? iter_rc : NUMSEQ_EINVAL;
		pthread_mutex_unlock(&j->mu);
		pthread_rwlock_unlock(&j->claims_rw);
		free(c.rec);
		free(c.runs);
		return numseq__fail(err, rc, NUMSEQ__SQLSTATE_ARG,
		                    "journal \"%s\": compaction refused: the claimed runs are not "
		                    "in order on the grid, or the iterator failed",
		                    j->path);
	}
	if (e == 0) {
		/* Read it back as an open would before it gets the name. */
		numseq__jscan_t sc;
		int src = numseq__jf_scan_fd(j->io, c.tfd, NULL, NULL, NULL, &sc);
		what = "verifying the snapshot";
		if (src == NUMSEQ_EIO)
			e = -(sc.sys_errno != 0 ? sc.sys_errno : EIO);
		else if (src != NUMSEQ_OK || sc.verdict != NUMSEQ__JV_CLEAN || sc.next_lsn != c.lsn)
			e = 1;
	}
	if (e == 1) {
		(void)j->io->close(j->io, c.tfd);
		(void)j->io->unlinkat(j->io, j->dirfd, j->tmpname, 0);
		c.tfd = -1;
		pthread_mutex_unlock(&j->mu);
		pthread_rwlock_unlock(&j->claims_rw);
		free(c.rec);
		free(c.runs);
		return numseq__fail(
			err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
			"journal \"%s\": compaction refused: the snapshot does not read "
			"back (claimed runs out of order or off the grid)",
			j->path);
	}
	int step = 0;
	if (e == 0) {
		e = numseq__jio_install(j->io, j->dirfd, c.tfd, j->tmpname, j->name, &step);
		what = step == 1   ? "fsync of the snapshot"
		       : step == 2 ? "rename of the snapshot"
		                   : "fsync of the directory";
	}
	if (e != 0) {
		/* Fail-stop: after a failed rename or directory fsync the name may
		 * point at either file; after a failed write the temporary file
		 * is removed now or by the next open. */
		if (c.tfd >= 0 && step < 2) {
			(void)j->io->close(j->io, c.tfd);
			(void)j->io->unlinkat(j->io, j->dirfd, j->tmpname, 0);
			c.tfd = -1;
		}
		rc = fail_locked(j, e);
		goto out;
	}
	(void)j->io->close(j->io, j->fd);
	j->fd = c.tfd;
	c.tfd = -1;
	j->file_id = c.file_id;
	j->generation++;
	j->end = c.off;
	j->records = c.lsn - c.base_lsn;
	j->next_lsn = c.lsn;
	/* release: as flush_locked (the new file's records are durable). */
	atomic_store_explicit(&j->durable_lsn, c.lsn - 1, memory_order_release);
	if (j->last_kind != LK_RESERVE)
		j->last_kind = LK_SNAPSHOT;
out:
	if (c.tfd >= 0)
		(void)j->io->close(j->io, c.tfd);
	pthread_mutex_unlock(&j->mu);
	pthread_rwlock_unlock(&j->claims_rw);
	free(c.rec);
	free(c.runs);
	if (rc != NUMSEQ_OK)
		return io_msg(j, err, rc, what);
	return NUMSEQ_OK;
}

/* ------------------------------------------------------ close, info */

int numseq__j_close(struct numseq__journal *j, int64_t last, bool called, numseq_error_t *err)
{
	if (j == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "journal: NULL handle");
	numseq__jrec_t r;
	memset(&r, 0, sizeof r);
	r.type = NUMSEQ__JF_CLOSE;
	r.state = mkstate(last, called, 0);
	int rc = append_sync(j, &r, 1, err);
	j_free(j);
	return rc;
}

void numseq__j_abandon(struct numseq__journal *j)
{
	j_free(j);
}

bool numseq__j_failed(struct numseq__journal *j)
{
	return j != NULL && atomic_load_explicit(&j->failed_flag, memory_order_relaxed);
}

void numseq__j_info(struct numseq__journal *j, numseq_journal_info_t *out)
{
	pthread_mutex_lock(&j->mu);
	*out = j->opened;
	out->window = j->window;
	out->file_bytes = j->end;
	out->records = j->records;
	out->failed = j->failed;
	out->failed_errno = j->failed ? j->fail_errno : 0;
	out->gap_events = j->gap_events;
	out->gap_values = j->gap_values;
	pthread_mutex_unlock(&j->mu);
}
