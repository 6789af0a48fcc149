/*
 * Signature keys: the TLS signature schemes of RFC 8446 4.2.3 over RSA,
 * ECDSA (P-256, P-384) and Ed25519 keys, plus the bridge to the x509
 * layer (pkey_internal.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "crypto/crypto_internal.h"
#include "crypto/pkey_internal.h"

/* Immutable once wrapped, apart from the reference count: a key (say the
 * one in a server config) may be used by many threads at once. */
struct pl_pkey {
	atomic_int refs;
	EVP_PKEY *pkey;
	pl_pkey_kind_t kind;
	int bits;
	bool is_private;
	/* ECDSA private keys: a context made ready, once, to sign digests of
	 * the curve's hash. Each signature uses a duplicate of it, which
	 * skips the context set-up (a key-manager lookup by name in
	 * libcrypto 3.0) that costs a tenth of a P-256 signature. Duplicating
	 * only reads the template, so threads may share it. NULL otherwise,
	 * or when it could not be made (signing then takes the general path). */
	EVP_PKEY_CTX *ecdsa_signer;
};

/* What a signature scheme needs. */
struct scheme_info {
	uint16_t scheme;
	pl_pkey_kind_t kind;
	int hash_bits; /* 256, 384, 512; 0: the scheme hashes by itself */
	bool pss;      /* RSASSA-PSS; otherwise RSASSA-PKCS1-v1_5 for RSA */
	bool can_sign; /* RFC 8446 4.2.3: pkcs1 only for certificates */
};

static const struct scheme_info schemes[] = {
	{ PL_SIG_ECDSA_SECP256R1_SHA256, PL_PKEY_EC_P256, 256, false, true },
	{ PL_SIG_ECDSA_SECP384R1_SHA384, PL_PKEY_EC_P384, 384, false, true },
	{ PL_SIG_RSA_PSS_RSAE_SHA256, PL_PKEY_RSA, 256, true, true },
	{ PL_SIG_RSA_PSS_RSAE_SHA384, PL_PKEY_RSA, 384, true, true },
	{ PL_SIG_RSA_PSS_RSAE_SHA512, PL_PKEY_RSA, 512, true, true },
	{ PL_SIG_ED25519, PL_PKEY_ED25519, 0, false, true },
	{ PL_SIG_RSA_PKCS1_SHA256, PL_PKEY_RSA, 256, false, false },
	{ PL_SIG_RSA_PKCS1_SHA384, PL_PKEY_RSA, 384, false, false },
	{ PL_SIG_RSA_PKCS1_SHA512, PL_PKEY_RSA, 512, false, false },
};

static const struct scheme_info *scheme_info(uint16_t scheme)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].scheme == scheme)
			return &schemes[i];
	return NULL;
}

static const EVP_MD *scheme_md(const struct pl_crypto_algs *a,
			       const struct scheme_info *s)
{
	switch (s->hash_bits) {
	case 256: return a->sha256;
	case 384: return a->sha384;
	case 512: return a->sha512;
	default: return NULL;
	}
}

static pl_pkey_kind_t kind_of(EVP_PKEY *pkey)
{
	char group[64];
	size_t group_len;

	/* An "RSA-PSS" key (restricted to PSS by its OID) is not "RSA". */
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return PL_PKEY_RSA;
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return PL_PKEY_ED25519;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return PL_PKEY_OTHER;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group),
					   &group_len) != 1)
		return PL_PKEY_OTHER;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return PL_PKEY_EC_P256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return PL_PKEY_EC_P384;
	return PL_PKEY_OTHER;
}

/* True when pkey holds a private part (libcrypto 3.0 has no direct way to
 * ask, so ask for the private parameter of each kind). */
static bool has_private(EVP_PKEY *pkey, pl_pkey_kind_t kind)
{
	BIGNUM *bn = NULL;
	size_t len = 0;
	bool found = false;

	switch (kind) {
	case PL_PKEY_RSA:
		found = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D,
					      &bn) == 1;
		break;
	case PL_PKEY_EC_P256:
	case PL_PKEY_EC_P384:
		found = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY,
					      &bn) == 1;
		break;
	case PL_PKEY_ED25519:
		found = EVP_PKEY_get_raw_private_key(pkey, NULL, &len) == 1 &&
			len > 0;
		break;
	default:
		break;
	}
	BN_clear_free(bn);
	ERR_clear_error();
	return found;
}

/* The ECDSA signing template of struct pl_pkey, or NULL. RFC 8446 4.2.3
 * pairs each curve with one hash: P-256 with SHA-256, P-384 with SHA-384. */
