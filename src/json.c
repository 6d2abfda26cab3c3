/* json: strict recursive-descent JSON parser (RFC 8259) into an arena tree. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

#define CHUNK_MIN 8192

struct json_chunk {
	struct json_chunk *next;
	alignas(max_align_t) char data[];
};

struct parser {
	const unsigned char *p;
	const unsigned char *end;
	int depth_left;
	bool nomem;			/* an allocation failed: not the text's fault */
	struct json_doc *doc;
};

/* ---- the arena ---- */

static void *
arena_alloc(struct parser *ps, size_t n)
{
	struct json_doc *doc = ps->doc;
	struct json_chunk *c;
	size_t size;
	void *p;

	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (n > doc->left) {
		size = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + size);
		if (c == NULL) {
			ps->nomem = true;
			return NULL;
		}
		c->next = doc->chunks;
		doc->chunks = c;
		doc->next = c->data;
		doc->left = size;
	}
	p = doc->next;
	doc->next += n;
	doc->left -= n;
	return p;
}

static struct json_value *
new_value(struct parser *ps, enum json_kind type, const unsigned char *start)
{
	struct json_value *v = arena_alloc(ps, sizeof(*v));

	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->text = (const char *)start;
	return v;
}

/* ---- lexing ---- */

static bool parse_value(struct parser *ps, struct json_value **out);

static inline void
skip_ws(struct parser *ps)
{
	/* Most calls find no whitespace at all: test the usual case first. */
	while (ps->p < ps->end && *ps->p <= ' ' && (*ps->p == ' ' ||
	    *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
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

/*
 * RFC 8259 §7: a \uXXXX escape at p (after the backslash and 'u'), with
 * surrogate pairs joined and lone halves refused. Returns the code point
 * and sets *used to the bytes consumed, or returns -1.
 */
static long
unicode_escape(const unsigned char *p, const unsigned char *end, size_t *used)
{
	int hi, lo;

	if (end - p < 4 || (hi = hex4(p)) < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return -1;
	*used = 4;
	if (hi < 0xd800 || hi > 0xdbff)
		return hi;
	if (end - p < 10 || p[4] != '\\' || p[5] != 'u' ||
	    (lo = hex4(p + 6)) < 0xdc00 || lo > 0xdfff)
		return -1;
	*used = 10;
	return 0x10000 + (((long)hi - 0xd800) << 10) + ((long)lo - 0xdc00);
}

/*
 * First pass over a string (opening quote consumed): checks it and finds
 * its closing quote. *escaped tells whether decoding has work to do.
 */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end, bool *escaped)
{
	size_t n;

	*escaped = false;
	for (;;) {
		/* Runs of plain ASCII first, eight bytes a step. */
		p += text_json_plain_run((const char *)p, (size_t)(end - p));
		if (p >= end || *p < 0x20)
			return NULL;
		if (*p == '"')
			return p;
		if (*p >= 0x80) {
			n = utf8_sequence(p, end);
			if (n == 0)
				return NULL;
			p += n;
			continue;
		}
		*escaped = true;
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			if (unicode_escape(p + 1, end, &n) < 0)
				return NULL;
			p += 1 + n;
		} else if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0') {
			p++;
		} else {
			return NULL;
		}
	}
}

static char *
put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		*out++ = (char)cp;
	} else if (cp < 0x800) {
		*out++ = (char)(0xc0 | cp >> 6);
		*out++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*out++ = (char)(0xe0 | cp >> 12);
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*out++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*out++ = (char)(0xf0 | cp >> 18);
		*out++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*out++ = (char)(0x80 | (cp & 0x3f));
	}
	return out;
}

/* Second pass: decodes a string scan_string accepted; returns its length. */
static size_t
decode_string(const unsigned char *p, const unsigned char *end, char *out)
{
	char *start = out;
	size_t used;

	while (p < end) {
		if (*p != '\\') {
			*out++ = (char)*p++;
			continue;
		}
		p++;
		switch (*p++) {
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u':
			out = put_utf8(out, (unsigned long)unicode_escape(p, end, &used));
			p += used;
			break;
		default: *out++ = (char)p[-1]; break;	/* " \ / */
		}
	}
	return (size_t)(out - start);
}

