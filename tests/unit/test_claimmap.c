/*
 * test_claimmap.c - the claimed-number bitmap (src/claimmap.h), single
 * threaded: every function, partial last words at every level, searches
 * from the middle of words and pages, random operations against a naive
 * model, summaries exact after every batch (numseq__cmap_check), sparse
 * memory, allocation failures, and searches that meet a stale summary.
 *
 * NUMSEQ_SEED (decimal or 0x hex) replays the random cases; the seed is
 * printed at the start.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "claimmap.h"
#include "numseq.h"
#include "numseq_test.h"

#define U64(x) ((unsigned long long)(x))

static uint64_t seed;

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return splitmix(s) % n;
}

/* The map is 64-byte aligned (its counter stripes are): a static one. */
static struct numseq__cmap map;

static void map_init(uint64_t nbits)
{
	int rc = numseq__cmap_init(&map, nbits);
	if (rc != NUMSEQ_OK)
		fail_msg("numseq__cmap_init(%llu) returned %d", U64(nbits), rc);
}

static void check_quiet(const char *when)
{
	int bad = numseq__cmap_check(&map);
	if (bad != 0)
		fail_msg("numseq__cmap_check: level %d problem %d (%s; nbits %llu, seed %llu)",
		         bad >> 4, bad & 15, when, U64(map.nbits), U64(seed));
}

/* A raw summary word, for the white-box tests (page must exist). */
static _Atomic uint64_t *raw_word(struct numseq__cmap_level *l, uint64_t w)
{
	_Atomic uint64_t *pg = atomic_load(&l->dir[w / NUMSEQ__CMAP_PAGE_WORDS]);
	assert_non_null(pg);
	return &pg[w % NUMSEQ__CMAP_PAGE_WORDS];
}

/* ----------------------------------------------------------- init/free */

static void test_init_errors(void **state)
{
	(void)state;
	assert_int_equal(numseq__cmap_init(&map, 0), NUMSEQ_EINVAL);
	numseq__cmap_free(&map); /* on the zeroed map init left */
	assert_int_equal(numseq__cmap_init(&map, NUMSEQ__CMAP_MAX_BITS + 1), NUMSEQ_EINVAL);
	assert_int_equal(numseq__cmap_init(&map, UINT64_MAX), NUMSEQ_EINVAL);
	map_init(NUMSEQ__CMAP_MAX_BITS);
	numseq__cmap_free(&map);
	numseq__cmap_free(&map); /* idempotent */
	assert_int_equal(numseq__cmap_bytes(&map), 0);
}

/* Level shapes: at least one summary level, the top has one word. */
static void test_levels(void **state)
{
	(void)state;
	static const struct {
		uint64_t nbits;
		unsigned nlevels;
	} c[] = {
		{1, 2},
		{63, 2},
		{64, 2},
		{65, 2},
		{4095, 2},
		{4096, 2},
		{4097, 3},
		{262144, 3},
		{262145, 4},
		{5000000, 4},
		{UINT64_C(1) << 32, 6},
		{NUMSEQ__CMAP_MAX_BITS, 6},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		map_init(c[i].nbits);
		if (map.nlevels != c[i].nlevels)
			fail_msg("nbits %llu: %u levels, expected %u", U64(c[i].nbits), map.nlevels,
			         c[i].nlevels);
		assert_int_equal(map.full[map.nlevels - 1].nwords, 1);
		assert_int_equal(map.lv0.nbits, c[i].nbits);
		for (unsigned k = 1; k < map.nlevels; k++) {
			assert_int_equal(map.full[k].nbits,
			                 k == 1 ? map.lv0.nwords : map.full[k - 1].nwords);
			assert_int_equal(map.any[k].nwords, map.full[k].nwords);
		}
		/* only the directories at first */
		uint64_t dirs = 0;
		dirs += map.lv0.npages * 8;
		for (unsigned k = 1; k < map.nlevels; k++)
			dirs += (map.full[k].npages + map.any[k].npages) * 8;
		assert_int_equal(numseq__cmap_bytes(&map), dirs);
		check_quiet("fresh");
		numseq__cmap_free(&map);
	}
}

