/*
 * The TLS 1.3 server state machine (RFC 8446 A.2), as the table at the end
 * of this file:
 *
 *   START --ClientHello--> (HelloRetryRequest) WAIT_CH2 --ClientHello-->
 *   (ServerHello, EncryptedExtensions, Certificate, CertificateVerify,
 *    Finished) WAIT_FINISHED --Finished--> CONNECTED --KeyUpdate--> CONNECTED
 *
 * START's ClientHello comes from the version negotiation (negotiate.c),
 * already parsed. Anything else is unexpected_message (machine.c).
 */
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

/* The ClientHello, parsed, and what the server reads out of it. There is
 * no cap on the key shares a client sends: each is checked in constant
 * time (pl_u16_set_t), and the one used is found when a group is chosen. */
typedef struct {
	pl_msg_client_hello_t m;
	size_t n_shares;
	pl_reader_t share_key; /* of the group chosen (choose_group) */
} hello_t;

/* The key of the client's share for group; false when it sent none. */
static bool find_share(const hello_t *h, uint16_t group, pl_reader_t *key)
{
	pl_reader_t it = h->m.ext.shares, k;
	uint16_t g;
	while (pl_msg_share_next(&it, &g, &k))
		if (g == group) {
			*key = k;
			return true;
		}
	return false;
}

/* The version was picked from the first ClientHello (negotiate.c); a
 * second one must still offer it. */
static int check_versions(pl_tls_conn_t *c, hello_t *h, bool second)
{
	uint16_t version;
	int ret;
	if (second && (ret = pl_tls_server_pick_version(c, &h->m, &version)))
		return ret;
	if (second && version != PL_TLS_VERSION_13)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the second ClientHello does not offer "
				   "TLS 1.3");
	/* RFC 8446 4.1.2: legacy_version must be 0x0303. */
	if (h->m.legacy_version != 0x0303)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "ClientHello legacy_version is 0x%04x (must "
				   "be 0x0303)",
				   h->m.legacy_version);
	/* RFC 8446 4.1.2: the only compression method is null. */
	if (pl_reader_left(&h->m.compression) != 1 ||
	    h->m.compression.p[0] != 0)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientHello offers compression");
	return PL_OK;
}

/* RFC 8446 9.2, 4.2.9: a ClientHello with a PSK may leave out both
 * supported_groups and key_share, asking for psk_ke alone (resumption
 * without a key exchange). */
static bool without_kex(const hello_t *h)
{
	return pl_exts_has(&h->m.ext, PL_EXT_PRE_SHARED_KEY) &&
	       !pl_exts_has(&h->m.ext, PL_EXT_SUPPORTED_GROUPS) &&
	       !pl_exts_has(&h->m.ext, PL_EXT_KEY_SHARE);
}

/* RFC 8446 9.2: without a PSK, supported_groups and key_share; with a
 * certificate, signature_algorithms (4.2.3, which padlock asks of every
 * ClientHello: its chain choice needs it). */
static int check_required(pl_tls_conn_t *c, hello_t *h)
{
	int missing = pl_exts_missing(PL_MSG_CH, &h->m.ext);
	if (missing == PL_EXT_SUPPORTED_GROUPS && without_kex(h))
		missing = pl_exts_has(&h->m.ext, PL_EXT_SIGNATURE_ALGORITHMS)
				  ? -1
				  : PL_EXT_SIGNATURE_ALGORITHMS;
	if (missing >= 0)
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "ClientHello has no %s (%s)",
				   pl_exts_name((uint16_t)missing),
				   pl_exts_if_missing((uint16_t)missing));
	return PL_OK;
}

/* RFC 8446 4.2.8: each share for a different group, each group in
 * supported_groups. */
