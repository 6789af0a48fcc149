"""padlock get keeps the session tickets it receives and resumes with them:
between the URLs of one command line, and across runs with --sessions
FILE. Against real servers: padlock serve, openssl s_server (whose -www
page says "Reused" and whose -trace shows the ClientHello's
pre_shared_key extension) and gnutls-serv (whose log says "This is a
resumed session"), in TLS 1.3 and TLS 1.2 (RFC 5077 tickets).
Then the file: created 0600, refused when others can read it or when it
is not a regular file, a corrupt file is one warning, expired sessions
are dropped, the number kept is bounded, and a ticket for one host is
never offered to another, even when the file says so."""

import os
import re
import stat
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

from common import (Skip, Suite, expect, expect_equal, expect_in,  # noqa: E402
                    padlock_get, pick, pki, start_gnutls_server,
                    start_openssl_server, trace_messages, tmp_path,
                    wait_until)
import serve_common  # noqa: E402

suite = Suite("padlock get: session tickets and --sessions FILE")

RESUMED = "resumed with a ticket from "
PSK_EXTENSION = 41  # pre_shared_key (RFC 8446 4.2.11)


def leaf():
    return pki().leaf("ecdsa_p256")


def s_server(*args):
    return start_openssl_server(["-www", "-cert", leaf().cert, "-cert_chain",
                                 leaf().chain, "-key", leaf().key]
                                + list(args))


def get(url, *options):
    return padlock_get(url, "--cacert", pki().root, *options)


def get_many(urls, *options):
    """padlock get OPTIONS URL..., checked to succeed."""
    r = padlock_get(urls[-1], "--cacert", pki().root, *(list(options)
                                                         + urls[:-1]))
    expect_equal(r.rc, 0, "exit (%s)" % r.err[-600:])
    return r


def resumption_lines(text):
    return re.findall(r"resumption +(.*)", text)


def client_hellos(srv):
    return pick(trace_messages(srv.proc.out()), "received", "ClientHello")


def gnutls_log(srv):
    return srv.proc.out() + srv.proc.err()


def page_states(out):
    """What openssl s_server -www says of each connection: New or Reused."""
    return re.findall(r"^(New|Reused), ", out, re.M)


@suite.case("two_urls_resume_against_openssl_s_server_tls13")
def _():
    srv = s_server("-tls1_3")
    r = get_many([srv.url("/"), srv.url("/again")], "-v")
    expect_equal(page_states(r.out), ["New", "Reused"], "s_server's pages")
    lines = resumption_lines(r.err)
    expect_equal(lines[0], "full handshake (no ticket for localhost:%d)"
                 % srv.port, "first -v line")
    expect(re.fullmatch(r"resumed with a ticket from \d+ s ago", lines[1]),
           "second -v line: %r" % lines[1])
    expect_in("certificate chain: none was sent, as the session resumed",
              r.err, "the summary of the resumed connection")
    srv.proc.stop()


@suite.case("sessions_file_resumes_the_next_run_against_padlock_serve")
def _():
    srv = serve_common.Serve(["--cert", leaf().chain, "--key", leaf().key],
                             http_port=0, workers=1)
    path = tmp_path("serve.sessions")
    r = get_many([srv.url("/")], "-v", "--sessions", path)
    expect_equal(resumption_lines(r.err),
                 ["full handshake (no ticket for localhost:%d)"
                  % srv.https_port], "first run")
    expect_equal(stat.S_IMODE(os.stat(path).st_mode), 0o600, "file mode")
    r = get_many([srv.url("/")], "-v", "--sessions", path)
    line = resumption_lines(r.err)[0]
    expect(re.fullmatch(r"resumed with a ticket from a previous run at "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line),
           "second run: %r" % line)
    expect(b"<" in r.out_bytes, "the page came over the resumed session")
    srv.stop()


