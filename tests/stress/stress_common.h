/*
 * stress_common.h - shared machinery of numseq's multi-threaded tests.
 *
 * The oracle of every stress test is "every number is handed out at most
 * once", and, where nothing can legitimately lose a value, "exactly the
 * numbers PostgreSQL would have handed out".  Workers never assert: they
 * record what they saw in a stress_taker_t, and the main thread checks the
 * records after pthread_join (cmocka is not thread-safe).
 *
 * Knobs (environment):
 *   NUMSEQ_STRESS_SCALE  float multiplier of iteration counts (default 1.0;
 *                        the sanitizer presets set it smaller)
 *   NUMSEQ_SEED          64-bit seed (decimal or 0x hex); printed at start
 *                        and in every failure message, so a run can be
 *                        replayed.  Each case derives its own seed from it
 *                        and its name, so a single case replays alone:
 *                        argv[1] is a cmocka test filter ("test_<case>", or
 *                        a glob such as "*cycle*"); the case name is the
 *                        test function's name without "test_".
 *
 * Replay note: the seed fixes every random choice (thread counts, bulk
 * sizes, band positions, writer pacing); the interleaving itself is up to
 * the scheduler, so a race may need a few runs with the same seed.
 */
#ifndef NUMSEQ_STRESS_COMMON_H
#define NUMSEQ_STRESS_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numseq.h"

/* ---------------------------------------------------------------- knobs */

/* NUMSEQ_STRESS_SCALE, parsed once (default 1.0, clamped to [1e-4, 1e4]). */
double stress_scale(void);

/* base * scale, at least min_n. */
uint64_t stress_n(uint64_t base, uint64_t min_n);

/* The run's seed (NUMSEQ_SEED or time ^ pid), printed on first use. */
uint64_t stress_seed(void);

/* A seed for one case: stress_seed() mixed with the case name. */
uint64_t stress_case_seed(const char *case_name);

/* Seconds since the last stress_case_seed (reported, never asserted). */
double stress_case_seconds(void);

/* Prints the knobs once (seed, scale, how to replay); call from main(). */
void stress_banner(const char *program);

/* ------------------------------------------------------------------ rng */

typedef struct stress_rng {
	uint64_t s;
} stress_rng_t;

void stress_rng_init(stress_rng_t *r, uint64_t seed);
uint64_t stress_rng_next(stress_rng_t *r);
/* Uniform in [0, n); n > 0. */
uint64_t stress_rng_below(stress_rng_t *r, uint64_t n);
/* Uniform in [lo, hi]. */
uint64_t stress_rng_range(stress_rng_t *r, uint64_t lo, uint64_t hi);

/* -------------------------------------------------------------- vectors */

typedef struct stress_vec {
	int64_t *v;
	size_t n;
	size_t cap;
	bool oom; /* a push failed: the record is incomplete */
} stress_vec_t;

void stress_vec_reserve(stress_vec_t *a, size_t cap);
void stress_vec_push(stress_vec_t *a, int64_t x);
void stress_vec_free(stress_vec_t *a);

/* Sorts ascending (LSD radix sort on the order-preserving key). */
void stress_sort(int64_t *v, size_t n);

/* ---------------------------------------------------------------- model */

/*
 * The reference: a single-threaded PostgreSQL sequence, written from the
 * semantics notes §4 (overflow-safe limit tests, CYCLE wraps to the bound,
 * no remainder carried over).  Without writers and without CACHE, the
 * multiset of values handed out by any number of threads is exactly the
 * first N values of this model, whatever the interleaving; nextval_n does
 * not change that, because a block stops at the bound and the wrap comes
 * as the first value of the next call.
 */
typedef struct stress_model {
	int64_t min, max, inc, last;
	bool called, cycle;
} stress_model_t;

/* From CREATE options, applying PostgreSQL's defaults (§2) independently
 * of the library, so a wrong default in numseq cannot fool the oracle. */
