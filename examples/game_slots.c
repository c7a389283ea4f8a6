/*
 * game_slots.c - player slots on a game server: 64 of them, handed out
 * lowest first, given back when a player leaves.
 *
 * The story: a match server has slots 1..64.  A player who connects gets
 * the lowest free slot (slot numbers show on the scoreboard, and players
 * expect to fill it from the top); a player who leaves frees the slot for
 * the next one; the 65th concurrent player is told the server is full.
 * In SQL that is a table with a unique slot column, and a sequence alone
 * cannot do it: nextval never goes back to a freed number.  numseq's
 * claimed-number bitmap can:
 *
 *     CREATE SEQUENCE player_slot_seq MINVALUE 1 MAXVALUE 64;
 *     -- numseq: claims policy LOWEST_FREE (options.claims)
 *
 *     connect:     numseq_nextval  -> the lowest free slot, or NUMSEQ_EFULL
 *     disconnect:  numseq_release  -> the slot is free again
 *
 * This program plays an evening of churn: --threads N connection handlers
 * (default 8) each run --rounds R rounds (default 2500000, about a second)
 * of "a player connects" or "one of my players leaves" at random, with a
 * load that keeps the server near full (so some players are refused), then
 * the server goes quiet and the program checks what a monitoring query
 * would:
 *
 *  - never two players in one slot (an owner table the handlers keep next
 *    to the sequence: a slot handed out while it has an owner is a
 *    violation, and so is a disconnect that numseq says was not claimed);
 *  - numseq_claim_stats agrees with the owner table once quiet
 *    (claimed = issued - released = players connected, lowest free slot,
 *    highest taken slot);
 *  - lowest first: when everybody has left, one handler connecting 64
 *    players gets slots 1, 2, ..., 64 in that order and the 65th is
 *    refused; when the players in slots 40, 5 and 17 leave, the next three
 *    get 5, 17 and 40.
 *
 * It prints the occupancy as a bar (one character per slot, # taken, .
 * free) and the bitmap's statistics along the way.  Exit status: 0 all
 * checks passed, 1 a check failed, 2 bad usage, 3 the system refused the
 * threads.
 *
 *   game_slots [--threads N] [--rounds R] [--seed S]
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numseq.h"

#define SEQ_NAME "player_slot_seq"
#define SLOTS 64
#define MAX_THREADS 64
#define MAIN_ID (MAX_THREADS + 1) /* the owner id of players the main thread connects */
/* Load: a handler with k players connects one more with probability
 * 1 - k / K and otherwise lets one leave, so each settles around K / 2;
 * K = 2 * LOAD_SLOTS / N puts the server around LOAD_SLOTS players, busy
 * enough to be full now and then. */
#define LOAD_SLOTS 60

/* ---------------------------------------------------------------- server */

typedef struct server {
	numseq_t *seq;
	/* The owner table: owner[slot - 1] is the handler (1..N) whose player
	 * sits in the slot, 0 if free.  numseq orders its own state only, not
	 * the caller's memory, so both sides use seq_cst: the leaving
	 * handler's store of 0 comes before its numseq_release, the next
	 * owner's compare-exchange after its nextval, and the bitmap's
	 * read-modify-writes in between are seq_cst too (numseq.h: the claim's
	 * linearization point), so all four sit in one total order and the next
	 * owner sees the 0. */
	_Atomic unsigned owner[SLOTS];
	_Atomic long progress; /* rounds done by all handlers (for the live view) */
} server_t;

typedef struct handler {
	server_t *srv;
	unsigned id; /* 1..N, the owner id */
	uint64_t rng;
	long rounds;
	double k_full;   /* K above */
	int held[SLOTS]; /* slots of this handler's players */
	int nheld;
	/* results, read by the main thread after join */
	long connects, rejected, disconnects;
	long violations;
	char violation[160]; /* the first one */
	int other_rc;        /* first unexpected code */
} handler_t;

