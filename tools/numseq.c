/*
 * numseq.c - the `numseq` command-line tool over a journal file
 * (docs/cli.md is its manual: commands, output formats, exit codes).
 *
 * Commands that change or read the sequence go through the public API
 * (numseq_open ... numseq_close), one open per process: a second process
 * gets NUMSEQ_ELOCKED.  The read-only commands (check, dump) never take
 * the lock and never write: they open the file O_RDONLY and run the
 * library's recovery scan (src/jformat.h) over it, so they also work on a
 * journal that another process has open, or that is too damaged to open.
 * repair never writes in place: it builds a new journal next to the
 * damaged one and keeps the damaged file under another name.
 *
 * Everything that comes from outside (argv, standard input, the file) is
 * untrusted: bad input is a usage error (exit 2) or a refused journal
 * (exit 3), never a crash.
 */
#define _POSIX_C_SOURCE 200809L /* getline, openat, renameat, fstatat, gmtime_r */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <numseq.h>

#include "jformat.h"
#include "jio.h"
#include "numseq_parse.h"

/* Exit codes (docs/cli.md). */
enum {
	EX_OK = 0,      /* done */
	EX_OP = 1,      /* the sequence refused the operation (PostgreSQL's errors) */
	EX_USAGE = 2,   /* bad command line or command words */
	EX_JOURNAL = 3, /* journal refused: not a journal, version, options, corrupt */
	EX_IO = 4,      /* I/O error (fail-stop), no space, no memory */
	EX_LOCKED = 5,  /* the journal is open in another process */
	EX_FILE = 6     /* missing, already exists, symlink, not a regular file, permission */
};

/* op_exec's "usage error" result (positive, apart from library codes). */
#define OP_USAGE 1
#define RUN_NEXTVAL_MAX 1000000u

static const char *prog = "numseq";

/* ------------------------------------------------------------- errors */

static int exit_for(int rc)
{
	if (rc == 0)
		return EX_OK;
	if (rc > 0) { /* an errno the I/O layer passed on (setup problem) */
		switch (rc) {
		case ENOENT:
		case EEXIST:
		case EACCES:
		case EPERM:
		case ENOTDIR:
		case EISDIR:
		case ENAMETOOLONG:
		case EROFS:
		case ELOOP:
		case EINVAL: return EX_FILE;
		default: return EX_IO;
		}
	}
	switch (rc) {
	case NUMSEQ_ENOTJOURNAL:
	case NUMSEQ_EVERSION:
	case NUMSEQ_EFINGERPRINT:
	case NUMSEQ_ECORRUPT: return EX_JOURNAL;
	case NUMSEQ_ELOCKED: return EX_LOCKED;
	case NUMSEQ_EIO:
	case NUMSEQ_ENOSPC:
	case NUMSEQ_EFAILED:
	case NUMSEQ_ENOMEM:
	case NUMSEQ_EFORK: return EX_IO;
	case NUMSEQ_ENOENT:
	case NUMSEQ_EEXIST:
	case NUMSEQ_ESYMLINK:
	case NUMSEQ_EBADFILE: return EX_FILE;
	default: return EX_OP;
	}
}

/* strerror: the tool is single-threaded. */
static const char *sys_text(int e)
{
	return strerror(e); // NOLINT(concurrency-mt-unsafe): one thread in the tool
}

/* The text for a failure: the library's (PostgreSQL's) message when it
 * filled one in for this code, else a description of the code. */
static const char *err_text(int rc, const numseq_error_t *err)
{
	if (rc > 0)
		return sys_text(rc);
	if (err != NULL && err->code == rc && err->message[0] != '\0')
		return err->message;
	return numseq_strerror(rc);
}

static void err_clear(numseq_error_t *err)
{
	memset(err, 0, sizeof *err);
}

/* "numseq CMD: FILE: text" on stderr, and a hint where one helps. */
static int report(const char *cmd, const char *file, int rc, const numseq_error_t *err)
{
	if (file != NULL)
		(void)fprintf(stderr, "%s %s: %s: %s\n", prog, cmd, file, err_text(rc, err));
	else
		(void)fprintf(stderr, "%s %s: %s\n", prog, cmd, err_text(rc, err));
	if (rc == NUMSEQ_ECORRUPT && file != NULL)
		(void)fprintf(stderr,
		              "%s %s: hint: `%s check %s` shows the damage; `%s repair %s "
		              "--next-at-least V` writes a new journal\n",
		              prog, cmd, prog, file, prog, file);
	return exit_for(rc);
}

static int usage_error(const char *cmd, const char *msg)
{
	(void)fprintf(stderr, "%s %s: %s\n", prog, cmd, msg);
	(void)fprintf(stderr, "Try '%s %s --help'.\n", prog, cmd);
	return EX_USAGE;
}

/* --------------------------------------------------------------- help */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const char options_help[] =
	"Options, in CREATE SEQUENCE's words (keywords in any case):\n"
	"  AS smallint|integer|bigint   INCREMENT [BY] n      START [WITH] n\n"
	"  MINVALUE n | NO MINVALUE     MAXVALUE n | NO MAXVALUE\n"
	"  CACHE n                      CYCLE | NO CYCLE\n";
static const char create_only_help[] =
	"numseq's own (create only):\n"
	"  CLAIMS LOWEST_FREE|CYCLIC|SEQUENCE   claimed-number bitmap policy\n"
	"  CONFLICT                             SEQUENCE: report claimed numbers\n"
	"  WINDOW n                             numbers reserved per journal write\n"
	"  NAME name                            the name used in messages\n";

static const struct command *find_command(const char *name);
static void print_help(const struct command *c);

/* ------------------------------------------------------------ helpers */

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* The reservation window of this process's opens: NUMSEQ_WINDOW from the
 * environment, or 0 (the library's default).  The window is a property of
 * an open, not of the journal (numseq_journal_options_t). */
static int env_window(const char *cmd, uint64_t *window)
{
	const char *e = getenv("NUMSEQ_WINDOW"); // NOLINT(concurrency-mt-unsafe): one thread
	char why[CLI_WHY_MAX];

	*window = 0;
	if (e == NULL || *e == '\0')
		return EX_OK;
	if (!cli_parse_count(e, UINT64_C(1) << 32, window, why, sizeof why)) {
		char m[CLI_WHY_MAX + 32];
		(void)snprintf(m, sizeof m, "NUMSEQ_WINDOW: %s", why);
		return usage_error(cmd, m);
	}
	return EX_OK;
}

static int open_seq(const char *cmd, const char *file, numseq_t **s)
{
	numseq_error_t err;
	numseq_journal_options_t jo = {0};
	*s = NULL;
	int ex = env_window(cmd, &jo.window);
	if (ex != EX_OK)
		return ex;
	err_clear(&err);
	int rc = numseq_open(s, file, 0, NULL, &jo, &err);
	if (rc != NUMSEQ_OK)
		return report(cmd, file, rc, &err);
	return EX_OK;
}

/* Closes s; a failed close turns a success into EX_IO. */
static int close_seq(const char *cmd, const char *file, numseq_t **s, int ex)
{
	numseq_error_t err;
	err_clear(&err);
	int rc = numseq_close(s, &err);
	if (rc != NUMSEQ_OK) {
		int cx = report(cmd, file, rc, &err);
		return ex == EX_OK ? cx : ex;
	}
	return ex;
}

static const char *bool_str(bool b)
{
	return b ? "true" : "false";
}

/* Does the name need quotes in a one-line key=value list? */
static bool needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s != '\0'; s++)
		if (*s == ' ' || *s == '\t' || *s == '"' || *s == '=' || *s == '\\' ||
		    (unsigned char)*s < 0x20)
			return true;
	return false;
}

/* ------------------------------------------------------ key/value out */

/* stat's figures: "key: value" lines (the stat command) or one line of
 * "key=value" pairs (stat inside run). */
struct kv {
	FILE *out;
	bool one_line;
	bool first;
};

static void kv_put(struct kv *k, const char *key, const char *val)
{
	if (k->one_line) {
		(void)fprintf(k->out, "%s%s=%s", k->first ? "" : " ", key, val);
	} else {
		(void)fprintf(k->out, "%s: %s\n", key, val);
	}
	k->first = false;
}

static void kv_i64(struct kv *k, const char *key, int64_t v)
{
	char b[32];
	(void)snprintf(b, sizeof b, "%" PRId64, v);
	kv_put(k, key, b);
}

static void kv_u64(struct kv *k, const char *key, uint64_t v)
{
	char b[32];
	(void)snprintf(b, sizeof b, "%" PRIu64, v);
	kv_put(k, key, b);
}

