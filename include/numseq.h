/*
 * numseq.h - PostgreSQL-exact sequences, in process, lock-free.
 *
 * numseq hands out 64-bit numbers the way a PostgreSQL 15 SEQUENCE does:
 * the same parameters (AS, START, INCREMENT, MINVALUE, MAXVALUE, CYCLE,
 * CACHE), the same defaults, the same validation order and message text,
 * and the same results from nextval / setval / RESTART / ALTER.  Every
 * deliberate difference is listed in docs/semantics.md.
 *
 * Conventions (after LMDB):
 *  - numseq_t is opaque.  Every function returns an int: 0 (NUMSEQ_OK) on
 *    success, a negative NUMSEQ_E* code otherwise.  Values come back through
 *    out-parameters, because every int64_t is a legal sequence value.
 *  - Functions that can fail with a PostgreSQL message take an optional
 *    numseq_error_t *err (may be NULL).  On failure it receives the code,
 *    PostgreSQL's SQLSTATE and the formatted message; on success it is left
 *    untouched.  There is no hidden "last error": in a lock-free library
 *    another thread would overwrite it.
 *  - The library never aborts on caller input: NULL or destroyed handles,
 *    out-of-range values and bad options all return codes.
 *
 * Synchronization table (which calls may run at the same time on ONE
 * sequence; "yes" means no external locking is needed):
 *
 *                     nextval  nextval_n  setval  restart  alter  read  destroy
 *   nextval            yes      yes        yes     yes     yes    yes    NO
 *   nextval_n          yes      yes        yes     yes     yes    yes    NO
 *   setval/restart     yes      yes        yes*    yes*    yes*   yes    NO
 *   alter              yes      yes        yes*    yes*    yes*   yes    NO
 *   read/get_options   yes      yes        yes     yes     yes    yes    NO
 *   destroy            NO       NO         NO      NO      NO     NO     NO
 *
 *   (*) writers (setval, restart, alter) serialize on an internal mutex:
 *       they may block each other.  They never block nextval, except that
 *       a nextval drawing a ticket during an ALTER (without RESTART) waits
 *       for that ALTER's few-hundred-nanosecond critical section.
 *   currval, lastval and discard touch only the calling thread's state and
 *   may run concurrently with anything except destroy of the sequence
 *   passed to currval.
 *
 * Progress: nextval, nextval_n and read are lock-free (no lock, no system
 * call; a retry happens only when a writer changed the sequence), except
 * (docs/design.md section 9): the ALTER window above; a nextval_n block
 * larger than the room before the internal rebase point, which is taken
 * under the writer mutex (and other threads' draws wait for its short
 * window); the ticket rebase, once every 2^43 draws on one sequence, under
 * the writer mutex; and a thread's first call on a sequence, which may
 * allocate its per-thread entry.  numseq is not async-signal-safe: do not
 * call it from a signal handler.
 *
 * Ordering: with CACHE 1, every operation on one sequence is
 * linearizable (claimed-number bitmap: see LOWEST_FREE and
 * numseq_claimed_next for the two exceptions under concurrency).  With CACHE n > 1 the block reservations are; values a
 * thread serves from its cached block are not ordered with other threads'
 * calls, exactly as PostgreSQL's per-session caches are not.  A value
 * returned by nextval happens-before nothing by itself: numseq orders the
 * sequence state, not the caller's other memory.
 */
#ifndef NUMSEQ_H
#define NUMSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NUMSEQ_VERSION_MAJOR 0
#define NUMSEQ_VERSION_MINOR 1
#define NUMSEQ_VERSION_PATCH 0
/* ABI promise: within one major version, existing functions keep their
 * signatures and existing struct members keep their offsets. */

#if defined(NUMSEQ_STATIC_DEFINE)
#define NUMSEQ_API
#elif defined(_WIN32)
#define NUMSEQ_API __declspec(dllimport)
#else
#define NUMSEQ_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- errors */

