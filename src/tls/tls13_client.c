/*
 * The TLS 1.3 client state machine (RFC 8446 A.1), as the table at the end
 * of this file:
 *
 *   (ClientHello) WAIT_SH --HelloRetryRequest--> (ClientHello2)
 *   WAIT_SH_AFTER_HRR; WAIT_SH or WAIT_SH_AFTER_HRR --ServerHello-->
 *   WAIT_EE --EncryptedExtensions--> WAIT_CERT_CR
 *   WAIT_CERT_CR --CertificateRequest--> WAIT_CERT --Certificate--> WAIT_CV
 *   WAIT_CERT_CR --Certificate--> WAIT_CV --CertificateVerify--> WAIT_FINISHED
 *   WAIT_FINISHED --Finished--> (Certificate?, Finished) CONNECTED
 *   CONNECTED --NewSessionTicket, KeyUpdate--> CONNECTED
 *
 * Each state accepts the messages named above; anything else is
 * unexpected_message (machine.c).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

static void trace_client_hello(pl_tls_conn_t *c)
{
	char suites[640] = "", groups[160] = "", sent[64] = "", hex[80];
	for (size_t i = 0; i < c->cfg->n_suites; i++)
		snprintf(suites + strlen(suites), sizeof(suites) - strlen(suites),
			 "%s%s", i ? ", " : "", pl_tls_suite_name(c->cfg->suites[i]));
	for (size_t i = 0; i < c->cfg->n_groups; i++)
		snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups),
			 "%s%s", i ? ", " : "", pl_tls_group_name(c->cfg->groups[i]));
	for (size_t i = 0; i < c->hs->n_shares; i++)
		snprintf(sent + strlen(sent), sizeof(sent) - strlen(sent),
			 "%s%s", i ? " and " : c->hs->n_shares > 1 ? "" : "a ",
			 pl_tls_group_name(c->hs->shares[i].group));
	const pl_tls_config_t *cfg = c->cfg;
	bool tls13 = pl_tls_config_speaks(cfg, PL_TLS_VERSION_13);
	bool tls12 = pl_tls_config_speaks(cfg, PL_TLS_VERSION_12);
	for (size_t i = 0; tls12 && i < cfg->n_suites12; i++)
		snprintf(suites + strlen(suites), sizeof(suites) - strlen(suites),
			 "%s%s", suites[0] ? ", " : "",
			 pl_tls_suite_name(cfg->suites12[i]));
	pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
		     "ClientHello sent: %s; suites %s; groups %s, with "
		     "%s key share%s; %zu signature schemes; %s%s%s; client "
		     "random %s",
		     tls13 && tls12 ? "TLS 1.3 and 1.2"
				    : tls13 ? "TLS 1.3" : "TLS 1.2",
		     suites, groups, sent[0] ? sent : "no",
		     c->hs->n_shares > 1 ? "s" : "",
		     c->cfg->n_schemes, c->send_sni ? "server name " : "no SNI",
		     c->send_sni ? c->server_name : "",
		     c->cfg->alpn_len ? ", ALPN offered" : "",
		     pl_tls_hex(c->client_random, 32, 8, hex, sizeof(hex)));
}

/* Frees the key pairs made so far. */
static void free_shares(pl_tls_conn_t *c)
{
	for (size_t i = 0; i < c->hs->n_shares; i++)
		pl_tls_share_free(&c->hs->shares[i]);
	c->hs->n_shares = 0;
}

/* One key pair in group, replacing those made before. */
static int make_share(pl_tls_conn_t *c, uint16_t group)
{
	if (pl_tls_share_new(c, &c->hs->shares[c->hs->n_shares], group)) {
		pl_tls_share_free(&c->hs->shares[c->hs->n_shares]);
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a %s key share",
				   pl_tls_group_name(group));
	}
	c->hs->n_shares++;
	return PL_OK;
}

/* A share for the first group; when that is the hybrid group, one for the
 * next as well (Chrome and Firefox do the same), so that a server without
 * ML-KEM (OpenSSL 3.0's, most of today's) answers in one round trip. */
