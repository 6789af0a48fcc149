#!/usr/bin/env python3
"""Capture the ClientHellos of openssl s_client and curl as fuzz_server seeds.

Listens on a loopback port, points each client at it, keeps the first
record it sends (the ClientHello) and closes. Each seed is fuzz_server's
control byte (whole input at once, default server, the server's fixed key
pair in the group the client shares: 0x00 x25519, 0x40 secp384r1)
followed by that record, written to tests/fuzz/corpus/fuzz_server/NAME. Run from the
repository root; the files are committed, this script is only needed to
make them again.
"""
import os
import socket
import subprocess
import sys
import threading

CORPUS = os.path.join("tests", "fuzz", "corpus", "fuzz_server")
HOST = "fuzz.padlock.test"


def clients(port):
    s_client = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                "-servername", HOST]
    url = "https://%s:%d/" % (HOST, port)
    resolve = "%s:%d:127.0.0.1" % (HOST, port)
    curl = ["curl", "-sk", "--max-time", "5", "--resolve", resolve]
    return {
        "openssl-default": (0x00, s_client),
        "openssl-p384-alpn": (0x40, s_client + [
            "-groups", "P-384:X25519", "-alpn", "h2,http/1.1"]),
        "openssl-chacha-tls13": (0x00, s_client + [
            "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]),
        "openssl-tls12": (0x00, s_client + ["-tls1_2"]),
        "curl-default": (0x00, curl + [url]),
        "curl-tls13-http11": (0x00, curl + ["--tlsv1.3", "--http1.1", url]),
    }


def first_record(conn):
    """Reads one TLS record (header and body) from conn."""
    data = b""
    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    if len(data) >= 5:
        data = data[:5 + int.from_bytes(data[3:5], "big")]
    return data


def capture(name, ctl, argv, listener):
    result = {}

    def accept():
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            result["hello"] = first_record(conn)

    thread = threading.Thread(target=accept)
    thread.start()
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=20)
    thread.join(10)
    hello = result.get("hello", b"")
    if len(hello) < 5 or hello[0] != 22:
        sys.exit("%s: no ClientHello captured" % name)
    path = os.path.join(CORPUS, name)
    with open(path, "wb") as f:
        f.write(bytes([ctl]) + hello)
    print("%s (%d bytes)" % (path, len(hello) + 1))


def main():
    os.makedirs(CORPUS, exist_ok=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        for name, (ctl, argv) in clients(port).items():
            capture(name, ctl, argv, listener)


if __name__ == "__main__":
    main()
