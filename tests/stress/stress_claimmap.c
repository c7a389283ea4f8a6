/*
 * stress_claimmap.c - the claimed-number bitmap (src/claimmap.h) under
 * 2-8 threads.
 *
 * Oracle: every position is owned by at most one thread.  A thread owns a
 * position from the set() or take_first() that won it (return 1) until it
 * releases it; an array of per-position owner slots records the owner:
 * the winner moves its slot 0 -> id (finding it non-zero = two owners),
 * the owner moves it id -> 0 just before its clear(), which must return 1
 * (only the owner clears a position it owns).  The slots are relaxed
 * atomics; what orders one owner's slot update before the next owner's is
 * the bitmap itself (the winning fetch_or reads the clearing fetch_and),
 * and a plain (non-atomic) payload per position, written by each owner
 * and checked at its release, lets ThreadSanitizer verify that the bitmap's
 * claim and release do carry that happens-before.
 *
 * Positions [0, guard) are never set by anyone (set() targets positions
 * from guard on and take_first starts at guard or later), so clear() of a
 * guard position must return 0, test() must say clear, and no search may
 * report one as set, even while the rest of their leaf word churns.
 *
 * After pthread_join the map is quiescent: numseq__cmap_check must find
 * every summary bit exact, the counters must equal the oracle's counts,
 * every owned position must be set and every other one clear, and the
 * searches must agree with the owner array.
 *
 * Cases:
 *  - churn: random set / take_first / own releases / searches on several
 *    map sizes (one round with stall injection); prints the op count.
 *  - prefix: no clears; threads take_first until their quotas (total
 *    below nbits): the union is exactly 0..K-1.  Then with a thread doing
 *    set() at random positions alongside and takers starting at random
 *    `from`: each position p returned by take_first(from) has [from, p)
 *    all set at the end.  Then threads take until full: the union is
 *    exactly 0..n-1 and every thread's last call returned 0.
 *  - refill: small maps (100, 4097) start full, owned round-robin; threads
 *    release one of theirs and take_first(0) again.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "claimmap.h"
#include "stress_common.h"

#define MAX_THREADS 8
#define WHY 512

/* 64-byte aligned (its counter stripes are). */
static struct numseq__cmap map;

struct shared {
	uint64_t n;     /* nbits */
	uint64_t guard; /* [0, guard) is never set */
	_Atomic unsigned char *owner;
	unsigned *payload; /* plain: see the header comment */
	stress_gate_t *gate;
	_Atomic int alive; /* workers still running (the staller's targets) */
};

struct worker {
	/* configuration */
	struct shared *sh;
	unsigned id; /* 1..MAX_THREADS */
	uint64_t seed;
	uint64_t ops;
	unsigned pct_set, pct_take, pct_release; /* the rest: searches and checks */
	void *(*body)(struct worker *);
	/* state */
	uint64_t *owned;
	size_t nowned;
	/* results */
	uint64_t done, wins, releases, full_seen;
	uint64_t violations;
	char msg[200];
};

static void bad(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(struct worker *w, const char *fmt, ...)
{
	if (w->violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->msg, sizeof w->msg, fmt, ap);
		va_end(ap);
	}
}

/* This thread just won p (set or take_first returned 1). */
static void won(struct worker *w, uint64_t p, const char *how)
{
	struct shared *sh = w->sh;
	unsigned char expect = 0;
	/* relaxed: the bitmap orders the previous owner's reset before this */
	if (!atomic_compare_exchange_strong_explicit(&sh->owner[p], &expect, (unsigned char)w->id,
	                                             memory_order_relaxed, memory_order_relaxed))
		bad(w, "%s won position %llu, which thread %u owns", how, STRESS_LLU(p), expect);
	sh->payload[p] = w->id; /* plain: TSan checks the hand-over */
	w->owned[w->nowned++] = p;
	w->wins++;
}

