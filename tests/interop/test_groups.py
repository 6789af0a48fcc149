"""The key exchange groups beyond x25519, P-256 and P-384 (issue 8, section 3):
secp521r1, x448 and the RFC 7919 groups ffdhe2048/3072/4096, against peers
no one here wrote, both ways.

- padlock_testserver, with its default groups, <- `openssl s_client -groups G`
  and `gnutls-cli --priority ...:-GROUP-ALL:+GROUP-G`: a client that offers
  one of these groups only completes a 1-RTT handshake in it. Asserted on
  what the client reports: s_client's "Server Temp Key" and the group of the
  ServerHello in its -trace (and no HelloRetryRequest), gnutls-cli's
  "- Description:" line; and the response body.
- `padlock get --tls-groups G` -> `openssl s_server -groups G`: s_server's
  -trace shows the key share of our ClientHello and of its ServerHello in G.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, Suite, converse, expect, expect_equal,  # noqa: E402
                    expect_in, expect_ok, expect_re, padlock_get, pick, pki,
                    require_tools, start_openssl_server, start_testserver,
                    testserver_bin, trace_messages)

suite = Suite("the other key exchange groups, padlock <-> openssl and gnutls")

# padlock's name: (openssl -groups, s_client's Server Temp Key, -trace name,
#                  gnutls priority name, gnutls Description key exchange)
GROUPS = {
    "secp521r1": ("P-521", "ECDH, secp521r1, 521 bits", "secp521r1",
                  "SECP521R1", "ECDHE-SECP521R1"),
    "x448": ("X448", "X448, 448 bits", "ecdh_x448", "X448", "ECDHE-X448"),
    "ffdhe2048": ("ffdhe2048", "DH, 2048 bits", "ffdhe2048", "FFDHE2048",
                  "DHE-FFDHE2048"),
    "ffdhe3072": ("ffdhe3072", "DH, 3072 bits", "ffdhe3072", "FFDHE3072",
                  "DHE-FFDHE3072"),
    "ffdhe4096": ("ffdhe4096", "DH, 4096 bits", "ffdhe4096", "FFDHE4096",
                  "DHE-FFDHE4096"),
}


def testserver():
    return start_testserver(pki().leaf("ecdsa_p256").server_args())


def expect_served(out, where):
    expect_re(r"HTTP/1\.[01] 200", out, where + " (response status)")
    expect_in(BODY, out, where + " (response body)")


def expect_one_trip(trace, group, side):
    """The -trace shows one ClientHello and a ServerHello sharing group."""
    sent, got = ("sent", "received") if side == "client" else ("received", "sent")
    hellos = pick(trace, sent, "ClientHello")
    servers = pick(trace, got, "ServerHello")
    retries = [m for m in servers if m.is_hello_retry_request()]
    expect(len(hellos) == 1 and not retries,
           "expected a 1-RTT handshake: %d ClientHello, %d HelloRetryRequest"
           % (len(hellos), len(retries)))
    trace_name = GROUPS[group][2]
    expect_equal(hellos[0].group(), [trace_name], "key share of the ClientHello")
    expect_equal(servers[-1].group(), [trace_name], "key share of the ServerHello")


def case_s_client(group):
    openssl_name, temp_key = GROUPS[group][0], GROUPS[group][1]
    server = testserver()
    argv = ["openssl", "s_client", "-tls1_3", "-groups", openssl_name,
            "-connect", "127.0.0.1:%d" % server.port, "-servername", "localhost",
            "-verify_hostname", "localhost", "-CAfile", pki().root,
            "-verify_return_error", "-trace"]
    result = converse(argv, [REQUEST], re.escape(BODY))
    out = result.out
    m = expect_re(r"New, (\S+), Cipher is", out, "s_client's session summary")
    expect_equal(m.group(1), "TLSv1.3", "protocol s_client negotiated")
    expect_in("Verify return code: 0 (ok)", out, "s_client's output")
    expect_in("Server Temp Key: " + temp_key, out, "s_client's output")
    expect_one_trip(trace_messages(out), group, "client")
    expect_served(out, "s_client's output")


def case_gnutls_cli(group):
    priority, description = GROUPS[group][3], GROUPS[group][4]
    server = testserver()
    argv = ["gnutls-cli", "-d", "4", "--x509cafile", pki().root, "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-" + priority,
            "-p", str(server.port), "localhost"]
    result = converse(argv, [REQUEST], re.escape(BODY) + r"[\s\S]*Peer has closed")
    out = result.out
    expect_in("- Status: The certificate is trusted.", out, "gnutls-cli's output")
    m = expect_re(r"^- Description: \(TLS1\.3-X\.509\)-\(([\w-]+)\)", out,
                  "gnutls-cli's output", re.M)
    expect_equal(m.group(1), description, "key exchange gnutls-cli negotiated")
    expect("HELLO RETRY REQUEST" not in result.err,
           "gnutls-cli received a HelloRetryRequest")
    expect_served(out, "gnutls-cli's output")
    expect_in("- Peer has closed the GnuTLS connection", out, "gnutls-cli's output")


def case_padlock_get(group):
    leaf = pki().leaf("ecdsa_p256")
    args = ["-tls1_3", "-cert", leaf.cert, "-key", leaf.key, "-www", "-trace",
            "-groups", GROUPS[group][0]]
    if leaf.chain != leaf.cert:
        args += ["-cert_chain", pki().intermediate]
    server = start_openssl_server(args)
    result = padlock_get(server.url("/"), "--cacert", pki().root,
                         "--tls-groups", group)
    expect_ok(result, "padlock get")
    m = expect_re(r"New, (\S+), Cipher is", result.out, "the s_server -www page")
    expect_equal(m.group(1), "TLSv1.3", "protocol s_server negotiated")
    expect_one_trip(trace_messages(server.proc.out()), group, "server")


for _group in GROUPS:
    suite.add("testserver_from_s_client_" + _group, case_s_client, _group)
    suite.add("testserver_from_gnutls_cli_" + _group, case_gnutls_cli, _group)
    suite.add("padlock_get_to_s_server_" + _group, case_padlock_get, _group)


def setup():
    require_tools("openssl", "gnutls-cli")
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
