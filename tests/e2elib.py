"""Shared code for the end-to-end tests: TAP output, a temporary configuration
made at run time, the real binary started as a FastCGI application on a unix
socket, requests through cgi-fcgi (or a minimal FastCGI client for what
cgi-fcgi cannot send), and CGI response parsing.

Everything is found through the environment that `make check` exports:
STREAMTOKEN (the built binary), TOP_SRCDIR and TOP_BUILDDIR; tools (cgi-fcgi,
lighttpd, curl) are found on PATH.  Standard library and python3-jwt only.
"""

import atexit
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or os.path.dirname(HERE)
TOP_BUILDDIR = os.environ.get("TOP_BUILDDIR") or TOP_SRCDIR
STREAMTOKEN = os.environ.get("STREAMTOKEN") or os.path.join(TOP_BUILDDIR,
                                                           "streamtoken")

# What a sanitizer build writes to the program's stderr when it finds a bug.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:",
                     "LeakSanitizer", "ERROR: UndefinedBehaviorSanitizer")


# ---------------------------------------------------------------- TAP --

class CaseFailed(Exception):
    pass


def expect(cond, msg="expectation failed"):
    if not cond:
        raise CaseFailed(msg)


def expect_eq(actual, expected, what="value"):
    if actual != expected:
        raise CaseFailed("%s: expected %r, got %r" % (what, expected, actual))


class Tap:
    """Numbered TAP cases; each case is a function that raises to fail."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.todo = []

    def _emit(self, ok, name, diag=None, directive=None):
        self.n += 1
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.n, name)
        if directive:
            line += " # " + directive
        print(line, flush=True)
        if diag:
            for d in str(diag).rstrip("\n").split("\n"):
                print("#   " + d, flush=True)

    def case(self, name, fn, *args, todo=None, **kw):
        """Runs fn(*args); a raise is a failure (TODO: an expected one)."""
        try:
            fn(*args, **kw)
        except Exception as e:  # every failure is reported, never fatal
            diag = str(e) if isinstance(e, CaseFailed) else \
                traceback.format_exc(limit=-2)
            if todo:
                self._emit(False, name, diag, "TODO " + todo)
                self.todo.append(name)
            else:
                self.failed += 1
                self._emit(False, name, diag)
            return False
        if todo:
            self._emit(True, name, "fixed? case was marked TODO", "TODO " +
                       todo)
        else:
            self._emit(True, name)
        return True

    def ok(self, cond, name, diag=None):
        def check():
            expect(cond, diag or "condition false")
        return self.case(name, check)

    def skip(self, name, reason):
        self._emit(True, name, None, "SKIP " + reason)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(0)


def need_tools(*names):
    """Skips the whole script when a tool it drives is not installed."""
    if not os.access(STREAMTOKEN, os.X_OK):
        skip_all("no streamtoken binary at %s" % STREAMTOKEN)
    for n in names:
        if shutil.which(n) is None:
            skip_all("%s not found on PATH" % n)
    try:
        import jwt  # noqa: F401 (only checking it is there)
    except ImportError:
        skip_all("python3-jwt not installed")


# ------------------------------------------------------------ helpers --

def b64url_decode(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def free_port():
    """A TCP port on 127.0.0.1 the kernel says is free right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(argv, env=None, input=None, timeout=30):
    """Runs a command; returns CompletedProcess with str stdout/stderr."""
    return subprocess.run(argv, env=env, input=input, capture_output=True,
                          timeout=timeout)


def base_env(**extra):
    """A small environment: no inherited STREAMTOKEN_CONFIG, no CGI vars."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LANG",
              "LD_LIBRARY_PATH"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def sanitizer_findings(text):
    return [line for line in text.splitlines()
            if any(m in line for m in SANITIZER_MARKERS)]


# ------------------------------------------------- processes and ports --

def port_open(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_lighttpd(write_conf, stderr_path, errorlog):
    """lighttpd -D on a free port of 127.0.0.1 with write_conf(port)'s
    file, checked with -tt first; returns (Popen, port). A free port can be
    taken between the probe and the bind: it retries with another."""
    for _ in range(5):
        port = free_port()
        conf = write_conf(port)
        r = run(["lighttpd", "-tt", "-f", conf], env=base_env())
        expect_eq(r.returncode, 0, "lighttpd -tt: %r" % r.stderr)
        with open(stderr_path, "ab") as err:
            proc = subprocess.Popen(["lighttpd", "-D", "-f", conf],
                                    stdin=subprocess.DEVNULL, stdout=err,
                                    stderr=err, env=base_env())
        deadline = time.time() + 10
        while time.time() < deadline and proc.poll() is None:
            if port_open(port):
                return proc, port
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise CaseFailed("lighttpd did not start; see %s" % errorlog)


def streamtoken_children(ppid):
    """Sorted PIDs of the streamtoken processes whose parent is ppid."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            exe = os.readlink("/proc/%s/exe" % d)
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == ppid and \
                os.path.basename(exe).startswith("streamtoken"):
            found.append(int(d))
    return sorted(found)


