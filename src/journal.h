/*
 * journal.h - the persistence journal of one sequence (internal; not
 * installed).  Format: jformat.h / docs/journal-format.md.  I/O: jio.h.
 * Promises: docs/durability.md.  The sequence layer (sequence.c,
 * claims.c) calls this module; it never calls back into them except
 * through the replay callbacks during open.
 *
 * Model.  The file is a base (header + OPTIONS, or a SNAPSHOT after
 * compaction) followed by records appended in LSN order by one writer at
 * a time.  Every function that changes the file returns only once its
 * records are durable (fdatasync done): "acknowledged means on disk".
 * Concurrent callers share one write and one fdatasync (group commit: the
 * first waiter writes and syncs everything appended so far, the others
 * sleep until the durable LSN covers their records).
 *
 * Fail-stop (P6).  The first failed write, fdatasync, rename or truncate
 * (EIO, ENOSPC, EDQUOT, a short write that cannot complete) marks the
 * journal failed: that call and every later durable call returns
 * NUMSEQ_EFAILED (the first one returns NUMSEQ_EIO or NUMSEQ_ENOSPC), and
 * nothing is retried: after a failed fsync the page cache may have dropped
 * the data (PostgreSQL's 2018 fsync lesson).  Reopening re-reads the file.
 *
 * Threads: every function may be called from any thread, concurrently,
 * except open and close/free.  The sequence layer serializes
 * reserve/state/alter under its writer mutex; claim calls come from any
 * thread.
 */
#ifndef NUMSEQ_JOURNAL_H
#define NUMSEQ_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "jio.h"
#include "numseq.h"

struct numseq__journal;

/* How open replays the file into the caller.  Called on the opening
 * thread, in file order, before numseq__j_open returns. */
struct numseq__jreplay {
	void *ctx;
	/* Once, first: the sequence's options in force (the base options with
	 * every ALTER applied; all fields given, name included).  The caller
	 * creates its sequence here.  A non-zero return (a NUMSEQ_E* code,
	 * with *err filled) aborts the open with that code. */
	int (*options)(void *ctx, const numseq_options_t *o, numseq_error_t *err);
	/* Claimed-number bitmap: count numbers first, first + INCREMENT, ...
	 * become claimed (claimed = true) or free.  From CLAIM / RELEASE /
	 * *_RUN records and snapshot runs, in file order.  Releasing a number
	 * that is not claimed is not an error here (a release may be logged
	 * before its bit is cleared; see numseq__j_claim). */
	int (*claims)(void *ctx, int64_t first, uint64_t count, bool claimed);
};

/* What recovery found. */
struct numseq__jopened {
	int64_t last_value;         /* the state to resume from: after a clean close the */
	bool is_called;             /* exact state, otherwise the last reservation's end */
	numseq_journal_info_t info; /* window .. gap_values as after this open */
};

/* Opens or creates the journal at path (flags: NUMSEQ_OPEN_*).
 * create_opts: the options for a new journal (validated by the caller)
 * and, when not NULL for an existing one, the options it must have
 * (NUMSEQ_EFINGERPRINT otherwise).  window: W, or 0 for the window of
 * the journal's last reservation (NUMSEQ_WINDOW_DEFAULT for a new one).  io: NULL for the
 * real system calls, or a fault injector (tests).  Takes the lock file
 * "<path>.lock" (NUMSEQ_ELOCKED if held by anyone), scans and replays the
 * file, truncates a torn tail, and when the last run did not close
 * cleanly appends a GAP record for the numbers its last reservation may
 * have skipped (durable before return).  On error nothing stays open and
 * *out is NULL. */
int numseq__j_open(struct numseq__journal **out, const char *path, unsigned flags,
                   const numseq_options_t *create_opts, uint64_t window, numseq__jio_t *io,
                   const struct numseq__jreplay *rp, struct numseq__jopened *res,
                   numseq_error_t *err);

