/* unit_json: strict reading (RFC 8259, RFC 3629) and writing on json-c, src/jsonio.c. */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "tap.h"

struct row {
	const char *name;
	const char *text;
	size_t len;			/* 0: strlen(text) */
	bool ok;
	enum json_type type;		/* expected root type when ok */
};

static const struct row rows[] = {
	{"object_empty", "{}", 0, true, json_type_object},
	{"array_empty", "[]", 0, true, json_type_array},
	{"whitespace_around", " \t\r\n{\"a\":1}\n ", 0, true, json_type_object},
	{"nested", "{\"a\":[1,{\"b\":null},\"x\",true,false,-0.5e-3]}", 0, true, json_type_object},
	{"bare_number", "42", 0, true, json_type_int},
	{"bare_number_trailing_space", "42 ", 0, true, json_type_int},
	{"bare_string", "\"s\"", 0, true, json_type_string},
	{"bare_true", "true", 0, true, json_type_boolean},
	{"bare_null", "null", 0, true, json_type_null},
	{"negative_int", "-17", 0, true, json_type_int},
	{"int64_max", "9223372036854775807", 0, true, json_type_int},
	{"int64_min", "-9223372036854775808", 0, true, json_type_int},
	{"beyond_int64_2_63_is_double", "9223372036854775808", 0, true, json_type_double},
	{"below_int64_is_double", "-9223372036854775809", 0, true, json_type_double},
	{"beyond_uint64_is_double", "[184467440737095516160]", 0, true, json_type_array},
	{"minus_zero_is_double", "-0", 0, true, json_type_double},
	{"exponent_is_double", "1e3", 0, true, json_type_double},
	{"fraction_is_double", "3600.5", 0, true, json_type_double},
	{"escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", 0, true, json_type_string},
	{"surrogate_pair", "\"\\ud83d\\ude00\"", 0, true, json_type_string},
	{"utf8_two_three_four_bytes", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 0, true, json_type_string},
	{"every_printable_ascii_and_del", "\" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\x7f\"", 0, true, json_type_string},
	{"nul_escape_in_a_value", "{\"a\":\"x\\u0000y\"}", 0, true, json_type_object},
	{"rejects_empty", "", 0, false, 0},
	{"rejects_only_whitespace", "  ", 0, false, 0},
	{"rejects_trailing_comma_object", "{\"a\":1,}", 0, false, 0},
	{"rejects_trailing_comma_array", "[1,]", 0, false, 0},
	{"rejects_trailing_bytes_two_values", "{}{}", 0, false, 0},
	{"rejects_trailing_bytes_garbage", "{} x", 0, false, 0},
	{"rejects_trailing_bytes_after_number", "42 x", 0, false, 0},
	{"rejects_single_quotes", "{'a':1}", 0, false, 0},
	{"rejects_unquoted_key", "{a:1}", 0, false, 0},
	{"rejects_nan", "NaN", 0, false, 0},
	{"rejects_nan_in_array", "[NaN]", 0, false, 0},
	{"rejects_infinity", "[Infinity]", 0, false, 0},
	{"rejects_minus_infinity", "[-Infinity]", 0, false, 0},
	{"rejects_leading_zero", "01", 0, false, 0},
	{"rejects_double_zero", "[00]", 0, false, 0},
	{"rejects_negative_leading_zero", "[-01]", 0, false, 0},
	{"rejects_leading_plus", "+1", 0, false, 0},
	{"rejects_bare_dot", "1.", 0, false, 0},
	{"rejects_dot_before_exponent", "[1.e3]", 0, false, 0},
	{"rejects_hex", "0x10", 0, false, 0},
	{"rejects_exponent_without_digits", "1e", 0, false, 0},
	{"rejects_control_char_in_string", "\"a\x01b\"", 0, false, 0},
	{"rejects_tab_in_string", "[\"a\tb\"]", 0, false, 0},
	{"rejects_newline_in_string", "\"a\nb\"", 0, false, 0},
	{"rejects_unterminated_string", "\"abc", 0, false, 0},
	{"rejects_unterminated_object", "{\"a\":1", 0, false, 0},
	{"rejects_bad_escape", "\"\\x41\"", 0, false, 0},
	{"rejects_short_unicode_escape", "\"\\u12\"", 0, false, 0},
	{"rejects_lone_high_surrogate_escape", "\"\\ud800\"", 0, false, 0},
	{"rejects_lone_low_surrogate_escape", "\"\\udc00\"", 0, false, 0},
	{"rejects_high_surrogate_then_letter", "\"\\ud800\\u0041\"", 0, false, 0},
	{"rejects_invalid_utf8_ff", "\"\xff\"", 0, false, 0},
	{"rejects_overlong_utf8", "\"\xc0\xaf\"", 0, false, 0},
	{"rejects_overlong_utf8_three_bytes", "\"\xe0\x80\xaf\"", 0, false, 0},
	{"rejects_utf8_surrogate", "\"\xed\xa0\x80\"", 0, false, 0},
	{"rejects_above_10ffff", "\"\xf4\x90\x80\x80\"", 0, false, 0},
	{"rejects_truncated_utf8", "\"\xe2\x82\"", 0, false, 0},
	{"rejects_stray_continuation", "\"\x80\"", 0, false, 0},
	{"rejects_utf8_outside_strings", "[1]\xc3\xa9", 0, false, 0},
	{"rejects_nul_byte_after", "{\"a\":1}\0", 8, false, 0},
	{"rejects_nul_byte_in_string", "\"a\0b\"", 5, false, 0},
	{"rejects_nul_escape_in_name", "{\"a\\u0000b\":1}", 0, false, 0},
	{"rejects_nul_escape_in_name_before_space", "{\"ttl\\u0000\" :1}", 0, false, 0},
	{"rejects_missing_colon", "{\"a\" 1}", 0, false, 0},
	{"rejects_literal_prefix", "tru", 0, false, 0},
	{"rejects_uppercase_literal", "True", 0, false, 0},
	{"rejects_comment", "{} // c", 0, false, 0},
	{"long_key", "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"b\":1}}",
	    0, true, json_type_object},
};

