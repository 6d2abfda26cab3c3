/* unit_jsonrpc: the whole issuing pipeline (service_handle) without FastCGI. */
#include "unit_fixture.h"

#include <json-c/json.h>

#include "request.h"
#include "service.h"
#include "token.h"

#define NOW 1700000000		/* 2023-11-14T22:13:20Z: a fixed clock */
#define AUTH_OK "Bearer test"	/* SHA-256("test") is client backend's token_sha256 */

#define CALL(method, params, id) \
	"{\"jsonrpc\":\"2.0\",\"method\":\"" method "\",\"params\":" params \
	",\"id\":" id "}"
#define CREATE(params, id) CALL("Auth.CreateAccessToken", params, id)
#define NOTIFY(params) \
	"{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\",\"params\":" \
	params "}"

static struct fixture fx;
static struct config *cfg;

/* A request as the web server would hand it over: CGI params and a body. */
struct http {
	const char *method;		/* REQUEST_METHOD */
	const char *ctype;		/* CONTENT_TYPE */
	const char *auth;		/* HTTP_AUTHORIZATION */
	const char *clen;		/* CONTENT_LENGTH; NULL: the body's length */
	bool no_clen;			/* no CONTENT_LENGTH at all */
	const char *body;
	size_t len;			/* 0: strlen(body) */
};

/* The request_source of a test: params from a table, the body from memory. */
struct fake {
	const char *names[4];
	const char *values[4];
	const char *body;
	size_t len, pos;
	size_t chunk;			/* bytes per read(), to exercise the loop */
	char clen[32];
};

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < 4; i++)
		if (f->names[i] != NULL && strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

static int
fake_read(void *ctx, char *buf, int len)
{
	struct fake *f = ctx;
	size_t n = f->len - f->pos;

	if (n > (size_t)len)
		n = (size_t)len;
	if (n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (int)n;
}

struct exchange {
	struct fake f;
	struct request_source src;
	struct request req;
	json_object *json;		/* req.out parsed, or NULL */
};

static void
exchange(struct exchange *x, const struct http *h)
{
	memset(x, 0, sizeof(*x));
	x->f.body = h->body != NULL ? h->body : "";
	x->f.len = h->len != 0 ? h->len : strlen(x->f.body);
	x->f.chunk = 7;
	x->f.names[0] = "REQUEST_METHOD";
	x->f.values[0] = h->method;
	x->f.names[1] = "CONTENT_TYPE";
	x->f.values[1] = h->ctype;
	x->f.names[2] = "HTTP_AUTHORIZATION";
	x->f.values[2] = h->auth;
	if (!h->no_clen) {
		x->f.names[3] = "CONTENT_LENGTH";
		if (h->clen != NULL) {
			x->f.values[3] = h->clen;
		} else {
			snprintf(x->f.clen, sizeof(x->f.clen), "%zu", x->f.len);
			x->f.values[3] = x->f.clen;
		}
	}
	x->src.param = fake_param;
	x->src.read = fake_read;
	x->src.ctx = &x->f;
	request_init(&x->req, cfg, &x->src);
	x->req.now = NOW;
	service_handle(&x->req);
	if (x->req.out.len > 0)
		x->json = json_tokener_parse(x->req.out.data);
}

/* The common case: an authenticated JSON POST. */
static void
post(struct exchange *x, const char *body)
{
	exchange(x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .body = body});
}

static void
done(struct exchange *x)
{
	json_object_put(x->json);
	request_free(&x->req);
}

static json_object *
get(json_object *obj, const char *name)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

static bool
has(json_object *obj, const char *name)
{
	return obj != NULL && json_object_object_get_ex(obj, name, NULL);
}

static int
error_code(json_object *resp)
{
	return json_object_get_int(get(get(resp, "error"), "code"));
}

static bool
id_is_null(json_object *resp)
{
	return has(resp, "id") && get(resp, "id") == NULL;
}

/* One JSON-RPC error response with id null, and the HTTP status. */
static void
expect_error(const struct exchange *x, int status, int code)
{
	if (x->req.status != status || error_code(x->json) != code)
		printf("#   status %d, body %s\n", x->req.status,
		    x->req.out.data != NULL ? x->req.out.data : "(none)");
	EXPECT(x->req.status == status);
	EXPECT(x->json != NULL && json_object_is_type(x->json, json_type_object));
	EXPECT(strcmp(json_object_get_string(get(x->json, "jsonrpc")), "2.0") == 0);
	EXPECT(error_code(x->json) == code);
	EXPECT(json_object_is_type(get(get(x->json, "error"), "message"),
	    json_type_string));
	EXPECT(!has(x->json, "result"));
}

static bool
headers_contain(const struct exchange *x, const char *line)
{
	return x->req.headers.data != NULL &&
	    strstr(x->req.headers.data, line) != NULL;
}

/* A result token must verify against the configuration at the fixed clock. */
static void
expect_token(json_object *resp, const char *sub, bool live, struct claims *c)
{
	json_object *r = get(resp, "result");
	const char *tok;

	EXPECT(r != NULL && json_object_is_type(r, json_type_string));
	EXPECT(!has(resp, "error"));
	if (r == NULL)
		return;
	tok = json_object_get_string(r);
	EXPECT(token_verify(cfg, tok, strlen(tok), NOW, c) == TOKEN_VALID);
	EXPECT_STR(c->sub, sub);
	EXPECT_STR(c->azp, "backend");
	EXPECT(c->live == live);
	EXPECT(c->iat == NOW);
}

/* ---- HTTP layer, SPEC 2.1 ---- */

static void
http_get_is_405_with_allow(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "GET", .ctype = "application/json",
	    .auth = AUTH_OK, .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 405, -32600);
	EXPECT(headers_contain(&x, "Allow: POST\r\n"));
	EXPECT(id_is_null(x.json));
	EXPECT(x.f.pos == 0);		/* the body is not read */
	done(&x);
}

