"""pl_probe_hello() (through tests/tools/probe_tool) against real servers
that no one here wrote -- openssl s_server and gnutls-serv, each limited to
the versions and suites a case needs -- and against padlock's own test
server, then against tiny hand-made servers that answer with garbage,
truncated or oversized messages, another version than offered, silence or
a reset. Each case asserts the exact outcome: version, suite, group, alert
number, HelloRetryRequest, the certificates (the leaf's DER must be the
served certificate's), the stapled OCSP response, renegotiation_info.

probe_tool prints one line of key=value pairs, detail last (see its header).
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
from common import (Failure, Suite, openssl, pki, run, require_tools,  # noqa: E402
                    start_gnutls_server, start_openssl_server,
                    start_testserver, tmp_path, free_port, trace_messages,
                    pick, expect_equal, expect_in, have_ipv6_loopback, Skip)

suite = Suite("pl_probe_hello against real and hand-made servers")

TLS12_SUITES = "0xc02b,0xc02f,0x009c"


def probe_tool():
    build = os.environ.get("PADLOCK_BUILD_DIR")
    if not build:
        raise Failure("PADLOCK_BUILD_DIR is not set (ctest sets it)")
    path = os.path.join(build, "probe_tool")
    if not os.access(path, os.X_OK):
        raise Failure("%s is not built (tests/tools/probe_tool.c)" % path)
    return path


def probe(port, version, suites="all", *options, host="127.0.0.1",
          timeout=None):
    """Runs one probe; returns its fields as a dict of strings."""
    argv = [probe_tool()] + list(options)
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    argv += [host, str(port), version, suites]
    result = run(argv, timeout=30)
    if result.rc != 0:
        raise Failure("probe_tool failed (%s): %s %s"
                      % (result.rc, result.out.strip(), result.err.strip()))
    line = result.out.strip()
    head, _, detail = line.partition(" detail=")
    fields = dict(item.split("=", 1) for item in head.split())
    fields["detail"] = detail
    return fields


def expect(fields, **want):
    """Each keyword must equal the probe's field of that name."""
    for key, value in want.items():
        if fields.get(key) != str(value):
            raise Failure("%s=%s, wanted %s (%s)"
                          % (key, fields.get(key), value, fields["detail"]))


def der(pem):
    return subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"],
                          stdout=subprocess.PIPE, check=True).stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def save_dir(name):
    path = tmp_path(name)
    os.makedirs(path, exist_ok=True)
    return path


def s_server(*args, leaf=None):
    """openssl s_server with leaf (kind) and its intermediate."""
    leaf = leaf or pki().leaf("ecdsa_p256")
    return start_openssl_server(["-cert", leaf.cert, "-key", leaf.key,
                                 "-cert_chain", pki().intermediate,
                                 "-naccept", "100"] + list(args))


# ---------------------------------------------------------------------------
# openssl s_server, TLS 1.2

