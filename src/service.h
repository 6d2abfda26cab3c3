/* service: the issuing pipeline for one HTTP request, independent of FastCGI. */
#ifndef ST_SERVICE_H
#define ST_SERVICE_H

#include "request.h"

/*
 * Issuing: HTTP checks → bearer authentication → body → JSON-RPC dispatch.
 * Checking: a FastCGI Authorizer request or an nginx auth_request
 * sub-request gets 200, 401 or 403 (SPEC 7). A GET on [server] jwks_path
 * gets the public keys (jwks.c). Leaves status, headers and
 * body in req; never fails without an answer.
 */
void service_handle(struct request *req);

#endif
