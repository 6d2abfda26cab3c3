"""End-to-end: the request log on stderr (SPEC 6).  One line per request with
time, client, method, stream, status, code and us=; never a bearer token, an
issued token (or its signature), the key secret or a client's token_sha256;
no log injection through untrusted words.  TAP output."""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("cgi-fcgi")

t = L.Tap()
setup = L.Setup("logs")
sb = setup.sb
AUTH = "Bearer " + setup.token
NARROW = "Bearer " + setup.narrow_token
WRONG = "Bearer " + "W" * 43
srv = setup.start()

LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) streamtoken\[(?P<pid>\d+)\]: "
    r"client=(?P<client>\S+) method=(?P<method>\S+) stream=(?P<stream>\S+) "
    r"status=(?P<status>\d{3}) code=(?P<code>-?\d+) us=(?P<us>\d+)$")


def req(rpc_method, params, auth=AUTH, id=1, **kw):
    msg = {"jsonrpc": "2.0", "method": rpc_method, "params": params}
    if id is not None:
        msg["id"] = id
    return srv.rpc(msg, auth=auth, **kw)


# (expected client, method, stream, status, code) for each single request.
EXPECTED = []
issued = []


def send(exp, r):
    EXPECTED.append(exp)
    if r.status == 200 and r.body:
        j = r.json()
        if isinstance(j, dict) and "result" in j:
            issued.append(j["result"])
    return r


C = "Auth.CreateAccessToken"
send(("backend", C, "cam-1", 200, 0),
     req(C, {"stream": "cam-1", "live": True}))
send(("backend", "Auth.CreateApiToken", "cam-2", 200, 0),
     req("Auth.CreateApiToken", ["cam-2", 60, True, True]))
send(("narrow", C, "cam-3", 200, 0), req(C, {"stream": "cam-3"},
                                         auth=NARROW))
send(("narrow", C, "other-1", 403, -32003), req(C, {"stream": "other-1"},
                                                auth=NARROW))
send(("backend", C, "nosuch", 400, -32001), req(C, {"stream": "nosuch"}))
send(("backend", C, "lobby", 400, -32002), req(C, {"stream": "lobby"}))
send(("backend", C, "cam-1", 400, -32602), req(C, {"stream": "cam-1",
                                                   "ttl": -1}))
send(("backend", "Auth.Nope", "-", 400, -32601), req("Auth.Nope", {}))
send(("-", "POST", "-", 401, -32000), req(C, {"stream": "cam-1"},
                                          auth=None))
send(("-", "POST", "-", 401, -32000), req(C, {"stream": "cam-1"},
                                          auth=WRONG))
send(("-", "GET", "-", 405, -32600), req(C, {"stream": "cam-1"},
                                         method="GET"))
send(("backend", "-", "-", 400, -32700), srv.rpc("{oops", auth=AUTH))
send(("backend", C, "cam-1", 204, 0), req(C, {"stream": "cam-1"}, id=None))
# Log injection: a method name with a newline and a fake log line.
INJECT = "X\n2020-01-01T00:00:00Z streamtoken[1]: client=admin method=Y"
send(("backend", None, "-", 400, -32601), req(INJECT, {}))
SINGLE = len(EXPECTED)
# A batch of two calls and one notification: three more lines.
batch = srv.rpc(json.dumps([
    {"jsonrpc": "2.0", "method": C, "params": {"stream": "cam-5"}, "id": 1},
    {"jsonrpc": "2.0", "method": C, "params": {"stream": "cam-6"}},
    {"jsonrpc": "2.0", "method": C, "params": {"stream": "nosuch"}, "id": 2},
]), auth=AUTH)
for m in batch.json():
    if "result" in m:
        issued.append(m["result"])
rc = srv.stop()
LOG = srv.log_text()
REQUEST_LINES = [ln for ln in LOG.splitlines() if " client=" in ln]


def stopped():
    expect_eq(rc, 0, "exit status")
    expect_eq(len(issued), 4, "tokens issued")


def line_count():
    expect_eq(len(REQUEST_LINES), SINGLE + 3,
              "request lines (%d single requests + 3 batch members):\n%s" %
              (SINGLE, LOG))


def all_lines_well_formed():
    for ln in LOG.splitlines():
        if " client=" in ln:
            expect(LINE.match(ln), "malformed request line %r" % ln)


def fields(i):
    def check():
        client, method, stream, status, code = EXPECTED[i]
        m = LINE.match(REQUEST_LINES[i]) if i < len(REQUEST_LINES) else None
        expect(m, "line %d missing or malformed: %r" % (
            i, REQUEST_LINES[i] if i < len(REQUEST_LINES) else None))
        expect_eq(m.group("client"), client, "client")
        if method is not None:
            expect_eq(m.group("method"), method, "method")
        expect_eq(m.group("stream"), stream, "stream")
        expect_eq(int(m.group("status")), status, "status")
        expect_eq(int(m.group("code")), code, "code")
        expect_eq(int(m.group("pid")), srv.pid, "pid")
        ts = time.mktime(time.strptime(m.group("time"),
                                       "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        expect(abs(ts - time.time()) < 120, "time %s far from now" %
               m.group("time"))
        expect(int(m.group("us")) < 10 * 1000 * 1000, "us= implausible")
    return check


def batch_lines():
    tail = REQUEST_LINES[SINGLE:]
    streams = sorted(LINE.match(ln).group("stream") for ln in tail)
    expect_eq(streams, ["cam-5", "cam-6", "nosuch"], "batch member streams")


def no_injection():
    expect("client=admin" not in LOG, "injected line in the log:\n" + LOG)
    for ln in LOG.splitlines():
        expect(ln.startswith(("1", "2")), "line not starting with a time: %r"
               % ln)


def never_contains(what, secret):
    def check():
        expect(secret, "nothing to look for")
        expect(secret not in LOG, "%s found in the log" % what)
    return check


t.case("server_stopped_exit_0", stopped)
t.case("one_line_per_request", line_count)
t.case("every_request_line_has_all_fields", all_lines_well_formed)
for i, e in enumerate(EXPECTED):
    t.case("line_fields_%02d_%s_%d_%d" % (i, e[1] if e[1] and e[1].isprintable()
                                         and "\n" not in e[1]
                                         else "injected-method", e[3], e[4]),
           fields(i))
t.case("batch_one_line_per_member", batch_lines)
t.case("no_log_injection_through_method_name", no_injection)
t.case("log_never_has_api_bearer_token",
       never_contains("bearer token", setup.token))
t.case("log_never_has_narrow_bearer_token",
       never_contains("bearer token", setup.narrow_token))
t.case("log_never_has_wrong_bearer_credential",
       never_contains("wrong bearer credential", WRONG[7:]))
t.case("log_never_has_key_secret",
       never_contains("key secret", setup.secret.decode()))
t.case("log_never_has_token_sha256",
       never_contains("token_sha256", setup.sha))
t.case("log_never_has_narrow_token_sha256",
       never_contains("token_sha256", setup.narrow_sha))


def no_issued_tokens():
    expect(issued, "no tokens issued")
    for tok in issued:
        h, p, s = tok.split(".")
        expect(tok not in LOG, "issued token in the log")
        expect(s not in LOG, "token signature in the log")
        expect(p not in LOG, "token payload in the log")
        jti = json.loads(L.b64url_decode(p))["jti"]
        expect(jti not in LOG, "jti in the log")


t.case("log_never_has_issued_tokens_or_signatures", no_issued_tokens)
L.no_sanitizer_reports(t, sb)
sb.cleanup()
t.done()
