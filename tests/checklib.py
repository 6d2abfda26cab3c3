"""Shared code for the SPEC 7 end-to-end tests (checking tokens on media
requests): a site folder with keys, a configuration and fake media files,
tokens minted by the program (CLI and JSON-RPC) and forged with python-jwt,
plain HTTP requests that send the path exactly as given, process hygiene,
and the list of cases every web server in front of the media must pass.

Standard library and python3-jwt only; e2elib (TAP, the FastCGI client) is
imported, not changed.
"""

import base64
import grp
import hashlib
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import e2elib
from e2elib import expect, expect_eq

SBIN_PATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"

# A DVR window used by the file names and the tokens (fixed, in the past).
FROM = 1700000000
DUR = 3600
# A dated folder of FROM's hour (2023-11-14 22:00 UTC), long out of any
# live window, for files whose names carry no time.
OLD_HOUR = "2023/11/14/22"
STREAMS = ("cam-1", "cam-2", "cam-3", "lobby")
# The public-key signing keys of a site, by kid.
PKEY_ALGS = {"ed": "EdDSA", "es": "ES256", "rs": "RS256"}


def this_hour():
    """The dated folder (YYYY/MM/DD/hh, UTC) of the hour now."""
    return time.strftime("%Y/%m/%d/%H", time.gmtime())


