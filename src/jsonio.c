/* jsonio: strict JSON reading on json-c's tokener, writing with its serializer. */
#include "autoconfig.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "text.h"

/*
 * ---- what json-c 0.16's strict mode lets through ----
 *
 * Debian 12's json-c (0.16) in JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8
 * still takes NaN and Infinity inside arrays and objects, 'quoted' member
 * names, raw control bytes in strings, "00", "-01" and "1.", overlong and
 * surrogate UTF-8 (it checks the shape of a sequence only), turns a lone
 * surrogate escape into U+FFFD, cuts a member name at \u0000, reads -0 as
 * the integer 0 and clamps integers beyond 64 bits. One pass over the text
 * refuses those before json-c parses it; the grammar is json-c's.
 */

/* The bytes RFC 8259 allows outside strings and numbers: NaN, Infinity, ' are not. */
static const bool outside_string[128] = {
	['{'] = true, ['}'] = true, ['['] = true, [']'] = true, [','] = true,
	[':'] = true, [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true,
	/* the letters of true, false and null */
	['t'] = true, ['r'] = true, ['u'] = true, ['e'] = true, ['f'] = true,
	['a'] = true, ['l'] = true, ['s'] = true, ['n'] = true,
};

struct scan {
	const unsigned char *p;
	size_t len;
	size_t i;
	size_t widened;		/* integers to read as doubles */
	char *copy;		/* NULL: check only; else the text with them widened */
	size_t copied;		/* bytes of p already in copy */
	size_t written;		/* bytes in copy */
};

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One UTF-8 sequence at p[i] >= 0x80 (RFC 3629 §4's table). */
static bool
scan_utf8(struct scan *s)
{
	const unsigned char *p = s->p + s->i;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return false;
	}
	if (s->len - s->i < n || p[1] < lo || p[1] > hi)
		return false;
	for (k = 2; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return false;
	s->i += n;
	return true;
}

/* The code unit of a \uXXXX escape at p, or -1. */
static long
escape_unit(const unsigned char *p, size_t left)
{
	long v = 0;
	size_t k;
	int d;

	if (left < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (k = 2; k < 6; k++) {
		if ((d = text_hex_value(p[k])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * An escape at p[i] == '\\'; *nul when it is \u0000. json-c checks the
 * others; a lone surrogate (RFC 8259 §8.2: unpredictable) is refused here.
 */
static bool
scan_escape(struct scan *s, bool *nul)
{
	long u = escape_unit(s->p + s->i, s->len - s->i), low;

	if (u < 0) {
		s->i += 2;
		return true;
	}
	if (u == 0)
		*nul = true;
	if (u >= 0xdc00 && u <= 0xdfff)
		return false;
	if (u >= 0xd800 && u <= 0xdbff) {
		low = escape_unit(s->p + s->i + 6, s->len - s->i - 6);
		if (low < 0xdc00 || low > 0xdfff)
			return false;
		s->i += 6;
	}
	s->i += 6;
	return true;
}

/* A string, from its opening quote to past its closing one. */
static bool
scan_string(struct scan *s)
{
	bool nul = false;
	size_t j;

	s->i++;
	while (s->i < s->len) {
		unsigned char c = s->p[s->i];

		/* Most bytes of names, ids and tokens: printable ASCII. */
		while (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
		    ++s->i < s->len)
			c = s->p[s->i];
		if (s->i == s->len)
			break;
		if (c == '"') {
			s->i++;
			/* json-c would keep a member name only up to its NUL. */
			for (j = s->i; nul && j < s->len && is_ws(s->p[j]); j++)
				;
			return !nul || j == s->len || s->p[j] != ':';
		}
		if (c == '\\') {
			if (!scan_escape(s, &nul))
				return false;
		} else if (c < 0x20 || !scan_utf8(s)) {
			return false;	/* RFC 8259 §7: control bytes escaped only */
		}
	}
	return false;
}

/*
 * -0 (json-c: the integer 0) and integers beyond int64 (json-c: clamped)
 * are numbers RFC 8259 §6 lets a reader take as doubles: no integer.
 */
static bool
integer_needs_double(const unsigned char *p, size_t n)
{
	static const char max[] = "9223372036854775807";
	static const char min[] = "9223372036854775808";
	bool neg = p[0] == '-';

	p += neg;
	n -= neg;
	if (n == 1 && p[0] == '0')
		return neg;
	if (n != sizeof(max) - 1)
		return n > sizeof(max) - 1;
	return memcmp(p, neg ? min : max, n) > 0;
}

/* Puts ".0" after the integer that ends at i in the copy: json-c reads a double. */
static void
widen(struct scan *s)
{
	s->widened++;
	if (s->copy == NULL)
		return;
	memcpy(s->copy + s->written, s->p + s->copied, s->i - s->copied);
	s->written += s->i - s->copied;
	s->copied = s->i;
	memcpy(s->copy + s->written, ".0", 2);
	s->written += 2;
}

/* A number: RFC 8259 §6 where json-c 0.16 is lax (leading zeros, "1."). */
static bool
scan_number(struct scan *s)
{
	const unsigned char *p = s->p;
	size_t i = s->i, start = s->i;
	bool integer = true;

	if (p[i] == '-')
		i++;
	if (i >= s->len || !is_digit(p[i]))
		return false;
	if (p[i] == '0' && i + 1 < s->len && is_digit(p[i + 1]))
		return false;
	while (i < s->len && is_digit(p[i]))
		i++;
	if (i < s->len && p[i] == '.') {
		integer = false;
		if (++i >= s->len || !is_digit(p[i]))
			return false;
		while (i < s->len && is_digit(p[i]))
			i++;
	}
	if (i < s->len && (p[i] == 'e' || p[i] == 'E')) {
		integer = false;
		if (++i < s->len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= s->len || !is_digit(p[i]))
			return false;
		while (i < s->len && is_digit(p[i]))
			i++;
	}
	s->i = i;
	if (integer && integer_needs_double(p + start, i - start))
		widen(s);
	return true;
}

static bool
scan_text(struct scan *s, int max_depth)
{
	int depth = 0;

	while (s->i < s->len) {
		unsigned char c = s->p[s->i];

		if (c == '"') {
			if (!scan_string(s))
				return false;
			continue;
		}
		if (c == '-' || is_digit(c)) {
			if (!scan_number(s))
				return false;
			continue;
		}
		if (c >= 0x80 || !outside_string[c])
			return false;
		if ((c == '[' || c == '{') && ++depth > max_depth)
			return false;
		if (c == ']' || c == '}')
			depth--;
		s->i++;
	}
	if (s->copy != NULL) {
		memcpy(s->copy + s->written, s->p + s->copied, s->len - s->copied);
		s->written += s->len - s->copied;
	}
	return true;
}

/* ---- parsing ---- */

/* One per process, reset for each text: it holds nothing of a request between uses. */
static struct json_tokener *process_tokener;

static struct json_tokener *
tokener(void)
{
	if (process_tokener == NULL) {
		/* json-c counts the innermost value as a level: one more. */
		process_tokener = json_tokener_new_ex(JSONIO_MAX_DEPTH + 1);
		if (process_tokener != NULL)
			json_tokener_set_flags(process_tokener,
			    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	}
	return process_tokener;
}

/* After the scan, a text whose value starts with n is null. */
static bool
is_null_text(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len && is_ws((unsigned char)text[i]); i++)
		;
	return i < len && text[i] == 'n';
}

enum jsonio_status
jsonio_parse(const char *text, size_t len, int max_depth,
    struct json_object **out)
{
	struct scan s = {.p = (const unsigned char *)text, .len = len};
	enum jsonio_status st = JSONIO_SYNTAX;
	struct json_object *root = NULL;
	struct json_tokener *tok;
	char *copy = NULL;
	bool whole;

	if (max_depth > JSONIO_MAX_DEPTH)
		max_depth = JSONIO_MAX_DEPTH;
	if (len > INT_MAX / 2 || !scan_text(&s, max_depth))
		goto out;
	if (s.widened > 0) {
		copy = malloc(len + 2 * s.widened);
		st = JSONIO_NO_MEMORY;
		if (copy == NULL)
			goto out;
		s = (struct scan){.p = (const unsigned char *)text, .len = len,
		    .copy = copy};
		scan_text(&s, max_depth);
		text = copy;
		len = s.written;
	}
	st = JSONIO_NO_MEMORY;
	tok = tokener();
	if (tok == NULL)
		goto out;
	json_tokener_reset(tok);
	root = json_tokener_parse_ex(tok, text, (int)len);
	whole = json_tokener_get_parse_end(tok) == len;
	if (json_tokener_get_error(tok) == json_tokener_continue) {
		/* json-c waits for the byte after a top-level number or literal. */
		root = json_tokener_parse_ex(tok, " ", 1);
		whole = json_tokener_get_parse_end(tok) == 1;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		st = JSONIO_SYNTAX;
		goto out;
	}
	/* json-c 0.16 stops with "success" where an allocation failed. */
	if (!whole || (root == NULL && !is_null_text(text, len)))
		goto out;
	*out = root;
	root = NULL;
	st = JSONIO_OK;
out:
	json_object_put(root);
	free(copy);
	return st;
}

/* ---- reading values ---- */

bool
jsonio_int(struct json_object *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

bool
jsonio_plain_string(struct json_object *v, const char **s, size_t *len)
{
	const char *p;
	int n;

	if (!json_object_is_type(v, json_type_string))
		return false;
	p = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (p == NULL || n < 0 || memchr(p, '\0', (size_t)n) != NULL)
		return false;
	*s = p;
	*len = (size_t)n;
	return true;
}

/* ---- writing ---- */

bool
jsonio_add(struct json_object *obj, const char *key, struct json_object *val)
{
	/* Every key is a literal, added once: json-c need not copy or look it up. */
	if (val == NULL || json_object_object_add_ex(obj, key, val,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
		json_object_put(val);
		return false;
	}
	return true;
}

bool
jsonio_add_null(struct json_object *obj, const char *key)
{
	return json_object_object_add_ex(obj, key, NULL,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY) == 0;
}

/*
 * Every text is written through one array, [v], whose buffer grew to
 * WRITE_RESERVE once. json-c serialises into a buffer of the object it is
 * asked for and grows it while writing; 0.16 ignores a failed growth in
 * the middle of an object, which would leave a silently shortened text.
 * With a buffer that already fits, an answer costs no allocation.
 */
#define WRITE_RESERVE 16384
#define WRITE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static struct json_object *carrier;

static struct json_object *
writer(void)
{
	struct json_object *a = NULL, *big = NULL;
	char *fill;
	size_t n;

	if (carrier != NULL)
		return carrier;
	fill = malloc(WRITE_RESERVE);
	if (fill == NULL)
		return NULL;
	memset(fill, 'x', WRITE_RESERVE);
	a = json_object_new_array();
	big = json_object_new_string_len(fill, WRITE_RESERVE);
	if (a == NULL || big == NULL || json_object_array_put_idx(a, 0, big) != 0)
		goto out;
	big = NULL;		/* a's now */
	if (json_object_to_json_string_length(a, WRITE_FLAGS, &n) == NULL ||
	    n != WRITE_RESERVE + 4 || json_object_array_put_idx(a, 0, NULL) != 0)
		goto out;
	carrier = a;
	a = NULL;
out:
	free(fill);
	json_object_put(big);
	json_object_put(a);
	return carrier;
}

bool
jsonio_write(struct buf *out, struct json_object *v)
{
	struct json_object *a = writer();
	const char *s = NULL;
	size_t n = 0;

	if (a != NULL && json_object_array_put_idx(a, 0, json_object_get(v)) != 0) {
		json_object_put(v);	/* the reference put_idx did not take */
	} else if (a != NULL) {
		s = json_object_to_json_string_length(a, WRITE_FLAGS, &n);
		if (s != NULL && n >= 2)
			buf_append(out, s + 1, n - 2);	/* v, without the [ ] */
		json_object_array_put_idx(a, 0, NULL);
	}
	if (s == NULL || n < 2)
		out->failed = true;
	return !out->failed;
}
