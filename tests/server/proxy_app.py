"""The upstream application of tests/server/test_proxy.py, run by gunicorn.

GET/POST/... /echo...: a JSON answer with what arrived: method, path (with
query), the header fields in order, the body's length and sha256, the
TCP port the request came from (one per upstream connection, so a test
counts the connections padlock opened) and which upstream answered.
/size/N: N bytes of a known pattern, streamed in 64 KiB pieces without a
Content-Length (chunked to padlock). /sse: three Server-Sent Events, 0.3 s
apart, then the stream ends after a pause the test watches. /slow: sleeps
(the test's 504). /cut: promises 1000 bytes, sends 10 and drops the
connection. /chunked-echo: the request body streamed back as it is read.
"""

import hashlib
import json
import os
import socket
import time

NAME = os.environ.get("UPSTREAM_NAME", "up")


def pattern(n):
    block = bytes(range(256)) * 256  # 64 KiB
    sent = 0
    while sent < n:
        piece = block[:min(len(block), n - sent)]
        sent += len(piece)
        yield piece


def read_body(environ):
    h = hashlib.sha256()
    n = 0
    stream = environ["wsgi.input"]
    while True:
        piece = stream.read(65536)
        if not piece:
            break
        h.update(piece)
        n += len(piece)
    return n, h.hexdigest()


def headers(environ):
    out = []
    for k, v in environ.items():
        if k.startswith("HTTP_"):
            out.append([k[5:].replace("_", "-").lower(), v])
    for k in ("CONTENT_LENGTH", "CONTENT_TYPE"):
        if environ.get(k):
            out.append([k.replace("_", "-").lower(), environ[k]])
    return sorted(out)


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    query = environ.get("QUERY_STRING", "")
    if path.startswith("/size/"):
        n = int(path[6:])
        read_body(environ)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return pattern(n)
    if path == "/sse":
        start_response("200 OK", [("Content-Type", "text/event-stream"),
                                  ("Cache-Control", "no-cache")])

        def events():
            for i in range(3):
                yield ("data: event %d\n\n" % i).encode()
                time.sleep(0.3)
            time.sleep(float(query or "3"))
            yield b"data: last\n\n"
        return events()
    if path == "/slow":
        time.sleep(float(query or "30"))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]
    if path == "/cut":
        start_response("200 OK", [("Content-Length", "1000")])

        def cut():
            yield b"0123456789"
            sock = environ.get("gunicorn.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            raise SystemExit(0)
        return cut()
    if path == "/chunked-echo":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def echo():
            stream = environ["wsgi.input"]
            while True:
                piece = stream.read(65536)
                if not piece:
                    break
                yield piece
        return echo()
    n, digest = read_body(environ)
    body = json.dumps({
        "upstream": NAME,
        "method": environ["REQUEST_METHOD"],
        "path": path + ("?" + query if query else ""),
        "protocol": environ.get("SERVER_PROTOCOL"),
        "headers": headers(environ),
        "length": n,
        "sha256": digest,
        "port": environ.get("REMOTE_PORT"),
        "chunked": "chunked" in environ.get("HTTP_TRANSFER_ENCODING", ""),
    }).encode()
    status = "200 OK"
    if path.startswith("/status/"):
        status = path[8:] + " Whatever"
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))),
                            ("X-Upstream", NAME)])
    return [body]
