"""End-to-end: the issuing API (SPEC 2.1-2.3, 3) through cgi-fcgi against the
real binary as a FastCGI application, hostile input included.  TAP output."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("cgi-fcgi")

t = L.Tap()
setup = L.Setup("issue")
sb = setup.sb
AUTH = "Bearer " + setup.token
NARROW = "Bearer " + setup.narrow_token
SECRET = setup.secret
jtis = set()
header_violations = []
srv = setup.start()
PID = srv.pid


def rpc(payload, auth=AUTH, **kw):
    r = srv.rpc(payload, auth=auth, **kw)
    note_headers(r)
    return r


def note_headers(r):
    """SPEC 2.1: every response with a body is JSON and no-store."""
    if r.body and (r.header("content-type") != "application/json" or
                   r.header("cache-control") != "no-store"):
        header_violations.append(r.describe())


def call(method="Auth.CreateAccessToken", params=None, id=1, **kw):
    msg = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    if id is not Ellipsis:
        msg["id"] = id
    return rpc(msg, **kw)


def expect_error(r, status, code, param=None, id=None):
    expect(r.parse_error is None, r.describe())
    expect_eq(r.status, status, "HTTP status (%s)" % r.describe())
    try:
        j = r.json()
    except ValueError:
        raise L.CaseFailed("body is not JSON: " + r.describe())
    expect(isinstance(j, dict), "not a single response: %r" % j)
    expect_eq(j.get("jsonrpc"), "2.0", "jsonrpc")
    expect("result" not in j, "error response has a result: %r" % j)
    expect_eq(j.get("error", {}).get("code"), code, "error.code in %r" % j)
    expect(isinstance(j["error"].get("message"), str), "error.message")
    expect_eq(j.get("id", "MISSING"), id, "id")
    if param is not None:
        data = j["error"].get("data")
        expect(isinstance(data, dict), "no error.data in %r" % j)
        expect_eq(data.get("param"), param, "error.data.param")
        expect(isinstance(data.get("reason"), str) and data["reason"],
               "error.data.reason")
    return j


def expect_token(r, sub, azp="backend", id=1, **claims):
    expect(r.parse_error is None, r.describe())
    expect_eq(r.status, 200, "HTTP status (%s)" % r.describe())
    j = r.json()
    expect_eq(set(j), {"jsonrpc", "result", "id"}, "response members")
    expect_eq(j["jsonrpc"], "2.0", "jsonrpc")
    expect_eq(j["id"], id, "id")
    return L.check_token(j["result"], SECRET, sub, azp, jtis=jtis, **claims)


# ------------------------------------------------------------ success --

def named_all_params():
    now = int(time.time())
    r = call(params={"stream": "cam-1", "ttl": 600, "live": True,
                     "dvr": True, "copy": True, "from": now - 3600,
                     "to": now})
    expect_token(r, "cam-1", ttl=600, live=True, dvr=True, copy=True,
                 frm=now - 3600, to=now)


def positional_all_params():
    r = call(params=["cam-1", 120, True, False, True, 1000, 2000], id=7)
    expect_token(r, "cam-1", id=7, ttl=120, live=True, copy=True, frm=1000,
                 to=2000)


def positional_stream_only():
    expect_token(call(params=["cam-1"]), "cam-1")


def alias_create_api_token():
    r = call("Auth.CreateApiToken", {"stream": "cam-1", "dvr": True},
             id="abc")
    expect_token(r, "cam-1", id="abc", dvr=True)


def all_defaults():
    # ttl = default_ttl 3600, live/dvr/copy false, from/to absent.
    expect_token(call(params={"stream": "cam-1"}), "cam-1", ttl=3600)


def ttl_zero_has_no_exp():
    expect_token(call(params={"stream": "cam-1", "ttl": 0}), "cam-1", ttl=0)


def ttl_max_u32_accepted():
    expect_token(call(params={"stream": "cam-1", "ttl": 4294967295}),
                 "cam-1", ttl=4294967295)


def from_only():
    expect_token(call(params={"stream": "cam-1", "from": 5, "dvr": True}),
                 "cam-1", dvr=True, frm=5)


def to_only():
    expect_token(call(params={"stream": "cam-1", "to": 5}), "cam-1", to=5)


def from_equals_to():
    expect_token(call(params={"stream": "cam-1", "from": 9, "to": 9}),
                 "cam-1", frm=9, to=9)


def glob_stream_section():
    expect_token(call(params={"stream": "cam-42", "ttl": 7200}), "cam-42",
                 ttl=7200)


def id_null_is_a_request():
    expect_token(call(params={"stream": "cam-1"}, id=None), "cam-1", id=None)


def id_string_and_float():
    expect_token(call(params={"stream": "cam-1"}, id="x-1"), "cam-1",
                 id="x-1")
    expect_token(call(params={"stream": "cam-1"}, id=2.5), "cam-1", id=2.5)


def content_type_with_charset():
    r = call(params={"stream": "cam-1"},
             content_type="application/json; charset=utf-8")
    expect_token(r, "cam-1")
    r = call(params={"stream": "cam-1"}, content_type="Application/JSON")
    expect_token(r, "cam-1")


def narrow_client_in_its_streams():
    expect_token(call(params={"stream": "cam-9"}, auth=NARROW), "cam-9",
                 azp="narrow")


def bearer_scheme_case_insensitive():
    expect_token(call(params={"stream": "cam-1"},
                      auth="bearer " + setup.token), "cam-1")


def allowed_permission_on_limited():
    expect_token(call(params={"stream": "limited", "live": True, "ttl": 600}),
                 "limited", live=True, ttl=600)


for name, fn in [
        ("success_named_all_params", named_all_params),
        ("success_positional_all_params", positional_all_params),
        ("success_positional_stream_only", positional_stream_only),
        ("success_alias_Auth.CreateApiToken", alias_create_api_token),
        ("success_all_defaults", all_defaults),
        ("success_ttl_0_no_exp_claim", ttl_zero_has_no_exp),
        ("success_ttl_4294967295", ttl_max_u32_accepted),
        ("success_from_only_claim", from_only),
        ("success_to_only_claim", to_only),
        ("success_from_equals_to", from_equals_to),
        ("success_glob_stream_section_max_ttl_edge", glob_stream_section),
        ("success_id_null_echoed", id_null_is_a_request),
        ("success_id_string_and_number_echoed", id_string_and_float),
        ("success_content_type_parameters_and_case", content_type_with_charset),
        ("success_client_streams_glob_and_azp", narrow_client_in_its_streams),
        ("success_bearer_scheme_case_insensitive",
         bearer_scheme_case_insensitive),
        ("success_allowed_permission_limited_stream",
         allowed_permission_on_limited)]:
    t.case(name, fn)

# ----------------------------------------------------------- HTTP layer --

GOOD = json.dumps({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                   "params": {"stream": "cam-1"}, "id": 1})


def http_405(method):
    def check():
        r = rpc(GOOD, method=method)
        expect_error(r, 405, -32600)
        expect_eq(r.header("allow"), "POST", "Allow header")
    return check


def http_415(ct):
    def check():
        expect_error(rpc(GOOD, content_type=ct), 415, -32600)
    return check


def http_413_not_parsed():
    # Over max_body and not JSON: 413, never a -32700 from parsing it.
    r = rpc(b"\xff{" * 40000)
    expect_error(r, 413, -32600)


def http_413_valid_json():
    big = json.dumps({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                      "params": {"stream": "cam-1"}, "id": "x" * 70000})
    expect_error(rpc(big), 413, -32600)


def http_max_body_edge():
    # Exactly max_body (65536) is allowed: pad a valid request with spaces.
    body = GOOD + " " * (65536 - len(GOOD))
    expect_eq(len(body), 65536, "body length")
    expect_token(rpc(body), "cam-1")


def http_401_no_credentials(auth):
    def check():
        r = rpc(GOOD, auth=auth)
        expect_error(r, 401, -32000)
        expect_eq(r.header("www-authenticate"), 'Bearer realm="streamtoken"',
                  "WWW-Authenticate")
    return check


def http_401_invalid_token(auth):
    def check():
        r = rpc(GOOD, auth=auth)
        expect_error(r, 401, -32000)
        expect_eq(r.header("www-authenticate"),
                  'Bearer realm="streamtoken", error="invalid_token"',
                  "WWW-Authenticate")
    return check


def http_401_before_parse():
    r = rpc(b"not json", auth=None)
    expect_error(r, 401, -32000)


def http_403_forbidden():
    r = call(params={"stream": "other-1"}, auth=NARROW, id=3)
    expect_error(r, 403, -32003, id=3)


def http_403_hides_existence():
    # A stream outside the client's patterns: 403 whether or not it exists.
    r = call(params={"stream": "no-such-stream"}, auth=NARROW, id=4)
    expect_error(r, 403, -32003, id=4)


for name, fn in [
        ("http_405_GET_allow_post", http_405("GET")),
        ("http_405_PUT_allow_post", http_405("PUT")),
        ("http_405_lowercase_post", http_405("post")),
        ("http_415_text_plain", http_415("text/plain")),
        ("http_415_missing_content_type", http_415(None)),
        ("http_415_application_jsonx", http_415("application/jsonx")),
        ("http_413_body_not_parsed", http_413_not_parsed),
        ("http_413_valid_json_too_large", http_413_valid_json),
        ("http_body_exactly_max_body_accepted", http_max_body_edge),
        ("http_401_no_authorization", http_401_no_credentials(None)),
        ("http_401_basic_scheme_is_no_bearer",
         http_401_no_credentials("Basic dXNlcjpwYXNz")),
        ("http_401_unknown_bearer_invalid_token",
         http_401_invalid_token("Bearer " + "A" * 43)),
        ("http_401_empty_bearer_invalid_token",
         http_401_invalid_token("Bearer ")),
        ("http_401_token_sha256_as_bearer_refused",
         http_401_invalid_token("Bearer " + setup.sha)),
        ("http_401_checked_before_body_parse", http_401_before_parse),
        ("http_403_client_streams_exclude", http_403_forbidden),
        ("http_403_does_not_reveal_stream_existence",
         http_403_hides_existence)]:
    t.case(name, fn)

# --------------------------------------------------- JSON-RPC errors --


def env_err(body, code, id=None):
    return lambda: expect_error(rpc(body), 400, code, id=id)


for name, body, code, id in [
        ("rpc_parse_error_-32700", "{\"jsonrpc\": \"2.0\",", -32700, None),
        ("rpc_parse_error_empty_body", "", -32700, None),
        ("rpc_jsonrpc_1.0_-32600_id_echoed",
         '{"jsonrpc":"1.0","method":"Auth.CreateAccessToken","id":5}',
         -32600, 5),
        ("rpc_jsonrpc_missing_-32600",
         '{"method":"Auth.CreateAccessToken","id":6}', -32600, 6),
        ("rpc_jsonrpc_number_-32600",
         '{"jsonrpc":2.0,"method":"Auth.CreateAccessToken","id":6}',
         -32600, 6),
        ("rpc_jsonrpc_2.0_with_NUL_-32600",
         '{"jsonrpc":"2.0\\u0000","method":"Auth.CreateAccessToken","id":6}',
         -32600, 6),
        ("rpc_method_not_string_-32600",
         '{"jsonrpc":"2.0","method":12,"id":"m"}', -32600, "m"),
        ("rpc_method_missing_-32600", '{"jsonrpc":"2.0","id":8}', -32600, 8),
        ("rpc_params_string_-32600",
         '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
         '"params":"cam-1","id":9}', -32600, 9),
        ("rpc_id_object_-32600_id_null",
         '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
         '"params":{"stream":"cam-1"},"id":{"a":1}}', -32600, None),
        ("rpc_id_bool_-32600_id_null",
         '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
         '"params":{"stream":"cam-1"},"id":true}', -32600, None),
        ("rpc_request_string_not_object_-32600", '"x"', -32600, None),
        ("rpc_unknown_method_-32601",
         '{"jsonrpc":"2.0","method":"Auth.Nope","id":10}', -32601, 10),
        ("rpc_method_name_case_sensitive_-32601",
         '{"jsonrpc":"2.0","method":"auth.createaccesstoken",'
         '"params":{"stream":"cam-1"},"id":11}', -32601, 11)]:
    t.case(name, env_err(body, code, id))

# Regression: a bare JSON scalar used to get -32700 (the tokener never saw
# the end of the number).
t.case("rpc_request_bare_number_-32600", env_err("42", -32600))
t.case("rpc_request_bare_true_-32600", env_err("true", -32600))
t.case("rpc_request_bare_number_trailing_space_-32600",
       env_err("42 ", -32600))


def param_err(params, param, code=-32602, status=400):
    def check():
        r = rpc('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
                '"params":%s,"id":"p"}' % params)
        expect_error(r, status, code, param=param if code == -32602 else None,
                     id="p")
    return check


for name, params, param in [
        ("stream_missing", '{}', "stream"),
        ("stream_missing_empty_array", '[]', "stream"),
        ("stream_number", '{"stream":5}', "stream"),
        ("stream_null", '{"stream":null}', "stream"),
        ("stream_empty", '{"stream":""}', "stream"),
        ("stream_slash", '{"stream":"cam/1"}', "stream"),
        ("stream_glob_chars", '{"stream":"cam-*"}', "stream"),
        ("stream_129_chars", '{"stream":"%s"}' % ("c" * 129), "stream"),
        ("stream_embedded_NUL", '{"stream":"cam-1\\u0000x"}', "stream"),
        ("ttl_string", '{"stream":"cam-1","ttl":"3600"}', "ttl"),
        ("ttl_fraction", '{"stream":"cam-1","ttl":3600.5}', "ttl"),
        ("ttl_negative", '{"stream":"cam-1","ttl":-1}', "ttl"),
        # -0 would otherwise read as 0: an unlimited token.
        ("ttl_minus_zero", '{"stream":"cam-1","ttl":-0}', "ttl"),
        ("ttl_exponent_1e3", '{"stream":"cam-1","ttl":1e3}', "ttl"),
        ("ttl_3600.0", '{"stream":"cam-1","ttl":3600.0}', "ttl"),
        ("ttl_4294967296", '{"stream":"cam-1","ttl":4294967296}', "ttl"),
        ("ttl_int64_max_plus", '{"stream":"cam-1","ttl":9223372036854775808}',
         "ttl"),
        ("ttl_huge_20_digits",
         '{"stream":"cam-1","ttl":99999999999999999999999}', "ttl"),
        ("ttl_bool", '{"stream":"cam-1","ttl":true}', "ttl"),
        ("live_1", '{"stream":"cam-1","live":1}', "live"),
        ("live_string_true", '{"stream":"cam-1","live":"true"}', "live"),
        ("dvr_null", '{"stream":"cam-1","dvr":null}', "dvr"),
        ("copy_0", '{"stream":"cam-1","copy":0}', "copy"),
        ("from_negative", '{"stream":"cam-1","from":-5}', "from"),
        ("to_fraction", '{"stream":"cam-1","to":1.5}', "to"),
        ("unknown_param_tll", '{"stream":"cam-1","tll":60}', "tll"),
        ("ten_positional", '["cam-1",60,true,true,true,1,2,"203.0.113.7",0,3]',
         "params"),
        ("positional_ip_not_an_address", '["cam-1",60,true,false,false,0,0,"x"]',
         "ip"),
        ("positional_wrong_type", '["cam-1","60"]', "ttl"),
        ("to_before_from", '{"stream":"cam-1","from":2000,"to":1000}', "to"),
        ("ttl_over_stream_max_ttl", '{"stream":"limited","ttl":601}', "ttl"),
        ("ttl_0_under_stream_max_ttl", '{"stream":"limited","ttl":0}', "ttl"),
        ("ttl_over_glob_max_ttl", '{"stream":"cam-7","ttl":7201}', "ttl"),
        ("dvr_not_allowed", '{"stream":"limited","dvr":true,"ttl":60}', "dvr"),
        ("copy_not_allowed", '{"stream":"limited","copy":true,"ttl":60}',
         "copy")]:
    t.case("params_-32602_" + name, param_err(params, param))

t.case("stream_not_found_-32001", param_err('{"stream":"nosuch"}', None,
                                            -32001))
t.case("stream_not_private_-32002", param_err('{"stream":"lobby"}', None,
                                              -32002))


def no_param_data_on_other_errors():
    j = expect_error(call(params={"stream": "nosuch"}), 400, -32001, id=1)
    expect("data" not in j["error"] or j["error"]["data"] is None,
           "unexpected error.data %r" % j["error"])


t.case("stream_not_found_has_no_param_data", no_param_data_on_other_errors)

# A second server: allow_unlimited = no, server-wide max_ttl.
strict = L.Setup("strict", server_extra="allow_unlimited = no\n"
                 "default_ttl = 60\nmax_ttl = 100\nmax_batch = 3\n"
                 "max_body = 1024\n", issuer="")
strict_srv = strict.start()


def strict_rpc(params, id=1, **kw):
    r = strict_srv.rpc({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                        "params": params, "id": id},
                       auth="Bearer " + strict.token, **kw)
    note_headers(r)
    return r


def strict_ttl0_refused():
    expect_error(strict_rpc({"stream": "cam-1", "ttl": 0}), 400, -32602,
                 param="ttl", id=1)


def strict_server_max_ttl():
    expect_error(strict_rpc({"stream": "cam-1", "ttl": 101}), 400, -32602,
                 param="ttl", id=1)
    r = strict_rpc({"stream": "cam-1", "ttl": 100})
    expect_eq(r.status, 200, r.describe())
    L.check_token(r.json()["result"], strict.secret, "cam-1", "backend",
                  ttl=100, iss=None, jtis=jtis)


def strict_defaults_and_no_iss():
    r = strict_rpc({"stream": "cam-1"})
    expect_eq(r.status, 200, r.describe())
    L.check_token(r.json()["result"], strict.secret, "cam-1", "backend",
                  ttl=60, iss=None, jtis=jtis)


def strict_max_batch_config():
    one = {"jsonrpc": "2.0", "method": "Auth.Nope", "id": 1}
    r = strict_srv.rpc([one] * 3, auth="Bearer " + strict.token)
    expect_eq(r.status, 200, r.describe())
    expect_eq(len(r.json()), 3, "responses")
    r = strict_srv.rpc([one] * 4, auth="Bearer " + strict.token)
    expect_error(r, 400, -32600)


def strict_max_body_config():
    r = strict_srv.rpc(" " * 1025, auth="Bearer " + strict.token)
    expect_error(r, 413, -32600)


t.case("config_allow_unlimited_no_refuses_ttl_0", strict_ttl0_refused)
t.case("config_server_max_ttl_caps_ttl", strict_server_max_ttl)
t.case("config_default_ttl_and_no_issuer_no_iss_claim",
       strict_defaults_and_no_iss)
t.case("config_max_batch_honoured", strict_max_batch_config)
t.case("config_max_body_honoured", strict_max_body_config)

# ----------------------------------------------- notifications, batch --


def notification_204():
    r = call(params={"stream": "cam-1"}, id=Ellipsis)
    expect(r.parse_error is None, r.describe())
    expect_eq(r.status, 204, "status")
    expect_eq(r.body, b"", "body")


def notification_error_204():
    r = call("Auth.Nope", id=Ellipsis)
    expect_eq(r.status, 204, "status: " + r.describe())
    expect_eq(r.body, b"", "body")


def batch_mixed():
    now = int(time.time())
    batch = [
        {"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
         "params": {"stream": "cam-1", "live": True}, "id": "a"},
        {"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
         "params": {"stream": "cam-1"}},
        {"jsonrpc": "2.0", "method": "Auth.CreateApiToken",
         "params": {"stream": "cam-1", "ttl": "x"}, "id": "b"},
        {"jsonrpc": "2.0", "method": "Auth.Nope", "id": "c"},
        {"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
         "params": {"stream": "nosuch"}, "id": "d"},
        {"jsonrpc": "1.0", "method": "Auth.CreateAccessToken", "id": "e"},
        7,
    ]
    r = rpc(json.dumps(batch))
    expect_eq(r.status, 200, "status: " + r.describe())
    arr = r.json()
    expect(isinstance(arr, list), "not an array: %r" % arr)
    expect_eq(len(arr), 6, "responses (notification dropped)")
    by_id = {}
    nulls = []
    for m in arr:
        expect_eq(m.get("jsonrpc"), "2.0", "member jsonrpc")
        if m.get("id") is None:
            nulls.append(m)
        else:
            by_id[m["id"]] = m
    L.check_token(by_id["a"]["result"], SECRET, "cam-1", "backend", live=True,
                  now=now, jtis=jtis)
    expect_eq(by_id["b"]["error"]["code"], -32602, "b code")
    expect_eq(by_id["b"]["error"]["data"]["param"], "ttl", "b param")
    expect_eq(by_id["c"]["error"]["code"], -32601, "c code")
    expect_eq(by_id["d"]["error"]["code"], -32001, "d code")
    expect_eq(by_id["e"]["error"]["code"], -32600, "e code")
    expect_eq([m["error"]["code"] for m in nulls], [-32600], "non-object")


def batch_forbidden_member_200():
    r = rpc(json.dumps([{"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                         "params": {"stream": "other-1"}, "id": 1}]),
            auth=NARROW)
    expect_eq(r.status, 200, "status: " + r.describe())
    expect_eq(r.json()[0]["error"]["code"], -32003, "code")


def batch_all_notifications():
    n = {"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
         "params": {"stream": "cam-1"}}
    r = rpc(json.dumps([n, n, {"jsonrpc": "2.0", "method": "Auth.Nope"}]))
    expect_eq(r.status, 204, "status: " + r.describe())
    expect_eq(r.body, b"", "body")


def batch_empty():
    expect_error(rpc("[]"), 400, -32600)


def batch_too_large():
    one = {"jsonrpc": "2.0", "method": "Auth.Nope", "id": 1}
    expect_error(rpc(json.dumps([one] * 101)), 400, -32600)


def batch_max():
    ones = [{"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
             "params": {"stream": "cam-1"}, "id": i} for i in range(100)]
    r = rpc(json.dumps(ones))
    expect_eq(r.status, 200, "status: " + r.describe()[:300])
    arr = r.json()
    expect_eq(sorted(m["id"] for m in arr), list(range(100)), "ids")
    for m in arr:
        L.check_token(m["result"], SECRET, "cam-1", "backend", jtis=jtis)


def batch_nested_array():
    r = rpc("[[]]")
    expect_eq(r.status, 200, "status: " + r.describe())
    arr = r.json()
    expect_eq(len(arr), 1, "one response")
    expect_eq(arr[0]["error"]["code"], -32600, "code")
    expect_eq(arr[0]["id"], None, "id")


for name, fn in [("notification_success_204_no_body", notification_204),
                 ("notification_error_204_no_body", notification_error_204),
                 ("batch_mixed_200_array", batch_mixed),
                 ("batch_member_forbidden_still_200",
                  batch_forbidden_member_200),
                 ("batch_all_notifications_204", batch_all_notifications),
                 ("batch_empty_single_-32600", batch_empty),
                 ("batch_over_max_batch_single_-32600", batch_too_large),
                 ("batch_exactly_max_batch_100_tokens", batch_max),
                 ("batch_nested_array_member_-32600", batch_nested_array)]:
    t.case(name, fn)

# -------------------------------------------------------- hostile input --


def deep(n, o="[", c="]"):
    return o * n + c * n


def still_alive(r):
    expect(srv.alive(), "process died (pid %d): %s" % (PID, r.describe()))
    expect(r.parse_error is None, "no CGI response: " + r.describe())


def hostile(body, status=400, code=-32700, id=None, **kw):
    def check():
        r = rpc(body, **kw)
        still_alive(r)
        if status is not None:
            expect_error(r, status, code, id=id)
    return check


def hostile_deep_in_params():
    body = ('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
            '"params":{"stream":%s},"id":1}' % deep(10000))
    r = rpc(body)
    still_alive(r)
    expect_error(r, 400, -32700)


def hostile_huge_id():
    body = ('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
            '"params":{"stream":"cam-1"},"id":%s}' % ("9" * 400))
    r = rpc(body)
    still_alive(r)
    expect(r.status in (200, 400), r.describe())
    r.json()  # whatever the answer, it is valid JSON


def hostile_exponent_id():
    body = ('{"jsonrpc":"2.0","method":"Auth.Nope","id":1e999}')
    r = rpc(body)
    still_alive(r)
    expect(r.status in (400,), r.describe())
    r.json()


def hostile_long_method():
    r = call("A" * 60000, id=1)
    still_alive(r)
    expect_error(r, 400, -32601, id=1)


def hostile_many_params():
    params = {"p%d" % i: i for i in range(3000)}
    params["stream"] = "cam-1"
    r = call(params=params)
    still_alive(r)
    expect_error(r, 400, -32602, id=1)


def hostile_long_bearer():
    r = rpc(GOOD, auth="Bearer " + "A" * 60000)
    still_alive(r)
    expect_error(r, 401, -32000)


def hostile_bearer_control_chars():
    r = rpc(GOOD, auth="Bearer " + setup.token + "\x01")
    still_alive(r)
    expect_error(r, 401, -32000)


def hostile_truncated_body():
    # CONTENT_LENGTH larger than the body: cgi-fcgi sends what there is.
    r = rpc(GOOD, content_length=str(len(GOOD) + 50))
    still_alive(r)
    expect_error(r, 400, -32600)


def hostile_cl_smaller_cuts_json():
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length="20"),
                        GOOD.encode())
    note_headers(r)
    still_alive(r)
    expect_error(r, 400, -32700)


def hostile_cl_smaller_extra_ignored():
    # The body is CONTENT_LENGTH bytes; bytes beyond it are not part of it.
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length=str(len(GOOD))),
                        GOOD.encode() + b"GARBAGE" * 1000)
    note_headers(r)
    still_alive(r)
    expect_token(r, "cam-1")


def hostile_cl_larger_raw():
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length="60000"),
                        GOOD.encode())
    note_headers(r)
    still_alive(r)
    expect_error(r, 400, -32600)


def hostile_cl_not_a_number(cl):
    def check():
        r = srv.raw_request(L.cgi_env(auth=AUTH, content_length=cl),
                            GOOD.encode())
        note_headers(r)
        still_alive(r)
        expect_error(r, 400, -32600)
    return check


def hostile_cl_huge():
    r = srv.raw_request(L.cgi_env(auth=AUTH,
                                  content_length="99999999999999999999999"),
                        GOOD.encode())
    note_headers(r)
    still_alive(r)
    expect(r.status in (400, 413), r.describe())


def hostile_no_cl_oversized():
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length=False),
                        b" " * 200000, chunk=4096)
    note_headers(r)
    still_alive(r)
    expect_error(r, 413, -32600)


def hostile_no_cl_small_body():
    # Without CONTENT_LENGTH the body is read to its end (under max_body).
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length=False),
                        GOOD.encode())
    note_headers(r)
    still_alive(r)
    expect_token(r, "cam-1")


def hostile_fragmented_stdin():
    r = srv.raw_request(L.cgi_env(auth=AUTH, content_length=str(len(GOOD))),
                        GOOD.encode(), chunk=1)
    note_headers(r)
    still_alive(r)
    expect_token(r, "cam-1")


def hostile_oversized_body_10mb():
    r = rpc(b"[" * (10 * 1024 * 1024))
    still_alive(r)
    expect_error(r, 413, -32600)


def same_process_still_serves():
    r = call(params={"stream": "cam-1", "live": True}, id="final")
    expect_eq(srv.pid, PID, "pid")
    expect(srv.alive(), "process gone")
    expect_token(r, "cam-1", id="final", live=True)
    expect(f"streamtoken[{PID}]" in srv.log_text(), "log lines of the pid")


for name, fn in [
        ("hostile_10000_deep_arrays", hostile(deep(10000))),
        ("hostile_10000_deep_objects",
         hostile('{"a":' * 10000 + "1" + "}" * 10000)),
        ("hostile_10000_deep_inside_params", hostile_deep_in_params),
        ("hostile_33_deep_arrays", hostile(deep(33))),
        ("hostile_huge_number_id", hostile_huge_id),
        ("hostile_exponent_overflow_id", hostile_exponent_id),
        ("hostile_invalid_utf8_in_string",
         hostile(b'{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
                 b'"params":{"stream":"cam-\xff\xfe"},"id":1}')),
        # RFC 8259 §8.2 / RFC 7493 §2.1: an unpaired surrogate escape names
        # no character; it is refused as not JSON.
        ("hostile_lone_surrogate_escape",
         hostile('{"jsonrpc":"2.0","method":"Auth.\\ud800","id":1}')),
        ("hostile_NUL_byte_in_body",
         hostile(b'{"jsonrpc":"2.0","method":"Auth.CreateAccessToken"\0,'
                 b'"params":{"stream":"cam-1"},"id":1}')),
        ("hostile_NUL_after_json", hostile(GOOD.encode() + b"\0")),
        ("hostile_garbage_after_json", hostile(GOOD + "xyz")),
        ("hostile_two_json_values", hostile(GOOD + GOOD)),
        ("hostile_trailing_comma",
         hostile('{"jsonrpc":"2.0","method":"Auth.Nope","id":1,}')),
        ("hostile_single_quotes",
         hostile("{'jsonrpc':'2.0','method':'Auth.Nope','id':1}")),
        ("hostile_comment_in_json",
         hostile('/*x*/{"jsonrpc":"2.0","method":"Auth.Nope","id":1}')),
        ("hostile_long_method_name", hostile_long_method),
        ("hostile_3000_unknown_params", hostile_many_params),
        ("hostile_60k_bearer_token", hostile_long_bearer),
        ("hostile_bearer_with_control_char", hostile_bearer_control_chars),
        ("hostile_truncated_body_cl_larger", hostile_truncated_body),
        ("hostile_cl_larger_raw_fastcgi", hostile_cl_larger_raw),
        ("hostile_cl_smaller_cuts_json", hostile_cl_smaller_cuts_json),
        ("hostile_cl_smaller_rest_ignored", hostile_cl_smaller_extra_ignored),
        ("hostile_cl_negative", hostile_cl_not_a_number("-5")),
        ("hostile_cl_not_digits", hostile_cl_not_a_number("12abc")),
        ("hostile_cl_huge", hostile_cl_huge),
        ("hostile_no_cl_oversized_body", hostile_no_cl_oversized),
        ("hostile_no_cl_small_body_read_to_end", hostile_no_cl_small_body),
        ("hostile_stdin_in_1_byte_records", hostile_fragmented_stdin),
        ("hostile_oversized_body_10MB", hostile_oversized_body_10mb),
        ("after_hostile_same_pid_still_serves", same_process_still_serves)]:
    t.case(name, fn)

# Regression: json-c's UTF-8 check let overlong forms, UTF-8 surrogates and
# code points above U+10FFFF through.
for name, seq in [("overlong", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"),
                  ("above_10FFFF", b"\xf4\x90\x80\x80")]:
    t.case("hostile_invalid_utf8_" + name + "_-32700",
           hostile(b'{"jsonrpc":"2.0","method":"' + seq + b'","id":1}'))

# Regression: json-c accepted NaN/Infinity even with JSON_TOKENER_STRICT.
for lit in ("NaN", "Infinity", "-Infinity"):
    t.case("hostile_%s_ttl_-32700" % lit,
           hostile('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
                   '"params":{"stream":"cam-1","ttl":%s},"id":1}' % lit))


def nan_id_response_is_json():
    r = rpc('{"jsonrpc":"2.0","method":"Auth.Nope","id":NaN}')
    still_alive(r)
    r.json()  # raises on "id":NaN, which no JSON parser has to accept
    expect_error(r, 400, -32700)


t.case("hostile_NaN_id_response_is_valid_json", nan_id_response_is_json)
t.case("after_hostile_same_pid_still_serves_again", same_process_still_serves)

# ------------------------------------------------------------- overall --


def every_body_json_no_store():
    expect(not header_violations, "\n".join(header_violations[:5]))


def jti_unique():
    expect(len(jtis) >= 120, "only %d tokens checked" % len(jtis))


def sigterm_exit_0():
    for s in (srv, strict_srv):
        rc = s.stop()
        expect_eq(rc, 0, "exit status of pid %d" % s.pid)


t.case("every_body_has_json_content_type_and_no_store",
       every_body_json_no_store)
t.case("jti_unique_across_all_tokens", jti_unique)
t.case("sigterm_exits_0", sigterm_exit_0)
sb.logs.extend(strict.sb.logs)
sb.extra_output.extend(strict.sb.extra_output)
L.no_sanitizer_reports(t, sb)
sb.cleanup()
strict.sb.cleanup()
t.done()
