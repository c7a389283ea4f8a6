/*
 * numseq_parse.c - the `numseq` tool's parser (numseq_parse.h).
 */
#define _POSIX_C_SOURCE 200809L /* strcasecmp */

#include "numseq_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int cli_split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p != '\0' && is_blank(*p))
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		words[n++] = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (*p == '\0')
			return n;
		*p++ = '\0';
	}
}

/* The word as it goes into a message: at most 40 bytes of it, so that a
 * message always fits its buffer whole. */
static void quoted(const char *s, char *out, size_t cap)
{
	size_t len = strlen(s);
	if (len > 40)
		(void)snprintf(out, cap, "%.40s...", s);
	else
		(void)snprintf(out, cap, "%s", s);
}

bool cli_parse_i64(const char *s, int64_t *out, char *why, size_t whycap)
{
	char q[48];
	const char *p = s;
	bool neg = false;
	uint64_t mag = 0;
	/* |INT64_MIN| fits in a uint64_t; everything above it overflows. */
	const uint64_t lim_pos = (uint64_t)INT64_MAX;
	const uint64_t lim_neg = (uint64_t)INT64_MAX + 1u;

	if (s == NULL) {
		(void)snprintf(why, whycap, "a number is missing");
		return false;
	}
	quoted(s, q, sizeof q);
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		goto syntax;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (mag > (lim_neg - d) / 10u) {
			while (isdigit((unsigned char)*p))
				p++;
			if (*p != '\0')
				goto syntax;
			goto range;
		}
		mag = mag * 10u + d;
	}
	if (*p != '\0')
		goto syntax;
	if (neg) {
		/* -(2^63) is INT64_MIN; anything smaller in magnitude negates. */
		*out = mag == lim_neg ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > lim_pos)
			goto range;
		*out = (int64_t)mag;
	}
	return true;
syntax:
	(void)snprintf(why, whycap, "invalid input syntax for type bigint: \"%s\"", q);
	return false;
range:
	(void)snprintf(why, whycap, "value \"%s\" is out of range for type bigint", q);
	return false;
}

