/*
 * stress_cache.c - CACHE > 1 under 2-8 threads.
 *
 * Each thread keeps its own block of up to CACHE values (a PostgreSQL
 * session's cache); a refill stops at the bound without wrapping.
 *
 * Oracles:
 *  - NO CYCLE run to exhaustion (stress_run_case): every thread drains its
 *    block before it can see the limit, so the race hands out exactly the
 *    range, each value once; then the limit error for everyone, and
 *    numseq_read gives (last value, true).  With DISCARD mixed in, cached
 *    values are lost: distinct values, a subset of the range.
 *  - Not exhausted: distinct values within [START, last_value], and no more
 *    than CACHE-1 reserved-but-unused values per thread.
 *  - CYCLE: refills are aligned blocks of the lap (min+0..c-1, c..2c-1, ...,
 *    the last one truncated at the bound) taken in lap order, so every
 *    thread's values are a concatenation of whole aligned blocks (its last
 *    block possibly cut short by its quota), and the number of times block
 *    j was reserved is non-increasing in j and within 1 of block 0's.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numseq_test.h"
#include "stress_common.h"

#define O_START NUMSEQ_OPT_START
#define O_INC NUMSEQ_OPT_INCREMENT
#define O_MIN NUMSEQ_OPT_MINVALUE
#define O_MAX NUMSEQ_OPT_MAXVALUE
#define O_CACHE NUMSEQ_OPT_CACHE
#define O_CYCLE NUMSEQ_OPT_CYCLE
#define WHY 512

static void test_cache64_exhaust(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(1000000, 20000);
	stress_case_t c = {
		.name = "cache64_exhaust",
		.opt = {.set = O_START | O_MAX | O_CACHE, .start = 1, .maxvalue = n, .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 2000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 1000,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* 100 numbers, CACHE 7: the last refills are cut at 100. */
