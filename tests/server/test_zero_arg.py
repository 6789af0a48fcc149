"""`padlock serve` with no arguments, and Chromium loading its welcome page.

The test runs in a network namespace of its own (`unshare -n`, loopback
only) when it can, so that the real zero-argument start can bind 443 and 80
without meeting anything else on this machine; then:

  - as root, in an empty directory, with the local CA's directory and HOME
    in a temporary directory: padlock makes a local CA and a localhost
    certificate, serves the welcome page on 443 and redirects from 80;
  - as the user nobody (setpriv), it cannot bind those, says so in one line
    each and uses 8443 and 8080;
  - curl with the local CA as --cacert gets the page; headless Chromium,
    with the CA installed in its NSS database by
    `padlock cert --install --nss-only`, loads it without a certificate
    error, and its DOM shows TLS 1.3 and the negotiated suite; without the
    CA, Chromium gets no welcome page (the negative control).

Without a namespace (not root, or unshare refused) only the nobody start
runs, on this machine's 8443 and 8080, when they are free.
"""

import html
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile

NETNS_MARK = "PADLOCK_SRVTEST_NETNS"


def enter_private_network():
    """Re-executes this script inside `unshare -n` with loopback up
    (PADLOCK_SRVTEST_NETNS=0 in the environment: stay on this machine's
    network)."""
    if os.environ.get(NETNS_MARK):
        return
    if os.getuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return
    probe = subprocess.run(["unshare", "-n", "--", "ip", "link", "set", "lo", "up"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return
    os.environ[NETNS_MARK] = "1"
    sys.stdout.flush()
    os.execvp("unshare", ["unshare", "-n", "--", "sh", "-c",
                          'ip link set lo up && exec "$0" "$@"', sys.executable,
                          os.path.abspath(__file__)] + sys.argv[1:])


enter_private_network()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Skip, Suite, expect,  # noqa: E402
                          expect_equal, expect_in, expect_re, is_sanitized,
                          padlock_bin, run, stop_shared, test_env, wait_until,
                          workdir)

PRIVATE = os.environ.get(NETNS_MARK) == "1"
suite = Suite("padlock serve with no arguments, and Chromium (%s)"
              % ("in a network namespace of its own" if PRIVATE
                 else "on this machine's network"))
state = {}

SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256")
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def port_in_use(port):
    for family, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.bind((addr, port))
        except OSError as e:
            if e.errno == 98:   # EADDRINUSE
                return True
    return False


def nobody_dir():
    """An empty directory owned by nobody (the run's directory is root's)."""
    if "nobody_dir" not in state:
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            raise Skip("no user 'nobody' on this machine")
        if os.getuid() != 0 or not shutil.which("setpriv"):
            raise Skip("needs root and setpriv to run padlock as nobody")
        d = tempfile.mkdtemp(prefix="padlock-zeroarg-")
        os.chmod(d, 0o755)
        os.chown(d, nobody.pw_uid, nobody.pw_gid)
        import atexit
        atexit.register(shutil.rmtree, d, True)
        state["nobody_dir"] = d
    return state["nobody_dir"]


def zero_arg_server(who):
    """The zero-argument server of who ("root" or "nobody"), started once:
    (Serve, its directory, HTTPS port, HTTP port)."""
    if who in state and state[who][0].proc.alive():
        return state[who]
    if who == "root":
        if not PRIVATE:
            raise Skip("no network namespace of its own: binding this "
                       "machine's 443 and 80 is not for a test")
        d = tempfile.mkdtemp(prefix="root-", dir=workdir())
        prefix, https, http = [], 443, 80
    else:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            if int(f.read()) <= 443:
                raise Skip("net.ipv4.ip_unprivileged_port_start lets nobody "
                           "bind 443: there is nothing to fall back from")
        d = nobody_dir()
        prefix, https, http = AS_NOBODY, 8443, 8080
        if not PRIVATE and (port_in_use(https) or port_in_use(http)):
            try:
                wait_until(lambda: not port_in_use(https) and not port_in_use(http),
                           "ports 8443 and 8080 to be free", timeout=30)
            except Failure:
                raise Skip("8443 or 8080 is in use by something else here")
    env = test_env({"HOME": d, "PADLOCK_CA_DIR": os.path.join(d, "ca")})
    env.pop("XDG_DATA_HOME", None)
    srv = Serve(zero_args=True, https_port=https, http_port=http, env=env, cwd=d,
                shared=True, prefix=prefix, name="padlock serve (%s)" % who)
    state[who] = (srv, d, https, http)
    return state[who]


def primary():
    """The server Chromium visits: root's on 443 when there is a namespace."""
    return zero_arg_server("root" if PRIVATE else "nobody")


def base_url(https):
    return "https://localhost/" if https == 443 else "https://localhost:%d/" % https


@suite.case("zero_arg_as_root_binds_443_and_80")
def _():
    srv, d, https, http = zero_arg_server("root")
    err = srv.err()
    expect_in("padlock serve: made a localhost certificate with the local CA in "
              "%s/ca (new CA: run 'padlock cert --install' so browsers trust it)\n"
              % d, err, "stderr")
    expect_re(r"\[info\] %d: serving https://localhost/ with 2 worker\(s\)$"
              % srv.pid, err, "stderr", re.M)
    expect_re(r"\[info\] %d: http://localhost:80/ redirects to HTTPS$" % srv.pid,
              err, "stderr", re.M)
    expect("needs privileges" not in err, "a fallback line as root: %r" % err)
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
             "--max-time", "20", "http://localhost/a?b"])
    expect_equal(r.out, "301 https://localhost/a?b", "port 80's answer")


