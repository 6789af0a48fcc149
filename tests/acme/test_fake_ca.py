"""padlock serve --domain against a small ACME CA of our own (fake_ca.py),
for what pebble 2.4 does not do: renewal information (RFC 9773) and a
TLS-ALPN-01 validator that speaks TLS 1.2.

Cases: the CA's renewal window decides when padlock renews (not before
the window opens), the new order's "replaces" names the old certificate
(its identifier computed here from the certificate), the window is asked
for again for the new certificate and named in the log, also in the
status line at the next start (which orders nothing); padlock cert
--acme run again sends the stored certificate as "replaces"; a CA
without renewalInfo is never asked for it and gets no "replaces"; and the
TLS-ALPN-01 challenge certificate served on a TLS 1.2 acme-tls/1
handshake (openssl s_client -tls1_2 and Python's ssl, acmeIdentifier
checked).
"""

import atexit
import datetime
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, HERE)
from serve_common import common  # noqa: E402
from serve_common import (Serve, Skip, Suite, WAIT, expect,  # noqa: E402
                          expect_equal, padlock_bin, run, test_env, tmp_path,
                          wait_until)

suite = Suite("padlock serve: ACME renewal information and TLS 1.2 "
              "validation against a fake CA")

DOMAIN = "acmetest.net"
cas = []


def setup():
    try:
        import fake_ca  # noqa: F401
    except ImportError as e:
        raise Skip("python3-cryptography is missing (scripts/deps.sh): %s" % e)


def teardown():
    for ca in cas:
        ca.stop()


suite.setup = setup
atexit.register(teardown)


def new_ca(**kw):
    import fake_ca
    ca = fake_ca.FakeCA(tmp_path("fake-ca"), **kw)
    cas.append(ca)
    ca.http_port = common.free_port()
    ca.tls_port = common.free_port()
    return ca


def serve(ca, names, state, *extra, http=True):
    args = []
    for n in names:
        args += ["--domain", n]
    args += ["--acme-ca", ca.directory, "--acme-ca-root", ca.ca_root,
             "--acme-agree-tos", "--state-dir", state] + list(extra)
    return Serve(args, https_port=ca.tls_port,
                 http_port=ca.http_port if http else 0)


def served_serial(ca, name):
    r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % ca.tls_port,
             "-servername", name, "-CAfile", ca.issuing_root,
             "-verify_return_error", "-verify_hostname", name], input=b"")
    if r.rc != 0:
        return None
    x = run(["openssl", "x509", "-noout", "-serial"], input=r.out.encode())
    # openssl prints whole bytes ("070E..."): compare as numbers do
    return (x.out.strip().split("=")[-1].lower().lstrip("0") or "0"
            if x.rc == 0 else None)


def utc(cert, field):
    """A validity bound as epoch seconds (cryptography before and after
    its _utc properties)."""
    v = getattr(cert, field + "_utc", None)
    if v is None:
        v = getattr(cert, field).replace(tzinfo=datetime.timezone.utc)
    return v.timestamp()


def hex_serial(cert):
    return "%x" % cert.serial_number


@suite.case("ari_window_decides_renewal_and_replaces_names_the_old_cert")
def _():
    import fake_ca
    opened = {}

    def window(ident, issued):
        # the first certificate: a window opening 4 s after issuance;
        # every later one: a month away
        if not opened:
            opened[ident] = (int(issued) + 4, int(issued) + 16)
        if ident in opened:
            return opened[ident] + (21600,)
        return (int(issued) + 30 * 86400, int(issued) + 31 * 86400, 21600)

    ca = new_ca(window=window)
    name = "ari." + DOMAIN
    state = tmp_path("state-ari")
    srv = serve(ca, [name], state, "--acme-challenges", "http-01",
                "--acme-check-interval", "1")
    wait_until(lambda: len(ca.seen_orders) >= 2, "the renewal's order",
               timeout=WAIT * 3)
    first = ca.orders["1"]["cert"]
    first_id = fake_ca.cert_id(first)
    start, end = opened[first_id]
    expect_equal(ca.seen_orders[0][2], None, "the first order's replaces")
    expect_equal(ca.seen_orders[1][2], first_id,
                 "the renewal's replaces (RFC 9773 5)")
    expect(any(a[1] == first_id and a[2] == 200 for a in ca.seen_ari),
           "the window asked for %s: %s" % (first_id, ca.seen_ari))
    # renewal waits for the window to open
    expect(ca.seen_orders[1][0] >= start,
           "the renewal ordered at %.1f, before the window opened at %d"
           % (ca.seen_orders[1][0], start))
    m = srv.wait_log(r"acme: site %s: the CA's renewal window \(ARI\) is "
                     r"(\S+ \S+) UTC to (\S+ \S+) UTC: renewal at (\S+ \S+) "
                     r"UTC" % re.escape(name), "the window's log line")
    fmt = lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
    expect_equal((m.group(1), m.group(2)), (fmt(start), fmt(end)),
                 "the window in the log")
    expect(fmt(start) <= m.group(3) <= fmt(end), "the renewal time %s is "
           "inside the window" % m.group(3))
    wait_until(lambda: "2" in ca.orders and ca.orders["2"]["cert"] is not None
               and served_serial(ca, name) == hex_serial(ca.orders["2"]["cert"]),
               "the renewed certificate to be served", timeout=WAIT * 3)
    second_id = fake_ca.cert_id(ca.orders["2"]["cert"])
    wait_until(lambda: any(a[1] == second_id for a in ca.seen_ari),
               "the new certificate's window to be asked for")
    srv.wait_log(r"acme: site %s: certificate for %s from CN=Fake ACME "
                 r"Intermediate, expires .*, renewal from .* \(inside the "
                 r"CA's ARI window " % (re.escape(name), re.escape(name)),
                 "the status line with the window")
    srv.stop()
    expect_equal(len(ca.seen_orders), 2, "orders")

    # the next start names the window in its status line and orders nothing
    asked = len(ca.seen_ari)
    srv = serve(ca, [name], state, "--acme-challenges", "http-01")
    srv.wait_log(r"acme: site %s: certificate for %s from CN=Fake ACME "
                 r"Intermediate, expires .*, renewal from .* \(inside the "
                 r"CA's ARI window %s UTC to %s UTC\)"
                 % (re.escape(name), re.escape(name),
                    fmt(int(ca.certs[second_id][1]) + 30 * 86400),
                    fmt(int(ca.certs[second_id][1]) + 31 * 86400)),
                 "the status line at start")
    expect(len(ca.seen_ari) > asked, "asked again at start")
    srv.stop()
    expect_equal(len(ca.seen_orders), 2, "no order at the next start")
    expect("ordering a certificate" not in srv.err(), "no order in the log")


