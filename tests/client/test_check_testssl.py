"""padlock check and Debian's testssl.sh, on the same local targets, must
agree on what both can judge: the protocol versions offered, whether the
chain is trusted and expired, and the categories of cipher suites accepted
(NULL, anonymous, EXPORT, RC4, 3DES, CBC, AEAD, forward secrecy).

testssl.sh is slow (seconds of start-up per run), so it runs only the
checks compared (-p protocols, -S server defaults: the certificate, -s
cipher categories, -f forward secrecy), on three targets at once:
padlock serve (TLS 1.3 only), openssl s_server with TLS 1.2 and RSA key
transport with CBC, and gnutls-serv with TLS 1.0 to 1.2, RC4, 3DES and NULL
suites and an expired leaf. Both tools trust the test CA (--ca-file / --add-ca)."""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

from common import (Failure, Suite, expect, expect_equal, padlock_bin,  # noqa: E402
                    pki, run, sanitizer_report, start_gnutls_server,
                    start_openssl_server, tmp_path)
import serve_common  # noqa: E402

suite = Suite("padlock check and testssl.sh agree on protocols, trust, "
              "expiry and cipher categories")

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
TESTSSL_WAIT = 480  # a bound on a hang, not a timing test: testssl.sh takes
#                     40-90 s idle and over 180 s on a loaded 2-core machine
#                     now that padlock serve speaks TLS 1.2 too (ctest: 600 s)

PROTOCOL_IDS = {"SSL 3.0": "SSLv3", "TLS 1.0": "TLS1", "TLS 1.1": "TLS1_1",
                "TLS 1.2": "TLS1_2", "TLS 1.3": "TLS1_3"}

_targets = {}


# ---------------------------------------------------------------------------
# The targets, started once and judged by both tools

def start_targets():
    leaf = pki().leaf("ecdsa_p256")
    serve = serve_common.Serve(["--cert", leaf.chain, "--key", leaf.key,
                                "--tls-versions", "1.3"],
                               http_port=0, workers=1)
    _targets["serve"] = serve.https_port
    rsa = pki().leaf("rsa2048")
    s1 = start_openssl_server(["-cert", rsa.cert, "-cert_chain",
                               pki().intermediate, "-key", rsa.key, "-www",
                               "-no_tls1_3", "-cipher", "AES128-SHA"])
    _targets["tls12_rsa_cbc"] = s1.port
    # GnuTLS still offers what this openssl no longer has (RC4, 3DES,
    # NULL), and TLS 1.0 and 1.1, here with an expired leaf.
    old = pki().expired_leaf()
    s2 = start_gnutls_server(["--http", "--x509certfile", old.chain,
                              "--x509keyfile", old.key, "--priority",
                              "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:"
                              "+ARCFOUR-128:+NULL:+SHA1"])
    _targets["weak_expired"] = s2.port
    return [serve.proc, s1.proc, s2.proc]


def run_testssl_all():
    """testssl.sh on every target at once; {name: [JSON findings]}."""
    procs = {}
    for name, port in _targets.items():
        path = tmp_path("testssl-%s.json" % name)
        argv = [TESTSSL, "--jsonfile", path, "--quiet", "--warnings", "off",
                "--color", "0", "--nodns", "none", "--ip", "127.0.0.1",
                "--add-ca", pki().root, "-p", "-S", "-s", "-f",
                "localhost:%d" % port]
        procs[name] = (subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT), path, argv)
    results, problems = {}, []
    deadline = time.monotonic() + TESTSSL_WAIT
    for name, (p, path, argv) in procs.items():
        try:
            out, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            problems.append("%s: testssl.sh did not finish in %d s"
                            % (name, TESTSSL_WAIT))
            continue
        try:
            with open(path) as f:
                results[name] = json.load(f)
        except (OSError, ValueError) as e:
            problems.append("%s: no JSON from testssl.sh (%s): %s\n  $ %s"
                            % (name, e, out.decode(errors="replace")[-800:],
                               " ".join(argv)))
    if problems:
        raise Failure("\n".join(problems))
    return results


def run_padlock(port):
    r = run([padlock_bin(), "check", "localhost:%d" % port, "--ip",
             "127.0.0.1", "--ca-file", pki().root, "--http-port", "0",
             "--json"], timeout=60)
    report = sanitizer_report(r.err)
    expect(not report, "padlock check: sanitizer report: %s" % report)
    try:
        return json.loads(r.out)
    except ValueError:
        raise Failure("padlock check printed no JSON: %r" % r.err[-500:])


# ---------------------------------------------------------------------------
# What each tool says, in the same words

def testssl_finding(findings, ident):
    for f in findings:
        if f["id"] == ident:
            return f["finding"]
    raise Failure("testssl.sh reported no '%s'" % ident)