static void
http_missing_method_is_405(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.ctype = "application/json", .auth = AUTH_OK,
	    .body = "{}"});
	expect_error(&x, 405, -32600);
	EXPECT(headers_contain(&x, "Allow: POST\r\n"));
	done(&x);
}

static void
http_lowercase_post_is_405(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "post", .ctype = "application/json",
	    .auth = AUTH_OK, .body = "{}"});
	expect_error(&x, 405, -32600);
	done(&x);
}

static void
http_text_plain_is_415(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "text/plain",
	    .auth = AUTH_OK, .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 415, -32600);
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
http_missing_content_type_is_415(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .auth = AUTH_OK,
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 415, -32600);
	done(&x);
}

static void
http_json_prefix_type_is_415(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST",
	    .ctype = "application/json-patch+json", .auth = AUTH_OK,
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 415, -32600);
	done(&x);
	exchange(&x, &(struct http){.method = "POST", .ctype = "application/jsonx",
	    .auth = AUTH_OK, .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 415, -32600);
	done(&x);
}

static void
http_accepts_json_with_charset(void)
{
	struct exchange x;
	struct claims c;

	exchange(&x, &(struct http){.method = "POST",
	    .ctype = "application/json; charset=utf-8", .auth = AUTH_OK,
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	EXPECT(x.req.status == 200);
	expect_token(x.json, "cam-1", false, &c);
	done(&x);
}

static void
http_media_type_is_case_insensitive(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST",
	    .ctype = "Application/JSON;Charset=UTF-8", .auth = AUTH_OK,
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	done(&x);
}

/* 413 comes from CONTENT_LENGTH alone: before the body is read, before auth. */
static void
http_body_too_large_by_content_length(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .clen = "1025", .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 413, -32600);
	EXPECT(x.f.pos == 0);
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
http_huge_content_length_is_413(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .clen = "1099511627776", .body = "{}"});
	expect_error(&x, 413, -32600);
	EXPECT(x.f.pos == 0);
	done(&x);
}

