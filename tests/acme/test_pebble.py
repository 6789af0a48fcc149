"""padlock serve --domain NAME without --cert, against a real ACME server.

Pebble (Let's Encrypt's test CA) and pebble-challtestsrv (its DNS, which
answers 127.0.0.1 for every name) run on loopback with ephemeral ports,
from a configuration file made for this run: pebble's HTTPS uses a root
made here (given to padlock with --acme-ca-root), its validation ports are
padlock's listeners, and its random rejection of 5% of good nonces stays
on, so badNonce retries happen. The issued chains are verified against
pebble's own root, fetched from its management port, with curl --cacert
and openssl s_client -verify_return_error.

Cases: HTTP-01 for three names (with and without PEBBLE_VA_NOSLEEP;
over h2, which pebble chooses in ALPN, and from a pebble without HTTP/2),
TLS-ALPN-01 alone (port 80 closed) and as the fallback of HTTP-01, two
sites from a configuration file, a restart that reuses the stored
certificate (no new order), a name added by a reload, renewal under a
client loop with no failed request and a new serial, a CA that is down at
start and up later (the retry gets the certificate), names for the local CA,
padlock cert --acme (a certificate without serving, its listener on
pebble's HTTP-01 port, or by TLS-ALPN-01 on its TLS port), a site
waiting for its first certificate beside a site with one
(unrecognized_name and a log line, never the other site's certificate,
over TLS 1.3 and 1.2), and each failure with its one sentence: the CA unreachable, the challenge unreachable, pebble
restarted mid-order (killed while it validates, a new one on the same
port: padlock says so in one line and a new order gets the certificate),
a name the CA refuses, the terms not agreed, EAB required and missing (then
given), and a state directory that cannot be written.
"""

import atexit
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
import serve_common  # noqa: E402
from serve_common import common  # noqa: E402  (tests/interop/common.py)
from serve_common import (Failure, Proc, Serve, Skip, Suite, WAIT,  # noqa: E402
                          expect, expect_equal, expect_in, padlock_bin, run,
                          test_env, tmp_path, wait_until)

suite = Suite("padlock serve: ACME against pebble")

DOMAIN = "acmetest.net"   # any public-looking name: challtestsrv answers it
EAB_KID = "kid-1"
EAB_KEY = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"

state = {}


def have(tool):
    return any(os.access(os.path.join(d, tool), os.X_OK)
               for d in os.environ.get("PATH", "").split(os.pathsep))


def keep(proc):
    """Keeps proc across cases (a case stops what it started): stopped by
    PID when the run ends."""
    if proc in common._live:
        common._live.remove(proc)
    atexit.register(proc.stop)


def state_dir(key):
    """One directory per key for the whole run."""
    if ("dir", key) not in state:
        state[("dir", key)] = tmp_path("state-" + key)
    return state[("dir", key)]


