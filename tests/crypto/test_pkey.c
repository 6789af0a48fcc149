/* Tests src/crypto/pkey.c: every signature scheme signs and verifies,
 * a wrong signature fails with PL_ERR_DECRYPT, keys only do the schemes
 * that fit them, and the x509 bridge wraps keys. */
#include <openssl/x509.h>

#include "crypto/pkey_internal.h"
#include "padlock/crypto.h"
#include "test.h"

static pl_pkey_t *rsa2048, *rsa1024, *p256, *p384, *ed25519;

static const uint8_t msg[] = "TLS 1.3, server CertificateVerify\0...transcript hash...";

struct case_ {
	uint16_t scheme;
	pl_pkey_t **key;
};

static const struct case_ cases[] = {
	{ PL_SIG_ECDSA_SECP256R1_SHA256, &p256 },
	{ PL_SIG_ECDSA_SECP384R1_SHA384, &p384 },
	{ PL_SIG_RSA_PSS_RSAE_SHA256, &rsa2048 },
	{ PL_SIG_RSA_PSS_RSAE_SHA384, &rsa2048 },
	{ PL_SIG_RSA_PSS_RSAE_SHA512, &rsa2048 },
	{ PL_SIG_ED25519, &ed25519 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* A public-only copy of k, through DER SubjectPublicKeyInfo and the
 * bridge of pkey_internal.h (the way the x509 layer gets peer keys). */
static pl_pkey_t *public_copy(const pl_pkey_t *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(pl_pkey_evp(k), &der);
	EVP_PKEY *pub;

	if (len <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	return pl_pkey_wrap(pub);
}

static void keys_describe_themselves(void)
{
	char buf[64];

	CHECK_EQ_INT(pl_pkey_kind(rsa2048), PL_PKEY_RSA);
	CHECK_EQ_INT(pl_pkey_bits(rsa2048), 2048);
	CHECK(strcmp(pl_pkey_describe(rsa2048, buf, sizeof(buf)), "RSA 2048") == 0);
	CHECK_EQ_INT(pl_pkey_kind(p256), PL_PKEY_EC_P256);
	CHECK_EQ_INT(pl_pkey_bits(p256), 256);
	CHECK(strcmp(pl_pkey_describe(p256, buf, sizeof(buf)), "ECDSA P-256") == 0);
	CHECK_EQ_INT(pl_pkey_kind(p384), PL_PKEY_EC_P384);
	CHECK_EQ_INT(pl_pkey_bits(p384), 384);
	CHECK(strcmp(pl_pkey_describe(p384, buf, sizeof(buf)), "ECDSA P-384") == 0);
	CHECK_EQ_INT(pl_pkey_kind(ed25519), PL_PKEY_ED25519);
	CHECK_EQ_INT(pl_pkey_bits(ed25519), 256);
	CHECK(strcmp(pl_pkey_describe(ed25519, buf, sizeof(buf)), "Ed25519") == 0);
	CHECK(strcmp(pl_pkey_describe(rsa2048, buf, 4), "RSA") == 0); /* truncated */
}

static void generated_keys_are_private_and_copies_public(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		pl_pkey_t *pub = public_copy(*cases[i].key);

		CHECK(pl_pkey_is_private(*cases[i].key));
		CHECK(pub != NULL);
		if (pub == NULL)
			continue;
		CHECK(!pl_pkey_is_private(pub));
		CHECK_EQ_INT(pl_pkey_kind(pub), pl_pkey_kind(*cases[i].key));
		CHECK_EQ_INT(pl_pkey_bits(pub), pl_pkey_bits(*cases[i].key));
		pl_pkey_free(pub);
	}
}

static void every_scheme_signs_and_verifies(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		pl_pkey_t *k = *cases[i].key, *pub = public_copy(k);
		uint16_t scheme = cases[i].scheme;
		uint8_t sig[PL_SIG_MAX];
		size_t len = 0;

		CHECK_MSG(pl_pkey_supports(k, scheme), "scheme %04x", scheme);
		CHECK_MSG(pl_pkey_sign(k, scheme, msg, sizeof(msg), sig, sizeof(sig),
				       &len) == PL_OK, "scheme %04x", scheme);
		CHECK(len > 0 && len <= PL_SIG_MAX);
		CHECK_MSG(pl_pkey_verify(k, scheme, msg, sizeof(msg), sig, len) == PL_OK,
			  "scheme %04x", scheme);
		CHECK(pub != NULL);
		if (pub != NULL)
			CHECK_MSG(pl_pkey_verify(pub, scheme, msg, sizeof(msg), sig,
						 len) == PL_OK, "scheme %04x", scheme);
		/* A public key cannot sign. */
		if (pub != NULL)
			CHECK_EQ_INT(pl_pkey_sign(pub, scheme, msg, sizeof(msg), sig,
						  sizeof(sig), &len), PL_ERR_ARG);
		pl_pkey_free(pub);
	}
}

static void a_changed_signature_or_message_fails(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		pl_pkey_t *k = *cases[i].key;
		uint16_t scheme = cases[i].scheme;
		uint8_t sig[PL_SIG_MAX], other[sizeof(msg)];
		size_t len = 0;

		CHECK_EQ_INT(pl_pkey_sign(k, scheme, msg, sizeof(msg), sig,
					  sizeof(sig), &len), PL_OK);
		/* A flipped bit at the start, middle and end of the signature:
		 * for ECDSA the start is DER framing, the rest the numbers. */
		for (size_t at = 0; at < 3; at++) {
			size_t pos = at == 0 ? 0 : at == 1 ? len / 2 : len - 1;

			sig[pos] ^= 0x10;
			CHECK_MSG(pl_pkey_verify(k, scheme, msg, sizeof(msg), sig, len) ==
				  PL_ERR_DECRYPT, "scheme %04x byte %zu", scheme, pos);
			sig[pos] ^= 0x10;
		}
		CHECK_EQ_INT(pl_pkey_verify(k, scheme, msg, sizeof(msg), sig, len - 1),
			     PL_ERR_DECRYPT);
		CHECK_EQ_INT(pl_pkey_verify(k, scheme, msg, sizeof(msg), sig, 0),
			     PL_ERR_DECRYPT);
		memcpy(other, msg, sizeof(msg));
		other[3] ^= 0x01;
		CHECK_EQ_INT(pl_pkey_verify(k, scheme, other, sizeof(other), sig, len),
			     PL_ERR_DECRYPT);
		/* And the original still verifies. */
		CHECK_EQ_INT(pl_pkey_verify(k, scheme, msg, sizeof(msg), sig, len), PL_OK);
	}
}

