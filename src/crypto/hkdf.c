/*
 * HMAC (RFC 2104) and HKDF (RFC 5869), composed here over the fetched
 * SHA-2 digests.
 *
 * A TLS 1.3 handshake makes some twenty short HMACs, nearly each with a
 * new key. libcrypto's HMAC EVP_MAC spends more per call on its machinery
 * (a context duplicated, three digest contexts keyed, copied and freed)
 * than on hashing, so HMAC is written out on one EVP_MD_CTX: the inner
 * hash, then the outer one, nothing looked up by name.
 */
#include <string.h>

#include "crypto/crypto_internal.h"

#define HMAC_BLOCK_MAX 128 /* SHA-384's block */

/* An HMAC under way: ctx runs the inner hash, then the outer one. */
typedef struct {
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	size_t block;
	size_t hash_len;
	uint8_t ipad[HMAC_BLOCK_MAX]; /* K0 XOR 0x36.. */
	uint8_t opad[HMAC_BLOCK_MAX]; /* K0 XOR 0x5c.. */
} hmac_t;

static void hmac_wipe(hmac_t *h)
{
	/* The digest context frees its state with OPENSSL_clear_free. */
	EVP_MD_CTX_free(h->ctx);
	pl_cleanse(h, sizeof(*h));
}

/* Starts the inner hash over K0 XOR ipad (RFC 2104 2). */
static int hmac_begin(hmac_t *h)
{
	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, h->ipad, h->block) != 1)
		return pl_crypto_fail();
	return PL_OK;
}

/* Sets h up for alg and key and begins the first MAC. On failure h is
 * wiped already. */
static int hmac_init(hmac_t *h, pl_hash_alg_t alg, const uint8_t *key,
		     size_t key_len)
{
	uint8_t k0[HMAC_BLOCK_MAX] = { 0 };
	int err;

	memset(h, 0, sizeof(*h));
	h->md = pl_crypto_md(alg);
	if (h->md == NULL)
		return pl_crypto_algs() == NULL ? PL_ERR_CRYPTO : PL_ERR_ARG;
	h->block = (size_t)EVP_MD_get_block_size(h->md);
	h->hash_len = pl_hash_len(alg);
	h->ctx = EVP_MD_CTX_new();
	err = PL_ERR_CRYPTO;
	if (h->ctx == NULL || h->block > HMAC_BLOCK_MAX)
		goto out;
	/* RFC 2104 2: a key longer than the block is hashed first; a shorter
	 * one is padded with zeros. */
	if (key_len > h->block) {
		err = pl_hash_once(alg, key, key_len, k0);
		if (err != PL_OK)
			goto out;
	} else if (key_len > 0) {
		memcpy(k0, key, key_len);
	}
	for (size_t i = 0; i < h->block; i++) {
		h->ipad[i] = k0[i] ^ 0x36;
		h->opad[i] = k0[i] ^ 0x5c;
	}
	err = hmac_begin(h);
out:
	pl_cleanse(k0, sizeof(k0));
	if (err != PL_OK)
		hmac_wipe(h);
	return err;
}

static int hmac_update(hmac_t *h, const uint8_t *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return pl_crypto_fail();
	return PL_OK;
}

/* Ends the inner hash and writes H(K0 XOR opad || inner) to out
 * (hash_len bytes). */
static int hmac_final(hmac_t *h, uint8_t *out)
{
	uint8_t inner[PL_HASH_MAX];
	int err = PL_OK;

	if (EVP_DigestFinal_ex(h->ctx, inner, NULL) != 1 ||
	    EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, h->opad, h->block) != 1 ||
	    EVP_DigestUpdate(h->ctx, inner, h->hash_len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
		err = pl_crypto_fail();
	pl_cleanse(inner, sizeof(inner));
	return err;
}

int pl_hmac(pl_hash_alg_t alg, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out)
{
	hmac_t h;
	int err = hmac_init(&h, alg, key, key_len);

	if (err != PL_OK)
		return err;
	if ((err = hmac_update(&h, data, data_len)) == PL_OK)
		err = hmac_final(&h, out);
	hmac_wipe(&h);
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
	size_t block_len = 0, done = 0;
	uint8_t counter;
	hmac_t h;
	int err;

	/* RFC 5869 2.3: L <= 255 * HashLen. */
	if (hash_len == 0 || out_len > 255 * hash_len)
		return PL_ERR_ARG;
	if ((err = hmac_init(&h, alg, prk, prk_len)) != PL_OK)
		return err;
	/* T(i) = HMAC-Hash(PRK, T(i-1) | info | i), T(0) empty. */
	for (counter = 1; done < out_len; counter++) {
		size_t take;

		if ((counter > 1 && (err = hmac_begin(&h)) != PL_OK) ||
		    (err = hmac_update(&h, block, block_len)) != PL_OK ||
		    (err = hmac_update(&h, info, info_len)) != PL_OK ||
		    (err = hmac_update(&h, &counter, 1)) != PL_OK ||
		    (err = hmac_final(&h, block)) != PL_OK)
			goto out;
		block_len = hash_len;
		take = out_len - done < hash_len ? out_len - done : hash_len;
		memcpy(out + done, block, take);
		done += take;
	}
out:
	pl_cleanse(block, sizeof(block));
	hmac_wipe(&h);
	return err;
}