static int check_key_shares(pl_tls_conn_t *c, hello_t *h)
{
	pl_u16_set_t seen = {{0}, 0, NULL}, groups = {{0}, 0, NULL};
	pl_reader_t it = h->m.ext.shares, key;
	uint16_t group;
	int ret = PL_OK;
	for (size_t i = 0; i < h->m.ext.groups.n && ret >= 0; i++)
		ret = pl_u16_set_add(&groups, pl_u16_list_at(&h->m.ext.groups, i));
	h->n_shares = 0;
	while (ret >= 0 && pl_msg_share_next(&it, &group, &key)) {
		/* An empty key_exchange is no group's public key: an
		 * invalid share, like one off the curve (RFC 8446 4.2.8). */
		if (pl_reader_left(&key) == 0) {
			ret = pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					  "ClientHello: empty %s key share",
					  pl_tls_group_name(group));
		} else if ((ret = pl_u16_set_add(&seen, group)) == 1) {
			ret = pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					  "ClientHello: key_share names group "
					  "%s twice",
					  pl_tls_group_name(group));
		} else if (ret == 0 && !pl_u16_set_has(&groups, group)) {
			ret = pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					  "ClientHello: key_share for %s, which "
					  "is not in supported_groups",
					  pl_tls_group_name(group));
		}
		h->n_shares++;
	}
	pl_u16_set_free(&seen);
	pl_u16_set_free(&groups);
	if (ret == PL_ERR_NOMEM)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	return ret < 0 ? ret : PL_OK;
}

static int check_small_exts(pl_tls_conn_t *c, hello_t *h)
{
	const pl_tls_exts_t *e = &h->m.ext;
	int ret;
	/* RFC 8449 4 */
	if (pl_exts_has(e, PL_EXT_RECORD_SIZE_LIMIT) && e->record_size_limit < 64)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientHello: record_size_limit %u is below "
				   "64",
				   e->record_size_limit);
	if ((ret = pl_tls_take_sni(c, &h->m)) ||
	    (ret = pl_tls_choose_alpn(c, &h->m)))
		return ret;
	if (pl_exts_has(e, PL_EXT_COOKIE)) {
		if (c->hs->cookie_len == 0 ||
		    pl_reader_left(&e->cookie) != c->hs->cookie_len ||
		    !pl_ct_equal(e->cookie.p, c->hs->cookie, c->hs->cookie_len))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: cookie was not issued "
					   "by this server");
	} else if (c->hs->cookie_len) {
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "second ClientHello does not echo the cookie");
	}
	if (pl_exts_has(e, PL_EXT_EARLY_DATA))
		c->hs->early_data_offered = true;
	return PL_OK;
}

static bool is_pkcs1(uint16_t scheme)
{
	return scheme == PL_SIG_RSA_PKCS1_SHA256 ||
	       scheme == PL_SIG_RSA_PKCS1_SHA384 ||
	       scheme == PL_SIG_RSA_PKCS1_SHA512;
}

/* The first chain (in configuration order) for the client's name that it
 * can verify, and the signature scheme to use (server preference). */
static int choose_chain(pl_tls_conn_t *c, hello_t *h)
{
	const pl_tls_config_t *cfg = c->cfg;
	/* RFC 8737 3: the challenge certificate, whatever the SNI policy */
	for (size_t j = 0; c->challenge_chain.chain && j < cfg->n_schemes; j++)
		if (pl_u16_list_has(&h->m.ext.schemes, cfg->schemes[j]) &&
		    pl_pkey_supports(c->challenge_chain.key, cfg->schemes[j])) {
			c->own = &c->challenge_chain;
			c->scheme = cfg->schemes[j];
			return PL_OK;
		}
	if (pl_tls_refuse_pending(c) != PL_OK)
		return PL_ERR_TLS;
	if (cfg->strict_sni && c->server_name) {
		bool covered = false;
		for (size_t i = 0; i < cfg->n_chains; i++)
			if (pl_x509_chain_covers(cfg->chains[i].chain,
						 c->server_name))
				covered = true;
		if (!covered) /* RFC 6066 3 */
			return pl_tls_fail(c, PL_ALERT_UNRECOGNIZED_NAME,
					   "no site here is named '%s'",
					   c->server_name);
	}
	for (int pass = c->server_name ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < cfg->n_chains; i++) {
			const pl_tls_chain_entry_t *e = &cfg->chains[i];
			if (pass == 0 &&
			    !pl_x509_chain_covers(e->chain, c->server_name))
				continue;
			for (size_t j = 0; j < cfg->n_schemes; j++) {
				uint16_t s = cfg->schemes[j];
				if (!is_pkcs1(s) && pl_u16_list_has(&h->m.ext.schemes, s) &&
				    pl_pkey_supports(e->key, s)) {
					c->own = e;
					c->scheme = s;
					return PL_OK;
				}
			}
		}
	if (cfg->n_chains == 0)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "the server has no certificate configured");
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no certificate can be verified with the client's "
			   "signature_algorithms");
}

