/*
 * main.c - numseq_bench: the command line, the list of row groups and the
 * targets from the issue.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

extern const bench_group_t bench_group_numseq;
extern const bench_group_t bench_group_baselines;
extern const bench_group_t bench_group_claims;           /* claims_rows.c */
extern const bench_group_t bench_group_claims_baselines; /* claims_baselines.c */
extern const bench_group_t bench_group_selftest;

/* Rows, in table order: add a group here when a new file adds rows. */
static const bench_group_t *const groups[] = {
	&bench_group_numseq,
	&bench_group_baselines,
	&bench_group_claims,
	&bench_group_claims_baselines,
	NULL,
};

/* The targets of the issue that asked for this bench, plus ratios shown
 * for context (informational: never PASS/MISS). */
static const bench_target_t targets[] = {
	{.what = "single-thread nextval within 1.25x of the called bare fetch_add",
         .num = "nextval",
         .num_threads = 1,
         .den = "faa-call",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 1.25},
	{.what = "CACHE 64, 2 threads: >= 5x the throughput of the shared fetch_add",
         .num = "nextval-c64",
         .num_threads = 2,
         .den = "faa-inline",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 5.0},
	{.what = "CACHE 64, 2 threads: share of the plain per-thread block's throughput "
                 "(the semantics may cost at most half)",
         .num = "nextval-c64",
         .num_threads = 2,
         .den = "block64-call",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 0.5,
         .informational = true},
	{.what = "plain per-thread block of 64, 2 threads, against the shared fetch_add "
                 "(about 12x expected)",
         .num = "block64-call",
         .num_threads = 2,
         .den = "faa-inline",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 12.0,
         .informational = true},
	{.what = "single-thread nextval CACHE 64 against the called fetch_add",
         .num = "nextval-c64",
         .num_threads = 1,
         .den = "faa-call",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 1.25,
         .informational = true},
	{.what = "single-thread nextval against the inline fetch_add",
         .num = "nextval",
         .num_threads = 1,
         .den = "faa-inline",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 1.25,
         .informational = true},
	{.what = "nextval_n(64), 2 threads, against the shared fetch_add",
         .num = "nextval-n64",
         .num_threads = 2,
         .den = "faa-inline",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 5.0,
         .informational = true},
	/* The claimed-number bitmap (claims_rows.c, claims_baselines.c).  Its
	 * third target, LOWEST_FREE and CYCLIC nextval+release within 100 ns at
	 * N = 10^9 on one thread, is absolute: docs/benchmarks.md judges it. */
	{.what = "claims: SEQUENCE nextval with a bitmap within 2x of nextval without "
                 "(N = 10^9, NO CYCLE)",
         .num = "cl-seq-1e9",
         .num_threads = 1,
         .den = "cl-plain-1e9",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 2.0},
	{.what = "claims: the same with CYCLE, which the SEQUENCE pair rows need",
         .num = "cl-seq-cyc-1e9",
         .num_threads = 1,
         .den = "cl-plain-cyc-1e9",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 2.0,
         .informational = true},
	{.what = "claims: LOWEST_FREE nextval+release >= 10x faster than the mutex+scan bitmap "
                 "(N = 10^6)",
         .num = "cl-lowest-1e6",
         .num_threads = 1,
         .den = "cl-mtx-alloc-1e6",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 0.1},
	{.what = "claims: the same, 2 threads, throughput",
         .num = "cl-lowest-1e6",
         .num_threads = 2,
         .den = "cl-mtx-alloc-1e6",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 10.0},
	{.what = "claims: CYCLIC nextval+release >= 10x faster than the mutex+scan bitmap "
                 "(N = 10^6)",
         .num = "cl-cyclic-1e6",
         .num_threads = 1,
         .den = "cl-mtx-alloc-1e6",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 0.1},
	{.what = "claims: the same, 2 threads, throughput",
         .num = "cl-cyclic-1e6",
         .num_threads = 2,
         .den = "cl-mtx-alloc-1e6",
         .den_threads = 2,
         .metric = BENCH_MOPS_RATIO_MIN,
         .bound = 10.0},
	{.what = "claims: numseq claim+release against the mutex bitmap's (no scan; N = 10^6)",
         .num = "cl-claim-1e6",
         .num_threads = 1,
         .den = "cl-mtx-claim-1e6",
         .den_threads = 1,
         .metric = BENCH_NS_RATIO_MAX,
         .bound = 1.0,
         .informational = true},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: numseq_bench [--threads 1,2,4] [--runs N] [--ms M] [--warmup W]\n"
	           "                    [--filter name,...] [--csv file] [--markdown file]\n"
	           "                    [--verify-values N] [--no-pin] [--retry-busy N]\n"
	           "                    [--quick] [--list]\n"
	           "                    [--profile name [--ops N]] [--self-test]\n"
	           "  --threads   thread counts to run (default 1,2,4)\n"
	           "  --runs      timed runs per contender and thread count (default 7)\n"
	           "  --ms        duration of one run in ms (default 200)\n"
	           "  --warmup    discarded runs before them (default 1)\n"
	           "  --filter    only contenders whose name contains one of these\n"
	           "  --csv       write every timed run to this file\n"
	           "  --markdown  write method, results and targets (markdown) to this file\n"
	           "  --verify-values  numbers per thread in the exact verify pass\n"
	           "              (default 131072; 0 turns it off)\n"
	           "  --no-pin    do not pin thread i to CPU i mod n\n"
	           "  --retry-busy  redo a run whose threads got < 90%% of their CPU share\n"
	           "              (another process ran) at most this often (default 5)\n"
	           "  --quick     3 runs of 50 ms, 8192 verify numbers, 1 retry (explicit\n"
	           "              options win)\n"
	           "  --list      list the contenders and exit\n"
	           "  --profile   run one contender on this thread for --ops ops (default\n"
	           "              10000000), no timing: for valgrind --tool=callgrind\n"
	           "  --self-test run a deliberately broken counter; succeed only if the\n"
	           "              checks catch it\n"
	           "exit status: 0 ok, 1 usage or setup error, 2 a correctness check failed\n");
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_threads(const char *s, bench_config_t *cfg)
{
	char buf[256];
	unsigned n = 0;
	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		unsigned long long v;
		if (n == sizeof(cfg->threads) / sizeof(cfg->threads[0]) ||
		    parse_uint(tok, 64, &v) != 0 || v == 0)
			return -1;
		cfg->threads[n++] = (unsigned)v;
	}
	cfg->nthreads_list = n;
	return n ? 0 : -1;
}

