/*
 * The server state machine (RFC 8446 A.2):
 *
 *   WAIT_CH --ClientHello--> (HelloRetryRequest) WAIT_CH2 --ClientHello-->
 *   (ServerHello, EncryptedExtensions, Certificate, CertificateVerify,
 *    Finished) WAIT_FINISHED --Finished--> CONNECTED
 *
 * Anything else is unexpected_message.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

#define MAX_SHARES 8

/* What the server takes from a ClientHello. */
typedef struct {
	uint16_t legacy_version;
	const uint8_t *random;
	pl_reader_t session_id;
	pl_reader_t suites;
	pl_reader_t compression;
	pl_tls_exts_t exts;
	pl_reader_t groups;  /* supported_groups list */
	pl_reader_t schemes; /* signature_algorithms list */
	size_t n_shares;
	uint16_t share_group[MAX_SHARES];
	pl_reader_t share_key[MAX_SHARES];
	bool has_rsl;
	uint16_t rsl;
} hello_t;

static bool list_has(pl_reader_t list, uint16_t v)
{
	uint16_t x;
	while (pl_read_u16(&list, &x) == PL_OK)
		if (x == v)
			return true;
	return false;
}

/* A list of uint16 with a length prefix of width bytes; even, non-empty. */
static int read_u16_list(pl_tls_conn_t *c, pl_reader_t *ext, int width,
			 pl_reader_t *list, const char *what)
{
	int ret = width == 1 ? pl_read_vec8(ext, list) : pl_read_vec16(ext, list);
	if (ret || pl_reader_done(ext) || pl_reader_left(list) == 0 ||
	    pl_reader_left(list) % 2)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed %s", what);
	return PL_OK;
}

static int parse_fixed(pl_tls_conn_t *c, pl_reader_t *body, hello_t *h)
{
	pl_reader_t block;
	int ret;
	if (pl_read_u16(body, &h->legacy_version) ||
	    pl_read_bytes(body, 32, &h->random) ||
	    pl_read_vec8(body, &h->session_id) ||
	    pl_read_vec16(body, &h->suites) ||
	    pl_read_vec8(body, &h->compression))
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello is truncated");
	/* Extensions are optional in the syntax (pre-TLS 1.2 clients).
	 * The empty block points into the body: NULL + 0 is undefined
	 * behaviour in C (found by fuzz_server under UBSan). */
	if (pl_reader_left(body) == 0)
		pl_reader_init(&block, body->p, 0);
	else if (pl_read_vec16(body, &block) || pl_reader_done(body))
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed extensions");
	if (pl_reader_left(&h->session_id) > 32 ||
	    pl_reader_left(&h->suites) < 2 || pl_reader_left(&h->suites) % 2 ||
	    pl_reader_left(&h->compression) < 1)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed session id, cipher "
				   "suites or compression methods");
	if ((ret = pl_tls_exts_parse(c, &block, &h->exts, "ClientHello")))
		return ret;
	/* RFC 8446 4.2.11: pre_shared_key must be the last extension. */
	for (size_t i = 0; i + 1 < h->exts.n; i++)
		if (h->exts.type[i] == PL_EXT_PRE_SHARED_KEY)
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: pre_shared_key is not "
					   "the last extension");
	return PL_OK;
}

static int check_versions(pl_tls_conn_t *c, hello_t *h)
{
	pl_reader_t *ext = pl_tls_exts_find(&h->exts, PL_EXT_SUPPORTED_VERSIONS);
	pl_reader_t list;
	int ret;
	if (ext == NULL)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the client offers only TLS 1.2 or older "
				   "(no supported_versions); this server "
				   "speaks TLS 1.3");
	if ((ret = read_u16_list(c, ext, 1, &list, "supported_versions")))
		return ret;
	if (!list_has(list, PL_TLS_VERSION_13))
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the client does not offer TLS 1.3");
	/* RFC 8446 4.1.2: legacy_version must be 0x0303. */
	if (h->legacy_version != 0x0303)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "ClientHello legacy_version is 0x%04x (must "
				   "be 0x0303)",
				   h->legacy_version);
	/* RFC 8446 4.1.2: the only compression method is null. */
	if (pl_reader_left(&h->compression) != 1 || h->compression.p[0] != 0)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientHello offers compression");
	return PL_OK;
}

