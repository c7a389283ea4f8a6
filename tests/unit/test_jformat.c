/*
 * test_jformat.c - the journal format (src/jformat.h, docs/journal-format.md):
 * header and record round trips for every type and field boundary, what
 * the encoder refuses, what the decoder refuses, and the recovery scan's
 * verdicts: truncation at every byte offset (a torn tail, never a false
 * "corrupt"), a single-bit flip at every bit (always detected, classified
 * by where it hit), foreign file ids, LSN gaps, oversized lengths, out-of-
 * order persistence of an unacknowledged batch, zero-filled tails,
 * snapshots, ordering rules, fingerprints, and the fd scanner over files
 * larger than its buffer, with read errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jformat.h"
#include "jio.h"
#include "numseq.h"
#include "numseq_test.h"
#include "crc32c.h"

#define FID UINT64_C(0x1122334455667788)

/* ------------------------------------------------------------ helpers */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* Recomputes the CRC of the record at p (after a deliberate edit), as a
 * writer of file fid would have. */
static void refix(uint8_t *p, uint64_t fid)
{
	uint8_t id[8];
	uint32_t len = get32(p);
	put64(id, fid);
	put32(p + len - 4, numseq__crc32c(numseq__crc32c(0, id, 8), p, len - 4));
}

static void refix_header(uint8_t *h)
{
	put32(h + 60, numseq__crc32c(0, h, 60));
}

static numseq__jopts_t mkopts(uint8_t claims, int64_t min, int64_t max, int64_t inc)
{
	numseq__jopts_t o;
	memset(&o, 0, sizeof o);
	o.type = NUMSEQ_BIGINT;
	o.increment = inc;
	o.minvalue = min;
	o.maxvalue = max;
	o.start = inc > 0 ? min : max;
	o.cache = 1;
	o.claims = claims;
	o.name_len = 1;
	o.name[0] = 's';
	return o;
}

static numseq__jstate_t st(int64_t v, bool called)
{
	numseq__jstate_t s = {v, 0, called, 0};
	return s;
}

/* A journal being built in memory. */
struct jb {
	uint8_t *buf;
	size_t len, cap;
	uint64_t fid, lsn;
	bool sync_each;    /* durable_lsn = lsn - 1 (every record was synced) */
	uint64_t durable;  /* otherwise this */
	uint64_t last_dur; /* durable_lsn of the last record added */
	size_t off[8192];
	size_t nrec;
};

static void jb_reserve(struct jb *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->buf = realloc(b->buf, cap);
		assert_non_null(b->buf);
		b->cap = cap;
	}
}

static void jb_header(struct jb *b, uint64_t fid, uint64_t base, uint32_t fp)
{
	memset(b, 0, sizeof *b);
	b->fid = fid;
	b->lsn = base;
	b->sync_each = true;
	jb_reserve(b, NUMSEQ__JF_HDR_LEN);
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0, fp, fid, base, 0, 12345};
	assert_int_equal(numseq__jf_header_encode(&h, b->buf), NUMSEQ_OK);
	b->len = NUMSEQ__JF_HDR_LEN;
}

static size_t jb_add(struct jb *b, numseq__jrec_t r)
{
	r.lsn = b->lsn++;
	r.durable_lsn = b->sync_each ? r.lsn - 1 : b->durable;
	b->last_dur = r.durable_lsn;
	size_t n = numseq__jf_encoded_size(&r);
	assert_true(n >= NUMSEQ__JF_OVERHEAD);
	jb_reserve(b, n);
	size_t len = 0;
	int rc = numseq__jf_encode(&r, b->fid, b->buf + b->len, b->cap - b->len, &len);
	if (rc != NUMSEQ_OK)
		fail_msg("encode of type %u failed: %d", r.type, rc);
	assert_int_equal(len, n);
	if (b->nrec < sizeof b->off / sizeof b->off[0])
		b->off[b->nrec++] = b->len;
	b->len += len;
	return b->len - len;
}

/* Header + OPTIONS. */
static void jb_init(struct jb *b, const numseq__jopts_t *o, uint64_t fid, uint64_t base)
{
	jb_header(b, fid, base, numseq__jf_fingerprint(o));
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = *o});
}

static void jb_free(struct jb *b)
{
	free(b->buf);
	b->buf = NULL;
}

static int scan(const uint8_t *p, size_t n, numseq__jscan_t *res)
{
	return numseq__jf_scan(p, n, NULL, NULL, NULL, res);
}

static const uint8_t pad3[3] = {1, 2, 3};

/* The reference journal: every type, claims SEQUENCE over 1..1000. */
static void full_journal(struct jb *b)
{
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 1000, 1);
	jb_init(b, &o, FID, 1);
	jb_add(b,
	       (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(32, true), .window = 32});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 5});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE, .value = 5});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {10, 5}});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN, .run = {10, 2}});
	numseq__jstate_t sv = st(100, true);
	sv.cause = NUMSEQ__JF_CAUSE_SETVAL;
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = sv});
	numseq__jopts_t o2 = o;
	o2.cache = 5;
	o2.cycle = true;
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_ALTER, .state = st(100, true), .opts = o2});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {33, 64, 1, 32}});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_PAD, .pad = {pad3, 3}});
	jb_add(b, (numseq__jrec_t){.type = 0x90, .pad = {pad3, 2}});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(100, true)});
	jb_add(b,
	       (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(164, true), .window = 64});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1000});
	jb_add(b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(101, true)});
}

/* ------------------------------------------------------------- header */

static void assert_hdr(const numseq__jhdr_t *a, const numseq__jhdr_t *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->fingerprint, b->fingerprint);
	assert_int_equal(a->file_id, b->file_id);
	assert_int_equal(a->base_lsn, b->base_lsn);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->created_ns, b->created_ns);
}

static void test_header_roundtrip(void **state)
{
	(void)state;
	uint8_t b[NUMSEQ__JF_HDR_LEN];
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0,          0xdeadbeefu, UINT64_MAX,
	                    NUMSEQ__JF_LSN_MAX, UINT64_MAX, UINT64_MAX};
	numseq__jhdr_t d;
	int why = -1;
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_OK);
	assert_memory_equal(b, "NUMSEQJ1", 8);
	assert_int_equal(numseq__jf_header_decode(b, sizeof b, &d, &why), NUMSEQ_OK);
	assert_int_equal(why, NUMSEQ__JR_NONE);
	assert_hdr(&d, &h);
	h = (numseq__jhdr_t){NUMSEQ__JF_VERSION, 0, 0, 1, 1, 0, 0};
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_OK);
	assert_int_equal(numseq__jf_header_decode(b, sizeof b, &d, NULL), NUMSEQ_OK);
	assert_hdr(&d, &h);
	/* Encoder refuses what no reader accepts. */
	h.file_id = 0;
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_EINVAL);
	h.file_id = 1;
	h.base_lsn = 0;
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_EINVAL);
	h.base_lsn = NUMSEQ__JF_LSN_MAX + 1;
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_EINVAL);
}

static void expect_hdr(const uint8_t *b, size_t n, int code, int reason)
{
	numseq__jhdr_t d;
	int why = -1;
	int rc = numseq__jf_header_decode(b, n, &d, &why);
	if (rc != code || why != reason)
		fail_msg("header decode: got %d/%d, want %d/%d", rc, why, code, reason);
}

static void test_header_rejects(void **state)
{
	(void)state;
	uint8_t good[NUMSEQ__JF_HDR_LEN], b[NUMSEQ__JF_HDR_LEN];
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0, 7, 99, 5, 1, 2};
	assert_int_equal(numseq__jf_header_encode(&h, good), NUMSEQ_OK);

	/* Every short prefix. */
	for (size_t n = 0; n < NUMSEQ__JF_HDR_LEN; n++) {
		if (n < 8)
			expect_hdr(good, n, NUMSEQ_ENOTJOURNAL, NUMSEQ__JR_MAGIC);
		else
			expect_hdr(good, n, NUMSEQ_ECORRUPT, NUMSEQ__JR_HDR_SHORT);
	}
	/* Magic. */
	memcpy(b, good, sizeof b);
	b[7] = '2';
	expect_hdr(b, sizeof b, NUMSEQ_ENOTJOURNAL, NUMSEQ__JR_MAGIC);
	/* Version, with and without a matching CRC: checked first. */
	const uint32_t versions[] = {0, 2, 0xffffffffu};
	for (size_t i = 0; i < 3; i++) {
		memcpy(b, good, sizeof b);
		put32(b + 8, versions[i]);
		expect_hdr(b, sizeof b, NUMSEQ_EVERSION, NUMSEQ__JR_VERSION);
		refix_header(b);
		expect_hdr(b, sizeof b, NUMSEQ_EVERSION, NUMSEQ__JR_VERSION);
		expect_hdr(b, 12, NUMSEQ_EVERSION, NUMSEQ__JR_VERSION);
	}
	/* CRC. */
	memcpy(b, good, sizeof b);
	b[30] ^= 1;
	expect_hdr(b, sizeof b, NUMSEQ_ECORRUPT, NUMSEQ__JR_HDR_CRC);
	/* Flags: a feature this version does not know. */
	memcpy(b, good, sizeof b);
	put32(b + 16, 1);
	refix_header(b);
	expect_hdr(b, sizeof b, NUMSEQ_EVERSION, NUMSEQ__JR_FEATURES);
	/* Fields, each with a valid CRC. */
	struct {
		size_t off;
		int width;
		uint64_t v;
	} bad[] = {
		{12, 4, 65}, {12, 4, 0}, {56, 4, 1},
		{24, 8, 0},  {32, 8, 0}, {32, 8, NUMSEQ__JF_LSN_MAX + 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(b, good, sizeof b);
		if (bad[i].width == 4)
			put32(b + bad[i].off, (uint32_t)bad[i].v);
		else
			put64(b + bad[i].off, bad[i].v);
		refix_header(b);
		expect_hdr(b, sizeof b, NUMSEQ_ECORRUPT, NUMSEQ__JR_HDR_FIELD);
	}
}

/* ----------------------------------------------------------- records */

/* Encodes r, decodes it, re-encodes the decoded record: the bytes must be
 * identical (decode kept every field), and the decoded record comes back. */
