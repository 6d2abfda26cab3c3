/* jwks: a JWK Set of the asymmetric keys, written with json-c once per load. */
#include "autoconfig.h"

#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "jwks.h"
#include "jsonio.h"
#include "keys.h"
#include "log.h"
#include "respond.h"
#include "token.h"

/* A base64url member (RFC 7518 §6: every key number is base64url). */
static bool
add_b64(json_object *obj, const char *name, const unsigned char *data,
    size_t len)
{
	struct buf b;
	bool ok;

	buf_init(&b);
	base64url_encode(&b, data, len);
	ok = !b.failed && b.data != NULL && jsonio_add(obj, name, json_object_new_string(b.data));
	buf_free(&b);
	return ok;
}

/* One JWK: RFC 7518 §6.2 (EC), §6.3 (RSA), RFC 8037 §2 (OKP), plus kid, alg, use. */
static json_object *
key_to_jwk(const struct key *key)
{
	json_object *jwk = json_object_new_object();
	struct key_jwk *p = OPENSSL_zalloc(sizeof(*p));
	bool ok;

	ok = jwk != NULL && p != NULL && key_jwk_params(key, p) &&
	    jsonio_add(jwk, "kty", json_object_new_string(p->kty));
	if (ok && p->crv != NULL)	/* EC and OKP */
		ok = jsonio_add(jwk, "crv", json_object_new_string(p->crv)) &&
		    add_b64(jwk, "x", p->a, p->a_len) &&
		    (p->b_len == 0 || add_b64(jwk, "y", p->b, p->b_len));
	else if (ok)			/* RSA */
		ok = add_b64(jwk, "n", p->a, p->a_len) &&
		    add_b64(jwk, "e", p->b, p->b_len);
	ok = ok && jsonio_add(jwk, "kid", json_object_new_string(key->name)) &&
	    jsonio_add(jwk, "alg", json_object_new_string(config_alg_name(key->alg))) &&
	    jsonio_add(jwk, "use", json_object_new_string("sig"));
	OPENSSL_free(p);
	if (!ok) {
		json_object_put(jwk);
		return NULL;
	}
	return jwk;
}

/* A strong ETag: the first 16 bytes of the document's SHA-256, base64url. */
static void
set_etag(struct config *cfg)
{
	unsigned char digest[32];
	struct buf b;

	key_sha256(cfg->jwks, cfg->jwks_len, digest);
	buf_init_storage(&b, cfg->jwks_etag, sizeof(cfg->jwks_etag));
	buf_puts(&b, "\"");
	base64url_encode(&b, digest, 16);
	buf_puts(&b, "\"");
}

bool
jwks_build(struct config *cfg)
{
	json_object *doc = json_object_new_object(), *keys = json_object_new_array();
	json_object *jwk;
	struct buf text;
	size_t i;
	bool ok = false;

	if (doc == NULL || keys == NULL)
		goto out;
	for (i = 0; i < cfg->nkeys; i++) {
		if (cfg->keys[i].pkey == NULL)
			continue;	/* HMAC secrets are never published */
		jwk = key_to_jwk(&cfg->keys[i]);
		if (jwk == NULL || json_object_array_add(keys, jwk) != 0) {
			json_object_put(jwk);
			goto out;
		}
	}
	if (json_object_object_add(doc, "keys", keys) != 0)
		goto out;
	keys = NULL;		/* doc owns it */
	buf_init(&text);
	if (!jsonio_write(&text, doc) || text.data == NULL) {
		buf_free(&text);
		goto out;
	}
	free(cfg->jwks);
	cfg->jwks = strndup(text.data, text.len);
	buf_free(&text);
	if (cfg->jwks == NULL)
		goto out;
	cfg->jwks_len = strlen(cfg->jwks);
	set_etag(cfg);
	ok = true;
out:
	json_object_put(keys);
	json_object_put(doc);
	return ok;
}

/* The path of a request URI: up to the query. */
static bool
path_is(const char *uri, const char *path)
{
	size_t n = strlen(path);

	return uri != NULL && strncmp(uri, path, n) == 0 &&
	    (uri[n] == '\0' || uri[n] == '?');
}

bool
jwks_is_request(const struct request *req)
{
	return req->cfg->jwks_path != NULL &&
	    path_is(request_known(req, REQ_REQUEST_URI), req->cfg->jwks_path);
}

/*
 * RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity tags,
 * compared weakly (a W/ prefix is ignored).
 */
static bool
etag_listed(const char *list, const char *etag)
{
	size_t n = strlen(etag), len;
	const char *end;

	if (list == NULL)
		return false;
	for (;;) {
		list += strspn(list, " \t,");
		if (*list == '\0')
			return false;
		if (*list == '*')
			return true;
		if (strncmp(list, "W/", 2) == 0)
			list += 2;
		end = strchr(list, ',');
		len = end != NULL ? (size_t)(end - list) : strlen(list);
		while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == '\t'))
			len--;
		if (len == n && memcmp(list, etag, n) == 0)
			return true;
		if (end == NULL)
			return false;
		list = end;
	}
}

void
jwks_respond(struct request *req)
{
	const struct config *cfg = req->cfg;
	const char *method = request_known(req, REQ_REQUEST_METHOD);
	bool head = method != NULL && strcmp(method, "HEAD") == 0;

	if (!head && (method == NULL || strcmp(method, "GET") != 0)) {
		buf_puts(&req->headers, "Allow: GET, HEAD\r\n");
		respond_http_error(req, ST_ERR_JWKS_METHOD);
		log_request(req, method, NULL,
		    st_err_info(ST_ERR_JWKS_METHOD)->rpc_code);
		return;
	}
	/* Public keys may be cached; a rotation shows within five minutes. */
	buf_puts(&req->headers, "Cache-Control: public, max-age=300\r\nETag: ");
	buf_puts(&req->headers, cfg->jwks_etag);
	buf_puts(&req->headers, "\r\n");
	if (etag_listed(request_param(req, "HTTP_IF_NONE_MATCH"), cfg->jwks_etag)) {
		req->status = 304;
	} else {
		buf_puts(&req->headers, "Content-Type: application/json\r\n");
		if (!head)
			buf_append(&req->out, cfg->jwks, cfg->jwks_len);
	}
	req->content_headers_set = true;
	log_request(req, method, NULL, 0);
}
