/* check: SPEC 7 decision for media requests, and the two FastCGI ways to ask for it. */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "check.h"
#include "log.h"
#include "revoke.h"
#include "text.h"

static void
decide(struct check_result *res, int status, const char *reason)
{
	res->status = status;
	res->reason = reason;
}

/* Requested window inside the granted one; 0 is unbounded (SPEC 3). */
static bool
window_inside(const struct claims *c, const struct route_match *m)
{
	if (c->from != 0 && m->from < c->from)
		return false;
	if (c->to != 0 && m->to > c->to)
		return false;
	return true;
}

/* The value of name=... in a query string, percent-decoded into out. */
static bool
query_param(const char *q, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name), n = 0;
	const char *p = q, *v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			for (v = p + nlen + 1; *v != '\0' && *v != '&';) {
				/* Plain runs (a whole token, usually) are copied at once. */
				size_t run = strcspn(v, "&%");
				int b;

				if (run > 0) {
					if (n + run >= cap)
						return false;
					memcpy(out + n, v, run);
					n += run;
					v += run;
					continue;
				}
				if (*v == '&')
					break;
				b = text_percent_byte(v);
				if (b <= 0 || n + 1 >= cap)
					return false;	/* malformed, %00, or too long */
				out[n++] = (char)b;
				v += 3;
			}
			out[n] = '\0';
			return n > 0;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return false;
}

/*
 * A timed segment opens to a live viewer only while it is recent: a live
 * token must not reach the archive through old segment URLs.
 */
static bool
segment_is_live(const struct route_match *m, const struct config *cfg,
    int64_t now)
{
	/*
	 * Judged on its start: the end comes from a duration the client wrote.
	 * A file timed by its folders may be from any second of their hour (or
	 * day, or minute): it is live while that span ended at most
	 * live_window ago.
	 */
	int64_t t = m->folder_window ? (int64_t)m->to : (int64_t)m->from;

	return m->route->timed_segment && t + (int64_t)cfg->live_window >= now;
}

/*
 * True when the token of these authentic claims is in the revocation file
 * (as other processes may have appended to it up to a second ago).
 */
static bool
revoked(const struct config *cfg, const struct claims *c, int64_t now)
{
	if (cfg->revoke == NULL)
		return false;
	revoke_refresh(cfg->revoke, now);
	return revoke_applies(cfg->revoke, c);
}

/*
 * SPEC 7, judged against the configuration as it is now: NULL while the
 * token's client (azp) is still configured and may still use its stream,
 * else why not. Tokens the operator minted (azp "cli") have no client.
 */
static const char *
policy_refusal(const struct config *cfg, const struct claims *c)
{
	const struct client *client;

	/*
	 * Tokens of the operator (streamtoken mint; no [client] may take that
	 * name) or of another signer holding our key: no client to re-check.
	 */
	if (c->azp[0] == '\0' || strcmp(c->azp, CONFIG_OPERATOR_AZP) == 0)
		return NULL;
	client = config_find_client(cfg, c->azp);
	if (client == NULL)
		return "token's client is no longer configured";
	if (!config_client_may_use(client, c->sub))
		return "token's client may no longer use this stream";
	return NULL;
}

/*
 * Checks a verified token against what the route asks for, and against
 * the configuration as it is now: its client, and what its stream allows.
 */
static void
decide_grant(const struct config *cfg, int64_t now, const struct stream *s,
    const struct check_result *in, struct check_result *res)
{
	const struct claims *c = &in->claims;
	const struct route_match *m = &in->match;
	unsigned granted = (c->live ? PERM_LIVE : 0) | (c->dvr ? PERM_DVR : 0) |
	    (c->copy ? PERM_COPY : 0);
	const char *refused;

	if (strcmp(c->sub, m->stream) != 0)
		return decide(res, 403, "token is for another stream");
	refused = policy_refusal(cfg, c);
	if (refused != NULL)
		return decide(res, 403, refused);
	if ((granted & m->perm) != 0 && (granted & m->perm & s->allow) == 0)
		return decide(res, 403, "stream no longer allows what the token grants");
	granted &= s->allow;
	if ((granted & m->perm) == 0) {
		if (m->perm == PERM_COPY)
			return decide(res, 403, "token does not grant copy");
		if (m->perm == PERM_DVR)
			return decide(res, 403, "token does not grant dvr");
		if (m->perm == PERM_LIVE)
			return decide(res, 403, "token does not grant live");
		return decide(res, 403, "token grants no permission this URL needs");
	}
	if (m->has_window) {
		bool live_ok = (granted & m->perm & PERM_LIVE) &&
		    segment_is_live(m, cfg, now);
		bool window_ok = (granted & m->perm & (PERM_DVR | PERM_COPY)) &&
		    window_inside(c, m);

		if (!live_ok && !window_ok) {
			if ((granted & m->perm) == PERM_LIVE && m->route->timed_segment)
				return decide(res, 403, "segment is older than the live window");
			return decide(res, 403,
			    "requested time is outside the token's window");
		}
	}
	decide(res, 200, "allowed");
}

