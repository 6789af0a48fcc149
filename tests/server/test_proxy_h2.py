"""padlock serve --proxy for HTTP/2 clients: h2 on the client's side, an
HTTP/1.1 upstream (gunicorn running proxy_app.py, as in test_proxy.py).

A proxied site offers h2 in ALPN. curl --http2 sends and receives bodies
byte-exact (sha256) for 0 B, 1 B, 1 MiB and a streamed 32 MiB body both
ways at once (the upstream echoes as it reads: the reply goes out while
the request body still comes); a body without content-length goes
chunked to the upstream. Raw frames (python3-h2's hyperframe and hpack):
60 streams proxied at once on one connection; a request body into an
upstream that does not read it is held back by flow control (padlock
stops acknowledging DATA, so the client's window closes, far below the
body's size); a client that never opens its window is closed after the
idle timeout; RFC 8441's extended CONNECT carries a WebSocket to a
python3-websockets echo upstream (messages both ways, a clean close),
and another :protocol gets 501. Cookie crumbs reach the upstream joined
in one Cookie (RFC 9113 8.2.3).
"""

import hashlib
import json
import os
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Skip, Suite, expect, expect_equal,  # noqa: E402
                          localhost_leaf, pki, run, stop_shared, wait_until,
                          workdir, WAIT)
import common  # noqa: E402  (tests/interop/common.py, on serve_common's path)
from test_h2 import (RawH2, NO_ERROR, PROTOCOL_ERROR, hf)  # noqa: E402
from test_proxy import Gunicorn, pattern_sha  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
suite = Suite("padlock serve --proxy: HTTP/2 clients")
state = {}


def upstream():
    """One gunicorn across cases (off the case's stop list)."""
    if "up" not in state:
        state["up"] = Gunicorn("h2")
        if state["up"].proc in common._live:
            common._live.remove(state["up"].proc)
    return state["up"]


def server(*more):
    """padlock serve --proxy to it, kept across cases (per set of flags)."""
    key = more
    if key not in state or not state[key].proc.alive():
        state[key] = Serve(["--proxy", upstream().url(), "--max-body",
                            str(4 << 30)] + list(more) +
                           localhost_leaf().args(), workers=1, shared=True)
    return state[key]


def curl(srv, path, *extra, stdin=None):
    """curl --http2 PATH: (status line, body bytes)."""
    out = os.path.join(workdir(), "curl-h2.out")
    hdr = os.path.join(workdir(), "curl-h2.head")
    r = run(["curl", "-sS", "--http2", "--cacert", pki().root,
             "--max-time", "120", "-D", hdr, "-o", out] + list(extra) +
            [srv.url(path)], input=stdin.read() if stdin else None,
            timeout=150)
    expect_equal(r.rc, 0, "curl's exit status (%s)" % r.err.strip())
    with open(hdr) as f:
        status = f.readline().strip()
    with open(out, "rb") as f:
        return status, f.read()


def body_file(n):
    path = os.path.join(workdir(), "h2-body-%d" % n)
    data = os.urandom(n)
    with open(path, "wb") as f:
        f.write(data)
    return path, data


@suite.case("curl_http2_bodies_byte_exact_both_ways_0_1_1MiB")
def _():
    srv = server()
    for n in (0, 1, 1 << 20):
        path, data = body_file(n)
        status, body = curl(srv, "/echo", "--data-binary", "@" + path,
                            "-H", "Content-Type: application/octet-stream")
        expect_equal(status, "HTTP/2 200", "status line of a %d-byte POST" % n)
        e = json.loads(body)
        expect_equal((e["length"], e["sha256"]),
                     (n, hashlib.sha256(data).hexdigest()),
                     "what the upstream received of a %d-byte POST" % n)
        status, body = curl(srv, "/size/%d" % n)
        expect_equal((status, len(body), hashlib.sha256(body).hexdigest()),
                     ("HTTP/2 200", n, pattern_sha(n)), "a %d-byte response" % n)


@suite.case("body_without_content_length_goes_chunked_to_the_upstream")
def _():
    path, data = body_file(1 << 20)
    # -T - reads stdin: curl sends no content-length
    with open(path, "rb") as f:
        status, body = curl(server(), "/echo", "-T", "-", "-X", "POST",
                            stdin=f)
    e = json.loads(body)
    expect_equal(status, "HTTP/2 200", "status line")
    expect_equal((e["length"], e["sha256"]),
                 (len(data), hashlib.sha256(data).hexdigest()), "the body")
    names = [n for n, _ in e["headers"]]
    expect("content-length" not in names,
           "no content-length toward the upstream: %r" % e["headers"])


