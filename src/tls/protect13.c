/*
 * TLS 1.3 record protection (RFC 8446 5.2-5.4; RFC 9846 keeps the same
 * rules): the content type and any zero padding travel inside the
 * ciphertext (TLSInnerPlaintext), the outer type is always
 * application_data, the additional data is the record header, and the
 * nonce is the IV XOR the sequence number.
 */
#include <string.h>

#include "tls/tls_int.h"

static size_t iv_len13(pl_aead_alg_t alg)
{
	return pl_aead_key_len(alg) ? PL_AEAD_NONCE_LEN : 0;
}

static size_t overhead13(const pl_tls_protect_t *p)
{
	(void)p;
	return 1 + PL_AEAD_TAG_LEN; /* the inner content type, the tag */
}

static int seal13(pl_tls_protect_t *p, uint8_t type, const uint8_t *data,
		  size_t len, pl_buf_t *out)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	size_t inner = len + 1; /* no padding: content || type */
	size_t body = inner + PL_AEAD_TAG_LEN;
	uint8_t *rec;
	int ret = pl_tls_protect_begin(p, out, PL_CT_APPLICATION_DATA, len,
				       body, &rec);

	if (ret != PL_OK)
		return ret;
	uint8_t *in = rec + PL_TLS_RECORD_HEADER;
	memmove(in, data, len);
	in[len] = type;
	pl_tls_protect_xor_nonce(p, nonce);
	ret = pl_aead_seal(p->aead, nonce, rec, PL_TLS_RECORD_HEADER, in, inner,
			   in);
	return pl_tls_protect_end(p, out, rec, body, ret);
}

static int open13(pl_tls_protect_t *p, uint8_t *rec, size_t len,
		  size_t limit, pl_tls_opened_t *out)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	uint8_t *body = rec + PL_TLS_RECORD_HEADER;

	if (p->seq == UINT64_MAX)
		return pl_tls_protect_refuse(out, PL_ERR_STATE,
					     PL_ALERT_INTERNAL_ERROR,
					     "receiving sequence number "
					     "exhausted");
	/* RFC 8446 5.2: what cannot hold the tag cannot be deprotected. */
	if (len < PL_AEAD_TAG_LEN)
		return pl_tls_protect_refuse(out, PL_ERR_DECRYPT,
					     PL_ALERT_BAD_RECORD_MAC,
					     "protected record of %zu bytes is "
					     "too short for the AEAD tag "
					     "(bad_record_mac)",
					     len);
	pl_tls_protect_xor_nonce(p, nonce);
	if (pl_aead_open(p->aead, nonce, rec, PL_TLS_RECORD_HEADER, body, len,
			 body) != PL_OK)
		return pl_tls_protect_refuse(out, PL_ERR_DECRYPT,
					     PL_ALERT_BAD_RECORD_MAC,
					     "record failed authentication "
					     "(bad_record_mac)");
	p->seq++;
	/* RFC 8446 5.4 (RFC 9846 5.4 alike): the whole TLSInnerPlaintext,
	 * padding included, is at most 2^14 + 1 bytes, or the limit we
	 * advertised in record_size_limit (RFC 8449 4). */
	size_t n = len - PL_AEAD_TAG_LEN;
	if (limit == 0 || limit > PL_TLS_MAX_PLAINTEXT + 1)
		limit = PL_TLS_MAX_PLAINTEXT + 1;
	out->inner_len = n;
	if (n > limit)
		return pl_tls_protect_refuse(out, PL_ERR_DECODE,
					     PL_ALERT_RECORD_OVERFLOW,
					     "TLSInnerPlaintext of %zu bytes "
					     "exceeds the limit of %zu",
					     n, limit);
	/* RFC 8446 5.4: the content type is the last non-zero byte. */
	while (n > 0 && body[n - 1] == 0)
		n--;
	if (n == 0)
		return pl_tls_protect_refuse(out, PL_ERR_DECODE,
					     PL_ALERT_UNEXPECTED_MESSAGE,
					     "protected record has no content "
					     "type");
	out->type = body[n - 1];
	out->data = body;
	out->len = n - 1;
	return PL_OK;
}

const pl_tls_protect_ops_t pl_tls_protect_13 = {
	.name = "TLS 1.3",
	.iv_len = iv_len13,
	.overhead = overhead13,
	.seal = seal13,
	.open = open13,
};