bool cli_parse_count(const char *s, uint64_t max, uint64_t *out, char *why, size_t whycap)
{
	int64_t v;

	if (!cli_parse_i64(s, &v, why, whycap))
		return false;
	if (v < 1 || (uint64_t)v > max) {
		(void)snprintf(why, whycap, "%lld is out of range (1 .. %llu)", (long long)v,
		               (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

bool cli_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
	static const char *const no[] = {"false", "f", "no", "n", "off", "0"};

	if (s == NULL)
		return false;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool cli_is_kw(const char *word, const char *kw)
{
	return word != NULL && strcasecmp(word, kw) == 0;
}

/* Marks bit given; a second time is PostgreSQL's error. */
static bool give(numseq_options_t *o, unsigned bit, char *why, size_t whycap)
{
	if ((o->set & bit) != 0) {
		(void)snprintf(why, whycap, "conflicting or redundant options");
		return false;
	}
	o->set |= bit;
	return true;
}

static bool parse_type(const char *w, numseq_type_t *t, char *why, size_t whycap)
{
	char q[48];

	if (cli_is_kw(w, "smallint") || cli_is_kw(w, "int2")) {
		*t = NUMSEQ_SMALLINT;
	} else if (cli_is_kw(w, "integer") || cli_is_kw(w, "int") || cli_is_kw(w, "int4")) {
		*t = NUMSEQ_INTEGER;
	} else if (cli_is_kw(w, "bigint") || cli_is_kw(w, "int8")) {
		*t = NUMSEQ_BIGINT;
	} else {
		if (w == NULL) {
			(void)snprintf(why, whycap, "AS needs a type: smallint, integer or bigint");
		} else {
			quoted(w, q, sizeof q);
			/* PostgreSQL's message for a type that exists but is not one
			 * of the three, which is what a user means here. */
			(void)snprintf(
				why, whycap,
				"sequence type must be smallint, integer, or bigint (not \"%s\")",
				q);
		}
		return false;
	}
	return true;
}

static bool parse_claims(const char *w, numseq_claims_t *c, char *why, size_t whycap)
{
	char q[48];

	if (cli_is_kw(w, "SEQUENCE")) {
		*c = NUMSEQ_CLAIMS_SEQUENCE;
	} else if (cli_is_kw(w, "LOWEST_FREE")) {
		*c = NUMSEQ_CLAIMS_LOWEST_FREE;
	} else if (cli_is_kw(w, "CYCLIC")) {
		*c = NUMSEQ_CLAIMS_CYCLIC;
	} else if (cli_is_kw(w, "NONE")) {
		*c = NUMSEQ_CLAIMS_NONE;
	} else {
		quoted(w != NULL ? w : "", q, sizeof q);
		(void)snprintf(why, whycap,
		               "CLAIMS must be SEQUENCE, LOWEST_FREE, CYCLIC or NONE (not \"%s\")",
		               q);
		return false;
	}
	return true;
}

/* The value after a keyword (and its optional noise word). */
static const char *value_after(char **words, int n, int *i, const char *noise)
{
	if (noise != NULL && *i < n && cli_is_kw(words[*i], noise))
		(*i)++;
	if (*i >= n)
		return NULL;
	return words[(*i)++];
}

static bool number(const char *kw, const char *w, int64_t *v, char *why, size_t whycap)
{
	if (w == NULL) {
		(void)snprintf(why, whycap, "%s needs a number", kw);
		return false;
	}
	return cli_parse_i64(w, v, why, whycap);
}

/* One of the create-only words, at words[*i - 1]; false with why set if it
 * is not one (or is misused). */
static bool create_only(const char *w, char **words, int n, int *i, cli_options_t *out, char *why,
                        size_t whycap)
{
	numseq_options_t *o = &out->o;

	if (cli_is_kw(w, "CLAIMS")) {
		const char *p = value_after(words, n, i, NULL);
		if (p == NULL) {
			(void)snprintf(why, whycap, "CLAIMS needs SEQUENCE, LOWEST_FREE or CYCLIC");
			return false;
		}
		if (!give(o, NUMSEQ_OPT_CLAIMS, why, whycap))
			return false;
		return parse_claims(p, &o->claims, why, whycap);
	}
	if (cli_is_kw(w, "CONFLICT")) {
		if (o->claims_flags & NUMSEQ_CLAIMS_F_CONFLICT) {
			(void)snprintf(why, whycap, "conflicting or redundant options");
			return false;
		}
		o->claims_flags |= NUMSEQ_CLAIMS_F_CONFLICT;
		return true;
	}
	if (cli_is_kw(w, "WINDOW")) {
		const char *p = value_after(words, n, i, NULL);
		if (out->has_window) {
			(void)snprintf(why, whycap, "conflicting or redundant options");
			return false;
		}
		if (p == NULL) {
			(void)snprintf(why, whycap, "WINDOW needs a number");
			return false;
		}
		out->has_window = true;
		return cli_parse_count(p, UINT64_C(1) << 32, &out->window, why, whycap);
	}
	if (cli_is_kw(w, "NAME")) {
		const char *p = value_after(words, n, i, NULL);
		if (p == NULL) {
			(void)snprintf(why, whycap, "NAME needs a name");
			return false;
		}
		if (!give(o, NUMSEQ_OPT_NAME, why, whycap))
			return false;
		o->name = p;
		return true;
	}
	return false;
}

static bool is_create_only(const char *w)
{
	return cli_is_kw(w, "CLAIMS") || cli_is_kw(w, "CONFLICT") || cli_is_kw(w, "WINDOW") ||
	       cli_is_kw(w, "NAME");
}

/* NO MINVALUE | NO MAXVALUE | NO CYCLE; words[*i] follows the NO. */
static bool parse_no(char **words, int n, int *i, numseq_options_t *o, char *why, size_t whycap)
{
	const char *nx = *i < n ? words[(*i)++] : NULL;

	if (cli_is_kw(nx, "MINVALUE")) {
		if (!give(o, NUMSEQ_OPT_MINVALUE | NUMSEQ_OPT_NO_MINVALUE, why, whycap))
			return false;
		o->set &= ~(unsigned)NUMSEQ_OPT_MINVALUE;
	} else if (cli_is_kw(nx, "MAXVALUE")) {
		if (!give(o, NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_NO_MAXVALUE, why, whycap))
			return false;
		o->set &= ~(unsigned)NUMSEQ_OPT_MAXVALUE;
	} else if (cli_is_kw(nx, "CYCLE")) {
		if (!give(o, NUMSEQ_OPT_CYCLE, why, whycap))
			return false;
		o->cycle = false;
	} else {
		(void)snprintf(why, whycap, "NO must be followed by MINVALUE, MAXVALUE or CYCLE");
		return false;
	}
	return true;
}

/* RESTART [[WITH] n]; words[*i] follows the RESTART. */
static bool parse_restart(char **words, int n, int *i, numseq_options_t *o, char *why,
                          size_t whycap)
{
	int64_t v;

	if (o->set & (NUMSEQ_OPT_RESTART | NUMSEQ_OPT_RESTART_WITH)) {
		(void)snprintf(why, whycap, "conflicting or redundant options");
		return false;
	}
	if (cli_is_kw(*i < n ? words[*i] : NULL, "WITH")) {
		if (!number("RESTART WITH", value_after(words, n, i, "WITH"), &v, why, whycap))
			return false;
	} else if (*i < n && (words[*i][0] == '-' || words[*i][0] == '+' ||
	                      isdigit((unsigned char)words[*i][0]))) {
		if (!cli_parse_i64(words[(*i)++], &v, why, whycap))
			return false;
	} else {
		o->set |= NUMSEQ_OPT_RESTART;
		return true;
	}
	o->set |= NUMSEQ_OPT_RESTART_WITH;
	o->restart = v;
	return true;
}

/* KEYWORD n for the numeric options; false with why if w is none of them
 * (*known = false) or its value is bad. */
static bool parse_numeric(const char *w, char **words, int n, int *i, numseq_options_t *o,
                          bool *known, char *why, size_t whycap)
{
	static const struct {
		const char *kw, *noise;
		unsigned bit, clears;
	} tab[] = {
		{"INCREMENT", "BY", NUMSEQ_OPT_INCREMENT, 0},
		{"START", "WITH", NUMSEQ_OPT_START, 0},
		{"MINVALUE", NULL, NUMSEQ_OPT_MINVALUE | NUMSEQ_OPT_NO_MINVALUE,
	         NUMSEQ_OPT_NO_MINVALUE},
		{"MAXVALUE", NULL, NUMSEQ_OPT_MAXVALUE | NUMSEQ_OPT_NO_MAXVALUE,
	         NUMSEQ_OPT_NO_MAXVALUE},
		{"CACHE", NULL, NUMSEQ_OPT_CACHE, 0},
	};
	int64_t *const field[] = {&o->increment, &o->start, &o->minvalue, &o->maxvalue, &o->cache};
	int64_t v;

	for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
		if (!cli_is_kw(w, tab[k].kw))
			continue;
		*known = true;
		if (!number(tab[k].kw, value_after(words, n, i, tab[k].noise), &v, why, whycap) ||
		    !give(o, tab[k].bit, why, whycap))
			return false;
		o->set &= ~tab[k].clears;
		*field[k] = v;
		return true;
	}
	*known = false;
	return false;
}

bool cli_parse_options(char **words, int n, bool for_alter, cli_options_t *out, char *why,
                       size_t whycap)
{
	numseq_options_t *o = &out->o;
	int i = 0;
	char q[48];

	memset(out, 0, sizeof *out);
	numseq_options_init(o);
	while (i < n) {
		const char *w = words[i++];
		bool known = false;
		bool ok;

		if (cli_is_kw(w, "AS")) {
			ok = parse_type(value_after(words, n, &i, NULL), &o->type, why, whycap) &&
			     give(o, NUMSEQ_OPT_TYPE, why, whycap);
		} else if (cli_is_kw(w, "CYCLE")) {
			ok = give(o, NUMSEQ_OPT_CYCLE, why, whycap);
			o->cycle = true;
		} else if (cli_is_kw(w, "NO")) {
			ok = parse_no(words, n, &i, o, why, whycap);
		} else if (cli_is_kw(w, "RESTART")) {
			ok = parse_restart(words, n, &i, o, why, whycap);
		} else if (is_create_only(w)) {
			if (for_alter) {
				quoted(w, q, sizeof q);
				(void)snprintf(why, whycap, "%s can only be given at create", q);
				return false;
			}
			ok = create_only(w, words, n, &i, out, why, whycap);
		} else {
			ok = parse_numeric(w, words, n, &i, o, &known, why, whycap);
			if (!known) {
				quoted(w, q, sizeof q);
				(void)snprintf(why, whycap, "unknown option \"%s\"", q);
			}
		}
		if (!ok)
			return false;
	}
	if (o->claims_flags != 0 && (o->set & NUMSEQ_OPT_CLAIMS) == 0) {
		(void)snprintf(why, whycap, "CONFLICT needs CLAIMS SEQUENCE");
		return false;
	}
	return true;
}

const char *cli_type_name(int type)
{
	switch (type) {
	case NUMSEQ_SMALLINT: return "smallint";
	case NUMSEQ_INTEGER: return "integer";
	case NUMSEQ_BIGINT: return "bigint";
	default: return "?";
	}
}

const char *cli_claims_name(int claims)
{
	switch (claims) {
	case NUMSEQ_CLAIMS_NONE: return "none";
	case NUMSEQ_CLAIMS_SEQUENCE: return "sequence";
	case NUMSEQ_CLAIMS_LOWEST_FREE: return "lowest_free";
	case NUMSEQ_CLAIMS_CYCLIC: return "cyclic";
	default: return "?";
	}
}
