"""padlock serve: how requests are read, over real TLS connections.

Malformed and oversized requests get 400, 413, 414, 431 or 505 and the
connection is closed after that one answer; a connection carries several
requests (keep-alive, one TLS handshake), pipelined requests are answered
in order; request smuggling attempts (Content-Length with
Transfer-Encoding, two Content-Lengths, chunked not last, unknown codings)
get 400 or 501 and nothing after; the access log has one line per request,
combined or JSON.
"""

import http.client
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Suite, client_context,  # noqa: E402
                          established_to, exchange, expect, expect_equal,
                          expect_in, get, localhost_leaf, one_response,
                          parse_responses, read_all,
                          read_responses, stop_shared, tls_connect, tmp_path,
                          wait_until, workdir, write_file)
from common import pki, run  # noqa: E402

suite = Suite("padlock serve: requests, limits, keep-alive, smuggling")
state = {}

OLD = 1700000000
SECOND = b"GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"


def site():
    if "root" not in state:
        root = os.path.join(workdir(), "req-site")
        for name in ("a", "b", "c"):
            write_file(os.path.join(root, name + ".txt"), "file %s\n" % name, OLD)
        state["root"] = root
    return state["root"]


def server():
    """One server with small limits, so that each is easy to cross."""
    if "srv" not in state or not state["srv"].proc.alive():
        state["log"] = tmp_path("access.log")
        state["srv"] = Serve(
            ["--root", site(), "--max-body", "1000", "--max-request-line", "1024",
             "--max-header-bytes", "4096", "--max-header-count", "20",
             "--access-log", state["log"]] + localhost_leaf().args(),
            shared=True)
    return state["srv"]


def expect_one_then_close(raw, status, what, method="GET"):
    """raw (with a well-formed request after it) gets exactly one answer,
    status, then the server closes: nothing answers the second request."""
    responses, rest, how = exchange(server().https_port, raw + SECOND)
    expect_equal([r.status for r in responses], [status],
                 "statuses answering %s" % what)
    expect_equal(rest, b"", "bytes after the answer to %s" % what)
    expect_equal(how, "eof", "how the connection ended after %s" % what)
    resp = responses[0]
    expect_equal(resp.header("Connection"), "close", "Connection of the %d" % status)
    expect_equal(resp.header("Content-Type"), "text/plain; charset=utf-8",
                 "Content-Type of the %d" % status)
    return resp


def head(lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---- 400 ----------------------------------------------------------------------

@suite.case("bare_lf_is_400_then_close")
def _():
    expect_one_then_close(b"GET /a.txt HTTP/1.1\nHost: localhost\n\n", 400,
                          "bare LF line ends")
    expect_one_then_close(b"GET /a.txt HTTP/1.1\r\nHost: localhost\nX: y\r\n\r\n",
                          400, "one bare LF among CRLFs")


@suite.case("bare_cr_is_400_then_close")
def _():
    expect_one_then_close(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX: a\rb\r\n\r\n",
                          400, "a bare CR in a field value")


@suite.case("obs_fold_is_400_then_close")
def _():
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                "X-Long: first", " continued"]), 400, "obs-fold")
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                "X-Long: first", "\tcontinued"]), 400,
                          "obs-fold with a tab")


@suite.case("two_host_fields_are_400_then_close")
def _():
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                "Host: evil.test"]), 400, "two Host fields")
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                "Host: localhost"]), 400, "two equal Host fields")
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "X: 1"]), 400,
                          "HTTP/1.1 without Host")


@suite.case("bad_request_lines_are_400_then_close")
def _():
    for line in ("GET  /a.txt HTTP/1.1", "GET /a.txt  HTTP/1.1",
                 "GET /a.txt", "GET /a.txt HTTP/1.1 extra", " GET /a.txt HTTP/1.1",
                 "G(T /a.txt HTTP/1.1", "GET /a b.txt HTTP/1.1",
                 "GET /a.txt http/1.1", "GET /a.txt HTTP/1"):
        expect_one_then_close(head([line, "Host: localhost"]), 400,
                              "request line %r" % line)


@suite.case("field_syntax_errors_are_400_then_close")
def _():
    for field in ("Bad Name: x", "X-Space : x", "NoColon", ": empty-name"):
        expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                    field]), 400, "field line %r" % field)


# ---- limits -----------------------------------------------------------------