def https_root():
    """A CA for pebble's own HTTPS and its leaf for 127.0.0.1."""
    if "root" in state:
        return state["root"]
    d = tmp_path("pebble-https")
    os.makedirs(d, exist_ok=True)
    ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    leaf, key = os.path.join(d, "leaf.pem"), os.path.join(d, "leaf.key")
    csr, ext = os.path.join(d, "leaf.csr"), os.path.join(d, "ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\n")
    for argv in (
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=pebble HTTPS test root",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=localhost"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", leaf]):
        r = run(argv)
        if r.rc != 0:
            raise Failure("%s: %s" % (" ".join(argv[:3]), r.err))
    state["root"] = (ca, leaf, key)
    return state["root"]


class Pebble:
    """pebble + pebble-challtestsrv on fresh ports. http_port and
    tls_port are where pebble validates: padlock's listeners."""

    def __init__(self, name, eab=False, nosleep=True, start=True, h2=True,
                 acme_port=None, http_port=None, tls_port=None):
        ca, leaf, key = https_root()
        self.ca_root = ca
        self.http_port = http_port or common.free_port()
        self.tls_port = tls_port or common.free_port()
        self.dns_port = common.free_port()
        self.acme_port = acme_port or common.free_port()
        self.mgmt_port = common.free_port()
        cfg = {"pebble": {
            "listenAddress": "127.0.0.1:%d" % self.acme_port,
            "managementListenAddress": "127.0.0.1:%d" % self.mgmt_port,
            "certificate": leaf, "privateKey": key,
            "httpPort": self.http_port, "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": eab,
            "domainBlocklist": ["blocked." + DOMAIN],
        }}
        if eab:
            cfg["pebble"]["externalAccountMACKeys"] = {EAB_KID: EAB_KEY}
        path = tmp_path(name + ".json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.name, self.path, self.nosleep = name, path, nosleep
        self.h2 = h2
        self.directory = "https://127.0.0.1:%d/dir" % self.acme_port
        if start:
            self.start()

    def start(self):
        name, path, nosleep = self.name, self.path, self.nosleep
        self.dns = Proc(name + "-dns", [
            "pebble-challtestsrv", "-dns01", "127.0.0.1:%d" % self.dns_port,
            "-management", "127.0.0.1:%d" % common.free_port(),
            "-http01", "", "-https01", "", "-tlsalpn01", "",
            "-defaultIPv6", ""])
        env = dict(os.environ)
        env.pop("PEBBLE_VA_NOSLEEP", None)
        if nosleep:
            env["PEBBLE_VA_NOSLEEP"] = "1"
        if not self.h2:
            # Go's net/http: no HTTP/2 server, ALPN h2 never chosen
            env["GODEBUG"] = "http2server=0"
        self.proc = Proc(name, ["pebble", "-config", path, "-dnsserver",
                                "127.0.0.1:%d" % self.dns_port], env=env)
        keep(self.dns)
        keep(self.proc)
        wait_until(lambda: "ACME directory available" in self.proc.out()
                   + self.proc.err() or not self.proc.alive(),
                   "%s to start" % name)
        if not self.proc.alive():
            raise Failure("%s exited:\n%s" % (name, self.proc.err()))

    def root(self):
        """Pebble's issuing root, from its management port."""
        path = tmp_path("pebble-root-%d.pem" % self.mgmt_port)
        r = run(["curl", "-sS", "--cacert", self.ca_root, "-o", path,
                 "https://127.0.0.1:%d/roots/0" % self.mgmt_port])
        if r.rc != 0:
            raise Failure("pebble's root: %s" % r.err)
        return path


def pebble(nosleep=True):
    key = "pebble" if nosleep else "pebble-sleep"
    if key not in state:
        state[key] = Pebble(key, nosleep=nosleep)
    return state[key]


def serve(p, names, *extra, state=None, http=True, **kw):
    """padlock serve for names on pebble's validation ports."""
    args = []
    for n in names:
        args += ["--domain", n]
    args += ["--acme-ca", p.directory, "--acme-ca-root", p.ca_root,
             "--state-dir", state or tmp_path("state")]
    args += list(extra)
    return Serve(args, https_port=p.tls_port,
                 http_port=p.http_port if http else 0, **kw)


def issued(srv, what="the first certificate"):
    """Waits for the reload that serves a new certificate."""
    srv.wait_log(r"reloaded: ", what, timeout=WAIT * 3)


def wait_served(p, port, name):
    """Waits until a chain that verifies for name is served."""
    root = p.root()
    wait_until(lambda: run(["curl", "-sS", "-o", "/dev/null", "--cacert",
                            root, "--resolve",
                            "%s:%d:127.0.0.1" % (name, port),
                            "https://%s:%d/" % (name, port)]).rc == 0,
               "the certificate for %s to be served" % name,
               timeout=WAIT * 3, interval=0.2)


def verify(p, port, name):
    """The served chain verifies against pebble's root: curl and openssl."""
    root = p.root()
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
             "--cacert", root, "--resolve", "%s:%d:127.0.0.1" % (name, port),
             "https://%s:%d/" % (name, port)])
    expect_equal((r.rc, r.out), (0, "200"), "curl --cacert pebble's root "
                 "for %s: %s" % (name, r.err))
    r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
             "-servername", name, "-CAfile", root, "-verify_return_error",
             "-verify_hostname", name], input=b"")
    expect(r.rc == 0 and "Verify return code: 0 (ok)" in r.out,
           "openssl s_client -verify_return_error for %s: %s %s"
           % (name, r.out[-300:], r.err[-300:]))