/* A body of n bytes: a valid call padded with spaces (JSON whitespace). */
static char *
padded_call(size_t n)
{
	static const char call[] = CREATE("{\"stream\":\"cam-1\"}", "1");
	char *b = malloc(n + 1);

	if (b == NULL)
		return NULL;
	memset(b, ' ', n);
	memcpy(b, call, sizeof(call) - 1);
	b[n] = '\0';
	return b;
}

static void
http_body_of_max_body_accepted(void)
{
	struct exchange x;
	char *body = padded_call(1024);

	post(&x, body);
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	done(&x);
	free(body);
}

static void
http_body_too_large_without_content_length(void)
{
	struct exchange x;
	char *body = padded_call(1025);

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .no_clen = true, .body = body});
	expect_error(&x, 413, -32600);
	/* It stopped reading one byte past the limit. */
	EXPECT(x.f.pos == 1025);
	done(&x);
	free(body);
}

static void
http_max_body_without_content_length_accepted(void)
{
	struct exchange x;
	char *body = padded_call(1024);

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .no_clen = true, .body = body});
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	done(&x);
	free(body);
}

static void
http_truncated_body_is_400(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .clen = "100",
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 400, -32600);
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
http_bad_content_length_is_400(void)
{
	static const char *const bad[] = {"abc", "-1", "+5", "12x", " 5",
	    "99999999999999999999999"};
	struct exchange x;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		exchange(&x, &(struct http){.method = "POST",
		    .ctype = "application/json", .auth = AUTH_OK, .clen = bad[i],
		    .body = "{}"});
		if (x.req.status != 400)
			printf("#   CONTENT_LENGTH '%s' gave %d\n", bad[i], x.req.status);
		expect_error(&x, 400, -32600);
		done(&x);
	}
}

static void
http_no_authorization_is_401(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 401, -32000);
	EXPECT_STR(x.req.headers.data,
	    "WWW-Authenticate: Bearer realm=\"streamtoken\"\r\n");
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
http_basic_authorization_is_401_without_error(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = "Basic dGVzdDp0ZXN0",
	    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 401, -32000);
	EXPECT_STR(x.req.headers.data,
	    "WWW-Authenticate: Bearer realm=\"streamtoken\"\r\n");
	done(&x);
}

static void
http_wrong_bearer_token_is_401_invalid_token(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = "Bearer tesT", .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	expect_error(&x, 401, -32000);
	EXPECT_STR(x.req.headers.data, "WWW-Authenticate: Bearer "
	    "realm=\"streamtoken\", error=\"invalid_token\"\r\n");
	EXPECT(x.f.pos == 0);
	done(&x);
}

static void
http_malformed_bearer_is_401_invalid_token(void)
{
	static const char *const bad[] = {"Bearer ", "Bearer a b", "Bearer t\"st",
	    "Bearer =abc"};
	struct exchange x;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		exchange(&x, &(struct http){.method = "POST",
		    .ctype = "application/json", .auth = bad[i],
		    .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
		expect_error(&x, 401, -32000);
		EXPECT(headers_contain(&x, "error=\"invalid_token\""));
		done(&x);
	}
}

static void
http_bearer_scheme_is_case_insensitive(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = "bearer test", .body = CREATE("{\"stream\":\"cam-1\"}", "1")});
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	done(&x);
}

/* ---- JSON text, SPEC 2.2 ---- */

struct parse_row {
	const char *name;
	const char *body;
	size_t len;			/* 0: strlen */
};