static numseq__jrec_t roundtrip(numseq__jrec_t r, uint8_t *buf, size_t cap)
{
	size_t len = 0, len2 = 0;
	static uint8_t again[NUMSEQ__JF_REC_MAX];
	numseq__jrec_t d;
	int why = -1;
	int rc = numseq__jf_encode(&r, FID, buf, cap, &len);
	if (rc != NUMSEQ_OK)
		fail_msg("encode type %u: %d", r.type, rc);
	assert_int_equal(len, numseq__jf_encoded_size(&r));
	assert_int_equal(get32(buf), len);
	assert_int_equal(numseq__jf_decode(buf, len, FID, &d, &why), NUMSEQ_OK);
	assert_int_equal(why, NUMSEQ__JR_NONE);
	assert_int_equal(d.type, r.type);
	assert_int_equal(d.lsn, r.lsn);
	assert_int_equal(d.durable_lsn, r.durable_lsn);
	assert_int_equal(d.length, len);
	assert_ptr_equal(d.raw, buf);
	assert_int_equal(numseq__jf_encode(&d, FID, again, sizeof again, &len2), NUMSEQ_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	/* A longer buffer decodes the same record (trailing bytes ignored),
	 * a shorter one is SHORT. */
	assert_int_equal(numseq__jf_decode(buf, len - 1, FID, &d, &why), NUMSEQ_ECORRUPT);
	assert_int_equal(why, NUMSEQ__JR_SHORT);
	assert_int_equal(numseq__jf_decode(buf, len, FID + 1, &d, &why), NUMSEQ_ECORRUPT);
	assert_int_equal(why, NUMSEQ__JR_CRC);
	assert_int_equal(numseq__jf_decode(buf, len, FID, &d, NULL), NUMSEQ_OK);
	return d;
}

static void assert_state(numseq__jstate_t a, numseq__jstate_t b)
{
	assert_int_equal(a.last_value, b.last_value);
	assert_int_equal(a.wraps, b.wraps);
	assert_int_equal(a.is_called, b.is_called);
	assert_int_equal(a.cause, b.cause);
}

static void assert_opts(const numseq__jopts_t *a, const numseq__jopts_t *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->cycle, b->cycle);
	assert_int_equal(a->claims, b->claims);
	assert_int_equal(a->claims_flags, b->claims_flags);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->increment, b->increment);
	assert_int_equal(a->minvalue, b->minvalue);
	assert_int_equal(a->maxvalue, b->maxvalue);
	assert_int_equal(a->cache, b->cache);
	assert_int_equal(a->name_len, b->name_len);
	assert_memory_equal(a->name, b->name, a->name_len);
	assert_int_equal(b->name[b->name_len], '\0');
	assert_int_equal(numseq__jf_fingerprint(a), numseq__jf_fingerprint(b));
}

/* Option sets at the edges of every field. */
static numseq__jopts_t edge_opts(int k)
{
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_NONE, INT64_MIN, INT64_MAX, 1);
	switch (k) {
	case 0: o.start = INT64_MIN; break;
	case 1:
		o.increment = INT64_MIN;
		o.start = INT64_MAX;
		o.cache = INT64_MAX;
		o.cycle = true;
		break;
	case 2:
		o.type = NUMSEQ_SMALLINT;
		o.minvalue = INT16_MIN;
		o.maxvalue = INT16_MAX;
		o.start = INT16_MAX;
		o.increment = INT64_MAX;
		break;
	case 3:
		o.type = NUMSEQ_INTEGER;
		o.minvalue = INT32_MIN;
		o.maxvalue = INT32_MAX;
		o.start = 0;
		o.name_len = NUMSEQ__JF_NAME_MAX;
		memset(o.name, 'z', NUMSEQ__JF_NAME_MAX);
		o.name[0] = '\xff';
		break;
	case 4:
		o = mkopts(NUMSEQ_CLAIMS_CYCLIC, -1000, 1000, -10);
		o.claims_flags = NUMSEQ_CLAIMS_F_CONFLICT;
		break;
	default:
		o = mkopts(NUMSEQ_CLAIMS_LOWEST_FREE, INT64_MAX - 1, INT64_MAX, 1);
		o.start = INT64_MAX;
		break;
	}
	return o;
}

static void test_record_roundtrip(void **state)
{
	(void)state;
	static uint8_t buf[NUMSEQ__JF_REC_MAX];
	static numseq__jrun_t runs[NUMSEQ__JF_RUNS_MAX];
	static uint8_t padbytes[NUMSEQ__JF_PAYLOAD_MAX];
	const uint64_t lsns[][2] = {{1, 0}, {NUMSEQ__JF_LSN_MAX, NUMSEQ__JF_LSN_MAX - 1}, {77, 3}};

	for (size_t li = 0; li < 3; li++) {
		uint64_t lsn = lsns[li][0], dur = lsns[li][1];
		for (int k = 0; k < 6; k++) {
			numseq__jopts_t o = edge_opts(k);
			numseq__jrec_t d;
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .opts = o},
			              buf, sizeof buf);
			assert_opts(&o, &d.opts);
			numseq__jstate_t s = {o.start, UINT64_MAX, true, NUMSEQ__JF_CAUSE_RESTART};
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .state = s,
			                               .opts = o},
			              buf, sizeof buf);
			assert_opts(&o, &d.opts);
			assert_state(s, d.state);
			s.cause = 0;
			numseq__jrec_t snap = {.type = NUMSEQ__JF_SNAPSHOT,
			                       .lsn = lsn,
			                       .durable_lsn = dur,
			                       .state = s,
			                       .opts = o,
			                       .window = UINT64_MAX};
			snap.snap.gap_events = UINT64_MAX;
			snap.snap.gap_values = UINT64_MAX;
			if (o.claims != NUMSEQ_CLAIMS_NONE) {
				snap.snap.claimed = k == 4 ? 201 : 2;
				snap.snap.run_chunks = k == 4 ? 201 : 2;
			}
			d = roundtrip(snap, buf, sizeof buf);
			assert_opts(&o, &d.opts);
			assert_state(s, d.state);
			assert_int_equal(d.window, UINT64_MAX);
			assert_int_equal(d.snap.claimed, snap.snap.claimed);
			assert_int_equal(d.snap.run_chunks, snap.snap.run_chunks);
			assert_int_equal(d.snap.gap_events, UINT64_MAX);
			assert_int_equal(d.snap.gap_values, UINT64_MAX);
		}
		const int64_t vals[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
		for (size_t i = 0; i < 5; i++) {
			int64_t v = vals[i];
			numseq__jrec_t d;
			numseq__jstate_t s = {v, i, i % 2 == 0, 0};
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_RESERVE,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .state = s,
			                               .window = i + 1},
			              buf, sizeof buf);
			assert_state(s, d.state);
			assert_int_equal(d.window, i + 1);
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_CLOSE,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .state = s},
			              buf, sizeof buf);
			assert_state(s, d.state);
			s.cause = i % 2 ? NUMSEQ__JF_CAUSE_SETVAL : NUMSEQ__JF_CAUSE_RESTART;
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_STATE,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .state = s},
			              buf, sizeof buf);
			assert_state(s, d.state);
			for (uint8_t t = NUMSEQ__JF_CLAIM; t <= NUMSEQ__JF_RELEASE; t++) {
				d = roundtrip((numseq__jrec_t){.type = t,
				                               .lsn = lsn,
				                               .durable_lsn = dur,
				                               .value = v},
				              buf, sizeof buf);
				assert_int_equal(d.value, v);
			}
			for (uint8_t t = NUMSEQ__JF_CLAIM_RUN; t <= NUMSEQ__JF_RELEASE_RUN; t++) {
				numseq__jrun_t run = {v, i == 0 ? UINT64_MAX : i};
				d = roundtrip((numseq__jrec_t){.type = t,
				                               .lsn = lsn,
				                               .durable_lsn = dur,
				                               .run = run},
				              buf, sizeof buf);
				assert_int_equal(d.run.first, run.first);
				assert_int_equal(d.run.count, run.count);
			}
			d = roundtrip((numseq__jrec_t){.type = NUMSEQ__JF_GAP,
			                               .lsn = lsn,
			                               .durable_lsn = dur,
			                               .gap = {v, -v - 1, v == 0 ? 1 : v,
			                                       UINT64_MAX - i}},
			              buf, sizeof buf);
			assert_int_equal(d.gap.first, v);
			assert_int_equal(d.gap.last, -v - 1);
			assert_int_equal(d.gap.step, v == 0 ? 1 : v);
			assert_int_equal(d.gap.count, UINT64_MAX - i);
		}
		/* SNAPSHOT_RUNS: one run and the maximum. */
		for (uint32_t i = 0; i < NUMSEQ__JF_RUNS_MAX; i++)
			runs[i] = (numseq__jrun_t){(int64_t)i * 3 - 5, i + 1u};
		const uint32_t counts[] = {1, 2, NUMSEQ__JF_RUNS_MAX};
		for (size_t c = 0; c < 3; c++) {
			numseq__jrec_t r = {.type = NUMSEQ__JF_SNAPSHOT_RUNS,
			                    .lsn = lsn,
			                    .durable_lsn = dur};
			r.runs.chunk = c == 2 ? UINT32_MAX : (uint32_t)c;
			r.runs.nruns = counts[c];
			r.runs.runs = runs;
			numseq__jrec_t d = roundtrip(r, buf, sizeof buf);
			assert_int_equal(d.runs.chunk, r.runs.chunk);
			assert_int_equal(d.runs.nruns, counts[c]);
			assert_null(d.runs.runs);
			for (uint32_t i = 0; i < counts[c]; i++) {
				numseq__jrun_t a = numseq__jf_run(&d, i);
				assert_int_equal(a.first, runs[i].first);
				assert_int_equal(a.count, runs[i].count);
			}
			assert_int_equal(numseq__jf_run(&d, counts[c]).count, 0); /* out of range */
			if (counts[c] == NUMSEQ__JF_RUNS_MAX)
				assert_int_equal(d.length, NUMSEQ__JF_OVERHEAD + 8 +
				                                   16 * NUMSEQ__JF_RUNS_MAX);
		}
		/* PAD and unknown optional types: empty, 1 byte, the maximum. */
		for (size_t i = 0; i < sizeof padbytes; i++)
			padbytes[i] = (uint8_t)(i * 7);
		const size_t plen[] = {0, 1, NUMSEQ__JF_PAYLOAD_MAX};
		const uint8_t ptype[] = {NUMSEQ__JF_PAD, 0x81, 0xff};
		for (size_t t = 0; t < 3; t++)
			for (size_t pi = 0; pi < 3; pi++) {
				numseq__jrec_t d = roundtrip((numseq__jrec_t){.type = ptype[t],
				                                              .lsn = lsn,
				                                              .durable_lsn = dur,
				                                              .pad = {padbytes,
				                                                      plen[pi]}},
				                             buf, sizeof buf);
				assert_int_equal(d.pad.len, plen[pi]);
				if (plen[pi] > 0)
					assert_memory_equal(d.pad.bytes, padbytes, plen[pi]);
				if (plen[pi] == NUMSEQ__JF_PAYLOAD_MAX)
					assert_int_equal(d.length, NUMSEQ__JF_REC_MAX);
			}
	}
	/* A run with neither array nor bytes has no runs. */
	numseq__jrec_t none = {.type = NUMSEQ__JF_SNAPSHOT_RUNS};
	none.runs.nruns = 1;
	assert_int_equal(numseq__jf_run(&none, 0).count, 0);
}