@suite.case("zero_arg_as_nobody_falls_back_to_8443_and_8080_and_says_why")
def _():
    srv, d, https, http = zero_arg_server("nobody")
    err = srv.err()
    expect_in("padlock serve: made a localhost certificate with the local CA in "
              "%s/ca (new CA: run 'padlock cert --install' so browsers trust it)\n"
              % d, err, "stderr")
    expect_in("padlock: port 443 needs privileges; serving HTTPS on 8443 "
              "instead\n", err, "stderr")
    expect_in("padlock: port 80 needs privileges; redirecting from 8080 "
              "instead\n", err, "stderr")
    expect_re(r"\[info\] %d: serving https://localhost:8443/ with \d+ worker\(s\)"
              % srv.pid, err, "stderr")
    for name in ("ca.pem", "ca-key.pem", "localhost.pem", "localhost-key.pem"):
        expect(os.path.exists(os.path.join(d, "ca", name)), "%s was not made" % name)
    r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
             "--max-time", "20", "http://localhost:8080/a?b"])
    expect_equal(r.out, "301 https://localhost:8443/a?b", "port 8080's answer")


@suite.case("zero_arg_as_nobody_takes_the_next_free_ports_when_8443_is_taken")
def _():
    # Issue 14: a second zero-argument start (or anything else on 8443)
    # stopped it; now it tries the next ports and says which it took.
    first, _d, https, http = zero_arg_server("nobody")
    if not PRIVATE:
        raise Skip("8444 and 8081 on this machine's network may be anyone's")
    d = tempfile.mkdtemp(prefix="second-", dir=nobody_dir())
    os.chown(d, *[getattr(pwd.getpwnam("nobody"), a) for a in ("pw_uid",
                                                              "pw_gid")])
    env = test_env({"HOME": d, "PADLOCK_CA_DIR": os.path.join(d, "ca")})
    env.pop("XDG_DATA_HOME", None)
    srv = Serve(zero_args=True, https_port=https + 1, http_port=http + 1,
                env=env, cwd=d, prefix=AS_NOBODY,
                name="second padlock serve (nobody)")
    try:
        err = srv.err()
        expect_in("padlock: port 443 needs privileges and 8443 is in use; "
                  "serving HTTPS on 8444 instead\n", err, "stderr")
        expect_in("padlock: port 80 needs privileges and 8080 is in use; "
                  "redirecting from 8081 instead\n", err, "stderr")
        r = run(["curl", "-sS", "-o", "/dev/null", "-w",
                 "%{http_code} %{redirect_url}", "--max-time", "20",
                 "http://localhost:8081/a"])
        expect_equal(r.out, "301 https://localhost:8444/a", "port 8081's answer")
        expect(first.proc.alive(), "the first server is still up")
    finally:
        srv.proc.stop()


@suite.case("local_ca_leaf_alone_is_a_whole_chain_and_an_old_leaf_plus_ca_is_reissued")
def _():
    # Issue 14 (one voice about the chain): padlock cert and the zero-
    # argument start write the leaf alone; serve judges it against the local
    # CA (no chain.missing-intermediate refusal), and a localhost.pem of the
    # old form (leaf + CA) is issued again so the root is not sent.
    d = tempfile.mkdtemp(prefix="chain-", dir=workdir())
    env = test_env({"HOME": d, "PADLOCK_CA_DIR": os.path.join(d, "ca")})
    r = run([padlock_bin(), "serve", "--check-config"], env=env, cwd=d)
    expect_equal(r.rc, 0, "zero-argument --check-config: %s %s" % (r.out, r.err))
    expect_in("1 certificate(s)", r.out, "the localhost chain")
    local = os.path.join(d, "ca", "localhost.pem")
    with open(local) as f, open(os.path.join(d, "ca", "ca.pem")) as ca:
        old_form = f.read() + ca.read()
    with open(local, "w") as f:
        f.write(old_form)
    r = run([padlock_bin(), "serve", "--check-config"], env=env, cwd=d)
    expect_equal(r.rc, 0, "again: %s %s" % (r.out, r.err))
    expect_in("made a localhost certificate", r.err, "reissued")
    with open(local) as f:
        expect_equal(f.read().count("BEGIN CERTIFICATE"), 1, "certificates "
                     "in the reissued localhost.pem")
    r = run([padlock_bin(), "cert", "app.test"], env=env, cwd=d)
    expect_equal(r.rc, 0, "padlock cert: %s" % r.err)
    r = run([padlock_bin(), "serve", "--cert", "app.test.pem", "--key",
             "app.test-key.pem", "--domain", "app.test", "--check-config"],
            env=env, cwd=d)
    expect_equal(r.rc, 0, "serve --check-config with padlock cert's leaf: "
                 "%s %s" % (r.out, r.err))
    expect("missing-intermediate" not in r.out + r.err, r.out + r.err)