static void kv_name(struct kv *k, const char *key, const char *name)
{
	char b[2 * NUMSEQ__JF_NAME_MAX + 8];
	size_t j = 0;

	if (!k->one_line || !needs_quotes(name)) {
		kv_put(k, key, name);
		return;
	}
	b[j++] = '"';
	for (const char *p = name; *p != '\0' && j + 4 < sizeof b; p++) {
		if (*p == '"' || *p == '\\')
			b[j++] = '\\';
		if ((unsigned char)*p < 0x20)
			b[j++] = '?';
		else
			b[j++] = *p;
	}
	b[j++] = '"';
	b[j] = '\0';
	kv_put(k, key, b);
}

static int put_stat(numseq_t *s, FILE *out, bool one_line, numseq_error_t *err)
{
	numseq_options_t o;
	numseq_journal_info_t ji;
	int64_t last;
	bool called;
	struct kv k = {out, one_line, true};
	int rc;

	if ((rc = numseq_read(s, &last, &called)) != NUMSEQ_OK ||
	    (rc = numseq_get_options(s, &o)) != NUMSEQ_OK ||
	    (rc = numseq_journal_info(s, &ji)) != NUMSEQ_OK) {
		err->code = rc;
		return rc;
	}
	kv_name(&k, "name", o.name != NULL ? o.name : "");
	kv_i64(&k, "last_value", last);
	kv_put(&k, "is_called", bool_str(called));
	kv_put(&k, "type", cli_type_name((int)o.type));
	kv_i64(&k, "start", o.start);
	kv_i64(&k, "increment", o.increment);
	kv_i64(&k, "minvalue", o.minvalue);
	kv_i64(&k, "maxvalue", o.maxvalue);
	kv_i64(&k, "cache", o.cache);
	kv_put(&k, "cycle", bool_str(o.cycle));
	kv_put(&k, "claims", cli_claims_name((int)o.claims));
	if (o.claims != NUMSEQ_CLAIMS_NONE) {
		numseq_claim_stats_t cs;
		if ((rc = numseq_claim_stats(s, &cs)) != NUMSEQ_OK) {
			err->code = rc;
			return rc;
		}
		kv_put(&k, "conflict", bool_str((o.claims_flags & NUMSEQ_CLAIMS_F_CONFLICT) != 0));
		kv_u64(&k, "claimed", cs.claimed);
		if (cs.has_claimed) {
			kv_i64(&k, "claimed_min", cs.min_claimed);
			kv_i64(&k, "claimed_max", cs.max_claimed);
		} else {
			kv_put(&k, "claimed_min", "none");
			kv_put(&k, "claimed_max", "none");
		}
		if (cs.has_free)
			kv_i64(&k, "first_free", cs.first_free);
		else
			kv_put(&k, "first_free", "none");
		kv_u64(&k, "capacity", cs.capacity);
	}
	kv_u64(&k, "window", ji.window);
	kv_u64(&k, "journal_bytes", ji.file_bytes);
	kv_u64(&k, "journal_records", ji.records);
	kv_put(&k, "clean_open", bool_str(ji.clean_open));
	kv_u64(&k, "truncated_bytes", ji.truncated);
	if (ji.gap) {
		char b[80];
		(void)snprintf(b, sizeof b, "%" PRId64 "..%" PRId64, ji.gap_first, ji.gap_last);
		kv_put(&k, "gap", b);
		kv_u64(&k, "gap_count", ji.gap_count);
	} else {
		kv_put(&k, "gap", "none");
		kv_u64(&k, "gap_count", 0);
	}
	kv_u64(&k, "gap_events", ji.gap_events);
	kv_u64(&k, "gap_values", ji.gap_values);
	if (ji.failed)
		kv_put(&k, "failed", sys_text(ji.failed_errno));
	if (one_line)
		(void)fputc('\n', out);
	return NUMSEQ_OK;
}

/* ----------------------------------------------------- the operations */

/* How an operation writes its result. */
enum { STYLE_RUN = 0, STYLE_CMD = 1 };

/* One operation's arguments and where its result and errors go. */
struct op {
	numseq_t *s;
	char **w; /* w[0]: the operation's name */
	int n;
	int style;
	FILE *out;
	numseq_error_t *err;
	char *why;
	size_t whycap;
};

static int op_usage(const struct op *op, const char *msg)
{
	(void)snprintf(op->why, op->whycap, "%s", msg);
	return OP_USAGE;
}

static int op_nextval(const struct op *op)
{
	uint64_t k = 1;
	int64_t v;
	int rc;

	if (op->n > 2)
		return op_usage(op, "usage: nextval [K]");
	if (op->n == 2 &&
	    !cli_parse_count(op->w[1], op->style == STYLE_RUN ? RUN_NEXTVAL_MAX : UINT64_MAX >> 1,
	                     &k, op->why, op->whycap))
		return OP_USAGE;
	if (op->style == STYLE_CMD) {
		for (uint64_t i = 0; i < k; i++) {
			if ((rc = numseq_nextval(op->s, &v, op->err)) != NUMSEQ_OK)
				return rc;
			(void)fprintf(op->out, "%" PRId64 "\n", v);
		}
		return NUMSEQ_OK;
	}
	/* run: one line; the values are printed only if all k came (like one
	 * SQL statement: an error discards its output, the values it took are
	 * gone all the same). */
	size_t cap = (size_t)k * 21u + 1u;
	char *line = malloc(cap);
	size_t len = 0;
	if (line == NULL) {
		op->err->code = NUMSEQ_ENOMEM;
		return NUMSEQ_ENOMEM;
	}
	line[0] = '\0';
	for (uint64_t i = 0; i < k; i++) {
		if ((rc = numseq_nextval(op->s, &v, op->err)) != NUMSEQ_OK) {
			free(line);
			return rc;
		}
		int m = snprintf(line + len, cap - len, "%s%" PRId64, i == 0 ? "" : " ", v);
		if (m > 0)
			len += (size_t)m;
	}
	(void)fprintf(op->out, "%s\n", line);
	free(line);
	return NUMSEQ_OK;
}

static int op_setval(const struct op *op)
{
	bool called = true;
	int64_t v;
	int rc;

	if (op->n < 2 || op->n > 3)
		return op_usage(op, "usage: setval V [true|false]");
	if (!cli_parse_i64(op->w[1], &v, op->why, op->whycap))
		return OP_USAGE;
	if (op->n == 3 && !cli_parse_bool(op->w[2], &called)) {
		(void)snprintf(op->why, op->whycap,
		               "invalid input syntax for type boolean: \"%.40s\"", op->w[2]);
		return OP_USAGE;
	}
	if ((rc = numseq_setval(op->s, v, called, op->err)) != NUMSEQ_OK)
		return rc;
	(void)fprintf(op->out, "%" PRId64 "\n", v);
	return NUMSEQ_OK;
}

/* "ok" in run for operations without a result. */
static int op_done(const struct op *op, int rc)
{
	if (rc == NUMSEQ_OK && op->style == STYLE_RUN)
		(void)fputs("ok\n", op->out);
	return rc;
}

static int op_restart(const struct op *op)
{
	int64_t v;

	if (op->n > 3 || (op->n == 3 && !cli_is_kw(op->w[1], "WITH")))
		return op_usage(op, "usage: restart [[WITH] V]");
	if (op->n == 1)
		return op_done(op, numseq_restart(op->s, op->err));
	if (!cli_parse_i64(op->w[op->n - 1], &v, op->why, op->whycap))
		return OP_USAGE;
	return op_done(op, numseq_restart_with(op->s, v, op->err));
}

static int op_alter(const struct op *op)
{
	cli_options_t co;

	if (op->n < 2)
		return op_usage(op, "usage: alter OPTIONS...");
	if (!cli_parse_options(op->w + 1, op->n - 1, true, &co, op->why, op->whycap))
		return OP_USAGE;
	return op_done(op, numseq_alter(op->s, &co.o, op->err));
}

static int op_claims(const struct op *op)
{
	const char *name = op->w[0];
	int64_t v;

	if (op->n != 2) {
		(void)snprintf(op->why, op->whycap, "usage: %s N", name);
		return OP_USAGE;
	}
	if (!cli_parse_i64(op->w[1], &v, op->why, op->whycap))
		return OP_USAGE;
	if (cli_is_kw(name, "is_claimed")) {
		bool b;
		int rc;
		if ((rc = numseq_is_claimed(op->s, v, &b, op->err)) != NUMSEQ_OK)
			return rc;
		(void)fprintf(op->out, "%s\n", bool_str(b));
		return NUMSEQ_OK;
	}
	if (cli_is_kw(name, "claim"))
		return op_done(op, numseq_claim(op->s, v, op->err));
	return op_done(op, numseq_release(op->s, v, op->err));
}

