/* token: JWT encode/sign and decode/verify; the verifier trusts nothing before the MAC. */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "jsonio.h"
#include "keys.h"
#include "tokcache.h"
#include "token.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The two characters of every 12-bit value: a group of 3 bytes is 2 lookups. */
static char b64url_pairs[4096][2];

static void
init_b64url_pairs(void)
{
	size_t i;

	for (i = 0; i < 4096; i++) {
		b64url_pairs[i][0] = b64url_alphabet[i >> 6];
		b64url_pairs[i][1] = b64url_alphabet[i & 63];
	}
}

/* Writes the encoding of len bytes to dst (room for (len + 2) / 3 * 4); returns its length. */
static size_t
encode_into(char *dst, const unsigned char *p, size_t len)
{
	char *start = dst;
	uint32_t v;
	size_t i;

	if (b64url_pairs[0][0] != 'A')
		init_b64url_pairs();
	i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Six bytes a step, read as one word (two more are read, not used). */
	for (; i + 8 <= len; i += 6) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		w = __builtin_bswap64(w);
		memcpy(dst, b64url_pairs[w >> 52], 2);
		memcpy(dst + 2, b64url_pairs[(w >> 40) & 0xfff], 2);
		memcpy(dst + 4, b64url_pairs[(w >> 28) & 0xfff], 2);
		memcpy(dst + 6, b64url_pairs[(w >> 16) & 0xfff], 2);
		dst += 8;
	}
#endif
	for (; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		memcpy(dst, b64url_pairs[v >> 12], 2);
		memcpy(dst + 2, b64url_pairs[v & 0xfff], 2);
		dst += 4;
	}
	if (len - i == 1) {
		*dst++ = b64url_alphabet[p[i] >> 2];
		*dst++ = b64url_alphabet[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		*dst++ = b64url_alphabet[p[i] >> 2];
		*dst++ = b64url_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*dst++ = b64url_alphabet[(p[i + 1] & 15) << 2];
	}
	return (size_t)(dst - start);
}

void
base64url_encode(struct buf *out, const void *data, size_t len)
{
	if (!buf_reserve(out, (len + 2) / 3 * 4))
		return;
	out->len += encode_into(out->data + out->len, data, len);
	out->data[out->len] = '\0';
}

/*
 * Each base64url character's 6 bits, pre-shifted to its place in a group
 * of four (so a group is four lookups ORed together); any other byte has
 * bit 31 set, which the decoder tests once at the end.
 */
#define B64_BAD 0x80000000u
static uint32_t b64url_bits[4][256];

static void
init_b64url_bits(void)
{
	size_t i, j;

	for (j = 0; j < 4; j++)
		for (i = 0; i < 256; i++)
			b64url_bits[j][i] = B64_BAD;
	for (i = 0; i < 64; i++)
		for (j = 0; j < 4; j++)
			b64url_bits[j][(unsigned char)b64url_alphabet[i]] =
			    (uint32_t)i << (18 - 6 * j);
}

