"""A corpus of path-validation cases for issue 15, made on the spot with the
openssl CLI (nothing pasted): name constraints (DNS, IPv4, IPv6,
wildcards), RFC 5280's strict rules, the Web PKI rules browsers enforce,
path building (chain of pain, backtracking, a cross-signing cycle, a
trusted intermediate, depth), notAfter inclusive and CRLs.

    python3 pathcorpus.py OUTDIR      # writes OUTDIR/cases.tsv and one
                                      # directory per case

Each case directory holds chain.pem (what the server sends, leaf first),
key.pem (the leaf's key), trust.pem (the trust store) and, for CRL cases,
crl.pem. cases.tsv has one line per case, tab separated:

    name  expect  code  host  at  max_depth  crl  warnings  what

expect is "accept" or "refuse"; code the finding code the refusal is known
by (pl_x509_verdict_t.code, the finding padlock cert check names); at the
verification time (seconds since the epoch, 0: now); max_depth 0 for the
default; crl 1 when crl.pem is given with --crl; warnings the findings
padlock cert check adds without changing the verdict (comma separated,
"-" for none); what says what the case proves. Fixtures are shared
between cases (one root, one intermediate, keys made once), so the whole
corpus takes a few seconds.
"""
import concurrent.futures
import os
import subprocess
import sys

SERIAL = [0x1000]


