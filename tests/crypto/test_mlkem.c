/* Tests src/crypto/mlkem.c and mlkem_poly.c: every ML-KEM-768 vector of
 * NIST's ACVP (tests/crypto/data/mlkem/, read with jansson): key
 * generation, encapsulation, decapsulation with implicit rejection; the
 * encapsulation key check (modulus and length); the decapsulation key and
 * ciphertext checks; compression against exact arithmetic for every input;
 * and implicit rejection against SHAKE256 computed by libcrypto. Some of
 * the key generation and encapsulation vectors need more than the three
 * SHAKE128 blocks SampleNTT squeezes first, so its second squeeze is
 * covered by known answers too. */
#include <openssl/evp.h>

#include "crypto/mlkem_internal.h"
#include "padlock/crypto.h"
#include "test.h"
#include "crypto/acvp.h"

static void check_keygen(const json_t *group, const json_t *test)
{
	static uint8_t d[MAX_HEX_BYTES], z[MAX_HEX_BYTES], ek[MAX_HEX_BYTES],
		dk[MAX_HEX_BYTES];
	uint8_t got_ek[PL_MLKEM768_EK_LEN], got_dk[PL_MLKEM768_DK_LEN];
	uint8_t pub[PL_MLKEM768_EK_LEN];
	int tc = (int)json_integer_value(json_object_get(test, "tcId"));
	size_t len = 0;
	pl_mlkem_t *k;

	CHECK(hex_field(test, "d", d) == 32 && hex_field(test, "z", z) == 32);
	CHECK(hex_field(test, "ek", ek) == PL_MLKEM768_EK_LEN);
	CHECK(hex_field(test, "dk", dk) == PL_MLKEM768_DK_LEN);
	CHECK_EQ_INT(pl_mlkem768_keygen_internal(d, z, got_ek, got_dk), PL_OK);
	CHECK_MSG(memcmp(got_ek, ek, sizeof(got_ek)) == 0, "tcId %d: ek", tc);
	CHECK_MSG(memcmp(got_dk, dk, sizeof(got_dk)) == 0, "tcId %d: dk", tc);
	/* the same through the API */
	k = pl_mlkem768_new_from_seed(d, z);
	CHECK(k != NULL);
	if (k != NULL) {
		CHECK_EQ_INT(pl_mlkem768_public(k, pub, sizeof(pub), &len), PL_OK);
		CHECK_EQ_INT(len, PL_MLKEM768_EK_LEN);
		CHECK_MEM(pub, ek, sizeof(pub));
		CHECK_EQ_INT(pl_mlkem768_public(k, pub, sizeof(pub) - 1, &len),
			     PL_ERR_ARG);
	}
	pl_mlkem_free(k);
	(void)group;
}

static void keygen_matches_acvp_vectors(void)
{
	json_t *root = load_vectors("keygen-768.json");

	CHECK_EQ_INT(for_groups(root, NULL, check_keygen), 25);
	json_decref(root);
}

static void check_encaps(const json_t *group, const json_t *test)
{
	static uint8_t ek[MAX_HEX_BYTES], dk[MAX_HEX_BYTES], m[MAX_HEX_BYTES],
		c[MAX_HEX_BYTES], kk[MAX_HEX_BYTES];
	uint8_t ct[PL_MLKEM768_CT_LEN], ss[PL_MLKEM_SS_LEN], ss2[PL_MLKEM_SS_LEN];
	int tc = (int)json_integer_value(json_object_get(test, "tcId"));
	pl_mlkem_t *k;

	CHECK(hex_field(test, "ek", ek) == PL_MLKEM768_EK_LEN);
	CHECK(hex_field(test, "dk", dk) == PL_MLKEM768_DK_LEN);
	CHECK(hex_field(test, "m", m) == 32);
	CHECK(hex_field(test, "c", c) == PL_MLKEM768_CT_LEN);
	CHECK(hex_field(test, "k", kk) == PL_MLKEM_SS_LEN);
	CHECK_EQ_INT(pl_mlkem768_encaps_with(ek, PL_MLKEM768_EK_LEN, m, ct, ss),
		     PL_OK);
	CHECK_MSG(memcmp(ct, c, sizeof(ct)) == 0, "tcId %d: c", tc);
	CHECK_MSG(memcmp(ss, kk, sizeof(ss)) == 0, "tcId %d: k", tc);
	/* and the vector's dk decapsulates it to the same k */
	k = pl_mlkem768_new_from_private(dk, PL_MLKEM768_DK_LEN);
	CHECK(k != NULL);
	if (k != NULL) {
		CHECK_EQ_INT(pl_mlkem768_decaps(k, c, PL_MLKEM768_CT_LEN, ss2),
			     PL_OK);
		CHECK_MSG(memcmp(ss2, kk, sizeof(ss2)) == 0, "tcId %d: decaps", tc);
	}
	pl_mlkem_free(k);
	(void)group;
}

