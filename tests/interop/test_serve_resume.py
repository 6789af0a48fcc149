"""`padlock serve` resumes TLS 1.3 and 1.2 sessions, as openssl s_client
and curl report.

- the default rotating keys, made by the master before fork: a session
  from one connection resumes on the next, whichever worker takes it
  (TLS 1.3, and TLS 1.2 with RFC 5077 tickets);
- curl with two URLs on one command line (a new connection for each)
  says it reuses the session for the second in TLS 1.3. In TLS 1.2 curl
  on OpenSSL sends no session_ticket extension (SSL_OP_NO_TICKET) and
  resumes only by session id, which padlock does not cache: both
  connections are full handshakes and both succeed (against `openssl
  s_server -tls1_2 -no_cache`, tickets only, curl reuses nothing either);
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
                    pki, run, tmp_path, workdir)
from serve_common import Serve, Suite, localhost_leaf, test_env  # noqa: E402

suite = Suite("padlock serve <- openssl s_client, curl: TLS 1.3 and 1.2 "
              "resumption")

PAGE = "resume me"


def site_args():
    root = os.path.join(workdir(), "resume-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE + "\n")
    return ["--root", root, "--access-log", "off"] + localhost_leaf().args()


def request():
    return b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def s_client(srv, sess_flag, sess, version="1.3"):
    argv = ["openssl", "s_client", "-tls" + version.replace(".", "_"),
            "-connect", "127.0.0.1:%d" % srv.https_port,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", pki().root, "-verify_return_error", "-alpn", "http/1.1",
            sess_flag, sess]
    r = converse(argv, [request()], re.escape(PAGE))
    expect(PAGE in r.out, "the request failed:\n" + r.out[-2000:] + r.err[-1000:])
    return r.out


def reused(srv, sess, version="1.3"):
    out = s_client(srv, "-sess_in", sess, version)
    if "Reused, TLSv" + version in out:
        return True
    expect("New, TLSv" + version in out,
           "s_client says neither New nor Reused")
    return False


def new_session(srv, name, version="1.3"):
    sess = tmp_path(name)
    out = s_client(srv, "-sess_out", sess, version)
    expect("New, TLSv" + version in out, "first handshake not new")
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


@suite.case("tls12_tickets_resume_across_workers")
def rotating_tls12():
    srv = Serve(site_args(), workers=2)
    try:
        sess = new_session(srv, "serve12.sess", "1.2")
        for i in range(4):
            expect(reused(srv, sess, "1.2"), "try %d did not resume" % i)
    finally:
        srv.stop()


def curl_twice(srv, version):
    """curl -v fetching two URLs, a connection each (Connection: close)."""
    url = "https://localhost:%d/" % srv.https_port
    r = run(["curl", "-v", "-sS", "--tlsv" + version,
             "--tls-max", version, "--http1.1",
             "--cacert", pki().root, "--max-time", "20",
             "--resolve", "localhost:%d:127.0.0.1" % srv.https_port,
             "-H", "Connection: close", url, url])
    expect(r.rc == 0, "curl failed: " + r.err[-2000:])
    expect(r.out.count(PAGE) == 2, "two pages: " + r.out[-500:])
    expect(r.err.count("Connected to localhost") == 2,
           "curl did not make two connections:\n" + r.err[-3000:])
    expect("SSL connection using TLSv" + version in r.err,
           "not TLS " + version + ":\n" + r.err[-3000:])
    return r.err


@suite.case("curl_two_urls_reuses_the_session")
def curl_reuse():
    srv = Serve(site_args(), workers=1)
    try:
        err = curl_twice(srv, "1.3")
        # curl (OpenSSL backend) says so when it offers a kept session
        expect(err.count("SSL re-using session ID") == 1,
               "curl did not reuse the session:\n" + err[-3000:])
        expect(err.count("TLS handshake, Certificate (11)") == 1,
               "the second handshake carried a certificate:\n" + err[-3000:])
        # no ticket offered: two full handshakes, both served
        err = curl_twice(srv, "1.2")
        expect(err.count("TLS handshake, Certificate (11)") == 2,
               "TLS 1.2: not two full handshakes:\n" + err[-3000:])
    finally:
        srv.stop()


@suite.case("tickets_0_resumes_nothing")
def off():
    srv = Serve(site_args() + ["--tickets", "0"], workers=1)
    try:
        for version in ("1.3", "1.2"):
            sess = tmp_path("off%s.sess" % version)
            s_client(srv, "-sess_out", sess, version)
            expect(not os.path.exists(sess) or os.path.getsize(sess) == 0 or
                   not reused(srv, sess, version),
                   "resumed with tickets off (TLS %s)" % version)
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
