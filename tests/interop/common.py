"""Shared helpers for padlock's interop tests (Python 3 standard library only).

Every test file in this folder checks padlock against a real peer that no one
here wrote: OpenSSL's s_client/s_server, GnuTLS's gnutls-cli/gnutls-serv,
curl, Python's ssl module, tshark. The assertions are on what the *peer*
reports (the protocol, suite, group and signature scheme it negotiated, the
body it received), so a test passes only when the handshake really worked.

What this module gives a test file:
  - workdir(): one temporary directory per run, removed at exit (also when a
    case fails or the run is interrupted; PADLOCK_INTEROP_KEEP=1 keeps it);
  - pki(): a test PKI made with the openssl CLI (root -> intermediate ->
    leaves with ECDSA P-256, ECDSA P-384, RSA-2048 and Ed25519 keys, plus an
    expired leaf, a leaf for another host and a leaf from an untrusted root);
  - start_testserver(), start_openssl_server(), start_gnutls_server(): start a
    server on an ephemeral port and wait until it listens;
  - run(), converse(), padlock_get(): run a client, capture what it printed;
  - openssl -trace parsing (which messages were sent, which group, suite and
    signature scheme, HelloRetryRequest, alerts);
  - Suite: a tiny case runner printing "ok NAME" / "FAIL NAME: why", then
    "N passed, N failed", exiting non-zero on any failure. Processes started
    by a case are stopped (by PID: terminate, wait, kill) when it ends, and
    their output is shown when it fails.

Environment (set by CTest, see tests/tests.cmake): PADLOCK (the padlock
binary), PADLOCK_BUILD_DIR (padlock_testserver lives there),
PADLOCK_SOURCE_DIR. PADLOCK_INTEROP_WAIT overrides the 20 s wait used for
each handshake or start-up (generous because of ASan builds).
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

WAIT = float(os.environ.get("PADLOCK_INTEROP_WAIT", "20"))

SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256"]

REQUEST = (b"GET / HTTP/1.1\r\nHost: localhost\r\n"
           b"User-Agent: padlock-interop\r\nConnection: close\r\n\r\n")
BODY = "hello from padlock"

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "ERROR: UndefinedBehaviorSanitizer", "runtime error:")


class Failure(Exception):
    """A case failed; the message says why in one line."""


class Skip(Exception):
    """A case cannot run on this machine (e.g. no IPv6 loopback); says why.

    Only for properties of the machine, never for something padlock lacks.
    """


# ---------------------------------------------------------------------------
# The run's temporary directory and process bookkeeping

_workdir = None
_live = []          # every process started and not yet stopped, oldest first
_transcript = []    # commands run by the current case, shown if it fails
_counter = [0]


def workdir():
    """The run's temporary directory, made on first use."""
    global _workdir
    if _workdir is None:
        _workdir = tempfile.mkdtemp(prefix="padlock-interop-")
    return _workdir


def tmp_path(name):
    """A fresh path inside the run's directory (nothing is created)."""
    _counter[0] += 1
    return os.path.join(workdir(), "%03d-%s" % (_counter[0], _safe(name)))


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]


def _cleanup():
    for proc in list(reversed(_live)):
        proc.stop()
    if _workdir and os.path.isdir(_workdir):
        if os.environ.get("PADLOCK_INTEROP_KEEP"):
            print("# kept %s" % _workdir)
        else:
            shutil.rmtree(_workdir, ignore_errors=True)


def _on_signal(signum, frame):
    # Turn SIGTERM/SIGINT into a normal exit so that atexit stops every
    # process we started and removes the directory.
    sys.exit(128 + signum)


atexit.register(_cleanup)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def tail(text, lines=40, chars=6000):
    """The last lines of text, for failure messages."""
    text = text[-chars:]
    return "\n".join(text.splitlines()[-lines:])


def sanitizer_report(text):
    """The first sanitizer report line found in text, or None."""
    for line in text.splitlines():
        if any(mark in line for mark in SANITIZER_MARKS):
            return line.strip()
    return None


