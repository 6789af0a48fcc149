/*
 * The TLS 1.2 client state machine (RFC 5246 7.3, ECDHE with AEAD suites
 * only), as the table at the end of this file:
 *
 *   WAIT_SH --ServerHello--> WAIT_CERT --Certificate--> WAIT_SKE
 *   (--CertificateStatus--> WAIT_SKE, once, when OCSP was answered)
 *   WAIT_SKE --ServerKeyExchange--> WAIT_SHD_CR
 *   WAIT_SHD_CR --CertificateRequest--> WAIT_SHD
 *   WAIT_SHD_CR or WAIT_SHD --ServerHelloDone--> (Certificate?,
 *   ClientKeyExchange, change_cipher_spec, Finished) WAIT_CCS
 *   --change_cipher_spec--> WAIT_FINISHED --Finished--> CONNECTED
 *   CONNECTED --HelloRequest--> (no_renegotiation) CONNECTED
 *
 * The client's version negotiation (client_hello.c) hands the first
 * ServerHello here when it names TLS 1.2.
 *
 * With a saved 1.2 session (resume12.c, RFC 5077 3.4) the ClientHello
 * carries its ticket beside a random session id; a ServerHello that
 * echoes that id resumes (RFC 5246 7.3):
 *
 *   WAIT_SH --ServerHello (resumed)--> WAIT_CCS (--NewSessionTicket-->
 *   WAIT_CCS, when the ServerHello carried session_ticket)
 *   --change_cipher_spec--> WAIT_FINISHED --Finished--> (change_cipher_spec,
 *   Finished) CONNECTED
 *
 * In a full handshake a NewSessionTicket may come in WAIT_CCS too. A
 * server that echoes the session id without a ticket offered is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

static bool listed(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* The ServerHello echoes our session id: RFC 5077 3.4, it resumes. */
static bool echoed(const pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	return c->hs->session_id_len > 0 &&
	       pl_reader_left(&sh->session_id) == c->hs->session_id_len &&
	       memcmp(sh->session_id.p, c->hs->session_id,
		      c->hs->session_id_len) == 0;
}

static int check_hello(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	if (sh->legacy_version != PL_TLS_VERSION_12)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the server chose %s; padlock speaks TLS 1.2 "
				   "and 1.3",
				   pl_tls_version_name(sh->legacy_version));
	/* RFC 8446 4.1.3: a TLS 1.3 server that negotiates TLS 1.2 with a
	 * client offering 1.3 marks its random; a mark here means someone
	 * removed 1.3 from our ClientHello. */
	if (c->hs->offered_tls13 && pl_msg_downgrade_sentinel(sh->random))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello carries the TLS 1.3 downgrade "
				   "sentinel: a downgrade attack or a broken "
				   "middlebox");
	if (echoed(c, sh) && !c->hs->ticket12_offered)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello resumes a session that was "
				   "never offered");
	if (sh->compression != 0)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selects compression %u",
				   sh->compression);
	if (!listed(c->cfg->suites12, c->cfg->n_suites12, sh->suite))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selects cipher suite %s, which "
				   "was not offered for TLS 1.2",
				   pl_tls_suite_name(sh->suite));
	return PL_OK;
}

