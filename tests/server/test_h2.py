"""padlock serve over HTTP/2 (ALPN h2, RFC 9113), against real clients.

curl --http2 gets the same answers as over HTTP/1.1 (200, 304, 206, 416,
HEAD, 405 with Allow, HSTS, the welcome page), with "HTTP/2" in its status
line and exact bodies; nghttp -v multiplexes several requests on one
connection; the access log says HTTP/2.0. --http2 off offers http/1.1 only,
and a client without ALPN gets HTTP/1.1.

Raw frames (Python's hyperframe and hpack, from Debian's python3-h2) check
the exact RFC 9113 error codes and each abuse case: rapid reset
(CVE-2023-44487), a CONTINUATION flood, an HPACK bomb, PING and SETTINGS
floods, a body longer than its content-length, a client that never opens
its window; and a graceful stop that lets a stream in flight finish after
GOAWAY.
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Suite, WAIT, client_context,  # noqa: E402
                          expect, expect_equal, expect_in, expect_re,
                          localhost_leaf, padlock_bin, pki, proc_rss_kib, run, stop_shared, wait_until,
                          workdir, write_file)

try:
    import hpack
    import hyperframe.frame as hf
except ImportError:
    # Debian's python3-h2 installs for the system's python3; a python3
    # of its own (pyenv) finds the same pure-Python modules there.
    sys.path.append("/usr/lib/python3/dist-packages")
    import hpack
    import hyperframe.frame as hf

suite = Suite("padlock serve: HTTP/2")
state = {}

DIGITS = b"0123456789abcdefghijklmnopqrstuvwxyz"   # 36 bytes
BIG = 3 * 1024 * 1024
OLD = 1700000000

# RFC 9113 7: error codes
NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x3
FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL = 0x6, 0x7, 0x8
ENHANCE_YOUR_CALM = 0xb


def make_site():
    if "root" in state:
        return state["root"]
    root = os.path.join(workdir(), "h2", "root")
    write_file(os.path.join(root, "digits.txt"), DIGITS, OLD)
    write_file(os.path.join(root, "index.html"), b"<p>home</p>\n", OLD)
    data = bytes((i * 7) & 0xff for i in range(BIG))
    write_file(os.path.join(root, "big.bin"), data, OLD)
    state["big_sha"] = hashlib.sha256(data).hexdigest()
    state["root"] = root
    return root


def server():
    if "srv" not in state or not state["srv"].proc.alive():
        state["srv"] = Serve(["--root", make_site()] + localhost_leaf().args(),
                             shared=True)
    return state["srv"]


def curl(srv, path, *extra):
    r = run(["curl", "-sS", "--http2", "--cacert", pki().root,
             "--max-time", "20", "-D", "-"] + list(extra) +
            [srv.url(path)])
    expect_equal(r.rc, 0, "curl's exit status (%s)" % r.err.strip())
    head, _, body = r.out.partition("\r\n\r\n")
    return head.replace("\r", ""), body


# ---- raw frames ------------------------------------------------------------

class RawH2:
    """One h2 connection driven frame by frame: the preface and our
    SETTINGS go out at once, the server's SETTINGS are acknowledged."""

    def __init__(self, port, settings=None):
        ctx = client_context()
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        expect_equal(self.sock.selected_alpn_protocol(), "h2", "ALPN")
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        self.closed = False
        s = hf.SettingsFrame(0, settings=settings or {})
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + s.serialize())

    def block(self, path="/digits.txt", method="GET", extra=()):
        return self.enc.encode([(":method", method), (":scheme", "https"),
                                (":path", path), (":authority", "localhost")]
                               + list(extra))

    def headers(self, sid, path="/digits.txt", method="GET", extra=(),
                end_stream=True):
        f = hf.HeadersFrame(sid, self.block(path, method, extra))
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        return f

    def send(self, *frames):
        self.sock.sendall(b"".join(f.serialize() for f in frames))

    def _frame(self):
        """The next frame, or None at the end of the connection."""
        while True:
            if len(self.buf) >= 9:
                f, length = hf.Frame.parse_frame_header(
                    memoryview(self.buf[:9]))
                if len(self.buf) >= 9 + length:
                    f.parse_body(memoryview(self.buf[9:9 + length]))
                    self.buf = self.buf[9 + length:]
                    return f
            try:
                data = self.sock.recv(65536)
            except (ssl.SSLError, ConnectionResetError, socket.timeout):
                data = b""
            if not data:
                self.closed = True
                return None
            self.buf += data

    def frames(self, until, window=True):
        """Frames until until(frame) is true (that frame included), HEADERS
        decoded into frame.fields; DATA acknowledged with WINDOW_UPDATE
        unless window is false. Fails at the end of the connection."""
        got = []
        while True:
            f = self._frame()
            if f is None:
                raise Failure("the connection ended before the expected "
                              "frame; got %s" % [type(x).__name__ for x in got[-8:]])
            if isinstance(f, hf.HeadersFrame):
                f.fields = dict((k.decode(), v.decode())
                                for k, v in self.dec.decode(f.data, raw=True))
            if isinstance(f, hf.SettingsFrame) and "ACK" not in f.flags:
                self.send(hf.SettingsFrame(0, flags=["ACK"]))
            if isinstance(f, hf.DataFrame) and window and f.flow_controlled_length:
                n = f.flow_controlled_length
                self.send(hf.WindowUpdateFrame(0, window_increment=n),
                          hf.WindowUpdateFrame(f.stream_id, window_increment=n))
            got.append(f)
            if until(f):
                return got

    def response(self, sid):
        """(fields, body) of stream sid."""
        frames = self.frames(lambda f: f.stream_id == sid and
                             "END_STREAM" in f.flags or
                             isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame)))
        last = frames[-1]
        if isinstance(last, (hf.GoAwayFrame, hf.RstStreamFrame)):
            raise Failure("stream %d: %s error %d" % (sid, type(last).__name__,
                                                      last.error_code))
        fields = [f.fields for f in frames if isinstance(f, hf.HeadersFrame)
                  and f.stream_id == sid][0]
        body = b"".join(f.data for f in frames if isinstance(f, hf.DataFrame)
                        and f.stream_id == sid)
        return fields, body

    def goaway(self):
        return self.frames(lambda f: isinstance(f, hf.GoAwayFrame))[-1]

    def close(self):
        self.sock.close()


