/*
 * JOSE for ACME: base64url (RFC 4648 5, unpadded as RFC 7515 2 wants),
 * JWKs of public keys in the canonical form of RFC 7638 3.2 and their
 * thumbprints, ES256 signatures in the raw r||s form of RFC 7518 3.4,
 * HS256 (RFC 7518 3.2) for external account binding, and the flattened
 * JSON serialization of RFC 7515 7.2.2 that RFC 8555 6.2 requires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "crypto/crypto_internal.h"
#include "crypto/pkey_internal.h"

#define P256_COORD 32

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t pl_base64url_len(size_t len)
{
	return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

int pl_base64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (pl_base64url_len(len) >= cap)
		return PL_ERR_ARG;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		/* n input bytes give n + 1 characters; no '=' padding */
		for (size_t k = 0; k <= n; k++)
			out[o++] = b64url[(v >> (18 - 6 * k)) & 0x3f];
	}
	out[o] = '\0';
	return PL_OK;
}

static int b64url_value(char c)
{
	const char *p = c != '\0' ? strchr(b64url, c) : NULL;

	return p != NULL ? (int)(p - b64url) : -1;
}

int pl_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap,
			size_t *out_len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	/* one leftover character cannot hold a byte */
	if (len % 4 == 1)
		return PL_ERR_DECODE;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return PL_ERR_DECODE;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return PL_ERR_ARG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* RFC 4648 3.5: the bits left over must be zero (one encoding) */
	if ((acc & ((1u << bits) - 1)) != 0)
		return PL_ERR_DECODE;
	*out_len = o;
	return PL_OK;
}

/* ---- keys from their JWK members ------------------------------------------ */

static pl_pkey_t *from_params(const char *type, OSSL_PARAM_BLD *bld,
			      int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return pl_pkey_wrap(pkey);
}

pl_pkey_t *pl_pkey_p256_from_coords(const uint8_t x[32], const uint8_t y[32],
				    const uint8_t *d)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t point[1 + 2 * P256_COORD];
	BIGNUM *priv = NULL;
	pl_pkey_t *k = NULL;

	point[0] = 0x04; /* SEC 1 2.3.3: uncompressed */
	memcpy(point + 1, x, P256_COORD);
	memcpy(point + 1 + P256_COORD, y, P256_COORD);
	if (d != NULL)
		priv = BN_bin2bn(d, P256_COORD, NULL);
	if (bld == NULL || (d != NULL && priv == NULL) ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     point, sizeof point) != 1 ||
	    (priv != NULL &&
	     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1))
		goto out;
	k = from_params("EC", bld,
			d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	/* the point must be on the curve: a JWK is untrusted input */
	if (k != NULL && pl_pkey_kind(k) != PL_PKEY_EC_P256) {
		pl_pkey_free(k);
		k = NULL;
	}
out:
	BN_clear_free(priv);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return k;
}

pl_pkey_t *pl_pkey_rsa_from_public(const uint8_t *n, size_t n_len,
				   const uint8_t *e, size_t e_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
	BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	pl_pkey_t *k = NULL;

	if (bld != NULL && bn_n != NULL && bn_e != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		k = from_params("RSA", bld, EVP_PKEY_PUBLIC_KEY);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return k;
}

/* ---- JWK and thumbprint ---------------------------------------------------- */

/* The base64url of a big number's unsigned big-endian bytes, no leading
 * zeros (RFC 7518 6.3.1.1). */
static int bn_member(EVP_PKEY *pkey, const char *param, char *out, size_t cap)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int len, ret = PL_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		goto out;
	len = BN_num_bytes(bn);
	if (len <= 0 || (size_t)len > sizeof buf || BN_bn2bin(bn, buf) != len)
		goto out;
	ret = pl_base64url_encode(buf, (size_t)len, out, cap);
out:
	BN_free(bn);
	ERR_clear_error();
	return ret;
}