static const struct row *cur;

static void
parse_row(void)
{
	struct json_object *root = NULL;
	size_t len = cur->len ? cur->len : strlen(cur->text);
	enum jsonio_status st = jsonio_parse(cur->text, len, 32, &root);

	EXPECT((st == JSONIO_OK) == cur->ok);
	if (st != JSONIO_OK)
		EXPECT(st == JSONIO_SYNTAX);
	if (st == JSONIO_OK && cur->ok)
		EXPECT(json_object_get_type(root) == cur->type);
	json_object_put(root);
}

/* Parses t, which must be JSON, for the cases below (NULL if it is not). */
static struct json_object *
parse(const char *t, int depth)
{
	struct json_object *root = NULL;

	if (jsonio_parse(t, strlen(t), depth, &root) != JSONIO_OK)
		return NULL;
	return root;
}

static char *
nested(size_t depth)
{
	char *s = malloc(2 * depth + 1);
	size_t i;

	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[2 * depth - 1 - i] = ']';
	}
	s[2 * depth] = '\0';
	return s;
}

static void
depth_limit_is_inclusive(void)
{
	char *s = nested(32);
	struct json_object *root = parse(s, 32);

	EXPECT(root != NULL);
	json_object_put(root);
	free(s);
}

static void
depth_over_the_limit_refused(void)
{
	char *s = nested(33), *t = nested(9);
	struct json_object *root = NULL;

	EXPECT(jsonio_parse(s, strlen(s), 32, &root) == JSONIO_SYNTAX);
	/* A smaller limit (a token's parts: 8) holds with the same tokener. */
	EXPECT(jsonio_parse(t, strlen(t), 8, &root) == JSONIO_SYNTAX);
	EXPECT(jsonio_parse(t, strlen(t), 9, &root) == JSONIO_OK);
	json_object_put(root);
	free(s);
	free(t);
}

static void
deep_hostile_nesting_refused_without_recursion_blowup(void)
{
	char *s = nested(100000);
	struct json_object *root = NULL;

	EXPECT(jsonio_parse(s, strlen(s), 32, &root) == JSONIO_SYNTAX);
	EXPECT(root == NULL);
	free(s);
}

static void
escapes_decode_to_utf8(void)
{
	struct json_object *root =
	    parse("\"\\u00e9\\ud83d\\ude00\\n\\/\\\"\\\\\\b\\f\\r\\t\"", 4);

	EXPECT_STR(json_object_get_string(root),
	    "\xc3\xa9\xf0\x9f\x98\x80\n/\"\\\b\f\r\t");
	json_object_put(root);
}

static void
nul_escape_in_a_value_is_no_plain_string(void)
{
	struct json_object *root = parse("\"a\\u0000b\"", 4);
	const char *s = NULL;
	size_t len = 0;

	EXPECT(json_object_get_string_len(root) == 3);
	EXPECT(!jsonio_plain_string(root, &s, &len));
	json_object_put(root);
	root = parse("\"ab\"", 4);
	EXPECT(jsonio_plain_string(root, &s, &len) && len == 2 &&
	    strcmp(s, "ab") == 0);
	json_object_put(root);
}

static void
duplicate_names_last_wins(void)
{
	struct json_object *root = parse("{\"ttl\":1,\"x\":0,\"ttl\":2}", 4), *v;
	int64_t n = 0;

	EXPECT(json_object_object_length(root) == 2);
	EXPECT(json_object_object_get_ex(root, "ttl", &v) &&
	    jsonio_int(v, 0, 10, &n) && n == 2);
	json_object_put(root);
}

/* What jsonio_int takes for an integer in [0, UINT32_MAX]: json_type_int only. */
static bool
reads_as_u32(const char *t)
{
	struct json_object *root = parse(t, 4), *v = NULL;
	int64_t n;
	bool ok;

	ok = root != NULL && json_object_object_get_ex(root, "ttl", &v) &&
	    jsonio_int(v, 0, UINT32_MAX, &n);
	json_object_put(root);
	return ok;
}