def expect_goaway(c, code, what):
    g = c.goaway()
    expect_equal(g.error_code, code, "GOAWAY error code (%s)" % what)
    return g


def still_serves(srv):
    c = RawH2(srv.https_port)
    c.send(c.headers(1))
    fields, body = c.response(1)
    expect_equal((fields[":status"], body), ("200", DIGITS),
                 "a new connection afterwards")
    c.close()


# ---- curl ------------------------------------------------------------------

@suite.case("curl_http2_gets_a_file_exactly")
def _():
    head, body = curl(server(), "/digits.txt")
    expect_re(r"^HTTP/2 200 ?$", head, "status line", re.M)
    expect_equal(body, DIGITS.decode(), "body")
    expect_re(r"^content-length: 36$", head, "content-length", re.M)
    expect_re(r"^strict-transport-security: max-age=63072000$", head,
              "HSTS over h2", re.M)
    expect(not re.search(r"^(connection|transfer-encoding):", head, re.M | re.I),
           "no connection-specific field (RFC 9113 8.2.2): %r" % head)


@suite.case("curl_http2_if_none_match_gets_304")
def _():
    head, _ = curl(server(), "/digits.txt")
    etag = re.search(r"^etag: (.*)$", head, re.M).group(1).strip()
    head, body = curl(server(), "/digits.txt", "-H", "If-None-Match: " + etag)
    expect_re(r"^HTTP/2 304 ?$", head, "status line", re.M)
    expect_equal(body, "", "no body")


