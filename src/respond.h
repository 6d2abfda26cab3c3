/* respond: JSON-RPC response objects and the CGI response bytes. */
#ifndef ST_RESPOND_H
#define ST_RESPOND_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "errors.h"
#include "request.h"
#include "jsonio.h"
#include "validate.h"

/*
 * Append one JSON-RPC answer, written by json-c, to out (out->failed when it
 * could not be built). id is the request's (NULL: null); neither it nor
 * result changes owner.
 */
void respond_rpc_result(struct buf *out, struct json_object *id,
    struct json_object *result);
void respond_rpc_error(struct buf *out, enum st_err err, struct json_object *id,
    const struct param_error *perr);

/* An error outside JSON-RPC dispatch: status, headers and a body with id null. */
void respond_http_error(struct request *req, enum st_err err);

typedef bool (*respond_writer)(void *ctx, const char *data, size_t len);

/* Writes "Status:", headers, a blank line and the body. */
bool respond_write(const struct request *req, respond_writer write, void *ctx);

const char *respond_reason_phrase(int status);

#endif
