/*
 * stress_rebase.c - ticket rebases while threads run.
 *
 * nextval takes a ticket from a per-epoch counter; every 2^43 tickets the
 * sequence rebases (an internal epoch change).  numseq__set_rebase_at
 * brings that down to 1<<16 here (not lower: a value is lost only if a
 * thread stalls across 16 rebases, which a small rebase_at would make
 * possible in a test of a few million calls).  A rebase must never lose or
 * repeat a value, so every oracle here is exact: the same oracles as the
 * exhaustion, cycle and cache tests, with dozens of rebases in each race,
 * and numseq__epoch checked to prove the rebases happened.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "numseq_test.h"
#include "stress_common.h"

#define O_START NUMSEQ_OPT_START
#define O_INC NUMSEQ_OPT_INCREMENT
#define O_MIN NUMSEQ_OPT_MINVALUE
#define O_MAX NUMSEQ_OPT_MAXVALUE
#define O_CACHE NUMSEQ_OPT_CACHE
#define O_CYCLE NUMSEQ_OPT_CYCLE

#define REBASE_AT (UINT64_C(1) << 16)

static void test_rebase_asc(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(2000000, 4 * (int64_t)REBASE_AT);
	stress_case_t c = {
		.name = "rebase_asc",
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = n},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 3 * (int64_t)REBASE_AT,
		.rebase_at = REBASE_AT,
		.expect_rebases = true,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Descending into INT64_MIN by 3, across rebases. */
static void test_rebase_desc_int64_bottom(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1000000, 4 * (int64_t)REBASE_AT);
	stress_case_t c = {
		.name = "rebase_desc_int64_bottom",
		.opt = {.set = O_START | O_INC | O_MIN,
	                .start = INT64_MIN + 3 * n,
	                .increment = -3,
	                .minvalue = INT64_MIN},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.rebase_at = REBASE_AT,
		.expect_rebases = true,
		.monitor = true,
	};
	stress_run_case(&c);
}

/*
 * Exhausted, then hammered for several rebase periods: if failed calls
 * take tickets, rebases happen while the sequence sits at its limit.
 * Afterwards setval / restart / RESTART WITH must give exactly the
 * expected values again.
 */
