"""padlock serve --root DIR: files over HTTPS, with the answers RFC 9110 asks.

200 with the right Content-Type, HEAD, 304 (If-None-Match, If-Modified-Since),
206 for single ranges and 416 when unsatisfiable, 405 with Allow, index.html
for directories and 301 to add their slash, 404 for every way of climbing out
of the root or reaching a dotfile (sent raw: curl and Python would normalize
the path), symbolic links that leave the root refused unless
--follow-symlinks, and a 50 MiB file streamed intact while the worker's
memory stays small.
"""

import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Suite, expect, expect_equal,  # noqa: E402
                          get, is_sanitized, localhost_leaf, one_response,
                          pki, proc_rss_kib, run, stop_shared,
                          tls_connect, workdir, write_file)

suite = Suite("padlock serve: static files")
state = {}

OLD = 1700000000          # 2023-11-14T22:13:20Z: files older than any clock tick
DIGITS = b"0123456789abcdefghijklmnopqrstuvwxyz"   # 36 bytes
BIG = 50 * 1024 * 1024
NOT_FOUND = b"404 Not Found\n"


def make_site():
    if "root" in state:
        return state["root"]
    base = os.path.join(workdir(), "static")
    root = os.path.join(base, "root")
    files = {
        "index.html": b"<!doctype html><title>home</title>\n",
        "style.css": b"body{color:#111}\n",
        "app.js": b"console.log(1)\n",
        "data.json": b"{\"a\":1}\n",
        "logo.png": b"\x89PNG\r\n\x1a\nnot really\n",
        "notes.txt": b"some notes\n",
        "README": b"no extension\n",
        "PAGE.HTM": b"<p>upper case extension</p>\n",
        "digits.txt": DIGITS,
        "empty.txt": b"",
        "docs/index.html": b"<p>docs index</p>\n",
        "docs/guide.html": b"<p>guide</p>\n",
        "noindex/file.txt": b"inside a directory without index.html\n",
        ".env": b"SECRET=1\n",
        ".git/config": b"[core]\n",
        "sub/page.html": b"<p>sub page</p>\n",
    }
    for name, data in files.items():
        write_file(os.path.join(root, name), data, OLD)
    write_file(os.path.join(base, "outside.txt"), b"outside the root\n", OLD)
    os.symlink("notes.txt", os.path.join(root, "alias.txt"))
    os.symlink("../notes.txt", os.path.join(root, "sub", "up.txt"))
    os.symlink("../outside.txt", os.path.join(root, "escape.txt"))
    os.symlink(os.path.join(base, "outside.txt"), os.path.join(root, "abs.txt"))
    os.symlink(base, os.path.join(root, "parentdir"))
    big = os.path.join(base, "big", "big.bin")
    os.makedirs(os.path.dirname(big))
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with open(big, "wb") as f:
        for i in range(BIG >> 20):
            chunk = bytes([i]) + block[1:]
            f.write(chunk)
            digest.update(chunk)
    state["big"] = (os.path.dirname(big), digest.hexdigest())
    state["root"] = root
    return root


def server():
    if "srv" not in state or not state["srv"].proc.alive():
        state["srv"] = Serve(["--root", make_site()] + localhost_leaf().args(),
                             shared=True)
    return state["srv"]


def port():
    return server().https_port


@suite.case("get_200_with_content_type_length_and_body")
def _():
    want = {
        "/index.html": "text/html; charset=utf-8",
        "/style.css": "text/css; charset=utf-8",
        "/app.js": "text/javascript; charset=utf-8",
        "/data.json": "application/json; charset=utf-8",
        "/logo.png": "image/png",
        "/notes.txt": "text/plain; charset=utf-8",
        "/README": "application/octet-stream",
        "/PAGE.HTM": "text/html; charset=utf-8",
    }
    root = make_site()
    for path, ctype in want.items():
        resp = get(port(), path, closes=True)
        with open(root + path, "rb") as f:
            body = f.read()
        expect_equal(resp.status, 200, "status of %s" % path)
        expect_equal(resp.header("Content-Type"), ctype, "Content-Type of %s" % path)
        expect_equal(resp.header("Content-Length"), str(len(body)),
                     "Content-Length of %s" % path)
        expect_equal(resp.body, body, "body of %s" % path)
        expect_equal(resp.header("X-Content-Type-Options"), "nosniff",
                     "X-Content-Type-Options of %s" % path)
        expect_equal(resp.header("Accept-Ranges"), "bytes",
                     "Accept-Ranges of %s" % path)
        expect_equal(resp.header("Last-Modified"),
                     "Tue, 14 Nov 2023 22:13:20 GMT", "Last-Modified of %s" % path)
        expect_equal(resp.header("ETag"), '"%x-%x"' % (OLD * 10**9, len(body)),
                     "ETag of %s" % path)


