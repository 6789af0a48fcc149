"""padlock's server (padlock_testserver) <- Python's ssl module (OpenSSL).

The client verifies the chain against the test root and the host name
(create_default_context), allows TLS 1.3 only, and asserts on what its
SSLSocket reports: version(), cipher(), selected_alpn_protocol(), the peer
certificate; then on the HTTP response, on a few MiB echoed back intact in
--echo mode, on close_notify in both directions, and on concurrent clients.
"""

import hashlib
import os
import random
import select
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, SUITES, WAIT, Failure, Suite, expect,  # noqa: E402
                    expect_equal, pki, split_http, start_testserver,
                    testserver_bin)

suite = Suite("padlock_testserver <- Python ssl (%s)" % ssl.OPENSSL_VERSION)


def context(alpn=None):
    ctx = ssl.create_default_context(cafile=pki().root)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def connect(server, ctx=None, **wrap):
    ctx = ctx or context()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost", **wrap)
    except ssl.SSLError as e:
        raw.close()
        raise Failure("handshake failed: %s" % e)
    except OSError as e:
        raw.close()
        raise Failure("connection failed: %s" % e)


def read_until_close(sock):
    """Everything the server sends until its close_notify.

    suppress_ragged_eofs=False makes a TCP close without close_notify an
    SSLEOFError instead of a silent end of data.
    """
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ssl.SSLEOFError:
            raise Failure("the server closed the TCP connection without "
                          "close_notify after %d bytes" % len(data))
        if not chunk:
            return bytes(data)
        data += chunk


def get(sock):
    sock.sendall(REQUEST)
    status, headers, body = split_http(read_until_close(sock))
    expect_equal(status, "HTTP/1.1 200 OK", "status line")
    expect_equal(body, (BODY + "\n").encode(), "body")
    expect_equal(headers.get("content-length"), str(len(body)), "Content-Length")
    return headers


def server(*args):
    return start_testserver(pki().leaf("ecdsa_p256").server_args() + list(args))


@suite.case("handshake_version_cipher_alpn_certificate")
def handshake():
    s = server("--alpn", "http/1.1")
    with connect(s, context(["h2", "http/1.1"]), suppress_ragged_eofs=False) as sock:
        expect_equal(sock.version(), "TLSv1.3", "version()")
        name, protocol, bits = sock.cipher()
        expect(name in SUITES, "cipher() is %s" % name)
        expect_equal(protocol, "TLSv1.3", "cipher()[1]")
        expect_equal(sock.selected_alpn_protocol(), "http/1.1",
                     "selected_alpn_protocol()")
        subject = dict(x[0] for x in sock.getpeercert()["subject"])
        expect_equal(subject.get("commonName"), "padlock test ecdsa_p256",
                     "peer certificate CN")
        get(sock)


def case_suite(name):
    s = server("--suites", name)
    with connect(s, suppress_ragged_eofs=False) as sock:
        expect_equal(sock.cipher()[0], name, "cipher() with server --suites")
        get(sock)


for _name in SUITES:
    suite.add("server_suite_" + _name, case_suite, _name)


@suite.case("echo_4_MiB_random_record_sizes")
def echo_bulk():
    # Writes of random sizes (1 byte .. 40 KiB, so records of every size and
    # writes that span records), reading the echo back as it comes. One
    # thread drives the socket: an OpenSSL connection must not be used by
    # two threads at once (a reader thread beside a writer thread made the
    # reader see a spurious end of stream, now and then).
    s = server("--echo")
    total = 4 * 1024 * 1024
    data = os.urandom(total)
    rng = random.Random(8446)
    with connect(s) as sock:
        sock.setblocking(False)
        got = hashlib.sha256()
        sent = received = 0
        pending = b""
        deadline = time.monotonic() + WAIT
        error = None
        blocked = (ssl.SSLWantReadError, ssl.SSLWantWriteError,
                   BlockingIOError)
        while received < total and error is None:
            progressed = False
            if sent < total:
                if not pending:
                    n = min(rng.randint(1, 40 * 1024), total - sent)
                    pending = data[sent:sent + n]
                try:
                    n = sock.send(pending)
                    pending = pending[n:]
                    sent += n
                    progressed = True
                except blocked:
                    pass
                except (OSError, ssl.SSLError) as e:
                    error = "write failed after %d bytes: %s" % (sent, e)
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got.update(chunk)
                received += len(chunk)
                progressed = True
            except blocked:
                pass
            except (OSError, ssl.SSLError) as e:
                error = "read failed after %d bytes: %s" % (received, e)
            if not progressed:
                if time.monotonic() > deadline:
                    error = "stalled: %d bytes sent, %d echoed" % (sent,
                                                                   received)
                    break
                select.select([sock], [sock] if sent < total else [], [],
                              0.5)
        expect(error is None, error or "")
        expect_equal(received, total, "bytes echoed back")
        expect_equal(got.hexdigest(), hashlib.sha256(data).hexdigest(),
                     "SHA-256 of the echoed data")


@suite.case("client_close_notify_answered")
def client_close_notify():
    # unwrap() sends close_notify and waits for the server's (RFC 8446 6.1).
    s = server("--echo")
    sock = connect(s)
    try:
        sock.sendall(b"ping")
        expect_equal(sock.recv(4), b"ping", "echo")
        try:
            sock.unwrap().close()
        except (OSError, ssl.SSLError) as e:
            raise Failure("no close_notify in answer to ours: %s" % e)
    finally:
        sock.close()


@suite.case("concurrent_clients")
def concurrent():
    s = server()
    failures = []

    def one(i):
        try:
            with connect(s, suppress_ragged_eofs=False) as sock:
                get(sock)
        except Exception as e:
            failures.append("client %d: %s" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    expect(not failures, "; ".join(failures[:3]))


@suite.case("other_root_rejected_by_client")
def other_root():
    # The negative control: the same server, but the client trusts another
    # root; Python must refuse the chain, so the checks above mean something.
    s = server()
    ctx = ssl.create_default_context(cafile=pki().rogue_root()[0])
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT)
    try:
        ctx.wrap_socket(raw, server_hostname="localhost").close()
    except ssl.SSLCertVerificationError as e:
        expect("unable to get local issuer certificate" in str(e),
               "unexpected error: %s" % e)
    else:
        raise Failure("Python accepted a chain from a root it does not trust")
    finally:
        raw.close()


def setup():
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
