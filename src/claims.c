/*
 * claims.c - a sequence's claimed-number bitmap and its allocation
 * policies: SEQUENCE (the core counter, marking what it hands out),
 * LOWEST_FREE (gapless, like Linux IDA) and CYCLIC (like Linux PIDs).
 *
 * The bitmap itself (claimmap.c) knows positions only; this module maps
 * numbers onto positions, keeps the policies' own state (the CYCLIC
 * cursor, the LOWEST_FREE floor, last_value for read()), and implements
 * the public claim / release / is_claimed / stats / iteration calls.
 *
 * Why no number is handed out twice: every path that hands out or claims
 * a number does so only after winning its bit with one fetch_or that saw
 * it clear (numseq__cmap_set / numseq__cmap_take_first), and a bit is
 * cleared only by the one fetch_and that saw it set (numseq_release).
 * The policies only choose which bit to try; they never decide ownership.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "claimmap.h"
#include "journal.h"
#include "numseq_internal.h"

struct numseq__claims {
	struct numseq__cmap map; /* first: its counter stripes are line-aligned */

	/* CYCLIC: lap * (capacity + 1) + position of the next candidate, 0 ..
	 * capacity (capacity: at the end, the next call wraps).  Only grows:
	 * nextval moves it by CAS-max, setval / RESTART two laps ahead
	 * (cyclic_move).  lastword: (position << 1) | is_called of the last
	 * number handed out or set, for read(); LOWEST_FREE uses it too.
	 * These four are written by nextval under every policy but SEQUENCE,
	 * which writes only `skipped` (rarely): one line. */
	alignas(64) _Atomic uint64_t cursor;
	_Atomic uint64_t lastword;
	_Atomic uint64_t skipped; /* SEQUENCE: claimed numbers stepped over */
	_Atomic uint64_t wraps;   /* LOWEST_FREE / CYCLIC: searches that wrapped */

	/* Read-mostly, on a line of their own (nextval writes the line above).
	 * floor and cycle change only under the sequence's writer mutex
	 * (alter); nextval reads them relaxed: a nextval racing with an ALTER
	 * may use either the old or the new value, and is then ordered before
	 * or after it. */
	alignas(64) _Atomic uint64_t floor; /* LOWEST_FREE: position of START */
	_Atomic bool cycle;                 /* LOWEST_FREE: wrap to the range's start */

	struct numseq__claims_geom g;
	uint64_t step;             /* |INCREMENT| */
	struct numseq__journal *j; /* numseq_open's journal, or NULL */
};

numseq_claims_t numseq__claims_policy(const struct numseq__claims *c)
{
	return c->g.policy;
}

/* ------------------------------------------------------------ geometry */