static const struct parse_row parse_rows[] = {
	{"jsonrpc_unclosed_object_is_parse_error", "{", 0},
	{"jsonrpc_not_json_is_parse_error", "stream=cam-1", 0},
	{"jsonrpc_empty_body_is_parse_error", "", 0},
	{"jsonrpc_single_quotes_are_parse_error",
	    "{'jsonrpc':'2.0','method':'x','id':1}", 0},
	{"jsonrpc_trailing_comma_is_parse_error",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1,}", 0},
	{"jsonrpc_trailing_garbage_is_parse_error",
	    CREATE("{\"stream\":\"cam-1\"}", "1") " x", 0},
	{"jsonrpc_two_values_are_parse_error",
	    CREATE("{\"stream\":\"cam-1\"}", "1") CREATE("{\"stream\":\"cam-1\"}", "2"), 0},
	{"jsonrpc_nul_byte_in_body_is_parse_error",
	    CREATE("{\"stream\":\"cam-1\"}", "1") "\0",
	    sizeof(CREATE("{\"stream\":\"cam-1\"}", "1"))},
	{"jsonrpc_nul_byte_inside_body_is_parse_error",
	    "{\"jsonrpc\":\"2.0\",\0\"method\":\"x\",\"id\":1}",
	    sizeof("{\"jsonrpc\":\"2.0\",\0\"method\":\"x\",\"id\":1}") - 1},
	{"jsonrpc_invalid_utf8_is_parse_error",
	    CALL("Auth.\xff", "{}", "1"), 0},
	{"jsonrpc_overlong_utf8_is_parse_error",
	    CREATE("{\"stream\":\"cam-\xc0\xaf\"}", "1"), 0},
	{"jsonrpc_truncated_utf8_is_parse_error",
	    CREATE("{\"stream\":\"cam-\xe2\x82\"}", "1"), 0},
	{"jsonrpc_nesting_beyond_limit_is_parse_error",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	    0},
};

