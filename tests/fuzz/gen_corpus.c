/*
 * gen_corpus.c - writes the seed corpus of fuzz_journal into a directory:
 * valid journals (options base, snapshot base, every record type) and
 * damaged ones (torn tail, zero-filled tail, a flipped bit in acknowledged
 * data, a record of another file, a bad version, a truncated header), plus
 * a few structured-mode inputs.  tests/fuzz/corpus/ was made with
 *     gen_corpus tests/fuzz/corpus
 * (scripts/fuzz.sh --regen runs it); the files are small and committed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jformat.h"
#include "numseq.h"

static uint8_t buf[1 << 16];
static size_t len;
static uint64_t lsn, fid;
static const char *outdir;

static void die(const char *what)
{
	fprintf(stderr, "gen_corpus: %s\n", what);
	exit(1);
}

static void add(numseq__jrec_t r, uint64_t durable)
{
	size_t n = 0;
	r.lsn = lsn++;
	r.durable_lsn = durable;
	if (numseq__jf_encode(&r, fid, buf + len, sizeof buf - len, &n) != NUMSEQ_OK)
		die("encode failed");
	len += n;
}

static numseq__jopts_t opts(uint8_t claims)
{
	numseq__jopts_t o;
	memset(&o, 0, sizeof o);
	o.type = NUMSEQ_BIGINT;
	o.start = 1;
	o.increment = 1;
	o.minvalue = 1;
	o.maxvalue = 100000;
	o.cache = 1;
	o.claims = claims;
	o.name_len = 4;
	memcpy(o.name, "seed", 4);
	return o;
}

static void header(const numseq__jopts_t *o, uint64_t id, uint64_t base)
{
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0, numseq__jf_fingerprint(o), id, base, 0, 0};
	fid = id;
	lsn = base;
	if (numseq__jf_header_encode(&h, buf) != NUMSEQ_OK)
		die("header");
	len = NUMSEQ__JF_HDR_LEN;
}

static void save(const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die(path);
}

static numseq__jstate_t st(int64_t v, uint8_t cause)
{
	numseq__jstate_t s = {v, 0, true, cause};
	return s;
}

/* Header + OPTIONS + one of every record type after it. */
static void full(void)
{
	numseq__jopts_t o = opts(NUMSEQ_CLAIMS_SEQUENCE);
	static const uint8_t pad[5] = {1, 2, 3, 4, 5};
	header(&o, 0x0123456789abcdefu, 1);
	add((numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = o}, 0);
	add((numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(32, 0), .window = 32}, 1);
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 7}, 2);
	add((numseq__jrec_t){.type = NUMSEQ__JF_RELEASE, .value = 7}, 3);
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM_RUN, .run = {40, 8}}, 3); /* same batch */
	add((numseq__jrec_t){.type = NUMSEQ__JF_RELEASE_RUN, .run = {41, 2}}, 5);
	add((numseq__jrec_t){.type = NUMSEQ__JF_STATE, .state = st(90, NUMSEQ__JF_CAUSE_SETVAL)},
	    6);
	numseq__jopts_t o2 = o;
	o2.cache = 8;
	add((numseq__jrec_t){.type = NUMSEQ__JF_ALTER, .state = st(90, 0), .opts = o2}, 7);
	add((numseq__jrec_t){.type = NUMSEQ__JF_GAP, .gap = {33, 64, 1, 32}}, 8);
	add((numseq__jrec_t){.type = NUMSEQ__JF_PAD, .pad = {pad, 5}}, 9);
	add((numseq__jrec_t){.type = 0xa5, .pad = {pad, 2}}, 10);
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(95, 0)}, 11);
}

static void snapshot(void)
{
	numseq__jopts_t o = opts(NUMSEQ_CLAIMS_LOWEST_FREE);
	o.increment = -3;
	o.minvalue = -300;
	o.maxvalue = 300;
	o.start = 300;
	header(&o, 0xfeedfacecafebeefu, 1000);
	numseq__jrec_t s = {.type = NUMSEQ__JF_SNAPSHOT,
	                    .state = st(291, 0),
	                    .opts = o,
	                    .window = 16};
	s.snap.claimed = 6;
	s.snap.run_chunks = 2;
	s.snap.gap_events = 1;
	s.snap.gap_values = 16;
	add(s, 999);
	numseq__jrun_t r1[2] = {{300, 2}, {285, 1}}, r2[1] = {{0, 3}};
	numseq__jrec_t c = {.type = NUMSEQ__JF_SNAPSHOT_RUNS};
	c.runs.nruns = 2;
	c.runs.runs = r1;
	add(c, 999);
	c.runs.chunk = 1;
	c.runs.nruns = 1;
	c.runs.runs = r2;
	add(c, 999);
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 294}, 1002);
	add((numseq__jrec_t){.type = NUMSEQ__JF_RESERVE, .state = st(240, 0), .window = 16}, 1003);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	static uint8_t tmp[1 << 16];

	numseq__jopts_t o = opts(NUMSEQ_CLAIMS_NONE);
	header(&o, 42, 1);
	add((numseq__jrec_t){.type = NUMSEQ__JF_OPTIONS, .opts = o}, 0);
	save("minimal", buf, len);
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLOSE, .state = st(1, 0)}, 1);
	save("minimal-closed", buf, len);

	full();
	save("every-type", buf, len);
	save("torn-tail", buf, len - 9);
	memcpy(tmp, buf, len);
	memset(tmp + len, 0, 4096);
	save("zero-tail", tmp, len + 4096);
	tmp[len / 2] ^= 0x10;
	save("flipped-acknowledged", tmp, len);
	memcpy(tmp, buf, len);
	tmp[8] = 2; /* version 2 */
	save("version-2", tmp, len);
	save("short-header", buf, 40);
	/* A record of another file appended. */
	size_t keep = len;
	memcpy(tmp, buf, len);
	fid ^= 1;
	add((numseq__jrec_t){.type = NUMSEQ__JF_CLAIM, .value = 9}, lsn - 1);
	memcpy(tmp + keep, buf + keep, len - keep);
	save("foreign-tail", tmp, len);

	snapshot();
	save("snapshot", buf, len);
	save("snapshot-cut", buf, len - 50); /* inside the last RESERVE */

	/* Structured-mode inputs: 'S' then the description bytes. */
	static const uint8_t s1[] = {'S', 0x01, 2, 5, 100, 1, 2, 7, 7, 7, 7, 7, 7, 7, 7, 3, 20, 0,
	                             0,   0,    0, 0, 0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0};
	save("structured-1", s1, sizeof s1);
	uint8_t s2[600];
	uint32_t x = 2463534242u;
	s2[0] = 'S';
	for (size_t i = 1; i < sizeof s2; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		s2[i] = (uint8_t)x;
	}
	save("structured-2", s2, sizeof s2);
	return 0;
}
