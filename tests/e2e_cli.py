"""End-to-end: the command line (SPEC 4, 5): check-config and every kind of
configuration error, -c vs STREAMTOKEN_CONFIG, the server refusing a bad
configuration, gen-secret, gen-client, mint, verify, --help/--version, and
plain CGI mode (one request from the environment and stdin).  TAP output."""

import json
import os
import re
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools()

import jwt  # noqa: E402

t = L.Tap()
setup = L.Setup("cli")
sb = setup.sb
ST = L.STREAMTOKEN
CFG = setup.config


def st(*args, env=None, input=None):
    r = L.run([ST] + list(args), env=L.base_env(**(env or {})), input=input)
    sb.extra_output.append(r.stderr.decode(errors="replace"))
    return r


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def expect_rc(r, rc, what):
    expect(r.returncode == rc, "%s: exit %d, expected %d; stdout=%r "
           "stderr=%r" % (what, r.returncode, rc, out(r)[-500:],
                          err(r)[-500:]))


# ------------------------------------------------------- check-config --

def check_config_good():
    r = st("check-config", "-c", CFG)
    expect_rc(r, 0, "check-config")
    o = out(r)
    expect("OK" in o, "no OK in summary: %r" % o)
    for word in ("media.example.com", "key main", "HS256", "client backend",
                 "client narrow", "cam-*"):
        expect(word in o, "summary lacks %r: %r" % (word, o))


def check_config_env():
    r = st("check-config", env={"STREAMTOKEN_CONFIG": CFG})
    expect_rc(r, 0, "check-config with STREAMTOKEN_CONFIG")
    expect(CFG in out(r), "summary does not name %s: %r" % (CFG, out(r)))


def check_config_c_beats_env():
    bad = sb.write("bad-env.ini", "[nope]\n")
    r = st("check-config", "-c", CFG, env={"STREAMTOKEN_CONFIG": bad})
    expect_rc(r, 0, "-c good, env bad")
    r = st("check-config", "-c", bad, env={"STREAMTOKEN_CONFIG": CFG})
    expect_rc(r, 1, "-c bad, env good")
    expect(bad + ":1:" in err(r), "error does not name -c file: %r" % err(r))


def check_config_missing_file():
    r = st("check-config", "-c", sb.path("does-not-exist.ini"))
    expect_rc(r, 1, "missing file")
    expect("does-not-exist.ini" in err(r), err(r))


t.case("check_config_good_summary", check_config_good)
t.case("check_config_uses_STREAMTOKEN_CONFIG", check_config_env)
t.case("check_config_-c_wins_over_env", check_config_c_beats_env)
t.case("check_config_missing_file_exit_1", check_config_missing_file)

# Each kind of configuration error: the text replaced/added, the line the
# error must name, and a word the message must contain.
KEYLINES = "[key main]\nsecret_file = main.key\n"
BASE_CLIENT = setup.client_lines


def cfg_text(body):
    return "[server]\nissuer = x\n" + body


def config_error(text, line, word, prepare=None):
    def check():
        name = "bad-%d.ini" % len(sb.logs + sb.extra_output)
        path = sb.write(name, text)
        if prepare:
            prepare()
        r = st("check-config", "-c", path)
        expect_rc(r, 1, "check-config")
        e = err(r).strip()
        m = re.search(r"^%s:(\d+): (.+)$" % re.escape(path), e, re.M)
        expect(m, "no FILE:LINE: message in %r" % e)
        expect_eq(int(m.group(1)), line, "line number in %r" % e)
        expect(word.lower() in m.group(2).lower(),
               "message %r lacks %r" % (m.group(2), word))
        expect(setup.secret.decode() not in e, "secret in error message")
    return check


short = sb.write("short.key", "x" * 31 + "\n", mode=0o600)
exact = sb.write("exact.key", "y" * 32 + "\n", mode=0o600)
wide = sb.write("wide.key", "z" * 40 + "\n", mode=0o644)
unreadable_dir = sb.path("nodir")

