/*
 * session.c - the calling thread's "session": currval, lastval, caches.
 *
 * PostgreSQL keeps currval, lastval and the CACHE block per session.  In a
 * library the natural session is the thread: the state lives in a
 * per-thread table, touched by no other thread, so none of it needs
 * atomics.  The table is fixed-size: a thread that touches more than
 * NUMSEQ__SESS_SLOTS sequences forgets the currval and cached block of an
 * older one (docs/semantics.md lists this difference).  It is allocated on
 * the thread's first call and freed when the thread exits.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"

_Thread_local struct numseq__sess *numseq__sess_ptr __attribute__((tls_model("initial-exec")));

static pthread_key_t sess_key;
static pthread_once_t sess_once = PTHREAD_ONCE_INIT;
static int sess_key_rc = -1;

static void sess_free(void *p)
{
	/* Runs in the exiting thread: a later key destructor that calls
	 * numseq must find no session (and allocate a fresh one), not this
	 * freed one. */
	numseq__sess_ptr = NULL;
	free(p);
}

static void sess_key_init(void)
{
	sess_key_rc = pthread_key_create(&sess_key, sess_free);
}

struct numseq__sess *numseq__sess_get(void)
{
	struct numseq__sess *ss = numseq__sess_ptr;
	if (ss != NULL)
		return ss;
	(void)pthread_once(&sess_once, sess_key_init);
	ss = calloc(1, sizeof *ss);
	if (ss == NULL)
		return NULL;
	/* The key frees the table at thread exit; without a key (creation
	 * failed) the table would leak at exit, so refuse instead. */
	if (sess_key_rc != 0 || pthread_setspecific(sess_key, ss) != 0) {
		free(ss);
		return NULL;
	}
	numseq__sess_ptr = ss;
	return ss;
}

static unsigned slot_of(uint64_t id)
{
	/* Fibonacci hashing: ids are sequential, so spread them. */
	return (unsigned)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 58) % NUMSEQ__SESS_SLOTS;
}

struct numseq__sess_ent *numseq__sess_find(struct numseq__sess *ss, uint64_t id, bool create)
{
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
	const struct numseq__sess *ss = numseq__sess_ptr;
	const struct numseq__sess_ent *e = ss != NULL ? ss->last : NULL;
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
	struct numseq__sess *ss = numseq__sess_ptr;
	if (ss != NULL)
		memset(ss, 0, sizeof *ss);
}