static uint64_t next_random(uint64_t *x) /* splitmix64 */
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

__attribute__((format(printf, 2, 3))) static void violation(handler_t *h, const char *fmt, ...)
{
	if (h->violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(h->violation, sizeof h->violation, fmt, ap);
		va_end(ap);
	}
}

static void player_connects(handler_t *h)
{
	int64_t slot = 0;
	numseq_error_t err;
	int rc = numseq_nextval(h->srv->seq, &slot, &err);
	if (rc == NUMSEQ_EFULL) { /* "server full, try again later" */
		h->rejected++;
		return;
	}
	if (rc != NUMSEQ_OK) {
		if (h->other_rc == 0)
			h->other_rc = rc;
		return;
	}
	if (slot < 1 || slot > SLOTS) {
		violation(h, "handler %u got slot %" PRId64 ", outside 1..%d", h->id, slot, SLOTS);
		return;
	}
	unsigned expected = 0;
	if (!atomic_compare_exchange_strong_explicit(&h->srv->owner[slot - 1], &expected, h->id,
	                                             memory_order_seq_cst, memory_order_seq_cst)) {
		violation(h,
		          "slot %" PRId64
		          " given to handler %u while handler %u's player sits in it",
		          slot, h->id, expected);
		return;
	}
	h->held[h->nheld++] = (int)slot;
	h->connects++;
}

static void player_leaves(handler_t *h)
{
	int i = (int)(next_random(&h->rng) % (uint64_t)h->nheld);
	int slot = h->held[i];
	h->held[i] = h->held[--h->nheld];
	/* Free in the owner table first: the moment numseq_release returns,
	 * the slot may already be someone else's. */
	atomic_store_explicit(&h->srv->owner[slot - 1], 0, memory_order_seq_cst);
	numseq_error_t err;
	int rc = numseq_release(h->srv->seq, slot, &err);
	if (rc == NUMSEQ_OK)
		h->disconnects++;
	else if (rc == NUMSEQ_ENOTCLAIMED)
		violation(h, "slot %d: handler %u's player left, but numseq says it was free", slot,
		          h->id);
	else if (h->other_rc == 0)
		h->other_rc = rc;
}

static void *handler_main(void *arg)
{
	handler_t *h = arg;
	for (long r = 0; r < h->rounds && h->violations == 0 && h->other_rc == 0; r++) {
		double u = (double)(next_random(&h->rng) >> 11) / 9007199254740992.0; /* [0, 1) */
		bool connect = h->nheld == 0 || u < 1.0 - h->nheld / h->k_full;
		if (connect && h->nheld < SLOTS)
			player_connects(h);
		else
			player_leaves(h);
		/* relaxed: a progress count for the live view, orders nothing */
		atomic_fetch_add_explicit(&h->srv->progress, 1, memory_order_relaxed);
	}
	return NULL;
}

/* --------------------------------------------------------------- display */

static int failures;

