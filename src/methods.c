/* methods: the method table and the handlers it names. */
#include "autoconfig.h"

#include <string.h>

#include "methods.h"
#include "token.h"
#include "validate.h"

/* SPEC 2.3: sign a token for a validated grant. */
static enum st_err
create_access_token(struct call *call)
{
	const struct config *cfg = call->req->cfg;
	struct claims c;
	struct grant g;
	struct buf tok;
	enum st_err err;

	err = validate_create_params(cfg, call->req->client, call->params, &g,
	    &call->perr);
	memcpy(call->stream, g.stream, sizeof(call->stream));
	if (err != ST_OK)
		return err;

	memset(&c, 0, sizeof(c));
	memcpy(c.sub, g.stream, sizeof(c.sub));
	memcpy(c.azp, call->req->client->name, strlen(call->req->client->name) + 1);
	c.iat = call->req->now;
	c.has_exp = g.ttl != 0;
	c.exp = c.iat + (int64_t)g.ttl;
	c.live = g.live;
	c.dvr = g.dvr;
	c.copy = g.copy;
	c.from = g.from;
	c.to = g.to;

	buf_init(&tok);
	if (!token_sign(cfg->signing_key, cfg->issuer, &c, &tok)) {
		buf_free(&tok);
		return ST_ERR_INTERNAL;
	}
	/* base64url and dots: a JSON string needs no escaping. */
	buf_append(call->result, "\"", 1);
	buf_append(call->result, tok.data, tok.len);
	buf_append(call->result, "\"", 1);
	buf_free(&tok);
	return call->result->failed ? ST_ERR_INTERNAL : ST_OK;
}

static const struct method method_table[] = {
	{"Auth.CreateAccessToken", create_access_token, NEEDS_CLIENT},
	/* The seed page's signature line and example use this name. */
	{"Auth.CreateApiToken", create_access_token, NEEDS_CLIENT},
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