def served_serial(port, name, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with ctx.wrap_socket(__import__("socket").create_connection(
            ("127.0.0.1", port), timeout=WAIT), server_hostname=name) as s:
        der = s.getpeercert(binary_form=True)
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                        "-serial"], input=der, capture_output=True)
    return r.stdout.decode().strip()


def setup():
    for tool in ("pebble", "pebble-challtestsrv", "openssl", "curl"):
        if not have(tool):
            raise Skip("%s is not installed (scripts/deps.sh)" % tool)


suite.setup = setup


@suite.case("http01_three_names_chain_verifies_against_pebbles_root")
def _():
    p = pebble()
    names = ["one." + DOMAIN, "two." + DOMAIN, "three." + DOMAIN]
    srv = serve(p, names, "--acme-agree-tos", "--acme-email",
                "ops@" + DOMAIN, state=state_dir("three"))
    issued(srv)
    for n in names:
        verify(p, p.tls_port, n)
    expect_in("acme: made the account key", srv.err(), "the account key")
    expect(re.search(r"acme: site one\.%s: agreed to the terms of service "
                     r"at \S+ \(--acme-agree-tos\)" % re.escape(DOMAIN),
                     srv.err()), "the terms' agreement in the log: %s"
           % srv.err()[-800:])
    expect_in("(the CA spoke h2)", srv.err(), "pebble chose h2 in ALPN")
    mode = os.stat(os.path.join(state_dir("three"),
                                "127.0.0.1-%d" % p.acme_port,
                                "account-key.pem")).st_mode & 0o777
    expect_equal(mode, 0o600, "the account key's mode")
    key = os.path.join(state_dir("three"), "127.0.0.1-%d" % p.acme_port,
                       names[0], "key.pem")
    expect_equal(os.stat(key).st_mode & 0o777, 0o600, "the key's mode")
    state["three-serial"] = served_serial(p.tls_port, names[0], p.root())
    srv.stop()


@suite.case("restart_reuses_the_stored_certificate_without_a_new_order")
def _():
    p = pebble()
    names = ["one." + DOMAIN, "two." + DOMAIN, "three." + DOMAIN]
    if "three-serial" not in state:
        raise Skip("needs the case before")
    srv = serve(p, names, "--acme-agree-tos",
                state=state_dir("three"))
    srv.wait_log(r"acme: site one\.%s: certificate for .* from "
                 r"CN=Pebble Intermediate" % re.escape(DOMAIN),
                 "the status line of the stored certificate")
    expect_equal(served_serial(p.tls_port, names[0], p.root()),
                 state["three-serial"], "the served serial")
    time.sleep(1)
    expect("ordering a certificate" not in srv.err(),
           "no new order: %s" % srv.err()[-500:])
    srv.stop()
    r = run([padlock_bin(), "serve"] + sum([["--domain", n] for n in names],
                                           []) +
            ["--acme-ca", p.directory, "--state-dir", state_dir("three"),
             "--check-config"], env=test_env())
    expect_equal(r.rc, 0, "--check-config: %s" % r.err)
    expect(re.search(r"ok: site one\.%s: .*fullchain\.pem, for one\.%s, "
                     r"two\.%s, three\.%s, from CN=Pebble Intermediate "
                     r"CA \w+, expires \d{4}-\d\d-\d\d, renewal from "
                     % ((re.escape(DOMAIN),) * 4), r.out),
           "the status line of --check-config: %s" % r.out)