class Proc:
    """A background process whose stdout/stderr go to files in workdir().

    ours=True marks padlock's own binaries: when stopped they must exit with
    status 0 (the test server's contract on SIGTERM) and print no sanitizer
    report; stop() returns the problems it finds.
    """

    def __init__(self, name, argv, cwd=None, env=None, ours=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.ours = ours
        base = tmp_path(name)
        self.out_path = base + ".out"
        self.err_path = base + ".err"
        self.returncode = None
        self.stopped_by_us = False
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            try:
                self.popen = subprocess.Popen(
                    self.argv, stdin=subprocess.PIPE, stdout=out, stderr=err,
                    cwd=cwd, env=env)
            except OSError as e:
                raise Failure("cannot start %s (%s): %s"
                              % (name, self.argv[0], e))
        _live.append(self)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def out(self):
        return _read_text(self.out_path)

    def err(self):
        return _read_text(self.err_path)

    def stop(self, timeout=None):
        """Terminate by PID, wait, kill after timeout. Returns problems found.

        Our own binaries get 10 s: under ASan, leak checking at exit is slow.
        """
        if timeout is None:
            timeout = 10.0 if self.ours else 5.0
        if self in _live:
            _live.remove(self)
        if self.popen.poll() is None:
            self.stopped_by_us = True
            try:
                self.popen.stdin.close()
            except OSError:
                pass
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                self.returncode = self.popen.returncode
                return ["%s (pid %d) ignored SIGTERM for %.0f s and was killed"
                        % (self.name, self.pid, timeout)] if self.ours else []
        self.returncode = self.popen.returncode
        return self.problems()

    def problems(self):
        if not self.ours:
            return []
        found = []
        report = sanitizer_report(self.err())
        if report:
            found.append("%s: sanitizer report: %s" % (self.name, report))
        if self.returncode not in (0, None):
            how = ("after SIGTERM" if self.stopped_by_us
                   else "on its own")
            found.append("%s exited with status %s %s"
                         % (self.name, self.returncode, how))
        return found

    def describe(self):
        rc = self.popen.poll()
        text = "  $ %s\n    (pid %d, %s)\n" % (
            " ".join(self.argv), self.pid,
            "running" if rc is None else "exit status %s" % rc)
        for label, content in (("stdout", self.out()), ("stderr", self.err())):
            if content.strip():
                text += "    %s:\n%s\n" % (label, _indent(tail(content), 6))
        return text


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _indent(text, n):
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())