/* ------------------------------------------------- exhaust every size */

/* take_first(0) hands out 0, 1, 2 ... to the end, then 0; the summaries
 * stay exact, releases reopen exactly the released positions. */
static void exhaust_one(uint64_t n)
{
	uint64_t p = 0, c = 0, r = 0;
	map_init(n);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 0);
	assert_int_equal(numseq__cmap_find_set(&map, 0, &p), 0);
	for (uint64_t i = 0; i < n; i++) {
		int rc = numseq__cmap_take_first(&map, 0, &p);
		if (rc != 1 || p != i)
			fail_msg("nbits %llu: take_first #%llu returned %d, %llu", U64(n), U64(i),
			         rc, U64(p));
	}
	assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 0);
	assert_int_equal(numseq__cmap_take_first(&map, n - 1, &p), 0);
	assert_int_equal(numseq__cmap_find_clear(&map, 0, &p), 0);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
	assert_int_equal(p, n - 1);
	assert_int_equal(numseq__cmap_find_set(&map, n - 1, &p), 1);
	assert_int_equal(p, n - 1);
	assert_int_equal(numseq__cmap_set(&map, n - 1), 0);
	check_quiet("full");
	numseq__cmap_counts(&map, &c, &r);
	assert_int_equal(c, n);
	assert_int_equal(r, 0);

	/* release the last and the first, then every 63rd */
	assert_int_equal(numseq__cmap_clear(&map, n - 1), 1);
	assert_int_equal(numseq__cmap_clear(&map, n - 1), 0);
	assert_false(numseq__cmap_test(&map, n - 1));
	assert_int_equal(numseq__cmap_find_clear(&map, 0, &p), 1);
	assert_int_equal(p, n - 1);
	if (n > 1) {
		assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
		assert_int_equal(p, n - 2);
	} else {
		assert_int_equal(numseq__cmap_last_set(&map, &p), 0);
	}
	assert_int_equal(numseq__cmap_clear(&map, 0), n > 1 ? 1 : 0);
	uint64_t released = n > 1 ? 2 : 1;
	for (uint64_t i = 63; i + 1 < n; i += 63) {
		assert_int_equal(numseq__cmap_clear(&map, i), 1);
		released++;
	}
	check_quiet("released");
	/* they come back in order */
	uint64_t expect = 0;
	for (uint64_t k = 0; k < released; k++) {
		assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
		if (p != expect)
			fail_msg("nbits %llu: retake #%llu gave %llu, expected %llu", U64(n),
			         U64(k), U64(p), U64(expect));
		expect = expect == 0 ? 63 : expect + 63;
		if (expect + 1 >= n)
			expect = n - 1;
	}
	assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 0);
	check_quiet("refilled");
	numseq__cmap_counts(&map, &c, &r);
	assert_int_equal(c - r, n);
	assert_int_equal(r, released);
	numseq__cmap_free(&map);
}

static void test_exhaust_sizes(void **state)
{
	(void)state;
	static const uint64_t sizes[] = {1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262145};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		exhaust_one(sizes[i]);
}

/* The largest map: a few positions at the edges of words, pages and the
 * end; memory stays the directories plus a few pages. */
