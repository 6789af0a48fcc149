/*
 * Bridge between padlock's opaque pl_pkey_t and libcrypto, for the x509
 * layer (the only other layer allowed to see OpenSSL types). Private: not
 * installed, not part of include/padlock.
 */
#ifndef PADLOCK_CRYPTO_PKEY_INTERNAL_H
#define PADLOCK_CRYPTO_PKEY_INTERNAL_H

#include <openssl/evp.h>

#include "padlock/crypto.h"

/* Wraps an EVP_PKEY, taking ownership of the caller's reference. NULL on failure (then the reference is freed). */
pl_pkey_t *pl_pkey_wrap(EVP_PKEY *pkey);

/* The EVP_PKEY inside, borrowed. */
EVP_PKEY *pl_pkey_evp(const pl_pkey_t *k);

#endif
