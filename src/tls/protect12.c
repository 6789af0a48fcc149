/*
 * TLS 1.2 record protection for the AEAD suites (RFC 5246 6.2.3.3):
 * the record carries its real content type, no padding, and
 *   additional_data = seq_num || type || version || length
 * (length: the plaintext's). The nonce depends on the cipher:
 *   AES-GCM (RFC 5288 3): a 4-byte implicit salt from the key block, then
 *     an 8-byte explicit nonce sent at the start of each record (padlock
 *     sends the sequence number, which never repeats under one key);
 *   ChaCha20-Poly1305 (RFC 7905 2): a 12-byte IV from the key block XOR
 *     the sequence number, nothing explicit.
 */
#include <string.h>

#include "tls/tls_int.h"

#define GCM_SALT_LEN 4
#define GCM_EXPLICIT_LEN 8
#define AAD_LEN 13

static bool is_gcm(pl_aead_alg_t alg)
{
	return alg == PL_AEAD_AES_128_GCM || alg == PL_AEAD_AES_256_GCM;
}

static size_t iv_len12(pl_aead_alg_t alg)
{
	if (is_gcm(alg))
		return GCM_SALT_LEN;
	return alg == PL_AEAD_CHACHA20_POLY1305 ? PL_AEAD_NONCE_LEN : 0;
}

static size_t explicit_len(const pl_tls_protect_t *p)
{
	return is_gcm(p->alg) ? GCM_EXPLICIT_LEN : 0;
}

static size_t overhead12(const pl_tls_protect_t *p)
{
	return explicit_len(p) + PL_AEAD_TAG_LEN;
}

static void put_u64(uint8_t *out, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* The nonce for this record; explicit holds the 8 bytes the record
 * carries for GCM (ignored for ChaCha20-Poly1305). */
static void make_nonce(const pl_tls_protect_t *p, const uint8_t *explicit,
		       uint8_t nonce[PL_AEAD_NONCE_LEN])
{
	if (is_gcm(p->alg)) {
		memcpy(nonce, p->iv, GCM_SALT_LEN);
		memcpy(nonce + GCM_SALT_LEN, explicit, GCM_EXPLICIT_LEN);
	} else {
		pl_tls_protect_xor_nonce(p, nonce);
	}
}

static void make_aad(uint64_t seq, uint8_t type, const uint8_t version[2],
		     size_t len, uint8_t aad[AAD_LEN])
{
	put_u64(aad, seq);
	aad[8] = type;
	aad[9] = version[0];
	aad[10] = version[1];
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

static int seal12(pl_tls_protect_t *p, uint8_t type, const uint8_t *data,
		  size_t len, pl_buf_t *out)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN], aad[AAD_LEN];
	size_t ex = explicit_len(p);
	size_t body = ex + len + PL_AEAD_TAG_LEN;
	uint8_t *rec;
	int ret = pl_tls_protect_begin(p, out, type, len, body, &rec);

	if (ret != PL_OK)
		return ret;
	uint8_t *in = rec + PL_TLS_RECORD_HEADER;
	memmove(in + ex, data, len);
	if (ex)
		put_u64(in, p->seq);
	make_nonce(p, in, nonce);
	make_aad(p->seq, type, rec + 1, len, aad);
	ret = pl_aead_seal(p->aead, nonce, aad, sizeof(aad), in + ex, len,
			   in + ex);
	return pl_tls_protect_end(p, out, rec, body, ret);
}

static int open12(pl_tls_protect_t *p, uint8_t *rec, size_t len,
		  size_t limit, pl_tls_opened_t *out)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN], aad[AAD_LEN];
	uint8_t *body = rec + PL_TLS_RECORD_HEADER;
	size_t ex = explicit_len(p);

	if (p->seq == UINT64_MAX)
		return pl_tls_protect_refuse(out, PL_ERR_STATE,
					     PL_ALERT_INTERNAL_ERROR,
					     "receiving sequence number "
					     "exhausted");
	/* RFC 5246 6.2.3.3: a record that cannot be decrypted (here: too
	 * short for the explicit nonce and the tag) is bad_record_mac. */
	if (len < ex + PL_AEAD_TAG_LEN)
		return pl_tls_protect_refuse(out, PL_ERR_DECRYPT,
					     PL_ALERT_BAD_RECORD_MAC,
					     "protected record of %zu bytes is "
					     "too short for the nonce and the "
					     "AEAD tag (bad_record_mac)",
					     len);
	size_t n = len - ex - PL_AEAD_TAG_LEN;
	make_nonce(p, body, nonce);
	make_aad(p->seq, rec[0], rec + 1, n, aad);
	if (pl_aead_open(p->aead, nonce, aad, sizeof(aad), body + ex,
			 len - ex, body + ex) != PL_OK)
		return pl_tls_protect_refuse(out, PL_ERR_DECRYPT,
					     PL_ALERT_BAD_RECORD_MAC,
					     "record failed authentication "
					     "(bad_record_mac)");
	p->seq++;
	/* RFC 5246 6.2.1, RFC 8449 4: the plaintext is at most 2^14 bytes
	 * or the record_size_limit. */
	if (limit == 0 || limit > PL_TLS_MAX_PLAINTEXT)
		limit = PL_TLS_MAX_PLAINTEXT;
	out->inner_len = n;
	if (n > limit)
		return pl_tls_protect_refuse(out, PL_ERR_DECODE,
					     PL_ALERT_RECORD_OVERFLOW,
					     "record plaintext of %zu bytes "
					     "exceeds the limit of %zu",
					     n, limit);
	out->type = rec[0];
	out->data = body + ex;
	out->len = n;
	return PL_OK;
}

const pl_tls_protect_ops_t pl_tls_protect_12 = {
	.name = "TLS 1.2",
	.iv_len = iv_len12,
	.overhead = overhead12,
	.seal = seal12,
	.open = open12,
};
