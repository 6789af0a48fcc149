/*
 * What the files of src/crypto share: the algorithms fetched once by
 * pl_crypto_init() (init.c) and the error mapping. Private to src/crypto.
 */
#ifndef PADLOCK_CRYPTO_INTERNAL_H
#define PADLOCK_CRYPTO_INTERNAL_H

#include <openssl/err.h>
#include <openssl/evp.h>

#include "padlock/crypto.h"

/* Everything libcrypto hands out by name, looked up once. Immutable after
 * pl_crypto_init() succeeds, so any thread may read it without a lock
 * (libcrypto's fetched objects and keys are safe to share read-only). */
struct pl_crypto_algs {
	EVP_MD *sha256;
	EVP_MD *sha384;
	EVP_MD *sha512;
	EVP_MD *sha3_256; /* SHA3 and SHAKE: ML-KEM's H, G, J, PRF, XOF */
	EVP_MD *sha3_512;
	EVP_MD *shake128;
	EVP_MD *shake256;
	EVP_CIPHER *aes_128_gcm;
	EVP_CIPHER *aes_256_gcm;
	EVP_CIPHER *chacha20_poly1305;
	/* Key templates. The EC ones hold only the group: a context made from
	 * one generates keys on that curve, and a copy of one takes a peer's
	 * public point. The X25519 one is a public key (the base point) whose
	 * copies take a peer's public key the same way. */
	EVP_PKEY *x25519;
	EVP_PKEY *p256;
	EVP_PKEY *p384;
};

/* The fetched algorithms, running pl_crypto_init() first if needed; NULL
 * when it failed. */
const struct pl_crypto_algs *pl_crypto_algs(void);

/* The digest for alg, or NULL when alg is unknown or init failed. */
const EVP_MD *pl_crypto_md(pl_hash_alg_t alg);

/* Maps a libcrypto failure to PL_ERR_CRYPTO, dropping OpenSSL's error
 * queue so that it cannot be mistaken for the cause of a later failure. */
static inline int pl_crypto_fail(void)
{
	ERR_clear_error();
	return PL_ERR_CRYPTO;
}

#endif
