/*
 * sequence.c - the sequence: PostgreSQL's rules over a lock-free ticket.
 *
 * Design in one paragraph (the full argument is in docs/design.md):
 * between two writer operations (setval, restart, alter, rebase) the
 * sequence is an *epoch*: a pure function from a ticket number t = 0, 1, 2 …
 * to the t-th value nextval returns, fixed by the epoch's starting state
 * (last_value, is_called) and parameters.  The hot word `word` holds
 * (tag, t): the low 20 bits of the epoch number and the next ticket.
 * nextval is one fetch_add on that word; the ticket it gets is its
 * linearization point and names its value.  The epoch's description lives
 * in one of NSLOT type-stable slots, read with a seqlock-style check before
 * and after the fetch_add.  A writer prepares the next slot, then switches
 * the word to (next tag, 0) with one atomic exchange or CAS, so a ticket
 * belongs to exactly one epoch and no ticket is served twice.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ck_backoff.h>

#include "jformat.h"
#include "journal.h"
#include "numseq_internal.h"
#include "numseq_test.h"

/* ------------------------------------------------------------- layout */

#define NSLOT 16u /* epochs kept readable; divides 2^TAG_BITS */
#define NPOS 256u /* continuation positions kept; divides 2^TAG_BITS */
#define TAG_BITS 20u
#define TICKET_BITS 44u
#define TAG_MASK ((UINT64_C(1) << TAG_BITS) - 1)
#define TICKET_MASK ((UINT64_C(1) << TICKET_BITS) - 1)
#define REBASE_DEFAULT (UINT64_C(1) << 43) /* half the ticket space: headroom */
#define COUNT_CAP (UINT64_C(1) << 62)      /* "more tickets than can ever be taken" */
#define SLOT_BUSY UINT64_MAX               /* slot gen while a writer rewrites it */
#define SLOT_PENDING (UINT64_MAX - 1)      /* slot gen of an ALTER epoch not yet computed */
#define NUMSEQ_MAGIC 0x6e756d73u           /* "nums" */
#define NUMSEQ_MAGIC_SLOW 0x6e756d63u      /* "numc": a bitmap or a journal: no hot path */
#define NAME_MAX_LEN 63

#define F_CYCLE 1u
#define F_ASC 2u

static_assert(NSLOT > 0 && ((TAG_MASK + 1) % NSLOT) == 0, "slot index must follow the tag");
static_assert(NPOS >= NSLOT && ((TAG_MASK + 1) % NPOS) == 0, "position index must follow the tag");
static_assert(TAG_BITS + TICKET_BITS == 64, "word layout");

static inline uint64_t word_make(uint64_t gen, uint64_t t)
{
	return ((gen & TAG_MASK) << TICKET_BITS) | t;
}
static inline uint64_t word_tag(uint64_t w)
{
	return w >> TICKET_BITS;
}
static inline uint64_t word_ticket(uint64_t w)
{
	return w & TICKET_MASK;
}

/* Converts modulo 2^64 without implementation-defined behaviour. */
static inline int64_t u2i(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? (int64_t)u
	                                : (int64_t)(u - (uint64_t)INT64_MAX - 1u) + INT64_MIN;
}

/* Parameters as PostgreSQL's pg_sequence row holds them. */
struct params {
	int64_t start, inc, min, max, cache;
	numseq_type_t type;
	bool cycle;
};

/* An epoch, computed by a writer in private memory, then copied into a slot. */
struct epoch {
	int64_t first; /* value of ticket 0 (when n1 > 0 or cycling) */
	int64_t wrap;  /* MINVALUE ascending, MAXVALUE descending */
	uint64_t n1;   /* tickets before the first limit, capped at COUNT_CAP */
	uint64_t lap;  /* values per lap after a wrap, capped */
	int64_t last0; /* state at ticket 0: last_value … */
	bool called0;  /* … and is_called */
	uint64_t cgen; /* cache_gen under which blocks of this epoch may be cached */
	uint64_t dcap; /* journal: tickets below it are durable (UINT64_MAX: no journal) */
	struct params p;
};

/*
 * A slot: one epoch, readable by nextval without a lock.  Every field is a
 * C11 atomic because a writer may recycle the slot while a stalled reader
 * still reads it; the reader then detects the change through `gen` and
 * throws its reading away.  Writers store the fields with release order,
 * readers load them with acquire order, so a reader that sees any field of
 * a newer incarnation also sees SLOT_BUSY (or the newer gen) in its final
 * check of `gen` (see slot_write / the readers).  On x86 and arm64 these
 * acquire loads are plain loads.
 */
struct slot {
	_Atomic uint64_t gen;
	_Atomic int64_t first;
	_Atomic int64_t inc;
	_Atomic uint64_t n1;
	_Atomic uint64_t fast; /* tickets below it are first + t*inc: min(n1, rebase_at),
	                           0 for CYCLE or CACHE > 1 (those take nextval_full) */
	_Atomic uint64_t cache;
	_Atomic uint64_t lap;
	_Atomic int64_t wrap;
	_Atomic int64_t bound; /* quoted by the limit error: MAXVALUE or MINVALUE */
	_Atomic uint32_t flags;
	/* Below: read by writers (under the mutex) and by read/get_options. */
	_Atomic int64_t last0;
	_Atomic bool called0;
	_Atomic int64_t start, min, max;
	_Atomic int type;
	_Atomic uint64_t cgen;
	/* Journal: tickets below dcap are covered by a durable reservation.
	 * Raised in place (only grows) by the reservation thread under wlock;
	 * any value a reader sees is a valid, possibly low, bound. */
	_Atomic uint64_t dcap;
};

/* The cache-line layout below is deliberate (the hot word alone on its
 * line, nextval's read-mostly fields on one line, writers' fields apart);
 * clang-analyzer's padding check would pack them onto shared lines.
 * NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding) */
struct numseq {
	/* The hot word, alone on its cache line: (tag, ticket).  Every nextval
	 * does one fetch_add here; nothing else may share the line. */
	alignas(64) _Atomic uint64_t word;

	/* Read-mostly line: changed only by writers.  The mirror (m*) repeats
	 * the current epoch's fast fields at fixed addresses, so nextval's
	 * loads do not depend on each other (see numseq_nextval); mgen is
	 * SLOT_BUSY from just before a writer's switch until it is refilled. */
	alignas(64) _Atomic uint64_t mgen;
	_Atomic int64_t mfirst;
	_Atomic int64_t minc;
	_Atomic uint64_t mfast;
	_Atomic uint64_t mn1;
	uint64_t id;                /* process-unique, never reused */
	_Atomic uint64_t cache_gen; /* bumped by restart/alter: threads drop caches */
	uint32_t magic;

	alignas(64) _Atomic uint64_t cur_gen; /* epoch installed last (may lag word by one) */
	_Atomic uint64_t user_gen;            /* last epoch installed by setval/restart/alter */
	uint64_t rebase_at;                   /* tickets per epoch before a rebase */
	char name[NAME_MAX_LEN + 1];

	pthread_mutex_t wlock;     /* serializes writers, never nextval */
	struct numseq__claims *cl; /* the claimed-number bitmap, or NULL */
	numseq_claims_t cl_policy; /* its policy (NONE without) */

	alignas(64) struct slot slots[NSLOT];

	/* Continuation positions (serve_foreign): within a chain of epochs
	 * that only continue each other (rebases, oversized blocks), pos is
	 * the index of the epoch's ticket 0 in the chain's own numbering;
	 * 0 for an epoch that starts a chain (create, setval, restart, alter).
	 * Same seqlock protocol as a slot. */
	struct {
		_Atomic uint64_t gen;
		_Atomic uint64_t pos;
	} posring[NPOS];

	/* The journal (numseq_open), or NULL.  window: W, the tickets one
	 * reservation covers.  The reservation thread (reserver_main) extends
	 * the current epoch's dcap when kicked (xkick, under xmu); threads
	 * whose ticket is past dcap sleep on dcv until it grows. */
	struct numseq__journal *j;
	uint64_t window;
	pthread_t xthr;
	pthread_mutex_t xmu;
	pthread_cond_t xcv, dcv;
	bool xkick, xstop;
	_Atomic bool xkicked; /* a kick is pending: nextval need not take xmu */
};

static_assert(offsetof(struct numseq, mgen) >= 64, "hot word must be alone on its line");

/* Journal: defined in the journal section at the end of this file. */
static void free_sequence(struct numseq *s);
static void kick_reserver(struct numseq *s);
static int wait_durable(struct numseq *s, uint64_t g, uint64_t t, numseq_error_t *err);
static int journal_refused(const struct numseq *s, numseq_error_t *err);
static void raise_mirror(struct numseq *s, uint64_t g, const struct epoch *e, uint64_t dcap,
                         bool full);
static int draw_durable(struct numseq *s, struct numseq__sess_ent *se, int64_t *out,
                        numseq_error_t *err);
static int journal_switch(struct numseq *s, uint64_t g, const struct epoch *e, struct epoch *ne,
                          const numseq_options_t *o, int64_t v, bool called, numseq_error_t *err);
static_assert(offsetof(struct numseq, magic) < 128, "nextval's read-mostly fields share one line");

static _Atomic uint64_t next_id = 1;

/* ------------------------------------------------------ epoch arithmetic */

static inline uint64_t uabs_inc(int64_t inc)
{
	return inc > 0 ? (uint64_t)inc : 0u - (uint64_t)inc;
}

/* Exact number of grid values from `from` to the bound, both inclusive,
 * saturating at UINT64_MAX (the full int64 range with increment 1 has
 * 2^64); from lies within [min, max]. */
static uint64_t count_to_bound_sat(int64_t from, const struct params *p)
{
	uint64_t span = p->inc > 0 ? (uint64_t)p->max - (uint64_t)from
	                           : (uint64_t)from - (uint64_t)p->min;
	uint64_t q = span / uabs_inc(p->inc);
	return q == UINT64_MAX ? UINT64_MAX : q + 1;
}

/* The same, capped at COUNT_CAP (an epoch's n1 and lap). */
static uint64_t count_to_bound(int64_t from, const struct params *p)
{
	uint64_t n = count_to_bound_sat(from, p);
	return n > COUNT_CAP ? COUNT_CAP : n;
}

/* PostgreSQL's limit test (nextval_internal), overflow-free: would
 * last + inc leave [min, max]?  last lies within [min, max]. */
static bool at_limit(int64_t last, const struct params *p)
{
	if (p->inc > 0)
		return (uint64_t)p->max - (uint64_t)last < (uint64_t)p->inc;
	return (uint64_t)last - (uint64_t)p->min < uabs_inc(p->inc);
}

/* The epoch that starts in state (last, called) under parameters p. */
static void epoch_init(struct epoch *e, int64_t last, bool called, const struct params *p)
{
	e->p = *p;
	e->last0 = last;
	e->called0 = called;
	e->dcap = UINT64_MAX;
	e->wrap = p->inc > 0 ? p->min : p->max;
	e->lap = count_to_bound(e->wrap, p);
	if (!called) {
		e->first = last;
		e->n1 = count_to_bound(last, p);
	} else if (!at_limit(last, p)) {
		e->first = u2i((uint64_t)last + (uint64_t)p->inc);
		e->n1 = count_to_bound(e->first, p);
	} else if (p->cycle) {
		e->first = e->wrap; /* wraps to MINVALUE/MAXVALUE, not START */
		e->n1 = e->lap;
	} else {
		e->first = last; /* exhausted: no ticket yields a value */
		e->n1 = 0;
	}
}

/* Value of ticket t; requires t < n1 or cycle. */
static inline int64_t ticket_value(int64_t first, int64_t inc, uint64_t n1, int64_t wrap,
                                   uint64_t lap, uint64_t t)
{
	if (t < n1)
		return u2i((uint64_t)first + t * (uint64_t)inc);
	return u2i((uint64_t)wrap + ((t - n1) % lap) * (uint64_t)inc);
}

/* State (last_value, is_called) after c tickets of epoch e were served. */
static void epoch_state(const struct epoch *e, uint64_t c, int64_t *last, bool *called)
{
	if (!e->p.cycle && c > e->n1)
		c = e->n1;
	if (c == 0) {
		*last = e->last0;
		*called = e->called0;
	} else {
		*last = ticket_value(e->first, e->p.inc, e->n1, e->wrap, e->lap, c - 1);
		*called = true;
	}
}