/*
 * NULL when the token is bound to no address, or viewer is inside the
 * address or block it is bound to; else why not. viewer NULL: not known.
 */
static const char *
binding_refusal(const struct claims *c, const uint8_t *viewer)
{
	if (c->ip[0] == '\0')
		return NULL;
	if (viewer == NULL)
		return "token is bound to an address; the viewer's is not known";
	if (!ip_net_contains(&c->ip_net, viewer))
		return "token is bound to another address";
	return NULL;
}

/*
 * The viewer of a media request: REMOTE_ADDR, or through X-Forwarded-For
 * when REMOTE_ADDR is one of [server] trusted_proxies; buf, or NULL.
 */
static const uint8_t *
request_viewer(const struct request *req, uint8_t buf[16])
{
	const struct config *cfg = req->cfg;

	if (!ip_viewer_address(request_known(req, REQ_REMOTE_ADDR),
	    cfg->ntrusted_proxies > 0 ?
	    request_known(req, REQ_HTTP_X_FORWARDED_FOR) : NULL,
	    cfg->trusted_proxies, cfg->ntrusted_proxies, buf))
		return NULL;
	return buf;
}

/*
 * Who is asking: an address given (NULL: not known), or the request whose
 * REMOTE_ADDR and X-Forwarded-For say it, read only for a bound token.
 */
struct viewer {
	const uint8_t *addr;
	const struct request *req;
	uint8_t buf[16];
};

static const uint8_t *
viewer_address(struct viewer *v)
{
	if (v->addr == NULL && v->req != NULL)
		v->addr = request_viewer(v->req, v->buf);
	return v->addr;
}

/*
 * explicit: the caller names the token to judge (Auth.VerifyToken, verify
 * --url); one in the URL's path or query is then not used in its place.
 */
static void
decide_url(const struct config *cfg, const char *uri, const char *token,
    bool explicit, struct viewer *viewer, int64_t now,
    struct check_result *res)
{
	const char *unbound;
	char path[ROUTE_PATH_MAX], tok[TOKEN_MAX_LEN + 1];
	const char *query, *rest;
	const struct stream *s;
	size_t plen, prefix_len;

	/* Not the claims: about 750 bytes token_verify clears if it runs. */
	memset(res, 0, offsetof(struct check_result, claims));
	if (uri == NULL || *uri == '\0')
		return decide(res, 403, "no URL to check");
	uri = route_origin_form(uri);
	if (uri == NULL)
		return decide(res, 403, "URL path refused (not a path)");
	query = strchr(uri, '?');
	plen = query != NULL ? (size_t)(query - uri) : strlen(uri);
	if (!route_normalize(uri, plen, path, sizeof(path)))
		return decide(res, 403, "URL path refused (encoding or traversal)");
	/* The path token segment is stripped either way, as the server does. */
	if (route_take_path_token(path, tok, sizeof(tok))) {
		if (!explicit)
			token = tok;
	} else if (!explicit && query != NULL &&
	    query_param(query + 1, "token", tok, sizeof(tok))) {
		token = tok;
	}
	rest = path;
	prefix_len = cfg->url_prefix != NULL ? strlen(cfg->url_prefix) : 0;
	if (prefix_len > 0) {
		if (strncmp(path, cfg->url_prefix, prefix_len) != 0 ||
		    path[prefix_len] != '/')
			return decide(res, 403, "URL outside url_prefix");
		rest = path + prefix_len;
	}
	if (!route_match(cfg, rest, now, &res->match))
		return decide(res, 403, "no route matches the URL");
	res->routed = true;
	s = config_find_stream(cfg, res->match.stream);
	if (s == NULL)
		return decide(res, 403, "stream not configured");
	if (!s->is_private)
		return decide(res, 200, "public stream");
	if (token == NULL || *token == '\0')
		return decide(res, 401, "no token");
	res->token_status = token_verify(cfg, token, strlen(token), now,
	    &res->claims);
	if (res->token_status == TOKEN_NO_MEMORY)
		return decide(res, 500, "internal error");
	if (res->token_status != TOKEN_VALID)
		return decide(res, 401, token_status_reason(res->token_status));
	res->token_checked = true;
	if (revoked(cfg, &res->claims, now))
		return decide(res, 401, "revoked");
	unbound = res->claims.ip[0] == '\0' ? NULL :
	    binding_refusal(&res->claims, viewer_address(viewer));
	if (unbound != NULL)
		return decide(res, 403, unbound);
	decide_grant(cfg, now, s, res, res);
}

