/*
 * jformat.c - the journal's bytes: header and record codecs, and the
 * recovery scan (docs/journal-format.md is the specification).
 *
 * Everything is encoded one byte at a time in little-endian order, never
 * by copying a struct, so the format does not depend on the compiler's
 * layout or the host's byte order.  The encoder checks its result by
 * decoding it: the one set of checks (decode_payload) is what both sides
 * agree a valid record is, so the writer cannot produce a record the
 * reader refuses.
 *
 * The scan's one hard decision - is a bad record a torn tail or damage to
 * acknowledged data? - rests on durable_lsn: every record says which LSN
 * was already durable when it was written.  A write that never completed
 * its fdatasync was never acknowledged; a later record that is intact and
 * says "LSN b was durable when I was written" proves that the damaged
 * record b had been acknowledged.  The scan looks for such proof at every
 * byte offset after the damage (records are not aligned, so a damaged
 * length field gives no hint where the next record starts).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "jformat.h"
#include "numseq_internal.h"

/* Read buffer of numseq__jf_scan_fd: at least twice the largest record, so
 * that a refill at any offset still holds a whole record. */
#define SCAN_BUF (1u << 20)
_Static_assert(SCAN_BUF >= 2u * NUMSEQ__JF_REC_MAX, "scan buffer holds two records");
_Static_assert(8u + 16u * NUMSEQ__JF_RUNS_MAX <= NUMSEQ__JF_PAYLOAD_MAX, "runs fit a record");
_Static_assert(8u + 16u * (NUMSEQ__JF_RUNS_MAX + 1u) > NUMSEQ__JF_PAYLOAD_MAX, "runs max is max");

/* ----------------------------------------------------- little-endian */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

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

static void puti64(uint8_t *p, int64_t v)
{
	put64(p, (uint64_t)v); /* two's complement bits, well defined */
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int64_t geti64(const uint8_t *p)
{
	uint64_t u = get64(p);
	int64_t v;
	memcpy(&v, &u, sizeof v); /* the bits back, without an out-of-range conversion */
	return v;
}

static uint32_t file_seed(uint64_t file_id)
{
	uint8_t b[8];
	put64(b, file_id);
	return numseq__crc32c(0, b, sizeof b);
}

/* ------------------------------------------------ values and the grid */

static uint64_t uabs(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0u - (uint64_t)v;
}

static bool in_range(const numseq__jopts_t *o, int64_t v)
{
	return v >= o->minvalue && v <= o->maxvalue;
}

/* Steps of |INCREMENT| from the anchor (MINVALUE ascending, MAXVALUE
 * descending) to v, which is in range; exact in uint64 arithmetic. */
static uint64_t distance(const numseq__jopts_t *o, int64_t v)
{
	return o->increment > 0 ? (uint64_t)v - (uint64_t)o->minvalue
	                        : (uint64_t)o->maxvalue - (uint64_t)v;
}

static bool on_grid(const numseq__jopts_t *o, int64_t v)
{
	return in_range(o, v) && distance(o, v) % uabs(o->increment) == 0;
}

/* Position of the last number of the grid (positions are 0-based). */
static uint64_t last_pos(const numseq__jopts_t *o)
{
	return ((uint64_t)o->maxvalue - (uint64_t)o->minvalue) / uabs(o->increment);
}

/* A run of count numbers from first fits the grid; *lastp gets the
 * position of its last number. */
static bool run_fits(const numseq__jopts_t *o, int64_t first, uint64_t count, uint64_t *lastp)
{
	if (count == 0 || !on_grid(o, first))
		return false;
	uint64_t pos = distance(o, first) / uabs(o->increment);
	if (count - 1 > last_pos(o) - pos)
		return false;
	*lastp = pos + (count - 1);
	return true;
}

/* A state the options allow: in range, on the grid under a bitmap (the
 * sequence refuses setval / RESTART off the grid there). */
static bool state_fits(const numseq__jopts_t *o, const numseq__jstate_t *s)
{
	return o->claims == NUMSEQ_CLAIMS_NONE ? in_range(o, s->last_value)
	                                       : on_grid(o, s->last_value);
}

/* What CREATE SEQUENCE would accept (the checks numseq_create makes on
 * resolved values; the sequence layer re-validates through its own create
 * path when it replays). */
static bool opts_valid(const numseq__jopts_t *o)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	switch (o->type) {
	case NUMSEQ_SMALLINT:
		lo = INT16_MIN;
		hi = INT16_MAX;
		break;
	case NUMSEQ_INTEGER:
		lo = INT32_MIN;
		hi = INT32_MAX;
		break;
	case NUMSEQ_BIGINT: break;
	default: return false;
	}
	if (o->claims > NUMSEQ_CLAIMS_CYCLIC ||
	    (o->claims_flags & ~(uint32_t)NUMSEQ_CLAIMS_F_CONFLICT) != 0)
		return false;
	if (o->name_len == 0 || o->name_len > NUMSEQ__JF_NAME_MAX ||
	    memchr(o->name, '\0', o->name_len) != NULL)
		return false;
	if (o->increment == 0 || o->minvalue >= o->maxvalue || o->minvalue < lo || o->maxvalue > hi)
		return false;
	if (o->cache < 1 || !in_range(o, o->start))
		return false;
	return o->claims == NUMSEQ_CLAIMS_NONE || on_grid(o, o->start);
}

/* ALTER cannot change what is fixed at creation: the name and the claims
 * policy, and under a bitmap its range (AS, INCREMENT, MIN/MAXVALUE). */
