"""padlock cert, end to end: the local CA and the certificates it issues
checked by tools padlock did not write (openssl verify, certutil), then
installed into a throwaway system trust store and NSS database (through
the test hooks PADLOCK_SYSTEM_CA_DIR, PADLOCK_UPDATE_CA_CMD and
PADLOCK_NSSDB, so the real stores are never touched) and trusted by curl,
Python's ssl and headless Chromium against padlock_testserver; then
uninstalled, after which they refuse it again. Also: bad names, usage
errors and failed steps leave nothing behind."""
import datetime
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time

PADLOCK = os.environ.get("PADLOCK", "padlock")
BUILD_DIR = os.environ.get("PADLOCK_BUILD_DIR", ".")
TESTSERVER = os.path.join(BUILD_DIR, "padlock_testserver")
BODY = "hello from padlock"
CHROMIUM_TIMEOUT = 60

failures = 0
TMP = tempfile.mkdtemp(prefix="padlock-cert-cli-")
SERVERS = []


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what)
    return cond


def path(*parts):
    return os.path.join(TMP, *parts)


# The fake update-ca-certificates: hash the store's directory (for
# --capath) and gather its certificates into one bundle (for cafile and
# CURL_CA_BUNDLE), as the real one does for /etc/ssl/certs.
# Its own PATH: some cases give padlock one without certutil.
UPDATE_CMD = ('PATH=/usr/bin:/bin; openssl rehash "$PADLOCK_SYSTEM_CA_DIR" '
              '&& for f in "$PADLOCK_SYSTEM_CA_DIR"/*.crt; do '
              'if [ -e "$f" ]; then cat "$f"; fi; done '
              '> "$PADLOCK_SYSTEM_CA_DIR/../bundle.pem"')


def base_env(name="main"):
    """An environment whose every store is under TMP/name: the CA, HOME,
    the system store and the NSS database. Inherited CA settings (this
    machine's SSL_CERT_FILE, CURL_CA_BUNDLE...) are removed."""
    env = {k: v for k, v in os.environ.items()
           if not re.search(r"CA_BUNDLE|SSL_CERT|CA_CERTS|XDG_DATA|PADLOCK_",
                            k)}
    root = path(name)
    os.makedirs(os.path.join(root, "sys"), exist_ok=True)
    os.makedirs(os.path.join(root, "home"), exist_ok=True)
    env.update({
        "PADLOCK": PADLOCK,
        "HOME": os.path.join(root, "home"),
        "PADLOCK_CA_DIR": os.path.join(root, "ca"),
        "PADLOCK_SYSTEM_CA_DIR": os.path.join(root, "sys"),
        "PADLOCK_UPDATE_CA_CMD": UPDATE_CMD,
        "PADLOCK_NSSDB": os.path.join(root, "home", ".pki", "nssdb"),
    })
    return env


def padlock(args, env, cwd=None):
    proc = subprocess.run([PADLOCK, "cert"] + args, env=env, cwd=cwd,
                          capture_output=True, timeout=120)
    return (proc.returncode, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"))


def openssl(args, data=None):
    proc = subprocess.run(["openssl"] + args, input=data,
                          capture_output=True, timeout=60)
    return proc.returncode, proc.stdout.decode(errors="replace") + \
        proc.stderr.decode(errors="replace")


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def pem_blocks(p):
    with open(p) as f:
        return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END "
                          r"CERTIFICATE-----\n", f.read(), re.S)


def cert_text(pem):
    return openssl(["x509", "-noout", "-text"], pem.encode())[1]


def cert_dates(pem):
    out = openssl(["x509", "-noout", "-startdate", "-enddate"],
                  pem.encode())[1]
    fmt = "%b %d %H:%M:%S %Y GMT"
    start = re.search(r"notBefore=(.*)", out).group(1).replace("  ", " ")
    end = re.search(r"notAfter=(.*)", out).group(1).replace("  ", " ")
    return (datetime.datetime.strptime(start, fmt),
            datetime.datetime.strptime(end, fmt))


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else None


# ---- issuing -----------------------------------------------------------------