static int make_shares(pl_tls_conn_t *c)
{
	const pl_tls_config_t *cfg = c->cfg;
	int ret = make_share(c, cfg->groups[0]);
	if (ret == PL_OK && cfg->groups[0] == PL_GROUP_X25519MLKEM768 &&
	    cfg->n_groups > 1)
		ret = make_share(c, cfg->groups[1]);
	return ret;
}

/* The key pair the client made for group; NULL when it sent no share for
 * it. */
static pl_tls_share_t *share_for(pl_tls_conn_t *c, uint16_t group)
{
	for (size_t i = 0; i < c->hs->n_shares; i++)
		if (c->hs->shares[i].group == group)
			return &c->hs->shares[i];
	return NULL;
}

int pl_tls_client_start(pl_tls_conn_t *c)
{
	int ret;
	if (c->state != ST_CLIENT_START)
		return PL_OK;
	c->send_sni = c->server_name != NULL && !pl_tls_is_ip_literal(c->server_name);
	c->hs->session_id_len = 32; /* RFC 8446 D.4: middlebox compatibility */
	if ((ret = pl_tls_random(c, PL_TLS_RANDOM_HELLO, c->client_random, 32)) ||
	    (ret = pl_tls_random(c, PL_TLS_RANDOM_SESSION_ID, c->hs->session_id,
				 32)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "no randomness");
	if (pl_tls_config_speaks(c->cfg, PL_TLS_VERSION_13) &&
	    (ret = make_shares(c)))
		return ret;
	if ((ret = pl_tls_send_client_hello(c)) || (ret = pl_tls_hs_flush(c)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not build the ClientHello");
	c->state = ST_HANDSHAKE;
	/* The ServerHello picks the machine (pl_tls_client_negotiate). */
	c->machine = NULL;
	c->ccs_allowed = true;
	trace_client_hello(c);
	return PL_OK;
}

static bool offered(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* RFC 8446 D.4: the dummy change_cipher_spec before our second flight
 * (the second ClientHello, or else the Finished) is part of middlebox
 * compatibility mode, which a non-empty legacy_session_id announces. A
 * client with an empty session id (as in the RFC 8448 traces) sends none. */
static int send_compat_ccs(pl_tls_conn_t *c)
{
	static const uint8_t ccs = 1;
	if (c->ccs_sent || c->hs->session_id_len == 0)
		return PL_OK;
	c->ccs_sent = true;
	return pl_tls_record_write(c, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
}

static int check_hello(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh);

static int handle_hrr(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_server_hello_t *sh = &m->u.server_hello;
	static const uint16_t allowed[] = {PL_EXT_SUPPORTED_VERSIONS,
					   PL_EXT_KEY_SHARE, PL_EXT_COOKIE};
	const pl_tls_exts_t *e = &sh->ext;
	bool ks = pl_exts_has(e, PL_EXT_KEY_SHARE);
	bool ck = pl_exts_has(e, PL_EXT_COOKIE);
	uint16_t group = e->share_group;
	int ret;
	if ((ret = check_hello(c, sh)) ||
	    (ret = pl_tls_exts_check(c, e, allowed, 3, "HelloRetryRequest")))
		return ret;
	/* RFC 8446 4.2.8: a group we offered, but not the one whose share
	 * we sent. */
	if (ks && (!offered(c->cfg->groups, c->cfg->n_groups, group) ||
		   share_for(c, group) != NULL))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "HelloRetryRequest asks for group %s, which "
				   "%s",
				   pl_tls_group_name(group),
				   share_for(c, group) != NULL
					   ? "already had a key share"
					   : "was not offered");
	if (ck) {
		size_t n = pl_reader_left(&e->cookie);
		if (n == 0 || n > sizeof(c->hs->cookie))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "HelloRetryRequest: malformed cookie");
		c->hs->cookie_len = n;
		memcpy(c->hs->cookie, e->cookie.p, n);
	}
	if (!ks && !ck)
		/* RFC 8446 4.1.4: an HRR that changes nothing */
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "HelloRetryRequest asks for no change");
	c->hrr = true;
	if ((ret = pl_tls_transcript_start(c, true)) ||
	    (ret = pl_tls_transcript_add(c, m->raw, m->raw_len)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	if (ks) {
		free_shares(c);
		if ((ret = make_share(c, group)))
			return ret;
	}
	pl_tls_trace(c, PL_STEP_HELLO_RETRY,
		     "HelloRetryRequest received: the server chose %s and asks "
		     "for %s%s; sending a second ClientHello",
		     pl_tls_suite_name(c->suite),
		     ks ? "a key share in " : "",
		     ks ? pl_tls_group_name(group) : "a cookie round trip");
	if ((ret = send_compat_ccs(c)))
		return ret;
	if ((ret = pl_tls_send_client_hello(c)) || (ret = pl_tls_hs_flush(c)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not build the second ClientHello");
	return PL_OK;
}

static int check_version(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	if (!sh->tls13) {
		/* RFC 8446 4.1.3: a TLS 1.3 server that negotiates an
		 * older version marks its random; seeing the mark is an
		 * attack. */
		if (pl_msg_downgrade_sentinel(sh->random))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ServerHello carries the TLS 1.3 "
					   "downgrade sentinel: a downgrade "
					   "attack or a broken middlebox");
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the server chose %s; padlock speaks TLS "
				   "1.3 only",
				   sh->legacy_version == 0x0303
					   ? "TLS 1.2"
					   : "an older TLS");
	}
	if (sh->ext.version != PL_TLS_VERSION_13)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selected version 0x%04x, which "
				   "was not offered",
				   sh->ext.version);
	/* RFC 8446 4.2.1: with supported_versions present, legacy_version
	 * is ignored. */
	return PL_OK;
}

static int server_key_share(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	const pl_tls_exts_t *e = &sh->ext;
	uint16_t group = e->share_group;
	uint8_t secret[PL_TLS_SECRET_MAX];
	size_t secret_len;
	pl_tls_share_t *mine = share_for(c, group);
	int ret;
	if (!pl_exts_has(e, PL_EXT_KEY_SHARE))
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "ServerHello has no key_share");
	if (mine == NULL)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello key share is for %s, for "
				   "which the client sent no key share",
				   pl_tls_group_name(group));
	c->group = group;
	ret = pl_tls_share_finish(mine, e->share_key.p,
				  pl_reader_left(&e->share_key), secret,
				  sizeof(secret), &secret_len);
	if (ret == PL_ERR_DECODE)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "the server's %s key share is not a valid "
				   "public key",
				   pl_tls_group_name(group));
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "%s key exchange failed",
				   pl_tls_group_name(group));
	ret = pl_tls_ks_handshake(c, secret, secret_len);
	pl_cleanse(secret, sizeof(secret));
	free_shares(c);
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	return PL_OK;
}

