/*
 * claimmap.h - the claimed-number bitmap: a lock-free, sparse, hierarchical
 * bitmap of nbits positions (internal; not installed).
 *
 * A sequence with a claims policy maps each number of its range onto a
 * position 0 .. nbits-1 (position = (v - anchor) / INCREMENT, anchor =
 * MINVALUE ascending, MAXVALUE descending: position order is the
 * sequence's order).  This module knows nothing of numbers: only positions.
 *
 * Layout (docs/design.md section 12):
 *  - level 0: one bit per position in 64-bit words (bit i%64 of word i/64);
 *  - levels 1..top: two summaries, each one bit per word of the level
 *    below: FULL (the child word has every valid bit set) and ANY (the
 *    child word is non-zero).  The top level is a single word.
 *  - every level is an array of words cut into pages of up to
 *    NUMSEQ__CMAP_PAGE_WORDS words, allocated on first write and never
 *    freed before numseq__cmap_free; a page not yet allocated reads as all
 *    zero.  Only a directory of page pointers (8 bytes per page) is
 *    allocated up front.
 *  - valid bits: the last word of each level may be partial; bits past the
 *    end are never set and never found.
 *
 * The truth is level 0, changed only by single atomic RMWs (fetch_or /
 * fetch_and): a claim is won by exactly one fetch_or that sees the bit
 * clear, a release by exactly one fetch_and that sees it set.  The
 * summaries are hints for the searches; every thread that changes a word
 * across a summary boundary (empty<->non-empty, full<->not full) runs the
 * fix-up protocol on the parent bit (see claimmap.c), which guarantees
 * that once the bitmap is quiescent every summary bit is exact.  A stale
 * summary bit can only make a search look in a word that has nothing for
 * it (it then continues and repairs the bit) or skip a word whose state
 * changed during the search: a position released while the search runs,
 * or while a fix-up of an earlier change in the same subtree is still
 * running (design.md 12.5 says exactly when).
 *
 * All functions are thread-safe and lock-free (no lock, no system call
 * except the allocation of a page on first touch).
 */
#ifndef NUMSEQ_CLAIMMAP_H
#define NUMSEQ_CLAIMMAP_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define NUMSEQ__CMAP_PAGE_WORDS 512u /* 4 KiB pages */
#define NUMSEQ__CMAP_MAX_LEVELS 8u   /* 64^8 = 2^48 positions */
#define NUMSEQ__CMAP_MAX_BITS (UINT64_C(1) << 36)
#define NUMSEQ__CMAP_OWNED 64u                         /* stripes owned by one thread each */
#define NUMSEQ__CMAP_STRIPES (NUMSEQ__CMAP_OWNED + 1u) /* + one shared; a line each */

/* One level's word array (paged). */
struct numseq__cmap_level {
	uint64_t nwords;                  /* words in this level */
	uint64_t nbits;                   /* valid bits in this level */
	uint64_t npages;                  /* directory entries */
	_Atomic(_Atomic uint64_t *) *dir; /* npages page pointers, NULL = all zero */
};

/* Counters, striped to keep the claim path off a shared line and free of
 * locked instructions: a thread owns a stripe (claimmap.c), readers sum. */
struct numseq__cmap_stripe {
	alignas(64) _Atomic uint64_t claims; /* successful set()s ever */
	_Atomic uint64_t releases;           /* successful clear()s ever */
};

struct numseq__cmap {
	uint64_t nbits;         /* positions */
	unsigned nlevels;       /* 1 + number of summary levels; level nlevels-1 has 1 word */
	_Atomic uint64_t bytes; /* numseq__cmap_bytes (relaxed; changes on page installs) */
	/* lv[0]: leaves; full[k], any[k] for k >= 1: the summaries (full[0]
	 * and any[0] are unused). */
	struct numseq__cmap_level lv0;
	struct numseq__cmap_level full[NUMSEQ__CMAP_MAX_LEVELS];
	struct numseq__cmap_level any[NUMSEQ__CMAP_MAX_LEVELS];
	struct numseq__cmap_stripe stripe[NUMSEQ__CMAP_STRIPES];
};

/* Sets up an empty map of nbits positions (1 <= nbits <=
 * NUMSEQ__CMAP_MAX_BITS).  Allocates only the page directories, through
 * numseq__calloc.  Returns NUMSEQ_OK, NUMSEQ_EINVAL (nbits out of range),
 * NUMSEQ_ENOMEM (nothing left allocated). */
int numseq__cmap_init(struct numseq__cmap *m, uint64_t nbits);

