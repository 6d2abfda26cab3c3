#!/usr/bin/python3
"""e2e_webservers: the conf/ snippets in real web servers, on loopback.

Apache 2.4 + mod_fcgid with conf/apache-fcgid.conf, and nginx with
conf/nginx-fastcgi.conf in front of conf/spawn-fcgi.sh, once as shipped
and once keeping its FastCGI connection (upstream keepalive,
fastcgi_keep_conn on: FCGI_KEEP_CONN). Each server runs
from its own temporary folder on a free 127.0.0.1 port and is stopped by
PID afterwards. Prints TAP; a server whose binaries are absent is skipped.
"""

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
import sys
import tempfile
import time

TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
STREAMTOKEN = os.environ.get("STREAMTOKEN") or os.path.join(
    os.environ.get("TOP_BUILDDIR", TOP_SRCDIR), "streamtoken")
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
APACHE_MODULES = "/usr/lib/apache2/modules"
STREAM = "cam-7"

count = 0
failed = 0


def tap(ok, name, diag=None):
    global count, failed
    count += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", count, name))
    if not ok and diag:
        for line in str(diag).splitlines():
            print("#   " + line)
    sys.stdout.flush()


def skip(name, reason):
    global count
    count += 1
    print("ok %d - %s # SKIP %s" % (count, name, reason))
    sys.stdout.flush()


def which(name):
    return shutil.which(name, path=SBIN_PATH)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc):
    """SIGTERM by PID, then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def read_logs(*paths):
    text = ""
    for p in paths:
        try:
            with open(p, errors="replace") as f:
                text += "--- %s\n%s" % (p, f.read()[-3000:])
        except OSError:
            pass
    return text


class Site:
    """A temporary folder with the program, a key and a configuration."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="st-%s-" % name)
        self.bin = os.path.join(self.dir, "streamtoken")
        self.ini = os.path.join(self.dir, "streamtoken.ini")
        self.logs = os.path.join(self.dir, "logs")
        os.mkdir(self.logs)
        # A copy, so that the web server's user can run it from anywhere.
        shutil.copy2(STREAMTOKEN, self.bin)
        subprocess.run([self.bin, "gen-secret", "-o",
                        os.path.join(self.dir, "main.key")], check=True)
        self.api_token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(self.api_token.encode()).hexdigest()
        with open(os.path.join(TOP_SRCDIR, "conf", "streamtoken.ini")) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^token_sha256 = .*$",
                          "token_sha256 = " + digest, text)
        if n == 0:
            raise RuntimeError("no token_sha256 in conf/streamtoken.ini")
        with open(self.ini, "w") as f:
            f.write(text)
        # As root the servers run their workers as an unprivileged user,
        # who must be able to read the folder and the key.
        self.user = self.group = None
        if os.geteuid() == 0:
            for candidate in ("www-data", "nobody"):
                try:
                    self.user = pwd.getpwnam(candidate)
                    break
                except KeyError:
                    pass
            self.group = grp.getgrgid(self.user.pw_gid).gr_name
            os.chmod(self.dir, 0o700)
            for root, dirs, files in os.walk(self.dir):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), self.user.pw_uid,
                             self.user.pw_gid)
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def own(self, *paths):
        if self.user is not None:
            for p in paths:
                os.chown(p, self.user.pw_uid, self.user.pw_gid)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def post(port, body, token=None, method="POST"):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, "/api/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


CREATE = json.dumps({"jsonrpc": "2.0", "method": "Auth.CreateApiToken",
                     "params": {"stream": STREAM, "ttl": 3600, "live": True},
                     "id": 1})