@suite.case("cert_acme_run_again_replaces_the_stored_certificate")
def _():
    import fake_ca
    ca = new_ca(window=lambda ident, issued: (issued + 86400,
                                              issued + 2 * 86400, 3600))
    name = "cli-ari." + DOMAIN
    state = tmp_path("state-cli-ari")

    def cert_acme():
        r = run([padlock_bin(), "cert", "--acme", "--acme-ca", ca.directory,
                 "--acme-ca-root", ca.ca_root, "--acme-agree-tos",
                 "--http-port", str(ca.http_port), "--listen", "127.0.0.1",
                 "--state-dir", state, name], timeout=WAIT * 3,
                env=test_env())
        expect_equal(r.rc, 0, "padlock cert --acme: %s" % r.err)
    cert_acme()
    cert_acme()
    expect_equal([o[2] for o in ca.seen_orders],
                 [None, fake_ca.cert_id(ca.orders["1"]["cert"])],
                 "the orders' replaces")


@suite.case("without_renewal_info_no_ari_request_and_no_replaces")
def _():
    ca = new_ca(ari=False, lifetime=3 * 86400)
    name = "noari." + DOMAIN
    srv = serve(ca, [name], tmp_path("state-noari"), "--acme-challenges",
                "http-01")
    m = srv.wait_log(r"acme: site %s: certificate for .* renewal from "
                     r"(\S+ \S+) UTC$" % re.escape(name),
                     "the status line", timeout=WAIT * 3)
    cert = ca.orders["1"]["cert"]
    nb, na = utc(cert, "not_valid_before"), utc(cert, "not_valid_after")
    # two thirds of the lifetime, plus up to 2% of that as jitter
    lo = nb + (na - nb) * 0.67
    fmt = lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
    expect(fmt(lo - 60) <= m.group(1) <= fmt(lo + (lo - nb) * 0.02 + 60),
           "renewal from %s, two thirds of %s..%s" % (m.group(1), fmt(nb),
                                                      fmt(na)))
    srv.stop()
    expect_equal([o[2] for o in ca.seen_orders], [None], "replaces")
    expect_equal([a for a in ca.seen_ari], [], "renewal information asked")
    expect(not any(p.startswith("/renewal-info") for p in ca.unknown),
           "no renewal-info request")
    expect("ARI" not in srv.err(), "no ARI line")


@suite.case("tlsalpn01_challenge_certificate_over_tls12")
def _():
    ca = new_ca(ari=False, tls_max="1.2")
    name = "alpn12." + DOMAIN
    srv = serve(ca, [name], tmp_path("state-alpn12"), "--acme-challenges",
                "tls-alpn-01", http=False)
    wait_until(lambda: ca.validations, "the CA's validation",
               timeout=WAIT * 3)
    v = ca.validations[0]
    expect_equal((v["type"], v["ok"]), ("tls-alpn-01", True),
                 "the validation: %s" % v)
    expect_equal(v.get("version"), "TLSv1.2", "Python's ssl handshake")
    expect_equal(v.get("alpn"), "acme-tls/1", "the ALPN padlock chose")
    expect_equal((v.get("s_client_version"), v.get("s_client_alpn")),
                 ("TLSv1.2", True), "openssl s_client -tls1_2 -alpn acme-tls/1")
    wait_until(lambda: served_serial(ca, name) is not None,
               "the certificate to be served", timeout=WAIT * 3)
    expect_equal(served_serial(ca, name), hex_serial(ca.orders["1"]["cert"]),
                 "the served certificate")
    # outside a challenge, acme-tls/1 gets no challenge certificate
    r = run(["openssl", "s_client", "-tls1_2", "-alpn", "acme-tls/1",
             "-servername", name, "-connect", "127.0.0.1:%d" % ca.tls_port],
            input=b"")
    expect("ALPN protocol: acme-tls/1" not in r.out,
           "acme-tls/1 after the challenge: %s" % r.out[-300:])
    srv.stop()


if __name__ == "__main__":
    suite.run()
