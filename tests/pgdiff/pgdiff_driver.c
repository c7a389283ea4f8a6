/*
 * pgdiff_driver.c - numseq behind a line protocol, for the differential test
 * against PostgreSQL (tests/pgdiff/pgdiff.py).
 *
 * Reads one command per line on stdin and prints exactly one result line per
 * command on stdout (flushed), so that a caller can run it in lock step.
 * There is one sequence at a time, named "s" in messages, as in
 * `CREATE SEQUENCE s`.  Keywords are case-insensitive.
 *
 *   create <options>        CREATE SEQUENCE s <options>; destroys the old
 *                           sequence first (so a failed create leaves none)
 *   alter <options>         ALTER SEQUENCE s <options>      (numseq_alter)
 *   restart [[WITH] v]      ALTER SEQUENCE s RESTART [WITH v]
 *                           (numseq_restart / numseq_restart_with)
 *   nextval                 SELECT nextval('s')
 *   setval v true|false     SELECT setval('s', v, b)        -> prints v
 *   read                    SELECT last_value, is_called FROM s
 *                           -> "<last_value> true|false"
 *   options                 the pg_sequences row:
 *                           -> "<type> <start> <min> <max> <inc> <cycle> <cache>"
 *   currval                 SELECT currval('s')
 *   lastval                 SELECT lastval()
 *   discard                 DISCARD SEQUENCES
 *   rebase_at n             test hook: the sequence rebases every n tickets
 *                           (no SQL equivalent; prints "ok")
 *   # ... / empty line      prints nothing (comments)
 *
 * Sessions: a command may start with "@k " (k = 0..7) to run in session k.
 * Session 0 is the main thread; session k > 0 is a thread of its own,
 * started on first use, playing the part of PostgreSQL connection k.
 * Commands still run one at a time (the main thread waits for each), so
 * the output is deterministic; only the per-thread state (currval, lastval,
 * CACHE blocks) differs between sessions.
 *
 * <options> are CREATE/ALTER SEQUENCE's words: AS type, INCREMENT [BY] n,
 * MINVALUE n, NO MINVALUE, MAXVALUE n, NO MAXVALUE, START [WITH] n, CACHE n,
 * CYCLE, NO CYCLE, RESTART [[WITH] n].  A type other than smallint/int2,
 * integer/int/int4, bigint/int8 is passed to numseq as an invalid
 * numseq_type_t (PostgreSQL's "sequence type must be ..." case).
 *
 * Results: "ok" for statements, the number(s) for queries, or
 * "ERROR <SQLSTATE> <message>" with numseq's err.sqlstate and err.message.
 * A line the driver cannot express in numseq's API (a repeated option, a
 * malformed number) gives "DRIVER-ERROR <why>": pgdiff.py never generates
 * those, so one showing up is a generator bug.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r, strcasecmp */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "numseq.h"
#include "numseq_test.h"

#define MAX_TOKENS 64

static numseq_t *seq;

static void out_error(int rc, const numseq_error_t *err)
{
	if (err->sqlstate[0] != '\0')
		printf("ERROR %s %s\n", err->sqlstate, err->message);
	else
		printf("ERROR %d %s\n", rc, numseq_strerror(rc));
}

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64_t)v;
	return true;
}

static bool parse_type(const char *w, numseq_type_t *t)
{
	if (strcasecmp(w, "smallint") == 0 || strcasecmp(w, "int2") == 0)
		*t = NUMSEQ_SMALLINT;
	else if (strcasecmp(w, "integer") == 0 || strcasecmp(w, "int") == 0 ||
	         strcasecmp(w, "int4") == 0)
		*t = NUMSEQ_INTEGER;
	else if (strcasecmp(w, "bigint") == 0 || strcasecmp(w, "int8") == 0)
		*t = NUMSEQ_BIGINT;
	else if (isalpha((unsigned char)w[0]))
		*t = (numseq_type_t)3; /* some other type: numseq must refuse it */
	else
		return false;
	return true;
}

