"""padlock check against local targets this test starts on loopback, each
with a known problem: padlock serve with a good chain (A+), with HSTS off
and too short, with a port-80 listener that does not redirect or that
redirects elsewhere; openssl s_server with TLS 1.2 only and RSA key
transport with CBC, with TLS 1.0/1.1 only, with an expired leaf, a
missing intermediate, a wrong host name, an untrusted root; gnutls-serv
with RC4, 3DES and NULL suites; a closed port.
Each case asserts the findings (by their stable codes), the grade and the
exit status, mostly through --json; one case reads the human output, on a
pipe and on a terminal (colours, NO_COLOR, the progress line)."""

import http.server
import json
import os
import pty
import select
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import common  # noqa: E402
from common import (Failure, Suite, expect, expect_equal, expect_in,  # noqa: E402
                    padlock_bin, pki, run, sanitizer_report,
                    start_openssl_server, tmp_path)
import serve_common  # noqa: E402
from h2_hostile import hf, hostile  # noqa: E402

suite = Suite("padlock check: local targets, findings, grades, exit codes")


# ---------------------------------------------------------------------------
# Running padlock check

class Check:
    """One run of padlock check: exit status, JSON (with --json), output."""

    def __init__(self, result, data):
        self.rc = result.rc
        self.out = result.out
        self.err = result.err
        self.json = data

    def codes(self, *levels):
        return {f["code"] for f in self.json["findings"]
                if not levels or f["level"] in levels}

    def finding(self, code):
        for f in self.json["findings"]:
            if f["code"] == code:
                return f
        raise Failure("no finding %s; found: %s"
                      % (code, ", ".join(sorted(self.codes()))))

    def expect_codes(self, *codes, level=None):
        for code in codes:
            f = self.finding(code)
            if level is not None:
                expect_equal(f["level"], level, "level of %s" % code)

    def expect_no_codes(self, *codes):
        found = self.codes() & set(codes)
        expect(not found, "unexpected findings: %s" % ", ".join(sorted(found)))

    def expect_grade(self, grade, rc=None):
        expect_equal(self.json["grade"], grade, "grade")
        if rc is not None:
            expect_equal(self.rc, rc, "exit status (grade %s)" % grade)

    def accepted(self):
        """The protocol versions accepted, by name."""
        return [p["name"] for p in self.json["protocols"] if p["accepted"]]


def check(target, *args, json_output=True, ca=True, ip="127.0.0.1",
          env=None, timeout=60):
    argv = [padlock_bin(), "check", target, "--timeout", "5"]
    if ip:
        argv += ["--ip", ip]
    if ca:
        argv += ["--ca-file", pki().root]
    if json_output:
        argv.append("--json")
    result = run(argv + list(args), timeout=timeout, env=env)
    report = sanitizer_report(result.err)
    expect(not report, "padlock check: sanitizer report: %s" % report)
    expect(not result.timed_out, "padlock check did not finish in %d s"
           % timeout)
    data = None
    if json_output:
        try:
            data = json.loads(result.out)
        except ValueError as e:
            raise Failure("--json printed no JSON (%s): %r"
                          % (e, result.out[:300]))
    return Check(result, data)


# ---------------------------------------------------------------------------
# Targets

def serve(*args, http_port=None):
    """padlock serve with the test PKI's localhost leaf + intermediate."""
    leaf = pki().leaf("ecdsa_p256")
    return serve_common.Serve(["--cert", leaf.chain, "--key", leaf.key]
                              + list(args), http_port=http_port, workers=1)


def s_server(leaf, *args, chain="intermediate"):
    """openssl s_server -www sending leaf.cert and, after it, the test
    intermediate (chain="intermediate"), nothing (None) or a file."""
    argv = ["-cert", leaf.cert, "-key", leaf.key, "-www"]
    if chain == "intermediate":
        chain = pki().intermediate
    if chain is not None:
        argv += ["-cert_chain", chain]
    return start_openssl_server(argv + list(args))


class PlainHttp:
    """A tiny HTTP server on 127.0.0.1 answering every GET with status and
    headers (a port-80 listener that redirects or not)."""

    def __init__(self, status, headers=()):
        answer = (status, list(headers))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(answer[0])
                for name, value in answer[1]:
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"hi")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------
# padlock serve: A+, then one HTTP problem at a time