/* Releases one of this thread's positions (the k-th). */
static void release_own(struct worker *w, size_t k)
{
	struct shared *sh = w->sh;
	uint64_t p = w->owned[k];
	if (sh->payload[p] != w->id)
		bad(w, "payload of own position %llu is %u", STRESS_LLU(p), sh->payload[p]);
	/* relaxed: as in won() */
	unsigned char prev = atomic_exchange_explicit(&sh->owner[p], 0, memory_order_relaxed);
	if (prev != w->id)
		bad(w, "own position %llu had owner %u", STRESS_LLU(p), prev);
	int rc = numseq__cmap_clear(&map, p);
	if (rc != 1)
		bad(w, "clear of own position %llu returned %d", STRESS_LLU(p), rc);
	w->owned[k] = w->owned[--w->nowned];
	w->releases++;
}

/* Non-asserting-on-timing operations: each checks only what holds under
 * any interleaving. */
static void misc_op(struct worker *w, stress_rng_t *r)
{
	struct shared *sh = w->sh;
	uint64_t p = 0, from = stress_rng_below(r, sh->n);
	int rc;
	switch (stress_rng_below(r, 7)) {
	case 0:
		if (sh->guard > 0) {
			uint64_t i = stress_rng_below(r, sh->guard);
			rc = numseq__cmap_clear(&map, i);
			if (rc != 0)
				bad(w, "clear of guard position %llu returned %d", STRESS_LLU(i),
				    rc);
		}
		break;
	case 1:
		if (sh->guard > 0 && numseq__cmap_test(&map, stress_rng_below(r, sh->guard)))
			bad(w, "a guard position tests set");
		break;
	case 2:
		rc = numseq__cmap_find_set(&map, from, &p);
		if (rc == 1 && (p < from || p < sh->guard || p >= sh->n))
			bad(w, "find_set(%llu) = %llu", STRESS_LLU(from), STRESS_LLU(p));
		else if (rc != 0 && rc != 1)
			bad(w, "find_set returned %d", rc);
		break;
	case 3:
		rc = numseq__cmap_find_clear(&map, from, &p);
		if (rc == 1 && (p < from || p >= sh->n))
			bad(w, "find_clear(%llu) = %llu", STRESS_LLU(from), STRESS_LLU(p));
		else if (rc != 0 && rc != 1)
			bad(w, "find_clear returned %d", rc);
		break;
	case 4:
		rc = numseq__cmap_last_set(&map, &p);
		if (rc == 1 && (p < sh->guard || p >= sh->n))
			bad(w, "last_set = %llu", STRESS_LLU(p));
		else if (rc != 0 && rc != 1)
			bad(w, "last_set returned %d", rc);
		break;
	case 5:
		if (w->nowned > 0) {
			p = w->owned[stress_rng_below(r, w->nowned)];
			if (!numseq__cmap_test(&map, p))
				bad(w, "own position %llu tests clear", STRESS_LLU(p));
		}
		break;
	default: {
		uint64_t c, rl;
		numseq__cmap_counts(&map, &c, &rl);
		(void)numseq__cmap_bytes(&map);
	} break;
	}
}

