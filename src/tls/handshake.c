/*
 * Handshake framing (RFC 8446 4): messages reassembled from records and
 * handed to the state machine (machine.c); messages written and put into records; the
 * transcript hash; and the messages both sides share: Certificate,
 * CertificateVerify, Finished and KeyUpdate.
 */
#include <string.h>

#include "tls/tls_int.h"

int pl_tls_transcript_add(pl_tls_conn_t *c, const uint8_t *msg, size_t len)
{
	if (c->hs->transcript)
		return pl_hash_update(c->hs->transcript, msg, len);
	pl_push_bytes(&c->hs->transcript_raw, msg, len);
	return pl_buf_error(&c->hs->transcript_raw);
}

int pl_tls_transcript_start(pl_tls_conn_t *c, bool hrr)
{
	uint8_t mh[4 + PL_HASH_MAX];
	int ret = PL_OK;
	c->hs->transcript = pl_hash_new(c->hash);
	if (c->hs->transcript == NULL)
		return PL_ERR_NOMEM;
	const uint8_t *raw = pl_buf_head(&c->hs->transcript_raw);
	size_t raw_len = pl_buf_size(&c->hs->transcript_raw);
	if (hrr) {
		/* RFC 8446 4.4.1: ClientHello1 is replaced by
		 * message_hash(254) || 00 00 Hash.length || Hash(ClientHello1). */
		mh[0] = PL_HS_MESSAGE_HASH;
		mh[1] = 0;
		mh[2] = 0;
		mh[3] = (uint8_t)c->hash_len;
		if ((ret = pl_hash_once(c->hash, raw, raw_len, mh + 4)) == PL_OK)
			ret = pl_hash_update(c->hs->transcript, mh, 4 + c->hash_len);
	} else if (raw_len > 0) {
		ret = pl_hash_update(c->hs->transcript, raw, raw_len);
	}
	pl_buf_free(&c->hs->transcript_raw);
	return ret;
}

int pl_tls_transcript_hash(pl_tls_conn_t *c, uint8_t *out)
{
	if (c->hs->transcript == NULL)
		return PL_ERR_STATE;
	return pl_hash_peek(c->hs->transcript, out);
}

void pl_tls_hs_begin(pl_tls_conn_t *c, uint8_t type)
{
	c->hs_msg_start = c->hs_out.len;
	pl_push_u8(&c->hs_out, type);
	pl_push_open(&c->hs_out, 3);
}

int pl_tls_hs_end(pl_tls_conn_t *c)
{
	pl_push_close(&c->hs_out);
	int ret = pl_buf_error(&c->hs_out);
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not build a handshake message");
	/* Post-handshake messages are not part of the transcript. */
	if (c->state == ST_CONNECTED)
		return PL_OK;
	return pl_tls_transcript_add(c, c->hs_out.data + c->hs_msg_start,
				     c->hs_out.len - c->hs_msg_start);
}

int pl_tls_hs_flush(pl_tls_conn_t *c)
{
	int ret = PL_OK;
	if (pl_buf_size(&c->hs_out) > 0)
		ret = pl_tls_record_write(c, PL_CT_HANDSHAKE,
					  pl_buf_head(&c->hs_out),
					  pl_buf_size(&c->hs_out));
	pl_buf_reset(&c->hs_out);
	return ret;
}

int pl_tls_transcript_message(pl_tls_conn_t *c, uint8_t type,
			      const uint8_t *msg, size_t len)
{
	if (c->state == ST_CONNECTED)
		return PL_OK;
	if ((type == PL_HS_CERTIFICATE_VERIFY || type == PL_HS_FINISHED) &&
	    pl_tls_transcript_hash(c, c->hs->pre_hash))
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "%s out of order", pl_tls_handshake_name(type));
	/* The hellos add themselves: the transcript's hash is known only
	 * once a suite is chosen, and a HelloRetryRequest rewrites it. */
	if (type != PL_HS_CLIENT_HELLO && type != PL_HS_SERVER_HELLO &&
	    pl_tls_transcript_add(c, msg, len))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	return PL_OK;
}

int pl_tls_handshake_input(pl_tls_conn_t *c, const uint8_t *data, size_t len)
{
	int ret;
	pl_push_bytes(&c->hs_in, data, len);
	if (pl_buf_error(&c->hs_in))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	while (pl_buf_size(&c->hs_in) >= 4) {
		const uint8_t *h = pl_buf_head(&c->hs_in);
		size_t body_len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		/* Decided from the header, before the body is buffered. */
		if ((ret = pl_tls_machine_header(c, h[0], body_len)))
			return ret;
		if (pl_buf_size(&c->hs_in) < 4 + body_len)
			break;
		uint32_t epoch = c->rd.epoch;
		ret = pl_tls_machine_input(c, h, 4 + body_len);
		pl_buf_consume(&c->hs_in, 4 + body_len);
		if (ret)
			return ret;
		if (c->state == ST_FAILED)
			return PL_ERR_TLS;
		/* RFC 8446 5.1: handshake messages must not span a key
		 * change. */
		if (c->rd.epoch != epoch && pl_buf_size(&c->hs_in) > 0)
			return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
					   "handshake data after a key change "
					   "in the same record");
	}
	if (pl_buf_size(&c->hs_in) == 0)
		pl_buf_reset(&c->hs_in);
	return PL_OK;
}

