/*
 * TLS 1.3 resumption (RFC 8446 2.2, 4.2.9, 4.2.11, 4.6.1): the server's
 * NewSessionTickets and its judgement of a pre_shared_key; the client's
 * offer of a saved session, its binder, and the saved session's bytes.
 *
 * A server resumes only with a ticket it sealed (ticket_keys.c) whose
 * binder verifies; a ticket that does not open or does not fit this
 * connection (another suite hash, SNI or ALPN, expired, an age outside
 * the window) gives a full handshake, never an error. Early data is
 * never accepted (tls13_server.c skips it).
 */
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

#define PSK_DHE_KE 1 /* RFC 8446 4.2.9 */
#define PSK_KE 0
/* How far the client's idea of a ticket's age may stray from ours: the
 * round trip, and clocks that count in whole seconds (RFC 8446 8.3). */
#define AGE_WINDOW_MS 10000
/* Identities judged in one ClientHello (clients offer one or two). */
#define MAX_IDENTITIES 4
/* Saved sessions: 1, a TLS 1.3 session; 2 adds the version and the
 * extended master secret flag (a TLS 1.2 session's). 1 is still read. */
#define SESSION_FORMAT_13 1
#define SESSION_FORMAT 2

void pl_tls_ticket_clear(pl_tls_ticket_t *t)
{
	free(t->ticket);
	free(t->server_name);
	pl_cleanse(t, sizeof(*t));
}

int pl_tls_binder_hash(pl_tls_conn_t *c, pl_hash_alg_t hash,
		       const uint8_t *prefix, size_t len, uint8_t *out)
{
	pl_hash_t *h;
	int ret;
	if (c->hs->transcript)
		h = pl_hash_dup(c->hs->transcript);
	else
		h = pl_hash_new(hash);
	if (h == NULL)
		return PL_ERR_NOMEM;
	ret = PL_OK;
	if (!c->hs->transcript && pl_buf_size(&c->hs->transcript_raw))
		ret = pl_hash_update(h, pl_buf_head(&c->hs->transcript_raw),
				     pl_buf_size(&c->hs->transcript_raw));
	if (ret == PL_OK)
		ret = pl_hash_update(h, prefix, len);
	if (ret == PL_OK)
		ret = pl_hash_peek(h, out);
	pl_hash_free(h);
	return ret;
}

int pl_tls_psk_binder(pl_hash_alg_t hash, const uint8_t *psk,
		      const uint8_t *th, uint8_t *out)
{
	uint8_t early[PL_HASH_MAX], empty[PL_HASH_MAX], key[PL_HASH_MAX];
	size_t hl = pl_hash_len(hash);
	int ret;
	/* binder_key = Derive-Secret(Early Secret, "res binder", ""), then
	 * a Finished MAC under it (RFC 8446 4.2.11.2, 7.1) */
	if ((ret = pl_hkdf_extract(hash, NULL, 0, psk, hl, early)) == PL_OK &&
	    (ret = pl_hash_once(hash, NULL, 0, empty)) == PL_OK &&
	    (ret = pl_tls_derive_secret(hash, early, "res binder", empty,
					key)) == PL_OK &&
	    (ret = pl_tls_expand_label(hash, key, "finished", NULL, 0, key,
				       hl)) == PL_OK)
		ret = pl_hmac(hash, key, hl, th, hl, out);
	pl_cleanse(early, sizeof(early));
	pl_cleanse(key, sizeof(key));
	return ret;
}

/* ---- server ------------------------------------------------------------- */

static bool offers_mode(const pl_msg_client_hello_t *ch, uint8_t mode)
{
	size_t n = pl_reader_left(&ch->ext.psk_modes);
	return n > 0 && memchr(ch->ext.psk_modes.p, mode, n) != NULL;
}

