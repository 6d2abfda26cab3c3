/* token: JWT encode/sign and decode/verify; the verifier trusts nothing before the MAC. */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "json.h"
#include "keys.h"
#include "text.h"
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

static void
append_bool_claim(struct buf *b, bool v)
{
	if (v)
		buf_puts(b, "true");
	else
		buf_puts(b, "false");
}

bool
token_json_add_string(json_object *obj, const char *name, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (v == NULL || json_object_object_add(obj, name, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

/*
 * RFC 7519 §4.1.3 aud, and MediaMTX's permissions: one entry naming the
 * stream for each grant, "read" for live, "playback" for dvr or copy.
 */
static bool
add_extra_claims(json_object *obj, const struct claims *c)
{
	static const struct { const char *action; int perm; } acts[] = {
		{"read", PERM_LIVE}, {"playback", PERM_DVR | PERM_COPY},
	};
	int perms = (c->live ? PERM_LIVE : 0) | (c->dvr ? PERM_DVR : 0) |
	    (c->copy ? PERM_COPY : 0);
	json_object *list, *entry;
	size_t i;

	if (c->aud[0] != '\0' && !token_json_add_string(obj, "aud", c->aud))
		return false;
	if (!c->mediamtx)
		return true;
	list = json_object_new_array();
	if (list == NULL || json_object_object_add(obj, "mediamtx_permissions",
	    list) != 0) {
		json_object_put(list);
		return false;
	}
	/* obj owns list, list owns each entry: one put frees them all. */
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (!(perms & acts[i].perm))
			continue;
		entry = json_object_new_object();
		if (entry == NULL || json_object_array_add(list, entry) != 0) {
			json_object_put(entry);
			return false;
		}
		if (!token_json_add_string(entry, "action", acts[i].action) ||
		    !token_json_add_string(entry, "path", c->sub))
			return false;
	}
	return true;
}

/* The extra claims' members, written by json-c, spliced into the payload. */
static void
append_extra_claims(struct buf *b, const struct claims *c)
{
	json_object *obj;
	const char *text;
	size_t len;

	if (c->aud[0] == '\0' && !c->mediamtx)
		return;
	obj = json_object_new_object();
	if (obj == NULL || !add_extra_claims(obj, c) ||
	    (text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		b->failed = true;	/* no token without the claims it must carry */
		goto out;
	}
	len = strlen(text);
	if (len > 2) {			/* {"aud":...} less its braces */
		buf_puts(b, ",");
		buf_append(b, text + 1, len - 2);
	}
out:
	json_object_put(obj);
}

/*
 * The payload, in a fixed order. sub is escaped: a verified token from
 * another signer may carry any string there. azp is a name (read_claims
 * checks it, SPEC 4: nothing to escape) and jti base64url.
 */
void
token_claims_json(struct buf *b, const char *issuer, const struct claims *c)
{
	buf_puts(b, "{\"sub\":");
	buf_append_json_string(b, c->sub, strlen(c->sub));
	buf_puts(b, ",\"iat\":");
	buf_append_i64(b, c->iat);
	if (c->has_exp) {
		buf_puts(b, ",\"exp\":");
		buf_append_i64(b, c->exp);
	}
	buf_puts(b, ",\"jti\":\"");
	buf_append(b, c->jti, strlen(c->jti));
	buf_puts(b, "\"");
	if (issuer != NULL) {
		buf_puts(b, ",\"iss\":");
		buf_append_json_string(b, issuer, strlen(issuer));
	}
	buf_puts(b, ",\"azp\":\"");
	buf_append(b, c->azp, strlen(c->azp));
	buf_puts(b, "\",\"live\":");
	append_bool_claim(b, c->live);
	buf_puts(b, ",\"dvr\":");
	append_bool_claim(b, c->dvr);
	buf_puts(b, ",\"copy\":");
	append_bool_claim(b, c->copy);
	if (c->from != 0) {
		buf_puts(b, ",\"from\":");
		buf_append_u64(b, c->from);
	}
	if (c->to != 0) {
		buf_puts(b, ",\"to\":");
		buf_append_u64(b, c->to);
	}
	append_extra_claims(b, c);
	buf_puts(b, "}");
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
void
token_prepare_key(struct key *key)
{
	char json[ST_NAME_MAX + 48];	/* 37 bytes besides the kid */
	int n;

	_Static_assert((sizeof(json) + 2) / 3 * 4 < sizeof(key->jwt_header),
	    "jwt_header too small");
	n = snprintf(json, sizeof(json),
	    "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    config_alg_name(key->alg), key->name);	/* a name: no escaping */
	if (n < 0 || (size_t)n >= sizeof(json))
		n = 0;		/* cannot happen: kid is at most ST_NAME_MAX */
	key->jwt_header_len = encode_into(key->jwt_header,
	    (const unsigned char *)json, (size_t)n);
	key->jwt_header[key->jwt_header_len] = '\0';
}

bool
token_sign(const struct key *key, const char *issuer, struct claims *c,
    struct buf *out)
{
	unsigned char mac[KEY_SIG_MAX];
	struct buf json;
	char json_space[1280];		/* claims with issuer and aud of 256 fit */
	size_t start = out->len, mac_len;
	char *p;
	bool ok = false;

	buf_init_storage(&json, json_space, sizeof(json_space));
	/* config_load prepares every key; one built by hand must be too. */
	if (key->jwt_header_len == 0 || !draw_jti(c))
		goto out;
	token_claims_json(&json, issuer, c);
	/* header "." payload "." MAC, written in place after one reservation */
	if (json.failed || !buf_reserve(out, key->jwt_header_len + 1 +
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
	case TOKEN_BAD_CLAIMS: return "invalid claims";
	case TOKEN_BAD_AUDIENCE: return "audience not accepted";
	case TOKEN_NO_MEMORY: return "internal error";
	}
	return "invalid token";
}

/*
 * Decodes one base64url part holding a JSON object into doc (raw keeps
 * the decoded text the values point into); false if it does not, with
 * *nomem set when the reason was a failed allocation, not the token.
 */
static bool
decode_json_part(const char *part, size_t len, unsigned char *raw,
    size_t rawcap, struct json_doc *doc, bool *nomem)
{
	enum json_error why;
	size_t n;

	if (!base64url_decode(part, len, raw, rawcap, &n) || n == 0)
		return false;
	if (!json_parse(doc, (const char *)raw, n, 8, &why)) {
		*nomem = why == JSON_NO_MEMORY;
		return false;
	}
	return doc->root->type == JSON_OBJECT;
}

/* jti is base64url (ours) or empty; it ends up in a header line. */
static bool
valid_jti(const char *s)
{
	/* The decoder's table: a lookup a character (strspn's generic loop is 20). */
	if (b64url_bits[0][0] == 0)
		init_b64url_bits();
	for (; *s != '\0'; s++)
		if (b64url_bits[0][(unsigned char)*s] == B64_BAD)
			return false;
	return true;
}

/*
 * One claim as the payload spelled it, whichever reader found it. A
 * string is not NUL-terminated; nul says it holds \u0000.
 */
struct claim_value {
	bool present;
	bool nul;
	enum json_kind type;
	size_t len;
	union {
		const char *s;
		int64_t i;
		bool b;
	} u;
};

/* The claims we read; the last of a repeated name wins. */
struct claim_values {
	struct claim_value sub, jti, azp, iat, exp, live, dvr, copy, from, to, aud;
};

/* None present (the flags only: a reader fills a slot whole). */
static void
claim_values_init(struct claim_values *cv)
{
	cv->sub.present = cv->jti.present = cv->azp.present = false;
	cv->iat.present = cv->exp.present = false;
	cv->live.present = cv->dvr.present = cv->copy.present = false;
	cv->from.present = cv->to.present = cv->aud.present = false;
}

/* Where the claim named name[0..len) goes; NULL for names we ignore. */
static struct claim_value *
claim_slot(struct claim_values *cv, const char *name, size_t len)
{
#define NAME_IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	if (NAME_IS("sub"))
		return &cv->sub;
	if (NAME_IS("iat"))
		return &cv->iat;
	if (NAME_IS("exp"))
		return &cv->exp;
	if (NAME_IS("jti"))
		return &cv->jti;
	if (NAME_IS("azp"))
		return &cv->azp;
	if (NAME_IS("live"))
		return &cv->live;
	if (NAME_IS("dvr"))
		return &cv->dvr;
	if (NAME_IS("copy"))
		return &cv->copy;
	if (NAME_IS("from"))
		return &cv->from;
	if (NAME_IS("to"))
		return &cv->to;
	if (NAME_IS("aud"))
		return &cv->aud;
	return NULL;
#undef NAME_IS
}

/* The claims of a parsed payload object. */
static void
claims_from_tree(const struct json_value *payload, struct claim_values *cv)
{
	const struct json_value *v;
	struct claim_value *slot;

	claim_values_init(cv);
	for (v = payload->u.first; v != NULL; v = v->next) {
		slot = claim_slot(cv, v->key, v->key_len);
		if (slot == NULL)
			continue;
		*slot = (struct claim_value){.present = true, .type = v->type};
		if (v->type == JSON_STRING) {
			slot->u.s = v->u.s;
			slot->len = v->len;
			slot->nul = v->nul;
		} else if (v->type == JSON_INT) {
			slot->u.i = v->u.i;
		} else if (v->type == JSON_BOOL) {
			slot->u.b = v->u.b;
		}
	}
}

/* A quoted text_json_plain_run at *p; false if it is anything else. */
static bool
flat_string(const char **p, const char *end, const char **s, size_t *len)
{
	const char *q = *p;

	if (q >= end || *q != '"')
		return false;
	*s = ++q;
	q += text_json_plain_run(q, (size_t)(end - q));
	if (q >= end || *q != '"')
		return false;
	*len = (size_t)(q - *s);
	*p = q + 1;
	return true;
}

/* A string, true, false or an integer of at most 18 digits, no sign. */
static bool
flat_value(const char **p, const char *end, struct claim_value *v)
{
	const char *q = *p;
	size_t digits;

	v->present = true;
	v->nul = false;
	if (q >= end)
		return false;
	if (*q == '"') {
		v->type = JSON_STRING;
		return flat_string(p, end, &v->u.s, &v->len);
	}
	v->type = JSON_BOOL;
	if (end - q >= 4 && memcmp(q, "true", 4) == 0) {
		v->u.b = true;
		*p = q + 4;
		return true;
	}
	if (end - q >= 5 && memcmp(q, "false", 5) == 0) {
		v->u.b = false;
		*p = q + 5;
		return true;
	}
	v->type = JSON_INT;
	v->u.i = 0;
	for (digits = 0; q < end && *q >= '0' && *q <= '9'; q++, digits++) {
		if (digits == 18)
			return false;	/* longer ones may not fit: the parser's */
		v->u.i = v->u.i * 10 + (*q - '0');
	}
	/* No leading zero, nothing a fraction or exponent could follow. */
	if (digits == 0 || (digits > 1 && **p == '0'))
		return false;
	*p = q;
	return true;
}

/*
 * The claims of a payload written as token_claims_json writes it: one
 * object, no whitespace, names and strings of ASCII without escapes,
 * values strings, booleans or unsigned integers. Such a text means the
 * same to json_parse; anything else returns false and goes there.
 */
static bool
claims_from_flat_text(const char *text, size_t n, struct claim_values *cv)
{
	const char *p = text, *end = text + n, *name;
	struct claim_value ignored, *slot;
	size_t name_len;

	claim_values_init(cv);
	if (n < 2 || *p++ != '{' || end[-1] != '}')
		return false;
	end--;			/* the closing brace */
	while (p < end) {
		if (!flat_string(&p, end, &name, &name_len) || p >= end ||
		    *p++ != ':')
			return false;
		/* A false return leaves cv half written: the caller drops it. */
		slot = claim_slot(cv, name, name_len);
		if (!flat_value(&p, end, slot != NULL ? slot : &ignored))
			return false;
		if (p < end && (*p++ != ',' || p == end))
			return false;
	}
	return true;
}

static bool
copy_claim_string(const struct claim_value *v, char *dst, size_t cap)
{
	if (v->type != JSON_STRING || v->nul || v->len >= cap)
		return false;
	memcpy(dst, v->u.s, v->len);
	dst[v->len] = '\0';
	return true;
}

/* An optional integer claim in [min, max]; absent leaves *out alone. */
static bool
get_optional_int(const struct claim_value *v, int64_t min, int64_t max,
    int64_t *out, bool *present)
{
	*present = v->present;
	if (!v->present)
		return true;
	if (v->type != JSON_INT || v->u.i < min || v->u.i > max)
		return false;
	*out = v->u.i;
	return true;
}

static bool
get_bool(const struct claim_value *v, bool *out)
{
	if (!v->present || v->type != JSON_BOOL)
		return false;
	*out = v->u.b;
	return true;
}

static bool
read_claims(const struct claim_values *cv, struct claims *c)
{
	int64_t n = 0;
	bool present;

	if (!cv->sub.present ||
	    !copy_claim_string(&cv->sub, c->sub, sizeof(c->sub)) ||
	    (cv->jti.present &&
	    !copy_claim_string(&cv->jti, c->jti, sizeof(c->jti))) ||
	    (cv->azp.present &&
	    !copy_claim_string(&cv->azp, c->azp, sizeof(c->azp))) ||
	    (cv->aud.present &&
	    !copy_claim_string(&cv->aud, c->aud, sizeof(c->aud))))
		return false;
	/*
	 * Even signed by a shared key, azp and jti reach Variable- header
	 * lines: a name and base64url only, so no CR or LF can split one.
	 */
	if ((c->azp[0] != '\0' && !config_valid_name(c->azp, strlen(c->azp))) ||
	    !valid_jti(c->jti))
		return false;
	if (!get_optional_int(&cv->iat, 0, INT64_MAX / 2, &c->iat, &present) ||
	    !get_optional_int(&cv->exp, 0, INT64_MAX / 2, &c->exp, &c->has_exp))
		return false;
	if (!get_bool(&cv->live, &c->live) || !get_bool(&cv->dvr, &c->dvr) ||
	    !get_bool(&cv->copy, &c->copy))
		return false;
	if (!get_optional_int(&cv->from, 0, UINT32_MAX, &n, &present))
		return false;
	c->from = present ? (uint32_t)n : 0;
	if (!get_optional_int(&cv->to, 0, UINT32_MAX, &n, &present))
		return false;
	c->to = present ? (uint32_t)n : 0;
	return true;
}

enum token_status
token_read_payload(const char *text, size_t n, bool flat_first,
    struct claims *c)
{
	struct claim_values cv;
	struct json_doc doc;
	enum json_error why;
	enum token_status st = TOKEN_BAD_CLAIMS;

	/* Our own tokens skip the tree: the payload is most of a verification. */
	if (flat_first && claims_from_flat_text(text, n, &cv))
		return read_claims(&cv, c) ? TOKEN_VALID : TOKEN_BAD_CLAIMS;
	if (!json_parse(&doc, text, n, 8, &why)) {
		if (why == JSON_NO_MEMORY)
			st = TOKEN_NO_MEMORY;
	} else if (doc.root->type == JSON_OBJECT) {
		claims_from_tree(doc.root, &cv);
		if (read_claims(&cv, c))
			st = TOKEN_VALID;
	}
	json_doc_free(&doc);
	return st;
}

static bool
copy_string(const struct json_value *v, char *dst, size_t cap)
{
	if (!json_is_plain_string(v) || v->len >= cap)
		return false;
	memcpy(dst, v->u.s, v->len + 1);
	return true;
}

/* Header checks: kid names a configured key, alg is that key's, nothing else. */
static enum token_status
check_header(const struct config *cfg, const struct json_value *header,
    const struct key **key, struct claims *c)
{
	const struct json_value *kid = json_get(header, "kid");
	const struct json_value *alg = json_get(header, "alg");

	if (kid == NULL || !copy_string(kid, c->kid, sizeof(c->kid)))
		return TOKEN_UNKNOWN_KID;
	*key = config_find_key(cfg, c->kid);
	if (*key == NULL)
		return TOKEN_UNKNOWN_KID;
	/* The key pins the algorithm; the token only has to agree (no "none"). */
	if (alg == NULL || !json_is_plain_string(alg) ||
	    strcmp(alg->u.s, config_alg_name((*key)->alg)) != 0)
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

/* RFC 7519 §4.1.4: valid only before exp (plus the configured leeway). */
static enum token_status
judge_times(const struct config *cfg, const struct claims *c, int64_t now)
{
	if (c->has_exp && now >= c->exp + (int64_t)cfg->leeway)
		return TOKEN_EXPIRED;
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
	struct json_doc doc;
	const char *dot1, *dot2;
	const struct key *key = NULL;
	enum token_status st = TOKEN_MALFORMED;
	size_t sig_len, raw_len;

	doc.chunks = NULL;	/* json_doc_free is safe before any parse */
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
		    sizeof(raw), &doc, nomem))
			goto out;
		st = check_header(cfg, doc.root, &key, c);
		json_doc_free(&doc);
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
	st = token_read_payload((const char *)raw, raw_len, true, c);
	if (st == TOKEN_NO_MEMORY) {
		*nomem = true;
		st = TOKEN_BAD_CLAIMS;
	}
	if (st == TOKEN_VALID)
		st = judge_audience(cfg, c);
out:
	json_doc_free(&doc);
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
