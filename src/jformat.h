/*
 * jformat.h - the persistence journal's on-disk format: encode and decode
 * of the file header and of every record, and the recovery scan that
 * classifies a journal as clean, torn at its tail, or corrupt (internal;
 * not installed).
 *
 * docs/journal-format.md is the byte-by-byte description and the recovery
 * decision table; this header is the API.  In one paragraph: a 64-byte
 * header (magic "NUMSEQJ1", version, options fingerprint, random file id,
 * base LSN, header CRC32C), then records, each
 *     u32 length | u8 type | u8 flags | u16 reserved | u64 lsn |
 *     u64 durable_lsn | payload | u32 crc32c
 * all little-endian, encoded byte by byte.  LSNs go up by exactly one from
 * the header's base LSN.  durable_lsn is the highest LSN the writer knew to
 * be durable (fdatasync returned) when it encoded the record: it is what
 * lets recovery tell a torn, never-acknowledged tail from damage to
 * acknowledged records.  The CRC covers the 8 bytes of the file id and then
 * the record from its length to the end of its payload, so a record copied
 * from another journal (another file id) never validates.
 *
 * Nothing read is trusted: every length is bounded (a record is at most
 * NUMSEQ__JF_REC_MAX bytes; a larger length field is damage, never an
 * allocation), every count is checked against the bytes present, and the
 * decoders never read outside the buffer they are given.
 *
 * All functions are thread-safe (no shared state) and allocate nothing
 * except numseq__jf_scan_fd's bounded read buffer.
 */
#ifndef NUMSEQ_JFORMAT_H
#define NUMSEQ_JFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jio.h"

#define NUMSEQ__JF_MAGIC "NUMSEQJ1"
#define NUMSEQ__JF_VERSION 1u
#define NUMSEQ__JF_HDR_LEN 64u
#define NUMSEQ__JF_FRAME 24u    /* length .. durable_lsn */
#define NUMSEQ__JF_OVERHEAD 28u /* frame + CRC: the smallest record */
#define NUMSEQ__JF_REC_MAX 65536u
#define NUMSEQ__JF_PAYLOAD_MAX (NUMSEQ__JF_REC_MAX - NUMSEQ__JF_OVERHEAD)
#define NUMSEQ__JF_RUNS_MAX 4093u              /* runs in one SNAPSHOT_RUNS: 8 + 16 * 4093 <= max */
#define NUMSEQ__JF_LSN_MAX (UINT64_C(1) << 62) /* LSNs are 1 .. this */
#define NUMSEQ__JF_NAME_MAX 63u
#define NUMSEQ__JF_OPTS_LEN 48u  /* options block without the name */
#define NUMSEQ__JF_STATE_LEN 24u /* state block */

/* Record types.  The high bit marks an optional record: a reader that does
 * not know the type skips it.  An unknown type without it is damage. */
enum numseq__jf_type {
	NUMSEQ__JF_OPTIONS = 1,        /* base: the sequence's options */
	NUMSEQ__JF_RESERVE = 2,        /* counter may hand out up to this state */
	NUMSEQ__JF_STATE = 3,          /* setval / restart result */
	NUMSEQ__JF_ALTER = 4,          /* new options (and the state after them) */
	NUMSEQ__JF_CLAIM = 5,          /* one number claimed */
	NUMSEQ__JF_RELEASE = 6,        /* one number released */
	NUMSEQ__JF_CLAIM_RUN = 7,      /* count numbers from first, on the grid */
	NUMSEQ__JF_RELEASE_RUN = 8,    /* same, released */
	NUMSEQ__JF_SNAPSHOT = 9,       /* base: complete state (compaction) */
	NUMSEQ__JF_SNAPSHOT_RUNS = 10, /* base: the snapshot's claimed runs */
	NUMSEQ__JF_GAP = 11,           /* numbers skipped by a crash (ledger) */
	NUMSEQ__JF_CLOSE = 12,         /* clean close: the exact state */
	NUMSEQ__JF_PAD = 0x80          /* optional: ignored bytes */
};
#define NUMSEQ__JF_OPTIONAL 0x80u

/* state.cause */
enum { NUMSEQ__JF_CAUSE_NONE = 0, NUMSEQ__JF_CAUSE_SETVAL = 1, NUMSEQ__JF_CAUSE_RESTART = 2 };

/* The sequence's options as the journal stores them: the resolved values
 * (defaults applied), as numseq_get_options reports them. */
