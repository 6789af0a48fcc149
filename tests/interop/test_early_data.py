"""padlock_testserver <- `openssl s_client -early_data`: 0-RTT data is skipped.

padlock never accepts early data (RFC 8446 4.2.10): a server that rejects it
skips the client's early data records and completes a full handshake. To
make s_client send early data, a session that allows it is first obtained
from `openssl s_server -early_data` (-sess_out); s_client then offers it to
padlock_testserver (-sess_in) and sends a request as 0-RTT data. padlock
knows nothing of that session: it answers with a full handshake, and its
EncryptedExtensions carry no early_data, which s_client reports as "Early
data was rejected"; the request then goes again as ordinary data and is
answered. Two ways:
  - without a HelloRetryRequest: the early data records arrive under the
    client's early traffic key and fail to deprotect under the handshake
    key, and are skipped until the client's Finished;
  - with one (--require-cookie): they arrive before the second ClientHello,
    before the server reads with any key, and are skipped until it comes.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, REQUEST, Suite, converse, expect, expect_in,  # noqa: E402
                    expect_re, pki, require_tools, start_openssl_server,
                    start_testserver, testserver_bin, tmp_path,
                    trace_messages, pick, wait_until)

suite = Suite("padlock_testserver <- openssl s_client -early_data")

_session = []


def session_allowing_early_data():
    """A TLS 1.3 session (PEM) whose ticket allows early data, from s_server."""
    if _session:
        return _session[0]
    leaf = pki().leaf("ecdsa_p256")
    server = start_openssl_server(["-tls1_3", "-cert", leaf.cert, "-key", leaf.key,
                                   "-early_data"])
    path = tmp_path("session.pem")
    argv = ["openssl", "s_client", "-tls1_3", "-connect",
            "127.0.0.1:%d" % server.port, "-sess_out", path]
    result = converse(argv, ["Post-Handshake New Session Ticket arrived", 0.5],
                      r"Max Early Data: [1-9]")
    expect_re(r"Max Early Data: [1-9]", result.out,
              "s_client's output (a ticket that allows early data)")
    server.proc.stop()
    expect(os.path.exists(path), "s_client wrote no session to %s" % path)
    _session.append(path)
    return path


def case_early_data(require_cookie):
    session = session_allowing_early_data()
    early = tmp_path("early.txt")
    with open(early, "wb") as f:
        f.write(b"GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n")
    args = pki().leaf("ecdsa_p256").server_args()
    server = start_testserver(args + (["--require-cookie"] if require_cookie else []))
    argv = ["openssl", "s_client", "-tls1_3", "-connect", "127.0.0.1:%d" % server.port,
            "-servername", "localhost", "-CAfile", pki().root,
            "-verify_return_error", "-sess_in", session, "-early_data", early,
            "-trace"]
    result = converse(argv, [REQUEST], re.escape(BODY))
    out = result.out
    trace = trace_messages(out)
    hellos = pick(trace, "sent", "ClientHello")
    expect(hellos and hellos[0].has_extension(42),
           "s_client's first ClientHello offered no early_data")
    expect_in("Early data was rejected", out, "s_client's output")
    m = expect_re(r"New, (\S+), Cipher is", out, "s_client's session summary")
    expect(m.group(1) == "TLSv1.3", "s_client negotiated %s" % m.group(1))
    retried = any(h.is_hello_retry_request()
                  for h in pick(trace, "received", "ServerHello"))
    expect(retried == require_cookie, "a HelloRetryRequest %s"
           % ("was expected" if require_cookie else "came unasked"))
    expect_re(r"HTTP/1\.[01] 200", out, "s_client's output (response status)")
    expect_in(BODY, out, "s_client's output (response body)")
    wait_until(lambda: "result=ok" in server.proc.err(),
               "the test server to log a completed connection", timeout=5)


suite.add("early_data_skipped", case_early_data, False)
suite.add("early_data_skipped_after_hello_retry", case_early_data, True)


def setup():
    require_tools("openssl")
    testserver_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
