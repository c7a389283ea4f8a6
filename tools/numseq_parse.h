/*
 * numseq_parse.h - the `numseq` tool's parser: numbers, words, and
 * CREATE / ALTER SEQUENCE options in PostgreSQL's words (tools/ only; not
 * installed, not part of the library).
 *
 * Everything here works on caller-owned strings and allocates nothing.
 * Every function takes untrusted input (argv, lines of standard input)
 * and reports a problem through its return value and a message buffer;
 * none of them aborts.
 */
#ifndef NUMSEQ_TOOL_PARSE_H
#define NUMSEQ_TOOL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <numseq.h>

#define CLI_MAX_WORDS 64
#define CLI_WHY_MAX 160

/* Options of `create` / `alter` (and the same words inside `run`). */
typedef struct cli_options {
	numseq_options_t o; /* .name points into the caller's words */
	bool has_window;    /* WINDOW n (create only) */
	uint64_t window;
} cli_options_t;

/* Splits line in place at blanks (space, tab, CR, LF, VT, FF) into at most
 * max words.  Returns the number of words, or -1 when there are more than
 * max. */
int cli_split(char *line, char **words, int max);

/* A whole decimal int64 ("-12", "+7"; no blanks, no fraction).  On failure
 * why gets PostgreSQL's message for the input: `invalid input syntax for
 * type bigint: "x"` or `value "x" is out of range for type bigint`. */
bool cli_parse_i64(const char *s, int64_t *out, char *why, size_t whycap);

/* A count 1 .. max (for -n K, WINDOW n). */
bool cli_parse_count(const char *s, uint64_t max, uint64_t *out, char *why, size_t whycap);

/* true/false/t/f/yes/no/on/off/1/0, as PostgreSQL reads a boolean. */
bool cli_parse_bool(const char *s, bool *out);

/* Case-insensitive keyword test; NULL never matches. */
bool cli_is_kw(const char *word, const char *kw);

/* Parses words[0..n) as CREATE SEQUENCE options (for_alter = false: also
 * CLAIMS, CONFLICT, WINDOW and NAME) or ALTER SEQUENCE options (for_alter =
 * true: also RESTART [[WITH] n]; RESTART is accepted at create too, as
 * PostgreSQL does).  A repeated option is PostgreSQL's "conflicting or
 * redundant options".  Returns false with a message in why. */
bool cli_parse_options(char **words, int n, bool for_alter, cli_options_t *out, char *why,
                       size_t whycap);

/* Names for output. */
const char *cli_type_name(int type);
const char *cli_claims_name(int claims);

#endif
