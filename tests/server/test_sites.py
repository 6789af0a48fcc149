"""padlock serve --config: several sites, chosen by SNI and by Host, and the
certificate checks before the first visitor (--check-config, refusals).

Two sites a.test and b.test with their own certificates (an openssl-made
CA): openssl s_client gets each site's certificate by SNI, requests get
each site's files by Host, an unknown name gets the default site or, with
unknown-sni = "reject", the alert unrecognized_name (112).
--check-config says yes or no (FILE:LINE for a bad file, one sentence for
a certificate it cannot read); an expired certificate stops the start with
its fix, unless --allow-invalid-cert, which warns.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, expect, expect_equal,  # noqa: E402
                          expect_in, expect_re, get, leaf_fingerprint,
                          localhost_leaf, padlock_bin, pem_fingerprint, pki,
                          run, server_cert, test_env, tls_connect, tmp_path,
                          wait_until, workdir, write_file, exchange)

suite = Suite("padlock serve: sites, SNI, configuration and certificate checks")
state = {}


def sites():
    """(cert A, cert B, root A, root B), made once."""
    if "sites" not in state:
        a = server_cert(pki().named_leaf("a.test"))
        b = server_cert(pki().named_leaf("b.test"))
        ra = os.path.join(workdir(), "site-a")
        rb = os.path.join(workdir(), "site-b")
        write_file(os.path.join(ra, "index.html"), "<p>site A</p>\n")
        write_file(os.path.join(rb, "index.html"), "<p>site B</p>\n")
        write_file(os.path.join(ra, "only-a.txt"), "a\n")
        state["sites"] = (a, b, ra, rb)
    return state["sites"]


def config(extra="", name="sites.conf", b_cert=None):
    a, b, ra, rb = sites()
    path = tmp_path(name)
    with open(path, "w") as f:
        f.write('# two sites\nworkers = 2\n%s\n'
                'site "a.test" {\n'
                '    names = {"www.a.test"}\n'
                '    root = "%s"\n'
                '    cert = "%s"\n'
                '    key = "%s"\n'
                '    default = true\n'
                '}\n'
                'site "b.test" {\n'
                '    root = "%s"\n'
                '    cert = "%s"\n'
                '    key = "%s"\n'
                '}\n' % (extra, ra, a.chain, a.key, rb, b_cert or b.chain, b.key))
    return path


def s_client(port, servername, *extra):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
            "-CAfile", pki().root, "-verify_return_error"]
    if servername:
        argv += ["-servername", servername]
    return run(argv + list(extra), input=b"")


def subject_cn(result):
    m = re.search(r"^subject=.*CN ?= ?([^,\n]+)$", result.out, re.M)
    return m.group(1).strip() if m else None


@suite.case("absolute_form_target_picks_the_site_and_the_logged_host")
def _():
    # RFC 9112 3.2.2: the target's host wins over Host, for the site that
    # answers and for the access log alike.
    srv = Serve(config=config('log-format = "json"'))
    raw = (b"GET https://b.test/index.html HTTP/1.1\r\nHost: a.test\r\n"
           b"Connection: close\r\n\r\n")
    responses, _, _ = exchange(srv.https_port, raw, sni="a.test")
    expect_equal(responses[0].status, 200, "status")
    expect_equal(responses[0].body, b"<p>site B</p>\n", "the site that answered")
    m = wait_until(lambda: re.search(r'\{[^\n]*"target": ?"https://b.test/index.html"'
                                     r'[^\n]*\}', srv.err()), "the access log line")
    expect_re(r'"host": ?"b.test"', m.group(0), "the logged host")
    srv.stop()


@suite.case("sni_chooses_the_certificate_s_client")
def _():
    srv = Serve(config=config())
    a, b, _, _ = sites()
    for name, cn, cert in (("a.test", "padlock test a.test", a),
                           ("www.a.test", "padlock test a.test", a),
                           ("b.test", "padlock test b.test", b)):
        r = s_client(srv.https_port, name)
        expect_equal(r.rc, 0, "s_client -servername %s exit status (%s)"
                     % (name, r.err.strip()[-200:]))
        expect_equal(subject_cn(r), cn, "leaf subject for SNI %s" % name)
        expect_in("Verify return code: 0 (ok)", r.out, "s_client output")
        expect_equal(leaf_fingerprint(srv.https_port, sni=name),
                     pem_fingerprint(cert.chain), "leaf fingerprint for SNI %s" % name)
    # Unknown name and no SNI at all: the default site's certificate.
    r = s_client(srv.https_port, "c.test")
    expect_equal(subject_cn(r), "padlock test a.test", "leaf for an unknown SNI")
    r = s_client(srv.https_port, None, "-noservername")
    expect_equal(subject_cn(r), "padlock test a.test", "leaf without SNI")
    srv.stop()


@suite.case("host_routes_each_site_to_its_root")
def _():
    srv = Serve(config=config())
    for sni, host, body in (("a.test", "a.test", b"<p>site A</p>\n"),
                            ("a.test", "www.a.test", b"<p>site A</p>\n"),
                            ("b.test", "b.test", b"<p>site B</p>\n"),
                            ("b.test", "b.test:%d" % srv.https_port, b"<p>site B</p>\n"),
                            ("B.TEST", "B.Test", b"<p>site B</p>\n"),
                            ("a.test", "unknown.test", b"<p>site A</p>\n")):
        sock = tls_connect(srv.https_port, sni=sni)
        with sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                         % host.encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        expect(data.endswith(b"\r\n\r\n" + body),
               "SNI %s, Host %s: expected %r, got %r" % (sni, host, body, data[-60:]))
    # A file only site A has is not found on site B.
    resp = get(srv.https_port, "/only-a.txt", host="b.test", sni="b.test",
               closes=True)
    expect_equal(resp.status, 404, "a.test's file asked of b.test")
    srv.stop()


@suite.case("unknown_sni_rejected_with_alert_112")
def _():
    srv = Serve(config=config('unknown-sni = "reject"'))
    r = s_client(srv.https_port, "c.test")
    expect(r.rc != 0, "s_client connected with an unknown SNI")
    expect_re(r"alert unrecognized name|alert number 112", r.err,
              "s_client's stderr")
    expect_in("SSL alert number 112", r.err, "s_client's stderr")
    # Known names still work.
    r = s_client(srv.https_port, "b.test")
    expect_equal(subject_cn(r), "padlock test b.test", "leaf for b.test")
    srv.stop()


def check_config(*args):
    return run([padlock_bin(), "serve"] + list(args) + ["--check-config"],
               env=test_env())


@suite.case("check_config_good_file_exit_0")
def _():
    path = config()
    r = check_config("--config", path)
    expect_equal(r.rc, 0, "exit status (%s)" % (r.out + r.err).strip()[-300:])
    expect_re(r"^ok: site a\.test: .*a\.test\.full\.pem, 3 certificate\(s\), "
              r"for a\.test, \d+ days left$", r.out, "--check-config's output", re.M)
    expect_re(r"^ok: site b\.test: ", r.out, "--check-config's output", re.M)
    expect_re(r"^ok: the configuration is valid \(2 sites, HTTPS port 443, "
              r"HTTP redirect on\)$", r.out, "--check-config's output", re.M)


@suite.case("check_config_bad_file_exit_1_with_file_line")
def _():
    cases = [
        ("syntax", 'workers = 2\nsite "x" {\n  root = "/tmp"\n  cert = \n}\n', 5),
        ("unknown", 'workers = 2\n\nfrobnicate = 3\n', 3),
        ("port", 'workers = 1\nhttps-port = 70000\n', 2),
        ("choice", '\n\n\n\nunknown-sni = "maybe"\n', 5),
        ("missing key", 'site "x" {\n  cert = "/tmp/x.pem"\n}\n', 3),
    ]
    for what, text, line in cases:
        path = write_file(tmp_path("bad-%s.conf" % what.replace(" ", "-")), text)
        r = check_config("--config", path)
        expect_equal(r.rc, 1, "exit status for the %s error (%s)"
                     % (what, (r.out + r.err).strip()))
        expect_in("%s:%d: " % (path, line), r.out + r.err,
                  "--check-config's output for the %s error" % what)


@suite.case("check_config_bad_cert_path_exit_1_one_sentence")
def _():
    path = config(name="badcert.conf", b_cert="/nonexistent/b.pem")
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status")
    expect_one_sentence(r.out.strip(), "site b.test: cannot load the certificate "
                        "chain: /nonexistent/b.pem: No such file or directory.")
    # The same from the command line, also when starting.
    leaf = localhost_leaf()
    r = check_config("--cert", "/nonexistent/c.pem", "--key", leaf.key)
    expect_equal(r.rc, 1, "exit status (--cert)")
    expect_one_sentence(r.out.strip(), "cannot load the certificate chain: "
                        "/nonexistent/c.pem: No such file or directory.")
    r = check_config("--cert", leaf.chain, "--key", "/nonexistent/k.pem")
    expect_equal(r.rc, 1, "exit status (--key)")
    expect_one_sentence(r.out.strip(), "cannot load the private key: ")
    r = run([padlock_bin(), "serve", "--https-port", "1", "--http-port", "0",
             "--cert", "/nonexistent/c.pem", "--key", leaf.key], env=test_env())
    expect_equal(r.rc, 1, "exit status of a start")
    expect_equal(r.out, "", "stdout of a start")
    expect_one_sentence(r.err.strip().replace("padlock: ", "error: ", 1),
                        "cannot load the certificate chain: /nonexistent/c.pem")


def expect_one_sentence(text, start):
    """One line: "error: START... Fix: ... 'padlock cert NAME' ..."."""
    expect_equal(len(text.splitlines()), 1, "lines of the message %r" % text)
    expect(text.startswith("error: " + start), "the message %r does not start "
           "with %r" % (text, "error: " + start))
    expect_in(". Fix: ", text, "the message")
    expect_in("'padlock cert NAME'", text, "the message")


@suite.case("expired_certificate_refused_at_start_with_fix")
def _():
    leaf = server_cert(pki().expired_leaf())
    r = run([padlock_bin(), "serve", "--https-port", "1", "--http-port", "0",
             "--listen", "127.0.0.1", "--cert", leaf.chain, "--key", leaf.key],
            env=test_env())
    expect_equal(r.rc, 1, "exit status with an expired certificate")
    expect_re(r"expired", r.err, "the message")
    expect_re(r"\(cert\.expired\)\. Fix: \S", r.err, "the message's fix")
    r = check_config("--cert", leaf.chain, "--key", leaf.key)
    expect_equal(r.rc, 1, "--check-config's exit status")
    expect_in("cert.expired", r.out, "--check-config's output")


@suite.case("expired_certificate_served_with_allow_invalid_cert")
def _():
    leaf = server_cert(pki().expired_leaf())
    root = os.path.join(workdir(), "site-a")
    sites()
    srv = Serve(["--root", root, "--allow-invalid-cert", "--cert", leaf.chain,
                 "--key", leaf.key])
    expect_in("WARNING: --allow-invalid-cert is for tests only", srv.err(),
              "the server's stderr")
    expect_re(r"\[error\] \d+: .*\(cert\.expired\)\. Fix: .*\[served anyway: "
              r"--allow-invalid-cert\]", srv.err(), "the server's log")
    expect_equal(leaf_fingerprint(srv.https_port), pem_fingerprint(leaf.chain),
                 "the certificate served")
    r = run(["curl", "-sS", "-k", "--max-time", "20", srv.url("/")])
    expect_equal(r.out, "<p>site A</p>\n", "curl -k's body")
    srv.stop()


if __name__ == "__main__":
    suite.run()