/* Tickets available from t before the next limit (a refill or bulk never
 * wraps part-way, as in PostgreSQL's cache refill). */
static inline uint64_t run_left(uint64_t n1, uint64_t lap, bool cycle, uint64_t t)
{
	if (t < n1)
		return n1 - t;
	if (!cycle)
		return 0;
	return lap - ((t - n1) % lap);
}

/* Tickets of an epoch that were served when its word shows t: tickets
 * drawn at or past rebase_at are void (the rebase continues from it). */
static inline uint64_t served_tickets(const struct numseq *s, uint64_t t)
{
	return t < s->rebase_at ? t : s->rebase_at;
}

/* ---------------------------------------------------------------- slots */

static inline struct slot *slot_for(struct numseq *s, uint64_t gen)
{
	return &s->slots[gen % NSLOT];
}

/* Writer side of the slot seqlock (wlock held).  BUSY first (relaxed: the
 * release stores that follow order it before every field), then the fields
 * with release, then the new gen with release.  A reader whose acquire load
 * returns any new field value therefore sees BUSY or the new gen when it
 * re-reads gen, and discards its reading. */
static void slot_write(struct slot *d, uint64_t gen, const struct epoch *e, uint64_t rebase_at)
{
	/* A PENDING slot is already marked: its readers wait for gen. */
	if (atomic_load_explicit(&d->gen, memory_order_relaxed) != SLOT_PENDING)
		atomic_store_explicit(&d->gen, SLOT_BUSY, memory_order_relaxed);
	atomic_store_explicit(&d->first, e->first, memory_order_release);
	atomic_store_explicit(&d->inc, e->p.inc, memory_order_release);
	atomic_store_explicit(&d->n1, e->n1, memory_order_release);
	atomic_store_explicit(&d->fast,
	                      (e->p.cycle || e->p.cache > 1) ? 0
	                      : e->n1 < rebase_at            ? e->n1
	                                                     : rebase_at,
	                      memory_order_release);
	atomic_store_explicit(&d->cache, (uint64_t)e->p.cache, memory_order_release);
	atomic_store_explicit(&d->lap, e->lap, memory_order_release);
	atomic_store_explicit(&d->wrap, e->wrap, memory_order_release);
	atomic_store_explicit(&d->bound, e->p.inc > 0 ? e->p.max : e->p.min, memory_order_release);
	atomic_store_explicit(&d->flags, (e->p.cycle ? F_CYCLE : 0u) | (e->p.inc > 0 ? F_ASC : 0u),
	                      memory_order_release);
	atomic_store_explicit(&d->last0, e->last0, memory_order_release);
	atomic_store_explicit(&d->called0, e->called0, memory_order_release);
	atomic_store_explicit(&d->start, e->p.start, memory_order_release);
	atomic_store_explicit(&d->min, e->p.min, memory_order_release);
	atomic_store_explicit(&d->max, e->p.max, memory_order_release);
	atomic_store_explicit(&d->type, (int)e->p.type, memory_order_release);
	atomic_store_explicit(&d->cgen, e->cgen, memory_order_release);
	atomic_store_explicit(&d->dcap, e->dcap, memory_order_release);
	atomic_store_explicit(&d->gen, gen, memory_order_release);
}

/* The mirror follows the same protocol as a slot.  mirror_hide runs before
 * a writer's switch of the word (the switch's release publishes it), so a
 * nextval whose draw lands in the new epoch sees SLOT_BUSY or the new gen
 * when it re-checks mgen; mirror_show runs once the new epoch is final. */
static void mirror_hide(struct numseq *s)
{
	atomic_store_explicit(&s->mgen, SLOT_BUSY, memory_order_relaxed);
}

/* The hot path's bound: tickets below it are first + t*inc and may be
 * served at once: min(n1, rebase_at), 0 for CYCLE or CACHE > 1 (those
 * take the general paths).  A journaled epoch also stops the hot path
 * half a window before its durable cap (the draw that gets there kicks
 * the reservation thread from nextval_straddle), or, with `full`, at the
 * cap itself (while that thread's fdatasync is under way). */
static uint64_t mirror_fast_at(const struct numseq *s, const struct epoch *e, bool full)
{
	uint64_t f, lw;
	if (e->p.cycle || e->p.cache > 1)
		return 0;
	f = e->n1 < s->rebase_at ? e->n1 : s->rebase_at;
	if (e->dcap == UINT64_MAX)
		return f;
	lw = full || e->dcap < s->window / 2 ? e->dcap : e->dcap - s->window / 2;
	return f < lw ? f : lw;
}

static uint64_t mirror_fast(const struct numseq *s, const struct epoch *e)
{
	return mirror_fast_at(s, e, false);
}

static void mirror_show(struct numseq *s, uint64_t gen, const struct epoch *e)
{
	atomic_store_explicit(&s->mfirst, e->first, memory_order_release);
	atomic_store_explicit(&s->minc, e->p.inc, memory_order_release);
	atomic_store_explicit(&s->mn1, e->n1, memory_order_release);
	atomic_store_explicit(&s->mfast, mirror_fast(s, e), memory_order_release);
	atomic_store_explicit(&s->mgen, gen, memory_order_release);
}

static void pos_write(struct numseq *s, uint64_t gen, uint64_t pos)
{
	atomic_store_explicit(&s->posring[gen % NPOS].gen, SLOT_BUSY, memory_order_relaxed);
	atomic_store_explicit(&s->posring[gen % NPOS].pos, pos, memory_order_release);
	atomic_store_explicit(&s->posring[gen % NPOS].gen, gen, memory_order_release);
}

/* Epoch gen's position, if the ring still holds it. */
static bool pos_read(struct numseq *s, uint64_t gen, uint64_t *pos)
{
	if (atomic_load_explicit(&s->posring[gen % NPOS].gen, memory_order_acquire) != gen)
		return false;
	*pos = atomic_load_explicit(&s->posring[gen % NPOS].pos, memory_order_acquire);
	return atomic_load_explicit(&s->posring[gen % NPOS].gen, memory_order_acquire) == gen;
}

/* The current epoch's position (wlock held: it cannot be recycled). */
static uint64_t pos_current(struct numseq *s, uint64_t gen)
{
	return atomic_load_explicit(&s->posring[gen % NPOS].pos, memory_order_relaxed);
}

/* Reads a whole slot (all acquire; the caller re-checks gen afterwards). */
static void slot_read(struct slot *d, struct epoch *e)
{
	uint32_t f;
	e->first = atomic_load_explicit(&d->first, memory_order_acquire);
	e->p.inc = atomic_load_explicit(&d->inc, memory_order_acquire);
	e->n1 = atomic_load_explicit(&d->n1, memory_order_acquire);
	e->p.cache = (int64_t)atomic_load_explicit(&d->cache, memory_order_acquire);
	e->lap = atomic_load_explicit(&d->lap, memory_order_acquire);
	e->wrap = atomic_load_explicit(&d->wrap, memory_order_acquire);
	f = atomic_load_explicit(&d->flags, memory_order_acquire);
	e->p.cycle = (f & F_CYCLE) != 0;
	e->last0 = atomic_load_explicit(&d->last0, memory_order_acquire);
	e->called0 = atomic_load_explicit(&d->called0, memory_order_acquire);
	e->p.start = atomic_load_explicit(&d->start, memory_order_acquire);
	e->p.min = atomic_load_explicit(&d->min, memory_order_acquire);
	e->p.max = atomic_load_explicit(&d->max, memory_order_acquire);
	e->p.type = (numseq_type_t)atomic_load_explicit(&d->type, memory_order_acquire);
	e->cgen = atomic_load_explicit(&d->cgen, memory_order_acquire);
	e->dcap = atomic_load_explicit(&d->dcap, memory_order_acquire);
}

/* One step of waiting for a writer (only for a PENDING ALTER epoch):
 * ck's exponential backoff first, then yield the CPU, so that waiters do
 * not spin while the writer they wait for waits for a core. */
static void wait_step(ck_backoff_t *backoff, unsigned *steps)
{
	if (++*steps < 16)
		ck_backoff_eb(backoff);
	else
		(void)sched_yield();
}

/* Reads the current epoch consistently, with the word it goes with.
 * Lock-free except while an ALTER epoch is PENDING: a retry happens only
 * when a writer switched epochs meanwhile. */
static uint64_t read_current(struct numseq *s, struct epoch *e, uint64_t *w)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	unsigned steps = 0;
	for (;;) {
		/* acquire: pairs with the writer's release store of cur_gen, so
		 * the slot and the word switch it made are visible. */
		uint64_t g = atomic_load_explicit(&s->cur_gen, memory_order_acquire);
		struct slot *d = slot_for(s, g);
		uint64_t dg;
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue;
		slot_read(d, e);
		*w = atomic_load_explicit(&s->word, memory_order_acquire);
		/* Same tag and slot unchanged: the word is in epoch g (a tag
		 * match with epoch g + k*2^20 would have rewritten this slot
		 * before the word could carry it). */
		if (atomic_load_explicit(&d->gen, memory_order_acquire) == g &&
		    word_tag(*w) == (g & TAG_MASK))
			return g;
		if (word_tag(*w) != ((g + 1) & TAG_MASK))
			continue; /* several switches since our read of cur_gen */
		/* The word is already in epoch g+1 and cur_gen lags: that slot
		 * was complete before the switch (unless PENDING), read it. */
		d = slot_for(s, g + 1);
		dg = atomic_load_explicit(&d->gen, memory_order_acquire);
		if (dg == SLOT_PENDING) {
			wait_step(&backoff, &steps);
			continue;
		}
		if (dg != g + 1)
			continue;
		slot_read(d, e);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) == g + 1)
			return g + 1;
	}
}

/* ---------------------------------------------------------- validation */

static const char *type_name(numseq_type_t t)
{
	return t == NUMSEQ_SMALLINT ? "smallint" : t == NUMSEQ_INTEGER ? "integer" : "bigint";
}

static int64_t type_max(numseq_type_t t)
{
	return t == NUMSEQ_SMALLINT ? INT16_MAX : t == NUMSEQ_INTEGER ? INT32_MAX : INT64_MAX;
}

static int64_t type_min(numseq_type_t t)
{
	return t == NUMSEQ_SMALLINT ? INT16_MIN : t == NUMSEQ_INTEGER ? INT32_MIN : INT64_MIN;
}

#define OPT_ALL ((NUMSEQ_OPT_CLAIMS << 1) - 1u)

static int check_option_bits(const numseq_options_t *o, bool is_init, numseq_error_t *err)
{
	unsigned set = o->set;
	if ((set & ~OPT_ALL) != 0)
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_SYNTAX,
		                    "unknown option bits 0x%x", set & ~OPT_ALL);
	if (!is_init && (set & NUMSEQ_OPT_NAME))
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_SYNTAX,
		                    "the sequence name is fixed at creation");
	if (!is_init && (set & NUMSEQ_OPT_CLAIMS))
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_SYNTAX,
		                    "the claims policy is fixed at creation");
	if (((set & NUMSEQ_OPT_MINVALUE) && (set & NUMSEQ_OPT_NO_MINVALUE)) ||
	    ((set & NUMSEQ_OPT_MAXVALUE) && (set & NUMSEQ_OPT_NO_MAXVALUE)) ||
	    ((set & NUMSEQ_OPT_RESTART) && (set & NUMSEQ_OPT_RESTART_WITH)))
		return numseq__fail(err, NUMSEQ_EOPTION, NUMSEQ__SQLSTATE_SYNTAX,
		                    "conflicting or redundant options");
	return NUMSEQ_OK;
}

/*
 * PostgreSQL's init_params(), in its order and with its messages.  p holds
 * the current parameters (ignored when is_init) and receives the new ones;
 * last and called hold the stored state and receive the new one (RESTART).
 */
