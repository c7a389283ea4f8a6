/*
 * baselines.h - the shared counter used by the reference rows, and the
 * non-inlined calls defined in baseline_calls.c.
 */
#ifndef NUMSEQ_BENCH_BASELINES_H
#define NUMSEQ_BENCH_BASELINES_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

/* A counter alone on its cache line.  It holds how many numbers were
 * handed out or reserved; a number is the old value + 1, so they run
 * 1, 2, 3 ... like a fresh sequence. */
typedef struct bench_counter {
	alignas(64) _Atomic uint64_t n;
	char pad[64 - sizeof(uint64_t)];
} bench_counter_t;

/* One relaxed fetch_add behind a real call.  Same shape as
 * numseq_nextval(s, &out, err): pointer in, value through an out-parameter,
 * int status, unused error pointer; so the difference between the two rows
 * is what nextval does beyond the call and the one atomic. */
int bench_faa_call(bench_counter_t *c, int64_t *out, void *err);

/* A plain per-thread block of 64 behind a real call: the thread's block
 * lives in _Thread_local storage (as a library without a thread handle
 * must keep it), refilled by one relaxed fetch_add of 64 on the shared
 * counter.  No bounds, no increment, no CYCLE: the "12x" reference. */
int bench_block64_call(bench_counter_t *c, int64_t *out, void *err);

#define BENCH_BLOCK64 64u

#endif