@suite.case("serve_good_chain_is_a_plus")
def _():
    srv = serve()
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port,
              "--min-grade", "A+")
    c.expect_grade("A+", rc=0)
    expect_equal(c.accepted(), ["TLS 1.2", "TLS 1.3"], "protocols accepted")
    c.expect_codes("protocol.ssl3-refused", "protocol.tls10-refused",
                   "protocol.tls11-refused", "protocol.tls13-accepted",
                   "protocol.engine-handshake", "tls13.hrr", "cert.trusted",
                   "cert.valid", "http.redirect", "hsts.ok", level="ok")
    c.expect_codes("name.list", "cert.no-ocsp-stapling", level="info")
    # The engine's handshake offered X25519MLKEM768 first; padlock serve
    # takes it, and the report says the key exchange is post-quantum.
    c.expect_codes("protocol.post-quantum", level="ok")
    expect_equal(c.json["handshake"]["group"], "X25519MLKEM768",
                 "group of the engine's handshake")
    expect_equal(c.json["counts"]["warning"] + c.json["counts"]["failure"], 0,
                 "warnings and failures")
    expect_equal(c.json["http"]["status"], 301, "port-80 status")
    expect_equal(c.json["http"]["location"],
                 "https://localhost:%d/" % srv.https_port, "Location")
    expect_equal(c.json["hsts"]["max_age"], 63072000, "HSTS max-age")
    expect_equal(len(c.json["certificate"]["chain"]), 2, "chain length")
    expect(c.json["certificate"]["trusted"], "chain trusted")
    expect_equal(sorted(c.json["tls13"]["suites"]),
                 ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                  "TLS_CHACHA20_POLY1305_SHA256"], "TLS 1.3 suites")
    for group in ("x25519", "secp256r1", "secp384r1"):
        expect_in(group, c.json["tls13"]["groups"], "TLS 1.3 groups")
    # An ECDSA certificate: the three ECDHE-ECDSA AEAD suites, nothing else.
    expect_equal(sorted(s["name"] for s in c.json["suites"]["accepted"]),
                 ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
                 "TLS 1.2 suites")


@suite.case("serve_advises_no_flag_it_lacks")
def _():
    # Issue 14: serve logged "...or --ca-file here", a flag serve has not.
    srv = serve_common.Serve(serve_common.localhost_leaf().args(), workers=1)
    err = srv.err()
    expect_in("chain.untrusted-root", err, "serve's warning")
    expect("--ca-file here" not in err, "serve advises a flag it lacks: %r"
           % err)


@suite.case("serve_without_hsts_is_a")
def _():
    srv = serve("--hsts", "off")
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port)
    c.expect_grade("A", rc=0)
    c.expect_codes("hsts.missing", level="warning")
    c.expect_codes("grade.not-a-plus", "http.redirect")
    expect(not c.json["hsts"]["present"], "HSTS reported present")
    c2 = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port,
               "--min-grade", "A+")
    expect_equal(c2.rc, 1, "exit status below --min-grade A+")
    expect_equal(c2.json["passed"], False, "passed")


# ---------------------------------------------------------------------------
# HTTP/2: the ALPN the engine's handshake got for h2,http/1.1

@suite.case("serve_h2_is_reported_with_the_alpn_chosen")
def _():
    srv = serve()
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port)
    c.expect_codes("http.h2", level="ok")
    c.expect_no_codes("http.no-h2", "http.h2-failed")
    expect_in("status 200", c.finding("http.h2")["message"], "http.h2")
    h = c.json["http"]
    expect_equal((h["alpn"], h["h2"], h["h2_answered"]), ("h2", True, True),
                 "http.alpn, h2, h2_answered")
    # HSTS was read from the HTTP/2 answer.
    expect_equal((c.json["hsts"]["https_status"], c.json["hsts"]["max_age"]),
                 (200, 63072000), "HSTS over h2")
    c.expect_grade("A+", rc=0)
    t = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port,
              json_output=False)
    expect_in("the server speaks HTTP/2: it chose h2 in ALPN", t.out, "text")
    expect_in("[http.h2]", t.out, "text")


@suite.case("serve_http2_off_is_no_h2_info_and_keeps_a_plus")
def _():
    srv = serve("--http2", "off")
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port)
    c.expect_codes("http.no-h2", level="info")
    c.expect_no_codes("http.h2", "http.h2-failed")
    expect_in("the server chose http/1.1", c.finding("http.no-h2")["message"],
              "http.no-h2")
    h = c.json["http"]
    expect_equal((h["alpn"], h["h2"], h["h2_answered"]),
                 ("http/1.1", False, None), "http.alpn, h2, h2_answered")
    expect_equal(c.json["hsts"]["https_status"], 200, "HSTS over HTTP/1.1")
    c.expect_grade("A+", rc=0)


@suite.case("server_without_alpn_is_no_h2")
def _():
    srv = s_server(pki().leaf("ecdsa_p256"), "-tls1_3")
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    c.expect_codes("http.no-h2", level="info")
    expect_in("chose nothing (it ignores ALPN)",
              c.finding("http.no-h2")["message"], "http.no-h2")
    h = c.json["http"]
    expect_equal((h["alpn"], h["h2"]), (None, False), "http.alpn, h2")
    srv.proc.stop()


@suite.case("broken_h2_is_a_warning_with_the_reason")
def _():
    port, server = hostile(
        lambda enc: hf.RstStreamFrame(1, error_code=2).serialize(),
        connections=None)
    try:
        c = check("localhost:%d" % port, "--http-port", "0")
    finally:
        server.stop()
    c.expect_codes("http.h2-failed", level="warning")
    expect_in("the server reset the HTTP/2 stream before answering "
              "(RST_STREAM INTERNAL_ERROR)",
              c.finding("http.h2-failed")["message"], "http.h2-failed")
    h = c.json["http"]
    expect_equal((h["alpn"], h["h2"], h["h2_answered"]), ("h2", True, False),
                 "http.alpn, h2, h2_answered")
    c.expect_codes("hsts.unchecked")


