/*
 * What the TLS 1.2 client and server machines share (RFC 5246 7.1,
 * 7.4.9): change_cipher_spec, which switches a direction to the keys of
 * the key block; Finished; the refusal of renegotiation (RFC 5746); and
 * the content a ServerKeyExchange signs (RFC 8422 5.4).
 */
#include <string.h>

#include "tls/tls_int.h"

/* RFC 8446 4.1.3: "DOWNGRD" 01, a TLS 1.3 server negotiating TLS 1.2. */
const uint8_t pl_tls12_downgrade_sentinel[8] = {0x44, 0x4f, 0x57, 0x4e,
						0x47, 0x52, 0x44, 0x01};

int pl_tls12_send_ccs(pl_tls_conn_t *c)
{
	static const uint8_t ccs = 1;
	int ret;
	if ((ret = pl_tls_hs_flush(c)) ||
	    (ret = pl_tls_record_write(c, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1)))
		return ret;
	c->ccs_sent = true;
	/* RFC 5246 7.1: what follows is under the new write keys. */
	if ((ret = pl_tls12_set_keys(c, &c->wr, !c->is_server)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "installing the TLS 1.2 write keys failed");
	c->wr.application = true;
	return PL_OK;
}

int pl_tls12_recv_ccs(pl_tls_conn_t *c, const uint8_t *p, size_t len)
{
	int waiting = c->is_server ? SV12_WAIT_CCS : CL12_WAIT_CCS;
	int ret;
	if (len != 1 || p[0] != 0x01)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "change_cipher_spec record is not the "
				   "single byte 0x01");
	/* RFC 5246 7.1 and A.1: only where the peer's Finished is due, and
	 * never inside a handshake message split over records. */
	if (c->machine_state != waiting)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "%s: change_cipher_spec is not expected in "
				   "state %s",
				   c->machine->name,
				   c->machine->state_names[c->machine_state]);
	if (pl_buf_size(&c->hs_in) > 0)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "change_cipher_spec inside a handshake "
				   "message split over records");
	/* RFC 5077 3.3: a ServerHello with session_ticket promised one */
	if (!c->is_server && c->hs->ticket_ext)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "change_cipher_spec before the "
				   "NewSessionTicket the ServerHello "
				   "promised");
	if ((ret = pl_tls12_set_keys(c, &c->rd, c->is_server)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "installing the TLS 1.2 read keys failed");
	c->machine_state = c->is_server ? SV12_WAIT_FINISHED
					: CL12_WAIT_FINISHED;
	return PL_OK;
}

int pl_tls12_send_finished(pl_tls_conn_t *c)
{
	uint8_t th[PL_HASH_MAX], vd[PL_TLS12_VERIFY_LEN];
	pl_msg_finished_t fin;
	int ret;
	if ((ret = pl_tls_transcript_hash(c, th)) ||
	    (ret = pl_tls12_verify_data(c, c->is_server, th, vd)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "computing Finished failed");
	pl_reader_init(&fin.verify_data, vd, sizeof(vd));
	pl_tls_hs_begin(c, PL_HS_FINISHED);
	pl_msg_finished_write(&c->hs_out, &fin);
	pl_cleanse(vd, sizeof(vd));
	if ((ret = pl_tls_hs_end(c)))
		return ret;
	return pl_tls_hs_flush(c);
}

int pl_tls12_recv_finished(pl_tls_conn_t *c, const pl_msg_finished_t *fin)
{
	uint8_t vd[PL_TLS12_VERIFY_LEN];
	int ret;
	if ((ret = pl_tls12_verify_data(c, !c->is_server, c->hs->pre_hash, vd)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "computing Finished failed");
	bool ok = pl_ct_equal(vd, fin->verify_data.p, sizeof(vd));
	pl_cleanse(vd, sizeof(vd));
	if (!ok)
		return pl_tls_fail(c, PL_ALERT_DECRYPT_ERROR,
				   "the %s's Finished does not match the "
				   "handshake (verify_data differs)",
				   c->is_server ? "client" : "server");
	c->rd.application = true;
	return PL_OK;
}

int pl_tls12_refuse_renegotiation(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	int ret;
	/* RFC 5746 4.2 and 4.4, RFC 5246 7.2.2: a warning, and the
	 * connection goes on as it was. */
	if ((ret = pl_tls_send_alert(c, PL_ALERT_NO_RENEGOTIATION)))
		return ret;
	pl_tls_trace(c, PL_STEP_ALERT,
		     "%s received after the handshake: renegotiation refused "
		     "(warning alert no_renegotiation)",
		     pl_tls_handshake_name(m->type));
	return PL_OK;
}

int pl_tls12_ske_content(pl_tls_conn_t *c, const pl_reader_t *params,
			 uint8_t *out, size_t cap, size_t *len)
{
	size_t n = pl_reader_left(params);
	if (64 + n > cap)
		return PL_ERR_ARG;
	memcpy(out, c->client_random, 32);
	memcpy(out + 32, c->hs->server_random, 32);
	memcpy(out + 64, params->p, n);
	*len = 64 + n;
	return PL_OK;
}
