/*
 * test_create.c - CREATE SEQUENCE: defaults, validation order, messages.
 *
 * Expected values: PostgreSQL 15.18, the SQL in each comment.  Defaults are
 * read back with numseq_get_options and compared with the pg_sequences row
 * (data_type, start_value, min_value, max_value, increment_by, cycle,
 * cache_size).
 */
#include "unit_common.h"

/* ------------------------------------------------------------- defaults */

/* CREATE SEQUENCE s;
 *   bigint | 1 | 1 | 9223372036854775807 | 1 | f | 1
 * SELECT last_value, is_called FROM s;  ->  1 | f */
static void test_defaults_ascending_bigint(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = 0);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	READ_IS(s, 1, false);
	seq_free(&s);
}

/* A NULL options pointer means CREATE SEQUENCE with nothing given; the name
 * defaults to "numseq" (header).  A sequence called "numseq" in PostgreSQL:
 * CREATE SEQUENCE numseq MAXVALUE 2; nextval x2 -> 1, 2; nextval ->
 *   ERROR 2200H nextval: reached maximum value of sequence "numseq" (2) */
static void test_defaults_null_options_and_name(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	assert_rc(numseq_create(&s, NULL, NULL), NUMSEQ_OK);
	assert_non_null(s);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	numseq_options_t o;
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	assert_non_null(o.name);
	assert_string_equal(o.name, "numseq");
	seq_free(&s);

	numseq_options_t in;
	numseq_options_init(&in);
	in.set = O_MAX;
	in.maxvalue = 2;
	assert_rc(numseq_create(&s, &in, NULL), NUMSEQ_OK);
	NEXTS(s, 1, 2);
	NEXT_FAILS(s, NUMSEQ_EMAXVALUE, "2200H",
	           "nextval: reached maximum value of sequence \"numseq\" (2)");
	seq_free(&s);
}

/* numseq_options_init clears everything: "nothing given". */
static void test_options_init_clears(void **state)
{
	(void)state;
	numseq_options_t o;
	memset(&o, 0x5a, sizeof o);
	numseq_options_init(&o);
	assert_int_equal(o.set, 0);
	numseq_t *s = NULL;
	assert_rc(numseq_create(&s, &o, NULL), NUMSEQ_OK);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
}

/* CREATE SEQUENCE s INCREMENT -1;
 *   bigint | -1 | -9223372036854775808 | -1 | -1 | f | 1 */
static void test_defaults_descending_bigint(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -1, I64MIN, -1, -1, false, 1);
	READ_IS(s, -1, false);
	seq_free(&s);
}

/* CREATE SEQUENCE s AS smallint;              smallint | 1 | 1 | 32767 | 1
 * CREATE SEQUENCE s AS smallint INCREMENT -1; smallint | -1 | -32768 | -1 | -1
 * CREATE SEQUENCE s AS integer;               integer | 1 | 1 | 2147483647 | 1
 * CREATE SEQUENCE s AS integer INCREMENT -1;  integer | -1 | -2147483648 | -1 | -1
 * CREATE SEQUENCE s AS bigint INCREMENT -1 MAXVALUE 100;
 *                                    bigint | 100 | -9223372036854775808 | 100 | -1 */
static void test_defaults_per_type(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_TYPE, .type = NUMSEQ_SMALLINT);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 32767, 1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_SMALLINT, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, -1, -32768, -1, -1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_TYPE, .type = NUMSEQ_INTEGER);
	OPTIONS_ARE(s, NUMSEQ_INTEGER, 1, 1, 2147483647, 1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_INTEGER, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_INTEGER, -1, -2147483648LL, -1, -1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_INC | O_MAX, .type = NUMSEQ_BIGINT, .increment = -1,
	        .maxvalue = 100);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 100, I64MIN, 100, -1, false, 1);
	READ_IS(s, 100, false);
	seq_free(&s);
}

/* START defaults to MINVALUE (ascending) / MAXVALUE (descending), given or
 * defaulted:
 * CREATE SEQUENCE s INCREMENT 5 MINVALUE -10;     start -10, max 9223372036854775807
 * CREATE SEQUENCE s MAXVALUE -20 MINVALUE -30;    start -30, [-30,-20], inc 1
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE -5;     start -1, [-5,-1]
 * CREATE SEQUENCE s INCREMENT -1 MAXVALUE 5 MINVALUE 1;  start 5, [1,5] */