def issues_a_chain_that_openssl_verifies():
    env = base_env()
    out_dir = path("main", "out")
    os.makedirs(out_dir)
    rc, out, err = padlock(["localhost", "127.0.0.1", "::1", "myapp.test"],
                           env, cwd=out_dir)
    check(rc == 0 and err == "", "exit %d, stderr %r" % (rc, err))
    cert, key = path("main/out/localhost+3.pem"), path(
        "main/out/localhost+3-key.pem")
    ca_dir = env["PADLOCK_CA_DIR"]
    ca_pem = os.path.join(ca_dir, "ca.pem")
    if not check(os.path.exists(cert) and os.path.exists(key),
                 "files: %s" % listing(out_dir)):
        return
    check(listing(out_dir) == ["localhost+3-key.pem", "localhost+3.pem"],
          "only the two files: %s" % listing(out_dir))
    check(mode(ca_dir) == 0o700, "CA dir mode %o" % mode(ca_dir))
    check(mode(os.path.join(ca_dir, "ca-key.pem")) == 0o600, "CA key mode")
    check(mode(key) == 0o600, "key mode %o" % mode(key))
    check(mode(cert) == 0o644, "cert mode %o" % mode(cert))
    check("Created a local CA in %s" % ca_dir in out, "says the CA: " + out)
    check("localhost+3.pem" in out and "localhost+3-key.pem" in out,
          "names the files: " + out)
    check("Next: padlock serve --cert localhost+3.pem --key "
          "localhost+3-key.pem" in out, "next command: " + out)
    check("padlock cert --install" in out, "install hint: " + out)

    # The whole chain a server sends: the leaf alone, since the CA is the
    # root clients keep themselves (issue 14: cert, serve, the welcome
    # page and check agree on it).
    blocks = pem_blocks(cert)
    with open(ca_pem) as f:
        check(len(blocks) == 1 and blocks[0] != f.read(),
              "chain is the leaf alone: %d blocks" % len(blocks))
    rc, cout, cerr = padlock(["check", cert, "--key", key, "--ca-file",
                              ca_pem, "--host", "myapp.test"], env)
    check(rc == 0 and "chain.root-included" not in cout + cerr and
          "missing-intermediate" not in cout + cerr,
          "padlock cert check finds the leaf a whole chain: %d %s %s"
          % (rc, cout, cerr))
    rc, vout = openssl(["verify", "-CAfile", ca_pem, "-untrusted", cert,
                        cert])
    check(rc == 0 and ": OK" in vout, "openssl verify: " + vout)
    with open(path("main/leaf.pem"), "w") as f:
        f.write(blocks[0])
    rc, vout = openssl(["verify", "-CAfile", ca_pem, "-purpose", "sslserver",
                        "-x509_strict", path("main/leaf.pem")])
    check(rc == 0, "openssl verify -purpose sslserver -x509_strict: " + vout)
    for host in ["localhost", "myapp.test"]:
        rc, vout = openssl(["verify", "-CAfile", ca_pem, "-verify_hostname",
                            host, path("main/leaf.pem")])
        check(rc == 0, "verify_hostname %s: %s" % (host, vout))
    for ip in ["127.0.0.1", "::1"]:
        rc, vout = openssl(["verify", "-CAfile", ca_pem, "-verify_ip", ip,
                            path("main/leaf.pem")])
        check(rc == 0, "verify_ip %s: %s" % (ip, vout))
    rc, vout = openssl(["verify", "-CAfile", ca_pem, "-verify_hostname",
                        "other.test", path("main/leaf.pem")])
    check(rc != 0, "other.test must not verify")

    text = cert_text(blocks[0])
    check(re.search(r"DNS:localhost, IP Address:127.0.0.1, "
                    r"IP Address:0:0:0:0:0:0:0:1, DNS:myapp.test", text),
          "SANs: " + text)
    check(re.search(r"Extended Key Usage: *\n *TLS Web Server Authentication"
                    r"\n", text), "EKU serverAuth only")
    check(re.search(r"Key Usage: critical\n *Digital Signature\n", text),
          "keyUsage critical digitalSignature")
    check(re.search(r"Basic Constraints: critical\n *CA:FALSE", text),
          "CA:FALSE")
    check("NIST CURVE: P-256" in text, "P-256 leaf")
    check("Subject Key Identifier" in text and
          "Authority Key Identifier" in text, "SKID and AKID")
    check("Subject: O = padlock development certificate, CN = localhost"
          in text, "leaf subject")
    serial = re.search(r"Serial Number:\s*\n\s*([0-9a-f:]+)", text)
    check(serial and len(serial.group(1).split(":")) >= 15,
          "128-bit serial: %s" % (serial and serial.group(1)))
    start, end = cert_dates(blocks[0])
    days = (end - start).total_seconds() / 86400
    check(396 <= days <= 398, "leaf validity %.2f days" % days)
    check(abs((start - datetime.datetime.utcnow()).total_seconds()) < 7200,
          "starts about now")

    with open(os.path.join(env["PADLOCK_CA_DIR"], "ca.pem")) as f:
        ca_pem = f.read()
    ca_text = cert_text(ca_pem)
    check(re.search(r"Basic Constraints: critical\n *CA:TRUE, pathlen:0",
                    ca_text), "CA basicConstraints")
    check(re.search(r"Key Usage: critical\n *Certificate Sign, CRL Sign",
                    ca_text), "CA keyUsage")
    check(re.search(r"Subject: O = padlock local CA, CN = padlock "
                    r"development CA \S+@\S+", ca_text), "CA subject")
    check("NIST CURVE: P-256" in ca_text, "P-256 CA")
    start, end = cert_dates(ca_pem)
    check((end - start).days >= 3650, "CA lives ten years")

    # The key is the leaf's.
    _, leaf_pub = openssl(["x509", "-noout", "-pubkey", "-in",
                           path("main/leaf.pem")])
    _, key_pub = openssl(["pkey", "-pubout", "-in", key])
    check(leaf_pub == key_pub, "key matches the certificate")
    with open(key) as f:
        check(f.read().startswith("-----BEGIN PRIVATE KEY-----"), "PKCS#8")