@suite.case("streamed_32MiB_body_both_ways_at_once")
def _():
    n = 32 << 20
    path, data = body_file(n)
    status, body = curl(server(), "/chunked-echo", "-T", path)
    expect_equal((status, len(body)), ("HTTP/2 200", n), "status and size")
    expect_equal(hashlib.sha256(body).hexdigest(),
                 hashlib.sha256(data).hexdigest(), "the echoed body's sha256")
    status, body = curl(server(), "/size/%d" % n)
    expect_equal((len(body), hashlib.sha256(body).hexdigest()),
                 (n, pattern_sha(n)), "a 32 MiB download")


@suite.case("sixty_streams_proxied_at_once_on_one_connection")
def _():
    c = RawH2(server().https_port)
    ids = [1 + 2 * i for i in range(60)]
    c.send(*[c.headers(sid, path="/echo?stream=%d" % sid) for sid in ids])
    open_ids = set(ids)
    bodies = {sid: b"" for sid in ids}
    status = {}
    while open_ids:
        for f in c.frames(lambda f: "END_STREAM" in f.flags or
                          isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame))):
            if isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame)):
                raise Failure("%s error %d" % (type(f).__name__, f.error_code))
            if isinstance(f, hf.HeadersFrame):
                status[f.stream_id] = f.fields[":status"]
            if isinstance(f, hf.DataFrame):
                bodies[f.stream_id] += f.data
            if "END_STREAM" in f.flags:
                open_ids.discard(f.stream_id)
    c.close()
    expect_equal(set(status.values()), {"200"}, "statuses")
    for sid in ids:
        expect_equal(json.loads(bodies[sid])["path"], "/echo?stream=%d" % sid,
                     "the path the upstream saw for stream %d" % sid)


class Uploader:
    """Sends request bodies on a RawH2 connection as the server's
    flow-control windows allow, counting what it acknowledges."""

    def __init__(self, c):
        self.c = c
        self.conn_window = 65535
        self.windows = {}
        self.frames = []

    def pump(self, wait=1.0):
        """One frame from the server (False after wait seconds of none)."""
        c = self.c
        if not c.buf and not c.sock.pending():
            ready, _, _ = select.select([c.sock], [], [], wait)
            if not ready:
                return False
        f = c._frame()
        if f is None:
            raise Failure("the connection ended")
        if isinstance(f, hf.WindowUpdateFrame):
            if f.stream_id == 0:
                self.conn_window += f.window_increment
            else:
                self.windows[f.stream_id] = (self.windows.get(f.stream_id, 0)
                                             + f.window_increment)
        if isinstance(f, hf.GoAwayFrame):
            raise Failure("GOAWAY error %d" % f.error_code)
        if isinstance(f, hf.SettingsFrame) and "ACK" not in f.flags:
            c.send(hf.SettingsFrame(0, flags=["ACK"]))
        if isinstance(f, hf.HeadersFrame):
            f.fields = dict((k.decode(), v.decode())
                            for k, v in c.dec.decode(f.data, raw=True))
        self.frames.append(f)
        return True

    def send(self, sid, size, until_quiet=False):
        """Sends size bytes on sid (END_STREAM with the last); with
        until_quiet, stops once the server has been silent 3 times a
        second with the windows shut. Returns the bytes sent."""
        self.windows.setdefault(sid, 65535)
        sent, quiet = 0, 0
        while sent < size:
            n = min(16384, size - sent, self.conn_window, self.windows[sid])
            if n > 0:
                last = sent + n == size
                self.c.send(hf.DataFrame(sid, data=b"\0" * n,
                                         flags=["END_STREAM"] if last else []))
                sent += n
                self.conn_window -= n
                self.windows[sid] -= n
                continue
            if self.pump():
                quiet = 0
            elif until_quiet:
                quiet += 1
                if quiet == 3:
                    break
        return sent


@suite.case("body_into_a_stalled_upstream_is_held_back_by_flow_control")
def _():
    """The upstream sleeps without reading: padlock's buffer toward it
    fills, and then padlock stops acknowledging DATA, so the client
    cannot send more than a bounded part of its 256 MiB body. When the
    client resets that stream, the DATA held back is given back to the
    connection's window: a second upload on the connection goes through."""
    size = 256 << 20
    c = RawH2(server().https_port)
    up = Uploader(c)
    c.send(c.headers(1, path="/slow?20", method="POST",
                     extra=[("content-length", str(size))], end_stream=False))
    sent = up.send(1, size, until_quiet=True)
    print("# the client could send %d of %d bytes before its window closed"
          % (sent, size))
    expect(sent < 64 << 20, "the client sent %d bytes of %d into an upstream "
           "that reads nothing: not held back" % (sent, size))
    c.send(hf.RstStreamFrame(1, error_code=0x8))
    n = 1 << 20
    c.send(c.headers(3, path="/echo", method="POST",
                     extra=[("content-length", str(n))], end_stream=False))
    expect_equal(up.send(3, n), n, "the second upload's bytes sent")
    while not any(f.stream_id == 3 and "END_STREAM" in f.flags
                  for f in up.frames):
        if not up.pump(wait=WAIT):
            raise Failure("no answer to the second upload")
    body = b"".join(f.data for f in up.frames
                    if isinstance(f, hf.DataFrame) and f.stream_id == 3)
    expect_equal(json.loads(body)["length"], n, "what the upstream received")
    c.close()