static int choose_suite(pl_tls_conn_t *c, hello_t *h)
{
	for (size_t i = 0; i < c->cfg->n_suites; i++)
		if (pl_u16_list_has(&h->m.suites, c->cfg->suites[i])) {
			c->suite = c->cfg->suites[i];
			pl_tls_suite_params(c->suite, &c->hash, &c->aead);
			c->hash_len = pl_hash_len(c->hash);
			return PL_OK;
		}
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no cipher suite in common with the client");
}

/* Sets *share when the client sent a share for the group chosen
 * (h->share_key), false when a HelloRetryRequest must ask for c->group. */
static int choose_group(pl_tls_conn_t *c, hello_t *h, bool *share)
{
	const pl_tls_config_t *cfg = c->cfg;
	*share = false;
	if (without_kex(h)) { /* psk_ke or nothing (resumed_without_kex) */
		c->group = 0;
		*share = true;
		return PL_OK;
	}
	/* Prefer a group the client sent a share for: no round trip. */
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (find_share(h, cfg->groups[i], &h->share_key)) {
			c->group = cfg->groups[i];
			*share = true;
			return PL_OK;
		}
	/* A HelloRetryRequest for the hybrid group costs a round trip and
	 * a 1 KiB share more than one for a classical group: ask for it only
	 * when the server takes no classical group the client lists (it was
	 * configured that way). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < cfg->n_groups; i++)
			if ((pass == 1 ||
			     cfg->groups[i] != PL_GROUP_X25519MLKEM768) &&
			    pl_u16_list_has(&h->m.ext.groups, cfg->groups[i])) {
				c->group = cfg->groups[i];
				return PL_OK;
			}
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no key exchange group in common with the client");
}

static int send_ccs_once(pl_tls_conn_t *c)
{
	static const uint8_t ccs = 1;
	/* RFC 8446 D.4: in middlebox compatibility mode (the client sent a
	 * session id) a dummy change_cipher_spec follows our first
	 * handshake message. */
	if (c->ccs_sent || c->hs->session_id_len == 0)
		return PL_OK;
	c->ccs_sent = true;
	return pl_tls_record_write(c, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
}

/* The ServerHello fields both hellos share. */
static void hello_start(pl_tls_conn_t *c, pl_msg_server_hello_t *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->legacy_version = 0x0303;
	pl_reader_init(&sh->session_id, c->hs->session_id,
		       c->hs->session_id_len);
	sh->suite = c->suite;
	sh->tls13 = true;
	sh->has_extensions = true;
}

static int send_hrr(pl_tls_conn_t *c, bool want_share)
{
	pl_msg_server_hello_t sh;
	int ret;
	if (c->cfg->require_cookie) {
		if ((ret = pl_tls_random(c, PL_TLS_RANDOM_COOKIE, c->hs->cookie,
					 PL_TLS_COOKIE_LEN)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "no randomness");
		c->hs->cookie_len = PL_TLS_COOKIE_LEN;
	}
	if ((ret = pl_tls_transcript_start(c, true)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	hello_start(c, &sh);
	sh.hrr = true;
	sh.ext.version = PL_TLS_VERSION_13;
	pl_exts_add(&sh.ext, PL_EXT_SUPPORTED_VERSIONS);
	if (want_share) {
		sh.ext.share_group = c->group;
		pl_exts_add(&sh.ext, PL_EXT_KEY_SHARE);
	}
	if (c->hs->cookie_len) {
		pl_reader_init(&sh.ext.cookie, c->hs->cookie, c->hs->cookie_len);
		pl_exts_add(&sh.ext, PL_EXT_COOKIE);
	}
	pl_tls_hs_begin(c, PL_HS_SERVER_HELLO);
	pl_msg_server_hello_write(&c->hs_out, &sh);
	if ((ret = pl_tls_hs_end(c)) || (ret = pl_tls_hs_flush(c)) ||
	    (ret = send_ccs_once(c)))
		return ret;
	c->hrr = true;
	c->hs->hrr_asked_share = want_share;
	/* RFC 8446 4.2.10: the first ClientHello's early data is skipped
	 * (record.c) until the second arrives. */
	if (c->hs->early_data_offered)
		c->early_skip = 4 * PL_TLS_MAX_CIPHERTEXT;
	pl_tls_trace(c, PL_STEP_HELLO_RETRY,
		     "HelloRetryRequest sent: %s%s%s", pl_tls_suite_name(c->suite),
		     want_share ? ", asking for a key share in " : "",
		     want_share ? pl_tls_group_name(c->group) : ", asking for a cookie");
	return PL_OK;
}

static int send_server_hello(pl_tls_conn_t *c, hello_t *h)
{
	pl_msg_server_hello_t sh;
	uint8_t pub[PL_TLS_SHARE_MAX], secret[PL_TLS_SECRET_MAX];
	size_t pub_len, secret_len;
	int ret;
	if ((ret = pl_tls_random(c, PL_TLS_RANDOM_HELLO, c->hs->server_random,
				 32)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "no randomness");
	pl_reader_t *key = &h->share_key;
	if (c->hs->psk_ke) { /* RFC 8446 7.1: no (EC)DHE, zeros instead */
		memset(secret, 0, c->hash_len);
		secret_len = c->hash_len;
		pub_len = 0;
		ret = PL_OK;
	} else {
		ret = pl_tls_share_respond(c, c->group, key->p,
					   pl_reader_left(key), pub, sizeof(pub),
					   &pub_len, secret, sizeof(secret),
					   &secret_len);
	}
	if (ret == PL_ERR_DECODE)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "the client's %s key share is not a valid "
				   "public key",
				   pl_tls_group_name(c->group));
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a %s key share",
				   pl_tls_group_name(c->group));
	hello_start(c, &sh);
	memcpy(sh.random, c->hs->server_random, 32);
	/* RFC 8446 4.2.11; first, in the order of RFC 8448 section 4 */
	if (c->resumed) {
		sh.ext.psk_selected = c->hs->psk_index;
		pl_exts_add(&sh.ext, PL_EXT_PRE_SHARED_KEY);
	}
	if (!c->hs->psk_ke) {
		sh.ext.share_group = c->group;
		pl_reader_init(&sh.ext.share_key, pub, pub_len);
		pl_exts_add(&sh.ext, PL_EXT_KEY_SHARE);
	}
	sh.ext.version = PL_TLS_VERSION_13;
	pl_exts_add(&sh.ext, PL_EXT_SUPPORTED_VERSIONS);
	pl_tls_hs_begin(c, PL_HS_SERVER_HELLO);
	pl_msg_server_hello_write(&c->hs_out, &sh);
	if ((ret = pl_tls_hs_end(c)) || (ret = pl_tls_hs_flush(c)) ||
	    (ret = send_ccs_once(c)))
		goto out;
	if ((ret = pl_tls_ks_handshake(c, secret, secret_len)) ||
	    (ret = pl_tls_set_keys(c, &c->wr, c->hs->server_hs, false)) ||
	    (ret = pl_tls_set_keys(c, &c->rd, c->hs->client_hs, false)))
		ret = pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				  "key schedule failed");
out:
	pl_cleanse(secret, sizeof(secret));
	return ret;
}

static int send_encrypted_extensions(pl_tls_conn_t *c, hello_t *h)
{
	pl_msg_encrypted_extensions_t ee;
	const pl_tls_exts_t *ch = &h->m.ext;
	memset(&ee, 0, sizeof(ee));
	if (c->server_name) /* RFC 6066 3: the name was used */
		pl_exts_add(&ee.ext, PL_EXT_SERVER_NAME);
	if (c->alpn) {
		pl_reader_init(&ee.ext.alpn, (const uint8_t *)c->alpn,
			       strlen(c->alpn));
		pl_exts_add(&ee.ext, PL_EXT_ALPN);
	}
	if (pl_exts_has(ch, PL_EXT_RECORD_SIZE_LIMIT)) { /* RFC 8449 4 */
		ee.ext.record_size_limit = c->cfg->record_size_limit;
		pl_exts_add(&ee.ext, PL_EXT_RECORD_SIZE_LIMIT);
		c->peer_record_limit =
			ch->record_size_limit < PL_TLS_MAX_PLAINTEXT + 1
				? ch->record_size_limit
				: PL_TLS_MAX_PLAINTEXT + 1;
		c->own_record_limit = c->cfg->record_size_limit;
	}
	pl_tls_hs_begin(c, PL_HS_ENCRYPTED_EXTENSIONS);
	pl_msg_encrypted_extensions_write(&c->hs_out, &ee);
	return pl_tls_hs_end(c);
}

static int send_server_flight(pl_tls_conn_t *c, hello_t *h)
{
	uint8_t server_ap[PL_HASH_MAX];
	int ret;
	if ((ret = send_encrypted_extensions(c, h)))
		return ret;
	/* RFC 8446 2.2: a resumed handshake authenticates with the PSK */
	if (!c->resumed && ((ret = pl_tls_send_certificate(c)) ||
			    (ret = pl_tls_send_certificate_verify(c))))
		return ret;
	if ((ret = pl_tls_send_finished(c, c->hs->server_hs)))
		return ret;
	if ((ret = pl_tls_ks_application(c, c->hs->client_ap_pending, server_ap))) {
		ret = pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				  "key schedule failed");
		goto out;
	}
	if ((ret = pl_tls_hs_flush(c)))
		goto out;
	if ((ret = pl_tls_set_keys(c, &c->wr, server_ap, true)))
		ret = pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				  "key schedule failed");
out:
	pl_cleanse(server_ap, sizeof(server_ap));
	return ret;
}