/* Opens a ticket with the config's keys, or with its ticket_open hook. */
static int open_ticket(const pl_tls_config_t *cfg, const pl_reader_t *id,
		       pl_tls_session_state_t *s)
{
	if (cfg->ticket_open)
		return cfg->ticket_open(cfg->ticket_open_arg, id->p,
					pl_reader_left(id), s);
	return pl_tls_ticket_open(cfg->ticket_keys, id->p, pl_reader_left(id),
				  s);
}

const char *pl_tls_ticket_misfit(const pl_tls_conn_t *c,
				const pl_tls_session_state_t *s)
{
	uint8_t tag[PL_TLS_CHAIN_TAG_LEN];
	uint64_t now = c->now > 0 ? (uint64_t)c->now : 0;
	if (strcmp(s->sni, c->server_name ? c->server_name : "") != 0)
		return "it is for another server name";
	if (strcmp(s->alpn, c->alpn ? c->alpn : "") != 0)
		return "it is for another ALPN protocol";
	if (now < s->created || now - s->created > s->lifetime ||
	    now - s->created > c->cfg->ticket_lifetime)
		return "it has expired";
	pl_tls_chain_tag(c, tag);
	if (!pl_ct_equal(tag, s->cert_tag, sizeof(tag)))
		return "its certificate is no longer served for this name";
	return NULL;
}

pl_tls_ticket_t *pl_tls_keep_ticket(pl_tls_conn_t *c, uint16_t version,
				    const pl_reader_t *ticket,
				    uint32_t lifetime)
{
	/* the newest PL_TLS_MAX_TICKETS */
	pl_tls_ticket_t *t = &c->tickets[c->tickets_seen % PL_TLS_MAX_TICKETS];
	if (c->n_tickets < PL_TLS_MAX_TICKETS)
		c->n_tickets++;
	pl_tls_ticket_clear(t);
	t->version = version;
	t->suite = c->suite;
	t->lifetime = lifetime;
	t->received = c->now > 0 ? (uint64_t)c->now : 0;
	if ((c->server_name &&
	     pl_tls_set_string(&t->server_name, c->server_name,
			       strlen(c->server_name))) ||
	    (t->ticket = malloc(pl_reader_left(ticket))) == NULL)
		return NULL;
	t->ticket_len = pl_reader_left(ticket);
	memcpy(t->ticket, ticket->p, t->ticket_len);
	return t;
}

/* Why the ticket in s does not fit this connection, or NULL. */
static const char *misfit(const pl_tls_conn_t *c,
			  const pl_tls_session_state_t *s, uint32_t obfuscated)
{
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	const char *why;
	uint64_t now = c->now > 0 ? (uint64_t)c->now : 0;
	if (s->version != PL_TLS_VERSION_13 ||
	    !pl_tls_suite_params(s->suite, &hash, &aead) || hash != c->hash)
		return "it is for another version or suite hash";
	if ((why = pl_tls_ticket_misfit(c, s)) != NULL)
		return why;
	/* RFC 8446 4.2.11.1: the client's age of the ticket, in ms */
	uint32_t client_ms = obfuscated - s->age_add;
	uint64_t ours_ms = (now - s->created) * 1000;
	uint64_t diff = client_ms > ours_ms ? client_ms - ours_ms
					    : ours_ms - client_ms;
	if (diff > AGE_WINDOW_MS)
		return "its age is outside the window";
	return NULL;
}

/* The binder of identity index: walks the binders list (each 32..255
 * bytes, as many as identities: RFC 8446 4.2.11). */
static int find_binder(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch,
		       size_t n_identities, size_t index, pl_reader_t *out)
{
	pl_reader_t it = ch->ext.psk_binders, b;
	size_t n = 0;
	while (pl_reader_left(&it)) {
		if (pl_read_vec8(&it, &b) || pl_reader_left(&b) < 32)
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: malformed PSK binder");
		if (n++ == index)
			*out = b;
	}
	if (n != n_identities)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ClientHello: %zu PSK identities but %zu "
				   "binders",
				   n_identities, n);
	return PL_OK;
}