static int op_compact(const struct op *op)
{
	numseq_journal_info_t a, b;
	int rc;

	if ((rc = numseq_journal_info(op->s, &a)) != NUMSEQ_OK ||
	    (rc = numseq_compact(op->s, op->err)) != NUMSEQ_OK ||
	    (rc = numseq_journal_info(op->s, &b)) != NUMSEQ_OK)
		return rc;
	if (op->style == STYLE_RUN)
		return op_done(op, NUMSEQ_OK);
	(void)fprintf(op->out,
	              "compacted: %" PRIu64 " bytes, %" PRIu64 " records -> %" PRIu64
	              " bytes, %" PRIu64 " records\n",
	              a.file_bytes, a.records, b.file_bytes, b.records);
	return NUMSEQ_OK;
}

/* The operations without arguments. */
static int op_plain(const struct op *op)
{
	const char *name = op->w[0];
	int64_t v;
	bool called;
	int rc;

	if (cli_is_kw(name, "stat"))
		return put_stat(op->s, op->out, op->style == STYLE_RUN, op->err);
	if (cli_is_kw(name, "compact"))
		return op_compact(op);
	if (cli_is_kw(name, "read")) {
		if ((rc = numseq_read(op->s, &v, &called)) != NUMSEQ_OK)
			return rc;
		(void)fprintf(op->out, "%" PRId64 " %s\n", v, bool_str(called));
		return NUMSEQ_OK;
	}
	if (cli_is_kw(name, "discard")) {
		numseq_discard();
		(void)fputs("ok\n", op->out);
		return NUMSEQ_OK;
	}
	rc = cli_is_kw(name, "currval") ? numseq_currval(op->s, &v, op->err)
	                                : numseq_lastval(&v, op->err);
	if (rc != NUMSEQ_OK)
		return rc;
	(void)fprintf(op->out, "%" PRId64 "\n", v);
	return NUMSEQ_OK;
}

/* Runs one operation on an open sequence: w[0] is its name (nextval,
 * setval, restart, alter, claim, release, is_claimed, stat, read, currval,
 * lastval, discard, compact), the rest its arguments in run's words.
 * Writes the result to out (STYLE_RUN: exactly one line; STYLE_CMD: the
 * command's format, nothing for operations without a result).  Returns
 * NUMSEQ_OK, a library code (err filled as far as the library did), or
 * OP_USAGE with why. */
static int op_exec(numseq_t *s, char **w, int n, int style, FILE *out, numseq_error_t *err,
                   char *why, size_t whycap)
{
	static const char *const plain[] = {"stat",    "read",    "currval",
	                                    "lastval", "discard", "compact"};
	const struct op op = {s, w, n, style, out, err, why, whycap};

	err_clear(err);
	if (cli_is_kw(w[0], "nextval"))
		return op_nextval(&op);
	if (cli_is_kw(w[0], "setval"))
		return op_setval(&op);
	if (cli_is_kw(w[0], "restart"))
		return op_restart(&op);
	if (cli_is_kw(w[0], "alter"))
		return op_alter(&op);
	if (cli_is_kw(w[0], "claim") || cli_is_kw(w[0], "release") || cli_is_kw(w[0], "is_claimed"))
		return op_claims(&op);
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		if (!cli_is_kw(w[0], plain[i]))
			continue;
		if (n != 1) {
			(void)snprintf(why, whycap, "%s takes no arguments", plain[i]);
			return OP_USAGE;
		}
		return op_plain(&op);
	}
	(void)snprintf(why, whycap, "unknown command \"%.40s\"", w[0]);
	return OP_USAGE;
}

/* A command that opens FILE, runs one operation and closes it. */
static int one_op(const char *cmd, const char *file, char **w, int n)
{
	numseq_t *s;
	numseq_error_t err;
	char why[CLI_WHY_MAX];
	int ex = open_seq(cmd, file, &s);

	if (ex != EX_OK)
		return ex;
	int rc = op_exec(s, w, n, STYLE_CMD, stdout, &err, why, sizeof why);
	if (fflush(stdout) != 0 && rc == NUMSEQ_OK)
		rc = errno > 0 ? errno : EIO;
	if (rc == OP_USAGE)
		ex = usage_error(cmd, why);
	else if (rc != NUMSEQ_OK)
		ex = report(cmd, file, rc, &err);
	return close_seq(cmd, file, &s, ex);
}

/* --------------------------------------------------------- commands */

/* The option words of create / alter: argv[0..argc) joined with blanks and
 * split again, so that `create F "START 5 CYCLE"` and `create F START 5
 * CYCLE` mean the same.  *buf (free it) holds the words. */
static int split_args(int argc, char **argv, char **buf, char **words, char *why, size_t whycap)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	*buf = malloc(len);
	if (*buf == NULL) {
		(void)snprintf(why, whycap, "out of memory");
		return -1;
	}
	char *p = *buf;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		memcpy(p, argv[i], l);
		p += l;
		*p++ = ' ';
	}
	*p = '\0';
	int n = cli_split(*buf, words, CLI_MAX_WORDS);
	if (n < 0)
		(void)snprintf(why, whycap, "too many words (at most %d)", CLI_MAX_WORDS);
	return n;
}

static int cmd_create(int argc, char **argv)
{
	cli_options_t co;
	char why[CLI_WHY_MAX];
	numseq_journal_options_t jo = {0};
	numseq_error_t err;
	numseq_t *s = NULL;

	char *buf = NULL, *w[CLI_MAX_WORDS];

	if (argc < 2)
		return usage_error(argv[0], "missing FILE");
	int n = split_args(argc - 2, argv + 2, &buf, w, why, sizeof why);
	if (n < 0 || !cli_parse_options(w, n, false, &co, why, sizeof why)) {
		free(buf);
		return usage_error(argv[0], why);
	}
	int ex = env_window(argv[0], &jo.window);
	if (ex != EX_OK) {
		free(buf);
		return ex;
	}
	if (co.has_window)
		jo.window = co.window;
	err_clear(&err);
	int rc = numseq_open(&s, argv[1], NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &co.o, &jo, &err);
	free(buf); /* co.o.name pointed into it; numseq_open copied it */
	if (rc != NUMSEQ_OK)
		return report(argv[0], argv[1], rc, &err);
	return close_seq(argv[0], argv[1], &s, EX_OK);
}

static int cmd_nextval(int argc, char **argv)
{
	char *w[2] = {"nextval", NULL};
	int n = 1;

	if (argc < 2)
		return usage_error(argv[0], "missing FILE");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc && n == 1) {
			w[n++] = argv[++i];
		} else if (strncmp(argv[i], "-n", 2) == 0 && argv[i][2] != '\0' && n == 1) {
			w[n++] = argv[i] + 2;
		} else {
			char m[CLI_WHY_MAX];
			(void)snprintf(m, sizeof m, "unexpected argument \"%.40s\"", argv[i]);
			return usage_error(argv[0], m);
		}
	}
	/* Check K before opening: a usage error must not touch the file. */
	if (n == 2) {
		uint64_t k;
		char why[CLI_WHY_MAX];
		if (!cli_parse_count(w[1], UINT64_MAX >> 1, &k, why, sizeof why))
			return usage_error(argv[0], why);
	}
	return one_op(argv[0], argv[1], w, n);
}

static int cmd_setval(int argc, char **argv)
{
	char *w[3] = {"setval", NULL, "true"};
	char why[CLI_WHY_MAX];
	int64_t v;
	bool b;

	if (argc < 3)
		return usage_error(argv[0], argc < 2 ? "missing FILE" : "missing V");
	w[1] = argv[2];
	if (!cli_parse_i64(w[1], &v, why, sizeof why))
		return usage_error(argv[0], why);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--is-called=", 12) == 0) {
			w[2] = argv[i] + 12;
		} else if (strcmp(a, "--is-called") == 0 && i + 1 < argc) {
			w[2] = argv[++i];
		} else {
			(void)snprintf(why, sizeof why, "unexpected argument \"%.40s\"", a);
			return usage_error(argv[0], why);
		}
	}
	if (!cli_parse_bool(w[2], &b)) {
		(void)snprintf(why, sizeof why, "invalid input syntax for type boolean: \"%.40s\"",
		               w[2]);
		return usage_error(argv[0], why);
	}
	return one_op(argv[0], argv[1], w, 3);
}

static int cmd_restart(int argc, char **argv)
{
	char *w[2] = {"restart", NULL};

	if (argc < 2)
		return usage_error(argv[0], "missing FILE");
	if (argc > 3)
		return usage_error(argv[0], "too many arguments");
	if (argc == 3) {
		char why[CLI_WHY_MAX];
		int64_t v;
		if (!cli_parse_i64(argv[2], &v, why, sizeof why))
			return usage_error(argv[0], why);
		w[1] = argv[2];
	}
	return one_op(argv[0], argv[1], w, argc == 3 ? 2 : 1);
}

