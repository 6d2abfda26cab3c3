#!/usr/bin/python3
"""e2e_check_apache: Apache 2.4 + mod_fcgid with conf/apache-fcgid-authorizer.conf
(FcgidAccessChecker) in front of a folder of fake media files, every SPEC 7
case of checklib.media_cases. apache2 runs in the foreground on a free
loopback port with its own ServerRoot, PidFile and ErrorLog in a temporary
folder, and is stopped by PID. Prints TAP.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checklib  # noqa: E402
import e2elib  # noqa: E402
from e2elib import expect  # noqa: E402

LABEL = "apache"
MODULES = "/usr/lib/apache2/modules"


def main():
    e2elib.need_tools("cgi-fcgi")
    apache = checklib.which("apache2") or checklib.which("httpd")
    if apache is None:
        e2elib.skip_all("apache2 not installed")
    if not os.path.exists(os.path.join(MODULES, "mod_fcgid.so")):
        e2elib.skip_all("mod_fcgid not installed (libapache2-mod-fcgid)")
    t = e2elib.Tap()
    site = checklib.Site("ap")
    proc = app = None
    try:
        port = e2elib.free_port()
        run = site.path("run")
        os.mkdir(run)
        mpm = "mpm_event"
        if not os.path.exists(os.path.join(MODULES, "mod_mpm_event.so")):
            mpm = "mpm_prefork"
        lines = ["ServerRoot %s" % site.dir,
                 "ServerName 127.0.0.1",
                 "Listen 127.0.0.1:%d" % port,
                 "PidFile %s/httpd.pid" % run,
                 "DefaultRuntimeDir %s" % run,
                 "ErrorLog %s" % site.path("logs", "apache-error.log"),
                 "LogLevel warn",
                 "Mutex file:%s default" % run,
                 "TypesConfig /dev/null",
                 "DocumentRoot %s" % site.media]
        for mod in (mpm, "authz_core", "alias", "fcgid", "unixd", "mime"):
            path = os.path.join(MODULES, "mod_%s.so" % mod)
            if os.path.exists(path):
                lines.append("LoadModule %s_module %s" % (mod, path))
        if site.user is not None:
            lines += ["User %s" % site.user.pw_name, "Group %s" % site.group]
        lines += ["FcgidIPCDir %s" % run,
                  "FcgidProcessTableFile %s/fcgid_shm" % run,
                  "<Directory />", "\tRequire all denied", "</Directory>"]
        with open(os.path.join(e2elib.TOP_SRCDIR, "conf",
                               "apache-fcgid-authorizer.conf")) as f:
            snippet = f.read()
        for k, v in (("@STREAMTOKEN_BIN@", site.bin),
                     ("@STREAMTOKEN_CONFIG@", site.ini),
                     ("@MEDIA_ROOT@", site.media)):
            expect(k in snippet, "%s not in the snippet" % k)
            snippet = snippet.replace(k, v)
        site.write("authorizer.conf", snippet)
        lines.append("Include %s" % site.path("authorizer.conf"))
        conf = site.write("httpd.conf", "\n".join(lines) + "\n")
        site.chown_all()
        app = site.start_app()
        with open(site.path("logs", "apache-stderr.log"), "wb") as err:
            proc = subprocess.Popen([apache, "-f", conf, "-DFOREGROUND"],
                                    stdout=subprocess.DEVNULL, stderr=err,
                                    env=e2elib.base_env())
        started = checklib.wait_port(port, proc)
        t.case("apache_starts_with_the_snippet",
               lambda: expect(started, "apache2 did not listen\n" +
                              site.logs()))
        if started:
            # FcgidAccessCheckerAuthoritative On answers every refusal
            # with 401; the program's own 401/403 is in the error log.
            checklib.media_cases(t, LABEL, site, port, app, forbidden=401)
            checklib.binding_cases(t, LABEL, site, port, app, forbidden=401)
            checklib.pkey_cases(t, LABEL, site, port, forbidden=401)
            checklib.policy_recheck_cases(t, LABEL, site, port, app, forbidden=401)

            def program_said_403():
                tok = site.mint("cam-2", "--live")
                r = checklib.http_get(port, "/cam-1/seg-2.ts?token=" + tok)
                expect(r.status == 401, "client sees %r" % r)
                with open(site.path("logs", "apache-error.log")) as f:
                    log = f.read()
                expect("/cam-1/seg-2.ts" in log and
                       "script returned status 403" in log,
                       "no 403 from the program in the error log")
            t.case("apache_program_403_reaches_client_as_401",
                   program_said_403)

            def authoritative_is_on():
                with open(site.path("authorizer.conf")) as f:
                    text = f.read()
                expect("FcgidAccessCheckerAuthoritative On" in text,
                       "Off would let Require all granted serve refused "
                       "files")
            t.case("apache_snippet_access_checker_authoritative",
                   authoritative_is_on)
    finally:
        checklib.stop(proc)
        if app is not None:
            app.stop()
    checklib.finish(t, LABEL, site)


if __name__ == "__main__":
    main()
