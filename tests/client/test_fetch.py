"""padlock get against a TLS peer padlock did not write (Python's ssl, on
OpenSSL's libssl) that sends hand-made HTTP responses: every framing of
the body, truncation with and without close_notify, and malformed input.
Each case checks the exit code, stdout, and the one sentence on stderr."""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

PADLOCK = os.environ.get("PADLOCK", "padlock")

CASES = [
    # name, response bytes, how the server ends, exit, stdout, stderr part
    ("content_length", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
     "notify", 0, b"hello", ""),
    ("chunked_with_extension_and_trailer",
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5;ext=1\r\nhello\r\n7\r\n world\n\r\n0\r\nX-Trailer: 1\r\n\r\n",
     "notify", 0, b"hello world\n", ""),
    ("body_until_close_notify", b"HTTP/1.0 200 OK\r\n\r\nuntil close\n",
     "notify", 0, b"until close\n", ""),
    ("body_until_tcp_close_is_truncation",
     b"HTTP/1.0 200 OK\r\n\r\nuntil close\n", "tcp", 1, b"until close\n",
     "without close_notify after 12 body bytes"),
    ("short_content_length", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
     b"only this", "notify", 1, b"only this", "after 9 of 100 bytes"),
    ("status_404_is_still_a_response",
     b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope", "notify", 0,
     b"nope", ""),
    ("interim_responses_are_skipped",
     b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n"
     b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "notify", 0, b"ok",
     ""),
    ("no_body_for_204", b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
     "notify", 0, b"", ""),
    ("bare_lf_lines", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "notify",
     0, b"ok", ""),
    ("same_content_length_twice",
     b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", "notify", 0,
     b"abc", ""),
    ("conflicting_content_length",
     b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     "notify", 1, b"", "Content-Length is both 3 and 4"),
    ("not_http_1", b"HTTP/2 200 OK\r\n\r\n", "notify", 1, b"",
     "status line is not HTTP/1.x"),
    ("headers_too_large",
     b"HTTP/1.1 200 OK\r\nX: " + b"a" * 20000 + b"\r\n\r\n", "notify", 1, b"",
     "exceed 16384 bytes"),
    ("obsolete_line_folding", b"HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n",
     "notify", 1, b"", "obsolete header line folding"),
    ("bad_chunk_size",
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "notify",
     1, b"", "invalid chunk size"),
    ("chunk_longer_than_its_size",
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n"
     b"0\r\n\r\n", "notify", 1, b"abc", "chunk data longer than its size"),
    ("no_response_at_all", b"", "notify", 1, b"",
     "closed the connection without sending a response"),
    ("silent_server_times_out", b"", "silent", 1, b"",
     "timed out after 1 s waiting for the server to send data"),
]

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what)


def serve_one(listener, ctx, response, ending, done):
    conn = None
    try:
        raw, _ = listener.accept()
        raw.settimeout(10)
        conn = ctx.wrap_socket(raw, server_side=True)
        request = b""
        while b"\r\n\r\n" not in request:
            data = conn.recv(4096)
            if not data:
                break
            request += data
        conn.sendall(response)
        if ending == "silent":
            done.wait(10)
        elif ending == "notify":
            conn.unwrap()
    except (OSError, ssl.SSLError):
        pass
    finally:
        if conn is not None:
            conn.close()