@suite.case("serve_short_hsts_is_a")
def _():
    srv = serve("--hsts", "3600")
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port)
    c.expect_grade("A", rc=0)
    c.expect_codes("hsts.short", level="warning")
    expect_equal(c.json["hsts"]["max_age"], 3600, "HSTS max-age")
    expect_in("3600", c.finding("hsts.short")["message"], "hsts.short")


@suite.case("port80_without_redirect_is_a_warning")
def _():
    srv = serve(http_port=0)
    plain = PlainHttp(200)
    try:
        c = check("localhost:%d" % srv.https_port, "--http-port", plain.port)
    finally:
        plain.close()
    c.expect_grade("A", rc=0)
    c.expect_codes("http.no-redirect", level="warning")
    expect_equal(c.json["http"]["status"], 200, "port-80 status")


@suite.case("port80_redirect_elsewhere_is_a_warning")
def _():
    srv = serve(http_port=0)
    plain = PlainHttp(301, [("Location", "https://www.example.org/")])
    try:
        c = check("localhost:%d" % srv.https_port, "--http-port", plain.port)
    finally:
        plain.close()
    c.expect_grade("A", rc=0)
    c.expect_codes("http.redirect-elsewhere", level="warning")
    c.expect_no_codes("http.redirect")
    expect_equal(c.json["http"]["location"], "https://www.example.org/",
                 "Location")
    expect_equal(c.json["http"]["expected_location"],
                 "https://localhost:%d/" % srv.https_port, "expected")
    expect_in("another host and port ('www.example.org' port 443, not "
              "'localhost' port %d)" % srv.https_port,
              c.finding("http.redirect-elsewhere")["message"], "what differs")


@suite.case("port80_redirect_to_another_port_says_the_port_differs")
def _():
    # Issue 14: "not to the same host" when only the port differed.
    srv = serve(http_port=0)
    other = srv.https_port + 1 if srv.https_port < 65535 else 1
    plain = PlainHttp(301, [("Location", "https://localhost:%d/" % other)])
    try:
        c = check("localhost:%d" % srv.https_port, "--http-port", plain.port)
    finally:
        plain.close()
    message = c.finding("http.redirect-elsewhere")["message"]
    expect_in("the same host but another port (%d, not the HTTPS port "
              "checked, %d)" % (other, srv.https_port), message, "message")
    expect("same host:" not in message and "not to the same host" not in
           message, "says the host differs: %s" % message)


@suite.case("port80_closed_is_a_warning")
def _():
    srv = serve(http_port=0)
    c = check("localhost:%d" % srv.https_port, "--http-port",
              common.free_port())
    c.expect_codes("http.port-refused", level="warning")
    c.expect_grade("A", rc=0)


# ---------------------------------------------------------------------------
# openssl s_server: protocols and suites

@suite.case("tls12_only_rsa_kx_cbc_is_b")
def _():
    leaf = pki().leaf("rsa2048")
    srv = s_server(leaf, "-no_tls1_3", "-cipher", "AES128-SHA")
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    c.expect_grade("B", rc=1)
    expect_equal(c.accepted(), ["TLS 1.2"], "protocols accepted")
    names = [s["name"] for s in c.json["suites"]["accepted"]]
    expect_equal(names, ["TLS_RSA_WITH_AES_128_CBC_SHA"], "TLS 1.2 suites")
    s = c.json["suites"]["accepted"][0]
    expect(s["rsa_kx"] and s["cbc"] and not s["forward_secrecy"],
           "suite flags: %r" % s)
    # One finding, not two listing the same suites (issue 14).
    c.expect_codes("suite.no-forward-secrecy", "suite.no-aead",
                   level="failure")
    c.expect_no_codes("suite.rsa-kx")
    expect_in("it is RSA key transport",
              c.finding("suite.no-forward-secrecy")["message"], "why")
    c.expect_codes("suite.cbc", "protocol.tls13-refused", level="warning")
    c.expect_codes("cert.trusted")
    expect_equal(c.json["certificate"]["source"], "TLS 1.2 probe",
                 "where the chain came from")
    caps = {cap["code"] for cap in c.json["caps"]}
    for code in ("suite.no-forward-secrecy", "suite.cbc",
                 "protocol.tls13-refused"):
        expect_in(code, caps, "grade caps")
    c.expect_codes("hsts.unchecked", level="info")


@suite.case("tls10_tls11_only_is_c")
def _():
    leaf = pki().leaf("rsa2048")
    # (This openssl has no 3DES or RC4 left to offer.)
    srv = s_server(leaf, "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1",
                   "-cipher", "ECDHE-RSA-AES128-SHA:AES256-SHA:@SECLEVEL=0",
                   "-serverpref")
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    c.expect_grade("C", rc=1)
    expect_equal(c.accepted(), ["TLS 1.0", "TLS 1.1"], "protocols accepted")
    c.expect_codes("protocol.tls10-accepted", "protocol.tls11-accepted",
                   "suite.no-forward-secrecy", level="failure")
    expect_in("it is RSA key transport",
              c.finding("suite.no-forward-secrecy")["message"], "why")
    c.expect_codes("protocol.tls12-refused", "protocol.engine-failed",
                   level="info")
    expect_in("padlock's engine speaks TLS 1.2 and 1.3, which the server "
              "refuses", c.finding("protocol.engine-failed")["message"],
              "why the engine could not finish")
    expect_in("protocol.tls12-refused", {cap["code"] for cap in c.json["caps"]},
              "grade caps")
    expect_equal(c.json["suites"]["version"], "TLS 1.1", "suites listed at")
    expect_equal([x["name"] for x in c.json["suites"]["accepted"]],
                 ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                  "TLS_RSA_WITH_AES_256_CBC_SHA"],
                 "TLS 1.1 suites, in the server's order")
    expect_equal(c.json["suites"]["server_order"], "server", "server order")
    expect_equal(c.json["certificate"]["source"], "TLS 1.1 probe",
                 "where the chain came from")
    c.expect_codes("cert.trusted")