# --------------------------------------------------------- the sandbox --

class Sandbox:
    """A temporary folder with keys, clients and an INI file.

    Keys and client tokens are made by the program itself (gen-secret,
    gen-client), so the tests also cover those commands' output format."""

    def __init__(self, tag="e2e"):
        # Short prefix: a unix socket path must stay under 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="st-%s-" % tag)
        self.logs = []          # every file the program's stderr went to
        self.servers = []
        self.extra_output = []  # stderr of CLI runs, scanned for sanitizers
        # A script that dies half-way must not leave servers or files.
        atexit.register(self.cleanup)

    def path(self, name):
        return os.path.join(self.dir, name)

    def gen_secret(self, name="main.key"):
        p = self.path(name)
        r = run([STREAMTOKEN, "gen-secret", "-o", p], env=base_env())
        self.extra_output.append(r.stderr.decode(errors="replace"))
        if r.returncode != 0:
            raise RuntimeError("gen-secret failed: %r" % r.stderr)
        with open(p, "rb") as f:
            data = f.read()
        return p, data[:-1] if data.endswith(b"\n") else data

    def gen_client(self, name):
        """Returns (token, token_sha256, ini_lines) from gen-client."""
        r = run([STREAMTOKEN, "gen-client", name], env=base_env())
        self.extra_output.append(r.stderr.decode(errors="replace"))
        if r.returncode != 0:
            raise RuntimeError("gen-client failed: %r" % r.stderr)
        lines = r.stdout.decode().splitlines()
        token = None
        for i, line in enumerate(lines):
            if line.startswith("API token"):
                token = lines[i + 1].strip()
        sha = [ln.split("=", 1)[1].strip() for ln in lines
               if ln.startswith("token_sha256")][0]
        start = [i for i, ln in enumerate(lines)
                 if ln.startswith("[client ")][0]
        return token, sha, "\n".join(lines[start:]) + "\n"

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def log_path(self, tag):
        p = self.path("stderr-%s-%d.log" % (tag, len(self.logs)))
        self.logs.append(p)
        return p

    def sanitizer_report(self):
        found = []
        for p in self.logs:
            try:
                with open(p, errors="replace") as f:
                    found += ["%s: %s" % (os.path.basename(p), ln)
                              for ln in sanitizer_findings(f.read())]
            except OSError:
                pass
        for text in self.extra_output:
            found += sanitizer_findings(text)
        return found

    def cleanup(self):
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


STANDARD_STREAMS = """
[stream cam-1]
access = private

[stream cam-*]
access = private
max_ttl = 7200

[stream lobby]
access = public

[stream limited]
access = private
allow = live
max_ttl = 600

[stream other-1]
access = private
"""


class Setup:
    """A sandbox with one key (kid main) and two clients: backend (streams
    = *) and narrow (streams = cam-*), plus the standard streams."""

    def __init__(self, tag, server_extra="", streams=STANDARD_STREAMS,
                 issuer="media.example.com"):
        self.sb = Sandbox(tag)
        self.key_path, self.secret = self.sb.gen_secret("main.key")
        self.token, self.sha, self.client_lines = self.sb.gen_client("backend")
        self.narrow_token, self.narrow_sha, lines = \
            self.sb.gen_client("narrow")
        self.narrow_lines = lines.replace("streams = *", "streams = cam-*")
        self.issuer = issuer
        self.server_extra = server_extra
        self.streams = streams
        self.config = self.sb.write("streamtoken.ini", self.ini())

    def ini(self, issuer=None, server_extra=None, streams=None):
        issuer = self.issuer if issuer is None else issuer
        server_extra = self.server_extra if server_extra is None \
            else server_extra
        streams = self.streams if streams is None else streams
        return ("; written by the e2e tests\n[server]\n" +
                ("issuer = %s\n" % issuer if issuer else "") +
                server_extra +
                "\n[key main]\nalgorithm = HS256\nsecret_file = main.key\n\n"
                + self.client_lines + "\n" + self.narrow_lines + streams)

    def start(self, **kw):
        return Server(self.sb, self.config, **kw)