/* What a HelloRetryRequest and a ServerHello must both get right. */
static int check_hello(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	int ret;
	if ((ret = check_version(c, sh)))
		return ret;
	if (pl_reader_left(&sh->session_id) != c->hs->session_id_len ||
	    memcmp(sh->session_id.p, c->hs->session_id, c->hs->session_id_len) != 0)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello does not echo the session id");
	if (sh->compression != 0)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selects compression %u",
				   sh->compression);
	if (!offered(c->cfg->suites, c->cfg->n_suites, sh->suite))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selects cipher suite %s, which "
				   "was not offered",
				   pl_tls_suite_name(sh->suite));
	if (c->hrr && sh->suite != c->suite)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello changes the cipher suite chosen "
				   "in HelloRetryRequest");
	c->suite = sh->suite;
	c->version = PL_TLS_VERSION_13;
	pl_tls_suite_params(sh->suite, &c->hash, &c->aead);
	c->hash_len = pl_hash_len(c->hash);
	return PL_OK;
}

static int handle_server_hello(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	static const uint16_t allowed[] = {PL_EXT_SUPPORTED_VERSIONS,
					   PL_EXT_KEY_SHARE,
					   PL_EXT_PRE_SHARED_KEY};
	const pl_msg_server_hello_t *sh = &m->u.server_hello;
	int ret;
	char hex[80];
	if ((ret = check_hello(c, sh)))
		return ret;
	if ((ret = pl_tls_exts_check(c, &sh->ext, allowed,
				     c->hs->psk_offered ? 3 : 2,
				     "ServerHello")) ||
	    (ret = pl_tls13_client_take_psk(c, sh)))
		return ret;
	memcpy(c->hs->server_random, sh->random, 32);
	if ((!c->hrr && (ret = pl_tls_transcript_start(c, false))) ||
	    (ret = pl_tls_transcript_add(c, m->raw, m->raw_len)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello received: the server chose TLS 1.3, %s, key "
		     "exchange %s; server random %s",
		     pl_tls_suite_name(sh->suite),
		     pl_tls_group_name(sh->ext.share_group),
		     pl_tls_hex(sh->random, 32, 8, hex, sizeof(hex)));
	if ((ret = server_key_share(c, sh)))
		return ret;
	if ((ret = pl_tls_set_keys(c, &c->rd, c->hs->server_hs, false)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "key setup failed");
	if ((ret = send_compat_ccs(c)))
		return ret;
	if ((ret = pl_tls_set_keys(c, &c->wr, c->hs->client_hs, false)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "key setup failed");
	pl_tls_trace(c, PL_STEP_KEY_EXCHANGE,
		     "Key exchange: ephemeral %s shared secret (%s) computed "
		     "from both key shares (TLS 1.3's form of the premaster "
		     "secret: never sent, forward secret); handshake keys "
		     "derived from it and the hellos with both randoms; the "
		     "rest of the handshake is encrypted",
		     pl_tls_group_name(c->group), pl_tls_group_kind(c->group));
	return PL_OK;
}

static int handle_encrypted_extensions(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	static const uint16_t allowed[] = {
		PL_EXT_SERVER_NAME, PL_EXT_SUPPORTED_GROUPS, PL_EXT_ALPN,
		PL_EXT_RECORD_SIZE_LIMIT};
	const pl_tls_exts_t *e = &m->u.encrypted_extensions.ext;
	int ret;
	if ((ret = pl_tls_exts_check(c, e, allowed, 4, "EncryptedExtensions")))
		return ret;
	if (pl_exts_has(e, PL_EXT_SERVER_NAME) && !c->send_sni)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "EncryptedExtensions: server_name was not "
				   "offered");
	if (pl_exts_has(e, PL_EXT_ALPN) &&
	    (ret = pl_tls_client_take_alpn(c, &e->alpn, "EncryptedExtensions")))
		return ret;
	if (pl_exts_has(e, PL_EXT_RECORD_SIZE_LIMIT)) {
		uint16_t limit = e->record_size_limit;
		if (limit < 64) /* RFC 8449 4 */
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "record_size_limit %u is below 64",
					   limit);
		c->peer_record_limit = limit < PL_TLS_MAX_PLAINTEXT + 1
					       ? limit
					       : PL_TLS_MAX_PLAINTEXT + 1;
		c->own_record_limit = c->cfg->record_size_limit;
	}
	pl_tls_trace(c, PL_STEP_ENCRYPTED_EXTENSIONS,
		     "EncryptedExtensions: ALPN %s; record size limit %u%s",
		     c->alpn ? c->alpn : "none", c->peer_record_limit,
		     pl_exts_has(e, PL_EXT_SERVER_NAME)
			     ? "; the server used our server name"
			     : "");
	/* RFC 8446 2.2: a resumed handshake has no certificate */
	if (c->resumed) {
		pl_tls_trace(c, PL_STEP_CERT_TRUSTED,
			     "resumed with a ticket: the server proved it "
			     "holds the session's key");
		return PL_TLS_ALT;
	}
	return PL_OK;
}

static int handle_certificate_request(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_certificate_request_t *cr = &m->u.certificate_request;
	int missing = pl_exts_missing(PL_MSG_CR, &cr->ext);
	if (missing >= 0)
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "CertificateRequest has no %s (%s)",
				   pl_exts_name((uint16_t)missing),
				   pl_exts_if_missing((uint16_t)missing));
	c->hs->cert_request_context_len = pl_reader_left(&cr->context);
	if (c->hs->cert_request_context_len) {
		c->hs->cert_request_context = malloc(c->hs->cert_request_context_len);
		if (c->hs->cert_request_context == NULL)
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "out of memory");
		memcpy(c->hs->cert_request_context, cr->context.p,
		       c->hs->cert_request_context_len);
	}
	c->cert_requested = true;
	return PL_OK;
}