@suite.case("tls12_groups_are_probed_one_by_one")
def _():
    # Issue 14: every TLS 1.2 suite was tagged "(x25519)", the group the
    # server picked from the probe's list, not the groups it accepts.
    for kind, groups, want in (
            ("rsa2048", "P-384:X448", ["secp384r1", "x448"]),
            # An ECDSA P-256 certificate needs P-256 among the client's
            # groups (RFC 8422 5.1.1): x25519 is found all the same.
            ("ecdsa_p256", "X25519:P-256", ["x25519", "secp256r1"])):
        srv = s_server(pki().leaf(kind), "-no_tls1_3", "-groups", groups)
        c = check("localhost:%d" % srv.port, "--http-port", "0")
        expect_equal(c.json["suites"]["groups"], want, "groups of %s" % groups)
        expect_in(", ".join(want), c.finding("suite.groups")["message"],
                  "suite.groups")
        expect("(x25519)" not in c.finding("suite.list")["message"],
               "suites tagged with a group: %s"
               % c.finding("suite.list")["message"])
        srv.proc.stop()


@suite.case("tls13_session_tickets_are_reported")
def _():
    leaf = pki().leaf("ecdsa_p256")
    for extra, code, count in (([], "session.tickets", 2),
                               (["-num_tickets", "0"], "session.no-tickets",
                                0)):
        srv = s_server(leaf, *extra)
        c = check("localhost:%d" % srv.port, "--http-port", "0")
        c.expect_codes(code)
        expect_equal(c.json["handshake"]["session_tickets"], count,
                     "tickets with %r" % extra)
        # OpenSSL 3.0 has no ML-KEM: x25519, said as worth knowing.
        c.expect_codes("protocol.post-quantum", level="info")
        expect_equal(c.json["handshake"]["group"], "x25519", "group")
        srv.proc.stop()


@suite.case("tls13_ticket_lifetime_and_early_data_are_reported")
def _():
    # OpenSSL's tickets say 7200 s; -early_data puts max_early_data_size
    # in them (RFC 8446 4.2.10). s_server refuses -early_data with -www,
    # so that server answers no GET (HSTS unchecked, which is not judged
    # here).
    leaf = pki().leaf("ecdsa_p256")
    plain = s_server(leaf)
    c = check("localhost:%d" % plain.port, "--http-port", "0")
    plain.proc.stop()
    expect_in("valid for 2 hours (lifetime hint 7200 s)",
              c.finding("session.tickets")["message"], "session.tickets")
    c.expect_codes("session.no-early-data", level="info")
    c.expect_no_codes("session.early-data")
    h = c.json["handshake"]
    expect_equal((h["ticket_lifetime"], h["ticket_max_early_data"]),
                 (7200, 0), "ticket_lifetime, ticket_max_early_data")
    early = start_openssl_server(["-cert", leaf.cert, "-key", leaf.key,
                                  "-cert_chain", pki().intermediate,
                                  "-early_data"])
    c = check("localhost:%d" % early.port, "--http-port", "0")
    early.proc.stop()
    c.expect_codes("session.early-data", level="info")
    c.expect_no_codes("session.no-early-data")
    h = c.json["handshake"]
    expect_equal(h["ticket_lifetime"], 7200, "ticket_lifetime")
    expect(h["ticket_max_early_data"] > 0, "ticket_max_early_data: %r"
           % h["ticket_max_early_data"])
    expect_in("up to %d bytes" % h["ticket_max_early_data"],
              c.finding("session.early-data")["message"], "session.early-data")
    none = s_server(leaf, "-num_tickets", "0")
    c = check("localhost:%d" % none.port, "--http-port", "0")
    none.proc.stop()
    c.expect_no_codes("session.early-data", "session.no-early-data")
    h = c.json["handshake"]
    expect_equal((h["ticket_lifetime"], h["ticket_max_early_data"]),
                 (None, None), "without tickets")


