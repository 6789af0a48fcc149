/*
 * Fetches every algorithm padlock uses, once per process (OpenSSL 3.0 looks
 * algorithms up in a locked store on every by-name call, which dominates
 * the cost of small operations), and detects AES instructions.
 */
#include <pthread.h>

#include "crypto/crypto_internal.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

static struct pl_crypto_algs algs;
static int init_status = PL_ERR_CRYPTO;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* A key holding only the parameters of the named EC group. */
static EVP_PKEY *new_ec_group(const char *group)
{
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_paramgen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_group_name(ctx, group) != 1 ||
	    EVP_PKEY_paramgen(ctx, &params) != 1) {
		EVP_PKEY_free(params);
		params = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return params;
}

static EVP_PKEY *new_x25519_template(void)
{
	/* RFC 7748 4.1: the base point, u = 9 (little-endian). */
	static const uint8_t base_point[32] = { 9 };

	return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, base_point,
					      sizeof(base_point));
}

/* Runs once. On failure the objects fetched so far stay referenced from
 * algs (reachable, never used): init_status keeps every caller out. */
static void init_once_fn(void)
{
	algs.sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	algs.sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	algs.sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
	algs.sha3_256 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
	algs.sha3_512 = EVP_MD_fetch(NULL, "SHA3-512", NULL);
	algs.shake128 = EVP_MD_fetch(NULL, "SHAKE128", NULL);
	algs.shake256 = EVP_MD_fetch(NULL, "SHAKE256", NULL);
	algs.aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	algs.aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	algs.chacha20_poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (algs.sha256 == NULL || algs.sha384 == NULL || algs.sha512 == NULL ||
	    algs.aes_128_gcm == NULL || algs.aes_256_gcm == NULL ||
	    algs.chacha20_poly1305 == NULL || algs.sha3_256 == NULL ||
	    algs.sha3_512 == NULL || algs.shake128 == NULL ||
	    algs.shake256 == NULL)
		goto out;

	algs.x25519 = new_x25519_template();
	algs.p256 = new_ec_group("P-256");
	algs.p384 = new_ec_group("P-384");
	if (algs.x25519 == NULL || algs.p256 == NULL || algs.p384 == NULL)
		goto out;

	init_status = PL_OK;
out:
	ERR_clear_error();
}

int pl_crypto_init(void)
{
	if (pthread_once(&init_once, init_once_fn) != 0)
		return PL_ERR_CRYPTO;
	return init_status;
}

const struct pl_crypto_algs *pl_crypto_algs(void)
{
	return pl_crypto_init() == PL_OK ? &algs : NULL;
}

const EVP_MD *pl_crypto_md(pl_hash_alg_t alg)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();

	if (a == NULL)
		return NULL;
	switch (alg) {
	case PL_HASH_SHA256: return a->sha256;
	case PL_HASH_SHA384: return a->sha384;
	default: return NULL;
	}
}

bool pl_crypto_has_aes_hw(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && \
	(defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") != 0;
#elif defined(__aarch64__) && defined(__linux__)
	return (getauxval(AT_HWCAP) & HWCAP_AES) != 0;
#else
	return false;
#endif
}