static void test_max_bits(void **state)
{
	(void)state;
	const uint64_t n = NUMSEQ__CMAP_MAX_BITS;
	const uint64_t pos[] = {0,        63,     64,   32767, 32768, UINT64_C(1) << 30,
	                        n - 4097, n - 64, n - 1};
	uint64_t p = 0;
	map_init(n);
	uint64_t dirs = numseq__cmap_bytes(&map);
	for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
		assert_int_equal(numseq__cmap_set(&map, pos[i]), 1);
	check_quiet("max sparse");
	assert_true(numseq__cmap_bytes(&map) - dirs < 64 * 4096);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
	assert_int_equal(p, n - 1);
	for (size_t i = 0; i + 1 < sizeof pos / sizeof pos[0]; i++) {
		assert_int_equal(numseq__cmap_find_set(&map, pos[i] + 1, &p), 1);
		assert_int_equal(p, pos[i + 1]);
	}
	assert_int_equal(numseq__cmap_find_clear(&map, 63, &p), 1);
	assert_int_equal(p, 65);
	assert_int_equal(numseq__cmap_take_first(&map, n - 1, &p), 0);
	assert_int_equal(numseq__cmap_take_first(&map, n - 2, &p), 1);
	assert_int_equal(p, n - 2);
	assert_int_equal(numseq__cmap_take_first(&map, n - 64, &p), 1);
	assert_int_equal(p, n - 63);
	assert_int_equal(numseq__cmap_clear(&map, n - 1), 1);
	assert_int_equal(numseq__cmap_clear(&map, n - 2), 1);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
	assert_int_equal(p, n - 63);
	check_quiet("max after");
	numseq__cmap_free(&map);
}

/* Touching 3 positions of a 2^32 map allocates only a few pages. */
static void test_sparse_memory(void **state)
{
	(void)state;
	uint64_t p = 0;
	map_init(UINT64_C(1) << 32);
	assert_int_equal(numseq__cmap_set(&map, 5), 1);
	assert_int_equal(numseq__cmap_set(&map, UINT64_C(3) << 30), 1);
	assert_int_equal(numseq__cmap_set(&map, (UINT64_C(1) << 32) - 1), 1);
	uint64_t bytes = numseq__cmap_bytes(&map);
	print_message("2^32 map, 3 positions: %llu bytes\n", U64(bytes));
	assert_true(bytes < 2u << 20);
	check_quiet("sparse");
	assert_int_equal(numseq__cmap_find_set(&map, 6, &p), 1);
	assert_int_equal(p, UINT64_C(3) << 30);
	/* clearing and searching allocate nothing */
	assert_int_equal(numseq__cmap_clear(&map, 5), 1);
	assert_int_equal(numseq__cmap_clear(&map, 1000000), 0);
	assert_int_equal(numseq__cmap_find_clear(&map, 1000000, &p), 1);
	assert_int_equal(p, 1000000);
	assert_false(numseq__cmap_test(&map, 99999999));
	assert_int_equal(numseq__cmap_bytes(&map), bytes);
	numseq__cmap_free(&map);
}

/* ------------------------------------------- from in the middle of words */

static void test_take_from_middle(void **state)
{
	(void)state;
	const uint64_t n = 5000000;
	uint64_t p = 0;
	map_init(n);
	/* fill [0, 300000): full level-1 and level-2 words */
	for (uint64_t i = 0; i < 300000; i++) {
		assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
		assert_int_equal(p, i);
	}
	check_quiet("filled");
	/* holes at word, page and level-1-word boundaries */
	const uint64_t holes[] = {1, 63, 64, 100, 4095, 4096, 32767, 32768, 32769, 262143, 262144};
	for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++)
		assert_int_equal(numseq__cmap_clear(&map, holes[i]), 1);
	check_quiet("holes");
	/* find_clear from every offset lands on the next hole */
	for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
		uint64_t lo = i == 0 ? 0 : holes[i - 1] + 1;
		for (uint64_t f = lo; f <= holes[i]; f += (holes[i] - lo) / 7 + 1) {
			assert_int_equal(numseq__cmap_find_clear(&map, f, &p), 1);
			if (p != holes[i])
				fail_msg("find_clear(%llu) = %llu, expected %llu", U64(f), U64(p),
				         U64(holes[i]));
		}
		assert_int_equal(numseq__cmap_find_clear(&map, holes[i], &p), 1);
		assert_int_equal(p, holes[i]);
	}
	assert_int_equal(numseq__cmap_find_clear(&map, 262145, &p), 1);
	assert_int_equal(p, 300000);
	/* take_first from the middle of a word skips the holes before it */
	assert_int_equal(numseq__cmap_take_first(&map, 65, &p), 1);
	assert_int_equal(p, 100);
	assert_int_equal(numseq__cmap_take_first(&map, 4000, &p), 1);
	assert_int_equal(p, 4095);
	assert_int_equal(numseq__cmap_take_first(&map, 32768, &p), 1);
	assert_int_equal(p, 32768);
	assert_int_equal(numseq__cmap_take_first(&map, 32768, &p), 1);
	assert_int_equal(p, 32769);
	assert_int_equal(numseq__cmap_take_first(&map, 200000, &p), 1);
	assert_int_equal(p, 262143);
	assert_int_equal(numseq__cmap_take_first(&map, 262145, &p), 1);
	assert_int_equal(p, 300000);
	assert_int_equal(numseq__cmap_take_first(&map, n - 1, &p), 1);
	assert_int_equal(p, n - 1);
	assert_int_equal(numseq__cmap_take_first(&map, n - 1, &p), 0);
	assert_int_equal(numseq__cmap_take_first(&map, n, &p), 0);
	assert_int_equal(numseq__cmap_find_clear(&map, n, &p), 0);
	assert_int_equal(numseq__cmap_find_set(&map, n, &p), 0);
	/* the rest come back from the lowest */
	const uint64_t rest[] = {1, 63, 64, 4096, 32767, 262144, 300001};
	for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
		assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
		assert_int_equal(p, rest[i]);
	}
	assert_int_equal(numseq__cmap_find_set(&map, 300002, &p), 1);
	assert_int_equal(p, n - 1);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
	assert_int_equal(p, n - 1);
	check_quiet("middle done");
	numseq__cmap_free(&map);
}

