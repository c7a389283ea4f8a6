/*
 * claims_rows.h - what the claimed-number bitmap rows (claims_rows.c, the
 * numseq rows; claims_baselines.c, a mutex-protected bitmap and
 * ck_bitmap) share: the range sizes, the pre-filled state, the tickets the
 * harness checks, and loops that bound the time of a slow op.
 *
 * The state every row starts from ("half claimed"): the range is 1 .. N
 * (MINVALUE 1 MAXVALUE N) and the numbers 1 .. N/2 are claimed by the
 * setup and stay claimed.  So a lowest-free search has N/2 claimed numbers
 * to get past, and a pair of calls must never hand out one of them.  The
 * numseq rows keep that state across the runs of a row (building it at
 * N = 10^9 takes seconds); every run leaves it as it found it, and the
 * check after each run says so.  In builds that are not optimized or run
 * under a sanitizer (the smoke tests), only the first 2^20 numbers are
 * claimed instead of N/2, so that building the state stays quick: timings
 * from such a build mean nothing anyway (the report says so).
 *
 * What the harness checks.  A pair (take a number, give it back) hands
 * the same numbers out again and again, legitimately, so the harness's
 * duplicate checks (harness.h) cannot see the numbers themselves.  Each
 * pair row instead reports one *ticket* per pair: thread i's k-th pair is
 * ((i + 1) << 40) + k, distinct by construction, so the harness's checks
 * count pairs and nothing more.  The real checks are the row's own:
 *   - every call's return code (a double handout shows up there: the
 *     second holder's release finds the bit clear, NUMSEQ_ENOTCLAIMED);
 *   - every number handed out lies in N/2 + 1 .. N (never a pre-filled
 *     one), and on one thread it is exactly the one the policy prescribes
 *     (lowest free: N/2 + 1 every time; SEQUENCE and CYCLIC: the previous
 *     one + 1, wrapping to N/2 + 1);
 *   - after each run (the harness's reserved() callback, after the
 *     threads joined): the bitmap holds exactly 1 .. N/2 again, and, for
 *     numseq, its counters agree with the pairs the threads counted.
 * A failed check fails the run like a duplicate does (exit status 2).
 */
#ifndef NUMSEQ_BENCH_CLAIMS_ROWS_H
#define NUMSEQ_BENCH_CLAIMS_ROWS_H

#include <stdint.h>
#include <time.h> /* clock_gettime: the includer defines _POSIX_C_SOURCE */

#include "harness.h"

/* The range sizes of the rows. */
#define CL_N_SMALL INT64_C(100)
#define CL_N_MID INT64_C(1000000)
#define CL_N_LARGE INT64_C(1000000000)

/* Builds where building the half-claimed state of 10^9 would dominate the
 * smoke test (see the top comment).  bench/CMakeLists.txt defines
 * NUMSEQ_BENCH_SANITIZED for sanitizers gcc does not announce (UBSan). */
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
	defined(NUMSEQ_BENCH_SANITIZED)
#define CL_FILL_MAX (INT64_C(1) << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CL_FILL_MAX (INT64_C(1) << 20)
#endif
#endif
#ifndef CL_FILL_MAX
#define CL_FILL_MAX INT64_MAX
#endif

/* Numbers 1 .. cl_fill(n) are claimed in the starting state. */
static inline int64_t cl_fill(int64_t n)
{
	return n / 2 < CL_FILL_MAX ? n / 2 : CL_FILL_MAX;
}

/* Error codes of the rows' own checks (t->first_error; numseq's codes are
 * negative, these positive). */
enum {
	CL_EOUTSIDE = 1001, /* a number outside fill+1 .. N was handed out */
	CL_EORDER = 1002,   /* one thread: not the number the policy prescribes */
	CL_EFULL = 1003,    /* a baseline found no clear bit */
	CL_ENOTSET = 1004,  /* a baseline released a bit that was clear */
	CL_ESET = 1005      /* a baseline claimed a bit that was set */
};