CONFIG_ERRORS = [
    ("unknown_section", cfg_text("[frobnicate]\n" + KEYLINES + BASE_CLIENT),
     3, "unknown section"),
    ("unknown_key_server", cfg_text("tll = 5\n" + KEYLINES + BASE_CLIENT), 3,
     "tll"),
    ("unknown_key_stream", cfg_text(KEYLINES + BASE_CLIENT +
                                    "[stream a]\nacess = private\n"), 9,
     "acess"),
    ("bad_value_default_ttl", cfg_text("default_ttl = 1h\n" + KEYLINES +
                                       BASE_CLIENT), 3, "default_ttl"),
    ("bad_value_negative_max_ttl", cfg_text("max_ttl = -1\n" + KEYLINES +
                                            BASE_CLIENT), 3, "max_ttl"),
    ("bad_value_max_ttl_overflow", cfg_text("max_ttl = 4294967296\n" +
                                            KEYLINES + BASE_CLIENT), 3,
     "max_ttl"),
    ("bad_value_allow_unlimited", cfg_text("allow_unlimited = maybe\n" +
                                           KEYLINES + BASE_CLIENT), 3,
     "allow_unlimited"),
    ("bad_value_access", cfg_text(KEYLINES + BASE_CLIENT +
                                  "[stream a]\naccess = secret\n"), 9,
     "access"),
    ("bad_value_allow_permission", cfg_text(KEYLINES + BASE_CLIENT +
                                            "[stream a]\nallow = live, "
                                            "watch\n"), 9, "watch"),
    ("bad_value_algorithm", cfg_text("[key main]\nalgorithm = none\n"
                                     "secret_file = main.key\n" +
                                     BASE_CLIENT), 4, "algorithm"),
    ("bad_value_token_sha256", cfg_text(KEYLINES +
                                        "[client c]\ntoken_sha256 = abc\n"),
     6, "token_sha256"),
    ("bad_stream_name", cfg_text(KEYLINES + BASE_CLIENT +
                                 "[stream a/b]\n"), 8, "stream name"),
    ("unreadable_secret_missing_file",
     cfg_text("[key main]\nsecret_file = nope.key\n" + BASE_CLIENT), 4,
     "nope.key"),
    ("short_secret_31_bytes",
     cfg_text("[key main]\nsecret_file = short.key\n" + BASE_CLIENT), 4,
     "32"),
    ("world_readable_key_file",
     cfg_text("[key main]\nsecret_file = wide.key\n" + BASE_CLIENT), 4,
     "wide.key"),
    ("secret_file_is_a_directory",
     cfg_text("[key main]\nsecret_file = nodir\n" + BASE_CLIENT), 4,
     "nodir"),
    ("duplicate_section_stream", cfg_text(KEYLINES + BASE_CLIENT +
                                          "[stream a]\n[stream a]\n"), 9,
     "duplicate"),
    ("duplicate_section_client", cfg_text(KEYLINES + BASE_CLIENT +
                                          BASE_CLIENT), 8, "duplicate"),
    ("duplicate_section_server", cfg_text(KEYLINES + "[server]\n" +
                                          BASE_CLIENT), 5, "duplicate"),
    ("duplicate_key_in_section", cfg_text("max_ttl = 5\nmax_ttl = 6\n" +
                                          KEYLINES + BASE_CLIENT), 4,
     "duplicate"),
    ("no_key_section", cfg_text(BASE_CLIENT), 5, "key"),
    ("no_client_section", cfg_text(KEYLINES), 4, "client"),
    ("key_outside_section", "issuer = x\n" + KEYLINES + BASE_CLIENT, 1,
     "issuer"),
    ("not_key_value", cfg_text("just words\n" + KEYLINES + BASE_CLIENT), 3,
     "key = value"),
    ("two_signing_keys", cfg_text(KEYLINES + "sign = yes\n[key k2]\n"
                                  "secret_file = exact.key\nsign = yes\n" +
                                  BASE_CLIENT), 6, "sign"),
]
for name, text, line, word in CONFIG_ERRORS:
    prep = (lambda: os.makedirs(unreadable_dir, exist_ok=True)) \
        if "directory" in name else None
    t.case("config_error_" + name, config_error(text, line, word, prep))


def exact_32_byte_secret_ok():
    p = sb.write("exact32.ini", cfg_text("[key main]\nsecret_file = "
                                         "exact.key\n" + BASE_CLIENT))
    expect_rc(st("check-config", "-c", p), 0, "32-byte secret")