static void *churn_main(struct worker *w)
{
	struct shared *sh = w->sh;
	stress_rng_t r;
	stress_rng_init(&r, w->seed);
	const uint64_t span = sh->n - sh->guard;
	if (!stress_gate_pass(sh->gate))
		return NULL;
	for (w->done = 0; w->done < w->ops; w->done++) {
		unsigned op = (unsigned)stress_rng_below(&r, 100);
		uint64_t p = 0;
		int rc;
		if (op < w->pct_set) {
			/* half the time in a window all threads share (it moves
			 * every 2^12 operations), so that sets collide */
			uint64_t i;
			if (stress_rng_below(&r, 2) == 0) {
				uint64_t x = (w->done >> 12) * UINT64_C(0x9E3779B97F4A7C15);
				i = (x >> 20) % span + stress_rng_below(&r, 256);
				i = sh->guard + i % span;
			} else {
				i = sh->guard + stress_rng_below(&r, span);
			}
			rc = numseq__cmap_set(&map, i);
			if (rc == 1)
				won(w, i, "set");
			else if (rc != 0)
				bad(w, "set(%llu) returned %d", STRESS_LLU(i), rc);
		} else if (op < w->pct_set + w->pct_take) {
			uint64_t from = sh->guard;
			if (stress_rng_below(&r, 10) < 3)
				from += stress_rng_below(&r, span);
			rc = numseq__cmap_take_first(&map, from, &p);
			if (rc == 1) {
				if (p < from || p >= sh->n)
					bad(w, "take_first(%llu) = %llu", STRESS_LLU(from),
					    STRESS_LLU(p));
				else
					won(w, p, "take_first");
			} else if (rc == 0) {
				w->full_seen++;
			} else {
				bad(w, "take_first returned %d", rc);
			}
		} else if (op < w->pct_set + w->pct_take + w->pct_release) {
			if (w->nowned > 0)
				release_own(w, (size_t)stress_rng_below(&r, w->nowned));
		} else {
			misc_op(w, &r);
		}
	}
	return NULL;
}

/* The quiescent oracle (main thread, after the join). */
static void final_check(struct shared *sh, struct worker *ws, int nt, uint64_t cs)
{
	uint64_t wins = 0, rels = 0, owned = 0, c = 0, rl = 0, p = 0;
	for (int t = 0; t < nt; t++) {
		STRESS_CHECK(ws[t].violations == 0, cs, "thread %d: %llu violations, first: %s",
		             t + 1, STRESS_LLU(ws[t].violations), ws[t].msg);
		wins += ws[t].wins;
		rels += ws[t].releases;
		owned += ws[t].nowned;
		for (size_t k = 0; k < ws[t].nowned; k++) {
			uint64_t q = ws[t].owned[k];
			STRESS_CHECK(atomic_load(&sh->owner[q]) == ws[t].id, cs,
			             "thread %u's position %llu has owner %u", ws[t].id,
			             STRESS_LLU(q), atomic_load(&sh->owner[q]));
		}
	}
	int bad_sum = numseq__cmap_check(&map);
	STRESS_CHECK(bad_sum == 0, cs, "numseq__cmap_check: level %d problem %d (nbits %llu)",
	             bad_sum >> 4, bad_sum & 15, STRESS_LLU(sh->n));
	numseq__cmap_counts(&map, &c, &rl);
	STRESS_CHECK(c == wins && rl == rels, cs,
	             "counts: %llu claims, %llu releases; the threads won %llu, released %llu",
	             STRESS_LLU(c), STRESS_LLU(rl), STRESS_LLU(wins), STRESS_LLU(rels));
	STRESS_CHECK(wins - rels == owned, cs, "won %llu - released %llu != owned %llu",
	             STRESS_LLU(wins), STRESS_LLU(rels), STRESS_LLU(owned));
	uint64_t nset = 0, lowest_free = sh->n, highest_set = 0;
	bool any = false;
	for (uint64_t i = 0; i < sh->n; i++) {
		bool o = atomic_load(&sh->owner[i]) != 0;
		bool s = numseq__cmap_test(&map, i);
		STRESS_CHECK(o == s, cs, "position %llu: owner %u but the bitmap says %s",
		             STRESS_LLU(i), atomic_load(&sh->owner[i]), s ? "set" : "clear");
		if (s) {
			nset++;
			highest_set = i;
			any = true;
		} else if (lowest_free == sh->n && i >= sh->guard) {
			lowest_free = i;
		}
	}
	STRESS_CHECK(nset == owned, cs, "%llu set, %llu owned", STRESS_LLU(nset),
	             STRESS_LLU(owned));
	/* the searches agree when quiescent */
	int rc = numseq__cmap_last_set(&map, &p);
	STRESS_CHECK(rc == (any ? 1 : 0) && (!any || p == highest_set), cs,
	             "last_set: %d, %llu; expected %llu", rc, STRESS_LLU(p),
	             STRESS_LLU(highest_set));
	rc = numseq__cmap_find_clear(&map, sh->guard, &p);
	STRESS_CHECK(lowest_free == sh->n ? rc == 0 : rc == 1 && p == lowest_free, cs,
	             "find_clear: %d, %llu; expected %llu", rc, STRESS_LLU(p),
	             STRESS_LLU(lowest_free));
	uint64_t walked = 0;
	for (uint64_t from = 0; numseq__cmap_find_set(&map, from, &p) == 1; from = p + 1) {
		STRESS_CHECK(p >= from && atomic_load(&sh->owner[p]) != 0, cs,
		             "find_set(%llu) = %llu, not owned", STRESS_LLU(from), STRESS_LLU(p));
		walked++;
	}
	STRESS_CHECK(walked == owned, cs, "find_set walk saw %llu of %llu", STRESS_LLU(walked),
	             STRESS_LLU(owned));
}

