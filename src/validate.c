/* validate: SPEC 2.3 param rules; every refusal names its param. */
#include "autoconfig.h"

#include <string.h>

#include "validate.h"

enum param_id { P_STREAM, P_TTL, P_LIVE, P_DVR, P_COPY, P_FROM, P_TO, P__COUNT };

/* SPEC 2.3: the positional order. */
static const char *const param_names[P__COUNT] = {
	"stream", "ttl", "live", "dvr", "copy", "from", "to"
};

enum st_err
validate_refuse(struct param_error *perr, const char *param, size_t len,
    const char *reason)
{
	size_t i, n = 0;

	/* The param name may be the caller's typo: keep it printable and short. */
	for (i = 0; i < len && n < sizeof(perr->param) - 1; i++)
		perr->param[n++] = ((unsigned char)param[i] >= 0x20 &&
		    (unsigned char)param[i] < 0x7f) ? param[i] : '?';
	perr->param[n] = '\0';
	perr->reason = reason;
	return ST_ERR_INVALID_PARAMS;
}

static enum st_err
refuse(struct param_error *perr, const char *param, const char *reason)
{
	return validate_refuse(perr, param, strlen(param), reason);
}

bool
validate_u32(const struct json_value *v, uint32_t *out)
{
	/* 1e3, 3600.5 and -0 are doubles; only integers pass. */
	if (v == NULL || v->type != JSON_INT || v->u.i < 0 ||
	    v->u.i > (int64_t)UINT32_MAX)
		return false;
	*out = (uint32_t)v->u.i;
	return true;
}

static enum st_err
set_param(struct grant *g, enum param_id id, const struct json_value *v,
    struct param_error *perr)
{
	const char *name = param_names[id];

	switch (id) {
	case P_STREAM:
		if (v->type != JSON_STRING)
			return refuse(perr, name, "must be a string");
		if (!json_is_plain_string(v) || !config_valid_name(v->u.s, v->len))
			return refuse(perr, name, "must be 1 to 128 characters from "
			    "A-Z a-z 0-9 . _ ~ -");
		memcpy(g->stream, v->u.s, v->len + 1);
		return ST_OK;
	case P_TTL:
	case P_FROM:
	case P_TO: {
		uint32_t n;

		if (!validate_u32(v, &n))
			return refuse(perr, name, "must be an unsigned integer "
			    "from 0 to 4294967295");
		if (id == P_TTL)
			g->ttl = n;
		else if (id == P_FROM)
			g->from = n;
		else
			g->to = n;
		return ST_OK;
	}
	case P_LIVE:
	case P_DVR:
	case P_COPY:
		if (v->type != JSON_BOOL)
			return refuse(perr, name, "must be true or false");
		if (id == P_LIVE)
			g->live = v->u.b;
		else if (id == P_DVR)
			g->dvr = v->u.b;
		else
			g->copy = v->u.b;
		return ST_OK;
	case P__COUNT:
		break;
	}
	return ST_ERR_INTERNAL;
}

/* param_names spelled out, so each compare is inline (tests cover each name). */
static int
param_id(const struct json_value *m)
{
	if (JSON_KEY_IS(m, "stream"))
		return P_STREAM;
	if (JSON_KEY_IS(m, "ttl"))
		return P_TTL;
	if (JSON_KEY_IS(m, "live"))
		return P_LIVE;
	if (JSON_KEY_IS(m, "dvr"))
		return P_DVR;
	if (JSON_KEY_IS(m, "copy"))
		return P_COPY;
	if (JSON_KEY_IS(m, "from"))
		return P_FROM;
	if (JSON_KEY_IS(m, "to"))
		return P_TO;
	return P__COUNT;
}

/*
 * Named params, checked in the order they were written. A repeated name
 * counts once, at its first place, with its last value (RFC 8259 leaves
 * duplicates open; this is what json-c and most parsers do).
 */
