/*
 * unit_respond: the CGI response bytes (respond_write) and the JSON-RPC
 * objects; with the request parameters and buffers they are built from.
 */
#include "unit_fixture.h"

#include <json-c/json.h>

#include "respond.h"

/* A respond_writer that collects everything, and can be told to fail. */
struct sink {
	struct buf b;
	int calls;
	int fail_at;			/* fail the nth write (1-based); 0: never */
};

/* respond_rpc_result for id 1 and the string result s. */
static void
result_string(struct buf *out, const char *s)
{
	json_object *id = json_object_new_int(1), *r = json_object_new_string(s);

	respond_rpc_result(out, id, r);
	json_object_put(id);
	json_object_put(r);
}

static bool
sink_write(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_at != 0 && s->calls == s->fail_at)
		return false;
	buf_append(&s->b, data, len);
	return true;
}

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->b);
}

static void
respond_200_with_body_has_json_headers(void)
{
	struct request req;
	struct sink s;

	request_init(&req, NULL, NULL);
	result_string(&req.out, "tok");
	sink_init(&s);
	EXPECT(respond_write(&req, sink_write, &s));
	EXPECT_STR(s.b.data, "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{\"jsonrpc\":\"2.0\",\"result\":\"tok\",\"id\":1}");
	buf_free(&s.b);
	request_free(&req);
}

static void
respond_204_has_no_body_and_no_content_type(void)
{
	struct request req;
	struct sink s;

	request_init(&req, NULL, NULL);
	req.status = 204;
	sink_init(&s);
	EXPECT(respond_write(&req, sink_write, &s));
	EXPECT_STR(s.b.data, "Status: 204 No Content\r\n\r\n");
	buf_free(&s.b);
	request_free(&req);
}