static void another_key_of_the_same_kind_fails(void)
{
	pl_pkey_t *other = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	uint8_t sig[PL_SIG_MAX];
	size_t len = 0;

	CHECK(other != NULL);
	if (other == NULL)
		return;
	CHECK_EQ_INT(pl_pkey_sign(p256, PL_SIG_ECDSA_SECP256R1_SHA256, msg,
				  sizeof(msg), sig, sizeof(sig), &len), PL_OK);
	CHECK_EQ_INT(pl_pkey_verify(other, PL_SIG_ECDSA_SECP256R1_SHA256, msg,
				    sizeof(msg), sig, len), PL_ERR_DECRYPT);
	pl_pkey_free(other);
}

/* Randomized schemes give a different signature each time; Ed25519
 * (RFC 8032) is deterministic. */
static void signatures_are_fresh_except_ed25519(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		uint8_t a[PL_SIG_MAX], b[PL_SIG_MAX];
		size_t la = 0, lb = 0;
		bool same;

		CHECK_EQ_INT(pl_pkey_sign(*cases[i].key, cases[i].scheme, msg,
					  sizeof(msg), a, sizeof(a), &la), PL_OK);
		CHECK_EQ_INT(pl_pkey_sign(*cases[i].key, cases[i].scheme, msg,
					  sizeof(msg), b, sizeof(b), &lb), PL_OK);
		same = la == lb && memcmp(a, b, la) == 0;
		CHECK_MSG(same == (cases[i].scheme == PL_SIG_ED25519), "scheme %04x",
			  cases[i].scheme);
	}
}

