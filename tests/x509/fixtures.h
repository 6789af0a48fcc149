/*
 * Certificates and keys for the x509 tests, made at test time with the
 * openssl command in a fresh temporary directory that is removed at exit.
 *
 * The PKI: "Padlock Test Root" (P-256) signs "Padlock Test Intermediate"
 * (P-256, pathlen 0), which signs the leaves. Files, by name:
 *   root.pem int.pem             the CAs (and root.key, int.key)
 *   leaf.pem leaf.key            P-256, SAN localhost 127.0.0.1 ::1, serverAuth
 *   leaf_trad.key                the same key as "BEGIN EC PRIVATE KEY"
 *   fullchain.pem                leaf.pem + int.pem
 *   leaf.der                     leaf.pem as DER
 *   rsa, p384, ed25519           leaves with those keys (NAME.pem, NAME.key,
 *                                NAME_chain.pem); rsa_trad.key is
 *                                "BEGIN RSA PRIVATE KEY"
 *   wild_chain.pem               SAN *.example.test
 *   multi_chain.pem              SAN a.example, b.example
 *   cnonly_chain.pem             CN=cnonly.example.test, no SAN
 *   client_chain.pem             extendedKeyUsage clientAuth only
 *   weak_chain.pem               RSA 1024
 *   sha1_chain.pem               leaf signed with ECDSA over SHA-1
 *   notca_chain.pem              a leaf signed by leaf.pem (not a CA)
 *   expired_chain.pem            valid 2020-01-01 .. 2020-02-01
 *   notyet_chain.pem             valid 2099-01-01 .. 2099-12-31
 *   oldint_chain.pem             leaf under an intermediate that expired
 *                                2020-02-01
 *   self.pem self.key            self-signed leaf, SAN selfsigned.test
 *   rootchain.pem                leaf, root, int (out of order, with root)
 *   other.key                    a P-256 key no certificate has
 *   p521.key                     a P-521 key
 *   enc.key enc_trad.key         encrypted keys (PKCS#8, traditional)
 *   combo.pem                    leaf.pem followed by leaf.key
 *   garbage.txt badblock.pem     not PEM; a CERTIFICATE block of junk
 *   badkey.pem                   a PRIVATE KEY block of junk
 *   cadir/                       root.pem in a hashed CA directory
 */
