/* service: runs the stages of SPEC 2 in order and answers every failure. */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "check.h"
#include "jsonrpc.h"
#include "jwks.h"
#include "log.h"
#include "respond.h"
#include "service.h"

#define AUTH_FAIL_LOGS_PER_SECOND 10

/*
 * Someone guessing bearer tokens must not flood the error log: failed
 * authentications are logged at a bounded rate, the rest counted.
 */
static bool
auth_failure_may_log(int64_t now)
{
	static int64_t second;
	static unsigned logged, suppressed;

	if (now != second) {
		if (suppressed > 0)
			log_msg("%u more failed bearer authentications not logged",
			    suppressed);
		second = now;
		logged = suppressed = 0;
	}
	if (logged < AUTH_FAIL_LOGS_PER_SECOND) {
		logged++;
		return true;
	}
	suppressed++;
	return false;
}

static void
fail_http(struct request *req, enum st_err err)
{
	respond_http_error(req, err);
	if ((err == ST_ERR_NO_CREDENTIALS || err == ST_ERR_BAD_CREDENTIALS) &&
	    !auth_failure_may_log(req->now))
		return;
	log_request(req, request_known(req, REQ_REQUEST_METHOD), NULL,
	    st_err_info(err)->rpc_code);
}

static void
issue(struct request *req)
{
	enum st_err err;

	err = request_check_http(req);
	if (err != ST_OK)
		goto fail;
	err = auth_bearer(req->cfg, request_known(req, REQ_HTTP_AUTHORIZATION),
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
	const char *role = request_known(req, REQ_FCGI_ROLE);

	/* SPEC 7: the FastCGI role, or a param only the web server can set. */
	if (role != NULL && strcmp(role, "AUTHORIZER") == 0)
		check_authorizer(req);
	else if (check_is_subrequest(req))
		check_subrequest(req);
	else if (jwks_is_request(req))
		jwks_respond(req);
	else
		issue(req);
}
