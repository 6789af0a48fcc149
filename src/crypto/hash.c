/* SHA-256 and SHA-384, one-shot and incremental (the TLS transcript). */
#include <stdlib.h>

#include "crypto/crypto_internal.h"

struct pl_hash {
	pl_hash_alg_t alg;
	EVP_MD_CTX *ctx;
};

size_t pl_hash_len(pl_hash_alg_t alg)
{
	switch (alg) {
	case PL_HASH_SHA256: return 32;
	case PL_HASH_SHA384: return 48;
	default: return 0;
	}
}

pl_hash_t *pl_hash_new(pl_hash_alg_t alg)
{
	const EVP_MD *md = pl_crypto_md(alg);
	pl_hash_t *h = NULL;

	if (md == NULL)
		goto out;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto out;
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex2(h->ctx, md, NULL) != 1) {
		pl_hash_free(h);
		h = NULL;
		ERR_clear_error();
	}
out:
	return h;
}

pl_hash_t *pl_hash_dup(const pl_hash_t *h)
{
	pl_hash_t *copy = calloc(1, sizeof(*copy));

	if (copy == NULL)
		goto out;
	copy->alg = h->alg;
	copy->ctx = EVP_MD_CTX_new();
	if (copy->ctx == NULL || EVP_MD_CTX_copy_ex(copy->ctx, h->ctx) != 1) {
		pl_hash_free(copy);
		copy = NULL;
		ERR_clear_error();
	}
out:
	return copy;
}

int pl_hash_update(pl_hash_t *h, const uint8_t *data, size_t len)
{
	if (len == 0)
		return PL_OK;
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return pl_crypto_fail();
	return PL_OK;
}

int pl_hash_peek(const pl_hash_t *h, uint8_t *out)
{
	/* Finalizing ends a context, so finalize a copy and keep h going. */
	EVP_MD_CTX *scratch = EVP_MD_CTX_new();
	int err = PL_ERR_CRYPTO;

	if (scratch == NULL)
		goto out;
	if (EVP_MD_CTX_copy_ex(scratch, h->ctx) != 1 ||
	    EVP_DigestFinal_ex(scratch, out, NULL) != 1)
		goto out;
	err = PL_OK;
out:
	EVP_MD_CTX_free(scratch);
	if (err != PL_OK)
		ERR_clear_error();
	return err;
}

void pl_hash_free(pl_hash_t *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int pl_hash_once(pl_hash_alg_t alg, const uint8_t *data, size_t len,
		 uint8_t *out)
{
	const EVP_MD *md = pl_crypto_md(alg);

	if (md == NULL)
		return pl_crypto_algs() == NULL ? PL_ERR_CRYPTO : PL_ERR_ARG;
	if (EVP_Digest(data, len, out, NULL, md, NULL) != 1)
		return pl_crypto_fail();
	return PL_OK;
}
