/*
 * The TLS 1.2 server state machine (RFC 5246 7.3, ECDHE with AEAD suites
 * only), as the table at the end of this file:
 *
 *   START --ClientHello--> (ServerHello, Certificate, ServerKeyExchange,
 *   ServerHelloDone) WAIT_CKE --ClientKeyExchange--> WAIT_CCS
 *   --change_cipher_spec--> WAIT_FINISHED --Finished--> (change_cipher_spec,
 *   Finished) CONNECTED --ClientHello--> (no_renegotiation) CONNECTED
 *
 * START's ClientHello comes from the version negotiation (negotiate.c),
 * already parsed. change_cipher_spec is a record, not a message: the
 * machine's ccs hook takes it (tls12_common.c).
 *
 * With tickets (resume12.c, RFC 5077): a full handshake with the extended
 * master secret answers session_ticket and sends a NewSessionTicket
 * before its change_cipher_spec; a ticket that fits gives the
 * abbreviated handshake (RFC 5246 7.3):
 *
 *   START --ClientHello--> (ServerHello, NewSessionTicket?,
 *   change_cipher_spec, Finished) WAIT_CCS --change_cipher_spec-->
 *   WAIT_FINISHED --Finished--> CONNECTED
 *
 * No session is cached: the session id of a full handshake is empty, a
 * resumed one echoes the client's (RFC 5077 3.4).
 */
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

/* RFC 5246 7.4.1.2: null must be among the methods; it is the one used. */
static int check_compression(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	pl_reader_t it = ch->compression;
	uint8_t m;
	while (pl_read_u8(&it, &m) == PL_OK)
		if (m == 0)
			return PL_OK;
	return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
			   "ClientHello does not offer the null compression "
			   "method");
}

/* RFC 5746 3.6 (renegotiation indication), RFC 7627 5.2 (extended master
 * secret), RFC 8422 5.1.2 (point formats). */
static int check_tls12_exts(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	const pl_tls_exts_t *e = &ch->ext;
	bool reneg = pl_exts_has(e, PL_EXT_RENEGOTIATION_INFO);
	if (reneg && pl_reader_left(&e->renegotiation) != 0)
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "ClientHello: renegotiation_info is not "
				   "empty in a first handshake");
	c->hs->secure_reneg =
		reneg ||
		pl_u16_list_has(&ch->suites, PL_TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
	c->hs->ems = pl_exts_has(e, PL_EXT_EXTENDED_MASTER_SECRET);
	if (!c->hs->ems && c->cfg->require_ems)
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "the client does not offer the extended "
				   "master secret (RFC 7627), which this "
				   "server requires");
	if (pl_exts_has(e, PL_EXT_EC_POINT_FORMATS) &&
	    memchr(e->point_formats.p, 0, pl_reader_left(&e->point_formats)) ==
		    NULL)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientHello: ec_point_formats lacks the "
				   "uncompressed format");
	return PL_OK;
}

static int choose_group(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	const pl_tls_config_t *cfg = c->cfg;
	/* RFC 8422 4: without supported_groups a client takes any curve;
	 * P-256 is the one every such client has. */
	bool any = !pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_GROUPS);
	for (size_t i = 0; i < cfg->n_groups; i++) {
		uint16_t g = cfg->groups[i];
		if (pl_tls12_group_usable(g) &&
		    (any ? g == PL_GROUP_SECP256R1
			 : pl_u16_list_has(&ch->ext.groups, g))) {
			c->group = g;
			return PL_OK;
		}
	}
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no elliptic curve in common with the client for "
			   "TLS 1.2");
}

/* The server's first signature scheme the client accepts and key can make
 * for TLS 1.2 (RSA-PSS before PKCS#1 v1.5, ECDSA with the curve's hash);
 * 0 when none. */
