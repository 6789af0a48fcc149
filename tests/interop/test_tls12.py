"""TLS 1.2 against real peers, both ways: padlock's server (padlock_testserver,
and `padlock serve` with an RSA-2048 certificate) <- openssl s_client -tls1_2, curl --tls-max 1.2, Python ssl (maximum_version
TLSv1_2), gnutls-cli with a TLS 1.2-only priority string; padlock get ->
openssl s_server -tls1_2 and gnutls-serv (TLS 1.2 only); and tshark, which
decrypts a TLS 1.2 capture with the CLIENT_RANDOM lines of padlock's key logs.

Every assertion is on what the peer reports: the protocol and suite it
negotiated, "Extended master secret: yes" and "Secure Renegotiation IS
supported" (s_client), the alert it received (inappropriate_fallback for a
-fallback_scsv probe, the no_renegotiation warning when it tries to
renegotiate), the body it got.
"""

import os
import re
import ssl
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, Failure, Proc, Suite, converse,  # noqa: E402
                    expect, expect_equal, expect_in, expect_ok, expect_re,
                    free_port,
                    padlock_bin, padlock_get, pki, require_tools, run,
                    start_gnutls_server, start_openssl_server,
                    start_testserver, testserver_bin, tmp_path, wait_until,
                    WAIT)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "server"))
import serve_common  # noqa: E402  (tests/server/serve_common.py)

suite = Suite("TLS 1.2: padlock <-> openssl, curl, Python, gnutls, tshark")

# IANA name -> (OpenSSL name, GnuTLS name of the cipher, certificate kind).
SUITES12 = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":
        ("ECDHE-ECDSA-AES128-GCM-SHA256", "AES-128-GCM", "ecdsa_p256"),
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":
        ("ECDHE-ECDSA-AES256-GCM-SHA384", "AES-256-GCM", "ecdsa_p256"),
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256":
        ("ECDHE-ECDSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "ecdsa_p256"),
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":
        ("ECDHE-RSA-AES128-GCM-SHA256", "AES-128-GCM", "rsa2048"),
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":
        ("ECDHE-RSA-AES256-GCM-SHA384", "AES-256-GCM", "rsa2048"),
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":
        ("ECDHE-RSA-CHACHA20-POLY1305", "CHACHA20-POLY1305", "rsa2048"),
}
TEMP_KEY = {
    "X25519": r"Server Temp Key: X25519, 253 bits",
    "P-256": r"Server Temp Key: ECDH, prime256v1, 256 bits",
    "P-384": r"Server Temp Key: ECDH, secp384r1, 384 bits",
    "P-521": r"Server Temp Key: ECDH, secp521r1, 521 bits",
    "X448": r"Server Temp Key: X448, 448 bits",
}
GNUTLS12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2"


def both_chains(*extra):
    """padlock_testserver with an ECDSA P-256 and an RSA-2048 chain."""
    args = pki().leaf("ecdsa_p256").server_args() + pki().leaf("rsa2048").server_args()
    return start_testserver(args + list(extra))


class PadlockServe:
    """`padlock serve` with an RSA-2048 chain, serving BODY as its index."""

    def __init__(self, *args):
        root = tmp_path("root")
        os.mkdir(root)
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write(BODY + "\n")
        cert = serve_common.server_cert(pki().leaf("rsa2048"))
        self.serve = serve_common.Serve(cert.args() + ["--root", root]
                                        + list(args), workers=1, http_port=0)
        self.port = self.serve.https_port


