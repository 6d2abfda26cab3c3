/* config: a strict INI parser (FILE:LINE errors) and the lookups served from it. */
#include "autoconfig.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config.h"
#include "jwks.h"
#include "keys.h"
#include "revoke.h"
#include "token.h"
#include "tokcache.h"
#include "text.h"

#define LINE_MAX_LEN 8192

enum section_kind { SEC_NONE, SEC_SERVER, SEC_KEY, SEC_CLIENT, SEC_STREAM, SEC_ROUTE };

/* Parser state: one per config_load, gone when it returns. */
struct parser {
	const char *path;
	char *dir;			/* folder of the file, for relative paths */
	unsigned line;
	char *err;
	size_t errlen;
	struct config *cfg;
	enum section_kind kind;
	unsigned seen;			/* keys set in the current section */
	bool server_seen;
	/* key section state, moved into the key at section end */
	char *secret_file;
	unsigned secret_line;
	unsigned revocation_line;	/* of [server] revocation_file */
	char *private_file, *public_file;	/* EdDSA, ES256, RS256 */
	unsigned private_line, public_line;
	bool sign_set;
	/* route section state */
	char *pattern;
	unsigned pattern_line;
};

static bool
fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool
fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	return false;
}

bool
config_valid_name(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > ST_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!text_is_name_char((unsigned char)s[i]))
			return false;
	return true;
}

/* A name, or a glob: the name characters plus * ? [ ] */
static bool
valid_pattern(const char *s, bool *is_glob)
{
	size_t i, len = strlen(s);
	bool glob = false;

	if (len < 1 || len > ST_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (strchr("*?[]", s[i]) != NULL) {
			glob = true;
			continue;
		}
		if (!text_is_name_char((unsigned char)s[i]))
			return false;
	}
	if (is_glob != NULL)
		*is_glob = glob;
	return true;
}

const char *
config_alg_name(enum key_alg alg)
{
	switch (alg) {
	case ALG_HS256: return "HS256";
	case ALG_HS384: return "HS384";
	case ALG_HS512: return "HS512";
	case ALG_EDDSA: return "EdDSA";
	case ALG_ES256: return "ES256";
	case ALG_RS256: return "RS256";
	}
	return "?";
}

bool
config_alg_is_hmac(enum key_alg alg)
{
	return alg == ALG_HS256 || alg == ALG_HS384 || alg == ALG_HS512;
}

const struct client *
config_find_client(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nclients; i++)
		if (!strcmp(cfg->clients[i].name, name))
			return &cfg->clients[i];
	return NULL;
}

const char *
config_audience_for(const struct config *cfg, const struct client *client)
{
	if (client != NULL && client->audience != NULL)
		return client->audience;
	return cfg->audience;
}

/* FNV-1a: short keys, no adversary controls the table (it is built from the file). */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static uint32_t *
index_slot(uint32_t *index, size_t size, const struct stream *streams,
    const char *name)
{
	size_t mask = size - 1, i = name_hash(name) & mask;

	while (index[i] != 0 && strcmp(streams[index[i] - 1].name, name) != 0)
		i = (i + 1) & mask;
	return &index[i];
}

static bool
index_grow(struct config *cfg)
{
	size_t size = cfg->stream_index_size ? cfg->stream_index_size * 2 : 64;
	uint32_t *index = calloc(size, sizeof(*index));
	size_t i;

	if (index == NULL)
		return false;
	for (i = 0; i < cfg->nstreams; i++)
		*index_slot(index, size, cfg->streams, cfg->streams[i].name) =
		    (uint32_t)i + 1;
	free(cfg->stream_index);
	cfg->stream_index = index;
	cfg->stream_index_size = size;
	return true;
}

const struct stream *
config_find_stream(const struct config *cfg, const char *uid)
{
	uint32_t *slot;
	size_t i;

	if (cfg->stream_index_size > 0) {
		slot = index_slot(cfg->stream_index, cfg->stream_index_size,
		    cfg->streams, uid);
		if (*slot != 0 && !cfg->streams[*slot - 1].is_glob)
			return &cfg->streams[*slot - 1];
	}
	for (i = 0; i < cfg->nglobs; i++) {
		const struct stream *s = &cfg->streams[cfg->globs[i]];
		if (fnmatch(s->name, uid, 0) == 0)
			return s;
	}
	return NULL;
}

const struct key *
config_find_key(const struct config *cfg, const char *kid)
{
	size_t i;

	for (i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->keys[i].name, kid) == 0)
			return &cfg->keys[i];
	return NULL;
}

