"""padlock serve --proxy: a reverse proxy in front of real upstreams.

The upstreams are real processes on loopback: gunicorn (gthread workers,
keep-alive) running tests/server/proxy_app.py, which echoes what it
received (method, path, header fields, the body's sha256, the TCP port the
request came from); and, where a test must see the exact bytes padlock
sends or answer with exact bytes of its own, a raw socket server in this
process that records every byte.

Proved here: bodies byte-exact both ways (0 B, 1 B, 1 MiB, a large size
streamed with the worker's RSS bounded), chunked in and out, the
forwarding fields exact and a spoofed X-Forwarded-For replaced unless the
client is trusted, hop-by-hop fields dropped both ways, upstream
connections reused (the upstream sees fewer connections than requests),
round robin over two upstreams, a down upstream (502), a hanging one
(504), one that closes mid-response (the client's response is cut, its
connection closed), retries only for idempotent requests, a unix-socket
upstream, Server-Sent Events forwarded as they come, an HTTP/1.0 client's
response delimited by the close, and at least 20 smuggling attempts, each
reaching the upstream as exactly one well-formed request or not at all.
"""

import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Proc, Serve, Skip, Suite, WAIT,  # noqa: E402
                          client_context, expect, expect_equal, expect_in,
                          is_sanitized, localhost_leaf, proc_rss_kib,
                          read_all, read_responses, tls_connect, wait_until,
                          workdir)
import common  # noqa: E402

suite = Suite("padlock serve --proxy: a reverse proxy")
HERE = os.path.dirname(os.path.abspath(__file__))
GUNICORN = "/usr/bin/gunicorn"


# ---- upstreams ------------------------------------------------------------------

class Gunicorn:
    """proxy_app.py under gunicorn on a free port (or a unix socket)."""

    def __init__(self, name="up", unix=None, tls=None):
        if not os.path.exists(GUNICORN):
            raise Skip("gunicorn is not installed (scripts/deps.sh --tests)")
        self.name = name
        self.unix = unix
        self.port = None if unix else common.free_port()
        bind = "unix:%s" % unix if unix else "127.0.0.1:%d" % self.port
        env = dict(os.environ, UPSTREAM_NAME=name)
        self.tls = tls
        more = ["--certfile", tls.chain, "--keyfile", tls.key] if tls else []
        self.proc = Proc("gunicorn-%s" % name,
                         [GUNICORN, "--bind", bind, "--worker-class", "gthread",
                          "--threads", "16", "--workers", "1",
                          "--keep-alive", "60", "--timeout", "120",
                          "--chdir", HERE] + more + ["proxy_app:app"], env=env)
        wait_until(self._up, "gunicorn %s to listen" % name, timeout=WAIT)

    def _up(self):
        if not self.proc.alive():
            raise Failure("gunicorn exited: %s" % self.proc.err()[-2000:])
        try:
            if self.unix:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.unix)
            else:
                s = socket.create_connection(("127.0.0.1", self.port), 1)
            s.close()
            return True
        except OSError:
            return False

    def url(self):
        if self.tls:
            return "https://localhost:%d" % self.port
        return ("http://unix:%s" % self.unix if self.unix
                else "http://127.0.0.1:%d" % self.port)

    def stop(self):
        self.proc.stop()


