/*
 * numseq_test.h - hooks for numseq's own tests.  Not installed, not part of
 * the ABI; the symbols are hidden in the shared library, so tests link the
 * static one (numseq::numseq_static).
 */
#ifndef NUMSEQ_TEST_H
#define NUMSEQ_TEST_H

#include <stddef.h>

#include "numseq.h"

/* Sets the ticket count at which the sequence rebases (default 2^43), so
 * that tests can drive many rebases.  Must be >= 1 and <= 2^43.  Call only
 * while no other thread uses s.  Returns NUMSEQ_OK or NUMSEQ_EINVAL. */
int numseq__set_rebase_at(numseq_t *s, uint64_t rebase_at);

/* Number of epochs (writer operations and rebases) so far. */
uint64_t numseq__epoch(numseq_t *s);

/* Capacity of the calling thread's session table (0 before its first
 * call): lets tests check that destroyed sequences' entries are dropped. */
size_t numseq__sess_capacity(void);

/* Makes the k-th allocation the calling thread's numseq calls make from
 * now on fail (k = 1: the next one); 0 turns it off.  For testing that an
 * allocation failure returns NUMSEQ_ENOMEM and loses nothing. */
void numseq__fail_alloc_at(long k);

/* numseq_open through an I/O table (src/jio.h): tests pass a fault
 * injector (numseq__jfault_io).  io = NULL: the real system calls. */
struct numseq__jio;
int numseq__open_io(numseq_t **out, const char *path, unsigned flags, const numseq_options_t *o,
                    const numseq_journal_options_t *jo, struct numseq__jio *io,
                    numseq_error_t *err);

#endif
