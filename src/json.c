/* json: strict recursive-descent JSON parser (RFC 8259) producing json-c objects. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "text.h"

struct parser {
	const unsigned char *p;
	const unsigned char *end;
	int depth_left;
	bool nomem;			/* an allocation failed: not the text's fault */
	struct buf scratch;		/* decoded string bytes */
};

/* Every json-c constructor goes through here, so NULL means out of memory. */
static json_object *
made(struct parser *ps, json_object *o)
{
	if (o == NULL)
		ps->nomem = true;
	return o;
}

static bool parse_value(struct parser *ps, json_object **out);

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool
take_literal(struct parser *ps, const char *lit, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static int
hex4(const unsigned char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		int d = text_hex_value(p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, out, n);
}

/* RFC 8259 §7: \uXXXX, with surrogate pairs joined and lone halves refused. */
static bool
parse_unicode_escape(struct parser *ps)
{
	int hi, lo;

	if (ps->end - ps->p < 4 || (hi = hex4(ps->p)) < 0)
		return false;
	ps->p += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return false;
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    (lo = hex4(ps->p + 2)) < 0xdc00 || lo > 0xdfff)
			return false;
		ps->p += 6;
		put_utf8(&ps->scratch,
		    0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00));
		return true;
	}
	put_utf8(&ps->scratch, (uint32_t)hi);
	return true;
}

/* Length of a valid RFC 3629 sequence starting at p, 0 if invalid. */
static size_t
utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Decodes a string (opening quote consumed) into ps->scratch. */
static bool
parse_string_bytes(struct parser *ps)
{
	buf_reset(&ps->scratch);
	for (;;) {
		const unsigned char *start = ps->p;
		size_t n;

		/* Copy runs of plain ASCII at once. */
		while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 &&
		    *ps->p != '"' && *ps->p != '\\')
			ps->p++;
		buf_append(&ps->scratch, start, (size_t)(ps->p - start));
		if (ps->p >= ps->end || *ps->p < 0x20)
			return false;
		if (*ps->p == '"') {
			ps->p++;
			if (ps->scratch.failed)
				ps->nomem = true;
			return !ps->scratch.failed;
		}
		if (*ps->p >= 0x80) {
			n = utf8_sequence(ps->p, ps->end);
			if (n == 0)
				return false;
			buf_append(&ps->scratch, ps->p, n);
			ps->p += n;
			continue;
		}
		/* A backslash escape. */
		if (++ps->p >= ps->end)
			return false;
		switch (*ps->p++) {
		case '"': buf_append(&ps->scratch, "\"", 1); break;
		case '\\': buf_append(&ps->scratch, "\\", 1); break;
		case '/': buf_append(&ps->scratch, "/", 1); break;
		case 'b': buf_append(&ps->scratch, "\b", 1); break;
		case 'f': buf_append(&ps->scratch, "\f", 1); break;
		case 'n': buf_append(&ps->scratch, "\n", 1); break;
		case 'r': buf_append(&ps->scratch, "\r", 1); break;
		case 't': buf_append(&ps->scratch, "\t", 1); break;
		case 'u':
			if (!parse_unicode_escape(ps))
				return false;
			break;
		default:
			return false;
		}
	}
}

static json_object *
parse_string(struct parser *ps)
{
	ps->p++;	/* the opening quote */
	if (!parse_string_bytes(ps) || ps->scratch.len > INT32_MAX)
		return NULL;
	return made(ps, json_object_new_string_len(ps->scratch.len ?
	    ps->scratch.data : "", (int)ps->scratch.len));
}

static bool
is_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_object *
parse_number(struct parser *ps)
{
	const unsigned char *start = ps->p;
	bool integral = true, negative = false;
	char text[64], *endp;
	size_t len;

	if (*ps->p == '-') {
		negative = true;
		ps->p++;
	}
	if (!is_digit(ps->p, ps->end))
		return NULL;
	if (*ps->p == '0')
		ps->p++;
	else
		while (is_digit(ps->p, ps->end))
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		integral = false;
		ps->p++;
		if (!is_digit(ps->p, ps->end))
			return NULL;
		while (is_digit(ps->p, ps->end))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps->p, ps->end))
			return NULL;
		while (is_digit(ps->p, ps->end))
			ps->p++;
	}
	len = (size_t)(ps->p - start);
	if (len >= sizeof(text))
		return NULL;	/* no number needs 64 characters */
	memcpy(text, start, len);
	text[len] = '\0';
	errno = 0;
	if (integral && !negative) {
		unsigned long long u = strtoull(text, &endp, 10);
		if (errno == 0) {
			if (u <= INT64_MAX)
				return made(ps, json_object_new_int64((int64_t)u));
			return made(ps, json_object_new_uint64((uint64_t)u));
		}
	} else if (integral) {
		long long v = strtoll(text, &endp, 10);
		/* -0 is no unsigned integer: it stays the double it spells. */
		if (errno == 0 && v != 0)
			return made(ps, json_object_new_int64(v));
	}
	/* Fractions, exponents and integers beyond 64 bits are doubles. */
	errno = 0;
	{
		double d = strtod(text, &endp);
		if (*endp != '\0')
			return NULL;
		return made(ps, json_object_new_double(d));
	}
}