@suite.case("a_name_added_to_a_live_site_keeps_the_old_certificate_meanwhile")
def _():
    p = pebble()
    a, b = "a.live." + DOMAIN, "b.live." + DOMAIN
    cfg = tmp_path("live.conf")
    body = ('acme-ca = "%s"\nacme-ca-root = "%s"\nacme-agree-tos = true\n'
            'state-dir = "%s"\nworkers = 1\nsite "%s" {\n%s}\n')
    with open(cfg, "w") as f:
        f.write(body % (p.directory, p.ca_root, state_dir("live"), a, ""))
    srv = Serve(config=cfg, https_port=p.tls_port, http_port=p.http_port)
    issued(srv)
    wait_served(p, p.tls_port, a)
    old = served_serial(p.tls_port, a, p.root())
    with open(cfg, "w") as f:
        f.write(body % (p.directory, p.ca_root, state_dir("live"), a,
                        '  names = {"%s"}\n' % b))
    start = len(srv.err())
    srv.signal(signal.SIGHUP)
    srv.wait_log(r"site %s: the stored certificate covers %s, not all of "
                 r"%s, %s: it serves those names while the ACME process "
                 r"gets a new one" % tuple(map(re.escape, (a, a, a, b))),
                 "the line for the stored certificate", start=start)
    srv.wait_log(r"reloaded: ", "the reload", start=start)
    during = served_serial(p.tls_port, a, p.root())
    try:
        ctx = ssl.create_default_context(cafile=p.root())
        with ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", p.tls_port), timeout=WAIT),
                server_hostname=b):
            refused = None
    except ssl.SSLError as e:
        refused = str(e)
    if "new certificate" not in srv.err()[start:]:
        # the order is still running: the old chain answers for a, and
        # b gets the waiting alert, never a certificate without its name
        expect_equal(during, old, "the serial served for %s meanwhile" % a)
        expect_in("UNRECOGNIZED_NAME", refused or "", "the alert for %s" % b)
    srv.wait_log(r"new certificate", "the certificate for both",
                 timeout=WAIT * 3, start=start)
    wait_served(p, p.tls_port, b)
    verify(p, p.tls_port, a)
    verify(p, p.tls_port, b)
    expect(served_serial(p.tls_port, a, p.root()) != old,
           "a new serial for %s after the swap" % a)
    srv.stop()


@suite.case("a_site_mixing_public_and_local_names_says_which_are_left_out")
def _():
    p = pebble()
    name = "mixed." + DOMAIN
    srv = serve(p, [name, "localhost", "10.1.2.3"], "--acme-agree-tos")
    srv.wait_log(r"site %s: localhost, 10\.1\.2\.3 will not be covered: a "
                 r"public CA cannot issue for them, and the local CA serves "
                 r"only sites whose names are all local, so only %s go on "
                 r"its ACME certificate\. Fix: give localhost, 10\.1\.2\.3 a "
                 r"site block of its own" % ((re.escape(name),) * 2),
                 "the start-up warning")
    issued(srv)
    verify(p, p.tls_port, name)
    srv.stop()


@suite.case("two_sites_from_a_configuration_file")
def _():
    p = pebble()
    cfg = tmp_path("two-sites.conf")
    with open(cfg, "w") as f:
        f.write('acme-ca = "%s"\nacme-ca-root = "%s"\nacme-agree-tos = true\n'
                'state-dir = "%s"\nworkers = 1\n'
                'site "a.%s" {\n  names = {"www.a.%s"}\n}\n'
                'site "b.%s" {\n}\n'
                % (p.directory, p.ca_root, state_dir("two"), DOMAIN,
                   DOMAIN, DOMAIN))
    srv = Serve(config=cfg, https_port=p.tls_port, http_port=p.http_port)
    srv.wait_log(r"(?s)new certificate.*new certificate",
                 "both certificates", timeout=WAIT * 3)
    for n in ("a." + DOMAIN, "www.a." + DOMAIN, "b." + DOMAIN):
        # each certificate is swapped in by its own reload
        wait_served(p, p.tls_port, n)
        verify(p, p.tls_port, n)
    # a name added by a reload gets its certificate without a restart
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace('site "b.%s" {\n}' % DOMAIN,
                             'site "b.%s" {\n  names = {"new.b.%s"}\n}'
                             % (DOMAIN, DOMAIN)))
    srv.signal(signal.SIGHUP)
    wait_served(p, p.tls_port, "new.b." + DOMAIN)
    verify(p, p.tls_port, "new.b." + DOMAIN)
    srv.stop()