/* Sets bit in o->set; a repeated option cannot be expressed in the C API. */
static bool give(numseq_options_t *o, unsigned bit, const char **why)
{
	if (o->set & bit) {
		*why = "repeated option";
		return false;
	}
	o->set |= bit;
	return true;
}

static bool is_kw(const char *tok, const char *kw)
{
	return tok != NULL && strcasecmp(tok, kw) == 0;
}

/* Parses tok[0..n) as CREATE/ALTER SEQUENCE options. */
static bool parse_options(char **tok, int n, numseq_options_t *o, const char **why)
{
	int i = 0;
	int64_t v;

	numseq_options_init(o);
	*why = "bad option";
	while (i < n) {
		const char *w = tok[i++];
		const char *next = i < n ? tok[i] : NULL;

		if (is_kw(w, "AS")) {
			if (next == NULL || !parse_type(next, &o->type) ||
			    !give(o, NUMSEQ_OPT_TYPE, why))
				return false;
			i++;
		} else if (is_kw(w, "INCREMENT")) {
			if (is_kw(next, "BY"))
				next = ++i < n ? tok[i] : NULL;
			if (!parse_i64(next, &v) || !give(o, NUMSEQ_OPT_INCREMENT, why))
				return false;
			o->increment = v;
			i++;
		} else if (is_kw(w, "START")) {
			if (is_kw(next, "WITH"))
				next = ++i < n ? tok[i] : NULL;
			if (!parse_i64(next, &v) || !give(o, NUMSEQ_OPT_START, why))
				return false;
			o->start = v;
			i++;
		} else if (is_kw(w, "MINVALUE")) {
			if (!parse_i64(next, &v) || !give(o, NUMSEQ_OPT_MINVALUE, why))
				return false;
			o->minvalue = v;
			i++;
		} else if (is_kw(w, "MAXVALUE")) {
			if (!parse_i64(next, &v) || !give(o, NUMSEQ_OPT_MAXVALUE, why))
				return false;
			o->maxvalue = v;
			i++;
		} else if (is_kw(w, "CACHE")) {
			if (!parse_i64(next, &v) || !give(o, NUMSEQ_OPT_CACHE, why))
				return false;
			o->cache = v;
			i++;
		} else if (is_kw(w, "CYCLE")) {
			if (!give(o, NUMSEQ_OPT_CYCLE, why))
				return false;
			o->cycle = true;
		} else if (is_kw(w, "NO")) {
			if (is_kw(next, "MINVALUE")) {
				if (!give(o, NUMSEQ_OPT_NO_MINVALUE, why))
					return false;
			} else if (is_kw(next, "MAXVALUE")) {
				if (!give(o, NUMSEQ_OPT_NO_MAXVALUE, why))
					return false;
			} else if (is_kw(next, "CYCLE")) {
				if (!give(o, NUMSEQ_OPT_CYCLE, why))
					return false;
				o->cycle = false;
			} else {
				return false;
			}
			i++;
		} else if (is_kw(w, "RESTART")) {
			if (is_kw(next, "WITH")) {
				next = ++i < n ? tok[i] : NULL;
				if (!parse_i64(next, &v))
					return false;
			} else if (!parse_i64(next, &v)) {
				if (!give(o, NUMSEQ_OPT_RESTART, why))
					return false;
				continue;
			}
			if (!give(o, NUMSEQ_OPT_RESTART_WITH, why))
				return false;
			o->restart = v;
			i++;
		} else {
			*why = "unknown option word";
			return false;
		}
	}
	return true;
}

static const char *type_name(numseq_type_t t)
{
	switch (t) {
	case NUMSEQ_SMALLINT: return "smallint";
	case NUMSEQ_INTEGER: return "integer";
	case NUMSEQ_BIGINT: return "bigint";
	default: return "?";
	}
}

