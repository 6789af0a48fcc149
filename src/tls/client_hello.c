/*
 * The client's ClientHello, offering every version of its config (RFC
 * 8446 4.1.2; for TLS 1.2 also RFC 8422 5.1, 7627 5.2, 5746 3.4), and
 * the client's version negotiation: the ServerHello says which state
 * machine (TLS 1.3 or 1.2) takes the rest of the handshake.
 */
#include <string.h>

#include "tls/tls_int.h"

static bool offers(const pl_tls_conn_t *c, uint16_t version)
{
	return pl_tls_config_speaks(c->cfg, version);
}

/* The ClientHello's extensions, in the order padlock sends them. */
static void hello_extensions(pl_tls_conn_t *c, pl_tls_exts_t *e,
			     const pl_msg_share_t *shares)
{
	static const uint16_t both[] = {PL_TLS_VERSION_13, PL_TLS_VERSION_12};
	static const uint8_t psk_dhe_ke = 1;
	static const uint8_t uncompressed = 0;
	const pl_tls_config_t *cfg = c->cfg;
	bool tls13 = offers(c, PL_TLS_VERSION_13);
	bool tls12 = offers(c, PL_TLS_VERSION_12);
	memset(e, 0, sizeof(*e));
	if (c->send_sni) { /* RFC 6066 3 */
		pl_reader_init(&e->server_name, (const uint8_t *)c->server_name,
			       strlen(c->server_name));
		pl_exts_add(e, PL_EXT_SERVER_NAME);
	}
	/* RFC 8446 4.2.1: a client that offers only TLS 1.2 sends no
	 * supported_versions (and no key shares). */
	if (tls13) {
		e->versions = pl_u16_list(both, tls12 ? 2 : 1);
		pl_exts_add(e, PL_EXT_SUPPORTED_VERSIONS);
	}
	e->groups = pl_u16_list(cfg->groups, cfg->n_groups);
	pl_exts_add(e, PL_EXT_SUPPORTED_GROUPS);
	if (tls13) {
		e->share_v = shares;
		e->n_share_v = c->hs->n_shares;
		pl_exts_add(e, PL_EXT_KEY_SHARE);
	}
	e->schemes = pl_u16_list(cfg->schemes, cfg->n_schemes);
	pl_exts_add(e, PL_EXT_SIGNATURE_ALGORITHMS);
	if (cfg->alpn_len) {
		pl_reader_init(&e->alpn, cfg->alpn_wire, cfg->alpn_len);
		pl_exts_add(e, PL_EXT_ALPN);
	}
	e->record_size_limit = cfg->record_size_limit; /* RFC 8449 4 */
	pl_exts_add(e, PL_EXT_RECORD_SIZE_LIMIT);
	/* psk_dhe_ke, so servers send tickets for a later resumption. */
	if (tls13) {
		pl_reader_init(&e->psk_modes, &psk_dhe_ke, 1);
		pl_exts_add(e, PL_EXT_PSK_KEY_EXCHANGE_MODES);
	}
	if (cfg->status_request) /* RFC 6066 8: OCSP, no responder ids */
		pl_exts_add(e, PL_EXT_STATUS_REQUEST);
	if (c->hs->cookie_len) { /* RFC 8446 4.2.2: echo the HRR's cookie */
		pl_reader_init(&e->cookie, c->hs->cookie, c->hs->cookie_len);
		pl_exts_add(e, PL_EXT_COOKIE);
	}
	if (tls12) {
		/* RFC 8422 5.1.2: uncompressed points only; RFC 7627 5.2:
		 * the extended master secret; RFC 5746 3.4: an empty
		 * renegotiation_info in the first handshake. */
		pl_reader_init(&e->point_formats, &uncompressed, 1);
		pl_exts_add(e, PL_EXT_EC_POINT_FORMATS);
		pl_exts_add(e, PL_EXT_EXTENDED_MASTER_SECRET);
		pl_exts_add(e, PL_EXT_RENEGOTIATION_INFO);
		/* RFC 5077 3.2: a saved session's ticket, or empty */
		if (!cfg->no_tickets12)
			pl_tls12_client_ticket_ext(c, e);
	}
}

/* The config's client_hello callback sent other bytes than ours: take
 * their random and session id so the rest of the handshake matches. */
