/*
 * crash_harness.c - kill -9 crash loop over a journaled sequence (issue 4,
 * item 7; docs/durability.md P1-P4).
 *
 * The parent forks a child that opens a journal (numseq_open, CREATE,
 * window W), reports what the open recovered (numseq_journal_info; in the
 * claims mode also every claimed number), and then calls the library from
 * several threads, writing each result into a shared anonymous mapping
 * right after the call returns.  The parent kills it with SIGKILL at a
 * random moment, reads what it recorded, and starts the next child on the
 * same journal.  Now and then a child closes cleanly instead (numseq_close,
 * exit 0).  The mapping outlives the child: whatever it recorded before
 * the kill is what the library had returned.
 *
 * Modes:
 *   seq     NO CYCLE ascending sequence, nextval from T threads.
 *           P1: no number twice (each thread's numbers increase; the
 *           threads' lists are merged per cycle, and the runs of every
 *           cycle are sorted and compared at the end), and every number of
 *           a run is above every number of the runs before.
 *           P2: per crash the ledger's gap_count <= 2W; the first number
 *           after a restart is gap_last + 1; every number between the last
 *           recorded one and the first new one is inside the reported gaps,
 *           except those a thread had taken but not yet returned when it
 *           died (at most one per thread with a nextval in flight).
 *           A clean close: the next open reports clean_open, no gap, and
 *           the first number is the last one + 1.
 *   claims  LOWEST_FREE, MINVALUE 1 MAXVALUE R: nextval / claim / release
 *           churn.  P3: after each restart every acknowledged claim is
 *           still claimed and every acknowledged release still released,
 *           except numbers an in-flight call may have changed; no number
 *           is ever held twice (checked in the order of the shared log:
 *           a release is logged before its call, a claim after).
 *   Both: once per run, a second process opens the journal while the
 *   child holds it and must get NUMSEQ_ELOCKED (P4); every restart after a
 *   kill re-acquires the lock.
 *
 * Power-loss helpers for power_loss.sh (a journal on a scratch ext4):
 *   pl-write PATH W REC   T threads of nextval, each thread's highest
 *                         returned number stored in the file REC (mmap);
 *                         REC.ready is created once the journal is open.
 *   pl-check PATH W REC [AFTER]  reopens and checks P1: the first nextval
 *                         is above every number REC (a copy taken just
 *                         before the shutdown) holds; then closes cleanly.
 *
 * Knobs: --cycles N (or NUMSEQ_CRASH_CYCLES; default 200 x
 * NUMSEQ_STRESS_SCALE, at least 20), --seed S (or NUMSEQ_SEED; printed),
 * --window W, --threads T, --range R, --max-delay-us U, --dir D (default a
 * new directory under $TMPDIR or /tmp, removed when the run passes).
 */
#define _GNU_SOURCE

#include <numseq.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXT 8                /* worker threads at most */
#define SEQ_CAP (1u << 19)    /* numbers one thread records per cycle */
#define CL_CAP (1u << 17)     /* claims-mode log entries per cycle */
#define RANGE_MAX 4096        /* claims mode: MAXVALUE at most */
#define START_TIMEOUT_MS 5000 /* a child must be running by then */
#define EXIT_TIMEOUT_MS 20000 /* a clean child must have exited by then */

enum mode { MODE_SEQ, MODE_CLAIMS };

/* Child phases (shm.phase). */
enum { PH_FORKED = 0, PH_OPENED = 1, PH_RUNNING = 2, PH_CLOSED = 3, PH_ERROR = 4 };

/* In-flight calls (pend.op). */
enum { OP_NONE = 0, OP_NEXTVAL = 1, OP_CLAIM = 2 };

/* Claims log tags: a claim is logged once acknowledged; a release before
 * its call (INTENT) and marked ACK once it returned. */
enum { T_EMPTY = 0, T_CLAIM = 1, T_REL_INTENT = 2, T_REL_ACK = 3 };

struct pend {
	_Atomic uint32_t op;
	_Atomic int64_t v;
};

struct clent {
	_Atomic int64_t v;
	_Atomic uint32_t tag;
};

/* The mapping shared with every child (MAP_SHARED | MAP_ANONYMOUS).  The
 * child writes, the parent reads after the child is dead (or, for phase,
 * while it runs).  Stores are atomic so that the order the child wrote in
 * is the order the parent can rely on. */
struct shm {
	/* parent -> child, set before fork */
	uint32_t clean;     /* 1: stop after clean_us and numseq_close */
	uint64_t clean_us;  /* how long a clean child runs */
	uint64_t cycle_rng; /* the child's random seed */
	_Atomic uint32_t stop;
	/* child -> parent */
	_Atomic uint32_t phase;
	int open_rc;
	numseq_journal_info_t info; /* valid from PH_OPENED */
	_Atomic uint32_t first_set;
	int64_t first; /* seq mode: the first number after the open */
	_Atomic uint32_t nerr;
	char err[512];
	struct pend pend[MAXT];
	_Atomic uint64_t seq_n[MAXT];
	_Atomic uint64_t cl_n;
	uint8_t s0[RANGE_MAX + 1]; /* claims mode: is_claimed at open (valid from PH_OPENED) */
	struct clent cl[CL_CAP];
	_Atomic int64_t seq[MAXT][SEQ_CAP];
};

struct cfg {
	enum mode mode;
	uint64_t window;
	unsigned threads;
	unsigned cycles;
	uint64_t seed;
	int64_t range;
	unsigned max_delay_us;
	char dir[512];
	bool own_dir;
	char path[600];
};

static struct cfg C;
static struct shm *S;
static unsigned long long failures;