static void trace_hello(pl_tls_conn_t *c, hello_t *h)
{
	char shares[64] = "";
	pl_reader_t it = h->m.ext.shares, key;
	uint16_t group;
	for (size_t i = 0; pl_msg_share_next(&it, &group, &key); i++)
		if (i < 3)
			snprintf(shares + strlen(shares),
				 sizeof(shares) - strlen(shares), "%s%s",
				 i ? ", " : "", pl_tls_group_name(group));
		else if (i == 3)
			snprintf(shares + strlen(shares),
				 sizeof(shares) - strlen(shares), ", ...");
	pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
		     "ClientHello received: TLS 1.3 offered, %zu cipher "
		     "suites, key shares [%s], server name '%s'",
		     h->m.suites.n, shares,
		     c->server_name ? c->server_name : "");
}

/* A ClientHello without a key share can only resume with psk_ke (RFC
 * 8446 4.2.9): when its PSK does not resume, no handshake can follow. */
static int resumed_without_kex(pl_tls_conn_t *c, const hello_t *h)
{
	if (!without_kex(h) || c->resumed)
		return PL_OK;
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "the ClientHello offers no key share, so only a "
			   "psk_ke resumption could follow, and %s",
			   c->cfg->psk_ke ? "its ticket does not resume"
					  : "this server does not allow psk_ke "
					    "(no forward secrecy)");
}

