/* unit_json: the strict JSON parser, RFC 8259 grammar and RFC 3629 UTF-8. */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

struct row {
	const char *name;
	const char *text;
	size_t len;			/* 0: strlen(text) */
	bool ok;
	json_type type;			/* expected root type when ok */
};

static const struct row rows[] = {
	{"object_empty", "{}", 0, true, json_type_object},
	{"array_empty", "[]", 0, true, json_type_array},
	{"whitespace_around", " \t\r\n{\"a\":1}\n ", 0, true, json_type_object},
	{"nested", "{\"a\":[1,{\"b\":null},\"x\",true,false,-0.5e-3]}", 0, true, json_type_object},
	{"bare_number", "42", 0, true, json_type_int},
	{"bare_string", "\"s\"", 0, true, json_type_string},
	{"bare_true", "true", 0, true, json_type_boolean},
	{"bare_null", "null", 0, true, json_type_null},
	{"negative_int", "-17", 0, true, json_type_int},
	{"uint64_max", "18446744073709551615", 0, true, json_type_int},
	{"beyond_uint64_is_double", "18446744073709551616", 0, true, json_type_double},
	{"exponent_is_double", "1e3", 0, true, json_type_double},
	{"fraction_is_double", "3600.5", 0, true, json_type_double},
	{"escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", 0, true, json_type_string},
	{"surrogate_pair", "\"\\ud83d\\ude00\"", 0, true, json_type_string},
	{"utf8_two_three_four_bytes", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 0, true, json_type_string},
	{"rejects_empty", "", 0, false, 0},
	{"rejects_only_whitespace", "  ", 0, false, 0},
	{"rejects_trailing_comma_object", "{\"a\":1,}", 0, false, 0},
	{"rejects_trailing_comma_array", "[1,]", 0, false, 0},
	{"rejects_two_values", "{}{}", 0, false, 0},
	{"rejects_garbage_after", "{} x", 0, false, 0},
	{"rejects_single_quotes", "{'a':1}", 0, false, 0},
	{"rejects_unquoted_key", "{a:1}", 0, false, 0},
	{"rejects_nan", "NaN", 0, false, 0},
	{"rejects_infinity", "[Infinity]", 0, false, 0},
	{"rejects_minus_infinity", "[-Infinity]", 0, false, 0},
	{"rejects_leading_zero", "01", 0, false, 0},
	{"rejects_leading_plus", "+1", 0, false, 0},
	{"rejects_bare_dot", "1.", 0, false, 0},
	{"rejects_hex", "0x10", 0, false, 0},
	{"rejects_exponent_without_digits", "1e", 0, false, 0},
	{"rejects_control_char_in_string", "\"a\x01b\"", 0, false, 0},
	{"rejects_newline_in_string", "\"a\nb\"", 0, false, 0},
	{"rejects_unterminated_string", "\"abc", 0, false, 0},
	{"rejects_bad_escape", "\"\\x41\"", 0, false, 0},
	{"rejects_short_unicode_escape", "\"\\u12\"", 0, false, 0},
	{"rejects_lone_high_surrogate", "\"\\ud800\"", 0, false, 0},
	{"rejects_lone_low_surrogate", "\"\\udc00\"", 0, false, 0},
	{"rejects_overlong_utf8", "\"\xc0\xaf\"", 0, false, 0},
	{"rejects_utf8_surrogate", "\"\xed\xa0\x80\"", 0, false, 0},
	{"rejects_above_10ffff", "\"\xf4\x90\x80\x80\"", 0, false, 0},
	{"rejects_truncated_utf8", "\"\xe2\x82\"", 0, false, 0},
	{"rejects_stray_continuation", "\"\x80\"", 0, false, 0},
	{"rejects_nul_byte", "{\"a\":1}\0", 8, false, 0},
	{"rejects_nul_in_key", "{\"a\\u0000b\":1}", 0, false, 0},
	{"rejects_missing_colon", "{\"a\" 1}", 0, false, 0},
	{"rejects_literal_prefix", "tru", 0, false, 0},
	{"rejects_uppercase_literal", "True", 0, false, 0},
	{"rejects_comment", "{} // c", 0, false, 0},
	{"long_key_beyond_short_buffer",
	    "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"b\":1}}",
	    0, true, json_type_object},
};

static const struct row *cur;

static void
parse_row(void)
{
	json_object *root = NULL;
	size_t len = cur->len ? cur->len : strlen(cur->text);
	bool ok = json_parse(cur->text, len, 32, &root, NULL);

	EXPECT(ok == cur->ok);
	if (ok && cur->ok)
		EXPECT(json_object_get_type(root) == cur->type);
	if (!ok)
		EXPECT(root == NULL);
	json_object_put(root);
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
	json_object *root = NULL;

	EXPECT(json_parse(s, strlen(s), 32, &root, NULL));
	json_object_put(root);
	free(s);
}

static void
depth_beyond_limit_refused(void)
{
	char *s = nested(33);
	json_object *root = NULL;

	EXPECT(!json_parse(s, strlen(s), 32, &root, NULL));
	free(s);
}

static void
deep_hostile_nesting_refused_without_recursion_blowup(void)
{
	char *s = nested(100000);
	json_object *root = NULL;

	EXPECT(!json_parse(s, strlen(s), 32, &root, NULL));
	free(s);
}

static void
escapes_decode_to_utf8(void)
{
	const char *t = "\"\\u00e9\\ud83d\\ude00\\n\"";
	json_object *root = NULL;

	EXPECT(json_parse(t, strlen(t), 4, &root, NULL));
	EXPECT_STR(json_object_get_string(root), "\xc3\xa9\xf0\x9f\x98\x80\n");
	json_object_put(root);
}

static void
escaped_nul_kept_with_length(void)
{
	const char *t = "\"a\\u0000b\"";
	json_object *root = NULL;

	EXPECT(json_parse(t, strlen(t), 4, &root, NULL));
	EXPECT(json_object_get_string_len(root) == 3);
	json_object_put(root);
}

static void
syntax_error_is_not_out_of_memory(void)
{
	enum json_error why = JSON_NO_MEMORY;
	json_object *root = NULL;

	EXPECT(!json_parse("{\"a\":}", 6, 4, &root, &why));
	EXPECT(why == JSON_SYNTAX);
}

static void
duplicate_key_last_wins(void)
{
	const char *t = "{\"ttl\":1,\"ttl\":2}";
	json_object *root = NULL, *v;

	EXPECT(json_parse(t, strlen(t), 4, &root, NULL));
	EXPECT(json_object_object_get_ex(root, "ttl", &v) && json_object_get_int(v) == 2);
	json_object_put(root);
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
	RUN(depth_beyond_limit_refused);
	RUN(deep_hostile_nesting_refused_without_recursion_blowup);
	RUN(escapes_decode_to_utf8);
	RUN(escaped_nul_kept_with_length);
	RUN(duplicate_key_last_wins);
	RUN(syntax_error_is_not_out_of_memory);
	return tap_done();
}