static void run(char **tok, int n)
{
	const char *cmd = tok[0];
	numseq_error_t err;
	numseq_options_t o;
	const char *why = NULL;
	int64_t v;
	int rc;

	memset(&err, 0, sizeof err);
	if (is_kw(cmd, "create")) {
		if (!parse_options(tok + 1, n - 1, &o, &why)) {
			printf("DRIVER-ERROR %s\n", why);
			return;
		}
		if (seq != NULL)
			(void)numseq_destroy(&seq);
		o.set |= NUMSEQ_OPT_NAME;
		o.name = "s";
		rc = numseq_create(&seq, &o, &err);
		if (rc != NUMSEQ_OK) {
			seq = NULL;
			out_error(rc, &err);
		} else {
			puts("ok");
		}
	} else if (is_kw(cmd, "alter")) {
		if (n < 2 || !parse_options(tok + 1, n - 1, &o, &why)) {
			printf("DRIVER-ERROR %s\n", why != NULL ? why : "ALTER without options");
			return;
		}
		rc = numseq_alter(seq, &o, &err);
		if (rc != NUMSEQ_OK)
			out_error(rc, &err);
		else
			puts("ok");
	} else if (is_kw(cmd, "restart")) {
		int k = 1;
		if (is_kw(k < n ? tok[k] : NULL, "WITH"))
			k++;
		if (k < n) {
			if (k + 1 != n || !parse_i64(tok[k], &v)) {
				puts("DRIVER-ERROR restart [[WITH] v]");
				return;
			}
			rc = numseq_restart_with(seq, v, &err);
		} else if (k != 1) {
			puts("DRIVER-ERROR restart WITH needs a value");
			return;
		} else {
			rc = numseq_restart(seq, &err);
		}
		if (rc != NUMSEQ_OK)
			out_error(rc, &err);
		else
			puts("ok");
	} else if (is_kw(cmd, "nextval") || is_kw(cmd, "currval") || is_kw(cmd, "lastval")) {
		if (n != 1) {
			puts("DRIVER-ERROR no arguments expected");
			return;
		}
		if (is_kw(cmd, "nextval"))
			rc = numseq_nextval(seq, &v, &err);
		else if (is_kw(cmd, "currval"))
			rc = numseq_currval(seq, &v, &err);
		else
			rc = numseq_lastval(&v, &err);
		if (rc != NUMSEQ_OK)
			out_error(rc, &err);
		else
			printf("%" PRId64 "\n", v);
	} else if (is_kw(cmd, "setval")) {
		bool called;
		if (n != 3 || !parse_i64(tok[1], &v) ||
		    !(is_kw(tok[2], "true") || is_kw(tok[2], "false"))) {
			puts("DRIVER-ERROR setval v true|false");
			return;
		}
		called = is_kw(tok[2], "true");
		rc = numseq_setval(seq, v, called, &err);
		if (rc != NUMSEQ_OK)
			out_error(rc, &err);
		else
			printf("%" PRId64 "\n", v); /* PostgreSQL's setval returns v */
	} else if (is_kw(cmd, "read")) {
		bool called;
		rc = numseq_read(seq, &v, &called);
		if (rc != NUMSEQ_OK)
			printf("ERROR %d %s\n", rc, numseq_strerror(rc));
		else
			printf("%" PRId64 " %s\n", v, called ? "true" : "false");
	} else if (is_kw(cmd, "options")) {
		rc = numseq_get_options(seq, &o);
		if (rc != NUMSEQ_OK)
			printf("ERROR %d %s\n", rc, numseq_strerror(rc));
		else
			printf("%s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s %" PRId64
			       "\n",
			       type_name(o.type), o.start, o.minvalue, o.maxvalue, o.increment,
			       o.cycle ? "true" : "false", o.cache);
	} else if (is_kw(cmd, "discard")) {
		numseq_discard();
		puts("ok");
	} else if (is_kw(cmd, "rebase_at")) {
		if (n != 2 || !parse_i64(tok[1], &v) || v < 1) {
			puts("DRIVER-ERROR rebase_at n");
			return;
		}
		rc = numseq__set_rebase_at(seq, (uint64_t)v);
		if (rc != NUMSEQ_OK)
			printf("ERROR %d %s\n", rc, numseq_strerror(rc));
		else
			puts("ok");
	} else {
		puts("DRIVER-ERROR unknown command");
	}
}

