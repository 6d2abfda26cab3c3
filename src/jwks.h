/* jwks: the public keys as a JWK Set (RFC 7517 §5), built per configuration and served. */
#ifndef ST_JWKS_H
#define ST_JWKS_H

#include <stdbool.h>

#include "config.h"
#include "request.h"

/*
 * Builds cfg->jwks, the JWKS of every EdDSA, ES256 and RS256 key (signing
 * or verify-only; never an HMAC key, never a private part), and its ETag.
 * config_load calls it once; false only when out of memory.
 */
bool jwks_build(struct config *cfg);

/* A request for the configured jwks_path (the path of REQUEST_URI). */
bool jwks_is_request(const struct request *req);

/*
 * GET and HEAD: 200 with the document, or 304 when If-None-Match names
 * its ETag; other methods 405. Logs the request.
 */
void jwks_respond(struct request *req);

#endif