/*
 * A string (at its opening quote) into the arena, NUL-terminated. Decoding
 * never lengthens: every escape is at least as long as its UTF-8.
 */
static bool
parse_string_bytes(struct parser *ps, const char **s, size_t *len, bool *nul)
{
	const unsigned char *body = ps->p + 1, *close;
	bool escaped;
	char *out;
	size_t raw;

	close = scan_string(body, ps->end, &escaped);
	if (close == NULL)
		return false;
	raw = (size_t)(close - body);
	out = arena_alloc(ps, raw + 1);
	if (out == NULL)
		return false;
	/* Only an escape can make a NUL: the scan refused raw control bytes. */
	if (escaped) {
		*len = decode_string(body, close, out);
		*nul = memchr(out, '\0', *len) != NULL;
	} else {
		memcpy(out, body, raw);
		*len = raw;
		*nul = false;
	}
	out[*len] = '\0';
	*s = out;
	ps->p = close + 1;
	return true;
}

/*
 * A member name (at its opening quote). Names are read by length, so one
 * without escapes stays where it is in the text; an escaped one is decoded
 * into the arena. A name holding \u0000 is refused.
 */
static bool
parse_key(struct parser *ps, const char **key, size_t *len)
{
	const unsigned char *body = ps->p + 1, *close;
	bool escaped, nul;

	close = scan_string(body, ps->end, &escaped);
	if (close == NULL)
		return false;
	if (escaped)
		return parse_string_bytes(ps, key, len, &nul) && !nul;
	*key = (const char *)body;
	*len = (size_t)(close - body);
	ps->p = close + 1;
	return true;
}

static struct json_value *
parse_string(struct parser *ps)
{
	struct json_value *v = new_value(ps, JSON_STRING, ps->p);

	if (v == NULL || !parse_string_bytes(ps, &v->u.s, &v->len, &v->nul))
		return NULL;
	return v;
}

static bool
is_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static void
skip_digits(struct parser *ps)
{
	while (is_digit(ps->p, ps->end))
		ps->p++;
}

/* RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
scan_number(struct parser *ps, bool *integral)
{
	*integral = true;
	if (*ps->p == '-')
		ps->p++;
	if (!is_digit(ps->p, ps->end))
		return false;
	if (*ps->p == '0')
		ps->p++;
	else
		skip_digits(ps);
	if (ps->p < ps->end && *ps->p == '.') {
		*integral = false;
		ps->p++;
		if (!is_digit(ps->p, ps->end))
			return false;
		skip_digits(ps);
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		*integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps->p, ps->end))
			return false;
		skip_digits(ps);
	}
	return true;
}

/* Digits to int64 without strtoll's locale and errno; false on overflow. */
static bool
integer_value(const unsigned char *p, const unsigned char *end, int64_t *out)
{
	bool negative = *p == '-';
	uint64_t n = 0, limit;

	if (negative)
		p++;
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	/* 18 digits cannot overflow; only longer numbers need the check. */
	if (end - p <= 18) {
		for (; p < end; p++)
			n = n * 10 + (unsigned)(*p - '0');
	} else {
		for (; p < end; p++) {
			unsigned d = (unsigned)(*p - '0');

			if (n > (limit - d) / 10)
				return false;
			n = n * 10 + d;
		}
	}
	/* -0 is no integer: it stays the double it spells. */
	if (negative && n == 0)
		return false;
	*out = negative ? (int64_t)(0 - n) : (int64_t)n;
	return true;
}

static struct json_value *
parse_number(struct parser *ps)
{
	const unsigned char *start = ps->p;
	struct json_value *v;
	char text[64], *endp;
	bool integral;
	size_t len;

	if (!scan_number(ps, &integral))
		return NULL;
	len = (size_t)(ps->p - start);
	if (len >= sizeof(text))
		return NULL;	/* no number needs 64 characters */
	v = new_value(ps, JSON_INT, start);
	if (v == NULL)
		return NULL;
	if (integral && integer_value(start, ps->p, &v->u.i))
		return v;
	/* Fractions, exponents, -0 and integers beyond int64 are doubles. */
	memcpy(text, start, len);
	text[len] = '\0';
	v->type = JSON_DOUBLE;
	errno = 0;
	v->u.d = strtod(text, &endp);
	return *endp == '\0' ? v : NULL;
}