def relative_secret_file_from_other_cwd():
    r = subprocess.run([ST, "check-config", "-c", CFG], cwd="/",
                       env=L.base_env(), capture_output=True, timeout=30)
    expect_rc(r, 0, "relative secret_file resolved against the INI folder")


t.case("config_secret_exactly_32_bytes_ok", exact_32_byte_secret_ok)
t.case("config_relative_secret_file_resolved_from_ini_folder",
       relative_secret_file_from_other_cwd)


def server_refuses(text_name, text):
    def check():
        path = sb.write(text_name, text)
        srv = L.Server(sb, path)
        try:
            rc = srv.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            raise L.CaseFailed("server kept running on a bad configuration")
        expect(rc != 0, "server exit status 0 on a bad configuration")
        log = srv.log_text()
        expect(re.search(r"%s:\d+: " % re.escape(path), log),
               "no FILE:LINE message on stderr: %r" % log)
    return check


t.case("server_refuses_to_start_unknown_key",
       server_refuses("srv-bad1.ini", cfg_text("bogus = 1\n" + KEYLINES +
                                               BASE_CLIENT)))
t.case("server_refuses_to_start_world_readable_key",
       server_refuses("srv-bad2.ini", cfg_text("[key main]\nsecret_file = "
                                               "wide.key\n" + BASE_CLIENT)))


def server_refuses_env_config():
    bad = sb.write("srv-bad3.ini", "[server]\nmax_batch = 0\n")
    srv = L.Server(sb, None, args=[], env={"STREAMTOKEN_CONFIG": bad})
    rc = srv.proc.wait(timeout=10)
    expect(rc != 0, "exit status 0")
    expect("srv-bad3.ini:2:" in srv.log_text(), srv.log_text())


def serve_without_socket_or_cgi():
    r = subprocess.run([ST, "-c", CFG], stdin=subprocess.DEVNULL,
                       env=L.base_env(), capture_output=True, timeout=30)
    sb.extra_output.append(err(r))
    expect(r.returncode != 0, "exit 0 with neither FastCGI nor CGI")
    expect(err(r).strip(), "no message on stderr")


t.case("server_refuses_bad_STREAMTOKEN_CONFIG", server_refuses_env_config)
t.case("serve_with_no_socket_and_no_cgi_vars_fails",
       serve_without_socket_or_cgi)

# ------------------------------------------------- gen-secret / client --

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def gen_secret_stdout():
    r = st("gen-secret")
    expect_rc(r, 0, "gen-secret")
    o = out(r)
    expect(o.endswith("\n"), "no trailing newline")
    expect_eq(len(o.strip()), 64, "secret length")
    expect(B64URL.match(o.strip()), "not base64url: %r" % o)
    expect(o != out(st("gen-secret")), "two secrets equal")


def gen_secret_file():
    p = sb.path("new.key")
    r = st("gen-secret", "-o", p)
    expect_rc(r, 0, "gen-secret -o")
    expect_eq(stat.S_IMODE(os.stat(p).st_mode), 0o600, "mode")
    with open(p) as f:
        s = f.read()
    expect_eq(len(s.rstrip("\n")), 64, "secret length")
    expect_eq(out(r), "", "secret also printed on stdout")


def gen_secret_no_overwrite():
    p = sb.path("keep.key")
    with open(p, "w") as f:
        f.write("precious\n")
    r = st("gen-secret", "-o", p)
    expect(r.returncode != 0, "overwrote an existing file (exit 0)")
    with open(p) as f:
        expect_eq(f.read(), "precious\n", "file content")
    expect(err(r).strip(), "no message on stderr")


def unwritable_output_fails(*args):
    # SPEC 5: a secret or token that could not be written is an error, or
    # a script would save an empty key file and carry on.
    def check():
        with open("/dev/full", "w") as full:
            r = subprocess.run([ST] + list(args), stdout=full,
                               stderr=subprocess.PIPE,
                               env=L.base_env())
        expect(r.returncode != 0, "%s > /dev/full exited 0" % " ".join(args))
        expect(r.stderr.strip(), "no message on stderr")
    return check