# ------------------------------------------------------- the program --

class Response:
    def __init__(self, raw, stderr=b"", rc=0):
        self.raw = raw
        self.stderr = stderr
        self.rc = rc
        self.status = None
        self.headers = {}       # lower-case name -> list of values
        self.body = b""
        self.parse_error = None
        try:
            self._parse(raw)
        except Exception as e:
            self.parse_error = "%s in %r" % (e, raw[:300])

    def _parse(self, raw):
        sep = raw.find(b"\r\n\r\n")
        nl = 4
        if sep < 0:
            sep, nl = raw.find(b"\n\n"), 2
        if sep < 0:
            raise ValueError("no blank line after the CGI headers")
        head, self.body = raw[:sep], raw[sep + nl:]
        for line in head.decode("latin-1").replace("\r\n", "\n").split("\n"):
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(
                value.strip())
        st = self.header("status")
        if st is None:
            raise ValueError("no Status: header")
        self.status = int(st.split()[0])

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def json(self):
        """Strict RFC 8259: NaN and Infinity are not JSON."""
        def no_constant(name):
            raise ValueError("not JSON: %s in %r" % (name, self.body[:200]))
        return json.loads(self.body, parse_constant=no_constant)

    def describe(self):
        return "status=%r headers=%r body=%r%s" % (
            self.status, self.headers, self.body[:400],
            (" parse_error=%s" % self.parse_error) if self.parse_error
            else "")


def cgi_env(method="POST", content_type="application/json", auth=None,
            content_length=None, body=b"", extra=None):
    env = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SCRIPT_NAME": "/api/", "REQUEST_URI": "/api/",
           "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost",
           "SERVER_PORT": "80"}
    if method is not None:
        env["REQUEST_METHOD"] = method
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    if auth is not None:
        env["HTTP_AUTHORIZATION"] = auth
    if content_length is None:
        content_length = str(len(body))
    if content_length is not False:
        env["CONTENT_LENGTH"] = content_length
    if extra:
        env.update(extra)
    return env


