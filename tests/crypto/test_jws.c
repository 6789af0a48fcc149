/* Tests src/crypto/jws.c against the published examples: RFC 7638 3.1's
 * thumbprint, RFC 7515 A.1 (HS256, deterministic: the exact MAC) and A.3
 * (ES256: its signature verifies; ours, randomized, verify too), and
 * base64url's edges. */
#include <stdlib.h>
#include <string.h>

#include "padlock/crypto.h"
#include "test.h"

/* RFC 7515 A.1-A.3: the same payload, as its base64url */
static const char payload64[] =
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
	"LmNvbS9pc19yb290Ijp0cnVlfQ";

static size_t decode(const char *b64, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (pl_base64url_decode(b64, strlen(b64), out, cap, &n) != PL_OK)
		return 0;
	return n;
}

static void base64url_round_trips_and_refuses_bad_input(void)
{
	static const char *const vectors[][2] = {
		/* RFC 4648 10, unpadded and in the URL alphabet */
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
	};
	char out[32];
	uint8_t back[32];
	size_t n;

	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const char *in = vectors[i][0];

		CHECK_EQ_INT(pl_base64url_encode((const uint8_t *)in, strlen(in),
						 out, sizeof out), PL_OK);
		CHECK(strcmp(out, vectors[i][1]) == 0);
		CHECK_EQ_INT(pl_base64url_len(strlen(in)), strlen(vectors[i][1]));
		CHECK_EQ_INT(pl_base64url_decode(out, strlen(out), back,
						 sizeof back, &n), PL_OK);
		CHECK(n == strlen(in) && memcmp(back, in, n) == 0);
	}
	CHECK_EQ_INT(pl_base64url_decode("Zg==", 4, back, sizeof back, &n),
		     PL_ERR_DECODE); /* padding */
	CHECK_EQ_INT(pl_base64url_decode("Zm9v+", 5, back, sizeof back, &n),
		     PL_ERR_DECODE); /* length 5 */
	CHECK_EQ_INT(pl_base64url_decode("Zh", 2, back, sizeof back, &n),
		     PL_ERR_DECODE); /* leftover bits */
	CHECK_EQ_INT(pl_base64url_decode("Zm+v", 4, back, sizeof back, &n),
		     PL_ERR_DECODE); /* the standard alphabet */
	CHECK_EQ_INT(pl_base64url_decode("Zm9v", 4, back, 2, &n), PL_ERR_ARG);
	CHECK_EQ_INT(pl_base64url_encode((const uint8_t *)"foo", 3, out, 4),
		     PL_ERR_ARG);
}