@suite.case("renewal_under_load_no_failed_request_and_a_new_serial")
def _():
    p = pebble()
    name = "renew." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos", "--acme-renew-at", "0",
                "--acme-check-interval", "2")
    issued(srv)
    root = p.root()
    first = served_serial(p.tls_port, name, root)
    counts = {"ok": 0, "failed": 0, "errors": []}
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            # HTTP/1.1: a stopping worker's HTTP/2 connections are the
            # h2 layer's to drain (tests/server/test_reload.py)
            r = subprocess.run(
                ["curl", "-sS", "--http1.1", "-o", "/dev/null", "-w",
                 "%{http_code}", "--cacert", root, "--resolve",
                 "%s:%d:127.0.0.1" % (name, p.tls_port),
                 "https://%s:%d/" % (name, p.tls_port)],
                capture_output=True, text=True)
            if r.returncode == 0 and r.stdout == "200":
                counts["ok"] += 1
            else:
                counts["failed"] += 1
                counts["errors"].append(r.stderr.strip())

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        serial = wait_until(
            lambda: (lambda s: s if s != first else None)(
                served_serial(p.tls_port, name, root)),
            "a renewed certificate", timeout=WAIT * 3, interval=0.5)
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    expect(serial != first, "a new serial: %s then %s" % (first, serial))
    expect_equal(counts["failed"], 0, "failed requests (%d ok): %s"
                 % (counts["ok"], counts["errors"][:3]))
    expect(counts["ok"] > 10, "requests made: %d" % counts["ok"])
    srv.stop()


@suite.case("ca_answering_in_http1_only")
def _():
    p = Pebble("pebble-h1", h2=False)
    r = common.padlock_get(p.directory, "-v", "--cacert", p.ca_root)
    expect_in("HTTP/1.1 (the server chose http/1.1", r.err,
              "pebble without HTTP/2 chooses http/1.1: %s" % r.err[-500:])
    name = "h1." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos")
    issued(srv)
    expect_in("(the CA spoke http/1.1)", srv.err(), "the ACME protocol")
    verify(p, p.tls_port, name)
    srv.stop()


def cert_acme(p, names, *extra, tls_alpn=False):
    port = (["--challenge", "tls-alpn-01", "--tls-port", str(p.tls_port)]
            if tls_alpn else ["--http-port", str(p.http_port)])
    return run([padlock_bin(), "cert", "--acme", "--acme-ca", p.directory,
                "--acme-ca-root", p.ca_root, "--listen", "127.0.0.1"] + port
               + list(extra) + names, timeout=WAIT * 3, env=test_env())


def cert_acme_chain(p, r, names):
    """padlock cert --acme succeeded, its chain verifies against pebble's
    root and names names: the chain's path."""
    expect_equal(r.rc, 0, "exit (%s)" % r.err)
    chain = re.search(r"^certificate chain: (.+)$", r.out, re.M).group(1)
    v = run(["openssl", "verify", "-CAfile", p.root(), "-untrusted", chain,
             chain])
    expect_equal(v.rc, 0, "openssl verify against pebble's root: %s %s"
                 % (v.out, v.err))
    t = run(["openssl", "x509", "-in", chain, "-noout", "-ext",
             "subjectAltName"])
    for n in names:
        expect_in("DNS:" + n, t.out, "the certificate's names")
    return chain


@suite.case("cert_acme_obtains_a_certificate_without_serving")
def _():
    p = pebble()
    names = ["cli." + DOMAIN, "cli2." + DOMAIN]
    st = state_dir("cli")
    r = cert_acme(p, names, "--acme-agree-tos", "--state-dir", st)
    chain = cert_acme_chain(p, r, names)
    key = re.search(r"^private key \(0600\): (.+)$", r.out, re.M).group(1)
    expect(chain.startswith(st) and os.path.exists(chain), "chain %s" % chain)
    expect_equal(os.stat(key).st_mode & 0o777, 0o600, "the key's mode")
    m = run(["openssl", "pkey", "-in", key, "-pubout"])
    c = run(["openssl", "x509", "-in", chain, "-noout", "-pubkey"])
    expect_equal(m.out, c.out, "the key is the certificate's")


