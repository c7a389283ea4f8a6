/*
 * session.c - the calling thread's "session": currval, lastval, caches.
 *
 * PostgreSQL keeps currval, lastval and the CACHE block per session.  In a
 * library the natural session is the thread: the state lives in a
 * thread-local table, touched by no other thread, so none of it needs
 * atomics.  The table is fixed-size (no allocation, nothing to free at
 * thread exit): a thread that touches more than NUMSEQ__SESS_SLOTS
 * sequences forgets the currval and cached block of an older one
 * (docs/semantics.md lists this difference).
 */
#include <string.h>

#include "numseq_internal.h"

_Thread_local struct numseq__sess numseq__sess;

static unsigned slot_of(uint64_t id)
{
	/* Fibonacci hashing: ids are sequential, so spread them. */
	return (unsigned)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 58) % NUMSEQ__SESS_SLOTS;
}

struct numseq__sess_ent *numseq__sess_find(uint64_t id, bool create)
{
	struct numseq__sess *ss = &numseq__sess;
	unsigned h = slot_of(id);
	struct numseq__sess_ent *free_ent = NULL;

	for (unsigned i = 0; i < NUMSEQ__SESS_SLOTS; i++) {
		struct numseq__sess_ent *e = &ss->ent[(h + i) % NUMSEQ__SESS_SLOTS];
		if (e->id == id)
			return e;
		if (e->id == 0 && free_ent == NULL)
			free_ent = e;
	}
	if (!create)
		return NULL;
	if (free_ent == NULL) {
		/* Full: evict round-robin, sparing the lastval entry. */
		do {
			free_ent = &ss->ent[ss->victim++ % NUMSEQ__SESS_SLOTS];
		} while (free_ent == ss->last);
	}
	memset(free_ent, 0, sizeof *free_ent);
	free_ent->id = id;
	return free_ent;
}

int numseq_lastval(int64_t *out, numseq_error_t *err)
{
	const struct numseq__sess_ent *e = numseq__sess.last;
	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "lastval: output pointer is NULL");
	if (e == NULL || !e->has_currval)
		return numseq__fail(err, NUMSEQ_ELASTVAL, NUMSEQ__SQLSTATE_STATE,
		                    "lastval is not yet defined in this session");
	*out = e->currval;
	return NUMSEQ_OK;
}

void numseq_discard(void)
{
	memset(&numseq__sess, 0, sizeof numseq__sess);
}