static inline int64_t u2i(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static uint64_t step_of(int64_t inc)
{
	return inc > 0 ? (uint64_t)inc : (uint64_t)0 - (uint64_t)inc;
}

/* 0 and *pos, NUMSEQ_ERANGE or NUMSEQ_EGRID (no message). */
static int pos_of(const struct numseq__claims_geom *g, uint64_t step, int64_t v, uint64_t *pos)
{
	uint64_t d;
	if (v < g->min || v > g->max)
		return NUMSEQ_ERANGE;
	d = g->inc > 0 ? (uint64_t)v - (uint64_t)g->min : (uint64_t)g->max - (uint64_t)v;
	if (step == 1) { /* the common case, without a 64-bit division */
		*pos = d;
		return NUMSEQ_OK;
	}
	if (d % step != 0)
		return NUMSEQ_EGRID;
	*pos = d / step;
	return NUMSEQ_OK;
}

static int64_t num_of(const struct numseq__claims *c, uint64_t pos)
{
	uint64_t d = pos * c->step;
	return c->g.inc > 0 ? u2i((uint64_t)c->g.min + d) : u2i((uint64_t)c->g.max - d);
}

/* pos_of with the error message of fn. */
static int pos_or_fail(const struct numseq__claims *c, const char *fn, int64_t v, uint64_t *pos,
                       numseq_error_t *err)
{
	int rc = pos_of(&c->g, c->step, v, pos);
	if (rc == NUMSEQ_ERANGE)
		return numseq__fail(
			err, rc, NUMSEQ__SQLSTATE_RANGE,
			"%s: value %lld is out of bounds for sequence \"%s\" (%lld..%lld)", fn,
			(long long)v, c->g.name, (long long)c->g.min, (long long)c->g.max);
	if (rc == NUMSEQ_EGRID)
		return numseq__fail(err, rc, NUMSEQ__SQLSTATE_PARAM,
		                    "%s: value %lld is not a number of sequence \"%s\" "
		                    "(%lld %s k * %llu)",
		                    fn, (long long)v, c->g.name,
		                    (long long)(c->g.inc > 0 ? c->g.min : c->g.max),
		                    c->g.inc > 0 ? "+" : "-", (unsigned long long)c->step);
	return rc;
}

static int grid_fail(numseq_error_t *err, const char *what, int64_t v, int64_t anchor, int64_t inc)
{
	return numseq__fail(err, NUMSEQ_EGRID, NUMSEQ__SQLSTATE_PARAM,
	                    "%s value (%lld) is not on the grid of the claimed-number bitmap "
	                    "(%lld %s k * %llu)",
	                    what, (long long)v, (long long)anchor, inc > 0 ? "+" : "-",
	                    (unsigned long long)step_of(inc));
}

static const char *policy_name(numseq_claims_t p)
{
	return p == NUMSEQ_CLAIMS_SEQUENCE      ? "SEQUENCE"
	       : p == NUMSEQ_CLAIMS_LOWEST_FREE ? "LOWEST_FREE"
	       : p == NUMSEQ_CLAIMS_CYCLIC      ? "CYCLIC"
	                                        : "NONE";
}

/* ------------------------------------------------------------ lifecycle */

int numseq__claims_check(const numseq_options_t *o, int64_t start, int64_t inc, int64_t min,
                         int64_t max, int64_t cache, int64_t last, struct numseq__claims_geom *g,
                         numseq_error_t *err)
{
	uint64_t step = step_of(inc), span, pos;
	int64_t anchor = inc > 0 ? min : max;

	memset(g, 0, sizeof *g);
	if (!(o->set & NUMSEQ_OPT_CLAIMS))
		return NUMSEQ_OK;
	if ((unsigned)o->claims > (unsigned)NUMSEQ_CLAIMS_CYCLIC)
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_PARAM,
		                    "unknown claims policy %d", (int)o->claims);
	if ((o->claims_flags & ~(unsigned)NUMSEQ_CLAIMS_F_CONFLICT) != 0)
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_PARAM,
		                    "unknown claims flags 0x%x",
		                    o->claims_flags & ~(unsigned)NUMSEQ_CLAIMS_F_CONFLICT);
	if ((o->claims_flags & NUMSEQ_CLAIMS_F_CONFLICT) && o->claims != NUMSEQ_CLAIMS_SEQUENCE)
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_PARAM,
		                    "NUMSEQ_CLAIMS_F_CONFLICT applies to the SEQUENCE policy only");
	if (o->claims == NUMSEQ_CLAIMS_NONE)
		return NUMSEQ_OK;

	span = (uint64_t)max - (uint64_t)min; /* min < max: checked before */
	if (span / step >= NUMSEQ_CLAIMS_MAX)
		return numseq__fail(err, NUMSEQ_ECLAIMSRANGE, NUMSEQ__SQLSTATE_PARAM,
		                    "a claimed-number bitmap covers at most %llu numbers; "
		                    "MINVALUE %lld .. MAXVALUE %lld by %llu is %s",
		                    (unsigned long long)NUMSEQ_CLAIMS_MAX, (long long)min,
		                    (long long)max, (unsigned long long)step,
		                    span / step == UINT64_MAX ? "2^64" : "more");
	g->policy = o->claims;
	g->flags = o->claims_flags;
	g->min = min;
	g->max = max;
	g->inc = inc;
	g->capacity = span / step + 1;
	if (pos_of(g, step, start, &pos) != NUMSEQ_OK)
		return grid_fail(err, "START", start, anchor, inc);
	if (pos_of(g, step, last, &pos) != NUMSEQ_OK)
		return grid_fail(err, "RESTART", last, anchor, inc);
	if (cache > 1 && g->policy != NUMSEQ_CLAIMS_SEQUENCE)
		return numseq__fail(err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
		                    "CACHE (%lld) must be 1 under the %s claims policy",
		                    (long long)cache, policy_name(g->policy));
	return NUMSEQ_OK;
}