void
check_decide(const struct config *cfg, const char *uri, const char *token,
    int64_t now, struct check_result *res)
{
	struct viewer v = {NULL, NULL, {0}};

	decide_url(cfg, uri, token, false, &v, now, res);
}

void
check_decide_from(const struct config *cfg, const char *uri,
    const char *token, const uint8_t *viewer, int64_t now,
    struct check_result *res)
{
	struct viewer v = {viewer, NULL, {0}};

	decide_url(cfg, uri, token, false, &v, now, res);
}

void
check_decide_token(const struct config *cfg, const char *uri,
    const char *token, const uint8_t *viewer, int64_t now,
    struct check_result *res)
{
	struct viewer v = {viewer, NULL, {0}};

	decide_url(cfg, uri, token, true, &v, now, res);
}

const char *
check_token_alone(const struct config *cfg, enum token_status st,
    const struct claims *c, const uint8_t *viewer, int64_t now)
{
	const char *refused;

	if (st != TOKEN_VALID)
		return token_status_reason(st);
	if (revoked(cfg, c, now))
		return "revoked";
	refused = policy_refusal(cfg, c);
	return refused != NULL ? refused : binding_refusal(c, viewer);
}


/* The streamtoken cookie, if the request carries one. */
static const char *
cookie_token(const char *cookies, char *out, size_t cap)
{
	const char *p = cookies;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, "streamtoken=", 12) == 0) {
			size_t n = strcspn(p + 12, "; ");
			if (n == 0 || n >= cap)
				return NULL;
			memcpy(out, p + 12, n);
			out[n] = '\0';
			return out;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

void
check_request(struct request *req, const char *uri)
{
	char cookie[TOKEN_MAX_LEN + 1];
	const char *token, *method;
	struct viewer viewer = {NULL, NULL, {0}};
	struct check_result res;
	size_t len;

	/* A stream token, not an API key: up to TOKEN_MAX_LEN bytes. */
	token = auth_bearer_token(request_known(req, REQ_HTTP_AUTHORIZATION),
	    TOKEN_MAX_LEN, &len);
	if (token != NULL) {
		memcpy(cookie, token, len);
		cookie[len] = '\0';
		token = cookie;
	} else {
		token = cookie_token(request_known(req, REQ_HTTP_COOKIE), cookie,
		    sizeof(cookie));
	}
	viewer.req = req;
	decide_url(req->cfg, uri, token, false, &viewer, req->now, &res);
	req->status = res.status;
	buf_puts(&req->headers, "Cache-Control: no-store\r\n");
	if (res.status == 401)
		buf_puts(&req->headers,
		    "WWW-Authenticate: Bearer realm=\"streamtoken\"\r\n");
	if (res.status == 200 && res.token_checked) {
		/* FastCGI 1.0 §6.3: Variable- headers reach what serves the file. */
		buf_puts(&req->headers, "Variable-STREAMTOKEN_STREAM: ");
		buf_puts(&req->headers, res.claims.sub);
		buf_puts(&req->headers, "\r\nVariable-STREAMTOKEN_CLIENT: ");
		buf_puts(&req->headers, res.claims.azp);
		buf_puts(&req->headers, "\r\nVariable-STREAMTOKEN_JTI: ");
		buf_puts(&req->headers, res.claims.jti);
		buf_puts(&req->headers, "\r\n");
	}
	method = request_known(req, REQ_FCGI_ROLE);
	log_check(req, method != NULL && !strcmp(method, "AUTHORIZER") ?
	    "authorize" : "auth_request", res.routed ? res.match.stream : NULL,
	    res.token_checked ? res.claims.azp : NULL, res.reason);
}

void
check_authorizer(struct request *req)
{
	check_request(req, request_known(req, REQ_REQUEST_URI));
}

/* nginx sets this with fastcgi_param; clients cannot send a FastCGI param. */
bool
check_is_subrequest(const struct request *req)
{
	const char *mode = request_known(req, REQ_STREAMTOKEN_MODE);

	return mode != NULL && strcmp(mode, "verify") == 0;
}

/*
 * The URL comes from params the web server sets, never from a header the
 * client could send (an X-Original-URI header would let it name any URL).
 */
void
check_subrequest(struct request *req)
{
	const char *uri = request_known(req, REQ_STREAMTOKEN_URI);

	if (uri == NULL)
		uri = request_known(req, REQ_REQUEST_URI);
	check_request(req, uri);
}