static int init_params(const numseq_options_t *o, bool is_init, struct params *p, int64_t *last,
                       bool *called, numseq_error_t *err)
{
	unsigned set = o->set;
	bool reset_max = false, reset_min = false;

	if (set & NUMSEQ_OPT_TYPE) {
		if (o->type != NUMSEQ_SMALLINT && o->type != NUMSEQ_INTEGER &&
		    o->type != NUMSEQ_BIGINT)
			return numseq__fail(err, NUMSEQ_ETYPE, NUMSEQ__SQLSTATE_PARAM,
			                    "sequence type must be smallint, integer, or bigint");
		if (!is_init) {
			/* Bounds that were the old type's extremes follow the type. */
			reset_max = p->max == type_max(p->type);
			reset_min = p->min == type_min(p->type);
		}
		p->type = o->type;
	} else if (is_init) {
		p->type = NUMSEQ_BIGINT;
	}

	if (set & NUMSEQ_OPT_INCREMENT) {
		p->inc = o->increment;
		if (p->inc == 0)
			return numseq__fail(err, NUMSEQ_EINCREMENT, NUMSEQ__SQLSTATE_PARAM,
			                    "INCREMENT must not be zero");
	} else if (is_init) {
		p->inc = 1;
	}

	if (set & NUMSEQ_OPT_CYCLE)
		p->cycle = o->cycle;
	else if (is_init)
		p->cycle = false;

	if (set & NUMSEQ_OPT_MAXVALUE)
		p->max = o->maxvalue;
	else if (is_init || (set & NUMSEQ_OPT_NO_MAXVALUE) || reset_max)
		p->max = (p->inc > 0 || reset_max) ? type_max(p->type) : -1;
	if (p->max < type_min(p->type) || p->max > type_max(p->type))
		return numseq__fail(err, NUMSEQ_ETYPERANGE, NUMSEQ__SQLSTATE_PARAM,
		                    "MAXVALUE (%lld) is out of range for sequence data type %s",
		                    (long long)p->max, type_name(p->type));

	if (set & NUMSEQ_OPT_MINVALUE)
		p->min = o->minvalue;
	else if (is_init || (set & NUMSEQ_OPT_NO_MINVALUE) || reset_min)
		p->min = (p->inc < 0 || reset_min) ? type_min(p->type) : 1;
	if (p->min < type_min(p->type) || p->min > type_max(p->type))
		return numseq__fail(err, NUMSEQ_ETYPERANGE, NUMSEQ__SQLSTATE_PARAM,
		                    "MINVALUE (%lld) is out of range for sequence data type %s",
		                    (long long)p->min, type_name(p->type));

	if (p->min >= p->max)
		return numseq__fail(err, NUMSEQ_EMINMAX, NUMSEQ__SQLSTATE_PARAM,
		                    "MINVALUE (%lld) must be less than MAXVALUE (%lld)",
		                    (long long)p->min, (long long)p->max);

	if (set & NUMSEQ_OPT_START)
		p->start = o->start;
	else if (is_init)
		p->start = p->inc > 0 ? p->min : p->max;
	if (p->start < p->min)
		return numseq__fail(err, NUMSEQ_ESTART, NUMSEQ__SQLSTATE_PARAM,
		                    "START value (%lld) cannot be less than MINVALUE (%lld)",
		                    (long long)p->start, (long long)p->min);
	if (p->start > p->max)
		return numseq__fail(err, NUMSEQ_ESTART, NUMSEQ__SQLSTATE_PARAM,
		                    "START value (%lld) cannot be greater than MAXVALUE (%lld)",
		                    (long long)p->start, (long long)p->max);

	if (set & (NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH)) {
		*last = (set & NUMSEQ_OPT_RESTART_WITH) ? o->restart : p->start;
		*called = false;
	} else if (is_init) {
		*last = p->start;
		*called = false;
	}
	/* The stored value is checked even when no RESTART was written. */
	if (*last < p->min)
		return numseq__fail(err, NUMSEQ_ERESTART, NUMSEQ__SQLSTATE_PARAM,
		                    "RESTART value (%lld) cannot be less than MINVALUE (%lld)",
		                    (long long)*last, (long long)p->min);
	if (*last > p->max)
		return numseq__fail(err, NUMSEQ_ERESTART, NUMSEQ__SQLSTATE_PARAM,
		                    "RESTART value (%lld) cannot be greater than MAXVALUE (%lld)",
		                    (long long)*last, (long long)p->max);

	if (set & NUMSEQ_OPT_CACHE) {
		p->cache = o->cache;
		if (p->cache <= 0)
			return numseq__fail(err, NUMSEQ_ECACHE, NUMSEQ__SQLSTATE_PARAM,
			                    "CACHE (%lld) must be greater than zero",
			                    (long long)p->cache);
	} else if (is_init) {
		p->cache = 1;
	}
	return NUMSEQ_OK;
}

static inline bool handle_ok(const struct numseq *s)
{
	return s != NULL && (s->magic == NUMSEQ_MAGIC || s->magic == NUMSEQ_MAGIC_SLOW);
}

static int bad_handle(numseq_error_t *err, const char *fn)
{
	return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
	                    "%s: sequence handle is NULL or destroyed", fn);
}

/* ------------------------------------------------------------ lifecycle */

void numseq_options_init(numseq_options_t *o)
{
	if (o != NULL)
		memset(o, 0, sizeof *o);
}

int numseq_create(numseq_t **out, const numseq_options_t *o, numseq_error_t *err)
{
	numseq_options_t none;
	struct params p;
	struct epoch e;
	int64_t last = 0;
	bool called = false;
	const char *name = "numseq";
	struct numseq *s;
	struct numseq__claims_geom cg;
	int rc;

	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "numseq_create: output pointer is NULL");
	*out = NULL;
	if (o == NULL) {
		numseq_options_init(&none);
		o = &none;
	}
	rc = check_option_bits(o, true, err);
	if (rc != NUMSEQ_OK)
		return rc;
	if (o->set & NUMSEQ_OPT_NAME) {
		size_t n = o->name != NULL ? strnlen(o->name, NAME_MAX_LEN + 1) : 0;
		if (n == 0 || n > NAME_MAX_LEN)
			return numseq__fail(err, NUMSEQ_ENAME, NUMSEQ__SQLSTATE_PARAM,
			                    "sequence name must be 1 to %d bytes", NAME_MAX_LEN);
		name = o->name;
	}
	memset(&p, 0, sizeof p);
	rc = init_params(o, true, &p, &last, &called, err);
	if (rc != NUMSEQ_OK)
		return rc;
	/* After PostgreSQL's checks, which come first as in its CREATE. */
	rc = numseq__claims_check(o, p.start, p.inc, p.min, p.max, p.cache, last, &cg, err);
	if (rc != NUMSEQ_OK)
		return rc;

	s = numseq__aligned_alloc(64, sizeof *s);
	if (s == NULL)
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	memset(s, 0, sizeof *s);
	if (pthread_mutex_init(&s->wlock, NULL) != 0) {
		free(s);
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM,
		                    "cannot initialize the writer mutex");
	}
	for (unsigned i = 0; i < NSLOT; i++)
		atomic_init(&s->slots[i].gen, SLOT_BUSY);
	/* name is 1..NAME_MAX_LEN bytes (checked above) and s->name holds
	 * NAME_MAX_LEN + 1.  NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy) */
	strcpy(s->name, name);
	/* relaxed: only uniqueness matters, no data is published through it. */
	s->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	if (!numseq__live_add(s->id)) {
		pthread_mutex_destroy(&s->wlock);
		free(s);
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	}
	if (cg.policy != NUMSEQ_CLAIMS_NONE) {
		cg.name = s->name;
		rc = numseq__claims_create(&s->cl, &cg, p.start, last, called, p.cycle, err);
		if (rc != NUMSEQ_OK) {
			numseq__live_del(s->id);
			pthread_mutex_destroy(&s->wlock);
			free(s);
			return rc;
		}
	}
	s->rebase_at = REBASE_DEFAULT;
	s->cl_policy = cg.policy;
	s->magic = s->cl != NULL ? NUMSEQ_MAGIC_SLOW : NUMSEQ_MAGIC;

	epoch_init(&e, last, called, &p);
	e.cgen = 0;
	slot_write(slot_for(s, 0), 0, &e, s->rebase_at);
	pos_write(s, 0, 0);
	mirror_show(s, 0, &e);
	atomic_init(&s->word, word_make(0, 0));
	atomic_init(&s->cur_gen, 0);
	atomic_init(&s->cache_gen, 0);
	*out = s;
	return NUMSEQ_OK;
}

int numseq_destroy(numseq_t **sp)
{
	struct numseq *s;
	if (sp == NULL || !handle_ok(*sp))
		return NUMSEQ_EINVAL;
	s = *sp;
	if (s->j != NULL)
		return numseq_close(sp, NULL);
	free_sequence(s);
	*sp = NULL;
	return NUMSEQ_OK;
}

/* --------------------------------------------------------------- writers */

/*
 * The switch of the word to epoch ng.  When the new epoch drops every
 * thread's cache (RESTART, ALTER), cache_gen turns odd just before it, so
 * that no cache hit succeeds once any thread may draw from the new epoch;
 * it becomes the new epoch's (even) cgen just after it (odd_to_even), or,
 * for an ALTER, when the epoch is final (pending_end: the old value again
 * if the ALTER failed, so that a failed ALTER keeps every cache).  A cache
 * hit that sees an odd cache_gen waits for it (cache_take).  seq_cst on
 * the bumps, the exchange and the draws (on x86 and arm64 the same
 * instructions as acq_rel): a cache hit reads no other shared word, so its
 * order against other threads' draws rests on one total order of these.
 * The exchange's release half publishes the slot and the hidden mirror to
 * every reader whose draw sees the new tag; later RMWs continue its
 * release sequence.
 */
static uint64_t switch_word(struct numseq *s, uint64_t ng, bool to_odd, bool odd_to_even)
{
	uint64_t old;
	if (to_odd)
		atomic_fetch_add_explicit(&s->cache_gen, 1, memory_order_seq_cst);
	old = atomic_exchange_explicit(&s->word, word_make(ng, 0), memory_order_seq_cst);
	if (odd_to_even)
		atomic_fetch_add_explicit(&s->cache_gen, 1, memory_order_seq_cst);
	return old;
}

/* Installs epoch e as gen+1 (wlock held, gen current) with one exchange:
 * for writers whose new state does not depend on how many tickets were
 * drawn (setval, restart, rebase).  Readers never wait for it.  user: a
 * setval/restart (or test hook) epoch, which starts a new chain of
 * continuation positions; so does a rebase whose position would reach
 * COUNT_CAP (serve_foreign relies on positions staying below it). */
static uint64_t install(struct numseq *s, uint64_t gen, const struct epoch *e, bool user)
{
	uint64_t old;
	uint64_t ng = gen + 1;
	bool drop = e->cgen != atomic_load_explicit(&s->cache_gen, memory_order_relaxed);
	bool brk = user || pos_current(s, gen) >= COUNT_CAP - s->rebase_at;
	slot_write(slot_for(s, ng), ng, e, s->rebase_at);
	/* A rebase continues its predecessor after exactly rebase_at tickets. */
	pos_write(s, ng, brk ? 0 : pos_current(s, gen) + s->rebase_at);
	if (brk)
		/* relaxed: published by the exchange below (serve_foreign). */
		atomic_store_explicit(&s->user_gen, ng, memory_order_relaxed);
	mirror_hide(s);
	old = switch_word(s, ng, drop, drop);
	mirror_show(s, ng, e);
	/* release: pairs with the acquire load of cur_gen in readers. */
	atomic_store_explicit(&s->cur_gen, ng, memory_order_release);
	return served_tickets(s, word_ticket(old)); /* epoch gen's, exactly */
}

/*
 * A switch whose new epoch depends on the exact closing ticket (ALTER
 * without RESTART, an oversized bulk): mark the next slot PENDING, hide the
 * mirror, exchange the word, and return the tickets served in epoch gen.
 * Readers that draw in the pending epoch wait in serve_foreign or
 * read_current until pending_end publishes it (wlock held throughout).
 */
static uint64_t pending_begin(struct numseq *s, uint64_t gen, bool drop_caches, bool chain_break)
{
	struct slot *d = slot_for(s, gen + 1);
	uint64_t t;
	/* relaxed: all three are published by the exchange's release. */
	atomic_store_explicit(&d->gen, SLOT_PENDING, memory_order_relaxed);
	if (chain_break)
		atomic_store_explicit(&s->user_gen, gen + 1, memory_order_relaxed);
	mirror_hide(s);
	t = word_ticket(switch_word(s, gen + 1, drop_caches, false));
	return served_tickets(s, t);
}