static void expect_encode_fails(numseq__jrec_t r, const char *what)
{
	static uint8_t buf[NUMSEQ__JF_REC_MAX];
	size_t len = 12345;
	if (r.lsn == 0)
		r.lsn = 5;
	int rc = numseq__jf_encode(&r, FID, buf, sizeof buf, &len);
	if (rc != NUMSEQ_EINVAL)
		fail_msg("encode accepted %s (rc %d)", what, rc);
	assert_int_equal(len, 12345);
}

static void test_encode_rejects(void **state)
{
	(void)state;
	numseq__jopts_t good = mkopts(NUMSEQ_CLAIMS_NONE, 1, 100, 1);
	numseq__jopts_t o;
#define BADOPT(stmt, what)                                                                   \
	do {                                                                                 \
		o = good;                                                                    \
		stmt;                                                                        \
		expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = o}, \
		                    what);                                                   \
		expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_ALTER,               \
		                                     .state = st(1, false),                  \
		                                     .opts = o},                             \
		                    what);                                                   \
	} while (0)
	BADOPT(o.type = 3, "type 3");
	BADOPT(o.type = 0, "type 0");
	BADOPT(o.increment = 0, "increment 0");
	BADOPT(o.minvalue = 100, "min = max");
	BADOPT(o.minvalue = 101, "min > max");
	BADOPT((o.type = NUMSEQ_SMALLINT, o.maxvalue = INT16_MAX + 1), "smallint max");
	BADOPT((o.type = NUMSEQ_SMALLINT, o.minvalue = INT16_MIN - 1), "smallint min");
	BADOPT((o.type = NUMSEQ_INTEGER, o.maxvalue = (int64_t)INT32_MAX + 1), "integer max");
	BADOPT((o.type = NUMSEQ_INTEGER, o.minvalue = (int64_t)INT32_MIN - 1), "integer min");
	BADOPT(o.start = 0, "start below min");
	BADOPT(o.start = 101, "start above max");
	BADOPT(o.cache = 0, "cache 0");
	BADOPT(o.cache = -1, "cache -1");
	BADOPT(o.claims = 4, "claims 4");
	BADOPT((o.claims = 1, o.claims_flags = 2), "claims flag 2");
	BADOPT(o.name_len = 0, "empty name");
	BADOPT(o.name_len = NUMSEQ__JF_NAME_MAX + 1, "name 64 bytes");
	BADOPT((o.name_len = 3, memcpy(o.name, "a\0b", 3)), "NUL in name");
	BADOPT((o.claims = 1, o.increment = 3, o.start = 2), "claims: start off the grid");
#undef BADOPT
	numseq__jstate_t s = st(5, true);
	numseq__jrec_t r;
	expect_encode_fails((numseq__jrec_t){.type = 0}, "type 0");
	expect_encode_fails((numseq__jrec_t){.type = 13}, "type 13");
	expect_encode_fails((numseq__jrec_t){.type = 0x7f}, "type 0x7f");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = s},
	                    "STATE cause 0");
	s.cause = 3;
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = s},
	                    "STATE cause 3");
	s.cause = NUMSEQ__JF_CAUSE_SETVAL;
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = s, .window = 1},
	                    "RESERVE with a cause");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = s}, "CLOSE cause");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_ALTER, .state = s, .opts = good},
	                    "ALTER with setval cause");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(101, true),
	                                     .opts = good},
	                    "ALTER state outside the new range");
	s.cause = 0;
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = s}, "window 0");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {1, 0}},
	                    "run of 0");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN, .run = {1, 0}},
	                    "run of 0");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {1, 2, 0, 1}},
	                    "step 0");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {1, 2, 1, 0}},
	                    "count 0");
	/* SNAPSHOT */
	numseq__jopts_t oc = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 10, 1);
	r = (numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT, .state = s, .opts = oc, .window = 0};
	expect_encode_fails(r, "snapshot window 0");
	r.window = 1;
	r.snap.gap_events = 2;
	r.snap.gap_values = 1;
	expect_encode_fails(r, "gap values < events");
	r.snap.gap_values = 2;
	r.snap.claimed = 1;
	expect_encode_fails(r, "claims but no chunks");
	r.snap.claimed = 0;
	r.snap.run_chunks = 1;
	expect_encode_fails(r, "chunks but no claims");
	r.snap.claimed = 2;
	r.snap.run_chunks = 3;
	expect_encode_fails(r, "more chunks than numbers");
	r.snap.claimed = 11;
	r.snap.run_chunks = 1;
	expect_encode_fails(r, "more claimed than the grid has");
	r.snap.claimed = 10;
	numseq__jrec_t ok = r;
	size_t len;
	static uint8_t buf[NUMSEQ__JF_REC_MAX];
	assert_int_equal(numseq__jf_encode(&(numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT,
	                                                     .lsn = 1,
	                                                     .state = s,
	                                                     .opts = oc,
	                                                     .window = 1,
	                                                     .snap = ok.snap},
	                                   FID, buf, sizeof buf, &len),
	                 NUMSEQ_OK);
	r.opts = mkopts(NUMSEQ_CLAIMS_NONE, 1, 10, 1);
	expect_encode_fails(r, "claims in a snapshot without a bitmap");
	r = (numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT,
	                     .state = st(11, true),
	                     .opts = oc,
	                     .window = 1};
	expect_encode_fails(r, "snapshot state out of range");
	/* SNAPSHOT_RUNS */
	numseq__jrun_t runs[2] = {{1, 1}, {3, 0}};
	r = (numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT_RUNS};
	r.runs.nruns = 0;
	r.runs.runs = runs;
	expect_encode_fails(r, "no runs");
	r.runs.nruns = NUMSEQ__JF_RUNS_MAX + 1;
	expect_encode_fails(r, "too many runs");
	assert_int_equal(numseq__jf_encoded_size(&r), 0);
	r.runs.nruns = 2;
	expect_encode_fails(r, "a run of 0");
	r.runs.runs = NULL;
	r.runs.nruns = 1;
	expect_encode_fails(r, "runs missing");
	/* PAD */
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_PAD, .pad = {NULL, 4}},
	                    "pad bytes");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_PAD,
	                                     .pad = {pad3, NUMSEQ__JF_PAYLOAD_MAX + 1}},
	                    "pad too long");
	/* Frame */
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM,
	                                     .lsn = NUMSEQ__JF_LSN_MAX + 1},
	                    "lsn too large");
	expect_encode_fails((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .lsn = 5, .durable_lsn = 5},
	                    "durable = lsn");
	/* lsn 0 is rewritten to 5 by the helper; check it directly. */
	r = (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM};
	assert_int_equal(numseq__jf_encode(&r, FID, buf, sizeof buf, &len), NUMSEQ_EINVAL);
	/* Buffer too small, or none. */
	r = (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .lsn = 1};
	assert_int_equal(numseq__jf_encode(&r, FID, buf, NUMSEQ__JF_OVERHEAD + 7, &len),
	                 NUMSEQ_EINVAL);
	assert_int_equal(numseq__jf_encode(&r, FID, NULL, 100, &len), NUMSEQ_EINVAL);
	assert_int_equal(numseq__jf_encode(&r, FID, buf, NUMSEQ__JF_OVERHEAD + 8, &len), NUMSEQ_OK);
	/* Encoded size of names past the maximum. */
	o = good;
	o.name_len = 200;
	assert_int_equal(numseq__jf_encoded_size(
				 &(numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT, .opts = o}),
	                 0);
	(void)numseq__jf_fingerprint(&o); /* stays in bounds */
}

static void expect_decode(const uint8_t *p, size_t n, int reason)
{
	numseq__jrec_t d;
	int why = -1;
	int rc = numseq__jf_decode(p, n, FID, &d, &why);
	if (why != reason || rc != (reason == NUMSEQ__JR_NONE ? NUMSEQ_OK : NUMSEQ_ECORRUPT))
		fail_msg("decode: reason %d (%s), want %d (%s)", why, numseq__jf_reason_str(why),
		         reason, numseq__jf_reason_str(reason));
}

/* Encodes r into b, then lets the caller edit it (and refix the CRC). */
static size_t enc(numseq__jrec_t r, uint8_t *b)
{
	size_t len = 0;
	if (r.lsn == 0)
		r.lsn = 9;
	assert_int_equal(numseq__jf_encode(&r, FID, b, NUMSEQ__JF_REC_MAX, &len), NUMSEQ_OK);
	return len;
}

