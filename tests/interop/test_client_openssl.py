"""padlock's client (`padlock get`) -> OpenSSL's `openssl s_server -tls1_3`.

s_server -www answers with a page describing the session it negotiated
("New, TLSv1.3, Cipher is ...", "Protocol  : TLSv1.3", "Cipher    : ...",
the groups and signature algorithms the client offered); s_server -WWW
serves files byte for byte. s_server -trace prints every handshake message
it sent and received, so each case also asserts, from the peer's side, the
group in its ServerHello, the scheme of its CertificateVerify, whether it
sent a HelloRetryRequest, which extensions our ClientHello carried and
which alert our client sent when it refused a certificate.
"""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (SIGSCHEME, SUITES, WAIT, Skip, Suite, expect,  # noqa: E402
                    expect_equal, expect_in, expect_ok, expect_re,
                    have_ipv6_loopback, msg_messages, padlock_bin,
                    expect_same_secrets,
                    padlock_get, pick, pki, require_tools,
                    start_openssl_server, tmp_path, trace_messages, wait_until)

suite = Suite("padlock get -> openssl s_server -tls1_3")

OPENSSL_GROUP = {"x25519": "X25519", "secp256r1": "P-256", "secp384r1": "P-384"}
TRACE_GROUP = {"x25519": "ecdh_x25519", "secp256r1": "secp256r1",
               "secp384r1": "secp384r1"}


def s_server(kind="ecdsa_p256", *extra, mode="-www", leaf=None, host="127.0.0.1",
             cwd=None):
    leaf = leaf or pki().leaf(kind)
    args = ["-tls1_3", "-cert", leaf.cert, "-key", leaf.key, mode, "-trace"]
    if leaf.chain != leaf.cert:
        args += ["-cert_chain", pki().intermediate]
    return start_openssl_server(args + list(extra), host=host, cwd=cwd)


def get(server, *options, url=None):
    return padlock_get(url or server.url("/"), "--cacert", pki().root, *options)


def server_trace(server):
    return trace_messages(server.proc.out())


def check_page(result, suite_name=None):
    """The s_server -www page our client fetched describes a TLS 1.3 session."""
    expect_ok(result, "padlock get")
    page = result.out
    expect_in("<HTML><BODY", page, "the body padlock get printed")
    m = expect_re(r"New, (\S+), Cipher is (\S+)", page, "the s_server -www page")
    expect_equal(m.group(1), "TLSv1.3", "protocol s_server negotiated")
    expect_re(r"Protocol\s+: TLSv1\.3", page, "the s_server -www page")
    if suite_name:
        expect_equal(m.group(2), suite_name, "suite s_server negotiated")
        expect_re(r"Cipher\s+: %s" % suite_name, page, "the s_server -www page")
    expect(page.rstrip().endswith("</BODY></HTML>"),
           "the page is cut short: ...%r" % page[-80:])


def check_handshake(server, hello_retry=False, group=None, scheme=None):
    """What s_server's trace says it negotiated (hello_retry None: either)."""
    trace = wait_until(lambda: (lambda t: t if pick(t, "received", "Finished") else None)(
        server_trace(server)), "s_server to receive our Finished", timeout=5)
    hellos = pick(trace, "received", "ClientHello")
    retries = [m for m in pick(trace, "sent", "ServerHello")
               if m.is_hello_retry_request()]
    if hello_retry is None:
        pass
    elif hello_retry:
        expect(len(hellos) == 2 and len(retries) == 1,
               "expected a HelloRetryRequest: s_server received %d ClientHello "
               "and sent %d HRR" % (len(hellos), len(retries)))
    else:
        expect(len(hellos) == 1 and not retries,
               "expected a 1-RTT handshake: s_server received %d ClientHello "
               "and sent %d HRR" % (len(hellos), len(retries)))
    if group:
        final = [m for m in pick(trace, "sent", "ServerHello")
                 if not m.is_hello_retry_request()]
        expect_equal(final[-1].group(), [TRACE_GROUP[group]],
                     "key_share group in s_server's ServerHello")
    if scheme:
        verify = pick(trace, "sent", "CertificateVerify")
        expect(verify, "s_server sent no CertificateVerify")
        expect_equal(verify[-1].signature_scheme(), scheme,
                     "scheme of s_server's CertificateVerify")
    return trace