/* pos: the new epoch's continuation position (0 when chain_break).  With
 * drop_caches, cache_gen leaves its odd value for e's cgen. */
static void pending_end(struct numseq *s, uint64_t gen, const struct epoch *e, uint64_t pos,
                        bool drop_caches)
{
	/* Before cur_gen and the unlock: a reader that needs pos in
	 * serve_foreign has seen this slot recycled by a later writer. */
	pos_write(s, gen + 1, pos);
	slot_write(slot_for(s, gen + 1), gen + 1, e, s->rebase_at);
	mirror_show(s, gen + 1, e);
	if (drop_caches)
		atomic_store_explicit(&s->cache_gen, e->cgen, memory_order_seq_cst);
	atomic_store_explicit(&s->cur_gen, gen + 1, memory_order_release);
}

/* The current epoch and its served-ticket count (wlock held). */
static uint64_t writer_current(struct numseq *s, struct epoch *e, uint64_t *w, uint64_t *served)
{
	/* relaxed would do for cur_gen under wlock; read_current re-checks. */
	uint64_t g = read_current(s, e, w);
	uint64_t t = word_ticket(*w);
	*served = served_tickets(s, t);
	return g;
}

/* An epoch continuing e after `served` of its tickets keeps the rest of
 * e's durable reservation. */
static uint64_t carry_dcap(const struct epoch *e, uint64_t served)
{
	if (e->dcap == UINT64_MAX)
		return UINT64_MAX;
	return e->dcap > served ? e->dcap - served : 0;
}

/* Journal: the first reservation of a new state (wlock held): the state
 * after `window` tickets of ne, which becomes ne's dcap once durable. */
static void reservation_end(const struct numseq *s, const struct epoch *ne, int64_t *to_last,
                            bool *to_called)
{
	epoch_state(ne, s->window, to_last, to_called);
}

/* Continues the current epoch in a fresh one from ticket rebase_at, so the
 * ticket field never overflows into the tag.  Called by a reader that drew
 * a ticket >= rebase_at in epoch gen. */
static void rebase(struct numseq *s, uint64_t gen)
{
	struct epoch e, ne;
	uint64_t w, served;
	int64_t last;
	bool called;

	pthread_mutex_lock(&s->wlock);
	if (writer_current(s, &e, &w, &served) == gen && word_ticket(w) >= s->rebase_at) {
		epoch_state(&e, served, &last, &called);
		epoch_init(&ne, last, called, &e.p);
		ne.cgen = e.cgen;
		ne.dcap = carry_dcap(&e, served);
		install(s, gen, &ne, false);
	}
	pthread_mutex_unlock(&s->wlock);
}

int numseq_setval(numseq_t *s, int64_t v, bool is_called, numseq_error_t *err)
{
	struct epoch e, ne;
	uint64_t w, served, g;
	struct numseq__sess_ent *se;
	struct numseq__sess *ss;

	if (!handle_ok(s))
		return bad_handle(err, "setval");
	/* Before any change, so that currval can always be recorded. */
	ss = numseq__sess_get();
	se = ss != NULL ? numseq__sess_find(ss, s->id, is_called) : NULL;
	if (is_called && se == NULL)
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	pthread_mutex_lock(&s->wlock);
	g = writer_current(s, &e, &w, &served);
	if (v < e.p.min || v > e.p.max) {
		pthread_mutex_unlock(&s->wlock);
		return numseq__fail(
			err, NUMSEQ_ESETVAL, NUMSEQ__SQLSTATE_RANGE,
			"setval: value %lld is out of bounds for sequence \"%s\" (%lld..%lld)",
			(long long)v, s->name, (long long)e.p.min, (long long)e.p.max);
	}
	if (s->cl != NULL) {
		/* Grid check (all policies); LOWEST_FREE refuses, CYCLIC moves
		 * its cursor instead of the counter. */
		int rc = numseq__claims_setval(s->cl, v, is_called, err);
		if (rc != 0) {
			pthread_mutex_unlock(&s->wlock);
			if (rc < 0)
				return rc;
			goto done;
		}
	}
	epoch_init(&ne, v, is_called, &e.p);
	ne.cgen = e.cgen; /* other threads keep their caches */
	if (s->j != NULL) {
		int rc = journal_switch(s, g, &e, &ne, NULL, v, is_called, err);
		pthread_mutex_unlock(&s->wlock);
		if (rc != NUMSEQ_OK)
			return rc;
		goto done;
	}
	install(s, g, &ne, true);
	pthread_mutex_unlock(&s->wlock);

done:
	/* The caller's own cache goes; other threads keep theirs. */
	if (se != NULL) {
		se->left = 0;
		if (is_called) {
			se->currval = v;
			se->has_currval = true;
		}
	}
	return NUMSEQ_OK;
}

/*
 * ALTER: options applied to the state after the tickets served so far.
 *
 * With RESTART the new state does not depend on that count, and the switch
 * is one exchange like setval's.  Without it, the new epoch continues from
 * the exact ticket at which the old one closed, which only the exchange
 * reveals.  So the next slot is first marked PENDING, the word switched,
 * and the epoch computed from the closing ticket; a nextval that draws a
 * ticket of the pending epoch in that window waits for it (the only place
 * where nextval waits for a writer; docs/design.md).  A CAS loop that
 * recomputed the epoch for each observed ticket would instead livelock
 * under steady nextval traffic: the recompute takes longer than the gap
 * between two fetch_adds.
 */
/* Journal: the ALTER record with the options now in force for ne, its
 * state and first reservation; ne.dcap on success (wlock held). */
static int journal_alter(struct numseq *s, struct epoch *ne, const numseq_options_t *given,
                         numseq_error_t *err)
{
	numseq_options_t o;
	int64_t tl;
	bool tc;
	int rc;
	(void)given;
	memset(&o, 0, sizeof o);
	o.set = NUMSEQ_OPT_TYPE | NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	        NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME |
	        NUMSEQ_OPT_CLAIMS;
	o.type = ne->p.type;
	o.start = ne->p.start;
	o.increment = ne->p.inc;
	o.minvalue = ne->p.min;
	o.maxvalue = ne->p.max;
	o.cache = ne->p.cache;
	o.cycle = ne->p.cycle;
	o.name = s->name;
	if (s->cl != NULL)
		numseq__claims_options(s->cl, &o);
	reservation_end(s, ne, &tl, &tc);
	rc = numseq__j_alter(s->j, &o, ne->last0, ne->called0, tl, tc, err);
	if (rc == NUMSEQ_OK)
		ne->dcap = s->window;
	return rc;
}

/*
 * Journal: setval / RESTART (o NULL: a setval to (v, called); else an
 * ALTER with RESTART) on a journaled sequence, wlock held.  The new epoch
 * is installed first with no durable ticket (dcap 0: its draws sleep in
 * wait_durable, rather than spin), then the new state and its first
 * reservation are written and synced, and only then is the new epoch's
 * dcap raised.  If the write fails the journal has failed: the old
 * parameters and state come back (from the exact closing ticket the
 * switch returned), with dcap 0, so nothing more is served (P6).
 */
static int journal_switch(struct numseq *s, uint64_t g, const struct epoch *e, struct epoch *ne,
                          const numseq_options_t *o, int64_t v, bool called, numseq_error_t *err)
{
	int64_t tl;
	bool tc;
	int rc;
	ne->dcap = 0;
	uint64_t served = install(s, g, ne, true);
	if (o != NULL) {
		rc = journal_alter(s, ne, o, err);
	} else {
		reservation_end(s, ne, &tl, &tc);
		rc = numseq__j_state(s->j, NUMSEQ__JF_CAUSE_SETVAL, v, called, tl, tc, err);
	}
	if (rc == NUMSEQ_OK) {
		/* release: pairs with the draws' acquire loads of dcap. */
		atomic_store_explicit(&slot_for(s, g + 1)->dcap, s->window, memory_order_release);
		ne->dcap = s->window;
		raise_mirror(s, g + 1, ne, s->window, false);
	} else {
		/* Not acknowledged: back to the old epoch's parameters and state
		 * (nothing can be served any more: the journal has failed). */
		struct epoch back;
		int64_t bl;
		bool bc;
		epoch_state(e, served, &bl, &bc);
		epoch_init(&back, bl, bc, &e->p);
		back.cgen = e->cgen;
		back.dcap = 0;
		(void)install(s, g + 1, &back, true);
	}
	pthread_mutex_lock(&s->xmu);
	pthread_cond_broadcast(&s->dcv);
	pthread_mutex_unlock(&s->xmu);
	return rc;
}