static void test_decode_rejects(void **state)
{
	(void)state;
	static uint8_t b[NUMSEQ__JF_REC_MAX + 16];
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_NONE, 1, 100, 1);
	size_t n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);

	/* Frame. */
	for (size_t k = 0; k < 4; k++)
		expect_decode(b, k, NUMSEQ__JR_SHORT);
	expect_decode(b, n - 1, NUMSEQ__JR_SHORT);
	const uint32_t lens[] = {0, 1, NUMSEQ__JF_OVERHEAD - 1, NUMSEQ__JF_REC_MAX + 1, UINT32_MAX};
	for (size_t i = 0; i < 5; i++) {
		put32(b, lens[i]);
		expect_decode(b, sizeof b, NUMSEQ__JR_LENGTH);
	}
	n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
	b[n - 1] ^= 0x80;
	expect_decode(b, n, NUMSEQ__JR_CRC);
	/* Intact (CRC refixed) but impossible. */
	n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
	b[5] = 1;
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_RESERVED);
	n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
	b[7] = 1;
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_RESERVED);
	n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
	put64(b + 8, 0);
	put64(b + 16, 0);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_LSN);
	put64(b + 8, NUMSEQ__JF_LSN_MAX + 1);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_LSN);
	put64(b + 8, 9);
	put64(b + 16, 9);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_DURABLE);
	put64(b + 16, UINT64_MAX);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_DURABLE);
	const uint8_t types[] = {0, 13, 0x7f};
	for (size_t i = 0; i < 3; i++) {
		n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
		b[4] = types[i];
		refix(b, FID);
		expect_decode(b, n, NUMSEQ__JR_TYPE);
	}
	/* Payload sizes one off for every fixed-size type: the record is
	 * re-framed with one byte more or less. */
	numseq__jstate_t sv = st(5, true);
	sv.cause = NUMSEQ__JF_CAUSE_SETVAL;
	numseq__jrun_t run1 = {1, 1};
	numseq__jrec_t fixed[] = {
		{.type = NUMSEQ__JF_OPTIONS, .opts = o},
		{.type = NUMSEQ__JF_RESERVE, .state = st(5, true), .window = 1},
		{.type = NUMSEQ__JF_STATE, .state = sv},
		{.type = NUMSEQ__JF_ALTER, .state = st(5, true), .opts = o},
		{.type = NUMSEQ__JF_CLAIM, .value = 1},
		{.type = NUMSEQ__JF_RELEASE, .value = 1},
		{.type = NUMSEQ__JF_CLAIM_RUN, .run = {1, 1}},
		{.type = NUMSEQ__JF_RELEASE_RUN, .run = {1, 1}},
		{.type = NUMSEQ__JF_SNAPSHOT, .state = st(5, true), .opts = o, .window = 1},
		{.type = NUMSEQ__JF_SNAPSHOT_RUNS, .runs = {0, 1, &run1, NULL}},
		{.type = NUMSEQ__JF_GAP, .gap = {1, 2, 1, 2}},
		{.type = NUMSEQ__JF_CLOSE, .state = st(5, true)},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		for (int d = -1; d <= 1; d += 2) {
			n = enc(fixed[i], b);
			uint8_t crcless[NUMSEQ__JF_REC_MAX];
			memcpy(crcless, b, n - 4);
			size_t m = (size_t)((ptrdiff_t)n + d);
			if (d > 0)
				crcless[n - 4] = 0;
			memcpy(b, crcless, m - 4);
			put32(b, (uint32_t)m);
			refix(b, FID);
			expect_decode(b, m, NUMSEQ__JR_PAYLOAD);
		}
	}
	/* Bytes that must be 0 or 1, and reserved bytes of the blocks. */
	struct {
		numseq__jrec_t r;
		size_t off; /* payload offset */
		uint8_t v;
	} pokes[] = {
		{fixed[0], 1, 2},      /* cycle */
		{fixed[0], 3, 0},      /* name_len vs size */
		{fixed[0], 3, 64},     /* name_len too large */
		{fixed[1], 16, 2},     /* is_called */
		{fixed[1], 17, 1},     /* RESERVE cause */
		{fixed[1], 18, 1},     /* state reserved */
		{fixed[1], 21, 1},     /* state reserved */
		{fixed[2], 17, 3},     /* cause 3 */
		{fixed[8], 44, 1},     /* snapshot reserved */
		{fixed[9], 4, 0},      /* nruns 0 */
		{fixed[9], 16, 0},     /* run count 0 (low byte of 1) */
		{fixed[0], 0, 5},      /* type 5 */
		{fixed[3], 24 + 3, 2}, /* ALTER name_len vs size */
		{fixed[8], 64 + 1, 7}, /* SNAPSHOT cycle */
	};
	for (size_t i = 0; i < sizeof pokes / sizeof pokes[0]; i++) {
		n = enc(pokes[i].r, b);
		b[NUMSEQ__JF_FRAME + pokes[i].off] = pokes[i].v;
		refix(b, FID);
		expect_decode(b, n, NUMSEQ__JR_PAYLOAD);
	}
	/* SNAPSHOT_RUNS whose nruns does not match the size. */
	n = enc(fixed[9], b);
	put32(b + NUMSEQ__JF_FRAME + 4, 2);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_PAYLOAD);
	put32(b + NUMSEQ__JF_FRAME + 4, NUMSEQ__JF_RUNS_MAX + 1);
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_PAYLOAD);
	/* A SNAPSHOT_RUNS too short for its own header. */
	n = enc((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}, b);
	b[4] = NUMSEQ__JF_SNAPSHOT_RUNS;
	put32(b, NUMSEQ__JF_OVERHEAD + 4);
	refix(b, FID);
	expect_decode(b, NUMSEQ__JF_OVERHEAD + 4, NUMSEQ__JR_PAYLOAD);
	/* A good record still decodes after all that (the helper is sound). */
	n = enc(fixed[9], b);
	expect_decode(b, n, NUMSEQ__JR_NONE);
}

/* --------------------------------------------------------------- scan */

struct seen {
	uint8_t types[256];
	uint64_t lsns[256];
	uint64_t offs[256];
	size_t n;
	size_t stop_at; /* return 7 at this record (1-based), 0 = never */
	int reencode_fail;
	uint64_t fid; /* file id to re-encode with (0: FID) */
};

static int visit(void *ctx, const numseq__jrec_t *r)
{
	struct seen *s = ctx;
	static uint8_t again[NUMSEQ__JF_REC_MAX];
	size_t len = 0;
	if (s->n < 256) {
		s->types[s->n] = r->type;
		s->lsns[s->n] = r->lsn;
		s->offs[s->n] = r->offset;
	}
	s->n++;
	if (numseq__jf_encode(r, s->fid ? s->fid : FID, again, sizeof again, &len) != NUMSEQ_OK ||
	    len != r->length || memcmp(again, r->raw, len) != 0)
		s->reencode_fail++;
	return s->stop_at != 0 && s->n == s->stop_at ? 7 : 0;
}

/* RESERVE with its from-state (84 bytes) and without (60 bytes, as
 * written before the field existed): both decode, round trip and scan;
 * a bad from-state (cause, flag byte, reserved bits, out of range, off the
 * grid) is refused; numseq__jf_check_next says what the scan says. */