#define LLU(x) ((unsigned long long)(x))
#define LLD(x) ((long long)(x))

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	failures++;
	if (failures > 50)
		return;
	fprintf(stderr, "[crash] FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------- randomness */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *x, uint64_t n)
{
	return n ? splitmix(x) % n : 0;
}

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void sleep_us(uint64_t us)
{
	struct timespec t = {.tv_sec = (time_t)(us / 1000000u),
	                     .tv_nsec = (long)(us % 1000000u) * 1000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR) {
	}
}

/* ------------------------------------------------------------------ child */

static void child_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void child_error(const char *fmt, ...)
{
	/* First error wins; the others are only counted. */
	if (atomic_fetch_add_explicit(&S->nerr, 1, memory_order_relaxed) == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(S->err, sizeof S->err, fmt, ap);
		va_end(ap);
	}
}

static void child_options(numseq_options_t *o)
{
	numseq_options_init(o);
	o->set = NUMSEQ_OPT_NAME;
	o->name = "crash_harness";
	if (C.mode == MODE_CLAIMS) {
		o->set |= NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CLAIMS;
		o->maxvalue = C.range;
		o->claims = NUMSEQ_CLAIMS_LOWEST_FREE;
	}
}

struct worker {
	pthread_t tid;
	unsigned id;
	numseq_t *seq;
	uint64_t rng;
	/* claims mode: numbers this thread holds */
	int64_t *held;
	size_t nheld;
};

static void *seq_worker(void *arg)
{
	struct worker *w = arg;
	struct pend *p = &S->pend[w->id];
	while (!atomic_load_explicit(&S->stop, memory_order_acquire)) {
		uint64_t n = atomic_load_explicit(&S->seq_n[w->id], memory_order_relaxed);
		if (n >= SEQ_CAP) { /* log full: idle until killed or stopped */
			sleep_us(200);
			continue;
		}
		numseq_error_t err;
		int64_t v;
		/* Release: the parent, reading after the kill, must see the
		 * call as in flight before any effect of the call. */
		atomic_store_explicit(&p->op, OP_NEXTVAL, memory_order_release);
		int rc = numseq_nextval(w->seq, &v, &err);
		if (rc != NUMSEQ_OK) {
			atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
			child_error("thread %u: nextval: %s (%s)", w->id, numseq_strerror(rc),
			            err.message);
			break;
		}
		atomic_store_explicit(&S->seq[w->id][n], v, memory_order_relaxed);
		/* Release: the number is published before the count that covers
		 * it, and before the call stops being in flight. */
		atomic_store_explicit(&S->seq_n[w->id], n + 1, memory_order_release);
		atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
	}
	return NULL;
}

/* Claims log: one slot, or NULL when the log is full. */
static struct clent *cl_alloc(void)
{
	uint64_t i = atomic_fetch_add_explicit(&S->cl_n, 1, memory_order_relaxed);
	return i < CL_CAP ? &S->cl[i] : NULL;
}

static bool cl_put(int64_t v, uint32_t tag)
{
	struct clent *e = cl_alloc();
	if (!e)
		return false;
	atomic_store_explicit(&e->v, v, memory_order_relaxed);
	/* Release: v before the tag that makes the entry valid. */
	atomic_store_explicit(&e->tag, tag, memory_order_release);
	return true;
}

static void *claims_worker(void *arg)
{
	struct worker *w = arg;
	struct pend *p = &S->pend[w->id];
	size_t target = (size_t)C.range / (2u * C.threads) + 1;
	while (!atomic_load_explicit(&S->stop, memory_order_acquire)) {
		if (atomic_load_explicit(&S->cl_n, memory_order_relaxed) + 2 >= CL_CAP) {
			sleep_us(200);
			continue;
		}
		numseq_error_t err;
		int rc;
		uint64_t r = rnd_below(&w->rng, 100);
		if (w->nheld > 0 && (w->nheld >= target || r < 40)) {
			/* release one held number, logged before the call */
			size_t k = (size_t)rnd_below(&w->rng, w->nheld);
			int64_t v = w->held[k];
			struct clent *e = cl_alloc();
			if (!e)
				continue;
			atomic_store_explicit(&e->v, v, memory_order_relaxed);
			atomic_store_explicit(&e->tag, T_REL_INTENT, memory_order_release);
			rc = numseq_release(w->seq, v, &err);
			if (rc != NUMSEQ_OK) {
				child_error("thread %u: release(%lld): %s (%s)", w->id, LLD(v),
				            numseq_strerror(rc), err.message);
				break;
			}
			atomic_store_explicit(&e->tag, T_REL_ACK, memory_order_release);
			w->held[k] = w->held[--w->nheld];
		} else if (r < 90) {
			int64_t v;
			atomic_store_explicit(&p->op, OP_NEXTVAL, memory_order_release);
			rc = numseq_nextval(w->seq, &v, &err);
			if (rc == NUMSEQ_EFULL) {
				atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
				if (w->nheld == 0)
					sleep_us(100);
				continue;
			}
			if (rc != NUMSEQ_OK) {
				atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
				child_error("thread %u: nextval: %s (%s)", w->id,
				            numseq_strerror(rc), err.message);
				break;
			}
			if (!cl_put(v, T_CLAIM))
				child_error("thread %u: claims log full", w->id);
			atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
			w->held[w->nheld++] = v;
		} else {
			/* an explicit claim of a random number (often taken) */
			int64_t v = 1 + (int64_t)rnd_below(&w->rng, (uint64_t)C.range);
			atomic_store_explicit(&p->v, v, memory_order_relaxed);
			atomic_store_explicit(&p->op, OP_CLAIM, memory_order_release);
			rc = numseq_claim(w->seq, v, &err);
			if (rc == NUMSEQ_OK) {
				if (!cl_put(v, T_CLAIM))
					child_error("thread %u: claims log full", w->id);
				w->held[w->nheld++] = v;
			} else if (rc != NUMSEQ_ECLAIMED) {
				atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
				child_error("thread %u: claim(%lld): %s (%s)", w->id, LLD(v),
				            numseq_strerror(rc), err.message);
				break;
			}
			atomic_store_explicit(&p->op, OP_NONE, memory_order_release);
		}
	}
	return NULL;
}

static void child_main(void)
{
	numseq_options_t o;
	numseq_journal_options_t jo = {.window = C.window};
	numseq_error_t err;
	numseq_t *seq = NULL;
	struct worker w[MAXT];
	child_options(&o);

	int rc = numseq_open(&seq, C.path, NUMSEQ_OPEN_CREATE, &o, &jo, &err);
	S->open_rc = rc;
	if (rc != NUMSEQ_OK) {
		child_error("numseq_open: %s (%s)", numseq_strerror(rc), err.message);
		atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
		_exit(3);
	}
	rc = numseq_journal_info(seq, &S->info);
	if (rc != NUMSEQ_OK) {
		child_error("numseq_journal_info: %s", numseq_strerror(rc));
		atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
		_exit(3);
	}
	memset(w, 0, sizeof w);
	if (C.mode == MODE_CLAIMS) {
		/* Every claimed number now, for the parent (P3), and as numbers
		 * this child holds and will release in time. */
		for (unsigned i = 0; i < C.threads; i++) {
			w[i].held = calloc((size_t)C.range, sizeof(int64_t));
			if (!w[i].held) {
				child_error("out of memory");
				_exit(3);
			}
		}
		unsigned k = 0;
		for (int64_t v = 1; v <= C.range; v++) {
			bool c = false;
			rc = numseq_is_claimed(seq, v, &c, &err);
			if (rc != NUMSEQ_OK) {
				child_error("is_claimed(%lld): %s", LLD(v), numseq_strerror(rc));
				atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
				_exit(3);
			}
			S->s0[v] = c;
			if (c) {
				struct worker *x = &w[k++ % C.threads];
				x->held[x->nheld++] = v;
			}
		}
	}
	/* Release: info and s0 before the phase that makes them valid. */
	atomic_store_explicit(&S->phase, PH_OPENED, memory_order_release);

	if (C.mode == MODE_SEQ) {
		/* The first number after the open, taken alone so that the parent
		 * knows exactly where this run starts. */
		int64_t v;
		atomic_store_explicit(&S->pend[0].op, OP_NEXTVAL, memory_order_release);
		rc = numseq_nextval(seq, &v, &err);
		if (rc != NUMSEQ_OK) {
			child_error("first nextval: %s (%s)", numseq_strerror(rc), err.message);
			atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
			_exit(3);
		}
		S->first = v;
		atomic_store_explicit(&S->seq[0][0], v, memory_order_relaxed);
		atomic_store_explicit(&S->seq_n[0], 1, memory_order_release);
		atomic_store_explicit(&S->first_set, 1, memory_order_release);
		atomic_store_explicit(&S->pend[0].op, OP_NONE, memory_order_release);
	}

	uint64_t rng = S->cycle_rng;
	for (unsigned i = 0; i < C.threads; i++) {
		w[i].id = i;
		w[i].seq = seq;
		w[i].rng = splitmix(&rng);
		if (pthread_create(&w[i].tid, NULL, C.mode == MODE_SEQ ? seq_worker : claims_worker,
		                   &w[i]) != 0) {
			child_error("pthread_create failed");
			atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
			_exit(3);
		}
	}
	atomic_store_explicit(&S->phase, PH_RUNNING, memory_order_release);

	if (!S->clean) {
		for (;;)
			pause(); /* until SIGKILL */
	}
	sleep_us(S->clean_us);
	atomic_store_explicit(&S->stop, 1, memory_order_release);
	for (unsigned i = 0; i < C.threads; i++)
		pthread_join(w[i].tid, NULL);
	for (unsigned i = 0; i < C.threads; i++)
		free(w[i].held);
	rc = numseq_close(&seq, &err);
	if (rc != NUMSEQ_OK) {
		child_error("numseq_close: %s (%s)", numseq_strerror(rc), err.message);
		atomic_store_explicit(&S->phase, PH_ERROR, memory_order_release);
		exit(3);
	}
	atomic_store_explicit(&S->phase, PH_CLOSED, memory_order_release);
	exit(atomic_load_explicit(&S->nerr, memory_order_relaxed) ? 3 : 0);
}

/* ----------------------------------------------------------- P4: the lock */

/* A second process opens the journal while the child holds it: it must get
 * NUMSEQ_ELOCKED.  Returns true when it did. */
static bool probe_locked(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		fail("fork (lock probe): %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		numseq_options_t o;
		numseq_journal_options_t jo = {.window = C.window};
		numseq_error_t err;
		numseq_t *seq = NULL;
		child_options(&o);
		int rc = numseq_open(&seq, C.path, NUMSEQ_OPEN_CREATE, &o, &jo, &err);
		if (rc != NUMSEQ_ELOCKED)
			fprintf(stderr, "[crash] lock probe: numseq_open returned %s (%s)\n",
			        numseq_strerror(rc), rc == NUMSEQ_OK ? "opened!" : err.message);
		_exit(rc == NUMSEQ_ELOCKED ? 0 : 1); /* never closes what it got */
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ----------------------------------------------------------------- parent */

/* seq mode: runs (first, last) of numbers returned, kept over all cycles
 * for the final sort-and-compare. */
struct run {
	int64_t first, last;
};
static struct run *runs;
static size_t nruns, capruns;

static void add_run(int64_t a, int64_t b)
{
	if (nruns == capruns) {
		capruns = capruns ? capruns * 2 : 1024;
		runs = realloc(runs, capruns * sizeof *runs);
		if (!runs) {
			fprintf(stderr, "[crash] out of memory\n");
			exit(2);
		}
	}
	runs[nruns].first = a;
	runs[nruns].last = b;
	nruns++;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Figures for the report. */
static struct {
	unsigned cycles, kills, early_kills, clean_closes, restarts_checked;
	uint64_t issued;
	uint64_t duplicates;
	uint64_t max_gap_count; /* the ledger's largest gap_count */
	uint64_t max_distance;  /* largest first-new - last-recorded - 1 over one crash */
	uint64_t gaps_reported;
	uint64_t inflight_lost; /* numbers in no gap: taken by a call killed in flight */
	uint64_t lock_probes;
	uint64_t claims_acked, releases_acked, orphans, unexpected_free;
	uint64_t uncertain;
} R;

/* seq-mode state between runs */
static struct {
	bool have_prev;      /* some number was returned before */
	int64_t prev_max;    /* highest number returned so far */
	bool expect_clean;   /* the last child closed cleanly and nothing ran since */
	unsigned crashes;    /* kills since prev_max's run */
	uint64_t inflight;   /* nextvals in flight at those kills */
	bool unknown;        /* a child died before reporting its open */
	struct run gaps[64]; /* gaps reported since prev_max's run */
	unsigned ngaps;
} Q;

static uint64_t span(int64_t a, int64_t b) /* numbers a..b, a <= b */
{
	return (uint64_t)b - (uint64_t)a + 1u;
}

/* Numbers strictly between lo and hi covered by none of the gaps. */
static uint64_t uncovered(int64_t lo, int64_t hi)
{
	if (hi - lo <= 1)
		return 0;
	struct run g[64];
	unsigned n = 0;
	for (unsigned i = 0; i < Q.ngaps; i++) {
		int64_t a = Q.gaps[i].first > lo + 1 ? Q.gaps[i].first : lo + 1;
		int64_t b = Q.gaps[i].last < hi - 1 ? Q.gaps[i].last : hi - 1;
		if (a <= b)
			g[n++] = (struct run){a, b};
	}
	qsort(g, n, sizeof *g, cmp_run);
	uint64_t total = span(lo + 1, hi - 1), covered = 0;
	int64_t upto = lo; /* covered through upto */
	for (unsigned i = 0; i < n; i++) {
		int64_t a = g[i].first > upto + 1 ? g[i].first : upto + 1;
		if (a <= g[i].last) {
			covered += span(a, g[i].last);
			upto = g[i].last;
		}
	}
	return total - covered;
}

static void seq_check_open(unsigned cycle)
{
	const numseq_journal_info_t *in = &S->info;
	if (in->gap) {
		R.gaps_reported++;
		if (in->gap_last < in->gap_first)
			fail("cycle %u: gap %lld..%lld is empty", cycle, LLD(in->gap_first),
			     LLD(in->gap_last));
		else if (in->gap_count != span(in->gap_first, in->gap_last))
			fail("cycle %u: gap %lld..%lld but gap_count %llu", cycle,
			     LLD(in->gap_first), LLD(in->gap_last), LLU(in->gap_count));
		if (in->gap_count > R.max_gap_count)
			R.max_gap_count = in->gap_count;
		if (in->gap_count > 2 * in->window)
			fail("cycle %u: P2: gap_count %llu > 2W = %llu", cycle, LLU(in->gap_count),
			     LLU(2 * in->window));
		if (Q.ngaps < 64)
			Q.gaps[Q.ngaps++] = (struct run){in->gap_first, in->gap_last};
		else
			Q.unknown = true;
		if (in->clean_open)
			fail("cycle %u: clean_open and a gap at once", cycle);
	}
	if (in->window != C.window && C.window != 0)
		fail("cycle %u: info.window %llu, opened with %llu", cycle, LLU(in->window),
		     LLU(C.window));
	if (Q.expect_clean && (!in->clean_open || in->gap))
		fail("cycle %u: after a clean close: clean_open %d gap %d (%lld..%lld)", cycle,
		     in->clean_open, in->gap, LLD(in->gap_first), LLD(in->gap_last));
}

/* Everything cycle `cycle` recorded, after the child is gone. */
static void seq_collect(unsigned cycle, bool killed)
{
	uint32_t ph = atomic_load_explicit(&S->phase, memory_order_acquire);
	uint64_t inflight = 0;
	for (unsigned i = 0; i < C.threads; i++)
		if (atomic_load_explicit(&S->pend[i].op, memory_order_acquire) == OP_NEXTVAL)
			inflight++;
	if (ph >= PH_OPENED && ph != PH_ERROR)
		seq_check_open(cycle);
	else if (ph == PH_FORKED)
		Q.unknown = true; /* its open may have logged a gap we never saw */

	if (atomic_load_explicit(&S->first_set, memory_order_acquire)) {
		int64_t f = S->first;
		R.restarts_checked++;
		if (Q.have_prev) {
			if (f <= Q.prev_max)
				fail("cycle %u: P1: first number %lld <= %lld returned before",
				     cycle, LLD(f), LLD(Q.prev_max));
			else {
				uint64_t d = (uint64_t)f - (uint64_t)Q.prev_max - 1u;
				if (Q.crashes == 1 && d > R.max_distance)
					R.max_distance = d;
				if (Q.expect_clean && d != 0)
					fail("cycle %u: after a clean close the first number is %lld, "
					     "expected %lld",
					     cycle, LLD(f), LLD(Q.prev_max + 1));
				if (d > (uint64_t)Q.crashes * 2u * C.window + Q.inflight)
					fail("cycle %u: P2: %llu numbers lost over %u crashes (2W = "
					     "%llu, %llu in flight)",
					     cycle, LLU(d), Q.crashes, LLU(2 * C.window),
					     LLU(Q.inflight));
				if (!Q.unknown) {
					uint64_t u = uncovered(Q.prev_max, f);
					R.inflight_lost += u;
					if (u > Q.inflight)
						fail("cycle %u: P2 ledger: %llu numbers between %lld and "
						     "%lld are in no reported gap (only %llu calls were in "
						     "flight)",
						     cycle, LLU(u), LLD(Q.prev_max), LLD(f),
						     LLU(Q.inflight));
				}
			}
		}
		if (S->info.gap && f != S->info.gap_last + 1)
			fail("cycle %u: first number %lld, but the gap ends at %lld", cycle, LLD(f),
			     LLD(S->info.gap_last));

		/* Merge the threads' lists (each must increase). */
		uint64_t idx[MAXT] = {0}, n[MAXT];
		for (unsigned i = 0; i < C.threads; i++) {
			n[i] = atomic_load_explicit(&S->seq_n[i], memory_order_acquire);
			for (uint64_t k = 1; k < n[i]; k++) {
				int64_t a = atomic_load_explicit(&S->seq[i][k - 1],
				                                 memory_order_relaxed);
				int64_t b = atomic_load_explicit(&S->seq[i][k],
				                                 memory_order_relaxed);
				if (b <= a) {
					fail("cycle %u: thread %u got %lld after %lld", cycle, i,
					     LLD(b), LLD(a));
					if (b == a)
						R.duplicates++;
				}
			}
		}
		bool have = false;
		int64_t last = 0, run_a = 0;
		for (;;) {
			int best = -1;
			int64_t bv = 0;
			for (unsigned i = 0; i < C.threads; i++) {
				if (idx[i] < n[i]) {
					int64_t v = atomic_load_explicit(&S->seq[i][idx[i]],
					                                 memory_order_relaxed);
					if (best < 0 || v < bv) {
						best = (int)i;
						bv = v;
					}
				}
			}
			if (best < 0)
				break;
			idx[best]++;
			R.issued++;
			if (!have) {
				if (bv != f)
					fail("cycle %u: smallest number %lld, first %lld", cycle,
					     LLD(bv), LLD(f));
				have = true;
				run_a = bv;
			} else if (bv == last) {
				R.duplicates++;
				fail("cycle %u: P1: %lld returned twice", cycle, LLD(bv));
				continue;
			} else if (bv != last + 1) {
				add_run(run_a, last);
				run_a = bv;
			}
			last = bv;
		}
		add_run(run_a, last);
		Q.have_prev = true;
		Q.prev_max = last;
		Q.crashes = 0;
		Q.inflight = 0;
		Q.unknown = false;
		Q.ngaps = 0;
	}
	Q.expect_clean = !killed && ph == PH_CLOSED;
	if (killed) {
		Q.crashes++;
		Q.inflight += inflight;
	}
}

/* claims mode: the parent's model of every number. */
enum { M_FREE = 0, M_CLAIMED = 1, M_RELEASING = 2 };
static uint8_t *M;         /* [1..range] */
static uint8_t *uncertain; /* [1..range]: an in-flight call may have changed it */
static uint64_t c_inflight_nextval;
static bool c_have_model;

static void claims_check_open(unsigned cycle, bool exact)
{
	uint64_t unexpected = 0;
	for (int64_t v = 1; v <= C.range; v++) {
		bool now = S->s0[v] != 0;
		if (!c_have_model || uncertain[v]) {
			if (uncertain[v])
				R.uncertain++;
		} else if (M[v] == M_CLAIMED && !now) {
			R.unexpected_free++;
			fail("cycle %u: P3: %lld was claimed (acknowledged) and is free after reopen",
			     cycle, LLD(v));
		} else if (M[v] == M_FREE && now) {
			unexpected++;
		}
		M[v] = now ? M_CLAIMED : M_FREE;
		uncertain[v] = 0;
	}
	R.orphans += unexpected;
	if (unexpected > (exact ? 0 : c_inflight_nextval))
		fail("cycle %u: P3: %llu numbers released (acknowledged) or never claimed are "
		     "claimed after reopen; only %llu nextvals were in flight",
		     cycle, LLU(unexpected), LLU(exact ? 0 : c_inflight_nextval));
	c_inflight_nextval = 0;
	c_have_model = true;
}

static void claims_collect(unsigned cycle, bool killed, bool exact)
{
	uint32_t ph = atomic_load_explicit(&S->phase, memory_order_acquire);
	if (ph >= PH_OPENED && ph != PH_ERROR) {
		if (Q.expect_clean && (!S->info.clean_open || S->info.gap))
			fail("cycle %u: after a clean close: clean_open %d gap %d", cycle,
			     S->info.clean_open, S->info.gap);
		claims_check_open(cycle, exact);
		uint64_t n = atomic_load_explicit(&S->cl_n, memory_order_acquire);
		if (n > CL_CAP)
			n = CL_CAP;
		for (uint64_t i = 0; i < n; i++) {
			uint32_t tag = atomic_load_explicit(&S->cl[i].tag, memory_order_acquire);
			int64_t v = atomic_load_explicit(&S->cl[i].v, memory_order_relaxed);
			if (tag == T_EMPTY)
				continue; /* slot taken, nothing written: the call never ran */
			if (v < 1 || v > C.range) {
				fail("cycle %u: log entry %llu: number %lld out of range", cycle,
				     LLU(i), LLD(v));
				continue;
			}
			if (tag == T_CLAIM) {
				R.claims_acked++;
				if (M[v] == M_CLAIMED)
					fail("cycle %u: %lld handed out while held (held twice)",
					     cycle, LLD(v));
				M[v] = M_CLAIMED;
			} else {
				if (M[v] != M_CLAIMED)
					fail("cycle %u: %lld released while not held", cycle,
					     LLD(v));
				if (tag == T_REL_ACK) {
					R.releases_acked++;
					M[v] = M_FREE;
				} else {
					M[v] = M_RELEASING;
				}
			}
		}
	}
	if (killed) {
		for (int64_t v = 1; v <= C.range; v++)
			if (M[v] == M_RELEASING) {
				uncertain[v] = 1;
				M[v] = M_CLAIMED;
			}
		for (unsigned i = 0; i < C.threads; i++) {
			uint32_t op = atomic_load_explicit(&S->pend[i].op, memory_order_acquire);
			if (op == OP_NEXTVAL)
				c_inflight_nextval++;
			else if (op == OP_CLAIM) {
				int64_t v = atomic_load_explicit(&S->pend[i].v,
				                                 memory_order_relaxed);
				if (v >= 1 && v <= C.range)
					uncertain[v] = 1;
			}
		}
	} else {
		for (int64_t v = 1; v <= C.range; v++)
			if (M[v] == M_RELEASING)
				fail("cycle %u: release of %lld never returned in a clean run",
				     cycle, LLD(v));
	}
	Q.expect_clean = !killed && ph == PH_CLOSED;
}

static void reset_shm(void)
{
	uint64_t n = atomic_load_explicit(&S->cl_n, memory_order_relaxed);
	if (n > CL_CAP)
		n = CL_CAP;
	for (uint64_t i = 0; i < n; i++)
		atomic_store_explicit(&S->cl[i].tag, T_EMPTY, memory_order_relaxed);
	atomic_store_explicit(&S->cl_n, 0, memory_order_relaxed);
	for (unsigned i = 0; i < MAXT; i++) {
		atomic_store_explicit(&S->seq_n[i], 0, memory_order_relaxed);
		atomic_store_explicit(&S->pend[i].op, OP_NONE, memory_order_relaxed);
	}
	atomic_store_explicit(&S->phase, PH_FORKED, memory_order_relaxed);
	atomic_store_explicit(&S->first_set, 0, memory_order_relaxed);
	atomic_store_explicit(&S->stop, 0, memory_order_relaxed);
	atomic_store_explicit(&S->nerr, 0, memory_order_relaxed);
	S->err[0] = '\0';
	S->open_rc = 0;
	memset(&S->info, 0, sizeof S->info);
}

static bool wait_phase(pid_t pid, uint32_t ph, uint64_t timeout_ms, int *status, bool *exited)
{
	uint64_t t0 = now_us();
	*exited = false;
	while (atomic_load_explicit(&S->phase, memory_order_acquire) < ph) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid) {
			*exited = true;
			return false;
		}
		if (now_us() - t0 > timeout_ms * 1000u)
			return false;
		sleep_us(100);
	}
	return true;
}

/* After the last child closed cleanly: the parent reopens the journal (no
 * child is forked after this) and checks that nothing was skipped. */
static void final_verify(void)
{
	numseq_options_t o;
	numseq_journal_options_t jo = {.window = C.window};
	numseq_error_t err;
	numseq_t *seq = NULL;
	numseq_journal_info_t in;
	child_options(&o);
	int rc = numseq_open(&seq, C.path, 0, &o, &jo, &err);
	if (rc != NUMSEQ_OK) {
		fail("final reopen: %s (%s)", numseq_strerror(rc), err.message);
		return;
	}
	numseq_journal_info(seq, &in);
	if (!in.clean_open || in.gap)
		fail("final reopen after a clean close: clean_open %d gap %d", in.clean_open,
		     in.gap);
	if (C.mode == MODE_SEQ) {
		int64_t v = 0;
		rc = numseq_nextval(seq, &v, &err);
		if (rc != NUMSEQ_OK)
			fail("final nextval: %s", numseq_strerror(rc));
		else if (Q.have_prev && v != Q.prev_max + 1)
			fail("final nextval %lld after a clean close, expected %lld", LLD(v),
			     LLD(Q.prev_max + 1));
	} else {
		for (int64_t v = 1; v <= C.range; v++) {
			bool c = false;
			rc = numseq_is_claimed(seq, v, &c, &err);
			if (rc != NUMSEQ_OK || c != (M[v] == M_CLAIMED))
				fail("final reopen: is_claimed(%lld) = %d (%s), model says %d",
				     LLD(v), c, numseq_strerror(rc), M[v]);
		}
	}
	rc = numseq_close(&seq, &err);
	if (rc != NUMSEQ_OK)
		fail("final close: %s", numseq_strerror(rc));
}

static int run_cycles(void)
{
	uint64_t rng = C.seed;
	unsigned probe_at = C.cycles > 4 ? 2 + (unsigned)rnd_below(&rng, C.cycles / 2) : 1;
	uint64_t t0 = now_us();
	for (unsigned cycle = 0; cycle < C.cycles && failures == 0; cycle++) {
		reset_shm();
		uint64_t kind = rnd_below(&rng, 100);
		bool clean = kind < 8 || cycle + 1 == C.cycles; /* the last one closes */
		bool early = !clean && kind < 20 && cycle > 0;  /* may hit the open */
		uint64_t delay = early ? rnd_below(&rng, 4000)
		                       : rnd_below(&rng, C.max_delay_us + 1);
		S->clean = clean;
		S->clean_us = delay;
		S->cycle_rng = splitmix(&rng);
		bool exact = Q.expect_clean; /* after a clean close the model is exact */

		pid_t pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			break;
		}
		if (pid == 0)
			child_main();

		int st = 0;
		bool exited = false, killed = false;
		R.cycles++;
		if (early) {
			sleep_us(delay);
		} else if (!wait_phase(pid, PH_RUNNING, START_TIMEOUT_MS, &st, &exited)) {
			if (!exited) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
			}
			fail("cycle %u: child did not start (phase %u, open %s): %s", cycle,
			     atomic_load(&S->phase), numseq_strerror(S->open_rc), S->err);
			break;
		} else if (!clean) {
			if (cycle >= probe_at && R.lock_probes == 0) {
				R.lock_probes++;
				if (!probe_locked())
					fail("cycle %u: P4: a second process opened the journal, or "
					     "failed other than with NUMSEQ_ELOCKED",
					     cycle);
			}
			sleep_us(delay);
		}
		if (clean) {
			uint64_t w0 = now_us();
			pid_t r;
			while ((r = waitpid(pid, &st, WNOHANG)) == 0 &&
			       now_us() - w0 < EXIT_TIMEOUT_MS * 1000u)
				sleep_us(500);
			if (r != pid) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				fail("cycle %u: clean child did not exit", cycle);
				break;
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fail("cycle %u: clean child exited with status %d: %s", cycle, st,
				     S->err);
				break;
			}
			R.clean_closes++;
		} else {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
			}
			if (WIFEXITED(st)) {
				fail("cycle %u: child exited (%d) before the kill: %s", cycle,
				     WEXITSTATUS(st), S->err);
				break;
			}
			killed = true;
			R.kills++;
			if (early)
				R.early_kills++;
		}
		if (atomic_load(&S->nerr)) {
			fail("cycle %u: child: %s (%u errors)", cycle, S->err,
			     atomic_load(&S->nerr));
			break;
		}
		if (C.mode == MODE_SEQ)
			seq_collect(cycle, killed);
		else
			claims_collect(cycle, killed, exact);
	}
	if (failures == 0)
		final_verify();
	double secs = (double)(now_us() - t0) / 1e6;

	if (C.mode == MODE_SEQ) {
		/* P1 over everything: sort every run of every cycle and compare. */
		qsort(runs, nruns, sizeof *runs, cmp_run);
		uint64_t over = 0;
		for (size_t i = 1; i < nruns; i++) {
			int64_t lo = runs[i].first;
			int64_t hi = runs[i - 1].last;
			if (lo <= hi) {
				int64_t e = runs[i].last < hi ? runs[i].last : hi;
				over += span(lo, e);
				fail("P1: numbers %lld..%lld returned twice", LLD(lo), LLD(e));
			}
			if (runs[i].last < runs[i - 1].last) /* keep the running max */
				runs[i].last = runs[i - 1].last;
		}
		R.duplicates += over;
		printf("[crash] seq: cycles=%u kills=%u (early %u) clean_closes=%u restarts_checked=%u "
		       "issued=%llu runs=%zu duplicates=%llu gaps_reported=%llu "
		       "max_gap_count=%llu max_lost_per_crash=%llu W=%llu (2W=%llu) "
		       "inflight_lost=%llu lock_probes=%llu wall=%.1fs\n",
		       R.cycles, R.kills, R.early_kills, R.clean_closes, R.restarts_checked,
		       LLU(R.issued), nruns, LLU(R.duplicates), LLU(R.gaps_reported),
		       LLU(R.max_gap_count), LLU(R.max_distance), LLU(C.window), LLU(2 * C.window),
		       LLU(R.inflight_lost), LLU(R.lock_probes), secs);
	} else {
		printf("[crash] claims: cycles=%u kills=%u (early %u) clean_closes=%u range=1..%lld "
		       "claims_acked=%llu releases_acked=%llu acked_claims_lost=%llu "
		       "orphans_from_inflight=%llu uncertain=%llu lock_probes=%llu wall=%.1fs\n",
		       R.cycles, R.kills, R.early_kills, R.clean_closes, LLD(C.range),
		       LLU(R.claims_acked), LLU(R.releases_acked), LLU(R.unexpected_free),
		       LLU(R.orphans), LLU(R.uncertain), LLU(R.lock_probes), secs);
	}
	if (R.lock_probes == 0 && C.cycles > 4)
		fail("the lock probe never ran");
	return failures ? 1 : 0;
}

