/*
 * peer.h - a second "session" for single-threaded unit tests.
 *
 * In PostgreSQL a second session is a second backend; here it is a second
 * thread.  The peer thread lives for the whole test, so its currval,
 * lastval and cached values survive between its calls, just as a second
 * psql connection (dblink) kept them while the SQL in the comments ran.
 *
 * The main thread hands the peer one call at a time and waits for it to
 * finish (mutex + condition variable, which orders everything the peer did
 * before the main thread reads the result).  Only one thread runs library
 * code at any moment, so the tests stay deterministic; only the main
 * thread asserts.  peer_stop() joins the thread; tests start it in a setup
 * and stop it in a teardown so that a failed assertion does not leave the
 * thread behind.
 */
#ifndef NUMSEQ_UNIT_PEER_H
#define NUMSEQ_UNIT_PEER_H

#include <pthread.h>
#include <stdlib.h>

#include "unit_common.h"

typedef enum peer_op {
	PEER_NEXTVAL,
	PEER_NEXTVAL_N,
	PEER_SETVAL,
	PEER_RESTART,
	PEER_RESTART_WITH,
	PEER_ALTER,
	PEER_CURRVAL,
	PEER_LASTVAL,
	PEER_DISCARD,
	PEER_QUIT
} peer_op_t;

typedef struct peer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending; /* a request is waiting for the peer */
	bool done;    /* the peer finished the request */
	/* request */
	peer_op_t op;
	numseq_t *s;
	int64_t v;
	bool is_called;
	uint64_t k;
	numseq_options_t opts;
	/* reply */
	int rc;
	int64_t out;
	numseq_block_t block;
	numseq_error_t err;
} peer_t;

static void *peer_main(void *arg)
{
	peer_t *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->pending)
			pthread_cond_wait(&p->cv, &p->mu);
		p->pending = false;
		peer_op_t op = p->op;
		pthread_mutex_unlock(&p->mu);

		int rc = NUMSEQ_OK;
		memset(&p->err, 0, sizeof p->err);
		switch (op) {
		case PEER_NEXTVAL: rc = numseq_nextval(p->s, &p->out, &p->err); break;
		case PEER_NEXTVAL_N: rc = numseq_nextval_n(p->s, p->k, &p->block, &p->err); break;
		case PEER_SETVAL: rc = numseq_setval(p->s, p->v, p->is_called, &p->err); break;
		case PEER_RESTART: rc = numseq_restart(p->s, &p->err); break;
		case PEER_RESTART_WITH: rc = numseq_restart_with(p->s, p->v, &p->err); break;
		case PEER_ALTER: rc = numseq_alter(p->s, &p->opts, &p->err); break;
		case PEER_CURRVAL: rc = numseq_currval(p->s, &p->out, &p->err); break;
		case PEER_LASTVAL: rc = numseq_lastval(&p->out, &p->err); break;
		case PEER_DISCARD: numseq_discard(); break;
		case PEER_QUIT: break;
		}

		pthread_mutex_lock(&p->mu);
		p->rc = rc;
		p->done = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (op == PEER_QUIT)
			return NULL;
	}
}

/* Runs one request on the peer and waits for it; returns its code. */
static inline int peer_run(peer_t *p)
{
	pthread_mutex_lock(&p->mu);
	p->pending = true;
	p->done = false;
	pthread_cond_broadcast(&p->cv);
	while (!p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	int rc = p->rc;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static inline peer_t *peer_start(void)
{
	peer_t *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, peer_main, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static inline void peer_stop(peer_t *p)
{
	if (p == NULL)
		return;
	p->op = PEER_QUIT;
	peer_run(p);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* cmocka setup/teardown: *state is the peer. */
static inline int peer_setup(void **state)
{
	numseq_discard();
	*state = peer_start();
	return *state == NULL ? -1 : 0;
}

static inline int peer_teardown(void **state)
{
	peer_stop(*state);
	*state = NULL;
	return 0;
}
#define TP(f) cmocka_unit_test_setup_teardown(f, peer_setup, peer_teardown)

/* ---- calls on the peer, named after the SQL the second session ran ---- */

static inline int peer_nextval(peer_t *p, numseq_t *s)
{
	p->op = PEER_NEXTVAL;
	p->s = s;
	return peer_run(p);
}

static inline int peer_nextval_n(peer_t *p, numseq_t *s, uint64_t k)
{
	p->op = PEER_NEXTVAL_N;
	p->s = s;
	p->k = k;
	return peer_run(p);
}

static inline int peer_setval(peer_t *p, numseq_t *s, int64_t v, bool b)
{
	p->op = PEER_SETVAL;
	p->s = s;
	p->v = v;
	p->is_called = b;
	return peer_run(p);
}

static inline int peer_restart(peer_t *p, numseq_t *s)
{
	p->op = PEER_RESTART;
	p->s = s;
	return peer_run(p);
}

static inline int peer_restart_with(peer_t *p, numseq_t *s, int64_t v)
{
	p->op = PEER_RESTART_WITH;
	p->s = s;
	p->v = v;
	return peer_run(p);
}

static inline int peer_alter(peer_t *p, numseq_t *s, numseq_options_t o)
{
	p->op = PEER_ALTER;
	p->s = s;
	p->opts = o;
	return peer_run(p);
}

static inline int peer_currval(peer_t *p, numseq_t *s)
{
	p->op = PEER_CURRVAL;
	p->s = s;
	return peer_run(p);
}

static inline int peer_lastval(peer_t *p)
{
	p->op = PEER_LASTVAL;
	return peer_run(p);
}

static inline void peer_discard(peer_t *p)
{
	p->op = PEER_DISCARD;
	peer_run(p);
}

/* The peer's nextval must give this value. */
static inline void peer_next_is_at(peer_t *p, numseq_t *s, int64_t expected, const char *file,
                                   int line)
{
	int rc = peer_nextval(p, s);
	if (rc != NUMSEQ_OK) {
		print_error("peer nextval failed: %d (%s) \"%s\", expected %" PRId64 "\n", rc,
		            numseq_strerror(rc), p->err.message, expected);
		_fail(file, line);
	}
	if (p->out != expected) {
		print_error("peer nextval returned %" PRId64 ", expected %" PRId64 "\n", p->out,
		            expected);
		_fail(file, line);
	}
}
#define PEER_NEXT(p, s, v) peer_next_is_at((p), (s), (v), __FILE__, __LINE__)

#define PEER_NEXT_FAILS(p, s, code, sqlstate, message)                \
	do {                                                          \
		int pnrc_ = peer_nextval((p), (s));                   \
		CHECK_ERR(pnrc_, &(p)->err, code, sqlstate, message); \
	} while (0)

#endif