static void test_cache7_founding(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "cache7_founding",
		.opt = {.set = O_START | O_MAX | O_CACHE, .start = 1, .maxvalue = 100, .cache = 7},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 50,
		.rounds = 300,
		.window = 150,
		.extend_steps = 13,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* CACHE 64 with nextval_n blocks (which bypass the cache) in between. */
static void test_cache64_bulk(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(600000, 20000);
	stress_case_t c = {
		.name = "cache64_bulk",
		.opt = {.set = O_START | O_INC | O_MIN | O_MAX | O_CACHE,
	                .start = 3,
	                .increment = 5,
	                .minvalue = 1,
	                .maxvalue = 5 * n,
	                .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.bulk_pct = 30,
		.bulk_max = 200,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 777,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_cache64_desc(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(600000, 20000);
	stress_case_t c = {
		.name = "cache64_desc",
		.opt = {.set = O_INC | O_MIN | O_CACHE,
	                .increment = -1,
	                .minvalue = -n,
	                .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 1000,
		.big = true,
		.window = (uint64_t)n,
		.extend_steps = 100,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Refills reaching INT64_MAX must stop there, not overflow. */
static void test_cache64_int64_top(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "cache64_int64_top",
		.opt = {.set = O_START | O_INC | O_CACHE,
	                .start = INT64_MAX - 30000,
	                .increment = 3,
	                .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.rounds = 100,
		.window = 3000,
		.monitor = true,
	};
	stress_run_case(&c);
}

static void test_cache64_int64_bottom(void **state)
{
	(void)state;
	stress_case_t c = {
		.name = "cache64_int64_bottom",
		.opt = {.set = O_START | O_INC | O_MIN | O_CACHE,
	                .start = INT64_MIN + 10000,
	                .increment = -1,
	                .minvalue = INT64_MIN,
	                .cache = 64},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 200,
		.rounds = 100,
		.window = 3000,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* CACHE 1 and 64 against DISCARD SEQUENCES (which throws cached values away). */
static void test_cache16_discard(void **state)
{
	(void)state;
	int64_t n = (int64_t)stress_n(300000, 10000);
	stress_case_t c = {
		.name = "cache16_discard",
		.opt = {.set = O_START | O_MAX | O_CACHE, .start = 1, .maxvalue = n, .cache = 16},
		.threads_lo = 2,
		.threads_hi = 8,
		.hammer = 500,
		.discard_pct = 5,
		.bulk_pct = 10,
		.bulk_max = 20,
		.big = true,
		.window = (uint64_t)n,
		.monitor = true,
	};
	stress_run_case(&c);
}

/* Not exhausted: unused reservations are bounded by threads * (CACHE-1). */
static void test_cache64_partial(void **state)
{
	(void)state;
	const uint64_t cs = stress_case_seed("cache64_partial");
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	const int64_t cache = 64;
	uint64_t rounds = stress_n(20, 3);

	for (uint64_t r = 0; r < rounds; r++) {
		numseq_options_t o = {.set = O_START | O_CACHE | NUMSEQ_OPT_NAME,
		                      .start = 1,
		                      .cache = cache,
		                      .name = "cache64_partial"};
		numseq_t *s = NULL;
		int rc = numseq_create(&s, &o, &err);
		STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);
		int threads = (int)stress_rng_range(&rng, 2, 8);
		stress_taker_t proto;
		memset(&proto, 0, sizeof proto);
		proto.s = s;
		proto.dir = 1;
		proto.inc = 1;
		proto.quota = stress_rng_range(&rng, 1, stress_n(100000, 1000));
		proto.limit_is_error = true;
		proto.check_session = true;
		proto.bulk_pct = (unsigned)stress_rng_below(&rng, 3) * 10;
		proto.check_monotone = proto.bulk_pct == 0; /* see stress_cases.c */
		proto.bulk_max = 100;
		stress_taker_t *t = stress_race(&proto, threads, stress_rng_next(&rng), NULL, why,
		                                sizeof why);
		STRESS_CHECK(t != NULL, cs, "round %llu: %s", STRESS_LLU(r), why);
		STRESS_CHECK(stress_takers_clean(t, threads, why, sizeof why), cs, "round %llu: %s",
		             STRESS_LLU(r), why);
		stress_vec_t got = stress_takers_merge(t, threads);
		STRESS_CHECK(!got.oom, cs, "out of memory");
		STRESS_CHECK(got.n == proto.quota * (uint64_t)threads, cs,
		             "round %llu: %zu values, "
		             "expected %llu",
		             STRESS_LLU(r), got.n, STRESS_LLU(proto.quota * (uint64_t)threads));
		STRESS_CHECK(stress_check_distinct(got.v, got.n, why, sizeof why), cs,
		             "round %llu (%d threads, CACHE %lld): %s", STRESS_LLU(r), threads,
		             STRESS_LL(cache), why);
		int64_t L = 0;
		bool called = false;
		rc = numseq_read(s, &L, &called);
		STRESS_CHECK(rc == NUMSEQ_OK && called, cs, "read: rc %d called %d", rc,
		             (int)called);
		STRESS_CHECK(got.v[0] >= 1 && got.v[got.n - 1] <= L, cs,
		             "round %llu: values %lld..%lld outside [1, last_value %lld]",
		             STRESS_LLU(r), STRESS_LL(got.v[0]), STRESS_LL(got.v[got.n - 1]),
		             STRESS_LL(L));
		uint64_t unused = (uint64_t)L - got.n;
		STRESS_CHECK(
			unused <= (uint64_t)threads * (uint64_t)(cache - 1), cs,
			"round %llu: last_value %lld with %zu values handed out: %llu reserved "
			"but unused, more than %d threads x %lld",
			STRESS_LLU(r), STRESS_LL(L), got.n, STRESS_LLU(unused), threads,
			STRESS_LL(cache - 1));
		stress_vec_free(&got);
		stress_takers_free(t, threads);
		numseq_destroy(&s);
	}
}

/*
 * CYCLE with CACHE: the aligned-blocks oracle (see the file comment).
 * The sequence starts at the bound it runs away from, so the first refill
 * is block 0 of a lap.
 */
static void run_cycle_blocks(const char *name, int64_t min, int64_t max, int64_t inc, int64_t cache,
                             uint64_t quota_base, uint64_t races)
{
	const uint64_t cs = stress_case_seed(name);
	stress_rng_t rng;
	stress_rng_init(&rng, cs);
	char why[WHY];
	numseq_error_t err;
	numseq_options_t o = {.set = O_START | O_INC | O_MIN | O_MAX | O_CACHE | O_CYCLE |
	                             NUMSEQ_OPT_NAME,
	                      .start = inc > 0 ? min : max,
	                      .increment = inc,
	                      .minvalue = min,
	                      .maxvalue = max,
	                      .cache = cache,
	                      .cycle = true,
	                      .name = name};
	numseq_t *s = NULL;
	int rc = numseq_create(&s, &o, &err);
	STRESS_CHECK(rc == NUMSEQ_OK, cs, "create: rc %d %s", rc, err.message);

	const uint64_t ainc = inc > 0 ? (uint64_t)inc : (uint64_t)0 - (uint64_t)inc;
	const uint64_t lap = ((uint64_t)max - (uint64_t)min) / ainc + 1; /* values per lap */
	const uint64_t nblocks = (lap + (uint64_t)cache - 1) / (uint64_t)cache;
	uint64_t *count = calloc(nblocks, sizeof *count);
	assert_non_null(count);

	for (uint64_t r = 0; r < races; r++) {
		int threads = (int)stress_rng_range(&rng, 2, 8);
		stress_taker_t proto;
		memset(&proto, 0, sizeof proto);
		proto.s = s;
		proto.dir = inc > 0 ? 1 : -1;
		proto.inc = inc;
		proto.quota = stress_rng_range(&rng, 1, stress_n(quota_base, 100));
		proto.limit_is_error = true;
		proto.check_session = true;
		stress_taker_t *t = stress_race(&proto, threads, stress_rng_next(&rng), NULL, why,
		                                sizeof why);
		STRESS_CHECK(t != NULL, cs, "%s", why);
		STRESS_CHECK(stress_takers_clean(t, threads, why, sizeof why), cs, "%s", why);

		/* parse each thread's values into aligned blocks */
		for (int i = 0; i < threads; i++) {
			const stress_vec_t *a = &t[i].vals;
			size_t k = 0;
			while (k < a->n) {
				int64_t v = a->v[k];
				uint64_t off = inc > 0 ? (uint64_t)v - (uint64_t)min
				                       : (uint64_t)max - (uint64_t)v;
				STRESS_CHECK(
					v >= min && v <= max && off % ainc == 0, cs,
					"race %llu thread %d: value %lld is not in the lap of [%lld, %lld] "
					"by %lld",
					STRESS_LLU(r), i, STRESS_LL(v), STRESS_LL(min),
					STRESS_LL(max), STRESS_LL(inc));
				uint64_t idx = off / ainc;
				STRESS_CHECK(
					idx % (uint64_t)cache == 0, cs,
					"race %llu thread %d: a refill began at %lld (lap index %llu), "
					"not at a multiple of CACHE %lld from the lap's start; the "
					"thread's values around it: %lld %lld",
					STRESS_LLU(r), i, STRESS_LL(v), STRESS_LLU(idx),
					STRESS_LL(cache), STRESS_LL(k ? a->v[k - 1] : v),
					STRESS_LL(v));
				uint64_t b = idx / (uint64_t)cache;
				uint64_t len = (b + 1) * (uint64_t)cache <= lap
				                       ? (uint64_t)cache
				                       : lap - b * (uint64_t)cache;
				for (uint64_t j = 1; j < len && k + j < a->n; j++) {
					int64_t want = (int64_t)((uint64_t)v + j * (uint64_t)inc);
					STRESS_CHECK(
						a->v[k + j] == want, cs,
						"race %llu thread %d: inside the block from %lld got %lld, "
						"expected %lld",
						STRESS_LLU(r), i, STRESS_LL(v),
						STRESS_LL(a->v[k + j]), STRESS_LL(want));
				}
				count[b]++;
				k += len;
			}
		}
		stress_takers_free(t, threads);

		for (uint64_t b = 1; b < nblocks; b++)
			STRESS_CHECK(
				count[b] <= count[b - 1] && count[b] + 1 >= count[0], cs,
				"after race %llu: block %llu reserved %llu times, block %llu %llu "
				"times, block 0 %llu times: refills out of lap order (or a block "
				"handed out twice)",
				STRESS_LLU(r), STRESS_LLU(b - 1), STRESS_LLU(count[b - 1]),
				STRESS_LLU(b), STRESS_LLU(count[b]), STRESS_LLU(count[0]));
		/* last_value is the end of the last block reserved */
		uint64_t nb = 1;
		while (nb < nblocks && count[nb] == count[0])
			nb++;
		uint64_t end_idx = nb * (uint64_t)cache <= lap ? nb * (uint64_t)cache - 1 : lap - 1;
		int64_t want_last = inc > 0 ? (int64_t)((uint64_t)min + end_idx * ainc)
		                            : (int64_t)((uint64_t)max - end_idx * ainc);
		int64_t L = 0;
		bool called = false;
		rc = numseq_read(s, &L, &called);
		STRESS_CHECK(
			rc == NUMSEQ_OK && called && L == want_last, cs,
			"after race %llu: numseq_read (%lld, %d), expected (%lld, true) as the "
			"end of the last reserved block",
			STRESS_LLU(r), STRESS_LL(L), (int)called, STRESS_LL(want_last));
	}
	uint64_t total = 0;
	for (uint64_t b = 0; b < nblocks; b++)
		total += count[b];
	printf("[stress]   %-28s %llu races, %llu refills over %llu-value laps, %.2f s\n", name,
	       STRESS_LLU(races), STRESS_LLU(total), STRESS_LLU(lap), stress_case_seconds());
	free(count);
	numseq_destroy(&s);
}

static void test_cache4_cycle_1_6(void **state)
{
	(void)state;
	/* the semantics notes' example: CACHE 4 [1,6] reserves 1-4, 5-6, 1-4 ... */
	run_cycle_blocks("cache4_cycle_1_6", 1, 6, 1, 4, 20000, stress_n(30, 3));
}

static void test_cache64_cycle_1000(void **state)
{
	(void)state;
	run_cycle_blocks("cache64_cycle_1000", 1, 1000, 1, 64, 100000, stress_n(10, 2));
}

static void test_cache16_cycle_desc_int64(void **state)
{
	(void)state;
	run_cycle_blocks("cache16_cycle_desc_int64", INT64_MIN, INT64_MIN + 3 * 499, -3, 16, 100000,
	                 stress_n(10, 2));
}

int main(int argc, char **argv)
{
	stress_banner(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache64_exhaust),
		cmocka_unit_test(test_cache7_founding),
		cmocka_unit_test(test_cache64_bulk),
		cmocka_unit_test(test_cache64_desc),
		cmocka_unit_test(test_cache64_int64_top),
		cmocka_unit_test(test_cache64_int64_bottom),
		cmocka_unit_test(test_cache16_discard),
		cmocka_unit_test(test_cache64_partial),
		cmocka_unit_test(test_cache4_cycle_1_6),
		cmocka_unit_test(test_cache64_cycle_1000),
		cmocka_unit_test(test_cache16_cycle_desc_int64),
	};
	return cmocka_run_group_tests_name("stress_cache", tests, NULL, NULL);
}