void stress_model_init(stress_model_t *m, const numseq_options_t *o);
/* 0 and *out, or NUMSEQ_EMAXVALUE / NUMSEQ_EMINVALUE (state unchanged). */
int stress_model_next(stress_model_t *m, int64_t *out);
/* Appends up to n values to a; stops at the first error.  Returns count. */
size_t stress_model_take(stress_model_t *m, size_t n, stress_vec_t *a);

/* -------------------------------------------------------------- oracles */

/*
 * Each check returns true when it holds, otherwise false with a precise
 * description in why (first offending value and its counts).
 */
bool stress_check_multiset(const int64_t *got, size_t ngot, const int64_t *want, size_t nwant,
                           char *why, size_t whylen);
bool stress_check_subset(const int64_t *got, size_t ngot, const int64_t *want, size_t nwant,
                         char *why, size_t whylen);
bool stress_check_distinct(const int64_t *sorted, size_t n, char *why, size_t whylen);

/* ----------------------------------------------------- linearizability */

/*
 * "Floor": a shared lower bound (in the sequence's direction) that every
 * later operation must respect.  After a nextval returns v, the caller
 * raises the floor to v; a nextval that starts later must return a value
 * beyond the floor it loaded before the call; a numseq_read that starts
 * later must report a last_value at or beyond it.  Valid only while the
 * sequence is monotone: NO CYCLE, CACHE 1, no RESTART/setval backwards.
 * The floor is kept as an order key + 1 (0 = no floor yet).
 */
typedef struct stress_floor {
	_Atomic uint64_t key1;
	int dir; /* +1 ascending, -1 descending */
} stress_floor_t;

void stress_floor_init(stress_floor_t *f, int dir);
uint64_t stress_floor_load(stress_floor_t *f);
void stress_floor_raise(stress_floor_t *f, int64_t v);
/* v strictly beyond floor f1 (as loaded). */
bool stress_floor_beyond(const stress_floor_t *f, uint64_t f1, int64_t v);
/* v at or beyond the floor (for last_value read). */
bool stress_floor_reached(const stress_floor_t *f, uint64_t f1, int64_t v);

/* ---------------------------------------------------------------- taker */

/*
 * A worker that takes values from one sequence, the common body of most
 * cases.  All fields up to "results" are configuration.
 */
typedef struct stress_taker {
	/* configuration */
	numseq_t *s;
	struct stress_gate *gate; /* passed before the first call (optional) */
	int idx;
	uint64_t seed;
	int dir;                      /* +1 / -1: which limit code is expected */
	int64_t inc;                  /* the INCREMENT blocks must carry (0 = any) */
	uint64_t quota;               /* values to take; 0 = until the limit */
	uint64_t max_calls;           /* stop after this many calls (0 = no cap) */
	uint64_t hammer;              /* calls after the first limit error */
	unsigned bulk_pct;            /* share of calls that use nextval_n */
	uint64_t bulk_max;            /* k of nextval_n is 1..bulk_max */
	unsigned discard_pct;         /* in tenths of a percent: numseq_discard */
	bool limit_is_error;          /* a limit error is unexpected (CYCLE) */
	bool cached;                  /* CACHE > 1: a limit error from nextval_n
	                           * does not mean this thread is done (its
	                           * cached values come first for nextval) */
	bool check_session;           /* currval/lastval after each call */
	bool check_monotone;          /* own values strictly monotone in dir */
	stress_floor_t *floor;        /* linearizability-lite, or NULL */
	uint64_t floor_band;          /* nonzero: the floor holds band numbers,
	                           * (v - 1) / floor_band, and a later call must
	                           * reach (not pass) the band of an earlier one */
	bool floor_check_only;        /* only check the floor; someone else (a
	                           * writer) raises it */
	_Atomic uint64_t *progress;   /* += values taken (optional) */
	_Atomic uint64_t *pace_limit; /* with progress: wait (yield) while
	                             * *progress >= *pace_limit, so that a
	                             * writer keeps up (optional) */
	atomic_bool *stop;            /* stop early when set (optional) */
	_Atomic int *alive;           /* decremented when the thread ends (optional) */

	/* results */
	stress_vec_t vals;
	uint64_t calls, bulk_calls;
	uint64_t limit_errs;      /* from the exhausting call on */
	uint64_t soft_limit_errs; /* nextval_n limit errors before that (cached) */
	uint64_t ok_after_limit;  /* successes after the first limit error */
	int64_t ok_after_limit_v;
	int other_code; /* first unexpected return code (0 none) */
	char other_msg[NUMSEQ_MSG_MAX + 200];
	bool have_limit_err;
	numseq_error_t limit_err; /* the first limit error */
	uint64_t bad_blocks;      /* count 0 or > k, or wrong step */
	char bad_block_msg[160];
	uint64_t floor_violations;
	int64_t floor_v, floor_f; /* first violation: value, floor value */
	uint64_t session_violations;
	char session_msg[160];
	uint64_t monotone_violations;
	int64_t mono_prev, mono_v;
	uint64_t limit_changed_currval;
} stress_taker_t;