class Corpus:
    def __init__(self, out):
        self.out = out
        self.work = os.path.join(out, "_work")
        os.makedirs(self.work, exist_ok=True)
        self.keys = {}
        self.certs = {}
        self.cases = []
        # openssl runs in parallel: a key or certificate is a future that
        # whatever needs its file waits for.
        self.pool = concurrent.futures.ThreadPoolExecutor(4)
        self.pending = {}

    def path(self, name):
        return os.path.join(self.work, name)

    def openssl(self, *args, stdin=None):
        p = subprocess.run(["openssl"] + list(args), input=stdin,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    # ---- keys and certificates --------------------------------------------

    def wait(self, path):
        """Waits until the file at path is made (raises its error)."""
        job = self.pending.get(path)
        if job is not None:
            job.result()

    def later(self, path, fn, *deps):
        """Makes the file at path with fn once the files deps are made."""
        def run():
            for d in deps:
                self.wait(d)
            fn()
        self.pending[path] = self.pool.submit(run)

    def key(self, name, kind="ec"):
        """A private key file, made once per name."""
        if name in self.keys:
            return self.keys[name]
        path = self.path(name + ".key")
        self.later(path, lambda: self.make_key(path, name, kind))
        self.keys[name] = path
        return path

    def make_key(self, path, name, kind):
        if kind == "ec":
            self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-out", path)
        elif kind.startswith("rsa"):
            self.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                         "rsa_keygen_bits:" + kind[3:], "-out", path)
        elif kind == "dsa":
            params = self.path(name + ".params")
            self.openssl("genpkey", "-genparam", "-algorithm", "DSA",
                         "-pkeyopt", "dsa_paramgen_bits:2048", "-out", params)
            self.openssl("genpkey", "-paramfile", params, "-out", path)
        self.openssl("pkey", "-in", path, "-pubout", "-out", path + ".pub")

    def cert(self, name, subject, key, issuer=None, ext=(), days=365,
             serial=None):
        """A certificate: self-signed when issuer is None, else signed by
        the certificate named issuer (with its key). ext: lines of an
        openssl extension section."""
        cnf = self.path(name + ".cnf")
        with open(cnf, "w") as f:
            f.write("[x]\n" + "".join(line + "\n" for line in ext))
        if serial is None:
            SERIAL[0] += 1
            serial = SERIAL[0]
        out = self.path(name + ".pem")
        args = ["x509", "-new", "-subj", subject, "-extfile", cnf,
                "-extensions", "x", "-days", str(days), "-set_serial",
                str(serial), "-sha256", "-out", out]
        deps = [key]
        if issuer is None:
            args += ["-key", key]
        else:
            ipem, ikey = self.certs[issuer]
            args += ["-force_pubkey", key + ".pub", "-CA", ipem, "-CAkey",
                     ikey]
            deps += [ipem, ikey]
        self.later(out, lambda: self.openssl(*args), *deps)
        self.certs[name] = (out, key)
        return out

    def ca(self, name, subject, issuer=None, extra=(), key=None, days=3650):
        ext = ["basicConstraints=critical,CA:TRUE",
               "keyUsage=critical,keyCertSign,cRLSign"] + list(extra)
        return self.cert(name, subject, key or self.key(name), issuer, ext,
                         days)

    def leaf(self, name, sans, issuer="int", extra=(), key=None,
             subject=None, days=365, serial=None, eku="serverAuth",
             base=True):
        ext = []
        if base:
            ext.append("basicConstraints=critical,CA:FALSE")
            ext.append("keyUsage=critical,digitalSignature")
        if eku:
            ext.append("extendedKeyUsage=" + eku)
        if sans:
            ext.append("subjectAltName=" + sans)
        ext += list(extra)
        first = sans.split(",")[0].split(":", 1)[1] if sans else "x"
        return self.cert(name, subject or "/CN=" + first,
                         key or self.key("leafkey"), issuer, ext, days,
                         serial)

    def not_after(self, name):
        self.wait(self.certs[name][0])
        text = self.openssl("x509", "-in", self.certs[name][0], "-noout",
                            "-enddate", "-dateopt", "iso_8601")
        # notAfter=2027-12-07 20:30:00Z
        import calendar
        import time
        stamp = text.strip().split("=", 1)[1].rstrip("Z")
        return calendar.timegm(time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))

    # ---- cases ------------------------------------------------------------------

    def case(self, name, chain, trust, expect, code="-", host=None,
             at=0, max_depth=0, crl=None, warnings=(), what="",
             key="leafkey"):
        d = os.path.join(self.out, name)
        os.makedirs(d, exist_ok=True)
        for c in list(chain) + list(trust):
            self.wait(self.certs[c][0])
        self.wait(self.certs[chain[0]][1])
        with open(os.path.join(d, "chain.pem"), "w") as f:
            for c in chain:
                f.write(open(self.certs[c][0]).read())
        with open(os.path.join(d, "trust.pem"), "w") as f:
            for c in trust:
                f.write(open(self.certs[c][0]).read())
        with open(os.path.join(d, "key.pem"), "w") as f:
            f.write(open(self.certs[chain[0]][1]).read())
        if crl:
            with open(os.path.join(d, "crl.pem"), "w") as f:
                f.write(open(crl).read())
        self.cases.append((name, expect, code, host or "www.example.test",
                           str(at), str(max_depth), "1" if crl else "0",
                           ",".join(warnings) or "-", what))

    def write(self):
        for job in list(self.pending.values()):
            job.result()
        self.pool.shutdown()
        with open(os.path.join(self.out, "cases.tsv"), "w") as f:
            for c in self.cases:
                f.write("\t".join(c) + "\n")


def base(c):
    c.ca("root", "/CN=Corpus Root/O=padlock corpus")
    c.ca("int", "/CN=Corpus Intermediate/O=padlock corpus", "root")
    c.leaf("leaf", "DNS:www.example.test")
    c.case("good", ["leaf", "int"], ["root"], "accept",
           what="a plain chain to a trusted root")
    c.leaf("leaf-ip", "IP:10.1.2.3")
    c.case("good-ip", ["leaf-ip", "int"], ["root"], "accept",
           host="10.1.2.3", what="an IP address SAN")