static void test_defaults_start_follows_bounds(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_MIN, .increment = 5, .minvalue = -10);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -10, -10, I64MAX, 5, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_MAX | O_MIN, .maxvalue = -20, .minvalue = -30);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -30, -30, -20, 1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_MIN, .increment = -1, .minvalue = -5);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -1, -5, -1, -1, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_INC | O_MAX | O_MIN, .increment = -1, .maxvalue = 5, .minvalue = 1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 5, 1, 5, -1, false, 1);
	seq_free(&s);
}

/* Every option given:
 * CREATE SEQUENCE s AS int2 START 5 INCREMENT -3 MINVALUE -10 MAXVALUE 10
 *   CYCLE CACHE 7;   smallint | 5 | -10 | 10 | -3 | t | 7 */
static void test_all_options_given(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_TYPE | O_START | O_INC | O_MIN | O_MAX | O_CYCLE | O_CACHE,
	                  .type = NUMSEQ_SMALLINT, .start = 5, .increment = -3, .minvalue = -10,
	                  .maxvalue = 10, .cycle = true, .cache = 7);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 5, -10, 10, -3, true, 7);
	READ_IS(s, 5, false);
	seq_free(&s);
}

/* NO MINVALUE / NO MAXVALUE at CREATE mean the default.
 * CREATE SEQUENCE s INCREMENT -1 NO MINVALUE NO MAXVALUE  == INCREMENT -1 */
static void test_no_min_no_max_at_create(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC | O_NOMIN | O_NOMAX, .increment = -1);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -1, I64MIN, -1, -1, false, 1);
	seq_free(&s);
}

/* The CYCLE bit carries .cycle: CYCLE / NO CYCLE; without the bit .cycle is
 * ignored (not given -> NO CYCLE). */
static void test_cycle_bit(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_CYCLE, .cycle = true);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, true, 1);
	seq_free(&s);
	s = SEQ(.set = O_CYCLE, .cycle = false);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
	s = SEQ(.set = 0, .cycle = true);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, 1);
	seq_free(&s);
}

/* Extremes PostgreSQL accepts:
 * CREATE SEQUENCE s INCREMENT -9223372036854775808;
 *   bigint | -1 | -9223372036854775808 | -1 | -9223372036854775808 | f | 1
 * CREATE SEQUENCE s CACHE 9223372036854775807;  cache_size 9223372036854775807
 * CREATE SEQUENCE s AS smallint INCREMENT 100000;  accepted, increment 100000
 * CREATE SEQUENCE s AS smallint MINVALUE -32768 MAXVALUE 32767 INCREMENT 32767;
 *   smallint | -32768 | -32768 | 32767 | 32767 */
static void test_extremes_accepted(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_INC, .increment = I64MIN);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, -1, I64MIN, -1, I64MIN, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_CACHE, .cache = I64MAX);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, 1, 1, I64MAX, 1, false, I64MAX);
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_INC, .type = NUMSEQ_SMALLINT, .increment = 100000);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, 1, 1, 32767, 100000, false, 1);
	seq_free(&s);
	s = SEQ(.set = O_TYPE | O_MIN | O_MAX | O_INC, .type = NUMSEQ_SMALLINT, .minvalue = -32768,
	        .maxvalue = 32767, .increment = 32767);
	OPTIONS_ARE(s, NUMSEQ_SMALLINT, -32768, -32768, 32767, 32767, false, 1);
	seq_free(&s);
}

/* The full int64 range is one valid sequence; START defaults to MINVALUE.
 * CREATE SEQUENCE s MINVALUE -9223372036854775808 MAXVALUE 9223372036854775807;
 *   start -9223372036854775808 | min -9223372036854775808 | max 9223372036854775807
 * SELECT nextval('s'), nextval('s');
 *   -9223372036854775808 | -9223372036854775807 */
static void test_full_int64_range(void **state)
{
	(void)state;
	numseq_t *s = SEQ(.set = O_MIN | O_MAX, .minvalue = I64MIN, .maxvalue = I64MAX);
	OPTIONS_ARE(s, NUMSEQ_BIGINT, I64MIN, I64MIN, I64MAX, 1, false, 1);
	NEXTS(s, I64MIN, I64MIN + 1);
	seq_free(&s);
}

/* ------------------------------------------------- validation, in order */

/* CREATE SEQUENCE s AS numeric;  ERROR 22023
 *   sequence type must be smallint, integer, or bigint
 * CREATE SEQUENCE s AS numeric INCREMENT 0;  the same (type comes first) */
