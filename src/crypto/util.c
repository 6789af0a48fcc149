/* Wiping, constant-time comparison and randomness, all from libcrypto. */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/crypto_internal.h"

void pl_cleanse(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

bool pl_ct_equal(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	return CRYPTO_memcmp(a, b, len) == 0;
}

int pl_random(uint8_t *out, size_t len)
{
	/* RAND_bytes takes an int: draw in chunks so any size_t works. */
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(out, n) != 1)
			return pl_crypto_fail();
		out += n;
		len -= (size_t)n;
	}
	return PL_OK;
}