def name_constraints(c):
    def nc_int(name, constraint, extra=()):
        c.ca(name, "/CN=NC %s/O=padlock corpus" % name, "root",
             ["nameConstraints=" + constraint] + list(extra),
             key=c.key("nckey"))

    nc_int("nc-ex-bar", "critical,excluded;DNS:bar.example.test")
    c.leaf("wild-ex", "DNS:*.example.test", "nc-ex-bar")
    c.case("nc-wildcard-host-excluded", ["wild-ex", "nc-ex-bar"], ["root"],
           "refuse", "name.constraint", host="bar.example.test",
           what="a wildcard SAN covers a host an issuer excludes")
    c.case("nc-wildcard-other-host", ["wild-ex", "nc-ex-bar"], ["root"],
           "refuse", "name.constraint", host="foo.example.test",
           what="a wildcard SAN that could name an excluded host")
    c.leaf("plain-foo", "DNS:foo.example.test", "nc-ex-bar")
    c.case("nc-excluded-other-name", ["plain-foo", "nc-ex-bar"], ["root"],
           "accept", host="foo.example.test",
           what="a name beside an excluded one")
    c.leaf("plain-bar", "DNS:bar.example.test", "nc-ex-bar")
    c.case("nc-excluded-name", ["plain-bar", "nc-ex-bar"], ["root"],
           "refuse", "name.constraint", host="bar.example.test",
           what="a SAN an issuer excludes")

    nc_int("nc-perm", "critical,permitted;DNS:example.test")
    c.leaf("perm-ok", "DNS:www.example.test", "nc-perm")
    c.case("nc-permitted", ["perm-ok", "nc-perm"], ["root"], "accept",
           what="a SAN within a permitted subtree")
    c.leaf("perm-wild", "DNS:*.example.test", "nc-perm")
    c.case("nc-permitted-wildcard", ["perm-wild", "nc-perm"], ["root"],
           "accept", host="a.example.test",
           what="a wildcard whose every expansion is permitted")
    c.leaf("perm-out", "DNS:www.other.test", "nc-perm")
    c.case("nc-permitted-outside", ["perm-out", "nc-perm"], ["root"],
           "refuse", "name.constraint", host="www.other.test",
           what="a SAN outside the permitted subtree")
    c.leaf("perm-bad", "DNS:www.example.test,DNS:bad!name.example.test",
           "nc-perm")
    c.case("nc-permitted-invalid-dns-san", ["perm-bad", "nc-perm"], ["root"],
           "refuse", "name.constraint",
           what="a SAN of invalid DNS syntax under a permitted subtree")
    nc_int("nc-perm-a", "critical,permitted;DNS:a.example.test")
    c.leaf("wild-a", "DNS:*.example.test", "nc-perm-a")
    c.case("nc-permitted-wildcard-too-wide", ["wild-a", "nc-perm-a"],
           ["root"], "refuse", "name.constraint", host="a.example.test",
           what="a wildcard wider than the permitted subtree")
    nc_int("nc-dot", "critical,permitted;DNS:.example.test")
    c.leaf("dot-leaf", "DNS:www.example.test", "nc-dot")
    c.case("nc-leading-period", ["dot-leaf", "nc-dot"], ["root"], "refuse",
           "name.constraint",
           what="a DNS constraint with a leading period")
    nc_int("nc-empty", "critical,DER:3000")
    c.leaf("empty-leaf", "DNS:www.example.test", "nc-empty")
    c.case("nc-empty-subtrees", ["empty-leaf", "nc-empty"], ["root"],
           "refuse", "cert.rfc5280",
           what="name constraints with neither subtree")
    c.leaf("leaf-nc", "DNS:www.example.test",
           extra=["nameConstraints=critical,permitted;DNS:example.test"])
    c.case("nc-in-leaf-critical", ["leaf-nc", "int"], ["root"], "refuse",
           "cert.rfc5280", what="name constraints in an end-entity cert")
    c.leaf("leaf-nc2", "DNS:www.example.test",
           extra=["nameConstraints=permitted;DNS:example.test"])
    c.case("nc-in-leaf-noncritical", ["leaf-nc2", "int"], ["root"], "refuse",
           "cert.rfc5280",
           what="non-critical name constraints in an end-entity cert")

    nc_int("nc-v4", "critical,permitted;IP:10.0.0.0/255.0.0.0")
    c.leaf("v4-in", "IP:10.1.2.3", "nc-v4")
    c.case("nc-ipv4-permitted", ["v4-in", "nc-v4"], ["root"], "accept",
           host="10.1.2.3", what="an IPv4 SAN in a permitted subnet")
    c.leaf("v6-under-v4", "IP:fd00::1", "nc-v4")
    c.case("nc-ipv4-permitted-ipv6-san", ["v6-under-v4", "nc-v4"], ["root"],
           "refuse", "name.constraint", host="fd00::1",
           what="an IPv6 SAN where only IPv4 subnets are permitted")
    nc_int("nc-v4x", "critical,excluded;IP:10.1.0.0/255.255.0.0")
    c.leaf("v4-out", "IP:10.1.2.3", "nc-v4x")
    c.case("nc-ipv4-excluded", ["v4-out", "nc-v4x"], ["root"], "refuse",
           "name.constraint", host="10.1.2.3",
           what="an IPv4 SAN in an excluded subnet")
    nc_int("nc-v6", "critical,permitted;IP:fd00::/ffff::")
    c.leaf("v6-in", "IP:fd00::1", "nc-v6")
    c.case("nc-ipv6-permitted", ["v6-in", "nc-v6"], ["root"], "accept",
           host="fd00::1", what="an IPv6 SAN in a permitted subnet")
    nc_int("nc-v6x", "critical,excluded;IP:fd00::/ffff:ffff::")
    c.leaf("v6-out", "IP:fd00::1", "nc-v6x")
    c.case("nc-ipv6-excluded", ["v6-out", "nc-v6x"], ["root"], "refuse",
           "name.constraint", host="fd00::1",
           what="an IPv6 SAN in an excluded subnet")
    c.ca("root-nc", "/CN=Constrained Root/O=padlock corpus", None,
         ["nameConstraints=critical,permitted;DNS:example.test"])
    c.leaf("under-root-nc", "DNS:www.other.test", "root-nc")
    c.case("nc-on-trust-anchor", ["under-root-nc"], ["root-nc"], "refuse",
           "name.constraint", host="www.other.test",
           what="the trust anchor's own name constraints")


