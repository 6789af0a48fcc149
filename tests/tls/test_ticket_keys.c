/* Ticket keys and sealed session state (src/tls/ticket_keys.c). */
#include "padlock/tls.h"
#include "test.h"
#include "tls/tls_int.h"

static const uint8_t nonce[PL_AEAD_NONCE_LEN] = {1, 2, 3};

static void sample_state(pl_tls_session_state_t *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PL_TLS_VERSION_13;
	s->suite = PL_TLS_AES_128_GCM_SHA256;
	s->created = 1700000000;
	s->lifetime = 86400;
	s->age_add = 0x12345678;
	s->secret_len = 32;
	memset(s->secret, 0xab, 32);
	strcpy(s->sni, "a.test");
	strcpy(s->alpn, "h2");
}

static bool seal(const pl_tls_ticket_keys_t *k, pl_buf_t *b)
{
	pl_tls_session_state_t s;
	sample_state(&s);
	pl_buf_reset(b);
	return pl_tls_ticket_seal(k, &s, nonce, b) == PL_OK;
}

static void sealed_state_opens_unchanged(void)
{
	pl_tls_ticket_keys_t *k = pl_tls_ticket_keys_new(3600, 86400, 1700000000);
	pl_tls_session_state_t in, out;
	pl_buf_t b = PL_BUF_INIT;
	sample_state(&in);
	CHECK(k != NULL);
	CHECK(pl_tls_ticket_seal(k, &in, nonce, &b) == PL_OK);
	CHECK(pl_tls_ticket_open(k, pl_buf_head(&b), pl_buf_size(&b), &out) ==
	      PL_OK);
	CHECK_EQ_INT(out.suite, in.suite);
	CHECK_EQ_INT(out.created, in.created);
	CHECK_EQ_INT(out.age_add, in.age_add);
	CHECK(out.secret_len == 32 && memcmp(out.secret, in.secret, 32) == 0);
	CHECK(strcmp(out.sni, "a.test") == 0 && strcmp(out.alpn, "h2") == 0);
	/* the secret never appears in the clear */
	CHECK(memmem(pl_buf_head(&b), pl_buf_size(&b), in.secret, 8) == NULL);
	pl_buf_free(&b);
	pl_tls_ticket_keys_free(k);
}

static void every_changed_or_missing_byte_is_refused(void)
{
	pl_tls_ticket_keys_t *k = pl_tls_ticket_keys_new(3600, 86400, 1700000000);
	pl_tls_session_state_t out;
	pl_buf_t b = PL_BUF_INIT;
	CHECK(seal(k, &b));
	uint8_t *t = b.data + b.start;
	size_t n = pl_buf_size(&b);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		t[i] ^= 0x01;
		bad += pl_tls_ticket_open(k, t, n, &out) != PL_OK;
		t[i] ^= 0x01;
	}
	CHECK_EQ_INT(bad, n);
	for (size_t len = 0; len < n; len++)
		bad += pl_tls_ticket_open(k, t, len, &out) != PL_OK;
	CHECK_EQ_INT(bad, 2 * n);
	pl_buf_free(&b);
	pl_tls_ticket_keys_free(k);
}

/* Two processes that inherit the same keys and advance with the same
 * clock open each other's tickets; an old key opens for one lifetime
 * (keep) and is then gone. */
