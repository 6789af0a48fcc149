"""padlock serve --proxy-protocol: behind a load balancer in TCP mode.

HAProxy (mode tcp, send-proxy-v2) in front of two `padlock serve`: their
access logs show the real client's address (a loopback address of its
own), not HAProxy's; each server has one listener that wants the header
(a config file's listener section) and its https-port that does not. Headers sent by hand: v1 (TCP4, TCP6, UNKNOWN) and v2
(TCP4 with TLVs, LOCAL) are accepted from a trusted address, the client
address they carry is the one logged and sent upstream in
X-Forwarded-For; a connection from an address not in --trusted-proxies is
refused, and one without a header, or with a malformed or oversized one,
is closed; each with a log line.
"""

import json
import os
import re
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Proc, Serve, Skip, Suite, WAIT,  # noqa: E402
                          test_env,
                          client_context, expect, expect_equal, expect_in,
                          localhost_leaf, read_all, read_responses,
                          wait_until, workdir)
import common  # noqa: E402

suite = Suite("padlock serve --proxy-protocol")
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
GET = b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def v2(cmd, fam, addr, tlvs=b""):
    body = addr + tlvs
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H", len(body)) + body


def v2_tcp4(src, dst="127.0.0.1", tlvs=b""):
    return v2(1, 0x11, socket.inet_aton(src) + socket.inet_aton(dst)
              + struct.pack(">HH", 40000, 443), tlvs)