static void encaps_matches_acvp_vectors(void)
{
	json_t *root = load_vectors("encapdecap-768.json");

	CHECK_EQ_INT(for_groups(root, "encapsulation", check_encaps), 25);
	json_decref(root);
}

static int decaps_modified, decaps_unmodified;

static void check_decaps(const json_t *group, const json_t *test)
{
	static uint8_t dk[MAX_HEX_BYTES], c[MAX_HEX_BYTES], kk[MAX_HEX_BYTES];
	uint8_t ss[PL_MLKEM_SS_LEN], z_c[32 + PL_MLKEM768_CT_LEN], j[32];
	int tc = (int)json_integer_value(json_object_get(test, "tcId"));
	const char *reason = json_string_value(json_object_get(test, "reason"));
	pl_mlkem_t *k;

	CHECK(hex_field(group, "dk", dk) == PL_MLKEM768_DK_LEN);
	CHECK(hex_field(test, "c", c) == PL_MLKEM768_CT_LEN);
	CHECK(hex_field(test, "k", kk) == PL_MLKEM_SS_LEN);
	CHECK(reason != NULL);
	k = pl_mlkem768_new_from_private(dk, PL_MLKEM768_DK_LEN);
	CHECK(k != NULL);
	if (k == NULL || reason == NULL) {
		pl_mlkem_free(k);
		return;
	}
	CHECK_EQ_INT(pl_mlkem768_decaps(k, c, PL_MLKEM768_CT_LEN, ss), PL_OK);
	CHECK_MSG(memcmp(ss, kk, sizeof(ss)) == 0, "tcId %d (%s): k", tc, reason);
	/* Implicit rejection gives exactly J(z || c), computed here by
	 * libcrypto's SHAKE256; an accepted ciphertext gives something else. */
	memcpy(z_c, dk + MLKEM_DK_Z_OFFSET, 32);
	memcpy(z_c + 32, c, PL_MLKEM768_CT_LEN);
	CHECK(EVP_Digest(z_c, sizeof(z_c), j, NULL, EVP_shake256(), NULL) == 1);
	if (strcmp(reason, "modify ciphertext") == 0) {
		decaps_modified++;
		CHECK_MSG(memcmp(ss, j, 32) == 0, "tcId %d: not J(z || c)", tc);
	} else {
		CHECK(strcmp(reason, "no modification") == 0);
		decaps_unmodified++;
		CHECK_MSG(memcmp(ss, j, 32) != 0, "tcId %d: rejected", tc);
	}
	pl_mlkem_free(k);
}

static void decaps_matches_acvp_vectors_with_implicit_rejection(void)
{
	json_t *root = load_vectors("encapdecap-768.json");

	CHECK_EQ_INT(for_groups(root, "decapsulation", check_decaps), 10);
	CHECK_EQ_INT(decaps_modified, 5);
	CHECK_EQ_INT(decaps_unmodified, 5);
	json_decref(root);
}

/* Sets the 12-bit coefficient number i of ek to value. */
static void set_coefficient(uint8_t *ek, size_t i, uint16_t value)
{
	uint8_t *p = ek + 3 * (i / 2);

	if (i % 2 == 0) {
		p[0] = (uint8_t)value;
		p[1] = (uint8_t)((p[1] & 0xf0) | (value >> 8));
	} else {
		p[1] = (uint8_t)((p[1] & 0x0f) | (value << 4));
		p[2] = (uint8_t)(value >> 4);
	}
}