static int take_injected_hello(pl_tls_conn_t *c, const uint8_t *ch, size_t len)
{
	pl_msg_client_hello_t m;
	pl_msg_err_t err;
	pl_reader_t body;
	if (len < 4)
		return PL_ERR_ARG;
	pl_reader_init(&body, ch + 4, len - 4);
	if (pl_msg_client_hello_parse(&body, &m, &err))
		return PL_ERR_ARG;
	memcpy(c->client_random, m.random, 32);
	c->hs->session_id_len = (uint8_t)pl_reader_left(&m.session_id);
	memcpy(c->hs->session_id, m.session_id.p, c->hs->session_id_len);
	c->hs_out.len = c->hs_msg_start;
	pl_push_bytes(&c->hs_out, ch, len);
	return pl_buf_error(&c->hs_out);
}

/* Writes the ClientHello into hs_out (and the transcript), through the
 * config's client_hello callback when one is set. */
int pl_tls_send_client_hello(pl_tls_conn_t *c)
{
	pl_msg_client_hello_t ch;
	pl_msg_share_t shares[PL_TLS_MAX_SHARES];
	uint8_t pub[PL_TLS_MAX_SHARES][PL_TLS_SHARE_MAX];
	uint16_t suites[PL_TLS_MAX_SUITES + PL_TLS_MAX_SUITES12];
	size_t n_suites = 0;
	int ret;
	memset(&ch, 0, sizeof(ch));
	for (size_t i = 0; i < c->hs->n_shares; i++) {
		shares[i].group = c->hs->shares[i].group;
		shares[i].key = pub[i];
		if (pl_tls_share_public(&c->hs->shares[i], pub[i],
					sizeof(pub[i]), &shares[i].key_len))
			return PL_ERR_CRYPTO;
	}
	ch.legacy_version = 0x0303; /* RFC 8446 4.1.2 */
	memcpy(ch.random, c->client_random, 32);
	pl_reader_init(&ch.session_id, c->hs->session_id, c->hs->session_id_len);
	if (offers(c, PL_TLS_VERSION_13))
		for (size_t i = 0; i < c->cfg->n_suites; i++)
			suites[n_suites++] = c->cfg->suites[i];
	if (offers(c, PL_TLS_VERSION_12))
		for (size_t i = 0; i < c->cfg->n_suites12; i++)
			suites[n_suites++] = c->cfg->suites12[i];
	ch.suites = pl_u16_list(suites, n_suites);
	ch.has_extensions = true;
	hello_extensions(c, &ch.ext, shares);
	/* RFC 8446 4.2.11: pre_shared_key comes last */
	if (offers(c, PL_TLS_VERSION_13) &&
	    (ret = pl_tls13_client_psk_ext(c, &ch.ext)))
		return ret;
	pl_tls_hs_begin(c, PL_HS_CLIENT_HELLO);
	pl_msg_client_hello_write(&c->hs_out, &ch);
	pl_push_close(&c->hs_out);
	if ((ret = pl_buf_error(&c->hs_out)))
		return ret;
	const uint8_t *msg = c->hs_out.data + c->hs_msg_start;
	size_t len = c->hs_out.len - c->hs_msg_start;
	if ((ret = pl_tls13_client_binder(c, c->hs_out.data + c->hs_msg_start,
					  ch.binders_offset)))
		return ret;
	if (c->cfg->client_hello) {
		const uint8_t *mine = msg;
		if ((ret = c->cfg->client_hello(c->cfg->client_hello_arg, c,
						c->hs->hellos_sent, &msg, &len)))
			return ret;
		if (msg != mine && (ret = take_injected_hello(c, msg, len)))
			return ret;
		msg = c->hs_out.data + c->hs_msg_start;
	}
	c->hs->hellos_sent++;
	return pl_tls_transcript_add(c, msg, len);
}


int pl_tls_client_negotiate(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	/* supported_versions makes a ServerHello (or a HelloRetryRequest)
	 * TLS 1.3's; the 1.3 machine also reports a ServerHello for a
	 * version that was not offered. */
	/* RFC 8446 4.2.1: a version that was not offered. */
	if (m->u.server_hello.tls13 && !offers(c, PL_TLS_VERSION_13))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "the server chose TLS 1.3, which was not "
				   "offered");
	if (m->u.server_hello.tls13 || !offers(c, PL_TLS_VERSION_12)) {
		c->machine = &pl_tls13_client_machine;
		c->machine_state = CL13_WAIT_SH;
	} else {
		c->hs->offered_tls13 = offers(c, PL_TLS_VERSION_13);
		c->machine = &pl_tls12_client_machine;
		c->machine_state = CL12_WAIT_SH;
	}
	return pl_tls_machine_run(c, m);
}
