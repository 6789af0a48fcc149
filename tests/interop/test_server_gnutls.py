"""padlock's server (padlock_testserver) <- GnuTLS's gnutls-cli, TLS 1.3 only.

gnutls-cli prints the session it negotiated as one line, e.g.
  - Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)
and, with -d 4, its handshake log on stderr (key shares it sent, a
HelloRetryRequest it received, KeyUpdate). The cases assert on those, on the
certificate status, on the response body and on the server's close_notify
("Peer has closed the GnuTLS connection").
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, Suite, converse, expect, expect_in,  # noqa: E402
                    expect_re, pki, require_tools, start_testserver,
                    testserver_bin)

suite = Suite("padlock_testserver <- gnutls-cli (TLS 1.3)")

TLS13 = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
GNUTLS_SUITE = {"TLS_AES_128_GCM_SHA256": "AES-128-GCM",
                "TLS_AES_256_GCM_SHA384": "AES-256-GCM",
                "TLS_CHACHA20_POLY1305_SHA256": "CHACHA20-POLY1305"}
GNUTLS_GROUP = {"x25519": "X25519", "secp256r1": "SECP256R1",
                "secp384r1": "SECP384R1"}
GNUTLS_SIG = {"ecdsa_p256": "ECDSA-SECP256R1-SHA256",
              "ecdsa_p384": "ECDSA-SECP384R1-SHA384",
              "rsa2048": "RSA-PSS-RSAE-SHA256",
              "ed25519": "EdDSA-Ed25519"}
DESCRIPTION = re.compile(r"^- Description: \(TLS1\.3-X\.509\)-\(ECDHE-([\w-]+)\)"
                         r"-\(([\w-]+)\)-\(([\w-]+)\)$", re.M)


def gnutls_cli(server, priority=TLS13, *extra):
    return ["gnutls-cli", "-d", "4", "--x509cafile", pki().root,
            "--priority", priority, "-p", str(server.port)] + list(extra) + ["localhost"]


def fetch(server, priority=TLS13, *extra, steps=None):
    steps = [REQUEST] if steps is None else steps
    return converse(gnutls_cli(server, priority, *extra), steps,
                    re.escape(BODY) + r"[\s\S]*Peer has closed")


def check_session(result, group=None, sig=None, cipher=None, hello_retry=False):
    """Asserts the TLS 1.3 session gnutls-cli reports, and the response."""
    out = result.out
    expect_in("- Status: The certificate is trusted.", out, "gnutls-cli's output")
    expect_in("- Handshake was completed", out, "gnutls-cli's output")
    m = DESCRIPTION.search(out)
    expect(m, "no TLS 1.3 '- Description:' line in gnutls-cli's output")
    if group:
        expect(m.group(1) == GNUTLS_GROUP[group], "gnutls-cli negotiated group "
               "%s, expected %s" % (m.group(1), GNUTLS_GROUP[group]))
    if sig:
        expect(m.group(2) == sig, "gnutls-cli saw signature %s, expected %s"
               % (m.group(2), sig))
    if cipher:
        expect(m.group(3) == cipher, "gnutls-cli negotiated cipher %s, "
               "expected %s" % (m.group(3), cipher))
    expect_re(r"HTTP/1\.[01] 200", out, "gnutls-cli's output (response status)")
    expect_in(BODY, out, "gnutls-cli's output (response body)")
    # close_notify from the server, not a bare TCP close.
    expect_in("- Peer has closed the GnuTLS connection", out, "gnutls-cli's output")
    expect("non-properly terminated" not in out + result.err,
           "gnutls-cli: the connection was not closed with close_notify")
    retried = "HELLO RETRY REQUEST" in result.err
    expect(retried == hello_retry, "gnutls-cli %s a HelloRetryRequest"
           % ("received no" if hello_retry else "unexpectedly received"))


@suite.case("default_priority")
def default():
    server = start_testserver(pki().leaf("ecdsa_p256").server_args())
    check_session(fetch(server), sig=GNUTLS_SIG["ecdsa_p256"])


def case_suite(name):
    server = start_testserver(pki().leaf("ecdsa_p256").server_args())
    cipher = GNUTLS_SUITE[name]
    result = fetch(server, TLS13 + ":-CIPHER-ALL:+" + cipher)
    check_session(result, cipher=cipher)


for _name in GNUTLS_SUITE:
    suite.add("suite_" + _name, case_suite, _name)


def case_group(group):
    server = start_testserver(pki().leaf("ecdsa_p256").server_args())
    result = fetch(server, TLS13 + ":-GROUP-ALL:+GROUP-" + GNUTLS_GROUP[group])
    check_session(result, group=group)


for _group in GNUTLS_GROUP:
    suite.add("group_" + _group, case_group, _group)


def case_certificate(kind):
    server = start_testserver(pki().leaf(kind).server_args())
    result = fetch(server)
    check_session(result, sig=GNUTLS_SIG[kind])
    expect_in("subject `CN=padlock test %s'" % kind, result.out,
              "gnutls-cli's output (certificate subject)")
    expect_in("Got a certificate list of 2 certificates", result.out,
              "gnutls-cli's output (leaf + intermediate)")


for _kind in GNUTLS_SIG:
    suite.add("cert_" + _kind, case_certificate, _kind)


@suite.case("hello_retry_request_for_secp384r1")
def hello_retry():
    # gnutls-cli sends SECP256R1 and X25519 shares; a server that only takes
    # secp384r1 must ask again with a HelloRetryRequest.
    server = start_testserver(pki().leaf("ecdsa_p256").server_args()
                              + ["--groups", "secp384r1"])
    result = fetch(server)
    check_session(result, group="secp384r1", hello_retry=True)
    expect_in("HRR key share with SECP384R1", result.err, "gnutls-cli's debug log")


@suite.case("alpn_http11")
def alpn():
    server = start_testserver(pki().leaf("ecdsa_p256").server_args()
                              + ["--alpn", "http/1.1"])
    result = fetch(server, TLS13, "--alpn", "h2", "--alpn", "http/1.1")
    check_session(result)
    expect_in("- Application protocol: http/1.1", result.out, "gnutls-cli's output")


@suite.case("key_update_both_ways")
def key_update():
    # ^rekey^ makes gnutls-cli send KeyUpdate(update_requested); the server
    # must answer with KeyUpdate(update_not_requested) and keep serving.
    server = start_testserver(pki().leaf("ecdsa_p256").server_args())
    result = fetch(server, TLS13, "--inline-commands",
                   steps=["Simple Client Mode", 0.2, b"^rekey^\n",
                          "Rekey was completed", 0.3, REQUEST])
    check_session(result)
    expect_in("sending key update (1)", result.err, "gnutls-cli's debug log")
    expect_re(r"received TLS 1\.3 key update \(0\)", result.err,
              "gnutls-cli's debug log (the server's answering KeyUpdate)")


def setup():
    require_tools("gnutls-cli")
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