static void ratchet_keeps_keys_for_one_lifetime(void)
{
	time_t t0 = 1700000000 - 1700000000 % 3600;
	pl_tls_ticket_keys_t *a = pl_tls_ticket_keys_new(3600, 7200, t0);
	pl_tls_ticket_keys_t *b = pl_tls_ticket_keys_dup(a);
	pl_tls_session_state_t out;
	pl_buf_t old = PL_BUF_INIT, cur = PL_BUF_INIT;
	CHECK(seal(a, &old));
	CHECK(pl_tls_ticket_keys_advance(a, t0 + 3600) == PL_OK);
	CHECK(pl_tls_ticket_keys_advance(b, t0 + 3601) == PL_OK);
	CHECK(seal(a, &cur));
	/* the new key seals: its id differs */
	CHECK(memcmp(pl_buf_head(&old), pl_buf_head(&cur), 8) != 0);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&cur), pl_buf_size(&cur),
				 &out) == PL_OK);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&old), pl_buf_size(&old),
				 &out) == PL_OK);
	CHECK(pl_tls_ticket_keys_advance(b, t0 + 2 * 3600) == PL_OK);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&old), pl_buf_size(&old),
				 &out) == PL_OK);
	CHECK_EQ_INT(pl_tls_ticket_keys_count(b), 3);
	CHECK(pl_tls_ticket_keys_advance(b, t0 + 3 * 3600) == PL_OK);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&old), pl_buf_size(&old),
				 &out) == PL_ERR_DECRYPT);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&cur), pl_buf_size(&cur),
				 &out) == PL_OK);
	/* a long sleep skips straight ahead, and stays in step with a */
	CHECK(pl_tls_ticket_keys_advance(a, t0 + 100 * 3600) == PL_OK);
	CHECK(pl_tls_ticket_keys_advance(b, t0 + 100 * 3600) == PL_OK);
	CHECK(seal(a, &cur));
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&cur), pl_buf_size(&cur),
				 &out) == PL_OK);
	CHECK_EQ_INT(pl_tls_ticket_keys_count(b), 3);
	/* time going back changes nothing */
	CHECK(pl_tls_ticket_keys_advance(b, t0) == PL_OK);
	CHECK(pl_tls_ticket_open(b, pl_buf_head(&cur), pl_buf_size(&cur),
				 &out) == PL_OK);
	pl_buf_free(&old);
	pl_buf_free(&cur);
	pl_tls_ticket_keys_free(a);
	pl_tls_ticket_keys_free(b);
}

static void key_file_first_seals_all_open(void)
{
	static const char one[] =
		"# fleet keys\n"
		"  1111111111111111111111111111111111111111111111111111111111111111 \n";
	static const char two[] =
		"2222222222222222222222222222222222222222222222222222222222222222\r\n"
		"\n"
		"1111111111111111111111111111111111111111111111111111111111111111\n";
	pl_tls_ticket_keys_t *k1, *k2;
	pl_tls_session_state_t out;
	pl_buf_t b = PL_BUF_INIT;
	char why[128];
	CHECK(pl_tls_ticket_keys_parse((const uint8_t *)one, strlen(one), &k1,
				       why, sizeof(why)) == PL_OK);
	CHECK(pl_tls_ticket_keys_parse((const uint8_t *)two, strlen(two), &k2,
				       why, sizeof(why)) == PL_OK);
	CHECK_EQ_INT(pl_tls_ticket_keys_count(k2), 2);
	CHECK(seal(k1, &b));
	CHECK(pl_tls_ticket_open(k2, pl_buf_head(&b), pl_buf_size(&b), &out) ==
	      PL_OK);
	CHECK(seal(k2, &b));
	CHECK(pl_tls_ticket_open(k1, pl_buf_head(&b), pl_buf_size(&b), &out) ==
	      PL_ERR_DECRYPT);
	pl_buf_free(&b);
	pl_tls_ticket_keys_free(k1);
	pl_tls_ticket_keys_free(k2);
}

static void bad_key_files_name_the_line(void)
{
	static const char *const bad[] = {
		"",
		"# only a comment\n",
		"11111111111111111111111111111111111111111111111111111111111111\n",
		"111111111111111111111111111111111111111111111111111111111111111111\n",
		"g111111111111111111111111111111111111111111111111111111111111111\n",
		"1111111111111111111111111111111111111111111111111111111111111111 x\n",
	};
	pl_tls_ticket_keys_t *k;
	char why[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		CHECK(pl_tls_ticket_keys_parse((const uint8_t *)bad[i],
					       strlen(bad[i]), &k, why,
					       sizeof(why)) == PL_ERR_DECODE);
		CHECK(k == NULL && why[0] != 0);
	}
	CHECK(pl_tls_ticket_keys_parse((const uint8_t *)bad[5], strlen(bad[5]),
				       &k, why, sizeof(why)) == PL_ERR_DECODE);
	CHECK(strstr(why, "line 1") != NULL);
	char many[17 * 66 + 1] = "";
	for (int i = 0; i < 17; i++)
		strcat(many, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	CHECK(pl_tls_ticket_keys_parse((const uint8_t *)many, strlen(many), &k,
				       why, sizeof(why)) == PL_ERR_DECODE);
	CHECK(strstr(why, "line 17") != NULL);
}

int main(void)
{
	RUN(sealed_state_opens_unchanged);
	RUN(every_changed_or_missing_byte_is_refused);
	RUN(ratchet_keeps_keys_for_one_lifetime);
	RUN(key_file_first_seals_all_open);
	RUN(bad_key_files_name_the_line);
	return test_finish();
}