def welcome_values(text):
    """{id: text} of the welcome page's <code id=...> values."""
    return {k: html.unescape(v) for k, v in
            re.findall(r'<code id="([a-z-]+)">([^<]*)</code>', text)}


@suite.case("welcome_page_with_curl_and_the_local_ca")
def _():
    for who in (("root", "nobody") if PRIVATE else ("nobody",)):
        srv, d, https, http = zero_arg_server(who)
        r = run(["curl", "-sS", "--cacert", os.path.join(d, "ca", "ca.pem"),
                 "--max-time", "20", "-D", "-", base_url(https)])
        expect_equal(r.rc, 0, "curl's exit status (%s)" % r.err.strip())
        # curl asks for h2 first, as browsers do, and gets it.
        expect_re(r"^HTTP/2 200 ?\r$", r.out, "curl's output", re.M)
        expect_re(r"^strict-transport-security: max-age=63072000\r$", r.out,
                  "curl's output", re.M)
        values = welcome_values(r.out)
        expect_equal(values.get("tls-version"), "TLS 1.3", "tls-version (%s)" % who)
        expect(values.get("suite") in SUITES, "suite: %r" % values.get("suite"))
        expect_equal(values.get("sni"), "localhost", "sni")
        expect_equal(values.get("alpn"), "h2", "alpn")
        expect_equal(values.get("peer"), "127.0.0.1", "peer")


def chromium(home, url):
    if not shutil.which("chromium"):
        raise Failure("chromium is missing (scripts/deps.sh installs it)")
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir())
    env = dict(os.environ)
    env["HOME"] = home
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSLKEYLOGFILE"):
        env.pop(name, None)
    return run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                "--dump-dom", url], env=env, timeout=90 if is_sanitized() else 60)


@suite.case("chromium_loads_welcome_page_with_local_ca_trusted")
def _():
    srv, d, https, http = primary()
    home = tempfile.mkdtemp(prefix="chromium-home-", dir=workdir())
    env = test_env({"HOME": home, "PADLOCK_CA_DIR": os.path.join(d, "ca")})
    env.pop("PADLOCK_NSSDB", None)
    r = run([padlock_bin(), "cert", "--install", "--nss-only"], env=env)
    expect_equal(r.rc, 0, "padlock cert --install --nss-only (%s)" % r.err.strip())
    r = run(["certutil", "-L", "-d", "sql:" + os.path.join(home, ".pki", "nssdb")])
    expect_re(r"^padlock-[0-9a-f]{16}\s+C,,\s*$", r.out, "certutil -L", re.M)
    r = chromium(home, base_url(https))
    expect(not r.timed_out, "chromium did not finish")
    values = welcome_values(r.out)
    expect("tls-version" in values, "Chromium's DOM has no welcome page "
           "(certificate error?): %r" % r.out[:400])
    expect_equal(values["tls-version"], "TLS 1.3", "tls-version in Chromium's DOM")
    expect(values.get("suite") in SUITES, "suite in Chromium's DOM: %r"
           % values.get("suite"))
    expect_equal(values.get("sni"), "localhost", "sni in Chromium's DOM")
    expect_equal(values.get("alpn"), "h2", "alpn in Chromium's DOM (HTTP/2)")
    expect(values.get("group"), "group in Chromium's DOM: %r" % values.get("group"))
    expect_re(r'<ol class="steps" id="steps">\s*<li>', r.out, "the handshake steps")
    expect_re(r'<ol class="chain" id="chain" start="0">\s*<li><pre>subject: ',
              r.out, "the certificate chain")
    # One voice (issue 14): the local CA's leaf is sent alone, and the page
    # says so instead of listing the root after "the root is not sent".
    expect_equal(r.out.count("<li><pre>subject: "), 1, "certificates listed")
    expect_in("own certificate alone", r.out, "the chain's explanation")
    print("# Chromium at %s: %s, %s, group %s, signature %s"
          % (base_url(https), values["tls-version"], values["suite"],
             values.get("group"), values.get("sigscheme")))


@suite.case("chromium_without_the_ca_gets_no_page")
def _():
    srv, d, https, http = primary()
    home = tempfile.mkdtemp(prefix="chromium-bare-", dir=workdir())
    mark = len(srv.err())
    r = chromium(home, base_url(https))
    expect(not r.timed_out, "chromium did not finish")
    expect("tls-version" not in welcome_values(r.out),
           "Chromium showed the welcome page without trusting the CA")
    # The server saw why: Chromium refused the certificate.
    m = srv.wait_log(r"TLS handshake failed: the client sent alert (\w+)",
                     "the refused handshake in the server's log", start=mark)
    print("# Chromium without the CA: the page was %d bytes, its alert: %s"
          % (len(r.out), m.group(1)))


@suite.case("zero_arg_servers_exit_0_on_sigterm")
def _():
    stop_shared()


if __name__ == "__main__":
    suite.run()
