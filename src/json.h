/* json: a strict RFC 8259 parser into a small read-only tree, one arena per text. */
#ifndef ST_JSON_H
#define ST_JSON_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum json_kind {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,		/* an integer that fits int64_t (not -0) */
	JSON_DOUBLE,		/* fractions, exponents, -0, integers beyond int64 */
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_kind type;
	struct json_value *next;	/* next element or member of the parent */
	const char *key;		/* member name, key_len bytes, no NUL after */
	size_t key_len;
	const char *text;		/* the value's source text, to echo it verbatim */
	size_t text_len;
	size_t len;			/* string bytes, or elements or members */
	bool nul;			/* a string holding \u0000 */
	union {
		bool b;
		int64_t i;
		double d;
		const char *s;		/* NUL-terminated; a \u0000 may come before len */
		struct json_value *first;	/* first element or member */
	} u;
};

struct json_chunk;

/*
 * One parsed text. Its values live in an arena: the inline space holds a
 * typical JSON-RPC call or JWT part, larger texts add heap chunks. The
 * values point into the source text (text), which must outlive them.
 */
struct json_doc {
	struct json_value *root;
	struct json_chunk *chunks;
	char *next;			/* free arena space */
	size_t left;
	alignas(max_align_t) char space[2048];
};

enum json_error {
	JSON_SYNTAX = 1,	/* not JSON: the sender's fault */
	JSON_NO_MEMORY,		/* ours */
};

/*
 * Parses exactly one JSON text (whitespace around it allowed) into doc;
 * false if it is not JSON: bad UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF), NaN or Infinity, a lone
 * surrogate escape, NUL bytes, a member name holding \u0000, nesting
 * deeper than max_depth, trailing bytes. why (may be NULL) says which.
 * Duplicate member names are kept; json_get finds the last one. doc is
 * ready for json_doc_free whatever the outcome.
 *
 * Why not json-c: its tokener switches locale on every parse and accepts
 * NaN, Infinity and invalid UTF-8, and its objects cost an allocation each.
 */
bool json_parse(struct json_doc *doc, const char *text, size_t len,
    int max_depth, enum json_error *why);
void json_doc_free(struct json_doc *doc);

/* v is a member named lit, a string literal. */
#define JSON_KEY_IS(v, lit) ((v)->key_len == sizeof(lit) - 1 && \
	memcmp((v)->key, (lit), sizeof(lit) - 1) == 0)

/* v is a member named name. */
static inline bool
json_key_is(const struct json_value *v, const char *name)
{
	size_t n = strlen(name);

	return v->key_len == n && memcmp(v->key, name, n) == 0;
}

/* The last member of obj named key; NULL if none or obj is no object. */
const struct json_value *json_get(const struct json_value *obj,
    const char *key);

/* v is a string without \u0000, usable as a C string. */
bool json_is_plain_string(const struct json_value *v);

#endif