@suite.case("tls12_session_ids_and_tickets_are_reported")
def _():
    # Issue 14: testssl reports TLS 1.2 resumption; the TLS 1.2 probe's
    # ServerHello shows a session ID and the session_ticket extension.
    # OpenSSL leaves the ID empty when it will send a ticket (so the
    # probe's ID is unknown: null); -no_cache turns IDs off. Issue 9: a
    # second connection proves whether the server resumes
    # (handshake.resumption); by ID from a handshake whose ClientHello has
    # no session_ticket, which OpenSSL answers with an ID it resumes.
    leaf = pki().leaf("ecdsa_p256")
    for extra, ids, tickets, by_id in (
            ([], None, True, True),
            (["-no_ticket"], True, False, True),
            (["-no_ticket", "-no_cache"], False, False, False)):
        srv = s_server(leaf, "-no_tls1_3", *extra)
        c = check("localhost:%d" % srv.port, "--http-port", "0")
        srv.proc.stop()
        h = c.json["handshake"]
        expect_equal((h["tls12_session_id"], h["tls12_session_ticket"]),
                     (ids, tickets), "TLS 1.2 announcements with %r" % extra)
        res = h["resumption"]
        expect_equal(res["tls13_ticket"]["resumed"], None,
                     "no TLS 1.3 to resume with %r" % extra)
        expect_equal(res["tls12_session_id"]["resumed"], by_id,
                     "resumed by ID with %r: %s" % (extra,
                                                   res["tls12_session_id"]))
        if tickets:
            t = res["tls12_ticket"]
            if t["resumed"] is None:
                # The engine of this branch asks for no TLS 1.2 ticket.
                expect_in("padlock's engine received no ticket", t["detail"],
                          "why the ticket was not tried")
                c.expect_codes("session.tls12-tickets", level="info")
            else:
                expect_equal(t["resumed"], True, "resumed with the ticket")
                c.expect_codes("session.tls12-tickets", level="ok")
        else:
            expect_equal(res["tls12_ticket"],
                         {"resumed": False, "ticket_lifetime": None,
                          "detail": "the server sent no TLS 1.2 session "
                                    "ticket"}, "tls12_ticket")
            c.expect_no_codes("session.tls12-tickets")
        if by_id:
            c.expect_codes("session.tls12-ids", level="ok")
            expect_in("offered the session ID of the first handshake "
                      "resumed that session (RFC 5246 7.3)",
                      c.finding("session.tls12-ids")["message"], "message")
        if ids is False:
            expect_equal(res["tls12_session_id"],
                         {"resumed": False, "detail": "the server named no "
                          "session ID, so it keeps no sessions to resume by "
                          "ID"}, "tls12_session_id")
            c.expect_codes("session.tls12-none", level="info")
            c.expect_no_codes("session.tls12-ids", "session.tls12-tickets")
    # GnuTLS sends both an ID and the extension; with --nodb it names
    # sessions it cannot resume, with --noticket it sends no ticket.
    for extra, resumed_by_id, code in (
            ([], True, "session.tls12-ids"),
            (["--nodb"], False, "session.tls12-ids-not-resumed"),
            (["--nodb", "--noticket"], False, "session.tls12-ids-not-resumed"),
            (["--noticket"], True, "session.tls12-ids")):
        gnutls = common.start_gnutls_server(
            ["--http", "--x509certfile", leaf.chain, "--x509keyfile",
             leaf.key, "--priority", "NORMAL:-VERS-TLS1.3"] + extra)
        c = check("localhost:%d" % gnutls.port, "--http-port", "0")
        gnutls.proc.stop()
        h = c.json["handshake"]
        expect_equal(h["tls12_session_id"], True, "gnutls-serv names sessions")
        expect_equal(h["resumption"]["tls12_session_id"]["resumed"],
                     resumed_by_id, "gnutls-serv %r resumes by ID: %s" % (
                         extra, h["resumption"]["tls12_session_id"]))
        c.expect_codes(code)
        if "--noticket" not in extra:
            c.expect_codes("session.tls12-tickets", level=None)