void *stress_taker_main(void *arg);

/*
 * Start gate: threads are created first and wait at a gate; when all exist
 * the main thread opens it and they meet at a barrier, so the race starts
 * together.  If creating a thread fails, the gate is aborted instead and
 * the threads already created return at once (a bare barrier would leave
 * them waiting forever for the missing ones).
 */
typedef struct stress_gate {
	pthread_mutex_t m;
	pthread_cond_t c;
	int state;           /* 0 closed, 1 open, -1 aborted */
	pthread_barrier_t b; /* the threads only, not the main thread */
} stress_gate_t;

void stress_gate_init(stress_gate_t *g, unsigned nthreads);
void stress_gate_open(stress_gate_t *g);
void stress_gate_abort(stress_gate_t *g);
void stress_gate_destroy(stress_gate_t *g);
/* Called by each thread; false if the run was aborted. */
bool stress_gate_pass(stress_gate_t *g);

/* Creates n threads running fn(args + i*stride); *created counts those
 * started.  false with a message (errno text) if pthread_create failed. */
bool stress_spawn(pthread_t *tids, int n, void *(*fn)(void *), void *args, size_t stride,
                  int *created, char *why, size_t whylen);

/*
 * Races nthreads takers on s: sets them up from proto (s, dir, inc, quota,
 * hammer, bulk, checks), releases them together with a barrier, joins them,
 * and returns the array (caller frees with stress_takers_free).  NULL if
 * threads could not be created (why says so).
 */
typedef struct stress_monitor stress_monitor_t;
stress_taker_t *stress_race(const stress_taker_t *proto, int nthreads, uint64_t seed,
                            stress_monitor_t *mon, char *why, size_t whylen);
void stress_takers_free(stress_taker_t *t, int n);

/* Concatenates all takers' values, sorted. */
stress_vec_t stress_takers_merge(const stress_taker_t *t, int n);

/* Checks what every taker recorded in-thread (unexpected codes, bad
 * blocks, session, monotonicity, floor, successes after the limit).  false
 * with a description of the first problem. */
bool stress_takers_clean(const stress_taker_t *t, int n, char *why, size_t whylen);

/* Total successes / calls. */
uint64_t stress_takers_values(const stress_taker_t *t, int n);

/* ------------------------------------------------------------- staller */

/*
 * Stall injection: a thread that keeps sending SIGUSR1 to chosen threads;
 * the handler busy-waits a random 0..max_stall_us in the interrupted
 * thread, at whatever instruction it was.  This stretches the windows
 * between two atomic steps of numseq (a writer between its switch of the
 * word and the steps that follow it, a reader between its snapshot and its
 * draw) far beyond what two cores give by chance.  It changes timing only;
 * the oracles stay the same.
 */
typedef struct stress_staller {
	/* configuration */
	pthread_t *targets;
	int ntargets;
	unsigned weight0;   /* percent of signals that go to targets[0] */
	unsigned period_us; /* pause between two signals (0..2x, random) */
	unsigned max_stall_us;
	uint64_t seed;
	atomic_bool stop;
	/* results */
	uint64_t sent;
} stress_staller_t;

