/*
 * consumer.c - the smallest program that uses an installed numseq.
 * Built by tests/install/run.cmake against a scratch install, through
 * find_package(numseq) and through pkg-config.  Exit status 0 = pass.
 */
#include <numseq.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	numseq_t *s = NULL;
	numseq_error_t err;
	int64_t a = 0, b = 0;
	int rc;

	if (strcmp(numseq_version(), "0.0.0") == 0 || numseq_strerror(NUMSEQ_EMAXVALUE) == NULL) {
		fprintf(stderr, "consumer: bad version or strerror\n");
		return 1;
	}
	rc = numseq_create(&s, NULL, &err);
	if (rc != NUMSEQ_OK) {
		fprintf(stderr, "consumer: numseq_create: %d %s\n", rc, err.message);
		return 1;
	}
	if ((rc = numseq_nextval(s, &a, &err)) != NUMSEQ_OK ||
	    (rc = numseq_nextval(s, &b, &err)) != NUMSEQ_OK) {
		fprintf(stderr, "consumer: numseq_nextval: %d %s\n", rc, err.message);
		numseq_destroy(&s);
		return 1;
	}
	if (numseq_destroy(&s) != NUMSEQ_OK || s != NULL) {
		fprintf(stderr, "consumer: numseq_destroy failed\n");
		return 1;
	}
	if (a != 1 || b != 2) {
		fprintf(stderr, "consumer: expected 1 and 2, got %lld and %lld\n", (long long)a,
		        (long long)b);
		return 1;
	}
	printf("consumer: numseq %s: nextval gave %lld, %lld\n", numseq_version(), (long long)a,
	       (long long)b);
	return 0;
}
