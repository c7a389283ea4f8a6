/*
 * crc32c.c - CRC-32C, software (slicing-by-8) and SSE4.2.
 *
 * Slicing-by-8 (Intel, Kounavis & Berry 2005): table[k][b] is the CRC
 * register after feeding byte b followed by k zero bytes, so eight input
 * bytes are folded with eight independent lookups instead of eight
 * dependent ones.  The tables (8 KiB) are computed once at first use
 * rather than written out here: 2048 literals would be unreviewable, and
 * the known-answer tests catch a wrong table immediately.
 *
 * The hardware path feeds 8 bytes per `crc32q`.  One dependent chain runs
 * at about 8 bytes per 3 cycles (the instruction's latency); the journal
 * checksums records of tens of bytes to 64 KiB, far below where a 3-way
 * interleaved version would pay for its combine step.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC32C_HAVE_SSE42 1
#include <nmmintrin.h>
#else
#define CRC32C_HAVE_SSE42 0
#endif

#define POLY 0x82F63B78u /* CRC-32C, reflected */

static uint32_t table[8][256];
static bool use_hw;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* pthread_once orders these stores before every caller's reads of table
 * and use_hw (its return is an acquire of the initializer's completion). */
static void init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ POLY : c >> 1;
		table[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xffu];
#if CRC32C_HAVE_SSE42
	use_hw = __builtin_cpu_supports("sse4.2") != 0;
#endif
}

static void ensure_init(void)
{
	(void)pthread_once(&init_once, init);
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

uint32_t numseq__crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	ensure_init();
	/* Bytes one at a time up to 8-byte alignment of the input (the loads
	 * below are byte loads either way; alignment only keeps the 8-byte
	 * steps within one cache line more often). */
	while (len > 0 && ((uintptr_t)p & 7u) != 0) {
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xffu];
		len--;
	}
	while (len >= 8) {
		uint32_t lo = load_le32(p) ^ c;
		uint32_t hi = load_le32(p + 4);
		c = table[7][lo & 0xffu] ^ table[6][(lo >> 8) & 0xffu] ^
		    table[5][(lo >> 16) & 0xffu] ^ table[4][lo >> 24] ^ table[3][hi & 0xffu] ^
		    table[2][(hi >> 8) & 0xffu] ^ table[1][(hi >> 16) & 0xffu] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xffu];
		len--;
	}
	return ~c;
}

#if CRC32C_HAVE_SSE42
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const uint8_t *p,
                                                            size_t len)
{
	uint64_t c = ~crc;
	while (len > 0 && ((uintptr_t)p & 7u) != 0) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, sizeof v); /* x86-64 is little-endian: bytes in order */
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	return ~(uint32_t)c;
}
#endif

bool numseq__crc32c_hw_available(void)
{
	ensure_init();
	return use_hw;
}

uint32_t numseq__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
#if CRC32C_HAVE_SSE42
	if (numseq__crc32c_hw_available())
		return crc_sse42(crc, buf, len);
#endif
	return numseq__crc32c_sw(crc, buf, len);
}

uint32_t numseq__crc32c(uint32_t crc, const void *buf, size_t len)
{
	return numseq__crc32c_hw(crc, buf, len);
}