int numseq__claims_create(struct numseq__claims **out, const struct numseq__claims_geom *g,
                          int64_t start, int64_t last, bool called, bool cycle, numseq_error_t *err)
{
	struct numseq__claims *c;
	uint64_t spos = 0, lpos = 0, step = step_of(g->inc);

	*out = NULL;
	c = numseq__aligned_alloc(64, sizeof *c);
	if (c == NULL)
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	memset(c, 0, sizeof *c);
	c->g = *g;
	c->step = step;
	if (numseq__cmap_init(&c->map, g->capacity) != NUMSEQ_OK) {
		free(c);
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	}
	/* Both on the grid: numseq__claims_check. */
	(void)pos_of(g, step, start, &spos);
	(void)pos_of(g, step, last, &lpos);
	atomic_init(&c->floor, spos);
	atomic_init(&c->cycle, cycle);
	atomic_init(&c->cursor, lpos + (called ? 1u : 0u));
	atomic_init(&c->lastword, (lpos << 1) | (called ? 1u : 0u));
	atomic_init(&c->skipped, 0);
	atomic_init(&c->wraps, 0);
	*out = c;
	return NUMSEQ_OK;
}

void numseq__claims_destroy(struct numseq__claims *c)
{
	if (c == NULL)
		return;
	numseq__cmap_free(&c->map);
	free(c);
}

/* -------------------------------------------------------------- nextval */

static int journal_failed(const struct numseq__claims *c, const char *fn, numseq_error_t *err)
{
	return numseq__fail(err, NUMSEQ_EFAILED, NUMSEQ__SQLSTATE_STATE,
	                    "%s: the journal of sequence \"%s\" failed; reopen it", fn, c->g.name);
}

static int full_fail(const struct numseq__claims *c, numseq_error_t *err)
{
	return numseq__fail(err, NUMSEQ_EFULL, NUMSEQ__SQLSTATE_LIMIT,
	                    "nextval: no unclaimed value left in sequence \"%s\" (%lld..%lld)",
	                    c->g.name, (long long)c->g.min, (long long)c->g.max);
}

static int nomem_fail(numseq_error_t *err)
{
	return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
}

static int claimed_fail(const struct numseq__claims *c, int64_t v, numseq_error_t *err)
{
	return numseq__fail(err, NUMSEQ_ECLAIMED, NUMSEQ__SQLSTATE_UNIQUE,
	                    "duplicate key value violates unique constraint \"%s_claims\": "
	                    "Key (value)=(%lld) already exists.",
	                    c->g.name, (long long)v);
}

/* Whether the counters certify that every position was claimed at one
 * instant (numseq__cmap_counts). */
static bool certified_full(struct numseq__claims *c)
{
	uint64_t claims = 0, releases = 0;
	numseq__cmap_counts(&c->map, &claims, &releases);
	return claims >= releases && claims - releases >= c->g.capacity;
}

/* SEQUENCE: the core counter's next value, marked; a value already
 * claimed is stepped over (or, with F_CONFLICT, consumed and reported).
 * v: the value the caller already drew (sequence.c's fast path). */
int numseq__claims_mark(numseq_t *s, struct numseq__claims *c, struct numseq__sess_ent *se,
                        int64_t v, int64_t *out, numseq_error_t *err)
{
	uint64_t tries = 0, pos = 0;
	for (;;) {
		int rc;
		if (tries > 0 && (rc = numseq__draw(s, se, &v, err)) != NUMSEQ_OK)
			return rc;
		/* Every value the counter can produce is on the grid: START,
		 * RESTART and setval values are checked, CYCLE wraps to the
		 * anchor, and the range cannot be altered. */
		if (pos_of(&c->g, c->step, v, &pos) != NUMSEQ_OK)
			return numseq__fail(
				err, NUMSEQ_EGRID, NUMSEQ__SQLSTATE_PARAM,
				"nextval: value %lld of sequence \"%s\" is off its grid",
				(long long)v, c->g.name);
		rc = numseq__cmap_set(&c->map, pos);
		if (rc == 1) {
			*out = v;
			return NUMSEQ_OK;
		}
		if (rc < 0)
			return nomem_fail(err); /* v was consumed: a gap */
		/* relaxed: a statistic. */
		atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
		if (c->g.flags & NUMSEQ_CLAIMS_F_CONFLICT)
			return claimed_fail(c, v, err);
		/* CYCLE with every number claimed: certified by the counters,
		 * or after more draws than numbers.  (NO CYCLE goes on to the
		 * bound and PostgreSQL's error; the `cycle` copy follows ALTER.) */
		if (++tries > c->g.capacity ||
		    (tries == 1 && atomic_load_explicit(&c->cycle, memory_order_relaxed) &&
		     certified_full(c)))
			return full_fail(c, err);
	}
}

