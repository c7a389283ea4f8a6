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
#define NUMSEQ__SQLSTATE_PARAM "22023"  /* invalid_parameter_value */
#define NUMSEQ__SQLSTATE_LIMIT "2200H"  /* sequence_generator_limit_exceeded */
#define NUMSEQ__SQLSTATE_RANGE "22003"  /* numeric_value_out_of_range */
#define NUMSEQ__SQLSTATE_STATE "55000"  /* object_not_in_prerequisite_state */
#define NUMSEQ__SQLSTATE_SYNTAX "42601" /* syntax_error (conflicting options) */
#define NUMSEQ__SQLSTATE_ARG "22000"    /* data_exception: numseq's own checks */
#define NUMSEQ__SQLSTATE_NOMEM "53200"  /* out_of_memory */
#define NUMSEQ__SQLSTATE_UNIQUE "23505" /* unique_violation */
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

#endif