static bool alter_allowed(const numseq__jopts_t *old, const numseq__jopts_t *nu)
{
	if (old->name_len != nu->name_len || memcmp(old->name, nu->name, old->name_len) != 0 ||
	    old->claims != nu->claims || old->claims_flags != nu->claims_flags)
		return false;
	return old->claims == NUMSEQ_CLAIMS_NONE ||
	       (old->type == nu->type && old->increment == nu->increment &&
	        old->minvalue == nu->minvalue && old->maxvalue == nu->maxvalue);
}

/* -------------------------------------------------------- the blocks */

/* Options block: 48 bytes + name.
 *   0 u8 type | 1 u8 cycle | 2 u8 claims | 3 u8 name_len | 4 u32 claims_flags
 *   8 i64 start | 16 i64 increment | 24 i64 minvalue | 32 i64 maxvalue
 *  40 i64 cache | 48 name (name_len bytes, no NUL) */
static void opts_put(uint8_t *p, const numseq__jopts_t *o)
{
	p[0] = o->type;
	p[1] = o->cycle ? 1 : 0;
	p[2] = o->claims;
	p[3] = o->name_len;
	put32(p + 4, o->claims_flags);
	puti64(p + 8, o->start);
	puti64(p + 16, o->increment);
	puti64(p + 24, o->minvalue);
	puti64(p + 32, o->maxvalue);
	puti64(p + 40, o->cache);
	memcpy(p + 48, o->name, o->name_len);
}

/* Decodes an options block that must fill exactly n bytes. */
static bool opts_get(const uint8_t *p, size_t n, numseq__jopts_t *o)
{
	if (n < NUMSEQ__JF_OPTS_LEN || p[1] > 1 || n != NUMSEQ__JF_OPTS_LEN + (size_t)p[3] ||
	    p[3] > NUMSEQ__JF_NAME_MAX)
		return false;
	memset(o, 0, sizeof *o);
	o->type = p[0];
	o->cycle = p[1] != 0;
	o->claims = p[2];
	o->name_len = p[3];
	o->claims_flags = get32(p + 4);
	o->start = geti64(p + 8);
	o->increment = geti64(p + 16);
	o->minvalue = geti64(p + 24);
	o->maxvalue = geti64(p + 32);
	o->cache = geti64(p + 40);
	memcpy(o->name, p + 48, o->name_len);
	o->name[o->name_len] = '\0';
	return opts_valid(o);
}

/* State block: 24 bytes.
 *   0 i64 last_value | 8 u64 wraps | 16 u8 is_called | 17 u8 cause
 *  18 u16 reserved (0) | 20 u32 reserved (0) */
static void state_put(uint8_t *p, const numseq__jstate_t *s)
{
	puti64(p, s->last_value);
	put64(p + 8, s->wraps);
	p[16] = s->is_called ? 1 : 0;
	p[17] = s->cause;
	put16(p + 18, 0);
	put32(p + 20, 0);
}

static bool state_get(const uint8_t *p, numseq__jstate_t *s)
{
	s->last_value = geti64(p);
	s->wraps = get64(p + 8);
	s->is_called = p[16] != 0;
	s->cause = p[17];
	return p[16] <= 1 && p[17] <= NUMSEQ__JF_CAUSE_RESTART && get16(p + 18) == 0 &&
	       get32(p + 20) == 0;
}

uint32_t numseq__jf_fingerprint(const numseq__jopts_t *o)
{
	uint8_t b[NUMSEQ__JF_OPTS_LEN + NUMSEQ__JF_NAME_MAX];
	numseq__jopts_t c = *o;
	if (c.name_len > NUMSEQ__JF_NAME_MAX)
		c.name_len = NUMSEQ__JF_NAME_MAX; /* invalid anyway; stay in bounds */
	opts_put(b, &c);
	return numseq__crc32c(0, b, NUMSEQ__JF_OPTS_LEN + (size_t)c.name_len);
}

/* ------------------------------------------------------------ header */

static const uint8_t magic[8] = {'N', 'U', 'M', 'S', 'E', 'Q', 'J', '1'};

/* Header, 64 bytes:
 *   0 magic "NUMSEQJ1" | 8 u32 version | 12 u32 header length (64)
 *  16 u32 flags | 20 u32 fingerprint | 24 u64 file id | 32 u64 base LSN
 *  40 u64 generation | 48 u64 created_ns | 56 u32 reserved (0)
 *  60 u32 CRC32C of bytes 0..59 */
int numseq__jf_header_encode(const numseq__jhdr_t *h, uint8_t out[NUMSEQ__JF_HDR_LEN])
{
	if (h->file_id == 0 || h->base_lsn == 0 || h->base_lsn > NUMSEQ__JF_LSN_MAX)
		return NUMSEQ_EINVAL;
	memcpy(out, magic, sizeof magic);
	put32(out + 8, h->version);
	put32(out + 12, NUMSEQ__JF_HDR_LEN);
	put32(out + 16, h->flags);
	put32(out + 20, h->fingerprint);
	put64(out + 24, h->file_id);
	put64(out + 32, h->base_lsn);
	put64(out + 40, h->generation);
	put64(out + 48, h->created_ns);
	put32(out + 56, 0);
	put32(out + 60, numseq__crc32c(0, out, 60));
	return NUMSEQ_OK;
}

static int hdr_fail(int *reason, int why, int code)
{
	if (reason != NULL)
		*reason = why;
	return code;
}

