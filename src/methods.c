/* methods: the method table and the handlers it names. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
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
	add_audience_claims(cfg, client, &c);
	return token_sign(cfg->signing_key, cfg->issuer, &c, out);
}

/* SPEC 2.3: sign a token for a validated grant. */
static enum st_err
create_access_token(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	struct grant g;
	enum st_err err;

	err = validate_create_params(cfg, call->req->client, call->params, &g,
	    &call->perr);
	memcpy(call->stream, g.stream, sizeof(call->stream));
	if (err != ST_OK)
		return err;

	/* base64url and dots: a JSON string needs no escaping. */
	buf_append(call->result, "\"", 1);
	if (!methods_sign_grant(cfg, call->req->client, &g, call->req->now,
	    call->result))
		return ST_ERR_INTERNAL;
	buf_append(call->result, "\"", 1);
	return call->result->failed ? ST_ERR_INTERNAL : ST_OK;
}

/* Reads Auth.VerifyToken's params: token (required) and url, named or positional. */
static enum st_err
read_verify_params(struct call *call, const char **token, const char **url)
{
	static const char *const names[] = {"token", "url"};
	const struct json_value *v[2] = {NULL, NULL}, *p;
	size_t i;

	if (call->params != NULL && call->params->type == JSON_ARRAY) {
		if (call->params->len > 2) {
			snprintf(call->perr.param, sizeof(call->perr.param), "params");
			call->perr.reason = "at most 2 positional parameters";
			return ST_ERR_INVALID_PARAMS;
		}
		for (p = call->params->u.first, i = 0; p != NULL; p = p->next, i++)
			v[i] = p;
	} else if (call->params != NULL) {
		/* A repeated name: its last value, as json_get would find. */
		for (p = call->params->u.first; p != NULL; p = p->next) {
			for (i = 0; i < 2 && !json_key_is(p, names[i]); i++)
				;
			if (i == 2) {
				validate_refuse(&call->perr, p->key, p->key_len,
				    "unknown parameter");
				return ST_ERR_INVALID_PARAMS;
			}
			v[i] = p;
		}
	}
	/* null means not given, as an absent member does. */
	for (i = 0; i < 2; i++)
		if (v[i] != NULL && v[i]->type == JSON_NULL)
			v[i] = NULL;
	if (v[0] == NULL) {
		validate_refuse(&call->perr, "token", 5, "is required");
		return ST_ERR_INVALID_PARAMS;
	}
	for (i = 0; i < 2; i++) {
		if (v[i] != NULL && !json_is_plain_string(v[i])) {
			validate_refuse(&call->perr, names[i], strlen(names[i]),
			    "must be a string");
			return ST_ERR_INVALID_PARAMS;
		}
	}
	*token = v[0]->u.s;
	*url = v[1] != NULL ? v[1]->u.s : NULL;
	return ST_OK;
}

/* SPEC 7.3: tell a backend what a token grants, and whether it opens a URL. */
static enum st_err
verify_token(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	const char *token = NULL, *url = NULL, *reason;
	struct check_result res;
	bool valid, authentic;
	enum st_err err;

	err = read_verify_params(call, &token, &url);
	if (err != ST_OK)
		return err;
	memset(&res, 0, sizeof(res));
	if (url != NULL) {
		check_decide_token(cfg, url, token, call->req->now, &res);
		valid = res.status == 200;
		reason = res.reason;
		authentic = res.token_checked || res.token_status == TOKEN_EXPIRED ||
		    res.token_status == TOKEN_NOT_YET_VALID;
		if (res.routed)
			memcpy(call->stream, res.match.stream, sizeof(call->stream));
	} else {
		res.token_status = token_verify(cfg, token, strlen(token),
		    call->req->now, &res.claims);
		valid = res.token_status == TOKEN_VALID;
		reason = token_status_reason(res.token_status);
		authentic = valid || res.token_status == TOKEN_EXPIRED ||
		    res.token_status == TOKEN_NOT_YET_VALID;
	}
	if (res.token_status == TOKEN_NO_MEMORY)
		return ST_ERR_INTERNAL;
	buf_printf(call->result, "{\"valid\":%s,\"reason\":",
	    valid ? "true" : "false");
	buf_append_json_string(call->result, reason, strlen(reason));
	if (url != NULL && res.routed) {
		buf_puts(call->result, ",\"route\":");
		buf_append_json_string(call->result, res.match.route->name,
		    strlen(res.match.route->name));
	}
	buf_puts(call->result, ",\"claims\":");
	/* Claims are shown only once the signature has proved them authentic. */
	if (authentic && res.claims.sub[0] != '\0')
		token_claims_json(call->result, NULL, &res.claims);
	else
		buf_puts(call->result, "null");
	buf_puts(call->result, "}");
	return call->result->failed ? ST_ERR_INTERNAL : ST_OK;
}

static const struct method method_table[] = {
	{"Auth.CreateAccessToken", create_access_token, NEEDS_CLIENT},
	/* The seed page's signature line and example use this name. */
	{"Auth.CreateApiToken", create_access_token, NEEDS_CLIENT},
	{"Auth.VerifyToken", verify_token, NEEDS_CLIENT},
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
