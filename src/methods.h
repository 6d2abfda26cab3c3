/* methods: the JSON-RPC method table; adding a method is one row and one function. */
#ifndef ST_METHODS_H
#define ST_METHODS_H

#include "buf.h"
#include "errors.h"
#include "jsonio.h"
#include "request.h"
#include "validate.h"

/* One JSON-RPC call, as a handler sees it. */
struct call {
	struct request *req;
	struct json_object *params;	/* object, array, or NULL when absent */
	struct json_object *result;	/* the handler's result; jsonrpc puts it */
	struct param_error perr;	/* filled when ST_ERR_INVALID_PARAMS */
	char stream[ST_NAME_MAX + 1];	/* for the log line, "" if unknown */
};

enum method_needs {
	NEEDS_NOTHING = 0,
	NEEDS_CLIENT = 1,		/* an authenticated API client */
};

struct method {
	const char *name;
	enum st_err (*handler)(struct call *call);
	unsigned needs;
};

const struct method *methods_find(const char *name);

/* Signs the token of a validated grant for client at time now (SPEC 3). */
bool methods_sign_grant(const struct config *cfg, const struct client *client,
    const struct grant *g, int64_t now, struct buf *out);

#endif