static void check_ek_modulus(const json_t *group, const json_t *test)
{
	static const size_t positions[] = { 0, 1, 255, 256, 511, 512, 767 };
	static const uint16_t bad[] = { 3329, 3330, 4095 };
	static uint8_t ek[MAX_HEX_BYTES];
	uint8_t bent[PL_MLKEM768_EK_LEN], m[32] = { 1 };
	uint8_t ct[PL_MLKEM768_CT_LEN], ss[PL_MLKEM_SS_LEN];

	CHECK(hex_field(test, "ek", ek) == PL_MLKEM768_EK_LEN);
	CHECK(pl_mlkem768_ek_check(ek));
	for (size_t p = 0; p < sizeof(positions) / sizeof(positions[0]); p++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			memcpy(bent, ek, sizeof(bent));
			set_coefficient(bent, positions[p], bad[b]);
			memset(ct, 0xa5, sizeof(ct));
			memset(ss, 0xa5, sizeof(ss));
			CHECK(!pl_mlkem768_ek_check(bent));
			CHECK_EQ_INT(pl_mlkem768_encaps(bent, sizeof(bent), ct, ss),
				     PL_ERR_DECODE);
			CHECK_EQ_INT(pl_mlkem768_encaps_with(bent, sizeof(bent),
							     m, ct, ss),
				     PL_ERR_DECODE);
			/* nothing written on refusal */
			CHECK(ct[0] == 0xa5 && ct[sizeof(ct) - 1] == 0xa5);
			CHECK(ss[0] == 0xa5 && ss[sizeof(ss) - 1] == 0xa5);
		}
		/* q - 1 is the largest value allowed */
		memcpy(bent, ek, sizeof(bent));
		set_coefficient(bent, positions[p], MLKEM_Q - 1);
		CHECK(pl_mlkem768_ek_check(bent));
		CHECK_EQ_INT(pl_mlkem768_encaps(bent, sizeof(bent), ct, ss), PL_OK);
	}
	/* the seed rho is not a coefficient: any bytes pass */
	memcpy(bent, ek, sizeof(bent));
	memset(bent + 1152, 0xff, 32);
	CHECK(pl_mlkem768_ek_check(bent));
	(void)group;
}

static void encaps_refuses_ek_with_a_coefficient_not_below_q(void)
{
	json_t *root = load_vectors("encapdecap-768.json");

	CHECK_EQ_INT(for_groups(root, "encapsulation", check_ek_modulus), 25);
	json_decref(root);
}

static void encaps_and_decaps_refuse_wrong_lengths(void)
{
	static const size_t ek_lengths[] = { 0, 1, 1152, 1183, 1185, 1216, 2400 };
	static const size_t ct_lengths[] = { 0, 1, 1087, 1089, 1120 };
	uint8_t buf[4096] = { 0 }, ct[PL_MLKEM768_CT_LEN], ss[PL_MLKEM_SS_LEN];
	pl_mlkem_t *k = pl_mlkem768_new();

	CHECK(k != NULL);
	for (size_t i = 0; i < sizeof(ek_lengths) / sizeof(ek_lengths[0]); i++)
		CHECK_EQ_INT(pl_mlkem768_encaps(buf, ek_lengths[i], ct, ss),
			     PL_ERR_DECODE);
	CHECK_EQ_INT(pl_mlkem768_encaps(NULL, PL_MLKEM768_EK_LEN, ct, ss),
		     PL_ERR_DECODE);
	for (size_t i = 0; k != NULL && i < sizeof(ct_lengths) / sizeof(ct_lengths[0]); i++)
		CHECK_EQ_INT(pl_mlkem768_decaps(k, buf, ct_lengths[i], ss),
			     PL_ERR_DECODE);
	pl_mlkem_free(k);
}

/* FIPS 203 7.3: a dk whose stored H(ek) does not match its ek, or of the
 * wrong length, is refused. */
static void new_from_private_refuses_a_bad_decapsulation_key(void)
{
	uint8_t d[32] = { 3 }, z[32] = { 4 }, ek[PL_MLKEM768_EK_LEN];
	uint8_t dk[PL_MLKEM768_DK_LEN];
	pl_mlkem_t *k;

	CHECK_EQ_INT(pl_mlkem768_keygen_internal(d, z, ek, dk), PL_OK);
	CHECK_EQ_INT(pl_mlkem768_dk_check(dk), PL_OK);
	k = pl_mlkem768_new_from_private(dk, sizeof(dk));
	CHECK(k != NULL);
	pl_mlkem_free(k);
	CHECK(pl_mlkem768_new_from_private(dk, sizeof(dk) - 1) == NULL);
	CHECK(pl_mlkem768_new_from_private(NULL, sizeof(dk)) == NULL);
	dk[MLKEM_DK_EK_OFFSET + 100] ^= 1; /* ek changed, hash not */
	CHECK_EQ_INT(pl_mlkem768_dk_check(dk), PL_ERR_DECODE);
	CHECK(pl_mlkem768_new_from_private(dk, sizeof(dk)) == NULL);
	dk[MLKEM_DK_EK_OFFSET + 100] ^= 1;
	dk[MLKEM_DK_HASH_OFFSET + 31] ^= 0x80; /* the hash itself changed */
	CHECK(pl_mlkem768_new_from_private(dk, sizeof(dk)) == NULL);
	pl_cleanse(dk, sizeof(dk));
}