static void shared_init(struct shared *sh, uint64_t n, uint64_t guard, stress_gate_t *gate,
                        uint64_t cs)
{
	sh->n = n;
	sh->guard = guard;
	sh->owner = calloc((size_t)n, sizeof(*sh->owner));
	sh->payload = calloc((size_t)n, sizeof(*sh->payload));
	sh->gate = gate;
	STRESS_CHECK(sh->owner != NULL && sh->payload != NULL, cs, "out of memory");
	int rc = numseq__cmap_init(&map, n);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq__cmap_init(%llu) = %d", STRESS_LLU(n), rc);
}

static void shared_free(struct shared *sh, struct worker *ws, int nt)
{
	for (int t = 0; t < nt; t++)
		free(ws[t].owned);
	free(sh->owner);
	free(sh->payload);
	numseq__cmap_free(&map);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->body(w);
	/* release: pairs with the main thread's acquire before it stops the
	 * staller (then nothing signals an exited thread) */
	atomic_fetch_sub_explicit(&w->sh->alive, 1, memory_order_release);
	return NULL;
}

/* Runs nt workers (set up by the caller) with an optional staller. */
static void run_workers(struct shared *sh, struct worker *ws, int nt,
                        void *(*body)(struct worker *), bool stalls, uint64_t cs)
{
	pthread_t tids[MAX_THREADS];
	char why[WHY] = "";
	int created = 0;
	for (int t = 0; t < nt; t++)
		ws[t].body = body;
	atomic_init(&sh->alive, nt);
	stress_gate_init(sh->gate, (unsigned)nt);
	bool ok = stress_spawn(tids, nt, worker_main, ws, sizeof ws[0], &created, why, sizeof why);
	stress_staller_t st;
	pthread_t st_tid;
	bool stalling = false;
	if (ok) {
		if (stalls) {
			memset(&st, 0, sizeof st);
			st.targets = tids;
			st.ntargets = nt;
			st.weight0 = 100 / (unsigned)nt;
			st.period_us = 200;
			st.max_stall_us = 100;
			st.seed = cs ^ 0x5A11;
			atomic_init(&st.stop, false);
			stalling = pthread_create(&st_tid, NULL, stress_staller_main, &st) == 0;
		}
		stress_gate_open(sh->gate);
	} else {
		stress_gate_abort(sh->gate);
	}
	if (stalling) {
		/* targets must not be joined while signals may still reach them */
		while (atomic_load_explicit(&sh->alive, memory_order_acquire) > 0) {
			struct timespec d = {.tv_sec = 0, .tv_nsec = 1000000};
			nanosleep(&d, NULL);
		}
		atomic_store(&st.stop, true);
		pthread_join(st_tid, NULL);
	}
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(sh->gate);
	STRESS_CHECK(ok, cs, "%s", why);
}