/* Library codes live in a reserved negative band.  Each names what the
 * user sees; numseq_strerror() gives a short description. */
enum {
	NUMSEQ_OK = 0,
	NUMSEQ_EINVAL = -30800,     /* bad argument: NULL/destroyed handle, k = 0 */
	NUMSEQ_ENOMEM = -30801,     /* out of memory */
	NUMSEQ_ETYPE = -30802,      /* sequence type must be smallint, integer, or bigint */
	NUMSEQ_EINCREMENT = -30803, /* INCREMENT must not be zero */
	NUMSEQ_ETYPERANGE = -30804, /* MAXVALUE/MINVALUE out of range for the type */
	NUMSEQ_EMINMAX = -30805,    /* MINVALUE must be less than MAXVALUE */
	NUMSEQ_ESTART = -30806,     /* START outside MINVALUE..MAXVALUE */
	NUMSEQ_ERESTART = -30807,   /* RESTART / current value outside the bounds */
	NUMSEQ_ECACHE = -30808,     /* CACHE must be greater than zero */
	NUMSEQ_EMAXVALUE = -30809,  /* nextval: reached maximum value */
	NUMSEQ_EMINVALUE = -30810,  /* nextval: reached minimum value */
	NUMSEQ_ESETVAL = -30811,    /* setval: value out of bounds */
	NUMSEQ_ECURRVAL = -30812,   /* currval not yet defined in this session */
	NUMSEQ_ELASTVAL = -30813,   /* lastval not yet defined in this session */
	NUMSEQ_ENAME = -30814,      /* sequence name empty or longer than 63 bytes */
	NUMSEQ_EOPTION = -30815,    /* unknown bit in numseq_options_t.set */
	/* claimed-number bitmap (numseq_claim & co.) */
	NUMSEQ_ECLAIMED = -30816,     /* number already claimed (unique violation, 23505) */
	NUMSEQ_ENOTCLAIMED = -30817,  /* release of a number that is not claimed */
	NUMSEQ_ERANGE = -30818,       /* number outside MINVALUE..MAXVALUE */
	NUMSEQ_EGRID = -30819,        /* number not on the sequence's INCREMENT grid */
	NUMSEQ_EFULL = -30820,        /* no unclaimed number left to hand out */
	NUMSEQ_ENOCLAIMS = -30821,    /* the sequence has no claimed-number bitmap */
	NUMSEQ_EPOLICY = -30822,      /* not available under this claims policy */
	NUMSEQ_ECLAIMSRANGE = -30823, /* range too large for a bitmap */
	NUMSEQ_ENOTFOUND = -30824,    /* iteration: no further claimed number */
	/* persistence journal (docs/journal-format.md) */
	NUMSEQ_ENOTJOURNAL = -30825,  /* the file is not a numseq journal (bad magic) */
	NUMSEQ_EVERSION = -30826,     /* journal format version or features not supported */
	NUMSEQ_EFINGERPRINT = -30827, /* journal was written with other sequence options */
	NUMSEQ_ECORRUPT = -30828,     /* journal damaged (acknowledged records): see repair */
	NUMSEQ_ELOCKED = -30829,      /* journal in use by another handle or process */
	NUMSEQ_EIO = -30830,          /* I/O error on the journal (fail-stop; errno kept) */
	NUMSEQ_ENOSPC = -30831,       /* no space for the journal (ENOSPC, EDQUOT, EFBIG) */
	NUMSEQ_EFAILED = -30832,      /* earlier journal I/O failure: reopen to continue */
	NUMSEQ_ESYMLINK = -30833,     /* journal path is a symbolic link */
	NUMSEQ_EBADFILE = -30834,     /* journal is not a regular file with one link */
	NUMSEQ_EFORK = -30835,        /* journal handle used in a forked child */
	NUMSEQ_ENOENT = -30836,       /* journal does not exist (open without CREATE) */
	NUMSEQ_EEXIST = -30837,       /* journal exists (open with CREATE | EXCL) */
	NUMSEQ_ENOJOURNAL = -30838,   /* the sequence has no journal */
	NUMSEQ_ELAST = -30838
};