@suite.case("head_has_the_get_headers_and_no_body")
def _():
    g = get(port(), "/digits.txt", closes=True)
    h = get(port(), "/digits.txt", method="HEAD", closes=True)
    expect_equal(h.status, 200, "status of HEAD")
    expect_equal(h.body, b"", "body of HEAD")
    drop = ("date",)
    expect_equal([f for f in h.headers if f[0].lower() not in drop],
                 [f for f in g.headers if f[0].lower() not in drop],
                 "HEAD's header fields (Date aside) against GET's")


@suite.case("if_none_match_is_304")
def _():
    etag = get(port(), "/notes.txt", closes=True).header("ETag")
    resp = get(port(), "/notes.txt", headers=[("If-None-Match", etag)], closes=True)
    expect_equal(resp.status, 304, "status with a matching If-None-Match")
    expect_equal(resp.body, b"", "body of the 304")
    expect_equal(resp.header("ETag"), etag, "ETag of the 304")
    expect_equal(resp.header("Content-Length"), None, "Content-Length of the 304")
    resp = get(port(), "/notes.txt", headers=[("If-None-Match", '"other", ' + etag)],
               closes=True)
    expect_equal(resp.status, 304, "status with the tag second in a list")
    resp = get(port(), "/notes.txt", headers=[("If-None-Match", '"other"')],
               closes=True)
    expect_equal(resp.status, 200, "status with a tag that does not match")


@suite.case("if_modified_since_is_304")
def _():
    lm = get(port(), "/notes.txt", closes=True).header("Last-Modified")
    resp = get(port(), "/notes.txt", headers=[("If-Modified-Since", lm)], closes=True)
    expect_equal(resp.status, 304, "status with If-Modified-Since = Last-Modified")
    expect_equal(resp.body, b"", "body of the 304")
    resp = get(port(), "/notes.txt",
               headers=[("If-Modified-Since", "Tue, 14 Nov 2023 22:13:19 GMT")],
               closes=True)
    expect_equal(resp.status, 200, "status when modified after the date")


@suite.case("ranges_are_206")
def _():
    n = len(DIGITS)
    cases = [("bytes=0-9", "bytes 0-9/%d" % n, DIGITS[:10]),
             ("bytes=-5", "bytes %d-%d/%d" % (n - 5, n - 1, n), DIGITS[-5:]),
             ("bytes=10-", "bytes 10-%d/%d" % (n - 1, n), DIGITS[10:]),
             ("bytes=30-100", "bytes 30-%d/%d" % (n - 1, n), DIGITS[30:])]
    for spec, content_range, body in cases:
        resp = get(port(), "/digits.txt", headers=[("Range", spec)], closes=True)
        expect_equal(resp.status, 206, "status for Range: %s" % spec)
        expect_equal(resp.header("Content-Range"), content_range,
                     "Content-Range for %s" % spec)
        expect_equal(resp.header("Content-Length"), str(len(body)),
                     "Content-Length for %s" % spec)
        expect_equal(resp.body, body, "body for %s" % spec)
    resp = get(port(), "/digits.txt", headers=[("Range", "bytes=0-1,5-6")],
               closes=True)
    expect_equal((resp.status, resp.body), (200, DIGITS),
                 "two ranges: the whole file")


@suite.case("unsatisfiable_range_is_416")
def _():
    n = len(DIGITS)
    for spec in ("bytes=%d-" % n, "bytes=1000-2000", "bytes=-0"):
        resp = get(port(), "/digits.txt", headers=[("Range", spec)], closes=True)
        expect_equal(resp.status, 416, "status for Range: %s" % spec)
        expect_equal(resp.header("Content-Range"), "bytes */%d" % n,
                     "Content-Range for %s" % spec)


