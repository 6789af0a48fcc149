"""A small ACME CA (RFC 8555) for the cases pebble 2.4 cannot play: it
offers renewal information (RFC 9773) and validates TLS-ALPN-01 over the
TLS version a case asks for.

It is strict where padlock's behaviour is at stake: every POST is a JWS
whose ES256 signature is verified against the account's key, with a nonce
it issued and never saw used and the URL it was sent to; challenges are
validated over real sockets against padlock's listeners (HTTP-01 with an
HTTP GET, TLS-ALPN-01 with openssl s_client and Python's ssl, checking the
acmeIdentifier extension of RFC 8737); the CSR's names must be the
order's. It records what it saw (orders with their "replaces", renewal
information requests, validations) for the cases to check.

Used by test_fake_ca.py; not a test itself.
"""

import base64
import datetime
import hashlib
import http.server
import json
import os
import secrets
import socket
import ssl
import subprocess
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ACME_IDENTIFIER = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")  # RFC 8737 6.1


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cert_id(cert):
    """RFC 9773 4.1, computed here independently of padlock."""
    aki = cert.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    n = cert.serial_number
    serial = n.to_bytes(n.bit_length() // 8 + 1, "big")  # DER: a sign bit
    return b64u(aki) + "." + b64u(serial)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn, key, issuer=None, issuer_key=None, days=30):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(_name(cn))
         .issuer_name(issuer.subject if issuer else _name(cn))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                        critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False,
                                      True, True, False, False),
                        critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(
             key.public_key()), critical=False))
    if issuer is not None:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _jwk_key(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("not a P-256 JWK")
    x = int.from_bytes(unb64u(jwk["x"]), "big")
    y = int.from_bytes(unb64u(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def _thumbprint(jwk):
    """RFC 7638: the required members in lexicographic order."""
    text = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"],
                       "y": jwk["y"]}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(text.encode()).digest())


class Problem(Exception):
    def __init__(self, status, kind, detail):
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail


class FakeCA:
    """The CA on an ephemeral port of 127.0.0.1, in a thread.

    workdir: where its files go. ari: offer renewalInfo. window(cert_id,
    issued_at) -> (start, end, retry_after) for the renewal information
    (epoch seconds). http_port / tls_port: where padlock answers the
    challenges. tls_max: the highest TLS version the TLS-ALPN-01
    validator offers ("1.2" or "1.3"). lifetime: of issued certificates.
    """

    def __init__(self, workdir, ari=True, window=None, tls_max="1.3",
                 lifetime=90 * 86400):
        self.workdir, self.ari, self.window = workdir, ari, window
        self.tls_max, self.lifetime = tls_max, lifetime
        self.http_port = self.tls_port = None
        self.lock = threading.Lock()
        self.nonces, self.accounts, self.orders, self.authzs = set(), {}, {}, {}
        self.certs = {}            # cert_id -> (cert, issued_at)
        self.seen_orders = []      # (time, identifiers, replaces)
        self.seen_ari = []         # (time, cert_id, status)
        self.validations = []      # dicts: type, name, ok, why, version...
        self.unknown = []          # paths it had nothing for
        os.makedirs(workdir, exist_ok=True)
        self._make_pki()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      self._handler())
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.https_chain, self.https_key)
        self.server.socket = ctx.wrap_socket(self.server.socket,
                                             server_side=True)
        self.port = self.server.server_address[1]
        self.base = "https://127.0.0.1:%d" % self.port
        self.directory = self.base + "/dir"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # ---- its certificates ----------------------------------------------------

    def _make_pki(self):
        """A root for its own HTTPS (--acme-ca-root), and a root and an
        intermediate that issue the ACME certificates."""
        d = self.workdir
        hk = ec.generate_private_key(ec.SECP256R1())
        hroot = _ca("fake ACME CA HTTPS root", hk)
        lk = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        leaf = (x509.CertificateBuilder()
                .subject_name(_name("127.0.0.1")).issuer_name(hroot.subject)
                .public_key(lk.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(__import__("ipaddress").ip_address(
                        "127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(
                        hk.public_key()), critical=False)
                .sign(hk, hashes.SHA256()))
        self.ca_root = os.path.join(d, "https-root.pem")
        self.https_chain = os.path.join(d, "https-leaf.pem")
        self.https_key = os.path.join(d, "https-leaf.key")
        with open(self.ca_root, "wb") as f:
            f.write(_pem(hroot))
        with open(self.https_chain, "wb") as f:
            f.write(_pem(leaf))
        with open(self.https_key, "wb") as f:
            f.write(_key_pem(lk))
        rk = ec.generate_private_key(ec.SECP256R1())
        self.root = _ca("Fake ACME Root", rk)
        self.int_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _ca("Fake ACME Intermediate", self.int_key,
                                self.root, rk)
        self.issuing_root = os.path.join(d, "issuing-root.pem")
        with open(self.issuing_root, "wb") as f:
            f.write(_pem(self.root))

    def _issue(self, csr, names):
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x509.CertificateBuilder()
             .subject_name(_name(names[0]))
             .issuer_name(self.intermediate.subject)
             .public_key(csr.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(seconds=60))
             .not_valid_after(now + datetime.timedelta(seconds=self.lifetime))
             .add_extension(x509.SubjectAlternativeName(
                 [x509.DNSName(n) for n in names]), critical=False)
             .add_extension(x509.ExtendedKeyUsage(
                 [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 self.int_key.public_key()), critical=False))
        cert = b.sign(self.int_key, hashes.SHA256())
        with self.lock:
            self.certs[cert_id(cert)] = (cert, time.time())
        return cert

    # ---- challenges ------------------------------------------------------------

    def _validate(self, authz, chal):
        name, token = authz["identifier"]["value"], chal["token"]
        keyauth = token + "." + _thumbprint(authz["jwk"])
        record = {"type": chal["type"], "name": name}
        try:
            if chal["type"] == "http-01":
                self._http01(name, token, keyauth, record)
            else:
                self._tlsalpn01(name, keyauth, record)
            record["ok"] = True
        except Exception as e:  # the validation's failure is the CA's answer
            record["ok"], record["why"] = False, str(e)
        with self.lock:
            self.validations.append(record)
            chal["status"] = "valid" if record["ok"] else "invalid"
            authz["status"] = chal["status"]
            if not record["ok"]:
                chal["error"] = {"type": "urn:ietf:params:acme:error:"
                                 + ("connection" if "refused" in
                                    record["why"] else "unauthorized"),
                                 "detail": record["why"]}

    def _http01(self, name, token, keyauth, record):
        s = socket.create_connection(("127.0.0.1", self.http_port), 10)
        s.sendall(("GET /.well-known/acme-challenge/%s HTTP/1.1\r\nHost: "
                   "%s\r\nConnection: close\r\n\r\n" % (token, name)).encode())
        data = b""
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") or body.strip() != keyauth.encode():
            raise ValueError("http-01: %r" % data[:200])

    def _tlsalpn01(self, name, keyauth, record):
        """RFC 8737 3: ALPN acme-tls/1 only, SNI the name; the certificate
        names only it and carries the critical acmeIdentifier holding the
        SHA-256 of the key authorization."""
        version = "-tls1_2" if self.tls_max == "1.2" else "-tls1_3"
        r = subprocess.run(
            ["openssl", "s_client", version, "-alpn", "acme-tls/1",
             "-servername", name, "-connect", "127.0.0.1:%d" % self.tls_port],
            input=b"", capture_output=True, timeout=20)
        out = r.stdout.decode(errors="replace")
        record["s_client_alpn"] = "ALPN protocol: acme-tls/1" in out
        record["s_client_version"] = next(
            (l.split(":", 1)[1].strip() for l in out.splitlines()
             if l.strip().startswith("Protocol  :")), None)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["acme-tls/1"])
        ctx.maximum_version = (ssl.TLSVersion.TLSv1_2 if self.tls_max == "1.2"
                               else ssl.TLSVersion.TLSv1_3)
        with ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", self.tls_port), 10), server_hostname=name) as s:
            record["version"] = s.version()
            record["alpn"] = s.selected_alpn_protocol()
            der = s.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der)
        sans = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        ext = cert.extensions.get_extension_for_oid(ACME_IDENTIFIER)
        want = b"\x04\x20" + hashlib.sha256(keyauth.encode()).digest()
        if record["alpn"] != "acme-tls/1":
            raise ValueError("tls-alpn-01: ALPN %r" % record["alpn"])
        if sans != [name] or not ext.critical or ext.value.value != want:
            raise ValueError("tls-alpn-01: wrong challenge certificate")

    # ---- the HTTP side ---------------------------------------------------------

    def _handler(self):
        ca = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body=b"", ctype="application/json",
                     headers=()):
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Replay-Nonce", ca._nonce())
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                if self.path == "/dir":
                    self.send(200, ca._directory())
                elif self.path == "/nonce":
                    self.send(200)
                elif self.path.startswith("/renewal-info/"):
                    self.send(*ca._renewal_info(self.path[14:]))
                else:
                    ca.unknown.append(self.path)
                    self.send(404, {"type": "urn:ietf:params:acme:error:"
                                    "malformed", "detail": "no such thing"},
                              "application/problem+json")

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                try:
                    self.send(*ca._post(self.path, body))
                except Problem as p:
                    self.send(p.status, {"type": "urn:ietf:params:acme:"
                                         "error:" + p.kind,
                                         "detail": p.detail},
                              "application/problem+json")
        return Handler

    def _nonce(self):
        n = secrets.token_urlsafe(16)
        with self.lock:
            self.nonces.add(n)
        return n

    def _directory(self):
        d = {"newNonce": self.base + "/nonce",
             "newAccount": self.base + "/new-acct",
             "newOrder": self.base + "/new-order",
             "meta": {"termsOfService": self.base + "/terms"}}
        if self.ari:
            d["renewalInfo"] = self.base + "/renewal-info"
        return d

    def _renewal_info(self, ident):
        with self.lock:
            known = self.certs.get(ident)
        self.seen_ari.append((time.time(), ident, 200 if known else 404))
        if not self.ari or not known:
            return (404, {"type": "urn:ietf:params:acme:error:malformed",
                          "detail": "no such certificate"},
                    "application/problem+json")
        start, end, retry = self.window(ident, known[1])
        fmt = lambda t: datetime.datetime.fromtimestamp(
            t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (200, {"suggestedWindow": {"start": fmt(start),
                                          "end": fmt(end)}},
                "application/json", [("Retry-After", str(retry))])

    def _verify(self, path, body):
        """RFC 8555 6.2-6.5; the protected header, the payload (None for
        POST-as-GET) and the account (or the jwk for newAccount)."""
        jws = json.loads(body)
        prot = json.loads(unb64u(jws["protected"]))
        if prot.get("alg") != "ES256":
            raise Problem(400, "badSignatureAlgorithm", "ES256 only")
        with self.lock:
            fresh = prot.get("nonce") in self.nonces
            self.nonces.discard(prot.get("nonce"))
        if not fresh:
            raise Problem(400, "badNonce", "unknown or used nonce")
        if prot.get("url") != self.base + path:
            raise Problem(401, "unauthorized", "url %r" % prot.get("url"))
        if "jwk" in prot:
            jwk = prot["jwk"]
        else:
            acct = self.accounts.get(prot.get("kid"))
            if acct is None:
                raise Problem(400, "accountDoesNotExist", "no such account")
            jwk = acct
        sig = unb64u(jws["signature"])
        if len(sig) != 64:
            raise Problem(400, "malformed", "an ES256 signature is 64 bytes")
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                   int.from_bytes(sig[32:], "big"))
        _jwk_key(jwk).verify(der, (jws["protected"] + "." + jws["payload"])
                             .encode(), ec.ECDSA(hashes.SHA256()))
        payload = json.loads(unb64u(jws["payload"])) if jws["payload"] else None
        return prot, payload, jwk

    def _post(self, path, body):
        prot, payload, jwk = self._verify(path, body)
        if path == "/new-acct":
            if not payload.get("termsOfServiceAgreed"):
                raise Problem(403, "userActionRequired", "agree to the terms")
            kid = self.base + "/acct/%d" % (len(self.accounts) + 1)
            for k, v in self.accounts.items():
                if v == jwk:
                    kid = k
            self.accounts[kid] = jwk
            return 201, {"status": "valid"}, "application/json", [
                ("Location", kid)]
        if path == "/new-order":
            return self._new_order(payload, jwk)
        kind, _, ident = path.strip("/").partition("/")
        if kind == "authz":
            return 200, self._public(self.authzs[ident])
        if kind == "chal":
            aid, _, typ = ident.partition("/")
            authz = self.authzs[aid]
            chal = next(c for c in authz["challenges"] if c["type"] == typ)
            if chal["status"] == "pending":
                chal["status"] = "processing"
                threading.Thread(target=self._validate, args=(authz, chal),
                                 daemon=True).start()
            return 200, {k: v for k, v in chal.items()}
        if kind == "order":
            return 200, self._order_doc(self.orders[ident])
        if kind == "finalize":
            return self._finalize(self.orders[ident], payload)
        if kind == "cert":
            o = self.orders[ident]
            chain = _pem(o["cert"]) + _pem(self.intermediate)
            return 200, chain, "application/pem-certificate-chain"
        raise Problem(404, "malformed", "no such resource")

    def _public(self, authz):
        return {k: v for k, v in authz.items() if k != "jwk"}

    def _new_order(self, payload, jwk):
        names = [i["value"] for i in payload["identifiers"]]
        replaces = payload.get("replaces")
        with self.lock:
            self.seen_orders.append((time.time(), names, replaces))
        if replaces is not None and replaces not in self.certs:
            raise Problem(400, "malformed", "replaces names no certificate")
        oid = str(len(self.orders) + 1)
        authz_ids = []
        for i, n in enumerate(names):
            aid = "%s-%d" % (oid, i)
            token = secrets.token_urlsafe(32)
            self.authzs[aid] = {
                "identifier": {"type": "dns", "value": n},
                "status": "pending", "jwk": jwk,
                "challenges": [{"type": t, "token": token, "status": "pending",
                                "url": "%s/chal/%s/%s" % (self.base, aid, t)}
                               for t in ("http-01", "tls-alpn-01")]}
            authz_ids.append(aid)
        o = {"id": oid, "names": names, "authzs": authz_ids, "cert": None,
             "replaces": replaces, "status": "pending"}
        self.orders[oid] = o
        return 201, self._order_doc(o), "application/json", [
            ("Location", "%s/order/%s" % (self.base, oid))]

    def _order_doc(self, o):
        states = [self.authzs[a]["status"] for a in o["authzs"]]
        if o["status"] == "pending" and all(s == "valid" for s in states):
            o["status"] = "ready"
        if o["status"] == "pending" and "invalid" in states:
            o["status"] = "invalid"
        doc = {"status": o["status"],
               "identifiers": [{"type": "dns", "value": n}
                               for n in o["names"]],
               "authorizations": ["%s/authz/%s" % (self.base, a)
                                  for a in o["authzs"]],
               "finalize": "%s/finalize/%s" % (self.base, o["id"])}
        if o["replaces"]:
            doc["replaces"] = o["replaces"]  # RFC 9773 5: reflected
        if o["cert"] is not None:
            doc["certificate"] = "%s/cert/%s" % (self.base, o["id"])
        return doc

    def _finalize(self, o, payload):
        self._order_doc(o)
        if o["status"] != "ready":
            raise Problem(403, "orderNotReady", "order is " + o["status"])
        csr = x509.load_der_x509_csr(unb64u(payload["csr"]))
        if not csr.is_signature_valid:
            raise Problem(400, "badCSR", "bad signature")
        names = csr.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        if sorted(names) != sorted(o["names"]):
            raise Problem(400, "badCSR", "names %r" % names)
        o["cert"] = self._issue(csr, o["names"])
        o["status"] = "valid"
        return 200, self._order_doc(o)