/* ------------------------------------------------------- random model */

struct model {
	uint64_t n;
	uint8_t *b;
	uint64_t count;
};

static int model_next(const struct model *md, uint64_t from, uint8_t v, uint64_t *out)
{
	if (from >= md->n)
		return 0;
	const uint8_t *q = memchr(md->b + from, v, (size_t)(md->n - from));
	if (q == NULL)
		return 0;
	*out = (uint64_t)(q - md->b);
	return 1;
}

static int model_last(const struct model *md, uint64_t *out)
{
	for (uint64_t i = md->n; i-- > 0;) {
		if (md->b[i]) {
			*out = i;
			return 1;
		}
	}
	return 0;
}

static void expect_search(const char *what, uint64_t from, int rc, uint64_t got, int mrc,
                          uint64_t want, uint64_t step)
{
	if (rc != mrc || (rc == 1 && got != want))
		fail_msg("%s(%llu) at step %llu: returned %d, %llu; model %d, %llu (nbits %llu, "
		         "seed %llu)",
		         what, U64(from), U64(step), rc, U64(got), mrc, U64(want), U64(map.nbits),
		         U64(seed));
}

/* A position: near a moving cursor half of the time (so that words fill
 * up and empty out), otherwise anywhere. */
static uint64_t pick(uint64_t *rs, uint64_t n, uint64_t cursor, uint64_t spread)
{
	if (splitmix(rs) & 1) {
		uint64_t lo = cursor > spread ? cursor - spread : 0;
		uint64_t hi = cursor + spread < n ? cursor + spread : n - 1;
		return lo + below(rs, hi - lo + 1);
	}
	return below(rs, n);
}