static EVP_PKEY_CTX *new_ecdsa_signer(EVP_PKEY *pkey, pl_pkey_kind_t kind)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();
	EVP_PKEY_CTX *ctx;

	if (a == NULL || (kind != PL_PKEY_EC_P256 && kind != PL_PKEY_EC_P384))
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(
		    ctx, kind == PL_PKEY_EC_P256 ? a->sha256 : a->sha384) != 1) {
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

pl_pkey_t *pl_pkey_wrap(EVP_PKEY *pkey)
{
	pl_pkey_t *k;

	if (pkey == NULL)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	atomic_init(&k->refs, 1);
	k->pkey = pkey;
	k->kind = kind_of(pkey);
	k->bits = EVP_PKEY_get_bits(pkey);
	k->is_private = has_private(pkey, k->kind);
	if (k->is_private)
		k->ecdsa_signer = new_ecdsa_signer(pkey, k->kind);
	ERR_clear_error();
	return k;
}

EVP_PKEY *pl_pkey_evp(const pl_pkey_t *k)
{
	return k->pkey;
}

pl_pkey_t *pl_pkey_ref(pl_pkey_t *k)
{
	if (k != NULL)
		atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

void pl_pkey_free(pl_pkey_t *k)
{
	if (k == NULL)
		return;
	/* acq_rel: every use by other holders happens before the free. */
	if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* libcrypto wipes private key material when the key is freed. */
	EVP_PKEY_CTX_free(k->ecdsa_signer);
	EVP_PKEY_free(k->pkey);
	free(k);
}

pl_pkey_kind_t pl_pkey_kind(const pl_pkey_t *k)
{
	return k->kind;
}

int pl_pkey_bits(const pl_pkey_t *k)
{
	return k->bits;
}

bool pl_pkey_is_private(const pl_pkey_t *k)
{
	return k->is_private;
}

const char *pl_pkey_describe(const pl_pkey_t *k, char *buf, size_t cap)
{
	if (cap == 0)
		return buf;
	switch (k->kind) {
	case PL_PKEY_RSA: snprintf(buf, cap, "RSA %d", k->bits); break;
	case PL_PKEY_EC_P256: snprintf(buf, cap, "ECDSA P-256"); break;
	case PL_PKEY_EC_P384: snprintf(buf, cap, "ECDSA P-384"); break;
	case PL_PKEY_ED25519: snprintf(buf, cap, "Ed25519"); break;
	default: {
		const char *name = EVP_PKEY_get0_type_name(k->pkey);

		snprintf(buf, cap, "%s %d", name != NULL ? name : "unknown",
			 k->bits);
		break;
	}
	}
	return buf;
}

/* RFC 8017 9.1.1: PSS needs emLen >= hLen + sLen + 2 with sLen = hLen
 * (RFC 8446 4.2.3) and emLen = ceil((modBits - 1) / 8). */
static bool rsa_fits_pss(int bits, int hash_bits)
{
	int em_len = (bits - 1 + 7) / 8;

	return em_len >= 2 * (hash_bits / 8) + 2;
}

bool pl_pkey_supports(const pl_pkey_t *k, uint16_t scheme)
{
	const struct scheme_info *s = scheme_info(scheme);

	if (s == NULL || k->kind != s->kind)
		return false;
	if (s->pss && !rsa_fits_pss(k->bits, s->hash_bits))
		return false;
	return true;
}

/* Starts a signing or verifying context for scheme on k. */
static int sig_init(const pl_pkey_t *k, const struct scheme_info *s,
		    bool sign, EVP_MD_CTX **out)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	int err = PL_ERR_CRYPTO;
	int ok;

	if (a == NULL)
		goto out;
	md = scheme_md(a, s);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto out;
	/* The pre-fetched digest, not its name; Ed25519 takes none. */
	if (sign)
		ok = EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey);
	else
		ok = EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey);
	if (ok != 1)
		goto out;
	/* RFC 8446 4.2.3: PSS with MGF1 over the same hash and a salt as
	 * long as the hash. */
	if (s->pss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (s->kind == PL_PKEY_RSA && !s->pss &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	*out = ctx;
	ctx = NULL;
	err = PL_OK;
out:
	EVP_MD_CTX_free(ctx); /* also frees pctx, which ctx owns */
	if (err != PL_OK)
		ERR_clear_error();
	return err;
}

/* ECDSA through k's signing template: hash msg, sign the digest. */
static int ecdsa_sign(const pl_pkey_t *k, const struct scheme_info *s,
		      const uint8_t *msg, size_t len, uint8_t *sig,
		      size_t *sig_len)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len;
	EVP_PKEY_CTX *ctx = NULL;
	int err = PL_ERR_CRYPTO;

	if (EVP_Digest(msg, len, digest, &digest_len,
		       scheme_md(pl_crypto_algs(), s), NULL) != 1)
		goto out;
	ctx = EVP_PKEY_CTX_dup(k->ecdsa_signer);
	if (ctx == NULL ||
	    EVP_PKEY_sign(ctx, sig, sig_len, digest, digest_len) != 1)
		goto out;
	err = PL_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	if (err != PL_OK)
		ERR_clear_error();
	return err;
}