@suite.case("content_length_over_max_body_is_413_then_close")
def _():
    expect_one_then_close(head(["POST /a.txt HTTP/1.1", "Host: localhost",
                                "Content-Length: 1001"]) + b"x" * 1001, 413,
                          "Content-Length 1001 over --max-body 1000", "POST")
    resp = one_response(server().https_port,
                        head(["POST /a.txt HTTP/1.1", "Host: localhost",
                              "Content-Length: 1000"]) + b"x" * 1000,
                        method="POST", closes=False)
    expect_equal(resp.status, 405, "a 1000-byte body (the limit) gets to the method check")
    # A chunked body over the limit: 413 once a chunk size says so, before
    # its bytes are read.
    expect_one_then_close(head(["POST /a.txt HTTP/1.1", "Host: localhost",
                                "Transfer-Encoding: chunked"]) + b"3e9\r\n",
                          413, "a chunk of 1001 bytes over --max-body 1000",
                          "POST")


@suite.case("request_line_over_limit_is_414_then_close")
def _():
    long_path = "/" + "a" * 1100
    expect_one_then_close(head(["GET %s HTTP/1.1" % long_path, "Host: localhost"]),
                          414, "a 1100-byte target over --max-request-line 1024")
    # Exactly at the limit: 1024 bytes of request line are fine (404).
    path = "/" + "b" * (1024 - len("GET  HTTP/1.1") - 1)
    resp = one_response(server().https_port,
                        head(["GET %s HTTP/1.1" % path, "Host: localhost",
                              "Connection: close"]), closes=True)
    expect_equal(resp.status, 404, "a request line of exactly 1024 bytes")


@suite.case("huge_header_is_431_then_close")
def _():
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost",
                                "X-Big: " + "v" * 5000]), 431,
                          "a 5000-byte field over --max-header-bytes 4096")
    many = ["X-F%d: %d" % (i, i) for i in range(40)]
    expect_one_then_close(head(["GET /a.txt HTTP/1.1", "Host: localhost"] + many),
                          431, "41 fields over --max-header-count 20")
    ok = ["X-F%d: %d" % (i, i) for i in range(18)]
    resp = one_response(server().https_port,
                        head(["GET /a.txt HTTP/1.1", "Host: localhost",
                              "Connection: close"] + ok), closes=True)
    expect_equal(resp.status, 200, "20 fields (the limit)")


@suite.case("http_2_0_in_request_line_is_505_then_close")
def _():
    for version in ("HTTP/2.0", "HTTP/3.0", "HTTP/0.9"):
        resp = expect_one_then_close(head(["GET /a.txt %s" % version,
                                           "Host: localhost"]), 505,
                                     "version %s" % version)
        expect_equal(resp.status_line, "HTTP/1.1 505 HTTP Version Not Supported",
                     "status line")


# ---- keep-alive and pipelining ------------------------------------------------

@suite.case("keep_alive_two_requests_one_connection")
def _():
    srv = server()
    conn = http.client.HTTPSConnection("localhost", srv.https_port, timeout=20,
                                       context=client_context())
    try:
        bodies = []
        for path in ("/a.txt", "/b.txt"):
            conn.request("GET", path)
            resp = conn.getresponse()
            bodies.append((resp.status, resp.read(), resp.getheader("Connection")))
            if path == "/a.txt":
                first_sock = conn.sock
                first_port = conn.sock.getsockname()[1]
        expect_equal(bodies, [(200, b"file a\n", None), (200, b"file b\n", None)],
                     "two responses on one connection")
        expect(conn.sock is first_sock and conn.sock.getsockname()[1] == first_port,
               "http.client opened a second connection")
        # The server's view: one established connection on its port, ours.
        wait_until(lambda: established_to(srv.https_port) == 1,
                   "one established connection on the server port", timeout=5)
    finally:
        conn.close()


