"""Helpers for the end-to-end tests of `padlock serve` (tests/server/).

The tests run the real binary on loopback and talk to it with real clients
(Python's ssl and http.client, raw sockets, curl, openssl s_client,
Chromium). Everything generic (the temporary directory, the openssl-made
PKI, processes stopped by PID, the case runner printing "N passed,
N failed") comes from tests/interop/common.py, imported as it is; this module
adds what is particular to the server:

  - Serve: starts `padlock serve` on free ports (retrying when a port was
    taken in between), waits for its "serving https://" line, knows its
    workers, stops it with SIGTERM and expects exit status 0 and no
    sanitizer report on its stderr;
  - tls_connect() / plain_connect() and exchange(): one connection, raw
    bytes out, every response parsed back (so pipelining, "then the
    connection is closed" and "no second response" can be asserted);
  - Response: status, headers (all lines kept, in order), body;
  - leaf_fingerprint(): the SHA-256 of the leaf a server presents;
  - proc_rss_kib(), worker_pids(): what /proc says about the processes.
"""

import atexit
import hashlib
import os
import random
import re
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import common  # noqa: E402  (tests/interop/common.py)
from common import (Failure, Proc, Skip, Suite, expect, expect_equal,  # noqa: E402,F401
                    expect_in, expect_re, padlock_bin, pki, run, tail,
                    tmp_path, wait_until, workdir)

# Started as root, padlock's workers run as nobody (or padlock): the sites
# the tests make under the run's private directory must be theirs to read.
os.chmod(common.workdir(), 0o755)

# Generous: every wait must also hold for an ASan+UBSan build on 2 cores.
WAIT = common.WAIT


def is_sanitized():
    """Whether the padlock under test is an ASan build (slower, bigger)."""
    build = os.environ.get("PADLOCK_BUILD_DIR", "")
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            return "PADLOCK_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


class ServerCert:
    """What --cert/--key get: chain is leaf + intermediate + the test root.

    The root goes into the file because padlock judges a chain against the
    system's trust store, where the test root is not: without it the
    intermediate's issuer is nowhere (chain.missing-intermediate) and the
    server refuses to start; with it the chain ends at a root the system
    does not trust, which is only a warning (chain.untrusted-root).
    """

    def __init__(self, leaf):
        self.leaf = leaf
        self.key = leaf.key
        self.chain = leaf.chain.replace(".chain.pem", ".full.pem")
        if not os.path.exists(self.chain):
            with open(self.chain, "w") as out:
                for part in (leaf.chain, pki().root):
                    with open(part) as f:
                        out.write(f.read())

    def args(self):
        return ["--cert", self.chain, "--key", self.key]


def server_cert(leaf):
    return ServerCert(leaf)


def localhost_leaf():
    """The PKI's ECDSA P-256 leaf for localhost, 127.0.0.1 and ::1, as a
    ServerCert."""
    return ServerCert(pki().leaf("ecdsa_p256"))


def client_context(cafile=None):
    """A TLS client context that trusts the test root (or cafile)."""
    ctx = ssl.create_default_context(cafile=cafile or pki().root)
    return ctx


def test_env(extra=None):
    """The environment padlock runs in: its CA and HOME kept in workdir()
    so that no test writes to the real home directory."""
    env = dict(os.environ)
    home = os.path.join(workdir(), "home")
    os.makedirs(home, exist_ok=True)
    env.setdefault("PADLOCK_CA_DIR", os.path.join(home, "ca"))
    env["HOME"] = home
    if extra:
        env.update(extra)
    return env


