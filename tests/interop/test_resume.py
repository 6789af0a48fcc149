"""TLS 1.3 and 1.2 resumption with padlock's tickets, as real clients
report it.

padlock_testserver <- `openssl s_client -sess_out` then `-sess_in`
("Reused, TLSv1.3", no CertificateVerify in the second handshake; for
TLS 1.2 "Reused, TLSv1.2" with no Certificate nor ServerKeyExchange),
Python's ssl (SSLSocket.session, session_reused) and `gnutls-cli --resume`,
in both versions.
"""

import os
import re
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, WAIT, Failure, Suite, converse,  # noqa: E402
                    expect, expect_equal, pki, require_tools, run,
                    start_testserver, tmp_path)

suite = Suite("padlock_testserver <- resuming clients (openssl, Python "
              "ssl, gnutls-cli)")


def server(*args):
    return start_testserver(pki().leaf("ecdsa_p256").server_args() + list(args))


def s_client(srv, *extra, version="-tls1_3"):
    return ["openssl", "s_client", version,
            "-connect", "127.0.0.1:%d" % srv.port,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", pki().root, "-verify_return_error", "-trace"] + list(extra)


@suite.case("openssl_s_client_sess_out_then_sess_in_is_reused")
def openssl_resumes():
    srv = server()
    sess = tmp_path("openssl.sess")
    first = converse(s_client(srv, "-sess_out", sess), [REQUEST],
                     re.escape(BODY))
    expect("NewSessionTicket" in first.out,
           "the server sent no NewSessionTicket:\n" + first.out[-2000:])
    expect("New, TLSv1.3" in first.out, "first handshake not new")
    expect(os.path.getsize(sess) > 0, "s_client saved no session")
    second = converse(s_client(srv, "-sess_in", sess), [REQUEST],
                      re.escape(BODY))
    expect("Reused, TLSv1.3" in second.out,
           "s_client did not resume:\n" + second.out[-3000:])
    # RFC 8446 2.2: a resumed handshake has no Certificate
    expect("CertificateVerify" in first.out, "no CertificateVerify in the "
           "first handshake's trace")
    expect("CertificateVerify" not in second.out,
           "the resumed handshake carried a certificate")


@suite.case("openssl_s_client_tls12_sess_out_then_sess_in_is_reused")
def openssl_resumes_tls12():
    srv = server()
    sess = tmp_path("openssl12.sess")
    first = converse(s_client(srv, "-sess_out", sess, version="-tls1_2"),
                     [REQUEST], re.escape(BODY))
    # RFC 5077 3.2, RFC 7627: a ticket for a session with the extended
    # master secret
    expect(re.search(r"extension_type=session_ticket", first.out),
           "the ServerHello has no session_ticket:\n" + first.out[-3000:])
    expect("NewSessionTicket" in first.out,
           "the server sent no NewSessionTicket:\n" + first.out[-3000:])
    expect("New, TLSv1.2" in first.out, "first handshake not new")
    expect("Extended master secret: yes" in first.out, "no EMS")
    second = converse(s_client(srv, "-sess_in", sess, version="-tls1_2"),
                      [REQUEST], re.escape(BODY))
    expect("Reused, TLSv1.2" in second.out,
           "s_client did not resume:\n" + second.out[-3000:])
    # RFC 5246 7.3: the abbreviated handshake has no Certificate nor key
    # exchange
    expect("ServerKeyExchange" in first.out, "no ServerKeyExchange first")
    expect("ServerKeyExchange" not in second.out and
           "ClientKeyExchange" not in second.out,
           "the resumed handshake exchanged keys:\n" + second.out[-3000:])


@suite.case("openssl_s_client_tls12_session_id_alone_is_new")
def openssl_session_id_alone():
    # -no_ticket: a session id only, which padlock never caches
    # (RFC 5077 3.4: its ServerHello names no session), so s_client has
    # no session to save and a second connection is new
    srv = server()
    sess = tmp_path("openssl12-id.sess")
    first = converse(s_client(srv, "-sess_out", sess, "-no_ticket",
                              version="-tls1_2"), [REQUEST], re.escape(BODY))
    hello = first.out[first.out.index("ServerHello"):]
    m = re.search(r"session_id \(len=(\d+)\)", hello)
    expect(m and m.group(1) == "0",
           "the ServerHello names a session:\n" + hello[:1500])
    expect(not os.path.exists(sess) or os.path.getsize(sess) == 0,
           "s_client saved a session it could resume")
    second = converse(s_client(srv, "-no_ticket", version="-tls1_2"),
                      [REQUEST], re.escape(BODY))
    expect("New, TLSv1.2" in second.out, "not a new session")


def python_session_reused(version):
    srv = server()
    ctx = ssl.create_default_context(cafile=pki().root)
    ctx.minimum_version = version
    ctx.maximum_version = version

    def connect(session=None):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
        sock = ctx.wrap_socket(raw, server_hostname="localhost",
                               session=session)
        sock.sendall(REQUEST)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        expect(BODY.encode() in data, "no body")
        return sock

    a = connect()
    expect(not a.session_reused, "the first connection claims reuse")
    session = a.session
    expect(session is not None and session.has_ticket,
           "Python ssl got no ticket")
    a.close()
    b = connect(session)
    expect_equal(b.session_reused, True, "session_reused")
    expect_equal(b.version(), {ssl.TLSVersion.TLSv1_3: "TLSv1.3",
                               ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[version],
                 "version")
    b.close()


@suite.case("python_ssl_session_reused")
def python_resumes():
    python_session_reused(ssl.TLSVersion.TLSv1_3)


@suite.case("python_ssl_tls12_session_reused")
def python_resumes_tls12():
    python_session_reused(ssl.TLSVersion.TLSv1_2)


def gnutls_resume(version):
    require_tools("gnutls-cli")
    srv = server()
    r = run(["gnutls-cli", "--resume", "--x509cafile", pki().root,
             "-p", str(srv.port), "--sni-hostname", "localhost",
             "--verify-hostname", "localhost",
             "--priority", "NORMAL:-VERS-ALL:+VERS-TLS" + version,
             "127.0.0.1"],
            input=b"", timeout=WAIT)
    expect("This is a resumed session" in r.out,
           "gnutls-cli did not resume:\n" + (r.out + r.err)[-3000:])
    expect("(TLS%s)" % version in r.out or "TLS%s" % version in r.out,
           "not TLS %s:\n%s" % (version, r.out[-2000:]))


@suite.case("gnutls_cli_resume")
def gnutls_resumes():
    gnutls_resume("1.3")


@suite.case("gnutls_cli_tls12_resume")
def gnutls_resumes_tls12():
    gnutls_resume("1.2")


if __name__ == "__main__":
    suite.run()
