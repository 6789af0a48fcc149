/*
 * Cross-checks src/crypto against a peer no one here wrote: the openssl
 * command-line tool. Signatures go both ways (we sign, openssl verifies;
 * openssl signs, we verify) and key exchange too (each side derives from
 * the other's public key). Files live in a fresh mkdtemp directory that
 * is removed at the end, also after failures.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "crypto/pkey_internal.h"
#include "padlock/crypto.h"
#include "test.h"

static char dir[64];
static pl_pkey_t *keys[PL_PKEY_ED25519 + 1]; /* by kind */
static const uint8_t msg[] = "CertificateVerify content: 64 spaces, context string, hash";

/* dir/name. */
static const char *path(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static bool write_file(const char *name, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static size_t read_file(const char *name, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path(name), "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}

/* Runs an openssl command in dir; true when it exits 0. Its output goes to
 * dir/out.txt, shown when it fails and expect_ok is set. */
__attribute__((format(printf, 2, 3)))
static bool openssl(bool expect_ok, const char *fmt, ...)
{
	char args[1024], cmd[1400];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd '%s' && openssl %s >out.txt 2>&1", dir, args);
	rc = system(cmd);
	if (rc != 0 && expect_ok) {
		char text[2048];
		size_t n = read_file("out.txt", (uint8_t *)text, sizeof(text) - 1);

		text[n] = '\0';
		fprintf(stderr, "command failed: %s\n%s", cmd, text);
	}
	return rc == 0;
}

static bool write_keys(const pl_pkey_t *k)
{
	FILE *f = fopen(path("priv.pem"), "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = PEM_write_PrivateKey(f, pl_pkey_evp(k), NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(f) == 0 && ok;
	f = fopen(path("pub.pem"), "w");
	if (f == NULL)
		return false;
	ok = PEM_write_PUBKEY(f, pl_pkey_evp(k)) == 1 && ok;
	return fclose(f) == 0 && ok;
}

/* pub.pem read back as a public-only key, as a peer's key arrives. */
static pl_pkey_t *read_public(void)
{
	FILE *f = fopen(path("pub.pem"), "r");
	EVP_PKEY *pub;

	if (f == NULL)
		return NULL;
	pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	return pl_pkey_wrap(pub);
}

struct sig_case {
	uint16_t scheme;
	pl_pkey_kind_t kind;
	const char *digest; /* NULL: Ed25519, which signs the message itself */
	bool pss;
};

static const struct sig_case sig_cases[] = {
	{ PL_SIG_ECDSA_SECP256R1_SHA256, PL_PKEY_EC_P256, "sha256", false },
	{ PL_SIG_ECDSA_SECP384R1_SHA384, PL_PKEY_EC_P384, "sha384", false },
	{ PL_SIG_RSA_PSS_RSAE_SHA256, PL_PKEY_RSA, "sha256", true },
	{ PL_SIG_RSA_PSS_RSAE_SHA384, PL_PKEY_RSA, "sha384", true },
	{ PL_SIG_RSA_PSS_RSAE_SHA512, PL_PKEY_RSA, "sha512", true },
	{ PL_SIG_ED25519, PL_PKEY_ED25519, NULL, false },
};

/* The openssl options for a scheme's padding: PSS with MGF1 over the same
 * hash and a hash-length salt (RFC 8446 4.2.3). */
static const char *pss_opts(const struct sig_case *c, char *buf, size_t cap)
{
	if (!c->pss)
		return "";
	snprintf(buf, cap, "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest "
		 "-sigopt rsa_mgf1_md:%s", c->digest);
	return buf;
}

static void openssl_verifies_our_signatures(void)
{
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		const struct sig_case *c = &sig_cases[i];
		uint8_t sig[PL_SIG_MAX];
		size_t len = 0;
		char opts[160];
		bool ok;

		CHECK(write_keys(keys[c->kind]));
		CHECK_EQ_INT(pl_pkey_sign(keys[c->kind], c->scheme, msg, sizeof(msg),
					  sig, sizeof(sig), &len), PL_OK);
		CHECK(write_file("sig.bin", sig, len));
		if (c->digest != NULL)
			ok = openssl(true, "dgst -%s -verify pub.pem %s -signature sig.bin msg.bin",
				     c->digest, pss_opts(c, opts, sizeof(opts)));
		else
			ok = openssl(true, "pkeyutl -verify -pubin -inkey pub.pem -rawin "
				     "-in msg.bin -sigfile sig.bin");
		CHECK_MSG(ok, "openssl rejects our scheme %04x signature", c->scheme);

		/* The check has teeth: a flipped bit makes openssl refuse too. */
		sig[len / 2] ^= 0x04;
		CHECK(write_file("sig.bin", sig, len));
		if (c->digest != NULL)
			ok = openssl(false, "dgst -%s -verify pub.pem %s -signature sig.bin msg.bin",
				     c->digest, pss_opts(c, opts, sizeof(opts)));
		else
			ok = openssl(false, "pkeyutl -verify -pubin -inkey pub.pem -rawin "
				     "-in msg.bin -sigfile sig.bin");
		CHECK_MSG(!ok, "openssl accepts a corrupted scheme %04x signature",
			  c->scheme);
	}
}

static void we_verify_openssl_signatures(void)
{
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		const struct sig_case *c = &sig_cases[i];
		uint8_t sig[PL_SIG_MAX + 1];
		pl_pkey_t *pub;
		size_t len;
		char opts[160];
		bool ok;

		CHECK(write_keys(keys[c->kind]));
		if (c->digest != NULL)
			ok = openssl(true, "dgst -%s -sign priv.pem %s -out sig.bin msg.bin",
				     c->digest, pss_opts(c, opts, sizeof(opts)));
		else
			ok = openssl(true, "pkeyutl -sign -inkey priv.pem -rawin -in msg.bin "
				     "-out sig.bin");
		CHECK(ok);
		len = read_file("sig.bin", sig, sizeof(sig));
		pub = read_public();
		CHECK(pub != NULL && len > 0 && len <= PL_SIG_MAX);
		if (pub == NULL)
			continue;
		CHECK_MSG(pl_pkey_verify(pub, c->scheme, msg, sizeof(msg), sig, len) ==
			  PL_OK, "we reject openssl's scheme %04x signature", c->scheme);
		sig[len - 1] ^= 0x01;
		CHECK_EQ_INT(pl_pkey_verify(pub, c->scheme, msg, sizeof(msg), sig, len),
			     PL_ERR_DECRYPT);
		pl_pkey_free(pub);
	}
}

/* rsa_pkcs1_* verifies (certificates use it) and RSA-PSS is strict about
 * the salt length: RFC 8446 4.2.3 requires it to equal the hash length. */
static void rsa_pkcs1_verifies_and_pss_salt_is_strict(void)
{
	pl_pkey_t *rsa = keys[PL_PKEY_RSA];
	uint8_t sig[PL_SIG_MAX];
	pl_pkey_t *pub;
	size_t len;

	CHECK(write_keys(rsa));
	pub = read_public();
	CHECK(pub != NULL);
	if (pub == NULL)
		return;
	CHECK(openssl(true, "dgst -sha384 -sign priv.pem -out sig.bin msg.bin"));
	len = read_file("sig.bin", sig, sizeof(sig));
	CHECK_EQ_INT(pl_pkey_verify(pub, PL_SIG_RSA_PKCS1_SHA384, msg, sizeof(msg),
				    sig, len), PL_OK);
	CHECK_EQ_INT(pl_pkey_verify(pub, PL_SIG_RSA_PKCS1_SHA256, msg, sizeof(msg),
				    sig, len), PL_ERR_DECRYPT);
	CHECK_EQ_INT(pl_pkey_verify(pub, PL_SIG_RSA_PSS_RSAE_SHA384, msg, sizeof(msg),
				    sig, len), PL_ERR_DECRYPT);

	CHECK(openssl(true, "dgst -sha256 -sign priv.pem -sigopt rsa_padding_mode:pss "
		      "-sigopt rsa_pss_saltlen:max -out sig.bin msg.bin"));
	len = read_file("sig.bin", sig, sizeof(sig));
	CHECK_EQ_INT(pl_pkey_verify(pub, PL_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg),
				    sig, len), PL_ERR_DECRYPT);
	pl_pkey_free(pub);
}

struct kex_case {
	uint16_t group;
	const char *genpkey; /* openssl genpkey arguments */
	const char *spki_prefix; /* DER SubjectPublicKeyInfo up to the key */
};

static const struct kex_case kex_cases[] = {
	{ PL_GROUP_X25519, "-algorithm X25519", "302a300506032b656e032100" },
	{ PL_GROUP_SECP256R1, "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
	  "3059301306072a8648ce3d020106082a8648ce3d030107034200" },
	{ PL_GROUP_SECP384R1, "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
	  "3076301006072a8648ce3d020106052b81040022036200" },
	{ PL_GROUP_SECP521R1, "-algorithm EC -pkeyopt ec_paramgen_curve:P-521",
	  "30819b301006072a8648ce3d020106052b8104002303818600" },
	{ PL_GROUP_X448, "-algorithm X448", "3042300506032b656f033900" },
};

/* openssl makes a key pair and derives with our public key; we derive with
 * its public key; the secrets match. */
static void key_exchange_agrees_with_openssl(void)
{
	for (size_t i = 0; i < sizeof(kex_cases) / sizeof(kex_cases[0]); i++) {
		const struct kex_case *c = &kex_cases[i];
		uint8_t prefix[32], der[256], ours[PL_KEX_PUBLIC_MAX];
		uint8_t theirs_secret[PL_KEX_SECRET_MAX + 1], secret[PL_KEX_SECRET_MAX];
		size_t prefix_len = test_unhex(c->spki_prefix, prefix, sizeof(prefix));
		size_t ours_len = 0, der_len, secret_len = 0, theirs_len;
		pl_kex_t *k = pl_kex_new(c->group);

		CHECK(k != NULL);
		if (k == NULL)
			continue;
		CHECK_EQ_INT(pl_kex_public(k, ours, sizeof(ours), &ours_len), PL_OK);
		memcpy(der, prefix, prefix_len);
		memcpy(der + prefix_len, ours, ours_len);
		CHECK(write_file("ours.der", der, prefix_len + ours_len));
		CHECK(openssl(true, "genpkey %s -out peer.pem", c->genpkey));
		CHECK(openssl(true, "pkey -in peer.pem -pubout -outform DER -out peer.der"));
		CHECK(openssl(true, "pkeyutl -derive -inkey peer.pem -peerkey ours.der "
			      "-peerform DER -out secret.bin"));
		der_len = read_file("peer.der", der, sizeof(der));
		CHECK(der_len == prefix_len + ours_len &&
		      memcmp(der, prefix, prefix_len) == 0);
		CHECK_EQ_INT(pl_kex_derive(k, der + prefix_len, der_len - prefix_len,
					   secret, sizeof(secret), &secret_len), PL_OK);
		theirs_len = read_file("secret.bin", theirs_secret, sizeof(theirs_secret));
		CHECK_EQ_INT(theirs_len, secret_len);
		CHECK_MSG(memcmp(theirs_secret, secret, secret_len) == 0,
			  "group %04x secrets differ", c->group);
		pl_kex_free(k);
	}
}

int main(void)
{
	bool have_keys = true;
	char cmd[128];

	strcpy(dir, "/tmp/padlock-crypto-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK(write_file("msg.bin", msg, sizeof(msg)));
	CHECK_MSG(openssl(true, "version"), "the openssl tool is a test dependency");
	for (int kind = PL_PKEY_RSA; kind <= PL_PKEY_ED25519; kind++) {
		keys[kind] = pl_pkey_generate(kind, 2048);
		have_keys &= keys[kind] != NULL;
	}
	CHECK(have_keys);
	if (have_keys) {
		RUN(openssl_verifies_our_signatures);
		RUN(we_verify_openssl_signatures);
		RUN(rsa_pkcs1_verifies_and_pss_salt_is_strict);
	}
	RUN(key_exchange_agrees_with_openssl);

	for (int kind = PL_PKEY_RSA; kind <= PL_PKEY_ED25519; kind++)
		pl_pkey_free(keys[kind]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_finish();
}