static void test_reserve_from_state(void **state)
{
	(void)state;
	static uint8_t b[NUMSEQ__JF_REC_MAX];
	numseq__jrec_t r = {.type = NUMSEQ__JF_RESERVE,
	                    .lsn = 3,
	                    .durable_lsn = 2,
	                    .state = st(200, true),
	                    .from = st(100, true),
	                    .has_from = true,
	                    .window = 100};
	numseq__jrec_t d = roundtrip(r, b, sizeof b);
	assert_int_equal(numseq__jf_encoded_size(&r), 84);
	assert_true(d.has_from);
	assert_int_equal(d.from.last_value, 100);
	assert_true(d.from.is_called);
	assert_int_equal(d.state.last_value, 200);
	assert_int_equal(d.window, 100);
	r.has_from = false;
	d = roundtrip(r, b, sizeof b);
	assert_int_equal(numseq__jf_encoded_size(&r), 60);
	assert_false(d.has_from);
	/* Bad from-states. */
	r.has_from = true;
	r.from.cause = NUMSEQ__JF_CAUSE_SETVAL;
	expect_encode_fails(r, "RESERVE from-state with a cause");
	r.from.cause = 0;
	size_t n = enc(r, b);
	b[NUMSEQ__JF_FRAME + 32 + 16] = 2; /* from.is_called */
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_PAYLOAD);
	n = enc(r, b);
	b[NUMSEQ__JF_FRAME + 32 + 20] = 1; /* from reserved */
	refix(b, FID);
	expect_decode(b, n, NUMSEQ__JR_PAYLOAD);
	/* In a journal: range and grid checked for from as for the state. */
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_LOWEST_FREE, 1, 1000, 3);
	numseq__jrec_t ok = {.type = NUMSEQ__JF_RESERVE,
	                     .state = st(301, true),
	                     .from = st(100, true),
	                     .has_from = true,
	                     .window = 100};
	assert_int_equal(numseq__jf_check_next(&o, &ok), NUMSEQ__JR_NONE);
	numseq__jrec_t off = ok;
	off.from = st(101, true);
	assert_int_equal(numseq__jf_check_next(&o, &off), NUMSEQ__JR_PAYLOAD);
	numseq__jrec_t out = ok;
	out.from = st(1001, true);
	assert_int_equal(numseq__jf_check_next(&o, &out), NUMSEQ__JR_PAYLOAD);
	struct jb j;
	memset(&j, 0, sizeof j);
	jb_init(&j, &o, FID, 1);
	jb_add(&j, ok);
	numseq__jrec_t legacy = ok;
	legacy.has_from = false;
	jb_add(&j, legacy);
	numseq__jscan_t res;
	assert_int_equal(scan(j.buf, j.len, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_CLEAN);
	assert_int_equal(res.records, 3);
	jb_add(&j, off);
	assert_int_equal(scan(j.buf, j.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_PAYLOAD);
	jb_free(&j);
	/* Base records are never allowed after the base. */
	numseq__jrec_t base = {.type = NUMSEQ__JF_OPTIONS, .opts = o};
	assert_int_equal(numseq__jf_check_next(&o, &base), NUMSEQ__JR_ORDER);
}

static void test_scan_clean(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	struct seen s;
	memset(&s, 0, sizeof s);
	numseq__jscan_t res;
	assert_int_equal(numseq__jf_scan(b.buf, b.len, NULL, visit, &s, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_CLEAN);
	assert_int_equal(res.reason, NUMSEQ__JR_NONE);
	assert_false(res.torn);
	assert_true(res.clean_close);
	assert_int_equal(res.records, b.nrec);
	assert_int_equal(res.skipped, 1); /* 0x90; PAD is known */
	assert_int_equal(s.n, b.nrec);
	assert_int_equal(s.reencode_fail, 0);
	for (size_t i = 0; i < b.nrec; i++) {
		assert_int_equal(s.lsns[i], 1 + i);
		assert_int_equal(s.offs[i], b.off[i]);
	}
	assert_int_equal(s.types[0], NUMSEQ__JF_OPTIONS);
	assert_int_equal(res.first_lsn, 1);
	assert_int_equal(res.last_lsn, b.nrec);
	assert_int_equal(res.next_lsn, b.nrec + 1);
	assert_int_equal(res.durable_lsn, b.nrec - 1);
	assert_int_equal(res.end, b.len);
	assert_int_equal(res.size, b.len);
	assert_int_equal(res.base_end, b.off[1]);
	assert_int_equal(res.last_type, NUMSEQ__JF_CLOSE);
	assert_int_equal(res.hdr.file_id, FID);
	assert_int_equal(res.opts.cache, 5); /* the ALTER */
	assert_true(res.opts.cycle);
	/* Without a visitor: the same verdict. */
	numseq__jscan_t res2;
	assert_int_equal(scan(b.buf, b.len, &res2), NUMSEQ_OK);
	assert_int_equal(res2.records, res.records);
	/* Not ending in CLOSE: clean, not a clean close. */
	assert_int_equal(scan(b.buf, b.off[b.nrec - 1], &res2), NUMSEQ_OK);
	assert_int_equal(res2.verdict, NUMSEQ__JV_CLEAN);
	assert_false(res2.clean_close);
	jb_free(&b);
}

/* The verdict for the journal cut to t bytes, computed independently. */
static void test_scan_truncation(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	for (size_t t = 0; t <= b.len; t++) {
		numseq__jscan_t res;
		int rc = scan(b.buf, t, &res);
		if (t < 8) {
			assert_int_equal(rc, NUMSEQ_ENOTJOURNAL);
			assert_int_equal(res.verdict, NUMSEQ__JV_NOTJOURNAL);
			continue;
		}
		if (t < NUMSEQ__JF_HDR_LEN) {
			assert_int_equal(rc, NUMSEQ_ECORRUPT);
			assert_int_equal(res.reason, NUMSEQ__JR_HDR_SHORT);
			continue;
		}
		if (t < b.off[1]) { /* inside the base: cannot be a crash (created by rename) */
			assert_int_equal(rc, NUMSEQ_ECORRUPT);
			assert_int_equal(res.reason, NUMSEQ__JR_BASE);
			assert_int_equal(res.bad_offset, NUMSEQ__JF_HDR_LEN);
			continue;
		}
		size_t k = 0; /* records wholly inside t */
		while (k < b.nrec && (k + 1 < b.nrec ? b.off[k + 1] : b.len) <= t)
			k++;
		size_t boundary = k < b.nrec ? b.off[k] : b.len;
		if (rc != NUMSEQ_OK)
			fail_msg("cut at %zu: rc %d (%s), want a torn tail", t, rc,
			         numseq__jf_reason_str(res.reason));
		assert_int_equal(res.records, k);
		assert_int_equal(res.end, boundary);
		if (t == boundary) {
			assert_int_equal(res.verdict, NUMSEQ__JV_CLEAN);
		} else {
			assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
			assert_true(res.torn);
			assert_int_equal(res.bad_offset, boundary);
			assert_true(res.reason == NUMSEQ__JR_SHORT ||
			            res.reason == NUMSEQ__JR_LENGTH);
			assert_false(res.tail_zero &&
			             t - boundary >= 4); /* a real length is non-zero */
		}
	}
	jb_free(&b);
}

/* Every single-bit flip is detected, and classified by where it hit. */
static void test_scan_bitflips(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	size_t last = b.off[b.nrec - 1];
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(c, b.buf, b.len);
			c[i] ^= (uint8_t)(1u << bit);
			numseq__jscan_t res;
			int rc = scan(c, b.len, &res);
			if (rc == NUMSEQ_OK && res.verdict == NUMSEQ__JV_CLEAN)
				fail_msg("flip of bit %d at byte %zu not detected", bit, i);
			if (i < 8)
				assert_int_equal(rc, NUMSEQ_ENOTJOURNAL);
			else if (i < 12)
				assert_int_equal(rc, NUMSEQ_EVERSION);
			else if (i < NUMSEQ__JF_HDR_LEN)
				assert_int_equal(res.reason, NUMSEQ__JR_HDR_CRC);
			else if (i < b.off[1])
				assert_int_equal(res.reason, NUMSEQ__JR_BASE);
			else if (i < last) {
				/* acknowledged (later records say so): refuse */
				if (rc != NUMSEQ_ECORRUPT || res.reason != NUMSEQ__JR_ACKED)
					fail_msg("flip at %zu: rc %d reason %s", i, rc,
					         numseq__jf_reason_str(res.reason));
				size_t k = 1;
				while (k + 1 < b.nrec && b.off[k + 1] <= i)
					k++;
				assert_int_equal(res.bad_offset, b.off[k]);
				assert_int_equal(res.evidence_offset, b.off[k + 1]);
				assert_int_equal(res.end, b.off[k]);
			} else {
				assert_int_equal(rc, NUMSEQ_OK);
				assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
				assert_int_equal(res.end, last);
			}
		}
	}
	free(c);
	jb_free(&b);
}

static void test_scan_foreign_records(void **state)
{
	(void)state;
	struct jb b, other;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 1000, 1);
	jb_init(&b, &o, FID, 1);
	jb_init(&other, &o, FID ^ 1, 1);
	for (int i = 0; i < 4; i++) {
		jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 10 + i});
		jb_add(&other, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 10 + i});
	}
	/* Same LSNs, same content, other file id: record 2 swapped in. */
	size_t rl = b.off[2] - b.off[1];
	uint8_t *c = malloc(b.len);
	memcpy(c, b.buf, b.len);
	memcpy(c + b.off[2], other.buf + other.off[2], rl);
	numseq__jscan_t res;
	assert_int_equal(scan(c, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_ACKED);
	assert_int_equal(res.damage, NUMSEQ__JR_CRC);
	assert_int_equal(res.bad_offset, b.off[2]);
	/* As the last record: a tail that is not ours, dropped. */
	memcpy(c, b.buf, b.len);
	memcpy(c + b.off[4], other.buf + other.off[4], rl);
	assert_int_equal(scan(c, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
	assert_int_equal(res.damage, NUMSEQ__JR_CRC);
	assert_int_equal(res.end, b.off[4]);
	/* The whole other journal's records under our header: the base
	 * itself is foreign. */
	memcpy(c, b.buf, NUMSEQ__JF_HDR_LEN);
	memcpy(c + NUMSEQ__JF_HDR_LEN, other.buf + NUMSEQ__JF_HDR_LEN, b.len - NUMSEQ__JF_HDR_LEN);
	assert_int_equal(scan(c, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_BASE);
	free(c);
	jb_free(&b);
	jb_free(&other);
}

/* Appends raw bytes to a journal being built. */
static void jb_raw(struct jb *b, const uint8_t *p, size_t n)
{
	jb_reserve(b, n);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void test_scan_lsn_rules(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_NONE, 1, 1000, 1);
	struct jb b;
	numseq__jscan_t res;
	/* An LSN skipped, repeated, or going back: intact records, so corrupt
	 * wherever they are (no crash writes them). */
	const int64_t deltas[] = {+1, -1, -2, +100};
	for (size_t i = 0; i < 4; i++) {
		jb_init(&b, &o, FID, 10);
		jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
		b.lsn = (uint64_t)((int64_t)b.lsn + deltas[i]);
		size_t at = jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE,
		                                        .state = st(2, true)});
		assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
		assert_int_equal(res.reason, NUMSEQ__JR_LSN);
		assert_int_equal(res.bad_offset, at);
		assert_int_equal(res.records, 2);
		jb_free(&b);
	}
	/* durable_lsn going down, or below the base. */
	jb_init(&b, &o, FID, 10);
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
	b.sync_each = false;
	b.durable = 9; /* below the previous record's 10 */
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_DURABLE);
	jb_free(&b);
	jb_header(&b, FID, 10, numseq__jf_fingerprint(&o));
	b.sync_each = false;
	b.durable = 8;
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = o});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_DURABLE);
	jb_free(&b);
	/* The base LSN is the first record's LSN. */
	jb_header(&b, FID, 10, numseq__jf_fingerprint(&o));
	b.lsn = 11;
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = o});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_LSN);
	jb_free(&b);
}

static void test_scan_oversized_length(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_NONE, 1, 1000, 1);
	struct jb b;
	numseq__jscan_t res;
	const uint32_t lens[] = {UINT32_MAX, NUMSEQ__JF_REC_MAX + 1, 0x7fffffffu, 3, 0};
	for (size_t i = 0; i < 5; i++) {
		/* At the tail: torn (never an allocation of that size: the
		 * scan allocates nothing at all in memory mode). */
		jb_init(&b, &o, FID, 1);
		jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
		size_t at = b.len;
		uint8_t junk[40];
		memset(junk, 0xab, sizeof junk);
		put32(junk, lens[i]);
		jb_raw(&b, junk, sizeof junk);
		assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
		assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
		assert_int_equal(res.reason, NUMSEQ__JR_LENGTH);
		assert_int_equal(res.end, at);
		/* Followed by the next record (LSN 4, which knew 3 durable), or by
		 * record 3 itself further on (garbage inserted): corrupt. */
		for (uint64_t next = 3; next <= 4; next++) {
			b.len = at + sizeof junk;
			b.lsn = next;
			jb_add(&b,
			       (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(2, true)});
			assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
			assert_int_equal(res.reason, NUMSEQ__JR_ACKED);
			assert_int_equal(res.damage, NUMSEQ__JR_LENGTH);
			assert_int_equal(res.bad_offset, at);
			assert_int_equal(res.evidence_offset, at + sizeof junk);
		}
		jb_free(&b);
	}
	/* A length that fits the maximum but not the file. */
	jb_init(&b, &o, FID, 1);
	uint8_t junk[100];
	memset(junk, 0, sizeof junk);
	put32(junk, NUMSEQ__JF_REC_MAX);
	jb_raw(&b, junk, sizeof junk);
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.reason, NUMSEQ__JR_SHORT);
	assert_false(res.tail_zero);
	jb_free(&b);
}

/* A batch written in one go and torn by a power loss can reach the disk
 * out of order: its later records intact, an earlier one not.  None was
 * acknowledged (their durable_lsn says the batch was not yet synced):
 * a torn tail.  If a later record says the damaged one was durable, the
 * damage is to acknowledged data. */
