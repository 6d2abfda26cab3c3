/* respond: builds JSON-RPC responses and writes them as a CGI response. */
#include "autoconfig.h"

#include <string.h>

#include "respond.h"

/*
 * SPEC 2.2: {"jsonrpc":"2.0", "result" or "error": ..., "id": ...}. Each
 * envelope is built once and kept for the process; an answer puts its
 * value and id in (members that exist are replaced in place, with no
 * allocation), is written, and takes them out again, so nothing of a
 * request outlives it.
 */
static struct json_object *
envelope(bool error)
{
	static struct json_object *kept[2];
	const char *key = error ? "error" : "result";
	struct json_object *o;

	if (kept[error] != NULL)
		return kept[error];
	o = json_object_new_object();
	if (o == NULL ||
	    !jsonio_add(o, "jsonrpc", json_object_new_string_len("2.0", 3)) ||
	    !jsonio_add_null(o, key) || !jsonio_add_null(o, "id")) {
		json_object_put(o);
		return NULL;
	}
	kept[error] = o;
	return o;
}

/* Writes the answer holding val, which passes to it; id is borrowed. */
static void
write_answer(struct buf *out, bool error, struct json_object *val,
    struct json_object *id)
{
	const char *key = error ? "error" : "result";
	struct json_object *o = envelope(error);

	if (o == NULL) {
		json_object_put(val);
		out->failed = true;
		return;
	}
	json_object_object_add(o, key, val);
	json_object_object_add(o, "id", json_object_get(id));
	if (!jsonio_write(out, o))
		out->failed = true;
	json_object_object_add(o, key, NULL);
	json_object_object_add(o, "id", NULL);
}

void
respond_rpc_result(struct buf *out, struct json_object *id,
    struct json_object *result)
{
	write_answer(out, false, json_object_get(result), id);
}

/* error.data: which param, and why (SPEC 2.3). */
static struct json_object *
param_error_data(const struct param_error *perr)
{
	struct json_object *d = json_object_new_object();

	if (d != NULL && (!jsonio_add(d, "param",
	    json_object_new_string(perr->param)) ||
	    !jsonio_add(d, "reason", json_object_new_string(perr->reason)))) {
		json_object_put(d);
		d = NULL;
	}
	return d;
}

void
respond_rpc_error(struct buf *out, enum st_err err, struct json_object *id,
    const struct param_error *perr)
{
	const struct st_err_info *info = st_err_info(err);
	struct json_object *e = json_object_new_object();
	bool ok;

	ok = e != NULL &&
	    jsonio_add(e, "code", json_object_new_int(info->rpc_code)) &&
	    jsonio_add(e, "message", json_object_new_string(info->message));
	if (ok && err == ST_ERR_INVALID_PARAMS && perr != NULL &&
	    perr->reason != NULL)
		ok = jsonio_add(e, "data", param_error_data(perr));
	if (!ok) {
		json_object_put(e);
		out->failed = true;
		return;
	}
	write_answer(out, true, e, id);
}

void
respond_http_error(struct request *req, enum st_err err)
{
	req->status = st_err_info(err)->http_status;
	/* RFC 6750 §3: a challenge on every 401. */
	if (err == ST_ERR_NO_CREDENTIALS)
		buf_puts(&req->headers,
		    "WWW-Authenticate: Bearer realm=\"streamtoken\"\r\n");
	else if (err == ST_ERR_BAD_CREDENTIALS)
		buf_puts(&req->headers, "WWW-Authenticate: Bearer "
		    "realm=\"streamtoken\", error=\"invalid_token\"\r\n");
	buf_reset(&req->out);
	respond_rpc_error(&req->out, err, NULL, NULL);
}

const char *
respond_reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	}
	return "Unknown";
}

/* "Status: 200 OK\r\n", built in storage that holds the longest. */
static void
status_line(struct buf *b, char *storage, size_t cap, int status)
{
	buf_init_storage(b, storage, cap);
	buf_puts(b, "Status: ");
	buf_append_i64(b, status);
	buf_puts(b, " ");
	buf_puts(b, respond_reason_phrase(status));
	buf_puts(b, "\r\n");
}

struct piece {
	const char *data;
	size_t len;
};

bool
respond_write(const struct request *req, respond_writer write, void *ctx)
{
	/* A constant: it answers when memory ran out, json-c could not build it then. */
	static const char server_error[] =
	    "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n"
	    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,"
	    "\"message\":\"Internal error\"},\"id\":null}";
	/* SPEC 2.1: a token must never be cached. */
	static const char json_headers[] =
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n";
	char head_mem[64], msg[4096];
	struct buf head;
	struct piece p[4];
	size_t i, total = 0;

	/* A response we could not build completely is never sent in part. */
	if (req->out.failed || req->headers.failed)
		return write(ctx, server_error, sizeof(server_error) - 1);
	status_line(&head, head_mem, sizeof(head_mem), req->status);
	p[0] = (struct piece){head.data, head.len};
	p[1] = (struct piece){req->headers.data, req->headers.len};
	if (req->out.len == 0 || req->content_headers_set)
		p[2] = (struct piece){"\r\n", 2};
	else
		p[2] = (struct piece){json_headers, sizeof(json_headers) - 1};
	p[3] = (struct piece){req->out.data, req->out.len};
	for (i = 0; i < 4; i++)
		total += p[i].len;
	/* The common response in one writer call (FastCGI or stdio), not four. */
	if (total <= sizeof(msg)) {
		for (total = 0, i = 0; i < 4; i++) {
			if (p[i].len > 0)
				memcpy(msg + total, p[i].data, p[i].len);
			total += p[i].len;
		}
		return write(ctx, msg, total);
	}
	for (i = 0; i < 4; i++)
		if (p[i].len > 0 && !write(ctx, p[i].data, p[i].len))
			return false;
	return true;
}
