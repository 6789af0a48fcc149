/*
 * libFuzzer harness: session tickets as attacker bytes
 * (src/tls/ticket_keys.c), both what a client hands a server and what a
 * valid ticket key would have sealed.
 *
 * Input: a control byte, then bytes.
 *   bit 0 clear  the bytes are a ticket as a ClientHello carries it (TLS
 *                1.3 identity, TLS 1.2 session_ticket): key id lookup,
 *                length checks, the AEAD refusing anything it did not seal
 *   bit 0 set    the bytes are the plaintext state, sealed here under the
 *                harness's ticket key the way ticket_keys.c seals, so the
 *                state parser behind the AEAD gets any content; a state
 *                that parses is sealed again by the engine and must open
 *                to the same fields
 *   bit 1        the key list holds a second, older key (bit 0 set: seal
 *                under it, so the opened state says old_key)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/common.h"
#include "tls/tls_int.h"

#define KEY_ID_LEN 8

static const uint8_t secrets[2][32] = {{0x7e, 0x7e, 0x7e}, {0x42}};
static pl_tls_ticket_keys_t *one, *two;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	one = pl_tls_ticket_keys_list(secrets, 1);
	two = pl_tls_ticket_keys_list(secrets, 2);
	if (one == NULL || two == NULL)
		abort();
	return 0;
}

/* A ticket of plain under secret, shaped as ticket_keys.c shapes it:
 * key id | nonce | AES-256-GCM(plain) | tag, the key id as AAD. */
static uint8_t *seal_raw(const uint8_t secret[32], const uint8_t *plain,
			 size_t len, size_t *out_len)
{
	static const char id_label[] = "padlock ticket key id";
	static const char key_label[] = "padlock ticket key";
	static const uint8_t nonce[PL_AEAD_NONCE_LEN] = {1, 2, 3};
	uint8_t key[32];
	size_t total = KEY_ID_LEN + PL_AEAD_NONCE_LEN + len + PL_AEAD_TAG_LEN;
	uint8_t *t = malloc(total);
	pl_aead_t *aead;
	if (t == NULL ||
	    pl_hkdf_expand(PL_HASH_SHA256, secret, 32,
			   (const uint8_t *)id_label, strlen(id_label), t,
			   KEY_ID_LEN) ||
	    pl_hkdf_expand(PL_HASH_SHA256, secret, 32,
			   (const uint8_t *)key_label, strlen(key_label), key,
			   sizeof(key)) ||
	    (aead = pl_aead_new(PL_AEAD_AES_256_GCM, key)) == NULL)
		abort();
	memcpy(t + KEY_ID_LEN, nonce, sizeof(nonce));
	if (pl_aead_seal(aead, nonce, t, KEY_ID_LEN, plain, len,
			 t + KEY_ID_LEN + PL_AEAD_NONCE_LEN))
		abort();
	pl_aead_free(aead);
	*out_len = total;
	return t;
}

/* The engine seals s again; it must open to the same fields. */
static void round_trip(const pl_tls_ticket_keys_t *k,
		       const pl_tls_session_state_t *s)
{
	static const uint8_t nonce[PL_AEAD_NONCE_LEN] = {9};
	pl_tls_session_state_t back;
	pl_buf_t b = PL_BUF_INIT;
	if (pl_tls_ticket_seal(k, s, nonce, &b) ||
	    pl_tls_ticket_open(k, pl_buf_head(&b), pl_buf_size(&b), &back))
		abort();
	if (back.version != s->version || back.suite != s->suite ||
	    back.created != s->created || back.lifetime != s->lifetime ||
	    back.age_add != s->age_add || back.ems != s->ems ||
	    back.secret_len != s->secret_len ||
	    memcmp(back.secret, s->secret, s->secret_len) != 0 ||
	    strcmp(back.sni, s->sni) != 0 || strcmp(back.alpn, s->alpn) != 0 ||
	    memcmp(back.cert_tag, s->cert_tag, sizeof(s->cert_tag)) != 0 ||
	    back.old_key)
		abort();
	pl_buf_free(&b);
	pl_cleanse(&back, sizeof(back));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_tls_session_state_t s;
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	const pl_tls_ticket_keys_t *k = ctl & 2 ? two : one;
	data++, size--;
	if (!(ctl & 1)) {
		if (pl_tls_ticket_open(k, data, size, &s) == PL_OK)
			abort(); /* only what the key sealed opens */
		return 0;
	}
	size_t len;
	uint8_t *ticket = seal_raw(secrets[ctl & 2 ? 1 : 0], data, size, &len);
	int ret = pl_tls_ticket_open(k, ticket, len, &s);
	if (ret == PL_OK) {
		if (s.old_key != ((ctl & 2) != 0) ||
		    strlen(s.sni) >= sizeof(s.sni) ||
		    s.secret_len > sizeof(s.secret))
			abort();
		round_trip(k, &s);
	} else if (ret != PL_ERR_DECODE) {
		abort(); /* a ticket the key sealed is at worst malformed */
	}
	pl_cleanse(&s, sizeof(s));
	free(ticket);
	return 0;
}
