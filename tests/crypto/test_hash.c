/* Tests src/crypto/hash.c and src/crypto/util.c. */
#include <openssl/evp.h>

#include "padlock/crypto.h"
#include "test.h"

/* FIPS 180-2 Appendix B.1 (SHA-256) and D.1 (SHA-384): the message "abc". */
static const char abc_sha256[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char abc_sha384[] =
	"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	"1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";

static void hash_once_matches_fips_180_abc(void)
{
	uint8_t want[PL_HASH_MAX], got[PL_HASH_MAX];

	CHECK_EQ_INT(pl_hash_len(PL_HASH_SHA256), 32);
	CHECK_EQ_INT(pl_hash_len(PL_HASH_SHA384), 48);
	test_unhex(abc_sha256, want, sizeof(want));
	CHECK_EQ_INT(pl_hash_once(PL_HASH_SHA256, (const uint8_t *)"abc", 3, got), PL_OK);
	CHECK_MEM(got, want, 32);
	test_unhex(abc_sha384, want, sizeof(want));
	CHECK_EQ_INT(pl_hash_once(PL_HASH_SHA384, (const uint8_t *)"abc", 3, got), PL_OK);
	CHECK_MEM(got, want, 48);
}

static void hash_incremental_matches_fips_180_abc(void)
{
	uint8_t want[PL_HASH_MAX], got[PL_HASH_MAX];
	pl_hash_t *h = pl_hash_new(PL_HASH_SHA384);

	CHECK(h != NULL);
	if (h == NULL)
		return;
	test_unhex(abc_sha384, want, sizeof(want));
	CHECK_EQ_INT(pl_hash_update(h, (const uint8_t *)"a", 1), PL_OK);
	CHECK_EQ_INT(pl_hash_update(h, NULL, 0), PL_OK);
	CHECK_EQ_INT(pl_hash_update(h, (const uint8_t *)"bc", 2), PL_OK);
	CHECK_EQ_INT(pl_hash_peek(h, got), PL_OK);
	CHECK_MEM(got, want, 48);
	pl_hash_free(h);
}

/* The transcript pattern: peek at a prefix, keep hashing, and the final
 * digest is still the hash of everything. */
static void hash_peek_does_not_end_the_hash(void)
{
	static const uint8_t msg[] = "ClientHello...ServerHello...Finished";
	size_t split = 11, len = sizeof(msg) - 1;
	uint8_t prefix[PL_HASH_MAX], whole[PL_HASH_MAX], got[PL_HASH_MAX];

	for (int alg = PL_HASH_SHA256; alg <= PL_HASH_SHA384; alg++) {
		size_t n = pl_hash_len(alg);
		pl_hash_t *h = pl_hash_new(alg);

		CHECK(h != NULL);
		if (h == NULL)
			return;
		CHECK_EQ_INT(pl_hash_once(alg, msg, split, prefix), PL_OK);
		CHECK_EQ_INT(pl_hash_once(alg, msg, len, whole), PL_OK);
		CHECK_EQ_INT(pl_hash_update(h, msg, split), PL_OK);
		CHECK_EQ_INT(pl_hash_peek(h, got), PL_OK);
		CHECK_MEM(got, prefix, n);
		/* Peeking twice gives the same answer. */
		CHECK_EQ_INT(pl_hash_peek(h, got), PL_OK);
		CHECK_MEM(got, prefix, n);
		CHECK_EQ_INT(pl_hash_update(h, msg + split, len - split), PL_OK);
		CHECK_EQ_INT(pl_hash_peek(h, got), PL_OK);
		CHECK_MEM(got, whole, n);
		pl_hash_free(h);
	}
}

static void hash_dup_forks_the_state(void)
{
	uint8_t a[PL_HASH_MAX], b[PL_HASH_MAX], want[PL_HASH_MAX];
	pl_hash_t *h = pl_hash_new(PL_HASH_SHA256), *copy;

	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK_EQ_INT(pl_hash_update(h, (const uint8_t *)"ab", 2), PL_OK);
	copy = pl_hash_dup(h);
	CHECK(copy != NULL);
	if (copy != NULL) {
		CHECK_EQ_INT(pl_hash_update(h, (const uint8_t *)"c", 1), PL_OK);
		CHECK_EQ_INT(pl_hash_update(copy, (const uint8_t *)"x", 1), PL_OK);
		CHECK_EQ_INT(pl_hash_peek(h, a), PL_OK);
		CHECK_EQ_INT(pl_hash_peek(copy, b), PL_OK);
		test_unhex(abc_sha256, want, sizeof(want));
		CHECK_MEM(a, want, 32);
		CHECK_EQ_INT(pl_hash_once(PL_HASH_SHA256, (const uint8_t *)"abx", 3, want), PL_OK);
		CHECK_MEM(b, want, 32);
	}
	pl_hash_free(copy);
	pl_hash_free(h);
}

static void hash_rejects_unknown_algorithm(void)
{
	uint8_t out[PL_HASH_MAX];

	CHECK(pl_hash_new((pl_hash_alg_t)99) == NULL);
	CHECK_EQ_INT(pl_hash_len((pl_hash_alg_t)99), 0);
	CHECK_EQ_INT(pl_hash_once((pl_hash_alg_t)99, out, 0, out), PL_ERR_ARG);
	pl_hash_free(NULL);
}

static void util_ct_equal_cleanse_random(void)
{
	uint8_t a[64], b[64], zero[64] = { 0 };

	CHECK(pl_crypto_init() == PL_OK);
	CHECK(pl_crypto_init() == PL_OK); /* idempotent */
	CHECK_EQ_INT(pl_random(a, sizeof(a)), PL_OK);
	CHECK_EQ_INT(pl_random(b, sizeof(b)), PL_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0); /* 2^-512 to fail by chance */
	CHECK(pl_ct_equal(a, a, sizeof(a)));
	memcpy(b, a, sizeof(a));
	CHECK(pl_ct_equal(a, b, sizeof(a)));
	b[63] ^= 0x80;
	CHECK(!pl_ct_equal(a, b, sizeof(a)));
	CHECK(pl_ct_equal(a, b, 0));
	pl_cleanse(a, sizeof(a));
	CHECK_MEM(a, zero, sizeof(a));
	pl_cleanse(NULL, 0);
	CHECK_EQ_INT(pl_random(a, 0), PL_OK);
}

static void aes_hw_detection_answers(void)
{
	/* No expected value (it depends on the machine): it must not crash
	 * and must be stable. */
	bool first = pl_crypto_has_aes_hw();

	CHECK(pl_crypto_has_aes_hw() == first);
	printf("# AES instructions: %s\n", first ? "yes" : "no");
}

int main(void)
{
	RUN(hash_once_matches_fips_180_abc);
	RUN(hash_incremental_matches_fips_180_abc);
	RUN(hash_peek_does_not_end_the_hash);
	RUN(hash_dup_forks_the_state);
	RUN(hash_rejects_unknown_algorithm);
	RUN(util_ct_equal_cleanse_random);
	RUN(aes_hw_detection_answers);
	return test_finish();
}