static void
check_parse_row(const void *arg)
{
	const struct parse_row *row = arg;
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = AUTH_OK, .body = row->body, .len = row->len});
	expect_error(&x, 400, -32700);
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
jsonrpc_1000_open_brackets_is_parse_error(void)
{
	struct exchange x;
	char body[1001];

	memset(body, '[', 1000);
	body[1000] = '\0';
	post(&x, body);
	expect_error(&x, 400, -32700);
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
jsonrpc_trailing_whitespace_is_fine(void)
{
	struct exchange x;

	post(&x, " \r\n\t" CREATE("{\"stream\":\"cam-1\"}", "1") "\r\n \t");
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	done(&x);
}

struct invalid_row {
	const char *name;
	const char *body;
	const char *id;			/* the echoed id as JSON, "null" if none */
};

static const struct invalid_row invalid_rows[] = {
	{"jsonrpc_version_1_0_is_invalid_request",
	    "{\"jsonrpc\":\"1.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"cam-1\"},\"id\":1}", "1"},
	{"jsonrpc_missing_version_is_invalid_request",
	    "{\"method\":\"Auth.CreateAccessToken\",\"params\":{\"stream\":\"cam-1\"},"
	    "\"id\":\"a\"}", "\"a\""},
	{"jsonrpc_numeric_version_is_invalid_request",
	    "{\"jsonrpc\":2.0,\"method\":\"Auth.CreateAccessToken\",\"id\":1}", "1"},
	{"jsonrpc_version_with_nul_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\\u0000\",\"method\":\"Auth.CreateAccessToken\",\"id\":1}",
	    "1"},
	{"jsonrpc_method_number_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":2}", "2"},
	{"jsonrpc_missing_method_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"id\":2}", "2"},
	{"jsonrpc_params_string_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":\"cam-1\",\"id\":3}", "3"},
	{"jsonrpc_params_number_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":5,\"id\":3}", "3"},
	{"jsonrpc_params_null_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":null,\"id\":3}", "3"},
	{"jsonrpc_id_object_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"cam-1\"},\"id\":{\"a\":1}}", "null"},
	{"jsonrpc_id_bool_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"cam-1\"},\"id\":true}", "null"},
	{"jsonrpc_id_array_is_invalid_request",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"Auth.CreateAccessToken\","
	    "\"params\":{\"stream\":\"cam-1\"},\"id\":[1]}", "null"},
	{"jsonrpc_top_level_string_is_invalid_request", "\"Auth.CreateAccessToken\"",
	    "null"},
	{"jsonrpc_top_level_true_is_invalid_request", "true", "null"},
	/* json-c waits for more digits after a bare number at the end of input. */
	{"jsonrpc_top_level_number_is_invalid_request", "5", "null"},
	{"jsonrpc_top_level_negative_number_is_invalid_request", "-1.5", "null"},
	/* An invalid request without id still gets its error (JSON-RPC 2.0 §5). */
	{"jsonrpc_invalid_request_without_id_is_answered",
	    "{\"jsonrpc\":\"1.0\",\"method\":\"Auth.CreateAccessToken\"}", "null"},
};

static void
check_invalid_row(const void *arg)
{
	const struct invalid_row *row = arg;
	struct exchange x;

	post(&x, row->body);
	expect_error(&x, 400, -32600);
	EXPECT(has(x.json, "id"));
	EXPECT_STR(json_object_to_json_string_ext(get(x.json, "id"),
	    JSON_C_TO_STRING_PLAIN), row->id);
	done(&x);
}

/* ---- methods and ids ---- */

static void
jsonrpc_success_returns_verifiable_token(void)
{
	struct exchange x;
	struct claims c;

	post(&x, CREATE("{\"stream\":\"cam-1\",\"ttl\":600,\"live\":true}", "1"));
	EXPECT(x.req.status == 200);
	EXPECT(x.req.headers.len == 0);
	EXPECT(x.json != NULL &&
	    strcmp(json_object_get_string(get(x.json, "jsonrpc")), "2.0") == 0);
	EXPECT(json_object_get_int(get(x.json, "id")) == 1);
	expect_token(x.json, "cam-1", true, &c);
	EXPECT(c.has_exp && c.exp == NOW + 600);
	EXPECT(!c.dvr && !c.copy);
	EXPECT_STR(c.kid, "main");
	done(&x);
}

static void
jsonrpc_alias_create_api_token(void)
{
	struct exchange x;
	struct claims c;

	post(&x, CALL("Auth.CreateApiToken", "{\"stream\":\"cam-2\",\"dvr\":true}", "7"));
	EXPECT(x.req.status == 200);
	expect_token(x.json, "cam-2", false, &c);
	EXPECT(c.dvr);
	done(&x);
}

static void
jsonrpc_positional_params(void)
{
	struct exchange x;
	struct claims c;

	post(&x, CREATE("[\"cam-3\",120,true,false,false,100,200]", "1"));
	EXPECT(x.req.status == 200);
	expect_token(x.json, "cam-3", true, &c);
	EXPECT(c.exp == NOW + 120 && c.from == 100 && c.to == 200);
	done(&x);
}

struct id_row {
	const char *name;
	const char *id;
};

static const struct id_row id_rows[] = {
	{"jsonrpc_echoes_string_id", "\"abc-123\""},
	{"jsonrpc_echoes_number_id", "42"},
	{"jsonrpc_echoes_negative_id", "-7"},
	{"jsonrpc_echoes_fractional_id", "1.5"},
	{"jsonrpc_echoes_large_id", "9007199254740993"},
	{"jsonrpc_echoes_escaped_string_id", "\"a\\\"b\\\\c\\u00e9\""},
	/* id null is a request, not a notification: it gets an answer. */
	{"jsonrpc_echoes_null_id", "null"},
};

static void
check_id_row(const void *arg)
{
	const struct id_row *row = arg;
	json_object *want, *got;
	struct exchange x;
	char body[256];

	snprintf(body, sizeof(body), CREATE("{\"stream\":\"cam-1\"}", "%s"), row->id);
	post(&x, body);
	EXPECT(x.req.status == 200);
	EXPECT(has(x.json, "result"));
	EXPECT(has(x.json, "id"));
	want = json_tokener_parse(row->id);
	got = get(x.json, "id");
	EXPECT(json_object_equal(want, got));
	json_object_put(want);
	/* Errors echo the id too. */
	done(&x);
	snprintf(body, sizeof(body), CALL("No.Such", "{}", "%s"), row->id);
	post(&x, body);
	want = json_tokener_parse(row->id);
	EXPECT(error_code(x.json) == -32601);
	EXPECT(json_object_equal(want, get(x.json, "id")));
	json_object_put(want);
	done(&x);
}

static void
jsonrpc_method_not_found(void)
{
	struct exchange x;

	post(&x, CALL("Auth.CreateAccesToken", "{\"stream\":\"cam-1\"}", "\"m\""));
	expect_error(&x, 400, -32601);
	EXPECT_STR(json_object_get_string(get(x.json, "id")), "m");
	done(&x);
}

static void
jsonrpc_method_names_are_case_sensitive(void)
{
	struct exchange x;

	post(&x, CALL("auth.createaccesstoken", "{\"stream\":\"cam-1\"}", "1"));
	expect_error(&x, 400, -32601);
	done(&x);
}

static void
jsonrpc_invalid_params_names_the_param(void)
{
	struct exchange x;
	json_object *data;

	post(&x, CREATE("{\"stream\":\"cam-1\",\"tll\":60}", "4"));
	expect_error(&x, 400, -32602);
	data = get(get(x.json, "error"), "data");
	EXPECT_STR(json_object_get_string(get(data, "param")), "tll");
	EXPECT(json_object_is_type(get(data, "reason"), json_type_string));
	EXPECT(json_object_get_int(get(x.json, "id")) == 4);
	done(&x);
}

static void
jsonrpc_forbidden_stream_is_403(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = "Bearer narrow-token",
	    .body = CREATE("{\"stream\":\"cam-1\"}", "5")});
	expect_error(&x, 403, -32003);
	EXPECT(json_object_get_int(get(x.json, "id")) == 5);
	done(&x);
}