@suite.case("cert_acme_by_tlsalpn01_on_the_tls_port")
def _():
    p = pebble()
    name = "cli-alpn." + DOMAIN
    st = state_dir("cli-alpn")
    # no HTTP-01 listener: the http port stays closed, pebble validates
    # by a TLS handshake offering only acme-tls/1 on the tls port
    r = cert_acme(p, [name], "--acme-agree-tos", "--state-dir", st,
                  tls_alpn=True)
    cert_acme_chain(p, r, [name])
    # the port is the order's only: closed again
    s = socket.socket()
    expect(s.connect_ex(("127.0.0.1", p.tls_port)) != 0,
           "the TLS-ALPN-01 listener outlived the order")
    s.close()
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", p.tls_port))
    busy.listen(1)
    try:
        r = cert_acme(p, ["busy-" + name], "--acme-agree-tos",
                      "--state-dir", st, tls_alpn=True)
    finally:
        busy.close()
    expect_equal(r.rc, 1, "exit with the port taken")
    expect_in("cannot listen on 127.0.0.1 port %d for the TLS-ALPN-01 "
              "challenge: Address already in use" % p.tls_port, r.err,
              "the port's sentence")


@suite.case("cert_acme_failures_in_one_sentence")
def _():
    p = pebble()
    r = cert_acme(p, ["tos." + DOMAIN], "--state-dir", state_dir("cli-tos"))
    expect_equal(r.rc, 1, "exit without --acme-agree-tos")
    expect_in("--acme-agree-tos", r.err, "the terms' sentence")
    busy = socket.socket()
    # the last listener's connections may linger in TIME_WAIT; a listening
    # socket still keeps padlock's bind out
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", p.http_port))
    busy.listen(1)
    try:
        r = cert_acme(p, ["busy." + DOMAIN], "--acme-agree-tos",
                      "--state-dir", state_dir("cli-busy"))
    finally:
        busy.close()
    expect_equal(r.rc, 1, "exit with the port taken")
    expect_in("cannot listen on 127.0.0.1 port %d for the HTTP-01 "
              "challenge: Address already in use" % p.http_port, r.err,
              "the port's sentence")
    r = run([padlock_bin(), "cert", "--acme", "--http-port", "0", "x"])
    expect_equal(r.rc, 2, "a bad port is a bad command line")


@suite.case("cert_acme_listener_goes_with_a_killed_padlock")
def _():
    # a CA that accepts TCP and never answers: the order hangs
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(8)
    port = common.free_port()
    proc = Proc("padlock cert --acme", [
        padlock_bin(), "cert", "--acme", "--acme-agree-tos", "--acme-ca",
        "https://127.0.0.1:%d/dir" % mute.getsockname()[1], "--state-dir",
        state_dir("cli-killed"), "--http-port", str(port), "--listen",
        "127.0.0.1", "killed." + DOMAIN], env=test_env())

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False
    wait_until(listening, "the HTTP-01 listener")
    os.kill(proc.pid, signal.SIGKILL)
    wait_until(lambda: not listening(), "the listener to go with padlock")
    mute.close()


@suite.case("http01_without_nosleep")
def _():
    p = pebble(nosleep=False)
    name = "slow." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos")
    srv.wait_log(r"reloaded: ", "the certificate (pebble sleeps up to 15 s)",
                 timeout=WAIT * 4)
    verify(p, p.tls_port, name)
    srv.stop()


@suite.case("tlsalpn01_alone_with_port_80_closed")
def _():
    p = pebble()
    name = "alpn." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos", "--acme-challenges",
                "tls-alpn-01", http=False)
    issued(srv)
    verify(p, p.tls_port, name)
    expect("GET /.well-known/acme-challenge" not in srv.err(),
           "no HTTP-01 request")
    srv.stop()