static void random_one(uint64_t n, uint64_t steps, uint64_t case_seed)
{
	uint64_t rs = case_seed;
	struct model md = {.n = n, .b = calloc((size_t)n, 1), .count = 0};
	assert_non_null(md.b);
	uint64_t claims = 0, releases = 0, c = 0, r = 0, p = 0, q = 0;
	uint64_t spread = n < 4096 ? n : 2000 + below(&rs, 20000);
	uint64_t cursor = below(&rs, n);
	map_init(n);
	for (uint64_t step = 0; step < steps; step++) {
		if (below(&rs, 2000) == 0)
			cursor = below(&rs, n);
		uint64_t i = pick(&rs, n, cursor, spread);
		unsigned op = (unsigned)below(&rs, 100);
		int rc, mrc;
		if (op < 30) {
			rc = numseq__cmap_set(&map, i);
			mrc = md.b[i] ? 0 : 1;
			if (rc != mrc)
				fail_msg("set(%llu) = %d, model %d (seed %llu)", U64(i), rc, mrc,
				         U64(seed));
			if (mrc) {
				md.b[i] = 1;
				md.count++;
				claims++;
			}
		} else if (op < 55) {
			rc = numseq__cmap_clear(&map, i);
			mrc = md.b[i] ? 1 : 0;
			if (rc != mrc)
				fail_msg("clear(%llu) = %d, model %d (seed %llu)", U64(i), rc, mrc,
				         U64(seed));
			if (mrc) {
				md.b[i] = 0;
				md.count--;
				releases++;
			}
		} else if (op < 75) {
			rc = numseq__cmap_take_first(&map, i, &p);
			mrc = model_next(&md, i, 0, &q);
			expect_search("take_first", i, rc, p, mrc, q, step);
			if (mrc) {
				md.b[q] = 1;
				md.count++;
				claims++;
			}
		} else if (op < 85) {
			rc = numseq__cmap_find_clear(&map, i, &p);
			mrc = model_next(&md, i, 0, &q);
			expect_search("find_clear", i, rc, p, mrc, q, step);
		} else if (op < 95) {
			rc = numseq__cmap_find_set(&map, i, &p);
			mrc = model_next(&md, i, 1, &q);
			expect_search("find_set", i, rc, p, mrc, q, step);
		} else if (op < 98 || n > 100000) {
			if (numseq__cmap_test(&map, i) != (md.b[i] != 0))
				fail_msg("test(%llu) disagrees (seed %llu)", U64(i), U64(seed));
		} else {
			rc = numseq__cmap_last_set(&map, &p);
			mrc = model_last(&md, &q);
			expect_search("last_set", 0, rc, p, mrc, q, step);
		}
		if (step % 4096 == 4095 || step + 1 == steps) {
			check_quiet("random");
			numseq__cmap_counts(&map, &c, &r);
			assert_int_equal(c, claims);
			assert_int_equal(r, releases);
			rc = numseq__cmap_last_set(&map, &p);
			mrc = model_last(&md, &q);
			expect_search("last_set", 0, rc, p, mrc, q, step);
		}
	}
	/* every position agrees at the end */
	for (uint64_t i = 0; i < n; i++) {
		if (numseq__cmap_test(&map, i) != (md.b[i] != 0))
			fail_msg("final test(%llu) disagrees (seed %llu)", U64(i), U64(seed));
	}
	numseq__cmap_free(&map);
	free(md.b);
}