def strict(c):
    bc_ku = "keyUsage=critical,keyCertSign,cRLSign"
    c.cert("root-nobc", "/CN=Root without BC", c.key("rnobc"), None,
           [bc_ku])
    c.leaf("l-rnobc", "DNS:www.example.test", "root-nobc")
    c.case("root-without-basic-constraints", ["l-rnobc"], ["root-nobc"],
           "refuse", "cert.rfc5280", what="a root without basicConstraints")
    c.cert("root-bcnc", "/CN=Root BC not critical", c.key("rbcnc"), None,
           ["basicConstraints=CA:TRUE", bc_ku])
    c.leaf("l-rbcnc", "DNS:www.example.test", "root-bcnc")
    c.case("root-basic-constraints-not-critical", ["l-rbcnc"], ["root-bcnc"],
           "refuse", "cert.rfc5280",
           what="a root whose basicConstraints is not critical")
    c.leaf("l-kcs", "DNS:www.example.test", base=False,
           extra=["basicConstraints=critical,CA:FALSE",
                  "keyUsage=critical,digitalSignature,keyCertSign"])
    c.case("leaf-keycertsign", ["l-kcs", "int"], ["root"], "refuse",
           "cert.rfc5280", what="a leaf with keyCertSign")
    c.leaf("l-noaki", "DNS:www.example.test",
           extra=["authorityKeyIdentifier=none"])
    c.case("leaf-without-aki", ["l-noaki", "int"], ["root"], "refuse",
           "cert.rfc5280", what="a leaf without authority key identifier")
    c.ca("int-noaki", "/CN=Int without AKI", "root",
         ["authorityKeyIdentifier=none"])
    c.leaf("l-inoaki", "DNS:www.example.test", "int-noaki")
    c.case("intermediate-without-aki", ["l-inoaki", "int-noaki"], ["root"],
           "refuse", "cert.rfc5280",
           what="an intermediate without authority key identifier")
    c.ca("int-noski", "/CN=Int without SKI", "root",
         ["subjectKeyIdentifier=none"])
    c.leaf("l-inoski", "DNS:www.example.test", "int-noski")
    c.case("intermediate-without-ski", ["l-inoski", "int-noski"], ["root"],
           "refuse", "cert.rfc5280",
           what="an intermediate without subject key identifier")
    c.ca("root-noski", "/CN=Root without SKI", None,
         ["subjectKeyIdentifier=none"])
    c.leaf("l-rnoski", "DNS:www.example.test", "root-noski",
           extra=["authorityKeyIdentifier=none"])
    c.case("root-without-ski", ["l-rnoski"], ["root-noski"], "refuse",
           "cert.rfc5280", what="a root without subject key identifier")
    c.leaf("l-empty-nc", "", subject="/",
           extra=["subjectAltName=DNS:www.example.test"])
    c.case("empty-subject-san-not-critical", ["l-empty-nc", "int"], ["root"],
           "refuse", "cert.rfc5280",
           what="an empty subject with a non-critical SAN")
    c.leaf("l-empty-c", "", subject="/",
           extra=["subjectAltName=critical,DNS:www.example.test"])
    c.case("empty-subject-san-critical", ["l-empty-c", "int"], ["root"],
           "accept", what="an empty subject with a critical SAN")
    c.leaf("l-ca", "DNS:www.example.test", base=False,
           extra=["basicConstraints=critical,CA:TRUE",
                  "keyUsage=critical,digitalSignature,keyCertSign"])
    c.case("leaf-is-ca", ["l-ca", "int"], ["root"], "refuse",
           "cert.ca-as-leaf", what="a CA:TRUE server certificate")


