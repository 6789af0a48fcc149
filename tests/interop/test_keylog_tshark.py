"""tshark decrypts a capture of padlock's client <-> padlock's server with the
key logs both wrote (SSLKEYLOGFILE / --keylog): an independent check of the
TLS 1.3 key schedule, in Wireshark's own implementation.

One capture on the loopback interface holds three connections, each to its
own test server, so that the schedule is checked with SHA-256 and SHA-384
suites, AES-GCM and ChaCha20-Poly1305, and after a HelloRetryRequest (whose
transcript starts with the synthetic message_hash):
  /default     the default suite and group
  /hrr-sha384  TLS_AES_256_GCM_SHA384, server takes secp384r1 only -> HRR
  /chacha      TLS_CHACHA20_POLY1305_SHA256
Capturing on lo needs CAP_NET_RAW (CI runs as root); when it is not
permitted the cases fail and say so.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BODY, Failure, Proc, Suite, expect, expect_equal,  # noqa: E402
                    expect_ok, padlock_bin, padlock_get, pki, require_tools,
                    run, start_testserver, testserver_bin, tmp_path, wait_until)

suite = Suite("tshark decrypts padlock <-> padlock with the key logs")

CONNECTIONS = [
    ("/default", []),
    ("/hrr-sha384", ["--suites", "TLS_AES_256_GCM_SHA384", "--groups", "secp384r1"]),
    ("/chacha", ["--suites", "TLS_CHACHA20_POLY1305_SHA256"]),
]
TRAFFIC_LABELS = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                  "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")

_capture = {}


def capture():
    """Runs the three exchanges under tshark once; the cases read the files."""
    if "error" in _capture:
        raise Failure("the capture failed earlier: %s" % _capture["error"])
    if _capture:
        return _capture
    try:
        _capture.update(_make_capture())
    except Failure as e:
        _capture["error"] = str(e)
        raise
    return _capture


def _make_capture():
    client_keylog = tmp_path("client.keylog")
    pcap = tmp_path("loopback.pcapng")
    servers = []
    for path, args in CONNECTIONS:
        keylog = tmp_path("server%s.keylog" % path.replace("/", "-"))
        server = start_testserver(pki().leaf("ecdsa_p256").server_args()
                                  + ["--keylog", keylog, "--alpn", "http/1.1"] + args)
        servers.append((path, server, keylog))
    ports = " or ".join("tcp port %d" % s.port for _, s, _ in servers)
    tshark = Proc("tshark", ["tshark", "-i", "lo", "-f", ports, "-w", pcap])
    wait_until(lambda: "Capturing on" in tshark.err() or not tshark.alive(),
               "tshark to start capturing on lo")
    if not tshark.alive():
        raise Failure("tshark cannot capture on the loopback interface "
                      "(needs root or CAP_NET_RAW): %s"
                      % " | ".join(tshark.err().strip().splitlines()[-3:]))
    time.sleep(1.0)  # "Capturing on" comes as dumpcap starts; give it a moment
    env = dict(os.environ, SSLKEYLOGFILE=client_keylog)
    for path, server, _ in servers:
        result = padlock_get(server.url(path), "--cacert", pki().root, env=env)
        expect_ok(result, "padlock get %s" % path)
        expect_equal(result.out, BODY + "\n", "body of %s" % path)
    time.sleep(0.5)  # let the last packets reach the capture file
    tshark.stop()
    if not os.path.exists(pcap) or os.path.getsize(pcap) == 0:
        raise Failure("tshark wrote no capture: %s" % tshark.err().strip())
    # The servers are stopped (and checked for a clean exit) when the case
    # that made the capture ends.
    return {"pcap": pcap, "client_keylog": client_keylog,
            "servers": [(path, keylog) for path, _, keylog in servers]}


def tshark_fields(keylog, display_filter, *fields):
    """Rows of the fields tshark prints for the packets matching the filter."""
    argv = ["tshark", "-r", capture()["pcap"]]
    if keylog:
        argv += ["-o", "tls.keylog_file:" + keylog]
    argv += ["-Y", display_filter, "-T", "fields"]
    for field in fields:
        argv += ["-e", field]
    result = run(argv, timeout=60)
    expect_ok(result, "tshark -r")
    return [line.split("\t") for line in result.out.splitlines() if line.strip()]


def keylog_lines(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip() and not line.startswith("#")]


def all_paths():
    return sorted(path for path, _ in CONNECTIONS)


@suite.case("capture_of_three_connections")
def made():
    rows = tshark_fields(None, "tls.handshake.type == 1", "tcp.dstport")
    expect_equal(len(rows), 4, "ClientHellos in the capture (3 connections, "
                 "one HelloRetryRequest)")


@suite.case("client_keylog_decrypts_requests")
def client_requests():
    rows = tshark_fields(capture()["client_keylog"], "http.request",
                         "http.request.method", "http.request.uri")
    expect_equal(sorted(tuple(r) for r in rows),
                 [("GET", p) for p in all_paths()],
                 "HTTP requests tshark decrypted with SSLKEYLOGFILE")


@suite.case("client_keylog_decrypts_responses")
def client_responses():
    rows = tshark_fields(capture()["client_keylog"], "http.response",
                         "http.response.code", "http.file_data")
    expect_equal(len(rows), len(CONNECTIONS), "HTTP responses decrypted")
    for row in rows:
        expect_equal(row[0], "200", "status of a decrypted response")
        expect(row[1].startswith(BODY), "decrypted body is %r" % row[1])


@suite.case("client_keylog_decrypts_handshake")
def client_handshake():
    # Certificate (11) and Finished (20) travel under the handshake keys;
    # tshark can only dissect them with the right handshake secrets.
    rows = tshark_fields(capture()["client_keylog"], "tls.handshake.type",
                         "tls.handshake.type")
    types = [t for row in rows for t in row[0].split(",")]
    expect_equal(types.count("11"), len(CONNECTIONS), "Certificates decrypted")
    expect_equal(types.count("20"), 2 * len(CONNECTIONS), "Finished messages decrypted")


def case_server_keylog(index):
    path, keylog = capture()["servers"][index]
    rows = tshark_fields(keylog, "http.request", "http.request.method",
                         "http.request.uri")
    expect_equal([tuple(r) for r in rows], [("GET", path)],
                 "requests tshark decrypted with the server's --keylog")
    rows = tshark_fields(keylog, "http.response", "http.response.code")
    expect_equal(rows, [["200"]], "responses decrypted with the server's --keylog")


for _i, (_path, _) in enumerate(CONNECTIONS):
    suite.add("server_keylog_decrypts" + _path.replace("/", "_"),
              case_server_keylog, _i)


@suite.case("client_and_server_keylogs_agree")
def agree():
    client = keylog_lines(capture()["client_keylog"])
    server = [line for _, path in capture()["servers"] for line in keylog_lines(path)]
    for lines, who in ((client, "client"), (server, "server")):
        for line in lines:
            expect(len(line) == 3 and len(line[1]) == 64,
                   "%s key log line is not NSS format: %r" % (who, " ".join(line)))
        randoms = {line[1] for line in lines}
        expect_equal(len(randoms), len(CONNECTIONS),
                     "client randoms in the %s key log" % who)
        for random in randoms:
            labels = {line[0] for line in lines if line[1] == random}
            missing = set(TRAFFIC_LABELS) - labels
            expect(not missing, "%s key log lacks %s for one connection"
                   % (who, ", ".join(sorted(missing))))
    def traffic(lines):
        return sorted(tuple(line) for line in lines if line[0] in TRAFFIC_LABELS)

    expect(traffic(client) == traffic(server),
           "the client's and the servers' traffic secrets differ")


@suite.case("without_keys_nothing_decrypts")
def no_keys():
    # The negative control: the same capture without a key log shows no HTTP,
    # and the request line does not appear anywhere in the raw bytes.
    rows = tshark_fields(None, "http.request || http.response", "frame.number")
    expect_equal(rows, [], "HTTP messages dissected without the keys")
    with open(capture()["pcap"], "rb") as f:
        raw = f.read()
    for path in all_paths():
        expect(b"GET " + path.encode() not in raw,
               "the request for %s travels in the clear" % path)


def setup():
    require_tools("tshark")
    testserver_bin()
    padlock_bin()


suite.setup = setup

if __name__ == "__main__":
    suite.run()