def second_run_reuses_the_ca():
    env = base_env()
    ca_pem = os.path.join(env["PADLOCK_CA_DIR"], "ca.pem")
    with open(ca_pem) as f:
        before = f.read()
    out_dir = path("main", "out2")
    os.makedirs(out_dir)
    rc, out, err = padlock(["--out", out_dir, "*.myapp.test"], env)
    check(rc == 0, "exit %d: %s" % (rc, err))
    with open(ca_pem) as f:
        check(f.read() == before, "ca.pem unchanged")
    check("Created a local CA" not in out, "no new CA: " + out)
    chain = os.path.join(out_dir, "_wildcard.myapp.test.pem")
    check(listing(out_dir) == ["_wildcard.myapp.test-key.pem",
                               "_wildcard.myapp.test.pem"],
          "wildcard file names: %s" % listing(out_dir))
    rc, vout = openssl(["verify", "-CAfile", ca_pem, "-untrusted", chain,
                        chain])
    check(rc == 0, "verify the wildcard chain: " + vout)
    check("Next: padlock serve --cert %s/_wildcard.myapp.test.pem" % out_dir
          in out, "next command with --out: " + out)

    # IPv6 first: ':' is not kept in the file name. Same names again:
    # both files are replaced, and say so.
    for attempt in range(2):
        rc, out, err = padlock(["::1", "[::1]"], env, cwd=out_dir)
        check(rc == 0 and os.path.exists(os.path.join(out_dir, "__1.pem")),
              "::1 -> __1.pem (repeat counts once): %s %s" %
              (listing(out_dir), err))
        check(("replaced" in out) == (attempt == 1), "replaced: " + out)