/* ------------------------------------------------------------- churn */

static void test_churn(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("churn");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	/* nbits, guard, release share: tiny (one word plus a guard in it),
	 * two levels, three, four; the last round with stall injection */
	static const struct {
		uint64_t n, guard;
		unsigned pct_release;
		bool stalls;
	} rounds[] = {
		{100, 37, 40, false},    {4097, 37, 40, false},    {4097, 0, 25, false},
		{70001, 101, 45, false}, {300000, 101, 40, false}, {4097, 37, 40, true},
	};
	uint64_t total = 0;
	for (size_t ri = 0; ri < sizeof rounds / sizeof rounds[0]; ri++) {
		struct shared sh;
		stress_gate_t gate;
		struct worker ws[MAX_THREADS];
		int nt = (int)stress_rng_range(&r, 2, MAX_THREADS);
		uint64_t ops = stress_n(rounds[ri].stalls ? 4000000 : 16000000, 20000);
		shared_init(&sh, rounds[ri].n, rounds[ri].guard, &gate, cs);
		memset(ws, 0, sizeof ws);
		for (int t = 0; t < nt; t++) {
			ws[t].sh = &sh;
			ws[t].id = (unsigned)t + 1;
			ws[t].seed = stress_rng_next(&r);
			ws[t].ops = ops / (uint64_t)nt;
			ws[t].pct_set = 30;
			ws[t].pct_take = 25;
			ws[t].pct_release = rounds[ri].pct_release;
			ws[t].owned = calloc((size_t)sh.n, sizeof(uint64_t));
			STRESS_CHECK(ws[t].owned != NULL, cs, "out of memory");
		}
		run_workers(&sh, ws, nt, churn_main, rounds[ri].stalls, cs);
		uint64_t done = 0, wins = 0, full = 0;
		for (int t = 0; t < nt; t++) {
			done += ws[t].done;
			wins += ws[t].wins;
			full += ws[t].full_seen;
		}
		final_check(&sh, ws, nt, cs);
		/* and everything can be released again */
		for (int t = 0; t < nt; t++) {
			while (ws[t].nowned > 0)
				release_own(&ws[t], ws[t].nowned - 1);
			STRESS_CHECK(ws[t].violations == 0, cs, "final release: %s", ws[t].msg);
		}
		uint64_t p = 0;
		STRESS_CHECK(numseq__cmap_find_set(&map, 0, &p) == 0, cs, "not empty at the end");
		STRESS_CHECK(numseq__cmap_check(&map) == 0, cs,
		             "summaries after the final release");
		printf("[stress]   nbits %-7llu guard %-3llu threads %d%s: %llu ops, %llu wins, "
		       "%llu take_first found it full\n",
		       STRESS_LLU(sh.n), STRESS_LLU(sh.guard), nt,
		       rounds[ri].stalls ? " (stalls)" : "", STRESS_LLU(done), STRESS_LLU(wins),
		       STRESS_LLU(full));
		total += done;
		shared_free(&sh, ws, nt);
	}
	printf("[stress] churn: %llu operations in %.1f s\n", STRESS_LLU(total),
	       stress_case_seconds());
}

/* ------------------------------------------------------------ prefix */

struct taker {
	struct shared *sh;
	unsigned id;
	uint64_t seed;
	uint64_t quota; /* take_first calls to win; 0 = until one returns 0 */
	bool rand_from; /* from = random below rand_from_max, else 0 */
	uint64_t from_max;
	bool full_is_bad; /* quotas below nbits: take_first must not fail */
	bool setter;      /* set() at random positions instead, until *stop */
	_Atomic bool *stop;
	/* results */
	uint64_t *got, *froms;
	size_t ngot;
	int last_rc;
	uint64_t violations;
	char msg[200];
};