int numseq_alter(numseq_t *s, const numseq_options_t *o, numseq_error_t *err)
{
	struct epoch e, ne;
	struct params p;
	uint64_t w, served, g, cg;
	int64_t last;
	bool called, restart;
	int rc;

	if (!handle_ok(s))
		return bad_handle(err, "alter");
	if (o == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "alter: options are NULL");
	rc = check_option_bits(o, false, err);
	if (rc != NUMSEQ_OK)
		return rc;
	restart = (o->set & (NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH)) != 0;

	pthread_mutex_lock(&s->wlock);
	g = writer_current(s, &e, &w, &served);
	p = e.p;
	epoch_state(&e, served, &last, &called);
	/* Validation against the state now; an error linearizes here. */
	rc = init_params(o, false, &p, &last, &called, err);
	if (rc == NUMSEQ_OK && s->cl != NULL)
		rc = numseq__claims_alter(s->cl, false, restart, p.start, p.inc, p.min, p.max,
		                          p.cache, p.cycle, last, called, err);
	if (rc != NUMSEQ_OK) {
		pthread_mutex_unlock(&s->wlock);
		return rc;
	}
	/*
	 * Every thread's cached block must go, as in PostgreSQL 15 (the
	 * relation is rewritten).  Each epoch records the cache_gen under
	 * which its blocks may be cached (cgen); a cache hit needs cache_gen
	 * equal to its block's cgen.  The new epoch's cgen is the next even
	 * value (switch_word).
	 */
	cg = atomic_load_explicit(&s->cache_gen, memory_order_relaxed) + 2; /* wlock held */
	if (restart) {
		epoch_init(&ne, last, called, &p);
		ne.cgen = cg;
		if (s->j != NULL) {
			rc = journal_switch(s, g, &e, &ne, o, last, called, err);
			if (rc != NUMSEQ_OK) {
				pthread_mutex_unlock(&s->wlock);
				return rc;
			}
		} else {
			install(s, g, &ne, true);
		}
	} else {
		served = pending_begin(s, g, true, true);
		epoch_state(&e, served, &last, &called);
		p = e.p;
		rc = init_params(o, false, &p, &last, &called, err);
		/* Tickets drawn since the check may have moved last_value out
		 * of the new bounds: then the ALTER fails, the epoch just
		 * continues with the old parameters, and caches survive. */
		epoch_init(&ne, last, called, rc == NUMSEQ_OK ? &p : &e.p);
		ne.cgen = rc == NUMSEQ_OK ? cg : e.cgen;
		ne.dcap = carry_dcap(&e, served);
		/* Journal: written inside the PENDING window (draws of the new
		 * epoch wait for it); if it fails, so does the ALTER. */
		if (rc == NUMSEQ_OK && s->j != NULL &&
		    (rc = journal_alter(s, &ne, o, err)) != NUMSEQ_OK) {
			/* The failed record may still reach the disk: nothing more
			 * is served (dcap 0; the journal has failed). */
			epoch_init(&ne, last, called, &e.p);
			ne.cgen = e.cgen;
			ne.dcap = 0;
		}
		pending_end(s, g, &ne, 0, true);
	}
	if (rc == NUMSEQ_OK && s->cl != NULL)
		(void)numseq__claims_alter(s->cl, true, restart, p.start, p.inc, p.min, p.max,
		                           p.cache, p.cycle, last, called, NULL);
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

int numseq_restart(numseq_t *s, numseq_error_t *err)
{
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_RESTART;
	if (!handle_ok(s))
		return bad_handle(err, "restart");
	return numseq_alter(s, &o, err);
}

int numseq_restart_with(numseq_t *s, int64_t v, numseq_error_t *err)
{
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_RESTART_WITH;
	o.restart = v;
	if (!handle_ok(s))
		return bad_handle(err, "restart");
	return numseq_alter(s, &o, err);
}

/* --------------------------------------------------------------- readers */

static int limit_error(const struct numseq *s, bool asc, int64_t bound, numseq_error_t *err)
{
	if (asc)
		return numseq__fail(err, NUMSEQ_EMAXVALUE, NUMSEQ__SQLSTATE_LIMIT,
		                    "nextval: reached maximum value of sequence \"%s\" (%lld)",
		                    s->name, (long long)bound);
	return numseq__fail(err, NUMSEQ_EMINVALUE, NUMSEQ__SQLSTATE_LIMIT,
	                    "nextval: reached minimum value of sequence \"%s\" (%lld)", s->name,
	                    (long long)bound);
}

/*
 * A ticket whose epoch is not the one we pre-read: a writer switched
 * epochs between our snapshot (epoch pre, in *pe) and our draw.  Serve it
 * from its epoch's slot if the slot still holds it; failing that, if every
 * epoch since pre only continued its predecessor (a rebase or an oversized
 * block), from pre's own snapshot, since such an epoch extends the same
 * function.  Returns 1 and the value; 2 for a void
 * ticket (>= rebase_at: rebase epoch *epoch_of_ticket, then retry); 0 if
 * the ticket cannot be served (a setval/restart/alter superseded it and
 * its slot was recycled: a gap, never a duplicate; or past a NO CYCLE
 * limit, which serves nothing anyway); or a limit error.
 */
static int serve_foreign(struct numseq *s, uint64_t pre, const struct epoch *pe, uint64_t w,
                         int64_t *out, uint64_t *epoch_of_ticket, numseq_error_t *err)
{
	uint64_t tag = word_tag(w), t = word_ticket(w), R = s->rebase_at;
	struct slot *d = &s->slots[tag % NSLOT];
	struct epoch e;
	uint64_t ge = atomic_load_explicit(&d->gen, memory_order_acquire);
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	unsigned steps = 0;

	/* An ALTER epoch being computed: wait for its writer (acquire pairs
	 * with slot_write's release store of gen). */
	while (ge == SLOT_PENDING) {
		wait_step(&backoff, &steps);
		ge = atomic_load_explicit(&d->gen, memory_order_acquire);
	}

	/* The ticket's epoch x satisfies x > pre, x == tag (mod 2^20) and
	 * x <= ge (the slot held x before the word did).  If also
	 * ge < pre + 2^20 then x == ge: the only candidate in the window. */
	if (ge != SLOT_BUSY && (ge & TAG_MASK) == tag && ge > pre && ge - pre <= TAG_MASK) {
		slot_read(d, &e);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) == ge) {
			*epoch_of_ticket = ge;
			if (t >= R)
				return 2; /* void ticket: rebase, then retry */
			if (t >= e.n1 && !e.p.cycle)
				return limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min,
				                   err);
			*out = ticket_value(e.first, e.p.inc, e.n1, e.wrap, e.lap, t);
			return 1;
		}
	}

	/* Recycled.  x <= cur_gen + 1 (cur_gen was x-1 before the switch to
	 * x, which our acquire draw saw), so within the window x is
	 * pre + ((tag - pre) mod 2^20).  user_gen was stored before the
	 * switch of every setval/restart/alter epoch, so user_gen <= pre
	 * proves that all epochs in (pre, x] only continue their predecessor
	 * (rebases, oversized blocks): ticket t of x is then ticket
	 * pos(x) - pos(pre) + t of pre, from pre's snapshot. */
	{
		/* acquire: after the draw, like ticket_is_epoch's window. */
		uint64_t c = atomic_load_explicit(&s->cur_gen, memory_order_acquire);
		uint64_t u = atomic_load_explicit(&s->user_gen, memory_order_acquire);
		uint64_t x = pre + ((tag - pre) & TAG_MASK), tp, px, ppre;
		if (u > pre || c + 1 - pre > TAG_MASK || x > c + 1 || t >= R ||
		    !pos_read(s, x, &px) || !pos_read(s, pre, &ppre))
			return 0;
		tp = px - ppre + t;
		/* Positions stay below COUNT_CAP (install, take_block_slow), so
		 * the snapshot's capped n1 and lap are exact for any tp below it. */
		if (tp >= COUNT_CAP)
			return 0;
		if (tp >= pe->n1 && !pe->p.cycle)
			return 0;
		*out = ticket_value(pe->first, pe->p.inc, pe->n1, pe->wrap, pe->lap, tp);
		return 1;
	}
}

/*
 * A ticket drawn with epoch g's tag (fetch_add or CAS) after a consistent
 * snapshot of slot g: is it epoch g's?  Its epoch x satisfies x >= g and
 * x == g (mod 2^20).  If slot g still holds g, no epoch g + k*2^20 can have
 * been installed (it would have rewritten this slot first): x == g.  If
 * the slot was recycled meanwhile, x <= cur_gen + 1 (the word carried x
 * before we loaded cur_gen), so fewer than 2^20 epochs since g also
 * prove x == g, and the snapshot taken before the draw serves the ticket.
 */
static inline bool ticket_is_epoch(struct numseq *s, const struct slot *d, uint64_t g)
{
	if (atomic_load_explicit(&d->gen, memory_order_acquire) == g)
		return true;
	/* acquire: orders this load after the draw (already seq_cst). */
	return atomic_load_explicit(&s->cur_gen, memory_order_acquire) + 1 - g <= TAG_MASK;
}

/*
 * A block too large for the current epoch's remaining ticket room (the
 * next rebase point): taken as a writer, at the exact closing ticket, so
 * that it is never cut short except by the bound.  Readers wait for it
 * only while it is PENDING (a few hundred nanoseconds).
 */
static __attribute__((noinline)) int take_block_slow(struct numseq *s, uint64_t k,
                                                     numseq_block_t *b, uint64_t *cgen,
                                                     numseq_error_t *err)
{
	struct epoch e, from, ne;
	uint64_t w, served, g, pos;
	int64_t last;
	bool called, brk;
	int rc = NUMSEQ_OK;

	pthread_mutex_lock(&s->wlock);
	g = writer_current(s, &e, &w, &served);
	/* A new chain of positions if this block could take them to
	 * COUNT_CAP (decided before the switch: user_gen must precede it). */
	pos = pos_current(s, g);
	brk = pos > COUNT_CAP - s->rebase_at || k > COUNT_CAP - s->rebase_at - pos;
	served = pending_begin(s, g, false, brk);
	pos = brk ? 0 : pos + served;
	epoch_state(&e, served, &last, &called);
	/* The values from here on, as an epoch: its first value starts the
	 * block, which runs to the bound (or the end of the lap). */
	epoch_init(&from, last, called, &e.p);
	from.cgen = e.cgen;
	from.dcap = carry_dcap(&e, served);
	if (from.n1 == 0) {
		rc = limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min, err);
		ne = from;
	} else {
		uint64_t avail = count_to_bound_sat(from.first, &e.p);
		uint64_t m = k < avail ? k : avail;
		b->first = from.first;
		b->step = e.p.inc;
		b->count = m;
		*cgen = e.cgen;
		epoch_init(&ne, u2i((uint64_t)from.first + (m - 1) * (uint64_t)e.p.inc), true,
		           &e.p);
		ne.cgen = e.cgen;
		ne.dcap = carry_dcap(&e, served + m);
		if (!brk)
			pos += m;
	}
	pending_end(s, g, &ne, pos, false);
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

/* Takes up to k tickets of the current epoch without crossing a limit
 * (CAS).  Lock-free: a failed CAS means another thread drew a ticket. */
static int take_block(struct numseq *s, uint64_t k, numseq_block_t *b, uint64_t *cgen,
                      numseq_error_t *err)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	for (;;) {
		struct epoch e;
		uint64_t w, t, avail, m, g;
		struct slot *d;

		g = read_current(s, &e, &w);
		d = slot_for(s, g);
		t = word_ticket(w);
		if (t >= s->rebase_at) {
			rebase(s, g);
			continue;
		}
		avail = run_left(e.n1, e.lap, e.p.cycle, t);
		if (avail == 0)
			return limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min, err);
		m = k < avail ? k : avail;
		if (e.dcap != UINT64_MAX) {
			/* Journal: the block stops at the durable reservation. */
			if (t >= e.dcap) {
				int rc = wait_durable(s, g, t, err);
				if (rc < 0)
					return rc;
				continue;
			}
			if (m > e.dcap - t)
				m = e.dcap - t;
			if (m > s->rebase_at - t)
				m = s->rebase_at - t;
			if (t + m + s->window / 2 >= e.dcap)
				kick_reserver(s);
		}
		if (m > s->rebase_at - t)
			return take_block_slow(s, k, b, cgen, err);
		/* seq_cst as nextval's fetch_add (acquire is what pairs); the
		 * release half keeps the writer's release sequence intact. */
		if (!atomic_compare_exchange_weak_explicit(&s->word, &w, w + m,
		                                           memory_order_seq_cst,
		                                           memory_order_relaxed)) {
			ck_backoff_eb(&backoff);
			continue;
		}
		if (!ticket_is_epoch(s, d, g))
			continue; /* 2^20 epochs meanwhile: the block is a gap */
		b->first = ticket_value(e.first, e.p.inc, e.n1, e.wrap, e.lap, t);
		b->step = e.p.inc;
		b->count = m;
		*cgen = e.cgen;
		return NUMSEQ_OK;
	}
}

/* Serves v as this thread's nextval result: currval and lastval. */
static inline int serve(struct numseq__sess_ent *se, int64_t v, int64_t *out)
{
	se->currval = v;
	se->has_currval = true;
	if (numseq__tls.last != se)
		numseq__set_last(se);
	*out = v;
	return NUMSEQ_OK;
}

/* cache_take while a RESTART/ALTER is switching (cache_gen odd): wait for
 * its outcome, a few hundred nanoseconds (a failed ALTER restores the old
 * value and the block stays valid). */
static __attribute__((noinline)) uint64_t cache_gen_settled(struct numseq *s)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	unsigned steps = 0;
	uint64_t cg;
	while ((cg = atomic_load_explicit(&s->cache_gen, memory_order_seq_cst)) & 1)
		wait_step(&backoff, &steps);
	return cg;
}

/*
 * CACHE > 1: serves the next value of the block this thread cached (left
 * > 0), if it is still valid: cache_gen equals the cgen of the block's
 * epoch, i.e. no RESTART/ALTER has begun since.  No shared write.
 * seq_cst: see switch_word (a plain load on x86 and arm64).  Updates
 * currval, not lastval (the callers do).  false: the block is dropped.
 */
static inline bool cache_take(struct numseq *s, struct numseq__sess_ent *se, int64_t *out)
{
	uint64_t cg = atomic_load_explicit(&s->cache_gen, memory_order_seq_cst);
	if (__builtin_expect((cg & 1) != 0, 0))
		cg = cache_gen_settled(s);
	if (cg != se->cache_gen) {
		se->left = 0;
		return false;
	}
	*out = se->next;
	se->currval = se->next;
	se->has_currval = true;
	se->left--;
	se->next = u2i((uint64_t)se->next + (uint64_t)se->step);
	return true;
}

/* CACHE > 1, no valid cached value: refill the thread's block. */
static int nextval_refill(struct numseq *s, struct numseq__sess_ent *se, uint64_t cache,
                          int64_t *out, numseq_error_t *err)
{
	/* Zeroed for the static analyzer only: take_block fills both when it
	 * returns NUMSEQ_OK, and the analyzer cannot see that its error path
	 * (numseq__fail, another file) never returns NUMSEQ_OK. */
	numseq_block_t b = {0};
	uint64_t cg = 0;
	int rc;
	/* While a RESTART/ALTER is switching (cache_gen odd), any block taken
	 * now is dropped at the next call: take one value, not a block whose
	 * rest would be a gap (this matters when the writer is descheduled
	 * inside its switch). */
	if (atomic_load_explicit(&s->cache_gen, memory_order_relaxed) & 1)
		cache = 1;
	rc = take_block(s, cache, &b, &cg, err);
	if (rc != NUMSEQ_OK)
		return rc;
	/* The block's own epoch's cgen: its rest is served from the cache
	 * while no RESTART/ALTER has begun since that epoch (numseq_alter). */
	se->cache_gen = cg;
	se->next = u2i((uint64_t)b.first + (uint64_t)b.step);
	se->step = b.step;
	se->left = b.count - 1;
	return serve(se, b.first, out);
}