@suite.case("tls13_resumption_is_proven_by_a_second_connection")
def _():
    # OpenSSL resumes with its tickets; with -no_ticket its TLS 1.3 tickets
    # are stateful (they name a cached session), so with -no_cache too they
    # cannot resume; -num_tickets 0 sends none. padlock serve resumes. The
    # grade is the same whatever the resumption.
    leaf = pki().leaf("ecdsa_p256")
    grades = set()
    for extra, resumed, code, level in (
            ([], True, "session.tickets", "ok"),
            (["-no_ticket", "-no_cache"], False,
             "session.tickets-not-resumed", "info"),
            (["-num_tickets", "0"], False, "session.no-tickets", "info")):
        srv = s_server(leaf, *extra)
        c = check("localhost:%d" % srv.port, "--http-port", "0")
        srv.proc.stop()
        t = c.json["handshake"]["resumption"]["tls13_ticket"]
        expect_equal(t["resumed"], resumed, "resumed with %r" % extra)
        c.expect_codes(code, level=level)
        grades.add(c.json["grade"])
    expect_equal(len(grades), 1, "one grade for every resumption: %s" % grades)
    srv = serve()
    c = check("localhost:%d" % srv.https_port, "--http-port", "0")
    srv.stop()
    res = c.json["handshake"]["resumption"]
    expect_equal(res["tls13_ticket"], {"resumed": True, "ticket_lifetime":
                                       86400, "detail": "a second connection "
                                       "resumed the session of the first"},
                 "padlock serve's TLS 1.3 tickets")
    expect_equal(res["early_data"], False, "early data")
    expect_in("valid for 1 day (lifetime hint 86400 s), and a second "
              "connection resumed with one (RFC 8446 2.2)",
              c.finding("session.tickets")["message"], "session.tickets")
    # padlock serve keeps no session cache (issue 9: a session ID alone
    # gets a full handshake), whether or not it names a session ID to a
    # ClientHello without session_ticket.
    expect(res["tls12_session_id"] in (
        {"resumed": False, "detail": "the server named no session ID, so "
         "it keeps no sessions to resume by ID"},
        {"resumed": False, "detail": "a second ClientHello offering the "
         "session ID of the first handshake got a full handshake"}),
        "padlock serve by session ID: %s" % res["tls12_session_id"])
    expect(res["tls12_ticket"]["resumed"] in (False, True),
           "padlock serve's TLS 1.2 ticket: %s" % res["tls12_ticket"])
    if res["tls12_ticket"]["resumed"]:
        c.expect_codes("session.tls12-tickets", level="ok")
    # Without TLS 1.2 there is nothing to say of it.
    srv = s_server(leaf, "-tls1_3")
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    srv.proc.stop()
    c.expect_no_codes("session.tls12-ids", "session.tls12-tickets",
                      "session.tls12-none", "session.tls12-ids-not-resumed",
                      "session.tls12-tickets-not-resumed")
    h = c.json["handshake"]
    expect_equal((h["tls12_session_id"], h["tls12_session_ticket"]),
                 (None, None), "TLS 1.2 announcements without TLS 1.2")
    expect_equal(h["resumption"]["tls12_session_id"],
                 {"resumed": None, "detail": "not tried: the server does "
                  "not accept TLS 1.2"}, "TLS 1.2 resumption without TLS 1.2")


WEAK_PRIORITY = ("NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+ARCFOUR-128:"
                 "+NULL:+RSA:+SHA1:+MD5")

@suite.case("gnutls_rc4_3des_null_is_f")
def _():
    # What this openssl no longer offers, GnuTLS still can.
    leaf = pki().leaf("rsa2048")
    srv = common.start_gnutls_server(["--http", "--x509certfile", leaf.chain,
                                      "--x509keyfile", leaf.key,
                                      "--priority", WEAK_PRIORITY])
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    c.expect_grade("F", rc=1)
    c.expect_codes("suite.rc4", "suite.3des", "suite.null",
                   "protocol.tls10-accepted", level="failure")
    # The test leaf's keyUsage is digitalSignature only, so GnuTLS (unlike
    # openssl s_server) refuses RSA key transport with it.
    c.expect_codes("suite.forward-secrecy", level="ok")
    suites = c.json["suites"]["accepted"]
    for flag in ("rc4", "3des", "null", "cbc", "aead", "forward_secrecy"):
        expect(any(s[flag] for s in suites), "no accepted suite is %s" % flag)
    expect_equal(c.json["suites"]["server_order"], "client", "server order")
    c.expect_codes("suite.client-order", level="warning")
    caps = {cap["code"]: cap["grade"] for cap in c.json["caps"]}
    for code in ("suite.rc4", "suite.null", "suite.3des"):
        expect_in(code, caps, "grade caps")
    expect_equal(caps["suite.3des"], "C", "the cap of 3DES")


# ---------------------------------------------------------------------------
# Certificate problems: T, with the diagnostics' codes

def expect_trust_problem(c, code):
    c.expect_grade("T", rc=1)
    c.expect_codes(code, level="failure")
    expect_equal(c.json["certificate"]["trusted"], False, "trusted")
    expect(c.json["grade_if_trusted"], "grade_if_trusted is set")
    expect_in(code, {cap["code"] for cap in c.json["caps"]}, "grade caps")


@suite.case("expired_leaf_is_t")
def _():
    leaf = pki().expired_leaf()
    srv = s_server(leaf)
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    expect_trust_problem(c, "cert.expired")
    leaf_info = c.json["certificate"]["chain"][0]
    expect(leaf_info["days_left"] < 0, "days_left of an expired leaf")


@suite.case("missing_intermediate_is_t")
def _():
    leaf = pki().leaf("ecdsa_p256")
    srv = s_server(leaf, chain=None)
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    expect_trust_problem(c, "chain.missing-intermediate")
    expect_equal(len(c.json["certificate"]["chain"]), 1, "chain length")


def aia_leaf():
    """A localhost leaf of the test intermediate whose AIA names where the
    intermediate can be downloaded."""
    p = pki()
    if "aia" not in p._leaves:
        key = p._key("aia_leaf", "ecdsa_p256")
        ext = (common.LEAF_EXT % common.LOCAL_NAMES +
               "authorityInfoAccess=caIssuers;URI:"
               "http://ca.padlock.test/intermediate.der\n")
        cert = p._sign("aia_leaf", "localhost", key, p.intermediate,
                       p.intermediate_key, ext, 365)
        p._leaves["aia"] = common.Leaf("ecdsa_p256", "localhost", cert, key,
                                       cert)
    return p._leaves["aia"]


