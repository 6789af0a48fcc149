"""padlock serve: slow clients cannot starve the others (slowloris).

300 TLS connections send their request headers one byte every 2 s, and 50
TCP connections never start their handshake, while a normal client keeps
making requests: every one of its requests (a new connection, TLS
handshake, GET) is answered, and several of them while all 300 slow
connections are open at once. The slow connections get 408 and are closed,
not before --header-timeout (3 s) after their first byte; the silent ones
not before --handshake-timeout (3 s). What is asserted is a count (requests
served while the slow ones are open), never a latency: timing does not
decide a test.
"""

import os
import select
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, WAIT, client_context, expect,  # noqa: E402
                          expect_equal, is_sanitized, localhost_leaf, nodelay,
                          parse_responses, tls_connect, workdir, write_file)

suite = Suite("padlock serve: slowloris")

SLOW = 300
SILENT = 50
# --header-timeout and --handshake-timeout: under ASan, opening 300 TLS
# connections on a loaded 2-core machine can take longer than 3 s
TIMEOUT = 6 if is_sanitized() else 3
DRIBBLE = 2.0        # seconds between two bytes of a slow client
REQUEST = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nX-Slow: yes\r\n\r\n"
BODY = b"<p>fast</p>\n"


class SlowClient:
    def __init__(self, sock):
        self.sock = sock
        self.sent = 0
        self.first_byte = None
        self.data = b""
        self.closed_at = None
        self.how = None


def open_slow(port, n, ctx, out, errors):
    for _ in range(n):
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            nodelay(raw)
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
            sock.settimeout(0)
            out.append(SlowClient(sock))
        except Exception as e:
            errors.append("%s: %s" % (type(e).__name__, e))


def send_byte(c, now):
    if c.closed_at is not None or c.sent >= len(REQUEST):
        return
    try:
        c.sock.send(REQUEST[c.sent:c.sent + 1])
        c.sent += 1
        if c.first_byte is None:
            c.first_byte = now
    except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
        pass
    except OSError as e:
        c.closed_at, c.how = now, "send failed: %s" % e


def read_some(c, now):
    try:
        while True:
            chunk = c.sock.recv(65536)
            if not chunk:
                c.closed_at, c.how = now, "eof"
                return
            c.data += chunk
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return
    except OSError as e:
        c.closed_at, c.how = now, "error: %s" % e


def timed_request(port):
    """Seconds for a new connection + handshake + GET + the whole answer
    (reported, never asserted)."""
    t0 = time.monotonic()
    sock = tls_connect(port)
    with sock:
        sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    elapsed = time.monotonic() - t0
    responses, _ = parse_responses(data)
    expect_equal([(r.status, r.body) for r in responses], [(200, BODY)],
                 "the normal client's answer")
    return elapsed


