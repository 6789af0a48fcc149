/* Tests src/crypto/kex.c: X25519 and ECDH known answers, agreement between
 * two key pairs, and refusal of bad peer keys. */
#include "padlock/crypto.h"
#include "test.h"

static pl_kex_t *from_hex(uint16_t group, const char *hex)
{
	uint8_t priv[64];
	size_t len = test_unhex(hex, priv, sizeof(priv));

	return pl_kex_new_from_private(group, priv, len);
}

/* Checks that k's public key is the hex string want. */
static void check_public(const pl_kex_t *k, const char *want_hex)
{
	uint8_t want[PL_KEX_PUBLIC_MAX], got[PL_KEX_PUBLIC_MAX];
	size_t want_len = test_unhex(want_hex, want, sizeof(want)), len = 0;

	CHECK_EQ_INT(pl_kex_public(k, got, sizeof(got), &len), PL_OK);
	CHECK_EQ_INT(len, want_len);
	CHECK_MEM(got, want, want_len);
}

/* Checks that k and the peer public key peer_hex give the secret want. */
static void check_derive(pl_kex_t *k, const char *peer_hex, const char *want_hex)
{
	uint8_t peer[PL_KEX_PUBLIC_MAX], want[PL_KEX_SECRET_MAX];
	uint8_t got[PL_KEX_SECRET_MAX];
	size_t peer_len = test_unhex(peer_hex, peer, sizeof(peer));
	size_t want_len = test_unhex(want_hex, want, sizeof(want)), len = 0;

	CHECK_EQ_INT(pl_kex_derive(k, peer, peer_len, got, sizeof(got), &len), PL_OK);
	CHECK_EQ_INT(len, want_len);
	CHECK_MEM(got, want, want_len);
}

/* RFC 7748 6.1: Alice and Bob. */
static void x25519_matches_rfc7748_section_6_1(void)
{
	static const char alice_pub[] =
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	static const char bob_pub[] =
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
	static const char shared[] =
		"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	pl_kex_t *alice = from_hex(PL_GROUP_X25519,
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	pl_kex_t *bob = from_hex(PL_GROUP_X25519,
		"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");

	CHECK(alice != NULL && bob != NULL);
	if (alice != NULL && bob != NULL) {
		CHECK_EQ_INT(pl_kex_group(alice), PL_GROUP_X25519);
		check_public(alice, alice_pub);
		check_public(bob, bob_pub);
		check_derive(alice, bob_pub, shared);
		check_derive(bob, alice_pub, shared);
	}
	pl_kex_free(alice);
	pl_kex_free(bob);
}

