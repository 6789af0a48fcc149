/*
 * HMAC (RFC 2104) and HKDF (RFC 5869), on libcrypto's HMAC EVP_MAC.
 *
 * HKDF is written here over HMAC rather than taken from the HKDF EVP_KDF:
 * it is a few lines, and every call then runs on the pre-keyed HMAC
 * templates of init.c without looking anything up by name.
 */
#include <string.h>

#include <openssl/core_names.h>

#include "crypto/crypto_internal.h"

/* A fresh HMAC context for alg keyed with key; NULL on failure (the error
 * queue is then cleared). */
static EVP_MAC_CTX *hmac_new(pl_hash_alg_t alg, const uint8_t *key,
			     size_t key_len)
{
	static const uint8_t empty[1];
	const struct pl_crypto_algs *a = pl_crypto_algs();
	const EVP_MAC_CTX *keyed;
	EVP_MAC_CTX *ctx = NULL;

	if (a == NULL)
		goto out;
	switch (alg) {
	case PL_HASH_SHA256: keyed = a->hmac_sha256; break;
	case PL_HASH_SHA384: keyed = a->hmac_sha384; break;
	default: goto out;
	}
	/* Duplicating only reads the template, so threads may share it. */
	ctx = EVP_MAC_CTX_dup(keyed);
	if (ctx == NULL)
		goto out;
	/* A NULL key would mean "keep the current one", so pass a real
	 * pointer for the empty key. */
	if (EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len, NULL) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
out:
	if (ctx == NULL)
		ERR_clear_error();
	return ctx;
}

int pl_hmac(pl_hash_alg_t alg, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out)
{
	size_t hash_len = pl_hash_len(alg);
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len;
	int err = PL_ERR_ARG;

	if (hash_len == 0)
		goto out;
	err = PL_ERR_CRYPTO;
	ctx = hmac_new(alg, key, key_len);
	if (ctx == NULL)
		goto out;
	if ((data_len > 0 && EVP_MAC_update(ctx, data, data_len) != 1) ||
	    EVP_MAC_final(ctx, out, &out_len, hash_len) != 1 ||
	    out_len != hash_len) {
		err = pl_crypto_fail();
		goto out;
	}
	err = PL_OK;
out:
	EVP_MAC_CTX_free(ctx);
	return err;
}

int pl_hkdf_extract(pl_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	/* RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); no salt means HashLen
	 * zeros. HMAC pads a short key with zeros to the block size, so an
	 * empty key gives the same result as HashLen zero bytes. */
	if (salt == NULL)
		salt_len = 0;
	return pl_hmac(alg, salt, salt_len, ikm, ikm_len, prk);
}

int pl_hkdf_expand(pl_hash_alg_t alg, const uint8_t *prk, size_t prk_len,
		   const uint8_t *info, size_t info_len, uint8_t *out,
		   size_t out_len)
{
	size_t hash_len = pl_hash_len(alg);
	uint8_t block[PL_HASH_MAX];
	size_t block_len = 0, done = 0, got;
	EVP_MAC_CTX *ctx = NULL;
	uint8_t counter;
	int err = PL_ERR_ARG;

	/* RFC 5869 2.3: L <= 255 * HashLen. */
	if (hash_len == 0 || out_len > 255 * hash_len)
		goto out;
	err = PL_ERR_CRYPTO;
	ctx = hmac_new(alg, prk, prk_len);
	if (ctx == NULL)
		goto out;
	/* T(i) = HMAC-Hash(PRK, T(i-1) | info | i), T(0) empty. */
	for (counter = 1; done < out_len; counter++) {
		size_t take;

		/* A NULL key restarts the MAC with the key it already has. */
		if ((counter > 1 && EVP_MAC_init(ctx, NULL, 0, NULL) != 1) ||
		    (block_len > 0 && EVP_MAC_update(ctx, block, block_len) != 1) ||
		    (info_len > 0 && EVP_MAC_update(ctx, info, info_len) != 1) ||
		    EVP_MAC_update(ctx, &counter, 1) != 1 ||
		    EVP_MAC_final(ctx, block, &got, sizeof(block)) != 1 ||
		    got != hash_len) {
			err = pl_crypto_fail();
			goto out;
		}
		block_len = got;
		take = out_len - done < hash_len ? out_len - done : hash_len;
		memcpy(out + done, block, take);
		done += take;
	}
	err = PL_OK;
out:
	pl_cleanse(block, sizeof(block));
	EVP_MAC_CTX_free(ctx);
	return err;
}
