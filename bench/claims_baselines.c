/*
 * claims_baselines.c - what a C programmer would write instead of numseq's
 * claimed-number bitmap, in the state and with the pairs of the numseq
 * rows (claims_rows.h, claims_rows.c):
 *   - a plain bitmap (one bit per number, 64-bit words) behind a pthread
 *     mutex; allocating scans it linearly from the start for the lowest
 *     clear bit, a word at a time;
 *   - Concurrency Kit's ck_bitmap, lock-free: ck_bitmap_bts (lock bts) to
 *     take a bit, ck_pr_btr_uint on its block to give it back (ck_bitmap
 *     has no test-and-reset of its own).  ck_bitmap has no find-first-zero
 *     either, so allocating scans the blocks of ck_bitmap_buffer() with
 *     ck_pr_load_uint, a block (32 bits) at a time, and tries bts on the
 *     first clear bit, going on if another thread took it first.
 * Each row gets a fresh bitmap per run with 1 .. N/2 set.  Allocating scans
 * N/2 bits every time: at N = 10^9 that is 62.5 MB and milliseconds per
 * op, so the allocating rows use CL_BOUNDED_LOOPS (claims_rows.h).
 *
 * Not for ThreadSanitizer in principle (ck's atomics are inline asm it
 * cannot see), but nothing here races in a way it could report: the setup
 * writes the bitmap before the threads start, and afterwards only ck's
 * atomics touch it.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime (claims_rows.h) */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_bitmap.h>
#include <ck_pr.h>

#include "claims_rows.h"

/* ------------------------------------------------- mutex + plain bitmap */

typedef struct mtx_map {
	alignas(64) pthread_mutex_t m;
	uint64_t *w; /* bit (v - 1) % 64 of word (v - 1) / 64 is number v */
	uint64_t nwords;
	int64_t n;
	int64_t fill;
} mtx_map_t;

static void *mtx_setup(int64_t n)
{
	mtx_map_t *b = aligned_alloc(64, sizeof(*b));
	if (!b)
		return NULL;
	b->n = n;
	b->fill = cl_fill(n);
	b->nwords = ((uint64_t)n + 63) / 64;
	b->w = calloc(b->nwords, sizeof(uint64_t));
	if (!b->w || pthread_mutex_init(&b->m, NULL) != 0) {
		free(b->w);
		free(b);
		return NULL;
	}
	uint64_t full = (uint64_t)b->fill / 64, rest = (uint64_t)b->fill % 64;
	memset(b->w, 0xff, full * sizeof(uint64_t));
	if (rest)
		b->w[full] = (UINT64_C(1) << rest) - 1;
	return b;
}

static void mtx_teardown(void *st)
{
	mtx_map_t *b = st;
	pthread_mutex_destroy(&b->m);
	free(b->w);
	free(b);
}

/* Are exactly the bits of 1 .. fill set?  (The threads were joined.) */
static bool words_hold_fill(const uint64_t *w, uint64_t nwords, int64_t fill)
{
	uint64_t full = (uint64_t)fill / 64, rest = (uint64_t)fill % 64;
	for (uint64_t i = 0; i < nwords; i++) {
		uint64_t want = i < full ? UINT64_MAX : i == full ? (UINT64_C(1) << rest) - 1 : 0;
		if (w[i] != want)
			return false;
	}
	return true;
}

static int mtx_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                        bench_range_t *out, unsigned max)
{
	mtx_map_t *b = st;
	if (!words_hold_fill(b->w, b->nwords, b->fill)) {
		(void)fprintf(stderr,
		              "\nclaims: mutex bitmap, N = %" PRId64
		              ": not 1 .. N/2 after the run\n",
		              b->n);
		return -1;
	}
	return cl_ticket_ranges(threads, nthreads, out, max);
}

/* Under the mutex: the lowest clear bit, set; its number, or 0 if none.
 * *words: words looked at. */
static inline int64_t mtx_take_lowest(mtx_map_t *b, uint64_t *words)
{
	uint64_t i = 0;
	for (; i < b->nwords; i++)
		if (b->w[i] != UINT64_MAX)
			break;
	*words += i + 1;
	if (i == b->nwords)
		return 0;
	uint64_t bit = (uint64_t)__builtin_ctzll(~b->w[i]);
	uint64_t v = i * 64 + bit + 1;
	if (v > (uint64_t)b->n)
		return 0;
	b->w[i] |= UINT64_C(1) << bit;
	return (int64_t)v;
}

/* Under the mutex: sets (set) or clears the bit of v; false if it already
 * was in that state. */
