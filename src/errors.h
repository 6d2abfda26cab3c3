/* errors: one enum for every failure, one table for its HTTP and JSON-RPC face. */
#ifndef ST_ERRORS_H
#define ST_ERRORS_H

enum st_err {
	ST_OK = 0,
	ST_ERR_PARSE,			/* body is not JSON */
	ST_ERR_INVALID_REQUEST,		/* JSON, but not a JSON-RPC request */
	ST_ERR_METHOD_NOT_FOUND,
	ST_ERR_INVALID_PARAMS,
	ST_ERR_INTERNAL,		/* our fault: cannot sign, no memory */
	ST_ERR_HTTP_METHOD,		/* not POST */
	ST_ERR_MEDIA_TYPE,		/* not application/json */
	ST_ERR_BODY_TOO_LARGE,
	ST_ERR_BODY_TRUNCATED,		/* shorter than CONTENT_LENGTH */
	ST_ERR_NO_CREDENTIALS,
	ST_ERR_BAD_CREDENTIALS,
	ST_ERR_STREAM_NOT_FOUND,
	ST_ERR_STREAM_NOT_PRIVATE,
	ST_ERR_FORBIDDEN,
	ST_ERR_NOT_CONFIGURED,		/* a method the configuration leaves off */
	ST_ERR_JWKS_METHOD,		/* not GET or HEAD on jwks_path */
	ST_ERR__COUNT
};

struct st_err_info {
	int http_status;
	int rpc_code;
	const char *message;	/* the JSON-RPC error.message */
};

const struct st_err_info *st_err_info(enum st_err err);

#endif
