"""padlock serve: running out of descriptors is not a denial of service.

connection_cap_follows_the_descriptor_limit: started under `ulimit -n 256`
(prlimit, soft = hard), the master says in one line that --max-connections
is capped; a flood of 500 held TCP connections is accepted up to the cap
and the rest refused at once, normal requests are served as the held ones
time out (--handshake-timeout 2), and the log stays small.

emfile_pauses_accept_and_sheds_load: the worker's own limit is lowered
under it (prlimit on its PID) below what the master planned for,
as when the system runs out of files: accept4 fails with EMFILE. The worker
must not spin on the readable listener nor log each failure: it sheds what
waits, pauses accepting, and says so once per interval with counts. A
flood of 200 held connections, those closed opened again every 3 s (in
waves, so the descriptors run out again and again), runs for 8 s; normal requests are still served between back-offs; the error log
stays under 4 KiB; the worker's CPU time stays under half the wall time
(before the fix it spun at 100% and logged 155,000 lines a second).
"""

import os
import re
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, WAIT, expect, expect_re,  # noqa: E402
                          get, localhost_leaf, run, wait_until, workdir,
                          write_file)

suite = Suite("padlock serve: descriptor exhaustion")
state = {}


def site():
    if "root" not in state:
        root = os.path.join(workdir(), "exhaust-site")
        write_file(os.path.join(root, "index.html"), "<p>still here</p>\n")
        state["root"] = root
    return state["root"]


def serve(nofile=None, extra=()):
    prefix = ()
    if nofile:
        prefix = ("prlimit", "--nofile=%d:%d" % (nofile, nofile), "--")
    return Serve(["--root", site(), "--handshake-timeout", "2",
                  "--access-log", "off"] + localhost_leaf().args() + list(extra),
                 workers=1, prefix=prefix)


def lower_limit(pid, n):
    """prlimit on pid: as its own user (it runs as nobody), since only the
    same user, or CAP_SYS_RESOURCE that a container may lack, can."""
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
    gid = int(re.search(r"^Gid:\s+(\d+)", status, re.M).group(1))
    if uid == os.getuid():
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
        return
    r = run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
             "--clear-groups", "prlimit", "--pid", str(pid),
             "--nofile=%d:%d" % (n, n)])
    expect(r.rc == 0, "prlimit on the worker: %s" % r.describe())


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Flood:
    """n held TCP connections to port that never send a byte; with refill
    (seconds), every refill seconds those the server closed are opened
    again."""

    def __init__(self, port, n, refill=None):
        self.port, self.n, self.refill = port, n, refill
        self.socks = []
        self.stop = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def connect(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            s.setblocking(False)
            self.socks.append(s)
            self.opened += 1
        except OSError:
            time.sleep(0.01)

    def run(self):
        while len(self.socks) < self.n and not self.stop.is_set():
            self.connect()
        while self.refill and not self.stop.is_set():
            alive = []
            for s in self.socks:
                try:
                    if s.recv(1) == b"":
                        s.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    continue
                alive.append(s)
            self.socks = alive
            while len(self.socks) < self.n and not self.stop.is_set():
                self.connect()
            self.stop.wait(self.refill)

    def close(self):
        self.stop.set()
        self.thread.join(WAIT)
        for s in self.socks:
            s.close()


def try_request(port):
    """One normal request; the status, or None when it was not served."""
    try:
        return get(port, "/index.html").status
    except Exception:
        return None


def log_after(srv, start):
    return srv.err()[start:]


@suite.case("connection_cap_follows_the_descriptor_limit")
def cap():
    srv = serve(nofile=256)
    # 256 - (32 + 256 / 8) = 192 connections per worker
    expect_re(r"--max-connections 10000 is more than the descriptor limit "
              r"allows \(256 open files, ulimit -n\); capped at 192 per worker",
              srv.err(), "the line that says the cap binds")
    start = len(srv.err())
    flood = Flood(srv.https_port, 500)
    # The cap is reached (and said) before any normal request is tried:
    # those are served once held connections time out.
    srv.wait_log(r"connection limit \(192 per worker\) reached",
                 "the first refusal", start=start)
    served = 0
    deadline = time.time() + 12
    while time.time() < deadline and served < 3:
        if try_request(srv.https_port) == 200:
            served += 1
        else:
            time.sleep(0.2)
    flood.close()
    log = log_after(srv, start)
    expect(served >= 3, "normal requests were served during the flood "
           "(%d of 3)" % served)
    expect_re(r"connection limit \(192 per worker\) reached: [\d,]+ "
              r"connection\(s\) refused", log, "the refusals, counted")
    expect(len(log) < 4096, "the error log grew by %d bytes during the flood "
           "(at most 4 KiB):\n%s" % (len(log), log[:2000]))
    print("# cap: %d normal requests served; the log grew by %d bytes"
          % (served, len(log)))
    srv.stop()


@suite.case("emfile_pauses_accept_and_sheds_load")
def emfile():
    srv = serve()
    worker = wait_until(lambda: srv.workers() and srv.workers()[0],
                        "the worker")
    expect(get(srv.https_port, "/index.html").status == 200, "served at first")
    # The worker holds about ten descriptors of its own: 40 leaves room
    # for some 30 connections, far below the cap the master computed.
    lower_limit(worker, 40)
    start = len(srv.err())
    cpu0, t0 = cpu_seconds(worker), time.time()
    flood = Flood(srv.https_port, 200, refill=3.0)
    srv.wait_log(r"accept paused [\d,]+ time\(s\)", "the accept back-off line",
                 start=start)
    served, tries = 0, 0
    deadline = time.time() + 8
    while time.time() < deadline:
        tries += 1
        if try_request(srv.https_port) == 200:
            served += 1
        time.sleep(0.2)
    cpu1, t1 = cpu_seconds(worker), time.time()
    opened = flood.opened
    flood.close()
    log = log_after(srv, start)
    share = (cpu1 - cpu0) / (t1 - t0)
    print("# emfile: worker CPU %.1f%% of %.1f s wall; %d of %d normal "
          "requests served; the flood opened %d connections; the log grew "
          "by %d bytes" % (share * 100, t1 - t0, served, tries, opened, len(log)))
    expect_re(r"accept paused [\d,]+ time\(s\) in the last [\d.]+ s: Too many "
              r"open files; [\d,]+ connection\(s\) open, limit 40 descriptors; "
              r"[\d,]+ connection\(s\) shed", log, "the back-off line")
    expect(len(log) < 4096, "the error log grew by %d bytes during the flood "
           "(at most 4 KiB):\n%s" % (len(log), log[:2000]))
    expect(served >= 1, "normal requests were served between back-offs "
           "(%d of %d)" % (served, tries))
    expect(share < 0.5, "the worker used %.0f%% of a core while out of "
           "descriptors (a spinning accept loop uses all of it)" % (share * 100))
    # Descriptors back: serving as before.
    expect(wait_until(lambda: try_request(srv.https_port) == 200,
                      "a request after the flood"), "served after the flood")
    srv.stop()


if __name__ == "__main__":
    suite.run()
