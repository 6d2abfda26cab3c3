/* validate: SPEC 2.3 param rules; every refusal names its param. */
#include "autoconfig.h"

#include <string.h>

#include "validate.h"

enum param_id {
	P_STREAM, P_TTL, P_LIVE, P_DVR, P_COPY, P_FROM, P_TO, P_IP, P_NBF,
	P__COUNT
};

/* SPEC 2.3: the positional order (ip and nbf, issue 13, come last). */
static const char *const param_names[P__COUNT] = {
	"stream", "ttl", "live", "dvr", "copy", "from", "to", "ip", "nbf"
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
validate_u32(struct json_object *v, uint32_t *out)
{
	int64_t n;

	/* 1e3, 3600.5 and -0 are doubles; only integers pass. */
	if (!jsonio_int(v, 0, UINT32_MAX, &n))
		return false;
	*out = (uint32_t)n;
	return true;
}

static enum st_err
set_param(struct grant *g, enum param_id id, struct json_object *v,
    struct param_error *perr)
{
	const char *name = param_names[id], *s;
	size_t len;

	switch (id) {
	case P_STREAM:
		if (!json_object_is_type(v, json_type_string))
			return refuse(perr, name, "must be a string");
		if (!jsonio_plain_string(v, &s, &len) || !config_valid_name(s, len))
			return refuse(perr, name, "must be 1 to 128 characters from "
			    "A-Z a-z 0-9 . _ ~ -");
		memcpy(g->stream, s, len + 1);
		return ST_OK;
	case P_TTL:
	case P_FROM:
	case P_TO:
	case P_NBF: {
		uint32_t n;

		if (!validate_u32(v, &n))
			return refuse(perr, name, "must be an unsigned integer "
			    "from 0 to 4294967295");
		if (id == P_TTL)
			g->ttl = n;
		else if (id == P_FROM)
			g->from = n;
		else if (id == P_TO)
			g->to = n;
		else
			g->nbf = n;
		return ST_OK;
	}
	case P_IP: {
		struct ip_net net;

		if (!json_object_is_type(v, json_type_string))
			return refuse(perr, name, "must be a string");
		if (!jsonio_plain_string(v, &s, &len) || len >= IP_NET_TEXT_MAX ||
		    !ip_parse_net(s, &net))
			return refuse(perr, name, "must be an IPv4 or IPv6 address "
			    "or CIDR block");
		ip_net_format(&net, g->ip);
		return ST_OK;
	}
	case P_LIVE:
	case P_DVR:
	case P_COPY:
		if (!json_object_is_type(v, json_type_boolean))
			return refuse(perr, name, "must be true or false");
		if (id == P_LIVE)
			g->live = json_object_get_boolean(v);
		else if (id == P_DVR)
			g->dvr = json_object_get_boolean(v);
		else
			g->copy = json_object_get_boolean(v);
		return ST_OK;
	case P__COUNT:
		break;
	}
	return ST_ERR_INTERNAL;
}

static int
param_id(const char *key)
{
	int id;

	for (id = 0; id < P__COUNT; id++)
		if (strcmp(key, param_names[id]) == 0)
			break;
	return id;
}

/*
 * Named params, checked in the order they were written. A repeated name
 * counts once, at its first place, with its last value: json-c keeps
 * objects so (RFC 8259 leaves duplicates open; RFC 7515 §5.2 allows it).
 */
static enum st_err
read_named(struct json_object *params, struct grant *g, bool *seen,
    struct param_error *perr)
{
	enum st_err err;
	int id;

	json_object_object_foreach(params, key, v) {
		id = param_id(key);
		if (id == P__COUNT)
			return validate_refuse(perr, key, strlen(key),
			    "unknown parameter");
		err = set_param(g, (enum param_id)id, v, perr);
		if (err != ST_OK)
			return err;
		seen[id] = true;
	}
	return ST_OK;
}

static enum st_err
read_positional(struct json_object *params, struct grant *g, bool *seen,
    struct param_error *perr)
{
	size_t i, n = json_object_array_length(params);
	enum st_err err;

	if (n > P__COUNT)
		return refuse(perr, "params", "at most 9 positional parameters");
	for (i = 0; i < n; i++) {
		err = set_param(g, (enum param_id)i,
		    json_object_array_get_idx(params, i), perr);
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
	if (s->bind_ip && g->ip[0] == '\0')
		return refuse(perr, "ip", "is required for this stream (bind_ip)");
	return ST_OK;
}

enum st_err
validate_create_params(const struct config *cfg, const struct client *client,
    struct json_object *params, int64_t now, struct grant *g,
    struct param_error *perr)
{
	bool seen[P__COUNT] = {false}, ttl_given;
	enum st_err err = ST_OK;

	memset(g, 0, sizeof(*g));
	g->ttl = cfg->default_ttl;
	if (json_object_is_type(params, json_type_object))
		err = read_named(params, g, seen, perr);
	else if (json_object_is_type(params, json_type_array))
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
	/* RFC 7519 §4.1.5: a token valid from nbf must still be valid then. */
	if (g->nbf != 0 && g->ttl != 0 && (int64_t)g->nbf >= now + (int64_t)g->ttl)
		return refuse(perr, "nbf", "must be before exp (now + ttl)");
	return check_stream_rules(cfg, g, perr);
}

static bool
client_covers_every_stream(const struct client *client)
{
	size_t i;

	for (i = 0; i < client->nstreams; i++)
		if (strcmp(client->streams[i], "*") == 0)
			return true;
	return false;
}

/* One of jti, stream, client: which, from its name; -1 for another name. */
static int
revoke_kind_of(const char *key)
{
	int k;

	for (k = REVOKE_JTI; k <= REVOKE_CLIENT; k++)
		if (strcmp(key, revoke_kind_name((enum revoke_kind)k)) == 0)
			return k;
	return -1;
}

static enum st_err
read_revoke_value(struct json_object *v, enum revoke_kind kind,
    struct revocation *rv, struct param_error *perr)
{
	const char *name = revoke_kind_name(kind), *s;
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return refuse(perr, name, "must be a string");
	if (!jsonio_plain_string(v, &s, &len) || len > REVOKE_VALUE_MAX ||
	    !revoke_valid_value(kind, s))
		return refuse(perr, name, kind == REVOKE_JTI ?
		    "must be 1 to 63 base64url characters" :
		    "must be 1 to 128 characters from A-Z a-z 0-9 . _ ~ -");
	rv->kind = kind;
	memcpy(rv->value, s, len + 1);
	return ST_OK;
}

enum st_err
validate_revoke_params(const struct client *client, struct json_object *params,
    int64_t now, struct revocation *rv, struct param_error *perr)
{
	struct json_object *before = NULL;
	enum st_err err;
	bool have = false;
	int kind;

	memset(rv, 0, sizeof(*rv));
	if (params != NULL && !json_object_is_type(params, json_type_object))
		return refuse(perr, "params", "must be an object");
	if (params != NULL) {
		json_object_object_foreach(params, key, v) {
			if (strcmp(key, "before") == 0) {
				before = v;
				continue;
			}
			kind = revoke_kind_of(key);
			if (kind < 0)
				return validate_refuse(perr, key, strlen(key),
				    "unknown parameter");
			if (have)
				return refuse(perr, key, "give one of jti, stream "
				    "and client");
			err = read_revoke_value(v, (enum revoke_kind)kind, rv, perr);
			if (err != ST_OK)
				return err;
			have = true;
		}
	}
	if (!have)
		return refuse(perr, "jti", "one of jti, stream and client is "
		    "required");
	rv->before = now + 1;
	if (before != NULL) {
		if (rv->kind == REVOKE_JTI)
			return refuse(perr, "before", "applies to stream or client "
			    "only");
		if (!jsonio_int(before, 0, now + 1, &rv->before))
			return refuse(perr, "before", "must be Unix seconds, not "
			    "later than now");
	}
	/*
	 * A client acts on what it could mint for: streams its patterns cover,
	 * and its own tokens; every client's only with streams = * (an
	 * administrator's client).
	 */
	if (rv->kind == REVOKE_STREAM && !config_client_may_use(client, rv->value))
		return ST_ERR_FORBIDDEN;
	if (rv->kind == REVOKE_CLIENT && strcmp(rv->value, client->name) != 0 &&
	    !client_covers_every_stream(client))
		return ST_ERR_FORBIDDEN;
	return ST_OK;
}
