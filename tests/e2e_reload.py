"""End-to-end: SIGHUP reload and SIGTERM (SPEC 4, 5) on the real binary as a
FastCGI application: a good file is used from the next request on, a bad one
(syntax, world-readable key) keeps the old configuration and logs FILE:LINE
once.  TAP output."""

import os
import re
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("cgi-fcgi")

t = L.Tap()
setup = L.Setup("reload")
sb = setup.sb
AUTH = "Bearer " + setup.token
srv = setup.start()
PID = srv.pid


def create(stream, auth=AUTH, **params):
    params["stream"] = stream
    return srv.rpc({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                    "params": params, "id": 1}, auth=auth)


def claims_of(r):
    expect_eq(r.status, 200, r.describe())
    return L.verify_token(r.json()["result"], setup.secret)


def write_ini(text):
    # Write-then-rename, as an editor or config manager would.
    tmp = setup.config + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, setup.config)


NEW_STREAMS = L.STANDARD_STREAMS + "\n[stream newcam]\naccess = private\n"


def before_reload():
    expect_eq(create("newcam").json()["error"]["code"], -32001, "newcam")
    _, c = claims_of(create("cam-1"))
    expect_eq(c["iss"], "media.example.com", "iss")


def reload_good():
    write_ini(setup.ini(issuer="reloaded.example", streams=NEW_STREAMS))
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    _, c = claims_of(create("newcam"))
    expect_eq(c["iss"], "reloaded.example", "iss after reload")
    expect_eq(c["sub"], "newcam", "sub")
    expect("configuration reloaded" in srv.log_text(), "no reload log line")


def reload_broken():
    good = setup.ini(issuer="reloaded.example", streams=NEW_STREAMS)
    lines = good.splitlines()
    bad_line = len(lines) + 1
    write_ini(good + "bogus_key = 1\n")
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    _, c = claims_of(create("newcam"))
    expect_eq(c["iss"], "reloaded.example", "old configuration kept")
    expect(srv.alive(), "process died")
    fails = [ln for ln in srv.log_text().splitlines()
             if "reload failed" in ln]
    expect_eq(len(fails), 1, "reload failed lines: %r" % fails)
    expect(re.search(r"%s:%d: " % (re.escape(setup.config), bad_line),
                     fails[0]), "no FILE:%d in %r" % (bad_line, fails[0]))


def reload_world_readable_key():
    write_ini(setup.ini(issuer="third.example"))
    os.chmod(setup.key_path, 0o644)
    try:
        srv.signal(signal.SIGHUP)
        time.sleep(0.2)
        _, c = claims_of(create("newcam"))
        expect_eq(c["iss"], "reloaded.example", "old configuration kept")
        fails = [ln for ln in srv.log_text().splitlines()
                 if "reload failed" in ln]
        expect_eq(len(fails), 2, "reload failed lines")
        expect("main.key" in fails[1], "key file not named: %r" % fails[1])
        expect(re.search(r"%s:\d+: " % re.escape(setup.config), fails[1]),
               "no FILE:LINE in %r" % fails[1])
    finally:
        os.chmod(setup.key_path, 0o600)


def reload_after_fix():
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    _, c = claims_of(create("cam-1"))
    expect_eq(c["iss"], "third.example", "iss")
    expect_eq(create("newcam").json()["error"]["code"], -32001,
              "removed stream still served")


def reload_clients():
    tok, sha, lines = sb.gen_client("late")
    ini = setup.ini(issuer="third.example")
    # Drop [client backend], add [client late].
    ini = ini.replace(setup.client_lines, lines)
    write_ini(ini)
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    r = create("cam-1", auth="Bearer " + tok)
    _, c = claims_of(r)
    expect_eq(c["azp"], "late", "azp")
    r = create("cam-1")
    expect_eq(r.status, 401, "removed client: " + r.describe())


def reload_key_rotation():
    p2, secret2 = sb.gen_secret("k2.key")
    ini = setup.ini(issuer="third.example").replace(
        "secret_file = main.key\n",
        "secret_file = main.key\nsign = no\n\n[key k2]\nalgorithm = HS256\n"
        "secret_file = k2.key\nsign = yes\n")
    write_ini(ini)
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    r = create("cam-1")
    expect_eq(r.status, 200, r.describe())
    tok = r.json()["result"]
    L.check_token(tok, secret2, "cam-1", "backend", iss="third.example",
                  kid="k2")


def verify(tok):
    r = srv.rpc({"jsonrpc": "2.0", "method": "Auth.VerifyToken",
                 "params": {"token": tok}, "id": 1}, auth=AUTH)
    expect_eq(r.status, 200, r.describe())
    return r.json()["result"]