static int cmd_alter(int argc, char **argv)
{
	cli_options_t co;
	char why[CLI_WHY_MAX];

	if (argc < 2)
		return usage_error(argv[0], "missing FILE");
	char *buf = NULL, *w[CLI_MAX_WORDS + 1];
	/* op_exec wants the operation's name first. */
	w[0] = "alter";
	int n = split_args(argc - 2, argv + 2, &buf, w + 1, why, sizeof why);
	if (n == 0) {
		free(buf);
		return usage_error(argv[0], "no options given");
	}
	if (n < 0 || !cli_parse_options(w + 1, n, true, &co, why, sizeof why)) {
		free(buf);
		return usage_error(argv[0], why);
	}
	int ex = one_op(argv[0], argv[1], w, n + 1);
	free(buf);
	return ex;
}

static int cmd_claim_release(int argc, char **argv)
{
	char *w[2];
	char why[CLI_WHY_MAX];
	int64_t v;

	if (argc != 3)
		return usage_error(argv[0], argc < 2   ? "missing FILE"
		                            : argc < 3 ? "missing N"
		                                       : "too many arguments");
	if (!cli_parse_i64(argv[2], &v, why, sizeof why))
		return usage_error(argv[0], why);
	w[0] = argv[0];
	w[1] = argv[2];
	return one_op(argv[0], argv[1], w, 2);
}

static int cmd_file_only(int argc, char **argv)
{
	char *w[1];

	if (argc != 2)
		return usage_error(argv[0], argc < 2 ? "missing FILE" : "too many arguments");
	w[0] = argv[0];
	return one_op(argv[0], argv[1], w, 1);
}

/* ---------------------------------------------------------------- run */

static int cmd_run(int argc, char **argv)
{
	numseq_t *s;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	bool any_error = false;

	if (argc != 2)
		return usage_error(argv[0], argc < 2 ? "missing FILE" : "too many arguments");
	int ex = open_seq(argv[0], argv[1], &s);
	if (ex != EX_OK)
		return ex;
	while ((got = getline(&line, &cap, stdin)) != -1) {
		char *w[CLI_MAX_WORDS];
		char why[CLI_WHY_MAX];
		numseq_error_t err;

		(void)got;
		int n = cli_split(line, w, CLI_MAX_WORDS);
		if (n == 0 || (n > 0 && w[0][0] == '#'))
			continue;
		int rc;
		if (n < 0) {
			(void)snprintf(why, sizeof why, "too many words (at most %d)",
			               CLI_MAX_WORDS);
			rc = OP_USAGE;
		} else {
			rc = op_exec(s, w, n, STYLE_RUN, stdout, &err, why, sizeof why);
		}
		if (rc == OP_USAGE) {
			printf("ERROR: %s\n", why);
			any_error = true;
		} else if (rc != NUMSEQ_OK) {
			printf("ERROR: %s\n", err_text(rc, &err));
			any_error = true;
		}
		if (fflush(stdout) != 0)
			break;
	}
	free(line);
	if (ferror(stdin)) {
		(void)fprintf(stderr, "%s run: reading standard input: %s\n", prog,
		              sys_text(errno));
		ex = EX_IO;
	} else if (ferror(stdout)) {
		(void)fprintf(stderr, "%s run: writing standard output failed\n", prog);
		ex = EX_IO;
	} else {
		ex = any_error ? EX_OP : EX_OK;
	}
	return close_seq(argv[0], argv[1], &s, ex);
}

/* ------------------------------------------- read-only: check and dump */

static const char *verdict_name(int v)
{
	switch (v) {
	case NUMSEQ__JV_CLEAN: return "clean";
	case NUMSEQ__JV_TORN: return "torn";
	case NUMSEQ__JV_CORRUPT: return "corrupt";
	case NUMSEQ__JV_NOTJOURNAL: return "not-a-journal";
	case NUMSEQ__JV_VERSION: return "version";
	case NUMSEQ__JV_FINGERPRINT: return "fingerprint";
	case NUMSEQ__JV_IO: return "io-error";
	default: return "aborted";
	}
}

static const char *rec_type_name(unsigned t)
{
	switch (t) {
	case NUMSEQ__JF_OPTIONS: return "OPTIONS";
	case NUMSEQ__JF_RESERVE: return "RESERVE";
	case NUMSEQ__JF_STATE: return "STATE";
	case NUMSEQ__JF_ALTER: return "ALTER";
	case NUMSEQ__JF_CLAIM: return "CLAIM";
	case NUMSEQ__JF_RELEASE: return "RELEASE";
	case NUMSEQ__JF_CLAIM_RUN: return "CLAIM_RUN";
	case NUMSEQ__JF_RELEASE_RUN: return "RELEASE_RUN";
	case NUMSEQ__JF_SNAPSHOT: return "SNAPSHOT";
	case NUMSEQ__JF_SNAPSHOT_RUNS: return "SNAPSHOT_RUNS";
	case NUMSEQ__JF_GAP: return "GAP";
	case NUMSEQ__JF_CLOSE: return "CLOSE";
	case NUMSEQ__JF_PAD: return "PAD";
	default: return t & NUMSEQ__JF_OPTIONAL ? "OPTIONAL" : "?";
	}
}

/* An opened journal file for reading only: no lock, O_RDONLY. */
struct ro_file {
	int dirfd;
	int fd;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
};

static int ro_open(const char *cmd, const char *path, struct ro_file *f)
{
	numseq__jio_t *io = numseq__jio_posix();
	f->dirfd = -1;
	f->fd = -1;
	int rc = numseq__jio_split_path(path, f->dir, sizeof f->dir, f->name, sizeof f->name);
	if (rc == 0)
		rc = numseq__jio_open_dir(io, f->dir, &f->dirfd);
	if (rc < 0)
		rc = numseq__jio_errcode(rc);
	if (rc == NUMSEQ_OK)
		rc = numseq__jio_open_file(io, f->dirfd, f->name, false, &f->fd);
	if (rc != NUMSEQ_OK) {
		if (f->dirfd >= 0)
			(void)close(f->dirfd);
		f->dirfd = -1;
		return report(cmd, path, rc, NULL);
	}
	return EX_OK;
}

static void ro_close(struct ro_file *f)
{
	if (f->fd >= 0)
		(void)close(f->fd);
	if (f->dirfd >= 0)
		(void)close(f->dirfd);
	f->fd = f->dirfd = -1;
}

/* The state a scan's valid prefix leaves: what recovery resumes from. */
struct replay {
	numseq__jopts_t opts;
	numseq__jstate_t state; /* last RESERVE / STATE / ALTER / SNAPSHOT / CLOSE */
	uint64_t window;
	uint64_t claim_records;
	/* repair: the claimed numbers, replayed into an in-memory sequence */
	numseq_t *claims;
	FILE *out; /* dump */
	int claims_rc;
	uint8_t state_type;
	bool have_opts;
	bool have_state;
	bool json; /* dump */
};

static void note_record(struct replay *rp, const numseq__jrec_t *r)
{
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS:
		rp->opts = r->opts;
		rp->have_opts = true;
		break;
	case NUMSEQ__JF_ALTER:
	case NUMSEQ__JF_SNAPSHOT:
		rp->opts = r->opts;
		rp->have_opts = true;
		rp->state = r->state;
		rp->have_state = true;
		rp->state_type = r->type;
		if (r->type == NUMSEQ__JF_SNAPSHOT)
			rp->window = r->window;
		break;
	case NUMSEQ__JF_RESERVE:
		rp->window = r->window;
		/* fallthrough */
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_CLOSE:
		rp->state = r->state;
		rp->have_state = true;
		rp->state_type = r->type;
		break;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE:
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
	case NUMSEQ__JF_SNAPSHOT_RUNS: rp->claim_records++; break;
	default: break;
	}
}