static void test_scan_unacked_batch(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 1000, 1);
	struct jb b;
	numseq__jscan_t res;
	jb_init(&b, &o, FID, 1);
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1}); /* lsn 2, acked */
	b.sync_each = false;
	b.durable = 2; /* batch 3..5 written while 2 was the durable one */
	size_t first = jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 2});
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 3});
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 4});
	uint8_t *c = malloc(b.len);
	memcpy(c, b.buf, b.len);
	memset(c + first + 10, 0x5a, 8); /* record 3's sector lost */
	assert_int_equal(scan(c, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
	assert_int_equal(res.end, first);
	assert_int_equal(res.records, 2);
	assert_false(res.tail_zero);
	/* The same, but the last record of the batch knew 3 was durable. */
	jb_free(&b);
	free(c);
	jb_init(&b, &o, FID, 1);
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1});
	b.sync_each = false;
	b.durable = 2;
	first = jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 2});
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 3});
	b.durable = 3;
	size_t proof = jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 4});
	c = malloc(b.len);
	memcpy(c, b.buf, b.len);
	memset(c + first + 10, 0x5a, 8);
	assert_int_equal(scan(c, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_ACKED);
	assert_int_equal(res.evidence_offset, proof);
	free(c);
	jb_free(&b);
}

/* After damage, an intact record that no crash explains - an LSN already
 * used - refuses, whatever its durable_lsn. */
static void test_scan_stray_record(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_NONE, 1, 1000, 1);
	struct jb b;
	numseq__jscan_t res;
	jb_init(&b, &o, FID, 1);
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)}); /* 2 */
	uint8_t junk[30];
	memset(junk, 0x77, sizeof junk);
	jb_raw(&b, junk, sizeof junk);
	b.lsn = 2; /* again */
	b.sync_each = false;
	b.durable = 0;
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_ACKED);
	jb_free(&b);
}

static void test_scan_zero_tail(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	size_t len = b.len;
	uint8_t zeros[5000];
	memset(zeros, 0, sizeof zeros);
	jb_raw(&b, zeros, sizeof zeros);
	numseq__jscan_t res;
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
	assert_true(res.tail_zero);
	assert_int_equal(res.end, len);
	assert_int_equal(res.damage, NUMSEQ__JR_LENGTH);
	assert_false(res.clean_close); /* something was being written after CLOSE */
	b.buf[b.len - 1] = 1;
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
	assert_false(res.tail_zero);
	/* 1, 2, 3 trailing bytes: SHORT. */
	for (size_t k = 1; k < 4; k++) {
		assert_int_equal(scan(b.buf, len + k, &res), NUMSEQ_OK);
		assert_int_equal(res.reason, NUMSEQ__JR_SHORT);
		assert_true(res.tail_zero);
	}
	jb_free(&b);
}

/* Builds header + OPTIONS(claims over 1..100 step 1) + the record given
 * as bytes (edited by the caller), and scans. */
static void expect_scan_corrupt(const numseq__jopts_t *o, numseq__jrec_t r, int reason,
                                const char *what)
{
	struct jb b;
	numseq__jscan_t res;
	jb_init(&b, o, FID, 1);
	size_t at = jb_add(&b, r);
	int rc = scan(b.buf, b.len, &res);
	if (rc != NUMSEQ_ECORRUPT || res.reason != reason || res.bad_offset != at)
		fail_msg("%s: rc %d reason %s at %" PRIu64, what, rc,
		         numseq__jf_reason_str(res.reason), res.bad_offset);
	jb_free(&b);
}

static void test_scan_order_rules(void **state)
{
	(void)state;
	numseq__jopts_t oc = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 100, 3); /* grid 1, 4, ..., 100 */
	numseq__jopts_t on = mkopts(NUMSEQ_CLAIMS_NONE, 1, 100, 1);
	numseq__jstate_t sv = st(200, true);
	sv.cause = NUMSEQ__JF_CAUSE_SETVAL;
	numseq__jopts_t alt;

	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = on},
	                    NUMSEQ__JR_ORDER, "second OPTIONS");
	expect_scan_corrupt(&on,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT,
	                                     .state = st(1, false),
	                                     .opts = on,
	                                     .window = 1},
	                    NUMSEQ__JR_ORDER, "SNAPSHOT after the base");
	numseq__jrun_t run1 = {1, 1};
	expect_scan_corrupt(&oc,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_SNAPSHOT_RUNS,
	                                     .runs = {0, 1, &run1, NULL}},
	                    NUMSEQ__JR_ORDER, "RUNS after the base");
	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1},
	                    NUMSEQ__JR_ORDER, "CLAIM without a bitmap");
	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN, .run = {1, 1}},
	                    NUMSEQ__JR_ORDER, "RELEASE_RUN without a bitmap");
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 2},
	                    NUMSEQ__JR_PAYLOAD, "CLAIM off the grid");
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE, .value = 103},
	                    NUMSEQ__JR_PAYLOAD, "RELEASE out of range");
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = -2},
	                    NUMSEQ__JR_PAYLOAD, "CLAIM below the range");
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {97, 3}},
	                    NUMSEQ__JR_PAYLOAD, "run past the end");
	expect_scan_corrupt(&oc,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {1, UINT64_MAX}},
	                    NUMSEQ__JR_PAYLOAD, "run of 2^64-1");
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = sv},
	                    NUMSEQ__JR_PAYLOAD, "setval out of range");
	sv.last_value = 2;
	expect_scan_corrupt(&oc, (numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = sv},
	                    NUMSEQ__JR_PAYLOAD, "setval off the grid under a bitmap");
	expect_scan_corrupt(&on,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE,
	                                     .state = st(0, true),
	                                     .window = 1},
	                    NUMSEQ__JR_PAYLOAD, "reserve out of range");
	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(101, true)},
	                    NUMSEQ__JR_PAYLOAD, "close out of range");
	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {0, 5, 1, 6}},
	                    NUMSEQ__JR_PAYLOAD, "gap out of range");
	expect_scan_corrupt(&on, (numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {5, 101, 1, 6}},
	                    NUMSEQ__JR_PAYLOAD, "gap out of range");
	alt = on;
	alt.name[0] = 't';
	expect_scan_corrupt(&on,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(1, true),
	                                     .opts = alt},
	                    NUMSEQ__JR_PAYLOAD, "ALTER renames");
	alt = on;
	alt.claims = NUMSEQ_CLAIMS_SEQUENCE;
	expect_scan_corrupt(&on,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(1, true),
	                                     .opts = alt},
	                    NUMSEQ__JR_PAYLOAD, "ALTER adds a bitmap");
	alt = oc;
	alt.claims_flags = NUMSEQ_CLAIMS_F_CONFLICT;
	expect_scan_corrupt(&oc,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(1, true),
	                                     .opts = alt},
	                    NUMSEQ__JR_PAYLOAD, "ALTER changes claims flags");
	alt = oc;
	alt.maxvalue = 97;
	expect_scan_corrupt(&oc,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(1, true),
	                                     .opts = alt},
	                    NUMSEQ__JR_PAYLOAD, "ALTER MAXVALUE under a bitmap");
	alt = oc;
	alt.type = NUMSEQ_INTEGER;
	expect_scan_corrupt(&oc,
	                    (numseq__jrec_t){.type = NUMSEQ__JF_ALTER,
	                                     .state = st(1, true),
	                                     .opts = alt},
	                    NUMSEQ__JR_PAYLOAD, "ALTER AS under a bitmap");
	/* Allowed: without a bitmap, the range can change; with one, CACHE
	 * and CYCLE. */
	struct jb b;
	numseq__jscan_t res;
	jb_init(&b, &on, FID, 1);
	alt = on;
	alt.maxvalue = 50;
	alt.increment = -2;
	alt.start = 50;
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_ALTER, .state = st(50, false), .opts = alt});
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(2, true), .window = 8});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.opts.maxvalue, 50);
	assert_int_equal(res.opts.increment, -2);
	jb_free(&b);
	/* The first record must be OPTIONS or SNAPSHOT. */
	jb_header(&b, FID, 1, numseq__jf_fingerprint(&on));
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, true)});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_ORDER);
	jb_free(&b);
	/* The header's fingerprint must be the base options'. */
	jb_header(&b, FID, 1, numseq__jf_fingerprint(&on) ^ 1);
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = on});
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_HDR_FP);
	jb_free(&b);
	/* Only a header: the base is missing. */
	jb_header(&b, FID, 1, 0);
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_BASE);
	jb_free(&b);
	/* An intact record of an unknown mandatory type: corrupt anywhere. */
	jb_init(&b, &on, FID, 1);
	size_t at = jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_PAD, .pad = {pad3, 3}});
	b.buf[at + 4] = 0x33;
	refix(b.buf + at, FID);
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_TYPE);
	jb_free(&b);
}

