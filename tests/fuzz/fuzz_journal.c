/*
 * fuzz_journal.c - libFuzzer target for the journal reader (src/jformat.c).
 *
 * Two input modes:
 *  - raw: the input is a journal file, byte for byte (seeds start with the
 *    magic "NUMSEQJ1");
 *  - structured (first byte 'S'): the input describes a journal - options,
 *    records, durable LSNs - that is encoded with correct CRCs and then
 *    damaged (bit flips, cuts, zeroed ranges, copied ranges, and forged
 *    records: a byte changed and the CRC recomputed, as a buggy writer
 *    would).  Without it almost every mutation of a raw seed breaks a CRC
 *    and the checks behind it are never reached.
 *
 * Either way the bytes go to numseq__jf_scan, which must not crash, leak or
 * hit undefined behaviour (ASan, UBSan), and whose answer must hold up:
 *  - every record it accepts re-encodes to exactly its bytes;
 *  - it is deterministic (a second scan, without a visitor, agrees);
 *  - the return code matches the verdict;
 *  - a clean or torn verdict cut at .end scans clean with the same records;
 *  - the effective options' fingerprint is accepted, another one is not.
 * A violated property calls abort(), which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "jformat.h"
#include "numseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz_journal: property failed: %s (line %d)\n", #cond, \
			        __LINE__);                                                      \
			abort();                                                                \
		}                                                                               \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct ctx {
	uint64_t fid;
	uint64_t n;
};

static uint8_t again[NUMSEQ__JF_REC_MAX];

static int visit(void *vctx, const numseq__jrec_t *r)
{
	struct ctx *c = vctx;
	size_t len = 0;
	CHECK(numseq__jf_encode(r, c->fid, again, sizeof again, &len) == NUMSEQ_OK);
	CHECK(len == r->length);
	CHECK(memcmp(again, r->raw, len) == 0);
	c->n++;
	return 0;
}

static int code_of(int verdict)
{
	switch (verdict) {
	case NUMSEQ__JV_CLEAN:
	case NUMSEQ__JV_TORN: return NUMSEQ_OK;
	case NUMSEQ__JV_CORRUPT: return NUMSEQ_ECORRUPT;
	case NUMSEQ__JV_NOTJOURNAL: return NUMSEQ_ENOTJOURNAL;
	case NUMSEQ__JV_VERSION: return NUMSEQ_EVERSION;
	case NUMSEQ__JV_FINGERPRINT: return NUMSEQ_EFINGERPRINT;
	default: return 1; /* never expected here */
	}
}

static void check_journal(const uint8_t *buf, size_t n)
{
	struct ctx c = {n >= 32 ? le64(buf + 24) : 0, 0};
	numseq__jscan_t a, b;
	int ra = numseq__jf_scan(buf, n, NULL, visit, &c, &a);
	int rb = numseq__jf_scan(buf, n, NULL, NULL, NULL, &b);
	CHECK(ra == rb);
	CHECK(ra == code_of(a.verdict));
	CHECK(a.verdict == b.verdict && a.reason == b.reason && a.damage == b.damage);
	CHECK(a.end == b.end && a.bad_offset == b.bad_offset);
	CHECK(a.evidence_offset == b.evidence_offset && a.records == b.records);
	CHECK(a.torn == b.torn && a.tail_zero == b.tail_zero && a.clean_close == b.clean_close);
	CHECK(a.next_lsn == b.next_lsn && a.last_lsn == b.last_lsn);
	CHECK(a.end <= n && a.size == n);
	if (a.verdict == NUMSEQ__JV_CORRUPT && a.reason == NUMSEQ__JR_ACKED)
		CHECK(a.evidence_offset > a.bad_offset);
	if (ra != NUMSEQ_OK)
		return;
	CHECK(c.n == a.records);
	CHECK(a.torn == (a.verdict == NUMSEQ__JV_TORN));
	CHECK(a.torn == (a.end < n));
	CHECK(a.next_lsn == a.hdr.base_lsn + a.records);
	/* What recovery keeps is itself a clean journal. */
	numseq__jscan_t t;
	CHECK(numseq__jf_scan(buf, (size_t)a.end, NULL, NULL, NULL, &t) == NUMSEQ_OK);
	CHECK(t.verdict == NUMSEQ__JV_CLEAN && t.records == a.records && t.last_lsn == a.last_lsn);
	/* The fingerprint check. */
	uint32_t fp = numseq__jf_fingerprint(&a.opts);
	CHECK(numseq__jf_scan(buf, n, &fp, NULL, NULL, &t) == NUMSEQ_OK);
	fp ^= 1u;
	CHECK(numseq__jf_scan(buf, n, &fp, NULL, NULL, &t) == NUMSEQ_EFINGERPRINT);
}