static int nextval_sequence(numseq_t *s, struct numseq__claims *c, struct numseq__sess_ent *se,
                            int64_t *out, numseq_error_t *err)
{
	int64_t v;
	int rc = numseq__draw(s, se, &v, err);
	return rc != NUMSEQ_OK ? rc : numseq__claims_mark(s, c, se, v, out, err);
}

/*
 * take_first(from), but "nothing free" only when it is true: a summary
 * bit set by a fix-up that has not re-checked yet can hide a free
 * position from the walk for as long as that fix-up's thread is
 * descheduled (claimmap.h).  So when the walk finds nothing, the answer is
 * believed only if the counters certify a full map (from = 0); otherwise
 * the leaves are scanned without the summaries.
 */
static int take_verified(struct numseq__claims *c, uint64_t from, uint64_t *pos)
{
	int rc = numseq__cmap_take_first(&c->map, from, pos);
	if (rc != 0 || (from == 0 && certified_full(c)))
		return rc;
	return numseq__cmap_take_scan(&c->map, from, pos);
}

static int nextval_lowest(struct numseq__claims *c, struct numseq__sess_ent *se, int64_t *out,
                          numseq_error_t *err)
{
	/* relaxed: see struct numseq__claims. */
	uint64_t from = atomic_load_explicit(&c->floor, memory_order_relaxed), pos = 0;
	int rc;
	if (from > 0 && atomic_load_explicit(&c->cycle, memory_order_relaxed)) {
		rc = numseq__cmap_take_first(&c->map, from, &pos);
		if (rc == 0) {
			rc = take_verified(c, 0, &pos);
			if (rc == 1)
				atomic_fetch_add_explicit(&c->wraps, 1, memory_order_relaxed);
		}
	} else {
		rc = take_verified(c, from, &pos);
	}
	if (rc < 0)
		return nomem_fail(err);
	if (rc == 0)
		return full_fail(c, err);
	/* relaxed: read() reports it, nothing is published through it. */
	atomic_store_explicit(&c->lastword, (pos << 1) | 1u, memory_order_relaxed);
	*out = num_of(c, pos);
	numseq__served(se, *out);
	return NUMSEQ_OK;
}

/*
 * CYCLIC: the first unclaimed position at or after the cursor, wrapping
 * once to position 0; then the cursor moves past it (monotonic max, so a
 * slow thread never moves it back).  Two threads that read the same
 * cursor race for the same bit; the loser's take_first goes on to the
 * next clear one.
 */
static int nextval_cyclic(struct numseq__claims *c, struct numseq__sess_ent *se, int64_t *out,
                          numseq_error_t *err)
{
	uint64_t cap = c->g.capacity, pos = 0, next, cur;
	/* relaxed: the cursor is a hint; ownership is the bitmap's. */
	uint64_t start = atomic_load_explicit(&c->cursor, memory_order_relaxed);
	uint64_t lap = start / (cap + 1), from = start % (cap + 1);
	bool wrapped = false;
	int rc = from < cap ? numseq__cmap_take_first(&c->map, from, &pos) : 0;
	if (rc == 0) {
		rc = take_verified(c, 0, &pos);
		lap++;
		wrapped = true;
	}
	if (rc < 0)
		return nomem_fail(err);
	if (rc == 0)
		return full_fail(c, err);
	next = lap * (cap + 1) + pos + 1;
	cur = start;
	while (cur < next &&
	       !atomic_compare_exchange_weak_explicit(&c->cursor, &cur, next, memory_order_relaxed,
	                                              memory_order_relaxed))
		;
	/* The one CAS that moved the cursor into lap `lap` counts the wrap
	 * (the cursor only grows, so exactly one can). */
	if (wrapped && cur < next && cur / (cap + 1) < lap)
		atomic_fetch_add_explicit(&c->wraps, 1, memory_order_relaxed);
	atomic_store_explicit(&c->lastword, (pos << 1) | 1u, memory_order_relaxed);
	*out = num_of(c, pos);
	numseq__served(se, *out);
	return NUMSEQ_OK;
}