def webpki(c):
    c.leaf("l-cn", "DNS:www.example.test", subject="/CN=other.example.test")
    c.case("cn-not-in-san", ["l-cn", "int"], ["root"], "accept",
           warnings=["name.cn-not-in-san"],
           what="a subject CN that no SAN repeats")
    c.leaf("l-noeku", "DNS:www.example.test", eku=None)
    c.case("eku-absent", ["l-noeku", "int"], ["root"], "accept",
           what="a leaf without extended key usage")
    c.leaf("l-client", "DNS:www.example.test", eku="clientAuth")
    c.case("eku-client-only", ["l-client", "int"], ["root"], "refuse",
           "cert.no-server-auth", what="a leaf for TLS clients only")
    c.leaf("l-any", "DNS:www.example.test", eku="anyExtendedKeyUsage")
    c.case("eku-any-alone", ["l-any", "int"], ["root"], "refuse",
           "cert.no-server-auth", what="anyExtendedKeyUsage alone")
    c.ca("int-client", "/CN=Int clientAuth only", "root",
         ["extendedKeyUsage=clientAuth"])
    c.leaf("l-iclient", "DNS:www.example.test", "int-client")
    c.case("intermediate-eku-excludes-server", ["l-iclient", "int-client"],
           ["root"], "refuse", "cert.no-server-auth",
           what="an intermediate whose EKU leaves out serverAuth")
    c.ca("int-any", "/CN=Int anyEKU", "root",
         ["extendedKeyUsage=anyExtendedKeyUsage"])
    c.leaf("l-iany", "DNS:www.example.test", "int-any")
    c.case("intermediate-eku-any", ["l-iany", "int-any"], ["root"],
           "accept", what="an intermediate with anyExtendedKeyUsage")
    c.leaf("l-dsa", "DNS:www.example.test", key=c.key("dsakey", "dsa"))
    c.case("dsa-leaf", ["l-dsa", "int"], ["root"], "refuse",
           "key.unsupported", what="a DSA key")
    c.leaf("l-rsa", "DNS:www.example.test", key=c.key("rsa2052", "rsa2052"))
    c.case("rsa-modulus-not-whole-bytes", ["l-rsa", "int"], ["root"],
           "refuse", "key.unsupported", what="an RSA modulus of 2052 bits")
    c.leaf("l-psl", "DNS:*.co.uk")
    c.case("wildcard-public-suffix", ["l-psl", "int"], ["root"], "refuse",
           "name.wildcard-public-suffix", host="example.co.uk",
           what="a wildcard over a public suffix")
    c.leaf("l-us", "DNS:www_1.example.test")
    c.case("underscore-in-san", ["l-us", "int"], ["root"], "accept",
           host="www_1.example.test", warnings=["name.underscore"],
           what="an underscore in a DNS SAN")
    c.leaf("l-s0", "DNS:www.example.test", serial=0)
    c.case("serial-zero", ["l-s0", "int"], ["root"], "accept",
           warnings=["cert.serial"], what="serial number zero")
    c.leaf("l-s21", "DNS:www.example.test", serial=0x7f << 160 | 1)
    c.case("serial-21-bytes", ["l-s21", "int"], ["root"], "accept",
           warnings=["cert.serial"], what="a 21-byte serial number")
    c.leaf("l-aia", "DNS:www.example.test",
           extra=["1.3.6.1.5.5.7.1.1=DER:3003020101"])
    c.case("aia-malformed", ["l-aia", "int"], ["root"], "refuse",
           "cert.aia-malformed",
           what="authority information access that does not parse")
    c.leaf("l-aiacrit", "DNS:www.example.test",
           extra=["authorityInfoAccess=critical,caIssuers;"
                  "URI:http://ca.example.test/int.crt"])
    c.case("aia-critical", ["l-aiacrit", "int"], ["root"], "refuse",
           "cert.rfc5280", what="a critical authority information access")
    c.ca("root-rsa1024", "/CN=Root RSA 1024", key=c.key("rsa1024",
                                                         "rsa1024"))
    c.leaf("l-r1024", "DNS:www.example.test", "root-rsa1024")
    c.case("root-rsa-1024", ["l-r1024"], ["root-rsa1024"], "refuse",
           "key.weak", what="a trust anchor with an RSA 1024 key")
    c.ca("int-pc", "/CN=Int policy constraints", "root",
         ["policyConstraints=requireExplicitPolicy:5"])
    c.leaf("l-ipc", "DNS:www.example.test", "int-pc")
    c.case("policy-constraints-not-critical", ["l-ipc", "int-pc"], ["root"],
           "accept", warnings=["cert.policy-constraints"],
           what="non-critical policy constraints")