bool
base64url_decode(const char *in, size_t len, unsigned char *out,
    size_t outcap, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	uint32_t v, bad = 0;
	size_t i, n = 0, rest = len % 4;

	if (rest == 1 || len / 4 * 3 + (rest ? rest - 1 : 0) > outcap)
		return false;
	if (b64url_bits[0][0] == 0)	/* B64_BAD once the tables are filled */
		init_b64url_bits();
	i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Eight characters a step, stored as one word while there is room. */
	for (; i + 8 <= len && n + 8 <= outcap; i += 8) {
		uint32_t v2;
		uint64_t w;

		v = b64url_bits[0][p[i]] | b64url_bits[1][p[i + 1]] |
		    b64url_bits[2][p[i + 2]] | b64url_bits[3][p[i + 3]];
		v2 = b64url_bits[0][p[i + 4]] | b64url_bits[1][p[i + 5]] |
		    b64url_bits[2][p[i + 6]] | b64url_bits[3][p[i + 7]];
		bad |= v | v2;
		w = __builtin_bswap64((uint64_t)v << 40 | (uint64_t)v2 << 16);
		memcpy(out + n, &w, 8);
		n += 6;
	}
#endif
	for (; i + 4 <= len; i += 4) {
		v = b64url_bits[0][p[i]] | b64url_bits[1][p[i + 1]] |
		    b64url_bits[2][p[i + 2]] | b64url_bits[3][p[i + 3]];
		bad |= v;
		out[n++] = (unsigned char)(v >> 16);
		out[n++] = (unsigned char)(v >> 8);
		out[n++] = (unsigned char)v;
	}
	if (rest != 0) {
		v = b64url_bits[0][p[i]] | b64url_bits[1][p[i + 1]] |
		    (rest == 3 ? b64url_bits[2][p[i + 2]] : 0);
		bad |= v;
		out[n++] = (unsigned char)(v >> 16);
		if (rest == 3)
			out[n++] = (unsigned char)(v >> 8);
		/* Leftover bits must be zero, so each token has one spelling. */
		if ((v & (rest == 2 ? 0xffffu : 0xffu)) != 0)
			return false;
	}
	if (bad & B64_BAD)
		return false;
	*outlen = n;
	return true;
}

/*
 * MediaMTX's permissions: one entry naming the stream for each grant,
 * "read" for live, "playback" for dvr or copy.
 */
static bool
add_mediamtx_permissions(struct json_object *o, const struct claims *c)
{
	static const struct { const char *action; int perm; } acts[] = {
		{"read", PERM_LIVE}, {"playback", PERM_DVR | PERM_COPY},
	};
	int perms = (c->live ? PERM_LIVE : 0) | (c->dvr ? PERM_DVR : 0) |
	    (c->copy ? PERM_COPY : 0);
	struct json_object *list = json_object_new_array(), *entry;
	size_t i;

	/* o owns list once added, list each entry: one put frees them all. */
	if (!jsonio_add(o, "mediamtx_permissions", list))
		return false;
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (!(perms & acts[i].perm))
			continue;
		entry = json_object_new_object();
		if (entry == NULL || json_object_array_add(list, entry) != 0) {
			json_object_put(entry);
			return false;
		}
		if (!jsonio_add(entry, "action",
		    json_object_new_string(acts[i].action)) ||
		    !jsonio_add(entry, "path", json_object_new_string(c->sub)))
			return false;
	}
	return true;
}