def get_once(ctx, args, response=b"HTTP/1.1 200 OK\r\nContent-Length: 2"
             b"\r\n\r\nok", ending="notify"):
    """padlock get ARGS https://localhost:PORT/ against one Python ssl
    server on ctx that answers response and ends as ending says; (the
    finished process, PORT)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    port = listener.getsockname()[1]
    done = threading.Event()
    server = threading.Thread(target=serve_one,
                              args=(listener, ctx, response, ending, done))
    server.start()
    proc = subprocess.run([PADLOCK, "get"] + args +
                          ["https://localhost:%d/" % port],
                          capture_output=True, timeout=30)
    done.set()
    server.join()
    listener.close()
    return proc, port


def run_case(tmp, ctx, case):
    name, response, ending, want_exit, want_out, want_err = case
    proc, port = get_once(ctx, ["--timeout", "1", "--cacert",
                                os.path.join(tmp, "c.pem")], response, ending)
    err = proc.stderr.decode(errors="replace")
    ok = (proc.returncode == want_exit and proc.stdout == want_out and
          want_err in err and (want_exit == 0) == (err == ""))
    if want_exit != 0:
        ok = ok and err.count("\n") == 1 and err.startswith(
            "padlock: localhost:%d: " % port)
    check(ok, "%s: exit %d, stdout %r, stderr %r" %
          (name, proc.returncode, proc.stdout[:80], err))
    print("ok  " if ok else "FAIL", name)


def command_line_cases():
    usage = [
        (["get"], "no URL given"),
        (["get", "--bogus", "https://x/"], "unknown option"),
        (["get", "http://localhost/"], "http:// URLs are not supported"),
        (["get", "--tls-groups", "x25519,nope", "https://x/"],
         "unknown group 'nope'"),
        (["get", "--tls-suites", "TLS_RSA_WITH_RC4", "https://x/"],
         "unknown cipher suite"),
        (["get", "--connect-timeout", "soon", "https://x/"],
         "--connect-timeout"),
        # Every URL is checked before the first is fetched.
        (["get", "https://a/", "http://b/"], "http:// URLs are not supported"),
        (["frobnicate"], "'frobnicate' is not a padlock command"),
    ]
    for args, part in usage:
        proc = subprocess.run([PADLOCK] + args, capture_output=True, timeout=30)
        err = proc.stderr.decode()
        ok = proc.returncode == 2 and part in err and "usage:" in err
        check(ok, "%s: exit %d, %r" % (args, proc.returncode, err))
    for args in (["--version"], ["--help"], ["get", "--help"]):
        proc = subprocess.run([PADLOCK] + args, capture_output=True, timeout=30)
        check(proc.returncode == 0 and proc.stdout and not proc.stderr,
              "%s: exit %d" % (args, proc.returncode))
    # A port nobody listens on: bound, then closed.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.run([PADLOCK, "get", "https://127.0.0.1:%d/" % port],
                          capture_output=True, timeout=30)
    check(proc.returncode == 1 and b"connection refused (nothing listens on "
          b"127.0.0.1:%d)" % port in proc.stderr, "refused: %r" % proc.stderr)
    print("ok  " if failures == 0 else "FAIL", "command_line")


def issue14_cases(tmp):
    """What a new user tripped over in padlock get (issue 14)."""
    global failures
    before = failures
    # A certificate whose names are in the SAN only (an empty subject, as
    # Caddy's local leaves have), valid 30 days from now.
    cert, key = os.path.join(tmp, "e.pem"), os.path.join(tmp, "ek.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj", "/",
         "-addext", "subjectAltName=critical,DNS:localhost",
         "-keyout", key, "-out",
         cert, "-days", "30"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    proc, _ = get_once(ctx, ["-v", "--cacert", cert])
    rc, err = proc.returncode, proc.stderr.decode(errors="replace")
    check(rc == 0, "-v: exit %d: %r" % (rc, err))
    # Days left are not floored: 30 days a moment after issue, not 29.
    check("(30 days left)" in err, "days left: %r" % err)
    check("the server's is ''" not in err and "the server's is for localhost"
          in err, "empty subject in the trace: %r" % err)
    check("subject       (empty: the names below identify it)" in err,
          "empty subject in the chain: %r" % err)
    # The server's close_notify comes after the response it follows.
    response, notify = err.find("← HTTP response"), err.find(
        "peer sent close_notify")
    check(0 <= response < notify, "close_notify before the response: %r"
          % err)
    # A server without TLS 1.3: padlock get completes TLS 1.2 with it.
    ctx12 = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx12.load_cert_chain(cert, key)
    proc, _ = get_once(ctx12, ["--cacert", cert, "-v"])
    rc, err = proc.returncode, proc.stderr.decode(errors="replace")
    check(rc == 0 and "the server chose TLS 1.2" in err,
          "TLS 1.2 server: exit %d, %r" % (rc, err))
    print("ok  " if failures == before else "FAIL", "issue14")


class RedirectServer:
    """A Python ssl server answering each GET by its path: a chain of
    redirects (relative, absolute, scheme-relative), a loop, and one to
    plain http."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.paths = []
        self.plain = PlainHttp()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def answer(self, path):
        here = "localhost:%d" % self.port
        moves = {"/a": "/dir/b", "/dir/b": "c?x=1",
                 "/dir/c?x=1": "https://%s/d" % here, "/d": "//%s/end" % here,
                 "/loop": "/loop",
                 "/plain": "http://localhost:%d/end" % self.plain.port}
        if path in moves:
            body = b"moved"
            return (b"HTTP/1.1 301 Moved\r\nLocation: %s\r\nContent-Length: "
                    b"%d\r\n\r\n%s" % (moves[path].encode(), len(body), body))
        return b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"

    def _serve(self):
        while not self.stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                continue
            try:
                raw.settimeout(10)
                conn = self.ctx.wrap_socket(raw, server_side=True)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(4096)
                    if not data:
                        break
                    request += data
                path = request.split(b" ")[1].decode() if request else ""
                self.paths.append(path)
                conn.sendall(self.answer(path))
                conn.unwrap()
                conn.close()
            except (OSError, ssl.SSLError, IndexError):
                raw.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.listener.close()
        self.plain.close()