typedef struct numseq__jopts {
	uint8_t type; /* numseq_type_t: 2, 4, 8 */
	bool cycle;
	uint8_t claims;        /* numseq_claims_t */
	uint32_t claims_flags; /* NUMSEQ_CLAIMS_F_* */
	int64_t start, increment, minvalue, maxvalue, cache;
	uint8_t name_len;                   /* 1 .. 63 */
	char name[NUMSEQ__JF_NAME_MAX + 1]; /* NUL-terminated copy on decode */
} numseq__jopts_t;

/* The counter's state: what nextval resumes from. */
typedef struct numseq__jstate {
	int64_t last_value;
	uint64_t wraps; /* CYCLE wraps so far (carried, informational) */
	bool is_called;
	uint8_t cause; /* NUMSEQ__JF_CAUSE_* */
} numseq__jstate_t;

typedef struct numseq__jrun {
	int64_t first;  /* first number of the run */
	uint64_t count; /* numbers: first, first + INCREMENT, ... (>= 1) */
} numseq__jrun_t;

/* One record.  Not a union: each type uses the fields its comment names
 * and encode ignores the others. */
typedef struct numseq__jrec {
	uint8_t type;
	bool has_from; /* RESERVE: .from is present (below) */
	uint64_t lsn;
	uint64_t durable_lsn;
	/* Filled by decode / scan: where the record is. */
	uint64_t offset;
	uint32_t length;
	const uint8_t *raw; /* its bytes (valid during the visit only) */

	numseq__jstate_t state; /* RESERVE STATE ALTER SNAPSHOT CLOSE */
	/* RESERVE: the state the counter had reached when the reservation was
	 * made (cause 0): a crash may skip what lies after it up to .state.
	 * Optional in the encoding (a 60-byte RESERVE has none: has_from is
	 * false on decode, and encode writes none when it is false). */
	numseq__jstate_t from;
	numseq__jopts_t opts; /* OPTIONS ALTER SNAPSHOT */
	uint64_t window;      /* RESERVE SNAPSHOT: reservation window W (>= 1) */
	int64_t value;        /* CLAIM RELEASE */
	numseq__jrun_t run;   /* CLAIM_RUN RELEASE_RUN */
	struct {
		uint64_t claimed;    /* numbers claimed in all the runs */
		uint32_t run_chunks; /* SNAPSHOT_RUNS records that follow */
		uint64_t gap_events; /* crashes that skipped numbers, ever */
		uint64_t gap_values; /* numbers they skipped (saturating) */
	} snap;                      /* SNAPSHOT */
	struct {
		uint32_t chunk;             /* 0, 1, ... within the snapshot */
		uint32_t nruns;             /* 1 .. NUMSEQ__JF_RUNS_MAX */
		const numseq__jrun_t *runs; /* encode: the runs */
		const uint8_t *raw;         /* decode: their bytes (numseq__jf_run) */
	} runs;                             /* SNAPSHOT_RUNS */
	struct {
		int64_t first, last, step; /* first .. last in steps of step */
		uint64_t count;            /* numbers skipped (>= 1) */
	} gap;                             /* GAP */
	struct {
		const uint8_t *bytes;
		size_t len;
	} pad; /* PAD and unknown optional types: the payload */
} numseq__jrec_t;

typedef struct numseq__jhdr {
	uint32_t version;     /* NUMSEQ__JF_VERSION */
	uint32_t flags;       /* feature flags; none defined (0) */
	uint32_t fingerprint; /* numseq__jf_fingerprint of the base options */
	uint64_t file_id;     /* random, non-zero, new for every file */
	uint64_t base_lsn;    /* LSN of the first record, 1 .. NUMSEQ__JF_LSN_MAX */
	uint64_t generation;  /* 0 at creation, +1 per compaction */
	uint64_t created_ns;  /* CLOCK_REALTIME at creation (informational) */
} numseq__jhdr_t;

/* ------------------------------------------------------------ encoding */

/* CRC32C of the canonical options block: the header's fingerprint, and
 * what an open compares with the caller's options. */
uint32_t numseq__jf_fingerprint(const numseq__jopts_t *o);

/* Writes the 64-byte header (version and flags as given, so that tests can
 * forge others).  Returns NUMSEQ_OK, or NUMSEQ_EINVAL for a zero file id
 * or a base LSN outside 1 .. NUMSEQ__JF_LSN_MAX. */