static uint16_t pick_scheme(const pl_tls_conn_t *c,
			    const pl_msg_client_hello_t *ch, const pl_pkey_t *key)
{
	for (size_t j = 0; j < c->cfg->n_schemes; j++) {
		uint16_t s = c->cfg->schemes[j];
		if (s != PL_SIG_ED25519 && pl_u16_list_has(&ch->ext.schemes, s) &&
		    pl_pkey_supports(key, s))
			return s;
	}
	return 0;
}

/* RFC 8422 5.1: supported_groups also names the curves a client verifies
 * ECDSA signatures on, so an ECDSA key's curve must be among them. */
static bool key_fits(const pl_msg_client_hello_t *ch, const pl_pkey_t *key,
		     bool ecdsa)
{
	pl_pkey_kind_t k = pl_pkey_kind(key);
	bool listed = !pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_GROUPS);
	if (!ecdsa)
		return k == PL_PKEY_RSA;
	if (k == PL_PKEY_EC_P256)
		return listed || pl_u16_list_has(&ch->ext.groups,
						 PL_GROUP_SECP256R1);
	if (k == PL_PKEY_EC_P384)
		return listed || pl_u16_list_has(&ch->ext.groups,
						 PL_GROUP_SECP384R1);
	return false;
}

/* One chain for one suite: c->own, c->scheme; false when none fits. */
static bool chain_for_suite(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch,
			    bool ecdsa, bool named)
{
	const pl_tls_config_t *cfg = c->cfg;
	const pl_tls_chain_entry_t *acme = &c->challenge_chain;
	uint16_t scheme;
	if (acme->chain != NULL) { /* RFC 8737 3, whatever the SNI policy */
		if (!key_fits(ch, acme->key, ecdsa) ||
		    (scheme = pick_scheme(c, ch, acme->key)) == 0)
			return false;
		c->own = acme;
		c->scheme = scheme;
		return true;
	}
	for (size_t i = 0; i < cfg->n_chains; i++) {
		const pl_tls_chain_entry_t *e = &cfg->chains[i];
		if (named && !pl_x509_chain_covers(e->chain, c->server_name))
			continue;
		if (!key_fits(ch, e->key, ecdsa) ||
		    (scheme = pick_scheme(c, ch, e->key)) == 0)
			continue;
		c->own = e;
		c->scheme = scheme;
		return true;
	}
	return false;
}

/* The suite (server order), with a chain for the client's name whose key
 * the suite uses and a signature scheme the client accepts. */
static int choose_suite(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	const pl_tls_config_t *cfg = c->cfg;
	if (cfg->n_chains == 0 && c->challenge_chain.chain == NULL)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "the server has no certificate configured");
	/* RFC 5246 7.4.1.4.1: without signature_algorithms the client
	 * takes only SHA-1 signatures, which padlock never makes. */
	if (!pl_exts_has(&ch->ext, PL_EXT_SIGNATURE_ALGORITHMS))
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "ClientHello has no signature_algorithms: "
				   "the client would accept only SHA-1 "
				   "signatures");
	bool covered = false;
	for (size_t i = 0; c->server_name && i < cfg->n_chains; i++)
		covered |= pl_x509_chain_covers(cfg->chains[i].chain,
						c->server_name);
	if (pl_tls_refuse_pending(c) != PL_OK)
		return PL_ERR_TLS;
	if (cfg->strict_sni && c->server_name && !covered &&
	    c->challenge_chain.chain == NULL) /* RFC 6066 3 */
		return pl_tls_fail(c, PL_ALERT_UNRECOGNIZED_NAME,
				   "no site here is named '%s'", c->server_name);
	for (int pass = covered ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < cfg->n_suites12; i++) {
			uint16_t s = cfg->suites12[i];
			bool ecdsa;
			pl_tls12_suite_params(s, &c->hash, &c->aead, &ecdsa);
			if (pl_u16_list_has(&ch->suites, s) &&
			    chain_for_suite(c, ch, ecdsa, pass == 0)) {
				c->suite = s;
				c->hash_len = pl_hash_len(c->hash);
				return PL_OK;
			}
		}
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no TLS 1.2 cipher suite in common with the client "
			   "(ECDHE with AES-GCM or ChaCha20-Poly1305) that a "
			   "certificate here can sign for");
}