def check_refused(result, server, alert_code, words):
    """Our client refused: exit 1, one message naming the cause, the alert on
    the wire (as s_server reports it), and no body."""
    expect(result.rc == 1, "padlock get exited with %s, expected 1" % result.rc)
    expect_equal(result.out, "", "stdout of a refused fetch")
    lines = [line for line in result.err.splitlines() if line.strip()]
    expect(len(lines) == 1, "padlock get printed %d lines on stderr, expected "
           "one sentence" % len(lines))
    for word in words:
        expect(word.lower() in result.err.lower(),
               "%r not in padlock get's message: %s" % (word, result.err.strip()))
    wait_until(lambda: "SSL alert number" in server.proc.err(),
               "s_server to report the alert it received", timeout=5)
    m = re.search(r"SSL alert number (\d+)", server.proc.err())
    expect_equal(int(m.group(1)), alert_code, "alert s_server received")


# --- suites, groups, signature schemes ----------------------------------------

def case_suite(name):
    server = s_server("ecdsa_p256", "-ciphersuites", name)
    check_page(get(server), suite_name=name)
    check_handshake(server)


for _name in SUITES:
    suite.add("suite_" + _name, case_suite, _name)


def case_client_suite(name):
    # --tls-suites: the client offers this suite only.
    server = s_server("ecdsa_p256")
    result = get(server, "--tls-suites", name)
    check_page(result, suite_name=name)
    expect_re(r"Ciphers common between both SSL end points:\n%s\n" % name,
              result.out, "the s_server -www page (what we offered)")


for _name in SUITES:
    suite.add("client_suite_option_" + _name, case_client_suite, _name)


def case_group_forced(group):
    # The server allows only this group; the default client must get there,
    # by a HelloRetryRequest if its first key share is another group.
    server = s_server("ecdsa_p256", "-groups", OPENSSL_GROUP[group])
    check_page(get(server))
    trace = check_handshake(server, hello_retry=None, group=group)
    first = pick(trace, "received", "ClientHello")[0].group()
    check_handshake(server, hello_retry=TRACE_GROUP[group] not in first)


def case_group_offered(group):
    # --tls-groups GROUP: the first ClientHello carries that share: no HRR.
    server = s_server("ecdsa_p256", "-groups", OPENSSL_GROUP[group])
    check_page(get(server, "--tls-groups", group))
    trace = check_handshake(server, hello_retry=False, group=group)
    expect_equal(pick(trace, "received", "ClientHello")[0].group(),
                 [TRACE_GROUP[group]], "key shares in our ClientHello")


for _group in OPENSSL_GROUP:
    suite.add("group_server_only_" + _group, case_group_forced, _group)
    suite.add("group_client_offers_" + _group, case_group_offered, _group)


@suite.case("hybrid_offered_openssl_without_mlkem_gets_x25519")
def hybrid_fallback():
    # The default ClientHello offers X25519MLKEM768 (0x11EC, 4588) first,
    # with an x25519 share beside it: OpenSSL 3.0, which has no ML-KEM,
    # skips the unknown share and takes x25519 in one round trip.
    server = s_server("ecdsa_p256")
    result = get(server, "-v")
    check_page(result)
    trace = check_handshake(server, hello_retry=False, group="x25519")
    hello = pick(trace, "received", "ClientHello")[0]
    expect_equal(hello.group(), ["UNKNOWN", "ecdh_x25519"],
                 "key shares in our ClientHello")
    expect_re(r"NamedGroup: UNKNOWN \(4588\)\s+key_exchange:\s+\(len=1216\)",
              hello.text, "the hybrid share s_server received")
    expect_re(r"key exchange\s+x25519, ephemeral", result.err, "padlock get -v")


def case_certificate(kind, scheme):
    server = s_server(kind, "-sigalgs", scheme)
    result = get(server)
    check_page(result)
    check_handshake(server, scheme=scheme)


for _kind, _scheme in sorted(SIGSCHEME.items()):
    suite.add("cert_%s_%s" % (_kind, _scheme), case_certificate, _kind, _scheme)
for _scheme in ("rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"):
    suite.add("cert_rsa2048_" + _scheme, case_certificate, "rsa2048", _scheme)


@suite.case("hello_retry_request_to_p384_shown_by_v")
def hello_retry():
    server = s_server("ecdsa_p256", "-groups", "P-384")
    result = get(server, "-v")
    check_page(result)
    trace = check_handshake(server, hello_retry=True, group="secp384r1")
    second = pick(trace, "received", "ClientHello")[1]
    expect_equal(second.group(), ["secp384r1"], "key share of our second ClientHello")
    expect_re(r"hello\s*retry\s*request", result.err, "padlock get -v", re.I)