int numseq__jf_header_encode(const numseq__jhdr_t *h, uint8_t out[NUMSEQ__JF_HDR_LEN]);

/* Bytes the record takes encoded, or 0 if its type or sizes are invalid. */
size_t numseq__jf_encoded_size(const numseq__jrec_t *r);

/* Encodes r (type, lsn, durable_lsn and its type's fields) for the file
 * file_id into buf.  Checks everything a record can be checked for alone
 * (the decoder's checks; numseq__jf_scan adds the checks against the
 * records before it).  Returns NUMSEQ_OK and *len, or NUMSEQ_EINVAL (bad
 * field, or cap too small; nothing useful written). */
int numseq__jf_encode(const numseq__jrec_t *r, uint64_t file_id, uint8_t *buf, size_t cap,
                      size_t *len);

/* The checks the scan makes of a record after the base against the records
 * before it, whose effective options (base + ALTERs) are o: placement
 * (no base record; claims only under a bitmap), states and values in
 * range and on the grid, what an ALTER may change.  A writer calls it
 * before appending, so that it never writes a record the scan would call
 * corrupt.  Returns NUMSEQ__JR_NONE or the reason (ORDER, PAYLOAD). */
int numseq__jf_check_next(const numseq__jopts_t *o, const numseq__jrec_t *r);

/* ------------------------------------------------------------ decoding */

/* Why a header, a record or a scan failed (numseq__jscan_t.reason and
 * .damage); numseq__jf_reason_str names each. */
enum numseq__jf_reason {
	NUMSEQ__JR_NONE = 0,
	NUMSEQ__JR_MAGIC,       /* not "NUMSEQJ1" (or shorter than 8 bytes) */
	NUMSEQ__JR_VERSION,     /* format version is not 1 */
	NUMSEQ__JR_FEATURES,    /* header flags this version does not know */
	NUMSEQ__JR_HDR_SHORT,   /* the file ends inside the header */
	NUMSEQ__JR_HDR_CRC,     /* header CRC mismatch */
	NUMSEQ__JR_HDR_FIELD,   /* header length, reserved bytes, file id or base LSN */
	NUMSEQ__JR_SHORT,       /* the record runs past the end of the file */
	NUMSEQ__JR_LENGTH,      /* length field below 28 or above 64 KiB (zeros, too) */
	NUMSEQ__JR_CRC,         /* record CRC mismatch (or another file's record) */
	NUMSEQ__JR_LSN,         /* CRC good, LSN is not the previous one + 1 */
	NUMSEQ__JR_DURABLE,     /* CRC good, durable_lsn impossible */
	NUMSEQ__JR_RESERVED,    /* CRC good, flags or reserved bits set */
	NUMSEQ__JR_TYPE,        /* CRC good, unknown type without the optional bit */
	NUMSEQ__JR_PAYLOAD,     /* CRC good, payload size or a value invalid */
	NUMSEQ__JR_ORDER,       /* CRC good, record not allowed where it is */
	NUMSEQ__JR_BASE,        /* the base (options / snapshot) damaged or incomplete */
	NUMSEQ__JR_HDR_FP,      /* header fingerprint is not the base options' */
	NUMSEQ__JR_ACKED,       /* damage, then a record proving it was acknowledged */
	NUMSEQ__JR_FINGERPRINT, /* options are not the expected ones */
	NUMSEQ__JR_IO,          /* a read failed (scan_fd) */
	NUMSEQ__JR_ABORTED,     /* the visitor stopped the scan */
	NUMSEQ__JR_COUNT
};

const char *numseq__jf_reason_str(int reason);

/* Decodes a header from the first n bytes of a file.  Checks, in this
 * order: magic (NUMSEQ_ENOTJOURNAL), version (NUMSEQ_EVERSION: checked
 * before the CRC because another version may lay the header out
 * differently), length and CRC (NUMSEQ_ECORRUPT), flags (NUMSEQ_EVERSION),
 * fields (NUMSEQ_ECORRUPT).  *reason (may be NULL) gets the detail. */
int numseq__jf_header_decode(const uint8_t *buf, size_t n, numseq__jhdr_t *h, int *reason);

/* Decodes the record at buf[0..n) of the file file_id, alone (no LSN
 * continuity, no ordering).  Returns NUMSEQ_OK, or NUMSEQ_ECORRUPT with
 * *reason: SHORT, LENGTH or CRC when the bytes are not a whole record of
 * this file; RESERVED, DURABLE, TYPE or PAYLOAD when they are (CRC good)
 * but say something impossible.  r->raw points into buf. */