static int check_extensions(pl_tls_conn_t *c, const pl_tls_exts_t *e)
{
	static const uint16_t allowed[] = {
		PL_EXT_SERVER_NAME, PL_EXT_ALPN, PL_EXT_EC_POINT_FORMATS,
		PL_EXT_EXTENDED_MASTER_SECRET, PL_EXT_RENEGOTIATION_INFO,
		PL_EXT_RECORD_SIZE_LIMIT, PL_EXT_SESSION_TICKET,
		PL_EXT_STATUS_REQUEST};
	size_t n = sizeof(allowed) / sizeof(allowed[0]);
	int ret;
	/* status_request is an answer only when it was asked. */
	if ((ret = pl_tls_exts_check(c, e, allowed,
				     c->cfg->status_request ? n : n - 1,
				     "ServerHello")))
		return ret;
	if (pl_exts_has(e, PL_EXT_SERVER_NAME) && !c->send_sni)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "ServerHello: server_name was not offered");
	if (pl_exts_has(e, PL_EXT_SESSION_TICKET) && c->cfg->no_tickets12)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "ServerHello: session_ticket was not offered");
	/* RFC 5746 3.4: empty in a first handshake. */
	if (pl_exts_has(e, PL_EXT_RENEGOTIATION_INFO) &&
	    pl_reader_left(&e->renegotiation) != 0)
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "ServerHello: renegotiation_info is not "
				   "empty in a first handshake");
	if (pl_exts_has(e, PL_EXT_EC_POINT_FORMATS) &&
	    memchr(e->point_formats.p, 0, pl_reader_left(&e->point_formats)) ==
		    NULL)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello: ec_point_formats lacks the "
				   "uncompressed format");
	c->hs->ems = pl_exts_has(e, PL_EXT_EXTENDED_MASTER_SECRET);
	if (!c->hs->ems && c->cfg->require_ems) /* RFC 7627 5.2 */
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "the server does not use the extended master "
				   "secret (RFC 7627), which is required here");
	c->hs->secure_reneg = pl_exts_has(e, PL_EXT_RENEGOTIATION_INFO);
	c->hs->ticket_ext = pl_exts_has(e, PL_EXT_SESSION_TICKET);
	c->hs->status_acked = pl_exts_has(e, PL_EXT_STATUS_REQUEST);
	if (pl_exts_has(e, PL_EXT_RECORD_SIZE_LIMIT)) {
		uint16_t limit = e->record_size_limit;
		if (limit < 64) /* RFC 8449 4 */
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "record_size_limit %u is below 64",
					   limit);
		c->peer_record_limit = limit < PL_TLS_MAX_PLAINTEXT
					       ? limit + 1
					       : PL_TLS_MAX_PLAINTEXT + 1;
		c->own_record_limit = c->cfg->record_size_limit;
	}
	if (pl_exts_has(e, PL_EXT_ALPN))
		return pl_tls_client_take_alpn(c, &e->alpn, "ServerHello");
	return PL_OK;
}

static int handle_server_hello(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_server_hello_t *sh = &m->u.server_hello;
	char hex[80];
	int ret;
	if ((ret = check_hello(c, sh)) ||
	    (ret = check_extensions(c, &sh->ext)))
		return ret;
	c->version = PL_TLS_VERSION_12;
	c->suite = sh->suite;
	pl_tls12_suite_params(c->suite, &c->hash, &c->aead, NULL);
	c->hash_len = pl_hash_len(c->hash);
	memcpy(c->hs->server_random, sh->random, 32);
	if ((ret = pl_tls_transcript_start(c, false)) ||
	    (ret = pl_tls_transcript_add(c, m->raw, m->raw_len)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	if (echoed(c, sh)) {
		if ((ret = pl_tls12_client_resume(c, sh)))
			return ret;
		pl_tls_trace(c, PL_STEP_SERVER_HELLO,
			     "ServerHello received: the server resumes our "
			     "TLS 1.2 session with its ticket (%s); no "
			     "certificate, no key exchange",
			     pl_tls_suite_name(sh->suite));
		return PL_TLS_ALT;
	}
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello received: the server chose TLS 1.2, %s; "
		     "server random %s; %s",
		     pl_tls_suite_name(sh->suite),
		     pl_tls_hex(sh->random, 32, 8, hex, sizeof(hex)),
		     c->hs->ems ? "extended master secret in use"
				: "no extended master secret");
	return PL_OK;
}

static int handle_certificate(pl_tls_conn_t *c, pl_tls_msg_t *msg)
{
	const pl_msg_certificate_t *m = &msg->u.certificate;
	pl_msg_cert_entry_t entry;
	const uint8_t *der[PL_TLS_MAX_PEER_CHAIN];
	size_t lens[PL_TLS_MAX_PEER_CHAIN], n = 0;
	bool ecdsa;
	int ret;
	pl_reader_t it = m->list;
	while (pl_msg_certificate_next(&it, m->version, &entry)) {
		if (n == PL_TLS_MAX_PEER_CHAIN)
			return pl_tls_fail(c, PL_ALERT_BAD_CERTIFICATE,
					   "certificate chain longer than %d",
					   PL_TLS_MAX_PEER_CHAIN);
		der[n] = entry.cert.p;
		lens[n++] = pl_reader_left(&entry.cert);
	}
	if ((ret = pl_tls_client_take_chain(c, der, lens, n)))
		return ret;
	/* RFC 5246 7.4.2: the key must suit the suite's key exchange. */
	pl_tls12_suite_params(c->suite, NULL, NULL, &ecdsa);
	pl_pkey_kind_t kind = pl_pkey_kind(pl_x509_chain_leaf_key(c->peer_chain));
	bool fits = ecdsa ? kind == PL_PKEY_EC_P256 || kind == PL_PKEY_EC_P384
			  : kind == PL_PKEY_RSA;
	if (!fits)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_CERTIFICATE,
				   "the server's certificate key does not suit "
				   "%s",
				   pl_tls_suite_name(c->suite));
	return PL_OK;
}