int numseq__jf_header_decode(const uint8_t *buf, size_t n, numseq__jhdr_t *h, int *reason)
{
	memset(h, 0, sizeof *h);
	if (n < sizeof magic || memcmp(buf, magic, sizeof magic) != 0)
		return hdr_fail(reason, NUMSEQ__JR_MAGIC, NUMSEQ_ENOTJOURNAL);
	if (n < 12)
		return hdr_fail(reason, NUMSEQ__JR_HDR_SHORT, NUMSEQ_ECORRUPT);
	h->version = get32(buf + 8);
	if (h->version != NUMSEQ__JF_VERSION)
		return hdr_fail(reason, NUMSEQ__JR_VERSION, NUMSEQ_EVERSION);
	if (n < NUMSEQ__JF_HDR_LEN)
		return hdr_fail(reason, NUMSEQ__JR_HDR_SHORT, NUMSEQ_ECORRUPT);
	if (get32(buf + 60) != numseq__crc32c(0, buf, 60))
		return hdr_fail(reason, NUMSEQ__JR_HDR_CRC, NUMSEQ_ECORRUPT);
	h->flags = get32(buf + 16);
	h->fingerprint = get32(buf + 20);
	h->file_id = get64(buf + 24);
	h->base_lsn = get64(buf + 32);
	h->generation = get64(buf + 40);
	h->created_ns = get64(buf + 48);
	if (h->flags != 0)
		return hdr_fail(reason, NUMSEQ__JR_FEATURES, NUMSEQ_EVERSION);
	if (get32(buf + 12) != NUMSEQ__JF_HDR_LEN || get32(buf + 56) != 0 || h->file_id == 0 ||
	    h->base_lsn == 0 || h->base_lsn > NUMSEQ__JF_LSN_MAX)
		return hdr_fail(reason, NUMSEQ__JR_HDR_FIELD, NUMSEQ_ECORRUPT);
	if (reason != NULL)
		*reason = NUMSEQ__JR_NONE;
	return NUMSEQ_OK;
}

/* ----------------------------------------------------------- records */

/* Frame: 0 u32 length | 4 u8 type | 5 u8 flags (0) | 6 u16 reserved (0)
 *        8 u64 lsn | 16 u64 durable_lsn | 24 payload | length-4 u32 CRC32C
 * of the file id (8 bytes LE) followed by bytes 0 .. length-5. */

size_t numseq__jf_encoded_size(const numseq__jrec_t *r)
{
	size_t pl;
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS: pl = NUMSEQ__JF_OPTS_LEN + (size_t)r->opts.name_len; break;
	case NUMSEQ__JF_RESERVE:
		pl = NUMSEQ__JF_STATE_LEN + 8 + (r->has_from ? NUMSEQ__JF_STATE_LEN : 0);
		break;
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_CLOSE: pl = NUMSEQ__JF_STATE_LEN; break;
	case NUMSEQ__JF_ALTER:
		pl = NUMSEQ__JF_STATE_LEN + NUMSEQ__JF_OPTS_LEN + (size_t)r->opts.name_len;
		break;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE: pl = 8; break;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN: pl = 16; break;
	case NUMSEQ__JF_SNAPSHOT:
		pl = NUMSEQ__JF_STATE_LEN + 40 + NUMSEQ__JF_OPTS_LEN + (size_t)r->opts.name_len;
		break;
	case NUMSEQ__JF_SNAPSHOT_RUNS:
		if (r->runs.nruns > NUMSEQ__JF_RUNS_MAX)
			return 0;
		pl = 8 + 16 * (size_t)r->runs.nruns;
		break;
	case NUMSEQ__JF_GAP: pl = 32; break;
	default:
		if ((r->type & NUMSEQ__JF_OPTIONAL) == 0 || r->pad.len > NUMSEQ__JF_PAYLOAD_MAX)
			return 0;
		pl = r->pad.len;
		break;
	}
	if ((r->type == NUMSEQ__JF_OPTIONS || r->type == NUMSEQ__JF_ALTER ||
	     r->type == NUMSEQ__JF_SNAPSHOT) &&
	    r->opts.name_len > NUMSEQ__JF_NAME_MAX)
		return 0;
	return NUMSEQ__JF_OVERHEAD + pl;
}

numseq__jrun_t numseq__jf_run(const numseq__jrec_t *r, uint32_t i)
{
	numseq__jrun_t run = {0, 0};
	if (i >= r->runs.nruns)
		return run;
	if (r->runs.raw != NULL) {
		const uint8_t *p = r->runs.raw + 16 * (size_t)i;
		run.first = geti64(p);
		run.count = get64(p + 8);
	} else if (r->runs.runs != NULL) {
		run = r->runs.runs[i];
	}
	return run;
}

/* RESERVE: 0 state | 24 u64 window [| 32 from-state].  The from-state is
 * optional (a RESERVE of 60 bytes has none), 84 bytes with it. */
static int decode_reserve(const uint8_t *p, size_t n, numseq__jrec_t *r)
{
	if ((n != NUMSEQ__JF_STATE_LEN + 8 && n != 2 * NUMSEQ__JF_STATE_LEN + 8) ||
	    !state_get(p, &r->state) || r->state.cause != 0)
		return NUMSEQ__JR_PAYLOAD;
	r->has_from = n > NUMSEQ__JF_STATE_LEN + 8;
	if (r->has_from &&
	    (!state_get(p + NUMSEQ__JF_STATE_LEN + 8, &r->from) || r->from.cause != 0))
		return NUMSEQ__JR_PAYLOAD;
	r->window = get64(p + 24);
	return r->window >= 1 ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
}

/* The payload p[0..n) of a record of type r->type, into r.  The checks a
 * record can have alone. */