@suite.case("curl_http2_range_gets_206_and_unsatisfiable_416")
def _():
    head, body = curl(server(), "/digits.txt", "-r", "10-19")
    expect_re(r"^HTTP/2 206 ?$", head, "status line", re.M)
    expect_re(r"^content-range: bytes 10-19/36$", head, "content-range", re.M)
    expect_equal(body, DIGITS[10:20].decode(), "body")
    head, body = curl(server(), "/digits.txt", "-r", "100-200")
    expect_re(r"^HTTP/2 416 ?$", head, "status line", re.M)
    expect_re(r"^content-range: bytes \*/36$", head, "content-range", re.M)


@suite.case("curl_http2_head_and_405_with_allow")
def _():
    r = run(["curl", "-sS", "--http2", "--cacert", pki().root, "-I",
             server().url("/digits.txt")])
    expect_equal(r.rc, 0, "curl -I's exit status (%s)" % r.err.strip())
    expect_re(r"^HTTP/2 200 ?\r$", r.out, "HEAD status line", re.M)
    expect_re(r"^content-length: 36\r$", r.out, "HEAD content-length", re.M)
    expect(r.out.endswith("\r\n\r\n") and r.out.count("HTTP/") == 1,
           "HEAD has no body: %r" % r.out[-60:])
    head, body = curl(server(), "/digits.txt", "-X", "DELETE")
    expect_re(r"^HTTP/2 405 ?$", head, "status line", re.M)
    expect_re(r"^allow: GET, HEAD$", head, "allow", re.M)
    expect_equal(body, "405 Method Not Allowed\n", "body")


@suite.case("curl_http2_streams_a_large_file_intact")
def _():
    srv = server()
    out = os.path.join(workdir(), "h2", "big.out")
    r = run(["curl", "-sS", "--http2", "--cacert", pki().root, "-o", out,
             "-w", "%{http_version}", srv.url("/big.bin")])
    expect_equal((r.rc, r.out), (0, "2"), "curl's status and HTTP version")
    with open(out, "rb") as f:
        expect_equal(hashlib.sha256(f.read()).hexdigest(), state["big_sha"],
                     "SHA-256 of %d bytes" % BIG)


@suite.case("large_file_with_open_windows_keeps_worker_rss_small")
def _():
    """96 MiB with every window open: only the socket holds the server
    back, and the file is read a frame at a time, never whole."""
    folder = os.path.join(workdir(), "h2", "huge")
    size = 96 << 20
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "huge.bin"), "wb") as f:
        for i in range(size >> 20):
            chunk = bytes([i]) + block[1:]
            f.write(chunk)
            digest.update(chunk)
    os.chmod(folder, 0o755)
    os.chmod(os.path.join(folder, "huge.bin"), 0o644)
    srv = Serve(["--root", folder] + localhost_leaf().args(), workers=1)
    worker = srv.workers()[0]
    c = RawH2(srv.https_port,
              settings={hf.SettingsFrame.INITIAL_WINDOW_SIZE: 2**31 - 1})
    c.send(hf.WindowUpdateFrame(0, window_increment=2**31 - 1 - 65535),
           c.headers(1, path="/huge.bin"))
    got = hashlib.sha256()
    n = 0
    samples = []
    next_sample = 0
    while True:
        f = c._frame()
        if f is None:
            raise Failure("closed after %d bytes" % n)
        if isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame)):
            raise Failure("%s %d" % (type(f).__name__, f.error_code))
        if isinstance(f, hf.DataFrame):
            got.update(f.data)
            n += len(f.data)
            if n >= next_sample:
                samples.append((n >> 20, proc_rss_kib(worker)))
                next_sample += 8 << 20
                time.sleep(0.05)   # a server that reads ahead fills up now
            if "END_STREAM" in f.flags:
                break
    expect_equal((n, got.hexdigest()), (size, digest.hexdigest()),
                 "bytes and SHA-256")
    limit_kib = 64 * 1024
    peak = max(kib for _, kib in samples if kib is not None)
    expect(peak < limit_kib, "worker VmRSS reached %d KiB (limit %d KiB): %s"
           % (peak, limit_kib, samples))
    print("# worker VmRSS while sending 96 MiB over h2: %d KiB at most" % peak)
    c.close()
    os.unlink(os.path.join(folder, "huge.bin"))
    srv.stop()