static json_object *
parse_array(struct parser *ps)
{
	json_object *arr = made(ps, json_object_new_array()), *v;

	ps->p++;
	if (arr == NULL)
		return NULL;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return arr;
	}
	for (;;) {
		if (!parse_value(ps, &v))
			goto fail;
		if (json_object_array_add(arr, v) != 0) {
			ps->nomem = true;
			json_object_put(v);
			goto fail;
		}
		skip_ws(ps);
		if (ps->p >= ps->end)
			goto fail;
		if (*ps->p == ']') {
			ps->p++;
			return arr;
		}
		if (*ps->p++ != ',')
			goto fail;
	}
fail:
	json_object_put(arr);
	return NULL;
}

/*
 * The member names of a JSON-RPC call, its params and a token are a few
 * known words: those are added as constant keys (json-c would strdup every
 * key).
 */
static int
add_member(json_object *obj, const char *key, json_object *v)
{
	static const char *const known[] = {
		"jsonrpc", "method", "params", "id", "stream", "ttl", "live", "dvr",
		"copy", "from", "to", "token", "url",
		/* a JWT header and our claims */
		"alg", "typ", "kid", "sub", "iat", "exp", "jti", "iss", "azp",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (key[0] == known[i][0] && strcmp(key, known[i]) == 0)
			return json_object_object_add_ex(obj, known[i], v,
			    JSON_C_OBJECT_ADD_CONSTANT_KEY);
	return json_object_object_add(obj, key, v);
}

static json_object *
parse_object(struct parser *ps)
{
	json_object *obj = made(ps, json_object_new_object()), *v;
	char short_key[64], *key = NULL;

	ps->p++;
	if (obj == NULL)
		return NULL;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			goto fail;
		ps->p++;
		if (!parse_string_bytes(ps))
			goto fail;
		/* json-c keys are C strings: a key with a NUL is refused. */
		if (memchr(ps->scratch.data ? ps->scratch.data : "", '\0',
		    ps->scratch.len) != NULL)
			goto fail;
		/* The key outlives the scratch buffer (the value reuses it). */
		if (ps->scratch.len < sizeof(short_key)) {
			memcpy(short_key, ps->scratch.len ? ps->scratch.data : "",
			    ps->scratch.len);
			short_key[ps->scratch.len] = '\0';
		} else if ((key = strndup(ps->scratch.data, ps->scratch.len)) == NULL) {
			ps->nomem = true;
			goto fail;
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p++ != ':')
			goto fail;
		if (!parse_value(ps, &v))
			goto fail;
		/* Duplicate names: the last wins, as with json-c's own parser. */
		if (add_member(obj, key != NULL ? key : short_key, v) != 0) {
			ps->nomem = true;
			json_object_put(v);
			goto fail;
		}
		free(key);
		key = NULL;
		skip_ws(ps);
		if (ps->p >= ps->end)
			goto fail;
		if (*ps->p == '}') {
			ps->p++;
			return obj;
		}
		if (*ps->p++ != ',')
			goto fail;
	}
fail:
	free(key);
	json_object_put(obj);
	return NULL;
}

/* A value into *out; JSON null is json-c's NULL object, hence the bool. */
static bool
parse_value(struct parser *ps, json_object **out)
{
	json_object *v;

	*out = NULL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p) {
	case '{':
	case '[':
		if (ps->depth_left-- <= 0)
			return false;
		v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
		ps->depth_left++;
		break;
	case '"':
		v = parse_string(ps);
		break;
	case 't':
		v = take_literal(ps, "true", 4) ?
		    made(ps, json_object_new_boolean(1)) : NULL;
		break;
	case 'f':
		v = take_literal(ps, "false", 5) ?
		    made(ps, json_object_new_boolean(0)) : NULL;
		break;
	case 'n':
		return take_literal(ps, "null", 4);
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
			return false;
		v = parse_number(ps);
	}
	*out = v;
	return v != NULL;
}

bool
json_parse(const char *text, size_t len, int max_depth, json_object **out,
    enum json_error *why)
{
	struct parser ps;
	json_object *root;
	bool ok;

	ps.p = (const unsigned char *)text;
	ps.end = ps.p + len;
	ps.depth_left = max_depth;
	ps.nomem = false;
	buf_init(&ps.scratch);
	ok = parse_value(&ps, &root);
	skip_ws(&ps);
	buf_free(&ps.scratch);
	if (!ok || ps.p != ps.end) {
		json_object_put(root);
		if (why != NULL)
			*why = ps.nomem ? JSON_NO_MEMORY : JSON_SYNTAX;
		return false;
	}
	*out = root;
	return true;
}
