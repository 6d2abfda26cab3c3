/* jsonrpc: envelope rules of https://www.jsonrpc.org/specification, batch included. */
#include "autoconfig.h"

#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"
#include "jsonrpc.h"
#include "log.h"
#include "methods.h"
#include "respond.h"

/* The outcome of one call, for the HTTP status of a single request. */
struct outcome {
	enum st_err err;
	bool responded;			/* false for a notification */
};

/* SPEC 2.2: an id is a string, a number or null. */
static bool
valid_id(json_object *id)
{
	return id == NULL || json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int) ||
	    (json_object_is_type(id, json_type_double) &&
	    isfinite(json_object_get_double(id)));
}

static const char *
id_json(json_object *id)
{
	if (id == NULL || !valid_id(id))
		return "null";
	return json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
}

/* Envelope checks; on success *method is the method name. */
static enum st_err
check_envelope(json_object *call, const char **method, json_object **params)
{
	json_object *v;

	if (!json_object_is_type(call, json_type_object))
		return ST_ERR_INVALID_REQUEST;
	if (!json_object_object_get_ex(call, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0 ||
	    json_object_get_string_len(v) != 3)
		return ST_ERR_INVALID_REQUEST;
	if (!json_object_object_get_ex(call, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return ST_ERR_INVALID_REQUEST;
	*method = json_object_get_string(v);
	if (json_object_object_get_ex(call, "params", &v) &&
	    !json_object_is_type(v, json_type_object) &&
	    !json_object_is_type(v, json_type_array))
		return ST_ERR_INVALID_REQUEST;
	*params = v;
	if (json_object_object_get_ex(call, "id", &v) && !valid_id(v))
		return ST_ERR_INVALID_REQUEST;
	return ST_OK;
}

/* single: the call is the whole request, so its outcome is the HTTP status. */
static struct outcome
handle_call(struct request *req, json_object *obj, struct buf *out, bool single)
{
	struct outcome oc = {ST_OK, true};
	struct call call;
	struct buf result;
	json_object *id = NULL, *params = NULL;
	const struct method *m = NULL;
	const char *method = NULL;
	bool has_id = false;

	memset(&call, 0, sizeof(call));
	buf_init(&result);
	if (json_object_is_type(obj, json_type_object))
		has_id = json_object_object_get_ex(obj, "id", &id);
	oc.err = check_envelope(obj, &method, &params);
	if (oc.err == ST_OK) {
		/* SPEC 2.2: a valid request without id is a notification. */
		oc.responded = has_id;
		m = methods_find(method);
		if (m == NULL)
			oc.err = ST_ERR_METHOD_NOT_FOUND;
		else if ((m->needs & NEEDS_CLIENT) && req->client == NULL)
			oc.err = ST_ERR_NO_CREDENTIALS;
	}
	if (oc.err == ST_OK) {
		call.req = req;
		call.params = params;
		call.result = &result;
		oc.err = m->handler(&call);
	}
	if (oc.responded) {
		const char *idj = id_json(id);

		/* json-c returns NULL when it cannot allocate: a 500 for the lot. */
		if (idj == NULL || result.failed)
			out->failed = true;
		else if (oc.err == ST_OK)
			respond_rpc_result(out, idj, result.data, result.len);
		else
			respond_rpc_error(out, oc.err, idj, &call.perr);
	}
	if (single)
		req->status = oc.responded ? st_err_info(oc.err)->http_status : 204;
	log_request(req, method, call.stream, st_err_info(oc.err)->rpc_code);
	buf_free(&result);
	return oc;
}

static void
handle_batch(struct request *req, json_object *batch)
{
	size_t i, n = json_object_array_length(batch);
	bool any = false;

	/* SPEC 2.2: an empty or oversized batch is one error, not a batch. */
	if (n == 0 || n > req->cfg->max_batch) {
		req->status = 400;
		respond_rpc_error(&req->out, ST_ERR_INVALID_REQUEST, "null", NULL);
		log_request(req, n == 0 ? "batch-empty" : "batch-too-large", NULL,
		    st_err_info(ST_ERR_INVALID_REQUEST)->rpc_code);
		return;
	}
	req->status = 200;
	buf_puts(&req->out, "[");
	for (i = 0; i < n; i++) {
		size_t mark = req->out.len;
		struct outcome oc;

		if (any)
			buf_puts(&req->out, ",");
		oc = handle_call(req, json_object_array_get_idx(batch, i), &req->out,
		    false);
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
	json_object *root = NULL;
	enum json_error why;
	struct outcome oc;

	if (!json_parse(req->body, req->body_len, JSONRPC_MAX_DEPTH, &root, &why)) {
		enum st_err err = why == JSON_NO_MEMORY ? ST_ERR_INTERNAL : ST_ERR_PARSE;

		req->status = st_err_info(err)->http_status;
		respond_rpc_error(&req->out, err, "null", NULL);
		log_request(req, NULL, NULL, st_err_info(err)->rpc_code);
		return;
	}
	if (json_object_is_type(root, json_type_array)) {
		handle_batch(req, root);
	} else {
		oc = handle_call(req, root, &req->out, true);
		if (!oc.responded)
			buf_reset(&req->out);
	}
	json_object_put(root);
}