#define NUMSEQ_MSG_MAX 256

typedef struct numseq_error {
	int code;                     /* the NUMSEQ_E* code returned */
	char sqlstate[6];             /* PostgreSQL's SQLSTATE, e.g. "2200H" */
	char message[NUMSEQ_MSG_MAX]; /* PostgreSQL's message text */
} numseq_error_t;

/* Short description of a code (static string; never NULL, also for
 * unknown codes and positive errno values). */
NUMSEQ_API const char *numseq_strerror(int code);

/* --------------------------------------------------------------- options */

typedef enum numseq_type {
	NUMSEQ_SMALLINT = 2, /* int2: -32768 .. 32767 */
	NUMSEQ_INTEGER = 4,  /* int4 */
	NUMSEQ_BIGINT = 8    /* int8 (default) */
} numseq_type_t;

/* Bits of numseq_options_t.set: which fields were given.  A field whose bit
 * is clear is "not given": CREATE applies PostgreSQL's defaults (which
 * depend on the sign of INCREMENT), ALTER keeps the current value. */
enum {
	NUMSEQ_OPT_TYPE = 1u << 0,          /* AS type */
	NUMSEQ_OPT_START = 1u << 1,         /* START WITH start */
	NUMSEQ_OPT_INCREMENT = 1u << 2,     /* INCREMENT BY increment */
	NUMSEQ_OPT_MINVALUE = 1u << 3,      /* MINVALUE minvalue */
	NUMSEQ_OPT_MAXVALUE = 1u << 4,      /* MAXVALUE maxvalue */
	NUMSEQ_OPT_NO_MINVALUE = 1u << 5,   /* NO MINVALUE: the default again */
	NUMSEQ_OPT_NO_MAXVALUE = 1u << 6,   /* NO MAXVALUE */
	NUMSEQ_OPT_CYCLE = 1u << 7,         /* CYCLE / NO CYCLE, from .cycle */
	NUMSEQ_OPT_CACHE = 1u << 8,         /* CACHE cache */
	NUMSEQ_OPT_RESTART = 1u << 9,       /* RESTART (to START) */
	NUMSEQ_OPT_RESTART_WITH = 1u << 10, /* RESTART WITH restart */
	NUMSEQ_OPT_NAME = 1u << 11,         /* CREATE only: name, used in messages */
	NUMSEQ_OPT_CLAIMS = 1u << 12        /* CREATE only: .claims and .claims_flags */
};

/* Claimed-number bitmap policies (numseq_options_t.claims), chosen at
 * creation; docs/semantics.md section 14 has the full rules.
 *
 * Every number of the range MINVALUE..MAXVALUE on the INCREMENT grid
 * (anchor + k * INCREMENT, anchor = MINVALUE ascending, MAXVALUE
 * descending) has one bit.  Numbers off the grid are never handed out:
 * claim/release/is_claimed refuse them with NUMSEQ_EGRID, and so do
 * setval / RESTART WITH / START (at creation) on a sequence with a bitmap.
 * The range is fixed at creation: ALTER of AS, INCREMENT, MINVALUE or
 * MAXVALUE is NUMSEQ_EPOLICY.  At most NUMSEQ_CLAIMS_MAX numbers; memory is
 * one bit per number in 4 KiB pages allocated when first touched, plus
 * summaries of 1/32 of that and a directory of 8 bytes per page.
 * "First" and "lowest" below mean first in the sequence's order (the
 * highest number for a descending sequence). */
