"""End-to-end: a real lighttpd on 127.0.0.1:<free port> that includes the
shipped conf/lighttpd-fastcgi.conf and spawns the program itself; requests
with curl.  TAP output."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("lighttpd", "curl")
SNIPPET = os.path.join(L.TOP_SRCDIR, "conf", "lighttpd-fastcgi.conf")
if not os.path.exists(SNIPPET):
    L.skip_all("no %s" % SNIPPET)

t = L.Tap()
setup = L.Setup("lighttpd")
sb = setup.sb
AUTH = "Bearer " + setup.token
docroot = sb.path("htdocs")
os.mkdir(docroot)
errorlog = sb.path("lighttpd-error.log")
# lighttpd -D hands its own stderr to the backends it spawns.
lighttpd_stderr = sb.path("lighttpd-stderr.log")
sb.logs += [errorlog, lighttpd_stderr]
lighttpd_proc = None
port = None
spawned = []


def q(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def write_conf(p):
    return sb.write("lighttpd.conf", "\n".join([
        "server.port = %d" % p,
        'server.bind = "127.0.0.1"',
        "server.document-root = " + q(docroot),
        "server.errorlog = " + q(errorlog),
        "server.pid-file = " + q(sb.path("lighttpd.pid")),
        "var.streamtoken_bin = " + q(L.STREAMTOKEN),
        "var.streamtoken_config = " + q(setup.config),
        "var.streamtoken_socket = " + q(sb.path("st.sock")),
        "include " + q(SNIPPET),
        ""]))


def process_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rindex(")") + 2:].split()[0] == "Z"   # dead, not reaped


def start():
    global lighttpd_proc, port
    lighttpd_proc, port = L.start_lighttpd(write_conf, lighttpd_stderr,
                                           errorlog)


class HttpResponse:
    def __init__(self, raw):
        # Skip interim 1xx responses.
        while True:
            head, _, rest = raw.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            self.status = int(lines[0].split()[1])
            if self.status >= 200:
                break
            raw = rest
        self.body = rest
        self.headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.headers.setdefault(k.strip().lower(), []).append(v.strip())

    def header(self, name):
        v = self.headers.get(name)
        return v[0] if v else None

    def json(self):
        return json.loads(self.body)

    def describe(self):
        return "status=%r headers=%r body=%r" % (self.status, self.headers,
                                                 self.body[:300])


def curl(body=b"", method="POST", auth=AUTH, ctype="application/json",
         path="/api/"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    argv = ["curl", "-sS", "-i", "--max-time", "20", "-X", method,
            "-H", "Expect:"]
    if ctype:
        argv += ["-H", "Content-Type: " + ctype]
    if auth:
        argv += ["-H", "Authorization: " + auth]
    if method != "GET":
        argv += ["--data-binary", "@-"]
    argv.append("http://127.0.0.1:%d%s" % (port, path))
    r = subprocess.run(argv, input=body, capture_output=True, timeout=30,
                       env=L.base_env())
    expect(r.returncode == 0, "curl failed: %r" % r.stderr)
    return HttpResponse(r.stdout)


def rpc(params, method="Auth.CreateAccessToken", id=1, **kw):
    msg = {"jsonrpc": "2.0", "method": method, "params": params}
    if id is not None:
        msg["id"] = id
    return curl(msg, **kw)


def json_headers(r):
    expect_eq(r.header("content-type"), "application/json", "Content-Type")
    expect_eq(r.header("cache-control"), "no-store", "Cache-Control")


def started():
    start()
    expect(lighttpd_proc.poll() is None, "lighttpd exited")


def success():
    r = rpc({"stream": "cam-1", "ttl": 300, "live": True, "dvr": True})
    expect_eq(r.status, 200, r.describe())
    json_headers(r)
    L.check_token(r.json()["result"], setup.secret, "cam-1", "backend",
                  ttl=300, live=True, dvr=True)


def spawned_by_lighttpd():
    spawned.extend(L.streamtoken_children(lighttpd_proc.pid))
    expect_eq(len(spawned), 1, "streamtoken children of lighttpd")


def alias_positional():
    r = rpc(["cam-7", 60, False, False, True], method="Auth.CreateApiToken",
            id="z")
    expect_eq(r.status, 200, r.describe())
    expect_eq(r.json()["id"], "z", "id")
    L.check_token(r.json()["result"], setup.secret, "cam-7", "backend",
                  ttl=60, copy=True)


def no_auth_401():
    r = rpc({"stream": "cam-1"}, auth=None)
    expect_eq(r.status, 401, r.describe())
    json_headers(r)
    expect_eq(r.header("www-authenticate"), 'Bearer realm="streamtoken"',
              "challenge")
    expect_eq(r.json()["error"]["code"], -32000, "code")


def bad_auth_401():
    r = rpc({"stream": "cam-1"}, auth="Bearer " + "Q" * 43)
    expect_eq(r.status, 401, r.describe())
    expect_eq(r.header("www-authenticate"),
              'Bearer realm="streamtoken", error="invalid_token"', "challenge")


def get_405():
    r = curl(method="GET")
    expect_eq(r.status, 405, r.describe())
    expect_eq(r.header("allow"), "POST", "Allow")
    json_headers(r)
    expect_eq(r.json()["error"]["code"], -32600, "code")


def too_large_413():
    r = curl(b"[" * 70000)
    expect_eq(r.status, 413, r.describe())
    json_headers(r)
    expect_eq(r.json()["error"]["code"], -32600, "code")


def media_type_415():
    r = rpc({"stream": "cam-1"}, ctype="text/plain")
    expect_eq(r.status, 415, r.describe())


def forbidden_403():
    r = rpc({"stream": "other-1"}, auth="Bearer " + setup.narrow_token)
    expect_eq(r.status, 403, r.describe())
    expect_eq(r.json()["error"]["code"], -32003, "code")


def invalid_params_400():
    r = rpc({"stream": "cam-1", "ttl": "3600"})
    expect_eq(r.status, 400, r.describe())
    expect_eq(r.json()["error"]["data"]["param"], "ttl", "param")


def batch():
    r = curl([{"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
               "params": {"stream": "cam-1"}, "id": 1},
              {"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
               "params": {"stream": "cam-1"}},
              {"jsonrpc": "2.0", "method": "Auth.Nope", "id": 2}])
    expect_eq(r.status, 200, r.describe())
    json_headers(r)
    arr = {m["id"]: m for m in r.json()}
    expect_eq(sorted(arr), [1, 2], "ids")
    L.check_token(arr[1]["result"], setup.secret, "cam-1", "backend")
    expect_eq(arr[2]["error"]["code"], -32601, "code")


def notification_204():
    r = rpc({"stream": "cam-1"}, id=None)
    expect_eq(r.status, 204, r.describe())
    expect_eq(r.body, b"", "body")


def same_backend_process():
    expect_eq(L.streamtoken_children(lighttpd_proc.pid), spawned,
              "backend restarted or duplicated")


def stop():
    lighttpd_proc.send_signal(signal.SIGTERM)
    rc = lighttpd_proc.wait(timeout=15)
    expect_eq(rc, 0, "lighttpd exit status")


def no_backend_left():
    expect(spawned, "no backend was seen")
    deadline = time.time() + 5
    while time.time() < deadline and not all(process_gone(p)
                                             for p in spawned):
        time.sleep(0.05)
    left = [p for p in spawned if not process_gone(p)]
    expect(not left, "streamtoken still running: %r" % left)


def backend_log_reached_lighttpd():
    text = ""
    for p in (errorlog, lighttpd_stderr):
        with open(p, errors="replace") as f:
            text += f.read()
    expect("method=Auth.CreateAccessToken stream=cam-1 status=200" in text,
           "no request lines in lighttpd's logs:\n" + text[-2000:])
    expect(setup.token not in text, "bearer token in the logs")


for name, fn in [("lighttpd_started_with_shipped_snippet", started),
                 ("success_token_verified_by_python_jwt", success),
                 ("streamtoken_spawned_by_lighttpd", spawned_by_lighttpd),
                 ("success_alias_positional", alias_positional),
                 ("401_no_authorization", no_auth_401),
                 ("401_invalid_token", bad_auth_401),
                 ("405_get_allow_post", get_405),
                 ("413_body_too_large", too_large_413),
                 ("415_text_plain", media_type_415),
                 ("403_client_not_allowed", forbidden_403),
                 ("400_invalid_params", invalid_params_400),
                 ("batch_200_array", batch),
                 ("notification_204_no_body", notification_204),
                 ("one_backend_process_throughout", same_backend_process),
                 ("lighttpd_stopped_by_pid_exit_0", stop),
                 ("no_streamtoken_process_left", no_backend_left),
                 ("backend_log_lines_reach_lighttpd_logs",
                  backend_log_reached_lighttpd)]:
    if name != "lighttpd_started_with_shipped_snippet" and (
            lighttpd_proc is None):
        t.skip(name, "lighttpd did not start")
        continue
    t.case(name, fn)

L.no_sanitizer_reports(t, sb)
if lighttpd_proc is not None and lighttpd_proc.poll() is None:
    lighttpd_proc.kill()
    lighttpd_proc.wait()
for p in spawned:
    if not process_gone(p):
        os.kill(p, signal.SIGKILL)
sb.cleanup()
t.done()
