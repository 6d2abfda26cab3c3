/* log: one line per request on stderr; never a token, secret or credential. */
#ifndef ST_LOG_H
#define ST_LOG_H

#include "request.h"

/* SPEC 6: time, client, method, stream, HTTP status, JSON-RPC code, microseconds. */
void log_request(const struct request *req, const char *method,
    const char *stream, int rpc_code);

/* A media request check: mode, stream, client (azp) and the reason in words. */
void log_check(const struct request *req, const char *mode, const char *stream,
    const char *client, const char *reason);

/*
 * Where the log lines go instead of stderr (NULL: stderr again). For the
 * in-process benchmark, whose figures are without I/O, and for tests.
 */
typedef void log_writer_fn(const char *line, size_t len);
void log_set_writer(log_writer_fn *fn);

/* A free-form line for start-up, reload and faults. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