static int decode_payload(const uint8_t *p, size_t n, numseq__jrec_t *r)
{
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS:
		return opts_get(p, n, &r->opts) ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_RESERVE: return decode_reserve(p, n, r);
	case NUMSEQ__JF_STATE:
		if (n != NUMSEQ__JF_STATE_LEN || !state_get(p, &r->state) || r->state.cause == 0)
			return NUMSEQ__JR_PAYLOAD;
		return NUMSEQ__JR_NONE;
	case NUMSEQ__JF_CLOSE:
		if (n != NUMSEQ__JF_STATE_LEN || !state_get(p, &r->state) || r->state.cause != 0)
			return NUMSEQ__JR_PAYLOAD;
		return NUMSEQ__JR_NONE;
	case NUMSEQ__JF_ALTER:
		if (n < NUMSEQ__JF_STATE_LEN || !state_get(p, &r->state) ||
		    r->state.cause == NUMSEQ__JF_CAUSE_SETVAL ||
		    !opts_get(p + NUMSEQ__JF_STATE_LEN, n - NUMSEQ__JF_STATE_LEN, &r->opts) ||
		    !state_fits(&r->opts, &r->state))
			return NUMSEQ__JR_PAYLOAD;
		return NUMSEQ__JR_NONE;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE:
		if (n != 8)
			return NUMSEQ__JR_PAYLOAD;
		r->value = geti64(p);
		return NUMSEQ__JR_NONE;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		if (n != 16)
			return NUMSEQ__JR_PAYLOAD;
		r->run.first = geti64(p);
		r->run.count = get64(p + 8);
		return r->run.count >= 1 ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_SNAPSHOT: {
		/* 0 state | 24 u64 window | 32 u64 claimed | 40 u32 run_chunks
		 * 44 u32 reserved | 48 u64 gap_events | 56 u64 gap_values | 64 options */
		if (n < NUMSEQ__JF_STATE_LEN + 40 || !state_get(p, &r->state) ||
		    r->state.cause != 0 || get32(p + 44) != 0 ||
		    !opts_get(p + 64, n - 64, &r->opts) || !state_fits(&r->opts, &r->state))
			return NUMSEQ__JR_PAYLOAD;
		r->window = get64(p + 24);
		r->snap.claimed = get64(p + 32);
		r->snap.run_chunks = get32(p + 40);
		r->snap.gap_events = get64(p + 48);
		r->snap.gap_values = get64(p + 56);
		if (r->window == 0 || r->snap.gap_values < r->snap.gap_events ||
		    (r->snap.claimed == 0) != (r->snap.run_chunks == 0) ||
		    r->snap.run_chunks > r->snap.claimed)
			return NUMSEQ__JR_PAYLOAD;
		if (r->snap.claimed != 0 && (r->opts.claims == NUMSEQ_CLAIMS_NONE ||
		                             r->snap.claimed - 1 > last_pos(&r->opts)))
			return NUMSEQ__JR_PAYLOAD;
		return NUMSEQ__JR_NONE;
	}
	case NUMSEQ__JF_SNAPSHOT_RUNS:
		if (n < 8)
			return NUMSEQ__JR_PAYLOAD;
		r->runs.chunk = get32(p);
		r->runs.nruns = get32(p + 4);
		if (r->runs.nruns == 0 || r->runs.nruns > NUMSEQ__JF_RUNS_MAX ||
		    n != 8 + 16 * (size_t)r->runs.nruns)
			return NUMSEQ__JR_PAYLOAD;
		r->runs.raw = p + 8;
		r->runs.runs = NULL;
		for (uint32_t i = 0; i < r->runs.nruns; i++)
			if (get64(p + 8 + 16 * (size_t)i + 8) == 0)
				return NUMSEQ__JR_PAYLOAD;
		return NUMSEQ__JR_NONE;
	case NUMSEQ__JF_GAP:
		if (n != 32)
			return NUMSEQ__JR_PAYLOAD;
		r->gap.first = geti64(p);
		r->gap.last = geti64(p + 8);
		r->gap.step = geti64(p + 16);
		r->gap.count = get64(p + 24);
		return r->gap.step != 0 && r->gap.count >= 1 ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	default:
		if ((r->type & NUMSEQ__JF_OPTIONAL) == 0)
			return NUMSEQ__JR_TYPE;
		r->pad.bytes = p;
		r->pad.len = n;
		return NUMSEQ__JR_NONE;
	}
}

/* Decodes the record at buf[0..n) with CRC seed `seed`. */
static int decode_seeded(const uint8_t *buf, size_t n, uint32_t seed, numseq__jrec_t *r)
{
	memset(r, 0, sizeof *r);
	if (n < 4)
		return NUMSEQ__JR_SHORT;
	uint32_t len = get32(buf);
	if (len < NUMSEQ__JF_OVERHEAD || len > NUMSEQ__JF_REC_MAX)
		return NUMSEQ__JR_LENGTH;
	if (len > n)
		return NUMSEQ__JR_SHORT;
	if (get32(buf + len - 4) != numseq__crc32c(seed, buf, len - 4))
		return NUMSEQ__JR_CRC;
	/* From here on the bytes are what a writer of this file wrote. */
	r->length = len;
	r->raw = buf;
	r->type = buf[4];
	r->lsn = get64(buf + 8);
	r->durable_lsn = get64(buf + 16);
	if (buf[5] != 0 || get16(buf + 6) != 0)
		return NUMSEQ__JR_RESERVED;
	if (r->lsn == 0 || r->lsn > NUMSEQ__JF_LSN_MAX)
		return NUMSEQ__JR_LSN;
	if (r->durable_lsn >= r->lsn)
		return NUMSEQ__JR_DURABLE;
	return decode_payload(buf + NUMSEQ__JF_FRAME, len - NUMSEQ__JF_OVERHEAD, r);
}