static void test_scan_snapshot(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, -1000000, 1000000, -2); /* descending */
	o.start = 1000000;
	static numseq__jrun_t runs[3 * NUMSEQ__JF_RUNS_MAX];
	uint64_t claimed = 0;
	size_t nruns = 2 * NUMSEQ__JF_RUNS_MAX + 10;
	for (size_t i = 0; i < nruns; i++) {
		runs[i] = (numseq__jrun_t){1000000 - (int64_t)i * 10, 1 + i % 4};
		claimed += runs[i].count;
	}
	uint32_t chunks = 3;
	numseq__jrec_t head = {.type = NUMSEQ__JF_SNAPSHOT,
	                       .state = st(999990, true),
	                       .opts = o,
	                       .window = 64};
	head.snap.claimed = claimed;
	head.snap.run_chunks = chunks;
	head.snap.gap_events = 3;
	head.snap.gap_values = 90;

	struct jb b;
	numseq__jscan_t res;
	struct seen s;
	jb_header(&b, FID, 500, numseq__jf_fingerprint(&o));
	jb_add(&b, head);
	for (uint32_t c = 0; c < chunks; c++) {
		numseq__jrec_t r = {.type = NUMSEQ__JF_SNAPSHOT_RUNS};
		r.runs.chunk = c;
		r.runs.runs = runs + (size_t)c * NUMSEQ__JF_RUNS_MAX;
		r.runs.nruns = c < 2 ? NUMSEQ__JF_RUNS_MAX : 10;
		jb_add(&b, r);
	}
	size_t base_end = b.len;
	jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 999998});
	jb_add(&b,
	       (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(2, true), .window = 64});
	memset(&s, 0, sizeof s);
	assert_int_equal(numseq__jf_scan(b.buf, b.len, NULL, visit, &s, &res), NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_CLEAN);
	assert_int_equal(res.base_end, base_end);
	assert_int_equal(res.first_lsn, 500);
	assert_int_equal(res.records, 1 + chunks + 2);
	assert_int_equal(s.reencode_fail, 0);
	/* Cut anywhere inside the snapshot: the base is incomplete. */
	for (size_t t = NUMSEQ__JF_HDR_LEN; t < base_end; t += 97) {
		assert_int_equal(scan(b.buf, t, &res), NUMSEQ_ECORRUPT);
		assert_int_equal(res.reason, NUMSEQ__JR_BASE);
	}
	assert_int_equal(scan(b.buf, b.off[2], &res), NUMSEQ_ECORRUPT); /* at a chunk boundary */
	assert_int_equal(res.reason, NUMSEQ__JR_BASE);
	/* A flipped bit in a chunk: the base is damaged. */
	b.buf[b.off[2] + 100] ^= 4;
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_BASE);
	b.buf[b.off[2] + 100] ^= 4;
	jb_free(&b);

	/* Intact snapshots that are wrong. */
	struct {
		const char *what;
		int reason;
		int kind;
	} cases[] = {
		{"chunk numbers out of order", NUMSEQ__JR_ORDER, 0},
		{"runs overlap", NUMSEQ__JR_PAYLOAD, 1},
		{"runs out of order", NUMSEQ__JR_PAYLOAD, 2},
		{"runs add up to less", NUMSEQ__JR_PAYLOAD, 3},
		{"runs add up to more", NUMSEQ__JR_PAYLOAD, 4},
		{"run off the grid", NUMSEQ__JR_PAYLOAD, 5},
		{"another record inside the snapshot", NUMSEQ__JR_ORDER, 6},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		numseq__jrun_t r2[2] = {{1000000, 3}, {999990, 2}};
		numseq__jrec_t h = head;
		h.snap.claimed = 5;
		h.snap.run_chunks = 2;
		uint32_t c0 = 0, c1 = 1;
		switch (cases[k].kind) {
		case 0: c1 = 2; break;
		case 1: r2[1].first = 999996; break;
		case 2:
			r2[0].first = 999990;
			r2[1].first = 1000000;
			break;
		case 3: h.snap.claimed = 6; break;
		case 4: h.snap.claimed = 4; break;
		case 5: r2[1].first = 999991; break;
		default: break;
		}
		jb_header(&b, FID, 1, numseq__jf_fingerprint(&o));
		jb_add(&b, h);
		numseq__jrec_t r = {.type = NUMSEQ__JF_SNAPSHOT_RUNS};
		r.runs.chunk = c0;
		r.runs.nruns = 1;
		r.runs.runs = &r2[0];
		jb_add(&b, r);
		if (cases[k].kind == 6)
			jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 2});
		r.runs.chunk = c1;
		r.runs.runs = &r2[1];
		jb_add(&b, r);
		int rc = scan(b.buf, b.len, &res);
		if (rc != NUMSEQ_ECORRUPT || res.reason != cases[k].reason)
			fail_msg("%s: rc %d reason %s", cases[k].what, rc,
			         numseq__jf_reason_str(res.reason));
		jb_free(&b);
	}
	/* A snapshot with no claims is the whole base. */
	numseq__jrec_t h = head;
	h.snap.claimed = 0;
	h.snap.run_chunks = 0;
	jb_header(&b, FID, 1, numseq__jf_fingerprint(&o));
	jb_add(&b, h);
	assert_int_equal(scan(b.buf, b.len, &res), NUMSEQ_OK);
	assert_int_equal(res.base_end, b.len);
	jb_free(&b);
}

static void test_scan_fingerprint(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	numseq__jscan_t res;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 1000, 1);
	uint32_t base_fp = numseq__jf_fingerprint(&o);
	o.cache = 5;
	o.cycle = true;
	uint32_t now_fp = numseq__jf_fingerprint(&o); /* after the ALTER */
	assert_int_not_equal(base_fp, now_fp);
	assert_int_equal(numseq__jf_scan(b.buf, b.len, &now_fp, NULL, NULL, &res), NUMSEQ_OK);
	assert_int_equal(numseq__jf_scan(b.buf, b.len, &base_fp, NULL, NULL, &res),
	                 NUMSEQ_EFINGERPRINT);
	assert_int_equal(res.verdict, NUMSEQ__JV_FINGERPRINT);
	assert_int_equal(res.reason, NUMSEQ__JR_FINGERPRINT);
	assert_false(res.torn);
	/* Torn and other options: the fingerprint wins, the tail is known. */
	assert_int_equal(numseq__jf_scan(b.buf, b.len - 3, &base_fp, NULL, NULL, &res),
	                 NUMSEQ_EFINGERPRINT);
	assert_true(res.torn);
	assert_int_equal(res.end, b.off[b.nrec - 1]);
	/* Every field takes part in the fingerprint. */
	numseq__jopts_t a = mkopts(NUMSEQ_CLAIMS_NONE, 1, 100, 1), c;
	uint32_t fa = numseq__jf_fingerprint(&a);
	for (int k = 0; k < 10; k++) {
		c = a;
		switch (k) {
		case 0: c.type = NUMSEQ_INTEGER; break;
		case 1: c.cycle = true; break;
		case 2: c.claims = 1; break;
		case 3: c.claims_flags = 1; break;
		case 4: c.start = 2; break;
		case 5: c.increment = 2; break;
		case 6: c.minvalue = 0; break;
		case 7: c.maxvalue = 99; break;
		case 8: c.cache = 2; break;
		default: c.name[0] = 'S'; break;
		}
		assert_int_not_equal(numseq__jf_fingerprint(&c), fa);
	}
	jb_free(&b);
}

static void test_scan_visitor_abort(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	struct seen s;
	memset(&s, 0, sizeof s);
	s.stop_at = 3;
	numseq__jscan_t res;
	assert_int_equal(numseq__jf_scan(b.buf, b.len, NULL, visit, &s, &res), 7);
	assert_int_equal(res.verdict, NUMSEQ__JV_ABORTED);
	assert_int_equal(res.reason, NUMSEQ__JR_ABORTED);
	assert_int_equal(res.bad_offset, b.off[2]);
	assert_int_equal(s.n, 3);
	jb_free(&b);
}

static void test_reason_strings(void **state)
{
	(void)state;
	for (int i = 0; i < NUMSEQ__JR_COUNT; i++) {
		const char *a = numseq__jf_reason_str(i);
		assert_non_null(a);
		assert_true(a[0] != '\0');
		assert_string_not_equal(a, "unknown reason");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, numseq__jf_reason_str(j));
	}
	assert_string_equal(numseq__jf_reason_str(-1), "unknown reason");
	assert_string_equal(numseq__jf_reason_str(NUMSEQ__JR_COUNT), "unknown reason");
}

/* ------------------------------------------------------------ scan_fd */

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_jformat.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	return rmdir(tmpdir);
}

static int write_tmp(const uint8_t *p, size_t n)
{
	char path[300];
	snprintf(path, sizeof path, "%s/j", tmpdir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	size_t done;
	assert_int_equal(numseq__jio_pwrite_all(numseq__jio_posix(), fd, p, n, 0, &done), 0);
	return fd;
}

/* Same results from memory and from a file, for every truncation and for
 * a few damages. */
static void test_scan_fd_matches_memory(void **state)
{
	(void)state;
	struct jb b;
	full_journal(&b);
	int fd = write_tmp(b.buf, b.len);
	for (size_t t = b.len + 1; t-- > 0;) { /* shrinking only: the bytes stay the journal's */
		numseq__jscan_t a, f;
		assert_int_equal(ftruncate(fd, (off_t)t), 0);
		int ra = scan(b.buf, t, &a);
		int rf = numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &f);
		if (ra != rf)
			fail_msg("cut at %zu: memory %d (%s), file %d (%s)", t, ra,
			         numseq__jf_reason_str(a.reason), rf,
			         numseq__jf_reason_str(f.reason));
		assert_int_equal(a.verdict, f.verdict);
		assert_int_equal(a.reason, f.reason);
		assert_int_equal(a.end, f.end);
		assert_int_equal(a.records, f.records);
	}
	close(fd);
	jb_free(&b);
}

/* Files larger than the 1 MiB read window: clean, torn, and damaged in
 * the middle (the proof-of-acknowledgement search crosses refills). */
static void test_scan_fd_large(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 10000000, 1);
	static uint8_t big[20000];
	struct jb b;
	jb_init(&b, &o, FID, 1);
	size_t mid = 0;
	for (int i = 0; i < 60000; i++) {
		if (i == 30000)
			mid = b.len;
		if (i % 1000 == 999)
			jb_add(&b,
			       (numseq__jrec_t){.type = NUMSEQ__JF_PAD, .pad = {big, sizeof big}});
		else
			jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1 + i});
	}
	assert_true(b.len > 3u * (1u << 20));
	int fd = write_tmp(b.buf, b.len);
	numseq__jscan_t res;
	struct seen s;
	memset(&s, 0, sizeof s);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, visit, &s, &res),
	                 NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_CLEAN);
	assert_int_equal(res.records, 60001);
	assert_int_equal(s.reencode_fail, 0);
	/* Damage in the middle. */
	uint8_t junk[16];
	memset(junk, 0xee, sizeof junk);
	assert_int_equal(pwrite(fd, junk, sizeof junk, (off_t)mid + 4), (ssize_t)sizeof junk);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_ECORRUPT);
	assert_int_equal(res.reason, NUMSEQ__JR_ACKED);
	assert_int_equal(res.bad_offset, mid);
	/* A torn tail: garbage after the end, 2 MiB of it (searched in full). */
	assert_int_equal(pwrite(fd, b.buf + mid + 4, sizeof junk, (off_t)mid + 4),
	                 (ssize_t)sizeof junk);
	uint8_t *g = malloc(2u << 20);
	for (size_t i = 0; i < (2u << 20); i++)
		g[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(pwrite(fd, g, 2u << 20, (off_t)b.len), (ssize_t)(2u << 20));
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_OK);
	assert_int_equal(res.verdict, NUMSEQ__JV_TORN);
	assert_int_equal(res.end, b.len);
	assert_false(res.tail_zero);
	/* And the same garbage in memory gives the same answer. */
	uint8_t *all = malloc(b.len + (2u << 20));
	memcpy(all, b.buf, b.len);
	memcpy(all + b.len, g, 2u << 20);
	numseq__jscan_t m;
	assert_int_equal(scan(all, b.len + (2u << 20), &m), NUMSEQ_OK);
	assert_int_equal(m.end, res.end);
	free(all);
	free(g);
	close(fd);
	jb_free(&b);
}

