/*
 * fuzz_fcgi: the request path from raw FastCGI bytes, through libfcgi
 * (libFuzzer). The input is what a "web server" writes on a connection to
 * a unix listener in a temp dir; that end is then closed. FCGX_Accept_r
 * takes the connection and serve_request answers every request libfcgi
 * reads from it (the whole pipeline, with the fuzz configuration), until
 * FCGX_Accept_r fails: the listener is non-blocking and has no other.
 *
 * Known libfcgi bugs, left out: inputs that reach them are skipped
 * (libfcgi_known_bug). Its FCGI_GET_VALUES answer is built in a 64-byte
 * stack buffer with room for each of the three names once, and a record
 * that asks for them more often overflows it (2.4.2 and upstream alike);
 * 2.4.2 leaks 48 bytes for each other management record (type not
 * FCGI_GET_VALUES, request id 0), fixed upstream since; and Debian's
 * 2.4.2-2+deb12u1 still adds a parameter's two lengths in an int: past
 * INT_MAX, Malloc's assertion aborts the process.
 */
#include "fuzz_common.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fcgiapp.h>

#include "serve.h"

/*
 * The input is written before anything reads it, into the connection's
 * buffer: it must fit there (SO_SNDBUF below), or the write would block.
 */
#define FCGI_INPUT_MAX 150000

static int listener = -1;
static struct sockaddr_un addr;

/* The bytes libfcgi's FCGI_GET_VALUES answer would take for content. */
static size_t
get_values_answer_len(const uint8_t *content, size_t len)
{
	static const char *const names[] = {
		"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS",
	};
	const uint8_t *p, *hit;
	size_t i, total = 0, n;

	/* Every occurrence counts, in a value too: more skipped, never fewer. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		for (p = content; (hit = memmem(p, len - (size_t)(p - content),
		    names[i], n)) != NULL; p = hit + n)
			total += n + 3;
	}
	return total;
}

/* One length of a name-value pair: one byte, or four with the top bit set. */
static bool
pair_length(const uint8_t *s, size_t len, size_t *off, size_t *n)
{
	if (*off >= len)
		return false;
	if (s[*off] < 0x80) {
		*n = s[(*off)++];
		return true;
	}
	if (len - *off < 4)
		return false;
	*n = (size_t)(s[*off] & 0x7f) << 24 | (size_t)s[*off + 1] << 16 |
	    (size_t)s[*off + 2] << 8 | s[*off + 3];
	*off += 4;
	return true;
}

/* True when a pair's lengths add up past INT_MAX, as libfcgi adds them. */
static bool
pair_lengths_overflow(const uint8_t *s, size_t len)
{
	size_t off = 0, name, value;

	while (pair_length(s, len, &off, &name) &&
	    pair_length(s, len, &off, &value)) {
		if (name + value + 2 > 0x7fffffff)
			return true;
		if (name + value > len - off)
			return false;
		off += name + value;
	}
	return false;
}

/*
 * True when data meets one of the libfcgi bugs above. Records are walked
 * as libfcgi reads them, while they look like records; the contents of
 * the FCGI_PARAMS records are joined (pairs may span records), each
 * FCGI_GET_VALUES record is read alone.
 */
static bool
libfcgi_known_bug(const uint8_t *data, size_t size)
{
	const uint8_t *h;
	size_t off = 0, clen;
	uint8_t *params = malloc(size + 1);
	size_t params_len = 0;
	bool bug = false;

	if (params == NULL)
		abort();
	while (!bug && size - off >= 8 && data[off] == 1) {
		h = data + off;
		clen = (size_t)h[4] << 8 | h[5];
		if (clen > size - off - 8)
			clen = size - off - 8;
		/* Type 4 is FCGI_PARAMS, 9 FCGI_GET_VALUES, 1 FCGI_BEGIN_REQUEST. */
		if (h[1] == 4) {
			memcpy(params + params_len, h + 8, clen);
			params_len += clen;
		} else if (h[2] == 0 && h[3] == 0 && h[1] != 1) {
			bug = h[1] != 9 || get_values_answer_len(h + 8, clen) > 64 - 8 ||
			    pair_lengths_overflow(h + 8, clen);
		}
		if (8 + clen + h[6] > size - off)
			break;
		off += 8 + clen + h[6];
	}
	bug = bug || pair_lengths_overflow(params, params_len);
	free(params);
	return bug;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_silence_stderr(argc, argv);
	fz_setup("fcgi");
	/* Answers to a "web server" that has closed: EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		abort();
	addr.sun_family = AF_UNIX;
	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/fcgi.sock",
	    fz_dir) >= (int)sizeof(addr.sun_path))
		fz_die("socket path");
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(listener, 4) != 0)
		fz_die("listen");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FCGX_Request req;
	int c, requests = 0;

	if (size > FCGI_INPUT_MAX || libfcgi_known_bug(data, size))
		return 0;
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		fz_die("socket");
	(void)setsockopt(c, SOL_SOCKET, SO_SNDBUF, &(int){1 << 20}, sizeof(int));
	if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		fz_die("connect");
	if (size > 0 && write(c, data, size) != (ssize_t)size)
		abort();
	close(c);
	if (FCGX_InitRequest(&req, listener, 0) != 0)
		abort();
	while (FCGX_Accept_r(&req) == 0) {
		serve_request(&req, fz_cfg);
		if (++requests > 100000)
			abort();	/* more requests than bytes: a loop */
	}
	FCGX_Free(&req, 1);
	return 0;
}