/* Verifies the binder of the identity chosen (RFC 8446 4.2.11: before
 * anything the ticket says is used). */
static int check_binder(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch,
			const uint8_t *raw, const pl_reader_t *binder,
			const uint8_t *psk)
{
	uint8_t th[PL_HASH_MAX], want[PL_HASH_MAX];
	int ret;
	if ((ret = pl_tls_binder_hash(c, c->hash, raw, ch->binders_offset,
				      th)) ||
	    (ret = pl_tls_psk_binder(c->hash, psk, th, want)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "PSK binder computation failed");
	bool ok = pl_reader_left(binder) == c->hash_len &&
		  pl_ct_equal(binder->p, want, c->hash_len);
	pl_cleanse(want, sizeof(want));
	if (!ok)
		return pl_tls_fail(c, PL_ALERT_DECRYPT_ERROR,
				   "ClientHello: the PSK binder does not "
				   "verify");
	return PL_OK;
}

int pl_tls13_server_psk(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch,
			const uint8_t *raw)
{
	const pl_tls_config_t *cfg = c->cfg;
	pl_reader_t it = ch->ext.psk_identities, identity, binder = {NULL, NULL};
	pl_tls_session_state_t s;
	/* RFC 8446 4.2.9: psk_dhe_ke needs the client's key share */
	bool dhe = offers_mode(ch, PSK_DHE_KE) &&
		   pl_exts_has(&ch->ext, PL_EXT_KEY_SHARE);
	bool ke = cfg->psk_ke && offers_mode(ch, PSK_KE);
	size_t n = 0, chosen = 0;
	const char *why = "no ticket opens";
	bool found = false;
	int ret;
	c->hs->psk_len = 0;
	c->hs->tickets_wanted = cfg->tickets > 0 && cfg->ticket_keys &&
				pl_exts_has(&ch->ext,
					    PL_EXT_PSK_KEY_EXCHANGE_MODES) &&
				(dhe || ke);
	if (!pl_exts_has(&ch->ext, PL_EXT_PRE_SHARED_KEY))
		return PL_OK;
	/* RFC 8446 4.2.9: a PSK without psk_key_exchange_modes */
	if (!pl_exts_has(&ch->ext, PL_EXT_PSK_KEY_EXCHANGE_MODES))
		return pl_tls_fail(c, PL_ALERT_MISSING_EXTENSION,
				   "ClientHello offers a PSK without "
				   "psk_key_exchange_modes");
	while (pl_reader_left(&it)) {
		uint32_t obfuscated;
		if (pl_read_vec16(&it, &identity) ||
		    pl_reader_left(&identity) == 0 ||
		    pl_read_u32(&it, &obfuscated))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "ClientHello: malformed PSK "
					   "identity");
		if (!found && n < MAX_IDENTITIES && (dhe || ke) &&
		    cfg->tickets > 0 &&
		    open_ticket(cfg, &identity, &s) == PL_OK) {
			why = misfit(c, &s, obfuscated);
			found = true;
			chosen = n;
		}
		n++;
	}
	if (n == 0)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "ClientHello: pre_shared_key lists no "
				   "identity");
	if ((ret = find_binder(c, ch, n, chosen, &binder)))
		goto out;
	if (!found)
		goto out;
	/* a binder under another hash cannot be checked: not ours to use */
	if (s.version != PL_TLS_VERSION_13 || s.secret_len != c->hash_len)
		goto out;
	if ((ret = check_binder(c, ch, raw, &binder, s.secret)))
		goto out;
	if (why == NULL) {
		memcpy(c->hs->psk, s.secret, s.secret_len);
		c->hs->psk_len = s.secret_len;
		c->hs->psk_index = (uint16_t)chosen;
		c->hs->psk_ke = !dhe;
		c->resumed = true;
	}