static int handle_certificate_status(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_certificate_status_t *cs = &m->u.certificate_status;
	if (!c->hs->status_acked) /* once, and only when answered */
		return pl_tls_unexpected(c, m->type);
	c->hs->status_acked = false;
	if (cs->status_type != 1)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "CertificateStatus: status type %u is not "
				   "ocsp",
				   cs->status_type);
	free(c->ocsp);
	c->ocsp_len = pl_reader_left(&cs->response);
	if ((c->ocsp = malloc(c->ocsp_len)) == NULL)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	memcpy(c->ocsp, cs->response.p, c->ocsp_len);
	return PL_OK;
}

/* The server's signature over both randoms and its ECDH parameters. */
static int verify_ske(pl_tls_conn_t *c, const pl_msg_server_key_exchange_t *ske)
{
	uint8_t content[PL_TLS12_SKE_CONTENT_MAX];
	size_t content_len;
	char desc[64];
	const pl_pkey_t *key = pl_x509_chain_leaf_key(c->peer_chain);
	int ret;
	if (!listed(c->cfg->schemes, c->cfg->n_schemes, ske->scheme) ||
	    key == NULL || !pl_pkey_supports(key, ske->scheme))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerKeyExchange uses %s, which was not "
				   "offered or does not fit the certificate's "
				   "key",
				   pl_tls_sigscheme_name(ske->scheme));
	if (pl_tls12_ske_content(c, &ske->params, content, sizeof(content),
				 &content_len))
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ServerKeyExchange: ECDH parameters too long");
	ret = pl_pkey_verify(key, ske->scheme, content, content_len,
			     ske->signature.p, pl_reader_left(&ske->signature));
	if (ret == PL_ERR_DECRYPT)
		return pl_tls_fail(c, PL_ALERT_DECRYPT_ERROR,
				   "the server's ServerKeyExchange signature "
				   "does not verify: it does not hold the "
				   "certificate's private key");
	if (ret)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerKeyExchange signature could not be "
				   "checked (%s)",
				   pl_strerror(ret));
	c->scheme = ske->scheme;
	pl_tls_trace(c, PL_STEP_CERTIFICATE_VERIFY,
		     "ServerKeyExchange checked: the server's ephemeral %s key, "
		     "signed with its certificate's private key (%s, %s over "
		     "both randoms and the key)",
		     pl_tls_group_name(c->group),
		     pl_pkey_describe(key, desc, sizeof(desc)),
		     pl_tls_sigscheme_name(ske->scheme));
	return PL_OK;
}