uint32_t
config_longest_ttl(const struct config *cfg)
{
	uint32_t longest = 0, cap;
	size_t i;

	if (cfg->allow_unlimited)
		return 0;
	/* A stream's max_ttl overrides the server's, and 0 there is no cap. */
	for (i = 0; i < cfg->nstreams; i++) {
		cap = cfg->streams[i].has_max_ttl ? cfg->streams[i].max_ttl :
		    cfg->max_ttl;
		if (cap == 0)
			return 0;
		if (cap > longest)
			longest = cap;
	}
	return longest != 0 ? longest : cfg->max_ttl;
}

bool
config_client_may_use(const struct client *client, const char *uid)
{
	size_t i;

	for (i = 0; i < client->nstreams; i++)
		if (fnmatch(client->streams[i], uid, 0) == 0)
			return true;
	return false;
}

const char *
config_default_path(const char *opt_path)
{
	const char *env;

	if (opt_path != NULL)
		return opt_path;
	env = getenv("STREAMTOKEN_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return ST_DEFAULT_CONFIG;
}

/* ---- value parsers: strict, with ranges; never atoi ---- */

static bool
parse_u32(struct parser *p, const char *key, const char *v, uint64_t min,
    uint64_t max, uint64_t *out)
{
	uint64_t n;

	if (!text_parse_u64(v, &n))
		return fail(p, "%s must be an unsigned integer", key);
	if (n < min || n > max)
		return fail(p, "%s must be between %llu and %llu", key,
		    (unsigned long long)min, (unsigned long long)max);
	*out = n;
	return true;
}

static bool
parse_bool(struct parser *p, const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
	    !strcmp(v, "0"))
		*out = false;
	else
		return fail(p, "%s must be yes or no", key);
	return true;
}