static void
jsonrpc_stream_not_found(void)
{
	struct exchange x;

	post(&x, CREATE("{\"stream\":\"pub-2\"}", "1"));
	expect_error(&x, 400, -32001);
	done(&x);
}

static void
jsonrpc_public_stream_is_not_private(void)
{
	struct exchange x;

	post(&x, CREATE("{\"stream\":\"pub-1\"}", "1"));
	expect_error(&x, 400, -32002);
	done(&x);
}

/* ---- notifications and batches ---- */

static void
jsonrpc_notification_is_204_without_body(void)
{
	struct exchange x;

	post(&x, NOTIFY("{\"stream\":\"cam-1\"}"));
	EXPECT(x.req.status == 204);
	EXPECT(x.req.out.len == 0);
	EXPECT(x.json == NULL);
	done(&x);
}

static void
jsonrpc_failing_notification_is_204(void)
{
	struct exchange x;

	post(&x, NOTIFY("{\"stream\":\"cam-1\",\"ttl\":\"x\"}"));
	EXPECT(x.req.status == 204);
	EXPECT(x.req.out.len == 0);
	done(&x);
	post(&x, "{\"jsonrpc\":\"2.0\",\"method\":\"No.Such\"}");
	EXPECT(x.req.status == 204);
	EXPECT(x.req.out.len == 0);
	done(&x);
}

/* The batch's response for the member whose id is id (JSON text), or NULL. */
static json_object *
batch_member(json_object *arr, const char *id)
{
	json_object *want = json_tokener_parse(id), *found = NULL;
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *m = json_object_array_get_idx(arr, i);
		if (has(m, "id") && json_object_equal(get(m, "id"), want))
			found = m;
	}
	json_object_put(want);
	return found;
}

static void
jsonrpc_batch_mixed(void)
{
	struct exchange x;
	struct claims c;
	json_object *m;

	post(&x, "[" CREATE("{\"stream\":\"cam-1\",\"live\":true}", "1") ","
	    NOTIFY("{\"stream\":\"cam-1\"}") ","
	    CALL("No.Such", "[]", "\"b\"") ","
	    "{\"foo\":1},"
	    CREATE("{\"stream\":\"cam-1\",\"ttl\":-1}", "3") "]");
	EXPECT(x.req.status == 200);
	EXPECT(json_object_is_type(x.json, json_type_array));
	EXPECT(json_object_array_length(x.json) == 4);
	m = batch_member(x.json, "1");
	EXPECT(m != NULL);
	expect_token(m, "cam-1", true, &c);
	EXPECT(error_code(batch_member(x.json, "\"b\"")) == -32601);
	EXPECT(error_code(batch_member(x.json, "null")) == -32600);
	m = batch_member(x.json, "3");
	EXPECT(error_code(m) == -32602);
	EXPECT_STR(json_object_get_string(get(get(get(m, "error"), "data"), "param")),
	    "ttl");
	done(&x);
}

