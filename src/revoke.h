/*
 * revoke: revoked tokens, kept in an append-only file that every serving
 * process follows (a stat at most once a second, then what was appended).
 */
#ifndef ST_REVOKE_H
#define ST_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"

enum revoke_kind {
	REVOKE_JTI,		/* one token */
	REVOKE_STREAM,		/* every token of a stream issued before a time */
	REVOKE_CLIENT,		/* every token of a client (azp) issued before a time */
};

#define REVOKE_VALUE_MAX 128	/* a jti (< 64), a stream uid or client name */

struct revoke;

/*
 * Reads the file at path (a missing file is an empty list; it is created
 * by the first revocation). A corrupt line is logged as FILE:LINE and
 * skipped; the entries around it stay in force. NULL with a message in
 * err when the file cannot be read, or without memory.
 */
struct revoke *revoke_open(const char *path, int64_t now, char *err,
    size_t errlen);
void revoke_free(struct revoke *r);

/*
 * Takes in what other processes appended: at most one stat(2) a second
 * (now: Unix seconds), then the new lines only; the whole file again when
 * it was replaced (a compaction). Keeps the entries it has on any error.
 */
void revoke_refresh(struct revoke *r, int64_t now);

/* True when the token of these (authentic) claims is revoked. */
bool revoke_applies(const struct revoke *r, const struct claims *c);

/* The number of entries in force (jtis, streams and clients). */
size_t revoke_count(const struct revoke *r);

/*
 * A valid value for kind: a jti of base64url characters, a name of
 * SPEC 4's characters.
 */
bool revoke_valid_value(enum revoke_kind kind, const char *value);
const char *revoke_kind_name(enum revoke_kind kind);

/*
 * Appends one entry to the file at path (created 0644 if missing) under an
 * exclusive flock, fsync'd before it returns; r (may be NULL) applies it
 * at once. time: the revocation time for a jti, "before" otherwise.
 */
bool revoke_append(struct revoke *r, const char *path, enum revoke_kind kind,
    const char *value, int64_t time, char *err, size_t errlen);

/*
 * Rewrites the file without the entries whose time is before horizon
 * (every token they could refuse has expired), through a temporary file
 * and rename(2), under the same lock. Counts what it kept and dropped.
 */
bool revoke_compact(const char *path, int64_t horizon, size_t *kept,
    size_t *dropped, char *err, size_t errlen);

#endif
