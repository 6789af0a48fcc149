"""padlock serve: workers never face the network as root by default.

Started as root without --user, the workers become the system user
"padlock" when it exists, else nobody (with nobody's group); /proc says so
for each worker: every uid, no capability in any set (the bounding set
included), PR_SET_NO_NEW_PRIVS, a seccomp filter (mode 2). The master keeps
root and says in its log which user the workers run as. --user root is
refused unless --unsafe-root-workers forces it, and even then the worker
holds no capability and keeps its filter. A site root the workers' user
cannot read is said at start, not only as a 500 per request.

The filter is real: gdb attaches to a worker and makes it call execve (a
call no worker needs). The kernel kills the worker with SIGSYS, the master
logs the death and starts a new worker, and requests are served again.
No code in padlock exists for this test.
"""

import os
import pwd
import grp
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Skip, Suite, WAIT, expect, expect_equal,  # noqa: E402
                          expect_in, get, localhost_leaf, padlock_bin, run,
                          wait_until, workdir, write_file)

suite = Suite("padlock serve: unprivileged, sandboxed workers")
state = {}


def require_root():
    if os.geteuid() != 0:
        raise Skip("not root: the workers keep the user they start with")


def site():
    if "root" not in state:
        root = os.path.join(workdir(), "priv-site")
        write_file(os.path.join(root, "index.html"), "<p>sandboxed</p>\n")
        state["root"] = root
    return state["root"]


def serve(*extra, **kw):
    return Serve(["--root", site()] + localhost_leaf().args() + list(extra),
                 workers=kw.pop("workers", 2), **kw)


def serve_root(root):
    return Serve(["--root", root] + localhost_leaf().args(), workers=1)


