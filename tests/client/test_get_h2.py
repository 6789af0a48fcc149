"""padlock get over HTTP/2 (RFC 9113, ALPN h2) against servers padlock did
not write and against its own: padlock serve with h2 on and with --http2
off, nghttpd (nghttp2's server), openssl s_server (no ALPN at all), curl
as the reference for the bytes, and a hostile h2 server made of raw frames
(Python's hyperframe and hpack) for every way a response can go wrong.

Each case asserts the protocol (-v names it), the exact bytes (SHA-256 of
small and multi-MiB bodies), the exit status, and for failures the one
sentence on stderr. The same fetch over --http1.1 gives the same bytes."""

import hashlib
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import common  # noqa: E402
from common import (Failure, Proc, Suite, expect, expect_equal,  # noqa: E402
                    expect_in, padlock_get, pki, run, start_openssl_server,
                    tmp_path, wait_until, workdir)
import serve_common  # noqa: E402
from serve_common import Serve, localhost_leaf, write_file  # noqa: E402

from h2_hostile import continued, data, headers, hf, hostile, raw  # noqa: E402

suite = Suite("padlock get: HTTP/2")
state = {}

SMALL = b"0123456789abcdefghijklmnopqrstuvwxyz\n"
BIG = 5 * 1024 * 1024 + 123   # not a multiple of any frame or record size
H2_LINE = "HTTP/2 (the server chose h2 in ALPN)"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def site():
    if "root" in state:
        return state["root"]
    root = os.path.join(workdir(), "h2get", "root")
    write_file(os.path.join(root, "small.txt"), SMALL)
    big = hashlib.sha256(b"seed").digest() * (BIG // 32 + 1)
    big = bytes(b ^ (i & 0xff) for i, b in enumerate(big[:BIG]))
    write_file(os.path.join(root, "big.bin"), big)
    write_file(os.path.join(root, "sub", "index.html"), b"<p>sub</p>\n")
    os.chmod(os.path.join(workdir(), "h2get"), 0o755)
    state["big_sha"] = sha(big)
    state["root"] = root
    return root


def serve(http2=True):
    key = "srv-h2" if http2 else "srv-h1"
    if key not in state or not state[key].proc.alive():
        args = ["--root", site()] + localhost_leaf().args()
        if not http2:
            args += ["--http2", "off"]
        state[key] = Serve(args, workers=1, shared=True)
    return state[key]


def get(url, *options):
    """padlock get --cacert ROOT OPTIONS URL; stdout as bytes."""
    return padlock_get(url, "--cacert", pki().root, *options)


def expect_ok(r, what):
    expect_equal(r.rc, 0, "%s: exit status (stderr %r)" % (what, r.err[-300:]))


def expect_one_sentence(r, port, part, what):
    expect_equal(r.rc, 1, "%s: exit status" % what)
    expect_equal(r.err.count("\n"), 1, "%s: one line on stderr: %r"
                 % (what, r.err))
    expect(r.err.startswith("padlock: localhost:%d: " % port),
           "%s: the line names the target: %r" % (what, r.err))
    expect_in(part, r.err, "%s: stderr" % what)


# ---- padlock serve ---------------------------------------------------------

@suite.case("serve_h2_small_body_exact_and_v_names_h2")
def _():
    srv = serve()
    r = get(srv.url("/small.txt"), "-v")
    expect_ok(r, "get -v")
    expect_equal(r.out_bytes, SMALL, "body")
    for part in (H2_LINE, "SETTINGS →", "← SETTINGS", "HEADERS →",
                 "stream 1: GET /small.txt, END_STREAM", "← HEADERS",
                 "stream 1: :status 200", "← DATA", "END_STREAM",
                 "← HTTP response          HTTP/2 200", "content-length: 37",
                 "GOAWAY →", "NO_ERROR"):
        expect_in(part, r.err, "-v trace")
    expect("HTTP request →" not in r.err, "no HTTP/1.1 request line in -v")


@suite.case("serve_h2_big_body_sha256_same_as_http1_and_curl")
def _():
    srv = serve()
    out2, out1 = tmp_path("big-h2"), tmp_path("big-h1")
    r = get(srv.url("/big.bin"), "-o", out2, "-v")
    expect_ok(r, "h2 -o")
    expect_in(H2_LINE, r.err, "-v")
    expect_in("bytes in", r.err, "the last DATA line sums the body")
    expect_equal(r.out_bytes, b"", "nothing on stdout with -o")
    with open(out2, "rb") as f:
        expect_equal(sha(f.read()), state["big_sha"], "SHA-256 over h2")
    r = get(srv.url("/big.bin"), "-o", out1, "--http1.1", "-v")
    expect_ok(r, "--http1.1 -o")
    expect_in("HTTP/1.1 (the server chose http/1.1 in ALPN)", r.err, "-v")
    with open(out1, "rb") as f:
        expect_equal(sha(f.read()), state["big_sha"], "SHA-256 over HTTP/1.1")
    out_curl = tmp_path("big-curl")
    c = run(["curl", "-sS", "--http2", "--cacert", pki().root, "-o",
             out_curl, "-w", "%{http_version}", srv.url("/big.bin")])
    expect_equal((c.rc, c.out), (0, "2"), "curl --http2: %s" % c.err)
    with open(out_curl, "rb") as f:
        expect_equal(sha(f.read()), state["big_sha"], "curl's SHA-256")


@suite.case("serve_h2_head_and_404_as_over_http1")
def _():
    srv = serve()
    r2 = get(srv.url("/big.bin"), "-I")
    expect_ok(r2, "-I over h2")
    expect(r2.out.startswith("HTTP/2 200\r\n"), "status line: %r" % r2.out[:40])
    expect_in("content-length: %d\r\n" % BIG, r2.out, "-I head")
    expect(r2.out.endswith("\r\n\r\n"), "-I ends with an empty line")
    r1 = get(srv.url("/big.bin"), "-I", "--http1.1")
    expect_ok(r1, "-I over HTTP/1.1")
    expect(r1.out.startswith("HTTP/1.1 200 OK\r\n"), "status line: %r"
           % r1.out[:40])
    expect_in("Content-Length: %d\r\n" % BIG, r1.out, "-I head")
    a = get(srv.url("/missing"))
    b = get(srv.url("/missing"), "--http1.1")
    expect_equal((a.rc, b.rc), (0, 0), "a 404 is still a response")
    expect_equal(a.out_bytes, b.out_bytes, "the 404 page in both protocols")
    expect(len(a.out_bytes) > 0, "the 404 page has a body")


@suite.case("serve_h2_follows_redirect_with_L")
def _():
    srv = serve()
    r = get(srv.url("/sub"), "-L", "-v")
    expect_ok(r, "-L")
    expect_equal(r.out_bytes, b"<p>sub</p>\n", "the page redirected to")
    expect_in("redirect →", r.err, "-v")
    expect_equal(r.err.count(H2_LINE), 2, "both hops over h2")
    r = get(srv.url("/sub"))
    expect_ok(r, "without -L")
    expect_equal(r.out_bytes, get(srv.url("/sub"), "--http1.1").out_bytes,
                 "the 301's body in both protocols")


@suite.case("serve_http2_off_gets_http1")
def _():
    srv = serve(http2=False)
    r = get(srv.url("/small.txt"), "-v")
    expect_ok(r, "get")
    expect_equal(r.out_bytes, SMALL, "body")
    expect_in("HTTP/1.1 (the server chose http/1.1 in ALPN)", r.err, "-v")
    expect_in("HTTP request →           GET /small.txt HTTP/1.1", r.err, "-v")
    expect("SETTINGS" not in r.err, "no h2 frame")
    out = tmp_path("big-off")
    r = get(srv.url("/big.bin"), "-o", out)
    expect_ok(r, "big")
    with open(out, "rb") as f:
        expect_equal(sha(f.read()), state["big_sha"], "SHA-256")


# ---- other servers -----------------------------------------------------------

def start_nghttpd(root):
    leaf = localhost_leaf()
    for _ in range(10):
        port = common.free_port()
        proc = Proc("nghttpd", ["nghttpd", "-a", "127.0.0.1", "-d", root,
                                str(port), leaf.key, leaf.chain])

        def listening():
            if not proc.alive():
                return "exited"
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return "up"
            except OSError:
                return None
        if wait_until(listening, "nghttpd to listen") == "up":
            return proc, port
        proc.stop()
    raise Failure("nghttpd did not start: %s" % proc.err())


@suite.case("nghttpd_h2_small_and_big_exact")
def _():
    proc, port = start_nghttpd(site())
    base = "https://localhost:%d" % port
    r = get(base + "/small.txt", "-v")
    expect_ok(r, "small from nghttpd")
    expect_equal(r.out_bytes, SMALL, "body")
    expect_in(H2_LINE, r.err, "-v")
    expect_in("server: nghttpd", r.err, "the answer is nghttpd's")
    out = tmp_path("big-nghttpd")
    r = get(base + "/big.bin", "-o", out)
    expect_ok(r, "big from nghttpd")
    with open(out, "rb") as f:
        expect_equal(sha(f.read()), state["big_sha"], "SHA-256")
    r = get(base + "/small.txt", "-I")
    expect(r.out.startswith("HTTP/2 200\r\n"), "-I: %r" % r.out[:40])
    expect_in("content-length: 37\r\n", r.out, "-I")
    r = get(base + "/missing")
    expect_ok(r, "404 from nghttpd")
    expect_in(b"404", r.out_bytes, "nghttpd's 404 page")
    proc.stop()


@suite.case("server_without_alpn_gets_http1")
def _():
    leaf = pki().leaf("ecdsa_p256")
    srv = start_openssl_server(["-tls1_3", "-www", "-cert", leaf.cert,
                                "-cert_chain", leaf.chain, "-key", leaf.key])
    r = get(srv.url("/"), "-v")
    expect_ok(r, "openssl s_server -www")
    expect_in("HTTP/1.1 (the server chose no protocol in ALPN)", r.err, "-v")
    expect_in(b"TLSv1.3", r.out_bytes, "s_server's session page")
    srv.proc.stop()


# ---- a hostile HTTP/2 server ---------------------------------------------------

def against_hostile(frames_of, ending="linger", *options):
    port, t = hostile(frames_of, ending)
    r = get("https://localhost:%d/x" % port, "--timeout", "5", *options)
    t.join()
    return r, port


OK_HEAD = [(":status", "200"), ("content-type", "text/plain")]


@suite.case("hostile_interim_padding_and_trailers_are_a_good_response")
def _():
    def frames(enc):
        return (headers(enc, [(":status", "103"), ("link", "</a>")]) +
                headers(enc, OK_HEAD + [("content-length", "11")]) +
                data(b"hello", False, pad=7) + data(b" world", False) +
                headers(enc, [("x-trailer", "1")], end_stream=True))
    r, _ = against_hostile(frames, "linger", "-v")
    expect_ok(r, "interim, padding, trailers")
    expect_equal(r.out_bytes, b"hello world", "body")
    expect_in(":status 103 (interim)", r.err, "-v")
    expect_in("trailer fields (dropped)", r.err, "-v")


@suite.case("hostile_head_response_with_a_body")
def _():
    def frames(enc):
        return headers(enc, OK_HEAD + [("content-length", "5")]) + data(b"hello")
    r, port = against_hostile(frames, "linger", "-I")
    expect_one_sentence(r, port, "its response to HEAD carries a body", "HEAD")
    expect_equal(r.out, "HTTP/2 200\r\ncontent-type: text/plain\r\n"
                 "content-length: 5\r\n\r\n", "the head was written")


CASES = [
    # name, frames, ending, the part of the sentence
    ("rst_stream_before_answer",
     lambda enc: hf.RstStreamFrame(1, error_code=2).serialize(), "linger",
     "the server reset the HTTP/2 stream before answering "
     "(RST_STREAM INTERNAL_ERROR)"),
    ("rst_stream_in_the_body",
     lambda enc: headers(enc, OK_HEAD) + data(b"part", False) +
     hf.RstStreamFrame(1, error_code=8).serialize(), "linger",
     "reset the HTTP/2 stream in the middle of the body (RST_STREAM CANCEL)"),
    ("goaway_before_answer",
     lambda enc: hf.GoAwayFrame(0, last_stream_id=0, error_code=0xb,
                                additional_data=b"calm down").serialize(),
     "linger", "the server ended the HTTP/2 connection (GOAWAY "
     "ENHANCE_YOUR_CALM: 'calm down') before the response was complete"),
    ("body_shorter_than_content_length",
     lambda enc: headers(enc, OK_HEAD + [("content-length", "10")]) +
     data(b"short"), "linger", "the DATA frames do not add up to the "
     "content-length of 10 bytes"),
    ("body_longer_than_content_length",
     lambda enc: headers(enc, OK_HEAD + [("content-length", "2")]) +
     data(b"too long"), "linger", "the DATA frames do not add up to the "
     "content-length of 2 bytes"),
    ("no_status",
     lambda enc: headers(enc, [("content-type", "text/plain")], True),
     "linger", "malformed HTTP/2"),
    ("status_not_three_digits",
     lambda enc: headers(enc, [(":status", "2000")], True), "linger",
     "malformed HTTP/2"),
    ("too_many_interim_responses",
     lambda enc: b"".join(headers(enc, [(":status", "103")])
                          for _ in range(20)), "linger",
     "more than 16 interim (1xx) responses"),
    ("too_many_header_fields",
     lambda enc: headers(enc, OK_HEAD + [("x-%d" % i, "v")
                                         for i in range(200)], True),
     "linger", "more than 128 header fields"),
    ("header_fields_too_large",
     lambda enc: continued(enc.encode(OK_HEAD + [("x-%d" % i, "v" * 4000)
                                                 for i in range(8)])),
     "linger", "the header fields exceed 16384 bytes"),
    ("header_frame_larger_than_max_frame_size",
     lambda enc: headers(enc, OK_HEAD + [("x-%d" % i, "v" * 4000)
                                         for i in range(8)], True),
     "linger", "malformed HTTP/2 from the server: "),
    ("close_notify_in_the_body",
     lambda enc: headers(enc, OK_HEAD) + data(b"12345", False), "notify",
     "the server closed the connection after 5 body bytes of the HTTP/2 "
     "response"),
    ("tcp_close_before_the_head", lambda enc: b"", "tcp",
     "the server closed the connection before the head of the HTTP/2 "
     "response"),
    ("not_http2_at_all",
     raw(lambda enc: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
     "linger", "the server chose h2 in ALPN but answers in HTTP/1.x ('HTTP/1.1 200 "
     "OK...'), not with HTTP/2 frames"),
    ("garbage_instead_of_frames",
     raw(lambda enc: b"\x00\x00\x04\x99" + b"\xff" * 60), "linger",
     "malformed HTTP/2 from the server"),
    ("push_promise_although_push_is_off",
     lambda enc: hf.PushPromiseFrame(1, promised_stream_id=2, data=enc.encode(
         [(":method", "GET"), (":scheme", "https"), (":path", "/p"),
          (":authority", "localhost")]), flags=["END_HEADERS"]).serialize() +
     headers(enc, OK_HEAD) + data(b"x"), "linger",
     "malformed HTTP/2 from the server"),
]


def hostile_case(frames, ending, part, name):
    r, port = against_hostile(frames, ending)
    expect_one_sentence(r, port, part, name)
    expect("Traceback" not in r.err, "no crash")


for name, frames, ending, part in CASES:
    suite.add("hostile_" + name, hostile_case, frames, ending, part, name)


@suite.case("shared_servers_exit_0_on_sigterm")
def _():
    serve_common.stop_shared()


if __name__ == "__main__":
    suite.run()
