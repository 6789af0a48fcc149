/*
 * The record layer (RFC 8446 5): records out (fragmented, protected with
 * the current traffic key) and records in (limits, unprotection, padding,
 * content-type rules), and alerts.
 */
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

static size_t max_fragment(const pl_tls_conn_t *c)
{
	if (!pl_tls_protect_on(&c->wr.prot))
		return PL_TLS_MAX_PLAINTEXT;
	/* RFC 8449 4: the limit counts the content type byte in TLS 1.3. */
	size_t limit = (size_t)c->peer_record_limit - 1;
	return limit < PL_TLS_MAX_PLAINTEXT ? limit : PL_TLS_MAX_PLAINTEXT;
}

static int write_plain(pl_tls_conn_t *c, uint8_t type, const uint8_t *data,
		       size_t len)
{
	/* RFC 8446 5.1: legacy_record_version 0x0301 is allowed for the
	 * first ClientHello; 0x0303 everywhere else. */
	uint16_t version = (type == PL_CT_HANDSHAKE && !c->is_server &&
			    c->state == ST_CLIENT_START)
				   ? 0x0301
				   : 0x0303;
	pl_push_u8(&c->out, type);
	pl_push_u16(&c->out, version);
	pl_push_u16(&c->out, (uint16_t)len);
	pl_push_bytes(&c->out, data, len);
	return pl_buf_error(&c->out);
}

static int write_protected(pl_tls_conn_t *c, uint8_t type, const uint8_t *data,
			   size_t len)
{
	int ret = pl_tls_protect_seal(&c->wr.prot, type, data, len, &c->out);
	if (ret == PL_ERR_STATE)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "sending sequence number exhausted");
	return ret;
}

int pl_tls_record_write(pl_tls_conn_t *c, uint8_t type, const uint8_t *data,
			size_t len)
{
	int ret = PL_OK;
	if (type == PL_CT_CHANGE_CIPHER_SPEC || !pl_tls_protect_on(&c->wr.prot))
		do {
			size_t n = len < PL_TLS_MAX_PLAINTEXT ? len
							      : PL_TLS_MAX_PLAINTEXT;
			if ((ret = write_plain(c, type, data, n)))
				return ret;
			data += n;
			len -= n;
		} while (len > 0);
	else {
		size_t max = max_fragment(c);
		do {
			size_t n = len < max ? len : max;
			if ((ret = write_protected(c, type, data, n)))
				return ret;
			data += n;
			len -= n;
		} while (len > 0);
	}
	return ret;
}

int pl_tls_send_alert(pl_tls_conn_t *c, uint8_t alert)
{
	/* RFC 8446 6: every alert but close_notify and user_canceled is
	 * fatal (level 2); RFC 5246 7.2.2: no_renegotiation is always a
	 * warning. */
	bool warning = alert == PL_ALERT_CLOSE_NOTIFY ||
		       alert == PL_ALERT_USER_CANCELED ||
		       alert == PL_ALERT_NO_RENEGOTIATION;
	uint8_t body[2] = {(uint8_t)(warning ? 1 : 2), alert};
	return pl_tls_record_write(c, PL_CT_ALERT, body, sizeof(body));
}

static int read_alert(pl_tls_conn_t *c, const uint8_t *p, size_t len)
{
	if (len != 2)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "alert record of %zu bytes (must be 2)", len);
	if (p[1] == PL_ALERT_CLOSE_NOTIFY) {
		c->peer_closed = true;
		pl_tls_trace(c, PL_STEP_ALERT, "peer sent close_notify");
		return PL_OK;
	}
	if (p[1] == PL_ALERT_USER_CANCELED) {
		pl_tls_trace(c, PL_STEP_ALERT, "peer sent user_canceled");
		return PL_OK;
	}
	/* RFC 8446 6.2: any other alert ends the connection. */
	c->alert = p[1];
	c->alert_received = true;
	char text[64];
	snprintf(text, sizeof(text), "the %s sent alert %s",
		 c->is_server ? "client" : "server", pl_tls_alert_name(p[1]));
	(void)pl_tls_set_string(&c->reason, text, strlen(text));
	c->state = ST_FAILED;
	pl_tls_trace(c, PL_STEP_ALERT, "%s", text);
	return PL_ERR_TLS;
}

static int read_ccs(pl_tls_conn_t *c, const uint8_t *p, size_t len)
{
	/* TLS 1.2: the machine switches keys on it. */
	if (c->machine != NULL && c->machine->ccs != NULL)
		return c->machine->ccs(c, p, len);
	/* RFC 8446 5: a single 0x01 byte, unprotected, between the first
	 * ClientHello and the peer's Finished, is dropped; anything else is
	 * unexpected_message. */
	if (!c->ccs_allowed)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "change_cipher_spec record outside the "
				   "handshake");
	if (len != 1 || p[0] != 0x01)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "change_cipher_spec record is not the "
				   "single byte 0x01");
	return PL_OK;
}

/* Queues len bytes of application data at p for pl_tls_read. p points
 * into c->in, where read_protected decrypted it (application data never
 * arrives unprotected). When nothing is queued yet, the record buffer
 * itself becomes app_in, the plaintext left where it is, and app_in's
 * empty memory takes the next record: a 16 KiB record is then not copied
 * a second time. */