def which(name):
    return shutil.which(name, path=SBIN_PATH)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def wait_port(port, proc, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_path(path, proc, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def stop(proc, timeout=15):
    """SIGTERM by PID, SIGKILL if it lingers; returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def pids_mentioning(text):
    """PIDs of processes whose command line names text (our temp folder)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if text.encode() in cmd:
            found.append((int(d), cmd.replace(b"\0", b" ").decode(
                errors="replace").strip()))
    return found


def wait_no_leftovers(text, seconds=10):
    deadline = time.monotonic() + seconds
    left = pids_mentioning(text)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = pids_mentioning(text)
    return left


class Site:
    """A temporary folder: the program (a copy, so every process it starts
    names this folder), three keys, two configurations, media files.

    Keys: "old" signed yesterday's tokens (before.ini) and now only
    verifies (sign = no); "main" signs; "retired" was removed from the
    configuration, so its tokens must fail. "ed", "es" and "rs" (EdDSA,
    ES256, RS256, made by gen-key) only verify in streamtoken.ini; each
    signs in its own <kid>.ini (pkey_inis), for minting."""

    def __init__(self, tag):
        self.dir = tempfile.mkdtemp(prefix="st-%s-" % tag)
        self.bin = self.path("streamtoken")
        shutil.copy2(e2elib.STREAMTOKEN, self.bin)
        self.media = self.path("media")
        os.mkdir(self.media)
        os.mkdir(self.path("logs"))
        self.secrets = {}
        for kid in ("old", "main", "retired"):
            p = self.path(kid + ".key")
            r = e2elib.run([self.bin, "gen-secret", "-o", p],
                           env=e2elib.base_env())
            if r.returncode != 0:
                raise RuntimeError("gen-secret: %r" % r.stderr)
            with open(p, "rb") as f:
                data = f.read()
            self.secrets[kid] = data[:-1] if data.endswith(b"\n") else data
        for kid, alg in PKEY_ALGS.items():
            r = e2elib.run([self.bin, "gen-key", "--algorithm", alg, "-o",
                            self.path(kid + ".pem")], env=e2elib.base_env())
            if r.returncode != 0:
                raise RuntimeError("gen-key: %r" % r.stderr)
        self.api_token = secrets.token_urlsafe(32)
        sha = hashlib.sha256(self.api_token.encode()).hexdigest()
        common = ("[client backend]\ntoken_sha256 = %s\n\n"
                  "[stream cam-1]\naccess = private\n\n"
                  "[stream lobby]\naccess = public\n\n"
                  "[stream pub-*]\naccess = public\n\n"
                  "[stream cam-*]\naccess = private\n" % sha)
        self.before_ini = self.write(
            "before.ini",
            "; the configuration before the key rotation\n"
            "[server]\nissuer = media.example.com\n\n"
            "[key old]\nsecret_file = old.key\nsign = yes\n\n"
            "[key retired]\nsecret_file = retired.key\nsign = no\n\n"
            + common)
        def after(signer):
            keys = "".join(
                "[key %s]\nalgorithm = %s\nprivate_key_file = %s.pem\n"
                "sign = %s\n\n" % (kid, alg, kid,
                                    "yes" if kid == signer else "no")
                for kid, alg in PKEY_ALGS.items())
            return ("; after the rotation: main signs, old only verifies,\n"
                    "; retired is gone; the test client is a trusted proxy\n"
                    "[server]\nissuer = media.example.com\n"
                    "trusted_proxies = 127.0.0.1\n\n"
                    "[key main]\nalgorithm = HS256\nsecret_file = main.key\n"
                    "sign = %s\n\n"
                    "[key old]\nsecret_file = old.key\nsign = no\n\n" % (
                        "yes" if signer == "main" else "no") + keys + common)
        self.ini = self.write("streamtoken.ini", after("main"))
        self.pkey_inis = {kid: self.write(kid + ".ini", after(kid))
                          for kid in PKEY_ALGS}
        self.files = {}
        for s in STREAMS:
            os.mkdir(os.path.join(self.media, s))
            for name in ("index.m3u8", "seg-1.ts", "seg-2.ts", "index.mpd",
                         "index-%d-%d.m3u8" % (FROM, DUR),
                         "index-%d-600.m3u8" % (FROM - 1000),
                         "index-%d-99999999.m3u8" % FROM,
                         "timeshift_abs-%d.m3u8" % FROM,
                         "archive-%d-%d.mp4" % (FROM, DUR),
                         "index.html", "tracks-v1/index.m3u8",
                         "tracks-v1/index-%d-%d.m3u8" % (FROM, DUR),
                         OLD_HOUR + "/preview.jpg", OLD_HOUR + "/20-init.mp4",
                         this_hour() + "/preview.jpg"):
                sub = os.path.dirname(name)
                if sub:
                    os.makedirs(os.path.join(self.media, s, sub),
                                exist_ok=True)
                if name.endswith(".m3u8"):
                    body = ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
                            "# %s/%s\n#EXTINF:2.0,\nseg-1.ts\n"
                            "#EXTINF:2.0,\nseg-2.ts\n" % (s, name))
                else:
                    body = "media file %s/%s\n" % (s, name)
                with open(os.path.join(self.media, s, name), "w") as f:
                    f.write(body)
                self.files["/%s/%s" % (s, name)] = body.encode()
        # As root every server runs its workers as an unprivileged user who
        # must read the folder, the keys (0600) and the media.
        self.user = self.group = None
        if os.geteuid() == 0:
            for candidate in ("www-data", "nobody"):
                try:
                    self.user = pwd.getpwnam(candidate)
                    break
                except KeyError:
                    pass
            if self.user is not None:
                self.group = grp.getgrgid(self.user.pw_gid).gr_name
                self.chown_all()

    def chown_all(self):
        if self.user is None:
            return
        os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), self.user.pw_uid,
                         self.user.pw_gid)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        if getattr(self, "user", None) is not None:
            os.chown(p, self.user.pw_uid, self.user.pw_gid)
        return p

    def logs(self):
        out = ""
        d = self.path("logs")
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            try:
                with open(os.path.join(d, n), errors="replace") as f:
                    out += "--- %s\n%s" % (n, f.read()[-2500:])
            except OSError:
                pass
        return out

    def sanitizer_findings(self):
        found = []
        d = self.path("logs")
        for n in os.listdir(d) if os.path.isdir(d) else []:
            try:
                with open(os.path.join(d, n), errors="replace") as f:
                    found += e2elib.sanitizer_findings(f.read())
            except OSError:
                pass
        return found

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- tokens made by the program ----

    def mint(self, stream, *flags, ini=None):
        """A token from "streamtoken mint"."""
        r = e2elib.run([self.bin, "mint", "-c", ini or self.ini, "--stream",
                        stream] + list(flags), env=e2elib.base_env())
        if r.returncode != 0:
            raise RuntimeError("mint %s %s: %r" % (stream, flags, r.stderr))
        return r.stdout.decode().strip()

    def start_app(self):
        """The program as a FastCGI app on a unix socket, for JSON-RPC."""
        return App(self)

    # ---- tokens forged with python-jwt and by hand ----

    def claims(self, sub="cam-1", live=False, dvr=False, copy=False, ttl=600,
               frm=0, to=0, **extra):
        now = int(time.time())
        c = {"sub": sub, "iat": now, "jti": b64url(secrets.token_bytes(16)),
             "iss": "media.example.com", "azp": "backend", "live": live,
             "dvr": dvr, "copy": copy}
        if ttl:
            c["exp"] = now + ttl
        if frm:
            c["from"] = frm
        if to:
            c["to"] = to
        c.update(extra)
        return c

    def jwt(self, claims, kid="main", alg="HS256", secret=None):
        import jwt
        key = self.secrets.get(kid, b"") if secret is None else secret
        return jwt.encode(claims, key, algorithm=alg,
                          headers={"kid": kid, "typ": "JWT"})

    @staticmethod
    def raw(header, claims, sig=b""):
        return "%s.%s.%s" % (b64url(json.dumps(header)),
                             b64url(json.dumps(claims)), b64url(sig))


