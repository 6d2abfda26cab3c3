"""End-to-end: no answer is lost however a FastCGI connection ends
(issue 11).

streamtoken closes a connection at once (FCGX_Detach) only when the
request's stdin was read to its end; a body refused before it was read is
read and thrown away first, up to 4 MB, and past that libfcgi's close waits
for the web server to close first. Closing with unread bytes would reset a
TCP connection, and the web server could lose the answer with it.

Under load through lighttpd, to two program instances sharing one
listening socket (as spawn-fcgi -F 2), once on TCP and once on a unix
socket: requests that are issued (200), refused before their body was read
(415 with a body, 413 over max_body), and a few refused with a body past
the 4 MB bound. Every answer is counted: each must arrive whole, with its
status, and lighttpd must log no trouble with its backend connections
(a connection closed with bytes unread is a reset, which lighttpd logs as
"connection was dropped after accept()" even when the answer survived).
Free ports, temporary folders, every process stopped by PID.  TAP
output."""

import concurrent.futures
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("lighttpd")

t = L.Tap()
setup = L.Setup("close")
sb = setup.sb
AUTH = "Bearer " + setup.token
BODY = json.dumps({"jsonrpc": "2.0", "method": "Auth.CreateAccessToken",
                   "params": {"stream": "cam-1", "live": True}, "id": 7})

# kind: (count, Content-Type, body, expected status)
KINDS = {
    "issued": (240, "application/json", BODY.encode(), 200),
    "415_body_unread": (160, "text/plain", b"x" * 20000, 415),
    "413_over_max_body": (160, "application/json", b"[" * 70000, 413),
    "415_body_over_drain_bound": (6, "text/plain", b"y" * (5 << 20), 415),
}


class Backend:
    """Two program instances accepting on one listening socket."""

    def __init__(self, family):
        self.family = family
        if family == "tcp":
            lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            lsock.bind(("127.0.0.1", 0))
            self.port = lsock.getsockname()[1]
        else:
            self.path = sb.path("close.sock")
            lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            lsock.bind(self.path)
        lsock.listen(64)
        self.procs, self.logs = [], []
        for _ in range(2):
            log = sb.log_path("close-" + family)
            with open(log, "wb") as logf:
                p = subprocess.Popen([L.STREAMTOKEN, "-c", setup.config],
                                     stdin=lsock.fileno(),
                                     stdout=subprocess.DEVNULL, stderr=logf,
                                     env=L.base_env(), close_fds=True)
            self.procs.append(p)
            self.logs.append(log)
        lsock.close()

    def fastcgi_conf(self):
        if self.family == "tcp":
            return ('"host" => "127.0.0.1", "port" => %d,' % self.port)
        return '"socket" => "%s",' % self.path

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=10))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                codes.append(None)
        return codes


class Lighttpd:
    def __init__(self, backend):
        self.backend = backend
        self.proc = None
        self.port = None
        self.errorlog = sb.path("lighttpd-%s-error.log" % backend.family)
        os.makedirs(sb.path("htdocs"), exist_ok=True)

    def start(self):
        for _ in range(5):
            port = L.free_port()
            conf = sb.write("lighttpd-%s.conf" % self.backend.family,
                            "\n".join([
                                "server.port = %d" % port,
                                'server.bind = "127.0.0.1"',
                                'server.document-root = "%s"' %
                                sb.path("htdocs"),
                                'server.errorlog = "%s"' % self.errorlog,
                                "server.max-request-size = 16384",
                                'server.modules += ( "mod_fastcgi" )',
                                'fastcgi.server = ( "/api/" => ((',
                                "  " + self.backend.fastcgi_conf(),
                                '  "check-local" => "disable",',
                                ")))", ""]))
            self.proc = subprocess.Popen(
                ["lighttpd", "-D", "-f", conf], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=L.base_env())
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                if L.port_open(port):
                    self.port = port
                    return
                time.sleep(0.05)
            self.stop()
        raise L.CaseFailed("lighttpd did not start; see %s" % self.errorlog)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def post(port, content_type, body):
    """One POST on its own connection: (status, whole) or (None, why)."""
    head = ("POST /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            "Content-Type: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n"
            "\r\n" % (content_type, AUTH, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", port), 30)
    data = b""
    try:
        s.sendall(head + body)
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except OSError as e:
        # lighttpd may answer before it took the whole body: keep reading.
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    break
                data += got
        except OSError:
            pass
        if not data:
            return None, "no answer (%s)" % e
    finally:
        s.close()
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None, "no whole header: %r" % data[:80]
    lines = data[:head_end].decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    length = [int(ln.split(":", 1)[1]) for ln in lines
              if ln.lower().startswith("content-length:")]
    got_body = data[head_end + 4:]
    if length and len(got_body) != length[0]:
        return None, "%d of %d body bytes" % (len(got_body), length[0])
    try:
        answer = json.loads(got_body)
    except ValueError:
        return None, "status %d, body not JSON: %r" % (status, got_body[:80])
    if status == 200 and not answer.get("result", "").startswith("ey"):
        return None, "200 without a token: %r" % got_body[:80]
    return status, None


def every_answer_counted(family):
    def check():
        backend = Backend(family)
        lt = Lighttpd(backend)
        try:
            lt.start()
            plan = [kind for kind, (n, _, _, _) in KINDS.items()
                    for _ in range(n)]
            random.Random(11).shuffle(plan)

            def one(kind):
                _, ctype, body, _ = KINDS[kind]
                return kind, post(lt.port, ctype, body)
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                results = list(ex.map(one, plan))
            counts = {}
            lost = []
            for kind, (status, why) in results:
                if status == KINDS[kind][3]:
                    counts[kind] = counts.get(kind, 0) + 1
                else:
                    lost.append("%s: %s" % (kind, why or "status %s" % status))
            print("#   %s: %s" % (family, ", ".join(
                "%s %d/%d" % (k, counts.get(k, 0), KINDS[k][0])
                for k in KINDS)), flush=True)
            expect(not lost, "%d of %d answers lost or wrong: %s" % (
                len(lost), len(plan), "; ".join(lost[:5])))
            expect(backend.alive(), "an instance died")
        finally:
            lt.stop()
            codes = backend.stop()
        expect_eq(codes, [0, 0], "exit statuses")
        with open(lt.errorlog, errors="replace") as f:
            trouble = [ln for ln in f.read().splitlines()
                       if "gw_backend" in ln or "fastcgi" in ln.lower()]
        expect(not trouble, "lighttpd logged %d backend errors: %s" % (
            len(trouble), "; ".join(trouble[:3])))
        text = ""
        for log in backend.logs:
            with open(log, errors="replace") as f:
                text += f.read()
        expect(not L.sanitizer_findings(text), "sanitizer: %r" %
               L.sanitizer_findings(text)[:5])
    return check


t0 = time.time()
t.case("tcp_refused_and_issued_under_load_every_answer_arrives",
       every_answer_counted("tcp"))
t.case("unix_refused_and_issued_under_load_every_answer_arrives",
       every_answer_counted("unix"))
L.no_sanitizer_reports(t, sb)
print("# %.1f s" % (time.time() - t0), flush=True)
sb.cleanup()
t.done()