static int truncate_visit(void *ctx, const numseq__jrec_t *r)
{
	int fd = *(int *)ctx;
	if (r->lsn == 5)
		assert_int_equal(ftruncate(fd, 200000), 0);
	return 0;
}

/* Read errors: fstat, pread, a file that shrinks during the scan, and
 * no memory for the buffer. */
static void test_scan_fd_errors(void **state)
{
	(void)state;
	numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 10000000, 1);
	struct jb b;
	jb_init(&b, &o, FID, 1);
	for (int i = 0; i < 70000; i++)
		jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 1 + i});
	int fd = write_tmp(b.buf, b.len);
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jscan_t res;

	numseq__jfault_rule_t r = {NUMSEQ__JIO_FSTAT, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jfault_io(f), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_EIO);
	assert_int_equal(res.verdict, NUMSEQ__JV_IO);
	assert_int_equal(res.sys_errno, EIO);
	/* The k-th read fails, for k = 1 (the header) .. 3 (a refill). */
	for (uint64_t k = 1; k <= 3; k++) {
		numseq__jfault_destroy(&f);
		assert_int_equal(numseq__jfault_create(&f, dfd), 0);
		r = (numseq__jfault_rule_t){NUMSEQ__JIO_PREAD, k, NUMSEQ__FAULT_ERR, EIO, 0, false};
		assert_int_equal(numseq__jfault_add(f, &r), 0);
		assert_int_equal(numseq__jf_scan_fd(numseq__jfault_io(f), fd, NULL, NULL, NULL,
		                                    &res),
		                 NUMSEQ_EIO);
		assert_int_equal(res.sys_errno, EIO);
	}
	/* A read fails during the search for proof after damage: the damaged
	 * record is the last one wholly inside the first 1 MiB window, so the
	 * search needs the second read. */
	uint64_t rec = b.off[2] - b.off[1];
	uint64_t x = b.off[1] + rec * (((1u << 20) - rec - b.off[1]) / rec);
	uint8_t junk[8] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
	assert_int_equal(pwrite(fd, junk, sizeof junk, (off_t)x), (ssize_t)sizeof junk);
	numseq__jfault_destroy(&f);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_PREAD, 2, NUMSEQ__FAULT_ERR, ENOMEM, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jfault_io(f), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_EIO);
	assert_int_equal(res.sys_errno, ENOMEM);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_ECORRUPT);
	assert_int_equal(res.bad_offset, x);
	assert_int_equal(pwrite(fd, b.buf + x, sizeof junk, (off_t)x), (ssize_t)sizeof junk);
	/* Zero tail past the 1 MiB window, read fails while checking it. */
	assert_int_equal(ftruncate(fd, (off_t)b.len + (3 << 20)), 0);
	numseq__jfault_destroy(&f);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jfault_io(f), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_OK);
	assert_true(res.tail_zero);
	uint64_t reads = numseq__jfault_calls(f, NUMSEQ__JIO_PREAD);
	numseq__jfault_destroy(&f);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_PREAD, reads, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jfault_io(f), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_EIO);
	/* The file shrinks under the scan (nobody else should touch a locked
	 * journal; the scan must still not read past what is there). */
	assert_int_equal(ftruncate(fd, (off_t)b.len), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, truncate_visit, &fd,
	                                    &res),
	                 NUMSEQ_EIO);
	assert_int_equal(res.sys_errno, EIO);
	/* No memory for the window. */
	numseq__fail_alloc_at(1);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_ENOMEM);
	numseq__fail_alloc_at(0);
	/* An empty file. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &res),
	                 NUMSEQ_ENOTJOURNAL);
	numseq__jfault_destroy(&f);
	close(dfd);
	close(fd);
	jb_free(&b);
}

/* ---------------------------------------------------- random journals */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Random valid journals, each damaged at random: the scan never crashes,
 * is deterministic, and what it accepts re-encodes to the same bytes. */
static void test_scan_random(void **state)
{
	(void)state;
	const char *env = getenv("NUMSEQ_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x5eed1234u;
	printf("test_scan_random: NUMSEQ_SEED=%" PRIu64 "\n", seed);
	rng_state = seed ? seed : 1;
	for (int iter = 0; iter < 400; iter++) {
		numseq__jopts_t o = mkopts(NUMSEQ_CLAIMS_SEQUENCE, 1, 5000, 1);
		struct jb b;
		jb_init(&b, &o, rnd() | 1, 1 + rnd() % 1000);
		int n = (int)(rnd() % 40);
		for (int i = 0; i < n; i++) {
			switch (rnd() % 6) {
			case 0:
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLAIM,
				                            .value = 1 + (int64_t)(rnd() % 5000)});
				break;
			case 1:
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN,
				                            .run = {1 + (int64_t)(rnd() % 4000),
				                                    1 + rnd() % 999}});
				break;
			case 2:
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_RESERVE,
				                            .state = st(1 + (int64_t)(rnd() % 5000),
				                                        true),
				                            .window = 1 + rnd() % 100});
				break;
			case 3:
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_GAP,
				                            .gap = {1, 9, 2, 5}});
				break;
			case 4:
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_PAD,
				                            .pad = {pad3, rnd() % 4}});
				break;
			default: /* synced, or in the same batch as the record before */
				b.sync_each = rnd() % 2 == 0;
				b.durable = b.last_dur;
				jb_add(&b, (numseq__jrec_t){.type = NUMSEQ__JF_CLOSE,
				                            .state = st(7, false)});
				b.sync_each = true;
				break;
			}
		}
		numseq__jscan_t r1, r2;
		struct seen s;
		memset(&s, 0, sizeof s);
		s.fid = b.fid;
		int rc = numseq__jf_scan(b.buf, b.len, NULL, visit, &s, &r1);
		if (rc != NUMSEQ_OK || r1.verdict != NUMSEQ__JV_CLEAN)
			fail_msg("iteration %d: valid journal gave %d (%s)", iter, rc,
			         numseq__jf_reason_str(r1.reason));
		assert_int_equal(s.reencode_fail, 0);
		/* Damage: flips, a cut, a splice of its own bytes. */
		int dmg = (int)(rnd() % 4);
		size_t len = b.len;
		for (int k = 0; k <= dmg; k++) {
			size_t at = (size_t)(rnd() % len);
			switch (rnd() % 3) {
			case 0: b.buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 1: len = at + 1; break;
			default: {
				size_t from = (size_t)(rnd() % len);
				size_t cnt = (size_t)(rnd() % 64);
				if (from + cnt > len)
					cnt = len - from;
				if (at + cnt > len)
					cnt = len - at;
				memmove(b.buf + at, b.buf + from, cnt);
				break;
			}
			}
		}
		memset(&s, 0, sizeof s);
		s.fid = b.fid;
		int a = numseq__jf_scan(b.buf, len, NULL, visit, &s, &r1);
		int c = scan(b.buf, len, &r2);
		assert_int_equal(a, c);
		assert_int_equal(r1.verdict, r2.verdict);
		assert_int_equal(r1.end, r2.end);
		assert_int_equal(r1.records, r2.records);
		assert_int_equal(s.reencode_fail, 0);
		if (a == NUMSEQ_OK) {
			/* Cutting at the reported end leaves a clean journal. */
			assert_int_equal(scan(b.buf, r1.end, &r2), NUMSEQ_OK);
			assert_int_equal(r2.verdict, NUMSEQ__JV_CLEAN);
			assert_int_equal(r2.records, r1.records);
		}
		jb_free(&b);
	}
}

/* The fuzzer's seed corpus (tests/fuzz/corpus), replayed: every file gives
 * the same answer twice and accepted records re-encode exactly. */
static void test_corpus_replay(void **state)
{
	(void)state;
	char dir[512];
	const char *src = __FILE__;
	const char *slash = strrchr(src, '/');
	if (slash == NULL) {
		printf("corpus: source path unknown, skipped\n");
		return;
	}
	snprintf(dir, sizeof dir, "%.*s/../fuzz/corpus", (int)(slash - src), src);
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("corpus: %s not found, skipped\n", dir);
		return;
	}
	struct dirent *e;
	int files = 0;
	static uint8_t data[1 << 20];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *fp = fopen(path, "rb");
		if (fp == NULL)
			continue;
		size_t n = fread(data, 1, sizeof data, fp);
		fclose(fp);
		numseq__jscan_t a, b;
		int ra = numseq__jf_scan(data, n, NULL, NULL, NULL, &a);
		int rb = scan(data, n, &b);
		assert_int_equal(ra, rb);
		assert_int_equal(a.verdict, b.verdict);
		assert_int_equal(a.end, b.end);
		files++;
	}
	closedir(d);
	printf("corpus: %d files replayed\n", files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_rejects),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_reserve_from_state),
		cmocka_unit_test(test_scan_clean),
		cmocka_unit_test(test_scan_truncation),
		cmocka_unit_test(test_scan_bitflips),
		cmocka_unit_test(test_scan_foreign_records),
		cmocka_unit_test(test_scan_lsn_rules),
		cmocka_unit_test(test_scan_oversized_length),
		cmocka_unit_test(test_scan_unacked_batch),
		cmocka_unit_test(test_scan_stray_record),
		cmocka_unit_test(test_scan_zero_tail),
		cmocka_unit_test(test_scan_order_rules),
		cmocka_unit_test(test_scan_snapshot),
		cmocka_unit_test(test_scan_fingerprint),
		cmocka_unit_test(test_scan_visitor_abort),
		cmocka_unit_test(test_reason_strings),
		cmocka_unit_test_setup_teardown(test_scan_fd_matches_memory, setup_dir,
	                                        teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_fd_large, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_fd_errors, setup_dir, teardown_dir),
		cmocka_unit_test(test_scan_random),
		cmocka_unit_test(test_corpus_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