static void tbad(struct taker *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tbad(struct taker *t, const char *fmt, ...)
{
	if (t->violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->msg, sizeof t->msg, fmt, ap);
		va_end(ap);
	}
}

static void take_won(struct taker *t, uint64_t p, uint64_t from)
{
	unsigned char expect = 0;
	/* relaxed: nothing is released in this case; uniqueness only */
	if (!atomic_compare_exchange_strong_explicit(&t->sh->owner[p], &expect,
	                                             (unsigned char)t->id, memory_order_relaxed,
	                                             memory_order_relaxed))
		tbad(t, "position %llu won twice (also by %u)", STRESS_LLU(p), expect);
	t->got[t->ngot] = p;
	t->froms[t->ngot] = from;
	t->ngot++;
}

static void *taker_main(void *arg)
{
	struct taker *t = arg;
	stress_rng_t r;
	stress_rng_init(&r, t->seed);
	if (!stress_gate_pass(t->sh->gate))
		return NULL;
	if (t->setter) {
		/* relaxed: a stop flag; the join orders everything after */
		while (!atomic_load_explicit(t->stop, memory_order_relaxed)) {
			uint64_t i = stress_rng_below(&r, t->sh->n);
			int rc = numseq__cmap_set(&map, i);
			if (rc == 1)
				take_won(t, i, i);
			else if (rc != 0)
				tbad(t, "set returned %d", rc);
		}
		return NULL;
	}
	for (;;) {
		if (t->quota != 0 && t->ngot == t->quota)
			break;
		uint64_t from = t->rand_from ? stress_rng_below(&r, t->from_max) : 0, p = 0;
		int rc = numseq__cmap_take_first(&map, from, &p);
		t->last_rc = rc;
		if (rc == 1) {
			if (p < from || p >= t->sh->n)
				tbad(t, "take_first(%llu) = %llu", STRESS_LLU(from), STRESS_LLU(p));
			else
				take_won(t, p, from);
		} else if (rc == 0) {
			if (t->full_is_bad)
				tbad(t, "take_first(0) found the map full below the quotas");
			break; /* [from, n) was observed full: done */
		} else {
			tbad(t, "take_first returned %d", rc);
			break;
		}
	}
	return NULL;
}

enum prefix_mode { QUOTAS, WITH_SETTER, UNTIL_FULL };

