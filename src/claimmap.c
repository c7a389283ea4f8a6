/*
 * claimmap.c - the claimed-number bitmap (contract: claimmap.h).
 *
 * First compiling version: the functions exist so that the tree builds;
 * the implementation follows.
 */
#include "claimmap.h"

#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"

int numseq__cmap_init(struct numseq__cmap *m, uint64_t nbits)
{
	memset(m, 0, sizeof(*m));
	if (nbits == 0 || nbits > NUMSEQ__CMAP_MAX_BITS)
		return NUMSEQ_EINVAL;
	m->nbits = nbits;
	return NUMSEQ_OK;
}

void numseq__cmap_free(struct numseq__cmap *m)
{
	m->nbits = 0;
}

int numseq__cmap_set(struct numseq__cmap *m, uint64_t i)
{
	(void)m;
	(void)i;
	return NUMSEQ_ENOMEM;
}

int numseq__cmap_clear(struct numseq__cmap *m, uint64_t i)
{
	(void)m;
	(void)i;
	return 0;
}

bool numseq__cmap_test(struct numseq__cmap *m, uint64_t i)
{
	(void)m;
	(void)i;
	return false;
}

int numseq__cmap_take_first(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	(void)m;
	(void)from;
	(void)out;
	return NUMSEQ_ENOMEM;
}

int numseq__cmap_find_clear(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	(void)m;
	(void)from;
	(void)out;
	return 0;
}

int numseq__cmap_find_set(struct numseq__cmap *m, uint64_t from, uint64_t *out)
{
	(void)m;
	(void)from;
	(void)out;
	return 0;
}

int numseq__cmap_last_set(struct numseq__cmap *m, uint64_t *out)
{
	(void)m;
	(void)out;
	return 0;
}

void numseq__cmap_counts(struct numseq__cmap *m, uint64_t *claims, uint64_t *releases)
{
	(void)m;
	*claims = 0;
	*releases = 0;
}

uint64_t numseq__cmap_bytes(struct numseq__cmap *m)
{
	(void)m;
	return 0;
}