@suite.case("curl_range_and_conditional")
def _():
    r = run(["curl", "-sS", "--cacert", pki().root, "--max-time", "20",
             "-r", "0-9", "-w", "\n%{http_code}", server().url("/digits.txt")])
    expect_equal(r.out, DIGITS[:10].decode() + "\n206", "curl -r 0-9")


@suite.case("other_methods_are_405_with_allow")
def _():
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        for path in ("/notes.txt", "/missing"):
            raw = ("%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
                   "\r\nabc" % (method, path)).encode()
            # The body is read and discarded: the connection stays open.
            resp = one_response(port(), raw, method=method, closes=False)
            expect_equal(resp.status, 405, "status of %s %s" % (method, path))
            expect_equal(resp.header("Allow"), "GET, HEAD",
                         "Allow of %s %s" % (method, path))
            expect_equal(resp.body, b"405 Method Not Allowed\n",
                         "body of %s %s" % (method, path))
            expect_equal(resp.header("Connection"), None,
                         "Connection of the 405 to a request with a body")


@suite.case("directory_serves_index_html")
def _():
    for path, want in (("/", b"<!doctype html><title>home</title>\n"),
                       ("/docs/", b"<p>docs index</p>\n")):
        resp = get(port(), path, closes=True)
        expect_equal((resp.status, resp.body), (200, want), "GET %s" % path)
        expect_equal(resp.header("Content-Type"), "text/html; charset=utf-8",
                     "Content-Type of %s" % path)
    resp = get(port(), "/noindex/", closes=True)
    expect_equal(resp.status, 404, "a directory without index.html")


@suite.case("directory_without_slash_is_301_to_slash")
def _():
    for path, location in (("/docs", "/docs/"), ("/docs?x=1&y=2", "/docs/?x=1&y=2"),
                           ("/noindex", "/noindex/")):
        resp = get(port(), path, closes=True)
        expect_equal(resp.status, 301, "status of GET %s" % path)
        expect_equal(resp.header("Location"), location, "Location for %s" % path)
        expect_equal(resp.header("Strict-Transport-Security"),
                     "max-age=63072000", "HSTS on the 301")
    resp = get(port(), "/notes.txt/", closes=True)
    expect_equal(resp.status, 404, "a file with a trailing slash")


TRAVERSALS = [
    "/../etc/passwd",
    "/../../../../../../etc/passwd",
    "/sub/../../etc/passwd",
    "/sub/../page.html",
    "/%2e%2e/etc/passwd",
    "/%2E%2e%2fetc%2fpasswd",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%2fetc%2fpasswd",
    "/..%2Fetc/passwd",
    "/sub%2fpage.html",
    "/sub%2Fpage.html",
    "/%2fetc%2fpasswd",
    "/\\..\\etc\\passwd",
    "/sub\\..\\..\\etc\\passwd",
    "/sub\\page.html",
    "/%5c..%5cetc%5cpasswd",
    "/sub%5cpage.html",
    "/notes.txt%00",
    "/notes.txt%00.html",
    "/%00",
    "/%252e%252e/etc/passwd",
    "/%252e%252e%252fetc%252fpasswd",
    "/notes%252etxt",
    "/.env",
    "/%2eenv",
    "/.git/config",
    "/%2Egit/config",
    "/.git/",
    "/./notes.txt",
    "/sub/./page.html",
    "//etc/passwd",
    "/sub//page.html",
    "/.",
    "/..",
    "/parentdir/outside.txt",
    "/escape.txt",
    "/abs.txt",
    "/notes.txt%0a",
    "/a%zz",
    "/a%2",
]


def raw_get(path):
    raw = b"GET " + path.encode("latin-1") + \
        b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    return one_response(port(), raw, closes=True)


@suite.case("traversal_and_dotfiles_are_404_raw_socket")
def _():
    wrong = []
    for path in TRAVERSALS:
        resp = raw_get(path)
        if (resp.status, resp.body) != (404, NOT_FOUND):
            wrong.append("%s: %d %r" % (path, resp.status, resp.body[:60]))
    expect(not wrong, "answers other than '404 Not Found':\n" + "\n".join(wrong))