def reload_retires_key_of_a_cached_token():
    # Verified twice (the second time from the verified-token cache), then
    # its key leaves the file: the next request must refuse it.
    tok = create("cam-1").json()["result"]
    for _ in range(2):
        res = verify(tok)
        expect(res["valid"] and res["claims"]["sub"] == "cam-1", "%r" % res)
    write_ini(setup.ini(issuer="fourth.example"))
    srv.signal(signal.SIGHUP)
    time.sleep(0.2)
    res = verify(tok)
    expect_eq((res["valid"], res["reason"]), (False, "unknown key id"),
              "k2 token after k2 left the file")
    _, c = claims_of(create("cam-1"))
    expect_eq(c["iss"], "fourth.example", "iss after the reload")


def many_hups():
    for _ in range(20):
        srv.signal(signal.SIGHUP)
    time.sleep(0.3)
    expect(srv.alive(), "died after 20 SIGHUPs")
    expect_eq(create("cam-1").status, 200, "serves after 20 SIGHUPs")
    expect_eq(srv.pid, PID, "pid")


def fcgi_begin(sock_path, params, stdin_part):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sock_path)
    pairs = b"".join(L._fcgi_len(len(k)) + L._fcgi_len(len(v)) + k.encode()
                     + v.encode() for k, v in params.items())
    s.sendall(L._fcgi_record(L.FCGI_BEGIN_REQUEST,
                             struct.pack(">HB5x", 1, 0)) +
              L._fcgi_record(L.FCGI_PARAMS, pairs) +
              L._fcgi_record(L.FCGI_PARAMS, b"") +
              L._fcgi_record(L.FCGI_STDIN, stdin_part))
    return s


def read_stdout(s):
    data = b""
    while True:
        got = s.recv(65536)
        if not got:
            break
        data += got
    outp = b""
    while len(data) >= 8:
        _, rtype, _, clen, pad, _ = struct.unpack(">BBHHBB", data[:8])
        if rtype == L.FCGI_STDOUT:
            outp += data[8:8 + clen]
        data = data[8 + clen + pad:]
    return L.Response(outp)


def signal_in_request(sig):
    """SPEC 5: SIGTERM finishes the request in hand, then exits 0; SIGHUP
    reloads for the next request.  Neither may break the one being read."""
    def check():
        body = ('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
                '"params":{"stream":"cam-1"},"id":1}').encode()
        s2 = L.Server(sb, setup.config)
        try:
            time.sleep(0.2)
            half = len(body) // 2
            sock = fcgi_begin(s2.sock_path, L.cgi_env(
                body=body, auth=AUTH), body[:half])
            time.sleep(0.3)       # the program now waits for the body
            s2.signal(sig)
            time.sleep(0.3)
            sock.sendall(L._fcgi_record(L.FCGI_STDIN, body[half:]) +
                         L._fcgi_record(L.FCGI_STDIN, b""))
            r = read_stdout(sock)
            sock.close()
            if sig == signal.SIGTERM:
                rc = s2.proc.wait(timeout=10)
                expect_eq(rc, 0, "exit status")
            else:
                expect(s2.alive(), "died on SIGHUP")
                expect_eq(s2.stop(), 0, "exit status")
            expect_eq(r.status, 200, "request in hand: " + r.describe())
        finally:
            s2.kill()
    return check


def sigterm_idle():
    t0 = time.time()
    rc = srv.stop(timeout=5)
    expect_eq(rc, 0, "exit status")
    expect(time.time() - t0 < 2, "took %.1fs" % (time.time() - t0))


t.case("before_reload_old_config", before_reload)
t.case("sighup_good_file_used_by_next_request", reload_good)
t.case("sighup_broken_file_keeps_old_and_logs_FILE_LINE_once", reload_broken)
t.case("sighup_world_readable_key_refused_old_kept",
       reload_world_readable_key)
t.case("sighup_after_fix_new_config_used", reload_after_fix)
t.case("sighup_adds_and_removes_clients", reload_clients)
t.case("sighup_key_rotation_new_kid_signs", reload_key_rotation)
t.case("sighup_retired_key_refused_though_token_was_cached",
       reload_retires_key_of_a_cached_token)
t.case("twenty_sighups_still_serving", many_hups)
t.case("sigterm_while_idle_exit_0_quickly", sigterm_idle)
# Regression: without SA_RESTART a signal while the body was read cut the
# request short (400 'body shorter than Content-Length').
t.case("sigterm_during_request_finishes_it_then_exit_0",
       signal_in_request(signal.SIGTERM))
t.case("sighup_during_request_does_not_break_it",
       signal_in_request(signal.SIGHUP))
L.no_sanitizer_reports(t, sb)
sb.cleanup()
t.done()