@suite.case("keylog_matches_openssl_server")
def keylog():
    # Our SSLKEYLOGFILE and s_server's -keylogfile must hold the same secrets
    # (after a HelloRetryRequest and with SHA-384, the harder schedule).
    ours, theirs = tmp_path("padlock.keylog"), tmp_path("s_server.keylog")
    server = s_server("ecdsa_p256", "-groups", "P-384", "-ciphersuites",
                      "TLS_AES_256_GCM_SHA384", "-keylogfile", theirs)
    result = padlock_get(server.url("/"), "--cacert", pki().root,
                         env=dict(os.environ, SSLKEYLOGFILE=ours))
    check_page(result, suite_name="TLS_AES_256_GCM_SHA384")
    check_handshake(server, hello_retry=True, group="secp384r1")
    expect_same_secrets(ours, theirs)


# --- what the ClientHello carries -----------------------------------------------

@suite.case("sni_sent_for_name_not_for_ip")
def sni():
    # RFC 6066 3: server_name carries host names only, never an IP literal.
    server = s_server()
    check_page(get(server))
    first = pick(server_trace(server), "received", "ClientHello")[0]
    expect(first.has_extension(0), "no server_name in our ClientHello to localhost")
    server = s_server()
    check_page(get(server, url=server.url("/", host="127.0.0.1")))
    first = pick(server_trace(server), "received", "ClientHello")[0]
    expect(not first.has_extension(0),
           "server_name sent for https://127.0.0.1 (an IP literal)")


@suite.case("alpn_http11_accepted")
def alpn():
    server = s_server("ecdsa_p256", "-alpn", "http/1.1")
    check_page(get(server, "--alpn", "http/1.1"))
    expect_in("ALPN protocols advertised by the client: http/1.1",
              server.proc.out(), "s_server's output")
    ee = pick(server_trace(server), "sent", "EncryptedExtensions")
    expect(ee and ee[0].has_extension(16),
           "s_server's EncryptedExtensions carries no ALPN")


@suite.case("ipv6_literal_url")
def ipv6():
    if not have_ipv6_loopback():
        raise Skip("this machine has no ::1 on its loopback interface")
    server = s_server(host="::1")
    check_page(get(server, url=server.url("/", host="::1")))


# --- post-handshake: KeyUpdate from the server ------------------------------------

@suite.case("key_update_requested_by_server")
def key_update():
    # s_server without -www: what we type on its stdin goes to the client, and
    # "K" alone on a line sends KeyUpdate(update_requested). Our client must
    # answer with its own KeyUpdate (RFC 8446 4.6.3) and read the response
    # sent under the server's new keys.
    leaf = pki().leaf("ecdsa_p256")
    server = start_openssl_server(["-tls1_3", "-cert", leaf.cert, "-key", leaf.key,
                                   "-cert_chain", pki().intermediate, "-msg"])
    done = {}
    fetch = threading.Thread(target=lambda: done.update(result=get(server)),
                             daemon=True)
    fetch.start()
    wait_until(lambda: "GET / HTTP/1.1" in server.proc.out() or not fetch.is_alive(),
               "our request to reach s_server")
    typed = server.proc.popen.stdin
    typed.write(b"K\n")
    typed.flush()
    wait_until(lambda: (">>> TLS 1.3, Handshake [length 0005], KeyUpdate"
                        in server.proc.out()), "s_server to send KeyUpdate", timeout=5)
    time.sleep(0.2)
    typed.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
    typed.flush()
    fetch.join(WAIT)
    expect("result" in done, "padlock get did not finish (or raised)")
    result = done["result"]
    expect_ok(result, "padlock get")
    expect_equal(result.out, "hello\n", "body sent after the KeyUpdate")
    wait_until(lambda: ("received", "KeyUpdate") in msg_messages(server.proc.out()),
               "s_server to receive our KeyUpdate", timeout=5)


# --- record layer as OpenSSL sends it ---------------------------------------------

@suite.case("padded_records_from_server")
def padded_records():
    # RFC 8446 5.4: the client must strip the zero padding of each record.
    server = s_server("ecdsa_p256", "-record_padding", "1024")
    check_page(get(server))
    check_handshake(server)


@suite.case("handshake_messages_split_across_records")
def split_handshake():
    # 512-byte records: the ~900-byte Certificate message arrives in pieces
    # the client must reassemble.
    server = s_server("ecdsa_p256", "-max_send_frag", "512")
    check_page(get(server))
    check_handshake(server)
    m = expect_re(r"^    Certificate, Length=(\d+)$", server.proc.out(),
                  "s_server's trace", re.M)
    expect(int(m.group(1)) > 512, "the Certificate message (%s bytes) fits in "
           "one record; nothing was split" % m.group(1))


@suite.case("certificate_message_larger_than_a_record")
def big_certificate():
    # A ~19 KiB Certificate message spans two records; the client reassembles
    # it and checks the name among 803.
    server = s_server(leaf=pki().big_leaf())
    check_page(get(server))
    check_handshake(server)
    m = expect_re(r"^    Certificate, Length=(\d+)$", server.proc.out(),
                  "s_server's trace", re.M)
    expect(int(m.group(1)) > 16384, "the Certificate message is only %s bytes"
           % m.group(1))


