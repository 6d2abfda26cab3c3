/*
 * hello: the smallest useful libfcgi program, the baseline of scripts/bench.
 *
 * As a responder it reads the whole body and answers a fixed ~200-byte
 * JSON-RPC result, with the headers streamtoken sends; as an authorizer
 * (FCGI_ROLE=AUTHORIZER) it answers "Status: 200" and nothing else. What
 * it costs is the cost of the path itself: web server, FastCGI, one process.
 *
 * Started as "hello-log" (a link to it), it also writes the log line
 * streamtoken owes each request by contract (SPEC 6), one write(2) on
 * stderr. The gap between the two hellos is what that costs.
 *
 * Started as "hello-detach", it reads stdin to its end in both roles and
 * then calls FCGX_Detach before FCGX_Finish_r: the connection closes
 * without libfcgi's shutdown-and-wait for the web server to close first,
 * as streamtoken closes it when stdin was read to its end. An authorizer's
 * stdin end is waited for here: lighttpd, which the benchmark runs, sends it.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"result\":\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJoZWxsbyIsImlhdCI6MTcwMDAwMDAwMCwibGl2ZSI6dHJ1ZX0."
    "aGVsbG8taGVsbG8taGVsbG8taGVsbG8taGVsbG8taGVsbG8\",\"id\":1}";

static const char allow[] = "Status: 200 OK\r\n\r\n";

/* A log line of streamtoken's length. */
static void
like_streamtoken(void)
{
	static const char line[] = "2026-01-01T00:00:00Z streamtoken[1]: "
	    "client=backend method=Auth.CreateAccessToken stream=camera-1 "
	    "status=200 code=0 us=9\n";

	if (write(2, line, sizeof(line) - 1) < 0)
		return;
}

int
main(int argc, char **argv)
{
	FCGX_Request req;
	char buf[4096];
	const char *role, *name = argc > 0 ? strrchr(argv[0], '/') : NULL;
	bool log_too = name != NULL && strcmp(name, "/hello-log") == 0;
	bool detach = name != NULL && strcmp(name, "/hello-detach") == 0;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		role = FCGX_GetParam("FCGI_ROLE", req.envp);
		if (role != NULL && strcmp(role, "AUTHORIZER") == 0) {
			FCGX_PutStr(allow, (int)sizeof(allow) - 1, req.out);
		} else {
			while (FCGX_GetStr(buf, (int)sizeof(buf), req.in) > 0)
				continue;
			FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
		}
		if (log_too)
			like_streamtoken();
		if (detach) {
			while (FCGX_GetStr(buf, (int)sizeof(buf), req.in) > 0)
				continue;
			if (FCGX_GetError(req.in) == 0)
				FCGX_Detach(&req);
		}
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}
