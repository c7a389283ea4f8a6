/*
 * baseline_calls.c - the reference rows' non-inlined functions.  Kept in a
 * translation unit of their own so that, without LTO, the caller cannot
 * see their bodies at all; BENCH_NOINLINE covers an LTO build.
 */
#include "baselines.h"

#include <stddef.h>

#include "harness.h"

BENCH_NOINLINE int bench_faa_call(bench_counter_t *c, int64_t *out, void *err)
{
	(void)err;
	/* relaxed: the number is the whole result; callers order nothing by it */
	*out = (int64_t)(atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed) + 1);
	return 0;
}

/* The calling thread's block [next, end) of numbers from `owner`.  The
 * owner check lets one thread use two counters one after the other (the
 * bench never does; a library would have to). */
static _Thread_local struct {
	bench_counter_t *owner;
	uint64_t next;
	uint64_t end;
} block64_tls;

BENCH_NOINLINE int bench_block64_call(bench_counter_t *c, int64_t *out, void *err)
{
	(void)err;
	if (block64_tls.owner != c || block64_tls.next == block64_tls.end) {
		/* relaxed: as above; the block is the thread's alone afterwards */
		uint64_t f = atomic_fetch_add_explicit(&c->n, BENCH_BLOCK64, memory_order_relaxed);
		block64_tls.owner = c;
		block64_tls.next = f + 1;
		block64_tls.end = f + 1 + BENCH_BLOCK64;
	}
	*out = (int64_t)block64_tls.next++;
	return 0;
}