static void check(const char *what, bool ok)
{
	printf("  %-60s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* One character per slot: '#' taken, '.' free, as numseq_is_claimed says. */
static int show_bar(numseq_t *seq, const char *label)
{
	char bar[SLOTS + 1];
	int taken = 0;
	for (int s = 1; s <= SLOTS; s++) {
		bool c = false;
		if (numseq_is_claimed(seq, s, &c, NULL) != NUMSEQ_OK)
			c = false;
		bar[s - 1] = c ? '#' : '.';
		taken += c;
	}
	bar[SLOTS] = '\0';
	printf("  %-24s [%s] %2d/%d\n", label, bar, taken, SLOTS);
	return taken;
}

static bool show_stats(numseq_t *seq, numseq_claim_stats_t *st)
{
	int rc = numseq_claim_stats(seq, st);
	if (rc != NUMSEQ_OK) {
		printf("  numseq_claim_stats failed: %s\n", numseq_strerror(rc));
		return false;
	}
	printf("  %-24s claimed %" PRIu64 ", issued %" PRIu64 ", released %" PRIu64, "",
	       st->claimed, st->issued, st->released);
	if (st->has_free)
		printf(", first_free %" PRId64, st->first_free);
	else
		printf(", first_free (none)");
	if (st->has_claimed)
		printf(", max_claimed %" PRId64 "\n", st->max_claimed);
	else
		printf(", max_claimed (none)\n");
	return true;
}

/* The quiet-server check: the bitmap's figures against the owner table. */
static void check_quiet(server_t *srv, uint64_t issued, uint64_t released)
{
	int owned = 0, lowest_free = 0, highest = 0, lowest = 0;
	for (int s = 1; s <= SLOTS; s++) {
		if (atomic_load_explicit(&srv->owner[s - 1], memory_order_seq_cst) != 0) {
			owned++;
			highest = s;
			if (lowest == 0)
				lowest = s;
		} else if (lowest_free == 0) {
			lowest_free = s;
		}
	}
	int shown = show_bar(srv->seq, "quiet");
	numseq_claim_stats_t st;
	if (!show_stats(srv->seq, &st)) {
		failures++;
		return;
	}
	char what[128];
	(void)snprintf(what, sizeof what, "the bar shows the %d connected players", owned);
	check(what, shown == owned);
	(void)snprintf(what, sizeof what, "claimed = issued - released = %d players", owned);
	check(what, st.claimed == (uint64_t)owned && st.issued - st.released == st.claimed);
	(void)snprintf(what, sizeof what,
	               "issued = %" PRIu64 " connects, released = %" PRIu64 " leaves", issued,
	               released);
	check(what, st.issued == issued && st.released == released);
	if (lowest_free != 0)
		(void)snprintf(what, sizeof what, "first_free = %d, the lowest free slot",
		               lowest_free);
	else
		(void)snprintf(what, sizeof what, "no free slot (server full)");
	check(what, lowest_free != 0 ? st.has_free && st.first_free == lowest_free : !st.has_free);
	if (owned != 0)
		(void)snprintf(what, sizeof what, "min_claimed = %d, max_claimed = %d", lowest,
		               highest);
	else
		(void)snprintf(what, sizeof what, "no slot taken");
	check(what,
	      owned != 0 ? st.has_claimed && st.min_claimed == lowest && st.max_claimed == highest
	                 : !st.has_claimed);
}

/* One player connects on the main thread; the slot (or 0 if refused). */
static int64_t connect_one(server_t *srv, int *rc)
{
	int64_t slot = 0;
	*rc = numseq_nextval(srv->seq, &slot, NULL);
	if (*rc != NUMSEQ_OK)
		return 0;
	atomic_store_explicit(&srv->owner[slot - 1], MAIN_ID, memory_order_seq_cst);
	return slot;
}

static bool leave_one(server_t *srv, int slot)
{
	atomic_store_explicit(&srv->owner[slot - 1], 0, memory_order_seq_cst);
	return numseq_release(srv->seq, slot, NULL) == NUMSEQ_OK;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f, const char *prog)
{
	(void)fprintf(
		f,
		"usage: %s [--threads N] [--rounds R] [--seed S]\n"
		"  --threads N  connection handlers, one thread each (1..%d, default 8)\n"
		"  --rounds R   connects/leaves per handler (default 2500000)\n"
		"  --seed S     seed of the handlers' random choices (default: from the clock)\n",
		prog, MAX_THREADS);
}

static bool parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	long long threads = 8, rounds = 2500000, seed = -1;
	for (int i = 1; i < argc; i += 2) {
		long long *dst = NULL, lo = 1, hi = 1000000000;
		if (strcmp(argv[i], "--threads") == 0) {
			dst = &threads;
			hi = MAX_THREADS;
		} else if (strcmp(argv[i], "--rounds") == 0) {
			dst = &rounds;
			lo = 0;
		} else if (strcmp(argv[i], "--seed") == 0) {
			dst = &seed;
			lo = 0;
			hi = INT64_MAX;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			(void)fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
			usage(stderr, argv[0]);
			return 2;
		}
		if (i + 1 >= argc || !parse_num(argv[i + 1], lo, hi, dst)) {
			(void)fprintf(stderr, "%s: %s needs a whole number from %lld to %lld\n",
			              argv[0], argv[i], lo, hi);
			return 2;
		}
	}
	if (seed < 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (long long)(((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) >> 1);
	}

	/* CREATE SEQUENCE player_slot_seq MINVALUE 1 MAXVALUE 64, claims
	 * LOWEST_FREE (CACHE 1, the default, as LOWEST_FREE requires). */
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_MINVALUE | NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_NAME | NUMSEQ_OPT_CLAIMS;
	o.minvalue = 1;
	o.maxvalue = SLOTS;
	o.name = SEQ_NAME;
	o.claims = NUMSEQ_CLAIMS_LOWEST_FREE;

	static server_t srv; /* static: zeroed, and not on the stack */
	numseq_error_t err;
	int rc = numseq_create(&srv.seq, &o, &err);
	if (rc != NUMSEQ_OK) {
		(void)fprintf(stderr, "CREATE SEQUENCE %s failed: %s (%s)\n", SEQ_NAME,
		              rc == NUMSEQ_ENOMEM ? "out of memory" : err.message,
		              numseq_strerror(rc));
		return 2;
	}

	const int n = (int)threads;
	handler_t *h = calloc((size_t)n, sizeof *h);
	pthread_t *tids = calloc((size_t)n, sizeof *tids);
	if (h == NULL || tids == NULL) {
		(void)fprintf(stderr, "out of memory for %d handlers\n", n);
		free(tids);
		free(h);
		numseq_destroy(&srv.seq);
		return 3;
	}
	printf("Game server: %d player slots, %d connection handlers, %lld rounds each "
	       "(--seed %lld)\n",
	       SLOTS, n, rounds, seed);
	printf("  CREATE SEQUENCE %s MINVALUE 1 MAXVALUE %d;  -- claims LOWEST_FREE\n\n", SEQ_NAME,
	       SLOTS);

	/* ---- the evening: connect/leave churn on every handler at once */
	uint64_t rng = (uint64_t)seed;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int created = 0, create_err = 0;
	for (; created < n; created++) {
		h[created] = (handler_t){.srv = &srv,
		                         .id = (unsigned)created + 1,
		                         .rng = next_random(&rng),
		                         .rounds = (long)rounds,
		                         .k_full = 2.0 * LOAD_SLOTS / (double)n};
		create_err = pthread_create(&tids[created], NULL, handler_main, &h[created]);
		if (create_err != 0)
			break;
	}
	/* A live look while the handlers run: every figure is approximate
	 * (numseq_claim_stats reads each one at a different instant). */
	const long half = created * (long)rounds / 2;
	while (created == n && atomic_load_explicit(&srv.progress, memory_order_relaxed) < half) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	numseq_claim_stats_t st;
	if (created == n) {
		printf("Halfway through the churn (live; figures approximate)\n");
		show_bar(srv.seq, "live");
		if (!show_stats(srv.seq, &st))
			failures++;
	}
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (create_err != 0) {
		char msg[128] = "";
		(void)strerror_r(create_err, msg, sizeof msg);
		(void)fprintf(stderr, "error: the system refused handler thread %d of %d: %s\n",
		              created + 1, n, msg);
		free(tids);
		free(h);
		numseq_destroy(&srv.seq);
		return 3;
	}

	long connects = 0, rejected = 0, disconnects = 0, violations = 0;
	int other_rc = 0;
	for (int i = 0; i < n; i++) {
		connects += h[i].connects;
		rejected += h[i].rejected;
		disconnects += h[i].disconnects;
		violations += h[i].violations;
		if (h[i].violations != 0)
			printf("  VIOLATION (handler %d): %s\n", i + 1, h[i].violation);
		if (h[i].other_rc != 0 && other_rc == 0)
			other_rc = h[i].other_rc;
	}
	printf("\nAfter the churn (%.3f s): %ld connects, %ld refused (server full), "
	       "%ld leaves\n",
	       seconds_between(&t0, &t1), connects, rejected, disconnects);
	printf("Checks\n");
	check("never two players in one slot, no leave of a free slot", violations == 0);
	if (other_rc != 0)
		printf("  unexpected result: %s\n", numseq_strerror(other_rc));
	check("no unexpected error", other_rc == 0);
	check_quiet(&srv, (uint64_t)connects, (uint64_t)disconnects);

	/* ---- closing time: everybody leaves */
	printf("\nEverybody leaves\n");
	bool all_left = true;
	for (int s = 1; s <= SLOTS; s++)
		if (atomic_load_explicit(&srv.owner[s - 1], memory_order_seq_cst) != 0) {
			bool ok = leave_one(&srv, s);
			all_left = all_left && ok;
			disconnects += ok;
		}
	check("every connected player's slot released", all_left);
	check_quiet(&srv, (uint64_t)connects, (uint64_t)disconnects);

	/* ---- lowest first: 64 players in a row, then one too many */
	printf("\n64 players connect one after another, then a 65th\n");
	bool in_order = true;
	for (int64_t want = 1; want <= SLOTS; want++) {
		int64_t got = connect_one(&srv, &rc);
		connects += rc == NUMSEQ_OK;
		if (got != want) {
			printf("  player %" PRId64 " got slot %" PRId64 " (%s)\n", want, got,
			       numseq_strerror(rc));
			in_order = false;
		}
	}
	check("they get slots 1, 2, ..., 64 in that order", in_order);
	(void)connect_one(&srv, &rc);
	rejected += rc == NUMSEQ_EFULL;
	check("the 65th is told the server is full (NUMSEQ_EFULL)", rc == NUMSEQ_EFULL);
	check_quiet(&srv, (uint64_t)connects, (uint64_t)disconnects);

	/* ---- holes are refilled lowest first, whatever order they opened in */
	printf("\nThe players in slots 40, 5 and 17 leave; three players connect\n");
	static const int leavers[] = {40, 5, 17};
	static const int64_t refill[] = {5, 17, 40};
	bool left = true;
	for (size_t i = 0; i < sizeof leavers / sizeof leavers[0]; i++) {
		bool ok = leave_one(&srv, leavers[i]);
		left = left && ok;
		disconnects += ok;
	}
	check("slots 40, 5 and 17 released", left);
	show_bar(srv.seq, "three left");
	bool refilled = true;
	for (size_t i = 0; i < sizeof refill / sizeof refill[0]; i++) {
		int64_t got = connect_one(&srv, &rc);
		connects += rc == NUMSEQ_OK;
		printf("  a player connects: slot %" PRId64 "\n", got);
		refilled = refilled && got == refill[i];
	}
	check("the three get slots 5, 17 and 40, in that order", refilled);
	(void)connect_one(&srv, &rc);
	rejected += rc == NUMSEQ_EFULL;
	check("the next one is told the server is full", rc == NUMSEQ_EFULL);
	check_quiet(&srv, (uint64_t)connects, (uint64_t)disconnects);

	printf("\nTotals: %ld connects, %ld refused (server full), %ld leaves, %ld violations\n",
	       connects, rejected, disconnects, violations);
	printf("%s\n", failures ? "RESULT: FAILED" : "RESULT: all checks passed");

	numseq_destroy(&srv.seq);
	free(tids);
	free(h);
	return failures ? 1 : 0;
}
