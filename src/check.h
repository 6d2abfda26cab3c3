/* check: may this media request be served? The verification decision of SPEC 7. */
#ifndef ST_CHECK_H
#define ST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "request.h"
#include "route.h"
#include "token.h"

struct check_result {
	int status;			/* 200, 401 or 403 */
	const char *reason;		/* why, in words; never the token */
	struct route_match match;	/* valid when routed */
	bool routed;
	bool token_checked;		/* a token was verified (claims authentic) */
	enum token_status token_status;
	/*
	 * Last, and left alone until token_verify fills it: read it only
	 * when token_checked, or token_status says the token was authentic.
	 */
	struct claims claims;
};

/*
 * Decides for a request URI (path and optional query, raw as sent) and a
 * token (NULL: none offered, except in the URI's path prefix or query).
 */
void check_decide(const struct config *cfg, const char *uri,
    const char *token, int64_t now, struct check_result *res);

/*
 * The same for a viewer at an address (16 bytes, IPv4-mapped; NULL: not
 * known), which a token bound to an address (its ip claim) must match.
 * check_decide judges with no address known.
 */
void check_decide_from(const struct config *cfg, const char *uri,
    const char *token, const uint8_t *viewer, int64_t now,
    struct check_result *res);

/* The same, for the given token only (Auth.VerifyToken, verify --url). */
void check_decide_token(const struct config *cfg, const char *uri,
    const char *token, const uint8_t *viewer, int64_t now,
    struct check_result *res);

/*
 * NULL when the token is bound to no address, or viewer is inside the
 * address or block it is bound to; else why not. viewer NULL: not known.
 */
const char *check_token_binding(const struct claims *c, const uint8_t *viewer);

/*
 * The viewer of a media request: REMOTE_ADDR, or through X-Forwarded-For
 * when REMOTE_ADDR is one of [server] trusted_proxies; buf, or NULL.
 */
const uint8_t *check_viewer_address(const struct request *req,
    uint8_t buf[16]);

/*
 * True when the token of these authentic claims is in the revocation file
 * (as other processes may have appended to it up to a second ago).
 */
bool check_revoked(const struct config *cfg, const struct claims *c,
    int64_t now);

/*
 * SPEC 7, judged against the configuration as it is now: NULL while the
 * token's client (azp) is still configured and may still use its stream,
 * else why not. Tokens the operator minted (azp "cli") have no client.
 */
const char *check_token_policy(const struct config *cfg,
    const struct claims *c);

/* The token of a request: path prefix, ?token=, Authorization: Bearer, cookie. */
void check_request(struct request *req, const char *uri);

/* FastCGI Authorizer role (lighttpd mode authorizer, Apache FcgidAccessChecker). */
void check_authorizer(struct request *req);
/* A responder request that is an nginx auth_request sub-request. */
bool check_is_subrequest(const struct request *req);
void check_subrequest(struct request *req);

#endif