def bad_names_exit_2_and_leave_nothing():
    env = base_env("bad")
    cwd = path("bad", "cwd")
    os.makedirs(cwd)
    cases = [
        (["bad name"], "'bad name' is neither an IP address nor a host name"),
        (["localhost", "a..b"], "'a..b' has an empty label"),
        (["*.test"], "wildcard for a whole top-level domain"),
        (["a.*.test"], "a wildcard must be the whole left-most label"),
        (["f*o.test"], "a wildcard must be the whole left-most label"),
        (["256.0.0.1"], "'256.0.0.1' is not a valid IPv4 address"),
        (["::1::2"], "'::1::2' is not a valid IPv6 address"),
        (["fe80::1%eth0"], "IPv6 zone"),
        ([""], "an empty name"),
        (["-x.test"], "unknown option"),
        (["localhost", "x" * 64 + ".test"], "a label longer than 63"),
    ]
    for args, says in cases:
        rc, out, err = padlock(args, env, cwd=cwd)
        lines = err.strip().splitlines()
        check(rc == 2, "%r: exit %d" % (args, rc))
        check(says in err, "%r: stderr %r" % (args, err))
        check(len(lines) >= 1 and lines[0].startswith("padlock cert: ") and
              says in lines[0], "%r: one sentence first: %r" % (args, err))
        check(out == "", "%r: stdout %r" % (args, out))
        check(listing(cwd) == [], "%r left %s" % (args, listing(cwd)))
        check(not os.path.exists(env["PADLOCK_CA_DIR"]),
              "%r made the CA" % args)


def usage_errors_exit_2():
    env = base_env("usage")
    cases = [
        ([], "give the host names"),
        (["--uninstall", "localhost"], "--uninstall takes no names"),
        (["--install", "--uninstall"], "not both"),
        (["--where", "localhost"], "--where takes nothing else"),
        (["--nss-only"], "go with --install or --uninstall"),
        (["--install", "--nss-only", "--system-only"], "not both"),
        (["--out"], "needs a value"),
        (["--bogus"], "unknown option"),
    ]
    for args, says in cases:
        rc, out, err = padlock(args, env)
        check(rc == 2 and says in err, "%r: exit %d, %r" % (args, rc, err))
    # "check" is the certificate checker's (padlock cert check), never a
    # name to issue a certificate for.
    rc, out, err = padlock(["check"], env, cwd=path("usage"))
    check(rc == 2 and "padlock cert check" in err,
          "check is the checker's: %d %r" % (rc, err))
    check(not os.path.exists(path("usage", "check.pem")) and
          not os.path.exists(env["PADLOCK_CA_DIR"]), "check is not a name")
    rc, out, err = padlock(["--help"], env)
    check(rc == 0 and "--install" in out and "--where" in out, "--help")
    rc, out, err = padlock(["--out", path("usage", "nodir"), "x.test"], env)
    check(rc == 1 and "nodir" in err and "No such file" in err,
          "--out to a missing directory: %d %r" % (rc, err))
    check(not os.path.exists(env["PADLOCK_CA_DIR"]), "no CA made")


def failed_issue_removes_the_new_ca_and_files():
    env = base_env("fail")
    cwd = path("fail", "cwd")
    os.makedirs(os.path.join(cwd, "localhost.pem"))  # a directory in the way
    rc, out, err = padlock(["localhost"], env, cwd=cwd)
    check(rc == 1 and "is a directory" in err, "exit %d: %r" % (rc, err))
    check(listing(cwd) == ["localhost.pem"], "left %s" % listing(cwd))
    check(not os.path.exists(env["PADLOCK_CA_DIR"]),
          "the CA made for this run is removed again")


def where_follows_the_environment():
    env = base_env("where")
    rc, out, err = padlock(["--where"], env)
    check(rc == 0 and out == env["PADLOCK_CA_DIR"] + "\n", "--where: " + out)
    check("no local CA there yet" in err, "says there is none yet: " + err)
    del env["PADLOCK_CA_DIR"]
    env["XDG_DATA_HOME"] = path("where", "xdg")
    rc, out, err = padlock(["--where"], env)
    check(out == path("where", "xdg", "padlock", "ca") + "\n", "XDG: " + out)
    del env["XDG_DATA_HOME"]
    rc, out, err = padlock(["--where"], env)
    check(out == os.path.join(env["HOME"], ".local/share/padlock/ca") + "\n",
          "HOME: " + out)
    check(listing(env["HOME"]) == [], "--where makes nothing")


# ---- installing: the steps, and what happens when one cannot be done ------------