/* CertificateEntry extensions (RFC 8446 4.4.2): only an OCSP response
 * for the leaf (RFC 8446 4.4.2.1, RFC 6066 8), and only when requested. */
static int entry_extensions(pl_tls_conn_t *c, const pl_msg_cert_entry_t *en,
			    bool leaf)
{
	static const uint16_t allowed[] = {PL_EXT_STATUS_REQUEST};
	const pl_tls_exts_t *e = &en->ext;
	int ret;
	if (!en->has_ext)
		return PL_OK;
	if (!c->cfg->status_request || !leaf)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "Certificate entry carries an extension "
				   "that was not requested");
	if ((ret = pl_tls_exts_check(c, e, allowed, 1, "CertificateEntry")))
		return ret;
	if (!pl_exts_has(e, PL_EXT_STATUS_REQUEST))
		return PL_OK;
	if (e->status_type != 1 || pl_reader_left(&e->ocsp) == 0)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "CertificateEntry: malformed OCSP status");
	free(c->ocsp);
	c->ocsp_len = pl_reader_left(&e->ocsp);
	if ((c->ocsp = malloc(c->ocsp_len)) == NULL)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	memcpy(c->ocsp, e->ocsp.p, c->ocsp_len);
	return PL_OK;
}

static int handle_certificate(pl_tls_conn_t *c, pl_tls_msg_t *msg)
{
	const pl_msg_certificate_t *m = &msg->u.certificate;
	pl_msg_cert_entry_t entry;
	const uint8_t *der[PL_TLS_MAX_PEER_CHAIN];
	size_t lens[PL_TLS_MAX_PEER_CHAIN], n = 0;
	int ret;
	if (pl_reader_left(&m->context) != 0) /* RFC 8446 4.4.2 */
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "server Certificate has a request context");
	pl_reader_t it = m->list;
	while (pl_msg_certificate_next(&it, m->version, &entry)) {
		if ((ret = entry_extensions(c, &entry, n == 0)))
			return ret;
		if (n == PL_TLS_MAX_PEER_CHAIN)
			return pl_tls_fail(c, PL_ALERT_BAD_CERTIFICATE,
					   "certificate chain longer than %d",
					   PL_TLS_MAX_PEER_CHAIN);
		der[n] = entry.cert.p;
		lens[n++] = pl_reader_left(&entry.cert);
	}
	return pl_tls_client_take_chain(c, der, lens, n);
}

