"""padlock's TLS client -> openssl s_server and gnutls-serv: it keeps the
session of a connection and resumes with it on the next, in TLS 1.3 and
in TLS 1.2 (RFC 5077 tickets, the abbreviated handshake).

tests/tools/resume_client.c connects three times and prints, per
connection, whether the handshake resumed and the server's answer;
s_server's -www page says "New" or "Reused" itself.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (Failure, Suite, expect, pki, require_tools, run,  # noqa: E402
                    start_gnutls_server, start_openssl_server)

suite = Suite("padlock client -> openssl s_server, gnutls-serv: resumption")


def tool():
    build = os.environ.get("PADLOCK_BUILD_DIR")
    if not build:
        raise Failure("PADLOCK_BUILD_DIR is not set (ctest sets it)")
    return os.path.join(build, "resume_client")


def connections(port, *version):
    r = run([tool(), "127.0.0.1", str(port), "localhost", pki().root, "3"] +
            list(version))
    expect(r.rc == 0, "resume_client failed: %s" % (r.out + r.err)[-1500:])
    lines = [l for l in r.out.splitlines() if re.match(r"\d: ", l)]
    expect(len(lines) == 3, "three connections: %r" % lines)
    return lines, r.out


@suite.case("openssl_s_server_resumes")
def openssl_server():
    leaf = pki().leaf("ecdsa_p256")
    srv = start_openssl_server(["-tls1_3", "-cert", leaf.cert, "-key", leaf.key,
                                "-cert_chain", pki().intermediate, "-www"])
    lines, out = connections(srv.port)
    expect(lines[0].startswith("0: full TLS 1.3"), lines[0])
    expect(lines[1].startswith("1: resumed TLS 1.3"), lines[1])
    expect(lines[2].startswith("2: resumed TLS 1.3"), lines[2])
    # what s_server says of each session on its -www page
    expect(out.count("New, TLSv1.3") == 1 and out.count("Reused, TLSv1.3") == 2,
           "s_server's pages: %s" % out[-3000:])


@suite.case("gnutls_serv_resumes")
def gnutls_server():
    require_tools("gnutls-serv")
    leaf = pki().leaf("ecdsa_p256")
    srv = start_gnutls_server(["--x509certfile", leaf.chain,
                               "--x509keyfile", leaf.key, "--http",
                               "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3"])
    lines, _ = connections(srv.port)
    expect(lines[0].startswith("0: full TLS 1.3"), lines[0])
    expect(lines[1].startswith("1: resumed TLS 1.3"), lines[1])
    expect(lines[2].startswith("2: resumed TLS 1.3"), lines[2])


@suite.case("openssl_s_server_tls12_resumes")
def openssl_server_tls12():
    leaf = pki().leaf("ecdsa_p256")
    srv = start_openssl_server(["-tls1_2", "-no_cache", "-cert", leaf.cert,
                                "-key", leaf.key,
                                "-cert_chain", pki().intermediate, "-www"])
    lines, out = connections(srv.port, "1.2")
    expect(lines[0].startswith("0: full TLS 1.2"), lines[0])
    expect(lines[1].startswith("1: resumed TLS 1.2"), lines[1])
    expect(lines[2].startswith("2: resumed TLS 1.2"), lines[2])
    # -no_cache: s_server resumes only from the ticket
    expect(out.count("New, TLSv1.2") == 1 and out.count("Reused, TLSv1.2") == 2,
           "s_server's pages: %s" % out[-3000:])


@suite.case("gnutls_serv_tls12_resumes")
def gnutls_server_tls12():
    require_tools("gnutls-serv")
    leaf = pki().leaf("ecdsa_p256")
    srv = start_gnutls_server(["--x509certfile", leaf.chain,
                               "--x509keyfile", leaf.key, "--http",
                               "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2"])
    lines, _ = connections(srv.port, "1.2")
    expect(lines[0].startswith("0: full TLS 1.2"), lines[0])
    expect(lines[1].startswith("1: resumed TLS 1.2"), lines[1])
    expect(lines[2].startswith("2: resumed TLS 1.2"), lines[2])


if __name__ == "__main__":
    suite.run()