/* Compress_d and Decompress_d against their definitions in exact integer
 * arithmetic (round half up, never reached for odd q), for every input. */
static void compression_matches_exact_rounding_for_every_input(void)
{
	int wrong = 0;

	for (unsigned d = 1; d <= 11; d++) {
		for (uint32_t x = 0; x < MLKEM_Q; x++) {
			uint32_t want = ((x << (d + 1)) + MLKEM_Q) / (2 * MLKEM_Q);

			want &= (1u << d) - 1;
			wrong += pl_mlkem_compress((uint16_t)x, d) != want;
		}
		for (uint32_t y = 0; y < (1u << d); y++) {
			uint32_t want = (2 * MLKEM_Q * y + (1u << d)) / (2u << d);
			uint16_t back;

			wrong += pl_mlkem_decompress((uint16_t)y, d) != want;
			/* FIPS 203 4.2.1: Compress(Decompress(y)) = y */
			back = pl_mlkem_compress(pl_mlkem_decompress((uint16_t)y, d), d);
			wrong += back != y;
		}
	}
	CHECK_EQ_INT(wrong, 0);
}

/* Fresh keys through the public API: both sides agree; a ciphertext for
 * another key, or with any one bit flipped, gives a different secret. */
static void fresh_keys_agree_and_tampering_changes_the_secret(void)
{
	uint8_t ek[PL_MLKEM768_EK_LEN], ct[PL_MLKEM768_CT_LEN];
	uint8_t ss[PL_MLKEM_SS_LEN], ss2[PL_MLKEM_SS_LEN], ss3[PL_MLKEM_SS_LEN];
	size_t len = 0;

	for (int round = 0; round < 20; round++) {
		pl_mlkem_t *k = pl_mlkem768_new(), *other = pl_mlkem768_new();

		CHECK(k != NULL && other != NULL);
		if (k == NULL || other == NULL) {
			pl_mlkem_free(k);
			pl_mlkem_free(other);
			return;
		}
		CHECK_EQ_INT(pl_mlkem768_public(k, ek, sizeof(ek), &len), PL_OK);
		CHECK_EQ_INT(pl_mlkem768_encaps(ek, len, ct, ss), PL_OK);
		CHECK_EQ_INT(pl_mlkem768_decaps(k, ct, sizeof(ct), ss2), PL_OK);
		CHECK_MEM(ss, ss2, sizeof(ss));
		CHECK_EQ_INT(pl_mlkem768_decaps(other, ct, sizeof(ct), ss3), PL_OK);
		CHECK(memcmp(ss, ss3, sizeof(ss)) != 0);
		ct[(size_t)round * 53 % sizeof(ct)] ^= (uint8_t)(1u << (round % 8));
		CHECK_EQ_INT(pl_mlkem768_decaps(k, ct, sizeof(ct), ss3), PL_OK);
		CHECK(memcmp(ss, ss3, sizeof(ss)) != 0);
		pl_mlkem_free(k);
		pl_mlkem_free(other);
	}
}

int main(void)
{
	RUN(keygen_matches_acvp_vectors);
	RUN(encaps_matches_acvp_vectors);
	RUN(decaps_matches_acvp_vectors_with_implicit_rejection);
	RUN(encaps_refuses_ek_with_a_coefficient_not_below_q);
	RUN(encaps_and_decaps_refuse_wrong_lengths);
	RUN(new_from_private_refuses_a_bad_decapsulation_key);
	RUN(compression_matches_exact_rounding_for_every_input);
	RUN(fresh_keys_agree_and_tampering_changes_the_secret);
	return test_finish();
}
