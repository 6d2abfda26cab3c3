/* jsonrpc: envelope rules of https://www.jsonrpc.org/specification, batch included. */
#include "autoconfig.h"

#include <math.h>
#include <string.h>

#include "jsonio.h"
#include "jsonrpc.h"
#include "log.h"
#include "methods.h"
#include "respond.h"

/* The outcome of one call, for the HTTP status of a single request. */
struct outcome {
	enum st_err err;
	bool responded;			/* false for a notification */
};

/* SPEC 2.2: an id is a string, a number or null (NULL: json-c's null). */
static bool
valid_id(struct json_object *id)
{
	return id == NULL || json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int) ||
	    (json_object_is_type(id, json_type_double) &&
	    isfinite(json_object_get_double(id)));
}

/* The members of a call (json-c kept the last of each name); has_id: "id" given. */
struct envelope {
	struct json_object *jsonrpc, *method, *params, *id;
	bool has_id;
};

/* Envelope checks; on success *method is the method name. */
static enum st_err
check_envelope(struct json_object *call, struct envelope *e,
    const char **method)
{
	const char *version;
	bool has_params;
	size_t len;

	if (!json_object_is_type(call, json_type_object))
		return ST_ERR_INVALID_REQUEST;
	json_object_object_get_ex(call, "jsonrpc", &e->jsonrpc);
	json_object_object_get_ex(call, "method", &e->method);
	has_params = json_object_object_get_ex(call, "params", &e->params);
	e->has_id = json_object_object_get_ex(call, "id", &e->id);
	if (!jsonio_plain_string(e->jsonrpc, &version, &len) || len != 3 ||
	    memcmp(version, "2.0", 3) != 0)
		return ST_ERR_INVALID_REQUEST;
	if (!json_object_is_type(e->method, json_type_string))
		return ST_ERR_INVALID_REQUEST;
	*method = json_object_get_string(e->method);
	/* "params": null is no structured value (json-c: NULL). */
	if (has_params &&
	    !json_object_is_type(e->params, json_type_object) &&
	    !json_object_is_type(e->params, json_type_array))
		return ST_ERR_INVALID_REQUEST;
	if (!valid_id(e->id))
		return ST_ERR_INVALID_REQUEST;
	return ST_OK;
}

/* single: the call is the whole request, so its outcome is the HTTP status. */
static struct outcome
handle_call(struct request *req, struct json_object *obj, struct buf *out,
    bool single)
{
	struct outcome oc = {ST_ERR_INVALID_REQUEST, true};
	struct envelope e;
	struct call call;
	const struct method *m = NULL;
	const char *method = NULL;
	size_t len;

	memset(&call, 0, sizeof(call));
	memset(&e, 0, sizeof(e));
	oc.err = check_envelope(obj, &e, &method);
	if (oc.err == ST_OK) {
		/* SPEC 2.2: a valid request without id is a notification. */
		oc.responded = e.has_id;
		/* A name holding \u0000 names no method. */
		if (jsonio_plain_string(e.method, &method, &len))
			m = methods_find(method);
		if (m == NULL)
			oc.err = ST_ERR_METHOD_NOT_FOUND;
		else if ((m->needs & NEEDS_CLIENT) && req->client == NULL)
			oc.err = ST_ERR_NO_CREDENTIALS;
	}
	if (oc.err == ST_OK) {
		call.req = req;
		call.params = e.params;
		oc.err = m->handler(&call);
	}
	if (oc.responded) {
		/* An id we refused is answered as null. */
		struct json_object *id = valid_id(e.id) ? e.id : NULL;

		if (oc.err == ST_OK)
			respond_rpc_result(out, id, call.result);
		else
			respond_rpc_error(out, oc.err, id, &call.perr);
	}
	if (single)
		req->status = oc.responded ? st_err_info(oc.err)->http_status : 204;
	log_request(req, method, call.stream, st_err_info(oc.err)->rpc_code);
	json_object_put(call.result);
	return oc;
}

static void
handle_batch(struct request *req, struct json_object *batch)
{
	size_t i, n = json_object_array_length(batch);
	bool any = false;

	/* SPEC 2.2: an empty or oversized batch is one error, not a batch. */
	if (n == 0 || n > req->cfg->max_batch) {
		req->status = 400;
		respond_rpc_error(&req->out, ST_ERR_INVALID_REQUEST, NULL, NULL);
		log_request(req, n == 0 ? "batch-empty" : "batch-too-large", NULL,
		    st_err_info(ST_ERR_INVALID_REQUEST)->rpc_code);
		return;
	}
	req->status = 200;
	/* The batch's answer is the array of its calls' answers, each written by json-c. */
	buf_puts(&req->out, "[");
	for (i = 0; i < n; i++) {
		size_t mark = req->out.len;
		struct outcome oc;

		if (any)
			buf_puts(&req->out, ",");
		oc = handle_call(req, json_object_array_get_idx(batch, i),
		    &req->out, false);
		if (!oc.responded) {
			req->out.len = mark;	/* drop the comma */
			continue;
		}
		any = true;
	}
	buf_puts(&req->out, "]");
	if (!any) {
		buf_reset(&req->out);
		req->status = 204;
	}
}

void
jsonrpc_handle(struct request *req)
{
	enum jsonio_status st;
	struct outcome oc;

	_Static_assert(JSONRPC_MAX_DEPTH <= JSONIO_MAX_DEPTH, "depth beyond jsonio's");
	st = jsonio_parse(req->body, req->body_len, JSONRPC_MAX_DEPTH, &req->json);
	if (st != JSONIO_OK) {
		enum st_err err = st == JSONIO_NO_MEMORY ? ST_ERR_INTERNAL : ST_ERR_PARSE;

		req->status = st_err_info(err)->http_status;
		respond_rpc_error(&req->out, err, NULL, NULL);
		log_request(req, NULL, NULL, st_err_info(err)->rpc_code);
		return;
	}
	if (json_object_is_type(req->json, json_type_array)) {
		handle_batch(req, req->json);
	} else {
		oc = handle_call(req, req->json, &req->out, true);
		if (!oc.responded)
			buf_reset(&req->out);
	}
}