def testssl_offered(findings, ident):
    text = testssl_finding(findings, ident).lower()
    return text.startswith("offered") or text.startswith("supported")


def testssl_view(findings):
    view = {"protocols": {name: testssl_offered(findings, ident)
                          for name, ident in PROTOCOL_IDS.items()}}
    trust = testssl_finding(findings, "cert_chain_of_trust")
    view["trusted"] = trust.startswith("passed")
    view["expired"] = testssl_finding(
        findings, "cert_expirationStatus").startswith("expired")
    view["categories"] = {
        "NULL": testssl_offered(findings, "cipherlist_NULL"),
        "anon": testssl_offered(findings, "cipherlist_aNULL"),
        "EXPORT": testssl_offered(findings, "cipherlist_EXPORT"),
        "LOW (RC4, DES)": testssl_offered(findings, "cipherlist_LOW"),
        "3DES": testssl_offered(findings, "cipherlist_3DES_IDEA"),
        "CBC": testssl_offered(findings, "cipherlist_AVERAGE"),
        "AEAD": testssl_offered(findings, "cipherlist_STRONG"),
        "forward secrecy": not testssl_finding(
            findings, "PFS").lower().startswith("no ciphers"),
    }
    return view


def padlock_view(data):
    view = {"protocols": {p["name"]: bool(p["accepted"])
                          for p in data["protocols"]}}
    view["trusted"] = data["certificate"]["trusted"] is True
    view["expired"] = any(f["code"] == "cert.expired"
                          for f in data["findings"])
    suites = data["suites"]["accepted"]
    tls13 = data["tls13"]["accepted"] is True

    def any_suite(key):
        return any(s[key] for s in suites)

    view["categories"] = {
        "NULL": any_suite("null"),
        "anon": any_suite("anon"),
        "EXPORT": any_suite("export"),
        "LOW (RC4, DES)": any_suite("rc4"),
        "3DES": any_suite("3des"),
        "CBC": any(s["cbc"] and not s["3des"] for s in suites),
        "AEAD": any_suite("aead") or tls13,
        "forward secrecy": any_suite("forward_secrecy") or tls13,
    }
    return view


def compare(name, expected_protocols):
    ours = padlock_view(run_padlock(_targets[name]))
    theirs = testssl_view(_testssl[name])
    differ = []
    for key in ("protocols", "categories"):
        for item in ours[key]:
            if ours[key][item] != theirs[key][item]:
                differ.append("%s: padlock %s, testssl.sh %s"
                              % (item, ours[key][item], theirs[key][item]))
    for key in ("trusted", "expired"):
        if ours[key] != theirs[key]:
            differ.append("%s: padlock %s, testssl.sh %s"
                          % (key, ours[key], theirs[key]))
    expect(not differ, "%s: the tools disagree:\n%s" % (name, "\n".join(differ)))
    offered = [n for n, yes in ours["protocols"].items() if yes]
    expect_equal(offered, expected_protocols, "%s: protocols" % name)
    print("# %s: both: protocols %s; trusted %s; expired %s; categories %s"
          % (name, ", ".join(offered), ours["trusted"], ours["expired"],
             ", ".join(k for k, v in ours["categories"].items() if v)))
    return ours


_testssl = {}


def setup():
    if TESTSSL is None:
        raise Failure("testssl.sh is not installed (scripts/deps.sh installs "
                      "Debian's testssl.sh)")
    # The servers outlive the setup: the cases compare against them. They
    # stay on common's list of live processes, so that they are stopped
    # at exit whatever happens (a failure, a selection of cases, SIGTERM);
    # the last case stops them first, to see them exit cleanly.
    _keep.extend(start_targets())
    _testssl.update(run_testssl_all())


_keep = []
suite.setup = setup


@suite.case("serve_tls13_only")
def _():
    ours = compare("serve", ["TLS 1.3"])
    expect(ours["trusted"] and not ours["expired"], "trusted, not expired")


@suite.case("tls12_rsa_kx_cbc")
def _():
    ours = compare("tls12_rsa_cbc", ["TLS 1.2"])
    expect(ours["categories"]["CBC"]
           and not ours["categories"]["forward secrecy"], "CBC, no FS")


@suite.case("tls10_to_12_rc4_3des_null_expired_leaf")
def _():
    # (GnuTLS turns TLS 1.3 off when NULL suites are allowed.)
    ours = compare("weak_expired", ["TLS 1.0", "TLS 1.1", "TLS 1.2"])
    expect(ours["expired"] and not ours["trusted"], "expired, untrusted")
    for category in ("NULL", "LOW (RC4, DES)", "3DES", "CBC", "AEAD"):
        expect(ours["categories"][category], "%s accepted" % category)


@suite.case("stop_targets")
def _():
    problems = []
    for proc in _keep:
        problems += proc.stop()
    expect(not problems, "; ".join(problems))


if __name__ == "__main__":
    suite.run()
