/*
 * fuzz_fcgi: the FastCGI layer on any byte stream from the "web server"
 * (libFuzzer). The input is written to one end of a socketpair and that
 * end shut; src/fcgi.c serves the other end until the connection ends:
 * a few parameters looked up, the body read (every other request: the
 * rest is left to fcgi_finish, as for a request refused early), an
 * answer sent.
 */
#include "fuzz_common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>

#include "fcgi.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop_line(const char *line, size_t len)
{
	(void)line;
	(void)len;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	log_set_writer(drop_line);
	return 0;
}

/* Every parameter is "NAME=value" and FCGI_ROLE, from the begin record, comes first. */
static void
check_params(const struct fcgi *f)
{
	char **e = fcgi_envp(f);
	const char *role = fcgi_param(f, "FCGI_ROLE");

	if (e == NULL || e[0] == NULL || strncmp(e[0], "FCGI_ROLE=", 10) != 0 ||
	    role == NULL || (strcmp(role, "RESPONDER") != 0 &&
	    strcmp(role, "AUTHORIZER") != 0))
		abort();
	for (; *e != NULL; e++)
		if (strchr(*e, '=') == NULL)
			abort();
	(void)fcgi_param(f, "CONTENT_LENGTH");
	(void)fcgi_param(f, "HTTP_AUTHORIZATION");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char answer[] = "Status: 200 OK\r\n\r\nok";
	char body[4096];
	struct fcgi *f;
	int sv[2], n, requests = 0;

	if (size > 150000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	/* Room for the whole input; answers that do not fit end the run (EAGAIN). */
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){1 << 20}, sizeof(int));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	f = fcgi_new(-1);
	if (f == NULL)
		abort();
	fcgi_adopt(f, sv[0]);
	while (fcgi_next(f) == 1) {
		check_params(f);
		while (requests % 2 == 0 &&
		    (n = fcgi_read(f, body, (int)sizeof(body))) > 0)
			if (n > (int)sizeof(body))
				abort();
		fcgi_write(f, answer, sizeof(answer) - 1);
		fcgi_finish(f);
		if (++requests > 100000)
			abort();	/* more requests than bytes: a loop */
	}
	fcgi_free(f);
	close(sv[1]);
	return 0;
}
