#!/usr/bin/python3
"""e2e_revoke: taking tokens back (issue 13). Two serving processes share one
revocation file; Auth.RevokeTokens (for clients with may_revoke) and
"streamtoken revoke" append to it; both processes refuse a revoked token
within a second, under load, and after a restart. Prints TAP."""

import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("cgi-fcgi")

t = L.Tap()
setup = L.Setup("rvk", server_extra="revocation_file = revoked.txt\n")
setup.client_lines += "may_revoke = yes\n"
setup.sb.write("streamtoken.ini", setup.ini())
REVOKED = setup.sb.path("revoked.txt")
servers = [setup.start(), setup.start()]


def rpc(srv, method, params, auth=None):
    return srv.rpc({"jsonrpc": "2.0", "method": method, "params": params,
                    "id": 1}, auth="Bearer " + (auth or setup.token))


def mint(stream="cam-1", **params):
    params.update(stream=stream, live=True, ttl=600)
    r = rpc(servers[0], "Auth.CreateAccessToken", params)
    expect_eq(r.status, 200, r.describe())
    return r.json()["result"]


def claims_of(token):
    return json.loads(L.b64url_decode(token.split(".")[1]))


def check(srv, token, url="/cam-1/index.m3u8"):
    """The auth_request way in: the status the program answers."""
    params = L.cgi_env(method="GET", content_type=None, extra={
        "STREAMTOKEN_MODE": "verify", "STREAMTOKEN_URI":
        "%s?token=%s" % (url, token)})
    return L.Response(L.fcgi_request(srv.sock_path, params)).status


def refused_by_both_within(token, seconds, url="/cam-1/index.m3u8"):
    """Seconds until both processes refuse token (401), or None."""
    start = time.monotonic()
    pending = set(range(len(servers)))
    while pending and time.monotonic() - start < seconds:
        for i in list(pending):
            if check(servers[i], token, url) == 401:
                pending.discard(i)
        if pending:
            time.sleep(0.02)
    return None if pending else time.monotonic() - start


class Load:
    """Checks sent to both processes from two threads until stopped."""

    def __init__(self, token):
        self.token = token
        self.stop = threading.Event()
        self.count = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(s,))
                        for s in servers]

    def run(self, srv):
        while not self.stop.is_set():
            try:
                status = check(srv, self.token)
                if status not in (200, 401):
                    self.errors.append(status)
                self.count += 1
            except Exception as e:  # noqa: BLE001 (reported below)
                self.errors.append(repr(e))

    def __enter__(self):
        for th in self.threads:
            th.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for th in self.threads:
            th.join()


def revoked_jti_refused_by_both_processes_under_load():
    victim, bystander = mint(), mint()
    expect_eq([check(s, victim) for s in servers], [200, 200], "before")
    with Load(bystander) as load:
        time.sleep(0.3)
        r = rpc(servers[1], "Auth.RevokeTokens",
                {"jti": claims_of(victim)["jti"]})
        expect_eq(r.status, 200, r.describe())
        res = r.json()["result"]
        expect_eq(res["kind"], "jti", "result kind")
        took = refused_by_both_within(victim, 3)
        time.sleep(0.2)
    expect(took is not None, "not refused by both within 3 s")
    # Each process looks at the file at most once a second: 1 s, plus the
    # checks of the poll loop itself under load (room for a sanitizer build).
    expect(took <= 1.5, "refused by both only after %.2f s" % took)
    expect(not load.errors, "load errors: %r" % load.errors[:5])
    expect(load.count > 20, "load sent only %d checks" % load.count)
    # The others are untouched.
    expect_eq([check(s, bystander) for s in servers], [200, 200],
              "a token not revoked")
    print("# refused by both after %.3f s, %d checks of load" % (
        took, load.count))


def revoked_token_logged_and_verifytoken_says_revoked():
    tok = mint()
    r = rpc(servers[0], "Auth.RevokeTokens", {"jti": claims_of(tok)["jti"]})
    expect_eq(r.status, 200, r.describe())
    expect(refused_by_both_within(tok, 3) is not None, "not refused")
    res = rpc(servers[1], "Auth.VerifyToken", {"token": tok}).json()
    expect_eq(res["result"]["valid"], False, "valid")
    expect_eq(res["result"]["reason"], "revoked", "reason")
    expect("Auth.VerifyToken: token refused: revoked" in
           servers[1].log_text(), "VerifyToken's refusal is not logged")
    # The auth_request checks of refused_by_both_within log their reason.
    expect('reason="revoked"' in servers[0].log_text(),
           "no check logged the reason revoked")


def stream_revoked_before_time():
    old = mint("cam-7")
    time.sleep(1.1)  # iat is in seconds: the new token is a second later
    before = int(time.time())
    new = mint("cam-7")
    r = rpc(servers[0], "Auth.RevokeTokens", {"stream": "cam-7",
                                              "before": before})
    expect_eq(r.status, 200, r.describe())
    expect_eq(r.json()["result"], {"kind": "stream", "value": "cam-7",
                                   "before": before}, "result")
    expect(refused_by_both_within(old, 3, "/cam-7/index.m3u8") is not None,
           "the old token still plays")
    expect_eq([check(s, new, "/cam-7/index.m3u8") for s in servers],
              [200, 200], "a token issued at 'before' still plays")