@suite.case("traversal_curl_path_as_is")
def _():
    for path in ("/../../../etc/passwd", "/sub/../../outside.txt",
                 "/%2e%2e/%2e%2e/etc/passwd"):
        r = run(["curl", "-sS", "--path-as-is", "--cacert", pki().root,
                 "--max-time", "20", "-w", "\n%{http_code}", server().url(path)])
        expect_equal(r.out, "404 Not Found\n\n404", "curl --path-as-is %s" % path)


@suite.case("symlinks_inside_the_root_are_followed")
def _():
    for path in ("/alias.txt", "/sub/up.txt"):
        resp = get(port(), path, closes=True)
        expect_equal((resp.status, resp.body), (200, b"some notes\n"), "GET %s" % path)


@suite.case("symlinks_leaving_the_root_are_404")
def _():
    for path in ("/escape.txt", "/abs.txt", "/parentdir/outside.txt"):
        resp = get(port(), path, closes=True)
        expect_equal((resp.status, resp.body), (404, NOT_FOUND), "GET %s" % path)


@suite.case("symlinks_leaving_the_root_served_with_follow_symlinks")
def _():
    srv = Serve(["--root", make_site(), "--follow-symlinks"] + localhost_leaf().args())
    for path in ("/escape.txt", "/abs.txt", "/parentdir/outside.txt", "/alias.txt"):
        resp = get(srv.https_port, path, closes=True)
        want = b"some notes\n" if path == "/alias.txt" else b"outside the root\n"
        expect_equal((resp.status, resp.body), (200, want),
                     "GET %s with --follow-symlinks" % path)
    # The URL still cannot climb or reach dotfiles.
    for path in ("/../outside.txt", "/%2e%2e/outside.txt", "/.env"):
        raw = ("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
               % path).encode()
        resp = one_response(srv.https_port, raw, closes=True)
        expect_equal((resp.status, resp.body), (404, NOT_FOUND),
                     "GET %s with --follow-symlinks" % path)
    srv.stop()


@suite.case("big_file_streamed_intact_with_small_worker_rss")
def _():
    make_site()
    folder, want = state["big"]
    srv = Serve(["--root", folder] + localhost_leaf().args(), workers=1)
    workers = srv.workers()
    expect_equal(len(workers), 1, "workers of --workers 1")
    worker = workers[0]
    limit_kib = 64 * 1024
    samples = []
    sock = tls_connect(srv.https_port)
    digest = hashlib.sha256()
    with sock:
        sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                raise Failure("closed before the response head: %r" % head)
            head += chunk
        head, _, body = head.partition(b"\r\n\r\n")
        expect(head.startswith(b"HTTP/1.1 200 "), "status line: %r" % head[:40])
        expect(b"\r\nContent-Length: %d\r\n" % BIG in head,
               "Content-Length %d in %r" % (BIG, head))
        digest.update(body)
        got = len(body)
        next_sample = 0
        while got < BIG:
            if got >= next_sample:
                samples.append((got >> 20, proc_rss_kib(worker)))
                next_sample += 4 << 20
                # Pause: a server that reads ahead would fill its memory now.
                time.sleep(0.05)
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
        samples.append((got >> 20, proc_rss_kib(worker)))
    expect_equal(got, BIG, "bytes received")
    expect_equal(digest.hexdigest(), want, "SHA-256 of the body")
    peak = max(kib for _, kib in samples if kib is not None)
    expect(peak < limit_kib,
           "worker VmRSS reached %d KiB (limit %d KiB); samples (MiB sent, "
           "KiB): %s" % (peak, limit_kib, samples))
    print("# worker VmRSS during the 50 MiB transfer: %s KiB at most%s"
          % (peak, " (ASan build)" if is_sanitized() else ""))
    # Again, read as fast as possible: when the client keeps up, the socket
    # never fills and no new edge-triggered event comes; the worker must
    # come back to the transfer by itself.
    sock = tls_connect(srv.https_port)
    digest = hashlib.sha256()
    with sock:
        sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        digest.update(body)
        got = len(body)
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
    expect_equal((got, digest.hexdigest()), (BIG, want),
                 "bytes and SHA-256 of a download read at full speed")
    srv.stop()


@suite.case("shared_server_exits_0_on_sigterm")
def _():
    stop_shared()


if __name__ == "__main__":
    suite.run()