static int nextval_args(numseq_t *s, const int64_t *out, numseq_error_t *err)
{
	if (!handle_ok(s))
		return bad_handle(err, "nextval");
	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "nextval: output pointer is NULL");
	return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
}

/*
 * The general nextval: every case (CYCLE, CACHE, limits, foreign tickets,
 * rebase).  The whole epoch is read before the draw, so a ticket is always
 * served from a consistent snapshot (see ticket_is_epoch).
 */
static __attribute__((noinline)) int nextval_full(struct numseq *s, struct numseq__sess_ent *se,
                                                  int64_t *out, numseq_error_t *err)
{
	for (;;) {
		struct epoch e;
		struct slot *d;
		uint64_t g, w, t;
		int64_t v = 0;

		g = atomic_load_explicit(&s->cur_gen, memory_order_acquire);
		d = slot_for(s, g);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue;
		slot_read(d, &e);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue;
		if (e.p.cache > 1)
			return nextval_refill(s, se, (uint64_t)e.p.cache, out, err);

		/* The linearization point; see numseq_nextval. */
		w = atomic_fetch_add_explicit(&s->word, 1, memory_order_seq_cst);
		t = word_ticket(w);
		if (word_tag(w) == (g & TAG_MASK)) {
			if (!ticket_is_epoch(s, d, g))
				continue; /* 2^20 epochs meanwhile: a gap */
			if (t >= s->rebase_at) {
				rebase(s, g);
				continue;
			}
			if (t >= e.n1 && !e.p.cycle)
				return limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min,
				                   err);
			v = ticket_value(e.first, e.p.inc, e.n1, e.wrap, e.lap, t);
		} else {
			uint64_t eg = g;
			int r = serve_foreign(s, g, &e, w, &v, &eg, err);
			if (r == 0)
				continue;
			if (r == 2) {
				rebase(s, eg);
				continue;
			}
			if (r < 0)
				return r;
		}
		return serve(se, v, out);
	}
}

/*
 * Everything before the draw that the hot path leaves out: argument
 * checks, the first call of a thread, a sequence other than the one this
 * thread used last (its session entry is found or added here, before any
 * draw, so an allocation failure never loses a number), cached values.
 */
static inline __attribute__((always_inline)) int
draw_hot(struct numseq *s, struct numseq__sess_ent *se, int64_t *out, numseq_error_t *err);

static int nextval_slow(struct numseq *s, struct numseq__sess_ent *se, int64_t *out,
                        numseq_error_t *err);

static __attribute__((noinline)) int nextval_cold(numseq_t *s, int64_t *out, numseq_error_t *err)
{
	struct numseq__sess *ss;
	struct numseq__sess_ent *se;

	/* A sequence with a bitmap or a journal, used last by this thread:
	 * no lookup. */
	if (s != NULL && s->magic == NUMSEQ_MAGIC_SLOW && out != NULL &&
	    numseq__tls.last_id == s->id)
		return nextval_slow(s, numseq__tls.last, out, err);
	if (!handle_ok(s) || out == NULL || (ss = numseq__sess_get()) == NULL)
		return nextval_args(s, out, err);
	se = numseq__tls.last;
	if (se == NULL || se->id != s->id) {
		se = numseq__sess_find(ss, s->id, true);
		if (se == NULL)
			return nextval_args(s, out, err);
	}
	if (s->magic == NUMSEQ_MAGIC_SLOW)
		return nextval_slow(s, se, out, err);
	return numseq__draw(s, se, out, err);
}

struct numseq__claims *numseq__claims_of(numseq_t *s, const char *fn, int *rc, numseq_error_t *err)
{
	if (!handle_ok(s)) {
		*rc = bad_handle(err, fn);
		return NULL;
	}
	if (s->cl == NULL) {
		*rc = numseq__fail(err, NUMSEQ_ENOCLAIMS, NUMSEQ__SQLSTATE_STATE,
		                   "%s: sequence \"%s\" has no claimed-number bitmap", fn, s->name);
		return NULL;
	}
	return s->cl;
}

/* The hot path's draw was not the plain case: a ticket of a newer epoch,
 * past the limit, void (>= rebase_at), or in a recycled slot. */
static int straddle_durable(struct numseq *s, struct numseq__sess_ent *se, uint64_t g, uint64_t w,
                            int64_t first, int64_t inc, int64_t *out, numseq_error_t *err);

static __attribute__((noinline)) int nextval_straddle(struct numseq *s, struct numseq__sess_ent *se,
                                                      uint64_t g, uint64_t w, int64_t first,
                                                      int64_t inc, uint64_t n1, int64_t *out,
                                                      numseq_error_t *err)
{
	int64_t v = 0;
	if (s->j != NULL)
		return straddle_durable(s, se, g, w, first, inc, out, err);
	if (word_tag(w) != (g & TAG_MASK)) {
		/* The mirror only shows NO CYCLE epochs (fast != 0). */
		struct epoch pe = {.first = first, .n1 = n1, .p = {.inc = inc, .cycle = false}};
		uint64_t eg = g;
		int r = serve_foreign(s, g, &pe, w, &v, &eg, err);
		if (r == 2)
			rebase(s, eg);
		if (r < 0)
			return r;
		if (r == 1)
			return serve(se, v, out);
	} else if (word_ticket(w) >= s->rebase_at) {
		rebase(s, g);
	}
	/* Past the limit (the ticket served nothing), void, or a gap only a
	 * concurrent setval/restart/alter can cause: draw again. */
	return nextval_full(s, se, out, err);
}

/*
 * The common case, kept small: NO CYCLE, CACHE 1, the sequence this thread
 * used last, a ticket below the limit.  Reads the mirror between two
 * checks of mgen, draws, and serves first + t*inc; everything else is out
 * of line (nextval_cold before the draw, nextval_straddle after it).
 */
static inline __attribute__((always_inline)) int
draw_hot(struct numseq *s, struct numseq__sess_ent *se, int64_t *out, numseq_error_t *err)
{
	uint64_t g, w, t, fast, n1;
	int64_t first, inc, v;

	/* Snapshot the mirror: gen, fields, gen (acquire: pairs with
	 * mirror_show's release stores). */
	g = atomic_load_explicit(&s->mgen, memory_order_acquire);
	first = atomic_load_explicit(&s->mfirst, memory_order_acquire);
	inc = atomic_load_explicit(&s->minc, memory_order_acquire);
	fast = atomic_load_explicit(&s->mfast, memory_order_acquire);
	n1 = atomic_load_explicit(&s->mn1, memory_order_acquire);
	/* clang-format off */
	if (__builtin_expect(atomic_load_explicit(&s->mgen, memory_order_acquire) != g ||
	                     g == SLOT_BUSY || fast == 0, 0)) {
		/* clang-format on */
		/* CACHE > 1 (fast is 0 then): the thread's cached block.  With
		 * CACHE 1 left is 0, or stale from an earlier CACHE and invalid
		 * by cache_gen. */
		if (se->left > 0 && cache_take(s, se, out))
			return NUMSEQ_OK; /* numseq__tls.last is se (callers) */
		/* CYCLE, CACHE, limit, or a writer; a journal's own path. */
		return s->j != NULL ? draw_durable(s, se, out, err) : nextval_full(s, se, out, err);
	}

	/* The linearization point.  Acquire, so that a ticket of a newer
	 * epoch comes with that epoch's slot (the writer's switch is a
	 * release, and every later RMW continues its release sequence); and
	 * seq_cst, so that draws, switches and cache_gen's bumps share one
	 * total order (switch_word).  On x86 and arm64 (LSE ldaddal) this is
	 * the same instruction as acq_rel. */
	w = atomic_fetch_add_explicit(&s->word, 1, memory_order_seq_cst);
	t = word_ticket(w);
	/* Epoch g's ticket iff mgen is still g: a newer epoch's writer hid
	 * the mirror before its switch, which our acquire draw has seen.
	 * Failing that, ticket_is_epoch's window argument applies. */
	/* clang-format off */
	if (__builtin_expect(word_tag(w) != (g & TAG_MASK) || t >= fast ||
	                     (atomic_load_explicit(&s->mgen, memory_order_acquire) != g &&
	                      atomic_load_explicit(&s->cur_gen, memory_order_acquire) + 1 - g > TAG_MASK), 0))
		/* clang-format on */
		return nextval_straddle(s, se, g, w, first, inc, n1, out, err);
	v = u2i((uint64_t)first + t * (uint64_t)inc);
	se->currval = v; /* numseq__tls.last is se (callers) */
	se->has_currval = true;
	*out = v;
	return NUMSEQ_OK;
}

int numseq_nextval(numseq_t *s, int64_t *out, numseq_error_t *err)
{
	/* The entry of the sequence this thread's last nextval touched: if it
	 * is s's (compared by id, kept beside it in TLS, so no pointer chase
	 * before the draw), no table lookup and no allocation is needed.  A
	 * sequence with a bitmap has another magic and takes nextval_cold. */
	if (__builtin_expect(s == NULL || s->magic != NUMSEQ_MAGIC || out == NULL ||
	                             numseq__tls.last_id != s->id,
	                     0))
		return nextval_cold(s, out, err);
	return draw_hot(s, numseq__tls.last, out, err);
}

/* For the SEQUENCE claims policy: the same draw as numseq_nextval's. */
int numseq__draw(numseq_t *s, struct numseq__sess_ent *se, int64_t *out, numseq_error_t *err)
{
	int rc = s->j != NULL ? draw_durable(s, se, out, err) : draw_hot(s, se, out, err);
	/* lastval moves on success only, as in PostgreSQL. */
	if (rc == NUMSEQ_OK && numseq__tls.last != se)
		numseq__set_last(se);
	return rc;
}

int numseq_nextval_n(numseq_t *s, uint64_t k, numseq_block_t *out, numseq_error_t *err)
{
	struct numseq__sess *ss;
	struct numseq__sess_ent *se;
	int64_t last;
	uint64_t cg;
	int rc;
	if (!handle_ok(s))
		return bad_handle(err, "nextval_n");
	if (out == NULL || k == 0)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    out == NULL ? "nextval_n: output pointer is NULL"
		                                : "nextval_n: k must be at least 1");
	if (s->cl != NULL)
		return numseq__fail(err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
		                    "nextval_n: not available for sequence \"%s\": a block cannot "
		                    "skip claimed numbers",
		                    s->name);
	ss = numseq__sess_get();
	se = ss != NULL ? numseq__sess_find(ss, s->id, true) : NULL;
	if (se == NULL)
		return numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM, "out of memory");
	rc = take_block(s, k, out, &cg, err);
	if (rc == NUMSEQ_OK)
		(void)serve(se, u2i((uint64_t)out->first + (out->count - 1) * (uint64_t)out->step),
		            &last);
	return rc;
}

int numseq_currval(numseq_t *s, int64_t *out, numseq_error_t *err)
{
	struct numseq__sess *ss = numseq__tls.ss;
	const struct numseq__sess_ent *se;
	if (!handle_ok(s))
		return bad_handle(err, "currval");
	if (out == NULL)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "currval: output pointer is NULL");
	se = ss != NULL ? numseq__sess_find(ss, s->id, false) : NULL;
	if (se == NULL || !se->has_currval)
		return numseq__fail(err, NUMSEQ_ECURRVAL, NUMSEQ__SQLSTATE_STATE,
		                    "currval of sequence \"%s\" is not yet defined in this session",
		                    s->name);
	*out = se->currval;
	return NUMSEQ_OK;
}