class PlainHttp:
    """Plain HTTP on 127.0.0.1 answering every GET with "plain body"."""

    def __init__(self):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"plain body")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def redirect_cases(tmp, ctx):
    """-L follows redirects (issue 14): at most 10, https:// only."""
    global failures
    before = failures
    srv = RedirectServer(ctx)
    base = "https://localhost:%d" % srv.port
    cacert = ["--cacert", os.path.join(tmp, "c.pem")]
    try:
        def get(*args):
            return subprocess.run([PADLOCK, "get"] + cacert + list(args),
                                  capture_output=True, timeout=60)
        p = get(base + "/a")
        check(p.returncode == 0 and p.stdout == b"moved",
              "without -L, the redirect itself: %r" % p.stdout)
        del srv.paths[:]
        p = get("-L", base + "/a")
        check(p.returncode == 0 and p.stdout == b"done" and not p.stderr,
              "-L: exit %d, %r, %r" % (p.returncode, p.stdout, p.stderr))
        check(srv.paths == ["/a", "/dir/b", "/dir/c?x=1", "/d", "/end"],
              "the hops: %r" % srv.paths)
        p = get("-L", base + "/loop")
        check(p.returncode == 1 and b"stopped after 10 redirects" in p.stderr
              and p.stdout == b"", "loop: %r" % p.stderr)
        p = get("--location", base + "/plain")
        check(p.returncode == 1 and b"follows only https:// redirects" in
              p.stderr and p.stdout == b"", "to http: %r" % p.stderr)
        p = get("-L", "--allow-http", base + "/plain")
        check(p.returncode == 0 and p.stdout == b"plain body" and
              b"WARNING: following a redirect to plain http://localhost:%d/end"
              % srv.plain.port in p.stderr,
              "--allow-http: exit %d, %r, %r" % (p.returncode, p.stdout,
                                                  p.stderr))
    finally:
        srv.close()
    print("ok  " if failures == before else "FAIL", "redirects")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", os.path.join(tmp, "k.pem"), "-out",
             os.path.join(tmp, "c.pem"), "-days", "30"],
            check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tmp, "c.pem"),
                            os.path.join(tmp, "k.pem"))
        for case in CASES:
            run_case(tmp, ctx, case)
        command_line_cases()
        issue14_cases(tmp)
        redirect_cases(tmp, ctx)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