@suite.case("missing_intermediate_names_it_without_server_file_names")
def _():
    # Issue 14: a remote site was told about "chain.pem" and "cat chain.pem
    # intermediate.pem > fullchain.pem", files only its server has.
    srv = s_server(aia_leaf(), chain=None)
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    f = c.finding("chain.missing-intermediate")
    text = f["message"] + " " + f["fix"]
    expect_in("CN=padlock test intermediate", f["message"], "the missing one")
    expect_in("CN=localhost", f["message"], "the certificate it issued")
    expect_in("http://ca.padlock.test/intermediate.der", f["message"],
              "where to download it")
    for word in ("chain.pem", "fullchain.pem", "cat "):
        expect(word not in text, "names a server file (%s): %s" % (word, text))
    expect_in("configure the server to send", f["fix"], "the fix in words")


@suite.case("wrong_host_name_is_t")
def _():
    leaf = pki().wrong_host_leaf()
    srv = s_server(leaf)
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    expect_trust_problem(c, "name.mismatch")


@suite.case("untrusted_root_is_t")
def _():
    leaf = pki().untrusted_leaf()
    rogue, _key = pki().rogue_root()
    srv = s_server(leaf, chain=rogue)
    c = check("localhost:%d" % srv.port, "--http-port", "0")
    expect_trust_problem(c, "chain.untrusted-root")


def ocsp_response(leaf):
    """A DER OCSP response for leaf, signed by the test intermediate (its
    status is "unknown": what matters here is that it is stapled)."""
    index, req, resp = (tmp_path("ocsp-index.txt"), tmp_path("ocsp-req.der"),
                        tmp_path("ocsp-resp.der"))
    open(index, "w").close()
    inter, inter_key = pki().intermediate, pki().intermediate_key
    common.openssl("ocsp", "-issuer", inter, "-cert", leaf.cert, "-no_nonce",
                   "-reqout", req)
    common.openssl("ocsp", "-index", index, "-rsigner", inter, "-rkey",
                   inter_key, "-CA", inter, "-reqin", req, "-respout", resp,
                   "-ndays", "1")
    return resp


@suite.case("ocsp_stapling_is_seen_in_tls13_and_tls12")
def _():
    leaf = pki().leaf("ecdsa_p256")
    resp = ocsp_response(leaf)
    for extra, source in (([], "TLS 1.3 handshake"),
                          (["-no_tls1_3"], "TLS 1.2 handshake")):
        srv = s_server(leaf, "-status_file", resp, *extra)
        c = check("localhost:%d" % srv.port, "--http-port", "0")
        c.expect_codes("cert.ocsp-stapled", level="ok")
        expect_equal(c.json["certificate"]["ocsp_stapled"], True, "stapled")
        expect_equal(c.json["certificate"]["source"], source, "source")
        srv.proc.stop()


@suite.case("sni_names_the_certificate_to_verify")
def _():
    leaf = pki().named_leaf("www.padlock.test")
    srv = s_server(leaf)
    c = check("127.0.0.1:%d" % srv.port, "--sni", "www.padlock.test",
              "--http-port", "0", ip=None)
    c.expect_codes("cert.trusted", "dns.literal")
    c.expect_no_codes("name.mismatch")
    expect_equal(c.json["target"]["sni"], "www.padlock.test", "SNI")


# ---------------------------------------------------------------------------
# Reachability and the command line

@suite.case("closed_port_is_refused_exit_2")
def _():
    port = common.free_port()
    c = check("localhost:%d" % port)
    expect_equal(c.rc, 2, "exit status")
    c.expect_codes("port.refused", level="failure")
    expect_equal(c.json["reachable"], False, "reachable")
    expect_equal(c.json["grade"], None, "grade")
    expect_equal(c.json["addresses"][0]["port"], "refused", "port state")
    expect_in("ss -ltnp", c.finding("port.refused")["fix"], "fix")