static inline void cl_fail(bench_thread_t *t, int code)
{
	t->errors++;
	t->first_error = t->first_error ? t->first_error : code;
}

/* ---------------------------------------------------------------- tickets */

static inline int64_t cl_ticket_base(unsigned tid)
{
	return (int64_t)(tid + 1) << 40;
}

/* The ticket of the pair just done; t->local[0] counts the pairs. */
static inline bench_vals_t cl_ticket(bench_thread_t *t)
{
	return (bench_vals_t){cl_ticket_base(t->tid) + (int64_t)++t->local[0], 1};
}

/* The tickets of a run: thread i's are base(i) + 1 .. base(i) + pairs. */
static inline int cl_ticket_ranges(const bench_thread_t *threads, unsigned nthreads,
                                   bench_range_t *out, unsigned max)
{
	if (nthreads > max)
		return -1;
	for (unsigned i = 0; i < nthreads; i++) {
		out[i].first = cl_ticket_base(i) + 1;
		out[i].last = cl_ticket_base(i) + (int64_t)threads[i].local[0];
	}
	return (int)nthreads;
}

static inline uint64_t cl_pairs(const bench_thread_t *threads, unsigned nthreads)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < nthreads; i++)
		n += threads[i].local[0];
	return n;
}

/* ------------------------------------------------------ bounded op loops */

static inline uint64_t cl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A linear scan of 10^9 bits takes milliseconds per op, and the harness
 * calls an op in batches of 512 before it looks at its stop flag: 5 s and
 * more per batch.  CL_BOUNDED_LOOPS(NAME) stamps out a run that returns
 * early, once CL_SLICE_NS have passed since it was called, and a record
 * (the harness's untimed verify pass) that stops after CL_RECORD_NS.  The
 * op adds the 64-bit words it scanned to t->local[1]; the clock is read
 * only once that reaches CL_CLOCK_WORDS (tens of microseconds of scanning),
 * so a cheap op pays nothing for the bound.  A run then lasts its duration
 * plus at most one slice plus one op, and ns/op stays the time of the ops
 * actually done (no idle op is counted). */
#define CL_SLICE_NS UINT64_C(10000000)   /* 10 ms */
#define CL_RECORD_NS UINT64_C(200000000) /* 200 ms */
#define CL_CLOCK_WORDS UINT64_C(65536)

#define CL_BOUNDED_LOOPS(NAME)                                                                  \
	static uint64_t NAME##_run(void *st, bench_thread_t *t, uint64_t nops)                  \
	{                                                                                       \
		bench_acc_t a = t->acc;                                                         \
		uint64_t before = a.count;                                                      \
		uint64_t t0 = cl_now_ns();                                                      \
		for (uint64_t i = 0; i < nops; i++) {                                           \
			bench_vals_t v = NAME(st, t);                                           \
			bench_acc_range(&a, v.first, v.count);                                  \
			if (t->local[1] >= CL_CLOCK_WORDS) {                                    \
				t->local[1] = 0;                                                \
				if (cl_now_ns() - t0 >= CL_SLICE_NS)                            \
					break;                                                  \
			}                                                                       \
		}                                                                               \
		t->acc = a;                                                                     \
		return a.count - before;                                                        \
	}                                                                                       \
	static uint64_t NAME##_record(void *st, bench_thread_t *t, int64_t *buf, uint64_t want) \
	{                                                                                       \
		uint64_t n = 0;                                                                 \
		uint64_t t0 = cl_now_ns();                                                      \
		while (n < want) {                                                              \
			bench_vals_t v = NAME(st, t);                                           \
			bench_acc_range(&t->acc, v.first, v.count);                             \
			if (v.count == 0)                                                       \
				break; /* failed: counted in t->errors */                       \
			buf[n++] = v.first;                                                     \
			if (t->local[1] >= CL_CLOCK_WORDS) {                                    \
				t->local[1] = 0;                                                \
				if (cl_now_ns() - t0 >= CL_RECORD_NS)                           \
					break;                                                  \
			}                                                                       \
		}                                                                               \
		return n;                                                                       \
	}

#endif