static enum st_err
read_named(const struct json_value *params, struct grant *g, bool *seen,
    struct param_error *perr)
{
	const struct json_value *last[P__COUNT] = {NULL}, *v;
	enum st_err err;
	int id;

	for (v = params->u.first; v != NULL; v = v->next)
		if ((id = param_id(v)) < P__COUNT)
			last[id] = v;
	for (v = params->u.first; v != NULL; v = v->next) {
		id = param_id(v);
		if (id == P__COUNT)
			return validate_refuse(perr, v->key, v->key_len, "unknown parameter");
		if (seen[id])
			continue;
		/* last[id] is v or a later namesake: the first pass saw this one. */
		err = set_param(g, (enum param_id)id, last[id] != NULL ? last[id] : v,
		    perr);
		if (err != ST_OK)
			return err;
		seen[id] = true;
	}
	return ST_OK;
}

static enum st_err
read_positional(const struct json_value *params, struct grant *g, bool *seen,
    struct param_error *perr)
{
	const struct json_value *v;
	enum st_err err;
	size_t i;

	if (params->len > P__COUNT)
		return refuse(perr, "params", "at most 7 positional parameters");
	for (v = params->u.first, i = 0; v != NULL; v = v->next, i++) {
		err = set_param(g, (enum param_id)i, v, perr);
		if (err != ST_OK)
			return err;
		seen[i] = true;
	}
	return ST_OK;
}

/* Rules that depend on the stream's section and the server's limits. */
static enum st_err
check_stream_rules(const struct config *cfg, const struct grant *g,
    struct param_error *perr)
{
	const struct stream *s = g->rule;
	uint32_t cap = s->has_max_ttl ? s->max_ttl : cfg->max_ttl;

	if (g->ttl == 0 && !cfg->allow_unlimited)
		return refuse(perr, "ttl", "unlimited tokens (0) are not allowed");
	if (cap != 0 && (g->ttl == 0 || g->ttl > cap))
		return refuse(perr, "ttl", "exceeds the stream's max_ttl");
	if (g->live && !(s->allow & PERM_LIVE))
		return refuse(perr, "live", "not allowed for this stream");
	if (g->dvr && !(s->allow & PERM_DVR))
		return refuse(perr, "dvr", "not allowed for this stream");
	if (g->copy && !(s->allow & PERM_COPY))
		return refuse(perr, "copy", "not allowed for this stream");
	return ST_OK;
}

enum st_err
validate_create_params(const struct config *cfg, const struct client *client,
    const struct json_value *params, struct grant *g, struct param_error *perr)
{
	bool seen[P__COUNT] = {false}, ttl_given;
	enum st_err err = ST_OK;

	memset(g, 0, sizeof(*g));
	g->ttl = cfg->default_ttl;
	if (params != NULL && params->type == JSON_OBJECT)
		err = read_named(params, g, seen, perr);
	else if (params != NULL && params->type == JSON_ARRAY)
		err = read_positional(params, g, seen, perr);
	if (err != ST_OK)
		return err;
	if (!seen[P_STREAM])
		return refuse(perr, "stream", "is required");
	ttl_given = seen[P_TTL];
	if (g->from != 0 && g->to != 0 && g->to < g->from)
		return refuse(perr, "to", "must be greater than or equal to from");
	/* A client may not learn whether streams outside its patterns exist. */
	if (!config_client_may_use(client, g->stream))
		return ST_ERR_FORBIDDEN;
	g->rule = config_find_stream(cfg, g->stream);
	if (g->rule == NULL)
		return ST_ERR_STREAM_NOT_FOUND;
	if (!g->rule->is_private)
		return ST_ERR_STREAM_NOT_PRIVATE;
	/* An omitted ttl is the default, lowered to the stream's cap if need be. */
	if (!ttl_given && g->rule->has_max_ttl && g->rule->max_ttl != 0 &&
	    (g->ttl == 0 || g->ttl > g->rule->max_ttl))
		g->ttl = g->rule->max_ttl;
	return check_stream_rules(cfg, g, perr);
}
