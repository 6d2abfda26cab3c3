"""End-to-end: public-key tokens and the JWKS through a real lighttpd.

lighttpd on 127.0.0.1 serves the program three times (the shipped /api/
snippet signing with EdDSA, /es/ with ES256, /rs/ with RS256) and once as a
FastCGI authorizer in front of media files. Tokens minted through the API
are checked by verifiers nobody here wrote: PyJWT's PyJWKClient, which
fetches the JWKS over HTTP, and `openssl pkeyutl` / `openssl dgst` with the
public key recovered from the JWK. Then every forgery a public key invites
is refused, each its own case.  TAP output."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("lighttpd", "curl", "openssl")
try:
    import jwt
    from jwt import PyJWKClient
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import \
        encode_dss_signature
except ImportError as e:
    L.skip_all("PyJWT with cryptography needed: %s" % e)
SNIPPET = os.path.join(L.TOP_SRCDIR, "conf", "lighttpd-fastcgi.conf")

t = L.Tap()
sb = L.Sandbox("jwks")
AUD = "media.example"
ALGS = {"ed": "EdDSA", "es": "ES256", "rs": "RS256"}
PREFIX = {"ed": "/api/", "es": "/es/", "rs": "/rs/"}
JWKS_PATH = "/api/.well-known/jwks.json"
errorlog = sb.path("lighttpd-error.log")
lighttpd_stderr = sb.path("lighttpd-stderr.log")
sb.logs += [errorlog, lighttpd_stderr]
state = {"proc": None, "port": None, "tokens": {}, "gen_key_out": {}}


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gen_key(kid, alg):
    path = sb.path(kid + ".pem")
    r = L.run([L.STREAMTOKEN, "gen-key", "--algorithm", alg, "-o", path],
              env=L.base_env())
    sb.extra_output.append(r.stderr.decode(errors="replace"))
    if r.returncode != 0:
        raise RuntimeError("gen-key %s: %r" % (alg, r.stderr))
    state["gen_key_out"][kid] = r.stdout.decode()
    return path


def public_pem(kid):
    r = L.run(["openssl", "pkey", "-in", sb.path(kid + ".pem"), "-pubout"])
    if r.returncode != 0:
        raise RuntimeError("openssl pkey: %r" % r.stderr)
    return r.stdout


def setup_keys():
    for kid, alg in ALGS.items():
        gen_key(kid, alg)
    gen_key("old", "ES256")
    gen_key("stranger", "EdDSA")        # a key no configuration names
    with open(sb.path("old.pub"), "wb") as f:
        f.write(public_pem("old"))
    os.chmod(sb.path("old.pub"), 0o644)  # public: may be world-readable
    os.remove(sb.path("old.pem"))        # rotated out: verify-only now
    sb.gen_secret("hs.key")
    token, sha, lines = sb.gen_client("backend")
    state["api_token"] = token
    for signer in ALGS:
        ini = ["[server]", "issuer = media.example.com", "audience = " + AUD,
               "jwks_path = " + JWKS_PATH, "url_prefix = /media", ""]
        for kid, alg in ALGS.items():
            ini += ["[key %s]" % kid, "algorithm = " + alg,
                    "private_key_file = %s.pem" % kid,
                    "sign = " + ("yes" if kid == signer else "no"), ""]
        ini += ["[key old]", "algorithm = ES256", "public_key_file = old.pub",
                "", "[key hs]", "algorithm = HS256", "secret_file = hs.key",
                "", lines, "[stream cam-*]", "access = private", ""]
        sb.write("%s.ini" % signer, "\n".join(ini), 0o600)
    media = os.path.join(sb.path("media"), "media", "cam-1")
    os.makedirs(media)
    with open(os.path.join(media, "index.m3u8"), "w") as f:
        f.write("#EXTM3U\n")


def q(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def fcgi_entry(prefix, ini, sock, mode=None):
    lines = ["fastcgi.server += ( %s => ((" % q(prefix)]
    if mode:
        lines += ['\t"mode" => "authorizer",',
                  '\t"docroot" => %s,' % q(sb.path("media"))]
    lines += ['\t"socket" => %s,' % q(sb.path(sock)),
              '\t"bin-path" => %s,' % q(L.STREAMTOKEN),
              '\t"bin-environment" => ( "STREAMTOKEN_CONFIG" => %s ),' %
              q(sb.path(ini)),
              '\t"check-local" => "disable",', '\t"max-procs" => 1,', ")))"]
    return "\n".join(lines)


def write_conf(port):
    return sb.write("lighttpd.conf", "\n".join([
        "server.port = %d" % port, 'server.bind = "127.0.0.1"',
        "server.document-root = " + q(sb.path("media")),
        "server.errorlog = " + q(errorlog),
        "server.pid-file = " + q(sb.path("lighttpd.pid")),
        "var.streamtoken_bin = " + q(L.STREAMTOKEN),
        "var.streamtoken_config = " + q(sb.path("ed.ini")),
        "var.streamtoken_socket = " + q(sb.path("ed.sock")),
        "include " + q(SNIPPET),
        fcgi_entry("/es/", "es.ini", "es.sock"),
        fcgi_entry("/rs/", "rs.ini", "rs.sock"),
        fcgi_entry("/media/", "ed.ini", "check.sock", mode="authorizer"),
        ""]))


def start():
    state["proc"], state["port"] = L.start_lighttpd(write_conf,
                                                    lighttpd_stderr, errorlog)


class Http:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.headers[k.strip().lower()] = v.strip()


def curl(path, method="GET", body=None, headers=()):
    argv = ["curl", "-sS", "-i", "--max-time", "20", "-X", method,
            "-H", "Expect:"]
    if method == "HEAD":
        argv = ["curl", "-sS", "-I", "--max-time", "20"]
    for h in headers:
        argv += ["-H", h]
    if body is not None:
        argv += ["--data-binary", "@-"]
    argv.append("http://127.0.0.1:%d%s" % (state["port"], path))
    r = subprocess.run(argv, input=body, capture_output=True, timeout=30,
                       env=L.base_env())
    expect(r.returncode == 0, "curl failed: %r" % r.stderr)
    return Http(r.stdout)


def rpc(prefix, method, params):
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                       "id": 1}).encode()
    r = curl(prefix, "POST", body, ["Content-Type: application/json",
                                    "Authorization: Bearer " +
                                    state["api_token"]])
    return r, json.loads(r.body)


def jwks_url():
    return "http://127.0.0.1:%d%s" % (state["port"], JWKS_PATH)


def jwks_doc():
    r = curl(JWKS_PATH)
    expect_eq(r.status, 200, "JWKS status")
    return r, json.loads(r.body)


# ---------------------------------------------------------- the cases --

def gen_key_wrote_pkcs8_0600_and_key_lines():
    for kid, alg in ALGS.items():
        p = sb.path(kid + ".pem")
        expect_eq(os.stat(p).st_mode & 0o777, 0o600, "%s mode" % p)
        with open(p) as f:
            expect(f.read().startswith("-----BEGIN PRIVATE KEY-----\n"),
                   "%s is not PKCS#8 PEM" % p)
        out = state["gen_key_out"][kid]
        expect("[key %s]\nalgorithm = %s\nprivate_key_file = %s\n" %
               (kid, alg, p) in out, "gen-key printed %r" % out)


def gen_key_refuses_existing_file():
    p = sb.path("ed.pem")
    with open(p, "rb") as f:
        before = f.read()
    r = L.run([L.STREAMTOKEN, "gen-key", "--algorithm", "ES256", "-o", p],
              env=L.base_env())
    expect(r.returncode != 0, "gen-key overwrote a key")
    expect(b"File exists" in r.stderr, "stderr: %r" % r.stderr)
    with open(p, "rb") as f:
        expect(f.read() == before, "key file changed")


def jwks_served_cacheable_with_etag():
    r, doc = jwks_doc()
    expect_eq(r.headers.get("content-type"), "application/json",
              "Content-Type")
    expect_eq(r.headers.get("cache-control"), "public, max-age=300",
              "Cache-Control")
    etag = r.headers.get("etag", "")
    expect(etag.startswith('"') and etag.endswith('"') and len(etag) > 2,
           "ETag %r" % etag)
    state["etag"] = etag


def jwks_if_none_match_304():
    r = curl(JWKS_PATH, headers=["If-None-Match: " + state["etag"]])
    expect_eq(r.status, 304, "status")
    expect_eq(r.body, b"", "304 body")
    r = curl(JWKS_PATH, headers=['If-None-Match: "something-else"'])
    expect_eq(r.status, 200, "status with another ETag")


def jwks_head_and_post():
    r = curl(JWKS_PATH, "HEAD")
    expect_eq(r.status, 200, "HEAD status")
    expect_eq(r.headers.get("etag"), state["etag"], "HEAD ETag")
    r = curl(JWKS_PATH, "POST", b"{}", ["Content-Type: application/json"])
    expect_eq(r.status, 405, "POST status")
    expect_eq(r.headers.get("allow"), "GET, HEAD", "Allow")


def jwks_has_public_parts_only():
    _, doc = jwks_doc()
    expect_eq(set(doc), {"keys"}, "JWKS members")
    kids = sorted(k["kid"] for k in doc["keys"])
    # every asymmetric key, the verify-only old one too; never hs
    expect_eq(kids, ["ed", "es", "old", "rs"], "kids")
    for k in doc["keys"]:
        for private in ("d", "p", "q", "dp", "dq", "qi", "k", "oth"):
            expect(private not in k, "%s has %r" % (k["kid"], private))
        expect_eq(k["use"], "sig", "use")
        want = {"ed": ("OKP", "EdDSA"), "es": ("EC", "ES256"),
                "old": ("EC", "ES256"), "rs": ("RSA", "RS256")}[k["kid"]]
        expect_eq((k["kty"], k["alg"]), want, "kty, alg of " + k["kid"])
        if k["kty"] == "EC":
            expect_eq(k["crv"], "P-256", "crv")
            expect_eq(len(L.b64url_decode(k["x"])), 32, "x bytes")
            expect_eq(len(L.b64url_decode(k["y"])), 32, "y bytes")
        elif k["kty"] == "OKP":
            expect_eq(k["crv"], "Ed25519", "crv")
            expect_eq(len(L.b64url_decode(k["x"])), 32, "x bytes")
        else:
            n = L.b64url_decode(k["n"])
            expect(len(n) == 256 and n[0] != 0, "RSA n: no leading zero")
            expect_eq(k["e"], "AQAB", "e")


def jwks_cli_prints_the_served_document():
    r = curl(JWKS_PATH)
    out = L.run([L.STREAMTOKEN, "jwks", "-c", sb.path("ed.ini")],
                env=L.base_env())
    expect_eq(out.returncode, 0, "jwks exit status")
    expect_eq(out.stdout, r.body + b"\n", "CLI document")


def mint_through_api(kid):
    r, msg = rpc(PREFIX[kid], "Auth.CreateAccessToken",
                 {"stream": "cam-1", "live": True, "ttl": 600})
    expect_eq(r.status, 200, "status: %r" % msg)
    tok = msg["result"]
    header = json.loads(L.b64url_decode(tok.split(".")[0]))
    expect_eq(header, {"alg": ALGS[kid], "typ": "JWT", "kid": kid}, "header")
    state["tokens"][kid] = tok


def pyjwkclient_verifies(kid):
    tok = state["tokens"][kid]
    client = PyJWKClient(jwks_url())
    key = client.get_signing_key_from_jwt(tok)
    claims = jwt.decode(tok, key.key, algorithms=[ALGS[kid]], audience=AUD,
                        issuer="media.example.com",
                        options={"require": ["exp", "iat", "aud"]})
    expect_eq((claims["sub"], claims["azp"], claims["live"]),
              ("cam-1", "backend", True), "claims")
    expect_eq(claims["exp"] - claims["iat"], 600, "ttl")


def jwk_public_key(kid):
    _, doc = jwks_doc()
    jwk = [k for k in doc["keys"] if k["kid"] == kid][0]
    cls = {"OKP": OKPAlgorithm, "EC": ECAlgorithm, "RSA": RSAAlgorithm}
    return cls[jwk["kty"]].from_jwk(json.dumps(jwk))


def openssl_verifies(kid):
    tok = state["tokens"][kid]
    head, payload, sig = tok.split(".")
    pub = jwk_public_key(kid)
    pem = pub.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    # the JWK is the configured key: same SubjectPublicKeyInfo
    expect_eq(pem, public_pem(kid), "public key from the JWK")
    pem_path = sb.write("%s-jwk.pub" % kid, pem.decode())
    msg_path = sb.path("%s.msg" % kid)
    with open(msg_path, "wb") as f:
        f.write(("%s.%s" % (head, payload)).encode())
    raw = L.b64url_decode(sig)
    if kid == "es":     # RFC 7518 §3.4: R || S to the DER openssl wants
        raw = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                   int.from_bytes(raw[32:], "big"))
    sig_path = sb.path("%s.sig" % kid)
    with open(sig_path, "wb") as f:
        f.write(raw)
    if kid == "ed":
        argv = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                pem_path, "-rawin", "-in", msg_path, "-sigfile", sig_path]
    else:
        argv = ["openssl", "dgst", "-sha256", "-verify", pem_path,
                "-signature", sig_path, msg_path]
    r = L.run(argv)
    # dgst says "Verified OK", pkeyutl "Signature Verified Successfully"
    expect(r.returncode == 0 and b"Verified" in r.stdout,
           "openssl refused: %r %r" % (r.stdout, r.stderr))
    # and refuses one changed byte of the signing input
    with open(msg_path, "ab") as f:
        f.write(b"x")
    r = L.run(argv)
    expect(r.returncode != 0, "openssl accepted a changed input")


def our_verifiers_accept(kid):
    tok = state["tokens"][kid]
    for prefix in PREFIX.values():
        _, msg = rpc(prefix, "Auth.VerifyToken", {"token": tok})
        expect_eq((msg["result"]["valid"], msg["result"]["reason"]),
                  (True, "valid"), "Auth.VerifyToken at " + prefix)
        expect_eq(msg["result"]["claims"]["aud"], AUD, "aud claim")
    r = L.run([L.STREAMTOKEN, "verify", "-c", sb.path("rs.ini"), tok],
              env=L.base_env())
    sb.extra_output.append(r.stderr.decode(errors="replace"))
    expect_eq(r.returncode, 0, "streamtoken verify: %r" % r.stderr)
    expect(b"\nvalid\n" in r.stdout, "verify output %r" % r.stdout)


def authorizer_serves(kid):
    tok = state["tokens"][kid]
    for _ in range(2):      # never seen, then from the cache
        r = curl("/media/cam-1/index.m3u8?token=" + tok)
        expect_eq(r.status, 200, "authorizer status")
        expect_eq(r.body, b"#EXTM3U\n", "media file")
    r = curl("/media/cam-2/index.m3u8?token=" + tok)
    expect_eq(r.status, 403, "another stream")


# ---- forgeries: each must be refused by our verifier, here through the API

def payload_claims(**extra):
    now = int(time.time())
    c = {"sub": "cam-1", "iat": now, "exp": now + 600, "jti": "forged",
         "azp": "backend", "live": True, "dvr": False, "copy": False,
         "aud": AUD}
    c.update(extra)
    return c


def compact(header, claims, sign):
    si = "%s.%s" % (b64url(json.dumps(header, separators=(",", ":"))),
                    b64url(json.dumps(claims, separators=(",", ":"))))
    return "%s.%s" % (si, b64url(sign(si.encode())))


def refused(tok, reason, kid_in_jwks=True):
    _, msg = rpc("/api/", "Auth.VerifyToken", {"token": tok})
    expect_eq((msg["result"]["valid"], msg["result"]["reason"]),
              (False, reason), "Auth.VerifyToken")
    r = curl("/media/cam-1/index.m3u8?token=" + tok)
    expect_eq(r.status, 401, "authorizer status")
    # PyJWT with our JWKS refuses it too (or finds no key for it)
    try:
        key = PyJWKClient(jwks_url()).get_signing_key_from_jwt(tok)
        # the JWK's own alg only, as a careful verifier pins it
        alg = {k["kid"]: k["alg"] for k in jwks_doc()[1]["keys"]}[key.key_id]
        jwt.decode(tok, key.key, algorithms=[alg], audience=AUD)
    except (jwt.exceptions.PyJWTError, jwt.exceptions.PyJWKClientError):
        return
    raise L.CaseFailed("PyJWT accepted the forgery")


def stranger_key():
    with open(sb.path("stranger.pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def key_not_in_jwks_refused():
    tok = compact({"alg": "EdDSA", "typ": "JWT", "kid": "stranger"},
                  payload_claims(), stranger_key().sign)
    refused(tok, "unknown key id")


def signature_from_another_key_refused():
    tok = compact({"alg": "EdDSA", "typ": "JWT", "kid": "ed"},
                  payload_claims(), stranger_key().sign)
    refused(tok, "bad signature")


def alg_swap_refused():
    # ed's header relabelled ES256, signed by a P-256 key of the attacker's
    attacker = ec.generate_private_key(ec.SECP256R1())

    def sign(si):
        from cryptography.hazmat.primitives.asymmetric.utils import \
            decode_dss_signature
        r, s = decode_dss_signature(attacker.sign(si, ec.ECDSA(
            hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    refused(compact({"alg": "ES256", "typ": "JWT", "kid": "ed"},
                    payload_claims(), sign),
            "algorithm not allowed for this key")


def hs256_keyed_with_public_key_pem_refused():
    for kid in ("ed", "old", "rs"):
        pem = public_pem(kid) if kid != "old" else \
            open(sb.path("old.pub"), "rb").read()
        tok = compact({"alg": "HS256", "typ": "JWT", "kid": kid},
                      payload_claims(),
                      lambda si: hmac.new(pem, si, hashlib.sha256).digest())
        refused(tok, "algorithm not allowed for this key")


def hs256_keyed_with_jwk_json_refused():
    r = curl(JWKS_PATH)
    doc = json.loads(r.body)
    for jwk in doc["keys"]:
        for secret in (json.dumps(jwk).encode(),
                       json.dumps(jwk, separators=(",", ":")).encode(),
                       r.body):
            tok = compact({"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]},
                          payload_claims(),
                          lambda si: hmac.new(secret, si,
                                              hashlib.sha256).digest())
            refused(tok, "algorithm not allowed for this key")


def der_encoded_es256_signature_refused():
    head, payload, sig = state["tokens"]["es"].split(".")
    raw = L.b64url_decode(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                               int.from_bytes(raw[32:], "big"))
    refused("%s.%s.%s" % (head, payload, b64url(der)), "bad signature")


def alg_none_refused():
    for kid in ("ed", "es", "rs"):
        tok = compact({"alg": "none", "typ": "JWT", "kid": kid},
                      payload_claims(), lambda si: b"")
        refused(tok, "algorithm not allowed for this key")


def wrong_audience_refused():
    r = L.run([L.STREAMTOKEN, "mint", "-c", sb.path("ed.ini"), "--stream",
               "cam-1", "--live"], env=L.base_env())
    expect_eq(r.returncode, 0, "mint: %r" % r.stderr)
    tok = r.stdout.decode().strip()
    with open(sb.path("ed.ini")) as f:
        text = f.read().replace("audience = " + AUD, "audience = cdn.example")
    other = sb.write("other-aud.ini", text, 0o600)
    r = L.run([L.STREAMTOKEN, "verify", "-c", other, tok], env=L.base_env())
    expect(r.returncode == 1 and b"audience not accepted" in r.stderr,
           "verify under another audience: %r" % r.stderr)


def logs_hold_no_token():
    text = ""
    for p in (errorlog, lighttpd_stderr):
        with open(p, errors="replace") as f:
            text += f.read()
    expect("status=200" in text, "no request lines reached the logs")
    for tok in state["tokens"].values():
        expect(tok.split(".")[2] not in text, "a token in the logs")


def stop():
    proc = state["proc"]
    pids = L.streamtoken_children(proc.pid)
    proc.terminate()
    expect_eq(proc.wait(timeout=15), 0, "lighttpd exit status")
    deadline = time.time() + 5
    while time.time() < deadline and any(os.path.exists("/proc/%d" % p)
                                         for p in pids):
        time.sleep(0.05)


try:
    setup_keys()
except Exception as e:      # no key, no test: say why
    print("Bail out! %s" % e)
    sys.exit(1)
cases = [("lighttpd_started_with_three_signers_and_authorizer", start),
         ("gen_key_wrote_pkcs8_0600_and_key_lines",
          gen_key_wrote_pkcs8_0600_and_key_lines),
         ("gen_key_refuses_existing_file", gen_key_refuses_existing_file),
         ("jwks_served_cacheable_with_etag", jwks_served_cacheable_with_etag),
         ("jwks_if_none_match_304", jwks_if_none_match_304),
         ("jwks_head_200_post_405", jwks_head_and_post),
         ("jwks_has_public_parts_only_no_hmac_key",
          jwks_has_public_parts_only),
         ("jwks_cli_prints_the_served_document",
          jwks_cli_prints_the_served_document)]
for kid, alg in ALGS.items():
    cases += [("%s_minted_through_api" % alg, mint_through_api, kid),
              ("%s_verified_by_pyjwt_pyjwkclient_over_http" % alg,
               pyjwkclient_verifies, kid),
              ("%s_verified_by_openssl_with_key_from_jwk" % alg,
               openssl_verifies, kid),
              ("%s_accepted_by_verifytoken_and_cli_verify" % alg,
               our_verifiers_accept, kid),
              ("%s_accepted_by_lighttpd_authorizer" % alg,
               authorizer_serves, kid)]
cases += [("token_under_key_not_in_jwks_refused", key_not_in_jwks_refused),
          ("signature_from_another_key_refused",
           signature_from_another_key_refused),
          ("alg_swap_refused", alg_swap_refused),
          ("hs256_keyed_with_public_key_pem_refused",
           hs256_keyed_with_public_key_pem_refused),
          ("hs256_keyed_with_jwk_json_refused",
           hs256_keyed_with_jwk_json_refused),
          ("der_encoded_es256_signature_refused",
           der_encoded_es256_signature_refused),
          ("alg_none_refused", alg_none_refused),
          ("token_for_another_audience_refused", wrong_audience_refused),
          ("logs_hold_no_token", logs_hold_no_token),
          ("lighttpd_stopped_by_pid", stop)]
for name, fn, *args in cases:
    if fn is not start and state["proc"] is None:
        t.skip(name, "lighttpd did not start")
        continue
    t.case(name, fn, *args)
L.no_sanitizer_reports(t, sb)
if state["proc"] is not None and state["proc"].poll() is None:
    state["proc"].kill()
    state["proc"].wait()
sb.cleanup()
t.done()
