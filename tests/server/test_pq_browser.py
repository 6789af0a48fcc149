"""A real browser negotiates the post-quantum hybrid group with padlock serve.

Headless Chromium offers X25519MLKEM768 (RFC 10024) first, with an x25519
share beside it. `padlock serve` (its welcome page, a localhost certificate
from the local CA, which `padlock cert --install --nss-only` puts in
Chromium's NSS database) takes it: the page Chromium renders says
X25519MLKEM768, and so does the JSON access log line of Chromium's request.
With the group left out (`--tls-groups x25519,secp256r1`), Chromium falls
back to x25519 in the same round trip, and page and log say x25519. A
--tls-groups value that names no group stops the server with one sentence.
"""

import html
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Suite, expect, expect_equal,  # noqa: E402
                          expect_in, is_sanitized, padlock_bin, run, test_env,
                          wait_until, workdir)

suite = Suite("padlock serve and Chromium: X25519MLKEM768, and x25519 "
              "without it")

state = {}


def browser_home():
    """A HOME whose NSS database trusts the local CA, and that CA's
    directory (made by the first server started with it)."""
    if "home" not in state:
        home = tempfile.mkdtemp(prefix="pq-home-", dir=workdir())
        os.chmod(home, 0o755)
        state["home"] = home
        state["ca"] = os.path.join(home, "ca")
    return state["home"], state["ca"]


def serve(*args):
    """padlock serve with the welcome page, a JSON access log, and args."""
    home, ca = browser_home()
    site = tempfile.mkdtemp(prefix="pq-site-", dir=workdir())
    os.chmod(site, 0o755)
    log = os.path.join(site, "access.log")
    env = test_env({"HOME": home, "PADLOCK_CA_DIR": ca})
    srv = Serve(["--access-log", log, "--log-format", "json"] + list(args),
                env=env, cwd=site, http_port=0)
    return srv, log


def trust_local_ca():
    home, ca = browser_home()
    if state.get("trusted"):
        return
    env = test_env({"HOME": home, "PADLOCK_CA_DIR": ca})
    env.pop("PADLOCK_NSSDB", None)
    r = run([padlock_bin(), "cert", "--install", "--nss-only"], env=env)
    expect_equal(r.rc, 0, "padlock cert --install --nss-only (%s)"
                 % r.err.strip())
    state["trusted"] = True


def chromium(url):
    if not shutil.which("chromium"):
        raise Failure("chromium is missing (scripts/deps.sh installs it)")
    home, _ = browser_home()
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir())
    env = dict(os.environ)
    env["HOME"] = home
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSLKEYLOGFILE"):
        env.pop(name, None)
    r = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage",
             "--user-data-dir=" + profile, "--dump-dom", url],
            env=env, timeout=90 if is_sanitized() else 60)
    expect(not r.timed_out, "chromium did not finish")
    return r.out


def dom_group(dom):
    values = {k: html.unescape(v) for k, v in
              re.findall(r'<code id="([a-z-]+)">([^<]*)</code>', dom)}
    expect("tls-version" in values, "Chromium's DOM has no welcome page "
           "(certificate error?): %r" % dom[:400])
    expect_equal(values["tls-version"], "TLS 1.3", "tls-version")
    return values.get("group")


def logged_group(log):
    """tls_group of Chromium's request in the JSON access log."""
    def chromium_line():
        if not os.path.exists(log):
            return None
        with open(log) as f:
            for line in f:
                entry = json.loads(line)
                if "HeadlessChrome" in (entry.get("user_agent") or ""):
                    return entry
        return None
    entry = wait_until(chromium_line, "Chromium's request in the access log")
    return entry.get("tls_group")


def browser_sees(srv, log, group):
    trust_local_ca()
    dom = chromium(srv.url())
    expect_equal(dom_group(dom), group, "group in Chromium's DOM")
    words = "post-quantum hybrid key exchange: X25519 + ML-KEM-768"
    expect_equal(words in dom, group == "X25519MLKEM768",
                 "the page says %r" % words)
    expect_equal(logged_group(log), group, "tls_group in the access log")
    print("# Chromium at %s: %s in the page and the log" % (srv.url(), group))


@suite.case("chromium_negotiates_x25519mlkem768_by_default")
def _():
    srv, log = serve()
    try:
        browser_sees(srv, log, "X25519MLKEM768")
    finally:
        srv.stop()


@suite.case("chromium_falls_back_to_x25519_without_the_hybrid_group")
def _():
    srv, log = serve("--tls-groups", "x25519,secp256r1")
    try:
        browser_sees(srv, log, "x25519")
    finally:
        srv.stop()


@suite.case("tls_groups_with_an_unknown_name_stops_the_server")
def _():
    home, ca = browser_home()
    site = tempfile.mkdtemp(prefix="pq-bad-", dir=workdir())
    r = run([padlock_bin(), "serve", "--https-port", "1", "--http-port", "0",
             "--listen", "127.0.0.1", "--tls-groups", "x25519,kyber"],
            env=test_env({"HOME": home, "PADLOCK_CA_DIR": ca}), cwd=site)
    expect(r.rc != 0, "padlock serve started with an unknown group")
    expect_in("tls-groups: unknown group 'kyber'", r.err, "stderr")


if __name__ == "__main__":
    suite.run()
