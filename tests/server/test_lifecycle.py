"""padlock serve: starting, stopping, and surviving its workers.

Graceful stop: a slow download in flight when SIGTERM comes finishes
intact, new connections are refused from then on, the master exits 0.
A worker killed with SIGKILL is logged and replaced, and the server keeps
serving. Friendly failures: a port in use names the port and the process
holding it; a port below 1024 without privileges gives the ways out.
"""

import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Skip, Suite, WAIT, common,  # noqa: E402
                          expect, expect_equal, expect_in, expect_re, get, is_sanitized,
                          localhost_leaf, padlock_bin, read_all, read_responses,
                          run, test_env, tls_connect, wait_until, workdir,
                          write_file)

suite = Suite("padlock serve: graceful stop, dying workers, friendly failures")
state = {}

SIZE = 20 * 1024 * 1024
RATE = 6 * 1024 * 1024     # bytes per second the slow client reads


def site():
    if "root" not in state:
        root = os.path.join(workdir(), "life-site")
        write_file(os.path.join(root, "index.html"), "<p>up</p>\n", 1700000000)
        data = os.urandom(SIZE)
        write_file(os.path.join(root, "big.bin"), data, 1700000000)
        state["root"] = root
        state["digest"] = hashlib.sha256(data).hexdigest()
    return state["root"]


def serve(*extra, **kw):
    return Serve(["--root", site()] + localhost_leaf().args() + list(extra), **kw)


def slow_download(port, result, started):
    """GET /big.bin, read at about 6 MiB/s (3.5 s); fills result."""
    try:
        sock = tls_connect(port, timeout=WAIT * 2)
        with sock:
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    raise Failure("closed before the response head")
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            result["head"] = head
            digest = hashlib.sha256(body)
            got = len(body)
            started.set()
            t0 = time.monotonic()
            while got < SIZE:
                chunk = sock.recv(64 * 1024)
                if not chunk:
                    break
                digest.update(chunk)
                got += len(chunk)
                ahead = got / RATE - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            result["got"] = got
            result["digest"] = digest.hexdigest()
            # Then the server closes the connection: it is stopping.
            rest, how = read_all(sock, WAIT)
            result["after"] = (rest, how)
    except Exception as e:  # reported by the case
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        started.set()
        result["done"] = time.monotonic()


@suite.case("graceful_stop_finishes_download_refuses_new_connections")
def _():
    srv = serve("--shutdown-timeout", "60")
    result, started = {}, threading.Event()
    t = threading.Thread(target=slow_download, args=(srv.https_port, result, started),
                         daemon=True)
    t.start()
    expect(started.wait(WAIT), "the download did not start")
    expect("error" not in result, "download: %s" % result.get("error"))
    # An idle keep-alive connection, to be closed by the stop.
    idle = tls_connect(srv.https_port)
    idle.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
    read_responses(idle, 1)
    time.sleep(0.3)
    srv.signal(signal.SIGTERM)
    stop_sent = time.monotonic()
    srv.wait_log(r"stopping: letting connections finish", "the stop to begin")
    # The idle connection is closed promptly.
    rest, how = read_all(idle, 10)
    idle.close()
    expect_equal((rest, how), (b"", "eof"), "the idle keep-alive connection at stop")
    # New connections are refused while the download goes on.
    time.sleep(0.3)
    expect(t.is_alive(), "the download ended before new connections were tried "
           "(%r)" % {k: v for k, v in result.items() if k != "head"})
    refused = 0
    for _ in range(5):
        try:
            s = socket.create_connection(("127.0.0.1", srv.https_port), timeout=5)
        except ConnectionRefusedError:
            refused += 1
            continue
        # Accepted by the kernel: see whether anyone answers.
        try:
            s.settimeout(3)
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = s.recv(100)
        except OSError as e:
            answer = "error %s" % e
        s.close()
        raise Failure("a new connection during the graceful stop was accepted "
                      "(answer: %r); expected ECONNREFUSED" % (answer,))
    expect_equal(refused, 5, "refused connections")
    t.join(WAIT * 3)
    expect(not t.is_alive(), "the download did not finish")
    expect("error" not in result, "download: %s" % result.get("error"))
    expect_equal(result["got"], SIZE, "bytes downloaded")
    expect_equal(result["digest"], state["digest"], "SHA-256 of the download")
    expect_equal(result["after"], (b"", "eof"), "the end of the connection")
    expect(result["done"] - stop_sent > 1.0,
           "the download ended %.1f s after SIGTERM: too fast to prove anything"
           % (result["done"] - stop_sent))
    code = srv.proc.popen.wait(WAIT * 2)
    srv.proc.returncode = code
    expect_equal(code, 0, "the master's exit status")
    expect_re(r"\[info\] \d+: stopped$", srv.err(), "the log", re.M)
    srv.stop()  # checks for sanitizer reports