def install_without_certutil_changes_nothing():
    env = base_env("nocertutil")
    rc, _, err = padlock(["x.test"], env, cwd=path("nocertutil"))
    empty_bin = path("nocertutil", "bin")
    os.makedirs(empty_bin)
    env["PATH"] = empty_bin
    rc, out, err = padlock(["--install"], env)
    check(rc == 1, "exit %d" % rc)
    check("certutil was not found" in err and
          "apt-get install libnss3-tools" in err, "says what to install: " + err)
    check("nothing was changed" in err, "says nothing changed: " + err)
    check(listing(env["PADLOCK_SYSTEM_CA_DIR"]) == [], "system store untouched")
    check(not os.path.exists(env["PADLOCK_NSSDB"]), "no NSS database made")
    # The system part alone does not need certutil.
    rc, out, err = padlock(["--install", "--system-only"], env)
    check(rc == 0 and "System trust store: added" in out,
          "--system-only: %d %r %r" % (rc, out, err))
    check(not os.path.exists(env["PADLOCK_NSSDB"]), "--system-only: no NSS")


def failed_update_command_is_undone():
    env = base_env("badupdate")
    padlock(["x.test"], env, cwd=path("badupdate"))
    # Fails while a .crt is in the store: the install's update fails, the
    # undo's update (after the file is removed again) succeeds.
    env["PADLOCK_UPDATE_CA_CMD"] = ('if ls "$PADLOCK_SYSTEM_CA_DIR" | '
                                    'grep -q crt; then echo refused >&2; '
                                    'exit 3; fi')
    rc, out, err = padlock(["--install"], env)
    check(rc == 1 and "failed (exit 3)" in err and "refused" in err,
          "update failure reported: %d %r" % (rc, err))
    check("removed" in err and "again" in err, "says it undid: " + err)
    check(listing(env["PADLOCK_SYSTEM_CA_DIR"]) == [], "store as before: %s" %
          listing(env["PADLOCK_SYSTEM_CA_DIR"]))
    check(not os.path.exists(env["PADLOCK_NSSDB"]), "NSS not reached")


def failed_nss_step_undoes_the_system_step():
    env = base_env("badnss")
    padlock(["x.test"], env, cwd=path("badnss"))
    with open(path("badnss", "afile"), "w") as f:
        f.write("not a directory\n")
    env["PADLOCK_NSSDB"] = path("badnss", "afile", "nssdb")
    rc, out, err = padlock(["--install"], env)
    check(rc == 1, "exit %d" % rc)
    check("System trust store: added" in out, "step 1 said: " + out)
    check("undone: removed" in err and "as they were" in err,
          "says step 1 was undone: " + err)
    check([f for f in listing(env["PADLOCK_SYSTEM_CA_DIR"])
           if f.endswith(".crt") or f.endswith(".0")] == [],
          "store as before: %s" % listing(env["PADLOCK_SYSTEM_CA_DIR"]))


def install_as_non_root_says_how():
    """As a user who cannot write the system store: nothing changes, and
    the message gives the exact commands for root. Run as root, the case
    switches to nobody; run as a user, it makes the store read-only."""
    env = base_env("user")
    command = [PADLOCK, "cert", "--install"]
    if os.geteuid() == 0:
        os.chmod(TMP, 0o755)
        os.chmod(path("user"), 0o755)
        shutil.chown(env["HOME"], 65534, 65534)
        command = ["setpriv", "--reuid=65534", "--regid=65534",
                   "--clear-groups"] + command
    else:
        os.chmod(env["PADLOCK_SYSTEM_CA_DIR"], 0o555)
    env["PADLOCK_CA_DIR"] = os.path.join(env["HOME"], "ca")
    proc = subprocess.run(command, env=env, capture_output=True, timeout=120)
    os.chmod(TMP, 0o700)
    os.chmod(env["PADLOCK_SYSTEM_CA_DIR"], 0o755)
    err = proc.stderr.decode()
    check(proc.returncode == 1, "exit %d: %s" % (proc.returncode, err))
    check("needs root" in err and "sudo cp" in err and
          "update-ca-certificates" in err and "--nss-only" in err,
          "says how: " + err)
    check("nothing was changed" in err, "nothing changed: " + err)
    check(listing(env["PADLOCK_SYSTEM_CA_DIR"]) == [], "store untouched")
    check(not os.path.exists(env["PADLOCK_NSSDB"]), "no NSS database")
    check(not os.path.exists(env["PADLOCK_CA_DIR"]),
          "the CA made for the failed install is removed")


