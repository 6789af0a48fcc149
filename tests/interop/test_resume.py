"""TLS 1.3 resumption with padlock's tickets, as real clients report it.

padlock_testserver <- `openssl s_client -sess_out` then `-sess_in`
("Reused, TLSv1.3", no CertificateVerify in the second handshake),
Python's ssl (SSLSocket.session, session_reused) and `gnutls-cli --resume`.
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


def s_client(srv, *extra):
    return ["openssl", "s_client", "-tls1_3",
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


@suite.case("python_ssl_session_reused")
def python_resumes():
    srv = server()
    ctx = ssl.create_default_context(cafile=pki().root)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3

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
    expect_equal(b.version(), "TLSv1.3", "version")
    b.close()


@suite.case("gnutls_cli_resume")
def gnutls_resumes():
    require_tools("gnutls-cli")
    srv = server()
    r = run(["gnutls-cli", "--resume", "--x509cafile", pki().root,
             "-p", str(srv.port), "--sni-hostname", "localhost",
             "--verify-hostname", "localhost",
             "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "127.0.0.1"],
            input=b"", timeout=WAIT)
    expect("This is a resumed session" in r.out,
           "gnutls-cli did not resume:\n" + (r.out + r.err)[-3000:])


if __name__ == "__main__":
    suite.run()