static int check_visit(void *ctx, const numseq__jrec_t *r)
{
	note_record(ctx, r);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	struct ro_file f;
	struct replay rp;
	numseq__jscan_t sc;
	struct stat st;

	if (argc != 2)
		return usage_error(argv[0], argc < 2 ? "missing FILE" : "too many arguments");
	int ex = ro_open(argv[0], argv[1], &f);
	if (ex != EX_OK)
		return ex;
	memset(&rp, 0, sizeof rp);
	(void)numseq__jf_scan_fd(numseq__jio_posix(), f.fd, NULL, check_visit, &rp, &sc);
	char tmp[NAME_MAX + 8];
	(void)snprintf(tmp, sizeof tmp, "%s.tmp", f.name);
	bool leftover = fstatat(f.dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0;
	ro_close(&f);

	printf("file: %s\n", argv[1]);
	printf("verdict: %s\n", verdict_name(sc.verdict));
	if (sc.verdict != NUMSEQ__JV_CLEAN)
		printf("reason: %s\n", numseq__jf_reason_str(sc.reason));
	printf("size: %" PRIu64 "\n", sc.size);
	if (sc.verdict == NUMSEQ__JV_IO) {
		printf("open: would fail (I/O error: %s)\n", sys_text(sc.sys_errno));
		return EX_IO;
	}
	if (sc.verdict == NUMSEQ__JV_NOTJOURNAL) {
		printf("open: refuses (not a numseq journal)\n");
		return EX_JOURNAL;
	}
	if (sc.verdict == NUMSEQ__JV_VERSION) {
		printf("open: refuses (journal format version %" PRIu32
		       " or features this numseq does not know)\n",
		       sc.hdr.version);
		return EX_JOURNAL;
	}
	printf("records: %" PRIu64 "\n", sc.records);
	if (sc.records > 0)
		printf("lsn: %" PRIu64 "..%" PRIu64 "\n", sc.first_lsn, sc.last_lsn);
	printf("valid_bytes: %" PRIu64 "\n", sc.end);
	if (sc.records > 0)
		printf("last_record: %s\n", rec_type_name(sc.last_type));
	if (rp.have_opts)
		printf("name: %s\n", rp.opts.name);
	if (rp.have_state)
		printf("state: last_value=%" PRId64 " is_called=%s (%s)\n", rp.state.last_value,
		       bool_str(rp.state.is_called), rec_type_name(rp.state_type));
	if (leftover)
		printf("leftover: %s.tmp (an interrupted create or compaction; open removes it)\n",
		       argv[1]);
	switch (sc.verdict) {
	case NUMSEQ__JV_CLEAN:
		if (sc.clean_close)
			printf("open: replays %" PRIu64
			       " records and resumes exactly where the last "
			       "run closed (no gap)\n",
			       sc.records);
		else
			printf("open: replays %" PRIu64 " records; the last run did not close "
			       "cleanly, so it resumes after the last reservation and records the "
			       "skipped numbers in the gap ledger\n",
			       sc.records);
		return EX_OK;
	case NUMSEQ__JV_TORN:
		printf("bad_offset: %" PRIu64 "\n", sc.bad_offset);
		printf("damage: %s\n", numseq__jf_reason_str(sc.damage));
		printf("open: truncates the torn tail (%" PRIu64 " bytes at offset %" PRIu64
		       ", never acknowledged), replays %" PRIu64
		       " records, resumes after the last reservation%s and records the skipped "
		       "numbers in the gap ledger\n",
		       sc.size - sc.end, sc.end, sc.records,
		       sc.tail_zero ? "" : " plus one window");
		return EX_OK;
	default: break;
	}
	printf("bad_offset: %" PRIu64 "\n", sc.bad_offset);
	if (sc.reason == NUMSEQ__JR_ACKED)
		printf("evidence_offset: %" PRIu64 "\n", sc.evidence_offset);
	printf("open: refuses (%s); `%s repair %s --next-at-least V` writes a new journal "
	       "from the %" PRIu64 " valid records\n",
	       sc.reason == NUMSEQ__JR_ACKED ? "acknowledged records are damaged"
	                                     : numseq__jf_reason_str(sc.reason),
	       prog, argv[1], sc.records);
	return EX_JOURNAL;
}

/* dump's output: "kind key=value ..." lines or JSON Lines. */
struct emit {
	FILE *out;
	bool json;
	bool first;
};

static void em_begin(struct emit *e, const char *kind)
{
	e->first = true;
	if (e->json)
		(void)fprintf(e->out, "{\"kind\":\"%s\"", kind);
	else
		(void)fputs(kind, e->out);
}

static void em_raw(struct emit *e, const char *key, const char *val)
{
	if (e->json)
		(void)fprintf(e->out, ",\"%s\":%s", key, val);
	else
		(void)fprintf(e->out, " %s=%s", key, val);
}

static void em_i64(struct emit *e, const char *key, int64_t v)
{
	char b[32];
	(void)snprintf(b, sizeof b, "%" PRId64, v);
	em_raw(e, key, b);
}

static void em_u64(struct emit *e, const char *key, uint64_t v)
{
	char b[32];
	(void)snprintf(b, sizeof b, "%" PRIu64, v);
	em_raw(e, key, b);
}

static void em_bool(struct emit *e, const char *key, bool v)
{
	em_raw(e, key, bool_str(v));
}

/* A string: JSON-escaped, or in text double-quoted with \" \\ and \xNN. */
static void em_str(struct emit *e, const char *key, const char *s)
{
	(void)fprintf(e->out, e->json ? ",\"%s\":\"" : " %s=\"", key);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			(void)fprintf(e->out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			(void)fprintf(e->out, e->json ? "\\u%04x" : "\\x%02x", *p);
		else
			(void)fputc(*p, e->out);
	}
	(void)fputc('"', e->out);
}

static void em_end(struct emit *e)
{
	(void)fputs(e->json ? "}\n" : "\n", e->out);
}

static void em_state(struct emit *e, const numseq__jstate_t *st)
{
	em_i64(e, "last_value", st->last_value);
	em_bool(e, "is_called", st->is_called);
	em_u64(e, "wraps", st->wraps);
	em_u64(e, "cause", st->cause);
}

static void em_opts(struct emit *e, const numseq__jopts_t *o)
{
	em_str(e, "name", o->name);
	em_str(e, "as", cli_type_name(o->type));
	em_i64(e, "start", o->start);
	em_i64(e, "increment", o->increment);
	em_i64(e, "minvalue", o->minvalue);
	em_i64(e, "maxvalue", o->maxvalue);
	em_i64(e, "cache", o->cache);
	em_bool(e, "cycle", o->cycle);
	em_str(e, "claims", cli_claims_name(o->claims));
	em_u64(e, "claims_flags", o->claims_flags);
}

static int dump_visit(void *ctx, const numseq__jrec_t *r)
{
	struct replay *rp = ctx;
	struct emit e = {rp->out, rp->json, true};

	em_begin(&e, "record");
	em_u64(&e, "lsn", r->lsn);
	em_u64(&e, "offset", r->offset);
	em_u64(&e, "length", r->length);
	em_u64(&e, "durable_lsn", r->durable_lsn);
	em_str(&e, "type", rec_type_name(r->type));
	switch (r->type) {
	case NUMSEQ__JF_OPTIONS: em_opts(&e, &r->opts); break;
	case NUMSEQ__JF_RESERVE:
		em_state(&e, &r->state);
		em_u64(&e, "window", r->window);
		break;
	case NUMSEQ__JF_STATE:
	case NUMSEQ__JF_CLOSE: em_state(&e, &r->state); break;
	case NUMSEQ__JF_ALTER:
		em_state(&e, &r->state);
		em_opts(&e, &r->opts);
		break;
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE: em_i64(&e, "value", r->value); break;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		em_i64(&e, "first", r->run.first);
		em_u64(&e, "count", r->run.count);
		break;
	case NUMSEQ__JF_SNAPSHOT:
		em_state(&e, &r->state);
		em_u64(&e, "window", r->window);
		em_u64(&e, "claimed", r->snap.claimed);
		em_u64(&e, "run_chunks", r->snap.run_chunks);
		em_u64(&e, "gap_events", r->snap.gap_events);
		em_u64(&e, "gap_values", r->snap.gap_values);
		em_opts(&e, &r->opts);
		break;
	case NUMSEQ__JF_SNAPSHOT_RUNS: {
		em_u64(&e, "chunk", r->runs.chunk);
		em_u64(&e, "nruns", r->runs.nruns);
		(void)fprintf(e.out, e.json ? ",\"runs\":[" : " runs=");
		for (uint32_t i = 0; i < r->runs.nruns; i++) {
			numseq__jrun_t run = numseq__jf_run(r, i);
			if (e.json)
				(void)fprintf(e.out, "%s[%" PRId64 ",%" PRIu64 "]",
				              i == 0 ? "" : ",", run.first, run.count);
			else
				(void)fprintf(e.out, "%s%" PRId64 "x%" PRIu64, i == 0 ? "" : ",",
				              run.first, run.count);
		}
		if (e.json)
			(void)fputc(']', e.out);
		break;
	}
	case NUMSEQ__JF_GAP:
		em_i64(&e, "first", r->gap.first);
		em_i64(&e, "last", r->gap.last);
		em_i64(&e, "step", r->gap.step);
		em_u64(&e, "count", r->gap.count);
		break;
	default: em_u64(&e, "payload_bytes", r->pad.len); break;
	}
	em_end(&e);
	return ferror(rp->out) ? 1 : 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct ro_file f;
	struct replay rp;
	numseq__jscan_t sc;
	const char *file = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return usage_error(argv[0], "too many arguments");
		}
	}
	if (file == NULL)
		return usage_error(argv[0], "missing FILE");
	int ex = ro_open(argv[0], file, &f);
	if (ex != EX_OK)
		return ex;

	memset(&rp, 0, sizeof rp);
	rp.out = stdout;
	rp.json = json;
	struct emit e = {stdout, json, true};
	uint8_t hb[NUMSEQ__JF_HDR_LEN];
	size_t got = 0;
	numseq__jhdr_t h;
	int hreason = 0;
	if (numseq__jio_pread_all(numseq__jio_posix(), f.fd, hb, sizeof hb, 0, &got) == 0 &&
	    numseq__jf_header_decode(hb, got, &h, &hreason) == NUMSEQ_OK) {
		em_begin(&e, "header");
		em_u64(&e, "version", h.version);
		em_u64(&e, "flags", h.flags);
		em_u64(&e, "fingerprint", h.fingerprint);
		em_u64(&e, "file_id", h.file_id);
		em_u64(&e, "base_lsn", h.base_lsn);
		em_u64(&e, "generation", h.generation);
		em_u64(&e, "created_ns", h.created_ns);
		em_end(&e);
	}
	int rc = numseq__jf_scan_fd(numseq__jio_posix(), f.fd, NULL, dump_visit, &rp, &sc);
	ro_close(&f);
	em_begin(&e, "end");
	em_str(&e, "verdict", verdict_name(sc.verdict));
	em_str(&e, "reason", numseq__jf_reason_str(sc.reason));
	em_u64(&e, "size", sc.size);
	em_u64(&e, "records", sc.records);
	em_u64(&e, "valid_bytes", sc.end);
	if (sc.verdict != NUMSEQ__JV_CLEAN)
		em_u64(&e, "bad_offset", sc.bad_offset);
	em_end(&e);
	if (fflush(stdout) != 0) {
		(void)fprintf(stderr, "%s dump: writing standard output failed\n", prog);
		return EX_IO;
	}
	if (sc.verdict == NUMSEQ__JV_CLEAN || sc.verdict == NUMSEQ__JV_TORN)
		return EX_OK;
	if (sc.verdict == NUMSEQ__JV_IO)
		return EX_IO;
	(void)fprintf(stderr, "%s dump: %s: %s (%s)\n", prog, file, numseq_strerror(rc),
	              numseq__jf_reason_str(sc.reason));
	return EX_JOURNAL;
}

