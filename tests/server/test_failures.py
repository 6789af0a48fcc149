"""padlock serve: failures that are visible, and said once, not per request.

access_log_on_a_full_disk_is_reported_with_the_entries_lost: the access
log lives on a 64 KiB tmpfs that fills up; the requests are still served,
the error log says once per interval that the access log cannot be
written and how many entries were lost, and when space returns, that it is
written again (and how many were lost since the last report), and the next
entries are there. Before: it stopped silently.

missing_document_root_is_503_and_one_error_line: the site's root is
deleted while serving; every request gets 503, and the error log gets one
error-level line for 300 requests (the next interval's line carries the
count), not one per request.

systemd_unit_verifies: `systemd-analyze verify` accepts dist/padlock.service
(with its ExecStart pointed at the built binary, since the unit names the
installed path), and rejects a copy with a misspelt directive, so the check
is a real one. The unit restarts padlock when the master dies
(Restart=on-failure): a SIGKILLed master is not restarted by padlock.
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Skip, Suite, expect, expect_equal,  # noqa: E402
                          expect_in, expect_re, get, localhost_leaf,
                          padlock_bin, run, wait_until, workdir, write_file)

suite = Suite("padlock serve: visible failures")
SOURCE = os.environ.get("PADLOCK_SOURCE_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", ".."))


def make_site(name):
    root = os.path.join(workdir(), name)
    write_file(os.path.join(root, "index.html"), "<p>here</p>\n")
    return root


def serve(root, *extra):
    return Serve(["--root", root] + localhost_leaf().args() + list(extra),
                 workers=1)


class Tmpfs:
    """A tmpfs of size bytes, mounted on a directory of the run; world
    writable like /tmp, so the workers' user can append to the log."""

    def __init__(self, size):
        if os.geteuid() != 0:
            raise Skip("not root: cannot mount a tmpfs")
        self.path = os.path.join(workdir(), "tiny-%d" % size)
        os.makedirs(self.path, exist_ok=True)
        r = run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=1777" % size,
                 "tmpfs", self.path])
        if r.rc != 0:
            raise Skip("cannot mount a tmpfs here: %s" % r.err.strip())

    def fill(self, leave):
        """Fills it but for about leave bytes."""
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize
        with open(os.path.join(self.path, "filler"), "wb") as f:
            f.write(b"\0" * max(0, free - leave))

    def unmount(self):
        run(["umount", "-l", self.path])


def hammer(srv, n, path="/index.html"):
    statuses = {}
    for _ in range(n):
        status = get(srv.https_port, path).status
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


@suite.case("access_log_on_a_full_disk_is_reported_with_the_entries_lost")
def full_disk():
    fs = Tmpfs(64 * 1024)
    try:
        root = make_site("disk-site")
        log = os.path.join(fs.path, "access.log")
        srv = serve(root, "--access-log", log)
        expect_equal(hammer(srv, 3), {200: 3}, "statuses before the disk fills")
        fs.fill(leave=0)
        mark = len(srv.err())
        expect_equal(hammer(srv, 200), {200: 200},
                     "statuses while the access log cannot be written")
        m = srv.wait_log(r"\[error\] \d+: cannot write the access log \(No space "
                         r"left on device\): ([\d,]+) entr(y|ies) lost", "the report",
                         start=mark)
        during = srv.err()[mark:]
        reports = re.findall(r"cannot write the access log", during)
        expect(1 <= len(reports) <= 3, "%d reports for 200 lost entries (one per "
               "5 s interval):\n%s" % (len(reports), during[-2000:]))
        first = int(m.group(1).replace(",", ""))
        # Space again: the next entry is written, and the log says so.
        os.unlink(os.path.join(fs.path, "filler"))
        mark = len(srv.err())
        expect_equal(get(srv.https_port, "/index.html?back").status, 200,
                     "a request once there is space")
        m = srv.wait_log(r"the access log is written again; ([\d,]+) entr(y was|ies "
                         r"were) lost since the last report", "the recovery line",
                         start=mark)
        lost_total = first + int(m.group(1).replace(",", ""))
        # reports in between (one per interval) count their share too
        for x in re.findall(r"cannot write the access log \(No space left on "
                            r"device\): ([\d,]+)", during)[1:]:
            lost_total += int(x.replace(",", ""))
        with open(log) as f:
            text = f.read()
        expect_in("GET /index.html?back HTTP/1.1", text,
                  "the access log after the recovery")
        # Each of the 204 entries is in the file or counted lost (the file's
        # last page took some after the filler; a line cut by ENOSPC is
        # counted lost, and the next line ends it).
        expect_equal(lost_total + text.count("\n"), 204,
                     "entries written (%d) and reported lost (%d)"
                     % (text.count("\n"), lost_total))
        expect(lost_total >= 100, "%d entries lost (the disk was full)"
               % lost_total)
        srv.stop()
    finally:
        fs.unmount()