def paths(c):
    # Chain of pain: the intermediate's issuer "New Root" is trusted as a
    # self-signed root, and the server also sends an expired
    # cross-certificate of it from "Old Root".
    c.ca("oldroot", "/CN=Old Root/O=padlock corpus")
    c.ca("newroot", "/CN=New Root/O=padlock corpus")
    c.cert("cross", "/CN=New Root/O=padlock corpus", c.key("newroot"),
           "oldroot", ["basicConstraints=critical,CA:TRUE",
                       "keyUsage=critical,keyCertSign,cRLSign"], days=1)
    c.ca("int-new", "/CN=Int under New Root/O=padlock corpus", "newroot")
    c.leaf("l-new", "DNS:www.example.test", "int-new")
    at = c.not_after("cross") + 86400
    c.case("chain-of-pain", ["l-new", "int-new", "cross"],
           ["oldroot", "newroot"], "accept", at=at,
           what="an expired cross-certificate beside a valid trusted root")
    c.case("chain-of-pain-old-root-only", ["l-new", "int-new", "cross"],
           ["oldroot"], "refuse", "cert.expired", at=at,
           what="the only path goes through an expired cross-certificate")
    # Backtracking: the same intermediate (name and key) from two roots;
    # the first path sent breaks its root's name constraints.
    c.ca("rootA", "/CN=Root A/O=padlock corpus", None,
         ["nameConstraints=critical,permitted;DNS:other.test"])
    c.ca("rootB", "/CN=Root B/O=padlock corpus")
    c.ca("intA", "/CN=Shared Int/O=padlock corpus", "rootA",
         key=c.key("shared"))
    c.ca("intB", "/CN=Shared Int/O=padlock corpus", "rootB",
         key=c.key("shared"))
    c.leaf("l-shared", "DNS:www.example.test", "intA")
    c.case("backtrack-from-constrained-path", ["l-shared", "intA", "intB"],
           ["rootA", "rootB"], "accept",
           what="a refused path first, a good one second")
    c.case("no-good-path", ["l-shared", "intA"], ["rootA"], "refuse",
           "name.constraint", what="the constrained path alone")
    # A cycle: X and Y cross-sign each other; neither leads to the store.
    c.key("kx")
    c.key("ky")
    c.ca("X", "/CN=Cycle X/O=padlock corpus", key=c.key("kx"))
    c.ca("Y", "/CN=Cycle Y/O=padlock corpus", key=c.key("ky"))
    c.ca("XbyY", "/CN=Cycle X/O=padlock corpus", "Y", key=c.key("kx"))
    c.ca("YbyX", "/CN=Cycle Y/O=padlock corpus", "XbyY", key=c.key("ky"))
    c.leaf("l-cycle", "DNS:www.example.test", "XbyY")
    c.case("cross-signing-cycle", ["l-cycle", "XbyY", "YbyX"], ["root"],
           "refuse", "chain.missing-intermediate",
           what="a cycle of cross-signatures and no trusted root")
    c.case("cross-signing-cycle-trusted", ["l-cycle", "XbyY", "YbyX"],
           ["Y"], "accept", what="a cycle of cross-signatures, Y trusted")
    c.case("trusted-intermediate", ["leaf", "int"], ["int"], "accept",
           what="an intermediate of the store as the anchor")
    # Depth: a leaf, seven intermediates, a root (nine certificates).
    prev = "root"
    for i in range(7):
        c.ca("deep%d" % i, "/CN=Deep %d/O=padlock corpus" % i, prev)
        prev = "deep%d" % i
    c.leaf("l-deep", "DNS:www.example.test", prev)
    deep = ["l-deep"] + ["deep%d" % i for i in range(6, -1, -1)]
    c.case("too-deep", deep, ["root"], "refuse", "chain.too-long",
           what="nine certificates, more than the default eight")
    c.case("deep-with-max-depth", deep, ["root"], "accept", max_depth=9,
           what="nine certificates with --max-chain-depth 9")


