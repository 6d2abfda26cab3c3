/* unit_json: the strict JSON parser, RFC 8259 grammar and RFC 3629 UTF-8. */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"
#include "text.h"

struct row {
	const char *name;
	const char *text;
	size_t len;			/* 0: strlen(text) */
	bool ok;
	enum json_kind type;		/* expected root type when ok */
};

static const struct row rows[] = {
	{"object_empty", "{}", 0, true, JSON_OBJECT},
	{"array_empty", "[]", 0, true, JSON_ARRAY},
	{"whitespace_around", " \t\r\n{\"a\":1}\n ", 0, true, JSON_OBJECT},
	{"nested", "{\"a\":[1,{\"b\":null},\"x\",true,false,-0.5e-3]}", 0, true, JSON_OBJECT},
	{"bare_number", "42", 0, true, JSON_INT},
	{"bare_string", "\"s\"", 0, true, JSON_STRING},
	{"bare_true", "true", 0, true, JSON_BOOL},
	{"bare_null", "null", 0, true, JSON_NULL},
	{"negative_int", "-17", 0, true, JSON_INT},
	{"int64_max", "9223372036854775807", 0, true, JSON_INT},
	{"int64_min", "-9223372036854775808", 0, true, JSON_INT},
	{"beyond_int64_is_double", "9223372036854775808", 0, true, JSON_DOUBLE},
	{"below_int64_is_double", "-9223372036854775809", 0, true, JSON_DOUBLE},
	{"minus_zero_is_double", "-0", 0, true, JSON_DOUBLE},
	{"exponent_is_double", "1e3", 0, true, JSON_DOUBLE},
	{"fraction_is_double", "3600.5", 0, true, JSON_DOUBLE},
	{"escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", 0, true, JSON_STRING},
	{"surrogate_pair", "\"\\ud83d\\ude00\"", 0, true, JSON_STRING},
	{"utf8_two_three_four_bytes", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 0, true, JSON_STRING},
	{"every_printable_ascii_and_del", "\" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\x7f\"", 0, true, JSON_STRING},
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
	    0, true, JSON_OBJECT},
};

static const struct row *cur;

static void
parse_row(void)
{
	struct json_doc doc;
	size_t len = cur->len ? cur->len : strlen(cur->text);
	bool ok = json_parse(&doc, cur->text, len, 32, NULL);

	EXPECT(ok == cur->ok);
	if (ok && cur->ok) {
		EXPECT(doc.root->type == cur->type);
		/* The root's source text is the whole text, less the whitespace. */
		EXPECT(doc.root->text_len <= len && doc.root->text_len > 0);
	}
	if (!ok)
		EXPECT(doc.root == NULL);
	json_doc_free(&doc);
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
	struct json_doc doc;

	EXPECT(json_parse(&doc, s, strlen(s), 32, NULL));
	json_doc_free(&doc);
	free(s);
}

static void
depth_beyond_limit_refused(void)
{
	char *s = nested(33);
	struct json_doc doc;

	EXPECT(!json_parse(&doc, s, strlen(s), 32, NULL));
	json_doc_free(&doc);
	free(s);
}

static void
deep_hostile_nesting_refused_without_recursion_blowup(void)
{
	char *s = nested(100000);
	struct json_doc doc;

	EXPECT(!json_parse(&doc, s, strlen(s), 32, NULL));
	json_doc_free(&doc);
	free(s);
}

static void
escapes_decode_to_utf8(void)
{
	const char *t = "\"\\u00e9\\ud83d\\ude00\\n\\/\\\"\\\\\\b\\f\\r\\t\"";
	struct json_doc doc;

	EXPECT(json_parse(&doc, t, strlen(t), 4, NULL));
	EXPECT_STR(doc.root->u.s, "\xc3\xa9\xf0\x9f\x98\x80\n/\"\\\b\f\r\t");
	EXPECT(doc.root->len == strlen(doc.root->u.s));
	json_doc_free(&doc);
}

static void
escaped_nul_kept_with_length(void)
{
	const char *t = "\"a\\u0000b\"";
	struct json_doc doc;

	EXPECT(json_parse(&doc, t, strlen(t), 4, NULL));
	EXPECT(doc.root->len == 3);
	EXPECT(!json_is_plain_string(doc.root));
	json_doc_free(&doc);
}

