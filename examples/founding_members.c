/*
 * founding_members.c - numbering founding members when everyone signs up
 * in the same millisecond.
 *
 * The story: a product gives its first 100 customers a "founding member"
 * number, 1..100, from
 *
 *     CREATE SEQUENCE founding_member_number_seq
 *       START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 100 NO CYCLE;
 *
 * Counting the members and adding one hands the same number to two signups
 * that arrive together.  A sequence does not: each nextval gets its own
 * number, and once 100 is gone every further nextval fails with
 * "reached maximum value" instead of handing out 101 or a duplicate.
 *
 * This program plays the launch: --threads N signups (default 1000), each
 * a thread, are released together by a barrier and each calls nextval
 * once.  Then it prints the figures one would monitor in the database
 *
 *     SELECT count(*), max(founding_member_number),
 *            count(DISTINCT founding_member_number) FROM tenants ...;
 *     SELECT last_value, is_called FROM founding_member_number_seq;
 *
 * and checks them: min(N, slots) members numbered exactly 1..members, the
 * rest rejected with the limit error.  Exit status: 0 all checks passed,
 * 1 a check failed, 2 bad usage, 3 the system refused the threads.
 *
 *   founding_members [--threads N] [--slots M]
 *                    [--expect-members K] [--expect-rejected R]
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "numseq.h"

#define SEQ_NAME "founding_member_number_seq"
#define STACK_SIZE (64 * 1024)

/* ------------------------------------------------------------- signups */

typedef struct signup {
	int64_t number; /* the founding member number, if rc == NUMSEQ_OK */
	int rc;         /* what nextval returned */
} signup_t;

typedef struct launch {
	numseq_t *seq;
	signup_t *signups;

	/* Threads are created first and wait at the gate; the barrier then
	 * releases them together.  If the system refuses a thread, the gate is
	 * aborted instead, so the ones already waiting can go home. */
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	int gate;                /* 0 closed, 1 open, -1 aborted */
	pthread_barrier_t start; /* all signup threads + the main thread */

	atomic_ulong rejected; /* order of rejection: the first one reports */
	numseq_error_t first_rejection;
} launch_t;

typedef struct worker {
	launch_t *launch;
	size_t idx;
} worker_t;

static bool pass_gate(launch_t *l)
{
	pthread_mutex_lock(&l->gate_mu);
	while (l->gate == 0)
		pthread_cond_wait(&l->gate_cv, &l->gate_mu);
	int g = l->gate;
	pthread_mutex_unlock(&l->gate_mu);
	if (g < 0)
		return false;
	pthread_barrier_wait(&l->start);
	return true;
}

static void set_gate(launch_t *l, int g)
{
	pthread_mutex_lock(&l->gate_mu);
	l->gate = g;
	pthread_cond_broadcast(&l->gate_cv);
	pthread_mutex_unlock(&l->gate_mu);
}

static void *sign_up(void *arg)
{
	worker_t *w = arg;
	launch_t *l = w->launch;
	signup_t *me = &l->signups[w->idx];
	if (!pass_gate(l))
		return NULL;

	numseq_error_t err;
	me->rc = numseq_nextval(l->seq, &me->number, &err);
	if (me->rc != NUMSEQ_OK) {
		/* A rejected signup prints nothing; the first one keeps its
		 * message for the report (the main thread reads it after join). */
		if (atomic_fetch_add_explicit(&l->rejected, 1, memory_order_relaxed) == 0)
			l->first_rejection = err;
	}
	return NULL;
}

/* --------------------------------------------------------------- report */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "usage: %s [--threads N] [--slots M] [--expect-members K] [--expect-rejected R]\n"
	        "  --threads N          signups arriving together, one thread each (default 1000)\n"
	        "  --slots M            founding member numbers 1..M, MAXVALUE M (default 100)\n"
	        "  --expect-members K   fail unless exactly K members got a number\n"
	        "  --expect-rejected R  fail unless exactly R signups were rejected\n",
	        prog);
}