def gen_client_sha():
    r = st("gen-client", "cdn-backend_1.x~")
    expect_rc(r, 0, "gen-client")
    lines = out(r).splitlines()
    tok = [lines[i + 1] for i, ln in enumerate(lines)
           if ln.startswith("API token")][0]
    expect(B64URL.match(tok) and len(tok) >= 43, "token shape %r" % tok)
    expect("[client cdn-backend_1.x~]" in lines, "section line")
    sha = [ln.split("=", 1)[1].strip() for ln in lines
           if ln.startswith("token_sha256")][0]
    expect_eq(sha, L.sha256_hex(tok), "token_sha256")


def gen_client_bad_name():
    for name in ("bad name", "a/b", "x" * 129, ""):
        r = st("gen-client", name)
        expect(r.returncode != 0, "accepted name %r" % name)
    r = st("gen-client")
    expect(r.returncode != 0, "accepted no name")


def gen_client_paste_works():
    tok, sha, lines = sb.gen_client("pasted")
    path = sb.write("pasted.ini", setup.ini() + "\n" + lines)
    srv = L.Server(sb, path)
    try:
        r = srv.rpc({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                     "params": {"stream": "cam-1"}, "id": 1},
                    auth="Bearer " + tok)
        expect_eq(r.status, 200, r.describe())
        L.check_token(r.json()["result"], setup.secret, "cam-1", "pasted")
    finally:
        expect_eq(srv.stop(), 0, "exit status")


t.case("gen_secret_stdout_64_base64url", gen_secret_stdout)
t.case("gen_secret_-o_mode_0600", gen_secret_file)
t.case("gen_secret_refuses_to_overwrite", gen_secret_no_overwrite)
t.case("gen_secret_to_full_disk_fails", unwritable_output_fails("gen-secret"))
t.case("gen_client_to_full_disk_fails",
       unwritable_output_fails("gen-client", "x"))
t.case("version_to_full_disk_fails", unwritable_output_fails("--version"))
t.case("gen_client_token_sha256_matches", gen_client_sha)
t.case("gen_client_rejects_bad_names", gen_client_bad_name)
t.case("gen_client_lines_pasted_into_ini_work", gen_client_paste_works)

# ------------------------------------------------------- mint, verify --


def mint(*args, **kw):
    return st("mint", "-c", CFG, *args, **kw)


def mint_ok():
    now = int(time.time())
    r = mint("--stream", "cam-1", "--ttl", "900", "--live", "--dvr",
             "--from", "100", "--to", "200")
    expect_rc(r, 0, "mint")
    L.check_token(out(r).strip(), setup.secret, "cam-1", "cli", ttl=900,
                  live=True, dvr=True, frm=100, to=200, now=now)


def mint_defaults_and_client():
    r = mint("--stream", "cam-3", "--client", "narrow", "--copy")
    expect_rc(r, 0, "mint")
    L.check_token(out(r).strip(), setup.secret, "cam-3", "narrow", copy=True)


def mint_ttl0():
    r = mint("--stream", "cam-1", "--ttl", "0")
    expect_rc(r, 0, "mint")
    L.check_token(out(r).strip(), setup.secret, "cam-1", "cli", ttl=0)


def mint_fails(*args, word=None):
    def check():
        r = mint(*args)
        expect(r.returncode != 0, "mint %r exit 0: %r" % (args, out(r)))
        expect_eq(out(r), "", "stdout")
        expect(err(r).strip(), "no message on stderr")
        if word:
            expect(word.lower() in err(r).lower(),
                   "message %r lacks %r" % (err(r), word))
    return check


