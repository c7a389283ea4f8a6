/*
 * errors.c - error codes, their names, and PostgreSQL-style messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numseq_internal.h"
#include "numseq_test.h"

int numseq__fail(numseq_error_t *err, int code, const char *sqlstate, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		err->code = code;
		memcpy(err->sqlstate, sqlstate, 5);
		err->sqlstate[5] = '\0';
		va_start(ap, fmt);
		(void)vsnprintf(err->message, sizeof err->message, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *numseq_strerror(int code)
{
	switch (code) {
	case NUMSEQ_OK: return "success";
	case NUMSEQ_EINVAL:
		return "invalid argument (NULL or destroyed handle, k = 0, bad pointer)";
	case NUMSEQ_ENOMEM: return "out of memory";
	case NUMSEQ_ETYPE: return "sequence type must be smallint, integer, or bigint";
	case NUMSEQ_EINCREMENT: return "INCREMENT must not be zero";
	case NUMSEQ_ETYPERANGE:
		return "MINVALUE or MAXVALUE is out of range for the sequence data type";
	case NUMSEQ_EMINMAX: return "MINVALUE must be less than MAXVALUE";
	case NUMSEQ_ESTART: return "START value is outside MINVALUE..MAXVALUE";
	case NUMSEQ_ERESTART: return "RESTART (or current) value is outside MINVALUE..MAXVALUE";
	case NUMSEQ_ECACHE: return "CACHE must be greater than zero";
	case NUMSEQ_EMAXVALUE: return "nextval: reached maximum value of sequence";
	case NUMSEQ_EMINVALUE: return "nextval: reached minimum value of sequence";
	case NUMSEQ_ESETVAL: return "setval: value is out of bounds for sequence";
	case NUMSEQ_ECURRVAL: return "currval of sequence is not yet defined in this session";
	case NUMSEQ_ELASTVAL: return "lastval is not yet defined in this session";
	case NUMSEQ_ENAME: return "sequence name must be 1 to 63 bytes";
	case NUMSEQ_EOPTION: return "conflicting, redundant or unknown options";
	case NUMSEQ_ECLAIMED: return "duplicate key value: the number is already claimed";
	case NUMSEQ_ENOTCLAIMED: return "the number is not claimed (double release?)";
	case NUMSEQ_ERANGE: return "the number is outside MINVALUE..MAXVALUE";
	case NUMSEQ_EGRID: return "the number is not on the sequence's INCREMENT grid";
	case NUMSEQ_EFULL: return "no unclaimed number left";
	case NUMSEQ_ENOCLAIMS: return "the sequence has no claimed-number bitmap";
	case NUMSEQ_EPOLICY: return "not available under the sequence's claims policy";
	case NUMSEQ_ECLAIMSRANGE: return "the range is too large for a claimed-number bitmap";
	case NUMSEQ_ENOTFOUND: return "no further claimed number";
	case NUMSEQ_ENOTJOURNAL: return "not a numseq journal (bad magic)";
	case NUMSEQ_EVERSION: return "journal format version or features not supported";
	case NUMSEQ_EFINGERPRINT: return "journal was written with other sequence options";
	case NUMSEQ_ECORRUPT:
		return "journal is corrupt: acknowledged records are damaged (see numseq check / repair)";
	case NUMSEQ_ELOCKED: return "journal is locked by another handle or process";
	case NUMSEQ_EIO: return "I/O error on the journal (fail-stop)";
	case NUMSEQ_ENOSPC: return "no space left for the journal";
	case NUMSEQ_EFAILED:
		return "an earlier journal I/O failure: no durable work until the sequence is reopened";
	case NUMSEQ_ESYMLINK: return "journal path is a symbolic link";
	case NUMSEQ_EBADFILE: return "journal is not a regular file with a single link";
	case NUMSEQ_EFORK: return "journal handle used in a forked child process";
	case NUMSEQ_ENOENT: return "the journal does not exist";
	case NUMSEQ_EEXIST: return "the journal already exists";
	case NUMSEQ_ENOJOURNAL: return "the sequence has no journal";
	default:
		if (code > 0)
			return "system error (errno value)";
		return "unknown numseq error code";
	}
}

const char *numseq_version(void)
{
	return "0.1.0";
}

/* Countdown to an injected allocation failure, per thread (tests run their
 * failing call on one thread while others may allocate freely); 0 = off. */
static _Thread_local long alloc_fail_in;

void numseq__fail_alloc_at(long k)
{
	alloc_fail_in = k > 0 ? k : 0;
}

static bool alloc_fails(void)
{
	return alloc_fail_in > 0 && --alloc_fail_in == 0;
}

void *numseq__calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : calloc(n, size);
}

void *numseq__aligned_alloc(size_t align, size_t size)
{
	return alloc_fails() ? NULL : aligned_alloc(align, size);
}