/* Inside a batch a forbidden member is an error object; the HTTP status stays 200. */
static void
jsonrpc_batch_forbidden_member_keeps_200(void)
{
	struct exchange x;

	exchange(&x, &(struct http){.method = "POST", .ctype = "application/json",
	    .auth = "Bearer narrow-token",
	    .body = "[" CREATE("{\"stream\":\"cam-1\"}", "1") ","
	    CREATE("{\"stream\":\"lobby\"}", "2") "]"});
	EXPECT(x.req.status == 200);
	EXPECT(json_object_array_length(x.json) == 2);
	EXPECT(error_code(batch_member(x.json, "1")) == -32003);
	EXPECT(has(batch_member(x.json, "2"), "result"));
	done(&x);
}

static void
jsonrpc_batch_of_notifications_is_204(void)
{
	struct exchange x;

	post(&x, "[" NOTIFY("{\"stream\":\"cam-1\"}") ","
	    NOTIFY("{\"stream\":\"cam-2\"}") "]");
	EXPECT(x.req.status == 204);
	EXPECT(x.req.out.len == 0);
	done(&x);
}

static void
jsonrpc_batch_notification_last_keeps_valid_json(void)
{
	struct exchange x;

	post(&x, "[" CREATE("{\"stream\":\"cam-1\"}", "1") ","
	    NOTIFY("{\"stream\":\"cam-1\"}") "]");
	EXPECT(x.req.status == 200);
	EXPECT(json_object_is_type(x.json, json_type_array));
	EXPECT(json_object_array_length(x.json) == 1);
	done(&x);
}

static void
jsonrpc_empty_batch_is_one_invalid_request(void)
{
	struct exchange x;

	post(&x, "[]");
	expect_error(&x, 400, -32600);
	EXPECT(json_object_is_type(x.json, json_type_object));
	EXPECT(id_is_null(x.json));
	done(&x);
}

static void
jsonrpc_batch_above_max_batch_is_one_invalid_request(void)
{
	struct exchange x;

	post(&x, "[" CREATE("{\"stream\":\"cam-1\"}", "1") ","
	    CREATE("{\"stream\":\"cam-1\"}", "2") "," CREATE("{\"stream\":\"cam-1\"}", "3")
	    "," CREATE("{\"stream\":\"cam-1\"}", "4") "," CREATE("{\"stream\":\"cam-1\"}", "5")
	    "," CREATE("{\"stream\":\"cam-1\"}", "6") "]");
	expect_error(&x, 400, -32600);
	EXPECT(json_object_is_type(x.json, json_type_object));
	done(&x);
}

static void
jsonrpc_batch_at_max_batch_is_answered(void)
{
	struct exchange x;

	post(&x, "[" CREATE("{\"stream\":\"cam-1\"}", "1") ","
	    CREATE("{\"stream\":\"cam-1\"}", "2") "," CREATE("{\"stream\":\"cam-1\"}", "3")
	    "," CREATE("{\"stream\":\"cam-1\"}", "4") "," CREATE("{\"stream\":\"cam-1\"}", "5")
	    "]");
	EXPECT(x.req.status == 200);
	EXPECT(json_object_array_length(x.json) == 5);
	done(&x);
}

static void
jsonrpc_batch_of_non_objects(void)
{
	struct exchange x;

	post(&x, "[1,\"x\",[]]");
	EXPECT(x.req.status == 200);
	EXPECT(json_object_array_length(x.json) == 3);
	EXPECT(error_code(json_object_array_get_idx(x.json, 0)) == -32600);
	EXPECT(error_code(json_object_array_get_idx(x.json, 2)) == -32600);
	EXPECT(id_is_null(json_object_array_get_idx(x.json, 1)));
	done(&x);
}