static void prefix_round(enum prefix_mode mode, uint64_t n, stress_rng_t *r, uint64_t cs)
{
	struct shared sh;
	stress_gate_t gate;
	struct taker ts[MAX_THREADS];
	_Atomic bool stop;
	atomic_init(&stop, false);
	int nt = (int)stress_rng_range(r, 2, MAX_THREADS);
	if (mode == QUOTAS && n < 2 * MAX_THREADS)
		n = 2 * MAX_THREADS;
	shared_init(&sh, n, 0, &gate, cs);
	memset(ts, 0, sizeof ts);
	/* QUOTAS: uneven quotas, each >= 1, summing to want <= n */
	const uint64_t want = n - stress_rng_below(r, n / 4 + 1);
	uint64_t left = want;
	for (int t = 0; t < nt; t++) {
		struct taker *k = &ts[t];
		k->sh = &sh;
		k->id = (unsigned)t + 1;
		k->seed = stress_rng_next(r);
		k->got = calloc((size_t)n, sizeof(uint64_t));
		k->froms = calloc((size_t)n, sizeof(uint64_t));
		STRESS_CHECK(k->got != NULL && k->froms != NULL, cs, "out of memory");
		k->stop = &stop;
		if (mode == QUOTAS) {
			uint64_t after = (uint64_t)(nt - 1 - t); /* threads still to serve */
			k->quota = after == 0 ? left : 1 + stress_rng_below(r, left - after);
			left -= k->quota;
			k->full_is_bad = true;
		} else if (mode == WITH_SETTER) {
			k->setter = t == 0;
			k->rand_from = stress_rng_below(r, 2) == 0;
			k->from_max = n;
			k->quota = k->setter ? 0 : n / (uint64_t)(2 * nt);
			if (k->quota == 0 && !k->setter)
				k->quota = 1;
		}
	}
	/* run; the setter stops when the takers are done */
	pthread_t tids[MAX_THREADS];
	char why[WHY] = "";
	int created = 0;
	stress_gate_init(&gate, (unsigned)nt);
	bool ok = stress_spawn(tids, nt, taker_main, ts, sizeof ts[0], &created, why, sizeof why);
	if (ok)
		stress_gate_open(&gate);
	else
		stress_gate_abort(&gate);
	for (int i = created - 1; i >= 0; i--) {
		if (i == 0)
			atomic_store(&stop, true);
		pthread_join(tids[i], NULL);
	}
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);

	uint64_t ngot = 0, nset = 0;
	for (int t = 0; t < nt; t++) {
		STRESS_CHECK(ts[t].violations == 0, cs, "thread %d: %s", t + 1, ts[t].msg);
		ngot += ts[t].ngot;
	}
	int bad_sum = numseq__cmap_check(&map);
	STRESS_CHECK(bad_sum == 0, cs, "numseq__cmap_check: level %d problem %d", bad_sum >> 4,
	             bad_sum & 15);
	/* prefix sums of the final set positions */
	uint64_t *cnt = calloc((size_t)n + 1, sizeof(uint64_t));
	STRESS_CHECK(cnt != NULL, cs, "out of memory");
	for (uint64_t i = 0; i < n; i++) {
		bool s = numseq__cmap_test(&map, i);
		STRESS_CHECK(s == (atomic_load(&sh.owner[i]) != 0), cs,
		             "position %llu: bitmap and owners disagree", STRESS_LLU(i));
		cnt[i + 1] = cnt[i] + (s ? 1 : 0);
	}
	nset = cnt[n];
	STRESS_CHECK(nset == ngot, cs, "%llu set, %llu won", STRESS_LLU(nset), STRESS_LLU(ngot));
	uint64_t c = 0, rl = 0;
	numseq__cmap_counts(&map, &c, &rl);
	STRESS_CHECK(c == ngot && rl == 0, cs, "counts %llu / %llu, won %llu", STRESS_LLU(c),
	             STRESS_LLU(rl), STRESS_LLU(ngot));
	if (mode == QUOTAS) {
		/* exactly 0..want-1 (owners make duplicates impossible) */
		STRESS_CHECK(ngot == want && cnt[want] == want, cs,
		             "takers won %llu, %llu of them below %llu", STRESS_LLU(ngot),
		             STRESS_LLU(cnt[want]), STRESS_LLU(want));
	} else if (mode == UNTIL_FULL) {
		STRESS_CHECK(ngot == n, cs, "until full: %llu of %llu", STRESS_LLU(ngot),
		             STRESS_LLU(n));
		for (int t = 0; t < nt; t++)
			STRESS_CHECK(ts[t].last_rc == 0, cs, "thread %d stopped with %d", t + 1,
			             ts[t].last_rc);
	}
	/* every take_first(from) = p had [from, p) set at the end */
	for (int t = 0; t < nt; t++) {
		if (ts[t].setter)
			continue;
		for (size_t k = 0; k < ts[t].ngot; k++) {
			uint64_t f = ts[t].froms[k], p = ts[t].got[k];
			STRESS_CHECK(cnt[p] - cnt[f] == p - f, cs,
			             "take_first(%llu) = %llu but %llu positions between are clear",
			             STRESS_LLU(f), STRESS_LLU(p),
			             STRESS_LLU((p - f) - (cnt[p] - cnt[f])));
		}
	}
	printf("[stress]   %s nbits %-7llu threads %d: %llu won\n",
	       mode == QUOTAS        ? "quotas     "
	       : mode == WITH_SETTER ? "with setter"
	                             : "until full ",
	       STRESS_LLU(n), nt, STRESS_LLU(ngot));
	free(cnt);
	for (int t = 0; t < nt; t++) {
		free(ts[t].got);
		free(ts[t].froms);
	}
	free(sh.owner);
	free(sh.payload);
	numseq__cmap_free(&map);
}