t.case("mint_token_verified_by_python_jwt", mint_ok)
t.case("mint_defaults_with_--client", mint_defaults_and_client)
t.case("mint_ttl_0_no_exp", mint_ttl0)
for name, args, word in [
        ("unknown_stream", ("--stream", "nosuch"), "not found"),
        ("public_stream", ("--stream", "lobby"), "private"),
        ("ttl_over_max_ttl", ("--stream", "limited", "--ttl", "601"), "ttl"),
        ("permission_not_allowed", ("--stream", "limited", "--ttl", "60",
                                    "--dvr"), "dvr"),
        ("to_before_from", ("--stream", "cam-1", "--from", "9", "--to", "8"),
         "to"),
        ("ttl_not_a_number", ("--stream", "cam-1", "--ttl", "1h"), "ttl"),
        ("ttl_negative", ("--stream", "cam-1", "--ttl", "-1"), "ttl"),
        ("ttl_over_u32", ("--stream", "cam-1", "--ttl", "4294967296"), "ttl"),
        ("no_stream", (), "stream"),
        ("client_forbidden", ("--stream", "other-1", "--client", "narrow"),
         "forbidden"),
        ("unknown_client", ("--stream", "cam-1", "--client", "nobody"),
         "nobody"),
        ("unexpected_argument", ("--stream", "cam-1", "extra"), None)]:
    t.case("mint_refuses_" + name, mint_fails(*args, word=word))


def mint_token():
    r = mint("--stream", "cam-1", "--ttl", "600", "--live")
    expect_rc(r, 0, "mint")
    return out(r).strip()


def verify_valid():
    tok = mint_token()
    r = st("verify", "-c", CFG, tok)
    expect_rc(r, 0, "verify")
    o = out(r)
    for word in ("cam-1", "cli", "live", "main"):
        expect(word in o, "claims output lacks %r: %r" % (word, o))
    claims = jwt.decode(tok, setup.secret, algorithms=["HS256"])
    expect(claims["jti"] in o, "jti not printed")


def pyjwt_token(azp):
    now = int(time.time())
    return jwt.encode({"sub": "cam-1", "iat": now, "exp": now + 60,
                       "jti": "abcdefghijklmnopqrstuv", "azp": azp,
                       "live": True, "dvr": False, "copy": False},
                      setup.secret, algorithm="HS256",
                      headers={"kid": "main"})


def verify_pyjwt_token():
    r = st("verify", "-c", CFG, pyjwt_token("backend"))
    expect_rc(r, 0, "verify of a python-jwt token")


def verify_refuses_unconfigured_client():
    # Issue 13: judged by the configuration as it is now, the token's azp
    # must name a client whose streams cover its stream.
    r = st("verify", "-c", CFG, pyjwt_token("ext"))
    expect_rc(r, 1, "verify of a token of an unconfigured client")
    expect(b"client is no longer configured" in r.stderr, r.stderr)


def tamper_payload(tok):
    h, p, s = tok.split(".")
    claims = json.loads(L.b64url_decode(p))
    claims["copy"] = True
    p2 = L.base64.urlsafe_b64encode(json.dumps(claims).encode()) \
        .decode().rstrip("=")
    return ".".join((h, p2, s))


def tamper_sig(tok):
    h, p, s = tok.split(".")
    return ".".join((h, p, ("A" if s[0] != "A" else "B") + s[1:]))


def none_alg(tok):
    h, p, s = tok.split(".")
    h2 = L.base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"main"}'
                                    ).decode().rstrip("=")
    return h2 + "." + p + "."


def verify_refuses(make, word=None):
    def check():
        tok = make()
        r = st("verify", "-c", CFG, tok)
        expect_rc(r, 1, "verify")
        if word:
            expect(word in err(r).lower(), "stderr %r lacks %r" % (err(r),
                                                                    word))
    return check


def expired_token():
    now = int(time.time())
    return jwt.encode({"sub": "cam-1", "iat": now - 100, "exp": now - 50,
                       "jti": "x" * 22, "azp": "a", "live": True,
                       "dvr": False, "copy": False}, setup.secret,
                      algorithm="HS256", headers={"kid": "main"})


def other_key_token():
    return jwt.encode({"sub": "cam-1", "iat": int(time.time()),
                       "live": True, "dvr": False, "copy": False},
                      b"k" * 40, algorithm="HS256", headers={"kid": "main"})


def unknown_kid_token():
    return jwt.encode({"sub": "cam-1", "iat": int(time.time()),
                       "live": True, "dvr": False, "copy": False},
                      setup.secret, algorithm="HS256",
                      headers={"kid": "other"})