class App:
    """streamtoken on a unix socket on its stdin (stopped by PID)."""

    def __init__(self, site):
        self.sock = site.path("rpc.sock")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(self.sock)
        ls.listen(16)
        self.log = site.path("logs", "rpc-app.log")
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen([site.bin, "-c", site.ini],
                                         stdin=ls.fileno(),
                                         stdout=subprocess.DEVNULL,
                                         stderr=logf,
                                         env=e2elib.base_env())
        ls.close()
        self.site = site

    def call(self, method, params, params_raw=None, api_token=None):
        body = json.dumps({"jsonrpc": "2.0", "method": method,
                           "params": params, "id": 1}).encode()
        env = e2elib.cgi_env(body=body, auth="Bearer " + (
            api_token or self.site.api_token))
        env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
        r = subprocess.run([shutil.which("cgi-fcgi"), "-bind", "-connect",
                            self.sock], input=body, env=env,
                           capture_output=True, timeout=30)
        return e2elib.Response(r.stdout, r.stderr, r.returncode)

    def mint(self, **params):
        r = self.call("Auth.CreateAccessToken", params)
        if r.status != 200:
            raise RuntimeError("CreateAccessToken: " + r.describe())
        return r.json()["result"]

    def stop(self):
        return stop(self.proc)


# ------------------------------------------------------------ HTTP ----

class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return "status=%r body=%r" % (self.status, self.body[:120])