/* RFC 7748 5.2: the first single-step test vector (scalar times u). */
static void x25519_matches_rfc7748_section_5_2(void)
{
	pl_kex_t *k = from_hex(PL_GROUP_X25519,
		"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");

	CHECK(k != NULL);
	if (k != NULL)
		check_derive(k,
			"e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
			"c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	pl_kex_free(k);
}

/* RFC 8448 section 3: the client's key pair, the server's key share, and
 * the (EC)DHE input to the handshake secret ("IKM" of the extract). */
static void x25519_matches_rfc8448_simple_1rtt(void)
{
	pl_kex_t *client = from_hex(PL_GROUP_X25519,
		"49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005");

	CHECK(client != NULL);
	if (client != NULL) {
		check_public(client,
			"99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c");
		check_derive(client,
			"c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f",
			"8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
	}
	pl_kex_free(client);
}

/* RFC 6979 A.2.5 (P-256) and A.2.6 (P-384) publish key pairs: the scalar
 * x and the public point (Ux, Uy). */
static void ec_public_key_from_private_matches_rfc6979(void)
{
	pl_kex_t *p256 = from_hex(PL_GROUP_SECP256R1,
		"C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
	pl_kex_t *p384 = from_hex(PL_GROUP_SECP384R1,
		"6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D8"
		"96D5724E4C70A825F872C9EA60D2EDF5");

	CHECK(p256 != NULL && p384 != NULL);
	if (p256 != NULL)
		check_public(p256, "04"
			"60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
			"7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
	if (p384 != NULL)
		check_public(p384, "04"
			"EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64"
			"DEF8F0EA9055866064A254515480BC13"
			"8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1"
			"288B231C3AE0D4FE7344FD2533264720");
	pl_kex_free(p256);
	pl_kex_free(p384);
}

/* Two fresh key pairs agree on the secret, for every group. */
static void fresh_key_pairs_agree(void)
{
	static const uint16_t groups[] = { PL_GROUP_X25519, PL_GROUP_SECP256R1,
					   PL_GROUP_SECP384R1 };
	static const size_t public_len[] = { 32, 65, 97 };
	static const size_t secret_len[] = { 32, 32, 48 };

	for (size_t i = 0; i < 3; i++) {
		pl_kex_t *a = pl_kex_new(groups[i]), *b = pl_kex_new(groups[i]);
		uint8_t pa[PL_KEX_PUBLIC_MAX], pb[PL_KEX_PUBLIC_MAX];
		uint8_t sa[PL_KEX_SECRET_MAX], sb[PL_KEX_SECRET_MAX];
		size_t la = 0, lb = 0, ka = 0, kb = 0;

		CHECK(pl_kex_supported(groups[i]));
		CHECK(a != NULL && b != NULL);
		if (a == NULL || b == NULL) {
			pl_kex_free(a);
			pl_kex_free(b);
			continue;
		}
		CHECK_EQ_INT(pl_kex_public(a, pa, sizeof(pa), &la), PL_OK);
		CHECK_EQ_INT(pl_kex_public(b, pb, sizeof(pb), &lb), PL_OK);
		CHECK_EQ_INT(la, public_len[i]);
		CHECK(la == lb && memcmp(pa, pb, la) != 0);
		if (groups[i] != PL_GROUP_X25519)
			CHECK_EQ_INT(pa[0], 0x04);
		CHECK_EQ_INT(pl_kex_derive(a, pb, lb, sa, sizeof(sa), &ka), PL_OK);
		CHECK_EQ_INT(pl_kex_derive(b, pa, la, sb, sizeof(sb), &kb), PL_OK);
		CHECK_EQ_INT(ka, secret_len[i]);
		CHECK(ka == kb && memcmp(sa, sb, ka) == 0);
		/* Too small a buffer for the public key or the secret. */
		CHECK_EQ_INT(pl_kex_public(a, pa, la - 1, &la), PL_ERR_ARG);
		CHECK_EQ_INT(pl_kex_derive(a, pb, lb, sa, secret_len[i] - 1, &ka),
			     PL_ERR_ARG);
		pl_kex_free(a);
		pl_kex_free(b);
	}
}

/* Derives with a bad peer key; expects PL_ERR_DECODE. */
static void check_rejected(pl_kex_t *k, const uint8_t *peer, size_t len,
			   const char *what)
{
	uint8_t secret[PL_KEX_SECRET_MAX];
	size_t secret_len = 0;

	CHECK_MSG(pl_kex_derive(k, peer, len, secret, sizeof(secret),
				&secret_len) == PL_ERR_DECODE, "%s", what);
}

static void ec_rejects_bad_points(void)
{
	static const uint16_t groups[] = { PL_GROUP_SECP256R1, PL_GROUP_SECP384R1 };

	for (size_t i = 0; i < 2; i++) {
		pl_kex_t *k = pl_kex_new(groups[i]), *peer = pl_kex_new(groups[i]);
		uint8_t pub[PL_KEX_PUBLIC_MAX + 1], bad[PL_KEX_PUBLIC_MAX + 1];
		uint8_t secret[PL_KEX_SECRET_MAX];
		size_t len = 0, secret_len;

		CHECK(k != NULL && peer != NULL);
		if (k == NULL || peer == NULL) {
			pl_kex_free(k);
			pl_kex_free(peer);
			continue;
		}
		CHECK_EQ_INT(pl_kex_public(peer, pub, sizeof(pub), &len), PL_OK);

		memcpy(bad, pub, len);
		bad[len - 1] ^= 0x01; /* y no longer matches x */
		check_rejected(k, bad, len, "off-curve point");
		memcpy(bad, pub, len);
		bad[0] = 0x02; /* compressed form: not allowed in TLS 1.3 */
		check_rejected(k, bad, (len + 1) / 2, "compressed point");
		check_rejected(k, bad, len, "0x02 prefix on a full point");
		memset(bad, 0, len);
		bad[0] = 0x04; /* (0, 0) is not on the curve */
		check_rejected(k, bad, len, "all-zero coordinates");
		bad[0] = 0x00;
		check_rejected(k, bad, 1, "point at infinity");
		check_rejected(k, pub, len - 1, "truncated point");
		memcpy(bad, pub, len);
		bad[len] = 0;
		check_rejected(k, bad, len + 1, "trailing byte");
		check_rejected(k, pub, 0, "empty");
		/* x = p: coordinates must be smaller than the field prime; every
		 * byte 0xff is above p on both curves. */
		memset(bad + 1, 0xff, len - 1);
		check_rejected(k, bad, len, "coordinates above the prime");

		/* After all that, the good key still works. */
		CHECK_EQ_INT(pl_kex_derive(k, pub, len, secret, sizeof(secret),
					   &secret_len), PL_OK);
		pl_kex_free(k);
		pl_kex_free(peer);
	}
}

/* RFC 7748 6.1 and RFC 8446 7.4.2: a peer key of small order gives the
 * all-zero secret, which must be refused. */
static void x25519_rejects_small_order_keys(void)
{
	pl_kex_t *k = pl_kex_new(PL_GROUP_X25519);
	uint8_t zero[32] = { 0 }, one[32] = { 1 }, pub[32];

	CHECK(k != NULL);
	if (k == NULL)
		return;
	check_rejected(k, zero, 32, "u = 0");
	check_rejected(k, one, 32, "u = 1");
	/* p - 1 = 2^255 - 20, little-endian: a point of order 2. */
	memset(pub, 0xff, 32);
	pub[0] = 0xec;
	pub[31] = 0x7f;
	check_rejected(k, pub, 32, "u = p - 1");
	check_rejected(k, zero, 31, "short key");
	check_rejected(k, zero, 33, "long key");
	pl_kex_free(k);
}

static void kex_refuses_unknown_groups_and_bad_scalars(void)
{
	uint8_t zero[48] = { 0 }, ff[48];

	memset(ff, 0xff, sizeof(ff));
	CHECK(!pl_kex_supported(0x0019)); /* secp521r1 */
	CHECK(!pl_kex_supported(0x0100)); /* ffdhe2048 */
	CHECK(pl_kex_new(0x0019) == NULL);
	CHECK(pl_kex_new_from_private(0x0019, zero, 32) == NULL);
	/* EC scalars must lie in [1, n-1] and have the curve's length. */
	CHECK(pl_kex_new_from_private(PL_GROUP_SECP256R1, zero, 32) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_SECP256R1, ff, 32) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_SECP384R1, ff, 48) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_SECP256R1, ff, 31) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_X25519, ff, 31) == NULL);
	pl_kex_free(NULL);
}

int main(void)
{
	RUN(x25519_matches_rfc7748_section_6_1);
	RUN(x25519_matches_rfc7748_section_5_2);
	RUN(x25519_matches_rfc8448_simple_1rtt);
	RUN(ec_public_key_from_private_matches_rfc6979);
	RUN(fresh_key_pairs_agree);
	RUN(ec_rejects_bad_points);
	RUN(x25519_rejects_small_order_keys);
	RUN(kex_refuses_unknown_groups_and_bad_scalars);
	return test_finish();
}