@suite.case("missing_document_root_is_503_and_one_error_line")
def missing_root():
    root = make_site("gone-site")
    srv = serve(root, "--access-log", "off")
    expect_equal(get(srv.https_port, "/index.html").status, 200, "before")
    shutil.rmtree(root)
    # A worker re-checks the root it keeps open once a second (a file it
    # has open is served until then): the next second sees it gone.
    time.sleep(1.1)
    mark = len(srv.err())
    start = time.monotonic()
    statuses = hammer(srv, 300)
    took = time.monotonic() - start
    expect_equal(statuses, {503: 300}, "statuses with the root gone")
    log = srv.err()[mark:]
    lines = re.findall(r"^.*root directory is missing.*$", log, re.M)
    # one line per 5 s interval: 300 requests take at least one
    expect(1 <= len(lines) <= 1 + int(took / 5) + 1,
           "%d lines about the missing root for 300 requests in %.1f s:\n%s"
           % (len(lines), took, log[-1500:]))
    expect_re(r"\[error\] \d+: 127\.0\.0\.1: 503 for /index\.html: the root "
              r"directory is missing", lines[0], "the line")
    # The next interval's line says how many were left out meanwhile.
    m = srv.wait_log(r"root directory is missing \(([\d,]+) lines like this one "
                     r"left out in the last [\d.]+ s\)", "the count of the others",
                     start=mark, timeout=15)
    expect(int(m.group(1).replace(",", "")) >= 1, "a count")
    print("# 300 requests with the root gone: %d lines (before: 300)"
          % len(lines))
    # Back: served again.
    make_site("gone-site")
    expect_equal(get(srv.https_port, "/index.html").status, 200, "after")
    srv.stop()


@suite.case("systemd_unit_verifies")
def unit():
    tool = shutil.which("systemd-analyze")
    if tool is None:
        print("# skipped: systemd-analyze is not installed")
        raise Skip("systemd-analyze is missing")
    with open(os.path.join(SOURCE, "dist", "padlock.service")) as f:
        text = f.read()
    expect_re(r"^Restart=on-failure$", text, "the unit", re.M)
    d = os.path.join(workdir(), "unit")
    os.makedirs(d, exist_ok=True)
    good = os.path.join(d, "padlock.service")
    with open(good, "w") as f:
        f.write(text.replace("/usr/local/bin/padlock", padlock_bin()))
    r = subprocess.run([tool, "verify", "--man=no", good], capture_output=True, text=True,
                       timeout=60)
    expect_equal(r.returncode, 0, "systemd-analyze verify: %s" % r.stderr)
    expect_equal(r.stderr.strip(), "", "what systemd-analyze verify says")
    bad_dir = os.path.join(d, "bad")
    os.makedirs(bad_dir, exist_ok=True)
    bad = os.path.join(bad_dir, "padlock.service")
    with open(bad, "w") as f:
        f.write(text.replace("/usr/local/bin/padlock", padlock_bin())
                .replace("Restart=on-failure", "Restart=on-fialure"))
    r = subprocess.run([tool, "verify", "--man=no", bad], capture_output=True, text=True,
                       timeout=60)
    expect_in("on-fialure", r.stderr, "systemd-analyze on a misspelt value")


if __name__ == "__main__":
    suite.run()
