/* jsonrpc: the JSON-RPC 2.0 envelope, single calls and batches. */
#ifndef ST_JSONRPC_H
#define ST_JSONRPC_H

#include "request.h"

#define JSONRPC_MAX_DEPTH 32	/* deeper JSON is a parse error, not a stack risk */

/* Parses req->body, dispatches each call, writes status and body into req. */
void jsonrpc_handle(struct request *req);

#endif