@suite.case("sigterm_with_nothing_in_flight_exits_0_quickly")
def _():
    srv = serve()
    resp = get(srv.https_port, "/index.html", closes=True)
    expect_equal(resp.status, 200, "status")
    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    code = srv.proc.popen.wait(WAIT)
    elapsed = time.monotonic() - t0
    expect_equal(code, 0, "exit status")
    limit = 10 if is_sanitized() else 3
    expect(elapsed < limit, "the stop took %.1f s (limit %d s)" % (elapsed, limit))
    srv.stop()


@suite.case("sigterm_to_the_process_group_stops_without_respawning")
def _():
    # systemd's default KillMode=control-group sends SIGTERM to the master
    # and its workers at once: the workers' exits are part of the stop.
    srv = serve(prefix=["setsid"])
    wait_until(lambda: len(srv.workers()) == 2, "two workers")
    resp = get(srv.https_port, "/index.html", closes=True)
    expect_equal(resp.status, 200, "status")
    os.killpg(srv.pid, signal.SIGTERM)
    code = srv.proc.popen.wait(WAIT)
    expect_equal(code, 0, "exit status")
    log = srv.err()
    expect("starting a new one" not in log,
           "workers were replaced during the stop:\n%s" % log[-1500:])
    expect_re(r"\[info\] \d+: stopped$", log, "the log", re.M)
    srv.stop()


@suite.case("killed_worker_is_replaced_and_serving_goes_on")
def _():
    srv = serve(workers=2)
    before = wait_until(lambda: (lambda w: w if len(w) == 2 else None)(srv.workers()),
                        "two workers")
    victim = before[0]
    mark = len(srv.err())
    os.kill(victim, signal.SIGKILL)
    srv.wait_log(r"worker %d was killed by signal 9; starting a new one" % victim,
                 "the log line about the killed worker", start=mark)
    after = wait_until(lambda: (lambda w: w if len(w) == 2 and victim not in w
                                else None)(srv.workers()), "a new worker")
    expect(before[1] in after, "the other worker %d is gone: %s" % (before[1], after))
    for i in range(30):
        resp = get(srv.https_port, "/index.html", closes=True)
        expect_equal((resp.status, resp.body), (200, b"<p>up</p>\n"),
                     "request %d after the kill" % i)
    # Again, the replacement this time.
    new = [p for p in after if p not in before][0]
    mark = len(srv.err())
    os.kill(new, signal.SIGKILL)
    srv.wait_log(r"worker %d was killed by signal 9; starting a new one" % new,
                 "the log line about the replacement's death", start=mark)
    wait_until(lambda: len(srv.workers()) == 2 and new not in srv.workers(),
               "a third worker")
    resp = get(srv.https_port, "/index.html", closes=True)
    expect_equal(resp.status, 200, "status after the second replacement")
    srv.stop()


@suite.case("port_in_use_names_port_and_process")
def _():
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        leaf = localhost_leaf()
        r = run([padlock_bin(), "serve", "--https-port", port, "--http-port", "0",
                 "--listen", "127.0.0.1", "--cert", leaf.chain, "--key", leaf.key],
                env=test_env())
        expect_equal(r.rc, 1, "exit status")
        comm = open("/proc/self/comm").read().strip()
        expect_in("padlock: cannot listen on 127.0.0.1 port %d: it is in use by "
                  "%s (pid %d); stop it or choose another port with --https-port"
                  % (port, comm, os.getpid()), r.err, "the message")
        # The redirect port too, with its own flag.
        r = run([padlock_bin(), "serve", "--https-port", free_other(port),
                 "--http-port", port, "--listen",
                 "127.0.0.1", "--cert", leaf.chain, "--key", leaf.key],
                env=test_env())
        expect_equal(r.rc, 1, "exit status (--http-port)")
        expect_in("port %d: it is in use by %s (pid %d); stop it or choose another "
                  "port with --http-port" % (port, comm, os.getpid()), r.err,
                  "the message (--http-port)")
    finally:
        holder.close()