static int send_server_hello(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	static const uint8_t uncompressed = 0;
	pl_msg_server_hello_t sh;
	int ret;
	if ((ret = pl_tls_random(c, PL_TLS_RANDOM_HELLO, c->hs->server_random,
				 32)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "no randomness");
	/* RFC 8446 4.1.3: a server that speaks TLS 1.3 marks a TLS 1.2
	 * ServerHello, so a 1.3 client detects a downgrade. */
	if (pl_tls_config_speaks(c->cfg, PL_TLS_VERSION_13))
		memcpy(c->hs->server_random + 24, pl_tls12_downgrade_sentinel, 8);
	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = PL_TLS_VERSION_12;
	memcpy(sh.random, c->hs->server_random, 32);
	sh.suite = c->suite;
	if (c->resumed) /* RFC 5077 3.4 */
		pl_reader_init(&sh.session_id, c->hs->session_id,
			       c->hs->session_id_len);
	if (c->hs->secure_reneg) /* RFC 5746 3.6: empty */
		pl_exts_add(&sh.ext, PL_EXT_RENEGOTIATION_INFO);
	if (c->hs->ems) /* RFC 7627 5.2 */
		pl_exts_add(&sh.ext, PL_EXT_EXTENDED_MASTER_SECRET);
	if (pl_exts_has(&ch->ext, PL_EXT_EC_POINT_FORMATS)) {
		pl_reader_init(&sh.ext.point_formats, &uncompressed, 1);
		pl_exts_add(&sh.ext, PL_EXT_EC_POINT_FORMATS);
	}
	/* RFC 6066 3: the name was used; never when resuming */
	if (c->server_name && !c->resumed)
		pl_exts_add(&sh.ext, PL_EXT_SERVER_NAME);
	if (c->alpn) {
		pl_reader_init(&sh.ext.alpn, (const uint8_t *)c->alpn,
			       strlen(c->alpn));
		pl_exts_add(&sh.ext, PL_EXT_ALPN);
	}
	if (c->hs->ticket_ext) /* RFC 5077 3.2: a NewSessionTicket follows */
		pl_exts_add(&sh.ext, PL_EXT_SESSION_TICKET);
	sh.has_extensions = sh.ext.n_order > 0;
	pl_tls_hs_begin(c, PL_HS_SERVER_HELLO);
	pl_msg_server_hello_write(&c->hs_out, &sh);
	return pl_tls_hs_end(c);
}

static int send_certificate(pl_tls_conn_t *c)
{
	pl_msg_certificate_t m;
	memset(&m, 0, sizeof(m));
	m.version = PL_TLS_VERSION_12;
	m.chain = c->own->chain;
	pl_tls_hs_begin(c, PL_HS_CERTIFICATE);
	pl_msg_certificate_write(&c->hs_out, &m);
	return pl_tls_hs_end(c);
}

/* RFC 8422 5.4: the ephemeral key, signed with the certificate's key
 * over both randoms and the parameters. */
static int send_server_key_exchange(pl_tls_conn_t *c)
{
	uint8_t pub[PL_KEX_PUBLIC_MAX], content[PL_TLS12_SKE_CONTENT_MAX];
	uint8_t sig[PL_SIG_MAX];
	size_t pub_len, content_len, sig_len;
	pl_buf_t params = PL_BUF_INIT;
	pl_msg_server_key_exchange_t ske;
	pl_reader_t pr;
	int ret;
	if (pl_tls_share_new(c, &c->hs->shares[0], c->group) ||
	    pl_tls_share_public(&c->hs->shares[0], pub, sizeof(pub), &pub_len)) {
		c->hs->n_shares = 1;
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a %s key pair",
				   pl_tls_group_name(c->group));
	}
	c->hs->n_shares = 1;
	memset(&ske, 0, sizeof(ske));
	ske.group = c->group;
	pl_reader_init(&ske.point, pub, pub_len);
	pl_msg_ecdh_params_write(&params, c->group, &ske.point);
	pl_reader_init(&pr, pl_buf_head(&params), pl_buf_size(&params));
	if ((ret = pl_buf_error(&params)) ||
	    (ret = pl_tls12_ske_content(c, &pr, content, sizeof(content),
					&content_len)) ||
	    (ret = pl_pkey_sign_tls12(c->own->key, c->scheme, content,
				      content_len, sig, sizeof(sig),
				      &sig_len))) {
		pl_buf_free(&params);
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "signing ServerKeyExchange with %s failed",
				   pl_tls_sigscheme_name(c->scheme));
	}
	pl_buf_free(&params);
	ske.scheme = c->scheme;
	pl_reader_init(&ske.signature, sig, sig_len);
	pl_tls_hs_begin(c, PL_HS_SERVER_KEY_EXCHANGE);
	pl_msg_server_key_exchange_write(&c->hs_out, &ske);
	return pl_tls_hs_end(c);
}