def hs512_token():
    return jwt.encode({"sub": "cam-1", "iat": int(time.time()),
                       "live": True, "dvr": False, "copy": False},
                      setup.secret, algorithm="HS512",
                      headers={"kid": "main"})


t.case("verify_valid_token_exit_0_claims_printed", verify_valid)
t.case("verify_accepts_python_jwt_token", verify_pyjwt_token)
t.case("verify_refuses_token_of_unconfigured_client",
       verify_refuses_unconfigured_client)
t.case("verify_tampered_payload_exit_1",
       verify_refuses(lambda: tamper_payload(mint_token()), "signature"))
t.case("verify_tampered_signature_exit_1",
       verify_refuses(lambda: tamper_sig(mint_token()), "signature"))
t.case("verify_expired_exit_1", verify_refuses(expired_token, "expired"))
t.case("verify_alg_none_exit_1", verify_refuses(lambda: none_alg(
    mint_token())))
t.case("verify_other_secret_exit_1", verify_refuses(other_key_token,
                                                    "signature"))
t.case("verify_unknown_kid_exit_1", verify_refuses(unknown_kid_token))
t.case("verify_alg_not_the_keys_exit_1", verify_refuses(hs512_token))
t.case("verify_garbage_exit_1", verify_refuses(lambda: "not.a.token"))

# ----------------------------------------------------- help / version --

SUBS = ["check-config", "gen-secret", "gen-client", "mint", "verify"]


def help_version(sub):
    def check():
        pre = [sub] if sub else []
        for opt in ("--help", "--version"):
            r = st(*(pre + [opt]))
            expect_rc(r, 0, "%s %s" % (sub, opt))
            o = out(r)
            if opt == "--help":
                expect("usage" in o.lower(), "no usage: %r" % o)
                if sub:
                    expect(sub in o, "usage does not name %s" % sub)
            else:
                expect(re.search(r"streamtoken \d+\.\d+", o),
                       "no version: %r" % o)
    return check


t.case("help_and_version_top_level", help_version(None))
for s in SUBS:
    t.case("help_and_version_" + s, help_version(s))


def unknown_command():
    r = st("frobnicate")
    expect_rc(r, 2, "unknown command")
    expect("frobnicate" in err(r), err(r))


def unknown_option():
    expect_rc(st("--frobnicate"), 2, "unknown option")


t.case("unknown_command_exit_2", unknown_command)
t.case("unknown_top_level_option_exit_2", unknown_option)

# ------------------------------------------------------ plain CGI mode --


def cgi(body, auth="Bearer " + setup.token, **kw):
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    env = L.cgi_env(body=body, auth=auth, **kw)
    env.update(L.base_env(STREAMTOKEN_CONFIG=CFG))
    log = sb.log_path("cgi")
    with open(log, "wb") as logf:
        r = subprocess.run([ST], input=body, env=env, stdout=subprocess.PIPE,
                           stderr=logf, timeout=30)
    return L.Response(r.stdout, rc=r.returncode), log


def cgi_success():
    resp, log = cgi({"jsonrpc": "2.0", "method": "Auth.CreateApiToken",
                     "params": ["cam-1", 300, True], "id": "cgi"})
    expect_eq(resp.rc, 0, "exit status")
    expect_eq(resp.status, 200, resp.describe())
    expect_eq(resp.header("content-type"), "application/json", "type")
    expect_eq(resp.header("cache-control"), "no-store", "cache")
    j = resp.json()
    expect_eq(j["id"], "cgi", "id")
    L.check_token(j["result"], setup.secret, "cam-1", "backend", ttl=300,
                  live=True)
    with open(log) as f:
        expect("status=200" in f.read(), "no request log line")


def cgi_401():
    resp, _ = cgi({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                   "params": {"stream": "cam-1"}, "id": 1}, auth=None)
    expect_eq(resp.status, 401, resp.describe())
    expect_eq(resp.header("www-authenticate"), 'Bearer realm="streamtoken"',
              "challenge")
    expect_eq(resp.json()["error"]["code"], -32000, "code")


def cgi_405():
    resp, _ = cgi("", method="GET")
    expect_eq(resp.status, 405, resp.describe())
    expect_eq(resp.header("allow"), "POST", "Allow")