static int parse_key_shares(pl_tls_conn_t *c, hello_t *h)
{
	pl_reader_t *gx = pl_tls_exts_find(&h->exts, PL_EXT_SUPPORTED_GROUPS);
	pl_reader_t *ks = pl_tls_exts_find(&h->exts, PL_EXT_KEY_SHARE);
	pl_reader_t shares;
	int ret;
	/* RFC 8446 9.2: both or neither; without a PSK, both. */
	if (gx == NULL || ks == NULL)
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "ClientHello has no %s",
				   gx ? "key_share" : "supported_groups");
	if ((ret = read_u16_list(c, gx, 2, &h->groups, "supported_groups")))
		return ret;
	if (pl_read_vec16(ks, &shares) || pl_reader_done(ks))
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed key_share");
	h->n_shares = 0;
	while (pl_reader_left(&shares) > 0) {
		uint16_t group;
		pl_reader_t key;
		if (pl_read_u16(&shares, &group) ||
		    pl_read_vec16(&shares, &key))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: malformed key_share "
					   "entry");
		/* An empty key_exchange is no group's public key: an
		 * invalid share, like one off the curve (RFC 8446 4.2.8). */
		if (pl_reader_left(&key) == 0)
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: empty %s key share",
					   pl_tls_group_name(group));
		for (size_t i = 0; i < h->n_shares; i++)
			if (h->share_group[i] == group)
				return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
						   "ClientHello: key_share names "
						   "group %s twice",
						   pl_tls_group_name(group));
		/* RFC 8446 4.2.8: shares only for supported groups */
		if (!list_has(h->groups, group))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: key_share for %s, "
					   "which is not in supported_groups",
					   pl_tls_group_name(group));
		if (h->n_shares == MAX_SHARES)
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: more than %d key "
					   "shares",
					   MAX_SHARES);
		h->share_group[h->n_shares] = group;
		h->share_key[h->n_shares] = key;
		h->n_shares++;
	}
	return PL_OK;
}

/* RFC 6066 3: one host_name; RFC 1123 letters, digits, hyphens, dots. */
static int parse_sni(pl_tls_conn_t *c, hello_t *h)
{
	pl_reader_t *ext = pl_tls_exts_find(&h->exts, PL_EXT_SERVER_NAME);
	pl_reader_t list, name;
	uint8_t type;
	if (ext == NULL)
		return PL_OK;
	if (pl_read_vec16(ext, &list) || pl_reader_done(ext) ||
	    pl_read_u8(&list, &type) || pl_read_vec16(&list, &name) ||
	    pl_reader_done(&list) || type != 0)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed server_name");
	size_t n = pl_reader_left(&name);
	if (n == 0 || n > 253)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: server_name of %zu bytes", n);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = name.p[i];
		if (!(isalnum(ch) || ch == '-' || ch == '.' || ch == '_'))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: server_name holds a "
					   "byte 0x%02x that no host name has",
					   ch);
	}
	if (pl_tls_set_string(&c->server_name, name.p, n))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	for (char *p = c->server_name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return PL_OK;
}

static int choose_alpn(pl_tls_conn_t *c, hello_t *h)
{
	pl_reader_t *ext = pl_tls_exts_find(&h->exts, PL_EXT_ALPN);
	pl_reader_t list, ours;
	if (ext == NULL)
		return PL_OK;
	if (pl_read_vec16(ext, &list) || pl_reader_done(ext) ||
	    pl_reader_left(&list) == 0)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed ALPN");
	pl_reader_t check = list;
	while (pl_reader_left(&check) > 0) {
		pl_reader_t name;
		if (pl_read_vec8(&check, &name) || pl_reader_left(&name) == 0)
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: empty or truncated "
					   "ALPN protocol name");
	}
	if (c->cfg->alpn_len == 0)
		return PL_OK;
	/* RFC 7301 3.2: the server's preference among the client's offers */
	pl_reader_init(&ours, c->cfg->alpn_wire, c->cfg->alpn_len);
	while (pl_reader_left(&ours) > 0) {
		pl_reader_t mine, theirs = list;
		(void)pl_read_vec8(&ours, &mine);
		while (pl_reader_left(&theirs) > 0) {
			pl_reader_t name;
			(void)pl_read_vec8(&theirs, &name);
			if (pl_reader_left(&name) == pl_reader_left(&mine) &&
			    memcmp(name.p, mine.p, pl_reader_left(&mine)) == 0) {
				if (pl_tls_set_string(&c->alpn, mine.p,
						      pl_reader_left(&mine)))
					return pl_tls_fail(
						c, PL_ALERT_INTERNAL_ERROR,
						"out of memory");
				return PL_OK;
			}
		}
	}
	return pl_tls_fail(c, PL_ALERT_NO_APPLICATION_PROTOCOL,
			   "none of the client's ALPN protocols is served here");
}