int numseq__claims_nextval(numseq_t *s, struct numseq__claims *c, struct numseq__sess_ent *se,
                           int64_t *out, numseq_error_t *err)
{
	uint64_t lsn;
	int rc;
	if (c->g.policy == NUMSEQ_CLAIMS_SEQUENCE)
		return nextval_sequence(s, c, se, out, err);
	if (c->j == NULL)
		return c->g.policy == NUMSEQ_CLAIMS_LOWEST_FREE ? nextval_lowest(c, se, out, err)
		                                                : nextval_cyclic(c, se, out, err);
	/* Journal: the number taken is a claim.  Its CLAIM record is appended
	 * right after the take, under the compaction lock, and is durable
	 * (group commit) before nextval returns it. */
	numseq__j_claim_begin(c->j);
	rc = c->g.policy == NUMSEQ_CLAIMS_LOWEST_FREE ? nextval_lowest(c, se, out, err)
	                                              : nextval_cyclic(c, se, out, err);
	lsn = rc == NUMSEQ_OK ? numseq__j_claim_log(c->j, *out, true) : 0;
	numseq__j_claim_end(c->j);
	if (rc != NUMSEQ_OK)
		return rc;
	if (lsn == 0)
		return journal_failed(c, "nextval", err);
	return numseq__j_sync(c->j, lsn, err);
}

/* -------------------------------------------------------- writer hooks */

/*
 * CYCLIC setval / RESTART: the cursor goes to position `to` two laps
 * ahead of the lap it is in.  A nextval that read the cursor before this
 * can only move it to at most one lap ahead of that (its CAS-max), so the
 * move is never undone by a nextval in flight; wraps are counted apart.
 * (The lap field has room for 2^64 / (capacity + 1) laps: 2^28 setvals on
 * a 2^36-number map.)
 */
