"""padlock get and padlock check with --tls-versions (1.2, 1.3, 1.2-1.3)
and --tls-suites naming TLS 1.2 suites, against openssl s_server -tls1_2
and -tls1_3 (OpenSSL's libssl: a peer padlock did not write).

Each case checks the exit status, the version and suite -v shows (or the
JSON of check), and for a refusal the one sentence on stderr."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

from common import (Suite, expect_equal, expect_in, padlock_bin,  # noqa: E402
                    padlock_get, pki, run, start_openssl_server)

suite = Suite("padlock get/check --tls-versions and TLS 1.2 suite names")
ECDSA_256 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
ECDSA_CHACHA = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"


def server(version):
    leaf = pki().leaf("ecdsa_p256")
    return start_openssl_server(["-" + version, "-www", "-cert", leaf.cert,
                                 "-cert_chain", leaf.chain, "-key", leaf.key])


def get(srv, *options):
    return padlock_get(srv.url("/"), "--cacert", pki().root, *options)


def check(srv, *options):
    r = run([padlock_bin(), "check", "--ca-file", pki().root, "--http-port",
             "0", "--json", "--min-grade", "F"] + list(options)
            + ["localhost:%d" % srv.port])
    return r, json.loads(r.out)["handshake"]


@suite.case("get_tls12_only_server_with_versions_1_2_and_a_tls12_suite")
def _():
    srv = server("tls1_2")
    r = get(srv, "-v", "--tls-versions", "1.2", "--tls-suites", ECDSA_256)
    expect_equal(r.rc, 0, "exit (%s)" % r.err[-500:])
    expect_in("the server chose TLS 1.2, %s" % ECDSA_256, r.err, "-v")
    expect_in(b"TLSv1.2", r.out_bytes, "s_server's session page")
    r = get(srv, "-v", "--tls-versions", "1.2-1.3", "--tls-suites",
            "TLS_AES_128_GCM_SHA256," + ECDSA_CHACHA.lower())
    expect_equal(r.rc, 0, "exit with 1.2-1.3 (%s)" % r.err[-500:])
    expect_in("the server chose TLS 1.2, %s" % ECDSA_CHACHA, r.err,
              "a lower-case name is taken")
    srv.proc.stop()


@suite.case("get_tls13_only_refused_by_a_tls12_server_and_back")
def _():
    srv12 = server("tls1_2")
    r = get(srv12, "--tls-versions", "1.3")
    expect_equal(r.rc, 1, "exit")
    expect_in("the server sent alert protocol_version", r.err, "why")
    srv12.proc.stop()
    srv13 = server("tls1_3")
    r = get(srv13, "--tls-versions", "1.2")
    expect_equal(r.rc, 1, "exit")
    expect_in("protocol_version", r.err, "why")
    r = get(srv13, "-v", "--tls-versions", "1.3")
    expect_equal(r.rc, 0, "exit (%s)" % r.err[-500:])
    expect_in("the server chose TLS 1.3", r.err, "-v")
    srv13.proc.stop()


@suite.case("bad_versions_and_suites_are_a_bad_command_line")
def _():
    for options, sentence in (
            (["--tls-versions", "1.1"], "padlock never speaks SSL 3.0, "
             "TLS 1.0 or TLS 1.1 (RFC 8996)"),
            (["--tls-versions", "1.4"], "--tls-versions wants 1.2, 1.3 or "
             "1.2-1.3"),
            (["--tls-versions", "1.3", "--tls-suites", ECDSA_256],
             "--tls-suites names no suite of the TLS versions offered"),
            (["--tls-suites", "TLS_RSA_WITH_AES_128_GCM_SHA256"],
             "unknown cipher suite 'TLS_RSA_WITH_AES_128_GCM_SHA256' "
             "(known: TLS_AES_128_GCM_SHA256")):
        r = padlock_get("https://localhost:1/", *options)
        expect_equal(r.rc, 2, "exit for %s" % options)
        expect_in(sentence, r.err, "sentence for %s" % options)
    expect_in(ECDSA_CHACHA, r.err, "the known list names TLS 1.2 suites")
    r = run([padlock_bin(), "check", "--tls-versions", "1.0", "localhost"])
    expect_equal(r.rc, 2, "check's exit")
    expect_in("padlock check: --tls-versions: padlock never speaks", r.err,
              "check's sentence")


@suite.case("check_engine_handshake_follows_tls_versions")
def _():
    srv = server("tls1_2")
    r, hs = check(srv)
    expect_equal((hs["completed"], hs["version"]), (True, "TLS 1.2"),
                 "a TLS 1.2-only site, default versions (%s)" % hs)
    r, hs = check(srv, "--tls-versions", "1.3")
    expect_equal(hs["completed"], False, "1.3 only against 1.2 only")
    expect_in("protocol_version", hs["detail"], "why")
    srv.proc.stop()
    srv = server("tls1_3")
    r, hs = check(srv, "--tls-versions", "1.3")
    expect_equal((hs["completed"], hs["version"]), (True, "TLS 1.3"),
                 "1.3 against 1.3 (%s)" % hs)
    srv.proc.stop()


if __name__ == "__main__":
    suite.run()
