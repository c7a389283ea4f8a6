/*
 * crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of the persistence journal (internal; not installed).
 *
 * Two implementations compute the same function:
 *  - software: slicing-by-8 (eight 256-entry tables, eight bytes per step);
 *  - hardware: the SSE4.2 `crc32` instruction (x86-64 only), chosen at run
 *    time when the CPU has it (__builtin_cpu_supports("sse4.2")).
 * numseq__crc32c() uses the hardware one when it can.  Both are exported
 * to the tests, which check them against the published vectors (RFC 3720
 * B.4, and "123456789" -> 0xE3069283) and against each other.
 *
 * Convention (the usual one, as in zlib's crc32 and LevelDB's crc32c::
 * Extend): `crc` is the CRC of the bytes before `buf` (0 for none), the
 * pre- and post-inversion are done inside, so
 *     numseq__crc32c(numseq__crc32c(0, a, na), b, nb) == CRC of a then b.
 *
 * All functions are thread-safe, wait-free after the first call (which
 * builds the tables once, under pthread_once), and never fail.
 */
#ifndef NUMSEQ_CRC32C_H
#define NUMSEQ_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC-32C of buf[0..len) continuing from crc; the fastest implementation. */
uint32_t numseq__crc32c(uint32_t crc, const void *buf, size_t len);

/* The software implementation (any CPU). */
uint32_t numseq__crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* Whether numseq__crc32c_hw can run on this CPU. */
bool numseq__crc32c_hw_available(void);

/* The SSE4.2 implementation.  Only when numseq__crc32c_hw_available();
 * elsewhere it falls back to the software one (so that it is always safe
 * to call). */
uint32_t numseq__crc32c_hw(uint32_t crc, const void *buf, size_t len);

#endif
