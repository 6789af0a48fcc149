/* Tests src/crypto/kex.c: X25519, ECDH and FFDHE known answers, agreement
 * between two key pairs in every group, and refusal of bad peer keys
 * (empty, wrong length, off the curve, all-zero X25519 / X448 results, DH
 * values outside 2..p-2 of the RFC 7919 primes). */
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

static const uint16_t all_groups[] = {
	PL_GROUP_X25519,    PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	PL_GROUP_SECP521R1, PL_GROUP_X448,      PL_GROUP_FFDHE2048,
	PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
};
/* RFC 8446 4.2.8: the key_share lengths; 7.4: the shared secret's. */
static const size_t share_len[] = { 32, 65, 97, 133, 56, 256, 384, 512 };
static const size_t dhe_len[] = { 32, 32, 48, 66, 56, 256, 384, 512 };
#define ALL_GROUPS (sizeof(all_groups) / sizeof(all_groups[0]))

static bool is_ec(uint16_t group)
{
	return group >= PL_GROUP_SECP256R1 && group <= PL_GROUP_SECP521R1;
}

/* Two fresh key pairs agree on the secret, for every group. */
static void fresh_key_pairs_agree(void)
{
	for (size_t i = 0; i < ALL_GROUPS; i++) {
		pl_kex_t *a = pl_kex_new(all_groups[i]), *b = pl_kex_new(all_groups[i]);
		uint8_t pa[PL_KEX_PUBLIC_MAX], pb[PL_KEX_PUBLIC_MAX];
		uint8_t sa[PL_KEX_SECRET_MAX], sb[PL_KEX_SECRET_MAX];
		size_t la = 0, lb = 0, ka = 0, kb = 0;

		CHECK(pl_kex_supported(all_groups[i]));
		CHECK_EQ_INT(pl_kex_is_ffdhe(all_groups[i]),
			     all_groups[i] >= PL_GROUP_FFDHE2048);
		CHECK_MSG(a != NULL && b != NULL, "group %04x", all_groups[i]);
		if (a == NULL || b == NULL) {
			pl_kex_free(a);
			pl_kex_free(b);
			continue;
		}
		CHECK_EQ_INT(pl_kex_group(a), all_groups[i]);
		CHECK_EQ_INT(pl_kex_public(a, pa, sizeof(pa), &la), PL_OK);
		CHECK_EQ_INT(pl_kex_public(b, pb, sizeof(pb), &lb), PL_OK);
		CHECK_EQ_INT(la, share_len[i]);
		CHECK(la == lb && memcmp(pa, pb, la) != 0);
		if (is_ec(all_groups[i]))
			CHECK_EQ_INT(pa[0], 0x04);
		CHECK_EQ_INT(pl_kex_derive(a, pb, lb, sa, sizeof(sa), &ka), PL_OK);
		CHECK_EQ_INT(pl_kex_derive(b, pa, la, sb, sizeof(sb), &kb), PL_OK);
		CHECK_EQ_INT(ka, dhe_len[i]);
		CHECK(ka == kb && memcmp(sa, sb, ka) == 0);
		/* Too small a buffer for the public key or the secret. */
		CHECK_EQ_INT(pl_kex_public(a, pa, la - 1, &la), PL_ERR_ARG);
		CHECK_EQ_INT(pl_kex_derive(a, pb, lb, sa, dhe_len[i] - 1, &ka),
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
	static const uint16_t groups[] = { PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
					   PL_GROUP_SECP521R1 };

	for (size_t i = 0; i < 3; i++) {
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
		 * byte 0xff is above p on all three curves. */
		memset(bad + 1, 0xff, len - 1);
		check_rejected(k, bad, len, "coordinates above the prime");

		/* After all that, the good key still works. */
		CHECK_EQ_INT(pl_kex_derive(k, pub, len, secret, sizeof(secret),
					   &secret_len), PL_OK);
		pl_kex_free(k);
		pl_kex_free(peer);
	}
}

/* RFC 7748 6 and RFC 8446 7.4.2: a peer key of small order gives the
 * all-zero secret, which must be refused, as must keys of the wrong
 * length; a good key still works afterwards. */
static void check_montgomery_rejects(uint16_t group, size_t n)
{
	pl_kex_t *k = pl_kex_new(group), *peer = pl_kex_new(group);
	uint8_t zero[57] = { 0 }, one[56] = { 1 }, pub[56], secret[56];
	size_t len = 0;

	CHECK(k != NULL && peer != NULL);
	if (k == NULL || peer == NULL) {
		pl_kex_free(k);
		pl_kex_free(peer);
		return;
	}
	check_rejected(k, zero, n, "u = 0");
	check_rejected(k, one, n, "u = 1");
	/* p - 1, little-endian, a point of order 2: 2^255 - 20 for X25519,
	 * 2^448 - 2^224 - 2 for X448. */
	memset(pub, 0xff, n);
	if (n == 32) {
		pub[0] = 0xec;
		pub[31] = 0x7f;
	} else {
		pub[0] = 0xfe;
		pub[28] = 0xfe;
	}
	check_rejected(k, pub, n, "u = p - 1");
	check_rejected(k, zero, n - 1, "short key");
	check_rejected(k, zero, n + 1, "long key");
	check_rejected(k, zero, 0, "empty key");
	CHECK_EQ_INT(pl_kex_public(peer, pub, sizeof(pub), &len), PL_OK);
	CHECK_EQ_INT(pl_kex_derive(k, pub, len, secret, sizeof(secret), &len),
		     PL_OK);
	pl_kex_free(k);
	pl_kex_free(peer);
}

static void x25519_rejects_small_order_keys(void)
{
	check_montgomery_rejects(PL_GROUP_X25519, 32);
}

/* RFC 7748 6.2's vectors are not in this pack; test_openssl_peer.c checks
 * X448 against openssl. */
static void x448_rejects_small_order_and_misshapen_keys(void)
{
	check_montgomery_rejects(PL_GROUP_X448, 56);
}

/* The primes of RFC 7919 appendix A, as the RFC prints them. */
static const char ffdhe2048_p[] =
	"FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
	"A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
	"D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
	"984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
	"BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
	"AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
	"9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
	"C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF";
static const char ffdhe3072_p[] =
	"FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
	"A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
	"D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
	"984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
	"BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
	"AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
	"9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
	"C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
	"BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
	"AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
	"5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
	"0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF";
static const char ffdhe4096_p[] =
	"FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
	"A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
	"D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
	"984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
	"BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
	"AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
	"9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
	"C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
	"BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
	"AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
	"5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
	"0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
	"7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A"
	"7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038"
	"092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
	"8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF";

static const char *const ffdhe_primes[] = { ffdhe2048_p, ffdhe3072_p,
					    ffdhe4096_p };
static const uint16_t ffdhe_groups[] = { PL_GROUP_FFDHE2048,
					 PL_GROUP_FFDHE3072,
					 PL_GROUP_FFDHE4096 };

/* *v (len bytes, big-endian) -= d, for small d. */
static void sub_small(uint8_t *v, size_t len, unsigned d)
{
	for (size_t i = len; i-- > 0 && d > 0;) {
		unsigned x = v[i];
		v[i] = (uint8_t)(x - d);
		d = x < d ? 1 : 0;
	}
}

/* A big-endian value of len bytes that is small: zeros, then v. */
static void small_value(uint8_t *out, size_t len, unsigned v)
{
	memset(out, 0, len);
	out[len - 1] = (uint8_t)v;
}

/* With private exponents 2 and 3 (g = 2): public values 4 and 8, the
 * shared secret 2^6 = 64, each padded with zeros to the size of p (RFC
 * 8446 4.2.8.1, 7.4.1). */
static void ffdhe_pads_public_values_and_secret_to_p(void)
{
	for (size_t i = 0; i < 3; i++) {
		uint8_t two = 2, three = 3;
		uint8_t pub[PL_KEX_PUBLIC_MAX], want[PL_KEX_PUBLIC_MAX];
		uint8_t secret[PL_KEX_SECRET_MAX];
		size_t n = share_len[5 + i], len = 0;
		pl_kex_t *a = pl_kex_new_from_private(ffdhe_groups[i], &two, 1);
		pl_kex_t *b = pl_kex_new_from_private(ffdhe_groups[i], &three, 1);

		CHECK(a != NULL && b != NULL);
		if (a != NULL && b != NULL) {
			CHECK_EQ_INT(pl_kex_public(a, pub, sizeof(pub), &len), PL_OK);
			small_value(want, n, 4);
			CHECK(len == n && memcmp(pub, want, n) == 0);
			CHECK_EQ_INT(pl_kex_public(b, pub, sizeof(pub), &len), PL_OK);
			small_value(want, n, 8);
			CHECK(len == n && memcmp(pub, want, n) == 0);
			CHECK_EQ_INT(pl_kex_derive(a, pub, len, secret,
						   sizeof(secret), &len), PL_OK);
			small_value(want, n, 64);
			CHECK(len == n && memcmp(secret, want, n) == 0);
		}
		pl_kex_free(a);
		pl_kex_free(b);
	}
}

/* RFC 8446 4.2.8.1: a DH share is 1 < Y < p - 1 (so 2..p-2), exactly the
 * size of p. The bounds are taken from RFC 7919's primes: accepting p - 2
 * and refusing p - 1 shows the group is the RFC's. */
static void ffdhe_accepts_only_2_to_p_minus_2(void)
{
	for (size_t i = 0; i < 3; i++) {
		uint8_t p[512], v[513];
		size_t n = test_unhex(ffdhe_primes[i], p, sizeof(p));
		uint8_t secret[PL_KEX_SECRET_MAX];
		size_t len = 0;
		pl_kex_t *k = pl_kex_new(ffdhe_groups[i]);

		CHECK_EQ_INT(n, share_len[5 + i]);
		CHECK(k != NULL);
		if (k == NULL)
			continue;
		small_value(v, n, 0);
		check_rejected(k, v, n, "Y = 0");
		small_value(v, n, 1);
		check_rejected(k, v, n, "Y = 1");
		memcpy(v, p, n);
		check_rejected(k, v, n, "Y = p");
		sub_small(v, n, 1);
		check_rejected(k, v, n, "Y = p - 1");
		memset(v, 0xff, n);
		check_rejected(k, v, n, "Y = 2^bits - 1 > p");
		small_value(v, n, 2);
		check_rejected(k, v, n - 1, "one byte short");
		check_rejected(k, v + 1, n - 1, "unpadded");
		v[n] = 0;
		check_rejected(k, v, n + 1, "one byte long");
		check_rejected(k, v, 0, "empty");
		CHECK_EQ_INT(pl_kex_derive(k, v, n, secret, sizeof(secret), &len),
			     PL_OK);
		memcpy(v, p, n);
		sub_small(v, n, 2);
		CHECK_MSG(pl_kex_derive(k, v, n, secret, sizeof(secret), &len) ==
				  PL_OK,
			  "Y = p - 2 of RFC 7919's ffdhe%zu refused", n * 8);
		/* Exponents outside 1..p-1 make no key. */
		CHECK(pl_kex_new_from_private(ffdhe_groups[i], p, n) == NULL);
		pl_kex_free(k);
	}
}

static void kex_refuses_unknown_groups_and_bad_scalars(void)
{
	uint8_t zero[48] = { 0 }, ff[48];

	memset(ff, 0xff, sizeof(ff));
	CHECK(!pl_kex_supported(0x0016)); /* secp256k1 */
	CHECK(!pl_kex_supported(0x0103)); /* ffdhe6144 */
	CHECK(!pl_kex_is_ffdhe(0x0103));
	CHECK(pl_kex_new(0x0103) == NULL);
	CHECK(pl_kex_new_from_private(0x0016, zero, 32) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_X448, ff, 55) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_SECP521R1, ff, 66) == NULL);
	CHECK(pl_kex_new_from_private(PL_GROUP_FFDHE2048, zero, 32) == NULL);
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
	RUN(x448_rejects_small_order_and_misshapen_keys);
	RUN(ffdhe_pads_public_values_and_secret_to_p);
	RUN(ffdhe_accepts_only_2_to_p_minus_2);
	RUN(kex_refuses_unknown_groups_and_bad_scalars);
	return test_finish();
}
