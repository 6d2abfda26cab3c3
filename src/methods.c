/* methods: the method table and the handlers it names. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "methods.h"
#include "token.h"
#include "validate.h"

/* The claims a client's tokens carry for other verifiers: aud, MediaMTX's. */
static void
add_audience_claims(const struct config *cfg, const struct client *client,
    struct claims *c)
{
	const char *aud = config_audience_for(cfg, client);

	/* At most ST_AUDIENCE_MAX characters (config_load checks). */
	if (aud != NULL)
		memcpy(c->aud, aud, strnlen(aud, ST_AUDIENCE_MAX));
	c->mediamtx = client->profile == CLAIMS_MEDIAMTX;
}

bool
methods_sign_grant(const struct config *cfg, const struct client *client,
    const struct grant *g, int64_t now, struct buf *out)
{
	struct claims c;

	/* SPEC 3: the claims of a grant. */
	memset(&c, 0, sizeof(c));
	memcpy(c.sub, g->stream, sizeof(c.sub));
	/* Client names are at most ST_NAME_MAX (config_load checks). */
	memcpy(c.azp, client->name, strnlen(client->name, ST_NAME_MAX));
	c.iat = now;
	c.has_exp = g->ttl != 0;
	c.exp = c.iat + (int64_t)g->ttl;
	c.live = g->live;
	c.dvr = g->dvr;
	c.copy = g->copy;
	c.from = g->from;
	c.to = g->to;
	c.has_nbf = g->nbf != 0;
	c.nbf = g->nbf;
	memcpy(c.ip, g->ip, sizeof(c.ip));
	add_audience_claims(cfg, client, &c);
	return token_sign(cfg->signing_key, cfg->issuer, &c, out);
}

/* SPEC 2.3: sign a token for a validated grant. */
static enum st_err
create_access_token(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	struct grant g;
	struct buf tok;
	char tok_space[1024];		/* a token fits */
	enum st_err err;

	err = validate_create_params(cfg, call->req->client, call->params,
	    call->req->now, &g, &call->perr);
	memcpy(call->stream, g.stream, sizeof(call->stream));
	if (err != ST_OK)
		return err;
	buf_init_storage(&tok, tok_space, sizeof(tok_space));
	err = ST_ERR_INTERNAL;
	if (methods_sign_grant(cfg, call->req->client, &g, call->req->now, &tok) &&
	    !tok.failed) {
		call->result = json_object_new_string_len(tok.data, (int)tok.len);
		if (call->result != NULL)
			err = ST_OK;
	}
	buf_free(&tok);
	return err;
}

/* Auth.VerifyToken's params: token (required), url and ip. */
struct verify_params {
	const char *token;
	const char *url;		/* NULL: judge the token alone */
	const uint8_t *viewer;		/* NULL: no ip given */
	uint8_t addr[16];
};

static const char *const verify_names[] = {"token", "url", "ip"};
#define VERIFY_PARAMS (sizeof(verify_names) / sizeof(verify_names[0]))

/* Reads them, named or positional (token, url, ip). */
static enum st_err
read_verify_params(struct call *call, struct verify_params *vp)
{
	struct json_object *v[VERIFY_PARAMS] = {NULL, NULL, NULL};
	const char *s[VERIFY_PARAMS] = {NULL, NULL, NULL};
	size_t i, len;

	memset(vp, 0, sizeof(*vp));
	vp->token = "";
	if (json_object_is_type(call->params, json_type_array)) {
		size_t n = json_object_array_length(call->params);

		if (n > VERIFY_PARAMS) {
			snprintf(call->perr.param, sizeof(call->perr.param), "params");
			call->perr.reason = "at most 3 positional parameters";
			return ST_ERR_INVALID_PARAMS;
		}
		for (i = 0; i < n; i++)
			v[i] = json_object_array_get_idx(call->params, i);
	} else if (call->params != NULL) {
		/* json-c kept the last of a repeated name. */
		json_object_object_foreach(call->params, key, val) {
			i = 0;
			while (i < VERIFY_PARAMS && strcmp(key, verify_names[i]) != 0)
				i++;
			if (i == VERIFY_PARAMS)
				return validate_refuse(&call->perr, key, strlen(key),
				    "unknown parameter");
			v[i] = val;
		}
	}
	/* null means not given, as an absent member does (json-c: NULL). */
	if (v[0] == NULL)
		return validate_refuse(&call->perr, "token", 5, "is required");
	for (i = 0; i < VERIFY_PARAMS; i++)
		if (v[i] != NULL && !jsonio_plain_string(v[i], &s[i], &len))
			return validate_refuse(&call->perr, verify_names[i],
			    strlen(verify_names[i]), "must be a string");
	if (s[2] != NULL) {
		if (!ip_parse_addr(s[2], vp->addr))
			return validate_refuse(&call->perr, "ip", 2,
			    "must be an IPv4 or IPv6 address");
		vp->viewer = vp->addr;
	}
	if (s[0] != NULL)
		vp->token = s[0];
	vp->url = s[1];
	return ST_OK;
}

