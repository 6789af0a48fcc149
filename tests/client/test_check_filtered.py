"""padlock check tells a filtered port (a firewall drops the packets: the
connect times out) from a refused one (nothing listens: a RST), address by
address, with the firewall fixes. The network is made by this test and
lives only in two network namespaces joined by a veth pair, with addresses
from 198.18.0.0/15 (RFC 2544's range for tests) that exist nowhere else: a
"client" namespace where padlock check runs, and a "server" namespace with
an nftables (or iptables) DROP rule. A name with two addresses comes from
the client namespace's own hosts file (/etc/netns/NAME/hosts, which
`ip netns exec` mounts over /etc/hosts). Where namespaces cannot be made
(no root, no CAP_NET_ADMIN, no nft/iptables), every case is skipped and
says why."""

import atexit
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

from common import (Failure, Proc, Skip, Suite, expect, expect_equal,  # noqa: E402
                    expect_in, padlock_bin, pki, run, sanitizer_report,
                    wait_until)

suite = Suite("padlock check: filtered and refused ports, in network namespaces")

TAG = os.getpid() % 100000
CLIENT_NS = "plchk-c%d" % TAG
SERVER_NS = "plchk-s%d" % TAG
CLIENT_IF = "plc%d" % TAG
SERVER_IF = "pls%d" % TAG
CLIENT_IP = "198.18.0.1"
OPEN_IP = "198.18.0.2"       # port 443 answers
FILTERED_IP = "198.18.0.3"   # port 443 dropped
NAME = "site.padlock.test"   # both addresses, in the client's hosts file
HOSTS_DIR = "/etc/netns/%s" % CLIENT_NS

RULESET = """
table inet padlock_check_test {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr %s tcp dport 443 drop
        tcp dport 8080 drop
    }
}
""" % FILTERED_IP

IPTABLES_RULES = [
    ["-A", "INPUT", "-d", FILTERED_IP, "-p", "tcp", "--dport", "443",
     "-j", "DROP"],
    ["-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"],
]

_state = {"skip": None, "made": []}


def sh(*argv, input=None):
    """Runs a setup command; returns (exit status, stderr)."""
    p = subprocess.run([str(a) for a in argv], input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, text=True)
    return p.returncode, p.stderr.strip()


def must(*argv, input=None):
    rc, err = sh(*argv, input=input)
    if rc != 0:
        raise Failure("%s failed: %s" % (" ".join(map(str, argv)), err))


def in_server(*argv):
    return ["ip", "netns", "exec", SERVER_NS] + [str(a) for a in argv]


def in_client(*argv):
    return ["ip", "netns", "exec", CLIENT_NS] + [str(a) for a in argv]


def teardown():
    for ns in reversed(_state["made"]):
        sh("ip", "netns", "del", ns)
    del _state["made"][:]
    shutil.rmtree(HOSTS_DIR, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(HOSTS_DIR))  # only when nothing else is there
    except OSError:
        pass


atexit.register(teardown)


def firewall():
    """The DROP rules in the server namespace: nftables, else iptables."""
    why = []
    if shutil.which("nft"):
        rc, err = sh(*in_server("nft", "-f", "-"), input=RULESET)
        if rc == 0:
            return "nftables"
        why.append("nft: %s" % err)
    if shutil.which("iptables"):
        for rule in IPTABLES_RULES:
            rc, err = sh(*in_server("iptables", *rule))
            if rc != 0:
                why.append("iptables: %s" % err)
                break
        else:
            return "iptables"
    raise Skip("no firewall to drop packets with (%s; scripts/deps.sh "
               "installs nftables and iptables)"
               % ("; ".join(why) or "neither nft nor iptables is installed"))