int numseq__jf_decode(const uint8_t *buf, size_t n, uint64_t file_id, numseq__jrec_t *r,
                      int *reason);

/* Run i of a SNAPSHOT_RUNS record (decoded or to be encoded); i < nruns. */
numseq__jrun_t numseq__jf_run(const numseq__jrec_t *r, uint32_t i);

/* ---------------------------------------------------------------- scan */

enum numseq__jf_verdict {
	NUMSEQ__JV_CLEAN = 0,   /* every byte is part of a valid record */
	NUMSEQ__JV_TORN,        /* valid up to .end, then an unacknowledged tail */
	NUMSEQ__JV_CORRUPT,     /* refuse: see .reason, .bad_offset */
	NUMSEQ__JV_NOTJOURNAL,  /* bad magic */
	NUMSEQ__JV_VERSION,     /* another format version or features */
	NUMSEQ__JV_FINGERPRINT, /* valid, but written with other options */
	NUMSEQ__JV_IO,          /* a read failed */
	NUMSEQ__JV_ABORTED      /* the visitor returned non-zero */
};

typedef struct numseq__jscan {
	int verdict;   /* enum numseq__jf_verdict */
	int reason;    /* enum numseq__jf_reason: why the verdict (NONE if clean) */
	int damage;    /* TORN / ACKED: what failed at bad_offset (SHORT, LENGTH, CRC) */
	int sys_errno; /* JV_IO: the errno */
	numseq__jhdr_t hdr;
	uint64_t size;                /* bytes in the file */
	uint64_t base_end;            /* end of the base (header + options or snapshot) */
	uint64_t end;                 /* end of the valid prefix: the truncation point if TORN */
	uint64_t bad_offset;          /* first byte that is not a valid record (TORN, CORRUPT) */
	uint64_t evidence_offset;     /* ACKED: the valid record found after the damage */
	uint64_t records;             /* valid records (optional ones included) */
	uint64_t skipped;             /* of which optional records of unknown type */
	uint64_t first_lsn, last_lsn; /* of the valid prefix (0 if none) */
	uint64_t next_lsn;            /* LSN the next appended record must carry */
	uint64_t durable_lsn;         /* highest durable_lsn in the valid prefix */
	uint8_t last_type;            /* type of the last valid record (0 if none) */
	bool torn;                    /* a tail after .end was classified torn */
	bool tail_zero;               /* TORN: every byte after .end is zero */
	bool clean_close;             /* CLEAN and the last record is CLOSE */
	numseq__jopts_t opts;         /* effective options (base + ALTERs) */
} numseq__jscan_t;

/* Called for each valid record in file order, after all its checks.  A
 * non-zero return stops the scan, which returns that value (verdict
 * ABORTED).  The record's pointers are valid during the call only.  The
 * visitor sees the records of the valid prefix as they are found: if the
 * verdict is not CLEAN or TORN it must throw away what it built. */
typedef int (*numseq__jf_visit_fn)(void *ctx, const numseq__jrec_t *r);

/* Scans a whole journal held in memory.  expect_fp (NULL: no check) is the
 * fingerprint of the options the caller expects; a valid journal whose
 * effective options differ gets NUMSEQ_EFINGERPRINT.  Returns:
 *   NUMSEQ_OK            CLEAN or TORN (out->torn, out->end: truncate there)
 *   NUMSEQ_ENOTJOURNAL   NOTJOURNAL
 *   NUMSEQ_EVERSION      VERSION
 *   NUMSEQ_ECORRUPT      CORRUPT
 *   NUMSEQ_EFINGERPRINT  FINGERPRINT (torn / end still filled in)
 *   the visitor's value  ABORTED
 * out is always filled in. */
int numseq__jf_scan(const uint8_t *buf, size_t n, const uint32_t *expect_fp,
                    numseq__jf_visit_fn visit, void *ctx, numseq__jscan_t *out);

/* The same over an open file, read through io with a bounded buffer
 * (about 1 MiB, whatever the file size).  Adds NUMSEQ_EIO (verdict IO,
 * out->sys_errno) and NUMSEQ_ENOMEM. */
int numseq__jf_scan_fd(numseq__jio_t *io, int fd, const uint32_t *expect_fp,
                       numseq__jf_visit_fn visit, void *ctx, numseq__jscan_t *out);

#endif