def check_server(label, site, port, logs):
    """The same four cases behind every web server."""
    try:
        status, headers, body = post(port, CREATE, site.api_token)
        token = json.loads(body).get("result") if status == 200 else None
        ok = token is not None and subprocess.run(
            [site.bin, "verify", "-c", site.ini, token],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        tap(ok and headers.get("Cache-Control") == "no-store",
            "%s_issues_a_token_that_verifies" % label,
            "status %s headers %s body %r\n%s" % (status, headers, body,
                                                  read_logs(*logs)))
    except Exception as e:  # noqa: BLE001 -- any failure is this case's
        tap(False, "%s_issues_a_token_that_verifies" % label,
            "%r\n%s" % (e, read_logs(*logs)))
    try:
        status, headers, body = post(port, CREATE)
        tap(status == 401 and headers.get("WWW-Authenticate", "").startswith(
            "Bearer realm=") and json.loads(body)["error"]["code"] == -32000,
            "%s_no_bearer_is_401" % label,
            "status %s headers %s body %r" % (status, headers, body))
    except Exception as e:  # noqa: BLE001
        tap(False, "%s_no_bearer_is_401" % label, repr(e))
    try:
        status, headers, body = post(port, CREATE, "not-the-api-token")
        tap(status == 401 and "invalid_token" in
            headers.get("WWW-Authenticate", ""),
            "%s_wrong_bearer_is_401_invalid_token" % label,
            "status %s headers %s body %r" % (status, headers, body))
    except Exception as e:  # noqa: BLE001
        tap(False, "%s_wrong_bearer_is_401_invalid_token" % label, repr(e))
    try:
        status, headers, body = post(port, None, site.api_token, method="GET")
        tap(status == 405 and headers.get("Allow") == "POST",
            "%s_get_is_405_allow_post" % label,
            "status %s headers %s body %r" % (status, headers, body))
    except Exception as e:  # noqa: BLE001
        tap(False, "%s_get_is_405_allow_post" % label, repr(e))


NCASES = 4


def skip_all(label, reason, extra=()):
    for name in ["issues_a_token_that_verifies", "no_bearer_is_401",
                 "wrong_bearer_is_401_invalid_token",
                 "get_is_405_allow_post"] + list(extra):
        skip("%s_%s" % (label, name), reason)


def run_apache():
    apache = which("apache2") or which("httpd")
    fcgid = os.path.join(APACHE_MODULES, "mod_fcgid.so")
    if apache is None:
        return skip_all("apache", "apache2 not installed")
    if not os.path.exists(fcgid):
        return skip_all("apache", "mod_fcgid not installed "
                        "(libapache2-mod-fcgid)")
    site = Site("apache")
    proc = None
    try:
        port = free_port()
        run = site.path("run")
        os.mkdir(run)
        site.own(run)
        mpm = "mpm_event"
        if not os.path.exists(os.path.join(APACHE_MODULES,
                                           "mod_mpm_event.so")):
            mpm = "mpm_prefork"
        lines = [
            "ServerRoot %s" % site.dir,
            "ServerName 127.0.0.1",
            "Listen 127.0.0.1:%d" % port,
            "PidFile %s" % site.path("run", "httpd.pid"),
            "DefaultRuntimeDir %s" % run,
            "ErrorLog %s" % site.path("logs", "error.log"),
            "LogLevel warn",
            "DocumentRoot %s" % site.dir,
        ]
        for mod in (mpm, "authz_core", "alias", "fcgid"):
            lines.append("LoadModule %s_module %s/mod_%s.so" % (
                mod, APACHE_MODULES, mod))
        if site.user is not None:
            lines += ["User %s" % site.user.pw_name,
                      "Group %s" % site.group]
        lines += [
            "FcgidIPCDir %s" % run,
            "FcgidProcessTableFile %s" % site.path("run", "fcgid_shm"),
            "Define STREAMTOKEN_BIN %s" % site.bin,
            "Define STREAMTOKEN_CONFIG %s" % site.ini,
            "Include %s" % os.path.join(TOP_SRCDIR, "conf", "apache-fcgid.conf"),
        ]
        conf = site.path("httpd.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.Popen([apache, "-f", conf, "-DFOREGROUND"],
                                stdout=subprocess.DEVNULL,
                                stderr=open(site.path("logs", "stderr.log"),
                                            "w"))
        logs = [site.path("logs", "error.log"), site.path("logs", "stderr.log")]
        if not wait_port(port, proc):
            for i in range(NCASES):
                tap(False, "apache_starts_%d" % (i + 1), read_logs(*logs))
            return
        check_server("apache", site, port, logs)
    finally:
        stop(proc)
        site.remove()


NGINX_CONF = """\
%(user)s
worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %(dir)s/tmp/body;
	fastcgi_temp_path %(dir)s/tmp/fastcgi;
	proxy_temp_path %(dir)s/tmp/proxy;
	uwsgi_temp_path %(dir)s/tmp/uwsgi;
	scgi_temp_path %(dir)s/tmp/scgi;
	%(upstream)s
	server {
		listen 127.0.0.1:%(port)d;
		include %(dir)s/streamtoken-api.conf;
	}
}
"""

# The keep-alive variant: nginx keeps its FastCGI connection (FCGI_KEEP_CONN)
# and sends every request of the run over it.
KEPT_UPSTREAM = "upstream streamtoken_kept { server unix:%s; keepalive 1; }"

FASTCGI_PARAMS = """\
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;
fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  REMOTE_ADDR        $remote_addr;
"""


def sockets_of(pid):
    """How many sockets the process holds open (listener + connections)."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return n


def check_kept_connection(label, port, site, app, logs):
    """20 calls in a row over nginx's kept connection: every one answered,
    and between them the process still holds that connection open."""
    ok, why = True, ""
    for i in range(20):
        status, _, body = post(port, CREATE, site.api_token)
        if status != 200 or "result" not in json.loads(body):
            ok, why = False, "call %d: status %s body %r" % (i, status, body)
            break
    held = sockets_of(app.pid)
    tap(ok and held >= 2, "%s_20_calls_over_one_kept_connection" % label,
        "%s sockets held %d (listener + the kept connection expected)\n%s"
        % (why, held, read_logs(*logs)))


def run_nginx(keep_conn=False):
    label = "nginx_keep_conn" if keep_conn else "nginx"
    nginx = which("nginx")
    spawn = which("spawn-fcgi")
    extra = ["20_calls_over_one_kept_connection"] if keep_conn else []
    if nginx is None:
        return skip_all(label, "nginx not installed", extra)
    if spawn is None:
        return skip_all(label, "spawn-fcgi not installed", extra)
    site = Site(label)
    app = server = None
    try:
        port = free_port()
        sock = site.path("streamtoken.sock")
        os.mkdir(site.path("tmp"))
        site.own(site.path("tmp"))
        # The snippet as shipped, with the socket moved into our folder.
        with open(os.path.join(TOP_SRCDIR, "conf", "nginx-fastcgi.conf")) as f:
            snippet = f.read()
        snippet, n = re.subn(r"unix:\S+;", "unix:%s;" % sock, snippet)
        if n != 1:
            raise RuntimeError("no fastcgi_pass unix: in nginx-fastcgi.conf")
        upstream = ""
        if keep_conn:
            upstream = KEPT_UPSTREAM % sock
            snippet = snippet.replace("fastcgi_pass unix:%s;" % sock,
                                      "fastcgi_pass streamtoken_kept;\n"
                                      "\tfastcgi_keep_conn on;")
        with open(site.path("streamtoken-api.conf"), "w") as f:
            f.write(snippet)
        # "include fastcgi_params" is relative to the configuration folder.
        try:
            shutil.copy("/etc/nginx/fastcgi_params", site.path("fastcgi_params"))
        except OSError:
            with open(site.path("fastcgi_params"), "w") as f:
                f.write(FASTCGI_PARAMS)
        user = ""
        if site.user is not None:
            user = "user %s %s;" % (site.user.pw_name, site.group)
        with open(site.path("nginx.conf"), "w") as f:
            f.write(NGINX_CONF % {"user": user, "dir": site.dir, "port": port,
                                  "upstream": upstream})
        env = dict(os.environ, PATH=SBIN_PATH,
                   STREAMTOKEN_BIN=site.bin, STREAMTOKEN_CONFIG=site.ini,
                   STREAMTOKEN_SOCKET=sock)
        if site.user is not None:
            env["STREAMTOKEN_USER"] = site.user.pw_name
            env["STREAMTOKEN_SOCKET_GROUP"] = site.group
        logs = [site.path("logs", "error.log"), site.path("logs", "app.log")]
        app = subprocess.Popen(
            [os.path.join(TOP_SRCDIR, "conf", "spawn-fcgi.sh")], env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(site.path("logs", "app.log"), "w"))
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and app.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        server = subprocess.Popen(
            [nginx, "-e", site.path("logs", "error.log"), "-p", site.dir,
             "-c", site.path("nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if not os.path.exists(sock) or not wait_port(port, server):
            for i in range(NCASES + len(extra)):
                tap(False, "%s_starts_%d" % (label, i + 1), read_logs(*logs))
            return
        check_server(label, site, port, logs)
        if keep_conn:
            check_kept_connection(label, port, site, app, logs)
    finally:
        stop(server)
        stop(app)
        site.remove()


def main():
    if not os.access(STREAMTOKEN, os.X_OK):
        print("1..0 # SKIP no streamtoken binary at %s" % STREAMTOKEN)
        return 0
    run_apache()
    run_nginx()
    run_nginx(keep_conn=True)
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