static void cyclic_move(struct numseq__claims *c, uint64_t to)
{
	uint64_t span = c->g.capacity + 1;
	/* relaxed: the cursor is a hint; ownership is the bitmap's. */
	uint64_t cur = atomic_load_explicit(&c->cursor, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&c->cursor, &cur,
	                                              (cur / span + 2u) * span + to,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

int numseq__claims_setval(struct numseq__claims *c, int64_t v, bool is_called, numseq_error_t *err)
{
	uint64_t pos = 0;
	int rc;
	if (c->g.policy == NUMSEQ_CLAIMS_LOWEST_FREE)
		return numseq__fail(err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
		                    "setval: not available for sequence \"%s\": its claims policy "
		                    "LOWEST_FREE always hands out the lowest unclaimed number",
		                    c->g.name);
	rc = pos_or_fail(c, "setval", v, &pos, err);
	if (rc != NUMSEQ_OK || c->g.policy == NUMSEQ_CLAIMS_SEQUENCE)
		return rc;
	cyclic_move(c, pos + (is_called ? 1u : 0u));
	atomic_store_explicit(&c->lastword, (pos << 1) | (is_called ? 1u : 0u),
	                      memory_order_relaxed);
	return 1;
}

int numseq__claims_alter(struct numseq__claims *c, bool apply, bool restart, int64_t start,
                         int64_t inc, int64_t min, int64_t max, int64_t cache, bool cycle,
                         int64_t last, bool called, numseq_error_t *err)
{
	uint64_t spos = 0, lpos = 0;
	int64_t anchor = c->g.inc > 0 ? c->g.min : c->g.max;
	if (!apply) {
		if (inc != c->g.inc || min != c->g.min || max != c->g.max)
			return numseq__fail(
				err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
				"ALTER SEQUENCE \"%s\": INCREMENT, MINVALUE and MAXVALUE of a "
				"sequence with a claimed-number bitmap are fixed at creation",
				c->g.name);
		if (cache > 1 && c->g.policy != NUMSEQ_CLAIMS_SEQUENCE)
			return numseq__fail(err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
			                    "CACHE (%lld) must be 1 under the %s claims policy",
			                    (long long)cache, policy_name(c->g.policy));
		if (restart && c->g.policy == NUMSEQ_CLAIMS_LOWEST_FREE)
			return numseq__fail(
				err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
				"RESTART: not available for sequence \"%s\": its claims "
				"policy LOWEST_FREE always hands out the lowest "
				"unclaimed number",
				c->g.name);
		if (pos_of(&c->g, c->step, start, &spos) != NUMSEQ_OK)
			return grid_fail(err, "START", start, anchor, c->g.inc);
		if (pos_of(&c->g, c->step, last, &lpos) != NUMSEQ_OK)
			return grid_fail(err, "RESTART", last, anchor, c->g.inc);
		return NUMSEQ_OK;
	}
	(void)pos_of(&c->g, c->step, start, &spos);
	(void)pos_of(&c->g, c->step, last, &lpos);
	/* relaxed: see struct numseq__claims. */
	atomic_store_explicit(&c->floor, spos, memory_order_relaxed);
	atomic_store_explicit(&c->cycle, cycle, memory_order_relaxed);
	if (restart && c->g.policy == NUMSEQ_CLAIMS_CYCLIC) {
		cyclic_move(c, lpos + (called ? 1u : 0u));
		atomic_store_explicit(&c->lastword, (lpos << 1) | (called ? 1u : 0u),
		                      memory_order_relaxed);
	}
	return NUMSEQ_OK;
}

bool numseq__claims_read(struct numseq__claims *c, int64_t *last, bool *called)
{
	uint64_t w;
	if (c->g.policy == NUMSEQ_CLAIMS_SEQUENCE)
		return false;
	w = atomic_load_explicit(&c->lastword, memory_order_relaxed);
	*last = num_of(c, w >> 1);
	*called = (w & 1u) != 0;
	return true;
}

void numseq__claims_options(const struct numseq__claims *c, numseq_options_t *out)
{
	out->claims = c->g.policy;
	out->claims_flags = c->g.flags;
}

/* ---------------------------------------------------------- public API */

int numseq_claim(numseq_t *s, int64_t v, numseq_error_t *err)
{
	int rc = NUMSEQ_OK;
	uint64_t pos = 0;
	struct numseq__claims *c = numseq__claims_of(s, "claim", &rc, err);
	if (c == NULL)
		return rc;
	rc = pos_or_fail(c, "claim", v, &pos, err);
	if (rc != NUMSEQ_OK)
		return rc;
	if (c->j != NULL) {
		uint64_t lsn = 0;
		if (numseq__j_failed(c->j))
			return journal_failed(c, "claim", err);
		numseq__j_claim_begin(c->j);
		rc = numseq__cmap_set(&c->map, pos);
		if (rc == 1 && (lsn = numseq__j_claim_log(c->j, v, true)) == 0)
			(void)numseq__cmap_clear(&c->map, pos); /* never acknowledged */
		numseq__j_claim_end(c->j);
		if (rc == 1)
			return lsn == 0 ? journal_failed(c, "claim", err)
			                : numseq__j_sync(c->j, lsn, err);
		return rc == 0 ? claimed_fail(c, v, err) : nomem_fail(err);
	}
	rc = numseq__cmap_set(&c->map, pos);
	if (rc == 1)
		return NUMSEQ_OK;
	return rc == 0 ? claimed_fail(c, v, err) : nomem_fail(err);
}

int numseq_release(numseq_t *s, int64_t v, numseq_error_t *err)
{
	int rc = NUMSEQ_OK;
	uint64_t pos = 0;
	struct numseq__claims *c = numseq__claims_of(s, "release", &rc, err);
	if (c == NULL)
		return rc;
	rc = pos_or_fail(c, "release", v, &pos, err);
	if (rc != NUMSEQ_OK)
		return rc;
	if (c->j != NULL) {
		/* The RELEASE record goes before the clear, so that for any
		 * number the LSN order of its records follows its bit's changes
		 * (a reuse's CLAIM comes after this RELEASE). */
		uint64_t lsn = 0;
		if (numseq__j_failed(c->j))
			return journal_failed(c, "release", err);
		numseq__j_claim_begin(c->j);
		if (numseq__cmap_test(&c->map, pos) &&
		    (lsn = numseq__j_claim_log(c->j, v, false)) != 0)
			rc = numseq__cmap_clear(&c->map, pos);
		else
			rc = 0;
		numseq__j_claim_end(c->j);
		if (rc == 1)
			return numseq__j_sync(c->j, lsn, err);
		if (numseq__j_failed(c->j))
			return journal_failed(c, "release", err);
	} else if (numseq__cmap_clear(&c->map, pos) == 1) {
		return NUMSEQ_OK;
	}
	return numseq__fail(err, NUMSEQ_ENOTCLAIMED, NUMSEQ__SQLSTATE_STATE,
	                    "release: value %lld of sequence \"%s\" is not claimed", (long long)v,
	                    c->g.name);
}

int numseq_is_claimed(numseq_t *s, int64_t v, bool *out, numseq_error_t *err)
{
	int rc = NUMSEQ_OK;
	uint64_t pos = 0;
	struct numseq__claims *c = numseq__claims_of(s, "is_claimed", &rc, err);
	if (c == NULL)
		return rc;
	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "is_claimed: output pointer is NULL");
	rc = pos_or_fail(c, "is_claimed", v, &pos, err);
	if (rc != NUMSEQ_OK)
		return rc;
	*out = numseq__cmap_test(&c->map, pos);
	return NUMSEQ_OK;
}

int numseq_claim_stats(numseq_t *s, numseq_claim_stats_t *out)
{
	int rc = NUMSEQ_OK;
	uint64_t claims = 0, releases = 0, first = 0, last = 0;
	struct numseq__claims *c = numseq__claims_of(s, "claim_stats", &rc, NULL);
	if (c == NULL)
		return rc;
	if (out == NULL)
		return NUMSEQ_EINVAL;
	memset(out, 0, sizeof *out);
	out->policy = c->g.policy;
	out->capacity = c->g.capacity;
	numseq__cmap_counts(&c->map, &claims, &releases);
	out->issued = claims;
	out->released = releases;
	/* The two totals are read one after the other: under concurrency a
	 * release may be counted whose claim is not; never report that as a
	 * wrapped-around count. */
	out->claimed = claims >= releases ? claims - releases : 0;
	out->skipped = atomic_load_explicit(&c->skipped, memory_order_relaxed);
	out->wraps = atomic_load_explicit(&c->wraps, memory_order_relaxed);
	if (numseq__cmap_find_set(&c->map, 0, &first) == 1 &&
	    numseq__cmap_last_set(&c->map, &last) == 1) {
		/* Position order is the sequence's order: for a descending
		 * sequence the first position is the highest number. */
		out->has_claimed = true;
		out->min_claimed = c->g.inc > 0 ? num_of(c, first) : num_of(c, last);
		out->max_claimed = c->g.inc > 0 ? num_of(c, last) : num_of(c, first);
	}
	if (numseq__cmap_find_clear(&c->map, 0, &first) == 1) {
		out->has_free = true;
		out->first_free = num_of(c, first);
	}
	out->bytes = numseq__cmap_bytes(&c->map) + sizeof *c;
	return NUMSEQ_OK;
}

int numseq_claimed_next(numseq_t *s, uint64_t *cursor, int64_t *out)
{
	int rc = NUMSEQ_OK;
	uint64_t pos = 0;
	struct numseq__claims *c = numseq__claims_of(s, "claimed_next", &rc, NULL);
	if (c == NULL)
		return rc;
	if (cursor == NULL || out == NULL)
		return NUMSEQ_EINVAL;
	if (*cursor >= c->g.capacity || numseq__cmap_find_set(&c->map, *cursor, &pos) != 1) {
		*cursor = c->g.capacity;
		return NUMSEQ_ENOTFOUND;
	}
	*out = num_of(c, pos);
	*cursor = pos + 1;
	return NUMSEQ_OK;
}

/* ------------------------------------------------------------- journal */

void numseq__claims_set_journal(struct numseq__claims *c, struct numseq__journal *j)
{
	c->j = j;
}

int numseq__claims_replay(struct numseq__claims *c, int64_t first, uint64_t count, bool claimed)
{
	uint64_t pos = 0;
	if (count == 0 || pos_of(&c->g, c->step, first, &pos) != NUMSEQ_OK ||
	    count > c->g.capacity - pos)
		return NUMSEQ_ECORRUPT; /* a record outside this sequence's numbers */
	for (uint64_t i = 0; i < count; i++) {
		int rc = claimed ? numseq__cmap_set(&c->map, pos + i)
		                 : numseq__cmap_clear(&c->map, pos + i);
		if (rc < 0)
			return rc;
	}
	return NUMSEQ_OK;
}

int numseq__claims_next_run(struct numseq__claims *c, uint64_t *cursor, int64_t *first,
                            uint64_t *count)
{
	uint64_t p = 0, end = c->g.capacity;
	if (*cursor >= c->g.capacity || numseq__cmap_find_set(&c->map, *cursor, &p) != 1)
		return 0;
	if (numseq__cmap_find_clear(&c->map, p, &end) != 1)
		end = c->g.capacity;
	*first = num_of(c, p);
	*count = end - p;
	*cursor = end;
	return 1;
}