@suite.case("client_certificate_required_reported")
def client_auth():
    # s_server -Verify insists on a client certificate; we have none, it
    # aborts with certificate_required (RFC 8446 4.4.2.4) and padlock get
    # must say so.
    leaf = pki().leaf("ecdsa_p256")
    server = start_openssl_server(["-tls1_3", "-cert", leaf.cert, "-key", leaf.key,
                                   "-cert_chain", pki().intermediate, "-www",
                                   "-Verify", "1"])
    result = get(server)
    expect(result.rc == 1, "padlock get exited with %s, expected 1" % result.rc)
    expect_in("certificate_required", result.err, "padlock get's message")
    wait_until(lambda: "peer did not return a certificate" in server.proc.err(),
               "s_server to report the missing client certificate", timeout=5)


# --- bodies: exact bytes, -o ------------------------------------------------------

def docroot_with(name, data):
    root = tmp_path("docroot")
    os.makedirs(root)
    with open(os.path.join(root, name), "wb") as f:
        f.write(data)
    return root


@suite.case("www_file_1_MiB_byte_exact")
def www_file():
    # HTTP/1.0 without Content-Length: the body ends at close_notify.
    data = os.urandom(1024 * 1024)
    root = docroot_with("blob.bin", data)
    server = s_server("ecdsa_p256", mode="-WWW", cwd=root)
    result = get(server, url=server.url("/blob.bin"))
    expect_ok(result, "padlock get")
    expect(result.out_bytes == data, "body differs from the file: got %d bytes, "
           "expected %d" % (len(result.out_bytes), len(data)))


@suite.case("output_file_option")
def output_file():
    data = b"padlock interop: -o writes the body here\n" * 100
    root = docroot_with("page.txt", data)
    server = s_server("ecdsa_p256", mode="-WWW", cwd=root)
    target = tmp_path("body.out")
    result = get(server, "-o", target, url=server.url("/page.txt"))
    expect_ok(result, "padlock get -o")
    with open(target, "rb") as f:
        expect(f.read() == data, "the -o file differs from the served file")
    expect_equal(result.out, "", "stdout with -o")


# --- certificates our client must refuse ------------------------------------------

@suite.case("expired_certificate_refused")
def expired():
    server = s_server(leaf=pki().expired_leaf())
    check_refused(get(server), server, 45, ["expired"])


@suite.case("wrong_host_refused")
def wrong_host():
    server = s_server(leaf=pki().wrong_host_leaf())
    result = get(server)
    # RFC 8446 names no single alert for this; bad_certificate (42) is what
    # a name mismatch earns in practice. Any fatal alert is accepted.
    expect(result.rc == 1, "padlock get exited with %s, expected 1" % result.rc)
    for name in ("localhost", "www.example.com"):
        expect_in(name, result.err, "padlock get's message")
    wait_until(lambda: "SSL alert number" in server.proc.err(),
               "s_server to report the alert it received", timeout=5)


@suite.case("untrusted_root_refused_with_unknown_ca")
def untrusted():
    server = s_server(leaf=pki().untrusted_leaf())
    check_refused(get(server), server, 48, ["unknown_ca"])


@suite.case("test_root_not_in_system_store")
def system_store():
    # Without --cacert the system store is used, which does not know the test
    # root: the negative control for every --cacert case above.
    server = s_server()
    result = padlock_get(server.url("/"))
    check_refused(result, server, 48, ["unknown_ca"])


def case_insecure(which):
    leaf = {"expired": pki().expired_leaf, "wrong_host": pki().wrong_host_leaf,
            "untrusted": pki().untrusted_leaf}[which]()
    server = s_server(leaf=leaf)
    check_page(get(server, "--insecure"))
    check_handshake(server)


for _which in ("expired", "wrong_host", "untrusted"):
    suite.add("insecure_accepts_" + _which, case_insecure, _which)


@suite.case("tls12_only_server_completes")
def tls12_server():
    # padlock get offers TLS 1.3 and 1.2 (test_tls12.py has every suite).
    leaf = pki().leaf("ecdsa_p256")
    server = start_openssl_server(["-tls1_2", "-cert", leaf.cert, "-key", leaf.key,
                                   "-cert_chain", pki().intermediate, "-www"])
    result = get(server)
    expect_ok(result, "padlock get against a TLS 1.2-only server")
    expect_re(r"Protocol\s+: TLSv1\.2", result.out, "the s_server -www page")


def setup():
    require_tools("openssl")
    padlock_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