static int parse_small_exts(pl_tls_conn_t *c, hello_t *h)
{
	pl_reader_t *ext = pl_tls_exts_find(&h->exts, PL_EXT_RECORD_SIZE_LIMIT);
	int ret;
	if (ext) {
		if (pl_read_u16(ext, &h->rsl) || pl_reader_done(ext))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: malformed "
					   "record_size_limit");
		if (h->rsl < 64) /* RFC 8449 4 */
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: record_size_limit %u "
					   "is below 64",
					   h->rsl);
		h->has_rsl = true;
	}
	ext = pl_tls_exts_find(&h->exts, PL_EXT_SIGNATURE_ALGORITHMS);
	if (ext == NULL)
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "ClientHello has no signature_algorithms");
	if ((ret = read_u16_list(c, ext, 2, &h->schemes,
				 "signature_algorithms")))
		return ret;
	if ((ret = parse_sni(c, h)) || (ret = choose_alpn(c, h)))
		return ret;
	ext = pl_tls_exts_find(&h->exts, PL_EXT_COOKIE);
	if (ext) {
		pl_reader_t cookie;
		if (pl_read_vec16(ext, &cookie) || pl_reader_done(ext))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: malformed cookie");
		if (c->hs->cookie_len == 0 ||
		    pl_reader_left(&cookie) != c->hs->cookie_len ||
		    !pl_ct_equal(cookie.p, c->hs->cookie, c->hs->cookie_len))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: cookie was not issued "
					   "by this server");
	} else if (c->hs->cookie_len) {
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "second ClientHello does not echo the cookie");
	}
	if (pl_tls_exts_find(&h->exts, PL_EXT_EARLY_DATA))
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
				if (!is_pkcs1(s) && list_has(h->schemes, s) &&
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
		if (list_has(h->suites, c->cfg->suites[i])) {
			c->suite = c->cfg->suites[i];
			pl_tls_suite_params(c->suite, &c->hash, &c->aead);
			c->hash_len = pl_hash_len(c->hash);
			return PL_OK;
		}
	return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
			   "no cipher suite in common with the client");
}

/* Returns the index of the share to use, or -1 when a HelloRetryRequest
 * must ask for c->group. */