@suite.case("cookie_crumbs_reach_the_upstream_joined")
def _():
    """RFC 9113 8.2.3: cookie fields split into crumbs are joined with
    "; " into one Cookie for the HTTP/1.1 upstream (two Cookie lines
    would reach the application joined with ", ")."""
    c = RawH2(server().https_port)
    c.send(c.headers(1, path="/echo", extra=[("cookie", "a=1"),
                                              ("accept", "*/*"),
                                              ("cookie", "b=2")]))
    fields, body = c.response(1)
    c.close()
    e = json.loads(body)
    cookies = [v for n, v in e["headers"] if n == "cookie"]
    expect_equal(cookies, ["a=1; b=2"], "the Cookie the upstream got")


@suite.case("zero_window_client_is_closed_after_the_idle_timeout")
def _():
    srv = server("--idle-timeout", "1")
    c = RawH2(srv.https_port, settings={hf.SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    c.send(c.headers(1, path="/size/%d" % (32 << 20)))
    frames = c.frames(lambda f: isinstance(f, hf.HeadersFrame), window=False)
    expect_equal(frames[-1].fields[":status"], "200", "status")
    g = c.frames(lambda f: isinstance(f, hf.GoAwayFrame), window=False)[-1]
    expect_equal(g.error_code, NO_ERROR, "GOAWAY's code")
    wait_until(lambda: c._frame() is None and c.closed,
               "the server to close the stalled connection", timeout=WAIT)
    c.close()
    # and the worker still proxies
    status, body = curl(srv, "/size/10")
    expect_equal((status, len(body)), ("HTTP/2 200", 10), "a request afterwards")


def ws_frame(opcode, payload):
    """A client's WebSocket frame (RFC 6455 5.2: FIN, masked)."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_parse(buf):
    """(opcode, payload, rest) of the server's first whole frame in buf
    (unmasked, RFC 6455 5.1), or None."""
    if len(buf) < 2:
        return None
    n, at = buf[1] & 0x7f, 2
    expect(not buf[1] & 0x80, "the server's frame is not masked")
    if n == 126:
        n, at = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(buf[2:10], "big"), 10
    if len(buf) < at + n:
        return None
    return buf[0] & 0x0f, buf[at:at + n], buf[at + n:]


class WsStream:
    """A WebSocket on stream sid of a RawH2 connection (RFC 8441)."""

    def __init__(self, c, sid):
        self.c, self.sid, self.buf, self.ended = c, sid, b"", False

    def send(self, opcode, payload):
        data = ws_frame(opcode, payload)
        for at in range(0, len(data), 16384):
            self.c.send(hf.DataFrame(self.sid, data=data[at:at + 16384]))

    def recv(self):
        """The next WebSocket frame from the upstream: (opcode, payload),
        or None once the stream has ended."""
        while True:
            got = ws_parse(self.buf)
            if got:
                self.buf = got[2]
                return got[0], got[1]
            if self.ended:
                return None
            f = self.c.frames(lambda f: f.stream_id == self.sid or
                              isinstance(f, hf.GoAwayFrame))[-1]
            if isinstance(f, (hf.GoAwayFrame, hf.RstStreamFrame)):
                raise Failure("the stream ended with %s %d" %
                              (type(f).__name__, f.error_code))
            if isinstance(f, hf.DataFrame):
                self.buf += f.data
            self.ended = "END_STREAM" in f.flags


def ws_echo():
    """ws_peer.py's echo server (python3-websockets), kept across cases."""
    if "ws" not in state:
        system_python = "/usr/bin/python3"
        if run([system_python, "-c", "import websockets"]).rc != 0:
            raise Skip("python3-websockets is not installed "
                       "(scripts/deps.sh --tests)")
        port = common.free_port()
        proc = common.Proc("ws-echo", [system_python,
                                       os.path.join(HERE, "ws_peer.py"),
                                       "server", port])
        if proc in common._live:
            common._live.remove(proc)
        wait_until(lambda: "listening" in proc.out() or not proc.alive(),
                   "the WebSocket echo server")
        state["ws"] = (proc, port)
    return state["ws"][1]


def extended_connect(c, sid, protocol="websocket", path="/chat"):
    block = c.enc.encode([(":method", "CONNECT"), (":protocol", protocol),
                          (":scheme", "https"), (":path", path),
                          (":authority", "localhost"),
                          ("sec-websocket-version", "13")])
    f = hf.HeadersFrame(sid, block)
    f.flags.add("END_HEADERS")
    c.send(f)


@suite.case("websocket_over_h2_messages_both_ways_and_a_clean_close")
def _():
    """RFC 8441: a proxied site offers SETTINGS_ENABLE_CONNECT_PROTOCOL;
    an extended CONNECT goes to the upstream (python3-websockets) as an
    HTTP/1.1 Upgrade, its 101 comes back as 200 without
    Sec-WebSocket-Accept, and DATA carries WebSocket frames both ways: a
    text message, a 200 KiB binary one (more than the stream's first
    window: flow control paces both directions), then the client's Close
    (1000) is echoed and the upstream's close ends the stream
    (END_STREAM); the client's END_STREAM closes its side, and the
    connection goes on."""
    srv = Serve(["--proxy", "http://127.0.0.1:%d" % ws_echo()] +
                localhost_leaf().args(), workers=1)
    try:
        c = RawH2(srv.https_port)
        settings = c.frames(lambda f: isinstance(f, hf.SettingsFrame) and
                            "ACK" not in f.flags)[-1]
        expect_equal(settings.settings.get(0x8), 1,
                     "SETTINGS_ENABLE_CONNECT_PROTOCOL")
        extended_connect(c, 1)
        head = c.frames(lambda f: f.stream_id == 1 or
                        isinstance(f, hf.GoAwayFrame))[-1]
        expect(isinstance(head, hf.HeadersFrame), "the answer: %r" % head)
        expect_equal(head.fields[":status"], "200", "the CONNECT's status")
        expect("END_STREAM" not in head.flags, "the tunnel stays open")
        expect("sec-websocket-accept" not in head.fields,
               "Sec-WebSocket-Accept over h2: %r" % head.fields)
        ws = WsStream(c, 1)
        ws.send(0x1, b"hello")
        expect_equal(ws.recv(), (0x1, b"echo: hello"), "the text echo")
        blob = bytes(range(256)) * 800
        up = Uploader(c)
        up.windows[1] = 65535
        data = ws_frame(0x2, blob)
        at = 0
        while at < len(data):
            n = min(16384, len(data) - at, up.conn_window, up.windows[1])
            if n > 0:
                c.send(hf.DataFrame(1, data=data[at:at + n]))
                at += n
                up.conn_window -= n
                up.windows[1] -= n
            elif not up.pump(wait=WAIT):
                raise Failure("the window stayed shut")
        for f in up.frames:
            if isinstance(f, hf.DataFrame) and f.stream_id == 1 and f.data:
                ws.buf += f.data
                n = f.flow_controlled_length
                c.send(hf.WindowUpdateFrame(0, window_increment=n),
                       hf.WindowUpdateFrame(1, window_increment=n))
        expect_equal(ws.recv(), (0x2, b"echo: " + blob), "the binary echo")
        ws.send(0x8, (1000).to_bytes(2, "big"))
        close = ws.recv()
        expect_equal((close[0], close[1][:2]), (0x8, (1000).to_bytes(2, "big")),
                     "the upstream's Close")
        expect_equal(ws.recv(), None, "the stream's end after the Close")
        c.send(hf.DataFrame(1, data=b"", flags=["END_STREAM"]))
        c.send(c.headers(3, path="/plain"))
        f = c.frames(lambda f: f.stream_id == 3 and
                     isinstance(f, hf.HeadersFrame) or
                     isinstance(f, hf.GoAwayFrame))[-1]
        expect(isinstance(f, hf.HeadersFrame),
               "a request after the tunnel: %r" % f)
        c.close()
        srv.wait_log(r'"CONNECT /chat HTTP/2\.0" 200 .* upstream=127\.0\.0\.1:%d'
                     % ws_echo(), "the tunnel in the access log")
    finally:
        srv.stop()


@suite.case("extended_connect_for_another_protocol_is_501")
def _():
    """RFC 8441 4 lets :protocol name any upgrade token; padlock tunnels
    only websocket, and answers another with 501, the stream's alone."""
    c = RawH2(server().https_port)
    extended_connect(c, 1, protocol="connect-udp")
    fields, body = c.response(1)
    expect_equal(fields[":status"], "501", "the answer")
    c.send(c.headers(3, path="/echo"))
    fields, body = c.response(3)
    expect_equal(fields[":status"], "200", "a request after it")
    c.close()


@suite.case("servers_exit_0_on_sigterm")
def _():
    stop_shared()
    if "up" in state:
        state.pop("up").stop()
    if "ws" in state:
        state.pop("ws")[0].stop()


if __name__ == "__main__":
    suite.run()