/* Frees every page and directory.  No other call may run.  Idempotent on a
 * zeroed or freed map. */
void numseq__cmap_free(struct numseq__cmap *m);

/* Claims position i (< nbits): 1 if this call set it, 0 if it was already
 * set, NUMSEQ_ENOMEM if its page could not be allocated (no bit changed;
 * pages of the upper levels allocated before the failure stay, all zero),
 * NUMSEQ_EINVAL if i >= nbits (a caller's bug: asserted in debug builds).
 * The winning fetch_or is seq_cst (the claim's linearization point). */
int numseq__cmap_set(struct numseq__cmap *m, uint64_t i);

/* Releases position i: 1 if this call cleared it, 0 if it was not set
 * (a double release: nothing changed), 0 for i >= nbits (asserted in
 * debug builds).  Never allocates.  The winning fetch_and is seq_cst. */
int numseq__cmap_clear(struct numseq__cmap *m, uint64_t i);

/* Whether position i is set (acquire loads of the page and the word;
 * false for i >= nbits, asserted in debug builds). */
bool numseq__cmap_test(struct numseq__cmap *m, uint64_t i);

/* Finds the first clear position p with from <= p < nbits, sets it and
 * stores it in *out: 1 on success, 0 when every position in [from, nbits)
 * was observed set, NUMSEQ_ENOMEM when a page could not be allocated.
 * Guided by the FULL summaries: O(log64 nbits) loads plus retries when
 * another thread takes the position first.  Guarantee: while no clear()
 * runs (none since the map was last quiescent), a position p returned by
 * take_first(from) has every position in [from, p) set, so the positions
 * set by take_first(0) calls are always a prefix 0..k-1 of the positions
 * not set by other means (exactly "lowest free").  With clears, a freed
 * position may be missed (and 0 returned although it is free) by a search
 * that overlaps its clear() or an unfinished set/take_first/clear of a
 * position under the same summary bit, i.e. within 64^k positions of it
 * (design.md 12.5); once quiescent, nothing is missed. */
int numseq__cmap_take_first(struct numseq__cmap *m, uint64_t from, uint64_t *out);

/* take_first by a linear scan of the leaves, ignoring the summaries
 * (see claimmap.c): the same results, at O((nbits - from) / 64). */
int numseq__cmap_take_scan(struct numseq__cmap *m, uint64_t from, uint64_t *out);

/* Searches without setting: the first clear (find_clear) or set
 * (find_set) position p with from <= p < nbits: 1 and *out, or 0 if none.
 * last_set: the highest set position: 1 and *out, or 0 if none.  Guided by
 * FULL / ANY summaries, O(log64 nbits) when quiescent.  Under concurrency
 * the answer is approximate (each word is read once, at different times). */
int numseq__cmap_find_clear(struct numseq__cmap *m, uint64_t from, uint64_t *out);
int numseq__cmap_find_set(struct numseq__cmap *m, uint64_t from, uint64_t *out);
int numseq__cmap_last_set(struct numseq__cmap *m, uint64_t *out);

/* Counter totals (sums of the stripes): exact when no set/clear is
 * running, otherwise each total lags by at most the calls in flight.
 * set_count = claims - releases.  Claims are counted after their set,
 * releases before their clear, and all claims are summed before all
 * releases, so claims - releases never exceeds the number of positions
 * set at one instant during the call: claims - releases == nbits
 * certifies that the map was full at that instant. */
void numseq__cmap_counts(struct numseq__cmap *m, uint64_t *claims, uint64_t *releases);

/* Bytes currently allocated for the map: directories plus pages. */
uint64_t numseq__cmap_bytes(struct numseq__cmap *m);

/* For tests only: verifies a quiescent map (no call may run): no padding
 * bit is set, no page exists below a missing parent page, and every FULL
 * and ANY bit of every allocated page agrees with its child word.  Returns
 * 0, or the first problem as (level << 4) | NUMSEQ__CMAP_BAD_*.  Cost:
 * 64 child words per parent-page word; O(allocated pages * 32768). */
#define NUMSEQ__CMAP_BAD_PADDING 1 /* a bit past the level's end is set */
#define NUMSEQ__CMAP_BAD_PAGES 2   /* a page whose parent page is missing */
#define NUMSEQ__CMAP_BAD_FULL 3    /* a FULL bit disagrees with its child */
#define NUMSEQ__CMAP_BAD_ANY 4     /* an ANY bit disagrees with its child */
int numseq__cmap_check(struct numseq__cmap *m);

#endif
