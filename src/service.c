/* service: runs the stages of SPEC 2 in order and answers every failure. */
#include "autoconfig.h"

#include <string.h>

#include "auth.h"
#include "check.h"
#include "jsonrpc.h"
#include "log.h"
#include "respond.h"
#include "service.h"

static void
fail_http(struct request *req, enum st_err err)
{
	respond_http_error(req, err);
	log_request(req, request_param(req, "REQUEST_METHOD"), NULL,
	    st_err_info(err)->rpc_code);
}

static void
issue(struct request *req)
{
	enum st_err err;

	err = request_check_http(req);
	if (err != ST_OK)
		goto fail;
	err = auth_bearer(req->cfg, request_param(req, "HTTP_AUTHORIZATION"),
	    &req->client);
	if (err != ST_OK)
		goto fail;
	err = request_read_body(req);
	if (err != ST_OK)
		goto fail;
	jsonrpc_handle(req);
	return;
fail:
	fail_http(req, err);
}

void
service_handle(struct request *req)
{
	const char *role = request_param(req, "FCGI_ROLE");

	/* SPEC 7: the FastCGI role, or a param only the web server can set. */
	if (role != NULL && strcmp(role, "AUTHORIZER") == 0)
		check_authorizer(req);
	else if (check_is_subrequest(req))
		check_subrequest(req);
	else
		issue(req);
}