static void
syntax_error_is_not_out_of_memory(void)
{
	enum json_error why = JSON_NO_MEMORY;
	struct json_doc doc;

	EXPECT(!json_parse(&doc, "{\"a\":}", 6, 4, &why));
	EXPECT(why == JSON_SYNTAX);
	json_doc_free(&doc);
}

static void
duplicate_key_last_wins(void)
{
	const char *t = "{\"ttl\":1,\"ttl\":2}";
	struct json_doc doc;
	const struct json_value *v;

	EXPECT(json_parse(&doc, t, strlen(t), 4, NULL));
	v = json_get(doc.root, "ttl");
	EXPECT(v != NULL && v->type == JSON_INT && v->u.i == 2);
	EXPECT(doc.root->len == 2);
	json_doc_free(&doc);
}

static void
values_and_source_text(void)
{
	const char *t = " {\"a\" : [ -12 , 2.5e1,true,false,null,\"x\\ty\" ] ,\"id\": \"q\\/\" } ";
	struct json_doc doc;
	const struct json_value *a, *v, *id;

	EXPECT(json_parse(&doc, t, strlen(t), 4, NULL));
	a = json_get(doc.root, "a");
	EXPECT(a != NULL && a->type == JSON_ARRAY && a->len == 6);
	if (a == NULL || a->len != 6)
		goto out;
	v = a->u.first;
	EXPECT(v->type == JSON_INT && v->u.i == -12);
	EXPECT(v->text_len == 3 && memcmp(v->text, "-12", 3) == 0);
	v = v->next;
	EXPECT(v->type == JSON_DOUBLE && v->u.d == 25.0);
	v = v->next;
	EXPECT(v->type == JSON_BOOL && v->u.b);
	v = v->next;
	EXPECT(v->type == JSON_BOOL && !v->u.b);
	v = v->next;
	EXPECT(v->type == JSON_NULL && v->text_len == 4);
	v = v->next;
	EXPECT(v->type == JSON_STRING && strcmp(v->u.s, "x\ty") == 0);
	EXPECT(v->next == NULL);
	/* An id is echoed as written. */
	id = json_get(doc.root, "id");
	EXPECT(id != NULL && id->text_len == 5 && memcmp(id->text, "\"q\\/\"", 5) == 0);
	EXPECT(json_get(doc.root, "nope") == NULL);
	EXPECT(json_get(a, "a") == NULL);
out:
	json_doc_free(&doc);
}

static void
large_text_spills_into_heap_chunks(void)
{
	struct json_doc doc;
	size_t i, n = 20000;
	char *s = malloc(n * 4 + 3), *p = s;
	const struct json_value *v;
	int64_t sum = 0;

	*p++ = '[';
	for (i = 0; i < n; i++) {
		memcpy(p, i ? ",\"7\"" : "\"7\"", i ? 4 : 3);
		p += i ? 4 : 3;
	}
	*p++ = ']';
	EXPECT(json_parse(&doc, s, (size_t)(p - s), 4, NULL));
	EXPECT(doc.chunks != NULL);
	for (v = doc.root->u.first; v != NULL; v = v->next)
		sum += v->u.s[0] - '0';
	EXPECT(sum == 7 * (int64_t)n);
	json_doc_free(&doc);
	free(s);
}

/*
 * text_json_plain_run's word-at-a-time scan against the byte-by-byte rule,
 * every byte value at every place of 16 plain bytes, every length.
 */
static void
plain_run_matches_byte_rule_everywhere(void)
{
	char buf[16];
	size_t pos, n, want;
	int c, bad = 0;

	for (c = 0; c < 256; c++)
		for (pos = 0; pos < sizeof(buf); pos++)
			for (n = 0; n <= sizeof(buf); n++) {
				memset(buf, 'a', sizeof(buf));
				buf[pos] = (char)c;
				want = (c < 0x20 || c >= 0x80 || c == '"' ||
				    c == '\\') && pos < n ? pos : n;
				if (text_json_plain_run(buf, n) != want)
					bad++;
			}
	EXPECT(bad == 0);
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
	RUN(plain_run_matches_byte_rule_everywhere);
	RUN(depth_limit_is_inclusive);
	RUN(depth_beyond_limit_refused);
	RUN(deep_hostile_nesting_refused_without_recursion_blowup);
	RUN(escapes_decode_to_utf8);
	RUN(escaped_nul_kept_with_length);
	RUN(duplicate_key_last_wins);
	RUN(syntax_error_is_not_out_of_memory);
	RUN(values_and_source_text);
	RUN(large_text_spills_into_heap_chunks);
	return tap_done();
}
