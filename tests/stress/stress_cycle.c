/*
 * stress_cycle.c - CYCLE sequences under 2-8 threads, CACHE 1.
 *
 * Oracle (stress_run_cycle_case): exactly n values are taken in all (each
 * thread has a quota); their multiset must equal the first n values of the
 * single-threaded model: over complete laps every value of the lap appears
 * the same number of times, and the partial last lap is a prefix of a lap.
 * The exact-laps cases check "each value exactly L times" directly.
 * nextval_n blocks stop at the bound and the wrap is the next call's first
 * value, which leaves the multiset unchanged, so bulk cases use the same
 * oracle.  Afterwards numseq_read must equal the model's state.
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
#define O_TYPE NUMSEQ_OPT_TYPE
#define O_CYCLE NUMSEQ_OPT_CYCLE

/* [1,100] CYCLE, exactly L*100 calls: each number exactly L times. */
static void test_cycle_100_exact_laps(void **state)
{
	(void)state;
	uint64_t laps = stress_n(5000, 20);
	stress_cycle_case_t c = {
		.name = "cycle_100_exact_laps",
		.opt = {.set = O_START | O_MIN | O_MAX | O_CYCLE,
	                .start = 1,
	                .minvalue = 1,
	                .maxvalue = 100,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = laps * 100,
		.laps = laps,
		.exact_laps = true,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* The smallest range: [1,2], 8 threads wrapping all the time. */
static void test_cycle_range2(void **state)
{
	(void)state;
	uint64_t laps = stress_n(200000, 100);
	stress_cycle_case_t c = {
		.name = "cycle_range2",
		.opt = {.set = O_MIN | O_MAX | O_CYCLE,
	                .minvalue = 1,
	                .maxvalue = 2,
	                .cycle = true},
		.threads_lo = 8,
		.threads_hi = 8,
		.n = laps * 2,
		.laps = laps,
		.exact_laps = true,
	};
	stress_run_cycle_case(&c);
}

/* [1,5] START 3: 3,4,5,1,2,... -- a first partial lap, wrap to MINVALUE. */
static void test_cycle_start_mid(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_start_mid",
		.opt = {.set = O_START | O_MIN | O_MAX | O_CYCLE,
	                .start = 3,
	                .minvalue = 1,
	                .maxvalue = 5,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(300001, 101),
		.races = 3,
	};
	stress_run_cycle_case(&c);
}

/* INC 3 MAX 11: 1,4,7,10,1,... (no remainder carried over the wrap). */
static void test_cycle_inc3_max11(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_inc3_max11",
		.opt = {.set = O_INC | O_MAX | O_CYCLE,
	                .increment = 3,
	                .maxvalue = 11,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(300003, 103),
		.races = 3,
	};
	stress_run_cycle_case(&c);
}

/* INC -7 [-50,0]: 0,-7,...,-49,0,... */
static void test_cycle_desc_inc7(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_desc_inc7",
		.opt = {.set = O_INC | O_MIN | O_MAX | O_CYCLE,
	                .increment = -7,
	                .minvalue = -50,
	                .maxvalue = 0,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(400000, 100),
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* INC 100 over [1,10]: 1 forever; INC -100: 10 forever. */
static void test_cycle_inc100_range10(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_inc100_range10",
		.opt = {.set = O_INC | O_MIN | O_MAX | O_CYCLE,
	                .increment = 100,
	                .minvalue = 1,
	                .maxvalue = 10,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(200000, 100),
		.laps = stress_n(200000, 100),
		.exact_laps = true,
	};
	stress_run_cycle_case(&c);
}

static void test_cycle_inc_minus100_range10(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_inc_minus100_range10",
		.opt = {.set = O_INC | O_MIN | O_MAX | O_CYCLE,
	                .increment = -100,
	                .minvalue = 1,
	                .maxvalue = 10,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(200000, 100),
		.laps = stress_n(200000, 100),
		.exact_laps = true,
	};
	stress_run_cycle_case(&c);
}

/* Full int64 range, INC INT64_MAX: 0, INT64_MAX, INT64_MIN, -1, INT64_MAX-1, ... */
static void test_cycle_full_int64_inc_max(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_full_int64_inc_max",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE,
	                .start = 0,
	                .increment = INT64_MAX,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MAX,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(300000, 100),
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* INC INT64_MIN with defaults [INT64_MIN, -1] START -1 CYCLE: -1 forever. */
static void test_cycle_inc_int64_min(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_inc_int64_min",
		.opt = {.set = O_INC | O_CYCLE, .increment = INT64_MIN, .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(200000, 100),
		.laps = stress_n(200000, 100),
		.exact_laps = true,
	};
	stress_run_cycle_case(&c);
}

/* Over the full range from INT64_MAX: INT64_MAX, -1, INT64_MAX, -1 ... */
static void test_cycle_inc_int64_min_full(void **state)
{
	(void)state;
	stress_cycle_case_t f = {
		.name = "cycle_inc_int64_min_full",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE,
	                .start = INT64_MAX,
	                .increment = INT64_MIN,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MAX,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = 2 * stress_n(100000, 50),
		.laps = stress_n(100000, 50),
		.exact_laps = true,
	};
	stress_run_cycle_case(&f);
}

/* The wrap at INT64_MAX itself, INC 3 over the top 1000 values. */
static void test_cycle_int64_top(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_int64_top",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE,
	                .start = INT64_MAX - 999,
	                .increment = 3,
	                .minvalue = INT64_MAX - 999,
	                .maxvalue = INT64_MAX,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(500000, 1000),
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* nextval_n blocks (truncated at the bound) mixed with nextval. */
static void test_cycle_bulk_mixed(void **state)
{
	(void)state;
	uint64_t laps = stress_n(1000, 10);
	stress_cycle_case_t c = {
		.name = "cycle_bulk_mixed",
		.opt = {.set = O_MIN | O_MAX | O_CYCLE,
	                .minvalue = 1,
	                .maxvalue = 1000,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = laps * 1000,
		.laps = laps,
		.exact_laps = true,
		.bulk_pct = 50,
		.bulk_max = 64,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

static void test_cycle_bulk_int64_bottom_desc(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_bulk_int64_bottom_desc",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CYCLE,
	                .start = INT64_MIN + 4000,
	                .increment = -7,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MIN + 5000,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(700001, 1001),
		.bulk_pct = 80,
		.bulk_max = 100,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* AS smallint descending over the whole type, blocks larger than some laps. */
static void test_cycle_smallint_bulk(void **state)
{
	(void)state;
	stress_cycle_case_t c = {
		.name = "cycle_smallint_bulk",
		.opt = {.set = O_TYPE | O_INC | O_MIN | O_CYCLE,
	                .type = NUMSEQ_SMALLINT,
	                .increment = -1000,
	                .minvalue = INT16_MIN,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = stress_n(300000, 1000),
		.bulk_pct = 50,
		.bulk_max = 100,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

/* nextval_n with k up to UINT64_MAX (cut to each thread's quota): a block
 * is the rest of the lap. */
static void test_cycle_bulk_huge_k(void **state)
{
	(void)state;
	uint64_t laps = stress_n(2000, 10);
	stress_cycle_case_t c = {
		.name = "cycle_bulk_huge_k",
		.opt = {.set = O_MIN | O_MAX | O_CYCLE,
	                .minvalue = 1,
	                .maxvalue = 1000,
	                .cycle = true},
		.threads_lo = 2,
		.threads_hi = 8,
		.n = laps * 1000,
		.laps = laps,
		.exact_laps = true,
		.bulk_pct = 10,
		.bulk_max = UINT64_MAX,
		.races = 2,
	};
	stress_run_cycle_case(&c);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycle_100_exact_laps),
		cmocka_unit_test(test_cycle_range2),
		cmocka_unit_test(test_cycle_start_mid),
		cmocka_unit_test(test_cycle_inc3_max11),
		cmocka_unit_test(test_cycle_desc_inc7),
		cmocka_unit_test(test_cycle_inc100_range10),
		cmocka_unit_test(test_cycle_inc_minus100_range10),
		cmocka_unit_test(test_cycle_full_int64_inc_max),
		cmocka_unit_test(test_cycle_inc_int64_min),
		cmocka_unit_test(test_cycle_inc_int64_min_full),
		cmocka_unit_test(test_cycle_int64_top),
		cmocka_unit_test(test_cycle_bulk_mixed),
		cmocka_unit_test(test_cycle_bulk_int64_bottom_desc),
		cmocka_unit_test(test_cycle_smallint_bulk),
		cmocka_unit_test(test_cycle_bulk_huge_k),
	};
	return cmocka_run_group_tests_name("stress_cycle", tests, NULL, NULL);
}
