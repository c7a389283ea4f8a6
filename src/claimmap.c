/*
 * claimmap.c - the claimed-number bitmap (contract: claimmap.h; the
 * argument: docs/design.md section 12).
 *
 * Level k >= 1 holds one bit per word of level k-1, in two summaries:
 * FULL[k] bit j says "word j of level k-1 has all its valid bits set" and
 * ANY[k] bit j says "word j of level k-1 is non-zero", where level k-1 is
 * the leaves for k = 1 and the summary of the same kind for k >= 2.  The
 * leaves are the truth; the summaries are kept by fix() and only guide the
 * searches.
 *
 * Invariants the code keeps:
 *  - padding bits (past a level's nbits) are never set: every candidate
 *    mask is cut with valid_mask(), and a summary bit exists only for a
 *    word that exists;
 *  - pages are installed top-down: a page of level k (either kind, or a
 *    leaf page) is installed only after its ancestor pages of both kinds
 *    at every level above, so a thread that loads a non-NULL page pointer
 *    with acquire also sees every ancestor page: fix() never allocates,
 *    and a set whose leaf page exists takes the one-load fast path;
 *  - a page is never freed or moved before numseq__cmap_free.
 */
#include "claimmap.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"

enum { KIND_FULL = 0, KIND_ANY = 1 };

#define PAGE_SHIFT 9u /* log2(NUMSEQ__CMAP_PAGE_WORDS) */
#define PAGE_MASK ((uint64_t)NUMSEQ__CMAP_PAGE_WORDS - 1u)
_Static_assert(NUMSEQ__CMAP_PAGE_WORDS == 1u << PAGE_SHIFT, "PAGE_SHIFT");
_Static_assert(NUMSEQ__CMAP_MAX_BITS <= UINT64_C(1) << (6u * (NUMSEQ__CMAP_MAX_LEVELS - 1u)),
               "NUMSEQ__CMAP_MAX_LEVELS too small for NUMSEQ__CMAP_MAX_BITS");
_Static_assert(sizeof(struct numseq__cmap_stripe) == 64, "one stripe per cache line");

#define BIT(b) (UINT64_C(1) << (b))