def parse_request(buf):
    """One strictly-formed HTTP/1.1 request from the start of buf: (method,
    target, [(name, value)], body, rest); None when incomplete. Raises
    Failure on anything a strict reader would refuse."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if b"\n" in buf.replace(b"\r\n", b"") or len(buf) > 65536:
            raise Failure("bare LF or an endless head: %r" % buf[:200])
        return None
    head = buf[:end].decode("latin-1")
    if "\n" in head.replace("\r\n", "") or "\r" in head.replace("\r\n", ""):
        raise Failure("a bare CR or LF in the head: %r" % head[:300])
    lines = head.split("\r\n")
    m = re.fullmatch(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP/1\.1", lines[0])
    if not m:
        raise Failure("malformed request line: %r" % lines[0])
    fields = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise Failure("obs-fold forwarded: %r" % line)
        fm = re.fullmatch(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*", line)
        if not fm:
            raise Failure("malformed field line: %r" % line)
        fields.append((fm.group(1), fm.group(2)))
    names = [n.lower() for n, _ in fields]
    cl = [v for n, v in fields if n.lower() == "content-length"]
    te = [v for n, v in fields if n.lower() == "transfer-encoding"]
    if names.count("host") != 1:
        raise Failure("Host %d times: %r" % (names.count("host"), fields))
    if cl and te or len(cl) > 1 or len(te) > 1:
        raise Failure("ambiguous framing forwarded: %r" % fields)
    rest = buf[end + 4:]
    body = b""
    if te:
        if te[0].lower() != "chunked":
            raise Failure("Transfer-Encoding forwarded as %r" % te[0])
        while True:
            line_end = rest.find(b"\r\n")
            if line_end < 0:
                return None
            size_line = rest[:line_end]
            if not re.fullmatch(rb"[0-9a-fA-F]+", size_line):
                raise Failure("chunk size line %r" % size_line)
            size = int(size_line, 16)
            if len(rest) < line_end + 2 + size + 2:
                return None
            chunk = rest[line_end + 2:line_end + 2 + size]
            if rest[line_end + 2 + size:line_end + 4 + size] != b"\r\n":
                raise Failure("chunk not followed by CRLF")
            rest = rest[line_end + 4 + size:]
            body += chunk
            if size == 0:
                break
    elif cl:
        if not re.fullmatch(r"[0-9]+", cl[0]):
            raise Failure("Content-Length %r" % cl[0])
        n = int(cl[0])
        if len(rest) < n:
            return None
        body, rest = rest[:n], rest[n:]
    return m.group(1), m.group(2), fields, body, rest


class RawUpstream:
    """A TCP server that records every byte of every connection and
    answers each complete request with respond(request) (raw bytes), or
    with whatever respond_raw(conn_index, data) decides."""

    def __init__(self, respond=None, on_accept=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.closed = set()  # indexes of connections padlock closed
        self.respond = respond or (lambda req: b"HTTP/1.1 200 OK\r\n"
                                   b"Content-Length: 2\r\n\r\nok")
        self.on_accept = on_accept
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            rec = bytearray()
            with self.lock:
                self.conns.append(rec)
                index = len(self.conns) - 1
            threading.Thread(target=self._serve, args=(c, rec, index),
                             daemon=True).start()

    def _serve(self, c, rec, index):
        try:
            self._serve_one(c, rec)
        finally:
            with self.lock:
                self.closed.add(index)

    def _serve_one(self, c, rec):
        with c:
            if self.on_accept and self.on_accept(c) is False:
                return
            pending = b""
            c.settimeout(WAIT)
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with self.lock:
                    rec += data
                pending += data
                while True:
                    try:
                        got = parse_request(pending)
                    except Failure:
                        return
                    if got is None:
                        break
                    pending = got[4]
                    try:
                        c.sendall(self.respond(got))
                    except OSError:
                        return

    def received(self):
        with self.lock:
            return [bytes(r) for r in self.conns]

    def stop(self):
        self.stopping = True
        self.sock.close()


# ---- padlock and its clients ---------------------------------------------------

def serve(upstreams, *more, workers=1):
    urls = ",".join(u if isinstance(u, str) else u.url() for u in upstreams)
    return Serve(["--proxy", urls, "--max-body", str(4 << 30)] + list(more)
                 + localhost_leaf().args(), workers=workers)


def https(srv):
    return http.client.HTTPSConnection("127.0.0.1", srv.https_port,
                                       context=client_context(),
                                       timeout=WAIT * 3)


def request(srv, method, path, body=None, headers=None, conn=None):
    """One request over HTTP/1.1 (http.client: it verifies the chain and
    decodes chunked); returns (status, headers, body)."""
    own = conn is None
    conn = conn or https(srv)
    h = {"Host": "localhost"}
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp.status, resp.getheaders(), data


def echo(srv, method="GET", path="/echo", body=None, headers=None, conn=None):
    status, hdrs, data = request(srv, method, path, body, headers, conn)
    expect_equal(status, 200, "status of %s %s (%r)" % (method, path, data[:200]))
    return json.loads(data)


def field(echoed, name):
    values = [v for n, v in echoed["headers"] if n == name.lower()]
    return values[0] if len(values) == 1 else (values or None)


def pattern_sha(n):
    h = hashlib.sha256()
    block = bytes(range(256)) * 256
    left = n
    while left:
        piece = block[:min(left, len(block))]
        h.update(piece)
        left -= len(piece)
    return h.hexdigest()


def raw_exchange(srv, raw, timeout=None):
    sock = tls_connect(srv.https_port)
    with sock:
        sock.sendall(raw)
        return read_all(sock, timeout or WAIT)


def state_gunicorn():
    """One gunicorn kept across cases (off the case's stop list; stopped
    by PID when the run ends)."""
    if "g" not in suite.__dict__:
        suite.g = Gunicorn("one")
        if suite.g.proc in common._live:
            common._live.remove(suite.g.proc)
    return suite.g


# ---- cases ------------------------------------------------------------------------

@suite.case("bodies_byte_exact_both_ways_0_1_1MiB")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        for n in (0, 1, 1 << 20):
            body = os.urandom(n)
            e = echo(srv, "POST", "/echo", body=body,
                     headers={"Content-Type": "application/octet-stream"})
            expect_equal((e["length"], e["sha256"]),
                         (n, hashlib.sha256(body).hexdigest()),
                         "what the upstream received of a %d-byte POST" % n)
            status, hdrs, data = request(srv, "GET", "/size/%d" % n)
            expect_equal((status, len(data), hashlib.sha256(data).hexdigest()),
                         (200, n, pattern_sha(n)), "a %d-byte response" % n)
            names = [k.lower() for k, _ in hdrs]
            expect("transfer-encoding" in names,
                   "the streamed response went chunked to the client: %r" % hdrs)
    finally:
        srv.stop()


def worker_rss(srv):
    return max(proc_rss_kib(p) or 0 for p in srv.workers())


@suite.case("large_bodies_stream_with_the_worker_rss_bounded")
def _():
    up = state_gunicorn()
    srv = serve([up])
    size = int(os.environ.get("PADLOCK_PROXY_LARGE", str(256 << 20)))
    # Bound: the worker's RSS grows by less than 32 MiB while a body 8
    # times that size (and more) passes each way.
    bound_kib = 32 * 1024
    try:
        request(srv, "GET", "/echo")
        base = worker_rss(srv)
        peak = [base]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], worker_rss(srv))
                stop.wait(0.05)
        t = threading.Thread(target=watch)
        t.start()
        try:
            def gen():
                block = os.urandom(1 << 16)
                h = hashlib.sha256()
                for _ in range(size >> 16):
                    h.update(block)
                    yield block
                gen.digest = h.hexdigest()
            conn = https(srv)
            conn.request("PUT", "/echo", body=gen(),
                         headers={"Host": "localhost",
                                  "Content-Length": str(size)})
            resp = conn.getresponse()
            e = json.loads(resp.read())
            expect_equal((e["length"], e["sha256"]), (size, gen.digest),
                         "the upstream's view of a %d MiB upload" % (size >> 20))
            conn.request("GET", "/size/%d" % size, headers={"Host": "localhost"})
            resp = conn.getresponse()
            h = hashlib.sha256()
            got = 0
            while True:
                piece = resp.read(1 << 16)
                if not piece:
                    break
                h.update(piece)
                got += len(piece)
            expect_equal((got, h.hexdigest()), (size, pattern_sha(size)),
                         "a %d MiB download" % (size >> 20))
            conn.close()
        finally:
            stop.set()
            t.join()
        print("# worker RSS %d KiB before, %d KiB at most while %d MiB went "
              "each way" % (base, peak[0], size >> 20))
        expect(peak[0] - base < bound_kib,
               "the worker's RSS grew by %d KiB (bound %d KiB)"
               % (peak[0] - base, bound_kib))
    finally:
        srv.stop()


@suite.case("a_slow_reader_holds_the_upstream_back")
def _():
    up = state_gunicorn()
    srv = serve([up])
    size = 32 << 20
    try:
        request(srv, "GET", "/echo")
        base = worker_rss(srv)
        peak = base
        conn = https(srv)
        conn.request("GET", "/size/%d" % size, headers={"Host": "localhost"})
        resp = conn.getresponse()
        h = hashlib.sha256()
        got = 0
        while True:
            piece = resp.read(256 << 10)
            if not piece:
                break
            h.update(piece)
            got += len(piece)
            peak = max(peak, worker_rss(srv))
            time.sleep(0.01)  # a slow reader; the pace decides nothing
        conn.close()
        expect_equal((got, h.hexdigest()), (size, pattern_sha(size)),
                     "the download")
        print("# a slow reader of 32 MiB: worker RSS %d KiB before, %d KiB "
              "at most" % (base, peak))
        # Buffering the upstream's bytes instead of holding it back would
        # grow the worker by most of the 32 MiB.
        expect(peak - base < 8 * 1024, "the worker grew by %d KiB"
               % (peak - base))
    finally:
        srv.stop()


@suite.case("chunked_request_body_forwarded_and_chunked_response_streamed")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        pieces = [os.urandom(n) for n in (1, 1000, 70000, 5)]
        conn = https(srv)
        conn.request("POST", "/echo", body=iter(pieces),
                     headers={"Host": "localhost"}, encode_chunked=True)
        e = json.loads(conn.getresponse().read())
        whole = b"".join(pieces)
        expect_equal((e["length"], e["sha256"], e["chunked"]),
                     (len(whole), hashlib.sha256(whole).hexdigest(), True),
                     "a chunked upload as the upstream saw it")
        # chunked both ways: the upstream echoes the body as it reads it
        conn.request("POST", "/chunked-echo", body=iter(pieces),
                     headers={"Host": "localhost"}, encode_chunked=True)
        resp = conn.getresponse()
        expect_equal((resp.getheader("Transfer-Encoding"), resp.read()),
                     ("chunked", whole), "a chunked echo")
        conn.close()
    finally:
        srv.stop()


@suite.case("forwarding_fields_exact_and_spoofed_ones_replaced")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        e = echo(srv, headers={"X-Forwarded-For": "6.6.6.6",
                               "Forwarded": "for=6.6.6.6",
                               "X-Forwarded-Host": "evil.example",
                               "X-Forwarded-Proto": "http"})
        expect_equal(field(e, "X-Forwarded-For"), "127.0.0.1", "X-Forwarded-For")
        expect_equal(field(e, "X-Forwarded-Proto"), "https", "X-Forwarded-Proto")
        expect_equal(field(e, "X-Forwarded-Host"), "localhost", "X-Forwarded-Host")
        expect_equal(field(e, "Forwarded"),
                     'for=127.0.0.1;proto=https;host="localhost"', "Forwarded")
        expect_equal(field(e, "Host"), "localhost", "Host passed through")
    finally:
        srv.stop()
    srv = serve([up], "--trusted-proxies", "10.0.0.0/8,127.0.0.0/8")
    try:
        e = echo(srv, headers={"X-Forwarded-For": "203.0.113.9",
                               "Forwarded": "for=203.0.113.9"})
        expect_equal(field(e, "X-Forwarded-For"), "203.0.113.9, 127.0.0.1",
                     "a trusted client's X-Forwarded-For, extended")
        expect_equal(field(e, "Forwarded"),
                     'for=203.0.113.9, for=127.0.0.1;proto=https;host="localhost"',
                     "a trusted client's Forwarded, extended")
    finally:
        srv.stop()


@suite.case("hop_by_hop_fields_dropped_both_ways")
def _():
    seen = {}

    def respond(req):
        seen["fields"] = req[2]
        return (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Hop\r\n"
                b"X-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-End: kept\r\n"
                b"Proxy-Authenticate: Basic\r\n\r\nok")
    raw = RawUpstream(respond)
    srv = serve([raw])
    try:
        status, hdrs, body = request(srv, "GET", "/x", headers={
            "Connection": "X-Secret, keep-alive", "X-Secret": "1",
            "Keep-Alive": "300", "TE": "trailers", "Upgrade": "h2c",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==", "X-Kept": "yes"})
        names = [n.lower() for n, _ in seen["fields"]]
        for gone in ("connection", "x-secret", "keep-alive", "te", "upgrade",
                     "proxy-authorization"):
            expect(gone not in names, "%s reached the upstream: %r"
                   % (gone, seen["fields"]))
        expect_in("x-kept", names, "the upstream's fields")
        rnames = [n.lower() for n, _ in hdrs]
        for gone in ("x-hop", "keep-alive", "proxy-authenticate"):
            expect(gone not in rnames, "%s reached the client: %r" % (gone, hdrs))
        expect_in("x-end", rnames, "the client's fields")
        expect_in("strict-transport-security", rnames, "HSTS on a proxied answer")
        expect_equal(body, b"ok", "the body")
    finally:
        srv.stop()
        raw.stop()


@suite.case("upstream_connections_are_reused")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        ports = set()
        for i in range(20):
            ports.add(echo(srv, path="/echo?%d" % i)["port"])
        print("# 20 requests on 20 client connections: %d upstream "
              "connection(s)" % len(ports))
        expect(len(ports) <= 2, "the upstream saw %d connections for 20 "
               "sequential requests" % len(ports))
    finally:
        srv.stop()


@suite.case("round_robin_over_two_upstreams")
def _():
    a, b = Gunicorn("a"), Gunicorn("b")
    srv = serve([a, b])
    try:
        order = [echo(srv)["upstream"] for _ in range(6)]
        expect_equal(sorted(set(order)), ["a", "b"], "upstreams used: %r" % order)
        expect(all(order[i] != order[i + 1] for i in range(5)),
               "round robin alternates: %r" % order)
    finally:
        srv.stop()
        a.stop()
        b.stop()


@suite.case("down_upstream_502_hanging_504_cut_mid_response")
def _():
    dead = common.free_port()
    srv = Serve(["--proxy", "http://127.0.0.1:%d" % dead]
                + localhost_leaf().args(), workers=1)
    try:
        status, _, body = request(srv, "GET", "/")
        expect_equal(status, 502, "a down upstream")
        expect_in(b"502 Bad Gateway", body, "the page")
        srv.wait_log(r"upstream 127\.0\.0\.1:%d: connection refused" % dead,
                     "the log line naming the upstream")
    finally:
        srv.stop()
    up = state_gunicorn()
    srv = serve([up], "--proxy-timeout", "2")
    try:
        status, _, body = request(srv, "GET", "/slow?30")
        expect_equal(status, 504, "a hanging upstream")
        srv.wait_log(r"upstream 127\.0\.0\.1:%d: it did not answer in time"
                     % up.port, "the 504's log line")
        data, how = raw_exchange(srv, b"GET /cut HTTP/1.1\r\nHost: localhost\r\n\r\n")
        expect(data.startswith(b"HTTP/1.1 200"), "the cut response began: %r"
               % data[:100])
        # (Python's ssl reads a close without close_notify as an EOF)
        expect(data.endswith(b"0123456789") and
               (how in ("eof", "reset") or how.startswith("tls error")),
               "the client's connection ends after the 10 bytes sent: %r, %s"
               % (data[-40:], how))
    finally:
        srv.stop()


@suite.case("retries_only_for_idempotent_requests")
def _():
    closer = RawUpstream(on_accept=lambda c: False)  # accepts, closes
    good = RawUpstream()
    srv = serve([closer, good])
    try:
        status, _, body = request(srv, "GET", "/a")
        expect_equal((status, body), (200, b"ok"), "a GET retried on the "
                     "other upstream")
        status, _, _ = request(srv, "POST", "/b", body=b"data")
        expect_equal(status, 502, "a POST is not retried")
        wait_until(lambda: len(closer.received()) == 2, "the closing "
                   "upstream's two connections")
        expect_equal(len(good.received()), 1, "the good upstream's connections")
    finally:
        srv.stop()
        closer.stop()
        good.stop()


@suite.case("a_kept_alive_connection_that_drops_a_get_is_retried_on_a_new_one")
def _():
    # An upstream that closes a kept-alive connection as the next request
    # arrives (its own keep-alive timeout, racing ours): padlock reuses
    # idle connections without a recv to check them first, so the GET
    # fails on it before any byte of answer and goes again on a new
    # connection; the client sees one 200.
    served = []

    def on_accept(c):
        c.settimeout(WAIT)
        data = b""
        answered = 0
        while True:
            try:
                more = c.recv(65536)
            except OSError:
                return False
            if not more:
                return False
            data += more
            while b"\r\n\r\n" in data:
                head, _, data = data.partition(b"\r\n\r\n")
                if answered == 1:
                    return False  # the second request: closed unanswered
                served.append(head.split(b" ")[1])
                cl = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                data = data[int(cl.group(1)) if cl else 0:]
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                answered += 1
    up = RawUpstream(on_accept=on_accept)
    srv = serve([up])
    try:
        for path in ("/1", "/2", "/3"):
            status, _, body = request(srv, "GET", path)
            expect_equal((status, body), (200, b"ok"), "GET %s" % path)
        expect_equal(served, [b"/1", b"/2", b"/3"], "what the upstream answered")
        expect_equal(len(up.received()), 3, "one new connection per retry")
        srv.wait_log(r"upstream 127\.0\.0\.1:%d: it closed the connection "
                     r"without answering; trying a new connection" % up.port,
                     "the retry's line", timeout=5)
    finally:
        srv.stop()
        up.stop()


@suite.case("unix_socket_upstream")
def _():
    path = os.path.join(workdir(), "app.sock")
    up = Gunicorn("unix", unix=path)
    os.chmod(path, 0o777)
    srv = serve([up])
    try:
        e = echo(srv, "POST", "/echo", body=b"over a unix socket")
        expect_equal((e["upstream"], e["length"]), ("unix", 18), "the answer")
    finally:
        srv.stop()
        up.stop()


@suite.case("https_upstream_verified_with_its_own_ca")
def _():
    up = Gunicorn("tls", tls=common.pki().leaf("ecdsa_p256"))
    srv = serve([up], "--proxy-ca", common.pki().root)
    try:
        body = os.urandom(100000)
        e = echo(srv, "POST", "/echo", body=body)
        expect_equal((e["upstream"], e["sha256"]),
                     ("tls", hashlib.sha256(body).hexdigest()),
                     "a POST through padlock's TLS client")
        ports = {echo(srv, path="/echo?%d" % i)["port"] for i in range(5)}
        expect_equal(len(ports), 1, "one TLS connection to the upstream, reused")
    finally:
        srv.stop()
    # Without the upstream's CA, the system store does not vouch for it.
    srv = serve([up])
    try:
        status, _, _ = request(srv, "GET", "/echo")
        expect_equal(status, 502, "an https upstream that fails verification")
        srv.wait_log(r"upstream localhost:%d: TLS: unknown_ca: " % up.port,
                     "the log line naming the verification failure")
    finally:
        srv.stop()
        up.stop()


@suite.case("config_pools_per_site_and_path_prefix")
def _():
    a, b = Gunicorn("api"), Gunicorn("deep")
    root = os.path.join(workdir(), "files-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("from files\n")
    os.chmod(root, 0o755)
    leaf = localhost_leaf()
    path = os.path.join(workdir(), "proxy.conf")
    with open(path, "w") as f:
        f.write('workers = 1\nsite "localhost" {\n  root = "%s"\n'
                '  cert = "%s"\n  key = "%s"\n'
                '  location "/api/" { proxy = "%s" }\n'
                '  location "/api/deep/" { proxy = "%s"\n'
                '    proxy-host = "deep.internal:8080" }\n}\n'
                % (root, leaf.chain, leaf.key, a.url(), b.url()))
    srv = Serve(config=path)
    try:
        status, _, body = request(srv, "GET", "/index.html")
        expect_equal((status, body), (200, b"from files\n"), "a file")
        expect_equal(echo(srv, path="/api/x")["upstream"], "api", "/api/x")
        e = echo(srv, path="/api/deep/y?q=1")
        expect_equal((e["upstream"], e["path"]), ("deep", "/api/deep/y?q=1"),
                     "the longest prefix wins; the path goes on as it is")
        expect_equal((field(e, "Host"), field(e, "X-Forwarded-Host")),
                     ("deep.internal:8080", "localhost"),
                     "the location's proxy-host, the client's host forwarded")
        expect_equal(request(srv, "GET", "/apix")[0], 404, "not a prefix match")
    finally:
        srv.stop()
        a.stop()
        b.stop()


@suite.case("least_connections_and_passive_health")
def _():
    release = threading.Event()

    def hold(req):
        if req[1] == "/hold":
            release.wait(WAIT)
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    a, b = RawUpstream(hold), RawUpstream(hold)
    srv = serve([a, b], "--proxy-balance", "least-conn")
    held = threading.Thread(target=request, args=(srv, "GET", "/hold"))
    try:
        held.start()
        wait_until(lambda: any(b"/hold" in r for u in (a, b)
                               for r in u.received()), "the held request")
        busy = a if any(b"/hold" in r for r in a.received()) else b
        idle = b if busy is a else a
        before = sum(len(r) for r in busy.received())
        for i in range(4):
            expect_equal(request(srv, "GET", "/n%d" % i)[0], 200, "a request")
        expect_equal(sum(len(r) for r in busy.received()), before,
                     "nothing more went to the busy upstream")
        expect_equal(sum(r.count(b"GET /n") for r in idle.received()), 4,
                     "the idle upstream took the other four")
    finally:
        release.set()
        held.join(WAIT)
        srv.stop()
        a.stop()
        b.stop()
    # Passive health: an upstream that refuses three times is left alone.
    good = RawUpstream()
    dead = "http://127.0.0.1:%d" % common.free_port()
    srv = serve([dead, good])
    try:
        for i in range(8):
            status, _, _ = request(srv, "POST", "/p%d" % i, body=b"x")
            expect(status in (200, 502), "status %d" % status)
        srv.wait_log(r"upstream 127\.0\.0\.1:\d+: 3 failures in a row: not "
                     r"used for 10 s", "the upstream marked down")
        answers = [request(srv, "POST", "/q%d" % i, body=b"x")[0]
                   for i in range(4)]
        expect_equal(answers, [200] * 4, "while it is down, the other answers")
    finally:
        srv.stop()
        good.stop()


@suite.case("server_sent_events_arrive_before_the_stream_ends")
def _():
    # its own upstream: the shared one may still be busy with an earlier
    # case's hanging /slow request when this one runs
    up = Gunicorn("sse")
    srv = serve([up])
    try:
        sock = tls_connect(srv.https_port)
        with sock:
            sock.sendall(b"GET /sse?4 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            sock.settimeout(WAIT)
            while b"event 2" not in data:
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
            expect_in(b"data: event 0", data, "the first events")
            expect(b"last" not in data and not data.endswith(b"0\r\n\r\n"),
                   "the events came before the stream's end: %r" % data[-80:])
            rest, _ = read_all(sock, WAIT)
            expect_in(b"data: last", data + rest, "the last event")
    finally:
        srv.stop()


@suite.case("head_and_204_answers_have_no_body_and_keep_the_connection")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        conn = https(srv)
        status, hdrs, body = request(srv, "HEAD", "/echo", conn=conn)
        expect_equal((status, body), (200, b""), "HEAD")
        expect(dict((k.lower(), v) for k, v in hdrs).get("content-length")
               not in (None, "0"), "HEAD keeps the GET's length: %r" % hdrs)
        status, _, body = request(srv, "GET", "/status/204", conn=conn)
        expect_equal((status, body), (204, b""), "a 204")
        e = echo(srv, path="/after", conn=conn)
        expect_equal(e["path"], "/after", "the same connection goes on")
        conn.close()
    finally:
        srv.stop()


@suite.case("bodies_sent_anyway_after_head_204_304_are_dropped_with_the_connection")
def _():
    # An upstream that sends body bytes where none may be (gunicorn was
    # seen doing it for HEAD): the client gets none of them, and the
    # upstream connection whose framing cannot be trusted is closed, not
    # reused (the stray bytes would be read as the next response).
    def respond(req):
        method, target = req[0], req[1]
        if method == "HEAD":
            return (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        if target == "/204":
            return b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"
        if target == "/304":
            return (b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: "
                    b"chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        if target == "/204bare":
            return b"HTTP/1.1 204 No Content\r\n\r\nstray"
        return (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                % (len(target), target.encode()))
    up = RawUpstream(respond)
    srv = serve([up])
    try:
        sock = tls_connect(srv.https_port)
        with sock:
            steps = [("HEAD", "/h", 200), ("GET", "/after-head", 200),
                     ("GET", "/204", 204), ("GET", "/after-204", 200),
                     ("GET", "/304", 304), ("GET", "/after-304", 200),
                     ("GET", "/204bare", 204), ("GET", "/after-bare", 200)]
            for method, path, status in steps:
                sock.sendall(b"%s %s HTTP/1.1\r\nHost: localhost\r\n\r\n"
                             % (method.encode(), path.encode()))
                got, rest = read_responses(sock, 1, methods=[method])
                r = got[0]
                expect_equal((len(got), rest), (1, b""),
                             "one response to %s %s, nothing after it"
                             % (method, path))
                expect_equal(r.status, status, "%s %s" % (method, path))
                want = path.encode() if status == 200 and method == "GET" else b""
                expect_equal(r.body, want, "the body of %s %s" % (method, path))
            # nothing more came on the client's connection: no stray bytes
            sock.settimeout(0.5)
            try:
                extra = sock.recv(100)
            except (socket.timeout, ssl.SSLWantReadError):
                extra = b""
            expect_equal(extra, b"", "bytes after the last response")
        conns = up.received()
        for path in ("/after-head", "/after-204", "/after-304", "/after-bare"):
            first = [i for i, r in enumerate(conns)
                     if (b" %s HTTP/1.1" % path.encode()) in r]
            expect(first and conns[first[0]].startswith(b"GET %s " % path.encode()),
                   "%s went on a new upstream connection: %r"
                   % (path, [r[:40] for r in conns]))
        # padlock closed each connection that carried a stray body
        # padlock closed each connection that carried a stray body (the
        # last one, /after-bare's, is kept alive)
        expect_equal(len(conns), 5, "upstream connections: %r"
                     % [r[:30] for r in conns])
        wait_until(lambda: {0, 1, 2, 3} <= up.closed,
                   "the untrusted upstream connections to close")
    finally:
        srv.stop()
        up.stop()


@suite.case("http10_client_gets_a_response_delimited_by_the_close")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        data, how = raw_exchange(srv, b"GET /size/5000 HTTP/1.0\r\n\r\n")
        head, _, body = data.partition(b"\r\n\r\n")
        expect(b"chunked" not in head.lower() and b"content-length" not in
               head.lower(), "no chunked to 1.0: %r" % head)
        expect_in(b"Connection: close", head, "the head")
        expect_equal((len(body), hashlib.sha256(body).hexdigest(), how),
                     (5000, pattern_sha(5000), "eof"), "the body up to the close")
    finally:
        srv.stop()


SMUGGLING = [
    # (name, raw request after the TLS handshake)
    ("cl_and_te", b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("te_and_cl", b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Length: 40\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("two_content_lengths", b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
     b"Content-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("same_content_length_twice", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
    ("content_length_list", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Length: 3, 3\r\n\r\nabc"),
    ("content_length_plus", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Length: +3\r\n\r\nabc"),
    ("te_xchunked", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
    ("te_chunked_twice", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
    ("te_chunked_not_last", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
    ("te_space_before_colon", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    ("te_tab_value", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n"),
    ("te_in_http10", b"POST / HTTP/1.0\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("te_obs_fold", b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\r\n"
     b" chunked\r\n\r\n0\r\n\r\n"),
    ("header_obs_fold", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\n"
     b" X-B: 2\r\n\r\n"),
    ("bare_lf_in_head", b"GET / HTTP/1.1\nHost: localhost\n\n"),
    ("bare_lf_after_field", b"GET / HTTP/1.1\r\nHost: localhost\nX-A: 1\r\n\r\n"),
    ("bare_cr_in_value", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r2\r\n\r\n"),
    ("chunk_size_overflow", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n"),
    ("chunk_bare_lf", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
    ("chunk_size_with_space", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n"),
    ("absolute_form_vs_host", b"GET http://localhost/abs HTTP/1.1\r\n"
     b"Host: other.example\r\n\r\n"),
    ("two_hosts", b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil\r\n\r\n"),
    ("pipelined_behind_a_body", b"POST / HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Length: 5\r\n\r\nhelloGET /second HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ("get_with_body_smuggle", b"GET / HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Length: 43\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ("nul_in_header", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n"),
    ("space_in_method_line", b"GET  / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
]


@suite.case("smuggling_attempts_reach_the_upstream_once_or_not_at_all")
def _():
    raw = RawUpstream()
    srv = serve([raw])
    try:
        report = []
        for name, req in SMUGGLING:
            # upstream connections are reused: what is new on each
            before = [len(r) for r in raw.received()]
            # read until padlock closes, or briefly when it keeps the
            # connection (the upstream got its bytes before we got ours)
            data, how = raw_exchange(srv, req, timeout=1.5)
            status = data[9:12].decode("latin-1", "replace")
            conns = [rec[before[i] if i < len(before) else 0:]
                     for i, rec in enumerate(raw.received())]
            # What reached the upstream: whole requests, each strictly
            # well-formed; "pipelined_behind_a_body" is two honest ones.
            got = []
            for i, rec in enumerate(conns):
                buf = rec
                while buf:
                    one = parse_request(buf)
                    if one is None:
                        # A body found bad after its head went on: the
                        # upstream gets a head, part of a body, and the
                        # close; never a complete request.
                        wait_until(lambda: i in raw.closed, "%s: padlock "
                                   "to close the upstream connection that "
                                   "carries a partial request" % name)
                        break
                    got.append(one)
                    buf = one[4]
            want = 2 if name == "pipelined_behind_a_body" else None
            if want:
                expect_equal([g[1] for g in got], ["/", "/second"],
                             "%s: the upstream's requests" % name)
            else:
                expect(len(got) <= 1, "%s: the upstream got %d requests: %r"
                       % (name, len(got), [g[:2] for g in got]))
            if name == "absolute_form_vs_host" and got:
                host = [v for n, v in got[0][2] if n.lower() == "host"]
                expect_equal((got[0][1], host), ("/abs", ["localhost"]),
                             "absolute-form: target and Host as forwarded")
            if name == "get_with_body_smuggle" and got:
                expect_equal(got[0][3][:13], b"GET /smuggled",
                             "the body stays a body")
            report.append("%s:%s:%d" % (name, status, len(got)))
        print("# " + " ".join(report))
        expect(len(SMUGGLING) >= 20, "at least 20 attempts")
    finally:
        srv.stop()
        raw.stop()


@suite.case("bad_upstream_heads_get_502")
def _():
    answers = {
        "/space": b"HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
        "/cl-te": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "/bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "/huge": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n",
        "/status": b"HTTP/1.1 99 Odd\r\nContent-Length: 0\r\n\r\n",
        "/ok": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    }
    raw = RawUpstream(lambda req: answers[req[1]])
    srv = serve([raw])
    try:
        for path, want in (("/space", 502), ("/cl-te", 502), ("/bare-lf", 502),
                           ("/huge", 502), ("/status", 502), ("/ok", 200)):
            status, _, _ = request(srv, "GET", path)
            expect_equal(status, want, "the answer for %s" % path)
    finally:
        srv.stop()
        raw.stop()


@suite.case("websocket_messages_both_ways_and_a_clean_close")
def _():
    system_python = "/usr/bin/python3"
    if common.run([system_python, "-c", "import websockets"]).rc != 0:
        raise Skip("python3-websockets is not installed (scripts/deps.sh --tests)")
    port = common.free_port()
    peer = os.path.join(HERE, "ws_peer.py")
    server = Proc("ws-echo", [system_python, peer, "server", port])
    wait_until(lambda: "listening" in server.out() or not server.alive(),
               "the WebSocket echo server")
    srv = serve(["http://127.0.0.1:%d" % port])
    try:
        result = common.run([system_python, peer, "client",
                             "wss://localhost:%d/chat" % srv.https_port,
                             common.pki().root], timeout=WAIT * 2)
        expect_equal(result.rc, 0, "the client: %s" % result.err[-2000:])
        got = json.loads(result.out.strip().splitlines()[-1])
        expect_equal(got, {"text": "echo: hello", "binary_ok": True,
                           "close_code": 4000},
                     "messages both ways, then the server's close")
        srv.wait_log(r'"GET /chat HTTP/1\.1" 101 .* upstream=127\.0\.0\.1:%d'
                     % port, "the 101 in the access log")
    finally:
        srv.stop()
    # A tunnel where nothing moves is closed after --idle-timeout.
    srv = serve(["http://127.0.0.1:%d" % port], "--idle-timeout", "2")
    try:
        result = common.run([system_python, peer, "idle",
                             "wss://localhost:%d/quiet" % srv.https_port,
                             common.pki().root], timeout=90)
        got = json.loads(result.out.strip().splitlines()[-1])
        expect_equal(got, {"closed": True, "text": "echo: once"},
                     "an idle tunnel, closed by padlock")
    finally:
        srv.stop()
        server.stop()


@suite.case("bad_proxy_settings_are_refused_at_start_with_one_sentence")
def _():
    leaf = localhost_leaf()
    for flags, said in (
            (["--proxy", "ftp://127.0.0.1:1"], "is not an upstream URL"),
            (["--proxy", "http://127.0.0.1"], "is not host:port"),
            (["--proxy", "http://127.0.0.1:8000/app"], "has no path"),
            (["--proxy", "http://no-such-host.invalid:80"], "cannot resolve"),
            (["--proxy", "https://localhost:1", "--proxy-ca", "/nonexistent"],
             "the upstreams' CAs in /nonexistent"),
            (["--trusted-proxies", "10.0.0.0/33"], "is not an address"),
            (["--proxy-protocol"], "proxy-protocol needs trusted-proxies")):
        r = common.run([common.padlock_bin(), "serve", "--check-config"]
                       + flags + leaf.args())
        expect(r.rc == 1 and said in r.out + r.err,
               "%s: exit %s, %r" % (flags, r.rc, (r.out + r.err)[-300:]))


@suite.case("access_log_names_the_upstream")
def _():
    up = state_gunicorn()
    srv = serve([up])
    try:
        request(srv, "GET", "/echo?logged")
        srv.wait_log(r'"GET /echo\?logged HTTP/1\.1" 200 \d+ .* upstream=127\.0\.0\.1:%d '
                     r'upstream_time=\d+\.\d{3}' % up.port, "the access line")
    finally:
        srv.stop()


if __name__ == "__main__":
    try:
        suite.run()
    finally:
        if hasattr(suite, "g"):
            suite.g.stop()