int numseq_read(numseq_t *s, int64_t *last_value, bool *is_called)
{
	struct epoch e;
	uint64_t w, t;
	int64_t last;
	bool called;
	if (!handle_ok(s) || last_value == NULL || is_called == NULL)
		return NUMSEQ_EINVAL;
	if (s->cl != NULL && numseq__claims_read(s->cl, last_value, is_called))
		return NUMSEQ_OK;
	(void)read_current(s, &e, &w);
	t = served_tickets(s, word_ticket(w));
	/* Journal: tickets past the reservation were not handed out. */
	epoch_state(&e, t < e.dcap ? t : e.dcap, &last, &called);
	*last_value = last;
	*is_called = called;
	return NUMSEQ_OK;
}

int numseq_get_options(numseq_t *s, numseq_options_t *out)
{
	struct epoch e;
	uint64_t w;
	if (!handle_ok(s) || out == NULL)
		return NUMSEQ_EINVAL;
	(void)read_current(s, &e, &w);
	memset(out, 0, sizeof *out);
	out->set = NUMSEQ_OPT_TYPE | NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	           NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME |
	           NUMSEQ_OPT_CLAIMS;
	out->type = e.p.type;
	out->start = e.p.start;
	out->increment = e.p.inc;
	out->minvalue = e.p.min;
	out->maxvalue = e.p.max;
	out->cache = e.p.cache;
	out->cycle = e.p.cycle;
	out->name = s->name;
	if (s->cl != NULL)
		numseq__claims_options(s->cl, out);
	return NUMSEQ_OK;
}

/* ---------------------------------------------------------- test hooks */

int numseq__set_rebase_at(numseq_t *s, uint64_t rebase_at)
{
	struct epoch e, ne;
	uint64_t w, g, served;
	int64_t last;
	bool called;
	if (!handle_ok(s) || rebase_at == 0 || rebase_at > REBASE_DEFAULT)
		return NUMSEQ_EINVAL;
	pthread_mutex_lock(&s->wlock);
	/* Continue from the tickets served under the old rebase_at, in a new
	 * epoch (never rewrite a live slot in place: gens must only grow). */
	g = writer_current(s, &e, &w, &served);
	epoch_state(&e, served, &last, &called);
	s->rebase_at = rebase_at;
	epoch_init(&ne, last, called, &e.p);
	ne.cgen = e.cgen;
	ne.dcap = carry_dcap(&e, served);
	install(s, g, &ne, true);
	pthread_mutex_unlock(&s->wlock);
	return NUMSEQ_OK;
}

uint64_t numseq__epoch(numseq_t *s)
{
	if (!handle_ok(s))
		return 0;
	return atomic_load_explicit(&s->cur_gen, memory_order_acquire);
}

/* ---------------------------------------------------------------- journal */

/* nextval of a sequence with a bitmap or a journal (magic SLOW). */
static int nextval_slow(struct numseq *s, struct numseq__sess_ent *se, int64_t *out,
                        numseq_error_t *err)
{
	int64_t v = 0;
	int rc;
	if (s->cl != NULL && s->cl_policy != NUMSEQ_CLAIMS_SEQUENCE)
		return numseq__claims_nextval(s, s->cl, se, out, err);
	rc = s->j != NULL ? draw_durable(s, se, &v, err) : draw_hot(s, se, &v, err);
	if (rc != NUMSEQ_OK)
		return rc;
	/* lastval moves with a successful draw (a SEQUENCE conflict consumes
	 * the value, as PostgreSQL's nextval before a failed INSERT). */
	if (numseq__tls.last != se)
		numseq__set_last(se);
	if (s->cl != NULL)
		return numseq__claims_mark(s, s->cl, se, v, out, err);
	*out = v;
	return NUMSEQ_OK;
}

/* Wakes the reservation thread (at most one pending kick: the flag keeps
 * nextval off xmu while one is pending). */
static void kick_reserver(struct numseq *s)
{
	/* relaxed: a hint; the mutex orders the kick itself. */
	if (atomic_load_explicit(&s->xkicked, memory_order_relaxed) ||
	    atomic_exchange_explicit(&s->xkicked, true, memory_order_relaxed))
		return;
	pthread_mutex_lock(&s->xmu);
	s->xkick = true;
	pthread_cond_signal(&s->xcv);
	pthread_mutex_unlock(&s->xmu);
}

/*
 * Extends the current epoch's durable reservation by `window` tickets past
 * its end (or past the tickets drawn, when threads wait beyond it), with
 * wlock held: a RESERVE record with the state reached so far (where a
 * crash's gap would begin) and the state at the new end, synced, then dcap
 * raised in place.  Each fdatasync thus buys a whole window, and the
 * reservation ahead of the draws stays between half a window and one and a
 * half (a crash skips at most that, plus the tickets of waiting threads).
 * Returns 1 when it extended and the draws are again within half a window
 * of the new end (call again at once: they outran the fdatasync), 0 when
 * nothing more is needed, or an error.
 */
/* The mirror shows epoch g (wlock held): its hot-path bound follows a
 * raised dcap, in place.  A nextval that read the old bound only takes the
 * general path more often; one that reads the new bound also sees the
 * raised dcap (both release stores, slot first). */
static void raise_mirror(struct numseq *s, uint64_t g, const struct epoch *e, uint64_t dcap,
                         bool full)
{
	struct epoch ne = *e;
	/* relaxed: wlock held, writers are the only ones to change mgen. */
	if (atomic_load_explicit(&s->mgen, memory_order_relaxed) != g)
		return;
	ne.dcap = dcap;
	atomic_store_explicit(&s->mfast, mirror_fast_at(s, &ne, full), memory_order_release);
}

static int reserve_locked(struct numseq *s, numseq_error_t *err)
{
	struct epoch e;
	uint64_t w, served, g, target, from;
	int64_t fl, tl;
	bool fc, tc;
	int rc;
	g = writer_current(s, &e, &w, &served);
	if (e.dcap == UINT64_MAX)
		return NUMSEQ_OK;
	if (served + s->window / 2 < e.dcap)
		return NUMSEQ_OK; /* still more than half a window ahead */
	from = served < e.dcap ? served : e.dcap;
	target = (served > e.dcap ? served : e.dcap) + s->window;
	epoch_state(&e, from, &fl, &fc);
	epoch_state(&e, target, &tl, &tc);
	/* While the fdatasync runs, the hot path may go on up to the cap. */
	raise_mirror(s, g, &e, e.dcap, true);
	rc = numseq__j_reserve(s->j, fl, fc, tl, tc, err);
	if (rc != NUMSEQ_OK)
		return rc;
	/* release: pairs with the acquire loads of dcap in the draws; the
	 * slot is g's for as long as wlock is held. */
	atomic_store_explicit(&slot_for(s, g)->dcap, target, memory_order_release);
	raise_mirror(s, g, &e, target, false);
	(void)writer_current(s, &e, &w, &served);
	return served + s->window / 2 >= target ? 1 : 0;
}

static void *reserver_main(void *arg)
{
	struct numseq *s = arg;
	pthread_mutex_lock(&s->xmu);
	for (;;) {
		while (!s->xkick && !s->xstop)
			pthread_cond_wait(&s->xcv, &s->xmu);
		if (s->xstop)
			break;
		s->xkick = false;
		pthread_mutex_unlock(&s->xmu);
		/* Back to back while the draws keep up with the fdatasyncs; a
		 * failure marks the journal failed (waiters see it). */
		for (int more = 1; more == 1;) {
			pthread_mutex_lock(&s->wlock);
			more = reserve_locked(s, NULL);
			pthread_mutex_unlock(&s->wlock);
			pthread_mutex_lock(&s->xmu);
			pthread_cond_broadcast(&s->dcv);
			pthread_mutex_unlock(&s->xmu);
		}
		atomic_store_explicit(&s->xkicked, false, memory_order_relaxed);
		pthread_mutex_lock(&s->xmu);
	}
	pthread_mutex_unlock(&s->xmu);
	return NULL;
}

/* nextval past the durable cap after the journal failed (or while the
 * sequence closes).  Below the cap values are still served: a synced
 * reservation covers them.  An epoch whose writer record failed has cap 0
 * (journal_switch, the PENDING ALTER path): that record may still reach
 * the disk, and its state could then be behind any value served after it
 * (P6, docs/durability.md). */
static int journal_refused(const struct numseq *s, numseq_error_t *err)
{
	return numseq__fail(err, NUMSEQ_EFAILED, NUMSEQ__SQLSTATE_STATE,
	                    "nextval: the journal of sequence \"%s\" failed; reopen it", s->name);
}

/*
 * A ticket of a newer epoch than the one read before the draw (a writer
 * switched meanwhile): wait while that epoch is PENDING (an ALTER writing
 * its journal record), then serve it from its slot under that epoch's own
 * durable cap.  1: served (*v); 0: a gap (slot recycled, void ticket);
 * or an error.  Without this, every draw during an ALTER's fdatasync
 * would throw a number away and draw again, millions per ALTER.
 */