static int queue_app_data(pl_tls_conn_t *c, const uint8_t *p, size_t len)
{
	if (pl_buf_size(&c->app_in) == 0 && len > 0) {
		pl_buf_t spare = c->app_in;
		c->app_in = c->in;
		c->app_in.start = (size_t)(p - c->in.data);
		c->app_in.len = c->app_in.start + len;
		c->in = spare;
		pl_buf_reset(&c->in);
		return PL_OK;
	}
	pl_push_bytes(&c->app_in, p, len);
	return pl_buf_error(&c->app_in);
}

static int read_content(pl_tls_conn_t *c, uint8_t type, const uint8_t *p,
			size_t len)
{
	switch (type) {
	case PL_CT_ALERT:
		return read_alert(c, p, len);
	case PL_CT_HANDSHAKE:
		if (len == 0)
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "empty handshake record");
		return pl_tls_handshake_input(c, p, len);
	case PL_CT_APPLICATION_DATA:
		if (!c->rd.application)
			return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
					   "application data before the "
					   "handshake finished");
		/* RFC 8446 5.1: no other record between the fragments of
		 * a handshake message. */
		if (pl_buf_size(&c->hs_in) > 0)
			return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
					   "application data inside a handshake "
					   "message split over records");
		if (c->peer_closed)
			return PL_OK;
		return queue_app_data(c, p, len);
	default:
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "record of unknown content type %u", type);
	}
}

/* RFC 8446 4.2.10: a server that rejected 0-RTT without a
 * HelloRetryRequest skips the client's early data records that fail to
 * deprotect, up to a budget (early_skip, set while early data may still
 * come and cleared by the first record that deprotects). A record too
 * short to hold any AEAD record is never early data: it is bad_record_mac
 * like any other. */
static bool may_skip_early_data(const pl_tls_conn_t *c, size_t len)
{
	return c->early_skip > 0 && !c->hrr && len <= c->early_skip &&
	       len >= c->rd.prot.ops->overhead(&c->rd.prot);
}

static int read_protected(pl_tls_conn_t *c, uint8_t *rec, size_t len)
{
	pl_tls_opened_t o;
	int ret = pl_tls_protect_open(&c->rd.prot, rec, len,
				      c->own_record_limit, &o);
	if (ret == PL_ERR_DECRYPT && may_skip_early_data(c, len)) {
		c->early_skip -= len;
		return PL_OK;
	}
	if (ret != PL_OK)
		return pl_tls_fail(c, o.alert, "%s", o.why);
	c->early_skip = 0;
	if (o.type == PL_CT_CHANGE_CIPHER_SPEC)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "protected change_cipher_spec record");
	/* RFC 8446 5.4: a handshake or alert TLSInnerPlaintext with empty
	 * content is unexpected_message, whatever its padding. */
	if (o.len == 0 && (o.type == PL_CT_HANDSHAKE || o.type == PL_CT_ALERT))
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "protected %s record with no content",
				   o.type == PL_CT_ALERT ? "alert"
							 : "handshake");
	return read_content(c, o.type, o.data, o.len);
}

int pl_tls_record_read(pl_tls_conn_t *c)
{
	uint8_t *rec = c->in.data + c->in.start;
	uint8_t type = rec[0];
	size_t len = (size_t)rec[3] << 8 | rec[4];
	uint8_t *body = rec + PL_TLS_RECORD_HEADER;

	if (c->peer_closed)
		return PL_OK; /* RFC 8446 6.1: data after close_notify is ignored */
	if (type == PL_CT_CHANGE_CIPHER_SPEC)
		return read_ccs(c, body, len);
	if (pl_tls_protect_on(&c->rd.prot)) {
		/* TLS 1.2 records keep their content type outside. */
		if (type == PL_CT_APPLICATION_DATA ||
		    c->rd.prot.ops == &pl_tls_protect_12)
			return read_protected(c, rec, len);
		/* A peer that failed before it installed its keys may send
		 * a plaintext alert; keep what it says. */
		if (type == PL_CT_ALERT && !c->rd.application &&
		    len <= PL_TLS_MAX_PLAINTEXT)
			return read_alert(c, body, len);
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "unprotected record of type %u after keys "
				   "were established",
				   type);
	}
	/* RFC 8446 4.2.10: after a HelloRetryRequest, the early data sent
	 * with the first ClientHello is skipped, within the budget, until
	 * the second ClientHello arrives. */
	if (type == PL_CT_APPLICATION_DATA &&
	    c->is_server && c->hrr && c->machine_state == SV13_WAIT_CH2 &&
	    len <= c->early_skip) {
		c->early_skip -= len;
		return PL_OK;
	}
	if (len > PL_TLS_MAX_PLAINTEXT)
		return pl_tls_fail(c, PL_ALERT_RECORD_OVERFLOW,
				   "plaintext record of %zu bytes (limit 16384)",
				   len);
	if (type == PL_CT_APPLICATION_DATA)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "application data before the handshake "
				   "finished");
	return read_content(c, type, body, len);
}