def times(c):
    end = c.not_after("leaf")
    c.case("valid-at-not-after", ["leaf", "int"], ["root"], "accept",
           at=end, warnings=["cert.expires-soon"],
           what="valid at exactly its notAfter second")
    c.case("expired-after-not-after", ["leaf", "int"], ["root"], "refuse",
           "cert.expired", at=end + 1, what="expired a second later")


def crls(c):
    cnf = c.path("ca.cnf")
    index = c.path("index.txt")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha256\n"
                "default_crl_days=30\ncrlnumber=%s\n"
                % (index, c.path("crlnumber")))
    with open(c.path("crlnumber"), "w") as f:
        f.write("01\n")
    c.wait(c.certs["leaf"][0])
    c.wait(c.certs["int"][0])
    serial = c.openssl("x509", "-in", c.certs["leaf"][0], "-noout",
                       "-serial").strip().split("=")[1]
    with open(index, "w") as f:
        f.write("R\t300101000000Z\t250101000000Z\t%s\tunknown\t/CN=x\n"
                % serial)
    revoked = c.path("revoked.crl")
    c.openssl("ca", "-gencrl", "-config", cnf, "-keyfile",
              c.certs["int"][1], "-cert", c.certs["int"][0], "-out", revoked)
    with open(index, "w") as f:
        f.write("")
    clean = c.path("clean.crl")
    c.openssl("ca", "-gencrl", "-config", cnf, "-keyfile",
              c.certs["int"][1], "-cert", c.certs["int"][0], "-out", clean)
    c.case("crl-revoked", ["leaf", "int"], ["root"], "refuse",
           "cert.revoked", crl=revoked, what="a leaf its issuer's CRL revokes")
    c.case("crl-not-revoked", ["leaf", "int"], ["root"], "accept",
           crl=clean, what="a CRL that does not list the leaf")


def main(out):
    os.makedirs(out, exist_ok=True)
    c = Corpus(out)
    base(c)
    name_constraints(c)
    strict(c)
    webpki(c)
    paths(c)
    times(c)
    crls(c)
    c.write()
    return c


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pathcorpus.py OUTDIR")
    main(sys.argv[1])