static int handle_server_key_exchange(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_server_key_exchange_t *ske = &m->u.server_key_exchange;
	int ret;
	if (!listed(c->cfg->groups, c->cfg->n_groups, ske->group) ||
	    !pl_tls12_group_usable(ske->group))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerKeyExchange names %s, which was not "
				   "offered for TLS 1.2",
				   pl_tls_group_name(ske->group));
	c->group = ske->group;
	c->hs->status_acked = false;
	if ((ret = verify_ske(c, ske)))
		return ret;
	for (size_t i = 0; i < c->hs->n_shares; i++)
		pl_tls_share_free(&c->hs->shares[i]);
	c->hs->n_shares = 1;
	if (pl_tls_share_new(c, &c->hs->shares[0], c->group))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a %s key pair",
				   pl_tls_group_name(c->group));
	ret = pl_tls_share_finish(&c->hs->shares[0], ske->point.p,
				  pl_reader_left(&ske->point), c->hs->pms,
				  sizeof(c->hs->pms), &c->hs->pms_len);
	if (ret == PL_ERR_DECODE) /* RFC 8422 5.11 */
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerKeyExchange: the server's %s key is "
				   "not a valid public key",
				   pl_tls_group_name(c->group));
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "%s key exchange failed",
				   pl_tls_group_name(c->group));
	return PL_OK;
}

static int handle_certificate_request(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	(void)m;
	c->cert_requested = true;
	return PL_OK;
}

static int send_client_key_exchange(pl_tls_conn_t *c)
{
	uint8_t pub[PL_KEX_PUBLIC_MAX];
	size_t pub_len;
	pl_msg_client_key_exchange_t cke;
	int ret;
	if (c->cert_requested) {
		/* No client certificates: an empty list (RFC 5246 7.4.6). */
		pl_msg_certificate_t m;
		memset(&m, 0, sizeof(m));
		m.version = PL_TLS_VERSION_12;
		pl_tls_hs_begin(c, PL_HS_CERTIFICATE);
		pl_msg_certificate_write(&c->hs_out, &m);
		if ((ret = pl_tls_hs_end(c)))
			return ret;
	}
	if (pl_tls_share_public(&c->hs->shares[0], pub, sizeof(pub), &pub_len))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not write the %s public key",
				   pl_tls_group_name(c->group));
	pl_reader_init(&cke.point, pub, pub_len);
	pl_tls_hs_begin(c, PL_HS_CLIENT_KEY_EXCHANGE);
	pl_msg_client_key_exchange_write(&c->hs_out, &cke);
	return pl_tls_hs_end(c);
}

static int handle_server_hello_done(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	int ret;
	(void)m;
	if ((ret = send_client_key_exchange(c)))
		return ret;
	/* RFC 7627 4: the session hash ends with the ClientKeyExchange. */
	ret = pl_tls12_master_secret(c, c->hs->pms, c->hs->pms_len);
	pl_cleanse(c->hs->pms, sizeof(c->hs->pms));
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	pl_tls_trace(c, PL_STEP_KEY_EXCHANGE,
		     "ClientKeyExchange sent: our ephemeral %s key; the ECDHE "
		     "shared secret is the premaster secret (never sent, "
		     "forward secret); the master secret comes from it and %s; "
		     "the session keys from the master secret and both randoms",
		     pl_tls_group_name(c->group),
		     c->hs->ems ? "the session hash (extended master secret)"
				: "both randoms");
	if ((ret = pl_tls12_send_ccs(c)) || (ret = pl_tls12_send_finished(c)))
		return ret;
	pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
		     "ChangeCipherSpec and Finished sent: from here on we "
		     "encrypt, and prove we saw the same handshake");
	return PL_OK;
}