class Serve:
    """`padlock serve ARGS` on free ports of 127.0.0.1, until stopped.

    args: the flags besides the ports and --listen; https_port and
    http_port are picked unless given (http_port=0 turns the redirect
    listener off). With config=PATH the ports and address must be in that
    file (config_ports() writes them), and no other flag is given.
    zero_args=True: no flag at all (https_port and http_port say where the
    server is expected to listen).
    """

    def __init__(self, args=(), name="padlock serve", workers=2,
                 https_port=None, http_port=None, listen="127.0.0.1",
                 config=None, env=None, cwd=None, prefix=(), shared=False,
                 zero_args=False):
        self.name = name
        self.listen = listen
        self.config = config
        last = None
        for _ in range(10):
            self.https_port = https_port or common.free_port()
            self.http_port = (common.free_port() if http_port is None
                              else http_port)
            argv = list(prefix) + [padlock_bin(), "serve"]
            if zero_args:
                argv += list(args)
            elif config is None:
                argv += ["--https-port", self.https_port,
                         "--http-port", self.http_port]
                if listen:
                    argv += ["--listen", listen]
                if workers:
                    argv += ["--workers", workers]
                argv += list(args)
            else:
                config_ports(config, self)
                argv += ["--config", config] + list(args)
            self.proc = Proc(name, argv, env=env or test_env(), cwd=cwd,
                             ours=True)
            state = wait_until(self._started, "%s to listen" % name,
                               timeout=WAIT * 2)
            if state == "up":
                if shared:
                    _share(self)
                return
            last = self.proc.err()
            self.proc.stop()
            if "in use" not in last or (https_port and http_port is not None):
                raise Failure("%s exited with status %s before it listened:"
                              "\n%s" % (name, self.proc.returncode, tail(last, 10)))
        raise Failure("%s: no free ports after 10 tries:\n%s" % (name, last))

    def _started(self):
        if "] %d: serving https://" % self.proc.pid in self.proc.err():
            return "up"
        if not self.proc.alive():
            return "exited"
        return None

    @property
    def pid(self):
        return self.proc.pid

    def err(self):
        return self.proc.err()

    def url(self, path="/", host="localhost"):
        return "https://%s:%d%s" % (host, self.https_port, path)

    def workers(self):
        """PIDs of the master's live children (its workers)."""
        return worker_pids(self.pid)

    def wait_log(self, pattern, what, timeout=None, start=0):
        """Waits until the server's stderr matches pattern after offset
        start; returns the match."""
        rx = re.compile(pattern, re.M)
        return wait_until(lambda: rx.search(self.err(), start),
                          what, timeout=timeout or WAIT)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self, timeout=None):
        """SIGTERM; expects exit status 0 and no sanitizer report."""
        problems = self.proc.stop(timeout=timeout or (30 if is_sanitized() else 15))
        if problems:
            raise Failure("; ".join(problems) + "\n" + tail(self.err(), 15))


_shared = []


def _share(srv):
    """Keeps srv across cases: off the case's stop list, stopped by
    stop_shared() (a last case, to check its exit) or at exit."""
    if srv.proc in common._live:
        common._live.remove(srv.proc)
    _shared.append(srv)


def stop_shared():
    """Stops the servers kept across cases; fails on a bad exit."""
    problems = []
    while _shared:
        srv = _shared.pop()
        try:
            srv.stop()
        except Failure as e:
            problems.append(str(e))
    if problems:
        raise Failure("\n".join(problems))


atexit.register(lambda: [s.proc.stop() for s in _shared])