def http_get(port, path, headers=None):
    """GET path exactly as given (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in
                                   resp.getheaders()}, resp.read())
    finally:
        conn.close()


# ----------------------------------------------------------- the cases --

def media_cases(t, label, site, port, app, forbidden=403):
    """Every SPEC 7 case through a web server at 127.0.0.1:port in front of
    site.media. app mints tokens through JSON-RPC. refused = 401/403 and
    never the file's bytes. forbidden: the status the client sees when the
    program answers 403 (mod_fcgid's access checker turns it into 401)."""
    files = site.files

    def get(path, headers=None):
        return http_get(port, path, headers)

    def served(path, file_path=None, headers=None):
        r = get(path, headers)
        want = files[file_path or path.split("?")[0]]
        expect(r.status == 200 and r.body == want,
               "GET %s: expected 200 with %s, got %r" % (
                   path[:160], file_path or path, r))
        return r

    def refused(path, status=None, headers=None, allowed=(401, 403)):
        r = get(path, headers)
        if status == 403:
            status = forbidden
        if status is not None:
            expect_eq(r.status, status, "GET %s status" % path[:160])
        else:
            expect(r.status in allowed,
                   "GET %s: expected one of %r, got %r" % (path[:160],
                                                           allowed, r))
        for body in files.values():
            expect(body not in r.body, "GET %s leaked a media file: %r" % (
                path[:160], r.body[:200]))
        return r

    def case(name, fn, *args, **kw):
        return t.case("%s_%s" % (label, name), fn, *args, **kw)

    mk = site.mint
    live = mk("cam-1", "--live", "--ttl", "600")
    dvr = mk("cam-1", "--dvr", "--ttl", "600")
    copy = mk("cam-1", "--copy", "--ttl", "600")
    win = mk("cam-1", "--dvr", "--from", str(FROM), "--to", str(FROM + DUR))
    api_live = app.mint(stream="cam-1", ttl=600, live=True)
    api_all = app.mint(stream="cam-1", ttl=600, live=True, dvr=True,
                       copy=True)
    win_open_to = site.jwt(site.claims(dvr=True, frm=FROM))
    py_live = site.jwt(site.claims(live=True))

    def q(tok):
        return "?token=" + tok

    # live, DVR, download
    case("live_token_cli_serves_playlist",
         lambda: served("/cam-1/index.m3u8" + q(live)))
    case("live_token_api_serves_playlist",
         lambda: served("/cam-1/index.m3u8" + q(api_live)))
    case("live_token_pyjwt_serves_playlist",
         lambda: served("/cam-1/index.m3u8" + q(py_live)))
    case("live_token_serves_segment",
         lambda: served("/cam-1/seg-1.ts" + q(live)))
    case("live_token_serves_dash",
         lambda: served("/cam-1/index.mpd" + q(live)))
    case("live_token_refused_dvr_403",
         lambda: refused("/cam-1/index-%d-%d.m3u8%s" % (FROM, DUR, q(live)),
                         403))
    case("live_token_refused_download_403",
         lambda: refused("/cam-1/archive-%d-%d.mp4%s" % (FROM, DUR, q(live)),
                         403))
    case("dvr_token_serves_dvr_playlist",
         lambda: served("/cam-1/index-%d-%d.m3u8%s" % (FROM, DUR, q(dvr))))
    case("dvr_token_serves_track_dvr_playlist",
         lambda: served("/cam-1/tracks-v1/index-%d-%d.m3u8%s" % (FROM, DUR,
                                                                 q(dvr))))
    case("live_token_serves_track_playlist",
         lambda: served("/cam-1/tracks-v1/index.m3u8" + q(live)))
    case("live_token_refused_track_dvr_playlist_403",
         lambda: refused("/cam-1/tracks-v1/index-%d-%d.m3u8%s" % (
             FROM, DUR, q(live)), 403))
    case("dvr_token_serves_timeshift",
         lambda: served("/cam-1/timeshift_abs-%d.m3u8%s" % (FROM, q(dvr))))
    case("dvr_token_refused_live_403",
         lambda: refused("/cam-1/index.m3u8" + q(dvr), 403))
    case("copy_token_serves_download",
         lambda: served("/cam-1/archive-%d-%d.mp4%s" % (FROM, DUR, q(copy))))
    case("copy_token_refused_dvr_403",
         lambda: refused("/cam-1/index-%d-%d.m3u8%s" % (FROM, DUR, q(copy)),
                         403))
    case("api_all_permissions_serve_download",
         lambda: served("/cam-1/archive-%d-%d.mp4%s" % (FROM, DUR,
                                                        q(api_all))))

    # windows
    case("window_inside_served",
         lambda: served("/cam-1/index-%d-%d.m3u8%s" % (FROM, DUR, q(win))))
    case("window_starts_before_403",
         lambda: refused("/cam-1/index-%d-600.m3u8%s" % (FROM - 1000,
                                                         q(win)), 403))
    case("window_ends_after_403",
         lambda: refused("/cam-1/index-%d-99999999.m3u8%s" % (FROM, q(win)),
                         403))
    case("window_timeshift_to_now_after_to_403",
         lambda: refused("/cam-1/timeshift_abs-%d.m3u8%s" % (FROM, q(win)),
                         403))
    case("window_open_upper_bound_served",
         lambda: served("/cam-1/index-%d-99999999.m3u8%s" % (
             FROM, q(win_open_to))))
    case("window_open_upper_bound_timeshift_served",
         lambda: served("/cam-1/timeshift_abs-%d.m3u8%s" % (
             FROM, q(win_open_to))))

    # 401: missing, expired, forged
    main_secret = site.secrets["main"]
    expired = site.jwt(site.claims(live=True, iat=int(time.time()) - 100,
                                   exp=int(time.time()) - 50))
    good = site.jwt(site.claims(live=True))
    h, p, s = good.split(".")
    forged_sig = "%s.%s.%s" % (h, p, b64url(b"\0" * 32))
    everything = site.jwt(site.claims(live=True, dvr=True, copy=True))
    swapped = "%s.%s.%s" % (h, everything.split(".")[1], s)
    alg_none = site.raw({"alg": "none", "typ": "JWT", "kid": "main"},
                        site.claims(live=True))
    alg_none_nokid = site.raw({"alg": "none", "typ": "JWT"},
                              site.claims(live=True))
    hs512 = site.jwt(site.claims(live=True), alg="HS512", secret=main_secret)
    unknown_kid = site.jwt(site.claims(live=True), kid="nosuchkey",
                           secret=main_secret)
    wrong_secret = site.jwt(site.claims(live=True), kid="main",
                            secret=b"x" * 40)
    rotated = site.mint("cam-1", "--live", "--ttl", "600",
                        ini=site.before_ini)
    removed = site.jwt(site.claims(live=True), kid="retired")
    oversized = "eyJ" + "A" * 5000 + ".eyJ" + "B" * 100 + ".c2ln"

    case("no_token_401", lambda: refused("/cam-1/index.m3u8", 401))
    case("no_token_segment_401", lambda: refused("/cam-1/seg-1.ts", 401))
    case("expired_token_401",
         lambda: refused("/cam-1/index.m3u8" + q(expired), 401))
    case("wrong_stream_403",
         lambda: refused("/cam-2/index.m3u8" + q(live), 403))
    case("forged_signature_401",
         lambda: refused("/cam-1/index.m3u8" + q(forged_sig), 401))
    case("signed_with_other_secret_401",
         lambda: refused("/cam-1/index.m3u8" + q(wrong_secret), 401))
    case("payload_swapped_under_old_signature_401",
         lambda: refused("/cam-1/archive-%d-%d.mp4%s" % (FROM, DUR,
                                                         q(swapped)), 401))
    case("alg_none_401",
         lambda: refused("/cam-1/index.m3u8" + q(alg_none), 401))
    case("alg_none_without_kid_401",
         lambda: refused("/cam-1/index.m3u8" + q(alg_none_nokid), 401))
    case("hs512_header_on_hs256_key_401",
         lambda: refused("/cam-1/index.m3u8" + q(hs512), 401))
    case("unknown_kid_401",
         lambda: refused("/cam-1/index.m3u8" + q(unknown_kid), 401))
    case("rotated_key_sign_no_still_passes",
         lambda: served("/cam-1/index.m3u8" + q(rotated)))
    case("removed_key_401",
         lambda: refused("/cam-1/index.m3u8" + q(removed), 401))
    case("oversized_token_query_401",
         lambda: refused("/cam-1/index.m3u8" + q(oversized), 401))
    case("oversized_token_bearer_401",
         lambda: refused("/cam-1/index.m3u8", 401, headers={
             "Authorization": "Bearer " + oversized}))
    case("oversized_token_path_refused",
         lambda: refused("/%s/cam-1/index.m3u8" % oversized,
                         allowed=(401, 403, 404, 414)))

    # files whose names carry no time, in dated folders: judged by the hour
    # their folders name (live: while recent; otherwise dvr)
    now_jpg = "/cam-1/%s/preview.jpg" % this_hour()
    case("live_token_serves_file_in_this_hours_folder",
         lambda: served(now_jpg + q(live), now_jpg))
    case("live_token_refused_file_in_old_hour_folder_403",
         lambda: refused("/cam-1/%s/preview.jpg%s" % (OLD_HOUR, q(live)),
                         403))
    case("live_token_refused_init_in_old_hour_folder_403",
         lambda: refused("/cam-1/%s/20-init.mp4%s" % (OLD_HOUR, q(live)),
                         403))
    case("dvr_token_serves_file_in_old_hour_folder",
         lambda: served("/cam-1/%s/preview.jpg%s" % (OLD_HOUR, q(dvr)),
                        "/cam-1/%s/preview.jpg" % OLD_HOUR))

    # RFC 9112 §3.2.2: a request in absolute form is judged by its path
    absolute = "http://127.0.0.1:%d" % port
    case("absolute_form_live_token_serves_playlist",
         lambda: served(absolute + "/cam-1/index.m3u8" + q(live),
                        "/cam-1/index.m3u8"))
    case("absolute_form_public_stream_served",
         lambda: served(absolute + "/lobby/index.m3u8",
                        "/lobby/index.m3u8"))
    case("absolute_form_other_streams_token_403",
         lambda: refused(absolute + "/cam-2/index.m3u8" + q(live), 403))

    # streams and routes
    case("public_stream_without_token",
         lambda: served("/lobby/index.m3u8"))
    # A public stream uid shaped like a token segment (pub-.x.y matches the
    # public glob pub-*): the server's rewrite and the checker must agree on
    # which first segments are tokens, or a private file is served under it.
    case("public_uid_shaped_like_token_segment_does_not_open_private_file",
         lambda: refused("/pub-.x.y/cam-1/seg-1.ts", allowed=(401, 403, 404)))
    case("public_stream_segment_without_token",
         lambda: served("/lobby/seg-2.ts"))
    case("unrouted_url_403",
         lambda: refused("/cam-1/index.html" + q(live), 403))
    case("unrouted_public_url_403",
         lambda: refused("/lobby/index.html", 403))
    case("unknown_stream_403",
         lambda: refused("/zoo/index.m3u8" + q(live), 403, allowed=(403,
                                                                    404)))

    # traversal tricks: a cam-2 token never reaches cam-1's files... and a
    # cam-1 token never reaches cam-2's. The server may refuse first
    # (400/404); what matters is that the file is never served.
    trick = (400, 401, 403, 404)
    live2 = mk("cam-2", "--live", "--ttl", "600")
    case("traversal_dotdot_refused",
         lambda: refused("/cam-2/../cam-1/index.m3u8" + q(live2),
                         allowed=trick))
    case("traversal_dotdot_path_token_refused",
         lambda: refused("/%s/cam-2/../cam-1/index.m3u8" % live2,
                         allowed=trick))
    case("traversal_encoded_dotdot_refused",
         lambda: refused("/cam-2/%2e%2e/cam-1/index.m3u8" + q(live2),
                         allowed=trick))
    case("traversal_encoded_slash_refused",
         lambda: refused("/cam-2%2F..%2Fcam-1/index.m3u8" + q(live2),
                         allowed=trick))
    case("traversal_double_slash_other_stream_403",
         lambda: refused("//cam-1//index.m3u8" + q(live2), allowed=trick))
    case("double_slash_same_stream_served",
         lambda: served("/cam-1//index.m3u8" + q(live),
                        file_path="/cam-1/index.m3u8"))

    # where the token comes from
    case("token_in_authorization_bearer",
         lambda: served("/cam-1/index.m3u8", headers={
             "Authorization": "Bearer " + live}))
    case("token_in_cookie",
         lambda: served("/cam-1/seg-2.ts", headers={
             "Cookie": "lang=en; streamtoken=%s; theme=dark" % live}))
    case("wrong_token_in_cookie_403",
         lambda: refused("/cam-2/seg-2.ts", 403, headers={
             "Cookie": "streamtoken=" + live}))

    # the HLS segment problem: a player that only has /<token>/cam-1/...
    def hls_player():
        base = "/%s/cam-1/index.m3u8" % live
        r = served(base, file_path="/cam-1/index.m3u8")
        segs = [ln for ln in r.body.decode().splitlines()
                if ln and not ln.startswith("#")]
        expect_eq(segs, ["seg-1.ts", "seg-2.ts"], "playlist segments")
        for seg in segs:
            url = urllib.parse.urljoin("http://127.0.0.1:%d%s" % (port, base),
                                       seg)
            path = urllib.parse.urlsplit(url).path
            expect_eq(path, "/%s/cam-1/%s" % (live, seg), "resolved segment")
            served(path, file_path="/cam-1/" + seg)
    case("hls_playlist_and_relative_segments_with_path_token", hls_player)
    case("path_token_dvr_playlist",
         lambda: served("/%s/cam-1/index-%d-%d.m3u8" % (dvr, FROM, DUR),
                        file_path="/cam-1/index-%d-%d.m3u8" % (FROM, DUR)))
    case("path_token_wrong_stream_403",
         lambda: refused("/%s/cam-2/seg-1.ts" % live, 403))
    case("path_token_forged_401",
         lambda: refused("/%s/cam-1/seg-1.ts" % forged_sig, 401))
    case("path_token_expired_401",
         lambda: refused("/%s/cam-1/seg-1.ts" % expired, 401))


def binding_cases(t, label, site, port, app, forbidden=403):
    """Issue 13: tokens bound to the viewer's address (REMOTE_ADDR, or
    X-Forwarded-For from a trusted proxy: the test client at 127.0.0.1 is
    one here) and tokens not valid before a time, through the web server."""
    def status_is(path, want, headers=None):
        r = http_get(port, path, headers)
        if want == 403:
            want = forbidden
        expect_eq(r.status, want, "GET %s %r" % (path[:100], headers))

    def case(name, fn):
        return t.case("%s_%s" % (label, name), fn)

    def url(**params):
        params.setdefault("ttl", 600)
        return "/cam-1/index.m3u8?token=" + app.mint(stream="cam-1",
                                                     live=True, **params)

    case("ip_bound_to_remote_addr_served",
         lambda: status_is(url(ip="127.0.0.1"), 200))
    case("ip_bound_to_block_of_remote_addr_served",
         lambda: status_is(url(ip="127.0.0.0/8"), 200))
    case("ip_bound_elsewhere_403",
         lambda: status_is(url(ip="203.0.113.7"), 403))
    case("ip_bound_to_forwarded_viewer_via_trusted_proxy_served",
         lambda: status_is(url(ip="203.0.113.7"), 200,
                           {"X-Forwarded-For": "203.0.113.7"}))
    case("ip_forwarded_spoof_left_of_real_viewer_403",
         lambda: status_is(url(ip="203.0.113.7"), 403,
                           {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}))
    case("ip_forwarded_ipv6_viewer_in_bound_block_served",
         lambda: status_is(url(ip="2001:db8::/48"), 200,
                           {"X-Forwarded-For": "2001:db8::42"}))
    now = int(time.time())
    case("nbf_in_future_401_not_yet_valid",
         lambda: status_is(url(nbf=now + 300), 401))
    case("nbf_past_served", lambda: status_is(url(nbf=now - 5), 200))


def reload_site(site, text):
    """Writes the site's configuration and sends SIGHUP to every process of
    the program; each applies it before its next request (SPEC 4)."""
    site.write(os.path.basename(site.ini), text)
    pids = [pid for pid, cmd in pids_mentioning(site.bin)
            if cmd == site.bin or cmd.startswith(site.bin + " ")]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGHUP)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
    return pids


