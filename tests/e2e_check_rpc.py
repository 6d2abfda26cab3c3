#!/usr/bin/python3
"""e2e_check_rpc: the checking half without a web server. Auth.VerifyToken
through cgi-fcgi, the FastCGI Authorizer role and the auth_request responder
spoken to directly, and "streamtoken verify --url" naming the route and the
rule that refuses. Prints TAP.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checklib  # noqa: E402
import e2elib  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

FCGI_AUTHORIZER = 2


def fcgi_role_request(sock_path, params, role):
    """One FastCGI request with the given role (e2elib's client is a
    responder only); returns the parsed CGI response."""
    pairs = b"".join(e2elib._fcgi_len(len(k)) + e2elib._fcgi_len(len(v)) +
                     k.encode() + v.encode() for k, v in params.items())
    msg = e2elib._fcgi_record(e2elib.FCGI_BEGIN_REQUEST,
                              struct.pack(">HB5x", role, 0))
    msg += e2elib._fcgi_record(e2elib.FCGI_PARAMS, pairs)
    msg += e2elib._fcgi_record(e2elib.FCGI_PARAMS, b"")
    msg += e2elib._fcgi_record(e2elib.FCGI_STDIN, b"")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sock_path)
    data = b""
    try:
        s.sendall(msg)
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    finally:
        s.close()
    out = b""
    while len(data) >= 8:
        _, rtype, _, clen, pad, _ = struct.unpack(">BBHHBB", data[:8])
        if rtype == e2elib.FCGI_STDOUT:
            out += data[8:8 + clen]
        if rtype == e2elib.FCGI_END_REQUEST:
            break
        data = data[8 + clen + pad:]
    return e2elib.Response(out)


def main():
    e2elib.need_tools("cgi-fcgi")
    t = e2elib.Tap()
    site = checklib.Site("rpc")
    app = None
    try:
        app = site.start_app()
        run_cases(t, site, app)
    finally:
        if app is not None:
            app.stop()
    checklib.no_leftovers(t, "rpc", site)
    site.remove()
    t.done()


def run_cases(t, site, app):
    live = site.mint("cam-1", "--live", "--ttl", "600")
    api = app.mint(stream="cam-1", ttl=600, live=True, dvr=True)
    good = site.jwt(site.claims(live=True))
    h, p, _ = good.split(".")
    forged = "%s.%s.%s" % (h, p, checklib.b64url(b"\1" * 32))
    none = site.raw({"alg": "none", "typ": "JWT", "kid": "main"},
                    site.claims(live=True, copy=True))
    expired = site.jwt(site.claims(live=True, iat=int(time.time()) - 100,
                                   exp=int(time.time()) - 50))
    rotated = site.mint("cam-1", "--live", ini=site.before_ini)
    removed = site.jwt(site.claims(live=True), kid="retired")

    def verify(params, status=200):
        r = app.call("Auth.VerifyToken", params)
        expect_eq(r.status, status, "HTTP status (%s)" % r.describe())
        expect_eq(r.header("cache-control"), "no-store", "Cache-Control")
        return r.json()

    # ---- Auth.VerifyToken ----
    def valid_no_url():
        res = verify({"token": live})["result"]
        expect_eq(res["valid"], True, "valid")
        expect_eq(res["reason"], "valid", "reason")
        c = res["claims"]
        expect_eq((c["sub"], c["live"], c["dvr"], c["copy"], c["azp"]),
                  ("cam-1", True, False, False, "cli"), "claims")
        expect(c["exp"] - c["iat"] == 600 and len(c["jti"]) >= 22,
               "exp/jti: %r" % c)
    t.case("verifytoken_valid_cli_token", valid_no_url)

    def valid_api_token():
        res = verify({"token": api})["result"]
        expect(res["valid"] and res["claims"]["azp"] == "backend" and
               res["claims"]["dvr"] is True, "%r" % res)
    t.case("verifytoken_valid_api_token", valid_api_token)

    def positional():
        res = verify([live, "/cam-1/index.m3u8"])["result"]
        expect(res["valid"] and res["route"] == "live-playlist", "%r" % res)
    t.case("verifytoken_positional_params", positional)

    def invalid(name, token, reason):
        def check():
            res = verify({"token": token})["result"]
            expect_eq(res["valid"], False, "valid")
            expect_eq(res["reason"], reason, "reason")
            expect_eq(res["claims"], None, "claims of an unproven token")
        t.case("verifytoken_" + name, check)
    invalid("garbage_claims_null", "not.a.token", "malformed token")
    invalid("forged_signature_claims_null", forged, "bad signature")
    invalid("alg_none_claims_null", none, "algorithm not allowed for this key")
    invalid("hs512_header_claims_null",
            site.jwt(site.claims(live=True), alg="HS512"),
            "algorithm not allowed for this key")
    invalid("removed_key_claims_null", removed, "unknown key id")

    def expired_shows_claims():
        res = verify({"token": expired})["result"]
        expect_eq(res["valid"], False, "valid")
        expect_eq(res["reason"], "token expired", "reason")
        expect(res["claims"] is not None and res["claims"]["sub"] == "cam-1",
               "authentic claims of an expired token: %r" % res["claims"])
    t.case("verifytoken_expired_reason_and_claims", expired_shows_claims)

    def rotated_valid():
        res = verify({"token": rotated})["result"]
        expect(res["valid"], "%r" % res)
    t.case("verifytoken_rotated_key_valid", rotated_valid)

    def with_url(name, token, url, valid, reason, route):
        def check():
            res = verify({"token": token, "url": url})["result"]
            expect_eq(res["valid"], valid, "valid")
            expect_eq(res["reason"], reason, "reason")
            expect_eq(res.get("route"), route, "route")
        t.case("verifytoken_url_" + name, check)
    with_url("allowed", live, "/cam-1/index.m3u8", True, "allowed",
             "live-playlist")
    # The path token segment is stripped for routing, as the web server
    # does, but the token judged is the one given: never one from the URL.
    with_url("path_token_stripped_given_token_judged", live,
             "/%s/cam-1/seg-1.ts" % live, True, "allowed", "segment")
    with_url("url_path_token_not_used_for_given_garbage", "garbage",
             "/%s/cam-1/seg-1.ts" % live, False, "malformed token", "segment")
    with_url("url_query_token_not_used_for_given_garbage", "garbage",
             "/cam-1/seg-1.ts?token=%s" % live, False, "malformed token",
             "segment")
    with_url("refused_permission", live,
             "/cam-1/index-%d-60.m3u8" % checklib.FROM, False,
             "token does not grant dvr", "dvr-playlist")
    with_url("refused_stream", live, "/cam-2/index.m3u8", False,
             "token is for another stream", "live-playlist")
    with_url("unrouted", live, "/cam-1/index.html", False,
             "no route matches the URL", None)
    with_url("traversal", live, "/cam-2/../cam-1/index.m3u8", False,
             "URL path refused (encoding or traversal)", None)
    with_url("public", "x", "/lobby/index.m3u8", True, "public stream",
             "live-playlist")

    def forged_with_url_claims_null():
        res = verify({"token": forged, "url": "/cam-1/index.m3u8"})["result"]
        expect(res["valid"] is False and res["claims"] is None, "%r" % res)
    t.case("verifytoken_url_forged_claims_null", forged_with_url_claims_null)

    def param_errors():
        for params, param in (({}, "token"), ({"token": 5}, "token"),
                              ({"token": live, "uri": "/x"}, "uri"),
                              ({"token": live, "url": 5}, "url")):
            e = verify(params, 400)["error"]
            expect_eq(e["code"], -32602, "code for %r" % params)
            expect_eq(e["data"]["param"], param, "data.param for %r" % params)
    t.case("verifytoken_invalid_params", param_errors)

    def null_means_absent():
        for params in ({"token": live, "url": None}, [live, None],
                       {"url": None, "token": live}):
            res = verify(params)["result"]
            expect(res["valid"] and "route" not in res,
                   "%r: %r" % (params, res))
        for params in ({"token": None}, {"token": None, "url": "/x"},
                       [None]):
            e = verify(params, 400)["error"]
            expect_eq((e["data"]["param"], e["data"]["reason"]),
                      ("token", "is required"), "error for %r" % (params,))
    t.case("verifytoken_null_param_is_absent", null_means_absent)

    def needs_client():
        r = app.call("Auth.VerifyToken", {"token": live},
                     api_token="not-a-client")
        expect_eq(r.status, 401, "status")
    t.case("verifytoken_needs_api_client", needs_client)

    # ---- the two FastCGI ways in, spoken directly ----
    def auth_params(uri, **extra):
        p = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri,
             "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1"}
        p.update(extra)
        return p

    def authorizer_allow_variables():
        r = fcgi_role_request(app.sock, auth_params(
            "/cam-1/index.m3u8?token=" + live), FCGI_AUTHORIZER)
        expect_eq(r.status, 200, "status (%s)" % r.describe())
        expect_eq(r.header("variable-streamtoken_stream"), "cam-1", "stream")
        expect_eq(r.header("variable-streamtoken_client"), "cli", "client")
        expect(len(r.header("variable-streamtoken_jti") or "") >= 22, "jti")
        expect_eq(r.body, b"", "body")
    t.case("authorizer_role_allow_sends_variables",
           authorizer_allow_variables)

    def authorizer_refusals():
        r = fcgi_role_request(app.sock, auth_params("/cam-1/index.m3u8"),
                              FCGI_AUTHORIZER)
        expect_eq(r.status, 401, "no token")
        expect(r.header("www-authenticate") is not None and
               r.header("variable-streamtoken_stream") is None,
               "401 headers: %r" % r.headers)
        r = fcgi_role_request(app.sock, auth_params(
            "/cam-1/index.m3u8", HTTP_COOKIE="streamtoken=" + forged),
            FCGI_AUTHORIZER)
        expect_eq(r.status, 401, "forged cookie")
        r = fcgi_role_request(app.sock, auth_params(
            "/cam-2/index.m3u8", HTTP_AUTHORIZATION="Bearer " + live),
            FCGI_AUTHORIZER)
        expect_eq(r.status, 403, "bearer for another stream")
        expect_eq(r.body, b"", "body")
        expect(r.header("variable-streamtoken_stream") is None, "variables")
    t.case("authorizer_role_refusals_401_403", authorizer_refusals)

    def long_bearer_token():
        # A stream token may be up to 4096 bytes in every place, the
        # Authorization header included (not the 512 of an API key).
        big = site.jwt(site.claims(live=True, pad="x" * 700))
        expect(len(big) > 512, "token only %d bytes" % len(big))
        r = fcgi_role_request(app.sock, auth_params(
            "/cam-1/index.m3u8", HTTP_AUTHORIZATION="Bearer " + big),
            FCGI_AUTHORIZER)
        expect_eq(r.status, 200, "a %d-byte token in Authorization" % len(big))
    t.case("authorizer_role_bearer_token_over_512_bytes", long_bearer_token)

    def public_no_variables():
        r = fcgi_role_request(app.sock, auth_params("/lobby/seg-1.ts"),
                              FCGI_AUTHORIZER)
        expect_eq(r.status, 200, "status")
        expect(r.header("variable-streamtoken_stream") is None,
               "no token, no variables")
    t.case("authorizer_role_public_stream_no_variables", public_no_variables)

    def subrequest(uri_params, status):
        params = {"STREAMTOKEN_MODE": "verify", "REQUEST_METHOD": "GET",
                  "GATEWAY_INTERFACE": "CGI/1.1"}
        params.update(uri_params)
        r = e2elib.fcgi_request(app.sock, params)
        resp = e2elib.Response(r)
        expect_eq(resp.status, status, "status (%s)" % resp.describe())
        expect_eq(resp.body, b"", "no body")
        return resp

    t.case("subrequest_streamtoken_uri",
           lambda: subrequest({"STREAMTOKEN_URI": "/%s/cam-1/seg-1.ts" % live,
                               "REQUEST_URI": "/.check"}, 200))
    t.case("subrequest_streamtoken_uri_wins_over_x_original_uri",
           lambda: subrequest({"STREAMTOKEN_URI": "/cam-2/seg-1.ts?token=" +
                               live, "HTTP_X_ORIGINAL_URI":
                               "/cam-1/seg-1.ts?token=" + live}, 403))
    # An X-Original-URI header is the client's word: it is never the URL.
    t.case("subrequest_x_original_uri_header_ignored",
           lambda: subrequest({"HTTP_X_ORIGINAL_URI":
                               "/cam-1/seg-1.ts?token=" + live,
                               "REQUEST_URI": "/.check"}, 403))
    t.case("subrequest_request_uri_fallback",
           lambda: subrequest({"REQUEST_URI": "/cam-1/seg-1.ts?token=" +
                               live}, 200))
    # nginx's stock fastcgi_params send REQUEST_URI = $request_uri, the
    # original URI even in the auth_request sub-request. A client's own
    # "X-Original-URI" header arrives as HTTP_X_ORIGINAL_URI and must not
    # choose which URL is checked.
    t.case("subrequest_client_x_original_uri_cannot_override_request_uri",
           lambda: subrequest({"REQUEST_URI": "/cam-1/seg-1.ts",
                               "HTTP_X_ORIGINAL_URI": "/lobby/seg-1.ts"},
                              401))
    t.case("subrequest_expired_401",
           lambda: subrequest({"STREAMTOKEN_URI": "/cam-1/seg-1.ts?token=" +
                               expired}, 401))

    def mode_header_is_not_the_param():
        # "Streamtoken-Mode: verify" from a client is HTTP_STREAMTOKEN_MODE:
        # still an issuing request (GET: 405, not a check's 401/403/200).
        r = e2elib.Response(e2elib.fcgi_request(app.sock, {
            "REQUEST_METHOD": "GET", "REQUEST_URI": "/cam-1/index.m3u8",
            "HTTP_STREAMTOKEN_MODE": "verify",
            "HTTP_AUTHORIZATION": "Bearer " + site.api_token}))
        expect_eq(r.status, 405, "status (%s)" % r.describe())
    t.case("client_header_cannot_make_a_check", mode_header_is_not_the_param)

    def mode_other_value_is_issuing():
        r = e2elib.Response(e2elib.fcgi_request(app.sock, {
            "REQUEST_METHOD": "GET", "STREAMTOKEN_MODE": "Verify",
            "REQUEST_URI": "/lobby/index.m3u8"}))
        expect_eq(r.status, 405, "status")
    t.case("streamtoken_mode_must_be_exactly_verify",
           mode_other_value_is_issuing)

    # ---- streamtoken verify --url ----
    with open(site.ini) as f:
        ini_text = f.read()
    route_ini = site.write("route.ini", ini_text + (
        "\n[route vod]\npattern = ^/vod/([a-z0-9-]+)/([0-9]+)-([0-9]+)"
        "\\.mp4$\nstream = 1\nfrom = 2\nduration = 3\npermission = copy\n"))

    def cli(url, token, ini=None):
        r = e2elib.run([site.bin, "verify", "-c", ini or site.ini, "--url",
                        url, token], env=e2elib.base_env())
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def cli_case(name, url, token, rc, lines, ini=None, absent=()):
        def check():
            got_rc, out, err = cli(url, token, ini)
            expect_eq(got_rc, rc, "exit status (out %r err %r)" % (out, err))
            for ln in lines:
                expect(ln in out.splitlines(), "no line %r in %r" % (ln, out))
            for ln in absent:
                expect(ln not in out, "%r in %r" % (ln, out))
            expect(token not in out + err or len(token) < 20,
                   "the token is echoed")
        t.case("verify_url_" + name, check)

    cli_case("allowed_names_route", "/cam-1/index.m3u8", live, 0,
             ["route:  live-playlist (built-in)", "stream: cam-1",
              "needs:  live", "decision: 200 allowed", "sub:  cam-1"])
    cli_case("refused_names_permission_rule",
             "/cam-1/archive-%d-60.mp4" % checklib.FROM, live, 1,
             ["route:  download (built-in)", "needs:  copy",
              "window: %d .. %d" % (checklib.FROM, checklib.FROM + 60),
              "decision: 403 token does not grant copy"])
    win = site.mint("cam-1", "--dvr", "--from", str(checklib.FROM), "--to",
                    str(checklib.FROM + 100))
    cli_case("refused_names_window_rule",
             "/cam-1/index-%d-200.m3u8" % checklib.FROM, win, 1,
             ["route:  dvr-playlist (built-in)",
              "decision: 403 requested time is outside the token's window"])
    cli_case("refused_other_stream", "/cam-2/seg-1.ts", live, 1,
             ["route:  segment (built-in)", "needs:  live or dvr",
              "decision: 403 token is for another stream"])
    cli_case("forged_names_signature", "/cam-1/index.m3u8", forged, 1,
             ["route:  live-playlist (built-in)",
              "decision: 401 bad signature"], absent=["sub:"])
    cli_case("expired", "/cam-1/index.m3u8", expired, 1,
             ["decision: 401 token expired"])
    cli_case("unrouted", "/cam-1/index.html", live, 1,
             ["decision: 403 no route matches the URL"], absent=["route:"])
    cli_case("unknown_stream", "/zoo/index.m3u8", live, 1,
             ["stream: zoo", "decision: 403 stream not configured"])
    cli_case("public", "/lobby/index.m3u8", "x", 0,
             ["decision: 200 public stream"])
    cli_case("traversal", "/cam-1/%2e%2e/cam-2/index.m3u8", live, 1,
             ["decision: 403 URL path refused (encoding or traversal)"])
    vod = site.mint("cam-1", "--copy")
    cli_case("config_route_named", "/vod/cam-1/%d-30.mp4" % checklib.FROM,
             vod, 0, ["route:  vod", "needs:  copy",
                      "window: %d .. %d" % (checklib.FROM,
                                            checklib.FROM + 30),
                      "decision: 200 allowed"], ini=route_ini,
             absent=["vod (built-in)"])


if __name__ == "__main__":
    main()