@suite.case("access_log_says_http_2_0")
def _():
    srv = server()
    curl(srv, "/digits.txt?logged=1")
    srv.wait_log(r'"GET /digits.txt\?logged=1 HTTP/2\.0" 200 36 ',
                 "the access log line of an h2 request")


@suite.case("welcome_page_over_h2_shows_alpn_h2")
def _():
    srv = Serve(localhost_leaf().args())
    head, body = curl(srv, "/")
    expect_re(r"^HTTP/2 200 ?$", head, "status line", re.M)
    expect_in('<code id="alpn">h2</code>', body, "the welcome page")
    srv.stop()


@suite.case("nghttp_multiplexes_requests_on_one_connection")
def _():
    srv = server()
    r = run(["nghttp", "-nv", "--no-dep", srv.url("/digits.txt"),
             srv.url("/index.html"), srv.url("/missing"), srv.url("/big.bin")],
            env=dict(os.environ, SSL_CERT_FILE=pki().root))
    expect_equal(r.rc, 0, "nghttp's exit status (%s)" % r.err[-300:])
    statuses = re.findall(r"recv \(stream_id=(\d+)\) :status: (\d+)", r.out)
    expect_equal(sorted(s for _, s in statuses), ["200", "200", "200", "404"],
                 "statuses")
    expect_equal(len(set(i for i, _ in statuses)), 4, "four streams")
    # one TLS connection: one SETTINGS from the server, one handshake
    expect_equal(len(re.findall(r"recv SETTINGS frame <length=\d+, flags=0x00",
                                r.out)), 1, "server SETTINGS frames")
    expect_in("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100", r.out,
              "our SETTINGS")


@suite.case("http2_off_offers_http_1_1_only")
def _():
    srv = Serve(["--root", make_site(), "--http2", "off"] +
                localhost_leaf().args())
    head, body = curl(srv, "/digits.txt")
    expect_re(r"^HTTP/1.1 200 OK$", head, "status line with --http2 off", re.M)
    expect_equal(body, DIGITS.decode(), "body")
    ctx = client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.https_port),
                                                  timeout=WAIT),
                         server_hostname="localhost") as s:
        expect_equal(s.selected_alpn_protocol(), "http/1.1", "ALPN chosen")
    srv.stop()


@suite.case("bad_http2_values_get_one_sentence")
def _():
    r = run([padlock_bin(), "serve", "--http2", "maybe"])
    expect_equal(r.err.strip(), "padlock serve: --http2 is 'off' or 'on', "
                 "not 'maybe'", "the error")
    expect(r.rc != 0, "a failing exit status")
    r = run([padlock_bin(), "serve", "--h2-max-frame", "1000"])
    expect_equal(r.err.strip(), "padlock serve: --h2-max-frame wants a number "
                 "from 16384 to 16777215, not '1000'", "the error")