static bool scheme_allowed(const pl_tls_conn_t *c, uint16_t scheme)
{
	/* RFC 8446 4.4.3: never PKCS#1 v1.5 in CertificateVerify. */
	if (scheme == PL_SIG_RSA_PKCS1_SHA256 ||
	    scheme == PL_SIG_RSA_PKCS1_SHA384 ||
	    scheme == PL_SIG_RSA_PKCS1_SHA512)
		return false;
	return offered(c->cfg->schemes, c->cfg->n_schemes, scheme);
}

static int handle_certificate_verify(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_certificate_verify_t *cv = &m->u.certificate_verify;
	uint8_t content[PL_TLS_CV_CONTENT_MAX];
	size_t content_len;
	char desc[64];
	int ret;
	uint16_t scheme = cv->scheme;
	const pl_pkey_t *key = pl_x509_chain_leaf_key(c->peer_chain);
	if (!scheme_allowed(c, scheme) || key == NULL ||
	    !pl_pkey_supports(key, scheme))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "CertificateVerify uses %s, which was not "
				   "offered or does not fit the certificate's "
				   "key",
				   pl_tls_sigscheme_name(scheme));
	pl_tls_cv_content(c, true, c->hs->pre_hash, content, &content_len);
	ret = pl_pkey_verify(key, scheme, content, content_len,
			     cv->signature.p, pl_reader_left(&cv->signature));
	if (ret == PL_ERR_DECRYPT)
		return pl_tls_fail(c, PL_ALERT_DECRYPT_ERROR,
				   "the server's CertificateVerify signature "
				   "does not verify: it does not hold the "
				   "certificate's private key");
	if (ret)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "CertificateVerify signature could not be "
				   "checked (%s)",
				   pl_strerror(ret));
	c->scheme = scheme;
	pl_tls_trace(c, PL_STEP_CERTIFICATE_VERIFY,
		     "CertificateVerify checked: the server proved it holds the "
		     "private key of its certificate (%s, %s signature over the "
		     "handshake so far)",
		     pl_pkey_describe(key, desc, sizeof(desc)),
		     pl_tls_sigscheme_name(scheme));
	return PL_OK;
}