@suite.case("keep_alive_http10_with_keep_alive_header")
def _():
    sock = tls_connect(server().https_port)
    with sock:
        req = b"GET /a.txt HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
        sock.sendall(req)
        got, rest = read_responses(sock, 1)
        expect_equal(got[0].header("Connection"), "keep-alive", "Connection")
        sock.sendall(b"GET /b.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data, how = read_all(sock)
    responses, rest = parse_responses(data)
    expect_equal([(r.status, r.body) for r in responses], [(200, b"file b\n")],
                 "the second HTTP/1.0 request on the connection")
    expect_equal(how, "eof", "an HTTP/1.0 request without keep-alive closes")


@suite.case("http10_client_offering_alpn_http10_is_answered_as_http10")
def _():
    # curl --http1.0 offers ALPN "http/1.0" alone: the handshake succeeds
    # (not no_application_protocol) and the request is answered as an
    # HTTP/1.0 one: its status line says HTTP/1.1 (RFC 9110 2.5: the
    # highest version the server conforms to with the request's major
    # version, as nginx and Apache answer), no chunked framing, and the
    # connection closes after it
    port = server().https_port
    r = run(["curl", "-sS", "-i", "--http1.0", "--cacert", pki().root,
             "--max-time", "20", "--resolve", "localhost:%d:127.0.0.1" % port,
             "https://localhost:%d/a.txt" % port])
    expect_equal(r.rc, 0, "curl --http1.0 (%s)" % r.err.strip())
    head, _, body = r.out_bytes.partition(b"\r\n\r\n")
    expect(head.startswith(b"HTTP/1.1 200 OK\r\n"), "the status line: %r"
           % head[:40])
    expect(b"\r\nContent-Length: 7" in head and b"chunked" not in head and
           b"\r\nConnection: close" in head, "the framing for 1.0: %r" % head)
    expect_equal(body, b"file a\n", "the body")
    ctx = client_context()
    ctx.set_alpn_protocols(["http/1.0"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    with ctx.wrap_socket(raw, server_hostname="localhost") as sock:
        expect_equal(sock.selected_alpn_protocol(), "http/1.0",
                     "the protocol chosen for an http/1.0 offer")
    ctx = client_context()
    ctx.set_alpn_protocols(["http/1.0", "http/1.1"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    with ctx.wrap_socket(raw, server_hostname="localhost") as sock:
        expect_equal(sock.selected_alpn_protocol(), "http/1.1",
                     "the server's preference: http/1.1 before http/1.0")


@suite.case("pipelined_three_requests_in_one_write_answered_in_order")
def _():
    sock = tls_connect(server().https_port)
    with sock:
        sock.sendall(b"GET /c.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got, rest = read_responses(sock, 3, ["GET", "HEAD", "GET"])
        expect_equal([(r.status, r.body) for r in got],
                     [(200, b"file c\n"), (200, b""), (200, b"file b\n")],
                     "three pipelined responses")
        expect_equal(got[1].header("Content-Length"), "7", "HEAD's Content-Length")
        expect_equal(rest, b"", "bytes after the third response")
        # Still open: a fourth request, then close.
        sock.sendall(b"GET /missing HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n")
        got, rest = read_responses(sock, 1)
        expect_equal(got[0].status, 404, "the fourth request")
        data, how = read_all(sock)
        expect_equal((rest + data, how), (b"", "eof"), "after Connection: close")


@suite.case("pipelined_many_requests_answered_in_order")
def _():
    paths = ["/a.txt", "/b.txt", "/c.txt", "/nope"] * 50
    raw = b"".join(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % p.encode()
                   for p in paths)
    sock = tls_connect(server().https_port)
    with sock:
        sock.sendall(raw)
        got, rest = read_responses(sock, len(paths))
    want = [(404, b"404 Not Found\n") if p == "/nope" else
            (200, b"file %s\n" % p[1:2].encode()) for p in paths]
    expect_equal([(r.status, r.body) for r in got], want,
                 "200 pipelined responses")


@suite.case("pipelined_bad_request_ends_the_pipeline")
def _():
    responses, rest, how = exchange(
        server().https_port,
        b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET /b.txt HTTP/1.1\r\nHost: localhost\r\nX: a\r\n b\r\n\r\n" + SECOND)
    expect_equal([r.status for r in responses], [200, 400],
                 "answers to a good request, an obs-fold one and a third")
    expect_equal((rest, how), (b"", "eof"), "after the 400")


# ---- smuggling ----------------------------------------------------------------

SMUGGLED = b"GET /c.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"

SMUGGLING = [
    ("CL + TE", ["Content-Length: 4", "Transfer-Encoding: chunked"],
     b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE + CL", ["Transfer-Encoding: chunked", "Content-Length: 4"],
     b"0\r\n\r\n" + SMUGGLED, 400),
    ("two different CL", ["Content-Length: 0", "Content-Length: %d" % len(SMUGGLED)],
     SMUGGLED, 400),
    ("two equal CL", ["Content-Length: 3", "Content-Length: 3"], b"abc", 400),
    ("CL list", ["Content-Length: 0, %d" % len(SMUGGLED)], SMUGGLED, 400),
    ("CL with sign", ["Content-Length: +%d" % len(SMUGGLED)], SMUGGLED, 400),
    ("TE chunked, identity", ["Transfer-Encoding: chunked, identity"],
     b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE identity, chunked", ["Transfer-Encoding: identity, chunked"],
     b"0\r\n\r\n" + SMUGGLED, 501),
    ("TE xchunked", ["Transfer-Encoding: xchunked"], b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE chunked twice", ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
     b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE with space before colon", ["Transfer-Encoding : chunked"],
     b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE gzip", ["Transfer-Encoding: gzip"], b"0\r\n\r\n" + SMUGGLED, 400),
    ("TE gzip, chunked", ["Transfer-Encoding: gzip, chunked"],
     b"0\r\n\r\n" + SMUGGLED, 501),
]


@suite.case("smuggling_attempts_are_refused_with_nothing_after")
def _():
    for what, fields, body, status in SMUGGLING:
        raw = head(["POST /a.txt HTTP/1.1", "Host: localhost"] + fields) + body
        responses, rest, how = exchange(server().https_port, raw, methods=["POST"])
        expect_equal([r.status for r in responses], [status],
                     "statuses answering %s" % what)
        expect_equal((rest, how), (b"", "eof"), "after the answer to %s" % what)


@suite.case("smuggling_te_in_http10_is_400")
def _():
    raw = head(["POST /a.txt HTTP/1.0", "Host: localhost",
                "Transfer-Encoding: chunked"]) + b"0\r\n\r\n" + SMUGGLED
    responses, rest, how = exchange(server().https_port, raw, methods=["POST"])
    expect_equal([r.status for r in responses], [400], "statuses")
    expect_equal((rest, how), (b"", "eof"), "after the 400")


@suite.case("request_body_is_read_and_never_taken_as_a_request")
def _():
    # A well-framed chunked body whose bytes look like a request: the body
    # is read to its end (and discarded), the bytes in it are never taken
    # as a request, and the connection goes on with the next real one.
    raw = head(["GET /a.txt HTTP/1.1", "Host: localhost",
                "Transfer-Encoding: chunked"]) + \
        b"%x\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n" % (len(SMUGGLED), SMUGGLED) + \
        head(["GET /b.txt HTTP/1.1", "Host: localhost", "Connection: close"])
    responses, rest, how = exchange(server().https_port, raw)
    expect_equal([(r.status, r.body) for r in responses],
                 [(200, b"file a\n"), (200, b"file b\n")], "responses")
    expect_equal(responses[0].header("Connection"), None, "Connection")
    expect_equal((rest, how), (b"", "eof"), "after the responses")


@suite.case("post_with_a_body_keeps_the_connection_for_the_next_request")
def _():
    for framing, body in ((["Content-Length: 5"], b"hello"),
                          (["Transfer-Encoding: chunked"],
                           b"2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n")):
        raw = head(["POST /a.txt HTTP/1.1", "Host: localhost"] + framing) + \
            body + head(["GET /a.txt HTTP/1.1", "Host: localhost",
                         "Connection: close"])
        responses, rest, how = exchange(server().https_port, raw,
                                        methods=["POST", "GET"])
        expect_equal([r.status for r in responses], [405, 200],
                     "statuses with %s" % framing[0])
        expect_equal((rest, how), (b"", "eof"), "after the responses")


@suite.case("expect_100_continue_gets_100_then_the_answer")
def _():
    sock = tls_connect(server().https_port)
    with sock:
        sock.sendall(head(["PUT /a.txt HTTP/1.1", "Host: localhost",
                           "Content-Length: 4", "Expect: 100-continue"]))
        got, rest = read_responses(sock, 1, ["PUT"])
        expect_equal(got[0].status, 100, "the first answer")
        expect_equal(rest, b"", "bytes after the 100")
        sock.sendall(b"body" + head(["GET /a.txt HTTP/1.1", "Host: localhost"]))
        got, rest = read_responses(sock, 2, ["PUT", "GET"])
        expect_equal([(r.status) for r in got], [405, 200],
                     "after the body, the answer and the next request's")
    # Over the limit: 413 at once, no 100, and the body is never read.
    expect_one_then_close(head(["PUT /a.txt HTTP/1.1", "Host: localhost",
                                "Content-Length: 5000",
                                "Expect: 100-continue"]), 413,
                          "Expect: 100-continue over --max-body", "PUT")


@suite.case("a_body_that_stops_early_is_400_then_close")
def _():
    sock = tls_connect(server().https_port)
    with sock:
        sock.sendall(head(["POST /a.txt HTTP/1.1", "Host: localhost",
                           "Content-Length: 100"]) + b"only some")
        # Our write side ends (ssl's own shutdown() would drop the TLS
        # state we still read the answer with).
        half = socket.socket(fileno=os.dup(sock.fileno()))
        half.shutdown(socket.SHUT_WR)
        half.close()
        got, rest = read_responses(sock, 1, ["POST"])
        expect_equal(got[0].status, 400, "status")
        expect_in(b"the request body ended early", got[0].body,
                  "the 400's body")
        more, how = read_all(sock)
        expect_equal(how, "eof", "after the 400")


# ---- access log -----------------------------------------------------------------

COMBINED = re.compile(
    r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+) '
    r'"(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')


def log_lines(path):
    with open(path) as f:
        return f.read().splitlines()


@suite.case("access_log_combined_one_line_per_request")
def _():
    srv = server()
    before = len(log_lines(state["log"]))
    sock = tls_connect(srv.https_port)
    with sock:
        sock.sendall(b"GET /a.txt?x=1 HTTP/1.1\r\nHost: localhost\r\n"
                     b"User-Agent: padlock-test/1.0\r\nReferer: https://r.test/\r\n\r\n"
                     b"HEAD /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"GET /nope HTTP/1.1\r\nHost: localhost\r\n"
                     b"User-Agent: say \"hi\"\r\nConnection: close\r\n\r\n")
        read_all(sock)
    lines = wait_until(lambda: (lambda ls: ls if len(ls) >= before + 3 else None)(
        log_lines(state["log"])), "three access log lines")[before:]
    expect_equal(len(lines), 3, "access log lines for three requests: %r" % lines)
    got = []
    for line in lines:
        m = COMBINED.match(line)
        expect(m is not None, "not a combined-format line: %r" % line)
        got.append((m.group("request"), m.group("status"), m.group("bytes"),
                    m.group("referer"), m.group("agent")))
    expect_equal(got, [
        ("GET /a.txt?x=1 HTTP/1.1", "200", "7", "https://r.test/", "padlock-test/1.0"),
        ("HEAD /b.txt HTTP/1.1", "200", "0", "-", "-"),
        ("GET /nope HTTP/1.1", "404", "14", "-", "say \\x22hi\\x22"),
    ], "the three access log lines")


@suite.case("access_log_json_lines_parse")
def _():
    log = tmp_path("access.json")
    srv = Serve(["--root", site(), "--access-log", log, "--log-format", "json"]
                + localhost_leaf().args())
    sock = tls_connect(srv.https_port)
    with sock:
        sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\"x\r\n\r\n"
                     b"DELETE /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"GET /c.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
        read_all(sock)
    responses, _, _ = exchange(srv.http_port, b"GET /r?q HTTP/1.1\r\nHost: localhost\r\n\r\n",
                               tls=False)
    expect_equal([r.status for r in responses], [301], "port 80's answer")
    lines = wait_until(lambda: (lambda ls: ls if len(ls) >= 4 else None)(log_lines(log)),
                       "four JSON access log lines")
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise Failure("not JSON: %r (%s)" % (line, e))
    expect_equal([(r["method"], r["target"], r["status"], r["protocol"], r["bytes"])
                  for r in records],
                 [("GET", "/a.txt", 200, "HTTP/1.1", 7),
                  ("DELETE", "/b.txt", 405, "HTTP/1.1", 23),
                  ("GET", "/c.txt", 200, "HTTP/1.0", 7),
                  ("GET", "/r?q", 301, "HTTP/1.1", records[3]["bytes"])],
                 "method, target, status, protocol, bytes")
    expect_equal(records[0]["user_agent"], 't"x', "user_agent")
    expect_equal([r.get("tls_version") for r in records],
                 ["TLS 1.3", "TLS 1.3", "TLS 1.3", None], "tls_version")
    expect_in("TLS_", records[0].get("tls_suite", ""), "tls_suite")
    expect_equal(records[0]["peer"], "127.0.0.1", "peer")
    srv.stop()


@suite.case("sigusr1_reopens_the_access_log")
def _():
    log = tmp_path("rotate.log")
    srv = Serve(["--root", site(), "--access-log", log] + localhost_leaf().args())
    get(srv.https_port, "/a.txt", closes=True)
    wait_until(lambda: len(log_lines(log)) == 1, "the first line")
    os.rename(log, log + ".1")
    srv.signal(signal.SIGUSR1)
    # Every worker reopens; requests go to whichever worker takes them.
    wait_until(lambda: os.path.exists(log), "the new log file")
    time.sleep(0.3)
    for _ in range(6):
        get(srv.https_port, "/b.txt", closes=True)
    wait_until(lambda: len(log_lines(log)) == 6, "six lines in the new file")
    expect_equal(len(log_lines(log + ".1")), 1, "lines in the rotated file")
    expect(all('"GET /b.txt HTTP/1.1" 200' in line for line in log_lines(log)),
           "the new file: %r" % log_lines(log))
    srv.stop()


@suite.case("shared_server_exits_0_on_sigterm")
def _():
    stop_shared()


if __name__ == "__main__":
    suite.run()
