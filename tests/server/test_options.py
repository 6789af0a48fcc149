"""padlock serve's settings: the command line and the configuration file
take the same values (one table drives both), and --check-config finds
what a start would trip over.

Each case is a bug that was there: a file took max-header-bytes = 300000000
(which the command line refused; every HTTPS request then got an empty
reply), a timeout of 5000000 s (multiplied into an unsigned that wrapped)
and 300 workers; --check-config called a file valid whose user does not
exist or whose root is missing (a missing root is now an error at start,
and a root that goes away later is logged as an error); an unterminated
string was reported at the end of the file instead of where it began; the
example configuration claimed a pid file default that was not one.
"""

import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, expect, expect_equal,  # noqa: E402
                          expect_in, get, localhost_leaf, padlock_bin, run,
                          test_env, tmp_path, workdir, write_file)

suite = Suite("padlock serve: one table of settings for flags and files")

SOURCE = os.environ.get("PADLOCK_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))

# (file key, flag, value): inside and just outside every range, and words.
VALUES = [
    ("max-header-bytes", "--max-header-bytes", "300000000"),
    ("max-header-bytes", "--max-header-bytes", "268435456"),
    ("max-header-bytes", "--max-header-bytes", "0"),
    ("max-request-line", "--max-request-line", "268435457"),
    ("max-header-count", "--max-header-count", "-1"),
    ("max-body", "--max-body", "0"),
    ("idle-timeout", "--idle-timeout", "5000000"),
    ("idle-timeout", "--idle-timeout", "86400"),
    ("header-timeout", "--header-timeout", "86401"),
    ("handshake-timeout", "--handshake-timeout", "0"),
    ("shutdown-timeout", "--shutdown-timeout", "10"),
    ("workers", "--workers", "300"),
    ("workers", "--workers", "256"),
    ("max-connections", "--max-connections", "1000001"),
    ("https-port", "--https-port", "0"),
    ("http-port", "--http-port", "0"),
    ("http-port", "--http-port", "65536"),
    ("hsts-max-age", "--hsts", "off"),
    ("hsts-max-age", "--hsts", "-1"),
    ("hsts-max-age", "--hsts", "12x"),
    ("log-level", "--log-level", "debug"),
    ("log-level", "--log-level", "loud"),
    ("log-format", "--log-format", "xml"),
    ("unknown-sni", "--unknown-sni", "reject"),
]


def check_config(*args):
    return run([padlock_bin(), "serve"] + list(args) + ["--check-config"],
               env=test_env())


def site_config(extra, name, root=None):
    leaf = localhost_leaf()
    text = '%s\nsite "localhost" {\n%s    cert = "%s"\n    key = "%s"\n}\n' % (
        extra, '    root = "%s"\n' % root if root else "", leaf.chain, leaf.key)
    return write_file(tmp_path(name), text)


def verdict(result):
    """(accepted, the complaint without where it was made)."""
    text = (result.out + result.err).strip()
    first = text.splitlines()[0] if text else ""
    if result.rc == 0:
        return (True, "")
    complaint = re.sub(r"^(error: .*?:\d+: |padlock serve: )", "", first)
    return (False, complaint.replace("--hsts", "hsts-max-age")
            .replace("--", ""))


@suite.case("flags_and_file_accept_and_refuse_the_same_values")
def _():
    leaf = localhost_leaf()
    for key, flag, value in VALUES:
        path = site_config('%s = "%s"' % (key, value), "v-%s.conf" % key)
        by_file = verdict(check_config("--config", path))
        by_flag = verdict(check_config(flag, value, *leaf.args()))
        expect_equal(by_file, by_flag, "%s = %s in a file against %s %s"
                     % (key, value, flag, value))
    # The file's line is named.
    path = site_config("\n\nmax-header-bytes = 300000000", "line.conf")
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status for max-header-bytes = 300000000")
    expect_in("%s:3: max-header-bytes wants a number from 1 to 268435456, "
              "not '300000000'" % path, r.out, "--check-config's output")


@suite.case("a_timeout_from_the_file_is_not_wrapped")
def _():
    # 4294968 s is 4294968000 ms: in 32 bits that wrapped to 704 ms.
    path = site_config("idle-timeout = 4294968", "wrap.conf")
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status for idle-timeout = 4294968")
    expect_in("idle-timeout wants a number from 1 to 86400", r.out,
              "--check-config's output")


@suite.case("check_config_refuses_a_user_that_does_not_exist")
def _():
    path = site_config('user = "padlock-no-such-user"', "user.conf")
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status (%s)" % r.out.strip())
    expect_in("error: user padlock-no-such-user: no such user", r.out,
              "--check-config's output")
    r = check_config("--user", "padlock-no-such-user", *localhost_leaf().args())
    expect_equal(r.rc, 1, "exit status with --user (%s)" % r.out.strip())


@suite.case("a_missing_root_is_an_error_for_check_and_start")
def _():
    missing = os.path.join(workdir(), "no-such-root")
    path = site_config("", "root.conf", root=missing)
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status (%s)" % r.out.strip())
    expect_in("error: site localhost: root %s: No such file or directory"
              % missing, r.out, "--check-config's output")
    r = run([padlock_bin(), "serve", "--config", path], env=test_env())
    expect_equal(r.rc, 1, "exit status of a start")
    expect_in("root %s: No such file or directory" % missing, r.err,
              "the start's stderr")


@suite.case("a_root_that_goes_away_is_logged_as_an_error")
def _():
    root = os.path.join(workdir(), "vanishing-root")
    write_file(os.path.join(root, "index.html"), "<p>here</p>\n")
    srv = Serve(["--root", root] + localhost_leaf().args())
    try:
        expect_equal(get(srv.https_port, "/index.html").status, 200,
                     "status while the root is there")
        shutil.rmtree(root)
        # A worker re-checks the root it keeps open once a second.
        time.sleep(1.1)
        # 503: the site is unavailable until the root is back
        # (docs/padlock-serve.md, "Limits and failure modes").
        expect_equal(get(srv.https_port, "/index.html").status, 503,
                     "status once the root is gone")
        srv.wait_log(r"\[error\] \d+: 127\.0\.0\.1: 503 for /index\.html: ",
                     "the 503 logged as an error")
    finally:
        srv.stop()


@suite.case("an_unterminated_string_names_the_line_where_it_began")
def _():
    text = 'https-port = 8443\nlog-level = "info\nhttp-port = 0\n\nworkers = 2\n'
    path = write_file(tmp_path("unterminated.conf"), text)
    r = check_config("--config", path)
    expect_equal(r.rc, 1, "exit status")
    expect_in("%s:2: this string is never closed" % path, r.out,
              "--check-config's output")
    # Quotes inside comments do not count.
    text = '# a "quote in a comment\nlog-level = \'debug\nhttp-port = 0\n'
    path = write_file(tmp_path("unterminated2.conf"), text)
    r = check_config("--config", path)
    expect_in("%s:2: this string is never closed" % path, r.out,
              "--check-config's output (single quotes)")


def help_defaults():
    """{setting: default} from `padlock serve --help` ("[443]")."""
    r = run([padlock_bin(), "serve", "--help"], env=test_env())
    expect_equal(r.rc, 0, "--help's exit status")
    found = {}
    for line in r.out.splitlines():
        m = re.match(r"\s+--([a-z-]+)\b.*?(?:\[(.*)\])?$", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


@suite.case("the_example_config_and_readme_agree_with_the_defaults")
def _():
    defaults = help_defaults()
    defaults["hsts-max-age"] = defaults.get("hsts")
    with open(os.path.join(SOURCE, "dist", "padlock.conf.example")) as f:
        example = f.read()
    settings = {}
    for line in example.splitlines():
        m = re.match(r'^(#\s*)?([a-z-]+)\s*=\s*("[^"]*"|\S+)\s*(#.*)?$', line)
        if not m:
            continue
        commented, key, value, note = m.groups()
        value = value.strip('"')
        if commented is None:
            settings[key] = value
            continue
        if note and "default" in note:
            continue  # an example value, its default named beside it
        expect(key in defaults, "the example names %s, which --help does "
               "not know" % key)
        expect_equal(value, defaults[key], "the example's claimed default "
                     "of %s" % key)
    # README reloads by the pid file: the example must write that file.
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    m = re.search(r"kill -HUP \$\(cat (\S+)\)", readme)
    expect(m, "README shows a reload by pid file")
    expect_equal(settings.get("pid-file"), m.group(1),
                 "the example's pid-file against README's reload")
    # And the example is a configuration padlock reads.
    leaf = localhost_leaf()
    text = re.sub(r'(?m)^(user|pid-file) = .*$', "", example)
    text = text.replace("/etc/padlock/example.com.pem", leaf.chain)
    text = text.replace("/etc/padlock/example.com-key.pem", leaf.key)
    text = text.replace("/etc/padlock/blog.example.com.pem", leaf.chain)
    text = text.replace("/etc/padlock/blog.example.com-key.pem", leaf.key)
    text = text.replace("/var/www/example", workdir())
    text = text.replace("/var/www/blog", workdir())
    r = check_config("--config", write_file(tmp_path("example.conf"), text))
    expect_in("ok: the configuration is valid (2 sites", r.out,
              "--check-config of the example (%s)" % r.out.strip()[-300:])


if __name__ == "__main__":
    suite.run()