static int handle_client_hello(pl_tls_conn_t *c, pl_tls_msg_t *msg)
{
	bool second = c->machine_state == SV13_WAIT_CH2;
	uint16_t first_suite = c->suite;
	const uint8_t *raw = msg->raw;
	size_t len = msg->raw_len;
	hello_t h;
	bool share;
	int ret;
	memset(&h, 0, sizeof(h));
	h.m = msg->u.client_hello;
	if ((ret = check_versions(c, &h, second)) || (ret = check_required(c, &h)) ||
	    (ret = check_key_shares(c, &h)) || (ret = check_small_exts(c, &h)))
		return ret;
	if (second) {
		/* RFC 8446 4.1.2: the same random and session id, a share
		 * for the group asked for, the same suite still offered. */
		if (memcmp(h.m.random, c->client_random, 32) != 0 ||
		    pl_reader_left(&h.m.session_id) != c->hs->session_id_len ||
		    memcmp(h.m.session_id.p, c->hs->session_id,
			   c->hs->session_id_len))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello changes the "
					   "random or the session id");
		/* After a key_share request, exactly that one share
		 * (RFC 8446 4.2.8); after a cookie-only HRR, the same
		 * shares as before. */
		share = without_kex(&h) || find_share(&h, c->group, &h.share_key);
		if (!share || (c->hs->hrr_asked_share && h.n_shares != 1))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello lacks the single "
					   "%s key share that was asked for",
					   pl_tls_group_name(c->group));
		if (!pl_u16_list_has(&h.m.suites, first_suite))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello drops the cipher "
					   "suite chosen");
		if ((ret = pl_tls13_server_psk(c, &h.m, raw)) ||
		    (ret = resumed_without_kex(c, &h)))
			return ret;
		if ((ret = pl_tls_transcript_add(c, raw, len)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
	} else {
		memcpy(c->client_random, h.m.random, 32);
		c->hs->session_id_len = (uint8_t)pl_reader_left(&h.m.session_id);
		memcpy(c->hs->session_id, h.m.session_id.p,
		       c->hs->session_id_len);
		trace_hello(c, &h);
		if ((ret = choose_suite(c, &h)) ||
		    (ret = choose_group(c, &h, &share)) ||
		    (ret = choose_chain(c, &h)))
			return ret;
		/* A HelloRetryRequest leaves the PSK to the second hello. */
		if (share && !c->cfg->require_cookie &&
		    ((ret = pl_tls13_server_psk(c, &h.m, raw)) ||
		     (ret = resumed_without_kex(c, &h))))
			return ret;
		if ((ret = pl_tls_transcript_add(c, raw, len)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
		c->ccs_allowed = true;
		if (!share || c->cfg->require_cookie)
			return (ret = send_hrr(c, !share)) ? ret : PL_TLS_ALT;
		if ((ret = pl_tls_transcript_start(c, false)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
	}
	c->version = PL_TLS_VERSION_13;
	if ((ret = send_server_hello(c, &h)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello sent: TLS 1.3, %s, %s",
		     pl_tls_suite_name(c->suite), pl_tls_group_name(c->group));
	if ((ret = send_server_flight(c, &h)))
		return ret;
	if (c->resumed)
		pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
			     "resumed with a ticket (%s): EncryptedExtensions "
			     "and Finished sent, no certificate",
			     c->hs->psk_ke ? "psk_ke" : "psk_dhe_ke");
	else
		pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
			     "EncryptedExtensions, Certificate, "
			     "CertificateVerify (%s) and Finished sent",
			     pl_tls_sigscheme_name(c->scheme));
	/* RFC 8446 4.2.10: 0-RTT is never accepted; skip the client's
	 * early data records (bounded). */
	if (c->hs->early_data_offered && !c->hrr)
		c->early_skip = 4 * PL_TLS_MAX_CIPHERTEXT;
	return PL_OK;
}

static int handle_client_finished(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	int ret;
	if ((ret = pl_tls_recv_finished(c, c->hs->client_hs, &m->u.finished)))
		return ret;
	if ((ret = pl_tls_set_keys(c, &c->rd, c->hs->client_ap_pending, true)) ||
	    (ret = pl_tls_ks_resumption(c)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	pl_cleanse(c->hs->client_ap_pending, sizeof(c->hs->client_ap_pending));
	c->ccs_allowed = false;
	c->early_skip = 0;
	c->state = ST_CONNECTED;
	if ((ret = pl_tls13_send_tickets(c)))
		return ret;
	pl_tls_handshake_cleanup(c);
	pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
		     "client Finished verified: the handshake is complete");
	return PL_OK;
}

static const pl_tls_row_t rows[] = {
	{SV13_START, PL_HS_CLIENT_HELLO, -1, handle_client_hello,
	 SV13_WAIT_FINISHED, SV13_WAIT_CH2},
	{SV13_WAIT_CH2, PL_HS_CLIENT_HELLO, -1, handle_client_hello,
	 SV13_WAIT_FINISHED, SV13_WAIT_FINISHED},
	{SV13_WAIT_FINISHED, PL_HS_FINISHED, -1, handle_client_finished,
	 SV13_CONNECTED, SV13_CONNECTED},
	{SV13_CONNECTED, PL_HS_KEY_UPDATE, -1, pl_tls_handle_key_update,
	 SV13_CONNECTED, SV13_CONNECTED},
};

static const char *const state_names[] = {
	[SV13_START] = "START",
	[SV13_WAIT_CH2] = "WAIT_CH2",
	[SV13_WAIT_FINISHED] = "WAIT_FINISHED",
	[SV13_CONNECTED] = "CONNECTED",
};

const pl_tls_machine_t pl_tls13_server_machine = {
	"TLS 1.3 server", PL_TLS_VERSION_13, rows,
	sizeof(rows) / sizeof(rows[0]), state_names, SV13_CONNECTED, NULL,
};