def setup():
    if os.geteuid() != 0:
        _state["skip"] = "network namespaces need root (CAP_NET_ADMIN)"
        return
    if shutil.which("ip") is None:
        _state["skip"] = "iproute2 ('ip') is not installed"
        return
    for ns in (CLIENT_NS, SERVER_NS):
        rc, err = sh("ip", "netns", "add", ns)
        if rc != 0:
            teardown()
            _state["skip"] = ("cannot make a network namespace (%s): this "
                              "machine does not allow it" % err)
            return
        _state["made"].append(ns)
    must("ip", "link", "add", CLIENT_IF, "netns", CLIENT_NS, "type", "veth",
         "peer", "name", SERVER_IF, "netns", SERVER_NS)
    must("ip", "-n", CLIENT_NS, "addr", "add", CLIENT_IP + "/24", "dev",
         CLIENT_IF)
    for ip in (OPEN_IP, FILTERED_IP):
        must("ip", "-n", SERVER_NS, "addr", "add", ip + "/24", "dev",
             SERVER_IF)
    for ns, dev in ((CLIENT_NS, CLIENT_IF), (SERVER_NS, SERVER_IF)):
        must("ip", "-n", ns, "link", "set", "lo", "up")
        must("ip", "-n", ns, "link", "set", dev, "up")
    try:
        _state["firewall"] = firewall()
    except Skip as e:
        teardown()
        _state["skip"] = str(e)
        return
    os.makedirs(HOSTS_DIR, exist_ok=True)
    with open(os.path.join(HOSTS_DIR, "hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n%s %s\n%s %s\n"
                % (OPEN_IP, NAME, FILTERED_IP, NAME))


suite.setup = setup


def need_namespaces():
    if _state["skip"]:
        raise Skip(_state["skip"])


def check(target, *args, timeout=60):
    """padlock check --json run inside the client namespace."""
    start = time.monotonic()
    result = run(in_client(padlock_bin(), "check", target, "--json",
                           "--timeout", "1", *args), timeout=timeout)
    elapsed = time.monotonic() - start
    report = sanitizer_report(result.err)
    expect(not report, "sanitizer report: %s" % report)
    try:
        data = json.loads(result.out)
    except ValueError:
        raise Failure("no JSON on stdout: %r / %r" % (result.out[:200],
                                                      result.err[:300]))
    return result.rc, data, elapsed


def codes(data, level=None):
    return {f["code"] for f in data["findings"]
            if level is None or f["level"] == level}


def finding(data, code):
    for f in data["findings"]:
        if f["code"] == code:
            return f
    raise Failure("no %s finding; found %s" % (code, sorted(codes(data))))


def start_server():
    """openssl s_server on port 443 of the server namespace (every
    address), with a chain for NAME."""
    leaf = pki().named_leaf(NAME)
    proc = Proc("openssl s_server (server namespace)", in_server(
        "stdbuf", "-oL", "openssl", "s_server", "-accept", "443", "-cert",
        leaf.cert, "-cert_chain", pki().intermediate, "-key", leaf.key,
        "-www"))
    wait_until(lambda: "ACCEPT" in proc.out() or not proc.alive(),
               "openssl s_server to accept")
    expect(proc.alive(), "openssl s_server did not start: %s" % proc.err())
    return proc


@suite.case("filtered_port_times_out_with_firewall_fixes")
def _():
    need_namespaces()
    rc, data, elapsed = check(FILTERED_IP)
    expect_equal(rc, 2, "exit status (unreachable)")
    f = finding(data, "port.filtered")
    expect_equal(f["level"], "failure", "level")
    for word in ("ufw allow 443/tcp", "firewall-cmd --permanent "
                 "--add-port=443/tcp", "nft add rule", "iptables -I INPUT",
                 "security group"):
        expect_in(word, f["fix"], "the fix")
    expect_equal(data["addresses"][0]["port"], "filtered", "port state")
    expect(elapsed < 10, "a 1 s connect timeout took %.1f s" % elapsed)


@suite.case("refused_port_is_told_apart")
def _():
    need_namespaces()
    rc, data, _ = check("%s:8443" % OPEN_IP)
    expect_equal(rc, 2, "exit status (unreachable)")
    expect_equal(finding(data, "port.refused")["level"], "failure", "level")
    expect("port.filtered" not in codes(data), "refused taken for filtered")


@suite.case("one_address_of_two_filtered_caps_at_b")
def _():
    need_namespaces()
    start_server()
    rc, data, _ = check(NAME, "--ca-file", pki().root, "--http-port", "8080")
    states = {a["ip"]: a["port"] for a in data["addresses"]}
    expect_equal(states, {OPEN_IP: "open", FILTERED_IP: "filtered"},
                 "port state per address")
    expect_equal(data["tested_ip"], OPEN_IP, "the address tested")
    expect_in("port.filtered", codes(data, "failure"), "failures")
    expect_in("cert.trusted", codes(data, "ok"), "ok findings")
    expect_in("http.port-filtered", codes(data, "warning"), "warnings")
    expect_equal(data["grade"], "B", "grade")
    expect_equal(rc, 1, "exit status below A")
    expect_in("port.filtered", {c["code"] for c in data["caps"]}, "caps")


if __name__ == "__main__":
    suite.run()