def wait_until(predicate, what, timeout=None, interval=0.02):
    """Polls predicate() until it returns a true value, which is returned."""
    deadline = time.monotonic() + (WAIT if timeout is None else timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out after %.0f s waiting for %s"
                          % (WAIT if timeout is None else timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------------------
# Programs under test and peers

def padlock_bin():
    path = os.environ.get("PADLOCK")
    if not path:
        raise Failure("PADLOCK is not set (path of the padlock binary; "
                      "ctest sets it)")
    if not os.access(path, os.X_OK):
        raise Failure("PADLOCK=%s is not an executable" % path)
    return path


def testserver_bin():
    path = os.environ.get("PADLOCK_TESTSERVER")
    if not path:
        build = os.environ.get("PADLOCK_BUILD_DIR")
        if not build:
            raise Failure("PADLOCK_BUILD_DIR is not set (ctest sets it)")
        path = os.path.join(build, "padlock_testserver")
    if not os.access(path, os.X_OK):
        raise Failure("%s is not built (tests/tools/padlock_testserver.c)"
                      % path)
    return path


def require_tools(*names):
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise Failure("missing test peers: %s (run scripts/deps.sh)"
                      % ", ".join(missing))


class Result:
    """What a finished client process printed."""

    def __init__(self, argv, rc, out, err, timed_out=False):
        self.argv = argv
        self.rc = rc
        self.out_bytes = out
        self.out = out.decode("utf-8", "replace")
        self.err = err.decode("utf-8", "replace")
        self.timed_out = timed_out

    def describe(self):
        text = "  $ %s\n    (%s)\n" % (
            " ".join(self.argv),
            "timed out, killed" if self.timed_out else "exit status %s" % self.rc)
        for label, content in (("stdout", self.out), ("stderr", self.err)):
            if content.strip():
                text += "    %s:\n%s\n" % (label, _indent(tail(content), 6))
        return text


def run(argv, input=None, timeout=None, env=None, cwd=None):
    """Runs a client to completion (killed after timeout) and returns Result."""
    argv = [str(a) for a in argv]
    timeout = WAIT if timeout is None else timeout
    try:
        p = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=env,
                           cwd=cwd,
                           stdin=None if input is not None else subprocess.DEVNULL)
        result = Result(argv, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        result = Result(argv, None, e.stdout or b"", e.stderr or b"", True)
    except OSError as e:
        raise Failure("cannot run %s: %s" % (argv[0], e))
    _transcript.append(result)
    return result


def converse(argv, steps, until, timeout=None, env=None):
    """Runs an interactive client (s_client, gnutls-cli) and talks to it.

    steps: a list of bytes (written to the client's stdin), str (a regular
    expression to wait for in its stdout) or float (seconds to sleep).
    until: a regular expression; once its stdout matches (or the client
    exits, or timeout passes) stdin is closed, which makes the client close
    the connection, and the client is given 5 s to exit before it is killed.
    """
    argv = [str(a) for a in argv]
    timeout = WAIT if timeout is None else timeout
    try:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
    except OSError as e:
        raise Failure("cannot run %s: %s" % (argv[0], e))
    out, err = bytearray(), bytearray()
    lock = threading.Lock()

    def drain(stream, sink):
        while True:
            chunk = stream.read1(65536)
            if not chunk:
                return
            with lock:
                sink.extend(chunk)

    readers = [threading.Thread(target=drain, args=(p.stdout, out), daemon=True),
               threading.Thread(target=drain, args=(p.stderr, err), daemon=True)]
    for t in readers:
        t.start()

    def seen(pattern):
        with lock:
            text = out.decode("utf-8", "replace")
        return re.search(pattern, text) or p.poll() is not None

    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        for step in list(steps) + [until]:
            if isinstance(step, bytes):
                try:
                    p.stdin.write(step)
                    p.stdin.flush()
                except (BrokenPipeError, ValueError):
                    break
            elif isinstance(step, float):
                time.sleep(step)
            else:
                while not seen(step):
                    if time.monotonic() > deadline:
                        timed_out = True
                        break
                    time.sleep(0.02)
                if timed_out or p.poll() is not None:
                    break
    finally:
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for t in readers:
            t.join(5)
    result = Result(argv, p.returncode, bytes(out), bytes(err), timed_out)
    _transcript.append(result)
    return result


def padlock_get(url, *options, env=None, timeout=None):
    """Runs `padlock get [options] URL`; fails the case on a sanitizer report."""
    result = run([padlock_bin(), "get"] + list(options) + [url],
                 env=env, timeout=timeout)
    report = sanitizer_report(result.err)
    if report:
        raise Failure("padlock get: sanitizer report: %s" % report)
    if result.timed_out:
        raise Failure("padlock get %s did not finish within %.0f s"
                      % (url, WAIT if timeout is None else timeout))
    return result


# ---------------------------------------------------------------------------
# Servers

class Server:
    def __init__(self, proc, port, host):
        self.proc = proc
        self.port = port
        self.host = host

    def url(self, path="/", host="localhost"):
        if ":" in host:
            host = "[%s]" % host
        return "https://%s:%d%s" % (host, self.port, path)


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (bind to port 0, read it, close)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def start_testserver(args, host="127.0.0.1", name="padlock_testserver"):
    """Starts padlock_testserver on an ephemeral port; waits for its port file."""
    port_file = tmp_path("port")
    proc = Proc(name, [testserver_bin(), "--host", host, "--port", "0",
                       "--port-file", port_file] + list(args), ours=True)
    last = [None]

    def port_written():
        if not proc.alive():
            raise Failure("%s exited with status %s before it listened: %s"
                          % (name, proc.popen.returncode,
                             tail(proc.err(), 5).replace("\n", " | ")))
        text = _read_text(port_file).strip()
        # Read it twice in a row: a half-written number must not be used.
        ok = text.isdigit() and text == last[0] and 0 < int(text) < 65536
        last[0] = text
        return int(text) if ok else None

    port = wait_until(port_written, "%s to write its port file" % name)
    return Server(proc, port, host)


def start_openssl_server(args, host="127.0.0.1", cwd=None):
    """Starts `openssl s_server -accept HOST:PORT ARGS` on a free port."""
    for _ in range(10):
        port = free_port(host)
        accept = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
        # stdbuf: s_server's stdout (its -trace) is a stdio stream, block
        # buffered into a file; line buffering lets us read it as it goes.
        proc = Proc("openssl s_server", ["stdbuf", "-oL", "openssl", "s_server",
                                         "-accept", accept] + list(args), cwd=cwd)
        wait_until(lambda: "ACCEPT" in proc.out() or not proc.alive(),
                   "openssl s_server to accept")
        if proc.alive():
            return Server(proc, port, host)
        proc.stop()
        if "in use" not in proc.err():
            raise Failure("openssl s_server did not start: %s"
                          % tail(proc.err(), 5).replace("\n", " | "))
    raise Failure("openssl s_server: no free port after 10 tries")


def start_gnutls_server(args):
    """Starts `gnutls-serv -p PORT ARGS` on a free port (all addresses)."""
    for _ in range(10):
        port = free_port()
        proc = Proc("gnutls-serv", ["stdbuf", "-oL", "gnutls-serv", "-p", str(port)]
                    + list(args))
        ready = re.compile(r"listening on IPv4 .* port %d\.\.\.done" % port)
        wait_until(lambda: ready.search(proc.out() + proc.err())
                   or not proc.alive(), "gnutls-serv to listen")
        if proc.alive():
            return Server(proc, port, "127.0.0.1")
        proc.stop()
        text = proc.out() + proc.err()
        if "in use" not in text:
            raise Failure("gnutls-serv did not start: %s"
                          % tail(text, 5).replace("\n", " | "))
    raise Failure("gnutls-serv: no free port after 10 tries")


# ---------------------------------------------------------------------------
# Test PKI, made with the openssl CLI

def openssl(*args, env=None):
    argv = ["openssl"] + [str(a) for a in args]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    if p.returncode != 0:
        raise Failure("%s failed: %s" % (" ".join(argv),
                                         p.stderr.decode("utf-8", "replace")))
    return p.stdout.decode("utf-8", "replace")


class Leaf:
    """A server certificate: cert (the leaf alone), chain (leaf + issuers), key."""

    def __init__(self, kind, cn, cert, key, chain):
        self.kind, self.cn, self.cert, self.key, self.chain = kind, cn, cert, key, chain

    def server_args(self):
        """--cert/--key for padlock_testserver."""
        return ["--cert", self.chain, "--key", self.key]


KEY_TYPES = {
    "ecdsa_p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ecdsa_p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "rsa2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ed25519": ["-algorithm", "ED25519"],
}

# The TLS 1.3 signature scheme each key type signs CertificateVerify with.
SIGSCHEME = {
    "ecdsa_p256": "ecdsa_secp256r1_sha256",
    "ecdsa_p384": "ecdsa_secp384r1_sha384",
    "rsa2048": "rsa_pss_rsae_sha256",
    "ed25519": "ed25519",
}

LOCAL_NAMES = "DNS:localhost,IP:127.0.0.1,IP:::1"

CA_EXT = ("basicConstraints=critical,CA:TRUE\n"
          "keyUsage=critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier=hash\n"
          "authorityKeyIdentifier=keyid\n")

LEAF_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=%s\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n")


class Pki:
    """root -> intermediate -> leaves, and a second, untrusted root.

    Clients under test trust root.pem only; servers send leaf + intermediate,
    so every handshake also proves that the chain is sent and built.
    """

    def __init__(self):
        self.dir = os.path.join(workdir(), "pki")
        os.makedirs(self.dir, exist_ok=True)
        self._serial = 1000
        self._leaves = {}
        self.root, self.root_key = self._self_signed("root", "padlock test root")
        self.intermediate, self.intermediate_key = self._issue_ca(
            "intermediate", "padlock test intermediate",
            self.root, self.root_key)
        self._rogue = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def _next_serial(self):
        self._serial += 1
        return self._serial

    def _key(self, name, kind):
        key = self.path(name + ".key")
        openssl("genpkey", *KEY_TYPES[kind], "-out", key)
        return key

    def _self_signed(self, name, cn):
        key = self._key(name, "ecdsa_p256")
        cert = self.path(name + ".pem")
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write(CA_EXT.replace("authorityKeyIdentifier=keyid\n", ""))
        csr = self.path(name + ".csr")
        openssl("req", "-new", "-key", key, "-subj", "/CN=" + cn, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-signkey", key, "-days", 3650,
                "-set_serial", self._next_serial(), "-extfile", ext,
                "-out", cert)
        return cert, key

    def _issue_ca(self, name, cn, issuer, issuer_key):
        key = self._key(name, "ecdsa_p256")
        return self._sign(name, cn, key, issuer, issuer_key, CA_EXT, 3650), key

    def _sign(self, name, cn, key, issuer, issuer_key, ext_text, days,
              faketime=None):
        csr = self.path(name + ".csr")
        cert = self.path(name + ".pem")
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write(ext_text)
        openssl("req", "-new", "-key", key, "-subj", "/CN=" + cn, "-out", csr)
        args = ["x509", "-req", "-in", csr, "-CA", issuer, "-CAkey", issuer_key,
                "-set_serial", self._next_serial(), "-days", days,
                "-extfile", ext, "-out", cert]
        if faketime:
            # Sign "in the past" so that the certificate is already expired.
            require_tools("faketime")
            p = subprocess.run(["faketime", faketime, "openssl"] + [str(a) for a in args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
            if p.returncode != 0:
                raise Failure("faketime openssl x509 failed: %s"
                              % p.stderr.decode("utf-8", "replace"))
        else:
            openssl(*args)
        return cert

    def _leaf(self, name, kind, cn, names, issuer, issuer_key, chain_extra,
              faketime=None, days=365):
        if name in self._leaves:
            return self._leaves[name]
        key = self._key(name, kind)
        cert = self._sign(name, cn, key, issuer, issuer_key,
                          LEAF_EXT % names, days, faketime)
        chain = self.path(name + ".chain.pem")
        with open(chain, "w") as out:
            for part in [cert] + chain_extra:
                with open(part) as f:
                    out.write(f.read())
        leaf = Leaf(kind, cn, cert, key, chain)
        self._leaves[name] = leaf
        return leaf

    def leaf(self, kind):
        """A valid leaf for localhost, 127.0.0.1 and ::1 with a key of kind."""
        return self._leaf(kind, kind, "padlock test %s" % kind, LOCAL_NAMES,
                          self.intermediate, self.intermediate_key,
                          [self.intermediate])

    def named_leaf(self, name, kind="ecdsa_p256"):
        """A valid leaf for the DNS name `name` only."""
        return self._leaf("named-" + name, kind, "padlock test %s" % name,
                          "DNS:" + name, self.intermediate,
                          self.intermediate_key, [self.intermediate])

    def big_leaf(self):
        """A localhost leaf with 800 more names: its Certificate message
        (about 20 KiB) cannot fit in one 16 KiB record."""
        names = LOCAL_NAMES + "".join(",DNS:host%04d.padlock.test" % i
                                      for i in range(800))
        return self._leaf("big", "ecdsa_p256", "padlock test big", names,
                          self.intermediate, self.intermediate_key,
                          [self.intermediate])

    def expired_leaf(self):
        """A localhost leaf valid for 30 days from 2020-01-01."""
        return self._leaf("expired", "ecdsa_p256", "padlock test expired",
                          LOCAL_NAMES, self.intermediate,
                          self.intermediate_key, [self.intermediate],
                          faketime="2020-01-01 00:00:00", days=30)

    def wrong_host_leaf(self):
        """A valid leaf, but for www.example.com only."""
        return self._leaf("wronghost", "ecdsa_p256", "www.example.com",
                          "DNS:www.example.com", self.intermediate,
                          self.intermediate_key, [self.intermediate])

    def rogue_root(self):
        """(certificate, key) of a second root that no client trusts."""
        if self._rogue is None:
            self._rogue = self._self_signed("rogue-root", "padlock rogue root")
        return self._rogue

    def untrusted_leaf(self):
        """A localhost leaf issued by a root that no client trusts."""
        rogue, rogue_key = self.rogue_root()
        return self._leaf("untrusted", "ecdsa_p256", "padlock test untrusted",
                          LOCAL_NAMES, rogue, rogue_key, [])


_pki = []


def pki():
    """The run's PKI, made on first use."""
    if not _pki:
        _pki.append(Pki())
    return _pki[0]


# ---------------------------------------------------------------------------
# Reading what the peers printed

class TraceMessage:
    def __init__(self, direction, name):
        self.direction = direction   # "sent" or "received", from the tool's side
        self.name = name             # ClientHello, ServerHello, Alert, ...
        self.lines = []

    @property
    def text(self):
        return "\n".join(self.lines)

    def is_hello_retry_request(self):
        # RFC 8446 4.1.3: an HRR is a ServerHello with this fixed random.
        return (self.name == "ServerHello"
                and "gmt_unix_time=0xCF21AD74" in self.text
                and "E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C"
                in self.text)

    def group(self):
        """Named groups of the key_share entries, as openssl names them."""
        return re.findall(r"NamedGroup: (\S+)", self.text)

    def cipher(self):
        m = re.search(r"cipher_suite \{0x[0-9A-Fa-f]+, 0x[0-9A-Fa-f]+\} (\S+)",
                      self.text)
        return m.group(1) if m else None

    def signature_scheme(self):
        m = re.search(r"Signature Algorithm: (\S+) \(0x", self.text)
        return m.group(1) if m else None

    def has_extension(self, code):
        """Whether the message carries the extension with this number."""
        return re.search(r"extension_type=\w+\(%d\)" % code, self.text) is not None

    def __repr__(self):
        return "%s %s" % (self.direction, self.name)


def trace_messages(text):
    """Splits `openssl s_client/s_server -trace` output into TraceMessages."""
    messages = []
    direction = None
    current = None
    for line in text.splitlines():
        if line.startswith("Sent Record"):
            direction, current = "sent", None
            continue
        if line.startswith("Received Record"):
            direction, current = "received", None
            continue
        m = re.match(r"^    (\w+), Length=\d+$", line)
        if m and direction:
            current = TraceMessage(direction, m.group(1))
            messages.append(current)
            continue
        m = re.match(r"^    Level=(\w+)\(\d+\), description=(.*)\((\d+)\)$", line)
        if m and direction:
            alert = TraceMessage(direction, "Alert")
            alert.lines.append(line)
            alert.level, alert.description, alert.code = \
                m.group(1), m.group(2), int(m.group(3))
            messages.append(alert)
            current = None
            continue
        if current is not None:
            current.lines.append(line)
    return messages


def msg_messages(text):
    """(direction, handshake message) pairs from `openssl s_client -msg` output."""
    return [("sent" if m.group(1) == ">>>" else "received", m.group(2))
            for m in re.finditer(r"^(<<<|>>>) TLS [\d.]+, Handshake "
                                 r"\[length [0-9a-f]+\], (\w+)$", text, re.M)]


def pick(messages, direction, name):
    return [m for m in messages if m.direction == direction and m.name == name]


def alerts(messages, direction):
    return [m for m in messages if m.direction == direction and m.name == "Alert"]


def split_http(data):
    """(status line, headers dict lower-cased, body bytes) of a response."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise Failure("no complete HTTP response header in %r" % data[:200])
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


# ---------------------------------------------------------------------------
# Assertions

def expect(condition, why):
    if not condition:
        raise Failure(why)


def expect_in(needle, haystack, where):
    if needle not in haystack:
        raise Failure("%r not found in %s" % (needle, where))


def expect_re(pattern, text, where, flags=0):
    m = re.search(pattern, text, flags)
    if not m:
        raise Failure("/%s/ not found in %s" % (pattern, where))
    return m


def expect_equal(got, want, what):
    if got != want:
        raise Failure("%s: expected %r, got %r" % (what, want, got))


def expect_same_secrets(log_a, log_b):
    """Two NSS key logs of one connection hold the same TLS 1.3 secrets."""
    def secrets(path):
        with open(path) as f:
            rows = [line.split() for line in f if line.strip() and line[0] != "#"]
        return {(r[0], r[1]): r[2] for r in rows
                if len(r) == 3 and r[0] != "EXPORTER_SECRET"}
    a, b = secrets(log_a), secrets(log_b)
    expect(len(a) >= 4, "the first key log holds %d secrets: %s" % (len(a), sorted(a)))
    expect_equal(sorted(b), sorted(a), "labels and client randoms in both key logs")
    differ = [label for (label, random), value in a.items()
              if b[(label, random)] != value]
    expect(not differ, "secrets differ between the key logs: %s" % ", ".join(differ))


def expect_ok(result, what):
    """The client exited 0 in time."""
    if result.timed_out:
        raise Failure("%s: timed out" % what)
    if result.rc != 0:
        first = (result.err.strip().splitlines() or ["(no stderr)"])[-1]
        raise Failure("%s: exit status %s: %s" % (what, result.rc, first))


# ---------------------------------------------------------------------------
# The case runner

class Suite:
    """Runs named cases in order; `python3 test_x.py WORD...` runs the cases
    whose names contain one of the words."""

    def __init__(self, title):
        self.title = title
        self.cases = []
        self.setup = None

    def case(self, name):
        def register(fn):
            self.cases.append((name, fn))
            return fn
        return register

    def add(self, name, fn, *args):
        self.cases.append((name, lambda: fn(*args)))

    def run(self):
        print("# %s" % self.title)
        sys.stdout.flush()
        wanted = sys.argv[1:]
        passed = failed = skipped = 0
        if self.setup:
            try:
                self.setup()
            except Failure as e:
                print("FAIL setup: %s" % e)
                print("0 passed, 1 failed")
                sys.exit(1)
        for name, fn in self.cases:
            if wanted and not any(w in name for w in wanted):
                continue
            outcome = self._run_case(name, fn)
            if outcome == "ok":
                passed += 1
            elif outcome == "skip":
                skipped += 1
            else:
                failed += 1
        if passed + failed + skipped == 0:
            print("FAIL select: no case matches %s" % " ".join(wanted))
            failed = 1
        if skipped:
            print("# %d skipped" % skipped)
        print("%d passed, %d failed" % (passed, failed))
        sys.stdout.flush()
        sys.exit(1 if failed else 0)

    def _run_case(self, name, fn):
        first_proc = len(_live)
        del _transcript[:]
        why, trace, skip = None, "", None
        try:
            fn()
        except Skip as e:
            skip = str(e)
        except Failure as e:
            why = str(e)
        except AssertionError as e:
            why = str(e) or "assertion failed"
            trace = traceback.format_exc()
        except Exception as e:  # a bug in the test itself: say so loudly
            why = "%s: %s" % (type(e).__name__, e)
            trace = traceback.format_exc()
        procs = _live[first_proc:]
        problems = []
        for proc in reversed(procs):
            problems += proc.stop()
        if why is None and problems:
            why = problems.pop(0)
        if why is None and skip is not None:
            print("skip %s: %s" % (name, skip))
            sys.stdout.flush()
            return "skip"
        if why is None:
            print("ok %s" % name)
            sys.stdout.flush()
            return "ok"
        print("FAIL %s: %s" % (name, why.splitlines()[0] if why else why))
        details = why.splitlines()[1:] + problems
        if details:
            print(_indent("\n".join(details), 4))
        if trace:
            print(_indent(trace.rstrip(), 4))
        for item in _transcript + procs:
            print(item.describe().rstrip())
        sys.stdout.flush()
        return "fail"