static void test_bad_type(void **state)
{
	(void)state;
	const char *msg = "sequence type must be smallint, integer, or bigint";
	CREATE_FAILS(NUMSEQ_ETYPE, "22023", msg, .set = O_TYPE, .type = (numseq_type_t)3);
	CREATE_FAILS(NUMSEQ_ETYPE, "22023", msg, .set = O_TYPE, .type = (numseq_type_t)16);
	CREATE_FAILS(NUMSEQ_ETYPE, "22023", msg, .set = O_TYPE, .type = (numseq_type_t)0);
	CREATE_FAILS(NUMSEQ_ETYPE, "22023", msg, .set = O_TYPE | O_INC, .type = (numseq_type_t)1,
	             .increment = 0);
}

/* CREATE SEQUENCE s INCREMENT 0 MINVALUE 10 MAXVALUE 5 CACHE 0;
 *   ERROR 22023 INCREMENT must not be zero */
static void test_increment_zero_first(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_EINCREMENT, "22023", "INCREMENT must not be zero",
	             .set = O_INC | O_MIN | O_MAX | O_CACHE, .increment = 0, .minvalue = 10,
	             .maxvalue = 5, .cache = 0);
	CREATE_FAILS(NUMSEQ_EINCREMENT, "22023", "INCREMENT must not be zero", .set = O_INC,
	             .increment = 0);
}

/* CREATE SEQUENCE s AS smallint MAXVALUE 100000 MINVALUE 200000;
 *   MAXVALUE (100000) is out of range for sequence data type smallint
 * CREATE SEQUENCE s AS smallint MAXVALUE 40000;
 *   MAXVALUE (40000) is out of range for sequence data type smallint
 * CREATE SEQUENCE s AS integer MAXVALUE 2147483648;
 *   MAXVALUE (2147483648) is out of range for sequence data type integer
 * CREATE SEQUENCE s AS smallint INCREMENT -1 MAXVALUE -40000 MINVALUE -50000;
 *   MAXVALUE (-40000) is out of range for sequence data type smallint */
static void test_maxvalue_type_range(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MAXVALUE (100000) is out of range for sequence data type smallint",
	             .set = O_TYPE | O_MAX | O_MIN, .type = NUMSEQ_SMALLINT, .maxvalue = 100000,
	             .minvalue = 200000);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MAXVALUE (40000) is out of range for sequence data type smallint",
	             .set = O_TYPE | O_MAX, .type = NUMSEQ_SMALLINT, .maxvalue = 40000);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MAXVALUE (2147483648) is out of range for sequence data type integer",
	             .set = O_TYPE | O_MAX, .type = NUMSEQ_INTEGER, .maxvalue = 2147483648LL);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MAXVALUE (-40000) is out of range for sequence data type smallint",
	             .set = O_TYPE | O_INC | O_MAX | O_MIN, .type = NUMSEQ_SMALLINT,
	             .increment = -1, .maxvalue = -40000, .minvalue = -50000);
}

/* CREATE SEQUENCE s AS smallint MINVALUE -100000;
 *   MINVALUE (-100000) is out of range for sequence data type smallint
 * CREATE SEQUENCE s AS integer MINVALUE -2147483649;
 *   MINVALUE (-2147483649) is out of range for sequence data type integer
 * CREATE SEQUENCE s AS smallint MINVALUE 40000;   (range before MIN < MAX)
 *   MINVALUE (40000) is out of range for sequence data type smallint */
static void test_minvalue_type_range(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MINVALUE (-100000) is out of range for sequence data type smallint",
	             .set = O_TYPE | O_MIN, .type = NUMSEQ_SMALLINT, .minvalue = -100000);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MINVALUE (-2147483649) is out of range for sequence data type integer",
	             .set = O_TYPE | O_MIN, .type = NUMSEQ_INTEGER, .minvalue = -2147483649LL);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MINVALUE (-2147483649) is out of range for sequence data type integer",
	             .set = O_TYPE | O_INC | O_MIN, .type = NUMSEQ_INTEGER, .increment = -1,
	             .minvalue = -2147483649LL);
	CREATE_FAILS(NUMSEQ_ETYPERANGE, "22023",
	             "MINVALUE (40000) is out of range for sequence data type smallint",
	             .set = O_TYPE | O_MIN, .type = NUMSEQ_SMALLINT, .minvalue = 40000);
}