static void test_random_model(void **state)
{
	(void)state;
	static const struct {
		uint64_t n, steps;
	} c[] = {
		{1, 2000},      {2, 2000},       {63, 20000},      {64, 20000},
		{65, 20000},    {130, 20000},    {4095, 100000},   {4096, 100000},
		{4097, 100000}, {70000, 200000}, {262145, 200000}, {5000000, 200000},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		random_one(c[i].n, c[i].steps, seed ^ (c[i].n * UINT64_C(0x9E3779B97F4A7C15)));
}

/* Dense phases: fill a large run with take_first, punch random holes,
 * refill: FULL bits at levels 2 and 3 go up and down. */
static void test_dense_levels(void **state)
{
	(void)state;
	const uint64_t n = 270000; /* 4 levels; level-2 words of 262144 positions */
	uint64_t rs = seed ^ 0xD15EA5E, p = 0, c = 0, r = 0;
	map_init(n);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
	check_quiet("dense full");
	for (int round = 0; round < 20; round++) {
		/* the map is full: every chosen position ends up clear */
		uint64_t holes = 1 + below(&rs, 3000), lowest = n;
		for (uint64_t h = 0; h < holes; h++) {
			uint64_t i = below(&rs, n);
			(void)numseq__cmap_clear(&map, i);
			if (i < lowest)
				lowest = i;
		}
		check_quiet("dense holes");
		assert_int_equal(numseq__cmap_find_clear(&map, 0, &p), 1);
		assert_int_equal(p, lowest);
		uint64_t prev = 0;
		bool first = true;
		while (numseq__cmap_take_first(&map, 0, &p) == 1) {
			assert_true(first || p > prev);
			prev = p;
			first = false;
		}
		check_quiet("dense refilled");
	}
	numseq__cmap_counts(&map, &c, &r);
	assert_int_equal(c - r, n);
	numseq__cmap_free(&map);
}

/* --------------------------------------------------- allocation failure */

static void test_enomem(void **state)
{
	(void)state;
	const uint64_t n = 5000000; /* 4 levels: a first set allocates 7 pages */
	uint64_t p = 0, c = 0, r = 0;

	/* init: each directory allocation; nothing is left (LeakSanitizer) */
	for (long k = 1; k <= 7; k++) {
		numseq__fail_alloc_at(k);
		assert_int_equal(numseq__cmap_init(&map, n), NUMSEQ_ENOMEM);
		numseq__fail_alloc_at(0);
		assert_int_equal(numseq__cmap_bytes(&map), 0);
		assert_null(map.lv0.dir);
		numseq__cmap_free(&map);
	}
	numseq__fail_alloc_at(8);
	map_init(n);
	numseq__fail_alloc_at(0);
	numseq__cmap_free(&map);

	for (int take = 0; take <= 1; take++) {
		for (long k = 1; k <= 7; k++) {
			map_init(n);
			numseq__fail_alloc_at(k);
			int rc = take ? numseq__cmap_take_first(&map, 4000000, &p)
			              : numseq__cmap_set(&map, 4000000);
			numseq__fail_alloc_at(0);
			assert_int_equal(rc, NUMSEQ_ENOMEM);
			assert_false(numseq__cmap_test(&map, 4000000));
			assert_int_equal(numseq__cmap_find_set(&map, 0, &p), 0);
			assert_int_equal(numseq__cmap_last_set(&map, &p), 0);
			numseq__cmap_counts(&map, &c, &r);
			assert_int_equal(c, 0);
			check_quiet("after ENOMEM");
			/* then it works */
			rc = take ? numseq__cmap_take_first(&map, 4000000, &p)
			          : numseq__cmap_set(&map, 4000000);
			assert_int_equal(rc, 1);
			assert_true(numseq__cmap_test(&map, 4000000));
			check_quiet("after retry");
			numseq__cmap_free(&map);
		}
	}

	/* a set whose pages exist allocates nothing */
	map_init(n);
	assert_int_equal(numseq__cmap_set(&map, 10), 1);
	numseq__fail_alloc_at(1);
	assert_int_equal(numseq__cmap_set(&map, 11), 1);
	assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
	assert_int_equal(p, 0);
	assert_int_equal(numseq__cmap_clear(&map, 10), 1);
	/* the next page-needing call fails (its leaf page is new) */
	assert_int_equal(numseq__cmap_set(&map, 4999999), NUMSEQ_ENOMEM);
	numseq__fail_alloc_at(0);
	check_quiet("partial");
	numseq__cmap_free(&map);
}

/* ------------------------------------------------------ stale summaries */

/* A search that descends through a summary bit that lies goes on to the
 * right answer and repairs the bit. */
static void test_stale_summaries(void **state)
{
	(void)state;
	uint64_t p = 0;
	map_init(5000000);
	/* leaf words 0 and 1 full, 2 empty */
	for (int i = 0; i < 128; i++)
		assert_int_equal(numseq__cmap_take_first(&map, 0, &p), 1);
	check_quiet("two words");
	/* stale "not full" on word 1 */
	atomic_fetch_and(raw_word(&map.full[1], 0), ~UINT64_C(2));
	assert_int_equal(numseq__cmap_check(&map), (1 << 4) | NUMSEQ__CMAP_BAD_FULL);
	assert_int_equal(numseq__cmap_find_clear(&map, 0, &p), 1);
	assert_int_equal(p, 128);
	check_quiet("FULL repaired by find_clear");
	atomic_fetch_and(raw_word(&map.full[1], 0), ~UINT64_C(2));
	assert_int_equal(numseq__cmap_take_first(&map, 10, &p), 1);
	assert_int_equal(p, 128);
	check_quiet("FULL repaired by take_first");

	/* stale "non-empty" on leaf word 5, and on level-1 word 3 */
	atomic_fetch_or(raw_word(&map.any[1], 0), UINT64_C(1) << 5);
	assert_int_equal(numseq__cmap_check(&map), (1 << 4) | NUMSEQ__CMAP_BAD_ANY);
	assert_int_equal(numseq__cmap_find_set(&map, 129, &p), 0);
	check_quiet("ANY repaired by find_set");
	atomic_fetch_or(raw_word(&map.any[1], 0), UINT64_C(1) << 7);
	atomic_fetch_or(raw_word(&map.any[2], 0), UINT64_C(1) << 3);
	assert_int_equal(numseq__cmap_check(&map), (1 << 4) | NUMSEQ__CMAP_BAD_ANY);
	assert_int_equal(numseq__cmap_last_set(&map, &p), 1);
	assert_int_equal(p, 128);
	check_quiet("ANY repaired by last_set");

	/* a stale "full" hides positions from a search (the documented
	 * transient); the checker sees it */
	assert_int_equal(numseq__cmap_clear(&map, 70), 1);
	atomic_fetch_or(raw_word(&map.full[1], 0), UINT64_C(2));
	assert_int_equal(numseq__cmap_check(&map), (1 << 4) | NUMSEQ__CMAP_BAD_FULL);
	atomic_fetch_and(raw_word(&map.full[1], 0), ~UINT64_C(2));
	check_quiet("restored");

	/* padding */
	_Atomic uint64_t *last = raw_word(&map.any[3], 0);
	atomic_fetch_or(last, UINT64_C(1) << 63);
	assert_int_equal(numseq__cmap_check(&map), (3 << 4) | NUMSEQ__CMAP_BAD_PADDING);
	atomic_fetch_and(last, ~(UINT64_C(1) << 63));
	check_quiet("padding restored");

	/* the leaves' padding: 5000000 % 64 = 0, so no bit past nbits in
	 * the last word: a word past nwords in the last page */
	assert_int_equal(numseq__cmap_set(&map, 4999999), 1);
	_Atomic uint64_t *past = raw_word(&map.lv0, map.lv0.nwords + 3);
	atomic_store(past, 1);
	assert_int_equal(numseq__cmap_check(&map), NUMSEQ__CMAP_BAD_PADDING);
	atomic_store(past, 0);
	check_quiet("leaf padding restored");

	/* a page under a missing parent page */
	const uint64_t lp = 64; /* the first leaf page under level-1 page 1 */
	assert_null(atomic_load(&map.full[1].dir[1]));
	_Atomic uint64_t *fake = calloc(NUMSEQ__CMAP_PAGE_WORDS, sizeof(*fake));
	assert_non_null(fake);
	atomic_store(&map.lv0.dir[lp], fake);
	assert_int_equal(numseq__cmap_check(&map), (1 << 4) | NUMSEQ__CMAP_BAD_PAGES);
	atomic_store(&map.lv0.dir[lp], NULL);
	free((void *)fake);
	check_quiet("orphan removed");
	numseq__cmap_free(&map);
}

int main(void)
{
	const char *env = getenv("NUMSEQ_SEED");
	seed = env != NULL ? strtoull(env, NULL, 0)
	                   : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	printf("test_claimmap: seed %llu (NUMSEQ_SEED=%llu replays it)\n", U64(seed), U64(seed));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),   cmocka_unit_test(test_levels),
		cmocka_unit_test(test_exhaust_sizes), cmocka_unit_test(test_max_bits),
		cmocka_unit_test(test_sparse_memory), cmocka_unit_test(test_take_from_middle),
		cmocka_unit_test(test_random_model),  cmocka_unit_test(test_dense_levels),
		cmocka_unit_test(test_enomem),        cmocka_unit_test(test_stale_summaries),
	};
	return cmocka_run_group_tests_name("claimmap", tests, NULL, NULL);
}