static int durable_foreign(struct numseq *s, uint64_t pre, uint64_t w, int64_t *v,
                           numseq_error_t *err)
{
	uint64_t tag = word_tag(w), t = word_ticket(w), ge, dcap;
	struct slot *d = &s->slots[tag % NSLOT];
	struct epoch e;
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	unsigned steps = 0;
	/* acquire: pairs with slot_write's release store of gen. */
	while ((ge = atomic_load_explicit(&d->gen, memory_order_acquire)) == SLOT_PENDING)
		wait_step(&backoff, &steps);
	if (ge == SLOT_BUSY || (ge & TAG_MASK) != tag || ge <= pre || ge - pre > TAG_MASK)
		return 0;
	slot_read(d, &e);
	dcap = atomic_load_explicit(&d->dcap, memory_order_acquire);
	if (atomic_load_explicit(&d->gen, memory_order_acquire) != ge)
		return 0;
	if (t >= s->rebase_at) {
		rebase(s, ge);
		return 0;
	}
	if (t >= e.n1 && !e.p.cycle)
		return limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min, err);
	if (t >= dcap) {
		int rc = wait_durable(s, ge, t, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	*v = ticket_value(e.first, e.p.inc, e.n1, e.wrap, e.lap, t);
	return 1;
}

/*
 * Ticket t of epoch g is past the durable reservation: sleep until the
 * reservation thread covers it.  0: covered; 1: epoch g was superseded
 * (a writer switched epochs; the ticket is a gap, never served);
 * NUMSEQ_EFAILED: the journal failed, the ticket is never served.
 */
static int wait_durable(struct numseq *s, uint64_t g, uint64_t t, numseq_error_t *err)
{
	struct slot *d = slot_for(s, g);
	int rc = NUMSEQ_OK;
	pthread_mutex_lock(&s->xmu);
	for (;;) {
		if (numseq__j_failed(s->j) || s->xstop) {
			rc = journal_refused(s, err);
			break;
		}
		/* acquire: pairs with reserve_locked's release store. */
		if (atomic_load_explicit(&d->dcap, memory_order_acquire) > t &&
		    atomic_load_explicit(&d->gen, memory_order_acquire) == g)
			break;
		if (atomic_load_explicit(&s->cur_gen, memory_order_acquire) != g ||
		    atomic_load_explicit(&d->gen, memory_order_acquire) != g) {
			rc = 1;
			break;
		}
		s->xkick = true;
		pthread_cond_signal(&s->xcv);
		pthread_cond_wait(&s->dcv, &s->xmu);
	}
	pthread_mutex_unlock(&s->xmu);
	return rc;
}

/*
 * nextval of a journaled sequence: as nextval_full, plus the durable
 * reservation.  A ticket past dcap waits (sleeping) for the reservation
 * thread; a ticket of a superseded epoch is dropped as a gap rather than
 * served from an older slot (serve_foreign), since that epoch's
 * reservation no longer grows.  Kicks the reservation thread once half
 * the window is used, so that threads rarely wait.
 */
static int draw_durable(struct numseq *s, struct numseq__sess_ent *se, int64_t *out,
                        numseq_error_t *err)
{
	if (se->left > 0 && cache_take(s, se, out))
		return NUMSEQ_OK;
	for (;;) {
		struct epoch e;
		struct slot *d;
		uint64_t g, w, t, dcap;
		int64_t v = 0;

		g = atomic_load_explicit(&s->cur_gen, memory_order_acquire);
		d = slot_for(s, g);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue;
		slot_read(d, &e);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue;
		if (e.p.cache > 1)
			return nextval_refill(s, se, (uint64_t)e.p.cache, out, err);
		/* The linearization point, as in numseq_nextval. */
		w = atomic_fetch_add_explicit(&s->word, 1, memory_order_seq_cst);
		t = word_ticket(w);
		if (word_tag(w) != (g & TAG_MASK)) {
			int r = durable_foreign(s, g, w, &v, err);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			return serve(se, v, out);
		}
		if (!ticket_is_epoch(s, d, g))
			continue; /* 2^20 epochs meanwhile: a gap */
		if (t >= s->rebase_at) {
			rebase(s, g);
			continue;
		}
		if (t >= e.n1 && !e.p.cycle)
			return limit_error(s, e.p.inc > 0, e.p.inc > 0 ? e.p.max : e.p.min, err);
		dcap = atomic_load_explicit(&d->dcap, memory_order_acquire);
		if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
			continue; /* slot recycled: a gap */
		if (t >= dcap) {
			int rc = wait_durable(s, g, t, err);
			if (rc < 0)
				return rc;
			if (rc == 1)
				continue;
		} else if (t + s->window / 2 >= dcap) {
			kick_reserver(s);
		}
		return serve(se, ticket_value(e.first, e.p.inc, e.n1, e.wrap, e.lap, t), out);
	}
}

/* Frees a sequence's memory (destroy and close). */
static void free_sequence(struct numseq *s)
{
	numseq__live_del(s->id);
	s->magic = 0;
	numseq__claims_destroy(s->cl);
	pthread_mutex_destroy(&s->wlock);
	free(s);
}

struct open_ctx {
	struct numseq *s;
};

static int replay_options(void *ctx, const numseq_options_t *o, numseq_error_t *err)
{
	struct open_ctx *c = ctx;
	numseq_options_t oo;
	if (c->s != NULL)
		return NUMSEQ_OK; /* created from the caller's options (same fingerprint) */
	oo = *o;
	oo.set &= ~(unsigned)(NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH);
	return numseq_create(&c->s, &oo, err);
}

static int replay_claims(void *ctx, int64_t first, uint64_t count, bool claimed)
{
	struct open_ctx *c = ctx;
	if (c->s == NULL || c->s->cl == NULL)
		return NUMSEQ_ECORRUPT;
	return numseq__claims_replay(c->s->cl, first, count, claimed);
}

/* The state recovered, with its first reservation (before the sequence is
 * shared: wlock for form's sake). */
static int journal_start(struct numseq *s, int64_t last, bool called, numseq_error_t *err)
{
	struct epoch e, ne;
	uint64_t w, served, g;
	int64_t tl;
	bool tc;
	int rc;
	pthread_mutex_lock(&s->wlock);
	g = writer_current(s, &e, &w, &served);
	epoch_init(&ne, last, called, &e.p);
	ne.cgen = e.cgen;
	reservation_end(s, &ne, &tl, &tc);
	rc = numseq__j_reserve(s->j, last, called, tl, tc, err);
	if (rc == NUMSEQ_OK) {
		ne.dcap = s->window;
		install(s, g, &ne, true);
	}
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

int numseq_open(numseq_t **out, const char *path, unsigned flags, const numseq_options_t *o,
                const numseq_journal_options_t *jo, numseq_error_t *err)
{
	return numseq__open_io(out, path, flags, o, jo, NULL, err);
}

int numseq__open_io(numseq_t **out, const char *path, unsigned flags, const numseq_options_t *o,
                    const numseq_journal_options_t *jo, struct numseq__jio *io, numseq_error_t *err)
{
	struct open_ctx ctx = {NULL};
	struct numseq__jreplay rp = {&ctx, replay_options, replay_claims};
	struct numseq__jopened res;
	struct numseq__journal *j = NULL;
	numseq_options_t ro;
	uint64_t window = jo != NULL ? jo->window : 0; /* 0: the journal's own */
	int rc;

	if (out == NULL || path == NULL || path[0] == '\0' ||
	    (flags & ~(unsigned)(NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL)) != 0)
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "numseq_open: output pointer, path or flags invalid");
	*out = NULL;
	if (window > (UINT64_C(1) << 32))
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "numseq_open: window %llu is larger than 2^32",
		                    (unsigned long long)window);
	if (o != NULL) {
		/* PostgreSQL's validation first, with its messages. */
		rc = numseq_create(&ctx.s, o, err);
		if (rc != NUMSEQ_OK)
			return rc;
		memset(&ro, 0, sizeof ro);
		(void)numseq_get_options(ctx.s, &ro);
		ro.set |= o->set & (NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH);
		ro.restart = o->restart;
	}
	if (ctx.s != NULL && ctx.s->cl_policy == NUMSEQ_CLAIMS_SEQUENCE) {
		/* Not yet: a number drawn but not yet marked (in flight, or in a
		 * thread's cached block) is in neither the bitmap nor, after a
		 * compaction, a reservation record (docs/durability.md). */
		free_sequence(ctx.s);
		return numseq__fail(
			err, NUMSEQ_EPOLICY, NUMSEQ__SQLSTATE_FEATURE,
			"numseq_open: the SEQUENCE claims policy cannot be journaled yet");
	}
	memset(&res, 0, sizeof res);
	rc = numseq__j_open(&j, path, flags, o != NULL ? &ro : NULL, window, io, &rp, &res, err);
	if (rc != NUMSEQ_OK) {
		if (ctx.s != NULL)
			free_sequence(ctx.s);
		return rc;
	}
	if (ctx.s == NULL || ctx.s->cl_policy == NUMSEQ_CLAIMS_SEQUENCE) {
		(void)numseq__j_close(j, res.last_value, res.is_called, NULL);
		if (ctx.s != NULL)
			free_sequence(ctx.s);
		return numseq__fail(err, ctx.s == NULL ? NUMSEQ_ECORRUPT : NUMSEQ_EPOLICY,
		                    NUMSEQ__SQLSTATE_STATE,
		                    "numseq_open: \"%s\" holds no usable sequence", path);
	}
	struct numseq *s = ctx.s;
	s->j = j;
	s->window = res.info.window;
	if (s->cl != NULL)
		numseq__claims_set_journal(s->cl, j);
	pthread_mutex_init(&s->xmu, NULL);
	pthread_cond_init(&s->xcv, NULL);
	pthread_cond_init(&s->dcv, NULL);
	atomic_init(&s->xkicked, false);
	rc = journal_start(s, res.last_value, res.is_called, err);
	if (rc == NUMSEQ_OK && pthread_create(&s->xthr, NULL, reserver_main, s) != 0)
		rc = numseq__fail(err, NUMSEQ_ENOMEM, NUMSEQ__SQLSTATE_NOMEM,
		                  "numseq_open: cannot start the reservation thread");
	if (rc != NUMSEQ_OK) {
		(void)numseq__j_close(j, res.last_value, res.is_called, NULL);
		pthread_cond_destroy(&s->dcv);
		pthread_cond_destroy(&s->xcv);
		pthread_mutex_destroy(&s->xmu);
		free_sequence(s);
		return rc;
	}
	/* Without a bitmap the hot path serves a journaled sequence too (below
	 * its durable cap, mirror_fast); a bitmap takes nextval_slow. */
	s->magic = s->cl != NULL ? NUMSEQ_MAGIC_SLOW : NUMSEQ_MAGIC;
	*out = s;
	return NUMSEQ_OK;
}

int numseq_close(numseq_t **sp, numseq_error_t *err)
{
	struct numseq *s;
	struct epoch e;
	uint64_t w, served;
	int64_t last;
	bool called;
	int rc;
	if (sp == NULL || !handle_ok(*sp))
		return numseq__fail(err, NUMSEQ_EINVAL, NUMSEQ__SQLSTATE_ARG,
		                    "close: sequence handle is NULL or destroyed");
	s = *sp;
	*sp = NULL;
	if (s->j == NULL) {
		free_sequence(s);
		return NUMSEQ_OK;
	}
	pthread_mutex_lock(&s->xmu);
	s->xstop = true;
	pthread_cond_signal(&s->xcv);
	pthread_cond_broadcast(&s->dcv);
	pthread_mutex_unlock(&s->xmu);
	pthread_join(s->xthr, NULL);
	/* The exact state: every ticket below dcap was handed out (or is a
	 * gap); none past it was. */
	pthread_mutex_lock(&s->wlock);
	(void)writer_current(s, &e, &w, &served);
	if (served > e.dcap)
		served = e.dcap;
	epoch_state(&e, served, &last, &called);
	pthread_mutex_unlock(&s->wlock);
	rc = numseq__j_close(s->j, last, called, err);
	s->j = NULL;
	pthread_cond_destroy(&s->dcv);
	pthread_cond_destroy(&s->xcv);
	pthread_mutex_destroy(&s->xmu);
	free_sequence(s);
	return rc;
}

struct run_ctx {
	struct numseq__claims *cl;
	uint64_t cursor;
};

static int next_run(void *ctx, int64_t *first, uint64_t *count)
{
	struct run_ctx *r = ctx;
	if (r->cl == NULL)
		return 0;
	return numseq__claims_next_run(r->cl, &r->cursor, first, count);
}

int numseq_compact(numseq_t *s, numseq_error_t *err)
{
	struct epoch e;
	uint64_t w, served;
	int64_t last;
	bool called;
	numseq_options_t o;
	struct run_ctx rc_ctx;
	int rc;
	if (!handle_ok(s))
		return bad_handle(err, "compact");
	if (s->j == NULL)
		return numseq__fail(err, NUMSEQ_ENOJOURNAL, NUMSEQ__SQLSTATE_STATE,
		                    "compact: sequence \"%s\" has no journal", s->name);
	(void)numseq_get_options(s, &o);
	rc_ctx.cl = s->cl;
	rc_ctx.cursor = 0;
	pthread_mutex_lock(&s->wlock);
	/* Resume from the end of the current reservation: every number a
	 * thread may hand out before the next RESERVE stays covered. */
	(void)writer_current(s, &e, &w, &served);
	epoch_state(&e, e.dcap, &last, &called);
	rc = numseq__j_compact(s->j, &o, last, called, next_run, &rc_ctx, err);
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

int numseq_journal_info(numseq_t *s, numseq_journal_info_t *out)
{
	if (!handle_ok(s) || out == NULL)
		return NUMSEQ_EINVAL;
	if (s->j == NULL)
		return NUMSEQ_ENOJOURNAL;
	numseq__j_info(s->j, out);
	return NUMSEQ_OK;
}

/*
 * The hot path's draw of a journaled sequence was not the plain case
 * (nextval_straddle): a ticket of a newer epoch, void, past the limit, or
 * at or past the point where the reservation must grow.  Below the durable
 * cap the value is served (after kicking the reservation thread); past it
 * the thread sleeps in wait_durable.
 */
static int straddle_durable(struct numseq *s, struct numseq__sess_ent *se, uint64_t g, uint64_t w,
                            int64_t first, int64_t inc, int64_t *out, numseq_error_t *err)
{
	struct slot *d = slot_for(s, g);
	uint64_t t = word_ticket(w), dcap, n1;
	int64_t v = 0;
	if (word_tag(w) != (g & TAG_MASK)) {
		int r = durable_foreign(s, g, w, &v, err);
		if (r < 0)
			return r;
		if (r == 1)
			return serve(se, v, out);
		return draw_durable(s, se, out, err);
	}
	if (!ticket_is_epoch(s, d, g))
		return draw_durable(s, se, out, err); /* 2^20 epochs meanwhile: a gap */
	if (t >= s->rebase_at) {
		rebase(s, g);
		return draw_durable(s, se, out, err);
	}
	/* acquire (all three): pair with slot_write / reserve_locked. */
	n1 = atomic_load_explicit(&d->n1, memory_order_acquire);
	dcap = atomic_load_explicit(&d->dcap, memory_order_acquire);
	if (atomic_load_explicit(&d->gen, memory_order_acquire) != g)
		return draw_durable(s, se, out, err); /* slot recycled: a gap */
	if (t >= n1)
		return draw_durable(s, se, out, err); /* past the limit: draw again */
	if (t >= dcap) {
		int rc = wait_durable(s, g, t, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return draw_durable(s, se, out, err);
	} else {
		kick_reserver(s);
	}
	return serve(se, u2i((uint64_t)first + t * (uint64_t)inc), out);
}
