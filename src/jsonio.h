/* jsonio: JSON in and out through json-c, strictly: one tokener and one writer per process. */
#ifndef ST_JSONIO_H
#define ST_JSONIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

/* The deepest nesting any caller may ask for (JSON-RPC's). */
#define JSONIO_MAX_DEPTH 32

enum jsonio_status {
	JSONIO_OK = 0,
	JSONIO_SYNTAX,		/* not JSON: the sender's fault */
	JSONIO_NO_MEMORY,	/* ours */
};

/*
 * Parses exactly one JSON text of len bytes (whitespace around it allowed)
 * with the process's json-c tokener. On JSONIO_OK *out is the caller's
 * reference (NULL for the text null). Refused as JSONIO_SYNTAX: what json-c
 * refuses in strict mode, and what json-c 0.16 lets through that RFC 8259
 * and RFC 3629 do not: NaN and Infinity, invalid UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF), control bytes in strings, lone
 * surrogate escapes, leading zeros, "1.", NUL bytes, a member name holding
 * \u0000, nesting deeper than max_depth (at most JSONIO_MAX_DEPTH), bytes
 * after the value. An integer json-c would misread (-0, beyond int64) is
 * read as a double, as RFC 8259 §6 allows: never json_type_int. Of
 * duplicate member names the last wins (json-c; RFC 7515 §5.2 allows it).
 */
enum jsonio_status jsonio_parse(const char *text, size_t len, int max_depth,
    struct json_object **out);

/* v is an integer (json_type_int: not 1e3, 3600.5, -0 or "3600") in [min, max]. */
bool jsonio_int(struct json_object *v, int64_t min, int64_t max, int64_t *out);

/* v is a string holding no NUL, usable as a C string of *len bytes. */
bool jsonio_plain_string(struct json_object *v, const char **s, size_t *len);

/*
 * Adds val under key, a string literal, to obj; val's reference passes to
 * obj. false if val is NULL (its creation failed) or adding failed (val is
 * released then): one check for a chain of adds.
 */
bool jsonio_add(struct json_object *obj, const char *key,
    struct json_object *val);

/* Adds a member null under key, a string literal. */
bool jsonio_add_null(struct json_object *obj, const char *key);

/* Appends v serialised, plain and without escaped slashes; false if it could not. */
bool jsonio_write(struct buf *out, struct json_object *v);

#endif