typedef enum numseq_claims {
	NUMSEQ_CLAIMS_NONE = 0, /* no bitmap (default) */
	/* nextval in PostgreSQL's order (CACHE, CYCLE, setval, RESTART as
	 * without a bitmap), marking each number it returns.  A number already
	 * claimed (by numseq_claim, or met again after setval moved back or
	 * after a CYCLE wrap) is skipped, or, with NUMSEQ_CLAIMS_F_CONFLICT,
	 * consumed and reported as NUMSEQ_ECLAIMED, as PostgreSQL's unique
	 * index reports the INSERT of a duplicate. */
	NUMSEQ_CLAIMS_SEQUENCE = 1,
	/* Gapless (Linux IDA): nextval returns the first unclaimed number at or
	 * after START; with CYCLE, when none is left there, the first from the
	 * start of the range.  Released numbers are reused first.  With no
	 * release, n calls return exactly the first n numbers, also when they
	 * run concurrently.  With releases running concurrently, "first" is
	 * exact only when no other claim, release or nextval overlaps the
	 * call: otherwise a number released near a concurrent call (within
	 * the same 64^k-number block whose summary that call is updating) may
	 * be passed over until it completes (docs/design.md section 12.5).
	 * NUMSEQ_EFULL is never returned while the counters show a free
	 * number: the leaves are then scanned. */
	NUMSEQ_CLAIMS_LOWEST_FREE = 2,
	/* PID-style: a cursor starts at START and moves forward; nextval returns
	 * the first unclaimed number at or after it, wrapping at the end of the
	 * range (whatever CYCLE says: wrapping is the policy) and skipping
	 * numbers still claimed.  Wraps are counted (numseq_claim_stats).
	 * setval / RESTART move the cursor. */
	NUMSEQ_CLAIMS_CYCLIC = 3
} numseq_claims_t;

#define NUMSEQ_CLAIMS_MAX (UINT64_C(1) << 36) /* numbers in one bitmap */

enum {
	NUMSEQ_CLAIMS_F_CONFLICT = 1u << 0 /* SEQUENCE: report, don't skip */
};

typedef struct numseq_options {
	unsigned set; /* NUMSEQ_OPT_* bits */
	numseq_type_t type;
	int64_t start;
	int64_t increment;
	int64_t minvalue;
	int64_t maxvalue;
	int64_t cache;
	int64_t restart;
	bool cycle;
	const char *name;       /* copied; at most 63 bytes; default "numseq" */
	numseq_claims_t claims; /* with NUMSEQ_OPT_CLAIMS */
	unsigned claims_flags;  /* NUMSEQ_CLAIMS_F_* with NUMSEQ_OPT_CLAIMS */
} numseq_options_t;

/* Clears o: nothing given. */
NUMSEQ_API void numseq_options_init(numseq_options_t *o);

/* ------------------------------------------------------------- lifecycle */

typedef struct numseq numseq_t;

/* Creates a sequence, validating o (NULL = all defaults) exactly as
 * PostgreSQL's CREATE SEQUENCE does, in its order, with its messages.
 * As in PostgreSQL, RESTART [WITH v] is accepted here too: the first
 * nextval then returns v (or START).
 * Errors: NUMSEQ_EINVAL (out NULL), NUMSEQ_EOPTION, NUMSEQ_ENAME,
 * NUMSEQ_ETYPE, NUMSEQ_EINCREMENT, NUMSEQ_ETYPERANGE, NUMSEQ_EMINMAX,
 * NUMSEQ_ESTART, NUMSEQ_ECACHE, NUMSEQ_ENOMEM.  Thread-safe. */
NUMSEQ_API int numseq_create(numseq_t **out, const numseq_options_t *o, numseq_error_t *err);

/* Frees *s and sets *s to NULL; later calls on that NULL get NUMSEQ_EINVAL.
 * No other call on the sequence may be running or start afterwards.
 * Values cached by threads are lost.  Errors: NUMSEQ_EINVAL. */
NUMSEQ_API int numseq_destroy(numseq_t **s);

/* ------------------------------------------------------------- numbering */

