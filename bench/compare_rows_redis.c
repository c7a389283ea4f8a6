/*
 * compare_rows_redis.c - Redis INCR through hiredis on the server's unix
 * socket, one connection per thread: one INCR per round trip, and
 * pipelined (PIPE INCRs written at once, then their PIPE replies read).
 * The same against a second server with appendonly yes + appendfsync
 * always: the durable row.
 *
 * A pipelined thread hands its replies out one per op from a per-thread
 * buffer.  The harness stops a thread only between batches of 512 ops, and
 * PIPE divides 512, so the buffer is empty whenever a run ends;
 * redis_reserved() checks it (a value fetched but never handed out would
 * otherwise look like a lost number).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "compare.h"

enum { POOL = 16 };
#define PIPE 128 /* INCRs per round trip; divides the harness batch of 512 */

typedef struct inst {
	const char *const *sock; /* &cmp_env.redis_sock or ..._aof_sock */
	redisContext *pool[POOL];
} inst_t;

static inst_t plain = {.sock = &cmp_env.redis_sock};
static inst_t durable = {.sock = &cmp_env.redis_aof_sock};
static unsigned long run_id;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[256];

static void set_error(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&err_lock);
	if (!last_error[0]) {
		va_start(ap, fmt);
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&err_lock);
}

const char *cmp_redis_error(void)
{
	return last_error;
}

static redisContext *conn(inst_t *in, unsigned i)
{
	if (i >= POOL || !*in->sock)
		return NULL;
	if (in->pool[i] && !in->pool[i]->err)
		return in->pool[i];
	if (in->pool[i])
		redisFree(in->pool[i]);
	in->pool[i] = redisConnectUnix(*in->sock);
	if (!in->pool[i] || in->pool[i]->err) {
		set_error("connect %s: %s", *in->sock,
		          in->pool[i] ? in->pool[i]->errstr : "no memory");
		if (in->pool[i])
			redisFree(in->pool[i]);
		in->pool[i] = NULL;
	}
	return in->pool[i];
}

void cmp_redis_close(void)
{
	for (unsigned i = 0; i < POOL; i++) {
		if (plain.pool[i])
			redisFree(plain.pool[i]);
		if (durable.pool[i])
			redisFree(durable.pool[i]);
		plain.pool[i] = durable.pool[i] = NULL;
	}
}

/* Per-thread buffer of pipelined replies, own cache line. */
typedef struct pipe_buf {
	alignas(64) int64_t v[PIPE];
	unsigned next, end;
} pipe_buf_t;

typedef struct redis_state {
	inst_t *in;
	unsigned n;
	char key[48];
	char *incr; /* the INCR command, formatted once */
	size_t incr_len;
	pipe_buf_t *bufs; /* [n] */
} redis_state_t;

static void redis_teardown(void *st);

static void *redis_setup(inst_t *in, unsigned nthreads)
{
	redis_state_t *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->in = in;
	if (nthreads > POOL) {
		set_error("at most %d connections", POOL);
		free(s);
		return NULL;
	}
	for (unsigned i = 0; i < nthreads; i++)
		if (!conn(in, i)) {
			free(s);
			return NULL;
		}
	s->n = nthreads;
	snprintf(s->key, sizeof(s->key), "cmp:%lu", ++run_id);
	int len = redisFormatCommand(&s->incr, "INCR %s", s->key);
	s->bufs = aligned_alloc(64, sizeof(pipe_buf_t) * nthreads);
	if (len < 0 || !s->bufs) {
		redis_teardown(s);
		return NULL;
	}
	s->incr_len = (size_t)len;
	memset(s->bufs, 0, sizeof(pipe_buf_t) * nthreads);
	redisReply *r = redisCommand(in->pool[0], "DEL %s", s->key);
	if (!r) {
		set_error("DEL: %s", in->pool[0]->errstr);
		redis_teardown(s);
		return NULL;
	}
	freeReplyObject(r);
	return s;
}

static void *redis_setup_plain(unsigned nthreads)
{
	return redis_setup(&plain, nthreads);
}

static void *redis_setup_durable(unsigned nthreads)
{
	return redis_setup(&durable, nthreads);
}

static void redis_teardown(void *st)
{
	redis_state_t *s = st;
	if (s->in->pool[0] && !s->in->pool[0]->err) {
		redisReply *r = redisCommand(s->in->pool[0], "DEL %s", s->key);
		if (r)
			freeReplyObject(r);
	}
	if (s->incr)
		redisFreeCommand(s->incr);
	free(s->bufs);
	free(s);
}

/* 1 .. the key's final value were handed out (or sit in a buffer, which
 * must not happen: see the top comment). */
