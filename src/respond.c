/* respond: builds JSON-RPC responses and writes them as a CGI response. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "respond.h"

void
respond_rpc_result(struct buf *out, const char *id_json, size_t id_len,
    const char *result, size_t result_len)
{
	buf_puts(out, "{\"jsonrpc\":\"2.0\",\"result\":");
	buf_append(out, result, result_len);
	buf_puts(out, ",\"id\":");
	buf_append(out, id_json, id_len);
	buf_puts(out, "}");
}

void
respond_rpc_error(struct buf *out, enum st_err err, const char *id_json,
    size_t id_len, const struct param_error *perr)
{
	const struct st_err_info *info = st_err_info(err);

	buf_printf(out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":",
	    info->rpc_code);
	buf_append_json_string(out, info->message, strlen(info->message));
	if (err == ST_ERR_INVALID_PARAMS && perr != NULL && perr->reason != NULL) {
		buf_puts(out, ",\"data\":{\"param\":");
		buf_append_json_string(out, perr->param, strlen(perr->param));
		buf_puts(out, ",\"reason\":");
		buf_append_json_string(out, perr->reason, strlen(perr->reason));
		buf_puts(out, "}");
	}
	buf_puts(out, "},\"id\":");
	buf_append(out, id_json, id_len);
	buf_puts(out, "}");
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
	respond_rpc_error(&req->out, err, "null", 4, NULL);
}

const char *
respond_reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
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

bool
respond_write(const struct request *req, respond_writer write, void *ctx)
{
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
	char head[128];
	int n;

	/* A response we could not build completely is never sent in part. */
	if (req->out.failed || req->headers.failed)
		return write(ctx, server_error, sizeof(server_error) - 1);
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n", req->status,
	    respond_reason_phrase(req->status));
	if (!write(ctx, head, (size_t)n))
		return false;
	if (req->headers.len > 0 &&
	    !write(ctx, req->headers.data, req->headers.len))
		return false;
	if (req->out.len == 0)
		return write(ctx, "\r\n", 2);
	if (!write(ctx, json_headers, sizeof(json_headers) - 1))
		return false;
	return write(ctx, req->out.data, req->out.len);
}