out:
	if (ret == PL_OK && !c->resumed)
		pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
			     "the client offered a ticket; full handshake: %s",
			     found ? why : "no ticket opens");
	pl_cleanse(&s, sizeof(s));
	return ret;
}

static int send_one_ticket(pl_tls_conn_t *c, uint8_t index)
{
	pl_msg_new_session_ticket_t m;
	pl_tls_session_state_t s;
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	pl_buf_t ticket = PL_BUF_INIT;
	int ret;
	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	s.version = PL_TLS_VERSION_13;
	s.suite = c->suite;
	s.created = c->now > 0 ? (uint64_t)c->now : 0;
	s.lifetime = c->cfg->ticket_lifetime;
	s.secret_len = c->hash_len;
	if (c->server_name)
		strcpy(s.sni, c->server_name);
	if (c->alpn)
		strcpy(s.alpn, c->alpn);
	pl_tls_chain_tag(c, s.cert_tag);
	if ((ret = pl_tls_random(c, PL_TLS_RANDOM_TICKET,
				 (uint8_t *)&s.age_add, 4)) ||
	    (ret = pl_tls_random(c, PL_TLS_RANDOM_TICKET, nonce,
				 sizeof(nonce))))
		goto out;
	/* RFC 8446 4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret,
	 * "resumption", ticket_nonce, Hash.length) */
	if ((ret = pl_tls_expand_label(c->hash, c->resumption_secret,
				       "resumption", &index, 1, s.secret,
				       c->hash_len)) ||
	    (ret = pl_tls_ticket_seal(c->cfg->ticket_keys, &s, nonce, &ticket)))
		goto out;
	m.version = PL_TLS_VERSION_13;
	m.lifetime = s.lifetime;
	m.age_add = s.age_add;
	pl_reader_init(&m.nonce, &index, 1);
	pl_reader_init(&m.ticket, pl_buf_head(&ticket), pl_buf_size(&ticket));
	pl_tls_hs_begin(c, PL_HS_NEW_SESSION_TICKET);
	pl_msg_new_session_ticket_write(&c->hs_out, &m);
	ret = pl_tls_hs_end(c);
out:
	pl_cleanse(&s, sizeof(s));
	pl_buf_free(&ticket);
	return ret;
}

int pl_tls13_send_tickets(pl_tls_conn_t *c)
{
	/* After a resumption the client holds its other tickets still: one
	 * new ticket replaces the one it used. */
	unsigned n = c->resumed && c->cfg->tickets > 1 ? 1 : c->cfg->tickets;
	int ret = PL_OK;
	if (!c->hs->tickets_wanted)
		return PL_OK;
	for (unsigned i = 0; i < n && ret == PL_OK; i++)
		ret = send_one_ticket(c, (uint8_t)i);
	if (ret == PL_OK)
		ret = pl_tls_hs_flush(c);
	if (ret)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a session ticket");
	pl_tls_trace(c, PL_STEP_SESSION_TICKET,
		     "%u NewSessionTicket%s sent (valid %u s)", n,
		     n > 1 ? "s" : "", c->cfg->ticket_lifetime);
	return PL_OK;
}

/* ---- client ------------------------------------------------------------- */