static void
respond_extra_headers_precede_content_type(void)
{
	struct request req;
	struct sink s;

	request_init(&req, NULL, NULL);
	respond_http_error(&req, ST_ERR_HTTP_METHOD);
	/* respond_http_error sets no Allow itself: the HTTP check adds it. */
	buf_puts(&req.headers, "Allow: POST\r\n");
	sink_init(&s);
	EXPECT(respond_write(&req, sink_write, &s));
	EXPECT(s.b.data != NULL && strncmp(s.b.data,
	    "Status: 405 Method Not Allowed\r\n"
	    "Allow: POST\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n{", strlen("Status: 405 Method Not Allowed\r\nAllow: POST\r\n"
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n\r\n{")) == 0);
	buf_free(&s.b);
	request_free(&req);
}

/* SPEC 2.1: a response with a body is never cached, errors included. */
static void
respond_error_bodies_are_no_store(void)
{
	static const enum st_err errs[] = {ST_ERR_PARSE, ST_ERR_MEDIA_TYPE,
	    ST_ERR_BODY_TOO_LARGE, ST_ERR_NO_CREDENTIALS, ST_ERR_FORBIDDEN,
	    ST_ERR_INTERNAL};
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct request req;
		struct sink s;
		char *sep;

		request_init(&req, NULL, NULL);
		respond_http_error(&req, errs[i]);
		sink_init(&s);
		EXPECT(respond_write(&req, sink_write, &s));
		sep = s.b.data != NULL ? strstr(s.b.data, "\r\n\r\n") : NULL;
		EXPECT(sep != NULL);
		if (sep != NULL) {
			*sep = '\0';
			EXPECT(strstr(s.b.data, "\r\nContent-Type: application/json") != NULL);
			EXPECT(strstr(s.b.data, "\r\nCache-Control: no-store") != NULL);
			EXPECT(sep[4] == '{');
		}
		buf_free(&s.b);
		request_free(&req);
	}
}

struct status_row {
	enum st_err err;
	const char *status_line;
};

static const struct status_row status_rows[] = {
	{ST_ERR_PARSE, "Status: 400 Bad Request\r\n"},
	{ST_ERR_HTTP_METHOD, "Status: 405 Method Not Allowed\r\n"},
	{ST_ERR_MEDIA_TYPE, "Status: 415 Unsupported Media Type\r\n"},
	{ST_ERR_BODY_TOO_LARGE, "Status: 413 Content Too Large\r\n"},
	{ST_ERR_NO_CREDENTIALS, "Status: 401 Unauthorized\r\n"},
	{ST_ERR_FORBIDDEN, "Status: 403 Forbidden\r\n"},
	{ST_ERR_INTERNAL, "Status: 500 Internal Server Error\r\n"},
};

static void
respond_status_line_for_each_error(void)
{
	size_t i;

	for (i = 0; i < sizeof(status_rows) / sizeof(status_rows[0]); i++) {
		struct request req;
		struct sink s;
		size_t n = strlen(status_rows[i].status_line);

		request_init(&req, NULL, NULL);
		respond_http_error(&req, status_rows[i].err);
		sink_init(&s);
		EXPECT(respond_write(&req, sink_write, &s));
		EXPECT(s.b.data != NULL &&
		    strncmp(s.b.data, status_rows[i].status_line, n) == 0);
		buf_free(&s.b);
		request_free(&req);
	}
}

static void
respond_401_challenges(void)
{
	struct request req;

	request_init(&req, NULL, NULL);
	respond_http_error(&req, ST_ERR_NO_CREDENTIALS);
	EXPECT(req.status == 401);
	EXPECT_STR(req.headers.data, "WWW-Authenticate: Bearer realm=\"streamtoken\"\r\n");
	request_free(&req);
	request_init(&req, NULL, NULL);
	respond_http_error(&req, ST_ERR_BAD_CREDENTIALS);
	EXPECT(req.status == 401);
	EXPECT_STR(req.headers.data, "WWW-Authenticate: Bearer "
	    "realm=\"streamtoken\", error=\"invalid_token\"\r\n");
	request_free(&req);
}

/* A half-built response is never sent: the writer gets a canned 500. */
static void
respond_failed_buffer_sends_500(void)
{
	struct request req;
	struct sink s;

	request_init(&req, NULL, NULL);
	result_string(&req.out, "tok");
	req.out.failed = true;
	sink_init(&s);
	EXPECT(respond_write(&req, sink_write, &s));
	EXPECT(s.b.data != NULL &&
	    strncmp(s.b.data, "Status: 500 Internal Server Error\r\n", 35) == 0);
	EXPECT(s.b.data != NULL && strstr(s.b.data, "Cache-Control: no-store") != NULL);
	EXPECT(s.b.data != NULL && strstr(s.b.data, "\"tok\"") == NULL);
	EXPECT(s.b.data != NULL && strstr(s.b.data, "-32603") != NULL);
	buf_free(&s.b);
	request_free(&req);
}

/* A response too big for one call is written in pieces. */
static void
respond_big_response_in_pieces(struct request *req, struct sink *s)
{
	static char body[6000];

	request_init(req, NULL, NULL);
	memset(body, 'x', sizeof(body) - 1);
	result_string(&req->out, body);
	sink_init(s);
}

static void
respond_write_reports_writer_failure(void)
{
	struct request req;
	struct sink s;
	int at;

	/* The common response goes in one call. */
	request_init(&req, NULL, NULL);
	result_string(&req.out, "tok");
	sink_init(&s);
	s.fail_at = 1;
	EXPECT(!respond_write(&req, sink_write, &s));
	EXPECT(s.calls == 1);
	buf_free(&s.b);
	request_free(&req);
	for (at = 1; at <= 3; at++) {
		respond_big_response_in_pieces(&req, &s);
		s.fail_at = at;
		EXPECT(!respond_write(&req, sink_write, &s));
		EXPECT(s.calls == at);	/* nothing written after a failure */
		buf_free(&s.b);
		request_free(&req);
	}
}

/* In one call or in pieces, the bytes are the same. */
static void
respond_big_response_bytes(void)
{
	struct request req;
	struct sink s;
	static const char head[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n";

	respond_big_response_in_pieces(&req, &s);
	EXPECT(req.out.data != req.mem.out);	/* it outgrew the inline storage */
	EXPECT(respond_write(&req, sink_write, &s));
	EXPECT(s.calls == 3);
	EXPECT(s.b.len == sizeof(head) - 1 + req.out.len);
	EXPECT(s.b.data != NULL && memcmp(s.b.data, head, sizeof(head) - 1) == 0);
	EXPECT(s.b.data != NULL && memcmp(s.b.data + sizeof(head) - 1,
	    req.out.data, req.out.len) == 0);
	buf_free(&s.b);
	request_free(&req);
}

/* ---- request parameters from an envp ---- */

struct params {
	char **envp;
	int calls;			/* of the param callback */
};

static const char *
params_param(void *ctx, const char *name)
{
	struct params *p = ctx;

	p->calls++;
	return strcmp(name, "QUERY_STRING") == 0 ? "from-callback" : NULL;
}

static char **
params_envp(void *ctx)
{
	return ((struct params *)ctx)->envp;
}

static void
request_params_from_envp(void)
{
	char *env[] = {
		"CONTENT_TYPEX=no", "CONTENT_TYPE=application/json",
		"CONTENT_TYPE=second", "HTTP_COOKIES=no", "HTTP_COOKIE=c=1",
		"REQUEST_METHOD=POST", "REQUEST_URI", "REQUEST_URI=", "S=", "=",
		"", "FCGI_ROLE=RESPONDER", "HTTP_AUTHORIZATION=Bearer a=b",
		"QUERY_STRING=from-envp", NULL
	};
	struct params p = {env, 0};
	struct request_source src = {params_param, NULL, &p, params_envp};
	struct request req;

	request_init(&req, NULL, &src);
	EXPECT_STR(request_param(&req, "CONTENT_TYPE"), "application/json");
	EXPECT_STR(request_param(&req, "HTTP_COOKIE"), "c=1");
	EXPECT_STR(request_param(&req, "REQUEST_METHOD"), "POST");
	EXPECT_STR(request_param(&req, "REQUEST_URI"), "");
	EXPECT_STR(request_param(&req, "FCGI_ROLE"), "RESPONDER");
	EXPECT_STR(request_param(&req, "HTTP_AUTHORIZATION"), "Bearer a=b");
	EXPECT(request_param(&req, "CONTENT_LENGTH") == NULL);
	EXPECT(request_param(&req, "STREAMTOKEN_MODE") == NULL);
	EXPECT(p.calls == 0);	/* the known names never ask the callback */
	/* By index, the same answers. */
	EXPECT_STR(request_known(&req, REQ_CONTENT_TYPE), "application/json");
	EXPECT_STR(request_known(&req, REQ_HTTP_COOKIE), "c=1");
	EXPECT_STR(request_known(&req, REQ_REQUEST_METHOD), "POST");
	EXPECT_STR(request_known(&req, REQ_REQUEST_URI), "");
	EXPECT_STR(request_known(&req, REQ_FCGI_ROLE), "RESPONDER");
	EXPECT_STR(request_known(&req, REQ_HTTP_AUTHORIZATION), "Bearer a=b");
	EXPECT(request_known(&req, REQ_CONTENT_LENGTH) == NULL);
	EXPECT(request_known(&req, REQ_STREAMTOKEN_MODE) == NULL);
	EXPECT(request_known(&req, REQ_STREAMTOKEN_URI) == NULL);
	EXPECT(p.calls == 0);
	EXPECT_STR(request_param(&req, "QUERY_STRING"), "from-callback");
	EXPECT(request_param(&req, "CONTENT") == NULL);
	EXPECT(p.calls == 2);
	request_free(&req);

	/* Without an envp, every name goes to the callback. */
	src.envp = NULL;
	p.calls = 0;
	request_init(&req, NULL, &src);
	EXPECT(request_param(&req, "CONTENT_TYPE") == NULL);
	EXPECT(p.calls == 1);
	EXPECT(request_known(&req, REQ_CONTENT_TYPE) == NULL);
	EXPECT(p.calls == 2);	/* by its name */
	request_free(&req);
}

/* Every known name found in an envp of one entry; near misses are not. */
static void
request_known_finds_each_name_and_no_near_miss(void)
{
	static char *const names[] = {
		"CONTENT_LENGTH", "CONTENT_TYPE", "FCGI_ROLE",
		"HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_FORWARDED_FOR",
		"REMOTE_ADDR", "REQUEST_METHOD", "REQUEST_URI", "STREAMTOKEN_MODE",
		"STREAMTOKEN_URI",
	};
	static char *near[] = {
		"C", "CONTENT_", "CONTENT_=x", "CONTENT_LENGT=x", "CONTENT_TYPES=x",
		"F", "FCGI_ROL=x", "FCGI_ROLEX=x", "FCGI_ROLE", "H", "HTTP_",
		"HTTP_=x", "HTTP_COOKIE2=x", "HTTP_AUTH=x", "R", "REQUEST_",
		"REQUEST_UR=x", "REMOTE_ADD=x", "REMOTE_ADDRS=x", "RE=x",
		"HTTP_X_FORWARDED=x", "HTTP_X_FORWARDED_FOR_=x", "S", "STREAMTOKEN_=x",
		"STREAMTOKEN_URL=x", "SERVER_NAME=x", "",
	};
	char entry[64], *env[2] = {entry, NULL};
	struct params p = {env, 0};
	struct request_source src = {params_param, NULL, &p, params_envp};
	struct request req;
	int k, i, bad = 0;

	for (k = 0; k < REQUEST_KNOWN_PARAMS; k++) {
		snprintf(entry, sizeof(entry), "%s=v%d", names[k], k);
		request_init(&req, NULL, &src);
		for (i = 0; i < REQUEST_KNOWN_PARAMS; i++) {
			const char *v = request_known(&req,
			    (enum request_known_param)i);
			char want[8];

			snprintf(want, sizeof(want), "v%d", k);
			if (i == k ? v == NULL || strcmp(v, want) != 0 : v != NULL)
				bad++;
		}
		request_free(&req);
	}
	for (k = 0; k < (int)(sizeof(near) / sizeof(near[0])); k++) {
		env[0] = near[k];
		request_init(&req, NULL, &src);
		for (i = 0; i < REQUEST_KNOWN_PARAMS; i++)
			if (request_known(&req, (enum request_known_param)i) != NULL)
				bad++;
		request_free(&req);
	}
	EXPECT(bad == 0);
}

/* Each index names its parameter: asked without an envp, by that name. */
static const char *
echo_name(void *ctx, const char *name)
{
	(void)ctx;
	return name;
}

static void
request_known_indexes_name_their_parameters(void)
{
	static const char *const names[REQUEST_KNOWN_PARAMS] = {
		[REQ_CONTENT_LENGTH] = "CONTENT_LENGTH",
		[REQ_CONTENT_TYPE] = "CONTENT_TYPE",
		[REQ_FCGI_ROLE] = "FCGI_ROLE",
		[REQ_HTTP_AUTHORIZATION] = "HTTP_AUTHORIZATION",
		[REQ_HTTP_COOKIE] = "HTTP_COOKIE",
		[REQ_HTTP_X_FORWARDED_FOR] = "HTTP_X_FORWARDED_FOR",
		[REQ_REMOTE_ADDR] = "REMOTE_ADDR",
		[REQ_REQUEST_METHOD] = "REQUEST_METHOD",
		[REQ_REQUEST_URI] = "REQUEST_URI",
		[REQ_STREAMTOKEN_MODE] = "STREAMTOKEN_MODE",
		[REQ_STREAMTOKEN_URI] = "STREAMTOKEN_URI",
	};
	struct request_source src = {echo_name, NULL, NULL, NULL};
	struct request req;
	int k;

	request_init(&req, NULL, &src);
	for (k = 0; k < REQUEST_KNOWN_PARAMS; k++)
		EXPECT_STR(request_known(&req, (enum request_known_param)k),
		    names[k]);
	request_free(&req);
}

/* ---- buffers in caller storage ---- */

static void
buf_storage_moves_to_heap(void)
{
	char storage[8];
	struct buf b;

	buf_init_storage(&b, storage, sizeof(storage));
	EXPECT(b.data == storage && b.data[0] == '\0');
	buf_puts(&b, "1234567");	/* 7 bytes and the NUL fit */
	EXPECT(b.data == storage && !b.heap);
	buf_puts(&b, "89");
	EXPECT(b.data != storage && b.heap && !b.failed);
	EXPECT_STR(b.data, "123456789");
	buf_reset(&b);
	EXPECT(b.len == 0 && b.data[0] == '\0');
	buf_free(&b);
	EXPECT(b.data == NULL && b.len == 0 && !b.heap);
}


static void
respond_rpc_error_carries_param_data(void)
{
	struct param_error perr = {"t\"l", "must be an unsigned integer"};
	json_object *o, *data, *v, *id;
	struct buf b;

	buf_init(&b);
	id = json_object_new_string("x");
	respond_rpc_error(&b, ST_ERR_INVALID_PARAMS, id, &perr);
	json_object_put(id);
	o = json_tokener_parse(b.data);
	EXPECT(o != NULL);
	EXPECT(json_object_object_get_ex(o, "error", &v) &&
	    json_object_object_get_ex(v, "data", &data));
	EXPECT(json_object_object_get_ex(data, "param", &v) &&
	    strcmp(json_object_get_string(v), "t\"l") == 0);
	EXPECT(json_object_object_get_ex(data, "reason", &v) &&
	    strcmp(json_object_get_string(v), "must be an unsigned integer") == 0);
	EXPECT(json_object_object_get_ex(o, "id", &v) &&
	    strcmp(json_object_get_string(v), "x") == 0);
	json_object_put(o);
	buf_free(&b);
}

static void
respond_rpc_error_without_data_for_other_errors(void)
{
	struct param_error perr = {"ttl", "ignored"};
	json_object *o, *e, *v;
	struct buf b;

	buf_init(&b);
	respond_rpc_error(&b, ST_ERR_STREAM_NOT_FOUND, NULL, &perr);
	o = json_tokener_parse(b.data);
	EXPECT(o != NULL && json_object_object_get_ex(o, "error", &e));
	EXPECT(!json_object_object_get_ex(e, "data", NULL));
	EXPECT(json_object_object_get_ex(e, "code", &v) &&
	    json_object_get_int(v) == -32001);
	EXPECT(json_object_object_get_ex(e, "message", &v) &&
	    strcmp(json_object_get_string(v), "Stream not found") == 0);
	EXPECT(!json_object_object_get_ex(o, "result", NULL));
	json_object_put(o);
	buf_free(&b);
}

static void
respond_reason_phrases(void)
{
	EXPECT_STR(respond_reason_phrase(200), "OK");
	EXPECT_STR(respond_reason_phrase(204), "No Content");
	EXPECT_STR(respond_reason_phrase(400), "Bad Request");
	EXPECT_STR(respond_reason_phrase(401), "Unauthorized");
	EXPECT_STR(respond_reason_phrase(403), "Forbidden");
	EXPECT_STR(respond_reason_phrase(405), "Method Not Allowed");
	EXPECT_STR(respond_reason_phrase(413), "Content Too Large");
	EXPECT_STR(respond_reason_phrase(415), "Unsupported Media Type");
	EXPECT_STR(respond_reason_phrase(500), "Internal Server Error");
}

/* SPEC 2.1 and 2.3: the one table of HTTP statuses and JSON-RPC codes. */
static void
errors_table_matches_spec(void)
{
	EXPECT(st_err_info(ST_ERR_PARSE)->http_status == 400 &&
	    st_err_info(ST_ERR_PARSE)->rpc_code == -32700);
	EXPECT(st_err_info(ST_ERR_INVALID_REQUEST)->rpc_code == -32600);
	EXPECT(st_err_info(ST_ERR_METHOD_NOT_FOUND)->rpc_code == -32601);
	EXPECT(st_err_info(ST_ERR_INVALID_PARAMS)->rpc_code == -32602);
	EXPECT(st_err_info(ST_ERR_INTERNAL)->http_status == 500 &&
	    st_err_info(ST_ERR_INTERNAL)->rpc_code == -32603);
	EXPECT(st_err_info(ST_ERR_HTTP_METHOD)->http_status == 405);
	EXPECT(st_err_info(ST_ERR_MEDIA_TYPE)->http_status == 415);
	EXPECT(st_err_info(ST_ERR_BODY_TOO_LARGE)->http_status == 413);
	EXPECT(st_err_info(ST_ERR_NO_CREDENTIALS)->http_status == 401 &&
	    st_err_info(ST_ERR_NO_CREDENTIALS)->rpc_code == -32000);
	EXPECT(st_err_info(ST_ERR_BAD_CREDENTIALS)->rpc_code == -32000);
	EXPECT(st_err_info(ST_ERR_STREAM_NOT_FOUND)->rpc_code == -32001);
	EXPECT(st_err_info(ST_ERR_STREAM_NOT_PRIVATE)->rpc_code == -32002);
	EXPECT(st_err_info(ST_ERR_FORBIDDEN)->http_status == 403 &&
	    st_err_info(ST_ERR_FORBIDDEN)->rpc_code == -32003);
	/* Out of range maps to the internal error, never past the table. */
	EXPECT(st_err_info(ST_ERR__COUNT)->rpc_code == -32603);
}

int
main(void)
{
	RUN(respond_200_with_body_has_json_headers);
	RUN(respond_204_has_no_body_and_no_content_type);
	RUN(respond_extra_headers_precede_content_type);
	RUN(respond_error_bodies_are_no_store);
	RUN(respond_status_line_for_each_error);
	RUN(respond_401_challenges);
	RUN(respond_failed_buffer_sends_500);
	RUN(respond_write_reports_writer_failure);
	RUN(respond_big_response_bytes);
	RUN(request_params_from_envp);
	RUN(request_known_indexes_name_their_parameters);
	RUN(request_known_finds_each_name_and_no_near_miss);
	RUN(buf_storage_moves_to_heap);
	RUN(respond_rpc_error_carries_param_data);
	RUN(respond_rpc_error_without_data_for_other_errors);
	RUN(respond_reason_phrases);
	RUN(errors_table_matches_spec);
	return tap_done();
}