/* nextval(): the next value.  The first call returns START (or the RESTART
 * / setval(v, false) value); then last + INCREMENT.  At the bound: NO CYCLE
 * -> NUMSEQ_EMAXVALUE / NUMSEQ_EMINVALUE, state unchanged; CYCLE -> wraps to
 * MINVALUE (ascending) or MAXVALUE (descending).  With CACHE n > 1 the
 * calling thread reserves n values at a time (docs/semantics.md).
 * Lock-free; one atomic fetch-add on the common path.  Updates the calling
 * thread's currval/lastval.  Errors: NUMSEQ_EINVAL, NUMSEQ_EMAXVALUE,
 * NUMSEQ_EMINVALUE. */
NUMSEQ_API int numseq_nextval(numseq_t *s, int64_t *out, numseq_error_t *err);

/* A run of consecutive values first, first+step, ..., count of them. */
typedef struct numseq_block {
	int64_t first;
	int64_t step;   /* the INCREMENT in force when the block was taken */
	uint64_t count; /* 1 .. k */
} numseq_block_t;

/* Bulk: takes up to k values in one atomic step.  Like a PostgreSQL cache
 * refill, the block stops at the bound (count < k) rather than wrap inside
 * it; with CYCLE the wrap happens as the first value of the next call.
 * Bypasses the thread's cache.  currval becomes the block's last value.
 * A block larger than the room left before the next internal rebase point
 * (docs/design.md section 6) is taken under the writer mutex instead of by
 * CAS; it is still never cut short except by the bound.
 * Lock-free (CAS).  Errors: NUMSEQ_EINVAL (k = 0), NUMSEQ_EMAXVALUE,
 * NUMSEQ_EMINVALUE (no value left at all). */
NUMSEQ_API int numseq_nextval_n(numseq_t *s, uint64_t k, numseq_block_t *out, numseq_error_t *err);

/* setval(v, is_called): MINVALUE <= v <= MAXVALUE or NUMSEQ_ESETVAL with
 * PostgreSQL's message; is_called = true: the next nextval advances from v;
 * false: the next nextval returns v.  The calling thread's cache is dropped;
 * other threads keep handing out values they have cached (as in PostgreSQL).
 * With is_called, currval becomes v.  Blocking for other writers only.
 * Errors: NUMSEQ_EINVAL, NUMSEQ_ESETVAL. */
NUMSEQ_API int numseq_setval(numseq_t *s, int64_t v, bool is_called, numseq_error_t *err);

/* ALTER SEQUENCE ... RESTART [WITH v]: the next nextval returns START (or
 * v).  Every thread's cache is dropped.  currval is unchanged.
 * Errors: NUMSEQ_EINVAL, NUMSEQ_ERESTART. */
NUMSEQ_API int numseq_restart(numseq_t *s, numseq_error_t *err);
NUMSEQ_API int numseq_restart_with(numseq_t *s, int64_t v, numseq_error_t *err);

/* ALTER SEQUENCE with the fields whose bits are set in o (RESTART and
 * RESTART WITH included); validation as PostgreSQL's, against the stored
 * last_value.  On error nothing changes.  Every thread's cache is dropped.
 * The name is fixed at creation: NUMSEQ_OPT_NAME here is NUMSEQ_EOPTION, as
 * are bits numseq_create does not know.
 * Errors: NUMSEQ_EINVAL, NUMSEQ_EOPTION and the validation
 * codes of numseq_create plus NUMSEQ_ERESTART. */
NUMSEQ_API int numseq_alter(numseq_t *s, const numseq_options_t *o, numseq_error_t *err);

/* ------------------------------------------------------- session values */

/* currval(s): the value the calling thread last obtained from s by nextval
 * (or set with setval(v, true)).  A thread plays PostgreSQL's session.
 * Errors: NUMSEQ_EINVAL, NUMSEQ_ECURRVAL. */
NUMSEQ_API int numseq_currval(numseq_t *s, int64_t *out, numseq_error_t *err);

/* lastval(): currval of the sequence the calling thread's last nextval
 * touched.  Errors: NUMSEQ_EINVAL, NUMSEQ_ELASTVAL. */