static int choose_group(pl_tls_conn_t *c, hello_t *h, int *share)
{
	const pl_tls_config_t *cfg = c->cfg;
	*share = -1;
	/* Prefer a group the client sent a share for: no round trip. */
	for (size_t i = 0; i < cfg->n_groups; i++)
		for (size_t j = 0; j < h->n_shares; j++)
			if (h->share_group[j] == cfg->groups[i]) {
				c->group = cfg->groups[i];
				*share = (int)j;
				return PL_OK;
			}
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (list_has(h->groups, cfg->groups[i])) {
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

static void push_hello_start(pl_tls_conn_t *c, const uint8_t *random)
{
	pl_buf_t *b = &c->hs_out;
	pl_tls_hs_begin(c, PL_HS_SERVER_HELLO);
	pl_push_u16(b, 0x0303);
	pl_push_bytes(b, random, 32);
	pl_push_u8(b, c->hs->session_id_len);
	pl_push_bytes(b, c->hs->session_id, c->hs->session_id_len);
	pl_push_u16(b, c->suite);
	pl_push_u8(b, 0);
}

static int send_hrr(pl_tls_conn_t *c, bool want_share)
{
	pl_buf_t *b = &c->hs_out;
	int ret;
	if (c->cfg->require_cookie) {
		if ((ret = pl_random(c->hs->cookie, PL_TLS_COOKIE_LEN)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "no randomness");
		c->hs->cookie_len = PL_TLS_COOKIE_LEN;
	}
	if ((ret = pl_tls_transcript_start(c, true)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "transcript hash failed");
	push_hello_start(c, hrr_random);
	pl_push_open(b, 2);
	pl_push_u16(b, PL_EXT_SUPPORTED_VERSIONS);
	pl_push_open(b, 2);
	pl_push_u16(b, PL_TLS_VERSION_13);
	pl_push_close(b);
	if (want_share) {
		pl_push_u16(b, PL_EXT_KEY_SHARE);
		pl_push_open(b, 2);
		pl_push_u16(b, c->group);
		pl_push_close(b);
	}
	if (c->hs->cookie_len) {
		pl_push_u16(b, PL_EXT_COOKIE);
		pl_push_open(b, 2);
		pl_push_open(b, 2);
		pl_push_bytes(b, c->hs->cookie, c->hs->cookie_len);
		pl_push_close(b);
		pl_push_close(b);
	}
	pl_push_close(b);
	if ((ret = pl_tls_hs_end(c)) || (ret = pl_tls_hs_flush(c)) ||
	    (ret = send_ccs_once(c)))
		return ret;
	c->hrr = true;
	c->hs->hrr_asked_share = want_share;
	c->state = ST_SERVER_WAIT_CH2;
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

static int send_server_hello(pl_tls_conn_t *c, hello_t *h, int share)
{
	pl_buf_t *b = &c->hs_out;
	uint8_t pub[PL_KEX_PUBLIC_MAX], secret[PL_KEX_SECRET_MAX];
	size_t pub_len, secret_len;
	int ret;
	if ((ret = pl_tls_random(c, c->hs->server_random, 32)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "no randomness");
	c->hs->kex = pl_tls_new_kex(c, c->group);
	if (c->hs->kex == NULL ||
	    pl_kex_public(c->hs->kex, pub, sizeof(pub), &pub_len) != PL_OK)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a %s key share",
				   pl_tls_group_name(c->group));
	pl_reader_t *key = &h->share_key[share];
	if (pl_kex_derive(c->hs->kex, key->p, pl_reader_left(key), secret,
			  sizeof(secret), &secret_len))
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "the client's %s key share is not a valid "
				   "public key",
				   pl_tls_group_name(c->group));
	push_hello_start(c, c->hs->server_random);
	pl_push_open(b, 2);
	pl_push_u16(b, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	pl_push_u16(b, c->group);
	pl_push_open(b, 2);
	pl_push_bytes(b, pub, pub_len);
	pl_push_close(b);
	pl_push_close(b);
	pl_push_u16(b, PL_EXT_SUPPORTED_VERSIONS);
	pl_push_open(b, 2);
	pl_push_u16(b, PL_TLS_VERSION_13);
	pl_push_close(b);
	pl_push_close(b);
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
	pl_kex_free(c->hs->kex);
	c->hs->kex = NULL;
	return ret;
}

static int send_encrypted_extensions(pl_tls_conn_t *c, hello_t *h)
{
	pl_buf_t *b = &c->hs_out;
	pl_tls_hs_begin(c, PL_HS_ENCRYPTED_EXTENSIONS);
	pl_push_open(b, 2);
	if (c->server_name) { /* RFC 6066 3: the name was used */
		pl_push_u16(b, PL_EXT_SERVER_NAME);
		pl_push_u16(b, 0);
	}
	if (c->alpn) {
		size_t n = strlen(c->alpn);
		pl_push_u16(b, PL_EXT_ALPN);
		pl_push_open(b, 2);
		pl_push_open(b, 2);
		pl_push_u8(b, (uint8_t)n);
		pl_push_bytes(b, c->alpn, n);
		pl_push_close(b);
		pl_push_close(b);
	}
	if (h->has_rsl) { /* RFC 8449 4 */
		pl_push_u16(b, PL_EXT_RECORD_SIZE_LIMIT);
		pl_push_open(b, 2);
		pl_push_u16(b, c->cfg->record_size_limit);
		pl_push_close(b);
		c->peer_record_limit = h->rsl < PL_TLS_MAX_PLAINTEXT + 1
					       ? h->rsl
					       : PL_TLS_MAX_PLAINTEXT + 1;
		c->own_record_limit = c->cfg->record_size_limit;
	}
	pl_push_close(b);
	return pl_tls_hs_end(c);
}

static int send_server_flight(pl_tls_conn_t *c, hello_t *h)
{
	uint8_t server_ap[PL_HASH_MAX];
	int ret;
	if ((ret = send_encrypted_extensions(c, h)) ||
	    (ret = pl_tls_send_certificate(c)) ||
	    (ret = pl_tls_send_certificate_verify(c)) ||
	    (ret = pl_tls_send_finished(c, c->hs->server_hs)))
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
	for (size_t i = 0; i < h->n_shares; i++)
		snprintf(shares + strlen(shares), sizeof(shares) - strlen(shares),
			 "%s%s", i ? ", " : "", pl_tls_group_name(h->share_group[i]));
	pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
		     "ClientHello received: TLS 1.3 offered, %zu cipher "
		     "suites, key shares [%s], server name '%s'",
		     pl_reader_left(&h->suites) / 2, shares,
		     c->server_name ? c->server_name : "");
}

static int handle_client_hello(pl_tls_conn_t *c, pl_reader_t *body,
			       const uint8_t *msg, size_t len)
{
	bool second = c->state == ST_SERVER_WAIT_CH2;
	uint16_t first_suite = c->suite;
	hello_t h;
	int share, ret;
	memset(&h, 0, sizeof(h));
	if ((ret = parse_fixed(c, body, &h)) || (ret = check_versions(c, &h)) ||
	    (ret = parse_key_shares(c, &h)) || (ret = parse_small_exts(c, &h)))
		return ret;
	if (second) {
		/* RFC 8446 4.1.2: the same random and session id, a share
		 * for the group asked for, the same suite still offered. */
		if (memcmp(h.random, c->client_random, 32) != 0 ||
		    pl_reader_left(&h.session_id) != c->hs->session_id_len ||
		    memcmp(h.session_id.p, c->hs->session_id, c->hs->session_id_len))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello changes the "
					   "random or the session id");
		/* After a key_share request, exactly that one share
		 * (RFC 8446 4.2.8); after a cookie-only HRR, the same
		 * shares as before. */
		share = -1;
		for (size_t i = 0; i < h.n_shares; i++)
			if (h.share_group[i] == c->group)
				share = (int)i;
		if (share < 0 || (c->hs->hrr_asked_share && h.n_shares != 1))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello lacks the single "
					   "%s key share that was asked for",
					   pl_tls_group_name(c->group));
		if (!list_has(h.suites, first_suite))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "second ClientHello drops the cipher "
					   "suite chosen");
		if ((ret = pl_tls_transcript_add(c, msg, len)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
	} else {
		memcpy(c->client_random, h.random, 32);
		c->hs->session_id_len = (uint8_t)pl_reader_left(&h.session_id);
		memcpy(c->hs->session_id, h.session_id.p, c->hs->session_id_len);
		trace_hello(c, &h);
		if ((ret = choose_suite(c, &h)) ||
		    (ret = choose_group(c, &h, &share)) ||
		    (ret = choose_chain(c, &h)))
			return ret;
		if ((ret = pl_tls_transcript_add(c, msg, len)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
		c->ccs_allowed = true;
		if (share < 0 || c->cfg->require_cookie)
			return send_hrr(c, share < 0);
		if ((ret = pl_tls_transcript_start(c, false)))
			return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
					   "transcript hash failed");
	}
	c->version = PL_TLS_VERSION_13;
	if ((ret = send_server_hello(c, &h, share)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_HELLO,
		     "ServerHello sent: TLS 1.3, %s, %s",
		     pl_tls_suite_name(c->suite), pl_tls_group_name(c->group));
	if ((ret = send_server_flight(c, &h)))
		return ret;
	pl_tls_trace(c, PL_STEP_SERVER_FINISHED,
		     "EncryptedExtensions, Certificate, CertificateVerify (%s) "
		     "and Finished sent",
		     pl_tls_sigscheme_name(c->scheme));
	/* RFC 8446 4.2.10: 0-RTT is never accepted; skip the client's
	 * early data records (bounded). */
	if (c->hs->early_data_offered && !c->hrr)
		c->early_skip = 4 * PL_TLS_MAX_CIPHERTEXT;
	c->state = ST_SERVER_WAIT_FINISHED;
	return PL_OK;
}

static int handle_client_finished(pl_tls_conn_t *c, pl_reader_t *body)
{
	int ret;
	if ((ret = pl_tls_recv_finished(c, c->hs->client_hs, body)))
		return ret;
	if ((ret = pl_tls_set_keys(c, &c->rd, c->hs->client_ap_pending, true)) ||
	    (ret = pl_tls_ks_resumption(c)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	pl_cleanse(c->hs->client_ap_pending, sizeof(c->hs->client_ap_pending));
	c->ccs_allowed = false;
	c->early_skip = 0;
	pl_tls_handshake_cleanup(c);
	c->state = ST_CONNECTED;
	pl_tls_trace(c, PL_STEP_CLIENT_FINISHED,
		     "client Finished verified: the handshake is complete");
	return PL_OK;
}

int pl_tls_server_handle(pl_tls_conn_t *c, uint8_t type, pl_reader_t *body,
			 const uint8_t *msg, size_t msg_len)
{
	switch (c->state) {
	case ST_SERVER_WAIT_CH:
	case ST_SERVER_WAIT_CH2:
		if (type == PL_HS_CLIENT_HELLO)
			return handle_client_hello(c, body, msg, msg_len);
		break;
	case ST_SERVER_WAIT_FINISHED:
		if (type == PL_HS_FINISHED)
			return handle_client_finished(c, body);
		break;
	default:
		break;
	}
	return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
			   "unexpected handshake message %u in server state %d",
			   type, (int)c->state);
}