/* Reservation (nextval): the counter may hand out every value up to the
 * state (to_last, to_called); (from_last, from_called) is the state the
 * counter had reached when this reservation was made (the start of what a
 * crash would skip).  One RESERVE record. */
int numseq__j_reserve(struct numseq__journal *j, int64_t from_last, bool from_called,
                      int64_t to_last, bool to_called, numseq_error_t *err);

/* setval / RESTART (cause NUMSEQ__JF_CAUSE_SETVAL / _RESTART): the new
 * state, and the first reservation after it, in one write. */
int numseq__j_state(struct numseq__journal *j, int cause, int64_t last, bool called,
                    int64_t to_last, bool to_called, numseq_error_t *err);

/* ALTER: the new options (all fields given) and the state after it, and
 * the first reservation after it, in one write. */
int numseq__j_alter(struct numseq__journal *j, const numseq_options_t *o, int64_t last, bool called,
                    int64_t to_last, bool to_called, numseq_error_t *err);

/* Claims.  The caller brackets its bitmap operation:
 *   numseq__j_claim_begin(j)        shared lock against compaction
 *   ... fetch_or / fetch_and on the bitmap ...
 *   numseq__j_claim_log(j, v, claimed)   append CLAIM or RELEASE (no wait)
 *   numseq__j_claim_end(j)
 *   numseq__j_sync(j, lsn, err)     wait until durable (group commit)
 * A claim logs after its bit is set and a release before its bit is
 * cleared (release: log, then fetch_and), so that for any number the LSN
 * order of its records follows the order of its bit changes.  claim_log
 * returns the record's LSN, or 0 when the journal has failed. */
void numseq__j_claim_begin(struct numseq__journal *j);
uint64_t numseq__j_claim_log(struct numseq__journal *j, int64_t v, bool claimed);
void numseq__j_claim_end(struct numseq__journal *j);
int numseq__j_sync(struct numseq__journal *j, uint64_t lsn, numseq_error_t *err);

/* Compaction.  next_run is called (with the shared lock held
 * exclusively: no claim is between begin and end) to list the claimed
 * runs in the sequence's order: it returns 1 with a run in *first,
 * *count, 0 at the end, or a negative NUMSEQ_E* code to abort (returned,
 * the journal stays usable).  The snapshot holds the journal's own view:
 * the options and the state of the last records it wrote (o, last and
 * called are the caller's view of the same and are not re-read), and a
 * reservation still open goes along as a RESERVE after the base, so a
 * crash after compaction records the same GAP.  New file: a new random
 * file id, generation + 1, base LSN continuing.  Runs the new file fails
 * to read back with are refused (NUMSEQ_EINVAL, old file kept, usable);
 * an I/O failure is fail-stop as for appends. */
typedef int (*numseq__jclaims_iter_fn)(void *ctx, int64_t *first, uint64_t *count);
int numseq__j_compact(struct numseq__journal *j, const numseq_options_t *o, int64_t last,
                      bool called, numseq__jclaims_iter_fn next_run, void *ctx,
                      numseq_error_t *err);

/* Clean close: CLOSE record with the exact state, fdatasync, unlock, free.
 * Frees j in every case (also when the journal has failed: then no CLOSE
 * is written and NUMSEQ_EFAILED is returned). */
int numseq__j_close(struct numseq__journal *j, int64_t last, bool called, numseq_error_t *err);

/* Whether a durable call has failed (then every durable call returns
 * NUMSEQ_EFAILED). */
bool numseq__j_failed(struct numseq__journal *j);

/* The figures of numseq_journal_info. */
void numseq__j_info(struct numseq__journal *j, numseq_journal_info_t *out);

/* ---- test hooks */

/* A "crash": closes the journal's fds (releasing the lock) and frees j
 * without writing CLOSE, as if the process had died.  The next open
 * recovers as after a crash (GAP for an open reservation). */
void numseq__j_abandon(struct numseq__journal *j);

#endif