static int p256_members(EVP_PKEY *pkey, char x[64], char y[64])
{
	uint8_t point[1 + 2 * P256_COORD];
	size_t len = 0;
	int ret;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
					    point, sizeof point, &len) != 1 ||
	    len != sizeof point || point[0] != 0x04)
		return pl_crypto_fail();
	ret = pl_base64url_encode(point + 1, P256_COORD, x, 64);
	if (ret == PL_OK)
		ret = pl_base64url_encode(point + 1 + P256_COORD, P256_COORD, y,
					  64);
	return ret;
}

int pl_jwk_public(const pl_pkey_t *k, char *out, size_t cap)
{
	EVP_PKEY *pkey = pl_pkey_evp(k);
	char a[1400], b[1400];
	int ret, n;

	/* RFC 7638 3.2: the required members only, in lexicographic order,
	 * no white space */
	switch (pl_pkey_kind(k)) {
	case PL_PKEY_EC_P256:
		ret = p256_members(pkey, a, b);
		if (ret != PL_OK)
			return ret;
		n = snprintf(out, cap,
			     "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
			     "\"y\":\"%s\"}", a, b);
		break;
	case PL_PKEY_RSA:
		ret = bn_member(pkey, OSSL_PKEY_PARAM_RSA_E, a, sizeof a);
		if (ret == PL_OK)
			ret = bn_member(pkey, OSSL_PKEY_PARAM_RSA_N, b, sizeof b);
		if (ret != PL_OK)
			return ret;
		n = snprintf(out, cap, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
			     a, b);
		break;
	default:
		return PL_ERR_UNSUPPORTED;
	}
	return n < 0 || (size_t)n >= cap ? PL_ERR_ARG : PL_OK;
}

int pl_jwk_thumbprint(const pl_pkey_t *k, char out[PL_JWK_THUMBPRINT_LEN + 1])
{
	char jwk[3000];
	uint8_t digest[32];
	int ret = pl_jwk_public(k, jwk, sizeof jwk);

	if (ret == PL_OK)
		ret = pl_hash_once(PL_HASH_SHA256, (const uint8_t *)jwk,
				   strlen(jwk), digest);
	if (ret == PL_OK)
		ret = pl_base64url_encode(digest, sizeof digest, out,
					  PL_JWK_THUMBPRINT_LEN + 1);
	return ret;
}

int pl_jws_key_authorization(const pl_pkey_t *account, const char *token,
			     char *out, size_t cap)
{
	char thumb[PL_JWK_THUMBPRINT_LEN + 1];
	int ret = pl_jwk_thumbprint(account, thumb);
	int n;

	if (ret != PL_OK)
		return ret;
	/* RFC 8555 8.1: token || '.' || base64url(Thumbprint(accountKey)) */
	n = snprintf(out, cap, "%s.%s", token, thumb);
	return n < 0 || (size_t)n >= cap ? PL_ERR_ARG : PL_OK;
}

/* ---- ES256 ------------------------------------------------------------------ */

int pl_jws_es256_sign(const pl_pkey_t *k, const uint8_t *msg, size_t len,
		      uint8_t sig[PL_JWS_ES256_LEN])
{
	uint8_t der[PL_SIG_MAX];
	const uint8_t *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	size_t der_len;
	int ret;

	if (pl_pkey_kind(k) != PL_PKEY_EC_P256)
		return PL_ERR_UNSUPPORTED;
	ret = pl_pkey_sign(k, PL_SIG_ECDSA_SECP256R1_SHA256, msg, len, der,
			   sizeof der, &der_len);
	if (ret != PL_OK)
		return ret;
	/* RFC 7518 3.4: R and S as 32-byte big-endian integers, not DER */
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL)
		return pl_crypto_fail();
	ECDSA_SIG_get0(es, &r, &s);
	ret = BN_bn2binpad(r, sig, P256_COORD) == P256_COORD &&
			      BN_bn2binpad(s, sig + P256_COORD, P256_COORD) ==
				      P256_COORD
		      ? PL_OK
		      : pl_crypto_fail();
	ECDSA_SIG_free(es);
	return ret;
}

