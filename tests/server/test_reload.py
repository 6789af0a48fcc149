"""padlock serve: SIGHUP under load, not one request lost.

Client threads make requests as fast as they can, some with a fresh TLS
connection per request, some reusing keep-alive connections, while the
server is reloaded three times (SIGHUP every 0.5 s); the second reload
comes with a new certificate (the configuration's cert and key paths get
new contents), which the connections made after it see. Every request must
succeed: fresh connections always, and keep-alive ones too (a client that
finds its idle connection closed by the server before it sends opens a new
one, as browsers do; a request that was sent and got no answer is a
failure, never retried). Then a reload with a broken certificate keeps the
old one serving.
"""

import hashlib
import os
import re
import select
import shutil
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, WAIT, client_context, expect,  # noqa: E402
                          expect_equal, get, leaf_fingerprint, nodelay,
                          parse_responses, pem_fingerprint, pki, server_cert,
                          tmp_path, workdir, write_file)

suite = Suite("padlock serve: reloads under load")

MIN_REQUESTS = 2000
FRESH_THREADS = 4
KEEPALIVE_THREADS = 2
KEEPALIVE_PAUSE = 0.002
BODY = b"<p>reload me</p>\n"


def install(cert, cert_path, key_path):
    """Replaces the contents at the configured paths (each by a rename, so
    no reader ever sees half a file)."""
    for src, dst in ((cert.chain, cert_path), (cert.key, key_path)):
        tmp = dst + ".new"
        shutil.copy(src, tmp)
        os.chmod(tmp, 0o600)
        os.rename(tmp, dst)


def setup_site():
    root = os.path.join(workdir(), "reload-site")
    write_file(os.path.join(root, "index.html"), BODY, 1700000000)
    certs = os.path.join(workdir(), "reload-certs")
    os.makedirs(certs, exist_ok=True)
    cert_path = os.path.join(certs, "site.pem")
    key_path = os.path.join(certs, "site-key.pem")
    old = server_cert(pki().leaf("ecdsa_p256"))
    new = server_cert(pki().leaf("ecdsa_p384"))
    install(old, cert_path, key_path)
    conf = tmp_path("reload.conf")
    with open(conf, "w") as f:
        f.write('workers = 2\naccess-log = "off"\n'
                'site "localhost" {\n    root = "%s"\n    cert = "%s"\n'
                '    key = "%s"\n}\n' % (root, cert_path, key_path))
    return conf, old, new, cert_path, key_path