/* The payload, in a fixed order (json-c keeps members in the order added). */
struct json_object *
token_claims_object(const char *issuer, const struct claims *c)
{
	struct json_object *o = json_object_new_object();
	bool ok;

	ok = o != NULL &&
	    jsonio_add(o, "sub", json_object_new_string(c->sub)) &&
	    jsonio_add(o, "iat", json_object_new_int64(c->iat)) &&
	    (!c->has_exp || jsonio_add(o, "exp", json_object_new_int64(c->exp))) &&
	    jsonio_add(o, "jti", json_object_new_string(c->jti)) &&
	    (issuer == NULL || jsonio_add(o, "iss", json_object_new_string(issuer))) &&
	    jsonio_add(o, "azp", json_object_new_string(c->azp)) &&
	    jsonio_add(o, "live", json_object_new_boolean(c->live)) &&
	    jsonio_add(o, "dvr", json_object_new_boolean(c->dvr)) &&
	    jsonio_add(o, "copy", json_object_new_boolean(c->copy)) &&
	    (c->from == 0 || jsonio_add(o, "from", json_object_new_int64(c->from))) &&
	    (c->to == 0 || jsonio_add(o, "to", json_object_new_int64(c->to))) &&
	    (c->aud[0] == '\0' || jsonio_add(o, "aud", json_object_new_string(c->aud))) &&
	    (!c->mediamtx || add_mediamtx_permissions(o, c)) &&
	    (!c->has_nbf || jsonio_add(o, "nbf", json_object_new_int64(c->nbf))) &&
	    (c->ip[0] == '\0' || jsonio_add(o, "ip", json_object_new_string(c->ip)));
	if (!ok) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/*
 * jti values are public, so CSPRNG output may be drawn in blocks: one
 * RAND_bytes call per 64 tokens instead of one per token.
 */
static bool
random_jti_bytes(unsigned char out[TOKEN_JTI_BYTES])
{
	static unsigned char pool[TOKEN_JTI_BYTES * 64];
	static size_t left;

	if (left < TOKEN_JTI_BYTES) {
		if (!key_random(pool, sizeof(pool)))
			return false;
		left = sizeof(pool);
	}
	left -= TOKEN_JTI_BYTES;
	memcpy(out, pool + left, TOKEN_JTI_BYTES);
	OPENSSL_cleanse(pool + left, TOKEN_JTI_BYTES);	/* never handed out twice */
	return true;
}

static bool
draw_jti(struct claims *c)
{
	unsigned char raw[TOKEN_JTI_BYTES];

	_Static_assert((size_t)(TOKEN_JTI_BYTES + 2) / 3 * 4 < sizeof(c->jti),
	    "jti buffer too small");
	if (!random_jti_bytes(raw))
		return false;
	c->jti[encode_into(c->jti, raw, sizeof(raw))] = '\0';
	return true;
}

/* A key signs every token with the same header: it is encoded once, at load. */
bool
token_prepare_key(struct key *key)
{
	struct json_object *h = json_object_new_object();
	char json_space[ST_NAME_MAX + 48];	/* 37 bytes besides the kid */
	struct buf json;
	bool ok;

	_Static_assert((sizeof(json_space) + 2) / 3 * 4 < sizeof(key->jwt_header),
	    "jwt_header too small");
	buf_init_storage(&json, json_space, sizeof(json_space));
	ok = h != NULL &&
	    jsonio_add(h, "alg", json_object_new_string(config_alg_name(key->alg))) &&
	    jsonio_add(h, "typ", json_object_new_string_len("JWT", 3)) &&
	    jsonio_add(h, "kid", json_object_new_string(key->name)) &&
	    jsonio_write(&json, h) &&
	    (json.len + 2) / 3 * 4 < sizeof(key->jwt_header);
	if (ok) {
		key->jwt_header_len = encode_into(key->jwt_header,
		    (const unsigned char *)json.data, json.len);
		key->jwt_header[key->jwt_header_len] = '\0';
	}
	json_object_put(h);
	buf_free(&json);
	return ok;
}

bool
token_sign(const struct key *key, const char *issuer, struct claims *c,
    struct buf *out)
{
	unsigned char mac[KEY_SIG_MAX];
	struct json_object *payload = NULL;
	struct buf json;
	char json_space[1280];		/* claims with issuer and aud of 256 fit */
	size_t start = out->len, mac_len;
	char *p;
	bool ok = false;

	buf_init_storage(&json, json_space, sizeof(json_space));
	/* config_load prepares every key; one built by hand must be too. */
	if (key->jwt_header_len == 0 || !draw_jti(c))
		goto out;
	payload = token_claims_object(issuer, c);
	/* header "." payload "." MAC, written in place after one reservation */
	if (payload == NULL || !jsonio_write(&json, payload) ||
	    !buf_reserve(out, key->jwt_header_len + 1 +
	    (json.len + 2) / 3 * 4 + 1 + ((size_t)KEY_SIG_MAX + 2) / 3 * 4))
		goto out;
	p = out->data + start;
	memcpy(p, key->jwt_header, key->jwt_header_len);
	p += key->jwt_header_len;
	*p++ = '.';
	p += encode_into(p, (const unsigned char *)json.data, json.len);
	/* RFC 7515 §5.1: the signature covers the ASCII of header "." payload. */
	mac_len = key_sign(key, out->data + start,
	    (size_t)(p - (out->data + start)), mac);
	if (mac_len == 0)
		goto out;
	*p++ = '.';
	p += encode_into(p, mac, mac_len);
	*p = '\0';
	out->len = (size_t)(p - out->data);
	ok = true;
out:
	if (!ok && !out->failed && out->data != NULL)
		out->data[start] = '\0';
	json_object_put(payload);
	buf_free(&json);
	return ok;
}

/* ---- verification ---- */

const char *
token_status_reason(enum token_status st)
{
	switch (st) {
	case TOKEN_VALID: return "valid";
	case TOKEN_MALFORMED: return "malformed token";
	case TOKEN_UNKNOWN_KID: return "unknown key id";
	case TOKEN_BAD_ALG: return "algorithm not allowed for this key";
	case TOKEN_BAD_SIGNATURE: return "bad signature";
	case TOKEN_EXPIRED: return "token expired";
	case TOKEN_NOT_YET_VALID: return "token issued in the future";
	case TOKEN_BEFORE_NBF: return "not yet valid";
	case TOKEN_BAD_CLAIMS: return "invalid claims";
	case TOKEN_BAD_AUDIENCE: return "audience not accepted";
	case TOKEN_NO_MEMORY: return "internal error";
	}
	return "invalid token";
}

bool
token_refused_by_clock(enum token_status st)
{
	return st == TOKEN_EXPIRED || st == TOKEN_NOT_YET_VALID ||
	    st == TOKEN_BEFORE_NBF;
}

/* Nesting a JOSE header or a payload of ours never needs. */
#define TOKEN_JSON_DEPTH 8

/*
 * Decodes one base64url part holding a JSON object into *obj (the
 * caller's to put, whatever the outcome); false if it does not, with
 * *nomem set when the reason was a failed allocation, not the token.
 */
static bool
decode_json_part(const char *part, size_t len, unsigned char *raw,
    size_t rawcap, struct json_object **obj, bool *nomem)
{
	enum jsonio_status st;
	size_t n;

	if (!base64url_decode(part, len, raw, rawcap, &n) || n == 0)
		return false;
	st = jsonio_parse((const char *)raw, n, TOKEN_JSON_DEPTH, obj);
	if (st != JSONIO_OK) {
		*nomem = st == JSONIO_NO_MEMORY;
		return false;
	}
	return json_object_is_type(*obj, json_type_object);
}

bool
token_valid_jti(const char *s)
{
	/* The decoder's table: a lookup a character (strspn's generic loop is 20). */
	if (b64url_bits[0][0] == 0)
		init_b64url_bits();
	for (; *s != '\0'; s++)
		if (b64url_bits[0][(unsigned char)*s] == B64_BAD)
			return false;
	return true;
}

/* A string member without NUL that fits dst; absent is fine unless required. */
static bool
copy_member_string(struct json_object *obj, const char *name, bool required,
    char *dst, size_t cap)
{
	struct json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(obj, name, &v))
		return !required;
	if (!jsonio_plain_string(v, &s, &len) || len >= cap)
		return false;
	memcpy(dst, s, len + 1);
	return true;
}

