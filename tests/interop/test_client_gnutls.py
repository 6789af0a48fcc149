"""padlock's client (`padlock get`) -> GnuTLS's gnutls-serv --http, TLS 1.3 only.

gnutls-serv --http answers with a page describing the session:
  Protocol version: TLS1.3
  Description: (TLS1.3-X.509)-(ECDHE-SECP384R1)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)
  Server Name: localhost
and, with -d 4, logs its handshake on stderr (the key shares it received, a
HelloRetryRequest it queued, a CertificateRequest it sent). The cases assert
on the page our client printed and on that log.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (Suite, expect, expect_equal, expect_in, expect_ok,  # noqa: E402
                    padlock_bin, padlock_get, pki, require_tools,
                    start_gnutls_server, wait_until)

suite = Suite("padlock get -> gnutls-serv --http (TLS 1.3)")

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
DESCRIPTION = re.compile(r"Description:</TD><TD>\(TLS1\.3-X\.509\)-\(ECDHE-([\w-]+)\)"
                         r"-\(([\w-]+)\)-\(([\w-]+)\)</TD>")


def gnutls_serv(kind="ecdsa_p256", priority=TLS13, *extra, request_cert=False):
    leaf = pki().leaf(kind)
    args = ["--http", "-d", "4", "--x509certfile", leaf.chain,
            "--x509keyfile", leaf.key, "--priority", priority]
    if not request_cert:
        args.append("--disable-client-cert")
    return start_gnutls_server(args + list(extra))


def get(server, *options):
    return padlock_get(server.url("/"), "--cacert", pki().root, *options)


def check_page(result, group=None, sig=None, cipher=None):
    expect_ok(result, "padlock get")
    page = result.out
    expect_in("<TD>Protocol version:</TD><TD>TLS1.3</TD>", page,
              "the gnutls-serv page")
    m = DESCRIPTION.search(page)
    expect(m, "no TLS 1.3 session description in the gnutls-serv page")
    if group:
        expect_equal(m.group(1), GNUTLS_GROUP[group], "group gnutls-serv negotiated")
    if sig:
        expect_equal(m.group(2), sig, "signature gnutls-serv used")
    if cipher:
        expect_equal(m.group(3), cipher, "cipher gnutls-serv negotiated")
        expect_in("<TD>Cipher</TD><TD>%s</TD>" % cipher, page, "the gnutls-serv page")
    expect_in("<p>Server Name: localhost</p>", page, "the gnutls-serv page (SNI)")
    expect(re.search(r"Your HTTP header was:<PRE>Host: localhost:\d+\r?\n", page),
           "the gnutls-serv page does not echo our Host header")
    expect(page.rstrip().endswith("</HTML>"), "the page is cut short: ...%r"
           % page[-80:])


def server_log(server):
    return server.proc.err() + server.proc.out()


def hello_retry_sent(server):
    return "HELLO RETRY REQUEST was queued" in server_log(server)


@suite.case("default_priority")
def default():
    server = gnutls_serv()
    check_page(get(server), sig=GNUTLS_SIG["ecdsa_p256"])
    expect(not hello_retry_sent(server), "gnutls-serv sent a HelloRetryRequest "
           "although it accepts every group we offer")


def case_suite(name):
    cipher = GNUTLS_SUITE[name]
    server = gnutls_serv("ecdsa_p256", TLS13 + ":-CIPHER-ALL:+" + cipher)
    check_page(get(server), cipher=cipher)


for _name in GNUTLS_SUITE:
    suite.add("suite_" + _name, case_suite, _name)


def case_group(group):
    priority = TLS13 + ":-GROUP-ALL:+GROUP-" + GNUTLS_GROUP[group]
    server = gnutls_serv("ecdsa_p256", priority)
    check_page(get(server, "--tls-groups", group), group=group)
    expect(not hello_retry_sent(server), "gnutls-serv sent a HelloRetryRequest "
           "although our only key share was %s" % group)


for _group in GNUTLS_GROUP:
    suite.add("group_" + _group, case_group, _group)


def case_certificate(kind):
    server = gnutls_serv(kind)
    check_page(get(server), sig=GNUTLS_SIG[kind])


for _kind in GNUTLS_SIG:
    suite.add("cert_" + _kind, case_certificate, _kind)


@suite.case("hello_retry_request_secp384r1_only")
def hello_retry():
    # gnutls-serv takes only SECP384R1; our default first share is x25519,
    # so the server must ask again and our second ClientHello must carry a
    # SECP384R1 share (and echo gnutls's cookie).
    server = gnutls_serv("ecdsa_p256", TLS13 + ":-GROUP-ALL:+GROUP-SECP384R1")
    result = get(server, "-v")
    check_page(result, group="secp384r1")
    log = server_log(server)
    expect_in("requesting retry with group SECP384R1", log, "gnutls-serv's log")
    expect(hello_retry_sent(server), "gnutls-serv sent no HelloRetryRequest")
    expect_in("Received key share for SECP384R1", log, "gnutls-serv's log")
    expect(re.search(r"hello\s*retry\s*request", result.err, re.I),
           "padlock get -v does not mention the HelloRetryRequest")


@suite.case("certificate_request_answered_without_certificate")
def certificate_request():
    # By default gnutls-serv asks for a client certificate (optional). We have
    # none: RFC 8446 4.4.2 says send an empty Certificate, then Finished.
    server = gnutls_serv(request_cert=True)
    check_page(get(server))
    log = server_log(server)
    expect_in("CERTIFICATE REQUEST was queued", log, "gnutls-serv's log")
    # An empty Certificate body: context<0> and certificate_list<0>, 4 bytes.
    expect(re.search(r"CERTIFICATE \(11\) was received\. Length 4\b", log),
           "gnutls-serv did not receive an empty client Certificate")


@suite.case("alpn_http11")
def alpn():
    server = gnutls_serv("ecdsa_p256", TLS13, "--alpn", "http/1.1")
    check_page(get(server, "--alpn", "http/1.1"))
    wait_until(lambda: "- Application protocol: http/1.1" in server_log(server),
               "gnutls-serv to log the negotiated ALPN", timeout=5)


def setup():
    require_tools("gnutls-serv")
    padlock_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
