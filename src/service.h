/* service: the issuing pipeline for one HTTP request, independent of FastCGI. */
#ifndef ST_SERVICE_H
#define ST_SERVICE_H

#include "request.h"

/*
 * HTTP checks → bearer authentication → body → JSON-RPC dispatch.
 * Leaves status, headers and body in req; never fails without an answer.
 */
void service_handle(struct request *req);

#endif