static int send_second_flight(pl_tls_conn_t *c)
{
	int ret;
	if (c->cert_requested) {
		/* No client certificates: an empty Certificate (4.4.2). */
		pl_msg_certificate_t m;
		memset(&m, 0, sizeof(m));
		m.version = PL_TLS_VERSION_13;
		pl_reader_init(&m.context, c->hs->cert_request_context,
			       c->hs->cert_request_context_len);
		pl_tls_hs_begin(c, PL_HS_CERTIFICATE);
		pl_msg_certificate_write(&c->hs_out, &m);
		if ((ret = pl_tls_hs_end(c)))
			return ret;
	}
	if ((ret = pl_tls_send_finished(c, c->hs->client_hs)) ||
	    (ret = pl_tls_hs_flush(c)))
		return ret;
	return PL_OK;
}

static int handle_finished(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	uint8_t client_ap[PL_HASH_MAX], server_ap[PL_HASH_MAX];
	int ret;
	if ((ret = pl_tls_recv_finished(c, c->hs->server_hs, &m->u.finished)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
		     "Finished received and verified: the server saw exactly "
		     "the handshake we saw");
	if ((ret = pl_tls_ks_application(c, client_ap, server_ap)) ||
	    (ret = pl_tls_set_keys(c, &c->rd, server_ap, true))) {
		ret = pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				  "key schedule failed");
		goto out;
	}
	c->ccs_allowed = false;
	if ((ret = send_second_flight(c)))
		goto out;
	if ((ret = pl_tls_set_keys(c, &c->wr, client_ap, true)) ||
	    (ret = pl_tls_ks_resumption(c))) {
		ret = pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				  "key schedule failed");
		goto out;
	}
	pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
		     "Finished sent: our proof that we saw the same handshake");
	pl_tls_handshake_cleanup(c);
	c->state = ST_CONNECTED;
	pl_tls_trace(c, PL_STEP_APPLICATION_KEYS,
		     "Session keys: application traffic keys (%s) derived from "
		     "the master secret; the connection is ready",
		     pl_tls_suite_name(c->suite));
out:
	pl_cleanse(client_ap, sizeof(client_ap));
	pl_cleanse(server_ap, sizeof(server_ap));
	return ret;
}