@suite.case("sessions_file_resumes_against_openssl_and_gnutls_tls13")
def _():
    srv = s_server("-tls1_3", "-trace")
    path = tmp_path("openssl.sessions")
    r1 = get_many([srv.url("/")], "--sessions", path)
    r2 = get_many([srv.url("/")], "--sessions", path)
    expect_equal(page_states(r1.out + r2.out), ["New", "Reused"],
                 "s_server's pages")
    hellos = client_hellos(srv)
    expect_equal([h.has_extension(PSK_EXTENSION) for h in hellos],
                 [False, True], "pre_shared_key in each ClientHello")
    srv.proc.stop()

    srv = start_gnutls_server(["--http", "--x509certfile", leaf().chain,
                               "--x509keyfile", leaf().key])
    path = tmp_path("gnutls.sessions")
    get_many([srv.url("/")], "--sessions", path)
    r = get_many([srv.url("/")], "-v", "--sessions", path)
    expect_in(RESUMED + "a previous run", r.err, "padlock's -v")
    wait_until(lambda: gnutls_log(srv).count("This is a resumed session")
               == 1, "gnutls-serv to log one resumed session")
    srv.proc.stop()


@suite.case("tls12_tickets_resume_against_openssl_and_gnutls")
def _():
    srv = s_server("-tls1_2")
    path = tmp_path("tls12.sessions")
    r1 = get_many([srv.url("/")], "-v", "--sessions", path)
    if "localhost:" not in open(path).read():
        srv.proc.stop()
        raise Skip("the engine of this branch keeps no TLS 1.2 ticket "
                   "(RFC 5077 client tickets come with the tls12tix "
                   "branch of src/tls)")
    r2 = get_many([srv.url("/")], "-v", "--sessions", path)
    expect_equal(page_states(r1.out + r2.out), ["New", "Reused"],
                 "s_server's pages (TLS 1.2)")
    expect_in(RESUMED + "a previous run", r2.err, "padlock's -v (TLS 1.2)")
    srv.proc.stop()
    srv = start_gnutls_server(["--http", "--priority",
                               "NORMAL:-VERS-TLS1.3", "--x509certfile",
                               leaf().chain, "--x509keyfile", leaf().key])
    get_many([srv.url("/"), srv.url("/")], "-v")
    wait_until(lambda: gnutls_log(srv).count("This is a resumed session")
               == 1, "gnutls-serv to log one resumed TLS 1.2 session")
    srv.proc.stop()


@suite.case("a_ticket_for_one_host_is_never_offered_to_another")
def _():
    srv = s_server("-tls1_3", "-trace")
    a, b = srv.url("/", "localhost"), srv.url("/", "127.0.0.1")
    # localhost and 127.0.0.1 are one server with one certificate, but two
    # places to padlock: the ticket of the first is not offered to the
    # second; the third connection, to localhost again, resumes.
    r = get_many([a, b, a], "-v")
    expect_equal(resumption_lines(r.err),
                 ["full handshake (no ticket for localhost:%d)" % srv.port,
                  "full handshake (no ticket for 127.0.0.1:%d)" % srv.port,
                  resumption_lines(r.err)[2]], "-v lines")
    expect_in(RESUMED, resumption_lines(r.err)[2], "the third resumes")
    expect_equal([h.has_extension(PSK_EXTENSION) for h in client_hellos(srv)],
                 [False, False, True], "pre_shared_key offered")
    # A file whose line claims localhost's ticket for 127.0.0.1 (edited by
    # hand, or by an attacker): the engine refuses a session saved for
    # another server name, so nothing is offered.
    path = tmp_path("moved.sessions")
    get_many([a], "--sessions", path)
    text = open(path).read()
    moved = re.sub(r"^localhost:(\d+) localhost ", r"127.0.0.1:\1 - ", text,
                   flags=re.M)
    expect(moved != text, "the line was moved")
    with open(path, "w") as f:
        f.write(moved)
    before = len(client_hellos(srv))
    r = get_many([b], "-v", "--sessions", path)
    expect_equal(resumption_lines(r.err),
                 ["full handshake (no ticket for 127.0.0.1:%d)" % srv.port],
                 "-v for the moved ticket")
    hellos = client_hellos(srv)[before:]
    expect_equal([h.has_extension(PSK_EXTENSION) for h in hellos], [False],
                 "pre_shared_key for the moved ticket")
    srv.proc.stop()


