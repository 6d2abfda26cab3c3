#!/usr/bin/python3
"""e2e_check_lighttpd: lighttpd with conf/lighttpd-authorizer.conf (mod_fastcgi
"mode" => "authorizer") in front of a folder of fake media files; every
SPEC 7 case of checklib.media_cases, on a free loopback port. Prints TAP.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checklib  # noqa: E402
import e2elib  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

LABEL = "lighttpd"

CONF = """\
server.document-root = "%(media)s"
server.bind = "127.0.0.1"
server.port = %(port)d
server.pid-file = "%(dir)s/lighttpd.pid"
server.errorlog = "%(dir)s/logs/lighttpd-error.log"
server.breakagelog = "%(dir)s/logs/streamtoken-stderr.log"
server.upload-dirs = ( "%(dir)s" )
%(user)s
mimetype.assign = ( ".m3u8" => "application/vnd.apple.mpegurl",
                    ".ts" => "video/mp2t", "" => "application/octet-stream" )
var.streamtoken_bin    = "%(bin)s"
var.streamtoken_config = "%(ini)s"
var.streamtoken_socket = "%(dir)s/check.sock"
var.streamtoken_media  = "%(media)s"
include "%(snippet)s"
"""


def main():
    e2elib.need_tools("lighttpd", "cgi-fcgi")
    lighttpd = checklib.which("lighttpd")
    t = e2elib.Tap()
    site = checklib.Site("lh")
    proc = app = None
    try:
        port = e2elib.free_port()
        user = ""
        if site.user is not None:
            user = 'server.username = "%s"\nserver.groupname = "%s"' % (
                site.user.pw_name, site.group)
        conf = site.write("lighttpd.conf", CONF % {
            "media": site.media, "port": port, "dir": site.dir,
            "bin": site.bin, "ini": site.ini, "user": user,
            "snippet": os.path.join(e2elib.TOP_SRCDIR, "conf",
                                    "lighttpd-authorizer.conf")})
        app = site.start_app()
        with open(site.path("logs", "lighttpd-stderr.log"), "wb") as err:
            proc = subprocess.Popen([lighttpd, "-D", "-f", conf],
                                    stdout=subprocess.DEVNULL, stderr=err)
        started = checklib.wait_port(port, proc)
        t.case("lighttpd_starts_with_the_snippet",
               lambda: expect(started, "lighttpd did not listen\n" +
                              site.logs()))
        if started:
            checklib.media_cases(t, LABEL, site, port, app)
            checklib.binding_cases(t, LABEL, site, port, app)
            checklib.pkey_cases(t, LABEL, site, port)
            checklib.policy_recheck_cases(t, LABEL, site, port, app)

            def request_uri_is_original():
                # The authorizer's decision can only involve the token in
                # the path if REQUEST_URI is the URI before url.rewrite.
                tok = site.mint("cam-2", "--live")
                r = checklib.http_get(port, "/%s/cam-1/seg-1.ts" % tok)
                expect_eq(r.status, 403, "cam-2 path token on a cam-1 "
                          "segment (REQUEST_URI must keep the token)")
            t.case("lighttpd_authorizer_sees_original_request_uri",
                   request_uri_is_original)
    finally:
        checklib.stop(proc)
        if app is not None:
            app.stop()
    checklib.finish(t, LABEL, site)


if __name__ == "__main__":
    main()