@suite.case("slowloris_300_slow_tls_clients_normal_client_still_served")
def _():
    root = os.path.join(workdir(), "slow-site")
    write_file(os.path.join(root, "index.html"), BODY, 1700000000)
    srv = Serve(["--root", root, "--header-timeout", TIMEOUT, "--handshake-timeout",
                 TIMEOUT, "--access-log", "off"] + localhost_leaf().args())
    ctx = client_context()

    silent = []
    for _ in range(SILENT):
        s = socket.create_connection(("127.0.0.1", srv.https_port), timeout=WAIT)
        silent.append([s, time.monotonic(), None])

    slow, errors = [], []
    openers = [threading.Thread(target=open_slow,
                                args=(srv.https_port, SLOW // 10, ctx, slow, errors))
               for _ in range(10)]
    for t in openers:
        t.start()
    timings = []
    stop = threading.Event()

    def normal_client():
        # Requests spread over the whole slow phase, one every 0.2 s.
        while not stop.is_set():
            try:
                start = time.monotonic()
                timings.append((start, timed_request(srv.https_port)))
            except Exception as e:
                errors.append("normal client: %s: %s" % (type(e).__name__, e))
            stop.wait(0.2)

    normal = threading.Thread(target=normal_client)
    normal.start()
    next_round = time.monotonic()
    deadline = time.monotonic() + TIMEOUT + DRIBBLE * 2 + (30 if is_sanitized() else 15)
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_round:
                for c in list(slow):
                    send_byte(c, now)
                next_round = now + DRIBBLE
            # New connections get their first byte at once.
            for c in list(slow):
                if c.first_byte is None:
                    send_byte(c, now)
            socks = [c.sock for c in slow if c.closed_at is None]
            if socks:
                readable, _, _ = select.select(socks, [], [], 0.05)
                now = time.monotonic()
                for c in slow:
                    if c.sock in readable or (c.closed_at is None and c.sock.pending()):
                        read_some(c, now)
            else:
                time.sleep(0.05)
            for entry in silent:
                if entry[2] is None:
                    r, _, _ = select.select([entry[0]], [], [], 0)
                    if r:
                        try:
                            got = entry[0].recv(100)
                        except OSError as e:
                            got = b""
                        entry[2] = (time.monotonic(), got)
            done = (not any(t.is_alive() for t in openers) and len(slow) == SLOW
                    and all(c.closed_at is not None for c in slow)
                    and all(e[2] is not None for e in silent))
            if done:
                break
    finally:
        stop.set()
        normal.join(WAIT)
        for t in openers:
            t.join(WAIT)
        for c in slow:
            c.sock.close()
        for entry in silent:
            entry[0].close()

    expect(not errors, "errors: %s" % errors[:5])
    expect_equal(len(slow), SLOW, "slow connections opened")
    # Every slow connection: exactly a 408, then closed, about TIMEOUT after
    # its first byte (the byte that started the request).
    wrong, lifetimes = [], []
    for c in slow:
        responses, rest = parse_responses(c.data)
        statuses = [r.status for r in responses]
        if statuses != [408] or rest or c.how != "eof":
            wrong.append((statuses, rest[:40], c.how, c.sent))
            continue
        lifetimes.append(c.closed_at - c.first_byte)
    expect(not wrong, "%d slow connections did not end with one 408 and a close: %s"
           % (len(wrong), wrong[:5]))
    # Not closed before the timeout (a lower bound only: load can delay a
    # close, never hasten it).
    expect(min(lifetimes) >= TIMEOUT - 0.2,
           "slow connections lived %.2f to %.2f s after their first byte "
           "(--header-timeout %d)" % (min(lifetimes), max(lifetimes), TIMEOUT))
    expect(all(c.sent >= 2 for c in slow), "every slow client got to send a "
           "second byte before its 408")
    for sock, opened, (closed, got) in silent:
        expect_equal(got, b"", "what a silent connection received")
        expect(TIMEOUT - 0.2 <= closed - opened,
               "a silent connection was closed after %.2f s (--handshake-timeout "
               "%d)" % (closed - opened, TIMEOUT))
    # The normal client: every request answered (timed_request checks the
    # 200), and at least two of them while at least half of the slow
    # connections were open at once (all 300 when the machine opens them
    # faster than the timeout closes the first).
    everything = [d for t, d in timings]

    def open_during(t, d):
        return sum(1 for c in slow if c.first_byte <= t and t + d <= c.closed_at)

    during = [d for t, d in timings if open_during(t, d) >= SLOW // 2]
    peak = max((open_during(t, d) for t, d in timings), default=0)
    expect(len(during) >= 2, "only %d normal requests while %d or more slow "
           "connections were open (at most %d during one request)"
           % (len(during), SLOW // 2, peak))
    print("# normal client: %d requests, slowest %.0f ms; slow connections closed "
          "%.2f-%.2f s after their first byte"
          % (len(everything), max(everything) * 1000, min(lifetimes),
             max(lifetimes)))
    srv.stop()


if __name__ == "__main__":
    suite.run()