@suite.case("server_that_refuses_the_ticket_gets_a_full_handshake")
def _():
    # The ticket of one s_server moved (by editing the file) to the port
    # of another: the same name, so it is offered, but the second server
    # has other ticket keys and cannot open it.
    first, second = s_server("-tls1_3"), s_server("-tls1_3")
    path = tmp_path("refused.sessions")
    get_many([first.url("/")], "--sessions", path)
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text.replace("localhost:%d " % first.port,
                             "localhost:%d " % second.port))
    r = get_many([second.url("/")], "-v", "--sessions", path)
    expect_equal(resumption_lines(r.err),
                 ["full handshake (the server did not accept the ticket)"],
                 "-v")
    expect_equal(page_states(r.out), ["New"], "s_server's page")
    first.proc.stop()
    second.proc.stop()


@suite.case("sessions_file_mode_type_and_corruption")
def _():
    srv = s_server("-tls1_3")
    old = os.umask(0)
    try:
        path = tmp_path("mode.sessions")
        get_many([srv.url("/")], "--sessions", path)
        expect_equal(stat.S_IMODE(os.stat(path).st_mode), 0o600,
                     "created 0600 under umask 0")
    finally:
        os.umask(old)
    os.chmod(path, 0o640)
    r = get(srv.url("/"), "--sessions", path)
    expect_equal(r.rc, 1, "exit for a file others can read")
    expect_equal(r.err.strip(), "padlock: --sessions: %s can be read or "
                 "written by group or others (mode 0640), and it holds "
                 "secrets: run 'chmod 600 %s'" % (path, path), "sentence")
    expect_equal(r.out, "", "nothing fetched")
    os.chmod(path, 0o600)
    link = tmp_path("link.sessions")
    os.symlink(path, link)
    r = get(srv.url("/"), "--sessions", link)
    expect_equal(r.rc, 1, "exit for a symbolic link")
    expect_in("is a symbolic link, and padlock keeps session tickets "
              "(secrets) only in a regular file of its own", r.err, "why")
    r = get(srv.url("/"), "--sessions", os.path.dirname(path))
    expect_equal(r.rc, 1, "exit for a directory")
    expect_in("is not a regular file", r.err, "why")
    # Corrupt: one warning, a full handshake, and the file rewritten.
    for junk in ("garbage\n", "localhost:1 localhost 1 60 zz\n",
                 "x" * 100000 + "\n", "\x00\xff\n"):
        with open(path, "a") as f:
            f.write(junk)
        r = get(srv.url("/"), "-v", "--sessions", path)
        expect_equal(r.rc, 0, "exit with a corrupt file (%r)" % junk[:20])
        warnings = [l for l in r.err.splitlines() if "warning" in l]
        expect_equal(len(warnings), 1, "one warning: %s" % warnings)
        expect_in("is not a saved session (HOST:PORT SNI SAVED LIFETIME "
                  "SESSION), so the file is ignored and will be rewritten",
                  warnings[0], "the warning")
        expect_equal(resumption_lines(r.err)[0], "full handshake (no ticket "
                     "for localhost:%d)" % srv.port, "nothing of it used")
        r = get(srv.url("/"), "-v", "--sessions", path)
        expect_in(RESUMED, r.err, "the rewritten file works")
    srv.proc.stop()


@suite.case("sessions_file_drops_expired_and_keeps_at_most_64")
def _():
    srv = s_server("-tls1_3")
    path = tmp_path("bounded.sessions")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    lines = ["# hand-made\n",
             "expired.test:443 expired.test 1000 60 0102\n"]
    saved = int(time.time()) - 100
    lines += ["host%02d.test:443 host%02d.test %d 604800 %s\n"
              % (i, i, saved + i, "ab" * 40) for i in range(70)]
    os.write(fd, "".join(lines).encode())
    os.close(fd)
    get_many([srv.url("/")], "--sessions", path)
    kept = [l for l in open(path).read().splitlines()
            if l and not l.startswith("#")]
    expect_equal(len(kept), 64, "sessions kept")
    expect(not any(l.startswith("expired.test") for l in kept),
           "the expired one is dropped")
    expect(any(l.startswith("localhost:%d localhost " % srv.port)
               for l in kept), "the new one is kept")
    expect(not os.path.exists(path + ".tmp"), "no temporary file left")
    leftovers = [n for n in os.listdir(os.path.dirname(path))
                 if n.startswith("bounded.sessions.")]
    expect_equal(leftovers, [], "temporary files left beside the file")
    srv.proc.stop()


if __name__ == "__main__":
    suite.run()
