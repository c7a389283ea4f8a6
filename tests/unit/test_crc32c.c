/*
 * test_crc32c.c - CRC-32C: the published vectors, software against
 * hardware against a bit-at-a-time reference, every length and alignment,
 * chaining.
 *
 * Vectors: "123456789" -> 0xE3069283 (the check value of CRC-32C in every
 * catalogue, e.g. Greg Cook's "Catalogue of parametrised CRC algorithms");
 * RFC 3720 (iSCSI) appendix B.4: 32 bytes of 0x00, of 0xFF, ascending,
 * descending, and a 48-byte SCSI READ(10) PDU.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32c.h"

/* The definition, one bit at a time: independent of both implementations. */
static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t n)
{
	uint32_t c = ~crc;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
	uint8_t b[48];

	assert_int_equal(f(0, "", 0), 0u);
	assert_int_equal(f(0, "123456789", 9), 0xE3069283u);
	memset(b, 0, 32);
	assert_int_equal(f(0, b, 32), 0x8A9136AAu);
	memset(b, 0xff, 32);
	assert_int_equal(f(0, b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(f(0, b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(f(0, b, 32), 0x113FDB5Cu);
	static const uint8_t pdu[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
	                                0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
	                                0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	assert_int_equal(f(0, pdu, sizeof pdu), 0xD9963A56u);
}

static void test_reference_vectors(void **state)
{
	(void)state;
	/* The reference itself must be right before anything is compared to it. */
	assert_int_equal(crc_ref(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
}

static void test_sw_vectors(void **state)
{
	(void)state;
	check_vectors(numseq__crc32c_sw);
}

static void test_hw_vectors(void **state)
{
	(void)state;
	if (!numseq__crc32c_hw_available()) {
		printf("SSE4.2 not available: the hardware path is the software one here\n");
	}
	check_vectors(numseq__crc32c_hw);
	check_vectors(numseq__crc32c);
}

/* Every length 0..300 at every alignment 0..15, on pseudo-random bytes:
 * software == hardware == reference, and a split at every point chains. */
static void test_lengths_alignments(void **state)
{
	(void)state;
	static uint8_t buf[320 + 16];
	uint32_t x = 0x9e3779b9u;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (size_t al = 0; al < 16; al++) {
		for (size_t n = 0; n <= 300; n++) {
			const uint8_t *p = buf + al;
			uint32_t want = crc_ref(0, p, n);
			if (numseq__crc32c_sw(0, p, n) != want ||
			    numseq__crc32c_hw(0, p, n) != want || numseq__crc32c(0, p, n) != want)
				fail_msg("crc mismatch at alignment %zu length %zu", al, n);
		}
	}
	for (size_t n = 0; n <= 200; n += 7) {
		uint32_t whole = crc_ref(0, buf, n);
		for (size_t cut = 0; cut <= n; cut++) {
			if (numseq__crc32c_sw(numseq__crc32c_sw(0, buf, cut), buf + cut, n - cut) !=
			            whole ||
			    numseq__crc32c_hw(numseq__crc32c_hw(0, buf, cut), buf + cut, n - cut) !=
			            whole)
				fail_msg("chaining breaks at %zu of %zu", cut, n);
		}
	}
}

/* A seed other than 0 is honoured by both paths (the journal seeds record
 * CRCs with the file id). */
static void test_seed(void **state)
{
	(void)state;
	const uint8_t d[] = "numseq journal";
	uint32_t seed = 0xdeadbeefu;
	assert_int_equal(numseq__crc32c_sw(seed, d, sizeof d - 1), crc_ref(seed, d, sizeof d - 1));
	assert_int_equal(numseq__crc32c_hw(seed, d, sizeof d - 1), crc_ref(seed, d, sizeof d - 1));
	assert_int_not_equal(numseq__crc32c(seed, d, sizeof d - 1),
	                     numseq__crc32c(0, d, sizeof d - 1));
}

/* A single flipped bit anywhere in a 4 KiB buffer changes the CRC (CRC-32C
 * detects every 1-bit error). */
static void test_single_bit(void **state)
{
	(void)state;
	static uint8_t b[4096];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(i * 131u + 7u);
	uint32_t c0 = numseq__crc32c(0, b, sizeof b);
	for (size_t i = 0; i < sizeof b; i++) {
		for (int k = 0; k < 8; k++) {
			b[i] ^= (uint8_t)(1u << k);
			if (numseq__crc32c(0, b, sizeof b) == c0)
				fail_msg("flip of bit %d of byte %zu not detected", k, i);
			b[i] ^= (uint8_t)(1u << k);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_sw_vectors),
		cmocka_unit_test(test_hw_vectors),
		cmocka_unit_test(test_lengths_alignments),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_single_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
