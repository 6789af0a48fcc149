"""padlock's server (padlock_testserver) <- curl --tlsv1.3 (curl on OpenSSL).

curl reports the HTTP status and its own certificate verification result
through -w '%{http_code} %{ssl_verify_result}' (0 = verified), and with -v
the suite ("SSL connection using TLSv1.3 / TLS_..."), ALPN, the name match
and each handshake message it sent and received.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, SUITES, Skip, Suite, expect, expect_equal,  # noqa: E402
                    expect_in, expect_ok, expect_re, have_ipv6_loopback, pki,
                    require_tools, run, start_testserver, testserver_bin,
                    wait_until)

suite = Suite("padlock_testserver <- curl --tlsv1.3")

WRITE_OUT = "\n@@ %{http_code} %{ssl_verify_result} %{http_version}"


def curl(url, *extra):
    return run(["curl", "-sS", "--tlsv1.3", "--cacert", pki().root,
                "--max-time", "20", "-w", WRITE_OUT] + list(extra) + [url])


def check_fetch(result):
    """Asserts curl got the body, status 200 and verified the certificate."""
    expect_ok(result, "curl")
    m = expect_re(r"\n@@ (\d+) (\d+) ([\d.]+)$", result.out, "curl's -w output")
    expect_equal(m.group(1), "200", "HTTP status curl received")
    expect_equal(m.group(2), "0", "curl's ssl_verify_result (0 = verified)")
    expect_equal(m.group(3), "1.1", "HTTP version curl used")
    expect_equal(result.out[:m.start()], BODY + "\n", "body curl received")


def server(*args, host="127.0.0.1"):
    return start_testserver(pki().leaf("ecdsa_p256").server_args() + list(args),
                            host=host)


@suite.case("fetch_localhost")
def fetch_localhost():
    s = server()
    check_fetch(curl(s.url("/")))


@suite.case("fetch_ipv4_literal")
def fetch_ipv4():
    # The certificate names IP:127.0.0.1; curl checks it against the SAN.
    s = server()
    check_fetch(curl(s.url("/", host="127.0.0.1")))


@suite.case("fetch_ipv6_literal")
def fetch_ipv6():
    if not have_ipv6_loopback():
        raise Skip("this machine has no ::1 on its loopback interface")
    s = server(host="::1")
    check_fetch(curl(s.url("/", host="::1")))


@suite.case("verbose_reports_tls13_alpn_and_name_match")
def verbose():
    s = server("--alpn", "http/1.1")
    result = curl(s.url("/"), "-v")
    check_fetch(result)
    m = expect_re(r"SSL connection using (\S+) / (\S+)", result.err, "curl -v")
    expect_equal(m.group(1), "TLSv1.3", "protocol curl negotiated")
    expect(m.group(2) in SUITES, "curl negotiated %s" % m.group(2))
    expect_in("ALPN: server accepted http/1.1", result.err, "curl -v")
    expect_in('host "localhost" matched cert\'s "localhost"', result.err, "curl -v")
    expect_in("SSL certificate verify ok.", result.err, "curl -v")
    expect_in("TLSv1.3 (IN), TLS handshake, CERT verify (15)", result.err, "curl -v")
    expect_in("TLSv1.3 (IN), TLS handshake, Finished (20)", result.err, "curl -v")
    expect_in("TLSv1.3 (IN), TLS alert, close notify (256)", result.err,
              "curl -v (the server's close_notify)")


def case_suite(name):
    s = server()
    result = curl(s.url("/"), "-v", "--tls13-ciphers", name)
    check_fetch(result)
    expect_in("SSL connection using TLSv1.3 / %s" % name, result.err, "curl -v")


for _name in SUITES:
    suite.add("suite_" + _name, case_suite, _name)


def case_curve(curve, group):
    # curl cannot show the group; the server's log line names it.
    s = server()
    result = curl(s.url("/"), "-v", "--curves", curve)
    check_fetch(result)
    hellos = result.err.count("TLSv1.3 (OUT), TLS handshake, Client hello (1)")
    expect_equal(hellos, 1, "ClientHellos curl sent")
    wait_until(lambda: re.search(r"result=ok .*group=%s " % group, s.proc.err()),
               "the test server to log group=%s" % group, timeout=5)


for _curve, _group in (("X25519", "x25519"), ("P-256", "secp256r1"),
                       ("P-384", "secp384r1")):
    suite.add("curve_" + _curve, case_curve, _curve, _group)


@suite.case("hello_retry_request_then_x25519")
def hello_retry():
    # curl (OpenSSL) sends a share for its first curve only: P-256 here. The
    # server takes x25519 only, so curl must send a second ClientHello.
    s = server("--groups", "x25519")
    result = curl(s.url("/"), "-v", "--curves", "P-256:X25519")
    check_fetch(result)
    hellos = result.err.count("TLSv1.3 (OUT), TLS handshake, Client hello (1)")
    expect_equal(hellos, 2, "ClientHellos curl sent (HelloRetryRequest)")


def setup():
    require_tools("curl")
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