def free_other(port):
    while True:
        p = common.free_port()
        if p != port:
            return p


def nobody_copy():
    """The certificate, key and binary where the user nobody can read them
    (the run's directory is private to root)."""
    if "nobody" not in state:
        d = os.path.join("/tmp", "padlock-srvtest-nobody-%d" % os.getpid())
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        leaf = localhost_leaf()
        nobody = pwd.getpwnam("nobody")
        for src, name in ((leaf.chain, "chain.pem"), (leaf.key, "key.pem")):
            shutil.copy(src, os.path.join(d, name))
            os.chown(os.path.join(d, name), nobody.pw_uid, nobody.pw_gid)
            os.chmod(os.path.join(d, name), 0o600)
        state["nobody"] = d
        import atexit
        atexit.register(shutil.rmtree, d, True)
    return state["nobody"]


def as_nobody():
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no user 'nobody' on this machine")
    if os.getuid() != 0:
        raise Skip("not root: cannot switch to nobody")
    if not shutil.which("setpriv"):
        raise Skip("setpriv is missing (util-linux)")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def privileged_port():
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        start = int(f.read())
    if start <= 1:
        raise Skip("net.ipv4.ip_unprivileged_port_start is %d: no port needs "
                   "privileges here" % start)
    return min(443, start - 1)


@suite.case("privileged_port_as_non_root_gives_the_ways_out")
def _():
    prefix = as_nobody()
    port = privileged_port()
    d = nobody_copy()
    env = test_env({"HOME": d, "PADLOCK_CA_DIR": os.path.join(d, "ca")})
    r = run(prefix + [padlock_bin(), "serve", "--https-port", port, "--http-port",
                      "0", "--listen", "127.0.0.1", "--cert",
                      os.path.join(d, "chain.pem"), "--key", os.path.join(d, "key.pem")],
            env=env, cwd=d)
    expect_equal(r.rc, 1, "exit status (%s)" % r.err.strip()[-300:])
    last = r.err.strip().splitlines()[-1]
    expect_in("padlock: cannot listen on 127.0.0.1 port %d: ports below 1024 need "
              "privileges." % port, last, "the message")
    for way in ("run as root with --user NAME",
                "setcap cap_net_bind_service=+ep",
                "sysctl net.ipv4.ip_unprivileged_port_start=%d" % port,
                "--https-port 8443"):
        expect_in(way, last, "the ways out in the message")


@suite.case("user_flag_drops_root_in_workers")
def _():
    as_nobody()
    d = nobody_copy()
    srv = Serve(["--user", "nobody", "--cert", os.path.join(d, "chain.pem"),
                 "--key", os.path.join(d, "key.pem")], cwd=d)
    workers = wait_until(lambda: (lambda w: w if len(w) == 2 else None)(srv.workers()),
                         "two workers")
    nobody = pwd.getpwnam("nobody").pw_uid

    def uids(pid):
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", f.read(), re.M)
        return [int(u) for u in m.groups()]

    for pid in workers:
        # A worker drops root right after the fork: give it that moment.
        try:
            wait_until(lambda: uids(pid) == [nobody] * 4, "worker %d to drop root"
                       % pid, timeout=5)
        except Exception:
            pass
        expect_equal(uids(pid), [nobody] * 4,
                     "worker %d's real, effective, saved and fs uids" % pid)
    with open("/proc/%d/status" % srv.pid) as f:
        expect_re(r"^Uid:\s+0\s", f.read(), "the master's uid (keeps root)", re.M)
    resp = get(srv.https_port, "/", closes=True)
    expect_equal(resp.status, 200, "the welcome page from a worker running as nobody")
    srv.stop()


@suite.case("pid_file_written_and_removed")
def _():
    path = os.path.join(workdir(), "padlock.pid")
    srv = serve("--pid-file", path)
    with open(path) as f:
        expect_equal(f.read(), "%d\n" % srv.pid, "the pid file")
    srv.stop()
    expect(not os.path.exists(path), "the pid file is still there after the stop")


if __name__ == "__main__":
    suite.run()