int
main(void)
{
	char err[1024], hex[65], ini[2048];
	size_t i;

	if (!fx_init(&fx, "unit_jsonrpc")) {
		printf("Bail out! cannot create the fixture directory\n");
		return 1;
	}
	fx_write_str(&fx, "main.key", FX_SECRET, 0600);
	fx_sha256_hex("narrow-token", hex);
	snprintf(ini, sizeof(ini),
	    "[server]\nmax_body = 1024\nmax_batch = 5\n"
	    "[key main]\nsecret_file = main.key\n"
	    "[client backend]\ntoken_sha256 = %s\nstreams = cam-*, pub-*\n"
	    "[client narrow]\ntoken_sha256 = %s\nstreams = lobby\n"
	    "[stream cam-*]\n[stream pub-1]\naccess = public\n[stream lobby]\n",
	    FX_SHA_TEST, hex);
	cfg = fx_load(&fx, ini, err, sizeof(err));
	fx_cleanup(&fx);
	if (cfg == NULL) {
		printf("Bail out! fixture config: %s\n", err);
		return 1;
	}

	RUN(http_get_is_405_with_allow);
	RUN(http_missing_method_is_405);
	RUN(http_lowercase_post_is_405);
	RUN(http_text_plain_is_415);
	RUN(http_missing_content_type_is_415);
	RUN(http_json_prefix_type_is_415);
	RUN(http_accepts_json_with_charset);
	RUN(http_media_type_is_case_insensitive);
	RUN(http_body_too_large_by_content_length);
	RUN(http_huge_content_length_is_413);
	RUN(http_body_of_max_body_accepted);
	RUN(http_body_too_large_without_content_length);
	RUN(http_max_body_without_content_length_accepted);
	RUN(http_truncated_body_is_400);
	RUN(http_bad_content_length_is_400);
	RUN(http_no_authorization_is_401);
	RUN(http_basic_authorization_is_401_without_error);
	RUN(http_wrong_bearer_token_is_401_invalid_token);
	RUN(http_malformed_bearer_is_401_invalid_token);
	RUN(http_bearer_scheme_is_case_insensitive);

	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++)
		RUN_ROW(parse_rows[i].name, check_parse_row, &parse_rows[i]);
	RUN(jsonrpc_1000_open_brackets_is_parse_error);
	RUN(jsonrpc_trailing_whitespace_is_fine);
	for (i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]); i++)
		RUN_ROW(invalid_rows[i].name, check_invalid_row, &invalid_rows[i]);

	RUN(jsonrpc_success_returns_verifiable_token);
	RUN(jsonrpc_alias_create_api_token);
	RUN(jsonrpc_positional_params);
	for (i = 0; i < sizeof(id_rows) / sizeof(id_rows[0]); i++)
		RUN_ROW(id_rows[i].name, check_id_row, &id_rows[i]);
	RUN(jsonrpc_method_not_found);
	RUN(jsonrpc_method_names_are_case_sensitive);
	RUN(jsonrpc_invalid_params_names_the_param);
	RUN(jsonrpc_forbidden_stream_is_403);
	RUN(jsonrpc_stream_not_found);
	RUN(jsonrpc_public_stream_is_not_private);

	RUN(jsonrpc_notification_is_204_without_body);
	RUN(jsonrpc_failing_notification_is_204);
	RUN(jsonrpc_batch_mixed);
	RUN(jsonrpc_batch_forbidden_member_keeps_200);
	RUN(jsonrpc_batch_of_notifications_is_204);
	RUN(jsonrpc_batch_notification_last_keeps_valid_json);
	RUN(jsonrpc_empty_batch_is_one_invalid_request);
	RUN(jsonrpc_batch_above_max_batch_is_one_invalid_request);
	RUN(jsonrpc_batch_at_max_batch_is_answered);
	RUN(jsonrpc_batch_of_non_objects);
	config_free(cfg);
	return tap_done();
}