@suite.case("tls12_ecdsa_gcm_only_server")
def _():
    leaf = pki().leaf("ecdsa_p256")
    server = s_server("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    where = save_dir("ecdsa-gcm")
    got = probe(server.port, "tls1.2", TLS12_SUITES, "--groups", "secp256r1",
                "--save", where)
    expect(got, outcome="accepted", version="0x0303", suite="0xc02b",
           group="0x0017", hrr=0, alert=-1, reneg=1, ems=1, ocsp=0, certs=2,
           complete=1, sentinel=0)
    expect_equal(got["detail"], "ServerHello: TLS 1.2, TLS_ECDHE_ECDSA_WITH_"
                 "AES_128_GCM_SHA256, secp256r1, 2 certificates", "detail")
    if read(os.path.join(where, "cert0.der")) != der(leaf.cert):
        raise Failure("the leaf the probe read is not the served certificate")
    if read(os.path.join(where, "cert1.der")) != der(pki().intermediate):
        raise Failure("the second certificate is not the intermediate")
    # The curve is the client's first choice (OpenSSL follows the client
    # unless -serverpref): the probe reports ServerKeyExchange's. RFC 8422
    # 5.1.1: in TLS 1.2 the groups also bound the ECDSA certificate's
    # curve, so secp256r1 (the leaf's) must be offered too.
    expect(probe(server.port, "tls1.2", TLS12_SUITES, "--groups",
                 "secp384r1,secp256r1"), outcome="accepted", group="0x0018")
    expect(probe(server.port, "tls1.2", TLS12_SUITES, "--groups",
                 "x25519,secp256r1"), outcome="accepted", group="0x001d")
    expect(probe(server.port, "tls1.2", TLS12_SUITES, "--groups", "secp384r1"),
           outcome="alert", alert=40)
    # No suite in common: handshake_failure.
    expect(probe(server.port, "tls1.2", "0xc013,0x002f,0x000a"),
           outcome="alert", alert=40)
    # Older and newer versions: protocol_version.
    expect(probe(server.port, "tls1.1"), outcome="alert", alert=70)
    expect(probe(server.port, "tls1.0"), outcome="alert", alert=70)
    expect(probe(server.port, "tls1.3"), outcome="alert", alert=70)


@suite.case("tls12_cbc_server")
def _():
    server = s_server("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA",
                      leaf=pki().leaf("rsa2048"))
    got = probe(server.port, "tls1.2", "all", "--groups", "x25519,secp256r1")
    expect(got, outcome="accepted", version="0x0303", suite="0xc013",
           group="0x001d", reneg=1, certs=2, complete=1)
    expect_in("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", got["detail"], "detail")
    expect(probe(server.port, "tls1.2", TLS12_SUITES), outcome="alert",
           alert=40)


@suite.case("tls12_rsa_key_transport_server")
def _():
    leaf = pki().leaf("rsa2048")
    server = s_server("-tls1_2", "-cipher", "AES128-SHA", leaf=leaf)
    where = save_dir("rsa-kx")
    got = probe(server.port, "tls1.2", "all", "--save", where)
    expect(got, outcome="accepted", version="0x0303", suite="0x002f",
           group="0x0000", dhe_bits=0, certs=2, complete=1)
    if read(os.path.join(where, "cert0.der")) != der(leaf.cert):
        raise Failure("the leaf the probe read is not the served certificate")


@suite.case("tls12_dhe_server_reports_the_prime_size")
def _():
    server = s_server("-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256",
                      leaf=pki().leaf("rsa2048"))
    expect(probe(server.port, "tls1.2", "all"), outcome="accepted",
           suite="0x009e", group="0x0000", dhe_bits=2048, complete=1)


@suite.case("tls12_server_enforcing_its_order_or_not")
def _():
    server = s_server("-tls1_2", "-cipher",
                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    # OpenSSL follows the client's order unless told otherwise...
    expect(probe(server.port, "tls1.2", "0xc02b,0xc02c"), suite="0xc02b")
    expect(probe(server.port, "tls1.2", "0xc02c,0xc02b"), suite="0xc02c")
    server.proc.stop()
    server = s_server("-tls1_2", "-serverpref", "-cipher",
                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    # ... and its own with -serverpref.
    expect(probe(server.port, "tls1.2", "0xc02b,0xc02c"), suite="0xc02c")
    expect(probe(server.port, "tls1.2", "0xc02c,0xc02b"), suite="0xc02c")


@suite.case("tls12_big_chain_across_many_records")
def _():
    leaf = pki().big_leaf()
    server = s_server("-tls1_2", leaf=leaf)
    where = save_dir("big")
    got = probe(server.port, "tls1.2", "all", "--save", where)
    expect(got, outcome="accepted", version="0x0303", certs=2, complete=1)
    cert = read(os.path.join(where, "cert0.der"))
    if len(cert) <= 16384 or cert != der(leaf.cert):
        raise Failure("the %d-byte leaf is not the served one" % len(cert))


@suite.case("tls12_stapled_ocsp_only_when_asked")
def _():
    leaf = pki().leaf("ecdsa_p256")
    inter, inter_key = pki().intermediate, pki().intermediate_key
    req, resp = tmp_path("ocsp-req.der"), tmp_path("ocsp-resp.der")
    index = tmp_path("ocsp-index.txt")
    serial = openssl("x509", "-in", leaf.cert, "-noout", "-serial")
    with open(index, "w") as f:
        f.write("V\t301231235959Z\t\t%s\tunknown\t/CN=%s\n"
                % (serial.strip().split("=")[1], leaf.cn))
    openssl("ocsp", "-issuer", inter, "-cert", leaf.cert, "-no_nonce",
            "-reqout", req)
    openssl("ocsp", "-index", index, "-rsigner", inter, "-rkey", inter_key,
            "-CA", inter, "-reqin", req, "-respout", resp, "-ndays", "1")
    server = s_server("-tls1_2", "-status_file", resp)
    where = save_dir("ocsp")
    got = probe(server.port, "tls1.2", "all", "--status", "--save", where)
    expect(got, outcome="accepted", ocsp=1, certs=2, complete=1)
    expect_in("OCSP response stapled", got["detail"], "detail")
    if read(os.path.join(where, "ocsp.der")) != read(resp):
        raise Failure("the stapled response is not the served one")
    expect(probe(server.port, "tls1.2", "all"), outcome="accepted", ocsp=0)


@suite.case("tls12_hello_as_openssl_reads_it")
def _():
    server = s_server("-tls1_2", "-trace")
    got = probe(server.port, "tls1.2", TLS12_SUITES, "--sni", "localhost",
                "--status")
    expect(got, outcome="accepted")
    hellos = pick(trace_messages(server.proc.out()), "received",
                  "ClientHello")
    if len(hellos) != 1:
        raise Failure("s_server -trace shows %d ClientHellos" % len(hellos))
    hello = hellos[0]
    for code, name in ((0, "server_name"), (5, "status_request"),
                       (10, "supported_groups"), (11, "ec_point_formats"),
                       (13, "signature_algorithms"),
                       (23, "extended_master_secret"),
                       (65281, "renegotiation_info")):
        if not hello.has_extension(code):
            raise Failure("the ClientHello has no %s as OpenSSL reads it"
                          % name)


@suite.case("ipv6_address")
def _():
    if not have_ipv6_loopback():
        raise Skip("no IPv6 loopback on this machine")
    leaf = pki().leaf("ecdsa_p256")
    server = start_openssl_server(["-cert", leaf.cert, "-key", leaf.key,
                                   "-tls1_2"], host="::1")
    expect(probe(server.port, "tls1.2", "all", host="::1"),
           outcome="accepted", version="0x0303", certs=1)
    # A probe takes numeric addresses only, without brackets.
    for host in ("[::1]", "localhost"):
        result = run([probe_tool(), host, str(server.port), "tls1.2", "all"])
        if result.rc != 1 or "error=-2" not in result.out:
            raise Failure("probe_tool %s: wanted PL_ERR_ARG, got: %s"
                          % (host, result.out.strip()))


# ---------------------------------------------------------------------------
# openssl s_server, TLS 1.3

@suite.case("tls13_server_hello_group_and_hrr")
def _():
    server = s_server("-tls1_3")
    got = probe(server.port, "tls1.3", "all", "--shares", "x25519")
    expect(got, outcome="accepted", version="0x0304", suite="0x1301",
           group="0x001d", hrr=0, complete=1, certs=0)
    expect_equal(got["detail"], "ServerHello: TLS 1.3, "
                 "TLS_AES_128_GCM_SHA256, x25519", "detail")
    expect(probe(server.port, "tls1.3", "0x1302", "--shares", "secp384r1",
                 "--groups", "secp384r1"),
           outcome="accepted", suite="0x1302", group="0x0018", hrr=0)
    # No key share: the server asks for one of the groups offered.
    got = probe(server.port, "tls1.3", "all", "--shares", "none",
                "--groups", "secp256r1")
    expect(got, outcome="accepted", version="0x0304", hrr=1, group="0x0017")
    expect_in("HelloRetryRequest", got["detail"], "detail")
    # RFC 8446 4.2.8: a share for a group not in supported_groups is
    # illegal_parameter (OpenSSL checks; the probe reports it as sent).
    expect(probe(server.port, "tls1.3", "all", "--shares", "x25519",
                 "--groups", "secp384r1"), outcome="alert", alert=47)
    expect(probe(server.port, "tls1.2"), outcome="alert", alert=70)


@suite.case("tls13_server_answers_tls12_with_the_downgrade_sentinel")
def _():
    server = s_server()
    expect(probe(server.port, "tls1.2", "all"), outcome="accepted",
           version="0x0303", sentinel=1)
    expect(probe(server.port, "tls1.3", "all"), outcome="accepted",
           version="0x0304", sentinel=0)


@suite.case("no_tls13_server")
def _():
    server = s_server("-no_tls1_3")
    expect(probe(server.port, "tls1.2", "all"), outcome="accepted",
           version="0x0303", sentinel=0)
    expect(probe(server.port, "tls1.3", "all"), outcome="alert", alert=70)


# ---------------------------------------------------------------------------
# TLS 1.0 and 1.1, SSL 3.0

@suite.case("tls10_tls11_accepted_by_gnutls")
def _():
    require_tools("gnutls-serv")
    leaf = pki().leaf("rsa2048")
    server = start_gnutls_server(["--x509certfile", leaf.chain,
                                  "--x509keyfile", leaf.key, "--priority",
                                  "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0"])
    for version, code in (("tls1.0", "0x0301"), ("tls1.1", "0x0302")):
        got = probe(server.port, version, "all")
        expect(got, outcome="accepted", version=code, reneg=1, complete=1,
               certs=2)
        # A TLS 1.3 server says it was pushed down (RFC 8446 4.1.3).
        expect(got, sentinel=1)
    expect(probe(server.port, "ssl3", "all"), outcome="alert", alert=70)


@suite.case("tls10_tls11_accepted_by_openssl_at_security_level_0")
def _():
    server = s_server("-cipher", "DEFAULT:@SECLEVEL=0",
                      leaf=pki().leaf("rsa2048"))
    for version, code in (("tls1.0", "0x0301"), ("tls1.1", "0x0302")):
        expect(probe(server.port, version, "all"), outcome="accepted",
               version=code, reneg=1, ems=1, complete=1)


# ---------------------------------------------------------------------------
# padlock's own server (TLS 1.3 only)

@suite.case("padlock_testserver_is_tls13_only")
def _():
    # --tls-versions 1.3 (the default range takes TLS 1.2 as well).
    leaf = pki().leaf("ecdsa_p256")
    server = start_testserver(leaf.server_args() + ["--tls-versions", "1.3"])
    for version in ("tls1.2", "tls1.1", "tls1.0"):
        expect(probe(server.port, version, "all"), outcome="alert", alert=70)
    expect(probe(server.port, "tls1.3", "all"), outcome="accepted",
           version="0x0304", suite="0x1301", group="0x001d", hrr=0)
    expect(probe(server.port, "tls1.3", "all", "--shares", "none"),
           outcome="accepted", hrr=1, group="0x001d")


# ---------------------------------------------------------------------------
# Hand-made servers

def record(content_type, body, version=0x0303):
    return struct.pack("!BHH", content_type, version, len(body)) + body


def message(msg_type, body):
    return struct.pack("!B", msg_type) + len(body).to_bytes(3, "big") + body


def server_hello(version=0x0303, suite_id=0xc02f, extensions=None,
                 random=b"\x01" * 32):
    body = struct.pack("!H", version) + random + b"\x00"
    body += struct.pack("!HB", suite_id, 0)
    if extensions is not None:
        body += struct.pack("!H", len(extensions)) + extensions
    return message(2, body)


def certificate(*certs):
    entries = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    return message(11, len(entries).to_bytes(3, "big") + entries)


DONE = message(14, b"")


class FakeServer:
    """Accepts one connection, reads the ClientHello's first record, then
    runs script(conn). Closes when the script returns."""

    def __init__(self, script):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.hello = b""
        self.error = None
        self.thread = threading.Thread(target=self._serve, args=(script,),
                                       daemon=True)
        self.thread.start()

    def _serve(self, script):
        try:
            self.listener.settimeout(20)
            conn, _ = self.listener.accept()
            conn.settimeout(20)
            while len(self.hello) < 5 or len(self.hello) < 5 + int.from_bytes(
                    self.hello[3:5], "big"):
                data = conn.recv(65536)
                if not data:
                    break
                self.hello += data
            script(conn)
            conn.close()
        except Exception as e:  # reported by finish()
            self.error = e
        finally:
            self.listener.close()

    def finish(self):
        self.thread.join(20)
        if self.error:
            raise Failure("the hand-made server failed: %r" % self.error)


def fake(script, version="tls1.2", suites=TLS12_SUITES, *options,
         timeout=None):
    server = FakeServer(script)
    start = time.monotonic()
    got = probe(server.port, version, suites, *options, timeout=timeout)
    server.elapsed = time.monotonic() - start
    server.finish()
    return got, server


def sends(data, then=None):
    def script(conn):
        conn.sendall(data)
        if then:
            then(conn)
    return script


@suite.case("fake_garbage_is_malformed")
def _():
    got, _ = fake(sends(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0"
                        b"\r\n\r\n"))
    expect(got, outcome="malformed")
    expect_equal(got["detail"], "the answer is not TLS: it starts with "
                 "'HTTP/1.1 400 Bad Request'", "detail")
    got, _ = fake(sends(b"SSH-2.0-OpenSSH_9.2\r\n"))
    expect(got, outcome="malformed")
    expect_in("SSH-2.0", got["detail"], "detail")


@suite.case("fake_truncated_server_hello_is_malformed")
def _():
    full = record(22, server_hello(extensions=b""))
    got, _ = fake(sends(full[:25]))
    expect(got, outcome="malformed")
    expect_in("closed the connection after 25 bytes, in the middle of a "
              "record", got["detail"], "detail")
    # A whole record holding half a ServerHello message.
    msg = server_hello(extensions=b"")
    got, _ = fake(sends(record(22, msg[:20])))
    expect(got, outcome="malformed")
    expect_in("in the middle of a handshake message", got["detail"], "detail")
    # A whole message that ends too soon.
    got, _ = fake(sends(record(22, message(2, b"\x03\x03" + b"\x00" * 10))))
    expect(got, outcome="malformed")
    expect_in("ServerHello is cut short", got["detail"], "detail")


@suite.case("fake_huge_lengths_are_malformed_at_once")
def _():
    got, _ = fake(sends(b"\x16\x03\x03\xff\xff" + b"\x00" * 100),
                  timeout=20000)
    expect(got, outcome="malformed")
    expect_in("a record of 65535 bytes (at most 16384)", got["detail"],
              "detail")
    got, server = fake(sends(record(22, b"\x0b\xff\xff\xff" + b"\x00" * 100),
                             then=lambda conn: time.sleep(3)), timeout=20000)
    expect(got, outcome="malformed")
    expect_in("Certificate of 16777215 bytes exceeds the 64 KiB cap",
              got["detail"], "detail")
    if server.elapsed > 2.5:
        raise Failure("the probe waited for the rest of a message it must "
                      "refuse at its header")


@suite.case("fake_silence_times_out")
def _():
    got, server = fake(lambda conn: time.sleep(2.5), timeout=1000)
    expect(got, outcome="timeout")
    expect_equal(got["detail"], "no answer within 1 s", "detail")
    if not 0.9 < server.elapsed < 2.4:
        raise Failure("the probe did not stop at its 1 s timeout")


@suite.case("fake_close_and_reset_without_an_answer")
def _():
    got, _ = fake(lambda conn: None)
    expect(got, outcome="closed")
    expect_in("closed the connection without an answer", got["detail"],
              "detail")

    def reset(conn):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    got, _ = fake(reset)
    expect(got, outcome="closed")
    expect_in("reset", got["detail"], "detail")


@suite.case("fake_tls12_answer_to_a_tls11_offer_is_reported_as_is")
def _():
    reneg = b"\xff\x01\x00\x01\x00"
    got, server = fake(sends(record(22, server_hello(0x0303, 0x002f, reneg)
                                    + certificate(b"\x30\x03\x02\x01\x01")
                                    + DONE)), "tls1.1", "0x002f,0x000a")
    expect(got, outcome="accepted", version="0x0303", suite="0x002f",
           reneg=1, certs=1, complete=1)
    expect_in("TLS 1.2 (TLS 1.1 was offered)", got["detail"], "detail")
    # The offer was a TLS 1.1 record with a TLS 1.1 ClientHello.
    expect_equal(server.hello[:3], b"\x16\x03\x02", "record header")
    expect_equal(server.hello[9:11], b"\x03\x02", "client_version")


@suite.case("fake_flight_dribbled_in_tiny_records")
def _():
    certs = [bytes([0x30]) * 9000, bytes([0x31]) * 9000, bytes([0x32]) * 500]
    flight = (server_hello(extensions=b"")
              + certificate(*certs)
              + message(12, b"\x03\x00\x17\x01\x04\x08\x04\x00\x01\x00")
              + DONE)
    wire = b"".join(record(22, flight[i:i + 100])
                    for i in range(0, len(flight), 100))

    def dribble(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(wire), 700):
            conn.sendall(wire[i:i + 700])
            time.sleep(0.001)
    got, _ = fake(dribble)
    expect(got, outcome="accepted", suite="0xc02f", group="0x0017",
           certs=3, complete=1)


@suite.case("fake_alert_after_server_hello")
def _():
    got, _ = fake(sends(record(22, server_hello(extensions=b""))
                        + record(21, b"\x02\x50")))
    expect(got, outcome="accepted", complete=0, alert=80)
    expect_in("then alert fatal internal_error (80) before ServerHelloDone",
              got["detail"], "detail")


@suite.case("connection_refused")
def _():
    port = free_port()
    got = probe(port, "tls1.2")
    expect(got, outcome="connect_failed")
    expect_in("connection refused", got["detail"], "detail")


if __name__ == "__main__":
    require_tools("openssl")
    suite.run()