static void test_rebase_exhaust_hammer(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "rebase_exhaust_hammer",
		.opt = {.set = O_START | O_MAX,
	                .start = 1,
	                .maxvalue = 3 * (int64_t)REBASE_AT + 123},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 2 * REBASE_AT,
		.rounds = 6,
		.window = 2 * REBASE_AT,
		.extend_steps = (int64_t)REBASE_AT + 7,
		.rebase_at = REBASE_AT,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_rebase_bulk(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1500000, 4 * (int64_t)REBASE_AT);
	stress_case_t c = {
		.name = "rebase_bulk",
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = n},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.bulk_pct = 40,
		.bulk_max = 300,
		.big = true,
		.window = (uint64_t)n,
		.rebase_at = REBASE_AT,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_rebase_cache64(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(3000000, 8 * (int64_t)REBASE_AT);
	stress_case_t c = {
		.name = "rebase_cache64",
		.opt = {.set = O_START | O_MAX | O_CACHE, .start = 1, .maxvalue = n, .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.rebase_at = REBASE_AT,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Laps of 1000 (and of 143 by 7) that do not divide the rebase period. */
static void test_rebase_cycle_1000(void **state)
{
	(void)state;
	uint64_t laps = stress_n(2000, 4 * REBASE_AT / 1000 + 1);
	stress_cycle_case_t c = {
		.name = "rebase_cycle_1000",
		.opt = {.set = O_MIN | O_MAX | O_CYCLE,
	                .minvalue = 1,
	                .maxvalue = 1000,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = laps * 1000,
		.laps = laps,
		.exact_laps = true,
		.rebase_at = REBASE_AT,
	};
	stress_run_cycle_case(&c);
}

static void test_rebase_cycle_inc7_bulk(void **state)
{
	(void)state;
	stress_cycle_case_t d = {
		.name = "rebase_cycle_inc7_bulk",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE,
	                .start = 500,
	                .increment = 7,
	                .minvalue = 1,
	                .maxvalue = 1000,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(1000003, 4 * REBASE_AT),
		.bulk_pct = 30,
		.bulk_max = 50,
		.rebase_at = REBASE_AT,
		.races = 2,
	};
	stress_run_cycle_case(&d);
}

/* A never-ending sequence: the ticket counter only grows, n values exact. */
static void test_rebase_unbounded(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "rebase_unbounded",
		.opt = {.set = O_START, .start = 1000},
		.threads_lo = 8,
		.threads_hi = 8,
		.n = stress_n(2000000, 4 * REBASE_AT),
		.rebase_at = REBASE_AT,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* nextval_n with huge k: each block stops at the next rebase point. */
static void test_rebase_bulk_huge_k(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1000000, 4 * (int64_t)REBASE_AT);
	stress_case_t c = {
		.name = "rebase_bulk_huge_k",
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = n},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.bulk_pct = 2,
		.bulk_max = UINT64_MAX,
		.big = true,
		.window = (uint64_t)n,
		.rebase_at = REBASE_AT,
		.monitor = true,
	};
	stress_run_case(&c);
}

/*
 * Readers stalled (by signals) for up to 150 ms at arbitrary instructions
 * while the others drive dozens of rebases: a thread can sit between its
 * snapshot of the epoch and its draw while 16 or more rebases recycle the
 * slot it read.  numseq serves such a ticket from the snapshot when every
 * epoch since was a rebase (serve_foreign); the oracle is therefore still
 * exact: the first n values of the sequence, each once.
 */
typedef struct long_stall_case {
	const char *name;
	bool cycle; /* CYCLE over [1, INT64_MAX]: never wraps here, but
	                          * takes nextval's general path, whose window between
	                          * the epoch snapshot and the draw is the widest */
	uint64_t rebase_at;
	unsigned period_us, max_stall_us;
	uint64_t per_thread; /* values per thread, before scaling */
	unsigned bulk_pct;   /* nextval_n share in every thread (0: none) */
} long_stall_case_t;

static void run_long_stalls(const long_stall_case_t *lc)
{
	const uint64_t cs = stress_case_seed(lc->name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[512];
	numseq_error_t err;
	const int threads = (int)stress_rng_range(&rng, 3, 8);
	const uint64_t per = stress_n(lc->per_thread, 4 * lc->rebase_at);
	numseq_options_t o = {.set = NUMSEQ_OPT_START | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_NAME,
	                      .start = 1,
	                      .cycle = lc->cycle,
	                      .name = lc->name};
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);
	rc = numseq__set_rebase_at(s, lc->rebase_at);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "numseq__set_rebase_at: rc %d", rc);

	stress_gate_t gate;
	stress_gate_init(&gate, (unsigned)threads);
	_Atomic int alive;
	atomic_init(&alive, threads);
	stress_taker_t t[8];
	pthread_t tids[8];
	memset(t, 0, sizeof t);
	for (int i = 0; i < threads; i++) {
		t[i].s = s;
		t[i].gate = &gate;
		t[i].idx = i;
		t[i].seed = stress_rng_next(&rng);
		t[i].dir = 1;
		t[i].inc = 1;
		t[i].quota = per;
		t[i].limit_is_error = true;
		t[i].check_monotone = true;
		t[i].bulk_pct = lc->bulk_pct;
		t[i].bulk_max = 64;
		t[i].alive = &alive;
	}
	int created = 0;
	bool ok = stress_spawn(tids, threads, stress_taker_main, t, sizeof t[0], &created, why,
	                       sizeof why);
	stress_staller_t st;
	pthread_t st_tid;
	bool stalling = false;
	memset(&st, 0, sizeof st);
	if (ok) {
		st.targets = tids;
		st.ntargets = threads;
		st.weight0 = 100 / (unsigned)threads;
		st.period_us = lc->period_us;
		st.max_stall_us = lc->max_stall_us;
		st.seed = stress_rng_next(&rng);
		atomic_init(&st.stop, false);
		stalling = pthread_create(&st_tid, NULL, stress_staller_main, &st) == 0;
		stress_gate_open(&gate);
	} else {
		stress_gate_abort(&gate);
	}
	if (stalling) {
		while (atomic_load_explicit(&alive, memory_order_acquire) > 0) {
			struct timespec d = {.tv_sec = 0, .tv_nsec = 1000000};
			nanosleep(&d, NULL);
		}
		atomic_store_explicit(&st.stop, true, memory_order_release);
		pthread_join(st_tid, NULL);
	}
	for (int i = 0; i < created; i++)
		pthread_join(tids[i], NULL);
	stress_gate_destroy(&gate);
	STRESS_CHECK(ok, cs, "%s", why);
	STRESS_CHECK(stress_takers_clean(t, threads, why, sizeof why), cs, "%s", why);
	stress_vec_t got = stress_takers_merge(t, threads);
	STRESS_CHECK(!got.oom, cs, "out of memory");
	STRESS_CHECK(stress_check_distinct(got.v, got.n, why, sizeof why), cs, "%s", why);
	stress_vec_t want = {0};
	stress_vec_reserve(&want, got.n);
	for (size_t i = 0; i < got.n; i++)
		stress_vec_push(&want, (int64_t)i + 1);
	bool exact = stress_check_multiset(got.v, got.n, want.v, want.n, why, sizeof why);
	uint64_t epochs = numseq__epoch(s);
	printf("[stress]   %-28s %d threads, %zu values, %llu stall signals, %llu epochs, "
	       "%s, %.2f s\n",
	       lc->name, threads, got.n, STRESS_LLU(st.sent), STRESS_LLU(epochs),
	       exact ? "exact" : "NOT exact", stress_case_seconds());
	fflush(stdout);
	STRESS_CHECK(exact, cs, "%s (%d threads, %llu stalls, %llu epochs)", why, threads,
	             STRESS_LLU(st.sent), STRESS_LLU(epochs));
	stress_vec_free(&want);
	stress_vec_free(&got);
	for (int i = 0; i < threads; i++)
		stress_vec_free(&t[i].vals);
	numseq_destroy(&s);
}

static void test_rebase_long_stalls(void **state)
{
	(void)state;
	long_stall_case_t c = {.name = "rebase_long_stalls",
	                       .rebase_at = REBASE_AT,
	                       .period_us = 12000,
	                       .max_stall_us = 150000,
	                       .per_thread = 600000};
	run_long_stalls(&c);
}

/*
 * The same with rebase_at 1<<10 and on nextval's general path (CYCLE over
 * [1, INT64_MAX], which never wraps here), with short frequent stalls: a
 * thread stalled between its epoch snapshot and its draw draws a ticket of
 * a later (rebase) epoch and must serve it from that epoch's slot; one
 * stalled right after its draw may find that slot recycled and must serve
 * the ticket through the rebase chain (serve_foreign).  The second window
 * is a few instructions wide and rarely hit; either way no value may be
 * lost or repeated.  Below 1<<16 on purpose: this case is about rebases.
 */
static void test_rebase_chain_stalls(void **state)
{
	(void)state;
	long_stall_case_t c = {.name = "rebase_chain_stalls",
	                       .cycle = true,
	                       .rebase_at = UINT64_C(1) << 10,
	                       .period_us = 300,
	                       .max_stall_us = 8000,
	                       .per_thread = 300000};
	run_long_stalls(&c);
}

/* The same with nextval_n calls: a block that does not fit before the
 * rebase point is taken as its own epoch (take_block_slow); those epochs
 * must not cost a straddling draw its value either (docs/design.md §6:
 * with no setval/RESTART/ALTER, exactly N values). */
static void test_rebase_chain_stalls_bulk(void **state)
{
	(void)state;
	long_stall_case_t c = {.name = "rebase_chain_stalls_bulk",
	                       .cycle = true,
	                       .rebase_at = UINT64_C(1) << 10,
	                       .period_us = 300,
	                       .max_stall_us = 8000,
	                       .per_thread = 300000,
	                       .bulk_pct = 5};
	run_long_stalls(&c);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebase_asc),
		cmocka_unit_test(test_rebase_desc_int64_bottom),
		cmocka_unit_test(test_rebase_exhaust_hammer),
		cmocka_unit_test(test_rebase_bulk),
		cmocka_unit_test(test_rebase_cache64),
		cmocka_unit_test(test_rebase_cycle_1000),
		cmocka_unit_test(test_rebase_cycle_inc7_bulk),
		cmocka_unit_test(test_rebase_unbounded),
		cmocka_unit_test(test_rebase_bulk_huge_k),
		cmocka_unit_test(test_rebase_long_stalls),
		cmocka_unit_test(test_rebase_chain_stalls),
		cmocka_unit_test(test_rebase_chain_stalls_bulk),
	};
	return cmocka_run_group_tests_name("stress_rebase", tests, NULL, NULL);
}
