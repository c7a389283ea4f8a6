/*
 * harness.h - numseq's benchmark harness: a table of named contenders, a
 * runner that starts T threads together and times them, and the checks
 * that every contender handed out distinct numbers in the same run.
 *
 * A contender is something that hands out numbers: numseq_nextval, a bare
 * fetch_add, a mutex counter ...  It supplies
 *   - setup / teardown: fresh shared state for one run (one counter, one
 *     sequence) and its release;
 *   - an op: a static inline function returning the numbers one call
 *     handed out (a run of `count` consecutive values from `first`);
 *     BENCH_OP_LOOPS(name) stamps out from it the two loops the runner
 *     calls, so that the op is inlined into them and costs no indirect
 *     call per number;
 *   - reserved: the range(s) of numbers the shared state gave away in the
 *     run (for a counter: 1 .. its final value), which the check compares
 *     with what the threads saw.
 * Adding a row is: an op, BENCH_OP_LOOPS(op), one table entry
 * (see baselines.c).  Rows are grouped per file; main.c lists the groups.
 *
 * "op" in the results means one number handed out: a contender whose call
 * returns a block of 64 is reported per number, not per call.
 *
 * Checks (see check_run in harness.c; every run, timed or not):
 *   - timed runs fold every number a thread sees into a fingerprint
 *     (count, sum mod 2^64, xor, min, max).  The fingerprints of all
 *     threads, plus the unused tail of each thread's last reserved block
 *     for caching contenders, must equal the fingerprint of the reserved
 *     range(s) exactly.  N distinct numbers filling a range of N have this
 *     fingerprint; a duplicate must be offset by a missing number that
 *     matches it in both sum and xor to go unseen.  This is a strong check,
 *     not a proof.
 *   - one untimed verify pass per contender and thread count records every
 *     number (a fixed count per thread, threads running concurrently),
 *     sorts them and checks that none repeats and all lie in the reserved
 *     range(s): an exact check, on fewer numbers.
 */
#ifndef NUMSEQ_BENCH_HARNESS_H
#define NUMSEQ_BENCH_HARNESS_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one op handed out: first, first+1, ..., count numbers (count 0 when
 * the op failed; the op then counts the error in the thread). */
typedef struct bench_vals {
	int64_t first;
	uint64_t count;
} bench_vals_t;

/* Fingerprint of a set of numbers (see the top comment).  Numbers are
 * taken as uint64_t; every contender hands out positive ones. */
typedef struct bench_acc {
	uint64_t count;
	uint64_t sum;
	uint64_t xr;
	uint64_t min;
	uint64_t max;
} bench_acc_t;

/* A closed range of numbers [first, last]; empty when first > last. */
typedef struct bench_range {
	int64_t first;
	int64_t last;
} bench_range_t;

/* One thread's view, handed to the contender's op.  Own cache line. */
typedef struct bench_thread {
	alignas(64) bench_acc_t acc;
	unsigned tid; /* 0 .. nthreads-1 */
	unsigned nthreads;
	uint64_t errors;   /* ops that returned an error */
	int first_error;   /* the first error code seen (contender's meaning) */
	uint64_t local[4]; /* contender's per-thread scratch, zeroed per run */
} bench_thread_t;

typedef struct bench_contender {
	const char *name;    /* id for --filter, CSV and targets: "faa-inline" */
	const char *label;   /* row label in the tables */
	const char *note;    /* one line for the docs: what exactly one op does */
	uint64_t max_per_op; /* most numbers one op hands out (1 or the block) */
	/* Size of the block a thread reserves and then hands out one by one
	 * (CACHE 64: 64).  The unused tail of each thread's last block is a
	 * legitimate gap; the check accounts for it assuming blocks are aligned
	 * on the start of the single reserved range, as PostgreSQL's CACHE
	 * makes them.  0 or 1: no gaps allowed. */
	uint64_t gap_block;
	/* Fresh shared state for one run of nthreads threads; NULL on error. */
	void *(*setup)(unsigned nthreads);
	void (*teardown)(void *st);
	/* After the threads joined: the ranges the state reserved in this run.
	 * Returns how many (<= max), or -1 on error. */
	int (*reserved)(void *st, const bench_thread_t *threads, unsigned nthreads,
	                bench_range_t *out, unsigned max);
	/* From BENCH_OP_LOOPS: nops ops folded into t->acc; returns numbers. */
	uint64_t (*run)(void *st, bench_thread_t *t, uint64_t nops);
	/* From BENCH_OP_LOOPS: ops until at least `want` numbers are stored in
	 * buf (room for want + max_per_op - 1); returns numbers stored. */
	uint64_t (*record)(void *st, bench_thread_t *t, int64_t *buf, uint64_t want);
} bench_contender_t;

/* A group of rows, one per source file; the array ends with name NULL. */
typedef struct bench_group {
	const char *name;
	const bench_contender_t *contenders;
} bench_group_t;

/* --------------------------------------------------------- fingerprints */

/* xor of 0..x */
static inline uint64_t bench_xor_upto(uint64_t x)
{
	switch (x & 3u) {
	case 0: return x;
	case 1: return 1;
	case 2: return x + 1;
	default: return 0;
	}
}

/* Folds first .. first+count-1 into a.  With count a constant 1 (every
 * single-number op, once inlined) this is four ALU operations. */