@suite.case("client_without_alpn_gets_http_1_1")
def _():
    srv = server()
    ctx = client_context()
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.https_port),
                                                  timeout=WAIT),
                         server_hostname="localhost") as s:
        expect_equal(s.selected_alpn_protocol(), None, "no ALPN")
        s.sendall(b"GET /digits.txt HTTP/1.1\r\nHost: localhost\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    expect(data.startswith(b"HTTP/1.1 200 OK\r\n"), "HTTP/1.1: %r" % data[:40])
    expect(data.endswith(b"\r\n\r\n" + DIGITS), "body")


# ---- RFC 9113 errors ----------------------------------------------------------

@suite.case("extended_connect_on_a_static_site_is_refused")
def _():
    """RFC 8441 3: a site that serves files does not send
    SETTINGS_ENABLE_CONNECT_PROTOCOL, so :protocol makes a malformed
    request: RST_STREAM PROTOCOL_ERROR, and the connection goes on."""
    c = RawH2(server().https_port)
    settings = c.frames(lambda f: isinstance(f, hf.SettingsFrame) and
                        "ACK" not in f.flags)[-1]
    expect(0x8 not in settings.settings,
           "SETTINGS_ENABLE_CONNECT_PROTOCOL offered: %r" % settings.settings)
    block = c.enc.encode([(":method", "CONNECT"), (":protocol", "websocket"),
                          (":scheme", "https"), (":path", "/ws"),
                          (":authority", "localhost"),
                          ("sec-websocket-version", "13")])
    f = hf.HeadersFrame(1, block)
    f.flags.add("END_HEADERS")
    c.send(f)
    r = c.frames(lambda f: isinstance(f, (hf.RstStreamFrame, hf.GoAwayFrame)))[-1]
    expect_equal((type(r).__name__, r.stream_id, r.error_code),
                 ("RstStreamFrame", 1, PROTOCOL_ERROR), "the answer")
    c.send(c.headers(3))
    fields, body = c.response(3)
    expect_equal((fields[":status"], body), ("200", DIGITS), "a request after it")
    c.close()


@suite.case("uppercase_field_name_is_stream_protocol_error")
def _():
    c = RawH2(server().https_port)
    c.send(c.headers(1, extra=[("X-Upper", "1")]))   # RFC 9113 8.2.1
    f = c.frames(lambda f: isinstance(f, (hf.RstStreamFrame, hf.GoAwayFrame)))[-1]
    expect_equal((type(f).__name__, f.stream_id, f.error_code),
                 ("RstStreamFrame", 1, PROTOCOL_ERROR), "the answer")
    c.send(c.headers(3))
    expect_equal(c.response(3)[1], DIGITS, "the connection goes on")
    c.close()


@suite.case("authority_with_userinfo_or_path_with_space_gets_400")
def _():
    c = RawH2(server().https_port)
    f = hf.HeadersFrame(1, c.enc.encode([
        (":method", "GET"), (":scheme", "https"), (":path", "/digits.txt"),
        (":authority", "user@localhost")]))
    f.flags.add("END_HEADERS")
    f.flags.add("END_STREAM")
    c.send(f)
    fields, body = c.response(1)
    expect_equal(fields[":status"], "400", "status with userinfo")
    expect_in(b":authority (or Host) is not a valid host[:port]", body, "body")
    c.close()


@suite.case("window_update_of_zero_is_connection_protocol_error")
def _():
    c = RawH2(server().https_port)
    c.send(hf.WindowUpdateFrame(0, window_increment=0))   # RFC 9113 6.9
    expect_goaway(c, PROTOCOL_ERROR, "WINDOW_UPDATE 0")
    c.close()


@suite.case("window_overflow_is_flow_control_error")
def _():
    c = RawH2(server().https_port)
    c.send(hf.WindowUpdateFrame(0, window_increment=2**31 - 1))  # 6.9.1
    expect_goaway(c, FLOW_CONTROL_ERROR, "window above 2^31-1")
    c.close()


@suite.case("oversized_frame_is_frame_size_error")
def _():
    c = RawH2(server().https_port)
    c.frames(lambda f: isinstance(f, hf.SettingsFrame))
    f = c.headers(1)
    f.data += b"\x00" * 20000   # over SETTINGS_MAX_FRAME_SIZE (RFC 9113 4.2)
    c.send(f)
    expect_goaway(c, FRAME_SIZE_ERROR, "a 20 KB HEADERS frame")
    c.close()


@suite.case("headers_on_an_even_stream_is_protocol_error")
def _():
    c = RawH2(server().https_port)
    c.send(c.headers(2))   # RFC 9113 5.1.1: clients use odd ids
    expect_goaway(c, PROTOCOL_ERROR, "stream 2")
    c.close()


@suite.case("streams_over_the_limit_are_refused")
def _():
    srv = Serve(["--root", make_site(), "--h2-max-streams", "2"] +
                localhost_leaf().args())
    c = RawH2(srv.https_port)
    # our SETTINGS acknowledged first, so the limit is in force
    c.frames(lambda f: isinstance(f, hf.SettingsFrame) and "ACK" in f.flags)
    c.send(c.headers(1, method="POST", end_stream=False),
           c.headers(3, method="POST", end_stream=False),
           c.headers(5, method="POST", end_stream=False))
    f = c.frames(lambda f: isinstance(f, (hf.RstStreamFrame, hf.GoAwayFrame)))[-1]
    # RFC 9113 5.1.2: PROTOCOL_ERROR or REFUSED_STREAM; nghttp2 makes it a
    # connection error once the limit has been acknowledged.
    expect_equal((type(f).__name__, f.error_code),
                 ("GoAwayFrame", PROTOCOL_ERROR), "the third stream")
    expect_equal(f.last_stream_id, 3, "GOAWAY's last stream")
    c.close()
    srv.stop()


# ---- abuse ---------------------------------------------------------------------

@suite.case("rapid_reset_gets_enhance_your_calm")
def _():
    srv = server()
    c = RawH2(srv.https_port)
    frames = []
    for i in range(1000):       # CVE-2023-44487: open, reset at once
        sid = 2 * i + 1
        frames += [c.headers(sid), hf.RstStreamFrame(sid, error_code=CANCEL)]
    c.send(*frames)
    expect_goaway(c, ENHANCE_YOUR_CALM, "1000 streams reset at once")
    srv.wait_log(r"rapid reset\): GOAWAY ENHANCE_YOUR_CALM", "the log line")
    c.close()
    still_serves(srv)


@suite.case("continuation_flood_gets_enhance_your_calm")
def _():
    srv = server()
    c = RawH2(srv.https_port)
    h = hf.HeadersFrame(1, c.block())     # no END_HEADERS
    frames = [h]
    for i in range(200):   # 200 KB of valid fields, never ending the block
        block = c.enc.encode([("x-flood-%d" % i, "v" * 1000)])
        frames.append(hf.ContinuationFrame(1, block))
    try:
        c.send(*frames)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass   # the server stopped reading: what it sent first is read below
    expect_goaway(c, ENHANCE_YOUR_CALM, "endless CONTINUATION frames")
    c.close()
    still_serves(srv)


@suite.case("hpack_bomb_gets_431_and_the_connection_goes_on")
def _():
    srv = server()
    c = RawH2(srv.https_port)
    # One 4000-byte field enters the dynamic table, then 40 one-byte
    # references to it: 4 KB on the wire, 160 KB decoded (RFC 7541 2.3.2).
    bomb = [("x-bomb", "a" * 4000)] * 40
    block = c.block(extra=bomb)
    expect(len(block) < 4400, "the block is small on the wire (%d)" % len(block))
    f = hf.HeadersFrame(1, block)
    f.flags.add("END_HEADERS")
    f.flags.add("END_STREAM")
    c.send(f)
    fields, body = c.response(1)
    expect_equal(fields[":status"], "431", "status")
    expect_equal(body, b"431 Request Header Fields Too Large: the header "
                 b"list is over --h2-max-header-list\n", "body")
    c.send(c.headers(3))
    fields, body = c.response(3)
    expect_equal((fields[":status"], body), ("200", DIGITS),
                 "the next request on the same connection (HPACK in step)")
    c.close()


@suite.case("ping_flood_gets_enhance_your_calm")
def _():
    c = RawH2(server().https_port)
    c.send(*[hf.PingFrame(0, opaque_data=b"%08d" % i) for i in range(1000)])
    expect_goaway(c, ENHANCE_YOUR_CALM, "1000 PINGs")
    c.close()


@suite.case("settings_flood_gets_enhance_your_calm")
def _():
    c = RawH2(server().https_port)
    c.send(*[hf.SettingsFrame(0) for _ in range(1000)])
    expect_goaway(c, ENHANCE_YOUR_CALM, "1000 SETTINGS")
    c.close()


@suite.case("body_longer_than_content_length_is_stream_protocol_error")
def _():
    c = RawH2(server().https_port)
    h = c.headers(1, method="POST", extra=[("content-length", "5")],
                  end_stream=False)
    d = hf.DataFrame(1, b"0123456789")
    d.flags.add("END_STREAM")
    c.send(h, d)    # RFC 9113 8.1.1: malformed
    f = c.frames(lambda f: isinstance(f, (hf.RstStreamFrame, hf.GoAwayFrame)))[-1]
    expect_equal((type(f).__name__, f.stream_id, f.error_code),
                 ("RstStreamFrame", 1, PROTOCOL_ERROR), "the answer")
    c.close()


@suite.case("zero_window_stall_is_closed_after_the_idle_timeout")
def _():
    srv = Serve(["--root", make_site(), "--idle-timeout", "1"] +
                localhost_leaf().args())
    c = RawH2(srv.https_port, settings={hf.SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    c.send(c.headers(1, path="/big.bin"))
    frames = c.frames(lambda f: isinstance(f, hf.HeadersFrame), window=False)
    expect_equal(frames[-1].fields[":status"], "200", "status")
    # never a WINDOW_UPDATE: the server can send nothing and must not
    # hold the stream forever
    wait_until(lambda: c._frame() is None and c.closed,
               "the server to close the stalled connection", timeout=WAIT)
    c.close()
    srv.stop()


@suite.case("idle_connection_gets_goaway_then_closes")
def _():
    """RFC 9113 6.8: a connection idle past --idle-timeout is told why it
    closes (GOAWAY NO_ERROR naming the last stream taken), not just cut."""
    srv = Serve(["--root", make_site(), "--idle-timeout", "1"] +
                localhost_leaf().args())
    c = RawH2(srv.https_port)
    c.send(c.headers(1))
    c.response(1)
    c.send(c.headers(3))
    c.response(3)
    g = c.goaway()
    expect_equal((g.error_code, g.last_stream_id), (NO_ERROR, 3),
                 "GOAWAY's code and last stream")
    wait_until(lambda: c._frame() is None and c.closed,
               "the server to close the idle connection", timeout=WAIT)
    c.close()
    srv.stop()


# ---- graceful stop ---------------------------------------------------------------

def stream_in_flight_finishes_after_goaway(sig):
    """sig (SIGTERM: stop; SIGHUP: reload, the old worker drains) while
    a 3 MiB stream is in flight, held back by our window: first a GOAWAY
    NO_ERROR naming 2^31-1 (RFC 9113 6.8: open no more streams), then all
    of the stream, and the final GOAWAY NO_ERROR naming it; then the
    server closes."""
    srv = Serve(["--root", make_site()] + localhost_leaf().args(), workers=1)
    c = RawH2(srv.https_port)
    c.send(c.headers(1, path="/big.bin"))
    first = c.frames(lambda f: isinstance(f, hf.DataFrame), window=False)
    srv.signal(sig)
    # the window stays shut until the GOAWAY: the stream cannot finish
    # before the worker drains, however fast the reload
    first += c.frames(lambda f: isinstance(f, hf.GoAwayFrame), window=False)
    notice = first[-1]
    expect_equal((notice.error_code, notice.last_stream_id),
                 (NO_ERROR, 2 ** 31 - 1), "the first GOAWAY's code and last stream")
    got = b"".join(f.data for f in first if isinstance(f, hf.DataFrame))
    n = len(got)
    c.send(hf.WindowUpdateFrame(0, window_increment=n),
           hf.WindowUpdateFrame(1, window_increment=n))
    goaways = []
    done = False
    while not (done and goaways):
        frames = c.frames(lambda f: "END_STREAM" in f.flags or
                          isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame)))
        got += b"".join(f.data for f in frames if isinstance(f, hf.DataFrame))
        last = frames[-1]
        if isinstance(last, hf.RstStreamFrame):
            raise Failure("stream reset: %d" % last.error_code)
        if isinstance(last, hf.GoAwayFrame):
            goaways.append((last.error_code, last.last_stream_id))
        else:
            done = True
    expect_equal(goaways, [(NO_ERROR, 1)], "the final GOAWAY's code and last stream")
    expect_equal((len(got), hashlib.sha256(got).hexdigest()),
                 (BIG, state["big_sha"]), "the stream in flight, whole")
    wait_until(lambda: c._frame() is None and c.closed,
               "the server to close the connection", timeout=WAIT)
    c.close()
    if sig == signal.SIGHUP:
        still_serves(srv)   # the new workers
    srv.stop()


suite.add("graceful_stop_sends_goaway_and_finishes_the_stream",
          stream_in_flight_finishes_after_goaway, signal.SIGTERM)
suite.add("reload_sends_goaway_and_finishes_the_stream",
          stream_in_flight_finishes_after_goaway, signal.SIGHUP)


def curl_loop(srv, urls, parallel, results, stop):
    """curl --http2 fetching urls on one connection (multiplexed when
    parallel), again and again until stop is set: each transfer's status
    and curl's complaint (if any) go into results."""
    args = ["curl", "-sS", "--http2", "--cacert", pki().root,
            "--max-time", "20", "--no-progress-meter", "-w", "\\n@@%{http_code}@@\\n"]
    if parallel:
        args += ["--parallel", "--parallel-max", "20", "--parallel-immediate"]
    while not stop.is_set():
        r = run(args + urls)
        codes = re.findall(r"@@(\d+)@@", r.out)
        results.append((codes, r.err.strip()))


@suite.case("reload_under_h2_load_loses_no_request")
def _():
    """curl --http2, sequential and multiplexed, fetching over kept
    connections while the server is reloaded four times: every transfer
    gets its 200 (RFC 9113 6.8: a first GOAWAY with 2^31-1 and a PING, the
    final GOAWAY after the round trip, so no stream the client sent in
    the meantime is dropped)."""
    import threading
    srv = Serve(["--root", make_site()] + localhost_leaf().args(), workers=2)
    urls = [srv.url("/digits.txt?%d" % i) for i in range(40)]
    results, stop = [], threading.Event()
    threads = [threading.Thread(target=curl_loop,
                                args=(srv, urls, i % 2 == 1, results, stop))
               for i in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        for i in range(4):
            mark = len(srv.err())
            srv.signal(signal.SIGHUP)
            srv.wait_log(r"\] %d: reloaded: " % srv.pid,
                         "reload %d to finish" % (i + 1), start=mark)
            time.sleep(0.4)
    finally:
        stop.set()
        for t in threads:
            t.join()
    total = sum(len(codes) for codes, _ in results)
    failed = [(codes, err) for codes, err in results
              if err or len(codes) != len(urls) or set(codes) != {"200"}]
    expect(total >= 4 * len(urls), "transfers made: %d" % total)
    expect(not failed, "%d of %d curl runs had failed transfers: %s"
           % (len(failed), len(results), [e for _, e in failed][:3]))
    srv.stop()


@suite.case("shared_server_exits_0_on_sigterm")
def _():
    stop_shared()


if __name__ == "__main__":
    suite.run()