/* ------------------------------------------------ structured mode */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take64(struct in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | take8(in);
	return v;
}

/* A value near the interesting points of the options' range. */
static int64_t pick(struct in *in, const numseq__jopts_t *o)
{
	uint8_t k = take8(in);
	int64_t d = (int64_t)(take8(in) % 8);
	switch (k % 6) {
	case 0: return o->minvalue + d * (o->increment > 0 ? o->increment : -o->increment);
	case 1: return o->maxvalue - d;
	case 2: return o->start;
	case 3: return o->minvalue - 1;
	case 4: return (int64_t)take64(in);
	default: return o->maxvalue + d;
	}
}

#define SBUF (256u * 1024u)
static uint8_t sbuf[SBUF];
static numseq__jrun_t runs[64];
static const uint8_t padsrc[256];

static void structured(struct in *in)
{
	numseq__jopts_t o;
	memset(&o, 0, sizeof o);
	uint8_t v = take8(in);
	o.type = NUMSEQ_BIGINT;
	o.claims = (uint8_t)(v % 4);
	o.cycle = (v & 4) != 0;
	o.increment = (v & 8) ? -(int64_t)(1 + take8(in) % 5) : (int64_t)(1 + take8(in) % 5);
	o.minvalue = -(int64_t)(take8(in) % 50);
	o.maxvalue = o.minvalue + 10 + (int64_t)(take8(in) % 200);
	o.start = o.increment > 0 ? o.minvalue : o.maxvalue;
	o.cache = 1 + (int64_t)(take8(in) % 3);
	o.name_len = (uint8_t)(1 + take8(in) % 3);
	memcpy(o.name, "fzz", o.name_len);
	if (v & 16)
		o.type = (v & 32) ? NUMSEQ_INTEGER : NUMSEQ_SMALLINT;
	uint64_t fid = take64(in) | 1;
	uint64_t lsn = 1 + take8(in), durable = lsn - 1;
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0, numseq__jf_fingerprint(&o), fid, lsn, 0, 0};
	if (numseq__jf_header_encode(&h, sbuf) != NUMSEQ_OK)
		return;
	size_t n = NUMSEQ__JF_HDR_LEN;
	size_t offs[48];
	size_t nrecs = 0;
	int nrec = 1 + take8(in) % 48;
	for (int i = 0; i < nrec && in->n > 0; i++) {
		numseq__jrec_t r;
		memset(&r, 0, sizeof r);
		uint8_t t = take8(in);
		r.type = i == 0 ? ((t & 1) ? NUMSEQ__JF_SNAPSHOT : NUMSEQ__JF_OPTIONS)
		                : (uint8_t)(t % 14);
		if (t & 0x80)
			r.type = (uint8_t)(r.type | NUMSEQ__JF_OPTIONAL);
		r.lsn = lsn;
		uint8_t dmode = take8(in);
		if (dmode % 3 == 0)
			durable = lsn - 1; /* synced before this record */
		r.durable_lsn = dmode % 7 == 1 ? lsn - 1 - (dmode % 3) : durable;
		r.opts = o;
		r.state.last_value = pick(in, &o);
		r.state.is_called = (take8(in) & 1) != 0;
		r.state.cause = (uint8_t)(r.type == NUMSEQ__JF_STATE ? 1 + (take8(in) & 1) : 0);
		r.window = 1u + take8(in);
		r.value = pick(in, &o);
		r.run.first = pick(in, &o);
		r.run.count = (uint64_t)(take8(in) % 5);
		r.gap.first = pick(in, &o);
		r.gap.last = pick(in, &o);
		r.gap.step = o.increment;
		r.gap.count = 1u + take8(in);
		r.pad.bytes = padsrc;
		r.pad.len = take8(in);
		if (r.type == NUMSEQ__JF_ALTER)
			r.opts.cache = 1 + (int64_t)(take8(in) % 4);
		if (r.type == NUMSEQ__JF_SNAPSHOT) {
			r.snap.claimed = (uint64_t)(take8(in) % 6);
			r.snap.run_chunks = r.snap.claimed > 0 ? 1 : 0;
		}
		if (r.type == NUMSEQ__JF_SNAPSHOT_RUNS) {
			r.runs.nruns = (uint32_t)(1 + take8(in) % 4);
			for (uint32_t k = 0; k < r.runs.nruns; k++)
				runs[k] = (numseq__jrun_t){pick(in, &o),
				                           (uint64_t)(1 + take8(in) % 3)};
			r.runs.runs = runs;
			r.runs.chunk = (uint32_t)(take8(in) % 2);
		}
		size_t len = 0;
		if (numseq__jf_encode(&r, fid, sbuf + n, SBUF - n, &len) != NUMSEQ_OK)
			continue; /* an invalid record: skip it, keep the LSNs dense */
		offs[nrecs++] = n;
		n += len;
		lsn++;
		if (r.type == NUMSEQ__JF_ALTER)
			o = r.opts;
	}
	/* Damage. */
	uint8_t id[8];
	for (int i = 0; i < 8; i++)
		id[i] = (uint8_t)(fid >> (8 * i));
	uint32_t seed = numseq__crc32c(0, id, sizeof id);
	int ops = take8(in) % 5;
	for (int k = 0; k < ops && n > 0; k++) {
		uint8_t what = take8(in);
		size_t at = (size_t)(take64(in) % n);
		size_t cnt = (size_t)(1 + take8(in) % 64);
		if (at + cnt > n)
			cnt = n - at;
		if (what % 5 == 4 && nrecs > 0) { /* forge: edit a record, fix its CRC */
			size_t ro = offs[take8(in) % nrecs];
			size_t rl = (size_t)sbuf[ro] | (size_t)sbuf[ro + 1] << 8 |
			            (size_t)sbuf[ro + 2] << 16 | (size_t)sbuf[ro + 3] << 24;
			if (ro + rl > n || rl < NUMSEQ__JF_OVERHEAD)
				continue; /* cut or overwritten by an earlier op */
			size_t pos = 4 + take8(in) % (rl - 8); /* not the length, not the CRC */
			sbuf[ro + pos] = take8(in);
			uint32_t c = numseq__crc32c(seed, sbuf + ro, rl - 4);
			for (int i = 0; i < 4; i++)
				sbuf[ro + rl - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
			continue;
		}
		switch (what % 4) {
		case 0: sbuf[at] ^= (uint8_t)(1u << (take8(in) % 8)); break;
		case 1: n = at; break;
		case 2: memset(sbuf + at, 0, cnt); break;
		default: {
			size_t from = (size_t)(take64(in) % n);
			if (from + cnt > n)
				cnt = n - from;
			memmove(sbuf + at, sbuf + from, cnt);
			break;
		}
		}
	}
	check_journal(sbuf, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 'S') {
		struct in in = {data + 1, size - 1};
		structured(&in);
		return 0;
	}
	check_journal(data, size);
	return 0;
}