@suite.case("http01_unreachable_falls_back_to_tlsalpn01")
def _():
    p = pebble()
    name = "fallback." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos", http=False)
    issued(srv)
    expect_in("is port 80 open? try `padlock check %s`" % name, srv.err(),
              "the first challenge's sentence, as a warning")
    expect_in("(the next challenge type worked)", srv.err(), "the fallback")
    verify(p, p.tls_port, name)
    srv.stop()


@suite.case("local_names_go_to_the_local_ca_in_one_line")
def _():
    p = pebble()
    srv = serve(p, ["app.internal"], "--acme-agree-tos")
    srv.wait_log(r"site app\.internal: a public CA cannot issue for "
                 r"app\.internal .*certificate from the local CA",
                 "the local CA line")
    expect("ordering" not in srv.err(), "no ACME order for app.internal")
    srv.stop()


def failure(p, names, sentence, *extra, http=True):
    srv = serve(p, names, *extra, http=http)
    srv.wait_log(sentence, "the sentence %r" % sentence, timeout=WAIT * 3)
    srv.stop()


@suite.case("failure_ca_unreachable")
def _():
    p = pebble()
    closed = common.free_port()
    srv = Serve(["--domain", "down." + DOMAIN, "--acme-ca",
                 "https://127.0.0.1:%d/dir" % closed, "--acme-agree-tos",
                 "--state-dir", state_dir("down")],
                https_port=p.tls_port, http_port=p.http_port)
    srv.wait_log(r"cannot reach the ACME CA at https://127\.0\.0\.1:%d/dir: "
                 r".*refused" % closed, "the unreachable sentence")
    srv.stop()


@suite.case("a_site_waiting_for_its_certificate_never_gets_anothers")
def _():
    p = pebble()
    closed = common.free_port()
    leaf = serve_common.localhost_leaf()
    cfg = tmp_path("waiting.conf")
    with open(cfg, "w") as f:
        f.write('acme-ca = "https://127.0.0.1:%d/dir"\nacme-agree-tos = true\n'
                'state-dir = "%s"\nworkers = 1\n'
                'site "localhost" {\n  cert = "%s"\n  key = "%s"\n}\n'
                'site "wait.%s" {\n}\n'
                % (closed, state_dir("waiting"), leaf.chain, leaf.key,
                   DOMAIN))
    srv = Serve(config=cfg, https_port=p.tls_port, http_port=p.http_port)
    srv.wait_log(r"cannot reach the ACME CA", "the order to fail")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", p.tls_port), timeout=WAIT),
                server_hostname="wait." + DOMAIN) as s:
            got = s.getpeercert(binary_form=True)
        raise Failure("a certificate came for the waiting name: %d bytes"
                      % len(got))
    except ssl.SSLError as e:
        expect_in("UNRECOGNIZED_NAME", str(e), "the alert the client saw")
    srv.wait_log(r"no certificate for 'wait\.%s' yet: the server is still "
                 r"obtaining it from its ACME CA" % DOMAIN, "the log line")
    r = run(["openssl", "s_client", "-tls1_2", "-connect",
             "127.0.0.1:%d" % p.tls_port, "-servername", "wait." + DOMAIN],
            input=b"")
    expect_in("unrecognized name", r.err + r.out, "the alert over TLS 1.2")
    # the other site still answers with its own certificate
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
             "--cacert", common.pki().root, "https://localhost:%d/"
             % p.tls_port])
    expect_equal((r.rc, r.out), (0, "200"), "the site with a certificate "
                 "(%s)" % r.err)
    srv.stop()


@suite.case("ca_down_at_start_then_up_certificate_after_the_retry")
def _():
    p = Pebble("pebble-late", start=False)
    name = "late." + DOMAIN
    srv = serve(p, [name], "--acme-agree-tos")
    srv.wait_log(r"cannot reach the ACME CA at %s: .*refused.*next try at"
                 % re.escape(p.directory), "the first failure")
    p.start()
    # the retry comes after the backoff (15 s), not a restart
    issued(srv, "the certificate after the retry")
    verify(p, p.tls_port, name)
    srv.stop()