static int send_first_flight(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	int ret;
	if ((ret = send_server_hello(c, ch)) || (ret = send_certificate(c)) ||
	    (ret = send_server_key_exchange(c)))
		return ret;
	pl_tls_hs_begin(c, PL_HS_SERVER_HELLO_DONE);
	if ((ret = pl_tls_hs_end(c)) || (ret = pl_tls_hs_flush(c)))
		return ret;
	return PL_OK;
}

/* RFC 5246 7.3, RFC 5077 3.1: ServerHello, the renewed ticket, then our
 * change_cipher_spec and Finished first. */
static int send_abbreviated(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	int ret;
	if ((ret = send_server_hello(c, ch)) ||
	    (ret = pl_tls12_send_ticket(c)))
		return ret;
	if (pl_tls12_key_block(c))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	if ((ret = pl_tls12_send_ccs(c)) || (ret = pl_tls12_send_finished(c)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello sent: TLS 1.2, %s, resuming the session of "
		     "the client's ticket",
		     pl_tls_suite_name(c->suite));
	pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
		     "resumed with a ticket: ChangeCipherSpec and Finished "
		     "sent, no certificate");
	return PL_TLS_ALT;
}

static int handle_client_hello(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_client_hello_t *ch = &m->u.client_hello;
	int ret;
	memcpy(c->client_random, ch->random, 32);
	c->hs->session_id_len = (uint8_t)pl_reader_left(&ch->session_id);
	memcpy(c->hs->session_id, ch->session_id.p, c->hs->session_id_len);
	c->version = PL_TLS_VERSION_12;
	if ((ret = check_compression(c, ch)) ||
	    (ret = check_tls12_exts(c, ch)) || (ret = pl_tls_take_sni(c, ch)) ||
	    (ret = pl_tls_choose_alpn(c, ch)))
		return ret;
	pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
		     "ClientHello received: TLS 1.2 offered, %zu cipher "
		     "suites, server name '%s'%s",
		     ch->suites.n, c->server_name ? c->server_name : "",
		     c->hs->ems ? ", extended master secret offered" : "");
	if ((ret = choose_group(c, ch)) || (ret = choose_suite(c, ch)))
		return ret;
	if ((ret = pl_tls_transcript_add(c, m->raw, m->raw_len)) ||
	    (ret = pl_tls_transcript_start(c, false)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	if ((ret = pl_tls12_server_ticket(c, ch)))
		return ret;
	if (c->resumed)
		return send_abbreviated(c, ch);
	if ((ret = send_first_flight(c, ch)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello sent: TLS 1.2, %s, %s",
		     pl_tls_suite_name(c->suite), pl_tls_group_name(c->group));
	pl_tls_trace(c, PL_STEP_CERTIFICATE_VERIFY,
		     "Certificate, ServerKeyExchange (the server's ephemeral %s "
		     "key, signed with %s) and ServerHelloDone sent",
		     pl_tls_group_name(c->group),
		     pl_tls_sigscheme_name(c->scheme));
	return PL_OK;
}

static int handle_client_key_exchange(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_reader_t *point = &m->u.client_key_exchange.point;
	uint8_t pms[PL_TLS_SECRET_MAX];
	size_t pms_len;
	int ret = pl_tls_share_finish(&c->hs->shares[0], point->p,
				      pl_reader_left(point), pms, sizeof(pms),
				      &pms_len);
	pl_tls_share_free(&c->hs->shares[0]);
	c->hs->n_shares = 0;
	if (ret == PL_ERR_DECODE) /* RFC 8422 5.11 */
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientKeyExchange: the client's %s key is "
				   "not a valid public key",
				   pl_tls_group_name(c->group));
	if (ret == PL_OK)
		ret = pl_tls12_master_secret(c, pms, pms_len);
	pl_cleanse(pms, sizeof(pms));
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	pl_tls_trace(c, PL_STEP_KEY_EXCHANGE,
		     "ClientKeyExchange received: the ECDHE (%s) shared secret "
		     "is the premaster secret; the master secret comes from it "
		     "and %s",
		     pl_tls_group_name(c->group),
		     c->hs->ems ? "the session hash (extended master secret)"
				: "both randoms");
	return PL_OK;
}

static int handle_finished(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	int ret;
	if ((ret = pl_tls12_recv_finished(c, &m->u.finished)))
		return ret;
	pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
		     "client ChangeCipherSpec and Finished verified");
	if (c->resumed) { /* our Finished went first */
		pl_tls_handshake_cleanup(c);
		c->state = ST_CONNECTED;
		return PL_OK;
	}
	if ((ret = pl_tls12_send_ticket(c)) || (ret = pl_tls12_send_ccs(c)) ||
	    (ret = pl_tls12_send_finished(c)))
		return ret;
	pl_tls_handshake_cleanup(c);
	c->state = ST_CONNECTED;
	pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
		     "ChangeCipherSpec and Finished sent: the handshake is "
		     "complete");
	return PL_OK;
}