static bool
parse_sha256_hex(struct parser *p, const char *v, unsigned char out[32])
{
	size_t i;

	if (strlen(v) != 64)
		return fail(p, "token_sha256 must be 64 hexadecimal digits");
	for (i = 0; i < 32; i++) {
		int hi = text_hex_value((unsigned char)v[2 * i]),
		    lo = text_hex_value((unsigned char)v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(p, "token_sha256 must be 64 hexadecimal digits");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Splits "a, b ,c" in place; calls fn for each trimmed item; no item may be empty. */
static bool
for_each_item(struct parser *p, char *v, const char *key,
    bool (*fn)(struct parser *, const char *, void *), void *ctx)
{
	char *item = v, *next, *end;

	if (*v == '\0')
		return fail(p, "%s must not be empty", key);
	for (; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item == '\0')
			return fail(p, "%s has an empty item", key);
		if (!fn(p, item, ctx))
			return false;
	}
	return true;
}

static bool
add_perm(struct parser *p, const char *item, void *ctx)
{
	unsigned *allow = ctx;

	if (!strcmp(item, "live"))
		*allow |= PERM_LIVE;
	else if (!strcmp(item, "dvr"))
		*allow |= PERM_DVR;
	else if (!strcmp(item, "copy"))
		*allow |= PERM_COPY;
	else if (!strcmp(item, "none"))
		;
	else
		return fail(p, "allow: unknown permission '%s' (live, dvr, copy, none)",
		    item);
	return true;
}

static bool
add_client_pattern(struct parser *p, const char *item, void *ctx)
{
	struct client *c = ctx;
	char **streams, *copy;

	if (!valid_pattern(item, NULL))
		return fail(p, "streams: '%s' is not a stream name or glob", item);
	streams = realloc(c->streams, (c->nstreams + 1) * sizeof(*streams));
	if (streams == NULL)
		return fail(p, "out of memory");
	c->streams = streams;
	copy = strdup(item);
	if (copy == NULL)
		return fail(p, "out of memory");
	c->streams[c->nstreams++] = copy;
	return true;
}

static bool
add_trusted_proxy(struct parser *p, const char *item, void *ctx)
{
	struct config *cfg = ctx;
	struct ip_net n, *nets;

	if (!ip_parse_net(item, &n))
		return fail(p, "trusted_proxies: '%s' is not an IPv4 or IPv6 address "
		    "or CIDR block", item);
	nets = realloc(cfg->trusted_proxies,
	    (cfg->ntrusted_proxies + 1) * sizeof(*nets));
	if (nets == NULL)
		return fail(p, "out of memory");
	cfg->trusted_proxies = nets;
	nets[cfg->ntrusted_proxies++] = n;
	return true;
}

static char *
resolve_path(struct parser *p, const char *v)
{
	char *out;

	if (v[0] == '/' || p->dir == NULL)
		return strdup(v);
	if (asprintf(&out, "%s/%s", p->dir, v) < 0)
		return NULL;
	return out;
}

/* ---- one handler per section kind; each knows its keys ---- */

enum { K_1 = 1, K_2 = 2, K_3 = 4, K_4 = 8, K_5 = 16, K_6 = 32, K_7 = 64, K_8 = 128,
    K_9 = 256, K_10 = 512, K_11 = 1024, K_12 = 2048, K_13 = 4096 };

static bool
seen_once(struct parser *p, unsigned bit, const char *key)
{
	if (p->seen & bit)
		return fail(p, "duplicate key %s", key);
	p->seen |= bit;
	return true;
}

/* RFC 7519 §4.1.3: a StringOrURI; printable ASCII, no blanks, here. */
static bool
set_audience(struct parser *p, const char *v, char **out)
{
	size_t i, len = strlen(v);

	if (len < 1 || len > ST_AUDIENCE_MAX)
		return fail(p, "audience must be 1 to %d characters", ST_AUDIENCE_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return fail(p, "audience must be printable ASCII without "
			    "blanks");
	free(*out);
	*out = strdup(v);
	return *out != NULL || fail(p, "out of memory");
}

/* An absolute URL path: leading /, no query, fragment, escape or empty segment. */
static bool
valid_url_path(const char *v)
{
	size_t len = strlen(v);

	return v[0] == '/' && len <= 256 && strstr(v, "//") == NULL &&
	    strpbrk(v, "%?#\\ \t") == NULL;
}

static bool
server_key(struct parser *p, const char *key, char *v)
{
	struct config *cfg = p->cfg;
	uint64_t n;

	if (!strcmp(key, "issuer")) {
		if (!seen_once(p, K_1, key))
			return false;
		if (*v == '\0' || strlen(v) > 256)
			return fail(p, "issuer must be 1 to 256 characters");
		/* Written into every token, read back by our strict reader. */
		for (n = 0; v[n] != '\0'; n++)
			if ((unsigned char)v[n] < ' ' || (unsigned char)v[n] >= 0x7f)
				return fail(p, "issuer must be printable ASCII");
		free(cfg->issuer);
		cfg->issuer = strdup(v);
		return cfg->issuer != NULL || fail(p, "out of memory");
	}
	if (!strcmp(key, "default_ttl")) {
		if (!seen_once(p, K_2, key) ||
		    !parse_u32(p, key, v, 0, UINT32_MAX, &n))
			return false;
		cfg->default_ttl = (uint32_t)n;
		return true;
	}
	if (!strcmp(key, "max_ttl")) {
		if (!seen_once(p, K_3, key) ||
		    !parse_u32(p, key, v, 0, UINT32_MAX, &n))
			return false;
		cfg->max_ttl = (uint32_t)n;
		return true;
	}
	if (!strcmp(key, "allow_unlimited"))
		return seen_once(p, K_4, key) &&
		    parse_bool(p, key, v, &cfg->allow_unlimited);
	if (!strcmp(key, "max_body")) {
		if (!seen_once(p, K_5, key) ||
		    !parse_u32(p, key, v, 64, 16 * 1024 * 1024, &n))
			return false;
		cfg->max_body = (size_t)n;
		return true;
	}
	if (!strcmp(key, "max_batch")) {
		if (!seen_once(p, K_6, key) || !parse_u32(p, key, v, 1, 10000, &n))
			return false;
		cfg->max_batch = (size_t)n;
		return true;
	}
	if (!strcmp(key, "leeway")) {
		if (!seen_once(p, K_7, key) || !parse_u32(p, key, v, 0, 3600, &n))
			return false;
		cfg->leeway = (uint32_t)n;
		return true;
	}
	if (!strcmp(key, "live_window")) {
		if (!seen_once(p, K_9, key) || !parse_u32(p, key, v, 0, 86400, &n))
			return false;
		cfg->live_window = (uint32_t)n;
		return true;
	}
	if (!strcmp(key, "url_prefix")) {
		size_t len = strlen(v);

		if (!seen_once(p, K_8, key))
			return false;
		if (v[0] != '/' || (len > 1 && v[len - 1] == '/') || len > 256 ||
		    strstr(v, "//") != NULL || strpbrk(v, "%?#\\") != NULL)
			return fail(p, "url_prefix must be a path like /media "
			    "(leading /, no trailing /)");
		free(cfg->url_prefix);
		cfg->url_prefix = len > 1 ? strdup(v) : NULL;
		return len == 1 || cfg->url_prefix != NULL || fail(p, "out of memory");
	}
	if (!strcmp(key, "trusted_proxies"))
		return seen_once(p, K_12, key) &&
		    for_each_item(p, v, key, add_trusted_proxy, cfg);
	if (!strcmp(key, "revocation_file")) {
		if (!seen_once(p, K_13, key))
			return false;
		if (*v == '\0')
			return fail(p, "revocation_file must not be empty");
		free(cfg->revocation_file);
		cfg->revocation_file = resolve_path(p, v);
		p->revocation_line = p->line;
		return cfg->revocation_file != NULL || fail(p, "out of memory");
	}
	if (!strcmp(key, "audience"))
		return seen_once(p, K_10, key) && set_audience(p, v, &cfg->audience);
	if (!strcmp(key, "jwks_path")) {
		if (!seen_once(p, K_11, key))
			return false;
		if (!valid_url_path(v))
			return fail(p, "jwks_path must be a path like "
			    "/.well-known/jwks.json (leading /, no ? # %% \\ //)");
		free(cfg->jwks_path);
		cfg->jwks_path = strdup(v);
		return cfg->jwks_path != NULL || fail(p, "out of memory");
	}
	return fail(p, "unknown key %s in [server]", key);
}

static bool
key_key(struct parser *p, const char *key, char *v)
{
	struct key *k = &p->cfg->keys[p->cfg->nkeys - 1];

	if (!strcmp(key, "algorithm")) {
		if (!seen_once(p, K_1, key))
			return false;
		if (!strcmp(v, "HS256"))
			k->alg = ALG_HS256;
		else if (!strcmp(v, "HS384"))
			k->alg = ALG_HS384;
		else if (!strcmp(v, "HS512"))
			k->alg = ALG_HS512;
		else if (!strcmp(v, "EdDSA"))
			k->alg = ALG_EDDSA;
		else if (!strcmp(v, "ES256"))
			k->alg = ALG_ES256;
		else if (!strcmp(v, "RS256"))
			k->alg = ALG_RS256;
		else
			return fail(p, "algorithm must be HS256, HS384, HS512, "
			    "EdDSA, ES256 or RS256");
		return true;
	}
	if (!strcmp(key, "private_key_file") || !strcmp(key, "public_key_file")) {
		bool priv = key[1] == 'r';

		if (!seen_once(p, priv ? K_4 : K_5, key))
			return false;
		if (*v == '\0')
			return fail(p, "%s must not be empty", key);
		if (priv) {
			p->private_file = resolve_path(p, v);
			p->private_line = p->line;
		} else {
			p->public_file = resolve_path(p, v);
			p->public_line = p->line;
		}
		return (priv ? p->private_file : p->public_file) != NULL ||
		    fail(p, "out of memory");
	}
	if (!strcmp(key, "secret_file")) {
		if (!seen_once(p, K_2, key))
			return false;
		if (*v == '\0')
			return fail(p, "secret_file must not be empty");
		p->secret_file = resolve_path(p, v);
		p->secret_line = p->line;
		return p->secret_file != NULL || fail(p, "out of memory");
	}
	if (!strcmp(key, "sign")) {
		p->sign_set = true;
		return seen_once(p, K_3, key) && parse_bool(p, key, v, &k->sign);
	}
	return fail(p, "unknown key %s in [key %s]", key, k->name);
}

static bool
client_key(struct parser *p, const char *key, char *v)
{
	struct client *c = &p->cfg->clients[p->cfg->nclients - 1];

	if (!strcmp(key, "token_sha256"))
		return seen_once(p, K_1, key) &&
		    parse_sha256_hex(p, v, c->token_sha256);
	if (!strcmp(key, "streams"))
		return seen_once(p, K_2, key) &&
		    for_each_item(p, v, key, add_client_pattern, c);
	if (!strcmp(key, "may_revoke"))
		return seen_once(p, K_5, key) &&
		    parse_bool(p, key, v, &c->may_revoke);
	if (!strcmp(key, "audience"))
		return seen_once(p, K_3, key) && set_audience(p, v, &c->audience);
	if (!strcmp(key, "claims")) {
		if (!seen_once(p, K_4, key))
			return false;
		if (!strcmp(v, "standard"))
			c->profile = CLAIMS_PLAIN;
		else if (!strcmp(v, "mediamtx"))
			c->profile = CLAIMS_MEDIAMTX;
		else
			return fail(p, "claims must be standard or mediamtx");
		return true;
	}
	return fail(p, "unknown key %s in [client %s]", key, c->name);
}

static bool
stream_key(struct parser *p, const char *key, char *v)
{
	struct stream *s = &p->cfg->streams[p->cfg->nstreams - 1];
	uint64_t n;

	if (!strcmp(key, "access")) {
		if (!seen_once(p, K_1, key))
			return false;
		if (!strcmp(v, "private"))
			s->is_private = true;
		else if (!strcmp(v, "public"))
			s->is_private = false;
		else
			return fail(p, "access must be private or public");
		return true;
	}
	if (!strcmp(key, "allow")) {
		if (!seen_once(p, K_2, key))
			return false;
		s->allow = 0;
		return for_each_item(p, v, key, add_perm, &s->allow);
	}
	if (!strcmp(key, "max_ttl")) {
		if (!seen_once(p, K_3, key) ||
		    !parse_u32(p, key, v, 0, UINT32_MAX, &n))
			return false;
		s->max_ttl = (uint32_t)n;
		s->has_max_ttl = true;
		return true;
	}
	if (!strcmp(key, "bind_ip")) {
		if (!seen_once(p, K_4, key))
			return false;
		if (!strcmp(v, "required"))
			s->bind_ip = true;
		else if (!strcmp(v, "optional"))
			s->bind_ip = false;
		else
			return fail(p, "bind_ip must be required or optional");
		return true;
	}
	return fail(p, "unknown key %s in [stream %s]", key, s->name);
}

static bool
add_route_perm(struct parser *p, const char *item, void *ctx)
{
	if (!strcmp(item, "none"))
		return fail(p, "permission: a route must need live, dvr or copy");
	return add_perm(p, item, ctx);
}

static bool
route_key(struct parser *p, const char *key, char *v)
{
	struct route *r = &p->cfg->routes[p->cfg->nroutes - 1];
	uint64_t n;

	if (!strcmp(key, "pattern")) {
		if (!seen_once(p, K_1, key))
			return false;
		if (*v == '\0')
			return fail(p, "pattern must not be empty");
		p->pattern = strdup(v);
		p->pattern_line = p->line;
		return p->pattern != NULL || fail(p, "out of memory");
	}
	if (!strcmp(key, "stream") || !strcmp(key, "from") ||
	    !strcmp(key, "duration")) {
		unsigned bit = key[0] == 's' ? K_2 : key[0] == 'f' ? K_3 : K_4;

		if (!seen_once(p, bit, key) || !parse_u32(p, key, v, 1, 9, &n))
			return false;
		if (bit == K_2)
			r->stream_group = (unsigned)n;
		else if (bit == K_3)
			r->from_group = (unsigned)n;
		else
			r->duration_group = (unsigned)n;
		return true;
	}
	if (!strcmp(key, "permission")) {
		if (!seen_once(p, K_5, key))
			return false;
		r->perm = 0;
		return for_each_item(p, v, key, add_route_perm, &r->perm);
	}
	return fail(p, "unknown key %s in [route %s]", key, r->name);
}

/* ---- sections ---- */

/* An HS256/384/512 key: a secret_file and no PEM key file. */
static bool
finish_hmac_key(struct parser *p, struct key *k)
{
	char msg[512];

	if (p->private_file != NULL || p->public_file != NULL) {
		p->line = p->private_file != NULL ? p->private_line : p->public_line;
		return fail(p, "%s is for EdDSA, ES256 and RS256 keys; %s reads "
		    "secret_file", p->private_file != NULL ? "private_key_file" :
		    "public_key_file", config_alg_name(k->alg));
	}
	if (p->secret_file == NULL) {
		p->line = k->line;
		return fail(p, "[key %s] needs secret_file", k->name);
	}
	if (!key_read_secret(p->secret_file, &k->secret, &k->secret_len, msg,
	    sizeof(msg))) {
		p->line = p->secret_line;
		return fail(p, "%s", msg);
	}
	return key_prepare(k) || fail(p, "out of memory");
}

/* An EdDSA, ES256 or RS256 key: private_key_file, or public_key_file alone. */
static bool
finish_pkey(struct parser *p, struct key *k)
{
	bool priv = p->private_file != NULL;
	char msg[512];

	if (p->secret_file != NULL) {
		p->line = p->secret_line;
		return fail(p, "secret_file is for HS256, HS384 and HS512 keys; %s "
		    "reads private_key_file (or public_key_file)",
		    config_alg_name(k->alg));
	}
	if (priv && p->public_file != NULL) {
		p->line = p->public_line;
		return fail(p, "private_key_file holds the public key too: give "
		    "one of private_key_file and public_key_file");
	}
	if (!priv && p->public_file == NULL) {
		p->line = k->line;
		return fail(p, "[key %s] needs private_key_file (or public_key_file "
		    "to verify only)", k->name);
	}
	p->line = priv ? p->private_line : p->public_line;
	if (!key_load_pem(k, priv ? p->private_file : p->public_file, priv, msg,
	    sizeof(msg)))
		return fail(p, "%s", msg);
	return true;
}

/* Called when a section ends (a new header or the end of the file). */
static bool
finish_section(struct parser *p)
{
	struct config *cfg = p->cfg;
	unsigned line = p->line;
	bool ok = true;

	if (p->kind == SEC_KEY) {
		struct key *k = &cfg->keys[cfg->nkeys - 1];

		ok = config_alg_is_hmac(k->alg) ? finish_hmac_key(p, k) :
		    finish_pkey(p, k);
		if (ok && !token_prepare_key(k))
			ok = fail(p, "out of memory");
		free(p->secret_file);
		free(p->private_file);
		free(p->public_file);
		p->secret_file = p->private_file = p->public_file = NULL;
	} else if (p->kind == SEC_ROUTE) {
		struct route *r = &cfg->routes[cfg->nroutes - 1];
		char msg[512];

		p->line = r->line;
		if (p->pattern == NULL)
			ok = fail(p, "[route %s] needs pattern", r->name);
		else if (r->stream_group == 0)
			ok = fail(p, "[route %s] needs stream (a group number)", r->name);
		else if (r->perm == 0)
			ok = fail(p, "[route %s] needs permission", r->name);
		else if (r->duration_group != 0 && r->from_group == 0)
			ok = fail(p, "[route %s]: duration needs from", r->name);
		else if (!route_compile(r, p->pattern, msg, sizeof(msg))) {
			p->line = p->pattern_line;
			ok = fail(p, "%s", msg);
		}
		free(p->pattern);
		p->pattern = NULL;
	} else if (p->kind == SEC_CLIENT) {
		struct client *c = &cfg->clients[cfg->nclients - 1];

		if (!(p->seen & K_1)) {
			p->line = c->line;
			ok = fail(p, "[client %s] needs token_sha256", c->name);
		} else if (c->nstreams == 0) {
			char all[] = "*";
			ok = add_client_pattern(p, all, c);
		}
	}
	p->line = line;
	return ok;
}

static bool
grow(struct parser *p, void **array, size_t n, size_t size)
{
	void *a;

	/* Doubling at powers of two keeps 100,000 streams cheap to add. */
	if (n & (n - 1))
		return true;
	a = realloc(*array, (n ? n * 2 : 1) * size);
	if (a == NULL)
		return fail(p, "out of memory");
	*array = a;
	return true;
}

static bool
begin_key(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;
	struct key *k;

	if (config_find_key(cfg, name) != NULL)
		return fail(p, "duplicate section [key %s]", name);
	if (!grow(p, (void **)&cfg->keys, cfg->nkeys, sizeof(*k)))
		return false;
	k = &cfg->keys[cfg->nkeys++];
	memset(k, 0, sizeof(*k));
	k->alg = ALG_HS256;
	k->line = p->line;
	k->name = strdup(name);
	p->sign_set = false;
	return k->name != NULL || fail(p, "out of memory");
}

static bool
begin_client(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;
	struct client *c;
	size_t i;

	for (i = 0; i < cfg->nclients; i++)
		if (!strcmp(cfg->clients[i].name, name))
			return fail(p, "duplicate section [client %s]", name);
	if (!grow(p, (void **)&cfg->clients, cfg->nclients, sizeof(*c)))
		return false;
	c = &cfg->clients[cfg->nclients++];
	memset(c, 0, sizeof(*c));
	c->line = p->line;
	c->name = strdup(name);
	return c->name != NULL || fail(p, "out of memory");
}

static bool
begin_stream(struct parser *p, const char *name, bool is_glob)
{
	struct config *cfg = p->cfg;
	struct stream *s;
	uint32_t *slot, *globs;

	if (cfg->nstreams >= UINT32_MAX - 1)
		return fail(p, "too many streams");
	if (cfg->nstreams * 2 >= cfg->stream_index_size && !index_grow(cfg))
		return fail(p, "out of memory");
	slot = index_slot(cfg->stream_index, cfg->stream_index_size, cfg->streams,
	    name);
	if (*slot != 0)
		return fail(p, "duplicate section [stream %s]", name);
	if (!grow(p, (void **)&cfg->streams, cfg->nstreams, sizeof(*s)))
		return false;
	s = &cfg->streams[cfg->nstreams];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL)
		return fail(p, "out of memory");
	s->is_glob = is_glob;
	s->is_private = true;	/* a stream section with no access is private */
	s->allow = PERM_ALL;
	s->line = p->line;
	if (is_glob) {
		if (!grow(p, (void **)&cfg->globs, cfg->nglobs, sizeof(*globs))) {
			free(s->name);
			return false;
		}
		cfg->globs[cfg->nglobs++] = (uint32_t)cfg->nstreams;
	}
	*slot = (uint32_t)++cfg->nstreams;
	return true;
}

static bool
begin_route(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;
	struct route *r;
	size_t i;

	for (i = 0; i < cfg->nroutes; i++)
		if (!strcmp(cfg->routes[i].name, name))
			return fail(p, "duplicate section [route %s]", name);
	if (!grow(p, (void **)&cfg->routes, cfg->nroutes, sizeof(*r)))
		return false;
	r = &cfg->routes[cfg->nroutes++];
	memset(r, 0, sizeof(*r));
	r->line = p->line;
	r->name = strdup(name);
	return r->name != NULL || fail(p, "out of memory");
}

static bool
begin_section(struct parser *p, char *header)
{
	char *kind = header, *name;
	bool is_glob = false;

	if (!finish_section(p))
		return false;
	p->seen = 0;
	name = strpbrk(header, " \t");
	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ' || *name == '\t')
			name++;
	}
	if (!strcmp(kind, "server")) {
		if (name != NULL && *name != '\0')
			return fail(p, "[server] takes no name");
		if (p->server_seen)
			return fail(p, "duplicate section [server]");
		p->server_seen = true;
		p->kind = SEC_SERVER;
		return true;
	}
	if (strcmp(kind, "key") && strcmp(kind, "client") && strcmp(kind, "stream") &&
	    strcmp(kind, "route"))
		return fail(p, "unknown section [%s]", kind);
	if (name == NULL || *name == '\0')
		return fail(p, "[%s] needs a name", kind);
	if (!strcmp(kind, "stream")) {
		if (!valid_pattern(name, &is_glob))
			return fail(p, "invalid stream name: 1 to %d characters from "
			    "A-Z a-z 0-9 . _ ~ - and the globs * ? [ ]", ST_NAME_MAX);
		p->kind = SEC_STREAM;
		return begin_stream(p, name, is_glob);
	}
	if (!config_valid_name(name, strlen(name)))
		return fail(p, "invalid %s name: 1 to %d characters from "
		    "A-Z a-z 0-9 . _ ~ -", kind, ST_NAME_MAX);
	if (!strcmp(kind, "key")) {
		p->kind = SEC_KEY;
		return begin_key(p, name);
	}
	if (!strcmp(kind, "route")) {
		p->kind = SEC_ROUTE;
		return begin_route(p, name);
	}
	/* Operator tokens carry it: a client of that name would pass as one. */
	if (!strcmp(name, CONFIG_OPERATOR_AZP))
		return fail(p, "client name %s is reserved for the tokens "
		    "streamtoken mint issues", CONFIG_OPERATOR_AZP);
	p->kind = SEC_CLIENT;
	return begin_client(p, name);
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	    end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* SPEC 4: ';' and '#' start a comment at the start of a line or after a blank. */
static void
strip_comment(char *s)
{
	char *c;

	for (c = s; *c != '\0'; c++)
		if ((*c == ';' || *c == '#') &&
		    (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
}

static bool
parse_line(struct parser *p, char *raw)
{
	char *line, *eq, *key, *value;

	strip_comment(raw);
	line = trim(raw);
	if (*line == '\0')
		return true;
	if (*line == '[') {
		size_t len = strlen(line);
		if (line[len - 1] != ']')
			return fail(p, "section header must end with ]");
		line[len - 1] = '\0';
		return begin_section(p, trim(line + 1));
	}
	eq = strchr(line, '=');
	if (eq == NULL)
		return fail(p, "expected key = value");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0')
		return fail(p, "expected key = value");
	switch (p->kind) {
	case SEC_SERVER: return server_key(p, key, value);
	case SEC_KEY: return key_key(p, key, value);
	case SEC_CLIENT: return client_key(p, key, value);
	case SEC_STREAM: return stream_key(p, key, value);
	case SEC_ROUTE: return route_key(p, key, value);
	case SEC_NONE: break;
	}
	return fail(p, "key %s outside of any section", key);
}

/* Rules that span sections, checked once the whole file is read. */
static bool
check_whole(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t i, nsign = 0;

	if (cfg->nkeys == 0)
		return fail(p, "no [key] section: at least one signing key is needed");
	if (cfg->nclients == 0)
		return fail(p, "no [client] section: at least one API client is needed");
	if (cfg->nkeys == 1 && !p->sign_set)
		cfg->keys[0].sign = true;
	for (i = 0; i < cfg->nkeys; i++)
		if (cfg->keys[i].sign) {
			nsign++;
			cfg->signing_key = &cfg->keys[i];
		}
	if (nsign != 1) {
		p->line = cfg->keys[cfg->nkeys - 1].line;
		return fail(p, "exactly one [key] must have sign = yes (found %zu)",
		    nsign);
	}
	if (cfg->signing_key->pkey != NULL && !cfg->signing_key->has_private) {
		p->line = cfg->signing_key->line;
		return fail(p, "[key %s] has only a public_key_file: it cannot sign "
		    "(give its private_key_file, or sign with another key)",
		    cfg->signing_key->name);
	}
	if (cfg->default_ttl == 0 && !cfg->allow_unlimited)
		return fail(p, "default_ttl = 0 (unlimited) needs allow_unlimited = yes");
	if (cfg->max_ttl != 0 && (cfg->default_ttl == 0 ||
	    cfg->default_ttl > cfg->max_ttl))
		return fail(p, "default_ttl must not exceed max_ttl");
	return true;
}

static void
set_defaults(struct config *cfg)
{
	cfg->default_ttl = 3600;
	cfg->max_ttl = 0;
	cfg->allow_unlimited = true;
	cfg->max_body = 65536;
	cfg->max_batch = 100;
	cfg->leeway = 0;
	cfg->live_window = 300;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parser p;
	struct config *cfg = NULL;
	char *line = NULL;
	size_t cap = 0;
	char msg[256];
	ssize_t n;
	FILE *fp = NULL;
	bool ok = false;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	snprintf(err, errlen, "%s: out of memory", path);
	cfg = calloc(1, sizeof(*cfg));
	p.dir = dir_of(path);
	if (cfg == NULL || p.dir == NULL)
		goto out;
	p.cfg = cfg;
	set_defaults(cfg);
	cfg->path = strdup(path);
	if (cfg->path == NULL)
		goto out;
	fp = fopen(path, "re");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		p.line++;
		if (n > LINE_MAX_LEN) {
			fail(&p, "line longer than %d bytes", LINE_MAX_LEN);
			goto out;
		}
		if (memchr(line, '\0', (size_t)n) != NULL) {
			fail(&p, "NUL byte in line");
			goto out;
		}
		if (!parse_line(&p, line))
			goto out;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (!finish_section(&p) || !check_whole(&p))
		goto out;
	if (!route_add_builtins(cfg, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: built-in routes: %s", path, msg);
		goto out;
	}
	if (!jwks_build(cfg)) {
		snprintf(err, errlen, "%s: cannot build the JWKS of its keys", path);
		goto out;
	}
	cfg->tokcache = tokcache_new();
	if (cfg->tokcache == NULL)
		goto out;	/* err says out of memory */
	if (cfg->revocation_file != NULL) {
		cfg->revoke = revoke_open(cfg->revocation_file, (int64_t)time(NULL),
		    msg, sizeof(msg));
		if (cfg->revoke == NULL) {
			snprintf(err, errlen, "%s:%u: revocation_file: %s", path,
			    p.revocation_line, msg);
			goto out;
		}
	}
	ok = true;
out:
	if (fp != NULL)
		fclose(fp);
	free(p.secret_file);
	free(p.private_file);
	free(p.public_file);
	free(p.pattern);
	free(p.dir);
	free(line);
	if (!ok) {
		config_free(cfg);
		return NULL;
	}
	err[0] = '\0';
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	tokcache_free(cfg->tokcache);
	revoke_free(cfg->revoke);
	free(cfg->revocation_file);
	free(cfg->trusted_proxies);
	for (i = 0; i < cfg->nkeys; i++) {
		free(cfg->keys[i].name);
		key_free_secret(cfg->keys[i].secret, cfg->keys[i].secret_len);
		key_unprepare(&cfg->keys[i]);
		key_free_pkey(&cfg->keys[i]);
	}
	for (i = 0; i < cfg->nclients; i++) {
		free(cfg->clients[i].name);
		for (j = 0; j < cfg->clients[i].nstreams; j++)
			free(cfg->clients[i].streams[j]);
		free(cfg->clients[i].streams);
		free(cfg->clients[i].audience);
		OPENSSL_cleanse(cfg->clients[i].token_sha256, 32);
	}
	for (i = 0; i < cfg->nstreams; i++)
		free(cfg->streams[i].name);
	free(cfg->keys);
	free(cfg->clients);
	free(cfg->streams);
	free(cfg->stream_index);
	free(cfg->globs);
	for (i = 0; i < cfg->nroutes; i++)
		route_free(&cfg->routes[i]);
	free(cfg->routes);
	free(cfg->url_prefix);
	free(cfg->issuer);
	free(cfg->audience);
	free(cfg->jwks_path);
	free(cfg->jwks);
	free(cfg->path);
	free(cfg);
}