/* ------------------------------------------------------------- repair */

static void jopts_to_options(const numseq__jopts_t *j, numseq_options_t *o)
{
	numseq_options_init(o);
	o->set = NUMSEQ_OPT_TYPE | NUMSEQ_OPT_START | NUMSEQ_OPT_INCREMENT | NUMSEQ_OPT_MINVALUE |
	         NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_CYCLE | NUMSEQ_OPT_CACHE | NUMSEQ_OPT_NAME;
	o->type = (numseq_type_t)j->type;
	o->start = j->start;
	o->increment = j->increment;
	o->minvalue = j->minvalue;
	o->maxvalue = j->maxvalue;
	o->cycle = j->cycle;
	o->cache = j->cache;
	o->name = j->name;
	if (j->claims != NUMSEQ_CLAIMS_NONE) {
		o->set |= NUMSEQ_OPT_CLAIMS;
		o->claims = (numseq_claims_t)j->claims;
		o->claims_flags = j->claims_flags;
	}
}

/* count numbers first, first + increment, ... claimed or released in the
 * in-memory copy (repeats are harmless: the last record wins). */
static void replay_run(struct replay *rp, int64_t first, uint64_t count, bool claimed)
{
	int64_t v = first;
	for (uint64_t i = 0; i < count && rp->claims_rc == NUMSEQ_OK; i++) {
		int rc = claimed ? numseq_claim(rp->claims, v, NULL)
		                 : numseq_release(rp->claims, v, NULL);
		if (rc == NUMSEQ_ENOMEM)
			rp->claims_rc = rc;
		if (i + 1 < count && __builtin_add_overflow(v, rp->opts.increment, &v))
			break; /* the scan checked the run is in range: cannot happen */
	}
}

static int repair_visit(void *ctx, const numseq__jrec_t *r)
{
	struct replay *rp = ctx;

	note_record(rp, r);
	if ((r->type == NUMSEQ__JF_OPTIONS || r->type == NUMSEQ__JF_SNAPSHOT) &&
	    r->opts.claims != NUMSEQ_CLAIMS_NONE && rp->claims == NULL &&
	    rp->claims_rc == NUMSEQ_OK) {
		numseq_options_t o;
		jopts_to_options(&r->opts, &o);
		rp->claims_rc = numseq_create(&rp->claims, &o, NULL);
	}
	if (rp->claims == NULL)
		return 0;
	switch (r->type) {
	case NUMSEQ__JF_CLAIM:
	case NUMSEQ__JF_RELEASE: replay_run(rp, r->value, 1, r->type == NUMSEQ__JF_CLAIM); break;
	case NUMSEQ__JF_CLAIM_RUN:
	case NUMSEQ__JF_RELEASE_RUN:
		replay_run(rp, r->run.first, r->run.count, r->type == NUMSEQ__JF_CLAIM_RUN);
		break;
	case NUMSEQ__JF_SNAPSHOT_RUNS:
		for (uint32_t i = 0; i < r->runs.nruns; i++) {
			numseq__jrun_t run = numseq__jf_run(r, i);
			replay_run(rp, run.first, run.count, true);
		}
		break;
	default: break;
	}
	return 0;
}

/* What the intact records after the damage say: a repair never resumes
 * before a reservation or a state any of them holds, and keeps every number
 * they claim (a release there is not replayed: keeping a number claimed is
 * the safe side).  Options come from the valid prefix only. */
struct salvage {
	uint64_t records;
	uint64_t alters;
	bool have_next;
	int64_t next;   /* furthest next value a state after the damage implies */
	bool exhausted; /* one of them was at the bound */
};

static void salvage_state(struct salvage *sv, const numseq__jopts_t *o, const numseq__jstate_t *st)
{
	int64_t next = st->last_value;
	bool asc = o->increment > 0;

	if (st->is_called && __builtin_add_overflow(next, o->increment, &next)) {
		sv->exhausted = true;
		return;
	}
	if (!sv->have_next || (asc ? next > sv->next : next < sv->next))
		sv->next = next;
	sv->have_next = true;
}

/* Decodes every intact record of this file in buf (the bytes from the
 * damage to the end of the file), at every offset where one starts. */
static void salvage_tail(struct replay *rp, const uint8_t *buf, size_t n, uint64_t file_id,
                         struct salvage *sv)
{
	size_t off = 0;

	while (off + NUMSEQ__JF_OVERHEAD <= n) {
		numseq__jrec_t r;
		int reason = 0;
		if (numseq__jf_decode(buf + off, n - off, file_id, &r, &reason) != NUMSEQ_OK ||
		    r.length < NUMSEQ__JF_OVERHEAD) {
			off++;
			continue;
		}
		sv->records++;
		switch (r.type) {
		case NUMSEQ__JF_ALTER: sv->alters++; /* fallthrough */
		case NUMSEQ__JF_RESERVE:
		case NUMSEQ__JF_STATE:
		case NUMSEQ__JF_CLOSE:
		case NUMSEQ__JF_SNAPSHOT: salvage_state(sv, &rp->opts, &r.state); break;
		case NUMSEQ__JF_CLAIM:
			if (rp->claims != NULL)
				replay_run(rp, r.value, 1, true);
			break;
		case NUMSEQ__JF_CLAIM_RUN:
			if (rp->claims != NULL)
				replay_run(rp, r.run.first, r.run.count, true);
			break;
		default: break;
		}
		off += r.length;
	}
}

/* Where the repaired sequence resumes: the first value the next nextval
 * returns (is_called false), or, when nothing is left before the bound,
 * the last value on the grid with is_called true (exhausted). */
struct resume {
	int64_t value;
	bool exhausted;
};

static int64_t last_on_grid(const numseq__jopts_t *o, bool has_grid)
{
	if (!has_grid)
		return o->increment > 0 ? o->maxvalue : o->minvalue;
	uint64_t step = o->increment > 0 ? (uint64_t)o->increment : 0u - (uint64_t)o->increment;
	uint64_t span = (uint64_t)o->maxvalue - (uint64_t)o->minvalue;
	uint64_t off = span % step;
	return o->increment > 0 ? (int64_t)((uint64_t)o->maxvalue - off)
	                        : (int64_t)((uint64_t)o->minvalue + off);
}