int pl_tls13_client_psk_ext(pl_tls_conn_t *c, pl_tls_exts_t *e)
{
	const pl_tls_ticket_t *t = &c->offer;
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	bool suite_ok = false;
	c->hs->psk_offered = false;
	if (t->ticket == NULL || t->version != PL_TLS_VERSION_13 ||
	    !pl_tls_suite_params(t->suite, &hash, &aead))
		return PL_OK;
	for (size_t i = 0; i < c->cfg->n_suites; i++)
		suite_ok |= c->cfg->suites[i] == t->suite;
	/* RFC 8446 4.1.2: after a HelloRetryRequest, drop a PSK whose hash
	 * is not the chosen suite's */
	if (!suite_ok || (c->hrr && hash != c->hash))
		return PL_OK;
	uint64_t now = c->now > 0 ? (uint64_t)c->now : 0;
	uint64_t age = now > t->received ? now - t->received : 0;
	pl_buf_reset(&c->hs->psk_identity);
	pl_push_open(&c->hs->psk_identity, 2);
	pl_push_bytes(&c->hs->psk_identity, t->ticket, t->ticket_len);
	pl_push_close(&c->hs->psk_identity);
	pl_push_u32(&c->hs->psk_identity,
		    (uint32_t)(age * 1000) + t->age_add);
	if (pl_buf_error(&c->hs->psk_identity))
		return PL_ERR_NOMEM;
	/* a binder of the right length, filled in once the hello is
	 * written (pl_tls13_client_binder) */
	size_t hl = pl_hash_len(hash);
	memset(c->hs->psk_binders, 0, sizeof(c->hs->psk_binders));
	c->hs->psk_binders[0] = (uint8_t)hl;
	pl_reader_init(&e->psk_identities, pl_buf_head(&c->hs->psk_identity),
		       pl_buf_size(&c->hs->psk_identity));
	pl_reader_init(&e->psk_binders, c->hs->psk_binders, 1 + hl);
	pl_exts_add(e, PL_EXT_PRE_SHARED_KEY);
	c->hs->psk_offered = true;
	return PL_OK;
}

int pl_tls13_client_binder(pl_tls_conn_t *c, uint8_t *msg,
			   size_t binders_offset)
{
	uint8_t th[PL_HASH_MAX];
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	int ret;
	if (!c->hs->psk_offered)
		return PL_OK;
	pl_tls_suite_params(c->offer.suite, &hash, &aead);
	if ((ret = pl_tls_binder_hash(c, hash, msg, binders_offset, th)))
		return ret;
	/* the list's 2-byte length, then the binder's 1-byte length */
	return pl_tls_psk_binder(hash, c->offer.psk, th,
				 msg + binders_offset + 3);
}

int pl_tls13_client_take_psk(pl_tls_conn_t *c,
			     const pl_msg_server_hello_t *sh)
{
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	if (!pl_exts_has(&sh->ext, PL_EXT_PRE_SHARED_KEY))
		return PL_OK;
	pl_tls_suite_params(c->offer.suite, &hash, &aead);
	/* RFC 8446 4.2.11: an identity we sent, a suite of its hash */
	if (!c->hs->psk_offered || sh->ext.psk_selected != 0 || hash != c->hash)
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerHello selects a PSK that was not "
				   "offered or does not fit its suite");
	memcpy(c->hs->psk, c->offer.psk, c->hash_len);
	c->hs->psk_len = c->hash_len;
	c->resumed = true;
	return PL_OK;
}

/* ---- saved sessions ----------------------------------------------------- */

bool pl_tls_resumed(const pl_tls_conn_t *c)
{
	return c->resumed;
}

int pl_tls_session_save(const pl_tls_conn_t *c, uint8_t **out, size_t *len)
{
	const pl_tls_ticket_t *t;
	pl_buf_t b = PL_BUF_INIT;
	const char *name;
	*out = NULL;
	*len = 0;
	if (c->tickets_seen == 0)
		return PL_ERR_STATE;
	t = &c->tickets[(c->tickets_seen - 1) % PL_TLS_MAX_TICKETS];
	name = t->server_name ? t->server_name : "";
	pl_push_u8(&b, SESSION_FORMAT);
	pl_push_u16(&b, t->version);
	pl_push_u8(&b, t->ems);
	pl_push_u16(&b, t->suite);
	pl_push_u32(&b, (uint32_t)(t->received >> 32));
	pl_push_u32(&b, (uint32_t)t->received);
	pl_push_u32(&b, t->lifetime);
	pl_push_u32(&b, t->age_add);
	pl_push_open(&b, 1);
	pl_push_bytes(&b, t->psk,
		      t->version == PL_TLS_VERSION_12 ? PL_TLS12_MASTER_LEN
						      : pl_hash_len(c->hash));
	pl_push_close(&b);
	pl_push_open(&b, 2);
	pl_push_bytes(&b, t->ticket, t->ticket_len);
	pl_push_close(&b);
	pl_push_open(&b, 1);
	pl_push_bytes(&b, name, strlen(name));
	pl_push_close(&b);
	if (pl_buf_error(&b)) {
		pl_buf_free(&b);
		return PL_ERR_NOMEM;
	}
	if ((*out = malloc(pl_buf_size(&b))) == NULL) {
		pl_buf_free(&b);
		return PL_ERR_NOMEM;
	}
	*len = pl_buf_size(&b);
	memcpy(*out, pl_buf_head(&b), *len);
	pl_buf_free(&b);
	return PL_OK;
}

