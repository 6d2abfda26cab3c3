"""End-to-end: the hardening of a serving process (issue 4): failed bearer
authentications logged at a bounded rate, -u USER drops root after the keys
are read, and the process is not dumpable (no core with its secrets).
TAP output."""

import os
import pwd
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import expect, expect_eq  # noqa: E402

L.need_tools("cgi-fcgi")

t = L.Tap()
setup = L.Setup("hard")
sb = setup.sb
BODY = ('{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",'
        '"params":{"stream":"cam-1"},"id":1}')


def fcgi(srv, auth):
    env = L.cgi_env(body=BODY.encode(), auth=auth)
    return srv.raw_request(env, BODY.encode())


def sanitizer_build():
    # ASan builds skip PR_SET_DUMPABLE (LeakSanitizer must ptrace).
    r = subprocess.run(["ldd", L.STREAMTOKEN], capture_output=True)
    return b"libasan" in r.stdout


def failed_auth_flood_is_rate_limited():
    srv = setup.start()
    try:
        # Start at the beginning of a second, so the flood fits in one.
        time.sleep(1 - time.time() % 1)
        start = time.time()
        for _ in range(60):
            r = fcgi(srv, "Bearer not-a-client-token")
            expect_eq(r.status, 401, "wrong bearer")
        flood_secs = time.time() - start
        time.sleep(1.1)
        fcgi(srv, "Bearer still-wrong")      # a new second: the summary
        r = fcgi(srv, "Bearer " + setup.token)
        expect_eq(r.status, 200, "a good client still served")
        log = srv.log_text()
        lines401 = [ln for ln in log.splitlines() if "status=401" in ln]
        summary = [ln for ln in log.splitlines()
                   if "failed bearer authentications not logged" in ln]
        # 10 per second at most: 60 failures spread over n seconds log
        # at most 10 * (n + 1) lines, plus the one of the new second.
        bound = 10 * (int(flood_secs) + 2) + 1
        expect(len(lines401) <= bound,
               "%d lines for 61 failures in %.1f s (bound %d)"
               % (len(lines401), flood_secs, bound))
        expect(len(lines401) >= 10, "the first failures must be logged")
        expect(summary, "no line counting the failures not logged")
        expect("status=200" in log, "the good request was not logged")
        expect("not-a-client-token" not in log, "bearer token in the log")
    finally:
        expect_eq(srv.stop(), 0, "exit status")


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def drop_to_user_after_reading_keys():
    if os.geteuid() != 0:
        raise L.CaseFailed("needs root")  # reported as a skip below
    nobody = pwd.getpwnam("nobody")
    # The key stays root-only: only a process that reads it before
    # switching user can serve.
    os.chmod(setup.key_path, 0o600)
    os.chmod(sb.dir, 0o755)
    srv = setup.start(args=["-c", setup.config, "-u", "nobody"])
    try:
        time.sleep(0.3)
        expect(srv.alive(), "exited: %s" % srv.log_text())
        expect_eq(uid_of(srv.pid), [nobody.pw_uid] * 4, "real/effective/"
                  "saved/fs uid")
        r = fcgi(srv, "Bearer " + setup.token)
        expect_eq(r.status, 200, r.describe())
        L.check_token(r.json()["result"], setup.secret, "cam-1", "backend")
        if not sanitizer_build():
            # Not dumpable: /proc/PID files belong to root, not to nobody.
            st = os.stat("/proc/%d/fd" % srv.pid)
            expect_eq(st.st_uid, 0, "owner of /proc/PID/fd (dumpable?)")
    finally:
        expect_eq(srv.stop(), 0, "exit status")


SUID_DUMPABLE = "/proc/sys/fs/suid_dumpable"


def stays_undumpable_with_suid_dumpable_1():
    # prctl(2): a change of uid resets "dumpable" to fs.suid_dumpable; at 1
    # the process would become dumpable (and ptrace-able by nobody) again
    # unless it sets PR_SET_DUMPABLE 0 after dropping root.
    with open(SUID_DUMPABLE) as f:
        saved = f.read().strip()
    os.chmod(setup.key_path, 0o600)
    os.chmod(sb.dir, 0o755)
    try:
        with open(SUID_DUMPABLE, "w") as f:
            f.write("1\n")
        srv = setup.start(args=["-c", setup.config, "-u", "nobody"])
        try:
            time.sleep(0.3)
            expect(srv.alive(), "exited: %s" % srv.log_text())
            r = fcgi(srv, "Bearer " + setup.token)
            expect_eq(r.status, 200, r.describe())
            # A non-dumpable task's /proc/PID files belong to root (the
            # directory itself shows the effective uid either way).
            for path in ("/proc/%d/fd" % srv.pid, "/proc/%d/mem" % srv.pid,
                         "/proc/%d/environ" % srv.pid):
                expect_eq(os.stat(path).st_uid, 0, "owner of %s" % path)
        finally:
            expect_eq(srv.stop(), 0, "exit status")
    finally:
        with open(SUID_DUMPABLE, "w") as f:
            f.write(saved + "\n")


def unknown_user_refused():
    r = L.run([L.STREAMTOKEN, "-c", setup.config, "-u",
               "no-such-user-streamtoken"], env=L.base_env())
    expect(r.returncode != 0, "started with an unknown -u user")
    expect(b"no-such-user-streamtoken" in r.stderr, r.stderr)


t.case("failed_bearer_auth_logged_at_bounded_rate",
       failed_auth_flood_is_rate_limited)
if os.geteuid() == 0:
    t.case("u_user_drops_root_after_reading_keys_and_is_not_dumpable",
           drop_to_user_after_reading_keys)
else:
    t.skip("u_user_drops_root_after_reading_keys_and_is_not_dumpable",
           "needs root")
if os.geteuid() != 0 or not os.access(SUID_DUMPABLE, os.W_OK):
    t.skip("u_user_stays_undumpable_with_suid_dumpable_1",
           "needs root and a writable fs.suid_dumpable")
elif sanitizer_build():
    t.skip("u_user_stays_undumpable_with_suid_dumpable_1",
           "sanitizer builds stay dumpable for LeakSanitizer")
else:
    t.case("u_user_stays_undumpable_with_suid_dumpable_1",
           stays_undumpable_with_suid_dumpable_1)
t.case("u_unknown_user_refused", unknown_user_refused)
L.no_sanitizer_reports(t, sb)
t.done()