int pl_jws_es256_verify(const pl_pkey_t *k, const uint8_t *msg, size_t len,
			const uint8_t *sig, size_t sig_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t *der = NULL;
	int der_len, ret;

	if (pl_pkey_kind(k) != PL_PKEY_EC_P256)
		return PL_ERR_UNSUPPORTED;
	/* RFC 7518 3.4: exactly 64 octets, or the signature is invalid */
	if (sig_len != PL_JWS_ES256_LEN)
		return PL_ERR_DECRYPT;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, P256_COORD, NULL);
	s = BN_bin2bn(sig + P256_COORD, P256_COORD, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return pl_crypto_fail();
	}
	der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (der_len <= 0)
		return pl_crypto_fail();
	ret = pl_pkey_verify(k, PL_SIG_ECDSA_SECP256R1_SHA256, msg, len, der,
			     (size_t)der_len);
	OPENSSL_free(der);
	return ret;
}

/* ---- the flattened JSON serialization -------------------------------------- */

/* "B64(protected).B64(payload)" (RFC 7515 5.1 step 6: the signing input)
 * in a new buffer; *dot gets the position of the dot. */
static char *signing_input(const char *protected_json, const uint8_t *payload,
			   size_t payload_len, size_t *dot)
{
	size_t hl = pl_base64url_len(strlen(protected_json));
	size_t pl = pl_base64url_len(payload_len);
	char *in = malloc(hl + pl + 2);

	if (in == NULL)
		return NULL;
	if (pl_base64url_encode((const uint8_t *)protected_json,
				strlen(protected_json), in, hl + 1) != PL_OK ||
	    (in[hl] = '.',
	     pl_base64url_encode(payload, payload_len, in + hl + 1, pl + 1)) !=
		    PL_OK) {
		free(in);
		return NULL;
	}
	*dot = hl;
	return in;
}

static char *flatten(const char *input, size_t dot, const uint8_t *sig,
		     size_t sig_len)
{
	char sig64[PL_SIG_MAX * 2];
	size_t cap = strlen(input) + sizeof sig64 + 64;
	char *out = malloc(cap);

	if (out == NULL ||
	    pl_base64url_encode(sig, sig_len, sig64, sizeof sig64) != PL_OK) {
		free(out);
		return NULL;
	}
	snprintf(out, cap,
		 "{\"protected\":\"%.*s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
		 (int)dot, input, input + dot + 1, sig64);
	return out;
}

char *pl_jws_flattened_es256(const pl_pkey_t *k, const char *protected_json,
			     const uint8_t *payload, size_t payload_len)
{
	uint8_t sig[PL_JWS_ES256_LEN];
	size_t dot;
	char *input = signing_input(protected_json, payload, payload_len, &dot);
	char *out = NULL;

	if (input != NULL &&
	    pl_jws_es256_sign(k, (const uint8_t *)input, strlen(input), sig) ==
		    PL_OK)
		out = flatten(input, dot, sig, sizeof sig);
	free(input);
	return out;
}

char *pl_jws_flattened_hs256(const uint8_t *key, size_t key_len,
			     const char *protected_json, const uint8_t *payload,
			     size_t payload_len)
{
	uint8_t mac[32];
	size_t dot;
	char *input = signing_input(protected_json, payload, payload_len, &dot);
	char *out = NULL;

	if (input != NULL &&
	    pl_hmac(PL_HASH_SHA256, key, key_len, (const uint8_t *)input,
		    strlen(input), mac) == PL_OK)
		out = flatten(input, dot, mac, sizeof mac);
	pl_cleanse(mac, sizeof mac);
	free(input);
	return out;
}