def s_client(server, *extra):
    return ["openssl", "s_client", "-tls1_2",
            "-connect", "127.0.0.1:%d" % server.port,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", pki().root, "-verify_return_error", "-trace"] + list(extra)


def fetch(server, *extra):
    return converse(s_client(server, *extra), [REQUEST], re.escape(BODY))


def check_tls12(result, openssl_suite=None):
    out = result.out
    expect_re(r"HTTP/1\.[01] 200", out, "s_client's output (response status)")
    expect_in(BODY, out, "s_client's output (response body)")
    m = expect_re(r"New, (\S+), Cipher is (\S+)", out, "s_client's session summary")
    expect_equal(m.group(1), "TLSv1.2", "protocol s_client negotiated")
    if openssl_suite:
        expect_equal(m.group(2), openssl_suite, "suite s_client negotiated")
    expect_in("Verify return code: 0 (ok)", out, "s_client's output")
    expect_in("Extended master secret: yes", out, "s_client's output")
    expect_in("Secure Renegotiation IS supported", out, "s_client's output")


# --- padlock's server <- openssl s_client -tls1_2 ----------------------------

def case_server_suite(iana):
    name = SUITES12[iana][0]
    server = both_chains()
    result = fetch(server, "-cipher", name)
    check_tls12(result, name)
    # The ServerHello of a server that also speaks TLS 1.3 ends with the
    # RFC 8446 4.1.3 sentinel "DOWNGRD" 01.
    expect_re(r"44 4f 57 4e 47 52 44 01|444f574e47524401",
              result.out.lower().replace("\n", " "),
              "ServerHello.random in s_client's trace (downgrade sentinel)")


for _iana in SUITES12:
    suite.add("server_suite_" + _iana, case_server_suite, _iana)


def case_server_group(group):
    server = both_chains()
    result = fetch(server, "-groups", group)
    check_tls12(result)
    expect_re(TEMP_KEY[group], result.out, "s_client's output (Server Temp Key)")


for _group in ("X25519", "P-256", "P-384", "P-521", "X448"):
    suite.add("server_group_" + _group, case_server_group, _group)


@suite.case("server_signs_with_rsa_pkcs1_when_the_client_asks")
def pkcs1():
    server = both_chains()
    result = fetch(server, "-cipher", "ECDHE-RSA-AES128-GCM-SHA256",
                   "-sigalgs", "RSA+SHA384")
    check_tls12(result)
    expect_re(r"Peer signature type: RSA\b", result.out, "s_client's output")
    expect_re(r"Peer signing digest: SHA384", result.out, "s_client's output")


@suite.case("server_prefers_rsa_pss")
def pss():
    server = both_chains()
    result = fetch(server, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
    check_tls12(result)
    expect_re(r"Peer signature type: RSA-PSS", result.out, "s_client's output")


@suite.case("server_signs_p384_key_with_sha384")
def p384():
    server = start_testserver(pki().leaf("ecdsa_p384").server_args())
    result = fetch(server, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    check_tls12(result)
    expect_re(r"Peer signing digest: SHA384", result.out, "s_client's output")


def case_serve_suite(iana):
    name = SUITES12[iana][0]
    result = fetch(PadlockServe(), "-cipher", name)
    check_tls12(result, name)


for _iana in SUITES12:
    if "RSA" in _iana:
        suite.add("serve_suite_" + _iana, case_serve_suite, _iana)


@suite.case("serve_tls_versions_1_3_refuses_tls12")
def serve_tls13_only():
    server = PadlockServe("--tls-versions", "1.3")
    result = run(s_client(server), input=b"", timeout=WAIT)
    expect_re(r"alert protocol version", result.err, "s_client's stderr")


@suite.case("serve_refuses_tls_versions_below_1_2")
def serve_bad_versions():
    cert = serve_common.server_cert(pki().leaf("rsa2048"))
    for value in ("1.1", "1.0-1.3", "ssl3", "1.4"):
        result = run([padlock_bin(), "serve"] + cert.args()
                     + ["--tls-versions", value, "--https-port",
                        str(free_port()),
                        "--http-port", "0", "--listen", "127.0.0.1"],
                     timeout=WAIT)
        expect_equal(result.rc, 1, "padlock serve --tls-versions %s: exit "
                     "status" % value)
        expect_in("tls-versions: '%s' is not 1.2, 1.3 or 1.2-1.3" % value,
                  result.err, "padlock serve's message")


@suite.case("serve_fallback_scsv_gets_inappropriate_fallback")
def serve_fallback():
    result = run(s_client(PadlockServe(), "-fallback_scsv"), input=b"",
                 timeout=WAIT)
    expect_re(r"alert inappropriate fallback", result.err, "s_client's stderr")


@suite.case("fallback_scsv_gets_inappropriate_fallback")
def fallback():
    server = both_chains()
    result = run(s_client(server, "-fallback_scsv"), input=b"", timeout=WAIT)
    expect_re(r"alert inappropriate fallback", result.err, "s_client's stderr")
    expect("Cipher is" not in result.out or "Cipher is (NONE)" in result.out,
           "a fallback probe got a session")


@suite.case("renegotiation_refused_with_warning")
def renegotiation():
    server = both_chains()
    result = converse(s_client(server), [r"Verify return code", b"R\n"],
                      r"no renegotiation")
    expect_re(r"Level=warning\(1\), description=no renegotiation\(100\)",
              result.out, "s_client's trace (the server's alert)")


@suite.case("tls13_only_server_refuses_tls12")
def tls13_only():
    server = both_chains("--tls-versions", "1.3")
    result = run(s_client(server), input=b"", timeout=WAIT)
    expect_re(r"alert protocol version", result.err, "s_client's stderr")


# --- curl, Python, gnutls-cli -> padlock's server -----------------------------

def case_curl(make, kind):
    require_tools("curl")
    server = make()
    result = run(["curl", "-sS", "-v", "--tls-max", "1.2", "--cacert", pki().root,
                  "--resolve", "localhost:%d:127.0.0.1" % server.port,
                  "https://localhost:%d/" % server.port], timeout=WAIT)
    expect_ok(result, "curl --tls-max 1.2")
    expect_re(r"SSL connection using TLSv1\.2 / ECDHE-%s-AES" % kind, result.err,
              "curl -v")
    expect_in(BODY, result.out, "curl's body")


suite.add("curl_tls_max_1_2", case_curl, both_chains, "ECDSA")
suite.add("serve_curl_tls_max_1_2", case_curl, PadlockServe, "RSA")


def python_get(port):
    """GET / with Python's ssl capped at TLS 1.2: (version, cipher, text)."""
    ctx = ssl.create_default_context(cafile=pki().root)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            version, cipher = tls.version(), tls.cipher()[0]
            tls.sendall(REQUEST)
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    return version, cipher, data.decode("utf-8", "replace")


def case_python(make, kind):
    version, cipher, text = python_get(make().port)
    expect_equal(version, "TLSv1.2", "Python's ssl version()")
    expect(cipher.startswith("ECDHE-%s-" % kind), "Python negotiated %s" % cipher)
    expect_in(BODY, text, "Python's response")


suite.add("python_ssl_maximum_tls12", case_python, both_chains, "ECDSA")
suite.add("serve_python_ssl_maximum_tls12", case_python, PadlockServe, "RSA")


def gnutls_cli(server, priority):
    return converse(["gnutls-cli", "--x509cafile", pki().root, "--priority",
                     priority, "-p", str(server.port), "localhost"],
                    [REQUEST], re.escape(BODY))


def case_gnutls(make):
    require_tools("gnutls-cli")
    result = gnutls_cli(make(), GNUTLS12)
    expect_re(r"Description: \(TLS1\.2[^)]*\)-\(ECDHE-[A-Z0-9]+\)", result.out,
              "gnutls-cli's session description")
    expect_in(BODY, result.out, "gnutls-cli's output")


suite.add("gnutls_cli_tls12_priority", case_gnutls, both_chains)
suite.add("serve_gnutls_cli_tls12_priority", case_gnutls, PadlockServe)


@suite.case("client_without_ems_served_unless_required")
def no_ems():
    require_tools("gnutls-cli")
    server = both_chains()
    result = gnutls_cli(server, GNUTLS12 + ":%NO_SESSION_HASH")
    expect_in(BODY, result.out, "gnutls-cli (no extended master secret)")
    strict = both_chains("--tls12-require-ems")
    refused = run(["gnutls-cli", "--x509cafile", pki().root, "--priority",
                   GNUTLS12 + ":%NO_SESSION_HASH", "-p", str(strict.port),
                   "localhost"], input=b"", timeout=WAIT)
    expect_re(r"Handshake failed|handshake failed", refused.err + refused.out,
              "gnutls-cli against --tls12-require-ems")
    expect_re(r"[Hh]andshake failure|Received alert \[40\]",
              refused.err + refused.out, "the alert gnutls-cli received")


# --- padlock get -> openssl s_server -tls1_2, gnutls-serv ---------------------

def case_client_suite(iana):
    name, _, kind = SUITES12[iana]
    leaf = pki().leaf(kind)
    server = start_openssl_server(["-tls1_2", "-cipher", name, "-cert", leaf.cert,
                                   "-key", leaf.key, "-cert_chain",
                                   pki().intermediate, "-www"])
    result = padlock_get(server.url("/"), "--cacert", pki().root)
    expect_ok(result, "padlock get")
    expect_re(r"Protocol\s+: TLSv1\.2", result.out, "the s_server -www page")
    expect_re(r"Cipher\s+: %s" % re.escape(name), result.out, "the s_server -www page")


for _iana in SUITES12:
    suite.add("client_suite_" + _iana, case_client_suite, _iana)


@suite.case("client_gnutls_serv_tls12")
def client_gnutls():
    require_tools("gnutls-serv")
    leaf = pki().leaf("ecdsa_p256")
    server = start_gnutls_server(["--http", "--x509certfile", leaf.chain,
                                  "--x509keyfile", leaf.key, "--priority",
                                  GNUTLS12])
    result = padlock_get(server.url("/"), "--cacert", pki().root, "-v")
    expect_ok(result, "padlock get against gnutls-serv (TLS 1.2 only)")
    expect_re(r"protocol\s+TLS 1\.2", result.out + result.err, "padlock get -v")
    expect_re(r"TLS1\.2", result.out, "gnutls-serv's page")
    # -v tells the TLS 1.2 flow in its own messages.
    for head in ("← ServerKeyExchange", "ClientKeyExchange →",
                 "CCS, Finished →", "← CCS, Finished"):
        expect_in(head, result.err, "padlock get -v")
    expect_re(r"premaster secret\s+none was sent: TLS 1\.2's is the "
              r"ephemeral ECDHE \(x25519\)", result.err, "padlock get -v")


@suite.case("welcome_page_tells_a_tls12_visitor")
def welcome12():
    cert = serve_common.server_cert(pki().leaf("rsa2048"))
    serve = serve_common.Serve(cert.args(), workers=1, http_port=0)
    _, _, page = python_get(serve.https_port)
    expect_re(r"HTTP/1\.1 200", page, "the welcome page's status")
    expect_in("TLS 1.2", page, "the welcome page")
    m = expect_re(r'<p id="premaster">(.*?)</p>', page, "the premaster section",
                  re.S)
    for words in ("ServerKeyExchange", "ClientKeyExchange", "master secret",
                  "ChangeCipherSpec", "Finished", "TLS 1.3 would"):
        expect_in(words, m.group(1), "the premaster section")


# --- tshark decrypts a TLS 1.2 capture with the key logs ----------------------

@suite.case("tshark_decrypts_tls12_with_client_random_lines")
def tshark():
    require_tools("tshark")
    server_log = tmp_path("server12.keylog")
    client_log = tmp_path("client12.keylog")
    pcap = tmp_path("tls12.pcapng")
    server = start_testserver(pki().leaf("ecdsa_p256").server_args()
                              + ["--keylog", server_log, "--tls-versions", "1.2"])
    cap = Proc("tshark", ["tshark", "-i", "lo", "-f", "tcp port %d" % server.port,
                          "-w", pcap])
    wait_until(lambda: "Capturing on" in cap.err() or not cap.alive(),
               "tshark to start capturing on lo")
    if not cap.alive():
        raise Failure("tshark cannot capture on lo: %s" % cap.err().strip())
    time.sleep(1.0)
    env = dict(os.environ, SSLKEYLOGFILE=client_log)
    result = padlock_get(server.url("/tls12"), "--cacert", pki().root, env=env)
    expect_ok(result, "padlock get over TLS 1.2")
    time.sleep(0.5)
    cap.stop()
    for log in (client_log, server_log):
        with open(log) as f:
            lines = [line.split() for line in f if line.strip()]
        expect(len(lines) == 1 and lines[0][0] == "CLIENT_RANDOM"
               and len(lines[0][1]) == 64 and len(lines[0][2]) == 96,
               "key log %s is not one CLIENT_RANDOM line: %r" % (log, lines))
    for log in (client_log, server_log, None):
        argv = ["tshark", "-r", pcap]
        if log:
            argv += ["-o", "tls.keylog_file:" + log]
        argv += ["-Y", "http.request", "-T", "fields", "-e", "http.request.uri",
                 "-e", "tls.record.version"]
        rows = run(argv, timeout=60)
        expect_ok(rows, "tshark -r")
        if log:
            expect_in("/tls12", rows.out, "the request tshark decrypted")
            expect_in("0x0303", rows.out, "the record version")
        else:
            expect_equal(rows.out.strip(), "", "HTTP dissected without the keys")


def setup():
    require_tools("openssl")
    testserver_bin()
    padlock_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