class Load:
    """The client threads and what they saw."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = {"fresh": 0, "keepalive": 0}
        self.failures = []             # (kind, time, what)
        self.reconnects = 0            # idle keep-alive connections found closed
        self.told_close = 0            # keep-alive answers with Connection: close
        self.fingerprints = []         # (connect start, connect end, sha256)
        self.ctx = client_context()
        self.threads = []

    def total(self):
        with self.lock:
            return self.ok["fresh"] + self.ok["keepalive"] + len(self.failures)

    def fail(self, kind, what):
        with self.lock:
            self.failures.append((kind, time.monotonic(), what))

    def start(self):
        for _ in range(FRESH_THREADS):
            self.threads.append(threading.Thread(target=self.fresh_loop, daemon=True))
        for _ in range(KEEPALIVE_THREADS):
            self.threads.append(threading.Thread(target=self.keepalive_loop,
                                                 daemon=True))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(WAIT)

    def connect(self):
        t0 = time.monotonic()
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        nodelay(raw)
        try:
            sock = self.ctx.wrap_socket(raw, server_hostname="localhost")
        except Exception:
            raw.close()
            raise
        fp = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
        with self.lock:
            self.fingerprints.append((t0, time.monotonic(), fp))
        return sock

    def fresh_loop(self):
        while not self.stop.is_set():
            try:
                sock = self.connect()
                with sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n"
                                 b"Connection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                responses, rest = parse_responses(data)
                if [(r.status, r.body) for r in responses] != [(200, BODY)] or rest:
                    self.fail("fresh", "answer %r" % data[:200])
                else:
                    with self.lock:
                        self.ok["fresh"] += 1
            except Exception as e:
                self.fail("fresh", "%s: %s" % (type(e).__name__, e))

    def keepalive_loop(self):
        sock = None
        while not self.stop.is_set():
            try:
                if sock is not None and select.select([sock], [], [], 0)[0]:
                    # The server closed this idle connection (close_notify or
                    # FIN waiting): a careful client opens a new one.
                    sock.close()
                    sock = None
                    with self.lock:
                        self.reconnects += 1
                if sock is None:
                    sock = self.connect()
            except Exception as e:
                self.fail("keepalive-connect", "%s: %s" % (type(e).__name__, e))
                sock = None
                continue
            try:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                data = b""
                while True:
                    responses, rest = parse_responses(data)
                    if responses:
                        break
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise EOFError("the connection closed with no answer "
                                       "(%d bytes)" % len(data))
                    data += chunk
                resp = responses[0]
                if (resp.status, resp.body) != (200, BODY) or rest:
                    self.fail("keepalive", "answer %r" % data[:200])
                else:
                    with self.lock:
                        self.ok["keepalive"] += 1
                if resp.header("Connection") == "close":
                    sock.close()
                    sock = None
                    with self.lock:
                        self.told_close += 1
                # A pause, so that reloads also find these connections idle
                # and the fresh-connection clients get their share of CPU.
                time.sleep(KEEPALIVE_PAUSE)
            except Exception as e:
                self.fail("keepalive", "%s: %s" % (type(e).__name__, e))
                try:
                    sock.close()
                except Exception:
                    pass
                sock = None
        if sock is not None:
            sock.close()


@suite.case("sighup_under_load_zero_failed_requests_new_certificate_seen")
def _():
    conf, old, new, cert_path, key_path = setup_site()
    srv = Serve(config=conf)
    expect_equal(leaf_fingerprint(srv.https_port), pem_fingerprint(old.chain),
                 "the certificate before the reloads")
    load = Load(srv.https_port)
    load.start()
    reloads = []        # (time SIGHUP was sent, time the log said reloaded)
    switch_index = 1    # the second reload brings the new certificate
    time.sleep(0.5)
    for i in range(3):
        if i == switch_index:
            install(new, cert_path, key_path)
        mark = len(srv.err())
        sent = time.monotonic()
        srv.signal(signal.SIGHUP)
        srv.wait_log(r"\] %d: reloaded: 1 site\(s\)" % srv.pid,
                     "reload %d to finish" % (i + 1), start=mark)
        reloads.append((sent, time.monotonic()))
        time.sleep(0.5)
    deadline = time.monotonic() + 60
    while load.total() < MIN_REQUESTS and time.monotonic() < deadline:
        time.sleep(0.1)
    load.finish()

    log = srv.err()
    expect_equal(len(re.findall(r"\] %d: reloaded: " % srv.pid, log)), 3,
                 "reloads logged")
    expect("reload failed" not in log, "a reload failed:\n%s" % log[-2000:])
    fresh_failures = [f for f in load.failures if f[0] == "fresh"]
    expect(not fresh_failures, "%d fresh-connection requests failed (of %d): %s"
           % (len(fresh_failures), load.total(), fresh_failures[:5]))
    expect(not load.failures,
           "%d keep-alive requests failed (of %d, %d reconnects after idle "
           "closes); first ones (seconds after the start of the reloads): %s"
           % (len(load.failures), load.total(), load.reconnects,
              [(k, round(t - reloads[0][0], 3), w) for k, t, w in load.failures[:5]]))
    expect(load.total() >= MIN_REQUESTS, "only %d requests in the time allowed"
           % load.total())
    expect(load.ok["fresh"] >= 100, "only %d fresh-connection requests"
           % load.ok["fresh"])
    # Connections made before the switch saw the old certificate, those made
    # after the reload that brought the new one (and a moment for the old
    # workers to stop accepting) see the new one.
    old_fp, new_fp = pem_fingerprint(old.chain), pem_fingerprint(new.chain)
    sent, done = reloads[switch_index]
    before = [fp for t0, t1, fp in load.fingerprints if t1 < sent]
    after = [fp for t0, t1, fp in load.fingerprints if t0 > done + 0.2]
    expect(before and after, "connections before (%d) and after (%d) the switch"
           % (len(before), len(after)))
    expect_equal(set(before), {old_fp}, "certificates before the switch")
    expect_equal(set(after), {new_fp}, "certificates after the switch")
    expect_equal(leaf_fingerprint(srv.https_port), new_fp,
                 "the certificate after the reloads")
    print("# %d requests (%d on fresh connections, %d keep-alive); keep-alive "
          "connections: %d answers said Connection: close, %d found closed "
          "while idle" % (load.total(), load.ok["fresh"], load.ok["keepalive"],
                          load.told_close, load.reconnects))
    srv.stop()


@suite.case("broken_certificate_on_reload_keeps_the_old_one")
def _():
    conf, old, new, cert_path, key_path = setup_site()
    srv = Serve(config=conf)
    with open(cert_path, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    mark = len(srv.err())
    srv.signal(signal.SIGHUP)
    m = srv.wait_log(r"reload failed, still serving the previous certificates: (.*)$",
                     "the failed reload", start=mark)
    expect("site.pem" in m.group(1), "the reason names the file: %r" % m.group(0))
    expect_equal(leaf_fingerprint(srv.https_port), pem_fingerprint(old.chain),
                 "the certificate served after a failed reload")
    resp = get(srv.https_port, "/", closes=True)
    expect_equal((resp.status, resp.body), (200, BODY), "a request after it")
    # A broken configuration file too.
    with open(conf, "a") as f:
        f.write("this is not = = valid\n")
    mark = len(srv.err())
    srv.signal(signal.SIGHUP)
    srv.wait_log(r"reload failed, still serving the previous configuration: "
                 r"%s:\d+: " % re.escape(conf), "the failed reload", start=mark)
    resp = get(srv.https_port, "/", closes=True)
    expect_equal((resp.status, resp.body), (200, BODY), "a request after it")
    srv.stop()


if __name__ == "__main__":
    suite.run()