int numseq__jf_decode(const uint8_t *buf, size_t n, uint64_t file_id, numseq__jrec_t *r,
                      int *reason)
{
	int why = decode_seeded(buf, n, file_seed(file_id), r);
	if (reason != NULL)
		*reason = why;
	return why == NUMSEQ__JR_NONE ? NUMSEQ_OK : NUMSEQ_ECORRUPT;
}

int numseq__jf_encode(const numseq__jrec_t *r, uint64_t file_id, uint8_t *buf, size_t cap,
                      size_t *len)
{
	size_t n = numseq__jf_encoded_size(r);
	if (n == 0 || n > cap || buf == NULL)
		return NUMSEQ_EINVAL;
	uint8_t *p = buf + NUMSEQ__JF_FRAME;
	put32(buf, (uint32_t)n);
	buf[4] = r->type;
	buf[5] = 0;
	put16(buf + 6, 0);
	put64(buf + 8, r->lsn);
	put64(buf + 16, r->durable_lsn);
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS: opts_put(p, &r->opts); break;
	case NUMSEQ__JF_RESERVE:
		state_put(p, &r->state);
		put64(p + 24, r->window);
		if (r->has_from)
			state_put(p + NUMSEQ__JF_STATE_LEN + 8, &r->from);
		break;
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_CLOSE: state_put(p, &r->state); break;
	case NUMSEQ__JF_ALTER:
		state_put(p, &r->state);
		opts_put(p + NUMSEQ__JF_STATE_LEN, &r->opts);
		break;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE: puti64(p, r->value); break;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		puti64(p, r->run.first);
		put64(p + 8, r->run.count);
		break;
	case NUMSEQ__JF_SNAPSHOT:
		state_put(p, &r->state);
		put64(p + 24, r->window);
		put64(p + 32, r->snap.claimed);
		put32(p + 40, r->snap.run_chunks);
		put32(p + 44, 0);
		put64(p + 48, r->snap.gap_events);
		put64(p + 56, r->snap.gap_values);
		opts_put(p + 64, &r->opts);
		break;
	case NUMSEQ__JF_SNAPSHOT_RUNS:
		if (r->runs.runs == NULL && r->runs.raw == NULL && r->runs.nruns > 0)
			return NUMSEQ_EINVAL;
		put32(p, r->runs.chunk);
		put32(p + 4, r->runs.nruns);
		for (uint32_t i = 0; i < r->runs.nruns; i++) {
			numseq__jrun_t run = numseq__jf_run(r, i);
			puti64(p + 8 + 16 * (size_t)i, run.first);
			put64(p + 16 + 16 * (size_t)i, run.count);
		}
		break;
	case NUMSEQ__JF_GAP:
		puti64(p, r->gap.first);
		puti64(p + 8, r->gap.last);
		puti64(p + 16, r->gap.step);
		put64(p + 24, r->gap.count);
		break;
	default:
		if (r->pad.len > 0) {
			if (r->pad.bytes == NULL)
				return NUMSEQ_EINVAL;
			memcpy(p, r->pad.bytes, r->pad.len);
		}
		break;
	}
	uint32_t seed = file_seed(file_id);
	put32(buf + n - 4, numseq__crc32c(seed, buf, n - 4));
	/* The reader's checks are the definition of valid: refuse to produce
	 * what it would refuse. */
	numseq__jrec_t check;
	if (decode_seeded(buf, n, seed, &check) != NUMSEQ__JR_NONE)
		return NUMSEQ_EINVAL;
	*len = n;
	return NUMSEQ_OK;
}

/* -------------------------------------------------------------- scan */

const char *numseq__jf_reason_str(int reason)
{
	static const char *const s[NUMSEQ__JR_COUNT] = {
		[NUMSEQ__JR_NONE] = "no error",
		[NUMSEQ__JR_MAGIC] = "not a numseq journal (bad magic)",
		[NUMSEQ__JR_VERSION] = "unsupported format version",
		[NUMSEQ__JR_FEATURES] = "unsupported header flags",
		[NUMSEQ__JR_HDR_SHORT] = "file ends inside the header",
		[NUMSEQ__JR_HDR_CRC] = "header checksum mismatch",
		[NUMSEQ__JR_HDR_FIELD] = "invalid header field",
		[NUMSEQ__JR_SHORT] = "record runs past the end of the file",
		[NUMSEQ__JR_LENGTH] = "record length out of bounds",
		[NUMSEQ__JR_CRC] = "record checksum mismatch",
		[NUMSEQ__JR_LSN] = "record LSN out of sequence",
		[NUMSEQ__JR_DURABLE] = "record durable LSN impossible",
		[NUMSEQ__JR_RESERVED] = "record reserved bits set",
		[NUMSEQ__JR_TYPE] = "unknown mandatory record type",
		[NUMSEQ__JR_PAYLOAD] = "invalid record payload",
		[NUMSEQ__JR_ORDER] = "record not allowed at this position",
		[NUMSEQ__JR_BASE] = "options or snapshot at the start damaged or incomplete",
		[NUMSEQ__JR_HDR_FP] = "header fingerprint does not match the options",
		[NUMSEQ__JR_ACKED] = "damaged record followed by proof that it was acknowledged",
		[NUMSEQ__JR_FINGERPRINT] = "journal written with other options",
		[NUMSEQ__JR_IO] = "read error",
		[NUMSEQ__JR_ABORTED] = "scan stopped by the caller",
	};
	if (reason < 0 || reason >= NUMSEQ__JR_COUNT)
		return "unknown reason";
	return s[reason];
}