static bool parse_count(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void check_line(const char *what, bool ok, int *failures)
{
	printf("  %-52s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		++*failures;
}

int main(int argc, char **argv)
{
	long threads = 1000, slots = 100, expect_members = -1, expect_rejected = -1;
	for (int i = 1; i < argc; i += 2) {
		long *dst = NULL, lo = 0;
		if (strcmp(argv[i], "--threads") == 0) {
			dst = &threads;
			lo = 1;
		} else if (strcmp(argv[i], "--slots") == 0) {
			dst = &slots;
			lo = 1;
		} else if (strcmp(argv[i], "--expect-members") == 0) {
			dst = &expect_members;
		} else if (strcmp(argv[i], "--expect-rejected") == 0) {
			dst = &expect_rejected;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
			usage(stderr, argv[0]);
			return 2;
		}
		if (i + 1 >= argc || !parse_count(argv[i + 1], lo, 1000000, dst)) {
			fprintf(stderr, "%s: %s needs a whole number from %ld to 1000000\n",
			        argv[0], argv[i], lo);
			return 2;
		}
	}

	/* CREATE SEQUENCE founding_member_number_seq
	 *   START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE <slots> NO CYCLE; */
	numseq_options_t o;
	numseq_options_init(&o);
	o.set = NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	        NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_NAME;
	o.start = 1;
	o.increment = 1;
	o.minvalue = 1;
	o.maxvalue = slots;
	o.cycle = false;
	o.name = SEQ_NAME;

	numseq_error_t err;
	launch_t l;
	memset(&l, 0, sizeof l);
	int rc = numseq_create(&l.seq, &o, &err);
	if (rc != NUMSEQ_OK) {
		fprintf(stderr, "CREATE SEQUENCE %s failed: ERROR %s: %s\n", SEQ_NAME, err.sqlstate,
		        err.message);
		return 2;
	}

	const size_t n = (size_t)threads;
	l.signups = calloc(n, sizeof *l.signups);
	worker_t *workers = calloc(n, sizeof *workers);
	pthread_t *tids = calloc(n, sizeof *tids);
	if (l.signups == NULL || workers == NULL || tids == NULL) {
		fprintf(stderr, "out of memory for %zu signups\n", n);
		return 3;
	}
	pthread_mutex_init(&l.gate_mu, NULL);
	pthread_cond_init(&l.gate_cv, NULL);
	pthread_barrier_init(&l.start, NULL, (unsigned)n + 1);
	atomic_init(&l.rejected, 0);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	size_t stack = STACK_SIZE;
	long min_stack = sysconf(_SC_THREAD_STACK_MIN);
	if (min_stack > 0 && (size_t)min_stack > stack)
		stack = (size_t)min_stack;
	int arc = pthread_attr_setstacksize(&attr, stack);
	if (arc != 0)
		fprintf(stderr, "note: could not set a %zu KiB stack (%s); using the default\n",
		        stack / 1024, strerror(arc));

	size_t created = 0;
	int create_err = 0;
	for (; created < n; created++) {
		workers[created] = (worker_t){.launch = &l, .idx = created};
		create_err = pthread_create(&tids[created], &attr, sign_up, &workers[created]);
		if (create_err != 0)
			break;
	}
	pthread_attr_destroy(&attr);
	if (create_err != 0) {
		set_gate(&l, -1);
		for (size_t i = 0; i < created; i++)
			pthread_join(tids[i], NULL);
		fprintf(stderr,
		        "error: the system refused signup thread %zu of %zu: %s\n"
		        "       (%zu threads were running with %zu KiB stacks; see ulimit -u,\n"
		        "       /proc/sys/kernel/threads-max, or try a smaller --threads)\n",
		        created + 1, n, strerror(create_err), created, stack / 1024);
		return 3;
	}

	/* Everyone is waiting at the gate: open it, and release them together. */
	struct timespec t0, t1;
	set_gate(&l, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_barrier_wait(&l.start);
	for (size_t i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* ---- the monitoring figures */
	int64_t *numbers = malloc(n * sizeof *numbers);
	if (numbers == NULL) {
		fprintf(stderr, "out of memory\n");
		return 3;
	}
	size_t members = 0, rejected = 0, other = 0;
	int other_rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (l.signups[i].rc == NUMSEQ_OK) {
			numbers[members++] = l.signups[i].number;
		} else if (l.signups[i].rc == NUMSEQ_EMAXVALUE) {
			rejected++;
		} else {
			other++;
			other_rc = l.signups[i].rc;
		}
	}
	qsort(numbers, members, sizeof *numbers, cmp_i64);
	size_t distinct = 0, repeated = 0;
	for (size_t i = 0; i < members; i++) {
		if (i == 0 || numbers[i] != numbers[i - 1])
			distinct++;
		else
			repeated++;
	}
	/* numbers must be exactly 1..members: sorted, number i+1 at position i */
	bool exact = true;
	for (size_t i = 0; i < members; i++)
		if (numbers[i] != (int64_t)i + 1)
			exact = false;
	int64_t highest = members ? numbers[members - 1] : 0;

	int64_t last_value = 0;
	bool is_called = false;
	int rrc = numseq_read(l.seq, &last_value, &is_called);

	const size_t want_members = (size_t)(threads < slots ? threads : slots);
	const size_t want_rejected = n - want_members;

	printf("Founding member launch: %zu signups in the same instant, %ld numbers\n", n, slots);
	printf("  CREATE SEQUENCE %s\n", SEQ_NAME);
	printf("    START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE %ld NO CYCLE;\n\n", slots);

	printf("  %-22s %12zu\n", "founding members", members);
	if (members)
		printf("  %-22s %12lld\n", "highest number", (long long)highest);
	else
		printf("  %-22s %12s\n", "highest number", "(none)");
	printf("  %-22s %12zu\n", "distinct numbers", distinct);
	printf("  %-22s %12zu\n", "rejected signups", rejected);
	if (other)
		printf("  %-22s %12zu   (last code %d: %s)\n", "other failures", other, other_rc,
		       numseq_strerror(other_rc));
	printf("  %-22s %12.3f\n\n", "elapsed time (ms)", ms_between(&t0, &t1));

	printf("  SELECT last_value, is_called FROM %s;\n", SEQ_NAME);
	if (rrc == NUMSEQ_OK) {
		printf("  %-22s %12lld\n", "last_value", (long long)last_value);
		printf("  %-22s %12s\n\n", "is_called", is_called ? "true" : "false");
	} else {
		printf("  numseq_read failed: %s\n\n", numseq_strerror(rrc));
	}

	if (rejected + other > 0)
		printf("  The first rejected signup got:\n    ERROR:  %s\n    SQLSTATE: %s\n\n",
		       l.first_rejection.message, l.first_rejection.sqlstate);
	else
		printf("  No signup was rejected.\n\n");

	/* ---- the checks */
	char what[128];
	int failures = 0;
	printf("Checks\n");
	snprintf(what, sizeof what, "founding members = min(signups, slots) = %zu", want_members);
	check_line(what, members == want_members, &failures);
	snprintf(what, sizeof what, "rejected signups = %zu", want_rejected);
	check_line(what, rejected == want_rejected && other == 0, &failures);
	check_line("no number handed out twice", repeated == 0, &failures);
	snprintf(what, sizeof what, "numbers are exactly 1..%zu, none missing", members);
	check_line(what, exact, &failures);
	if (members > 0) {
		snprintf(what, sizeof what, "last_value = %zu, is_called = true", members);
		check_line(what, rrc == NUMSEQ_OK && last_value == (int64_t)members && is_called,
		           &failures);
	} else {
		check_line("last_value = 1, is_called = false",
		           rrc == NUMSEQ_OK && last_value == 1 && !is_called, &failures);
	}
	if (rejected + other > 0) {
		char want_msg[NUMSEQ_MSG_MAX];
		snprintf(want_msg, sizeof want_msg,
		         "nextval: reached maximum value of sequence \"%s\" (%ld)", SEQ_NAME,
		         slots);
		check_line("rejections carry PostgreSQL's 2200H message",
		           strcmp(l.first_rejection.message, want_msg) == 0 &&
		                   strcmp(l.first_rejection.sqlstate, "2200H") == 0 &&
		                   l.first_rejection.code == NUMSEQ_EMAXVALUE,
		           &failures);
	}
	if (expect_members >= 0) {
		snprintf(what, sizeof what, "founding members = %ld (as expected by the caller)",
		         expect_members);
		check_line(what, members == (size_t)expect_members, &failures);
	}
	if (expect_rejected >= 0) {
		snprintf(what, sizeof what, "rejected signups = %ld (as expected by the caller)",
		         expect_rejected);
		check_line(what, rejected == (size_t)expect_rejected, &failures);
	}
	printf("%s\n", failures ? "RESULT: FAILED" : "RESULT: all checks passed");

	pthread_barrier_destroy(&l.start);
	pthread_cond_destroy(&l.gate_cv);
	pthread_mutex_destroy(&l.gate_mu);
	numseq_destroy(&l.seq);
	free(numbers);
	free(tids);
	free(workers);
	free(l.signups);
	return failures ? 1 : 0;
}