/* {"valid":..,"reason":..,["route":..,]"claims":..} of SPEC 7.3. */
static struct json_object *
verify_result(bool valid, const char *reason, const char *route,
    const struct claims *shown)
{
	struct json_object *r = json_object_new_object();
	bool ok;

	ok = r != NULL &&
	    jsonio_add(r, "valid", json_object_new_boolean(valid)) &&
	    jsonio_add(r, "reason", json_object_new_string(reason)) &&
	    (route == NULL || jsonio_add(r, "route", json_object_new_string(route))) &&
	    (shown == NULL ? jsonio_add_null(r, "claims") :
	    jsonio_add(r, "claims", token_claims_object(NULL, shown)));
	if (!ok) {
		json_object_put(r);
		r = NULL;
	}
	return r;
}

/* SPEC 7.3: tell a backend what a token grants, and whether it opens a URL. */
static enum st_err
verify_token(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	const char *reason, *route = NULL;
	struct verify_params vp;
	struct check_result res;
	bool valid, authentic;
	enum st_err err;

	err = read_verify_params(call, &vp);
	if (err != ST_OK)
		return err;
	memset(&res, 0, sizeof(res));
	if (vp.url != NULL) {
		check_decide_token(cfg, vp.url, vp.token, vp.viewer, call->req->now,
		    &res);
		valid = res.status == 200;
		reason = res.reason;
		authentic = res.token_checked ||
		    token_refused_by_clock(res.token_status);
		if (res.routed) {
			memcpy(call->stream, res.match.stream, sizeof(call->stream));
			route = res.match.route->name;
		}
	} else {
		res.token_status = token_verify(cfg, vp.token, strlen(vp.token),
		    call->req->now, &res.claims);
		reason = check_token_alone(cfg, res.token_status, &res.claims,
		    vp.viewer, call->req->now);
		valid = reason == NULL;
		if (valid)
			reason = token_status_reason(TOKEN_VALID);
		authentic = res.token_status == TOKEN_VALID ||
		    token_refused_by_clock(res.token_status);
	}
	if (res.token_status == TOKEN_NO_MEMORY)
		return ST_ERR_INTERNAL;
	/* The request line has no room for it: a refusal's reason on its own. */
	if (!valid)
		log_msg("client %s: Auth.VerifyToken: token refused: %s",
		    call->req->client->name, reason);
	/* Claims are shown only once the signature has proved them authentic. */
	call->result = verify_result(valid, reason, route,
	    authentic && res.claims.sub[0] != '\0' ? &res.claims : NULL);
	return call->result != NULL ? ST_OK : ST_ERR_INTERNAL;
}

/* {"kind":..,"value":..[,"before":..]}: what Auth.RevokeTokens recorded. */
static struct json_object *
revoke_result(const struct revocation *rv)
{
	struct json_object *r = json_object_new_object();
	bool ok;

	ok = r != NULL &&
	    jsonio_add(r, "kind", json_object_new_string(revoke_kind_name(rv->kind))) &&
	    jsonio_add(r, "value", json_object_new_string(rv->value)) &&
	    (rv->kind == REVOKE_JTI ||
	    jsonio_add(r, "before", json_object_new_int64(rv->before)));
	if (!ok) {
		json_object_put(r);
		r = NULL;
	}
	return r;
}

/* Issue 13: take tokens back, for clients with may_revoke. */
static enum st_err
revoke_tokens(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	const struct client *client = call->req->client;
	struct revocation rv;
	char err[512];
	enum st_err e;

	if (!client->may_revoke)
		return ST_ERR_FORBIDDEN;
	e = validate_revoke_params(client, call->params, call->req->now, &rv,
	    &call->perr);
	if (e != ST_OK)
		return e;
	if (rv.kind == REVOKE_STREAM)
		memcpy(call->stream, rv.value, sizeof(call->stream));
	if (cfg->revocation_file == NULL)
		return ST_ERR_NOT_CONFIGURED;
	if (!revoke_append(cfg->revoke, cfg->revocation_file, rv.kind, rv.value,
	    rv.kind == REVOKE_JTI ? call->req->now : rv.before, err, sizeof(err))) {
		log_msg("revocation not recorded: %s", err);
		return ST_ERR_INTERNAL;
	}
	log_msg("client %s revoked %s %s%s", client->name,
	    revoke_kind_name(rv.kind), rv.value,
	    rv.kind == REVOKE_JTI ? "" : " (tokens issued before that time)");
	call->result = revoke_result(&rv);
	return call->result != NULL ? ST_OK : ST_ERR_INTERNAL;
}

static const struct method method_table[] = {
	{"Auth.CreateAccessToken", create_access_token, NEEDS_CLIENT},
	/* The seed page's signature line and example use this name. */
	{"Auth.CreateApiToken", create_access_token, NEEDS_CLIENT},
	{"Auth.VerifyToken", verify_token, NEEDS_CLIENT},
	{"Auth.RevokeTokens", revoke_tokens, NEEDS_CLIENT},
};

const struct method *
methods_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(method_table) / sizeof(method_table[0]); i++)
		if (strcmp(method_table[i].name, name) == 0)
			return &method_table[i];
	return NULL;
}