/* ------------------------------------------------------- power-loss modes */

struct plrec {
	_Atomic uint64_t magic;
	_Atomic uint64_t count[MAXT];
	_Atomic int64_t max[MAXT];
};
#define PL_MAGIC UINT64_C(0x4e53504c52454331)

struct plw {
	pthread_t tid;
	unsigned id;
	numseq_t *seq;
	struct plrec *rec;
};

static void *pl_worker(void *arg)
{
	struct plw *w = arg;
	for (;;) {
		numseq_error_t err;
		int64_t v;
		int rc = numseq_nextval(w->seq, &v, &err);
		if (rc != NUMSEQ_OK) {
			/* after the shutdown: fail-stop (EIO / EFAILED) */
			fprintf(stderr, "[pl-write] thread %u: nextval: %s\n", w->id,
			        numseq_strerror(rc));
			return NULL;
		}
		atomic_store_explicit(&w->rec->max[w->id], v, memory_order_release);
		atomic_fetch_add_explicit(&w->rec->count[w->id], 1, memory_order_relaxed);
	}
}

static struct plrec *pl_map(const char *recpath, bool create)
{
	int fd = open(recpath, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0 || (create && ftruncate(fd, (off_t)sizeof(struct plrec)) != 0)) {
		fprintf(stderr, "[pl] %s: %s\n", recpath, strerror(errno));
		return NULL;
	}
	void *m = mmap(NULL, sizeof(struct plrec), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

static int pl_write(const char *path, uint64_t window, const char *recpath)
{
	struct plrec *rec = pl_map(recpath, true);
	if (!rec)
		return 2;
	numseq_options_t o;
	numseq_journal_options_t jo = {.window = window};
	numseq_error_t err;
	numseq_t *seq = NULL;
	C.mode = MODE_SEQ;
	child_options(&o);
	int rc = numseq_open(&seq, path, NUMSEQ_OPEN_CREATE, &o, &jo, &err);
	if (rc != NUMSEQ_OK) {
		fprintf(stderr, "[pl-write] numseq_open(%s): %s (%s)\n", path, numseq_strerror(rc),
		        err.message);
		return 2;
	}
	atomic_store_explicit(&rec->magic, PL_MAGIC, memory_order_release);
	char ready[700];
	snprintf(ready, sizeof ready, "%s.ready", recpath);
	int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	struct plw w[MAXT];
	for (unsigned i = 0; i < C.threads; i++) {
		w[i] = (struct plw){.id = i, .seq = seq, .rec = rec};
		if (pthread_create(&w[i].tid, NULL, pl_worker, &w[i]) != 0)
			return 2;
	}
	for (unsigned i = 0; i < C.threads; i++)
		pthread_join(w[i].tid, NULL);
	for (;;)
		pause(); /* every thread stopped on an error: wait for the kill */
}

/* The highest number a record holds, and how many it counts. */
static bool pl_read(const char *recpath, int64_t *max, uint64_t *count)
{
	struct plrec *rec = pl_map(recpath, false);
	if (!rec || atomic_load(&rec->magic) != PL_MAGIC)
		return false;
	*max = 0;
	*count = 0;
	for (unsigned i = 0; i < MAXT; i++) {
		int64_t m = atomic_load(&rec->max[i]);
		if (m > *max)
			*max = m;
		*count += atomic_load(&rec->count[i]);
	}
	munmap(rec, sizeof *rec);
	return true;
}

/* rec: a copy of the record taken just before the shutdown ioctl began:
 * every number in it was returned before the power loss, so P1 must hold
 * for it.  after (optional): the record when the writer was killed; its
 * numbers above rec's were returned while the shutdown ran, from
 * reservations whose fdatasync raced the ioctl, which the kernel may
 * acknowledge without making durable (power_loss.sh): reported only. */
static int pl_check(const char *path, uint64_t window, const char *recpath, const char *after)
{
	int64_t maxrec = 0, maxafter = 0;
	uint64_t count = 0, cafter = 0;
	if (!pl_read(recpath, &maxrec, &count)) {
		fprintf(stderr, "[pl-check] %s: no record (the writer never opened)\n", recpath);
		return 2;
	}
	if (after && !pl_read(after, &maxafter, &cafter))
		after = NULL;
	numseq_journal_options_t jo = {.window = window};
	numseq_error_t err;
	numseq_t *seq = NULL;
	int rc = numseq_open(&seq, path, 0, NULL, &jo, &err);
	if (rc != NUMSEQ_OK) {
		printf("[pl-check] FAIL: reopen after power loss: %s (%s)\n", numseq_strerror(rc),
		       err.message);
		return 1;
	}
	numseq_journal_info_t in;
	numseq_journal_info(seq, &in);
	int64_t v = 0;
	rc = numseq_nextval(seq, &v, &err);
	int bad = 0;
	if (rc != NUMSEQ_OK) {
		printf("[pl-check] FAIL: nextval after reopen: %s\n", numseq_strerror(rc));
		bad = 1;
	} else if (v <= maxrec) {
		printf("[pl-check] FAIL: P1: next value %lld <= %lld returned before the power "
		       "loss\n",
		       LLD(v), LLD(maxrec));
		bad = 1;
	}
	if (in.gap && in.gap_count > 2 * in.window) {
		printf("[pl-check] FAIL: P2: gap_count %llu > 2W = %llu\n", LLU(in.gap_count),
		       LLU(2 * in.window));
		bad = 1;
	}
	printf("[pl-check] returned_before=%llu max_returned=%lld next=%lld lost=%lld "
	       "truncated=%llu gap=%d %lld..%lld (%llu) W=%llu clean_open=%d %s",
	       LLU(count), LLD(maxrec), LLD(v), LLD(v - maxrec - 1), LLU(in.truncated), in.gap,
	       LLD(in.gap_first), LLD(in.gap_last), LLU(in.gap_count), LLU(in.window),
	       in.clean_open, bad ? "VIOLATION" : "ok");
	if (after)
		printf(" | during_shutdown: returned=%llu max=%lld%s", LLU(cafter - count),
		       LLD(maxafter),
		       rc == NUMSEQ_OK && maxafter >= v ? " (above next: racing ack, kernel)" : "");
	printf("\n");
	rc = numseq_close(&seq, &err);
	if (rc != NUMSEQ_OK) {
		printf("[pl-check] FAIL: close: %s\n", numseq_strerror(rc));
		bad = 1;
	}
	return bad;
}

/* ------------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
	        "usage: crash_harness [--mode seq|claims] [--window W] [--threads T] [--cycles N]\n"
	        "                     [--seed S] [--range R] [--max-delay-us U] [--dir D]\n"
	        "       crash_harness pl-write JOURNAL W RECORD   (power_loss.sh)\n"
	        "       crash_harness pl-check JOURNAL W RECORD [RECORD_AFTER]\n"
	        "env: NUMSEQ_CRASH_CYCLES, NUMSEQ_SEED, NUMSEQ_STRESS_SCALE\n");
	exit(2);
}

static uint64_t num_arg(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return (uint64_t)x;
}

static void cleanup_dir(void)
{
	static const char *const suffix[] = {"", ".lock", ".tmp"};
	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		char p[700];
		snprintf(p, sizeof p, "%s%s", C.path, suffix[i]);
		unlink(p);
	}
	if (C.own_dir)
		rmdir(C.dir);
}

int main(int argc, char **argv)
{
	C.mode = MODE_SEQ;
	C.window = 64;
	C.threads = 4;
	C.range = 512;
	C.max_delay_us = 30000;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc >= 2 && (!strcmp(argv[1], "pl-write") || !strcmp(argv[1], "pl-check"))) {
		bool write = !strcmp(argv[1], "pl-write");
		if (argc != 5 && (write || argc != 6))
			usage();
		C.threads = 4;
		uint64_t w = num_arg(argv[3]);
		return write ? pl_write(argv[2], w, argv[4])
		             : pl_check(argv[2], w, argv[4], argc == 6 ? argv[5] : NULL);
	}

	double scale = 1.0;
	const char *e = getenv("NUMSEQ_STRESS_SCALE");
	if (e && *e) {
		scale = strtod(e, NULL);
		if (!(scale > 0))
			scale = 1.0;
	}
	long cyc = (long)(200.0 * scale + 0.5);
	C.cycles = (unsigned)(cyc < 20 ? 20 : cyc);
	e = getenv("NUMSEQ_CRASH_CYCLES");
	if (e && *e)
		C.cycles = (unsigned)num_arg(e);
	e = getenv("NUMSEQ_SEED");
	C.seed = e && *e ? num_arg(e) : (now_us() ^ ((uint64_t)getpid() << 32));

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "seq"))
				C.mode = MODE_SEQ;
			else if (!strcmp(v, "claims"))
				C.mode = MODE_CLAIMS;
			else
				usage();
		} else if (!strcmp(a, "--window"))
			C.window = num_arg(v);
		else if (!strcmp(a, "--threads"))
			C.threads = (unsigned)num_arg(v);
		else if (!strcmp(a, "--cycles"))
			C.cycles = (unsigned)num_arg(v);
		else if (!strcmp(a, "--seed"))
			C.seed = num_arg(v);
		else if (!strcmp(a, "--range"))
			C.range = (int64_t)num_arg(v);
		else if (!strcmp(a, "--max-delay-us"))
			C.max_delay_us = (unsigned)num_arg(v);
		else if (!strcmp(a, "--dir"))
			snprintf(C.dir, sizeof C.dir, "%s", v);
		else
			usage();
	}
	if (C.threads < 1 || C.threads > MAXT || C.window < 1 || C.range < 1 ||
	    C.range > RANGE_MAX || C.cycles < 1)
		usage();

	if (!C.dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(C.dir, sizeof C.dir, "%s/numseq-crash-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(C.dir)) {
			fprintf(stderr, "[crash] mkdtemp: %s\n", strerror(errno));
			return 2;
		}
		C.own_dir = true;
	}
	snprintf(C.path, sizeof C.path, "%s/crash-%s.nsj", C.dir,
	         C.mode == MODE_SEQ ? "seq" : "claims");
	unlink(C.path); /* a fresh journal for every run */

	S = mmap(NULL, sizeof *S, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		fprintf(stderr, "[crash] mmap: %s\n", strerror(errno));
		return 2;
	}
	if (C.mode == MODE_CLAIMS) {
		M = calloc((size_t)C.range + 1, 1);
		uncertain = calloc((size_t)C.range + 1, 1);
		if (!M || !uncertain)
			return 2;
	}
	printf("[crash] mode=%s W=%llu threads=%u cycles=%u max_delay=%uus range=%lld "
	       "journal=%s (numseq %s)\n",
	       C.mode == MODE_SEQ ? "seq" : "claims", LLU(C.window), C.threads, C.cycles,
	       C.max_delay_us, LLD(C.range), C.path, numseq_version());
	printf("[crash] seed %llu (replay: NUMSEQ_SEED=%llu NUMSEQ_CRASH_CYCLES=%u %s ...; kill "
	       "moments also depend on timing)\n",
	       LLU(C.seed), LLU(C.seed), C.cycles, argv[0]);

	int rc = run_cycles();
	if (rc == 0) {
		cleanup_dir();
		printf("[crash] PASS\n");
	} else {
		printf("[crash] FAILED (%llu findings); journal kept: %s; seed %llu\n", failures,
		       C.path, LLU(C.seed));
	}
	free(runs);
	free(M);
	free(uncertain);
	munmap(S, sizeof *S);
	return rc;
}