static int redis_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                          bench_range_t *out, unsigned max)
{
	(void)threads;
	(void)max;
	redis_state_t *s = st;
	for (unsigned i = 0; i < nthreads; i++)
		if (s->bufs[i].next != s->bufs[i].end) {
			set_error("thread %u ended with %u pipelined replies not handed out", i,
			          s->bufs[i].end - s->bufs[i].next);
			return -1;
		}
	redisReply *r = redisCommand(s->in->pool[0], "GET %s", s->key);
	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
		set_error("GET: %s", r ? "unexpected reply" : s->in->pool[0]->errstr);
		if (r)
			freeReplyObject(r);
		return -1;
	}
	out[0].first = 1;
	out[0].last = r->type == REDIS_REPLY_NIL ? 0 : strtoll(r->str, NULL, 10);
	freeReplyObject(r);
	return 1;
}

static bench_vals_t fail(bench_thread_t *t, redisContext *c, const char *what)
{
	set_error("%s: %s", what, c->err ? c->errstr : "unexpected reply");
	t->errors++;
	t->first_error = t->first_error ? t->first_error : -1;
	return (bench_vals_t){0, 0};
}

/* Reads one INCR reply; 0 and *v, or -1. */
static int incr_reply(redisContext *c, int64_t *v)
{
	void *p;
	if (redisGetReply(c, &p) != REDIS_OK)
		return -1;
	redisReply *r = p;
	int rc = r->type == REDIS_REPLY_INTEGER ? 0 : -1;
	*v = (int64_t)r->integer;
	freeReplyObject(r);
	return rc;
}

static inline bench_vals_t redis_incr(void *st, bench_thread_t *t)
{
	redis_state_t *s = st;
	redisContext *c = s->in->pool[t->tid];
	int64_t v;
	if (redisAppendFormattedCommand(c, s->incr, s->incr_len) != REDIS_OK ||
	    incr_reply(c, &v) != 0)
		return fail(t, c, "INCR");
	return (bench_vals_t){v, 1};
}
BENCH_OP_LOOPS(redis_incr)

static inline bench_vals_t redis_incr_pipe(void *st, bench_thread_t *t)
{
	redis_state_t *s = st;
	pipe_buf_t *b = &s->bufs[t->tid];
	if (b->next == b->end) {
		redisContext *c = s->in->pool[t->tid];
		b->next = b->end = 0;
		for (unsigned k = 0; k < PIPE; k++)
			if (redisAppendFormattedCommand(c, s->incr, s->incr_len) != REDIS_OK)
				return fail(t, c, "INCR (pipelined)");
		for (unsigned k = 0; k < PIPE; k++) {
			if (incr_reply(c, &b->v[k]) != 0)
				return fail(t, c, "INCR (pipelined)");
			b->end++;
		}
	}
	return (bench_vals_t){b->v[b->next++], 1};
}
BENCH_OP_LOOPS(redis_incr_pipe)

#define STR_(x) #x
#define STR(x) STR_(x)

static const bench_contender_t redis_rows[] = {
	{.name = "redis-incr",
         .label = "Redis INCR",
         .note = "hiredis: one `INCR key` per round trip on the unix socket, one connection per "
                 "thread; no persistence",
         .max_per_op = 1,
         .setup = redis_setup_plain,
         .teardown = redis_teardown,
         .reserved = redis_reserved,
         BENCH_LOOPS(redis_incr)},
	{.name = "redis-incr-pipe",
         .label = "Redis INCR, pipelined " STR(PIPE),
         .note = "hiredis: " STR(PIPE) " `INCR key` written at once, then their " STR(
		 PIPE) " replies read; each reply counts as one op",
         .max_per_op = 1,
         .setup = redis_setup_plain,
         .teardown = redis_teardown,
         .reserved = redis_reserved,
         BENCH_LOOPS(redis_incr_pipe)},
	{.name = NULL},
};

static const bench_contender_t redis_aof_rows[] = {
	{.name = "redis-aof-incr",
         .label = "Redis INCR, appendfsync always",
         .note = "one `INCR` per round trip against a server with `appendonly yes`, "
                 "`appendfsync always` (the reply waits for the AOF fsync)",
         .max_per_op = 1,
         .setup = redis_setup_durable,
         .teardown = redis_teardown,
         .reserved = redis_reserved,
         BENCH_LOOPS(redis_incr)},
	{.name = "redis-aof-incr-pipe",
         .label = "Redis INCR, appendfsync always, pipelined " STR(PIPE),
         .note = "pipelined as above against the appendfsync always server (one fsync covers "
                 "what the event loop wrote)",
         .max_per_op = 1,
         .setup = redis_setup_durable,
         .teardown = redis_teardown,
         .reserved = redis_reserved,
         BENCH_LOOPS(redis_incr_pipe)},
	{.name = NULL},
};

const bench_group_t cmp_group_redis = {"Redis", redis_rows};
const bench_group_t cmp_group_redis_aof = {"Redis (appendfsync always)", redis_aof_rows};