/* CREATE SEQUENCE s MINVALUE 10 MAXVALUE 5 START 100;
 *   MINVALUE (10) must be less than MAXVALUE (5)
 * CREATE SEQUENCE s MINVALUE 5 MAXVALUE 5;   equal bounds are rejected
 *   MINVALUE (5) must be less than MAXVALUE (5)
 * CREATE SEQUENCE s AS integer MINVALUE 5 MAXVALUE 5 START 9 CACHE 0;
 *   MINVALUE (5) must be less than MAXVALUE (5)
 * CREATE SEQUENCE s INCREMENT -1 MINVALUE 20;   (MAXVALUE defaulted to -1)
 *   MINVALUE (20) must be less than MAXVALUE (-1)
 * CREATE SEQUENCE s MAXVALUE -20;               (MINVALUE defaulted to 1)
 *   MINVALUE (1) must be less than MAXVALUE (-20) */
static void test_min_must_be_less_than_max(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_EMINMAX, "22023", "MINVALUE (10) must be less than MAXVALUE (5)",
	             .set = O_MIN | O_MAX | O_START, .minvalue = 10, .maxvalue = 5, .start = 100);
	CREATE_FAILS(NUMSEQ_EMINMAX, "22023", "MINVALUE (5) must be less than MAXVALUE (5)",
	             .set = O_MIN | O_MAX, .minvalue = 5, .maxvalue = 5);
	CREATE_FAILS(NUMSEQ_EMINMAX, "22023", "MINVALUE (5) must be less than MAXVALUE (5)",
	             .set = O_TYPE | O_MIN | O_MAX | O_START | O_CACHE, .type = NUMSEQ_INTEGER,
	             .minvalue = 5, .maxvalue = 5, .start = 9, .cache = 0);
	CREATE_FAILS(NUMSEQ_EMINMAX, "22023", "MINVALUE (20) must be less than MAXVALUE (-1)",
	             .set = O_INC | O_MIN, .increment = -1, .minvalue = 20);
	CREATE_FAILS(NUMSEQ_EMINMAX, "22023", "MINVALUE (1) must be less than MAXVALUE (-20)",
	             .set = O_MAX, .maxvalue = -20);
}

/* CREATE SEQUENCE s START 0 CACHE 0;
 *   START value (0) cannot be less than MINVALUE (1)
 * CREATE SEQUENCE s INCREMENT -1 START 10;
 *   START value (10) cannot be greater than MAXVALUE (-1)
 * CREATE SEQUENCE s START 101 MAXVALUE 100;
 *   START value (101) cannot be greater than MAXVALUE (100)
 * CREATE SEQUENCE s MINVALUE 10 MAXVALUE 20 START 25 CACHE 0;
 *   START value (25) cannot be greater than MAXVALUE (20)
 * CREATE SEQUENCE s AS smallint START 40000;
 *   START value (40000) cannot be greater than MAXVALUE (32767)
 * CREATE SEQUENCE s AS smallint INCREMENT -1 START -40000;
 *   START value (-40000) cannot be less than MINVALUE (-32768) */
static void test_start_outside_bounds(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_ESTART, "22023", "START value (0) cannot be less than MINVALUE (1)",
	             .set = O_START | O_CACHE, .start = 0, .cache = 0);
	CREATE_FAILS(NUMSEQ_ESTART, "22023",
	             "START value (10) cannot be greater than MAXVALUE (-1)",
	             .set = O_INC | O_START, .increment = -1, .start = 10);
	CREATE_FAILS(NUMSEQ_ESTART, "22023",
	             "START value (101) cannot be greater than MAXVALUE (100)",
	             .set = O_START | O_MAX, .start = 101, .maxvalue = 100);
	CREATE_FAILS(NUMSEQ_ESTART, "22023",
	             "START value (25) cannot be greater than MAXVALUE (20)",
	             .set = O_MIN | O_MAX | O_START | O_CACHE, .minvalue = 10, .maxvalue = 20,
	             .start = 25, .cache = 0);
	CREATE_FAILS(NUMSEQ_ESTART, "22023",
	             "START value (40000) cannot be greater than MAXVALUE (32767)",
	             .set = O_TYPE | O_START, .type = NUMSEQ_SMALLINT, .start = 40000);
	CREATE_FAILS(NUMSEQ_ESTART, "22023",
	             "START value (-40000) cannot be less than MINVALUE (-32768)",
	             .set = O_TYPE | O_INC | O_START, .type = NUMSEQ_SMALLINT, .increment = -1,
	             .start = -40000);
}

