/* Tests src/crypto/hkdf.c: HMAC and HKDF against published vectors, and
 * HKDF-SHA-384 against libcrypto's own HKDF. */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "padlock/crypto.h"
#include "test.h"

struct hkdf_vector {
	const char *name, *ikm, *salt, *info, *prk, *okm;
};

/* RFC 5869 Appendix A.1-A.3 (the SHA-256 cases). */
static const struct hkdf_vector rfc5869[] = {
	{ "A.1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "A.2",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "A.3", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void hkdf_matches_rfc5869_appendix_a(void)
{
	for (size_t i = 0; i < sizeof(rfc5869) / sizeof(rfc5869[0]); i++) {
		const struct hkdf_vector *v = &rfc5869[i];
		uint8_t ikm[128], salt[128], info[128], prk[64], okm[128];
		uint8_t got_prk[PL_HASH_MAX], got_okm[128];
		size_t ikm_len = test_unhex(v->ikm, ikm, sizeof(ikm));
		size_t salt_len = test_unhex(v->salt, salt, sizeof(salt));
		size_t info_len = test_unhex(v->info, info, sizeof(info));
		size_t prk_len = test_unhex(v->prk, prk, sizeof(prk));
		size_t okm_len = test_unhex(v->okm, okm, sizeof(okm));

		CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA256, salt, salt_len, ikm,
					     ikm_len, got_prk), PL_OK);
		CHECK_MSG(memcmp(got_prk, prk, prk_len) == 0, "PRK of %s", v->name);
		CHECK_EQ_INT(pl_hkdf_expand(PL_HASH_SHA256, prk, prk_len, info,
					    info_len, got_okm, okm_len), PL_OK);
		CHECK_MSG(memcmp(got_okm, okm, okm_len) == 0, "OKM of %s", v->name);
	}
}

/* RFC 5869 2.2: no salt is HashLen zeros; A.3 gives the expected PRK. */
static void hkdf_extract_without_salt_uses_zeros(void)
{
	uint8_t ikm[22], zeros[PL_HASH_MAX] = { 0 }, a[PL_HASH_MAX], b[PL_HASH_MAX];

	memset(ikm, 0x0b, sizeof(ikm));
	CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), a), PL_OK);
	CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA256, zeros, 32, ikm, sizeof(ikm), b), PL_OK);
	CHECK_MEM(a, b, 32);
	CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA384, NULL, 0, ikm, sizeof(ikm), a), PL_OK);
	CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA384, zeros, 48, ikm, sizeof(ikm), b), PL_OK);
	CHECK_MEM(a, b, 48);
}

/* RFC 4231 4.3 (test case 2): key "Jefe". */
static void hmac_matches_rfc4231_case_2(void)
{
	static const char data[] = "what do ya want for nothing?";
	uint8_t want[PL_HASH_MAX], got[PL_HASH_MAX];

	test_unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		   want, sizeof(want));
	CHECK_EQ_INT(pl_hmac(PL_HASH_SHA256, (const uint8_t *)"Jefe", 4,
			     (const uint8_t *)data, sizeof(data) - 1, got), PL_OK);
	CHECK_MEM(got, want, 32);
	test_unhex("af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		   "8e2240ca5e69e2c78b3239ecfab21649", want, sizeof(want));
	CHECK_EQ_INT(pl_hmac(PL_HASH_SHA384, (const uint8_t *)"Jefe", 4,
			     (const uint8_t *)data, sizeof(data) - 1, got), PL_OK);
	CHECK_MEM(got, want, 48);
}

/* RFC 4231 4.7 (test case 6): a 131-byte key, longer than the block, is
 * hashed first. */
static void hmac_hashes_a_long_key(void)
{
	static const char data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], want[PL_HASH_MAX], got[PL_HASH_MAX];

	memset(key, 0xaa, sizeof(key));
	test_unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		   want, sizeof(want));
	CHECK_EQ_INT(pl_hmac(PL_HASH_SHA256, key, sizeof(key), (const uint8_t *)data,
			     sizeof(data) - 1, got), PL_OK);
	CHECK_MEM(got, want, 32);
}

/* libcrypto's HKDF, a separate implementation of RFC 5869. */
static int reference_hkdf(const char *digest, int mode, const uint8_t *key,
			  size_t key_len, const uint8_t *salt, size_t salt_len,
			  const uint8_t *info, size_t info_len, uint8_t *out,
			  size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	int ok;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

static void hkdf_sha384_agrees_with_libcrypto(void)
{
	static const size_t lengths[] = { 1, 47, 48, 49, 96, 100, 255 * 48 };
	uint8_t ikm[40], salt[13], info[20], prk[48], want_prk[48];
	static uint8_t got[255 * 48], want[255 * 48];

	for (size_t i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)(3 * i + 1);
	memset(salt, 0x5a, sizeof(salt));
	memset(info, 0xc3, sizeof(info));
	CHECK_EQ_INT(pl_hkdf_extract(PL_HASH_SHA384, salt, sizeof(salt), ikm,
				     sizeof(ikm), prk), PL_OK);
	CHECK(reference_hkdf("SHA2-384", EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm,
			     sizeof(ikm), salt, sizeof(salt), NULL, 0, want_prk, 48));
	CHECK_MEM(prk, want_prk, 48);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t n = lengths[i];

		CHECK_EQ_INT(pl_hkdf_expand(PL_HASH_SHA384, prk, 48, info,
					    sizeof(info), got, n), PL_OK);
		CHECK(reference_hkdf("SHA2-384", EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk,
				     48, NULL, 0, info, sizeof(info), want, n));
		CHECK_MSG(memcmp(got, want, n) == 0, "length %zu", n);
	}
}

static void hkdf_expand_checks_the_length(void)
{
	static uint8_t out[255 * 32 + 1];
	uint8_t prk[32] = { 1 };

	CHECK_EQ_INT(pl_hkdf_expand(PL_HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32), PL_OK);
	CHECK_EQ_INT(pl_hkdf_expand(PL_HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32 + 1),
		     PL_ERR_ARG);
	CHECK_EQ_INT(pl_hkdf_expand(PL_HASH_SHA256, prk, 32, NULL, 0, out, 0), PL_OK);
	CHECK_EQ_INT(pl_hkdf_expand((pl_hash_alg_t)7, prk, 32, NULL, 0, out, 1), PL_ERR_ARG);
	CHECK_EQ_INT(pl_hmac((pl_hash_alg_t)7, prk, 32, NULL, 0, out), PL_ERR_ARG);
}

int main(void)
{
	RUN(hkdf_matches_rfc5869_appendix_a);
	RUN(hkdf_extract_without_salt_uses_zeros);
	RUN(hmac_matches_rfc4231_case_2);
	RUN(hmac_hashes_a_long_key);
	RUN(hkdf_sha384_agrees_with_libcrypto);
	RUN(hkdf_expand_checks_the_length);
	return test_finish();
}