#ifndef PADLOCK_TEST_X509_FIXTURES_H
#define PADLOCK_TEST_X509_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fx_script[] =
	"set -e\n"
	"cat > openssl.cnf <<'EOF'\n"
	"[req]\n"
	"distinguished_name = dn\n"
	"prompt = no\n"
	"[dn]\n"
	"CN = unused\n"
	"[ca]\n"
	"default_ca = testca\n"
	"[testca]\n"
	"database = index.txt\n"
	"new_certs_dir = .\n"
	"serial = serial\n"
	"default_md = sha256\n"
	"policy = anything\n"
	"unique_subject = no\n"
	"[anything]\n"
	"organizationName = optional\n"
	"commonName = supplied\n"
	"[root]\n"
	"basicConstraints = critical, CA:TRUE\n"
	"keyUsage = critical, keyCertSign, cRLSign\n"
	"subjectKeyIdentifier = hash\n"
	"[int]\n"
	"basicConstraints = critical, CA:TRUE, pathlen:0\n"
	"keyUsage = critical, keyCertSign, cRLSign\n"
	"subjectKeyIdentifier = hash\n"
	"authorityKeyIdentifier = keyid\n"
	"[leaf]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"keyUsage = critical, digitalSignature, keyEncipherment\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n"
	"[wild]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = DNS:*.example.test\n"
	"[multi]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = DNS:a.example, DNS:b.example\n"
	"[cnonly]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"extendedKeyUsage = serverAuth\n"
	"[client]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"extendedKeyUsage = clientAuth\n"
	"subjectAltName = DNS:localhost\n"
	"[self]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"keyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = DNS:selfsigned.test\n"
	"EOF\n"
	"touch index.txt\n"
	"echo 1000 > serial\n"
	"key() {\n"
	"  case $2 in\n"
	"  rsa*) openssl genpkey -algorithm RSA"
	" -pkeyopt rsa_keygen_bits:${2#rsa} -out $1.key ;;\n"
	"  ed25519) openssl genpkey -algorithm ED25519 -out $1.key ;;\n"
	"  *) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$2"
	" -out $1.key ;;\n"
	"  esac\n"
	"}\n"
	"csr() { openssl req -new -config openssl.cnf -key $1.key -subj \"$2\""
	" -out $1.csr; }\n"
	/* leaf NAME KEYTYPE SUBJECT EXTENSIONS [CA]: signed by CA (int). */
	"leaf() {\n"
	"  key $1 $2\n"
	"  csr $1 \"$3\"\n"
	"  ca=${5:-int}\n"
	"  openssl x509 -req -in $1.csr -CA $ca.pem -CAkey $ca.key -days 825"
	" -extfile openssl.cnf -extensions $4 -out $1.pem\n"
	"  cat $1.pem int.pem > $1_chain.pem\n"
	"}\n"
	/* dated NAME SUBJECT EXTENSIONS CA START END: made by `openssl ca`,
	 * the one command that sets any validity period. */
	"dated() {\n"
	"  key $1 P-256\n"
	"  csr $1 \"$2\"\n"
	"  openssl ca -batch -notext -preserveDN -config openssl.cnf"
	" -cert $4.pem -keyfile $4.key -in $1.csr -out $1.pem"
	" -extensions $3 -startdate $5 -enddate $6\n"
	"}\n"
	"key root P-256\n"
	"openssl req -x509 -new -config openssl.cnf -key root.key"
	" -subj '/O=Padlock Tests/CN=Padlock Test Root' -days 3650"
	" -extensions root -out root.pem\n"
	"key int P-256\n"
	"csr int '/O=Padlock Tests/CN=Padlock Test Intermediate'\n"
	"openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -days 3650"
	" -extfile openssl.cnf -extensions int -out int.pem\n"
	"leaf leaf P-256 /CN=localhost leaf\n"
	"cp leaf_chain.pem fullchain.pem\n"
	"openssl x509 -in leaf.pem -outform DER -out leaf.der\n"
	"openssl pkey -in leaf.key -traditional -out leaf_trad.key\n"
	"leaf rsa rsa2048 /CN=localhost leaf\n"
	"openssl pkey -in rsa.key -traditional -out rsa_trad.key\n"
	"leaf p384 P-384 /CN=localhost leaf\n"
	"leaf ed25519 ed25519 /CN=localhost leaf\n"
	"leaf wild P-256 /CN=wild.example.test wild\n"
	"leaf multi P-256 /CN=a.example multi\n"
	"leaf cnonly P-256 /CN=cnonly.example.test cnonly\n"
	"leaf client P-256 /CN=localhost client\n"
	"leaf weak rsa1024 /CN=localhost leaf\n"
	"key sha1 P-256\n"
	"csr sha1 /CN=localhost\n"
	"openssl x509 -req -in sha1.csr -CA int.pem -CAkey int.key -days 825"
	" -sha1 -extfile openssl.cnf -extensions leaf -out sha1.pem\n"
	"cat sha1.pem int.pem > sha1_chain.pem\n"
	"leaf notca P-256 /CN=notca.example.test leaf leaf\n"
	"cat notca.pem leaf.pem int.pem > notca_chain.pem\n"
	"dated expired /CN=localhost leaf int 20200101000000Z 20200201000000Z\n"
	"cat expired.pem int.pem > expired_chain.pem\n"
	"dated notyet /CN=localhost leaf int 20990101000000Z 20991231000000Z\n"
	"cat notyet.pem int.pem > notyet_chain.pem\n"
	"dated oldint '/O=Padlock Tests/CN=Padlock Old Intermediate' int root"
	" 20200101000000Z 20200201000000Z\n"
	"leaf underold P-256 /CN=localhost leaf oldint\n"
	"cat underold.pem oldint.pem > oldint_chain.pem\n"
	"key self P-256\n"
	"openssl req -x509 -new -config openssl.cnf -key self.key"
	" -subj /CN=selfsigned.test -days 825 -extensions self -out self.pem\n"
	"cat leaf.pem root.pem int.pem > rootchain.pem\n"
	"key other P-256\n"
	"key p521 P-521\n"
	"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
	" -aes256 -pass pass:x -out enc.key\n"
	"openssl ec -in leaf.key -aes256 -passout pass:x -out enc_trad.key\n"
	"cat leaf.pem leaf.key > combo.pem\n"
	"echo 'this is not a certificate' > garbage.txt\n"
	"printf -- '-----BEGIN CERTIFICATE-----\\nnot*base64\\n"
	"-----END CERTIFICATE-----\\n' > badblock.pem\n"
	"printf -- '-----BEGIN PRIVATE KEY-----\\nAAAA\\n"
	"-----END PRIVATE KEY-----\\n' > badkey.pem\n"
	"mkdir cadir\n"
	"cp root.pem cadir/\n"
	"openssl rehash cadir\n";

static char fx_dir[64];

/* The path of fixture file name; eight results stay valid at a time. */
static const char *fx(const char *name)
{
	static char paths[8][160];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", fx_dir, name);
	return p;
}

static void fx_teardown(void)
{
	char cmd[128];

	if (fx_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx_dir);
	fx_dir[0] = '\0';
}

/* Makes every fixture; exits the test (failing) when openssl cannot. */
static void fx_setup(void)
{
	char cmd[256];
	FILE *f;

	snprintf(fx_dir, sizeof(fx_dir), "/tmp/padlock-x509-XXXXXX");
	if (mkdtemp(fx_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(fx_teardown);
	f = fopen(fx("make.sh"), "w");
	if (f == NULL || fputs(fx_script, f) == EOF || fclose(f) != 0) {
		perror("make.sh");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && sh make.sh > make.log 2>&1",
		 fx_dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/make.log' >&2", fx_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no log\n");
		fprintf(stderr, "making the test certificates failed\n");
		exit(1);
	}
}

/* Reads a whole fixture file; *len gets its size. Exits when it cannot. */
static inline unsigned char *fx_read(const char *name, size_t *len)
{
	unsigned char *buf = NULL;
	long n;
	FILE *f = fopen(fx(name), "rb");

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read fixture %s\n", name);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
