/* json: a strict RFC 8259 parser that builds json-c objects. */
#ifndef ST_JSON_H
#define ST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/*
 * Parses exactly one JSON text (whitespace around it allowed) into json-c
 * objects in *out (NULL for the JSON text "null"); false if it is not JSON: bad UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF), NaN or Infinity, a lone
 * surrogate escape, NUL bytes, nesting deeper than max_depth, trailing
 * bytes. The caller owns *out (json_object_put).
 *
 * Why not json_tokener: json-c 0.16 switches locale on every parse (several
 * microseconds per request) and accepts NaN, Infinity and invalid UTF-8.
 */
enum json_error {
	JSON_SYNTAX = 1,	/* not JSON: the sender's fault */
	JSON_NO_MEMORY,		/* ours */
};

/* why (may be NULL) says which, on failure. */
bool json_parse(const char *text, size_t len, int max_depth, json_object **out,
    enum json_error *why);

#endif
