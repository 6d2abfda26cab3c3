/* auth: who is calling: the API client named by the bearer token. */
#ifndef ST_AUTH_H
#define ST_AUTH_H

#include "config.h"
#include "errors.h"

#define AUTH_TOKEN_MAX 512

/*
 * Finds the client whose token_sha256 is the SHA-256 of the bearer token in
 * an "Authorization: Bearer ..." value. Every client is compared, in
 * constant time, so timing tells nothing about which one almost matched.
 */
enum st_err auth_bearer(const struct config *cfg, const char *authorization,
    const struct client **client);

/* Extracts the RFC 6750 b64token (at most max bytes) from an Authorization value; NULL if none. */
const char *auth_bearer_token(const char *authorization, size_t max,
    size_t *len);

#endif