def cgi_batch_and_notification():
    resp, _ = cgi(json.dumps(
        [{"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
          "params": {"stream": "cam-1"}},
         {"jsonrpc": "2.0", "method": "Auth.Nope", "id": 2}]))
    expect_eq(resp.status, 200, resp.describe())
    expect_eq([m["id"] for m in resp.json()], [2], "ids")
    resp, _ = cgi({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                   "params": {"stream": "cam-1"}})
    expect_eq(resp.status, 204, resp.describe())
    expect_eq(resp.body, b"", "body")


def cgi_truncated():
    resp, _ = cgi('{"jsonrpc":"2.0"', content_length="500")
    expect_eq(resp.status, 400, resp.describe())
    expect_eq(resp.json()["error"]["code"], -32600, "code")


def cgi_bad_config():
    bad = sb.write("cgi-bad.ini", "[server]\nbogus = 1\n")
    env = L.cgi_env(body=b"{}", auth="Bearer x")
    env.update(L.base_env(STREAMTOKEN_CONFIG=bad))
    r = subprocess.run([ST], input=b"{}", env=env, capture_output=True,
                       timeout=30)
    sb.extra_output.append(err(r))
    expect(r.returncode != 0, "exit 0 on a bad config")
    expect("cgi-bad.ini:2:" in err(r), err(r))


t.case("cgi_mode_success_token_verified", cgi_success)
t.case("cgi_mode_401_challenge", cgi_401)
t.case("cgi_mode_405_allow_post", cgi_405)
t.case("cgi_mode_batch_and_notification", cgi_batch_and_notification)
t.case("cgi_mode_truncated_body_400", cgi_truncated)
t.case("cgi_mode_bad_config_refused", cgi_bad_config)



# The FastCGI server leaves by _exit() on SIGTERM, so LeakSanitizer only
# ever sees processes that return from main: plain CGI runs.  These walk
# every stage of the pipeline, failures included, once each under CGI.
def cgi_case(body, status, code=None, **kw):
    def check():
        resp, _ = cgi(body, **kw)
        expect_eq(resp.rc, 0, "exit status")
        expect_eq(resp.status, status, resp.describe())
        if code is not None:
            j = resp.json()
            j = j[0] if isinstance(j, list) else j
            expect_eq(j["error"]["code"], code, "code")
    return check


def rpc_body(params, method="Auth.CreateAccessToken", id=1):
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                       "id": id})


for name, body, status, code, kw in [
        ("parse_error", "{oops", 400, -32700, {}),
        ("deep_nesting", "[" * 10000 + "]" * 10000, 400, -32700, {}),
        ("invalid_params", rpc_body({"stream": "cam-1", "ttl": 1.5}), 400,
         -32602, {}),
        ("unknown_param", rpc_body({"stream": "cam-1", "tll": 1}), 400,
         -32602, {}),
        ("stream_not_found", rpc_body({"stream": "nosuch"}), 400, -32001, {}),
        ("forbidden", rpc_body({"stream": "other-1"}), 403, -32003,
         {"auth": "Bearer " + setup.narrow_token}),
        ("bad_bearer", rpc_body({"stream": "cam-1"}), 401, -32000,
         {"auth": "Bearer " + "Z" * 43}),
        ("too_large", " " * 70000, 413, -32600, {}),
        ("media_type", rpc_body({"stream": "cam-1"}), 415, -32600,
         {"content_type": "text/plain"}),
        ("batch_mixed", json.dumps([json.loads(rpc_body(["cam-1", 5])),
                                    {"jsonrpc": "2.0", "method": "X"}, 1,
                                    json.loads(rpc_body({}, id=2))]),
         200, None, {}),
        ("batch_empty", "[]", 400, -32600, {}),
        ("batch_too_large", json.dumps([1] * 101), 400, -32600, {}),
        ("nan_id", '{"jsonrpc":"2.0","method":"X","id":NaN}', 400, None, {}),
        ("invalid_utf8", b'{"jsonrpc":"2.0","method":"\xff","id":1}', 400,
         -32700, {})]:
    t.case("cgi_mode_pipeline_" + name, cgi_case(body, status, code, **kw))

L.no_sanitizer_reports(t, sb)
sb.cleanup()
t.done()
