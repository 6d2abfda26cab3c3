/* jsonrpc: envelope rules of https://www.jsonrpc.org/specification, batch included. */
#include "autoconfig.h"

#include <math.h>
#include <string.h>

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
valid_id(const struct json_value *id)
{
	return id == NULL || id->type == JSON_STRING || id->type == JSON_INT ||
	    id->type == JSON_NULL ||
	    (id->type == JSON_DOUBLE && isfinite(id->u.d));
}

/* The id as the client wrote it: the parser checked it is JSON. */
static void
id_json(const struct json_value *id, const char **text, size_t *len)
{
	if (id == NULL || !valid_id(id)) {
		*text = "null";
		*len = 4;
		return;
	}
	*text = id->text;
	*len = id->text_len;
}

/* The members of a call, the last of each name winning. */
struct envelope {
	const struct json_value *jsonrpc, *method, *params, *id;
};

static void
read_envelope(const struct json_value *call, struct envelope *e)
{
	const struct json_value *v;

	memset(e, 0, sizeof(*e));
	for (v = call->u.first; v != NULL; v = v->next) {
		if (JSON_KEY_IS(v, "jsonrpc"))
			e->jsonrpc = v;
		else if (JSON_KEY_IS(v, "method"))
			e->method = v;
		else if (JSON_KEY_IS(v, "params"))
			e->params = v;
		else if (JSON_KEY_IS(v, "id"))
			e->id = v;
	}
}

/* Envelope checks; on success *method is the method name. */
static enum st_err
check_envelope(const struct envelope *e, const char **method)
{
	if (e->jsonrpc == NULL || e->jsonrpc->type != JSON_STRING ||
	    e->jsonrpc->len != 3 || memcmp(e->jsonrpc->u.s, "2.0", 3) != 0)
		return ST_ERR_INVALID_REQUEST;
	if (e->method == NULL || e->method->type != JSON_STRING)
		return ST_ERR_INVALID_REQUEST;
	*method = e->method->u.s;
	if (e->params != NULL && e->params->type != JSON_OBJECT &&
	    e->params->type != JSON_ARRAY)
		return ST_ERR_INVALID_REQUEST;
	if (!valid_id(e->id))
		return ST_ERR_INVALID_REQUEST;
	return ST_OK;
}

/* single: the call is the whole request, so its outcome is the HTTP status. */
static struct outcome
handle_call(struct request *req, const struct json_value *obj, struct buf *out,
    bool single)
{
	struct outcome oc = {ST_ERR_INVALID_REQUEST, true};
	struct envelope e;
	struct call call;
	struct buf result;
	char result_space[1024];	/* a token result fits */
	const struct method *m = NULL;
	const char *method = NULL;

	memset(&call, 0, sizeof(call));
	memset(&e, 0, sizeof(e));
	buf_init_storage(&result, result_space, sizeof(result_space));
	if (obj->type == JSON_OBJECT) {
		read_envelope(obj, &e);
		oc.err = check_envelope(&e, &method);
	}
	if (oc.err == ST_OK) {
		/* SPEC 2.2: a valid request without id is a notification. */
		oc.responded = e.id != NULL;
		m = methods_find(method);
		if (m == NULL)
			oc.err = ST_ERR_METHOD_NOT_FOUND;
		else if ((m->needs & NEEDS_CLIENT) && req->client == NULL)
			oc.err = ST_ERR_NO_CREDENTIALS;
	}
	if (oc.err == ST_OK) {
		call.req = req;
		call.params = e.params;
		call.result = &result;
		oc.err = m->handler(&call);
	}
	if (oc.responded) {
		const char *idj;
		size_t idj_len;

		id_json(e.id, &idj, &idj_len);
		if (result.failed)
			out->failed = true;
		else if (oc.err == ST_OK)
			respond_rpc_result(out, idj, idj_len, result.data, result.len);
		else
			respond_rpc_error(out, oc.err, idj, idj_len, &call.perr);
	}
	if (single)
		req->status = oc.responded ? st_err_info(oc.err)->http_status : 204;
	log_request(req, method, call.stream, st_err_info(oc.err)->rpc_code);
	buf_free(&result);
	return oc;
}

static void
handle_batch(struct request *req, const struct json_value *batch)
{
	const struct json_value *v;
	size_t n = batch->len;
	bool any = false;

	/* SPEC 2.2: an empty or oversized batch is one error, not a batch. */
	if (n == 0 || n > req->cfg->max_batch) {
		req->status = 400;
		respond_rpc_error(&req->out, ST_ERR_INVALID_REQUEST, "null", 4, NULL);
		log_request(req, n == 0 ? "batch-empty" : "batch-too-large", NULL,
		    st_err_info(ST_ERR_INVALID_REQUEST)->rpc_code);
		return;
	}
	req->status = 200;
	buf_puts(&req->out, "[");
	for (v = batch->u.first; v != NULL; v = v->next) {
		size_t mark = req->out.len;
		struct outcome oc;

		if (any)
			buf_puts(&req->out, ",");
		oc = handle_call(req, v, &req->out, false);
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
	struct json_doc doc;
	enum json_error why;
	struct outcome oc;

	if (!json_parse(&doc, req->body, req->body_len, JSONRPC_MAX_DEPTH, &why)) {
		enum st_err err = why == JSON_NO_MEMORY ? ST_ERR_INTERNAL : ST_ERR_PARSE;

		req->status = st_err_info(err)->http_status;
		respond_rpc_error(&req->out, err, "null", 4, NULL);
		log_request(req, NULL, NULL, st_err_info(err)->rpc_code);
		json_doc_free(&doc);
		return;
	}
	if (doc.root->type == JSON_ARRAY) {
		handle_batch(req, doc.root);
	} else {
		oc = handle_call(req, doc.root, &req->out, true);
		if (!oc.responded)
			buf_reset(&req->out);
	}
	json_doc_free(&doc);
}