def serve_pp(*more, trusted="127.0.0.1"):
    root = os.path.join(workdir(), "pp-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "x"), "w") as f:
        f.write("x\n")
    return Serve(["--proxy-protocol", "--trusted-proxies", trusted,
                  "--root", root, "--handshake-timeout", "5"]
                 + list(more) + localhost_leaf().args(), workers=1)


def with_header(port, header, source="127.0.0.1"):
    """Sends header, then a TLS GET; returns the response bytes."""
    raw = socket.socket()
    raw.bind((source, 0))
    raw.settimeout(WAIT)
    raw.connect(("127.0.0.1", port))
    raw.sendall(header)
    sock = client_context().wrap_socket(raw, server_hostname="localhost")
    with sock:
        sock.sendall(GET)
        data, _ = read_all(sock, WAIT)
    return data


def closed_at_once(port, first, source="127.0.0.1"):
    """Sends first; True when the server closes without a byte of answer."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(WAIT)
    s.connect(("127.0.0.1", port))
    with s:
        try:
            if first:
                s.sendall(first)
            data = s.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            return True
    return data == b""


@suite.case("headers_v1_and_v2_give_the_client_address")
def _():
    srv = serve_pp()
    try:
        cases = [
            (b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 443\r\n", "203.0.113.7"),
            (b"PROXY TCP6 2001:db8::7 ::1 5555 443\r\n", "2001:db8::7"),
            (b"PROXY UNKNOWN\r\n", "127.0.0.1"),
            (v2_tcp4("198.51.100.9", tlvs=b"\x02\x00\x09localhost"
                     b"\x04\x00\x00"), "198.51.100.9"),
            (v2(0, 0x00, b""), "127.0.0.1"),  # LOCAL: a health check
        ]
        for header, shown in cases:
            data = with_header(srv.https_port, header)
            expect(data.startswith(b"HTTP/1.1 200"), "%r: %r" % (header, data[:80]))
            srv.wait_log(r"^%s - - .*\"GET /x HTTP/1\.1\" 200" % re.escape(shown),
                         "the access line of %s" % shown)
    finally:
        srv.stop()


@suite.case("untrusted_missing_malformed_and_oversized_headers_are_closed")
def _():
    srv = serve_pp(trusted="127.0.0.1/32")
    try:
        # an address not in --trusted-proxies: refused at the accept
        expect(closed_at_once(srv.https_port, v2_tcp4("1.2.3.4"),
                              source="127.0.0.9"), "from 127.0.0.9")
        srv.wait_log(r"127\.0\.0\.9: refused: --proxy-protocol takes "
                     r"connections only from --trusted-proxies", "its log line")
        hello = b"\x16\x03\x01\x00\x05hello"
        bad = [
            (hello, "no PROXY protocol header"),
            (b"PROXY TCP4 203.0.113.007 127.0.0.1 1 2\r\n", "not canonical"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "other than CRLF"),
            (b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4|TCP6|UNKNOWN"),
            (b"PROXY " + b"A" * 120, "no CRLF within 107 bytes"),
            (SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12, "version or command"),
            (SIG + b"\x21\x11\x10\x00", "over padlock's bound"),
            (v2(1, 0x11, socket.inet_aton("1.2.3.4") * 2 + b"\x00" * 4,
                b"\x02\x00\x10short"), "a TLV runs past the header"),
        ]
        for first, why in bad:
            expect(closed_at_once(srv.https_port, first), "closed for %r" % first[:40])
            srv.wait_log(r"127\.0\.0\.1: closed: .*%s" % re.escape(why),
                         "the log line for %r" % first[:40])
    finally:
        srv.stop()


@suite.case("the_client_address_goes_upstream_in_x_forwarded_for")
def _():
    seen = {}

    class Upstream:
        def __init__(self):
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(4)
            self.port = self.sock.getsockname()[1]
    up = Upstream()
    srv = serve_pp("--proxy", "http://127.0.0.1:%d" % up.port)
    import threading

    def answer():
        c, _ = up.sock.accept()
        with c:
            data = b""
            while b"\r\n\r\n" not in data:
                data += c.recv(4096)
            seen["head"] = data
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        data = with_header(srv.https_port, v2_tcp4("203.0.113.50"))
        expect(data.startswith(b"HTTP/1.1 200"), "the answer: %r" % data[:80])
        t.join(WAIT)
        expect_in(b"X-Forwarded-For: 203.0.113.50\r\n", seen.get("head", b""),
                  "the forwarded head")
    finally:
        srv.stop()
        up.sock.close()


def serve_two_listeners(name):
    """padlock serve from a config file: its https-port takes clients
    directly (no PROXY header) and one listener section takes a load
    balancer's connections (proxy-protocol = true). Returns (srv, port of
    that listener)."""
    root = os.path.join(workdir(), "pp-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "x"), "w") as f:
        f.write("x\n")
    cert = localhost_leaf()
    last = None
    for _ in range(5):
        pp_port = common.free_port()
        path = os.path.join(workdir(), "%s.conf" % name)
        with open(path, "w") as f:
            f.write('trusted-proxies = "127.0.0.1"\nworkers = 1\n'
                    'listener "127.0.0.1:%d" {\n  proxy-protocol = true\n}\n'
                    'site "localhost" {\n  root = "%s"\n  cert = "%s"\n'
                    '  key = "%s"\n}\n' % (pp_port, root, cert.chain, cert.key))
        try:
            return Serve(config=path, name=name), pp_port
        except Failure as e:  # the listener's port was taken meanwhile
            last = e
            if "in use" not in str(e):
                raise
    raise last


@suite.case("check_config_says_which_listener_wants_the_header")
def _():
    cert = localhost_leaf()
    path = os.path.join(workdir(), "check-pp.conf")
    with open(path, "w") as f:
        f.write('https-port = 8443\nhttp-port = 0\n'
                'trusted-proxies = "10.0.0.2"\n'
                'listener "127.0.0.1:9443" {\n  proxy-protocol = true\n}\n'
                'listener "[::1]:9080" {\n  kind = "http"\n}\n'
                'site "localhost" {\n  cert = "%s"\n  key = "%s"\n}\n'
                % (cert.chain, cert.key))
    r = common.run([common.padlock_bin(), "serve", "--config", path,
                    "--check-config"], env=test_env())
    expect_equal(r.rc, 0, "exit status (%s)" % r.out)
    for line in ("ok: listener *:8443: HTTPS, no PROXY protocol header",
                 "ok: listener 127.0.0.1:9443: HTTPS, PROXY protocol "
                 "header required from trusted-proxies",
                 "ok: listener [::1]:9080: HTTP (redirect), no PROXY "
                 "protocol header"):
        expect_in(line + "\n", r.out, "--check-config's output")
    # the command line's flag covers the listeners it makes, and so does
    # the file's global setting
    r = common.run([common.padlock_bin(), "serve", "--https-port", "8443",
                    "--http-port", "8080", "--proxy-protocol",
                    "--trusted-proxies", "10.0.0.2", "--check-config"]
                   + cert.args(), env=test_env())
    for line in ("ok: listener *:8443: HTTPS, PROXY protocol header required",
                 "ok: listener *:8080: HTTP (redirect), PROXY protocol "
                 "header required"):
        expect_in(line, r.out, "--check-config with --proxy-protocol")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write("proxy-protocol = true\n" + text)
    r = common.run([common.padlock_bin(), "serve", "--config", path,
                    "--check-config"], env=test_env())
    expect_in("ok: listener *:8443: HTTPS, PROXY protocol header required",
              r.out, "--check-config with proxy-protocol = true")
    expect_in("ok: listener [::1]:9080: HTTP (redirect), no PROXY protocol",
              r.out, "a listener section keeps its own")
    # a listener that wants headers, and no one to take them from
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace('trusted-proxies = "10.0.0.2"\n', "")
                .replace("proxy-protocol = true\n", "", 1))
    r = common.run([common.padlock_bin(), "serve", "--config", path,
                    "--check-config"], env=test_env())
    expect(r.rc != 0, "refused without trusted-proxies")
    expect_in("proxy-protocol needs trusted-proxies", r.out, "the reason")
    for bad, why in (('"127.0.0.1"', "wants ADDR:PORT"),
                     ('"::1:9443"', "wants ADDR:PORT"),
                     ('"127.0.0.1:70000"', "wants ADDR:PORT")):
        with open(path, "w") as f:
            f.write('listener %s {}\nsite "localhost" {\n  cert = "%s"\n'
                    '  key = "%s"\n}\n' % (bad, cert.chain, cert.key))
        r = common.run([common.padlock_bin(), "serve", "--config", path,
                        "--check-config"], env=test_env())
        expect(r.rc != 0, "refused: listener %s" % bad)
        expect_in("%s:1: listener %s %s" % (path, bad, why), r.out,
                  "the error for %s" % bad)


@suite.case("haproxy_send_proxy_v2_in_front_of_two_servers")
def _():
    if not os.path.exists("/usr/sbin/haproxy"):
        raise Skip("haproxy is not installed (scripts/deps.sh --tests)")
    (a, a_pp), (b, b_pp) = serve_two_listeners("a"), serve_two_listeners("b")
    port = common.free_port()
    cfg = os.path.join(workdir(), "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n  maxconn 100\n"
                "defaults\n  mode tcp\n  timeout connect 5s\n"
                "  timeout client 30s\n  timeout server 30s\n"
                "frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\n"
                "backend be\n  balance roundrobin\n"
                "  server a 127.0.0.1:%d send-proxy-v2\n"
                "  server b 127.0.0.1:%d send-proxy-v2\n"
                % (port, a_pp, b_pp))
    ha = Proc("haproxy", ["/usr/sbin/haproxy", "-db", "-f", cfg])
    try:
        def up():
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return True
            except OSError:
                return False
        wait_until(up, "haproxy to listen")
        for _ in range(4):
            data = with_header(port, b"", source="127.0.0.5")
            expect(data.startswith(b"HTTP/1.1 200"), "through haproxy: %r"
                   % data[:80])
        for srv in (a, b):
            srv.wait_log(r'^127\.0\.0\.5 - - .*"GET /x HTTP/1\.1" 200',
                         "the real client's address in each server's log")
            expect(not re.search(r'^127\.0\.0\.1 - - .*"GET /x', srv.err(), re.M),
                   "haproxy's own address is not logged as the client")
            # the same server's other listener takes clients directly,
            # without a header
            data = with_header(srv.https_port, b"", source="127.0.0.6")
            expect(data.startswith(b"HTTP/1.1 200"), "straight to the "
                   "https-port: %r" % data[:80])
            srv.wait_log(r'^127\.0\.0\.6 - - .*"GET /x HTTP/1\.1" 200',
                         "the direct client's address")
        # Without the header on the listener that wants one (from a
        # trusted address): closed, with a log line.
        expect(closed_at_once(a_pp, b"\x16\x03\x01\x00\x05hello"),
               "a connection without the header")
        a.wait_log(r"closed: no PROXY protocol header", "its log line")
        # and a header on the one that wants none is not taken: TLS fails
        expect(closed_at_once(a.https_port, v2_tcp4("203.0.113.8")),
               "a header where none is expected")
    finally:
        ha.stop()
        a.stop()
        b.stop()


class ProxyV2Upstream:
    """An HTTP upstream that wants a PROXY v2 header first on each
    connection: it parses it by the spec (section 2.2), records it, and
    answers each request with what the header said, as JSON. A connection
    without a valid header is closed (and recorded as None)."""

    def __init__(self):
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.headers = []  # per connection: dict, or None
        self.requests = []  # per connection: how many requests it carried
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _exact(c, n):
        data = b""
        while len(data) < n:
            more = c.recv(n - len(data))
            if not more:
                raise EOFError
            data += more
        return data

    def _serve(self, c):
        with c:
            c.settimeout(WAIT)
            with self.lock:
                index = len(self.headers)
                self.headers.append(None)
                self.requests.append(0)
            try:
                fixed = self._exact(c, 16)
                if fixed[:12] != SIG or fixed[12] != 0x21:
                    return
                fam, length = fixed[13], struct.unpack(">H", fixed[14:16])[0]
                body = self._exact(c, length)
                if fam == 0x11:
                    alen, af = 4, socket.AF_INET
                elif fam == 0x21:
                    alen, af = 16, socket.AF_INET6
                else:
                    return
                src = socket.inet_ntop(af, body[:alen])
                dst = socket.inet_ntop(af, body[alen:2 * alen])
                sport, dport = struct.unpack(">HH", body[2 * alen:2 * alen + 4])
                h = {"src": src, "sport": sport, "dst": dst, "dport": dport,
                     "len": length}
                with self.lock:
                    self.headers[index] = h
                pending = b""
                while True:
                    while b"\r\n\r\n" not in pending:
                        more = c.recv(65536)
                        if not more:
                            return
                        pending += more
                    _, _, pending = pending.partition(b"\r\n\r\n")
                    with self.lock:
                        self.requests[index] += 1
                    answer = json.dumps(h).encode()
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                              % len(answer) + answer)
            except (EOFError, OSError):
                return

    def stop(self):
        self.sock.close()


def get_over(sock, path):
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path)
    got, _ = read_responses(sock, 1)
    expect_equal(got[0].status, 200, "GET %s: %r" % (path, got[0].body[:200]))
    return json.loads(got[0].body)


def tls_from(source, port):
    raw = socket.socket()
    raw.bind((source, 0))
    raw.settimeout(WAIT)
    raw.connect(("127.0.0.1", port))
    return raw.getsockname()[1], client_context().wrap_socket(
        raw, server_hostname="localhost")


@suite.case("upstreams_with_proxy_protocol_get_a_v2_header_with_the_client")
def _():
    up = ProxyV2Upstream()
    plain = ProxyV2Upstream()  # named in no section: gets no header
    cert = localhost_leaf()
    path = os.path.join(workdir(), "pp-upstream.conf")
    with open(path, "w") as f:
        f.write('workers = 1\n'
                'upstream "http://127.0.0.1:%d/" {\n  proxy-protocol = true\n}\n'
                'site "localhost" {\n  cert = "%s"\n  key = "%s"\n'
                '  proxy = "http://127.0.0.1:%d"\n'
                '  location "/plain/" { proxy = "http://127.0.0.1:%d" }\n}\n'
                % (up.port, cert.chain, cert.key, up.port, plain.port))
    srv = Serve(config=path)
    try:
        port7, a = tls_from("127.0.0.7", srv.https_port)
        port8, b = tls_from("127.0.0.8", srv.https_port)
        with a, b:
            seen = [get_over(a, b"/one"), get_over(b, b"/two"),
                    get_over(a, b"/three")]
        expect_equal(seen[0], {"src": "127.0.0.7", "sport": port7,
                               "dst": "127.0.0.1", "dport": srv.https_port,
                               "len": 12}, "the header for 127.0.0.7")
        expect_equal(seen[1]["src"], "127.0.0.8", "the header for 127.0.0.8")
        expect_equal(seen[2], seen[0], "127.0.0.7's second request")
        with up.lock:
            headers, requests = list(up.headers), list(up.requests)
        # one upstream connection per client connection: a connection
        # that began with one client's header never carries another's
        expect_equal(requests, [2, 1], "requests per upstream connection "
                     "(%r)" % headers)
        # the upstream no section names gets the plain request
        port9, c = tls_from("127.0.0.9", srv.https_port)
        with c:
            c.sendall(b"GET /plain/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data, _ = read_all(c, 3)
        expect(data.startswith(b"HTTP/1.1 502"), "an upstream that wants a "
               "header and gets none closes: %r" % data[:60])
        with plain.lock:
            expect_equal(plain.headers, [None], "no header to the "
                         "upstream without proxy-protocol")
    finally:
        srv.stop()
        up.stop()
        plain.stop()


@suite.case("a_bad_upstream_section_is_a_config_error")
def _():
    cert = localhost_leaf()
    path = os.path.join(workdir(), "pp-bad-upstream.conf")
    with open(path, "w") as f:
        f.write('upstream "ftp://127.0.0.1:1" {\n  proxy-protocol = true\n}\n'
                'site "localhost" {\n  cert = "%s"\n  key = "%s"\n'
                '  proxy = "http://127.0.0.1:1"\n}\n' % (cert.chain, cert.key))
    r = common.run([common.padlock_bin(), "serve", "--config", path,
                    "--check-config"], env=test_env())
    expect(r.rc != 0, "refused")
    expect_in('upstream "ftp://127.0.0.1:1": proxy: \'ftp://127.0.0.1:1\' is '
              'not an upstream URL', r.out, "the error")


if __name__ == "__main__":
    suite.run()