/* ---------------------------------------------------------- sessions */

#define MAX_SESSIONS 8

struct session {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started;
	bool has_work; /* main -> worker: tok/n hold a command */
	bool quit;     /* main -> worker: exit */
	char **tok;
	int n;
};

static struct session sessions[MAX_SESSIONS];

static void *session_main(void *arg)
{
	struct session *ss = arg;

	pthread_mutex_lock(&ss->mu);
	for (;;) {
		while (!ss->has_work && !ss->quit)
			pthread_cond_wait(&ss->cv, &ss->mu);
		if (ss->has_work) {
			run(ss->tok, ss->n);
			fflush(stdout);
			ss->has_work = false;
			pthread_cond_broadcast(&ss->cv);
		} else {
			break;
		}
	}
	pthread_mutex_unlock(&ss->mu);
	return NULL;
}

/* Runs one command in session k and waits for it. */
static void run_in(int k, char **tok, int n)
{
	struct session *ss = &sessions[k];

	if (k == 0) {
		run(tok, n);
		return;
	}
	if (!ss->started) {
		pthread_mutex_init(&ss->mu, NULL);
		pthread_cond_init(&ss->cv, NULL);
		if (pthread_create(&ss->tid, NULL, session_main, ss) != 0) {
			puts("DRIVER-ERROR pthread_create failed");
			return;
		}
		ss->started = true;
	}
	pthread_mutex_lock(&ss->mu);
	ss->tok = tok;
	ss->n = n;
	ss->has_work = true;
	pthread_cond_broadcast(&ss->cv);
	while (ss->has_work)
		pthread_cond_wait(&ss->cv, &ss->mu);
	pthread_mutex_unlock(&ss->mu);
}

static void stop_sessions(void)
{
	for (int k = 1; k < MAX_SESSIONS; k++) {
		struct session *ss = &sessions[k];
		if (!ss->started)
			continue;
		pthread_mutex_lock(&ss->mu);
		ss->quit = true;
		pthread_cond_broadcast(&ss->cv);
		pthread_mutex_unlock(&ss->mu);
		pthread_join(ss->tid, NULL);
		pthread_cond_destroy(&ss->cv);
		pthread_mutex_destroy(&ss->mu);
		ss->started = false;
	}
}

int main(void)
{
	char line[4096];

	while (fgets(line, sizeof line, stdin) != NULL) {
		char *tok[MAX_TOKENS];
		int n = 0;
		char *save = NULL;
		char *t;

		if (strchr(line, '\n') == NULL && !feof(stdin)) {
			int c;
			while ((c = getchar()) != EOF && c != '\n')
				;
			puts("DRIVER-ERROR line too long");
			fflush(stdout);
			continue;
		}
		for (t = strtok_r(line, " \t\r\n", &save); t != NULL && n < MAX_TOKENS;
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = t;
		if (n == 0 || tok[0][0] == '#')
			continue;
		if (t != NULL) {
			puts("DRIVER-ERROR too many words");
		} else if (tok[0][0] == '@') {
			int64_t k;
			if (!parse_i64(tok[0] + 1, &k) || k < 0 || k >= MAX_SESSIONS || n < 2)
				puts("DRIVER-ERROR @k: session 0..7, then a command");
			else
				run_in((int)k, tok + 1, n - 1);
		} else {
			run(tok, n);
		}
		fflush(stdout);
	}
	stop_sessions();
	if (seq != NULL)
		(void)numseq_destroy(&seq);
	return 0;
}
