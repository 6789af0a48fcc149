/* Tests src/crypto/hybrid.c, X25519MLKEM768 (RFC 10024): shares and secret
 * in RFC 10024's order, checked against known answers built from the ACVP
 * ML-KEM-768 vectors (tests/crypto/data/mlkem/) and RFC 7748 6.1's X25519
 * exchange; agreement with fresh keys; and refusal (PL_ERR_DECODE, the
 * engine's illegal_parameter) of shares of any wrong length, of an
 * encapsulation key that fails the modulus check, and of a small-order
 * X25519 point. */
#include "crypto/acvp.h"
#include "crypto/mlkem_internal.h"
#include "padlock/crypto.h"
#include "test.h"

/* RFC 7748 6.1 */
static const char alice_private[] =
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char alice_public[] =
	"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char bob_private[] =
	"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char bob_public[] =
	"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char x25519_shared[] =
	"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

static void unhex32(const char *hex, uint8_t out[32])
{
	CHECK_EQ_INT(test_unhex(hex, out, 32), 32);
}

/* Server: the client share is an ACVP ek || Alice's X25519 key; with the
 * vector's m and Bob's private key the server's share must be the
 * vector's c || Bob's public key, the secret the vector's k || the RFC
 * 7748 shared secret. */
static void check_server_known_answer(const json_t *group, const json_t *test)
{
	static uint8_t ek[MAX_HEX_BYTES], m[MAX_HEX_BYTES], c[MAX_HEX_BYTES],
		k[MAX_HEX_BYTES];
	uint8_t client[PL_HYBRID_CLIENT_SHARE_LEN], x[32], bob[32];
	uint8_t share[PL_HYBRID_SERVER_SHARE_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t share_len = 0, secret_len = 0;
	int tc = (int)json_integer_value(json_object_get(test, "tcId"));

	CHECK(hex_field(test, "ek", ek) == PL_MLKEM768_EK_LEN);
	CHECK(hex_field(test, "m", m) == 32);
	CHECK(hex_field(test, "c", c) == PL_MLKEM768_CT_LEN);
	CHECK(hex_field(test, "k", k) == PL_MLKEM_SS_LEN);
	memcpy(client, ek, PL_MLKEM768_EK_LEN);
	unhex32(alice_public, client + PL_MLKEM768_EK_LEN);
	unhex32(bob_private, bob);
	CHECK_EQ_INT(pl_hybrid_server_respond_with(client, sizeof(client), m,
						   bob, share, sizeof(share),
						   &share_len, secret,
						   sizeof(secret), &secret_len),
		     PL_OK);
	CHECK_EQ_INT(share_len, 1120);
	CHECK_EQ_INT(secret_len, 64);
	CHECK_MSG(memcmp(share, c, PL_MLKEM768_CT_LEN) == 0, "tcId %d: c", tc);
	unhex32(bob_public, x);
	CHECK_MEM(share + PL_MLKEM768_CT_LEN, x, 32);
	CHECK_MSG(memcmp(secret, k, 32) == 0, "tcId %d: ML-KEM secret first", tc);
	unhex32(x25519_shared, x);
	CHECK_MEM(secret + 32, x, 32);
	(void)group;
}

static void server_matches_known_answers_in_rfc10024_order(void)
{
	json_t *root = load_vectors("encapdecap-768.json");

	CHECK_EQ_INT(for_groups(root, "encapsulation", check_server_known_answer),
		     25);
	json_decref(root);
}

/* Client: from an ACVP (d, z) and Alice's key, the share is the vector's
 * ek || Alice's public key, and it ends with the server's secret. */
static void check_client_known_answer(const json_t *group, const json_t *test)
{
	static uint8_t d[MAX_HEX_BYTES], z[MAX_HEX_BYTES], ek[MAX_HEX_BYTES];
	uint8_t alice[32], bob[32], x[32], m[32] = { 0x42 };
	uint8_t client[PL_HYBRID_CLIENT_SHARE_LEN + 1];
	uint8_t server[PL_HYBRID_SERVER_SHARE_LEN];
	uint8_t server_secret[PL_HYBRID_SECRET_LEN];
	uint8_t client_secret[PL_HYBRID_SECRET_LEN];
	size_t len = 0, server_len = 0, secret_len = 0;
	pl_hybrid_t *h;

	CHECK(hex_field(test, "d", d) == 32 && hex_field(test, "z", z) == 32);
	CHECK(hex_field(test, "ek", ek) == PL_MLKEM768_EK_LEN);
	unhex32(alice_private, alice);
	unhex32(bob_private, bob);
	h = pl_hybrid_client_new_from(d, z, alice);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK_EQ_INT(pl_hybrid_client_share(h, client, PL_HYBRID_CLIENT_SHARE_LEN - 1,
					    &len), PL_ERR_ARG);
	CHECK_EQ_INT(pl_hybrid_client_share(h, client, sizeof(client), &len),
		     PL_OK);
	CHECK_EQ_INT(len, 1216);
	CHECK_MEM(client, ek, PL_MLKEM768_EK_LEN);
	unhex32(alice_public, x);
	CHECK_MEM(client + PL_MLKEM768_EK_LEN, x, 32);
	CHECK_EQ_INT(pl_hybrid_server_respond_with(client, len, m, bob, server,
						   sizeof(server), &server_len,
						   server_secret,
						   sizeof(server_secret),
						   &secret_len), PL_OK);
	CHECK_EQ_INT(pl_hybrid_client_finish(h, server, server_len,
					     client_secret, sizeof(client_secret),
					     &secret_len), PL_OK);
	CHECK_EQ_INT(secret_len, 64);
	CHECK_MEM(client_secret, server_secret, sizeof(client_secret));
	unhex32(x25519_shared, x);
	CHECK_MEM(client_secret + 32, x, 32);
	pl_hybrid_free(h);
	(void)group;
}

static void client_matches_known_answers(void)
{
	json_t *root = load_vectors("keygen-768.json");

	CHECK_EQ_INT(for_groups(root, NULL, check_client_known_answer), 25);
	json_decref(root);
}

static void fresh_client_and_server_agree(void)
{
	uint8_t client[PL_HYBRID_CLIENT_SHARE_LEN];
	uint8_t server[PL_HYBRID_SERVER_SHARE_LEN];
	uint8_t s1[PL_HYBRID_SECRET_LEN], s2[PL_HYBRID_SECRET_LEN];
	size_t len = 0, server_len = 0, l1 = 0, l2 = 0;

	for (int i = 0; i < 5; i++) {
		pl_hybrid_t *h = pl_hybrid_client_new();

		CHECK(h != NULL);
		if (h == NULL)
			return;
		CHECK_EQ_INT(pl_hybrid_client_share(h, client, sizeof(client),
						    &len), PL_OK);
		CHECK_EQ_INT(pl_hybrid_server_respond(client, len, server,
						      sizeof(server),
						      &server_len, s1,
						      sizeof(s1), &l1), PL_OK);
		CHECK_EQ_INT(pl_hybrid_client_finish(h, server, server_len, s2,
						     sizeof(s2), &l2), PL_OK);
		CHECK_EQ_INT(l1, 64);
		CHECK_EQ_INT(l2, 64);
		CHECK_MEM(s1, s2, sizeof(s1));
		pl_hybrid_free(h);
	}
}

/* Every length but the right one, both directions. */
static void shares_of_every_wrong_length_are_refused(void)
{
	static uint8_t buf[2048];
	uint8_t server[PL_HYBRID_SERVER_SHARE_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t server_len = 0, secret_len = 0;
	int wrong_client = 0, wrong_server = 0;
	pl_hybrid_t *h = pl_hybrid_client_new();

	CHECK(h != NULL);
	if (h == NULL)
		return;
	memset(buf, 0x01, sizeof(buf)); /* coefficients 0x101 < q: valid */
	for (size_t len = 0; len <= sizeof(buf); len++) {
		if (len != PL_HYBRID_CLIENT_SHARE_LEN)
			wrong_client += pl_hybrid_server_respond(
				buf, len, server, sizeof(server), &server_len,
				secret, sizeof(secret), &secret_len) !=
				PL_ERR_DECODE;
		if (len != PL_HYBRID_SERVER_SHARE_LEN)
			wrong_server += pl_hybrid_client_finish(
				h, buf, len, secret, sizeof(secret),
				&secret_len) != PL_ERR_DECODE;
	}
	CHECK_EQ_INT(wrong_client, 0);
	CHECK_EQ_INT(wrong_server, 0);
	/* the same bytes at the right lengths are accepted */
	CHECK_EQ_INT(pl_hybrid_server_respond(buf, PL_HYBRID_CLIENT_SHARE_LEN,
					      server, sizeof(server),
					      &server_len, secret,
					      sizeof(secret), &secret_len),
		     PL_OK);
	CHECK_EQ_INT(pl_hybrid_client_finish(h, buf, PL_HYBRID_SERVER_SHARE_LEN,
					     secret, sizeof(secret),
					     &secret_len), PL_OK);
	CHECK_EQ_INT(pl_hybrid_server_respond(NULL, PL_HYBRID_CLIENT_SHARE_LEN,
					      server, sizeof(server),
					      &server_len, secret,
					      sizeof(secret), &secret_len),
		     PL_ERR_DECODE);
	CHECK_EQ_INT(pl_hybrid_server_respond(buf, PL_HYBRID_CLIENT_SHARE_LEN,
					      server, sizeof(server) - 1,
					      &server_len, secret,
					      sizeof(secret), &secret_len),
		     PL_ERR_ARG);
	CHECK_EQ_INT(pl_hybrid_client_finish(h, buf, PL_HYBRID_SERVER_SHARE_LEN,
					     secret, sizeof(secret) - 1,
					     &secret_len), PL_ERR_ARG);
	pl_hybrid_free(h);
}

/* An ek with a coefficient of q (FIPS 203 7.2) and an all-zero X25519
 * point (order 1: RFC 7748 6.1's all-zero secret) are the peer's fault. */
static void invalid_key_parts_are_refused(void)
{
	uint8_t client[PL_HYBRID_CLIENT_SHARE_LEN];
	uint8_t server[PL_HYBRID_SERVER_SHARE_LEN];
	uint8_t secret[PL_HYBRID_SECRET_LEN], keep[PL_HYBRID_SERVER_SHARE_LEN];
	size_t len = 0, server_len = 0, secret_len = 0;
	pl_hybrid_t *h = pl_hybrid_client_new();

	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK_EQ_INT(pl_hybrid_client_share(h, client, sizeof(client), &len),
		     PL_OK);
	/* coefficient 0 := 3329 = 0xd01: bytes 01, x d */
	client[0] = 0x01;
	client[1] = (uint8_t)((client[1] & 0xf0) | 0x0d);
	memset(server, 0x5a, sizeof(server));
	memcpy(keep, server, sizeof(keep));
	CHECK_EQ_INT(pl_hybrid_server_respond(client, len, server,
					      sizeof(server), &server_len,
					      secret, sizeof(secret),
					      &secret_len), PL_ERR_DECODE);
	CHECK_MEM(server, keep, sizeof(server)); /* nothing written */

	CHECK_EQ_INT(pl_hybrid_client_share(h, client, sizeof(client), &len),
		     PL_OK);
	memset(client + PL_MLKEM768_EK_LEN, 0, 32);
	CHECK_EQ_INT(pl_hybrid_server_respond(client, len, server,
					      sizeof(server), &server_len,
					      secret, sizeof(secret),
					      &secret_len), PL_ERR_DECODE);

	/* the client side: a server share whose X25519 part is zero */
	CHECK_EQ_INT(pl_hybrid_client_share(h, client, sizeof(client), &len),
		     PL_OK);
	CHECK_EQ_INT(pl_hybrid_server_respond(client, len, server,
					      sizeof(server), &server_len,
					      secret, sizeof(secret),
					      &secret_len), PL_OK);
	memset(server + PL_MLKEM768_CT_LEN, 0, 32);
	CHECK_EQ_INT(pl_hybrid_client_finish(h, server, server_len, secret,
					     sizeof(secret), &secret_len),
		     PL_ERR_DECODE);
	pl_hybrid_free(h);
}

int main(void)
{
	RUN(server_matches_known_answers_in_rfc10024_order);
	RUN(client_matches_known_answers);
	RUN(fresh_client_and_server_agree);
	RUN(shares_of_every_wrong_length_are_refused);
	RUN(invalid_key_parts_are_refused);
	return test_finish();
}