@suite.case("failure_challenge_unreachable")
def _():
    failure(pebble(), ["nolistener." + DOMAIN],
            r"the CA could not reach http://nolistener\.%s/\.well-known/"
            r"acme-challenge/[-_A-Za-z0-9]+ \(.*\) — is port 80 open\? try "
            r"`padlock check nolistener\.%s`" % (DOMAIN, DOMAIN),
            "--acme-agree-tos", "--acme-challenges", "http-01", http=False)


@suite.case("pebble_restarted_mid_order_a_new_order_gets_the_certificate")
def _():
    # the first pebble validates HTTP-01 on a port that accepts and never
    # answers: the order is in flight when that connection arrives
    gate = socket.socket()
    gate.bind(("127.0.0.1", 0))
    gate.listen(8)
    held = []

    def hold():
        try:
            held.append(gate.accept()[0])
        except OSError:
            pass
    threading.Thread(target=hold, daemon=True).start()
    first = Pebble("pebble-restart-1", http_port=gate.getsockname()[1])
    http_port = common.free_port()
    name = "restart." + DOMAIN
    srv = Serve(["--domain", name, "--acme-ca", first.directory,
                 "--acme-ca-root", first.ca_root, "--acme-agree-tos",
                 "--acme-challenges", "http-01",
                 "--state-dir", state_dir("restart")],
                https_port=first.tls_port, http_port=http_port)
    try:
        wait_until(lambda: held, "pebble to validate the first order",
                   timeout=WAIT * 2)
        os.kill(first.proc.pid, signal.SIGKILL)
        wait_until(lambda: not first.proc.alive(), "pebble to die")
        # a new pebble on the same port, with none of the first's state
        second = Pebble("pebble-restart-2", acme_port=first.acme_port,
                        http_port=http_port, tls_port=first.tls_port)
        srv.wait_log(r"acme: site %s: the ACME CA lost the order "
                     r"https://127\.0\.0\.1:%d/\S+ \(.+\): placing a new one$"
                     % (re.escape(name), first.acme_port), "the line")
        issued(srv, "the certificate from the new order")
        verify(second, second.tls_port, name)
        expect_equal(len(re.findall("lost the order", srv.err())), 1,
                     "one line for the lost order")
    finally:
        gate.close()
        for c in held:
            c.close()
    srv.stop()


@suite.case("failure_name_refused")
def _():
    failure(pebble(), ["blocked." + DOMAIN],
            r"the CA will not issue a certificate for blocked\.%s" % DOMAIN,
            "--acme-agree-tos")


@suite.case("failure_terms_not_agreed")
def _():
    failure(pebble(), ["tos." + DOMAIN],
            r"terms of service are at data:text/plain.*pass "
            r"--acme-agree-tos to agree")


@suite.case("eab_required_missing_then_given")
def _():
    if "eab" not in state:
        state["eab"] = Pebble("pebble-eab", eab=True)
    p = state["eab"]
    failure(p, ["eab." + DOMAIN],
            r"requires external account binding: give --acme-eab-kid and "
            r"--acme-eab-hmac-key", "--acme-agree-tos")
    srv = serve(p, ["eab." + DOMAIN], "--acme-agree-tos", "--acme-eab-kid",
                EAB_KID, "--acme-eab-hmac-key", EAB_KEY,
                state=state_dir("eab-given"))
    issued(srv)
    verify(p, p.tls_port, "eab." + DOMAIN)
    srv.stop()


@suite.case("failure_state_dir_not_writable")
def _():
    p = pebble()
    blocker = tmp_path("a-file")
    with open(blocker, "w") as f:
        f.write("not a directory\n")
    r = run([padlock_bin(), "serve", "--domain", "ro." + DOMAIN,
             "--https-port", str(common.free_port()), "--http-port", "0",
             "--listen", "127.0.0.1", "--acme-ca", p.directory,
             "--state-dir", os.path.join(blocker, "state")],
            env=test_env(), timeout=WAIT)
    expect_equal(r.rc, 1, "exit status")
    expect_equal(r.err.strip().count("\n"), 0, "one line: %s" % r.err)
    expect_in("the ACME state directory %s/state is not writable (Not a "
              "directory): give --state-dir" % blocker, r.err, "the sentence")


if __name__ == "__main__":
    suite.run()