void *stress_staller_main(void *arg);

/* ------------------------------------------------------------- monitor */

/*
 * A thread that polls numseq_read while takers run (no writers): is_called
 * never goes back to false, last_value stays within [min, max] and never
 * moves backwards, and with a floor (CACHE 1) it is at or beyond every value
 * already returned; each read then raises the floor, so a nextval that
 * starts after it must return a value beyond it.
 */
struct stress_monitor {
	/* configuration */
	numseq_t *s;
	stress_floor_t *floor; /* NULL with CACHE > 1 */
	int dir;
	int64_t min, max;
	stress_gate_t *gate;
	atomic_bool done;
	/* results */
	uint64_t reads;
	uint64_t violations;
	char msg[200];
};

void *stress_monitor_main(void *arg);

/* --------------------------------------------------------------- cases */

/*
 * A bounded NO CYCLE case run to exhaustion again and again: every race
 * must hand out exactly the model's values, every thread must then see the
 * limit error (with PostgreSQL's SQLSTATE and message) for `hammer` more
 * calls, and numseq_read must match the model.  Between races the main
 * thread moves the sequence (setval, restart, RESTART WITH, raising the
 * bound): if the hammering made the counter drift, the next race shows it.
 */
typedef struct stress_case {
	const char *name;     /* also the cmocka/case name */
	numseq_options_t opt; /* CREATE options (name is set from .name) */
	int threads_lo, threads_hi;
	uint64_t hammer; /* calls per thread after the limit (scaled) */
	unsigned bulk_pct;
	uint64_t bulk_max;
	unsigned discard_pct; /* tenths of a percent (CACHE: loses values) */
	bool big;             /* phases: fresh, setval mid, restart, extend */
	uint64_t rounds;      /* random-move rounds (scaled) */
	uint64_t window;      /* setval targets lie within this many steps of the end */
	int64_t extend_steps; /* finally raise MAXVALUE / lower MINVALUE */
	uint64_t rebase_at;   /* numseq__set_rebase_at (0 = default) */
	bool expect_rebases;  /* insist that numseq__epoch shows them */
	bool monitor;         /* a numseq_read monitor thread */
} stress_case_t;

void stress_run_case(const stress_case_t *c);

/*
 * A CYCLE case (or any case without a limit in reach): n values in all,
 * split unevenly over the threads as quotas.  Oracle: the multiset of values
 * is exactly the first n values of the model (over complete laps each value
 * appears the same number of times; the last partial lap is a prefix of a
 * lap), and numseq_read afterwards is the model's state.  With exact_laps,
 * n is laps * (values in a lap) and each value must appear exactly `laps`
 * times (checked on its own as well, for a clear message).
 */
typedef struct stress_cycle_case {
	const char *name;
	numseq_options_t opt;
	int threads_lo, threads_hi;
	uint64_t n;    /* values in all (already scaled) */
	uint64_t laps; /* with exact_laps: the lap count */
	bool exact_laps;
	unsigned bulk_pct;
	uint64_t bulk_max;
	uint64_t rebase_at;
	uint64_t races; /* repeated races from where the last one ended */
} stress_cycle_case_t;

void stress_run_cycle_case(const stress_cycle_case_t *c);

/* ----------------------------------------------------- cmocka helpers */

/* Fails the current cmocka test with the message plus the replay line. */
#define STRESS_FAIL(case_seed, ...)                   \
	do {                                          \
		stress_print_fail_context(case_seed); \
		fail_msg(__VA_ARGS__);                \
	} while (0)
#define STRESS_CHECK(cond, case_seed, ...)                   \
	do {                                                 \
		if (!(cond))                                 \
			STRESS_FAIL(case_seed, __VA_ARGS__); \
	} while (0)

void stress_print_fail_context(uint64_t case_seed);

/* "INT64_MAX-3" style printing is not needed: values print as %lld. */
#define STRESS_LL(x) ((long long)(x))
#define STRESS_LLU(x) ((unsigned long long)(x))

#endif