/* ---- containers ---- */

/* Appends v to the container whose last child is *tail. */
static void
append_child(struct json_value *parent, struct json_value **tail,
    struct json_value *v)
{
	if (*tail == NULL)
		parent->u.first = v;
	else
		(*tail)->next = v;
	*tail = v;
	parent->len++;
}

static struct json_value *
parse_array(struct parser *ps)
{
	struct json_value *arr = new_value(ps, JSON_ARRAY, ps->p), *tail = NULL, *v;

	if (arr == NULL)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return arr;
	}
	for (;;) {
		if (!parse_value(ps, &v))
			return NULL;
		append_child(arr, &tail, v);
		skip_ws(ps);
		if (ps->p >= ps->end)
			return NULL;
		if (*ps->p == ']') {
			ps->p++;
			return arr;
		}
		if (*ps->p++ != ',')
			return NULL;
	}
}

static struct json_value *
parse_object(struct parser *ps)
{
	struct json_value *obj = new_value(ps, JSON_OBJECT, ps->p), *tail = NULL, *v;
	const char *key;
	size_t key_len;

	if (obj == NULL)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"' ||
		    !parse_key(ps, &key, &key_len))
			return NULL;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p++ != ':')
			return NULL;
		if (!parse_value(ps, &v))
			return NULL;
		v->key = key;
		v->key_len = key_len;
		append_child(obj, &tail, v);
		skip_ws(ps);
		if (ps->p >= ps->end)
			return NULL;
		if (*ps->p == '}') {
			ps->p++;
			return obj;
		}
		if (*ps->p++ != ',')
			return NULL;
	}
}

static struct json_value *
parse_literal(struct parser *ps)
{
	const unsigned char *start = ps->p;
	struct json_value *v;

	if (take_literal(ps, "true", 4) || take_literal(ps, "false", 5)) {
		v = new_value(ps, JSON_BOOL, start);
		if (v != NULL)
			v->u.b = *start == 't';
		return v;
	}
	if (take_literal(ps, "null", 4))
		return new_value(ps, JSON_NULL, start);
	return NULL;
}

static bool
parse_value(struct parser *ps, struct json_value **out)
{
	struct json_value *v;

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
	case 'f':
	case 'n':
		v = parse_literal(ps);
		break;
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
			return false;
		v = parse_number(ps);
	}
	if (v == NULL)
		return false;
	v->text_len = (size_t)(ps->p - (const unsigned char *)v->text);
	*out = v;
	return true;
}

/* ---- the interface ---- */

bool
json_parse(struct json_doc *doc, const char *text, size_t len, int max_depth,
    enum json_error *why)
{
	struct parser ps;
	struct json_value *root;
	bool ok;

	doc->root = NULL;
	doc->chunks = NULL;
	doc->next = doc->space;
	doc->left = sizeof(doc->space);
	ps.p = (const unsigned char *)text;
	ps.end = ps.p + len;
	ps.depth_left = max_depth;
	ps.nomem = false;
	ps.doc = doc;
	ok = parse_value(&ps, &root);
	skip_ws(&ps);
	if (!ok || ps.p != ps.end) {
		if (why != NULL)
			*why = ps.nomem ? JSON_NO_MEMORY : JSON_SYNTAX;
		return false;
	}
	doc->root = root;
	return true;
}

void
json_doc_free(struct json_doc *doc)
{
	struct json_chunk *c, *next;

	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	doc->chunks = NULL;
	doc->root = NULL;
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *v, *found = NULL;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (v = obj->u.first; v != NULL; v = v->next)
		if (json_key_is(v, key))
			found = v;
	return found;
}

bool
json_is_plain_string(const struct json_value *v)
{
	return v != NULL && v->type == JSON_STRING && !v->nul;
}