static inline unsigned ctz64(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

static inline unsigned msb64(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* Level k of the summary of this kind; level 0 (the leaves) is shared. */
static inline struct numseq__cmap_level *level_of(struct numseq__cmap *m, int kind, unsigned k)
{
	if (k == 0)
		return &m->lv0;
	return kind == KIND_FULL ? &m->full[k] : &m->any[k];
}

/* The valid bits of word w of level l: all but in the last word of a level
 * whose bit count is not a multiple of 64.  Computed, never stored. */
static inline uint64_t valid_mask(const struct numseq__cmap_level *l, uint64_t w)
{
	unsigned r = (unsigned)(l->nbits & 63u);
	if (w + 1 < l->nwords || r == 0)
		return UINT64_MAX;
	return BIT(r) - 1u;
}

static inline uint64_t page_words(const struct numseq__cmap_level *l)
{
	return l->nwords < NUMSEQ__CMAP_PAGE_WORDS ? l->nwords : NUMSEQ__CMAP_PAGE_WORDS;
}

/* The page holding word w, or NULL (the page reads as all zero).
 * seq_cst: acquire pairs with the installing CAS in page_get, so the
 * page's zeroed contents and (top-down installation) every ancestor page
 * are visible; seq_cst because a thread that goes on to an RMW of a word
 * of the page (set, clear, take_first) must have the install before that
 * RMW in the total order S, also under the C++20/C23 rule that S follows
 * "strongly happens before" (design.md 12.4).  On x86 it is the same
 * plain load as acquire, on arm64 LDAR. */
static inline _Atomic uint64_t *page_peek(const struct numseq__cmap_level *l, uint64_t w)
{
	return atomic_load_explicit(&l->dir[w >> PAGE_SHIFT], memory_order_seq_cst);
}

/* Word w of level l in a search (a hint; the page may be NULL).  acquire:
 * a position found set shows what its claimer wrote before the claim, the
 * same promise as numseq__cmap_test. */
static inline uint64_t word_peek(const struct numseq__cmap_level *l, uint64_t w)
{
	_Atomic uint64_t *pg = page_peek(l, w);
	return pg == NULL ? 0 : atomic_load_explicit(&pg[w & PAGE_MASK], memory_order_acquire);
}

/* The page holding word w, allocated and installed if missing; NULL only
 * when the allocation failed. */
static _Atomic uint64_t *page_get(struct numseq__cmap *m, struct numseq__cmap_level *l, uint64_t w)
{
	_Atomic(_Atomic uint64_t *) *slot = &l->dir[w >> PAGE_SHIFT];
	_Atomic uint64_t *pg = atomic_load_explicit(slot, memory_order_seq_cst); /* as page_peek */
	if (pg != NULL)
		return pg;
	size_t words = (size_t)page_words(l);
	_Atomic uint64_t *fresh = numseq__calloc(words, sizeof(*fresh));
	if (fresh == NULL)
		return NULL;
	/* seq_cst: release publishes the zeroed page (and the ancestor pages
	 * this thread installed or saw) to page_peek; acquire on failure
	 * makes the winner's page ours.  seq_cst rather than acq_rel because
	 * the argument of design.md 12.4 places the install in S. */
	if (atomic_compare_exchange_strong_explicit(slot, &pg, fresh, memory_order_seq_cst,
	                                            memory_order_seq_cst)) {
		/* relaxed: a statistic, no ordering with anything */
		atomic_fetch_add_explicit(&m->bytes, (uint64_t)words * sizeof(*fresh),
		                          memory_order_relaxed);
		return fresh;
	}
	free((void *)fresh);
	return pg;
}

/* The leaf page of leaf word w, making sure it and all its ancestor pages
 * exist (top-down, see the invariants above).  NULL when out of memory:
 * pages installed before the failure stay (all zero, harmless). */
static _Atomic uint64_t *leaf_page(struct numseq__cmap *m, uint64_t w)
{
	_Atomic uint64_t *pg = page_peek(&m->lv0, w);
	if (pg != NULL)
		return pg;
	for (unsigned k = m->nlevels - 1; k >= 1; k--) {
		uint64_t wk = w >> (6u * k);
		if (page_get(m, &m->full[k], wk) == NULL || page_get(m, &m->any[k], wk) == NULL)
			return NULL;
	}
	return page_get(m, &m->lv0, w);
}

/* -------------------------------------------------------------- fix-up */

/*
 * Makes the bit of child word w (level k-1) in its parent word (level k,
 * kind) agree with the child, then returns whether one of its successful
 * CASes moved the parent word across its own boundary (empty<->non-empty
 * for ANY, full<->not full for FULL).
 *
 * Every access here is seq_cst: the argument that the bit is exact at
 * quiescence (design.md 12.4) orders the child's last boundary-crossing
 * RMW, this loop's loads and the parent CASes of different threads in the
 * single total order S.  It runs about once per 64 claims, and on x86 and
 * arm64 a seq_cst load is the acquire load and a seq_cst CAS the CAS.
 */
static bool fix_bit(struct numseq__cmap *m, int kind, unsigned k, uint64_t w)
{
	struct numseq__cmap_level *cl = level_of(m, kind, k - 1);
	struct numseq__cmap_level *pl = level_of(m, kind, k);
	const uint64_t cmask = valid_mask(cl, w);
	const uint64_t pw = w >> 6, bit = BIT(w & 63u);
	const uint64_t pmask = valid_mask(pl, pw);
	bool crossed = false;

	for (;;) {
		/* seq_cst (both loads): see above; a NULL page is the word's
		 * initial zero, and the page's install precedes any RMW of it
		 * in S, so a load after that RMW in S sees the page. */
		_Atomic uint64_t *cpg = atomic_load_explicit(&cl->dir[w >> PAGE_SHIFT],
		                                             memory_order_seq_cst);
		uint64_t c = cpg == NULL ? 0
		                         : atomic_load_explicit(&cpg[w & PAGE_MASK],
		                                                memory_order_seq_cst);
		bool want = kind == KIND_FULL ? c == cmask : c != 0;
		/* seq_cst: as above */
		_Atomic uint64_t *ppg = atomic_load_explicit(&pl->dir[pw >> PAGE_SHIFT],
		                                             memory_order_seq_cst);
		if (ppg == NULL) {
			/* A missing parent page reads as zero; a non-empty child
			 * implies the parent page (top-down installation). */
			assert(!want);
			return crossed;
		}
		_Atomic uint64_t *pp = &ppg[pw & PAGE_MASK];
		uint64_t s = atomic_load_explicit(pp, memory_order_seq_cst); /* seq_cst: as above */
		if (((s & bit) != 0) == want)
			return crossed;
		uint64_t ns = s ^ bit;
		/* seq_cst: as above; on failure the loop re-reads everything */
		if (!atomic_compare_exchange_strong_explicit(pp, &s, ns, memory_order_seq_cst,
		                                             memory_order_seq_cst))
			continue;
		if (kind == KIND_FULL ? (s == pmask) != (ns == pmask) : (s == 0) != (ns == 0))
			crossed = true;
		/* and re-validate: the child may have moved since it was read */
	}
}

/*
 * The fix-up protocol from level k up: fix_bit at level k, and if it moved
 * the parent word across its boundary, the parent's own bit one level up,
 * and so on.  The next level is fixed after this level's loop has
 * returned rather than in the middle of it: what the argument needs is
 * that the thread whose CAS crossed runs the next level's loop after that
 * CAS, and one loop after several crossing CASes covers them all (it reads
 * the word after the last of them).  Iterative, so the depth is bounded
 * by the level count without recursion.
 */
static void fix(struct numseq__cmap *m, int kind, unsigned k, uint64_t w)
{
	while (fix_bit(m, kind, k, w) && k + 1 < m->nlevels) {
		k++;
		w >>= 6;
	}
}

/* ------------------------------------------------------------ counters */

/*
 * Stripes: NUMSEQ__CMAP_OWNED of them belong to one live thread each, which
 * alone writes them (a load and a store, no locked instruction on the
 * claim path); the last one is shared by threads that found every owned
 * stripe taken, and is updated with fetch_add.  A thread takes a stripe
 * number (process-wide, the same in every map) on its first count and
 * gives it back at exit through a pthread key.  The hand-over is a
 * release (the exiting owner's fetch_and) paired with an acquire (the next
 * owner's CAS): the new owner's plain read-modify-writes continue from the
 * old owner's last values.
 *
 * stripe_mine: 1 + the stripe index, 0 = none yet; initial-exec TLS like
 * numseq__tls (4 more bytes of the static TLS reserve).
 */
static _Thread_local unsigned stripe_mine __attribute__((tls_model("initial-exec")));
static _Atomic uint64_t stripe_owners; /* bit i: owned stripe i is taken */
static pthread_once_t stripe_once = PTHREAD_ONCE_INIT;
static pthread_key_t stripe_key;
static bool stripe_key_ok;

_Static_assert(NUMSEQ__CMAP_OWNED == 64, "stripe_owners has one bit per owned stripe");

/* pthread_setspecific needs a non-NULL pointer per stripe. */
static char stripe_tokens[NUMSEQ__CMAP_OWNED];

static void stripe_give_back(void *arg)
{
	unsigned s = (unsigned)((const char *)arg - stripe_tokens) + 1u;
	stripe_mine = 0;
	/* release: pairs with the acquire CAS of the next owner. */
	atomic_fetch_and_explicit(&stripe_owners, ~BIT(s - 1u), memory_order_release);
}

static void stripe_key_make(void)
{
	stripe_key_ok = pthread_key_create(&stripe_key, stripe_give_back) == 0;
}

static __attribute__((noinline)) unsigned stripe_take(void)
{
	(void)pthread_once(&stripe_once, stripe_key_make);
	if (stripe_key_ok) {
		/* relaxed: the CAS below re-reads and orders. */
		uint64_t o = atomic_load_explicit(&stripe_owners, memory_order_relaxed);
		while (o != UINT64_MAX) {
			unsigned b = ctz64(~o);
			/* acquire: pairs with the previous owner's release. */
			if (atomic_compare_exchange_weak_explicit(&stripe_owners, &o, o | BIT(b),
			                                          memory_order_acquire,
			                                          memory_order_relaxed)) {
				if (pthread_setspecific(stripe_key, &stripe_tokens[b]) == 0)
					return stripe_mine = b + 1u;
				atomic_fetch_and_explicit(&stripe_owners, ~BIT(b),
				                          memory_order_release);
				break;
			}
		}
	}
	return stripe_mine = NUMSEQ__CMAP_OWNED + 1u; /* the shared one */
}

/* Adds d (+1 or -1 as a two's complement) to the calling thread's stripe
 * counter: field selects claims or releases. */
static inline void count(struct numseq__cmap *m, bool releases, uint64_t d)
{
	unsigned s = stripe_mine;
	if (__builtin_expect(s == 0, 0))
		s = stripe_take();
	struct numseq__cmap_stripe *st = &m->stripe[s - 1u];
	_Atomic uint64_t *c = releases ? &st->releases : &st->claims;
	/* The load is relaxed: this thread is the stripe's only writer.  The
	 * store is a release (a plain store on x86 and arm64's stlr): a reader
	 * that sees a claim counted also sees its set (numseq__cmap_counts). */
	if (s <= NUMSEQ__CMAP_OWNED)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
		                      memory_order_release);
	else
		atomic_fetch_add_explicit(c, d, memory_order_release);
}

/* The summaries a set crossed (out of line: once per 64 claims). */
/* The fix-up loop for both summaries of leaf word w (out of line: a set
 * crosses a boundary about once per 64 claims). */
static __attribute__((noinline)) void summaries_after_set(struct numseq__cmap *m, uint64_t w)
{
	fix(m, KIND_ANY, 1, w);
	fix(m, KIND_FULL, 1, w);
}

/* After a fetch_or on leaf word w that set `bit` (old: the word before):
 * counts the claim and fixes the summaries whose boundary it crossed. */
static inline void claimed(struct numseq__cmap *m, uint64_t w, uint64_t old, uint64_t bit)
{
	/* Counted after the set: see numseq__cmap_counts. */
	count(m, false, 1u);
	if (__builtin_expect(old == 0 || (old | bit) == valid_mask(&m->lv0, w), 0))
		summaries_after_set(m, w);
}

/* ---------------------------------------------------------- life cycle */

static void level_free(struct numseq__cmap_level *l)
{
	if (l->dir != NULL) {
		for (uint64_t p = 0; p < l->npages; p++) {
			/* relaxed: no other call may run; the caller's own
			 * synchronization ordered every install before this */
			free((void *)atomic_load_explicit(&l->dir[p], memory_order_relaxed));
		}
		free((void *)l->dir);
	}
	memset(l, 0, sizeof(*l));
}

void numseq__cmap_free(struct numseq__cmap *m)
{
	level_free(&m->lv0);
	for (unsigned k = 1; k < NUMSEQ__CMAP_MAX_LEVELS; k++) {
		level_free(&m->full[k]);
		level_free(&m->any[k]);
	}
	m->nbits = 0;
	m->nlevels = 0;
	/* relaxed: single-threaded here */
	atomic_store_explicit(&m->bytes, 0, memory_order_relaxed);
}

static bool level_init(struct numseq__cmap *m, struct numseq__cmap_level *l, uint64_t nbits)
{
	l->nbits = nbits;
	l->nwords = (nbits + 63u) / 64u;
	l->npages = (l->nwords + PAGE_MASK) >> PAGE_SHIFT;
	l->dir = numseq__calloc((size_t)l->npages, sizeof(*l->dir));
	if (l->dir == NULL)
		return false;
	/* relaxed: init runs before the map is shared */
	atomic_fetch_add_explicit(&m->bytes, l->npages * sizeof(*l->dir), memory_order_relaxed);
	return true;
}

int numseq__cmap_init(struct numseq__cmap *m, uint64_t nbits)
{
	memset(m, 0, sizeof(*m));
	atomic_init(&m->bytes, 0);
	for (unsigned i = 0; i < NUMSEQ__CMAP_STRIPES; i++) {
		atomic_init(&m->stripe[i].claims, 0);
		atomic_init(&m->stripe[i].releases, 0);
	}
	if (nbits == 0 || nbits > NUMSEQ__CMAP_MAX_BITS)
		return NUMSEQ_EINVAL;
	m->nbits = nbits;
	if (!level_init(m, &m->lv0, nbits))
		goto nomem;
	/* Summary levels until one has a single word; at least one, so that
	 * every leaf word has a parent bit (a map of <= 64 bits has a
	 * one-bit top). */
	uint64_t below = m->lv0.nwords;
	unsigned k = 1;
	for (;; k++) {
		assert(k < NUMSEQ__CMAP_MAX_LEVELS);
		if (!level_init(m, &m->full[k], below) || !level_init(m, &m->any[k], below))
			goto nomem;
		below = m->full[k].nwords;
		if (below == 1)
			break;
	}
	m->nlevels = k + 1;
	return NUMSEQ_OK;
nomem:
	numseq__cmap_free(m);
	return NUMSEQ_ENOMEM;
}

/* ------------------------------------------------------ single positions */

int numseq__cmap_set(struct numseq__cmap *m, uint64_t i)
{
	assert(i < m->nbits);
	if (i >= m->nbits)
		return NUMSEQ_EINVAL;
	uint64_t w = i >> 6, bit = BIT(i & 63u);
	_Atomic uint64_t *pg = page_peek(&m->lv0, w);
	if (__builtin_expect(pg == NULL, 0) && (pg = leaf_page(m, w)) == NULL)
		return NUMSEQ_ENOMEM;
	_Atomic uint64_t *p = &pg[w & PAGE_MASK];
	/* seq_cst: the claim's linearization point; acquire so that a claim
	 * won after a release sees the releaser's writes, release for the
	 * converse, and seq_cst for fix()'s argument (design.md 12.4).  The
	 * old word tells whether this set crossed a summary boundary. */
	uint64_t old = atomic_fetch_or_explicit(p, bit, memory_order_seq_cst);
	if (old & bit)
		return 0;
	claimed(m, w, old, bit);
	return 1;
}

int numseq__cmap_clear(struct numseq__cmap *m, uint64_t i)
{
	assert(i < m->nbits);
	if (i >= m->nbits)
		return 0;
	uint64_t w = i >> 6, bit = BIT(i & 63u);
	_Atomic uint64_t *pg = page_peek(&m->lv0, w);
	if (pg == NULL)
		return 0; /* never written: not set */
	/* Counted before the clear (and taken back if nothing was cleared):
	 * see numseq__cmap_counts. */
	count(m, true, 1u);
	/* seq_cst: the release's linearization point (release: the owner's
	 * writes reach the next claimer; seq_cst: fix()'s argument). */
	uint64_t old = atomic_fetch_and_explicit(&pg[w & PAGE_MASK], ~bit, memory_order_seq_cst);
	if (!(old & bit)) {
		count(m, true, UINT64_MAX);
		return 0;
	}
	if (old == valid_mask(&m->lv0, w))
		fix(m, KIND_FULL, 1, w);
	if (old == bit)
		fix(m, KIND_ANY, 1, w);
	return 1;
}

bool numseq__cmap_test(struct numseq__cmap *m, uint64_t i)
{
	assert(i < m->nbits);
	if (i >= m->nbits)
		return false;
	return (word_peek(&m->lv0, i >> 6) & BIT(i & 63u)) != 0;
}

/* ------------------------------------------------------------ searches */

/*
 * "Next candidate at or after from" over the hierarchy.  A candidate is,
 * at level 0, a clear bit (kind FULL) or a set bit (kind ANY), and at level
 * k >= 1 a FULL bit that is clear or an ANY bit that is set: a word below
 * that may hold a candidate.  The walk starts in from's leaf word; when the
 * rest of a word has no candidate it goes up one level to the bit after
 * that word's own bit, and when it finds a candidate at level k >= 1 it goes
 * down into that word.  When quiescent every descent finds a candidate, so
 * a call costs at most two loads per level.
 *
 * A word reached by a descent that has no candidate at all contradicts its
 * summary bit (a stale "not full" / "non-empty" left by a fix still
 * running, or a race): the walk runs fix() on it, so that the summaries
 * converge, and goes on to the right.
 *
 * take (kind FULL only): at level 0, fetch_or the lowest candidate; a lost
 * race retries in the same word with the value the fetch_or returned.
 * Returns 1 and *out, 0 (none), or NUMSEQ_ENOMEM (take only).
 */
static int walk_next(struct numseq__cmap *m, int kind, uint64_t from, bool take, uint64_t *out)
{
	if (from >= m->nbits)
		return 0;
	unsigned k = 0;
	uint64_t pos = from;
	bool descended = false;
	for (;;) {
		struct numseq__cmap_level *l = level_of(m, kind, k);
		if (pos >= l->nbits)
			return 0; /* past the end of this level: nothing further */
		uint64_t w = pos >> 6;
		uint64_t valid = valid_mask(l, w);
		_Atomic uint64_t *pg = page_peek(l, w);
		/* acquire: as word_peek */
		uint64_t x = pg == NULL ? 0
		                        : atomic_load_explicit(&pg[w & PAGE_MASK],
		                                               memory_order_acquire);
		uint64_t cand = (kind == KIND_FULL ? ~x : x) & valid;
		if (descended && cand == 0)
			fix(m, kind, k + 1, w); /* its summary bit lied */
		uint64_t above = UINT64_MAX << (pos & 63u);
		cand &= above;
		if (take && k == 0) {
			while (cand != 0) {
				if (pg == NULL) {
					pg = leaf_page(m, w);
					if (pg == NULL)
						return NUMSEQ_ENOMEM;
				}
				uint64_t bit = BIT(ctz64(cand));
				/* seq_cst: as numseq__cmap_set */
				uint64_t old = atomic_fetch_or_explicit(&pg[w & PAGE_MASK], bit,
				                                        memory_order_seq_cst);
				if (!(old & bit)) {
					claimed(m, w, old, bit);
					*out = (w << 6) | ctz64(bit);
					return 1;
				}
				cand = ~old & valid & above; /* lost it: next one */
			}
		}
		if (cand == 0) {
			if (k + 1 >= m->nlevels)
				return 0;
			k++;
			pos = w + 1; /* the bit after this word's own bit */
			descended = false;
			continue;
		}
		uint64_t p = (w << 6) | ctz64(cand);
		if (k == 0) {
			*out = p;
			return 1;
		}
		k--;
		descended = true;
		/* Down into word p of level k.  After going up, p lies right of
		 * from's word at level k, so this is p's first bit; the bound
		 * keeps the walk honest anyway. */
		uint64_t lo = from >> (6u * k);
		pos = p << 6 > lo ? p << 6 : lo;
	}
}

/*
 * take_first without the summaries: every leaf word from from's on, in
 * order.  For the rare case where take_first found nothing but the
 * counters say a position is free: a summary bit set by a fix-up that has
 * not re-checked yet (its thread may be descheduled for a whole time
 * slice) can hide a free position from the walk, never from this scan.
 * O((nbits - from) / 64); lock-free.
 */
int numseq__cmap_take_scan(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	for (uint64_t w = from >> 6; from < m->nbits && w < m->lv0.nwords; w++) {
		uint64_t valid = valid_mask(&m->lv0, w);
		uint64_t above = w == from >> 6 ? UINT64_MAX << (from & 63u) : UINT64_MAX;
		uint64_t cand = ~word_peek(&m->lv0, w) & valid & above;
		while (cand != 0) {
			int r = numseq__cmap_set(m, (w << 6) | ctz64(cand));
			if (r != 0) {
				if (r == 1)
					*out = (w << 6) | ctz64(cand);
				return r;
			}
			cand &= cand - 1u; /* taken meanwhile: the next one */
		}
	}
	return 0;
}

int numseq__cmap_take_first(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	return walk_next(m, KIND_FULL, from, true, out);
}

int numseq__cmap_find_clear(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	return walk_next(m, KIND_FULL, from, false, out);
}

int numseq__cmap_find_set(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	return walk_next(m, KIND_ANY, from, false, out);
}

/* The mirror image of walk_next over ANY: the highest set position, from
 * the last leaf word up and down again (a missing page costs one load). */
int numseq__cmap_last_set(struct numseq__cmap *m, uint64_t *out)
{
	if (m->nbits == 0)
		return 0;
	unsigned k = 0;
	uint64_t pos = m->nbits - 1;
	bool descended = false;
	for (;;) {
		struct numseq__cmap_level *l = level_of(m, KIND_ANY, k);
		uint64_t w = pos >> 6;
		uint64_t cand = word_peek(l, w) & valid_mask(l, w);
		if (descended && cand == 0)
			fix(m, KIND_ANY, k + 1, w); /* its summary bit lied */
		cand &= UINT64_MAX >> (63u - (pos & 63u));
		if (cand == 0) {
			if (w == 0 || k + 1 >= m->nlevels)
				return 0;
			k++;
			pos = w - 1; /* the bit before this word's own bit */
			descended = false;
			continue;
		}
		uint64_t p = (w << 6) | msb64(cand);
		if (k == 0) {
			*out = p;
			return 1;
		}
		k--;
		descended = true;
		uint64_t end = level_of(m, KIND_ANY, k)->nbits - 1;
		pos = (p << 6 | 63u) < end ? (p << 6 | 63u) : end;
	}
}

/* ------------------------------------------------------------- figures */

void numseq__cmap_counts(struct numseq__cmap *m, uint64_t *claims, uint64_t *releases)
{
	uint64_t c = 0, r = 0;
	/* Every claims stripe first, then every releases stripe, and claims
	 * counted after their set, releases before their clear: so c - r is
	 * at most the number of set positions at the instant between the two
	 * loops (claimmap.h: "certifies full").  Each stripe is monotonic
	 * except for a failed release's own take-back, made by the same
	 * thread right after. */
	for (unsigned i = 0; i < NUMSEQ__CMAP_STRIPES; i++)
		/* seq_cst: the two loops must not be reordered (x86: plain loads) */
		c += atomic_load_explicit(&m->stripe[i].claims, memory_order_seq_cst);
	for (unsigned i = 0; i < NUMSEQ__CMAP_STRIPES; i++)
		r += atomic_load_explicit(&m->stripe[i].releases, memory_order_seq_cst);
	*claims = c;
	*releases = r;
}

uint64_t numseq__cmap_bytes(struct numseq__cmap *m)
{
	/* relaxed: a statistic */
	return atomic_load_explicit(&m->bytes, memory_order_relaxed);
}

/* ------------------------------------------------------- test checker */

/* Word w of l when quiescent (relaxed: the caller guarantees quiescence,
 * ordered by its own synchronization). */
static uint64_t word_quiet(const struct numseq__cmap_level *l, uint64_t w)
{
	_Atomic uint64_t *pg = atomic_load_explicit(&l->dir[w >> PAGE_SHIFT], memory_order_relaxed);
	return pg == NULL ? 0 : atomic_load_explicit(&pg[w & PAGE_MASK], memory_order_relaxed);
}

/* No bit past nbits in the last word, nor in the words past nwords of the
 * last page. */
static bool padding_clear(const struct numseq__cmap_level *l)
{
	uint64_t last = l->nwords - 1;
	if (word_quiet(l, last) & ~valid_mask(l, last))
		return false;
	_Atomic uint64_t *pg = atomic_load_explicit(&l->dir[last >> PAGE_SHIFT],
	                                            memory_order_relaxed);
	if (pg == NULL)
		return true;
	for (uint64_t w = (last & PAGE_MASK) + 1; w < page_words(l); w++) {
		if (atomic_load_explicit(&pg[w], memory_order_relaxed) != 0) /* relaxed: as above */
			return false;
	}
	return true;
}

int numseq__cmap_check(struct numseq__cmap *m)
{
	if (!padding_clear(&m->lv0))
		return NUMSEQ__CMAP_BAD_PADDING;
	for (unsigned k = 1; k < m->nlevels; k++) {
		for (int kind = KIND_FULL; kind <= KIND_ANY; kind++) {
			struct numseq__cmap_level *pl = level_of(m, kind, k);
			struct numseq__cmap_level *cl = level_of(m, kind, k - 1);
			int base = (int)k << 4;
			if (!padding_clear(pl))
				return base | NUMSEQ__CMAP_BAD_PADDING;
			const uint64_t per_page = (uint64_t)NUMSEQ__CMAP_PAGE_WORDS *
			                          64u; /* child words */
			for (uint64_t pp = 0; pp < pl->npages; pp++) {
				uint64_t w0 = pp * per_page;
				uint64_t w1 = w0 + per_page < cl->nwords ? w0 + per_page
				                                         : cl->nwords;
				_Atomic uint64_t *ppg = atomic_load_explicit(&pl->dir[pp],
				                                             memory_order_relaxed);
				if (ppg == NULL) {
					/* then no child page below it may exist */
					for (uint64_t w = w0; w < w1;
					     w += NUMSEQ__CMAP_PAGE_WORDS) {
						if (atomic_load_explicit(&cl->dir[w >> PAGE_SHIFT],
						                         memory_order_relaxed) !=
						    NULL)
							return base | NUMSEQ__CMAP_BAD_PAGES;
					}
					continue;
				}
				for (uint64_t w = w0; w < w1; w++) {
					uint64_t c = word_quiet(cl, w);
					bool want = kind == KIND_FULL ? c == valid_mask(cl, w)
					                              : c != 0;
					bool have = (word_quiet(pl, w >> 6) & BIT(w & 63u)) != 0;
					if (want != have)
						return base |
						       (kind == KIND_FULL ? NUMSEQ__CMAP_BAD_FULL
						                          : NUMSEQ__CMAP_BAD_ANY);
				}
			}
		}
	}
	return 0;
}