static int handle_finished(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	int ret;
	if ((ret = pl_tls12_recv_finished(c, &m->u.finished)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
		     "ChangeCipherSpec and Finished received and verified: the "
		     "server saw exactly the handshake we saw");
	/* RFC 5246 7.3: resuming, the server's Finished comes first */
	if (c->resumed) {
		if ((ret = pl_tls12_send_ccs(c)) ||
		    (ret = pl_tls12_send_finished(c)))
			return ret;
		pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
			     "ChangeCipherSpec and Finished sent: the session "
			     "is resumed");
	}
	pl_tls_handshake_cleanup(c);
	c->state = ST_CONNECTED;
	pl_tls_trace(c, PL_STEP_APPLICATION_KEYS,
		     "Session keys (%s) in use; the connection is ready",
		     pl_tls_suite_name(c->suite));
	return PL_OK;
}

static const pl_tls_row_t rows[] = {
	{CL12_WAIT_SH, PL_HS_SERVER_HELLO, 0, handle_server_hello,
	 CL12_WAIT_CERT, CL12_WAIT_CCS},
	{CL12_WAIT_CERT, PL_HS_CERTIFICATE, -1, handle_certificate,
	 CL12_WAIT_SKE, CL12_WAIT_SKE},
	{CL12_WAIT_SKE, PL_HS_CERTIFICATE_STATUS, -1, handle_certificate_status,
	 CL12_WAIT_SKE, CL12_WAIT_SKE},
	{CL12_WAIT_SKE, PL_HS_SERVER_KEY_EXCHANGE, -1,
	 handle_server_key_exchange, CL12_WAIT_SHD_CR, CL12_WAIT_SHD_CR},
	{CL12_WAIT_SHD_CR, PL_HS_CERTIFICATE_REQUEST, -1,
	 handle_certificate_request, CL12_WAIT_SHD, CL12_WAIT_SHD},
	{CL12_WAIT_SHD_CR, PL_HS_SERVER_HELLO_DONE, -1,
	 handle_server_hello_done, CL12_WAIT_CCS, CL12_WAIT_CCS},
	{CL12_WAIT_SHD, PL_HS_SERVER_HELLO_DONE, -1, handle_server_hello_done,
	 CL12_WAIT_CCS, CL12_WAIT_CCS},
	{CL12_WAIT_CCS, PL_HS_NEW_SESSION_TICKET, -1, pl_tls12_handle_ticket,
	 CL12_WAIT_CCS, CL12_WAIT_CCS},
	{CL12_WAIT_FINISHED, PL_HS_FINISHED, -1, handle_finished,
	 CL12_CONNECTED, CL12_CONNECTED},
	{CL12_CONNECTED, PL_HS_HELLO_REQUEST, -1,
	 pl_tls12_refuse_renegotiation, CL12_CONNECTED, CL12_CONNECTED},
};

static const char *const state_names[] = {
	[CL12_WAIT_SH] = "WAIT_SERVER_HELLO",
	[CL12_WAIT_CERT] = "WAIT_CERTIFICATE",
	[CL12_WAIT_SKE] = "WAIT_SERVER_KEY_EXCHANGE",
	[CL12_WAIT_SHD_CR] = "WAIT_SERVER_HELLO_DONE",
	[CL12_WAIT_SHD] = "WAIT_SERVER_HELLO_DONE (after CertificateRequest)",
	[CL12_WAIT_CCS] = "WAIT_CHANGE_CIPHER_SPEC",
	[CL12_WAIT_FINISHED] = "WAIT_FINISHED",
	[CL12_CONNECTED] = "CONNECTED",
};

const pl_tls_machine_t pl_tls12_client_machine = {
	"TLS 1.2 client", PL_TLS_VERSION_12, rows,
	sizeof(rows) / sizeof(rows[0]), state_names, CL12_CONNECTED,
	pl_tls12_recv_ccs,
};