def expected_user():
    for name in ("padlock", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise Skip("neither padlock nor nobody exists here")


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        text = f.read()

    def field(name):
        return re.search(r"^%s:[ \t]*(.*)$" % name, text, re.M).group(1).split()
    return field


def all_workers(srv, n):
    return wait_until(lambda: (lambda w: w if len(w) == n else None)(srv.workers()),
                      "%d workers" % n)


def worker_state(pid):
    """(uids, gids, {cap set: hex}, NoNewPrivs, Seccomp), once the worker
    has dropped (it does right after the fork)."""
    def dropped():
        f = status(pid)
        return f("Seccomp") == ["2"] and f
    f = wait_until(dropped, "worker %d to enter its sandbox" % pid)
    caps = {c: f(c)[0] for c in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    return ([int(u) for u in f("Uid")], [int(g) for g in f("Gid")], caps,
            f("NoNewPrivs")[0], f("Seccomp")[0], f("Groups"))


@suite.case("root_start_drops_workers_to_an_unprivileged_user")
def default_user():
    require_root()
    pw = expected_user()
    group = grp.getgrgid(pw.pw_gid).gr_name
    srv = serve()
    expect_in("workers run as %s:%s (uid %d, gid %d), without capabilities, "
              "under a seccomp filter" % (pw.pw_name, group, pw.pw_uid, pw.pw_gid),
              srv.err(), "the master's log")
    for pid in all_workers(srv, 2):
        uids, gids, caps, nnp, seccomp, groups = worker_state(pid)
        expect_equal(uids, [pw.pw_uid] * 4, "worker %d's uids" % pid)
        expect_equal(gids, [pw.pw_gid] * 4, "worker %d's gids" % pid)
        expect_equal(groups, [], "worker %d's supplementary groups" % pid)
        for name, value in caps.items():
            expect_equal(int(value, 16), 0, "worker %d's %s" % (pid, name))
        expect_equal(nnp, "1", "worker %d's NoNewPrivs" % pid)
        expect_equal(seccomp, "2", "worker %d's Seccomp mode (filter)" % pid)
    expect_equal(status(srv.pid)("Uid")[0], "0", "the master's uid (keeps root)")
    expect_equal(get(srv.https_port, "/index.html", closes=True).status, 200,
                 "a file served by an unprivileged worker")
    srv.stop()


@suite.case("a_root_the_workers_cannot_read_is_said_at_start")
def unreadable_root():
    require_root()
    pw = expected_user()
    private = os.path.join(workdir(), "private")
    root = os.path.join(private, "site")
    write_file(os.path.join(root, "index.html"), "<p>hidden</p>\n")
    os.chmod(private, 0o700)
    srv = serve_root(root)
    expect_in("the workers' user %s cannot read %s (Permission denied); every "
              "request would fail" % (pw.pw_name, root), srv.err(),
              "the start-up log")
    resp = get(srv.https_port, "/index.html", closes=True)
    expect_equal(resp.status, 500, "status")
    srv.wait_log(r"\[error\] \d+: 127\.0\.0\.1: 500 for /index\.html: the root "
                 r"directory is not readable by the workers' user",
                 "the request's error line")
    srv.stop()


@suite.case("user_root_refused_unless_forced_as_unsafe")
def user_root():
    require_root()
    r = run([padlock_bin(), "serve", "--user", "root", "--https-port", "1",
             "--http-port", "0", "--root", site()] + localhost_leaf().args())
    expect_equal(r.rc, 1, "exit status of --user root (%s)" % r.err.strip()[-300:])
    expect_in("--user root: refusing to run the workers as root", r.err,
              "the refusal")
    expect_in("--unsafe-root-workers", r.err, "the way to force it, named")
    r = run([padlock_bin(), "serve", "--user", "root", "--check-config",
             "--root", site()] + localhost_leaf().args())
    expect_equal(r.rc, 1, "exit status of --check-config --user root")
    expect_in("error: --user root: refusing to run the workers as root", r.out,
              "--check-config's verdict")
    srv = serve("--user", "root", "--unsafe-root-workers", workers=1)
    expect_in("[warn]", srv.err(), "a warning")
    expect_in("workers run as root (--unsafe-root-workers)", srv.err(),
              "the warning says why it is unsafe")
    pid = all_workers(srv, 1)[0]
    uids, gids, caps, nnp, seccomp, groups = worker_state(pid)
    expect_equal(uids, [0] * 4, "the forced worker's uids")
    expect_equal(int(caps["CapEff"], 16), 0, "the root worker's CapEff")
    expect_equal(int(caps["CapPrm"], 16), 0, "the root worker's CapPrm")
    expect_equal(nnp, "1", "its NoNewPrivs")
    expect_equal(get(srv.https_port, "/index.html", closes=True).status, 200,
                 "served")
    srv.stop()


@suite.case("execve_in_a_worker_kills_it_and_the_master_replaces_it")
def seccomp_kills():
    require_root()
    gdb = shutil.which("gdb")
    if gdb is None:
        raise Skip("gdb is missing (scripts/deps.sh installs it)")
    srv = serve(workers=1)
    victim = all_workers(srv, 1)[0]
    worker_state(victim)
    mark = len(srv.err())
    # gdb makes the worker itself call execve("/bin/true"): allowed, the
    # worker would become /bin/true and exit 0; forbidden, SIGSYS.
    r = run([gdb, "-p", str(victim), "-batch", "-nx",
             "-ex", 'call (int)execve("/bin/true", 0, 0)'], timeout=WAIT * 3)
    expect("SIGSYS" in r.out + r.err, "gdb saw the worker die of SIGSYS:\n%s"
           % (r.out + r.err)[-1500:])
    srv.wait_log(r"worker %d was killed by signal 31 \(SIGSYS\): it made a "
                 r"system call its seccomp filter forbids" % victim,
                 "the master's line about the death", start=mark)
    new = wait_until(lambda: (lambda w: w if len(w) == 1 and w[0] != victim
                              else None)(srv.workers()), "a new worker")[0]
    worker_state(new)
    expect_equal(get(srv.https_port, "/index.html", closes=True).status, 200,
                 "served by the new worker")
    srv.stop()


if __name__ == "__main__":
    suite.run()