NUMSEQ_API int numseq_lastval(int64_t *out, numseq_error_t *err);

/* DISCARD SEQUENCES for the calling thread: forgets currval/lastval and
 * drops cached values (they become gaps). */
NUMSEQ_API void numseq_discard(void);

/* --------------------------------------------------------------- reading */

/* SELECT last_value, is_called FROM s.  With CACHE, last_value is the end
 * of the last block reserved by any thread.  Lock-free, linearizable.
 * Errors: NUMSEQ_EINVAL. */
NUMSEQ_API int numseq_read(numseq_t *s, int64_t *last_value, bool *is_called);

/* The parameters in force (all fields given; .name points into s and lives
 * as long as s).  Errors: NUMSEQ_EINVAL. */
NUMSEQ_API int numseq_get_options(numseq_t *s, numseq_options_t *out);

/* -------------------------------------------------- claimed-number bitmap */

/* Sequences created with NUMSEQ_OPT_CLAIMS (policy other than NONE) carry
 * a claimed-number bitmap.  On any other sequence the calls below return
 * NUMSEQ_ENOCLAIMS.  All are lock-free (one atomic read-modify-write on a
 * bitmap word, plus summary upkeep once per 64 numbers; a 4 KiB page is
 * allocated the first time a number on it is claimed) and may run
 * concurrently with everything but destroy.
 *
 * How nextval behaves per policy: numseq_claims_t above.  Under
 * LOWEST_FREE and CYCLIC, CACHE must be 1 (else NUMSEQ_EPOLICY at create /
 * ALTER) and numseq_nextval_n is NUMSEQ_EPOLICY under every policy (a
 * block cannot skip claimed numbers); under LOWEST_FREE, setval and
 * RESTART are NUMSEQ_EPOLICY (the order is "lowest first", no counter).
 * When no unclaimed number is left, nextval returns NUMSEQ_EFULL (a NO
 * CYCLE SEQUENCE sequence still returns NUMSEQ_EMAXVALUE / EMINVALUE at its
 * bound, as PostgreSQL does).  A nextval that fails never claims. */

/* claim(v): takes number v, like an INSERT of an explicit value under a
 * unique index.  Errors: NUMSEQ_EINVAL, NUMSEQ_ENOCLAIMS, NUMSEQ_ERANGE,
 * NUMSEQ_EGRID, NUMSEQ_ECLAIMED (already claimed; SQLSTATE 23505),
 * NUMSEQ_ENOMEM (its page could not be allocated; nothing changed).
 * Linearizable: its linearization point is the bitmap fetch_or. */
NUMSEQ_API int numseq_claim(numseq_t *s, int64_t v, numseq_error_t *err);

/* release(v): gives v back; LOWEST_FREE and CYCLIC may hand it out again
 * (SEQUENCE does only after setval / RESTART / a CYCLE wrap brings the
 * counter back to it).  Releasing a number that is not claimed is
 * NUMSEQ_ENOTCLAIMED: a double release is always detected.  Errors:
 * NUMSEQ_EINVAL, NUMSEQ_ENOCLAIMS, NUMSEQ_ERANGE, NUMSEQ_EGRID,
 * NUMSEQ_ENOTCLAIMED.  Linearizable (the bitmap fetch_and). */
NUMSEQ_API int numseq_release(numseq_t *s, int64_t v, numseq_error_t *err);

/* is_claimed(v) into *out.  Errors: NUMSEQ_EINVAL, NUMSEQ_ENOCLAIMS,
 * NUMSEQ_ERANGE, NUMSEQ_EGRID.  Linearizable (one load). */
NUMSEQ_API int numseq_is_claimed(numseq_t *s, int64_t v, bool *out, numseq_error_t *err);

/* The seed's monitoring query without a scan: O(log64 N).
 * Exact when no claim, release or nextval runs on s during the call; under
 * concurrency every figure is approximate (each is read separately, at a
 * different instant; counters lag by at most the calls in flight, the
 * searches may miss changes made while they run). */
