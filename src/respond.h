/* respond: JSON-RPC response objects and the CGI response bytes. */
#ifndef ST_RESPOND_H
#define ST_RESPOND_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "errors.h"
#include "request.h"
#include "validate.h"

/* id_json: the request's id serialised, or "null". */
void respond_rpc_result(struct buf *out, const char *id_json, size_t id_len,
    const char *result, size_t result_len);
void respond_rpc_error(struct buf *out, enum st_err err, const char *id_json,
    size_t id_len, const struct param_error *perr);

/* An error outside JSON-RPC dispatch: status, headers and a body with id null. */
void respond_http_error(struct request *req, enum st_err err);

typedef bool (*respond_writer)(void *ctx, const char *data, size_t len);

/* Writes "Status:", headers, a blank line and the body. */
bool respond_write(const struct request *req, respond_writer write, void *ctx);

const char *respond_reason_phrase(int status);

#endif