/* The bytes being scanned: all in memory, or read through a window. */
struct src {
	const uint8_t *mem; /* whole file, or NULL */
	uint64_t size;
	numseq__jio_t *io;
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t boff; /* file offset of buf[0] */
	size_t blen;   /* valid bytes in buf */
	int err;       /* errno of a failed read */
};

/* Bytes [off, off + n) (off + n <= size, n <= NUMSEQ__JF_REC_MAX), or NULL
 * after a read error.  Offsets only grow between refills, so refilling
 * from off keeps the bytes that come next. */
static const uint8_t *src_get(struct src *s, uint64_t off, size_t n)
{
	if (s->mem != NULL)
		return s->mem + off;
	if (off >= s->boff && off - s->boff + n <= s->blen)
		return s->buf + (off - s->boff);
	size_t want = s->size - off < s->cap ? (size_t)(s->size - off) : s->cap;
	size_t got = 0;
	int rc = numseq__jio_pread_all(s->io, s->fd, s->buf, want, off, &got);
	if (rc != 0 || got < n) {
		s->err = rc != 0 ? -rc : EIO; /* EIO: the file shrank under us */
		s->blen = 0;
		return NULL;
	}
	s->boff = off;
	s->blen = got;
	return s->buf;
}

struct scan {
	struct src *s;
	numseq__jscan_t *out;
	uint32_t seed;
	uint64_t expect;       /* LSN of the next record */
	uint64_t prev_durable; /* durable_lsn never goes down */
	bool in_base;          /* still inside the options / snapshot base */
	uint32_t chunk;        /* snapshot: next SNAPSHOT_RUNS chunk expected */
	uint32_t chunks_left;
	uint64_t claimed_left;
	bool have_prev;     /* snapshot: a run was seen */
	uint64_t prev_last; /* snapshot: position of the last number of the last run */
};

/* The snapshot's runs: on the grid, in the sequence's order, not
 * overlapping, adding up to the number claimed. */
static int check_runs(struct scan *sc, const numseq__jrec_t *r)
{
	const numseq__jopts_t *o = &sc->out->opts;
	if (r->runs.chunk != sc->chunk)
		return NUMSEQ__JR_ORDER;
	for (uint32_t i = 0; i < r->runs.nruns; i++) {
		numseq__jrun_t run = numseq__jf_run(r, i);
		uint64_t lastp;
		if (!run_fits(o, run.first, run.count, &lastp) || run.count > sc->claimed_left)
			return NUMSEQ__JR_PAYLOAD;
		uint64_t firstp = lastp - (run.count - 1);
		if (sc->have_prev && firstp <= sc->prev_last)
			return NUMSEQ__JR_PAYLOAD;
		sc->have_prev = true;
		sc->prev_last = lastp;
		sc->claimed_left -= run.count;
	}
	sc->chunk++;
	if (--sc->chunks_left == 0) {
		if (sc->claimed_left != 0)
			return NUMSEQ__JR_PAYLOAD;
		sc->in_base = false;
	}
	return NUMSEQ__JR_NONE;
}

/* The checks of a record against the records before it. */
static int check_context(struct scan *sc, const numseq__jrec_t *r)
{
	numseq__jscan_t *out = sc->out;

	if (out->records == 0) {
		if (r->type != NUMSEQ__JF_OPTIONS && r->type != NUMSEQ__JF_SNAPSHOT)
			return NUMSEQ__JR_ORDER;
		if (numseq__jf_fingerprint(&r->opts) != out->hdr.fingerprint)
			return NUMSEQ__JR_HDR_FP;
		out->opts = r->opts;
		if (r->type == NUMSEQ__JF_SNAPSHOT) {
			sc->chunks_left = r->snap.run_chunks;
			sc->claimed_left = r->snap.claimed;
		}
		sc->in_base = sc->chunks_left > 0;
		return NUMSEQ__JR_NONE;
	}
	if (sc->in_base)
		return r->type == NUMSEQ__JF_SNAPSHOT_RUNS ? check_runs(sc, r) : NUMSEQ__JR_ORDER;
	int why = numseq__jf_check_next(&out->opts, r);
	if (why == NUMSEQ__JR_NONE && r->type == NUMSEQ__JF_ALTER)
		out->opts = r->opts;
	return why;
}

int numseq__jf_check_next(const numseq__jopts_t *o, const numseq__jrec_t *r)
{
	uint64_t lastp;

	switch (r->type) {
	case NUMSEQ__JF_OPTIONS:
	case NUMSEQ__JF_SNAPSHOT:
	case NUMSEQ__JF_SNAPSHOT_RUNS: return NUMSEQ__JR_ORDER;
	case NUMSEQ__JF_RESERVE:
		if (r->has_from && !state_fits(o, &r->from))
			return NUMSEQ__JR_PAYLOAD;
		return state_fits(o, &r->state) ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_CLOSE:
		return state_fits(o, &r->state) ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_ALTER:
		return alter_allowed(o, &r->opts) ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE:
		if (o->claims == NUMSEQ_CLAIMS_NONE)
			return NUMSEQ__JR_ORDER;
		return on_grid(o, r->value) ? NUMSEQ__JR_NONE : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		if (o->claims == NUMSEQ_CLAIMS_NONE)
			return NUMSEQ__JR_ORDER;
		return run_fits(o, r->run.first, r->run.count, &lastp) ? NUMSEQ__JR_NONE
		                                                       : NUMSEQ__JR_PAYLOAD;
	case NUMSEQ__JF_GAP:
		return in_range(o, r->gap.first) && in_range(o, r->gap.last) ? NUMSEQ__JR_NONE
		                                                             : NUMSEQ__JR_PAYLOAD;
	default: return NUMSEQ__JR_NONE; /* PAD, unknown optional */
	}
}