typedef struct numseq_claim_stats {
	numseq_claims_t policy;
	uint64_t capacity;   /* numbers in the bitmap */
	uint64_t claimed;    /* numbers claimed now (COUNT(*)) */
	uint64_t issued;     /* successful claims ever: nextval + numseq_claim */
	uint64_t released;   /* successful releases ever; claimed = issued - released */
	uint64_t skipped;    /* SEQUENCE: claimed numbers nextval stepped over */
	uint64_t wraps;      /* CYCLIC: times the cursor wrapped; LOWEST_FREE with
	                       CYCLE: searches that wrapped */
	bool has_claimed;    /* false: min/max below are 0 */
	int64_t min_claimed; /* MIN(number) */
	int64_t max_claimed; /* MAX(number) */
	bool has_free;       /* false: first_free is 0 */
	int64_t first_free;  /* first unclaimed number in the sequence's order */
	uint64_t bytes;      /* memory held by the bitmap */
} numseq_claim_stats_t;

/* Errors: NUMSEQ_EINVAL, NUMSEQ_ENOCLAIMS. */
NUMSEQ_API int numseq_claim_stats(numseq_t *s, numseq_claim_stats_t *out);

/* Iteration over claimed numbers in the sequence's order.  Set *cursor = 0
 * to start; each call stores the next claimed number in *out and advances
 * *cursor; NUMSEQ_ENOTFOUND at the end.  No number is returned twice.
 * Exact when no claim or release runs meanwhile (export from a quiet
 * sequence); otherwise weakly consistent: numbers claimed or released
 * meanwhile may or may not be returned, and so may a number that stays
 * claimed throughout but sits in a 64^k-number block whose summary a
 * concurrent claim or release is updating (docs/design.md section 12.5).  O(log64 N) per call
 * at worst, amortized O(1) over dense runs.  Errors: NUMSEQ_EINVAL,
 * NUMSEQ_ENOCLAIMS, NUMSEQ_ENOTFOUND. */
NUMSEQ_API int numseq_claimed_next(numseq_t *s, uint64_t *cursor, int64_t *out);

/* ------------------------------------------------------------- journal */

/* A sequence may keep a journal: one file per sequence, so that numbers
 * survive restarts and crashes (docs/durability.md states the promises
 * P1-P6, docs/journal-format.md the bytes).  nextval stays lock-free and
 * touches no file while inside the durable reservation of `window`
 * numbers (without a bitmap it keeps its one-fetch_add hot path), which a
 * background thread extends ahead of time; setval,
 * RESTART, ALTER, claim and release return only once their record is on
 * disk (fdatasync; concurrent claims and releases share one write and one
 * fdatasync).  A crash loses at most about two windows of numbers, never
 * repeats one, and the next open reports exactly which range it skipped
 * (numseq_journal_info).  After a failed write or fdatasync the sequence
 * refuses all durable work with NUMSEQ_EFAILED until it is reopened, and
 * never hands out a number beyond what is durable (nextval serves what the
 * last synced reservation covers, then NUMSEQ_EFAILED; nothing at all after
 * a failed setval / RESTART / ALTER record).
 * On a journaled sequence a numseq_nextval_n block (and a CACHE refill)
 * also stops at the end of the durable reservation (count < k).  The
 * SEQUENCE claims policy cannot be journaled yet (NUMSEQ_EPOLICY).  A
 * CYCLIC setval / RESTART
 * moves only the in-memory cursor (not journaled; the cursor restarts at
 * START after a reopen). */

enum {
	NUMSEQ_OPEN_CREATE = 1u << 0, /* create the journal if it does not exist */
	NUMSEQ_OPEN_EXCL = 1u << 1    /* with CREATE: fail (NUMSEQ_EEXIST) if it exists */
};

#define NUMSEQ_WINDOW_DEFAULT 4096u /* numbers reserved per RESERVE record */