static const pl_tls_row_t rows[] = {
	{SV12_START, PL_HS_CLIENT_HELLO, -1, handle_client_hello,
	 SV12_WAIT_CKE, SV12_WAIT_CCS},
	{SV12_WAIT_CKE, PL_HS_CLIENT_KEY_EXCHANGE, -1,
	 handle_client_key_exchange, SV12_WAIT_CCS, SV12_WAIT_CCS},
	{SV12_WAIT_FINISHED, PL_HS_FINISHED, -1, handle_finished,
	 SV12_CONNECTED, SV12_CONNECTED},
	{SV12_CONNECTED, PL_HS_CLIENT_HELLO, -1, pl_tls12_refuse_renegotiation,
	 SV12_CONNECTED, SV12_CONNECTED},
};

static const char *const state_names[] = {
	[SV12_START] = "START",
	[SV12_WAIT_CKE] = "WAIT_CLIENT_KEY_EXCHANGE",
	[SV12_WAIT_CCS] = "WAIT_CHANGE_CIPHER_SPEC",
	[SV12_WAIT_FINISHED] = "WAIT_FINISHED",
	[SV12_CONNECTED] = "CONNECTED",
};

const pl_tls_machine_t pl_tls12_server_machine = {
	"TLS 1.2 server", PL_TLS_VERSION_12, rows,
	sizeof(rows) / sizeof(rows[0]), state_names, SV12_CONNECTED,
	pl_tls12_recv_ccs,
};
