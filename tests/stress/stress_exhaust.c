/*
 * stress_exhaust.c - bounded NO CYCLE sequences, CACHE 1, raced to
 * exhaustion by 2-8 threads released together.
 *
 * Oracle (stress_run_case): each race hands out exactly the values the
 * single-threaded PostgreSQL model hands out, each once; every thread then
 * gets the limit error with SQLSTATE 2200H and PostgreSQL's message and
 * keeps getting it while it hammers; numseq_read is (last value, true);
 * every thread's currval/lastval is its own last value; each thread's own
 * values are monotone; and, CACHE 1 being linearizable, a call that starts
 * after another finished returns a later value (see stress_floor_t), also
 * against a thread polling numseq_read.  Between races the sequence is
 * moved (setval, RESTART, RESTART WITH, a raised bound): drift of the
 * counter while it was exhausted would show in the next race.
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

/* The seed's sequence: START 1 MAXVALUE 100 NO CYCLE, hundreds of races. */
static void test_founding_100(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "founding_100",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = 1,
	                .increment = 1,
	                .minvalue = 1,
	                .maxvalue = 100},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 50,
		.rounds = 300,
		.window = 150,
		.extend_steps = 100,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_asc_1e6(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1000000, 20000);
	stress_case_t c = {
		.name = "asc_1e6",
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = n},
		.threads_lo = 2,
		.threads_hi = 4,
		.hammer = 2000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = n / 20,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* START off the multiples, INCREMENT 7, MAXVALUE not on the grid. */