def policy_recheck_cases(t, label, site, port, app, forbidden=403):
    """Tokens minted under one configuration, checked after a reload under
    another: judged by the policy as it is now (its client, the client's
    stream patterns, the stream's allow and access)."""
    def get(path):
        return http_get(port, path)

    def status_is(path, want):
        r = get(path)
        if want == 403:
            want = forbidden
        expect_eq(r.status, want, "GET %s" % path[:120])

    def case(name, fn):
        return t.case("%s_%s" % (label, name), fn)

    with open(site.ini) as f:
        original = f.read()
    api_live = app.mint(stream="cam-1", ttl=600, live=True)
    api_dvr = app.mint(stream="cam-1", ttl=600, dvr=True)
    api_cam2 = app.mint(stream="cam-2", ttl=600, live=True)
    operator = site.mint("cam-2", "--live", "--ttl", "600")
    dvr_url = "/cam-1/index-%d-%d.m3u8?token=" % (FROM, DUR)

    def before():
        status_is("/cam-1/index.m3u8?token=" + api_live, 200)
        status_is("/cam-2/index.m3u8?token=" + api_cam2, 200)
        status_is("/cam-3/index.m3u8", 401)
    case("recheck_tokens_valid_before_reload", before)

    narrowed = original.replace(
        "[stream cam-1]\naccess = private\n",
        "[stream cam-1]\naccess = private\nallow = dvr\n").replace(
        "[stream cam-*]", "[stream cam-3]\naccess = public\n\n[stream cam-*]")
    narrowed = re.sub(r"(\[client backend\]\ntoken_sha256 = \w+\n)",
                      r"\1streams = cam-1\n", narrowed)
    expect("allow = dvr" in narrowed and "streams = cam-1" in narrowed,
           "the narrowed configuration")
    try:
        reload_site(site, narrowed)
        case("recheck_stream_no_longer_allows_live_403",
             lambda: status_is("/cam-1/index.m3u8?token=" + api_live, 403))
        case("recheck_stream_still_allows_dvr",
             lambda: status_is(dvr_url + api_dvr, 200))
        case("recheck_client_no_longer_covers_stream_403",
             lambda: status_is("/cam-2/index.m3u8?token=" + api_cam2, 403))
        case("recheck_stream_now_public_needs_no_token",
             lambda: status_is("/cam-3/index.m3u8", 200))
        case("recheck_operator_token_has_no_client_to_recheck",
             lambda: status_is("/cam-2/index.m3u8?token=" + operator, 200))

        # backend is gone (a configuration needs one client: another one)
        reload_site(site, narrowed.replace("[client backend]",
                                           "[client frontend]"))
        case("recheck_removed_client_403",
             lambda: status_is(dvr_url + api_dvr, 403))
    finally:
        reload_site(site, original)

    def restored():
        status_is("/cam-1/index.m3u8?token=" + api_live, 200)
        status_is("/cam-2/index.m3u8?token=" + api_cam2, 200)
    case("recheck_tokens_valid_again_after_restore", restored)


