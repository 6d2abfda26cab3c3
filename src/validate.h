/* validate: Auth.CreateAccessToken params, strictly typed, into a grant. */
#ifndef ST_VALIDATE_H
#define ST_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "errors.h"
#include "jsonio.h"
#include "revoke.h"

/* The request, once every param has been checked. */
struct grant {
	char stream[ST_NAME_MAX + 1];
	uint32_t ttl;			/* 0: unlimited */
	bool live, dvr, copy;
	uint32_t from, to;
	uint32_t nbf;			/* 0: no nbf claim */
	char ip[IP_NET_TEXT_MAX];	/* normal form; "": not bound */
	const struct stream *rule;	/* the stream's section */
};

/* Why params were refused: the param name and a reason, for error.data. */
struct param_error {
	char param[65];
	const char *reason;
};

/*
 * SPEC 2.3: params (object, array or NULL) → grant, at time now (nbf
 * must come before the token's exp). Stream lookup and the
 * client's stream patterns are checked here too, in that order of trust:
 * types first, then the client's right to the stream, then the stream rules.
 */
enum st_err validate_create_params(const struct config *cfg,
    const struct client *client, struct json_object *params, int64_t now,
    struct grant *g, struct param_error *perr);

/* Auth.RevokeTokens: one jti, or every token of a stream or client before a time. */
struct revocation {
	enum revoke_kind kind;
	char value[REVOKE_VALUE_MAX + 1];
	int64_t before;			/* stream, client: tokens with iat < before */
};

/*
 * Named params only: exactly one of jti, stream and client; before (Unix
 * seconds, at most now + 1) with stream or client, defaulting to now + 1:
 * every token issued up to this second. A stream must be one the client
 * may use.
 */
enum st_err validate_revoke_params(const struct client *client,
    struct json_object *params, int64_t now, struct revocation *rv,
    struct param_error *perr);

/*
 * Fills perr with param (len bytes, the caller's possibly odd spelling, kept
 * printable ASCII and short) and reason; returns ST_ERR_INVALID_PARAMS.
 */
enum st_err validate_refuse(struct param_error *perr, const char *param,
    size_t len, const char *reason);

/* Parses a uint32 from JSON: an integer, not a double, bool or string. */
bool validate_u32(struct json_object *v, uint32_t *out);

#endif
