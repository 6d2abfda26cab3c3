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
 * A token judged without a URL (Auth.VerifyToken, verify): NULL when its
 * verification status st is valid and it is not revoked, its client still
 * covers its stream and viewer (NULL: not known) matches its binding;
 * else why not.
 */
const char *check_token_alone(const struct config *cfg, enum token_status st,
    const struct claims *c, const uint8_t *viewer, int64_t now);

/* The token of a request: path prefix, ?token=, Authorization: Bearer, cookie. */
void check_request(struct request *req, const char *uri);

/* FastCGI Authorizer role (lighttpd mode authorizer, Apache FcgidAccessChecker). */
void check_authorizer(struct request *req);
/* A responder request that is an nginx auth_request sub-request. */
bool check_is_subrequest(const struct request *req);
void check_subrequest(struct request *req);

#endif
