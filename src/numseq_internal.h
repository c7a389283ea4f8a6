/*
 * numseq_internal.h - shared between the library's modules; not installed.
 */
#ifndef NUMSEQ_INTERNAL_H
#define NUMSEQ_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numseq.h"

/* ------------------------------------------------------------ errors.c */

/* Fills *err (if not NULL) with code, sqlstate and the printf-formatted
 * message, and returns code, so that callers can `return numseq__fail(…)`. */
int numseq__fail(numseq_error_t *err, int code, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* PostgreSQL's SQLSTATEs for the errors numseq reproduces. */
#define NUMSEQ__SQLSTATE_PARAM "22023"   /* invalid_parameter_value */
#define NUMSEQ__SQLSTATE_LIMIT "2200H"   /* sequence_generator_limit_exceeded */
#define NUMSEQ__SQLSTATE_RANGE "22003"   /* numeric_value_out_of_range */
#define NUMSEQ__SQLSTATE_STATE "55000"   /* object_not_in_prerequisite_state */
#define NUMSEQ__SQLSTATE_SYNTAX "42601"  /* syntax_error (conflicting options) */
#define NUMSEQ__SQLSTATE_ARG "22000"     /* data_exception: numseq's own checks */
#define NUMSEQ__SQLSTATE_NOMEM "53200"   /* out_of_memory */
#define NUMSEQ__SQLSTATE_UNIQUE "23505"  /* unique_violation */
#define NUMSEQ__SQLSTATE_FEATURE "0A000" /* feature_not_supported */

/* Every allocation of the library goes through these, so that tests can
 * make the k-th one fail (numseq__fail_alloc_at in numseq_test.h). */
void *numseq__calloc(size_t n, size_t size);
void *numseq__aligned_alloc(size_t align, size_t size);

/* ----------------------------------------------------------- session.c */

/*
 * Per-thread state: the thread plays PostgreSQL's session.  For each
 * sequence the thread has touched it keeps currval and the thread's cached
 * block (CACHE > 1).  Entries are found by the sequence's process-unique id,
 * never by pointer, so a destroyed sequence's entry can never be mistaken
 * for a new sequence at the same address.
 */
struct numseq__sess_ent {
	uint64_t id;        /* sequence id; 0 = free */
	uint64_t cache_gen; /* the sequence's cache generation when filled */
	int64_t next;       /* next cached value */
	int64_t step;       /* increment of the cached block */
	uint64_t left;      /* cached values left */
	int64_t currval;
	bool has_currval;
};

/* An open-addressing table that grows (never evicts: PostgreSQL keeps
 * currval for every sequence a session touched).  cap is a power of two. */
struct numseq__sess {
	struct numseq__sess_ent *ent;
	size_t cap, used;
};

/* The calling thread's session (NULL before its first call) and the entry
 * of the sequence its last nextval touched (lastval's; NULL if none).
 * initial-exec: fs-relative loads, no __tls_get_addr call on the hot path;
 * 24 bytes of static TLS, so loading the shared library with dlopen still
 * fits in glibc's reserve.  `last` lives here rather than in the table so
 * that the hot path reaches it in one load. */
struct numseq__tls {
	struct numseq__sess *ss;
	struct numseq__sess_ent *last;
	uint64_t last_id; /* last->id, or 0: checked without chasing last */
};
extern _Thread_local struct numseq__tls numseq__tls __attribute__((tls_model("initial-exec")));

static inline void numseq__set_last(struct numseq__sess_ent *e)
{
	numseq__tls.last = e;
	numseq__tls.last_id = e != NULL ? e->id : 0;
}

/* The calling thread's session, allocating it if needed; NULL only when
 * out of memory.  Callers get it before drawing a ticket, so an allocation
 * failure never loses a number. */
struct numseq__sess *numseq__sess_get(void);

/* The registry of live sequence ids (create adds, destroy removes), which
 * lets thread tables drop destroyed sequences' entries.  add is false when
 * out of memory. */
bool numseq__live_add(uint64_t id);
void numseq__live_del(uint64_t id);

/* The entry for sequence id in ss; with create, a new one is added
 * (growing the table: entry pointers, numseq__tls.last included, stay valid only
 * until the next create).  NULL when absent without create, or when out
 * of memory with create. */
struct numseq__sess_ent *numseq__sess_find(struct numseq__sess *ss, uint64_t id, bool create);

/* ------------------------------------------------- claims.c / sequence.c */

/*
 * A sequence's claimed-number bitmap and its policy state (claims.c).
 * The geometry is fixed at creation: position p <-> number anchor + p*inc,
 * anchor = MINVALUE ascending, MAXVALUE descending.
 */
struct numseq__claims;

struct numseq__claims_geom {
	numseq_claims_t policy;
	unsigned flags; /* NUMSEQ_CLAIMS_F_* */
	int64_t min, max, inc;
	uint64_t capacity; /* numbers on the grid in min..max */
	const char *name;  /* the sequence's (lives as long as it) */
};

/* Validates the claims options of a CREATE whose parameters passed
 * PostgreSQL's checks (policy, flags, range size, START / RESTART on the
 * grid, CACHE 1 for LOWEST_FREE and CYCLIC) and fills *g (g->name unset). */
int numseq__claims_check(const numseq_options_t *o, int64_t start, int64_t inc, int64_t min,
                         int64_t max, int64_t cache, int64_t last, struct numseq__claims_geom *g,
                         numseq_error_t *err);

int numseq__claims_create(struct numseq__claims **out, const struct numseq__claims_geom *g,
                          int64_t start, int64_t last, bool called, bool cycle,
                          numseq_error_t *err);
void numseq__claims_destroy(struct numseq__claims *c);

/* nextval of a sequence with a bitmap (se: the caller's session entry,
 * found before any draw). */
int numseq__claims_nextval(numseq_t *s, struct numseq__claims *c, struct numseq__sess_ent *se,
                           int64_t *out, numseq_error_t *err);

/* SEQUENCE: marks v, a value just drawn from the counter for se's thread,
 * and serves it (*out); when v is claimed already, draws again (or
 * reports NUMSEQ_ECLAIMED with NUMSEQ_CLAIMS_F_CONFLICT). */
int numseq__claims_mark(numseq_t *s, struct numseq__claims *c, struct numseq__sess_ent *se,
                        int64_t v, int64_t *out, numseq_error_t *err);
numseq_claims_t numseq__claims_policy(const struct numseq__claims *c);

/* Journal (numseq_open): the claims are journaled from now on; replay of
 * the journal's claims at open (no journal writes); the claimed runs in
 * order for compaction (1 and a run, 0 at the end). */
struct numseq__journal;
void numseq__claims_set_journal(struct numseq__claims *c, struct numseq__journal *j);
int numseq__claims_replay(struct numseq__claims *c, int64_t first, uint64_t count, bool claimed);
int numseq__claims_next_run(struct numseq__claims *c, uint64_t *cursor, int64_t *first,
                            uint64_t *count);

/* Writer hooks, called by sequence.c with the writer mutex held.
 * setval: 1 = "handled here" (LOWEST_FREE / CYCLIC: the core counter is not
 * used), 0 = go on with the core setval (SEQUENCE), or an error. */
int numseq__claims_setval(struct numseq__claims *c, int64_t v, bool is_called, numseq_error_t *err);
/* alter: after PostgreSQL's validation passed with the new parameters
 * (start, inc, min, max, cache, cycle) and new state (last, called;
 * restart: a RESTART was given), refuse what the bitmap cannot follow;
 * apply = false checks only, apply = true commits (cannot fail). */
int numseq__claims_alter(struct numseq__claims *c, bool apply, bool restart, int64_t start,
                         int64_t inc, int64_t min, int64_t max, int64_t cache, bool cycle,
                         int64_t last, bool called, numseq_error_t *err);
/* read(): LOWEST_FREE / CYCLIC keep their own last_value; false for
 * SEQUENCE (the core's is right). */
bool numseq__claims_read(struct numseq__claims *c, int64_t *last, bool *called);
void numseq__claims_options(const struct numseq__claims *c, numseq_options_t *out);

/* sequence.c, for claims.c: the handle check and bitmap of s (NULL and
 * *rc set when s is not a live sequence or has no bitmap) ... */
struct numseq__claims *numseq__claims_of(numseq_t *s, const char *fn, int *rc, numseq_error_t *err);
/* ... and one nextval of the core counter (cache, CYCLE, limits) for the
 * SEQUENCE policy: currval is updated as by numseq_nextval. */
int numseq__draw(numseq_t *s, struct numseq__sess_ent *se, int64_t *out, numseq_error_t *err);

/* The session entry's "served v" bookkeeping (currval, lastval). */
static inline void numseq__served(struct numseq__sess_ent *se, int64_t v)
{
	se->currval = v;
	se->has_currval = true;
	if (numseq__tls.last != se)
		numseq__set_last(se);
}

#endif