def config_ports(path, srv):
    """Rewrites the https-port/http-port/listen lines of a config file."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^(https-port|http-port|listen) *=.*\n", "", text)
    head = "https-port = %d\nhttp-port = %d\n" % (srv.https_port, srv.http_port)
    if srv.listen:
        head += 'listen = "%s"\n' % srv.listen
    with open(path, "w") as f:
        f.write(head + text)


def worker_pids(master):
    """The children of master, from /proc/PID/task/PID/children."""
    try:
        with open("/proc/%d/task/%d/children" % (master, master)) as f:
            return sorted(int(p) for p in f.read().split())
    except OSError:
        return []


def proc_rss_kib(pid):
    """VmRSS of pid in KiB (None when the process is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def established_to(port):
    """How many established TCP connections have local port `port`
    (the server's side of them), from /proc/net/tcp."""
    count = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state = fields[1], fields[3]
                    if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            pass
    return count


# ---------------------------------------------------------------------------
# Connections and responses

def nodelay(sock):
    """TCP_NODELAY, as browsers and curl set it. Without it the request,
    written right after the client's Finished, waits for the server's
    delayed ACK of the Finished (Nagle): 40 ms per new connection."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def plain_connect(port, host="127.0.0.1", timeout=None):
    s = socket.create_connection((host, port), timeout=timeout or WAIT)
    nodelay(s)
    return s


def tls_connect(port, sni="localhost", host="127.0.0.1", cafile=None,
                timeout=None, context=None):
    """A TLS connection to host:port that verified the server's chain for
    sni (or, with sni=None, sends no SNI and checks no name)."""
    ctx = context or client_context(cafile)
    if sni is None:
        ctx.check_hostname = False
    raw = socket.create_connection((host, port), timeout=timeout or WAIT)
    nodelay(raw)
    try:
        return ctx.wrap_socket(raw, server_hostname=sni)
    except Exception:
        raw.close()
        raise


class Response:
    def __init__(self, status_line, headers, body):
        self.status_line = status_line
        parts = status_line.split(" ", 2)
        self.version = parts[0]
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = headers          # [(name, value)], in order
        self.body = body

    def header(self, name):
        """The value of the one field named name (None when absent); fails
        the case when the field is repeated."""
        values = self.all(name)
        if len(values) > 1:
            raise Failure("%s is repeated in the response: %r" % (name, values))
        return values[0] if values else None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return "<%s, %d header fields, %d body bytes>" % (
            self.status_line, len(self.headers), len(self.body))


def parse_responses(data, methods=()):
    """Every complete response in data: (list of Response, leftover bytes).

    methods: the request methods in order (a HEAD response has no body).
    A response without Content-Length takes the rest of data as its body.
    """
    out = []
    methods = list(methods)
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        resp = Response(lines[0], headers, b"")
        method = methods[len(out)] if len(out) < len(methods) else "GET"
        if method == "HEAD" or resp.status in (204, 304) or resp.status < 200:
            length = 0
        elif resp.header("Content-Length") is not None:
            length = int(resp.header("Content-Length"))
        else:
            length = len(rest)
        if len(rest) < length:
            break
        resp.body = rest[:length]
        out.append(resp)
        data = rest[length:]
    return out, data


def read_all(sock, timeout=None, limit=64 << 20):
    """Reads until the peer closes (b''), a reset, or timeout.
    Returns (bytes, how): how is "eof", "reset" or "timeout"."""
    deadline = time.monotonic() + (timeout or WAIT)
    data = bytearray()
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data), "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return bytes(data), "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return bytes(data), "reset"
        except ssl.SSLError as e:
            return bytes(data), "tls error: %s" % e
        if not chunk:
            return bytes(data), "eof"
        data += chunk
    return bytes(data), "limit"


def read_responses(sock, count, methods=(), timeout=None):
    """Reads until count responses are complete; returns them and any bytes
    after them. Fails the case when the connection ends first."""
    deadline = time.monotonic() + (timeout or WAIT)
    data = b""
    while True:
        got, _ = parse_responses(data, methods)
        if len(got) >= count:
            return parse_responses(data, methods)
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("%d of %d responses after %.0f s: %r"
                          % (len(got), count, timeout or WAIT, data[:300]))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            raise Failure("the connection closed after %d of %d responses: %r"
                          % (len(got), count, data[:300]))
        data += chunk


def exchange(port, raw, tls=True, methods=(), sni="localhost", timeout=None,
             host="127.0.0.1"):
    """Sends raw on a new connection, reads until the server closes it.
    Returns (responses, leftover bytes, how the reading ended)."""
    sock = (tls_connect(port, sni=sni, host=host) if tls
            else plain_connect(port, host=host))
    with sock:
        sock.sendall(raw)
        data, how = read_all(sock, timeout)
    responses, rest = parse_responses(data, methods)
    return responses, rest, how


def one_response(port, raw, tls=True, method="GET", closes=None, **kw):
    """The single response to raw. closes=True: the server must close the
    connection after it (and send nothing more); False: it must keep it
    open (checked by waiting briefly for a close that does not come)."""
    sock = (tls_connect(port, sni=kw.get("sni", "localhost")) if tls
            else plain_connect(port))
    with sock:
        sock.sendall(raw)
        got, rest = read_responses(sock, 1, [method])
        resp = got[0]
        if closes is True:
            more, how = read_all(sock, kw.get("timeout"))
            expect_equal(how, "eof", "how the connection ended after %s"
                         % resp.status_line)
            expect_equal(rest + more, b"", "bytes after the response")
        elif closes is False:
            more, how = read_all(sock, 0.3)
            expect_equal(how, "timeout",
                         "the connection after %s (expected it kept open)"
                         % resp.status_line)
            expect_equal(rest + more, b"", "bytes after the response")
    return resp


def get(port, path="/", host="localhost", headers=(), method="GET",
        tls=True, closes=None, version="HTTP/1.1", sni="localhost"):
    """One request built from its parts; returns the Response."""
    lines = ["%s %s %s" % (method, path, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    lines += ["%s: %s" % h for h in headers]
    if closes is None or closes is True:
        if version == "HTTP/1.1":
            lines.append("Connection: close")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return one_response(port, raw, tls=tls, method=method, closes=closes,
                        sni=sni)


def leaf_fingerprint(port, sni="localhost", host="127.0.0.1"):
    """SHA-256 (hex) of the leaf certificate the server presents for sni."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=WAIT) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def pem_fingerprint(path):
    """SHA-256 (hex) of the first certificate in a PEM file."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                  text, re.S)
    der = ssl.PEM_cert_to_DER_cert(m.group(0))
    return hashlib.sha256(der).hexdigest()


def write_file(path, data, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def random_loopback():
    """An address of 127.0.0.0/8 unlikely to be used by anything else, so
    that a test can bind a fixed port (443) without meeting other
    listeners on 127.0.0.1."""
    return "127.%d.%d.%d" % (random.randint(1, 254), random.randint(1, 254),
                             random.randint(2, 254))