typedef struct numseq_journal_options {
	uint64_t window; /* at most 2^32; 0: the window the journal was last
	                    used with (NUMSEQ_WINDOW_DEFAULT for a new one) */
} numseq_journal_options_t;

/* Opens (or with NUMSEQ_OPEN_CREATE creates) the journal at path and the
 * sequence it holds.  o: the options to create with; for an existing
 * journal, NULL (use the journal's) or options that must equal the
 * journal's (else NUMSEQ_EFINGERPRINT).  jo may be NULL.  Recovery: a torn
 * tail of unacknowledged records is truncated; damage to acknowledged
 * records refuses to open (NUMSEQ_ECORRUPT; `numseq repair`).
 * Errors: NUMSEQ_EINVAL, the option codes of numseq_create, NUMSEQ_ENOENT,
 * NUMSEQ_EEXIST, NUMSEQ_ENOTJOURNAL, NUMSEQ_EVERSION, NUMSEQ_EFINGERPRINT,
 * NUMSEQ_ECORRUPT, NUMSEQ_ELOCKED (open elsewhere, in this process or
 * another), NUMSEQ_ESYMLINK, NUMSEQ_EBADFILE, NUMSEQ_EIO, NUMSEQ_ENOSPC,
 * NUMSEQ_EPOLICY (SEQUENCE policy), NUMSEQ_ENOMEM.  Blocking (file I/O). */
NUMSEQ_API int numseq_open(numseq_t **out, const char *path, unsigned flags,
                           const numseq_options_t *o, const numseq_journal_options_t *jo,
                           numseq_error_t *err);

/* Clean close: writes the exact state (no gap at the next open), syncs,
 * unlocks and frees *s like numseq_destroy (which does the same for a
 * journaled sequence, without reporting errors).  No other call may run.
 * Errors: NUMSEQ_EINVAL, NUMSEQ_EIO, NUMSEQ_ENOSPC, NUMSEQ_EFAILED (the
 * handle is freed in every case). */
NUMSEQ_API int numseq_close(numseq_t **s, numseq_error_t *err);

/* Rewrites the journal as one snapshot (temp file, fsync, rename, fsync
 * of the directory; a crash at any point leaves the old or the new file,
 * both valid).  May run concurrently with everything but close/destroy;
 * durable calls wait for it.  Errors: NUMSEQ_EINVAL, NUMSEQ_ENOJOURNAL (the
 * handle was made by numseq_create), NUMSEQ_EIO,
 * NUMSEQ_ENOSPC, NUMSEQ_EFAILED. */
NUMSEQ_API int numseq_compact(numseq_t *s, numseq_error_t *err);

typedef struct numseq_journal_info {
	uint64_t window;     /* W in force */
	uint64_t file_bytes; /* journal size now */
	uint64_t records;    /* records in the file */
	bool failed;         /* an I/O failure stopped durable work */
	int failed_errno;    /* its errno */
	/* Recovery at open: */
	bool clean_open;    /* the last run closed cleanly: nothing skipped */
	uint64_t truncated; /* bytes of torn tail removed */
	/* The gap ledger: numbers skipped by crashes (never handed out). */
	bool gap;          /* the last open skipped a range: */
	int64_t gap_first; /*   first .. last, every INCREMENT */
	int64_t gap_last;
	uint64_t gap_count;  /*   numbers in it (some may have been handed out
	                           before the crash; none will be after) */
	uint64_t gap_events; /* crashes that skipped numbers, ever */
	uint64_t gap_values; /* numbers they skipped, ever (saturating) */
} numseq_journal_info_t;

/* Errors: NUMSEQ_EINVAL, NUMSEQ_ENOJOURNAL. */
NUMSEQ_API int numseq_journal_info(numseq_t *s, numseq_journal_info_t *out);

/* "0.1.0" */
NUMSEQ_API const char *numseq_version(void);

#ifdef __cplusplus
}
#endif
#endif /* NUMSEQ_H */