static void test_prefix(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("prefix");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	uint64_t rounds = stress_n(60, 6);
	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t n = stress_rng_range(&r, 1, stress_n(1000000, 5000));
		if (i % 3 == 0)
			n = stress_rng_range(&r, 1, 5000); /* partial words and levels */
		prefix_round((enum prefix_mode)(i % 3), n, &r, cs);
	}
	printf("[stress] prefix: %.1f s\n", stress_case_seconds());
}

/* ------------------------------------------------------------ refill */

static void *refill_main(struct worker *w)
{
	stress_rng_t r;
	stress_rng_init(&r, w->seed);
	if (!stress_gate_pass(w->sh->gate))
		return NULL;
	for (w->done = 0; w->done < w->ops; w->done++) {
		uint64_t p = 0;
		if (w->nowned > 0)
			release_own(w, (size_t)stress_rng_below(&r, w->nowned));
		int rc = numseq__cmap_take_first(&map, 0, &p);
		if (rc == 1)
			won(w, p, "take_first");
		else if (rc == 0)
			w->full_seen++;
		else
			bad(w, "take_first returned %d", rc);
		if (stress_rng_below(&r, 16) == 0) {
			uint64_t i = stress_rng_below(&r, w->sh->n);
			rc = numseq__cmap_set(&map, i);
			if (rc == 1)
				won(w, i, "set");
			else if (rc != 0)
				bad(w, "set returned %d", rc);
		}
	}
	return NULL;
}

static void test_refill(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("refill");
	stress_rng_t r;
	stress_rng_init(&r, cs);
	static const uint64_t sizes[] = {100, 4097, 64, 262145};
	uint64_t total = 0;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		struct shared sh;
		stress_gate_t gate;
		struct worker ws[MAX_THREADS];
		int nt = (int)stress_rng_range(&r, 2, MAX_THREADS);
		shared_init(&sh, sizes[si], 0, &gate, cs);
		memset(ws, 0, sizeof ws);
		for (int t = 0; t < nt; t++) {
			ws[t].sh = &sh;
			ws[t].id = (unsigned)t + 1;
			ws[t].seed = stress_rng_next(&r);
			ws[t].ops = stress_n(2000000, 10000) / (uint64_t)nt;
			ws[t].owned = calloc((size_t)sh.n, sizeof(uint64_t));
			STRESS_CHECK(ws[t].owned != NULL, cs, "out of memory");
		}
		/* full, owned round-robin */
		for (uint64_t i = 0; i < sh.n; i++) {
			uint64_t p = 0;
			STRESS_CHECK(numseq__cmap_take_first(&map, 0, &p) == 1 && p == i, cs,
			             "initial fill at %llu", STRESS_LLU(i));
			won(&ws[i % (uint64_t)nt], p, "fill");
		}
		run_workers(&sh, ws, nt, refill_main, false, cs);
		uint64_t done = 0, full = 0;
		for (int t = 0; t < nt; t++) {
			done += ws[t].done;
			full += ws[t].full_seen;
		}
		final_check(&sh, ws, nt, cs);
		printf("[stress]   nbits %-7llu threads %d: %llu rounds, %llu take_first found it "
		       "full\n",
		       STRESS_LLU(sh.n), nt, STRESS_LLU(done), STRESS_LLU(full));
		total += done;
		shared_free(&sh, ws, nt);
	}
	printf("[stress] refill: %llu release+take rounds in %.1f s\n", STRESS_LLU(total),
	       stress_case_seconds());
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_refill),
	};
	return cmocka_run_group_tests_name("stress_claimmap", tests, NULL, NULL);
}