/* CREATE SEQUENCE s CACHE 0;   CACHE (0) must be greater than zero
 * CREATE SEQUENCE s CACHE -5;  CACHE (-5) must be greater than zero */
static void test_cache_must_be_positive(void **state)
{
	(void)state;
	CREATE_FAILS(NUMSEQ_ECACHE, "22023", "CACHE (0) must be greater than zero", .set = O_CACHE,
	             .cache = 0);
	CREATE_FAILS(NUMSEQ_ECACHE, "22023", "CACHE (-5) must be greater than zero", .set = O_CACHE,
	             .cache = -5);
	CREATE_FAILS(NUMSEQ_ECACHE, "22023",
	             "CACHE (-9223372036854775808) must be greater than zero", .set = O_CACHE,
	             .cache = I64MIN);
}

/* Conflicting options are refused before any validation (SQLSTATE 42601):
 * CREATE SEQUENCE s MINVALUE 1 NO MINVALUE;  conflicting or redundant options
 * CREATE SEQUENCE s MAXVALUE 1 NO MAXVALUE;  conflicting or redundant options
 * CREATE SEQUENCE s INCREMENT 0 MINVALUE 1 NO MINVALUE;
 *   conflicting or redundant options   (not "INCREMENT must not be zero") */
static void test_conflicting_options(void **state)
{
	(void)state;
	const char *msg = "conflicting or redundant options";
	CREATE_FAILS(NUMSEQ_EOPTION, "42601", msg, .set = O_MIN | O_NOMIN, .minvalue = 1);
	CREATE_FAILS(NUMSEQ_EOPTION, "42601", msg, .set = O_MAX | O_NOMAX, .maxvalue = 1);
	CREATE_FAILS(NUMSEQ_EOPTION, "42601", msg, .set = O_INC | O_MIN | O_NOMIN, .increment = 0,
	             .minvalue = 1);
}

/* As in PostgreSQL, CREATE accepts RESTART [WITH]:
 *   CREATE SEQUENCE a START 1 RESTART WITH 5; SELECT nextval('a');  -> 5
 *   CREATE SEQUENCE c START 3 RESTART; SELECT nextval('c');          -> 3
 *   CREATE SEQUENCE b START 3 RESTART WITH 0;
 *     ERROR 22023 RESTART value (0) cannot be less than MINVALUE (1)
 *   CREATE SEQUENCE d START 3 RESTART WITH 7 CACHE 0;
 *     ERROR 22023 CACHE (0) must be greater than zero
 * Unknown bits are refused (numseq's own check, before validation). */
static void test_alter_only_and_unknown_bits(void **state)
{
	numseq_t *s = NULL;
	numseq_options_t o;
	int64_t v;
	(void)state;

	numseq_options_init(&o);
	o.set = O_START | O_RESTART_WITH;
	o.start = 1;
	o.restart = 5;
	assert_rc(numseq_create(&s, &o, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_int_equal(v, 5);
	seq_free(&s);

	numseq_options_init(&o);
	o.set = O_START | O_RESTART;
	o.start = 3;
	assert_rc(numseq_create(&s, &o, NULL), NUMSEQ_OK);
	assert_rc(numseq_nextval(s, &v, NULL), NUMSEQ_OK);
	assert_int_equal(v, 3);
	seq_free(&s);

	CREATE_FAILS(NUMSEQ_ERESTART, "22023", "RESTART value (0) cannot be less than MINVALUE (1)",
	             .set = O_START | O_RESTART_WITH, .start = 3, .restart = 0);
	CREATE_FAILS(NUMSEQ_ECACHE, "22023", "CACHE (0) must be greater than zero",
	             .set = O_START | O_RESTART_WITH | O_CACHE, .start = 3, .restart = 7,
	             .cache = 0);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, NULL, .set = O_RESTART | O_RESTART_WITH, .restart = 5);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, NULL, .set = 1u << 13);
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, NULL, .set = 1u << 31);
	/* unknown bits are refused before validation too */
	CREATE_FAILS(NUMSEQ_EOPTION, NULL, NULL, .set = O_INC | (1u << 20), .increment = 0);
}

/* Names: 1..63 bytes (PostgreSQL's NAMEDATALEN - 1).  PostgreSQL truncates
 * a longer identifier with a NOTICE; numseq refuses it (NUMSEQ_ENAME), and
 * refuses the empty name (PostgreSQL: zero-length delimited identifier).
 * A 63-byte name appears whole in messages:
 * CREATE SEQUENCE "abcdefghij...abc" (63 bytes);
 * SELECT setval('"abcdefghij...abc"', -9223372036854775808);
 *   ERROR 22003 setval: value -9223372036854775808 is out of bounds for
 *   sequence "abcdefghij...abc" (1..9223372036854775807) */
