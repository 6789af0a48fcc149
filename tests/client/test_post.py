"""pl_client_fetch with a request body (tests/tools/post_tool): a POST over
HTTP/2 (a DATA provider) and over HTTP/1.1 (Content-Length) to servers
that echo what arrived, the body's length and SHA-256 checked.

The servers: h2o (a real HTTP/2 server padlock did not write) in front of
gunicorn running tests/server/proxy_app.py, padlock serve --proxy in
front of the same app (HTTP/1.1: it offers no h2 on a proxied site), and Python's http.server behind Python's ssl.
Bodies: empty, small, and one of 3 MiB + 7 bytes (larger than any flow
control window, so the client waits for WINDOW_UPDATE frames)."""

import atexit
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))

from serve_common import (Failure, Proc, Serve, Skip, Suite,  # noqa: E402
                          common, expect_equal, expect_in, localhost_leaf,
                          run, tmp_path, wait_until)

suite = Suite("pl_client_fetch: request bodies over h2 and HTTP/1.1")
GUNICORN = "/usr/bin/gunicorn"
H2O = "/usr/bin/h2o"
APP_DIR = os.path.join(os.path.dirname(HERE), "server")
BIG = 3 * 1024 * 1024 + 7
state = {}


def post_tool():
    build = os.environ.get("PADLOCK_BUILD_DIR")
    if not build:
        raise Failure("PADLOCK_BUILD_DIR is not set (ctest sets it)")
    return os.path.join(build, "post_tool")


def body_file(name, size):
    path = tmp_path(name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def post(url, alpn, path, method="POST", ctype="application/octet-stream"):
    r = run([post_tool(), url, common.pki().root, alpn, method, ctype, path])
    sanitizer = common.sanitizer_report(r.err)
    if sanitizer:
        raise Failure("post_tool: sanitizer report: %s" % sanitizer)
    return r


def expect_echo(r, path, protocol, method="POST"):
    """The response is the echo of the body in path, sent in protocol."""
    expect_equal(r.rc, 0, "post_tool's exit (%s)" % r.err)
    expect_in("protocol=%s status=200" % protocol, r.err, "the protocol")
    echoed = json.loads(r.out)
    with open(path, "rb") as f:
        data = f.read()
    expect_equal((echoed["method"], echoed["length"], echoed["sha256"]),
                 (method, len(data), hashlib.sha256(data).hexdigest()),
                 "what the server received")
    return echoed


class Gunicorn:
    def __init__(self):
        if not os.path.exists(GUNICORN):
            raise Skip("gunicorn is not installed (scripts/deps.sh --tests)")
        self.port = common.free_port()
        self.proc = Proc("gunicorn", [
            GUNICORN, "--bind", "127.0.0.1:%d" % self.port, "--worker-class",
            "gthread", "--threads", "4", "--workers", "1", "--chdir", APP_DIR,
            "proxy_app:app"])
        wait_until(lambda: self._up(), "gunicorn to listen")

    def _up(self):
        if not self.proc.alive():
            raise Failure("gunicorn exited: %s" % self.proc.err()[-2000:])
        return run(["curl", "-s", "-o", "/dev/null",
                    "http://127.0.0.1:%d/echo" % self.port]).rc == 0


def start_h2o(upstream):
    if not os.path.exists(H2O):
        raise Skip("h2o is not installed (scripts/deps.sh --tests)")
    leaf = localhost_leaf()
    port = common.free_port()
    conf = tmp_path("h2o.conf")
    with open(conf, "w") as f:
        f.write("listen:\n  host: 127.0.0.1\n  port: %d\n  ssl:\n"
                "    certificate-file: %s\n    key-file: %s\n"
                "%s"
                "hosts:\n  default:\n    paths:\n      /:\n"
                "        proxy.reverse.url: http://127.0.0.1:%d/\n"
                % (port, leaf.chain, leaf.key,
                   # as root h2o would become nobody, who cannot read the key
                   "user: root\n" if os.geteuid() == 0 else "",
                   upstream.port))
    proc = Proc("h2o", [H2O, "-c", conf])
    wait_until(lambda: run(["curl", "-s", "-o", "/dev/null", "--cacert",
                            common.pki().root,
                            "https://localhost:%d/echo" % port]).rc == 0
               or not proc.alive(), "h2o to listen")
    if not proc.alive():
        raise Failure("h2o exited: %s" % proc.err()[-2000:])
    return proc, "https://localhost:%d/echo" % port


def gunicorn():
    """One gunicorn kept across cases (off the case's stop list), stopped
    by PID when the run ends."""
    if "g" not in state:
        state["g"] = Gunicorn()
        if state["g"].proc in common._live:
            common._live.remove(state["g"].proc)
        atexit.register(state["g"].proc.stop)
    return state["g"]


@suite.case("h2o_post_over_h2_and_http1_small_empty_big")
def _():
    proc, url = start_h2o(gunicorn())
    small = body_file("small.bin", 1000)
    empty = body_file("empty.bin", 0)
    big = body_file("big.bin", BIG)
    for path in (small, empty, big):
        expect_echo(post(url, "h2", path), path, "h2")
        expect_echo(post(url, "http/1.1", path), path, "http/1.1")
    proc.stop()


@suite.case("h2o_put_with_a_content_type_arrives_as_sent")
def _():
    proc, url = start_h2o(gunicorn())
    path = body_file("json.bin", 300)
    r = post(url, "h2", path, method="PUT", ctype="application/jose+json")
    echoed = expect_echo(r, path, "h2", method="PUT")
    types = [v for n, v in echoed["headers"] if n == "content-type"]
    expect_equal(types, ["application/jose+json"], "the content type")
    proc.stop()


@suite.case("padlock_serve_proxy_post_over_h2_and_http1")
def _():
    # a proxied site offers h2 and http/1.1: the body reaches the
    # upstream whole either way
    g = gunicorn()
    srv = Serve(["--proxy", "http://127.0.0.1:%d" % g.port, "--max-body",
                 str(BIG)] + localhost_leaf().args(), workers=1)
    url = "https://localhost:%d/echo" % srv.https_port
    big = body_file("big2.bin", BIG)
    expect_echo(post(url, "h2,http/1.1", big), big, "h2")
    expect_echo(post(url, "http/1.1", big), big, "http/1.1")
    srv.stop()


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        out = json.dumps({"method": "POST", "length": len(data),
                          "sha256": hashlib.sha256(data).hexdigest(),
                          "type": self.headers.get("Content-Type")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def python_server():
    leaf = localhost_leaf()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(leaf.chain, leaf.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, "https://localhost:%d/" % httpd.server_address[1]


@suite.case("python_http_server_post_http1")
def _():
    httpd, url = python_server()
    try:
        path = body_file("py.bin", 200000)
        echoed = expect_echo(post(url, "h2,http/1.1", path), path,
                             "http/1.1")
        expect_equal(echoed["type"], "application/octet-stream",
                     "the content type")
    finally:
        httpd.shutdown()
        httpd.server_close()


@suite.case("a_bad_method_and_a_head_with_a_body_are_refused")
def _():
    httpd, url = python_server()
    try:
        path = body_file("x.bin", 10)
        r = post(url, "http/1.1", path, method="post")
        expect_equal(r.rc, 1, "exit for a lower-case method")
        expect_in("the method must be upper-case letters", r.err, "why")
        r = post(url, "http/1.1", path, method="HEAD")
        expect_equal(r.rc, 1, "exit for HEAD with a body")
        expect_in("a HEAD request carries no body", r.err, "why")
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    suite.run()
