/*
 * What both record protections share: installing a key, the XOR nonce,
 * and the wording of a refusal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

int pl_tls_protect_rekey(pl_tls_protect_t *p, const pl_tls_protect_ops_t *ops,
			 pl_aead_alg_t alg, const uint8_t *key,
			 const uint8_t *iv)
{
	size_t iv_len = ops->iv_len(alg);

	if (pl_aead_key_len(alg) == 0 || iv_len == 0 ||
	    iv_len > sizeof(p->iv))
		return PL_ERR_ARG;
	pl_tls_protect_clear(p);
	p->aead = pl_aead_new(alg, key);
	if (p->aead == NULL)
		return PL_ERR_CRYPTO;
	p->ops = ops;
	p->alg = alg;
	memcpy(p->iv, iv, iv_len);
	p->seq = 0;
	return PL_OK;
}

void pl_tls_protect_clear(pl_tls_protect_t *p)
{
	pl_aead_free(p->aead);
	pl_cleanse(p, sizeof(*p));
	p->ops = NULL;
	p->aead = NULL;
}

void pl_tls_protect_xor_nonce(const pl_tls_protect_t *p,
			      uint8_t nonce[PL_AEAD_NONCE_LEN])
{
	memcpy(nonce, p->iv, PL_AEAD_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[PL_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(p->seq >> (8 * i));
}

int pl_tls_protect_begin(pl_tls_protect_t *p, pl_buf_t *out, uint8_t type,
			 size_t len, size_t body, uint8_t **rec)
{
	int ret;

	if (p->seq == UINT64_MAX)
		return PL_ERR_STATE;
	if (len > PL_TLS_MAX_PLAINTEXT)
		return PL_ERR_ARG;
	if ((ret = pl_buf_reserve(out, PL_TLS_RECORD_HEADER + body)))
		return ret;
	*rec = out->data + out->len;
	(*rec)[0] = type;
	(*rec)[1] = 0x03;
	(*rec)[2] = 0x03;
	(*rec)[3] = (uint8_t)(body >> 8);
	(*rec)[4] = (uint8_t)body;
	return PL_OK;
}

int pl_tls_protect_end(pl_tls_protect_t *p, pl_buf_t *out, uint8_t *rec,
		       size_t body, int ret)
{
	if (ret != PL_OK) {
		/* The plaintext sits past out's length, where no wipe of
		 * out would find it. */
		pl_cleanse(rec, PL_TLS_RECORD_HEADER + body);
		return ret;
	}
	p->seq++;
	out->len += PL_TLS_RECORD_HEADER + body;
	pl_buf_grew(out);
	return PL_OK;
}

int pl_tls_protect_refuse(pl_tls_opened_t *out, int err, int alert,
			  const char *fmt, ...)
{
	va_list ap;

	out->alert = alert;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return err;
}