/* An optional integer claim in [min, max]; absent leaves *out alone. */
static bool
get_optional_int(struct json_object *payload, const char *name, int64_t min,
    int64_t max, int64_t *out, bool *present)
{
	struct json_object *v;

	*present = json_object_object_get_ex(payload, name, &v);
	return !*present || jsonio_int(v, min, max, out);
}

/* A required boolean claim: true or false, nothing else. */
static bool
get_bool(struct json_object *payload, const char *name, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(payload, name, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

/* The ip claim: an address or CIDR block, kept in its normal form. */
static bool
read_ip_claim(struct json_object *payload, struct claims *c)
{
	char text[IP_NET_TEXT_MAX];
	struct ip_net net;

	if (!json_object_object_get_ex(payload, "ip", NULL))
		return true;
	if (!copy_member_string(payload, "ip", true, text, sizeof(text)) ||
	    !ip_parse_net(text, &net))
		return false;
	ip_net_format(&net, c->ip);
	c->ip_net = net;
	return true;
}

static bool
read_claims(struct json_object *payload, struct claims *c)
{
	int64_t n = 0;
	bool present;

	if (!copy_member_string(payload, "sub", true, c->sub, sizeof(c->sub)) ||
	    !copy_member_string(payload, "jti", false, c->jti, sizeof(c->jti)) ||
	    !copy_member_string(payload, "azp", false, c->azp, sizeof(c->azp)) ||
	    !copy_member_string(payload, "aud", false, c->aud, sizeof(c->aud)))
		return false;
	/*
	 * Even signed by a shared key, azp and jti reach Variable- header
	 * lines: a name and base64url only, so no CR or LF can split one.
	 */
	if ((c->azp[0] != '\0' && !config_valid_name(c->azp, strlen(c->azp))) ||
	    !token_valid_jti(c->jti))
		return false;
	if (!get_optional_int(payload, "iat", 0, INT64_MAX / 2, &c->iat, &present) ||
	    !get_optional_int(payload, "exp", 0, INT64_MAX / 2, &c->exp,
	    &c->has_exp))
		return false;
	if (!get_bool(payload, "live", &c->live) ||
	    !get_bool(payload, "dvr", &c->dvr) ||
	    !get_bool(payload, "copy", &c->copy))
		return false;
	if (!get_optional_int(payload, "from", 0, UINT32_MAX, &n, &present))
		return false;
	c->from = present ? (uint32_t)n : 0;
	if (!get_optional_int(payload, "to", 0, UINT32_MAX, &n, &present))
		return false;
	c->to = present ? (uint32_t)n : 0;
	if (!get_optional_int(payload, "nbf", 0, INT64_MAX / 2, &c->nbf,
	    &c->has_nbf))
		return false;
	return read_ip_claim(payload, c);
}

enum token_status
token_read_payload(const char *text, size_t n, struct claims *c)
{
	struct json_object *payload = NULL;
	enum token_status st = TOKEN_BAD_CLAIMS;

	switch (jsonio_parse(text, n, TOKEN_JSON_DEPTH, &payload)) {
	case JSONIO_OK:
		if (json_object_is_type(payload, json_type_object) &&
		    read_claims(payload, c))
			st = TOKEN_VALID;
		break;
	case JSONIO_NO_MEMORY:
		st = TOKEN_NO_MEMORY;
		break;
	case JSONIO_SYNTAX:
		break;
	}
	json_object_put(payload);
	return st;
}

/* Header checks: kid names a configured key, alg is that key's, nothing else. */
static enum token_status
check_header(const struct config *cfg, struct json_object *header,
    const struct key **key, struct claims *c)
{
	struct json_object *alg;
	const char *name;
	size_t len;

	if (!copy_member_string(header, "kid", true, c->kid, sizeof(c->kid)))
		return TOKEN_UNKNOWN_KID;
	*key = config_find_key(cfg, c->kid);
	if (*key == NULL)
		return TOKEN_UNKNOWN_KID;
	/* The key pins the algorithm; the token only has to agree (no "none"). */
	if (!json_object_object_get_ex(header, "alg", &alg) ||
	    !jsonio_plain_string(alg, &name, &len) ||
	    strcmp(name, config_alg_name((*key)->alg)) != 0)
		return TOKEN_BAD_ALG;
	return TOKEN_VALID;
}

/*
 * A token we signed carries its key's header byte for byte, which says
 * what decoding it would: that kid, that key's alg. Others are decoded.
 */
static const struct key *
known_header(const struct config *cfg, const char *part, size_t len)
{
	size_t i;

	if (len == 0)
		return NULL;
	for (i = 0; i < cfg->nkeys; i++)
		if (cfg->keys[i].jwt_header_len == len &&
		    memcmp(cfg->keys[i].jwt_header, part, len) == 0)
			return &cfg->keys[i];
	return NULL;
}

/*
 * RFC 7519 §4.1.4: valid only before exp, §4.1.5: not before nbf (each
 * with the configured leeway).
 */
static enum token_status
judge_times(const struct config *cfg, const struct claims *c, int64_t now)
{
	if (c->has_exp && now >= c->exp + (int64_t)cfg->leeway)
		return TOKEN_EXPIRED;
	if (c->has_nbf && now + (int64_t)cfg->leeway < c->nbf)
		return TOKEN_BEFORE_NBF;
	if (c->iat > now + (int64_t)cfg->leeway)
		return TOKEN_NOT_YET_VALID;
	return TOKEN_VALID;
}

/*
 * RFC 7519 §4.1.3: with an audience configured (for the token's client,
 * else the server's) aud must name it; with none, a token that names an
 * audience is for someone else.
 */
static enum token_status
judge_audience(const struct config *cfg, const struct claims *c)
{
	const char *want = config_audience_for(cfg,
	    c->azp[0] != '\0' ? config_find_client(cfg, c->azp) : NULL);

	if (want == NULL)
		return c->aud[0] == '\0' ? TOKEN_VALID : TOKEN_BAD_AUDIENCE;
	return strcmp(c->aud, want) == 0 ? TOKEN_VALID : TOKEN_BAD_AUDIENCE;
}

/* Checks signature and claims, with no cache. */
static enum token_status
verify_fully(const struct config *cfg, const char *token, size_t len,
    struct claims *c, bool *nomem)
{
	unsigned char sig[KEY_SIG_MAX + 3];
	unsigned char raw[TOKEN_MAX_LEN];
	struct json_object *header = NULL;
	const char *dot1, *dot2;
	const struct key *key = NULL;
	enum token_status st = TOKEN_MALFORMED;
	size_t sig_len, raw_len;

	dot1 = memchr(token, '.', len);
	if (dot1 == NULL)
		goto out;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		goto out;
	key = known_header(cfg, token, (size_t)(dot1 - token));
	if (key != NULL) {
		memcpy(c->kid, key->name, strlen(key->name) + 1);
	} else {
		if (!decode_json_part(token, (size_t)(dot1 - token), raw,
		    sizeof(raw), &header, nomem))
			goto out;
		st = check_header(cfg, header, &key, c);
		if (st != TOKEN_VALID)
			goto out;
	}
	st = TOKEN_BAD_SIGNATURE;
	if (!base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig,
	    sizeof(sig), &sig_len))
		goto out;
	if (!key_verify(key, token, (size_t)(dot2 - token), sig, sig_len))
		goto out;
	/* Only now is the payload authentic enough to read. */
	st = TOKEN_BAD_CLAIMS;
	if (!base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw,
	    sizeof(raw), &raw_len))
		goto out;
	st = token_read_payload((const char *)raw, raw_len, c);
	if (st == TOKEN_NO_MEMORY) {
		*nomem = true;
		st = TOKEN_BAD_CLAIMS;
	}
	if (st == TOKEN_VALID)
		st = judge_audience(cfg, c);
out:
	json_object_put(header);
	return st;
}

enum token_status
token_verify(const struct config *cfg, const char *token, size_t len,
    int64_t now, struct claims *c)
{
	enum token_status st;
	bool nomem = false;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len > TOKEN_MAX_LEN || memchr(token, '\0', len) != NULL)
		return TOKEN_MALFORMED;
	/* A token verified before by this configuration: only the clock is new. */
	if (tokcache_find(cfg->tokcache, token, len, c))
		return judge_times(cfg, c, now);
	st = verify_fully(cfg, token, len, c, &nomem);
	if (nomem)
		return TOKEN_NO_MEMORY;
	if (st != TOKEN_VALID)
		return st;
	/* Only tokens that pass entirely are remembered (not expired ones). */
	st = judge_times(cfg, c, now);
	if (st == TOKEN_VALID)
		tokcache_put(cfg->tokcache, token, len, c);
	return st;
}
