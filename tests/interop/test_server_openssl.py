"""padlock's server (padlock_testserver) <- OpenSSL's `openssl s_client -tls1_3`.

Each case starts the test server with one configuration, connects with
s_client (-trace, so every handshake message it sent and received is
printed), sends an HTTP request and asserts on what s_client reports: the
protocol and suite ("New, TLSv1.3, Cipher is ..."), the key exchange group
("Server Temp Key"), the signature scheme ("Peer signature type", and the
CertificateVerify it decoded), ALPN, the verification result, the response,
and, from the trace, whether a HelloRetryRequest happened.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, SIGSCHEME, SUITES, Suite, alerts,  # noqa: E402
                    converse, expect, expect_equal, expect_in, expect_re,
                    expect_same_secrets,
                    msg_messages, pick,
                    pki, require_tools, start_testserver, testserver_bin,
                    tmp_path, trace_messages, wait_until)

suite = Suite("padlock_testserver <- openssl s_client -tls1_3")

# What s_client prints as "Server Temp Key" for each group.
TEMP_KEY = {
    "x25519": r"Server Temp Key: X25519, 253 bits",
    "secp256r1": r"Server Temp Key: ECDH, prime256v1, 256 bits",
    "secp384r1": r"Server Temp Key: ECDH, secp384r1, 384 bits",
}
# openssl's -groups names and its trace names for our group names.
OPENSSL_GROUP = {"x25519": "X25519", "secp256r1": "P-256", "secp384r1": "P-384"}
TRACE_GROUP = {"x25519": "ecdh_x25519", "secp256r1": "secp256r1",
               "secp384r1": "secp384r1"}
# What s_client prints as "Peer signature type" / "Peer signing digest".
PEER_SIG = {
    "ecdsa_secp256r1_sha256": ("ECDSA", "SHA256"),
    "ecdsa_secp384r1_sha384": ("ECDSA", "SHA384"),
    "rsa_pss_rsae_sha256": ("RSA-PSS", "SHA256"),
    "rsa_pss_rsae_sha384": ("RSA-PSS", "SHA384"),
    "rsa_pss_rsae_sha512": ("RSA-PSS", "SHA512"),
    "ed25519": ("Ed25519", None),
}


def s_client(server, *extra):
    return ["openssl", "s_client", "-tls1_3",
            "-connect", "127.0.0.1:%d" % server.port,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", pki().root, "-verify_return_error", "-trace"] + list(extra)


def fetch(server, *extra, steps=None):
    """Connects, sends REQUEST, waits for the body; returns (result, trace)."""
    steps = [REQUEST] if steps is None else steps
    result = converse(s_client(server, *extra), steps, re.escape(BODY))
    return result, trace_messages(result.out)


def check_session(result, trace, suite_name=None, group=None, scheme=None,
                  hello_retry=False):
    """Asserts a complete TLS 1.3 session and the response, as s_client saw it."""
    out = result.out
    expect_re(r"HTTP/1\.[01] 200", out, "s_client's output (response status)")
    expect_in(BODY, out, "s_client's output (response body)")
    m = expect_re(r"New, (\S+), Cipher is (\S+)", out, "s_client's session summary")
    expect_equal(m.group(1), "TLSv1.3", "protocol s_client negotiated")
    expect_in("Verify return code: 0 (ok)", out, "s_client's output")
    if suite_name:
        expect_equal(m.group(2), suite_name, "suite s_client negotiated")
    if group:
        expect_re(TEMP_KEY[group], out, "s_client's output (Server Temp Key)")
    if scheme:
        kind, digest = PEER_SIG[scheme]
        sig = expect_re(r"Peer signature type: (\S+)", out, "s_client's output")
        expect_equal(sig.group(1).lower(), kind.lower(), "Peer signature type")
        if digest:
            expect_re(r"Peer signing digest: %s" % digest, out, "s_client's output")
        verify = pick(trace, "received", "CertificateVerify")
        expect(len(verify) == 1, "s_client received %d CertificateVerify" % len(verify))
        expect_equal(verify[0].signature_scheme(), scheme,
                     "CertificateVerify signature scheme (s_client -trace)")
    hellos = pick(trace, "sent", "ClientHello")
    retries = [m for m in pick(trace, "received", "ServerHello")
               if m.is_hello_retry_request()]
    if hello_retry:
        expect(len(retries) == 1 and len(hellos) == 2,
               "expected one HelloRetryRequest and two ClientHellos, s_client "
               "saw %d HRR and sent %d ClientHello" % (len(retries), len(hellos)))
    else:
        expect(not retries and len(hellos) == 1,
               "expected a 1-RTT handshake, s_client saw %d HelloRetryRequest "
               "and sent %d ClientHello" % (len(retries), len(hellos)))
    finished = pick(trace, "received", "Finished")
    expect(len(finished) == 1, "s_client received %d server Finished" % len(finished))
    bad = [a for a in alerts(trace, "received") if a.level == "fatal"]
    expect(not bad, "s_client received a fatal alert: %s" % (bad and bad[0].text))


def server_with(kind="ecdsa_p256", *args):
    return start_testserver(pki().leaf(kind).server_args() + list(args))


# --- each cipher suite ------------------------------------------------------

def case_suite(name):
    server = server_with()
    result, trace = fetch(server, "-ciphersuites", name)
    check_session(result, trace, suite_name=name)
    hello = pick(trace, "received", "ServerHello")
    expect_equal(hello[-1].cipher(), name, "cipher_suite in ServerHello (trace)")


for _name in SUITES:
    suite.add("suite_" + _name, case_suite, _name)


# --- each key exchange group ------------------------------------------------

def case_group(group):
    server = server_with()
    result, trace = fetch(server, "-groups", OPENSSL_GROUP[group])
    check_session(result, trace, group=group)
    share = pick(trace, "received", "ServerHello")[-1].group()
    expect_equal(share, [TRACE_GROUP[group]], "key_share group in ServerHello")


for _group in ("x25519", "secp256r1", "secp384r1"):
    suite.add("group_" + _group, case_group, _group)


# --- each certificate type / signature scheme -------------------------------

def case_certificate(kind, scheme):
    server = server_with(kind)
    result, trace = fetch(server, "-sigalgs", scheme)
    check_session(result, trace, scheme=scheme)
    expect_in("subject=CN = padlock test %s" % kind, result.out,
              "s_client's output (server certificate subject)")
    chain = re.findall(r"^ *\d+ s:(.*)$", result.out, re.M)
    expect(len(chain) == 2, "server sent %d certificates, expected leaf + "
           "intermediate: %s" % (len(chain), chain))


for _kind, _scheme in sorted(SIGSCHEME.items()):
    suite.add("cert_%s_%s" % (_kind, _scheme), case_certificate, _kind, _scheme)
for _scheme in ("rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"):
    suite.add("cert_rsa2048_" + _scheme, case_certificate, "rsa2048", _scheme)


# --- key shares and HelloRetryRequest ---------------------------------------

@suite.case("key_share_p384_accepted_without_retry")
def key_share_p384():
    # s_client sends a key share for the first group only: P-384 here, with
    # X25519 also offered. The share is acceptable, so no HRR is needed.
    server = server_with()
    result, trace = fetch(server, "-groups", "P-384:X25519")
    check_session(result, trace, group="secp384r1", hello_retry=False)
    first = pick(trace, "sent", "ClientHello")[0].group()
    expect_equal(first, ["secp384r1"], "key shares s_client offered")


@suite.case("hello_retry_request_for_x25519")
def hello_retry():
    # s_client offers a P-256 share first; the server only accepts x25519,
    # so it must ask for an x25519 share with a HelloRetryRequest.
    server = server_with("ecdsa_p256", "--groups", "x25519")
    result, trace = fetch(server, "-groups", "P-256:X25519")
    check_session(result, trace, group="x25519", hello_retry=True)
    hrr = [m for m in pick(trace, "received", "ServerHello")
           if m.is_hello_retry_request()][0]
    expect_equal(hrr.group(), ["ecdh_x25519"], "group requested by the HRR")
    second = pick(trace, "sent", "ClientHello")[1].group()
    expect_equal(second, ["ecdh_x25519"], "key share of the second ClientHello")


@suite.case("hello_retry_request_with_cookie")
def hello_retry_cookie():
    server = server_with("ecdsa_p256", "--require-cookie")
    result, trace = fetch(server)
    check_session(result, trace, hello_retry=True)
    hrr = [m for m in pick(trace, "received", "ServerHello")
           if m.is_hello_retry_request()][0]
    expect(hrr.has_extension(44), "the HelloRetryRequest has no cookie "
           "extension:\n" + hrr.text)
    second = pick(trace, "sent", "ClientHello")[1]
    expect(second.has_extension(44), "s_client did not echo the cookie")


# --- ALPN ---------------------------------------------------------------------

@suite.case("alpn_http11_selected")
def alpn():
    server = server_with("ecdsa_p256", "--alpn", "http/1.1")
    result, trace = fetch(server, "-alpn", "h2,http/1.1")
    check_session(result, trace)
    expect_in("ALPN protocol: http/1.1", result.out, "s_client's output")


@suite.case("alpn_no_overlap_refused_with_no_application_protocol")
def alpn_mismatch():
    # RFC 7301 3.2: no protocol in common -> fatal no_application_protocol.
    server = server_with("ecdsa_p256", "--alpn", "http/1.1")
    result, trace = fetch(server, "-alpn", "h2")
    expect(BODY not in result.out, "the handshake succeeded without a common "
           "ALPN protocol")
    got = [a for a in alerts(trace, "received") if a.level == "fatal"]
    expect(got, "s_client received no fatal alert")
    expect_equal(got[0].code, 120, "alert s_client received (no_application_protocol)")


# --- certificate selection between an ECDSA and an RSA chain ---------------

def case_two_chains(scheme, kind):
    args = pki().leaf("ecdsa_p256").server_args() + pki().leaf("rsa2048").server_args()
    server = start_testserver(args)
    result, trace = fetch(server, "-sigalgs", scheme)
    check_session(result, trace, scheme=scheme)
    expect_in("subject=CN = padlock test %s" % kind, result.out,
              "s_client's output (certificate chosen for -sigalgs %s)" % scheme)


suite.add("two_chains_rsa_client_gets_rsa", case_two_chains,
          "rsa_pss_rsae_sha256", "rsa2048")
suite.add("two_chains_ecdsa_client_gets_ecdsa", case_two_chains,
          "ecdsa_secp256r1_sha256", "ecdsa_p256")


@suite.case("certificate_message_larger_than_a_record")
def big_certificate():
    # A ~19 KiB Certificate message: the server must split it over records.
    server = start_testserver(pki().big_leaf().server_args())
    result, trace = fetch(server)
    check_session(result, trace)
    m = expect_re(r"^    Certificate, Length=(\d+)$", result.out, "s_client's trace", re.M)
    expect(int(m.group(1)) > 16384, "the Certificate message is only %s bytes"
           % m.group(1))


@suite.case("sni_selects_chain")
def sni_selects():
    # Two chains for different names: the one for the name in server_name
    # is sent, whichever order they were configured in.
    other = pki().named_leaf("other.test")
    server = start_testserver(pki().leaf("ecdsa_p256").server_args()
                              + other.server_args())
    for name, cn in (("other.test", other.cn), ("localhost", "padlock test ecdsa_p256")):
        argv = s_client(server)
        argv[argv.index("-servername") + 1] = name
        argv[argv.index("-verify_hostname") + 1] = name
        result = converse(argv, [REQUEST], re.escape(BODY))
        check_session(result, trace_messages(result.out))
        expect_in("subject=CN = %s" % cn, result.out,
                  "s_client's output (certificate for server_name %s)" % name)


# --- post-handshake: KeyUpdate --------------------------------------------------

@suite.case("key_update_requested_by_client")
def key_update():
    # "K" on its own line makes s_client send KeyUpdate(update_requested);
    # the server must answer with its own KeyUpdate (RFC 8446 4.6.3), and the
    # request sent after it (under the new keys) must still get its response.
    # -msg rather than -trace: openssl's trace does not name KeyUpdate.
    server = server_with()
    argv = s_client(server)
    argv[argv.index("-trace")] = "-msg"
    result = converse(argv, [r"Verify return code", 0.2, b"K\n",
                             r">>> .*KeyUpdate", 0.3, REQUEST], re.escape(BODY))
    expect_re(r"HTTP/1\.[01] 200", result.out, "s_client's output (response status)")
    expect_in(BODY, result.out, "s_client's output (response body)")
    messages = msg_messages(result.out)
    expect(("sent", "KeyUpdate") in messages, "s_client did not send KeyUpdate")
    expect(("received", "KeyUpdate") in messages, "the server did not answer "
           "KeyUpdate(update_requested) with its own KeyUpdate")


# --- record layer and extensions as OpenSSL sends them ----------------------------

@suite.case("padded_records_from_client")
def padded_records():
    # RFC 8446 5.4: the server must strip the zero padding of each record.
    server = server_with()
    result, trace = fetch(server, "-record_padding", "512")
    check_session(result, trace)


@suite.case("request_split_across_records")
def split_request():
    # A 3 KiB request head sent in 512-byte records: the server reads the
    # request across records.
    server = server_with()
    big = REQUEST.replace(b"Connection: close\r\n",
                          b"X-Filler: " + b"f" * 3000 + b"\r\nConnection: close\r\n")
    result, trace = fetch(server, "-max_send_frag", "512", "-split_send_frag", "512",
                          steps=[big])
    check_session(result, trace)
    records = result.out.count("Sent Record")
    expect(records >= 8, "s_client sent only %d records; the request was not "
           "split" % records)


@suite.case("unknown_extensions_ignored")
def unknown_extensions():
    # Extensions the server does not implement (status_request,
    # post_handshake_auth) and unassigned ones (1234, 65000) are ignored
    # (RFC 8446 4.2) and never echoed back.
    server = server_with()
    result, trace = fetch(server, "-status", "-enable_pha",
                          "-serverinfo", "1234,65000")
    check_session(result, trace)
    hello = pick(trace, "sent", "ClientHello")[0]
    expect(hello.has_extension(65000) and hello.has_extension(49),
           "s_client did not send the extensions this case is about")
    ee = pick(trace, "received", "EncryptedExtensions")[0]
    for code in (5, 49, 1234, 65000):
        expect(not ee.has_extension(code), "the server answered extension %d "
               "in EncryptedExtensions" % code)


@suite.case("no_middlebox_compatibility")
def no_middlebox():
    # -no_middlebox: an empty legacy_session_id; the server must echo it
    # empty (RFC 8446 4.1.3) and the handshake must still complete.
    server = server_with()
    result, trace = fetch(server, "-no_middlebox")
    check_session(result, trace)
    hello = pick(trace, "received", "ServerHello")[0]
    expect_in("session_id (len=0)", hello.text, "the server's ServerHello")


@suite.case("keylog_matches_openssl_client")
def keylog():
    # s_client's own key log and the server's --keylog must hold the same
    # secrets: OpenSSL's key schedule and ours agree on every one of them.
    client_log, server_log = tmp_path("s_client.keylog"), tmp_path("server.keylog")
    server = server_with("ecdsa_p256", "--keylog", server_log)
    result, trace = fetch(server, "-keylogfile", client_log)
    check_session(result, trace)
    expect_same_secrets(client_log, server_log)


# --- refusals -----------------------------------------------------------------

def expect_refused(result, trace, codes, what):
    expect(BODY not in result.out, "the handshake succeeded: " + what)
    got = [a for a in alerts(trace, "received") if a.level == "fatal"]
    expect(got, "s_client received no fatal alert (%s)" % what)
    expect(got[0].code in codes, "s_client received alert %s(%d), expected %s"
           % (got[0].description, got[0].code, " or ".join(map(str, codes))))


@suite.case("no_common_suite_refused_with_handshake_failure")
def no_common_suite():
    server = server_with("ecdsa_p256", "--suites", "TLS_AES_256_GCM_SHA384")
    result, trace = fetch(server, "-ciphersuites", "TLS_AES_128_GCM_SHA256")
    expect_refused(result, trace, (40,), "no cipher suite in common")


@suite.case("no_common_group_refused")
def no_common_group():
    # RFC 8446 4.1.1: handshake_failure or insufficient_security.
    server = server_with("ecdsa_p256", "--groups", "x25519")
    result, trace = fetch(server, "-groups", "P-384")
    expect_refused(result, trace, (40, 71), "no group in common")


@suite.case("no_usable_signature_scheme_refused")
def no_common_sigalg():
    # Only an ECDSA key, and the client accepts only RSA-PSS signatures: the
    # server cannot sign CertificateVerify (handshake_failure).
    server = server_with("ecdsa_p256")
    result, trace = fetch(server, "-sigalgs", "rsa_pss_rsae_sha256")
    expect_refused(result, trace, (40,), "no signature scheme in common")


@suite.case("tls12_only_client_refused_with_protocol_version")
def tls12_refused():
    # A server configured for TLS 1.3 only (test_tls12.py has the TLS 1.2
    # handshakes of the default range).
    server = server_with("ecdsa_p256", "--tls-versions", "1.3")
    argv = s_client(server)
    argv[argv.index("-tls1_3")] = "-tls1_2"
    result = converse(argv, [REQUEST], re.escape(BODY))
    trace = trace_messages(result.out)
    expect(BODY not in result.out, "a TLS 1.2-only client got a response")
    expect_re(r"alert protocol version", result.err, "s_client's stderr")
    got = [a for a in alerts(trace, "received") if a.level == "fatal"]
    expect(got and got[0].code == 70, "s_client did not receive a fatal "
           "protocol_version(70) alert: %s" % [a.text for a in got])
    wait_until(lambda: re.search(r"protocol[_ ]version", server.proc.err(), re.I),
               "the test server to log the protocol_version failure", timeout=5)


def setup():
    require_tools("openssl")
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
