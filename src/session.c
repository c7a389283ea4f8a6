/*
 * session.c - the calling thread's "session": currval, lastval, caches.
 *
 * PostgreSQL keeps currval, lastval and the CACHE block per session.  In a
 * library the natural session is the thread: the state lives in a
 * per-thread table, touched by no other thread, so none of it needs
 * atomics.  The table grows with the number of sequences the thread has
 * touched (an entry is 56 bytes) and is freed when the thread exits or
 * calls numseq_discard().  Entries of destroyed sequences stay until then,
 * as PostgreSQL's session state does.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"

_Thread_local struct numseq__tls numseq__tls __attribute__((tls_model("initial-exec")));

static pthread_key_t sess_key;
static pthread_once_t sess_once = PTHREAD_ONCE_INIT;
static int sess_key_rc = -1;

static void sess_free(void *p)
{
	struct numseq__sess *ss = p;
	/* Runs in the exiting thread: a later key destructor that calls
	 * numseq must find no session (and allocate a fresh one), not this
	 * freed one. */
	numseq__tls.ss = NULL;
	numseq__set_last(NULL);
	free(ss->ent);
	free(ss);
}

static void sess_key_init(void)
{
	sess_key_rc = pthread_key_create(&sess_key, sess_free);
}

struct numseq__sess *numseq__sess_get(void)
{
	struct numseq__sess *ss = numseq__tls.ss;
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
	numseq__tls.ss = ss;
	return ss;
}

static size_t slot_of(uint64_t id, size_t cap)
{
	/* Fibonacci hashing: ids are sequential, so spread them. */
	return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static struct numseq__sess_ent *probe(struct numseq__sess_ent *ent, size_t cap, uint64_t id)
{
	size_t i = slot_of(id, cap);
	while (ent[i].id != id && ent[i].id != 0)
		i = (i + 1) & (cap - 1);
	return &ent[i];
}

/* Doubles the table (load factor <= 1/2); false when out of memory. */
static bool grow(struct numseq__sess *ss)
{
	size_t ncap = ss->cap ? ss->cap * 2 : 16;
	struct numseq__sess_ent *nent = calloc(ncap, sizeof *nent);
	uint64_t last_id = numseq__tls.last != NULL ? numseq__tls.last->id : 0;
	if (nent == NULL)
		return false;
	for (size_t i = 0; i < ss->cap; i++)
		if (ss->ent[i].id != 0)
			*probe(nent, ncap, ss->ent[i].id) = ss->ent[i];
	free(ss->ent);
	ss->ent = nent;
	ss->cap = ncap;
	numseq__set_last(last_id != 0 ? probe(nent, ncap, last_id) : NULL);
	return true;
}

struct numseq__sess_ent *numseq__sess_find(struct numseq__sess *ss, uint64_t id, bool create)
{
	struct numseq__sess_ent *e;
	if (ss->cap != 0) {
		e = probe(ss->ent, ss->cap, id);
		if (e->id == id)
			return e;
	}
	if (!create)
		return NULL;
	if ((ss->used + 1) * 2 > ss->cap && !grow(ss))
		return NULL;
	e = probe(ss->ent, ss->cap, id);
	memset(e, 0, sizeof *e);
	e->id = id;
	ss->used++;
	return e;
}

int numseq_lastval(int64_t *out, numseq_error_t *err)
{
	const struct numseq__sess_ent *e = numseq__tls.last;
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
	struct numseq__sess *ss = numseq__tls.ss;
	numseq__set_last(NULL);
	if (ss != NULL) {
		free(ss->ent);
		ss->ent = NULL;
		ss->cap = ss->used = 0;
	}
}