int pl_tls_session_load(pl_tls_conn_t *c, const uint8_t *data, size_t len)
{
	pl_tls_ticket_t t;
	pl_reader_t r, psk, ticket, name;
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	uint32_t hi, lo;
	uint8_t format, ems = 0;
	if (c->is_server || c->state != ST_CLIENT_START)
		return PL_ERR_STATE;
	memset(&t, 0, sizeof(t));
	t.version = PL_TLS_VERSION_13;
	pl_reader_init(&r, data, len);
	if (pl_read_u8(&r, &format) ||
	    (format != SESSION_FORMAT && format != SESSION_FORMAT_13) ||
	    (format == SESSION_FORMAT &&
	     (pl_read_u16(&r, &t.version) || pl_read_u8(&r, &ems) || ems > 1)) ||
	    pl_read_u16(&r, &t.suite) || pl_read_u32(&r, &hi) ||
	    pl_read_u32(&r, &lo) || pl_read_u32(&r, &t.lifetime) ||
	    pl_read_u32(&r, &t.age_add) || pl_read_vec8(&r, &psk) ||
	    pl_read_vec16(&r, &ticket) || pl_reader_left(&ticket) == 0 ||
	    pl_read_vec8(&r, &name) || pl_reader_done(&r))
		return PL_ERR_DECODE;
	t.ems = ems;
	bool fits;
	if (t.version == PL_TLS_VERSION_13)
		fits = pl_tls_suite_params(t.suite, &hash, &aead) &&
		       pl_reader_left(&psk) == pl_hash_len(hash);
	else
		fits = t.version == PL_TLS_VERSION_12 &&
		       pl_tls12_suite_params(t.suite, NULL, NULL, NULL) &&
		       pl_reader_left(&psk) == PL_TLS12_MASTER_LEN;
	if (!fits)
		return PL_ERR_DECODE;
	const char *mine = c->server_name ? c->server_name : "";
	if (pl_reader_left(&name) != strlen(mine) ||
	    memcmp(name.p, mine, pl_reader_left(&name)) != 0)
		return PL_ERR_ARG;
	t.received = (uint64_t)hi << 32 | lo;
	uint64_t now = c->now > 0 ? (uint64_t)c->now : 0;
	/* expired: a full handshake (a TLS 1.2 hint of 0 says nothing,
	 * RFC 5077 3.3: the server judges) */
	if (now > t.received && now - t.received > t.lifetime &&
	    (t.version == PL_TLS_VERSION_13 || t.lifetime != 0))
		return PL_OK;
	memcpy(t.psk, psk.p, pl_reader_left(&psk));
	t.ticket_len = pl_reader_left(&ticket);
	if ((t.ticket = malloc(t.ticket_len)) == NULL)
		return PL_ERR_NOMEM;
	memcpy(t.ticket, ticket.p, t.ticket_len);
	pl_tls_ticket_clear(&c->offer);
	c->offer = t;
	return PL_OK;
}
