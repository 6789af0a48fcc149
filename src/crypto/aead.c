/*
 * AES-GCM and ChaCha20-Poly1305 (RFC 5116 interface, RFC 8446 5.2 usage).
 *
 * The key schedule is computed once, in pl_aead_new(); each record only
 * sets its nonce. One context serves both directions: both algorithms
 * use the same key schedule to seal and to open.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

#include "crypto/crypto_internal.h"

struct pl_aead {
	pl_aead_alg_t alg;
	EVP_CIPHER_CTX *ctx;
};

size_t pl_aead_key_len(pl_aead_alg_t alg)
{
	switch (alg) {
	case PL_AEAD_AES_128_GCM: return 16;
	case PL_AEAD_AES_256_GCM: return 32;
	case PL_AEAD_CHACHA20_POLY1305: return 32;
	default: return 0;
	}
}

static const EVP_CIPHER *aead_cipher(pl_aead_alg_t alg)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();

	if (a == NULL)
		return NULL;
	switch (alg) {
	case PL_AEAD_AES_128_GCM: return a->aes_128_gcm;
	case PL_AEAD_AES_256_GCM: return a->aes_256_gcm;
	case PL_AEAD_CHACHA20_POLY1305: return a->chacha20_poly1305;
	default: return NULL;
	}
}

pl_aead_t *pl_aead_new(pl_aead_alg_t alg, const uint8_t *key)
{
	const EVP_CIPHER *cipher = aead_cipher(alg);
	pl_aead_t *a = NULL;

	if (cipher == NULL)
		goto out;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto out;
	a->alg = alg;
	a->ctx = EVP_CIPHER_CTX_new();
	/* Both ciphers default to the 12-byte nonce TLS uses. The key is
	 * expanded into the context (which wipes it when freed); the nonce
	 * comes with each record. */
	if (a->ctx == NULL ||
	    EVP_CipherInit_ex2(a->ctx, cipher, key, NULL, 1, NULL) != 1 ||
	    EVP_CIPHER_CTX_get_iv_length(a->ctx) != PL_AEAD_NONCE_LEN) {
		pl_aead_free(a);
		a = NULL;
		ERR_clear_error();
	}
out:
	return a;
}

/* Starts one message: direction, nonce and additional data. */
static int aead_start(pl_aead_t *a, int enc,
		      const uint8_t nonce[PL_AEAD_NONCE_LEN],
		      const uint8_t *aad, size_t aad_len)
{
	int n;

	if (aad_len > INT_MAX)
		return PL_ERR_ARG;
	if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, enc, NULL) != 1 ||
	    (aad_len > 0 &&
	     EVP_CipherUpdate(a->ctx, NULL, &n, aad, (int)aad_len) != 1))
		return pl_crypto_fail();
	return PL_OK;
}

/* Runs the cipher over len bytes of in into out; checks the output is
 * exactly as long as the input (neither mode buffers). */
static int aead_body(pl_aead_t *a, const uint8_t *in, size_t len,
		     uint8_t *out)
{
	int n = 0, fin = 0;

	if (len > 0 && EVP_CipherUpdate(a->ctx, out, &n, in, (int)len) != 1)
		return pl_crypto_fail();
	if ((size_t)n != len)
		return pl_crypto_fail();
	/* Both modes write nothing at the end; out may be NULL when len is 0. */
	if (EVP_CipherFinal_ex(a->ctx, len > 0 ? out + len : out, &fin) != 1)
		return PL_ERR_DECRYPT; /* the caller maps it per direction */
	return fin == 0 ? PL_OK : pl_crypto_fail();
}

int pl_aead_seal(pl_aead_t *a, const uint8_t nonce[PL_AEAD_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out)
{
	OSSL_PARAM params[2];
	int err;

	if (len > INT_MAX - PL_AEAD_TAG_LEN)
		return PL_ERR_ARG;
	err = aead_start(a, 1, nonce, aad, aad_len);
	if (err != PL_OK)
		return err;
	err = aead_body(a, in, len, out);
	if (err == PL_ERR_DECRYPT)
		err = pl_crypto_fail(); /* sealing cannot fail to authenticate */
	if (err != PL_OK)
		return err;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
						      out + len,
						      PL_AEAD_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_get_params(a->ctx, params) != 1)
		return pl_crypto_fail();
	return PL_OK;
}

int pl_aead_open(pl_aead_t *a, const uint8_t nonce[PL_AEAD_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out)
{
	uint8_t tag[PL_AEAD_TAG_LEN];
	OSSL_PARAM params[2];
	size_t body_len;
	int err;

	if (len < PL_AEAD_TAG_LEN)
		return PL_ERR_DECODE;
	if (len > INT_MAX)
		return PL_ERR_ARG;
	body_len = len - PL_AEAD_TAG_LEN;
	/* The expected tag is handed over before decrypting, from a copy:
	 * the parameter API wants a mutable buffer and in is const. */
	memcpy(tag, in + body_len, PL_AEAD_TAG_LEN);
	err = aead_start(a, 0, nonce, aad, aad_len);
	if (err != PL_OK)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
						      tag, sizeof(tag));
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(a->ctx, params) != 1) {
		err = pl_crypto_fail();
		goto out;
	}
	err = aead_body(a, in, body_len, out);
	if (err == PL_ERR_DECRYPT)
		ERR_clear_error();
	/* Never leave plaintext that did not authenticate in out. */
	if (err != PL_OK)
		pl_cleanse(out, body_len);
out:
	return err;
}

void pl_aead_free(pl_aead_t *a)
{
	if (a == NULL)
		return;
	/* Freeing the cipher context wipes the expanded key. */
	EVP_CIPHER_CTX_free(a->ctx);
	free(a);
}
