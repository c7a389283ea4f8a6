/*
 * session.c - the calling thread's "session": currval, lastval, caches.
 *
 * PostgreSQL keeps currval, lastval and the CACHE block per session.  In a
 * library the natural session is the thread: the state lives in a
 * per-thread table, touched by no other thread, so none of it needs
 * atomics.  The table grows with the number of live sequences the thread
 * has touched (an entry is 56 bytes): entries of destroyed sequences are
 * dropped whenever the table would grow.  It is freed when the thread
 * exits or calls numseq_discard().
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"
#include "numseq_test.h"

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
	ss = numseq__calloc(1, sizeof *ss);
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

/*
 * The ids of the sequences that exist, so that a thread's table can drop
 * the entries of destroyed sequences instead of growing forever (a server
 * that creates and destroys sequences for each match or session would
 * otherwise grow every thread's table without bound).  Consulted only
 * when a thread's table is about to grow, and changed only by create and
 * destroy: a mutex is enough.  Open addressing with backward-shift
 * deletion; 0 never is an id.
 */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *live_tab;
static size_t live_cap, live_n;

static size_t live_find(const uint64_t *tab, size_t cap, uint64_t id)
{
	size_t i = slot_of(id, cap);
	while (tab[i] != id && tab[i] != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

bool numseq__live_add(uint64_t id)
{
	bool ok = true;
	pthread_mutex_lock(&live_mu);
	if ((live_n + 1) * 2 > live_cap) {
		size_t ncap = live_cap ? live_cap * 2 : 64;
		uint64_t *ntab = numseq__calloc(ncap, sizeof *ntab);
		if (ntab == NULL) {
			ok = false;
		} else {
			for (size_t i = 0; i < live_cap; i++)
				if (live_tab[i] != 0)
					ntab[live_find(ntab, ncap, live_tab[i])] = live_tab[i];
			free(live_tab);
			live_tab = ntab;
			live_cap = ncap;
		}
	}
	if (ok) {
		live_tab[live_find(live_tab, live_cap, id)] = id;
		live_n++;
	}
	pthread_mutex_unlock(&live_mu);
	return ok;
}

void numseq__live_del(uint64_t id)
{
	pthread_mutex_lock(&live_mu);
	if (live_cap != 0) {
		size_t i = live_find(live_tab, live_cap, id), j = i;
		if (live_tab[i] == id) {
			/* Backward-shift deletion: move later members of the probe
			 * run into the hole when their home slot allows it. */
			for (;;) {
				size_t home;
				live_tab[i] = 0;
				do {
					j = (j + 1) & (live_cap - 1);
					if (live_tab[j] == 0)
						goto done;
					home = slot_of(live_tab[j], live_cap);
				} while (i <= j ? (i < home && home <= j)
				                : (i < home || home <= j));
				live_tab[i] = live_tab[j];
				i = j;
			}
done:
			live_n--;
		}
	}
	pthread_mutex_unlock(&live_mu);
}

static bool live_has_locked(uint64_t id)
{
	return live_cap != 0 && live_tab[live_find(live_tab, live_cap, id)] == id;
}

/* Rebuilds the table for one more entry: dead entries (destroyed
 * sequences) are dropped, except lastval's, and the capacity is the
 * smallest power of two >= 16 keeping the load factor <= 1/4.  false when
 * out of memory (the table is then unchanged). */
static bool grow(struct numseq__sess *ss)
{
	uint64_t last_id = numseq__tls.last_id;
	size_t keep = 0, ncap = 16;
	struct numseq__sess_ent *nent;

	pthread_mutex_lock(&live_mu);
	for (size_t i = 0; i < ss->cap; i++) {
		uint64_t id = ss->ent[i].id;
		if (id != 0 && (id == last_id || live_has_locked(id)))
			keep++;
	}
	/* Headroom: at most a quarter full after the rebuild, so that churn
	 * (create, use, destroy) does not rebuild on every new sequence. */
	while ((keep + 1) * 4 > ncap)
		ncap *= 2;
	nent = numseq__calloc(ncap, sizeof *nent);
	if (nent != NULL) {
		for (size_t i = 0; i < ss->cap; i++) {
			uint64_t id = ss->ent[i].id;
			if (id != 0 && (id == last_id || live_has_locked(id)))
				*probe(nent, ncap, id) = ss->ent[i];
		}
	}
	pthread_mutex_unlock(&live_mu);
	if (nent == NULL)
		return false;
	free(ss->ent);
	ss->ent = nent;
	ss->cap = ncap;
	ss->used = keep;
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

size_t numseq__sess_capacity(void)
{
	return numseq__tls.ss != NULL ? numseq__tls.ss->cap : 0;
}