static void keys_support_only_their_schemes(void)
{
	static const uint16_t all[] = {
		PL_SIG_RSA_PKCS1_SHA256, PL_SIG_RSA_PKCS1_SHA384,
		PL_SIG_RSA_PKCS1_SHA512, PL_SIG_ECDSA_SECP256R1_SHA256,
		PL_SIG_ECDSA_SECP384R1_SHA384, PL_SIG_ECDSA_SECP521R1_SHA512,
		PL_SIG_RSA_PSS_RSAE_SHA256, PL_SIG_RSA_PSS_RSAE_SHA384,
		PL_SIG_RSA_PSS_RSAE_SHA512, PL_SIG_ED25519,
		PL_SIG_RSA_PSS_PSS_SHA256, PL_SIG_RSA_PSS_PSS_SHA384,
		PL_SIG_RSA_PSS_PSS_SHA512, 0x0201 /* rsa_pkcs1_sha1 */, 0x0808,
	};
	struct {
		pl_pkey_t **key;
		uint16_t yes[6];
	} expect[] = {
		{ &rsa2048, { 0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806 } },
		{ &p256, { 0x0403 } },
		{ &p384, { 0x0503 } },
		{ &ed25519, { 0x0807 } },
		/* RFC 8017 9.1.1: PSS-SHA512 with a 64-byte salt needs more
		 * than 1024 bits. */
		{ &rsa1024, { 0x0401, 0x0501, 0x0601, 0x0804, 0x0805 } },
	};

	for (size_t e = 0; e < sizeof(expect) / sizeof(expect[0]); e++) {
		for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++) {
			bool want = false;

			for (size_t y = 0; y < 6; y++)
				want |= expect[e].yes[y] == all[s];
			CHECK_MSG(pl_pkey_supports(*expect[e].key, all[s]) == want,
				  "key %zu scheme %04x", e, all[s]);
		}
	}
}

static void unsupported_schemes_are_refused(void)
{
	uint8_t sig[PL_SIG_MAX];
	size_t len = 0;

	/* RFC 8446 4.2.3: PKCS#1 v1.5 never signs handshake messages. */
	CHECK_EQ_INT(pl_pkey_sign(rsa2048, PL_SIG_RSA_PKCS1_SHA256, msg, sizeof(msg),
				  sig, sizeof(sig), &len), PL_ERR_UNSUPPORTED);
	CHECK_EQ_INT(pl_pkey_sign(p256, PL_SIG_ECDSA_SECP384R1_SHA384, msg, sizeof(msg),
				  sig, sizeof(sig), &len), PL_ERR_UNSUPPORTED);
	CHECK_EQ_INT(pl_pkey_sign(p256, PL_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg),
				  sig, sizeof(sig), &len), PL_ERR_UNSUPPORTED);
	CHECK_EQ_INT(pl_pkey_sign(rsa1024, PL_SIG_RSA_PSS_RSAE_SHA512, msg,
				  sizeof(msg), sig, sizeof(sig), &len), PL_ERR_UNSUPPORTED);
	CHECK_EQ_INT(pl_pkey_verify(ed25519, PL_SIG_ECDSA_SECP256R1_SHA256, msg,
				    sizeof(msg), sig, 64), PL_ERR_UNSUPPORTED);
	CHECK_EQ_INT(pl_pkey_verify(rsa2048, 0x0201, msg, sizeof(msg), sig, 256),
		     PL_ERR_UNSUPPORTED);
	/* Too small an output buffer. */
	CHECK_EQ_INT(pl_pkey_sign(rsa2048, PL_SIG_RSA_PSS_RSAE_SHA256, msg,
				  sizeof(msg), sig, 255, &len), PL_ERR_ARG);
}