int pl_tls_send_certificate(pl_tls_conn_t *c)
{
	pl_msg_certificate_t m;
	memset(&m, 0, sizeof(m));
	m.version = PL_TLS_VERSION_13;
	m.chain = c->own->chain;
	pl_tls_hs_begin(c, PL_HS_CERTIFICATE);
	pl_msg_certificate_write(&c->hs_out, &m);
	return pl_tls_hs_end(c);
}

int pl_tls_cv_content(pl_tls_conn_t *c, bool server, const uint8_t *th,
		      uint8_t *out, size_t *len)
{
	/* RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, and
	 * the transcript hash. */
	static const char server_ctx[] = "TLS 1.3, server CertificateVerify";
	static const char client_ctx[] = "TLS 1.3, client CertificateVerify";
	const char *ctx = server ? server_ctx : client_ctx;
	size_t n = 0;
	memset(out, 0x20, 64);
	n += 64;
	memcpy(out + n, ctx, sizeof(server_ctx)); /* with its NUL */
	n += sizeof(server_ctx);
	memcpy(out + n, th, c->hash_len);
	n += c->hash_len;
	*len = n;
	return PL_OK;
}

int pl_tls_send_certificate_verify(pl_tls_conn_t *c)
{
	uint8_t th[PL_HASH_MAX], content[PL_TLS_CV_CONTENT_MAX], sig[PL_SIG_MAX];
	size_t content_len, sig_len;
	int ret;
	if ((ret = pl_tls_transcript_hash(c, th)) ||
	    (ret = pl_tls_cv_content(c, c->is_server, th, content,
				     &content_len)) ||
	    (ret = pl_pkey_sign(c->own->key, c->scheme, content, content_len,
				sig, sizeof(sig), &sig_len)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "signing CertificateVerify with %s failed",
				   pl_tls_sigscheme_name(c->scheme));
	pl_msg_certificate_verify_t cv = {.scheme = c->scheme};
	pl_reader_init(&cv.signature, sig, sig_len);
	pl_tls_hs_begin(c, PL_HS_CERTIFICATE_VERIFY);
	pl_msg_certificate_verify_write(&c->hs_out, &cv);
	return pl_tls_hs_end(c);
}

int pl_tls_send_finished(pl_tls_conn_t *c, const uint8_t *base_key)
{
	uint8_t mac[PL_HASH_MAX];
	int ret;
	if ((ret = pl_tls_transcript_hash(c, c->hs->pre_hash)) ||
	    (ret = pl_tls_finished_mac(c, base_key, mac)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "computing Finished failed");
	pl_msg_finished_t fin;
	pl_reader_init(&fin.verify_data, mac, c->hash_len);
	pl_tls_hs_begin(c, PL_HS_FINISHED);
	pl_msg_finished_write(&c->hs_out, &fin);
	pl_cleanse(mac, sizeof(mac));
	return pl_tls_hs_end(c);
}

int pl_tls_recv_finished(pl_tls_conn_t *c, const uint8_t *base_key,
			 const pl_msg_finished_t *fin)
{
	uint8_t mac[PL_HASH_MAX];
	const uint8_t *got = fin->verify_data.p;
	int ret;
	if ((ret = pl_tls_finished_mac(c, base_key, mac)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "computing Finished failed");
	bool ok = pl_ct_equal(mac, got, c->hash_len);
	pl_cleanse(mac, sizeof(mac));
	if (!ok)
		return pl_tls_fail(c, PL_ALERT_DECRYPT_ERROR,
				   "the %s's Finished does not match the "
				   "handshake (verify_data differs)",
				   c->is_server ? "client" : "server");
	return PL_OK;
}

int pl_tls_send_key_update(pl_tls_conn_t *c, bool request)
{
	int ret;
	pl_msg_key_update_t ku = {.request_update = request ? 1 : 0};
	pl_tls_hs_begin(c, PL_HS_KEY_UPDATE);
	pl_msg_key_update_write(&c->hs_out, &ku);
	if ((ret = pl_tls_hs_end(c)) || (ret = pl_tls_hs_flush(c)))
		return ret;
	/* RFC 8446 4.6.3: the KeyUpdate goes out under the old key. */
	if ((ret = pl_tls_update_keys(c, &c->wr)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key update failed");
	pl_tls_trace(c, PL_STEP_KEY_UPDATE, "sent KeyUpdate%s; new sending keys",
		     request ? " (update_requested)" : "");
	return PL_OK;
}

int pl_tls_handle_key_update(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	uint8_t request = m->u.key_update.request_update;
	int ret;
	if (request > 1)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "KeyUpdate request_update is %u (must be 0 "
				   "or 1)",
				   request);
	if ((ret = pl_tls_update_keys(c, &c->rd)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key update failed");
	pl_tls_trace(c, PL_STEP_KEY_UPDATE, "peer sent KeyUpdate%s; new "
		     "receiving keys", request ? " (update_requested)" : "");
	/* RFC 8446 4.6.3: answer update_requested with our own update,
	 * unless we have already closed our side. */
	if (request && !c->sent_close)
		return pl_tls_send_key_update(c, false);
	return PL_OK;
}