int main(int argc, char **argv)
{
	bench_config_t cfg = {
		.threads = {1, 2, 4},
		.nthreads_list = 3,
		.pin = true,
		.ns_baseline = "faa-call",
		.mops_baseline = "faa-inline",
	};
	unsigned long long runs = 7, ms = 200, warmup = 1, verify = 131072, ops = 10000000;
	bool runs_set = false, ms_set = false, verify_set = false, quick = false;
	bool self_test = false, retry_set = false;
	unsigned long long retry = 5;
	const char *profile = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long x;
		if (strcmp(a, "--threads") == 0) {
			if (parse_threads(v, &cfg) != 0)
				goto bad;
			i++;
		} else if (strcmp(a, "--runs") == 0) {
			if (parse_uint(v, 1000, &x) != 0 || x == 0)
				goto bad;
			runs = x, runs_set = true, i++;
		} else if (strcmp(a, "--ms") == 0) {
			if (parse_uint(v, 600000, &x) != 0 || x == 0)
				goto bad;
			ms = x, ms_set = true, i++;
		} else if (strcmp(a, "--warmup") == 0) {
			if (parse_uint(v, 100, &x) != 0)
				goto bad;
			warmup = x, i++;
		} else if (strcmp(a, "--verify-values") == 0) {
			if (parse_uint(v, 1ull << 28, &x) != 0)
				goto bad;
			verify = x, verify_set = true, i++;
		} else if (strcmp(a, "--retry-busy") == 0) {
			if (parse_uint(v, 1000, &x) != 0)
				goto bad;
			retry = x, retry_set = true, i++;
		} else if (strcmp(a, "--ops") == 0) {
			if (parse_uint(v, 1ull << 40, &x) != 0 || x == 0)
				goto bad;
			ops = x, i++;
		} else if (strcmp(a, "--filter") == 0 && v) {
			cfg.filter = v, i++;
		} else if (strcmp(a, "--csv") == 0 && v) {
			cfg.csv = v, i++;
		} else if (strcmp(a, "--markdown") == 0 && v) {
			cfg.markdown = v, i++;
		} else if (strcmp(a, "--profile") == 0 && v) {
			profile = v, i++;
		} else if (strcmp(a, "--no-pin") == 0) {
			cfg.pin = false;
		} else if (strcmp(a, "--self-test") == 0) {
			self_test = true;
		} else if (strcmp(a, "--quick") == 0) {
			quick = true;
		} else if (strcmp(a, "--list") == 0) {
			bench_list(groups);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			goto bad;
		}
	}
	if (quick) {
		runs = runs_set ? runs : 3;
		ms = ms_set ? ms : 50;
		verify = verify_set ? verify : 8192;
		retry = retry_set ? retry : 1;
	}
	cfg.runs = (unsigned)runs;
	cfg.ms = (unsigned)ms;
	cfg.warmup = (unsigned)warmup;
	cfg.verify_values = verify;
	cfg.retry_busy = (unsigned)retry;

	if (profile)
		return bench_profile(groups, profile, ops);
	if (self_test) {
		static const bench_group_t *const broken[] = {&bench_group_selftest, NULL};
		cfg.filter = NULL;
		cfg.csv = cfg.markdown = NULL;
		int rc = bench_main(&cfg, broken, NULL, 0);
		printf("self-test: %s\n", rc == 2 ? "ok, the checks caught the broken counter"
		                                  : "FAILED, the broken counter went unseen");
		return rc == 2 ? 0 : 1;
	}
	return bench_main(&cfg, groups, targets, sizeof(targets) / sizeof(targets[0]));
bad:
	usage(stderr);
	return 1;
}
