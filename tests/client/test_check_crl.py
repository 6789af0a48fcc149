"""padlock check --crl and --max-chain-depth (issue 15), against openssl
s_server presenting the test PKI's leaf -> intermediate chain (the root in
--ca-file): a CRL the intermediate signs (made with `openssl ca -gencrl`)
that revokes the leaf makes the check refuse the chain with cert.revoked,
as `padlock get --crl` refuses it with the same sentence and the
certificate_revoked alert; without --crl, or with a CRL that lists nothing,
the chain is trusted. --max-chain-depth 2 refuses the three-certificate
path (chain.too-long), as `padlock get` does; 3 accepts it."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

from common import (Failure, Suite, expect, expect_equal, expect_in,  # noqa: E402
                    openssl, padlock_bin, padlock_get, pki, run,
                    sanitizer_report, start_openssl_server, tmp_path)

suite = Suite("padlock check: --crl and --max-chain-depth")

_state = {}


def server():
    """An s_server for this case (the suite stops it after the case): the
    leaf, then the intermediate."""
    leaf = pki().leaf("ecdsa_p256")
    _state["leaf"] = leaf
    _state["server"] = start_openssl_server(
        ["-cert", leaf.cert, "-key", leaf.key, "-cert_chain",
         pki().intermediate, "-www"])
    return _state["server"]


def make_crl(name, revoke_leaf):
    """A CRL signed by the intermediate, listing the leaf or nothing."""
    d = tmp_path("crl-" + name)
    os.makedirs(d)
    index = os.path.join(d, "index.txt")
    cnf = os.path.join(d, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha256\n"
                "default_crl_days=30\ncrlnumber=%s\n"
                % (index, os.path.join(d, "crlnumber")))
    with open(os.path.join(d, "crlnumber"), "w") as f:
        f.write("01\n")
    with open(index, "w") as f:
        if revoke_leaf:
            serial = openssl("x509", "-in", _state["leaf"].cert, "-noout",
                             "-serial").strip().split("=")[1]
            f.write("R\t300101000000Z\t250101000000Z\t%s\tunknown\t/CN=x\n"
                    % serial)
    crl = os.path.join(d, name + ".crl")
    openssl("ca", "-gencrl", "-config", cnf, "-keyfile",
            pki().intermediate_key, "-cert", pki().intermediate, "-out", crl)
    return crl


def check(*args):
    """padlock check --json of this case's server; (exit status, JSON)."""
    srv = _state["server"]
    argv = [padlock_bin(), "check", "127.0.0.1:%d" % srv.port, "--ip",
            "127.0.0.1", "--ca-file", pki().root, "--http-port", "0",
            "--timeout", "5", "--json"] + list(args)
    result = run(argv, timeout=60)
    report = sanitizer_report(result.err)
    expect(not report, "padlock check: sanitizer report: %s" % report)
    expect(not result.timed_out, "padlock check did not finish")
    try:
        data = json.loads(result.out)
    except ValueError as e:
        raise Failure("--json printed no JSON (%s): %r; stderr %r"
                      % (e, result.out[:300], result.err[:300]))
    return result.rc, data


def failures(data):
    return {f["code"] for f in data["findings"] if f["level"] == "failure"}


def get(*args):
    return padlock_get("https://127.0.0.1:%d/" % _state["server"].port,
                       "--cacert",
                       pki().root, *args)


def expect_trusted(data, what):
    cert = data["certificate"]
    expect(cert["trusted"], "%s: chain refused: %s" % (what,
                                                      cert["trust_error"]))
    expect_in("cert.trusted", {f["code"] for f in data["findings"]
                               if f["level"] == "ok"}, what)
    expect(data["grade"] != "T", "%s: grade T" % what)


@suite.case("without_crl_the_chain_is_trusted")
def _():
    server()
    rc, data = check()
    expect_trusted(data, "no --crl")
    expect(not failures(data) & {"cert.revoked", "chain.too-long"},
           "failures without --crl: %s" % sorted(failures(data)))


@suite.case("crl_listing_nothing_keeps_the_chain_trusted")
def _():
    server()
    rc, data = check("--crl", make_crl("clean", False))
    expect_trusted(data, "a CRL that lists nothing")


@suite.case("crl_revoking_the_leaf_refuses_as_get_does")
def _():
    server()
    crl = make_crl("revoked", True)
    rc, data = check("--crl", crl)
    expect_equal(data["certificate"]["trusted"], False, "trusted")
    expect_in("cert.revoked", failures(data), "check's failures")
    expect_equal(data["grade"], "T", "grade")
    expect_equal(rc, 1, "exit status")
    g = get("--crl", crl)
    expect_equal(g.rc, 1, "padlock get --crl exit status")
    expect_in("certificate_revoked", g.err, "padlock get's error")
    # One verification decides for both: the same sentence.
    expect_in(data["certificate"]["trust_error"], g.err,
              "padlock get's error (check's trust_error)")
    expect_in("revoked", data["certificate"]["trust_error"], "trust_error")
    # Without --crl, get accepts the same chain: the CRL made the refusal.
    expect_equal(get().rc, 0, "padlock get without --crl")


@suite.case("max_chain_depth_2_refuses_three_certificates")
def _():
    server()
    rc, data = check("--max-chain-depth", "2")
    expect_equal(data["certificate"]["trusted"], False, "trusted")
    expect_in("chain.too-long", failures(data), "check's failures")
    expect_equal(data["grade"], "T", "grade")
    g = get("--max-chain-depth", "2")
    expect_equal(g.rc, 1, "padlock get --max-chain-depth 2 exit status")
    expect_in(data["certificate"]["trust_error"], g.err,
              "padlock get's error (check's trust_error)")
    rc, data = check("--max-chain-depth", "3")
    expect_trusted(data, "--max-chain-depth 3")


@suite.case("bad_options_are_usage_errors")
def _():
    srv = server()
    target = "127.0.0.1:%d" % srv.port
    for args, sentence in (
            (["--max-chain-depth", "0"], "--max-chain-depth wants a number"),
            (["--max-chain-depth", "33"], "--max-chain-depth wants a number"),
            (["--crl", tmp_path("missing.crl")], "missing.crl")):
        result = run([padlock_bin(), "check", target, "--http-port", "0",
                      "--ca-file", pki().root] + args, timeout=60)
        expect_equal(result.rc, 2, "exit status of %s" % args)
        expect_in(sentence, result.err, "stderr of %s" % args)


if __name__ == "__main__":
    suite.run()