static inline bool mtx_flip(mtx_map_t *b, int64_t v, bool set)
{
	uint64_t *w = &b->w[(uint64_t)(v - 1) / 64];
	uint64_t m = UINT64_C(1) << ((uint64_t)(v - 1) % 64);
	if (((*w & m) != 0) == set)
		return false;
	*w ^= m;
	return true;
}

static inline int mtx_lock(mtx_map_t *b, bench_thread_t *t)
{
	int rc = pthread_mutex_lock(&b->m);
	if (rc != 0)
		cl_fail(t, rc);
	return rc;
}

/* One thread: the number must be fill+1 every time (a lowest-free scan). */
static inline bool cl_lowest_ok(bench_thread_t *t, int64_t v, int64_t n, int64_t fill)
{
	if (v <= fill || v > n) {
		cl_fail(t, CL_EOUTSIDE);
		return false;
	}
	if (t->nthreads == 1 && v != fill + 1) {
		cl_fail(t, CL_EORDER);
		return false;
	}
	return true;
}

/* lock; take the lowest clear bit; unlock; lock; clear it; unlock. */
static inline bench_vals_t mtx_alloc_pair(void *st, bench_thread_t *t)
{
	mtx_map_t *b = st;
	if (mtx_lock(b, t) != 0)
		return (bench_vals_t){0, 0};
	int64_t v = mtx_take_lowest(b, &t->local[1]);
	pthread_mutex_unlock(&b->m);
	if (v == 0) {
		cl_fail(t, CL_EFULL);
		return (bench_vals_t){0, 0};
	}
	if (!cl_lowest_ok(t, v, b->n, b->fill))
		return (bench_vals_t){0, 0};
	if (mtx_lock(b, t) != 0)
		return (bench_vals_t){0, 0};
	bool ok = mtx_flip(b, v, false);
	pthread_mutex_unlock(&b->m);
	if (!ok) {
		cl_fail(t, CL_ENOTSET);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
CL_BOUNDED_LOOPS(mtx_alloc_pair)

/* The thread's slice of fill+1 .. n, walked in order (as cl_claim_pair in
 * claims_rows.c); local[1] next, local[2] and local[3] the slice. */
static inline int64_t cl_slice_next(bench_thread_t *t, int64_t n, int64_t fill)
{
	if (t->local[3] == 0) {
		uint64_t len = (uint64_t)(n - fill) / t->nthreads;
		t->local[2] = (uint64_t)fill + 1 + t->tid * len;
		t->local[3] = t->local[2] + len - 1;
		t->local[1] = t->local[2];
	}
	int64_t v = (int64_t)t->local[1];
	t->local[1] = t->local[1] == t->local[3] ? t->local[2] : t->local[1] + 1;
	return v;
}

/* lock; set v's bit (it must be clear); unlock; lock; clear it; unlock. */
static inline bench_vals_t mtx_claim_pair(void *st, bench_thread_t *t)
{
	mtx_map_t *b = st;
	int64_t v = cl_slice_next(t, b->n, b->fill);
	if (mtx_lock(b, t) != 0)
		return (bench_vals_t){0, 0};
	bool ok = mtx_flip(b, v, true);
	pthread_mutex_unlock(&b->m);
	if (!ok) {
		cl_fail(t, CL_ESET);
		return (bench_vals_t){0, 0};
	}
	if (mtx_lock(b, t) != 0)
		return (bench_vals_t){0, 0};
	ok = mtx_flip(b, v, false);
	pthread_mutex_unlock(&b->m);
	if (!ok) {
		cl_fail(t, CL_ENOTSET);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
BENCH_OP_LOOPS(mtx_claim_pair)

/* -------------------------------------------------------------- ck_bitmap */

#define CKB_BITS ((unsigned)CK_BITMAP_BLOCK) /* bits per ck_bitmap block */

typedef struct ck_map {
	ck_bitmap_t *bm; /* bit v - 1 is number v */
	unsigned nblocks;
	int64_t n;
	int64_t fill;
} ck_map_t;

static void *ckb_setup(int64_t n)
{
	ck_map_t *b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	b->n = n;
	b->fill = cl_fill(n);
	b->nblocks = (unsigned)CK_BITMAP_BLOCKS((unsigned)n);
	b->bm = malloc(ck_bitmap_size((unsigned)n));
	if (!b->bm) {
		free(b);
		return NULL;
	}
	ck_bitmap_init(b->bm, (unsigned)n, false);
	/* 1 .. fill: whole blocks at once, then the rest bit by bit */
	unsigned *map = ck_bitmap_buffer(b->bm);
	unsigned full = (unsigned)((uint64_t)b->fill / CKB_BITS);
	memset(map, 0xff, (size_t)full * sizeof(unsigned));
	for (unsigned i = full * CKB_BITS; i < (unsigned)b->fill; i++)
		ck_bitmap_set(b->bm, i);
	return b;
}

static void ckb_teardown(void *st)
{
	ck_map_t *b = st;
	free(b->bm);
	free(b);
}

static int ckb_reserved(void *st, const bench_thread_t *threads, unsigned nthreads,
                        bench_range_t *out, unsigned max)
{
	ck_map_t *b = st;
	unsigned fill = (unsigned)b->fill;
	bool ok = ck_bitmap_count(b->bm, ck_bitmap_bits(b->bm)) == fill;
	/* count == fill and every one of 1 .. fill set: exactly those */
	const unsigned *map = ck_bitmap_buffer(b->bm);
	unsigned full = fill / CKB_BITS;
	for (unsigned i = 0; ok && i < full; i++)
		ok = ck_pr_load_uint(&map[i]) == UINT_MAX;
	for (unsigned i = full * CKB_BITS; ok && i < fill; i++)
		ok = ck_bitmap_test(b->bm, i);
	if (!ok) {
		(void)fprintf(stderr,
		              "\nclaims: ck_bitmap, N = %" PRId64 ": not 1 .. N/2 after the run\n",
		              b->n);
		return -1;
	}
	return cl_ticket_ranges(threads, nthreads, out, max);
}

/* ck_bitmap_bts on the first clear bit of the first block that has one,
 * from block 0; again from that block if another thread won the bit. */
static inline bench_vals_t ckb_alloc_pair(void *st, bench_thread_t *t)
{
	ck_map_t *b = st;
	unsigned *map = ck_bitmap_buffer(b->bm);
	unsigned i = 0, bit = 0;
	bool won = false;
	for (; i < b->nblocks && !won; i++) {
		unsigned x = ck_pr_load_uint(&map[i]);
		while (x != UINT_MAX) {
			bit = i * CKB_BITS + (unsigned)__builtin_ctz(~x);
			if (bit >= (unsigned)b->n)
				break;
			if (!ck_bitmap_bts(b->bm, bit)) {
				won = true;
				break;
			}
			x = ck_pr_load_uint(&map[i]);
		}
	}
	t->local[1] += i / 2 + 1; /* in 64-bit words, as the mutex row counts */
	if (!won) {
		cl_fail(t, CL_EFULL);
		return (bench_vals_t){0, 0};
	}
	int64_t v = (int64_t)bit + 1;
	if (!cl_lowest_ok(t, v, b->n, b->fill))
		return (bench_vals_t){0, 0};
	if (!ck_pr_btr_uint(CK_BITMAP_PTR(map, bit), CK_BITMAP_OFFSET(bit))) {
		cl_fail(t, CL_ENOTSET);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
CL_BOUNDED_LOOPS(ckb_alloc_pair)

/* ck_bitmap_bts(v) (must find it clear); ck_pr_btr_uint (must find it set). */
static inline bench_vals_t ckb_claim_pair(void *st, bench_thread_t *t)
{
	ck_map_t *b = st;
	unsigned bit = (unsigned)(cl_slice_next(t, b->n, b->fill) - 1);
	if (ck_bitmap_bts(b->bm, bit)) {
		cl_fail(t, CL_ESET);
		return (bench_vals_t){0, 0};
	}
	unsigned *map = ck_bitmap_buffer(b->bm);
	if (!ck_pr_btr_uint(CK_BITMAP_PTR(map, bit), CK_BITMAP_OFFSET(bit))) {
		cl_fail(t, CL_ENOTSET);
		return (bench_vals_t){0, 0};
	}
	return cl_ticket(t);
}
BENCH_OP_LOOPS(ckb_claim_pair)

/* ------------------------------------------------------------------ table */

#define CL_BASE_SETUPS(N, SUFFIX)                          \
	static void *mtx_setup_##SUFFIX(unsigned nthreads) \
	{                                                  \
		(void)nthreads;                            \
		return mtx_setup(N);                       \
	}                                                  \
	static void *ckb_setup_##SUFFIX(unsigned nthreads) \
	{                                                  \
		(void)nthreads;                            \
		return ckb_setup(N);                       \
	}

CL_BASE_SETUPS(CL_N_SMALL, 100)
CL_BASE_SETUPS(CL_N_MID, 1e6)
CL_BASE_SETUPS(CL_N_LARGE, 1e9)

#define CL_STATE_NOTE "; a fresh bitmap per run with 1 .. N/2 set; timed per pair"
#define CL_MTX_ALLOC_NOTE                                                                       \
	"mutex; linear scan from bit 0 for the lowest clear bit, set it; unlock; mutex; clear " \
	"it; unlock" CL_STATE_NOTE
#define CL_MTX_CLAIM_NOTE                                                                       \
	"mutex; set v's bit; unlock; mutex; clear it; unlock, v walking the thread's slice of " \
	"N/2+1 .. N" CL_STATE_NOTE
#define CL_CK_ALLOC_NOTE                                                                  \
	"scan of the ck_bitmap blocks from block 0 for a clear bit, `ck_bitmap_bts` it; " \
	"`ck_pr_btr_uint` it back" CL_STATE_NOTE
#define CL_CK_CLAIM_NOTE                                                                       \
	"`ck_bitmap_bts(v)`; `ck_pr_btr_uint` it back, v walking the thread's slice of N/2+1 " \
	".. N" CL_STATE_NOTE

#define CL_BASE_ROW(NAME, LABEL, NOTE, SETUP, KIND, OP)                                     \
	{                                                                                   \
		.name = (NAME), .label = (LABEL), .note = (NOTE), .max_per_op = 1,          \
		.setup = (SETUP), .teardown = KIND##_teardown, .reserved = KIND##_reserved, \
		BENCH_LOOPS(OP)                                                             \
	}

static const bench_contender_t claims_baselines[] = {
	CL_BASE_ROW("cl-mtx-alloc-100", "mutex bitmap, scan: alloc+release, N = 100",
                    CL_MTX_ALLOC_NOTE, mtx_setup_100, mtx, mtx_alloc_pair),
	CL_BASE_ROW("cl-mtx-alloc-1e6", "mutex bitmap, scan: alloc+release, N = 10^6",
                    CL_MTX_ALLOC_NOTE, mtx_setup_1e6, mtx, mtx_alloc_pair),
	CL_BASE_ROW("cl-mtx-alloc-1e9", "mutex bitmap, scan: alloc+release, N = 10^9",
                    CL_MTX_ALLOC_NOTE, mtx_setup_1e9, mtx, mtx_alloc_pair),
	CL_BASE_ROW("cl-mtx-claim-100", "mutex bitmap: claim+release, N = 100", CL_MTX_CLAIM_NOTE,
                    mtx_setup_100, mtx, mtx_claim_pair),
	CL_BASE_ROW("cl-mtx-claim-1e6", "mutex bitmap: claim+release, N = 10^6", CL_MTX_CLAIM_NOTE,
                    mtx_setup_1e6, mtx, mtx_claim_pair),
	CL_BASE_ROW("cl-mtx-claim-1e9", "mutex bitmap: claim+release, N = 10^9", CL_MTX_CLAIM_NOTE,
                    mtx_setup_1e9, mtx, mtx_claim_pair),
	CL_BASE_ROW("cl-ck-alloc-100", "ck_bitmap, scan: alloc+release, N = 100", CL_CK_ALLOC_NOTE,
                    ckb_setup_100, ckb, ckb_alloc_pair),
	CL_BASE_ROW("cl-ck-alloc-1e6", "ck_bitmap, scan: alloc+release, N = 10^6", CL_CK_ALLOC_NOTE,
                    ckb_setup_1e6, ckb, ckb_alloc_pair),
	CL_BASE_ROW("cl-ck-alloc-1e9", "ck_bitmap, scan: alloc+release, N = 10^9", CL_CK_ALLOC_NOTE,
                    ckb_setup_1e9, ckb, ckb_alloc_pair),
	CL_BASE_ROW("cl-ck-claim-100", "ck_bitmap: claim+release, N = 100", CL_CK_CLAIM_NOTE,
                    ckb_setup_100, ckb, ckb_claim_pair),
	CL_BASE_ROW("cl-ck-claim-1e6", "ck_bitmap: claim+release, N = 10^6", CL_CK_CLAIM_NOTE,
                    ckb_setup_1e6, ckb, ckb_claim_pair),
	CL_BASE_ROW("cl-ck-claim-1e9", "ck_bitmap: claim+release, N = 10^9", CL_CK_CLAIM_NOTE,
                    ckb_setup_1e9, ckb, ckb_claim_pair),
	{.name = NULL},
};

const bench_group_t bench_group_claims_baselines = {"claims baselines", claims_baselines};