/* RSA signs with a 1024-bit key too, for the schemes that fit it. */
static void small_rsa_key_signs_pss_sha384(void)
{
	uint8_t sig[PL_SIG_MAX];
	size_t len = 0;

	CHECK_EQ_INT(pl_pkey_sign(rsa1024, PL_SIG_RSA_PSS_RSAE_SHA384, msg,
				  sizeof(msg), sig, sizeof(sig), &len), PL_OK);
	CHECK_EQ_INT(len, 128);
	CHECK_EQ_INT(pl_pkey_verify(rsa1024, PL_SIG_RSA_PSS_RSAE_SHA384, msg,
				    sizeof(msg), sig, len), PL_OK);
	/* The same bytes are not a PSS-SHA256 signature. */
	CHECK_EQ_INT(pl_pkey_verify(rsa1024, PL_SIG_RSA_PSS_RSAE_SHA256, msg,
				    sizeof(msg), sig, len), PL_ERR_DECRYPT);
}

static void references_keep_the_key_alive(void)
{
	pl_pkey_t *k = pl_pkey_generate(PL_PKEY_ED25519, 0), *again;
	uint8_t sig[PL_SIG_MAX];
	size_t len = 0;

	CHECK(k != NULL);
	if (k == NULL)
		return;
	again = pl_pkey_ref(k);
	CHECK(again == k);
	pl_pkey_free(k);
	CHECK_EQ_INT(pl_pkey_sign(again, PL_SIG_ED25519, msg, sizeof(msg), sig,
				  sizeof(sig), &len), PL_OK);
	CHECK_EQ_INT(len, 64);
	pl_pkey_free(again); /* the last reference: ASan reports a leak otherwise */
	pl_pkey_free(NULL);
	CHECK(pl_pkey_ref(NULL) == NULL);
}

static void wrap_takes_ownership_and_refuses_null(void)
{
	EVP_PKEY *raw = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	pl_pkey_t *k = pl_pkey_wrap(raw);
	char buf[32];

	CHECK(pl_pkey_wrap(NULL) == NULL);
	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK(pl_pkey_evp(k) == raw);
	/* A key padlock does not sign with is "other" and supports nothing. */
	CHECK_EQ_INT(pl_pkey_kind(k), PL_PKEY_OTHER);
	CHECK(!pl_pkey_supports(k, PL_SIG_ED25519));
	CHECK(strcmp(pl_pkey_describe(k, buf, sizeof(buf)), "X25519 253") == 0);
	pl_pkey_free(k);
}

static void generate_refuses_unknown_kinds(void)
{
	CHECK(pl_pkey_generate(PL_PKEY_OTHER, 0) == NULL);
	CHECK(pl_pkey_generate((pl_pkey_kind_t)42, 0) == NULL);
}

int main(void)
{
	rsa2048 = pl_pkey_generate(PL_PKEY_RSA, 2048);
	rsa1024 = pl_pkey_generate(PL_PKEY_RSA, 1024);
	p256 = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	p384 = pl_pkey_generate(PL_PKEY_EC_P384, 0);
	ed25519 = pl_pkey_generate(PL_PKEY_ED25519, 0);
	CHECK(rsa2048 && rsa1024 && p256 && p384 && ed25519);
	if (!(rsa2048 && rsa1024 && p256 && p384 && ed25519))
		return test_finish();

	RUN(keys_describe_themselves);
	RUN(generated_keys_are_private_and_copies_public);
	RUN(every_scheme_signs_and_verifies);
	RUN(a_changed_signature_or_message_fails);
	RUN(another_key_of_the_same_kind_fails);
	RUN(signatures_are_fresh_except_ed25519);
	RUN(keys_support_only_their_schemes);
	RUN(unsupported_schemes_are_refused);
	RUN(small_rsa_key_signs_pss_sha384);
	RUN(references_keep_the_key_alive);
	RUN(wrap_takes_ownership_and_refuses_null);
	RUN(generate_refuses_unknown_kinds);

	pl_pkey_free(rsa2048);
	pl_pkey_free(rsa1024);
	pl_pkey_free(p256);
	pl_pkey_free(p384);
	pl_pkey_free(ed25519);
	return test_finish();
}