# ---- installed: curl, Python and Chromium trust it; uninstalled: they do not ----


def start_server(chain, key, host):
    port_file = path("main", "port-%d" % len(SERVERS))
    log = open(path("main", "server-%d.log" % len(SERVERS)), "w")
    proc = subprocess.Popen([TESTSERVER, "--cert", chain, "--key", key,
                             "--host", host, "--port", "0", "--port-file",
                             port_file], stderr=log)
    SERVERS.append(proc)
    for _ in range(100):
        if os.path.exists(port_file):
            with open(port_file) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    log.close()
    with open(log.name) as f:
        raise RuntimeError("padlock_testserver did not start: " + f.read())


def curl(url, env, *args):
    proc = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time",
                           "20"] + list(args) + [url], env=env,
                          capture_output=True, timeout=60)
    return (proc.returncode, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"))


def python_get(port, host, **ctx_args):
    ctx = ssl.create_default_context(**ctx_args)
    try:
        with socket.create_connection((host, port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return data.decode(errors="replace")
    except (ssl.SSLError, OSError) as e:
        return "error: %s" % e


def chromium(url, home, name):
    """Loads url in headless Chromium with HOME=home (its NSS database is
    home/.pki/nssdb) and a fresh profile. Returns (dom, stderr)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None, "chromium is not installed (scripts/deps.sh installs it)"
    env = {k: v for k, v in os.environ.items()
           if not re.search(r"proxy|PROXY", k)}
    env["HOME"] = home
    profile = path("main", "chromium-" + name)
    proc = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--no-proxy-server", "--user-data-dir=" + profile,
         "--dump-dom", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        out, err = proc.communicate(timeout=CHROMIUM_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, "chromium did not finish in %d s" % CHROMIUM_TIMEOUT
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # helpers left behind
        except ProcessLookupError:
            pass
    return out.decode(errors="replace"), err.decode(errors="replace")


def chromium_verdict(port, env, name, want_trusted):
    dom, err = chromium("https://localhost:%d/" % port, env["HOME"], name)
    if dom is None:
        check(False, "Chromium (%s): %s" % (name, err))
        return
    error = re.search(r"net::(ERR_[A-Z_]+)", err)
    print("  chromium (%s): %s" % (name, "loaded the page" if BODY in dom
                                    else error.group(1) if error
                                    else "no page, no error"))
    if want_trusted:
        check(BODY in dom, "Chromium (%s) loads the page: dom %r, stderr "
              "tail %r" % (name, dom[:300], err[-600:]))
    else:
        check(BODY not in dom and "ERR_CERT_AUTHORITY_INVALID" in err,
              "Chromium (%s) refuses: dom %r, stderr tail %r" %
              (name, dom[:300], err[-600:]))


def clients_trust_it_after_install_and_not_after_uninstall():
    env = base_env()
    store = env["PADLOCK_SYSTEM_CA_DIR"]
    bundle = path("main", "bundle.pem")
    chain = path("main/out/localhost+3.pem")
    key = path("main/out/localhost+3-key.pem")
    port = start_server(chain, key, "127.0.0.1")
    port6 = start_server(chain, key, "::1")
    url = "https://localhost:%d/" % port

    # Before: nobody trusts it (the checks below are not vacuous).
    rc, _, err = curl(url, env, "--capath", store)
    check(rc != 0 and "certificate" in err, "curl before install: %r" % err)
    chromium_verdict(port, env, "before", False)

    rc, out, err = padlock(["--install"], env)
    check(rc == 0 and err == "", "install: %d %r" % (rc, err))
    check("System trust store: added" in out and "NSS database" in out and
          "added the local CA as 'padlock-" in out, "install said: " + out)
    crt = [f for f in listing(store) if f.endswith(".crt")]
    check(len(crt) == 1 and re.match(r"padlock-[0-9a-f]{16}\.crt$", crt[0]),
          "store: %s" % listing(store))
    check(any(re.match(r"[0-9a-f]{8}\.0$", f) for f in listing(store)),
          "the update command ran (hash link): %s" % listing(store))
    nick = crt[0][:-4] if crt else "?"
    listed = subprocess.run(["certutil", "-L", "-d", "sql:" +
                             env["PADLOCK_NSSDB"]], capture_output=True,
                            timeout=60).stdout.decode()
    check(re.search(re.escape(nick) + r"\s+C,,", listed),
          "certutil -L: " + listed)
    rc, out, err = padlock(["--install"], env)
    check(rc == 0 and out.count("already has the local CA") == 2,
          "second install changes nothing: " + out)
    rc, out, err = padlock(["other.test"], env, cwd=path("main"))
    check("not trusted yet" not in out, "no install hint once installed")

    # curl: through the hashed directory, and through the bundle.
    rc, body, err = curl(url, env, "--capath", store)
    check(rc == 0 and BODY in body, "curl --capath: %d %r" % (rc, err))
    env_bundle = dict(env, CURL_CA_BUNDLE=bundle)
    rc, body, err = curl(url, env_bundle)
    check(rc == 0 and BODY in body, "curl CURL_CA_BUNDLE: %d %r" % (rc, err))
    rc, body, err = curl("https://127.0.0.1:%d/" % port, env_bundle)
    check(rc == 0 and BODY in body, "curl by IPv4 address: %d %r" % (rc, err))
    rc, body, err = curl("https://[::1]:%d/" % port6, env_bundle)
    check(rc == 0 and BODY in body, "curl by IPv6 address: %d %r" % (rc, err))
    # Python's ssl, both ways.
    got = python_get(port, "127.0.0.1", capath=store)
    check(BODY in got, "Python capath: " + got[:200])
    got = python_get(port, "127.0.0.1", cafile=bundle)
    check(BODY in got, "Python cafile: " + got[:200])
    # Chromium, with the NSS database --install wrote.
    chromium_verdict(port, env, "installed", True)

    rc, out, err = padlock(["--uninstall"], env)
    check(rc == 0 and "removed the local CA" in out and
          "System trust store: removed" in out, "uninstall: %r %r" %
          (out, err))
    check(listing(store) == [], "store empty again: %s" % listing(store))
    listed = subprocess.run(["certutil", "-L", "-d", "sql:" +
                             env["PADLOCK_NSSDB"]], capture_output=True,
                            timeout=60).stdout.decode()
    check(nick not in listed, "certutil -L after uninstall: " + listed)
    rc, _, err = curl(url, env, "--capath", store)
    check(rc != 0, "curl refuses after uninstall")
    got = python_get(port, "127.0.0.1", capath=store)
    check("CERTIFICATE_VERIFY_FAILED" in got, "Python refuses: " + got[:200])
    chromium_verdict(port, env, "uninstalled", False)
    rc, out, err = padlock(["--uninstall"], env)
    check(rc == 0 and out.count("did not have the local CA") == 2,
          "second uninstall: " + out)


CASES = [
    issues_a_chain_that_openssl_verifies,
    second_run_reuses_the_ca,
    bad_names_exit_2_and_leave_nothing,
    usage_errors_exit_2,
    failed_issue_removes_the_new_ca_and_files,
    where_follows_the_environment,
    install_without_certutil_changes_nothing,
    failed_update_command_is_undone,
    failed_nss_step_undoes_the_system_step,
    install_as_non_root_says_how,
    clients_trust_it_after_install_and_not_after_uninstall,
]


def main():
    try:
        for case in CASES:
            before = failures
            try:
                case()
            except Exception as e:  # a crash is a failure of that case
                check(False, "%s raised %r" % (case.__name__, e))
            print("%s %s" % ("ok  " if failures == before else "FAIL",
                             case.__name__))
            sys.stdout.flush()
    finally:
        for proc in SERVERS:
            proc.terminate()
            try:
                # 0 after SIGTERM: it freed everything (ASan checks leaks).
                check(proc.wait(timeout=10) == 0,
                      "padlock_testserver exit %s" % proc.returncode)
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "padlock_testserver did not stop")
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
