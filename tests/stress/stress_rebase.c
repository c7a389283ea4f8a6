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
		.threads_lo = 2, .threads_hi = 8, .hammer = 1000,
		.big = true, .window = (uint64_t)n, .extend_steps = 3 * (int64_t)REBASE_AT,
		.rebase_at = REBASE_AT, .expect_rebases = true, .monitor = true,
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
		.opt = {.set = O_START | O_INC | O_MIN, .start = INT64_MIN + 3 * n, .increment = -3,
		        .minvalue = INT64_MIN},
		.threads_lo = 2, .threads_hi = 8, .hammer = 1000,
		.big = true, .window = (uint64_t)n,
		.rebase_at = REBASE_AT, .expect_rebases = true, .monitor = true,
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
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = 3 * (int64_t)REBASE_AT + 123},
		.threads_lo = 2, .threads_hi = 8, .hammer = 2 * REBASE_AT,
		.rounds = 6, .window = 2 * REBASE_AT, .extend_steps = (int64_t)REBASE_AT + 7,
		.rebase_at = REBASE_AT, .monitor = true,
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
		.threads_lo = 2, .threads_hi = 8, .hammer = 1000,
		.bulk_pct = 40, .bulk_max = 300,
		.big = true, .window = (uint64_t)n,
		.rebase_at = REBASE_AT, .monitor = true,
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
		.threads_lo = 2, .threads_hi = 8, .hammer = 1000,
		.big = true, .window = (uint64_t)n,
		.rebase_at = REBASE_AT, .monitor = true,
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
		.opt = {.set = O_MIN | O_MAX | O_CYCLE, .minvalue = 1, .maxvalue = 1000, .cycle = true},
		.threads_lo = 2, .threads_hi = 8, .n = laps * 1000, .laps = laps,
		.exact_laps = true, .rebase_at = REBASE_AT,
	};
	stress_run_cycle_case(&c);
}

static void test_rebase_cycle_inc7_bulk(void **state)
{
	(void)state;
	stress_cycle_case_t d = {
		.name = "rebase_cycle_inc7_bulk",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE, .start = 500,
		        .increment = 7, .minvalue = 1, .maxvalue = 1000, .cycle = true},
		.threads_lo = 2, .threads_hi = 8, .n = stress_n(1000003, 4 * REBASE_AT),
		.bulk_pct = 30, .bulk_max = 50, .rebase_at = REBASE_AT, .races = 2,
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
		.threads_lo = 8, .threads_hi = 8, .n = stress_n(2000000, 4 * REBASE_AT),
		.rebase_at = REBASE_AT, .races = 2,
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
		.threads_lo = 2, .threads_hi = 8, .hammer = 500,
		.bulk_pct = 2, .bulk_max = UINT64_MAX,
		.big = true, .window = (uint64_t)n,
		.rebase_at = REBASE_AT, .monitor = true,
	};
	stress_run_case(&c);
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
	};
	return cmocka_run_group_tests_name("stress_rebase", tests, NULL, NULL);
}