def client_revoked_before_now():
    tok = mint("cam-8")
    r = rpc(servers[0], "Auth.RevokeTokens", {"client": "backend"})
    expect_eq(r.status, 200, r.describe())
    res = r.json()["result"]
    expect_eq(res["kind"], "client", "kind")
    expect(res["before"] >= claims_of(tok)["iat"], "before defaults to now")
    expect(refused_by_both_within(tok, 3, "/cam-8/index.m3u8") is not None,
           "the client's token still plays")
    # "before" defaulted to the end of this second: mint after it.
    time.sleep(max(0, res["before"] - time.time()) + 0.05)
    fresh = mint("cam-8")
    expect_eq(check(servers[1], fresh, "/cam-8/index.m3u8"), 200,
              "a token issued after the revocation")


def no_may_revoke_403_32003():
    r = rpc(servers[0], "Auth.RevokeTokens", {"jti": "abc"},
            auth=setup.narrow_token)
    expect_eq(r.status, 403, r.describe())
    expect_eq(r.json()["error"]["code"], -32003, "code")


def bad_params_32602():
    for params, field in (({}, "jti"), ({"jti": "a", "stream": "cam-1"},
                                         "stream"),
                          ({"jti": "no spaces"}, "jti"), ({"jti": 5}, "jti"),
                          ({"stream": "cam/1"}, "stream"),
                          ({"stream": "cam-1", "before": "1"}, "before"),
                          ({"stream": "cam-1", "before": 2 ** 40}, "before"),
                          ({"jti": "abc", "before": 1}, "before"),
                          ({"client": "backend", "x": 1}, "x")):
        r = rpc(servers[0], "Auth.RevokeTokens", params)
        expect_eq(r.status, 400, "%r: %s" % (params, r.describe()))
        err = r.json()["error"]
        expect_eq(err["code"], -32602, "%r code" % (params,))
        expect_eq(err.get("data", {}).get("param"), field,
                  "%r: the field named" % (params,))


def cli_revoke_seen_by_running_processes():
    tok = mint()
    r = L.run([L.STREAMTOKEN, "revoke", "-c", setup.config, "--jti",
               claims_of(tok)["jti"]], env=L.base_env())
    expect_eq(r.returncode, 0, r.stderr)
    expect(refused_by_both_within(tok, 3) is not None, "CLI revocation unseen")


def revocation_survives_restart_and_corrupt_line_reported():
    tok = mint()
    rpc(servers[0], "Auth.RevokeTokens", {"jti": claims_of(tok)["jti"]})
    with open(REVOKED, "a") as f:
        f.write("this is not a revocation\n")
    with open(REVOKED) as f:
        bad_line = len(f.read().splitlines())
    expect_eq(servers[0].stop(), 0, "exit status")
    servers[0] = setup.start()
    time.sleep(0.2)
    expect_eq(check(servers[0], tok), 401, "revoked after a restart")
    expect("revoked.txt:%d:" % bad_line in servers[0].log_text(),
           "no FILE:LINE for the corrupt line: %s" % servers[0].log_text())
    # An entry appended after the corrupt line still counts.
    tok2 = mint()
    rpc(servers[1], "Auth.RevokeTokens", {"jti": claims_of(tok2)["jti"]})
    expect(refused_by_both_within(tok2, 3) is not None,
           "entry after a corrupt line ignored")


def file_lines_are_appended_never_rewritten():
    with open(REVOKED) as f:
        before = f.read()
    rpc(servers[0], "Auth.RevokeTokens", {"jti": "AppendOnly_1"})
    with open(REVOKED) as f:
        after = f.read()
    expect(after.startswith(before), "earlier lines changed")
    expect(after[len(before):].startswith("jti AppendOnly_1 "),
           "new line: %r" % after[len(before):])


t.case("revoked_jti_refused_by_both_processes_within_a_second_under_load",
       revoked_jti_refused_by_both_processes_under_load)
t.case("revoked_token_logged_and_verifytoken_says_revoked",
       revoked_token_logged_and_verifytoken_says_revoked)
t.case("stream_revoked_before_time_newer_tokens_play",
       stream_revoked_before_time)
t.case("client_revoked_before_now", client_revoked_before_now)
t.case("revoke_without_may_revoke_403_32003", no_may_revoke_403_32003)
t.case("revoke_bad_params_32602_name_the_field", bad_params_32602)
t.case("cli_revoke_seen_by_running_processes",
       cli_revoke_seen_by_running_processes)
t.case("revocation_survives_restart_corrupt_line_file_line",
       revocation_survives_restart_and_corrupt_line_reported)
t.case("revocation_file_is_append_only", file_lines_are_appended_never_rewritten)
for s in servers:
    s.signal(signal.SIGTERM)
for s in servers:
    t.ok(s.stop() == 0, "server_%d_exits_0" % servers.index(s))
L.no_sanitizer_reports(t, setup.sb)
t.done()