static void test_names(void **state)
{
	(void)state;
	char n63[64], n64[65];
	for (int i = 0; i < 63; i++)
		n63[i] = (char)('a' + i % 10);
	n63[63] = '\0';
	memcpy(n64, n63, 63);
	n64[63] = 'x';
	n64[64] = '\0';
	assert_string_equal(n63, "abcdefghijabcdefghijabcdefghijabcdefghij"
	                         "abcdefghijabcdefghijabc");

	CREATE_FAILS(NUMSEQ_ENAME, NULL, NULL, .set = O_NAME, .name = n64);
	CREATE_FAILS(NUMSEQ_ENAME, NULL, NULL, .set = O_NAME, .name = "");

	numseq_t *s = SEQ(.set = O_NAME, .name = n63);
	numseq_options_t o;
	assert_rc(numseq_get_options(s, &o), NUMSEQ_OK);
	assert_string_equal(o.name, n63);
	numseq_error_t e;
	int rc = numseq_setval(s, I64MIN, true, &e);
	CHECK_ERR(rc, &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value -9223372036854775808 is out of bounds for sequence "
	          "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc\""
	          " (1..9223372036854775807)");
	seq_free(&s);

	/* The name is copied: the caller's buffer may change afterwards. */
	char buf[8] = "my seq";
	s = SEQ(.set = O_NAME | O_MAX, .name = buf, .maxvalue = 10);
	strcpy(buf, "other");
	/* CREATE SEQUENCE "my seq" MAXVALUE 10; SELECT setval('"my seq"', 11);
	 *   setval: value 11 is out of bounds for sequence "my seq" (1..10) */
	rc = numseq_setval(s, 11, true, &e);
	CHECK_ERR(rc, &e, NUMSEQ_ESETVAL, "22003",
	          "setval: value 11 is out of bounds for sequence \"my seq\" (1..10)");
	seq_free(&s);
}

/* A NULL name with the NAME bit set is a bad argument, not a crash.  The
 * header does not say which code: ENAME or EINVAL are both accepted. */
static void test_null_name(void **state)
{
	(void)state;
	numseq_error_t e;
	int rc = seq_try(OPTS(.set = O_NAME, .name = NULL), &e);
	if (rc != NUMSEQ_ENAME && rc != NUMSEQ_EINVAL)
		fail_msg("NULL name gave %d (%s)", rc, numseq_strerror(rc));
}

/* NULL out pointer: EINVAL, never a crash; err receives the code. */
static void test_create_null_out(void **state)
{
	(void)state;
	numseq_error_t e;
	memset(&e, 0, sizeof e);
	assert_rc(numseq_create(NULL, NULL, &e), NUMSEQ_EINVAL);
	assert_int_equal(e.code, NUMSEQ_EINVAL);
	assert_rc(numseq_create(NULL, NULL, NULL), NUMSEQ_EINVAL);
}

/* A failed create must not hand back a sequence: *out (NULL before the
 * call) is still NULL afterwards. */
static void test_failed_create_returns_no_handle(void **state)
{
	(void)state;
	numseq_t *s = NULL;
	numseq_options_t o = OPTS(.set = O_CACHE, .cache = 0);
	assert_rc(numseq_create(&s, &o, NULL), NUMSEQ_ECACHE);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_ascending_bigint),
		T(test_defaults_null_options_and_name),
		T(test_options_init_clears),
		T(test_defaults_descending_bigint),
		T(test_defaults_per_type),
		T(test_defaults_start_follows_bounds),
		T(test_all_options_given),
		T(test_no_min_no_max_at_create),
		T(test_cycle_bit),
		T(test_extremes_accepted),
		T(test_full_int64_range),
		T(test_bad_type),
		T(test_increment_zero_first),
		T(test_maxvalue_type_range),
		T(test_minvalue_type_range),
		T(test_min_must_be_less_than_max),
		T(test_start_outside_bounds),
		T(test_cache_must_be_positive),
		T(test_conflicting_options),
		T(test_alter_only_and_unknown_bits),
		T(test_names),
		T(test_null_name),
		T(test_create_null_out),
		T(test_failed_create_returns_no_handle),
	};
	return cmocka_run_group_tests_name("create", tests, NULL, NULL);
}
