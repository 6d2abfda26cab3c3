/* errors: the one table that maps a failure to its HTTP status and JSON-RPC error. */
#include "autoconfig.h"

#include "errors.h"

/* SPEC 2.1: the HTTP status of each failure of a single request. */
static const struct st_err_info err_table[ST_ERR__COUNT] = {
	[ST_OK] = {200, 0, "OK"},
	[ST_ERR_PARSE] = {400, -32700, "Parse error"},
	[ST_ERR_INVALID_REQUEST] = {400, -32600, "Invalid Request"},
	[ST_ERR_METHOD_NOT_FOUND] = {400, -32601, "Method not found"},
	[ST_ERR_INVALID_PARAMS] = {400, -32602, "Invalid params"},
	[ST_ERR_INTERNAL] = {500, -32603, "Internal error"},
	[ST_ERR_HTTP_METHOD] = {405, -32600, "Invalid Request: method must be POST"},
	[ST_ERR_MEDIA_TYPE] = {415, -32600, "Invalid Request: Content-Type must be application/json"},
	[ST_ERR_BODY_TOO_LARGE] = {413, -32600, "Invalid Request: body too large"},
	[ST_ERR_BODY_TRUNCATED] = {400, -32600, "Invalid Request: body shorter than Content-Length"},
	[ST_ERR_NO_CREDENTIALS] = {401, -32000, "Unauthorized: bearer token required"},
	[ST_ERR_BAD_CREDENTIALS] = {401, -32000, "Unauthorized: invalid bearer token"},
	[ST_ERR_STREAM_NOT_FOUND] = {400, -32001, "Stream not found"},
	[ST_ERR_STREAM_NOT_PRIVATE] = {400, -32002, "Stream is not private"},
	[ST_ERR_FORBIDDEN] = {403, -32003, "Forbidden"},
	[ST_ERR_NOT_CONFIGURED] = {501, -32004, "Not configured"},
	[ST_ERR_JWKS_METHOD] = {405, -32600, "Invalid Request: method must be GET or HEAD"},
};

const struct st_err_info *
st_err_info(enum st_err err)
{
	if ((unsigned)err >= ST_ERR__COUNT)
		err = ST_ERR_INTERNAL;
	return &err_table[err];
}