enum { EVIDENCE_NONE, EVIDENCE_FOUND, EVIDENCE_IO };

/* After damage at `from` where LSN b was expected: is there, at any later
 * offset, an intact record of this file that proves b was acknowledged
 * (its durable_lsn >= b) or that no crash can explain (an LSN up to b:
 * record b is always written at `from`, so b or an earlier LSN further on
 * means bytes were lost or inserted; or a durable_lsn not below its own
 * LSN)?  Intact records with LSN > b and durable_lsn < b are writes of the
 * same unacknowledged batch that reached the disk out of order: no proof.
 * The LSN window (lsn <= b, or not more records after b than the bytes
 * left can hold) is exact for records of this file and spares the CRC of
 * most garbage. */
static int find_evidence(struct scan *sc, uint64_t from, uint64_t b, uint64_t *at)
{
	struct src *s = sc->s;
	uint64_t maxrecs = (s->size - from) / NUMSEQ__JF_OVERHEAD + 1;
	for (uint64_t q = from + 1; q < s->size && s->size - q >= NUMSEQ__JF_OVERHEAD; q++) {
		const uint8_t *p = src_get(s, q, NUMSEQ__JF_FRAME);
		if (p == NULL)
			return EVIDENCE_IO;
		uint32_t len = get32(p);
		if (len < NUMSEQ__JF_OVERHEAD || len > NUMSEQ__JF_REC_MAX || len > s->size - q)
			continue;
		uint64_t lsn = get64(p + 8), dur = get64(p + 16);
		if (lsn > b && lsn - b > maxrecs)
			continue;
		p = src_get(s, q, len);
		if (p == NULL)
			return EVIDENCE_IO;
		if (get32(p + len - 4) != numseq__crc32c(sc->seed, p, len - 4))
			continue;
		if (dur >= b || lsn <= b || dur >= lsn) {
			*at = q;
			return EVIDENCE_FOUND;
		}
	}
	return EVIDENCE_NONE;
}