static void
int_3600_is_an_integer(void)
{
	EXPECT(reads_as_u32("{\"ttl\":3600}"));
	EXPECT(reads_as_u32("{\"ttl\":0}"));
	EXPECT(reads_as_u32("{\"ttl\":4294967295}"));
}

static void
int_refuses_1e3(void)
{
	EXPECT(!reads_as_u32("{\"ttl\":1e3}"));
}

static void
int_refuses_3600_5(void)
{
	EXPECT(!reads_as_u32("{\"ttl\":3600.5}"));
	EXPECT(!reads_as_u32("{\"ttl\":3600.0}"));
}

static void
int_refuses_string_3600(void)
{
	EXPECT(!reads_as_u32("{\"ttl\":\"3600\"}"));
}

static void
int_refuses_2_pow_63_and_beyond(void)
{
	struct json_object *root = parse("[9223372036854775808,18446744073709551615,"
	    "18446744073709551616,-9223372036854775809]", 4);
	int64_t n;
	size_t i;

	EXPECT(root != NULL && json_object_array_length(root) == 4);
	for (i = 0; root != NULL && i < 4; i++)
		EXPECT(!jsonio_int(json_object_array_get_idx(root, i), INT64_MIN,
		    INT64_MAX, &n));
	json_object_put(root);
	EXPECT(!reads_as_u32("{\"ttl\":4294967296}"));
}

/* -0 would otherwise read as 0: an unlimited token. */
static void
int_refuses_minus_zero(void)
{
	EXPECT(!reads_as_u32("{\"ttl\":-0}"));
	EXPECT(!reads_as_u32("{\"ttl\":-1}"));
}

static void
int_refuses_bool_and_null(void)
{
	EXPECT(!reads_as_u32("{\"ttl\":true}"));
	EXPECT(!reads_as_u32("{\"ttl\":null}"));
}

/* The numbers the old parser kept as written still echo as written. */
static void
widened_numbers_keep_their_value(void)
{
	struct json_object *root = parse("[-0,9223372036854775808]", 4);
	struct buf b;

	buf_init(&b);
	EXPECT(root != NULL);
	EXPECT(jsonio_write(&b, root));
	EXPECT_STR(b.data, "[-0.0,9223372036854775808.0]");
	buf_free(&b);
	json_object_put(root);
}

static void
writer_escapes_and_keeps_member_order(void)
{
	struct json_object *o = json_object_new_object();
	struct buf b;

	buf_init(&b);
	EXPECT(jsonio_add(o, "z", json_object_new_string("a\"b\\c/d\n\x01")));
	EXPECT(jsonio_add(o, "a", json_object_new_int64(-5)));
	EXPECT(jsonio_add(o, "m", json_object_new_boolean(1)));
	EXPECT(jsonio_add_null(o, "n"));
	EXPECT(jsonio_add(o, "s", json_object_new_string_len("x\0y", 3)));
	EXPECT(jsonio_write(&b, o));
	EXPECT_STR(b.data, "{\"z\":\"a\\\"b\\\\c/d\\n\\u0001\",\"a\":-5,\"m\":true,"
	    "\"n\":null,\"s\":\"x\\u0000y\"}");
	json_object_put(o);
	buf_free(&b);
}

/* jsonio_add of a failed creation reports it, and owns nothing. */
static void
add_of_null_value_fails(void)
{
	struct json_object *o = json_object_new_object();

	EXPECT(!jsonio_add(o, "a", NULL));
	EXPECT(json_object_object_length(o) == 0);
	json_object_put(o);
}

/* Texts beyond the writer's reserve are written whole too. */
static void
writer_handles_a_large_text(void)
{
	size_t n = 40000;
	char *s = malloc(n);
	struct json_object *v;
	struct buf b;

	memset(s, 'q', n);
	v = json_object_new_string_len(s, (int)n);
	buf_init(&b);
	EXPECT(jsonio_write(&b, v));
	EXPECT(b.len == n + 2 && b.data[0] == '"' && b.data[n + 1] == '"');
	buf_free(&b);
	json_object_put(v);
	free(s);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cur = &rows[i];
		tap_case = cur->name;
		tap_failed_here = 0;
		parse_row();
		tap_count++;
		if (tap_failed_here)
			tap_failed++;
		printf("%s %d - json_%s\n", tap_failed_here ? "not ok" : "ok",
		    tap_count, cur->name);
	}
	RUN(depth_limit_is_inclusive);
	RUN(depth_over_the_limit_refused);
	RUN(deep_hostile_nesting_refused_without_recursion_blowup);
	RUN(escapes_decode_to_utf8);
	RUN(nul_escape_in_a_value_is_no_plain_string);
	RUN(duplicate_names_last_wins);
	RUN(int_3600_is_an_integer);
	RUN(int_refuses_1e3);
	RUN(int_refuses_3600_5);
	RUN(int_refuses_string_3600);
	RUN(int_refuses_2_pow_63_and_beyond);
	RUN(int_refuses_minus_zero);
	RUN(int_refuses_bool_and_null);
	RUN(widened_numbers_keep_their_value);
	RUN(writer_escapes_and_keeps_member_order);
	RUN(add_of_null_value_fails);
	RUN(writer_handles_a_large_text);
	return tap_done();
}