static struct resume resume_point(const struct replay *rp, const struct salvage *sv,
                                  int64_t at_least)
{
	const numseq__jopts_t *o = &rp->opts;
	bool asc = o->increment > 0;
	bool grid = o->claims != NUMSEQ_CLAIMS_NONE;
	struct resume r = {last_on_grid(o, grid), true};
	int64_t next = o->start;

	if (sv->exhausted)
		return r;
	if (sv->have_next && (asc ? sv->next > at_least : sv->next < at_least))
		at_least = sv->next;

	if (rp->have_state) {
		next = rp->state.last_value;
		if (rp->state.is_called && (__builtin_add_overflow(next, o->increment, &next) ||
		                            next > o->maxvalue || next < o->minvalue))
			return r;
	}
	if (asc ? at_least > next : at_least < next)
		next = at_least;
	if (grid) {
		uint64_t step = asc ? (uint64_t)o->increment : 0u - (uint64_t)o->increment;
		uint64_t off = asc ? ((uint64_t)next - (uint64_t)o->minvalue) % step
		                   : ((uint64_t)o->maxvalue - (uint64_t)next) % step;
		if (off != 0) {
			int64_t d = (int64_t)(step - off);
			if (__builtin_add_overflow(next, asc ? d : -d, &next))
				return r;
		}
	}
	if (next > o->maxvalue || next < o->minvalue)
		return r;
	r.value = next;
	r.exhausted = false;
	return r;
}

/* Builds the new journal at tmppath from what the scan kept. */
static int repair_build(const char *cmd, const char *tmppath, struct replay *rp,
                        const struct salvage *sv, int64_t at_least, struct resume *res,
                        uint64_t *restored)
{
	numseq_options_t o;
	numseq_journal_options_t jo = {rp->window};
	numseq_error_t err;
	numseq_t *s = NULL;
	int rc;

	jopts_to_options(&rp->opts, &o);
	err_clear(&err);
	if ((rc = numseq_open(&s, tmppath, NUMSEQ_OPEN_CREATE | NUMSEQ_OPEN_EXCL, &o, &jo, &err)) !=
	    NUMSEQ_OK)
		return report(cmd, tmppath, rc, &err);
	*restored = 0;
	if (rp->claims != NULL) {
		uint64_t cursor = 0;
		int64_t v;
		while (numseq_claimed_next(rp->claims, &cursor, &v) == NUMSEQ_OK) {
			if ((rc = numseq_claim(s, v, &err)) != NUMSEQ_OK)
				goto fail;
			(*restored)++;
		}
	}
	*res = resume_point(rp, sv, at_least);
	if (rp->opts.claims != NUMSEQ_CLAIMS_LOWEST_FREE &&
	    (rc = numseq_setval(s, res->value, res->exhausted, &err)) != NUMSEQ_OK)
		goto fail;
	return close_seq(cmd, tmppath, &s, EX_OK);
fail : {
	int ex = report(cmd, tmppath, rc, &err);
	return close_seq(cmd, tmppath, &s, ex);
}
}

/* Puts the new journal in place: FILE -> FILE.damaged-<stamp>, then
 * FILE.repair -> FILE, then fsync of the directory.  damaged gets the name
 * the damaged file was kept under. */
static int repair_install(const char *file, const struct ro_file *rf, const char *tmpname,
                          const char *tmppath, char *damaged, size_t dcap)
{
	char stamp[32];
	int ex = EX_OK;
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
		(void)snprintf(stamp, sizeof stamp, "%lld", (long long)now);
	int len = snprintf(damaged, dcap, "%s.damaged-%s", rf->name, stamp);
	for (int k = 2; k < 1000 && len > 0 && (size_t)len < dcap; k++) {
		struct stat st;
		if (fstatat(rf->dirfd, damaged, &st, AT_SYMLINK_NOFOLLOW) != 0)
			break;
		len = snprintf(damaged, dcap, "%s.damaged-%s-%d", rf->name, stamp, k);
	}
	if (len < 0 || (size_t)len >= dcap) {
		(void)fprintf(stderr, "%s repair: %s: name too long for the damaged copy\n", prog,
		              file);
		return EX_FILE;
	}
	if (renameat(rf->dirfd, rf->name, rf->dirfd, damaged) != 0) {
		int e = errno;
		(void)fprintf(stderr, "%s repair: renaming %s to %s: %s (the new journal is %s)\n",
		              prog, file, damaged, sys_text(e), tmppath);
		return EX_IO;
	}
	if (renameat(rf->dirfd, tmpname, rf->dirfd, rf->name) != 0) {
		int e = errno;
		(void)fprintf(stderr,
		              "%s repair: renaming %s to %s: %s (the damaged journal is now %s)\n",
		              prog, tmppath, file, sys_text(e), damaged);
		return EX_IO;
	}
	if (fsync(rf->dirfd) != 0) {
		(void)fprintf(stderr, "%s repair: fsync of %s: %s\n", prog, rf->dir,
		              sys_text(errno));
		ex = EX_IO;
	}
	{
		char lk[NAME_MAX + 24];
		(void)snprintf(lk, sizeof lk, "%s.lock", tmpname);
		(void)unlinkat(rf->dirfd, lk, 0);
	}
	return ex;
}

static void repair_print(const char *file, const struct ro_file *rf, const numseq__jscan_t *scp,
                         const struct replay *rpp, const struct salvage *svp,
                         const struct resume *resp, uint64_t restored, const char *damaged)
{
	printf("damaged: %s (%s: %s at offset %" PRIu64 ")\n", file, verdict_name(scp->verdict),
	       numseq__jf_reason_str(scp->reason), scp->bad_offset);
	printf("kept_records: %" PRIu64 "\n", scp->records);
	printf("salvaged_records: %" PRIu64 " (intact records after the damage: states and claims "
	       "only)\n",
	       svp->records);
	if (svp->alters > 0)
		printf("warning: %" PRIu64
		       " ALTER records after the damage were not applied: check "
		       "the options (stat) and ALTER again if needed\n",
		       svp->alters);
	if (rpp->have_state)
		printf("last_state: last_value=%" PRId64 " is_called=%s (%s)\n",
		       rpp->state.last_value, bool_str(rpp->state.is_called),
		       rec_type_name(rpp->state_type));
	if (rpp->opts.claims == NUMSEQ_CLAIMS_LOWEST_FREE)
		printf("resumes_at: lowest free number (LOWEST_FREE has no counter)\n");
	else if (resp->exhausted)
		printf("resumes_at: none (exhausted: last_value=%" PRId64 " is_called=true)\n",
		       resp->value);
	else
		printf("resumes_at: %" PRId64 "\n", resp->value);
	if (rpp->opts.claims != NUMSEQ_CLAIMS_NONE)
		printf("claimed_restored: %" PRIu64 "\n", restored);
	printf("kept_as: %s/%s\n", rf->dir, damaged);
	printf("repaired: %s\n", file);
}