/* Whether every byte from `from` to the end is zero; -1 on a read error. */
static int all_zero(struct src *s, uint64_t from)
{
	while (from < s->size) {
		size_t n = s->size - from < NUMSEQ__JF_REC_MAX ? (size_t)(s->size - from)
		                                               : NUMSEQ__JF_REC_MAX;
		const uint8_t *p = src_get(s, from, n);
		if (p == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (p[i] != 0)
				return 0;
		from += n;
	}
	return 1;
}

static int verdict(numseq__jscan_t *out, int v, int reason, int code)
{
	out->verdict = v;
	out->reason = reason;
	return code;
}

static int io_failed(struct scan *sc)
{
	sc->out->sys_errno = sc->s->err;
	return verdict(sc->out, NUMSEQ__JV_IO, NUMSEQ__JR_IO, NUMSEQ_EIO);
}

/* A record at pos failed with `why`: a torn tail or damage. */
static int bad_record(struct scan *sc, uint64_t pos, int why)
{
	numseq__jscan_t *out = sc->out;
	out->bad_offset = pos;
	out->damage = why;
	if (why != NUMSEQ__JR_SHORT && why != NUMSEQ__JR_LENGTH && why != NUMSEQ__JR_CRC)
		return verdict(out, NUMSEQ__JV_CORRUPT, why,
		               NUMSEQ_ECORRUPT); /* intact yet wrong */
	if (sc->in_base)
		return verdict(out, NUMSEQ__JV_CORRUPT, NUMSEQ__JR_BASE, NUMSEQ_ECORRUPT);
	uint64_t at = 0;
	int ev = find_evidence(sc, pos, sc->expect, &at);
	if (ev == EVIDENCE_IO)
		return io_failed(sc);
	if (ev == EVIDENCE_FOUND) {
		out->evidence_offset = at;
		return verdict(out, NUMSEQ__JV_CORRUPT, NUMSEQ__JR_ACKED, NUMSEQ_ECORRUPT);
	}
	int z = all_zero(sc->s, pos);
	if (z < 0)
		return io_failed(sc);
	out->torn = true;
	out->tail_zero = z == 1;
	return verdict(out, NUMSEQ__JV_TORN, why, NUMSEQ_OK);
}

/* The record at pos into *r: NUMSEQ__JR_NONE, the decoder's reason, or
 * NUMSEQ__JR_IO.  Fetches the length first: only as many bytes as the
 * record claims (bounded) are needed, and in a file read through a window
 * a full 64 KiB fetch per record would refill far too often. */
static int fetch_record(struct scan *sc, uint64_t pos, numseq__jrec_t *r)
{
	struct src *s = sc->s;
	uint64_t left = s->size - pos;
	size_t want = left < NUMSEQ__JF_REC_MAX ? (size_t)left : NUMSEQ__JF_REC_MAX;
	const uint8_t *p = src_get(s, pos, want < 4 ? want : 4);
	if (p == NULL)
		return NUMSEQ__JR_IO;
	uint32_t len = want >= 4 ? get32(p) : 0;
	if (len >= NUMSEQ__JF_OVERHEAD && len <= want) {
		want = len;
		p = src_get(s, pos, want);
		if (p == NULL)
			return NUMSEQ__JR_IO;
	}
	/* Otherwise the decoder stops at the length field. */
	int why = decode_seeded(p, want, sc->seed, r);
	r->offset = pos;
	return why;
}

/* Bookkeeping for a valid record. */
static void accept(struct scan *sc, const numseq__jrec_t *r)
{
	numseq__jscan_t *out = sc->out;
	if (out->records == 0)
		out->first_lsn = r->lsn;
	out->records++;
	if ((r->type & NUMSEQ__JF_OPTIONAL) != 0 && r->type != NUMSEQ__JF_PAD)
		out->skipped++;
	out->last_lsn = r->lsn;
	out->last_type = r->type;
	out->durable_lsn = r->durable_lsn;
	sc->prev_durable = r->durable_lsn;
	sc->expect++;
	out->next_lsn = sc->expect;
	out->end = r->offset + r->length;
	if (!sc->in_base && out->base_end == 0)
		out->base_end = out->end;
}

static int scan(struct src *s, const uint32_t *expect_fp, numseq__jf_visit_fn visit, void *ctx,
                numseq__jscan_t *out)
{
	memset(out, 0, sizeof *out);
	out->size = s->size;
	struct scan sc = {.s = s, .out = out, .in_base = true};
	int why;

	size_t hn = s->size < NUMSEQ__JF_HDR_LEN ? (size_t)s->size : NUMSEQ__JF_HDR_LEN;
	const uint8_t *p = hn > 0 ? src_get(s, 0, hn) : (const uint8_t *)"";
	if (p == NULL)
		return io_failed(&sc);
	int rc = numseq__jf_header_decode(p, hn, &out->hdr, &why);
	if (rc == NUMSEQ_ENOTJOURNAL)
		return verdict(out, NUMSEQ__JV_NOTJOURNAL, why, rc);
	if (rc == NUMSEQ_EVERSION)
		return verdict(out, NUMSEQ__JV_VERSION, why, rc);
	if (rc != NUMSEQ_OK)
		return verdict(out, NUMSEQ__JV_CORRUPT, why, rc);

	sc.seed = file_seed(out->hdr.file_id);
	sc.expect = out->hdr.base_lsn;
	sc.prev_durable = out->hdr.base_lsn - 1;
	out->next_lsn = sc.expect;
	out->end = NUMSEQ__JF_HDR_LEN;
	while (out->end < s->size) {
		numseq__jrec_t r;
		uint64_t pos = out->end;
		why = fetch_record(&sc, pos, &r);
		if (why == NUMSEQ__JR_IO)
			return io_failed(&sc);
		if (why != NUMSEQ__JR_NONE) {
			rc = bad_record(&sc, pos, why);
			if (out->verdict != NUMSEQ__JV_TORN)
				return rc;
			break; /* a torn tail: the prefix stands */
		}
		if (r.lsn != sc.expect)
			why = NUMSEQ__JR_LSN;
		else if (r.durable_lsn < sc.prev_durable)
			why = NUMSEQ__JR_DURABLE;
		else
			why = check_context(&sc, &r);
		if (why != NUMSEQ__JR_NONE) {
			out->bad_offset = pos;
			out->damage = why;
			return verdict(out, NUMSEQ__JV_CORRUPT, why, NUMSEQ_ECORRUPT);
		}
		int v = visit != NULL ? visit(ctx, &r) : 0;
		if (v != 0) {
			out->bad_offset = pos;
			return verdict(out, NUMSEQ__JV_ABORTED, NUMSEQ__JR_ABORTED, v);
		}
		accept(&sc, &r);
	}
	if (sc.in_base) {
		out->bad_offset = out->end;
		out->damage = NUMSEQ__JR_SHORT;
		return verdict(out, NUMSEQ__JV_CORRUPT, NUMSEQ__JR_BASE, NUMSEQ_ECORRUPT);
	}
	out->clean_close = !out->torn && out->last_type == NUMSEQ__JF_CLOSE;
	if (expect_fp != NULL && numseq__jf_fingerprint(&out->opts) != *expect_fp)
		return verdict(out, NUMSEQ__JV_FINGERPRINT, NUMSEQ__JR_FINGERPRINT,
		               NUMSEQ_EFINGERPRINT);
	if (out->torn)
		return verdict(out, NUMSEQ__JV_TORN, out->damage, NUMSEQ_OK);
	return verdict(out, NUMSEQ__JV_CLEAN, NUMSEQ__JR_NONE, NUMSEQ_OK);
}

int numseq__jf_scan(const uint8_t *buf, size_t n, const uint32_t *expect_fp,
                    numseq__jf_visit_fn visit, void *ctx, numseq__jscan_t *out)
{
	struct src s = {.mem = n > 0 ? buf : (const uint8_t *)"", .size = n, .fd = -1};
	return scan(&s, expect_fp, visit, ctx, out);
}

int numseq__jf_scan_fd(numseq__jio_t *io, int fd, const uint32_t *expect_fp,
                       numseq__jf_visit_fn visit, void *ctx, numseq__jscan_t *out)
{
	struct stat st;
	memset(out, 0, sizeof *out);
	int rc = io->fstat(io, fd, &st);
	if (rc != 0 || st.st_size < 0) {
		out->sys_errno = rc != 0 ? -rc : EIO;
		return verdict(out, NUMSEQ__JV_IO, NUMSEQ__JR_IO, NUMSEQ_EIO);
	}
	struct src s = {.size = (uint64_t)st.st_size, .io = io, .fd = fd};
	s.cap = s.size < SCAN_BUF ? (size_t)s.size : SCAN_BUF;
	s.buf = numseq__calloc(1, s.cap > 0 ? s.cap : 1);
	if (s.buf == NULL)
		return NUMSEQ_ENOMEM;
	rc = scan(&s, expect_fp, visit, ctx, out);
	free(s.buf);
	return rc;
}