static int handle_ticket(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_new_session_ticket_t *nst = &m->u.new_session_ticket;
	uint32_t lifetime = nst->lifetime;
	const pl_reader_t *ticket = &nst->ticket, *nonce = &nst->nonce;
	if (lifetime > 604800) /* RFC 8446 4.6.1: at most seven days */
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "NewSessionTicket lifetime %u s exceeds "
				   "seven days",
				   lifetime);
	pl_tls_ticket_t *t = pl_tls_keep_ticket(c, PL_TLS_VERSION_13, ticket,
						lifetime);
	if (t == NULL)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	t->age_add = nst->age_add;
	/* RFC 8446 4.2.10: the ticket allows 0-RTT up to this many bytes */
	if (pl_exts_has(&nst->ext, PL_EXT_EARLY_DATA))
		t->max_early_data = nst->ext.max_early_data;
	if (pl_tls_expand_label(c->hash, c->resumption_secret, "resumption",
				nonce->p, pl_reader_left(nonce), t->psk,
				c->hash_len))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	c->tickets_seen++;
	pl_tls_trace(c, PL_STEP_SESSION_TICKET,
		     "NewSessionTicket received (valid %u s) and kept for "
		     "resumption",
		     lifetime);
	return PL_OK;
}

static const pl_tls_row_t rows[] = {
	{CL13_WAIT_SH, PL_HS_SERVER_HELLO, 1, handle_hrr,
	 CL13_WAIT_SH_AFTER_HRR, CL13_WAIT_SH_AFTER_HRR},
	{CL13_WAIT_SH, PL_HS_SERVER_HELLO, 0, handle_server_hello, CL13_WAIT_EE,
	 CL13_WAIT_EE},
	{CL13_WAIT_SH_AFTER_HRR, PL_HS_SERVER_HELLO, 0, handle_server_hello,
	 CL13_WAIT_EE, CL13_WAIT_EE},
	{CL13_WAIT_EE, PL_HS_ENCRYPTED_EXTENSIONS, -1,
	 handle_encrypted_extensions, CL13_WAIT_CERT_CR, CL13_WAIT_FINISHED},
	{CL13_WAIT_CERT_CR, PL_HS_CERTIFICATE_REQUEST, -1,
	 handle_certificate_request, CL13_WAIT_CERT, CL13_WAIT_CERT},
	{CL13_WAIT_CERT_CR, PL_HS_CERTIFICATE, -1, handle_certificate,
	 CL13_WAIT_CV, CL13_WAIT_CV},
	{CL13_WAIT_CERT, PL_HS_CERTIFICATE, -1, handle_certificate, CL13_WAIT_CV,
	 CL13_WAIT_CV},
	{CL13_WAIT_CV, PL_HS_CERTIFICATE_VERIFY, -1, handle_certificate_verify,
	 CL13_WAIT_FINISHED, CL13_WAIT_FINISHED},
	{CL13_WAIT_FINISHED, PL_HS_FINISHED, -1, handle_finished,
	 CL13_CONNECTED, CL13_CONNECTED},
	{CL13_CONNECTED, PL_HS_NEW_SESSION_TICKET, -1, handle_ticket,
	 CL13_CONNECTED, CL13_CONNECTED},
	{CL13_CONNECTED, PL_HS_KEY_UPDATE, -1, pl_tls_handle_key_update,
	 CL13_CONNECTED, CL13_CONNECTED},
};

static const char *const state_names[] = {
	[CL13_WAIT_SH] = "WAIT_SH",
	[CL13_WAIT_SH_AFTER_HRR] = "WAIT_SH (after HelloRetryRequest)",
	[CL13_WAIT_EE] = "WAIT_EE",
	[CL13_WAIT_CERT_CR] = "WAIT_CERT_CR",
	[CL13_WAIT_CERT] = "WAIT_CERT",
	[CL13_WAIT_CV] = "WAIT_CV",
	[CL13_WAIT_FINISHED] = "WAIT_FINISHED",
	[CL13_CONNECTED] = "CONNECTED",
};

const pl_tls_machine_t pl_tls13_client_machine = {
	"TLS 1.3 client", PL_TLS_VERSION_13, rows,
	sizeof(rows) / sizeof(rows[0]), state_names, CL13_CONNECTED, NULL,
};
