#!/usr/bin/python3
"""e2e_check_nginx: nginx with conf/nginx-auth-request.conf (auth_request)
in front of a folder of fake media files, the program under spawn-fcgi on
a Unix socket; every SPEC 7 case of checklib.media_cases, on a free
loopback port. Both are stopped by PID. Prints TAP.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checklib  # noqa: E402
import e2elib  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

LABEL = "nginx"

NGINX_CONF = """\
%(user)s
worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/logs/nginx-error.log;
events { worker_connections 64; }
http {
	access_log off;
	types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
	default_type application/octet-stream;
	client_body_temp_path %(dir)s/tmp/body;
	fastcgi_temp_path %(dir)s/tmp/fastcgi;
	proxy_temp_path %(dir)s/tmp/proxy;
	uwsgi_temp_path %(dir)s/tmp/uwsgi;
	scgi_temp_path %(dir)s/tmp/scgi;
	server {
		listen 127.0.0.1:%(port)d;
		include %(dir)s/auth-request.conf;
	}
}
"""


def main():
    e2elib.need_tools("cgi-fcgi")
    nginx = checklib.which("nginx")
    spawn = checklib.which("spawn-fcgi")
    if nginx is None:
        e2elib.skip_all("nginx not installed")
    if spawn is None:
        e2elib.skip_all("spawn-fcgi not installed")
    t = e2elib.Tap()
    site = checklib.Site("ng")
    server = spawned = app = None
    try:
        port = e2elib.free_port()
        sock = site.path("check.sock")
        os.mkdir(site.path("tmp"))
        with open(os.path.join(e2elib.TOP_SRCDIR, "conf",
                               "nginx-auth-request.conf")) as f:
            snippet = f.read()
        for k, v in (("@MEDIA_ROOT@", site.media),
                     ("@STREAMTOKEN_SOCKET@", sock)):
            expect(k in snippet, "%s not in the snippet" % k)
            snippet = snippet.replace(k, v)
        site.write("auth-request.conf", snippet)
        user = ""
        if site.user is not None:
            user = "user %s %s;" % (site.user.pw_name, site.group)
        site.write("nginx.conf", NGINX_CONF % {"user": user, "dir": site.dir,
                                               "port": port})
        site.chown_all()
        app = site.start_app()
        # spawn-fcgi -n execs the program: its PID is the program's.
        argv = [spawn, "-n", "-s", sock, "-M", "0660"]
        if site.user is not None:
            argv += ["-u", site.user.pw_name, "-g", site.group,
                     "-U", site.user.pw_name, "-G", site.group]
        with open(site.path("logs", "spawned-stderr.log"), "wb") as err:
            spawned = subprocess.Popen(
                argv + ["--", site.bin], stdout=subprocess.DEVNULL,
                stderr=err, env=e2elib.base_env(STREAMTOKEN_CONFIG=site.ini))
        sock_ok = checklib.wait_path(sock, spawned)
        with open(site.path("logs", "nginx-stderr.log"), "wb") as err:
            server = subprocess.Popen(
                [nginx, "-e", site.path("logs", "nginx-error.log"), "-p",
                 site.dir, "-c", site.path("nginx.conf"), "-g",
                 "daemon off;"], stdout=subprocess.DEVNULL, stderr=err)
        started = sock_ok and checklib.wait_port(port, server)
        t.case("nginx_starts_with_the_snippet",
               lambda: expect(started, "nginx or spawn-fcgi did not start\n"
                              + site.logs()))
        if started:
            checklib.media_cases(t, LABEL, site, port, app)
            checklib.binding_cases(t, LABEL, site, port, app)
            checklib.pkey_cases(t, LABEL, site, port)
            checklib.policy_recheck_cases(t, LABEL, site, port, app)

            def client_header_cannot_switch_mode():
                # An X-Original-URI or STREAMTOKEN_MODE header from the
                # client is only HTTP_*: it cannot make a check answer
                # for another URL.
                tok = site.mint("cam-2", "--live")
                r = checklib.http_get(port, "/cam-1/seg-1.ts?token=" + tok,
                                      {"X-Original-URI": "/cam-2/seg-1.ts",
                                       "Streamtoken-Mode": "verify"})
                expect_eq(r.status, 403, "status")
            t.case("nginx_client_headers_do_not_pick_the_checked_uri",
                   client_header_cannot_switch_mode)
    finally:
        checklib.stop(server)
        checklib.stop(spawned)
        if app is not None:
            app.stop()
    checklib.finish(t, LABEL, site)


if __name__ == "__main__":
    main()