class Server:
    """The program as a FastCGI application on a unix socket on its stdin."""

    def __init__(self, sb, config, env=None, args=None):
        self.sb = sb
        self.sock_path = sb.path("fcgi-%d.sock" % len(sb.servers))
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(64)
        self.log = sb.log_path("server")
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(
                [STREAMTOKEN] + (args if args is not None else
                                 ["-c", config]),
                stdin=lsock.fileno(), stdout=subprocess.DEVNULL,
                stderr=logf, env=base_env(**(env or {})), close_fds=True)
        lsock.close()
        self.pid = self.proc.pid
        sb.servers.append(self)

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def request(self, body=b"", auth=None, **kw):
        """One request through cgi-fcgi; kw as for cgi_env."""
        if isinstance(body, str):
            body = body.encode()
        env = cgi_env(body=body, auth=auth, **kw)
        env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
        r = subprocess.run([shutil.which("cgi-fcgi"), "-bind", "-connect",
                            self.sock_path], input=body, env=env,
                           capture_output=True, timeout=30)
        return Response(r.stdout, r.stderr, r.returncode)

    def raw_request(self, params, stdin=b"", chunk=None):
        """One request through the minimal FastCGI client below, for bytes
        cgi-fcgi will not send (a body longer than CONTENT_LENGTH...)."""
        return Response(fcgi_request(self.sock_path, params, stdin, chunk))

    def rpc(self, payload, auth=None, **kw):
        body = payload if isinstance(payload, (bytes, str)) \
            else json.dumps(payload)
        return self.request(body, auth=auth, **kw)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self, timeout=10):
        """SIGTERM by PID; returns the exit status (None if it hung)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------- a minimal FastCGI client ----
# FastCGI 1.0 (fastcgi-archives spec): records of an 8-byte header.

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, \
    FCGI_STDERR = 1, 3, 4, 5, 6, 7


def _fcgi_record(rtype, content, req_id=1):
    out = b""
    while True:
        part, content = content[:65535], content[65535:]
        pad = -len(part) % 8
        out += struct.pack(">BBHHBB", 1, rtype, req_id, len(part), pad, 0) \
            + part + b"\0" * pad
        if not content:
            return out


def _fcgi_len(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I",
                                                             n | 0x80000000)


def fcgi_request(sock_path, params, stdin=b"", chunk=None, timeout=30):
    pairs = b"".join(_fcgi_len(len(k.encode())) + _fcgi_len(len(v)) +
                     k.encode() + v
                     for k, v in ((k, v if isinstance(v, bytes) else
                                   v.encode()) for k, v in params.items()))
    msg = _fcgi_record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))
    msg += _fcgi_record(FCGI_PARAMS, pairs) + _fcgi_record(FCGI_PARAMS, b"")
    chunk = chunk or 65535
    for i in range(0, len(stdin), chunk):
        msg += _fcgi_record(FCGI_STDIN, stdin[i:i + chunk])
    msg += _fcgi_record(FCGI_STDIN, b"")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    out = b""
    try:
        try:
            s.sendall(msg)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the application may answer before reading everything
        data = b""
        while True:
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                break
            if not got:
                break
            data += got
        while len(data) >= 8:
            _, rtype, _, clen, pad, _ = struct.unpack(">BBHHBB", data[:8])
            if rtype == FCGI_STDOUT:
                out += data[8:8 + clen]
            if rtype == FCGI_END_REQUEST:
                break
            data = data[8 + clen + pad:]
    finally:
        s.close()
    return out


# ---------------------------------------------------- token checks ----

def verify_token(token, secret, audience=None):
    """Verifies with python-jwt (HS256 only); returns (header, claims)."""
    import jwt
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, secret, algorithms=["HS256"],
                        options={"verify_aud": False, "require": ["iat"]})
    return header, claims


def check_token(token, secret, sub, azp, ttl=3600, live=False, dvr=False,
                copy=False, frm=0, to=0, iss="media.example.com",
                kid="main", now=None, jtis=None):
    """Checks an issued token against SPEC 3 exactly; raises CaseFailed."""
    expect(isinstance(token, str), "result is not a string: %r" % (token,))
    parts = token.split(".")
    expect_eq(len(parts), 3, "JWS compact parts")
    for p in parts:
        expect("=" not in p, "base64url padding in token part %r" % p)
    try:
        header, claims = verify_token(token, secret)
    except Exception as e:
        raise CaseFailed("python jwt refused the token: %s" % e)
    expect_eq(header, {"alg": "HS256", "typ": "JWT", "kid": kid}, "header")
    now = int(time.time()) if now is None else now
    expect(abs(claims.get("iat", -10**9) - now) <= 5,
           "iat %r far from now %d" % (claims.get("iat"), now))
    want = {"sub": sub, "azp": azp, "live": live, "dvr": dvr, "copy": copy}
    keys = {"sub", "iat", "jti", "azp", "live", "dvr", "copy"}
    if iss:
        want["iss"] = iss
        keys.add("iss")
    if ttl:
        keys.add("exp")
    if frm:
        want["from"] = frm
        keys.add("from")
    if to:
        want["to"] = to
        keys.add("to")
    expect_eq(set(claims), keys, "claim names")
    for k, v in want.items():
        expect(claims[k] == v and type(claims[k]) is type(v),
               "claim %s: expected %r, got %r" % (k, v, claims[k]))
    if ttl:
        expect_eq(claims["exp"], claims["iat"] + ttl, "exp - iat")
    jti = claims["jti"]
    expect(isinstance(jti, str) and all(c.isalnum() or c in "-_"
                                        for c in jti), "jti not base64url")
    expect(len(b64url_decode(jti)) >= 16, "jti under 128 bits: %r" % jti)
    if jtis is not None:
        expect(jti not in jtis, "jti %r repeated" % jti)
        jtis.add(jti)
    return header, claims


def sha256_hex(s):
    return hashlib.sha256(s.encode() if isinstance(s, str) else s).hexdigest()


def no_sanitizer_reports(t, sb):
    def check():
        found = sb.sanitizer_report()
        expect(not found, "sanitizer reports:\n" + "\n".join(found[:40]))
    t.case("no_sanitizer_reports", check)