class SilentServer:
    """A port that accepts every connection and never says a word; counts
    the connections."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()

    def _hold(self):
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.held:
            s.close()
        self.listener.close()


@suite.case("silent_server_is_detected_on_the_first_probe")
def _():
    # Issue 14: five probes one after the other, then a handshake, each
    # waiting its whole timeout (30 s by default), and empty sections.
    # Now the first probe's silence skips what needs an answer: one
    # connection, about one timeout; the sections say why they are empty.
    silent = SilentServer()
    try:
        start = time.monotonic()
        c = check("localhost:%d" % silent.port, "--timeout", "1",
                  "--http-port", "0")
        elapsed = time.monotonic() - start
        connections = len(silent.held)
    finally:
        silent.close()
    print("# a silent server, --timeout 1: %d connection(s), %.1f s"
          % (connections, elapsed))
    expect_equal(connections, 2, "connections to the silent port (step "
                 "2's connect and the first probe)")
    expect_equal(c.json["complete"], True, "complete")
    c.expect_no_codes("run.incomplete", "protocol.ssl3-unclear")
    c.expect_codes("protocol.silent", "protocol.none", level="failure")
    c.expect_codes("protocol.tls13-unclear", level="warning")
    for code, words in (("suite.skipped", "answered no ClientHello"),
                        ("cert.skipped", "answered no ClientHello")):
        c.expect_codes(code, level="info")
        expect_in(words, c.finding(code)["message"], code)
    c.expect_grade("F", rc=1)
    # The human output: no section is left empty.
    silent = SilentServer()
    try:
        h = check("localhost:%d" % silent.port, "--timeout", "0.5",
                  "--http-port", "0", json_output=False)
    finally:
        silent.close()
    for title in ("4. Cipher suites and groups", "5. Certificate"):
        section = h.out.split(title, 1)[1].split("\n\n", 1)[0]
        expect("\n   " in section and "answered no ClientHello" in section,
               "section %s does not say why it is empty: %r"
               % (title, section))


@suite.case("unknown_name_exit_2")
def _():
    c = check("no-such-host.invalid", ip=None)
    expect_equal(c.rc, 2, "exit status")
    c.expect_codes("dns.not-found", level="failure")


@suite.case("usage_errors_exit_2")
def _():
    for args, words in ((["--bogus", "localhost"], "unknown option"),
                        (["http://localhost/"], "http"),
                        (["localhost", "--min-grade", "Z"], "--min-grade"),
                        (["localhost", "--timeout", "x"], "--timeout"),
                        (["localhost", "--ip", "not-an-ip"], "--ip"),
                        ([], "no site given"),
                        (["a", "b"], "exactly one")):
        r = run([padlock_bin(), "check"] + args)
        expect_equal(r.rc, 2, "exit status of %r" % args)
        expect_in(words, r.err, "stderr of %r" % args)


@suite.case("http_url_names_the_command_and_the_https_url")
def _():
    # Issue 14: "padlock get speaks only HTTPS" named the wrong command.
    for target, wanted in (
            ("http://localhost/a?b", "padlock check https://localhost/a?b\n"),
            ("HTTP://example.test", "padlock check https://example.test/\n"),
            ("http://[::1]:8080/x",
             "padlock check --http-port 8080 https://[::1]/x\n")):
        r = run([padlock_bin(), "check", target])
        expect_equal(r.rc, 2, "exit status of %s" % target)
        expect_in(wanted, r.err, "stderr of %s" % target)
        expect("padlock get" not in r.err, "names padlock get: %r" % r.err)


@suite.case("target_forms_and_json_schema")
def _():
    srv = serve()
    forms = ["localhost:%d" % srv.https_port,
             "https://localhost:%d/" % srv.https_port]
    for form in forms:
        c = check(form, "--http-port", srv.http_port)
        t = c.json["target"]
        expect_equal((t["host"], t["port"], t["path"]),
                     ("localhost", srv.https_port, "/"), "target of %s" % form)
    keys = {"schema", "target", "started_at", "duration_ms", "complete",
            "reachable", "grade", "grade_if_trusted", "caps", "min_grade",
            "passed", "counts", "addresses", "tested_ip", "protocols",
            "handshake", "suites", "tls13", "certificate", "http", "hsts",
            "findings"}
    expect_equal(sorted(set(c.json) ^ keys), [], "top-level keys")
    expect_equal(c.json["schema"], "padlock-check/1", "schema")
    for f in c.json["findings"]:
        expect_equal(sorted(f), ["cert", "code", "fix", "level", "message",
                                 "step"], "finding keys")
        expect_in(f["step"], ("name", "port", "protocols", "suites",
                              "certificate", "http", "grade"), "step")
        expect_in(f["level"], ("ok", "info", "warning", "failure"), "level")


# ---------------------------------------------------------------------------
# Human output

def on_terminal(argv, env):
    """Runs argv with stdout and stderr on a pseudo-terminal; its output."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave, env=env)
    os.close(slave)
    data = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            p.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    p.wait(30)
    os.close(master)
    return p.returncode, data.decode("utf-8", "replace")


@suite.case("human_output_by_step_colour_and_progress")
def _():
    srv = serve()
    argv = [padlock_bin(), "check", "localhost:%d" % srv.https_port,
            "--ip", "127.0.0.1", "--ca-file", pki().root,
            "--http-port", str(srv.http_port)]
    c = check("localhost:%d" % srv.https_port, "--http-port", srv.http_port,
              json_output=False)
    expect_equal(c.rc, 0, "exit status")
    last = -1
    for n, title in enumerate(["Name", "Port", "Protocols", "Cipher suites",
                               "Certificate", "HTTP redirect", "Grade"]):
        at = c.out.find("%d. %s" % (n + 1, title))
        expect(at > last, "step %d (%s) in order in:\n%s"
               % (n + 1, title, c.out))
        last = at
    expect_in("[cert.trusted]", c.out, "output")
    expect_in("grade A+", c.out, "summary")
    expect("\x1b[" not in c.out + c.err, "no escape codes on a pipe")
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    rc, text = on_terminal(argv, env)
    expect_equal(rc, 0, "exit status on a terminal")
    expect_in("\x1b[32m", text, "colour on a terminal")
    expect_in("\r\x1b[K[3/7] Protocols:", text, "progress line")
    env["NO_COLOR"] = "1"
    rc, text = on_terminal(argv, env)
    expect("\x1b[32m" not in text, "NO_COLOR honoured")
    env.pop("NO_COLOR")
    rc, text = on_terminal(argv + ["--no-color"], env)
    expect("\x1b[32m" not in text, "--no-color honoured")


if __name__ == "__main__":
    suite.run()