def pkey_cases(t, label, site, port, forbidden=403):
    """EdDSA, ES256 and RS256 tokens through the web server: served, then
    served again (the verified-token cache), refused for another stream
    (403), refused when their signature is altered or when an HS256 token
    is keyed with the public key's PEM (401)."""
    import hmac
    files = site.files

    def expect_status(path, status):
        r = http_get(port, path)
        expect_eq(r.status, status, "GET %s status" % path[:100])
        if status == 200:
            expect_eq(r.body, files[path.split("?")[0]], "body")
        else:
            for body in files.values():
                expect(body not in r.body, "GET %s leaked a media file"
                       % path[:100])

    for kid, alg in PKEY_ALGS.items():
        def accepted(kid=kid):
            tok = site.mint("cam-1", "--live", "--ttl", "600",
                            ini=site.pkey_inis[kid])
            for _ in range(2):
                expect_status("/cam-1/index.m3u8?token=" + tok, 200)
            expect_status("/cam-2/index.m3u8?token=" + tok, forbidden)
            head, payload, sig = tok.split(".")
            bad = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
            expect_status("/cam-1/index.m3u8?token=%s.%s.%s" % (
                head, payload, bad), 401)

        def confused(kid=kid):
            pem = e2elib.run(["openssl", "pkey", "-in",
                              site.path(kid + ".pem"), "-pubout"]).stdout
            expect(pem.startswith(b"-----BEGIN PUBLIC KEY-----"), "no PEM")
            si = "%s.%s" % (b64url(json.dumps({"alg": "HS256", "typ": "JWT",
                                                "kid": kid})),
                            b64url(json.dumps(site.claims(live=True))))
            mac = hmac.new(pem, si.encode(), hashlib.sha256).digest()
            expect_status("/cam-1/index.m3u8?token=%s.%s" % (si, b64url(mac)),
                          401)
        t.case("%s_%s_token_served_cached_and_checked" % (label, alg),
               accepted)
        t.case("%s_%s_kid_hs256_keyed_with_public_key_pem_401" % (label, alg),
               confused)


def no_leftovers(t, label, site):
    def check():
        left = wait_no_leftovers(site.dir)
        expect(not left, "processes left running: %r" % left)
    t.case("%s_no_leftover_processes" % label, check)

    def sanitizers():
        found = site.sanitizer_findings()
        expect(not found, "sanitizer reports:\n" + "\n".join(found[:30]))
    t.case("%s_no_sanitizer_reports" % label, sanitizers)


def finish(t, label, site):
    """The last cases of a web-server test: no process left behind; the
    site's logs printed when something failed; the site removed."""
    no_leftovers(t, label, site)
    if t.failed:
        print("# logs:\n# " + site.logs().replace("\n", "\n# "))
    site.remove()
    t.done()