static int sign_with(const pl_pkey_t *k, uint16_t scheme, bool pkcs1_ok,
		     const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
		     size_t *sig_len)
{
	const struct scheme_info *s = scheme_info(scheme);
	EVP_MD_CTX *ctx = NULL;
	size_t out_len = cap;
	int max_len;
	int err = PL_ERR_UNSUPPORTED;

	if (s == NULL || (!s->can_sign && !pkcs1_ok) ||
	    !pl_pkey_supports(k, scheme))
		goto out;
	err = PL_ERR_ARG;
	max_len = EVP_PKEY_get_size(k->pkey);
	if (!k->is_private || max_len <= 0 || cap < (size_t)max_len)
		goto out;
	/* pl_pkey_supports matched the scheme's curve to the key's, so the
	 * template signs with the scheme's hash. */
	if (k->ecdsa_signer != NULL) {
		err = ecdsa_sign(k, s, msg, len, sig, &out_len);
		if (err == PL_OK)
			*sig_len = out_len;
		goto out;
	}
	err = sig_init(k, s, true, &ctx);
	if (err != PL_OK)
		goto out;
	if (EVP_DigestSign(ctx, sig, &out_len, msg, len) != 1) {
		err = pl_crypto_fail();
		goto out;
	}
	*sig_len = out_len;
	err = PL_OK;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

int pl_pkey_sign(const pl_pkey_t *k, uint16_t scheme, const uint8_t *msg,
		 size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	return sign_with(k, scheme, false, msg, len, sig, cap, sig_len);
}

int pl_pkey_sign_tls12(const pl_pkey_t *k, uint16_t scheme,
		       const uint8_t *msg, size_t len, uint8_t *sig,
		       size_t cap, size_t *sig_len)
{
	return sign_with(k, scheme, true, msg, len, sig, cap, sig_len);
}

int pl_pkey_verify(const pl_pkey_t *k, uint16_t scheme, const uint8_t *msg,
		   size_t len, const uint8_t *sig, size_t sig_len)
{
	const struct scheme_info *s = scheme_info(scheme);
	EVP_MD_CTX *ctx = NULL;
	int err = PL_ERR_UNSUPPORTED;

	if (s == NULL || !pl_pkey_supports(k, scheme))
		goto out;
	err = sig_init(k, s, false, &ctx);
	if (err != PL_OK)
		goto out;
	/* 0 is a wrong signature, < 0 one that does not even parse (a bad
	 * DER ECDSA value, a wrong RSA length): both are the peer's. */
	if (EVP_DigestVerify(ctx, sig, sig_len, msg, len) != 1) {
		ERR_clear_error();
		err = PL_ERR_DECRYPT;
		goto out;
	}
	err = PL_OK;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

/* A context that generates keys of kind. */
static EVP_PKEY_CTX *keygen_ctx(pl_pkey_kind_t kind, int rsa_bits)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();
	EVP_PKEY_CTX *ctx = NULL;

	if (a == NULL)
		return NULL;
	switch (kind) {
	case PL_PKEY_RSA:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
		break;
	case PL_PKEY_EC_P256:
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, a->p256, NULL);
		break;
	case PL_PKEY_EC_P384:
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, a->p384, NULL);
		break;
	case PL_PKEY_ED25519:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "ED25519", NULL);
		break;
	default:
		return NULL;
	}
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    (kind == PL_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, rsa_bits) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

pl_pkey_t *pl_pkey_generate(pl_pkey_kind_t kind, int rsa_bits)
{
	EVP_PKEY_CTX *ctx = keygen_ctx(kind, rsa_bits > 0 ? rsa_bits : 2048);
	EVP_PKEY *pkey = NULL;
	pl_pkey_t *k = NULL;

	if (ctx == NULL || EVP_PKEY_keygen(ctx, &pkey) != 1)
		goto out;
	k = pl_pkey_wrap(pkey);
	pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return k;
}
