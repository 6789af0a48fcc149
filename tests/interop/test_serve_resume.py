"""`padlock serve` resumes TLS 1.3 sessions, as openssl s_client reports.

- the default rotating keys, made by the master before fork: a session
  from one connection resumes on the next, whichever worker takes it;
- --tickets 0: no ticket, so nothing resumes;
- --ticket-key-file refused when others may read it;
- a fleet: two servers with one key file resume each other's sessions;
  after a rotation (new key first, old one still listed, SIGHUP) old
  sessions still resume; once the old key is gone they get full
  handshakes, and no request fails at any step.
"""

import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from common import (converse, expect, free_port, padlock_bin,  # noqa: E402
                    pki, tmp_path, workdir)
from serve_common import Serve, Suite, localhost_leaf, test_env  # noqa: E402

suite = Suite("padlock serve <- openssl s_client: TLS 1.3 resumption")

PAGE = "resume me"


def site_args():
    root = os.path.join(workdir(), "resume-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE + "\n")
    return ["--root", root, "--access-log", "off"] + localhost_leaf().args()


def request():
    return b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def s_client(srv, sess_flag, sess):
    argv = ["openssl", "s_client", "-tls1_3",
            "-connect", "127.0.0.1:%d" % srv.https_port,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", pki().root, "-verify_return_error", "-alpn", "http/1.1",
            sess_flag, sess]
    r = converse(argv, [request()], re.escape(PAGE))
    expect(PAGE in r.out, "the request failed:\n" + r.out[-2000:] + r.err[-1000:])
    return r.out


def reused(srv, sess):
    out = s_client(srv, "-sess_in", sess)
    if "Reused, TLSv1.3" in out:
        return True
    expect("New, TLSv1.3" in out, "s_client says neither New nor Reused")
    return False


def new_session(srv, name):
    sess = tmp_path(name)
    out = s_client(srv, "-sess_out", sess)
    expect("New, TLSv1.3" in out, "first handshake not new")
    return sess


@suite.case("rotating_keys_resume_across_workers")
def rotating():
    srv = Serve(site_args(), workers=2)
    try:
        sess = new_session(srv, "serve.sess")
        # several tries: the kernel spreads them over both workers
        for i in range(4):
            expect(reused(srv, sess), "try %d did not resume" % i)
    finally:
        srv.stop()


@suite.case("tickets_0_resumes_nothing")
def off():
    srv = Serve(site_args() + ["--tickets", "0"], workers=1)
    try:
        sess = tmp_path("off.sess")
        s_client(srv, "-sess_out", sess)
        expect(not os.path.exists(sess) or not reused(srv, sess),
               "resumed with tickets off")
    finally:
        srv.stop()


def write_keys(path, keys):
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# padlock ticket keys, newest first\n")
        for k in keys:
            f.write(k + "\n")
    os.rename(tmp, path)


@suite.case("ticket_key_file_readable_by_others_refused")
def refused():
    path = tmp_path("open.keys")
    write_keys(path, [os.urandom(32).hex()])
    os.chmod(path, 0o644)
    p = subprocess.run([padlock_bin(), "serve",
                        "--https-port", str(free_port()),
                        "--http-port", "0", "--listen", "127.0.0.1",
                        "--ticket-key-file", path] + site_args(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=test_env(), timeout=30)
    err = p.stderr.decode()
    expect(p.returncode != 0, "serve started with a world-readable key file")
    expect("chmod 600" in err and "ticket-key-file" in err,
           "no clear message: " + err[-500:])


@suite.case("fleet_shares_one_key_file_and_rotates")
def fleet():
    path = tmp_path("fleet.keys")
    old, new = os.urandom(32).hex(), os.urandom(32).hex()
    write_keys(path, [old])
    args = site_args() + ["--ticket-key-file", path]
    a = Serve(args, name="padlock serve A", workers=1)
    b = Serve(args, name="padlock serve B", workers=1)
    try:
        sess = new_session(a, "fleet.sess")
        expect(reused(b, sess), "B did not resume A's session")
        write_keys(path, [new, old])
        for srv in (a, b):
            mark = len(srv.err())
            srv.signal(signal.SIGHUP)
            srv.wait_log(r"reloaded", "the reload", start=mark)
        expect(reused(b, sess), "after the rotation, the old session "
               "did not resume")
        sess2 = new_session(a, "fleet2.sess")
        expect(reused(b, sess2), "a session sealed under the new key did "
               "not resume")
        write_keys(path, [new])
        mark = len(b.err())
        b.signal(signal.SIGHUP)
        b.wait_log(r"reloaded", "the reload", start=mark)
        expect(not reused(b, sess), "the old key still opens tickets")
        expect(reused(b, sess2), "the new key no longer opens tickets")
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    suite.run()