static void rfc7638_thumbprint_of_the_example_key(void)
{
	static const char n64[] =
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86"
		"zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5"
		"JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQ"
		"MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
		"dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF4"
		"4-csFCur-kEgU8awapJzKnqDKgw";
	uint8_t n[512], e[3];
	size_t n_len = decode(n64, n, sizeof n), e_len = decode("AQAB", e, 3);
	pl_pkey_t *k = pl_pkey_rsa_from_public(n, n_len, e, e_len);
	char jwk[1024], thumb[PL_JWK_THUMBPRINT_LEN + 1];

	CHECK(n_len == 256 && e_len == 3 && k != NULL);
	if (k == NULL)
		return;
	CHECK_EQ_INT(pl_jwk_public(k, jwk, sizeof jwk), PL_OK);
	/* RFC 7638 3.3: the members' order and no white space */
	CHECK(strncmp(jwk, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 32) == 0);
	CHECK_EQ_INT(pl_jwk_thumbprint(k, thumb), PL_OK);
	CHECK(strcmp(thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0);
	/* RFC 8555 8.1, with RFC 8555's own example token */
	CHECK_EQ_INT(pl_jws_key_authorization(k, "evaGxfADs6pSRb2LAv9IZ", jwk,
					      sizeof jwk), PL_OK);
	CHECK(strcmp(jwk, "evaGxfADs6pSRb2LAv9IZ."
			  "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0);
	CHECK_EQ_INT(pl_jws_key_authorization(k, "evaGxfADs6pSRb2LAv9IZ", jwk,
					      40), PL_ERR_ARG);
	pl_pkey_free(k);
}

static pl_pkey_t *rfc7515_a3_key(bool with_private)
{
	uint8_t x[32], y[32], d[32];

	if (decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", x, 32) != 32 ||
	    decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", y, 32) != 32 ||
	    decode("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI", d, 32) != 32)
		return NULL;
	return pl_pkey_p256_from_coords(x, y, with_private ? d : NULL);
}

static void rfc7515_a3_es256_signature_verifies(void)
{
	static const char input[] = "eyJhbGciOiJFUzI1NiJ9.";
	uint8_t sig[64];
	char msg[256];
	pl_pkey_t *k = rfc7515_a3_key(false);

	CHECK(k != NULL);
	if (k == NULL)
		return;
	snprintf(msg, sizeof msg, "%s%s", input, payload64);
	CHECK_EQ_INT(decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjD"
			    "xw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q", sig, 64), 64);
	CHECK_EQ_INT(pl_jws_es256_verify(k, (const uint8_t *)msg, strlen(msg),
					 sig, 64), PL_OK);
	sig[63] ^= 1;
	CHECK_EQ_INT(pl_jws_es256_verify(k, (const uint8_t *)msg, strlen(msg),
					 sig, 64), PL_ERR_DECRYPT);
	CHECK_EQ_INT(pl_jws_es256_verify(k, (const uint8_t *)msg, strlen(msg),
					 sig, 63), PL_ERR_DECRYPT);
	pl_pkey_free(k);
}

/* Ours: 64 bytes each, different every time (a fresh k), and verified by
 * the public key alone. */
static void es256_signatures_are_raw_and_verify(void)
{
	static const uint8_t msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	pl_pkey_t *k = rfc7515_a3_key(true), *pub = rfc7515_a3_key(false);
	pl_pkey_t *rsa = pl_pkey_generate(PL_PKEY_RSA, 2048);
	uint8_t a[64], b[64];

	CHECK(k != NULL && pub != NULL && rsa != NULL);
	if (k == NULL || pub == NULL || rsa == NULL)
		goto out;
	CHECK_EQ_INT(pl_jws_es256_sign(k, msg, sizeof msg - 1, a), PL_OK);
	CHECK_EQ_INT(pl_jws_es256_sign(k, msg, sizeof msg - 1, b), PL_OK);
	CHECK(memcmp(a, b, 64) != 0);
	CHECK_EQ_INT(pl_jws_es256_verify(pub, msg, sizeof msg - 1, a, 64), PL_OK);
	CHECK_EQ_INT(pl_jws_es256_verify(pub, msg, sizeof msg - 1, b, 64), PL_OK);
	CHECK_EQ_INT(pl_jws_es256_sign(rsa, msg, sizeof msg - 1, a),
		     PL_ERR_UNSUPPORTED);
out:
	pl_pkey_free(k);
	pl_pkey_free(pub);
	pl_pkey_free(rsa);
}

static void p256_jwk_is_canonical(void)
{
	pl_pkey_t *k = rfc7515_a3_key(true);
	char jwk[400];

	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK_EQ_INT(pl_jwk_public(k, jwk, sizeof jwk), PL_OK);
	CHECK(strcmp(jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\","
			  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}") == 0);
	CHECK_EQ_INT(pl_jwk_public(k, jwk, 50), PL_ERR_ARG);
	pl_pkey_free(k);
}

static void point_off_the_curve_is_refused(void)
{
	uint8_t x[32] = {1}, y[32] = {2};

	CHECK(pl_pkey_p256_from_coords(x, y, NULL) == NULL);
}

/* RFC 7515 A.1: HMAC is deterministic, so the flattened JWS must carry
 * exactly the RFC's signature. */
static void rfc7515_a1_hs256_exact(void)
{
	static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	uint8_t key[64], payload[128];
	size_t key_len = decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1q"
				"S0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
				key, sizeof key);
	size_t payload_len = decode(payload64, payload, sizeof payload);
	char *jws = pl_jws_flattened_hs256(key, key_len, header, payload,
					   payload_len);

	CHECK(jws != NULL);
	if (jws == NULL)
		return;
	CHECK(strstr(jws, "\"protected\":\"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\"") != NULL);
	CHECK(strstr(jws, payload64) != NULL);
	CHECK(strstr(jws, "\"signature\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"") != NULL);
	free(jws);
}

/* Our flattened ES256 JWS: its parts decode, and the signature verifies
 * over "protected.payload". */
static void flattened_es256_verifies(void)
{
	pl_pkey_t *k = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	char *jws = k ? pl_jws_flattened_es256(k, "{\"alg\":\"ES256\"}",
					       (const uint8_t *)"{}", 2)
		      : NULL;
	char prot[64], input[128];
	const char *sig64;
	uint8_t sig[64];

	CHECK(jws != NULL);
	if (jws == NULL)
		goto out;
	CHECK(sscanf(jws, "{\"protected\":\"%63[^\"]\"", prot) == 1);
	CHECK(strcmp(prot, "eyJhbGciOiJFUzI1NiJ9") == 0);
	CHECK(strstr(jws, "\"payload\":\"e30\"") != NULL);
	sig64 = strstr(jws, "\"signature\":\"");
	CHECK(sig64 != NULL);
	if (sig64 == NULL)
		goto out;
	sig64 += strlen("\"signature\":\"");
	CHECK_EQ_INT(pl_base64url_decode(sig64, strcspn(sig64, "\""), sig, 64,
					 &(size_t){0}), PL_OK);
	snprintf(input, sizeof input, "%s.e30", prot);
	CHECK_EQ_INT(pl_jws_es256_verify(k, (const uint8_t *)input,
					 strlen(input), sig, 64), PL_OK);
out:
	free(jws);
	pl_pkey_free(k);
}

int main(void)
{
	RUN(base64url_round_trips_and_refuses_bad_input);
	RUN(rfc7638_thumbprint_of_the_example_key);
	RUN(rfc7515_a3_es256_signature_verifies);
	RUN(es256_signatures_are_raw_and_verify);
	RUN(p256_jwk_is_canonical);
	RUN(point_off_the_curve_is_refused);
	RUN(rfc7515_a1_hs256_exact);
	RUN(flattened_es256_verifies);
	return test_finish();
}