static void test_asc_inc7_offgrid(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(400000, 5000);
	stress_case_t c = {
		.name = "asc_inc7_offgrid",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = 5,
	                .increment = 7,
	                .minvalue = 1,
	                .maxvalue = 7 * n + 3},
		.threads_lo = 3,
		.threads_hi = 6,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 1000,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Descending with every default: INCREMENT -1 gives MAXVALUE -1, START -1. */
static void test_desc_1e6_defaults(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1000000, 20000);
	stress_case_t c = {
		.name = "desc_1e6_defaults",
		.opt = {.set = O_INC | O_MIN, .increment = -1, .minvalue = -n},
		.threads_lo = 2,
		.threads_hi = 4,
		.hammer = 2000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 5000,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_desc_inc7_positive(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(400000, 5000);
	stress_case_t c = {
		.name = "desc_inc7_positive",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = 7 * n + 3,
	                .increment = -7,
	                .minvalue = 1,
	                .maxvalue = 7 * n + 3},
		.threads_lo = 3,
		.threads_hi = 6,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 1000,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* START INT64_MAX-1000, MAXVALUE defaulted to INT64_MAX. */
static void test_int64_top(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "int64_top",
		.opt = {.set = O_START, .start = INT64_MAX - 1000},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.rounds = 150,
		.window = 1500,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_int64_top_inc7(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "int64_top_inc7",
		.opt = {.set = O_START | O_INC | O_MIN,
	                .start = INT64_MAX - 7000,
	                .increment = 7,
	                .minvalue = INT64_MAX - 7003},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.rounds = 150,
		.window = 1200,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* INCREMENT 2^62+1 over the full range: four values, each step near overflow. */
static void test_int64_huge_inc(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "int64_huge_inc",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = INT64_MIN,
	                .increment = (INT64_C(1) << 62) + 1,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MAX},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.rounds = 200,
		.window = 8,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Descending into INT64_MIN (MAXVALUE defaults to -1). */
static void test_int64_bottom_desc(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "int64_bottom_desc",
		.opt = {.set = O_START | O_INC | O_MIN,
	                .start = INT64_MIN + 1000,
	                .increment = -1,
	                .minvalue = INT64_MIN},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.rounds = 150,
		.window = 1500,
		.extend_steps = 0,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* INCREMENT INT64_MIN (accepted by PostgreSQL): INT64_MAX, -1, then the limit. */
static void test_inc_int64_min(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "inc_int64_min",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = INT64_MAX,
	                .increment = INT64_MIN,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MAX},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.rounds = 200,
		.window = 4,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* INCREMENT INT64_MAX from INT64_MIN: INT64_MIN, -1, INT64_MAX-1, limit. */
static void test_inc_int64_max(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "inc_int64_max",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX,
	                .start = INT64_MIN,
	                .increment = INT64_MAX,
	                .minvalue = INT64_MIN,
	                .maxvalue = INT64_MAX},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.rounds = 200,
		.window = 4,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* AS smallint, then MAXVALUE raised to the type's maximum. */
static void test_smallint(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "smallint",
		.opt = {.set = O_TYPE | O_START | O_MAX,
	                .type = NUMSEQ_SMALLINT,
	                .start = 31000,
	                .maxvalue = 32000},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 100,
		.rounds = 100,
		.window = 1200,
		.extend_steps = 767,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* AS integer descending by 3 into INT32_MIN (MINVALUE defaulted). */
static void test_integer_desc(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "integer_desc",
		.opt = {.set = O_TYPE | O_START | O_INC,
	                .type = NUMSEQ_INTEGER,
	                .start = (int64_t)INT32_MIN + 3000,
	                .increment = -3},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 100,
		.rounds = 100,
		.window = 1200,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* nextval_n blocks mixed with nextval, truncated at INT64_MAX. */
static void test_bulk_int64_top(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(200000, 5000);
	stress_case_t c = {
		.name = "bulk_int64_top",
		.opt = {.set = O_START, .start = INT64_MAX - n + 1},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.bulk_pct = 50,
		.bulk_max = 64,
		.big = true,
		.window = (uint64_t)n,
		.rounds = 20,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_bulk_int64_bottom_desc(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(200000, 5000);
	stress_case_t c = {
		.name = "bulk_int64_bottom_desc",
		.opt = {.set = O_START | O_INC | O_MIN,
	                .start = INT64_MIN + 3 * n,
	                .increment = -3,
	                .minvalue = INT64_MIN},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.bulk_pct = 70,
		.bulk_max = 100,
		.big = true,
		.window = (uint64_t)n,
		.rounds = 20,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* The seed's numbers handed out only in blocks. */
static void test_bulk_founding(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "bulk_founding",
		.opt = {.set = O_START | O_MAX, .start = 1, .maxvalue = 100},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 50,
		.bulk_pct = 100,
		.bulk_max = 7,
		.rounds = 200,
		.window = 150,
		.extend_steps = 10,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* nextval_n with k up to UINT64_MAX: a block takes the rest of the range. */
static void test_bulk_huge_k(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "bulk_huge_k",
		.opt = {.set = O_START | O_INC | O_MAX,
	                .start = 1,
	                .increment = 3,
	                .maxvalue = 300000},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.bulk_pct = 5,
		.bulk_max = UINT64_MAX,
		.rounds = 60,
		.window = 20000,
		.extend_steps = 5000,
		.monitor = true,
	};
	stress_run_case(&c);
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_founding_100),
		cmocka_unit_test(test_asc_1e6),
		cmocka_unit_test(test_asc_inc7_offgrid),
		cmocka_unit_test(test_desc_1e6_defaults),
		cmocka_unit_test(test_desc_inc7_positive),
		cmocka_unit_test(test_int64_top),
		cmocka_unit_test(test_int64_top_inc7),
		cmocka_unit_test(test_int64_huge_inc),
		cmocka_unit_test(test_int64_bottom_desc),
		cmocka_unit_test(test_inc_int64_min),
		cmocka_unit_test(test_inc_int64_max),
		cmocka_unit_test(test_smallint),
		cmocka_unit_test(test_integer_desc),
		cmocka_unit_test(test_bulk_int64_top),
		cmocka_unit_test(test_bulk_int64_bottom_desc),
		cmocka_unit_test(test_bulk_founding),
		cmocka_unit_test(test_bulk_huge_k),
	};
	return cmocka_run_group_tests_name("stress_exhaust", tests, NULL, NULL);
}
