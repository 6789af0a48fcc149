"""Records what real servers answer to padlock's probes, as seeds for
fuzz_probe (corpus/fuzz_probe/): probe_tool talks to openssl s_server,
gnutls-serv and padlock_testserver through a proxy that keeps the server's
bytes. Each seed is fuzz_probe's control byte (the version offered, OCSP
asked or not; see the harness) followed by those bytes.

    PADLOCK_BUILD_DIR=build python3 tests/fuzz/capture_probe_answers.py

Hand-made broken answers (garbage, a huge length, a cut record) are
written too. Seeds change on every run (randoms, keys): commit them again
only when the probe's messages change.
"""
import os
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
from common import (openssl, pki, start_gnutls_server,  # noqa: E402
                    start_openssl_server, start_testserver, tmp_path)

OUT = os.path.join(HERE, "corpus", "fuzz_probe")
VERSIONS = {"ssl3": 0, "tls1.0": 1, "tls1.1": 2, "tls1.2": 3, "tls1.3": 4}


def control(version, status=False, scheme=0, timeout=False):
    return bytes([VERSIONS[version] | (8 if status else 0) | scheme << 4
                  | (0x80 if timeout else 0)])


def capture(port, version, suites, *options):
    """Runs probe_tool through a proxy; returns the server's bytes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    answer = bytearray()

    def proxy():
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", port))
        for s in (client, server):
            s.settimeout(10)
        hello = client.recv(65536)
        server.sendall(hello)
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                answer.extend(data)
                client.sendall(data)
        except OSError:
            pass
        client.close()
        server.close()

    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    tool = os.path.join(os.environ["PADLOCK_BUILD_DIR"], "probe_tool")
    subprocess.run([tool, "--timeout", "3000"] + list(options)
                   + ["127.0.0.1", str(listener.getsockname()[1]), version,
                      suites], check=True, stdout=subprocess.DEVNULL)
    thread.join(15)
    listener.close()
    return bytes(answer)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print("%s: %d bytes" % (name, len(data)))


def main():
    os.makedirs(OUT, exist_ok=True)
    ecdsa, rsa = pki().leaf("ecdsa_p256"), pki().leaf("rsa2048")
    chain = ["-cert_chain", pki().intermediate, "-naccept", "100"]

    server = start_openssl_server(["-cert", ecdsa.cert, "-key", ecdsa.key]
                                  + chain)
    write("openssl-tls12-ecdsa", control("tls1.2", scheme=1)
          + capture(server.port, "tls1.2", "all"))
    write("openssl-tls13", control("tls1.3", scheme=6)
          + capture(server.port, "tls1.3", "all"))
    write("openssl-tls13-hrr", control("tls1.3", scheme=3)
          + capture(server.port, "tls1.3", "all", "--shares", "none"))
    write("openssl-tls11-alert", control("tls1.1")
          + capture(server.port, "tls1.1", "all"))
    server.proc.stop()

    server = start_openssl_server(["-cert", rsa.cert, "-key", rsa.key,
                                   "-tls1_2", "-cipher",
                                   "DHE-RSA-AES128-GCM-SHA256", "-verify", "1"]
                                  + chain)
    write("openssl-tls12-dhe-certreq", control("tls1.2", scheme=5)
          + capture(server.port, "tls1.2", "all"))
    server.proc.stop()

    # An OCSP response for the ECDSA leaf, signed by its issuer.
    inter, inter_key = pki().intermediate, pki().intermediate_key
    req, resp = tmp_path("req.der"), tmp_path("resp.der")
    index = tmp_path("index.txt")
    serial = openssl("x509", "-in", ecdsa.cert, "-noout", "-serial")
    with open(index, "w") as f:
        f.write("V\t301231235959Z\t\t%s\tunknown\t/CN=%s\n"
                % (serial.strip().split("=")[1], ecdsa.cn))
    openssl("ocsp", "-issuer", inter, "-cert", ecdsa.cert, "-no_nonce",
            "-reqout", req)
    openssl("ocsp", "-index", index, "-rsigner", inter, "-rkey", inter_key,
            "-CA", inter, "-reqin", req, "-respout", resp, "-ndays", "1")
    server = start_openssl_server(["-cert", ecdsa.cert, "-key", ecdsa.key,
                                   "-tls1_2", "-status_file", resp] + chain)
    write("openssl-tls12-ocsp", control("tls1.2", status=True, scheme=7)
          + capture(server.port, "tls1.2", "all", "--status"))
    server.proc.stop()

    big = pki().big_leaf()
    server = start_openssl_server(["-cert", big.cert, "-key", big.key,
                                   "-tls1_2"] + chain)
    write("openssl-tls12-big-chain", control("tls1.2", scheme=4)
          + capture(server.port, "tls1.2", "all"))
    server.proc.stop()

    server = start_gnutls_server(["--x509certfile", rsa.chain, "--x509keyfile",
                                  rsa.key, "--priority",
                                  "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0"])
    write("gnutls-tls10", control("tls1.0", scheme=2)
          + capture(server.port, "tls1.0", "all"))
    server.proc.stop()

    server = start_testserver(ecdsa.server_args())
    write("padlock-tls12-alert", control("tls1.2", timeout=True)
          + capture(server.port, "tls1.2", "all"))
    server.proc.stop()

    write("broken-http", control("tls1.2") + b"HTTP/1.1 400 Bad Request\r\n")
    write("broken-huge-message", control("tls1.2", scheme=1)
          + b"\x16\x03\x03\x00\x04\x0b\xff\xff\xff")
    write("broken-cut-record", control("tls1.2", timeout=True)
          + b"\x16\x03\x03\x00\x30\x02\x00\x00\x2c\x03\x03")


if __name__ == "__main__":
    main()