static int cmd_repair(int argc, char **argv)
{
	const char *file = NULL, *vs = NULL;
	char why[CLI_WHY_MAX];
	int64_t at_least;
	struct ro_file f;
	struct replay rp;
	numseq__jscan_t sc;
	int lockfd = -1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--next-at-least") == 0 && i + 1 < argc)
			vs = argv[++i];
		else if (strncmp(argv[i], "--next-at-least=", 16) == 0)
			vs = argv[i] + 16;
		else if (file == NULL && argv[i][0] != '-')
			file = argv[i];
		else
			return usage_error(argv[0], "usage: repair FILE --next-at-least V");
	}
	if (file == NULL || vs == NULL)
		return usage_error(argv[0],
		                   file == NULL ? "missing FILE" : "missing --next-at-least V");
	if (!cli_parse_i64(vs, &at_least, why, sizeof why))
		return usage_error(argv[0], why);
	int ex = ro_open(argv[0], file, &f);
	if (ex != EX_OK)
		return ex;
	numseq__jio_t *io = numseq__jio_posix();
	int rc = numseq__jio_lock_file(io, f.dirfd, f.name, &lockfd);
	if (rc != NUMSEQ_OK) {
		ro_close(&f);
		return report(argv[0], file, rc, NULL);
	}
	memset(&rp, 0, sizeof rp);
	struct salvage sv;
	memset(&sv, 0, sizeof sv);
	rc = numseq__jf_scan_fd(io, f.fd, NULL, repair_visit, &rp, &sc);
	ex = EX_OK;
	if ((sc.verdict == NUMSEQ__JV_CORRUPT || sc.verdict == NUMSEQ__JV_TORN) && rp.have_opts &&
	    sc.size > sc.bad_offset) {
		uint64_t tail = sc.size - sc.bad_offset;
		uint8_t *buf = tail <= (UINT64_C(1) << 30) ? malloc((size_t)tail) : NULL;
		size_t got = 0;
		if (buf == NULL ||
		    numseq__jio_pread_all(io, f.fd, buf, (size_t)tail, sc.bad_offset, &got) != 0) {
			(void)fprintf(stderr,
			              "%s repair: %s: cannot read the %" PRIu64
			              " bytes after the damage; refusing to guess\n",
			              prog, file, tail);
			ex = EX_IO;
		} else {
			salvage_tail(&rp, buf, got, sc.hdr.file_id, &sv);
		}
		free(buf);
	}
	(void)close(f.fd);
	f.fd = -1;
	if (ex != EX_OK)
		goto out;
	if (sc.verdict == NUMSEQ__JV_CLEAN) {
		(void)fprintf(stderr, "%s repair: %s: the journal is clean: nothing to repair\n",
		              prog, file);
		ex = EX_OP;
	} else if (sc.verdict == NUMSEQ__JV_IO) {
		ex = report(argv[0], file, NUMSEQ_EIO, NULL);
	} else if (sc.verdict != NUMSEQ__JV_TORN && sc.verdict != NUMSEQ__JV_CORRUPT) {
		ex = report(argv[0], file, rc, NULL);
	} else if (!rp.have_opts) {
		(void)fprintf(stderr,
		              "%s repair: %s: the header or the base record is damaged (%s): no "
		              "options to rebuild from\n",
		              prog, file, numseq__jf_reason_str(sc.reason));
		ex = EX_JOURNAL;
	} else if (rp.claims_rc != NUMSEQ_OK) {
		ex = report(argv[0], file, rp.claims_rc, NULL);
	} else if (rp.opts.increment > 0 ? at_least > rp.opts.maxvalue
	                                 : at_least < rp.opts.minvalue) {
		(void)fprintf(stderr,
		              "%s repair: %s: --next-at-least %" PRId64
		              " is beyond the sequence's bound (%" PRId64 ")\n",
		              prog, file, at_least,
		              rp.opts.increment > 0 ? rp.opts.maxvalue : rp.opts.minvalue);
		ex = EX_OP;
	}
	if (ex != EX_OK)
		goto out;

	char tmpname[NAME_MAX + 16], tmppath[PATH_MAX + NAME_MAX + 16];
	char damaged[NAME_MAX + 48];
	struct resume res = {0, false};
	uint64_t restored = 0;
	(void)snprintf(tmpname, sizeof tmpname, "%s.repair", f.name);
	(void)snprintf(tmppath, sizeof tmppath, "%s/%s", f.dir, tmpname);
	ex = repair_build(argv[0], tmppath, &rp, &sv, at_least, &res, &restored);
	if (ex != EX_OK) {
		(void)unlinkat(f.dirfd, tmpname, 0);
		goto out;
	}
	ex = repair_install(file, &f, tmpname, tmppath, damaged, sizeof damaged);
	if (ex == EX_OK)
		repair_print(file, &f, &sc, &rp, &sv, &res, restored, damaged);
out:
	if (rp.claims != NULL)
		(void)numseq_destroy(&rp.claims);
	(void)close(lockfd);
	ro_close(&f);
	return ex;
}

/* --------------------------------------------------------------- main */

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{"create", cmd_create, "create FILE [OPTIONS...]",
         "Creates a new journal FILE holding a new sequence (fails if FILE exists).\n"
         "Prints nothing.\n"},
	{"nextval", cmd_nextval, "nextval FILE [-n K]",
         "Takes the next K values (default 1), one per line.  At the bound (NO CYCLE)\n"
         "prints PostgreSQL's error on stderr after the values it did take; exit 1.\n"},
	{"setval", cmd_setval, "setval FILE V [--is-called=true|false]",
         "setval(V, is_called) (default true): prints V.\n"},
	{"restart", cmd_restart, "restart FILE [V]",
         "ALTER SEQUENCE ... RESTART [WITH V]: the next nextval returns START (or V).\n"
         "Prints nothing.\n"},
	{"alter", cmd_alter, "alter FILE OPTIONS...",
         "ALTER SEQUENCE with the options given (CREATE's words, and RESTART [[WITH] n];\n"
         "not CLAIMS, CONFLICT, WINDOW or NAME).  Prints nothing.\n"},
	{"claim", cmd_claim_release, "claim FILE N",
         "Claims number N in the claimed-number bitmap.  Prints nothing.\n"},
	{"release", cmd_claim_release, "release FILE N", "Releases number N.  Prints nothing.\n"},
	{"stat", cmd_file_only, "stat FILE",
         "Prints the sequence's state, options, claims, gap ledger and journal size,\n"
         "one \"key: value\" per line (docs/cli.md lists the keys).\n"},
	{"check", cmd_check, "check FILE",
         "Read-only: scans FILE without taking its lock and prints whether it is clean,\n"
         "has a torn tail or is corrupt, and what opening it would do.  Exit 0 when an\n"
         "open would succeed (clean or torn), 3 when it would refuse.\n"},
	{"repair", cmd_repair, "repair FILE --next-at-least V",
         "Writes a NEW journal from the valid records of a damaged FILE, resuming at a\n"
         "value >= V (<= V for a descending sequence) and beyond the last valid\n"
         "reservation, with the claimed numbers it can prove; the damaged file is kept\n"
         "as FILE.damaged-<UTC timestamp>.  Never writes FILE in place.\n"},
	{"compact", cmd_file_only, "compact FILE",
         "Rewrites the journal as one snapshot; prints the sizes before and after.\n"},
	{"dump", cmd_dump, "dump FILE [--json]",
         "Read-only: prints the header, every valid record and the scan's verdict, one\n"
         "per line as text (\"kind key=value ...\") or as JSON Lines with --json.\n"},
	{"run", cmd_run, "run FILE",
         "Opens FILE once and reads commands from standard input, one per line:\n"
         "  nextval [K] | setval V [true|false] | restart [[WITH] V] | alter OPTIONS...\n"
         "  claim N | release N | is_claimed N | currval | lastval | read | stat\n"
         "  discard | compact          (blank lines and lines starting with # are skipped)\n"
         "and prints one line per command: the result (\"ok\" when there is none), or\n"
         "\"ERROR: <message>\" with PostgreSQL's message text.  Exit 0 if no command\n"
         "failed, 1 if one did.\n"},
	{"help", cmd_help, "help [COMMAND]", "Prints the help of the tool or of COMMAND.\n"},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_help(const struct command *c)
{
	printf("usage: %s %s\n\n%s", prog, c->synopsis, c->help);
	if (c->fn == cmd_create || c->fn == cmd_alter) {
		printf("\n%s", options_help);
		if (c->fn == cmd_create)
			printf("%s", create_only_help);
		else
			printf("  RESTART [[WITH] n]\n");
	}
}

static void print_usage(FILE *out)
{
	(void)fprintf(out, "usage: %s COMMAND FILE [ARGS...]\n\nCommands:\n", prog);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		(void)fprintf(out, "  %s\n", commands[i].synopsis);
	(void)fprintf(out,
	              "\n%s COMMAND --help shows a command's help; docs/cli.md is the manual.\n"
	              "\nExit codes:\n"
	              "  0  success\n"
	              "  1  the operation failed (PostgreSQL's error: a limit, setval out of\n"
	              "     bounds, bad options, claim errors; run: some command failed)\n"
	              "  2  usage: unknown command or word, bad number, missing argument\n"
	              "  3  journal refused: not a journal, other version or options, corrupt\n"
	              "  4  I/O error (fail-stop), no space, out of memory\n"
	              "  5  the journal is in use by another process (locked)\n"
	              "  6  file problem: missing, already exists, symlink, not a regular file,\n"
	              "     permission denied\n",
	              prog);
}

static int cmd_help(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		print_help(find_command("help"));
		return EX_OK;
	}
	if (argc < 2) {
		print_usage(stdout);
		return EX_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (c == NULL) {
		char m[CLI_WHY_MAX];
		(void)snprintf(m, sizeof m, "unknown command \"%.40s\"", argv[1]);
		return usage_error("help", m);
	}
	print_help(c);
	return EX_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("numseq %s\n", numseq_version());
		return EX_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (c == NULL) {
		(void)fprintf(stderr, "%s: unknown command \"%.40s\"\nTry '%s --help'.\n", prog,
		              argv[1], prog);
		return EX_USAGE;
	}
	if (c->fn != cmd_help && wants_help(argc - 1, argv + 1)) {
		print_help(c);
		return EX_OK;
	}
	int ex = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) != 0 && ex == EX_OK) {
		(void)fprintf(stderr, "%s: writing standard output failed\n", prog);
		ex = EX_IO;
	}
	return ex;
}