static inline void bench_acc_range(bench_acc_t *a, int64_t first, uint64_t count)
{
	uint64_t f = (uint64_t)first;

	if (count == 1) {
		/* Keeps the value in a register and opaque to the optimizer: a
		 * loop of trivial ops (the thread-local floor) must not be folded
		 * into a closed form or vectorized.  No instruction is emitted. */
		__asm__ volatile("" : "+r"(f));
		a->count += 1;
		a->sum += f;
		a->xr ^= f;
		a->min = f < a->min ? f : a->min;
		a->max = f > a->max ? f : a->max;
		return;
	}
	if (count == 0)
		return;
	uint64_t l = f + count - 1;
	/* count*(count-1)/2 without overflowing before the halving */
	uint64_t tri = (count & 1u) ? count * ((count - 1) / 2) : (count / 2) * (count - 1);
	a->count += count;
	a->sum += count * f + tri;
	a->xr ^= bench_xor_upto(l) ^ (f ? bench_xor_upto(f - 1) : 0);
	a->min = f < a->min ? f : a->min;
	a->max = l > a->max ? l : a->max;
}

static inline void bench_acc_init(bench_acc_t *a)
{
	a->count = a->sum = a->xr = a->max = 0;
	a->min = UINT64_MAX;
}

/* ---------------------------------------------------------------- loops */

/* Given `static inline bench_vals_t NAME(void *st, bench_thread_t *t)`,
 * defines NAME_run and NAME_record for the contender table.  The
 * fingerprint lives in a local while the loop runs, so its updates stay in
 * registers. */
#define BENCH_OP_LOOPS(NAME)                                                                    \
	static uint64_t NAME##_run(void *st, bench_thread_t *t, uint64_t nops)                  \
	{                                                                                       \
		bench_acc_t a = t->acc;                                                         \
		uint64_t before = a.count;                                                      \
		for (uint64_t i = 0; i < nops; i++) {                                           \
			bench_vals_t v = NAME(st, t);                                           \
			bench_acc_range(&a, v.first, v.count);                                  \
		}                                                                               \
		t->acc = a;                                                                     \
		return a.count - before;                                                        \
	}                                                                                       \
	static uint64_t NAME##_record(void *st, bench_thread_t *t, int64_t *buf, uint64_t want) \
	{                                                                                       \
		uint64_t n = 0;                                                                 \
		uint64_t idle = 0;                                                              \
		while (n < want && idle < 1000) {                                               \
			bench_vals_t v = NAME(st, t);                                           \
			bench_acc_range(&t->acc, v.first, v.count);                             \
			idle = v.count ? 0 : idle + 1;                                          \
			for (uint64_t k = 0; k < v.count; k++)                                  \
				buf[n++] = v.first + (int64_t)k;                                \
		}                                                                               \
		return n;                                                                       \
	}

/* The two table fields BENCH_OP_LOOPS(NAME) defined. */
#define BENCH_LOOPS(NAME) .run = NAME##_run, .record = NAME##_record

/* For non-inlined helpers (baseline_calls.c): a real call, whatever the
 * optimizer would like; gcc's noipa also stops it from propagating facts
 * about the callee into the caller. */
#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline, noipa))
#else
#define BENCH_NOINLINE __attribute__((noinline))
#endif

/* ---------------------------------------------------------------- runner */

typedef struct bench_config {
	unsigned threads[16];
	unsigned nthreads_list;
	unsigned runs;             /* timed runs per contender and thread count */
	unsigned warmup;           /* untimed runs before them */
	unsigned ms;               /* duration of one run */
	uint64_t verify_values;    /* numbers per thread in the verify pass; 0: off */
	bool pin;                  /* pin thread i to allowed CPU i mod n */
	unsigned retry_busy;       /* redo a run whose threads got < 90% of their
	                         * CPU share, at most this many times */
	const char *filter;        /* comma-separated substrings, NULL = all */
	const char *csv;           /* raw per-run results, NULL = none */
	const char *markdown;      /* method, tables and targets, NULL = none */
	const char *ns_baseline;   /* row the 1-thread ns/op are divided by */
	const char *mops_baseline; /* row the Mops/s are divided by, per T */
} bench_config_t;

/* A target from the issue: metric of contender `num` at `num_threads`
 * against the same metric of `den` at `den_threads`. */
typedef enum bench_metric {
	BENCH_NS_RATIO_MAX,  /* ns/op(num) / ns/op(den) <= bound */
	BENCH_MOPS_RATIO_MIN /* Mops/s(num) / Mops/s(den) >= bound */
} bench_metric_t;

typedef struct bench_target {
	const char *what;
	const char *num;
	unsigned num_threads;
	const char *den;
	unsigned den_threads;
	bench_metric_t metric;
	double bound;
	bool informational; /* shown with its ratio, never PASS/MISS */
} bench_target_t;

/* Runs every selected contender of the groups (array ends with NULL) and
 * reports.  Returns 0, 1 on a setup error, 2 when a check failed. */
int bench_main(const bench_config_t *cfg, const bench_group_t *const *groups,
               const bench_target_t *targets, size_t ntargets);

/* Lists the contenders (name, label, note). */
void bench_list(const bench_group_t *const *groups);

/* Runs `ops` ops of one contender on the calling thread, no timing: for
 * valgrind --tool=callgrind.  Returns 0, or 1 if no such contender. */
int bench_profile(const bench_group_t *const *groups, const char *name, uint64_t ops);

#endif
